using System.Text.Json.Serialization;
using Firebreak.Core.Common;

namespace Firebreak.Core.PostMortem;

/// <summary>
/// A case opened with a cloud provider's support during the incident, with the response time agreed
/// in the support plan, so the review can tell whether the provider kept to it.
/// </summary>
public sealed class ProviderEscalation : ITenantOwned, IVersioned, IIncidentOwned
{
    public Guid Id { get; set; } = Guid.CreateVersion7();
    public Guid TenantId { get; set; }
    public Guid IncidentId { get; set; }
    public required string Provider { get; set; }
    public string? Service { get; set; }
    public required string CaseId { get; set; }
    public DateTimeOffset OpenedAt { get; set; }

    /// <summary>The agreed first-response time, in minutes.</summary>
    public int SlaResponseMinutes { get; set; }
    public DateTimeOffset? FirstResponseAt { get; set; }
    public DateTimeOffset? ResolvedAt { get; set; }
    public string Notes { get; set; } = "";
    public EscalationStatus Status { get; set; }
    public DateTimeOffset CreatedAt { get; set; }
    public DateTimeOffset UpdatedAt { get; set; }
    public long Version { get; set; }
}

[JsonConverter(typeof(StrictEnumConverter<EscalationStatus>))]
public enum EscalationStatus
{
    /// <summary>Waiting for the provider.</summary>
    [JsonStringEnumMemberName("open")] Open = 0,

    /// <summary>The provider has answered; the case goes on.</summary>
    [JsonStringEnumMemberName("responded")] Responded = 1,

    /// <summary>The provider resolved the case.</summary>
    [JsonStringEnumMemberName("resolved")] Resolved = 2,

    /// <summary>Closed without resolution (withdrawn, duplicate).</summary>
    [JsonStringEnumMemberName("closed")] Closed = 3,
}

/// <summary>One answer received from the provider on a case. Append-only: never edited or removed.</summary>
public sealed class ProviderEscalationResponse : ITenantOwned, IIncidentOwned
{
    public Guid Id { get; set; } = Guid.CreateVersion7();
    public Guid TenantId { get; set; }
    public Guid IncidentId { get; set; }
    public Guid EscalationId { get; set; }
    public DateTimeOffset ReceivedAt { get; set; }

    /// <summary>Who answered for the provider (an engineer, a support tier), if known.</summary>
    public string? From { get; set; }
    public required string Summary { get; set; }
    public required string RecordedBy { get; set; }
    public DateTimeOffset RecordedAt { get; set; }
}
