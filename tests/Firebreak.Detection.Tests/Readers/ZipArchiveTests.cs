using System.Buffers.Binary;
using System.IO.Compression;
using System.Text;
using Firebreak.Detection.Readers;
using Firebreak.Detection.Readers.Sources;

using static Firebreak.Detection.Tests.Readers.ArchiveLogs;

namespace Firebreak.Detection.Tests.Readers;

/// <summary>Logs handed over zipped were "not a JSON log file" ('P' is an invalid start of a value); now each entry is read.</summary>
public sealed class ZipArchiveTests : IDisposable
{
    private readonly DirectoryInfo _root = Directory.CreateTempSubdirectory("firebreak-zip-");

    public void Dispose() => _root.Delete(recursive: true);

    private string Zip(string name, params (string Entry, byte[] Content)[] entries)
    {
        var path = Path.Combine(_root.FullName, name);
        using var archive = ZipFile.Open(path, ZipArchiveMode.Create);
        foreach (var (entry, content) in entries)
        {
            if (entry.EndsWith('/'))
            {
                archive.CreateEntry(entry);
                continue;
            }

            using var stream = archive.CreateEntry(entry).Open();
            stream.Write(content);
        }

        return path;
    }

    [Fact]
    public async Task AnArchive_IsReadEntryByEntry_AsAFolderWouldBe()
    {
        const string Prefix = "AWSLogs/111122223333/CloudTrail/us-east-1/2026/01/15/";
        var zip = Zip("handover.ZIP",
            (Prefix, []),
            (Prefix + "111122223333_CloudTrail_us-east-1_20260115T0905Z_b.json.gz", Gzip(Trail("b"))),
            (Prefix + "111122223333_CloudTrail_us-east-1_20260115T0905Z_a.json", Text(Trail("a", "DeleteTrail"))),
            ("AWSLogs/111122223333/CloudTrail-Digest/us-east-1/2026/01/15/111122223333_CloudTrail-Digest_us-east-1_t_us-east-1_20260115T100000Z.json.gz", Gzip(Digest)),
            (".DS_Store", Text("not a log")),
            ("__MACOSX/AWSLogs/._x.json", Text("not a log")),
            ("notes/empty.json", []));
        var reader = new CloudLogReader();

        var events = await reader.ReadAllAsync(zip);

        Assert.Equal(["a", "b"], events.Select(e => e.EventId));
        Assert.Equal($"{zip}!{Prefix}111122223333_CloudTrail_us-east-1_20260115T0905Z_a.json", events[0].Origin!.Source);
        Assert.Equal(1L, events[0].Origin!.Line);
        Assert.Equal(1, reader.Summary.DigestFiles);
        var warning = Assert.Single(reader.Summary.Problems);
        Assert.Equal((ProblemSeverity.Warning, $"{zip}!notes/empty.json"), (warning.Severity, warning.Source));
        Assert.Equal(2, reader.Summary.Files);
    }

    [Fact]
    public async Task ADamagedArchive_OrAnEntryThatCannotBeUnpacked_IsReported_AndTheRestRead()
    {
        var good = Zip("good.zip", ("x.json", Text(Trail("x"))));
        var damaged = Path.Combine(_root.FullName, "damaged.zip");
        File.WriteAllBytes(damaged, File.ReadAllBytes(good)[..40]);
        // An entry compressed by a method the runtime does not unpack (BZip2, method 12), beside one it does.
        var mixed = Zip("mixed.zip", ("odd.json", Text(Trail("odd"))), ("fine.json", Text(Trail("fine"))));
        var bytes = File.ReadAllBytes(mixed);
        SetMethod(bytes, "odd.json", 12);
        File.WriteAllBytes(mixed, bytes);
        var reader = new CloudLogReader();

        var events = await reader.ReadAllAsync(damaged, good, mixed);

        Assert.Equal(["x", "fine"], events.Select(e => e.EventId));
        Assert.Collection(reader.Summary.Problems.OrderBy(p => p.Source, StringComparer.Ordinal),
            p => Assert.Equal((damaged, true), (p.Source, p.Reason.StartsWith("cannot read the zip archive", StringComparison.Ordinal))),
            p => Assert.Equal(($"{mixed}!odd.json", true), (p.Source, p.Reason.StartsWith("cannot open", StringComparison.Ordinal))));
    }

    [Fact]
    public async Task AnArchiveNamedTwice_IsReadOnce_AndItsEntriesAreWindowedByTheirNames()
    {
        var zip = Zip("twice.zip",
            ("111122223333_CloudTrail_us-east-1_20260115T0905Z_in.json", Text(Trail("in"))),
            ("111122223333_CloudTrail_us-east-1_20250101T0000Z_out.json", Text(Trail("out"))));
        var window = new DeliveryWindow(new DateTimeOffset(2026, 1, 15, 0, 0, 0, TimeSpan.Zero), null);
        var outside = new List<string>();
        var reader = new CloudLogReader();

        var twice = await reader.ReadAllAsync(zip, zip);
        List<string?> windowed = [];
        await foreach (var e in new CloudLogReader().ReadAsync(window.Apply(new FileLogInputSource(zip), i => outside.Add(i.Name)), TestContext.Current.CancellationToken))
        {
            windowed.Add(e.EventId);
        }

        Assert.Equal(["in", "out"], twice.Select(e => e.EventId).Order());
        Assert.Equal(["in"], windowed);
        Assert.Equal([$"{zip}!111122223333_CloudTrail_us-east-1_20250101T0000Z_out.json"], outside);
    }

    [Fact]
    public async Task EntriesAreListedWithTheSizeTheirStreamsGive()
    {
        var content = Gzip(Trail("s"));
        var zip = Zip("sized.zip", ("s.json.gz", content));

        var input = Assert.Single(await new FileLogInputSource(zip).ListAsync(_ => { }, TestContext.Current.CancellationToken).ToListAsync(TestContext.Current.CancellationToken));

        Assert.Equal(content.Length, input.Size);
        await using var stream = await input.OpenAsync(TestContext.Current.CancellationToken);
        var read = new MemoryStream();
        await stream.CopyToAsync(read, TestContext.Current.CancellationToken);
        Assert.Equal(content, read.ToArray());
    }

    [Fact]
    public async Task EntriesOfOneName_AndUnderDotFolders_AreAllRead_ButHiddenOnesWrittenWithBackslashesAreNot()
    {
        var zip = Zip("odd-names.zip",
            ("a.json", Text(Trail("first"))),
            ("a.json", Text(Trail("second"))),
            ("./AWSLogs/b.json", Text(Trail("dot"))),
            ("../up/c.json", Text(Trail("up"))),
            ("logs\\.hidden\\x.json", Text("not a log")));
        var reader = new CloudLogReader();

        var events = await reader.ReadAllAsync(zip);

        Assert.Equal(["up", "dot", "first", "second"], events.Select(e => e.EventId));
        Assert.Empty(reader.Summary.Problems);
    }

    [Fact]
    public async Task DamagedOrCutShortEntryData_IsReported_NotReadAsWhole()
    {
        var lines = string.Join("\n", Enumerable.Range(0, 10).Select(n => Trail($"n{n}")));
        var stored = Path.Combine(_root.FullName, "crc.zip");
        using (var archive = ZipFile.Open(stored, ZipArchiveMode.Create))
        {
            using var entry = archive.CreateEntry("x.json", CompressionLevel.NoCompression).Open();
            entry.Write(Text(lines));
        }

        // One stored byte changed inside the last record's id: the data no longer matches its CRC-32.
        var bytes = File.ReadAllBytes(stored);
        var at = bytes.AsSpan().IndexOf("\"n9\""u8) + 1;
        bytes[at] = (byte)'X';
        File.WriteAllBytes(stored, bytes);
        // Sizes in the headers say more than the data holds: cut short.
        var cut = Zip("cut.zip", ("y.json", Text(lines)));
        var cutBytes = File.ReadAllBytes(cut);
        SetSizes(cutBytes, "y.json", uncompressed: (uint)Text(lines).Length + 100);
        File.WriteAllBytes(cut, cutBytes);
        var reader = new CloudLogReader();

        await reader.ReadAllAsync(stored, cut);

        Assert.Contains(reader.Summary.Problems, p => p.Source == $"{stored}!x.json" && p.Reason.Contains("does not match its CRC-32", StringComparison.Ordinal));
        Assert.Contains(reader.Summary.Problems, p => p.Source == $"{cut}!y.json" && p.Reason.Contains("cut short", StringComparison.Ordinal));
    }

    [Fact]
    public async Task AnEncryptedEntry_IsSaidToBeEncrypted_AndTheOthersRead()
    {
        var zip = Zip("locked.zip", ("secret.json", Text(Trail("locked"))), ("open.json", Text(Trail("open"))));
        var bytes = File.ReadAllBytes(zip);
        SetFlag(bytes, "secret.json", 0x0001);
        File.WriteAllBytes(zip, bytes);
        var reader = new CloudLogReader();

        var events = await reader.ReadAllAsync(zip);

        Assert.Equal(["open"], events.Select(e => e.EventId));
        var warning = Assert.Single(reader.Summary.Problems);
        Assert.Equal(($"{zip}!secret.json", ProblemSeverity.Warning), (warning.Source, warning.Severity));
        Assert.Contains("encrypted", warning.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AnEntryWhoseDataCannotBeUnpackedFromItsStart_IsReported_AndTheNextStillRead()
    {
        // The first read of the entry fails (an invalid deflate block): the entry was left open, and the next one
        // waited for it for ever.
        var zip = Zip("bad-start.zip", ("a.json", Text(Trail("bad"))), ("b.json", Text(Trail("good"))));
        var bytes = File.ReadAllBytes(zip);
        var local = bytes.AsSpan().IndexOf("a.json"u8);
        bytes[local + "a.json".Length] = 0xFF;
        File.WriteAllBytes(zip, bytes);
        var reader = new CloudLogReader(new ReaderOptions { MaxDegreeOfParallelism = 1 });
        using var limit = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        limit.CancelAfter(TimeSpan.FromMinutes(2));

        List<string?> ids = [];
        await foreach (var e in reader.ReadPathsAsync([zip], limit.Token))
        {
            ids.Add(e.EventId);
        }

        Assert.Equal(["good"], ids);
        Assert.StartsWith("cannot open", Assert.Single(reader.Summary.Problems, p => p.Source == $"{zip}!a.json").Reason, StringComparison.Ordinal);
    }

    private static void SetFlag(byte[] zip, string name, ushort flag) =>
        Patch(zip, name, (local, at) => BinaryPrimitives.WriteUInt16LittleEndian(zip.AsSpan(at + (local ? 6 : 8)), (ushort)(BinaryPrimitives.ReadUInt16LittleEndian(zip.AsSpan(at + (local ? 6 : 8))) | flag)));

    private static void SetSizes(byte[] zip, string name, uint uncompressed) =>
        Patch(zip, name, (local, at) => BinaryPrimitives.WriteUInt32LittleEndian(zip.AsSpan(at + (local ? 22 : 24)), uncompressed));

    private static void Patch(byte[] zip, string name, Action<bool, int> patch)
    {
        var encoded = Encoding.UTF8.GetBytes(name);
        for (var i = 0; i + 46 < zip.Length; i++)
        {
            var signature = BinaryPrimitives.ReadUInt32LittleEndian(zip.AsSpan(i));
            if (signature == 0x04034b50 && zip.AsSpan(i + 30, encoded.Length).SequenceEqual(encoded))
            {
                patch(true, i);
            }
            else if (signature == 0x02014b50 && zip.AsSpan(i + 46, encoded.Length).SequenceEqual(encoded))
            {
                patch(false, i);
            }
        }
    }

    /// <summary>Sets an entry's compression method in its local header and its central directory record.</summary>
    private static void SetMethod(byte[] zip, string name, ushort method)
    {
        var encoded = Encoding.UTF8.GetBytes(name);
        for (var i = 0; i + 46 < zip.Length; i++)
        {
            var signature = BinaryPrimitives.ReadUInt32LittleEndian(zip.AsSpan(i));
            if (signature == 0x04034b50 && zip.AsSpan(i + 30, encoded.Length).SequenceEqual(encoded))
            {
                BinaryPrimitives.WriteUInt16LittleEndian(zip.AsSpan(i + 8), method);
            }
            else if (signature == 0x02014b50 && zip.AsSpan(i + 46, encoded.Length).SequenceEqual(encoded))
            {
                BinaryPrimitives.WriteUInt16LittleEndian(zip.AsSpan(i + 10), method);
            }
        }
    }
}
