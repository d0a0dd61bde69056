using System.Security.Cryptography;
using System.Text;
using Firebreak.Core.Evidence;
using Firebreak.Core.Identity;
using Firebreak.Core.Incidents;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;

namespace Firebreak.Browser.Tests.Evidence;

public sealed class EvidenceRegisterTests(FirebreakSite site) : BrowserTest(site)
{
    [Fact]
    public async Task Evidence_IsUploadedTransferredVerifiedAndExported_AndTamperingIsNamed()
    {
        var responder = await Site.CreateUserAsync(Role.Responder, displayName: "Rita Responder " + Guid.NewGuid().ToString("N")[..4]);
        var incident = await Site.CreateIncidentAsync(responder, new CreateIncident("Crypto-mining on build servers"));
        var page = await NewPageAsync();
        await page.LoginAsync(responder);
        await page.GotoInteractiveAsync($"/incidents/{incident.Reference}");
        await page.TestId("evidence-link").ClickAsync();
        await page.WaitForAddressAsync($"**/incidents/{incident.Reference}/evidence");
        await page.Locator("[data-testid=evidence-page][data-interactive=yes]").WaitForAsync();
        await Assertions.Expect(page.TestId("no-evidence")).ToBeVisibleAsync();

        var bytes = Encoding.UTF8.GetBytes("xmrig --donate-level 1 -o pool.example:3333\n");
        var sha256 = Convert.ToHexStringLower(SHA256.HashData(bytes));
        await page.TestId("upload-file").SetInputFilesAsync(new FilePayload { Name = "bash_history.txt", MimeType = "text/plain", Buffer = bytes });
        await Assertions.Expect(page.TestId("upload-name")).ToHaveValueAsync("bash_history.txt");
        await page.TestId("upload-kind").SelectOptionAsync("LogSet");
        await page.TestId("upload-source").FillAsync("build-07 ~/.bash_history");
        await page.TestId("upload-location").FillAsync("Firebreak evidence store");
        await page.TestId("upload-submit").ClickAsync();

        var row = page.TestId("evidence-row");
        await Assertions.Expect(row).ToHaveCountAsync(1);
        await Assertions.Expect(row.TestId("evidence-name")).ToHaveTextAsync("bash_history.txt");
        await Assertions.Expect(row.TestId("evidence-kind")).ToHaveTextAsync("log-set");
        await Assertions.Expect(row.TestId("evidence-size")).ToHaveTextAsync($"{bytes.Length} B");
        await Assertions.Expect(row.TestId("evidence-sha256")).ToHaveTextAsync(sha256);
        await Assertions.Expect(row).ToContainTextAsync(responder.Email);
        await Assertions.Expect(row).ToContainTextAsync("build-07 ~/.bash_history");

        // The new item is open: its custody starts with the collection.
        var details = page.TestId("evidence-details");
        await Assertions.Expect(details.TestId("details-sha256")).ToHaveTextAsync(sha256);
        await Assertions.Expect(details.TestId("custody-entry")).ToHaveCountAsync(1);
        await Assertions.Expect(details.TestId("custody-event").First).ToHaveTextAsync("collected");

        // A transfer needs a recipient: the form says so and records nothing.
        await page.TestId("custody-event-input").SelectOptionAsync("Transferred");
        await page.TestId("custody-location").FillAsync("Legal, 3rd floor safe");
        await page.TestId("custody-reason").FillAsync("Preserved for the insurer");
        await page.TestId("custody-add").ClickAsync();
        await Assertions.Expect(page.TestId("custody-error")).ToBeVisibleAsync();
        await Assertions.Expect(details.TestId("custody-entry")).ToHaveCountAsync(1);
        await page.TestId("custody-recipient").FillAsync("Lena Legal");
        await page.TestId("custody-add").ClickAsync();
        await Assertions.Expect(details.TestId("custody-entry")).ToHaveCountAsync(2);
        await Assertions.Expect(details.TestId("custody-event").Nth(1)).ToHaveTextAsync("transferred → Lena Legal");
        await Assertions.Expect(details.TestId("details-holder")).ToHaveTextAsync("Lena Legal");

        await page.TestId("verify").ClickAsync();
        await Assertions.Expect(page.TestId("verify-result")).ToHaveAttributeAsync("data-ok", "yes");

        // The bundle downloads and verifies offline; its export is now in the chain.
        await page.TestId("export-reason").FillAsync("Copy for the insurer");
        var download = await page.RunAndWaitForDownloadAsync(() => page.TestId("export-submit").ClickAsync());
        Assert.Equal($"{incident.Reference}-evidence.zip", download.SuggestedFilename);
        var zip = Path.Combine(Path.GetTempPath(), $"bundle-{Guid.NewGuid():n}.zip");
        await download.SaveAsAsync(zip);
        try
        {
            await using var bundle = File.OpenRead(zip);
            var offline = await EvidenceBundle.VerifyAsync(bundle);
            Assert.True(offline.Ok);
            Assert.Equal("bash_history.txt", Assert.Single(offline.Items).Name);
        }
        finally
        {
            File.Delete(zip);
        }
        await Assertions.Expect(details.TestId("custody-entry")).ToHaveCountAsync(3);
        await Assertions.Expect(details.TestId("custody-event").Nth(2)).ToHaveTextAsync("exported");

        // One byte changed on disk behind Firebreak's back: Verify names the item and what no longer matches.
        var path = await Site.ActAsync(responder, services => Task.FromResult(((LocalEvidenceStore)services.GetRequiredService<IEvidenceStore>()).PathFor(sha256)));
        File.SetAttributes(path, FileAttributes.Normal);
        var stored = await File.ReadAllBytesAsync(path);
        stored[0] ^= 0x01;
        await File.WriteAllBytesAsync(path, stored);
        await page.TestId("verify").ClickAsync();
        var result = page.TestId("verify-result");
        await Assertions.Expect(result).ToHaveAttributeAsync("data-ok", "no");
        var problem = result.TestId("verify-item-problem");
        await Assertions.Expect(problem).ToHaveCountAsync(1);
        await Assertions.Expect(problem).ToContainTextAsync("bash_history.txt");
        await Assertions.Expect(problem).ToContainTextAsync("SHA-256 does not match");
        await Assertions.Expect(result.TestId("verify-chain-problem")).ToHaveCountAsync(0);
        await FirebreakSite.ScreenshotAsync(page, "evidence-register-tampered");
    }

    [Fact]
    public async Task Viewer_SeesTheRegister_ButCannotUploadRecordOrExport()
    {
        var responder = await Site.CreateUserAsync(Role.Responder);
        var viewer = await Site.CreateUserAsync(Role.Viewer);
        var incident = await Site.CreateIncidentAsync(responder, new CreateIncident("Suspicious OAuth consent"));
        await Site.ActAsync(responder, services => services.GetRequiredService<EvidenceService>()
            .AddFileAsync(incident.Reference, new AddEvidenceFile("consent.json", EvidenceKind.LogSet, "Entra audit log"), new MemoryStream("{}"u8.ToArray())));
        var page = await NewPageAsync();
        await page.LoginAsync(viewer);
        await page.GotoInteractiveAsync($"/incidents/{incident.Reference}/evidence");

        await Assertions.Expect(page.TestId("evidence-row")).ToHaveCountAsync(1);
        await page.TestId("evidence-name").ClickAsync();
        await Assertions.Expect(page.TestId("custody-entry")).ToHaveCountAsync(1);
        await Assertions.Expect(page.TestId("custody-form")).ToHaveCountAsync(0);
        await Assertions.Expect(page.TestId("upload-form")).ToHaveCountAsync(0);
        await Assertions.Expect(page.TestId("export-form")).ToHaveCountAsync(0);
        await page.TestId("verify").ClickAsync();
        await Assertions.Expect(page.TestId("verify-result")).ToHaveAttributeAsync("data-ok", "yes");
    }

    [Fact]
    public async Task AnotherTenantsIncident_IsNotFound()
    {
        var other = await Site.CreateUserAsync(Role.Responder, tenant: Site.OtherTenantSlug);
        var responder = await Site.CreateUserAsync(Role.Responder);
        var incident = await Site.CreateIncidentAsync(responder, new CreateIncident("Acme only"));
        var page = await NewPageAsync();
        await page.LoginAsync(other);
        await page.GotoInteractiveAsync($"/incidents/{incident.Reference}/evidence");

        await Assertions.Expect(page.TestId("not-found")).ToBeVisibleAsync();
        await Assertions.Expect(page.TestId("evidence-register")).ToHaveCountAsync(0);
    }
}
