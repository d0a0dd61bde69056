using System.Text.Json;

namespace Firebreak.Cli.Tests.Commands;

public sealed class RulesCommandTests : IDisposable
{
    private readonly DirectoryInfo _rules = Directory.CreateTempSubdirectory("firebreak-rules-");

    public void Dispose() => _rules.Delete(recursive: true);

    private const string GoodRule = """
        title: Trail deleted
        id: 5f0c8f3a-6a0e-4d7e-9b4a-0c1d2e3f4a5b
        status: test
        level: high
        tags: [attack.defense-evasion, attack.t1562.008]
        logsource: {product: aws, service: cloudtrail}
        detection:
          sel: {eventSource: cloudtrail.amazonaws.com, eventName: DeleteTrail}
          condition: sel
        firebreak:
          tests:
            - match: true
              event: {eventSource: cloudtrail.amazonaws.com, eventName: DeleteTrail}
            - match: false
              event: {eventSource: cloudtrail.amazonaws.com, eventName: DescribeTrails}
        """;

    private string Write(string name, string yaml)
    {
        File.WriteAllText(Path.Combine(_rules.FullName, name), yaml);
        return _rules.FullName;
    }

    [Fact]
    public async Task ListTestAndLint_ShowControlCharactersFromRuleFilesEscaped()
    {
        // A title that sets the terminal's window title and clears the screen reached the terminal raw.
        Write("evil.yml", GoodRule.Replace("title: Trail deleted", "title: \"Evil \\e]0;PWNED\\a\\e[2J\"", StringComparison.Ordinal)
            .Replace("match: false", "match: true", StringComparison.Ordinal));
        Write("broken\u001b[2J.yml", "title: [unclosed\n");

        var list = await Cli.RunAsync("rules", "list", "--rules", _rules.FullName, "--no-builtin");
        var test = await Cli.RunAsync("rules", "test", "--rules", _rules.FullName, "--no-builtin");
        var lint = await Cli.RunAsync("rules", "lint", "--rules", _rules.FullName, "--no-builtin");

        foreach (var result in new[] { list, test, lint })
        {
            Assert.DoesNotContain("\u001b", result.Out + result.Err);
            Assert.DoesNotContain("\u0007", result.Out + result.Err);
        }

        Assert.Contains("\\u001B]0;PWNED", list.Out + list.Err);
        Assert.Contains("\\u001B]0;PWNED", test.Out);
        Assert.Contains("broken\\u001B[2J.yml", lint.Out);
    }

    [Fact]
    public async Task List_ShowsOnlyTheRulesThatWouldLoad_AndSaysWhyTheOthersDoNot()
    {
        Write("a-good.yml", GoodRule);
        Write("b-copy.yml", GoodRule.Replace("title: Trail deleted", "title: Trail deleted, copied", StringComparison.Ordinal));
        Write("c-regex.yml", "title: Bad regex\nlogsource: {product: aws, service: cloudtrail}\ndetection:\n  sel: {eventName|re: '([a-z'}\n  condition: sel\n");

        var result = await Cli.RunAsync("rules", "list", "--rules", _rules.FullName, "--no-builtin", "--json");

        Assert.Equal(0, result.ExitCode);
        Assert.Equal(["Trail deleted"], JsonDocument.Parse(result.Out).RootElement.EnumerateArray().Select(r => r.GetProperty("title").GetString()));
        Assert.Contains("b-copy.yml", result.Err);
        Assert.Contains("c-regex.yml", result.Err);
    }

    [Fact]
    public async Task List_Json_ShowsBuiltInAndFolderRules()
    {
        Write("good.yml", GoodRule);

        var result = await Cli.RunAsync("rules", "list", "--rules", _rules.FullName, "--json");

        Assert.True(result.ExitCode == 0, result.ToString());
        var rules = JsonDocument.Parse(result.Out).RootElement.EnumerateArray().ToList();
        Assert.Contains(rules, r => r.GetProperty("title").GetString() == "Trail deleted" && r.GetProperty("file").GetString()!.EndsWith("good.yml"));
        Assert.Contains(rules, r => r.GetProperty("title").GetString() == "CloudTrail Trail Stopped, Deleted or Narrowed");
    }

    [Fact]
    public async Task List_NoBuiltIn_ListsOnlyTheFolder_AndLoadsTheSigmaHqRules()
    {
        var result = await Cli.RunAsync("rules", "list", "--rules", HuntCommandTests.SigmaRules(), "--no-builtin", "--json");

        Assert.True(result.ExitCode == 0, result.ToString());
        var rules = JsonDocument.Parse(result.Out).RootElement.EnumerateArray().ToList();
        Assert.True(rules.Count > 50, $"{rules.Count} rules");
        Assert.DoesNotContain(rules, r => r.GetProperty("title").GetString() == "CloudTrail Trail Stopped, Deleted or Narrowed");
    }

    [Fact]
    public async Task Test_BuiltInPack_Passes()
    {
        var result = await Cli.RunAsync("rules", "test");

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Matches(@"(\d+) of \1 test\(s\) passed", result.Out);
    }

    [Fact]
    public async Task Test_FailingEmbeddedTest_ExitsOne_AndNamesTheRule()
    {
        Write("wrong.yml", GoodRule.Replace("- match: false", "- match: true"));

        var result = await Cli.RunAsync("rules", "test", "--rules", _rules.FullName, "--no-builtin");

        Assert.True(result.ExitCode == 1, result.ToString());
        Assert.Contains("wrong.yml:", result.Out);
        Assert.Contains("FAIL 'Trail deleted'", result.Out);
    }

    [Fact]
    public async Task Test_AMatchThatIsNoBoolean_IsAnError_NotATestExpectingNoMatch()
    {
        // "match: maybe" was taken for "match: false": the test ran, passed, and the run exited 0.
        Write("maybe.yml", GoodRule.Replace("- match: false", "- match: maybe"));

        var result = await Cli.RunAsync("rules", "test", "--rules", _rules.FullName, "--no-builtin");

        Assert.True(result.ExitCode == 1, result.ToString());
        Assert.Matches(@"maybe\.yml:14:.*test needs 'match: true' or 'match: false'", result.Out);
    }

    [Fact]
    public async Task Test_TakesYesAndNo_AsExistsDoes()
    {
        Write("yes.yml", GoodRule.Replace("- match: true", "- match: yes").Replace("- match: false", "- match: no"));

        var result = await Cli.RunAsync("rules", "test", "--rules", _rules.FullName, "--no-builtin");

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Contains("2 of 2 test(s) passed", result.Out);
    }

    [Fact]
    public async Task Lint_CleanFolder_ExitsZero()
    {
        Write("good.yml", GoodRule);

        var result = await Cli.RunAsync("rules", "lint", "--rules", _rules.FullName, "--no-builtin");

        Assert.True(result.ExitCode == 0, result.ToString());
    }

    [Fact]
    public async Task Lint_BrokenAndSloppyRules_ListsFileLineAndReason_AndExitsOne()
    {
        Write("good.yml", GoodRule);
        Write("broken.yml", "title: broken\nlogsource: {product: aws, service: cloudtrail}\ndetection:\n  sel: {eventName: X}\n  condition: sel and missing\n");
        Write("sloppy.yml", GoodRule.Replace("level: high\n", "").Replace("5f0c8f3a-6a0e-4d7e-9b4a-0c1d2e3f4a5b", "not-a-uuid"));

        var result = await Cli.RunAsync("rules", "lint", "--rules", _rules.FullName, "--no-builtin");

        Assert.True(result.ExitCode == 1, result.ToString());
        Assert.Matches(@"broken\.yml:\d+: error", result.Out);
        Assert.Matches(@"sloppy\.yml:\d+: warning invalid-id", result.Out);
        Assert.Matches(@"sloppy\.yml:\d+: warning missing-level", result.Out);
        Assert.DoesNotContain("good.yml", result.Out);
    }

    [Fact]
    public async Task Rules_MissingFolder_IsAUsageError()
    {
        var result = await Cli.RunAsync("rules", "lint", "--rules", Path.Combine(_rules.FullName, "absent"));

        Assert.Equal(2, result.ExitCode);
    }
}
