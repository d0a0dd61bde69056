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
/// somewhere above it, a pattern given unexpanded (PowerShell, a quoted glob), a hostile or damaged tar header, a zip
/// download cut short, a Parquet file larger than can be copied to be read.
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

    [Fact]
    public async Task APatternMatchingFolders_ReadsThem_AsTheShellsExpansionOfItWould()
    {
        // `firebreak hunt evidence/*` expanded by bash hunts evidence/notes.json and the folder evidence/AWSLogs (folders are
        // read recursively). The same pattern given unexpanded (PowerShell and cmd pass it as it is; a quoted glob) read
        // the file and passed the folder over without a word: a hunt of a tenth of the evidence that looked complete.
        var evidence = _root.FullName;
        Directory.CreateDirectory(Path.Combine(evidence, "AWSLogs", "111122223333"));
        File.WriteAllText(Path.Combine(evidence, "notes.json"), Trail("notes"));
        File.WriteAllText(Path.Combine(evidence, "AWSLogs", "111122223333", "trail.json"), Trail("in-the-folder"));
        var reader = new CloudLogReader();

        var events = await reader.ReadAllAsync(Path.Combine(evidence, "*"));

        Assert.Equal(["in-the-folder", "notes"], events.Select(e => e.EventId).Order(StringComparer.Ordinal));
        Assert.Equal(2, reader.Summary.Files);
    }

    /// <summary>
    /// Bracket classes, as shells expand them: <c>[w]*.json</c> matched nothing and the hunt said so. A name that holds
    /// brackets itself (<c>[1].json</c>, as some download managers name a second copy) is read as that file.
    /// </summary>
    [Theory]
    [InlineData("[w]*.json", new[] { "web" })]
    [InlineData("day-0[1-2].json", new[] { "day-01", "day-02" })]
    [InlineData("day-0[!1].json", new[] { "day-02", "day-03" })]
    [InlineData("day-0[^12].json", new[] { "day-03" })]
    [InlineData("[a-c]*/*.json", new[] { "in-b" })]
    [InlineData("notes[1].json", new[] { "copy" })]
    [InlineData("day-0[]1].json", new[] { "day-01" })]
    [InlineData("[a-c]-folder/*.json", new[] { "in-b" })]
    [InlineData("[a-c]-folder/in.json", new[] { "in-b" })]
    // A range written backwards matches nothing, and the class's other members still match.
    [InlineData("day-0[3-12].json", new[] { "day-02" })]
    [InlineData("day-0[!3-1].json", new[] { "day-01", "day-02", "day-03" })]
    [InlineData("day-0[-1].json", new[] { "day-01" })]
    public async Task BracketClasses_MatchAsTheShellsDo(string pattern, string[] expected)
    {
        var evidence = _root.FullName;
        foreach (var name in new[] { "web", "day-01", "day-02", "day-03", "wide" })
        {
            File.WriteAllText(Path.Combine(evidence, name + (name == "wide" ? ".txt" : ".json")), Trail(name));
        }

        Directory.CreateDirectory(Path.Combine(evidence, "b-folder"));
        File.WriteAllText(Path.Combine(evidence, "b-folder", "in.json"), Trail("in-b"));
        Directory.CreateDirectory(Path.Combine(evidence, "x-folder"));
        File.WriteAllText(Path.Combine(evidence, "x-folder", "in.json"), Trail("in-x"));
        File.WriteAllText(Path.Combine(evidence, "notes[1].json"), Trail("copy"));
        File.WriteAllText(Path.Combine(evidence, "notes1.json"), Trail("not-the-copy"));
        var reader = new CloudLogReader();

        var events = await reader.ReadAllAsync(Path.Combine(evidence, pattern));

        Assert.Equal(expected, events.Select(e => e.EventId).Order(StringComparer.Ordinal));
        Assert.Empty(reader.Summary.Problems);
    }

    [Fact]
    public async Task ARangeWrittenBackwards_MatchesNothing_AndTheOtherInputsAreRead()
    {
        // day-0[3-1].json stopped the hunt with the regular expression library's "range in reverse order".
        var evidence = _root.FullName;
        File.WriteAllText(Path.Combine(evidence, "day-01.json"), Trail("day-01"));
        var reader = new CloudLogReader();

        var events = await reader.ReadAllAsync(Path.Combine(evidence, "day-0[3-1].json"), Path.Combine(evidence, "day-01.json"));

        Assert.Equal(["day-01"], events.Select(e => e.EventId));
        var problem = Assert.Single(reader.Summary.Problems);
        Assert.Equal("no file matches this pattern", problem.Reason);
    }

    [Fact]
    public async Task ARangeSpanningTheSeparator_DoesNotMatchIt()
    {
        // [.-0] holds '/' between '.' and '0': the class stands for one character of a name, never a folder's end, also
        // under ** (whose paths are matched whole, separators and all).
        var evidence = _root.FullName;
        Directory.CreateDirectory(Path.Combine(evidence, "a"));
        File.WriteAllText(Path.Combine(evidence, "a", "b.json"), Trail("in-a"));
        File.WriteAllText(Path.Combine(evidence, "a.b.json"), Trail("dotted"));
        var reader = new CloudLogReader();

        var events = await reader.ReadAllAsync(Path.Combine(evidence, "**", "a[.-0]b.json"));

        Assert.Equal(["dotted"], events.Select(e => e.EventId));
    }

    [Fact]
    public async Task APatternMatchingOnlyFiles_DoesNotReadTheFoldersBesideThem()
    {
        // As the shell's expansion of *.json names the files and not the folder beside them, nothing under it is read.
        var evidence = _root.FullName;
        Directory.CreateDirectory(Path.Combine(evidence, "AWSLogs"));
        File.WriteAllText(Path.Combine(evidence, "notes.json"), Trail("notes"));
        File.WriteAllText(Path.Combine(evidence, "AWSLogs", "trail.json"), Trail("in-the-folder"));
        Directory.CreateDirectory(Path.Combine(evidence, "by-day", "2026-01-15"));
        File.WriteAllText(Path.Combine(evidence, "by-day", "2026-01-15", "day.json"), Trail("day"));
        File.WriteAllText(Path.Combine(evidence, "by-day", "2026-01-15", "day.txt"), Trail("not-matched"));

        var files = new CloudLogReader();
        var onlyFiles = await files.ReadAllAsync(Path.Combine(evidence, "*.json"));
        var deeper = new CloudLogReader();
        var throughAFolder = await deeper.ReadAllAsync(Path.Combine(evidence, "by-*", "*", "*.json"));

        Assert.Equal(["notes"], onlyFiles.Select(e => e.EventId));
        Assert.Equal(["day"], throughAFolder.Select(e => e.EventId));
    }

    /// <summary>
    /// A tar header block of <paramref name="type"/> ('x' a pax extended header, 'L' a GNU long name) whose size field
    /// claims <paramref name="octalSize"/> bytes of data, with a right checksum.
    /// </summary>
    private static byte[] Header(char type, string octalSize, string name = "PaxHeaders/x", string magic = "ustar\0", string version = "00")
    {
        var header = new byte[512];
        Encoding.ASCII.GetBytes(name).CopyTo(header, 0);
        Encoding.ASCII.GetBytes("0000644\0").CopyTo(header, 100);
        Encoding.ASCII.GetBytes("0000000\0").CopyTo(header, 108);
        Encoding.ASCII.GetBytes("0000000\0").CopyTo(header, 116);
        Encoding.ASCII.GetBytes(octalSize.PadLeft(11, '0') + "\0").CopyTo(header, 124);
        Encoding.ASCII.GetBytes("00000000000\0").CopyTo(header, 136);
        header[156] = (byte)type;
        Encoding.ASCII.GetBytes(magic).CopyTo(header, 257);
        Encoding.ASCII.GetBytes(version).CopyTo(header, 263);
        header.AsSpan(148, 8).Fill((byte)' ');
        var sum = header.Sum(b => (int)b);
        Encoding.ASCII.GetBytes(Convert.ToString(sum, 8).PadLeft(6, '0') + "\0 ").CopyTo(header, 148);
        return header;
    }

    [Theory]
    [InlineData('x', "ustar\0", "00")]
    [InlineData('L', "ustar ", " \0")]
    public void ATarHeaderClaimingGigabytesOfNameOrAttributes_IsReported_WithoutAllocatingThem(char type, string magic, string version)
    {
        // A pax extended header (or a GNU long name) is read whole into memory: the runtime's TarReader rents an array of
        // the size the header claims before reading it. A 4.5 KB file claiming 2 GB took 2 GB of heap; under a container's
        // memory limit (DOTNET_GCHeapHardLimit=0x20000000, 512 MB) `firebreak hunt` of a folder holding it and a log with
        // a hit ended with "error: Exception of type 'System.OutOfMemoryException' was thrown." and exit 2, every other
        // file's hits lost. "Nothing in the input stops a run."
        var path = Path.Combine(_root.FullName, "handover.tar");
        File.WriteAllBytes(path, [.. Header(type, "17777777000", magic: magic, version: version), .. new byte[4096]]);
        var problems = new List<ReadProblem>();

        var before = GC.GetAllocatedBytesForCurrentThread();
        var entries = TarLogArchive.Entries(path, problems.Add).ToList();
        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        Assert.Empty(entries);
        var problem = Assert.Single(problems);
        Assert.Equal((path, ProblemSeverity.Error), (problem.Source, problem.Severity));
        Assert.True(allocated < 64L * 1024 * 1024, $"listing a {new FileInfo(path).Length}-byte tar allocated {allocated / (1024 * 1024)} MB");
    }

    [Fact]
    public async Task ATarWithLongNames_InPaxAndGnuHeaders_IsStillReadWhole()
    {
        // Names past the 100 bytes of a header's own field go in a pax extended header or a GNU long name, which are looked
        // at before the runtime reads them; the archives real tools write are read as before.
        var name = "AWSLogs/" + new string('n', 180) + ".json";
        foreach (var format in new[] { TarEntryFormat.Pax, TarEntryFormat.Gnu })
        {
            var path = Path.Combine(_root.FullName, $"long-{format}.tar");
            using (var output = File.Create(path))
            using (var writer = new TarWriter(output, format))
            {
                writer.WriteEntry(format == TarEntryFormat.Pax
                    ? new PaxTarEntry(TarEntryType.RegularFile, name) { DataStream = new MemoryStream(Text(Trail("long"))) }
                    : new GnuTarEntry(TarEntryType.RegularFile, name) { DataStream = new MemoryStream(Text(Trail("long"))) });
                writer.WriteEntry(format == TarEntryFormat.Pax
                    ? new PaxTarEntry(TarEntryType.RegularFile, "short.json") { DataStream = new MemoryStream(Text(Trail("short"))) }
                    : new GnuTarEntry(TarEntryType.RegularFile, "short.json") { DataStream = new MemoryStream(Text(Trail("short"))) });
            }

            var gzipped = path + ".gz";
            File.WriteAllBytes(gzipped, Gzip(File.ReadAllBytes(path)));
            foreach (var archive in new[] { path, gzipped })
            {
                var reader = new CloudLogReader();

                var events = await reader.ReadAllAsync(archive);

                Assert.Equal(["long", "short"], events.Select(e => e.EventId));
                Assert.Equal($"{archive}!{name}", events[0].Origin!.Source);
                Assert.Empty(reader.Summary.Problems);
            }
        }
    }

    [Fact]
    public async Task ATarHeaderClaimingTooMuch_AfterWholeFiles_IsReportedAfterThem()
    {
        // The files before the hostile header are read; the archive is reported after them, and the run goes on.
        var path = Path.Combine(_root.FullName, "handover.tar");
        using (var output = new MemoryStream())
        {
            using (var writer = new TarWriter(output, TarEntryFormat.Ustar, leaveOpen: true))
            {
                writer.WriteEntry(new UstarTarEntry(TarEntryType.RegularFile, "a.json") { DataStream = new MemoryStream(Text(Trail("a"))) });
            }

            // The writer's end (two blocks of zeros) replaced by a GNU long name claiming 2 GB.
            var written = output.ToArray();
            File.WriteAllBytes(path, [.. written[..^1024], .. Header('L', "17777777000", magic: "ustar ", version: " \0"), .. new byte[4096]]);
        }

        var reader = new CloudLogReader();

        var events = await reader.ReadAllAsync(path);

        Assert.Equal(["a"], events.Select(e => e.EventId));
        var problem = Assert.Single(reader.Summary.Problems);
        Assert.Equal((path, ProblemSeverity.Error), (problem.Source, problem.Severity));
        Assert.Contains("after 1 of its files: a GNU long name in it claims", problem.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AZipCutShort_StillHasTheEntriesBeforeTheCutRead_AndTheCutReported()
    {
        // A handover.zip whose download stopped part-way lacks the central directory at its end. The whole archive was one
        // error ("cannot read the zip archive: End of Central Directory record could not be found") and none of the logs
        // wholly inside the part that did arrive was read, though each lies there behind its own local header, as a tar
        // cut short keeps the files before the cut.
        var path = Path.Combine(_root.FullName, "handover.zip");
        using (var archive = ZipFile.Open(path, ZipArchiveMode.Create))
        {
            foreach (var id in new[] { "a", "b", "c" })
            {
                using var entry = archive.CreateEntry($"AWSLogs/{id}.json").Open();
                entry.Write(Text(Trail(id)));
            }

            // Incompressible, so the cut below falls inside this entry's data.
            using var big = archive.CreateEntry("AWSLogs/z-large.bin", CompressionLevel.NoCompression).Open();
            big.Write(new byte[256 * 1024]);
        }

        var bytes = File.ReadAllBytes(path);
        File.WriteAllBytes(path, bytes[..(bytes.Length / 2)]);
        var reader = new CloudLogReader();

        var events = await reader.ReadAllAsync(path);

        Assert.Equal(["a", "b", "c"], events.Select(e => e.EventId));
        Assert.Contains(reader.Summary.Problems, p => p.Severity == ProblemSeverity.Error && p.Source.StartsWith(path, StringComparison.Ordinal));
    }

    [Fact]
    public async Task AParquetFileLargerThanTheCopyLimit_IsReported_AndNoCopyIsKept()
    {
        // "PAR1" and zeros gzipped twice: a few kilobytes that unpack without end to the eye, copied whole to TMPDIR before
        // a row is read. The copy stops at the limit (4 GB; 64 KB here) and the file is reported.
        var tmp = Directory.CreateDirectory(Path.Combine(_root.FullName, "tmp")).FullName;
        byte[] content = [.. "PAR1"u8, .. new byte[1024 * 1024]];
        var bomb = Gzip(Gzip(content));
        await using var rows = new ParquetRowsStream(new GZipStream(new GZipStream(new MemoryStream(bomb), CompressionMode.Decompress), CompressionMode.Decompress), tmp, maxCopyBytes: 64 * 1024);

        var failure = await Assert.ThrowsAnyAsync<IOException>(async () => await rows.ReadAtLeastAsync(new byte[4096], 1, cancellationToken: TestContext.Current.CancellationToken));

        Assert.Contains("larger than 65536 bytes", failure.Message, StringComparison.Ordinal);
        Assert.Contains("not read", failure.Message, StringComparison.Ordinal);
        Assert.Empty(Directory.GetFiles(tmp));
    }

    [Fact]
    public async Task AParquetFilesCopy_HasNoNameInTmpdir_WhileItIsRead()
    {
        // On Unix the copy is removed as soon as it is open, so a process stopped while reading leaves nothing behind.
        Assert.SkipUnless(OperatingSystem.IsLinux() || OperatingSystem.IsMacOS(), "a file removed while open, as on Unix");
        var tmp = Directory.CreateDirectory(Path.Combine(_root.FullName, "tmp")).FullName;
        var bytes = new MemoryStream();
        await Parquet.Serialization.ParquetSerializer.SerializeAsync(Enumerable.Range(0, 50).Select(i => new OneRow { eventID = $"e{i}" }), bytes, cancellationToken: TestContext.Current.CancellationToken);
        await using var rows = new ParquetRowsStream(new MemoryStream(bytes.ToArray()), tmp);

        var read = await rows.ReadAtLeastAsync(new byte[64], 64, cancellationToken: TestContext.Current.CancellationToken);

        Assert.True(read > 0);
        Assert.Empty(Directory.GetFiles(tmp));
    }

    public sealed class OneRow
    {
        public string? eventID { get; set; }
    }
}
