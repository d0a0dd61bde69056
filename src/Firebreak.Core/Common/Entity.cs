namespace Firebreak.Core.Common;

/// <summary>A record that belongs to one tenant; the DbContext filters and stamps it.</summary>
public interface ITenantOwned
{
    Guid TenantId { get; set; }
}

/// <summary>A record that hangs off an incident; its audit entries are listed with the incident.</summary>
public interface IIncidentOwned
{
    Guid IncidentId { get; }
}

/// <summary>A record updated under optimistic concurrency: Version is its ETag.</summary>
public interface IVersioned
{
    long Version { get; set; }
}

/// <summary>A property whose value must never reach the audit trail, a log or a response.</summary>
[AttributeUsage(AttributeTargets.Property)]
public sealed class SecretAttribute : Attribute;

/// <summary>Bookkeeping rows (counters) whose changes are not user-visible changes and stay out of the audit trail.</summary>
[AttributeUsage(AttributeTargets.Class)]
public sealed class NotAuditedAttribute : Attribute;

/// <summary>Enums travel as their names only: a bare number would let undefined values through.</summary>
public sealed class StrictEnumConverter<TEnum>() : System.Text.Json.Serialization.JsonStringEnumConverter<TEnum>(null, allowIntegerValues: false)
    where TEnum : struct, Enum;
