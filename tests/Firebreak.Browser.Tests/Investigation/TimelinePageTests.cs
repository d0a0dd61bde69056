using System.Globalization;
using System.Text;
using System.Text.Json;
using Firebreak.Core.Identity;
using Firebreak.Core.Incidents;
using Firebreak.Core.Investigation;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;

namespace Firebreak.Browser.Tests.Investigation;

public sealed class TimelinePageTests(FirebreakSite site) : BrowserTest(site)
{
    private static string Record(int n) => JsonSerializer.Serialize(new Dictionary<string, object?>
    {
        ["eventVersion"] = "1.09",
        ["eventID"] = $"ui-{n:D4}-{Guid.NewGuid():N}",
        ["eventTime"] = new DateTimeOffset(2026, 3, 1, 9, 0, 0, TimeSpan.Zero).AddMinutes(n).ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture),
        ["eventSource"] = "iam.amazonaws.com",
        ["eventName"] = n == 3 ? "CreateAccessKey" : "GetCallerIdentity",
        ["awsRegion"] = "us-east-1",
        ["sourceIPAddress"] = "203.0.113.77",
        ["userIdentity"] = new { type = "IAMUser", arn = "arn:aws:iam::111122223333:user/intruder", accessKeyId = "AKIAUITEST000001" },
    });

    [Fact]
    public async Task Responder_SearchesPinsFlagsAndAnnotates_AndSeesTheVisualTimeline()
    {
        var responder = await Site.CreateUserAsync(Role.Responder);
        var incident = await Site.CreateIncidentAsync(responder, new CreateIncident("Access key abuse"));
        var body = Encoding.UTF8.GetBytes(string.Join('\n', Enumerable.Range(0, 10).Select(Record)));
        var import = await Site.ActAsync(responder, sp => sp.GetRequiredService<EventImportService>().StartUploadAsync(incident.Reference, "trail.json", new MemoryStream(body)));
        for (var i = 0; i < 300 && import.Status != ImportStatus.Completed; i++)
        {
            await Task.Delay(100);
            import = await Site.ActAsync(responder, sp => sp.GetRequiredService<EventImportService>().GetAsync(incident.Reference, import.Id));
        }
        Assert.Equal(ImportStatus.Completed, import.Status);

        var page = await NewPageAsync();
        await page.LoginAsync(responder);
        await page.GotoInteractiveAsync($"/incidents/{incident.Reference}/timeline");
        await page.TestId("search-operation").FillAsync("CreateAccessKey");
        await page.TestId("search").ClickAsync();
        await Assertions.Expect(page.TestId("event-row")).ToHaveCountAsync(1);
        await page.TestId("event-select").CheckAsync();
        await page.TestId("pin").ClickAsync();
        await Assertions.Expect(page.TestId("timeline-row")).ToHaveCountAsync(1);
        await Assertions.Expect(page.TestId("entry-title")).ToContainTextAsync("CreateAccessKey by arn:aws:iam::111122223333:user/intruder");

        await page.TestId("new-time").FillAsync("2026-03-01T09:30:00Z");
        await page.TestId("new-title").FillAsync("Responder disabled the key");
        await page.TestId("new-tactic").SelectOptionAsync("persistence");
        await page.TestId("new-add").ClickAsync();
        await Assertions.Expect(page.TestId("timeline-row")).ToHaveCountAsync(2);

        var pinned = page.TestId("timeline-row").First;
        await pinned.TestId("toggle-key").ClickAsync();
        await Assertions.Expect(pinned.TestId("flag-key")).ToBeVisibleAsync();
        await pinned.TestId("annotate").ClickAsync();
        await pinned.TestId("annotation-input").FillAsync("Attacker's persistence key");
        await pinned.TestId("annotation-save").ClickAsync();
        await Assertions.Expect(pinned.TestId("entry-annotation")).ToHaveTextAsync("Note: Attacker's persistence key");
        await Assertions.Expect(page.TestId("timeline-dot")).ToHaveCountAsync(2);

        await page.TestId("filter-key").CheckAsync();
        await page.TestId("apply").ClickAsync();
        await Assertions.Expect(page.TestId("timeline-row")).ToHaveCountAsync(1);
        await page.TestId("filter-key").UncheckAsync();
        await page.TestId("filter-from").FillAsync("not a time");
        await page.TestId("apply").ClickAsync();
        await Assertions.Expect(page.TestId("timeline-error")).ToContainTextAsync("Some fields need attention.");
        await page.TestId("filter-from").FillAsync("");
        await page.TestId("apply").ClickAsync();
        await Assertions.Expect(page.TestId("timeline-row")).ToHaveCountAsync(2);
        await FirebreakSite.ScreenshotAsync(page, "incident-timeline");
    }

    [Fact]
    public async Task Viewer_SeesTheTimeline_WithoutEditingControls()
    {
        var responder = await Site.CreateUserAsync(Role.Responder);
        var viewer = await Site.CreateUserAsync(Role.Viewer);
        var incident = await Site.CreateIncidentAsync(responder, new CreateIncident("Read-only timeline"));
        await Site.ActAsync(responder, sp => sp.GetRequiredService<TimelineService>().AddAsync(incident.Reference,
            new AddTimelineEntry(new DateTimeOffset(2026, 3, 1, 9, 0, 0, TimeSpan.Zero), "Phishing mail opened")));

        var page = await NewPageAsync();
        await page.LoginAsync(viewer);
        await page.GotoInteractiveAsync($"/incidents/{incident.Reference}/timeline");
        await Assertions.Expect(page.TestId("timeline-row")).ToHaveCountAsync(1);
        await Assertions.Expect(page.TestId("toggle-key")).ToHaveCountAsync(0);
        await Assertions.Expect(page.TestId("analyst-entry")).ToHaveCountAsync(0);
    }
}
