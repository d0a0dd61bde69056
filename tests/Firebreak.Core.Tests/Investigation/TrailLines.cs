using System.Globalization;
using System.IO.Compression;
using System.Text;
using System.Text.Json;

namespace Firebreak.Core.Tests.Investigation;

/// <summary>CloudTrail records as JSON lines, numbered so each has a known id, principal and time.</summary>
internal static class TrailLines
{
    public static readonly DateTimeOffset Start = new(2026, 3, 1, 0, 0, 0, TimeSpan.Zero);

    public static string Record(int n, string? principal = null, string? operation = null, string? ip = null, string? error = null, string? source = null) =>
        JsonSerializer.Serialize(new Dictionary<string, object?>
        {
            ["eventVersion"] = "1.09",
            ["eventID"] = $"ev-{n:D8}",
            ["eventTime"] = Start.AddSeconds(n).ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture),
            ["eventSource"] = source ?? "s3.amazonaws.com",
            ["eventName"] = operation ?? (n % 2 == 0 ? "GetObject" : "ListBuckets"),
            ["awsRegion"] = n % 3 == 0 ? "eu-west-1" : "us-east-1",
            ["sourceIPAddress"] = ip ?? $"198.51.100.{n % 7}",
            ["userAgent"] = "aws-cli/2.15",
            ["recipientAccountId"] = "111122223333",
            ["errorCode"] = error,
            ["userIdentity"] = new Dictionary<string, object?>
            {
                ["type"] = "IAMUser",
                ["arn"] = principal ?? $"arn:aws:iam::111122223333:user/user{n % 5}",
                ["accessKeyId"] = $"AKIAEXAMPLE{n % 5:D4}",
                ["accountId"] = "111122223333",
            },
            ["resources"] = new[] { new { ARN = $"arn:aws:s3:::bucket-{n % 4}", type = "AWS::S3::Bucket" } },
        });

    public static byte[] Lines(IEnumerable<int> numbers) => Encoding.UTF8.GetBytes(string.Join('\n', numbers.Select(n => Record(n))) + "\n");

    public static byte[] Gzip(byte[] data)
    {
        using var output = new MemoryStream();
        using (var gzip = new GZipStream(output, CompressionLevel.Fastest)) gzip.Write(data);
        return output.ToArray();
    }

    /// <summary>A gzipped tar archive of the files given, in that order.</summary>
    public static byte[] Tgz(params (string Name, byte[] Content)[] files)
    {
        using var output = new MemoryStream();
        using (var gzip = new GZipStream(output, CompressionLevel.Fastest))
        using (var tar = new System.Formats.Tar.TarWriter(gzip))
        {
            foreach (var (name, content) in files)
            {
                tar.WriteEntry(new System.Formats.Tar.PaxTarEntry(System.Formats.Tar.TarEntryType.RegularFile, name) { DataStream = new MemoryStream(content) });
            }
        }

        return output.ToArray();
    }
}
