namespace Firebreak.Core.Common;

/// <summary>
/// Whether every string and property name in a parsed JSON value can be read as text. The JSON reader accepts
/// invalid UTF-8 inside strings and escaped lone surrogates (\ud800), and only throws when such a string is read;
/// readers check an object first so a bad one is reported instead of failing the whole document.
/// </summary>
internal static class JsonText
{
    /// <summary>The byte offset of the first unreadable text in <paramref name="raw"/> (a parsed value's raw UTF-8), or -1.</summary>
    public static int FindUnreadable(ReadOnlySpan<byte> raw)
    {
        if (System.Text.Unicode.Utf8.IsValid(raw) is false)
        {
            var offset = 0;
            while (System.Text.Rune.DecodeFromUtf8(raw[offset..], out _, out var consumed) == System.Buffers.OperationStatus.Done) offset += consumed;
            return offset;
        }
        // Outside strings valid JSON holds no backslash, so every one starts an escape.
        var highAt = -1;
        for (var i = 0; i < raw.Length; i++)
        {
            if (raw[i] != '\\')
            {
                if (highAt >= 0) return highAt;
                continue;
            }
            if (raw[i + 1] != 'u')
            {
                if (highAt >= 0) return highAt;
                i++;
                continue;
            }
            var unit = Convert.ToInt32(System.Text.Encoding.ASCII.GetString(raw.Slice(i + 2, 4)), 16);
            if (highAt >= 0)
            {
                if (unit is < 0xDC00 or > 0xDFFF) return highAt;
                highAt = -1;
            }
            else if (unit is >= 0xD800 and <= 0xDBFF) highAt = i;
            else if (unit is >= 0xDC00 and <= 0xDFFF) return i;
            i += 5;
        }
        return highAt;
    }

    public static bool IsReadable(System.Text.Json.JsonElement element) =>
        FindUnreadable(System.Runtime.InteropServices.JsonMarshal.GetRawUtf8Value(element)) < 0;

    /// <summary>
    /// The document without a leading UTF-8 byte order mark, which editors on Windows and some exporters write and
    /// the JSON reader refuses as invalid JSON.
    /// </summary>
    public static ReadOnlyMemory<byte> WithoutByteOrderMark(ReadOnlyMemory<byte> json) =>
        json.Span.StartsWith((ReadOnlySpan<byte>)[0xEF, 0xBB, 0xBF]) ? json[3..] : json;

    /// <summary>Input echoed in a reason, cut so a hostile value cannot make the reason huge.</summary>
    public static string Short(string text) => text.Length > 80 ? text[..80] + "..." : text;
}
