namespace Firebreak.Detection.Sigma;

/// <summary>
/// Needles: short texts searched for in a record's raw bytes, ignoring case, before the record is
/// parsed. A rule's needles are such that every record it can match contains at least one of them.
/// </summary>
internal static class RawNeedles
{
    /// <summary>
    /// Shorter needles pass nearly every record and only add search cost: "Add" (an Entra audit prefix)
    /// is inside "sourceIPAddress", which every CloudTrail record has.
    /// </summary>
    public const int MinLength = 4;

    /// <summary>
    /// The needle for each literal a match must contain, or null when one of them has none. The record
    /// bytes are the file's own JSON, where a writer may escape characters such as '/' or anything
    /// non-ASCII. Letters, digits and a few separators are rarely escaped, so the longest run of those
    /// inside the literal is what is searched for; a record that does escape one of them is kept unsearched
    /// (<see cref="Firebreak.Detection.Hunting.RuleRawFilter"/>).
    /// </summary>
    public static NeedleSet? From(IReadOnlyList<string>? literals, IEnumerable<string> paths)
    {
        if (literals is null)
        {
            return null;
        }

        var fields = paths.ToList();
        // One path, or CloudTrail's eventName beside where Security Lake's OCSF keeps it: a record of CloudTrail's own
        // shape has only the first, so the pre-filter may still look for the needle in its eventName alone.
        var field = fields.Count == 1 || fields.SequenceEqual(FieldMappings.CloudTrailOperation) ? fields[0] : null;
        var needles = new List<RuleNeedle>(literals.Count);
        foreach (var literal in literals)
        {
            if (Needle(literal) is not { } needle)
            {
                return null;
            }

            needles.Add(new RuleNeedle(needle, field));
        }

        var rank = fields.Count > 0 && fields.All(OperationFields.Contains) ? NeedleRank.Operation
            : fields.Any(BroadFields.Contains) || needles.Any(n => BroadValues.Contains(n.Text)) ? NeedleRank.Broad
            : NeedleRank.Value;
        return new NeedleSet(Distinct(needles), rank);
    }

    /// <summary>All of the operands hold, so any one's needles will do: the one expected to pass the fewest records.</summary>
    public static NeedleSet? MostSelective(IEnumerable<NeedleSet?> candidates)
    {
        NeedleSet? best = null;
        foreach (var candidate in candidates)
        {
            if (candidate is null)
            {
                continue;
            }

            if (candidate.Items.Count == 0)
            {
                return candidate;
            }

            if (best is null || candidate.Score.CompareTo(best.Score) > 0)
            {
                best = candidate;
            }
        }

        return best;
    }

    /// <summary>Any one of the operands may hold, so a record must contain a needle of one of them; null when one of them has none.</summary>
    public static NeedleSet? Union(IEnumerable<NeedleSet?> operands)
    {
        var all = new List<RuleNeedle>();
        var rank = NeedleRank.Operation;
        foreach (var operand in operands)
        {
            if (operand is null)
            {
                return null;
            }

            all.AddRange(operand.Items);
            rank = operand.Items.Count > 0 && operand.Rank < rank ? operand.Rank : rank;
        }

        return new NeedleSet(Distinct(all), rank);
    }

    /// <summary>Fields that name what was done: their values are the rarest texts in a log.</summary>
    private static readonly HashSet<string> OperationFields = new(StringComparer.OrdinalIgnoreCase)
    {
        "eventName", "operationName", "operationName.value", "OperationNameValue", "properties.operationName",
        "activityDisplayName", "properties.activityDisplayName", "OperationName", "protoPayload.methodName",
        "data.protoPayload.methodName", "methodName", "api.operation",
    };

    /// <summary>Fields with a handful of values that most records share (a service, a principal type, a flag).</summary>
    private static readonly HashSet<string> BroadFields = new(StringComparer.OrdinalIgnoreCase)
    {
        "eventSource", "eventType", "eventCategory", "awsRegion", "readOnly", "managementEvent", "recipientAccountId",
        "userIdentity.type", "userIdentity.sessionContext.sessionIssuer.type", "userIdentity.sessionContext.attributes.mfaAuthenticated",
        "category", "Category", "resultType", "status", "Status", "result", "level", "protoPayload.serviceName", "severity",
    };

    /// <summary>Values found all over any log, whatever field a rule names.</summary>
    private static readonly HashSet<string> BroadValues = new(StringComparer.OrdinalIgnoreCase)
    {
        "true", "false", "null", "success", "failure", "Succeeded", "Failed",
    };

    private static List<RuleNeedle> Distinct(List<RuleNeedle> needles) => needles.Distinct().ToList();

    private static string? Needle(string literal)
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

        return best.Length >= MinLength ? literal.Substring(best.Start, best.Length) : null;
    }

    /// <summary>
    /// The characters a needle is made of. '/' is among them (an ARN, a path, an Azure operation is cut into short,
    /// common pieces without it), though JSON may write it as <c>\/</c>: a record that does is kept unsearched, as one
    /// with a <c>\u</c> escape of any of them.
    /// </summary>
    public static bool IsPlain(char c) => char.IsAsciiLetterOrDigit(c) || c is ' ' or '_' or '.' or ':' or '-' or '/';
}

/// <summary>How selective a set of needles is expected to be, from the fields it came from.</summary>
internal enum NeedleRank
{
    Broad,
    Value,
    Operation,
}

/// <summary>Needles of which a record must contain one, and how selective they are expected to be.</summary>
internal sealed record NeedleSet(IReadOnlyList<RuleNeedle> Items, NeedleRank Rank)
{
    public static readonly NeedleSet Nothing = new([], NeedleRank.Operation);

    /// <summary>This set, or null when asked for needles beyond the operation name and these are from it.</summary>
    public NeedleSet? Beyond(bool beyondOperation) => beyondOperation && Rank == NeedleRank.Operation && Items.Count > 0 ? null : this;

    /// <summary>Better fields first; then longer needles, which are rarer in unrelated records; then fewer of them.</summary>
    public (NeedleRank Rank, int ShortestLength, int NegativeCount) Score =>
        (Rank, Items.Count == 0 ? int.MaxValue : Items.Min(n => n.Text.Length), -Items.Count);
}

/// <summary>
/// A text a record must contain, ignoring case; when <paramref name="Field"/> is set, the text is
/// inside the value of that one native field (a dotted path), so a reader that can find the field in
/// the raw bytes may look only there.
/// </summary>
public sealed record RuleNeedle(string Text, string? Field);
