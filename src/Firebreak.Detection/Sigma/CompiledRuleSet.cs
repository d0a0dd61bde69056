using System.Buffers;
using System.Collections.Concurrent;
using System.Numerics;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json;
using Firebreak.Detection.Events;

namespace Firebreak.Detection.Sigma;

/// <summary>A rule or filter and the number of values its timed regular expressions took as no match for want of time.</summary>
public sealed record UndecidedValues(SigmaDocument Document, long Values);

/// <summary>A field a rule looks at and the value it had in the matching event.</summary>
public sealed record MatchedField(string Name, string? Value);

/// <summary>A detection rule compiled for matching; immutable and safe to share between threads.</summary>
public sealed class CompiledRule
{
    private readonly IReadOnlyList<KeyValuePair<string, FieldAccessor>> fields;

    private readonly ScopedPredicate[] scopedFields;

    internal CompiledRule(SigmaRule rule, Predicate predicate, IReadOnlyDictionary<string, FieldAccessor> fields, ValueMatcher? operationFilter, int ordinal, bool gate = true, ScopedPredicate[]? scopedFields = null)
    {
        Rule = rule;
        Predicate = predicate;
        this.fields = fields.ToList();
        this.scopedFields = scopedFields ?? [];
        OperationFilter = operationFilter;
        Ordinal = ordinal;
        RequiredNeedles = predicate.RequiredNeedles()?.Items;
        if (gate && predicate.RequiredNeedles(beyondOperation: true) is { Items.Count: > 0 } needles)
        {
            Gate = SearchValues.Create([.. needles.Items.Select(n => n.Text).Distinct(StringComparer.OrdinalIgnoreCase).Order(StringComparer.Ordinal)], StringComparison.OrdinalIgnoreCase);
            GateHasASlash = needles.Items.Any(n => n.Text.Contains('/'));
        }
    }

    public SigmaRule Rule { get; }

    internal Predicate Predicate { get; }

    /// <summary>What the log's operation name must satisfy for the rule to possibly match; null when the rule does not say.</summary>
    internal ValueMatcher? OperationFilter { get; }

    internal int Ordinal { get; }

    internal IReadOnlyList<KeyValuePair<string, FieldAccessor>> Fields => fields;

    /// <summary>
    /// Texts of which every record this rule can match contains at least one, ignoring case (see
    /// <see cref="RawNeedles"/>); null when the rule cannot promise any (a regular expression, a
    /// negation, a derived field).
    /// </summary>
    public IReadOnlyList<RuleNeedle>? RequiredNeedles { get; }

    /// <summary>
    /// Needles other than the operation name of which the raw record of every event this rule can
    /// match contains one, ignoring case; a record without any is not evaluated. Cheaper than the
    /// evaluation for rules that look at fields deep in the record or at several fields, and most
    /// records have none of a rule's needles. Null when the rule promises none.
    /// </summary>
    internal SearchValues<string>? Gate { get; }

    /// <summary>Whether a needle of <see cref="Gate"/> holds a '/', which a record may write as <c>\/</c>.</summary>
    internal bool GateHasASlash { get; }

    /// <summary>The rule is only tried on events whose operation name passes its operation filter.</summary>
    public bool IsIndexed => OperationFilter is not null;

    public bool Matches(CloudEvent e) => LogSourceMatches(Rule.LogSource, e.LogSource) && Predicate.Evaluate(e);

    /// <summary>
    /// The rule's fields present in the event, for analysts reading a hit. A field written <c>list[].field</c> is given
    /// from the first item of the list that passed all of its map's tests, as the rule names it.
    /// </summary>
    public IReadOnlyList<MatchedField> DescribeMatch(CloudEvent e)
    {
        var described = new List<MatchedField>(fields.Count);
        foreach (var (name, accessor) in fields)
        {
            if (accessor.FirstValue(e) is { } value)
            {
                described.Add(new MatchedField(name, value));
            }
        }

        foreach (var scoped in scopedFields)
        {
            scoped.Describe(e, described);
        }

        return described;
    }

    internal static bool LogSourceMatches(SigmaLogSource rule, LogSource source) =>
        (rule.Product is null || rule.Product.Equals(source.Product, StringComparison.OrdinalIgnoreCase))
        && (rule.Service is null || rule.Service.Equals(source.Service, StringComparison.OrdinalIgnoreCase))
        && (rule.Category is null || rule.Category.Equals(source.Category, StringComparison.OrdinalIgnoreCase));
}

/// <summary>
/// All compiled detection rules plus the correlations and filters that came with them. Events are
/// only tested against candidate rules: those of their log source whose operation-name constraint
/// (if any) the event satisfies.
/// </summary>
public sealed class CompiledRuleSet
{
    private readonly ConcurrentDictionary<LogSource, Bucket> buckets = new();
    private readonly Func<LogSource, Bucket> build;
    private readonly FieldMappings mappings;

    // Consecutive events nearly always share a log source; comparing the strings is cheaper than hashing the record.
    private volatile BucketEntry? lastBucket;

    // The rules' and filters' regular expressions on the backtracking engine, whose undecided values a hunt reports.
    private readonly IReadOnlyList<(SigmaDocument Document, IReadOnlyList<RegexMatcher> Matchers)> timedRegexes;

    private CompiledRuleSet(IReadOnlyList<CompiledRule> rules, IReadOnlyList<SigmaCorrelation> correlations, IReadOnlyList<SigmaDiagnostic> diagnostics, SigmaCompileOptions options,
        IReadOnlyList<(SigmaDocument Document, IReadOnlyList<RegexMatcher> Matchers)> timedRegexes)
    {
        this.timedRegexes = timedRegexes;
        Rules = rules;
        Correlations = correlations;
        Diagnostics = diagnostics;
        Options = options;
        mappings = options.FieldMappings;
        build = Build;
    }

    public IReadOnlyList<CompiledRule> Rules { get; }

    public IReadOnlyList<SigmaCorrelation> Correlations { get; }

    /// <summary>Rules or filters that could not be compiled (the rest still run).</summary>
    public IReadOnlyList<SigmaDiagnostic> Diagnostics { get; }

    public SigmaCompileOptions Options { get; }

    /// <summary>How long a regular expression on the backtracking engine may take over one value.</summary>
    public static TimeSpan RegexTimeLimit => RegexMatcher.BacktrackingLimit;

    /// <summary>
    /// The rules and filters whose regular expressions (those on the backtracking engine, timed per value) could not
    /// decide some values within <see cref="RegexMatcher.BacktrackingLimit"/>, with how many: each such value was taken
    /// as no match, so a hunt must say so. Counted since the set was compiled.
    /// </summary>
    public IReadOnlyList<UndecidedValues> Undecided() =>
        [.. timedRegexes.Select(t => new UndecidedValues(t.Document, t.Matchers.Sum(m => m.Undecided))).Where(u => u.Values > 0)];

    /// <summary>The code of the error for a second rule with an id already used; the linter reports those itself, for every kind of document.</summary>
    public const string DuplicateIdCode = "duplicate-id";

    /// <summary>The code of the warning for a second rule or correlation with a name already used; the linter reports those itself, as errors.</summary>
    public const string DuplicateNameCode = "duplicate-name";

    /// <summary>How a second document with an id or name already used is described, by <see cref="Compile"/> and the linter alike.</summary>
    public static string AlreadyUsed(string what, string value, SigmaDocument first, string key) =>
        $"{what} {value} is already used by '{first.Title}' ({first.Source.File}:{first.Source.LineOf(key)})";

    public static CompiledRuleSet Compile(IEnumerable<SigmaDocument> documents, SigmaCompileOptions? options = null)
    {
        options ??= new SigmaCompileOptions();
        var docs = documents.ToList();
        var diagnostics = new List<SigmaDiagnostic>();
        var timed = new List<(SigmaDocument Document, IReadOnlyList<RegexMatcher> Matchers)>();
        var filtersByTarget = new Dictionary<string, List<(SigmaFilter Filter, Predicate Predicate)>>(StringComparer.OrdinalIgnoreCase);
        var filtersOfEveryRule = new List<(SigmaFilter Filter, Predicate Predicate)>();
        foreach (var filter in docs.OfType<SigmaFilter>())
        {
            try
            {
                var compiler = new DetectionCompiler(filter.LogSource, options, filter.Source.File);
                var predicate = compiler.Compile(filter.Detection);
                diagnostics.AddRange(compiler.Warnings.Select(w => AtDocument(w, filter.Source.Line)));
                if (compiler.TimedRegexes.Count > 0) timed.Add((filter, compiler.TimedRegexes));
                if (filter.AppliesToEveryRule)
                {
                    filtersOfEveryRule.Add((filter, predicate));
                    continue;
                }

                foreach (var target in filter.Rules)
                {
                    if (!filtersByTarget.TryGetValue(target, out var list))
                    {
                        filtersByTarget[target] = list = [];
                    }

                    list.Add((filter, predicate));
                }
            }
            catch (SigmaRuleException ex)
            {
                diagnostics.Add(new SigmaDiagnostic(filter.Source.File, ex.Line, ex.Column, DiagnosticSeverity.Error, "filter", ex.Message));
            }
        }

        // A name is how correlations and filters refer to a rule. Two rules (or correlations) of one name both run, but a
        // correlation naming it takes the first, and a filter naming it applies to both: said, not left to be found.
        // A rule left out for its id (a copy of another) is said once, for that.
        var firstIds = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        var names = new Dictionary<string, SigmaDocument>(StringComparer.OrdinalIgnoreCase);
        foreach (var document in docs.Where(d => d is SigmaCorrelation || (d is SigmaRule rule && (rule.Id is null || firstIds.Add(rule.Id)))))
        {
            if (document.Name is { } name && !names.TryAdd(name, document))
            {
                diagnostics.Add(new SigmaDiagnostic(document.Source.File, document.Source.LineOf("name"), 1, DiagnosticSeverity.Warning, DuplicateNameCode,
                    AlreadyUsed("name", name, names[name], "name") + "; a correlation naming it refers to that one, and a filter naming it applies to both"));
            }
        }

        // A filter whose rules: lists a rule that is not there (a typo, a rule renamed) filters nothing for it: the false
        // positives it was written for come back without a word.
        var ruleKeys = docs.OfType<SigmaRule>().SelectMany(r => new[] { r.Id, r.Name }).OfType<string>().ToHashSet(StringComparer.OrdinalIgnoreCase);
        foreach (var filter in docs.OfType<SigmaFilter>().Where(f => !f.AppliesToEveryRule))
        {
            var unknown = filter.Rules.Where(r => !ruleKeys.Contains(r)).ToList();
            if (unknown.Count > 0)
            {
                diagnostics.Add(new SigmaDiagnostic(filter.Source.File, filter.Source.LineOf("filter"), 1, DiagnosticSeverity.Warning, "filter",
                    $"filter '{filter.Title}' names rule(s) not among those loaded, which it therefore filters nothing for: {string.Join(", ", unknown)}"));
            }
        }

        var rules = new List<CompiledRule>();
        // An id names one rule: a second rule with it (the same file given twice, a copy of the pack) would report
        // every hit twice, and its hits would be counted under the first rule's id.
        var ids = new Dictionary<string, SigmaRule>(StringComparer.OrdinalIgnoreCase);
        foreach (var rule in docs.OfType<SigmaRule>())
        {
            if (rule.Id is { } id && !ids.TryAdd(id, rule))
            {
                diagnostics.Add(new SigmaDiagnostic(rule.Source.File, rule.Source.LineOf("id"), 1, DiagnosticSeverity.Error, DuplicateIdCode,
                    AlreadyUsed("rule id", id, ids[id], "id") + "; this rule is not loaded"));
                continue;
            }

            try
            {
                var compiler = new DetectionCompiler(rule.LogSource, options, rule.Source.File);
                var predicate = compiler.Compile(rule.Detection);
                diagnostics.AddRange(compiler.Warnings.Select(w => AtDocument(w, rule.Source.Line)));
                if (compiler.TimedRegexes.Count > 0) timed.Add((rule, compiler.TimedRegexes));
                var filters = new[] { rule.Id, rule.Name }
                    .Where(k => k is not null && filtersByTarget.ContainsKey(k))
                    .SelectMany(k => filtersByTarget[k!])
                    .Concat(filtersOfEveryRule)
                    .Where(f => LogSourceWithin(rule.LogSource, f.Filter.LogSource))
                    .Select(f => f.Predicate)
                    .ToList();
                if (filters.Count > 0)
                {
                    predicate = new AndPredicate([predicate, .. filters]);
                }

                var index = options.FieldMappings.IndexFor(rule.LogSource) is { } mapping
                    ? compiler.OperationFilter(rule.Detection, mapping)
                    : null;
                var shown = PositiveFields(rule.Detection);
                var fields = compiler.Fields.Where(f => shown.Contains(f.Key)).ToDictionary(f => f.Key, f => f.Value, StringComparer.Ordinal);
                var scoped = compiler.Scoped.Where(s => s.FieldNames.Any(shown.Contains)).ToArray();
                rules.Add(new CompiledRule(rule, predicate, fields, index, rules.Count, options.NeedleGates, scoped));
            }
            catch (SigmaRuleException ex)
            {
                diagnostics.Add(new SigmaDiagnostic(rule.Source.File, ex.Line, ex.Column, DiagnosticSeverity.Error, "rule", ex.Message));
            }
        }

        // A correlation may refer to base rules and to other correlations (a chain). It is taken once everything it
        // refers to is, so the list comes out with every correlation after those it refers to; what is left over
        // refers to a rule that does not exist or failed to compile, or to itself through a cycle.
        var known = rules.SelectMany(r => new[] { r.Rule.Id, r.Rule.Name }).Where(k => k is not null).ToHashSet(StringComparer.OrdinalIgnoreCase);
        var correlations = new List<SigmaCorrelation>();
        var pending = docs.OfType<SigmaCorrelation>().ToList();
        for (var progress = true; progress && pending.Count > 0;)
        {
            progress = false;
            foreach (var correlation in pending.ToList())
            {
                if (correlation.Rules.All(known.Contains))
                {
                    if (ReferenceProblem(correlation, correlations, rules) is { } problem)
                    {
                        diagnostics.Add(new SigmaDiagnostic(correlation.Source.File, correlation.Source.Line, 1, DiagnosticSeverity.Error, "correlation", problem));
                        pending.Remove(correlation);
                        progress = true;
                        continue;
                    }

                    correlations.Add(correlation);
                    pending.Remove(correlation);
                    known.UnionWith(new[] { correlation.Id, correlation.Name }.Where(k => k is not null)!);
                    progress = true;
                }
            }
        }

        var correlationKeys = pending.SelectMany(c => new[] { c.Id, c.Name }).Where(k => k is not null).ToHashSet(StringComparer.OrdinalIgnoreCase);
        foreach (var correlation in pending)
        {
            var missing = correlation.Rules.Where(r => !known.Contains(r)).ToList();
            var cyclic = missing.Where(correlationKeys.Contains).ToList();
            diagnostics.Add(new SigmaDiagnostic(correlation.Source.File, correlation.Source.Line, 1, DiagnosticSeverity.Error, "correlation",
                missing.Count > cyclic.Count
                    ? $"correlation refers to unknown rule(s): {string.Join(", ", missing.Except(cyclic))}"
                    : $"correlation refers to correlation(s) that cannot be evaluated before it (a cycle, or one that refers to an unknown rule): {string.Join(", ", cyclic)}"));
        }

        return new CompiledRuleSet(rules, correlations, diagnostics, options, timed);
    }

    /// <summary>
    /// Why a correlation that refers to another correlation cannot be evaluated, or null. A hit of the inner one carries
    /// only the fields it groups by, so the outer one can group (and count) only by those; a field it lacks gave every
    /// hit an empty value and the chain silently never matched. The specification's chains group the outer correlation
    /// by its own fields whatever the inner one groups by, which needs the events behind each inner hit: not done, so,
    /// as the specification asks of a tool that cannot honour a rule, it is an error.
    /// </summary>
    private static string? ReferenceProblem(SigmaCorrelation correlation, List<SigmaCorrelation> accepted, IReadOnlyList<CompiledRule> rules)
    {
        // The specification's rules are unique items. One rule named twice (or by its name and its id) would let a
        // single match stand for both steps of a temporal correlation.
        var seen = new Dictionary<object, string>(ReferenceEqualityComparer.Instance);
        foreach (var reference in correlation.Rules)
        {
            object? target = rules.FirstOrDefault(r => string.Equals(r.Rule.Id, reference, StringComparison.OrdinalIgnoreCase) || string.Equals(r.Rule.Name, reference, StringComparison.OrdinalIgnoreCase))
                ?? (object?)accepted.FirstOrDefault(c => string.Equals(c.Id, reference, StringComparison.OrdinalIgnoreCase) || string.Equals(c.Name, reference, StringComparison.OrdinalIgnoreCase));
            if (target is not null && !seen.TryAdd(target, reference))
            {
                return $"correlation refers to one rule twice ('{seen[target]}' and '{reference}'): each rule it refers to must be listed once";
            }
        }

        for (var i = 0; i < correlation.Rules.Count; i++)
        {
            var reference = correlation.Rules[i];
            if (rules.Any(r => string.Equals(r.Rule.Id, reference, StringComparison.OrdinalIgnoreCase) || string.Equals(r.Rule.Name, reference, StringComparison.OrdinalIgnoreCase))
                || accepted.FirstOrDefault(c => string.Equals(c.Id, reference, StringComparison.OrdinalIgnoreCase) || string.Equals(c.Name, reference, StringComparison.OrdinalIgnoreCase)) is not { } inner)
            {
                continue;
            }

            string Field(string name) =>
                correlation.Aliases.TryGetValue(name, out var perRule)
                && (perRule.TryGetValue(reference, out var mapped) || (inner.Name is { } n && perRule.TryGetValue(n, out mapped)) || (inner.Id is { } id && perRule.TryGetValue(id, out mapped)))
                    ? mapped
                    : name;

            var needed = correlation.GroupBy.Concat(correlation.Condition.Field is { } counted ? [counted] : []).Select(Field);
            var lacking = needed.Where(f => !inner.GroupBy.Contains(f, StringComparer.OrdinalIgnoreCase)).Distinct(StringComparer.OrdinalIgnoreCase).ToList();
            if (lacking.Count > 0)
            {
                return $"correlation groups by {string.Join(", ", lacking.Select(f => $"'{f}'"))}, which the correlation it refers to ('{inner.Name ?? inner.Id ?? inner.Title}') does not group by: "
                    + "its hits carry only the fields it groups by, so this chain could never match; add the field to its group-by";
            }
        }

        return null;
    }

    /// <summary>A compile warning keeps the line of the item it is about; one that has none gets its document's line.</summary>
    private static SigmaDiagnostic AtDocument(SigmaDiagnostic warning, int line) =>
        warning.Line > 0 ? warning : warning with { Line = line, Column = 1 };

    /// <summary>Fields of the searches that must hold for a match; fields only used to exclude (under NOT) would mislead an analyst reading the hit.</summary>
    private static HashSet<string> PositiveFields(SigmaDetection detection)
    {
        var names = new HashSet<string>(StringComparer.Ordinal);
        void Walk(ConditionNode node, bool positive)
        {
            switch (node)
            {
                case AndNode a:
                    Walk(a.Left, positive);
                    Walk(a.Right, positive);
                    break;
                case OrNode o:
                    Walk(o.Left, positive);
                    Walk(o.Right, positive);
                    break;
                case NotNode n:
                    Walk(n.Operand, !positive);
                    break;
                case SearchRefNode r when positive:
                    names.Add(r.Name);
                    break;
                case OfNode of when positive:
                    names.UnionWith(DetectionCompiler.Expand(of, detection.Searches.Keys));
                    break;
            }
        }

        Walk(detection.Condition, positive: true);
        return names.SelectMany(n => detection.Searches[n].Alternatives.SelectMany(a => a))
            .Select(i => i.Field)
            .Where(f => f is not null)
            .Select(f => f!)
            .ToHashSet(StringComparer.Ordinal);
    }

    /// <summary>
    /// Whether a rule's log source lies within a filter's: every field the filter's log source sets, the rule's sets to
    /// the same value. pySigma applies a filter so (<c>rule.logsource in filter.logsource</c>): a filter written for
    /// {aws, cloudtrail} is not ANDed into a rule for all of {aws}, whose events it was not written for, while a filter
    /// for {aws} applies to a rule for {aws, cloudtrail}.
    /// </summary>
    internal static bool LogSourceWithin(SigmaLogSource rule, SigmaLogSource filter)
    {
        static bool Within(string? ruleValue, string? filterValue) =>
            filterValue is null || filterValue.Equals(ruleValue, StringComparison.OrdinalIgnoreCase);
        return Within(rule.Product, filter.Product) && Within(rule.Service, filter.Service) && Within(rule.Category, filter.Category);
    }

    /// <summary>Appends the rules matching the event to <paramref name="matches"/>.</summary>
    public void Match(CloudEvent e, List<CompiledRule> matches)
    {
        var bucket = BucketFor(e.LogSource);
        var text = new RecordText(e);
        foreach (var rule in bucket.Unindexed)
        {
            if (text.Admits(rule) && rule.Predicate.Evaluate(e))
            {
                matches.Add(rule);
            }
        }

        if (bucket.IndexAccessor is not { } accessor)
        {
            return;
        }

        // Export shapes keep the operation name at different paths and a rule matches any of them,
        // so every path's value selects candidates; a rule found twice is evaluated once.
        var firstIndexed = matches.Count;
        CompiledRule[]? previous = null;
        for (var path = 0; path < accessor.PathCount; path++)
        {
            if (!accessor.TryUseString(e, path, bucket, static (name, b) => (true, b.Candidates(name)), out var candidates)
                || candidates is null || candidates.Length == 0 || ReferenceEquals(candidates, previous))
            {
                continue;
            }

            foreach (var rule in candidates)
            {
                if ((previous is null || !AlreadyMatched(matches, firstIndexed, rule)) && text.Admits(rule) && rule.Predicate.Evaluate(e))
                {
                    matches.Add(rule);
                }
            }

            previous = candidates;
        }
    }

    /// <summary>
    /// The event's raw record as text for <see cref="CompiledRule.Gate"/>s, widened from its UTF-8 bytes
    /// once, when the first gated rule asks, into a buffer each thread keeps. Widening byte by byte keeps
    /// ASCII intact; multi-byte characters become Latin-1 noise, and no character outside ASCII equals
    /// an ASCII one ignoring case, so none can form a needle. Needles are letters, digits and separators
    /// JSON never needs to escape; a record with a <c>\u</c> escape (which could spell one) is evaluated by every
    /// candidate rule, ungated, and one with a <c>\/</c> by every rule whose needles hold a '/'.
    /// </summary>
    private ref struct RecordText(CloudEvent e)
    {
        /// <summary>Larger records are evaluated without gates rather than kept in a buffer per thread.</summary>
        private const int MaxLength = 1 << 20;

        [ThreadStatic]
        private static char[]? buffer;

        private Span<char> text;
        private bool state;
        private bool escapesASlash;

        public bool Admits(CompiledRule rule)
        {
            if (rule.Gate is not { } gate)
            {
                return true;
            }

            if (!state)
            {
                state = true;
                var raw = e.Raw.ValueKind == JsonValueKind.Undefined ? default : JsonMarshal.GetRawUtf8Value(e.Raw);
                escapesASlash = raw.IndexOf("\\/"u8) >= 0;
                if (raw.Length is > 0 and <= MaxLength && raw.IndexOf("\\u"u8) < 0)
                {
                    var chars = buffer is { } b && b.Length >= raw.Length ? b : buffer = new char[Math.Max((int)BitOperations.RoundUpToPowerOf2((uint)raw.Length), 4096)];
                    text = chars.AsSpan(0, Encoding.Latin1.GetChars(raw, chars));
                }
            }

            return text.IsEmpty || (escapesASlash && rule.GateHasASlash) || text.ContainsAny(gate);
        }
    }

    private static bool AlreadyMatched(List<CompiledRule> matches, int from, CompiledRule rule)
    {
        for (var i = from; i < matches.Count; i++)
        {
            if (ReferenceEquals(matches[i], rule))
            {
                return true;
            }
        }

        return false;
    }

    private Bucket BucketFor(LogSource source)
    {
        var last = lastBucket;
        if (last is not null && (ReferenceEquals(last.Source, source)
            || (string.Equals(last.Source.Product, source.Product, StringComparison.Ordinal)
                && string.Equals(last.Source.Service, source.Service, StringComparison.Ordinal)
                && string.Equals(last.Source.Category, source.Category, StringComparison.Ordinal))))
        {
            return last.Bucket;
        }

        var bucket = buckets.GetOrAdd(source, build);
        lastBucket = new BucketEntry(source, bucket);
        return bucket;
    }

    public IReadOnlyList<CompiledRule> Match(CloudEvent e)
    {
        var matches = new List<CompiledRule>();
        Match(e, matches);
        return matches;
    }

    /// <summary>How many rules an event of this log source and operation is tested against (for diagnostics and tests of the index).</summary>
    public int CandidateCount(LogSource logSource, string operation)
    {
        var bucket = BucketFor(logSource);
        return bucket.Unindexed.Length + (bucket.IndexAccessor is null ? 0 : bucket.Candidates(operation).Length);
    }

    private Bucket Build(LogSource source)
    {
        var applicable = Rules.Where(r => CompiledRule.LogSourceMatches(r.Rule.LogSource, source)).ToList();
        var mapping = mappings.Exact(source.Product, source.Service);
        if (mapping is { IndexPaths.Count: > 0 } && applicable.Any(r => r.IsIndexed))
        {
            return new Bucket(applicable.Where(r => !r.IsIndexed).ToArray(), applicable.Where(r => r.IsIndexed).ToArray(), new RawPathAccessor(mapping.IndexPaths));
        }

        return new Bucket(applicable.ToArray(), [], null);
    }

    private sealed record BucketEntry(LogSource Source, Bucket Bucket);

    /// <summary>
    /// The rules for one log source. Rules with an operation filter are grouped per distinct operation
    /// name on first sight; logs carry at most a few thousand distinct names, so the cache stays small
    /// and each event costs one lookup. Past the cap, unseen names are tried against every filtered rule.
    /// </summary>
    private sealed class Bucket
    {
        private const int MaxCachedOperations = 20_000;
        private readonly ConcurrentDictionary<string, CompiledRule[]> byOperation = new(StringComparer.Ordinal);
        private readonly ConcurrentDictionary<string, CompiledRule[]>.AlternateLookup<ReadOnlySpan<char>> lookup;
        private readonly CompiledRule[] filtered;

        public Bucket(CompiledRule[] unindexed, CompiledRule[] filtered, RawPathAccessor? indexAccessor)
        {
            Unindexed = unindexed;
            this.filtered = filtered;
            IndexAccessor = indexAccessor;
            lookup = byOperation.GetAlternateLookup<ReadOnlySpan<char>>();
        }

        public CompiledRule[] Unindexed { get; }

        public RawPathAccessor? IndexAccessor { get; }

        public CompiledRule[] Candidates(ReadOnlySpan<char> operation)
        {
            if (lookup.TryGetValue(operation, out var cached))
            {
                return cached;
            }

            if (byOperation.Count >= MaxCachedOperations)
            {
                return filtered;
            }

            var candidates = new List<CompiledRule>();
            foreach (var rule in filtered)
            {
                if (rule.OperationFilter!.IsMatch(operation))
                {
                    candidates.Add(rule);
                }
            }

            var result = candidates.ToArray();
            byOperation.TryAdd(operation.ToString(), result);
            return result;
        }
    }
}
