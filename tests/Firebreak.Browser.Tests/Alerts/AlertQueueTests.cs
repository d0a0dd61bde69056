using System.Text.RegularExpressions;
using Firebreak.Core.Alerts;
using Firebreak.Core.Identity;
using Firebreak.Core.Incidents;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;

namespace Firebreak.Browser.Tests.Alerts;

public sealed class AlertQueueTests(FirebreakSite site) : BrowserTest(site)
{
    private static readonly LocatorAssertionsToBeVisibleOptions LiveWait = new() { Timeout = 45_000 };

    [Fact]
    public async Task Queue_ShowsAnAlertThatArrives_WhileThePageIsOpen_WithoutReloading()
    {
        var responder = await Site.CreateUserAsync(Role.Responder);
        var source = AlertScenes.UniqueSource("live");
        await Site.SubmitAlertAsync(responder, AlertScenes.Alert(source, "Already here"));
        var page = await NewPageAsync();
        await page.LoginAsync(responder);
        await page.GotoInteractiveAsync($"/alerts?source={source}");
        await Assertions.Expect(page.TestId("alert-title")).ToHaveTextAsync(["Already here"]);
        // A full reload would drop this marker; it survives only if the row arrived through the live connection.
        await page.EvaluateAsync("() => { window.stillTheSamePage = true; }");

        await Site.SubmitAlertAsync(responder, AlertScenes.Alert(source, "Root console login from a new country", AlertSeverity.High));

        await Assertions.Expect(page.TestId("alert-title").Filter(new() { HasText = "Root console login from a new country" })).ToBeVisibleAsync(LiveWait);
        Assert.True(await page.EvaluateAsync<bool>("() => window.stillTheSamePage === true"));
        await Assertions.Expect(page.TestId("result-count")).ToContainTextAsync("2 alerts");
        await FirebreakSite.ScreenshotAsync(page, "alerts-queue");
    }

    [Fact]
    public async Task Queue_CountsRepeats_AsOccurrencesOfOneAlert()
    {
        var responder = await Site.CreateUserAsync(Role.Responder);
        var source = AlertScenes.UniqueSource("repeat");
        var alert = AlertScenes.Alert(source, "Port scan from a known scanner");
        await Site.SubmitAlertsAsync(responder, alert, alert, alert);
        var page = await NewPageAsync();
        await page.LoginAsync(responder);

        await page.GotoInteractiveAsync($"/alerts?source={source}");

        await Assertions.Expect(page.TestId("alert-row")).ToHaveCountAsync(1);
        await Assertions.Expect(page.TestId("alert-occurrences")).ToHaveTextAsync("3");
    }

    [Fact]
    public async Task Filters_NarrowTheQueue_AndLiveInTheAddress()
    {
        var responder = await Site.CreateUserAsync(Role.Responder);
        var source = AlertScenes.UniqueSource("filters");
        await Site.SubmitAlertsAsync(responder,
            AlertScenes.Alert(source, "Access key used from Tor", AlertSeverity.Critical),
            AlertScenes.Alert(source, "Bucket policy made public", AlertSeverity.High),
            AlertScenes.Alert(source, "New IAM user created", AlertSeverity.Low));
        var page = await NewPageAsync();
        await page.LoginAsync(responder);
        await page.GotoInteractiveAsync("/alerts");

        await page.TestId("filter-source").FillAsync(source);
        await page.TestId("filter-min-severity").SelectOptionAsync("high");
        await page.TestId("apply-filters").ClickAsync();

        // The address changes in place (no page load), so it is polled rather than awaited as a navigation.
        await Assertions.Expect(page).ToHaveURLAsync(new Regex($"source={source}.*minSeverity=high|minSeverity=high.*source={source}"));
        // Both arrived in one request, so their order in the queue is not part of the contract.
        await Assertions.Expect(page.TestId("alert-row")).ToHaveCountAsync(2);
        await Assertions.Expect(page.TestId("alert-title").Filter(new() { HasText = "Access key used from Tor" })).ToBeVisibleAsync();
        await Assertions.Expect(page.TestId("alert-title").Filter(new() { HasText = "Bucket policy made public" })).ToBeVisibleAsync();

        await page.TestId("filter-q").FillAsync("bucket");
        await page.TestId("apply-filters").ClickAsync();
        await Assertions.Expect(page).ToHaveURLAsync(new Regex("q=bucket"));
        await Assertions.Expect(page.TestId("alert-title")).ToHaveTextAsync(["Bucket policy made public"]);

        // The same address opened fresh gives the same queue, with the filters filled in.
        await page.GotoInteractiveAsync(page.Url);
        await Assertions.Expect(page.TestId("alert-title")).ToHaveTextAsync(["Bucket policy made public"]);
        await Assertions.Expect(page.TestId("filter-source")).ToHaveValueAsync(source);
        await Assertions.Expect(page.TestId("filter-min-severity")).ToHaveValueAsync("high");
    }

    [Fact]
    public async Task Paging_KeepsTheFilters_AndShowsTheRest()
    {
        var responder = await Site.CreateUserAsync(Role.Responder);
        var source = AlertScenes.UniqueSource("paging");
        await Site.SubmitAlertsAsync(responder,
            AlertScenes.Alert(source, "First of three"), AlertScenes.Alert(source, "Second of three"), AlertScenes.Alert(source, "Third of three"));
        var page = await NewPageAsync();
        await page.LoginAsync(responder);
        await page.GotoInteractiveAsync($"/alerts?source={source}&pageSize=2");
        await Assertions.Expect(page.TestId("alert-row")).ToHaveCountAsync(2);
        var firstPage = await page.TestId("alert-title").AllInnerTextsAsync();

        await page.TestId("page-next").ClickAsync();

        await Assertions.Expect(page).ToHaveURLAsync(new Regex("page=2"));
        await Assertions.Expect(page.TestId("alert-row")).ToHaveCountAsync(1);
        var last = await page.TestId("alert-title").InnerTextAsync();
        Assert.DoesNotContain(last, firstPage);
        Assert.Contains(source, page.Url, StringComparison.Ordinal);
        await Assertions.Expect(page.TestId("page-prev")).ToBeVisibleAsync();
    }

    [Fact]
    public async Task BulkTriage_AsFalsePositive_NeedsAReason_ThenMarksEverySelectedAlert()
    {
        var responder = await Site.CreateUserAsync(Role.Responder);
        var source = AlertScenes.UniqueSource("triage");
        var ids = await Site.SubmitAlertsAsync(responder,
            AlertScenes.Alert(source, "Scanner hit the login page"),
            AlertScenes.Alert(source, "Scanner hit the admin page"));
        var page = await NewPageAsync();
        await page.LoginAsync(responder);
        await page.GotoInteractiveAsync($"/alerts?source={source}");
        await Assertions.Expect(page.TestId("alert-row")).ToHaveCountAsync(2);

        await page.TestId("select-page").ClickAsync();
        await Assertions.Expect(page.TestId("selected-count")).ToHaveTextAsync("2 selected");
        await page.TestId("triage-state").SelectOptionAsync(nameof(TriageState.FalsePositive));
        await page.TestId("triage-submit").ClickAsync();

        await Assertions.Expect(page.TestId("error-reason")).ToContainTextAsync("A reason is required");
        await Assertions.Expect(page.TestId("alert-state")).ToHaveTextAsync(["New", "New"]);

        await page.TestId("triage-reason").FillAsync("Our weekly vulnerability scan");
        await page.TestId("triage-submit").ClickAsync();

        await Assertions.Expect(page.TestId("bulk-outcome")).ToContainTextAsync("2 alerts marked false positive");
        await Assertions.Expect(page.TestId("error-reason")).ToHaveCountAsync(0);
        await Assertions.Expect(page.TestId("alert-state")).ToHaveTextAsync(["False positive", "False positive"]);
        await Assertions.Expect(page.TestId("fp-by-source").TestId("fp-row").Filter(new() { HasText = source }).TestId("fp-rate")).ToHaveTextAsync("100%");

        await page.GotoInteractiveAsync($"/alerts/{ids[0].Id}");
        await Assertions.Expect(page.TestId("triage-entry-state")).ToHaveTextAsync(["False positive"]);
        await Assertions.Expect(page.TestId("triage-entry-reason")).ToHaveTextAsync("Our weekly vulnerability scan");
        await Assertions.Expect(page.TestId("triage-entry-by")).ToHaveTextAsync(responder.Email);
    }

    [Fact]
    public async Task BulkAcknowledge_NeedsNoReason()
    {
        var responder = await Site.CreateUserAsync(Role.Responder);
        var source = AlertScenes.UniqueSource("ack");
        await Site.SubmitAlertsAsync(responder, AlertScenes.Alert(source, "Unusual API call volume"), AlertScenes.Alert(source, "Unusual region"));
        var page = await NewPageAsync();
        await page.LoginAsync(responder);
        await page.GotoInteractiveAsync($"/alerts?source={source}");

        await page.TestId("alert-row").Filter(new() { HasText = "Unusual region" }).TestId("select-alert").CheckAsync();
        await page.TestId("triage-state").SelectOptionAsync(nameof(TriageState.Acknowledged));
        await page.TestId("triage-submit").ClickAsync();

        await Assertions.Expect(page.TestId("bulk-outcome")).ToContainTextAsync("1 alert marked acknowledged");
        await Assertions.Expect(page.TestId("alert-row").Filter(new() { HasText = "Unusual region" }).TestId("alert-state")).ToHaveTextAsync("Acknowledged");
        await Assertions.Expect(page.TestId("alert-row").Filter(new() { HasText = "Unusual API call volume" }).TestId("alert-state")).ToHaveTextAsync("New");
    }

    [Fact]
    public async Task Promote_CreatesAnIncident_LinksToIt_AndUndoOnTheAlertPageRestoresTheAlerts()
    {
        var responder = await Site.CreateUserAsync(Role.Responder);
        var source = AlertScenes.UniqueSource("promote");
        var ids = await Site.SubmitAlertsAsync(responder,
            AlertScenes.Alert(source, "Instance role credentials used outside AWS", AlertSeverity.High),
            AlertScenes.Alert(source, "Unusual S3 GetObject volume", AlertSeverity.Medium));
        var page = await NewPageAsync();
        await page.LoginAsync(responder);
        await page.GotoInteractiveAsync($"/alerts?source={source}");

        await page.TestId("select-page").ClickAsync();
        await page.TestId("promote-title").FillAsync("Stolen instance credentials");
        await page.TestId("promote-category").SelectOptionAsync(nameof(IncidentCategory.CompromisedCredentials));
        await page.TestId("promote-submit").ClickAsync();

        var link = page.TestId("escalated-incident-link");
        await Assertions.Expect(link).ToBeVisibleAsync();
        await Assertions.Expect(page.TestId("alert-state")).ToHaveTextAsync(["Escalated", "Escalated"]);
        var reference = await link.InnerTextAsync();
        await link.ClickAsync();
        await page.WaitForAddressAsync($"**/incidents/{reference}");
        await Assertions.Expect(page.TestId("incident-title")).ToHaveTextAsync("Stolen instance credentials");
        await Assertions.Expect(page.TestId("severity")).ToHaveTextAsync("SEV2");
        await Assertions.Expect(page.TestId("category")).ToHaveTextAsync("Compromised credentials");

        await page.GotoInteractiveAsync($"/alerts/{ids[0].Id}");
        await Assertions.Expect(page.TestId("escalation-incident")).ToHaveTextAsync(reference);
        await Assertions.Expect(page.TestId("triage-state")).ToHaveTextAsync("Escalated");
        await FirebreakSite.ScreenshotAsync(page, "alert-detail-escalated");
        await page.TestId("undo-escalation").ClickAsync();

        await Assertions.Expect(page.TestId("escalation-undone")).ToContainTextAsync(responder.Email);
        await Assertions.Expect(page.TestId("triage-state")).ToHaveTextAsync("New");
        await Assertions.Expect(page.TestId("undo-escalation")).ToHaveCountAsync(0);
        var incident = await Site.ActAsync(responder, services => services.GetRequiredService<IncidentService>().GetAsync(reference));
        Assert.Equal(IncidentStatus.FalsePositive, incident.Status);
        var other = await Site.ActAsync(responder, services => services.GetRequiredService<AlertService>().GetAsync(ids[1].Id));
        Assert.Equal(TriageState.New, other.TriageState);
        Assert.Null(other.IncidentId);
    }

    [Fact]
    public async Task Merge_JoinsTheSelectedAlerts_ToAnOpenIncidentChosenByReference()
    {
        var responder = await Site.CreateUserAsync(Role.Responder);
        var incident = await Site.CreateIncidentAsync(responder, new CreateIncident("Credential stuffing wave"));
        var source = AlertScenes.UniqueSource("merge");
        var id = await Site.SubmitAlertAsync(responder, AlertScenes.Alert(source, "Many failed logins for one user"));
        var page = await NewPageAsync();
        await page.LoginAsync(responder);
        await page.GotoInteractiveAsync($"/alerts?source={source}");

        await page.TestId("select-alert").CheckAsync();
        await page.TestId("merge-incident").FillAsync("INC-0000-9999");
        await page.TestId("merge-submit").ClickAsync();
        await Assertions.Expect(page.TestId("bulk-error")).ToBeVisibleAsync();

        await page.TestId("select-alert").CheckAsync();
        await page.TestId("merge-incident").FillAsync(incident.Reference);
        await page.TestId("merge-submit").ClickAsync();

        await Assertions.Expect(page.TestId("escalated-incident-link")).ToHaveTextAsync(incident.Reference);
        var alert = await Site.ActAsync(responder, services => services.GetRequiredService<AlertService>().GetAsync(id));
        Assert.Equal(incident.Id, alert.IncidentId);
    }
}
