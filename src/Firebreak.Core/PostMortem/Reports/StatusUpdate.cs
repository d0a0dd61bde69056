using Firebreak.Core.Incidents;

namespace Firebreak.Core.PostMortem.Reports;

/// <summary>
/// The communications lead's short status report for management, available at any point of the incident:
/// where it stands, what happened, what it touched so far, what was done, what comes next and when the
/// next update is due.
/// </summary>
public sealed record StatusUpdate(
    string Reference,
    string Title,
    Severity Severity,
    Phase Phase,
    IncidentStatus Status,
    Tlp Tlp,
    string? CommunicationsLead,
    DateTimeOffset AsOf,
    string WhatHappened,
    IReadOnlyList<string> Impact,
    IReadOnlyList<string> ActionsTaken,
    IReadOnlyList<string> NextSteps,
    DateTimeOffset? NextUpdateAt)
{
    /// <summary>The most recent actions listed; a status update stays short.</summary>
    public const int MaxActions = 8;

    /// <summary>
    /// How often management hears about an incident of each severity while it is open: hourly for SEV1,
    /// every four hours for SEV2, daily for SEV3, every three days for SEV4.
    /// </summary>
    public static TimeSpan Cadence(Severity severity) => severity switch
    {
        Severity.Sev1 => TimeSpan.FromHours(1),
        Severity.Sev2 => TimeSpan.FromHours(4),
        Severity.Sev3 => TimeSpan.FromDays(1),
        _ => TimeSpan.FromDays(3),
    };

    public static StatusUpdate From(IncidentReport report)
    {
        var i = report.Incident;
        var impact = new List<string>
        {
            report.AlertTotal == 1 ? "1 alert linked." : $"{report.AlertTotal} alerts linked.",
        };
        void Scope(string label, IReadOnlyList<string> values)
        {
            if (values.Count == 0) return;
            var shown = string.Join(", ", values.Take(5));
            impact.Add(values.Count > 5 ? $"{label}: {shown} and {values.Count - 5} more." : $"{label}: {shown}.");
        }
        Scope("Principals", report.Scope.Principals.Select(p => p.Value).ToList());
        Scope("Resources", report.Scope.Resources.Select(p => p.Value).ToList());
        Scope("Accounts", report.Scope.Accounts);
        Scope("Regions", report.Scope.Regions);
        impact.Add(report.DataLoss.Assessed ? $"Data loss: {report.DataLoss.Statement}" : "Data loss: not assessed yet.");

        var actions = report.Actions.Where(a => a.Kind != ReportActionKind.Task || a.Status == "done")
            .OrderByDescending(a => a.At).Take(MaxActions)
            .Select(a => $"{ReportText.Time(a.At)}: {a.Title}").ToList();

        var next = report.Actions.Where(a => a.Kind == ReportActionKind.Task && a.Status is "to do" or "in progress")
            .Select(a => $"{a.Title} ({a.Status}, {a.By})")
            .Concat(report.FollowUps.Where(f => f.Status != FollowUpStatus.Done)
                .Select(f => $"Follow-up: {f.Title} ({ReportText.Name(f.Status).Replace('-', ' ')}{(f.Overdue ? ", overdue" : "")}, {f.Owner ?? "unassigned"})"))
            .ToList();
        if (next.Count == 0) next.Add(NextPhaseStep(i.Phase));

        var closed = i.Phase == Phase.Closed || i.Status is IncidentStatus.Duplicate or IncidentStatus.FalsePositive;
        var what = i.Summary.Trim().Length > 0 ? i.Summary.Trim() : report.ExecutiveSummary[0];
        return new StatusUpdate(i.Reference, i.Title, i.Severity, i.Phase, i.Status, i.Tlp, i.CommunicationsLead, report.GeneratedAt,
            what, impact, actions, next, closed ? null : report.GeneratedAt + Cadence(i.Severity));
    }

    private static string NextPhaseStep(Phase phase) => phase switch
    {
        Phase.DetectionAndAnalysis => "Finish the analysis and decide on containment.",
        Phase.Containment => "Complete containment, then eradicate the cause.",
        Phase.Eradication => "Remove the cause, then restore normal operation.",
        Phase.Recovery => "Restore and monitor, then hold the post-incident review.",
        Phase.PostIncidentReview => "Complete the post-incident review and close the incident.",
        _ => "None: the incident is closed.",
    };

    public ReportDocument ToDocument() => new(
        $"Status update: {Title}",
        $"{Reference} · as of {ReportText.Time(AsOf)}",
        IncidentReportDocument.Marking(Tlp),
        [
            new FieldsBlock(
            [
                ("Severity", ReportText.Severity(Severity)),
                ("Current phase", Phase.Display()),
                ("Status", ReportText.Status(Status)),
                ("Communications lead", CommunicationsLead ?? "unassigned"),
            ]),
            new HeadingBlock(2, "What happened"),
            new ParagraphBlock(WhatHappened),
            new HeadingBlock(2, "Impact and scope so far"),
            new ListBlock(Impact),
            new HeadingBlock(2, "Actions taken"),
            ActionsTaken.Count == 0 ? new ParagraphBlock("None recorded yet.", Muted: true) : new ListBlock(ActionsTaken),
            new HeadingBlock(2, "Next steps"),
            new ListBlock(NextSteps),
            new HeadingBlock(2, "Next update"),
            new ParagraphBlock(NextUpdateAt is { } at
                ? $"By {ReportText.Time(at)} (every {ReportText.Duration(Cadence(Severity))} while the incident is {ReportText.Severity(Severity)})."
                : "This is the final update: the incident is closed."),
        ]);
}
