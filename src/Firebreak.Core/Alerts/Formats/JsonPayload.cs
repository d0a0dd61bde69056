using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Unicode;

namespace Firebreak.Core.Alerts.Formats;

/// <summary>Limits every format enforces, so one request cannot pin a core or exhaust memory.</summary>
public static class AlertPayloadLimits
{
    public const int MaxAlerts = AlertLimits.MaxBatch;
    public const int MaxDepth = 64;

    internal static void CheckCount(int count, string path)
    {
        if (count > MaxAlerts)
        {
            throw new AlertFormatException($"The payload holds more than {MaxAlerts} alerts; split it into smaller batches.", path);
        }
    }
}

/// <summary>JSON parsing and lenient field access shared by the JSON formats.</summary>
internal static class JsonPayload
{
    private static readonly JsonDocumentOptions DocumentOptions = new() { MaxDepth = AlertPayloadLimits.MaxDepth };

    public static JsonDocument Parse(ReadOnlyMemory<byte> payload, string pathPrefix = "$")
    {
        payload = Common.JsonText.WithoutByteOrderMark(payload);
        if (payload.Span.IsEmpty || payload.Span.Trim(" \t\r\n"u8).IsEmpty)
        {
            throw new AlertFormatException("The payload is empty.", pathPrefix);
        }
        CheckText(payload.Span, pathPrefix, allowMultipleValues: false);

        try
        {
            return JsonDocument.Parse(payload, DocumentOptions);
        }
        catch (JsonException ex)
        {
            throw Malformed(payload.Span, ex, pathPrefix, allowMultipleValues: false);
        }
    }

    /// <summary>Reads one or more top-level values: a single document, or JSON lines / concatenated objects.</summary>
    public static List<JsonDocument> ParseMany(ReadOnlyMemory<byte> payload)
    {
        payload = Common.JsonText.WithoutByteOrderMark(payload);
        var span = payload.Span;
        if (span.Trim(" \t\r\n"u8).IsEmpty)
        {
            throw new AlertFormatException("The payload is empty.", "$");
        }

        var documents = new List<JsonDocument>();
        var ranges = new List<Range>();
        var reader = new Utf8JsonReader(span, new JsonReaderOptions { AllowMultipleValues = true, MaxDepth = AlertPayloadLimits.MaxDepth });
        try
        {
            while (reader.Read())
            {
                var start = (int)reader.TokenStartIndex;
                documents.Add(JsonDocument.ParseValue(ref reader));
                ranges.Add(start..(int)reader.BytesConsumed);
                AlertPayloadLimits.CheckCount(documents.Count, "$");
            }
            // Several documents are named by index, $[d], as the formats name their findings.
            for (var d = 0; d < documents.Count; d++)
            {
                CheckText(span[ranges[d]], documents.Count == 1 ? "$" : Index("$", d), allowMultipleValues: false);
            }
            return documents;
        }
        catch (JsonException ex)
        {
            foreach (var document in documents)
            {
                document.Dispose();
            }
            // Replaying to locate the failure reads property names, so unreadable text is refused first.
            CheckText(span, "$", allowMultipleValues: true);
            throw Malformed(span, ex, "$", allowMultipleValues: true);
        }
        catch
        {
            foreach (var document in documents)
            {
                document.Dispose();
            }
            throw;
        }
    }

    /// <summary>
    /// JsonDocument accepts strings that are not UTF-8 or that escape a lone surrogate ("\ud800"), and only
    /// reading such a string throws (InvalidOperationException, not JsonException). Refuse them up front,
    /// naming the string. The replay only runs when a quick scan finds invalid UTF-8 or a surrogate escape.
    /// </summary>
    private static void CheckText(ReadOnlySpan<byte> payload, string pathPrefix, bool allowMultipleValues)
    {
        if (Utf8.IsValid(payload) && !HasSurrogateEscape(payload))
        {
            return;
        }
        var (path, _, unreadable) = Replay(payload, allowMultipleValues, stopAtUnreadableText: true);
        if (unreadable)
        {
            var fullPath = pathPrefix == "$" ? path : pathPrefix + path[1..];
            throw new AlertFormatException($"The payload holds text that is not valid UTF-8 (or a lone surrogate) at {fullPath}.", fullPath);
        }
    }

    private static bool HasSurrogateEscape(ReadOnlySpan<byte> payload)
    {
        int at;
        while ((at = payload.IndexOf("\\u"u8)) >= 0)
        {
            payload = payload[(at + 2)..];
            // \uD800 to \uDFFF
            if (payload.Length >= 2 && (payload[0] | 0x20) == 'd'
                && (payload[1] is (byte)'8' or (byte)'9' || (payload[1] | 0x20) is >= 'a' and <= 'f'))
            {
                return true;
            }
        }
        return false;
    }

    private static bool IsReadableText(ref Utf8JsonReader reader)
    {
        if (!reader.ValueIsEscaped)
        {
            return Utf8.IsValid(reader.ValueSpan);
        }
        try
        {
            reader.GetString();
            return true;
        }
        catch (InvalidOperationException)
        {
            return false;
        }
    }

    /// <summary>
    /// JsonDocument reports where parsing failed by line and byte but not by path, so the path is
    /// recovered by replaying the reader up to the failure. This only runs on bad input.
    /// </summary>
    public static AlertFormatException Malformed(ReadOnlySpan<byte> payload, JsonException ex, string pathPrefix, bool allowMultipleValues)
    {
        var (path, tooDeep, _) = Replay(payload, allowMultipleValues, stopAtUnreadableText: false);
        path = ex.Path is { Length: > 0 } given ? given : path;
        var fullPath = pathPrefix == "$" ? path : pathPrefix + path[1..];
        var where = ex.LineNumber is { } line
            ? string.Create(CultureInfo.InvariantCulture, $" (line {line + 1}, byte {(ex.BytePositionInLine ?? 0) + 1})")
            : "";
        var message = tooDeep
            ? $"The JSON is nested deeper than {AlertPayloadLimits.MaxDepth} levels at {fullPath}{where}."
            : $"The payload is not valid JSON at {fullPath}{where}.";
        return new AlertFormatException(message, fullPath);
    }

    /// <summary>
    /// Replays the reader, tracking the path, until it fails (or, with <paramref name="stopAtUnreadableText"/>,
    /// until a string that is not valid UTF-8 or holds a lone surrogate) and returns the path reached.
    /// </summary>
    private static (string Path, bool TooDeep, bool Unreadable) Replay(ReadOnlySpan<byte> payload, bool allowMultipleValues, bool stopAtUnreadableText)
    {
        var frames = new List<Frame>();
        var reader = new Utf8JsonReader(payload, new JsonReaderOptions { MaxDepth = AlertPayloadLimits.MaxDepth, AllowMultipleValues = allowMultipleValues });
        var tooDeep = false;
        var unreadable = false;
        long lastTokenEnd = 0;
        try
        {
            while (reader.Read())
            {
                lastTokenEnd = reader.BytesConsumed;
                switch (reader.TokenType)
                {
                    case JsonTokenType.StartObject:
                    case JsonTokenType.StartArray:
                        CountValue(frames);
                        frames.Add(new Frame(reader.TokenType == JsonTokenType.StartArray));
                        break;
                    case JsonTokenType.EndObject:
                    case JsonTokenType.EndArray:
                        frames.RemoveAt(frames.Count - 1);
                        break;
                    case JsonTokenType.PropertyName:
                        unreadable = stopAtUnreadableText && !IsReadableText(ref reader);
                        frames[^1].Name = unreadable ? null : reader.GetString();
                        break;
                    default:
                        CountValue(frames);
                        unreadable = stopAtUnreadableText && reader.TokenType == JsonTokenType.String && !IsReadableText(ref reader);
                        break;
                }
                if (unreadable)
                {
                    break;
                }
            }
        }
        catch (JsonException)
        {
            tooDeep = frames.Count >= AlertPayloadLimits.MaxDepth;
            // A comma after the last good token means the failure is in the next member, not the last one read.
            var rest = payload[(int)lastTokenEnd..].TrimStart(" \t\r\n"u8);
            if (!tooDeep && frames.Count > 0 && !rest.IsEmpty && rest[0] == (byte)',')
            {
                if (frames[^1].IsArray)
                {
                    frames[^1].Index++;
                }
                else
                {
                    frames[^1].Name = null;
                }
            }
        }

        var path = new StringBuilder("$");
        foreach (var frame in frames)
        {
            if (frame.IsArray)
            {
                path.Append('[').Append(Math.Max(frame.Index, 0).ToString(CultureInfo.InvariantCulture)).Append(']');
            }
            else if (frame.Name is { } name)
            {
                AppendName(path, name);
            }
        }
        return (path.ToString(), tooDeep, unreadable);
    }

    private static void CountValue(List<Frame> frames)
    {
        if (frames.Count > 0 && frames[^1].IsArray)
        {
            frames[^1].Index++;
        }
    }

    private static void AppendName(StringBuilder path, string name)
    {
        var simple = name.Length > 0 && name.All(c => char.IsAsciiLetterOrDigit(c) || c == '_');
        if (simple)
        {
            path.Append('.').Append(name);
        }
        else
        {
            path.Append("['").Append(name.Replace("'", "\\'", StringComparison.Ordinal)).Append("']");
        }
    }

    public static string Child(string path, string name) =>
        name.All(c => char.IsAsciiLetterOrDigit(c) || c == '_') ? path + "." + name : path + "['" + name + "']";

    public static string Index(string path, int index) => path + "[" + index.ToString(CultureInfo.InvariantCulture) + "]";

    private sealed class Frame(bool isArray)
    {
        public bool IsArray { get; } = isArray;
        public int Index { get; set; } = -1;
        public string? Name { get; set; }
    }

    // Vendors publish the same schema in PascalCase (APIs) and camelCase (event buses, exports),
    // so lookups fall back to a case-insensitive match when the exact name is absent.
    public static bool TryGet(JsonElement element, string name, out JsonElement value)
    {
        if (element.ValueKind == JsonValueKind.Object)
        {
            if (element.TryGetProperty(name, out value) || TryGetIgnoreCase(element, name, out value))
            {
                return value.ValueKind != JsonValueKind.Null;
            }
        }
        value = default;
        return false;
    }

    private static bool TryGetIgnoreCase(JsonElement element, string name, out JsonElement value)
    {
        foreach (var property in element.EnumerateObject())
        {
            if (string.Equals(property.Name, name, StringComparison.OrdinalIgnoreCase))
            {
                value = property.Value;
                return true;
            }
        }
        value = default;
        return false;
    }

    public static bool TryGet(JsonElement element, out JsonElement value, params ReadOnlySpan<string> names)
    {
        value = element;
        foreach (var name in names)
        {
            if (!TryGet(value, name, out value))
            {
                return false;
            }
        }
        return true;
    }

    public static JsonElement? Object(JsonElement element, params ReadOnlySpan<string> names) =>
        TryGet(element, out var value, names) && value.ValueKind == JsonValueKind.Object ? value : null;

    /// <summary>A scalar as text: strings as they are, numbers and booleans as written. Blank is absent.</summary>
    public static string? String(JsonElement element, params ReadOnlySpan<string> names)
    {
        if (!TryGet(element, out var value, names))
        {
            return null;
        }
        var text = value.ValueKind switch
        {
            JsonValueKind.String => value.GetString(),
            JsonValueKind.Number or JsonValueKind.True or JsonValueKind.False => value.GetRawText(),
            _ => null,
        };
        return string.IsNullOrWhiteSpace(text) ? null : text;
    }

    public static ArrayEnumerable Array(JsonElement element, params ReadOnlySpan<string> names) =>
        TryGet(element, out var value, names) && value.ValueKind == JsonValueKind.Array ? new(value) : default;

    /// <summary>A time given as ISO 8601 text or as epoch milliseconds; anything else is malformed.</summary>
    public static DateTimeOffset? Time(JsonElement element, string path, params ReadOnlySpan<string> names)
    {
        if (!TryGet(element, out var value, names))
        {
            return null;
        }
        if (value.ValueKind == JsonValueKind.Number && value.TryGetInt64(out var millis))
        {
            return FromEpochMilliseconds(millis, PathOf(path, names));
        }
        if (value.ValueKind == JsonValueKind.String)
        {
            var text = value.GetString();
            if (string.IsNullOrWhiteSpace(text))
            {
                return null;
            }
            if (DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var parsed))
            {
                return parsed.ToUniversalTime();
            }
        }
        throw new AlertFormatException("The value is not a time (ISO 8601 text or epoch milliseconds).", PathOf(path, names));
    }

    public static DateTimeOffset FromEpochMilliseconds(long millis, string path)
    {
        try
        {
            return DateTimeOffset.FromUnixTimeMilliseconds(millis);
        }
        catch (ArgumentOutOfRangeException)
        {
            throw new AlertFormatException("The epoch time is out of range.", path);
        }
    }

    public static string PathOf(string path, ReadOnlySpan<string> names)
    {
        foreach (var name in names)
        {
            path = Child(path, name);
        }
        return path;
    }

    /// <summary>Every alert in a batch must be an object; a stray number or string is a 400 at its index.</summary>
    public static void RequireObject(JsonElement element, string path)
    {
        if (element.ValueKind != JsonValueKind.Object)
        {
            throw new AlertFormatException("Expected a JSON object.", path);
        }
    }

    private static readonly JsonElement EmptyArray = JsonDocument.Parse("[]").RootElement.Clone();

    public readonly struct ArrayEnumerable(JsonElement array)
    {
        public int Length => array.ValueKind == JsonValueKind.Array ? array.GetArrayLength() : 0;

        public JsonElement.ArrayEnumerator GetEnumerator() =>
            (array.ValueKind == JsonValueKind.Array ? array : EmptyArray).EnumerateArray();
    }
}
