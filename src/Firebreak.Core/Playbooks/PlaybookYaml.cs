using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text;
using System.Text.RegularExpressions;
using Firebreak.Core.Common;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace Firebreak.Core.Playbooks;

/// <summary>
/// Reads and writes the playbook YAML (docs/playbooks.md). Reading is strict: unknown keys, wrong types, duplicate ids,
/// unknown template names and references to later steps are all errors, each keyed by its path and naming its line.
/// </summary>
public static partial class PlaybookYaml
{
    /// <summary>Lists and mappings inside each other; the deepest playbook allowed (steps 8 deep) needs about 30.</summary>
    private const int MaxYamlDepth = 64;

    public static PlaybookDefinition Parse(string text)
    {
        var errors = new Errors();
        if (Encoding.UTF8.GetByteCount(text) > PlaybookLimits.MaxSourceBytes)
        {
            errors.Add("$", null, $"The playbook is larger than {PlaybookLimits.MaxSourceBytes / 1024} KiB.");
            errors.ThrowIfAny();
        }
        // A lone surrogate cannot be written back (as YAML or JSON): refuse it as the text it is not.
        for (var i = 0; i < text.Length; i++)
        {
            if (char.IsSurrogate(text[i]) && !(char.IsHighSurrogate(text[i]) && i + 1 < text.Length && char.IsLowSurrogate(text[++i])))
            {
                errors.Add("$", text.AsSpan(0, i).Count('\n') + 1, "not valid text: a lone surrogate (half of a character).");
                errors.ThrowIfAny();
            }
        }
        YamlStream stream = [];
        var lastLine = 1;
        try
        {
            // Aliases would let a small file expand into a huge tree as it is read: refuse them before loading.
            // Loading nests a call per level, so deep nesting would overflow the stack: refuse it before loading too.
            var parser = new Parser(new StringReader(text));
            var depth = 0;
            while (parser.MoveNext())
            {
                lastLine = (int)parser.Current!.End.Line;
                if (parser.Current is YamlDotNet.Core.Events.AnchorAlias || parser.Current is YamlDotNet.Core.Events.NodeEvent { Anchor.IsEmpty: false })
                {
                    errors.Add("$", (int)parser.Current.Start.Line, "YAML anchors and aliases are not supported in playbooks: write each step out.");
                    errors.ThrowIfAny();
                }
                if (parser.Current is YamlDotNet.Core.Events.SequenceStart or YamlDotNet.Core.Events.MappingStart && ++depth > MaxYamlDepth)
                {
                    errors.Add("$", (int)parser.Current.Start.Line, $"the YAML nests deeper than {MaxYamlDepth} levels; steps nest at most {PlaybookLimits.MaxDepth} deep.");
                    errors.ThrowIfAny();
                }
                if (parser.Current is YamlDotNet.Core.Events.SequenceEnd or YamlDotNet.Core.Events.MappingEnd) depth--;
            }
            stream.Load(new StringReader(text));
        }
        catch (YamlException e)
        {
            errors.Add("$", (int)e.Start.Line, $"not valid YAML: {Clean(e.Message)}");
            errors.ThrowIfAny();
        }
        catch (InvalidOperationException)
        {
            // YamlDotNet's scanner throws this on some malformed input (a '{' starting a key inside a block mapping).
            errors.Add("$", lastLine, $"not valid YAML: the YAML reader stopped after line {lastLine}.");
            errors.ThrowIfAny();
        }
        if (stream.Documents.Count != 1 || stream.Documents[0].RootNode is not YamlMappingNode root)
        {
            errors.Add("$", stream.Documents.Count > 0 ? (int)stream.Documents[0].RootNode.Start.Line : null,
                stream.Documents.Count > 1 ? "one playbook per file: found several YAML documents." : "the playbook must be a YAML mapping with id, name and steps.");
            errors.ThrowIfAny();
            throw new UnreachableException();
        }
        var reader = new Reader(errors);
        var definition = reader.Playbook(root);
        errors.ThrowIfAny();
        PlaybookChecks.Check(definition, errors);
        errors.ThrowIfAny();
        return definition;
    }

    public static string Write(PlaybookDefinition playbook)
    {
        var root = new YamlMappingNode
        {
            { "id", playbook.Id },
            { "name", playbook.Name },
        };
        if (playbook.Description.Length > 0) root.Add("description", Text(playbook.Description));
        if (playbook.Inputs.Count > 0)
        {
            var inputs = new YamlSequenceNode();
            foreach (var input in playbook.Inputs)
            {
                var node = new YamlMappingNode { { "name", input.Name }, { "type", EnumText(input.Type) } };
                if (input.From != InputSource.Responder) node.Add("from", EnumText(input.From));
                if (!input.Required) node.Add("required", "false");
                if (input.Default is not null) node.Add("default", Quoted(input.Default));
                if (input.Description.Length > 0) node.Add("description", Text(input.Description));
                inputs.Add(node);
            }
            root.Add("inputs", inputs);
        }
        root.Add("steps", Steps(playbook.Steps));
        var document = new YamlDocument(root);
        var writer = new StringWriter(CultureInfo.InvariantCulture);
        new YamlStream(document).Save(writer, assignAnchors: false);
        var yaml = writer.ToString();
        // The stream writer ends the document with "...": not wanted in a file people edit.
        return yaml.EndsWith("...\n", StringComparison.Ordinal) ? yaml[..^4] : yaml.EndsWith("...\r\n", StringComparison.Ordinal) ? yaml[..^5] : yaml;
    }

    private static YamlSequenceNode Steps(IEnumerable<PlaybookStep> steps)
    {
        var sequence = new YamlSequenceNode();
        foreach (var step in steps)
        {
            var node = new YamlMappingNode { { "id", step.Id }, { "kind", EnumText(step.Kind) }, { "name", step.Name } };
            if (step.Description is { Length: > 0 } description) node.Add("description", Text(description));
            if (step.OnFailure != FailurePolicy.Stop) node.Add("on-failure", EnumText(step.OnFailure));
            switch (step.Kind)
            {
                case StepKind.Action:
                    node.Add("action", step.Action!);
                    node.Add("account", Quoted(step.Account!));
                    node.Add("region", Quoted(step.Region!));
                    node.Add("resource", Quoted(step.Resource!));
                    if (step.ActionInputs.Count > 0)
                    {
                        var inputs = new YamlMappingNode();
                        foreach (var (name, value) in step.ActionInputs) inputs.Add(name, Quoted(value));
                        node.Add("inputs", inputs);
                    }
                    break;
                case StepKind.Manual:
                    node.Add("checklist", new YamlSequenceNode(step.Checklist.Select(c => (YamlNode)Quoted(c))));
                    break;
                case StepKind.Condition:
                    var test = new YamlMappingNode();
                    var condition = step.If!;
                    if (condition.Input is not null) test.Add("input", condition.Input);
                    if (condition.EqualsValue is not null) test.Add("equals", Quoted(condition.EqualsValue));
                    if (condition.NotEqualsValue is not null) test.Add("not-equals", Quoted(condition.NotEqualsValue));
                    if (condition.Step is not null) test.Add("step", condition.Step);
                    if (condition.Outcome is { } outcome) test.Add("outcome", EnumText(outcome));
                    node.Add("if", test);
                    node.Add("then", Steps(step.Then));
                    if (step.Else.Count > 0) node.Add("else", Steps(step.Else));
                    break;
                case StepKind.Parallel:
                    node.Add("branches", new YamlSequenceNode(step.Branches.Select(b => (YamlNode)Steps(b))));
                    break;
            }
            sequence.Add(node);
        }
        return sequence;
    }

    private static YamlScalarNode Quoted(string value) => new(value) { Style = ScalarStyle.DoubleQuoted };

    private static YamlScalarNode Text(string value) => new(value) { Style = value.Contains('\n') ? ScalarStyle.Literal : ScalarStyle.Plain };

    internal static string EnumText<T>(T value) where T : struct, Enum => System.Text.Json.JsonSerializer.Serialize(value).Trim('"');

    /// <summary>The value whose <see cref="EnumText{T}"/> is <paramref name="text"/>, or null.</summary>
    internal static T? ParseEnumText<T>(string text) where T : struct, Enum
    {
        foreach (var value in System.Enum.GetValues<T>())
            if (EnumText(value) == text) return value;
        return null;
    }

    /// <summary>Every value's text, for an error that names the choices.</summary>
    internal static string EnumTexts<T>() where T : struct, Enum => string.Join(", ", System.Enum.GetValues<T>().Select(EnumText));

    private static string Clean(string message) => message.Replace("\r", " ", StringComparison.Ordinal).Replace("\n", " ", StringComparison.Ordinal);

    /// <summary>Errors keyed by path; each message starts with its line when known.</summary>
    internal sealed class Errors
    {
        private readonly Dictionary<string, List<string>> _errors = [];

        public int Count => _errors.Count;

        public void Add(string path, int? line, string message)
        {
            if (_errors.Count >= 50) return;
            // Paths and messages quote the document (keys, ids, values): a hostile one must not make the error huge.
            if (path.Length > 200) path = path[..200] + "…";
            var text = line is { } l and > 0 ? $"line {l}: {message}" : message;
            if (!_errors.TryGetValue(path, out var list)) _errors[path] = list = [];
            list.Add(text.Length > 500 ? text[..500] + "…" : text);
        }

        public void ThrowIfAny()
        {
            if (_errors.Count > 0) throw new ValidationFailedException(_errors.ToDictionary(e => e.Key, e => e.Value.ToArray()));
        }
    }

    private sealed class Reader(Errors errors)
    {
        public PlaybookDefinition Playbook(YamlMappingNode root)
        {
            var map = Map(root, "", ["id", "name", "description", "inputs", "steps"]);
            var id = Scalar(map, root, "", "id", required: true) ?? "";
            var name = Scalar(map, root, "", "name", required: true) ?? "";
            var description = Scalar(map, root, "", "description") ?? "";
            var inputs = new List<PlaybookInput>();
            if (map.TryGetValue("inputs", out var inputsNode))
            {
                if (inputsNode is YamlSequenceNode sequence)
                {
                    for (var i = 0; i < sequence.Children.Count; i++)
                        if (Input(sequence.Children[i], $"inputs[{i}]") is { } input) inputs.Add(input);
                }
                else errors.Add("inputs", Line(inputsNode), "inputs must be a list.");
            }
            var steps = map.TryGetValue("steps", out var stepsNode) ? Steps(stepsNode, "steps", 1) : Missing("steps", root);
            return new PlaybookDefinition(id, name, description, inputs, steps);
        }

        private List<PlaybookStep> Missing(string key, YamlNode parent)
        {
            errors.Add(key, Line(parent), $"{key} is required.");
            return [];
        }

        private PlaybookInput? Input(YamlNode node, string path)
        {
            if (node is not YamlMappingNode mapping)
            {
                errors.Add(path, Line(node), "an input must be a mapping with name and type.");
                return null;
            }
            var map = Map(mapping, path, ["name", "type", "from", "required", "default", "description"]);
            var name = Scalar(map, mapping, path, "name", required: true) ?? "";
            var type = Enum<PlaybookInputType>(map, mapping, path, "type", required: true) ?? PlaybookInputType.Text;
            var from = Enum<InputSource>(map, mapping, path, "from") ?? InputSource.Responder;
            var required = Bool(map, path, "required") ?? true;
            return new PlaybookInput(name, type, from, required, Scalar(map, mapping, path, "default"), Scalar(map, mapping, path, "description") ?? "");
        }

        private List<PlaybookStep> Steps(YamlNode node, string path, int depth)
        {
            if (node is not YamlSequenceNode sequence)
            {
                errors.Add(path, Line(node), $"{path} must be a list of steps.");
                return [];
            }
            if (depth > PlaybookLimits.MaxDepth)
            {
                errors.Add(path, Line(node), $"steps nest at most {PlaybookLimits.MaxDepth} deep.");
                return [];
            }
            var steps = new List<PlaybookStep>();
            for (var i = 0; i < sequence.Children.Count; i++)
                if (Step(sequence.Children[i], $"{path}[{i}]", depth) is { } step) steps.Add(step);
            return steps;
        }

        private PlaybookStep? Step(YamlNode node, string path, int depth)
        {
            if (node is not YamlMappingNode mapping)
            {
                errors.Add(path, Line(node), "a step must be a mapping with id, kind and name.");
                return null;
            }
            string[] common = ["id", "kind", "name", "description", "on-failure"];
            var kindMap = Map(mapping, path, null);
            var kind = Enum<StepKind>(kindMap, mapping, path, "kind", required: true);
            if (kind is null) return null;
            string[] specific = kind switch
            {
                StepKind.Action => ["action", "account", "region", "resource", "inputs"],
                StepKind.Manual => ["checklist"],
                StepKind.Condition => ["if", "then", "else"],
                StepKind.Parallel => ["branches"],
                _ => [],
            };
            var map = Map(mapping, path, [.. common, .. specific]);
            var id = Scalar(map, mapping, path, "id", required: true) ?? "";
            var name = Scalar(map, mapping, path, "name", required: true) ?? "";
            var step = new PlaybookStep(id, kind.Value, name, Scalar(map, mapping, path, "description"), Enum<FailurePolicy>(map, mapping, path, "on-failure") ?? FailurePolicy.Stop, Line(mapping) ?? 0);
            switch (kind)
            {
                case StepKind.Action:
                    var inputs = new Dictionary<string, string>(StringComparer.Ordinal);
                    if (map.TryGetValue("inputs", out var inputsNode))
                    {
                        if (inputsNode is YamlMappingNode inputMap)
                        {
                            foreach (var (key, value) in inputMap.Children)
                            {
                                if (key is YamlScalarNode { Value: { } k } && value is YamlScalarNode { Value: { } v }) inputs[k] = v;
                                else errors.Add($"{path}.inputs", Line(key), "each action input is a name and a text value.");
                            }
                        }
                        else errors.Add($"{path}.inputs", Line(inputsNode), "inputs must be a mapping of names to values.");
                    }
                    return step with
                    {
                        Action = Scalar(map, mapping, path, "action", required: true),
                        Account = Scalar(map, mapping, path, "account", required: true),
                        Region = Scalar(map, mapping, path, "region", required: true),
                        Resource = Scalar(map, mapping, path, "resource", required: true),
                        ActionInputs = inputs,
                    };
                case StepKind.Manual:
                    var checklist = new List<string>();
                    if (!map.TryGetValue("checklist", out var listNode)) errors.Add($"{path}.checklist", Line(mapping), "a manual step needs a checklist.");
                    else if (listNode is not YamlSequenceNode items) errors.Add($"{path}.checklist", Line(listNode), "checklist must be a list of items.");
                    else
                    {
                        foreach (var item in items.Children)
                        {
                            if (item is YamlScalarNode { Value: { } text }) checklist.Add(text);
                            else errors.Add($"{path}.checklist", Line(item), "each checklist item is text.");
                        }
                    }
                    return step with { Checklist = checklist };
                case StepKind.Condition:
                    StepCondition? condition = null;
                    if (!map.TryGetValue("if", out var ifNode)) errors.Add($"{path}.if", Line(mapping), "a condition step needs 'if'.");
                    else if (ifNode is not YamlMappingNode test) errors.Add($"{path}.if", Line(ifNode), "if must be a mapping: input with equals or not-equals, or step with outcome.");
                    else
                    {
                        var t = Map(test, $"{path}.if", ["input", "equals", "not-equals", "step", "outcome"]);
                        condition = new StepCondition(Scalar(t, test, $"{path}.if", "input"), Scalar(t, test, $"{path}.if", "equals"), Scalar(t, test, $"{path}.if", "not-equals"),
                            Scalar(t, test, $"{path}.if", "step"), Enum<StepOutcome>(t, test, $"{path}.if", "outcome"));
                    }
                    var then = map.TryGetValue("then", out var thenNode) ? Steps(thenNode, $"{path}.then", depth + 1) : Missing($"{path}.then", mapping);
                    var otherwise = map.TryGetValue("else", out var elseNode) ? Steps(elseNode, $"{path}.else", depth + 1) : [];
                    return step with { If = condition, Then = then, Else = otherwise };
                case StepKind.Parallel:
                    var branches = new List<IReadOnlyList<PlaybookStep>>();
                    if (!map.TryGetValue("branches", out var branchesNode)) errors.Add($"{path}.branches", Line(mapping), "a parallel step needs branches.");
                    else if (branchesNode is not YamlSequenceNode list) errors.Add($"{path}.branches", Line(branchesNode), "branches must be a list of step lists.");
                    else
                    {
                        for (var i = 0; i < list.Children.Count; i++) branches.Add(Steps(list.Children[i], $"{path}.branches[{i}]", depth + 1));
                    }
                    return step with { Branches = branches };
                default:
                    return step;
            }
        }

        /// <summary>The mapping's keys, with unknown and non-text keys reported (null: accept any, used to read 'kind' first).</summary>
        private Dictionary<string, YamlNode> Map(YamlMappingNode node, string path, string[]? allowed)
        {
            var map = new Dictionary<string, YamlNode>(StringComparer.Ordinal);
            foreach (var (key, value) in node.Children)
            {
                if (key is not YamlScalarNode { Value: { } name })
                {
                    if (allowed is not null) errors.Add(path.Length == 0 ? "$" : path, Line(key), "keys must be text.");
                    continue;
                }
                if (allowed is not null && !allowed.Contains(name))
                {
                    errors.Add(Join(path, name), Line(key), $"unknown key '{name}'{(path.Length == 0 ? "" : $" in {path}")}; expected one of: {string.Join(", ", allowed)}.");
                    continue;
                }
                map[name] = value;
            }
            return map;
        }

        private string? Scalar(Dictionary<string, YamlNode> map, YamlNode parent, string path, string key, bool required = false)
        {
            if (!map.TryGetValue(key, out var node))
            {
                if (required) errors.Add(Join(path, key), Line(parent), $"{key} is required.");
                return null;
            }
            if (node is YamlScalarNode { Value: { } value } && (value.Length > 0 || !required)) return value;
            errors.Add(Join(path, key), Line(node), node is YamlScalarNode ? $"{key} must not be empty." : $"{key} must be text, not a {(node is YamlSequenceNode ? "list" : "mapping")}.");
            return null;
        }

        private bool? Bool(Dictionary<string, YamlNode> map, string path, string key)
        {
            if (!map.TryGetValue(key, out var node)) return null;
            if (node is YamlScalarNode { Value: { } v } && bool.TryParse(v, out var b)) return b;
            errors.Add(Join(path, key), Line(node), $"{key} must be true or false.");
            return null;
        }

        private T? Enum<T>(Dictionary<string, YamlNode> map, YamlNode parent, string path, string key, bool required = false) where T : struct, Enum
        {
            var text = Scalar(map, parent, path, key, required);
            if (text is null) return null;
            if (ParseEnumText<T>(text) is { } value) return value;
            errors.Add(Join(path, key), Line(map[key]), $"{key} '{text}' is not one of: {EnumTexts<T>()}.");
            return null;
        }

        private static string Join(string path, string key) => path.Length == 0 ? key : $"{path}.{key}";
    }

    private static int? Line(YamlNode node) => node.Start.Line > 0 ? (int)node.Start.Line : null;
}

/// <summary>The rules every playbook meets, whether it came from YAML or CACAO: names, lengths, ids, templates, references.</summary>
internal static partial class PlaybookChecks
{
    public static void Check(PlaybookDefinition playbook, PlaybookYaml.Errors errors)
    {
        Id(errors, "id", null, playbook.Id);
        Length(errors, "name", null, playbook.Name, PlaybookLimits.NameLength, required: true);
        Length(errors, "description", null, playbook.Description, PlaybookLimits.DescriptionLength);
        if (playbook.Inputs.Count > PlaybookLimits.MaxInputs) errors.Add("inputs", null, $"a playbook takes at most {PlaybookLimits.MaxInputs} inputs.");
        var inputs = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < playbook.Inputs.Count; i++)
        {
            var input = playbook.Inputs[i];
            var path = $"inputs[{i}]";
            if (!InputName().IsMatch(input.Name)) errors.Add($"{path}.name", null, $"input name '{input.Name}' must start with a letter and hold only letters, digits and '_' (at most 64).");
            else if (!inputs.Add(input.Name)) errors.Add($"{path}.name", null, $"input '{input.Name}' is declared twice.");
            if (input.From == InputSource.Scope && input.Type is PlaybookInputType.Text or PlaybookInputType.Boolean or PlaybookInputType.Cidr)
                errors.Add($"{path}.from", null, $"input '{input.Name}' of type {PlaybookYaml.EnumText(input.Type)} cannot come from the scope; the scope binds access-key, principal, instance, bucket, account and region.");
            if (input.Default is { } d && !ValidValue(input.Type, d)) errors.Add($"{path}.default", null, $"default '{Short(d)}' is not a valid {PlaybookYaml.EnumText(input.Type)}.");
            Length(errors, $"{path}.description", null, input.Description, PlaybookLimits.DescriptionLength);
        }

        var steps = playbook.AllSteps().ToList();
        if (steps.Count == 0) errors.Add("steps", null, "a playbook needs at least one step.");
        if (steps.Count > PlaybookLimits.MaxSteps) errors.Add("steps", null, $"a playbook holds at most {PlaybookLimits.MaxSteps} steps.");
        var seen = new Dictionary<string, int>(StringComparer.Ordinal);
        for (var i = 0; i < steps.Count; i++)
        {
            var step = steps[i];
            var at = step.Line > 0 ? step.Line : (int?)null;
            var path = $"steps.{step.Id}";
            Id(errors, path + ".id", at, step.Id);
            if (!seen.TryAdd(step.Id, i)) errors.Add(path + ".id", at, $"step id '{step.Id}' is used twice; ids are unique across the playbook.");
            Length(errors, path + ".name", at, step.Name, PlaybookLimits.NameLength, required: true);
            Length(errors, path + ".description", at, step.Description, PlaybookLimits.DescriptionLength);
            switch (step.Kind)
            {
                case StepKind.Action:
                    if (step.Action is { } action && !ActionName().IsMatch(action)) errors.Add(path + ".action", at, $"action '{Short(action)}' is not a catalogue action name (such as aws-deactivate-access-key).");
                    foreach (var (field, value) in new[] { ("account", step.Account), ("region", step.Region), ("resource", step.Resource) })
                        Template(errors, $"{path}.{field}", at, value, inputs);
                    if (step.ActionInputs.Count > 20) errors.Add(path + ".inputs", at, "an action takes at most 20 inputs.");
                    foreach (var (name, value) in step.ActionInputs)
                    {
                        if (!InputName().IsMatch(name)) errors.Add($"{path}.inputs", at, $"action input name '{Short(name)}' is not a valid name.");
                        Template(errors, $"{path}.inputs.{name}", at, value, inputs);
                    }
                    break;
                case StepKind.Manual:
                    if (step.Checklist.Count == 0) errors.Add(path + ".checklist", at, "a manual step needs at least one checklist item.");
                    if (step.Checklist.Count > PlaybookLimits.MaxChecklist) errors.Add(path + ".checklist", at, $"a checklist holds at most {PlaybookLimits.MaxChecklist} items.");
                    if (step.Checklist.Any(c => string.IsNullOrWhiteSpace(c) || c.Length > PlaybookLimits.ChecklistItemLength))
                        errors.Add(path + ".checklist", at, $"each checklist item is 1 to {PlaybookLimits.ChecklistItemLength} characters.");
                    break;
                case StepKind.Condition:
                    if (step.If is not { } test) break;
                    var byInput = test.Input is not null;
                    var byStep = test.Step is not null;
                    if (byInput == byStep) errors.Add(path + ".if", at, "if tests either an input (input with equals or not-equals) or an earlier step (step with outcome).");
                    else if (byInput)
                    {
                        if (!inputs.Contains(test.Input!)) errors.Add(path + ".if.input", at, $"if names input '{test.Input}', which the playbook does not declare.");
                        if ((test.EqualsValue is null) == (test.NotEqualsValue is null)) errors.Add(path + ".if", at, "an input test needs exactly one of equals or not-equals.");
                        if (test.Outcome is not null) errors.Add(path + ".if.outcome", at, "outcome goes with step, not with input.");
                    }
                    else
                    {
                        if (test.Outcome is null) errors.Add(path + ".if.outcome", at, "a step test needs outcome: succeeded, failed or skipped.");
                        if (test.EqualsValue is not null || test.NotEqualsValue is not null) errors.Add(path + ".if", at, "equals and not-equals go with input, not with step.");
                        var inside = AllUnder(step).Select(s => s.Id).ToHashSet(StringComparer.Ordinal);
                        if (!seen.TryGetValue(test.Step!, out var index) || index >= i || inside.Contains(test.Step!))
                            errors.Add(path + ".if.step", at, $"if names step '{test.Step}', which is not an earlier step of the playbook.");
                    }
                    if (step.Then.Count == 0) errors.Add(path + ".then", at, "then needs at least one step.");
                    break;
                case StepKind.Parallel:
                    if (step.Branches.Count < 2) errors.Add(path + ".branches", at, "a parallel step needs at least two branches.");
                    if (step.Branches.Any(b => b.Count == 0)) errors.Add(path + ".branches", at, "each branch needs at least one step.");
                    break;
            }
        }
    }

    private static IEnumerable<PlaybookStep> AllUnder(PlaybookStep step) => PlaybookDefinition.Flatten(step.Children);

    /// <summary>Whether a bound value has the input's type; scope types only refuse control characters and overlong values.</summary>
    public static bool ValidValue(PlaybookInputType type, string value) =>
        value.Length <= PlaybookLimits.ValueLength && !value.Any(char.IsControl) && type switch
        {
            PlaybookInputType.Boolean => bool.TryParse(value, out _),
            PlaybookInputType.Cidr => IPNetwork.TryParse(value, out _),
            PlaybookInputType.Text => true,
            _ => value.Trim().Length > 0,
        };

    private static void Template(PlaybookYaml.Errors errors, string path, int? line, string? value, HashSet<string> inputs)
    {
        if (value is null) return;
        if (value.Length > PlaybookLimits.ValueLength) errors.Add(path, line, $"at most {PlaybookLimits.ValueLength} characters.");
        foreach (var name in PlaybookTemplates.Names(value))
        {
            if (name == "incident.reference") continue;
            if (!name.StartsWith("inputs.", StringComparison.Ordinal)) errors.Add(path, line, $"template '{{{{ {name} }}}}' is unknown: use {{{{ inputs.<name> }}}} or {{{{ incident.reference }}}}.");
            else if (!inputs.Contains(name["inputs.".Length..])) errors.Add(path, line, $"template names input '{name["inputs.".Length..]}', which the playbook does not declare.");
        }
        if (PlaybookTemplates.HasStrayBraces(value)) errors.Add(path, line, "'{{' without a matching template: write {{ inputs.<name> }}.");
    }

    private static void Id(PlaybookYaml.Errors errors, string path, int? line, string id)
    {
        if (!IdPattern().IsMatch(id)) errors.Add(path, line, $"id '{Short(id)}' must be 1 to 64 lower-case letters, digits and '-', starting with a letter or digit.");
    }

    private static void Length(PlaybookYaml.Errors errors, string path, int? line, string? value, int max, bool required = false)
    {
        if (required && string.IsNullOrWhiteSpace(value)) errors.Add(path, line, $"{path} is required.");
        else if (value is not null && value.Length > max) errors.Add(path, line, $"{path} must be at most {max} characters.");
    }

    private static string Short(string value) => value.Length > 60 ? value[..60] + "…" : value;

    [GeneratedRegex("^[a-z0-9][a-z0-9-]{0,63}$")]
    private static partial Regex IdPattern();

    [GeneratedRegex("^[A-Za-z][A-Za-z0-9_]{0,63}$")]
    private static partial Regex InputName();

    [GeneratedRegex("^[a-z][a-z0-9-]{1,99}$")]
    private static partial Regex ActionName();
}

/// <summary>{{ inputs.name }} and {{ incident.reference }} in step fields, filled from the run's bound inputs.</summary>
internal static partial class PlaybookTemplates
{
    public static IEnumerable<string> Names(string value) => Placeholder().Matches(value).Select(m => m.Groups[1].Value).ToList();

    public static bool HasStrayBraces(string value) => Placeholder().Replace(value, "").Contains("{{", StringComparison.Ordinal);

    public static string Fill(string value, IReadOnlyDictionary<string, string> inputs, string incidentReference) =>
        Replace(value, name => name == "incident.reference" ? incidentReference
            : inputs.TryGetValue(name["inputs.".Length..], out var v) ? v : "");

    /// <summary>Each placeholder replaced by what <paramref name="replacement"/> gives for its name; null keeps the placeholder as written.</summary>
    public static string Replace(string value, Func<string, string?> replacement) =>
        Placeholder().Replace(value, m => replacement(m.Groups[1].Value) ?? m.Value);

    [GeneratedRegex(@"\{\{\s*([A-Za-z][A-Za-z0-9_.]*)\s*\}\}")]
    private static partial Regex Placeholder();
}
