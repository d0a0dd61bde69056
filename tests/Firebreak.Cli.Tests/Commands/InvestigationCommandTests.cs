using System.Globalization;
using System.Text.Json;

namespace Firebreak.Cli.Tests.Commands;

public sealed class InvestigationCommandTests(ServerFixture server) : IClassFixture<ServerFixture>, IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("firebreak-events-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    private static string Record(int n) => JsonSerializer.Serialize(new Dictionary<string, object?>
    {
        ["eventVersion"] = "1.09",
        ["eventID"] = $"cli-{n:D5}",
        ["eventTime"] = new DateTimeOffset(2026, 3, 1, 8, 0, 0, TimeSpan.Zero).AddMinutes(n).ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture),
        ["eventSource"] = "iam.amazonaws.com",
        ["eventName"] = n == 7 ? "CreateUser" : "ListRoles",
        ["awsRegion"] = "us-east-1",
        ["sourceIPAddress"] = "203.0.113.50",
        ["userIdentity"] = new { type = "IAMUser", arn = "arn:aws:iam::111122223333:user/mallory", accessKeyId = "AKIACLITEST00001" },
    });

    [Fact]
    public async Task EventSearchTable_ShowsTheLogsText_AsWritten_AndCannotDriveTheTerminal()
    {
        // The events table shows what the log says: an error code, principal or resource an attacker shaped (escape
        // sequences, a right-to-left override, ":name:" that markup would draw as an emoji) is shown escaped and as written.
        var incident = await server.CreateIncidentAsync("Hostile text in a trail");
        var file = Path.Combine(_folder, "hostile.json");
        var record = JsonSerializer.Serialize(new Dictionary<string, object?>
        {
            ["eventVersion"] = "1.09",
            ["eventID"] = "cli-hostile",
            ["eventTime"] = "2026-03-01T08:00:00Z",
            ["eventSource"] = "s3.amazonaws.com",
            ["eventName"] = "GetObject",
            ["awsRegion"] = "us-east-1",
            ["sourceIPAddress"] = "203.0.113.50",
            ["errorCode"] = "Denied:fire:\u001b[2J",
            ["userIdentity"] = new { type = "IAMUser", arn = "arn:aws:iam::111122223333:user/ops\u202Egnp.exe", accessKeyId = "AKIACLITEST00002" },
        });
        await File.WriteAllTextAsync(file, record + "\n", TestContext.Current.CancellationToken);
        var import = await server.RunAsync("incident", "events", "import", incident, file);
        Assert.True(import.ExitCode == 0, import.ToString());

        var table = await server.RunAsync("incident", "events", "search", incident, "--access-key", "AKIACLITEST00002");

        Assert.True(table.ExitCode == 0, table.ToString());
        Assert.DoesNotContain('\u001b', table.Out);
        Assert.DoesNotContain('\u202E', table.Out);
        Assert.Contains("Denied:fire:\\u001B[2J", table.Out, StringComparison.Ordinal);
        Assert.Contains("user/ops\\u202Egnp.exe", table.Out, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Import_ThenSearch_ThenTimeline_WorkEndToEnd()
    {
        var incident = await server.CreateIncidentAsync("Rogue IAM user");
        var file = Path.Combine(_folder, "trail.json");
        await File.WriteAllLinesAsync(file, Enumerable.Range(0, 40).Select(Record), TestContext.Current.CancellationToken);

        var import = await server.RunAsync("incident", "events", "import", incident, file, file);
        Assert.True(import.ExitCode == 0, import.ToString());
        Assert.Contains("completed; 40 read, 40 stored, 0 duplicate(s)", import.Out);
        Assert.Contains("completed; 40 read, 0 stored, 40 duplicate(s)", import.Out);

        var search = await server.RunAsync("incident", "events", "search", incident, "--operation", "CreateUser", "--json");
        Assert.True(search.ExitCode == 0, search.ToString());
        var found = Assert.Single(JsonDocument.Parse(search.Out).RootElement.GetProperty("items").EnumerateArray());
        Assert.Equal("cli-00007", found.GetProperty("eventId").GetString());
        var paged = await server.RunAsync("incident", "events", "search", incident, "--access-key", "AKIACLITEST00001", "--limit", "30");
        Assert.Contains("next page: --after", paged.Out);

        var json = await server.RunAsync("incident", "timeline", incident, "--json");
        Assert.True(json.ExitCode == 0, json.ToString());
        // The one CreateUser matches the built-in "IAM user created" rule, so the import put it on the timeline.
        var onTimeline = JsonDocument.Parse(json.Out).RootElement;
        Assert.Equal(1, onTimeline.GetProperty("total").GetInt32());
        var matched = onTimeline.GetProperty("items")[0];
        Assert.Equal(("cli-00007", "cloud-event", "T1136.003"), (matched.GetProperty("sourceId").GetString(), matched.GetProperty("kind").GetString(), matched.GetProperty("technique").GetString()));
        Assert.StartsWith("rule:", matched.GetProperty("source").GetString(), StringComparison.Ordinal);
        var timeline = await server.RunAsync("incident", "timeline", incident, "--from", "2026-03-01T00:00:00Z", "--to", "2026-03-02T00:00:00Z", "--key-events");
        Assert.True(timeline.ExitCode == 0, timeline.ToString());
        Assert.Contains("no entries", timeline.Out);
        var csv = await server.RunAsync("incident", "timeline", incident, "--export", "csv");
        Assert.StartsWith("event_time,discovered_at,ingested_at,kind,title", csv.Out, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Import_OfAFolder_SendsTheFilesUnderIt_AsOneArchive()
    {
        // A trail's folder (AWSLogs/<account>/CloudTrail/<region>/...) holds thousands of files: the folder is one upload,
        // a tar of every file under it, plain or gzipped, which the server reads entry by entry.
        var incident = await server.CreateIncidentAsync("A trail's folder");
        var folder = Path.Combine(_folder, "AWSLogs");
        var plain = Path.Combine(folder, "111122223333", "CloudTrail", "us-east-1", "trail-1.json");
        var gzipped = Path.Combine(folder, "111122223333", "CloudTrail", "eu-west-1", "trail-2.json.gz");
        Directory.CreateDirectory(Path.GetDirectoryName(plain)!);
        Directory.CreateDirectory(Path.GetDirectoryName(gzipped)!);
        Directory.CreateDirectory(Path.Combine(folder, "empty"));
        await File.WriteAllLinesAsync(plain, Enumerable.Range(100, 20).Select(Record), TestContext.Current.CancellationToken);
        await using (var gz = new System.IO.Compression.GZipStream(File.Create(gzipped), System.IO.Compression.CompressionLevel.Fastest))
        await using (var text = new StreamWriter(gz))
        {
            foreach (var n in Enumerable.Range(200, 20)) await text.WriteLineAsync(Record(n));
        }

        // A run killed earlier may have left an upload behind; only this one's must be gone.
        var before = Directory.EnumerateFiles(Path.GetTempPath(), "firebreak-upload-*").ToHashSet();
        var import = await server.RunAsync("incident", "events", "import", incident, folder + Path.DirectorySeparatorChar);

        Assert.True(import.ExitCode == 0, import.ToString());
        Assert.Contains("AWSLogs.tar: completed; 40 read, 40 stored, 0 duplicate(s)", import.Out);
        var search = await server.RunAsync("incident", "events", "search", incident, "--access-key", "AKIACLITEST00001", "--json", "--limit", "100");
        Assert.Equal(40, JsonDocument.Parse(search.Out).RootElement.GetProperty("items").GetArrayLength());
        Assert.DoesNotContain(Directory.EnumerateFiles(Path.GetTempPath(), "firebreak-upload-*"), f => !before.Contains(f));

        var empty = await server.RunAsync("incident", "events", "import", incident, Path.Combine(folder, "empty"));
        Assert.Equal(2, empty.ExitCode);
        Assert.Contains("holds no file to upload", empty.Err);
    }

    [Fact]
    public async Task BadInput_IsAUsageErrorOrARefusal()
    {
        var incident = await server.CreateIncidentAsync("Bad input");
        var none = await server.RunAsync("incident", "events", "import", incident);
        Assert.Equal(2, none.ExitCode);
        Assert.Contains("exactly one source", none.Err);
        var missing = await server.RunAsync("incident", "events", "import", incident, Path.Combine(_folder, "nope.json"));
        Assert.Equal(2, missing.ExitCode);
        var notALog = Path.Combine(_folder, "notes.json");
        await File.WriteAllTextAsync(notALog, "not json at all\n", TestContext.Current.CancellationToken);
        var nothing = await server.RunAsync("incident", "events", "import", incident, notALog);
        Assert.Equal(1, nothing.ExitCode);
        Assert.Contains("0 read, 0 stored", nothing.Out);
        Assert.Contains("not a JSON log file", nothing.Out);
        var outside = await server.RunAsync("incident", "events", "import", incident, "--path", "/etc");
        Assert.NotEqual(0, outside.ExitCode);
        Assert.Contains("path", outside.Err);
        var badTime = await server.RunAsync("incident", "events", "search", incident, "--from", "last tuesday");
        Assert.Equal(2, badTime.ExitCode);
        var badLimit = await server.RunAsync("incident", "events", "search", incident, "--limit", "0");
        Assert.NotEqual(0, badLimit.ExitCode);
        var badFormat = await server.RunAsync("incident", "timeline", incident, "--export", "xml");
        Assert.Equal(2, badFormat.ExitCode);
        var unknown = await server.RunAsync("incident", "timeline", "INC-1999-9999");
        Assert.NotEqual(0, unknown.ExitCode);
        Assert.Contains("not found", unknown.Err);
    }
}
