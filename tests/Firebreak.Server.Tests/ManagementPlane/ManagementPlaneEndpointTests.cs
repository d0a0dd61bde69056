using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Firebreak.Core.Identity;
using Firebreak.Server.Tests.Api;

namespace Firebreak.Server.Tests.ManagementPlane;

public class ManagementPlaneEndpointTests(ServerFixture fixture) : IClassFixture<ServerFixture>
{
    private HttpClient Responder => fixture.Acme.Client(Role.Responder);

    private static string Record(string id, string name, string source, int minute) => JsonSerializer.Serialize(new Dictionary<string, object?>
    {
        ["eventVersion"] = "1.09",
        ["eventID"] = id,
        ["eventTime"] = new DateTimeOffset(2026, 3, 1, 0, minute, 0, TimeSpan.Zero).ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", System.Globalization.CultureInfo.InvariantCulture),
        ["eventSource"] = source,
        ["eventName"] = name,
        ["awsRegion"] = "us-east-1",
        ["recipientAccountId"] = "111122223333",
        ["userIdentity"] = new { type = "IAMUser", arn = "arn:aws:iam::111122223333:user/mallory" },
    });

    /// <summary>An incident whose CloudTrail upload (one StopLogging among ordinary calls) has been imported, and the check that ran after it.</summary>
    private async Task<(string Incident, JsonElement Check)> ImportedAsync()
    {
        var incident = (await Responder.CreateIncidentAsync(new { title = "Control plane" })).GetProperty("reference").GetString()!;
        var lines = string.Join('\n', Record("e1", "DescribeInstances", "ec2.amazonaws.com", 0), Record("e2", "StopLogging", "cloudtrail.amazonaws.com", 1),
            Record("e3", "ListBuckets", "s3.amazonaws.com", 2));
        var content = new ByteArrayContent(Encoding.UTF8.GetBytes(lines));
        content.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
        var upload = await Responder.PostAsync($"/api/v1/incidents/{incident}/events/imports/upload?name=trail.json", content);
        Assert.Equal(HttpStatusCode.Accepted, upload.StatusCode);
        await InvestigationEndpointTests.WaitForImportAsync(Responder, incident, (await upload.JsonAsync()).GetProperty("id").GetString()!);
        for (var i = 0; i < 300; i++)
        {
            var latest = await Responder.GetAsync($"/api/v1/incidents/{incident}/management-plane/checks/latest");
            if (latest.StatusCode == HttpStatusCode.OK) return (incident, await latest.JsonAsync());
            Assert.Equal(HttpStatusCode.NotFound, latest.StatusCode);
            await Task.Delay(100);
        }
        throw new TimeoutException("The check did not run after the import.");
    }

    private static JsonElement Item(JsonElement run, string id) => run.GetProperty("items").EnumerateArray().Single(i => i.GetProperty("id").GetString() == id);

    [Fact]
    public async Task ImportRunsTheCheck_ThenRunListGetAndReview_ClearTheContainmentWarning()
    {
        var (incident, check) = await ImportedAsync();
        Assert.Equal("import", check.GetProperty("trigger").GetString());
        var logging = Item(check, "aws.logging");
        Assert.Equal("fail", logging.GetProperty("status").GetString());
        Assert.Equal(1, logging.GetProperty("evidenceCount").GetInt64());
        var evidenceId = logging.GetProperty("evidence")[0].GetInt64();
        var evidence = await (await Responder.GetAsync($"/api/v1/incidents/{incident}/events/{evidenceId}")).JsonAsync();
        Assert.Equal("StopLogging", evidence.GetProperty("event").GetProperty("operation").GetString());
        Assert.Equal("not-applicable", Item(check, "azure.logging").GetProperty("status").GetString());

        var readiness = await (await fixture.Acme.Client(Role.Viewer).GetAsync($"/api/v1/incidents/{incident}/management-plane/readiness")).JsonAsync();
        Assert.False(readiness.GetProperty("ready").GetBoolean());
        Assert.Contains(readiness.GetProperty("warnings").EnumerateArray(), w => w.GetString()!.StartsWith("Management-plane check failed: Is AWS logging intact? (1 event)", StringComparison.Ordinal));

        var run = await Responder.PostAsJsonAsync($"/api/v1/incidents/{incident}/management-plane/checks", new { from = "2026-03-01T00:02:00Z" });
        Assert.Equal(HttpStatusCode.Created, run.StatusCode);
        var manual = await run.JsonAsync();
        Assert.Equal("manual", manual.GetProperty("trigger").GetString());
        Assert.Equal("pass", Item(manual, "aws.logging").GetProperty("status").GetString());
        Assert.Equal(run.Headers.Location!.ToString(), $"/api/v1/incidents/{incident}/management-plane/checks/{manual.GetProperty("id").GetString()}");
        var noBody = await Responder.PostAsync($"/api/v1/incidents/{incident}/management-plane/checks", null);
        Assert.Equal(HttpStatusCode.Created, noBody.StatusCode);
        var newest = await noBody.JsonAsync();
        var newestId = newest.GetProperty("id").GetString();

        var history = await (await fixture.Acme.Client(Role.Viewer).GetAsync($"/api/v1/incidents/{incident}/management-plane/checks")).JsonAsync();
        Assert.Equal(3, history.GetArrayLength());
        Assert.Equal(newestId, history[0].GetProperty("id").GetString());
        var get = await fixture.Acme.Client(Role.Viewer).GetAsync($"/api/v1/incidents/{incident}/management-plane/checks/{newestId}");
        Assert.Equal(HttpStatusCode.OK, get.StatusCode);
        Assert.NotNull(get.Headers.ETag);

        var stale = new HttpRequestMessage(HttpMethod.Post, $"/api/v1/incidents/{incident}/management-plane/checks/{newestId}/review") { Content = JsonContent.Create(new { note = "x" }) };
        stale.Headers.IfMatch.Add(new EntityTagHeaderValue("\"99\""));
        Assert.Equal(HttpStatusCode.Conflict, (await Responder.SendAsync(stale)).StatusCode);
        var older = await Responder.PostAsJsonAsync($"/api/v1/incidents/{incident}/management-plane/checks/{manual.GetProperty("id").GetString()}/review", new { note = "old" });
        Assert.Equal(HttpStatusCode.Conflict, older.StatusCode);
        var review = await Responder.PostAsJsonAsync($"/api/v1/incidents/{incident}/management-plane/checks/{newestId}/review", new { note = "StopLogging was the attacker; trail restarted at 10:02." });
        Assert.Equal(HttpStatusCode.OK, review.StatusCode);
        var reviewed = await review.JsonAsync();
        Assert.Equal("api-key:responder key", reviewed.GetProperty("reviewedBy").GetString());
        Assert.Equal("StopLogging was the attacker; trail restarted at 10:02.", reviewed.GetProperty("reviewNote").GetString());
        Assert.Equal(HttpStatusCode.Conflict, (await Responder.PostAsJsonAsync($"/api/v1/incidents/{incident}/management-plane/checks/{newestId}/review", new { note = "again" })).StatusCode);

        // Reviewed, but the failure stays in the warning until a clean run is reviewed.
        readiness = await (await Responder.GetAsync($"/api/v1/incidents/{incident}/management-plane/readiness")).JsonAsync();
        Assert.False(readiness.GetProperty("ready").GetBoolean());
        Assert.Single(readiness.GetProperty("warnings").EnumerateArray());
    }

    [Fact]
    public async Task BadInput_WrongRoleAndOtherTenant_AreProblems()
    {
        var incident = (await Responder.CreateIncidentAsync(new { title = "Bad input" })).GetProperty("reference").GetString()!;
        var url = $"/api/v1/incidents/{incident}/management-plane/checks";

        var notFound = await Responder.GetAsync($"{url}/latest");
        Assert.Equal(HttpStatusCode.NotFound, notFound.StatusCode);
        Assert.Equal("application/problem+json", notFound.Content.Headers.ContentType?.MediaType);

        var backwards = await Responder.PostAsJsonAsync(url, new { from = "2026-03-02T00:00:00Z", to = "2026-03-01T00:00:00Z" });
        Assert.Equal(HttpStatusCode.BadRequest, backwards.StatusCode);
        Assert.True((await backwards.JsonAsync()).GetProperty("errors").TryGetProperty("from", out _));
        var wrongType = await Responder.PostAsync(url, new StringContent("""{"from":"yesterday"}""", Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.BadRequest, wrongType.StatusCode);
        Assert.Equal("application/problem+json", wrongType.Content.Headers.ContentType?.MediaType);
        var unknownField = await Responder.PostAsJsonAsync(url, new { window = "all" });
        Assert.Equal(HttpStatusCode.BadRequest, unknownField.StatusCode);
        var malformed = await Responder.PostAsync(url, new StringContent("{", Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.BadRequest, malformed.StatusCode);
        // Expect: 100-continue: refused from the Content-Length before the body is sent, so the answer cannot race the upload.
        var big = new HttpRequestMessage(HttpMethod.Post, url) { Content = new StringContent("{\"from\":\"" + new string('x', 1_100_000) + "\"}", Encoding.UTF8, "application/json") };
        big.Headers.ExpectContinue = true;
        var oversized = await Responder.SendAsync(big);
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, oversized.StatusCode);

        var created = await (await Responder.PostAsJsonAsync(url, new { })).JsonAsync();
        var id = created.GetProperty("id").GetString();
        var longNote = await Responder.PostAsJsonAsync($"{url}/{id}/review", new { note = new string('x', 4_001) });
        Assert.Equal(HttpStatusCode.BadRequest, longNote.StatusCode);
        Assert.True((await longNote.JsonAsync()).GetProperty("errors").TryGetProperty("note", out _));
        Assert.Equal(HttpStatusCode.NotFound, (await Responder.PostAsJsonAsync($"{url}/{Guid.NewGuid()}/review", new { note = "x" })).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await Responder.GetAsync($"{url}/not-a-guid")).StatusCode);

        Assert.Equal(HttpStatusCode.Forbidden, (await fixture.Acme.Client(Role.Viewer).PostAsJsonAsync(url, new { })).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await fixture.Acme.Client(Role.Viewer).PostAsJsonAsync($"{url}/{id}/review", new { note = "x" })).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await fixture.Server.Client().GetAsync(url)).StatusCode);
        var globex = fixture.Globex.Client(Role.Admin);
        var incidentId = (await (await Responder.GetAsync($"/api/v1/incidents/{incident}")).JsonAsync()).GetProperty("id").GetString();
        Assert.Equal(HttpStatusCode.NotFound, (await globex.GetAsync($"/api/v1/incidents/{incidentId}/management-plane/checks/{id}")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await globex.PostAsJsonAsync($"/api/v1/incidents/{incidentId}/management-plane/checks", new { })).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await globex.PostAsJsonAsync($"/api/v1/incidents/{incidentId}/management-plane/checks/{id}/review", new { note = "x" })).StatusCode);
        Assert.Equal(1, (await (await Responder.GetAsync(url)).JsonAsync()).GetArrayLength());
    }
}
