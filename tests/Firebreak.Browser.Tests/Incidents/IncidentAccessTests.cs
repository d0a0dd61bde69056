using Firebreak.Core.Identity;
using Firebreak.Core.Incidents;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;

namespace Firebreak.Browser.Tests.Incidents;

public sealed class IncidentAccessTests(FirebreakSite site) : BrowserTest(site)
{
    [Fact]
    public async Task Viewer_SeesTheWholeIncident_WithoutAnyEditControl()
    {
        var manager = await Site.CreateUserAsync(Role.IncidentManager);
        var incident = await Site.CreateIncidentAsync(manager, new CreateIncident("Exfiltration over DNS", Tags: ["dns"], IncidentManagerId: manager.Id));
        await Site.ActAsync(manager, async services =>
        {
            await services.GetRequiredService<TaskService>().AddAsync(incident.Reference, new CreateTask("Block the resolver", manager.Id));
            await services.GetRequiredService<JournalService>().AddAsync(incident.Reference, "Queries to *evil.example* spotted");
            return await services.GetRequiredService<ReviewService>().SaveAsync(incident.Reference, "Caught within the hour.", "Alert on long TXT queries.", null);
        });
        var viewer = await Site.CreateUserAsync(Role.Viewer);
        var page = await NewPageAsync();
        await page.LoginAsync(viewer);

        await page.GotoInteractiveAsync($"/incidents/{incident.Reference}");

        await Assertions.Expect(page.TestId("incident-title")).ToHaveTextAsync("Exfiltration over DNS");
        await Assertions.Expect(page.TestId("read-only")).ToBeVisibleAsync();
        await Assertions.Expect(page.TestId("task-title")).ToHaveTextAsync("Block the resolver");
        await Assertions.Expect(page.TestId("task-owner-text")).ToHaveTextAsync(manager.DisplayName);
        await Assertions.Expect(page.Locator("[data-testid=journal-body] em")).ToHaveTextAsync("evil.example");
        await Assertions.Expect(page.TestId("review-summary-text")).ToHaveTextAsync("Caught within the hour.");
        await Assertions.Expect(page.TestId("audit-row").First).ToBeVisibleAsync();

        var main = page.Locator("main");
        Assert.Equal(0, await main.Locator("input, select, textarea, form").CountAsync());
        Assert.Equal(0, await page.TestId("phase-stepper").Locator("button").CountAsync());
        foreach (var control in new[] { "edit-details", "edit-roles", "journal-edit", "save-status", "add-task", "save-review", "journal-add" })
        {
            Assert.Equal(0, await page.TestId(control).CountAsync());
        }
        // The only buttons left page through the audit trail.
        var buttons = await main.Locator("button").AllAsync();
        Assert.All(buttons, b => Assert.StartsWith("audit-", b.GetAttributeAsync("data-testid").Result));
    }

    [Fact]
    public async Task Responder_CanWork_ButNotReassignRoles()
    {
        var responder = await Site.CreateUserAsync(Role.Responder);
        var incident = await Site.CreateIncidentAsync(responder, new CreateIncident("Odd console login"));
        var page = await NewPageAsync();
        await page.LoginAsync(responder);

        await page.GotoInteractiveAsync($"/incidents/{incident.Reference}");

        await Assertions.Expect(page.TestId("journal-add")).ToBeVisibleAsync();
        await Assertions.Expect(page.TestId("move-to-containment")).ToBeVisibleAsync();
        await Assertions.Expect(page.TestId("edit-roles")).ToHaveCountAsync(0);
        await Assertions.Expect(page.TestId("status-select").Locator("option[value=FalsePositive]")).ToHaveAttributeAsync("disabled", "");
    }

    [Fact]
    public async Task UserOfAnotherTenant_GetsNotFound_ForTheIncidentUrl()
    {
        var owner = await Site.CreateUserAsync(Role.Admin);
        var incident = await Site.CreateIncidentAsync(owner, new CreateIncident("Tenant-private incident"));
        var outsider = await Site.CreateUserAsync(Role.Admin, Site.OtherTenantSlug);
        var page = await NewPageAsync();
        await page.LoginAsync(outsider);

        var response = await page.GotoInteractiveAsync($"/incidents/{incident.Reference}");

        Assert.Equal(404, response?.Status);
        await Assertions.Expect(page.TestId("not-found")).ToContainTextAsync("Incident not found");
        await Assertions.Expect(page.Locator("body")).Not.ToContainTextAsync("Tenant-private incident");
        await page.GotoAsync("/incidents");
        await Assertions.Expect(page.TestId("incident-row").Filter(new() { HasText = "Tenant-private incident" })).ToHaveCountAsync(0);
    }
}
