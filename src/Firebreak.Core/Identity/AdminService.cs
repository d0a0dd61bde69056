using Firebreak.Core.Common;
using Firebreak.Core.Persistence;
using Microsoft.EntityFrameworkCore;

namespace Firebreak.Core.Identity;

/// <summary>
/// Operator tasks run from the command line on the server's machine, outside any signed-in session:
/// the first tenant and admin, and users and keys for a named tenant.
/// </summary>
public sealed class AdminService(IDbContextFactory<FirebreakDbContext> factory, UserService users, ApiKeyService keys, TimeProvider time)
{
    public async Task<BootstrapResult> BootstrapAsync(string tenantName, string email, CancellationToken cancellationToken = default)
    {
        new Checks().Required("tenant", tenantName, 200).ThrowIfAny();
        await using var db = await factory.CreateDbContextAsync(cancellationToken);
        db.ActAs(Actors.System("bootstrap"));
        if (await db.Users.AnyAsync(cancellationToken))
            throw new ConflictException("Firebreak is already bootstrapped: users exist. Use 'admin create-user' instead.");
        await using var tx = await db.Database.BeginTransactionAsync(cancellationToken);
        var tenant = new Tenant { Name = tenantName.Trim(), Slug = Slugify(tenantName), CreatedAt = time.GetUtcNow() };
        db.Tenants.Add(tenant);
        await db.SaveChangesAsync(cancellationToken);
        var password = Passwords.Generate();
        var admin = await users.CreateAsync(InTenant(db, tenant.Id, "bootstrap"), email, "Administrator", Role.Admin, password, cancellationToken);
        await tx.CommitAsync(cancellationToken);
        return new BootstrapResult(tenant.Id, tenant.Name, admin.Email, password);
    }

    public async Task<(UserView User, string Password)> CreateUserAsync(string tenant, string email, string displayName, Role role, string? password, CancellationToken cancellationToken = default)
    {
        await using var db = await factory.CreateDbContextAsync(cancellationToken);
        var tenantId = await ResolveTenantAsync(db, tenant, cancellationToken);
        var chosen = string.IsNullOrEmpty(password) ? Passwords.Generate() : password;
        var user = await users.CreateAsync(InTenant(db, tenantId, "admin-cli"), email, displayName, role, chosen, cancellationToken);
        return (user, chosen);
    }

    public async Task<CreatedApiKey> CreateApiKeyAsync(string tenant, string name, Role role, DateTimeOffset? expiresAt, CancellationToken cancellationToken = default)
    {
        await using var db = await factory.CreateDbContextAsync(cancellationToken);
        var tenantId = await ResolveTenantAsync(db, tenant, cancellationToken);
        return await keys.CreateAsync(InTenant(db, tenantId, "admin-cli"), name, role, expiresAt, cancellationToken);
    }

    public async Task<ApiKeyView> RevokeApiKeyAsync(string prefixOrId, CancellationToken cancellationToken = default)
    {
        await using var db = await factory.CreateDbContextAsync(cancellationToken);
        db.ActAs(Actors.System("admin-cli"));
        var key = await db.ApiKeys.SingleOrDefaultAsync(k => k.Prefix == prefixOrId || k.Id.ToString() == prefixOrId, cancellationToken)
            ?? (Guid.TryParse(prefixOrId, out var id) ? await db.ApiKeys.SingleOrDefaultAsync(k => k.Id == id, cancellationToken) : null)
            ?? throw new NotFoundException("API key", prefixOrId);
        return await keys.RevokeAsync(InTenant(db, key.TenantId, "admin-cli"), key.Id, cancellationToken);
    }

    public async Task<IReadOnlyList<Tenant>> ListTenantsAsync(CancellationToken cancellationToken = default)
    {
        await using var db = await factory.CreateDbContextAsync(cancellationToken);
        return await db.Tenants.AsNoTracking().OrderBy(t => t.Name).ToListAsync(cancellationToken);
    }

    public async Task<Tenant> CreateTenantAsync(string name, CancellationToken cancellationToken = default)
    {
        new Checks().Required("name", name, 200).ThrowIfAny();
        await using var db = await factory.CreateDbContextAsync(cancellationToken);
        db.ActAs(Actors.System("admin-cli"));
        var slug = Slugify(name);
        if (await db.Tenants.AnyAsync(t => t.Slug == slug, cancellationToken))
            throw new ConflictException($"A tenant '{slug}' already exists.");
        var tenant = new Tenant { Name = name.Trim(), Slug = slug, CreatedAt = time.GetUtcNow() };
        db.Tenants.Add(tenant);
        await db.SaveChangesAsync(cancellationToken);
        return tenant;
    }

    /// <summary>A tenant by slug or id; when omitted and there is exactly one tenant, that one.</summary>
    private static async Task<Guid> ResolveTenantAsync(FirebreakDbContext db, string? tenant, CancellationToken cancellationToken)
    {
        var all = await db.Tenants.AsNoTracking().ToListAsync(cancellationToken);
        if (string.IsNullOrWhiteSpace(tenant))
        {
            return all.Count switch
            {
                1 => all[0].Id,
                0 => throw new ConflictException("There is no tenant yet. Run 'firebreak admin bootstrap' first."),
                _ => throw new ValidationFailedException("tenant", "Several tenants exist: name one with --tenant."),
            };
        }
        var match = all.SingleOrDefault(t => t.Slug == tenant.Trim().ToLowerInvariant() || t.Id.ToString() == tenant.Trim());
        return match?.Id ?? throw new NotFoundException("Tenant", tenant);
    }

    private static FirebreakDbContext InTenant(FirebreakDbContext db, Guid tenantId, string name)
    {
        var actor = new CurrentActor();
        actor.SetOperator(tenantId, name);
        db.ActAs(actor);
        return db;
    }

    internal static string Slugify(string name)
    {
        var chars = name.Trim().ToLowerInvariant().Select(c => char.IsAsciiLetterOrDigit(c) ? c : '-').ToArray();
        var slug = string.Join('-', new string(chars).Split('-', StringSplitOptions.RemoveEmptyEntries));
        return string.IsNullOrEmpty(slug) ? "tenant" : slug[..Math.Min(slug.Length, 64)];
    }
}
