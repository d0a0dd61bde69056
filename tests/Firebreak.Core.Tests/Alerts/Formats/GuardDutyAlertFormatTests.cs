using Firebreak.Core.Alerts;
using Firebreak.Core.Alerts.Formats;
using static Firebreak.Core.Tests.Alerts.Formats.Fixture;

namespace Firebreak.Core.Tests.Alerts.Formats;

public class GuardDutyAlertFormatTests
{
    private readonly GuardDutyAlertFormat _format = new();

    [Fact]
    public void Parse_MapsAGetFindingsResult_FieldByField()
    {
        var alerts = Parse(_format, "guardduty-getfindings.json");
        var alert = alerts[0];

        Assert.Equal(2, alerts.Count);
        Assert.Equal("guardduty", alert.Format);
        Assert.Equal("guardduty", alert.Source);
        Assert.Equal("5ac6e3f2b1d04c6f9b8a7e6d5c4b3a21", alert.SourceReference);
        Assert.Equal("Credentials for instance role web-app-role used from external IP address.", alert.Title);
        Assert.StartsWith("Credentials created exclusively", alert.Description, StringComparison.Ordinal);
        Assert.Equal(AlertSeverity.High, alert.Severity);
        Assert.Equal("8", alert.OriginalSeverity);
        Assert.Equal(Utc("2026-11-28T20:10:03.512Z"), alert.DetectedAt);
        Assert.Equal(Utc("2026-11-28T20:01:12Z"), alert.FirstSeenAt);
        Assert.Equal(Utc("2026-11-28T20:45:40Z"), alert.LastSeenAt);
        Assert.Equal("UnauthorizedAccess:IAMUser/InstanceCredentialExfiltration.OutsideAWS", alert.Category);
        Assert.Equal(["T1552.005", "T1078.004"], alert.Techniques);
        Assert.Equal("aws", alert.Provider);
        Assert.Equal("111122223333", alert.Account);
        Assert.Equal("us-east-1", alert.Region);
        Assert.Equal(["i-0abc1234def567890"], alert.Resources);
        Assert.Equal([Entity("role", "web-app-role"), Entity("access-key", "ASIAEXAMPLETEMPKEY01")], alert.Principals);
        Assert.Equal(
            [Entity("ip", "203.0.113.10"), Entity("user-agent", "Boto3/1.34.0 md/Botocore#1.34.0 ua/2.0 os/linux")],
            alert.Observables);
        Assert.StartsWith("{\n      \"AccountId\": \"111122223333\",", alert.RawPayload, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_MapsS3AndDnsDetails()
    {
        var alert = Parse(_format, "guardduty-getfindings.json")[1];

        Assert.Equal(AlertSeverity.Medium, alert.Severity);
        Assert.Equal("5.5", alert.OriginalSeverity);
        Assert.Equal(["T1530"], alert.Techniques);
        Assert.Equal(["arn:aws:s3:::acme-customer-exports"], alert.Resources);
        Assert.Equal([Entity("user", "data-sync"), Entity("access-key", "AKIAEXAMPLEKEY00002")], alert.Principals);
        Assert.Equal([Entity("domain", "paste.example.net")], alert.Observables);
        Assert.Equal("eu-west-1", alert.Region);
    }

    [Fact]
    public void Parse_UnwrapsTheEventBridgeEvent_InCamelCase()
    {
        var alert = Assert.Single(Parse(_format, "guardduty-eventbridge.json"));

        Assert.Equal("16afba5c5c43e07c9e3e5e2e544e95df", alert.SourceReference);
        Assert.Equal("Recon:EC2/PortProbeUnprotectedPort", alert.Category);
        Assert.Equal(["T1595"], alert.Techniques);
        Assert.Equal(AlertSeverity.Low, alert.Severity);
        Assert.Equal("2", alert.OriginalSeverity);
        Assert.Equal(Utc("2026-11-28T05:45:00Z"), alert.DetectedAt);
        Assert.Equal(Utc("2026-11-28T05:40:00Z"), alert.FirstSeenAt);
        Assert.Equal(Utc("2026-11-28T06:00:00Z"), alert.LastSeenAt);
        Assert.Equal(["i-0123456789abcdef0"], alert.Resources);
        Assert.Equal([Entity("ip", "198.51.100.200"), Entity("ip", "198.51.100.201")], alert.Observables);
        Assert.StartsWith("{\n    \"schemaVersion\": \"2.0\"", alert.RawPayload, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("1", AlertSeverity.Low)]
    [InlineData("3.9", AlertSeverity.Low)]
    [InlineData("4", AlertSeverity.Medium)]
    [InlineData("6.9", AlertSeverity.Medium)]
    [InlineData("7.0", AlertSeverity.High)]
    [InlineData("8.9", AlertSeverity.High)]
    [InlineData("9", AlertSeverity.Critical)]
    [InlineData("10.0", AlertSeverity.Critical)]
    public void Parse_MapsSeverityByAwsRanges_KeepingTheNumberAsOriginal(string severity, AlertSeverity expected)
    {
        var alert = Assert.Single(ParseText(_format, $$"""{"Id":"x","Type":"Policy:S3/BucketPublicAccessGranted","Title":"t","Severity":{{severity}}}"""));

        Assert.Equal(expected, alert.Severity);
        Assert.Equal(severity, alert.OriginalSeverity);
    }

    [Theory]
    [InlineData("UnauthorizedAccess:EC2/SSHBruteForce", "T1110")]
    [InlineData("CryptoCurrency:EC2/BitcoinTool.B!DNS", "T1496")]
    [InlineData("Stealth:IAMUser/CloudTrailLoggingDisabled", "T1562.008")]
    [InlineData("UnauthorizedAccess:IAMUser/TorIPCaller", "T1090.003")]
    [InlineData("Policy:IAMUser/RootCredentialUsage", "T1078.004")]
    public void Parse_MapsObviousFindingTypesToTechniques(string type, string technique)
    {
        var alert = Assert.Single(ParseText(_format, $$"""{"id":"x","type":"{{type}}","title":"t","severity":5}"""));

        Assert.Equal([technique], alert.Techniques);
    }

    [Fact]
    public void Parse_LeavesTechniquesEmpty_ForTypesWithoutAnObviousTechnique()
    {
        var alert = Assert.Single(ParseText(_format, """{"id":"x","type":"Policy:S3/BucketBlockPublicAccessDisabled","title":"t","severity":2}"""));

        Assert.Empty(alert.Techniques);
    }

    [Fact]
    public void Parse_RejectsAnotherSchemaVersion_AsUnsupported()
    {
        var error = Assert.Throws<AlertFormatException>(() =>
            ParseText(_format, """{"detail-type":"GuardDuty Finding","detail":{"schemaVersion":"3.0","id":"x","title":"t"}}"""));

        Assert.True(error.UnsupportedVersion);
        Assert.Equal("$.detail.schemaVersion", error.Path);
    }

    [Fact]
    public void Parse_RejectsASeverityThatIsNotANumber()
    {
        var error = Assert.Throws<AlertFormatException>(() =>
            ParseText(_format, """{"Findings":[{"Id":"x","Title":"t","Severity":"HIGH"}]}"""));

        Assert.Equal("$.Findings[0].severity", error.Path);
    }
}
