namespace Firebreak.Core.Identity;

/// <summary>An organisation. Nothing of one tenant is ever visible to another.</summary>
public sealed class Tenant
{
    public Guid Id { get; set; } = Guid.CreateVersion7();
    public required string Name { get; set; }
    public required string Slug { get; set; }
    public DateTimeOffset CreatedAt { get; set; }
}
