using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;
using Firebreak.Testing;

namespace Firebreak.Cli.Tests.ThreatIntel;

public sealed class ThreatIntelCommandTests(ServerFixture server) : IClassFixture<ServerFixture>, IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("firebreak-intel-cli-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    private static JsonObject Indicator(int n, string pattern) => new()
    {
        ["type"] = "indicator", ["spec_version"] = "2.1", ["id"] = $"indicator--{n:D8}-1111-4000-8000-000000000000",
        ["created"] = "2026-01-01T00:00:00Z", ["modified"] = "2026-01-01T00:00:00Z", ["pattern"] = pattern, ["pattern_type"] = "stix", ["valid_from"] = "2026-01-01T00:00:00Z",
    };

    private const string Event = """
        { "Event": { "uuid": "5f1d2c3b-4a59-4687-9a1b-2c3d4e5f6a7b", "info": "Phishing", "Tag": [ { "name": "tlp:green" } ], "Attribute": [
          { "uuid": "c1", "type": "domain", "value": "cli-phish.example.net", "to_ids": true },
          { "uuid": "c2", "type": "comment", "value": "context", "to_ids": false } ] } }
        """;

    [Fact]
    public async Task Import_Feeds_AndPoll_WorkEndToEnd()
    {
        var bundle = Path.Combine(_folder, "bundle.json");
        await File.WriteAllTextAsync(bundle, new JsonObject
        {
            ["type"] = "bundle", ["id"] = "bundle--cli",
            ["objects"] = new JsonArray(Indicator(1, "[ipv4-addr:value = '203.0.113.201']"), Indicator(2, "[ipv4-addr:value = '192.0.2.1' AND ipv4-addr:value = '192.0.2.2']")),
        }.ToJsonString(), TestContext.Current.CancellationToken);
        var stix = await server.RunAsync("intel", "import", bundle, "--format", "stix", "--feed", "CLI partner");
        Assert.True(stix.ExitCode == 0, stix.ToString());
        Assert.Contains("'AND'", stix.Out);
        Assert.Contains("Imported into feed 'CLI partner'", stix.Out);

        var feedFolder = Directory.CreateDirectory(Path.Combine(_folder, "misp")).FullName;
        await File.WriteAllTextAsync(Path.Combine(feedFolder, "manifest.json"),
            """{ "5f1d2c3b-4a59-4687-9a1b-2c3d4e5f6a7b": { "info": "Phishing", "timestamp": "1770710400" } }""", TestContext.Current.CancellationToken);
        await File.WriteAllTextAsync(Path.Combine(feedFolder, "5f1d2c3b-4a59-4687-9a1b-2c3d4e5f6a7b.json"), Event, TestContext.Current.CancellationToken);
        var misp = await server.RunAsync("intel", "import", feedFolder, "--format", "misp", "--feed", "CLI MISP", "--json");
        Assert.True(misp.ExitCode == 0, misp.ToString());
        var summary = JsonDocument.Parse(misp.Out).RootElement[0];
        Assert.Equal((1, 1), (summary.GetProperty("added").GetInt32(), summary.GetProperty("skipped").GetInt32()));

        await using var taxii = await TaxiiTestServer.StartAsync();
        taxii.Add("cli", DateTimeOffset.UtcNow.AddDays(-1), Indicator(3, "[domain-name:value = 'taxii-cli.example.org']"), Indicator(4, "[url:value = 'https://taxii-cli.example.org/x']"));
        using (var http = new HttpClient { BaseAddress = new Uri(server.Url) })
        {
            http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", await server.CreateApiKeyAsync("admin"));
            var created = await http.PostAsJsonAsync("/api/v1/intel/feeds", new { name = "CLI TAXII", kind = "taxii", url = taxii.ApiRoot.AbsoluteUri, collectionId = "cli" },
                TestContext.Current.CancellationToken);
            Assert.True(created.IsSuccessStatusCode, await created.Content.ReadAsStringAsync(TestContext.Current.CancellationToken));
            await http.PostAsJsonAsync("/api/v1/intel/feeds", new { name = "CLI broken", kind = "taxii", url = taxii.ApiRoot.AbsoluteUri, collectionId = "missing" },
                TestContext.Current.CancellationToken);
        }
        var poll = await server.RunAsync("intel", "poll", "CLI TAXII");
        Assert.True(poll.ExitCode == 0, poll.ToString());
        Assert.Contains("2 added", poll.Out);
        var broken = await server.RunAsync("intel", "poll", "CLI broken");
        Assert.Equal(1, broken.ExitCode);
        Assert.Contains("404", broken.Err);
        var upload = await server.RunAsync("intel", "poll", "CLI partner");
        Assert.Equal(1, upload.ExitCode);
        Assert.Contains("nothing to poll", upload.Err);

        var feeds = await server.RunAsync("intel", "feeds");
        Assert.True(feeds.ExitCode == 0, feeds.ToString());
        Assert.Contains("CLI partner", feeds.Out);
        Assert.Contains("CLI TAXII", feeds.Out);
        Assert.Contains("failed", feeds.Out);
        var json = await server.RunAsync("intel", "feeds", "--json");
        var list = JsonDocument.Parse(json.Out).RootElement.EnumerateArray().ToDictionary(f => f.GetProperty("name").GetString()!);
        Assert.Equal(2, list["CLI TAXII"].GetProperty("indicatorCount").GetInt32());
        Assert.Equal(1, list["CLI partner"].GetProperty("indicatorCount").GetInt32());
    }

    [Fact]
    public async Task BadInput_IsAUsageErrorOrARefusal()
    {
        var missing = await server.RunAsync("intel", "import", Path.Combine(_folder, "nope.json"), "--format", "stix");
        Assert.Equal(2, missing.ExitCode);
        Assert.Contains("No such file", missing.Err);
        var noFormat = await server.RunAsync("intel", "import", Path.Combine(_folder, "nope.json"));
        Assert.Equal(2, noFormat.ExitCode);
        var wrongFormat = await server.RunAsync("intel", "import", Path.Combine(_folder, "nope.json"), "--format", "yara");
        Assert.Equal(2, wrongFormat.ExitCode);
        var folder = await server.RunAsync("intel", "import", _folder, "--format", "stix");
        Assert.Equal(2, folder.ExitCode);
        Assert.Contains("--format misp", folder.Err);
        var noManifest = await server.RunAsync("intel", "import", _folder, "--format", "misp");
        Assert.Equal(2, noManifest.ExitCode);
        Assert.Contains("manifest.json", noManifest.Err);

        var broken = Path.Combine(_folder, "broken.json");
        await File.WriteAllTextAsync(broken, "{ \"type\": \"bundle\", ", TestContext.Current.CancellationToken);
        var malformed = await server.RunAsync("intel", "import", broken, "--format", "stix");
        Assert.NotEqual(0, malformed.ExitCode);
        Assert.Contains("not valid JSON", malformed.Err);
        var unknown = await server.RunAsync("intel", "poll", "no-such-feed");
        Assert.Equal(1, unknown.ExitCode);
        Assert.Contains("not found", unknown.Err);
    }
}
