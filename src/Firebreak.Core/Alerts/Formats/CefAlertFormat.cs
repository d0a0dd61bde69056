using System.Globalization;
using System.Text;
using System.Text.Unicode;

namespace Firebreak.Core.Alerts.Formats;

/// <summary>
/// ArcSight Common Event Format, one record per line, optionally behind a syslog header:
/// <c>CEF:Version|Device Vendor|Device Product|Device Version|Signature ID|Name|Severity|Extension</c>.
/// Errors name the 1-based line number (as the path "line N") because a CEF stream has no JSON path.
/// </summary>
public sealed class CefAlertFormat : IAlertFormat
{
    private const string Marker = "CEF:";

    private static readonly string[] DateFormats =
    [
        "MMM dd yyyy HH:mm:ss.fff",
        "MMM dd yyyy HH:mm:ss",
        "MMM d yyyy HH:mm:ss.fff",
        "MMM d yyyy HH:mm:ss",
    ];

    // Parsed with a leap year appended: a format without a year takes the current one, which would
    // make Feb 29 an error in three years out of four.
    private static readonly string[] YearlessFormats =
    [
        "MMM dd HH:mm:ss.fff yyyy",
        "MMM dd HH:mm:ss yyyy",
        "MMM d HH:mm:ss.fff yyyy",
        "MMM d HH:mm:ss yyyy",
    ];

    public string Name => "cef";
    public string MediaType => "text/plain";

    public IReadOnlyList<IncomingAlert> Parse(ReadOnlyMemory<byte> payload)
    {
        var text = Decode(payload.Span);
        var alerts = new List<IncomingAlert>();
        var lineNumber = 0;
        var start = 0;
        while (start <= text.Length)
        {
            var end = text.IndexOf('\n', start);
            if (end < 0)
            {
                end = text.Length;
            }
            lineNumber++;
            var line = text[start..end].TrimEnd('\r');
            start = end + 1;
            if (string.IsNullOrWhiteSpace(line))
            {
                continue;
            }
            AlertPayloadLimits.CheckCount(alerts.Count + 1, LinePath(lineNumber));
            alerts.Add(ParseLine(line, lineNumber));
        }
        if (alerts.Count == 0)
        {
            throw new AlertFormatException("The payload holds no CEF records.", "line 1");
        }
        return alerts;
    }

    /// <summary>
    /// CEF from syslog is UTF-8 by the standard, but older appliances send Latin-1. A line that is not valid UTF-8
    /// is read as Latin-1, which maps every byte to a character, so no byte of it is lost or turned into U+FFFD.
    /// Lines are judged one by one (a batch may come from several appliances); a newline byte never occurs
    /// inside a UTF-8 sequence, so splitting the bytes first is safe.
    /// </summary>
    internal static string Decode(ReadOnlySpan<byte> payload)
    {
        if (Utf8.IsValid(payload))
        {
            return Encoding.UTF8.GetString(payload);
        }

        var text = new StringBuilder(payload.Length);
        while (true)
        {
            var end = payload.IndexOf((byte)'\n');
            var line = end < 0 ? payload : payload[..end];
            text.Append(Utf8.IsValid(line) ? Encoding.UTF8.GetString(line) : Encoding.Latin1.GetString(line));
            if (end < 0)
            {
                return text.ToString();
            }

            text.Append('\n');
            payload = payload[(end + 1)..];
        }
    }

    private static string LinePath(int lineNumber) => "line " + lineNumber.ToString(CultureInfo.InvariantCulture);

    private static AlertFormatException LineError(int lineNumber, string problem) =>
        new($"Line {lineNumber.ToString(CultureInfo.InvariantCulture)}: {problem}", LinePath(lineNumber));

    private IncomingAlert ParseLine(string line, int lineNumber)
    {
        var markerAt = line.IndexOf(Marker, StringComparison.Ordinal);
        if (markerAt < 0)
        {
            throw LineError(lineNumber, "not a CEF record (no \"CEF:\").");
        }

        var header = new string[7];
        var position = markerAt + Marker.Length;
        for (var field = 0; field < header.Length; field++)
        {
            var (value, next) = ReadHeaderField(line, position);
            if (next < 0)
            {
                throw LineError(lineNumber, "the CEF header needs seven fields separated by '|'.");
            }
            header[field] = value;
            position = next;
        }
        var extension = line[position..];

        var version = header[0].Trim();
        if (!int.TryParse(version, NumberStyles.None, CultureInfo.InvariantCulture, out var versionNumber))
        {
            throw LineError(lineNumber, $"the CEF version '{version}' is not a number.");
        }
        if (versionNumber is not (0 or 1))
        {
            throw new AlertFormatException(
                $"Line {lineNumber.ToString(CultureInfo.InvariantCulture)}: CEF version {version} is not supported; this server reads versions 0 and 1.",
                LinePath(lineNumber), unsupportedVersion: true);
        }

        var severityText = header[6].Trim();
        var severity = SeverityScales.FromCef(severityText);
        if (severity is null && !severityText.Equals("Unknown", StringComparison.OrdinalIgnoreCase))
        {
            throw LineError(lineNumber, $"severity '{severityText}' is neither 0–10 nor Low, Medium, High, Very-High or Unknown.");
        }

        var draft = new AlertDraft
        {
            Source = "cef:" + header[1] + "/" + header[2],
            Title = header[5],
            Severity = severity ?? AlertSeverity.Medium,
            OriginalSeverity = severityText,
        };

        var fields = ParseExtension(extension, lineNumber);
        var labels = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (key, value) in fields)
        {
            if (key.StartsWith("cs", StringComparison.Ordinal) && key.EndsWith("Label", StringComparison.Ordinal))
            {
                labels[key[..^"Label".Length]] = value;
            }
        }
        foreach (var (key, value) in fields)
        {
            Apply(draft, key, value, labels, lineNumber);
        }
        draft.Category ??= string.IsNullOrWhiteSpace(header[4]) ? null : header[4];

        return draft.Build(Name, line, LinePath(lineNumber));
    }

    /// <summary>Reads up to the next unescaped '|'; header escapes are \| and \\.</summary>
    private static (string Value, int Next) ReadHeaderField(string line, int position)
    {
        var value = new StringBuilder();
        for (var i = position; i < line.Length; i++)
        {
            var c = line[i];
            if (c == '\\' && i + 1 < line.Length && line[i + 1] is '|' or '\\')
            {
                value.Append(line[i + 1]);
                i++;
            }
            else if (c == '|')
            {
                return (value.ToString(), i + 1);
            }
            else
            {
                value.Append(c);
            }
        }
        return (value.ToString(), -1);
    }

    /// <summary>
    /// Splits "key=value key2=value two" on each unescaped '=' whose key is a word starting after a
    /// space: values may hold spaces, so a value runs until the next such key.
    /// </summary>
    internal static List<(string Key, string Value)> ParseExtension(string extension, int lineNumber)
    {
        var keys = new List<(int KeyStart, int EqualsAt)>();
        for (var i = 0; i < extension.Length; i++)
        {
            var c = extension[i];
            if (c == '\\')
            {
                i++;
                continue;
            }
            if (c != '=')
            {
                continue;
            }
            var keyStart = i;
            while (keyStart > 0 && IsKeyChar(extension[keyStart - 1]))
            {
                keyStart--;
            }
            var atBoundary = keyStart == 0 || extension[keyStart - 1] is ' ' or '\t';
            if (keyStart < i && atBoundary)
            {
                keys.Add((keyStart, i));
            }
        }

        if (keys.Count == 0)
        {
            if (!string.IsNullOrWhiteSpace(extension))
            {
                throw LineError(lineNumber, "the extension has no key=value pairs.");
            }
            return [];
        }
        if (!string.IsNullOrWhiteSpace(extension[..keys[0].KeyStart]))
        {
            throw LineError(lineNumber, "the extension starts with text that is not a key=value pair.");
        }

        var pairs = new List<(string, string)>(keys.Count);
        for (var k = 0; k < keys.Count; k++)
        {
            var (keyStart, equalsAt) = keys[k];
            var valueEnd = k + 1 < keys.Count ? keys[k + 1].KeyStart : extension.Length;
            var raw = extension[(equalsAt + 1)..valueEnd].TrimEnd(' ', '\t');
            pairs.Add((extension[keyStart..equalsAt], Unescape(raw)));
        }
        return pairs;
    }

    private static bool IsKeyChar(char c) => char.IsAsciiLetterOrDigit(c) || c is '_' or '.' or '[' or ']';

    private static string Unescape(string value)
    {
        if (!value.Contains('\\', StringComparison.Ordinal))
        {
            return value;
        }
        var result = new StringBuilder(value.Length);
        for (var i = 0; i < value.Length; i++)
        {
            if (value[i] == '\\' && i + 1 < value.Length)
            {
                var next = value[i + 1];
                switch (next)
                {
                    case '\\' or '=' or '|':
                        result.Append(next);
                        i++;
                        continue;
                    case 'n':
                        result.Append('\n');
                        i++;
                        continue;
                    case 'r':
                        result.Append('\r');
                        i++;
                        continue;
                }
            }
            result.Append(value[i]);
        }
        return result.ToString();
    }

    private static void Apply(AlertDraft draft, string key, string value, Dictionary<string, string> labels, int lineNumber)
    {
        if (string.IsNullOrWhiteSpace(value))
        {
            return;
        }
        switch (key)
        {
            case "msg": draft.Description = value; break;
            case "cat": draft.Category = value; break;
            case "externalId": draft.SourceReference = value; break;
            case "rt": draft.DetectedAt = Time(value, key, lineNumber); break;
            case "start": draft.FirstSeenAt = Time(value, key, lineNumber); break;
            case "end": draft.LastSeenAt = Time(value, key, lineNumber); break;
            case "src" or "dst" or "c6a1" or "c6a2" or "c6a3" or "c6a4": draft.AddIp(value); break;
            case "shost" or "dhost":
                // Bare NetBIOS names are not domains; only fully qualified names become domain observables.
                if (value.Contains('.', StringComparison.Ordinal))
                {
                    draft.AddObservable(ObservableTypes.Domain, value);
                }
                break;
            case "suser" or "duser": draft.AddPrincipal(PrincipalTypes.User, value); break;
            case "request": draft.AddObservable(ObservableTypes.Url, value); break;
            case "requestClientApplication": draft.AddObservable(ObservableTypes.UserAgent, value); break;
            case "fileHash" or "oldFileHash": draft.AddObservable(ObservableTypes.Hash, value); break;
            case "fname": draft.AddObservable(ObservableTypes.File, value); break;
            case "sproc" or "dproc": draft.AddObservable(ObservableTypes.Process, value); break;
            case "cs1" or "cs2" or "cs3" or "cs4" or "cs5" or "cs6":
                if (labels.TryGetValue(key, out var label))
                {
                    ApplyLabelled(draft, label, value);
                }
                break;
        }
    }

    /// <summary>Custom strings carry cloud context only when their label says what they are.</summary>
    private static void ApplyLabelled(AlertDraft draft, string label, string value)
    {
        switch (label.Trim().ToLowerInvariant())
        {
            case "technique" or "techniques" or "mitre technique" or "attack technique" or "mitre att&ck technique":
                foreach (var technique in value.Split(',', StringSplitOptions.TrimEntries))
                {
                    draft.AddTechnique(technique);
                }
                break;
            case "account" or "account id" or "accountid" or "cloud account" or "subscription" or "project":
                draft.Account = value;
                break;
            case "region":
                draft.Region = value;
                break;
            case "provider" or "cloud provider" or "cloud":
                draft.Provider = CloudProviders.Normalise(value);
                break;
            case "resource" or "resource id" or "resourceid" or "arn":
                draft.AddResource(value);
                break;
        }
    }

    /// <summary>Epoch milliseconds or "MMM dd yyyy HH:mm:ss[.SSS] [zone]"; a zone-less time is read as UTC.</summary>
    private static DateTimeOffset? Time(string value, string key, int lineNumber)
    {
        var text = value.Trim();
        if (text.All(char.IsAsciiDigit))
        {
            if (long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var millis))
            {
                return JsonPayload.FromEpochMilliseconds(millis, LinePath(lineNumber));
            }
        }

        var offset = TimeSpan.Zero;
        var lastSpace = text.LastIndexOf(' ');
        if (lastSpace > 0)
        {
            var zone = text[(lastSpace + 1)..];
            if (zone is "UTC" or "GMT" or "Z")
            {
                text = text[..lastSpace];
            }
            else if (zone.Length > 1 && zone[0] is '+' or '-')
            {
                var digits = zone[1..].Replace(":", "", StringComparison.Ordinal);
                if (digits.Length != 4 || !digits.All(char.IsAsciiDigit))
                {
                    throw LineError(lineNumber, $"{key} has an unreadable time zone '{zone}'.");
                }
                var hours = int.Parse(digits[..2], CultureInfo.InvariantCulture);
                var minutes = int.Parse(digits[2..], CultureInfo.InvariantCulture);
                if (hours > 14 || minutes > 59)
                {
                    throw LineError(lineNumber, $"{key} has an out-of-range time zone offset '{zone}'.");
                }
                offset = new TimeSpan(hours, minutes, 0) * (zone[0] == '-' ? -1 : 1);
                text = text[..lastSpace];
            }
            else if (zone.All(char.IsAsciiLetter))
            {
                throw LineError(lineNumber, $"{key} uses the time zone '{zone}'; use UTC or a numeric offset.");
            }
        }

        if (DateTime.TryParseExact(text, DateFormats, CultureInfo.InvariantCulture, DateTimeStyles.None, out var local))
        {
            try
            {
                return new DateTimeOffset(DateTime.SpecifyKind(local, DateTimeKind.Unspecified), offset).ToUniversalTime();
            }
            catch (ArgumentOutOfRangeException)
            {
                throw LineError(lineNumber, $"{key} is outside the range of representable times.");
            }
        }
        if (DateTime.TryParseExact(text + " 2000", YearlessFormats, CultureInfo.InvariantCulture, DateTimeStyles.None, out _))
        {
            // Without a year the instant is unknowable; leaving it empty beats guessing the year.
            return null;
        }
        throw LineError(lineNumber, $"{key} is not a CEF time (epoch milliseconds or MMM dd yyyy HH:mm:ss).");
    }
}
