using System.Buffers;
using System.Buffers.Text;
using System.Text;
using Firebreak.Detection.Readers;
using Firebreak.Detection.Sigma;

namespace Firebreak.Detection.Hunting;

/// <summary>
/// Derives a <see cref="RawRecordFilter"/> from a compiled rule set. Every rule that allows it names
/// needles (<see cref="CompiledRule.RequiredNeedles"/>): an event name, a principal type, a value it
/// compares with. A record containing none of the needles of the rules that could apply to it is
/// skipped unparsed.
/// </summary>
/// <remarks>
/// Which rules could apply depends on the record's log: the rules of another cloud never see it. A
/// record is taken as CloudTrail when its raw text has the property names <c>"eventSource"</c>,
/// <c>"eventName"</c> and <c>"eventTime"</c> or <c>"eventVersion"</c> (what the CloudTrail reader
/// looks for) and neither a GCP <c>protoPayload</c> nor an OCSF <c>class_uid</c> anywhere;
/// as a GCP audit entry when it has <c>"protoPayload"</c> and neither of the others. Anything else
/// may be of any log, so every rule applies. A rule without needles (a regular expression, a
/// negation, only a field's existence) therefore lets every record of its own cloud through, and
/// every record of unknown shape, but not the records of the other clouds.
/// </remarks>
public static class RuleRawFilter
{
    /// <summary>
    /// The filter, or null when every record would have to be parsed anyway. With a forced
    /// <paramref name="format"/> every record is read as that format, so its shape decides nothing.
    /// </summary>
    public static RawRecordFilter? Create(CompiledRuleSet rules, LogFormat format = LogFormat.Auto)
    {
        ArgumentNullException.ThrowIfNull(rules);
        if (rules.Rules.Count == 0)
        {
            return null;
        }

        var (aws, gcp, any) = Groups(rules);
        var awsSearch = aws.Search();
        var gcpSearch = gcp.Search();
        var anySearch = any.Search();
        if (format != LogFormat.Auto)
        {
            var (forced, shape) = format switch
            {
                LogFormat.CloudTrail or LogFormat.CloudTrailLake => (awsSearch, Shape.CloudTrail),
                LogFormat.GcpAudit => (gcpSearch, Shape.GcpAudit),
                _ => (anySearch, Shape.Unknown),
            };

            // A record that plainly has another log's shape (CloudTrail read as GCP, say), or none of the forced
            // format's marks, is passed on for the reader to report: skipped here, a wrongly forced format made a
            // whole log read as clean.
            var forcedMarks = Marks(format);
            return forced is null ? null : record => Classify(record) is var seen && (seen != Shape.Unknown && seen != shape || forced.IsMatch(record) || !ContainsAny(record, forcedMarks));
        }

        if (awsSearch is null && gcpSearch is null && anySearch is null)
        {
            return null;
        }

        // A record classified as CloudTrail or GCP carries that format's mark by the classification itself.
        var unknown = ForUnknownShape(anySearch);
        return record => Classify(record) switch
        {
            Shape.CloudTrail => awsSearch is null || awsSearch.IsMatch(record),
            Shape.GcpAudit => gcpSearch is null || gcpSearch.IsMatch(record),
            _ => unknown(record),
        };
    }

    /// <summary>
    /// For a record of unknown log, every rule's texts decide; and a record of no format the reader knows is passed on
    /// too, so that it is reported as unrecognised rather than counted as skipped: a file of something else entirely
    /// must not read as a clean log. With no search (a rule without needles), every such record is kept.
    /// </summary>
    private static RawRecordFilter ForUnknownShape(Matcher? anySearch)
    {
        if (anySearch is null)
        {
            return static _ => true;
        }

        var marks = Marks(LogFormat.Auto);
        return record => anySearch.IsMatch(record) || !ContainsAny(record, marks);
    }

    /// <summary>
    /// The filter for a record whose log is not known (<see cref="ReaderOptions.RawFilterForUnknownShape"/>): every rule
    /// could apply to it, so one rule without needles keeps every such record. With a forced format, whose rules are
    /// the ones that apply whatever the record's shape, there is none.
    /// </summary>
    public static RawRecordFilter? CreateForUnknownShape(CompiledRuleSet rules, LogFormat format = LogFormat.Auto)
    {
        ArgumentNullException.ThrowIfNull(rules);
        return rules.Rules.Count == 0 || format != LogFormat.Auto ? null : ForUnknownShape(Groups(rules).Any.Search());
    }

    /// <summary>Which rules let whole logs through, for reports and tests.</summary>
    public static RawFilterPlan Describe(CompiledRuleSet rules)
    {
        ArgumentNullException.ThrowIfNull(rules);
        var (aws, gcp, any) = Groups(rules);
        return new RawFilterPlan(aws.Unfilterable, gcp.Unfilterable, any.Unfilterable);
    }

    private static (Group Aws, Group Gcp, Group Any) Groups(CompiledRuleSet rules) =>
        (Group.For(rules, "aws", "eventName"), Group.For(rules, "gcp", operationField: null), Group.For(rules, product: null, operationField: null));

    private enum Shape
    {
        Unknown,
        CloudTrail,
        GcpAudit,
    }

    private static Shape Classify(ReadOnlySpan<byte> record)
    {
        if (record.IndexOf("class_uid"u8) >= 0)
        {
            return Shape.Unknown;
        }

        var cloudTrail = record.IndexOf("\"eventSource\""u8) >= 0 && record.IndexOf("\"eventName\""u8) >= 0
            && (record.IndexOf("\"eventTime\""u8) >= 0 || record.IndexOf("\"eventVersion\""u8) >= 0);
        if (record.IndexOf("protoPayload"u8) < 0)
        {
            return cloudTrail ? Shape.CloudTrail : Shape.Unknown;
        }

        // protoPayload somewhere: a GCP entry if it is a property name and CloudTrail's are not there.
        return !cloudTrail && record.IndexOf("\"protoPayload\""u8) >= 0 ? Shape.GcpAudit : Shape.Unknown;
    }

    private static SearchValues<string> Marks(LogFormat format) =>
        SearchValues.Create([.. Readers.Mapping.RecordMappers.Markers(format)], StringComparison.OrdinalIgnoreCase);

    private static bool ContainsAny(ReadOnlySpan<byte> record, SearchValues<string> needles)
    {
        // Widening each byte to a char keeps ASCII intact and is vectorised; multi-byte UTF-8 turns into
        // Latin-1 noise, which cannot form an ASCII needle, so nothing that matters is lost.
        char[]? rented = null;
        var chars = record.Length <= 4096 ? stackalloc char[record.Length] : (rented = ArrayPool<char>.Shared.Rent(record.Length)).AsSpan(0, record.Length);
        try
        {
            Encoding.Latin1.GetChars(record, chars);
            return chars.IndexOfAny(needles) >= 0;
        }
        finally
        {
            if (rented is not null)
            {
                ArrayPool<char>.Shared.Return(rented);
            }
        }
    }

    /// <summary>
    /// The rules that can see records of one product (null: every rule) and their needles: those
    /// known to be inside the operation field (for CloudTrail, eventName) are looked for in that
    /// field's value only; the rest anywhere in the record.
    /// </summary>
    private sealed record Group(HashSet<string> Anywhere, HashSet<string> InOperation, string? OperationField, List<string> Unfilterable)
    {
        public static Group For(CompiledRuleSet rules, string? product, string? operationField)
        {
            var group = new Group(new(StringComparer.OrdinalIgnoreCase), new(StringComparer.OrdinalIgnoreCase), operationField, []);
            foreach (var rule in rules.Rules)
            {
                var ruleProduct = rule.Rule.LogSource.Product;
                if (product is not null && ruleProduct is not null && !ruleProduct.Equals(product, StringComparison.OrdinalIgnoreCase))
                {
                    continue;
                }

                if (rule.RequiredNeedles is not { } ruleNeedles)
                {
                    group.Unfilterable.Add(rule.Rule.Title);
                    continue;
                }

                foreach (var needle in ruleNeedles)
                {
                    (operationField is not null && needle.Field == operationField ? group.InOperation : group.Anywhere).Add(needle.Text);
                }
            }

            return group;
        }

        /// <summary>The matcher, or null when a rule without needles makes every record of this group count.</summary>
        public Matcher? Search() => Unfilterable.Count > 0 ? null
            : new Matcher(Create(Anywhere), Create(InOperation), OperationField, Anywhere.Concat(InOperation).Any(n => n.Contains('/')));

        private static SearchValues<string>? Create(HashSet<string> needles) =>
            needles.Count == 0 ? null : SearchValues.Create([.. needles.Order(StringComparer.Ordinal)], StringComparison.OrdinalIgnoreCase);
    }

    /// <summary>Tests one record against a group's needles.</summary>
    private sealed class Matcher(SearchValues<string>? anywhere, SearchValues<string>? inOperation, string? operationField, bool needlesHaveASlash)
    {
        private readonly byte[] key = operationField is null ? [] : Encoding.UTF8.GetBytes($"\"{operationField}\"");

        public bool IsMatch(ReadOnlySpan<byte> record)
        {
            if (inOperation is not null && OperationValuesMatch(record))
            {
                return true;
            }

            if (anywhere is not null && ContainsAny(record, anywhere))
            {
                return true;
            }

            // An escaped name hides the field as well as a value: "event\u004eame" is eventName.
            return EscapesANeedleCharacter(record);
        }

        /// <summary>
        /// Whether the record writes a character needles are made of as a <c>\uXXXX</c> escape (<c>\u0041</c>
        /// for A) or, when a needle holds a '/', as <c>\/</c>: JSON allows both, and the raw search cannot see through
        /// them, so such a record is kept. (<c>\\/</c>, an escaped backslash before a plain '/', is kept too: more records
        /// kept, never fewer.)
        /// </summary>
        private bool EscapesANeedleCharacter(ReadOnlySpan<byte> record)
        {
            if (needlesHaveASlash && record.IndexOf("\\/"u8) >= 0)
            {
                return true;
            }

            var rest = record;
            while (rest.IndexOf("\\u"u8) is var at and >= 0)
            {
                rest = rest[(at + 2)..];
                if (rest.Length >= 4 && Utf8Parser.TryParse(rest[..4], out ushort code, out var used, 'x') && used == 4 && RawNeedles.IsPlain((char)code))
                {
                    return true;
                }
            }

            return false;
        }

        /// <summary>
        /// Looks at the value after every <c>"eventName":</c> in the record: the top-level one is among
        /// them. A value that is not a plain string (escaped, or not a string at all) counts as a match.
        /// </summary>
        private bool OperationValuesMatch(ReadOnlySpan<byte> record)
        {
            var rest = record;
            var found = false;
            while (rest.IndexOf(key) is var at and >= 0)
            {
                rest = rest[(at + key.Length)..];
                var i = SkipWhitespace(rest, 0);
                if (i >= rest.Length || rest[i] != (byte)':')
                {
                    continue;
                }

                found = true;
                i = SkipWhitespace(rest, i + 1);

                if (i >= rest.Length || rest[i] != (byte)'"')
                {
                    return true;
                }

                var value = rest[(i + 1)..];
                var end = value.IndexOfAny((byte)'"', (byte)'\\');
                if (end < 0 || value[end] == (byte)'\\')
                {
                    return true;
                }

                if (ContainsAny(value[..end], inOperation!))
                {
                    return true;
                }

                rest = value[end..];
            }

            // No such field where it was expected: nothing is known, so the record is kept.
            return !found;
        }

        private static int SkipWhitespace(ReadOnlySpan<byte> json, int i)
        {
            while (i < json.Length && json[i] is (byte)' ' or (byte)'\t' or (byte)'\r' or (byte)'\n')
            {
                i++;
            }

            return i;
        }
    }
}

/// <summary>Per log, the rules without needles, which let every record of that log through.</summary>
public sealed record RawFilterPlan(
    IReadOnlyList<string> UnfilteredCloudTrailRules,
    IReadOnlyList<string> UnfilteredGcpRules,
    IReadOnlyList<string> UnfilteredRules);
