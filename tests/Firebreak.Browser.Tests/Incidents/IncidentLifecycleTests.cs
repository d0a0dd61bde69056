using Firebreak.Core.Identity;
using Firebreak.Core.Incidents;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;

namespace Firebreak.Browser.Tests.Incidents;

public sealed class IncidentLifecycleTests(FirebreakSite site) : BrowserTest(site)
{
    [Fact]
    public async Task Incident_IsWorkedFromDetectionToClosed_ThroughThePage()
    {
        var manager = await Site.CreateUserAsync(Role.IncidentManager, displayName: "Ines Manager " + Guid.NewGuid().ToString("N")[..4]);
        var incident = await Site.CreateIncidentAsync(manager, new CreateIncident("Unusual AssumeRole chain", Severity: Severity.Sev2));
        var page = await NewPageAsync();
        await page.LoginAsync(manager);
        await page.GotoInteractiveAsync($"/incidents/{incident.Reference}");

        // The guard: no phase past Detection & Analysis without an incident manager.
        await MoveAsync(page, "containment", "Credentials confirmed stolen");
        await Assertions.Expect(page.TestId("transition-error")).ToContainTextAsync("Assign an incident manager before moving to Containment");
        await page.TestId("transition-cancel").ClickAsync();
        await Assertions.Expect(page.TestId("transition-dialog")).ToHaveCountAsync(0);
        await Assertions.Expect(page.TestId("step-detection-and-analysis")).ToHaveAttributeAsync("data-state", "current");

        await page.TestId("edit-roles").ClickAsync();
        await page.TestId("role-manager").SelectOptionAsync(manager.Id.ToString());
        await page.TestId("save-roles").ClickAsync();
        await Assertions.Expect(page.TestId("incident-manager")).ToHaveTextAsync(manager.DisplayName);

        await MoveAsync(page, "containment", "Credentials confirmed stolen");
        await Assertions.Expect(page.TestId("transition-dialog")).ToHaveCountAsync(0);
        await Assertions.Expect(page.TestId("step-containment")).ToHaveAttributeAsync("data-state", "current");
        await Assertions.Expect(page.TestId("step-detection-and-analysis")).ToHaveAttributeAsync("data-state", "done");

        await page.TestId("new-task-title").FillAsync("Disable the leaked access key");
        await page.TestId("new-task-owner").SelectOptionAsync(manager.Id.ToString());
        await page.TestId("new-task-due").FillAsync("2030-01-02T03:04");
        await page.TestId("add-task").ClickAsync();
        var task = page.TestId("task-row").Filter(new() { HasText = "Disable the leaked access key" });
        await Assertions.Expect(task).ToHaveCountAsync(1);
        await Assertions.Expect(task.TestId("task-owner")).ToHaveValueAsync(manager.Id.ToString());
        await Assertions.Expect(task.TestId("task-due")).ToHaveValueAsync("2030-01-02T03:04");
        await task.TestId("task-status").SelectOptionAsync("Done");
        await Assertions.Expect(task).ToHaveClassAsync("task-done");

        await page.TestId("journal-body-input").FillAsync("Key **AKIA-EXAMPLE** used from 203.0.113.7");
        await page.TestId("journal-add").ClickAsync();
        var entry = page.TestId("journal-entry").First;
        await Assertions.Expect(entry.Locator("[data-testid=journal-body] strong")).ToHaveTextAsync("AKIA-EXAMPLE");
        await entry.TestId("journal-edit").ClickAsync();
        await entry.TestId("journal-edit-body").FillAsync("Key AKIA-EXAMPLE used from 203.0.113.7 and 198.51.100.9");
        await entry.TestId("journal-save").ClickAsync();
        await Assertions.Expect(entry.TestId("journal-body")).ToHaveTextAsync("Key AKIA-EXAMPLE used from 203.0.113.7 and 198.51.100.9");
        await entry.TestId("journal-history-toggle").ClickAsync();
        var revisions = entry.TestId("journal-revision");
        await Assertions.Expect(revisions).ToHaveCountAsync(2);
        await Assertions.Expect(revisions.First).ToContainTextAsync("Revision 1");
        await Assertions.Expect(revisions.First).ToContainTextAsync("Key AKIA-EXAMPLE used from 203.0.113.7");
        await Assertions.Expect(revisions.First).Not.ToContainTextAsync("198.51.100.9");

        await MoveAsync(page, "eradication", "Key disabled, sessions revoked");
        await Assertions.Expect(page.TestId("step-eradication")).ToHaveAttributeAsync("data-state", "current");
        await Assertions.Expect(page.TestId("milestone-contained")).Not.ToHaveTextAsync("—");
        await MoveAsync(page, "recovery", "Backdoor roles removed");
        await Assertions.Expect(page.TestId("step-recovery")).ToHaveAttributeAsync("data-state", "current");
        await MoveAsync(page, "post-incident-review", "Service restored");
        await Assertions.Expect(page.TestId("step-post-incident-review")).ToHaveAttributeAsync("data-state", "current");

        await MoveAsync(page, "closed", "Done");
        await Assertions.Expect(page.TestId("transition-error")).ToContainTextAsync("Record a post-incident review before closing");
        await page.TestId("transition-cancel").ClickAsync();

        await page.TestId("review-summary").FillAsync("A CI token leaked through a fork.");
        await page.TestId("review-lessons").FillAsync("Scan forks for secrets.");
        await page.TestId("save-review").ClickAsync();
        await Assertions.Expect(page.TestId("review-saved")).ToBeVisibleAsync();

        await MoveAsync(page, "closed", "Review recorded");
        await Assertions.Expect(page.TestId("step-closed")).ToHaveAttributeAsync("data-state", "current");
        await Assertions.Expect(page.TestId("milestone-closed")).Not.ToHaveTextAsync("—");
        await Assertions.Expect(page.TestId("audit-action").First).ToHaveTextAsync("Incident updated");
        await Assertions.Expect(page.TestId("audit")).ToContainTextAsync("PhaseTransition created");
        var closing = page.Locator("[data-testid=audit-change][data-field=phase]").First;
        await Assertions.Expect(closing.TestId("audit-before")).ToHaveTextAsync("post-incident-review");
        await Assertions.Expect(closing.TestId("audit-after")).ToHaveTextAsync("closed");
        await page.TestId("audit-next").ClickAsync();
        await Assertions.Expect(page.TestId("audit-page")).ToHaveTextAsync(new System.Text.RegularExpressions.Regex("^Page 2 of \\d+$"));
        await Assertions.Expect(page.TestId("audit-action").Last).ToHaveTextAsync("Incident created");
        await FirebreakSite.ScreenshotAsync(page, "incident-page");

        // What the page showed was stored: a fresh load agrees.
        await page.GotoInteractiveAsync($"/incidents/{incident.Reference}");
        await Assertions.Expect(page.TestId("step-closed")).ToHaveAttributeAsync("data-state", "current");
        await Assertions.Expect(page.TestId("task-row").TestId("task-status")).ToHaveValueAsync("Done");
        await Assertions.Expect(page.TestId("journal-edited")).ToBeVisibleAsync();
        await Assertions.Expect(page.TestId("review-summary")).ToHaveValueAsync("A CI token leaked through a fork.");
    }

    [Fact]
    public async Task Status_DuplicateOf_LinksTheSurvivor()
    {
        var manager = await Site.CreateUserAsync(Role.IncidentManager);
        var survivor = await Site.CreateIncidentAsync(manager, new CreateIncident("Original report"));
        var copy = await Site.CreateIncidentAsync(manager, new CreateIncident("Same thing, reported twice"));
        var page = await NewPageAsync();
        await page.LoginAsync(manager);
        await page.GotoInteractiveAsync($"/incidents/{copy.Reference}");

        await page.TestId("status-select").SelectOptionAsync("Duplicate");
        await page.TestId("status-duplicate-of").FillAsync("INC-1999-0001");
        await page.TestId("status-reason-input").FillAsync("Reported by two teams");
        await page.TestId("save-status").ClickAsync();
        await Assertions.Expect(page.TestId("error-duplicateOf")).ToContainTextAsync("was not found");

        await page.TestId("status-duplicate-of").FillAsync(survivor.Reference);
        await page.TestId("save-status").ClickAsync();
        await Assertions.Expect(page.TestId("status-value")).ToHaveTextAsync("Duplicate");
        await Assertions.Expect(page.TestId("duplicate-of")).ToHaveTextAsync(survivor.Reference);
        await Assertions.Expect(page.TestId("status-reason")).ToHaveTextAsync("Reported by two teams");
    }

    [Fact]
    public async Task Journal_RendersMarkdown_WithoutRawHtmlOrScriptLinks()
    {
        var responder = await Site.CreateUserAsync(Role.Responder);
        var incident = await Site.CreateIncidentAsync(responder, new CreateIncident("Phishing page hosted in our bucket"));
        var page = await NewPageAsync();
        await page.LoginAsync(responder);
        await page.GotoInteractiveAsync($"/incidents/{incident.Reference}");

        await page.TestId("journal-body-input").FillAsync("<script>window.pwned = 1</script><b>bold?</b> [click](javascript:window.pwned=2) [docs](https://example.org/runbook)");
        await page.TestId("journal-add").ClickAsync();

        var body = page.TestId("journal-body");
        await Assertions.Expect(body).ToContainTextAsync("<b>bold?</b>");
        Assert.Equal(0, await body.Locator("script, b").CountAsync());
        await Assertions.Expect(body.GetByRole(AriaRole.Link, new() { Name = "click" })).ToHaveAttributeAsync("href", "#");
        await Assertions.Expect(body.GetByRole(AriaRole.Link, new() { Name = "docs" })).ToHaveAttributeAsync("href", "https://example.org/runbook");
        Assert.Null(await page.EvaluateAsync<int?>("() => window.pwned ?? null"));
    }

    [Fact]
    public async Task ChangeBySomeoneElse_IsAnnounced_AndShownOnRequest()
    {
        var responder = await Site.CreateUserAsync(Role.Responder);
        var colleague = await Site.CreateUserAsync(Role.Responder);
        var incident = await Site.CreateIncidentAsync(responder, new CreateIncident("Lateral movement between projects"));
        var page = await NewPageAsync();
        await page.LoginAsync(responder);
        await page.GotoInteractiveAsync($"/incidents/{incident.Reference}");
        await page.TestId("journal-body-input").FillAsync("My own note");
        await page.TestId("journal-add").ClickAsync();
        await Assertions.Expect(page.TestId("journal-entry")).ToHaveCountAsync(1);

        await Site.ActAsync(colleague, services => services.GetRequiredService<JournalService>().AddAsync(incident.Reference, "Colleague's finding"));

        await Assertions.Expect(page.TestId("stale-banner")).ToBeVisibleAsync(new() { Timeout = 45_000 });
        await page.TestId("reload-incident").ClickAsync();
        await Assertions.Expect(page.TestId("journal-entry")).ToHaveCountAsync(2);
        await Assertions.Expect(page.TestId("journal-entry").Last).ToContainTextAsync("Colleague's finding");
        await Assertions.Expect(page.TestId("stale-banner")).ToHaveCountAsync(0);
    }

    [Fact]
    public async Task Details_AreEdited_AndAStaleEditIsRefusedWithAnExplanation()
    {
        var responder = await Site.CreateUserAsync(Role.Responder);
        var incident = await Site.CreateIncidentAsync(responder, new CreateIncident("Suspicious token use", Severity: Severity.Sev3));
        var page = await NewPageAsync();
        await page.LoginAsync(responder);
        await page.GotoInteractiveAsync($"/incidents/{incident.Reference}");

        await page.TestId("edit-details").ClickAsync();
        await page.TestId("details-title").FillAsync("Stolen session token replayed");
        await page.TestId("details-severity").SelectOptionAsync(new SelectOptionValue { Label = "SEV1" });
        await page.TestId("details-providers").FillAsync("azure");
        await page.TestId("save-details").ClickAsync();
        await Assertions.Expect(page.TestId("incident-title")).ToHaveTextAsync("Stolen session token replayed");
        await Assertions.Expect(page.TestId("severity")).ToHaveTextAsync("SEV1");
        await Assertions.Expect(page.TestId("scope-providers")).ToHaveTextAsync("AZURE");

        await page.TestId("edit-details").ClickAsync();
        await page.TestId("details-providers").FillAsync("oracle");
        await page.TestId("save-details").ClickAsync();
        await Assertions.Expect(page.TestId("error-scope.providers")).ToContainTextAsync("providers must be among aws, azure, gcp");

        await page.TestId("details-providers").FillAsync("aws");
        await page.TestId("details-summary").FillAsync("My view of events");
        await Site.ActAsync(responder, services => services.GetRequiredService<IncidentService>()
            .UpdateAsync(incident.Reference, new UpdateIncident(Summary: "Someone else's view"), null));
        await page.TestId("save-details").ClickAsync();
        await Assertions.Expect(page.TestId("details-error")).ToContainTextAsync("someone else changed it");
        await Assertions.Expect(page.TestId("details-summary")).ToHaveValueAsync("My view of events");
    }

    private static async Task MoveAsync(IPage page, string phase, string reason)
    {
        await page.TestId($"move-to-{phase}").ClickAsync();
        await page.TestId("transition-reason").FillAsync(reason);
        await page.TestId("transition-confirm").ClickAsync();
    }
}
