using Firebreak.Core.Identity;
using Firebreak.Core.Incidents;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;

namespace Firebreak.Browser.Tests.PostMortem;

public sealed class PostMortemTests(FirebreakSite site) : BrowserTest(site)
{
    [Fact]
    public async Task Responder_FillsThePostMortem_AndItIsThereAfterAReload()
    {
        var responder = await Site.CreateUserAsync(Role.Responder, displayName: "Rita Responder");
        var incident = await Site.CreateIncidentAsync(responder, new CreateIncident("Keys in a public repo"));
        var page = await NewPageAsync();
        await page.LoginAsync(responder);
        await page.GotoInteractiveAsync($"/incidents/{incident.Reference}");
        await page.TestId("open-post-mortem").ClickAsync();
        await page.WaitForAddressAsync($"**/incidents/{incident.Reference}/post-mortem");
        // The incident page was live too: wait for this page's own circuit before typing.
        await page.Locator("[data-testid=post-mortem-page][data-interactive=yes]").WaitForAsync();

        var answers = new Dictionary<string, string>
        {
            ["review-summary"] = "An access key was pushed to a public repository.",
            ["review-root-cause"] = "No secret scanning on pushes.",
            ["review-went-well"] = "The key was disabled within 20 minutes.",
            ["review-could-be-better"] = "Paging reached the wrong rota.",
            ["review-detect-sooner"] = "Yes: the provider's leaked-key notice came 2 h before our alert.",
            ["review-additional-data"] = "CloudTrail data events for the bucket.",
            ["review-process-change-needed"] = "Yes.",
            ["review-process-changes"] = "Scan every push; rotate keys every 90 days.",
            ["review-provider-sla"] = "No: first response 3 h late.",
            ["review-lessons"] = "Treat provider notices as alerts.",
        };
        foreach (var (id, text) in answers) await page.TestId(id).FillAsync(text);
        await page.TestId("save-review").ClickAsync();
        await Assertions.Expect(page.TestId("review-saved")).ToBeVisibleAsync();

        await page.TestId("new-follow-up-title").FillAsync("Enable secret scanning");
        await page.TestId("new-follow-up-owner").SelectOptionAsync(new SelectOptionValue { Label = "Rita Responder" });
        await page.TestId("new-follow-up-due").FillAsync("2020-01-31");
        await page.TestId("add-follow-up").ClickAsync();
        await Assertions.Expect(page.TestId("follow-up-overdue")).ToBeVisibleAsync();
        await page.TestId("new-follow-up-title").FillAsync("Rotate every key");
        await page.TestId("add-follow-up").ClickAsync();
        await Assertions.Expect(page.TestId("follow-up-row")).ToHaveCountAsync(2);
        await page.TestId("follow-up-row").Nth(1).TestId("follow-up-complete").ClickAsync();
        await Assertions.Expect(page.TestId("follow-up-row").Nth(1).TestId("follow-up-complete")).ToHaveCountAsync(0);

        await page.TestId("new-data-gap-log-source").FillAsync("CloudTrail S3 data events");
        await page.TestId("new-data-gap-provider").FillAsync("aws");
        await page.TestId("new-data-gap-service").FillAsync("s3");
        await page.TestId("new-data-gap-impact").SelectOptionAsync("Scoping");
        await page.TestId("add-data-gap").ClickAsync();
        await Assertions.Expect(page.TestId("data-gap-row")).ToHaveCountAsync(1);

        await page.TestId("add-escalation").ClickAsync();
        await Assertions.Expect(page.TestId("add-escalation-error")).ToBeVisibleAsync();
        await page.TestId("new-escalation-provider").FillAsync("aws");
        await page.TestId("new-escalation-service").FillAsync("iam");
        await page.TestId("new-escalation-case").FillAsync("CASE-1234");
        await page.TestId("new-escalation-opened").FillAsync("2026-01-10T09:00");
        await page.TestId("new-escalation-sla-hours").FillAsync("1");
        await page.TestId("new-escalation-first-response").FillAsync("2026-01-10T12:00");
        await page.TestId("add-escalation").ClickAsync();
        await Assertions.Expect(page.TestId("escalation-sla")).ToHaveTextAsync("Breached");
        await Assertions.Expect(page.TestId("escalation-overrun")).ToHaveTextAsync("by 2 h 0 m");
        await page.TestId("new-escalation-provider").FillAsync("gcp");
        await page.TestId("new-escalation-case").FillAsync("CASE-9");
        await page.TestId("new-escalation-opened").FillAsync("2026-01-11T09:00");
        await page.TestId("new-escalation-sla-minutes").FillAsync("30");
        await page.TestId("add-escalation").ClickAsync();
        await Assertions.Expect(page.TestId("escalation-row")).ToHaveCountAsync(2);
        // No answer and long past due: breached too, until the answer is recorded in time.
        var gcp = page.TestId("escalation-row").Filter(new() { HasText = "CASE-9" });
        await Assertions.Expect(gcp.TestId("escalation-sla")).ToHaveTextAsync("Breached");
        await gcp.TestId("edit-escalation").ClickAsync();
        await Assertions.Expect(page.TestId("new-escalation-case")).ToHaveValueAsync("CASE-9");
        await page.TestId("new-escalation-first-response").FillAsync("2026-01-11T09:20");
        await page.TestId("add-escalation").ClickAsync();
        await Assertions.Expect(gcp.TestId("escalation-sla")).ToHaveTextAsync("Met");

        await page.TestId("edit-data-gap").ClickAsync();
        await page.TestId("new-data-gap-note").FillAsync("Could not tell which objects were read");
        await page.TestId("add-data-gap").ClickAsync();
        await Assertions.Expect(page.TestId("data-gap-row")).ToContainTextAsync("Could not tell which objects were read");
        await Assertions.Expect(page.TestId("data-gap-row")).ToHaveCountAsync(1);
        await FirebreakSite.ScreenshotAsync(page, "post-mortem-form");

        await page.ReloadAsync();
        await page.Locator("[data-testid=post-mortem-page][data-interactive=yes]").WaitForAsync();
        foreach (var (id, text) in answers) await Assertions.Expect(page.TestId(id)).ToHaveValueAsync(text);
        await Assertions.Expect(page.TestId("follow-up-title").First).ToHaveValueAsync("Enable secret scanning");
        await Assertions.Expect(page.TestId("follow-up-status").Nth(1)).ToHaveValueAsync("Done");
        await Assertions.Expect(page.TestId("data-gap-log-source")).ToHaveTextAsync("CloudTrail S3 data events");
        await Assertions.Expect(page.TestId("data-gap-impact")).ToHaveTextAsync("Scoping");
        await Assertions.Expect(page.TestId("escalation-case").First).ToHaveTextAsync("CASE-1234");
        await Assertions.Expect(page.TestId("sla-summary")).ToContainTextAsync("1 met");
        await Assertions.Expect(page.TestId("sla-summary")).ToContainTextAsync("1 breached");
        await Assertions.Expect(page.TestId("data-gap-row")).ToContainTextAsync("Could not tell which objects were read");

        await page.GotoAsync("/follow-ups?overdue=true");
        await Assertions.Expect(page.TestId("follow-up-list-row").Filter(new() { HasText = "Enable secret scanning" })).ToContainTextAsync("Overdue");
        await Assertions.Expect(page.TestId("follow-up-list-row").Filter(new() { HasText = "Rotate every key" })).ToHaveCountAsync(0);
    }

    [Fact]
    public async Task Viewer_ReadsThePostMortem_WithoutEditControls()
    {
        var responder = await Site.CreateUserAsync(Role.Responder);
        var incident = await Site.CreateIncidentAsync(responder, new CreateIncident("Read-only post-mortem"));
        await Site.ActAsync(responder, services => services.GetRequiredService<ReviewService>()
            .SaveAsync(incident.Reference, new ReviewAnswers("Summary text", RootCause: "A weak password"), null));
        var viewer = await Site.CreateUserAsync(Role.Viewer);
        var page = await NewPageAsync();
        await page.LoginAsync(viewer);

        await page.GotoInteractiveAsync($"/incidents/{incident.Reference}/post-mortem");

        await Assertions.Expect(page.TestId("review-root-cause-text")).ToHaveTextAsync("A weak password");
        Assert.Equal(0, await page.Locator("main").Locator("input, select, textarea, form, button").CountAsync());
    }

    [Fact]
    public async Task Dashboard_ShowsMeanTimesPerBucket_AsATableAndAChart()
    {
        var manager = await Site.CreateUserAsync(Role.IncidentManager);
        // Detected in March 2025, an insider SEV4: no other test's incidents fall in this slice.
        var first = await Site.CreateIncidentAsync(manager, new CreateIncident("Insider copy", Severity: Severity.Sev4, Category: IncidentCategory.Insider,
            DetectedAt: new DateTimeOffset(2025, 3, 3, 8, 0, 0, TimeSpan.Zero)));
        await Site.CreateIncidentAsync(manager, new CreateIncident("Insider print", Severity: Severity.Sev4, Category: IncidentCategory.Insider,
            DetectedAt: new DateTimeOffset(2025, 3, 20, 8, 0, 0, TimeSpan.Zero)));
        var viewer = await Site.CreateUserAsync(Role.Viewer);
        var page = await NewPageAsync();
        await page.LoginAsync(viewer);

        await page.GotoAsync("/metrics");
        await Assertions.Expect(page.TestId("metrics-range")).ToBeVisibleAsync();
        await page.TestId("filter-from").FillAsync("2025-03-01");
        await page.TestId("filter-to").FillAsync("2025-04-01");
        await page.TestId("filter-severity").SelectOptionAsync("SEV4");
        await page.TestId("filter-category").SelectOptionAsync("insider");
        await page.TestId("filter-bucket").SelectOptionAsync("week");
        await page.TestId("filter-metric").SelectOptionAsync("mtte");
        await page.TestId("apply-metrics").ClickAsync();

        await Assertions.Expect(page.TestId("metrics-range")).ToContainTextAsync("2 incident(s)");
        await Assertions.Expect(page.TestId("metrics-row")).ToHaveCountAsync(2);
        await Assertions.Expect(page.TestId("metrics-row").First).ToContainTextAsync("2025-03-03");
        await Assertions.Expect(page.TestId("trend-chart")).ToBeVisibleAsync();
        await Assertions.Expect(page.TestId("trend-bar")).ToHaveCountAsync(2);
        Assert.Contains("bucket=week", page.Url);
        await FirebreakSite.ScreenshotAsync(page, "metrics-dashboard");

        await page.GotoAsync("/metrics?from=2025-13-01");
        await Assertions.Expect(page.TestId("metrics-error")).ToContainTextAsync("from must be a date");
        await page.GotoAsync("/metrics?from=2025-04-01&to=2025-03-01");
        await Assertions.Expect(page.TestId("metrics-error")).ToContainTextAsync("from must be before to");
        _ = first;
    }
}
