using System.Text;
using System.Text.RegularExpressions;

namespace Firebreak.Detection.Sigma;

/// <summary>Settings the compiled rules depend on.</summary>
public sealed record SigmaCompileOptions
{
    /// <summary>Values for <c>%name%</c> placeholders used with the <c>expand</c> modifier (name without the percent signs).</summary>
    public IReadOnlyDictionary<string, IReadOnlyList<string>> Placeholders { get; init; } =
        new Dictionary<string, IReadOnlyList<string>>(StringComparer.OrdinalIgnoreCase);

    public FieldMappings FieldMappings { get; init; } = FieldMappings.Default;

    /// <summary>
    /// Rules and correlations loaded only to feed the correlations that refer to them (a deprecated base rule of a
    /// correlation that runs, see <see cref="RetiredRules"/>): they are matched, but their own hits are not reported.
    /// Compared by reference.
    /// </summary>
    public IReadOnlySet<SigmaDocument> Unreported { get; init; } = new HashSet<SigmaDocument>(ReferenceEqualityComparer.Instance);

    /// <summary>Whether rules are skipped on records without their needles (<see cref="CompiledRule.Gate"/>); off only to prove they change nothing.</summary>
    internal bool NeedleGates { get; init; } = true;
}

/// <summary>Turns one parsed detection into a predicate tree for a given log source.</summary>
internal sealed class DetectionCompiler(SigmaLogSource logSource, SigmaCompileOptions options, string file)
{
    private readonly Dictionary<string, FieldAccessor> accessors = new(StringComparer.Ordinal);
    private readonly List<ScopedPredicate> scoped = [];
    private readonly List<RegexMatcher> timedRegexes = [];

    public List<SigmaDiagnostic> Warnings { get; } = [];

    public IReadOnlyDictionary<string, FieldAccessor> Fields => accessors;

    /// <summary>The regular expressions compiled so far that run on the backtracking engine, with its time limit per value.</summary>
    public IReadOnlyList<RegexMatcher> TimedRegexes => timedRegexes;

    /// <summary>The tests of <c>list[]</c> items compiled so far; their fields are described from the item that passed.</summary>
    public IReadOnlyList<ScopedPredicate> Scoped => scoped;

    public Predicate Compile(SigmaDetection detection)
    {
        var searches = detection.Searches.ToDictionary(s => s.Key, s => CompileSearch(s.Value), StringComparer.Ordinal);
        return CompileCondition(detection.Condition, searches);
    }

    internal static IEnumerable<string> Expand(ConditionNode node, IEnumerable<string> names) => node switch
    {
        OfNode { Pattern: null } => names.Where(n => !n.StartsWith('_')),
        // Identifiers starting with '_' are left out of a pattern as out of "them" (as pySigma reads the specification's
        // "same as 1/all of them, restricted to the matching identifiers"), unless the pattern itself starts with '_'.
        OfNode { Pattern: { } p } => names.Where(n => WildcardName.IsMatch(p, n) && (!n.StartsWith('_') || p.StartsWith('_'))),
        _ => [],
    };

    private static Predicate CompileCondition(ConditionNode node, Dictionary<string, Predicate> searches) => node switch
    {
        AndNode a => Flatten(CompileCondition(a.Left, searches), CompileCondition(a.Right, searches)),
        OrNode o => new OrPredicate([CompileCondition(o.Left, searches), CompileCondition(o.Right, searches)]),
        NotNode n => new NotPredicate(CompileCondition(n.Operand, searches)),
        SearchRefNode r => searches[r.Name],
        OfNode of => Expand(of, searches.Keys).Select(n => searches[n]).ToArray() switch
        {
            [] => new ConstantPredicate(false),
            [var single] => single,
            var many => of.All ? new AndPredicate(many) : new OrPredicate(many),
        },
        _ => throw new InvalidOperationException($"unknown condition node {node}"),
    };

    private static AndPredicate Flatten(Predicate left, Predicate right)
    {
        var operands = new List<Predicate>();
        foreach (var p in new[] { left, right })
        {
            if (p is AndPredicate and)
            {
                operands.AddRange(and.Operands);
            }
            else
            {
                operands.Add(p);
            }
        }

        return new AndPredicate([.. operands]);
    }

    /// <summary>
    /// A test on the log's operation name that every event matching the condition must pass, or null
    /// when the condition does not constrain it: an item on the operation field narrows its selection,
    /// AND keeps the narrower side, OR needs both sides narrowed, NOT gives up.
    /// </summary>
    public ValueMatcher? OperationFilter(SigmaDetection detection, LogSourceFieldMapping mapping) =>
        OperationFilter(detection.Condition, detection, mapping);

    private ValueMatcher? OperationFilter(ConditionNode node, SigmaDetection detection, LogSourceFieldMapping mapping)
    {
        switch (node)
        {
            case SearchRefNode r:
                return SearchOperationFilter(detection.Searches[r.Name], mapping);
            case AndNode a:
                var left = OperationFilter(a.Left, detection, mapping);
                var right = OperationFilter(a.Right, detection, mapping);
                return left is null ? right : right is null ? left : new AllMatcher([left, right]);
            case OrNode o:
                var l = OperationFilter(o.Left, detection, mapping);
                var rr = OperationFilter(o.Right, detection, mapping);
                return l is null || rr is null ? null : new AnyMatcher([l, rr]);
            case OfNode of:
                var filters = Expand(of, detection.Searches.Keys).Select(n => SearchOperationFilter(detection.Searches[n], mapping)).ToList();
                if (filters.Count == 0)
                {
                    return null;
                }

                if (of.All)
                {
                    var known = filters.Where(f => f is not null).Select(f => f!).ToArray();
                    return known.Length == 0 ? null : known.Length == 1 ? known[0] : new AllMatcher(known);
                }

                return filters.Any(f => f is null) ? null : new AnyMatcher(filters.Select(f => f!).ToArray());
            default:
                return null;
        }
    }

    private static readonly HashSet<string> FilterableModifiers = ["contains", "startswith", "endswith", "all", "cased", "re", "i", "m", "s", "windash", "expand"];

    private ValueMatcher? SearchOperationFilter(SearchIdentifier search, LogSourceFieldMapping mapping)
    {
        var alternatives = new List<ValueMatcher>();
        foreach (var items in search.Alternatives)
        {
            var constraints = items
                .Where(i => i.Field is not null
                    && mapping.IndexFieldNames.Contains(i.Field, StringComparer.OrdinalIgnoreCase)
                    && i.Modifiers.All(FilterableModifiers.Contains)
                    && i.Values.All(v => v is not null))
                .Select(i =>
                {
                    var matchers = ValueMatchers(i.Values.Select(v => v!).ToList(), i.Modifiers, i.Modifiers.Contains("cased"));
                    return matchers.Length == 0 ? null
                        : matchers.Length == 1 ? matchers[0]
                        : i.Modifiers.Contains("all") ? new AllMatcher(matchers) : (ValueMatcher)new AnyMatcher(matchers);
                })
                .ToList();
            if (constraints.Count == 0)
            {
                return null;
            }

            alternatives.Add(constraints.Any(c => c is null) ? new NeverMatcher() : constraints.Count == 1 ? constraints[0]! : new AllMatcher(constraints.Select(c => c!).ToArray()));
        }

        return alternatives.Count == 1 ? alternatives[0] : new AnyMatcher([.. alternatives]);
    }

    private Predicate CompileSearch(SearchIdentifier search)
    {
        var alternatives = search.Alternatives
            .Select(items => CompileItems(items) switch
            {
                [var single] => single,
                var many => (Predicate)new AndPredicate(many),
            })
            .ToArray();
        return alternatives.Length == 1 ? alternatives[0] : new OrPredicate(alternatives);
    }

    /// <summary>The items of one map; those naming the same <c>list[]</c> become one test of the list's items (<see cref="ElementScope"/>).</summary>
    private Predicate[] CompileItems(IReadOnlyList<DetectionItem> items)
    {
        var compiled = new List<Predicate>();
        var scopes = new List<(string Scope, List<(DetectionItem Item, string Inner)> Items)>();
        foreach (var item in items)
        {
            (string Scope, string Inner)? split;
            try
            {
                split = ElementScope.Split(item.Field);
            }
            catch (FormatException ex)
            {
                throw new SigmaRuleException(ex.Message, item.Line, item.Column);
            }

            if (split is not { } scoped)
            {
                compiled.Add(CompileItem(item));
            }
            else if (scopes.FindIndex(s => s.Scope == scoped.Scope) is var known and >= 0)
            {
                scopes[known].Items.Add((item, scoped.Inner));
            }
            else
            {
                scopes.Add((scoped.Scope, [(item, scoped.Inner)]));
            }
        }

        foreach (var (scope, scopedItems) in scopes)
        {
            if (Accessor(scope) is not RawPathAccessor list)
            {
                var first = scopedItems[0].Item;
                throw new SigmaRuleException($"{first.Field}: '{scope}' is not a field of the record, so it has no items to look in", first.Line, first.Column);
            }

            var paths = scopedItems.Select(s => (s.Item, Path: new InnerPath(s.Inner, list.Paths))).ToList();
            var predicate = new ScopedPredicate(
                list,
                paths.Select(p => CompileElementItem(p.Item, p.Path)).ToArray(),
                paths.Select(p => (p.Item.Field!, p.Path.Segments)).ToArray());
            scoped.Add(predicate);
            compiled.Add(predicate);
        }

        return [.. compiled];
    }

    /// <summary>One item naming <c>list[].field</c>, as a test of one item of the list: what <see cref="CompileItemCore"/> does for a field of the event.</summary>
    private ElementTest CompileElementItem(DetectionItem item, InnerPath path)
    {
        try
        {
            var mods = item.Modifiers;
            CheckCombination(mods);
            if (mods.Contains("fieldref"))
            {
                throw new FormatException($"'fieldref' does not apply to a field under '{ElementScope.Marker}'");
            }

            var cased = mods.Contains("cased");
            var all = mods.Contains("all");
            var neq = mods.Contains("neq");
            if (all && item.Values is [{ }])
            {
                Warnings.Add(new SigmaDiagnostic(file, item.Line, item.Column, DiagnosticSeverity.Warning, "modifier",
                    $"{item.Field}: 'all' with a single value, which the Sigma specification does not allow; it means what the value alone means"));
            }

            if (mods.Contains("exists"))
            {
                return item.Values is [{ } value] && YamlBoolean(value) is { } exists
                    ? new ElementExistsTest(path, exists)
                    : throw new FormatException("'exists' needs one value, true or false");
            }

            var parts = new List<ElementTest>();
            var nonNull = item.Values.Where(v => v is not null).Select(v => v!).ToList();
            if (item.Values.Any(v => v is null))
            {
                parts.Add(new ElementNullTest(path, negate: neq));
            }

            if (nonNull.Count > 0)
            {
                var matchers = ValueMatchers(nonNull, mods, cased, item);
                parts.Add(matchers.Length == 0 ? new ElementConstantTest(false)
                    : neq ? new ElementNoneOfTest(path, Combine(matchers))
                    : all && matchers.Length > 1 ? new ElementAllTest(path, matchers)
                    : new ElementAnyTest(path, Combine(matchers)));
            }

            return parts.Count == 1 ? parts[0] : new ElementCombinedTest([.. parts], all: neq || all);
        }
        catch (Exception ex) when (ex is FormatException or ArgumentException or OverflowException)
        {
            throw new SigmaRuleException($"{item.Field}: {ex.Message}", item.Line, item.Column);
        }
    }

    private FieldAccessor Accessor(string field)
    {
        if (!accessors.TryGetValue(field, out var accessor))
        {
            accessor = options.FieldMappings.Resolve(logSource, field);
            accessors[field] = accessor;
        }

        return accessor;
    }

    private Predicate CompileItem(DetectionItem item)
    {
        try
        {
            return CompileItemCore(item);
        }
        catch (Exception ex) when (ex is FormatException or ArgumentException or OverflowException)
        {
            throw new SigmaRuleException($"{item.Field ?? "keywords"}: {ex.Message}", item.Line, item.Column);
        }
    }

    private Predicate CompileItemCore(DetectionItem item)
    {
        var mods = item.Modifiers;
        CheckCombination(mods);
        bool Has(string m) => mods.Contains(m);
        var cased = Has("cased");
        var all = Has("all");
        var neq = Has("neq");
        if (all && item.Values is [{ }])
        {
            // The specification does not allow it (some back ends cannot express it); here it means what the value alone
            // means, and is run so, with a word that the rule is not portable.
            Warnings.Add(new SigmaDiagnostic(file, item.Line, item.Column, DiagnosticSeverity.Warning, "modifier",
                $"{item.Field ?? "keywords"}: 'all' with a single value, which the Sigma specification does not allow; it means what the value alone means"));
        }

        if (item.Field is null)
        {
            // A keyword is looked for in every value of the event; modifiers that compare a field's whole value
            // with something else have nothing to compare and must not be dropped silently.
            if (mods.FirstOrDefault(m => m is "cidr" or "lt" or "lte" or "gt" or "gte" or "minute" or "hour" or "day" or "week" or "month" or "year" or "fieldref" or "exists" or "neq") is { } unsupported)
            {
                throw new FormatException($"the '{unsupported}' modifier does not apply to keywords");
            }

            var keywordValues = item.Values.Where(v => v is not null).Select(v => v!).ToList();
            var keywordMatchers = Has("re")
                ? ValueMatchers(keywordValues, mods, cased, item)
                : keywordValues.Select(v => Combine(TransformStrings(v, mods, keyword: true).Select(p => p.ToMatcher(cased)).ToArray())).ToArray();
            return all
                ? new AndPredicate(keywordMatchers.Select(m => (Predicate)new KeywordPredicate(m)).ToArray())
                : new KeywordPredicate(Combine(keywordMatchers));
        }

        var field = Accessor(item.Field);
        if (Has("exists"))
        {
            return item.Values is [{ } value] && YamlBoolean(value) is { } exists
                ? new FieldExistsPredicate(field, exists)
                : throw new FormatException("'exists' needs one value, true or false");
        }

        var parts = new List<Predicate>();
        var nonNull = item.Values.Where(v => v is not null).Select(v => v!).ToList();
        if (item.Values.Any(v => v is null))
        {
            parts.Add(neq ? new NotPredicate(new FieldNullPredicate(field)) : new FieldNullPredicate(field));
        }

        if (nonNull.Count > 0)
        {
            if (Has("fieldref"))
            {
                var mode = Has("contains") ? FieldRefMode.Contains : Has("startswith") ? FieldRefMode.StartsWith : Has("endswith") ? FieldRefMode.EndsWith : FieldRefMode.Equals;
                parts.AddRange(nonNull.Select(other => (Predicate)new FieldRefPredicate(field, Accessor(other), mode, cased, neq)));
                return Combine(parts, all || neq);
            }

            var matchers = ValueMatchers(nonNull, mods, cased, item);
            if (matchers.Length == 0)
            {
                parts.Add(new ConstantPredicate(false));
            }
            else if (neq)
            {
                parts.Add(new FieldNoneOfPredicate(field, Combine(matchers)));
            }
            else if (all && matchers.Length > 1)
            {
                parts.Add(new FieldAllPredicate(field, matchers));
            }
            else
            {
                parts.Add(new FieldAnyPredicate(field, Combine(matchers)));
            }
        }

        // With all, null is one more value that must hold, as the others must: f|contains|all: [alpha, null] can never match.
        return Combine(parts, neq || all);
    }

    private static readonly string[] TimeParts = ["minute", "hour", "day", "week", "month", "year"];

    private static readonly string[] NumericOperators = ["lt", "lte", "gt", "gte"];

    /// <summary>
    /// The modifier that decides how a value is compared, in the order the compiler looks for it, and the other modifiers
    /// that comparison honours. Any other modifier beside it would be dropped without a word (<c>windash|re</c> ran the
    /// expression as written, <c>contains|cidr</c> a plain range), so it is an error of the rule instead.
    /// </summary>
    private static readonly (string[] Modifiers, string Reads, string[] Honours)[] Comparisons =
    [
        (["exists"], "tests only whether the field is there", []),
        (["fieldref"], "compares the field with another field's value", ["contains", "startswith", "endswith", "cased", "neq", "all"]),
        (TimeParts, "compares a part of a date as a number", [.. NumericOperators, "neq", "all"]),
        (NumericOperators, "compares numbers", ["neq", "all"]),
        (["re"], "reads the value as a regular expression", ["i", "m", "s", "cased", "neq", "all", "contains", "startswith", "endswith"]),
        (["cidr"], "compares IP addresses with a network", ["neq", "all"]),
    ];

    /// <summary>
    /// Refuses modifiers the compiler would otherwise drop: one beside a comparison that does not honour it, two time parts
    /// or two numeric comparisons (only the first was used), <c>i</c>, <c>m</c> or <c>s</c> without <c>re</c>, and
    /// <c>cased</c> beside <c>re|i</c>. Every combination the specification defines and the engine honours still compiles.
    /// </summary>
    internal static void CheckCombination(IReadOnlyList<string> mods)
    {
        foreach (var group in new[] { TimeParts, NumericOperators })
        {
            if (mods.Where(group.Contains).Distinct().ToArray() is [var first, var second, ..])
            {
                throw new FormatException($"the modifiers '{first}' and '{second}' cannot be combined: only one of them would be used");
            }
        }

        foreach (var (modifiers, reads, honours) in Comparisons)
        {
            if (mods.FirstOrDefault(modifiers.Contains) is not { } comparison)
            {
                continue;
            }

            if (mods.FirstOrDefault(m => m != comparison && !honours.Contains(m)) is { } dropped)
            {
                var hint = (comparison, dropped) switch
                {
                    // In a regular expression a placeholder's values would have to be patterns or escaped text, which
                    // the specification leaves open: refused, never left in the expression.
                    ("re", "expand") => "; are the placeholder's values patterns or text? write the values into the expression",
                    ("re", _) => "; write what it would do into the expression",
                    _ => "",
                };
                throw new FormatException($"the modifiers '{dropped}' and '{comparison}' cannot be combined: '{comparison}' {reads}, so '{dropped}' would be ignored{hint}");
            }

            if (comparison == "re" && mods.Contains("cased") && mods.Contains("i"))
            {
                throw new FormatException("the modifiers 'cased' and 'i' cannot be combined: one asks for case to count, the other for it to be ignored");
            }

            return;
        }

        if (mods.FirstOrDefault(m => m is "i" or "m" or "s") is { } flag)
        {
            throw new FormatException($"the modifier '{flag}' is a flag of 're' and means nothing without it; add 're' or remove '{flag}'");
        }
    }

    private static Predicate Combine(List<Predicate> parts, bool and) => parts.Count == 1
        ? parts[0]
        : and ? new AndPredicate([.. parts]) : new OrPredicate([.. parts]);

    private static ValueMatcher Combine(ValueMatcher[] matchers) => matchers.Length == 1 ? matchers[0] : new AnyMatcher(matchers);

    /// <param name="item">The item being compiled, for warnings; null when building the index, which compiles the same item again.</param>
    private ValueMatcher[] ValueMatchers(List<string> values, IReadOnlyList<string> mods, bool cased, DetectionItem? item = null)
    {
        var numeric = mods.FirstOrDefault(m => m is "lt" or "lte" or "gt" or "gte");
        var op = numeric switch
        {
            "lt" => ComparisonOperator.Lt,
            "lte" => ComparisonOperator.Lte,
            "gt" => ComparisonOperator.Gt,
            "gte" => ComparisonOperator.Gte,
            _ => ComparisonOperator.Eq,
        };
        var timePart = mods.FirstOrDefault(m => m is "minute" or "hour" or "day" or "week" or "month" or "year");
        if (timePart is not null)
        {
            var part = Enum.Parse<TimePart>(timePart, ignoreCase: true);
            return values.Select(v => (ValueMatcher)new TimePartMatcher(part, op, ParseNumber(v))).ToArray();
        }

        if (numeric is not null)
        {
            return values.Select(v => (ValueMatcher)new NumericMatcher(op, ParseNumber(v), v)).ToArray();
        }

        if (mods.Contains("re"))
        {
            var regexOptions = RegexOptions.CultureInvariant;
            regexOptions |= mods.Contains("i") ? RegexOptions.IgnoreCase : 0;
            regexOptions |= mods.Contains("m") ? RegexOptions.Multiline : 0;
            regexOptions |= mods.Contains("s") ? RegexOptions.Singleline : 0;
            // A regular expression is searched for anywhere in the value, so with contains it means what it means alone;
            // startswith and endswith anchor it to the value's start or end (pySigma writes these as .* around it for the
            // back ends that match a whole value).
            var anchor = mods.Contains("startswith") ? RegexAnchor.Start : mods.Contains("endswith") ? RegexAnchor.End : RegexAnchor.None;
            return values.Select(v => (ValueMatcher)CompileRegex(v, regexOptions, item, anchor)).ToArray();
        }

        if (mods.Contains("cidr"))
        {
            return values.Select(v => (ValueMatcher)new CidrMatcher(v)).ToArray();
        }

        // One matcher per value, its variants (windash spellings, base64 offsets, placeholder values) as alternatives:
        // `all` needs every value, in any one of its spellings, never every spelling.
        return values.Select(v => Combine(TransformStrings(v, mods, keyword: false).Select(p => p.ToMatcher(cased)).ToArray())).ToArray();
    }

    /// <summary>
    /// A rule's regular expression runs on the non-backtracking engine, whose time is linear in the
    /// value, so no pattern (such as <c>(a+)+$</c>) can stall matching. The few constructs only the
    /// backtracking engine has (backreferences, lookarounds, atomic groups) fall back to it, with a
    /// time limit per value and a warning saying a value past the limit counts as no match.
    /// </summary>
    private RegexMatcher CompileRegex(string written, RegexOptions regexOptions, DetectionItem? item, RegexAnchor anchor = RegexAnchor.None)
    {
        var ascii = RegexClasses.Ascii(written);
        var pattern = anchor switch
        {
            RegexAnchor.Start => $@"\A(?:{ascii})",
            RegexAnchor.End => $@"(?:{ascii})\z",
            _ => ascii,
        };
        var literalSource = anchor == RegexAnchor.None ? null : written;
        try
        {
            return new RegexMatcher(new Regex(pattern, regexOptions | RegexOptions.NonBacktracking), literalSource);
        }
        catch (NotSupportedException)
        {
            if (item is not null)
            {
                Warnings.Add(new SigmaDiagnostic(file, item.Line, item.Column, DiagnosticSeverity.Warning, "regex",
                    $"{item.Field ?? "keywords"}: '{pattern}' needs the backtracking engine (a backreference, lookaround or atomic group); "
                    + $"a value it takes longer than {RegexMatcher.BacktrackingLimit.TotalMilliseconds} ms to match counts as no match"));
            }

            // Compiled: a handful of regex rules run against most events, so matching speed beats load time. One match
            // now, while loading, compiles its code to machine code, so the first value's limit is not spent on that.
            var regex = new Regex(pattern, regexOptions | RegexOptions.Compiled, RegexMatcher.BacktrackingLimit);
            try
            {
                regex.IsMatch("");
            }
            catch (RegexMatchTimeoutException)
            {
                // Nothing to warm; the values will be timed as usual.
            }
            var timed = new RegexMatcher(regex, literalSource);
            timedRegexes.Add(timed);
            return timed;
        }
    }

    private enum RegexAnchor
    {
        None,
        Start,
        End,
    }

    private static double ParseNumber(string value) =>
        NumericMatcher.TryParse(value, out var number) && !double.IsNaN(number) ? number : throw new FormatException($"'{value}' is not a number");

    /// <summary>
    /// Applies the value-rewriting modifiers in the order the spec's examples compose them:
    /// placeholders, windash, text encoding, base64, then the wildcard placement.
    /// </summary>
    /// <summary>
    /// The boolean an <c>exists</c> (and a rule test's <c>match</c>) takes. YAML 1.1, which the Python tools that most rules
    /// are written for still read, also spells it yes/no and on/off; a rule written <c>exists: yes</c> means true there, so
    /// it does here. Null for any other value.
    /// </summary>
    internal static bool? YamlBoolean(string value) => value.ToLowerInvariant() switch
    {
        "true" or "yes" or "on" => true,
        "false" or "no" or "off" => false,
        _ => null,
    };

    private IEnumerable<SigmaPattern> TransformStrings(string value, IReadOnlyList<string> mods, bool keyword)
    {
        IEnumerable<SigmaPattern> patterns = mods.Contains("expand") ? ExpandPlaceholders(value) : [SigmaPattern.Parse(value)];
        if (mods.Contains("windash"))
        {
            patterns = patterns.SelectMany(WindashVariants);
        }

        // Text encodings and base64 apply in the order the rule writes them, as the specification says of value
        // modifiers: utf16le|base64 is the base64 of the UTF-16 text, base64|utf16le the UTF-16 of the base64 text.
        var encodings = mods.Where(m => m is "utf16" or "utf16le" or "utf16be" or "wide" or "base64" or "base64offset").ToList();
        var base64Offset = encodings.Contains("base64offset");
        if (encodings.Count > 0)
        {
            patterns = patterns.SelectMany(p =>
            {
                if (p.HasWildcards)
                {
                    throw new FormatException("wildcards cannot be combined with encoding modifiers");
                }

                // Each step's result, and whether it is bytes (held one character per byte) rather than text.
                IEnumerable<(string Value, bool Bytes)> steps = [(p.LiteralText, false)];
                foreach (var modifier in encodings)
                {
                    steps = steps.SelectMany(step => Encode(step.Value, step.Bytes, modifier)).ToList();
                }

                return steps.Select(step => SigmaPattern.Literal(step.Value));
            });
        }

        var contains = keyword || mods.Contains("contains") || base64Offset;
        var startsWith = mods.Contains("startswith");
        var endsWith = mods.Contains("endswith");
        var wrapped = patterns.Select(p => p.WrapMany(before: contains || endsWith, after: contains || startsWith)).Take(MaxPatternsPerValue + 1).ToList();
        return wrapped.Count <= MaxPatternsPerValue
            ? wrapped
            : throw new FormatException($"'{(value.Length <= 80 ? value : value[..80] + "...")}' becomes more than {MaxPatternsPerValue} patterns (placeholders times windash variants)");
    }

    /// <summary>One encoding modifier applied to a value: text, or bytes held one character per byte.</summary>
    private static IEnumerable<(string Value, bool Bytes)> Encode(string value, bool bytes, string modifier)
    {
        static string AsBytes(byte[] data) => Encoding.Latin1.GetString(data);
        byte[] Raw() => bytes ? Encoding.Latin1.GetBytes(value) : Encoding.UTF8.GetBytes(value);
        return modifier switch
        {
            "utf16" => [(AsBytes([0xFF, 0xFE, .. Encoding.Unicode.GetBytes(value)]), true)],
            "utf16le" or "wide" => [(AsBytes(Encoding.Unicode.GetBytes(value)), true)],
            "utf16be" => [(AsBytes(Encoding.BigEndianUnicode.GetBytes(value)), true)],
            "base64" => [(Convert.ToBase64String(Raw()), false)],
            _ => Base64Offsets(Raw()).Select(offset => (offset, false)),
        };
    }

    /// <summary>How many patterns one value may become once placeholders and windash variants multiply.</summary>
    internal const int MaxPatternsPerValue = 100_000;

    /// <summary>A value may sit at any byte offset of a larger base64 string; the three shifted encodings, minus the edge characters that depend on the neighbours.</summary>
    internal static IEnumerable<string> Base64Offsets(byte[] value)
    {
        int[] startOffsets = [0, 2, 3];
        int[] endTrim = [0, 3, 2];
        for (var shift = 0; shift < 3; shift++)
        {
            var padded = new byte[shift + value.Length];
            Array.Fill(padded, (byte)' ', 0, shift);
            value.CopyTo(padded, shift);
            var encoded = Convert.ToBase64String(padded);
            var trim = endTrim[(value.Length + shift) % 3];
            yield return encoded[startOffsets[shift]..(encoded.Length - trim)];
        }
    }

    /// <summary>How many values one value's placeholders may expand to, and how many characters those may hold together.</summary>
    internal const int MaxPlaceholderExpansions = 10_000;

    internal const long MaxPlaceholderCharacters = 10_000_000;

    // A placeholder is escaped by an odd number of backslashes before it: \\%name% is a backslash, then the placeholder.
    private static readonly Regex Placeholder = new(@"(?<!(?<!\\)(?:\\\\)*\\)%([A-Za-z0-9_.-]+)%", RegexOptions.CultureInvariant);

    /// <summary>
    /// Replaces <c>%name%</c> placeholders with each configured value (every combination when there are
    /// several); <c>\%</c> is a literal percent sign. Inserted values are not searched for placeholders
    /// again (a value naming its own placeholder would never end), and the combinations are counted
    /// before any is built: several placeholders multiply.
    /// </summary>
    private List<SigmaPattern> ExpandPlaceholders(string value)
    {
        static string Unescape(string text) => text.Replace(@"\%", "%", StringComparison.Ordinal);

        var matches = Placeholder.Matches(value);
        var slots = new List<IReadOnlyList<string>>(matches.Count);
        long count = 1, length = value.Length;
        foreach (Match match in matches)
        {
            var name = match.Groups[1].Value;
            if (!options.Placeholders.TryGetValue(name, out var replacements))
            {
                // The specification: a tool that cannot fill a placeholder must reject the rule, not load one that never matches.
                throw new FormatException($"placeholder %{name}% has no configured values; the document is rejected");
            }

            if (replacements.Count == 0)
            {
                return [];
            }

            slots.Add(replacements);
            count = Math.Min(count * replacements.Count, MaxPlaceholderExpansions + 1L);
            length += replacements.Max(r => r.Length);
        }

        if (count > MaxPlaceholderExpansions || count * length > MaxPlaceholderCharacters)
        {
            throw new FormatException($"placeholders in '{(value.Length <= 80 ? value : value[..80] + "...")}' expand to more than {MaxPlaceholderExpansions} values or {MaxPlaceholderCharacters} characters");
        }

        // The rule's text and each inserted value are read as patterns apart, then joined: a value ending in a backslash
        // (C:\Tools\) must not escape the rule's own wildcard after it, nor the rule's text reach into the value.
        var pieces = new List<SigmaPattern>(matches.Count + 1);
        var from = 0;
        foreach (Match match in matches)
        {
            pieces.Add(SigmaPattern.Parse(Unescape(value[from..match.Index])));
            from = match.Index + match.Length;
        }

        pieces.Add(SigmaPattern.Parse(Unescape(value[from..])));
        var parsedSlots = slots.Select(values => values.Select(SigmaPattern.Parse).ToList()).ToList();

        // Combination n picks value (n / product of the later slots' sizes) mod size from each slot, so the first placeholder varies slowest.
        var results = new List<SigmaPattern>((int)count);
        var picks = new int[slots.Count];
        for (var n = 0; n < count; n++)
        {
            var rest = n;
            for (var i = slots.Count - 1; i >= 0; i--)
            {
                picks[i] = rest % slots[i].Count;
                rest /= slots[i].Count;
            }

            var parts = new List<SigmaPattern>(2 * slots.Count + 1);
            for (var i = 0; i < slots.Count; i++)
            {
                parts.Add(pieces[i]);
                parts.Add(parsedSlots[i][picks[i]]);
            }

            parts.Add(pieces[^1]);
            results.Add(SigmaPattern.Join(parts));
        }

        return results;
    }

    private static readonly char[] Dashes = ['-', '/', '\u2013', '\u2014', '\u2015'];

    /// <summary>
    /// Command-line flags may start with any dash-like character: every dash at a flag's position (the start, or after
    /// anything but a letter, digit or underscore: a space, a quote) takes each of them, all positions together.
    /// The variants are made as they are asked for, so a value with too many flags stops at the pattern cap.
    /// </summary>
    private static IEnumerable<SigmaPattern> WindashVariants(SigmaPattern pattern)
    {
        var positions = Enumerable.Range(0, pattern.Chars.Count)
            .Where(i => pattern.Kinds[i] == PatternKind.Literal && Dashes.Contains(pattern.Chars[i])
                && (i == 0 || pattern.Kinds[i - 1] != PatternKind.Literal || !(char.IsLetterOrDigit(pattern.Chars[i - 1]) || pattern.Chars[i - 1] == '_')))
            .ToArray();
        IEnumerable<char[]> variants = [pattern.Chars.ToArray()];
        foreach (var position in positions)
        {
            variants = variants.SelectMany(chars => Dashes.Select(d =>
            {
                var copy = (char[])chars.Clone();
                copy[position] = d;
                return copy;
            }));
        }

        return variants.Select(chars => new SigmaPattern(chars, pattern.Kinds));
    }
}
