using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Firebreak.Core.Identity;
using Firebreak.Testing;

namespace Firebreak.Server.Tests.Api;

public class ProblemDetailsTests(ServerFixture fixture) : IClassFixture<ServerFixture>
{
    private HttpClient Responder => fixture.Acme.Client(Role.Responder);

    [Fact]
    public async Task MissingField_Answers400_WithTheFieldNamed()
    {
        var response = await Responder.PostAsJsonAsync("/api/v1/incidents", new { summary = "no title" });
        var problem = await AssertProblemAsync(response, HttpStatusCode.BadRequest);
        Assert.True(problem.GetProperty("errors").TryGetProperty("title", out _));
    }

    [Theory]
    [InlineData("{\"title\": ", "$")]
    [InlineData("{\"title\": \"x\", \"severity\": 5}", "$.severity")]
    [InlineData("{\"title\": \"x\", \"severity\": \"SEV9\"}", "$.severity")]
    [InlineData("{\"title\": \"x\", \"tags\": \"not-a-list\"}", "$.tags")]
    [InlineData("{\"title\": \"x\", \"sevrity\": \"SEV1\"}", "$")]
    [InlineData("[1, 2]", "$")]
    public async Task MalformedOrWrongTypedJson_Answers400_NamingTheJsonPath(string body, string path)
    {
        var response = await Responder.PostAsync("/api/v1/incidents", new StringContent(body, Encoding.UTF8, "application/json"));
        var problem = await AssertProblemAsync(response, HttpStatusCode.BadRequest);
        var errors = problem.GetProperty("errors").EnumerateObject().Select(e => e.Name).ToList();
        Assert.Contains(errors, e => e.StartsWith(path, StringComparison.Ordinal));
        Assert.Equal(0, await CountIncidentsAsync("x"));
    }

    [Fact]
    public async Task TextWithTheNulCharacter_Answers400_NamingTheField_AndWritesNothing()
    {
        var title = "nul-" + Guid.NewGuid().ToString("N")[..8];
        var body = $$"""{"title": "{{title}}", "summary": "a\u0000b"}""";

        var response = await Responder.PostAsync("/api/v1/incidents", new StringContent(body, Encoding.UTF8, "application/json"));
        var problem = await AssertProblemAsync(response, HttpStatusCode.BadRequest);
        var query = await AssertProblemAsync(await Responder.GetAsync("/api/v1/incidents?q=a%00b"), HttpStatusCode.BadRequest);

        Assert.Contains("NUL", problem.GetProperty("errors").GetProperty("body")[0].GetString(), StringComparison.Ordinal);
        Assert.Contains("NUL", query.GetProperty("errors").GetProperty("q")[0].GetString(), StringComparison.Ordinal);
        Assert.Equal(0, await CountIncidentsAsync(title));
        // The escape written out as text is just text.
        Assert.Equal(HttpStatusCode.Created, (await Responder.PostAsJsonAsync("/api/v1/incidents", new { title, summary = "a\\u0000b" })).StatusCode);
    }

    [Fact]
    public async Task NulInAnAlert_Answers400_NamingTheAlertsField()
    {
        // The intake checks its own text (the body is not scanned twice), naming the alert and the field.
        var body = $$"""{"alerts": [{"source": "edr", "title": "fine"}, {"source": "edr", "title": "bad\u0000"}]}""";

        var response = await Responder.PostAsync("/api/v1/alerts/batch", new StringContent(body, Encoding.UTF8, "application/json"));
        var problem = await AssertProblemAsync(response, HttpStatusCode.BadRequest);

        var messages = problem.GetProperty("errors").GetProperty("alerts[1]").EnumerateArray().Select(m => m.GetString()!).ToList();
        Assert.Contains(messages, m => m.Contains("title", StringComparison.Ordinal) && m.Contains("NUL", StringComparison.Ordinal));
    }

    [Fact]
    public async Task NulInAPagesQuery_Answers400_NamingTheParameter()
    {
        using var anonymous = fixture.Server.Client();

        var page = await AssertProblemAsync(await anonymous.GetAsync("/login?returnUrl=%2Fincidents%00"), HttpStatusCode.BadRequest);

        Assert.Contains("NUL", page.GetProperty("errors").GetProperty("returnUrl")[0].GetString(), StringComparison.Ordinal);
        // Authentication comes first: without a key the API answers 401, whatever the query holds.
        Assert.Equal(HttpStatusCode.Unauthorized, (await anonymous.GetAsync("/api/v1/incidents?q=a%00b")).StatusCode);
    }

    [Fact]
    public async Task NulInAPagesQuery_FromABrowser_IsAPageSayingWhichParameter()
    {
        using var anonymous = fixture.Server.Client();
        using var request = new HttpRequestMessage(HttpMethod.Get, "/login?returnUrl=%2Fincidents%00&page=2");
        request.Headers.Accept.ParseAdd("text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8");

        using var response = await anonymous.SendAsync(request);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("text/html", response.Content.Headers.ContentType?.MediaType);
        var page = await response.Content.ReadAsStringAsync();
        Assert.Contains("<code>returnUrl</code> holds the NUL character", page, StringComparison.Ordinal);
        Assert.DoesNotContain("<code>page</code>", page, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(@"{""a"":""x\u0000""}", true)]
    [InlineData(@"{""a"":""x\\u0000""}", false)]
    [InlineData(@"{""a"":""x\\\u0000""}", true)]
    [InlineData(@"{""a"":""x\u0001\u000""}", false)]
    [InlineData(@"{""a"":""\\"",""b"":""u0000""}", false)]
    public void NulEscapes_AreFound_InEverySplitOfTheBody(string json, bool nul)
    {
        var bytes = Encoding.UTF8.GetBytes(json);
        for (var cut = 0; cut <= bytes.Length; cut++)
        {
            var scan = new Firebreak.Server.Hosting.NulText.EscapeScan();
            Assert.Equal(nul, scan.FindsNul(bytes.AsSpan(0, cut)) || scan.FindsNul(bytes.AsSpan(cut)));
        }
    }

    [Fact]
    public async Task WrongContentType_Answers415()
    {
        var response = await Responder.PostAsync("/api/v1/incidents", new StringContent("title=x", Encoding.UTF8, "text/plain"));
        await AssertProblemAsync(response, HttpStatusCode.UnsupportedMediaType);
    }

    [Fact]
    public async Task OversizedBody_Answers413_AndWritesNothing()
    {
        var body = JsonSerializer.Serialize(new { title = "big", summary = new string('a', 2 * 1024 * 1024) });
        // Expect: 100-continue: refused from the Content-Length before the body is sent, so the answer cannot race the upload.
        var request = new HttpRequestMessage(HttpMethod.Post, "/api/v1/incidents") { Content = new StringContent(body, Encoding.UTF8, "application/json") };
        request.Headers.ExpectContinue = true;
        var response = await Responder.SendAsync(request);
        await AssertProblemAsync(response, HttpStatusCode.RequestEntityTooLarge);
        Assert.Equal(0, await CountIncidentsAsync("big"));
    }

    [Fact]
    public async Task OversizedBody_WithoutContentLength_Answers413()
    {
        var content = new StreamContent(new MemoryStream(Encoding.UTF8.GetBytes("{\"title\":\"chunked\",\"summary\":\"" + new string('b', 1024 * 1024 + 1024) + "\"}")));
        content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        var request = new HttpRequestMessage(HttpMethod.Post, "/api/v1/incidents") { Content = content };
        request.Headers.TransferEncodingChunked = true;
        var response = await Responder.SendAsync(request);
        await AssertProblemAsync(response, HttpStatusCode.RequestEntityTooLarge);
    }

    [Fact]
    public async Task UnknownIncident_Answers404()
    {
        var response = await Responder.GetAsync("/api/v1/incidents/INC-1999-0042");
        var problem = await AssertProblemAsync(response, HttpStatusCode.NotFound);
        Assert.Contains("INC-1999-0042", problem.GetProperty("detail").GetString());
    }

    [Fact]
    public async Task StaleIfMatch_Answers409_AndCurrentOneSucceeds()
    {
        var incident = await Responder.CreateIncidentAsync(new { title = "etag" });
        var reference = incident.GetProperty("reference").GetString();
        var get = await Responder.GetAsync($"/api/v1/incidents/{reference}");
        var etag = get.Headers.ETag!.Tag;
        Assert.Equal("\"0\"", etag);

        var ok = await PatchAsync(reference!, new { summary = "first" }, etag);
        Assert.Equal(HttpStatusCode.OK, ok.StatusCode);
        Assert.Equal("\"1\"", ok.Headers.ETag!.Tag);
        var stale = await PatchAsync(reference!, new { summary = "second" }, etag);
        await AssertProblemAsync(stale, HttpStatusCode.Conflict);
        var garbage = await PatchAsync(reference!, new { summary = "third" }, "yesterday");
        await AssertProblemAsync(garbage, HttpStatusCode.BadRequest);
        Assert.Equal("first", (await (await Responder.GetAsync($"/api/v1/incidents/{reference}")).JsonAsync()).GetProperty("summary").GetString());
    }

    [Fact]
    public async Task GuardFailure_Answers409_WithTheReason()
    {
        var incident = await Responder.CreateIncidentAsync(new { title = "guard" });
        var response = await Responder.PostAsJsonAsync($"/api/v1/incidents/{incident.GetProperty("reference").GetString()}/transitions",
            new { to = "containment", reason = "contain now" });
        var problem = await AssertProblemAsync(response, HttpStatusCode.Conflict);
        Assert.Contains("incident manager", problem.GetProperty("detail").GetString());
    }

    [Theory]
    [InlineData("/api/v1/incidents?severity=SEV9")]
    [InlineData("/api/v1/incidents?phase=lunch")]
    [InlineData("/api/v1/incidents?page=abc")]
    [InlineData("/api/v1/incidents?pageSize=100000")]
    [InlineData("/api/v1/incidents?sort=passwordHash")]
    public async Task BadQuery_Answers400(string url)
    {
        await AssertProblemAsync(await Responder.GetAsync(url), HttpStatusCode.BadRequest);
    }

    [Fact]
    public async Task NoCredentials_Answers401_AndBadKey401()
    {
        await AssertProblemAsync(await fixture.Server.Client().GetAsync("/api/v1/incidents"), HttpStatusCode.Unauthorized);
        await AssertProblemAsync(await fixture.Server.Client("fbk_notarealkey_0000").GetAsync("/api/v1/incidents"), HttpStatusCode.Unauthorized);
    }

    [Fact]
    public async Task TooManyRequests_Answers429_WithRetryAfter()
    {
        await using var server = await TestServer.StartAsync(DatabaseKind.Sqlite, new Dictionary<string, string?>
        {
            ["Firebreak:RateLimit:RequestsPerSecond"] = "1",
            ["Firebreak:RateLimit:Burst"] = "3",
        });
        var tenant = await server.CreateTenantAsync("Limited");
        var client = tenant.Client(Role.Viewer);
        var statuses = new List<HttpResponseMessage>();
        for (var i = 0; i < 8; i++) statuses.Add(await client.GetAsync("/api/v1/incidents"));

        var limited = statuses.First(r => r.StatusCode == HttpStatusCode.TooManyRequests);
        await AssertProblemAsync(limited, HttpStatusCode.TooManyRequests);
        Assert.True(int.Parse(limited.Headers.GetValues("Retry-After").Single()) >= 1);
        Assert.Equal(HttpStatusCode.OK, statuses[0].StatusCode);
    }

    private async Task<HttpResponseMessage> PatchAsync(string reference, object body, string etag)
    {
        var request = new HttpRequestMessage(HttpMethod.Patch, $"/api/v1/incidents/{reference}") { Content = JsonContent.Create(body) };
        request.Headers.TryAddWithoutValidation("If-Match", etag);
        return await Responder.SendAsync(request);
    }

    private async Task<int> CountIncidentsAsync(string text)
    {
        var list = await (await Responder.GetAsync($"/api/v1/incidents?q={text}")).JsonAsync();
        return list.GetProperty("items").EnumerateArray().Count(i => i.GetProperty("title").GetString() == text);
    }

    internal static async Task<JsonElement> AssertProblemAsync(HttpResponseMessage response, HttpStatusCode status)
    {
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(status == response.StatusCode, $"expected {(int)status}, got {(int)response.StatusCode}: {text}");
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.DoesNotContain("   at ", text);
        Assert.DoesNotContain("Exception", text);
        var problem = JsonDocument.Parse(text).RootElement.Clone();
        Assert.Equal((int)status, problem.GetProperty("status").GetInt32());
        return problem;
    }
}
