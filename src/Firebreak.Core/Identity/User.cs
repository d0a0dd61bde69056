using Firebreak.Core.Common;

namespace Firebreak.Core.Identity;

public sealed class User : ITenantOwned, IVersioned
{
    public Guid Id { get; set; } = Guid.CreateVersion7();
    public Guid TenantId { get; set; }
    public required string Email { get; set; }

    /// <summary>Upper-cased e-mail: the unique login key, case-insensitive on every database.</summary>
    public string NormalizedEmail { get; set; } = "";
    public required string DisplayName { get; set; }
    public Role Role { get; set; }

    [Secret]
    public string PasswordHash { get; set; } = "";
    public int FailedLoginCount { get; set; }
    public DateTimeOffset? LockoutEnd { get; set; }
    public bool Disabled { get; set; }
    public DateTimeOffset CreatedAt { get; set; }
    public DateTimeOffset? LastLoginAt { get; set; }
    public long Version { get; set; }
}
