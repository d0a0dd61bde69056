using System.Text;
using Firebreak.Core.Indicators;

namespace Firebreak.Core.ThreatIntel;

/// <summary>
/// The part of the STIX 2.1 patterning language that names indicators: observation expressions in
/// square brackets, each holding equality comparisons, joined by OR at either level. Anything that
/// needs correlation (AND, FOLLOWEDBY, qualifiers, other operators) cannot be matched value by value
/// and is refused with the reason.
/// </summary>
public static class StixPattern
{
    public static bool TryParse(string pattern, out List<IndicatorValue> values, out string? error) =>
        TryParse(pattern, out values, out error, out _);

    /// <summary>
    /// As above; a comparison on a path Firebreak does not match (or with a value that is not valid)
    /// is left out and named in <paramref name="ignored"/>: with OR, each remaining comparison still
    /// suffices on its own. A pattern left with no comparison at all fails.
    /// </summary>
    public static bool TryParse(string pattern, out List<IndicatorValue> values, out string? error, out List<string> ignored)
    {
        values = [];
        ignored = [];
        error = null;
        var position = 0;
        var expectObservation = true;
        while (true)
        {
            SkipSpace(pattern, ref position);
            if (position >= pattern.Length) break;
            if (expectObservation)
            {
                if (pattern[position] != '[') return Fail("expected '[' to start an observation expression", out error);
                position++;
                if (!ParseObservation(pattern, ref position, values, ignored, out error)) return false;
                expectObservation = false;
                continue;
            }
            var word = ReadWord(pattern, ref position);
            if (word.Equals("OR", StringComparison.Ordinal))
            {
                expectObservation = true;
                continue;
            }
            return Fail(word.Length == 0
                ? $"unexpected '{pattern[position]}' after an observation expression"
                : $"'{Shorten(word)}' is not supported: only observation expressions joined by OR can be matched value by value", out error);
        }
        if (expectObservation) return Fail(values.Count == 0 && ignored.Count == 0 ? "the pattern is empty" : "the pattern ends after OR", out error);
        if (values.Count == 0) return Fail(ignored[0], out error);
        return true;
    }

    private static bool ParseObservation(string pattern, ref int position, List<IndicatorValue> values, List<string> ignored, out string? error)
    {
        while (true)
        {
            SkipSpace(pattern, ref position);
            var path = ReadPath(pattern, ref position);
            if (path.Length == 0) return Fail("expected an object path such as ipv4-addr:value", out error);
            SkipSpace(pattern, ref position);
            var op = ReadOperator(pattern, ref position);
            if (op != "=") return Fail(op.Length == 0 ? $"expected '=' after {Shorten(path)}" : $"the operator '{Shorten(op)}' is not supported (only =)", out error);
            SkipSpace(pattern, ref position);
            if (position >= pattern.Length || pattern[position] != '\'') return Fail($"expected a quoted string after {Shorten(path)} =", out error);
            if (!ReadString(pattern, ref position, out var literal)) return Fail("a string is not closed", out error);
            if (TryMap(path, literal, out var value, out var problem)) values.Add(value);
            else ignored.Add(problem!);
            SkipSpace(pattern, ref position);
            if (position >= pattern.Length) return Fail("an observation expression is not closed with ']'", out error);
            if (pattern[position] == ']')
            {
                position++;
                error = null;
                return true;
            }
            var word = ReadWord(pattern, ref position);
            if (!word.Equals("OR", StringComparison.Ordinal))
                return Fail(word.Length == 0 ? $"unexpected '{pattern[position]}'" : $"'{Shorten(word)}' inside an observation expression is not supported: only OR", out error);
        }
    }

    /// <summary>The indicator type an object path holds, or an error naming the path.</summary>
    internal static bool TryMap(string path, string literal, out IndicatorValue value, out string? error)
    {
        value = default;
        var colon = path.IndexOf(':');
        var objectType = colon < 0 ? path : path[..colon];
        var property = colon < 0 ? "" : path[(colon + 1)..];
        IndicatorType? type = (objectType, property.Replace("'", "", StringComparison.Ordinal)) switch
        {
            ("ipv4-addr" or "ipv6-addr", "value") => literal.Contains('/') ? IndicatorType.Cidr : IndicatorType.Ip,
            ("network-traffic", "dst_ref.value" or "src_ref.value") => literal.Contains('/') ? IndicatorType.Cidr : IndicatorType.Ip,
            ("domain-name", "value") => IndicatorType.Domain,
            ("url", "value") => IndicatorType.Url,
            ("email-addr", "value") => IndicatorType.Email,
            ("email-message", "from_ref.value" or "sender_ref.value") => IndicatorType.Email,
            ("file" or "artifact", "hashes.SHA-256" or "hashes.SHA256" or "hashes.MD5" or "hashes.SHA-1" or "hashes.SHA1" or "hashes.SHA-512" or "hashes.SHA512") => IndicatorType.Hash,
            ("user-account", "user_id" or "account_login") => IndicatorType.Resource,
            ("network-traffic", "extensions.http-request-ext.request_header.User-Agent") => IndicatorType.UserAgent,
            _ => null,
        };
        if (type is null) return Fail($"the object path {Shorten(path)} is not an indicator type Firebreak matches", out error);
        if (type == IndicatorType.Resource && literal.Contains('@', StringComparison.Ordinal)) type = IndicatorType.Email;
        if (!IndicatorValue.TryParse(type.Value, literal, out value, out var problem))
            return Fail($"{Shorten(path)} '{Shorten(literal)}' {problem}", out error);
        error = null;
        return true;
    }

    private static string Shorten(string text) => text.Length > 80 ? text[..80] + "..." : text;

    private static void SkipSpace(string text, ref int position)
    {
        while (position < text.Length && char.IsWhiteSpace(text[position])) position++;
    }

    private static string ReadWord(string text, ref int position)
    {
        var start = position;
        while (position < text.Length && char.IsAsciiLetter(text[position])) position++;
        return text[start..position];
    }

    private static string ReadOperator(string text, ref int position)
    {
        var start = position;
        while (position < text.Length && "=!<>".Contains(text[position], StringComparison.Ordinal)) position++;
        if (position == start) return ReadWord(text, ref position);
        return text[start..position];
    }

    /// <summary>An object path: type:property(.property)*, where a property may be a quoted key ('SHA-256').</summary>
    private static string ReadPath(string text, ref int position)
    {
        var builder = new StringBuilder();
        while (position < text.Length)
        {
            var c = text[position];
            if (c == '\'')
            {
                var end = text.IndexOf('\'', position + 1);
                if (end < 0) return "";
                builder.Append(text, position, end - position + 1);
                position = end + 1;
            }
            else if (char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or ':' or '.')
            {
                builder.Append(c);
                position++;
            }
            else break;
        }
        return builder.ToString();
    }

    private static bool ReadString(string text, ref int position, out string literal)
    {
        var builder = new StringBuilder();
        position++;
        while (position < text.Length)
        {
            var c = text[position++];
            if (c == '\\' && position < text.Length)
            {
                builder.Append(text[position++]);
                continue;
            }
            if (c == '\'')
            {
                literal = builder.ToString();
                return true;
            }
            builder.Append(c);
        }
        literal = "";
        return false;
    }

    private static bool Fail(string message, out string? error)
    {
        error = message;
        return false;
    }
}
