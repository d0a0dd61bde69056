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

/// <summary>
/// Whether every string and property name in a parsed JSON value can be read as text. The JSON reader accepts
/// invalid UTF-8 inside strings and escaped lone surrogates (\ud800), and only throws when such a string is read;
/// readers check an object first so a bad one is reported instead of failing the whole document.
/// </summary>
internal static class JsonText
{
    /// <summary>The byte offset of the first unreadable text in <paramref name="raw"/> (a parsed value's raw UTF-8), or -1.</summary>
    public static int FindUnreadable(ReadOnlySpan<byte> raw)
    {
        if (System.Text.Unicode.Utf8.IsValid(raw) is false)
        {
            var offset = 0;
            while (System.Text.Rune.DecodeFromUtf8(raw[offset..], out _, out var consumed) == System.Buffers.OperationStatus.Done) offset += consumed;
            return offset;
        }
        // Outside strings valid JSON holds no backslash, so every one starts an escape.
        var highAt = -1;
        for (var i = 0; i < raw.Length; i++)
        {
            if (raw[i] != '\\')
            {
                if (highAt >= 0) return highAt;
                continue;
            }
            if (raw[i + 1] != 'u')
            {
                if (highAt >= 0) return highAt;
                i++;
                continue;
            }
            var unit = Convert.ToInt32(System.Text.Encoding.ASCII.GetString(raw.Slice(i + 2, 4)), 16);
            if (highAt >= 0)
            {
                if (unit is < 0xDC00 or > 0xDFFF) return highAt;
                highAt = -1;
            }
            else if (unit is >= 0xD800 and <= 0xDBFF) highAt = i;
            else if (unit is >= 0xDC00 and <= 0xDFFF) return i;
            i += 5;
        }
        return highAt;
    }

    public static bool IsReadable(System.Text.Json.JsonElement element) =>
        FindUnreadable(System.Runtime.InteropServices.JsonMarshal.GetRawUtf8Value(element)) < 0;

    /// <summary>Input echoed in a reason, cut so a hostile value cannot make the reason huge.</summary>
    public static string Short(string text) => text.Length > 80 ? text[..80] + "..." : text;
}
