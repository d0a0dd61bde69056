using System.Text.RegularExpressions;
using Firebreak.Core.Common;
using Firebreak.Core.Identity;
using Firebreak.Core.Incidents;
using Firebreak.Core.Persistence;
using Microsoft.EntityFrameworkCore;

namespace Firebreak.Core.Assets;

/// <summary>
/// The tenant's asset register. Everyone may read it; incident managers and admins keep it, because a
/// classification decides which notification clocks an exposure starts.
/// </summary>
public sealed partial class AssetService(IDbContextFactory<FirebreakDbContext> factory, TimeProvider time)
{
    public async Task<IReadOnlyList<AssetView>> ListAsync(CancellationToken cancellationToken = default)
    {
        await using var db = await factory.CreateDbContextAsync(cancellationToken);
        return await ListAsync(db, cancellationToken);
    }

    internal static async Task<IReadOnlyList<AssetView>> ListAsync(FirebreakDbContext db, CancellationToken cancellationToken)
    {
        var assets = await db.Assets.AsNoTracking().OrderBy(a => a.Pattern).ThenBy(a => a.Id).ToListAsync(cancellationToken);
        return assets.Select(ToView).ToList();
    }

    public async Task<AssetView> GetAsync(Guid id, CancellationToken cancellationToken = default)
    {
        await using var db = await factory.CreateDbContextAsync(cancellationToken);
        return ToView(await FindAsync(db, id, cancellationToken));
    }

    public async Task<AssetView> AddAsync(AssetInput input, CancellationToken cancellationToken = default)
    {
        Check(input);
        await using var db = await factory.CreateDbContextAsync(cancellationToken);
        IncidentLookup.Require(db.Actor, Role.IncidentManager, "change the asset register");
        if (await db.Assets.CountAsync(cancellationToken) >= AssetLimits.MaxPerTenant)
            throw new ConflictException($"The asset register holds at most {AssetLimits.MaxPerTenant} entries.");
        var pattern = input.Pattern!.Trim();
        await RefuseDuplicateAsync(db, pattern, null, cancellationToken);
        var now = time.GetUtcNow();
        var asset = new Asset { Pattern = pattern, Name = "", CreatedAt = now };
        Apply(asset, input, now);
        db.Assets.Add(asset);
        await db.SaveChangesAsync(cancellationToken);
        return ToView(asset);
    }

    public async Task<AssetView> UpdateAsync(Guid id, AssetInput input, long? expectedVersion, CancellationToken cancellationToken = default)
    {
        Check(input);
        await using var db = await factory.CreateDbContextAsync(cancellationToken);
        IncidentLookup.Require(db.Actor, Role.IncidentManager, "change the asset register");
        var asset = await FindAsync(db, id, cancellationToken);
        IncidentLookup.CheckVersion(asset, expectedVersion);
        await RefuseDuplicateAsync(db, input.Pattern!.Trim(), id, cancellationToken);
        Apply(asset, input, time.GetUtcNow());
        await db.SaveChangesAsync(cancellationToken);
        return ToView(asset);
    }

    public async Task DeleteAsync(Guid id, long? expectedVersion, CancellationToken cancellationToken = default)
    {
        await using var db = await factory.CreateDbContextAsync(cancellationToken);
        IncidentLookup.Require(db.Actor, Role.IncidentManager, "change the asset register");
        var asset = await FindAsync(db, id, cancellationToken);
        IncidentLookup.CheckVersion(asset, expectedVersion);
        db.Assets.Remove(asset);
        await db.SaveChangesAsync(cancellationToken);
    }

    private static async Task<Asset> FindAsync(FirebreakDbContext db, Guid id, CancellationToken cancellationToken) =>
        await db.Assets.SingleOrDefaultAsync(a => a.Id == id, cancellationToken) ?? throw new NotFoundException("Asset", id.ToString());

    private static async Task RefuseDuplicateAsync(FirebreakDbContext db, string pattern, Guid? self, CancellationToken cancellationToken)
    {
        if (await db.Assets.AnyAsync(a => a.Pattern == pattern && a.Id != self, cancellationToken))
            throw new ConflictException($"The asset register already has an entry for {pattern}.");
    }

    private static void Check(AssetInput input)
    {
        var pattern = input.Pattern?.Trim();
        new Checks()
            .Required("pattern", pattern, AssetLimits.PatternLength)
            .That(pattern is null || !pattern.Any(c => char.IsWhiteSpace(c) || char.IsControl(c)), "pattern", "pattern must not contain spaces or control characters.")
            .That(pattern is null || pattern.Count(c => c == '*') <= AssetLimits.MaxWildcards, "pattern", $"pattern may hold at most {AssetLimits.MaxWildcards} wildcards (*).")
            .That(pattern is null || pattern.Trim('*').Length > 0, "pattern", "pattern must name something besides wildcards.")
            .Required("name", input.Name, AssetLimits.NameLength)
            .That(input.Classification is not null, "classification", "classification is required: public, internal, confidential or restricted.")
            .Defined("classification", input.Classification)
            .Items("regulations", input.Regulations, AssetLimits.MaxRegulations, AssetLimits.RegulationLength)
            .That(input.Regulations is null || input.Regulations.All(r => r is null || RegulationName().IsMatch(r.Trim())), "regulations",
                "each regulation is a short name of letters, digits and dashes, such as gdpr or pci-dss.")
            .MaxLength("owner", input.Owner, AssetLimits.OwnerLength)
            .ThrowIfAny();
    }

    private static void Apply(Asset asset, AssetInput input, DateTimeOffset now)
    {
        asset.Pattern = input.Pattern!.Trim();
        asset.Name = input.Name!.Trim();
        asset.Classification = input.Classification!.Value;
        asset.PersonalData = input.PersonalData ?? false;
        asset.Regulations = (input.Regulations ?? []).Select(r => r.Trim().ToLowerInvariant()).Distinct().ToList();
        asset.Owner = string.IsNullOrWhiteSpace(input.Owner) ? null : input.Owner.Trim();
        asset.UpdatedAt = now;
    }

    internal static AssetView ToView(Asset a) => new(a.Id, a.Pattern, a.Name, a.Classification, a.PersonalData, a.Regulations, a.Owner,
        a.CreatedAt, a.UpdatedAt, a.Version);

    [GeneratedRegex("^[A-Za-z0-9][A-Za-z0-9-]*$")]
    private static partial Regex RegulationName();
}
