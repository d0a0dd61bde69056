using System.Buffers;
using System.Text;
using Firebreak.Detection.Readers;
using Firebreak.Detection.Sigma;

namespace Firebreak.Detection.Hunting;

/// <summary>
/// Derives a <see cref="RawRecordFilter"/> from a compiled rule set: the operation names (event names,
/// Azure operation names, GCP method names) its rules require. A record that contains none of them
/// anywhere, ignoring case, cannot match any rule and is skipped unparsed.
/// </summary>
public static class OperationRawFilter
{
    /// <summary>
    /// Shorter needles pass nearly every record and only add search cost: "Add" (an Entra audit prefix)
    /// is inside "sourceIPAddress", which every CloudTrail record has.
    /// </summary>
    private const int MinNeedleLength = 4;

    /// <summary>
    /// The filter, or null when some rule could match a record without any known literal in it (a rule
    /// with no operation constraint, a regular expression, a keyword search): then every record must be parsed.
    /// </summary>
    public static RawRecordFilter? Create(CompiledRuleSet rules) => Describe(rules).Needles is { } needles ? Create(needles) : null;

    /// <summary>The needles, or why there are none (the first rule that prevents a filter), for reports.</summary>
    public static (IReadOnlyList<string>? Needles, string? Reason) Describe(CompiledRuleSet rules)
    {
        ArgumentNullException.ThrowIfNull(rules);
        var needles = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        foreach (var rule in rules.Rules)
        {
            if (rule.OperationFilter?.RequiredLiterals() is not { } literals)
            {
                return (null, $"rule '{rule.Rule.Title}' has no constant operation name");
            }

            foreach (var literal in literals)
            {
                if (SafeNeedle(literal) is not { } needle)
                {
                    return (null, $"rule '{rule.Rule.Title}' names an operation too short or unusual to search for ('{literal}')");
                }

                needles.Add(needle);
            }
        }

        return needles.Count == 0 ? (null, "no rules") : (needles.Order(StringComparer.Ordinal).ToList(), null);
    }

    /// <summary>
    /// The record bytes are the file's own JSON, where a writer may escape characters such as '/' or
    /// anything non-ASCII. Letters, digits and a few separators are never escaped in practice, so the
    /// longest run of those inside the literal is what the search looks for.
    /// </summary>
    private static string? SafeNeedle(string literal)
    {
        var best = (Start: 0, Length: 0);
        var start = 0;
        for (var i = 0; i <= literal.Length; i++)
        {
            if (i == literal.Length || !IsPlain(literal[i]))
            {
                if (i - start > best.Length)
                {
                    best = (start, i - start);
                }

                start = i + 1;
            }
        }

        return best.Length >= MinNeedleLength ? literal.Substring(best.Start, best.Length) : null;
    }

    private static bool IsPlain(char c) => char.IsAsciiLetterOrDigit(c) || c is ' ' or '_' or '.' or ':' or '-';

    private static RawRecordFilter Create(IReadOnlyList<string> needles)
    {
        var search = SearchValues.Create([.. needles], StringComparison.OrdinalIgnoreCase);
        return record =>
        {
            // Widening each byte to a char keeps ASCII intact and is vectorised; multi-byte UTF-8 turns into
            // Latin-1 noise, which cannot form an ASCII needle, so nothing that matters is lost.
            char[]? rented = null;
            var chars = record.Length <= 4096 ? stackalloc char[record.Length] : (rented = ArrayPool<char>.Shared.Rent(record.Length)).AsSpan(0, record.Length);
            try
            {
                Encoding.Latin1.GetChars(record, chars);
                return chars.IndexOfAny(search) >= 0;
            }
            finally
            {
                if (rented is not null)
                {
                    ArrayPool<char>.Shared.Return(rented);
                }
            }
        };
    }
}
