using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Firebreak.Core.Identity;
using Firebreak.Server.Tests.Api;

namespace Firebreak.Server.Tests.DataLoss;

public class DataLossEndpointTests(ServerFixture fixture) : IClassFixture<ServerFixture>
{
    private static string GetObject(int n, string bucket, long bytes) => JsonSerializer.Serialize(new Dictionary<string, object?>
    {
        ["eventVersion"] = "1.09",
        ["eventID"] = $"get-{n}-{Guid.NewGuid():n}",
        ["eventTime"] = $"2026-03-10T08:{n:D2}:00Z",
        ["eventSource"] = "s3.amazonaws.com",
        ["eventName"] = "GetObject",
        ["awsRegion"] = "eu-west-1",
        ["sourceIPAddress"] = "203.0.113.66",
        ["recipientAccountId"] = "111122223333",
        ["userIdentity"] = new { type = "IAMUser", arn = "arn:aws:iam::111122223333:user/ci-deploy", accessKeyId = "AKIAIOSFODNN7EXAMPLE", accountId = "111122223333" },
        ["requestParameters"] = new { bucketName = bucket, key = $"file-{n}.csv" },
        ["additionalEventData"] = new { bytesTransferredIn = 0.0, bytesTransferredOut = (double)bytes },
        ["resources"] = new object[]
        {
            new Dictionary<string, string> { ["type"] = "AWS::S3::Object", ["ARN"] = $"arn:aws:s3:::{bucket}/file-{n}.csv" },
            new Dictionary<string, string> { ["type"] = "AWS::S3::Bucket", ["ARN"] = $"arn:aws:s3:::{bucket}" },
        },
        ["eventCategory"] = "Data",
    });

    private async Task<string> IncidentWithReadsAsync(string bucket)
    {
        var responder = fixture.Acme.Client(Role.Responder);
        var incident = (await responder.CreateIncidentAsync(new { title = "Bucket theft" })).GetProperty("reference").GetString()!;
        var content = new ByteArrayContent(Encoding.UTF8.GetBytes(string.Join('\n', Enumerable.Range(0, 12).Select(n => GetObject(n, bucket, 1000)))));
        content.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
        var started = await responder.PostAsync($"/api/v1/incidents/{incident}/events/imports/upload?name=trail.json", content);
        Assert.Equal(HttpStatusCode.Accepted, started.StatusCode);
        var import = await InvestigationEndpointTests.WaitForImportAsync(responder, incident, (await started.JsonAsync()).GetProperty("id").GetString()!);
        Assert.Equal("completed", import.GetProperty("status").GetString());
        return incident;
    }

    [Fact]
    public async Task Assess_RecordsTheExtent_ThenLatestAndHistoryShowIt()
    {
        var bucket = $"payroll-{Guid.NewGuid():n}"[..20];
        var manager = fixture.Acme.Client(Role.IncidentManager);
        var asset = await manager.PostAsJsonAsync("/api/v1/assets", new { pattern = $"arn:aws:s3:::{bucket}", name = "Payroll", classification = "restricted", personalData = true, regulations = new[] { "gdpr" } });
        Assert.Equal(HttpStatusCode.Created, asset.StatusCode);
        var incident = await IncidentWithReadsAsync(bucket);
        var responder = fixture.Acme.Client(Role.Responder);
        var viewer = fixture.Acme.Client(Role.Viewer);

        await ProblemDetailsTests.AssertProblemAsync(await viewer.GetAsync($"/api/v1/incidents/{incident}/data-loss"), HttpStatusCode.NotFound);
        var created = await responder.PostAsync($"/api/v1/incidents/{incident}/data-loss", null);
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var view = await created.JsonAsync();
        Assert.Equal(created.Headers.Location!.ToString(), $"/api/v1/incidents/{incident}/data-loss/{view.GetProperty("id").GetString()}");
        var resource = view.GetProperty("resources")[0];
        Assert.Equal($"arn:aws:s3:::{bucket}", resource.GetProperty("resource").GetString());
        Assert.Equal((12, 12_000, "high", "restricted"), (resource.GetProperty("objects").GetInt32(), resource.GetProperty("bytes").GetInt32(),
            resource.GetProperty("confidence").GetString(), resource.GetProperty("classification").GetString()));
        Assert.Equal("object-read", resource.GetProperty("categories")[0].GetString());
        var clock = view.GetProperty("clocks")[0];
        Assert.Equal(("GDPR Art. 33", 72, false), (clock.GetProperty("regime").GetString(), clock.GetProperty("hours").GetInt32(), clock.GetProperty("overdue").GetBoolean()));
        Assert.InRange(clock.GetProperty("secondsLeft").GetInt64(), 71 * 3600, 72 * 3600);

        await responder.PostAsync($"/api/v1/incidents/{incident}/data-loss", null);
        var latest = await (await viewer.GetAsync($"/api/v1/incidents/{incident}/data-loss")).JsonAsync();
        var history = await (await viewer.GetAsync($"/api/v1/incidents/{incident}/data-loss/history")).JsonAsync();
        Assert.Equal(2, history.GetArrayLength());
        Assert.Equal(latest.GetProperty("id").GetString(), history[0].GetProperty("id").GetString());
        Assert.Equal(clock.GetProperty("start").GetString(), latest.GetProperty("clocks")[0].GetProperty("start").GetString());
        var first = await viewer.GetAsync($"/api/v1/incidents/{incident}/data-loss/{view.GetProperty("id").GetString()}");
        Assert.Equal(HttpStatusCode.OK, first.StatusCode);

        // The report's data-loss section is the latest assessment.
        var report = await viewer.GetStringAsync($"/api/v1/incidents/{incident}/report?format=md");
        Assert.Contains($"arn:aws:s3:::{bucket}", report, StringComparison.Ordinal);
        Assert.DoesNotContain("Not assessed: no data-loss assessment", report, StringComparison.Ordinal);
    }

    [Fact]
    public async Task WrongRoleTenantOrId_AnswerProblemDetails()
    {
        var incident = await IncidentWithReadsAsync("press-kit");
        var url = $"/api/v1/incidents/{incident}/data-loss";
        await ProblemDetailsTests.AssertProblemAsync(await fixture.Acme.Client(Role.Viewer).PostAsync(url, null), HttpStatusCode.Forbidden);
        await ProblemDetailsTests.AssertProblemAsync(await fixture.Server.Client().PostAsync(url, null), HttpStatusCode.Unauthorized);
        await ProblemDetailsTests.AssertProblemAsync(await fixture.Globex.Client(Role.Admin).PostAsync(url, null), HttpStatusCode.NotFound);
        await ProblemDetailsTests.AssertProblemAsync(await fixture.Acme.Client(Role.Responder).PostAsync("/api/v1/incidents/INC-1999-9999/data-loss", null), HttpStatusCode.NotFound);
        await ProblemDetailsTests.AssertProblemAsync(await fixture.Acme.Client(Role.Viewer).GetAsync($"{url}/{Guid.NewGuid()}"), HttpStatusCode.NotFound);
        var notGuid = await fixture.Acme.Client(Role.Viewer).GetAsync($"{url}/not-a-guid");
        Assert.Equal(HttpStatusCode.NotFound, notGuid.StatusCode);
        var created = await (await fixture.Acme.Client(Role.Responder).PostAsync(url, null)).JsonAsync();
        await ProblemDetailsTests.AssertProblemAsync(await fixture.Globex.Client(Role.Viewer).GetAsync($"{url}/{created.GetProperty("id").GetString()}"), HttpStatusCode.NotFound);
        await ProblemDetailsTests.AssertProblemAsync(await fixture.Globex.Client(Role.Viewer).GetAsync($"{url}/history"), HttpStatusCode.NotFound);
    }
}
