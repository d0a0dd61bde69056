using Firebreak.Core.Common;
using Firebreak.Core.Response;
using Microsoft.Graph.Models;

namespace Firebreak.Cloud.Azure;

/// <summary>The Entra ID actions: Microsoft Graph calls in one directory (the target's account is the directory's tenant id; its region is global).</summary>
internal abstract class DirectoryAction(AzureSessions sessions) : AzureAction(sessions)
{
    public const string UserPattern = "^(" + GuidPattern + "|[A-Za-z0-9'._!#^~+-]{1,113}@[A-Za-z0-9][A-Za-z0-9.-]{0,253})$";
    public const string UserType = "Entra user object id or user principal name";

    protected override bool UsesGraph => true;

    protected static readonly string[] UserFields = ["id", "userPrincipalName", "displayName", "accountEnabled", "onPremisesSyncEnabled", "signInSessionsValidFromDateTime"];

    protected static async Task<User> ReadUserAsync(AzureSession session, string user, CancellationToken cancellationToken) =>
        await ReadAsync("GET /users/{id}", () => session.Graph.Users[user].GetAsync(r => r.QueryParameters.Select = UserFields, cancellationToken))
        ?? throw new CloudCallException("GET /users/{id}", "Request_ResourceNotFound", $"User {user} was not found.");

    protected static Dictionary<string, string> UserState(User user) => Map(
        ("id", user.Id ?? ""), ("userPrincipalName", user.UserPrincipalName ?? ""), ("accountEnabled", user.AccountEnabled == true ? "true" : "false"),
        ("onPremisesSyncEnabled", user.OnPremisesSyncEnabled == true ? "true" : "false"),
        ("signInSessionsValidFromDateTime", user.SignInSessionsValidFromDateTime?.ToString("O") ?? ""));

    protected static IReadOnlyList<string> SafeOrder() =>
    [
        "1. collect: export the sign-in and audit logs of the identity before changing it",
        "2. preserve: note the identity's roles, group memberships and app role assignments",
        "3. cut credentials: azure-revoke-sessions, azure-disable-user, azure-remove-app-credentials (then reset passwords and remove attacker-registered MFA methods by hand)",
        "4. isolate network: azure-isolate-vm for the machines the identity reached",
        "5. stop: deallocate those machines once the evidence is safe",
    ];

    protected static SafetyRisk? OnPremisesRisk(User user) => user.OnPremisesSyncEnabled == true
        ? new SafetyRisk("synced-from-on-premises", $"{user.UserPrincipalName} is synchronised from on-premises Active Directory: the change may be refused or undone by the next sync, and the on-premises account still works.",
            "Disable the account and reset its password in on-premises Active Directory as well.")
        : null;
}

/// <summary>Cut credentials: accountEnabled=false, so the user cannot sign in or refresh tokens.</summary>
internal sealed class DisableUserAction(AzureSessions sessions) : DirectoryAction(sessions)
{
    public override ActionDefinition Definition { get; } = Directory(new("azure-disable-user", "azure", "Disable the Entra ID user",
        "Sets accountEnabled=false on the user (Microsoft Graph PATCH /users/{id}): new sign-ins and token refreshes fail. Access tokens already issued stay valid until they expire.",
        UserType, UserPattern, ContainmentStage.CutCredentials, ActionImpact.High, AffectsAvailability: false, Undoable: true,
        "Undo sets accountEnabled back to true (only when this run changed it).", ["GET /users/{id}", "PATCH /users/{id}"], []));

    protected override async Task<ActionPlan> PlanAsync(AzureSession session, ActionTarget target, CancellationToken cancellationToken)
    {
        var user = await ReadUserAsync(session, target.Resource, cancellationToken);
        var risks = new List<SafetyRisk>
        {
            new("tokens-still-valid", "Access tokens already issued to the user stay valid until they expire (up to about an hour; less in apps with continuous access evaluation).",
                "Revoke the sessions too (azure-revoke-sessions)."),
        };
        if (OnPremisesRisk(user) is { } onPremises) risks.Add(onPremises);
        List<PlannedCall> calls = user.AccountEnabled == false ? [] :
            [new PlannedCall("graph", "PATCH /users/{id}", Map(("id", user.Id ?? target.Resource), ("accountEnabled", "false")), $"{user.UserPrincipalName}: accountEnabled true -> false")];
        var summary = calls.Count == 0 ? $"{user.UserPrincipalName} is already disabled; nothing to change." : $"Disable {user.UserPrincipalName} ({user.DisplayName}).";
        return new ActionPlan(summary, calls, calls.Select(c => c.Change).ToList(), true, Definition.UndoDescription, risks, SafeOrder(), UserState(user));
    }

    protected override async Task<ActionOutcome> ExecuteAsync(AzureSession session, ActionTarget target, ActionPlan plan, CancellationToken cancellationToken)
    {
        if (plan.Calls.Count == 0) return Outcome([]);
        var id = plan.Calls[0].Parameters["id"];
        var result = await CallAsync("PATCH /users/{id}", id, async () =>
        {
            await session.Graph.Users[id].PatchAsync(new User { AccountEnabled = false }, cancellationToken: cancellationToken);
            return "accountEnabled=false";
        });
        return Outcome([result], result.Succeeded ? Map(("accountEnabled", "true")) : null);
    }

    protected override async Task<IReadOnlyList<VerificationCheck>> VerifyAsync(AzureSession session, ActionTarget target, ActionPlan plan, ActionOutcome outcome, CancellationToken cancellationToken)
    {
        var user = await ReadUserAsync(session, plan.State["id"] is { Length: > 0 } id ? id : target.Resource, cancellationToken);
        var enabled = user.AccountEnabled == true ? "true" : "false";
        return [new VerificationCheck($"{user.UserPrincipalName} accountEnabled", "false", enabled, enabled == "false")];
    }

    protected override async Task<ActionOutcome> UndoAsync(AzureSession session, ActionTarget target, ActionPlan plan, IReadOnlyDictionary<string, string> undoData, CancellationToken cancellationToken)
    {
        var id = plan.State["id"] is { Length: > 0 } known ? known : target.Resource;
        return Outcome([await CallAsync("PATCH /users/{id}", id, async () =>
        {
            await session.Graph.Users[id].PatchAsync(new User { AccountEnabled = true }, cancellationToken: cancellationToken);
            return "accountEnabled=true";
        })]);
    }
}

/// <summary>Cut credentials: every refresh token and session cookie of the user is invalidated.</summary>
internal sealed class RevokeSessionsAction(AzureSessions sessions) : DirectoryAction(sessions)
{
    public override ActionDefinition Definition { get; } = Directory(new("azure-revoke-sessions", "azure", "Revoke the user's sign-in sessions",
        "Invalidates every refresh token and browser session cookie issued to the user (Microsoft Graph POST /users/{id}/revokeSignInSessions), by moving signInSessionsValidFromDateTime to now.",
        UserType, UserPattern, ContainmentStage.CutCredentials, ActionImpact.High, AffectsAvailability: false, Undoable: false,
        "Revoked sessions cannot be restored: the user signs in again.", ["GET /users/{id}", "POST /users/{id}/revokeSignInSessions"], []));

    protected override async Task<ActionPlan> PlanAsync(AzureSession session, ActionTarget target, CancellationToken cancellationToken)
    {
        var user = await ReadUserAsync(session, target.Resource, cancellationToken);
        var risks = new List<SafetyRisk>
        {
            new("access-tokens-live", "Access tokens already issued stay valid until they expire (up to about an hour), except in apps with continuous access evaluation.",
                "Disable the user (azure-disable-user) as well if the attacker must be out at once."),
            new("password-still-known", "Whoever holds the password (and an MFA method) signs in again at once.",
                "Reset the password, remove MFA methods the attacker registered, or disable the user."),
        };
        if (OnPremisesRisk(user) is { } onPremises) risks.Add(onPremises);
        var id = user.Id ?? target.Resource;
        PlannedCall call = new("graph", "POST /users/{id}/revokeSignInSessions", Map(("id", id)),
            $"{user.UserPrincipalName}: every refresh token and session cookie issued before now stops working");
        return new ActionPlan($"Revoke the sign-in sessions of {user.UserPrincipalName}.", [call], [call.Change], false, Definition.UndoDescription, risks, SafeOrder(), UserState(user));
    }

    protected override async Task<ActionOutcome> ExecuteAsync(AzureSession session, ActionTarget target, ActionPlan plan, CancellationToken cancellationToken)
    {
        var id = plan.Calls[0].Parameters["id"];
        return Outcome([await CallAsync("POST /users/{id}/revokeSignInSessions", id, async () =>
        {
            var response = await session.Graph.Users[id].RevokeSignInSessions.PostAsRevokeSignInSessionsPostResponseAsync(cancellationToken: cancellationToken);
            return response?.Value == true ? "sessions revoked" : "Graph answered without confirming (value was not true)";
        })]);
    }

    protected override async Task<IReadOnlyList<VerificationCheck>> VerifyAsync(AzureSession session, ActionTarget target, ActionPlan plan, ActionOutcome outcome, CancellationToken cancellationToken)
    {
        var user = await ReadUserAsync(session, plan.State["id"] is { Length: > 0 } id ? id : target.Resource, cancellationToken);
        var before = DateTimeOffset.TryParse(plan.State.GetValueOrDefault("signInSessionsValidFromDateTime"), out var b) ? b : (DateTimeOffset?)null;
        var after = user.SignInSessionsValidFromDateTime;
        return [new VerificationCheck($"{user.UserPrincipalName} signInSessionsValidFromDateTime", $"later than {before?.ToString("O") ?? "(none)"}",
            after?.ToString("O") ?? "(none)", after is { } a && (before is null || a > before))];
    }
}

/// <summary>
/// Cut credentials: every client secret and certificate of an application or service principal goes. The key ids,
/// hints and names are recorded; secret values never are (Graph does not return them, and nothing here would copy them).
/// </summary>
internal sealed class RemoveAppCredentialsAction(AzureSessions sessions) : DirectoryAction(sessions)
{
    private static readonly string[] Fields = ["id", "appId", "displayName", "passwordCredentials", "keyCredentials"];

    public override ActionDefinition Definition { get; } = Directory(new("azure-remove-app-credentials", "azure", "Remove the application's secrets and certificates",
        "Lists the client secrets (passwordCredentials) and certificates (keyCredentials) of an application or service principal and removes them all: removePassword per secret, and a PATCH of keyCredentials to an empty list (removeKey would need a proof signed by a key Firebreak does not hold). Workloads signing in with them stop.",
        "Entra application or service principal object id", "^" + GuidPattern + "$", ContainmentStage.CutCredentials, ActionImpact.High, AffectsAvailability: true, Undoable: false,
        "Cannot be undone: removed secrets and certificates are gone. Issue new ones (addPassword, or upload a certificate) after recovery.",
        ["GET /applications/{id} | /servicePrincipals/{id}", "POST …/removePassword", "PATCH …/{id} keyCredentials"],
        [new ActionInput("objectType", ActionInputType.Text, true, "application or servicePrincipal: which kind of object the id names.")]));

    protected override async Task<ActionPlan> PlanAsync(AzureSession session, ActionTarget target, CancellationToken cancellationToken)
    {
        var kind = Kind(target);
        var (name, passwords, keys) = await ReadAsync(kind, session, target.Resource, cancellationToken);
        var path = Path(kind);
        var calls = passwords.Select(p => new PlannedCall("graph", $"POST /{path}/{{id}}/removePassword", Map(("id", target.Resource), ("keyId", p.KeyId?.ToString() ?? "")),
            $"removes client secret {Describe(p)}")).ToList();
        if (keys.Count > 0)
            calls.Add(new PlannedCall("graph", $"PATCH /{path}/{{id}}", Map(("id", target.Resource), ("keyCredentials", "[]"), ("keyIds", string.Join(",", keys.Select(k => k.KeyId)))),
                $"removes {keys.Count} certificate(s): {string.Join("; ", keys.Select(Describe))}"));
        var risks = new List<SafetyRisk>
        {
            new("workloads-stop", $"Every workload that signs in as {name} with these credentials fails from now on.", "Tell the owners; issue new credentials once the incident allows."),
            new("other-credentials", kind == "application"
                    ? "Federated identity credentials, and the credentials of the application's service principal, are not touched by this action."
                    : "Credentials on the application object behind this service principal are not touched by this action.",
                kind == "application" ? "Check /applications/{id}/federatedIdentityCredentials and run the action on the service principal too."
                    : "Run the action on the application object too (objectType=application)."),
        };
        var state = Map(("objectType", kind), ("displayName", name), ("passwordKeyIds", string.Join(",", passwords.Select(p => p.KeyId))), ("keyKeyIds", string.Join(",", keys.Select(k => k.KeyId))));
        var summary = calls.Count == 0 ? $"{name} has no client secret or certificate; nothing to remove."
            : $"Remove {passwords.Count} client secret(s) and {keys.Count} certificate(s) of {kind} {name}.";
        return new ActionPlan(summary, calls, calls.Select(c => c.Change).ToList(), false, Definition.UndoDescription, risks, SafeOrder(), state);
    }

    protected override async Task<ActionOutcome> ExecuteAsync(AzureSession session, ActionTarget target, ActionPlan plan, CancellationToken cancellationToken)
    {
        var kind = plan.State["objectType"];
        var calls = new List<CallResult>();
        var output = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var call in plan.Calls.Where(c => c.Operation.EndsWith("/removePassword", StringComparison.Ordinal)))
        {
            var keyId = Guid.Parse(call.Parameters["keyId"]);
            var result = await CallAsync(call.Operation, $"{target.Resource} secret {keyId}", async () =>
            {
                if (kind == "application")
                    await session.Graph.Applications[target.Resource].RemovePassword.PostAsync(new Microsoft.Graph.Applications.Item.RemovePassword.RemovePasswordPostRequestBody { KeyId = keyId }, cancellationToken: cancellationToken);
                else
                    await session.Graph.ServicePrincipals[target.Resource].RemovePassword.PostAsync(new Microsoft.Graph.ServicePrincipals.Item.RemovePassword.RemovePasswordPostRequestBody { KeyId = keyId }, cancellationToken: cancellationToken);
                return "secret removed";
            });
            if (result.Succeeded) output[$"removed-secret:{keyId}"] = call.Change["removes client secret ".Length..];
            calls.Add(result);
        }
        if (plan.Calls.FirstOrDefault(c => c.Operation.StartsWith("PATCH", StringComparison.Ordinal)) is { } patch)
        {
            var result = await CallAsync(patch.Operation, $"{target.Resource} certificates", async () =>
            {
                if (kind == "application")
                    await session.Graph.Applications[target.Resource].PatchAsync(new Application { KeyCredentials = [] }, cancellationToken: cancellationToken);
                else
                    await session.Graph.ServicePrincipals[target.Resource].PatchAsync(new ServicePrincipal { KeyCredentials = [] }, cancellationToken: cancellationToken);
                return "keyCredentials emptied";
            });
            if (result.Succeeded)
                foreach (var keyId in patch.Parameters["keyIds"].Split(',', StringSplitOptions.RemoveEmptyEntries)) output[$"removed-certificate:{keyId}"] = "removed";
            calls.Add(result);
        }
        return Outcome(calls, output: output);
    }

    protected override async Task<IReadOnlyList<VerificationCheck>> VerifyAsync(AzureSession session, ActionTarget target, ActionPlan plan, ActionOutcome outcome, CancellationToken cancellationToken)
    {
        var (name, passwords, keys) = await ReadAsync(plan.State["objectType"], session, target.Resource, cancellationToken);
        return
        [
            new VerificationCheck($"{name} client secrets", "none", passwords.Count == 0 ? "none" : string.Join("; ", passwords.Select(Describe)), passwords.Count == 0),
            new VerificationCheck($"{name} certificates", "none", keys.Count == 0 ? "none" : string.Join("; ", keys.Select(Describe)), keys.Count == 0),
        ];
    }

    private static string Kind(ActionTarget target) => target.Input("objectType") switch
    {
        "application" => "application",
        "servicePrincipal" => "servicePrincipal",
        _ => throw new ValidationFailedException("inputs.objectType", "inputs.objectType must be application or servicePrincipal."),
    };

    private static string Path(string kind) => kind == "application" ? "applications" : "servicePrincipals";

    private static async Task<(string Name, List<PasswordCredential> Passwords, List<KeyCredential> Keys)> ReadAsync(string kind, AzureSession session, string id, CancellationToken cancellationToken)
    {
        if (kind == "application")
        {
            var app = await ReadAsync("GET /applications/{id}", () => session.Graph.Applications[id].GetAsync(r => r.QueryParameters.Select = Fields, cancellationToken))
                ?? throw new CloudCallException("GET /applications/{id}", "Request_ResourceNotFound", $"Application {id} was not found.");
            return ($"{app.DisplayName} (appId {app.AppId})", app.PasswordCredentials ?? [], app.KeyCredentials ?? []);
        }
        var sp = await ReadAsync("GET /servicePrincipals/{id}", () => session.Graph.ServicePrincipals[id].GetAsync(r => r.QueryParameters.Select = Fields, cancellationToken))
            ?? throw new CloudCallException("GET /servicePrincipals/{id}", "Request_ResourceNotFound", $"Service principal {id} was not found.");
        return ($"{sp.DisplayName} (appId {sp.AppId})", sp.PasswordCredentials ?? [], sp.KeyCredentials ?? []);
    }

    // Only what identifies a credential: its id, name, the three-character hint Graph shows, and its expiry. Never secretText or key.
    private static string Describe(PasswordCredential p) =>
        $"{p.KeyId} '{p.DisplayName}' (hint {p.Hint ?? "-"}, expires {p.EndDateTime?.ToString("yyyy-MM-dd") ?? "never"})";

    private static string Describe(KeyCredential k) =>
        $"{k.KeyId} '{k.DisplayName}' ({k.Type} {k.Usage}, expires {k.EndDateTime?.ToString("yyyy-MM-dd") ?? "never"})";
}
