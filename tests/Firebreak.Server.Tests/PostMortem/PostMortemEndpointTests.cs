using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Firebreak.Core.Identity;
using Firebreak.Server.Tests.Api;

namespace Firebreak.Server.Tests.PostMortem;

public class PostMortemEndpointTests(ServerFixture fixture) : IClassFixture<ServerFixture>
{
    private HttpClient Responder => fixture.Acme.Client(Role.Responder);

    /// <summary>A write endpoint: a valid body, one with a wrong-typed field, one missing a required field.</summary>
    public sealed record Write(string Method, string Path, string Valid, string WrongType, string Missing, string MissingField);

    private const string Escalation = """{"provider":"aws","caseId":"c-1","openedAt":"2026-11-01T10:00:00Z","slaResponseMinutes":60}""";

    public static TheoryData<string> Writes => new(WriteTable.Keys);

    private static readonly Dictionary<string, Write> WriteTable = new()
    {
        ["review"] = new("PUT", "/review", """{"summary":"s","rootCause":"r"}""", """{"summary":"s","rootCause":7}""", """{"rootCause":"r"}""", "summary"),
        ["add-follow-up"] = new("POST", "/follow-ups", """{"title":"Rotate","dueOn":"2026-12-01"}""", """{"title":"t","dueOn":"tomorrow"}""", """{"notes":"n"}""", "title"),
        ["update-follow-up"] = new("PATCH", "/follow-ups/{followUp}", """{"status":"done"}""", """{"status":"finished"}""", """{"title":" "}""", "title"),
        ["add-data-gap"] = new("POST", "/data-gaps", """{"logSource":"VPC flow logs","wouldHaveShortened":"scoping"}""",
            """{"logSource":"v","wouldHaveShortened":1}""", """{"logSource":"v"}""", "wouldHaveShortened"),
        ["update-data-gap"] = new("PUT", "/data-gaps/{gap}", """{"logSource":"VPC flow logs","wouldHaveShortened":"detection"}""",
            """{"logSource":["v"],"wouldHaveShortened":"detection"}""", """{"wouldHaveShortened":"detection"}""", "logSource"),
        ["add-escalation"] = new("POST", "/provider-escalations", Escalation,
            """{"provider":"aws","caseId":"c","openedAt":"2026-11-01T10:00:00Z","slaResponseMinutes":"an hour"}""", """{"provider":"aws","caseId":"c","openedAt":"2026-11-01T10:00:00Z"}""", "slaResponseMinutes"),
        ["update-escalation"] = new("PUT", "/provider-escalations/{escalation}", Escalation,
            """{"provider":"aws","caseId":"c","openedAt":12,"slaResponseMinutes":60}""", """{"caseId":"c","openedAt":"2026-11-01T10:00:00Z","slaResponseMinutes":60}""", "provider"),
    };

    private async Task<(string Incident, Dictionary<string, string> Ids)> SeedAsync()
    {
        var incident = (await Responder.CreateIncidentAsync(new { title = "post-mortem" })).GetProperty("reference").GetString()!;
        var ids = new Dictionary<string, string>
        {
            ["{followUp}"] = await CreateAsync($"/api/v1/incidents/{incident}/follow-ups", """{"title":"seed"}"""),
            ["{gap}"] = await CreateAsync($"/api/v1/incidents/{incident}/data-gaps", """{"logSource":"seed","wouldHaveShortened":"detection"}"""),
            ["{escalation}"] = await CreateAsync($"/api/v1/incidents/{incident}/provider-escalations", Escalation),
        };
        return (incident, ids);

        async Task<string> CreateAsync(string url, string json)
        {
            var response = await Responder.PostAsync(url, Json(json));
            Assert.Equal(HttpStatusCode.Created, response.StatusCode);
            return (await response.JsonAsync()).GetProperty("id").GetString()!;
        }
    }

    private static StringContent Json(string json) => new(json, Encoding.UTF8, "application/json");

    private static string Url(string incident, Dictionary<string, string> ids, Write write) =>
        ids.Aggregate($"/api/v1/incidents/{incident}{write.Path}", (url, id) => url.Replace(id.Key, id.Value));

    private static HttpRequestMessage Request(Write write, string url, string json, string? ifMatch = null)
    {
        var request = new HttpRequestMessage(new HttpMethod(write.Method), url) { Content = Json(json) };
        if (ifMatch is not null) request.Headers.TryAddWithoutValidation("If-Match", ifMatch);
        return request;
    }

    [Theory, MemberData(nameof(Writes))]
    public async Task Writes_RefuseBadInput_WrongRoleAndWrongTenant_AndChangeNothing(string name)
    {
        var write = WriteTable[name];
        var (incident, ids) = await SeedAsync();
        var url = Url(incident, ids, write);
        var before = await SnapshotAsync(incident);

        await ProblemDetailsTests.AssertProblemAsync(await Responder.SendAsync(Request(write, url, "{\"title\": ")), HttpStatusCode.BadRequest);
        await ProblemDetailsTests.AssertProblemAsync(await Responder.SendAsync(Request(write, url, "[1,2]")), HttpStatusCode.BadRequest);
        await ProblemDetailsTests.AssertProblemAsync(await Responder.SendAsync(Request(write, url, write.WrongType)), HttpStatusCode.BadRequest);
        var missing = await ProblemDetailsTests.AssertProblemAsync(await Responder.SendAsync(Request(write, url, write.Missing)), HttpStatusCode.BadRequest);
        Assert.True(missing.GetProperty("errors").TryGetProperty(write.MissingField, out _), missing.ToString());
        var huge = JsonSerializer.Serialize(new { summary = new string('a', 2 * 1024 * 1024), title = "t", logSource = "l" });
        var oversized = Request(write, url, huge);
        // Answered from the Content-Length before the body is sent, so the refusal cannot race the upload.
        oversized.Headers.ExpectContinue = true;
        await ProblemDetailsTests.AssertProblemAsync(await Responder.SendAsync(oversized), HttpStatusCode.RequestEntityTooLarge);
        var text = new HttpRequestMessage(new HttpMethod(write.Method), url) { Content = new StringContent(write.Valid, Encoding.UTF8, "text/plain") };
        await ProblemDetailsTests.AssertProblemAsync(await Responder.SendAsync(text), HttpStatusCode.UnsupportedMediaType);
        await ProblemDetailsTests.AssertProblemAsync(await fixture.Acme.Client(Role.Viewer).SendAsync(Request(write, url, write.Valid)), HttpStatusCode.Forbidden);
        await ProblemDetailsTests.AssertProblemAsync(await fixture.Globex.Client(Role.Admin).SendAsync(Request(write, url, write.Valid)), HttpStatusCode.NotFound);
        if (write.Method != "POST")
        {
            await ProblemDetailsTests.AssertProblemAsync(await Responder.SendAsync(Request(write, url, write.Valid, "\"not-a-version")), HttpStatusCode.BadRequest);
            if (write.Method == "PUT" && write.Path == "/review")
                Assert.Equal(HttpStatusCode.OK, (await Responder.SendAsync(Request(write, url, write.Valid))).StatusCode);
            var current = await SnapshotAsync(incident);
            await ProblemDetailsTests.AssertProblemAsync(await Responder.SendAsync(Request(write, url, write.Valid, "\"99\"")), HttpStatusCode.Conflict);
            Assert.Equal(current, await SnapshotAsync(incident));
            return;
        }
        Assert.Equal(before, await SnapshotAsync(incident));
    }

    [Theory]
    [InlineData("data-gaps/{gap}")]
    [InlineData("provider-escalations/{escalation}")]
    public async Task Delete_NeedsTheCurrentVersion_TheRightRoleAndTenant(string path)
    {
        var (incident, ids) = await SeedAsync();
        var url = ids.Aggregate($"/api/v1/incidents/{incident}/{path}", (u, id) => u.Replace(id.Key, id.Value));
        await ProblemDetailsTests.AssertProblemAsync(await fixture.Acme.Client(Role.Viewer).DeleteAsync(url), HttpStatusCode.Forbidden);
        await ProblemDetailsTests.AssertProblemAsync(await fixture.Globex.Client(Role.Admin).DeleteAsync(url), HttpStatusCode.NotFound);
        var stale = new HttpRequestMessage(HttpMethod.Delete, url);
        stale.Headers.TryAddWithoutValidation("If-Match", "\"5\"");
        await ProblemDetailsTests.AssertProblemAsync(await Responder.SendAsync(stale), HttpStatusCode.Conflict);
        var current = new HttpRequestMessage(HttpMethod.Delete, url);
        current.Headers.TryAddWithoutValidation("If-Match", "\"0\"");
        Assert.Equal(HttpStatusCode.NoContent, (await Responder.SendAsync(current)).StatusCode);
        await ProblemDetailsTests.AssertProblemAsync(await Responder.DeleteAsync(url), HttpStatusCode.NotFound);
        await ProblemDetailsTests.AssertProblemAsync(await Responder.DeleteAsync($"/api/v1/incidents/{incident}/data-gaps/not-a-guid"), HttpStatusCode.NotFound);
    }

    [Theory]
    [InlineData("/api/v1/follow-ups?status=closed", "status")]
    [InlineData("/api/v1/follow-ups?overdue=maybe", "overdue")]
    [InlineData("/api/v1/follow-ups?pageSize=0", "pageSize")]
    [InlineData("/api/v1/follow-ups?owner=nobody", "owner")]
    [InlineData("/api/v1/metrics/response-times?bucket=year", "bucket")]
    [InlineData("/api/v1/metrics/response-times?groupBy=region", "groupBy")]
    [InlineData("/api/v1/metrics/response-times?severity=SEV9", "severity")]
    [InlineData("/api/v1/metrics/response-times?category=weather", "category")]
    [InlineData("/api/v1/metrics/response-times?from=yesterday", "from")]
    [InlineData("/api/v1/metrics/response-times?from=2026-06-01T00:00:00Z&to=2026-01-01T00:00:00Z", "from")]
    [InlineData("/api/v1/metrics/response-times?from=2000-01-01T00:00:00Z&to=2026-01-01T00:00:00Z&bucket=week", "from")]
    public async Task Reads_RefuseBadQueries(string url, string field)
    {
        var problem = await ProblemDetailsTests.AssertProblemAsync(await fixture.Acme.Client(Role.Viewer).GetAsync(url), HttpStatusCode.BadRequest);
        var errors = problem.TryGetProperty("errors", out var e) ? e.EnumerateObject().Select(p => p.Name).ToList() : [];
        Assert.True(errors.Any(n => n.Contains(field, StringComparison.OrdinalIgnoreCase)) || problem.ToString().Contains(field, StringComparison.OrdinalIgnoreCase),
            problem.ToString());
    }

    [Fact]
    public async Task Reads_OfAnotherTenantsIncident_Answer404()
    {
        var (incident, _) = await SeedAsync();
        var other = fixture.Globex.Client(Role.Admin);
        foreach (var path in new[] { "review", "follow-ups", "data-gaps", "provider-escalations", "metrics" })
            await ProblemDetailsTests.AssertProblemAsync(await other.GetAsync($"/api/v1/incidents/{incident}/{path}"), HttpStatusCode.NotFound);
        var list = await (await other.GetAsync("/api/v1/follow-ups")).JsonAsync();
        Assert.DoesNotContain(incident, list.ToString());
    }

    [Fact]
    public async Task Review_RoundTripsEveryAnswer_WithItsETag()
    {
        var (incident, _) = await SeedAsync();
        var url = $"/api/v1/incidents/{incident}/review";
        var saved = await Responder.PutAsJsonAsync(url, new
        {
            summary = "Key leaked", lessonsLearned = "Scan", rootCause = "No scanning", whatWentWell = "Fast", couldBeBetter = "Paging",
            detectSooner = "Yes", additionalData = "S3 data events", processChangeNeeded = "Yes", processChanges = "Scan pushes", providerSla = "Met",
        });
        Assert.Equal(HttpStatusCode.OK, saved.StatusCode);
        Assert.Equal("\"0\"", saved.Headers.ETag?.Tag);
        var update = new HttpRequestMessage(HttpMethod.Put, url) { Content = JsonContent.Create(new { summary = "Key leaked in a repo" }) };
        update.Headers.TryAddWithoutValidation("If-Match", "\"0\"");
        Assert.Equal(HttpStatusCode.OK, (await Responder.SendAsync(update)).StatusCode);
        var read = await (await fixture.Acme.Client(Role.Viewer).GetAsync(url)).JsonAsync();
        Assert.Equal("Key leaked in a repo", read.GetProperty("summary").GetString());
        Assert.Equal("S3 data events", read.GetProperty("additionalData").GetString());
        Assert.Equal("Scan pushes", read.GetProperty("processChanges").GetString());
        Assert.Equal(1, read.GetProperty("version").GetInt64());
    }

    [Fact]
    public async Task FollowUps_AreListedAcrossIncidents_AndEscalationsCarryTheirSlaReview()
    {
        var (incident, ids) = await SeedAsync();
        var overdue = await Responder.PostAsJsonAsync($"/api/v1/incidents/{incident}/follow-ups", new { title = "Long overdue", dueOn = "2020-01-01", ownerId = fixture.Acme.UserId(Role.Responder) });
        Assert.Equal(HttpStatusCode.Created, overdue.StatusCode);
        var list = await (await fixture.Acme.Client(Role.Viewer).GetAsync($"/api/v1/follow-ups?overdue=true&owner={fixture.Acme.UserId(Role.Responder)}")).JsonAsync();
        var item = Assert.Single(list.GetProperty("items").EnumerateArray());
        Assert.True(item.GetProperty("overdue").GetBoolean());
        Assert.Equal(incident, item.GetProperty("incident").GetProperty("reference").GetString());

        var sla = await (await fixture.Acme.Client(Role.Viewer).GetAsync($"/api/v1/incidents/{incident}/provider-escalations")).JsonAsync();
        Assert.Equal(1, sla.GetProperty("breached").GetInt32());
        var escalation = sla.GetProperty("items")[0];
        Assert.Equal(ids["{escalation}"], escalation.GetProperty("id").GetString());
        Assert.Equal("breached", escalation.GetProperty("sla").GetProperty("outcome").GetString());
        Assert.Equal(DateTimeOffset.Parse("2026-11-01T11:00:00Z"), escalation.GetProperty("sla").GetProperty("responseDueAt").GetDateTimeOffset());
    }

    [Fact]
    public async Task ResponseTrends_CountTheTenantsIncidents_PerBucketAndGroup()
    {
        var client = fixture.Acme.Client(Role.Viewer);
        await Responder.CreateIncidentAsync(new { title = "trend", severity = "SEV1", category = "malware" });
        var trends = await (await client.GetAsync("/api/v1/metrics/response-times?bucket=week&groupBy=severity&from=2026-01-05T00:00:00Z&to=2027-01-04T00:00:00Z")).JsonAsync();
        Assert.Equal("week", trends.GetProperty("bucket").GetString());
        var series = trends.GetProperty("series").EnumerateArray().ToList();
        var sev1 = Assert.Single(series, s => s.GetProperty("severity").GetString() == "SEV1");
        Assert.Equal(52, sev1.GetProperty("points").GetArrayLength());
        Assert.True(sev1.GetProperty("incidents").GetInt32() >= 1);
        var malware = await (await client.GetAsync("/api/v1/metrics/response-times?category=malware&severity=SEV1&from=2026-01-01T00:00:00Z&to=2027-01-01T00:00:00Z")).JsonAsync();
        Assert.Equal(12, malware.GetProperty("series")[0].GetProperty("points").GetArrayLength());
        Assert.InRange(malware.GetProperty("incidents").GetInt32(), 1, sev1.GetProperty("incidents").GetInt32());
        var other = await (await fixture.Globex.Client(Role.Viewer).GetAsync("/api/v1/metrics/response-times?category=malware&severity=SEV1&from=2026-01-01T00:00:00Z&to=2027-01-01T00:00:00Z")).JsonAsync();
        Assert.Equal(0, other.GetProperty("incidents").GetInt32());
    }

    private async Task<string> SnapshotAsync(string incident)
    {
        var viewer = fixture.Acme.Client(Role.Viewer);
        var parts = new List<string>();
        foreach (var path in new[] { "follow-ups", "data-gaps", "provider-escalations" })
            parts.Add(await viewer.GetStringAsync($"/api/v1/incidents/{incident}/{path}"));
        var review = await viewer.GetAsync($"/api/v1/incidents/{incident}/review");
        parts.Add(review.StatusCode == HttpStatusCode.OK ? await review.Content.ReadAsStringAsync() : "no review");
        // The overrun of a breached SLA grows with the clock; everything else must stay as it was.
        return System.Text.RegularExpressions.Regex.Replace(string.Join("\n", parts), "\"overrun\":\"[^\"]*\"", "");
    }
}
