using System.Diagnostics;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Firebreak.Cli.Commands;
using Firebreak.Detection.Hunting;
using Firebreak.Detection.Readers.Sources;
using Firebreak.Detection.Simulation;
using Firebreak.Testing;

namespace Firebreak.Cli.Tests.Commands;

/// <summary>One simulated leaked-access-key attack, written once and hunted by every test.</summary>
public sealed class SimulatedLogs : IAsyncLifetime
{
    public string Directory { get; } = System.IO.Directory.CreateTempSubdirectory("firebreak-hunt-").FullName;

    public SimulationResult Result { get; private set; } = null!;

    public string Logs => Path.Combine(Directory, "logs");

    public async ValueTask InitializeAsync() =>
        Result = await AttackSimulator.RunAsync(new SimulationOptions { Scenario = "leaked-access-key", OutputDirectory = Logs, Events = 3000, Seed = 11 });

    public ValueTask DisposeAsync()
    {
        System.IO.Directory.Delete(Directory, recursive: true);
        return ValueTask.CompletedTask;
    }
}

public sealed class HuntCommandTests(SimulatedLogs sim, ServerFixture server) : IClassFixture<SimulatedLogs>, IClassFixture<ServerFixture>
{
    private static JsonElement[] Hits(CliResult result) =>
        JsonDocument.Parse(result.Out).RootElement.GetProperty("hits").EnumerateArray().ToArray();

    private static string[] Titles(CliResult result) => Hits(result).Select(h => h.GetProperty("title").GetString()!).Distinct().ToArray();

    private string WriteFile(string name, string content)
    {
        var path = Path.Combine(sim.Directory, Guid.NewGuid().ToString("N"), name);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, content);
        return path;
    }

    private const string QuietTrail = """{"Records":[{"eventVersion":"1.08","eventTime":"2026-01-15T08:00:00Z","eventSource":"ec2.amazonaws.com","eventName":"DescribeInstances","awsRegion":"us-east-1","sourceIPAddress":"198.51.100.7","userIdentity":{"type":"IAMUser","arn":"arn:aws:iam::111122223333:user/ops"},"eventID":"e1"}]}""";

    private const string StopTrail = """{"Records":[{"eventVersion":"1.08","eventTime":"2026-01-15T09:00:00Z","eventSource":"cloudtrail.amazonaws.com","eventName":"StopLogging","awsRegion":"us-east-1","sourceIPAddress":"203.0.113.9","userIdentity":{"type":"IAMUser","arn":"arn:aws:iam::111122223333:user/ops","accessKeyId":"AKIAEXAMPLE"},"eventID":"e2"}]}""";

    [Fact]
    public async Task Hunt_FindsTheLeakedKeyAttack_InSimulatedLogs_AndExitsOne()
    {
        var result = await Cli.RunAsync("hunt", sim.Logs, "--output", "json");

        Assert.True(result.ExitCode == 1, result.ToString());
        var titles = Titles(result);
        Assert.Contains("CloudTrail Trail Stopped, Deleted or Narrowed", titles);
        Assert.Contains("Access Key Created for Another User", titles);
        Assert.Contains("Administrator Permissions Granted", titles);
        Assert.Contains("GuardDuty Detector Deleted or Disabled", titles);
        var attackIds = sim.Result.AttackSteps.Select(s => s.EventId).ToHashSet();
        var stopped = Hits(result).First(h => h.GetProperty("fields").TryGetProperty("eventName", out var n) && n.GetString() == "StopLogging");
        Assert.Contains(stopped.GetProperty("eventId").GetString()!, attackIds);
        Assert.Contains(sim.Result.AttackerIps, ip => ip == stopped.GetProperty("sourceIp").GetString());
        var summary = JsonDocument.Parse(result.Out).RootElement.GetProperty("summary");
        Assert.Equal(Hits(result).Length, summary.GetProperty("hits").GetInt32());
        Assert.True(summary.GetProperty("events").GetInt64() >= 3000);
    }

    [Fact]
    public async Task Hunt_OverlappingPathsAndRepeatedRules_ReadEachFileAndRuleOnce()
    {
        // A folder, a pattern inside it and a file in it; the same rules folder twice: every hit was reported two or
        // three times and every count inflated.
        var rules = Directory.CreateDirectory(Path.Combine(Path.GetDirectoryName(WriteFile("x.txt", ""))!, "rules")).FullName;
        File.WriteAllText(Path.Combine(rules, "stop.yml"), """
            title: Stop, again
            id: 3a1f0c52-9d4e-4b7a-8c61-2f5e0d9b7a01
            logsource: {product: aws, service: cloudtrail}
            detection:
              sel: {eventName: StopLogging}
              condition: sel
            """);
        var once = await Cli.RunAsync("hunt", sim.Logs, "--rules", rules, "--output", "json");
        var file = Directory.EnumerateFiles(sim.Logs, "*.json*", SearchOption.AllDirectories).Order(StringComparer.Ordinal).First();

        var overlapping = await Cli.RunAsync("hunt", sim.Logs, Path.Combine(sim.Logs, "**", "*"), file, sim.Logs + "/", "--rules", rules, "--rules", rules, "--output", "json");

        Assert.True(overlapping.ExitCode == 1, overlapping.ToString());
        var summary = JsonDocument.Parse(overlapping.Out).RootElement.GetProperty("summary");
        var expected = JsonDocument.Parse(once.Out).RootElement.GetProperty("summary");
        Assert.Equal(expected.GetProperty("files").GetInt64(), summary.GetProperty("files").GetInt64());
        Assert.Equal(expected.GetProperty("events").GetInt64(), summary.GetProperty("events").GetInt64());
        Assert.Equal(Hits(once).Length, Hits(overlapping).Length);
        // The folder named twice is read once: no rule of it is loaded again and then skipped as a repeated id.
        Assert.DoesNotContain("rule skipped", overlapping.Err, StringComparison.Ordinal);
        var lint = await Cli.RunAsync("rules", "lint", "--no-builtin", "--rules", rules, "--rules", rules);
        Assert.Contains("1 rule file(s) here were already named by an earlier --rules; each is read once", lint.Out + lint.Err);
    }

    [Fact]
    public async Task Hunt_AFileReachedThroughLinks_IsReadOnce()
    {
        // A link to a file beside it, and a second path through a link to the folder: the one StopLogging event was
        // read two or three times, its hit reported each time, and a "stopped twice" correlation fired on one event.
        Assert.SkipUnless(OperatingSystem.IsLinux() || OperatingSystem.IsMacOS(), "symbolic links without privileges");
        var top = Path.Combine(Path.GetDirectoryName(WriteFile("x.txt", ""))!, "L");
        var logs = Directory.CreateDirectory(Path.Combine(top, "logs")).FullName;
        File.WriteAllText(Path.Combine(logs, "a.json"), StopTrail);
        File.CreateSymbolicLink(Path.Combine(logs, "b.json"), "a.json");
        Directory.CreateSymbolicLink(Path.Combine(top, "current"), "logs");
        var rules = Directory.CreateDirectory(Path.Combine(top, "..", "twice")).FullName;
        File.WriteAllText(Path.Combine(rules, "twice.yml"), """
            title: base
            name: trail_stopped
            logsource: {product: aws, service: cloudtrail}
            detection: {sel: {eventName: StopLogging}, condition: sel}
            ---
            title: Trail stopped twice by one user
            correlation: {type: event_count, rules: [trail_stopped], group-by: [userIdentity.arn], timespan: 10m, condition: {gte: 2}, generate: true}
            """);

        var folder = await Cli.RunAsync("hunt", logs, "--no-builtin", "--rules", rules, "--output", "jsonl");
        var twoPaths = await Cli.RunAsync("hunt", logs, Path.Combine(top, "current"), "--no-builtin", "--rules", rules, "--output", "jsonl");
        var parent = await Cli.RunAsync("hunt", top, "--no-builtin", "--rules", rules, "--output", "jsonl");

        foreach (var result in new[] { folder, twoPaths, parent })
        {
            Assert.True(result.ExitCode == 1, result.ToString());
            var hit = Assert.Single(result.Out.Split('\n', StringSplitOptions.RemoveEmptyEntries));
            Assert.Contains("\"title\":\"base\"", hit);
            Assert.Contains(", 1 events in ", result.Err.Replace("1 event(s)", "1 events", StringComparison.Ordinal));
        }

        Assert.Contains("b.json:?: leads to", folder.Err);
        Assert.Contains("a file read under another path: not read again", folder.Err);
    }

    [Fact]
    public async Task Hunt_Table_SummarisesByRule_AndShowsMatchedFields()
    {
        var result = await Cli.RunAsync("hunt", sim.Logs);

        Assert.Equal(1, result.ExitCode);
        Assert.Contains("Hits by rule", result.Out);
        Assert.Contains("eventName=StopLogging", result.Out);
        Assert.Contains("events/s", result.Err);
    }

    [Fact]
    public async Task Hunt_Table_NotOnATerminal_KeepsEachLineWhole_AndShowsControlCharactersEscaped()
    {
        // Log fields are the attacker's text: escape sequences in them must not reach a terminal that later
        // shows the saved output, and a long line must stay one line for grep.
        var address = "203.0.113.9\u001b[2J\u001b]0;owned\u0007";
        var trail = StopTrail.Replace("\"sourceIPAddress\":\"203.0.113.9\"", $"\"sourceIPAddress\":{JsonSerializer.Serialize(address)}", StringComparison.Ordinal);
        Assert.NotEqual(StopTrail, trail);
        var path = WriteFile(new string('l', 200) + ".json", trail);

        var result = await Cli.RunAsync("hunt", path);

        Assert.True(result.ExitCode == 1, result.ToString());
        Assert.DoesNotContain('\u001b', result.Out);
        Assert.DoesNotContain('\u0007', result.Out);
        var line = Assert.Single(result.Out.Split('\n'), l => l.Contains("StopLogging by", StringComparison.Ordinal));
        Assert.Equal($"    StopLogging by arn:aws:iam::111122223333:user/ops from 203.0.113.9\\u001B[2J\\u001B]0;owned\\u0007  ({path}:1)", line.TrimEnd('\r'));
        Assert.Contains("    eventSource=cloudtrail.amazonaws.com  eventName=StopLogging", result.Out);
    }

    [Fact]
    public async Task Hunt_OfInputsHoldingNoLog_IsExit2_NotACleanHunt()
    {
        // JSON of no known log, empty files and empty standard input read as "no hits", exit 0: a responder would
        // take an unread log for a clean one. With the built-in pack every record of these was skipped unread.
        var none = new Dictionary<string, string?>();
        var other = WriteFile("other.jsonl", "{\"x\":1}\n{\"a\":2,\"b\":\"c\"}\n");
        var empty = WriteFile("empty.json", "");
        var emptyRecords = WriteFile("no-records.json", "{\"Records\":[]}");

        var unknown = await Cli.RunAsync("hunt", other);
        var emptyFile = await Cli.RunAsync("hunt", empty, emptyRecords);
        var emptyInput = await Cli.RunWithInputAsync(none, "", "hunt", "-");
        var withALog = await Cli.RunAsync("hunt", other, WriteFile("trail.json", StopTrail));

        Assert.True(unknown.ExitCode == 2, unknown.ToString());
        Assert.Contains($"{other}:1: unrecognised record format", unknown.Err);
        Assert.Contains($"{other}:2: unrecognised record format", unknown.Err);
        Assert.Contains("none of the inputs could be read", unknown.Err);
        Assert.True(emptyFile.ExitCode == 2, emptyFile.ToString());
        Assert.Contains("the inputs held no log records; nothing was hunted.", emptyFile.Err);
        Assert.True(emptyInput.ExitCode == 2, emptyInput.ToString());
        // A log beside them is hunted: its hits are exit 1, the unrecognised records are reported.
        Assert.True(withALog.ExitCode == 1, withALog.ToString());
        Assert.Contains("2 read error(s)", withALog.Err);
    }

    [Fact]
    public async Task Hunt_RulesCanBeOneFile_AndAMissingOneIsAUsageError()
    {
        var log = WriteFile("stop.json", StopTrail);
        var rule = WriteFile("one-rule.yml", "title: One file rule\nlogsource: {product: aws, service: cloudtrail}\ndetection: {sel: {eventName: StopLogging}, condition: sel}\n");

        var one = await Cli.RunAsync("hunt", log, "--no-builtin", "--rules", rule, "--output", "jsonl");
        var missing = await Cli.RunAsync("hunt", log, "--rules", rule + ".missing");

        Assert.True(one.ExitCode == 1, one.ToString());
        Assert.Contains("\"title\":\"One file rule\"", one.Out);
        Assert.True(missing.ExitCode == 2, missing.ToString());
        Assert.Contains("no such folder or file", missing.Err);
    }

    [Fact]
    public async Task Hunt_InsightsEvents_AreMatchedByTheirOwnFields_AndNotTakenForTheCallsTheyAreAbout()
    {
        const string insight = """{"Records":[{"eventVersion":"1.07","eventTime":"2026-01-15T08:10:00Z","awsRegion":"us-east-1","eventID":"insight-1","eventType":"AwsCloudTrailInsight","recipientAccountId":"111122223333","sharedEventID":"s-1","insightDetails":{"state":"Start","eventSource":"iam.amazonaws.com","eventName":"CreateAccessKey","insightType":"ApiCallRateInsight","insightContext":{"statistics":{"baseline":{"average":0.0},"insight":{"average":14.0}}}},"eventCategory":"Insight"}]}""";
        var log = WriteFile("111122223333_CloudTrail-Insight_us-east-1_20260115T0815Z_x.json", insight);
        var rule = WriteFile("insights.yml", """
            title: CloudTrail Insights on IAM
            logsource: {product: aws, service: cloudtrail}
            detection:
              sel:
                eventType: AwsCloudTrailInsight
                insightDetails.state: Start
                insightDetails.eventSource: iam.amazonaws.com
              condition: sel
            """);

        // The built-in pack alone: its rule on CreateAccessKey calls must not take the Insight for one.
        var builtIn = await Cli.RunAsync("hunt", log, "--output", "jsonl");
        var own = await Cli.RunAsync("hunt", log, "--rules", rule, "--output", "jsonl");

        Assert.True(builtIn.ExitCode == 0, builtIn.ToString());
        Assert.Contains("0 read error(s)", builtIn.Err);
        Assert.True(own.ExitCode == 1, own.ToString());
        var hit = JsonDocument.Parse(own.Out.Split('\n', StringSplitOptions.RemoveEmptyEntries).Single()).RootElement;
        Assert.Equal("CloudTrail Insights on IAM", hit.GetProperty("title").GetString());
        Assert.Equal("ApiCallRateInsight Start: CreateAccessKey", hit.GetProperty("operation").GetString());
        Assert.Equal("111122223333", hit.GetProperty("account").GetString());
    }

    [Fact]
    public async Task Hunt_ATrailSentToCloudWatchLogs_IsHuntedInItsExportAndItsSubscriptionsDeliveries()
    {
        static string Record(string name, string id) =>
            $$"""{"eventVersion":"1.08","eventTime":"2026-01-15T09:00:00Z","eventSource":"cloudtrail.amazonaws.com","eventName":"{{name}}","awsRegion":"us-east-1","userIdentity":{"type":"IAMUser","arn":"arn:aws:iam::111122223333:user/ops"},"eventID":"{{id}}","recipientAccountId":"111122223333"}""";
        var export = WriteFile("000000", $"2026-01-15T09:00:01.123Z {Record("StopLogging", "exported")}\n2026-01-15T09:00:02.000Z {Record("DescribeTrails", "quiet-1")}\n");
        var delivery = WriteFile("delivery-1", JsonSerializer.Serialize(new
        {
            messageType = "DATA_MESSAGE",
            owner = "111122223333",
            logGroup = "aws-cloudtrail-logs",
            logStream = "111122223333_CloudTrail_us-east-1",
            subscriptionFilters = new[] { "to-firehose" },
            logEvents = new[] { new { id = "1", timestamp = 1768467601123L, message = Record("StopLogging", "delivered") }, new { id = "2", timestamp = 1768467601124L, message = Record("DescribeTrails", "quiet-2") } },
        }) + JsonSerializer.Serialize(new
        {
            // Sent as the subscription starts: no log, and nothing wrong with the delivery.
            messageType = "CONTROL_MESSAGE",
            owner = "CloudwatchLogs",
            logEvents = new[] { new { id = "", timestamp = 1768467600000L, message = "CWL CONTROL MESSAGE: Checking health of destination Firehose." } },
        }));
        var writeTest = WriteFile("aws-logs-write-test", "Permission Check Successful");

        var hunt = await Cli.RunAsync("hunt", export, delivery, writeTest, "--output", "jsonl");

        Assert.True(hunt.ExitCode == 1, hunt.ToString());
        var ids = hunt.Out.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonDocument.Parse(l).RootElement.GetProperty("eventId").GetString()).ToHashSet();
        Assert.Equal(["delivered", "exported"], ids.Order());
        Assert.Contains("0 read error(s)", hunt.Err);
        Assert.Contains("2 record(s) skipped by the pre-filter", hunt.Err);
    }

    /// <summary>An archive of the trail that stops logging and a quiet one, as <c>AWSLogs/stop.json</c> and <c>AWSLogs/quiet.json</c>: a zip, or a gzipped tar.</summary>
    private static byte[] HandoverArchive(bool zip, string compression = "gzip")
    {
        var output = new MemoryStream();
        var entries = new[] { ("AWSLogs/stop.json", StopTrail), ("AWSLogs/quiet.json", QuietTrail) };
        if (zip)
        {
            using var archive = new System.IO.Compression.ZipArchive(output, System.IO.Compression.ZipArchiveMode.Create, leaveOpen: true);
            foreach (var (name, content) in entries)
            {
                using var entry = new StreamWriter(archive.CreateEntry(name).Open());
                entry.Write(content);
            }
        }
        else
        {
            using Stream compressed = compression == "zstd"
                ? new SharpCompress.Compressors.ZStandard.CompressionStream(output, level: 3, leaveOpen: true)
                : new System.IO.Compression.GZipStream(output, System.IO.Compression.CompressionLevel.Fastest, leaveOpen: true);
            using var tar = new System.Formats.Tar.TarWriter(compressed);
            foreach (var (name, content) in entries)
            {
                tar.WriteEntry(new System.Formats.Tar.PaxTarEntry(System.Formats.Tar.TarEntryType.RegularFile, name) { DataStream = new MemoryStream(System.Text.Encoding.UTF8.GetBytes(content)) });
            }
        }

        return output.ToArray();
    }

    [Theory]
    // Logs handed over zipped, or as tar czf of a synced trail bucket, were one read error: not a JSON log file; and a zip
    // of such tarballs (one per account) one error for each tarball.
    [InlineData("handover.zip", "")]
    [InlineData("handover.tgz", "")]
    [InlineData("handover.tar.zst", "")]
    [InlineData("accounts.zip", "111122223333.tgz!")]
    public async Task Hunt_OfAnArchive_ReadsItsEntries_AndCitesThem(string name, string within)
    {
        var path = Path.Combine(Path.GetDirectoryName(WriteFile("x.txt", ""))!, name);
        var archive = within.Length == 0
            ? HandoverArchive(zip: name.EndsWith(".zip", StringComparison.Ordinal), name.EndsWith(".zst", StringComparison.Ordinal) ? "zstd" : "gzip")
            : Firebreak.Testing.ZipBytes.Of((within.TrimEnd('!'), HandoverArchive(zip: false)));
        await File.WriteAllBytesAsync(path, archive, TestContext.Current.CancellationToken);

        var hunt = await Cli.RunAsync("hunt", path, "--output", "jsonl");

        Assert.True(hunt.ExitCode == 1, hunt.ToString());
        var hit = JsonDocument.Parse(hunt.Out.Split('\n', StringSplitOptions.RemoveEmptyEntries).Single()).RootElement;
        Assert.Equal("e2", hit.GetProperty("eventId").GetString());
        Assert.Equal($"{path}!{within}AWSLogs/stop.json", hit.GetProperty("origin").GetProperty("source").GetString());
        Assert.Contains("2 file(s), 0 read error(s)", hunt.Err);
    }

    [Fact]
    public async Task Hunt_OfA7zArchive_ReadsItsEntries_AndCitesThem()
    {
        // handover.7z, made with 7-Zip: DeleteTrail (a.json), StopLogging (b.json.gz) and UpdateTrail (c.json) by an IAM
        // user, an empty notes/empty.json and a __MACOSX/x.json.
        const string Prefix = "AWSLogs/111122223333/CloudTrail/us-east-1/2026/01/15/111122223333_CloudTrail_us-east-1_20260115T";
        var path = Path.Combine(Path.GetDirectoryName(WriteFile("x.txt", ""))!, "handover.7z");
        File.Copy(Path.Combine(AppContext.BaseDirectory, "Commands", "Fixtures", "handover.7z"), path);

        var hunt = await Cli.RunAsync("hunt", path, "--output", "jsonl");

        Assert.True(hunt.ExitCode == 1, hunt.ToString());
        var hits = hunt.Out.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(line => JsonDocument.Parse(line).RootElement).ToList();
        Assert.Equal(
            [("a", $"{path}!{Prefix}0905Z_a.json"), ("b", $"{path}!{Prefix}0910Z_b.json.gz"), ("c", $"{path}!{Prefix}0915Z_c.json")],
            hits.Select(h => (h.GetProperty("eventId").GetString(), h.GetProperty("origin").GetProperty("source").GetString())).Distinct().Order());
        Assert.Contains("3 file(s), 0 read error(s)", hunt.Err);
        Assert.Contains($"{path}!notes/empty.json", hunt.Err);
    }

    public sealed class LakeName
    {
        public string? name { get; set; }
    }

    public sealed class LakeApi
    {
        public string? operation { get; set; }
        public LakeName? service { get; set; }
    }

    public sealed class LakeUser
    {
        public string? type { get; set; }
        public string? uid { get; set; }
    }

    public sealed class LakeActor
    {
        public LakeUser? user { get; set; }
    }

    public sealed class LakeMetadata
    {
        public LakeName? product { get; set; }
        public string? uid { get; set; }
    }

    public sealed class LakeRow
    {
        public int class_uid { get; set; }
        public long time { get; set; }
        public LakeMetadata? metadata { get; set; }
        public LakeApi? api { get; set; }
        public LakeActor? actor { get; set; }
    }

    [Fact]
    public async Task Hunt_OfSecurityLakeParquet_MatchesTheCloudTrailRules_AndCitesTheRow()
    {
        // Security Lake keeps its OCSF records as Parquet: hunted where they lie, not exported first.
        LakeRow Row(string id, string operation, string service) => new()
        {
            class_uid = 6003,
            time = 1772611200000,
            metadata = new LakeMetadata { product = new LakeName { name = "CloudTrail" }, uid = id },
            api = new LakeApi { operation = operation, service = new LakeName { name = service } },
            actor = new LakeActor { user = new LakeUser { type = "AssumedRole", uid = "arn:aws:sts::111122223333:assumed-role/ops/mallory" } },
        };
        var path = WriteFile("part-00000.parquet", "");
        await using (var file = File.Create(path))
        {
            await Parquet.Serialization.ParquetSerializer.SerializeAsync(
                [Row("quiet", "DescribeTrails", "cloudtrail.amazonaws.com"), Row("stop", "StopLogging", "cloudtrail.amazonaws.com")], file, cancellationToken: TestContext.Current.CancellationToken);
        }

        var rule = WriteFile("trail-stopped.yml", "title: Trail stopped\nlogsource: {product: aws, service: cloudtrail}\ndetection:\n  sel:\n    eventSource: cloudtrail.amazonaws.com\n    eventName: StopLogging\n  condition: sel\nlevel: high\n");

        var hunt = await Cli.RunAsync("hunt", path, "--no-builtin", "--rules", rule, "--output", "jsonl");

        Assert.True(hunt.ExitCode == 1, hunt.ToString());
        var hit = JsonDocument.Parse(hunt.Out.Split('\n', StringSplitOptions.RemoveEmptyEntries).Single()).RootElement;
        Assert.Equal("stop", hit.GetProperty("eventId").GetString());
        Assert.Equal(path, hit.GetProperty("origin").GetProperty("source").GetString());
        Assert.Equal(2, hit.GetProperty("origin").GetProperty("line").GetInt64());
        Assert.Contains("1 file(s), 0 read error(s)", hunt.Err);
    }

    [Fact]
    public async Task Hunt_SecurityLakeRecords_AreMatchedByCloudTrailRules_ThroughTheirNativeNames()
    {
        // Security Lake writes CloudTrail events in OCSF (here 1.1, as its documented mapping puts them: the ARN in
        // actor.user.uid, the principal id in uid_alt). The reader took them for CloudTrail events, but rules, built in
        // or SigmaHQ's, name CloudTrail's fields (eventName, userIdentity.arn): not one matched, and nothing said so.
        const string Lake = """{"metadata":{"product":{"name":"CloudTrail","vendor_name":"AWS","feature":{"name":"Management"}},"uid":"ocsf-1","version":"1.1.0","event_code":"AwsApiCall"},"time":1772611200000,"cloud":{"region":"eu-west-1","provider":"AWS","account":{"uid":"111122223333"}},"api":{"operation":"StopLogging","service":{"name":"cloudtrail.amazonaws.com"},"request":{"data":{"name":"org-trail"},"uid":"req-1"},"response":{"error":"AccessDenied","data":{"trail":{"isLogging":false}}}},"resources":[{"uid":"arn:aws:cloudtrail:eu-west-1:111122223333:trail/org-trail","owner":{"account":{"uid":"111122223333"}},"type":"AWS::CloudTrail::Trail"}],"actor":{"user":{"type":"AssumedRole","uid":"arn:aws:sts::111122223333:assumed-role/ops/mallory","uid_alt":"AROAEXAMPLE:mallory","account":{"uid":"111122223333"},"credential_uid":"ASIAEXAMPLEKEY"},"session":{"issuer":"arn:aws:iam::111122223333:role/ops","is_mfa":false}},"http_request":{"user_agent":"aws-cli/2.17.3"},"src_endpoint":{"ip":"203.0.113.66"},"class_uid":6003,"status":"Failure","status_id":2}""";
        var log = WriteFile("lake.jsonl", Lake + "\n");
        var rules = Path.Combine(Path.GetDirectoryName(log)!, "lake-rules");
        Directory.CreateDirectory(rules);
        var checks = new (string Title, string Detection)[]
        {
            ("By eventSource", "eventSource: cloudtrail.amazonaws.com"),
            ("By ARN", "userIdentity.arn|endswith: ':assumed-role/ops/mallory'"),
            ("By principal id", "userIdentity.principalId|startswith: 'AROA'"),
            ("By identity type", "userIdentity.type: AssumedRole"),
            ("By source address", "sourceIPAddress|cidr: 203.0.113.0/24"),
            ("By user agent", "userAgent|contains: aws-cli"),
            ("By error code", "errorCode: AccessDenied"),
            ("By region and account", "awsRegion: eu-west-1\n    recipientAccountId: '111122223333'"),
            ("By access key", "userIdentity.accessKeyId: ASIAEXAMPLEKEY"),
            ("By session issuer", "userIdentity.sessionContext.sessionIssuer.arn|endswith: role/ops"),
            ("By MFA", "userIdentity.sessionContext.attributes.mfaAuthenticated: 'false'"),
            // Security Lake keeps the request and response whole under api.request.data and api.response.data, each
            // resource's ARN and account as uid and owner; a rule's path below them was not followed there.
            ("By request parameter", "requestParameters.name: org-trail"),
            ("By response element", "responseElements.trail.isLogging: 'false'"),
            ("By resource", "resources.ARN|endswith: ':trail/org-trail'\n    resources.accountId: '111122223333'"),
            ("By event type and category", "eventType: AwsApiCall\n    eventCategory: Management"),
            ("By the whole request", "requestParameters|contains: org-trail"),
            ("By a name in another case", "RequestParameters.Name: org-trail"),
        };
        // And a value the record does not hold is no match there either.
        File.WriteAllText(Path.Combine(rules, "other.yml"), "title: Another trail\nlogsource: {product: aws, service: cloudtrail}\ndetection:\n  sel:\n    requestParameters.name: other-trail\n  condition: sel\n");
        foreach (var (i, (title, detection)) in checks.Index())
        {
            File.WriteAllText(Path.Combine(rules, $"r{i}.yml"), $"title: {title}\nlogsource: {{product: aws, service: cloudtrail}}\ndetection:\n  sel:\n    eventName: StopLogging\n    {detection}\n  condition: sel\n");
        }

        var hunt = await Cli.RunAsync("hunt", log, "--rules", rules, "--output", "jsonl");

        Assert.True(hunt.ExitCode == 1, hunt.ToString());
        var hits = hunt.Out.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonDocument.Parse(l).RootElement).ToList();
        var titles = hits.Select(h => h.GetProperty("title").GetString()).ToList();
        Assert.Contains("CloudTrail Trail Stopped, Deleted or Narrowed", titles);
        Assert.All(checks, c => Assert.Contains(c.Title, titles));
        Assert.DoesNotContain("Another trail", titles);
        // Fields Security Lake's mapping does not name stay in unmapped, under their CloudTrail names: a root user's
        // service event there is left out by the built-in rule's filter on eventType, as in CloudTrail.
        var serviceEvent = Lake.Replace("\"class_uid\":6003", "\"class_uid\":6003,\"unmapped\":{\"eventType\":\"AwsServiceEvent\"}")
            .Replace("\"type\":\"AssumedRole\"", "\"type\":\"Root\"").Replace("StopLogging", "CredentialVerification");
        var root = await Cli.RunAsync("hunt", WriteFile("lake-root.jsonl", serviceEvent + "\n" + serviceEvent.Replace("AwsServiceEvent", "AwsApiCall") + "\n"), "--output", "jsonl");
        Assert.Single(root.Out.Split('\n', StringSplitOptions.RemoveEmptyEntries), l => l.Contains("\"title\":\"Root User Activity\"", StringComparison.Ordinal));

        // Exported through Athena, the request and response are JSON text; the paths go on into it.
        var asText = Lake.Replace("""{"data":{"name":"org-trail"},""", """{"data":"{\"name\":\"org-trail\"}",""");
        Assert.Contains("\"data\":\"{", asText);
        var text = await Cli.RunAsync("hunt", WriteFile("lake-text.jsonl", asText + "\n"), "--rules", Path.Combine(rules, "r11.yml"), "--no-builtin", "--output", "jsonl");
        Assert.Contains("\"title\":\"By request parameter\"", text.Out);

        // The built-in rule on an ACL granting everyone, which looks at the whole request, sees Security Lake's.
        var acl = Lake.Replace("StopLogging", "PutBucketAcl").Replace("cloudtrail.amazonaws.com", "s3.amazonaws.com")
            .Replace("""{"data":{"name":"org-trail"},""", """{"data":{"bucketName":"finance","AccessControlPolicy":{"AccessControlList":{"Grant":{"Grantee":{"URI":"http://acs.amazonaws.com/groups/global/AllUsers"},"Permission":"READ"}}}},""");
        var aclHunt = await Cli.RunAsync("hunt", WriteFile("lake-acl.jsonl", acl + "\n"), "--output", "jsonl");
        Assert.Contains("\"title\":\"S3 Bucket Policy or ACL Grants Public Access\"", aclHunt.Out);

        // The actor is named by its ARN, as a CloudTrail record's is.
        var actor = hits[0].GetProperty("actor");
        Assert.Equal("arn:aws:sts::111122223333:assumed-role/ops/mallory", actor.GetProperty("arn").GetString());
        Assert.Equal("mallory", actor.GetProperty("name").GetString());
    }

    [Fact]
    public async Task Hunt_CloudTrailEventsAsEventBridgeDeliversThem_AreRead_AndMatched()
    {
        // EventBridge wraps each CloudTrail event in an envelope ("detail-type": "AWS API Call via CloudTrail") whose
        // detail is the record; such files were reported as of an unrecognised format.
        static string Envelope(string name) => $$$"""{"version":"0","id":"e-{{{name}}}","detail-type":"AWS API Call via CloudTrail","source":"aws.cloudtrail","account":"111122223333","time":"2026-01-15T09:00:00Z","region":"us-east-1","resources":[],"detail":{"eventVersion":"1.08","eventTime":"2026-01-15T09:00:00Z","eventSource":"cloudtrail.amazonaws.com","eventName":"{{{name}}}","awsRegion":"us-east-1","sourceIPAddress":"203.0.113.9","userIdentity":{"type":"IAMUser","arn":"arn:aws:iam::111122223333:user/ops"},"eventID":"id-{{{name}}}"}}""";
        var log = WriteFile("eventbridge.jsonl", Envelope("StopLogging") + "\n" + Envelope("DescribeTrails") + "\n");

        var hunt = await Cli.RunAsync("hunt", log, "--output", "jsonl");

        Assert.True(hunt.ExitCode == 1, hunt.ToString());
        var hit = JsonDocument.Parse(hunt.Out.Split('\n', StringSplitOptions.RemoveEmptyEntries).Single()).RootElement;
        Assert.Equal("CloudTrail Trail Stopped, Deleted or Narrowed", hit.GetProperty("title").GetString());
        Assert.Equal("id-StopLogging", hit.GetProperty("eventId").GetString());
        // The record inside names no account (no recipientAccountId, no userIdentity.accountId); the envelope does.
        Assert.Equal("111122223333", hit.GetProperty("account").GetString());
        Assert.Contains("0 read error(s)", hunt.Err);
        Assert.Contains("1 record(s) skipped by the pre-filter", hunt.Err);
    }

    [Fact]
    public async Task Hunt_RulePathsGoOnIntoFieldsHeldAsJsonText_AsCloudTrailLakeRowsHoldThem()
    {
        // CloudTrail Lake gives each nested field of a row as JSON text ("userIdentity": "{\"type\":\"Root\"...}"); so
        // does Log Analytics its dynamic columns. The reader mapped them, but a rule's path stopped at the string: the
        // root user's console sign-in without MFA below matched no rule.
        const string Lake = """{"QueryStatus":"FINISHED","QueryResultRows":[[{"eventID":"lake-1"},{"eventTime":"2026-03-04 07:30:12.000"},{"eventSource":"signin.amazonaws.com"},{"eventName":"ConsoleLogin"},{"awsRegion":"us-east-1"},{"sourceIPAddress":"198.51.100.99"},{"recipientAccountId":"111122223333"},{"userIdentity":"{\"type\":\"Root\",\"principalId\":\"111122223333\",\"arn\":\"arn:aws:iam::111122223333:root\",\"accountId\":\"111122223333\"}"},{"responseElements":"{\"ConsoleLogin\":\"Success\"}"},{"additionalEventData":"{\"MFAUsed\":\"No\",\"LoginTo\":\"https://console.aws.amazon.com/\"}"}]]}""";
        var log = WriteFile("lake-rows.json", Lake);

        var hunt = await Cli.RunAsync("hunt", log, "--output", "jsonl");

        Assert.True(hunt.ExitCode == 1, hunt.ToString());
        var titles = hunt.Out.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonDocument.Parse(l).RootElement.GetProperty("title").GetString()).ToList();
        Assert.Contains("Root User Activity", titles);
        Assert.Contains("Console Sign-In Without MFA", titles);
    }

    [Fact]
    public async Task Hunt_JsonTextWithALoneSurrogate_EndsThePathThere_AndCostsNothingElse()
    {
        // A path walking into a policy document parsed text the reader had not checked: a \ud800 escaped inside it ended
        // the whole hunt (exit 2, every hit lost) when a rule read the value.
        static string Policy(string id, string effect) => $$$"""{"eventVersion":"1.08","eventTime":"2026-01-15T09:00:00Z","eventSource":"iam.amazonaws.com","eventName":"CreatePolicy","awsRegion":"us-east-1","userIdentity":{"type":"IAMUser","arn":"arn:aws:iam::111122223333:user/ops"},"eventID":"{{{id}}}","requestParameters":{"policyDocument":"{\"Statement\":{\"Effect\":\"{{{effect}}}\"}}"}}""";
        var log = WriteFile("policies.jsonl", string.Join("\n", Policy("p1", "Allow"), Policy("p2", @"Allow\\ud800"), Policy("p3", "Allow")) + "\n");
        var rules = Path.Combine(Path.GetDirectoryName(log)!, "policy-rules");
        Directory.CreateDirectory(rules);
        File.WriteAllText(Path.Combine(rules, "effect.yml"), "title: Allowing policy\nlogsource: {product: aws, service: cloudtrail}\ndetection:\n  sel:\n    requestParameters.policyDocument.Statement.Effect: Allow\n  condition: sel\n");
        // A number matches by value, and the pre-filter lets its other spellings through.
        File.WriteAllText(Path.Combine(rules, "duration.yml"), "title: Long session\nlogsource: {product: aws, service: cloudtrail}\ndetection:\n  sel:\n    eventName: AssumeRole\n    requestParameters.durationSeconds: 43200.0\n  condition: sel\n");
        var assume = WriteFile("assume.jsonl", """{"eventVersion":"1.08","eventTime":"2026-01-15T09:00:00Z","eventSource":"sts.amazonaws.com","eventName":"AssumeRole","awsRegion":"us-east-1","userIdentity":{"type":"IAMUser","arn":"arn:aws:iam::111122223333:user/ops"},"eventID":"a1","requestParameters":{"durationSeconds":43200}}""" + "\n");

        var hunt = await Cli.RunAsync("hunt", log, assume, "--rules", rules, "--no-builtin", "--output", "jsonl");

        Assert.True(hunt.ExitCode == 1, hunt.ToString());
        var ids = hunt.Out.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonDocument.Parse(l).RootElement.GetProperty("eventId").GetString()).Order().ToList();
        Assert.Equal(["a1", "p1", "p3"], ids);
    }

    [Fact]
    public async Task Hunt_OfAFolderWithNoFileOrOnlyEmptyOnes_IsExit2_NotACleanHunt()
    {
        var emptyFolder = Path.Combine(Path.GetDirectoryName(WriteFile("x.txt", ""))!, "nothing");
        Directory.CreateDirectory(emptyFolder);
        var emptyFiles = Path.Combine(Path.GetDirectoryName(emptyFolder)!, "zero");
        Directory.CreateDirectory(emptyFiles);
        File.WriteAllText(Path.Combine(emptyFiles, "a.json"), "");
        var clean = Path.Combine(Path.GetDirectoryName(emptyFolder)!, "clean");
        Directory.CreateDirectory(clean);
        File.WriteAllText(Path.Combine(clean, "quiet.json"), QuietTrail);

        var none = await Cli.RunAsync("hunt", emptyFolder);
        var zero = await Cli.RunAsync("hunt", emptyFiles);
        var quiet = await Cli.RunAsync("hunt", clean);
        // Every file named for times outside --since/--until is a clean hunt: nothing in the window.
        var outside = await Cli.RunAsync("hunt", sim.Logs, "--until", "2000-01-01T00:00:00Z");

        Assert.True(none.ExitCode == 2, none.ToString());
        Assert.Contains("no log file was found in the inputs; nothing was hunted.", none.Err);
        Assert.True(zero.ExitCode == 2, zero.ToString());
        Assert.Contains("the inputs held no log records; nothing was hunted.", zero.Err);
        Assert.True(quiet.ExitCode == 0, quiet.ToString());
        Assert.True(outside.ExitCode == 0, outside.ToString());
    }

    [Fact]
    public async Task Hunt_OfATrailsFolder_PassesItsDigestFilesBy_AndSaysSo_AndDigestsAloneAreNoCleanHunt()
    {
        // Log file validation delivers one digest a region an hour beside the logs; each was an "unrecognised record format" error.
        const string digest = """{"awsAccountId":"111122223333","digestStartTime":"2026-01-15T08:00:00Z","digestEndTime":"2026-01-15T09:00:00Z","digestS3Bucket":"b","digestS3Object":"k","newestEventTime":"2026-01-15T08:52:27Z","oldestEventTime":"2026-01-15T08:02:27Z","logFiles":[]}""";
        var log = WriteFile("AWSLogs/111122223333/CloudTrail/us-east-1/2026/01/15/111122223333_CloudTrail_us-east-1_20260115T0905Z_a1.json", StopTrail);
        var awsLogs = Path.GetDirectoryName(Path.GetDirectoryName(Path.GetDirectoryName(Path.GetDirectoryName(Path.GetDirectoryName(Path.GetDirectoryName(log))))))!;
        var digests = Path.Combine(awsLogs, "CloudTrail-Digest", "us-east-1", "2026", "01", "15");
        Directory.CreateDirectory(digests);
        File.WriteAllText(Path.Combine(digests, "111122223333_CloudTrail-Digest_us-east-1_t_us-east-1_20260115T090000Z.json"), digest);
        File.WriteAllText(Path.Combine(digests, "111122223333_CloudTrail-Digest_us-east-1_t_us-east-1_20260115T100000Z.json"), digest);

        var table = await Cli.RunAsync("hunt", awsLogs);
        var json = await Cli.RunAsync("hunt", awsLogs, "--output", "json");
        var only = await Cli.RunAsync("hunt", Path.Combine(awsLogs, "CloudTrail-Digest"));
        // With a window, digests were counted among the files outside it, and the hunt read as clean (exit 0).
        var onlyInWindow = await Cli.RunAsync("hunt", Path.Combine(awsLogs, "CloudTrail-Digest"), "--since", "2026-01-15T00:00:00Z", "--until", "2026-01-16T00:00:00Z");
        var onlyOutOfWindow = await Cli.RunAsync("hunt", Path.Combine(awsLogs, "CloudTrail-Digest"), "--since", "2027-01-01T00:00:00Z");
        var withAnEmptyLog = await Cli.RunAsync("hunt", Path.Combine(awsLogs, "CloudTrail-Digest"), WriteFile("empty.json", ""));

        Assert.True(table.ExitCode == 1, table.ToString());
        Assert.Contains("1 file(s), 0 read error(s), 0 warning(s)", table.Err);
        Assert.Contains("2 CloudTrail digest file(s) passed by (no events in them)", table.Err);
        Assert.DoesNotContain("unrecognised", table.Err);
        var summary = JsonDocument.Parse(json.Out).RootElement.GetProperty("summary");
        Assert.Equal(2, summary.GetProperty("digestFiles").GetInt32());
        Assert.Equal(0, summary.GetProperty("errors").GetInt32());
        Assert.True(only.ExitCode == 2, only.ToString());
        Assert.Contains("the inputs held only CloudTrail digest files", only.Err);
        foreach (var windowed in new[] { onlyInWindow, onlyOutOfWindow })
        {
            Assert.True(windowed.ExitCode == 2, windowed.ToString());
            Assert.Contains("the inputs held only CloudTrail digest files", windowed.Err);
            Assert.Contains("0 file(s) named for times outside --since/--until left unread, 2 CloudTrail digest file(s) passed by", windowed.Err);
        }

        // An empty log beside them: the message is the one for inputs holding no records.
        Assert.True(withAnEmptyLog.ExitCode == 2, withAnEmptyLog.ToString());
        Assert.Contains("the inputs held no log records", withAnEmptyLog.Err);
    }

    [Theory]
    [InlineData("--since", "1000000d")]
    [InlineData("--since", "1e10d")]
    [InlineData("--until", "99999999w")]
    [InlineData("--since", "Infinityd")]
    public async Task Hunt_AnAgeReachingBeforeTheCalendar_IsAUsageError_NotTheExitCodeOfHits(string option, string age)
    {
        var result = await Cli.RunAsync("hunt", WriteFile("trail.json", StopTrail), option, age);

        Assert.True(result.ExitCode == 2, result.ToString());
        Assert.Contains($"{option} '{age}' reaches back before the first year of the calendar", result.Err);
    }

    [Fact]
    public async Task Hunt_SinceAndUntil_KeepARecordOfUnknownTime_AsTheWarningSays()
    {
        // The reader keeps an Azure record without a time and says so; --since dropped it unseen, --until kept it.
        var log = WriteFile("notime.json", """[{"caller":"admin@contoso.example","eventDataId":"e1","operationName":{"value":"Microsoft.Authorization/elevateAccess/action"},"category":{"value":"Administrative"},"status":{"value":"Succeeded"}}]""");

        var since = await Cli.RunAsync("hunt", log, "--since", "30d", "--output", "jsonl");
        var until = await Cli.RunAsync("hunt", log, "--until", "2000-01-01T00:00:00Z", "--output", "jsonl");

        foreach (var result in new[] { since, until })
        {
            Assert.True(result.ExitCode == 1, result.ToString());
            Assert.Contains("kept with an unknown time", result.Err);
            Assert.Contains("elevateAccess", result.Out);
        }
    }

    [Theory]
    [InlineData("http://user:hunter2@127.0.0.1:1")]
    [InlineData("https://:hunter2@firebreak.example.com/")]
    public async Task Hunt_SendTo_WithAPasswordInTheUrl_IsRefused_AndThePasswordNeverEchoed(string url)
    {
        var result = await Cli.RunWithInputAsync(new Dictionary<string, string?> { ["FIREBREAK_API_KEY"] = "k" }, "", "hunt", WriteFile("trail.json", StopTrail), "--send-to", url);

        Assert.True(result.ExitCode == 2, result.ToString());
        Assert.Contains("--send-to must not carry a user name or password", result.Err);
        Assert.DoesNotContain("hunter2", result.Err + result.Out);
    }

    [Theory]
    [InlineData("--min-levle", "high")]
    [InlineData("--sendto", "https://firebreak.example.com")]
    [InlineData("-x")]
    public async Task Hunt_AMistypedOption_IsAUsageError_NotAPathAndAHuntWithoutIt(params string[] mistyped)
    {
        var trail = WriteFile("trail.json", StopTrail);

        var result = await Cli.RunAsync(["hunt", trail, .. mistyped]);

        Assert.True(result.ExitCode == 2, result.ToString());
        Assert.Contains($"unknown option '{mistyped[0]}'", result.Err);
        Assert.DoesNotContain("StopLogging", result.Out);
    }

    [Fact]
    public async Task Hunt_StandardErrorRedirected_KeepsEachMessageAndTheSummaryOnOneLine()
    {
        // Read with tail -1 and grep: a long path must not break a problem or the summary over two lines.
        var folder = Directory.CreateDirectory(Path.Combine(Path.GetDirectoryName(WriteFile("x.json", StopTrail))!, new string('f', 240))).FullName;
        var bad = Path.Combine(folder, "bad.jsonl");
        File.WriteAllText(bad, "{\"eventVersion\": nope}\n" + StopTrail.ReplaceLineEndings("") + "\n");

        var result = await Cli.RunAsync("hunt", bad, "--since", "2000-01-01", "--output", "jsonl");

        var lines = result.Err.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Contains(lines, l => l.StartsWith($"error: {bad}:1: malformed JSON", StringComparison.Ordinal));
        Assert.Matches(@"^\S.* hit\(s\); 1 file\(s\), 1 read error\(s\), .* outside --since/--until left unread\.\r?$", lines[^1]);
    }

    [Fact]
    public void Errors_AreOneLineEach_WithControlCharactersShown()
    {
        // An SDK's message (the AWS credential chain's, for an s3:// path without credentials) ran over seven lines,
        // and a reason quoting the log could carry escape sequences to the terminal.
        var error = new StringWriter();
        var context = new CliContext(new StringWriter(), error);

        context.WriteError("cannot list objects: Failed to resolve AWS credentials.\n  Exception 1 of 4: none\r\n  Exception 2 of 4: \u001b]0;owned\u0007");

        var text = error.ToString().TrimEnd('\r', '\n');
        Assert.DoesNotContain('\n', text);
        Assert.DoesNotContain('\u001b', text);
        Assert.Equal("error: cannot list objects: Failed to resolve AWS credentials.   Exception 1 of 4: none   Exception 2 of 4: \\u001B]0;owned\\u0007", text);
    }

    [Theory]
    [InlineData("203.0.113.9", "203.0.113.9")]
    [InlineData("203.0.113.9\u001b]0;owned\u0007", "203.0.113.9\\u001B]0;owned\\u0007")]
    [InlineData("=x\u001b[31mred\u009b2J", "=x\\u001B[31mred\\u009B2J")]
    [InlineData("caf\u00e9 \u007f", "caf\u00e9 \\u007F")]
    public void Hunt_TableOnATerminal_ShowsControlCharactersFromTheLogEscaped(string field, string shown)
    {
        // The terminal table draws titles, details and fields through this; a title from a rule file goes through it too.
        Assert.Equal(shown, HuntCommand.Visible(field));
    }

    private const int SigInt = 2;
    private const int SigTerm = 15;

    [System.Runtime.InteropServices.DllImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static extern int SendSignal(int pid, int signal);

    /// <summary>
    /// The CLI as a process of its own, with SIGINT set back to its default first: a test run started in the background by
    /// a shell inherits SIGINT ignored, and so would the hunt (<c>env</c> resets it and runs the command in its place, so
    /// the process id is the hunt's).
    /// </summary>
    private static Process StartCli(params string[] args) => StartCli([], args);

    /// <summary>The CLI as a process of its own, SIGINT at its default, with <paramref name="environment"/> (<c>NAME=value</c>) set.</summary>
    internal static Process StartCli(string[] environment, params string[] args)
    {
        var apphost = Path.Combine(AppContext.BaseDirectory, "firebreak");
        var start = new ProcessStartInfo("env") { ArgumentList = { "--default-signal=INT" }, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var variable in environment) start.ArgumentList.Add(variable);
        if (File.Exists(apphost))
        {
            start.ArgumentList.Add(apphost);
        }
        else
        {
            start.ArgumentList.Add("dotnet");
            start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "firebreak.dll"));
        }

        foreach (var arg in args) start.ArgumentList.Add(arg);
        return Process.Start(start)!;
    }

    private static async Task MakeFifo(string path)
    {
        using var mkfifo = Process.Start("mkfifo", [path]);
        await mkfifo.WaitForExitAsync(TestContext.Current.CancellationToken);
        Assert.Equal(0, mkfifo.ExitCode);
    }

    /// <summary>Opens a named pipe for writing: returns once the process at the other end has opened it for reading.</summary>
    private static async Task<FileStream> OpenForWriting(string fifo) =>
        await Task.Run(() => new FileStream(fifo, FileMode.Open, FileAccess.Write), TestContext.Current.CancellationToken)
            .WaitAsync(HangGuard.Limit, TestContext.Current.CancellationToken);

    [Theory]
    [InlineData(SigInt, 130, "Ctrl+C")]
    [InlineData(SigTerm, 143, "SIGTERM")]
    public async Task Hunt_StoppedByASignal_ReportsEveryHitOfWhatItRead_AndExits128PlusTheSignal(int signal, int exitCode, string name)
    {
        // A real process reading a named pipe the test keeps feeding, so the hunt is certainly under way (the pipe's open
        // returns once the hunt has opened it) and not finished when the signal arrives. Killed by the signal, it printed
        // nothing at all; then it printed the summary but dropped the hits still on their way back from the matching
        // workers (the summary counted more hits than it wrote). Now reading stops, what was read is matched, and every
        // hit counted is written.
        Assert.SkipUnless(OperatingSystem.IsLinux(), "named pipes and signals as on Linux");
        var fifo = Path.Combine(Path.GetDirectoryName(WriteFile("x.txt", ""))!, "trail.jsonl");
        await MakeFifo(fifo);

        using var hunt = StartCli("hunt", fifo, "--output", "jsonl");
        var written = new List<string>();
        var firstHit = new TaskCompletionSource();
        var output = Task.Run(async () =>
        {
            while (await hunt.StandardOutput.ReadLineAsync(TestContext.Current.CancellationToken) is { } line)
            {
                written.Add(line);
                firstHit.TrySetResult();
            }
        });
        var error = hunt.StandardError.ReadToEndAsync(TestContext.Current.CancellationToken);
        try
        {
            // The pipe is fed without pause until the hunt ends, so it is reading (a read blocked on an idle pipe cannot
            // be cancelled; a second signal ends the process then) when the signal arrives. Half the records are hits.
            await using var pipe = await OpenForWriting(fifo);
            var block = Encoding.UTF8.GetBytes(string.Concat(Enumerable.Repeat(QuietTrail.ReplaceLineEndings("") + "\n" + StopTrail.ReplaceLineEndings("") + "\n", 100)));
            await pipe.WriteAsync(block, TestContext.Current.CancellationToken);
            var feeding = Task.Run(async () =>
            {
                try
                {
                    while (!hunt.HasExited) await pipe.WriteAsync(block);
                }
                catch (IOException)
                {
                    // The hunt closed the pipe.
                }
            });
            // Hits are coming out, so some are surely on their way when the signal arrives.
            await firstHit.Task.WaitAsync(HangGuard.Limit, TestContext.Current.CancellationToken);
            Assert.Equal(0, SendSignal(hunt.Id, signal));

            await hunt.WaitForExitAsync(TestContext.Current.CancellationToken).WaitAsync(HangGuard.Limit, TestContext.Current.CancellationToken);
            await feeding.WaitAsync(HangGuard.Limit, TestContext.Current.CancellationToken);
        }
        finally
        {
            if (!hunt.HasExited) hunt.Kill();
        }

        var stderr = await error;
        Assert.True(hunt.ExitCode == exitCode, $"exit {hunt.ExitCode}\n{stderr}");
        var lines = stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Contains(lines, l => l.StartsWith($"Interrupted ({name}): the hits are those found in what was read before it", StringComparison.Ordinal));
        Assert.EndsWith("; interrupted.", lines[^1].TrimEnd('\r'));
        var counted = System.Text.RegularExpressions.Regex.Match(lines[^1], @"^[0-9.]+ MB read, ([0-9,]+) events in .*, ([0-9,]+) hit\(s\);");
        Assert.True(counted.Success, lines[^1]);
        static long Number(System.Text.RegularExpressions.Group group) =>
            long.Parse(group.Value, System.Globalization.NumberStyles.AllowThousands, System.Globalization.CultureInfo.InvariantCulture);
        await output.WaitAsync(HangGuard.Limit, TestContext.Current.CancellationToken);
        Assert.Equal(Number(counted.Groups[2]), written.Count);
        // Every other record is a hit: the events counted are those handed on, not also those mapped ahead and dropped
        // (which counted skipped records the hunt never saw, and made the count of events run ahead of the hits).
        Assert.InRange(Number(counted.Groups[1]) - (2 * written.Count), -1, 1);
        Assert.All(written, line => Assert.Equal("CloudTrail Trail Stopped, Deleted or Narrowed", JsonDocument.Parse(line).RootElement.GetProperty("title").GetString()));
    }

    [Theory]
    [InlineData(SigInt, 130, "Ctrl+C")]
    [InlineData(SigTerm, 143, "SIGTERM")]
    public async Task Hunt_StoppedWhileReadingAnIdlePipe_EndsOnTheFirstSignal_AndSaysWhatWasNotMatched(int signal, int exitCode, string name)
    {
        // A read blocked on a pipe whose writer has gone quiet (a stalled download piped in) cannot be cancelled: the
        // first Ctrl+C left the hunt waiting for the pipe, and only a second one ended it, at once, with nothing said.
        Assert.SkipUnless(OperatingSystem.IsLinux(), "named pipes and signals as on Linux");
        var fifo = Path.Combine(Path.GetDirectoryName(WriteFile("x.txt", ""))!, "idle.jsonl");
        await MakeFifo(fifo);

        using var hunt = StartCli("hunt", fifo, "--output", "jsonl");
        var output = hunt.StandardOutput.ReadToEndAsync(TestContext.Current.CancellationToken);
        var error = hunt.StandardError.ReadToEndAsync(TestContext.Current.CancellationToken);
        try
        {
            // The writer stays open and quiet until the hunt has ended: the pipe never reaches its end.
            await using var pipe = await OpenForWriting(fifo);
            await pipe.WriteAsync(Encoding.UTF8.GetBytes(StopTrail.ReplaceLineEndings("") + "\n"), TestContext.Current.CancellationToken);
            await pipe.FlushAsync(TestContext.Current.CancellationToken);
            await Task.Delay(TimeSpan.FromSeconds(1), TestContext.Current.CancellationToken);
            Assert.Equal(0, SendSignal(hunt.Id, signal));
            await hunt.WaitForExitAsync(TestContext.Current.CancellationToken).WaitAsync(HangGuard.Limit, TestContext.Current.CancellationToken);
        }
        finally
        {
            if (!hunt.HasExited) hunt.Kill();
        }

        var stderr = await error;
        Assert.True(hunt.ExitCode == exitCode, $"exit {hunt.ExitCode}\n{stderr}");
        var lines = stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Contains(lines, l => l.StartsWith($"Interrupted ({name}): the hits are those found in what was read before it", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.StartsWith("Reading had not stopped 1 s after the signal (waiting on an idle pipe, or listing a large archive?)", StringComparison.Ordinal));
        Assert.EndsWith("; interrupted.", lines[^1].TrimEnd('\r'));
        Assert.Equal("", await output);
    }

    [Theory]
    [InlineData(SigInt, 130, "Ctrl+C")]
    [InlineData(SigTerm, 143, "SIGTERM")]
    public async Task Hunt_StoppedWhileTheRulesLoad_SaysSo_AndReadsNoLog(int signal, int exitCode, string name)
    {
        // A signal before the first log was opened (a large rule folder takes a while to load) ended the process with
        // nothing said. A rule file named as a named pipe, opened but never written to, holds the hunt in the loading: the
        // signal must end it there, without waiting for the pipe.
        Assert.SkipUnless(OperatingSystem.IsLinux(), "named pipes and signals as on Linux");
        var log = WriteFile("stop.json", StopTrail);
        var fifo = Path.Combine(Path.GetDirectoryName(log)!, "piped.yml");
        await MakeFifo(fifo);

        using var hunt = StartCli("hunt", log, "--rules", fifo);
        var output = hunt.StandardOutput.ReadToEndAsync(TestContext.Current.CancellationToken);
        var error = hunt.StandardError.ReadToEndAsync(TestContext.Current.CancellationToken);
        try
        {
            await using var pipe = await OpenForWriting(fifo);
            Assert.Equal(0, SendSignal(hunt.Id, signal));
            await hunt.WaitForExitAsync(TestContext.Current.CancellationToken).WaitAsync(HangGuard.Limit, TestContext.Current.CancellationToken);
        }
        finally
        {
            if (!hunt.HasExited) hunt.Kill();
        }

        var stderr = await error;
        Assert.True(hunt.ExitCode == exitCode, $"exit {hunt.ExitCode}\n{stderr}");
        Assert.Contains($"Interrupted ({name}) while the rules loaded: no log was read.", stderr);
        Assert.Equal("", await output);
    }

    [Theory]
    // A lone surrogate escape in a mapped field, in a field only a keyword rule reads, in a property name; a numeric
    // time past year 9999. Each ended the whole hunt with one line and no file, and the hits of every other file were lost.
    // The escapes are now read as U+FFFD with a warning (the record is kept); the time is an error of that record.
    [InlineData("\"eventTime\":\"2026-01-15T09:05:00Z\",\"userAgent\":\"ab\\udc00cd\"", Surrogate, false)]
    [InlineData("\"eventTime\":\"2026-01-15T09:05:00Z\",\"requestParameters\":{\"x\":\"\\ud800\"}", Surrogate, false)]
    [InlineData("\"eventTime\":\"2026-01-15T09:05:00Z\",\"requestParameters\":{\"\\ud800\":\"x\"}", Surrogate, false)]
    [InlineData("\"eventTime\":99999999999999999", "CloudTrail record has no valid eventTime", true)]
    public async Task Hunt_AHostileRecord_CostsOnlyItself(string fields, string reason, bool error)
    {
        var good = WriteFile("good.json", StopTrail);
        var evil = WriteFile("evil.json", $$"""{"Records":[{"eventVersion":"1.08","eventSource":"s3.amazonaws.com","eventName":"GetObject","awsRegion":"us-east-1","sourceIPAddress":"1.2.3.4","userIdentity":{"type":"IAMUser","arn":"arn:aws:iam::111122223333:user/bob"},"eventID":"ID3",{{fields}}}]}""");
        var rules = Path.Combine(Path.GetDirectoryName(good)!, "kw");
        Directory.CreateDirectory(rules);
        File.WriteAllText(Path.Combine(rules, "kw.yml"), "title: keyword\nlogsource: {product: aws}\ndetection:\n  kw: [nothing-like-this]\n  condition: kw\n");

        var result = await Cli.RunAsync("hunt", good, evil, "--rules", rules, "--output", "jsonl");

        Assert.True(result.ExitCode == 1, result.ToString());
        Assert.Contains("\"eventId\":\"e2\"", result.Out);
        Assert.Contains($"evil.json:1: {reason}", result.Err);
        Assert.Contains(error ? "1 read error(s), 0 warning(s)" : "0 read error(s), 1 warning(s)", result.Err);
    }

    private const string Surrogate = "record holds a \\u escape of half a UTF-16 surrogate pair (such as \\ud800 alone), which is no character; read with U+FFFD in its place";

    [Theory]
    // Records the pre-filter skips, and a name a JSON-lines framer compares: each ended the hunt, since the checks
    // that read names and values for the shape or the wrapper ran outside any guard.
    // A lone surrogate's escape is read as U+FFFD (so that one in a field cannot hide a call from the rules); these
    // records are then of no known format.
    [InlineData("""{"Records":[{"\ud800abcdefghijk":1,"note":"eventName"}]}""", "unrecognised record format (fields: \uFFFDabcdefghijk, note)")]
    [InlineData("""{"EventId":"1","EventName":"GetUser","CloudTrailEvent":"{\"category\":\"\\ud800\"}"}""", "unrecognised record format (fields: category)")]
    [InlineData("""{"\ud800x":1}""", "unrecognised record format (fields: \uFFFDx)")]
    public async Task Hunt_AHostileRecordTheFilterSkipsOrTheFramerReads_CostsOnlyItself(string record, string reason)
    {
        var good = WriteFile("good.json", StopTrail);
        var evil = WriteFile("evil.jsonl", record + "\n");

        var result = await Cli.RunAsync("hunt", evil, good, "--output", "jsonl");

        Assert.True(result.ExitCode == 1, result.ToString());
        Assert.Contains("\"eventId\":\"e2\"", result.Out);
        Assert.Contains($"evil.jsonl:1: {reason}", result.Err);
    }

    [Fact]
    public async Task Hunt_ALoneSurrogateInOneField_DoesNotHideTheCallFromTheRules()
    {
        // Anyone who can put text in a field (a user agent, a request parameter) could write \ud800 there: the record is
        // read with U+FFFD in its place, matched, and a warning says so.
        var record = StopTrail.Replace("\"sourceIPAddress\"", "\"userAgent\":\"aws-cli\\ud800/2.15\",\"sourceIPAddress\"", StringComparison.Ordinal);
        var evil = WriteFile("evil.json", record);

        var result = await Cli.RunAsync("hunt", evil, "--output", "jsonl");

        Assert.True(result.ExitCode == 1, result.ToString());
        Assert.Contains("\"eventId\":\"e2\"", result.Out);
        Assert.Contains("\"userAgent\":\"aws-cli\\uFFFD/2.15\"", result.Out); // the replacement character, as JSON writes it
        Assert.Contains("record holds a \\u escape of half a UTF-16 surrogate pair (such as \\ud800 alone), which is no character; read with U+FFFD in its place", result.Err);
        Assert.Contains("0 read error(s), 1 warning(s)", result.Err);
    }

    [Fact]
    public async Task Hunt_ManyProblems_AreCountedInFull_ListedInPart_AndTheOneThatStoppedAFileIsListed()
    {
        // Three thousand malformed lines in one file, and a file cut short in another: every problem is
        // counted, the first fifty are listed with a count of the rest, and the cut file is named even
        // when it comes after them. The json output keeps the first thousand, and every one that ended a file.
        var bad = WriteFile("bad.jsonl", string.Concat(Enumerable.Range(0, 3000).Select(i => $$"""{"eventVersion": nope{{i}}}""" + "\n")));
        var cut = Path.Combine(Path.GetDirectoryName(bad)!, "zz-cut.json");
        File.WriteAllText(cut, StopTrail[..(StopTrail.Length / 2)] + "\n" + string.Concat(Enumerable.Range(0, 10).Select(_ => "[[[[")));

        var table = await Cli.RunAsync("hunt", bad, cut);
        var json = await Cli.RunAsync("hunt", bad, cut, "--output", "json");

        // The cut file holds two problems: the delivery cut short on line 1 (reading goes on with the line after it, which
        // opens in the first column), and that line, which never closes.
        Assert.True(table.ExitCode == 2, table.ToString());
        Assert.Contains("3002 read error(s)", table.Err);
        // The one that ended the file is always listed; the other may fall past the first fifty (files are read side by side).
        Assert.Contains("zz-cut.json:2: file ends inside a JSON value (truncated?)", table.Err);
        var alone = await Cli.RunAsync("hunt", cut);
        Assert.Contains("zz-cut.json:1: malformed JSON", alone.Err);
        Assert.Contains("2 read error(s)", alone.Err);
        var listed = table.Err.Split('\n').Count(l => l.StartsWith("error: /", StringComparison.Ordinal));
        Assert.InRange(listed, 50, 52);
        Assert.Contains($"... and {3002 - listed} more problem(s).", table.Err);
        var root = JsonDocument.Parse(json.Out).RootElement;
        Assert.Equal(3002, root.GetProperty("summary").GetProperty("errors").GetInt64());
        var problems = root.GetProperty("problems").EnumerateArray().ToList();
        Assert.InRange(problems.Count, 1000, 1002);
        Assert.Contains(problems, p => p.GetProperty("source").GetString() == cut);
    }

    [Fact]
    public async Task Hunt_OfABigQuerySinkExport_MatchesTheBuiltInGcpRules()
    {
        // Audit logs kept in BigQuery (a log sink's table, exported one row a line): the payload is protopayload_auditlog.
        const string Row = """{"logName":"projects/acme-prod/logs/cloudaudit.googleapis.com%2Factivity","resource":{"type":"service_account","labels":{"project_id":"acme-prod"}},"protopayload_auditlog":{"serviceName":"iam.googleapis.com","methodName":"google.iam.admin.v1.CreateServiceAccountKey","resourceName":"projects/-/serviceAccounts/1234","authenticationInfo":{"principalEmail":"mallory@example.com"},"requestMetadata":{"callerIp":"203.0.113.9"},"requestJson":"{\"name\":\"projects/-/serviceAccounts/1234\"}"},"timestamp":"2026-01-15 09:00:00.123456 UTC","insertId":"bq-1"}""";
        const string Quiet = """{"logName":"projects/acme-prod/logs/cloudaudit.googleapis.com%2Factivity","resource":{"type":"gce_instance","labels":{"project_id":"acme-prod"}},"protopayload_auditlog":{"serviceName":"compute.googleapis.com","methodName":"v1.compute.instances.list","authenticationInfo":{"principalEmail":"ops@example.com"}},"timestamp":"2026-01-15 09:01:00 UTC","insertId":"bq-2"}""";
        var path = WriteFile("bq-export-000000000000.json", Row + "\n" + Quiet + "\n");

        var hunt = await Cli.RunAsync("hunt", path, "--output", "jsonl");

        Assert.True(hunt.ExitCode == 1, hunt.ToString());
        var hit = JsonDocument.Parse(hunt.Out.Split('\n', StringSplitOptions.RemoveEmptyEntries).Single()).RootElement;
        Assert.Equal(("GCP Service Account Key Created or Uploaded", "bq-1", "acme-prod"), (hit.GetProperty("title").GetString(), hit.GetProperty("eventId").GetString(), hit.GetProperty("account").GetString()));
        Assert.Contains("0 read error(s)", hunt.Err);
    }

    [Fact]
    public async Task Hunt_WithAFormatTheLogsAreNot_ReportsEveryRecord_NotACleanHunt()
    {
        // CloudTrail forced to be read as GCP: the pre-filter found no GCP rule's text in it and skipped every
        // record unparsed, so the hunt said "0 hit(s)" and exited 0 for logs it never read.
        var path = WriteFile("trail.json", QuietTrail);

        var result = await Cli.RunAsync("hunt", path, "--format", "gcp-audit");

        Assert.True(result.ExitCode == 2, result.ToString());
        Assert.Contains("GCP audit entry has no protoPayload.methodName", result.Err);
        Assert.Contains("1 read error(s)", result.Err);
    }

    [Fact]
    public async Task Hunt_OfAnEntraAuditLog_AsSignIns_ReportsEachRecord_NotACleanHunt()
    {
        // The sign-in mapper found a time and an operation name in every audit record: the log was read as 4 sign-ins,
        // with no problem, and the hunt said "No hits" where detection finds three.
        var log = SharedSample("azure/otrf-aad-audit/AADAuditEvents.json");

        var detected = await Cli.RunAsync("hunt", log, "--output", "json");
        var forced = await Cli.RunAsync("hunt", log, "--format", "entra-signin", "--output", "json");

        Assert.True(detected.ExitCode == 1, detected.ToString());
        Assert.True(forced.ExitCode == 2, forced.ToString());
        var summary = JsonDocument.Parse(forced.Out).RootElement.GetProperty("summary");
        Assert.Equal((0, 4), (summary.GetProperty("events").GetInt32(), summary.GetProperty("errors").GetInt32()));
        Assert.Contains("AADAuditEvents.json:4: not an Entra ID sign-in record (the format given) but an Entra ID audit record", forced.Err);
    }

    [Theory]
    [InlineData("entra-audit", "not an Entra ID audit record (the format given) but an Azure Activity record")]
    [InlineData("entra-signin", "not an Entra ID sign-in record (the format given) but an Azure Activity record")]
    public async Task Hunt_OfAnActivityLog_AsAnEntraLog_ReportsEachRecord(string format, string reason)
    {
        const string Record = """{"time":"2026-01-15T10:00:00Z","resourceId":"/SUBSCRIPTIONS/0B1C2D3E-4F50-4617-8293-A4B5C6D7E8F9","operationName":"MICROSOFT.AUTHORIZATION/ELEVATEACCESS/ACTION","category":"Administrative","resultType":"Success","callerIpAddress":"203.0.113.7","identity":{"claims":{"http://schemas.xmlsoap.org/ws/2005/05/identity/claims/upn":"admin@contoso.example"}}}""";
        var path = WriteFile("PT1H.json", Record + "\n" + Record.Replace("10:00:00", "10:05:00", StringComparison.Ordinal) + "\n");

        var result = await Cli.RunAsync("hunt", path, "--format", format);

        Assert.True(result.ExitCode == 2, result.ToString());
        Assert.Contains($"PT1H.json:1: {reason}", result.Err);
        Assert.Contains($"PT1H.json:2: {reason}", result.Err);
        Assert.Contains("2 read error(s)", result.Err);
    }

    [Fact]
    public async Task Hunt_ReportsAMalformedRecord_EvenWhenNoRuleCouldMatchIt()
    {
        // The pre-filter skips records no rule can match without parsing them; a damaged one among them was counted
        // as skipped, and the hunt said "0 read error(s)" for a log with a broken record in it.
        var damaged = QuietTrail.Replace("\"eventID\":\"e1\"}]}", "\"eventID\":\"e1\"},", StringComparison.Ordinal)
            + """{"eventVersion":"1.08","eventTime":"2026-01-15T08:00:01Z","eventSource":"ec2.amazonaws.com","eventName":"DescribeInstances","readOnly":tru,"eventID":"e3"}]}""";
        var path = WriteFile("damaged.json", damaged);

        var result = await Cli.RunAsync("hunt", path);

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Contains("1 read error(s)", result.Err);
        Assert.Contains("damaged.json:1: malformed record", result.Err);
        Assert.Contains("1 record(s) skipped by the pre-filter", result.Err);
    }

    [Fact]
    public async Task Hunt_ExitsZero_WhenNothingMatches()
    {
        var result = await Cli.RunAsync("hunt", WriteFile("quiet.json", QuietTrail));
        var listed = await Cli.RunAsync("rules", "list", "--json");

        Assert.True(result.ExitCode == 0, result.ToString());
        // As many as `rules list` lists: the built-in correlations are counted, apart.
        using var rules = System.Text.Json.JsonDocument.Parse(listed.Out);
        var all = rules.RootElement.GetArrayLength();
        var correlations = rules.RootElement.EnumerateArray().Count(r => r.GetProperty("kind").GetString() == "correlation");
        Assert.True(correlations > 0, listed.Out);
        Assert.Contains($"No hits from {all - correlations} rule(s) and {correlations} correlation(s).", result.Out, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Hunt_JsonlAndCsv_HaveOneRowPerHit()
    {
        var jsonl = await Cli.RunAsync("hunt", sim.Logs, "--output", "jsonl");
        var csv = await Cli.RunAsync("hunt", sim.Logs, "--output", "csv");

        var lines = jsonl.Out.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.NotEmpty(lines);
        Assert.All(lines, line =>
        {
            using var hit = JsonDocument.Parse(line);
            Assert.False(string.IsNullOrEmpty(hit.RootElement.GetProperty("ruleId").GetString()));
            Assert.Equal(JsonValueKind.Object, hit.RootElement.GetProperty("fields").ValueKind);
        });
        var rows = csv.Out.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.StartsWith("kind,time,rule_id,title,level,", rows[0]);
        Assert.Equal(lines.Length, rows.Length - 1);
        Assert.Equal(1, csv.ExitCode);
    }

    [Fact]
    public async Task Hunt_Csv_PrefixesCellsASpreadsheetWouldEvaluate()
    {
        // Log fields are the attacker's text; a CSV opened in a spreadsheet must not run them as formulas.
        var trail = StopTrail
            .Replace("\"sourceIPAddress\":\"203.0.113.9\"", "\"sourceIPAddress\":\"=1+1\"", StringComparison.Ordinal)
            .Replace("\"awsRegion\":\"us-east-1\"", "\"awsRegion\":\"\\t=2+2\"", StringComparison.Ordinal)
            .Replace("arn:aws:iam::111122223333:user/ops", "@SUM(1)", StringComparison.Ordinal);
        Assert.NotEqual(StopTrail, trail);

        var csv = await Cli.RunAsync("hunt", WriteFile("formulas.json", trail), "--output", "csv");

        var row = Assert.Single(csv.Out.Split('\n', StringSplitOptions.RemoveEmptyEntries).Skip(1), r => r.Contains("StopLogging", StringComparison.Ordinal));
        var cells = row.TrimEnd('\r').Split(',');
        Assert.Contains("'=1+1", cells);
        Assert.Contains("'\t=2+2", cells);
        Assert.Contains("'@SUM(1)", cells);
        Assert.DoesNotContain(cells, c => c.Length > 0 && c[0] is '=' or '+' or '@' or '\t');
    }

    [Fact]
    public async Task Hunt_SinceAndUntil_LimitTheEventsHunted()
    {
        var firstAttack = sim.Result.AttackSteps.Min(s => s.Time);
        var attackIds = sim.Result.AttackSteps.Select(s => s.EventId).ToHashSet();

        var before = await Cli.RunAsync("hunt", sim.Logs, "--output", "json", "--until", firstAttack.ToString("O"));
        var during = await Cli.RunAsync("hunt", sim.Logs, "--output", "json", "--since", firstAttack.ToString("O"), "--until", firstAttack.AddHours(3).ToString("O"));

        Assert.DoesNotContain(Hits(before), h => attackIds.Contains(h.GetProperty("eventId").GetString()!));
        Assert.Contains(Hits(during), h => h.GetProperty("eventId").GetString() is { } id && attackIds.Contains(id));
        Assert.All(Hits(during), h => Assert.True(h.GetProperty("time").GetDateTimeOffset() >= firstAttack));
    }

    [Fact]
    public async Task Hunt_Since_LeavesUnreadTheFilesNamedForEarlierTimes_AndLosesNoHit()
    {
        var since = sim.Result.AttackSteps.Min(s => s.Time);
        static IEnumerable<string> RuleHits(CliResult result, DateTimeOffset from) => Hits(result)
            .Where(h => h.GetProperty("kind").GetString() == "rule" && h.GetProperty("time").GetDateTimeOffset() >= from)
            .Select(h => $"{h.GetProperty("ruleId").GetString()} {h.GetProperty("eventId").GetString()}")
            .Order(StringComparer.Ordinal);

        var all = await Cli.RunAsync("hunt", sim.Logs, "--output", "json");
        var windowed = await Cli.RunAsync("hunt", sim.Logs, "--output", "json", "--since", since.ToString("O"));

        Assert.True(windowed.ExitCode == 1, windowed.ToString());
        var summary = JsonDocument.Parse(windowed.Out).RootElement.GetProperty("summary");
        var outside = summary.GetProperty("filesOutsideWindow").GetInt64();
        Assert.True(outside > 0, windowed.Err);
        Assert.Equal(JsonDocument.Parse(all.Out).RootElement.GetProperty("summary").GetProperty("files").GetInt64(), summary.GetProperty("files").GetInt64() + outside);
        // The console wraps the summary at its width; words stay whole.
        Assert.Contains($"{outside} file(s) named for times outside --since/--until left unread", string.Join(' ', windowed.Err.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries)), StringComparison.Ordinal);
        // Every hit on an event of the window is still found: the files left unread held none of them.
        Assert.Equal(RuleHits(all, since), RuleHits(windowed, since));
        Assert.Contains(Hits(windowed), h => h.GetProperty("eventId").GetString() is { } id && sim.Result.AttackSteps.Any(s => s.EventId == id));
    }

    [Fact]
    public async Task Hunt_Dash_ReadsStandardInput_PlainOrGzipped_AndOnlyOnce()
    {
        var none = new Dictionary<string, string?>();

        var plain = await Cli.RunWithInputAsync(none, StopTrail, "hunt", "-", "--output", "json");

        Assert.True(plain.ExitCode == 1, plain.ToString());
        Assert.Contains(Hits(plain), h => h.GetProperty("origin").GetProperty("source").GetString() == "-" && h.GetProperty("eventId").GetString() == "e2");

        var gz = new MemoryStream();
        await using (var zip = new System.IO.Compression.GZipStream(gz, System.IO.Compression.CompressionLevel.Fastest, leaveOpen: true))
        {
            await zip.WriteAsync(System.Text.Encoding.UTF8.GetBytes(StopTrail), TestContext.Current.CancellationToken);
        }

        gz.Position = 0;
        using var output = new StringWriter();
        using var error = new StringWriter();
        var zipped = await CliApp.RunAsync(["hunt", "-", "--output", "jsonl"], new CliContext(output, error, none, gz), TestContext.Current.CancellationToken);
        Assert.True(zipped == 1, error.ToString());
        Assert.Contains("\"eventId\":\"e2\"", output.ToString(), StringComparison.Ordinal);

        // Standard input can be read once; named twice is refused before anything is read.
        var twice = await Cli.RunWithInputAsync(none, StopTrail, "hunt", "-", "-");
        Assert.True(twice.ExitCode == 2, twice.ToString());
        Assert.Contains("can be named once", twice.Err, StringComparison.Ordinal);

        // What is not a log is reported against "-", as a file's problems are against the file.
        var garbage = await Cli.RunWithInputAsync(none, "this is not a log\n", "hunt", "-", "--output", "json");
        var problem = Assert.Single(JsonDocument.Parse(garbage.Out).RootElement.GetProperty("problems").EnumerateArray());
        Assert.Equal("-", problem.GetProperty("source").GetString());
        Assert.Equal("error", problem.GetProperty("severity").GetString());
    }

    [Fact]
    public async Task Hunt_HitsOnlyBelowMinLevel_AreSaidToBeThere_AndExitZero()
    {
        var file = WriteFile("stop.json", StopTrail);
        var all = await Cli.RunAsync("hunt", file, "--output", "json");
        var critical = await Cli.RunAsync("hunt", file, "--min-level", "critical");

        Assert.Equal(1, all.ExitCode);
        Assert.DoesNotContain(Hits(all), h => h.GetProperty("level").GetString() == "critical");
        Assert.Equal(0, critical.ExitCode);
        Assert.Contains($"No hits at level critical or above from", critical.Out);
        Assert.Contains($"; {Hits(all).Length} below it", critical.Out);
    }

    [Fact]
    public async Task Hunt_MinLevel_DropsLowerLevels()
    {
        var all = await Cli.RunAsync("hunt", sim.Logs, "--output", "json");
        var high = await Cli.RunAsync("hunt", sim.Logs, "--output", "json", "--min-level", "high");

        Assert.Contains(Hits(all), h => h.GetProperty("level").GetString() is "low" or "medium");
        Assert.NotEmpty(Hits(high));
        Assert.All(Hits(high), h => Assert.Contains(h.GetProperty("level").GetString(), new[] { "high", "critical" }));
    }

    [Fact]
    public async Task Hunt_ReportsMalformedInput_WithFileAndLine_AndHuntsTheRest()
    {
        var good = WriteFile("good.json", StopTrail);
        var bad = Path.Combine(Path.GetDirectoryName(good)!, "bad.jsonl");
        File.WriteAllText(bad, "{\"eventName\":\"StopLogging\"\n{ this is not json\n");

        var result = await Cli.RunAsync("hunt", Path.GetDirectoryName(good)!, "--output", "json");

        Assert.True(result.ExitCode == 1, result.ToString());
        Assert.Contains("bad.jsonl:", result.Err);
        var summary = JsonDocument.Parse(result.Out).RootElement.GetProperty("summary");
        Assert.True(summary.GetProperty("errors").GetInt64() >= 1);
        Assert.Contains(JsonDocument.Parse(result.Out).RootElement.GetProperty("problems").EnumerateArray(), p => p.GetProperty("source").GetString()!.EndsWith("bad.jsonl"));
        Assert.Contains("CloudTrail Trail Stopped, Deleted or Narrowed", Titles(result));
    }

    [Theory]
    [InlineData("--rules", "/nonexistent/rules")]
    [InlineData("--min-level", "severe")]
    [InlineData("--since", "yesterday-ish")]
    [InlineData("--output", "xml")]
    public async Task Hunt_BadArguments_ExitTwo(string option, string value)
    {
        var result = await Cli.RunAsync("hunt", sim.Logs, option, value);

        Assert.True(result.ExitCode == 2, result.ToString());
    }

    [Fact]
    public async Task Hunt_InputsThatCannotBeRead_ExitTwo_NotNoHits()
    {
        var result = await Cli.RunAsync("hunt", Path.Combine(sim.Directory, "no-such-folder"));

        Assert.True(result.ExitCode == 2, result.ToString());
        Assert.Contains("none of the inputs could be read", result.Err);
        var partly = await Cli.RunAsync("hunt", sim.Logs, Path.Combine(sim.Directory, "no-such-folder"), "--output", "json");
        Assert.True(partly.ExitCode == 1, partly.ToString());

        // Found but holding no log either: a text file, or standard input that is not JSON, read as a clean hunt before.
        var notes = await Cli.RunAsync("hunt", WriteFile("notes.json", "these are not logs\n"));
        Assert.True(notes.ExitCode == 2, notes.ToString());
        Assert.Contains("none of the inputs could be read", notes.Err);
        var piped = await Cli.RunWithInputAsync(new Dictionary<string, string?>(), "not a log\n", "hunt", "-");
        Assert.True(piped.ExitCode == 2, piped.ToString());
        // One readable event among them is a hunt: the problems are reported, the exit code says what it found.
        var mixed = await Cli.RunAsync("hunt", WriteFile("notes.json", "these are not logs\n"), WriteFile("quiet.json", QuietTrail));
        Assert.True(mixed.ExitCode == 0, mixed.ToString());
    }

    [Fact]
    public async Task Hunt_BrokenRuleFile_IsReported_AndTheOtherRulesRun()
    {
        var rules = Path.GetDirectoryName(WriteFile("broken.yml", "title: broken\ndetection: [not, a, map]\n"))!;

        var result = await Cli.RunAsync("hunt", sim.Logs, "--rules", rules, "--output", "json");

        Assert.True(result.ExitCode == 1, result.ToString());
        Assert.Contains("broken.yml", result.Err);
        Assert.Contains("CloudTrail Trail Stopped, Deleted or Narrowed", Titles(result));
    }

    [Fact]
    public async Task Hunt_OfAnS3PrefixThatCannotBeReached_IsAnError_NotAHuntWithHits()
    {
        // Exit 1 means hits; a connection refused used to end with it.
        var environment = new Dictionary<string, string?> { ["AWS_ACCESS_KEY_ID"] = "AKIAFAKEFORLOOPBACK1", ["AWS_SECRET_ACCESS_KEY"] = "not-a-real-secret" };

        var result = await Cli.RunAsync(environment, "hunt", "s3://trail-bucket/AWSLogs/", "--s3-endpoint", "http://127.0.0.1:1", "--output", "json");

        Assert.True(result.ExitCode == 2, result.ToString());
        Assert.Contains("cannot list objects", result.Err);
        Assert.Contains("none of the inputs could be read", result.Err);
        Assert.DoesNotContain("not-a-real-secret", result.Err + result.Out);
    }

    [Fact]
    public async Task Hunt_OfAnS3Prefix_Since_FindsWhatTheSameHuntOfTheFilesFinds_WithoutOpeningEarlierObjects()
    {
        await using var s3 = await Firebreak.Testing.S3rverServer.StartAsync("trail-bucket", TestContext.Current.CancellationToken);
        using (var upload = new Amazon.S3.AmazonS3Client(Firebreak.Testing.S3rverServer.AccessKeyId, Firebreak.Testing.S3rverServer.SecretAccessKey, new Amazon.S3.AmazonS3Config
        {
            ServiceURL = s3.ServiceUrl,
            ForcePathStyle = true,
            AuthenticationRegion = "us-east-1",
            RequestChecksumCalculation = Amazon.Runtime.RequestChecksumCalculation.WHEN_REQUIRED,
        }))
        {
            foreach (var file in sim.Result.Files.Where(f => f.StartsWith("AWSLogs/", StringComparison.Ordinal)))
            {
                await upload.PutObjectAsync(new Amazon.S3.Model.PutObjectRequest { BucketName = "trail-bucket", Key = file, FilePath = Path.Combine(sim.Logs, file), UseChunkEncoding = false }, TestContext.Current.CancellationToken);
            }
        }

        var since = sim.Result.AttackSteps.Min(s => s.Time).ToString("O");
        var environment = new Dictionary<string, string?> { ["AWS_ACCESS_KEY_ID"] = Firebreak.Testing.S3rverServer.AccessKeyId, ["AWS_SECRET_ACCESS_KEY"] = Firebreak.Testing.S3rverServer.SecretAccessKey };
        static string[] RuleHits(CliResult result) => Hits(result).Where(h => h.GetProperty("kind").GetString() == "rule")
            .Select(h => $"{h.GetProperty("ruleId").GetString()} {h.GetProperty("eventId").GetString()}").Order(StringComparer.Ordinal).ToArray();

        var fromS3 = await Cli.RunAsync(environment, "hunt", "s3://trail-bucket/AWSLogs/", "--s3-endpoint", s3.ServiceUrl, "--since", since, "--output", "json");
        var fromFiles = await Cli.RunAsync("hunt", Path.Combine(sim.Logs, "AWSLogs"), "--since", since, "--output", "json");

        Assert.True(fromS3.ExitCode == 1, fromS3.ToString());
        Assert.NotEmpty(RuleHits(fromS3));
        Assert.Equal(RuleHits(fromFiles), RuleHits(fromS3));
        var summary = JsonDocument.Parse(fromS3.Out).RootElement.GetProperty("summary");
        var awsFiles = sim.Result.Files.Count(f => f.StartsWith("AWSLogs/", StringComparison.Ordinal));
        Assert.True(summary.GetProperty("files").GetInt64() < awsFiles, fromS3.Err);
        Assert.Equal(JsonDocument.Parse(fromFiles.Out).RootElement.GetProperty("summary").GetProperty("files").GetInt64(), summary.GetProperty("files").GetInt64());
    }

    [Fact]
    public async Task Hunt_OfAZipInABucket_DownloadsIt_AndReadsItsEntries()
    {
        await using var s3 = await Firebreak.Testing.S3rverServer.StartAsync("trail-bucket", TestContext.Current.CancellationToken);
        var zip = new MemoryStream(HandoverArchive(zip: true));
        using (var upload = new Amazon.S3.AmazonS3Client(Firebreak.Testing.S3rverServer.AccessKeyId, Firebreak.Testing.S3rverServer.SecretAccessKey, new Amazon.S3.AmazonS3Config
        {
            ServiceURL = s3.ServiceUrl,
            ForcePathStyle = true,
            AuthenticationRegion = "us-east-1",
            RequestChecksumCalculation = Amazon.Runtime.RequestChecksumCalculation.WHEN_REQUIRED,
        }))
        {
            await upload.PutObjectAsync(new Amazon.S3.Model.PutObjectRequest { BucketName = "trail-bucket", Key = "handover/logs.zip", InputStream = zip, UseChunkEncoding = false }, TestContext.Current.CancellationToken);
        }

        var environment = new Dictionary<string, string?> { ["AWS_ACCESS_KEY_ID"] = Firebreak.Testing.S3rverServer.AccessKeyId, ["AWS_SECRET_ACCESS_KEY"] = Firebreak.Testing.S3rverServer.SecretAccessKey };

        var hunt = await Cli.RunAsync(environment, "hunt", "s3://trail-bucket/handover/", "--s3-endpoint", s3.ServiceUrl, "--output", "jsonl");

        Assert.True(hunt.ExitCode == 1, hunt.ToString());
        var hit = JsonDocument.Parse(hunt.Out.Split('\n', StringSplitOptions.RemoveEmptyEntries).Single()).RootElement;
        Assert.Equal("s3://trail-bucket/handover/logs.zip!AWSLogs/stop.json", hit.GetProperty("origin").GetProperty("source").GetString());
        Assert.Contains("2 file(s), 0 read error(s)", hunt.Err);
    }

    [Fact]
    public async Task Hunt_RuleFileThatCannotBeRead_IsReported_AndTheOtherRulesRun()
    {
        // A dangling link left by a rules checkout used to stop the hunt with a usage error.
        var rules = Path.GetDirectoryName(WriteFile("kept.yml", "title: kept\nlogsource: {product: aws, service: cloudtrail}\ndetection: {sel: {eventName: StopLogging}, condition: sel}\n"))!;
        File.CreateSymbolicLink(Path.Combine(rules, "dangling.yml"), Path.Combine(rules, "moved-away.yml"));

        var result = await Cli.RunAsync("hunt", sim.Logs, "--rules", rules, "--output", "json");

        Assert.True(result.ExitCode == 1, result.ToString());
        Assert.Contains("dangling.yml", result.Err);
        Assert.Contains("cannot be read", result.Err);
        Assert.Contains("kept", Titles(result));
    }

    [Fact]
    public void JsonLines_OfARuleKeyReusedWithOtherTexts_ShowTheHitsOwnTexts()
    {
        // Two rule sets loaded in one process may share a rule id with another title, level or tags.
        var buffer = new System.Buffers.ArrayBufferWriter<byte>();
        foreach (var (title, level, tags) in new[] { ("First title", "high", new[] { "attack.t1" }), ("Second <title>", (string?)null, new[] { "attack.t2", "x" }), ("First title", "high", new[] { "attack.t1" }) })
        {
            var hit = new Firebreak.Detection.Hunting.HuntHit(Firebreak.Detection.Hunting.HuntHitKind.Rule, "shared-id", title, level, tags, null, [new("f", "v")], null);
            buffer.ResetWrittenCount();
            using (var writer = new Utf8JsonWriter(buffer))
            {
                Firebreak.Cli.Commands.HitJsonWriter.Write(writer, hit);
            }

            var line = System.Text.Encoding.UTF8.GetString(buffer.WrittenSpan);
            Assert.Equal(JsonSerializer.Serialize(Firebreak.Cli.Commands.HuntCommand.HitJson(hit)), line);
            Assert.Equal(title, JsonDocument.Parse(line).RootElement.GetProperty("title").GetString());
        }
    }

    [Fact]
    public async Task JsonLines_AreWrittenExactlyAsTheSerializerWritesTheHitObject()
    {
        // Characters the writer escapes, in a value, a file name and a rule's own texts.
        var odd = WriteFile("odd <é> & 'q'.json", StopTrail.Replace("\"eventID\":\"e2\"", "\"eventID\":\"e2\",\"userAgent\":\"a+b <é> & 'c'\""));
        // Fifty secret reads in fifty seconds: the built-in burst correlation fires.
        var reads = string.Join(",", Enumerable.Range(0, 50).Select(i =>
            $$"""{"eventVersion":"1.08","eventTime":"2026-01-15T10:00:{{i:00}}Z","eventSource":"secretsmanager.amazonaws.com","eventName":"GetSecretValue","awsRegion":"us-east-1","userIdentity":{"type":"IAMUser","arn":"arn:aws:iam::111122223333:user/mallory"},"requestParameters":{"secretId":"prod/db"},"eventID":"r{{i}}"}"""));
        var burst = WriteFile("burst.json", $$"""{"Records":[{{reads}}]}""");
        var oddRule = Firebreak.Detection.Sigma.SigmaParser.Parse("""
            title: "Trail stopped <by> \"someone\" & é"
            id: 0e5a3c57-65a8-4d8c-9d51-2f1a4d9f0c11
            level: high
            tags: [attack.t1562+odd, "<tag>"]
            logsource: {product: aws, service: cloudtrail}
            detection:
              sel: {eventName: StopLogging}
              condition: sel
            """, "odd.yml").Documents;
        var rules = Firebreak.Detection.Sigma.CompiledRuleSet.Compile([.. Firebreak.Detection.Rules.BuiltInRules.Load().Documents, .. oddRule]);
        var reader = new Firebreak.Detection.Readers.CloudLogReader();
        var hunt = new Firebreak.Detection.Hunting.Hunt(rules);
        var kinds = new HashSet<Firebreak.Detection.Hunting.HuntHitKind>();
        var ruleIds = new HashSet<string>();
        var compared = 0;
        var buffer = new System.Buffers.ArrayBufferWriter<byte>();
        await foreach (var hit in hunt.RunAsync(reader.ReadPathsAsync([sim.Logs, odd, burst], TestContext.Current.CancellationToken), TestContext.Current.CancellationToken))
        {
            buffer.ResetWrittenCount();
            using (var writer = new Utf8JsonWriter(buffer))
            {
                Firebreak.Cli.Commands.HitJsonWriter.Write(writer, hit);
            }

            Assert.Equal(JsonSerializer.Serialize(Firebreak.Cli.Commands.HuntCommand.HitJson(hit)), System.Text.Encoding.UTF8.GetString(buffer.WrittenSpan));
            kinds.Add(hit.Kind);
            ruleIds.Add(hit.RuleKey);
            compared++;
        }

        Assert.True(compared > 10, $"{compared} hits");
        Assert.Contains(oddRule.OfType<Firebreak.Detection.Sigma.SigmaRule>().Single().Id!, ruleIds);
        Assert.Contains(Firebreak.Detection.Hunting.HuntHitKind.Correlation, kinds);
    }

    [Fact]
    public async Task Hunt_SkipsRecordsNoRuleCanMatch_AndCountsThemAsRead()
    {
        var result = await Cli.RunAsync("hunt", sim.Logs, "--output", "json");

        Assert.True(result.ExitCode == 1, result.ToString());
        var summary = JsonDocument.Parse(result.Out).RootElement.GetProperty("summary");
        var (events, parsed, filtered) = (summary.GetProperty("events").GetInt64(), summary.GetProperty("parsed").GetInt64(), summary.GetProperty("filtered").GetInt64());
        Assert.True(filtered > events / 2, $"{filtered} of {events} skipped");
        Assert.Equal(events, parsed + filtered);
        Assert.DoesNotContain("Pre-filter:", result.Err);
        Assert.Contains($"{events:N0} events in", result.Err.Trim().Split('\n')[^1]);
    }

    [Fact]
    public async Task Hunt_NamesTheRulesThatMakeItParseEveryRecord()
    {
        var rules = Path.GetDirectoryName(WriteFile("by-regex.yml", """
            title: Any Describe Call
            logsource: {product: aws, service: cloudtrail}
            detection:
              sel: {eventName|re: '^Describe.*|^List.*'}
              condition: sel
            level: low
            """))!;

        var result = await Cli.RunAsync("hunt", sim.Logs, "--rules", rules, "--output", "json");

        Assert.True(result.ExitCode == 1, result.ToString());
        var lines = result.Err.Trim().Split('\n');
        Assert.Contains("Pre-filter: every CloudTrail record is parsed because of 'Any Describe Call'", lines[^2]);
        Assert.Contains("skipped by the pre-filter", lines[^1]);
        // Only records of other clouds (the simulator writes Azure and GCP logs too) are still skipped.
        var filtered = JsonDocument.Parse(result.Out).RootElement.GetProperty("summary").GetProperty("filtered").GetInt64();
        var withoutIt = await Cli.RunAsync("hunt", sim.Logs, "--output", "json");
        Assert.True(filtered * 5 < JsonDocument.Parse(withoutIt.Out).RootElement.GetProperty("summary").GetProperty("filtered").GetInt64(), $"{filtered} skipped");
    }

    [Fact]
    public async Task Hunt_LoadsTheSigmaHqCloudRules()
    {
        var sigma = SigmaRules();

        var result = await Cli.RunAsync("hunt", sim.Logs, "--rules", sigma, "--no-builtin", "--output", "json");

        Assert.True(result.ExitCode is 0 or 1, result.ToString());
        Assert.True(JsonDocument.Parse(result.Out).RootElement.GetProperty("summary").GetProperty("rules").GetInt32() > 50);
        Assert.Contains(Hits(result), h => h.GetProperty("fields").TryGetProperty("eventName", out var n) && n.GetString() == "StopLogging");
    }

    [Fact]
    public async Task SendTo_StoresEachHitOnce_EvenWhenRunTwice()
    {
        var env = new Dictionary<string, string?> { ["FIREBREAK_API_KEY"] = server.ResponderKey };
        var first = await Cli.RunAsync(env, "hunt", sim.Logs, "--min-level", "high", "--output", "json", "--send-to", server.Url);
        var second = await Cli.RunAsync(env, "hunt", sim.Logs, "--min-level", "high", "--output", "json", "--send-to", server.Url);

        Assert.True(first.ExitCode == 1, first.ToString());
        Assert.True(second.ExitCode == 1, second.ToString());
        Assert.Contains("had been sent before", second.Err);
        var hits = Hits(first).Length;

        using var http = new HttpClient { BaseAddress = new Uri(server.Url) };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", server.ResponderKey);
        using var page = JsonDocument.Parse(await http.GetStringAsync("/api/v1/alerts?source=firebreak-hunt&pageSize=200", TestContext.Current.CancellationToken));
        var items = page.RootElement.GetProperty("items").EnumerateArray().ToList();
        Assert.Equal(hits, page.RootElement.GetProperty("total").GetInt32());
        Assert.All(items, a => Assert.Equal(1, a.GetProperty("occurrenceCount").GetInt32()));
        Assert.Contains(items, a => a.GetProperty("title").GetString() == "CloudTrail Trail Stopped, Deleted or Narrowed");
    }

    [Fact]
    public async Task SendTo_AgainWithOneHitMore_ResendsOnlyTheChunkItFallsIn()
    {
        // Chunks used to be counted from the first hit: one hit more in the middle (a correlation can count
        // differently between runs) moved every later boundary, so every later chunk had a new key and all its
        // alerts were sent again. Boundaries are now decided by the hits themselves.
        // Where chunks end depends on the hits' references, which name the rule by its id: a fixed one makes every run cut
        // the same chunks. (Named by a title made new each run, one run in many had a chunk cut at its size limit next to
        // the new hit, which moves the cuts after it up to the next boundary, and failed.)
        var title = $"Chunking probe {Guid.NewGuid():N}";
        var rules = Path.GetDirectoryName(WriteFile("probe.yml", $$"""
            title: {{title}}
            id: 5f0c9a7e-3b2d-4e1f-8a6c-2d4e6f8a0b1c
            level: high
            logsource: {product: aws, service: cloudtrail}
            detection:
              sel: {eventName: StopLogging}
              condition: sel
            """))!;
        static string Stop(string id, DateTimeOffset time) =>
            $$"""{"eventVersion":"1.08","eventTime":"{{time:yyyy-MM-ddTHH:mm:ssZ}}","eventSource":"cloudtrail.amazonaws.com","eventName":"StopLogging","awsRegion":"us-east-1","sourceIPAddress":"203.0.113.9","userIdentity":{"type":"IAMUser","arn":"arn:aws:iam::111122223333:user/ops"},"eventID":"{{id}}"}""";
        var t0 = new DateTimeOffset(2026, 1, 15, 0, 0, 0, TimeSpan.Zero);
        var many = WriteFile("stops.jsonl", string.Concat(Enumerable.Range(0, 3000).Select(i => Stop($"stop-{i}", t0.AddSeconds(2 * i)) + "\n")));
        var extra = WriteFile("one-more.jsonl", Stop("stop-extra", t0.AddSeconds(2999)) + "\n");
        // A server of its own: the class's server counts the alerts of the other tests.
        await using var own = await ServerFixture.StartAsync();
        var env = new Dictionary<string, string?> { ["FIREBREAK_API_KEY"] = own.ResponderKey };

        var first = await Cli.RunAsync(env, "hunt", many, "--no-builtin", "--rules", rules, "--output", "jsonl", "--send-to", own.Url);
        var second = await Cli.RunAsync(env, "hunt", many, extra, "--no-builtin", "--rules", rules, "--output", "jsonl", "--send-to", own.Url);

        static (int Alerts, int Requests, int Replayed) Sent(CliResult run)
        {
            var match = System.Text.RegularExpressions.Regex.Match(run.Err, @"Sent (\d+) alert\(s\) to \S+ in (\d+) request\(s\); (\d+) request\(s\) had been sent before");
            Assert.True(match.Success, run.ToString());
            return (int.Parse(match.Groups[1].Value), int.Parse(match.Groups[2].Value), int.Parse(match.Groups[3].Value));
        }

        Assert.True(first.ExitCode == 1, first.ToString());
        Assert.True(second.ExitCode == 1, second.ToString());
        var (alerts, requests, _) = Sent(first);
        Assert.Equal(3000, alerts);
        Assert.InRange(requests, 6, 3000 / AlertSender.MinChunkSize);
        var (again, requestsAgain, replayed) = Sent(second);
        Assert.Equal(3001, again);
        Assert.True(replayed >= requestsAgain - 2, $"{replayed} of {requestsAgain} requests replayed");

        using var http = new HttpClient { BaseAddress = new Uri(own.Url) };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", own.ResponderKey);
        using var page = JsonDocument.Parse(await http.GetStringAsync($"/api/v1/alerts?source=firebreak-hunt&q={Uri.EscapeDataString(title)}&pageSize=10", TestContext.Current.CancellationToken));
        Assert.Equal(3001, page.RootElement.GetProperty("total").GetInt32());
    }

    [Fact]
    public async Task SendTo_AHitWithAValuePastTheServersLimits_IsStored_NotRefusedWithItsWholeChunk()
    {
        // The matched fields go into the alert's description: a public bucket policy of some 24 KB (S3 takes 20 KB of
        // policy, its JSON text more) passed the server's 20,000 characters, and a NUL escaped in a record's account
        // is text the server cannot store. Either had the server refuse the whole chunk, on every run.
        var statements = string.Join(",", Enumerable.Range(0, 180).Select(i => $$"""{"Sid":"s{{i}}","Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::public-bucket/prefix-{{i}}/*"}"""));
        var log = WriteFile("big-values.jsonl", string.Join("\n",
            $$$"""{"eventVersion":"1.08","eventTime":"2026-01-15T00:00:00Z","eventSource":"s3.amazonaws.com","eventName":"PutBucketPolicy","awsRegion":"us-east-1","sourceIPAddress":"203.0.113.9","userIdentity":{"type":"IAMUser","arn":"arn:aws:iam::111122223333:user/ops"},"requestParameters":{"bucketName":"public-bucket","bucketPolicy":{"Version":"2012-10-17","Statement":[{{{statements}}}]}},"eventID":"big-policy"}""",
            """{"eventVersion":"1.08","eventTime":"2026-01-15T00:00:01Z","eventSource":"cloudtrail.amazonaws.com","eventName":"StopLogging","awsRegion":"us-east-1\u0000","recipientAccountId":"1111\u00002222","sourceIPAddress":"203.0.113.9","userIdentity":{"type":"IAMUser","arn":"arn:aws:iam::111122223333:user/ops\u0000"},"eventID":"nul-account"}""") + "\n");
        Assert.True(new FileInfo(log).Length > 20_000);
        await using var own = await ServerFixture.StartAsync();
        var env = new Dictionary<string, string?> { ["FIREBREAK_API_KEY"] = own.ResponderKey };

        var hunt = await Cli.RunAsync(env, "hunt", log, "--output", "jsonl", "--send-to", own.Url);

        Assert.True(hunt.ExitCode == 1, hunt.ToString());
        Assert.Contains("\"title\":\"S3 Bucket Policy or ACL Grants Public Access\"", hunt.Out);
        var hits = hunt.Out.Split('\n', StringSplitOptions.RemoveEmptyEntries).Length;
        using var http = new HttpClient { BaseAddress = new Uri(own.Url) };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", own.ResponderKey);
        using var page = JsonDocument.Parse(await http.GetStringAsync("/api/v1/alerts?source=firebreak-hunt&pageSize=50", TestContext.Current.CancellationToken));
        Assert.Equal(hits, page.RootElement.GetProperty("total").GetInt32());
        var items = page.RootElement.GetProperty("items").EnumerateArray().ToList();
        Assert.Contains(items, a => a.GetProperty("title").GetString() == "S3 Bucket Policy or ACL Grants Public Access");
        var stop = Assert.Single(items, a => a.GetProperty("title").GetString() == "CloudTrail Trail Stopped, Deleted or Narrowed");
        Assert.Equal("11112222", stop.GetProperty("account").GetString());
    }

    [Fact]
    public void S3Region_ComesFromTheAwsProfile_WhenNoVariableNamesOne()
    {
        // Only AWS_REGION and AWS_DEFAULT_REGION were read: a responder whose profile says eu-west-2 hunted with us-east-1.
        var folder = Directory.CreateTempSubdirectory("firebreak-aws-profile-").FullName;
        try
        {
            var credentials = Path.Combine(folder, "credentials");
            File.WriteAllText(credentials, "[default]\naws_access_key_id = AKIAEXAMPLEDEFAULT01\naws_secret_access_key = example\n\n[ops]\naws_access_key_id = AKIAEXAMPLEOPS000001\naws_secret_access_key = example\n");
            File.WriteAllText(Path.Combine(folder, "config"), "[default]\nregion = eu-west-2\n\n[profile ops]\nregion = ap-southeast-2\n");
            CliContext Context(params (string Name, string Value)[] variables) =>
                new(TextWriter.Null, TextWriter.Null, variables.ToDictionary(v => v.Name, v => (string?)v.Value));

            Assert.Equal("eu-west-2", HuntCommand.ProfileRegion(Context(("AWS_SHARED_CREDENTIALS_FILE", credentials))));
            Assert.Equal("ap-southeast-2", HuntCommand.ProfileRegion(Context(("AWS_SHARED_CREDENTIALS_FILE", credentials), ("AWS_PROFILE", "ops"))));
            Assert.Null(HuntCommand.ProfileRegion(Context(("AWS_SHARED_CREDENTIALS_FILE", credentials), ("AWS_PROFILE", "nobody"))));
            Assert.Null(HuntCommand.ProfileRegion(Context(("AWS_SHARED_CREDENTIALS_FILE", Path.Combine(folder, "missing", "credentials")))));
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    [Fact]
    public void Chunks_StayWithinTheServersBodyLimit_WhateverTheirAlertsHold()
    {
        // 500 alerts each near the description limit, written mostly as escapes (quotes become \u0022), made a body of
        // 20 MB, past the server's 16 MB: refused (413) on every run.
        var quoted = new string('"', 19_000);
        HuntHit Hit(int i) => new(HuntHitKind.Rule, "rule", "Rule", "high", [], null, [new("policy", $"{i}:{quoted}")], null);
        var hits = Enumerable.Range(0, 600).Select(Hit).ToList();

        var chunks = AlertSender.Chunks(hits).ToList();

        Assert.Equal(hits, chunks.SelectMany(c => c));
        Assert.True(chunks.Count >= 8, $"{chunks.Count} chunks");
        Assert.All(chunks, c => Assert.InRange(JsonSerializer.SerializeToUtf8Bytes(new { schemaVersion = "1", alerts = c.Select(AlertSender.ToAlert).ToList() }).Length,
            1, Firebreak.Core.Alerts.AlertLimits.MaxBodyBytes / 2 + 1024));
    }

    [Fact]
    public void Alerts_TakeOnlyAsciiTechniqueIds_AndReferencesPastTheLimit_StayApart()
    {
        // \d took any script's digits (attack.t١٠٧٨), which the server refuses, and with it the whole chunk.
        var tagged = new HuntHit(HuntHitKind.Rule, "rule", "Rule", "high", ["attack.t1078.004", "attack.t\u0661\u0660\u0667\u0668", "attack.T1098"], null, [], null);
        Assert.Equal(["T1078.004", "T1098"], (List<string>)AlertSender.ToAlert(tagged)["techniques"]!);

        // Cut at the server's 500 characters, references differing only past them (a correlation grouped by a long user
        // agent, its window's time at the end) were one alert to the server.
        var agent = new string('a', 600);
        HuntHit Grouped(string end) => new(HuntHitKind.Correlation, "burst", "Burst", "high", [], null, [new("userAgent", agent + end)], null);
        var (first, second) = ((string)AlertSender.ToAlert(Grouped("X"))["sourceReference"]!, (string)AlertSender.ToAlert(Grouped("Y"))["sourceReference"]!);
        Assert.NotEqual(first, second);
        Assert.Equal(500, first.Length);
        Assert.Equal(first, (string)AlertSender.ToAlert(Grouped("X"))["sourceReference"]!);
        Assert.StartsWith("burst:userAgent=aaa", first);
    }

    [Theory]
    [InlineData("value_sum", "condition: {field: b, gt: 10}", "(sum 12.5)")]
    [InlineData("value_percentile", "condition: {field: b, percentile: 95, gt: 10}", "(p95 12.5)")]
    [InlineData("event_count", "condition: {gte: 2}", "2 event(s):")]
    public void AnAlertOfACorrelation_SaysWhatItMeasured(string type, string condition, string expected)
    {
        var parsed = Firebreak.Detection.Sigma.SigmaParser.Parse($"title: t\ncorrelation:\n  type: {type}\n  rules: [r]\n  group-by: [u]\n  timespan: 1h\n  {condition}\n", "c.yml");
        var correlation = Assert.IsType<Firebreak.Detection.Sigma.SigmaCorrelation>(Assert.Single(parsed.Documents));
        var measured = type == "event_count" ? (double?)null : 12.5;
        var at = new DateTimeOffset(2026, 1, 15, 9, 0, 0, TimeSpan.Zero);
        var group = new List<Firebreak.Detection.Sigma.MatchedField> { new("u", "alice") };
        var hit = new HuntHit(HuntHitKind.Correlation, "c", "t", "high", [], null, group,
            new Firebreak.Detection.Sigma.CorrelationHit(correlation, group, at, at.AddMinutes(5), 2, measured));

        var description = (string)AlertSender.ToAlert(hit)["description"]!;

        Assert.StartsWith("Correlation met by 2 event(s)", description, StringComparison.Ordinal);
        Assert.Contains(expected, description, StringComparison.Ordinal);
        Assert.EndsWith(": u=alice", description, StringComparison.Ordinal);
    }

    [Fact]
    public void Chunks_HoldBetweenTheLeastAndTheMost_AndEndWhereTheHitsSay()
    {
        HuntHit Hit(int i) => new(HuntHitKind.Rule, "rule", "Rule", "high", [], null, [new("n", i.ToString(System.Globalization.CultureInfo.InvariantCulture))], null);
        var hits = Enumerable.Range(0, 20_000).Select(Hit).ToList();

        var chunks = AlertSender.Chunks(hits).ToList();
        var shifted = AlertSender.Chunks(hits.Skip(1)).ToList();

        Assert.Equal(hits, chunks.SelectMany(c => c));
        Assert.All(chunks.SkipLast(1), c => Assert.InRange(c.Count, AlertSender.MinChunkSize, 500));
        Assert.InRange(chunks.Count, 20_000 / 500, 20_000 / AlertSender.MinChunkSize);
        // Without the first hit, only the first chunk changes.
        Assert.Equal(chunks.Skip(1).Select(c => string.Join(",", c.Select(AlertSender.Reference))), shifted.Skip(1).Select(c => string.Join(",", c.Select(AlertSender.Reference))));
    }

    [Fact]
    public async Task SendToIncident_AttachesTheHitEvents_OnceEvenWhenRunTwice()
    {
        var incident = await server.CreateIncidentAsync("Hunt findings");
        var env = new Dictionary<string, string?> { ["FIREBREAK_API_KEY"] = server.ResponderKey, ["FIREBREAK_URL"] = server.Url };
        var first = await Cli.RunAsync(env, "hunt", sim.Logs, "--min-level", "high", "--output", "json", "--send-to", server.Url, "--incident", incident);
        Assert.True(first.ExitCode == 1, first.ToString());
        Assert.Contains($"to {incident}", first.Err);
        var second = await Cli.RunAsync(env, "hunt", sim.Logs, "--min-level", "high", "--output", "json", "--send-to", server.Url, "--incident", incident);
        Assert.True(second.ExitCode == 1, second.ToString());
        var expected = Hits(first).Select(h => h.GetProperty("eventId").GetString()).OfType<string>().Distinct().Count();

        using var http = new HttpClient { BaseAddress = new Uri(server.Url) };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", server.ResponderKey);
        JsonElement[] imports = [];
        for (var i = 0; i < 300 && (imports.Length < 2 || imports.Any(x => x.GetProperty("status").GetString() != "completed")); i++)
        {
            await Task.Delay(100, TestContext.Current.CancellationToken);
            using var list = JsonDocument.Parse(await http.GetStringAsync($"/api/v1/incidents/{incident}/events/imports", TestContext.Current.CancellationToken));
            imports = [.. list.RootElement.EnumerateArray().Select(x => x.Clone())];
        }
        Assert.All(imports, x => Assert.Equal(("completed", "hunt"), (x.GetProperty("status").GetString(), x.GetProperty("kind").GetString())));
        Assert.Equal(expected, imports.Sum(x => x.GetProperty("eventsStored").GetInt32()));
        Assert.Equal(expected, imports.Sum(x => x.GetProperty("duplicates").GetInt32()));
        var search = await Cli.RunAsync(env, "incident", "events", "search", incident, "--operation", "StopLogging", "--json");
        Assert.True(search.ExitCode == 0, search.ToString());
        Assert.NotEmpty(JsonDocument.Parse(search.Out).RootElement.GetProperty("items").EnumerateArray());
    }

    [Fact]
    public async Task SendToIncident_WithoutSendTo_IsAUsageError()
    {
        var result = await Cli.RunAsync("hunt", sim.Logs, "--incident", "INC-2026-0001");

        Assert.Equal(2, result.ExitCode);
        Assert.Contains("--send-to", result.Err);
    }

    [Fact]
    public async Task SendTo_WithoutApiKey_IsAUsageError()
    {
        var result = await Cli.RunAsync("hunt", sim.Logs, "--send-to", server.Url);

        Assert.Equal(2, result.ExitCode);
        Assert.Contains("FIREBREAK_API_KEY", result.Err);
    }

    [Fact]
    public async Task SendTo_RefusedByTheServer_IsAnError_NotAHuntWithHits()
    {
        var viewer = await server.CreateApiKeyAsync("viewer");
        foreach (var (key, status) in new[] { ("fbk_not-a-key", "401"), (viewer, "403") })
        {
            var env = new Dictionary<string, string?> { ["FIREBREAK_API_KEY"] = key };
            var result = await Cli.RunAsync(env, "hunt", sim.Logs, "--min-level", "high", "--output", "json", "--send-to", server.Url);

            // Exit 1 would say "hits found and handled"; the hits were found, but the server has none of them.
            Assert.True(result.ExitCode == 2, result.ToString());
            Assert.Contains(status, result.Err);
            Assert.Contains("not all reached the server", result.Err);
            Assert.NotEmpty(Hits(result));
            Assert.DoesNotContain(key, result.Err + result.Out);
        }

        var incident = await Cli.RunAsync(
            new Dictionary<string, string?> { ["FIREBREAK_API_KEY"] = viewer }, "hunt", sim.Logs, "--min-level", "high", "--send-to", server.Url, "--incident", "INC-2026-0001");
        Assert.True(incident.ExitCode == 2, incident.ToString());
        Assert.Contains("not all reached the server", incident.Err);
    }

    [Fact]
    public async Task SendTo_AServerThatIsNotThere_IsAnError_AndTheHitsArePrinted()
    {
        using var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        var port = ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        var env = new Dictionary<string, string?> { ["FIREBREAK_API_KEY"] = server.ResponderKey };

        var result = await Cli.RunAsync(env, "hunt", sim.Logs, "--min-level", "high", "--output", "jsonl", "--send-to", $"http://127.0.0.1:{port}");

        Assert.True(result.ExitCode == 2, result.ToString());
        Assert.Contains("Cannot reach", result.Err);
        Assert.NotEmpty(result.Out.Split('\n', StringSplitOptions.RemoveEmptyEntries));
    }

    [Fact]
    public async Task Progress_TotalBytes_AreTheBytesTheReaderReads_PlainAndGzipped()
    {
        var first = Directory.EnumerateFiles(sim.Logs, "*", SearchOption.AllDirectories).Order(StringComparer.Ordinal).First();
        var gz = Path.Combine(sim.Directory, Guid.NewGuid().ToString("N"), "copy.json.gz");
        Directory.CreateDirectory(Path.GetDirectoryName(gz)!);
        await using (var target = new System.IO.Compression.GZipStream(File.Create(gz), System.IO.Compression.CompressionLevel.Optimal))
        await using (var source = File.OpenRead(first))
        {
            await source.CopyToAsync(target, TestContext.Current.CancellationToken);
        }

        // A link is read through to what it leads to, so its target's size is what counts, named on its own or found in a folder.
        var links = Path.Combine(sim.Directory, Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(links);
        File.CreateSymbolicLink(Path.Combine(links, "linked.json.gz"), gz);
        var named = File.CreateSymbolicLink(Path.Combine(sim.Directory, Guid.NewGuid().ToString("N") + ".json"), first).FullName;

        string[] paths = [sim.Logs, gz, Path.Combine(Path.GetDirectoryName(gz)!, "*.gz"), links, named, Path.Combine(sim.Directory, "missing")];
        var reader = new Firebreak.Detection.Readers.CloudLogReader();
        await foreach (var _ in reader.ReadAsync(new Firebreak.Detection.Readers.Sources.FileLogInputSource(paths), TestContext.Current.CancellationToken))
        {
        }

        var total = await HuntProgress.TotalBytesAsync(paths, new DeliveryWindow(null, null), TestContext.Current.CancellationToken);

        // The bar ends where the reader's count ends: compressed bytes for .gz, each listed file once per listing.
        Assert.Equal(reader.Summary.Bytes, total);
        Assert.True(total > new FileInfo(gz).Length * 2);
        Assert.Null(await HuntProgress.TotalBytesAsync([sim.Logs, "s3://trail-bucket/AWSLogs/"], new DeliveryWindow(null, null), TestContext.Current.CancellationToken));

        // A plain tarball's entries are counted, as the reader counts them; a compressed one's are not known without
        // unpacking it all once more, so there is no total (and the tarball is not unpacked for it).
        var tar = Path.Combine(sim.Directory, Guid.NewGuid().ToString("N") + ".tar");
        var tarball = Path.ChangeExtension(tar, ".tar.zst");
        var packed = Directory.CreateDirectory(Path.Combine(sim.Directory, Guid.NewGuid().ToString("N"))).FullName;
        File.Copy(gz, Path.Combine(packed, "packed.json.gz"));
        File.Copy(first, Path.Combine(packed, "packed.json"));
        await using (var file = File.Create(tar))
        {
            await System.Formats.Tar.TarFile.CreateFromDirectoryAsync(packed, file, includeBaseDirectory: false, TestContext.Current.CancellationToken);
        }

        await using (var file = File.Create(tarball))
        await using (var zstd = new SharpCompress.Compressors.ZStandard.CompressionStream(file, level: 3, leaveOpen: true))
        {
            zstd.Write(await File.ReadAllBytesAsync(tar, TestContext.Current.CancellationToken));
        }

        var tarReader = new Firebreak.Detection.Readers.CloudLogReader();
        await foreach (var _ in tarReader.ReadAsync(new Firebreak.Detection.Readers.Sources.FileLogInputSource(tar), TestContext.Current.CancellationToken))
        {
        }

        Assert.True(tarReader.Summary.Bytes > 0);
        Assert.Equal(tarReader.Summary.Bytes, await HuntProgress.TotalBytesAsync([tar], new DeliveryWindow(null, null), TestContext.Current.CancellationToken));
        Assert.Null(await HuntProgress.TotalBytesAsync([tar, tarball], new DeliveryWindow(null, null), TestContext.Current.CancellationToken));
        Assert.Null(await HuntProgress.TotalBytesAsync([tarball], new DeliveryWindow(null, null), TestContext.Current.CancellationToken));

        // With a time window, the files it leaves unread are not counted: the bar still ends where the reading does.
        var since = sim.Result.AttackSteps.Min(s => s.Time);
        var window = new DeliveryWindow(since, null);
        var windowed = new Firebreak.Detection.Readers.CloudLogReader();
        var skipped = 0;
        await foreach (var _ in windowed.ReadAsync(window.Apply(new Firebreak.Detection.Readers.Sources.FileLogInputSource(sim.Logs), _ => skipped++), TestContext.Current.CancellationToken))
        {
        }

        Assert.True(skipped > 0);
        Assert.Equal(windowed.Summary.Bytes, await HuntProgress.TotalBytesAsync([sim.Logs], window, TestContext.Current.CancellationToken));
    }

    [Fact]
    public async Task Hunt_OnATerminal_DrawsABarOverTheInputsBytes_ToTheEnd()
    {
        var total = Directory.EnumerateFiles(sim.Logs, "*", SearchOption.AllDirectories).Sum(f => new FileInfo(f).Length);
        using var output = new StringWriter();
        using var error = new StringWriter();

        var exit = await CliApp.RunAsync(["hunt", sim.Logs, "--output", "jsonl"], new CliContext(output, error, new Dictionary<string, string?>(), null, errorIsTerminal: true), TestContext.Current.CancellationToken);

        var drawn = error.ToString();
        Assert.True(exit == 1, drawn);
        Assert.Contains($"/{total / 1048576.0:0.0} MB", drawn, StringComparison.Ordinal);
        Assert.Contains("100%", drawn, StringComparison.Ordinal);
        // The progress is drawn on standard error only: the hits on standard output stay clean JSON lines.
        Assert.All(output.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries), line => JsonDocument.Parse(line).Dispose());
    }

    [Theory]
    [InlineData(0L, 1048576L, 0L, 0L, 1.0, "0.0/1.0 MB, 0 events/s, 0 hit(s)")]
    [InlineData(5242880L, null, 12000L, 7L, 2.0, "5.0 MB, 6,000 events/s, 7 hit(s)")]
    [InlineData(2097152L, 1048576L, 10L, 1L, 0.0, "2.0/2.0 MB, 10,000 events/s, 1 hit(s)")]
    public void Progress_Description_SaysBytesOfTotal_Rate_AndHits(long bytes, long? total, long events, long hits, double seconds, string expected) =>
        Assert.Equal(expected, HuntProgress.Describe(bytes, total, events, hits, TimeSpan.FromSeconds(seconds)));

    /// <summary>A public sample log, kept outside the repository beside an ancestor of the test folder.</summary>
    private static string SharedSample(string relative)
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, "shared", "data", relative);
            if (File.Exists(candidate)) return candidate;
        }

        if (string.Equals(Environment.GetEnvironmentVariable("CI"), "true", StringComparison.OrdinalIgnoreCase)) Assert.Fail($"shared/data/{relative} is missing");
        Assert.Skip($"shared/data/{relative} is not present beside this checkout");
        return "";
    }

    /// <summary>The SigmaHQ cloud rules are kept outside the repository, beside an ancestor of the test folder.</summary>
    internal static string SigmaRules()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, "shared", "data", "sigma-cloud", "rules");
            if (Directory.Exists(candidate)) return candidate;
        }

        if (string.Equals(Environment.GetEnvironmentVariable("CI"), "true", StringComparison.OrdinalIgnoreCase)) Assert.Fail("shared/data/sigma-cloud is missing");
        Assert.Skip("shared/data/sigma-cloud is not present beside this checkout");
        return "";
    }
}
