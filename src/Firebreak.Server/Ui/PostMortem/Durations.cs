using System.Globalization;
using Firebreak.Core.PostMortem;

namespace Firebreak.Server.Ui.PostMortem;

internal static class Durations
{
    /// <summary>A duration as people read it: 3 d 4 h, 5 h 12 m, 40 m.</summary>
    public static string Text(TimeSpan? value)
    {
        if (value is not { } v) return "—";
        var sign = v < TimeSpan.Zero ? "−" : "";
        v = v.Duration();
        return sign + (v.TotalDays >= 1 ? $"{(int)v.TotalDays} d {v.Hours} h"
            : v.TotalHours >= 1 ? $"{(int)v.TotalHours} h {v.Minutes} m"
            : $"{(int)Math.Round(v.TotalMinutes)} m");
    }

    public static string Label(this FollowUpStatus status) => status switch
    {
        FollowUpStatus.InProgress => "In progress",
        FollowUpStatus.Done => "Done",
        _ => "Open",
    };

    public static string Label(this DataGapImpact impact) => impact switch
    {
        DataGapImpact.Detection => "Detection",
        DataGapImpact.Scoping => "Scoping",
        _ => "Detection and scoping",
    };

    public static string Label(this DataGapSource source) => source switch
    {
        DataGapSource.ManagementPlaneCheck => "Management-plane check",
        DataGapSource.DataLoss => "Data loss",
        _ => "Analyst",
    };

    public static string Label(this SlaOutcome outcome) => outcome switch
    {
        SlaOutcome.Met => "Met",
        SlaOutcome.Breached => "Breached",
        _ => "Pending",
    };

    public static string? DateText(DateOnly? date) => date?.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);

    public static string? DateTimeText(DateTimeOffset? at) => at?.UtcDateTime.ToString("yyyy-MM-ddTHH:mm", CultureInfo.InvariantCulture);

    /// <summary>Times on screen are UTC, so a time typed in is UTC too, whatever the browser's zone.</summary>
    public static DateTimeOffset? AsUtc(DateTime? local) => local is { } v ? new DateTimeOffset(DateTime.SpecifyKind(v, DateTimeKind.Utc)) : null;

    public static DateTimeOffset? ParseUtc(string? text) =>
        DateTime.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.None, out var v) ? AsUtc(v) : null;
}
