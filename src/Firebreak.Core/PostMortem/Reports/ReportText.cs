using System.Collections.Concurrent;
using System.Globalization;
using System.Reflection;
using System.Text.Json.Serialization;
using Firebreak.Core.Alerts;
using Firebreak.Core.Evidence;
using Firebreak.Core.Incidents;
using Firebreak.Core.Investigation;

namespace Firebreak.Core.PostMortem.Reports;

/// <summary>How every renderer words the same values, so a PDF and its HTML twin read alike.</summary>
public static class ReportText
{
    private static readonly ConcurrentDictionary<Enum, string> Names = new();

    /// <summary>The value's name on the wire (its JSON name), e.g. "compromised-credentials".</summary>
    public static string Name<T>(T value) where T : struct, Enum => Names.GetOrAdd(value, v =>
        v.GetType().GetField(v.ToString())?.GetCustomAttribute<JsonStringEnumMemberNameAttribute>()?.Name ?? v.ToString());

    public static string Time(DateTimeOffset at) => at.UtcDateTime.ToString("yyyy-MM-dd HH:mm 'UTC'", CultureInfo.InvariantCulture);

    public static string Time(DateTimeOffset? at) => at is { } t ? Time(t) : "—";

    /// <summary>"3 d 4 h", "2 h 5 min", "45 min", "under a minute"; negative spans (clock skew in a source) keep their sign.</summary>
    public static string Duration(TimeSpan span)
    {
        if (span < TimeSpan.Zero) return "-" + Duration(span.Negate());
        if (span.TotalDays >= 1) return span.Hours == 0 ? $"{(int)span.TotalDays} d" : $"{(int)span.TotalDays} d {span.Hours} h";
        if (span.TotalHours >= 1) return span.Minutes == 0 ? $"{(int)span.TotalHours} h" : $"{(int)span.TotalHours} h {span.Minutes} min";
        if (span.TotalMinutes >= 1) return $"{(int)span.TotalMinutes} min";
        return "under a minute";
    }

    public static string Duration(TimeSpan? span) => span is { } s ? Duration(s) : "not yet";

    public static string Severity(Severity severity) => Name(severity);

    public static string Tlp(Tlp tlp) => "TLP:" + Name(tlp).ToUpperInvariant();

    public static string Pap(Pap pap) => "PAP:" + Name(pap).ToUpperInvariant();

    public static string Category(IncidentCategory category) => Name(category).Replace('-', ' ');

    public static string Status(IncidentStatus status) => Name(status).Replace('-', ' ');

    public static string Kind(TimelineKind kind) => Name(kind).Replace('-', ' ');

    public static string Kind(ReportActionKind kind) => Name(kind).Replace('-', ' ');

    public static string Kind(EvidenceKind kind) => Name(kind).Replace('-', ' ');

    public static string Event(CustodyEvent custodyEvent) => Name(custodyEvent);

    public static string Severity(AlertSeverity severity) => Name(severity);

    public static string Size(long bytes) => bytes switch
    {
        0 => "—",
        < 1024 => $"{bytes} B",
        < 1024 * 1024 => $"{bytes / 1024.0:0.#} KiB".Replace(',', '.'),
        < 1024L * 1024 * 1024 => $"{bytes / (1024.0 * 1024):0.#} MiB".Replace(',', '.'),
        _ => $"{bytes / (1024.0 * 1024 * 1024):0.#} GiB".Replace(',', '.'),
    };

    /// <summary>The custody summary in one sentence.</summary>
    public static string Custody(CustodySummary custody) => custody.Entries == 0
        ? "No custody events recorded."
        : custody.ChainIntact
            ? $"{custody.Entries} custody events; the hash chain is intact (last entry {Time(custody.LastEntryAt)})."
            : $"{custody.Entries} custody events; the hash chain is BROKEN: {string.Join("; ", custody.Problems)}.";

    /// <summary>The report's file name: the reference (letters, digits and dashes only) and the format's extension.</summary>
    public static string FileName(string reference, ReportFormat format, string suffix = "report")
    {
        var safe = new string(reference.Where(c => char.IsAsciiLetterOrDigit(c) || c == '-').Take(64).ToArray());
        return $"{(safe.Length == 0 ? "incident" : safe)}-{suffix}.{ReportFormats.Extension(format)}";
    }
}

public static class ReportFormats
{
    public static string Name(ReportFormat format) => ReportText.Name(format);

    public static string Extension(ReportFormat format) => format switch
    {
        ReportFormat.Html => "html",
        ReportFormat.Markdown => "md",
        ReportFormat.Pdf => "pdf",
        _ => "txt",
    };

    public static string ContentType(ReportFormat format) => format switch
    {
        ReportFormat.Html => "text/html; charset=utf-8",
        ReportFormat.Markdown => "text/markdown; charset=utf-8",
        ReportFormat.Pdf => "application/pdf",
        _ => "text/plain; charset=utf-8",
    };

    /// <summary>"html", "md" (or "markdown"), "pdf", "text" (or "txt"), any case; null for anything else.</summary>
    public static ReportFormat? Parse(string? text) => text?.Trim().ToLowerInvariant() switch
    {
        "html" => ReportFormat.Html,
        "md" or "markdown" => ReportFormat.Markdown,
        "pdf" => ReportFormat.Pdf,
        "text" or "txt" => ReportFormat.Text,
        _ => null,
    };
}
