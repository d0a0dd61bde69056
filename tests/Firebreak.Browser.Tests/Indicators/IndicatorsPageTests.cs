using Firebreak.Core.Identity;
using Firebreak.Core.Incidents;
using Firebreak.Core.Indicators;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;

namespace Firebreak.Browser.Tests.Indicators;

public sealed class IndicatorsPageTests(FirebreakSite site) : BrowserTest(site)
{
    [Fact]
    public async Task Responder_AddsIndicators_SeesMarkingsSightingsAndEnrichment_AndBadInputIsShown()
    {
        var responder = await Site.CreateUserAsync(Role.Responder);
        var earlier = await Site.CreateIncidentAsync(responder, new CreateIncident("Earlier intrusion"));
        var incident = await Site.CreateIncidentAsync(responder, new CreateIncident("Console login from Tor", Tlp: Tlp.Red, Pap: Pap.Green));
        var value = $"10.{Random.Shared.Next(0, 255)}.{Random.Shared.Next(0, 255)}.{Random.Shared.Next(1, 255)}";
        await Site.ActAsync(responder, sp => sp.GetRequiredService<IndicatorService>().AddAsync(earlier.Reference,
            new AddIndicator(IndicatorType.Ip, value, Verdict: IndicatorVerdict.Malicious)));

        var page = await NewPageAsync();
        await page.LoginAsync(responder);
        await page.GotoInteractiveAsync($"/incidents/{incident.Reference}");
        await page.TestId("open-indicators").ClickAsync();
        await Assertions.Expect(page.TestId("indicators-page")).ToHaveAttributeAsync("data-interactive", "yes");

        // Bad input: a malformed address is refused with the reason next to the form, and nothing is added.
        await page.TestId("new-type").SelectOptionAsync("ip");
        await page.TestId("new-value").FillAsync("10.0.0.999");
        await page.TestId("new-add").ClickAsync();
        await Assertions.Expect(page.TestId("error-value")).ToContainTextAsync("must be an IPv4 or IPv6 address");
        await Assertions.Expect(page.TestId("add-error")).ToContainTextAsync("Some fields need attention.");
        await Assertions.Expect(page.TestId("indicator-row")).ToHaveCountAsync(0);
        await page.TestId("new-type").SelectOptionAsync("");
        await page.TestId("new-value").FillAsync("evil.example");
        await page.TestId("new-add").ClickAsync();
        await Assertions.Expect(page.TestId("error-type")).ToContainTextAsync("type is required");

        await page.TestId("new-type").SelectOptionAsync("ip");
        await page.TestId("new-value").FillAsync($" {value} ");
        await page.TestId("new-description").FillAsync("Source of the console login");
        await page.TestId("new-add").ClickAsync();
        var row = page.TestId("indicator-row");
        await Assertions.Expect(row).ToHaveCountAsync(1);
        await Assertions.Expect(row.TestId("indicator-value")).ToHaveTextAsync(value);
        await Assertions.Expect(row.TestId("indicator-tlp")).ToHaveTextAsync("TLP:RED");
        await Assertions.Expect(row.TestId("indicator-pap")).ToHaveTextAsync("PAP:GREEN");
        await Assertions.Expect(row.TestId("also-seen-link")).ToHaveTextAsync(earlier.Reference);
        await Assertions.Expect(row.TestId("enrichment")).ToContainTextAsync("Private address");

        await page.TestId("new-type").SelectOptionAsync("domain");
        await page.TestId("new-value").FillAsync("C2.Example.ORG");
        await page.TestId("new-tlp").SelectOptionAsync("amber+strict");
        await page.TestId("new-add").ClickAsync();
        await Assertions.Expect(row).ToHaveCountAsync(2);
        var domain = row.Filter(new() { HasText = "c2.example.org" });
        await Assertions.Expect(domain.TestId("indicator-tlp")).ToHaveTextAsync("TLP:AMBER+STRICT");
        await domain.TestId("indicator-verdict").SelectOptionAsync("malicious");
        await Assertions.Expect(domain.TestId("indicator-verdict")).ToHaveValueAsync("malicious");
        await FirebreakSite.ScreenshotAsync(page, "incident-indicators");

        // The link leads to the other incident's indicators; the search page finds both.
        await row.Filter(new() { HasText = value }).TestId("also-seen-link").ClickAsync();
        await Assertions.Expect(page).ToHaveURLAsync(new System.Text.RegularExpressions.Regex($"/incidents/{earlier.Reference}/indicators$"));
        await page.GotoInteractiveAsync("/indicators/search");
        await page.TestId("search-value").FillAsync(value);
        await page.TestId("search").ClickAsync();
        await Assertions.Expect(page.TestId("search-row")).ToHaveCountAsync(2);
        await page.TestId("search-type").SelectOptionAsync("hash");
        await page.TestId("search").ClickAsync();
        await Assertions.Expect(page.TestId("error-value")).ToContainTextAsync("hash");
    }

    [Fact]
    public async Task Viewer_SeesIndicators_WithoutTheAddForm()
    {
        var responder = await Site.CreateUserAsync(Role.Responder);
        var viewer = await Site.CreateUserAsync(Role.Viewer);
        var incident = await Site.CreateIncidentAsync(responder, new CreateIncident("Read-only indicators"));
        await Site.ActAsync(responder, sp => sp.GetRequiredService<IndicatorService>().AddAsync(incident.Reference, new AddIndicator(IndicatorType.Domain, "viewer.example")));

        var page = await NewPageAsync();
        await page.LoginAsync(viewer);
        await page.GotoInteractiveAsync($"/incidents/{incident.Reference}/indicators");
        await Assertions.Expect(page.TestId("indicator-row")).ToHaveCountAsync(1);
        await Assertions.Expect(page.TestId("indicator-verdict-text")).ToHaveTextAsync("unknown");
        await Assertions.Expect(page.TestId("add-indicator")).ToHaveCountAsync(0);
        await Assertions.Expect(page.TestId("enrich")).ToHaveCountAsync(0);
    }
}
