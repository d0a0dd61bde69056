using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text.RegularExpressions;

namespace Firebreak.Detection.Sigma;

/// <summary>A compiled test of one field value. Works on spans so values decoded into stack buffers never become strings.</summary>
internal abstract class ValueMatcher
{
    public abstract bool IsMatch(ReadOnlySpan<char> value);

    /// <summary>
    /// A JSON number, as written (<paramref name="text"/>) and as its value: a value equal to a number the rule wrote
    /// matches however it is spelled (<c>5.0</c> for 5).
    /// </summary>
    public virtual bool IsMatchNumber(ReadOnlySpan<char> text, double value) => IsMatch(text);

    /// <summary>
    /// Literals of which every matching value contains at least one (compared ignoring case), or null
    /// when the matcher cannot promise that. An empty list means nothing matches.
    /// </summary>
    public virtual IReadOnlyList<string>? RequiredLiterals() => null;
}

internal sealed class EqualsMatcher(string expected, StringComparison comparison) : ValueMatcher
{
    private readonly double? number = NumericMatcher.TryParse(expected, out var n) && double.IsFinite(n) ? n : null;

    public override bool IsMatch(ReadOnlySpan<char> value) => value.Equals(expected, comparison);

    /// <summary>
    /// The same text, or the same value written otherwise (<c>5.0</c> for 5); two integers are compared as written,
    /// since a double holds no more than 15 or so digits (9007199254740993 is not 9007199254740992).
    /// </summary>
    public override bool IsMatchNumber(ReadOnlySpan<char> text, double value) =>
        IsMatch(text) || (number is { } n && !(IsInteger(text) && IsInteger(expected)) && n == value);

    private static bool IsInteger(ReadOnlySpan<char> text) => !text.ContainsAny('.', 'e') && !text.Contains('E');

    /// <summary>
    /// A number matches by value however the record writes it. A whole number under ten million is written with its
    /// digits by every JSON writer in use (50053, 50053.0; Java's doubles turn to 1.0E7 only from ten million, Go's and
    /// JavaScript's from 1e21), so its digits are asked for, as the rule's own text is; a record writing it with an
    /// exponent by hand (5.0053e4) is passed over by the pre-filter. A larger or fractional number asks for no text
    /// (the rule's other items, such as its eventName, still do): 12345678 is 1.2345678E7 from Java.
    /// </summary>
    public override IReadOnlyList<string>? RequiredLiterals() =>
        number is not { } n ? [expected]
        : Math.Abs(n) < 1e7 && n == Math.Truncate(n) ? [.. new[] { expected, ((long)Math.Abs(n)).ToString(CultureInfo.InvariantCulture) }.Distinct()]
        : null;

}

internal sealed class StartsWithMatcher(string prefix, StringComparison comparison) : ValueMatcher
{
    public override bool IsMatch(ReadOnlySpan<char> value) => value.StartsWith(prefix, comparison);

    public override IReadOnlyList<string>? RequiredLiterals() => [prefix];
}

internal sealed class EndsWithMatcher(string suffix, StringComparison comparison) : ValueMatcher
{
    public override bool IsMatch(ReadOnlySpan<char> value) => value.EndsWith(suffix, comparison);

    public override IReadOnlyList<string>? RequiredLiterals() => [suffix];
}

internal sealed class ContainsMatcher(string part, StringComparison comparison) : ValueMatcher
{
    public override bool IsMatch(ReadOnlySpan<char> value) => value.Contains(part, comparison);

    public override IReadOnlyList<string>? RequiredLiterals() => [part];
}

/// <summary>General <c>*</c>/<c>?</c> pattern; linear-time greedy matching with single-star backtracking.</summary>
internal sealed class GlobMatcher(SigmaPattern pattern, bool caseSensitive) : ValueMatcher
{
    private readonly char[] chars = pattern.Chars.Select(c => caseSensitive ? c : char.ToUpperInvariant(c)).ToArray();
    private readonly PatternKind[] kinds = pattern.Kinds.ToArray();

    public override bool IsMatch(ReadOnlySpan<char> value)
    {
        int p = 0, s = 0, starP = -1, starS = 0;
        while (s < value.Length)
        {
            if (p < kinds.Length && kinds[p] == PatternKind.One)
            {
                // '?' is one character: a pair of UTF-16 surrogates (an emoji, say) is one.
                p++;
                s += Width(value, s);
            }
            else if (p < kinds.Length && kinds[p] == PatternKind.Literal && Same(chars[p], value[s]))
            {
                p++;
                s++;
            }
            else if (p < kinds.Length && kinds[p] == PatternKind.Many)
            {
                starP = p++;
                starS = s;
            }
            else if (starP >= 0)
            {
                p = starP + 1;
                starS += Width(value, starS);
                s = starS;
            }
            else
            {
                return false;
            }
        }

        while (p < kinds.Length && kinds[p] == PatternKind.Many)
        {
            p++;
        }

        return p == kinds.Length;
    }

    public override IReadOnlyList<string>? RequiredLiterals()
    {
        // Any run of literal characters must appear in a match; the longest is the most selective.
        var longest = "";
        var start = 0;
        for (var i = 0; i <= kinds.Length; i++)
        {
            if (i == kinds.Length || kinds[i] != PatternKind.Literal)
            {
                if (i - start > longest.Length)
                {
                    longest = new string(chars, start, i - start);
                }

                start = i + 1;
            }
        }

        return longest.Length == 0 ? null : [longest];
    }

    private bool Same(char patternChar, char valueChar) =>
        patternChar == (caseSensitive ? valueChar : char.ToUpperInvariant(valueChar));

    private static int Width(ReadOnlySpan<char> value, int at) =>
        at + 1 < value.Length && char.IsHighSurrogate(value[at]) && char.IsLowSurrogate(value[at + 1]) ? 2 : 1;
}

/// <param name="regex">The expression as run.</param>
/// <param name="written">The expression as the rule wrote it, when it runs anchored (<c>re|startswith</c>): the pre-filter
/// looks for its literal text, which the anchoring group would hide.</param>
internal sealed class RegexMatcher(Regex regex, string? written = null) : ValueMatcher
{
    /// <summary>
    /// How long the backtracking engine may spend on one value; the compiler warns about every rule that uses it. The
    /// limit is wall time, so it is far above what any reasonable match takes even on a machine too loaded to run the
    /// matching thread for a while: a tenth of a second failed a four-letter match there.
    /// </summary>
    public static readonly TimeSpan BacktrackingLimit = TimeSpan.FromSeconds(1);

    private long undecided;

    /// <summary>Values the pattern could not decide within <see cref="BacktrackingLimit"/>, taken as no match, so far.</summary>
    public long Undecided => Interlocked.Read(ref undecided);

    public override bool IsMatch(ReadOnlySpan<char> value)
    {
        try
        {
            return regex.IsMatch(value);
        }
        catch (RegexMatchTimeoutException)
        {
            Interlocked.Increment(ref undecided);
            return false;
        }
    }

    public override IReadOnlyList<string>? RequiredLiterals()
    {
        var pattern = written ?? regex.ToString();
        if ((regex.Options & RegexOptions.IgnorePatternWhitespace) != 0 || RegexLiterals.Longest(pattern) is not { } literal)
        {
            return null;
        }

        // Ignoring case, a regular expression takes the Kelvin sign (U+212A) for k, which no other
        // case-insensitive comparison here does, so a needle searched for in raw text cannot span a k.
        var ignoresCase = (regex.Options & RegexOptions.IgnoreCase) != 0 || pattern.Contains("(?", StringComparison.Ordinal);
        return ignoresCase ? [literal.Split('k', 'K').MaxBy(part => part.Length)!] : [literal];
    }
}

/// <summary>
/// A rule's regular expression in PCRE's sense, the flavour Sigma v2.1 names: <c>\d</c>, <c>\w</c> and <c>\s</c> are
/// ASCII digits, word characters and white space there, where .NET reads them as Unicode classes (Arabic-Indic digits are
/// <c>\d</c>, a no-break space is <c>\s</c>), so they are written out as the ASCII sets; <c>\D</c>, <c>\W</c>, <c>\S</c>
/// outside a class as their complements. A POSIX class (<c>[[:digit:]]</c>), which .NET would read as a set of letters,
/// is refused.
/// </summary>
internal static partial class RegexClasses
{
    private const string Digit = "0-9", Word = "a-zA-Z0-9_", Space = @"\t\n\x0B\f\r ";

    [GeneratedRegex(@"\[:\^?[a-z]+:\]")]
    private static partial Regex Posix();

    public static string Ascii(string pattern)
    {
        if (Posix().IsMatch(pattern))
        {
            throw new FormatException($"'{pattern}' uses a POSIX character class ([:digit:] and the like), which this engine reads as a set of letters; write the set ([0-9])");
        }

        var text = new System.Text.StringBuilder(pattern.Length + 16);
        var inClass = false;
        for (var i = 0; i < pattern.Length; i++)
        {
            var c = pattern[i];
            if (c == '\\' && i + 1 < pattern.Length)
            {
                var escaped = pattern[++i];
                var set = escaped switch { 'd' or 'D' => Digit, 'w' or 'W' => Word, 's' or 'S' => Space, _ => null };
                if (set is not null && char.IsLower(escaped))
                {
                    text.Append(inClass ? set : "[" + set + "]");
                }
                else if (set is not null && !inClass)
                {
                    text.Append("[^").Append(set).Append(']');
                }
                else
                {
                    // Any other escape, and \D, \W, \S inside a class (rare), as written.
                    text.Append(c).Append(escaped);
                }

                continue;
            }

            text.Append(c);
            if (!inClass && c == '[')
            {
                inClass = true;
                // A ']' first in a class (after a '^') is a character of it, not its end.
                if (i + 1 < pattern.Length && pattern[i + 1] == '^')
                {
                    text.Append(pattern[++i]);
                }

                if (i + 1 < pattern.Length && pattern[i + 1] == ']')
                {
                    text.Append(pattern[++i]);
                }
            }
            else if (inClass && c == ']')
            {
                inClass = false;
            }
        }

        return text.ToString();
    }
}

/// <summary>
/// The literal text a regular expression's every match must contain: the longest run of plain
/// characters at the top level of the pattern, outside groups, classes and alternations, and not
/// made optional by a quantifier. Conservative: anything it does not understand ends a run.
/// </summary>
internal static partial class RegexLiterals
{
    /// <summary>(?x) anywhere: whitespace and comments in the pattern are not literal.</summary>
    private static readonly Regex InlineWhitespaceOption = InlineX();

    [GeneratedRegex(@"\(\?[imnsx-]*x")]
    private static partial Regex InlineX();

    public static string? Longest(string pattern)
    {
        if (InlineWhitespaceOption.IsMatch(pattern))
        {
            return null;
        }

        var runs = new List<string>();
        var run = new System.Text.StringBuilder();
        void End()
        {
            if (run.Length > 0)
            {
                runs.Add(run.ToString());
                run.Clear();
            }
        }

        var i = 0;
        while (i < pattern.Length)
        {
            var c = pattern[i];
            char? literal = null;
            var next = i + 1;
            switch (c)
            {
                case '|':
                    return null; // a top-level alternation: no single run is required
                case '(':
                    End();
                    if (SkipGroup(pattern, i) is not { } afterGroup)
                    {
                        return null;
                    }

                    i = afterGroup;
                    continue;
                case '[':
                    End();
                    if (SkipClass(pattern, i) is not { } afterClass)
                    {
                        return null;
                    }

                    i = afterClass;
                    continue;
                case '\\':
                    if (i + 1 >= pattern.Length)
                    {
                        return null;
                    }

                    var escaped = pattern[i + 1];
                    next = i + 2;
                    if (!char.IsAsciiLetterOrDigit(escaped) && escaped != '_')
                    {
                        literal = escaped;
                    }
                    else
                    {
                        // \d, \x41, \u0041, \p{L}, \k<name>, \1: whatever follows may belong to the escape, so skip it too.
                        while (next < pattern.Length && (char.IsAsciiLetterOrDigit(pattern[next]) || pattern[next] is '{' or '}' or '<' or '>' or '\''))
                        {
                            next++;
                        }
                    }

                    break;
                case '{':
                    // A counted repeat, {n} or {n,m}: its digits are not text to match.
                    End();
                    var close = pattern.IndexOf('}', i);
                    i = close < 0 ? pattern.Length : close + 1;
                    continue;
                case '.' or '^' or '$' or ')' or ']' or '}' or '*' or '+' or '?':
                    break;
                default:
                    literal = c;
                    break;
            }

            if (literal is { } l && !QuantifiedAt(pattern, next))
            {
                run.Append(l);
            }
            else
            {
                End();
            }

            i = next;
        }

        End();
        return runs.Count == 0 ? null : runs.MaxBy(r => r.Length);
    }

    /// <summary>A quantifier that may repeat or drop the previous character follows; '+' keeps one copy but may repeat it, so it also ends the run.</summary>
    private static bool QuantifiedAt(string pattern, int index) =>
        index < pattern.Length && pattern[index] is '?' or '*' or '+' or '{';

    private static int? SkipGroup(string pattern, int start)
    {
        var depth = 0;
        for (var i = start; i < pattern.Length; i++)
        {
            switch (pattern[i])
            {
                case '\\':
                    i++;
                    break;
                case '[':
                    if (SkipClass(pattern, i) is not { } after)
                    {
                        return null;
                    }

                    i = after - 1;
                    break;
                case '(':
                    depth++;
                    break;
                case ')':
                    if (--depth == 0)
                    {
                        return i + 1;
                    }

                    break;
            }
        }

        return null;
    }

    private static int? SkipClass(string pattern, int start)
    {
        var i = start + 1;
        if (i < pattern.Length && pattern[i] == '^')
        {
            i++;
        }

        if (i < pattern.Length && pattern[i] == ']')
        {
            i++;
        }

        for (; i < pattern.Length; i++)
        {
            if (pattern[i] == '\\')
            {
                i++;
            }
            else if (pattern[i] == ']')
            {
                return i + 1;
            }
        }

        return null;
    }
}

internal sealed class CidrMatcher : ValueMatcher
{
    private readonly byte[] network;
    private readonly int prefixLength;
    private readonly AddressFamily family;

    public CidrMatcher(string cidr)
    {
        var slash = cidr.IndexOf('/');
        var text = slash < 0 ? cidr : cidr[..slash];
        if (!IsStandardForm(text))
        {
            throw new FormatException($"'{text}' is not an IPv4 address in four dotted decimal parts or an IPv6 address");
        }

        var address = IPAddress.Parse(text);
        family = address.AddressFamily;
        network = address.GetAddressBytes();
        prefixLength = slash < 0 ? network.Length * 8 : int.Parse(cidr[(slash + 1)..], CultureInfo.InvariantCulture);
        if (prefixLength < 0 || prefixLength > network.Length * 8)
        {
            throw new FormatException($"invalid prefix length in '{cidr}'");
        }
    }

    /// <summary>
    /// An IPv6 address, or an IPv4 address as four decimal parts without leading zeros. The runtime's parser also
    /// takes the forms inet_aton does ("10.1" for 10.0.0.1, "167772161", "010.0.0.1" in octal), which would let a
    /// plain number or a version string fall inside a range.
    /// </summary>
    private static bool IsStandardForm(ReadOnlySpan<char> value)
    {
        if (value.Contains(':'))
        {
            return true;
        }

        var parts = 0;
        foreach (var range in value.Split('.'))
        {
            var part = value[range];
            if (++parts > 4 || part.Length is 0 or > 3 || (part.Length > 1 && part[0] == '0'))
            {
                return false;
            }

            foreach (var c in part)
            {
                if (!char.IsAsciiDigit(c))
                {
                    return false;
                }
            }
        }

        return parts == 4;
    }

    public override bool IsMatch(ReadOnlySpan<char> value)
    {
        if (!IsStandardForm(value) || !IPAddress.TryParse(value, out var address))
        {
            return false;
        }

        if (address.IsIPv4MappedToIPv6 && family == AddressFamily.InterNetwork)
        {
            address = address.MapToIPv4();
        }

        if (address.AddressFamily != family)
        {
            return false;
        }

        Span<byte> bytes = stackalloc byte[16];
        address.TryWriteBytes(bytes, out var written);
        var fullBytes = prefixLength / 8;
        if (!bytes[..fullBytes].SequenceEqual(network.AsSpan(0, fullBytes)))
        {
            return false;
        }

        var remaining = prefixLength % 8;
        if (remaining == 0)
        {
            return true;
        }

        var mask = (byte)(0xFF << (8 - remaining));
        return written > fullBytes && (bytes[fullBytes] & mask) == (network[fullBytes] & mask);
    }
}

internal sealed class NumericMatcher(ComparisonOperator op, double expected, string? written = null) : ValueMatcher
{
    /// <summary>The rule's number when it is a whole number: then a whole number in the record is compared with it exactly.</summary>
    private readonly System.Numerics.BigInteger? wholeExpected = Whole(written, out var whole) ? whole : null;

    public override bool IsMatch(ReadOnlySpan<char> value) =>
        wholeExpected is { } exact && Whole(value, out var actualWhole)
            ? Compare(op, actualWhole.CompareTo(exact))
            : TryParse(value, out var actual) && Compare(op, actual, expected);

    /// <summary>
    /// A whole number written with digits and a sign only (around it, spaces). Two of these are compared as written, not
    /// as doubles, which hold 15 or so digits: 9007199254740993 is greater than 9007199254740992, as an equal item says.
    /// </summary>
    private static bool Whole(ReadOnlySpan<char> value, out System.Numerics.BigInteger number)
    {
        number = default;
        var text = value.Trim();
        return text.Length is > 0 and <= 400 && !text.ContainsAnyExcept(WholeCharacters)
            && System.Numerics.BigInteger.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out number);
    }

    private static readonly System.Buffers.SearchValues<char> WholeCharacters = System.Buffers.SearchValues.Create("0123456789+-");

    private static bool Compare(ComparisonOperator op, int order) => op switch
    {
        ComparisonOperator.Gt => order > 0,
        ComparisonOperator.Gte => order >= 0,
        ComparisonOperator.Lt => order < 0,
        ComparisonOperator.Lte => order <= 0,
        ComparisonOperator.Neq => order != 0,
        _ => order == 0,
    };

    /// <summary>
    /// A number written with signs, digits, a point and an exponent (around it, spaces); "Infinity", "NaN" and "∞",
    /// which the runtime would also read, are none. One too large for a double (1e400) is read as infinite, and so
    /// still greater than any other.
    /// </summary>
    public static bool TryParse(ReadOnlySpan<char> value, out double number)
    {
        number = 0;
        var text = value.Trim();
        return text.Length > 0 && !text.ContainsAnyExcept(NumberCharacters)
            && double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out number);
    }

    private static readonly System.Buffers.SearchValues<char> NumberCharacters = System.Buffers.SearchValues.Create("0123456789+-.eE");

    public static bool Compare(ComparisonOperator op, double actual, double expected) => op switch
    {
        ComparisonOperator.Gt => actual > expected,
        ComparisonOperator.Gte => actual >= expected,
        ComparisonOperator.Lt => actual < expected,
        ComparisonOperator.Lte => actual <= expected,
        ComparisonOperator.Neq => actual != expected,
        _ => actual == expected,
    };
}

internal enum TimePart
{
    Minute,
    Hour,
    Day,
    Week,
    Month,
    Year,
}

/// <summary>Extracts a calendar component from a timestamp value and compares it as a number.</summary>
internal sealed class TimePartMatcher(TimePart part, ComparisonOperator op, double expected) : ValueMatcher
{
    public override bool IsMatch(ReadOnlySpan<char> value)
    {
        // Only a date (ISO 8601 / RFC 3339: 2026-01-15, 2026-01-15T09:00:00Z, with any offset) has parts to take: the
        // runtime's lenient parser would make one up from today's clock for a time alone ("03:30") or a version ("1.5").
        if (value.Length < 10 || !char.IsAsciiDigit(value[0]) || !char.IsAsciiDigit(value[3]) || value[4] != '-' || value[7] != '-'
            || !char.IsAsciiDigit(value[5]) || !char.IsAsciiDigit(value[8]) || !char.IsAsciiDigit(value[9])
            || !DateTimeOffset.TryParse(value, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var time))
        {
            return false;
        }

        // The part as the timestamp writes it, in its own offset: the modifiers convert no time zone.
        var written = time.DateTime;
        double component = part switch
        {
            TimePart.Minute => written.Minute,
            TimePart.Hour => written.Hour,
            TimePart.Day => written.Day,
            TimePart.Week => ISOWeek.GetWeekOfYear(written),
            TimePart.Month => written.Month,
            _ => written.Year,
        };
        return NumericMatcher.Compare(op, component, expected);
    }
}

internal sealed class AnyMatcher(ValueMatcher[] matchers) : ValueMatcher
{
    public override IReadOnlyList<string>? RequiredLiterals()
    {
        var all = new List<string>();
        foreach (var matcher in matchers)
        {
            if (matcher.RequiredLiterals() is not { } literals)
            {
                return null;
            }

            all.AddRange(literals);
        }

        return all;
    }

    public override bool IsMatch(ReadOnlySpan<char> value)
    {
        foreach (var matcher in matchers)
        {
            if (matcher.IsMatch(value))
            {
                return true;
            }
        }

        return false;
    }

    public override bool IsMatchNumber(ReadOnlySpan<char> text, double value)
    {
        foreach (var matcher in matchers)
        {
            if (matcher.IsMatchNumber(text, value))
            {
                return true;
            }
        }

        return false;
    }
}

internal sealed class AllMatcher(ValueMatcher[] matchers) : ValueMatcher
{
    // Every part must hold, so the part with the fewest literals alone is a valid (and the tightest cheap) requirement.
    public override IReadOnlyList<string>? RequiredLiterals() =>
        matchers.Select(m => m.RequiredLiterals()).Where(l => l is not null).MinBy(l => l!.Count);

    public override bool IsMatch(ReadOnlySpan<char> value)
    {
        foreach (var matcher in matchers)
        {
            if (!matcher.IsMatch(value))
            {
                return false;
            }
        }

        return true;
    }

    public override bool IsMatchNumber(ReadOnlySpan<char> text, double value)
    {
        foreach (var matcher in matchers)
        {
            if (!matcher.IsMatchNumber(text, value))
            {
                return false;
            }
        }

        return true;
    }
}

internal sealed class NeverMatcher : ValueMatcher
{
    public override bool IsMatch(ReadOnlySpan<char> value) => false;

    public override IReadOnlyList<string>? RequiredLiterals() => [];
}

internal enum PatternKind : byte
{
    Literal,
    One,
    Many,
}

/// <summary>A Sigma string value after unescaping: literal characters and the two wildcards.</summary>
internal sealed record SigmaPattern(IReadOnlyList<char> Chars, IReadOnlyList<PatternKind> Kinds)
{
    /// <summary>Sigma escaping: <c>\*</c>, <c>\?</c> and <c>\\</c> are literals; any other backslash is itself.</summary>
    public static SigmaPattern Parse(string text)
    {
        var chars = new List<char>(text.Length);
        var kinds = new List<PatternKind>(text.Length);
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            if (c == '\\' && i + 1 < text.Length && text[i + 1] is '*' or '?' or '\\')
            {
                chars.Add(text[++i]);
                kinds.Add(PatternKind.Literal);
            }
            else
            {
                chars.Add(c);
                kinds.Add(c switch { '*' => PatternKind.Many, '?' => PatternKind.One, _ => PatternKind.Literal });
            }
        }

        return new SigmaPattern(chars, kinds);
    }

    /// <summary>Patterns one after another, each keeping its own literals and wildcards.</summary>
    public static SigmaPattern Join(IEnumerable<SigmaPattern> parts)
    {
        var chars = new List<char>();
        var kinds = new List<PatternKind>();
        foreach (var part in parts)
        {
            chars.AddRange(part.Chars);
            kinds.AddRange(part.Kinds);
        }

        return new SigmaPattern(chars, kinds);
    }

    public static SigmaPattern Literal(string text) =>
        new(text.ToCharArray(), Enumerable.Repeat(PatternKind.Literal, text.Length).ToArray());

    public bool HasWildcards => Kinds.Any(k => k != PatternKind.Literal);

    public string LiteralText => new(Chars.ToArray());

    public SigmaPattern WrapMany(bool before, bool after)
    {
        var chars = Chars.ToList();
        var kinds = Kinds.ToList();
        if (before && (kinds.Count == 0 || kinds[0] != PatternKind.Many))
        {
            chars.Insert(0, '*');
            kinds.Insert(0, PatternKind.Many);
        }

        if (after && (kinds.Count == 0 || kinds[^1] != PatternKind.Many))
        {
            chars.Add('*');
            kinds.Add(PatternKind.Many);
        }

        return new SigmaPattern(chars, kinds);
    }

    /// <summary>Picks the cheapest matcher: plain equality, prefix, suffix or substring before a general glob.</summary>
    public ValueMatcher ToMatcher(bool caseSensitive)
    {
        var comparison = caseSensitive ? StringComparison.Ordinal : StringComparison.OrdinalIgnoreCase;
        var n = Kinds.Count;
        var innerLiteral = (int from, int to) => Enumerable.Range(from, Math.Max(0, to - from)).All(i => Kinds[i] == PatternKind.Literal);
        string Slice(int from, int to) => new(Chars.Skip(from).Take(to - from).ToArray());

        if (!HasWildcards)
        {
            return new EqualsMatcher(LiteralText, comparison);
        }

        var leading = n > 0 && Kinds[0] == PatternKind.Many;
        var trailing = n > 1 && Kinds[^1] == PatternKind.Many;
        if (n == 1 && leading)
        {
            return new GlobMatcher(this, caseSensitive);
        }

        if (leading && trailing && innerLiteral(1, n - 1))
        {
            return new ContainsMatcher(Slice(1, n - 1), comparison);
        }

        if (leading && !trailing && innerLiteral(1, n))
        {
            return new EndsWithMatcher(Slice(1, n), comparison);
        }

        if (!leading && trailing && innerLiteral(0, n - 1))
        {
            return new StartsWithMatcher(Slice(0, n - 1), comparison);
        }

        return new GlobMatcher(this, caseSensitive);
    }
}
