using System.Text.Json;

namespace Firebreak.Core.Scope;

/// <summary>A credential-issuing event as read from the store: the flat columns and the raw record.</summary>
internal sealed record ChainEvent(long Id, string EventId, DateTimeOffset Time, string Provider, string Operation, string? Principal,
    string? AccessKeyId, string? Account, string? Resource, string Raw);

/// <summary>One link a credential-issuing event makes: from the caller's credential to what it obtained.</summary>
internal sealed record ChainLink(ScopeEntityKind FromKind, string From, ScopeEntityKind ToKind, string To, string ToType, ScopeRelation Relation,
    DateTimeOffset Time, string EventId);

/// <summary>
/// Reads the links of credential chains out of the few events that make them: STS (AssumeRole,
/// AssumeRoleWithSAML, AssumeRoleWithWebIdentity, GetFederationToken, GetSessionToken), IAM identity and
/// key creation, GCP service-account impersonation and key creation, Entra ID user, service-principal and
/// credential changes. Only these events' raw records are parsed.
/// </summary>
internal static class CredentialChains
{
    public static readonly string[] Operations =
    [
        "AssumeRole", "AssumeRoleWithSAML", "AssumeRoleWithWebIdentity", "GetFederationToken", "GetSessionToken",
        "CreateAccessKey", "CreateUser", "CreateRole", "CreateLoginProfile", "UpdateLoginProfile",
        "google.iam.admin.v1.CreateServiceAccount", "google.iam.admin.v1.CreateServiceAccountKey", "CreateServiceAccount", "CreateServiceAccountKey",
        "GenerateAccessToken", "GenerateIdToken", "SignBlob", "SignJwt",
        "google.iam.credentials.v1.IAMCredentials.GenerateAccessToken", "google.iam.credentials.v1.IAMCredentials.GenerateIdToken",
        "Add user", "Add service principal", "Add service principal credentials", "Update application – Certificates and secrets management",
        "Reset user password", "Reset password (by admin)",
    ];

    public static IEnumerable<ChainLink> Links(ChainEvent e)
    {
        var fromKind = e.AccessKeyId is null ? ScopeEntityKind.Principal : ScopeEntityKind.AccessKey;
        var from = e.AccessKeyId ?? e.Principal;
        if (from is null) return [];
        if (e.Provider == "azure")
        {
            // Entra audit names the target user or service principal as the first resource; no raw record needed.
            return e.Resource is { } target
                ? [new ChainLink(fromKind, from, ScopeEntityKind.Principal, target, e.Operation.Contains("user", StringComparison.OrdinalIgnoreCase) ? "user" : "service-principal",
                    ScopeRelation.Created, e.Time, e.EventId)]
                : [];
        }
        try
        {
            using var doc = JsonDocument.Parse(e.Raw);
            return e.Provider == "gcp" ? Gcp(e, fromKind, from, doc.RootElement).ToList() : Aws(e, fromKind, from, doc.RootElement).ToList();
        }
        catch (JsonException)
        {
            return [];
        }
    }

    private static IEnumerable<ChainLink> Aws(ChainEvent e, ScopeEntityKind fromKind, string from, JsonElement record)
    {
        var request = Obj(record, "requestParameters");
        var response = Obj(record, "responseElements");
        var newKey = Str(Obj(response, "credentials"), "accessKeyId");
        ChainLink Link(ScopeEntityKind kind, string to, string type, ScopeRelation relation, ScopeEntityKind? sourceKind = null, string? source = null) =>
            new(sourceKind ?? fromKind, source ?? from, kind, to, type, relation, e.Time, e.EventId);

        switch (e.Operation)
        {
            case "AssumeRole" or "AssumeRoleWithSAML" or "AssumeRoleWithWebIdentity":
            {
                var session = Str(Obj(response, "assumedRoleUser"), "arn");
                var role = Str(request, "roleArn");
                var relation = e.Operation == "AssumeRole" ? ScopeRelation.Assumed : ScopeRelation.Federated;
                if (session is not null)
                {
                    yield return Link(ScopeEntityKind.Principal, session, "session", relation);
                    if (role is not null) yield return Link(ScopeEntityKind.Principal, role, "role", ScopeRelation.SessionOf, ScopeEntityKind.Principal, session);
                    if (newKey is not null) yield return Link(ScopeEntityKind.AccessKey, newKey, "access-key", ScopeRelation.IssuedKey, ScopeEntityKind.Principal, session);
                }
                else if (newKey is not null)
                {
                    yield return Link(ScopeEntityKind.AccessKey, newKey, "access-key", ScopeRelation.IssuedKey);
                }
                break;
            }
            case "GetFederationToken":
            {
                var federated = Str(Obj(response, "federatedUser"), "arn");
                if (federated is not null)
                {
                    yield return Link(ScopeEntityKind.Principal, federated, "federated", ScopeRelation.Federated);
                    if (newKey is not null) yield return Link(ScopeEntityKind.AccessKey, newKey, "access-key", ScopeRelation.IssuedKey, ScopeEntityKind.Principal, federated);
                }
                break;
            }
            case "GetSessionToken":
                if (newKey is not null) yield return Link(ScopeEntityKind.AccessKey, newKey, "access-key", ScopeRelation.IssuedKey);
                break;
            case "CreateAccessKey":
            {
                var created = Str(Obj(response, "accessKey"), "accessKeyId");
                if (created is not null) yield return Link(ScopeEntityKind.AccessKey, created, "access-key", ScopeRelation.Created);
                break;
            }
            case "CreateUser":
            {
                var user = Str(Obj(response, "user"), "arn") ?? UserArn(e.Account, Str(request, "userName"));
                if (user is not null) yield return Link(ScopeEntityKind.Principal, user, "user", ScopeRelation.Created);
                break;
            }
            case "CreateRole":
            {
                var role = Str(Obj(response, "role"), "arn") ?? (e.Account is { } account && Str(request, "roleName") is { } name ? $"arn:aws:iam::{account}:role/{name}" : null);
                if (role is not null) yield return Link(ScopeEntityKind.Principal, role, "role", ScopeRelation.Created);
                break;
            }
            case "CreateLoginProfile" or "UpdateLoginProfile":
            {
                // A console password the caller chose: whoever set it can sign in as that user.
                var user = UserArn(e.Account, Str(request, "userName"));
                if (user is not null && user != e.Principal) yield return Link(ScopeEntityKind.Principal, user, "user", ScopeRelation.Created);
                break;
            }
        }
    }

    private static IEnumerable<ChainLink> Gcp(ChainEvent e, ScopeEntityKind fromKind, string from, JsonElement record)
    {
        var payload = Obj(record, "protoPayload");
        var response = Obj(payload, "response");
        var verb = OperationVerbs.Verb(e.Operation);
        var target = ServiceAccountOf(Str(payload, "resourceName") ?? e.Resource);
        switch (verb)
        {
            case "GenerateAccessToken" or "GenerateIdToken" or "SignBlob" or "SignJwt" when target is not null:
                yield return new ChainLink(fromKind, from, ScopeEntityKind.Principal, target, "service-account", ScopeRelation.Impersonated, e.Time, e.EventId);
                break;
            case "CreateServiceAccount":
                if ((Str(response, "email") ?? ServiceAccountOf(Str(response, "name"))) is { } account)
                    yield return new ChainLink(fromKind, from, ScopeEntityKind.Principal, account, "service-account", ScopeRelation.Created, e.Time, e.EventId);
                break;
            case "CreateServiceAccountKey":
                // Requests signed with the key name it as authenticationInfo.serviceAccountKeyName, in full resource-name form.
                if (Str(response, "name") is { } key)
                    yield return new ChainLink(fromKind, from, ScopeEntityKind.AccessKey, key.StartsWith("//", StringComparison.Ordinal) ? key : "//iam.googleapis.com/" + key,
                        "service-account-key", ScopeRelation.Created, e.Time, e.EventId);
                break;
        }
    }

    /// <summary>The e-mail out of projects/-/serviceAccounts/EMAIL[/keys/ID].</summary>
    internal static string? ServiceAccountOf(string? resourceName)
    {
        if (resourceName is null) return null;
        const string marker = "/serviceAccounts/";
        var at = resourceName.IndexOf(marker, StringComparison.Ordinal);
        if (at < 0) return null;
        var rest = resourceName[(at + marker.Length)..];
        var slash = rest.IndexOf('/');
        var account = slash < 0 ? rest : rest[..slash];
        return account.Contains('@', StringComparison.Ordinal) ? account : null;
    }

    private static string? UserArn(string? account, string? userName) =>
        account is null || string.IsNullOrEmpty(userName) ? null : $"arn:aws:iam::{account}:user/{userName}";

    private static JsonElement Obj(JsonElement element, string name) =>
        element.ValueKind == JsonValueKind.Object && element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.Object ? value : default;

    private static string? Str(JsonElement element, string name) =>
        element.ValueKind == JsonValueKind.Object && element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String && value.GetString() is { Length: > 0 } s ? s : null;
}
