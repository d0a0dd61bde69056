using System.Globalization;
using System.Text;
using System.Text.Json;
using Firebreak.Core.Identity;
using Firebreak.Core.Incidents;
using Firebreak.Core.Investigation;
using Firebreak.Core.ManagementPlane;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;

namespace Firebreak.Browser.Tests.ManagementPlane;

public sealed class CheckPageTests(FirebreakSite site) : BrowserTest(site)
{
    private static string Record(int n, string name, string source) => JsonSerializer.Serialize(new Dictionary<string, object?>
    {
        ["eventVersion"] = "1.09",
        ["eventID"] = $"mp-{n:D4}-{Guid.NewGuid():N}",
        ["eventTime"] = new DateTimeOffset(2026, 3, 1, 9, 0, 0, TimeSpan.Zero).AddMinutes(n).ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture),
        ["eventSource"] = source,
        ["eventName"] = name,
        ["awsRegion"] = "us-east-1",
        ["recipientAccountId"] = "111122223333",
        ["userIdentity"] = new { type = "IAMUser", arn = "arn:aws:iam::111122223333:user/intruder" },
    });

    [Fact]
    public async Task Responder_SeesFailingItemsWithEvidence_RunsAndReviews_AndThePlannerWarns()
    {
        var responder = await Site.CreateUserAsync(Role.Responder);
        var incident = await Site.CreateIncidentAsync(responder, new CreateIncident("Trail stopped"));
        var body = Encoding.UTF8.GetBytes(string.Join('\n', Record(0, "DescribeTrails", "cloudtrail.amazonaws.com"), Record(1, "StopLogging", "cloudtrail.amazonaws.com"),
            Record(2, "CreateAccessKey", "iam.amazonaws.com")));
        var import = await Site.ActAsync(responder, sp => sp.GetRequiredService<EventImportService>().StartUploadAsync(incident.Reference, "trail.json", new MemoryStream(body)));
        CheckRunView? automatic = null;
        for (var i = 0; i < 300 && automatic is null; i++)
        {
            await Task.Delay(100);
            automatic = await Site.ActAsync(responder, sp => sp.GetRequiredService<ManagementPlaneCheckService>().GetLatestAsync(incident.Reference));
        }
        Assert.NotNull(automatic);

        var page = await NewPageAsync();
        await page.LoginAsync(responder);
        await page.GotoInteractiveAsync($"/incidents/{incident.Reference}");
        await Assertions.Expect(page.TestId("response-check-warning")).ToContainTextAsync("Management-plane check failed: Is AWS logging intact? (1 event)");
        await page.TestId("open-check").ClickAsync();
        await page.WaitForAddressAsync($"**/incidents/{incident.Reference}/check");
        await Assertions.Expect(page.Locator("[data-testid=check-page][data-interactive=yes]")).ToBeVisibleAsync();

        var logging = page.Locator("[data-testid=check-item][data-item='aws.logging']");
        await Assertions.Expect(logging.TestId("check-status")).ToHaveTextAsync("fail");
        await Assertions.Expect(logging.TestId("check-evidence-search")).ToHaveTextAsync("StopLogging");
        await Assertions.Expect(page.Locator("[data-testid=check-item][data-item='aws.trust']").TestId("check-status")).ToHaveTextAsync("pass");
        await Assertions.Expect(page.Locator("[data-testid=check-item][data-item='gcp.logging']").TestId("check-status")).ToHaveTextAsync("not applicable");
        await Assertions.Expect(page.TestId("check-warnings")).ToContainTextAsync("has not been reviewed");
        await Assertions.Expect(page.TestId("check-meta")).ToContainTextAsync("import run by management-plane-check");

        await page.TestId("check-from").FillAsync("not a time");
        await page.TestId("check-run-button").ClickAsync();
        await Assertions.Expect(page.TestId("check-error")).ToBeVisibleAsync();
        await page.TestId("check-from").FillAsync("");
        await page.TestId("check-run-button").ClickAsync();
        await Assertions.Expect(page.TestId("check-history-row")).ToHaveCountAsync(2);
        await Assertions.Expect(page.TestId("check-meta")).ToContainTextAsync("manual run by");

        await page.TestId("check-review-text").FillAsync("StopLogging was the intruder; trail restarted.");
        await page.TestId("check-review-button").ClickAsync();
        await Assertions.Expect(page.TestId("check-reviewed")).ToContainTextAsync(responder.Email);
        await Assertions.Expect(page.TestId("check-review-note")).ToHaveTextAsync("StopLogging was the intruder; trail restarted.");
        await Assertions.Expect(page.TestId("check-warning")).ToHaveCountAsync(1);
        await FirebreakSite.ScreenshotAsync(page, "management-plane-check");

        await logging.TestId("check-evidence-search").ClickAsync();
        await page.WaitForAddressAsync("**/timeline?operation=StopLogging*");
        await Assertions.Expect(page.TestId("event-row")).ToHaveCountAsync(1);
        await Assertions.Expect(page.TestId("event-results")).ToContainTextAsync("StopLogging");
    }

    [Fact]
    public async Task Viewer_SeesTheCheck_WithoutRunOrReview()
    {
        var responder = await Site.CreateUserAsync(Role.Responder);
        var viewer = await Site.CreateUserAsync(Role.Viewer);
        var incident = await Site.CreateIncidentAsync(responder, new CreateIncident("Viewer look"));
        await Site.ActAsync(responder, sp => sp.GetRequiredService<ManagementPlaneCheckService>().RunAsync(incident.Reference, new RunCheck()));

        var page = await NewPageAsync();
        await page.LoginAsync(viewer);
        await page.GotoInteractiveAsync($"/incidents/{incident.Reference}/check");
        await Assertions.Expect(page.TestId("check-item")).ToHaveCountAsync(18);
        await Assertions.Expect(page.TestId("check-run")).ToHaveCountAsync(0);
        await Assertions.Expect(page.TestId("check-review-button")).ToHaveCountAsync(0);
        await Assertions.Expect(page.TestId("check-unreviewed")).ToBeVisibleAsync();
    }
}
