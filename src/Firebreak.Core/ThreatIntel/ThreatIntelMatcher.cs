using System.Globalization;
using System.Text.Json;
using Firebreak.Core.Alerts;
using Firebreak.Core.Identity;
using Firebreak.Core.Indicators;
using Firebreak.Core.Persistence;
using Microsoft.EntityFrameworkCore;

namespace Firebreak.Core.ThreatIntel;

/// <summary>
/// Finds feed indicators in alerts and in incidents' cloud events, records each match once, and raises
/// an alert for it through <see cref="AlertIntake"/> (source threat-intel). Those alerts are never
/// matched again, so a match cannot feed itself. Runs in a scope acting for one tenant.
/// </summary>
public sealed class ThreatIntelMatcher(IDbContextFactory<FirebreakDbContext> factory, IndicatorLookup lookup, AlertIntake intake, TimeProvider time)
{
    public const string AlertSource = "threat-intel";
    private const int ValuesPerQuery = 200;

    /// <summary>Matches newly stored alerts against the tenant's in-memory indicators.</summary>
    public async Task<int> MatchAlertsAsync(Guid tenantId, IReadOnlyList<Alert> alerts, CancellationToken cancellationToken)
    {
        var snapshot = await lookup.GetAsync(tenantId, cancellationToken);
        if (snapshot.Count == 0) return 0;
        var now = time.GetUtcNow();
        var found = new List<Found>();
        foreach (var alert in alerts)
        {
            if (alert.Source == AlertSource) continue;
            foreach (var value in Values(alert))
            {
                foreach (var entry in snapshot.Match(value, now))
                    found.Add(new Found(entry, value.Value, $"alert:{entry.IndicatorId:N}:{alert.Id:N}:{value}", alert.Id, null, null, 1, alert.Title));
            }
        }
        return await RecordAsync(found, cancellationToken);
    }

    /// <summary>
    /// Matches an incident's stored events against the given indicators (all active ones when null),
    /// with lookups on the indexed columns in batches of values.
    /// </summary>
    public async Task<int> MatchIncidentEventsAsync(Guid incidentId, IReadOnlyList<LookupEntry>? indicators, CancellationToken cancellationToken)
    {
        await using var db = await factory.CreateDbContextAsync(cancellationToken);
        var reference = await db.Incidents.Where(i => i.Id == incidentId).Select(i => i.Reference).SingleOrDefaultAsync(cancellationToken);
        if (reference is null) return 0;
        var now = time.GetUtcNow();
        var active = (indicators ?? await IndicatorLookup.ActiveEntries(db).ToListAsync(cancellationToken)).Where(e => e.ActiveAt(now)).ToList();
        if (active.Count == 0) return 0;
        var events = db.IncidentEvents.AsNoTracking().Where(e => e.IncidentId == incidentId);
        var found = new List<Found>();
        foreach (var (type, column) in Columns)
        {
            var byValue = active.Where(e => e.Type == type).ToLookup(e => e.Value, StringComparer.Ordinal);
            foreach (var chunk in byValue.Select(g => g.Key).Chunk(ValuesPerQuery))
            {
                var hits = await Grouped(events, column, chunk)
                    .Select(g => new EventHit(g.Key!, g.Min(e => e.Id), g.Count()))
                    .ToListAsync(cancellationToken);
                foreach (var hit in hits)
                {
                    foreach (var entry in byValue[hit.Value])
                        found.Add(new Found(entry, hit.Value, $"event:{entry.IndicatorId:N}:{incidentId:N}:{hit.Value}", null, incidentId, hit.FirstId, hit.Count, reference));
                }
            }
        }
        var cidrs = active.Where(e => e.Type == IndicatorType.Cidr).ToList();
        if (cidrs.Count > 0)
        {
            // The distinct source addresses come from the (incident, source IP) index; the containment test runs here.
            var addresses = await events.Where(e => e.SourceIp != null).GroupBy(e => e.SourceIp)
                .Select(g => new EventHit(g.Key!, g.Min(e => e.Id), g.Count())).ToListAsync(cancellationToken);
            var snapshot = new IndicatorSnapshot(cidrs);
            foreach (var hit in addresses)
            {
                if (!IndicatorValue.TryParse(IndicatorType.Ip, hit.Value, out var ip, out _)) continue;
                foreach (var entry in snapshot.Match(ip, now))
                    found.Add(new Found(entry, hit.Value, $"event:{entry.IndicatorId:N}:{incidentId:N}:{hit.Value}", null, incidentId, hit.FirstId, hit.Count, reference));
            }
        }
        return await RecordAsync(found, cancellationToken);
    }

    /// <summary>New or changed feed indicators against the events of every incident that has events.</summary>
    public async Task<int> MatchIndicatorsAsync(IReadOnlyCollection<Guid> indicatorIds, CancellationToken cancellationToken)
    {
        List<LookupEntry> entries;
        List<Guid> incidents;
        await using (var db = await factory.CreateDbContextAsync(cancellationToken))
        {
            entries = [];
            foreach (var chunk in indicatorIds.Chunk(500))
                entries.AddRange(await IndicatorLookup.ActiveEntries(db, chunk).ToListAsync(cancellationToken));
            incidents = await db.EventImports.Select(i => i.IncidentId).Distinct().ToListAsync(cancellationToken);
        }
        var total = 0;
        if (entries.Count == 0) return 0;
        foreach (var incident in incidents) total += await MatchIncidentEventsAsync(incident, entries, cancellationToken);
        return total;
    }

    private static readonly (IndicatorType Type, Column Column)[] Columns =
    [
        (IndicatorType.Ip, Column.SourceIp),
        (IndicatorType.UserAgent, Column.UserAgent),
        (IndicatorType.AccessKeyId, Column.AccessKeyId),
        (IndicatorType.Resource, Column.Principal),
        (IndicatorType.Resource, Column.Resource),
        (IndicatorType.Email, Column.Principal),
        (IndicatorType.AccountId, Column.Account),
    ];

    private enum Column { SourceIp, UserAgent, AccessKeyId, Principal, Resource, Account }

    private static IQueryable<IGrouping<string?, Investigation.IncidentEvent>> Grouped(IQueryable<Investigation.IncidentEvent> events, Column column, string[] values) => column switch
    {
        Column.SourceIp => events.Where(e => values.Contains(e.SourceIp)).GroupBy(e => e.SourceIp),
        Column.UserAgent => events.Where(e => values.Contains(e.UserAgent)).GroupBy(e => e.UserAgent),
        Column.AccessKeyId => events.Where(e => values.Contains(e.AccessKeyId)).GroupBy(e => e.AccessKeyId),
        Column.Principal => events.Where(e => values.Contains(e.Principal)).GroupBy(e => e.Principal),
        Column.Resource => events.Where(e => values.Contains(e.Resource)).GroupBy(e => e.Resource),
        _ => events.Where(e => values.Contains(e.Account)).GroupBy(e => e.Account),
    };

    private sealed record EventHit(string Value, long FirstId, int Count);

    private sealed record Found(LookupEntry Entry, string MatchedValue, string RawKey, Guid? AlertId, Guid? IncidentId, long? EventId, int EventCount, string Context)
    {
        /// <summary>Hashed, so a long value (a URL, a user agent) still fits the unique index.</summary>
        public string Key { get; } = Identity.Secrets.Sha256Hex(RawKey);
    }

    /// <summary>Every value of an alert that can be an indicator, normalised.</summary>
    internal static IEnumerable<IndicatorValue> Values(Alert alert)
    {
        var seen = new HashSet<IndicatorValue>();
        IEnumerable<AlertEntity> entities = alert.Observables.Concat(alert.Principals)
            .Concat(alert.Resources.Select(r => new AlertEntity("resource", r)))
            .Concat(alert.Account is { } account ? [new AlertEntity(PrincipalTypes.Account, account)] : []);
        foreach (var entity in entities)
        {
            if (IndicatorValue.FromEntityType(entity.Type) is not { } type) continue;
            if (IndicatorValue.TryParse(type, entity.Value, out var value, out _) && seen.Add(value)) yield return value;
            // A principal written as an e-mail address (an Azure UPN, a GCP service account) is also an e-mail indicator.
            if (type == IndicatorType.Resource && entity.Value.Contains('@') && IndicatorValue.TryParse(IndicatorType.Email, entity.Value, out var email, out _) && seen.Add(email))
                yield return email;
        }
    }

    /// <summary>Stores the matches not seen before and raises one alert for each.</summary>
    private async Task<int> RecordAsync(List<Found> found, CancellationToken cancellationToken)
    {
        if (found.Count == 0) return 0;
        found = found.DistinctBy(f => f.Key).ToList();
        var now = time.GetUtcNow();
        var fresh = new List<(ThreatIntelMatch Match, Found Found)>();
        await using (var db = await factory.CreateDbContextAsync(cancellationToken))
        {
            var keys = found.Select(f => f.Key).ToList();
            var existing = new Dictionary<string, ThreatIntelMatch>(StringComparer.Ordinal);
            foreach (var chunk in keys.Chunk(ValuesPerQuery))
            {
                foreach (var match in await db.ThreatIntelMatches.Where(m => chunk.Contains(m.MatchKey)).ToListAsync(cancellationToken)) existing[match.MatchKey] = match;
            }
            foreach (var f in found)
            {
                if (existing.TryGetValue(f.Key, out var known))
                {
                    // Events keep arriving in later imports: keep the count current, raise nothing new.
                    if (f.EventId is not null && known.EventCount != f.EventCount) known.EventCount = f.EventCount;
                    // A match stored by a run that stopped before raising its alert is raised now.
                    if (known.RaisedAlertId is null) fresh.Add((known, f));
                    continue;
                }
                var row = new ThreatIntelMatch
                {
                    MatchKey = f.Key,
                    FeedId = f.Entry.FeedId,
                    FeedIndicatorId = f.Entry.IndicatorId,
                    IndicatorType = f.Entry.Type,
                    IndicatorValue = f.Entry.Value,
                    MatchedValue = f.MatchedValue,
                    Subject = f.AlertId is null ? MatchSubject.Event : MatchSubject.Alert,
                    AlertId = f.AlertId,
                    IncidentId = f.IncidentId,
                    EventId = f.EventId,
                    EventCount = f.EventCount,
                    MatchedAt = now,
                };
                db.ThreatIntelMatches.Add(row);
                fresh.Add((row, f));
            }
            await db.SaveChangesAsync(cancellationToken);
        }
        if (fresh.Count == 0) return 0;

        var tenantId = fresh[0].Match.TenantId;
        var raised = fresh.Select(f => ToAlert(f.Match, f.Found)).ToList();
        var outcomes = new List<IntakeOutcome>();
        foreach (var batch in raised.Chunk(AlertLimits.MaxBatch))
            outcomes.AddRange((await intake.SubmitAsync(tenantId, AlertSource, batch, null)).Alerts);
        await using (var db = await factory.CreateDbContextAsync(cancellationToken))
        {
            for (var i = 0; i < fresh.Count; i++)
            {
                db.ThreatIntelMatches.Attach(fresh[i].Match);
                fresh[i].Match.RaisedAlertId = outcomes[i].Id;
            }
            await db.SaveChangesAsync(cancellationToken);
        }
        return fresh.Count;
    }

    private static IncomingAlert ToAlert(ThreatIntelMatch match, Found found)
    {
        var entry = found.Entry;
        var typeName = IndicatorValue.TypeName(entry.Type);
        var where = match.Subject == MatchSubject.Alert
            ? $"alert {match.AlertId} ({Clip(found.Context, 200)})"
            : $"incident {found.Context}: {match.EventCount} cloud event(s), the first is event {match.EventId}";
        var description = string.Join('\n',
            $"The {typeName} indicator {entry.Value} from feed '{entry.FeedName}' matched {found.MatchedValue} in {where}.",
            $"Confidence: {(entry.Confidence is { } c ? c.ToString(CultureInfo.InvariantCulture) : "not given")}; TLP: {ThreatIntelText.Tlp(entry.Tlp)}.",
            entry.Labels is { Length: > 0 } labels ? $"Labels: {labels.Replace('\n', ',')}." : "");
        var payload = JsonSerializer.Serialize(new
        {
            feedId = entry.FeedId,
            feed = entry.FeedName,
            indicatorId = entry.IndicatorId,
            indicatorType = typeName,
            indicator = entry.Value,
            matched = found.MatchedValue,
            subject = match.Subject == MatchSubject.Alert ? "alert" : "event",
            alertId = match.AlertId,
            incidentId = match.IncidentId,
            incident = match.Subject == MatchSubject.Event ? found.Context : null,
            eventId = match.EventId,
            eventCount = match.EventCount,
            confidence = entry.Confidence,
        });
        var observableType = entry.Type switch
        {
            IndicatorType.Cidr or IndicatorType.Ip => ObservableTypes.Ip,
            _ => IndicatorValue.TypeName(entry.Type),
        };
        var reference = match.Subject == MatchSubject.Alert ? $"{entry.IndicatorId:N}:{found.MatchedValue}" : $"{entry.IndicatorId:N}:{match.IncidentId:N}:{found.MatchedValue}";
        if (reference.Length > AlertLimits.ReferenceLength) reference = $"{entry.IndicatorId:N}:{match.IncidentId:N}:sha256:{Identity.Secrets.Sha256Hex(found.MatchedValue)}";
        return new IncomingAlert
        {
            Source = AlertSource,
            SourceReference = reference,
            Title = Clip($"Threat intel match: {typeName} {found.MatchedValue} (feed {entry.FeedName})", AlertLimits.TitleLength),
            Description = description.TrimEnd(),
            Severity = Severity(entry.Confidence),
            OriginalSeverity = entry.Confidence?.ToString(CultureInfo.InvariantCulture),
            Category = "threat-intel-match",
            Observables = [new AlertEntity(observableType, Clip(found.MatchedValue, AlertLimits.ValueLength))],
            RawPayload = payload,
            Format = AlertSource,
        };
    }

    /// <summary>STIX confidence (0-100) to severity; a feed that gives none is taken as medium.</summary>
    public static AlertSeverity Severity(int? confidence) => confidence switch
    {
        null => AlertSeverity.Medium,
        >= 85 => AlertSeverity.High,
        >= 50 => AlertSeverity.Medium,
        >= 15 => AlertSeverity.Low,
        _ => AlertSeverity.Informational,
    };

    private static string Clip(string text, int length) => text.Length > length ? text[..length] : text;
}
