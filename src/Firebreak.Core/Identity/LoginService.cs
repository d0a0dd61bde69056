using Firebreak.Core.Persistence;
using Microsoft.EntityFrameworkCore;

namespace Firebreak.Core.Identity;

/// <summary>Local password sign-in with lockout after repeated failures.</summary>
public sealed class LoginService(IDbContextFactory<FirebreakDbContext> factory, TimeProvider time)
{
    public const int MaxFailedAttempts = 5;
    public static readonly TimeSpan LockoutDuration = TimeSpan.FromMinutes(15);

    public async Task<LoginResult> PasswordSignInAsync(string email, string password, CancellationToken cancellationToken = default)
    {
        await using var db = await factory.CreateDbContextAsync(cancellationToken);
        var normalized = (email ?? "").Trim().ToUpperInvariant();
        // Before sign-in the tenant is unknown: this is the one lookup that spans tenants.
        var user = await db.Users.IgnoreQueryFilters().SingleOrDefaultAsync(u => u.NormalizedEmail == normalized, cancellationToken);
        var now = time.GetUtcNow();
        if (user is null || user.Disabled)
        {
            return new LoginResult(LoginOutcome.Failed, null);
        }
        if (user.LockoutEnd is { } end && end > now)
        {
            return new LoginResult(LoginOutcome.LockedOut, null);
        }
        db.ActAs(Actors.For(user));
        if (!Passwords.Verify(user, password ?? "", out var rehash))
        {
            user.FailedLoginCount++;
            if (user.FailedLoginCount >= MaxFailedAttempts)
            {
                user.LockoutEnd = now + LockoutDuration;
                user.FailedLoginCount = 0;
            }
            await db.SaveChangesAsync(cancellationToken);
            return new LoginResult(user.LockoutEnd > now ? LoginOutcome.LockedOut : LoginOutcome.Failed, null);
        }
        user.FailedLoginCount = 0;
        user.LockoutEnd = null;
        user.LastLoginAt = now;
        if (rehash) user.PasswordHash = Passwords.Hash(user, password!);
        await db.SaveChangesAsync(cancellationToken);
        return new LoginResult(LoginOutcome.Succeeded, user);
    }
}
