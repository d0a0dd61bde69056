using System.Text;
using Firebreak.Core.Incidents;
using Firebreak.Core.ManagementPlane;
using Firebreak.Core.PostMortem.Reports;
using Firebreak.Testing;

namespace Firebreak.Core.Tests.ManagementPlane;

public class CheckReportTests
{
    [Theory, MemberData(nameof(Databases.Both), MemberType = typeof(Databases))]
    public async Task Report_HasAManagementPlaneSection_WithTheItemsThatDidNotPass(DatabaseKind kind)
    {
        await using var harness = await CoreHarness.CreateAsync(kind);
        var acme = await harness.CreateTenantAsync("Acme");
        await using var scope = harness.As(acme.Responder);
        var incident = await scope.Get<IncidentService>().CreateAsync(new CreateIncident("Report"));
        var reports = scope.Get<ReportService>();

        var before = IncidentReportDocument.Build(await reports.BuildAsync(incident.Reference));
        var empty = Encoding.UTF8.GetString(ReportRenderer.Render(before, ReportFormat.Markdown, harness.Time.GetUtcNow()));
        Assert.Contains("## Management-plane check", empty);
        Assert.Contains("has not run on this incident", empty);

        await new CheckEvents(acme.Id, incident.Id).Aws("DeleteTrail", "cloudtrail.amazonaws.com").SaveAsync(scope);
        var checks = scope.Get<ManagementPlaneCheckService>();
        var run = await checks.RunAsync(incident.Reference, new RunCheck());
        await checks.ReviewAsync(incident.Reference, run.Id, new ReviewCheck("Trail recreated"));

        var report = await reports.BuildAsync(incident.Reference);
        Assert.Equal(1, report.ManagementPlane!.Failed);
        Assert.Equal("aws.logging", Assert.Single(report.ManagementPlane.Open).Id);
        var markdown = Encoding.UTF8.GetString(ReportRenderer.Render(IncidentReportDocument.Build(report), ReportFormat.Markdown, harness.Time.GetUtcNow()));
        Assert.Contains("5 pass, 1 fail, 0 unknown. Reviewed by " + acme.Responder.Name, markdown);
        Assert.Contains("Trail recreated", markdown);
        Assert.Contains("| Is AWS logging intact? | fail | 1 event found. |", markdown);
    }
}
