using System.Globalization;
using Firebreak.Core.Assets;

namespace Firebreak.Core.DataLoss;

/// <summary>The words the report, the UI and the CLI use for an extent, so all three say the same.</summary>
public static class DataLossText
{
    public static string Category(DataLossCategory category) => category switch
    {
        DataLossCategory.ObjectRead => "object reads",
        DataLossCategory.SnapshotShare => "snapshot share",
        DataLossCategory.SecretRead => "secret reads",
        DataLossCategory.PublicExposure => "public exposure",
        DataLossCategory.DatabaseExport => "database export",
        _ => category.ToString(),
    };

    public static string Classification(DataClassification classification) => classification switch
    {
        DataClassification.Public => "public",
        DataClassification.Internal => "internal",
        DataClassification.Confidential => "confidential",
        DataClassification.Restricted => "restricted",
        _ => classification.ToString(),
    };

    public static string Confidence(DataLossConfidence confidence) => confidence switch
    {
        DataLossConfidence.High => "high",
        DataLossConfidence.Medium => "medium",
        _ => "low",
    };

    public static string Amount(DataLossResource r)
    {
        var parts = new List<string>();
        if (r.Categories.Contains(DataLossCategory.ObjectRead) && r.Objects > 0) parts.Add(r.Objects == 1 ? "1 object" : $"{r.Objects.ToString("N0", CultureInfo.InvariantCulture)} objects");
        if (r.Bytes is { } bytes) parts.Add(DataLossService.Size(bytes));
        if (r.Categories.Contains(DataLossCategory.SecretRead)) parts.Add(r.Events == 1 ? "read once" : $"read {r.Events.ToString("N0", CultureInfo.InvariantCulture)} times");
        if (parts.Count == 0) parts.Add(r.Events == 1 ? "1 event" : $"{r.Events.ToString("N0", CultureInfo.InvariantCulture)} events");
        return string.Join(", ", parts);
    }

    public static string Accessors(DataLossResource r)
    {
        if (r.AccessedBy.Count == 0) return "—";
        var first = r.AccessedBy.Take(3).Select(a => a.Principal ?? a.AccessKeyId ?? a.SourceIp ?? "unknown").Distinct();
        var text = string.Join(", ", first);
        return r.PrincipalCount > 3 ? $"{text} and {r.PrincipalCount - 3} more" : text;
    }

    public static string Window(ExposureWindow w)
    {
        static string T(DateTimeOffset? t) => t is { } v ? v.UtcDateTime.ToString("yyyy-MM-dd HH:mm", CultureInfo.InvariantCulture) : "?";
        return w.Open ? $"{T(w.Start)} – still open" : $"{T(w.Start)} – {T(w.End)}";
    }

    /// <summary>Time left on a clock: "2d 4h left", or "overdue by 3h".</summary>
    public static string Left(long seconds)
    {
        var span = TimeSpan.FromSeconds(Math.Abs(seconds));
        var text = span.TotalDays >= 1 ? $"{(int)span.TotalDays}d {span.Hours}h" : span.TotalHours >= 1 ? $"{(int)span.TotalHours}h {span.Minutes}m" : $"{span.Minutes}m";
        return seconds >= 0 ? text + " left" : "overdue by " + text;
    }
}
