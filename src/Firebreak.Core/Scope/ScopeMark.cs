using System.Text.Json.Serialization;
using Firebreak.Core.Common;

namespace Firebreak.Core.Scope;

/// <summary>
/// A responder's statement that an identity or credential of the incident is attacker-controlled. The
/// scope propagates it to what that identity assumed, created or was issued. Unmarking keeps the row
/// (who, when and why on both sides); the audit trail records each change as well.
/// </summary>
public sealed class ScopeMark : ITenantOwned, IIncidentOwned, IVersioned
{
    public Guid Id { get; set; } = Guid.CreateVersion7();
    public Guid TenantId { get; set; }
    public Guid IncidentId { get; set; }
    public ScopeMarkKind Kind { get; set; }

    /// <summary>The principal (ARN, UPN, service-account e-mail) or access key id, as it appears in the events.</summary>
    public required string Value { get; set; }
    public required string Reason { get; set; }
    public required string MarkedBy { get; set; }
    public DateTimeOffset MarkedAt { get; set; }
    public string? UnmarkedBy { get; set; }
    public DateTimeOffset? UnmarkedAt { get; set; }
    public string? UnmarkReason { get; set; }
    public long Version { get; set; }
}

[JsonConverter(typeof(StrictEnumConverter<ScopeMarkKind>))]
public enum ScopeMarkKind
{
    [JsonStringEnumMemberName("principal")] Principal = 0,
    [JsonStringEnumMemberName("access-key")] AccessKey = 1,
}

public static class ScopeLimits
{
    public const int ValueLength = 2048;
    public const int ReasonLength = 2000;

    /// <summary>Rows kept per list of the scope (identities, resources, addresses...); the view says when a list was cut.</summary>
    public const int MaxListed = 2000;

    /// <summary>Credential-issuing events (STS, impersonation, identity creation) read with their raw record.</summary>
    public const int MaxChainEvents = 20_000;

    /// <summary>Attacker-controlled identities used in the SQL filters of the blast radius.</summary>
    public const int MaxControlled = 5000;
}
