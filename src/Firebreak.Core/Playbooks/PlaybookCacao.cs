using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Firebreak.Core.Common;

namespace Firebreak.Core.Playbooks;

/// <summary>
/// OASIS CACAO v2 JSON import and export of the subset Firebreak runs (docs/playbooks.md): start, end, action steps
/// with manual commands, if-condition and parallel steps, playbook variables. What CACAO cannot say (the response
/// action an action step runs, input types, step ids) travels in one extension, so Firebreak's own playbooks go
/// round the trip unchanged. Anything else is refused by name.
/// </summary>
public static partial class PlaybookCacao
{
    /// <summary>The Firebreak extension's definition id (fixed, so exported playbooks can be read back).</summary>
    public const string Extension = "extension-definition--5f0c9a4e-7b1d-4e2a-9c3f-8d6e1a2b3c4d";

    private const string Identity = "identity--3a1f6c2e-9d4b-4f7a-8e5c-1b2d3e4f5a6b";

    private static readonly HashSet<string> IgnoredMetadata = ["playbook_types", "playbook_activities", "created_by", "created", "modified", "revoked", "valid_from",
        "valid_until", "derived_from", "related_to", "priority", "severity", "impact", "industry_sectors", "labels", "external_references"];

    private static readonly HashSet<string> Supported = ["type", "spec_version", "id", "name", "description", "workflow_start", "workflow", "playbook_variables",
        "extension_definitions", "playbook_extensions"];

    private static readonly HashSet<string> StepKeys = ["type", "id", "name", "description", "external_references", "on_completion", "commands", "step_extensions",
        "condition", "on_true", "on_false", "next_steps"];

    public static string Export(PlaybookDefinition playbook, DateTimeOffset? at = null)
    {
        var time = (at ?? DateTimeOffset.UnixEpoch).UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", System.Globalization.CultureInfo.InvariantCulture);
        var workflow = new JsonObject();
        var start = Id("start", playbook.Id, "start");
        var end = Id("end", playbook.Id, "end");
        workflow[start] = new JsonObject { ["type"] = "start", ["on_completion"] = Chain(playbook, playbook.Steps, workflow, end) };
        workflow[end] = new JsonObject { ["type"] = "end" };

        var variables = new JsonObject();
        var inputs = new JsonObject();
        foreach (var input in playbook.Inputs)
        {
            var variable = new JsonObject
            {
                ["type"] = input.Type switch { PlaybookInputType.Boolean => "bool", PlaybookInputType.Cidr => "ipv4-addr", _ => "string" },
                ["external"] = true,
            };
            if (input.Description.Length > 0) variable["description"] = input.Description;
            if (input.Default is not null) variable["value"] = input.Default;
            variables[$"__{input.Name}__"] = variable;
            inputs[input.Name] = new JsonObject { ["type"] = PlaybookYaml.EnumText(input.Type), ["from"] = PlaybookYaml.EnumText(input.From), ["required"] = input.Required };
        }
        var root = new JsonObject
        {
            ["type"] = "playbook",
            ["spec_version"] = "cacao-2.0",
            ["id"] = Id("playbook", playbook.Id, ""),
            ["name"] = playbook.Name,
            ["description"] = playbook.Description,
            ["playbook_types"] = new JsonArray("remediation"),
            ["created_by"] = Identity,
            ["created"] = time,
            ["modified"] = time,
            ["external_references"] = new JsonArray(new JsonObject { ["name"] = "firebreak-playbook", ["external_id"] = playbook.Id }),
            ["workflow_start"] = start,
            ["workflow"] = workflow,
            ["playbook_variables"] = variables,
            ["extension_definitions"] = new JsonObject
            {
                [Extension] = new JsonObject
                {
                    ["type"] = "extension-definition",
                    ["name"] = "Firebreak playbook",
                    ["description"] = "Firebreak's response actions, input types and step ids (docs/playbooks.md).",
                    ["created_by"] = Identity,
                    ["schema"] = "urn:firebreak:cacao:playbook:1",
                    ["version"] = "1.0.0",
                },
            },
            ["playbook_extensions"] = new JsonObject { [Extension] = new JsonObject { ["id"] = playbook.Id, ["inputs"] = inputs } },
        };
        return root.ToJsonString(new JsonSerializerOptions { WriteIndented = true });
    }

    /// <summary>Writes a chain of steps into the workflow; returns the id of its first step (or <paramref name="next"/> when empty).</summary>
    private static string? Chain(PlaybookDefinition playbook, IReadOnlyList<PlaybookStep> steps, JsonObject workflow, string? next)
    {
        for (var i = steps.Count - 1; i >= 0; i--)
        {
            var step = steps[i];
            var ext = new JsonObject { ["id"] = step.Id, ["kind"] = PlaybookYaml.EnumText(step.Kind) };
            if (step.OnFailure != FailurePolicy.Stop) ext["on_failure"] = PlaybookYaml.EnumText(step.OnFailure);
            var node = new JsonObject { ["name"] = step.Name };
            if (step.Description is { Length: > 0 } description) node["description"] = description;
            string type;
            switch (step.Kind)
            {
                case StepKind.Action:
                    type = "action";
                    node["commands"] = new JsonArray(Manual($"Firebreak response action {step.Action} on {Variables(step.Resource!)} (account {Variables(step.Account!)}, region {Variables(step.Region!)})"));
                    ext["action"] = step.Action;
                    ext["account"] = step.Account;
                    ext["region"] = step.Region;
                    ext["resource"] = step.Resource;
                    var actionInputs = new JsonObject();
                    foreach (var (name, value) in step.ActionInputs) actionInputs[name] = value;
                    ext["inputs"] = actionInputs;
                    break;
                case StepKind.Manual:
                    type = "action";
                    node["commands"] = new JsonArray(step.Checklist.Select(c => (JsonNode)Manual(c)).ToArray());
                    break;
                case StepKind.Approval:
                    type = "action";
                    node["commands"] = new JsonArray(Manual($"Approval by a second person (not whoever started the run): {step.Name}"));
                    break;
                case StepKind.Condition:
                    type = "if-condition";
                    var test = step.If!;
                    node["condition"] = test.Input is { } input
                        ? $"__{input}__:value {(test.EqualsValue is not null ? "=" : "!=")} '{Escape((test.EqualsValue ?? test.NotEqualsValue)!)}'"
                        : $"__firebreak_step_{test.Step!.Replace('-', '_')}__:value = '{PlaybookYaml.EnumText(test.Outcome!.Value)}'";
                    if (test.Step is not null) ext["if"] = new JsonObject { ["step"] = test.Step, ["outcome"] = PlaybookYaml.EnumText(test.Outcome!.Value) };
                    node["on_true"] = Chain(playbook, step.Then, workflow, null);
                    if (step.Else.Count > 0) node["on_false"] = Chain(playbook, step.Else, workflow, null);
                    break;
                default:
                    type = "parallel";
                    node["next_steps"] = new JsonArray(step.Branches.Select(b => (JsonNode)JsonValue.Create(Chain(playbook, b, workflow, null))!).ToArray());
                    break;
            }
            var id = Id(type, playbook.Id, step.Id);
            node["type"] = type;
            if (next is not null) node["on_completion"] = next;
            node["step_extensions"] = new JsonObject { [Extension] = ext };
            workflow[id] = node;
            next = id;
        }
        return next;
    }

    /// <summary>A condition's text between single quotes: backslash and quote escaped, as STIX patterns do.</summary>
    private static string Escape(string value) => value.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("'", "\\'", StringComparison.Ordinal);

    private static JsonObject Manual(string command) => new() { ["type"] = "manual", ["command"] = command };

    private static string Variables(string template) => PlaybookTemplates.Replace(template, name => name.StartsWith("inputs.", StringComparison.Ordinal)
        ? $"__{name["inputs.".Length..]}__:value" : null);

    /// <summary>A stable CACAO identifier for a Firebreak id: the same playbook exports the same ids.</summary>
    private static string Id(string type, string playbook, string step)
    {
        var hash = SHA256.HashData(Encoding.UTF8.GetBytes($"{playbook}/{step}"));
        hash[6] = (byte)((hash[6] & 0x0F) | 0x50);
        hash[8] = (byte)((hash[8] & 0x3F) | 0x80);
        return $"{type}--{new Guid(hash.AsSpan(0, 16), bigEndian: true)}";
    }

    public static PlaybookDefinition Import(string json)
    {
        var errors = new PlaybookYaml.Errors();
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(json, new JsonDocumentOptions { MaxDepth = 64 });
        }
        catch (JsonException e)
        {
            errors.Add("$", e.LineNumber is { } line ? (int)line + 1 : null, $"not valid JSON: {e.Message.Split(" LineNumber", 2)[0]}");
            errors.ThrowIfAny();
            throw;
        }
        catch (ArgumentException)
        {
            errors.Add("$", null, "not valid text: the playbook holds a lone surrogate.");
            errors.ThrowIfAny();
            throw;
        }
        using (document)
        {
            // Reading a string that is not valid text (an escaped lone surrogate, \ud800) would throw: refuse it first.
            var raw = System.Runtime.InteropServices.JsonMarshal.GetRawUtf8Value(document.RootElement);
            if (JsonText.FindUnreadable(raw) is >= 0 and var at)
            {
                var line = json.TakeWhile(char.IsWhiteSpace).Count(c => c == '\n') + raw[..at].Count((byte)'\n') + 1;
                errors.Add("$", line, "not valid text: a string holds an escaped lone surrogate.");
                errors.ThrowIfAny();
            }
            var definition = new Importer(errors).Read(document.RootElement);
            errors.ThrowIfAny();
            PlaybookChecks.Check(definition!, errors);
            errors.ThrowIfAny();
            return definition!;
        }
    }

    private sealed class Importer(PlaybookYaml.Errors errors)
    {
        private JsonElement _workflow;
        private readonly HashSet<string> _visited = [];
        private readonly HashSet<string> _ids = [];

        public PlaybookDefinition? Read(JsonElement root)
        {
            if (root.ValueKind != JsonValueKind.Object)
            {
                errors.Add("$", null, "a CACAO playbook is a JSON object.");
                return null;
            }
            foreach (var property in root.EnumerateObject())
            {
                if (!Supported.Contains(property.Name) && !IgnoredMetadata.Contains(property.Name))
                    errors.Add(property.Name, null, $"unsupported CACAO feature: '{property.Name}'. Firebreak imports start, end, action (manual commands), if-condition and parallel steps with playbook variables.");
            }
            if (Text(root, "type") != "playbook") errors.Add("type", null, "type must be 'playbook'.");
            if (Text(root, "spec_version") != "cacao-2.0") errors.Add("spec_version", null, "spec_version must be 'cacao-2.0'.");
            var name = Text(root, "name");
            if (string.IsNullOrWhiteSpace(name)) errors.Add("name", null, "name is required.");
            JsonElement ext = default;
            if (root.TryGetProperty("extension_definitions", out var definitions) && definitions.ValueKind == JsonValueKind.Object)
                foreach (var d in definitions.EnumerateObject().Where(d => d.Name != Extension))
                    errors.Add("extension_definitions", null, $"unsupported CACAO feature: extension '{d.Name}'.");
            if (root.TryGetProperty("playbook_extensions", out var extensions) && extensions.ValueKind == JsonValueKind.Object)
            {
                foreach (var e in extensions.EnumerateObject())
                {
                    if (e.Name == Extension) ext = e.Value;
                    else errors.Add("playbook_extensions", null, $"unsupported CACAO feature: playbook extension '{e.Name}'.");
                }
            }
            var id = ext.ValueKind == JsonValueKind.Object && Text(ext, "id") is { } own ? own : Slug(name ?? "playbook", "playbook");
            var inputs = Inputs(root, ext);
            if (!root.TryGetProperty("workflow", out _workflow) || _workflow.ValueKind != JsonValueKind.Object)
            {
                errors.Add("workflow", null, "workflow is required: an object of steps by id.");
                return null;
            }
            if (_workflow.EnumerateObject().Count() > PlaybookLimits.MaxSteps * 2 + 2) errors.Add("workflow", null, $"the workflow holds more steps than Firebreak runs ({PlaybookLimits.MaxSteps}).");
            var start = Text(root, "workflow_start");
            List<PlaybookStep> steps = [];
            if (start is null || !_workflow.TryGetProperty(start, out var startStep) || Text(startStep, "type") != "start")
                errors.Add("workflow_start", null, "workflow_start must name a step of type 'start' in the workflow.");
            else
            {
                CheckKeys(start, startStep);
                _visited.Add(start);
                steps = Chain(Text(startStep, "on_completion"), depth: 1);
                if (errors.Count == 0) Unreached();
            }
            if (errors.Count > 0) return null;
            return new PlaybookDefinition(id, name!, Text(root, "description") ?? "", inputs, steps);
        }

        /// <summary>
        /// Steps no path from workflow_start reaches would be left out of the imported playbook without a word;
        /// they are refused instead, by name. A spare start or end step holds nothing and is let be.
        /// </summary>
        private void Unreached()
        {
            var unreached = _workflow.EnumerateObject()
                .Where(p => !_visited.Contains(p.Name) && !(p.Value.ValueKind == JsonValueKind.Object && Text(p.Value, "type") is "start" or "end"))
                .Select(p => $"'{JsonText.Short(p.Name)}'").ToList();
            if (unreached.Count == 0) return;
            var names = string.Join(", ", unreached.Take(5)) + (unreached.Count > 5 ? $" and {unreached.Count - 5} more" : "");
            errors.Add("workflow", null, $"no path from workflow_start reaches step(s) {names}; importing would leave them out, so link them into the workflow or remove them.");
        }

        private List<PlaybookInput> Inputs(JsonElement root, JsonElement ext)
        {
            var inputs = new List<PlaybookInput>();
            if (!root.TryGetProperty("playbook_variables", out var variables)) return inputs;
            if (variables.ValueKind != JsonValueKind.Object)
            {
                errors.Add("playbook_variables", null, "playbook_variables must be an object.");
                return inputs;
            }
            var typed = ext.ValueKind == JsonValueKind.Object && ext.TryGetProperty("inputs", out var i) && i.ValueKind == JsonValueKind.Object ? i : default;
            foreach (var variable in variables.EnumerateObject())
            {
                var path = $"playbook_variables.{variable.Name}";
                var match = VariableName().Match(variable.Name);
                if (!match.Success || variable.Value.ValueKind != JsonValueKind.Object)
                {
                    errors.Add(path, null, "a variable is named __name__ (letters, digits, '_') and is an object with type.");
                    continue;
                }
                var name = match.Groups[1].Value;
                var cacaoType = Text(variable.Value, "type");
                var value = variable.Value.TryGetProperty("value", out var v) ? v.ValueKind switch
                {
                    JsonValueKind.String => v.GetString(),
                    JsonValueKind.True => "true",
                    JsonValueKind.False => "false",
                    _ => null,
                } : null;
                if (variable.Value.TryGetProperty("value", out var raw) && value is null)
                    errors.Add(path + ".value", null, "Firebreak reads variable values that are text or true/false.");
                PlaybookInputType type;
                InputSource from = InputSource.Responder;
                bool required = value is null;
                if (typed.ValueKind == JsonValueKind.Object && typed.TryGetProperty(name, out var own) && own.ValueKind == JsonValueKind.Object)
                {
                    type = Enum<PlaybookInputType>(Text(own, "type"), path) ?? PlaybookInputType.Text;
                    from = Enum<InputSource>(Text(own, "from"), path) ?? InputSource.Responder;
                    required = own.TryGetProperty("required", out var r) ? r.ValueKind == JsonValueKind.True : required;
                }
                else
                {
                    switch (cacaoType)
                    {
                        case "bool": type = PlaybookInputType.Boolean; break;
                        case "ipv4-addr" or "ipv6-addr": type = PlaybookInputType.Cidr; break;
                        case "string" or "uri" or "uuid" or "hexstring" or "hash" or "md5-hash" or "sha256-hash": type = PlaybookInputType.Text; break;
                        default:
                            errors.Add(path + ".type", null, $"unsupported CACAO feature: variable type '{cacaoType}'.");
                            continue;
                    }
                }
                inputs.Add(new PlaybookInput(name, type, from, required, value, Text(variable.Value, "description") ?? ""));
            }
            return inputs;
        }

        private List<PlaybookStep> Chain(string? id, int depth)
        {
            var steps = new List<PlaybookStep>();
            if (depth > PlaybookLimits.MaxDepth)
            {
                errors.Add("workflow", null, $"steps nest at most {PlaybookLimits.MaxDepth} deep.");
                return steps;
            }
            while (id is not null && errors.Count == 0)
            {
                if (!_workflow.TryGetProperty(id, out var node) || node.ValueKind != JsonValueKind.Object)
                {
                    errors.Add($"workflow.{id}", null, $"step '{id}' is named as a next step but is not in the workflow.");
                    break;
                }
                if (!_visited.Add(id))
                {
                    errors.Add($"workflow.{id}", null, $"unsupported CACAO feature: step '{id}' is reached twice (a join or a loop); Firebreak reads branches that end on their own and continue with the if-condition's or parallel step's on_completion.");
                    break;
                }
                CheckKeys(id, node);
                var type = Text(node, "type");
                if (type == "end") break;
                var ext = Ext(id, node);
                var stepId = ext.ValueKind == JsonValueKind.Object && Text(ext, "id") is { } own ? own : Slug(Text(node, "name") ?? type ?? "step", "step");
                _ids.Add(stepId);
                var name = Text(node, "name") ?? stepId;
                var onFailure = ext.ValueKind == JsonValueKind.Object ? Enum<FailurePolicy>(Text(ext, "on_failure"), $"workflow.{id}") ?? FailurePolicy.Stop : FailurePolicy.Stop;
                var step = new PlaybookStep(stepId, StepKind.Manual, name, Text(node, "description"), onFailure, 0);
                switch (type)
                {
                    case "action":
                        step = Action(id, node, ext, step);
                        break;
                    case "if-condition":
                        step = step with
                        {
                            Kind = StepKind.Condition,
                            If = Condition(id, node, ext),
                            Then = Chain(Text(node, "on_true"), depth + 1),
                            Else = Chain(Text(node, "on_false"), depth + 1),
                        };
                        break;
                    case "parallel":
                        var branches = new List<IReadOnlyList<PlaybookStep>>();
                        if (node.TryGetProperty("next_steps", out var next) && next.ValueKind == JsonValueKind.Array)
                            foreach (var first in next.EnumerateArray()) branches.Add(Chain(first.ValueKind == JsonValueKind.String ? first.GetString() : null, depth + 1));
                        step = step with { Kind = StepKind.Parallel, Branches = branches };
                        break;
                    default:
                        errors.Add($"workflow.{id}.type", null, $"unsupported CACAO feature: step type '{type}'. Firebreak imports start, end, action, if-condition and parallel.");
                        break;
                }
                steps.Add(step);
                id = Text(node, "on_completion");
            }
            return steps;
        }

        private PlaybookStep Action(string id, JsonElement node, JsonElement ext, PlaybookStep step)
        {
            var commands = new List<string>();
            if (node.TryGetProperty("commands", out var list) && list.ValueKind == JsonValueKind.Array)
            {
                foreach (var command in list.EnumerateArray())
                {
                    var kind = command.ValueKind == JsonValueKind.Object ? Text(command, "type") : null;
                    if (kind != "manual") errors.Add($"workflow.{id}.commands", null, $"unsupported CACAO feature: command type '{kind}'. Firebreak imports manual commands; its response actions travel in the Firebreak extension.");
                    else if (Text(command, "command") is { } text) commands.Add(text);
                    else errors.Add($"workflow.{id}.commands", null, "a manual command needs its 'command' text (command_b64 is not read).");
                }
            }
            var kindName = ext.ValueKind == JsonValueKind.Object ? Text(ext, "kind") : null;
            if (kindName == "action")
            {
                var inputs = new Dictionary<string, string>(StringComparer.Ordinal);
                if (ext.TryGetProperty("inputs", out var i) && i.ValueKind == JsonValueKind.Object)
                    foreach (var p in i.EnumerateObject())
                        if (p.Value.ValueKind == JsonValueKind.String) inputs[p.Name] = p.Value.GetString()!;
                        else errors.Add($"workflow.{id}.step_extensions", null, $"action input '{p.Name}' must be text.");
                foreach (var field in new[] { "action", "account", "region", "resource" })
                    if (Text(ext, field) is null) errors.Add($"workflow.{id}.step_extensions", null, $"the Firebreak action needs '{field}'.");
                return step with { Kind = StepKind.Action, Action = Text(ext, "action"), Account = Text(ext, "account"), Region = Text(ext, "region"), Resource = Text(ext, "resource"), ActionInputs = inputs };
            }
            if (kindName == "approval") return step with { Kind = StepKind.Approval };
            if (kindName is not (null or "manual")) errors.Add($"workflow.{id}.step_extensions", null, $"the Firebreak extension's kind '{kindName}' does not fit an action step.");
            if (commands.Count == 0) errors.Add($"workflow.{id}.commands", null, "an action step needs at least one manual command: each becomes a checklist item.");
            return step with { Kind = StepKind.Manual, Checklist = commands };
        }

        private StepCondition? Condition(string id, JsonElement node, JsonElement ext)
        {
            if (ext.ValueKind == JsonValueKind.Object && ext.TryGetProperty("if", out var test) && test.ValueKind == JsonValueKind.Object)
                return new StepCondition(null, null, null, Text(test, "step"), Enum<StepOutcome>(Text(test, "outcome"), $"workflow.{id}"));
            var condition = Text(node, "condition") ?? "";
            var match = Comparison().Match(condition);
            if (!match.Success)
            {
                errors.Add($"workflow.{id}.condition", null, $"unsupported CACAO feature: condition '{(condition.Length > 80 ? condition[..80] + "…" : condition)}'. Firebreak reads __variable__:value = 'text' and __variable__:value != 'text'.");
                return null;
            }
            var value = Escaped().Replace(match.Groups[3].Value, "$1");
            return match.Groups[2].Value == "!=" ? new StepCondition(match.Groups[1].Value, null, value, null, null) : new StepCondition(match.Groups[1].Value, value, null, null, null);
        }

        private JsonElement Ext(string id, JsonElement node)
        {
            if (!node.TryGetProperty("step_extensions", out var extensions)) return default;
            JsonElement found = default;
            if (extensions.ValueKind != JsonValueKind.Object) errors.Add($"workflow.{id}.step_extensions", null, "step_extensions must be an object.");
            else
                foreach (var e in extensions.EnumerateObject())
                    if (e.Name == Extension) found = e.Value;
                    else errors.Add($"workflow.{id}.step_extensions", null, $"unsupported CACAO feature: step extension '{e.Name}'.");
            return found;
        }

        private void CheckKeys(string id, JsonElement node)
        {
            foreach (var property in node.EnumerateObject().Where(p => !StepKeys.Contains(p.Name)))
                errors.Add($"workflow.{id}.{property.Name}", null, $"unsupported CACAO feature: '{property.Name}' on step '{id}'.");
        }

        private T? Enum<T>(string? text, string path) where T : struct, Enum
        {
            if (text is null) return null;
            if (PlaybookYaml.ParseEnumText<T>(text) is { } value) return value;
            errors.Add(path, null, $"'{text}' is not one of: {PlaybookYaml.EnumTexts<T>()}.");
            return null;
        }

        private string Slug(string name, string fallback)
        {
            var slug = NonSlug().Replace(name.ToLowerInvariant(), "-").Trim('-');
            if (slug.Length == 0) slug = fallback;
            if (slug.Length > 56) slug = slug[..56].TrimEnd('-');
            var candidate = slug;
            for (var n = 2; _ids.Contains(candidate); n++) candidate = $"{slug}-{n}";
            return candidate;
        }

        private static string? Text(JsonElement element, string name) =>
            element.ValueKind == JsonValueKind.Object && element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;
    }

    [GeneratedRegex("^__([A-Za-z][A-Za-z0-9_]{0,63})__$")]
    private static partial Regex VariableName();

    [GeneratedRegex(@"^\s*__([A-Za-z][A-Za-z0-9_]{0,63})__:value\s*(==|=|!=)\s*'((?:[^'\\]|\\[\s\S])*)'\s*$")]
    private static partial Regex Comparison();

    [GeneratedRegex(@"\\([\s\S])")]
    private static partial Regex Escaped();

    [GeneratedRegex("[^a-z0-9]+")]
    private static partial Regex NonSlug();
}
