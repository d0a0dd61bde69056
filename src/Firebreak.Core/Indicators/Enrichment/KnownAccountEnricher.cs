using Firebreak.Core.Persistence;
using Microsoft.EntityFrameworkCore;

namespace Firebreak.Core.Indicators.Enrichment;

/// <summary>
/// Says whether a cloud account id is one of this tenant's known accounts: an account named in the
/// cloud scope of any of its incidents. An account that is not (a stranger's account receiving a
/// snapshot, assuming a role) is often the most telling indicator of all.
/// </summary>
public sealed class KnownAccountEnricher(IDbContextFactory<FirebreakDbContext> factory) : IIndicatorEnricher
{
    public const string EnricherName = "known-account";

    /// <summary>Incidents read per tenant, the most recent first.</summary>
    private const int MaxIncidents = 10_000;

    private readonly Dictionary<Guid, Dictionary<string, List<string>>> _known = [];

    public string Name => EnricherName;

    public bool Supports(IndicatorType type) => type == IndicatorType.AccountId;

    public async Task<EnrichmentOutcome> EnrichAsync(EnrichmentRequest request, CancellationToken cancellationToken)
    {
        if (!_known.TryGetValue(request.TenantId, out var accounts))
        {
            await using var db = await factory.CreateDbContextAsync(cancellationToken);
            // The tenant is named explicitly: enrichment may run as the system actor, which sees every tenant.
            var scopes = await db.Incidents.AsNoTracking().Where(i => i.TenantId == request.TenantId)
                .OrderByDescending(i => i.CreatedAt).Take(MaxIncidents).Select(i => new { i.Reference, i.CloudAccounts }).ToListAsync(cancellationToken);
            accounts = new Dictionary<string, List<string>>(StringComparer.OrdinalIgnoreCase);
            foreach (var scope in scopes)
            {
                foreach (var account in scope.CloudAccounts)
                {
                    if (!accounts.TryGetValue(account.Trim(), out var references)) accounts[account.Trim()] = references = [];
                    references.Add(scope.Reference);
                }
            }
            _known[request.TenantId] = accounts;
        }
        if (accounts.TryGetValue(request.Indicator.Value, out var incidents))
        {
            var listed = string.Join(", ", incidents.Order(StringComparer.Ordinal).Take(5));
            return new EnrichmentOutcome($"Known account of this tenant: in the cloud scope of {listed}{(incidents.Count > 5 ? ", …" : "")}.",
                new Dictionary<string, string> { ["known"] = "true", ["incidents"] = incidents.Count.ToString(System.Globalization.CultureInfo.InvariantCulture) });
        }
        return new EnrichmentOutcome("Not a known account of this tenant: no incident names it in its cloud scope.",
            new Dictionary<string, string> { ["known"] = "false" });
    }
}
