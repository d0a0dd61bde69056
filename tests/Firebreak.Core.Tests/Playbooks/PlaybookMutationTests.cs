using System.Diagnostics;
using System.Text;
using System.Text.Json.Nodes;
using Firebreak.Core.Common;
using Firebreak.Core.Playbooks;
using Firebreak.Testing;

namespace Firebreak.Core.Tests.Playbooks;

/// <summary>
/// Seeded mutations of the built-in playbooks and the YAML sample, read as YAML and, exported, as CACAO. For every
/// mutant the reader gives a playbook or a <see cref="ValidationFailedException"/> whose errors each name a path and
/// a reason, never another exception, without hanging and with bounded allocation, on a thread with a server-sized stack; a
/// playbook that is read goes out to CACAO and back, and through YAML again, unchanged.
/// </summary>
public sealed class PlaybookMutationTests
{
    private const int MutantsPerClass = 30;
    private const long MutantAllocationLimit = 256L << 20;
    // ASP.NET Core runs requests on thread-pool threads, 1.5 MB of stack on Linux: a reader must fit well inside.
    private const int StackSize = 1024 * 1024;

    /// <summary>Room for the test's own recursion over the deepest mutants it writes.</summary>
    private const int MutantStackSize = 64 * 1024 * 1024;
    private static readonly DateTimeOffset At = new(2026, 11, 29, 12, 0, 0, TimeSpan.Zero);

    private static readonly (string Name, string Yaml)[] Seeds =
        [.. BuiltInPlaybooks.List().Select(b => (b.Definition.Id, b.Yaml)), ("sample", PlaybookYamlTests.Sample)];

    private static readonly string[] TrickyTexts =
        ["C:\\temp\\", "it's", "\\'", "a\\\\'b", "'", "\\", "ünïcödé ✓", "{{ incident.reference }}", "line\nbreak", " padded ", "\"quoted\"", "#hash", "- dash", "a: b", "null", "~", "true"];

    private static readonly Dictionary<string, Func<Random, string, (string Description, string Text)>> YamlMutations = new(StringComparer.Ordinal)
    {
        ["truncate"] = (random, yaml) => random.Next(yaml.Length) is var at ? ($"cut at {at}", yaml[..at]) : default,
        ["char-flip"] = (random, yaml) =>
        {
            var chars = yaml.ToCharArray();
            var flips = random.Next(1, 6);
            const string alphabet = "[]{}:-'\"#&*!|>%@`\t\n ,?\\\0\u0085\uFEFFa1";
            for (var i = 0; i < flips; i++) chars[random.Next(chars.Length)] = alphabet[random.Next(alphabet.Length)];
            return ($"{flips} characters changed", new string(chars));
        },
        ["lines"] = (random, yaml) =>
        {
            var lines = yaml.Split('\n').ToList();
            var at = random.Next(lines.Count);
            switch (random.Next(4))
            {
                case 0: lines.RemoveAt(at); return ($"line {at + 1} deleted", string.Join('\n', lines));
                case 1: lines.Insert(at, lines[at]); return ($"line {at + 1} repeated", string.Join('\n', lines));
                case 2: lines[at] = "  " + lines[at]; return ($"line {at + 1} indented", string.Join('\n', lines));
                default: lines[at] = lines[at].TrimStart(); return ($"line {at + 1} dedented", string.Join('\n', lines));
            }
        },
        ["invalid-text"] = (random, yaml) =>
        {
            string[] bad = ["\uD800", "\uDC00", "\0", "\u0007", "\uFFFE", "\uFFFD", "\u202E", "\r", "\t"];
            var text = bad[random.Next(bad.Length)];
            var at = random.Next(yaml.Length);
            return ($"U+{(int)text[0]:X4} at {at}", yaml.Insert(at, text));
        },
        ["wrong-type"] = (random, yaml) => ReplaceValue(random, yaml, r => new[] { "[a, b]", "{ a: b }", "~", "''", "42", "true", "\n      - x", "\n      k: v", "!!binary aGVsbG8=", "[[[]]]" }[r.Next(10)]),
        ["missing-field"] = (random, yaml) =>
        {
            var lines = yaml.Split('\n').ToList();
            var keyed = lines.Select((l, i) => (l, i)).Where(p => KeyLine(p.l) is not null).ToList();
            var (line, at) = keyed[random.Next(keyed.Count)];
            lines.RemoveAt(at);
            return ($"'{KeyLine(line)}' removed at line {at + 1}", string.Join('\n', lines));
        },
        ["huge"] = (random, yaml) => random.Next(3) switch
        {
            0 => ReplaceValue(random, yaml, r => "\"" + new string("ax{'"[r.Next(4)], 300_000) + "\""),
            1 => ReplaceValue(random, yaml, r => "\"" + new string('b', r.Next(100, 5_000)) + "\""),
            _ => ("300 more steps", yaml.TrimEnd() + "\n" + string.Concat(Enumerable.Range(0, 300).Select(i => $"  - id: extra-{i}\n    kind: approval\n    name: Extra {i}\n"))),
        },
        ["huge-list"] = (random, yaml) => random.Next(2) == 0
            ? ("a checklist of 5,000 items", yaml.Replace("steps:\n", "steps:\n  - id: big\n    kind: manual\n    name: Big\n    checklist: [" + string.Join(", ", Enumerable.Range(0, 5_000).Select(i => $"item {i}")) + "]\n", StringComparison.Ordinal))
            : ("80 inputs", yaml.Replace("steps:\n", "inputs:\n" + string.Concat(Enumerable.Range(0, 80).Select(i => $"  - name: extra{i}\n    type: text\n")) + "steps:\n", StringComparison.Ordinal)),
        ["deep-nesting"] = (random, yaml) =>
        {
            var depth = random.Next(2) == 0 ? random.Next(2, 70) : random.Next(70, 100_000);
            return random.Next(3) switch
            {
                0 => ReplaceValue(random, yaml, _ => new string('[', depth) + new string(']', depth)),
                1 => ReplaceValue(random, yaml, _ => string.Concat(Enumerable.Repeat("{a: ", depth)) + "x" + new string('}', depth)),
                _ => ($"{Math.Min(depth, 3_000)} nested conditions", NestedConditions(Math.Min(depth, 3_000))),
            };
        },
        ["anchors"] = (random, yaml) => random.Next(3) switch
        {
            0 => ("an alias bomb", "id: bomb\nname: Bomb\na: &a [x, x, x, x, x, x, x, x, x]\n"
                + string.Concat(Enumerable.Range(0, 9).Select(i => $"{(char)('b' + i)}: &{(char)('b' + i)} [*{(char)('a' + i)}, *{(char)('a' + i)}, *{(char)('a' + i)}, *{(char)('a' + i)}, *{(char)('a' + i)}, *{(char)('a' + i)}, *{(char)('a' + i)}, *{(char)('a' + i)}, *{(char)('a' + i)}]\n"))
                + "steps: *j\n"),
            1 => ("an anchored step and its alias", yaml.Replace("steps:\n  - ", "steps:\n  - &first\n    ", StringComparison.Ordinal).TrimEnd() + "\n  - *first\n"),
            _ => ("an alias to an unknown anchor", yaml.Replace("name: ", "name: *nowhere\nx: ", StringComparison.Ordinal)),
        },
        ["duplicate-ids"] = (random, yaml) =>
        {
            var ids = IdLines(yaml);
            var (from, to) = (ids[random.Next(ids.Count)], ids[random.Next(ids.Count)]);
            return ($"step id '{to}' given to '{from}' too", yaml.Replace($"- id: {from}\n", $"- id: {to}\n", StringComparison.Ordinal).Replace($"  id: {from}\n", $"  id: {to}\n", StringComparison.Ordinal));
        },
        ["placeholders"] = (random, yaml) => ReplaceTemplate(random, yaml, r => new[] { "{{ inputs.nope }}", "{{ nope }}", "{{ incident.nope }}", "{{", "{{ inputs. }}", "{{{{ inputs.x }}}}", "}}{{", string.Concat(Enumerable.Repeat("{{ inputs.a", 2_000)) }[r.Next(8)]),
        ["tricky-values"] = (random, yaml) => ReplaceQuoted(random, yaml, r => TrickyTexts[r.Next(TrickyTexts.Length)]),
    };

    public static TheoryData<string> YamlClasses() => new(YamlMutations.Keys.Order(StringComparer.Ordinal));

    public static TheoryData<string> CacaoClasses() => new(CacaoMutations.Keys.Order(StringComparer.Ordinal));

    [Theory]
    [MemberData(nameof(YamlClasses))]
    public void YamlMutants_AreReadOrRefusedWithPathAndReason_AndReadOnesRoundTrip(string mutationClass) =>
        RunMutants("yaml", mutationClass, mutationClass, [.. Seeds.Select(s => (s.Name, s.Yaml))], YamlMutations[mutationClass], PlaybookYaml.Parse);

    [Theory]
    [MemberData(nameof(CacaoClasses))]
    public void CacaoMutants_AreReadOrRefusedWithPathAndReason_AndReadOnesRoundTrip(string mutationClass) =>
        RunMutants("cacao", mutationClass, "cacao-" + mutationClass, [.. Seeds.Select(s => (s.Name, PlaybookCacao.Export(PlaybookYaml.Parse(s.Yaml), At)))],
            CacaoMutations[mutationClass], PlaybookCacao.Import);

    /// <summary>Reads every mutant of one class with <paramref name="read"/>; a playbook read must round-trip, and each outcome must be what the class expects.</summary>
    private static void RunMutants(string format, string mutationClass, string seed, (string Name, string Text)[] seeds,
        Func<Random, string, (string Description, string Text)> mutate, Func<string, PlaybookDefinition> read)
    {
        // The mutants are made apart, on a large stack: writing a mutant 3,000 levels deep recurses in the test's own JSON
        // writer, which overflowed the server-sized stack when a loaded machine ran it before the JIT had optimised it.
        var mutants = OnStack(MutantStackSize, () =>
        {
            var random = new Random(StableSeed(seed));
            return Enumerable.Range(0, MutantsPerClass).Select(_ =>
            {
                var (name, original) = seeds[random.Next(seeds.Length)];
                var (description, text) = mutate(random, original);
                return (Name: name, Description: description, Text: text);
            }).ToList();
        });
        var (failures, refused, readCount) = OnServerSizedStack(() =>
        {
            var failures = new List<string>();
            int refused = 0, readCount = 0;
            for (var n = 0; n < mutants.Count; n++)
            {
                var (name, description, text) = mutants[n];
                var problems = Check(() => read(text), out var playbook, out var error);
                if (playbook is null) refused++;
                else readCount++;
                if (playbook is not null) problems.AddRange(RoundTrip(playbook));
                problems.AddRange(Expected(mutationClass, description, playbook, error));
                if (problems.Count > 0) failures.Add($"#{n} {mutationClass} of {name} ({description}): {string.Join("; ", problems)}\n--- mutant ---\n{Cut(text, 1200)}");
            }
            return (failures, refused, readCount);
        });
        Assert.True(failures.Count == 0, $"{failures.Count} of {MutantsPerClass} '{mutationClass}' mutants failed:\n\n" + string.Join("\n\n", failures.Take(3)));
        TestContext.Current.SendDiagnosticMessage($"{format} {mutationClass}: {readCount} read, {refused} refused");
    }

    private static readonly Dictionary<string, Func<Random, string, (string Description, string Text)>> CacaoMutations = new(StringComparer.Ordinal)
    {
        ["truncate"] = (random, json) => random.Next(json.Length) is var at ? ($"cut at {at}", json[..at]) : default,
        ["char-flip"] = (random, json) =>
        {
            var chars = json.ToCharArray();
            var flips = random.Next(1, 6);
            const string alphabet = "[]{}:,\"\\ 0e-.tnu\uD800";
            for (var i = 0; i < flips; i++) chars[random.Next(chars.Length)] = alphabet[random.Next(alphabet.Length)];
            return ($"{flips} characters changed", new string(chars));
        },
        ["escaped-surrogate"] = (random, json) =>
        {
            var quotes = Enumerable.Range(0, json.Length).Where(i => json[i] == '"').ToList();
            var at = quotes[random.Next(quotes.Count)] + 1;
            var escape = new[] { @"\ud800", @"\udfff", @"\ud800\u0041" }[random.Next(3)];
            return ($"{escape} at {at}", json.Insert(at, escape));
        },
        ["wrong-type"] = (random, json) => JsonChange(random, json, (_, r) => new JsonNode?[] { null, 42, 1e308, true, "text", new JsonArray("x", 1), new JsonObject { ["k"] = "v" } }[r.Next(7)]),
        ["missing-field"] = (random, json) => JsonChange(random, json, (_, _) => RemoveNode),
        ["huge"] = (random, json) => JsonChange(random, json, (node, r) => r.Next(2) == 0
            ? JsonValue.Create(new string("a'\\{"[r.Next(4)], 200_000))
            : new JsonArray(Enumerable.Range(0, 5_000).Select(_ => node?.DeepClone()).ToArray())),
        ["deep-nesting"] = (random, json) => JsonChange(random, json, (_, r) =>
        {
            JsonNode nested = "x";
            var depth = r.Next(2) == 0 ? r.Next(2, 60) : r.Next(60, 3_000);
            for (var i = 0; i < depth; i++) nested = i % 2 == 0 ? new JsonArray(nested) : new JsonObject { ["a"] = nested };
            return nested;
        }),
        ["references"] = (random, json) =>
        {
            var root = JsonNode.Parse(json)!;
            var workflow = root["workflow"]!.AsObject();
            var ids = workflow.Select(s => s.Key).ToList();
            var steps = workflow.Where(s => s.Value!["type"]!.GetValue<string>() is not ("start" or "end")).ToList();
            var (id, step) = steps[random.Next(steps.Count)];
            string description;
            switch (random.Next(6))
            {
                case 0:
                    var back = ids[random.Next(ids.Count)];
                    step!["on_completion"] = back;
                    description = $"{id} now goes on to {back}";
                    break;
                case 1:
                    step!["on_completion"] = id;
                    description = $"{id} goes on to itself";
                    break;
                case 2:
                    step!["on_completion"] = "action--00000000-0000-4000-8000-000000000000";
                    description = $"{id} goes on to a step not in the workflow";
                    break;
                case 3:
                    root["workflow_start"] = random.Next(2) == 0 ? id : "start--missing";
                    description = "workflow_start is not a start step";
                    break;
                case 4:
                    // Parallel branches that join: each branch's last step goes on to what follows the parallel step.
                    var parallel = workflow.FirstOrDefault(s => s.Value!["type"]!.GetValue<string>() == "parallel");
                    if (parallel.Value is null) goto case 1;
                    var after = parallel.Value["on_completion"]?.GetValue<string>() ?? ids[0];
                    foreach (var first in parallel.Value["next_steps"]!.AsArray()) Last(workflow, first!.GetValue<string>())["on_completion"] = after;
                    description = $"the branches of {parallel.Key} join at {after}";
                    break;
                default:
                    // Branches that never join: each loops back to its own first step.
                    var split = workflow.FirstOrDefault(s => s.Value!["type"]!.GetValue<string>() is "parallel" or "if-condition");
                    if (split.Value is null) goto case 1;
                    var firsts = split.Value["next_steps"]?.AsArray().Select(f => f!.GetValue<string>()).ToList() ?? [split.Value["on_true"]!.GetValue<string>()];
                    foreach (var first in firsts) Last(workflow, first)["on_completion"] = first;
                    description = $"the branches of {split.Key} loop";
                    break;
            }
            return (description, root.ToJsonString(Deep));
        },
        ["duplicate-ids"] = (random, json) =>
        {
            var root = JsonNode.Parse(json)!;
            var extensions = root["workflow"]!.AsObject().Select(s => s.Value!["step_extensions"]?[PlaybookCacao.Extension]).OfType<JsonObject>().ToList();
            var (from, to) = (extensions[random.Next(extensions.Count)], extensions[random.Next(extensions.Count)]);
            var description = $"step id '{to["id"]}' given to '{from["id"]}' too";
            from["id"] = to["id"]!.GetValue<string>();
            return (description, root.ToJsonString(Deep));
        },
        ["placeholders"] = (random, json) =>
        {
            var root = JsonNode.Parse(json)!;
            var actions = root["workflow"]!.AsObject().Select(s => s.Value!["step_extensions"]?[PlaybookCacao.Extension]).OfType<JsonObject>().Where(e => e["kind"]!.GetValue<string>() == "action").ToList();
            var template = new[] { "{{ inputs.nope }}", "{{ nope }}", "{{", "{{ inputs.a" }[random.Next(4)];
            if (actions.Count == 0)
            {
                // A playbook without actions: one of its manual steps becomes an action.
                var manual = root["workflow"]!.AsObject().Select(s => s.Value!["step_extensions"]?[PlaybookCacao.Extension]).OfType<JsonObject>().First(e => e["kind"]!.GetValue<string>() == "manual");
                (manual["kind"], manual["action"], manual["account"], manual["region"], manual["resource"]) = ("action", "aws-x", "a", "r", "r");
                actions.Add(manual);
            }
            var action = actions[random.Next(actions.Count)];
            var field = new[] { "account", "region", "resource" }[random.Next(3)];
            action[field] = template;
            return ($"{field} = {template}", root.ToJsonString(Deep));
        },
        ["conditions"] = (random, json) =>
        {
            var root = JsonNode.Parse(json)!;
            var conditions = root["workflow"]!.AsObject().Where(s => s.Value!["type"]!.GetValue<string>() == "if-condition").Select(s => s.Value!).ToList();
            var condition = new[]
            {
                "__a__:value = 'x' AND __b__:value = 'y'", "__a__:value MATCHES '(a+)+$'", "__a__:value = '" + new string('\\', 50_001) + "'",
                "__a__:value = '" + string.Concat(Enumerable.Repeat("\\'", 50_000)), "__" + new string('a', 70) + "__:value = 'x'", "__a__:value < 5", "",
            }[random.Next(7)];
            if (conditions.Count == 0) return ("no condition to change", "{}");
            var target = conditions[random.Next(conditions.Count)];
            target.AsObject().Remove("step_extensions");
            target["condition"] = condition;
            return ($"condition {Cut(condition, 60)}", root.ToJsonString(Deep));
        },
    };

    /// <summary>Runs <paramref name="work"/> on a thread with a server-sized stack, so deep recursion fails the test instead of passing on a big main stack.</summary>
    private static T OnServerSizedStack<T>(Func<T> work) => OnStack(StackSize, work);

    private static T OnStack<T>(int stackSize, Func<T> work)
    {
        T result = default!;
        Exception? failure = null;
        var thread = new Thread(() =>
        {
            try
            {
                result = work();
            }
            catch (Exception ex)
            {
                failure = ex;
            }
        }, stackSize);
        thread.Start();
        Assert.True(thread.Join(HangGuard.Limit), $"the mutants did not finish within {HangGuard.Limit.TotalSeconds:F0} s");
        if (failure is not null) throw new InvalidOperationException("the mutation run failed", failure);
        return result;
    }

    private static List<string> Check(Func<PlaybookDefinition> read, out PlaybookDefinition? playbook, out ValidationFailedException? error)
    {
        var problems = new List<string>();
        playbook = null;
        error = null;
        var clock = Stopwatch.StartNew();
        var allocated = GC.GetAllocatedBytesForCurrentThread();
        try
        {
            playbook = read();
        }
        catch (ValidationFailedException ex)
        {
            error = ex;
            if (ex.Errors.Count == 0) problems.Add("refused without any error");
            foreach (var (path, messages) in ex.Errors)
            {
                if (string.IsNullOrWhiteSpace(path) || messages.Length == 0 || messages.Any(m => string.IsNullOrWhiteSpace(m) || m.Length > 1_000))
                    problems.Add($"an error without a path or a short reason: '{Cut(path, 80)}' = [{Cut(string.Join(" | ", messages), 200)}]");
            }
        }
        catch (Exception ex)
        {
            problems.Add($"threw {ex.GetType().Name}: {Cut(ex.Message, 300)}");
        }
        if (HangGuard.IsPast(clock.Elapsed)) problems.Add($"took {clock.Elapsed.TotalSeconds:F1} s");
        if (GC.GetAllocatedBytesForCurrentThread() - allocated is var used && used > MutantAllocationLimit) problems.Add($"allocated {used >> 20} MB");
        return problems;
    }

    /// <summary>A playbook that was read is written as YAML and CACAO and read back unchanged (docs/playbooks.md).</summary>
    private static IEnumerable<string> RoundTrip(PlaybookDefinition playbook)
    {
        var yaml = PlaybookYaml.Write(playbook);
        string? again;
        string cacao;
        try
        {
            again = PlaybookYaml.Write(PlaybookYaml.Parse(yaml));
            cacao = PlaybookCacao.Export(playbook, At);
        }
        catch (Exception ex)
        {
            return [$"written as YAML, did not read back: {ex.GetType().Name} {Describe(ex)}"];
        }
        if (again != yaml) return ["written as YAML and read back, it changed"];
        try
        {
            var imported = PlaybookCacao.Import(cacao);
            if (PlaybookYaml.Write(imported) != yaml) return ["exported to CACAO and imported, it changed"];
            if (PlaybookCacao.Export(imported, At) != cacao) return ["exported to CACAO again, the export changed"];
        }
        catch (Exception ex)
        {
            return [$"exported to CACAO, did not import: {ex.GetType().Name} {Describe(ex)}"];
        }
        return [];
    }

    /// <summary>What some classes must give: the refusals the docs promise.</summary>
    private static IEnumerable<string> Expected(string mutationClass, string description, PlaybookDefinition? playbook, ValidationFailedException? error)
    {
        var messages = error?.Errors.SelectMany(e => e.Value.Select(m => $"{e.Key}: {m}")).ToList() ?? [];
        bool Says(string text) => messages.Any(m => m.Contains(text, StringComparison.Ordinal));
        switch (mutationClass)
        {
            case "anchors" when playbook is not null || !Says("anchors and aliases are not supported"):
                yield return "an anchor or alias was not refused as such";
                break;
            case "duplicate-ids" when !description.StartsWith("step id '", StringComparison.Ordinal) || IsSame(description):
                break;
            case "duplicate-ids" when playbook is not null || !Says("is used twice"):
                yield return "a duplicate step id was not refused as such";
                break;
            case "placeholders" when playbook is not null:
                yield return "an unknown or broken placeholder was accepted";
                break;
            // Only pointing a step at another one (possibly the one it already goes to, or one further on) may be read.
            case "references" when playbook is not null && !description.Contains(" now goes on to ", StringComparison.Ordinal):
                yield return "a loop, a join or a missing step was accepted";
                break;
            case "deep-nesting" when description.Contains("nested conditions", StringComparison.Ordinal) && playbook is not null
                && playbook.AllSteps().Count() > PlaybookLimits.MaxSteps:
                yield return "more nested steps than allowed were accepted";
                break;
        }
    }

    private static bool IsSame(string description)
    {
        var parts = description.Split('\'');
        return parts.Length >= 4 && parts[1] == parts[3];
    }

    private static string Describe(Exception ex) => ex is ValidationFailedException v
        ? string.Join("; ", v.Errors.Select(e => $"{e.Key}={string.Join(",", e.Value)}"))
        : ex.Message;

    private static readonly JsonNode RemoveNode = JsonValue.Create("remove-this-node")!;

    private static (string, string) JsonChange(Random random, string json, Func<JsonNode?, Random, JsonNode?> change)
    {
        var root = JsonNode.Parse(json)!;
        var nodes = Children(root).ToList();
        var (parent, key, node) = nodes[random.Next(nodes.Count)];
        var value = change(node, random);
        if (parent is JsonObject o)
        {
            if (ReferenceEquals(value, RemoveNode)) o.Remove((string)key);
            else o[(string)key] = value;
        }
        else if (ReferenceEquals(value, RemoveNode)) parent.AsArray().RemoveAt((int)key);
        else parent.AsArray()[(int)key] = value;
        return ($"{node?.GetPath() ?? $"{parent.GetPath()}[{key}]"} changed", root.ToJsonString(Deep));
    }

    private static IEnumerable<(JsonNode Parent, object Key, JsonNode? Node)> Children(JsonNode? node)
    {
        if (node is JsonObject o)
        {
            foreach (var (key, value) in o.ToList())
            {
                yield return (o, key, value);
                foreach (var inner in Children(value)) yield return inner;
            }
        }
        else if (node is JsonArray a)
        {
            for (var i = 0; i < a.Count; i++)
            {
                yield return (a, i, a[i]);
                foreach (var inner in Children(a[i])) yield return inner;
            }
        }
    }

    private static JsonNode Last(JsonObject workflow, string first)
    {
        var step = workflow[first]!;
        for (var n = 0; step["on_completion"] is { } next && n < 500; n++) step = workflow[next.GetValue<string>()]!;
        return step;
    }

    private static string? KeyLine(string line)
    {
        var trimmed = line.TrimStart(' ', '-');
        var colon = trimmed.IndexOf(':');
        return colon > 0 && trimmed[..colon].All(c => char.IsAsciiLetterOrDigit(c) || c == '-') ? trimmed[..colon] : null;
    }

    /// <summary>The value after a random "key:" replaced.</summary>
    private static (string, string) ReplaceValue(Random random, string yaml, Func<Random, string> value)
    {
        var lines = yaml.Split('\n');
        var keyed = lines.Select((l, i) => (l, i)).Where(p => KeyLine(p.l) is not null).ToList();
        var (line, at) = keyed[random.Next(keyed.Count)];
        var colon = line.IndexOf(':');
        var replacement = value(random);
        lines[at] = line[..(colon + 1)] + " " + replacement;
        return ($"'{KeyLine(line)}' at line {at + 1} = {Cut(replacement, 60)}", string.Join('\n', lines));
    }

    /// <summary>A template in a step field replaced, or added to an action's resource.</summary>
    private static (string, string) ReplaceTemplate(Random random, string yaml, Func<Random, string> template)
    {
        var lines = yaml.Split('\n');
        var fields = lines.Select((l, i) => (l, i)).Where(p => p.l.TrimStart().StartsWith("resource:", StringComparison.Ordinal) || p.l.TrimStart().StartsWith("account:", StringComparison.Ordinal)).ToList();
        var text = template(random);
        if (fields.Count == 0)
            return ("an action step with a template", yaml.Replace("steps:\n", $"steps:\n  - id: templated\n    kind: action\n    name: T\n    action: aws-x\n    account: '{text}'\n    region: r\n    resource: r\n", StringComparison.Ordinal));
        var (line, at) = fields[random.Next(fields.Count)];
        lines[at] = line[..(line.IndexOf(':') + 1)] + " '" + text + "'";
        return ($"line {at + 1} = {Cut(text, 60)}", string.Join('\n', lines));
    }

    /// <summary>A double-quoted scalar, or a condition's equals value, replaced by a text that needs escaping somewhere.</summary>
    private static (string, string) ReplaceQuoted(Random random, string yaml, Func<Random, string> text)
    {
        var value = text(random);
        var quoted = "\"" + value.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal).Replace("\n", "\\n", StringComparison.Ordinal) + "\"";
        var lines = yaml.Split('\n');
        // Conditions' values (half the time, as they are few), else step and playbook names.
        var conditions = lines.Select((l, i) => (l, i)).Where(p => p.l.Contains("equals:", StringComparison.Ordinal)).ToList();
        var candidates = conditions.Count > 0 && random.Next(2) == 0 ? conditions : lines.Select((l, i) => (l, i)).Where(p => p.l.TrimStart().StartsWith("name:", StringComparison.Ordinal)).ToList();
        var (line, at) = candidates[random.Next(candidates.Count)];
        if (line.Contains("equals:", StringComparison.Ordinal))
        {
            var start = line.IndexOf("equals:", StringComparison.Ordinal) + "equals:".Length;
            var end = line.IndexOf('}', start);
            lines[at] = line[..start] + " " + quoted + (end < 0 ? "" : " " + line[end..]);
        }
        else lines[at] = line[..(line.IndexOf(':') + 1)] + " " + quoted;
        return ($"line {at + 1} = {Cut(value, 40)}", string.Join('\n', lines));
    }

    private static List<string> IdLines(string yaml) =>
        yaml.Split('\n').Select(l => l.Trim()).Where(l => l.StartsWith("- id: ", StringComparison.Ordinal))
            .Select(l => l["- id: ".Length..].Trim()).ToList();

    /// <summary>Conditions each holding the next: deeper than steps may nest, and more steps than allowed when long.</summary>
    private static string NestedConditions(int depth)
    {
        var builder = new StringBuilder("id: deep\nname: Deep\nsteps:\n  - id: first\n    kind: approval\n    name: First\n");
        var indent = "  ";
        for (var i = 0; i < depth; i++)
        {
            builder.Append($"{indent}- id: c{i}\n{indent}  kind: condition\n{indent}  name: C{i}\n{indent}  if: {{ step: first, outcome: succeeded }}\n{indent}  then:\n");
            indent += "    ";
        }
        builder.Append($"{indent}- id: last\n{indent}  kind: approval\n{indent}  name: Last\n");
        return builder.ToString();
    }

    /// <summary>Lets the mutants nest deeper than the writer's default of 1,000 levels.</summary>
    private static readonly System.Text.Json.JsonSerializerOptions Deep = new() { MaxDepth = 10_000 };

    private static string Cut(string text, int length) => text.Length > length ? text[..length] + "..." : text;

    private static int StableSeed(string text) => text.Aggregate(17, (hash, c) => unchecked(hash * 31 + c));

    [Fact]
    public void Yaml_NestedTooDeep_IsRefusedWithTheLine_InsteadOfOverflowingTheStack()
    {
        var (flow, block) = OnServerSizedStack(() =>
        {
            var flow = Assert.Throws<ValidationFailedException>(() => PlaybookYaml.Parse("id: x\nname: X\nsteps: " + new string('[', 100_000) + new string(']', 100_000) + "\n"));
            var block = Assert.Throws<ValidationFailedException>(() => PlaybookYaml.Parse("id: x\nname: X\nsteps:\n" + string.Concat(Enumerable.Range(0, 300).Select(i => new string(' ', 2 * i) + "- k:\n"))));
            return (flow, block);
        });

        Assert.StartsWith("line 3: the YAML nests deeper than 64 levels", flow.Errors["$"][0]);
        Assert.Matches("^line [0-9]+: the YAML nests deeper than 64 levels", block.Errors["$"][0]);
    }

    [Fact]
    public void Yaml_MalformedWhereTheYamlReaderFails_IsRefusedAsNotValidYaml()
    {
        var error = Assert.Throws<ValidationFailedException>(() => PlaybookYaml.Parse(
            "id: x\nname: X\ninputs:\n  - name: vm\n    {ype: instance\n    required: false\nsteps:\n  - id: a\n    kind: approval\n    name: A\n"));

        Assert.StartsWith("line 4: not valid YAML", error.Errors["$"][0]);
    }

    [Fact]
    public void Yaml_ALoneSurrogate_IsRefusedWithTheLine()
    {
        var error = Assert.Throws<ValidationFailedException>(() => PlaybookYaml.Parse("id: x\nname: X\nsteps:\n  - id: a\n    kind: approval\n    name: A\uD800\n"));

        Assert.Equal("line 6: not valid text: a lone surrogate (half of a character).", error.Errors["$"][0]);
    }

    [Fact]
    public void Errors_QuotingHugeInput_StayShort()
    {
        var huge = new string('b', 100_000);
        var yaml = Assert.Throws<ValidationFailedException>(() => PlaybookYaml.Parse($"id: x\nname: X\nsteps:\n  - id: a\n    kind: {huge}\n    name: A\n"));
        var json = PlaybookCacao.Export(PlaybookYaml.Parse(PlaybookYamlTests.Sample), At);
        var cacao = Assert.Throws<ValidationFailedException>(() => PlaybookCacao.Import(json.Replace("\"type\": \"parallel\"", $"\"type\": \"{huge}\"", StringComparison.Ordinal)));

        Assert.All(yaml.Errors.Concat(cacao.Errors), e => Assert.All(e.Value, m => Assert.InRange(m.Length, 1, 501)));
        Assert.Contains(cacao.Errors.Values.SelectMany(m => m), m => m.StartsWith("unsupported CACAO feature: step type 'bbb", StringComparison.Ordinal));
    }

    [Fact]
    public void Yaml_AsDeepAsStepsMayNest_StillReads()
    {
        var playbook = PlaybookYaml.Parse(NestedConditions(PlaybookLimits.MaxDepth - 1));

        Assert.Equal(PlaybookLimits.MaxDepth + 1, playbook.AllSteps().Count());
    }

    [Theory]
    [InlineData("C:\\temp\\")]
    [InlineData("\\'")]
    [InlineData("a\\\\'b")]
    [InlineData("it's")]
    public void Cacao_ConditionValuesWithBackslashes_GoOutAndBackUnchanged(string value)
    {
        var playbook = PlaybookYaml.Parse(PlaybookYamlTests.Sample);
        var changed = playbook with { Steps = [.. playbook.Steps.Select(s => s.Id == "choose" ? s with { If = s.If! with { EqualsValue = value } } : s)] };

        var again = PlaybookCacao.Import(PlaybookCacao.Export(changed, At));

        Assert.Equal(value, again.Steps.Single(s => s.Id == "choose").If!.EqualsValue);
        Assert.Equal(PlaybookYaml.Write(changed), PlaybookYaml.Write(again));
    }

    [Fact]
    public void Cacao_AnEscapedLoneSurrogate_IsRefusedWithTheLine()
    {
        var json = PlaybookCacao.Export(PlaybookYaml.Parse(PlaybookYamlTests.Sample), At).Replace("\"name\": \"Wrap up\"", "\"name\": \"Wrap \\ud800up\"", StringComparison.Ordinal);
        var line = json[..json.IndexOf("\\ud800", StringComparison.Ordinal)].Count(c => c == '\n') + 1;

        var error = Assert.Throws<ValidationFailedException>(() => PlaybookCacao.Import(json));

        Assert.Equal($"line {line}: not valid text: a string holds an escaped lone surrogate.", error.Errors["$"][0]);
    }
}
