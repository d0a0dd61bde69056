using Firebreak.Detection.Readers;
using Firebreak.Detection.Readers.Sources;
using static Firebreak.Detection.Tests.Readers.ArchiveLogs;

namespace Firebreak.Detection.Tests.Readers;

/// <summary>
/// Logs handed over as a 7z archive were one "a 7z archive: not read" error; each entry is now read. The archives are
/// small files made with 7-Zip (which nothing in .NET writes): <c>handover.7z</c> holds three delivery files under
/// <c>AWSLogs/.../2026/01/15/</c> (<c>a.json</c>, <c>b.json.gz</c>, <c>c.json</c>, in that order), an empty
/// <c>notes/empty.json</c> and a <c>__MACOSX/x.json</c>, solid and LZMA2-compressed as 7-Zip writes by default;
/// <c>encrypted.7z</c> the same logs with a password; <c>encrypted-names.7z</c> with its names encrypted too;
/// <c>many.7z</c> 300 delivery files <c>logs/000.json</c> to <c>logs/299.json</c>, events <c>e000</c> to <c>e299</c>.
/// </summary>
public sealed class SevenZipArchiveTests : IDisposable
{
    private const string Prefix = "AWSLogs/111122223333/CloudTrail/us-east-1/2026/01/15/111122223333_CloudTrail_us-east-1_20260115T";

    private readonly DirectoryInfo _root = Directory.CreateTempSubdirectory("firebreak-7z-");

    public void Dispose() => _root.Delete(recursive: true);

    private static byte[] Fixture(string name) => File.ReadAllBytes(TestData.Fixture($"compressed/{name}"));

    private string Write(string name, byte[] bytes)
    {
        var path = Path.Combine(_root.FullName, name);
        File.WriteAllBytes(path, bytes);
        return path;
    }

    [Theory]
    [InlineData("handover.7z")]
    [InlineData("HANDOVER.7Z")]
    public async Task AnArchive_IsReadEntryByEntry_InTheOrderItHoldsThem(string name)
    {
        var path = Write(name, Fixture("handover.7z"));
        var reader = new CloudLogReader();

        var events = await reader.ReadAllAsync(path);

        Assert.Equal(
            [("a", $"{path}!{Prefix}0905Z_a.json"), ("b", $"{path}!{Prefix}0910Z_b.json.gz"), ("c", $"{path}!{Prefix}0915Z_c.json")],
            events.Select(e => (e.EventId, e.Origin!.Source)));
        Assert.Equal("DeleteTrail", events[0].Operation);
        Assert.Equal(3, reader.Summary.Files);
        var problem = Assert.Single(reader.Summary.Problems);
        Assert.Equal(($"{path}!notes/empty.json", ProblemSeverity.Warning, "empty: nothing to read; skipped"), (problem.Source, problem.Severity, problem.Reason));
    }

    [Fact]
    public async Task AnUploadKeptUnderAnotherName_IsReadByTheNameItCameWith()
    {
        var kept = Write("upload-6f1c2b", Fixture("handover.7z"));
        var reader = new CloudLogReader();

        List<string?> sources = [];
        await foreach (var e in reader.ReadAsync(new StoredFileSource(kept, "handover.7z"), TestContext.Current.CancellationToken))
        {
            sources.Add(e.Origin!.Source);
        }

        Assert.Equal([$"handover.7z!{Prefix}0905Z_a.json", $"handover.7z!{Prefix}0910Z_b.json.gz", $"handover.7z!{Prefix}0915Z_c.json"], sources);
    }

    [Fact]
    public async Task EncryptedEntries_AreWarnedOf_AndEncryptedNames_AreAnError()
    {
        var encrypted = Write("encrypted.7z", Fixture("encrypted.7z"));
        var names = Write("encrypted-names.7z", Fixture("encrypted-names.7z"));
        var after = Write("after.json", Text(Trail("after")));
        var reader = new CloudLogReader();

        var events = await reader.ReadAllAsync(encrypted, names, after);

        Assert.Equal(["after"], events.Select(e => e.EventId));
        Assert.Equal(
            [($"{encrypted}!{Prefix}0905Z_a.json", ProblemSeverity.Warning, "encrypted (password-protected): cannot be read; skipped"),
             ($"{encrypted}!{Prefix}0910Z_b.json.gz", ProblemSeverity.Warning, "encrypted (password-protected): cannot be read; skipped"),
             ($"{encrypted}!{Prefix}0915Z_c.json", ProblemSeverity.Warning, "encrypted (password-protected): cannot be read; skipped"),
             (names, ProblemSeverity.Error, "the 7z archive's names are encrypted (password-protected): it cannot be read")],
            reader.Summary.Problems.Select(p => (p.Source, p.Severity, p.Reason)));
    }

    [Fact]
    public async Task ManyEntriesOfOneSolidStream_ReadOnBothCores_ComeOutWhole_AndInOrder()
    {
        var path = Write("many.7z", Fixture("many.7z"));
        var reader = new CloudLogReader(new ReaderOptions { MaxDegreeOfParallelism = 2 });

        var events = await reader.ReadAllAsync(path);

        Assert.Equal(Enumerable.Range(0, 300).Select(n => $"e{n:D3}"), events.Select(e => e.EventId));
        Assert.Equal(300, reader.Summary.Files);
        Assert.Empty(reader.Summary.Problems);
    }

    [Fact]
    public async Task EntriesAreListedWithTheirSizes_AndOnesAskedForOutOfOrderAreStillGivenWhole()
    {
        var path = Write("handover.7z", Fixture("handover.7z"));

        var inputs = await new FileLogInputSource(path).ListAsync(_ => { }, TestContext.Current.CancellationToken).ToListAsync(TestContext.Current.CancellationToken);

        Assert.Equal(3, inputs.Count);
        Assert.All(inputs, i => Assert.Equal(1, i.ArchiveDepth));
        var c = await ReadAsync(inputs[2]);
        var a = await ReadAsync(inputs[0]);
        Assert.Equal(inputs[2].Size, c.Length);
        Assert.Equal(Text(Trail("c", "UpdateTrail")), c);
        Assert.Equal(Text(Trail("a", "DeleteTrail")), a);
    }

    [Fact]
    public async Task ACutAtAnyPoint_IsReported_NeverReadAsAWholeArchive_AndTheNextFileIsRead()
    {
        var whole = Fixture("handover.7z");
        var after = Write("after.json", Text(Trail("after")));
        for (var length = 1; length < whole.Length; length += 3)
        {
            var path = Write("cut.7z", whole[..length]);
            var reader = new CloudLogReader();

            var events = await reader.ReadAllAsync(path, after);

            Assert.Equal("after", events[^1].EventId);
            Assert.True(reader.Summary.Problems.Any(p => p.Source.StartsWith(path, StringComparison.Ordinal) && p.Severity == ProblemSeverity.Error), $"cut at {length}: nothing reported");
        }
    }

    [Fact]
    public async Task DamagedBytes_AreReported_OrChangeNothingRead_AndNeverEndTheRead()
    {
        // Each byte changed in turn. Every file's CRC-32 is in the archive, and the entries' bytes are compared with it, so
        // a change that goes unreported must leave every record read as it was.
        var whole = Fixture("handover.7z");
        var after = Write("after.json", Text(Trail("after")));

        var unreported = await UnreportedDamageAsync(whole, Path.Combine(_root.FullName, "damaged.7z"), after);

        Assert.InRange(unreported, 0, whole.Length / 4);
    }

    [Fact]
    public async Task AFileNamed7zThatHoldsNone_IsReadAsTheFileItIs_AndA7zUnderAnotherName_IsSaidToBeOne()
    {
        var log = Write("export.7z", Text(Trail("plain")));
        var reader = new CloudLogReader();

        Assert.Equal(["plain"], (await reader.ReadAllAsync(log)).Select(e => e.EventId));
        Assert.Empty(reader.Summary.Problems);

        Assert.Empty(await reader.ReadAllAsync(new MemoryStream(Fixture("handover.7z")), "s3://bucket/handover"));
        Assert.StartsWith("a 7z archive: its entries are read only when it is named .7z", Assert.Single(reader.Summary.Problems).Reason, StringComparison.Ordinal);

        // The first volume of a split archive (7z a -v100m) is no archive alone: renaming it would not help.
        reader = new CloudLogReader();
        Assert.Empty(await reader.ReadAllAsync(Write("handover.7z.001", Fixture("handover.7z")[..400])));
        Assert.StartsWith("the first volume of a split 7z archive: join the volumes", Assert.Single(reader.Summary.Problems).Reason, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A7zInsideAZip_AndAZipInsideA7zsTarball_AreUnpackedAndRead()
    {
        var unpacked = Directory.CreateTempSubdirectory("firebreak-7z-unpacked-");
        try
        {
            var path = Write("accounts.zip", Zip(("111122223333/handover.7z", Fixture("handover.7z")), ("readme.json", Text(Trail("z")))));
            var reader = new CloudLogReader();

            List<(string?, string?)> events = [];
            await foreach (var e in reader.ReadAsync(new ArchiveDownloads(new FileLogInputSource(path), temporaryFolder: unpacked.FullName), TestContext.Current.CancellationToken))
            {
                events.Add((e.EventId, e.Origin!.Source));
            }

            Assert.Equal(
                [("a", $"{path}!111122223333/handover.7z!{Prefix}0905Z_a.json"), ("b", $"{path}!111122223333/handover.7z!{Prefix}0910Z_b.json.gz"),
                 ("c", $"{path}!111122223333/handover.7z!{Prefix}0915Z_c.json"), ("z", $"{path}!readme.json")],
                events);
            Assert.Equal([$"{path}!111122223333/handover.7z!notes/empty.json"], reader.Summary.Problems.Select(p => p.Source));
            Assert.Empty(unpacked.GetFiles());
        }
        finally
        {
            unpacked.Delete(recursive: true);
        }
    }

    private static async Task<byte[]> ReadAsync(LogInput input)
    {
        await using var stream = await input.OpenAsync(TestContext.Current.CancellationToken);
        var read = new MemoryStream();
        await stream.CopyToAsync(read, TestContext.Current.CancellationToken);
        return read.ToArray();
    }

    [Fact]
    public async Task A7zWithAFolderListedAfterAFile_ReadsEveryEntryAsItself()
    {
        // 7-Zip writes folders first; other writers need not, and the forward read gives every folder first whatever
        // the directory's order: entries found by their place were handed another entry's bytes.
        using var output = new MemoryStream();
        using (var writer = new SharpCompress.Writers.SevenZip.SevenZipWriter(output, new SharpCompress.Writers.SevenZip.SevenZipWriterOptions { CompressionType = SharpCompress.Common.CompressionType.LZMA2, LeaveStreamOpen = true }))
        {
            writer.Write("a.json", new MemoryStream(Text(Trail("a"))), null);
            writer.WriteDirectory("dir", null);
            writer.Write("b.json", new MemoryStream(Text(Trail("bb"))), null);
            writer.Write("dir/a.json", new MemoryStream(Text(Trail("c"))), null);
        }

        var path = Write("handover.7z", output.ToArray());
        var reader = new CloudLogReader(new ReaderOptions { MaxDegreeOfParallelism = 2 });

        var events = await reader.ReadAllAsync(path);

        Assert.Empty(reader.Summary.Problems);
        Assert.Equal([("a", $"{path}!a.json"), ("bb", $"{path}!b.json"), ("c", $"{path}!dir/a.json")], events.Select(e => (e.EventId, e.Origin!.Source)));
    }

    [Fact]
    public async Task EntriesOfOneName_EmptyOrNot_AreEachFoundAsThemselves()
    {
        // Each entry is found in the forward read by its name and which of that name it is, counted over the same
        // entries on both sides: an empty first copy is not read, but still counts.
        using var output = new MemoryStream();
        using (var writer = new SharpCompress.Writers.SevenZip.SevenZipWriter(output, new SharpCompress.Writers.SevenZip.SevenZipWriterOptions { CompressionType = SharpCompress.Common.CompressionType.LZMA2, LeaveStreamOpen = true }))
        {
            writer.Write("a.json", new MemoryStream([]), null);
            writer.WriteDirectory("a.json.d", null);
            writer.Write("a.json", new MemoryStream(Text(Trail("second"))), null);
            writer.Write("b.json", new MemoryStream(Text(Trail("b"))), null);
            writer.Write("a.json", new MemoryStream(Text(Trail("third"))), null);
        }

        var path = Write("again.7z", output.ToArray());
        var reader = new CloudLogReader(new ReaderOptions { MaxDegreeOfParallelism = 2 });

        var events = await reader.ReadAllAsync(path);

        Assert.Equal([("second", $"{path}!a.json#2"), ("b", $"{path}!b.json"), ("third", $"{path}!a.json#3")], events.Select(e => (e.EventId, e.Origin!.Source)));
        Assert.Equal([($"{path}!a.json", "empty: nothing to read; skipped")], reader.Summary.Problems.Select(p => (p.Source, p.Reason)));
    }

    [Theory]
    [InlineData("huge-file-count.7z")]
    [InlineData("huge-pack-stream-count.7z")]
    public async Task A7zHeaderClaimingHugeCounts_IsThatFilesError_AndTheOtherFilesAreRead(string fixture)
    {
        // 7-Zip's own archives of one file, the header left uncompressed and its count of files (or of packed streams)
        // changed to 2^31, the CRCs made right again: the library asks for that many at once, and fails.
        var path = Write("hostile.7z", Fixture(fixture));
        var after = Write("after.json", Text(Trail("after")));
        var reader = new CloudLogReader();

        var events = await reader.ReadAllAsync(path, after);

        Assert.Equal(["after"], events.Select(e => e.EventId));
        var problem = Assert.Single(reader.Summary.Problems);
        Assert.Equal((path, ProblemSeverity.Error), (problem.Source, problem.Severity));
        Assert.Contains("its header claims more entries or streams than can be held", problem.Reason, StringComparison.Ordinal);
    }
}
