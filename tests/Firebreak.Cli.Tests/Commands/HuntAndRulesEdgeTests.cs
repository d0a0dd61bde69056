using System.Text.Json;

namespace Firebreak.Cli.Tests.Commands;

/// <summary>hunt and rules at their edges: the same rules named twice, a record without a time, hostile levels, empty rule folders and options.</summary>
public sealed class HuntAndRulesEdgeTests : IDisposable
{
    private readonly string root = Directory.CreateTempSubdirectory("firebreak-edges-").FullName;

    private const string StopTrail = """{"Records":[{"eventVersion":"1.08","eventTime":"2026-01-15T09:00:00Z","eventSource":"cloudtrail.amazonaws.com","eventName":"StopLogging","awsRegion":"us-east-1","sourceIPAddress":"203.0.113.9","userIdentity":{"type":"IAMUser","arn":"arn:aws:iam::111122223333:user/ops","accessKeyId":"AKIAEXAMPLE"},"eventID":"e2"}]}""";

    public void Dispose() => Directory.Delete(root, recursive: true);

    private string WriteFile(string name, string content)
    {
        var path = Path.Combine(root, Guid.NewGuid().ToString("N"), name);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, content);
        return path;
    }

    private static string[] Lines(string text) => text.Split('\n', StringSplitOptions.RemoveEmptyEntries);

    [Fact]
    public async Task TheSameRulesFolderTwice_WithRulesWithoutAnId_ReportsEachHitOnce()
    {
        // Sigma ids are optional and custom rules often have none: the same folder named twice (or a folder and a file in
        // it) is still read once, and no hit is printed or counted twice.
        var log = WriteFile("stop.json", StopTrail);
        var rules = Path.GetDirectoryName(WriteFile("stop.yml", """
            title: Trail stopped (house rule)
            logsource: {product: aws, service: cloudtrail}
            level: high
            detection:
              sel: {eventName: StopLogging}
              condition: sel
            """))!;

        var once = await Cli.RunAsync("hunt", log, "--no-builtin", "--rules", rules, "--output", "jsonl");
        var twice = await Cli.RunAsync("hunt", log, "--no-builtin", "--rules", rules, "--rules", rules + Path.DirectorySeparatorChar, "--output", "jsonl");
        var folderAndFile = await Cli.RunAsync("hunt", log, "--no-builtin", "--rules", rules, "--rules", Path.Combine(rules, "stop.yml"), "--output", "jsonl");

        Assert.Single(Lines(once.Out));
        Assert.True(Lines(twice.Out).Length == 1, twice.ToString());
        Assert.True(Lines(folderAndFile.Out).Length == 1, folderAndFile.ToString());
    }

    [Fact]
    public async Task AHitOnARecordOfUnknownTime_HasNoTime_NotTheYearOne()
    {
        // The reader keeps the record "with an unknown time" and warns; its hits say so ("time": null, an empty csv
        // cell), not year one, which a SIEM would file in year 1 and a time filter (jq 'select(.time >= ...)') would drop.
        var log = WriteFile("notime.json", """[{"caller":"admin@contoso.example","eventDataId":"e1","operationName":{"value":"Microsoft.Authorization/elevateAccess/action"},"category":{"value":"Administrative"},"status":{"value":"Succeeded"}}]""");

        var jsonl = await Cli.RunAsync("hunt", log, "--output", "jsonl");
        var csv = await Cli.RunAsync("hunt", log, "--output", "csv");

        Assert.True(jsonl.ExitCode == 1, jsonl.ToString());
        Assert.Contains("kept with an unknown time", jsonl.Err);
        using var hit = JsonDocument.Parse(Assert.Single(Lines(jsonl.Out)));
        Assert.Equal(JsonValueKind.Null, hit.RootElement.GetProperty("time").ValueKind);
        var row = Assert.Single(Lines(csv.Out).Skip(1));
        Assert.DoesNotContain("0001-01-01", row, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Table_ShowsControlCharactersOfARulesLevelEscaped()
    {
        // Rule files are input like any other (--rules <(curl ...)): a level's control characters are shown escaped in the
        // by-rule table, the "N hit(s): ..." line and every hit's line, as a title's are, so a rule cannot drive the terminal.
        var log = WriteFile("stop.json", StopTrail);
        var rule = WriteFile("evil.yml", """
            title: Trail stopped
            id: 0b1f0c52-9d4e-4b7a-8c61-2f5e0d9b7a77
            logsource: {product: aws, service: cloudtrail}
            level: "\e[2J\e]0;owned\a"
            detection:
              sel: {eventName: StopLogging}
              condition: sel
            """);

        var list = await Cli.RunAsync("rules", "list", "--no-builtin", "--rules", rule);
        var result = await Cli.RunAsync("hunt", log, "--no-builtin", "--rules", rule);

        Assert.DoesNotContain('\u001b', list.Out);
        Assert.True(result.ExitCode == 1, result.ToString());
        Assert.DoesNotContain('\u001b', result.Out);
        Assert.DoesNotContain('\u0007', result.Out);
    }

    [Fact]
    public async Task SeveritySummary_CountsOneLevelOnce_WhateverItsCase()
    {
        // --min-level and the by-rule table read levels case-insensitively ("Critical" is critical), and so does the
        // summary line: "critical 2", not "Critical 1, critical 1".
        var log = WriteFile("stop.json", StopTrail);
        var rules = WriteFile("two.yml", """
            title: Stop A
            id: 1b1f0c52-9d4e-4b7a-8c61-2f5e0d9b7a01
            logsource: {product: aws, service: cloudtrail}
            level: Critical
            detection:
              sel: {eventName: StopLogging}
              condition: sel
            ---
            title: Stop B
            id: 1b1f0c52-9d4e-4b7a-8c61-2f5e0d9b7a02
            logsource: {product: aws, service: cloudtrail}
            level: critical
            detection:
              sel: {eventName: StopLogging}
              condition: sel
            """);

        var result = await Cli.RunAsync("hunt", log, "--no-builtin", "--rules", rules);

        Assert.True(result.ExitCode == 1, result.ToString());
        Assert.Contains("2 hit(s): critical 2", result.Out, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("test")]
    [InlineData("lint")]
    public async Task RulesTestAndLint_OfAFolderWithNoRule_AreNotAPass(string command)
    {
        // A CI gate `firebreak rules test --rules ./rules --no-builtin` pointed at the wrong folder (or one whose rules
        // were moved) must fail, not pass with "0 of 0 test(s) passed".
        var folder = Path.GetDirectoryName(WriteFile("README.md", "rules moved to ./detections\n"))!;

        var result = await Cli.RunAsync("rules", command, "--no-builtin", "--rules", folder);

        Assert.True(result.ExitCode == 2, result.ToString());
        Assert.Contains("no rule file (.yml, .yaml) in the folder", result.Err, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Hunt_WithOneOfItsRuleFoldersEmpty_IsAUsageError()
    {
        var log = WriteFile("stop.json", StopTrail);
        var empty = Path.GetDirectoryName(WriteFile("README.md", "nothing here\n"))!;

        var result = await Cli.RunAsync("hunt", log, "--rules", empty, "--output", "jsonl");

        Assert.True(result.ExitCode == 2, result.ToString());
        Assert.Empty(result.Out);
    }

    [Fact]
    public async Task RulesOptionWithoutAValue_IsAUsageError_NotAHuntWithoutTheRules()
    {
        // A folder left off the command line (a variable that expanded to nothing: --rules $RULES) is a usage error, not
        // a hunt with the built-in pack only that exits 0 or 1 as if it had run them.
        var log = WriteFile("stop.json", StopTrail);

        var result = await Cli.RunAsync("hunt", log, "--rules");

        Assert.True(result.ExitCode == 2, result.ToString());
    }

    [Theory]
    [InlineData("--since", "")]
    [InlineData("--until", " ")]
    public async Task ATimeBoundGivenNoTime_IsAUsageError_NotAHuntOfEverything(string option, string value)
    {
        // `--since "$SINCE"` with the variable unset: the hunt read every record, with nothing to say the bound was lost.
        var log = WriteFile("stop.json", StopTrail);

        var result = await Cli.RunAsync("hunt", log, option, value);

        Assert.True(result.ExitCode == 2, result.ToString());
        Assert.Contains($"{option} was given no time", result.Err);
        Assert.Empty(result.Out);
    }
}
