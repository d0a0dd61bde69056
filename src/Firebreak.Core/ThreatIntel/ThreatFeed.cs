using System.Text.Json.Serialization;
using Firebreak.Core.Common;
using Firebreak.Core.Incidents;
using Firebreak.Core.Indicators;

namespace Firebreak.Core.ThreatIntel;

/// <summary>
/// A tenant's subscription to a source of threat intelligence: uploads (STIX bundles, MISP feed JSON),
/// a TAXII 2.1 collection, or a MISP feed URL that the poller reads at its interval.
/// </summary>
public sealed class ThreatFeed : ITenantOwned, IVersioned
{
    public Guid Id { get; set; } = Guid.CreateVersion7();
    public Guid TenantId { get; set; }
    public required string Name { get; set; }
    public FeedKind Kind { get; set; }

    /// <summary>TAXII: the discovery URL or the API root; MISP: the feed's base URL (where manifest.json is). Null for uploads.</summary>
    public string? Url { get; set; }

    /// <summary>TAXII: the collection id.</summary>
    public string? CollectionId { get; set; }
    public FeedAuth Auth { get; set; }

    /// <summary>Basic auth user name; not a secret.</summary>
    public string? Username { get; set; }

    /// <summary>The header that carries an API key (Authorization, X-Api-Key, ...).</summary>
    public string? ApiKeyHeader { get; set; }

    /// <summary>The password or API key, protected with Data Protection; never returned, logged or audited.</summary>
    [Secret]
    public string? ProtectedSecret { get; set; }
    public int PollMinutes { get; set; } = 60;
    public bool Enabled { get; set; } = true;

    /// <summary>TLP given to indicators that carry no marking of their own.</summary>
    public Tlp DefaultTlp { get; set; } = Tlp.Amber;

    /// <summary>TAXII: the last X-TAXII-Date-Added-Last; MISP: the newest event timestamp read (Unix seconds).</summary>
    public string? Cursor { get; set; }
    public DateTimeOffset? LastPolledAt { get; set; }
    public DateTimeOffset? LastSuccessAt { get; set; }
    public FeedStatus LastStatus { get; set; }
    public string? LastError { get; set; }

    /// <summary>What the last import or poll read, stored and skipped (with reasons).</summary>
    public string? LastSummary { get; set; }
    public required string CreatedBy { get; set; }
    public DateTimeOffset CreatedAt { get; set; }
    public long Version { get; set; }
}

/// <summary>One indicator a feed delivered, typed and normalised like every indicator in Firebreak.</summary>
[NotAudited]
public sealed class FeedIndicator : ITenantOwned
{
    public Guid Id { get; set; } = Guid.CreateVersion7();
    public Guid TenantId { get; set; }
    public Guid FeedId { get; set; }
    public IndicatorType Type { get; set; }

    /// <summary>Normalised by <see cref="IndicatorValue"/>, so it compares equal with incident indicators.</summary>
    public required string Value { get; set; }
    public Tlp Tlp { get; set; }

    /// <summary>Labels and tags, one per line.</summary>
    public string? Labels { get; set; }

    /// <summary>0 to 100 (STIX confidence); null when the feed gives none.</summary>
    public int? Confidence { get; set; }
    public DateTimeOffset? ValidFrom { get; set; }
    public DateTimeOffset? ValidUntil { get; set; }
    public bool Revoked { get; set; }

    /// <summary>The STIX object id or MISP attribute uuid it came from.</summary>
    public required string SourceId { get; set; }
    public string? Description { get; set; }
    public DateTimeOffset FirstSeenAt { get; set; }
    public DateTimeOffset UpdatedAt { get; set; }
}

/// <summary>A feed indicator seen in an alert or in an incident's cloud events; the alert it raised has the same key.</summary>
[NotAudited]
public sealed class ThreatIntelMatch : ITenantOwned
{
    public Guid Id { get; set; } = Guid.CreateVersion7();
    public Guid TenantId { get; set; }

    /// <summary>Unique per tenant: SHA-256 of the indicator, where it was seen, and the value.</summary>
    public required string MatchKey { get; set; }
    public Guid FeedId { get; set; }
    public Guid FeedIndicatorId { get; set; }
    public IndicatorType IndicatorType { get; set; }
    public required string IndicatorValue { get; set; }
    public required string MatchedValue { get; set; }
    public MatchSubject Subject { get; set; }
    public Guid? AlertId { get; set; }
    public Guid? IncidentId { get; set; }

    /// <summary>The first matching event (IncidentEvent.Id) and how many events matched.</summary>
    public long? EventId { get; set; }
    public int EventCount { get; set; }

    /// <summary>The threat-intel alert raised for this match.</summary>
    public Guid? RaisedAlertId { get; set; }
    public DateTimeOffset MatchedAt { get; set; }
}

[JsonConverter(typeof(StrictEnumConverter<FeedKind>))]
public enum FeedKind
{
    [JsonStringEnumMemberName("upload")] Upload = 0,
    [JsonStringEnumMemberName("taxii")] Taxii = 1,
    [JsonStringEnumMemberName("misp")] Misp = 2,
}

[JsonConverter(typeof(StrictEnumConverter<FeedAuth>))]
public enum FeedAuth
{
    [JsonStringEnumMemberName("none")] None = 0,
    [JsonStringEnumMemberName("basic")] Basic = 1,
    [JsonStringEnumMemberName("api-key")] ApiKey = 2,
}

[JsonConverter(typeof(StrictEnumConverter<FeedStatus>))]
public enum FeedStatus
{
    [JsonStringEnumMemberName("never")] Never = 0,
    [JsonStringEnumMemberName("ok")] Ok = 1,
    [JsonStringEnumMemberName("failed")] Failed = 2,
}

[JsonConverter(typeof(StrictEnumConverter<MatchSubject>))]
public enum MatchSubject
{
    [JsonStringEnumMemberName("alert")] Alert = 0,
    [JsonStringEnumMemberName("event")] Event = 1,
}

[JsonConverter(typeof(StrictEnumConverter<FeedFormat>))]
public enum FeedFormat
{
    [JsonStringEnumMemberName("stix")] Stix = 0,
    [JsonStringEnumMemberName("misp")] Misp = 1,
}

public static class ThreatIntelLimits
{
    public const int NameLength = 200;
    public const int UrlLength = 2_000;
    public const int SecretLength = 4_000;
    public const long MaxUploadBytes = 32 * 1024 * 1024;
    public const int MaxSkippedReported = 200;
    public const int MaxLabels = 20;
    public const int SourceIdLength = 200;
}
