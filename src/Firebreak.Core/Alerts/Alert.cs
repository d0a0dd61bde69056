using System.Text.Json.Serialization;
using Firebreak.Core.Common;

namespace Firebreak.Core.Alerts;

/// <summary>
/// A stored alert. A repeat of the same alert (same source and reference, or same content fingerprint)
/// updates this row — occurrence count, last seen, latest payload — and never adds a second one.
/// </summary>
public sealed class Alert : ITenantOwned, IVersioned
{
    public Guid Id { get; set; } = Guid.CreateVersion7();
    public Guid TenantId { get; set; }

    /// <summary>SHA-256 (hex) of the source and reference, or of the content fingerprint when there is no reference.</summary>
    public required string DedupKey { get; set; }
    public required string Source { get; set; }
    public string? SourceReference { get; set; }
    public required string Format { get; set; }

    public required string Title { get; set; }
    public string? Description { get; set; }
    public AlertSeverity Severity { get; set; }
    public string? OriginalSeverity { get; set; }

    public DateTimeOffset? DetectedAt { get; set; }
    public DateTimeOffset? FirstSeenAt { get; set; }
    public DateTimeOffset? LastSeenAt { get; set; }

    /// <summary>When Firebreak first and last received it; separate from the tool's own times.</summary>
    public DateTimeOffset ReceivedAt { get; set; }
    public DateTimeOffset LastReceivedAt { get; set; }
    public int OccurrenceCount { get; set; } = 1;

    public string? Category { get; set; }
    public List<string> Techniques { get; set; } = [];
    public string? Provider { get; set; }
    public string? Account { get; set; }
    public string? Region { get; set; }
    public List<string> Resources { get; set; } = [];
    public List<AlertEntity> Principals { get; set; } = [];
    public List<AlertEntity> Observables { get; set; } = [];

    /// <summary>The latest payload, verbatim.</summary>
    public required string RawPayload { get; set; }

    public TriageState TriageState { get; set; } = TriageState.New;
    public string? TriagedBy { get; set; }
    public DateTimeOffset? TriagedAt { get; set; }
    public string? TriageReason { get; set; }

    /// <summary>The suppression rule that matched when it arrived; the alert is kept and counted, only hidden from the queue.</summary>
    public Guid? SuppressedByRuleId { get; set; }

    public Guid? IncidentId { get; set; }

    /// <summary>When escalation rules were applied; null until then.</summary>
    public DateTimeOffset? RulesCheckedAt { get; set; }
    public long Version { get; set; }
}

[JsonConverter(typeof(StrictEnumConverter<TriageState>))]
public enum TriageState
{
    [JsonStringEnumMemberName("new")] New = 0,
    [JsonStringEnumMemberName("acknowledged")] Acknowledged = 1,
    [JsonStringEnumMemberName("false-positive")] FalsePositive = 2,
    [JsonStringEnumMemberName("benign-true-positive")] BenignTruePositive = 3,
    [JsonStringEnumMemberName("escalated")] Escalated = 4,
}

/// <summary>An Idempotency-Key already answered: a retry gets the same alert ids, and nothing is ingested twice.</summary>
[NotAudited]
public sealed class IntakeReceipt : ITenantOwned
{
    public Guid TenantId { get; set; }
    public required string Key { get; set; }
    public required string AlertIds { get; set; }
    public DateTimeOffset At { get; set; }
}
