using System.Text.Json;

namespace Firebreak.Cli.Tests.Playbooks;

public sealed class PlaybookCommandTests(ServerFixture server) : IClassFixture<ServerFixture>, IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("firebreak-playbook-cli-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    private const string Yaml = """
        id: cli-sample
        name: CLI sample
        steps:
          - id: notes
            kind: manual
            name: Take notes
            checklist: [Write down the time, Tell the owner]
          - id: sign-off
            kind: approval
            name: Second person signs off
        """;

    [Fact]
    public async Task ImportShowExport_ThenRunCompleteApprove_ToTheEnd()
    {
        var file = Path.Combine(_folder, "sample.yml");
        await File.WriteAllTextAsync(file, Yaml, TestContext.Current.CancellationToken);

        var refused = await server.RunAsync("playbook", "import", file);
        Assert.Equal(1, refused.ExitCode);
        var imported = await server.RunWithKeyAsync(server.ManagerKey, "playbook", "import", file);
        Assert.True(imported.ExitCode == 0, imported.ToString());
        Assert.Contains("Imported cli-sample (CLI sample): 2 steps.", imported.Out);
        var list = await server.RunAsync("playbook", "list");
        Assert.Contains("compromised-access-key", list.Out);
        Assert.Contains("cli-sample", list.Out);
        var show = await server.RunAsync("playbook", "show", "compromised-ec2-instance");
        Assert.True(show.ExitCode == 0, show.ToString());
        Assert.Contains("- isolate [action] Isolate the instance: aws-isolate-instance on {{ inputs.instance }}", show.Out);
        var cacaoFile = Path.Combine(_folder, "sample.cacao.json");
        var export = await server.RunAsync("playbook", "export", "cli-sample", "--format", "cacao", "--output", cacaoFile);
        Assert.True(export.ExitCode == 0, export.ToString());
        Assert.Equal("cacao-2.0", JsonDocument.Parse(await File.ReadAllTextAsync(cacaoFile, TestContext.Current.CancellationToken)).RootElement.GetProperty("spec_version").GetString());
        var yaml = await server.RunAsync("playbook", "export", "cli-sample");
        Assert.Equal(Yaml, yaml.Out);

        var incident = await server.CreateIncidentAsync("Playbook from the CLI");
        var run = await server.RunAsync("playbook", "run", incident, "cli-sample", "--criticality", "low", "--choice", "contain-accept-downtime", "--choice-reason", "nothing changes", "--json");
        Assert.True(run.ExitCode == 0, run.ToString());
        var runId = JsonDocument.Parse(run.Out).RootElement.GetProperty("id").GetString()!;
        await WaitAsync(incident, runId, "notes", "running");
        var half = await server.RunAsync("playbook", "complete", incident, runId, "notes", "--item", "0", "--note", "at 09:14");
        Assert.True(half.ExitCode == 0, half.ToString());
        Assert.Contains("1/2 ticked", half.Out);
        var all = await server.RunAsync("playbook", "complete", incident, runId, "notes", "--all");
        Assert.True(all.ExitCode == 0, all.ToString());
        Assert.Contains("done", all.Out);
        await WaitAsync(incident, runId, "sign-off", "waiting-approval");
        var self = await server.RunAsync("playbook", "approve", incident, runId, "sign-off");
        Assert.Equal(1, self.ExitCode);
        Assert.Contains("second person", self.Err);
        var approved = await server.RunWithKeyAsync(server.ManagerKey, "playbook", "approve", incident, runId, "sign-off", "--comment", "fine");
        Assert.True(approved.ExitCode == 0, approved.ToString());
        await WaitAsync(incident, runId, "sign-off", "succeeded");
        var status = await server.RunAsync("playbook", "status", incident);
        Assert.Contains("cli-sample", status.Out);
        Assert.Contains("succeeded", status.Out);
    }

    [Fact]
    public async Task BadInput_IsAUsageErrorOrAProblem()
    {
        var missing = await server.RunWithKeyAsync(server.ManagerKey, "playbook", "import", Path.Combine(_folder, "nope.yml"));
        Assert.Equal(2, missing.ExitCode);
        var broken = Path.Combine(_folder, "broken.yml");
        await File.WriteAllTextAsync(broken, "id: broken\nname: Broken\nsteps:\n  - id: a\n    kind: teleport\n    name: A\n", TestContext.Current.CancellationToken);
        var invalid = await server.RunWithKeyAsync(server.ManagerKey, "playbook", "import", broken);
        Assert.NotEqual(0, invalid.ExitCode);
        Assert.Contains("line 5: kind 'teleport' is not one of", invalid.Err);
        var badInput = await server.RunAsync("playbook", "run", "INC-1999-0001", "cli-sample", "--input", "novalue", "--criticality", "low", "--choice", "contain-accept-downtime", "--choice-reason", "r");
        Assert.Equal(2, badInput.ExitCode);
        var unknown = await server.RunAsync("playbook", "show", "no-such-playbook");
        Assert.NotEqual(0, unknown.ExitCode);
        Assert.Contains("not found", unknown.Err);
    }

    private async Task WaitAsync(string incident, string run, string step, string state)
    {
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (true)
        {
            var status = await server.RunAsync("playbook", "status", incident, run, "--json");
            var steps = JsonDocument.Parse(status.Out).RootElement.GetProperty("steps").EnumerateArray();
            if (steps.Any(s => s.GetProperty("id").GetString() == step && s.GetProperty("state").GetString() == state)) return;
            Assert.True(DateTime.UtcNow < deadline, $"{step} never became {state}: {status.Out}");
            await Task.Delay(200);
        }
    }
}
