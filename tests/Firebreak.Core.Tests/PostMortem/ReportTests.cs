using System.Security.Cryptography;
using System.Text;
using Firebreak.Core.Alerts;
using Firebreak.Core.Auditing;
using Firebreak.Core.Common;
using Firebreak.Core.Evidence;
using Firebreak.Core.Identity;
using Firebreak.Core.Incidents;
using Firebreak.Core.PostMortem;
using Firebreak.Core.PostMortem.Reports;
using Firebreak.Testing;

namespace Firebreak.Core.Tests.PostMortem;

public class ReportTests
{
    private const string Hostile = "<script>alert(1)</script> ) Tj ET | # [x](javascript:alert(1))";

    /// <summary>An incident promoted from an alert, worked through containment, with evidence, a task, a note and a review.</summary>
    private static async Task<string> WorkedIncidentAsync(CoreHarness harness, HarnessTenant tenant, string evidenceContent)
    {
        await using var scope = harness.As(tenant.Manager);
        var start = harness.Time.GetUtcNow();
        var alert = new IncomingAlert
        {
            Source = "guardduty",
            SourceReference = "gd-report-1",
            Title = "Access key used from a Tor exit node",
            Severity = AlertSeverity.High,
            FirstSeenAt = start - TimeSpan.FromHours(3),
            DetectedAt = start - TimeSpan.FromHours(1),
            Provider = "aws",
            Account = "123456789012",
            Region = "eu-west-1",
            Resources = ["arn:aws:s3:::payroll-exports"],
            Principals = [new AlertEntity("access-key", "AKIAEXAMPLE0001")],
            Observables = [new AlertEntity("ip", "198.51.100.7")],
            RawPayload = "{}",
            Format = "generic",
        };
        var id = (await scope.Get<AlertIntake>().SubmitAsync(tenant.Id, "siem", [alert], null)).Alerts[0].Id;
        harness.Time.Advance(TimeSpan.FromMinutes(30));
        var reference = (await scope.Get<EscalationService>().PromoteAsync(new PromoteCommand([id]))).IncidentReference;
        var incidents = scope.Get<IncidentService>();
        await incidents.AssignRolesAsync(reference, new AssignRoles(tenant.Users[Role.IncidentManager].Id, tenant.Users[Role.Responder].Id), null);
        await incidents.UpdateAsync(reference, new UpdateIncident(Title: Hostile, Summary: "Payroll bucket read with a leaked key.", Severity: Severity.Sev2), null);
        await scope.Get<TaskService>().AddAsync(reference, new CreateTask("Rotate the leaked key"));
        await scope.Get<JournalService>().AddAsync(reference, "Key found in a public repository.");
        await scope.Get<EvidenceService>().AddFileAsync(reference, new AddEvidenceFile("cloudtrail.json", EvidenceKind.LogSet, "aws 123456789012 eu-west-1"),
            new MemoryStream(Encoding.UTF8.GetBytes(evidenceContent)));
        harness.Time.Advance(TimeSpan.FromHours(2));
        await incidents.TransitionAsync(reference, Phase.Containment, "key disabled", null);
        harness.Time.Advance(TimeSpan.FromHours(1));
        await scope.Get<ReviewService>().SaveAsync(reference, new ReviewAnswers("A key leaked through a public repository.", "Scan repositories for keys before push.",
            RootCause: "A deploy key committed to a public repository."), null);
        await scope.Get<FollowUpService>().AddAsync(reference, new CreateFollowUp("Turn on secret scanning", DueOn: new DateOnly(2026, 3, 1)));
        await scope.Get<DataGapService>().AddAsync(reference, new DataGapInput("CloudTrail S3 data events", DataGapImpact.Scoping, "aws", "s3"));
        await scope.Get<ProviderEscalationService>().AddAsync(reference, new ProviderEscalationInput("aws", "case-123", start, 60, FirstResponseAt: start + TimeSpan.FromMinutes(45)));
        return reference;
    }

    [Theory, MemberData(nameof(Databases.Both), MemberType = typeof(Databases))]
    public async Task Report_AssemblesEverySectionFromTheIncidentRecord(DatabaseKind kind)
    {
        await using var harness = await CoreHarness.CreateAsync(kind);
        var acme = await harness.CreateTenantAsync("Acme");
        const string content = "{\"Records\":[]}";
        var reference = await WorkedIncidentAsync(harness, acme, content);
        await using var scope = harness.As(acme.Viewer);

        var report = await scope.Get<ReportService>().BuildAsync(reference);

        Assert.Equal(Hostile, report.Incident.Title);
        Assert.Equal(Severity.Sev2, report.Incident.Severity);
        Assert.Equal(Phase.Containment, report.Incident.Phase);
        Assert.Equal(("IncidentManager of Acme", "Responder of Acme"), (report.Incident.IncidentManager, report.Incident.CommunicationsLead));
        Assert.Equal("viewer@" + acme.Slug + ".example", report.GeneratedBy);
        Assert.Contains(reference, report.ExecutiveSummary[0]);
        Assert.Contains("SEV2", report.ExecutiveSummary[0]);
        Assert.Contains("It has not been contained yet.", report.ExecutiveSummary[0]);
        Assert.Equal("A key leaked through a public repository.", report.ExecutiveSummary[1]);

        Assert.Contains(report.Timeline, t => t.Title == "Access key used from a Tor exit node");
        Assert.Equal(report.Timeline.Count, report.TimelineTotal);
        Assert.Equal([new ScopeItem("access-key", "AKIAEXAMPLE0001")], report.Scope.Principals);
        Assert.Contains(report.Scope.Resources, r => r.Value == "arn:aws:s3:::payroll-exports");
        Assert.Contains(report.Scope.Observables, o => o.Value == "198.51.100.7");
        Assert.Equal(["123456789012"], report.Scope.Accounts);
        Assert.Equal(["eu-west-1"], report.Scope.Regions);
        Assert.False(report.DataLoss.Assessed);
        Assert.StartsWith("Not assessed", report.DataLoss.Statement);

        var phaseChange = Assert.Single(report.Actions, a => a.Kind == ReportActionKind.PhaseChange);
        Assert.Contains("Containment: key disabled", phaseChange.Title);
        var task = Assert.Single(report.Actions, a => a.Kind == ReportActionKind.Task);
        Assert.Equal(("Rotate the leaked key", "to do"), (task.Title, task.Status));

        var alert = Assert.Single(report.Alerts);
        Assert.Equal((AlertSeverity.High, 1), (alert.Severity, report.AlertTotal));

        var item = Assert.Single(report.Evidence.Items);
        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(content))), item.Sha256);
        Assert.Equal((1, true), (report.Evidence.Custody.Entries, report.Evidence.Custody.ChainIntact));

        Assert.Equal(TimeSpan.FromHours(2), report.Metrics.TimeToDetect);
        Assert.Equal(TimeSpan.FromHours(3.5), report.Metrics.TimeToEscalate);
        Assert.Null(report.Metrics.TimeToContain);
        Assert.Equal([Phase.DetectionAndAnalysis, Phase.Containment], report.Metrics.TimeInPhase.Select(p => p.Phase));

        Assert.True(report.Review.Exists);
        Assert.Equal("Scan repositories for keys before push.", report.Review.LessonsLearned);
        Assert.Equal("Key found in a public repository.", Assert.Single(report.Notes).Body);
        Assert.Equal("A deploy key committed to a public repository.", report.Review.Questions[0].Answer);
        Assert.Equal("", report.Review.WhatWentWell);
        var followUp = Assert.Single(report.FollowUps);
        Assert.Equal(("Turn on secret scanning", FollowUpStatus.Open, true), (followUp.Title, followUp.Status, followUp.Overdue));
        var gap = Assert.Single(report.DataGaps);
        Assert.Equal(("CloudTrail S3 data events", DataGapImpact.Scoping, DataGapSource.Analyst), (gap.LogSource, gap.WouldHaveShortened, gap.Source));
        // An analyst's gap is not a data-loss extent of the collected logs: that stays not assessed.
        Assert.False(report.DataLoss.Assessed);
        var providerCase = Assert.Single(report.ProviderEscalations);
        Assert.Equal(("case-123", SlaOutcome.Met, TimeSpan.FromMinutes(45)), (providerCase.CaseId, providerCase.Sla.Outcome, providerCase.Sla.ResponseTime));
    }

    [Theory, MemberData(nameof(Databases.Both), MemberType = typeof(Databases))]
    public async Task Export_IsRecordedInTheAuditTrail_AndOtherTenantsCannotReport(DatabaseKind kind)
    {
        await using var harness = await CoreHarness.CreateAsync(kind);
        var acme = await harness.CreateTenantAsync("Acme");
        var globex = await harness.CreateTenantAsync("Globex");
        var reference = await WorkedIncidentAsync(harness, acme, "log");

        await using (var scope = harness.As(acme.Viewer))
        {
            await scope.Get<ReportService>().ExportAsync(reference, ReportFormat.Pdf);
            var audit = await scope.Get<AuditService>().ListForIncidentAsync(reference, 1, 100);
            var export = Assert.Single(audit.Items, a => a.Action == "exported");
            Assert.Equal(("IncidentReport", "viewer@" + acme.Slug + ".example"), (export.EntityType, export.Actor));
            Assert.Contains("\"format\":\"pdf\"", export.After);
        }
        await using (var other = harness.As(globex.Admin))
        {
            await Assert.ThrowsAsync<NotFoundException>(() => other.Get<ReportService>().BuildAsync(reference));
            await Assert.ThrowsAsync<NotFoundException>(() => other.Get<ReportService>().ExportAsync(reference, ReportFormat.Html));
            await Assert.ThrowsAsync<NotFoundException>(() => other.Get<ReportService>().StatusUpdateAsync(reference));
        }
    }

    [Theory, MemberData(nameof(Databases.Both), MemberType = typeof(Databases))]
    public async Task StatusUpdate_SaysWhereTheIncidentStands_AndWhenTheNextUpdateIsDue(DatabaseKind kind)
    {
        await using var harness = await CoreHarness.CreateAsync(kind);
        var acme = await harness.CreateTenantAsync("Acme");
        var reference = await WorkedIncidentAsync(harness, acme, "log");
        await using var scope = harness.As(acme.Viewer);

        var update = await scope.Get<ReportService>().StatusUpdateAsync(reference);

        Assert.Equal((Phase.Containment, Severity.Sev2), (update.Phase, update.Severity));
        Assert.Equal("Payroll bucket read with a leaked key.", update.WhatHappened);
        Assert.Contains("1 alert linked.", update.Impact);
        Assert.Contains("Principals: AKIAEXAMPLE0001.", update.Impact);
        Assert.Contains("Data loss: not assessed yet.", update.Impact);
        Assert.Contains(update.ActionsTaken, a => a.Contains("to Containment: key disabled"));
        Assert.Equal(["Rotate the leaked key (to do, unassigned)", "Follow-up: Turn on secret scanning (open, overdue, unassigned)"], update.NextSteps);
        Assert.Equal(harness.Time.GetUtcNow() + TimeSpan.FromHours(4), update.NextUpdateAt);
    }

    [Fact]
    public async Task StatusUpdate_OfAFreshIncident_SuggestsTheNextPhaseStep()
    {
        await using var harness = await CoreHarness.CreateAsync(DatabaseKind.Sqlite);
        var acme = await harness.CreateTenantAsync("Acme");
        await using var scope = harness.As(acme.Responder);
        var incident = await scope.Get<IncidentService>().CreateAsync(new CreateIncident("Odd login", Severity: Severity.Sev1));

        var update = await scope.Get<ReportService>().StatusUpdateAsync(incident.Reference);
        var report = await scope.Get<ReportService>().BuildAsync(incident.Reference);

        Assert.Equal(["Finish the analysis and decide on containment."], update.NextSteps);
        Assert.Equal(harness.Time.GetUtcNow() + TimeSpan.FromHours(1), update.NextUpdateAt);
        Assert.Empty(update.ActionsTaken);
        Assert.Empty(report.Timeline);
        Assert.True(report.Scope.IsEmpty);
        Assert.False(report.Review.Exists);
        Assert.Empty(report.Evidence.Items);
        Assert.Equal(0, report.Evidence.Custody.Entries);
    }
}
