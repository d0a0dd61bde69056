using Firebreak.Core.Incidents;

namespace Firebreak.Core.Alerts;

/// <summary>Promote alerts to a new incident; every field is optional and defaults from the alerts.</summary>
public sealed record PromoteCommand(
    IReadOnlyList<Guid> AlertIds,
    string? Title = null,
    Severity? Severity = null,
    IncidentCategory? Category = null,
    string? Summary = null);

public sealed record MergeCommand(IReadOnlyList<Guid> AlertIds, string Incident);

public sealed record EscalationView(Guid Id, Guid IncidentId, string IncidentReference, bool CreatedIncident, IReadOnlyList<Guid> AlertIds,
    string By, DateTimeOffset At, string? RuleName, DateTimeOffset? UndoneAt, string? UndoneBy);
