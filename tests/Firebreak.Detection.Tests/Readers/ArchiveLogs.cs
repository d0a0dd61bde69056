using System.IO.Compression;
using System.Formats.Tar;
using System.Text;

namespace Firebreak.Detection.Tests.Readers;

/// <summary>What the archive tests pack: one-record CloudTrail delivery files, a digest file, gzip of either.</summary>
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
}
