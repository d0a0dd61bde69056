using System.Linq.Expressions;
using Firebreak.Core.Alerts;
using Firebreak.Core.Incidents;
using Firebreak.Core.Investigation;
using Firebreak.Core.Persistence;
using Microsoft.EntityFrameworkCore;

namespace Firebreak.Core.Indicators;

/// <summary>
/// Keeps an incident's extracted indicators in step with what it holds. Each sync recomputes one
/// source's share (alerts, or events) from scratch, so running it twice changes nothing, and undoing
/// an escalation takes away exactly what those alerts brought: an indicator nobody curated goes when
/// its last alert or event does. Callers run it inside their own transaction and save.
/// </summary>
internal static class IndicatorExtraction
{
    public const string FromAlerts = "alerts";
    public const string FromEvents = "events";

    private sealed record Seen(long Count, DateTimeOffset? First, DateTimeOffset? Last);

    /// <summary>
    /// The principals, resources and observables of the alerts linked to the incident (their artifacts),
    /// and each alert's cloud account. Counts are alerts, times the alerts' activity times.
    /// </summary>
    public static async Task<List<Indicator>> SyncAlertsAsync(FirebreakDbContext db, Guid incidentId, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var incident = await db.Incidents.AsNoTracking().SingleAsync(i => i.Id == incidentId, cancellationToken);
        var alerts = await db.Alerts.AsNoTracking().Where(a => a.IncidentId == incidentId && a.TenantId == incident.TenantId)
            .Select(a => new { a.Id, a.Account, First = a.FirstSeenAt ?? a.DetectedAt ?? a.ReceivedAt, Last = a.LastSeenAt ?? a.DetectedAt ?? a.ReceivedAt })
            .ToListAsync(cancellationToken);
        var times = alerts.ToDictionary(a => a.Id);
        var artifacts = await db.IncidentArtifacts.AsNoTracking().Where(a => a.IncidentId == incidentId && a.SourceAlertId != null)
            .Select(a => new { a.Type, a.Value, AlertId = a.SourceAlertId!.Value }).ToListAsync(cancellationToken);

        var byValue = new Dictionary<IndicatorValue, HashSet<Guid>>();
        void Add(string entityType, string? raw, Guid alertId)
        {
            if (IndicatorValue.FromEntityType(entityType) is not { } type || !IndicatorValue.TryParse(type, raw, out var value, out _)) return;
            if (!byValue.TryGetValue(value, out var ids)) byValue[value] = ids = [];
            ids.Add(alertId);
        }
        foreach (var artifact in artifacts.Where(a => times.ContainsKey(a.AlertId))) Add(artifact.Type, artifact.Value, artifact.AlertId);
        foreach (var alert in alerts) Add(PrincipalTypes.Account, alert.Account, alert.Id);

        var seen = byValue.ToDictionary(p => p.Key, p => new Seen(p.Value.Count, p.Value.Min(id => times[id].First), p.Value.Max(id => times[id].Last)));
        return await ApplyAsync(db, incident, FromAlerts, seen, now, cancellationToken);
    }

    /// <summary>
    /// Source IPs, user agents, access key ids, accounts and principals (as resources) of the incident's
    /// events, one GROUP BY per column over its index, the most frequent <see cref="IndicatorLimits.MaxPerEventColumn"/>
    /// values of each. The events themselves are never read row by row.
    /// </summary>
    public static async Task<List<Indicator>> SyncEventsAsync(FirebreakDbContext db, Guid incidentId, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var incident = await db.Incidents.AsNoTracking().SingleAsync(i => i.Id == incidentId, cancellationToken);
        var events = db.IncidentEvents.AsNoTracking().Where(e => e.IncidentId == incidentId && e.TenantId == incident.TenantId);
        var seen = new Dictionary<IndicatorValue, Seen>();
        await CollectAsync(events.Where(e => e.SourceIp != null), e => e.SourceIp!, IndicatorType.Ip);
        await CollectAsync(events.Where(e => e.UserAgent != null), e => e.UserAgent!, IndicatorType.UserAgent);
        await CollectAsync(events.Where(e => e.AccessKeyId != null), e => e.AccessKeyId!, IndicatorType.AccessKeyId);
        await CollectAsync(events.Where(e => e.Account != null), e => e.Account!, IndicatorType.AccountId);
        await CollectAsync(events.Where(e => e.Principal != null), e => e.Principal!, IndicatorType.Resource);
        return await ApplyAsync(db, incident, FromEvents, seen, now, cancellationToken);

        async Task CollectAsync(IQueryable<IncidentEvent> rows, Expression<Func<IncidentEvent, string>> column, IndicatorType type)
        {
            var groups = await rows.GroupBy(column)
                .Select(g => new { g.Key, Count = g.LongCount(), First = g.Min(e => e.Time), Last = g.Max(e => e.Time) })
                .OrderByDescending(g => g.Count).ThenBy(g => g.Key).Take(IndicatorLimits.MaxPerEventColumn)
                .ToListAsync(cancellationToken);
            foreach (var group in groups)
            {
                // Values that are not indicators of the type ("AWS Internal" as a source address) are left out.
                if (!IndicatorValue.TryParse(type, group.Key, out var value, out _)) continue;
                seen[value] = seen.TryGetValue(value, out var before)
                    ? new Seen(before.Count + group.Count, Indicator.Earlier(before.First, group.First), Indicator.Later(before.Last, group.Last))
                    : new Seen(group.Count, group.First, group.Last);
            }
        }
    }

    /// <summary>Replaces one source's sightings on the incident's indicators; returns the indicators it created.</summary>
    private static async Task<List<Indicator>> ApplyAsync(FirebreakDbContext db, Incident incident, string source, Dictionary<IndicatorValue, Seen> seen,
        DateTimeOffset now, CancellationToken cancellationToken)
    {
        var existing = await db.Indicators.Where(i => i.IncidentId == incident.Id && i.TenantId == incident.TenantId).ToListAsync(cancellationToken);
        var byValue = existing.ToDictionary(i => new IndicatorValue(i.Type, i.Value));
        foreach (var indicator in existing)
        {
            var sighting = seen.GetValueOrDefault(new IndicatorValue(indicator.Type, indicator.Value));
            if (source == FromAlerts)
            {
                var count = (int)(sighting?.Count ?? 0);
                if (indicator.AlertSightings != count || indicator.AlertFirstSeen != sighting?.First || indicator.AlertLastSeen != sighting?.Last)
                {
                    indicator.AlertSightings = count;
                    indicator.AlertFirstSeen = sighting?.First;
                    indicator.AlertLastSeen = sighting?.Last;
                    indicator.UpdatedAt = now;
                }
            }
            else if (indicator.EventSightings != (sighting?.Count ?? 0) || indicator.EventFirstSeen != sighting?.First || indicator.EventLastSeen != sighting?.Last)
            {
                indicator.EventSightings = sighting?.Count ?? 0;
                indicator.EventFirstSeen = sighting?.First;
                indicator.EventLastSeen = sighting?.Last;
                indicator.UpdatedAt = now;
            }
            if (!indicator.Curated && indicator.AlertSightings == 0 && indicator.EventSightings == 0) db.Indicators.Remove(indicator);
        }

        var room = IndicatorLimits.MaxPerIncident - existing.Count;
        var created = new List<Indicator>();
        foreach (var (value, sighting) in seen.Where(s => !byValue.ContainsKey(s.Key)).OrderByDescending(s => s.Value.Count).ThenBy(s => s.Key.ToString(), StringComparer.Ordinal))
        {
            if (created.Count >= room) break;
            var indicator = new Indicator
            {
                TenantId = incident.TenantId,
                IncidentId = incident.Id,
                Type = value.Type,
                Value = value.Value,
                ValueHash = Indicator.Hash(value.Value),
                Tlp = incident.Tlp,
                Pap = incident.Pap,
                AddedBy = source,
                AddedAt = now,
                UpdatedAt = now,
            };
            if (source == FromAlerts)
            {
                indicator.AlertSightings = (int)sighting.Count;
                indicator.AlertFirstSeen = sighting.First;
                indicator.AlertLastSeen = sighting.Last;
            }
            else
            {
                indicator.EventSightings = sighting.Count;
                indicator.EventFirstSeen = sighting.First;
                indicator.EventLastSeen = sighting.Last;
            }
            db.Indicators.Add(indicator);
            created.Add(indicator);
        }
        return created;
    }
}
