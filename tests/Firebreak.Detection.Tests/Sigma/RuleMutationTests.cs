using System.Diagnostics;
using Firebreak.Detection.Sigma;

namespace Firebreak.Detection.Tests.Sigma;

public class RuleMutationTests
{
    private const string Header = "title: t\nlogsource: {product: aws, service: cloudtrail}\n";
    private const string Detection = "detection: {sel: {eventName: A}, condition: sel}\n";

    /// <summary>Parses and compiles <paramref name="yaml"/> as one file; returns every diagnostic, having checked each names the file and a reason.</summary>
    private static List<SigmaDiagnostic> Load(string yaml, out CompiledRuleSet set)
    {
        var parsed = SigmaParser.Parse(yaml, "m.yml");
        set = CompiledRuleSet.Compile(parsed.Documents);
        var all = parsed.Diagnostics.Concat(set.Diagnostics).ToList();
        Assert.All(all, d => Assert.Equal("m.yml", d.File));
        Assert.All(all, d => Assert.False(string.IsNullOrWhiteSpace(d.Message), d.ToString()));
        return all;
    }

    private static SigmaDiagnostic SingleError(string yaml, string reason)
    {
        var diagnostic = Assert.Single(Load(yaml, out var set));
        Assert.Empty(set.Rules);
        Assert.Equal(DiagnosticSeverity.Error, diagnostic.Severity);
        Assert.Contains(reason, diagnostic.Message, StringComparison.Ordinal);
        Assert.True(diagnostic.Line > 0, diagnostic.ToString());
        return diagnostic;
    }

    private static string AliasBomb(string use)
    {
        var yaml = new System.Text.StringBuilder(Header + "x0: &x0 [a, a, a, a, a, a, a, a, a, a]\n");
        for (var i = 1; i < 9; i++)
        {
            yaml.Append($"x{i}: &x{i} [{string.Join(", ", Enumerable.Repeat($"*x{i - 1}", 10))}]\n");
        }

        return yaml.Append(use).ToString();
    }

    [Theory]
    [InlineData(10_000)]
    [InlineData(200_000)]
    public void DeeplyNestedYaml_IsAnErrorNotAStackOverflow(int depth) =>
        SingleError(Header + "detection:\n  sel: {eventName: " + new string('[', depth) + new string(']', depth) + "}\n  condition: sel\n", "nesting deeper");

    [Fact]
    public void DeeplyNestedTestEvent_IsAnError() =>
        SingleError(Header + Detection + "firebreak: {tests: [{match: true, event: " + string.Concat(Enumerable.Repeat("{a: ", 70)) + "1" + new string('}', 70) + "}]}\n", "nesting deeper");

    [Fact]
    public void AliasBomb_InATestEvent_IsAnErrorNotAnOutOfMemory() =>
        Assert.Equal(7, SingleError(AliasBomb(Detection + "firebreak: {tests: [{match: true, event: {b: *x8}}]}\n"), "aliases expand").Line);

    [Fact]
    public void AliasBomb_AsAKey_IsAnError() =>
        SingleError(AliasBomb("? *x8\n: 1\n" + Detection), "aliases expand");

    [Theory]
    [InlineData(Header + "detection: {sel: &s {a: *s}, condition: sel}\n")]
    [InlineData(Header + Detection + "firebreak: {tests: [{match: true, event: &e {x: [*e]}}]}\n")]
    public void AliasInsideItsOwnAnchor_IsAnError(string yaml) =>
        SingleError(yaml, "refers to a node that contains it");

    [Fact]
    public void SmallAliases_StillWork()
    {
        var diagnostics = Load(Header + "detection:\n  sel: {eventName: &n A}\n  other: {eventSource: *n}\n  condition: sel and other\n", out var set);
        Assert.Empty(diagnostics);
        Assert.True(set.MatchesJson("""{"eventName":"A","eventSource":"A"}"""));
        Assert.False(set.MatchesJson("""{"eventName":"A","eventSource":"B"}"""));
    }

    [Theory]
    [InlineData(Header + "detection: {[a]: {x: 1}, condition: sel}\n")]
    [InlineData(Header + "detection: {sel: {{a: b}: 1}, condition: sel}\n")]
    [InlineData("title: c\ncorrelation: {type: event_count, rules: [x], timespan: 1h, condition: {[gte]: 1}}\n")]
    [InlineData("title: c\ncorrelation: {type: event_count, rules: [x], timespan: 1h, condition: {gte: 1}, aliases: {[a]: {b: c}}}\n")]
    [InlineData("title: c\ncorrelation: {type: event_count, rules: [x], timespan: 1h, condition: {gte: 1}, aliases: {a: {[b]: c}}}\n")]
    [InlineData(Header + Detection + "firebreak: {tests: [{match: true, event: {[x]: 1}}]}\n")]
    [InlineData("x: &k [a]\n" + Header + Detection + "*k : 1\n")]
    public void NonScalarMappingKeys_AreAnErrorNotAnInvalidCast(string yaml) =>
        SingleError(yaml, "mapping keys must be scalars");

    public static TheoryData<string> DeepConditions() => new()
    {
        new string('(', 100_000) + "sel" + new string(')', 100_000),
        string.Concat(Enumerable.Repeat("not ", 100_000)) + "sel",
        "sel" + string.Concat(Enumerable.Repeat(" or sel", 100_000)),
        "sel" + string.Concat(Enumerable.Repeat(" and not sel", 100_000)),
    };

    [Theory]
    [MemberData(nameof(DeepConditions))]
    public void DeeplyNestedCondition_IsAnErrorNotAStackOverflow(string condition) =>
        Assert.Equal(5, SingleError(Header + "detection:\n  sel: {eventName: A}\n  condition: " + condition + "\n", "nests deeper than").Line);

    [Fact]
    public void NestedConditionWithinTheLimit_StillMatches()
    {
        var condition = new string('(', 150) + "sel" + new string(')', 150) + string.Concat(Enumerable.Repeat(" or sel", 150));
        Assert.Empty(Load(Header + "detection:\n  sel: {eventName: A}\n  condition: " + condition + "\n", out var set));
        Assert.True(set.MatchesJson("""{"eventName":"A"}"""));
        Assert.False(set.MatchesJson("""{"eventName":"B"}"""));
    }

    [Fact]
    public void LongConditionList_CompilesAndMatches()
    {
        var list = string.Concat(Enumerable.Repeat("\n    - other\n    - sel", 50_000));
        Assert.Empty(Load(Header + "detection:\n  sel: {eventName: A}\n  other: {eventName: B}\n  condition:" + list + "\n", out var set));
        Assert.True(set.MatchesJson("""{"eventName":"A"}"""));
        Assert.True(set.MatchesJson("""{"eventName":"B"}"""));
        Assert.False(set.MatchesJson("""{"eventName":"C"}"""));
    }

    [Theory]
    [InlineData("99999999999999d")]
    [InlineData("9223372036854775807s")]
    [InlineData("2000000000000000000w")]
    public void TimespanTooLong_IsAnErrorNotAnOverflow(string timespan) =>
        Assert.Equal(2, SingleError($"title: c\ncorrelation: {{type: event_count, rules: [x], timespan: {timespan}, condition: {{gte: 1}}}}\n", "longer than a timespan").Line);

    [Fact]
    public void TestEventNumberBeyondDouble_IsKeptAsText()
    {
        Assert.Empty(Load(Header + Detection + "firebreak: {tests: [{match: true, event: {x: 1.5e999, y: 2.5}}]}\n", out var set));
        var test = Assert.Single(Assert.Single(set.Rules).Rule.Tests);
        Assert.Equal("""{"x":"1.5e999","y":2.5}""", Assert.Single(test.Events).GetRawText());
    }

    [Theory]
    [InlineData("[true, false]")]
    [InlineData("[]")]
    [InlineData("[true, true]")]
    public void ExistsWithAList_IsAnErrorNotAnInvalidOperation(string values) =>
        Assert.Equal(3, SingleError(Header + $"detection: {{sel: {{a|exists: {values}}}, condition: sel}}\n", values == "[]" ? "empty value list" : "'exists' needs one value").Line);

    [Theory]
    [InlineData("^(a+)+$")]
    [InlineData("^(a|a)*$")]
    [InlineData("^(a|aa)+$")]
    [InlineData("(.*a){20}b")]
    public void CatastrophicRegex_MatchesInLinearTime_WithoutThrowing(string pattern)
    {
        Assert.Empty(Load(Header + $"detection: {{sel: {{eventName|re: '{pattern}'}}, condition: sel}}\n", out var set));
        var clock = System.Diagnostics.Stopwatch.StartNew();
        for (var i = 0; i < 20; i++)
        {
            Assert.False(set.MatchesJson($$"""{"eventName":"{{new string('a', 5000)}}!"}"""));
        }

        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(2), $"{clock.Elapsed} for 20 matches");
    }

    [Fact]
    public void RegexNeedingBacktracking_IsWarnedAbout_MatchesNormally_AndStopsAtTheLimit()
    {
        var diagnostic = Assert.Single(Load(Header + "detection: {sel: {eventName|re: '^(?=(a+)+$)a*(?<=a)$'}, condition: sel}\n", out var set));
        Assert.Equal((DiagnosticSeverity.Warning, "regex"), (diagnostic.Severity, diagnostic.Code));
        Assert.Contains("counts as no match", diagnostic.Message, StringComparison.Ordinal);
        Assert.True(set.MatchesJson("""{"eventName":"aaaa"}"""));

        var clock = System.Diagnostics.Stopwatch.StartNew();
        Assert.False(set.MatchesJson($$"""{"eventName":"{{new string('a', 40)}}!"}"""));
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(2), $"{clock.Elapsed} for one match");
    }

    private static SigmaCompileOptions Placeholders(params (string Name, string[] Values)[] placeholders) => new()
    {
        Placeholders = placeholders.ToDictionary(p => p.Name, p => (IReadOnlyList<string>)p.Values, StringComparer.OrdinalIgnoreCase),
    };

    [Theory]
    [InlineData(8, 10, "")]
    [InlineData(30, 2, "")]
    [InlineData(5_000, 10, "")]
    [InlineData(3, 10, "|windash")]
    public void PlaceholdersMultiplyingPastTheCap_AreAnErrorNotAHang(int count, int values, string modifiers)
    {
        var value = modifiers.Length == 0 ? string.Concat(Enumerable.Repeat("%x%", count)) : "-a -b -c -d " + string.Concat(Enumerable.Repeat("%x%", count));
        var parsed = SigmaParser.Parse(Header + $"detection:\n  sel:\n    eventName|expand{modifiers}: '{value}'\n  condition: sel\n", "m.yml");
        var clock = Stopwatch.StartNew();
        var allocated = GC.GetAllocatedBytesForCurrentThread();
        var set = CompiledRuleSet.Compile(parsed.Documents, Placeholders(("x", Enumerable.Range(0, values).Select(i => $"v{i}").ToArray())));
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(5), clock.Elapsed.ToString());
        Assert.True(GC.GetAllocatedBytesForCurrentThread() - allocated < 200 << 20, $"{(GC.GetAllocatedBytesForCurrentThread() - allocated) >> 20} MB");
        Assert.Empty(set.Rules);
        var diagnostic = Assert.Single(set.Diagnostics);
        Assert.Equal((DiagnosticSeverity.Error, 5, "m.yml"), (diagnostic.Severity, diagnostic.Line, diagnostic.File));
        Assert.Contains("more than", diagnostic.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ManySingleValuedPlaceholders_ExpandInLinearTime()
    {
        var parsed = SigmaParser.Parse(Header + $"detection:\n  sel:\n    eventName|expand: '{string.Concat(Enumerable.Repeat("%x%-", 20_000))}'\n  condition: sel\n", "m.yml");
        var clock = Stopwatch.StartNew();
        var allocated = GC.GetAllocatedBytesForCurrentThread();
        var set = CompiledRuleSet.Compile(parsed.Documents, Placeholders(("x", ["v"])));
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(5), clock.Elapsed.ToString());
        Assert.True(GC.GetAllocatedBytesForCurrentThread() - allocated < 200 << 20, $"{(GC.GetAllocatedBytesForCurrentThread() - allocated) >> 20} MB");
        Assert.Empty(set.Diagnostics);
        Assert.True(set.MatchesJson($$"""{"eventName":"{{string.Concat(Enumerable.Repeat("v-", 20_000))}}"}"""));
    }

    [Fact]
    public void PlaceholderWithoutValues_AfterManyOthers_NeverMatchesWithoutBuildingTheOthers()
    {
        var parsed = SigmaParser.Parse(Header + $"detection:\n  sel:\n    eventName|expand: '{string.Concat(Enumerable.Repeat("%x%", 12))}%empty%'\n  condition: sel\n", "m.yml");
        var clock = Stopwatch.StartNew();
        var set = CompiledRuleSet.Compile(parsed.Documents, Placeholders(("x", Enumerable.Range(0, 10).Select(i => $"v{i}").ToArray()), ("empty", [])));
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(5), clock.Elapsed.ToString());
        Assert.Empty(set.Diagnostics);
        Assert.False(set.MatchesJson("""{"eventName":"v0v0v0v0v0v0v0v0v0v0v0v0"}"""));
    }

    [Fact]
    public void PlaceholderValueNamingAPlaceholder_IsInsertedAsText()
    {
        var parsed = SigmaParser.Parse(Header + "detection:\n  sel:\n    eventName|expand: 'a%x%b%y%'\n  condition: sel\n", "m.yml");
        var set = CompiledRuleSet.Compile(parsed.Documents, Placeholders(("x", ["%x%", "%y%"]), ("y", ["1", "2"])));
        Assert.Empty(set.Diagnostics);
        foreach (var name in new[] { "a%x%b1", "a%x%b2", "a%y%b1", "a%y%b2" })
        {
            Assert.True(set.MatchesJson($$"""{"eventName":"{{name}}"}"""), name);
        }

        Assert.False(set.MatchesJson("""{"eventName":"a%x%b%y%"}"""));
    }
}
