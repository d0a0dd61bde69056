namespace Firebreak.Core.Alerts;

public sealed record AlertSummary(
    Guid Id, string Source, string Title, AlertSeverity Severity, TriageState TriageState, int OccurrenceCount,
    DateTimeOffset ReceivedAt, DateTimeOffset LastReceivedAt, string? Provider, string? Account, bool Suppressed, Guid? IncidentId);

public sealed record AlertDetails(
    Guid Id, string Source, string? SourceReference, string Format, string Title, string? Description,
    AlertSeverity Severity, string? OriginalSeverity,
    DateTimeOffset? DetectedAt, DateTimeOffset? FirstSeenAt, DateTimeOffset? LastSeenAt,
    DateTimeOffset ReceivedAt, DateTimeOffset LastReceivedAt, int OccurrenceCount,
    string? Category, IReadOnlyList<string> Techniques, string? Provider, string? Account, string? Region,
    IReadOnlyList<string> Resources, IReadOnlyList<AlertEntity> Principals, IReadOnlyList<AlertEntity> Observables,
    TriageState TriageState, string? TriagedBy, DateTimeOffset? TriagedAt, string? TriageReason,
    Guid? SuppressedByRuleId, Guid? IncidentId, string RawPayload, long Version);

public sealed record AlertQuery(
    TriageState? State = null,
    AlertSeverity? MinSeverity = null,
    string? Source = null,
    string? Text = null,
    bool IncludeSuppressed = false,
    bool OnlySuppressed = false,
    int? Page = null,
    int? PageSize = null);

public sealed record TriageCommand(IReadOnlyList<Guid> AlertIds, TriageState State, string? Reason);

public sealed record FalsePositiveStats(string Source, string? Detection, int Triaged, int FalsePositives, int BenignTruePositives, int Escalated, double FalsePositiveRate);

public sealed record SuppressionRuleView(
    Guid Id, string Name, SuppressionField Field, MatchOperator Operator, string Value, string Reason,
    DateTimeOffset? ExpiresAt, bool Enabled, bool Active, string CreatedBy, DateTimeOffset CreatedAt, int SuppressedAlerts, long Version);

public sealed record CreateSuppressionRule(string Name, SuppressionField Field, MatchOperator Operator, string Value, string Reason, DateTimeOffset? ExpiresAt = null);

public sealed record UpdateSuppressionRule(bool? Enabled = null, DateTimeOffset? ExpiresAt = null, bool ClearExpiry = false, string? Reason = null);
