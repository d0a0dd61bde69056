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
    public DateTimeOffset CreatedAt { get; set; }
    public DateTimeOffset UpdatedAt { get; set; }
    public long Version { get; set; }
}
