using System.Security.Cryptography;
using System.Text;
using Firebreak.Core.Identity;
using Firebreak.Core.Incidents;
using Firebreak.Core.ManagementPlane;
using Firebreak.Core.PostMortem;
using Firebreak.Core.Recovery;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;

namespace Firebreak.Browser.Tests.Recovery;

public sealed class RecoveryPageTests(FirebreakSite site) : BrowserTest(site)
{
    [Fact]
    public async Task Rebuild_MismatchIsRefused_UploadedTemplateMatches_ThenDone_AndBreakGlassNeedsASecondPerson()
    {
        var template = Encoding.UTF8.GetBytes("FROM alpine:3.20\n");
        var digest = "sha256:" + Convert.ToHexStringLower(SHA256.HashData(template));
        var manager = await Site.CreateUserAsync(Role.IncidentManager);
        var responder = await Site.CreateUserAsync(Role.Responder);
        var incident = await Site.CreateIncidentAsync(responder, new CreateIncident("Compromised API pod"));
        var baseline = $"api-{Guid.NewGuid():n}"[..20];
        await Site.ActAsync(manager, s => s.GetRequiredService<BaselineService>().RecordAsync(new RecordBaseline(baseline, BaselineKind.ContainerImage, "registry.example/api:1.4", digest, "Signed 1.4")));
        await Site.ActAsync(responder, s => s.GetRequiredService<ProviderEscalationService>().AddAsync(incident.Reference,
            new ProviderEscalationInput("aws", "170001", DateTimeOffset.UtcNow.AddHours(-3), 60)));

        var page = await NewPageAsync();
        await page.LoginAsync(responder);
        await page.GotoInteractiveAsync($"/incidents/{incident.Reference}/recovery");
        await Assertions.Expect(page.TestId("recovery-empty")).ToBeVisibleAsync();
        await Assertions.Expect(page.TestId("escalation-overdue")).ToBeVisibleAsync();
        await Assertions.Expect(page.TestId("baseline-form")).ToHaveCountAsync(0);

        await page.TestId("recovery-add").ClickAsync();
        await Assertions.Expect(page.TestId("recovery-add-form")).ToContainTextAsync("description is required");
        await page.TestId("recovery-add-kind").SelectOptionAsync(new SelectOptionValue { Label = "rebuild-from-template" });
        await page.TestId("recovery-add-description").FillAsync("Redeploy the API from the signed image");
        await page.TestId("recovery-add-baseline").FillAsync(baseline);
        await page.TestId("recovery-add").ClickAsync();
        var item = page.TestId("recovery-item");
        await Assertions.Expect(item).ToHaveAttributeAsync("data-status", "open");

        await page.TestId("recovery-verify-digest").FillAsync("sha256:" + new string('c', 64));
        await page.TestId("recovery-verify").ClickAsync();
        await Assertions.Expect(page.TestId("recovery-verification")).ToHaveAttributeAsync("data-result", "mismatch");
        await page.TestId("recovery-status-select").SelectOptionAsync(new SelectOptionValue { Label = "done" });
        await page.TestId("recovery-set-status").ClickAsync();
        await Assertions.Expect(page.TestId("recovery-item-error")).ToContainTextAsync("does not match");
        await Assertions.Expect(item).ToHaveAttributeAsync("data-status", "open");

        await page.TestId("recovery-verify-file").SetInputFilesAsync(new FilePayload { Name = "api.tar", MimeType = "application/octet-stream", Buffer = template });
        await Assertions.Expect(page.TestId("recovery-verification")).ToHaveAttributeAsync("data-result", "match");
        await page.TestId("recovery-status-select").SelectOptionAsync(new SelectOptionValue { Label = "done" });
        await page.TestId("recovery-set-status").ClickAsync();
        await Assertions.Expect(item).ToHaveAttributeAsync("data-status", "done");

        await page.TestId("escalation-response-text").FillAsync("Investigating on our side");
        await page.TestId("escalation-add-response").ClickAsync();
        await Assertions.Expect(page.TestId("escalation-response")).ToContainTextAsync("Investigating on our side");
        await Assertions.Expect(page.TestId("escalation-overdue")).ToHaveCountAsync(0);

        await page.TestId("break-glass-record-button").ClickAsync();
        await Assertions.Expect(page.TestId("break-glass-form")).ToContainTextAsync("account is required");
        await page.TestId("break-glass-account").FillAsync("arn:aws:iam::123456789012:root");
        await page.TestId("break-glass-credential").FillAsync("root password + MFA (safe B)");
        await page.TestId("break-glass-reason").FillAsync("SSO admin role hijacked");
        await page.TestId("break-glass-minutes-ago").FillAsync("15");
        await page.TestId("break-glass-record-button").ClickAsync();
        await Assertions.Expect(page.TestId("break-glass-record")).ToHaveAttributeAsync("data-status", "open");
        await page.TestId("break-glass-rotation").FillAsync("New password sealed");
        await page.TestId("break-glass-review").FillAsync("Reviewed");
        await page.TestId("break-glass-close").ClickAsync();
        await Assertions.Expect(page.TestId("break-glass-error")).ToContainTextAsync("second person");
        await FirebreakSite.ScreenshotAsync(page, "recovery-page");

        var timeline = await NewPageAsync();
        await timeline.LoginAsync(manager);
        await timeline.GotoInteractiveAsync($"/incidents/{incident.Reference}/timeline");
        await Assertions.Expect(timeline.TestId("timeline-table")).ToContainTextAsync("Break-glass invoked: arn:aws:iam::123456789012:root");

        var second = await NewPageAsync();
        await second.LoginAsync(manager);
        await second.GotoInteractiveAsync($"/incidents/{incident.Reference}/recovery");
        await Assertions.Expect(second.TestId("baseline-form")).ToBeVisibleAsync();
        await second.TestId("break-glass-rotation").FillAsync("New password sealed in safe B");
        await second.TestId("break-glass-review").FillAsync("Only the planned calls in CloudTrail");
        await second.TestId("break-glass-close").ClickAsync();
        await Assertions.Expect(second.TestId("break-glass-record")).ToHaveAttributeAsync("data-status", "closed");
    }

    [Fact]
    public async Task Viewer_ReadsTheChecklist_WithoutForms_AndAnotherTenantsIncidentIsNotFound()
    {
        var responder = await Site.CreateUserAsync(Role.Responder);
        var viewer = await Site.CreateUserAsync(Role.Viewer);
        var incident = await Site.CreateIncidentAsync(responder, new CreateIncident("Read-only recovery"));
        await Site.ActAsync(responder, s => s.GetRequiredService<RecoveryService>().AddAsync(incident.Reference, new AddRecoveryItem(RecoveryItemKind.ConfirmHealth, "Checkout healthy")));
        var page = await NewPageAsync();
        await page.LoginAsync(viewer);

        await page.GotoInteractiveAsync($"/incidents/{incident.Reference}/recovery");
        await Assertions.Expect(page.TestId("recovery-item")).ToContainTextAsync("Checkout healthy");
        await Assertions.Expect(page.TestId("recovery-add-form")).ToHaveCountAsync(0);
        await Assertions.Expect(page.TestId("recovery-set-status")).ToHaveCountAsync(0);
        await Assertions.Expect(page.TestId("break-glass-form")).ToHaveCountAsync(0);

        await page.GotoInteractiveAsync("/incidents/INC-1999-9999/recovery");
        await Assertions.Expect(page.TestId("not-found")).ToBeVisibleAsync();
    }
}
