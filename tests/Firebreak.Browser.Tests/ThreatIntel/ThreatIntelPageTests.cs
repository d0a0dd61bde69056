using Firebreak.Browser.Tests.Alerts;
using Firebreak.Core.Alerts;
using Firebreak.Core.Identity;
using Firebreak.Core.ThreatIntel;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;

namespace Firebreak.Browser.Tests.ThreatIntel;

public sealed class ThreatIntelPageTests(FirebreakSite site) : BrowserTest(site)
{
    private static string Bundle(string ip) => $$"""
        { "type": "bundle", "id": "bundle--browser", "objects": [
          { "type": "indicator", "spec_version": "2.1", "id": "indicator--{{Guid.NewGuid()}}", "created": "2026-01-01T00:00:00Z", "modified": "2026-01-01T00:00:00Z",
            "pattern": "[ipv4-addr:value = '{{ip}}']", "pattern_type": "stix", "valid_from": "2026-01-01T00:00:00Z", "confidence": 90 },
          { "type": "indicator", "spec_version": "2.1", "id": "indicator--{{Guid.NewGuid()}}", "created": "2026-01-01T00:00:00Z", "modified": "2026-01-01T00:00:00Z",
            "pattern": "[process:name = 'evil.exe']", "pattern_type": "stix", "valid_from": "2026-01-01T00:00:00Z" } ] }
        """;

    [Fact]
    public async Task Upload_ShowsTheFeedAndWhatWasSkipped_ThenAMatchAppears_AndPollNowShowsAFailure()
    {
        var responder = await Site.CreateUserAsync(Role.Responder);
        var admin = await Site.CreateUserAsync(Role.Admin);
        var feed = "Browser feed " + Guid.NewGuid().ToString("N")[..6];
        var ip = $"203.0.113.{Random.Shared.Next(1, 250)}";
        var file = Path.Combine(Path.GetTempPath(), $"bundle-{Guid.NewGuid():N}.json");
        await File.WriteAllTextAsync(file, Bundle(ip), TestContext.Current.CancellationToken);
        var broken = "Broken MISP " + Guid.NewGuid().ToString("N")[..6];
        await Site.ActAsync(admin, services => services.GetRequiredService<ThreatIntelService>().CreateFeedAsync(new CreateFeed(broken, FeedKind.Misp, "http://127.0.0.1:1/feed/")));
        var page = await NewPageAsync();
        await page.LoginAsync(responder);
        try
        {
            await page.GotoInteractiveAsync("/intel");
            await Assertions.Expect(page.TestId("nav-intel")).ToBeVisibleAsync();

            await page.TestId("upload-feed").FillAsync(feed);
            await page.TestId("upload-format").SelectOptionAsync("Stix");
            await page.TestId("upload-file").SetInputFilesAsync(file);
            await page.TestId("upload-submit").ClickAsync();

            await Assertions.Expect(page.TestId("upload-result")).ToContainTextAsync($"{feed}: 1 added");
            await Assertions.Expect(page.TestId("upload-skipped")).ToContainTextAsync("process:name");
            var row = page.Locator($"[data-testid=feed-row][data-feed-name='{feed}']");
            await Assertions.Expect(row.TestId("feed-count")).ToHaveTextAsync("1");
            await Assertions.Expect(row.TestId("feed-status")).ToHaveTextAsync("OK");

            await Site.SubmitAlertAsync(responder, AlertScenes.Alert(AlertScenes.UniqueSource("intel"), "Login from a listed address", AlertSeverity.Low,
                observables: [new AlertEntity(ObservableTypes.Ip, ip)]));
            var match = page.TestId("match-row").Filter(new() { Has = page.Locator($"[data-testid=match-value]:text-is('{ip}')") });
            for (var i = 0; i < 60 && await match.CountAsync() == 0; i++)
            {
                await Task.Delay(500);
                await page.GotoInteractiveAsync("/intel");
            }
            await Assertions.Expect(match).ToHaveCountAsync(1);
            await Assertions.Expect(match).ToContainTextAsync(feed);

            var brokenRow = page.Locator($"[data-testid=feed-row][data-feed-name='{broken}']");
            await brokenRow.TestId("feed-poll").ClickAsync();
            await Assertions.Expect(brokenRow.TestId("feed-status")).ToHaveTextAsync("Failed");
            await Assertions.Expect(brokenRow.TestId("feed-result")).ToContainTextAsync("request failed");
            await FirebreakSite.ScreenshotAsync(page, "threat-intel");

            await match.TestId("match-alert").ClickAsync();
            await Assertions.Expect(page).ToHaveURLAsync(new System.Text.RegularExpressions.Regex("/alerts/[0-9a-f-]{36}$"));
        }
        finally
        {
            File.Delete(file);
        }
    }

    [Fact]
    public async Task Viewer_SeesFeeds_ButNoUploadOrPoll()
    {
        var viewer = await Site.CreateUserAsync(Role.Viewer);
        var page = await NewPageAsync();
        await page.LoginAsync(viewer);
        await page.GotoInteractiveAsync("/intel");
        await Assertions.Expect(page.TestId("intel-page")).ToBeVisibleAsync();
        await Assertions.Expect(page.TestId("intel-upload")).ToHaveCountAsync(0);
        await Assertions.Expect(page.TestId("feed-poll")).ToHaveCountAsync(0);
    }
}
