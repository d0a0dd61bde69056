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
        Assert.True(aws.Count(r => r.IsIndexed) * 10 >= aws.Count * 9, $"{aws.Count(r => r.IsIndexed)} of {aws.Count} indexed");
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

    [Fact]
    public void IndexedMatching_AgreesWithEvaluatingEveryRule()
    {
        var set = CompiledRuleSet.Compile(SigmaRuleLoader.LoadDirectory(CloudRules()).Documents);
        var events = Firebreak.Detection.Rules.BuiltInRules.Load().Documents.OfType<SigmaRule>()
            .SelectMany(r => r.Tests.SelectMany(t => t.Events).Select(raw => TestEvents.Create(raw.GetRawText(), r.LogSource.Product!, r.LogSource.Service!)))
            .ToList();
        var matched = 0;
        foreach (var e in events)
        {
            var indexed = set.Match(e).Select(r => r.Rule.Source.File).Order().ToList();
            Assert.Equal(set.Rules.Where(r => r.Matches(e)).Select(r => r.Rule.Source.File).Order(), indexed);
            matched += indexed.Count;
        }

        Assert.True(matched > 10, $"only {matched} SigmaHQ matches over the built-in test events");
    }

    [Theory]
    [InlineData("azure", "auditlogs", """{"activityDisplayName":"Add service principal","category":"ApplicationManagement"}""", "Azure Service Principal Created")]
    [InlineData("azure", "auditlogs", """{"operationName":"Add service principal","category":"AuditLogs","properties":{"activityDisplayName":"Add service principal"}}""", "Azure Service Principal Created")]
    [InlineData("gcp", "gcp.audit", """{"protoPayload":{"methodName":"iam.serviceAccounts.delete"}}""", "Google Cloud Service Account Disabled or Deleted")]
    [InlineData("gcp", "gcp.audit", """{"data":{"protoPayload":{"methodName":"iam.serviceAccounts.disable"}}}""", "Google Cloud Service Account Disabled or Deleted")]
    [InlineData("aws", "cloudtrail", """{"eventSource":"ec2.amazonaws.com","eventName":"DeleteFlowLogs"}""", "AWS VPC Flow Logs Deleted")]
    public void SigmaHqRules_MatchRecordsInTheirNativeShapes(string product, string service, string json, string title)
    {
        var set = CompiledRuleSet.Compile(SigmaRuleLoader.LoadDirectory(CloudRules()).Documents);
        Assert.Contains(set.Match(TestEvents.Create(json, product, service)), r => r.Rule.Title == title);
    }

    [Theory]
    [InlineData("""{"status":{"errorCode":50057,"failureReason":"User account is disabled. The account has been disabled by an administrator."},"userPrincipalName":"a@contoso.example"}""")]
    [InlineData("""{"resultType":"50057","resultDescription":"User account is disabled. The account has been disabled by an administrator.","properties":{"status":{"errorCode":50057}}}""")]
    [InlineData("""{"ResultType":"0","Status":"Success","AuthenticationRequirement":"singleFactorAuthentication","userAgent":"azurehound/v2"}""")]
    [InlineData("""{"status":{"errorCode":0},"authenticationRequirement":"singleFactorAuthentication","deviceDetail":{"isCompliant":false}}""")]
    public void SignInIndex_AgreesWithEvaluatingEveryRule(string json)
    {
        var set = CompiledRuleSet.Compile(SigmaRuleLoader.LoadDirectory(CloudRules()).Documents);
        var e = TestEvents.Create(json, "azure", "signinlogs");
        var indexed = set.Match(e).Select(r => r.Rule.Title).Order().ToList();
        Assert.Equal(set.Rules.Where(r => r.Matches(e)).Select(r => r.Rule.Title).Order(), indexed);
        Assert.NotEmpty(indexed);
    }
}
