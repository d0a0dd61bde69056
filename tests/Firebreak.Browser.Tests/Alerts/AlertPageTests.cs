using Firebreak.Core.Alerts;
using Firebreak.Core.Identity;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;

namespace Firebreak.Browser.Tests.Alerts;

public sealed class AlertPageTests(FirebreakSite site) : BrowserTest(site)
{
    [Fact]
    public async Task AlertPage_ShowsTheNormalisedFields_AndThePayloadAsText()
    {
        var responder = await Site.CreateUserAsync(Role.Responder);
        var source = AlertScenes.UniqueSource("detail");
        var payload = """{"finding":"<script>window.injected = true</script>","nested":{"ip":"198.51.100.7"}}""";
        var id = await Site.SubmitAlertAsync(responder, AlertScenes.Alert(source, "Console login without MFA", AlertSeverity.High,
            principals: [new AlertEntity(PrincipalTypes.User, "arn:aws:iam::111122223333:user/alice")],
            observables: [new AlertEntity(ObservableTypes.Ip, "198.51.100.7")],
            resources: ["arn:aws:iam::111122223333:user/alice"],
            rawPayload: payload));
        var page = await NewPageAsync();
        await page.LoginAsync(responder);

        await page.GotoInteractiveAsync($"/alerts/{id}");

        await Assertions.Expect(page.TestId("alert-title")).ToHaveTextAsync("Console login without MFA");
        await Assertions.Expect(page.TestId("severity")).ToHaveTextAsync("High");
        await Assertions.Expect(page.TestId("source")).ToHaveTextAsync(source);
        await Assertions.Expect(page.TestId("account")).ToHaveTextAsync("111122223333");
        await Assertions.Expect(page.TestId("principal")).ToContainTextAsync("user/alice");
        await Assertions.Expect(page.TestId("observable")).ToContainTextAsync("198.51.100.7");
        await Assertions.Expect(page.TestId("resource")).ToContainTextAsync("arn:aws:iam::111122223333:user/alice");
        await Assertions.Expect(page.TestId("no-triage")).ToBeVisibleAsync();
        await Assertions.Expect(page.TestId("no-escalation")).ToBeVisibleAsync();

        var raw = page.TestId("raw-payload-text");
        await Assertions.Expect(raw).ToContainTextAsync("<script>window.injected = true</script>");
        await Assertions.Expect(raw).ToContainTextAsync("\"ip\": \"198.51.100.7\"");
        Assert.Equal(0, await raw.Locator("script").CountAsync());
        Assert.False(await page.EvaluateAsync<bool>("() => window.injected === true"));
        await FirebreakSite.ScreenshotAsync(page, "alert-detail");
    }

    [Fact]
    public async Task AlertPage_ListsEarlierIncidents_ThatShareAPrincipal()
    {
        var responder = await Site.CreateUserAsync(Role.Responder);
        var source = AlertScenes.UniqueSource("similar");
        var role = new AlertEntity(PrincipalTypes.Role, $"arn:aws:iam::111122223333:role/{source}");
        var first = await Site.SubmitAlertAsync(responder, AlertScenes.Alert(source, "Role assumed from a new ASN", principals: [role]));
        var escalation = await Site.ActAsync(responder, services => services.GetRequiredService<EscalationService>()
            .PromoteAsync(new PromoteCommand([first], Title: "Role abuse " + source)));
        var second = await Site.SubmitAlertAsync(responder, AlertScenes.Alert(source, "Role used to read secrets", principals: [role]));
        var page = await NewPageAsync();
        await page.LoginAsync(responder);

        await page.GotoInteractiveAsync($"/alerts/{second}");

        var similar = page.TestId("similar-incident");
        await Assertions.Expect(similar).ToHaveCountAsync(1);
        await Assertions.Expect(similar).ToContainTextAsync(escalation.IncidentReference);
        await Assertions.Expect(similar).ToContainTextAsync(role.Value);
    }

    [Fact]
    public async Task Viewer_SeesAlerts_WithoutAnyTriagePromoteOrRuleControl()
    {
        var responder = await Site.CreateUserAsync(Role.Responder);
        var source = AlertScenes.UniqueSource("viewer");
        var id = await Site.SubmitAlertAsync(responder, AlertScenes.Alert(source, "Security group opened to the world"));
        var viewer = await Site.CreateUserAsync(Role.Viewer);
        var page = await NewPageAsync();
        await page.LoginAsync(viewer);

        await page.GotoInteractiveAsync($"/alerts?source={source}");
        await Assertions.Expect(page.TestId("alert-title")).ToHaveTextAsync(["Security group opened to the world"]);
        foreach (var control in new[] { "bulk-actions", "select-alert", "triage-submit", "promote-submit", "merge-submit" })
        {
            await Assertions.Expect(page.TestId(control)).ToHaveCountAsync(0);
        }

        await page.GotoInteractiveAsync($"/alerts/{id}");
        await Assertions.Expect(page.TestId("read-only")).ToBeVisibleAsync();
        Assert.Equal(0, await page.Locator("main").Locator("button, input, select, textarea").CountAsync());

        foreach (var path in new[] { "/alerts/suppression-rules", "/alerts/escalation-rules", "/alerts/groups" })
        {
            await page.GotoInteractiveAsync(path);
            Assert.Equal(0, await page.Locator("main").Locator("button, input, select, textarea").CountAsync());
        }
    }

    [Fact]
    public async Task Responder_TriagesAndPromotes_ButCannotEditRules()
    {
        var responder = await Site.CreateUserAsync(Role.Responder);
        var page = await NewPageAsync();
        await page.LoginAsync(responder);

        await page.GotoInteractiveAsync("/alerts/suppression-rules");
        await Assertions.Expect(page.TestId("new-rule")).ToHaveCountAsync(0);
        await Assertions.Expect(page.TestId("rule-toggle")).ToHaveCountAsync(0);
        await page.GotoInteractiveAsync("/alerts/escalation-rules");
        await Assertions.Expect(page.TestId("new-rule")).ToHaveCountAsync(0);
    }

    [Fact]
    public async Task UserOfAnotherTenant_GetsNotFound_ForTheAlertUrl()
    {
        var owner = await Site.CreateUserAsync(Role.Admin);
        var source = AlertScenes.UniqueSource("tenant");
        var id = await Site.SubmitAlertAsync(owner, AlertScenes.Alert(source, "Tenant-private alert"));
        var outsider = await Site.CreateUserAsync(Role.Admin, Site.OtherTenantSlug);
        var page = await NewPageAsync();
        await page.LoginAsync(outsider);

        var response = await page.GotoInteractiveAsync($"/alerts/{id}");

        Assert.Equal(404, response?.Status);
        await Assertions.Expect(page.TestId("not-found")).ToContainTextAsync("Alert not found");
        await Assertions.Expect(page.Locator("body")).Not.ToContainTextAsync("Tenant-private alert");
        await page.GotoInteractiveAsync($"/alerts?source={source}");
        await Assertions.Expect(page.TestId("no-alerts")).ToBeVisibleAsync();
    }

    [Fact]
    public async Task AnAddressThatIsNoAlertId_ShowsNotFound()
    {
        var viewer = await Site.CreateUserAsync(Role.Viewer);
        var page = await NewPageAsync();
        await page.LoginAsync(viewer);

        var response = await page.GotoInteractiveAsync("/alerts/not-an-id");

        Assert.Equal(404, response?.Status);
        await Assertions.Expect(page.TestId("not-found")).ToContainTextAsync("Alert not found");
    }
}
