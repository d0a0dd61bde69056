using System.Formats.Tar;
using System.IO.Compression;
using System.Text;
using Firebreak.Detection.Readers;
using Firebreak.Detection.Readers.Sources;
using Firebreak.Testing;

using static Firebreak.Detection.Tests.Readers.ArchiveLogs;

namespace Firebreak.Detection.Tests.Readers;

/// <summary>
/// How a hunt finds and opens its inputs, met with evidence as it comes from real systems: a folder holding a link to
/// somewhere above it.
/// </summary>
public sealed class SourceBoundaryTests : IDisposable
{
    private readonly DirectoryInfo _root = Directory.CreateTempSubdirectory("firebreak-sources-");

    public void Dispose() => _root.Delete(recursive: true);

    [Fact]
    public async Task ALinkToAFolderAboveTheOneNamed_IsALoop_AndNothingOutsideTheNamedFolderIsRead()
    {
        // Evidence collected from a host keeps its links: "logs/up -> ../..", or an absolute "rootfs -> /". The walk
        // followed such a link and listed the folder it leads to, which holds the named folder: it warned of the named
        // folder met again ("a loop") but read everything beside it (here the case's other folder and a file of another
        // case), and a link to / read the responder's whole machine as evidence (a hunt of one such link ran for minutes,
        // read thousands of unrelated files and reported dozens of hits from them). A link to a folder holding the one
        // named is a loop: a warning, not followed.
        var top = _root.FullName;
        var logs = Path.Combine(top, "case-17", "logs");
        Directory.CreateDirectory(logs);
        Directory.CreateDirectory(Path.Combine(top, "case-17", "other"));
        File.WriteAllText(Path.Combine(logs, "a.json"), Trail("a"));
        File.WriteAllText(Path.Combine(top, "case-17", "other", "b.json"), Trail("b"));
        File.WriteAllText(Path.Combine(top, "another-case.json"), Trail("other-case"));
        Directory.CreateSymbolicLink(Path.Combine(logs, "up"), Path.Combine("..", ".."));
        var reader = new CloudLogReader();

        var events = await reader.ReadAllAsync(logs).WaitAsync(HangGuard.Limit, TestContext.Current.CancellationToken);

        Assert.Equal(["a"], events.Select(e => e.EventId));
        Assert.Equal(1, reader.Summary.Files);
        var loop = Assert.Single(reader.Summary.Problems);
        Assert.Equal((Path.Combine(logs, "up"), ProblemSeverity.Warning), (loop.Source, loop.Severity));
    }

    [Fact]
    public void ALinkToTheFileSystemsRoot_InAFolder_DoesNotListTheWholeMachine()
    {
        Assert.SkipUnless(OperatingSystem.IsLinux() || OperatingSystem.IsMacOS(), "a link to / as on Unix");
        var logs = Path.Combine(_root.FullName, "collected");
        Directory.CreateDirectory(logs);
        File.WriteAllText(Path.Combine(logs, "trail.json"), Trail("a"));
        Directory.CreateSymbolicLink(Path.Combine(logs, "rootfs"), "/");
        var problems = new List<FolderProblem>();

        // At most a few hundred files are looked at: the walk is lazy, so this ends however large the machine is.
        var files = HangGuard.Run(() => FolderListing.Files(logs, recurse: true, problems.Add).Take(200).ToList(), "listing a folder with a link to /");

        Assert.Equal([Path.Combine(logs, "trail.json")], files);
        Assert.Contains(problems, p => p.Path == Path.Combine(logs, "rootfs") && p.NotListedAgain);
    }

    [Fact]
    public async Task ALinkToAFolderOutsideThatDoesNotHoldTheOneNamed_IsStillFollowed()
    {
        // Only a folder holding the one named is a loop: evidence kept beside the case and linked into it is read.
        var top = _root.FullName;
        var logs = Path.Combine(top, "case-17", "logs");
        var shared = Path.Combine(top, "shared", "2026-01");
        Directory.CreateDirectory(logs);
        Directory.CreateDirectory(shared);
        File.WriteAllText(Path.Combine(logs, "a.json"), Trail("a"));
        File.WriteAllText(Path.Combine(shared, "s.json"), Trail("shared"));
        Directory.CreateSymbolicLink(Path.Combine(logs, "january"), Path.Combine("..", "..", "shared", "2026-01"));
        var reader = new CloudLogReader();

        var events = await reader.ReadAllAsync(logs).WaitAsync(HangGuard.Limit, TestContext.Current.CancellationToken);

        Assert.Equal(["a", "shared"], events.Select(e => e.EventId));
        Assert.Equal(Path.Combine(logs, "january", "s.json"), events[1].Origin!.Source);
        Assert.Empty(reader.Summary.Problems);
    }
}
