using System.Buffers;
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
    /// <summary>Marks "no filter" where null already means "not forced".</summary>
    private static readonly Matcher AllRecords = new(null, null, null);

    /// <summary>
    /// The filter, or null when every record would have to be parsed anyway. With a forced
    /// <paramref name="format"/> every record is read as that format, so its shape decides nothing.
    /// </summary>
    public static RawRecordFilter? Create(CompiledRuleSet rules, LogFormat format = LogFormat.Auto) => Build(rules, format).Filter;

    /// <summary>What the filter searches for and which rules let whole logs through, for reports and tests.</summary>
    public static RawFilterPlan Describe(CompiledRuleSet rules) => Build(rules, LogFormat.Auto).Plan;

    private static (RawRecordFilter? Filter, RawFilterPlan Plan) Build(CompiledRuleSet rules, LogFormat format)
    {
        ArgumentNullException.ThrowIfNull(rules);
        var aws = Group.For(rules, "aws", "eventName");
        var gcp = Group.For(rules, "gcp", operationField: null);
        var any = Group.For(rules, product: null, operationField: null);
        var plan = new RawFilterPlan(any.Needles, aws.Unfilterable, gcp.Unfilterable, any.Unfilterable);
        if (rules.Rules.Count == 0 || (aws.Search is null && gcp.Search is null && any.Search is null))
        {
            return (null, plan);
        }

        var awsSearch = aws.Search;
        var gcpSearch = gcp.Search;
        var anySearch = any.Search;
        var forced = format switch
        {
            LogFormat.Auto => (Matcher?)null,
            LogFormat.CloudTrail or LogFormat.CloudTrailLake => awsSearch ?? AllRecords,
            LogFormat.GcpAudit => gcpSearch ?? AllRecords,
            _ => anySearch ?? AllRecords,
        };
        if (forced is not null)
        {
            return ReferenceEquals(forced, AllRecords) ? (null, plan) : (record => forced.IsMatch(record), plan);
        }

        RawRecordFilter filter = record =>
        {
            var search = Classify(record) switch
            {
                Shape.CloudTrail => awsSearch,
                Shape.GcpAudit => gcpSearch,
                _ => anySearch,
            };
            return search is null || search.IsMatch(record);
        };
        return (filter, plan);
    }

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
        var gcp = record.IndexOf("\"protoPayload\""u8) >= 0;
        return (cloudTrail, gcp) switch
        {
            (true, false) when record.IndexOf("protoPayload"u8) < 0 => Shape.CloudTrail,
            (false, true) => Shape.GcpAudit,
            _ => Shape.Unknown,
        };
    }

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
    private sealed record Group(IReadOnlyList<string> Needles, IReadOnlyList<string> Unfilterable, Matcher? Search)
    {
        public static Group For(CompiledRuleSet rules, string? product, string? operationField)
        {
            var anywhere = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
            var inOperation = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
            var unfilterable = new List<string>();
            foreach (var rule in rules.Rules)
            {
                var ruleProduct = rule.Rule.LogSource.Product;
                if (product is not null && ruleProduct is not null && !ruleProduct.Equals(product, StringComparison.OrdinalIgnoreCase))
                {
                    continue;
                }

                if (rule.RequiredNeedles is not { } ruleNeedles)
                {
                    unfilterable.Add(rule.Rule.Title);
                    continue;
                }

                foreach (var needle in ruleNeedles)
                {
                    (operationField is not null && needle.Field == operationField ? inOperation : anywhere).Add(needle.Text);
                }
            }

            var all = anywhere.Union(inOperation, StringComparer.OrdinalIgnoreCase).Order(StringComparer.Ordinal).ToList();
            var search = unfilterable.Count > 0 ? null : new Matcher(Create(anywhere), Create(inOperation), operationField);
            return new Group(all, unfilterable, search);
        }

        private static SearchValues<string>? Create(HashSet<string> needles) =>
            needles.Count == 0 ? null : SearchValues.Create([.. needles.Order(StringComparer.Ordinal)], StringComparison.OrdinalIgnoreCase);
    }

    /// <summary>Tests one record against a group's needles.</summary>
    private sealed class Matcher(SearchValues<string>? anywhere, SearchValues<string>? inOperation, string? operationField)
    {
        private readonly byte[] key = operationField is null ? [] : Encoding.UTF8.GetBytes($"\"{operationField}\"");

        public bool IsMatch(ReadOnlySpan<byte> record)
        {
            if (inOperation is not null && OperationValuesMatch(record))
            {
                return true;
            }

            return anywhere is not null && ContainsAny(record, anywhere);
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
                var i = 0;
                while (i < rest.Length && rest[i] is (byte)' ' or (byte)'\t' or (byte)'\r' or (byte)'\n')
                {
                    i++;
                }

                if (i >= rest.Length || rest[i] != (byte)':')
                {
                    continue;
                }

                found = true;
                i++;
                while (i < rest.Length && rest[i] is (byte)' ' or (byte)'\t' or (byte)'\r' or (byte)'\n')
                {
                    i++;
                }

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
    }
}

/// <summary>
/// What a raw filter searches for: every rule's needles, and per log the rules without needles,
/// which let every record of that log through.
/// </summary>
public sealed record RawFilterPlan(
    IReadOnlyList<string> Needles,
    IReadOnlyList<string> UnfilteredCloudTrailRules,
    IReadOnlyList<string> UnfilteredGcpRules,
    IReadOnlyList<string> UnfilteredRules);
