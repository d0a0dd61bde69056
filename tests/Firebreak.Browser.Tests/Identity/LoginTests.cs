using System.Net;
using System.Text.RegularExpressions;
using Firebreak.Core.Identity;
using Microsoft.Playwright;

namespace Firebreak.Browser.Tests.Identity;

public sealed class LoginTests(FirebreakSite site) : BrowserTest(site)
{
    [Fact]
    public async Task StaticAssets_AreServed_FromTheTestHost()
    {
        var page = await NewPageAsync();
        var css = await page.APIRequest.GetAsync(Site.BaseUrl + "/app.css");
        var script = await page.APIRequest.GetAsync(Site.BaseUrl + "/_framework/blazor.web.js");

        Assert.Equal((int)HttpStatusCode.OK, css.Status);
        Assert.Contains(".topbar", await css.TextAsync());
        Assert.Equal((int)HttpStatusCode.OK, script.Status);
    }

    [Fact]
    public async Task TheSignInPageAndTheIncidentList_RequestNothingTheServerLacks()
    {
        // The browser asked for /favicon.ico, which the site did not have: a 404 in the console of every page, where a
        // responder looking for a real error should find none. The site now names its own icon.
        var user = await Site.CreateUserAsync(Role.Responder);
        var page = await NewPageAsync();
        var failed = new List<string>();
        page.Response += (_, response) =>
        {
            if (response.Status >= 400) lock (failed) failed.Add($"{response.Status} {response.Url}");
        };

        await page.GotoAsync("/login");
        await page.WaitForLoadStateAsync(LoadState.NetworkIdle);
        var icon = await page.Locator("link[rel=icon]").GetAttributeAsync("href");
        await page.LoginAsync(user);
        await Assertions.Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Incidents" })).ToBeVisibleAsync();
        await page.WaitForLoadStateAsync(LoadState.NetworkIdle);

        lock (failed) Assert.Empty(failed);
        Assert.NotNull(icon);
        var served = await page.APIRequest.GetAsync(Site.BaseUrl + "/" + icon.TrimStart('/'));
        Assert.Equal(((int)HttpStatusCode.OK, "image/svg+xml"), (served.Status, served.Headers["content-type"]));
    }

    [Fact]
    public async Task Login_WithRightPassword_LandsOnIncidentList()
    {
        var user = await Site.CreateUserAsync(Role.Responder);
        var page = await NewPageAsync();

        await page.GotoAsync("/incidents");
        await page.WaitForAddressAsync(new Regex("/login\\?returnurl=", RegexOptions.IgnoreCase).IsMatch);
        await FirebreakSite.ScreenshotAsync(page, "login");
        await page.LoginAsync(user);

        Assert.EndsWith("/incidents", page.Url);
        await Assertions.Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Incidents" })).ToBeVisibleAsync();
        await Assertions.Expect(page.Locator(".topbar .who")).ToHaveTextAsync(user.Email);
        await Assertions.Expect(page.TestId("nav-new-incident")).ToBeVisibleAsync();
    }

    [Fact]
    public async Task Login_WithWrongPassword_SaysSoAndStaysSignedOut()
    {
        var user = await Site.CreateUserAsync(Role.Responder);
        var page = await NewPageAsync();

        await SubmitAsync(page, user with { Password = "not the password at all" });

        await Assertions.Expect(page.GetByRole(AriaRole.Alert)).ToHaveTextAsync("Wrong e-mail or password.");
        await page.GotoAsync("/incidents");
        await page.WaitForAddressAsync(new Regex("/login\\?returnurl=", RegexOptions.IgnoreCase).IsMatch);
    }

    [Fact]
    public async Task Login_AfterFiveFailures_ShowsLockoutEvenWithTheRightPassword()
    {
        var user = await Site.CreateUserAsync(Role.Responder);
        var page = await NewPageAsync();
        var wrong = user with { Password = "wrong password, again" };

        for (var attempt = 1; attempt <= 4; attempt++)
        {
            await SubmitAsync(page, wrong);
            await Assertions.Expect(page.GetByRole(AriaRole.Alert)).ToHaveTextAsync("Wrong e-mail or password.");
        }
        await SubmitAsync(page, wrong);
        await Assertions.Expect(page.GetByRole(AriaRole.Alert)).ToContainTextAsync("locked");

        await SubmitAsync(page, user);
        await Assertions.Expect(page.GetByRole(AriaRole.Alert)).ToHaveTextAsync("Too many failed attempts: this account is locked for 15 minutes.");
        Assert.Contains("/login", page.Url);
    }

    private static async Task SubmitAsync(IPage page, TestUser user)
    {
        await page.GotoAsync("/login");
        await page.GetByLabel("E-mail").FillAsync(user.Email);
        await page.GetByLabel("Password").FillAsync(user.Password);
        await page.GetByRole(AriaRole.Button, new() { Name = "Sign in" }).ClickAsync();
        await page.WaitForAddressAsync("**/login?error=*");
    }
}
