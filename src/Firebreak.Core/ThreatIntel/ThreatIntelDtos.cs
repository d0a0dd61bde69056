using Firebreak.Core.Incidents;
using Firebreak.Core.Indicators;

namespace Firebreak.Core.ThreatIntel;

/// <summary>A subscription as shown: its credential only as "set or not".</summary>
public sealed record FeedView(
    Guid Id, string Name, FeedKind Kind, string? Url, string? CollectionId, FeedAuth Auth, string? Username, string? ApiKeyHeader, bool HasSecret,
    int PollMinutes, bool Enabled, Tlp DefaultTlp, DateTimeOffset? LastPolledAt, DateTimeOffset? LastSuccessAt, FeedStatus LastStatus, string? LastError,
    string? LastSummary, int IndicatorCount, int ActiveIndicatorCount, string CreatedBy, DateTimeOffset CreatedAt, long Version);

/// <summary>A new subscription. Secret is the password (basic) or API key; it is stored protected and never shown again.</summary>
public sealed record CreateFeed(
    string Name, FeedKind Kind = FeedKind.Upload, string? Url = null, string? CollectionId = null, FeedAuth Auth = FeedAuth.None,
    string? Username = null, string? ApiKeyHeader = null, string? Secret = null, int? PollMinutes = null, bool? Enabled = null, Tlp? DefaultTlp = null);

/// <summary>Changes to a subscription; null leaves a field as it is, an empty Secret removes the stored one.</summary>
public sealed record UpdateFeed(
    string? Name = null, string? Url = null, string? CollectionId = null, FeedAuth? Auth = null, string? Username = null, string? ApiKeyHeader = null,
    string? Secret = null, int? PollMinutes = null, bool? Enabled = null, Tlp? DefaultTlp = null);

/// <summary>What an import or poll did. Skipped entries are counted by reason, with the first few named.</summary>
public sealed record ImportSummary(
    Guid FeedId, string Feed, int ObjectsRead, int Indicators, int Added, int Updated, int Unchanged, int Skipped,
    IReadOnlyDictionary<string, int> SkippedByReason, IReadOnlyList<SkippedEntry> SkippedSamples);

public sealed record PollResult(FeedView Feed, ImportSummary? Summary, string? Error);

public sealed record FeedIndicatorView(
    Guid Id, Guid FeedId, string Feed, IndicatorType Type, string Value, Tlp Tlp, IReadOnlyList<string> Labels, int? Confidence,
    DateTimeOffset? ValidFrom, DateTimeOffset? ValidUntil, bool Revoked, bool Active, string SourceId, string? Description, DateTimeOffset UpdatedAt);

public sealed record FeedIndicatorQuery(string? Value = null, IndicatorType? Type = null, string? Feed = null, bool ActiveOnly = false, int? Page = null, int? PageSize = null);

public sealed record MatchView(
    Guid Id, Guid FeedId, string Feed, IndicatorType IndicatorType, string IndicatorValue, string MatchedValue, MatchSubject Subject,
    Guid? AlertId, Guid? IncidentId, string? IncidentReference, long? EventId, int EventCount, Guid? RaisedAlertId, DateTimeOffset MatchedAt);

internal static class ThreatIntelText
{
    public static string Tlp(Tlp tlp) => tlp switch
    {
        Incidents.Tlp.Clear => "TLP:CLEAR",
        Incidents.Tlp.Green => "TLP:GREEN",
        Incidents.Tlp.Amber => "TLP:AMBER",
        Incidents.Tlp.AmberStrict => "TLP:AMBER+STRICT",
        _ => "TLP:RED",
    };
}
