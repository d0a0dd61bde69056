using System.Globalization;
using System.Text;
using System.Text.Json;
using Firebreak.Core.Identity;
using Firebreak.Core.Incidents;
using Firebreak.Core.Investigation;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;

namespace Firebreak.Browser.Tests.DataLoss;

public sealed class DataLossPageTests(FirebreakSite site) : BrowserTest(site)
{
    private static string Record(int n, string operation, object request, string bucket, double? bytes) => JsonSerializer.Serialize(new Dictionary<string, object?>
    {
        ["eventVersion"] = "1.09",
        ["eventID"] = $"ui-dl-{n:D4}-{Guid.NewGuid():N}",
        ["eventTime"] = new DateTimeOffset(2026, 3, 10, 8, 0, 0, TimeSpan.Zero).AddMinutes(n).ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture),
        ["eventSource"] = "s3.amazonaws.com",
        ["eventName"] = operation,
        ["awsRegion"] = "eu-west-1",
        ["sourceIPAddress"] = "203.0.113.66",
        ["recipientAccountId"] = "111122223333",
        ["userIdentity"] = new { type = "IAMUser", arn = "arn:aws:iam::111122223333:user/intruder", accessKeyId = "AKIAUITEST000001", accountId = "111122223333" },
        ["requestParameters"] = request,
        ["additionalEventData"] = bytes is null ? null : new { bytesTransferredOut = bytes },
        ["resources"] = bytes is null ? null : new object[]
        {
            new Dictionary<string, string> { ["type"] = "AWS::S3::Object", ["ARN"] = $"arn:aws:s3:::{bucket}/file-{n}.csv" },
            new Dictionary<string, string> { ["type"] = "AWS::S3::Bucket", ["ARN"] = $"arn:aws:s3:::{bucket}" },
        },
    });

    [Fact]
    public async Task Responder_AssessesTheExtent_AndSeesClassificationLowerBoundAndClock()
    {
        var manager = await Site.CreateUserAsync(Role.IncidentManager);
        var responder = await Site.CreateUserAsync(Role.Responder);
        var viewer = await Site.CreateUserAsync(Role.Viewer);
        var incident = await Site.CreateIncidentAsync(responder, new CreateIncident("Payroll bucket theft"));
        var records = Enumerable.Range(0, 3).Select(n => Record(n, "GetObject", new { bucketName = "ui-payroll", key = $"file-{n}.csv" }, "ui-payroll", 1_000_000.0))
            .Append(Record(5, "PutBucketPolicy", new
            {
                bucketName = "ui-press",
                bucketPolicy = new { Statement = new[] { new { Effect = "Allow", Principal = "*", Action = "s3:GetObject", Resource = "arn:aws:s3:::ui-press/*" } } },
            }, "ui-press", null));
        var body = Encoding.UTF8.GetBytes(string.Join('\n', records));
        var import = await Site.ActAsync(responder, sp => sp.GetRequiredService<EventImportService>().StartUploadAsync(incident.Reference, "trail.json", new MemoryStream(body)));
        for (var i = 0; i < 300 && import.Status != ImportStatus.Completed; i++)
        {
            await Task.Delay(100);
            import = await Site.ActAsync(responder, sp => sp.GetRequiredService<EventImportService>().GetAsync(incident.Reference, import.Id));
        }
        Assert.Equal(ImportStatus.Completed, import.Status);

        // The manager classifies the bucket in the asset register; a bad pattern is refused next to its field.
        var register = await NewPageAsync();
        await register.LoginAsync(manager);
        await register.GotoInteractiveAsync("/assets");
        await register.TestId("asset-pattern").FillAsync("has a space");
        await register.TestId("asset-name").FillAsync("Payroll");
        await register.TestId("asset-add").ClickAsync();
        await Assertions.Expect(register.TestId("error-pattern")).ToBeVisibleAsync();
        await register.TestId("asset-pattern").FillAsync("arn:aws:s3:::ui-payroll");
        await register.TestId("asset-classification").SelectOptionAsync("Restricted");
        await register.TestId("asset-personal").CheckAsync();
        await register.TestId("asset-regulations").FillAsync("gdpr");
        await register.TestId("asset-add").ClickAsync();
        await Assertions.Expect(register.TestId("asset-table")).ToContainTextAsync("arn:aws:s3:::ui-payroll");
        await Assertions.Expect(register.TestId("error-pattern")).ToHaveCountAsync(0);

        var page = await NewPageAsync();
        await page.LoginAsync(responder);
        await page.GotoInteractiveAsync($"/incidents/{incident.Reference}");
        await page.TestId("open-data-loss").ClickAsync();
        await Assertions.Expect(page.TestId("data-loss-page")).ToHaveAttributeAsync("data-interactive", "yes");
        await Assertions.Expect(page.TestId("not-assessed")).ToBeVisibleAsync();
        await page.TestId("assess").ClickAsync();
        await Assertions.Expect(page.TestId("resource-row")).ToHaveCountAsync(2);

        var payroll = page.Locator("[data-resource='arn:aws:s3:::ui-payroll']");
        await Assertions.Expect(payroll).ToContainTextAsync("restricted");
        await Assertions.Expect(payroll.TestId("personal")).ToBeVisibleAsync();
        await Assertions.Expect(payroll.TestId("amount")).ToContainTextAsync("3 objects, 2.9 MiB");
        await Assertions.Expect(payroll.TestId("confidence")).ToHaveTextAsync("high");
        await Assertions.Expect(payroll.TestId("lower-bound")).ToHaveCountAsync(0);
        await Assertions.Expect(payroll).ToContainTextAsync("arn:aws:iam::111122223333:user/intruder");
        var press = page.Locator("[data-resource='arn:aws:s3:::ui-press']");
        await Assertions.Expect(press.TestId("confidence")).ToHaveTextAsync("medium");
        await Assertions.Expect(press.TestId("window-open")).ToBeVisibleAsync();
        await Assertions.Expect(page.TestId("clock")).ToContainTextAsync("GDPR Art. 33");
        await Assertions.Expect(page.TestId("clock-left")).ToContainTextAsync("left");
        await FirebreakSite.ScreenshotAsync(page, "incident-data-loss");

        var readOnly = await NewPageAsync();
        await readOnly.LoginAsync(viewer);
        await readOnly.GotoInteractiveAsync($"/incidents/{incident.Reference}/data-loss");
        await Assertions.Expect(readOnly.TestId("resource-row")).ToHaveCountAsync(2);
        await Assertions.Expect(readOnly.TestId("assess")).ToHaveCountAsync(0);
        await readOnly.GotoInteractiveAsync("/incidents/INC-1999-9999/data-loss");
        await Assertions.Expect(readOnly.TestId("not-found")).ToBeVisibleAsync();
    }
}
