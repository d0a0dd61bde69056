using System.Text.Json;
using Firebreak.Core.Response;

namespace Firebreak.Cloud.Aws;

/// <summary>Cut credentials: an access key goes inactive (reversible, unlike deleting it).</summary>
internal sealed class DeactivateAccessKeyAction(AwsSessions sessions) : AwsAction(sessions)
{
    public override ActionDefinition Definition { get; } = new("aws-deactivate-access-key", "aws", "Deactivate an access key",
        "Sets the IAM user's access key to Inactive: every request signed with it fails from then on.",
        "access key id", "^(AKIA|ASIA)[A-Z0-9]{16}$", ContainmentStage.CutCredentials, ActionImpact.High, AffectsAvailability: false, Undoable: true,
        "Undo sets the key back to Active.", ["iam:UpdateAccessKey", "iam:ListAccessKeys"],
        [new ActionInput("userName", ActionInputType.Text, true, "The IAM user that owns the key.")]);

    protected override Task<ActionPlan> PlanAsync(AwsSession session, ActionTarget target, CancellationToken cancellationToken)
    {
        var user = target.Input("userName")!;
        return Task.FromResult(new ActionPlan($"Deactivate access key {target.Resource} of {user}.",
            [new PlannedCall("iam", "UpdateAccessKey", Map(("UserName", user), ("AccessKeyId", target.Resource), ("Status", "Inactive")), $"{target.Resource}: Active -> Inactive")],
            [$"{target.Resource}: Active -> Inactive; applications using it stop working"], true, Definition.UndoDescription, [], [], Map(("userName", user))));
    }

    protected override async Task<ActionOutcome> ExecuteAsync(AwsSession session, ActionTarget target, ActionPlan plan, CancellationToken cancellationToken)
    {
        var user = target.Input("userName")!;
        var result = await CallAsync("iam:UpdateAccessKey", target.Resource, async () =>
        {
            await session.Query.CallAsync(QueryService.Iam, "UpdateAccessKey", [new("UserName", user), new("AccessKeyId", target.Resource), new("Status", "Inactive")], cancellationToken);
            return "Inactive";
        });
        return Outcome([result], result.Succeeded ? Map(("status", "Active")) : null);
    }

    /// <summary>The plan only ever deactivates an active key, so undo always sets it back to Active.</summary>
    public override IReadOnlyDictionary<string, string>? UndoDataWithoutOutcome(ActionTarget target, ActionPlan plan) => Map(("status", "Active"));

    protected override async Task<IReadOnlyList<VerificationCheck>> VerifyAsync(AwsSession session, ActionTarget target, ActionPlan plan, ActionOutcome outcome, CancellationToken cancellationToken)
    {
        var keys = await ReadAsync("iam:ListAccessKeys", () => session.Query.CallAsync(QueryService.Iam, "ListAccessKeys", [new("UserName", target.Input("userName")!)], cancellationToken));
        var status = keys.All("member").FirstOrDefault(m => m.First("AccessKeyId") == target.Resource)?.First("Status") ?? "not found";
        return [new VerificationCheck($"{target.Resource} status", "Inactive", status, status == "Inactive")];
    }

    protected override async Task<ActionOutcome> UndoAsync(AwsSession session, ActionTarget target, ActionPlan plan, IReadOnlyDictionary<string, string> undoData, CancellationToken cancellationToken) =>
        Outcome([await CallAsync("iam:UpdateAccessKey", target.Resource, async () =>
        {
            await session.Query.CallAsync(QueryService.Iam, "UpdateAccessKey", [new("UserName", target.Input("userName")!), new("AccessKeyId", target.Resource), new("Status", undoData["status"])], cancellationToken);
            return undoData["status"];
        })]);
}

/// <summary>Cut credentials: the user's console password goes (cannot be put back; a new one can be set).</summary>
internal sealed class DeleteLoginProfileAction(AwsSessions sessions) : AwsAction(sessions)
{
    public override ActionDefinition Definition { get; } = new("aws-delete-login-profile", "aws", "Delete the login profile",
        "Deletes the IAM user's console password, so nobody signs in to the console as that user.",
        "IAM user name", "^[A-Za-z0-9+=,.@_-]{1,64}$", ContainmentStage.CutCredentials, ActionImpact.High, AffectsAvailability: false, Undoable: false,
        "The old password cannot be restored; give the user a new one with iam:CreateLoginProfile after recovery.", ["iam:GetLoginProfile", "iam:DeleteLoginProfile"], []);

    protected override async Task<ActionPlan> PlanAsync(AwsSession session, ActionTarget target, CancellationToken cancellationToken)
    {
        var profile = await ReadAsync("iam:GetLoginProfile", () => session.Query.CallAsync(QueryService.Iam, "GetLoginProfile", [new("UserName", target.Resource)], cancellationToken));
        return new ActionPlan($"Delete the console password of {target.Resource} (created {profile.First("CreateDate")}).",
            [new PlannedCall("iam", "DeleteLoginProfile", Map(("UserName", target.Resource)), $"{target.Resource} can no longer sign in to the console")],
            [$"{target.Resource} can no longer sign in to the console"], false, Definition.UndoDescription, [], [], Map(("createDate", profile.First("CreateDate") ?? "")));
    }

    protected override async Task<ActionOutcome> ExecuteAsync(AwsSession session, ActionTarget target, ActionPlan plan, CancellationToken cancellationToken) =>
        Outcome([await CallAsync("iam:DeleteLoginProfile", target.Resource, async () =>
        {
            await session.Query.CallAsync(QueryService.Iam, "DeleteLoginProfile", [new("UserName", target.Resource)], cancellationToken);
            return "login profile deleted";
        })]);

    protected override async Task<IReadOnlyList<VerificationCheck>> VerifyAsync(AwsSession session, ActionTarget target, ActionPlan plan, ActionOutcome outcome, CancellationToken cancellationToken)
    {
        try
        {
            await session.Query.CallAsync(QueryService.Iam, "GetLoginProfile", [new("UserName", target.Resource)], cancellationToken);
            return [new VerificationCheck("login profile", "absent", "present", false)];
        }
        catch (AwsQueryException e) when (e.Code == "NoSuchEntity")
        {
            return [new VerificationCheck("login profile", "absent", "absent", true)];
        }
    }
}

/// <summary>
/// Cut credentials: an inline policy on the role denies everything to sessions issued before now, so stolen
/// temporary credentials stop working while new sessions (the legitimate workload) still can start.
/// </summary>
internal sealed class RevokeRoleSessionsAction(AwsSessions sessions, TimeProvider time) : AwsAction(sessions)
{
    public const string PolicyName = "FirebreakRevokeOlderSessions";

    public override ActionDefinition Definition { get; } = new("aws-revoke-role-sessions", "aws", "Revoke the role's active sessions",
        "Puts an inline policy on the role that denies every action to sessions whose aws:TokenIssueTime is before now (what the console's 'Revoke active sessions' does).",
        "IAM role name", "^[A-Za-z0-9+=,.@_-]{1,64}$", ContainmentStage.CutCredentials, ActionImpact.High, AffectsAvailability: false, Undoable: true,
        "Undo deletes the inline policy; sessions issued before it still expire on their own.", ["iam:PutRolePolicy", "iam:GetRolePolicy", "iam:DeleteRolePolicy (undo)"], []);

    protected override Task<ActionPlan> PlanAsync(AwsSession session, ActionTarget target, CancellationToken cancellationToken)
    {
        var issuedBefore = time.GetUtcNow().ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", System.Globalization.CultureInfo.InvariantCulture);
        var document = Policy(issuedBefore);
        return Task.FromResult(new ActionPlan($"Deny every session of role {target.Resource} issued before {issuedBefore}.",
            [new PlannedCall("iam", "PutRolePolicy", Map(("RoleName", target.Resource), ("PolicyName", PolicyName), ("PolicyDocument", document)), $"sessions of {target.Resource} issued before {issuedBefore} are denied everything")],
            [$"sessions of {target.Resource} issued before {issuedBefore} are denied everything; new sessions work"], true, Definition.UndoDescription, [], [],
            Map(("issuedBefore", issuedBefore))));
    }

    internal static string Policy(string issuedBefore) => JsonSerializer.Serialize(new Dictionary<string, object>
    {
        ["Version"] = "2012-10-17",
        ["Statement"] = new[]
        {
            new Dictionary<string, object>
            {
                ["Effect"] = "Deny",
                ["Action"] = "*",
                ["Resource"] = "*",
                ["Condition"] = new Dictionary<string, object> { ["DateLessThan"] = new Dictionary<string, string> { ["aws:TokenIssueTime"] = issuedBefore } },
            },
        },
    });

    protected override async Task<ActionOutcome> ExecuteAsync(AwsSession session, ActionTarget target, ActionPlan plan, CancellationToken cancellationToken)
    {
        var call = plan.Calls.Single();
        var result = await CallAsync("iam:PutRolePolicy", target.Resource, async () =>
        {
            await session.Query.CallAsync(QueryService.Iam, "PutRolePolicy",
                [new("RoleName", target.Resource), new("PolicyName", PolicyName), new("PolicyDocument", call.Parameters["PolicyDocument"])], cancellationToken);
            return $"{PolicyName} in place";
        });
        return Outcome([result], result.Succeeded ? Map(("policyName", PolicyName)) : null);
    }

    protected override async Task<IReadOnlyList<VerificationCheck>> VerifyAsync(AwsSession session, ActionTarget target, ActionPlan plan, ActionOutcome outcome, CancellationToken cancellationToken)
    {
        var policy = await ReadAsync("iam:GetRolePolicy", () => session.Query.CallAsync(QueryService.Iam, "GetRolePolicy", [new("RoleName", target.Resource), new("PolicyName", PolicyName)], cancellationToken));
        var document = Uri.UnescapeDataString(policy.First("PolicyDocument") ?? "");
        var ok = document.Contains("aws:TokenIssueTime", StringComparison.Ordinal) && document.Contains(plan.State["issuedBefore"], StringComparison.Ordinal);
        return [new VerificationCheck($"{PolicyName} on {target.Resource}", $"denies sessions issued before {plan.State["issuedBefore"]}", ok ? "present" : "different or missing", ok)];
    }

    protected override async Task<ActionOutcome> UndoAsync(AwsSession session, ActionTarget target, ActionPlan plan, IReadOnlyDictionary<string, string> undoData, CancellationToken cancellationToken) =>
        Outcome([await CallAsync("iam:DeleteRolePolicy", target.Resource, async () =>
        {
            await session.Query.CallAsync(QueryService.Iam, "DeleteRolePolicy", [new("RoleName", target.Resource), new("PolicyName", undoData["policyName"])], cancellationToken);
            return $"{undoData["policyName"]} removed";
        })]);
}

/// <summary>Cut credentials: an inline deny-all policy on a user or role (explicit deny beats every allow).</summary>
internal sealed class AttachDenyAllAction(AwsSessions sessions) : AwsAction(sessions)
{
    public const string PolicyName = "FirebreakDenyAll";
    public const string Document = """{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"*","Resource":"*"}]}""";

    public override ActionDefinition Definition { get; } = new("aws-attach-deny-all", "aws", "Attach a deny-all policy",
        "Puts an inline policy denying every action on the IAM user or role; an explicit deny overrides every allow.",
        "IAM user or role name", "^[A-Za-z0-9+=,.@_-]{1,64}$", ContainmentStage.CutCredentials, ActionImpact.High, AffectsAvailability: true, Undoable: true,
        "Undo deletes the inline policy.", ["iam:PutUserPolicy or iam:PutRolePolicy", "iam:DeleteUserPolicy or iam:DeleteRolePolicy (undo)"],
        [new ActionInput("principalType", ActionInputType.Text, true, "user or role.")]);

    private static (string Put, string Delete, string Get, string NameField) Operations(ActionTarget target) =>
        target.Input("principalType") == "role" ? ("PutRolePolicy", "DeleteRolePolicy", "GetRolePolicy", "RoleName") : ("PutUserPolicy", "DeleteUserPolicy", "GetUserPolicy", "UserName");

    protected override Task<ActionPlan> PlanAsync(AwsSession session, ActionTarget target, CancellationToken cancellationToken)
    {
        if (target.Input("principalType") is not ("user" or "role"))
            throw new Firebreak.Core.Common.ValidationFailedException("inputs.principalType", "inputs.principalType must be user or role.");
        var (put, _, _, field) = Operations(target);
        return Task.FromResult(new ActionPlan($"Deny everything to {target.Input("principalType")} {target.Resource}.",
            [new PlannedCall("iam", put, Map((field, target.Resource), ("PolicyName", PolicyName), ("PolicyDocument", Document)), $"{target.Resource} is denied every action")],
            [$"{target.Resource} is denied every action, including by workloads that use it"], true, Definition.UndoDescription, [], [], Map(("principalType", target.Input("principalType")!))));
    }

    protected override async Task<ActionOutcome> ExecuteAsync(AwsSession session, ActionTarget target, ActionPlan plan, CancellationToken cancellationToken)
    {
        var (put, _, _, field) = Operations(target);
        var result = await CallAsync($"iam:{put}", target.Resource, async () =>
        {
            await session.Query.CallAsync(QueryService.Iam, put, [new(field, target.Resource), new("PolicyName", PolicyName), new("PolicyDocument", Document)], cancellationToken);
            return $"{PolicyName} in place";
        });
        return Outcome([result], result.Succeeded ? Map(("policyName", PolicyName)) : null);
    }

    protected override async Task<IReadOnlyList<VerificationCheck>> VerifyAsync(AwsSession session, ActionTarget target, ActionPlan plan, ActionOutcome outcome, CancellationToken cancellationToken)
    {
        var (_, _, get, field) = Operations(target);
        var policy = await ReadAsync($"iam:{get}", () => session.Query.CallAsync(QueryService.Iam, get, [new(field, target.Resource), new("PolicyName", PolicyName)], cancellationToken));
        var present = policy.First("PolicyName") == PolicyName;
        return [new VerificationCheck($"{PolicyName} on {target.Resource}", "present", present ? "present" : "missing", present)];
    }

    protected override async Task<ActionOutcome> UndoAsync(AwsSession session, ActionTarget target, ActionPlan plan, IReadOnlyDictionary<string, string> undoData, CancellationToken cancellationToken)
    {
        var (_, delete, _, field) = Operations(target);
        return Outcome([await CallAsync($"iam:{delete}", target.Resource, async () =>
        {
            await session.Query.CallAsync(QueryService.Iam, delete, [new(field, target.Resource), new("PolicyName", undoData["policyName"])], cancellationToken);
            return $"{undoData["policyName"]} removed";
        })]);
    }
}
