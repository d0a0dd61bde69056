using Firebreak.Core.Incidents;
using Firebreak.Core.Investigation;
using Firebreak.Core.Persistence;
using Microsoft.EntityFrameworkCore;

namespace Firebreak.Core.PostMortem;

public sealed record PhaseDuration(Phase Phase, TimeSpan Duration);

/// <summary>
/// An incident's response times, computed from its record. Every interval is null when one of its ends
/// is not known yet (an incident not yet contained has no time to contain).
/// </summary>
public sealed record IncidentMetrics(
    string Reference,
    DateTimeOffset? FirstMaliciousActivity,
    DateTimeOffset FirstAlert,
    TimeSpan? TimeToDetect,
    TimeSpan? TimeToEscalate,
    TimeSpan? TimeToContain,
    TimeSpan? TimeToEradicate,
    TimeSpan? TimeToRecover,
    IReadOnlyList<PhaseDuration> TimeInPhase);

public sealed class MetricsService(IDbContextFactory<FirebreakDbContext> factory, TimeProvider time)
{
    public async Task<IncidentMetrics> ForIncidentAsync(string incidentKey, CancellationToken cancellationToken = default)
    {
        await using var db = await factory.CreateDbContextAsync(cancellationToken);
        var incident = await IncidentLookup.FindAsync(db, incidentKey, cancellationToken, track: false);
        var timeline = await db.TimelineEntries.AsNoTracking().Where(t => t.IncidentId == incident.Id)
            .Select(t => new { t.Kind, t.EventTime, t.DiscoveredAt }).ToListAsync(cancellationToken);
        var transitions = await db.PhaseTransitions.AsNoTracking().Where(t => t.IncidentId == incident.Id)
            .Select(t => new { t.To, t.At }).ToListAsync(cancellationToken);
        return Compute(incident, timeline.Select(t => (t.Kind, t.EventTime, t.DiscoveredAt)).ToList(),
            transitions.Select(t => (t.To, t.At)).OrderBy(t => t.At).ToList(), time.GetUtcNow());
    }

    /// <summary>
    /// Time to detect runs from the first activity on the timeline to the first alert about it (the
    /// earliest time a tool detected an alert on the timeline, else the incident's detected time). The
    /// other times run from detection to each milestone. Time in each phase adds up every stay in it.
    /// </summary>
    internal static IncidentMetrics Compute(Incident incident, IReadOnlyList<(TimelineKind Kind, DateTimeOffset EventTime, DateTimeOffset? DiscoveredAt)> timeline,
        IReadOnlyList<(Phase To, DateTimeOffset At)> transitions, DateTimeOffset now)
    {
        DateTimeOffset? firstActivity = timeline.Count == 0 ? null : timeline.Min(t => t.EventTime);
        var alertTimes = timeline.Where(t => t.Kind == TimelineKind.Alert).Select(t => t.DiscoveredAt ?? t.EventTime).ToList();
        var firstAlert = alertTimes.Count == 0 ? incident.DetectedAt : alertTimes.Min();
        TimeSpan? Since(DateTimeOffset? from, DateTimeOffset? to) => from is { } f && to is { } t ? t - f : null;

        var durations = new Dictionary<Phase, TimeSpan>();
        var phase = Phase.DetectionAndAnalysis;
        var since = incident.CreatedAt;
        foreach (var (to, at) in transitions)
        {
            durations[phase] = durations.GetValueOrDefault(phase) + (at - since);
            phase = to;
            since = at;
        }
        if (phase != Phase.Closed) durations[phase] = durations.GetValueOrDefault(phase) + (now - since);

        return new IncidentMetrics(
            incident.Reference, firstActivity, firstAlert,
            firstActivity is null ? null : firstAlert - firstActivity,
            Since(incident.DetectedAt, incident.EscalatedAt),
            Since(incident.DetectedAt, incident.ContainedAt),
            Since(incident.DetectedAt, incident.EradicatedAt),
            Since(incident.DetectedAt, incident.RecoveredAt),
            durations.OrderBy(d => d.Key).Select(d => new PhaseDuration(d.Key, d.Value)).ToList());
    }
}
