using System.Text;
using Firebreak.Core.Identity;
using Firebreak.Core.Incidents;
using Firebreak.Core.Investigation;
using Firebreak.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;

namespace Firebreak.Browser.Tests.Scope;

public sealed class ScopePageTests(FirebreakSite site) : BrowserTest(site)
{
    private async Task<string> IncidentWithChainAsync(TestUser responder)
    {
        var incident = await Site.CreateIncidentAsync(responder, new CreateIncident("Stolen key"));
        var import = await Site.ActAsync(responder, sp => sp.GetRequiredService<EventImportService>()
            .StartUploadAsync(incident.Reference, "trail.json", new MemoryStream(Encoding.UTF8.GetBytes(ScopeTrails.ChainTrail()))));
        for (var i = 0; i < 300 && import.Status != ImportStatus.Completed; i++)
        {
            await Task.Delay(100);
            import = await Site.ActAsync(responder, sp => sp.GetRequiredService<EventImportService>().GetAsync(incident.Reference, import.Id));
        }
        Assert.Equal(ImportStatus.Completed, import.Status);
        return incident.Reference;
    }

    [Fact]
    public async Task Responder_MarksAKey_SeesBlastRadiusAndPatientZero_PivotsAndUnmarks()
    {
        var responder = await Site.CreateUserAsync(Role.Responder);
        var incident = await IncidentWithChainAsync(responder);
        var page = await NewPageAsync();
        await page.LoginAsync(responder);
        await page.GotoInteractiveAsync($"/incidents/{incident}");
        await page.TestId("open-scope").ClickAsync();
        await Assertions.Expect(page.TestId("scope-page")).ToHaveAttributeAsync("data-interactive", "yes");
        await Assertions.Expect(page.TestId("patient-zero-none")).ToBeVisibleAsync();
        await Assertions.Expect(page.TestId("graph-node")).ToHaveCountAsync(13);

        // Bad input first: a mark needs a reason.
        var stolen = page.Locator($"[data-testid=identity-row][data-entity='access-key:{ScopeTrails.Stolen}']");
        await stolen.TestId("identity-mark").ClickAsync();
        await Assertions.Expect(page.TestId("mark-value")).ToHaveValueAsync(ScopeTrails.Stolen);
        await page.TestId("mark-kind").SelectOptionAsync("access-key");
        await page.TestId("mark-submit").ClickAsync();
        await Assertions.Expect(page.TestId("scope-error")).ToContainTextAsync("Some fields need attention.");

        await page.TestId("mark-reason").FillAsync("Key posted on a paste site");
        await page.TestId("mark-submit").ClickAsync();
        await Assertions.Expect(page.TestId("patient-zero-value")).ToHaveTextAsync(ScopeTrails.Stolen);
        await Assertions.Expect(page.TestId("patient-zero-first-use")).ToContainTextAsync("GetCallerIdentity from 198.51.100.66");
        await Assertions.Expect(page.TestId("blast-identity")).ToHaveCountAsync(8);
        await Assertions.Expect(page.Locator("[data-testid=graph-node][data-controlled=yes]")).ToHaveCountAsync(8);
        await Assertions.Expect(page.Locator("[data-testid=blast-resource][data-access='deleted']")).ToContainTextAsync("org-trail");
        await Assertions.Expect(page.TestId("containment")).ToContainTextAsync("aws-revoke-role-sessions");
        await Assertions.Expect(page.TestId("mark-row")).ToHaveCountAsync(1);

        // The pivot: clicking the admin role in the graph lists its sessions' events.
        await page.Locator($"[data-testid=graph-node][data-entity='principal:{ScopeTrails.AdminRole}']").ClickAsync();
        await Assertions.Expect(page.TestId("pivot-row")).ToHaveCountAsync(8);
        await page.TestId("place-value").First.ClickAsync();
        await Assertions.Expect(page.TestId("pivot-row")).ToHaveCountAsync(13);
        await FirebreakSite.ScreenshotAsync(page, "incident-scope");

        await page.TestId("unmark-reason").FillAsync("Rotated, confirmed by the owner");
        await page.TestId("unmark").ClickAsync();
        await Assertions.Expect(page.TestId("patient-zero-none")).ToBeVisibleAsync();
        await Assertions.Expect(page.TestId("mark-row")).ToContainTextAsync("Rotated, confirmed by the owner");
    }

    [Fact]
    public async Task Viewer_SeesTheScope_WithoutMarking()
    {
        var responder = await Site.CreateUserAsync(Role.Responder);
        var viewer = await Site.CreateUserAsync(Role.Viewer);
        var incident = await IncidentWithChainAsync(responder);
        var page = await NewPageAsync();
        await page.LoginAsync(viewer);
        await page.GotoInteractiveAsync($"/incidents/{incident}/scope");
        await Assertions.Expect(page.TestId("graph-svg")).ToBeVisibleAsync();
        await Assertions.Expect(page.TestId("mark-submit")).ToHaveCountAsync(0);
        await Assertions.Expect(page.TestId("identity-mark")).ToHaveCountAsync(0);

        var other = await Site.CreateUserAsync(Role.Admin, Site.OtherTenantSlug);
        var outsider = await NewPageAsync();
        await outsider.LoginAsync(other);
        await outsider.GotoInteractiveAsync($"/incidents/{incident}/scope");
        await Assertions.Expect(outsider.TestId("scope-error")).ToContainTextAsync("was not found");
        await Assertions.Expect(outsider.TestId("graph-svg")).ToHaveCountAsync(0);
    }
}
