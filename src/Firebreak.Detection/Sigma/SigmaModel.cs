namespace Firebreak.Detection.Sigma;

/// <summary>Where a rule document came from: the file name, the line its YAML document starts on and the lines of its top-level keys.</summary>
public sealed record RuleSource(string File, int Line)
{
    public IReadOnlyDictionary<string, int> KeyLines { get; init; } = new Dictionary<string, int>();

    /// <summary>The line of a top-level key, or of the document when the key is absent.</summary>
    public int LineOf(string key) => KeyLines.TryGetValue(key, out var line) ? line : Line;
}

public sealed record SigmaLogSource(string? Product, string? Service, string? Category)
{
    public override string ToString() => string.Join('/', new[] { Product, Service, Category }.Where(s => s is not null));
}

/// <summary>Common metadata of every Sigma document kind (detection rule, correlation, filter).</summary>
public abstract record SigmaDocument
{
    public required string Title { get; init; }

    public string? Id { get; init; }

    public string? Name { get; init; }

    public string? Description { get; init; }

    public string? Status { get; init; }

    public string? Level { get; init; }

    public IReadOnlyList<string> Tags { get; init; } = [];

    public required RuleSource Source { get; init; }

    /// <summary>Firebreak's embedded test events, if the document carries a <c>firebreak.tests</c> section.</summary>
    public IReadOnlyList<RuleTestCase> Tests { get; init; } = [];

    /// <summary>The id when present, otherwise the name, otherwise the title: what reports show.</summary>
    public string Key => Id ?? Name ?? Title;
}

public sealed record SigmaRule : SigmaDocument
{
    public required SigmaLogSource LogSource { get; init; }

    public required SigmaDetection Detection { get; init; }
}

public sealed record SigmaFilter : SigmaDocument
{
    public required SigmaLogSource LogSource { get; init; }

    /// <summary>Ids or names of the rules the filter's condition is ANDed into.</summary>
    public required IReadOnlyList<string> Rules { get; init; }

    /// <summary>
    /// <c>rules: any</c> (or <c>all</c>, or an empty list): the filter applies to every rule of its log source, as the
    /// specification (v2.2) lets a filter declare.
    /// </summary>
    public bool AppliesToEveryRule => Rules.Count == 0
        || (Rules.Count == 1 && (Rules[0].Equals("any", StringComparison.OrdinalIgnoreCase) || Rules[0].Equals("all", StringComparison.OrdinalIgnoreCase)));

    public required SigmaDetection Detection { get; init; }
}

public enum CorrelationType
{
    EventCount,
    ValueCount,
    Temporal,
    TemporalOrdered,

    /// <summary>The sum of a numeric field over a group's matches in the timespan (a later addition to the specification).</summary>
    ValueSum,

    /// <summary>The mean of a numeric field.</summary>
    ValueAvg,

    /// <summary>The median of a numeric field.</summary>
    ValueMedian,

    /// <summary>A percentile (the condition's <c>percentile</c>) of a numeric field.</summary>
    ValuePercentile,
}

public static class CorrelationTypes
{
    /// <summary>Whether the type aggregates a numeric field (sum, mean, median, percentile) rather than counting.</summary>
    public static bool IsAggregate(this CorrelationType type) =>
        type is CorrelationType.ValueSum or CorrelationType.ValueAvg or CorrelationType.ValueMedian or CorrelationType.ValuePercentile;

    /// <summary>Whether the type reads the condition's field from each match.</summary>
    public static bool ReadsField(this CorrelationType type) => type == CorrelationType.ValueCount || type.IsAggregate();
}

public enum ComparisonOperator
{
    Gt,
    Gte,
    Lt,
    Lte,
    Eq,
    Neq,
}

public sealed record CorrelationCondition(ComparisonOperator Operator, double Value, string? Field)
{
    /// <summary>For <c>value_percentile</c>: which percentile (0 to 100) of the field's values is compared.</summary>
    public double? Percentile { get; init; }

    /// <summary>
    /// Further comparisons that must hold as well: the specification writes a range as two keys of one mapping
    /// (<c>gt: 100</c>, <c>lte: 200</c>), a conjunction.
    /// </summary>
    public IReadOnlyList<(ComparisonOperator Operator, double Value)> Also { get; init; } = [];

    /// <summary>Whether a count (a whole number) or an aggregate (a sum, mean, median, percentile) meets the condition.</summary>
    public bool IsSatisfiedBy(double count)
    {
        if (!Holds(Operator, Value, count))
        {
            return false;
        }

        foreach (var (op, value) in Also)
        {
            if (!Holds(op, value, count))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>
    /// Growing counts can satisfy lower bounds as soon as they happen; a condition with any other comparison (an
    /// upper bound, an equality) can only be judged when the window closes.
    /// </summary>
    public bool FiresEarly => IsLowerBound(Operator) && Also.All(c => IsLowerBound(c.Operator));

    private static bool IsLowerBound(ComparisonOperator op) => op is ComparisonOperator.Gt or ComparisonOperator.Gte;

    private static bool Holds(ComparisonOperator op, double value, double count) => op switch
    {
        ComparisonOperator.Gt => count > value,
        ComparisonOperator.Gte => count >= value,
        ComparisonOperator.Lt => count < value,
        ComparisonOperator.Lte => count <= value,
        ComparisonOperator.Eq => count == value,
        _ => count != value,
    };
}

public sealed record SigmaCorrelation : SigmaDocument
{
    public required CorrelationType Type { get; init; }

    public required IReadOnlyList<string> Rules { get; init; }

    public IReadOnlyList<string> GroupBy { get; init; } = [];

    public required TimeSpan Timespan { get; init; }

    public required CorrelationCondition Condition { get; init; }

    /// <summary>alias name → (rule id or name → field in that rule's events).</summary>
    public IReadOnlyDictionary<string, IReadOnlyDictionary<string, string>> Aliases { get; init; } =
        new Dictionary<string, IReadOnlyDictionary<string, string>>();

    public bool Generate { get; init; }
}

/// <summary>The parsed detection section: named searches and the condition combining them.</summary>
public sealed record SigmaDetection(IReadOnlyDictionary<string, SearchIdentifier> Searches, ConditionNode Condition, string ConditionText);

/// <summary>A named search: alternatives (OR) of groups of items that must all hold (AND).</summary>
public sealed record SearchIdentifier(string Name, IReadOnlyList<IReadOnlyList<DetectionItem>> Alternatives, int Line);

/// <summary>One <c>field|modifiers: values</c> entry; <see cref="Field"/> is null for keyword searches.</summary>
public sealed record DetectionItem(string? Field, IReadOnlyList<string> Modifiers, IReadOnlyList<string?> Values, int Line, int Column);

/// <summary>An embedded test: the events (repeated <see cref="Repeat"/> times, for correlation thresholds) and whether the rule must fire.</summary>
public sealed record RuleTestCase(bool ShouldMatch, IReadOnlyList<System.Text.Json.JsonElement> Events, string? Description, int Line, int Repeat = 1);

public abstract record ConditionNode;

public sealed record AndNode(ConditionNode Left, ConditionNode Right) : ConditionNode;

public sealed record OrNode(ConditionNode Left, ConditionNode Right) : ConditionNode;

public sealed record NotNode(ConditionNode Operand) : ConditionNode;

public sealed record SearchRefNode(string Name) : ConditionNode;

/// <summary><c>1 of pattern</c> / <c>all of pattern</c>; a null pattern means <c>them</c>.</summary>
public sealed record OfNode(bool All, string? Pattern) : ConditionNode;
