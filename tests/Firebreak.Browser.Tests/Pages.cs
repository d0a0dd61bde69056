using Microsoft.Playwright;

namespace Firebreak.Browser.Tests;

/// <summary>Intent-level steps shared by the tests: sign in, open a page and wait until it is live.</summary>
internal static class Pages
{
    public static async Task LoginAsync(this IPage page, TestUser user, string? returnUrl = null)
    {
        // On a heavily loaded machine a sign-in has now and then stayed on the sign-in page (seen twice in
        // some thousands of sign-ins; the cause is not known). One more attempt is made, and if that fails
        // too the failure says where the browser ended up and what the server answered.
        string? first = null;
        for (var attempt = 1; ; attempt++)
        {
            await page.GotoAsync(returnUrl is null ? "/login" : $"/login?returnUrl={Uri.EscapeDataString(returnUrl)}");
            await page.GetByLabel("E-mail").FillAsync(user.Email);
            await page.GetByLabel("Password").FillAsync(user.Password);
            var answer = await page.RunAndWaitForResponseAsync(
                () => page.GetByRole(AriaRole.Button, new() { Name = "Sign in" }).ClickAsync(),
                r => r.Url.Contains("/account/login", StringComparison.Ordinal), new() { Timeout = 120_000 });
            var location = answer.Status is >= 300 and < 400 ? await answer.HeaderValueAsync("location") : null;
            if (location is not null && !location.Contains("/login", StringComparison.Ordinal))
            {
                // Signing in hashes the password and renders the first page; on a loaded machine that alone has
                // taken most of the default timeout (see WaitForAddressAsync for why the address is polled).
                await page.WaitForAddressAsync(url => !url.Contains("/login", StringComparison.Ordinal));
                return;
            }

            var outcome = $"sign-in answered {answer.Status} {location}";
            if (attempt == 2) throw new InvalidOperationException($"Signing in as {user.Email} failed twice: {first}; then {outcome}.");
            first = outcome;
            Console.Error.WriteLine($"Signing in as {user.Email}: {outcome}; trying once more.");
        }
    }

    /// <summary>
    /// Waits until the page's address is one <paramref name="matches"/> accepts, by polling it. Playwright's
    /// WaitForURLAsync also waits for a load state of the navigation, and on a loaded machine that wait has
    /// hung with the address already right, for each state tried ("commit", "domcontentloaded" and "load"):
    /// Playwright had missed or already passed the event it waited for. What a test needs next (an element,
    /// the page being interactive) it waits for itself.
    /// </summary>
    public static async Task WaitForAddressAsync(this IPage page, Func<string, bool> matches, int timeoutMs = 120_000)
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        while (!matches(page.Url))
        {
            if (clock.ElapsedMilliseconds > timeoutMs)
            {
                throw new TimeoutException($"The address stayed {page.Url} for {timeoutMs / 1000} s.");
            }

            await Task.Delay(50);
        }
    }

    /// <summary>The same, for a glob as Playwright writes them: <c>**</c> any text, <c>*</c> any text without '/', <c>?</c> one character.</summary>
    public static Task WaitForAddressAsync(this IPage page, string glob, int timeoutMs = 120_000)
    {
        var pattern = new System.Text.RegularExpressions.Regex(
            "^" + System.Text.RegularExpressions.Regex.Escape(glob).Replace(@"\*\*", ".*", StringComparison.Ordinal).Replace(@"\*", "[^/]*", StringComparison.Ordinal).Replace(@"\?", ".", StringComparison.Ordinal) + "$");
        return page.WaitForAddressAsync(pattern.IsMatch, timeoutMs);
    }

    /// <summary>Opens the page, waits until it is interactive (its circuit is up, so clicks reach the server) and gives the first response.</summary>
    public static async Task<IResponse?> GotoInteractiveAsync(this IPage page, string path)
    {
        var response = await page.GotoAsync(path);
        await page.Locator("[data-interactive=yes]").WaitForAsync();
        return response;
    }

    public static ILocator TestId(this IPage page, string id) => page.GetByTestId(id);

    public static ILocator TestId(this ILocator locator, string id) => locator.GetByTestId(id);
}
