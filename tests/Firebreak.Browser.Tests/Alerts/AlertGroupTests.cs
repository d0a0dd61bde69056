using Firebreak.Core.Alerts;
using Firebreak.Core.Identity;
using Microsoft.Playwright;

namespace Firebreak.Browser.Tests.Alerts;

public sealed class AlertGroupTests(FirebreakSite site) : BrowserTest(site)
{
    [Fact]
    public async Task Groups_ListAlertsLinkedByAnAccessKey_AndPromoteTheGroup()
    {
        var responder = await Site.CreateUserAsync(Role.Responder);
        var source = AlertScenes.UniqueSource("group");
        var key = "AKIA" + Guid.NewGuid().ToString("N")[..16].ToUpperInvariant();
        var accessKey = new AlertEntity(PrincipalTypes.AccessKey, key);
        await Site.SubmitAlertsAsync(responder,
            AlertScenes.Alert(source, "ListBuckets from an unusual ASN", AlertSeverity.Medium, principals: [accessKey]),
            AlertScenes.Alert(source, "GetSecretValue burst", AlertSeverity.High, principals: [accessKey]),
            AlertScenes.Alert(source, "Unrelated login", AlertSeverity.Low));
        var page = await NewPageAsync();
        await page.LoginAsync(responder);

        await page.GotoInteractiveAsync("/alerts/groups");

        var group = page.TestId("alert-group").Filter(new() { Has = page.Locator($"[data-testid=group-link]:has-text('{key}')") });
        await Assertions.Expect(group).ToHaveCountAsync(1);
        await Assertions.Expect(group.TestId("group-link").Filter(new() { HasText = key })).ToHaveAttributeAsync("data-link-type", PrincipalTypes.AccessKey);
        await Assertions.Expect(group.TestId("group-link").Filter(new() { HasText = key })).ToContainTextAsync("in 2 alerts");
        await Assertions.Expect(group.TestId("group-alert")).ToHaveCountAsync(2);
        await Assertions.Expect(group).Not.ToContainTextAsync("Unrelated login");
        await FirebreakSite.ScreenshotAsync(page, "alerts-groups");

        await group.TestId("promote-group").ClickAsync();

        await Assertions.Expect(page.TestId("group-promoted")).ToContainTextAsync("Promoted 2 alerts");
        await Assertions.Expect(page.TestId("escalated-incident-link")).ToBeVisibleAsync();
        await Assertions.Expect(page.TestId("group-link").Filter(new() { HasText = key })).ToHaveCountAsync(0);
    }
}
