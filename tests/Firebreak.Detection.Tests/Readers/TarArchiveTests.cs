using System.Formats.Tar;
using System.IO.Compression;
using System.Text;
using Firebreak.Detection.Readers;
using Firebreak.Detection.Readers.Sources;

using static Firebreak.Detection.Tests.Readers.ArchiveLogs;

namespace Firebreak.Detection.Tests.Readers;

/// <summary>
/// Logs handed over as a tarball (<c>tar czf logs.tgz AWSLogs</c> of a synced bucket) were one "not a JSON log file"
/// error, the gzip unpacked and its first entry's name taken for the start of a record; now each entry is read.
/// </summary>
public sealed class TarArchiveTests : IDisposable
{
    private readonly DirectoryInfo _root = Directory.CreateTempSubdirectory("firebreak-tar-");

    public void Dispose() => _root.Delete(recursive: true);

    /// <summary>A GNU-format tar archive: each entry one header block and its data, no extended headers.</summary>
    private static byte[] GnuTar(params string[] ids)
    {
        using var output = new MemoryStream();
        using (var writer = new TarWriter(output, TarEntryFormat.Gnu, leaveOpen: true))
        {
            foreach (var id in ids)
            {
                writer.WriteEntry(new GnuTarEntry(TarEntryType.RegularFile, $"{id}.json") { DataStream = new MemoryStream(Text(Trail(id))) });
            }
        }

        return output.ToArray();
    }

    private string Write(string name, byte[] bytes)
    {
        var path = Path.Combine(_root.FullName, name);
        File.WriteAllBytes(path, bytes);
        return path;
    }

    [Theory]
    [InlineData("handover.tgz", true)]
    [InlineData("handover.TAR.GZ", true)]
    [InlineData("handover.tar", false)]
    public async Task AnArchive_IsReadEntryByEntry_InTheOrderItHoldsThem(string name, bool gzipped)
    {
        const string Prefix = "./AWSLogs/111122223333/CloudTrail/us-east-1/2026/01/15/";
        var tar = Tar(
            ("./AWSLogs/", null),
            (Prefix + "111122223333_CloudTrail_us-east-1_20260115T0910Z_b.json.gz", Gzip(Text(Trail("b")))),
            (Prefix + "111122223333_CloudTrail_us-east-1_20260115T0905Z_a.json", Text(Trail("a", "DeleteTrail"))),
            ("./AWSLogs/111122223333/CloudTrail-Digest/us-east-1/2026/01/15/111122223333_CloudTrail-Digest_us-east-1_t_us-east-1_20260115T100000Z.json.gz", Gzip(Text(Digest))),
            ("./AWSLogs/._b.json", Text("an AppleDouble fork, not a log")),
            ("__MACOSX/AWSLogs/x.json", Text("not a log")),
            ("notes/empty.json", []),
            ("notes/link.json", null),
            ("nested/inner.zip", [(byte)'P', (byte)'K', 3, 4, 20, 0, 0, 0]));
        var path = Write(name, gzipped ? Gzip(tar) : tar);
        var reader = new CloudLogReader();

        var events = await reader.ReadAllAsync(path);

        Assert.Equal(["b", "a"], events.Select(e => e.EventId));
        Assert.Equal($"{path}!{Prefix}111122223333_CloudTrail_us-east-1_20260115T0905Z_a.json", events[1].Origin!.Source);
        Assert.Equal(1L, events[1].Origin!.Line);
        Assert.Equal(1, reader.Summary.DigestFiles);
        Assert.Equal(3, reader.Summary.Files);
        Assert.Collection(reader.Summary.Problems.OrderBy(p => p.Source, StringComparer.Ordinal),
            p => Assert.Equal(($"{path}!nested/inner.zip", ProblemSeverity.Error, true), (p.Source, p.Severity, p.Reason.StartsWith("a zip archive: its entries are read only when it is named .zip", StringComparison.Ordinal))),
            p => Assert.Equal(($"{path}!notes/empty.json", ProblemSeverity.Warning, "empty: nothing to read; skipped"), (p.Source, p.Severity, p.Reason)),
            p => Assert.Equal(($"{path}!notes/link.json", ProblemSeverity.Warning, "a symbolic link inside the tar archive, not a file: skipped"), (p.Source, p.Severity, p.Reason)));
    }

    [Fact]
    public async Task EntriesPassedByForTheirNames_AreSkippedThrough_AndTheOthersReadInOrder()
    {
        // Entries outside the window and digests are never opened: the one forward read of the archive must go past
        // them to the next entry asked for, not wait for them.
        var tar = Tar(
            ("111122223333_CloudTrail_us-east-1_20250101T0000Z_old.json", Text(Trail("old"))),
            ("111122223333_CloudTrail_us-east-1_20260115T0905Z_in1.json", Text(Trail("in1"))),
            ("111122223333_CloudTrail-Digest_us-east-1_t_us-east-1_20260115T100000Z.json.gz", Gzip(Text(Digest))),
            ("111122223333_CloudTrail_us-east-1_20250102T0000Z_old2.json", Text(Trail("old2"))),
            ("111122223333_CloudTrail_us-east-1_20260115T0915Z_in2.json", Text(Trail("in2"))));
        var path = Write("windowed.tgz", Gzip(tar));
        var window = new DeliveryWindow(new DateTimeOffset(2026, 1, 15, 0, 0, 0, TimeSpan.Zero), null);
        var outside = new List<string>();
        var reader = new CloudLogReader();
        using var limit = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        limit.CancelAfter(TimeSpan.FromMinutes(2));

        List<string?> ids = [];
        await foreach (var e in reader.ReadAsync(window.Apply(new FileLogInputSource(path), i => outside.Add(i.Name)), limit.Token))
        {
            ids.Add(e.EventId);
        }

        Assert.Equal(["in1", "in2"], ids);
        Assert.Equal(2, outside.Count);
        Assert.Equal(1, reader.Summary.DigestFiles);
        Assert.Empty(reader.Summary.Problems);
    }

    [Fact]
    public async Task ManyEntries_ReadOnBothCores_ComeOutWhole_AndInOrder()
    {
        var entries = Enumerable.Range(0, 300)
            .Select(n => ($"logs/{n:D3}.json{(n % 2 == 0 ? ".gz" : "")}", n % 2 == 0 ? Gzip(Text(Trail($"e{n:D3}"))) : Text(Trail($"e{n:D3}"))))
            .Select(e => (e.Item1, (byte[]?)e.Item2))
            .ToArray();
        var path = Write("many.tar.gz", Gzip(Tar(entries)));
        var reader = new CloudLogReader(new ReaderOptions { MaxDegreeOfParallelism = 2 });

        var events = await reader.ReadAllAsync(path);

        Assert.Equal(Enumerable.Range(0, 300).Select(n => $"e{n:D3}"), events.Select(e => e.EventId));
        Assert.Empty(reader.Summary.Problems);
        Assert.Equal(300, reader.Summary.Files);
    }

    [Fact]
    public async Task EntriesAreListedWithTheirSizes_AndOneAskedForBehindTheReadIsStillGivenWhole()
    {
        var first = Gzip(Text(Trail("first")));
        var second = Text(Trail("second"));
        var path = Write("sized.tgz", Gzip(Tar(("first.json.gz", first), ("second.json", second))));

        var inputs = await new FileLogInputSource(path).ListAsync(_ => { }, TestContext.Current.CancellationToken).ToListAsync(TestContext.Current.CancellationToken);

        Assert.Equal([first.Length, second.Length], inputs.Select(i => i.Size));
        Assert.Equal(second, await ReadAsync(inputs[1]));
        Assert.Equal(first, await ReadAsync(inputs[0]));
        Assert.Equal(second, await ReadAsync(inputs[1]));
    }

    [Fact]
    public async Task AnArchiveCutShort_ReadsTheEntriesBefore_AndSaysWhereItStopped()
    {
        var lines = string.Join("\n", Enumerable.Range(0, 200).Select(n => Trail($"n{n}")));
        var tar = Tar(("whole.json", Text(Trail("whole"))), ("cut.json", Text(lines)), ("after.json", Text(Trail("after"))));
        // Cut in the middle of the second entry's data, plain and gzipped.
        var cutAt = tar.AsSpan().IndexOf("\"n100\""u8);
        var plain = Write("cut.tar", tar[..cutAt]);
        var gzipped = Gzip(tar);
        var zipped = Write("cut.tgz", gzipped[..(gzipped.Length * 2 / 3)]);
        var garbage = Write("garbage.tar", Text(new string('x', 2000)));

        foreach (var path in new[] { plain, zipped })
        {
            var reader = new CloudLogReader();

            var events = await reader.ReadAllAsync(path);

            Assert.Equal("whole", events[0].EventId);
            Assert.DoesNotContain(events, e => e.EventId == "after");
            Assert.True(events.Count < 201, $"{path}: {events.Count} events");
            Assert.Contains(reader.Summary.Problems, p => p.Source == $"{path}!cut.json" && p.Severity == ProblemSeverity.Error);
            Assert.Contains(reader.Summary.Problems, p => p.Source == path && p.Reason.StartsWith("cannot read the tar archive after 2 of its files: ", StringComparison.Ordinal));
        }

        // Named .tar but no archive: read as the file it is, and reported as what it is not.
        var bad = new CloudLogReader();
        Assert.Empty(await bad.ReadAllAsync(garbage));
        var problem = Assert.Single(bad.Summary.Problems);
        Assert.Equal((garbage, ProblemSeverity.Error), (problem.Source, problem.Severity));
        Assert.DoesNotContain("tar archive", problem.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AnArchiveEndingWrong_OrGoingOnAfterItsEnd_IsReported_NotReadAsWhole()
    {
        var first = GnuTar("a", "b");
        var second = GnuTar("c");
        // Cut exactly at the edge of an entry: the blocks of zeros that end an archive are missing.
        var edge = first.AsSpan().IndexOf("b.json"u8);
        Assert.Equal(0, edge % 512);
        // Two archives joined with cat: GNU tar reads the first alone and says nothing.
        byte[] joined = [.. first, .. second];
        // A header zeroed in the middle: the entries after it were lost without a word.
        var zeroed = GnuTar("a", "b", "c");
        zeroed.AsSpan(zeroed.AsSpan().IndexOf("b.json"u8), 512).Clear();
        var cases = new (string Name, byte[] Bytes, string Reason)[]
        {
            ("edge.tar", first[..edge], ": cut short"),
            ("edge.tgz", Gzip(first[..edge]), ": cut short"),
            ("joined.tar", joined, "goes on after the blocks of zeros"),
            ("joined.tgz", [.. Gzip(first), .. Gzip(second)], "goes on after the blocks of zeros"),
            ("zeroed.tar", zeroed, "goes on after the blocks of zeros"),
        };

        foreach (var (name, bytes, reason) in cases)
        {
            var path = Write(name, bytes);
            var reader = new CloudLogReader();

            var events = await reader.ReadAllAsync(path);

            Assert.Equal("a", events[0].EventId);
            var problem = Assert.Single(reader.Summary.Problems);
            Assert.True(problem.Source == path && problem.Severity == ProblemSeverity.Error && problem.Reason.Contains(reason, StringComparison.Ordinal), $"{name}: {problem}");
        }
    }

    [Fact]
    public async Task AnEntryTheRuntimeCannotRead_EndsThatArchive_NotTheHunt_AndFilesNamedTarThatAreNotAreReadAsTheyAre()
    {
        // A GNU sparse file (tar cS): the runtime refuses its header, and the exception ended the whole hunt.
        var tar = GnuTar("before", "sparse", "after");
        var header = tar.AsSpan().IndexOf("sparse.json"u8);
        Assert.Equal(0, header % 512);
        tar[header + 156] = (byte)'S';
        var sum = 0;
        for (var i = 0; i < 512; i++) sum += i is >= 148 and < 156 ? ' ' : tar[header + i];
        Encoding.ASCII.GetBytes(Convert.ToString(sum, 8).PadLeft(6, '0') + "\0 ").CopyTo(tar.AsSpan(header + 148));
        var sparse = Write("sparse.tar", tar);
        var other = Write("other.json", Text(Trail("other")));
        // Named as archives, holding none: read as the logs they are, as before tar archives were opened.
        var notTar = Write("plain.tar", Text(Trail("plain")));
        var notTgz = Write("plain.tar.gz", Gzip(Text(Trail("gzipped"))));
        var reader = new CloudLogReader();

        var events = await reader.ReadAllAsync(sparse, other, notTar, notTgz);

        Assert.Equal(["before", "other", "plain", "gzipped"], events.Select(e => e.EventId));
        var problem = Assert.Single(reader.Summary.Problems);
        Assert.Equal((sparse, ProblemSeverity.Error), (problem.Source, problem.Severity));
        Assert.StartsWith("cannot read the tar archive after 1 of its files: ", problem.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public async Task EntriesOfOneName_AreAllRead_TheSecondCitedApart()
    {
        // tar rf appends a file again under its name: both are read, and an import, which keeps its place by the input's
        // name, took the second for the first read again and stored none of it.
        var path = Write("appended.tar", Tar(("a.json", Text(Trail("first"))), ("a.json", Text(Trail("second")))));
        var zip = Path.Combine(_root.FullName, "twice.zip");
        using (var archive = ZipFile.Open(zip, ZipArchiveMode.Create))
        {
            foreach (var id in new[] { "one", "two" })
            {
                using var entry = archive.CreateEntry("a.json").Open();
                entry.Write(Text(Trail(id)));
            }
        }

        var reader = new CloudLogReader();

        var events = await reader.ReadAllAsync(path, zip);

        Assert.Equal(["first", "second", "one", "two"], events.Select(e => e.EventId));
        Assert.Equal([$"{path}!a.json", $"{path}!a.json#2", $"{zip}!a.json", $"{zip}!a.json#2"], events.Select(e => e.Origin!.Source));
        Assert.Empty(reader.Summary.Problems);
    }

    [Theory]
    [InlineData("zip", "a zip archive: its entries are read only when it is named .zip")]
    [InlineData("tgz", "a tar archive: its entries are read only when it is named .tar, .tgz, .tar.gz, .tar.bz2, .tar.xz or .tar.zst")]
    [InlineData("tar", "a tar archive: its entries are read only when it is named .tar, .tgz, .tar.gz, .tar.bz2, .tar.xz or .tar.zst")]
    [InlineData("7z", "a 7z archive: its entries are read only when it is named .7z")]
    [InlineData("rar", "a RAR archive: not read")]
    public async Task AnArchiveOrCompressionNotOpenedWhereItIsFound_IsSaidToBeOne_NotCalledBadJson(string kind, string reason)
    {
        // Handed in as a stream under another name (standard input, an S3 object or upload not named for it), an archive is not listed.
        byte[] bytes = kind switch
        {
            "zip" => ZipBytes(),
            "tgz" => Gzip(Tar(("a.json", Text(Trail("a"))))),
            "tar" => Tar(("a.json", Text(Trail("a")))),
            "7z" => [0x37, 0x7A, 0xBC, 0xAF, 0x27, 0x1C, 0, 4],
            _ => [.. "Rar!"u8, 0x1A, 0x07, 0x01, 0x00],
        };
        var reader = new CloudLogReader();

        var events = await reader.ReadAllAsync(new MemoryStream(bytes), $"s3://bucket/logs.{kind}");

        Assert.Empty(events);
        var problem = Assert.Single(reader.Summary.Problems);
        Assert.Equal(ProblemSeverity.Error, problem.Severity);
        Assert.StartsWith(reason, problem.Reason, StringComparison.Ordinal);
    }

    private static byte[] ZipBytes()
    {
        using var output = new MemoryStream();
        using (var archive = new ZipArchive(output, ZipArchiveMode.Create, leaveOpen: true))
        {
            using var entry = archive.CreateEntry("a.json").Open();
            entry.Write(Text(Trail("a")));
        }

        return output.ToArray();
    }

    private static async Task<byte[]> ReadAsync(LogInput input)
    {
        await using var stream = await input.OpenAsync(TestContext.Current.CancellationToken);
        var read = new MemoryStream();
        await stream.CopyToAsync(read, TestContext.Current.CancellationToken);
        return read.ToArray();
    }
}
