using Microsoft.Playwright;

namespace Firebreak.Browser.Tests;

/// <summary>Intent-level steps shared by the tests: sign in, open a page and wait until it is live.</summary>
internal static class Pages
{
    public static async Task LoginAsync(this IPage page, TestUser user, string? returnUrl = null)
    {
        await page.GotoAsync(returnUrl is null ? "/login" : $"/login?returnUrl={Uri.EscapeDataString(returnUrl)}");
        await page.GetByLabel("E-mail").FillAsync(user.Email);
        await page.GetByLabel("Password").FillAsync(user.Password);
        await page.GetByRole(AriaRole.Button, new() { Name = "Sign in" }).ClickAsync();
        // Signing in hashes the password and renders the first page; on a loaded machine that alone has
        // taken most of the default timeout. The next step waits for whatever it needs of the page.
        await page.WaitForURLAsync(url => !url.Contains("/login", StringComparison.Ordinal), new() { WaitUntil = WaitUntilState.Commit, Timeout = 120_000 });
    }

    /// <summary>Opens an interactive page and waits for its circuit, so clicks reach the server.</summary>
    /// <summary>Opens the page, waits until it is interactive and gives the first response.</summary>
    public static async Task<IResponse?> GotoInteractiveAsync(this IPage page, string path)
    {
        var response = await page.GotoAsync(path);
        await page.Locator("[data-interactive=yes]").WaitForAsync();
        return response;
    }

    public static ILocator TestId(this IPage page, string id) => page.GetByTestId(id);

    public static ILocator TestId(this ILocator locator, string id) => locator.GetByTestId(id);
}
