using System.Globalization;
using Firebreak.Core.Incidents;
using Firebreak.Core.Investigation;

namespace Firebreak.Core.PostMortem.Reports;

public enum TextAnchor { Start, Middle, End }

/// <summary>A drawing primitive in chart units: origin top left, y down (as in SVG). Colours are #rrggbb.</summary>
public abstract record Shape;

public sealed record RectShape(double X, double Y, double Width, double Height, string Fill) : Shape;

public sealed record LineShape(double X1, double Y1, double X2, double Y2, string Stroke, double StrokeWidth, bool Dashed = false) : Shape;

public sealed record CircleShape(double Cx, double Cy, double R, string Fill) : Shape;

public sealed record TextShape(double X, double Y, string Text, double Size, string Fill, TextAnchor Anchor = TextAnchor.Start, bool Bold = false) : Shape;

/// <summary>A chart laid out once, as shapes, so the HTML (SVG) and the PDF draw exactly the same picture.</summary>
public sealed record Figure(string Title, double Width, double Height, IReadOnlyList<Shape> Shapes);

public static class ReportCharts
{
    /// <summary>The width of the PDF page's text column, in points; the SVG scales from it.</summary>
    public const double Width = 495;

    private const string Ink = "#1f2933";
    private const string Muted = "#616e7c";
    private const string Grid = "#d9e2ec";

    public static string ColorOf(TimelineKind kind) => kind switch
    {
        TimelineKind.Alert => "#d64545",
        TimelineKind.CloudEvent => "#2680c2",
        TimelineKind.Analyst => "#8719e0",
        TimelineKind.Action => "#27ab83",
        _ => "#f0b429",
    };

    public static string ColorOf(Phase phase) => phase switch
    {
        Phase.DetectionAndAnalysis => "#d64545",
        Phase.Containment => "#f0b429",
        Phase.Eradication => "#2680c2",
        Phase.Recovery => "#27ab83",
        _ => "#616e7c",
    };

    /// <summary>
    /// The attack timeline: one lane per kind of entry, a dot per entry at its event time, and a dashed line
    /// per response milestone.
    /// </summary>
    public static Figure Timeline(IncidentReport report)
    {
        const double left = 92, right = Width - 14, laneHeight = 22, top = 30;
        var shapes = new List<Shape>();
        var kinds = Enum.GetValues<TimelineKind>().Where(k => report.Timeline.Any(t => t.Kind == k)).ToList();
        var milestones = new List<(string Label, DateTimeOffset At)> { ("Detected", report.Incident.Milestones.Detected) };
        void Add(string label, DateTimeOffset? at) { if (at is { } a) milestones.Add((label, a)); }
        Add("Contained", report.Incident.Milestones.Contained);
        Add("Eradicated", report.Incident.Milestones.Eradicated);
        Add("Recovered", report.Incident.Milestones.Recovered);
        Add("Closed", report.Incident.Milestones.Closed);

        if (kinds.Count == 0)
        {
            shapes.Add(new RectShape(0, 0, Width, 40, "#f5f7fa"));
            shapes.Add(new TextShape(Width / 2, 24, "No timeline entries recorded yet.", 10, Muted, TextAnchor.Middle));
            return new Figure("Attack timeline", Width, 40, shapes);
        }

        var times = report.Timeline.Select(t => t.EventTime).Concat(milestones.Select(m => m.At)).ToList();
        var from = times.Min();
        var to = times.Max();
        if (to - from < TimeSpan.FromMinutes(10))
        {
            from -= TimeSpan.FromMinutes(5);
            to += TimeSpan.FromMinutes(5);
        }
        var span = (to - from).TotalSeconds;
        double X(DateTimeOffset at) => left + (right - left) * (at - from).TotalSeconds / span;
        var bottom = top + laneHeight * kinds.Count;

        for (var i = 0; i < kinds.Count; i++)
        {
            var y = top + laneHeight * i;
            if (i % 2 == 0) shapes.Add(new RectShape(left, y, right - left, laneHeight, "#f5f7fa"));
            shapes.Add(new TextShape(left - 6, y + laneHeight / 2 + 3.5, ReportText.Kind(kinds[i]), 9, Ink, TextAnchor.End));
        }
        var ticks = 4;
        for (var i = 0; i <= ticks; i++)
        {
            var at = from + (to - from) * i / ticks;
            var x = X(at);
            shapes.Add(new LineShape(x, top, x, bottom + 3, Grid, 0.5));
            var anchor = i == 0 ? TextAnchor.Start : i == ticks ? TextAnchor.End : TextAnchor.Middle;
            shapes.Add(new TextShape(x, bottom + 13, at.UtcDateTime.ToString("MM-dd HH:mm", CultureInfo.InvariantCulture), 8, Muted, anchor));
        }
        shapes.Add(new LineShape(left, bottom, right, bottom, Muted, 0.75));
        for (var i = 0; i < milestones.Count; i++)
        {
            var (label, at) = milestones[i];
            var x = X(at);
            shapes.Add(new LineShape(x, top - 4, x, bottom, Ink, 0.75, Dashed: true));
            // Two label rows, alternating, so milestones close together do not print over each other.
            var anchor = x > right - 40 ? TextAnchor.End : x < left + 40 ? TextAnchor.Start : TextAnchor.Middle;
            shapes.Add(new TextShape(x, i % 2 == 0 ? 12 : 23, label, 8, Ink, anchor, Bold: true));
        }
        foreach (var entry in report.Timeline)
        {
            var lane = kinds.IndexOf(entry.Kind);
            shapes.Add(new CircleShape(X(entry.EventTime), top + laneHeight * lane + laneHeight / 2, 3.5, ColorOf(entry.Kind)));
        }
        shapes.Add(new TextShape(right, bottom + 26, $"UTC, {ReportText.Time(from)} to {ReportText.Time(to)}", 7.5, Muted, TextAnchor.End));
        return new Figure("Attack timeline", Width, bottom + 32, shapes);
    }

    /// <summary>Time spent in each phase, as horizontal bars scaled to the longest.</summary>
    public static Figure PhaseDurations(IncidentReport report)
    {
        const double labelWidth = 118, barLeft = 124, barRight = Width - 80, rowHeight = 22, top = 6;
        var shapes = new List<Shape>();
        var phases = report.Metrics.TimeInPhase;
        if (phases.Count == 0)
        {
            shapes.Add(new TextShape(Width / 2, 24, "No time recorded in any phase yet.", 10, Muted, TextAnchor.Middle));
            return new Figure("Time in each phase", Width, 40, shapes);
        }
        var longest = Math.Max(phases.Max(p => p.Duration.TotalSeconds), 1);
        for (var i = 0; i < phases.Count; i++)
        {
            var (phase, duration) = (phases[i].Phase, phases[i].Duration);
            var y = top + rowHeight * i;
            var length = Math.Max((barRight - barLeft) * Math.Max(duration.TotalSeconds, 0) / longest, 1);
            shapes.Add(new TextShape(labelWidth, y + 14, phase.Display(), 9, Ink, TextAnchor.End));
            shapes.Add(new RectShape(barLeft, y + 4, length, rowHeight - 8, ColorOf(phase)));
            shapes.Add(new TextShape(barLeft + length + 5, y + 14, ReportText.Duration(duration), 8.5, Muted));
        }
        var bottom = top + rowHeight * phases.Count;
        shapes.Add(new LineShape(barLeft, top, barLeft, bottom, Muted, 0.75));
        return new Figure("Time in each phase", Width, bottom + 6, shapes);
    }
}
