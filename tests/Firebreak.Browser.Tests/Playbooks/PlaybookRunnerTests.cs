using Firebreak.Core.Identity;
using Firebreak.Core.Incidents;
using Microsoft.Playwright;

namespace Firebreak.Browser.Tests.Playbooks;

public sealed class PlaybookRunnerTests(FirebreakSite site) : BrowserTest(site)
{
    private static ILocator Step(IPage page, string id) => page.Locator($"[data-testid=playbook-step][data-step={id}]");

    [Fact]
    public async Task Runner_StartsABuiltIn_ASecondPersonApproves_AndTheChecklistIsTickedOff()
    {
        var responder = await Site.CreateUserAsync(Role.Responder);
        var manager = await Site.CreateUserAsync(Role.IncidentManager);
        var incident = await Site.CreateIncidentAsync(responder, new CreateIncident("Admin accounts taken over"));
        var page = await NewPageAsync();
        await page.LoginAsync(responder);
        await page.GotoInteractiveAsync($"/incidents/{incident.Reference}");
        await Assertions.Expect(page.TestId("playbook-runs-empty")).ToBeVisibleAsync();
        await Assertions.Expect(page.TestId("playbook-select").Locator("option[value=compromised-access-key]")).ToHaveCountAsync(1);

        await page.TestId("playbook-select").SelectOptionAsync("management-plane-compromise");
        await page.TestId("playbook-choice-reason").FillAsync("take the organisation back");
        await page.TestId("playbook-start").ClickAsync();
        await Assertions.Expect(page.TestId("playbook-start-form")).ToContainTextAsync("inputs.provider is required");

        await page.TestId("playbook-inputs").FillAsync("provider=aws");
        await page.TestId("playbook-start").ClickAsync();
        await Assertions.Expect(Step(page, "authorise")).ToHaveAttributeAsync("data-state", "waiting-approval", new() { Timeout = 30_000 });
        await Step(page, "authorise").GetByTestId("playbook-approve").ClickAsync();
        await Assertions.Expect(page.TestId("playbook-step-error")).ToContainTextAsync("second person");

        var second = await NewPageAsync();
        await second.LoginAsync(manager);
        await second.GotoInteractiveAsync($"/incidents/{incident.Reference}");
        await Step(second, "authorise").GetByTestId("playbook-approve").ClickAsync();
        await Assertions.Expect(Step(second, "authorise")).ToHaveAttributeAsync("data-state", "succeeded");

        await Assertions.Expect(Step(page, "retrieve")).ToHaveAttributeAsync("data-state", "running", new() { Timeout = 30_000 });
        var boxes = Step(page, "retrieve").GetByTestId("playbook-check");
        await Assertions.Expect(boxes).ToHaveCountAsync(4);
        for (var i = 0; i < 4; i++) await boxes.Nth(i).CheckAsync();
        await Step(page, "retrieve").GetByTestId("playbook-complete").ClickAsync();
        await Assertions.Expect(Step(page, "retrieve")).ToHaveAttributeAsync("data-state", "done");
        await Assertions.Expect(Step(page, "take-control")).ToHaveAttributeAsync("data-state", "running", new() { Timeout = 30_000 });
        await FirebreakSite.ScreenshotAsync(page, "playbook-runner");
    }

    [Fact]
    public async Task Viewer_SeesRuns_ButCannotStartOrAct()
    {
        var viewer = await Site.CreateUserAsync(Role.Viewer);
        var responder = await Site.CreateUserAsync(Role.Responder);
        var incident = await Site.CreateIncidentAsync(responder, new CreateIncident("Look only"));
        var page = await NewPageAsync();
        await page.LoginAsync(viewer);

        await page.GotoInteractiveAsync($"/incidents/{incident.Reference}");

        await Assertions.Expect(page.TestId("playbooks")).ToBeVisibleAsync();
        await Assertions.Expect(page.TestId("playbook-start-form")).ToHaveCountAsync(0);
    }
}
