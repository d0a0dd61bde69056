using System.CommandLine;

namespace Firebreak.Cli.Tests;

public sealed class HelpTests
{
    /// <summary>Every command in the tree, so a command added later without help text or an example fails here.</summary>
    public static TheoryData<string> Commands()
    {
        var root = CliApp.BuildCommands(new CliContext(TextWriter.Null, TextWriter.Null, new Dictionary<string, string?>()));
        var data = new TheoryData<string> { "" };
        void Walk(Command command, string path)
        {
            foreach (var sub in command.Subcommands)
            {
                var full = (path + " " + sub.Name).Trim();
                data.Add(full);
                Walk(sub, full);
            }
        }
        Walk(root, "");
        return data;
    }

    [Theory]
    [MemberData(nameof(Commands))]
    public async Task Help_DescribesTheCommand_WithAnExampleAndTheExitCodes(string command)
    {
        var args = command.Split(' ', StringSplitOptions.RemoveEmptyEntries);

        var result = await Cli.RunAsync([.. args, "--help"]);

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Contains("Usage:", result.Out);
        Assert.Contains(("firebreak " + command).Trim(), result.Out);
        var examples = result.Out.Split("Examples:")[1];
        Assert.Contains("firebreak ", examples);
        Assert.Contains("Exit codes: 0 ok; 1 ", result.Out);
        Assert.Equal("", result.Err);
    }

    [Fact]
    public void TheTreeHasTheDocumentedCommands()
    {
        var commands = Commands().Select(row => row.Data).ToList();

        Assert.Equal(
            ["", "serve", "db", "db migrate", "admin", "admin bootstrap", "admin create-user", "admin create-api-key", "admin revoke-api-key", "admin protect-aws-secret",
             "incident", "incident list", "incident show", "incident create", "incident transition",
             "incident review", "incident review show", "incident review set",
             "incident followups", "incident followups list", "incident followups add", "incident followups set-status",
             "incident timeline", "incident events", "incident events import", "incident events search", "incident data-loss", "incident check", "incident scope",
             "alert", "alert send", "alert list",
             "evidence", "evidence add", "evidence add-snapshot", "evidence list", "evidence custody", "evidence record", "evidence verify",
             "evidence export", "evidence download", "indicator", "indicator list", "indicator add", "indicator search",
             "asset", "asset list", "asset add", "asset remove", "metrics", "report",
             "respond", "respond plan", "respond approve", "respond run", "respond undo", "respond replan", "respond status",
             "recovery", "recovery list", "recovery add", "recovery defaults", "recovery set-status", "recovery verify", "recovery baselines", "recovery record-baseline",
             "escalation", "escalation list", "escalation open", "escalation respond", "break-glass", "break-glass list", "break-glass record", "break-glass close",
             "playbook", "playbook list", "playbook show", "playbook import", "playbook export", "playbook run", "playbook status", "playbook complete", "playbook approve",
             "intel", "intel import", "intel feeds", "intel poll", "simulate",
             "hunt", "rules", "rules list", "rules test", "rules lint"],
            commands);
    }

    [Fact]
    public async Task NoCommand_IsAUsageError()
    {
        var result = await Cli.RunAsync();

        Assert.Equal(ExitCodes.Usage, result.ExitCode);
        Assert.Contains("Run 'firebreak --help'", result.Err);
    }
}
