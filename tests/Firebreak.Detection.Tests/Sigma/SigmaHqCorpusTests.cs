using Firebreak.Detection.Events;
using Firebreak.Detection.Sigma;

namespace Firebreak.Detection.Tests.Sigma;

public class SigmaHqCorpusTests
{
    private static string CloudRules() => Path.Combine(SharedData.Require("sigma-cloud"), "rules", "cloud");

    [Fact]
    public void EveryCloudRule_ParsesAndCompiles()
    {
        var root = CloudRules();
        var result = SigmaRuleLoader.LoadDirectory(root);
        var set = CompiledRuleSet.Compile(result.Documents);

        Assert.Empty(result.Diagnostics);
        Assert.DoesNotContain(set.Diagnostics, d => d.Severity == DiagnosticSeverity.Error);
        var files = Directory.GetFiles(root, "*.yml", SearchOption.AllDirectories).Length;
        Assert.True(files > 200, $"only {files} rule files found");
        Assert.Equal(files, set.Rules.Count);
    }

    [Fact]
    public void MostAwsRules_AreIndexedByEventName()
    {
        var set = CompiledRuleSet.Compile(SigmaRuleLoader.LoadDirectory(CloudRules()).Documents);
        var aws = set.Rules.Where(r => r.Rule.LogSource.Product == "aws").ToList();
        Assert.True(aws.Count(r => r.IsIndexed) * 10 >= aws.Count * 8, $"{aws.Count(r => r.IsIndexed)} of {aws.Count} indexed");
        var candidates = set.CandidateCount(new LogSource("aws", "cloudtrail"), "DescribeInstances");
        Assert.True(candidates < aws.Count / 4, $"{candidates} candidates for a benign call");
    }

    [Fact]
    public void CloudTrailStopLogging_IsDetectedBySigmaHqRule()
    {
        var set = CompiledRuleSet.Compile(SigmaRuleLoader.LoadDirectory(CloudRules()).Documents);
        var e = TestEvents.Aws("""{"eventSource":"cloudtrail.amazonaws.com","eventName":"StopLogging","userIdentity":{"type":"IAMUser"}}""");
        Assert.Contains(set.Match(e), r => r.Rule.Title.Contains("CloudTrail", StringComparison.OrdinalIgnoreCase));
    }

    [Fact]
    public void AzureActivityRule_MatchesEveryExportShape()
    {
        var set = CompiledRuleSet.Compile(SigmaRuleLoader.LoadDirectory(CloudRules()).Documents);
        var shapes = new[]
        {
            """{"operationName":"MICROSOFT.AUTHORIZATION/ELEVATEACCESS/ACTION","category":"Administrative"}""",
            """{"operationName":{"value":"Microsoft.Authorization/elevateAccess/action","localizedValue":"Elevate access"}}""",
            """{"OperationNameValue":"MICROSOFT.AUTHORIZATION/ELEVATEACCESS/ACTION","OperationName":"Elevate access"}""",
        };
        foreach (var json in shapes)
        {
            var e = TestEvents.Create(json, "azure", "activitylogs");
            Assert.Contains(set.Match(e), r => r.Rule.Title.Contains("Elevation", StringComparison.OrdinalIgnoreCase));
        }
    }
}
