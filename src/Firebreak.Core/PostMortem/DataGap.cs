using System.Text.Json.Serialization;
using Firebreak.Core.Common;

namespace Firebreak.Core.PostMortem;

/// <summary>Where a data gap was found.</summary>
[JsonConverter(typeof(StrictEnumConverter<DataGapSource>))]
public enum DataGapSource
{
    /// <summary>Entered by an analyst during the review.</summary>
    [JsonStringEnumMemberName("analyst")] Analyst = 0,

    /// <summary>A management-plane check that could not tell whether a log source was on.</summary>
    [JsonStringEnumMemberName("management-plane-check")] ManagementPlaneCheck = 1,

    /// <summary>Events missing from a data-loss extent of the collected logs.</summary>
    [JsonStringEnumMemberName("data-loss")] DataLoss = 2,
}

/// <summary>What the missing data would have shortened.</summary>
[JsonConverter(typeof(StrictEnumConverter<DataGapImpact>))]
public enum DataGapImpact
{
    [JsonStringEnumMemberName("detection")] Detection = 0,
    [JsonStringEnumMemberName("scoping")] Scoping = 1,
    [JsonStringEnumMemberName("detection-and-scoping")] DetectionAndScoping = 2,
}

/// <summary>
/// Data the responders did not have: a log source that was off, a provider or service that logs nothing
/// useful. Analysts enter them today; automatic sources add rows with their own <see cref="Source"/> and
/// a <see cref="SourceReference"/> to what found them, and analysts may not edit those.
/// </summary>
public sealed class DataGap : ITenantOwned, IVersioned, IIncidentOwned
{
    public Guid Id { get; set; } = Guid.CreateVersion7();
    public Guid TenantId { get; set; }
    public Guid IncidentId { get; set; }
    public DataGapSource Source { get; set; }

    /// <summary>What found the gap when not an analyst: the check or extent id.</summary>
    public string? SourceReference { get; set; }

    /// <summary>The log source that was missing (CloudTrail data events for S3, VPC flow logs).</summary>
    public required string LogSource { get; set; }
    public string? Provider { get; set; }
    public string? Service { get; set; }
    public DataGapImpact WouldHaveShortened { get; set; }
    public string Note { get; set; } = "";
    public string RecordedBy { get; set; } = "";
    public DateTimeOffset CreatedAt { get; set; }
    public DateTimeOffset UpdatedAt { get; set; }
    public long Version { get; set; }
}
