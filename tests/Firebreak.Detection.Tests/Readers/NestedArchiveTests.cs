using Firebreak.Detection.Readers;
using Firebreak.Detection.Readers.Sources;
using static Firebreak.Detection.Tests.Readers.ArchiveLogs;

namespace Firebreak.Detection.Tests.Readers;

/// <summary>
/// Archives inside archives: a handover zip of one tarball per account, a tarball of zips. Each was one error ("a zip
/// archive: its entries are read only when ..."), and every log inside it went unread.
/// </summary>
public sealed class NestedArchiveTests : IDisposable
{
    private readonly DirectoryInfo _root = Directory.CreateTempSubdirectory("firebreak-nested-");

    /// <summary>This test's own folder for unpacked copies: counting the system's would count other tests' too.</summary>
    private readonly DirectoryInfo _unpacked = Directory.CreateTempSubdirectory("firebreak-unpacked-");

    public void Dispose()
    {
        _root.Delete(recursive: true);
        _unpacked.Delete(recursive: true);
    }

    private ArchiveDownloads Within(ILogInputSource source, long maxUnpackedBytes = ArchiveDownloads.DefaultMaxUnpackedBytes) =>
        new(source, maxUnpackedBytes: maxUnpackedBytes, temporaryFolder: _unpacked.FullName);

    private string Write(string name, byte[] bytes)
    {
        var path = Path.Combine(_root.FullName, name);
        File.WriteAllBytes(path, bytes);
        return path;
    }

    private int Unpacked() => _unpacked.GetFiles().Length;

    private static async Task<(List<(string? Id, string? Source)> Events, CloudLogReader Reader)> ReadAsync(ILogInputSource source)
    {
        var reader = new CloudLogReader(new ReaderOptions { MaxDegreeOfParallelism = 2 });
        List<(string?, string?)> events = [];
        await foreach (var cloudEvent in reader.ReadAsync(source, TestContext.Current.CancellationToken))
        {
            events.Add((cloudEvent.EventId, cloudEvent.Origin?.Source));
        }

        return (events, reader);
    }

    [Fact]
    public async Task ArchivesInsideAnArchive_AreUnpackedAndRead_InOrder_CitedByEveryName_LeavingNoFileBehind()
    {
        // A tar read forward holds a zip, a gzipped tar and a tar holding a zip (three archives deep), with files between
        // them: the inner archives are opened while the reader waits on the outer one's earlier entries.
        var path = Write("handover.tar", Tar(
            ("a.json", Text(Trail("a"))),
            ("accounts/111.zip", Zip(("AWSLogs/z1.json", Text(Trail("z1"))), ("AWSLogs/z2.json.gz", Gzip(Trail("z2"))))),
            ("b.json", Text(Trail("b"))),
            ("accounts/222.tgz", Gzip(Tar(("AWSLogs/t1.json", Text(Trail("t1")))))),
            ("accounts/333.tar", Tar(("deeper.zip", Zip(("x1.json", Text(Trail("x1"))))), ("x2.json", Text(Trail("x2"))))),
            ("c.json", Text(Trail("c")))));
        var before = Unpacked();

        var (events, reader) = await ReadAsync(Within(new FileLogInputSource(path)));

        Assert.Empty(reader.Summary.Problems);
        Assert.Equal(
            [("a", $"{path}!a.json"), ("z1", $"{path}!accounts/111.zip!AWSLogs/z1.json"), ("z2", $"{path}!accounts/111.zip!AWSLogs/z2.json.gz"),
             ("b", $"{path}!b.json"), ("t1", $"{path}!accounts/222.tgz!AWSLogs/t1.json"),
             ("x1", $"{path}!accounts/333.tar!deeper.zip!x1.json"), ("x2", $"{path}!accounts/333.tar!x2.json"), ("c", $"{path}!c.json")],
            events);
        Assert.Equal(before, Unpacked());
    }

    [Fact]
    public async Task AnArchiveInsideThreeOthers_IsReported_AndEverythingAroundItIsRead()
    {
        var deepest = Zip(("e.json", Text(Trail("e"))));
        var path = Write("a.zip", Zip(
            ("b.zip", Zip(("c.zip", Zip(("d.zip", deepest), ("in-c.json", Text(Trail("in-c"))))), ("in-b.json", Text(Trail("in-b"))))),
            ("in-a.json", Text(Trail("in-a")))));

        var (events, reader) = await ReadAsync(Within(new FileLogInputSource(path)));

        Assert.Equal(["in-c", "in-b", "in-a"], events.Select(e => e.Id));
        var problem = Assert.Single(reader.Summary.Problems);
        Assert.Equal(($"{path}!b.zip!c.zip!d.zip", ProblemSeverity.Error), (problem.Source, problem.Severity));
        Assert.StartsWith("an archive inside 3 others is not opened", problem.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AnInnerArchiveThatUnpacksBeyondTheLimit_IsReported_NotWrittenOut()
    {
        // Two megabytes of zeros pack into a few kilobytes: unpacked to disk, such an archive is a disk-filler.
        var path = Write("small.zip", Zip(
            ("huge.tar", Tar(("zeros.json", new byte[2 * 1024 * 1024]))),
            ("fine.tgz", Gzip(Tar(("f.json", Text(Trail("f")))))),
            ("after.json", Text(Trail("after")))));
        var before = Unpacked();

        var (events, reader) = await ReadAsync(Within(new FileLogInputSource(path), maxUnpackedBytes: 1024 * 1024));

        // A zip's entries come in the order of their names.
        Assert.Equal(["after", "f"], events.Select(e => e.Id));
        var problem = Assert.Single(reader.Summary.Problems);
        Assert.Equal($"{path}!huge.tar", problem.Source);
        Assert.StartsWith("an archive inside another that unpacks to more than 1 MB is not opened", problem.Reason, StringComparison.Ordinal);
        Assert.Equal(before, Unpacked());
    }

    [Fact]
    public async Task ADamagedInnerArchive_OrALogNamedAsOne_IsReportedOrRead_Once_AndTheOuterOnesOtherEntriesAreRead()
    {
        // A file named as a tar that holds none comes back from its unpacking as itself, one input of the same name: it was
        // unpacked again, and again, without end, each time one more temporary file (millions in minutes).
        var path = Write("outer.zip", Zip(
            ("broken.zip", Text("not a zip at all")),
            ("cut.tgz", Gzip(Tar(("t.json", Text(Trail("t")))))[..40]),
            ("log-named.tar", Text(Trail("named"))),
            ("log-named.tgz", Gzip(Trail("named-gz"))),
            ("ok.json", Text(Trail("ok")))));
        var before = Unpacked();
        using var limit = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        limit.CancelAfter(TimeSpan.FromSeconds(60));

        var reader = new CloudLogReader(new ReaderOptions { MaxDegreeOfParallelism = 2 });
        List<(string?, string?)> events = [];
        await foreach (var cloudEvent in reader.ReadAsync(Within(new FileLogInputSource(path)), limit.Token))
        {
            events.Add((cloudEvent.EventId, cloudEvent.Origin?.Source));
        }

        Assert.Equal([("named", $"{path}!log-named.tar"), ("named-gz", $"{path}!log-named.tgz"), ("ok", $"{path}!ok.json")], events.Order());
        Assert.Equal([$"{path}!broken.zip", $"{path}!cut.tgz"], reader.Summary.Problems.Select(p => p.Source).Order());
        Assert.All(reader.Summary.Problems, p => Assert.Equal(ProblemSeverity.Error, p.Severity));
        Assert.Equal(before, Unpacked());
    }

    [Fact]
    public async Task AnEntryReachedByTwoOverlappingPaths_IsReadOnce_AndABangInAFoldersNameCountsForNothing()
    {
        // Nested entries were known by the path as typed: a folder and the archive in it, both given, read them twice.
        // And every "!" in a name was taken for an archive around it: in a folder "case!2026!acme" an archive's inner
        // tarball was said to lie inside three others and left unread.
        var folder = Directory.CreateDirectory(Path.Combine(_root.FullName, "case!2026!acme"));
        var path = Path.Combine(folder.FullName, "handover.zip");
        File.WriteAllBytes(path, Zip(("111122223333.tgz", Gzip(Tar(("AWSLogs/t1.json", Text(Trail("t1")))))), ("plain.json", Text(Trail("p")))));

        var (events, reader) = await ReadAsync(new LogInputSources(
        [
            Within(new FileLogInputSource(folder.FullName)),
            Within(new FileLogInputSource(Path.Combine(folder.FullName, ".", "handover.zip"))),
        ]));

        Assert.Empty(reader.Summary.Problems);
        Assert.Equal(["p", "t1"], events.Select(e => e.Id).Order());
    }

    [Fact]
    public async Task ALocalLogNamedAsATarball_IsReadInPlace_NotCopiedToTheTemporaryFolder()
    {
        // A file the lister left whole though named .tgz (a gzipped log) holds no archive: it was copied to TMPDIR first.
        var path = Write("export.tgz", Gzip(Trail("g")));
        var before = Unpacked();

        await foreach (var input in Within(new FileLogInputSource(path)).ListAsync(_ => { }, TestContext.Current.CancellationToken))
        {
            Assert.Equal(before, Unpacked());
            Assert.Equal(path, input.Name);
        }

        var (events, reader) = await ReadAsync(Within(new FileLogInputSource(path)));
        Assert.Empty(reader.Summary.Problems);
        Assert.Equal(["g"], events.Select(e => e.Id));
    }
}
