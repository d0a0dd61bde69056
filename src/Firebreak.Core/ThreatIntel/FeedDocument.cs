using Firebreak.Core.Incidents;
using Firebreak.Core.Indicators;

namespace Firebreak.Core.ThreatIntel;

/// <summary>One indicator read from a feed document, before it is stored.</summary>
public sealed record ParsedIndicator(
    IndicatorValue Indicator,
    string SourceId,
    Tlp? Tlp = null,
    IReadOnlyList<string>? Labels = null,
    int? Confidence = null,
    DateTimeOffset? ValidFrom = null,
    DateTimeOffset? ValidUntil = null,
    bool Revoked = false,
    string? Description = null);

/// <summary>An object or attribute a reader did not turn into an indicator, and why.</summary>
public sealed record SkippedEntry(string SourceId, string Reason);

/// <summary>What a reader made of a document: the indicators, and everything it left out with a reason.</summary>
public sealed class FeedDocument
{
    public List<ParsedIndicator> Indicators { get; } = [];
    public List<SkippedEntry> Skipped { get; } = [];

    /// <summary>Objects read, whether or not they became indicators (relationships, identities and the like are not counted).</summary>
    public int ObjectsRead { get; set; }

    public void Skip(string sourceId, string reason) => Skipped.Add(new SkippedEntry(sourceId, reason));

    public void Add(FeedDocument other)
    {
        Indicators.AddRange(other.Indicators);
        Skipped.AddRange(other.Skipped);
        ObjectsRead += other.ObjectsRead;
    }
}

/// <summary>The document is not JSON, or not the shape the format requires (400).</summary>
public sealed class FeedFormatException(string message) : Common.DomainException(message);
