using Firebreak.Core.Common;
using Firebreak.Core.Incidents;
using Firebreak.Core.Investigation;
using Firebreak.Core.Persistence;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Configuration;

namespace Firebreak.Core.Alerts;

public sealed record GroupLink(string Kind, string Type, string Value, int Alerts);

public sealed record AlertGroup(IReadOnlyList<AlertSummary> Alerts, IReadOnlyList<GroupLink> LinkedBy, AlertSeverity Severity,
    DateTimeOffset FirstReceivedAt, DateTimeOffset LastReceivedAt, string SuggestedTitle);

public sealed record SharedValue(string Kind, string Type, string Value);

public sealed record SimilarIncident(Guid Id, string Reference, string Title, Phase Phase, IncidentStatus Status, DateTimeOffset CreatedAt, IReadOnlyList<SharedValue> Shared);

/// <summary>
/// What connects alerts to each other and to incidents: groups of open alerts that share a principal,
/// access key, resource or observable within a time window, and earlier incidents that share them.
/// </summary>
public sealed class AlertCorrelation(IDbContextFactory<FirebreakDbContext> factory, TimeProvider time, IConfiguration configuration)
{
    /// <summary>Groups are computed over at most this many of the newest alerts in the window.</summary>
    public const int MaxAlertsScanned = 20_000;

    public TimeSpan DefaultWindow => TimeSpan.FromHours(configuration.GetValue("Firebreak:Alerts:GroupingWindowHours", 24.0));

    public async Task<IReadOnlyList<AlertGroup>> GroupsAsync(TimeSpan? window = null, CancellationToken cancellationToken = default)
    {
        var span = window ?? DefaultWindow;
        new Checks().That(span > TimeSpan.Zero && span <= TimeSpan.FromDays(30), "window", "window must be between 1 hour and 30 days.").ThrowIfAny();
        var since = time.GetUtcNow() - span;
        await using var db = await factory.CreateDbContextAsync(cancellationToken);
        var alerts = await db.Alerts.AsNoTracking()
            .Where(a => a.LastReceivedAt >= since && a.SuppressedByRuleId == null && a.IncidentId == null
                && (a.TriageState == TriageState.New || a.TriageState == TriageState.Acknowledged))
            .OrderByDescending(a => a.LastReceivedAt).Take(MaxAlertsScanned).ToListAsync(cancellationToken);

        var parent = Enumerable.Range(0, alerts.Count).ToArray();
        int Find(int i) => parent[i] == i ? i : parent[i] = Find(parent[i]);
        var holders = new Dictionary<(string Kind, string Type, string Value), List<int>>();
        for (var i = 0; i < alerts.Count; i++)
        {
            foreach (var key in EscalationService.Artifacts(alerts[i]))
            {
                if (!holders.TryGetValue(key, out var list)) holders[key] = list = [];
                if (list.Count > 0) parent[Find(i)] = Find(list[0]);
                list.Add(i);
            }
        }
        return Enumerable.Range(0, alerts.Count).GroupBy(Find).Where(g => g.Count() > 1).Select(g =>
            {
                var members = g.Select(i => alerts[i]).OrderBy(a => a.ReceivedAt).ToList();
                var set = g.ToHashSet();
                var links = holders.Where(h => h.Value.Count(set.Contains) > 1)
                    .Select(h => new GroupLink(h.Key.Kind, h.Key.Type, h.Key.Value, h.Value.Count(set.Contains)))
                    .OrderByDescending(l => l.Alerts).ThenBy(l => l.Value, StringComparer.Ordinal).ToList();
                var top = links[0];
                return new AlertGroup(members.Select(AlertService.ToSummary).ToList(), links, members.Max(a => a.Severity),
                    members.Min(a => a.ReceivedAt), members.Max(a => a.LastReceivedAt),
                    $"{members.Count} alerts linked by {top.Type} {top.Value}");
            })
            .OrderByDescending(g => g.Severity).ThenByDescending(g => g.Alerts.Count).ToList();
    }

    /// <summary>Open and past incidents that share a principal, resource or observable with the alert.</summary>
    public async Task<IReadOnlyList<SimilarIncident>> SimilarIncidentsAsync(Guid alertId, CancellationToken cancellationToken = default)
    {
        await using var db = await factory.CreateDbContextAsync(cancellationToken);
        var alert = await db.Alerts.AsNoTracking().SingleOrDefaultAsync(a => a.Id == alertId, cancellationToken)
            ?? throw new NotFoundException("Alert", alertId.ToString());
        var keys = EscalationService.Artifacts(alert).ToList();
        var values = keys.Select(k => k.Value).Distinct().ToList();
        if (values.Count == 0) return [];
        var matches = await db.IncidentArtifacts.AsNoTracking()
            .Where(a => values.Contains(a.Value) && a.IncidentId != alert.IncidentId)
            .Select(a => new { a.IncidentId, a.Kind, a.Type, a.Value }).Distinct().ToListAsync(cancellationToken);
        var wanted = keys.ToHashSet();
        var byIncident = matches.Where(m => wanted.Contains((m.Kind, m.Type, m.Value))).GroupBy(m => m.IncidentId).ToList();
        var ids = byIncident.Select(g => g.Key).ToList();
        var incidents = await db.Incidents.AsNoTracking().Where(i => ids.Contains(i.Id)).ToDictionaryAsync(i => i.Id, cancellationToken);
        return byIncident.Where(g => incidents.ContainsKey(g.Key)).Select(g =>
            {
                var i = incidents[g.Key];
                return new SimilarIncident(i.Id, i.Reference, i.Title, i.Phase, i.Status, i.CreatedAt,
                    g.Select(m => new SharedValue(m.Kind, m.Type, m.Value)).ToList());
            })
            .OrderByDescending(s => s.Shared.Count).ThenBy(s => s.Phase == Phase.Closed).ThenByDescending(s => s.CreatedAt).ToList();
    }
}
