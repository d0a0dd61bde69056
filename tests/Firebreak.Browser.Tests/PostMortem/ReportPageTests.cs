using System.Diagnostics;
using Firebreak.Core.Identity;
using Firebreak.Core.Incidents;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;

namespace Firebreak.Browser.Tests.PostMortem;

public sealed class ReportPageTests(FirebreakSite site) : BrowserTest(site)
{
    private const string Hostile = "<img src=x onerror=alert(1)> Keys leaked";

    [Fact]
    public async Task Viewer_PreviewsTheReport_ReadsTheStatusUpdate_AndDownloadsAPdfThatRenders()
    {
        var manager = await Site.CreateUserAsync(Role.IncidentManager);
        var incident = await Site.CreateIncidentAsync(manager, new CreateIncident(Hostile, "Payroll bucket read with a leaked key.", Severity.Sev2, IncidentManagerId: manager.Id));
        await Site.ActAsync(manager, services => services.GetRequiredService<TaskService>().AddAsync(incident.Reference, new CreateTask("Rotate the key")));
        var viewer = await Site.CreateUserAsync(Role.Viewer);
        var page = await NewPageAsync();
        var dialogs = 0;
        page.Dialog += (_, dialog) => { dialogs++; _ = dialog.DismissAsync(); };
        await page.LoginAsync(viewer);

        await page.GotoInteractiveAsync($"/incidents/{incident.Reference}");
        await page.TestId("open-report").ClickAsync();
        await page.Locator("[data-testid=report-page][data-interactive=yes]").WaitForAsync();

        var preview = page.FrameLocator("[data-testid=report-preview]");
        await Assertions.Expect(preview.Locator("h1")).ToHaveTextAsync($"Incident report: {Hostile}");
        await Assertions.Expect(preview.Locator("figure svg")).ToHaveCountAsync(2);
        await Assertions.Expect(preview.Locator("h2", new() { HasText = "Data-loss extent" })).ToBeVisibleAsync();
        await Assertions.Expect(page.TestId("status-phase")).ToHaveTextAsync("Detection & Analysis");
        await Assertions.Expect(page.TestId("status-next-steps")).ToContainTextAsync("Rotate the key (to do, unassigned)");
        await Assertions.Expect(page.TestId("status-next-update")).Not.ToHaveTextAsync("final update");
        await FirebreakSite.ScreenshotAsync(page, "report-page");
        Assert.Equal(0, dialogs);

        var download = await page.RunAndWaitForDownloadAsync(() => page.TestId("download-pdf").ClickAsync());
        Assert.Equal($"{incident.Reference}-report.pdf", download.SuggestedFilename);
        var folder = Directory.CreateTempSubdirectory("firebreak-report-").FullName;
        try
        {
            var pdf = Path.Combine(folder, "report.pdf");
            await download.SaveAsAsync(pdf);
            Assert.StartsWith("%PDF-1.4", File.ReadAllText(pdf)[..8]);

            var png = await RenderFirstPageAsync(pdf, Path.Combine(folder, "page"));
            File.Copy(png, Path.Combine(FirebreakSite.ScreenshotDirectory, "report-pdf-page1.png"), overwrite: true);
            var image = PngImage.Read(await File.ReadAllBytesAsync(png));

            // A4 at 50 dpi.
            Assert.Equal((414, 585), (image.Width, image.Height));
            var dark = 0;
            var inked = 0;
            for (var y = 0; y < image.Height; y++)
            {
                for (var x = 0; x < image.Width; x++)
                {
                    var luminance = image.Luminance(x, y);
                    if (luminance < 240) inked++;
                    if (luminance < 80 && y < image.Height / 4) dark++;
                }
            }
            var share = inked / (double)(image.Width * image.Height);
            Assert.True(share is > 0.02 and < 0.6, $"{share:P1} of the page is inked");
            // The title and the dark TLP band sit in the top quarter.
            Assert.True(dark > 3_000, $"only {dark} dark pixels in the header area");
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    [Fact]
    public async Task Report_OfAnotherTenantsIncident_IsNotFound()
    {
        var stranger = await Site.CreateUserAsync(Role.Admin, Site.OtherTenantSlug);
        var manager = await Site.CreateUserAsync(Role.IncidentManager);
        var incident = await Site.CreateIncidentAsync(manager, new CreateIncident("Acme only"));
        var page = await NewPageAsync();
        await page.LoginAsync(stranger);

        await page.GotoInteractiveAsync($"/incidents/{incident.Reference}/report");

        await Assertions.Expect(page.TestId("not-found")).ToBeVisibleAsync();
        await Assertions.Expect(page.TestId("report-preview")).ToHaveCountAsync(0);
    }

    private static async Task<string> RenderFirstPageAsync(string pdf, string prefix)
    {
        var start = new ProcessStartInfo("pdftoppm", ["-r", "50", "-f", "1", "-l", "1", "-singlefile", "-png", pdf, prefix])
        {
            RedirectStandardError = true,
        };
        using var process = Process.Start(start) ?? throw new InvalidOperationException("pdftoppm did not start.");
        var errors = await process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        Assert.True(process.ExitCode == 0, $"pdftoppm failed ({process.ExitCode}): {errors}");
        return prefix + ".png";
    }
}
