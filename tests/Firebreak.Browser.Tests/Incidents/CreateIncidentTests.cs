using Firebreak.Core.Identity;
using Microsoft.Playwright;

namespace Firebreak.Browser.Tests.Incidents;

public sealed class CreateIncidentTests(FirebreakSite site) : BrowserTest(site)
{
    [Fact]
    public async Task Create_WithEveryField_OpensTheNewIncident()
    {
        var manager = await Site.CreateUserAsync(Role.IncidentManager, displayName: "Mina Manager " + Guid.NewGuid().ToString("N")[..4]);
        var page = await NewPageAsync();
        await page.LoginAsync(manager);

        await page.GotoInteractiveAsync("/incidents/new");
        await page.TestId("title").FillAsync("Access keys leaked in public repository");
        await page.TestId("summary").FillAsync("A CI token was pushed to a public fork.");
        await page.TestId("severity").SelectOptionAsync(new SelectOptionValue { Label = "SEV2" });
        await page.TestId("tlp").SelectOptionAsync(new SelectOptionValue { Label = "TLP:RED" });
        await page.TestId("pap").SelectOptionAsync(new SelectOptionValue { Label = "PAP:GREEN" });
        await page.TestId("category").SelectOptionAsync(new SelectOptionValue { Label = "Compromised credentials" });
        await page.TestId("tags").FillAsync("github, Leak");
        await page.TestId("provider-aws").CheckAsync();
        await page.TestId("provider-gcp").CheckAsync();
        await page.TestId("accounts").FillAsync("123456789012, my-project");
        await page.TestId("regions").FillAsync("eu-west-1");
        await page.TestId("manager").SelectOptionAsync(manager.Id.ToString());
        await FirebreakSite.ScreenshotAsync(page, "incident-new");
        await page.TestId("create").ClickAsync();

        try
        {
            await page.WaitForAddressAsync("**/incidents/INC-*");
        }
        catch (TimeoutException)
        {
            // Say what the form showed instead of only that the page never changed.
            await FirebreakSite.ScreenshotAsync(page, "incident-new-stuck");
            throw new TimeoutException($"The form stayed at {page.Url}; it shows: {await page.Locator("main").InnerTextAsync()}");
        }
        await page.Locator("[data-interactive=yes]").WaitForAsync();
        await Assertions.Expect(page.TestId("incident-title")).ToHaveTextAsync("Access keys leaked in public repository");
        await Assertions.Expect(page.TestId("summary")).ToHaveTextAsync("A CI token was pushed to a public fork.");
        await Assertions.Expect(page.TestId("severity")).ToHaveTextAsync("SEV2");
        await Assertions.Expect(page.TestId("tlp")).ToHaveTextAsync("TLP:RED");
        await Assertions.Expect(page.TestId("pap")).ToHaveTextAsync("PAP:GREEN");
        await Assertions.Expect(page.TestId("category")).ToHaveTextAsync("Compromised credentials");
        await Assertions.Expect(page.TestId("tags")).ToHaveTextAsync("githubleak");
        await Assertions.Expect(page.TestId("scope-providers")).ToHaveTextAsync("AWS, GCP");
        await Assertions.Expect(page.TestId("scope-accounts")).ToHaveTextAsync("123456789012, my-project");
        await Assertions.Expect(page.TestId("scope-regions")).ToHaveTextAsync("eu-west-1");
        await Assertions.Expect(page.TestId("incident-manager")).ToHaveTextAsync(manager.DisplayName);
        await Assertions.Expect(page.TestId("step-detection-and-analysis")).ToHaveAttributeAsync("data-state", "current");
    }

    [Fact]
    public async Task Create_WithEmptyTitle_ShowsTheFieldError_AndStaysOnTheForm()
    {
        var responder = await Site.CreateUserAsync(Role.Responder);
        var page = await NewPageAsync();
        await page.LoginAsync(responder);

        await page.GotoInteractiveAsync("/incidents/new");
        await page.TestId("summary").FillAsync("Title forgotten under pressure");
        await page.TestId("create").ClickAsync();

        await Assertions.Expect(page.TestId("error-title")).ToHaveTextAsync("title is required.");
        await Assertions.Expect(page.TestId("create-error")).ToContainTextAsync("Some fields need attention.");
        Assert.EndsWith("/incidents/new", page.Url);
        await Assertions.Expect(page.TestId("summary")).ToHaveValueAsync("Title forgotten under pressure");
    }

    [Fact]
    public async Task Create_WithTheNulCharacterInTheTitle_ShowsTheFieldError_AndKeepsWhatWasTyped()
    {
        // Pasted from a binary log, say. PostgreSQL cannot store it; the save refuses it on either database.
        var responder = await Site.CreateUserAsync(Role.Responder);
        var page = await NewPageAsync();
        await page.LoginAsync(responder);

        await page.GotoInteractiveAsync("/incidents/new");
        await page.TestId("title").FillAsync("Keys used from\0 Tor");
        await page.TestId("summary").FillAsync("Pasted from a log");
        await page.TestId("create").ClickAsync();

        await Assertions.Expect(page.TestId("error-title")).ToContainTextAsync("title: text may not contain the NUL character (U+0000).");
        await Assertions.Expect(page.TestId("create-error")).ToContainTextAsync("Some fields need attention.");
        Assert.EndsWith("/incidents/new", page.Url);
        await Assertions.Expect(page.TestId("summary")).ToHaveValueAsync("Pasted from a log");
    }

    [Fact]
    public async Task Responder_CannotPickIncidentRoles_OnCreation()
    {
        var responder = await Site.CreateUserAsync(Role.Responder);
        var page = await NewPageAsync();
        await page.LoginAsync(responder);

        await page.GotoInteractiveAsync("/incidents/new");

        await Assertions.Expect(page.TestId("manager")).ToBeDisabledAsync();
        await Assertions.Expect(page.TestId("comms-lead")).ToBeDisabledAsync();
    }

    [Fact]
    public async Task Viewer_IsToldTheyCannotCreate()
    {
        var viewer = await Site.CreateUserAsync(Role.Viewer);
        var page = await NewPageAsync();
        await page.LoginAsync(viewer);

        await page.GotoInteractiveAsync("/incidents/new");

        await Assertions.Expect(page.TestId("read-only")).ToContainTextAsync("cannot create incidents");
        await Assertions.Expect(page.TestId("new-incident-form")).ToHaveCountAsync(0);
    }
}
