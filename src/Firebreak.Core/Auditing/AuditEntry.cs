using Firebreak.Core.Common;

namespace Firebreak.Core.Auditing;

/// <summary>One change to one record: who, when, and the values before and after (JSON objects of the changed properties).</summary>
public sealed class AuditEntry : ITenantOwned
{
    public long Id { get; set; }
    public Guid TenantId { get; set; }
    public Guid? IncidentId { get; set; }
    public required string EntityType { get; set; }
    public required string EntityId { get; set; }

    /// <summary>created, updated or deleted.</summary>
    public required string Action { get; set; }
    public required string ActorName { get; set; }
    public Guid? ActorUserId { get; set; }
    public Guid? ActorApiKeyId { get; set; }
    public DateTimeOffset At { get; set; }
    public string? Before { get; set; }
    public string? After { get; set; }
}
