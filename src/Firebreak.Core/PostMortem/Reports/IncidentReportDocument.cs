using Firebreak.Core.Incidents;
using static Firebreak.Core.PostMortem.Reports.ReportText;

namespace Firebreak.Core.PostMortem.Reports;

/// <summary>The incident report's sections, in the order a reader wants them.</summary>
public static class IncidentReportDocument
{
    public static ReportDocument Build(IncidentReport report)
    {
        var i = report.Incident;
        var blocks = new List<Block>
        {
            new FieldsBlock(
            [
                ("Reference", i.Reference),
                ("Severity", Severity(i.Severity)),
                ("Category", Category(i.Category)),
                ("Phase", i.Phase.Display()),
                ("Status", i.StatusReason is { Length: > 0 } reason ? $"{Status(i.Status)} ({reason})" : Status(i.Status)),
                ("Handling", $"{Tlp(i.Tlp)} {Pap(i.Pap)}"),
                ("Incident manager", i.IncidentManager ?? "unassigned"),
                ("Communications lead", i.CommunicationsLead ?? "unassigned"),
                ("Tags", i.Tags.Count == 0 ? "—" : string.Join(", ", i.Tags)),
            ]),
            new HeadingBlock(2, "Executive summary"),
        };
        blocks.AddRange(report.ExecutiveSummary.Select(p => new ParagraphBlock(p)));

        blocks.Add(new HeadingBlock(2, "Timeline"));
        blocks.Add(new FigureBlock(ReportCharts.Timeline(report)));
        if (report.TimelineTotal > report.Timeline.Count)
            blocks.Add(new ParagraphBlock($"The first {report.Timeline.Count} of {report.TimelineTotal} timeline entries are listed.", Muted: true));
        blocks.Add(new TableBlock(
            [new("Event time", 1.3), new("Kind", 0.9), new("Entry", 3), new("Source", 1.2), new("Technique", 0.9)],
            report.Timeline.Select(t => Row(Time(t.EventTime), Kind(t.Kind), t.Title, t.Source, t.Technique ?? "")).ToList(),
            "No timeline entries recorded."));

        blocks.Add(new HeadingBlock(2, "Scope"));
        if (report.Scope.IsEmpty) blocks.Add(new ParagraphBlock("No principals, resources, observables, accounts or regions are recorded for this incident yet.", Muted: true));
        if (report.Scope.BlastRadius is { } blast)
        {
            blocks.Add(new HeadingBlock(3, "Blast radius (from the incident's events)"));
            var c = blast.Counts;
            blocks.Add(new FieldsBlock(
            [
                ("Patient zero", blast.PatientZero is { } zero ? $"{zero} ({blast.PatientZeroType})" : "none known: no identity is marked or escalated as attacker-controlled"),
                ("First used", blast.FirstUse is { } use ? $"{Time(use.Time)}: {use.Operation} from {use.SourceIp ?? "unknown address"} (event {use.EventId})" : "-"),
                ("Identities controlled", c.Identities.ToString(System.Globalization.CultureInfo.InvariantCulture)),
                ("Resources touched", $"{c.Resources}: read {c.Read}, modified {c.Modified}, created {c.Created}, deleted {c.Deleted}"),
                ("Source IPs, user agents", $"{c.SourceIps}, {c.UserAgents}"),
                ("Accounts, regions", $"{c.Accounts}, {c.Regions}"),
                ("Attacker events", blast.Events.ToString("N0", System.Globalization.CultureInfo.InvariantCulture)),
            ]));
        }
        AddArtifacts(blocks, "Principals", report.Scope.Principals);
        AddArtifacts(blocks, "Resources", report.Scope.Resources);
        AddArtifacts(blocks, "Observables", report.Scope.Observables);
        blocks.Add(new HeadingBlock(3, "Cloud accounts and regions"));
        blocks.Add(new FieldsBlock(
        [
            ("Providers", Join(report.Scope.Providers)),
            ("Accounts", Join(report.Scope.Accounts)),
            ("Regions", Join(report.Scope.Regions)),
        ]));

        blocks.Add(new HeadingBlock(2, "Data-loss extent"));
        var loss = report.DataLoss;
        blocks.Add(new ParagraphBlock(loss.Statement, Muted: !loss.Assessed));
        if (loss.Assessed)
        {
            blocks.Add(new ParagraphBlock($"Assessed by {loss.AssessedBy} on {Time(loss.AssessedAt)}.", Muted: true));
            blocks.Add(new TableBlock(
                [new("Resource", 2.4), new("Classification", 1.1), new("What", 1.1), new("Accessed by", 1.8), new("Amount", 1.1), new("Window", 1.6), new("Confidence", 0.9)],
                loss.Resources.Select(r => Row(r.Resource, r.Classification, r.Categories, r.AccessedBy, r.LowerBound ? r.Amount + " (lower bound)" : r.Amount,
                    r.Window, r.Confidence)).ToList(),
                "No resource was reached."));
            if (loss.Clocks.Count > 0)
            {
                blocks.Add(new HeadingBlock(3, "Notification clocks"));
                blocks.Add(new TableBlock(
                    [new("Regime", 1.6), new("Notify", 2), new("Clock started", 1.3), new("Deadline", 1.3)],
                    loss.Clocks.Select(c => Row(c.Regime, c.Authority, Time(c.Start), Time(c.Deadline))).ToList(),
                    ""));
            }
        }
        if (loss.Extents.Count > 0) blocks.Add(GapTable(loss.Extents));

        blocks.Add(new HeadingBlock(2, "Management-plane check"));
        if (report.ManagementPlane is not { } check)
        {
            blocks.Add(new ParagraphBlock("The management-plane check has not run on this incident.", Muted: true));
        }
        else
        {
            blocks.Add(new ParagraphBlock($"Newest run {Time(check.RanAt)} by {check.RunBy}: {check.Passed} pass, {check.Failed} fail, {check.Unknown} unknown. "
                + (check.ReviewedAt is { } reviewed ? $"Reviewed by {check.ReviewedBy} at {Time(reviewed)}" + (check.ReviewNote is { } note ? $": {note}" : ".") : "Not reviewed.")));
            blocks.Add(new TableBlock([new("Item", 2.4), new("Status", 0.8), new("Detail", 3.4)],
                check.Open.Select(c => Row(c.Question, Name(c.Status), c.Detail)).ToList(),
                "Every item passed or did not apply."));
        }

        blocks.Add(new HeadingBlock(2, "Actions taken"));
        blocks.Add(new TableBlock(
            [new("When", 1.3), new("Kind", 1), new("Action", 3.4), new("By", 1.3), new("Status", 0.9)],
            report.Actions.Select(a => Row(Time(a.At), Kind(a.Kind), a.Title, a.By, a.Status)).ToList(),
            "No actions recorded yet."));

        blocks.Add(new HeadingBlock(2, "Alerts"));
        if (report.AlertTotal > report.Alerts.Count)
            blocks.Add(new ParagraphBlock($"The first {report.Alerts.Count} of {report.AlertTotal} linked alerts are listed.", Muted: true));
        blocks.Add(new TableBlock(
            [new("Received", 1.3), new("Severity", 0.8), new("Alert", 3.2), new("Source", 1.2), new("Seen", 0.6)],
            report.Alerts.Select(a => Row(Time(a.ReceivedAt), Severity(a.Severity), a.Title, a.Source, a.Occurrences.ToString(System.Globalization.CultureInfo.InvariantCulture))).ToList(),
            "No alerts are linked to this incident."));

        blocks.Add(new HeadingBlock(2, "Evidence"));
        blocks.Add(new ParagraphBlock(Custody(report.Evidence.Custody)));
        blocks.Add(new TableBlock(
            [new("Item", 1.8), new("Kind", 0.9), new("Source", 1.4), new("Acquired", 1.3), new("Size", 0.7), new("Custody", 1.8)],
            report.Evidence.Items.Select(e => Row(e.Name, Kind(e.Kind), e.Source, Time(e.AcquiredAt), Size(e.Size),
                $"held by {e.Holder} ({Event(e.LastEvent)}, {e.CustodyEvents} events)")).ToList(),
            "No evidence collected."));
        if (report.Evidence.Items.Count > 0)
        {
            // Hashes get a table of their own so each prints on one line, ready to compare.
            blocks.Add(new TableBlock(
                [new("Item", 1.2), new("SHA-256 (or snapshot id)", 4, Monospace: true)],
                report.Evidence.Items.Select(e => Row(e.Name, e.Sha256 ?? e.SnapshotId ?? "—")).ToList(),
                ""));
        }

        var m = report.Metrics;
        blocks.Add(new HeadingBlock(2, "Metrics"));
        blocks.Add(new FieldsBlock(
        [
            ("First malicious activity", Time(m.FirstMaliciousActivity)),
            ("First alert", Time(m.FirstAlert)),
            ("Time to detect", Duration(m.TimeToDetect)),
            ("Time to escalate", Duration(m.TimeToEscalate)),
            ("Time to contain", Duration(m.TimeToContain)),
            ("Time to eradicate", Duration(m.TimeToEradicate)),
            ("Time to recover", Duration(m.TimeToRecover)),
        ]));
        blocks.Add(new HeadingBlock(3, "Time in each phase"));
        blocks.Add(new FigureBlock(ReportCharts.PhaseDurations(report)));

        blocks.Add(new HeadingBlock(2, "Lessons learned"));
        if (!report.Review.Exists)
        {
            blocks.Add(new ParagraphBlock("No post-incident review has been written yet.", Muted: true));
        }
        else
        {
            blocks.Add(new ParagraphBlock($"Review by {report.Review.ReviewedBy}, last updated {Time(report.Review.UpdatedAt)}.", Muted: true));
            blocks.Add(new HeadingBlock(3, "Review summary"));
            blocks.Add(new ParagraphBlock(report.Review.Summary));
            blocks.Add(new HeadingBlock(3, "Lessons"));
            blocks.Add(report.Review.LessonsLearned.Length == 0
                ? new ParagraphBlock("None recorded.", Muted: true)
                : new ParagraphBlock(report.Review.LessonsLearned));
            foreach (var (question, answer) in report.Review.Questions)
            {
                blocks.Add(new HeadingBlock(3, question));
                blocks.Add(answer.Length == 0 ? new ParagraphBlock("Not answered yet.", Muted: true) : new ParagraphBlock(answer));
            }
        }

        blocks.Add(new HeadingBlock(2, "Follow-up actions"));
        blocks.Add(new TableBlock(
            [new("Action", 3), new("Owner", 1.3), new("Due", 1), new("Status", 1.2)],
            report.FollowUps.Select(f => Row(f.Title, f.Owner ?? "unassigned",
                f.DueOn?.ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture) ?? "—",
                f.Status == PostMortem.FollowUpStatus.Done && f.CompletedAt is { } done ? $"done {Time(done)}"
                    : f.Overdue ? $"{Name(f.Status)}, OVERDUE" : Name(f.Status))).ToList(),
            "No follow-up actions recorded."));

        blocks.Add(new HeadingBlock(2, "Data gaps"));
        blocks.Add(report.DataGaps.Count == 0 ? new ParagraphBlock("No data gaps recorded.", Muted: true) : GapTable(report.DataGaps));

        blocks.Add(new HeadingBlock(2, "Provider escalations and SLA"));
        if (report.ProviderEscalations.Count > 0)
        {
            var met = report.ProviderEscalations.Count(p => p.Sla.Outcome == PostMortem.SlaOutcome.Met);
            var breached = report.ProviderEscalations.Count(p => p.Sla.Outcome == PostMortem.SlaOutcome.Breached);
            blocks.Add(new ParagraphBlock($"{report.ProviderEscalations.Count} provider cases: {met} met the agreed response time, {breached} breached it."));
        }
        blocks.Add(new TableBlock(
            [new("Provider", 1.2), new("Case", 1.3), new("Opened", 1.3), new("Agreed response", 1), new("First response", 1.3), new("SLA", 1.3)],
            report.ProviderEscalations.Select(p => Row(p.Service is { Length: > 0 } service ? $"{p.Provider} {service}" : p.Provider, p.CaseId, Time(p.OpenedAt),
                Duration(TimeSpan.FromMinutes(p.SlaResponseMinutes)), Time(p.FirstResponseAt),
                p.Sla.Outcome switch
                {
                    PostMortem.SlaOutcome.Met => $"met ({Duration(p.Sla.ResponseTime)})",
                    PostMortem.SlaOutcome.Breached => $"BREACHED by {Duration(p.Sla.Overrun)}",
                    _ => $"pending, due {Time(p.Sla.ResponseDueAt)}",
                })).ToList(),
            "No cases were opened with a cloud provider."));

        if (report.Notes.Count > 0)
        {
            blocks.Add(new HeadingBlock(2, "Investigation notes"));
            foreach (var note in report.Notes)
            {
                blocks.Add(new ParagraphBlock($"{Time(note.At)}, {note.Author}", Muted: true));
                blocks.Add(new ParagraphBlock(note.Body));
            }
        }

        return new ReportDocument($"Incident report: {i.Title}",
            $"{i.Reference} · generated {Time(report.GeneratedAt)} by {report.GeneratedBy}",
            Marking(i.Tlp), blocks);
    }

    /// <summary>The TLP 2.0 label and what it allows, printed at the top of every report.</summary>
    public static string Marking(Incidents.Tlp tlp) => tlp switch
    {
        Incidents.Tlp.Clear => "TLP:CLEAR - disclosure is not limited.",
        Incidents.Tlp.Green => "TLP:GREEN - limited disclosure, recipients may share within their community.",
        Incidents.Tlp.Amber => "TLP:AMBER - limited disclosure, recipients may share within their organisation and its clients on a need-to-know basis.",
        Incidents.Tlp.AmberStrict => "TLP:AMBER+STRICT - limited disclosure, recipients may share only within their organisation.",
        _ => "TLP:RED - for the eyes and ears of individual recipients only, no further disclosure.",
    };

    private static void AddArtifacts(List<Block> blocks, string heading, IReadOnlyList<ScopeItem> items)
    {
        if (items.Count == 0) return;
        blocks.Add(new HeadingBlock(3, heading));
        blocks.Add(new TableBlock([new("Type", 1), new("Value", 4, Monospace: true)], items.Select(a => Row(a.Type, a.Value)).ToList(), "None."));
    }

    private static TableBlock GapTable(IReadOnlyList<ReportDataGap> gaps) => new(
        [new("Log source", 2), new("Provider / service", 1.4), new("Would have shortened", 1.3), new("Found by", 1.1), new("Note", 2.2)],
        gaps.Select(g => Row(g.LogSource, string.Join(" ", new[] { g.Provider, g.Service }.Where(x => !string.IsNullOrEmpty(x))),
            Name(g.WouldHaveShortened).Replace('-', ' '), Name(g.Source).Replace('-', ' '), g.Note)).ToList(),
        "None.");

    private static string Join(IReadOnlyList<string> values) => values.Count == 0 ? "none recorded" : string.Join(", ", values);

    internal static IReadOnlyList<string> Row(params string[] cells) => cells;
}
