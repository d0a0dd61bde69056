using Firebreak.Detection.Events;
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
}
