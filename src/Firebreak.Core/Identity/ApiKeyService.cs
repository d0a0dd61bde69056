using Firebreak.Core.Common;
using Firebreak.Core.Persistence;
using Microsoft.EntityFrameworkCore;

namespace Firebreak.Core.Identity;

/// <summary>API keys for tools: fbk_&lt;12-character prefix&gt;_&lt;64 hex secret&gt;.</summary>
public sealed class ApiKeyService(IDbContextFactory<FirebreakDbContext> factory, TimeProvider time, ApiKeyAuthenticationCache recent)
{
    public const string KeyStart = "fbk_";
    private const int PrefixLength = 12;
    private const int SecretBytes = 32;
    private static readonly TimeSpan LastUseGranularity = TimeSpan.FromMinutes(1);

    public async Task<CreatedApiKey> CreateAsync(string name, Role role, DateTimeOffset? expiresAt, CancellationToken cancellationToken = default)
    {
        await using var db = await factory.CreateDbContextAsync(cancellationToken);
        return await CreateAsync(db, name, role, expiresAt, cancellationToken);
    }

    /// <summary>Creates a key in the tenant the context acts for (the CLI acts as the tenant's admin).</summary>
    public async Task<CreatedApiKey> CreateAsync(FirebreakDbContext db, string name, Role role, DateTimeOffset? expiresAt, CancellationToken cancellationToken)
    {
        new Checks().Required("name", name, 200).Defined("role", (Role?)role)
            .That(expiresAt is null || expiresAt > time.GetUtcNow(), "expiresAt", "expiresAt must be in the future.")
            .ThrowIfAny();
        if (!db.Actor.IsSystem && !db.Actor.Role.Allows(role))
            throw new ForbiddenException("A key cannot be given a more powerful role than its creator's.");
        var prefix = KeyStart + Secrets.RandomToken(PrefixLength);
        var secret = Convert.ToHexStringLower(System.Security.Cryptography.RandomNumberGenerator.GetBytes(SecretBytes));
        var key = new ApiKey
        {
            Name = name.Trim(),
            Prefix = prefix,
            SecretHash = Secrets.Sha256Hex(secret),
            Role = role,
            CreatedAt = time.GetUtcNow(),
            CreatedByUserId = db.Actor.UserId,
            ExpiresAt = expiresAt,
        };
        db.ApiKeys.Add(key);
        await db.SaveChangesAsync(cancellationToken);
        return new CreatedApiKey(ToView(key), $"{prefix}_{secret}");
    }

    public async Task<IReadOnlyList<ApiKeyView>> ListAsync(CancellationToken cancellationToken = default)
    {
        await using var db = await factory.CreateDbContextAsync(cancellationToken);
        var keys = await db.ApiKeys.AsNoTracking().OrderBy(k => k.Id).ToListAsync(cancellationToken);
        return keys.Select(ToView).ToList();
    }

    public async Task<ApiKeyView> RevokeAsync(Guid id, CancellationToken cancellationToken = default)
    {
        await using var db = await factory.CreateDbContextAsync(cancellationToken);
        return await RevokeAsync(db, id, cancellationToken);
    }

    public async Task<ApiKeyView> RevokeAsync(FirebreakDbContext db, Guid id, CancellationToken cancellationToken)
    {
        var key = await db.ApiKeys.SingleOrDefaultAsync(k => k.Id == id, cancellationToken)
            ?? throw new NotFoundException("API key", id.ToString());
        if (key.RevokedAt is null)
        {
            key.RevokedAt = time.GetUtcNow();
            await db.SaveChangesAsync(cancellationToken);
        }
        recent.Forget(key.Prefix);
        return ToView(key);
    }

    /// <summary>
    /// The active key matching the presented text, or null. Records the last use (to the minute). A key that
    /// authenticated in the last few seconds is answered from <see cref="ApiKeyAuthenticationCache"/>.
    /// </summary>
    public async Task<ApiKey?> AuthenticateAsync(string presented, CancellationToken cancellationToken = default)
    {
        if (!TrySplit(presented, out var prefix, out var secret)) return null;
        var secretHash = Secrets.Sha256Hex(secret);
        var now = time.GetUtcNow();
        if (recent.Find(prefix, secretHash) is { } known) return known.IsActive(now) ? known : null;
        await using var db = await factory.CreateDbContextAsync(cancellationToken);
        // The tenant is not known until the key is found: the one key lookup that spans tenants.
        var key = await db.ApiKeys.IgnoreQueryFilters().AsNoTracking().SingleOrDefaultAsync(k => k.Prefix == prefix, cancellationToken);
        if (key is null || !key.IsActive(now) || !Secrets.FixedTimeEqualsHex(key.SecretHash, secretHash))
            return null;
        if (key.LastUsedAt is null || now - key.LastUsedAt > LastUseGranularity)
        {
            // Bookkeeping, not a change anyone made: written directly, outside the audit trail.
            await db.ApiKeys.IgnoreQueryFilters().Where(k => k.Id == key.Id)
                .ExecuteUpdateAsync(s => s.SetProperty(k => k.LastUsedAt, now), cancellationToken);
            key.LastUsedAt = now;
        }
        recent.Add(key, secretHash);
        return key;
    }

    internal static bool TrySplit(string? presented, out string prefix, out string secret)
    {
        prefix = secret = "";
        var expected = KeyStart.Length + PrefixLength + 1 + SecretBytes * 2;
        if (presented is null || presented.Length != expected || !presented.StartsWith(KeyStart, StringComparison.Ordinal)) return false;
        var cut = KeyStart.Length + PrefixLength;
        if (presented[cut] != '_') return false;
        prefix = presented[..cut];
        secret = presented[(cut + 1)..];
        return true;
    }

    internal static ApiKeyView ToView(ApiKey k) => new(k.Id, k.Name, k.Prefix, k.Role, k.CreatedAt, k.ExpiresAt, k.RevokedAt, k.LastUsedAt);
}
