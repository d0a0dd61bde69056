using System.Globalization;
using Firebreak.Core.Common;

namespace Firebreak.Server.Api;

/// <summary>Versions travel as strong ETags ("7"); If-Match carries the version a caller last read.</summary>
internal static class ETags
{
    public static string Format(long version) => $"\"{version.ToString(CultureInfo.InvariantCulture)}\"";

    /// <summary>The expected version from If-Match; null when absent or "*".</summary>
    public static long? ExpectedVersion(HttpRequest request)
    {
        var header = request.Headers.IfMatch.ToString().Trim();
        if (header.Length == 0 || header == "*") return null;
        var value = header.StartsWith("W/", StringComparison.Ordinal) ? header[2..] : header;
        if (value.Length >= 2 && value[0] == '"' && value[^1] == '"'
            && long.TryParse(value.AsSpan(1, value.Length - 2), NumberStyles.None, CultureInfo.InvariantCulture, out var version))
            return version;
        throw new ValidationFailedException("If-Match", "If-Match must be an ETag this server issued, such as \"3\".");
    }

    public static void Set(HttpResponse response, long version) => response.Headers.ETag = Format(version);
}
