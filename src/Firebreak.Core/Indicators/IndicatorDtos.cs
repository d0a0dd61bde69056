using Firebreak.Core.Incidents;

namespace Firebreak.Core.Indicators;

/// <summary>An indicator of an incident, with where else in the tenant it was seen and what enrichers said.</summary>
public sealed record IndicatorView(
    Guid Id,
    string Incident,
    IndicatorType Type,
    string Value,
    Tlp Tlp,
    Pap Pap,
    string Description,
    IReadOnlyList<string> Tags,
    IndicatorVerdict Verdict,
    bool Curated,
    string AddedBy,
    DateTimeOffset AddedAt,
    DateTimeOffset UpdatedAt,
    long Sightings,
    int AlertSightings,
    long EventSightings,
    DateTimeOffset? FirstSeen,
    DateTimeOffset? LastSeen,
    int AlsoSeenInCount,
    IReadOnlyList<IndicatorSighting> AlsoSeenIn,
    IReadOnlyList<EnrichmentView> Enrichments,
    long Version);

/// <summary>The indicator on one incident: how often and when it was seen there.</summary>
public sealed record IndicatorSighting(string Incident, string Title, Guid IndicatorId, IndicatorVerdict Verdict, long Sightings,
    DateTimeOffset? FirstSeen, DateTimeOffset? LastSeen);

public sealed record EnrichmentView(string Enricher, DateTimeOffset At, bool Succeeded, string Summary, IReadOnlyDictionary<string, string> Fields, string? Error);

/// <summary>An analyst's indicator. TLP and PAP default to the incident's; the verdict to unknown.</summary>
public sealed record AddIndicator(IndicatorType? Type, string? Value, Tlp? Tlp = null, Pap? Pap = null, string? Description = null,
    IReadOnlyList<string>? Tags = null, IndicatorVerdict? Verdict = null);

/// <summary>Changes to an indicator; null leaves a field as it is. The type and value never change: delete and add instead.</summary>
public sealed record UpdateIndicator(Tlp? Tlp = null, Pap? Pap = null, string? Description = null, IReadOnlyList<string>? Tags = null,
    IndicatorVerdict? Verdict = null);

public sealed record IndicatorQuery
{
    public IndicatorType? Type { get; init; }
    public IndicatorVerdict? Verdict { get; init; }

    /// <summary>Text anywhere in the value, case-insensitive.</summary>
    public string? Text { get; init; }
    public int? Page { get; init; }
    public int? PageSize { get; init; }
}

/// <summary>One reading of a searched value and every incident of the tenant that holds it.</summary>
public sealed record IndicatorSearchResult(IndicatorType Type, string Value, IReadOnlyList<IndicatorSighting> Incidents);
