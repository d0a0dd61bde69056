using Firebreak.Core.Persistence;
using Microsoft.EntityFrameworkCore;

namespace Firebreak.Core.Alerts;

/// <summary>
/// Deduplicates one group of intake requests inside the caller's transaction, without change tracking: new alerts,
/// repeats of stored alerts (with the versions read) and receipts are returned for <see cref="AlertRowInserter"/>,
/// which writes them with reused, prepared statements.
/// </summary>
internal static class AlertStore
{
    public static async Task<StoredGroup> StoreAsync(FirebreakDbContext db, AlertRuleCache ruleCache, IReadOnlyList<IntakeWork> group, DateTimeOffset now,
        CancellationToken cancellationToken)
    {
        var results = new IntakeResult?[group.Count];
        var newAlerts = new List<Alert>();
        var newReceipts = new List<IntakeReceipt>();
        var tenants = group.Select(w => w.TenantId).Distinct().ToList();

        // Replays: an Idempotency-Key seen before answers with the stored ids and stores nothing.
        var keys = group.Where(w => w.IdempotencyKey is not null).Select(w => w.IdempotencyKey!).Distinct().ToList();
        var receipts = keys.Count == 0 ? [] : await db.IntakeReceipts
            .Where(r => tenants.Contains(r.TenantId) && EF.Parameter(keys).Contains(r.Key)).ToListAsync(cancellationToken);
        var seenKeys = receipts.ToDictionary(r => (r.TenantId, r.Key), r => r.AlertIds);

        var pending = new List<(int Work, List<(IncomingAlert Alert, string Key)> Alerts)>();
        for (var i = 0; i < group.Count; i++)
        {
            var work = group[i];
            if (work.IdempotencyKey is { } key && seenKeys.ContainsKey((work.TenantId, key))) continue;
            pending.Add((i, work.Alerts.Select(a => (a, AlertFingerprint.DedupKey(a))).ToList()));
        }

        var dedupKeys = pending.SelectMany(p => p.Alerts.Select(a => a.Key)).Distinct().ToList();
        // The keys go as one array parameter (json_each on SQLite, = ANY on PostgreSQL), not as one parameter each: thousands
        // of parameters cost a name lookup each on SQLite, linear in their number, and a long statement to parse on both.
        // Only what a repeat reads or changes, untracked: AlertRowInserter.UpdateRepeatsAsync writes the repeats.
        var existing = dedupKeys.Count == 0 ? [] : await db.Alerts.AsNoTracking()
            .Where(a => tenants.Contains(a.TenantId) && EF.Parameter(dedupKeys).Contains(a.DedupKey))
            .Select(a => new Alert
            {
                Id = a.Id, TenantId = a.TenantId, DedupKey = a.DedupKey, Source = a.Source, Format = a.Format, Title = a.Title,
                RawPayload = string.Empty, // every row read here is a repeat, which replaces the payload
                OccurrenceCount = a.OccurrenceCount, LastReceivedAt = a.LastReceivedAt,
                FirstSeenAt = a.FirstSeenAt, LastSeenAt = a.LastSeenAt, Severity = a.Severity, OriginalSeverity = a.OriginalSeverity,
                SuppressedByRuleId = a.SuppressedByRuleId, Version = a.Version,
            })
            .ToListAsync(cancellationToken);
        var byKey = existing.ToDictionary(a => (a.TenantId, a.DedupKey));
        var read = existing.ToHashSet(ReferenceEqualityComparer.Instance);
        var repeated = new HashSet<Alert>(ReferenceEqualityComparer.Instance);
        var rules = await ruleCache.ForAsync(db, tenants, cancellationToken);

        foreach (var (index, alerts) in pending)
        {
            var work = group[index];
            var outcomes = new List<IntakeOutcome>(alerts.Count);
            foreach (var (incoming, key) in alerts)
            {
                if (byKey.TryGetValue((work.TenantId, key), out var alert))
                {
                    if (read.Contains(alert)) repeated.Add(alert);
                    alert.OccurrenceCount++;
                    alert.LastReceivedAt = now;
                    alert.RawPayload = incoming.RawPayload;
                    alert.LastSeenAt = Later(alert.LastSeenAt, incoming.LastSeenAt ?? incoming.DetectedAt);
                    alert.FirstSeenAt = Earlier(alert.FirstSeenAt, incoming.FirstSeenAt);
                    if (incoming.Severity > alert.Severity)
                    {
                        alert.Severity = incoming.Severity;
                        alert.OriginalSeverity = incoming.OriginalSeverity;
                    }
                    outcomes.Add(new IntakeOutcome(alert.Id, true, alert.OccurrenceCount, alert.SuppressedByRuleId is not null));
                    continue;
                }
                alert = ToAlert(incoming, key, work.TenantId, now);
                var tenantRules = rules[work.TenantId];
                alert.SuppressedByRuleId = tenantRules.Suppression.FirstOrDefault(m => m.Rule.IsActive(now) && m.Matches(incoming))?.Rule.Id;
                // Tenants without escalation rules need no later check: mark their alerts checked on the way in.
                if (alert.SuppressedByRuleId is not null || !tenantRules.HasEscalationRules) alert.RulesCheckedAt = now;
                newAlerts.Add(alert);
                byKey[(work.TenantId, key)] = alert;
                outcomes.Add(new IntakeOutcome(alert.Id, false, 1, alert.SuppressedByRuleId is not null));
            }
            if (work.IdempotencyKey is { } idem)
            {
                var alertIds = string.Join(',', outcomes.Select(o => o.Id));
                newReceipts.Add(new IntakeReceipt { TenantId = work.TenantId, Key = idem, AlertIds = alertIds, At = now });
                seenKeys[(work.TenantId, idem)] = alertIds;
            }
            results[index] = new IntakeResult(outcomes, Replayed: false);
        }

        for (var i = 0; i < group.Count; i++)
        {
            if (results[i] is not null) continue;
            var ids = seenKeys[(group[i].TenantId, group[i].IdempotencyKey!)].Split(',', StringSplitOptions.RemoveEmptyEntries).Select(Guid.Parse).ToList();
            var stored = byKey.Values.Where(a => ids.Contains(a.Id)).ToDictionary(a => a.Id);
            var missing = ids.Where(id => !stored.ContainsKey(id)).ToList();
            if (missing.Count > 0)
            {
                foreach (var a in await db.Alerts.AsNoTracking().Where(a => missing.Contains(a.Id)).ToListAsync(cancellationToken)) stored[a.Id] = a;
            }
            results[i] = new IntakeResult(ids.Select(id => stored.TryGetValue(id, out var a)
                ? new IntakeOutcome(id, true, a.OccurrenceCount, a.SuppressedByRuleId is not null)
                : new IntakeOutcome(id, true, 0, false)).ToList(), Replayed: true);
        }
        return new StoredGroup(Array.ConvertAll(results, r => r!), newAlerts, repeated.ToList(), newReceipts);
    }

    /// <summary>What one group stores: new alerts to insert, repeats of stored alerts to update (each with its version as read), receipts.</summary>
    public sealed record StoredGroup(IntakeResult[] Results, List<Alert> NewAlerts, List<Alert> Repeats, List<IntakeReceipt> Receipts);

    private static Alert ToAlert(IncomingAlert a, string key, Guid tenantId, DateTimeOffset now) => new()
    {
        TenantId = tenantId,
        DedupKey = key,
        Source = a.Source.Trim(),
        SourceReference = a.SourceReference?.Trim(),
        Format = a.Format,
        Title = a.Title.Trim(),
        Description = a.Description,
        Severity = a.Severity,
        OriginalSeverity = a.OriginalSeverity,
        DetectedAt = a.DetectedAt,
        FirstSeenAt = a.FirstSeenAt ?? a.DetectedAt,
        LastSeenAt = a.LastSeenAt ?? a.DetectedAt,
        ReceivedAt = now,
        LastReceivedAt = now,
        Category = a.Category,
        Techniques = a.Techniques.Select(t => t.Trim().ToUpperInvariant()).Distinct().ToList(),
        Provider = a.Provider?.Trim().ToLowerInvariant(),
        Account = a.Account?.Trim(),
        Region = a.Region?.Trim().ToLowerInvariant(),
        Resources = a.Resources.Select(r => r.Trim()).Distinct().ToList(),
        Principals = a.Principals.Distinct().ToList(),
        Observables = a.Observables.Distinct().ToList(),
        RawPayload = a.RawPayload,
    };

    private static DateTimeOffset? Later(DateTimeOffset? a, DateTimeOffset? b) => a is null ? b : b is null ? a : a > b ? a : b;

    private static DateTimeOffset? Earlier(DateTimeOffset? a, DateTimeOffset? b) => a is null ? b : b is null ? a : a < b ? a : b;
}
