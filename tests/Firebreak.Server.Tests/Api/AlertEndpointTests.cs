using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Firebreak.Core.Identity;

namespace Firebreak.Server.Tests.Api;

public class AlertEndpointTests(ServerFixture fixture) : IClassFixture<ServerFixture>
{
    private HttpClient Tool => fixture.Acme.Client(Role.Responder);

    private const string GuardDutyEvent = """
        {
          "version": "0", "id": "c8c4daa7-a20c-2f03-0070-b7393dd542ad", "detail-type": "GuardDuty Finding", "source": "aws.guardduty",
          "account": "123456789012", "time": "2026-11-28T10:00:00Z", "region": "eu-west-1", "resources": [],
          "detail": {
            "schemaVersion": "2.0", "accountId": "123456789012", "region": "eu-west-1", "partition": "aws",
            "id": "16afba5c5c43e07c9e3e5e2e544e95df", "arn": "arn:aws:guardduty:eu-west-1:123456789012:detector/12abc34d567e8fa901bc2d34e56789f0/finding/16afba5c5c43e07c9e3e5e2e544e95df",
            "type": "UnauthorizedAccess:IAMUser/TorIPCaller",
            "resource": { "resourceType": "AccessKey", "accessKeyDetails": { "accessKeyId": "AKIAIOSFODNN7EXAMPLE", "principalId": "AIDAEXAMPLE", "userName": "ci-deployer", "userType": "IAMUser" } },
            "service": {
              "serviceName": "guardduty", "detectorId": "12abc34d567e8fa901bc2d34e56789f0",
              "action": { "actionType": "AWS_API_CALL", "awsApiCallAction": { "api": "ListBuckets", "serviceName": "s3.amazonaws.com", "callerType": "Remote IP",
                "remoteIpDetails": { "ipAddressV4": "198.51.100.66" } } },
              "eventFirstSeen": "2026-11-28T09:50:00Z", "eventLastSeen": "2026-11-28T09:58:00Z", "archived": false, "count": 3
            },
            "severity": 5, "createdAt": "2026-11-28T09:59:00Z", "updatedAt": "2026-11-28T09:59:30Z",
            "title": "API ListBuckets was invoked from a Tor exit node.", "description": "An API was invoked from a Tor exit node IP address."
          }
        }
        """;

    [Fact]
    public async Task GenericAlert_IsStored_AndARepeatCountsInsteadOfDuplicating()
    {
        var alert = new { source = "edr", sourceReference = "det-881", title = "Credential dumping", severity = "high", observables = new[] { new { type = "ip", value = "203.0.113.5" } } };
        var first = await (await Tool.PostAsJsonAsync("/api/v1/alerts", alert)).JsonAsync();
        var again = await (await Tool.PostAsJsonAsync("/api/v1/alerts", alert)).JsonAsync();

        var id = first.GetProperty("alerts")[0].GetProperty("id").GetGuid();
        Assert.Equal(id, again.GetProperty("alerts")[0].GetProperty("id").GetGuid());
        Assert.True(again.GetProperty("alerts")[0].GetProperty("duplicate").GetBoolean());
        var stored = await (await Tool.GetAsync($"/api/v1/alerts/{id}")).JsonAsync();
        Assert.Equal(2, stored.GetProperty("occurrenceCount").GetInt32());
        Assert.Equal("high", stored.GetProperty("severity").GetString());
        Assert.Contains("det-881", stored.GetProperty("rawPayload").GetString());
    }

    [Fact]
    public async Task NativeGuardDutyEvent_MapsToTheAlertModel()
    {
        var response = await Tool.PostAsync("/api/v1/alerts/intake/guardduty", new StringContent(GuardDutyEvent, Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var id = (await response.JsonAsync()).GetProperty("alerts")[0].GetProperty("id").GetGuid();
        var alert = await (await Tool.GetAsync($"/api/v1/alerts/{id}")).JsonAsync();

        Assert.Equal("guardduty", alert.GetProperty("format").GetString());
        Assert.Equal("16afba5c5c43e07c9e3e5e2e544e95df", alert.GetProperty("sourceReference").GetString());
        Assert.Equal("123456789012", alert.GetProperty("account").GetString());
        Assert.Contains(alert.GetProperty("principals").EnumerateArray(), p => p.GetProperty("value").GetString() == "AKIAIOSFODNN7EXAMPLE");
        Assert.Contains(alert.GetProperty("observables").EnumerateArray(), p => p.GetProperty("value").GetString() == "198.51.100.66");
    }

    [Fact]
    public async Task CefLines_AreTakenAsPlainText()
    {
        var lines = "CEF:0|Acme|IDS|4.2|1001|Port scan|7|src=203.0.113.50 dst=10.0.0.5 externalId=ids-1\nCEF:0|Acme|IDS|4.2|1002|Brute force|9|src=203.0.113.51 suser=admin externalId=ids-2\n";
        var response = await Tool.PostAsync("/api/v1/alerts/intake/cef", new StringContent(lines, Encoding.UTF8, "text/plain"));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(2, (await response.JsonAsync()).GetProperty("alerts").GetArrayLength());
    }

    [Theory]
    [InlineData("generic", "{\"source\": \"x\", \"title\": 5}", "application/json", HttpStatusCode.BadRequest)]
    [InlineData("generic", "{\"source\": \"x\", \"title\": \"t\"", "application/json", HttpStatusCode.BadRequest)]
    [InlineData("generic", "{\"schemaVersion\": \"9\", \"alerts\": []}", "application/json", HttpStatusCode.UnprocessableEntity)]
    [InlineData("generic", "{\"source\": \"x\", \"title\": \"t\"}", "text/plain", HttpStatusCode.UnsupportedMediaType)]
    [InlineData("cef", "not a cef line", "text/plain", HttpStatusCode.BadRequest)]
    [InlineData("splunk", "{}", "application/json", HttpStatusCode.NotFound)]
    [InlineData("generic", "", "application/json", HttpStatusCode.BadRequest)]
    public async Task BadPayloads_AreRefusedWithAProblem(string format, string body, string mediaType, HttpStatusCode status)
    {
        var response = await Tool.PostAsync($"/api/v1/alerts/intake/{format}", new StringContent(body, Encoding.UTF8, mediaType));
        await ProblemDetailsTests.AssertProblemAsync(response, status);
    }

    [Fact]
    public async Task MalformedBatch_NamesTheJsonPath_AndStoresNothing()
    {
        var body = "[{\"source\":\"batch-test\",\"title\":\"ok\"},{\"source\":\"batch-test\",\"title\":[1]}]";
        var response = await Tool.PostAsync("/api/v1/alerts/batch", new StringContent(body, Encoding.UTF8, "application/json"));
        var problem = await ProblemDetailsTests.AssertProblemAsync(response, HttpStatusCode.BadRequest);
        Assert.Contains(problem.GetProperty("errors").EnumerateObject(), e => e.Name.StartsWith("$[1]", StringComparison.Ordinal));
        var list = await (await Tool.GetAsync("/api/v1/alerts?source=batch-test")).JsonAsync();
        Assert.Equal(0, list.GetProperty("total").GetInt32());
    }

    [Fact]
    public async Task OversizedPayload_Answers413()
    {
        var huge = "[" + string.Join(",", Enumerable.Repeat("{\"source\":\"big\",\"title\":\"" + new string('x', 400) + "\"}", 45_000)) + "]";
        // Expect: 100-continue lets the server refuse before the body is sent, as a careful client would.
        var request = new HttpRequestMessage(HttpMethod.Post, "/api/v1/alerts/batch") { Content = new StringContent(huge, Encoding.UTF8, "application/json") };
        request.Headers.ExpectContinue = true;
        // A generous wait for the interim answer: on a loaded machine the default second can pass, and then the
        // client starts sending 19 MB into a connection the server has already refused.
        using var client = new HttpClient(new SocketsHttpHandler { Expect100ContinueTimeout = TimeSpan.FromMinutes(1) }) { BaseAddress = fixture.Server.Address };
        client.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", fixture.Acme.Keys[Role.Responder]);
        var response = await client.SendAsync(request);
        await ProblemDetailsTests.AssertProblemAsync(response, HttpStatusCode.RequestEntityTooLarge);
    }

    [Fact]
    public async Task IdempotencyKey_ReturnsTheSameAnswer_WithoutCountingTwice()
    {
        var body = JsonSerializer.Serialize(new[] { new { source = "siem", sourceReference = "idem-1", title = "t" } });
        async Task<JsonElement> SendAsync()
        {
            var request = new HttpRequestMessage(HttpMethod.Post, "/api/v1/alerts/batch") { Content = new StringContent(body, Encoding.UTF8, "application/json") };
            request.Headers.Add("Idempotency-Key", "retry-7f3a");
            return await (await Tool.SendAsync(request)).JsonAsync();
        }
        var first = await SendAsync();
        var second = await SendAsync();

        Assert.True(second.GetProperty("replayed").GetBoolean());
        var id = first.GetProperty("alerts")[0].GetProperty("id").GetGuid();
        Assert.Equal(id, second.GetProperty("alerts")[0].GetProperty("id").GetGuid());
        Assert.Equal(1, (await (await Tool.GetAsync($"/api/v1/alerts/{id}")).JsonAsync()).GetProperty("occurrenceCount").GetInt32());
    }

    [Fact]
    public async Task QueueTriagePromoteAndUndo_WorkOverHttp()
    {
        var ids = (await (await Tool.PostAsJsonAsync("/api/v1/alerts/batch", new[]
        {
            new { source = "flow", title = "Beacon to 198.51.100.9", principals = new[] { new { type = "access-key", value = "AKIAFLOW" } } },
            new { source = "flow", title = "Large upload", principals = new[] { new { type = "access-key", value = "AKIAFLOW" } } },
        })).JsonAsync()).GetProperty("alerts").EnumerateArray().Select(a => a.GetProperty("id").GetGuid()).ToList();

        var groups = await (await Tool.GetAsync("/api/v1/alerts/groups")).JsonAsync();
        Assert.Contains(groups.EnumerateArray(), g => g.GetProperty("linkedBy").EnumerateArray().Any(l => l.GetProperty("value").GetString() == "AKIAFLOW"));
        var triage = await Tool.PostAsJsonAsync("/api/v1/alerts/triage", new { alertIds = ids, state = "false-positive" });
        await ProblemDetailsTests.AssertProblemAsync(triage, HttpStatusCode.BadRequest);

        var promoted = await (await Tool.PostAsJsonAsync("/api/v1/alerts/promote", new { alertIds = ids, category = "compromised-credentials" })).JsonAsync();
        var reference = promoted.GetProperty("incidentReference").GetString();
        var incident = await (await Tool.GetAsync($"/api/v1/incidents/{reference}")).JsonAsync();
        Assert.Equal("compromised-credentials", incident.GetProperty("category").GetString());
        var undo = await Tool.PostAsync($"/api/v1/escalations/{promoted.GetProperty("id").GetGuid()}/undo", null);
        Assert.Equal(HttpStatusCode.OK, undo.StatusCode);
        var alert = await (await Tool.GetAsync($"/api/v1/alerts/{ids[0]}")).JsonAsync();
        Assert.Equal("new", alert.GetProperty("triageState").GetString());
    }
}
