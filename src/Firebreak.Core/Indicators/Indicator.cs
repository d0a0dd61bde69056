using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Serialization;
using Firebreak.Core.Common;
using Firebreak.Core.Incidents;

namespace Firebreak.Core.Indicators;

/// <summary>What responders concluded about an indicator.</summary>
[JsonConverter(typeof(StrictEnumConverter<IndicatorVerdict>))]
public enum IndicatorVerdict
{
    /// <summary>Not judged yet: everything extracted starts here.</summary>
    [JsonStringEnumMemberName("unknown")] Unknown = 0,

    /// <summary>Worth watching, not confirmed.</summary>
    [JsonStringEnumMemberName("suspicious")] Suspicious = 1,

    /// <summary>Confirmed attacker infrastructure, tooling or stolen identity.</summary>
    [JsonStringEnumMemberName("malicious")] Malicious = 2,

    /// <summary>Looked at and found benign here (the tenant's own NAT address, its CI user agent).</summary>
    [JsonStringEnumMemberName("false-positive")] FalsePositive = 3,
}

/// <summary>
/// One indicator (observable) of one incident: a type and a normalised value, with its handling
/// markings, the analyst's verdict, and where in the incident it was seen. The same value on two
/// incidents is two rows with the same <see cref="ValueHash"/>; "also seen in" is an index lookup on
/// (tenant, type, hash).
/// </summary>
public sealed class Indicator : ITenantOwned, IIncidentOwned, IVersioned
{
    public Guid Id { get; set; } = Guid.CreateVersion7();
    public Guid TenantId { get; set; }
    public Guid IncidentId { get; set; }
    public IndicatorType Type { get; set; }

    /// <summary>The value as <see cref="IndicatorValue.Parse"/> normalised it.</summary>
    public required string Value { get; set; }

    /// <summary>SHA-256 (hex) of <see cref="Value"/>: a fixed-width key, because values run to 2,048 characters and index entries may not.</summary>
    public required string ValueHash { get; set; }
    public Tlp Tlp { get; set; }
    public Pap Pap { get; set; }
    public string Description { get; set; } = "";
    public List<string> Tags { get; set; } = [];
    public IndicatorVerdict Verdict { get; set; }

    /// <summary>
    /// True once an analyst added or edited it: it then stays when the alerts or events it came from
    /// leave the incident. Extracted indicators nobody touched go with their last source.
    /// </summary>
    public bool Curated { get; set; }

    /// <summary>Who added it: an analyst's name, or "alerts" / "events" for extraction.</summary>
    public required string AddedBy { get; set; }
    public DateTimeOffset AddedAt { get; set; }
    public DateTimeOffset UpdatedAt { get; set; }

    /// <summary>Alerts escalated into the incident that name it, and their earliest and latest activity times.</summary>
    public int AlertSightings { get; set; }
    public DateTimeOffset? AlertFirstSeen { get; set; }
    public DateTimeOffset? AlertLastSeen { get; set; }

    /// <summary>Cloud events of the incident that carry it, and their first and last event times; recomputed after each import.</summary>
    public long EventSightings { get; set; }
    public DateTimeOffset? EventFirstSeen { get; set; }
    public DateTimeOffset? EventLastSeen { get; set; }
    public long Version { get; set; }

    public long Sightings => AlertSightings + EventSightings;

    public DateTimeOffset? FirstSeen => Earlier(AlertFirstSeen, EventFirstSeen);

    public DateTimeOffset? LastSeen => Later(AlertLastSeen, EventLastSeen);

    public static string Hash(string normalisedValue) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(normalisedValue)));

    internal static DateTimeOffset? Earlier(DateTimeOffset? a, DateTimeOffset? b) => a is null ? b : b is null ? a : a < b ? a : b;

    internal static DateTimeOffset? Later(DateTimeOffset? a, DateTimeOffset? b) => a is null ? b : b is null ? a : a > b ? a : b;
}

/// <summary>The latest result of one enricher for one indicator; a re-run replaces it.</summary>
public sealed class IndicatorEnrichment : ITenantOwned, IIncidentOwned
{
    public Guid Id { get; set; } = Guid.CreateVersion7();
    public Guid TenantId { get; set; }
    public Guid IncidentId { get; set; }
    public Guid IndicatorId { get; set; }
    public required string Enricher { get; set; }
    public DateTimeOffset At { get; set; }
    public bool Succeeded { get; set; }
    public string Summary { get; set; } = "";
    public Dictionary<string, string> Fields { get; set; } = [];

    /// <summary>Why the enricher failed; the indicator itself is unaffected.</summary>
    public string? Error { get; set; }
}

public static class IndicatorLimits
{
    public const int DescriptionLength = 4_000;
    public const int MaxTags = 20;
    public const int TagLength = 64;

    /// <summary>Indicators one incident may hold, extracted and added together.</summary>
    public const int MaxPerIncident = 10_000;

    /// <summary>Distinct values one event column contributes to an incident, the most frequent first.</summary>
    public const int MaxPerEventColumn = 1_000;

    /// <summary>Other incidents listed under one indicator.</summary>
    public const int MaxSightings = 100;

    /// <summary>Incidents a tenant-wide search returns.</summary>
    public const int MaxSearchResults = 200;

    public const int SummaryLength = 1_000;
    public const int MaxFields = 32;
    public const int FieldLength = 500;
    public const int ErrorLength = 1_000;
}
