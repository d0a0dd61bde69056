using Firebreak.Core.Identity;
using Firebreak.Core.Incidents;
using Microsoft.Playwright;

namespace Firebreak.Browser.Tests.Response;

public sealed class ResponsePlannerTests(FirebreakSite site) : BrowserTest(site)
{
    [Fact]
    public async Task Planner_OffersTheCatalogue_AndShowsTheServersFieldErrors_WithoutRecordingAnything()
    {
        var responder = await Site.CreateUserAsync(Role.Responder);
        var incident = await Site.CreateIncidentAsync(responder, new CreateIncident("Miner on web-1"));
        var page = await NewPageAsync();
        await page.LoginAsync(responder);

        await page.GotoInteractiveAsync($"/incidents/{incident.Reference}");
        await Assertions.Expect(page.TestId("response-empty")).ToBeVisibleAsync();
        await Assertions.Expect(page.TestId("response-action-select").Locator("option[value=aws-isolate-instance]")).ToHaveCountAsync(1);
        await page.TestId("response-action-select").SelectOptionAsync("aws-stop-instance");
        await page.TestId("response-account").FillAsync("123456789012");
        await page.TestId("response-region").FillAsync("eu-west-1");
        await page.TestId("response-resource").FillAsync("i-0abc1234def567890");
        await page.TestId("response-choice").SelectOptionAsync(new SelectOptionValue { Label = "stay-available-accept-data-risk" });
        await page.TestId("response-choice-reason").FillAsync("Payments run on it");
        await page.TestId("response-reason").FillAsync("Stop the miner");
        await page.TestId("response-plan").ClickAsync();

        await Assertions.Expect(page.TestId("response-plan-error")).ToContainTextAsync("Some fields need attention.");
        await Assertions.Expect(page.TestId("response-plan-form")).ToContainTextAsync("contradicts the choice to stay available");

        await page.TestId("response-choice").SelectOptionAsync(new SelectOptionValue { Label = "contain-accept-downtime" });
        await page.TestId("response-plan").ClickAsync();

        await Assertions.Expect(page.TestId("response-plan-form")).ToContainTextAsync("is not configured for response actions");
        await FirebreakSite.ScreenshotAsync(page, "response-planner");
        await Assertions.Expect(page.TestId("response-empty")).ToBeVisibleAsync();
    }

    [Fact]
    public async Task Viewer_SeesTheActions_ButNoPlanner()
    {
        var responder = await Site.CreateUserAsync(Role.Responder);
        var viewer = await Site.CreateUserAsync(Role.Viewer);
        var incident = await Site.CreateIncidentAsync(responder, new CreateIncident("Read-only look"));
        var page = await NewPageAsync();
        await page.LoginAsync(viewer);

        await page.GotoInteractiveAsync($"/incidents/{incident.Reference}");

        await Assertions.Expect(page.TestId("response")).ToBeVisibleAsync();
        await Assertions.Expect(page.TestId("response-plan-form")).ToHaveCountAsync(0);
    }
}
