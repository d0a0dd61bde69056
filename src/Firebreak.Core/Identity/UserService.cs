using System.Net.Mail;
using Firebreak.Core.Common;
using Firebreak.Core.Persistence;
using Microsoft.EntityFrameworkCore;

namespace Firebreak.Core.Identity;

public sealed class UserService(IDbContextFactory<FirebreakDbContext> factory, TimeProvider time)
{
    public async Task<IReadOnlyList<UserView>> ListAsync(CancellationToken cancellationToken = default)
    {
        await using var db = await factory.CreateDbContextAsync(cancellationToken);
        var users = await db.Users.AsNoTracking().OrderBy(u => u.DisplayName).ToListAsync(cancellationToken);
        var now = time.GetUtcNow();
        return users.Select(u => ToView(u, now)).ToList();
    }

    public async Task<UserView> CreateAsync(string email, string displayName, Role role, string password, CancellationToken cancellationToken = default)
    {
        await using var db = await factory.CreateDbContextAsync(cancellationToken);
        return await CreateAsync(db, email, displayName, role, password, cancellationToken);
    }

    /// <summary>Creates a user in the tenant the context acts for.</summary>
    public async Task<UserView> CreateAsync(FirebreakDbContext db, string email, string displayName, Role role, string password, CancellationToken cancellationToken)
    {
        new Checks().Required("email", email, 320).Required("displayName", displayName, 200).Defined("role", (Role?)role)
            .That(string.IsNullOrWhiteSpace(email) || IsEmail(email), "email", "email is not a valid address.")
            .ThrowIfAny();
        Passwords.Check(password);
        var normalized = email.Trim().ToUpperInvariant();
        if (await db.Users.IgnoreQueryFilters().AnyAsync(u => u.NormalizedEmail == normalized, cancellationToken))
            throw new ConflictException($"A user with e-mail '{email.Trim()}' already exists.");
        var user = new User
        {
            Email = email.Trim(),
            NormalizedEmail = normalized,
            DisplayName = displayName.Trim(),
            Role = role,
            CreatedAt = time.GetUtcNow(),
        };
        user.PasswordHash = Passwords.Hash(user, password);
        db.Users.Add(user);
        await db.SaveChangesAsync(cancellationToken);
        return ToView(user, time.GetUtcNow());
    }

    private static bool IsEmail(string value) =>
        MailAddress.TryCreate(value.Trim(), out var address) && address.Address == value.Trim();

    internal static UserView ToView(User u, DateTimeOffset now) =>
        new(u.Id, u.Email, u.DisplayName, u.Role, u.Disabled, u.LockoutEnd > now, u.CreatedAt, u.LastLoginAt);
}
