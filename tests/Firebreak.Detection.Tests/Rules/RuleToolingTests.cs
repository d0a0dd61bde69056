using Firebreak.Detection.Rules;
using Firebreak.Detection.Sigma;

namespace Firebreak.Detection.Tests.Rules;

public class RuleToolingTests
{
    [Fact]
    public void Lint_ReportsMissingMetadataAndDuplicateIds_WithFileAndLine()
    {
        var a = SigmaParser.Parse("""
            title: no metadata
            logsource: {product: aws, service: cloudtrail}
            detection:
              sel: {eventName: A}
              condition: sel
            ---
            title: first
            id: 6f1e1d2c-3b4a-4c5d-8e6f-708192a3b4c5
            level: low
            tags: [attack.t1078]
            logsource: {product: aws, service: cloudtrail}
            detection:
              sel: {eventName: B}
              condition: sel
            """, "a.yml");
        var b = SigmaParser.Parse("""
            title: second
            id: 6f1e1d2c-3b4a-4c5d-8e6f-708192a3b4c5
            level: severe
            tags: [cloud]
            logsource: {product: aws, service: cloudtrail}
            detection:
              sel: {eventName: C}
              condition: sel
            """, "b.yml");
        var diagnostics = RuleLinter.Lint(SigmaRuleLoader.Merge([a, b]), new LintOptions { RequireAttackTechnique = true });

        Assert.Equal(
            [
                ("a.yml", 1, "missing-id"), ("a.yml", 1, "missing-level"), ("a.yml", 1, "missing-tags"),
                ("b.yml", 2, "duplicate-id"), ("b.yml", 3, "invalid-level"), ("b.yml", 4, "missing-attack-technique"),
            ],
            diagnostics.Select(d => (d.File, d.Line, d.Code)).Order());
        Assert.Contains("already used by 'first' (a.yml:8)", diagnostics.Single(d => d.Code == "duplicate-id").Message);
        Assert.Equal(DiagnosticSeverity.Error, diagnostics.Single(d => d.Code == "duplicate-id").Severity);
    }

    [Fact]
    public void Lint_ReportsDuplicateNames()
    {
        var parsed = SigmaParser.Parse("""
            title: one
            name: shared_name
            logsource: {product: aws}
            detection: {sel: {a: 1}, condition: sel}
            ---
            title: two
            name: shared_name
            logsource: {product: aws}
            detection: {sel: {a: 2}, condition: sel}
            """, "n.yml");
        var duplicate = Assert.Single(RuleLinter.Lint(parsed), d => d.Code == "duplicate-name");
        Assert.Equal(7, duplicate.Line);
        Assert.Contains("name shared_name is already used by 'one' (n.yml:2)", duplicate.Message);
    }

    [Fact]
    public void Lint_IncludesParseAndCompileErrors()
    {
        var parsed = SigmaRuleLoader.Merge([
            SigmaParser.Parse("title: x\nlogsource: {product: aws}\ndetection:\n  sel: {f|bogus: 1}\n  condition: sel\n", "parse.yml"),
            SigmaParser.Parse("title: y\nid: 0c2a4e6f-8091-4b2c-9d3e-4f5061728394\nlevel: low\ntags: [a]\nlogsource: {product: aws}\ndetection:\n  sel:\n    f|re: '('\n  condition: sel\n", "compile.yml"),
        ]);
        var diagnostics = RuleLinter.Lint(parsed);
        Assert.Contains(diagnostics, d => d is { File: "parse.yml", Line: 4, Severity: DiagnosticSeverity.Error });
        Assert.Contains(diagnostics, d => d is { File: "compile.yml", Line: 8, Severity: DiagnosticSeverity.Error });
    }

    [Fact]
    public void Lint_WithRequiredTests_FlagsRulesWithoutBothKinds()
    {
        var parsed = SigmaParser.Parse("""
            title: only positive
            id: 1a2b3c4d-5e6f-4a1b-8c2d-3e4f5a6b7c8d
            level: low
            tags: [attack.t1078]
            logsource: {product: aws, service: cloudtrail}
            detection:
              sel: {eventName: A}
              condition: sel
            firebreak:
              tests:
                - match: true
                  event: {eventName: A}
            """, "t.yml");
        Assert.Equal("missing-tests", Assert.Single(RuleLinter.Lint(parsed, LintOptions.BuiltInPack)).Code);
    }

    [Fact]
    public void Tester_ReportsTestsThatFail()
    {
        var parsed = SigmaParser.Parse("""
            title: wrong expectations
            logsource: {product: aws, service: cloudtrail}
            detection:
              sel: {eventName: StopLogging}
              condition: sel
            firebreak:
              tests:
                - match: true
                  event: {eventName: StartLogging}
                - match: false
                  event: {eventName: StopLogging}
                - match: true
                  event: {eventName: stoplogging}
            """, "w.yml");
        var report = RuleTester.Run(parsed);
        Assert.False(report.Passed);
        Assert.Equal([(8, false), (10, false), (12, true)], report.Results.Select(r => (r.Line, r.Passed)));
    }

    private const string StopLoggingRuleWithTests = """
        title: trail stopped
        logsource: {product: aws, service: cloudtrail}
        detection:
          sel: {eventName: StopLogging}
          condition: sel
        firebreak:
          tests:
            - match: MATCHING
              event: {eventName: StopLogging}
            - match: NOT_MATCHING
              event: {eventName: StartLogging}
        """;

    [Theory]
    [InlineData("maybe")]
    [InlineData("1")]
    [InlineData("'false or true'")]
    public void Tester_RefusesAMatchThatIsNoBoolean_AsAMissingOne(string value)
    {
        // Any value but true was taken for false: "match: maybe" ran as a test expecting no match, and passed.
        var parsed = SigmaParser.Parse(StopLoggingRuleWithTests.Replace("MATCHING", "true").Replace("NOT_true", value), "m.yml");

        var report = RuleTester.Run(parsed);

        Assert.False(report.Passed);
        var error = Assert.Single(report.Diagnostics, d => d.Severity == DiagnosticSeverity.Error);
        Assert.Contains("test needs 'match: true' or 'match: false'", error.Message);
        Assert.Equal(("m.yml", 10), (error.File, error.Line));
        Assert.Empty(report.Results);
    }

    [Theory]
    [InlineData("true", "false")]
    [InlineData("True", "FALSE")]
    [InlineData("yes", "no")]
    [InlineData("on", "off")]
    public void Tester_TakesMatchAsABoolean_AsYaml11AlsoSpellsIt_LikeExists(string yes, string no)
    {
        // "exists" reads yes/no and on/off as the Python tools do; "match: yes" was taken for false, and its test failed.
        var parsed = SigmaParser.Parse(StopLoggingRuleWithTests.Replace("NOT_MATCHING", no).Replace("MATCHING", yes), "m.yml");

        var report = RuleTester.Run(parsed);

        Assert.True(report.Passed, string.Join("; ", report.Diagnostics.Select(d => d.ToString())));
        Assert.Equal([(true, true), (false, true)], report.Results.Select(r => (r.Expected, r.Passed)));
    }

    [Fact]
    public void Tester_RunsCorrelationTestsThroughTheirBaseRules()
    {
        var parsed = SigmaParser.Parse("""
            title: login failed
            name: login_failed
            logsource: {product: aws, service: cloudtrail}
            detection:
              sel: {eventName: ConsoleLogin, errorMessage: Failed authentication}
              condition: sel
            ---
            title: password spraying
            correlation:
              type: value_count
              rules: [login_failed]
              group-by: [sourceIPAddress]
              timespan: 5m
              condition: {field: userIdentity.userName, gte: 3}
            firebreak:
              tests:
                - match: true
                  events:
                    - {eventName: ConsoleLogin, errorMessage: Failed authentication, sourceIPAddress: 203.0.113.9, userIdentity: {userName: a}}
                    - {eventName: ConsoleLogin, errorMessage: Failed authentication, sourceIPAddress: 203.0.113.9, userIdentity: {userName: b}}
                    - {eventName: ConsoleLogin, errorMessage: Failed authentication, sourceIPAddress: 203.0.113.9, userIdentity: {userName: c}}
                - match: false
                  repeat: 5
                  events:
                    - {eventName: ConsoleLogin, errorMessage: Failed authentication, sourceIPAddress: 203.0.113.9, userIdentity: {userName: a}}
            """, "spray.yml");
        var report = RuleTester.Run(parsed);
        Assert.True(report.Passed, string.Join("; ", report.Results.Select(r => $"{r.Line}:{r.Actual}").Concat(report.Diagnostics.Select(d => d.ToString()))));
        Assert.Equal(2, report.Results.Count);
    }
}
