namespace Firebreak.Core.Response;

public static class ResponseLimits
{
    public const int ResourceLength = 500;
    public const int MaxInputs = 20;
    public const int InputLength = 2_048;
}

/// <summary>A request to plan one action on one resource of an incident.</summary>
public sealed record PlanAction(
    string Action,
    string Account,
    string Region,
    string Resource,
    AssetCriticality? Criticality,
    ContainmentChoice? Choice,
    string ChoiceReason,
    string Reason,
    Dictionary<string, string>? Inputs = null);

public sealed record ApproveAction(string? Comment = null);

public sealed record UndoAction(string Reason);

public sealed record ResponseActionView(
    Guid Id,
    Guid IncidentId,
    string Action,
    string Title,
    string Provider,
    string Account,
    string Region,
    string Resource,
    IReadOnlyDictionary<string, string> Inputs,
    ContainmentStage Stage,
    ActionImpact Impact,
    AssetCriticality Criticality,
    ContainmentChoice Choice,
    string ChoiceReason,
    string BusinessImpact,
    string Reason,
    bool RequiresApproval,
    ActionPlan Plan,
    IReadOnlyList<string> Warnings,
    ActionStatus Status,
    string RequestedBy,
    DateTimeOffset RequestedAt,
    string? ApprovedBy,
    DateTimeOffset? ApprovedAt,
    string? ApprovalComment,
    string? RanBy,
    DateTimeOffset? StartedAt,
    DateTimeOffset? CompletedAt,
    IReadOnlyList<CallResult> Results,
    IReadOnlyList<VerificationCheck> Verification,
    bool? Verified,
    IReadOnlyDictionary<string, string> UndoData,
    IReadOnlyDictionary<string, string> Output,
    string? UndoneBy,
    DateTimeOffset? UndoneAt,
    string? UndoReason,
    IReadOnlyList<CallResult> UndoResults,
    long Version)
{
    /// <summary>When the server found the action still running at its start (status interrupted).</summary>
    public DateTimeOffset? InterruptedAt { get; init; }

    /// <summary>The action that re-planned this one, if any.</summary>
    public Guid? ReplannedAs { get; init; }
}
