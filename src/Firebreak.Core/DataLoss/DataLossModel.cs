using System.Text.Json.Serialization;
using Firebreak.Core.Assets;
using Firebreak.Core.Common;

namespace Firebreak.Core.DataLoss;

[JsonConverter(typeof(StrictEnumConverter<DataLossCategory>))]
public enum DataLossCategory
{
    /// <summary>Objects read or listed (S3, Cloud Storage, Azure blobs, storage account keys).</summary>
    [JsonStringEnumMemberName("object-read")] ObjectRead = 0,

    /// <summary>A snapshot, image or database snapshot shared with another account, or a disk exported by SAS.</summary>
    [JsonStringEnumMemberName("snapshot-share")] SnapshotShare = 1,

    /// <summary>Secrets and parameters read.</summary>
    [JsonStringEnumMemberName("secret-read")] SecretRead = 2,

    /// <summary>A resource made public, or its public-access guard removed.</summary>
    [JsonStringEnumMemberName("public-exposure")] PublicExposure = 3,

    /// <summary>A database, table or instance exported.</summary>
    [JsonStringEnumMemberName("database-export")] DatabaseExport = 4,
}

/// <summary>How far the figures can be trusted; the rules are in docs/data-loss.md.</summary>
[JsonConverter(typeof(StrictEnumConverter<DataLossConfidence>))]
public enum DataLossConfidence
{
    [JsonStringEnumMemberName("low")] Low = 0,
    [JsonStringEnumMemberName("medium")] Medium = 1,
    [JsonStringEnumMemberName("high")] High = 2,
}

/// <summary>
/// One recorded assessment of an incident's data-loss extent: computed on demand from the incident's
/// events, saved with who ran it and when, never changed afterwards. The newest one is the incident's
/// current extent; the older ones are its history.
/// </summary>
public sealed class DataLossExtent : ITenantOwned, IIncidentOwned
{
    public Guid Id { get; set; } = Guid.CreateVersion7();
    public Guid TenantId { get; set; }
    public Guid IncidentId { get; set; }
    public DateTimeOffset AssessedAt { get; set; }
    public required string AssessedBy { get; set; }
    public int ResourceCount { get; set; }
    public bool PersonalData { get; set; }
    public bool LowerBound { get; set; }
    public long EventsMatched { get; set; }
    public required string Statement { get; set; }

    /// <summary>The resources, gaps and clocks as JSON (<see cref="DataLossResult"/>).</summary>
    public required string Result { get; set; }

    /// <summary>The notification clocks alone, as JSON, so a later assessment keeps each clock's start without reading whole results.</summary>
    public required string Clocks { get; set; }
}

/// <summary>Who reached a resource: one principal, key and address, with how many events.</summary>
public sealed record DataLossAccessor(string? Principal, string? AccessKeyId, string? SourceIp, long Events);

/// <summary>Where the data could be reached: a start, and an end unless <see cref="Open"/>.</summary>
public sealed record ExposureWindow(DateTimeOffset? Start, DateTimeOffset? End, bool Open);

public sealed record DataLossResource(
    string Resource,
    string Provider,
    IReadOnlyList<DataLossCategory> Categories,
    string? AssetName,
    DataClassification? Classification,
    bool PersonalData,
    IReadOnlyList<string> Regulations,
    string? Owner,
    IReadOnlyList<DataLossAccessor> AccessedBy,
    int PrincipalCount,
    long Events,
    long Objects,
    long? Bytes,
    bool BytesComplete,
    ExposureWindow Window,
    DataLossConfidence Confidence,
    bool LowerBound,
    IReadOnlyList<string> Findings,
    IReadOnlyList<string> Regimes);

/// <summary>A log source the extent needed and did not find; recorded as a data gap.</summary>
public sealed record DataLossGap(string Reference, string LogSource, string Provider, string Service, string Reason);

/// <summary>A notification obligation's clock: when awareness started it and when notice is due.</summary>
public sealed record NotificationClock(string Regime, string Authority, int Hours, DateTimeOffset Start, DateTimeOffset Deadline, IReadOnlyList<string> Resources);

/// <summary>What a recorded extent holds besides its summary columns.</summary>
public sealed record DataLossResult(IReadOnlyList<DataLossResource> Resources, IReadOnlyList<DataLossGap> Gaps, IReadOnlyList<NotificationClock> Clocks, bool Truncated);

/// <summary>A clock as seen now: time left (negative once overdue).</summary>
public sealed record NotificationClockView(string Regime, string Authority, int Hours, DateTimeOffset Start, DateTimeOffset Deadline,
    long SecondsLeft, bool Overdue, IReadOnlyList<string> Resources);

public sealed record DataLossView(
    Guid Id,
    string Incident,
    DateTimeOffset AssessedAt,
    string AssessedBy,
    string Statement,
    long EventsMatched,
    bool LowerBound,
    bool PersonalData,
    bool Truncated,
    IReadOnlyList<DataLossResource> Resources,
    IReadOnlyList<DataLossGap> Gaps,
    IReadOnlyList<NotificationClockView> Clocks);

public sealed record DataLossSummary(Guid Id, DateTimeOffset AssessedAt, string AssessedBy, int Resources, bool PersonalData, bool LowerBound,
    long EventsMatched, string Statement);
