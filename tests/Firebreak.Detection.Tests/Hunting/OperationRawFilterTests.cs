using Firebreak.Detection.Hunting;
using Firebreak.Detection.Readers;
using Firebreak.Detection.Rules;
using Firebreak.Detection.Sigma;
using Firebreak.Detection.Simulation;

namespace Firebreak.Detection.Tests.Hunting;

public sealed class OperationRawFilterTests : IDisposable
{
    private readonly DirectoryInfo _root = Directory.CreateTempSubdirectory("firebreak-rawfilter-");

    public void Dispose() => _root.Delete(recursive: true);

    private static CancellationToken Token => TestContext.Current.CancellationToken;

    private static CompiledRuleSet Compile(string yaml)
    {
        var parsed = SigmaParser.Parse(yaml, "filter.yml");
        Assert.Empty(parsed.Diagnostics);
        return CompiledRuleSet.Compile(parsed.Documents);
    }

    [Fact]
    public void Filter_PassesRecordsNamingARuleOperation_InAnyCase_AndRejectsOthers()
    {
        var filter = OperationRawFilter.Create(Compile("""
            title: trail stopped
            logsource: {product: aws, service: cloudtrail}
            detection:
              sel: {eventName: [StopLogging, DeleteTrail]}
              condition: sel
            ---
            title: azure run command
            logsource: {product: azure, service: activitylogs}
            detection:
              sel: {operationName|startswith: 'MICROSOFT.COMPUTE/VIRTUALMACHINES/RUNCOMMAND'}
              condition: sel
            """));

        Assert.NotNull(filter);
        Assert.True(filter("""{"eventName":"StopLogging"}"""u8));
        Assert.True(filter("""{"eventName":"stoplogging"}"""u8));
        Assert.True(filter("""{"operationName":"Microsoft.Compute\/virtualMachines\/runCommand\/action"}"""u8));
        Assert.False(filter("""{"eventName":"DescribeInstances","note":"é"}"""u8));
        Assert.False(filter(new byte[10_000]));
    }

    [Theory]
    [InlineData("sel: {userIdentity.type: Root}")]
    [InlineData("sel: {eventName|re: '^Stop.*'}")]
    [InlineData("sel: {eventName: 'A?'}")]
    public void NoFilter_WhenARuleCouldMatchWithoutAKnownOperationName(string search)
    {
        var rules = Compile($$"""
            title: indexed
            logsource: {product: aws, service: cloudtrail}
            detection:
              sel: {eventName: StopLogging}
              condition: sel
            ---
            title: unindexed
            logsource: {product: aws, service: cloudtrail}
            detection:
              {{search}}
              condition: sel
            """);

        Assert.Null(OperationRawFilter.Create(rules));
        Assert.Contains("unindexed", OperationRawFilter.Describe(rules).Reason);
    }

    [Fact]
    public async Task HuntWithFilter_FindsTheSameHits_OnSimulatedLogs()
    {
        var dir = Path.Combine(_root.FullName, "sim");
        await AttackSimulator.RunAsync(new SimulationOptions { Scenario = "leaked-access-key", OutputDirectory = dir, Events = 6000 }, Token);
        await AssertSameHitsAsync(FilterableRules(BuiltInRules.Load().Documents), dir);
    }

    [Fact]
    public async Task HuntWithFilter_FindsTheSameHits_OnPublicLogs_WithSigmaHqRules()
    {
        var sigma = SigmaRuleLoader.LoadDirectory(Path.Combine(SharedData.Require("sigma-cloud"), "rules", "cloud")).Documents;
        var rules = FilterableRules([.. BuiltInRules.Load().Documents, .. sigma]);
        await AssertSameHitsAsync(rules, TestData.SharedData("cloudtrail"), TestData.SharedData("azure"));
    }

    /// <summary>Packs as shipped include rules that defeat the filter; the rules that allow one are what is compared.</summary>
    private static CompiledRuleSet FilterableRules(IEnumerable<SigmaDocument> documents)
    {
        var kept = documents.OfType<SigmaRule>()
            .Where(rule => CompiledRuleSet.Compile([rule]) is { Rules.Count: 1 } single && OperationRawFilter.Describe(single).Needles is not null)
            .ToList();
        Assert.True(kept.Count > 10, $"only {kept.Count} rules allow a raw filter");
        return CompiledRuleSet.Compile(kept);
    }

    private static async Task AssertSameHitsAsync(CompiledRuleSet rules, params string[] paths)
    {
        var filter = OperationRawFilter.Create(rules);
        Assert.NotNull(filter);
        var (plain, _) = await HuntAsync(rules, null, paths);
        var (filtered, summary) = await HuntAsync(rules, filter, paths);

        Assert.NotEmpty(plain);
        Assert.True(summary.Filtered > 0, "the filter skipped nothing: " + string.Join(",", OperationRawFilter.Describe(rules).Needles!.OrderBy(n => n.Length).Take(15)));
        Assert.Equal(plain, filtered);
    }

    private static async Task<(List<string> Hits, ReadSummary Summary)> HuntAsync(CompiledRuleSet rules, RawRecordFilter? filter, string[] paths)
    {
        var reader = new CloudLogReader(new ReaderOptions { RawFilter = filter, MaxDegreeOfParallelism = 2 });
        var hunt = new Hunt(rules, new HuntOptions { Workers = 2 });
        var hits = new List<string>();
        await foreach (var hit in hunt.RunAsync(reader.ReadPathsAsync(paths, Token), Token))
        {
            hits.Add($"{hit.RuleKey} {hit.Event?.EventId} {hit.Event?.Origin}");
        }

        hits.Sort(StringComparer.Ordinal);
        return (hits, reader.Summary);
    }
}
