using System.Text.Json;
using System.Text.Json.Nodes;
using Firebreak.Core.Common;
using Firebreak.Core.Playbooks;

namespace Firebreak.Core.Tests.Playbooks;

public class PlaybookCacaoTests
{
    public static TheoryData<string> Playbooks()
    {
        var data = new TheoryData<string>();
        foreach (var (_, yaml) in BuiltInPlaybooks.List()) data.Add(yaml);
        data.Add(PlaybookYamlTests.Sample);
        return data;
    }

    [Theory, MemberData(nameof(Playbooks))]
    public void Export_ThenImport_GivesTheSamePlaybook(string yaml)
    {
        var playbook = PlaybookYaml.Parse(yaml);

        var json = PlaybookCacao.Export(playbook, new DateTimeOffset(2026, 11, 29, 12, 0, 0, TimeSpan.Zero));
        var again = PlaybookCacao.Import(json);

        Assert.Equal(PlaybookYaml.Write(playbook), PlaybookYaml.Write(again));
        Assert.Equal(json, PlaybookCacao.Export(again, new DateTimeOffset(2026, 11, 29, 12, 0, 0, TimeSpan.Zero)));
    }

    [Fact]
    public void Export_IsACacao2Playbook_WithStartEndAndTheSubsetsStepTypes()
    {
        var json = JsonNode.Parse(PlaybookCacao.Export(PlaybookYaml.Parse(PlaybookYamlTests.Sample)))!;

        Assert.Equal(("playbook", "cacao-2.0"), (json["type"]!.GetValue<string>(), json["spec_version"]!.GetValue<string>()));
        Assert.StartsWith("playbook--", json["id"]!.GetValue<string>());
        var workflow = json["workflow"]!.AsObject();
        var start = workflow[json["workflow_start"]!.GetValue<string>()]!;
        Assert.Equal("start", start["type"]!.GetValue<string>());
        Assert.Equal(["action", "end", "if-condition", "parallel", "start"], workflow.Select(s => s.Value!["type"]!.GetValue<string>()).Distinct().Order());
        Assert.Equal("__replace__:value = 'true'", workflow.Single(s => s.Value!["type"]!.GetValue<string>() == "if-condition" && s.Value["name"]!.GetValue<string>() == "Replace?").Value!["condition"]!.GetValue<string>());
        Assert.Equal("bool", json["playbook_variables"]!["__replace__"]!["type"]!.GetValue<string>());
        var first = workflow[start["on_completion"]!.GetValue<string>()]!;
        Assert.Equal("manual", first["commands"]![0]!["type"]!.GetValue<string>());
        Assert.Equal("test-collect", first["step_extensions"]![PlaybookCacao.Extension]!["action"]!.GetValue<string>());
    }

    private const string Foreign = """
        {
          "type": "playbook", "spec_version": "cacao-2.0", "id": "playbook--0b7e3b4c-1f2a-4d5e-8f90-a1b2c3d4e5f6",
          "name": "Phishing triage", "created_by": "identity--5a0f1d2e-3b4c-4d5e-9f60-718293a4b5c6",
          "created": "2026-01-01T00:00:00.000Z", "modified": "2026-01-01T00:00:00.000Z",
          "workflow_start": "start--1",
          "playbook_variables": { "__malicious__": { "type": "bool", "value": "false", "external": true } },
          "workflow": {
            "start--1": { "type": "start", "on_completion": "parallel--2" },
            "parallel--2": { "type": "parallel", "name": "Gather", "next_steps": ["action--3", "action--4"], "on_completion": "if-condition--5" },
            "action--3": { "type": "action", "name": "Headers", "commands": [ { "type": "manual", "command": "Pull the message headers" } ] },
            "action--4": { "type": "action", "name": "Reporter", "commands": [ { "type": "manual", "command": "Ask the reporter" }, { "type": "manual", "command": "Note the time" } ] },
            "if-condition--5": { "type": "if-condition", "name": "Malicious?", "condition": "__malicious__:value = 'true'", "on_true": "action--6", "on_completion": "end--7" },
            "action--6": { "type": "action", "name": "Purge", "commands": [ { "type": "manual", "command": "Purge the message from every mailbox" } ] },
            "end--7": { "type": "end" }
          }
        }
        """;

    [Fact]
    public void Import_APlaybookFromElsewhere_ManualCommandsBecomeChecklists()
    {
        var playbook = PlaybookCacao.Import(Foreign);

        Assert.Equal(("phishing-triage", "Phishing triage"), (playbook.Id, playbook.Name));
        Assert.Equal(["gather", "headers", "reporter", "malicious", "purge"], playbook.AllSteps().Select(s => s.Id));
        Assert.Equal(["Ask the reporter", "Note the time"], playbook.Steps[0].Branches[1][0].Checklist);
        Assert.Equal(new StepCondition("malicious", "true", null, null, null), playbook.Steps[1].If);
        Assert.Equal((PlaybookInputType.Boolean, "false", false), (playbook.Inputs[0].Type, playbook.Inputs[0].Default, playbook.Inputs[0].Required));
    }

    [Theory]
    [InlineData("\"while-condition\", \"name\": \"Purge\"", "step type 'while-condition'")]
    [InlineData("\"action\", \"name\": \"Purge\", \"commands\": [ { \"type\": \"bash\", \"command\": \"rm -rf /\" } ], \"x\": 1", "command type 'bash'")]
    [InlineData("\"action\", \"name\": \"Purge\", \"on_failure\": \"end--7\", \"commands\": [ { \"type\": \"manual\", \"command\": \"p\" } ]", "'on_failure' on step 'action--6'")]
    [InlineData("\"action\", \"name\": \"Purge\", \"on_completion\": \"parallel--2\", \"commands\": [ { \"type\": \"manual\", \"command\": \"p\" } ]", "reached twice")]
    public void Import_UnsupportedFeature_IsRefusedByName(string step, string message)
    {
        var json = Foreign.Replace("\"action\", \"name\": \"Purge\", \"commands\": [ { \"type\": \"manual\", \"command\": \"Purge the message from every mailbox\" } ]", step, StringComparison.Ordinal);

        var error = Assert.Throws<ValidationFailedException>(() => PlaybookCacao.Import(json));

        Assert.Contains(error.Errors.Values.SelectMany(v => v), m => m.Contains(message, StringComparison.Ordinal));
    }

    [Fact]
    public void Import_StepsNothingReaches_AreRefusedByName_NotLeftOut()
    {
        // The if-condition's on_completion jumps past the Purge action's only way in.
        var skipped = Foreign.Replace("\"on_true\": \"action--6\", ", "", StringComparison.Ordinal);
        var spareEnd = JsonNode.Parse(Foreign)!;
        spareEnd["workflow"]!["end--8"] = new JsonObject { ["type"] = "end" };

        var error = Assert.Throws<ValidationFailedException>(() => PlaybookCacao.Import(skipped));

        Assert.Contains("'action--6'", error.Errors["workflow"][0], StringComparison.Ordinal);
        Assert.Contains("no path from workflow_start", error.Errors["workflow"][0], StringComparison.Ordinal);
        // An end step with nothing in it may sit unused.
        Assert.Equal(5, PlaybookCacao.Import(spareEnd.ToJsonString()).AllSteps().Count());
    }

    [Fact]
    public void Import_TopLevelFeaturesAndBadJson_AreRefused()
    {
        var agents = JsonNode.Parse(Foreign)!;
        agents["agent_definitions"] = new JsonObject { ["soarca--1"] = new JsonObject { ["type"] = "soarca", ["name"] = "x" } };
        agents["spec_version"] = "cacao-1.0";

        var error = Assert.Throws<ValidationFailedException>(() => PlaybookCacao.Import(agents.ToJsonString()));
        var bad = Assert.Throws<ValidationFailedException>(() => PlaybookCacao.Import("{\n  \"type\": \"playbook\",\n  oops\n}"));
        var list = Assert.Throws<ValidationFailedException>(() => PlaybookCacao.Import("[1, 2]"));

        Assert.Contains("unsupported CACAO feature: 'agent_definitions'", error.Errors["agent_definitions"][0]);
        Assert.Contains("cacao-2.0", error.Errors["spec_version"][0]);
        Assert.StartsWith("line 3: not valid JSON", bad.Errors["$"][0]);
        Assert.Contains("JSON object", list.Errors["$"][0]);
    }
}
