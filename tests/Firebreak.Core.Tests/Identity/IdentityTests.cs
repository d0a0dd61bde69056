using Firebreak.Core.Common;
using Firebreak.Core.Identity;
using Firebreak.Core.Persistence;
using Firebreak.Testing;
using Microsoft.Extensions.Configuration;
using Microsoft.EntityFrameworkCore;

namespace Firebreak.Core.Tests.Identity;

public class IdentityTests
{
    [Theory, MemberData(nameof(Databases.Both), MemberType = typeof(Databases))]
    public async Task Bootstrap_CreatesTheFirstAdminOnce(DatabaseKind kind)
    {
        await using var harness = await CoreHarness.CreateAsync(kind);
        await using var scope = harness.As(Actors.System("cli"));
        var admin = scope.Get<AdminService>();

        var result = await admin.BootstrapAsync("Acme Corp", "soc@acme.example");
        await Assert.ThrowsAsync<ConflictException>(() => admin.BootstrapAsync("Again", "x@acme.example"));

        Assert.True(result.Password.Length >= 20);
        var login = await scope.Get<LoginService>().PasswordSignInAsync("SOC@acme.example", result.Password);
        Assert.Equal(LoginOutcome.Succeeded, login.Outcome);
        Assert.Equal(Role.Admin, login.User!.Role);
        Assert.Equal(result.TenantId, login.User.TenantId);
    }

    [Theory, MemberData(nameof(Databases.Both), MemberType = typeof(Databases))]
    public async Task Login_LocksOut_AfterRepeatedFailures(DatabaseKind kind)
    {
        await using var harness = await CoreHarness.CreateAsync(kind);
        await harness.CreateTenantAsync("Acme");
        await using var scope = harness.As(new CurrentActor());
        var login = scope.Get<LoginService>();

        for (var i = 0; i < LoginService.MaxFailedAttempts - 1; i++)
            Assert.Equal(LoginOutcome.Failed, (await login.PasswordSignInAsync("viewer@acme.example", "wrong")).Outcome);
        Assert.Equal(LoginOutcome.LockedOut, (await login.PasswordSignInAsync("viewer@acme.example", "wrong")).Outcome);
        Assert.Equal(LoginOutcome.LockedOut, (await login.PasswordSignInAsync("viewer@acme.example", "correct-horse-battery-staple")).Outcome);

        harness.Time.Advance(LoginService.LockoutDuration + TimeSpan.FromSeconds(1));
        Assert.Equal(LoginOutcome.Succeeded, (await login.PasswordSignInAsync("viewer@acme.example", "correct-horse-battery-staple")).Outcome);
        Assert.Equal(LoginOutcome.Failed, (await login.PasswordSignInAsync("nobody@acme.example", "correct-horse-battery-staple")).Outcome);
    }

    [Theory, MemberData(nameof(Databases.Both), MemberType = typeof(Databases))]
    public async Task ApiKey_IsStoredHashed_RevocableAndRecordsLastUse(DatabaseKind kind)
    {
        await using var harness = await CoreHarness.CreateAsync(kind);
        var acme = await harness.CreateTenantAsync("Acme");
        await using var scope = harness.As(acme.Admin);
        var keys = scope.Get<ApiKeyService>();

        var created = await keys.CreateAsync("siem", Role.Responder, null);
        var secret = created.Secret[(created.Key.Prefix.Length + 1)..];
        await using (var db = await scope.Get<IDbContextFactory<FirebreakDbContext>>().CreateDbContextAsync())
        {
            var stored = await db.ApiKeys.SingleAsync(k => k.Id == created.Key.Id);
            Assert.DoesNotContain(secret, stored.SecretHash);
            Assert.Equal(64, stored.SecretHash.Length);
            var audit = await db.AuditEntries.Where(a => a.EntityId == created.Key.Id.ToString()).ToListAsync();
            Assert.All(audit, a => Assert.DoesNotContain(secret, a.After ?? ""));
            Assert.All(audit, a => Assert.DoesNotContain(stored.SecretHash, a.After ?? ""));
        }

        harness.Time.Advance(TimeSpan.FromMinutes(3));
        var used = await keys.AuthenticateAsync(created.Secret);
        Assert.Equal(acme.Id, used!.TenantId);
        Assert.Equal(harness.Time.GetUtcNow(), (await keys.ListAsync()).Single(k => k.Id == created.Key.Id).LastUsedAt);
        Assert.Null(await keys.AuthenticateAsync(created.Secret[..^1] + (created.Secret[^1] == '0' ? '1' : '0')));
        Assert.Null(await keys.AuthenticateAsync("fbk_garbage"));

        await keys.RevokeAsync(created.Key.Id);
        Assert.Null(await keys.AuthenticateAsync(created.Secret));
    }

    [Theory, MemberData(nameof(Databases.Both), MemberType = typeof(Databases))]
    public async Task ApiKey_RecentlyAuthenticated_StillExpiresAndRevokesAtOnce(DatabaseKind kind)
    {
        await using var harness = await CoreHarness.CreateAsync(kind, new Dictionary<string, string?> { [ApiKeyAuthenticationCache.Setting] = "5" });
        var acme = await harness.CreateTenantAsync("Acme");
        await using var scope = harness.As(acme.Admin);
        var keys = scope.Get<ApiKeyService>();
        var expiring = await keys.CreateAsync("short", Role.Responder, harness.Time.GetUtcNow().AddMinutes(10));
        var revoked = await keys.CreateAsync("revoked", Role.Viewer, null);

        // Twice each: the second answer comes from the recent-key cache.
        Assert.NotNull(await keys.AuthenticateAsync(expiring.Secret));
        Assert.Equal(expiring.Key.Id, (await keys.AuthenticateAsync(expiring.Secret))!.Id);
        Assert.NotNull(await keys.AuthenticateAsync(revoked.Secret));
        Assert.Equal(Role.Viewer, (await keys.AuthenticateAsync(revoked.Secret))!.Role);
        // A wrong secret under a cached prefix is refused and does not evict the right one.
        Assert.Null(await keys.AuthenticateAsync(revoked.Secret[..^1] + (revoked.Secret[^1] == '0' ? '1' : '0')));
        Assert.NotNull(await keys.AuthenticateAsync(revoked.Secret));

        harness.Time.Advance(TimeSpan.FromMinutes(11));
        Assert.Null(await keys.AuthenticateAsync(expiring.Secret));
        // Revoked through a new scope (another request): the cache is shared, and forgets the key at once.
        await using (var other = harness.As(acme.Admin)) await other.Get<ApiKeyService>().RevokeAsync(revoked.Key.Id);
        Assert.Null(await keys.AuthenticateAsync(revoked.Secret));
    }

    [Fact]
    public void ApiKeyCache_IsOffByDefault_SoAnyRevocationAppliesAtOnce()
    {
        var off = new ApiKeyAuthenticationCache(new ConfigurationBuilder().Build());
        var key = new ApiKey { Name = "cache", Prefix = "fbk_offcache", SecretHash = Secrets.Sha256Hex("secret") };
        off.Add(key, Secrets.Sha256Hex("secret"));
        Assert.Equal(TimeSpan.Zero, off.MaxAge);
        Assert.Null(off.Find("fbk_offcache", Secrets.Sha256Hex("secret")));

        var on = new ApiKeyAuthenticationCache(new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?> { [ApiKeyAuthenticationCache.Setting] = "5" }).Build());
        on.Add(key, Secrets.Sha256Hex("secret"));
        Assert.Same(key, on.Find("fbk_offcache", Secrets.Sha256Hex("secret")));
    }

    [Theory, MemberData(nameof(Databases.Both), MemberType = typeof(Databases))]
    public async Task ApiKey_CannotOutrankItsCreator(DatabaseKind kind)
    {
        await using var harness = await CoreHarness.CreateAsync(kind);
        var acme = await harness.CreateTenantAsync("Acme");
        await using var scope = harness.As(acme.Manager);
        await Assert.ThrowsAsync<ForbiddenException>(() => scope.Get<ApiKeyService>().CreateAsync("escalate", Role.Admin, null));
        await Assert.ThrowsAsync<ValidationFailedException>(() => scope.Get<ApiKeyService>().CreateAsync("", Role.Viewer, null));
    }

    [Theory, MemberData(nameof(Databases.Both), MemberType = typeof(Databases))]
    public async Task Users_AreUniqueByEmail_AndPasswordsAreHashed(DatabaseKind kind)
    {
        await using var harness = await CoreHarness.CreateAsync(kind);
        var acme = await harness.CreateTenantAsync("Acme");
        await using var scope = harness.As(acme.Admin);
        var users = scope.Get<UserService>();

        await Assert.ThrowsAsync<ConflictException>(() => users.CreateAsync("VIEWER@acme.example", "Dup", Role.Viewer, "another-long-password"));
        await Assert.ThrowsAsync<ValidationFailedException>(() => users.CreateAsync("not-an-email", "X", Role.Viewer, "another-long-password"));
        await Assert.ThrowsAsync<ValidationFailedException>(() => users.CreateAsync("short@acme.example", "X", Role.Viewer, "short"));
        await using var db = await scope.Get<IDbContextFactory<FirebreakDbContext>>().CreateDbContextAsync();
        Assert.All(await db.Users.ToListAsync(), u => Assert.StartsWith("AQAAAA", u.PasswordHash));
        Assert.All(await db.AuditEntries.Where(a => a.EntityType == "User").ToListAsync(), a => Assert.DoesNotContain("AQAAAA", a.After ?? ""));
    }

    [Theory, MemberData(nameof(Databases.Both), MemberType = typeof(Databases))]
    public async Task CrossTenantWrites_AreRefused(DatabaseKind kind)
    {
        await using var harness = await CoreHarness.CreateAsync(kind);
        var acme = await harness.CreateTenantAsync("Acme");
        var globex = await harness.CreateTenantAsync("Globex");
        await using var scope = harness.As(acme.Admin);
        await using var db = await scope.Get<IDbContextFactory<FirebreakDbContext>>().CreateDbContextAsync();
        db.Incidents.Add(new Firebreak.Core.Incidents.Incident { Title = "planted", TenantId = globex.Id, Reference = "INC-2026-9999", Year = 2026, Number = 9999 });
        await Assert.ThrowsAsync<InvalidOperationException>(() => db.SaveChangesAsync());
    }
}
