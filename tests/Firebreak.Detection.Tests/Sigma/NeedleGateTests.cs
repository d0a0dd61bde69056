using System.Text;
using Firebreak.Detection.Events;
using Firebreak.Detection.Hunting;
using Firebreak.Detection.Readers;
using Firebreak.Detection.Rules;
using Firebreak.Detection.Sigma;
using Firebreak.Detection.Simulation;

namespace Firebreak.Detection.Tests.Sigma;

/// <summary>
/// A rule is not evaluated on an event whose raw record has none of the rule's needles beyond the
/// operation name. These tests pin down which needles gate a rule and prove that gating never changes
/// what matches.
/// </summary>
public sealed class NeedleGateTests : IDisposable
{
    private readonly DirectoryInfo _root = Directory.CreateTempSubdirectory("firebreak-gates-");

    public void Dispose() => _root.Delete(recursive: true);

    private static CancellationToken Token => TestContext.Current.CancellationToken;

    private static readonly SigmaCompileOptions Ungated = new() { NeedleGates = false };

    [Fact]
    public void TheGate_IsWhatEveryMatchContains_BesidesItsOperationName()
    {
        var rule = SigmaTestRules.Detection("    sel:\n        eventName: CreateUser\n        requestParameters.userName|contains: [backdoor, shadow-admin]\n    condition: sel").Rules.Single();
        Assert.True(rule.IsIndexed);
        Assert.NotNull(rule.Gate);
        Assert.True("{\"userName\":\"x-BACKDOOR\"}".AsSpan().ContainsAny(rule.Gate));
        Assert.True("{\"userName\":\"shadow-admin\"}".AsSpan().ContainsAny(rule.Gate));
        // The operation name is no needle of the gate: the index has already chosen the rule by it.
        Assert.False("{\"eventName\":\"CreateUser\"}".AsSpan().ContainsAny(rule.Gate));

        // Nothing beyond the operation, a negation or a regular expression promise no text: no gate.
        Assert.Null(SigmaTestRules.Detection("    sel:\n        eventName: StopLogging\n    condition: sel").Rules.Single().Gate);
        Assert.Null(SigmaTestRules.Detection("    sel:\n        eventName: StopLogging\n    other:\n        userIdentity.type: Root\n    condition: sel and not other").Rules.Single().Gate);
        Assert.Null(SigmaTestRules.Detection("    sel:\n        userAgent|re: '^x'\n    condition: sel").Rules.Single().Gate);
        Assert.Null(SigmaTestRules.Detection("    sel:\n        userIdentity.type: Root\n    condition: sel", Ungated).Rules.Single().Gate);
    }

    [Theory]
    // A number matches by value however the record writes it. Its digits were a needle whatever its size, so Java's
    // 1.2345678E7 was passed over by the gate and the pre-filter while the rule itself matched it.
    [InlineData("12345678", "12345678")]
    [InlineData("12345678", "12345678.0")]
    [InlineData("12345678", "1.2345678E7")]
    [InlineData("12345678", "1.2345678e+7")]
    [InlineData("2.5", "25e-1")]
    // Under ten million every writer prints a whole number's digits, which stay its needle.
    [InlineData("50053", "50053")]
    [InlineData("50053", "50053.0")]
    public void ANumber_MatchesAsWritersWriteIt_ThroughTheGateAndThePreFilter(string number, string written)
    {
        var detection = $"    sel:\n        requestParameters.maxItems: {number}\n    condition: sel";
        var record = $$$"""{"eventVersion":"1.08","eventTime":"2026-01-15T08:00:00Z","eventSource":"iam.amazonaws.com","eventName":"ListUsers","requestParameters":{"maxItems":{{{written}}}}}""";
        var gated = SigmaTestRules.Detection(detection);
        Assert.True(SigmaTestRules.Detection(detection, Ungated).MatchesJson(record));
        Assert.True(gated.MatchesJson(record));
        Assert.True(RuleRawFilter.Create(gated)!(Encoding.UTF8.GetBytes(record)));
        Assert.False(gated.MatchesJson(record.Replace(written, "12346", StringComparison.Ordinal)));
        Assert.Equal(number == "50053", gated.Rules.Single().Gate is not null);
    }

    [Theory]
    // The needle in another case still lets the rule be evaluated.
    [InlineData("""{"eventName":"CreateUser","requestParameters":{"userName":"BackDoor-1"}}""", true)]
    // Escaped letters are not in the raw text; such a record is evaluated without gates.
    [InlineData("""{"eventName":"CreateUser","requestParameters":{"userName":"back\u0064oor"}}""", true)]
    [InlineData("""{"eventName":"CreateUser","requestParameters":{"userName":"alice"}}""", false)]
    public void GatedAndUngatedRules_MatchTheSameRecords(string json, bool expected)
    {
        const string Detection = "    sel:\n        eventName: CreateUser\n        requestParameters.userName|contains: backdoor\n    condition: sel";
        Assert.Equal(expected, SigmaTestRules.Detection(Detection).MatchesJson(json));
        Assert.Equal(expected, SigmaTestRules.Detection(Detection, Ungated).MatchesJson(json));
    }

    [Theory]
    [InlineData("requestParameters.userName|re|i: 'backdoor'")]
    [InlineData("requestParameters.userName|re: '(?i)backdoor'")]
    public void ARegexIgnoringCase_TakesTheKelvinSignForK_SoItsNeedlesAvoidK(string selection)
    {
        var detection = $"    sel:\n        {selection}\n    condition: sel";
        // Written as UTF-8, not escaped: "bac" U+212A "door".
        var record = "{\"eventVersion\":\"1.08\",\"eventTime\":\"2026-01-15T08:00:00Z\",\"eventSource\":\"iam.amazonaws.com\",\"eventName\":\"CreateUser\",\"requestParameters\":{\"userName\":\"bac\u212Adoor\"}}";
        var gated = SigmaTestRules.Detection(detection);

        Assert.True(SigmaTestRules.Detection(detection, Ungated).MatchesJson(record));
        Assert.True(gated.MatchesJson(record));
        Assert.True(Firebreak.Detection.Hunting.RuleRawFilter.Create(gated)!(System.Text.Encoding.UTF8.GetBytes(record)));
        Assert.Equal("door", Assert.Single(gated.Rules.Single().RequiredNeedles!).Text);
    }

    [Fact]
    public async Task GatedMatching_AgreesWithUngatedMatching_WithEveryRuleAsShipped_OnSimulatedAndPublicLogs()
    {
        var sigma = SigmaRuleLoader.LoadDirectory(Path.Combine(SharedData.Require("sigma-cloud"), "rules", "cloud")).Documents;
        SigmaDocument[] documents = [.. BuiltInRules.Load().Documents, .. sigma];
        var gated = CompiledRuleSet.Compile(documents);
        var ungated = CompiledRuleSet.Compile(documents, Ungated);
        Assert.Contains(gated.Rules, r => r.Gate is not null);
        Assert.All(ungated.Rules, r => Assert.Null(r.Gate));

        var paths = new List<string> { TestData.SharedData("cloudtrail"), TestData.SharedData("azure") };
        foreach (var scenario in AttackSimulator.Scenarios)
        {
            var dir = Path.Combine(_root.FullName, scenario);
            await AttackSimulator.RunAsync(new SimulationOptions { Scenario = scenario, OutputDirectory = dir, Events = 3000 }, Token);
            paths.Add(dir);
        }

        var reader = new CloudLogReader();
        var events = 0;
        var matches = 0;
        var gatedRuleMatches = 0;
        var gatedMatches = new List<CompiledRule>();
        var ungatedMatches = new List<CompiledRule>();
        await foreach (var e in reader.ReadPathsAsync(paths, Token))
        {
            gatedMatches.Clear();
            ungatedMatches.Clear();
            gated.Match(e, gatedMatches);
            ungated.Match(e, ungatedMatches);
            Assert.Equal(ungatedMatches.Select(r => r.Ordinal), gatedMatches.Select(r => r.Ordinal));
            events++;
            matches += gatedMatches.Count;
            gatedRuleMatches += gatedMatches.Count(r => r.Gate is not null);
        }

        Assert.True(events > 9000, $"{events} events read");
        Assert.True(gatedRuleMatches > 100, $"only {gatedRuleMatches} of {matches} matches were by rules with a gate");
    }
}
