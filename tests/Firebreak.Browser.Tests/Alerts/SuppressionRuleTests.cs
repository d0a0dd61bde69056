using Firebreak.Core.Alerts;
using Firebreak.Core.Identity;
using Microsoft.Playwright;

namespace Firebreak.Browser.Tests.Alerts;

public sealed class SuppressionRuleTests(FirebreakSite site) : BrowserTest(site)
{
    [Fact]
    public async Task CreatingARule_ShowsFieldErrors_ThenSuppressesMatchingAlertsFromTheDefaultQueue()
    {
        var manager = await Site.CreateUserAsync(Role.IncidentManager);
        var source = AlertScenes.UniqueSource("scanner");
        var name = "Weekly scan " + source;
        var page = await NewPageAsync();
        await page.LoginAsync(manager);
        await page.GotoInteractiveAsync("/alerts/suppression-rules");

        await page.TestId("rule-name-input").FillAsync(name);
        await page.TestId("rule-field").SelectOptionAsync(nameof(SuppressionField.Source));
        await page.TestId("rule-operator").SelectOptionAsync(nameof(MatchOperator.Exact));
        await page.TestId("rule-value").FillAsync(source);
        await page.TestId("rule-create").ClickAsync();

        await Assertions.Expect(page.TestId("create-error")).ToBeVisibleAsync();
        await Assertions.Expect(page.TestId("error-reason")).ToBeVisibleAsync();
        await Assertions.Expect(page.TestId("rule-row").Filter(new() { HasText = name })).ToHaveCountAsync(0);

        await page.TestId("rule-reason").FillAsync("The vulnerability scanner runs every Monday");
        await page.TestId("rule-create").ClickAsync();

        await Assertions.Expect(page.TestId("rule-created")).ToContainTextAsync(name);
        await Assertions.Expect(page.TestId("create-error")).ToHaveCountAsync(0);
        var row = page.TestId("rule-row").Filter(new() { HasText = name });
        await Assertions.Expect(row.TestId("rule-state")).ToHaveTextAsync("Active");
        await Assertions.Expect(row.TestId("rule-suppressed-count")).ToHaveTextAsync("0");

        var outcome = (await Site.SubmitAlertsAsync(manager, AlertScenes.Alert(source, "Port scan on the web tier")))[0];
        Assert.True(outcome.Suppressed);

        await page.GotoInteractiveAsync($"/alerts?source={source}");
        await Assertions.Expect(page.TestId("no-alerts")).ToBeVisibleAsync();
        await page.GotoInteractiveAsync($"/alerts?source={source}&suppressed=only");
        await Assertions.Expect(page.TestId("alert-title")).ToHaveTextAsync(["Port scan on the web tier"]);
        await Assertions.Expect(page.TestId("suppressed-badge")).ToBeVisibleAsync();

        await page.GotoInteractiveAsync("/alerts/suppression-rules");
        row = page.TestId("rule-row").Filter(new() { HasText = name });
        await Assertions.Expect(row.TestId("rule-suppressed-count")).ToHaveTextAsync("1");
        await FirebreakSite.ScreenshotAsync(page, "alerts-suppression-rules");

        await row.TestId("rule-toggle").ClickAsync();
        await Assertions.Expect(row.TestId("rule-state")).ToHaveTextAsync("Disabled");
        var later = (await Site.SubmitAlertsAsync(manager, AlertScenes.Alert(source, "Port scan on the database tier")))[0];
        Assert.False(later.Suppressed);
    }

    [Fact]
    public async Task CidrRule_WithAValueThatIsNoNetwork_NamesTheValueField()
    {
        var manager = await Site.CreateUserAsync(Role.IncidentManager);
        var page = await NewPageAsync();
        await page.LoginAsync(manager);
        await page.GotoInteractiveAsync("/alerts/suppression-rules");

        await page.TestId("rule-name-input").FillAsync("Office network");
        await page.TestId("rule-field").SelectOptionAsync(nameof(SuppressionField.Observable));
        await page.TestId("rule-operator").SelectOptionAsync(nameof(MatchOperator.Cidr));
        await page.TestId("rule-value").FillAsync("not a network");
        await page.TestId("rule-reason").FillAsync("Our own addresses");
        await page.TestId("rule-create").ClickAsync();

        await Assertions.Expect(page.TestId("error-value")).ToContainTextAsync("network");
    }

    [Fact]
    public async Task EscalationRule_IsCreated_AndSwitchedOff()
    {
        var manager = await Site.CreateUserAsync(Role.IncidentManager);
        var name = "Critical from " + AlertScenes.UniqueSource("guardduty");
        var page = await NewPageAsync();
        await page.LoginAsync(manager);
        await page.GotoInteractiveAsync("/alerts/escalation-rules");

        await page.TestId("rule-name-input").FillAsync(name);
        await page.TestId("rule-create").ClickAsync();
        await Assertions.Expect(page.TestId("error-conditions")).ToBeVisibleAsync();

        await page.TestId("rule-min-severity").SelectOptionAsync(nameof(AlertSeverity.Critical));
        await page.TestId("rule-sources").FillAsync("guardduty, securityhub");
        await page.TestId("rule-create").ClickAsync();

        var row = page.TestId("rule-row").Filter(new() { HasText = name });
        await Assertions.Expect(row).ToContainTextAsync("guardduty, securityhub");
        await Assertions.Expect(row.TestId("rule-state")).ToHaveTextAsync("Enabled");
        await row.TestId("rule-toggle").ClickAsync();
        await Assertions.Expect(row.TestId("rule-state")).ToHaveTextAsync("Disabled");
    }
}
