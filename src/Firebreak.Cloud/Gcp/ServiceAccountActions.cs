using System.Text.Json;
using Firebreak.Core.Response;

namespace Firebreak.Cloud.Gcp;

/// <summary>
/// The shape of both IAM actions: read the resource's <c>disabled</c> flag, call <c>:disable</c>, re-read, and
/// <c>:enable</c> to undo. A resource that is already disabled is left alone and nothing is recorded to undo.
/// </summary>
internal abstract class DisableIamResourceAction(GcpSessions sessions) : GcpAction(sessions)
{
    protected abstract string Noun { get; }

    protected abstract string Permission { get; }

    /// <summary>What the plan adds after reading the resource: risks, and a reason to refuse.</summary>
    protected abstract (List<SafetyRisk> Risks, Dictionary<string, string> State) Inspect(ActionTarget target, JsonElement resource);

    protected override async Task<ActionPlan> PlanAsync(GcpSession session, ActionTarget target, CancellationToken cancellationToken)
    {
        var resource = await ReadAsync(() => session.Rest.GetAsync($"iam:{Permission}.get", session.Iam(target.Resource), cancellationToken));
        var (risks, state) = Inspect(target, resource);
        var disabled = resource.Bool("disabled");
        state["disabled"] = disabled ? "true" : "false";
        if (disabled)
            return new ActionPlan($"The {Noun} {target.Resource} is already disabled: no change.", [], ["Nothing changes: it is already disabled."], false,
                "Nothing is changed, so nothing is undone.", risks, [], state);
        var change = $"{target.Resource}: enabled -> disabled";
        return new ActionPlan($"Disable the {Noun} {target.Resource}.",
            [new PlannedCall("iam", $"{Permission}.disable", Map(("name", target.Resource)), change)],
            [change], true, Definition.UndoDescription, risks, [], state);
    }

    protected override async Task<ActionOutcome> ExecuteAsync(GcpSession session, ActionTarget target, ActionPlan plan, CancellationToken cancellationToken)
    {
        if (plan.Calls.Count == 0) return Outcome([]);
        var result = await CallAsync($"iam:{Permission}.disable", target.Resource, async () =>
        {
            await session.Rest.PostAsync($"iam:{Permission}.disable", session.Iam(target.Resource + ":disable"), null, cancellationToken);
            return "disabled";
        });
        return Outcome([result], result.Succeeded ? Map(("disabled", "false")) : null);
    }

    protected override async Task<IReadOnlyList<VerificationCheck>> VerifyAsync(GcpSession session, ActionTarget target, ActionPlan plan, ActionOutcome outcome, CancellationToken cancellationToken)
    {
        var resource = await ReadAsync(() => session.Rest.GetAsync($"iam:{Permission}.get", session.Iam(target.Resource), cancellationToken));
        var disabled = resource.Bool("disabled");
        return [new VerificationCheck($"{target.Resource} disabled", "true", disabled ? "true" : "false", disabled)];
    }

    protected override async Task<ActionOutcome> UndoAsync(GcpSession session, ActionTarget target, ActionPlan plan, IReadOnlyDictionary<string, string> undoData, CancellationToken cancellationToken)
    {
        if (undoData.GetValueOrDefault("disabled") != "false") return Outcome([]);
        return Outcome([await CallAsync($"iam:{Permission}.enable", target.Resource, async () =>
        {
            await session.Rest.PostAsync($"iam:{Permission}.enable", session.Iam(target.Resource + ":enable"), null, cancellationToken);
            return "enabled again";
        })]);
    }
}

/// <summary>Cut credentials: the service account is disabled; its tokens are rejected and no new ones are issued.</summary>
internal sealed class DisableServiceAccountAction(GcpSessions sessions) : DisableIamResourceAction(sessions)
{
    public override ActionDefinition Definition { get; } = Global(new ActionDefinition("gcp-disable-service-account", "gcp", "Disable the service account",
        "Disables the IAM service account at once: access tokens it already holds are rejected and requests for new ones (keys, impersonation, attached workloads) fail.",
        "GCP service account (projects/P/serviceAccounts/EMAIL)", ServiceAccountPattern, ContainmentStage.CutCredentials, ActionImpact.High,
        AffectsAvailability: true, Undoable: true,
        "Undo enables it again; its existing access tokens are accepted again from then on.",
        ["iam.serviceAccounts.get", "iam.serviceAccounts.disable", "iam.serviceAccounts.enable (undo)"], []));

    protected override string Noun => "service account";

    protected override string Permission => "serviceAccounts";

    protected override (List<SafetyRisk>, Dictionary<string, string>) Inspect(ActionTarget target, JsonElement resource) =>
        ([
            new SafetyRisk("workloads-stop",
                $"Every workload running as {resource.Str("email")} (instances, functions, pipelines, other projects impersonating it) stops being able to call Google APIs.",
                "Check what runs as it first; for one leaked key disable only that key (gcp-disable-service-account-key)."),
            new SafetyRisk("undo-revives-tokens",
                "Enabling it again makes the access tokens issued before the disable valid again until they expire.",
                "Undo only after the attacker's access is otherwise cut, or wait an hour for their tokens to expire."),
        ], Map(("email", resource.Str("email") ?? ""), ("uniqueId", resource.Str("uniqueId") ?? ""), ("displayName", resource.Str("displayName") ?? "")));
}

/// <summary>Cut credentials: one user-managed key of a service account is disabled (reversible, unlike deleting it).</summary>
internal sealed class DisableServiceAccountKeyAction(GcpSessions sessions) : DisableIamResourceAction(sessions)
{
    public override ActionDefinition Definition { get; } = Global(new ActionDefinition("gcp-disable-service-account-key", "gcp", "Disable a service-account key",
        "Disables one user-managed key of a service account: tokens can no longer be obtained with it.",
        "GCP service-account key (projects/P/serviceAccounts/EMAIL/keys/KEYID)", ServiceAccountKeyPattern, ContainmentStage.CutCredentials, ActionImpact.High,
        AffectsAvailability: false, Undoable: true,
        "Undo enables the key again.",
        ["iam.serviceAccountKeys.get", "iam.serviceAccountKeys.disable", "iam.serviceAccountKeys.enable (undo)"], []));

    protected override string Noun => "service-account key";

    protected override string Permission => "serviceAccountKeys";

    protected override (List<SafetyRisk>, Dictionary<string, string>) Inspect(ActionTarget target, JsonElement resource)
    {
        if (resource.Str("keyType") == "SYSTEM_MANAGED")
            throw new CloudCallException("iam:serviceAccountKeys.get", "FAILED_PRECONDITION",
                $"{target.Resource} is a Google-managed key: it cannot be disabled; disable the service account instead.");
        return ([
            new SafetyRisk("issued-tokens",
                "Access tokens already obtained with the key stay valid until they expire (an hour at most).",
                "Disable the service account too (gcp-disable-service-account) to reject tokens already issued."),
            new SafetyRisk("applications-stop", "Applications that authenticate with this key stop working.", "Give them a new key after recovery."),
        ], Map(("keyType", resource.Str("keyType") ?? ""), ("keyOrigin", resource.Str("keyOrigin") ?? ""),
            ("validAfterTime", resource.Str("validAfterTime") ?? ""), ("validBeforeTime", resource.Str("validBeforeTime") ?? "")));
    }
}
