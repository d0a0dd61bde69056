using System.Text.Json;
using System.Text.RegularExpressions;

namespace Firebreak.Detection.Readers;

/// <summary>
/// CloudTrail's digest files, delivered beside a trail's logs when log file validation is on
/// (<c>AWSLogs/{account}/CloudTrail-Digest/{region}/YYYY/MM/DD/{account}_CloudTrail-Digest_{region}_{trail}_{region}_{end}.json.gz</c>,
/// with <c>_backfill</c> before the ending for late ones). One a region an hour: a trail's folder holds as many as it holds
/// hours. They list the log files delivered and their hashes, and hold no event, so a hunt or an import of a trail's
/// folder or bucket passes them by, counted, instead of reporting each as a file of no format it knows.
/// </summary>
public static partial class CloudTrailDigest
{
    /// <summary>Whether the last segment of <paramref name="name"/> (a path, an S3 key, a zip archive's entry) is a digest file's name.</summary>
    public static bool IsName(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        return DigestName().IsMatch(Sources.LogInput.FileName(name));
    }

    /// <summary>Whether a record is a digest file's content (under another name): its time span and its list of log files.</summary>
    public static bool Is(JsonElement record) =>
        record.ValueKind == JsonValueKind.Object
        && record.TryGetProperty("digestStartTime"u8, out _)
        && record.TryGetProperty("digestEndTime"u8, out _)
        && record.TryGetProperty("logFiles"u8, out var logFiles) && logFiles.ValueKind == JsonValueKind.Array;

    [GeneratedRegex(@"^[0-9]{12}_CloudTrail-Digest_.+\.json(\.gz)?$", RegexOptions.CultureInvariant)]
    private static partial Regex DigestName();
}
