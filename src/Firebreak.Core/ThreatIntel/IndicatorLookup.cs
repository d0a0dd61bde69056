using System.Collections.Concurrent;
using System.Net;
using Firebreak.Core.Identity;
using Firebreak.Core.Incidents;
using Firebreak.Core.Indicators;
using Firebreak.Core.Persistence;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace Firebreak.Core.ThreatIntel;

/// <summary>One feed indicator as the matcher needs it.</summary>
public sealed record LookupEntry(Guid IndicatorId, Guid FeedId, string FeedName, IndicatorType Type, string Value, int? Confidence, Tlp Tlp,
    DateTimeOffset? ValidFrom, DateTimeOffset? ValidUntil, string? Labels)
{
    public bool ActiveAt(DateTimeOffset now) => (ValidFrom is null || ValidFrom <= now) && (ValidUntil is null || ValidUntil > now);
}

/// <summary>A tenant's active feed indicators in memory: a hash set per type, CIDR blocks as a list.</summary>
public sealed class IndicatorSnapshot
{
    private readonly Dictionary<IndicatorValue, LookupEntry[]> _exact;
    private readonly List<(IPNetwork Network, LookupEntry Entry)> _cidrs;

    public IndicatorSnapshot(IEnumerable<LookupEntry> entries)
    {
        var list = entries.ToList();
        _exact = list.Where(e => e.Type != IndicatorType.Cidr)
            .GroupBy(e => new IndicatorValue(e.Type, e.Value))
            .ToDictionary(g => g.Key, g => g.ToArray());
        _cidrs = list.Where(e => e.Type == IndicatorType.Cidr && IPNetwork.TryParse(e.Value, out _))
            .Select(e => (IPNetwork.Parse(e.Value), e)).ToList();
        Count = list.Count;
    }

    public int Count { get; }

    /// <summary>The feed indicators active at <paramref name="now"/> that <paramref name="value"/> matches (an IP also by the CIDR blocks holding it).</summary>
    public IEnumerable<LookupEntry> Match(IndicatorValue value, DateTimeOffset now)
    {
        if (_exact.TryGetValue(value, out var hits))
        {
            foreach (var hit in hits) if (hit.ActiveAt(now)) yield return hit;
        }
        if (value.Type == IndicatorType.Ip && _cidrs.Count > 0 && IPAddress.TryParse(value.Value, out var address))
        {
            foreach (var (network, entry) in _cidrs) if (network.Contains(address) && entry.ActiveAt(now)) yield return entry;
        }
    }
}

/// <summary>
/// Keeps each tenant's <see cref="IndicatorSnapshot"/> so alert intake matches without a query per
/// alert. A feed change drops the tenant's snapshot; the next match loads it again.
/// </summary>
public sealed class IndicatorLookup(IServiceScopeFactory scopes)
{
    private readonly ConcurrentDictionary<Guid, IndicatorSnapshot> _snapshots = new();
    private readonly ConcurrentDictionary<Guid, long> _generations = new();

    public void Invalidate(Guid tenantId)
    {
        _generations.AddOrUpdate(tenantId, 1, (_, g) => g + 1);
        _snapshots.TryRemove(tenantId, out _);
    }

    public async Task<IndicatorSnapshot> GetAsync(Guid tenantId, CancellationToken cancellationToken)
    {
        if (_snapshots.TryGetValue(tenantId, out var snapshot)) return snapshot;
        var generation = _generations.GetValueOrDefault(tenantId);
        await using var scope = scopes.CreateAsyncScope();
        scope.ServiceProvider.GetRequiredService<CurrentActor>().SetOperator(tenantId, "threat-intel");
        await using var db = await scope.ServiceProvider.GetRequiredService<IDbContextFactory<FirebreakDbContext>>().CreateDbContextAsync(cancellationToken);
        var entries = await ActiveEntries(db).ToListAsync(cancellationToken);
        snapshot = new IndicatorSnapshot(entries);
        // A change that landed while this loaded must not be hidden behind the stale copy.
        if (_generations.GetValueOrDefault(tenantId) == generation) _snapshots[tenantId] = snapshot;
        return snapshot;
    }

    /// <summary>Unrevoked indicators of enabled feeds, in the current tenant.</summary>
    internal static IQueryable<LookupEntry> ActiveEntries(FirebreakDbContext db, Guid[]? ids = null) =>
        from i in ids is null ? db.FeedIndicators : db.FeedIndicators.Where(i => ids.Contains(i.Id))
        join f in db.ThreatFeeds on i.FeedId equals f.Id
        where !i.Revoked && f.Enabled
        select new LookupEntry(i.Id, f.Id, f.Name, i.Type, i.Value, i.Confidence, i.Tlp, i.ValidFrom, i.ValidUntil, i.Labels);
}
