using Firebreak.Detection.Events;
using Firebreak.Detection.Sigma;

namespace Firebreak.Detection.Tests.Sigma;

public class IndexAndFilterTests
{
    private static CompiledRuleSet Compile(string yaml)
    {
        var parsed = SigmaParser.Parse(yaml, "t.yml");
        Assert.Empty(parsed.Diagnostics);
        var set = CompiledRuleSet.Compile(parsed.Documents);
        Assert.Empty(set.Diagnostics);
        return set;
    }

    [Fact]
    public void OperationConstraints_IndexRules_NegationsStayUnindexed()
    {
        var set = Compile("""
            title: indexed
            logsource: {product: aws, service: cloudtrail}
            detection:
              sel: {eventName: [StopLogging, DeleteTrail]}
              condition: sel
            ---
            title: or of two names
            logsource: {product: aws, service: cloudtrail}
            detection:
              a: {eventName: CreateUser}
              b: {eventName: CreateAccessKey, eventSource: iam.amazonaws.com}
              condition: a or b
            ---
            title: wildcard
            logsource: {product: aws, service: cloudtrail}
            detection:
              sel: {eventName|startswith: Delete}
              condition: sel
            ---
            title: negated
            logsource: {product: aws, service: cloudtrail}
            detection:
              sel: {eventName: GetObject}
              condition: not sel
            """);
        Assert.Equal([true, true, true, false], set.Rules.Select(r => r.IsIndexed));
        var source = new LogSource("aws", "cloudtrail");
        Assert.Equal(3, set.CandidateCount(source, "deletetrail"));
        Assert.Equal(2, set.CandidateCount(source, "CreateAccessKey"));
        Assert.Equal(1, set.CandidateCount(source, "ListBuckets"));
        Assert.Equal(["indexed", "negated", "wildcard"], set.Match(TestEvents.Aws("""{"eventName":"DeleteTrail"}""")).Select(r => r.Rule.Title).Order());
        Assert.Equal(["negated"], set.Match(TestEvents.Aws("""{"eventName":"ListBuckets"}""")).Select(r => r.Rule.Title));
    }

    [Fact]
    public void Filter_SuppressesMatchesOfTheRulesItNames()
    {
        var set = Compile("""
            title: access key created
            id: 8d9e1c52-7f3a-4a8e-b1f2-5c6d7e8f9a01
            logsource: {product: aws, service: cloudtrail}
            detection:
              sel: {eventName: CreateAccessKey}
              condition: sel
            ---
            title: other rule
            id: 8d9e1c52-7f3a-4a8e-b1f2-5c6d7e8f9a02
            logsource: {product: aws, service: cloudtrail}
            detection:
              sel: {eventName: CreateAccessKey}
              condition: sel
            ---
            title: automation user creates keys
            logsource: {product: aws, service: cloudtrail}
            filter:
              rules:
                - 8d9e1c52-7f3a-4a8e-b1f2-5c6d7e8f9a01
              selection:
                userIdentity.userName: key-rotation-bot
              condition: not selection
            """);
        var bot = TestEvents.Aws("""{"eventName":"CreateAccessKey","userIdentity":{"userName":"key-rotation-bot"}}""");
        var human = TestEvents.Aws("""{"eventName":"CreateAccessKey","userIdentity":{"userName":"mallory"}}""");
        Assert.Equal(["other rule"], set.Match(bot).Select(r => r.Rule.Title));
        Assert.Equal(2, set.Match(human).Count);
    }

    [Fact]
    public void CompileWarningsAndErrors_NameTheirItemsLine_InRulesAndFilters()
    {
        var parsed = SigmaParser.Parse("""
            title: agent
            id: 8d9e1c52-7f3a-4a8e-b1f2-5c6d7e8f9a03
            logsource: {product: aws, service: cloudtrail}
            detection:
              sel:
                eventName: GetObject
                userAgent|re: '(a)\1'
              condition: sel
            ---
            title: office
            logsource: {product: aws, service: cloudtrail}
            filter:
              rules: [8d9e1c52-7f3a-4a8e-b1f2-5c6d7e8f9a03]
              selection:
                sourceIPAddress|expand: '%vpn_ips%'
              condition: not selection
            ---
            title: from the office
            logsource: {product: aws, service: cloudtrail}
            detection:
              sel:
                sourceIPAddress|expand: '%office_ips%'
              condition: sel
            """, "w.yml");
        Assert.Empty(parsed.Diagnostics);

        var set = CompiledRuleSet.Compile(parsed.Documents);
        var diagnostics = set.Diagnostics;

        Assert.Equal(7, Assert.Single(diagnostics, w => w.Severity == DiagnosticSeverity.Warning && w.Message.Contains("backtracking", StringComparison.Ordinal)).Line);
        // A placeholder without configured values rejects its document, as the specification asks.
        Assert.Equal(15, Assert.Single(diagnostics, w => w.Severity == DiagnosticSeverity.Error && w.Message.Contains("%vpn_ips%", StringComparison.Ordinal)).Line);
        Assert.Equal(22, Assert.Single(diagnostics, w => w.Severity == DiagnosticSeverity.Error && w.Message.Contains("%office_ips%", StringComparison.Ordinal)).Line);
        Assert.All(diagnostics, w => Assert.Equal("w.yml", w.File));
        Assert.DoesNotContain(set.Rules, r => r.Rule.Title == "from the office");
        // A rejected filter leaves its rule unfiltered: more hits, never fewer.
        Assert.Equal(["agent"], set.Rules.Select(r => r.Rule.Title));
    }

    [Fact]
    public void ASecondRuleWithTheSameName_IsAWarningAtItsName_AndBothRun()
    {
        // A correlation naming the name binds to the first; that was said only by `rules lint`, never by a hunt.
        var first = SigmaParser.Parse("""
            title: stop
            name: trail_off
            logsource: {product: aws, service: cloudtrail}
            detection: {sel: {eventName: StopLogging}, condition: sel}
            """, "a.yml").Documents;
        var second = SigmaParser.Parse("""
            title: delete
            id: 2222aaaa-0000-4000-8000-000000000002
            name: Trail_Off
            logsource: {product: aws, service: cloudtrail}
            detection: {sel: {eventName: DeleteTrail}, condition: sel}
            """, "b.yml").Documents;

        var set = CompiledRuleSet.Compile([.. first, .. second]);

        Assert.Equal(["stop", "delete"], set.Rules.Select(r => r.Rule.Title));
        var warning = Assert.Single(set.Diagnostics);
        Assert.Equal((DiagnosticSeverity.Warning, "b.yml", 3, CompiledRuleSet.DuplicateNameCode), (warning.Severity, warning.File, warning.Line, warning.Code));
        Assert.Contains("name Trail_Off is already used by 'stop' (a.yml:2)", warning.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ACopyOfARule_IsOneErrorForItsId_NotAlsoAWarningForItsName()
    {
        const string Rule = """
            title: stop
            id: 2222aaaa-0000-4000-8000-000000000004
            name: trail_off
            logsource: {product: aws, service: cloudtrail}
            detection: {sel: {eventName: StopLogging}, condition: sel}
            """;

        var set = CompiledRuleSet.Compile([.. SigmaParser.Parse(Rule, "a.yml").Documents, .. SigmaParser.Parse(Rule, "copy.yml").Documents]);

        var error = Assert.Single(set.Diagnostics);
        Assert.Equal((CompiledRuleSet.DuplicateIdCode, "copy.yml"), (error.Code, error.File));
        Assert.Single(set.Rules);
    }

    [Fact]
    public void AFilterNamingARuleThatIsNotThere_IsAWarning()
    {
        // A typo in a filter's rules: filtered nothing, and the false positives it was written for came back silently.
        var documents = SigmaParser.Parse("""
            title: stop
            id: 2222aaaa-0000-4000-8000-000000000003
            name: trail_off
            logsource: {product: aws, service: cloudtrail}
            detection: {sel: {eventName: StopLogging}, condition: sel}
            ---
            title: not the lab account
            logsource: {product: aws, service: cloudtrail}
            filter:
              rules: [trail_of, 2222aaaa-0000-4000-8000-000000000003]
              selection: {recipientAccountId: '111122223333'}
              condition: not selection
            ---
            title: every rule
            logsource: {product: aws, service: cloudtrail}
            filter:
              rules: any
              selection: {recipientAccountId: '444455556666'}
              condition: not selection
            """, "f.yml").Documents;

        var set = CompiledRuleSet.Compile(documents);

        var warning = Assert.Single(set.Diagnostics);
        Assert.Equal((DiagnosticSeverity.Warning, "f.yml", 9), (warning.Severity, warning.File, warning.Line));
        Assert.EndsWith("filters nothing for: trail_of", warning.Message, StringComparison.Ordinal);
        Assert.Single(set.Rules);
    }

    [Fact]
    public void ASecondRuleWithTheSameId_IsAnError_AndNotLoaded()
    {
        // The same file given twice, or a copy of the pack beside the pack, would report every hit twice.
        const string Rule = """
            title: stop
            id: 2222aaaa-0000-4000-8000-000000000001
            logsource: {product: aws, service: cloudtrail}
            detection:
              sel: {eventName: StopLogging}
              condition: sel
            """;
        var first = SigmaParser.Parse(Rule, "a.yml").Documents;
        var second = SigmaParser.Parse(Rule.Replace("title: stop", "title: delete").Replace("StopLogging", "DeleteTrail"), "b.yml").Documents;

        var set = CompiledRuleSet.Compile([.. first, .. second]);

        Assert.Equal(["stop"], set.Rules.Select(r => r.Rule.Title));
        var error = Assert.Single(set.Diagnostics);
        // At the id's line, as the linter says it.
        Assert.Equal((DiagnosticSeverity.Error, "b.yml", 2), (error.Severity, error.File, error.Line));
        Assert.Contains("already used by 'stop' (a.yml:2)", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void CompiledRuleSet_IsSafeToShareAcrossThreads()
    {
        var set = Compile("""
            title: stop
            logsource: {product: aws, service: cloudtrail}
            detection:
              sel: {eventName: StopLogging, userIdentity.type|neq: AWSService}
              condition: sel
            """);
        var events = Enumerable.Range(0, 20_000).Select(i => TestEvents.Aws(i % 10 == 0
            ? """{"eventName":"StopLogging","userIdentity":{"type":"IAMUser"}}"""
            : """{"eventName":"ListBuckets"}""")).ToArray();
        var hits = 0;
        Parallel.ForEach(events, () => new List<CompiledRule>(), (e, _, local) => { set.Match(e, local); return local; },
            local => Interlocked.Add(ref hits, local.Count));
        Assert.Equal(2_000, hits);
    }
}

public class IndexEquivalenceTests
{
    [Theory]
    [InlineData("sel and 1 of op_*", """{"eventName":"PutBucketPolicy","x":1}""", true)]
    [InlineData("sel and 1 of op_*", """{"eventName":"GetBucketPolicyStatus","x":1}""", true)]
    [InlineData("sel and 1 of op_*", """{"eventName":"ListBuckets","x":1}""", false)]
    [InlineData("sel and all of op_*", """{"eventName":"GetBucketPolicy","x":1}""", true)]
    [InlineData("sel and all of op_*", """{"eventName":"PutBucketPolicy","x":1}""", false)]
    public void Quantifiers_OverOperationSelections_NarrowAndStillMatch(string condition, string json, bool expected)
    {
        var set = SigmaTestRules.Detection($"    sel:\n        x: 1\n    op_a:\n        eventName|endswith: BucketPolicy\n    op_b:\n        eventName|contains: Get\n    condition: {condition}");
        Assert.True(set.Rules.Single().IsIndexed);
        Assert.Equal(expected, set.MatchesJson(json));
    }

    [Fact]
    public void OrWithAnUnconstrainedBranch_IsNotIndexed()
    {
        var set = SigmaTestRules.Detection("    op:\n        eventName: StopLogging\n    other:\n        userIdentity.type: Root\n    condition: op or other");
        Assert.False(set.Rules.Single().IsIndexed);
        Assert.True(set.MatchesJson("""{"eventName":"ListBuckets","userIdentity":{"type":"Root"}}"""));
    }

    [Fact]
    public void CasedOperationFilter_RespectsCase()
    {
        var set = SigmaTestRules.Detection("    op:\n        eventName|cased: StopLogging\n    condition: op");
        Assert.True(set.Rules.Single().IsIndexed);
        Assert.True(set.MatchesJson("""{"eventName":"StopLogging"}"""));
        Assert.False(set.MatchesJson("""{"eventName":"stoplogging"}"""));
    }

    [Fact]
    public void IndexedMatching_AgreesWithEvaluatingEveryRule()
    {
        var documents = Firebreak.Detection.Rules.BuiltInRules.Load().Documents;
        var set = CompiledRuleSet.Compile(documents);
        var events = documents.OfType<SigmaRule>()
            .SelectMany(r => r.Tests.SelectMany(t => t.Events).Select(raw => TestEvents.Create(raw.GetRawText(), r.LogSource.Product!, r.LogSource.Service!)))
            .ToList();
        Assert.True(events.Count > 100);
        foreach (var e in events)
        {
            var indexed = set.Match(e).Select(r => r.Ordinal).Order();
            var brute = set.Rules.Where(r => r.Matches(e)).Select(r => r.Ordinal).Order();
            Assert.Equal(brute, indexed);
        }
    }
}
