using System.Globalization;
using System.Text.Json;

namespace Firebreak.Detection.Readers.Mapping;

/// <summary>Tolerant accessors: native logs omit fields, use null, or change a field's type between versions.</summary>
internal static class Json
{
    public static JsonElement? Prop(this JsonElement element, string name) =>
        element.ValueKind == JsonValueKind.Object && element.TryGetProperty(name, out var value) && value.ValueKind != JsonValueKind.Null
            ? value
            : null;

    public static JsonElement? Prop(this JsonElement? element, string name) => element is { } e ? e.Prop(name) : null;

    /// <summary>The same by a UTF-8 name, which the document compares without transcoding it first (mappers run once per record).</summary>
    public static JsonElement? Prop(this JsonElement? element, ReadOnlySpan<byte> utf8Name) =>
        element is { ValueKind: JsonValueKind.Object } e && e.TryGetProperty(utf8Name, out var value) && value.ValueKind != JsonValueKind.Null
            ? value
            : null;

    /// <summary>
    /// The property of that name, else the first whose name differs only in ASCII case (a name written with escapes is
    /// not found so): the same record saved by another tool (Graph's JSON is camelCase, the Graph PowerShell module's
    /// <c>ConvertTo-Json</c> PascalCase at every level). <paramref name="name"/> is ASCII.
    /// </summary>
    public static JsonElement? PropAnyCase(this JsonElement? element, string name)
    {
        if (element is not { ValueKind: JsonValueKind.Object } e)
        {
            return null;
        }

        if (e.TryGetProperty(name, out var exact))
        {
            return exact.ValueKind == JsonValueKind.Null ? null : exact;
        }

        // Compared as written, without making a string of each name: mappers' Matches run on records of every format.
        foreach (var property in e.EnumerateObject())
        {
            var written = System.Runtime.InteropServices.JsonMarshal.GetRawUtf8PropertyName(property);
            if (written.Length == name.Length && System.Text.Ascii.EqualsIgnoreCase(written, name))
            {
                return property.Value.ValueKind == JsonValueKind.Null ? null : property.Value;
            }
        }

        return null;
    }

    public static JsonElement? PropAnyCase(this JsonElement element, string name) => ((JsonElement?)element).PropAnyCase(name);

    public static JsonElement? Path(this JsonElement element, params ReadOnlySpan<string> names)
    {
        JsonElement? current = element;
        foreach (var name in names)
        {
            current = current.Prop(name);
            if (current is null)
            {
                return null;
            }
        }

        return current;
    }

    /// <summary>The value as text: strings as they are, numbers and booleans as written; empty strings count as absent.</summary>
    public static string? Str(this JsonElement? element) => element is { } e
        ? e.ValueKind switch
        {
            JsonValueKind.String => e.GetString() is { Length: > 0 } s ? s : null,
            JsonValueKind.Number or JsonValueKind.True or JsonValueKind.False => e.GetRawText(),
            _ => null,
        }
        : null;

    public static string? Str(this JsonElement element, string name) => element.Prop(name).Str();

    public static string? Str(this JsonElement element, params ReadOnlySpan<string> path) => element.Path(path).Str();

    public static string? Str(this JsonElement? element, string name) => element.Prop(name).Str();

    public static JsonElement? Path(this JsonElement? element, params ReadOnlySpan<string> names) => element is { } e ? e.Path(names) : null;

    /// <summary>The first of several spellings of a field that is present.</summary>
    public static string? FirstStr(this JsonElement element, params ReadOnlySpan<string> names)
    {
        foreach (var name in names)
        {
            if (element.Str(name) is { } value)
            {
                return value;
            }
        }

        return null;
    }

    public static JsonElement? Obj(this JsonElement? element) => element is { ValueKind: JsonValueKind.Object } e ? e : null;

    /// <summary>
    /// Log Analytics exports serialise dynamic columns (InitiatedBy, TargetResources, Claims...) as JSON
    /// text; this returns the parsed value for those and the element itself otherwise.
    /// </summary>
    public static JsonElement? Dynamic(this JsonElement? element)
    {
        if (element is not { ValueKind: JsonValueKind.String } e)
        {
            return element;
        }

        var text = e.GetString();
        if (string.IsNullOrWhiteSpace(text) || text[0] is not ('{' or '['))
        {
            return null;
        }

        try
        {
            using var document = JsonDocument.Parse(text, new JsonDocumentOptions { MaxDepth = 64 });
            return document.RootElement.Clone();
        }
        catch (JsonException)
        {
            return null;
        }
    }

    public static bool? Bool(this JsonElement? element) => element switch
    {
        { ValueKind: JsonValueKind.True } => true,
        { ValueKind: JsonValueKind.False } => false,
        { ValueKind: JsonValueKind.String } e when bool.TryParse(e.GetString(), out var b) => b,
        _ => null,
    };

    public static DateTimeOffset? Time(this JsonElement? element)
    {
        if (element is not { } e)
        {
            return null;
        }

        if (e.ValueKind == JsonValueKind.Number && e.TryGetInt64(out var epoch))
        {
            // OCSF times are epoch milliseconds; tolerate seconds from hand-made exports. A number no calendar holds
            // (year 10000 and on, before year 1) is no time: the record is kept with an unknown one, not the run ended.
            const long LastMilliseconds = 253_402_300_799_999, FirstSeconds = -62_135_596_800;
            return epoch > 100_000_000_000
                ? epoch <= LastMilliseconds ? DateTimeOffset.FromUnixTimeMilliseconds(epoch) : null
                : epoch >= FirstSeconds ? DateTimeOffset.FromUnixTimeSeconds(epoch) : null;
        }

        if (e.ValueKind == JsonValueKind.String && TryParseIsoSeconds(System.Runtime.InteropServices.JsonMarshal.GetRawUtf8Value(e), out var fast))
        {
            return fast;
        }

        if (e.ValueKind != JsonValueKind.String)
        {
            return null;
        }

        var text = e.GetString();
        return AspNetDate(text)
            ?? (DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var time) ? time : null);
    }

    /// <summary>
    /// Windows PowerShell's <c>ConvertTo-Json</c> writes a date as <c>"\/Date(1772793600000)\/"</c>: milliseconds since
    /// 1970 UTC, sometimes followed by the local offset it was shown in (<c>+0100</c>), which does not move the instant.
    /// </summary>
    private static DateTimeOffset? AspNetDate(string? text)
    {
        const string Start = "/Date(", End = ")/";
        if (text is null || !text.StartsWith(Start, StringComparison.Ordinal) || !text.EndsWith(End, StringComparison.Ordinal))
        {
            return null;
        }

        var inside = text.AsSpan(Start.Length, text.Length - Start.Length - End.Length);
        var offset = inside.Length > 5 ? inside[^5..] : default;
        if (offset.Length == 5 && offset[0] is '+' or '-' && int.TryParse(offset[1..], NumberStyles.None, CultureInfo.InvariantCulture, out _))
        {
            inside = inside[..^5];
        }

        const long LastMilliseconds = 253_402_300_799_999, FirstMilliseconds = -62_135_596_800_000;
        return long.TryParse(inside, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var milliseconds)
            && milliseconds is >= FirstMilliseconds and <= LastMilliseconds
            ? DateTimeOffset.FromUnixTimeMilliseconds(milliseconds)
            : null;
    }

    /// <summary>
    /// CloudTrail's <c>"yyyy-MM-ddTHH:mm:ssZ"</c>, read straight from the UTF-8 bytes (quotes included):
    /// the general parser is slow enough to show in a hunt over millions of records.
    /// </summary>
    private static bool TryParseIsoSeconds(ReadOnlySpan<byte> raw, out DateTimeOffset time)
    {
        time = default;
        if (raw.Length != 22 || raw[5] != '-' || raw[8] != '-' || raw[11] != 'T' || raw[14] != ':' || raw[17] != ':' || raw[20] != 'Z')
        {
            return false;
        }

        if (!TryDigits(raw.Slice(1, 4), out var year) || !TryDigits(raw.Slice(6, 2), out var month) || !TryDigits(raw.Slice(9, 2), out var day)
            || !TryDigits(raw.Slice(12, 2), out var hour) || !TryDigits(raw.Slice(15, 2), out var minute) || !TryDigits(raw.Slice(18, 2), out var second)
            || month is < 1 or > 12 || day < 1 || day > DateTime.DaysInMonth(Math.Max(1, year), month) || hour > 23 || minute > 59 || second > 59 || year < 1)
        {
            return false;
        }

        time = new DateTimeOffset(year, month, day, hour, minute, second, TimeSpan.Zero);
        return true;
    }

    private static bool TryDigits(ReadOnlySpan<byte> digits, out int value)
    {
        value = 0;
        foreach (var digit in digits)
        {
            if (digit is < (byte)'0' or > (byte)'9')
            {
                return false;
            }

            value = (value * 10) + (digit - '0');
        }

        return true;
    }

    public static JsonElement? ObjectOrNull(this JsonElement? element) =>
        element is { ValueKind: JsonValueKind.Object or JsonValueKind.Array } e ? e : null;
}
