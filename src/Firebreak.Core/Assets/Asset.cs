using System.Text.Json.Serialization;
using Firebreak.Core.Common;

namespace Firebreak.Core.Assets;

/// <summary>How sensitive the data held by a resource is, from least to most.</summary>
[JsonConverter(typeof(StrictEnumConverter<DataClassification>))]
public enum DataClassification
{
    [JsonStringEnumMemberName("public")] Public = 0,
    [JsonStringEnumMemberName("internal")] Internal = 1,
    [JsonStringEnumMemberName("confidential")] Confidential = 2,
    [JsonStringEnumMemberName("restricted")] Restricted = 3,
}

/// <summary>
/// One entry of the tenant's asset register: the cloud resources a pattern names (an exact identifier,
/// or one with <c>*</c> wildcards), what data they hold and who owns them. The data-loss extent reads it to
/// say how sensitive an exposed resource is and which notification clocks its exposure starts.
/// </summary>
public sealed class Asset : ITenantOwned, IVersioned
{
    public Guid Id { get; set; } = Guid.CreateVersion7();
    public Guid TenantId { get; set; }

    /// <summary>A resource identifier (ARN, GCP resource name, Azure resource id), exact or with <c>*</c> wildcards.</summary>
    public required string Pattern { get; set; }
    public required string Name { get; set; }
    public DataClassification Classification { get; set; }
    public bool PersonalData { get; set; }

    /// <summary>Regimes that apply to the data (gdpr, hipaa, pci-dss), lower case.</summary>
    public List<string> Regulations { get; set; } = [];
    public string? Owner { get; set; }
    public DateTimeOffset CreatedAt { get; set; }
    public DateTimeOffset UpdatedAt { get; set; }
    public long Version { get; set; }
}

public static class AssetLimits
{
    public const int PatternLength = 2048;
    public const int NameLength = 200;
    public const int OwnerLength = 200;
    public const int MaxRegulations = 20;
    public const int RegulationLength = 32;
    public const int MaxWildcards = 8;
    public const int MaxPerTenant = 5_000;
}

/// <summary>A new asset, or the whole of an asset's fields on update.</summary>
public sealed record AssetInput(string? Pattern, string? Name, DataClassification? Classification, bool? PersonalData,
    IReadOnlyList<string>? Regulations, string? Owner);

public sealed record AssetView(Guid Id, string Pattern, string Name, DataClassification Classification, bool PersonalData,
    IReadOnlyList<string> Regulations, string? Owner, DateTimeOffset CreatedAt, DateTimeOffset UpdatedAt, long Version);
