using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Firebreak.Core.Identity;
using Firebreak.Testing;

namespace Firebreak.Server.Tests.Api;

public sealed class InvestigationEndpointTests : IAsyncLifetime
{
    private readonly string _root = Directory.CreateTempSubdirectory("firebreak-investigation-").FullName;
    private TestServer _server = null!;
    private TestTenant _acme = null!;
    private TestTenant _globex = null!;

    public async ValueTask InitializeAsync()
    {
        Directory.CreateDirectory(Path.Combine(_root, "logs"));
        _server = await TestServer.StartAsync(DatabaseKind.Sqlite, Settings(_root));
        _acme = await _server.CreateTenantAsync("Acme");
        _globex = await _server.CreateTenantAsync("Globex");
    }

    public async ValueTask DisposeAsync()
    {
        await _server.DisposeAsync();
        Directory.Delete(_root, recursive: true);
    }

    private static Dictionary<string, string?> Settings(string root) => new()
    {
        ["Firebreak:Investigation:ImportRoots:0"] = Path.Combine(root, "logs"),
        ["Firebreak:Investigation:MaxUploadBytes"] = "200000",
        ["Firebreak:Investigation:BatchSize"] = "50",
        // Every CreateAccessKey here matches a built-in rule; these tests pin events by hand.
        ["Firebreak:Investigation:MatchRules"] = "false",
    };

    internal static string Record(int n, string user = "mallory") => JsonSerializer.Serialize(new Dictionary<string, object?>
    {
        ["eventVersion"] = "1.09",
        ["eventID"] = $"api-{n:D6}",
        ["eventTime"] = new DateTimeOffset(2026, 3, 1, 0, 0, 0, TimeSpan.Zero).AddMinutes(n).ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture),
        ["eventSource"] = "iam.amazonaws.com",
        ["eventName"] = n % 2 == 0 ? "CreateAccessKey" : "ListUsers",
        ["awsRegion"] = "us-east-1",
        ["sourceIPAddress"] = "203.0.113.9",
        ["recipientAccountId"] = "111122223333",
        ["userIdentity"] = new { type = "IAMUser", arn = $"arn:aws:iam::111122223333:user/{user}", accessKeyId = "AKIAAPITEST0001" },
    });

    private static ByteArrayContent Octets(byte[] bytes)
    {
        var content = new ByteArrayContent(bytes);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
        return content;
    }

    private async Task<string> IncidentAsync() =>
        (await _acme.Client(Role.Responder).CreateIncidentAsync(new { title = "Key abuse" })).GetProperty("reference").GetString()!;

    internal static async Task<JsonElement> WaitForImportAsync(HttpClient client, string incident, string id)
    {
        for (var i = 0; i < 600; i++)
        {
            var import = await (await client.GetAsync($"/api/v1/incidents/{incident}/events/imports/{id}")).JsonAsync();
            if (import.GetProperty("status").GetString() is "completed" or "failed") return import;
            await Task.Delay(100);
        }
        throw new TimeoutException("The import did not finish.");
    }

    [Fact]
    public async Task Upload_IsImportedInTheBackground_ThenSearchedPinnedAndExported()
    {
        var incident = await IncidentAsync();
        var responder = _acme.Client(Role.Responder);
        var body = Encoding.UTF8.GetBytes(string.Join('\n', Enumerable.Range(0, 240).Select(n => Record(n, n < 200 ? "mallory" : "alice"))));
        var started = await responder.PostAsync($"/api/v1/incidents/{incident}/events/imports/upload?name=trail.json.gz", Octets(TrailGzip(body)));
        Assert.Equal(HttpStatusCode.Accepted, started.StatusCode);
        var id = (await started.JsonAsync()).GetProperty("id").GetString()!;
        var import = await WaitForImportAsync(responder, incident, id);
        Assert.Equal(("completed", 240, 240, 0), (import.GetProperty("status").GetString(), import.GetProperty("eventsRead").GetInt32(),
            import.GetProperty("eventsStored").GetInt32(), import.GetProperty("duplicates").GetInt32()));

        var viewer = _acme.Client(Role.Viewer);
        var page = await (await viewer.GetAsync($"/api/v1/incidents/{incident}/events?principal=arn:aws:iam::111122223333:user/alice&limit=30")).JsonAsync();
        var items = page.GetProperty("items");
        Assert.Equal(30, items.GetArrayLength());
        var next = page.GetProperty("next").GetString();
        var rest = await (await viewer.GetAsync($"/api/v1/incidents/{incident}/events?principal=arn:aws:iam::111122223333:user/alice&limit=30&after={next}")).JsonAsync();
        Assert.Equal(10, rest.GetProperty("items").GetArrayLength());
        Assert.Equal(JsonValueKind.Null, rest.GetProperty("next").ValueKind);
        var eventId = items[0].GetProperty("id").GetInt64();
        var details = await (await viewer.GetAsync($"/api/v1/incidents/{incident}/events/{eventId}")).JsonAsync();
        Assert.Contains("api-000200", details.GetProperty("raw").GetString(), StringComparison.Ordinal);

        var pinned = await responder.PostAsJsonAsync($"/api/v1/incidents/{incident}/timeline/pins", new { eventIds = new[] { eventId }, keyEvent = true, tactic = "persistence", technique = "T1098.001" });
        Assert.Equal(HttpStatusCode.OK, pinned.StatusCode);
        var entry = (await pinned.JsonAsync()).GetProperty("pinned")[0];
        var entryId = entry.GetProperty("id").GetString();
        var get = await viewer.GetAsync($"/api/v1/incidents/{incident}/timeline/{entryId}");
        var etag = get.Headers.ETag!.Tag;
        var patch = new HttpRequestMessage(HttpMethod.Patch, $"/api/v1/incidents/{incident}/timeline/{entryId}") { Content = JsonContent.Create(new { annotation = "First key created by the attacker" }) };
        patch.Headers.IfMatch.Add(new EntityTagHeaderValue(etag));
        Assert.Equal(HttpStatusCode.OK, (await responder.SendAsync(patch)).StatusCode);
        var stale = new HttpRequestMessage(HttpMethod.Patch, $"/api/v1/incidents/{incident}/timeline/{entryId}") { Content = JsonContent.Create(new { falseLead = true }) };
        stale.Headers.IfMatch.Add(new EntityTagHeaderValue(etag));
        await ProblemDetailsTests.AssertProblemAsync(await responder.SendAsync(stale), HttpStatusCode.Conflict);
        var added = await responder.PostAsJsonAsync($"/api/v1/incidents/{incident}/timeline", new { eventTime = "2026-03-01T01:00:00Z", title = "Access key disabled by responder" });
        Assert.Equal(HttpStatusCode.Created, added.StatusCode);

        var timeline = await (await viewer.GetAsync($"/api/v1/incidents/{incident}/timeline?keyEvents=true")).JsonAsync();
        Assert.Equal(1, timeline.GetProperty("total").GetInt32());
        var csv = await viewer.GetAsync($"/api/v1/incidents/{incident}/timeline/export?format=csv");
        Assert.Equal("text/csv", csv.Content.Headers.ContentType!.MediaType);
        var lines = (await csv.Content.ReadAsStringAsync()).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(3, lines.Length);
        Assert.Contains("Access key disabled by responder", lines[1], StringComparison.Ordinal);
        Assert.Contains("First key created by the attacker", lines[2], StringComparison.Ordinal);
        var json = await (await viewer.GetAsync($"/api/v1/incidents/{incident}/timeline/export?format=json&kind=analyst")).JsonAsync();
        Assert.Equal("Access key disabled by responder", json.GetProperty("entries")[0].GetProperty("entry").GetProperty("title").GetString());
    }

    [Fact]
    public async Task PathImport_ReadsInsideTheRoots_AndRefusesEverythingElse()
    {
        var incident = await IncidentAsync();
        var responder = _acme.Client(Role.Responder);
        var logs = Path.Combine(_root, "logs");
        await File.WriteAllTextAsync(Path.Combine(logs, "one.json"), string.Join('\n', Enumerable.Range(0, 20).Select(n => Record(n))));
        Directory.CreateDirectory(Path.Combine(_root, "private"));
        await File.WriteAllTextAsync(Path.Combine(_root, "private", "x.json"), Record(99));
        File.CreateSymbolicLink(Path.Combine(logs, "link"), Path.Combine(_root, "private"));

        var started = await responder.PostAsJsonAsync($"/api/v1/incidents/{incident}/events/imports", new { kind = "path", path = Path.Combine(logs, "one.json") });
        Assert.Equal(HttpStatusCode.Accepted, started.StatusCode);
        var import = await WaitForImportAsync(responder, incident, (await started.JsonAsync()).GetProperty("id").GetString()!);
        Assert.Equal(20, import.GetProperty("eventsStored").GetInt32());

        foreach (var path in new[] { Path.Combine(_root, "private"), Path.Combine(logs, "..", "private", "x.json"), Path.Combine(logs, "link"), "/etc/passwd", "logs/one.json", Path.Combine(logs, "*.json") })
        {
            var refused = await responder.PostAsJsonAsync($"/api/v1/incidents/{incident}/events/imports", new { kind = "path", path });
            var problem = await ProblemDetailsTests.AssertProblemAsync(refused, HttpStatusCode.BadRequest);
            Assert.True(problem.GetProperty("errors").TryGetProperty("path", out _), path);
        }
        var list = await (await responder.GetAsync($"/api/v1/incidents/{incident}/events/imports")).JsonAsync();
        Assert.Equal(1, list.GetArrayLength());
    }

    [Fact]
    public async Task BadInput_IsRefusedWithProblemDetails()
    {
        var incident = await IncidentAsync();
        var responder = _acme.Client(Role.Responder);
        var viewer = _acme.Client(Role.Viewer);
        var url = $"/api/v1/incidents/{incident}";

        // Upload: wrong media type, too large, no name, empty.
        await ProblemDetailsTests.AssertProblemAsync(await responder.PostAsync($"{url}/events/imports/upload?name=a.json", new StringContent("{}", Encoding.UTF8, "application/json")), HttpStatusCode.UnsupportedMediaType);
        var big = new HttpRequestMessage(HttpMethod.Post, $"{url}/events/imports/upload?name=a.json") { Content = Octets(new byte[300_000]) };
        big.Headers.ExpectContinue = true;
        await ProblemDetailsTests.AssertProblemAsync(await responder.SendAsync(big), HttpStatusCode.RequestEntityTooLarge);
        await ProblemDetailsTests.AssertProblemAsync(await responder.PostAsync($"{url}/events/imports/upload", Octets("{}"u8.ToArray())), HttpStatusCode.BadRequest);
        await ProblemDetailsTests.AssertProblemAsync(await responder.PostAsync($"{url}/events/imports/upload?name=a.json", Octets([])), HttpStatusCode.BadRequest);
        // Server-side imports: unknown kind, malformed JSON, unknown field, bad S3 URI, missing path.
        await ProblemDetailsTests.AssertProblemAsync(await responder.PostAsJsonAsync($"{url}/events/imports", new { kind = "ftp" }), HttpStatusCode.BadRequest);
        await ProblemDetailsTests.AssertProblemAsync(await responder.PostAsync($"{url}/events/imports", new StringContent("{\"kind\":", Encoding.UTF8, "application/json")), HttpStatusCode.BadRequest);
        await ProblemDetailsTests.AssertProblemAsync(await responder.PostAsJsonAsync($"{url}/events/imports", new { kind = "path", path = "/x", extra = 1 }), HttpStatusCode.BadRequest);
        await ProblemDetailsTests.AssertProblemAsync(await responder.PostAsJsonAsync($"{url}/events/imports", new { kind = "s3", s3Uri = "http://169.254.169.254/" }), HttpStatusCode.BadRequest);
        await ProblemDetailsTests.AssertProblemAsync(await responder.PostAsJsonAsync($"{url}/events/imports", new { kind = "path" }), HttpStatusCode.BadRequest);
        await ProblemDetailsTests.AssertProblemAsync(await responder.PostAsJsonAsync($"{url}/events/imports", new { kind = "path", path = new string('a', 5000) }), HttpStatusCode.BadRequest);
        // Search: bad time, bad cursor, page too large, inverted window, over-long filter.
        await ProblemDetailsTests.AssertProblemAsync(await viewer.GetAsync($"{url}/events?from=yesterday"), HttpStatusCode.BadRequest);
        await ProblemDetailsTests.AssertProblemAsync(await viewer.GetAsync($"{url}/events?after=zzz"), HttpStatusCode.BadRequest);
        await ProblemDetailsTests.AssertProblemAsync(await viewer.GetAsync($"{url}/events?limit=100000"), HttpStatusCode.BadRequest);
        await ProblemDetailsTests.AssertProblemAsync(await viewer.GetAsync($"{url}/events?from=2026-03-02T00:00:00Z&to=2026-03-01T00:00:00Z"), HttpStatusCode.BadRequest);
        await ProblemDetailsTests.AssertProblemAsync(await viewer.GetAsync($"{url}/events?q={new string('a', 600)}"), HttpStatusCode.BadRequest);
        await ProblemDetailsTests.AssertProblemAsync(await viewer.GetAsync($"{url}/events/12345"), HttpStatusCode.NotFound);
        await ProblemDetailsTests.AssertProblemAsync(await viewer.GetAsync($"{url}/events/imports/{Guid.NewGuid()}"), HttpStatusCode.NotFound);
        // Timeline: unknown kind, bad page size, bad tactic, missing title, too many pins, unknown export format, wrong-typed flag.
        await ProblemDetailsTests.AssertProblemAsync(await viewer.GetAsync($"{url}/timeline?kind=rumour"), HttpStatusCode.BadRequest);
        await ProblemDetailsTests.AssertProblemAsync(await viewer.GetAsync($"{url}/timeline?pageSize=5000"), HttpStatusCode.BadRequest);
        await ProblemDetailsTests.AssertProblemAsync(await responder.PostAsJsonAsync($"{url}/timeline", new { eventTime = "2026-03-01T00:00:00Z", title = "x", tactic = "teleport" }), HttpStatusCode.BadRequest);
        await ProblemDetailsTests.AssertProblemAsync(await responder.PostAsJsonAsync($"{url}/timeline", new { eventTime = "2026-03-01T00:00:00Z" }), HttpStatusCode.BadRequest);
        await ProblemDetailsTests.AssertProblemAsync(await responder.PostAsJsonAsync($"{url}/timeline/pins", new { eventIds = Enumerable.Range(1, 501).ToArray() }), HttpStatusCode.BadRequest);
        await ProblemDetailsTests.AssertProblemAsync(await viewer.GetAsync($"{url}/timeline/export?format=xml"), HttpStatusCode.BadRequest);
        await ProblemDetailsTests.AssertProblemAsync(await responder.PatchAsJsonAsync($"{url}/timeline/{Guid.NewGuid()}", new { keyEvent = "yes" }), HttpStatusCode.BadRequest);
        await ProblemDetailsTests.AssertProblemAsync(await responder.PatchAsJsonAsync($"{url}/timeline/{Guid.NewGuid()}", new { keyEvent = true }), HttpStatusCode.NotFound);

        // Wrong role and wrong tenant.
        await ProblemDetailsTests.AssertProblemAsync(await viewer.PostAsync($"{url}/events/imports/upload?name=a.json", Octets("{}"u8.ToArray())), HttpStatusCode.Forbidden);
        await ProblemDetailsTests.AssertProblemAsync(await viewer.PostAsJsonAsync($"{url}/timeline", new { eventTime = "2026-03-01T00:00:00Z", title = "x" }), HttpStatusCode.Forbidden);
        var other = _globex.Client(Role.Admin);
        await ProblemDetailsTests.AssertProblemAsync(await other.GetAsync($"{url}/events"), HttpStatusCode.NotFound);
        await ProblemDetailsTests.AssertProblemAsync(await other.GetAsync($"{url}/timeline"), HttpStatusCode.NotFound);
        await ProblemDetailsTests.AssertProblemAsync(await other.PostAsync($"{url}/events/imports/upload?name=a.json", Octets(Encoding.UTF8.GetBytes(Record(1)))), HttpStatusCode.NotFound);
        await ProblemDetailsTests.AssertProblemAsync(await other.GetAsync($"{url}/timeline/export?format=csv"), HttpStatusCode.NotFound);
        Assert.Equal(0, (await (await responder.GetAsync($"{url}/events/imports")).JsonAsync()).GetArrayLength());
    }

    private static byte[] TrailGzip(byte[] data)
    {
        using var output = new MemoryStream();
        using (var gzip = new System.IO.Compression.GZipStream(output, System.IO.Compression.CompressionLevel.Fastest)) gzip.Write(data);
        return output.ToArray();
    }
}
