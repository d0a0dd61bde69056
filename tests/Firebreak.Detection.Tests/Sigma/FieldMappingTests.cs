using Firebreak.Detection.Events;
using Firebreak.Detection.Sigma;

namespace Firebreak.Detection.Tests.Sigma;

public class FieldMappingTests
{
    [Theory]
    [InlineData("""{"properties":{"status":{"errorCode":50126}}}""")]
    [InlineData("""{"status":{"errorCode":50126}}""")]
    [InlineData("""{"ResultType":"50126"}""")]
    [InlineData("""{"resultType":"50126"}""")]
    public void SignInResultType_IsFoundInGraphDiagnosticAndTableShapes(string json)
    {
        var set = SigmaTestRules.Detection("    sel:\n        ResultType: 50126\n    condition: sel", logsource: "product: azure\n    service: signinlogs");
        Assert.True(set.Rules.Single().IsIndexed);
        Assert.True(set.Matches(TestEvents.Create(json, "azure", "signinlogs")));
        Assert.False(set.Matches(TestEvents.Create(json.Replace("50126", "0"), "azure", "signinlogs")));
    }

    [Theory]
    [InlineData("""{"properties":{"activityDisplayName":"Add service principal credentials"}}""", true)]
    [InlineData("""{"activityDisplayName":"Add service principal credentials"}""", true)]
    [InlineData("""{"OperationName":"Add service principal credentials"}""", true)]
    [InlineData("""{"activityDisplayName":"Update user"}""", false)]
    public void AuditActivityName_IsFoundInEveryShape(string json, bool expected)
    {
        var set = SigmaTestRules.Detection("    sel:\n        ActivityDisplayName: Add service principal credentials\n    condition: sel", logsource: "product: azure\n    service: auditlogs");
        Assert.Equal(expected, set.Matches(TestEvents.Create(json, "azure", "auditlogs")));
    }

    [Theory]
    [InlineData("gcp.audit.method_name")]
    [InlineData("protoPayload.methodName")]
    [InlineData("data.protoPayload.methodName")]
    public void GcpMethodName_AliasesReachProtoPayload(string field)
    {
        var set = SigmaTestRules.Detection($"    sel:\n        {field}: google.iam.admin.v1.CreateServiceAccountKey\n    condition: sel", logsource: "product: gcp\n    service: gcp.audit");
        Assert.True(set.Matches(TestEvents.Create("""{"protoPayload":{"methodName":"google.iam.admin.v1.CreateServiceAccountKey"}}""", "gcp", "gcp.audit")));
        Assert.True(set.Matches(TestEvents.Create("""{"data":{"protoPayload":{"methodName":"google.iam.admin.v1.CreateServiceAccountKey"}}}""", "gcp", "gcp.audit")));
        Assert.False(set.Matches(TestEvents.Create("""{"protoPayload":{"methodName":"google.iam.admin.v1.GetServiceAccount"}}""", "gcp", "gcp.audit")));
    }

    [Fact]
    public void NormalisedNames_ReadCloudEventProperties()
    {
        var set = SigmaTestRules.Detection("    sel:\n        actor.access_key_id|startswith: ASIA\n        actor.type: Root\n        outcome: success\n    condition: sel");
        var e = TestEvents.Aws("""{"eventName":"ListBuckets"}""") with
        {
            Actor = new EventActor { Type = "Root", AccessKeyId = "ASIAEXAMPLE" },
            Outcome = EventOutcome.Success,
        };
        Assert.True(set.Matches(e));
        Assert.False(set.Matches(e with { Outcome = EventOutcome.Failure }));
    }

    [Fact]
    public void Logsource_RestrictsRulesToTheirProductAndService()
    {
        var set = SigmaTestRules.Detection("    sel:\n        eventName: StopLogging\n    condition: sel");
        Assert.True(set.Matches(TestEvents.Create("""{"eventName":"StopLogging"}""", "aws", "cloudtrail")));
        Assert.False(set.Matches(TestEvents.Create("""{"eventName":"StopLogging"}""", "azure", "activitylogs")));
        Assert.False(set.Matches(TestEvents.Create("""{"eventName":"StopLogging"}""", "aws", "s3access")));
    }

    [Fact]
    public void DescribeMatch_LeavesOutFieldsOnlyUsedToExclude()
    {
        var set = SigmaTestRules.Detection("    sel:\n        eventName: CreateUser\n    filter:\n        userIdentity.type: AWSService\n    condition: sel and not filter");
        var e = TestEvents.Aws("""{"eventName":"CreateUser","userIdentity":{"type":"IAMUser"}}""");
        Assert.Equal([new MatchedField("eventName", "CreateUser")], Assert.Single(set.Match(e)).DescribeMatch(e));
    }

    [Fact]
    public void LogsourceCategory_MustMatchWhenTheRuleNamesOne()
    {
        var set = SigmaTestRules.Detection("    sel:\n        eventName: StopLogging\n    condition: sel", logsource: "product: aws\n    category: management");
        var raw = """{"eventName":"StopLogging"}""";
        Assert.True(set.Matches(TestEvents.Create(raw, "aws", "cloudtrail") with { LogSource = new("aws", "cloudtrail", "management") }));
        Assert.False(set.Matches(TestEvents.Create(raw, "aws", "cloudtrail")));
    }

    [Fact]
    public void DescribeMatch_ReportsTheRuleFieldsAndValues()
    {
        var set = SigmaTestRules.Detection("    sel:\n        eventSource: iam.amazonaws.com\n        eventName: CreateUser\n        requestParameters.userName|exists: true\n    condition: sel");
        var e = TestEvents.Aws("""{"eventSource":"iam.amazonaws.com","eventName":"CreateUser","requestParameters":{"userName":"mallory"}}""");
        var rule = Assert.Single(set.Match(e));
        Assert.Equal(
            [new MatchedField("eventSource", "iam.amazonaws.com"), new MatchedField("eventName", "CreateUser"), new MatchedField("requestParameters.userName", "mallory")],
            rule.DescribeMatch(e));
    }
}

public class LegacyShapeMappingTests
{
    [Fact]
    public void AuditPropertiesMessage_IsIndexedAndReachesTheActivityName()
    {
        var parsed = SigmaParser.Parse("""
            title: sp added
            logsource: {product: azure, service: auditlogs}
            detection:
              sel: {properties.message: Add service principal}
              condition: sel
            """, "a.yml");
        var set = CompiledRuleSet.Compile(parsed.Documents);
        Assert.True(Assert.Single(set.Rules).IsIndexed);
        Assert.True(set.Matches(TestEvents.Create("""{"properties":{"message":"Add service principal"}}""", "azure", "auditlogs")));
        Assert.True(set.Matches(TestEvents.Create("""{"activityDisplayName":"Add service principal"}""", "azure", "auditlogs")));
        Assert.False(set.Matches(TestEvents.Create("""{"activityDisplayName":"Delete service principal"}""", "azure", "auditlogs")));
    }

    [Theory]
    [InlineData("""{"riskEventType":"leakedCredentials"}""")]
    [InlineData("""{"properties":{"riskEventType":"leakedCredentials"}}""")]
    public void RiskDetections_AreFoundAtTopLevelOrUnderProperties(string json)
    {
        var set = SigmaTestRules.Detection("    sel:\n        riskEventType: leakedCredentials\n    condition: sel", logsource: "product: azure\n    service: riskdetection");
        Assert.True(set.Rules.Single().IsIndexed);
        Assert.True(set.Matches(TestEvents.Create(json, "azure", "riskdetection")));
        Assert.False(set.Matches(TestEvents.Create(json.Replace("leakedCredentials", "passwordSpray"), "azure", "riskdetection")));
    }
}
