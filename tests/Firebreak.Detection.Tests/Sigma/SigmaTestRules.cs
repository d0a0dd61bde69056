using System.Text;
using Firebreak.Detection.Events;
using Firebreak.Detection.Hunting;
using Firebreak.Detection.Readers;
using Firebreak.Detection.Sigma;

namespace Firebreak.Detection.Tests.Sigma;

internal static class SigmaTestRules
{
    /// <summary>Compiles one rule whose detection section is given (indented by four spaces) for aws/cloudtrail.</summary>
    public static CompiledRuleSet Detection(string detection, SigmaCompileOptions? options = null, string logsource = "product: aws\n    service: cloudtrail")
    {
        var yaml = $"title: Test rule\nid: 5d0c5c0e-0000-4000-8000-000000000001\nlogsource:\n    {logsource}\ndetection:\n{detection}";
        var parsed = SigmaParser.Parse(yaml, "test.yml");
        Assert.Empty(parsed.Diagnostics);
        var set = CompiledRuleSet.Compile(parsed.Documents, options);
        Assert.Empty(set.Diagnostics);
        return set;
    }

    public static bool Matches(this CompiledRuleSet set, CloudEvent e) => set.Match(e).Count > 0;

    public static bool MatchesJson(this CompiledRuleSet set, string json) => set.Matches(TestEvents.Aws(json));

    /// <summary>SigmaHQ's cloud rules from shared/, compiled once for the tests that match whole records against them.</summary>
    public static readonly Lazy<CompiledRuleSet> SigmaHq = new(() =>
        CompiledRuleSet.Compile(SigmaRuleLoader.LoadDirectory(Path.Combine(SharedData.Require("sigma-cloud"), "rules", "cloud")).Documents));

    /// <summary>
    /// The rules matching the one record in <paramref name="json"/>, read as a hunt reads it: through the reader, with the
    /// rules' raw pre-filter, so a record the pre-filter drops is no match either.
    /// </summary>
    public static async Task<IReadOnlyList<CompiledRule>> MatchRecordAsync(this CompiledRuleSet rules, string json, string name = "record.json")
    {
        var reader = new CloudLogReader(new ReaderOptions { RawFilter = RuleRawFilter.Create(rules) });
        var events = await reader.ReadAllAsync(new MemoryStream(Encoding.UTF8.GetBytes(json)), name);
        Assert.Empty(reader.Summary.Problems);
        return rules.Match(Assert.Single(events));
    }
}
