namespace Firebreak.Core.Identity;

public sealed record UserView(Guid Id, string Email, string DisplayName, Role Role, bool Disabled, bool LockedOut, DateTimeOffset CreatedAt, DateTimeOffset? LastLoginAt);

public sealed record ApiKeyView(Guid Id, string Name, string Prefix, Role Role, DateTimeOffset CreatedAt, DateTimeOffset? ExpiresAt, DateTimeOffset? RevokedAt, DateTimeOffset? LastUsedAt);

/// <summary>A new key: <see cref="Secret"/> is the full key, returned this once and never again.</summary>
public sealed record CreatedApiKey(ApiKeyView Key, string Secret);

public sealed record BootstrapResult(Guid TenantId, string TenantName, string Email, string Password);

public enum LoginOutcome
{
    Succeeded,
    Failed,
    LockedOut,
}

public sealed record LoginResult(LoginOutcome Outcome, User? User);
