using Firebreak.Core.Identity;
using Firebreak.Core.Incidents;
using Microsoft.Playwright;

namespace Firebreak.Browser.Tests.Incidents;

public sealed class IncidentListTests(FirebreakSite site) : BrowserTest(site)
{
    [Fact]
    public async Task AnAddressHoldingTheNulCharacter_OpensAPageSayingWhichParameter()
    {
        var responder = await Site.CreateUserAsync(Role.Responder);
        var page = await NewPageAsync();
        await page.LoginAsync(responder);

        var response = await page.GotoAsync("/incidents?tag=keys%00&severity=SEV1");

        Assert.Equal(400, response!.Status);
        await Assertions.Expect(page.TestId("bad-address")).ToContainTextAsync("In the address, tag holds the NUL character");
        await page.GetByRole(AriaRole.Link, new() { Name = "start page" }).ClickAsync();
        await page.WaitForAddressAsync(url => !url.Contains("%00", StringComparison.Ordinal));
        await Assertions.Expect(page.TestId("bad-address")).ToHaveCountAsync(0);
    }

    [Fact]
    public async Task Filters_NarrowTheList_AndTheUrlReproducesTheSameView()
    {
        var manager = await Site.CreateUserAsync(Role.IncidentManager);
        var tag = "lst-" + Guid.NewGuid().ToString("N")[..8];
        var critical = await Site.CreateIncidentAsync(manager, new CreateIncident("Root keys used from unknown ASN", Severity: Severity.Sev1, Tags: [tag], IncidentManagerId: manager.Id));
        await Site.CreateIncidentAsync(manager, new CreateIncident("Public bucket found", Severity: Severity.Sev3, Tags: [tag]));
        await Site.CreateIncidentAsync(manager, new CreateIncident("Crypto miner on build agent", Severity: Severity.Sev1, Tags: [tag]));
        var page = await NewPageAsync();
        await page.LoginAsync(manager);

        await page.GotoAsync("/incidents");
        await page.TestId("filter-tag").FillAsync(tag);
        await page.TestId("filter-severity").SelectOptionAsync("SEV1");
        await page.TestId("apply-filters").ClickAsync();
        await page.WaitForAddressAsync("**severity=SEV1**");

        var rows = page.TestId("incident-row");
        await Assertions.Expect(rows).ToHaveCountAsync(2);
        await Assertions.Expect(page.TestId("result-count")).ToHaveTextAsync("2 incidents");
        await FirebreakSite.ScreenshotAsync(page, "incident-list");

        await page.TestId("filter-manager").SelectOptionAsync(manager.Id.ToString());
        await page.TestId("apply-filters").ClickAsync();
        await page.WaitForAddressAsync($"**manager={manager.Id}**");
        await Assertions.Expect(rows).ToHaveCountAsync(1);
        await Assertions.Expect(rows.First).ToHaveAttributeAsync("data-reference", critical.Reference);

        var shared = page.Url;
        var colleague = await NewPageAsync();
        await colleague.LoginAsync(await Site.CreateUserAsync(Role.Viewer), new Uri(shared).PathAndQuery);
        await Assertions.Expect(colleague.TestId("incident-row")).ToHaveCountAsync(1);
        await Assertions.Expect(colleague.TestId("filter-tag")).ToHaveValueAsync(tag);
        await Assertions.Expect(colleague.TestId("filter-severity")).ToHaveValueAsync("SEV1");
    }

    [Fact]
    public async Task FreeText_MatchesTitles_AndNothingFoundSaysSo()
    {
        var responder = await Site.CreateUserAsync(Role.Responder);
        var marker = "zebra" + Guid.NewGuid().ToString("N")[..6];
        await Site.CreateIncidentAsync(responder, new CreateIncident($"Suspicious {marker} login"));
        var page = await NewPageAsync();
        await page.LoginAsync(responder);

        await page.GotoAsync($"/incidents?q={marker}");
        await Assertions.Expect(page.TestId("incident-row")).ToHaveCountAsync(1);
        await Assertions.Expect(page.TestId("incident-title")).ToHaveTextAsync($"Suspicious {marker} login");

        await page.GotoAsync($"/incidents?q={marker}-nothing");
        await Assertions.Expect(page.TestId("no-incidents")).ToBeVisibleAsync();
    }

    [Fact]
    public async Task Sorting_AndPaging_FollowTheLinks()
    {
        var responder = await Site.CreateUserAsync(Role.Responder);
        var tag = "pg-" + Guid.NewGuid().ToString("N")[..8];
        foreach (var severity in new[] { Severity.Sev3, Severity.Sev1, Severity.Sev4, Severity.Sev2 })
        {
            await Site.CreateIncidentAsync(responder, new CreateIncident($"{severity} incident", Severity: severity, Tags: [tag]));
        }
        var page = await NewPageAsync();
        await page.LoginAsync(responder);

        await page.GotoAsync($"/incidents?tag={tag}&pageSize=3");
        await page.TestId("sort-severity").ClickAsync();
        await page.WaitForAddressAsync("**sort=severity**");
        await Assertions.Expect(page.TestId("incident-title")).ToHaveTextAsync(["Sev1 incident", "Sev2 incident", "Sev3 incident"]);
        await Assertions.Expect(page.TestId("pager")).ToContainTextAsync("Page 1 of 2");

        await page.TestId("page-next").ClickAsync();
        await page.WaitForAddressAsync("**page=2**");
        await Assertions.Expect(page.TestId("incident-title")).ToHaveTextAsync(["Sev4 incident"]);

        await page.TestId("sort-severity").ClickAsync();
        await page.WaitForAddressAsync("**sort=-severity**");
        await Assertions.Expect(page.TestId("incident-title")).ToHaveTextAsync(["Sev4 incident", "Sev3 incident", "Sev2 incident"]);
    }

    [Fact]
    public async Task UnknownFilterValue_IsExplained_NotACrash()
    {
        var viewer = await Site.CreateUserAsync(Role.Viewer);
        var page = await NewPageAsync();
        await page.LoginAsync(viewer);

        await page.GotoAsync("/incidents?phase=lunch");

        await Assertions.Expect(page.TestId("list-error")).ToContainTextAsync("phase must be one of");
        await Assertions.Expect(page.TestId("new-incident")).ToHaveCountAsync(0);
        await Assertions.Expect(page.TestId("nav-new-incident")).ToHaveCountAsync(0);
    }
}
