using System.Text.Json;
using Firebreak.Detection.Events;
using Firebreak.Detection.Sigma;

namespace Firebreak.Detection.Tests.Sigma;

/// <summary>
/// What a rule author writes and what the engine makes of it: modifiers it cannot honour are refused rather than dropped,
/// an empty YAML document is nothing, filters apply within their log source, and correlations count only the events
/// that carry every group-by field.
/// </summary>
public class SigmaRuleAuthoringTests
{
    private static CompiledRuleSet CompileSelection(string key, string value) =>
        CompiledRuleSet.Compile(SigmaParser.Parse(
            $"title: r\nid: 6a1e0c2d-0000-4000-8000-000000000001\nlogsource: {{product: aws, service: cloudtrail}}\ndetection:\n    sel:\n        {key}: {value}\n    condition: sel\n",
            "r.yml").Documents);

    [Theory]
    // The compiler honoured the first of these and dropped the other without a word: windash|re ran the expression as
    // written, contains|cidr a plain range, lt|contains a plain number, hour|day the hour alone.
    [InlineData("f|windash|re", "'^-enc'", "windash", "re")]
    [InlineData("f|re|windash", "'^-enc'", "windash", "re")]
    [InlineData("f|base64|re", "'^abc'", "base64", "re")]
    [InlineData("f|base64offset|re", "'abc'", "base64offset", "re")]
    [InlineData("f|utf16le|re", "'abc'", "utf16le", "re")]
    [InlineData("f|wide|re", "'abc'", "wide", "re")]
    [InlineData("f|contains|cidr", "10.0.0.0/8", "contains", "cidr")]
    [InlineData("f|cidr|base64", "10.0.0.0/8", "base64", "cidr")]
    [InlineData("f|cidr|re", "10.0.0.0/8", "re", "cidr")]
    [InlineData("f|cased|cidr", "10.0.0.0/8", "cased", "cidr")]
    [InlineData("f|lt|contains", "5", "contains", "lt")]
    [InlineData("f|gte|cased", "5", "cased", "gte")]
    [InlineData("f|gt|re", "5", "re", "gt")]
    [InlineData("f|lte|windash", "5", "windash", "lte")]
    [InlineData("f|lt|gt", "5", "lt", "gt")]
    [InlineData("f|hour|contains", "3", "contains", "hour")]
    [InlineData("f|day|startswith", "3", "startswith", "day")]
    [InlineData("f|minute|base64", "3", "base64", "minute")]
    [InlineData("f|hour|day", "3", "hour", "day")]
    [InlineData("f|exists|cased", "true", "cased", "exists")]
    [InlineData("f|exists|neq", "true", "neq", "exists")]
    [InlineData("f|fieldref|re", "g", "re", "fieldref")]
    [InlineData("f|fieldref|windash", "g", "windash", "fieldref")]
    [InlineData("f|i", "abc", "i", "re")]
    [InlineData("f|contains|m", "abc", "m", "re")]
    [InlineData("f|s", "abc", "s", "re")]
    [InlineData("f|re|i|cased", "'abc'", "cased", "i")]
    [InlineData("f|re|windash", "'abc'", "windash", "re")]
    public void AModifierTheCompilerWouldDrop_IsACompileError_NamingTheModifiers(string key, string value, string one, string other)
    {
        var set = CompileSelection(key, value);

        Assert.Empty(set.Rules);
        var error = Assert.Single(set.Diagnostics);
        Assert.Equal(DiagnosticSeverity.Error, error.Severity);
        Assert.Contains($"'{one}'", error.Message, StringComparison.Ordinal);
        Assert.Contains($"'{other}'", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void APosixClassInARegularExpression_IsAnError_NotASetOfLetters()
    {
        var set = CompileSelection("f|re", "'^[[:digit:]]+$'");

        Assert.Empty(set.Rules);
        Assert.Contains("POSIX character class", Assert.Single(set.Diagnostics).Message, StringComparison.Ordinal);
    }

    [Theory]
    // Combinations the specification defines and the engine honours: they must keep compiling.
    [InlineData("f|re|i", "'^get'")]
    [InlineData("f|re|m|s", "'^a.b$'")]
    [InlineData("f|re|cased", "'^Get'")]
    [InlineData("f|re|neq", "'^Get'")]
    [InlineData("f|re|all", "['^a', 'b$']")]
    [InlineData("f|cidr|neq", "10.0.0.0/8")]
    [InlineData("f|cidr|all", "['10.0.0.0/8', '10.1.0.0/16']")]
    [InlineData("f|lt|neq", "5")]
    [InlineData("f|gte|all", "[1, 3]")]
    [InlineData("f|hour|gte", "22")]
    [InlineData("f|hour|neq", "3")]
    [InlineData("f|fieldref|contains|cased", "g")]
    [InlineData("f|fieldref|neq", "g")]
    [InlineData("f|windash|contains|all", "['-a', '-b']")]
    [InlineData("f|wide|base64offset|contains", "cmd")]
    [InlineData("f|utf16le|base64", "cmd")]
    [InlineData("f|base64|utf16le", "cmd")]
    [InlineData("f|contains|all|cased", "['a', 'b']")]
    [InlineData("f|startswith|cased|neq", "a")]
    [InlineData("f|exists", "true")]
    [InlineData("'|re|i'", "'^get'")]
    [InlineData("'|contains|re'", "'abc'")]
    [InlineData("f|re|startswith", "'a.c'")]
    [InlineData("f|re|endswith|i", "'a.c'")]
    [InlineData("f|re|ignorecase|multiline|dotall", "'^a.c$'")]
    public void ACombinationTheEngineHonours_StillCompiles(string key, string value)
    {
        var set = CompileSelection(key, value);

        Assert.DoesNotContain(set.Diagnostics, d => d.Severity == DiagnosticSeverity.Error);
        Assert.Single(set.Rules);
    }

    private const string OneRule = """
        title: access key created
        id: 6a1e0c2d-0000-4000-8000-000000000002
        logsource: {product: aws, service: cloudtrail}
        detection:
          sel: {eventName: CreateAccessKey}
          condition: sel
        """;

    [Theory]
    [InlineData(OneRule + "\n---\n")]
    [InlineData(OneRule + "\n---\n\n")]
    [InlineData(OneRule + "\n---\n# nothing more\n")]
    [InlineData(OneRule + "\n---\n---\n" + OneRule + "\n...\n")]
    [InlineData("---\n" + OneRule + "\n---\n")]
    public void AnEmptyYamlDocument_IsNothing_NotAnError(string yaml)
    {
        var parsed = SigmaParser.Parse(yaml, "r.yml");

        Assert.Empty(parsed.Diagnostics);
        Assert.NotEmpty(parsed.Documents);
        Assert.All(parsed.Documents, d => Assert.Equal("access key created", d.Title));
    }

    [Theory]
    [InlineData(OneRule + "\n--- just text\n")]
    [InlineData(OneRule + "\n--- ~\n")]
    [InlineData(OneRule + "\n--- ''\n")]
    public void ADocumentThatHoldsSomethingOtherThanAMapping_IsStillAnError(string yaml)
    {
        var parsed = SigmaParser.Parse(yaml, "r.yml");

        Assert.Single(parsed.Documents);
        Assert.Equal(DiagnosticSeverity.Error, Assert.Single(parsed.Diagnostics).Severity);
    }

    private static CompiledRuleSet CompileRuleAndFilter(string ruleLogSource, string filterLogSource, string rules)
    {
        var yaml = $$"""
            title: access key created
            id: 6a1e0c2d-0000-4000-8000-000000000003
            logsource: {{ruleLogSource}}
            detection:
              sel: {eventName: CreateAccessKey}
              condition: sel
            ---
            title: the rotation bot is expected
            logsource: {{filterLogSource}}
            filter:
              rules: {{rules}}
              bot:
                userIdentity.userName: key-rotation-bot
              condition: not bot
            """;
        var parsed = SigmaParser.Parse(yaml, "f.yml");
        Assert.Empty(parsed.Diagnostics);
        var set = CompiledRuleSet.Compile(parsed.Documents);
        Assert.Empty(set.Diagnostics);
        return set;
    }

    private static readonly CloudEvent BotCreatesAKey =
        TestEvents.Aws("""{"eventName":"CreateAccessKey","userIdentity":{"userName":"key-rotation-bot"}}""");

    [Theory]
    // pySigma applies a filter only to a rule whose log source is within the filter's (rule.logsource in
    // filter.logsource): every field the filter's log source sets, the rule's sets to the same value. The engine ANDed a
    // filter into every rule whose log source merely overlapped its own.
    [InlineData("{product: aws}", "{product: aws, service: cloudtrail}", "any")]
    [InlineData("{product: aws}", "{product: aws, service: cloudtrail}", "[6a1e0c2d-0000-4000-8000-000000000003]")]
    [InlineData("{product: aws, service: cloudtrail}", "{product: aws, service: cloudtrail, category: iam}", "any")]
    [InlineData("{product: aws}", "{product: aws, category: iam}", "[6a1e0c2d-0000-4000-8000-000000000003]")]
    public void AFilterIsNotApplied_ToARuleWhoseLogSourceIsWiderThanItsOwn(string ruleLogSource, string filterLogSource, string rules)
    {
        var set = CompileRuleAndFilter(ruleLogSource, filterLogSource, rules);

        Assert.Single(set.Match(BotCreatesAKey));
    }

    [Theory]
    [InlineData("{product: aws, service: cloudtrail}", "{product: aws}", "any")]
    [InlineData("{product: aws, service: cloudtrail}", "{product: aws, service: cloudtrail}", "any")]
    [InlineData("{product: aws, service: cloudtrail}", "{product: AWS, service: CloudTrail}", "[6a1e0c2d-0000-4000-8000-000000000003]")]
    [InlineData("{product: aws, service: cloudtrail}", "{product: aws}", "[6a1e0c2d-0000-4000-8000-000000000003]")]
    public void AFilterIsApplied_ToARuleWhoseLogSourceIsWithinItsOwn(string ruleLogSource, string filterLogSource, string rules)
    {
        var set = CompileRuleAndFilter(ruleLogSource, filterLogSource, rules);

        Assert.Empty(set.Match(BotCreatesAKey));
        Assert.Single(set.Match(TestEvents.Aws("""{"eventName":"CreateAccessKey","userIdentity":{"userName":"mallory"}}""")));
    }

    private static readonly DateTimeOffset T0 = new(2026, 5, 1, 12, 0, 0, TimeSpan.Zero);

    private const string CorrelatedRules = """
        title: secret read
        name: secret_read
        logsource: {product: aws, service: cloudtrail}
        detection:
          sel: {eventName: GetSecretValue}
          condition: sel
        ---
        title: key created
        name: key_created
        logsource: {product: aws, service: cloudtrail}
        detection:
          sel: {eventName: CreateAccessKey}
          condition: sel
        ---

        """;

    private static List<CorrelationHit> Correlate(string correlation, params (int Seconds, string EventName, string? Arn, string UserName, string Secret)[] events)
    {
        var parsed = SigmaParser.Parse(CorrelatedRules + correlation, "c.yml");
        Assert.Empty(parsed.Diagnostics);
        var set = CompiledRuleSet.Compile(parsed.Documents);
        Assert.Empty(set.Diagnostics);
        var engine = new CorrelationEngine(set);
        var hits = new List<CorrelationHit>();
        foreach (var (seconds, eventName, arn, userName, secret) in events)
        {
            var e = TestEvents.Aws(JsonSerializer.Serialize(new
            {
                eventName,
                userIdentity = arn is null ? (object)new { userName } : new { arn, userName },
                requestParameters = new { secretId = secret },
            }), T0.AddSeconds(seconds));
            foreach (var rule in set.Match(e))
            {
                engine.Observe(e, rule, hits);
            }
        }

        engine.Flush(hits);
        return hits;
    }

    private const string ManyReads = """
        title: many reads by one principal
        correlation:
          type: event_count
          rules: [secret_read]
          group-by: [userIdentity.arn]
          timespan: 10m
          condition: {gte: 3}
        """;

    private const string ManySecrets = """
        title: many secrets read by one principal
        correlation:
          type: value_count
          rules: [secret_read]
          group-by: [userIdentity.arn]
          timespan: 10m
          condition: {field: requestParameters.secretId, gte: 3}
        """;

    private const string ReadThenKey = """
        title: a secret read, then a key created, by one principal
        correlation:
          type: temporal
          rules: [secret_read, key_created]
          group-by: [userIdentity.arn]
          timespan: 10m
        """;

    // Splunk's `stats ... by` (which pySigma's Splunk back end writes a correlation as) drops events whose by-field is
    // null; counted together under "absent", three different principals without an ARN made one burst.
    [Fact]
    public void EventCount_DoesNotCountEventsWithoutAGroupByField()
    {
        Assert.Empty(Correlate(ManyReads, (0, "GetSecretValue", null, "alice", "a"), (10, "GetSecretValue", null, "bob", "b"), (20, "GetSecretValue", null, "carol", "c")));
        Assert.Empty(Correlate(ManyReads, (0, "GetSecretValue", "arn:aws:iam::1:user/alice", "alice", "a"), (10, "GetSecretValue", null, "alice", "b"), (20, "GetSecretValue", "arn:aws:iam::1:user/alice", "alice", "c")));
        Assert.Single(Correlate(ManyReads, (0, "GetSecretValue", "arn:aws:iam::1:user/alice", "alice", "a"), (10, "GetSecretValue", "arn:aws:iam::1:user/alice", "alice", "b"), (20, "GetSecretValue", "arn:aws:iam::1:user/alice", "alice", "c")));
    }

    [Fact]
    public void ValueCount_DoesNotCountEventsWithoutAGroupByField()
    {
        Assert.Empty(Correlate(ManySecrets, (0, "GetSecretValue", null, "alice", "a"), (10, "GetSecretValue", null, "bob", "b"), (20, "GetSecretValue", null, "carol", "c")));
        Assert.Single(Correlate(ManySecrets, (0, "GetSecretValue", "arn:aws:iam::1:user/alice", "alice", "a"), (10, "GetSecretValue", "arn:aws:iam::1:user/alice", "alice", "b"), (20, "GetSecretValue", "arn:aws:iam::1:user/alice", "alice", "c")));
    }

    [Fact]
    public void Temporal_DoesNotJoinEventsWithoutAGroupByField()
    {
        Assert.Empty(Correlate(ReadThenKey, (0, "GetSecretValue", null, "alice", "a"), (60, "CreateAccessKey", null, "bob", "x")));
        Assert.Single(Correlate(ReadThenKey, (0, "GetSecretValue", "arn:aws:iam::1:user/alice", "alice", "a"), (60, "CreateAccessKey", "arn:aws:iam::1:user/alice", "alice", "x")));
    }
}
