using System.Text;
using System.Text.Json;
using Firebreak.Cli.Commands;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace Firebreak.Cli.Tests.Commands;

public sealed class AlertCommandTests(ServerFixture server) : IClassFixture<ServerFixture>, IDisposable
{
    private readonly List<string> _files = [];

    public void Dispose()
    {
        foreach (var file in _files) File.Delete(file);
    }

    private static string Fixture(string name) => Path.Combine(AppContext.BaseDirectory, "Commands", "Fixtures", "Alerts", name);

    private static JsonElement Json(CliResult result)
    {
        Assert.True(result.ExitCode == 0, result.ToString());
        using var document = JsonDocument.Parse(result.Out);
        return document.RootElement.Clone();
    }

    [Theory]
    [InlineData("generic.json", "generic", 2)]
    [InlineData("ocsf.json", "ocsf", 1)]
    [InlineData("asff.json", "asff", 1)]
    [InlineData("guardduty.json", "guardduty", 1)]
    [InlineData("defender.json", "defender", 1)]
    [InlineData("scc.json", "scc", 1)]
    [InlineData("cef.log", "cef", 2)]
    public async Task Send_DetectsTheFormat_AndTheServerStoresEveryAlert(string file, string format, int alerts)
    {
        var result = Json(await server.RunAsync("alert", "send", Fixture(file), "--json"));

        Assert.Equal(format, result.GetProperty("format").GetString());
        Assert.Equal(alerts, result.GetProperty("received").GetInt32());
        Assert.Equal(alerts, result.GetProperty("stored").GetInt32() + result.GetProperty("duplicates").GetInt32());
        var ids = result.GetProperty("alerts").EnumerateArray().Select(a => a.GetProperty("id").GetGuid()).ToList();
        Assert.Equal(alerts, ids.Distinct().Count());
        Assert.DoesNotContain(Guid.Empty, ids);
    }

    [Fact]
    public async Task Send_WithAnExplicitFormat_PrintsTheCounts()
    {
        var source = "cef-" + Guid.NewGuid().ToString("N")[..8];
        var path = TempFile($"Jan 07 2026 12:00:00 host CEF:0|{source}|Sensor|1.0|7|Beaconing to rare domain|6|src=10.1.1.1 externalId=a1\n"
                            + $"CEF:0|{source}|Sensor|1.0|8|Rare parent process|3|src=10.1.1.2 externalId=a2\n");

        var result = await server.RunAsync("alert", "send", path, "--format", "CEF");

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Contains("Sent 2 alert(s) as cef.", result.Out);
        Assert.Contains("Stored:      2 new", result.Out);
        Assert.Contains("Duplicates:  0", result.Out);
        var listed = Json(await server.RunAsync("alert", "list", "--source", $"cef:{source}/Sensor", "--json"));
        Assert.Equal(2, listed.GetProperty("total").GetInt32());
    }

    [Fact]
    public async Task Send_ReadsStandardInput_AndCountsARepeatAsADuplicate()
    {
        var source = "stdin-" + Guid.NewGuid().ToString("N")[..8];
        var alert = $$"""{"source":"{{source}}","sourceReference":"r-1","title":"Root user signed in","severity":"critical"}""";

        var first = Json(await server.RunWithInputAsync(alert, "alert", "send", "-", "--json"));
        var again = Json(await server.RunWithInputAsync(alert, "alert", "send", "-", "--json"));

        Assert.Equal("generic", first.GetProperty("format").GetString());
        Assert.Equal(1, first.GetProperty("stored").GetInt32());
        Assert.Equal(0, again.GetProperty("stored").GetInt32());
        Assert.Equal(1, again.GetProperty("duplicates").GetInt32());
        var listed = Json(await server.RunAsync("alert", "list", "--source", source, "--json"));
        Assert.Equal(2, Assert.Single(listed.GetProperty("items").EnumerateArray()).GetProperty("occurrenceCount").GetInt32());
    }

    [Fact]
    public async Task Send_WithAnIdempotencyKey_ReplaysInsteadOfStoringAgain()
    {
        var source = "idem-" + Guid.NewGuid().ToString("N")[..8];
        var path = TempFile($$"""[{"source":"{{source}}","sourceReference":"k-1","title":"Access key created for root"}]""");
        var key = "run-" + Guid.NewGuid().ToString("N");

        var first = Json(await server.RunAsync("alert", "send", path, "--idempotency-key", key, "--json"));
        var again = await server.RunAsync("alert", "send", path, "--idempotency-key", key);

        Assert.Equal(1, first.GetProperty("stored").GetInt32());
        Assert.True(again.ExitCode == 0, again.ToString());
        Assert.Contains("Already sent: 1", again.Out);
        Assert.Contains("Stored:      0 new", again.Out);
        var listed = Json(await server.RunAsync("alert", "list", "--source", source, "--json"));
        Assert.Equal(1, Assert.Single(listed.GetProperty("items").EnumerateArray()).GetProperty("occurrenceCount").GetInt32());
    }

    [Fact]
    public async Task Send_SplitsALargeJsonLinesFile_AndRerunsNeverCountTwice()
    {
        var source = "bulk-" + Guid.NewGuid().ToString("N")[..8];
        string Lines(string? badSeverityAt12k) => string.Concat(Enumerable.Range(1, 12_000).Select(i =>
            $$"""{"source":"{{source}}","sourceReference":"b-{{i}}","title":"Bulk alert {{i}}","severity":"{{(i == 11_000 && badSeverityAt12k is not null ? badSeverityAt12k : "low")}}"}""" + "\n"));
        var path = TempFile(Lines("urgent"));

        // The third chunk is refused: the first two are stored and the error names the chunk and the field.
        var failed = await server.RunAsync("alert", "send", path);
        Assert.Equal(ExitCodes.Usage, failed.ExitCode);
        Assert.Contains("Chunk 3 of 3 (alerts 10,001-12,000)", failed.Err);
        Assert.Contains("$[999].severity", failed.Err);

        // Fixed and sent again: the unchanged chunks are replayed, only the third is stored.
        File.WriteAllText(path, Lines(null));
        var fixedRun = Json(await server.RunAsync("alert", "send", path, "--json"));
        Assert.Equal(3, fixedRun.GetProperty("chunks").GetInt32());
        Assert.Equal(12_000, fixedRun.GetProperty("received").GetInt32());
        Assert.Equal(10_000, fixedRun.GetProperty("alreadySent").GetInt32());
        Assert.Equal(2_000, fixedRun.GetProperty("stored").GetInt32());
        Assert.Equal(12_000, fixedRun.GetProperty("alerts").GetArrayLength());

        // The same command once more stores nothing.
        var rerun = Json(await server.RunAsync("alert", "send", path, "--json"));
        Assert.Equal(12_000, rerun.GetProperty("alreadySent").GetInt32());
        Assert.Equal(0, rerun.GetProperty("stored").GetInt32());
        Assert.Equal(0, rerun.GetProperty("duplicates").GetInt32());

        // 12,000 alerts: past the queue's exact count, so the total says "at least 10,000", and the last page still lists the rest.
        for (var page = 1; page <= 2; page++)
        {
            var listed = Json(await server.RunAsync("alert", "list", "--source", source, "--page-size", "200", "--page", page.ToString(), "--json"));
            Assert.Equal((10_000, true), (listed.GetProperty("total").GetInt32(), listed.GetProperty("totalIsLowerBound").GetBoolean()));
            Assert.All(listed.GetProperty("items").EnumerateArray(), a => Assert.Equal(1, a.GetProperty("occurrenceCount").GetInt32()));
        }
        var last = Json(await server.RunAsync("alert", "list", "--source", source, "--page-size", "200", "--page", "60", "--json"));
        Assert.Equal(200, last.GetProperty("items").GetArrayLength());
        var table = await server.RunAsync("alert", "list", "--source", source, "--page-size", "200");
        Assert.Contains("more than 10000 alerts match", table.Out);
    }

    [Fact]
    public async Task Send_MissingFile_IsAnInputError()
    {
        var result = await server.RunAsync("alert", "send", Path.Combine(Path.GetTempPath(), "no-such-" + Guid.NewGuid().ToString("N") + ".json"));

        Assert.Equal(ExitCodes.Usage, result.ExitCode);
        Assert.Contains("Cannot read", result.Err);
    }

    [Fact]
    public async Task Send_EmptyFile_IsAnInputError()
    {
        var result = await server.RunAsync("alert", "send", TempFile("  \n"));

        Assert.Equal(ExitCodes.Usage, result.ExitCode);
        Assert.Contains("is empty", result.Err);
    }

    [Fact]
    public async Task Send_MalformedJson_IsAnInputError_NamingWhereItBreaks()
    {
        var result = await server.RunAsync("alert", "send", TempFile("""[{"source":"x","title":"ok"},{"source": ]"""));

        Assert.Equal(ExitCodes.Usage, result.ExitCode);
        Assert.Contains("error:", result.Err);
        Assert.Matches(@"\n  \$[^:]*: ", result.Err);
    }

    [Fact]
    public async Task Send_AnInvalidField_IsAnInputError_WithTheFieldsPath()
    {
        var result = await server.RunAsync("alert", "send", TempFile("""[{"source":"x","title":"ok"},{"source":"x","title":"bad","severity":"urgent"}]"""));

        Assert.Equal(ExitCodes.Usage, result.ExitCode);
        Assert.Contains("$[1].severity: ", result.Err);
    }

    [Fact]
    public async Task Send_AnUnsupportedSchemaVersion_IsAnInputError()
    {
        var result = await server.RunAsync("alert", "send", TempFile("""{"schemaVersion":"9","alerts":[{"source":"x","title":"y"}]}"""));

        Assert.Equal(ExitCodes.Usage, result.ExitCode);
        Assert.Contains("Schema version '9' is not supported", result.Err);
    }

    [Fact]
    public async Task Send_UnknownFormat_IsAUsageError_ListingTheFormats()
    {
        var result = await server.RunAsync("alert", "send", Fixture("generic.json"), "--format", "splunk");

        Assert.Equal(ExitCodes.Usage, result.ExitCode);
        Assert.Contains("'splunk' is not a known format", result.Err);
        Assert.Contains("generic, ocsf, asff, guardduty, defender, scc, cef", result.Err);
    }

    [Fact]
    public async Task Send_WithAViewerKey_IsRefused()
    {
        var viewer = await server.CreateApiKeyAsync("viewer");

        var result = await server.RunWithKeyAsync(viewer, "alert", "send", Fixture("generic.json"));

        Assert.Equal(ExitCodes.Refused, result.ExitCode);
        Assert.Contains("Forbidden", result.Err);
    }

    [Fact]
    public async Task Send_OverTheBodyLimit_IsAnInputError_AdvisingToSplit()
    {
        var description = new string('x', 17 * 1024 * 1024);
        var path = TempFile($$"""{"Findings":[{"SchemaVersion":"2018-10-08","Id":"big","Title":"Big","Description":"{{description}}"}]}""");

        var result = await server.RunAsync("alert", "send", path);

        Assert.Equal(ExitCodes.Usage, result.ExitCode);
        Assert.Contains("Split the input", result.Err);
    }

    [Fact]
    public async Task List_FiltersBySourceSeverityAndText()
    {
        var source = "list-" + Guid.NewGuid().ToString("N")[..8];
        var path = TempFile($$"""
            [{"source":"{{source}}","sourceReference":"l-1","title":"Snapshot shared with unknown account","severity":"high"},
             {"source":"{{source}}","sourceReference":"l-2","title":"Bucket versioning disabled","severity":"low"}]
            """);
        Assert.Equal(0, (await server.RunAsync("alert", "send", path)).ExitCode);

        var all = await server.RunAsync("alert", "list", "--source", source);
        Assert.True(all.ExitCode == 0, all.ToString());
        Assert.Contains("Snapshot shared with unknown account", all.Out);
        Assert.Contains("Bucket versioning disabled", all.Out);
        Assert.Contains("2 alert(s) match", all.Out);

        var high = await server.RunAsync("alert", "list", "--source", source, "--min-severity", "HIGH", "--state", "new");
        Assert.Contains("Snapshot shared with unknown account", high.Out);
        Assert.DoesNotContain("Bucket versioning disabled", high.Out);

        var text = Json(await server.RunAsync("alert", "list", "--source", source, "--q", "versioning", "--suppressed", "include", "--json"));
        Assert.Equal("Bucket versioning disabled", Assert.Single(text.GetProperty("items").EnumerateArray()).GetProperty("title").GetString());

        var suppressed = await server.RunAsync("alert", "list", "--source", source, "--suppressed", "only");
        Assert.Contains("No alerts match.", suppressed.Out);
    }

    [Fact]
    public async Task List_PagesWithJson()
    {
        var source = "page-" + Guid.NewGuid().ToString("N")[..8];
        var alerts = string.Join(',', Enumerable.Range(1, 3).Select(i => $$"""{"source":"{{source}}","sourceReference":"p-{{i}}","title":"Paged {{i}}"}"""));
        Assert.Equal(0, (await server.RunAsync("alert", "send", TempFile("[" + alerts + "]"))).ExitCode);

        var result = Json(await server.RunAsync("alert", "list", "--source", source, "--page-size", "2", "--page", "2", "--json"));

        Assert.Equal(3, result.GetProperty("total").GetInt32());
        Assert.Equal(2, result.GetProperty("page").GetInt32());
        Assert.Single(result.GetProperty("items").EnumerateArray());
    }

    [Theory]
    [InlineData("--suppressed", "sometimes")]
    [InlineData("--min-severity", "severe")]
    [InlineData("--state", "open")]
    public async Task List_RefusesAnUnknownValue_BeforeSending(string option, string value)
    {
        var result = await Cli.RunAsync(new Dictionary<string, string?> { ["FIREBREAK_URL"] = "http://127.0.0.1:9", ["FIREBREAK_API_KEY"] = "fbk_x" },
            "alert", "list", option, value);

        Assert.Equal(ExitCodes.Usage, result.ExitCode);
        Assert.Contains(value, result.Err);
        Assert.DoesNotContain("Cannot reach", result.Err);
    }

    [Theory]
    [InlineData("""{"Findings":[{"SchemaVersion":"2.0","AccountId":"1","Type":"Recon:EC2/PortProbeUnprotectedPort","Service":{}}]}""", "guardduty")]
    [InlineData("""{"findings":[{"schemaVersion":"2.0","accountId":"1","type":"Recon:EC2/Portscan","service":{}}]}""", "guardduty")]
    [InlineData("""{"detail-type":"Security Hub Findings - Imported","detail":{"findings":[]}}""", "asff")]
    [InlineData("""[{"SchemaVersion":"2018-10-08","Id":"a"}]""", "asff")]
    [InlineData("{\"class_uid\":2001,\"finding\":{\"title\":\"a\"}}\n{\"class_uid\":2001,\"finding\":{\"title\":\"b\"}}\n", "ocsf")]
    [InlineData("""{"AlertName":"Suspicious sign-in","SystemAlertId":"x"}""", "defender")]
    [InlineData("""{"value":[{"properties":{"alertDisplayName":"A"}}]}""", "defender")]
    [InlineData("""{"message":{"data":"e30="},"subscription":"s"}""", "scc")]
    [InlineData("""{"alerts":[{"source":"a","title":"b"}]}""", "generic")]
    [InlineData("CEF:0|V|P|1|1|Name|5|src=1.2.3.4", "cef")]
    [InlineData("""{"source":"a","title":"b"}""", "generic")]
    [InlineData("not json and not cef", "generic")]
    public void Detect_RecognisesEachShape(string payload, string format) =>
        Assert.Equal(format, AlertPayload.Detect(Encoding.UTF8.GetBytes(payload)));

    [Fact]
    public void Split_KeepsSmallPayloadsWhole_AndGivesStableKeys()
    {
        var small = Encoding.UTF8.GetBytes("""[{"source":"a","title":"b"}]""");
        Assert.Equal(small, Assert.Single(AlertPayload.Split("generic", small)).Body.ToArray());

        var lines = Encoding.UTF8.GetBytes(string.Concat(Enumerable.Range(0, 5).Select(i => $$"""{"source":"a","title":"t{{i}}"}""" + "\n")));
        var chunks = AlertPayload.Split("generic", lines, chunkSize: 2);
        Assert.Equal([2, 2, 1], chunks.Select(c => c.Alerts));
        Assert.Equal(JsonValueKind.Array, JsonDocument.Parse(chunks[0].Body).RootElement.ValueKind);
        Assert.Equal(AlertPayload.ChunkKey(chunks[1].Body.Span, "generic", 2, 3), AlertPayload.ChunkKey(chunks[1].Body.ToArray(), "generic", 2, 3));
        Assert.NotEqual(AlertPayload.ChunkKey(chunks[0].Body.Span, "generic", 1, 3), AlertPayload.ChunkKey(chunks[1].Body.Span, "generic", 2, 3));
    }

    private string TempFile(string content)
    {
        var path = Path.Combine(Path.GetTempPath(), "firebreak-cli-alerts-" + Guid.NewGuid().ToString("N") + ".txt");
        _files.Add(path);
        File.WriteAllText(path, content);
        return path;
    }

    /// <summary>
    /// An answer the CLI cannot read (another service behind --server, a proxy's page, an older server): `{}` for the list
    /// of alerts failed with a null reference inside the CLI; it is a clear error with the exit code of a wrong --server.
    /// </summary>
    [Theory]
    [InlineData("{}", "application/json")]
    [InlineData("{\"items\":null,\"page\":1,\"pageSize\":100,\"total\":0}", "application/json")]
    [InlineData("{\"items\":[{\"id\":\"not a guid\"}],\"page\":1,\"pageSize\":100,\"total\":1}", "application/json")]
    [InlineData("<html>sign in</html>", "application/json")]
    public async Task List_AnAnswerThatIsNoListOfAlerts_IsAClearError(string answer, string contentType)
    {
        var (app, url) = await StandInServer.StartAsync(server => server.MapGet("/api/v1/alerts", () => Results.Text(answer, contentType)));
        await using var _ = app;

        var result = await Cli.RunAsync(new Dictionary<string, string?> { ["FIREBREAK_API_KEY"] = "fbk_stand_in" }, "alert", "list", "--server", url);

        Assert.True(result.ExitCode == ExitCodes.Usage, result.ToString());
        Assert.Contains("The server's answer is not what this command expects", result.Err, StringComparison.Ordinal);
        Assert.DoesNotContain("Object reference", result.Err, StringComparison.Ordinal);
        Assert.Equal("", result.Out);
    }
}
