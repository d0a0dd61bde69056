using System.Text.Json.Serialization;
using Firebreak.Core.Common;

namespace Firebreak.Core.Response;

/// <summary>
/// One response action on an incident, from its plan to its undo: who asked and why, who approved, the plan
/// as it was shown, what each call did, the verification, and the data needed to undo it.
/// </summary>
public sealed class ResponseAction : ITenantOwned, IVersioned, IIncidentOwned
{
    public Guid Id { get; set; } = Guid.CreateVersion7();
    public Guid TenantId { get; set; }
    public Guid IncidentId { get; set; }

    public required string ActionName { get; set; }
    public required string Provider { get; set; }
    public required string Account { get; set; }
    public required string Region { get; set; }
    public required string Resource { get; set; }
    public Dictionary<string, string> Inputs { get; set; } = [];

    public ActionImpact Impact { get; set; }
    public AssetCriticality Criticality { get; set; }
    public ContainmentChoice Choice { get; set; }
    public required string ChoiceReason { get; set; }
    public required string BusinessImpact { get; set; }
    public required string Reason { get; set; }
    public bool RequiresApproval { get; set; }

    /// <summary>The plan as shown to whoever approved it (JSON of <see cref="ActionPlan"/>).</summary>
    public required string Plan { get; set; }

    /// <summary>Steps of the safe order still missing on this resource when planned.</summary>
    public List<string> Warnings { get; set; } = [];

    public ActionStatus Status { get; set; }
    public required string RequestedBy { get; set; }

    /// <summary>user:&lt;id&gt; or api-key:&lt;id&gt;: who may not approve their own request.</summary>
    public required string RequestedByPrincipal { get; set; }
    public DateTimeOffset RequestedAt { get; set; }
    public string? ApprovedBy { get; set; }
    public string? ApprovedByPrincipal { get; set; }
    public DateTimeOffset? ApprovedAt { get; set; }
    public string? ApprovalComment { get; set; }
    public string? RanBy { get; set; }
    public DateTimeOffset? StartedAt { get; set; }
    public DateTimeOffset? CompletedAt { get; set; }

    /// <summary>JSON of the call results of the run.</summary>
    public string? Results { get; set; }
    public string? Verification { get; set; }
    public bool? Verified { get; set; }
    public Dictionary<string, string> UndoData { get; set; } = [];
    public Dictionary<string, string> Output { get; set; } = [];

    public string? UndoneBy { get; set; }
    public DateTimeOffset? UndoneAt { get; set; }
    public string? UndoReason { get; set; }
    public string? UndoResults { get; set; }

    /// <summary>When the server found the action still running at its start, and the new action that re-planned it.</summary>
    public DateTimeOffset? InterruptedAt { get; set; }
    public Guid? ReplannedAs { get; set; }

    public long Version { get; set; }
}

[JsonConverter(typeof(StrictEnumConverter<ActionStatus>))]
public enum ActionStatus
{
    [JsonStringEnumMemberName("planned")] Planned = 0,
    [JsonStringEnumMemberName("awaiting-approval")] AwaitingApproval = 1,
    [JsonStringEnumMemberName("approved")] Approved = 2,
    [JsonStringEnumMemberName("running")] Running = 3,
    [JsonStringEnumMemberName("succeeded")] Succeeded = 4,
    [JsonStringEnumMemberName("failed")] Failed = 5,
    [JsonStringEnumMemberName("partially-failed")] PartiallyFailed = 6,
    [JsonStringEnumMemberName("undone")] Undone = 7,

    /// <summary>Was running when the server stopped: what the cloud holds comes from the verification made at the next start.</summary>
    [JsonStringEnumMemberName("interrupted")] Interrupted = 8,
}

/// <summary>How much the business depends on the asset; drives the business impact a plan shows.</summary>
[JsonConverter(typeof(StrictEnumConverter<AssetCriticality>))]
public enum AssetCriticality
{
    [JsonStringEnumMemberName("low")] Low = 0,
    [JsonStringEnumMemberName("medium")] Medium = 1,
    [JsonStringEnumMemberName("high")] High = 2,
    [JsonStringEnumMemberName("critical")] Critical = 3,
}

/// <summary>
/// The explicit trade-off every plan needs: contain now and accept the loss of availability, or keep the
/// service running and accept the risk of further data loss.
/// </summary>
[JsonConverter(typeof(StrictEnumConverter<ContainmentChoice>))]
public enum ContainmentChoice
{
    [JsonStringEnumMemberName("contain-accept-downtime")] ContainAcceptDowntime = 0,
    [JsonStringEnumMemberName("stay-available-accept-data-risk")] StayAvailableAcceptDataRisk = 1,
}
