using System.IO.Compression;
using System.Formats.Tar;
using System.Text;
using Firebreak.Detection.Readers;

namespace Firebreak.Detection.Tests.Readers;

/// <summary>What the archive tests pack: one-record CloudTrail delivery files, a digest file, gzip, bzip2 or zstd of either.</summary>
internal static class ArchiveLogs
{
    public static string Trail(string id, string name = "StopLogging") =>
        $$"""{"Records":[{"eventVersion":"1.08","eventTime":"2026-01-15T09:00:00Z","eventSource":"cloudtrail.amazonaws.com","eventName":"{{name}}","awsRegion":"us-east-1","userIdentity":{"type":"IAMUser","arn":"arn:aws:iam::111122223333:user/ops"},"eventID":"{{id}}"}]}""";

    public const string Digest = """{"awsAccountId":"111122223333","digestStartTime":"2026-01-15T08:00:00Z","digestEndTime":"2026-01-15T09:00:00Z","logFiles":[]}""";

    public static byte[] Text(string text) => Encoding.UTF8.GetBytes(text);

    public static byte[] Gzip(string text) => Gzip(Text(text));

    public static byte[] Gzip(byte[] bytes)
    {
        using var output = new MemoryStream();
        using (var zip = new GZipStream(output, CompressionLevel.Fastest))
        {
            zip.Write(bytes);
        }

        return output.ToArray();
    }

    public static byte[] Bzip2(byte[] bytes)
    {
        using var output = new MemoryStream();
        using (var bzip2 = SharpCompress.Compressors.BZip2.BZip2Stream.Create(output, SharpCompress.Compressors.CompressionMode.Compress, decompressConcatenated: false, leaveOpen: true))
        {
            bzip2.Write(bytes);
        }

        return output.ToArray();
    }

    public static byte[] Zstd(byte[] bytes)
    {
        using var output = new MemoryStream();
        using (var zstd = new SharpCompress.Compressors.ZStandard.CompressionStream(output, level: 3, leaveOpen: true))
        {
            // As the zstd tool writes by default: each frame ends with a checksum of its content.
            zstd.SetParameter(SharpCompress.Compressors.ZStandard.Unsafe.ZSTD_cParameter.ZSTD_c_checksumFlag, 1);
            zstd.Write(bytes);
        }

        return output.ToArray();
    }

    /// <summary>A small file made with the xz tool (which nothing in .NET writes): one record, <c>x1</c>, and a line end.</summary>
    public static byte[] XzOfX1 => File.ReadAllBytes(TestData.Fixture("compressed/cloudtrail-x1.json.xz"));

    public static byte[] Zip(params (string Name, byte[] Content)[] entries) => Firebreak.Testing.ZipBytes.Of(entries);

    /// <summary>A tar archive of the entries in the order given: a name ending in <c>/</c> is a folder, a null content a symbolic link.</summary>
    public static byte[] Tar(params (string Name, byte[]? Content)[] entries)
    {
        using var output = new MemoryStream();
        using (var writer = new TarWriter(output, TarEntryFormat.Pax, leaveOpen: true))
        {
            foreach (var (name, content) in entries)
            {
                PaxTarEntry entry = name.EndsWith('/')
                    ? new PaxTarEntry(TarEntryType.Directory, name)
                    : content is null
                        ? new PaxTarEntry(TarEntryType.SymbolicLink, name) { LinkName = "elsewhere.json" }
                        : new PaxTarEntry(TarEntryType.RegularFile, name) { DataStream = new MemoryStream(content) };
                writer.WriteEntry(entry);
            }
        }

        return output.ToArray();
    }

    /// <summary>
    /// Reads <paramref name="whole"/> with each byte changed in turn, written to <paramref name="path"/> and followed by
    /// <paramref name="after"/>, which must still be read each time; gives how many changes went unreported, each of which
    /// must have left every record read as it was.
    /// </summary>
    public static async Task<int> UnreportedDamageAsync(byte[] whole, string path, string after)
    {
        File.WriteAllBytes(path, whole);
        var intact = (await new CloudLogReader().ReadAllAsync(path)).Select(e => e.Raw.GetRawText()).ToList();
        var unreported = 0;
        for (var at = 0; at < whole.Length; at++)
        {
            var damaged = whole.ToArray();
            damaged[at] ^= 0x5A;
            File.WriteAllBytes(path, damaged);
            var reader = new CloudLogReader();

            var events = await reader.ReadAllAsync(path, after);

            Assert.Equal("after", events[^1].EventId);
            if (!reader.Summary.Problems.Any(p => p.Source.StartsWith(path, StringComparison.Ordinal) && p.Severity == ProblemSeverity.Error))
            {
                unreported++;
                Assert.Equal(intact, events.SkipLast(1).Select(e => e.Raw.GetRawText()));
            }
        }

        return unreported;
    }
}
