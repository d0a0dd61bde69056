using System.Reflection;
using System.Text;
using Firebreak.Detection.Readers;
using Firebreak.Detection.Readers.Sources;
using static Firebreak.Detection.Tests.Readers.ArchiveLogs;

namespace Firebreak.Detection.Tests.Readers;

/// <summary>
/// Logs compressed with bzip2, xz or zstd (a responder's own <c>tar cJf</c>, log rotation, a partner's handover) were one
/// "not read; decompress it" error each; they are now read as gzip is, known by their first bytes, and a file cut short or
/// damaged is reported with the records read before the damage, never taken for whole and never ending the read.
/// </summary>
public sealed class CompressionTests : IDisposable
{
    private readonly DirectoryInfo _root = Directory.CreateTempSubdirectory("firebreak-compressed-");

    public void Dispose() => _root.Delete(recursive: true);

    private static string Record(int i) =>
        $$$"""{"eventVersion":"1.08","eventTime":"2026-01-15T09:00:00Z","eventSource":"cloudtrail.amazonaws.com","eventName":"StopLogging","awsRegion":"us-east-1","userIdentity":{"type":"IAMUser","arn":"arn:aws:iam::111122223333:user/ops"},"eventID":"ev-{{{i}}}","requestParameters":{"name":"trail-{{{i}}}-{{{new string('x', i % 97)}}}"}}""";

    private static byte[] Lines(int from, int count) => Encoding.UTF8.GetBytes(string.Concat(Enumerable.Range(from, count).Select(i => Record(i) + "\n")));

    private static byte[] Compress(string kind, byte[] bytes) => kind switch
    {
        "bzip2" => Bzip2(bytes),
        "zstd" => Zstd(bytes),
        _ => throw new ArgumentOutOfRangeException(nameof(kind)),
    };

    private string Write(string name, byte[] bytes)
    {
        var path = Path.Combine(_root.FullName, name);
        File.WriteAllBytes(path, bytes);
        return path;
    }

    [Theory]
    [InlineData("bzip2", "trail.json.bz2")]
    [InlineData("bzip2", "trail.log")]
    [InlineData("zstd", "trail.json.zst")]
    [InlineData("zstd", "trail")]
    public async Task EachCompression_IsKnownByItsFirstBytes_WhateverTheFileIsNamed(string kind, string name)
    {
        var path = Write(name, Compress(kind, Lines(0, 3)));
        var reader = new CloudLogReader();

        var events = await reader.ReadAllAsync(path);

        Assert.Equal(["ev-0", "ev-1", "ev-2"], events.Select(e => e.EventId));
        Assert.Equal(3L, events[2].Origin!.Line);
        Assert.Empty(reader.Summary.Problems);
    }

    [Theory]
    [InlineData("trail.json.xz")]
    [InlineData("trail")]
    public async Task AnXzFile_IsRead(string name)
    {
        var reader = new CloudLogReader();

        var events = await reader.ReadAllAsync(Write(name, XzOfX1));

        Assert.Equal("x1", Assert.Single(events).EventId);
        Assert.Equal("StopLogging", events[0].Operation);
        Assert.Empty(reader.Summary.Problems);
    }

    [Theory]
    [InlineData("bzip2")]
    [InlineData("zstd")]
    [InlineData("xz")]
    public async Task StreamsJoinedIntoOneFile_AreAllRead(string kind)
    {
        // pbzip2 and lbzip2 write a stream per block; cat of two compressed files is one file of two streams.
        byte[] joined = kind == "xz" ? [.. XzOfX1, .. XzOfX1] : [.. Compress(kind, Lines(0, 2)), .. Compress(kind, Lines(2, 2))];
        var reader = new CloudLogReader();

        var events = await reader.ReadAllAsync(new MemoryStream(joined), "joined");

        Assert.Equal(kind == "xz" ? ["x1", "x1"] : ["ev-0", "ev-1", "ev-2", "ev-3"], events.Select(e => e.EventId));
        Assert.Empty(reader.Summary.Problems);
    }

    [Fact]
    public async Task AFileCompressedAgain_IsUnpackedAsOftenAsItWasPacked_UpToThreeTimes()
    {
        var once = Gzip(Lines(0, 2));
        var reader = new CloudLogReader();

        Assert.Equal(["ev-0", "ev-1"], (await reader.ReadAllAsync(new MemoryStream(Zstd(once)), "trail.json.gz.zst")).Select(e => e.EventId));
        Assert.Equal(["ev-0", "ev-1"], (await reader.ReadAllAsync(new MemoryStream(Bzip2(Zstd(once))), "three.bz2")).Select(e => e.EventId));
        Assert.Empty(reader.Summary.Problems);

        // A fourth is not undone: its bytes are not JSON, and that is said.
        Assert.Empty(await reader.ReadAllAsync(new MemoryStream(Gzip(Bzip2(Zstd(once)))), "four.gz"));
        Assert.Equal(ProblemSeverity.Error, Assert.Single(reader.Summary.Problems).Severity);
    }

    [Theory]
    [InlineData("bzip2")]
    [InlineData("zstd")]
    public async Task AFileCutShort_KeepsTheRecordsBeforeTheCut_AndIsReported(string kind)
    {
        // 12,000 lines of about 400 bytes: bzip2 packs them in several blocks of 900 kB, each given out once whole.
        var whole = Compress(kind, Lines(0, 12_000));
        var reader = new CloudLogReader();

        var events = await reader.ReadAllAsync(new MemoryStream(whole[..(whole.Length * 8 / 10)]), "cut");

        Assert.InRange(events.Count, 1, 11_999);
        Assert.Equal(Enumerable.Range(0, events.Count).Select(i => $"ev-{i}"), events.Select(e => e.EventId));
        var problem = Assert.Single(reader.Summary.Problems);
        Assert.Equal(("cut", ProblemSeverity.Error), (problem.Source, problem.Severity));
        Assert.Contains($"the {kind} data cannot be unpacked (", problem.Reason, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("bzip2")]
    [InlineData("zstd")]
    [InlineData("xz")]
    public async Task ACutAtAnyByte_IsReported_NeverReadAsAWholeFile(string kind)
    {
        var whole = kind == "xz" ? XzOfX1 : Compress(kind, Lines(0, 2));
        for (var length = 1; length < whole.Length; length++)
        {
            var reader = new CloudLogReader();

            await reader.ReadAllAsync(new MemoryStream(whole[..length]), "cut");

            // Garbage decoded before the damage showed is reported too, as malformed records.
            Assert.True(reader.Summary.Problems.Any(p => p.Severity == ProblemSeverity.Error), $"cut at {length} of {whole.Length} bytes: nothing reported");
        }
    }

    [Theory]
    [InlineData("bzip2")]
    [InlineData("zstd")]
    [InlineData("xz")]
    public async Task DamagedBytes_AreReported_OrDecodeToTheSameRecords_AndNeverEndTheRead(string kind)
    {
        // Every byte of the compressed data changed in turn: a decoder given bytes it never planned for may throw anything
        // (an index out of range, an overflow); each must be one file's problem, and the file after it still read. A change
        // that goes unreported must be one that changes nothing read: bzip2's unused code bits, xz's index and footer
        // (which the decoder does not compare), zstd's frame-size hint; every record's content is checked by the formats'
        // checksums (CRC-32 for each bzip2 block, CRC-64 for xz's, XXH64 for each zstd frame, as their tools write them).
        var whole = kind == "xz" ? XzOfX1 : Compress(kind, Lines(0, 2));
        var after = Write("after.json", Text(Trail("after")));

        var unreported = await UnreportedDamageAsync(whole, Path.Combine(_root.FullName, "damaged"), after);

        Assert.InRange(unreported, 0, whole.Length / 10);
    }

    [Fact]
    public async Task AZstdFrameAskingForAWindowOver128MB_IsReported_NotGivenTheMemory()
    {
        // zstd --long=30 of a stream of unknown size: the frame asks for a 1 GB window, which the decoder refuses.
        using var output = new MemoryStream();
        using (var zstd = new SharpCompress.Compressors.ZStandard.CompressionStream(output, level: 3, leaveOpen: true))
        {
            zstd.SetParameter(SharpCompress.Compressors.ZStandard.Unsafe.ZSTD_cParameter.ZSTD_c_windowLog, 30);
            zstd.Write(Lines(0, 100));
        }

        var reader = new CloudLogReader();

        Assert.Empty(await reader.ReadAllAsync(new MemoryStream(output.ToArray()), "long.zst"));

        var problem = Assert.Single(reader.Summary.Problems);
        Assert.Equal(ProblemSeverity.Error, problem.Severity);
        Assert.Contains("the zstd data cannot be unpacked (Frame requires too much memory for decoding)", problem.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public async Task XzPaddingBetweenStreams_IsAllowed_AndAnythingElseAfterAStreamIsReported()
    {
        var x1 = XzOfX1;
        var reader = new CloudLogReader();

        Assert.Equal(2, (await reader.ReadAllAsync(new MemoryStream([.. x1, 0, 0, 0, 0, .. x1]), "padded")).Count);
        Assert.Single(await reader.ReadAllAsync(new MemoryStream([.. x1, 0, 0, 0, 0]), "padded-end"));
        Assert.Empty(reader.Summary.Problems);

        reader = new CloudLogReader();
        Assert.Single(await reader.ReadAllAsync(new MemoryStream([.. x1, 0, 0, 0]), "odd-padding"));
        Assert.Single(await reader.ReadAllAsync(new MemoryStream([.. x1, .. "trailing text"u8]), "trailing"));
        Assert.Collection(reader.Summary.Problems,
            p => Assert.Equal(("odd-padding", ProblemSeverity.Error, true), (p.Source, p.Severity, p.Reason.Contains("padding that is not a multiple of four", StringComparison.Ordinal))),
            p => Assert.Equal(("trailing", ProblemSeverity.Error, true), (p.Source, p.Severity, p.Reason.Contains("not another xz stream", StringComparison.Ordinal))));
    }

    [Theory]
    [InlineData("handover.tar.bz2", "bzip2")]
    [InlineData("handover.TBZ2", "bzip2")]
    [InlineData("handover.tbz", "bzip2")]
    [InlineData("handover.tar.zst", "zstd")]
    [InlineData("handover.tzst", "zstd")]
    public async Task CompressedTarballs_AreReadEntryByEntry(string name, string kind)
    {
        var path = Write(name, Compress(kind, Tar(("AWSLogs/", null), ("AWSLogs/a.json", Text(Trail("a"))), ("AWSLogs/b.json.gz", Gzip(Trail("b"))))));
        var reader = new CloudLogReader();

        var events = await reader.ReadAllAsync(path);

        Assert.Equal([("a", $"{path}!AWSLogs/a.json"), ("b", $"{path}!AWSLogs/b.json.gz")], events.Select(e => (e.EventId, e.Origin!.Source)));
        Assert.Empty(reader.Summary.Problems);
    }

    [Theory]
    [InlineData("logs.tar.xz")]
    [InlineData("logs.txz")]
    public async Task AnXzTarball_IsReadEntryByEntry(string name)
    {
        // Made with tar cJf of three delivery files, one of them gzipped.
        var path = Write(name, File.ReadAllBytes(TestData.Fixture("compressed/logs.tar.xz")));
        var reader = new CloudLogReader();

        var events = await reader.ReadAllAsync(path);

        Assert.Equal(["a", "b", "c"], events.Select(e => e.EventId).Order());
        Assert.All(events, e => Assert.StartsWith($"{path}!AWSLogs/111122223333/CloudTrail/us-east-1/2026/01/15/", e.Origin!.Source, StringComparison.Ordinal));
        Assert.Empty(reader.Summary.Problems);
    }

    [Fact]
    public async Task ACompressedTarballCutShort_IsReported_WithTheEntriesBeforeTheCutRead()
    {
        var entries = Enumerable.Range(0, 40).Select(n => ($"logs/{n:D2}.json", (byte[]?)Lines(n * 100, 100))).ToArray();
        var whole = Zstd(Tar(entries));
        var path = Write("cut.tar.zst", whole[..(whole.Length / 2)]);
        var reader = new CloudLogReader();

        var events = await reader.ReadAllAsync(path);

        Assert.InRange(events.Count, 100, 3_999);
        Assert.Equal(Enumerable.Range(0, events.Count).Select(i => $"ev-{i}"), events.Select(e => e.EventId));
        Assert.Contains(reader.Summary.Problems, p => p.Severity == ProblemSeverity.Error && p.Reason.Contains("zstd", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Bzip2WithTrailingBytes_IsReported_AndKeepsEveryRecordBeforeThem()
    {
        // The decoder once went on to look for a next stream inside the read that gave the last block, and failed there:
        // that block's records, whose CRC had held, were lost.
        byte[] padded = [.. Bzip2(Lines(0, 12_000)), 0, 0, 0, 0];
        var reader = new CloudLogReader();

        var events = await reader.ReadAllAsync(new MemoryStream(padded), "padded.bz2");

        Assert.Equal(12_000, events.Count);
        var problem = Assert.Single(reader.Summary.Problems);
        Assert.Equal(ProblemSeverity.Error, problem.Severity);
        Assert.Contains("data after the end of the bzip2 stream is not another bzip2 stream", problem.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AZstdFileStartingWithASkippableFrame_AsPzstdWritesIt_IsRead()
    {
        var frame = Zstd(Lines(0, 3));
        byte[] pzstd = [0x50, 0x2A, 0x4D, 0x18, 4, 0, 0, 0, .. BitConverter.GetBytes(frame.Length), .. frame];
        var reader = new CloudLogReader();

        var events = await reader.ReadAllAsync(new MemoryStream(pzstd), "trail.json.zst");

        Assert.Empty(reader.Summary.Problems);
        Assert.Equal(["ev-0", "ev-1", "ev-2"], events.Select(e => e.EventId));
    }

    [Theory]
    [InlineData("gzip")]
    [InlineData("bzip2")]
    [InlineData("zstd")]
    public async Task AHuntStopped_WhileACompressedDownloadIsQuiet_EndsPromptly(string kind)
    {
        // The decoders read synchronously: a read that waited on a quiet S3 body without the hunt's cancellation held
        // the stop for the body's idle limit (two minutes by default).
        var whole = kind switch { "gzip" => Gzip(Lines(0, 5_000)), "bzip2" => Bzip2(Lines(0, 5_000)), _ => Zstd(Lines(0, 5_000)) };
        var body = new IdleTimeoutStream(new QuietAfter(whole[..(whole.Length / 3)]), TimeSpan.FromSeconds(60), "s3://b/k");
        var reader = new CloudLogReader();
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        stop.CancelAfter(TimeSpan.FromSeconds(1));

        var hunt = Task.Run(async () =>
        {
            try
            {
                await foreach (var _ in reader.ReadAsync(new LogInputList([new LogInput("s3://b/k", _ => Task.FromResult<Stream>(body))]), stop.Token))
                {
                }
            }
            catch (OperationCanceledException)
            {
            }
        }, TestContext.Current.CancellationToken);

        var ended = await Task.WhenAny(hunt, Task.Delay(TimeSpan.FromSeconds(15), TestContext.Current.CancellationToken));
        Assert.True(ended == hunt, $"{kind}: the hunt was still reading 14 s after it was stopped");
    }

    [Fact]
    public async Task ADecompressingStreamClosedAsynchronously_ClosesItsDecoder_AsDisposeDoes()
    {
        var zstd = Zstd(Lines(0, 3));
        var decoder = typeof(CloudLogReader).Assembly.GetType("Firebreak.Detection.Readers.Decompression+DecompressingStream")!
            .GetField("_decoder", BindingFlags.Instance | BindingFlags.NonPublic)!;

        var closed = Decompression.Open(new MemoryStream(zstd), "zstd");
        closed.ReadExactly(new byte[10]);
        closed.Dispose();
        Assert.Null(decoder.GetValue(closed));

        var closedAsync = Decompression.Open(new MemoryStream(zstd), "zstd");
        closedAsync.ReadExactly(new byte[10]);
        await closedAsync.DisposeAsync();
        Assert.Null(decoder.GetValue(closedAsync));
    }

    /// <summary>A download whose bytes stop coming after its start, as a hung connection's do.</summary>
    private sealed class QuietAfter(byte[] start) : MemoryStream(start)
    {
        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            var read = await base.ReadAsync(buffer, cancellationToken);
            if (read > 0) return read;
            await Task.Delay(Timeout.Infinite, cancellationToken);
            return 0;
        }
    }
}
