using System.Globalization;
using System.Text.Json;
using YamlDotNet.Core;
using YamlDotNet.Core.Events;
using YamlDotNet.RepresentationModel;

namespace Firebreak.Detection.Sigma;

/// <summary>The documents read from one source and the problems found in it.</summary>
public sealed record SigmaParseResult(IReadOnlyList<SigmaDocument> Documents, IReadOnlyList<SigmaDiagnostic> Diagnostics);

/// <summary>
/// Reads Sigma YAML (rules, correlations, filters; several documents per file allowed) into the model.
/// A broken document becomes a diagnostic with its line; the other documents still load.
/// </summary>
public static partial class SigmaParser
{
    /// <summary>The specification's correlation types by name, in the order an error lists them.</summary>
    private static readonly OrderedDictionary<string, CorrelationType> CorrelationTypeNames = new(StringComparer.Ordinal)
    {
        ["event_count"] = CorrelationType.EventCount,
        ["value_count"] = CorrelationType.ValueCount,
        ["temporal"] = CorrelationType.Temporal,
        ["temporal_ordered"] = CorrelationType.TemporalOrdered,
        ["value_sum"] = CorrelationType.ValueSum,
        ["value_avg"] = CorrelationType.ValueAvg,
        ["value_median"] = CorrelationType.ValueMedian,
        ["value_percentile"] = CorrelationType.ValuePercentile,
    };

    private static readonly HashSet<string> KnownModifiers = new(StringComparer.Ordinal)
    {
        "contains", "startswith", "endswith", "all", "re", "i", "m", "s", "cidr", "base64", "base64offset",
        "utf16", "utf16le", "utf16be", "wide", "windash", "exists", "cased", "neq", "lt", "lte", "gt", "gte",
        "fieldref", "expand", "minute", "hour", "day", "week", "month", "year",
    };

    /// <summary>
    /// The first line at or after <paramref name="from"/> whose indentation holds a tab, or null. The lines of a block
    /// scalar (<c>description: |</c>) are its text, where a tab after the indentation is no fault, and are passed over.
    /// </summary>
    private static int? LineIndentedWithTab(string yaml, int from)
    {
        var lines = yaml.Split('\n');
        int? blockOf = null;
        for (var i = 0; i < lines.Length; i++)
        {
            var line = lines[i].TrimEnd('\r');
            var content = line.AsSpan().TrimStart(" \t");
            var spaces = line.Length - line.AsSpan().TrimStart(' ').Length;
            if (blockOf is { } keyIndent && (content.Length == 0 || spaces > keyIndent))
            {
                continue;
            }

            blockOf = BlockScalarHeader().IsMatch(line) ? spaces : null;
            if (i + 1 >= from && content.Length > 0 && line.AsSpan(0, line.Length - content.Length).Contains('\t'))
            {
                return i + 1;
            }
        }

        return null;
    }

    /// <summary>A line whose value is a block scalar to come: <c>key: |</c>, <c>- &gt;-</c>, <c>key: |2+</c>.</summary>
    [System.Text.RegularExpressions.GeneratedRegex(@"(?:^|:|-)\s*[|>][0-9+-]*\s*(?:#.*)?$")]
    private static partial System.Text.RegularExpressions.Regex BlockScalarHeader();

    public static SigmaParseResult Parse(string yaml, string file)
    {
        var documents = new List<SigmaDocument>();
        var diagnostics = new List<SigmaDiagnostic>();
        var stream = new YamlStream();
        var parser = new GuardedYamlParser(new Parser(new StringReader(yaml)));
        try
        {
            stream.Load(parser);
        }
        catch (YamlException ex)
        {
            // YamlDotNet places a tab used as indentation at the start of the mapping it breaks (line 1 for a rule's
            // top level); the line to fix is the one the tab indents.
            var (line, column) = ex.Message.Contains("tab as indentation", StringComparison.Ordinal) && LineIndentedWithTab(yaml, (int)ex.Start.Line) is { } tabbed
                ? (tabbed, 1)
                : ((int)ex.Start.Line, (int)ex.Start.Column);
            diagnostics.Add(new SigmaDiagnostic(file, line, column, DiagnosticSeverity.Error, "yaml", ex.Message));
            return new SigmaParseResult(documents, diagnostics);
        }
        catch (InvalidOperationException)
        {
            // Some malformed input trips YamlDotNet's scanner without a YamlException; the last event read is the best position we have.
            var mark = parser.Current?.End ?? Mark.Empty;
            // Its message ("Operation is not valid due to the current state of the object.") says nothing to a rule's author;
            // what trips it is a bracket or quote left open, so the message says that.
            diagnostics.Add(new SigmaDiagnostic(file, (int)mark.Line, (int)mark.Column, DiagnosticSeverity.Error, "yaml",
                "invalid YAML: a bracket ({ or [) or a quote may be left open"));
            return new SigmaParseResult(documents, diagnostics);
        }

        foreach (var document in stream.Documents)
        {
            var root = document.RootNode;
            if (IsEmptyDocument(root))
            {
                // A '---' with nothing after it (at the end of a file, or twice in a row) starts a document holding
                // nothing: there is no rule in it to load, and nothing wrong with it.
                continue;
            }

            try
            {
                documents.Add(ParseDocument(root, file));
            }
            catch (SigmaRuleException ex)
            {
                diagnostics.Add(new SigmaDiagnostic(file, ex.Line, ex.Column, DiagnosticSeverity.Error, "rule", ex.Message));
            }
        }

        return new SigmaParseResult(documents, diagnostics);
    }

    /// <summary>A document with no content at all: an empty plain scalar without a tag, as YAML reads a bare '---'.</summary>
    private static bool IsEmptyDocument(YamlNode root) =>
        root is YamlScalarNode { Style: ScalarStyle.Plain or ScalarStyle.Any, Value: null or "" } scalar && scalar.Tag.IsEmpty;

    private static SigmaDocument ParseDocument(YamlNode root, string file)
    {
        if (root is not YamlMappingNode map)
        {
            throw Error(root, "a Sigma document must be a YAML mapping");
        }

        var title = OptionalString(map, "title") ?? throw Error(root, "missing 'title'");
        var source = new RuleSource(file, (int)root.Start.Line)
        {
            KeyLines = map.Children.Where(c => c.Key is YamlScalarNode { Value: not null })
                .GroupBy(c => ((YamlScalarNode)c.Key).Value!, StringComparer.Ordinal)
                .ToDictionary(g => g.Key, g => (int)g.First().Key.Start.Line, StringComparer.Ordinal),
        };
        var tests = ParseTests(map);
        var tags = map.Children.TryGetValue(new YamlScalarNode("tags"), out var tagsNode) ? StringList(tagsNode, "tags") : [];

        if (Child(map, "correlation") is { } correlation)
        {
            return ParseCorrelation(map, correlation, title, source, tags, tests);
        }

        var logSource = ParseLogSource(map);
        if (Child(map, "filter") is { } filter)
        {
            if (filter is not YamlMappingNode filterMap)
            {
                throw Error(filter, "'filter' must be a mapping");
            }

            var rulesNode = Child(filterMap, "rules") ?? throw Error(filter, "filter needs 'rules'");
            var targets = StringList(rulesNode, "filter rules");
            return new SigmaFilter
            {
                Title = title,
                Id = OptionalString(map, "id"),
                Name = OptionalString(map, "name"),
                Description = OptionalString(map, "description"),
                Status = OptionalString(map, "status"),
                Level = OptionalString(map, "level"),
                Tags = tags,
                Source = source,
                Tests = tests,
                LogSource = logSource,
                Rules = targets,
                Detection = ParseDetection(filterMap, ignore: "rules"),
            };
        }

        var detection = Child(map, "detection") ?? throw Error(root, "missing 'detection'");
        if (detection is not YamlMappingNode detectionMap)
        {
            throw Error(detection, "'detection' must be a mapping");
        }

        return new SigmaRule
        {
            Title = title,
            Id = OptionalString(map, "id"),
            Name = OptionalString(map, "name"),
            Description = OptionalString(map, "description"),
            Status = OptionalString(map, "status"),
            Level = OptionalString(map, "level"),
            Tags = tags,
            Source = source,
            Tests = tests,
            LogSource = logSource,
            Detection = ParseDetection(detectionMap, ignore: null),
        };
    }

    private static SigmaLogSource ParseLogSource(YamlMappingNode map)
    {
        var node = Child(map, "logsource") ?? throw Error(map, "missing 'logsource'");
        if (node is not YamlMappingNode logSource)
        {
            throw Error(node, "'logsource' must be a mapping");
        }

        return new SigmaLogSource(OptionalString(logSource, "product"), OptionalString(logSource, "service"), OptionalString(logSource, "category"));
    }

    private static SigmaDetection ParseDetection(YamlMappingNode map, string? ignore)
    {
        var searches = new Dictionary<string, SearchIdentifier>(StringComparer.Ordinal);
        YamlNode? conditionNode = null;
        foreach (var (keyNode, value) in map.Children)
        {
            var key = ((YamlScalarNode)keyNode).Value ?? "";
            if (key == "condition")
            {
                conditionNode = value;
            }
            else if (key is "timeframe" || key == ignore)
            {
                continue;
            }
            else
            {
                searches[key] = ParseSearch(key, value);
            }
        }

        if (conditionNode is null)
        {
            throw Error(map, "detection has no 'condition'");
        }

        var conditions = conditionNode is YamlSequenceNode list
            ? list.Children.Select(c => (Text: ScalarOrThrow(c, "condition"), Node: c)).ToList()
            : [(Text: ScalarOrThrow(conditionNode, "condition"), Node: conditionNode)];
        if (conditions.Count == 0)
        {
            throw Error(conditionNode, "empty condition list");
        }

        var parsedConditions = new List<ConditionNode>();
        foreach (var (text, node) in conditions)
        {
            ConditionNode parsed;
            try
            {
                parsed = ConditionParser.Parse(text);
            }
            catch (FormatException ex)
            {
                throw Error(node, ex.Message);
            }

            ValidateReferences(parsed, searches, node);
            parsedConditions.Add(parsed);
        }

        return new SigmaDetection(searches, AnyOf(parsedConditions, 0, parsedConditions.Count), string.Join(" | ", conditions.Select(c => c.Text)));
    }

    /// <summary>ORs a list of conditions as a balanced tree: a long list adds a few levels, not one per entry, to what later stages walk recursively.</summary>
    private static ConditionNode AnyOf(List<ConditionNode> conditions, int from, int to) =>
        to - from == 1 ? conditions[from] : new OrNode(AnyOf(conditions, from, (from + to) / 2), AnyOf(conditions, (from + to) / 2, to));

    private static void ValidateReferences(ConditionNode node, Dictionary<string, SearchIdentifier> searches, YamlNode at)
    {
        switch (node)
        {
            case SearchRefNode r when !searches.ContainsKey(r.Name):
                throw Error(at, $"condition refers to unknown search identifier '{r.Name}'");
            case OfNode { Pattern: { } pattern } when !searches.Keys.Any(k => WildcardName.IsMatch(pattern, k)):
                throw Error(at, $"'{pattern}' matches no search identifier");
            case AndNode a:
                ValidateReferences(a.Left, searches, at);
                ValidateReferences(a.Right, searches, at);
                break;
            case OrNode o:
                ValidateReferences(o.Left, searches, at);
                ValidateReferences(o.Right, searches, at);
                break;
            case NotNode n:
                ValidateReferences(n.Operand, searches, at);
                break;
        }
    }

    private static SearchIdentifier ParseSearch(string name, YamlNode node)
    {
        var line = (int)node.Start.Line;
        if (node is YamlMappingNode { Children.Count: 0 } or YamlSequenceNode { Children.Count: 0 } || (node is YamlScalarNode && Scalar(node) is null))
        {
            throw Error(node, $"search identifier '{name}' is empty");
        }

        switch (node)
        {
            case YamlMappingNode map:
                return new SearchIdentifier(name, [ParseItems(map)], line);
            case YamlSequenceNode seq when seq.Children.All(c => c is YamlMappingNode):
                // An empty map states no condition: as one of several alternatives it made the search match every event.
                if (seq.Children.FirstOrDefault(c => c is YamlMappingNode { Children.Count: 0 }) is { } empty)
                {
                    throw Error(empty, $"search identifier '{name}' holds an empty map, which states no condition");
                }

                return new SearchIdentifier(name, seq.Children.Select(c => ParseItems((YamlMappingNode)c)).ToList(), line);
            case YamlSequenceNode seq when seq.Children.All(c => c is YamlScalarNode):
                var keywords = seq.Children.Select(Scalar).ToList();
                return new SearchIdentifier(name, [[new DetectionItem(null, [], keywords, line, (int)node.Start.Column)]], line);
            case YamlScalarNode scalar:
                return new SearchIdentifier(name, [[new DetectionItem(null, [], [Scalar(scalar)], line, (int)node.Start.Column)]], line);
            default:
                throw Error(node, $"search identifier '{name}' must be a mapping, a list of mappings or a list of keywords");
        }
    }

    private static List<DetectionItem> ParseItems(YamlMappingNode map)
    {
        var items = new List<DetectionItem>();
        foreach (var (keyNode, value) in map.Children)
        {
            var key = ((YamlScalarNode)keyNode).Value ?? "";
            var parts = key.Split('|');
            var field = parts[0].Length == 0 ? null : parts[0];
            // pySigma's long names of the regular-expression flags are the same flags.
            var modifiers = parts.Skip(1).Select(m => m switch { "ignorecase" => "i", "multiline" => "m", "dotall" => "s", _ => m }).ToList();
            foreach (var modifier in modifiers)
            {
                if (!KnownModifiers.Contains(modifier))
                {
                    throw Error(keyNode, $"unknown modifier '{modifier}' in '{key}'");
                }
            }

            IReadOnlyList<string?> values = value switch
            {
                YamlSequenceNode seq => seq.Children.Select(c => c is YamlScalarNode ? Scalar(c) : throw Error(c, $"values of '{key}' must be scalars")).ToList(),
                YamlScalarNode => [Scalar(value)],
                _ => throw Error(value, $"values of '{key}' must be a scalar or a list of scalars"),
            };
            if (values.Count == 0)
            {
                // pySigma reads a field with an empty list as the field being null; a keyword search has no field to be null.
                if (field is null)
                {
                    throw Error(value, $"'{key}' has an empty value list: a keyword search needs a value");
                }

                values = [null];
            }

            items.Add(new DetectionItem(field, modifiers, values, (int)keyNode.Start.Line, (int)keyNode.Start.Column));
        }

        return items;
    }

    private static SigmaCorrelation ParseCorrelation(YamlMappingNode map, YamlNode node, string title, RuleSource source, IReadOnlyList<string> tags, IReadOnlyList<RuleTestCase> tests)
    {
        if (node is not YamlMappingNode c)
        {
            throw Error(node, "'correlation' must be a mapping");
        }

        var typeText = OptionalString(c, "type") ?? throw Error(node, "correlation needs 'type'");
        var type = CorrelationTypeNames.TryGetValue(typeText, out var named)
            ? named
            : throw Error(node, $"unknown correlation type '{typeText}' (known: {string.Join(", ", CorrelationTypeNames.Keys)})");
        var rules = StringList(Child(c, "rules") ?? throw Error(node, "correlation needs 'rules'"), "correlation rules");
        if (rules.Count == 0)
        {
            throw Error(node, "correlation 'rules' is empty");
        }

        var groupBy = Child(c, "group-by") is { } g ? StringList(g, "group-by") : [];
        var timespanNode = Child(c, "timespan") ?? Child(c, "timeframe") ?? throw Error(node, "correlation needs 'timespan'");
        var timespan = ParseTimespan(ScalarOrThrow(timespanNode, "timespan"), timespanNode);

        CorrelationCondition condition;
        if (Child(c, "condition") is YamlMappingNode conditionMap)
        {
            string? field = null;
            double? percentile = null;
            List<(ComparisonOperator Op, double Value)> comparisons = [];
            foreach (var (k, v) in conditionMap.Children)
            {
                var key = ((YamlScalarNode)k).Value;
                if (key == "field")
                {
                    field = ScalarOrThrow(v, "condition field");
                    continue;
                }

                if (key == "percentile")
                {
                    if (type != CorrelationType.ValuePercentile)
                    {
                        throw Error(k, $"'percentile' belongs to value_percentile, not {typeText}");
                    }

                    if (!double.TryParse(ScalarOrThrow(v, key), NumberStyles.Float, CultureInfo.InvariantCulture, out var p) || !(p is >= 0 and <= 100))
                    {
                        throw Error(v, "'percentile' needs a number from 0 to 100");
                    }

                    percentile = p;
                    continue;
                }

                ComparisonOperator op = key switch
                {
                    "gt" => ComparisonOperator.Gt,
                    "gte" => ComparisonOperator.Gte,
                    "lt" => ComparisonOperator.Lt,
                    "lte" => ComparisonOperator.Lte,
                    "eq" => ComparisonOperator.Eq,
                    "neq" => ComparisonOperator.Neq,
                    _ => throw Error(k, $"unknown correlation condition operator '{key}'"),
                };
                // Counts are whole numbers; a sum, mean, median or percentile may be compared with a fraction.
                var text = ScalarOrThrow(v, key!);
                double number;
                if (type.IsAggregate())
                {
                    if (!double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out number) || !double.IsFinite(number))
                    {
                        throw Error(v, $"'{key}' needs a number");
                    }
                }
                else if (long.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var whole))
                {
                    number = whole;
                }
                else
                {
                    throw Error(v, $"'{key}' needs an integer");
                }

                comparisons.Add((op, number));
            }

            if (comparisons.Count == 0)
            {
                throw Error(conditionMap, "correlation condition needs one of gt, gte, lt, lte, eq, neq");
            }

            if (type.ReadsField() && field is null)
            {
                throw Error(conditionMap, $"{typeText} needs 'field' in its condition");
            }

            if (type == CorrelationType.ValuePercentile && percentile is null)
            {
                throw Error(conditionMap, "value_percentile needs 'percentile' (0 to 100) in its condition");
            }

            // Several comparisons are a conjunction (a range: gt: 100, lte: 200).
            condition = new CorrelationCondition(comparisons[0].Op, comparisons[0].Value, field) { Also = comparisons[1..], Percentile = percentile };
        }
        else if (type is CorrelationType.Temporal or CorrelationType.TemporalOrdered)
        {
            condition = new CorrelationCondition(ComparisonOperator.Gte, rules.Count, null);
        }
        else
        {
            throw Error(node, "correlation needs a 'condition' mapping");
        }

        var aliases = new Dictionary<string, IReadOnlyDictionary<string, string>>(StringComparer.Ordinal);
        if (Child(c, "aliases") is YamlMappingNode aliasMap)
        {
            foreach (var (alias, perRule) in aliasMap.Children)
            {
                if (perRule is not YamlMappingNode perRuleMap)
                {
                    throw Error(perRule, "an alias maps rule names to field names");
                }

                aliases[((YamlScalarNode)alias).Value!] = perRuleMap.Children.ToDictionary(
                    p => ((YamlScalarNode)p.Key).Value!, p => ScalarOrThrow(p.Value, "alias field"), StringComparer.Ordinal);
            }
        }

        // The specification lists generate among the rule's own fields, beside level; rules in the wild, and pySigma, put
        // it inside correlation. Either place is read (the correlation's first): ignored, the rules' own hits went unreported.
        var generate = (Child(c, "generate") ?? Child(map, "generate")) is YamlScalarNode gen && string.Equals(gen.Value, "true", StringComparison.OrdinalIgnoreCase);
        return new SigmaCorrelation
        {
            Title = title,
            Id = OptionalString(map, "id"),
            Name = OptionalString(map, "name"),
            Description = OptionalString(map, "description"),
            Status = OptionalString(map, "status"),
            Level = OptionalString(map, "level"),
            Tags = tags,
            Source = source,
            Tests = tests,
            Type = type,
            Rules = rules,
            GroupBy = groupBy,
            Timespan = timespan,
            Condition = condition,
            Aliases = aliases,
            Generate = generate,
        };
    }

    internal static TimeSpan ParseTimespan(string text, YamlNode at)
    {
        if (text.Length >= 2 && long.TryParse(text.AsSpan(0, text.Length - 1), NumberStyles.Integer, CultureInfo.InvariantCulture, out var n) && n > 0)
        {
            try
            {
                switch (text[^1])
                {
                    case 's': return TimeSpan.FromSeconds(n);
                    case 'm': return TimeSpan.FromMinutes(n);
                    case 'h': return TimeSpan.FromHours(n);
                    case 'd': return TimeSpan.FromDays(n);
                    case 'w': return TimeSpan.FromDays(checked(7 * n));
                    // A month and a year as pySigma counts them: a twelfth of the Gregorian calendar's average year, and that year.
                    case 'M': return TimeSpan.FromSeconds(checked(2_629_746 * n));
                    case 'y': return TimeSpan.FromSeconds(checked(31_556_952 * n));
                }
            }
            catch (Exception ex) when (ex is OverflowException or ArgumentOutOfRangeException)
            {
                throw Error(at, $"'{text}' is longer than a timespan can be");
            }
        }

        throw Error(at, $"'{text}' is not a timespan such as 30s, 5m, 1h, 1d, 1w, 1M (month) or 1y");
    }

    private static List<RuleTestCase> ParseTests(YamlMappingNode map)
    {
        if (Child(map, "firebreak") is not YamlMappingNode firebreak || Child(firebreak, "tests") is not { } testsNode)
        {
            return [];
        }

        if (testsNode is not YamlSequenceNode tests)
        {
            throw Error(testsNode, "'firebreak.tests' must be a list");
        }

        var cases = new List<RuleTestCase>();
        foreach (var testNode in tests.Children)
        {
            if (testNode is not YamlMappingNode test)
            {
                throw Error(testNode, "each test is a mapping with 'match' and 'event' or 'events'");
            }

            // A value that is no boolean (match: maybe) was taken for false, and the test run as one expecting no match.
            const string NeedsMatch = "test needs 'match: true' or 'match: false'";
            var matchText = OptionalString(test, "match") ?? throw Error(test, NeedsMatch);
            var match = DetectionCompiler.YamlBoolean(matchText) ?? throw Error(Child(test, "match")!, NeedsMatch);
            List<JsonElement> events;
            if (Child(test, "event") is { } single)
            {
                events = [ToJson(single)];
            }
            else if (Child(test, "events") is YamlSequenceNode many)
            {
                events = many.Children.Select(ToJson).ToList();
            }
            else
            {
                throw Error(test, "test needs 'event' or 'events'");
            }

            var repeat = 1;
            if (OptionalString(test, "repeat") is { } repeatText && (!int.TryParse(repeatText, NumberStyles.None, CultureInfo.InvariantCulture, out repeat) || repeat < 1 || repeat > 100_000))
            {
                throw Error(test, "'repeat' must be a whole number from 1 to 100000");
            }

            cases.Add(new RuleTestCase(match, events, OptionalString(test, "description"), (int)test.Start.Line, repeat));
        }

        return cases;
    }

    /// <summary>Converts embedded YAML test events to the JSON the log readers would see, keeping YAML's plain-scalar typing.</summary>
    internal static JsonElement ToJson(YamlNode node)
    {
        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            Write(writer, node);
        }

        using var document = JsonDocument.Parse(buffer.ToArray());
        return document.RootElement.Clone();
    }

    private static void Write(Utf8JsonWriter writer, YamlNode node)
    {
        switch (node)
        {
            case YamlMappingNode map:
                writer.WriteStartObject();
                foreach (var (k, v) in map.Children)
                {
                    writer.WritePropertyName(((YamlScalarNode)k).Value ?? "");
                    Write(writer, v);
                }

                writer.WriteEndObject();
                break;
            case YamlSequenceNode seq:
                writer.WriteStartArray();
                foreach (var child in seq.Children)
                {
                    Write(writer, child);
                }

                writer.WriteEndArray();
                break;
            case YamlScalarNode scalar when scalar.Style is ScalarStyle.Plain:
                var text = scalar.Value ?? "";
                if (text is "" or "~" or "null")
                {
                    writer.WriteNullValue();
                }
                else if (text is "true" or "false")
                {
                    writer.WriteBooleanValue(text == "true");
                }
                else if (long.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var integer) && (text == "0" || !text.TrimStart('-').StartsWith('0')))
                {
                    // Leading zeros (account ids such as 011122223333) stay strings, as YAML 1.2 core schema readers would not agree on them.
                    writer.WriteNumberValue(integer);
                }
                else if (double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var real) && double.IsFinite(real) && text.Contains('.') && char.IsDigit(text[0]))
                {
                    writer.WriteNumberValue(real);
                }
                else
                {
                    writer.WriteStringValue(text);
                }

                break;
            case YamlScalarNode scalar:
                writer.WriteStringValue(scalar.Value ?? "");
                break;
            default:
                writer.WriteNullValue();
                break;
        }
    }

    private static YamlNode? Child(YamlMappingNode map, string key) =>
        map.Children.TryGetValue(new YamlScalarNode(key), out var value) ? value : null;

    private static string? OptionalString(YamlMappingNode map, string key) =>
        Child(map, key) switch
        {
            null => null,
            YamlScalarNode s => Scalar(s),
            var other => throw Error(other, $"'{key}' must be a scalar"),
        };

    /// <summary>A plain empty scalar, <c>~</c> and <c>null</c> are YAML null; quoted scalars are always strings.</summary>
    private static string? Scalar(YamlNode node)
    {
        var scalar = (YamlScalarNode)node;
        if (scalar.Style is ScalarStyle.Plain && (scalar.Value is null or "" or "~" or "null" or "Null" or "NULL"))
        {
            return null;
        }

        return scalar.Value ?? "";
    }

    private static string ScalarOrThrow(YamlNode node, string what) =>
        node is YamlScalarNode s && Scalar(s) is { } value ? value : throw Error(node, $"'{what}' must be a non-empty scalar");

    private static List<string> StringList(YamlNode node, string what) => node switch
    {
        YamlSequenceNode seq => seq.Children.Select(c => ScalarOrThrow(c, what)).ToList(),
        YamlScalarNode s => [ScalarOrThrow(s, what)],
        _ => throw Error(node, $"'{what}' must be a list of strings"),
    };

    private static SigmaRuleException Error(YamlNode node, string message) =>
        new(message, (int)node.Start.Line, (int)node.Start.Column);
}

/// <summary>
/// Refuses YAML that the representation model cannot load safely, before it is loaded: nesting deep
/// enough to exhaust the stack (YamlDotNet builds nodes recursively), aliases that expand into more
/// nodes than a rule could need ("billion laughs") or that refer to a node containing them (a cycle
/// every later walk would follow forever), and mapping keys that are not scalars (Sigma keys are names).
/// </summary>
internal sealed class GuardedYamlParser(IParser inner) : IParser
{
    /// <summary>Far deeper than any rule; an embedded test event stays within JSON's default depth of 64.</summary>
    public const int MaxDepth = 60;

    /// <summary>Nodes all aliases of one document may stand for together.</summary>
    public const int MaxAliasedNodes = 100_000;

    private readonly Stack<Collection> open = new();
    private readonly Dictionary<string, Anchored> anchors = new(StringComparer.Ordinal);
    private long aliased;

    public ParsingEvent? Current => inner.Current;

    public bool MoveNext()
    {
        if (!inner.MoveNext())
        {
            return false;
        }

        switch (inner.Current)
        {
            case DocumentStart:
                anchors.Clear();
                aliased = 0;
                break;
            case Scalar scalar:
                Place(scalar, isScalar: true);
                Finish(scalar.Anchor, new Anchored(1, 0, IsScalar: true));
                break;
            case AnchorAlias alias:
                Alias(alias);
                break;
            case NodeEvent start when start is SequenceStart or MappingStart:
                Place(start, isScalar: false);
                open.Push(new Collection(start.Anchor.IsEmpty ? null : start.Anchor.Value, start is MappingStart));
                if (open.Count > MaxDepth)
                {
                    throw new YamlException(start.Start, start.End, $"nesting deeper than {MaxDepth} levels");
                }

                break;
            case SequenceEnd or MappingEnd when open.Count > 0:
                var closed = open.Pop();
                var node = new Anchored(closed.Size + 1, closed.Height + 1, IsScalar: false);
                Finish(closed.Anchor is null ? AnchorName.Empty : new AnchorName(closed.Anchor), node);
                break;
        }

        return true;
    }

    private void Alias(AnchorAlias alias)
    {
        var name = alias.Value.Value;
        if (open.Any(c => c.Anchor == name))
        {
            throw new YamlException(alias.Start, alias.End, $"alias '*{name}' refers to a node that contains it");
        }

        if (!anchors.TryGetValue(name, out var target))
        {
            return; // YamlDotNet reports the unknown anchor itself.
        }

        Place(alias, target.IsScalar);
        aliased += target.Size;
        if (aliased > MaxAliasedNodes)
        {
            throw new YamlException(alias.Start, alias.End, $"aliases expand to more than {MaxAliasedNodes} nodes");
        }

        if (open.Count + target.Height > MaxDepth)
        {
            throw new YamlException(alias.Start, alias.End, $"alias '*{name}' nests deeper than {MaxDepth} levels");
        }

        Finish(AnchorName.Empty, target);
    }

    /// <summary>Checks a node about to be added to the innermost collection: in a key position it must be a scalar.</summary>
    private void Place(ParsingEvent node, bool isScalar)
    {
        if (open.TryPeek(out var parent) && parent.IsMapping)
        {
            if (parent.ExpectsKey && !isScalar)
            {
                throw new YamlException(node.Start, node.End, "mapping keys must be scalars");
            }

            parent.ExpectsKey = !parent.ExpectsKey;
        }
    }

    private void Finish(AnchorName anchor, Anchored node)
    {
        if (!anchor.IsEmpty)
        {
            anchors[anchor.Value] = node;
        }

        if (open.TryPeek(out var parent))
        {
            parent.Size += node.Size;
            parent.Height = Math.Max(parent.Height, node.Height);
        }
    }

    /// <summary>A node already read: how many nodes it holds, how many collections deep it goes, and whether it is a scalar.</summary>
    private sealed record Anchored(long Size, int Height, bool IsScalar);

    private sealed class Collection(string? anchor, bool isMapping)
    {
        public string? Anchor { get; } = anchor;

        public bool IsMapping { get; } = isMapping;

        public bool ExpectsKey { get; set; } = true;

        public long Size { get; set; }

        public int Height { get; set; }
    }
}

/// <summary>Glob matching of search-identifier names in <c>1 of selection_*</c> conditions.</summary>
internal static class WildcardName
{
    public static bool IsMatch(string pattern, string name)
    {
        if (!pattern.Contains('*'))
        {
            return pattern == name;
        }

        var parts = pattern.Split('*');
        if (!name.StartsWith(parts[0], StringComparison.Ordinal) || !name.EndsWith(parts[^1], StringComparison.Ordinal)
            || name.Length < parts[0].Length + parts[^1].Length)
        {
            return false;
        }

        var position = parts[0].Length;
        for (var i = 1; i < parts.Length - 1; i++)
        {
            var found = name.IndexOf(parts[i], position, StringComparison.Ordinal);
            if (found < 0)
            {
                return false;
            }

            position = found + parts[i].Length;
        }

        return position <= name.Length - parts[^1].Length;
    }
}
