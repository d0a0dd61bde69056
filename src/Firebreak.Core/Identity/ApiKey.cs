using Firebreak.Core.Common;

namespace Firebreak.Core.Identity;

/// <summary>
/// A key for tools. The secret is shown once at creation; only its SHA-256 is stored (the secret is 256
/// random bits, so a fast hash is safe, unlike for passwords).
/// </summary>
public sealed class ApiKey : ITenantOwned, IVersioned
{
    public Guid Id { get; set; } = Guid.CreateVersion7();
    public Guid TenantId { get; set; }
    public required string Name { get; set; }

    /// <summary>The public part of the key, used to find it: "fbk_" + 12 characters.</summary>
    public required string Prefix { get; set; }

    [Secret]
    public required string SecretHash { get; set; }
    public Role Role { get; set; }
    public Guid? CreatedByUserId { get; set; }
    public DateTimeOffset CreatedAt { get; set; }
    public DateTimeOffset? ExpiresAt { get; set; }
    public DateTimeOffset? RevokedAt { get; set; }
    public DateTimeOffset? LastUsedAt { get; set; }
    public long Version { get; set; }

    public bool IsActive(DateTimeOffset now) => RevokedAt is null && (ExpiresAt is null || ExpiresAt > now);
}
