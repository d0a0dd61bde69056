using System.IO.Compression;
using System.Text;
using Firebreak.Detection.Readers;
using Firebreak.Detection.Readers.Sources;

namespace Firebreak.Detection.Tests.Readers;

public sealed class MalformedInputTests : IDisposable
{
    private string? folder;

    /// <summary>A folder of this test's own, made on first use and removed with everything in it afterwards.</summary>
    private string Folder => folder ??= Directory.CreateTempSubdirectory("reader-").FullName;

    [Theory]
    [InlineData("""{"a":"x\ud800y"}""", """{"a":"x\ufffdy"}""")]
    [InlineData("""{"a":"\udc00"}""", """{"a":"\ufffd"}""")]
    [InlineData("""{"\ud800":1}""", """{"\ufffd":1}""")]
    // A pair is a character and stays; a high half before a pair is alone.
    [InlineData("""{"a":"\ud83d\ude00"}""", """{"a":"\ud83d\ude00"}""")]
    [InlineData("""{"a":"\ud800\ud83d\ude00"}""", """{"a":"\ufffd\ud83d\ude00"}""")]
    [InlineData("""{"a":"\ude00\ud83d"}""", """{"a":"\ufffd\ufffd"}""")]
    // An escaped backslash, then text that reads like an escape, is text; other escapes pass as they are.
    [InlineData("""{"a":"\\ud800"}""", """{"a":"\\ud800"}""")]
    [InlineData("""{"a":"\"\n\u0041\\\ud800"}""", """{"a":"\"\n\u0041\\\ufffd"}""")]
    public void LoneSurrogateEscapes_AreWrittenAsTheReplacementCharacter(string json, string expected)
    {
        var repaired = Encoding.UTF8.GetString(CloudLogReader.ReplaceLoneSurrogates(Encoding.UTF8.GetBytes(json)));

        Assert.Equal(expected, repaired);
        Assert.False(CloudLogReader.HasLoneSurrogate(Encoding.UTF8.GetBytes(repaired)));
    }

    [Fact]
    public async Task ALoneSurrogateInOneField_KeepsTheRecord_WithAWarning()
    {
        const string Record = """{"eventVersion":"1.08","eventTime":"2026-01-15T09:00:00Z","eventSource":"cloudtrail.amazonaws.com","eventName":"StopLogging","awsRegion":"us-east-1","sourceIPAddress":"203.0.113.9","userAgent":"aws-cli\ud800/2.15","userIdentity":{"type":"IAMUser","arn":"arn:aws:iam::111122223333:user/ops"},"eventID":"e1"}""";
        var reader = new CloudLogReader();

        var e = Assert.Single(await reader.ReadAllAsync(new MemoryStream(Encoding.UTF8.GetBytes(Record + "\n")), "ua.jsonl"));

        Assert.Equal(("StopLogging", "aws-cli\uFFFD/2.15"), (e.Operation, e.UserAgent));
        var problem = Assert.Single(reader.Summary.Problems);
        Assert.Equal((ProblemSeverity.Warning, 1L), (problem.Severity, problem.Line));
        Assert.Equal(CloudLogReader.LoneSurrogateReplaced, problem.Reason);
    }

    [Theory]
    // The record as JSON text in a field of another: LookupEvents' CloudTrailEvent, a CloudWatch Logs event's message,
    // a BigQuery sink row's requestJson. The escape sits inside that text (\\ud800 in the outer record), so the outer
    // record reads; the text it carries was refused, and the call with it.
    [InlineData("""{"EventId":"e1","EventName":"StopLogging","CloudTrailEvent":"{\"eventVersion\":\"1.08\",\"eventTime\":\"2026-01-15T09:00:00Z\",\"eventSource\":\"cloudtrail.amazonaws.com\",\"eventName\":\"StopLogging\",\"awsRegion\":\"us-east-1\",\"userAgent\":\"aws-cli\\ud800/2.15\",\"userIdentity\":{\"type\":\"IAMUser\",\"arn\":\"arn:aws:iam::111122223333:user/ops\"},\"eventID\":\"e1\"}"}""", "StopLogging", "aws-cli\uFFFD/2.15")]
    [InlineData("""{"id":"1","timestamp":1768467600000,"message":"{\"eventVersion\":\"1.08\",\"eventTime\":\"2026-01-15T09:00:00Z\",\"eventSource\":\"cloudtrail.amazonaws.com\",\"eventName\":\"StopLogging\",\"awsRegion\":\"us-east-1\",\"userAgent\":\"aws-cli\\ud800/2.15\",\"userIdentity\":{\"type\":\"IAMUser\",\"arn\":\"arn:aws:iam::111122223333:user/ops\"},\"eventID\":\"e1\"}"}""", "StopLogging", "aws-cli\uFFFD/2.15")]
    [InlineData("""{"logName":"projects/acme-prod/logs/cloudaudit.googleapis.com%2Factivity","resource":{"type":"project","labels":{"project_id":"acme-prod"}},"protopayload_auditlog":{"serviceName":"logging.googleapis.com","methodName":"google.logging.v2.ConfigServiceV2.DeleteSink","resourceName":"projects/acme-prod/sinks/audit","authenticationInfo":{"principalEmail":"mallory@example.com"},"requestMetadata":{"callerIp":"203.0.113.9","callerSuppliedUserAgent":"gcloud"},"requestJson":"{\"sinkName\":\"projects/acme-prod/sinks/audit\\ud800\"}"},"timestamp":"2026-01-15 09:00:00 UTC","severity":"NOTICE","insertId":"bq-1"}""", "google.logging.v2.ConfigServiceV2.DeleteSink", "gcloud")]
    public async Task ALoneSurrogateInJsonTextARecordCarries_KeepsTheRecord_WithAWarning(string record, string operation, string userAgent)
    {
        var reader = new CloudLogReader();

        var e = Assert.Single(await reader.ReadAllAsync(new MemoryStream(Utf8(record + "\n")), "nested.jsonl"));

        Assert.Equal((operation, userAgent), (e.Operation, e.UserAgent));
        var problem = Assert.Single(reader.Summary.Problems);
        Assert.Equal((ProblemSeverity.Warning, CloudLogReader.LoneSurrogateReplaced), (problem.Severity, problem.Reason));
        Assert.DoesNotContain("\\ud800", e.Raw.GetRawText(), StringComparison.OrdinalIgnoreCase);
    }

    public void Dispose()
    {
        if (folder is not null)
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    private static string Record(int i, string extra = "") =>
        $$"""{"eventVersion":"1.08","userIdentity":{"type":"IAMUser","arn":"arn:aws:iam::111122223333:user/u{{i}}","accountId":"111122223333"},"eventTime":"2026-01-01T00:00:00Z","eventSource":"s3.amazonaws.com","eventName":"GetObject","awsRegion":"us-east-1","sourceIPAddress":"198.51.100.{{i % 250}}","eventID":"ev-{{i}}"{{extra}}}""";

    private static byte[] Utf8(string text) => Encoding.UTF8.GetBytes(text);

    private static string JsonLines(int count) => string.Join('\n', Enumerable.Range(0, count).Select(i => Record(i))) + "\n";

    [Fact]
    public async Task TruncatedGzip_KeepsEarlierRecords_AndReportsTheFile()
    {
        var compressed = new MemoryStream();
        await using (var gz = new GZipStream(compressed, CompressionLevel.Optimal, leaveOpen: true))
        {
            await gz.WriteAsync(Utf8("{\"Records\":[" + string.Join(',', Enumerable.Range(0, 5000).Select(i => Record(i))) + "]}"), TestContext.Current.CancellationToken);
        }

        var truncated = compressed.ToArray()[..(int)(compressed.Length * 6 / 10)];
        var reader = new CloudLogReader();

        var events = await reader.ReadAllAsync(new MemoryStream(truncated), "cut.json.gz");

        Assert.InRange(events.Count, 100, 4999);
        Assert.Equal(Enumerable.Range(0, events.Count).Select(i => $"ev-{i}"), events.Select(e => e.EventId));
        var problem = Assert.Single(reader.Summary.Problems);
        Assert.Equal("cut.json.gz", problem.Source);
        Assert.Equal(ProblemSeverity.Error, problem.Severity);
        Assert.Matches("truncated|decompress", problem.Reason);
    }

    [Fact]
    public async Task GzipCutAtARecordBoundary_IsReported_AndJoinedMembersAreNot()
    {
        // A flush ends the compressed data of the first 100 lines exactly where a cut would leave every
        // record whole: GZipStream then ends quietly, and only the missing end of the gzip data tells.
        var compressed = new MemoryStream();
        long cut;
        await using (var gz = new GZipStream(compressed, CompressionLevel.Optimal, leaveOpen: true))
        {
            await gz.WriteAsync(Utf8(JsonLines(100)), TestContext.Current.CancellationToken);
            await gz.FlushAsync(TestContext.Current.CancellationToken);
            cut = compressed.Length;
            await gz.WriteAsync(Utf8(string.Join('\n', Enumerable.Range(100, 100).Select(i => Record(i))) + "\n"), TestContext.Current.CancellationToken);
        }

        var whole = compressed.ToArray();
        var reader = new CloudLogReader();
        var events = await reader.ReadAllAsync(new MemoryStream(whole[..(int)cut]), "cut.jsonl.gz");

        Assert.Equal(Enumerable.Range(0, 100).Select(i => $"ev-{i}"), events.Select(e => e.EventId));
        var problem = Assert.Single(reader.Summary.Problems);
        Assert.Equal(ProblemSeverity.Error, problem.Severity);
        Assert.Contains("truncated", problem.Reason, StringComparison.Ordinal);

        // The whole file, and two whole files joined (gzip allows several members in one file), read clean.
        reader = new CloudLogReader();
        Assert.Equal(200, (await reader.ReadAllAsync(new MemoryStream(whole), "whole.jsonl.gz")).Count);
        Assert.Equal(400, (await reader.ReadAllAsync(new MemoryStream([.. whole, .. whole]), "joined.jsonl.gz")).Count);
        Assert.Empty(reader.Summary.Problems);

        // A gzip header with nothing whole behind it is not an empty log.
        reader = new CloudLogReader();
        Assert.Empty(await reader.ReadAllAsync(new MemoryStream([0x1F, 0x8B, 0x08, 0x00, .. "garbage"u8]), "broken.json.gz"));
        Assert.Contains("truncated", Assert.Single(reader.Summary.Problems).Reason, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("utf-16le-bom")]
    [InlineData("utf-16le")]
    [InlineData("utf-16be-bom")]
    public async Task Utf16File_IsTranscoded_WithAWarning(string encoding)
    {
        var text = await File.ReadAllTextAsync(TestData.Fixture("cloudtrail-delivery.json"), TestContext.Current.CancellationToken);
        var bytes = encoding switch
        {
            "utf-16le-bom" => [.. Encoding.Unicode.GetPreamble(), .. Encoding.Unicode.GetBytes(text)],
            "utf-16le" => Encoding.Unicode.GetBytes(text),
            _ => (byte[])[.. Encoding.BigEndianUnicode.GetPreamble(), .. Encoding.BigEndianUnicode.GetBytes(text)],
        };
        var reader = new CloudLogReader();

        var events = await reader.ReadAllAsync(new MemoryStream(bytes), encoding);

        Assert.Equal(3, events.Count);
        Assert.Equal("ConsoleLogin", events[0].Operation);
        var warning = Assert.Single(reader.Summary.Problems);
        Assert.Equal(ProblemSeverity.Warning, warning.Severity);
        Assert.Contains("UTF-16", warning.Reason);
        Assert.Equal(0, reader.Summary.Errors);
    }

    [Fact]
    public async Task Latin1Record_IsSkipped_WithItsLine_AndTheRestIsRead()
    {
        var bytes = new List<byte>();
        bytes.AddRange(Utf8(Record(0) + "\n"));
        bytes.AddRange(Encoding.Latin1.GetBytes(Record(1, ",\"userAgent\":\"Zürich-Büro\"") + "\n"));
        bytes.AddRange(Utf8(Record(2) + "\n"));
        var reader = new CloudLogReader();

        var events = await reader.ReadAllAsync(new MemoryStream([.. bytes]), "latin1.jsonl");

        Assert.Equal(["ev-0", "ev-2"], events.Select(e => e.EventId));
        var problem = Assert.Single(reader.Summary.Problems);
        Assert.Equal(2, problem.Line);
        Assert.Equal(1, problem.RecordIndex);
        Assert.Contains("UTF-8", problem.Reason);
    }

    [Fact]
    public async Task HugeSingleLineFile_StreamsRecords_WithBoundedReadAhead()
    {
        const int count = 40_000;
        var path = Path.Combine(Path.GetTempPath(), $"firebreak-huge-{Guid.NewGuid():N}.json");
        try
        {
            await using (var file = new StreamWriter(path, false, new UTF8Encoding(false)))
            {
                await file.WriteAsync("{\"Records\":[");
                for (var i = 0; i < count; i++)
                {
                    await file.WriteAsync((i == 0 ? "" : ",") + Record(i, $",\"requestParameters\":{{\"key\":\"{new string('k', 700)}\"}}"));
                }

                await file.WriteAsync("]}");
            }

            var length = new FileInfo(path).Length;
            Assert.True(length > 30_000_000, $"the generated file should be tens of MB, was {length}");
            Assert.DoesNotContain((byte)'\n', await File.ReadAllBytesAsync(path, TestContext.Current.CancellationToken));

            long bytesRead = 0;
            long maxReadAhead = 0;
            var seen = 0;
            var recordBytes = length / count;
            var reader = new CloudLogReader(new ReaderOptions { MaxDegreeOfParallelism = 2 });
            var source = new ObservedStream(File.OpenRead(path), n => Interlocked.Add(ref bytesRead, n));
            await foreach (var cloudEvent in reader.ReadStreamAsync(source, path, TestContext.Current.CancellationToken))
            {
                Assert.Equal($"ev-{seen}", cloudEvent.EventId);
                seen++;
                maxReadAhead = Math.Max(maxReadAhead, Interlocked.Read(ref bytesRead) - (seen * recordBytes));
            }

            Assert.Equal(count, seen);
            Assert.Equal(0, reader.Summary.Errors);
            Assert.Equal(length, reader.Summary.Bytes);

            // Records come out while the file is still being read: the reader never runs more than a
            // few batches ahead of the consumer, whatever the file's length.
            Assert.True(maxReadAhead < 8_000_000, $"read ahead of the consumer by {maxReadAhead} bytes");
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void FilesReachedThroughLinks_AreListedOnce_AndNeverLost()
    {
        Assert.SkipUnless(OperatingSystem.IsLinux() || OperatingSystem.IsMacOS(), "symbolic links without privileges");
        var top = Folder;
        var dir = Directory.CreateDirectory(Path.Combine(top, "logs")).FullName;
        var outside = Directory.CreateDirectory(Path.Combine(top, "outside")).FullName;
        File.WriteAllText(Path.Combine(dir, "a.json"), "{}");
        File.WriteAllText(Path.Combine(dir, ".staging.json"), "{}");
        File.WriteAllText(Path.Combine(dir, "trail.log"), "{}");
        File.WriteAllText(Path.Combine(outside, "x.json"), "{}");
        // Beside its target: read once, as a.json.
        File.CreateSymbolicLink(Path.Combine(dir, "b.json"), "a.json");
        // To a hidden file, which the listing never gives: read. To a file of another ending, which a caller choosing by
        // ending may not read: read through the link only for such a caller.
        File.CreateSymbolicLink(Path.Combine(dir, "current.json"), ".staging.json");
        File.CreateSymbolicLink(Path.Combine(dir, "latest.json"), "trail.log");
        // Two links to one file outside, and a link to the folder holding it: read once.
        File.CreateSymbolicLink(Path.Combine(dir, "m1.json"), Path.Combine(outside, "x.json"));
        File.CreateSymbolicLink(Path.Combine(dir, "m2.json"), Path.Combine(outside, "x.json"));
        Directory.CreateSymbolicLink(Path.Combine(dir, "zother"), outside);
        // A regular file before a link to it of another ending: the log walk read it under both names.
        File.WriteAllText(Path.Combine(dir, "0-first.log"), "{}");
        File.CreateSymbolicLink(Path.Combine(dir, "zz-last.json"), "0-first.log");

        var problems = new List<FolderProblem>();
        var files = FolderListing.Files(dir, recurse: true, problems.Add).Select(f => Path.GetRelativePath(dir, f)).ToList();

        Assert.Equal(["0-first.log", "a.json", "current.json", "m1.json", "trail.log"], files.Order(StringComparer.Ordinal));
        Assert.Equal(["b.json", "latest.json", "m2.json", Path.Combine("zother", "x.json"), "zz-last.json"], problems.Select(p => Path.GetRelativePath(dir, p.Path)).Order(StringComparer.Ordinal));
        Assert.All(problems, p => Assert.True(p.NotListedAgain));

        // A caller reading only .json files: the links to .log files are its only way to them. trail.log, listed after
        // the link that led to it, was read through the link, and is passed over.
        problems.Clear();
        files = [.. FolderListing.Files(dir, recurse: true, problems.Add, chosen: f => f.EndsWith(".json", StringComparison.Ordinal)).Select(f => Path.GetRelativePath(dir, f))];

        Assert.Equal(["0-first.log", "a.json", "current.json", "latest.json", "m1.json", "zz-last.json"], files.Order(StringComparer.Ordinal));
        Assert.Equal(["b.json", "m2.json", "trail.log", Path.Combine("zother", "x.json")], problems.Select(p => Path.GetRelativePath(dir, p.Path)).Order(StringComparer.Ordinal));
    }

    [Fact]
    public void ALinkSortingBeforeTheFileItLeadsTo_LeavesTheFileReadUnderItsOwnPath()
    {
        Assert.SkipUnless(OperatingSystem.IsLinux() || OperatingSystem.IsMacOS(), "symbolic links without privileges");
        var dir = Directory.CreateDirectory(Path.Combine(Folder, "sorted")).FullName;
        Directory.CreateDirectory(Path.Combine(dir, "sub"));
        File.WriteAllText(Path.Combine(dir, "sub", "t.json"), "{}");
        File.WriteAllText(Path.Combine(dir, "z-last.json"), "{}");
        // Each link is listed before its file: both were passed over, the link for the file, the file for the link.
        File.CreateSymbolicLink(Path.Combine(dir, "link.json"), Path.Combine("sub", "t.json"));
        File.CreateSymbolicLink(Path.Combine(dir, "a-first.json"), "z-last.json");

        var problems = new List<FolderProblem>();
        var files = FolderListing.Files(dir, recurse: true, problems.Add).Select(f => Path.GetRelativePath(dir, f)).ToList();

        Assert.Equal([Path.Combine("sub", "t.json"), "z-last.json"], files.Order(StringComparer.Ordinal));
        Assert.Equal(["a-first.json", "link.json"], problems.Select(p => Path.GetRelativePath(dir, p.Path)).Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task OversizedRecord_IsRejectedWithAReason_AndReadingGoesOn()
    {
        var huge = Record(1, ",\"requestParameters\":{" + string.Join(',', Enumerable.Range(0, 100_000).Select(i => $"\"k{i}\":{i}")) + "}");
        Assert.True(huge.Length > 1_000_000);
        var content = "[" + Record(0) + ",\n" + huge + ",\n" + Record(2) + "]";
        var reader = new CloudLogReader(new ReaderOptions { MaxRecordBytes = 64 * 1024, ReadBufferBytes = 16 * 1024 });

        var events = await reader.ReadAllAsync(new MemoryStream(Utf8(content)), "big.json");

        Assert.Equal(["ev-0", "ev-2"], events.Select(e => e.EventId));
        var problem = Assert.Single(reader.Summary.Problems);
        Assert.Equal(1, problem.RecordIndex);
        Assert.Equal(2, problem.Line);
        Assert.Contains("larger than the maximum record size of 65536 bytes", problem.Reason);
    }

    [Fact]
    public async Task NamedPipesDevicesAndEmptyFiles_AreSkippedWithAWarning_InsteadOfHangingTheRead()
    {
        // Before, a named pipe among the logs held the hunt until something wrote to it, which nothing did.
        var dir = Folder;
        File.WriteAllText(Path.Combine(dir, "a-good.jsonl"), Record(0) + "\n" + Record(1) + "\n");
        File.WriteAllText(Path.Combine(dir, "b-empty.json"), "");
        File.CreateSymbolicLink(Path.Combine(dir, "c-zero.json"), "/dev/zero");
        using (var mkfifo = System.Diagnostics.Process.Start("mkfifo", Path.Combine(dir, "d-pipe.json")))
        {
            await mkfifo.WaitForExitAsync(TestContext.Current.CancellationToken);
            Assert.Equal(0, mkfifo.ExitCode);
        }

        File.WriteAllText(Path.Combine(dir, "e-good.jsonl"), Record(2) + "\n");
        var reader = new CloudLogReader();

        var events = await reader.ReadAllAsync(dir).WaitAsync(TimeSpan.FromSeconds(60), TestContext.Current.CancellationToken);

        Assert.Equal(["ev-0", "ev-1", "ev-2"], events.Select(e => e.EventId));
        Assert.Equal(2, reader.Summary.Files);
        Assert.Equal(["b-empty.json", "c-zero.json", "d-pipe.json"], reader.Summary.Problems.Select(p => Path.GetFileName(p.Source)));
        Assert.All(reader.Summary.Problems, p => Assert.Equal(ProblemSeverity.Warning, p.Severity));
        Assert.All(reader.Summary.Problems, p => Assert.Contains("nothing to read", p.Reason, StringComparison.Ordinal));

        // Named on its own, a pipe is read: that is how a shell hands over <(zcat logs.gz).
        var pipe = Path.Combine(dir, "d-pipe.json");
        var writing = Task.Run(() => File.WriteAllText(pipe, Record(5) + "\n"), TestContext.Current.CancellationToken);
        var named = new CloudLogReader();
        Assert.Equal(["ev-5"], (await named.ReadAllAsync(pipe).WaitAsync(TimeSpan.FromSeconds(60), TestContext.Current.CancellationToken)).Select(e => e.EventId));
        await writing;
        Assert.Empty(named.Summary.Problems);
    }

    [Fact]
    public async Task LinksThatLeadBackIntoTheFolder_ReadEachFileOnce_WithAWarning()
    {
        // Before, a link back up the tree listed the same files again at every level (40 times over, the system's
        // limit of links in one path), and each of them was hunted again: hits and counts multiplied.
        var dir = Folder;
        Directory.CreateDirectory(Path.Combine(dir, "a"));
        Directory.CreateDirectory(Path.Combine(dir, "b"));
        File.WriteAllText(Path.Combine(dir, "a", "one.jsonl"), Record(0) + "\n");
        File.WriteAllText(Path.Combine(dir, "b", "two.jsonl"), Record(1) + "\n");
        Directory.CreateSymbolicLink(Path.Combine(dir, "a", "back"), dir);
        Directory.CreateSymbolicLink(Path.Combine(dir, "b", "again"), "../a");
        Directory.CreateSymbolicLink(Path.Combine(dir, "b", "up"), "../b/../b/.");

        foreach (var path in new[] { dir, Path.Combine(dir, "**", "*.jsonl") })
        {
            var reader = new CloudLogReader();

            var events = await reader.ReadAllAsync(path).WaitAsync(TimeSpan.FromSeconds(60), TestContext.Current.CancellationToken);

            Assert.Equal(["ev-0", "ev-1"], events.Select(e => e.EventId).Order(StringComparer.Ordinal));
            // Each file is cited by its path without links when there is one.
            Assert.Equal([Path.Combine(dir, "a", "one.jsonl"), Path.Combine(dir, "b", "two.jsonl")], events.Select(e => e.Origin!.Source).Order(StringComparer.Ordinal));
            Assert.Equal(2, reader.Summary.Files);
            Assert.NotEmpty(reader.Summary.Problems);
            Assert.All(reader.Summary.Problems, p => Assert.Equal(ProblemSeverity.Warning, p.Severity));
            Assert.All(reader.Summary.Problems, p => Assert.Contains("not read again", p.Reason, StringComparison.Ordinal));
        }

        // Named through a link (b/again is a), the folder's "back" leads to dir, which holds a: a loop too, not followed, so
        // b/two.jsonl, outside the folder named, is not read through it (it once was, as was everything beside a).
        var throughALink = new CloudLogReader();

        var linked = await throughALink.ReadAllAsync(Path.Combine(dir, "b", "again")).WaitAsync(TimeSpan.FromSeconds(60), TestContext.Current.CancellationToken);

        Assert.Equal(["ev-0"], linked.Select(e => e.EventId));
        Assert.Equal(1, throughALink.Summary.Files);
        var loop = Assert.Single(throughALink.Summary.Problems);
        Assert.Equal((Path.Combine(dir, "b", "again", "back"), ProblemSeverity.Warning), (loop.Source, loop.Severity));
        Assert.Contains("(a loop): not followed", loop.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public async Task LinksThatLeadRoundToThemselves_AreReportedAsALoop_AndTheFilesBesideThemRead()
    {
        // `ln -s self self`, and two links leading to each other, were reported as "a file read under another path": there
        // is no such file, and the responder looked for it.
        var dir = Folder;
        File.WriteAllText(Path.Combine(dir, "one.jsonl"), Record(0) + "\n");
        File.CreateSymbolicLink(Path.Combine(dir, "self"), "self");
        File.CreateSymbolicLink(Path.Combine(dir, "ping"), "pong");
        File.CreateSymbolicLink(Path.Combine(dir, "pong"), "ping");
        File.CreateSymbolicLink(Path.Combine(dir, "to-one"), "one.jsonl");
        var reader = new CloudLogReader();

        var events = await reader.ReadAllAsync(dir).WaitAsync(TimeSpan.FromSeconds(60), TestContext.Current.CancellationToken);

        Assert.Equal(["ev-0"], events.Select(e => e.EventId));
        var loops = reader.Summary.Problems.Where(p => p.Reason.Contains("leads back to itself (a loop)", StringComparison.Ordinal)).ToList();
        Assert.Equal([Path.Combine(dir, "ping"), Path.Combine(dir, "pong"), Path.Combine(dir, "self")], loops.Select(p => p.Source).Order(StringComparer.Ordinal));
        Assert.All(loops, p => Assert.Equal(ProblemSeverity.Warning, p.Severity));
        // The link to a file read under its own path is still named as that.
        var again = Assert.Single(reader.Summary.Problems.Except(loops));
        Assert.Equal(Path.Combine(dir, "to-one"), again.Source);
        Assert.Contains("a file read under another path", again.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AGlobThroughALinkToAFolder_FindsItsFiles_OnceEvenWhenTheFolderIsAlsoMatchedDirectly()
    {
        var dir = Folder;
        Directory.CreateDirectory(Path.Combine(dir, "2026-01"));
        File.WriteAllText(Path.Combine(dir, "2026-01", "x.jsonl"), Record(0) + "\n");
        Directory.CreateSymbolicLink(Path.Combine(dir, "current"), "2026-01");

        var throughTheLink = new CloudLogReader();
        var found = await throughTheLink.ReadAllAsync(Path.Combine(dir, "cur*", "*.jsonl"));
        var both = new CloudLogReader();
        var once = await both.ReadAllAsync(Path.Combine(dir, "*", "*.jsonl"));

        Assert.Equal([Path.Combine(dir, "current", "x.jsonl")], found.Select(e => e.Origin!.Source));
        Assert.Empty(throughTheLink.Summary.Problems);
        Assert.Equal([Path.Combine(dir, "2026-01", "x.jsonl")], once.Select(e => e.Origin!.Source));
    }

    [Fact]
    public void Listing_IsWalkedAsItIsRead_InOrdinalOrderOfWholePaths_WithLinkedFoldersLast()
    {
        // The whole listing used to be gathered (and every file's path kept twice) before the first file was
        // read: a synced organisation trail of millions of files held gigabytes. The walk now gives each file
        // as it finds it, so a file put into a folder the walk has not reached yet is still found.
        var dir = Folder;
        Directory.CreateDirectory(Path.Combine(dir, "b"));
        Directory.CreateDirectory(Path.Combine(dir, "c", "d"));
        Directory.CreateDirectory(Path.Combine(dir, "z-target"));
        File.WriteAllText(Path.Combine(dir, "a.json"), "{}");
        File.WriteAllText(Path.Combine(dir, "b.json"), "{}");
        File.WriteAllText(Path.Combine(dir, "b", "inner.json"), "{}");
        File.WriteAllText(Path.Combine(dir, "c", "d", "deep.json"), "{}");
        File.WriteAllText(Path.Combine(dir, "z-target", "t.json"), "{}");
        Directory.CreateSymbolicLink(Path.Combine(dir, "a-link"), Path.Combine(dir, "elsewhere"));
        Directory.CreateDirectory(Path.Combine(dir, "elsewhere"));
        File.WriteAllText(Path.Combine(dir, "elsewhere", "linked.json"), "{}");

        var problems = new List<FolderProblem>();
        using var walk = FolderListing.Files(dir, recurse: true, problems.Add).GetEnumerator();
        Assert.True(walk.MoveNext());
        Assert.Equal(Path.Combine(dir, "a.json"), walk.Current);
        File.WriteAllText(Path.Combine(dir, "c", "d", "later.json"), "{}");
        var rest = new List<string>();
        while (walk.MoveNext())
        {
            rest.Add(walk.Current);
        }

        // "b.json" before "b/inner.json", as whole paths sort ('.' before '/'); the folder "elsewhere" is
        // listed by its own path, and the link to it ("a-link") is not read again after it.
        Assert.Equal(
            [Path.Combine(dir, "b.json"), Path.Combine(dir, "b", "inner.json"), Path.Combine(dir, "c", "d", "deep.json"), Path.Combine(dir, "c", "d", "later.json"),
             Path.Combine(dir, "elsewhere", "linked.json"), Path.Combine(dir, "z-target", "t.json")],
            rest);
        var problem = Assert.Single(problems);
        Assert.Equal((Path.Combine(dir, "a-link"), true), (problem.Path, problem.NotListedAgain));

        // A folder reached only through a link comes after the folders reached without one.
        Directory.Delete(Path.Combine(dir, "a-link"));
        Directory.Move(Path.Combine(dir, "elsewhere"), Path.Combine(Path.GetDirectoryName(dir)!, Path.GetFileName(dir) + "-outside"));
        try
        {
            Directory.CreateSymbolicLink(Path.Combine(dir, "a-link"), Path.Combine(Path.GetDirectoryName(dir)!, Path.GetFileName(dir) + "-outside"));
            var files = FolderListing.Files(dir, recurse: true, p => Assert.Fail(p.Reason)).ToList();
            Assert.Equal(Path.Combine(dir, "a-link", "linked.json"), files[^1]);
            Assert.Equal(files[..^1].Order(StringComparer.Ordinal), files[..^1]);
        }
        finally
        {
            Directory.Delete(Path.Combine(dir, "a-link"));
            Directory.Delete(Path.Combine(Path.GetDirectoryName(dir)!, Path.GetFileName(dir) + "-outside"), recursive: true);
        }
    }

    [Fact]
    public void RealPath_ResolvesEveryLinkOnTheWay_AndDotDotAfterALink()
    {
        var dir = Folder;
        var real = FolderListing.RealPath(dir);
        Directory.CreateDirectory(Path.Combine(dir, "x", "y"));
        Directory.CreateSymbolicLink(Path.Combine(dir, "to-y"), "x/y");
        Directory.CreateSymbolicLink(Path.Combine(dir, "abs-x"), Path.Combine(dir, "x"));
        Directory.CreateSymbolicLink(Path.Combine(dir, "self"), "self");

        Assert.Equal(Path.Combine(real, "x", "y"), FolderListing.RealPath(Path.Combine(dir, "to-y")));
        // "..": up from where the link leads (x), not textually (back to dir).
        Assert.Equal(Path.Combine(real, "x"), FolderListing.RealPath(Path.Combine(dir, "to-y", "..")));
        Assert.Equal(Path.Combine(real, "x", "y"), FolderListing.RealPath(Path.Combine(dir, "abs-x", ".", "y")));
        // A link to itself is a loop; the answer is the path as given, and the call ends.
        Assert.Equal(Path.Combine(dir, "self"), FolderListing.RealPath(Path.Combine(dir, "self")));
    }

    [Fact]
    public async Task OversizedJsonLine_IsSkippedToTheNextLine_WithoutBufferingIt()
    {
        // One line past the limit ended the file: every record after it was lost.
        var content = Record(0) + "\n" + Record(1, $",\"userAgent\":\"{new string('x', 4_000_000)}\"") + "\n" + Record(2) + "\n";
        var reader = new CloudLogReader(new ReaderOptions { MaxRecordBytes = 256 * 1024, ReadBufferBytes = 16 * 1024 });

        var events = await reader.ReadAllAsync(new MemoryStream(Utf8(content)), "one-big-string.jsonl");

        Assert.Equal(["ev-0", "ev-2"], events.Select(e => e.EventId));
        var problem = Assert.Single(reader.Summary.Problems);
        Assert.Equal((1L, 2L), (problem.RecordIndex, problem.Line));
        Assert.Contains("larger than the maximum record size of 262144 bytes; skipped to the next line", problem.Reason);
    }

    [Fact]
    public async Task OversizedValueOverSeveralLines_StopsTheFile_InsteadOfBufferingIt()
    {
        // Written over lines, the next line is inside it: there is no safe place to pick up again.
        var content = Record(0) + "\n" + "{\"eventVersion\":\"1.08\",\n\"userAgent\":\"" + new string('x', 4_000_000) + "\"\n}\n" + Record(2) + "\n";
        var reader = new CloudLogReader(new ReaderOptions { MaxRecordBytes = 256 * 1024, ReadBufferBytes = 16 * 1024 });

        var events = await reader.ReadAllAsync(new MemoryStream(Utf8(content)), "one-big-value.jsonl");

        Assert.Equal(["ev-0"], events.Select(e => e.EventId));
        var problem = Assert.Single(reader.Summary.Problems);
        Assert.Contains("larger than the maximum record size of 262144 bytes; rest of file skipped", problem.Reason);
    }

    [Fact]
    public async Task DeeplyNestedRecord_IsRejected_AndReadingGoesOn()
    {
        var nested = new string('[', 500) + new string(']', 500);
        var content = "{\"Records\":[" + Record(0) + "," + Record(1, $",\"requestParameters\":{{\"deep\":{nested}}}") + "," + Record(2) + "]}";
        var reader = new CloudLogReader(new ReaderOptions { MaxDepth = 64 });

        var events = await reader.ReadAllAsync(new MemoryStream(Utf8(content)), "deep.json");

        Assert.Equal(["ev-0", "ev-2"], events.Select(e => e.EventId));
        var problem = Assert.Single(reader.Summary.Problems);
        Assert.Equal(1, problem.RecordIndex);
        Assert.Contains("maximum depth of 64", problem.Reason);
    }

    [Fact]
    public async Task PathologicalNesting_IsReported_WithoutACrash()
    {
        var content = new string('[', 300_000);
        var reader = new CloudLogReader();

        var events = await reader.ReadAllAsync(new MemoryStream(Utf8(content)), "brackets.json");

        Assert.Empty(events);
        Assert.Equal(1, reader.Summary.Errors);
    }

    [Fact]
    public async Task MalformedLine_IsReportedWithItsLine_AndTheNextLinesAreRead()
    {
        var content = Record(0) + "\n" + Record(1)[..40] + "\n" + Record(2) + "\n" + Record(3) + "\n";
        var reader = new CloudLogReader();

        var events = await reader.ReadAllAsync(new MemoryStream(Utf8(content)), "broken.jsonl");

        Assert.Equal(["ev-0", "ev-2", "ev-3"], events.Select(e => e.EventId));
        var problem = Assert.Single(reader.Summary.Problems);
        Assert.Equal(2, problem.Line);
        Assert.Contains("malformed JSON", problem.Reason);
    }

    [Fact]
    public async Task MalformedFirstLine_DoesNotCostTheRestOfTheFile()
    {
        var content = Record(0)[..30] + "\n" + Record(1) + "\n" + Record(2) + "\n";
        var reader = new CloudLogReader();

        var events = await reader.ReadAllAsync(new MemoryStream(Utf8(content)), "first-line-broken.jsonl");

        Assert.Equal(["ev-1", "ev-2"], events.Select(e => e.EventId));
        var problem = Assert.Single(reader.Summary.Problems);
        Assert.Equal(1, problem.Line);
    }

    [Fact]
    public async Task ALongRunOfLinesThatDoNotClose_IsReportedAsItIsRead_AndTheRecordAfterItIsRead()
    {
        // Problems found while framing wait for the batch of records after them, to be reported in the input's order;
        // lines with no record among them must not pile up until the end of the file, nor each be scanned to the end
        // of the buffer for a close that is not on its line.
        const int Lines = 30_000;
        var content = Utf8(string.Concat(Enumerable.Repeat("{\"eventVersion\": \"1.08\", \"eventName\": \"GetObject\"\n", Lines)) + Record(1) + "\n");
        var reported = 0;
        var stream = new EndWatchingStream(content, () => Volatile.Read(ref reported));
        var reader = new CloudLogReader(new ReaderOptions { OnProblem = _ => Interlocked.Increment(ref reported) });

        var events = await reader.ReadAllAsync(stream, "unclosed.jsonl");

        Assert.Equal(["ev-1"], events.Select(e => e.EventId));
        Assert.Equal(Lines, reader.Summary.Errors);
        Assert.All(reader.Summary.Problems, p => Assert.EndsWith("skipped to the next line", p.Reason));
        Assert.Equal(Enumerable.Range(1, 1000).Select(i => (long?)i), reader.Summary.Problems.Select(p => p.Line));
        Assert.True(stream.ReportedAtEnd >= Lines / 2, $"{stream.ReportedAtEnd} of {Lines} problems were reported when the input ended");
    }

    /// <summary>Notes how many problems had been reported when the reader reached the end of the input.</summary>
    private sealed class EndWatchingStream(byte[] content, Func<int> reported) : MemoryStream(content)
    {
        public int? ReportedAtEnd { get; private set; }

        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            var read = await base.ReadAsync(buffer, cancellationToken);
            if (read == 0)
            {
                ReportedAtEnd ??= reported();
            }

            return read;
        }

        public override int Read(Span<byte> buffer)
        {
            var read = base.Read(buffer);
            if (read == 0)
            {
                ReportedAtEnd ??= reported();
            }

            return read;
        }
    }

    [Fact]
    public async Task ManyMalformedLinesCloseTogether_EachIsReported_AndEveryGoodLineIsRead()
    {
        // Each malformed line used to cost a read of the next block while only that line was consumed, so
        // a run of them grew the buffer until it passed the record size limit and the rest of the file was
        // dropped as "a single JSON value larger than the maximum". Here the runs of bad lines are far
        // longer than the limit allows in blocks, and good records sit between and after them.
        var options = new ReaderOptions { ReadBufferBytes = 4096, MaxRecordBytes = 16 * 1024 };
        var lines = new List<string>();
        var good = 0;
        for (var block = 0; block < 40; block++)
        {
            for (var bad = 0; bad < 200; bad++)
            {
                lines.Add($$"""{"eventVersion": nope{{block}}x{{bad}}}""");
            }

            lines.Add(Record(good++));
        }

        var path = Path.Combine(Folder, "dense-errors.jsonl");
        await File.WriteAllTextAsync(path, string.Join('\n', lines) + "\n", TestContext.Current.CancellationToken);
        var reader = new CloudLogReader(options with { MaxProblemsKept = 100_000 });

        var events = await reader.ReadAllAsync(path);

        Assert.Equal(Enumerable.Range(0, good).Select(i => $"ev-{i}"), events.Select(e => e.EventId));
        Assert.Equal(40 * 200, reader.Summary.Errors);
        Assert.All(reader.Summary.Problems, p => Assert.EndsWith("skipped to the next line", p.Reason));

        // Each reason quotes its own line only. It used to quote the buffered text after it too (cut to 300
        // characters), which the JSON reader copied out of the whole buffer for every malformed line: a
        // millisecond a line, 96 s for a file of 100,000 of them.
        Assert.Contains("nope0x0", reader.Summary.Problems[0].Reason);
        Assert.DoesNotContain("nope0x1", reader.Summary.Problems[0].Reason);
        Assert.Equal(lines.Select((l, i) => (l, i)).Where(x => x.l.Contains("nope", StringComparison.Ordinal)).Select(x => (long?)x.i + 1), reader.Summary.Problems.Select(p => p.Line));
    }

    [Fact]
    public async Task UnreadableInputs_AreReported_AndOtherFilesStillRead()
    {
        var dir = Directory.CreateTempSubdirectory("firebreak-bad-");
        try
        {
            await File.WriteAllTextAsync(Path.Combine(dir.FullName, "notes.txt"), "these are not logs\nat all\n", TestContext.Current.CancellationToken);
            await File.WriteAllBytesAsync(Path.Combine(dir.FullName, "export.parquet"), [.. "PAR1"u8, 0, 0, 0, 0], TestContext.Current.CancellationToken);
            await File.WriteAllTextAsync(Path.Combine(dir.FullName, "unknown.json"), """{"hello":"world"}""", TestContext.Current.CancellationToken);
            File.Copy(TestData.Fixture("gcp-audit.json"), Path.Combine(dir.FullName, "z-gcp.json"));
            var reader = new CloudLogReader();

            var events = await reader.ReadAllAsync(dir.FullName, Path.Combine(dir.FullName, "missing.json"));

            Assert.Equal(2, events.Count);
            Assert.Equal(4, reader.Summary.Files);
            Assert.Equal(4, reader.Summary.Errors);
            var reasons = reader.Summary.Problems.Select(p => p.Reason).ToList();
            Assert.Contains(reasons, r => r.StartsWith("not a JSON log file", StringComparison.Ordinal));
            Assert.Contains(reasons, r => r.Contains("Parquet", StringComparison.Ordinal));
            Assert.Contains(reasons, r => r.StartsWith("unrecognised record format (fields: hello)", StringComparison.Ordinal));
            Assert.Contains(reasons, r => r == "no such file or directory");
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }

    [Fact]
    public async Task PublicBrokenSample_IsReported_AndPublicGoodSamplesRead()
    {
        var reader = new CloudLogReader();

        var events = await reader.ReadAllAsync(
            TestData.SharedData("cloudgrappler-samples/bad_cloudtrail.json"),
            TestData.SharedData("cloudgrappler-samples/cloudtrail.json"),
            TestData.SharedData("cloudgrappler-samples/cloudtrail_singleline.json"));

        Assert.NotEmpty(events);
        Assert.Contains(reader.Summary.Problems, p => p.Source.EndsWith("bad_cloudtrail.json", StringComparison.Ordinal) && p.Severity == ProblemSeverity.Error);
        Assert.DoesNotContain(reader.Summary.Problems, p => !p.Source.EndsWith("bad_cloudtrail.json", StringComparison.Ordinal));
    }

    private sealed class ObservedStream(Stream inner, Action<int> onRead) : Stream
    {
        public override bool CanRead => true;

        public override bool CanSeek => false;

        public override bool CanWrite => false;

        public override long Length => inner.Length;

        public override long Position { get => inner.Position; set => throw new NotSupportedException(); }

        public override int Read(byte[] buffer, int offset, int count)
        {
            var n = inner.Read(buffer, offset, count);
            onRead(n);
            return n;
        }

        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            var n = await inner.ReadAsync(buffer, cancellationToken);
            onRead(n);
            return n;
        }

        public override void Flush()
        {
        }

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        protected override void Dispose(bool disposing)
        {
            if (disposing)
            {
                inner.Dispose();
            }

            base.Dispose(disposing);
        }
    }
}
