using System.Collections.Concurrent;
using System.Diagnostics;
using Firebreak.Core.Persistence;
using Microsoft.EntityFrameworkCore;

namespace Firebreak.Core.Alerts;

/// <summary>
/// Per tenant, the enabled suppression rules (compiled) and whether any escalation rule is enabled, as the
/// intake writer needs them for every group. Changes made through <see cref="SuppressionService"/> and
/// <see cref="EscalationRuleService"/> drop the tenant's entry at once; an entry is also reloaded after
/// <see cref="MaxAge"/>, which bounds how long a change made by another process (a second server on the
/// same database) goes unseen. Expiry times are checked on every use, not cached.
/// </summary>
public sealed class AlertRuleCache
{
    public static readonly TimeSpan MaxAge = TimeSpan.FromSeconds(5);

    private readonly ConcurrentDictionary<Guid, TenantRules> _tenants = new();
    private long _generation;

    internal sealed record TenantRules(IReadOnlyList<SuppressionMatcher> Suppression, bool HasEscalationRules, long LoadedAt);

    /// <summary>Forgets a tenant's rules; the next group reloads them.</summary>
    public void Invalidate(Guid tenantId)
    {
        Interlocked.Increment(ref _generation);
        _tenants.TryRemove(tenantId, out _);
    }

    internal async Task<Dictionary<Guid, TenantRules>> ForAsync(FirebreakDbContext db, IReadOnlyCollection<Guid> tenants, CancellationToken cancellationToken)
    {
        var result = new Dictionary<Guid, TenantRules>(tenants.Count);
        var missing = new List<Guid>();
        var now = Stopwatch.GetTimestamp();
        foreach (var tenant in tenants)
        {
            if (_tenants.TryGetValue(tenant, out var cached) && Stopwatch.GetElapsedTime(cached.LoadedAt, now) < MaxAge) result[tenant] = cached;
            else missing.Add(tenant);
        }
        if (missing.Count == 0) return result;

        var generation = Interlocked.Read(ref _generation);
        var suppression = (await db.SuppressionRules.AsNoTracking().Where(r => missing.Contains(r.TenantId) && r.Enabled).ToListAsync(cancellationToken))
            .ToLookup(r => r.TenantId);
        var escalating = (await db.EscalationRules.AsNoTracking().Where(r => r.Enabled && missing.Contains(r.TenantId))
            .Select(r => r.TenantId).Distinct().ToListAsync(cancellationToken)).ToHashSet();
        // A change committed while these were read may be missing from them: use them for this group, keep them only if nothing changed.
        var keep = Interlocked.Read(ref _generation) == generation;
        foreach (var tenant in missing)
        {
            var rules = new TenantRules(
                suppression[tenant].OrderBy(r => r.CreatedAt).Select(r => new SuppressionMatcher(r)).ToList(),
                escalating.Contains(tenant), now);
            result[tenant] = rules;
            if (keep) _tenants[tenant] = rules;
        }
        return result;
    }
}
