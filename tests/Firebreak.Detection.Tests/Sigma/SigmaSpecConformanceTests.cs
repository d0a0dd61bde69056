using System.Text.Json;
using Firebreak.Detection.Events;
using Firebreak.Detection.Sigma;

namespace Firebreak.Detection.Tests.Sigma;

/// <summary>Behaviour the Sigma specification (v2.x) asks for: filters for every rule, time modifiers on dates only, keywords over the whole record, placeholders never dropped.</summary>
public class SigmaSpecConformanceTests
{
    private static CompiledRuleSet Compile(string yaml)
    {
        var parsed = SigmaParser.Parse(yaml, "spec.yml");
        Assert.Empty(parsed.Diagnostics);
        var set = CompiledRuleSet.Compile(parsed.Documents);
        Assert.Empty(set.Diagnostics);
        return set;
    }

    private const string TwoKeyRules = """
        title: access key created
        id: 4c1b2a90-0000-4000-8000-0000000000a1
        logsource: {product: aws, service: cloudtrail}
        detection:
          sel: {eventName: CreateAccessKey}
          condition: sel
        ---
        title: login profile created
        id: 4c1b2a90-0000-4000-8000-0000000000a2
        logsource: {product: aws, service: cloudtrail}
        detection:
          sel: {eventName: CreateLoginProfile}
          condition: sel
        ---

        """;

    [Theory]
    // Sigma filters v2.2 (changelog "Filters can now reference all available rules by using the filter.rules: any
    // declaration"); pySigma reads 'any', 'all' and an empty list so: the filter applies to every rule of its log source.
    [InlineData("any")]
    [InlineData("all")]
    [InlineData("[]")]
    public void Filter_WithRulesAny_AppliesToEveryRuleOfItsLogSource(string rules)
    {
        var set = Compile(TwoKeyRules + $$"""
            title: the rotation bot is expected
            logsource: {product: aws, service: cloudtrail}
            filter:
              rules: {{rules}}
              selection:
                userIdentity.userName: key-rotation-bot
              condition: not selection
            """);

        var botKey = TestEvents.Aws("""{"eventName":"CreateAccessKey","userIdentity":{"userName":"key-rotation-bot"}}""");
        var botProfile = TestEvents.Aws("""{"eventName":"CreateLoginProfile","userIdentity":{"userName":"key-rotation-bot"}}""");
        var human = TestEvents.Aws("""{"eventName":"CreateAccessKey","userIdentity":{"userName":"mallory"}}""");

        Assert.Empty(set.Match(botKey));
        Assert.Empty(set.Match(botProfile));
        Assert.Single(set.Match(human));
    }

    [Theory]
    // Sigma modifiers appendix v2.1, time modifiers: "can only be applied to date values. It extracts a numeric value
    // from a date." A time of day alone, a version number or a bare number is no date, so no component can be taken
    // from it; the runtime's lenient parser fills the missing date from today's clock, so "03:30" had this year (and,
    // on the right day, this day) and "1.5" was the fifth of January.
    [InlineData("year|gte", "1", "03:30:00")]
    [InlineData("year|gte", "1", "3:30 PM")]
    [InlineData("month", "1", "1.5")]
    [InlineData("day", "5", "1.5")]
    public void TimeModifiers_DoNotTakeADateFromAValueThatHoldsNone(string modifiers, string value, string recorded)
    {
        var set = SigmaTestRules.Detection($"    sel:\n        f|{modifiers}: {value}\n    condition: sel");
        Assert.False(set.MatchesJson(JsonSerializer.Serialize(new { f = recorded })));
    }

    [Theory]
    // Sigma modifiers appendix v2.1: time modifiers are "not designed to handle timezone or format conversions": the
    // component is the one the timestamp writes. A timestamp with an offset was converted to UTC first, so 03:30 at
    // +02:00 read as hour 1 and the 31st of December 23:30 at -05:00 as the next year.
    [InlineData("hour", "3", "2024-05-01T03:30:00+02:00")]
    [InlineData("day", "31", "2024-12-31T23:30:00-05:00")]
    [InlineData("year", "2024", "2024-12-31T23:30:00-05:00")]
    public void TimeModifiers_TakeTheComponentAsTheTimestampWritesIt(string part, string value, string recorded)
    {
        var set = SigmaTestRules.Detection($"    sel:\n        f|{part}: {value}\n    condition: sel");
        Assert.True(set.MatchesJson(JsonSerializer.Serialize(new { f = recorded })));
    }

    [Fact]
    public void Keywords_AreSearchedInTheWholeRecord_PropertyNamesIncluded()
    {
        // Sigma rules specification v2, Lists: keyword strings "are applied to the full log message". A label or
        // annotation key is text of the message like any value: GKE marks a break-glass deployment with the label
        // key image-policy.k8s.io/break-glass (SigmaHQ's "GCP Break-glass Container Workload Deployed" searches that
        // keyword). Only values were searched, so the keyword was never found.
        var set = SigmaTestRules.Detection(
            "    selection:\n        protoPayload.methodName: io.k8s.core.v1.pods.create\n    keywords:\n        - 'image-policy.k8s.io/break-glass'\n    condition: selection and keywords",
            logsource: "product: gcp\n    service: gcp.audit");
        var record = """
            {"protoPayload":{"methodName":"io.k8s.core.v1.pods.create",
             "request":{"metadata":{"name":"web","labels":{"image-policy.k8s.io/break-glass":"true"}}}}}
            """;

        Assert.True(set.Matches(TestEvents.Create(record, "gcp", "gcp.audit")));
    }

    [Theory]
    // Sigma rules specification v2, Placeholders: "If the tool isn't able to handle placeholders, it must reject the
    // rule" (as the engine does for every other value: Expand_WithoutConfiguredValues_RejectsTheRule_AsTheSpecificationAsks).
    // With re, expand was dropped without a word: the regular expression ^%admins%$ was loaded as written and never matched.
    [InlineData("f|expand|re")]
    [InlineData("f|re|expand")]
    [InlineData("'|expand|re'")]
    public void Expand_WithARegex_IsRejectedWhenThePlaceholderHasNoValues(string key)
    {
        var parsed = SigmaParser.Parse($"title: r\nlogsource: {{product: aws, service: cloudtrail}}\ndetection:\n    sel:\n        {key}: '^%admins%$'\n    condition: sel\n", "r.yml");
        Assert.Empty(parsed.Diagnostics);
        var set = CompiledRuleSet.Compile(parsed.Documents);

        Assert.Contains(set.Diagnostics, d => d.Severity == DiagnosticSeverity.Error);
        Assert.Empty(set.Rules);
    }

    [Fact]
    public void Expand_WithARegex_UsesTheConfiguredValues()
    {
        var options = new SigmaCompileOptions { Placeholders = new Dictionary<string, IReadOnlyList<string>> { ["admins"] = ["root", "break-glass"] } };
        var parsed = SigmaParser.Parse("title: r\nlogsource: {product: aws, service: cloudtrail}\ndetection:\n    sel:\n        f|expand|re: '^%admins%$'\n    condition: sel\n", "r.yml");
        var set = CompiledRuleSet.Compile(parsed.Documents, options);

        // Either reading is the specification's: the placeholder filled in, or the rule refused; not a rule that loads and never matches.
        Assert.True(set.Diagnostics.Any(d => d.Severity == DiagnosticSeverity.Error)
            || (set.MatchesJson("""{"f":"root"}""") && set.MatchesJson("""{"f":"break-glass"}""")));
    }

    [Theory]
    // pySigma reads a field with an empty value list as the field being null (SigmaDetectionItem.postprocess: no value
    // maps to SigmaNull), so `errorCode: []` is written as `errorCode: null` is.
    [InlineData("{eventName: ConsoleLogin, errorCode: []}", """{"eventName":"ConsoleLogin"}""", true)]
    [InlineData("{eventName: ConsoleLogin, errorCode: []}", """{"eventName":"ConsoleLogin","errorCode":null}""", true)]
    [InlineData("{eventName: ConsoleLogin, errorCode: []}", """{"eventName":"ConsoleLogin","errorCode":"Failed authentication"}""", false)]
    public void AnEmptyValueList_IsNull(string selection, string record, bool matches)
    {
        var empty = Compile($"title: t\nlogsource: {{product: aws, service: cloudtrail}}\ndetection:\n  sel: {selection}\n  condition: sel\n");
        var written = Compile($"title: t\nlogsource: {{product: aws, service: cloudtrail}}\ndetection:\n  sel: {selection.Replace("[]", "null", StringComparison.Ordinal)}\n  condition: sel\n");
        Assert.Equal(matches, empty.MatchesJson(record));
        Assert.Equal(matches, written.MatchesJson(record));
    }

    [Fact]
    public void AnEmptyKeywordList_IsAnError_ThereIsNoFieldToBeNull()
    {
        var parsed = SigmaParser.Parse("title: t\nlogsource: {product: aws, service: cloudtrail}\ndetection:\n  keywords:\n    '|contains': []\n  condition: keywords\n", "k.yml");
        var error = Assert.Single(parsed.Diagnostics);
        Assert.Contains("a keyword search needs a value", error.Message, StringComparison.Ordinal);
        Assert.Equal(5, error.Line);
    }
}
