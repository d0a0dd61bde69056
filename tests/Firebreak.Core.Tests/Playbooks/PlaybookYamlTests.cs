using Firebreak.Core.Common;
using Firebreak.Core.Playbooks;

namespace Firebreak.Core.Tests.Playbooks;

public class PlaybookYamlTests
{
    internal const string Sample = """
        id: sample
        name: Sample
        description: Every kind of step.
        inputs:
          - name: instance
            type: instance
            from: scope
          - name: account
            type: account
            default: "123456789012"
          - name: replace
            type: boolean
            default: "false"
        steps:
          - id: collect
            kind: action
            name: Collect
            action: test-collect
            account: "{{ inputs.account }}"
            region: eu-west-1
            resource: "{{ inputs.instance }}"
            inputs:
              flag: "{{ inputs.replace }}"
          - id: both
            kind: parallel
            name: Both at once
            branches:
              - - id: notes
                  kind: manual
                  name: Take notes
                  checklist: [Write down the time, Tell the owner]
              - - id: sign
                  kind: approval
                  name: Second person signs
          - id: choose
            kind: condition
            name: Replace?
            if: { input: replace, equals: "true" }
            then:
              - id: isolate
                kind: action
                name: Isolate
                action: test-isolate
                account: "{{ inputs.account }}"
                region: eu-west-1
                resource: "{{ inputs.instance }}"
            else:
              - id: after-collect
                kind: condition
                name: Collected?
                if: { step: collect, outcome: succeeded }
                then:
                  - id: wrap-up
                    kind: manual
                    name: Wrap up
                    checklist: [Close the ticket]
        """;

    [Fact]
    public void Parse_ReadsEveryKindOfStep_InDocumentOrder()
    {
        var playbook = PlaybookYaml.Parse(Sample);

        Assert.Equal(("sample", "Sample"), (playbook.Id, playbook.Name));
        Assert.Equal(["collect", "both", "notes", "sign", "choose", "isolate", "after-collect", "wrap-up"], playbook.AllSteps().Select(s => s.Id));
        var collect = playbook.Steps[0];
        Assert.Equal(("test-collect", "{{ inputs.instance }}", 15), (collect.Action, collect.Resource, collect.Line));
        Assert.Equal("{{ inputs.replace }}", collect.ActionInputs["flag"]);
        Assert.Equal(["Write down the time", "Tell the owner"], playbook.Steps[1].Branches[0][0].Checklist);
        Assert.Equal(new StepCondition("replace", "true", null, null, null), playbook.Steps[2].If);
        Assert.Equal(InputSource.Scope, playbook.Inputs[0].From);
    }

    [Fact]
    public void Write_ThenParse_GivesTheSamePlaybook()
    {
        var playbook = PlaybookYaml.Parse(Sample);

        var again = PlaybookYaml.Parse(PlaybookYaml.Write(playbook));

        Assert.Equal(PlaybookYaml.Write(playbook), PlaybookYaml.Write(again));
        Assert.Equal(playbook.AllSteps().Select(s => (s.Id, s.Kind, s.Name)), again.AllSteps().Select(s => (s.Id, s.Kind, s.Name)));
    }

    [Fact]
    public void BuiltIns_LoadAndPassTheStructuralChecks()
    {
        var builtIns = BuiltInPlaybooks.List();

        Assert.Equal(["compromised-access-key", "compromised-azure-account", "compromised-ec2-instance", "compromised-gcp-service-account",
            "management-plane-compromise", "public-s3-exposure"], builtIns.Select(b => b.Definition.Id).Order(StringComparer.Ordinal));
        var actions = builtIns.SelectMany(b => b.Definition.AllSteps()).Where(s => s.Kind == StepKind.Action).Select(s => s.Action!).ToHashSet();
        Assert.Contains("azure-isolate-vm", actions);
        Assert.Contains("gcp-disable-service-account-key", actions);
        Assert.Contains("aws-deactivate-access-key", actions);
        var breakGlass = BuiltInPlaybooks.Find("management-plane-compromise")!.Value.Definition;
        Assert.DoesNotContain(breakGlass.AllSteps(), s => s.Kind == StepKind.Action);
        Assert.Contains(breakGlass.AllSteps(), s => s.Checklist.Any(c => c.Contains("break-glass", StringComparison.Ordinal)));
    }

    [Theory]
    [InlineData("id: x\nname: X\nsteps:\n  - id: a\n    kind: manual\n    name: A\n    checklist: [one]\n    colour: red\n", "steps[0].colour", "line 8: unknown key 'colour'")]
    [InlineData("id: x\nname: X\nsteps:\n  - id: a\n    kind: teleport\n    name: A\n", "steps[0].kind", "line 5: kind 'teleport' is not one of")]
    [InlineData("id: x\nname: X\nsteps:\n  - id: a\n    kind: manual\n    name: A\n    checklist: one\n", "steps[0].checklist", "line 7: checklist must be a list")]
    [InlineData("id: x\nname: X\nsteps:\n  - id: a\n    kind: manual\n    name: A\n    checklist: [one]\n  - id: a\n    kind: approval\n    name: B\n", "steps.a.id", "line 8: step id 'a' is used twice")]
    [InlineData("id: x\nname: X\nsteps:\n  - id: a\n    kind: action\n    name: A\n    action: aws-stop-instance\n    account: '{{ inputs.acct }}'\n    region: r\n    resource: r\n", "steps.a.account", "line 4: template names input 'acct'")]
    [InlineData("id: x\nname: X\nsteps:\n  - id: c\n    kind: condition\n    name: C\n    if: { step: later, outcome: failed }\n    then:\n      - id: d\n        kind: approval\n        name: D\n  - id: later\n    kind: approval\n    name: L\n", "steps.c.if.step", "not an earlier step")]
    [InlineData("id: x\nname: X\ninputs:\n  - name: note\n    type: text\n    from: scope\nsteps:\n  - id: a\n    kind: approval\n    name: A\n", "inputs[0].from", "cannot come from the scope")]
    [InlineData("id: x\nname: X\nsteps: [ unclosed\n", "$", "line 4: not valid YAML")]
    [InlineData("id: Bad Id\nname: X\nsteps:\n  - id: a\n    kind: approval\n    name: A\n", "id", "must be 1 to 64 lower-case")]
    [InlineData("id: x\nname: [X]\nsteps:\n  - id: a\n    kind: approval\n    name: A\n", "name", "line 2: name must be text, not a list")]
    [InlineData("- just\n- a list\n", "$", "must be a YAML mapping")]
    [InlineData("id: x\nname: X\nsteps:\n  - &a\n    id: a\n    kind: approval\n    name: A\n  - *a\n", "$", "line 4: YAML anchors and aliases are not supported")]
    public void Parse_BadPlaybook_NamesThePathAndLine(string yaml, string path, string message)
    {
        var error = Assert.Throws<ValidationFailedException>(() => PlaybookYaml.Parse(yaml));

        Assert.True(error.Errors.TryGetValue(path, out var messages), $"no error at {path}: {string.Join("; ", error.Errors.Select(e => $"{e.Key}={string.Join(",", e.Value)}"))}");
        Assert.Contains(messages, m => m.Contains(message, StringComparison.Ordinal));
    }

    [Fact]
    public void Parse_Oversized_IsRefusedBeforeReading()
    {
        var yaml = "id: x\nname: X\ndescription: " + new string('a', PlaybookLimits.MaxSourceBytes) + "\nsteps: []\n";

        var error = Assert.Throws<ValidationFailedException>(() => PlaybookYaml.Parse(yaml));

        Assert.Contains("larger than 256 KiB", error.Errors["$"][0]);
    }
}
