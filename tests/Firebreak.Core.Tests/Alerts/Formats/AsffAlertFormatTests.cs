using Firebreak.Core.Alerts;
using Firebreak.Core.Alerts.Formats;
using static Firebreak.Core.Tests.Alerts.Formats.Fixture;

namespace Firebreak.Core.Tests.Alerts.Formats;

public class AsffAlertFormatTests
{
    private readonly AsffAlertFormat _format = new();

    [Fact]
    public void Parse_MapsAGuardDutyFindingForwardedBySecurityHub()
    {
        var alert = Parse(_format, "asff-findings.json")[0];

        Assert.Equal("asff", alert.Format);
        Assert.Equal("securityhub:GuardDuty", alert.Source);
        Assert.Equal("arn:aws:guardduty:us-east-1:111122223333:detector/12abc34d567e8fa901bc2d34e56789f0/finding/5ac6e3f2b1d04c6f9b8a7e6d5c4b3a21", alert.SourceReference);
        Assert.Equal("Credentials for instance role web-app-role used from external IP address.", alert.Title);
        Assert.StartsWith("Credentials created exclusively", alert.Description, StringComparison.Ordinal);
        Assert.Equal(AlertSeverity.High, alert.Severity);
        Assert.Equal("8", alert.OriginalSeverity);
        Assert.Equal(Utc("2026-11-28T20:10:03.512Z"), alert.DetectedAt);
        Assert.Equal(Utc("2026-11-28T20:01:12Z"), alert.FirstSeenAt);
        Assert.Equal(Utc("2026-11-28T20:45:40Z"), alert.LastSeenAt);
        Assert.Equal("TTPs/Initial Access/UnauthorizedAccess:IAMUser-InstanceCredentialExfiltration.OutsideAWS", alert.Category);
        Assert.Equal(["T1552.005", "T1078.004"], alert.Techniques);
        Assert.Equal("aws", alert.Provider);
        Assert.Equal("111122223333", alert.Account);
        Assert.Equal("us-east-1", alert.Region);
        Assert.Equal(
            ["AWS::IAM::AccessKey:ASIAEXAMPLETEMPKEY01", "arn:aws:ec2:us-east-1:111122223333:instance/i-0abc1234def567890"],
            alert.Resources);
        Assert.Equal([Entity("role", "web-app-role"), Entity("access-key", "ASIAEXAMPLETEMPKEY01")], alert.Principals);
        Assert.Equal([Entity("ip", "203.0.113.10")], alert.Observables);
    }

    [Fact]
    public void Parse_MapsAControlFinding_WithNormalizedSeverityAndIamPrincipals()
    {
        var alert = Parse(_format, "asff-findings.json")[1];

        Assert.Equal("securityhub:aws/securityhub", alert.Source);
        Assert.Equal(AlertSeverity.Critical, alert.Severity);
        Assert.Equal("90", alert.OriginalSeverity);
        Assert.Empty(alert.Techniques);
        Assert.Equal("444455556666", alert.Account);
        Assert.Null(alert.Region);
        Assert.Null(alert.FirstSeenAt);
        Assert.Equal([Entity("user", "legacy-admin"), Entity("role", "arn:aws:iam::444455556666:role/OrgAdmin")], alert.Principals);
        Assert.Equal([Entity("ip", "198.51.100.23"), Entity("domain", "scanner.example.org")], alert.Observables);
        Assert.Equal(3, alert.Resources.Count);
        Assert.StartsWith("{", alert.RawPayload, StringComparison.Ordinal);
        Assert.Contains("\"IAM.4 IAM root user access key should not exist\"", alert.RawPayload, StringComparison.Ordinal);
        Assert.DoesNotContain("web-app-role", alert.RawPayload, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_UnwrapsTheEventBridgeEvent()
    {
        var alert = Assert.Single(Parse(_format, "asff-eventbridge.json"));

        Assert.Equal("arn:aws:inspector2:us-east-1:111122223333:finding/abc", alert.SourceReference);
        Assert.Equal("securityhub:aws/inspector", alert.Source);
        Assert.Equal(AlertSeverity.Critical, alert.Severity);
        Assert.Equal("CRITICAL", alert.OriginalSeverity);
        Assert.Equal(["arn:aws:ec2:us-east-1:111122223333:instance/i-0fedcba9876543210"], alert.Resources);
        Assert.DoesNotContain("detail-type", alert.RawPayload, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_ReadsABareFindingAndAnArray()
    {
        const string finding = """{"SchemaVersion":"2018-10-08","Id":"x-1","ProductName":"Macie","Title":"Sensitive data","Severity":{"Label":"LOW"}}""";

        var single = Assert.Single(ParseText(_format, finding));
        var list = ParseText(_format, "[" + finding + "," + finding.Replace("x-1", "x-2", StringComparison.Ordinal) + "]");

        Assert.Equal("securityhub:Macie", single.Source);
        Assert.Equal(AlertSeverity.Low, single.Severity);
        Assert.Equal(finding, single.RawPayload);
        Assert.Equal(["x-1", "x-2"], list.Select(a => a.SourceReference));
    }

    [Theory]
    [InlineData(0, AlertSeverity.Informational)]
    [InlineData(1, AlertSeverity.Low)]
    [InlineData(39, AlertSeverity.Low)]
    [InlineData(40, AlertSeverity.Medium)]
    [InlineData(69, AlertSeverity.Medium)]
    [InlineData(70, AlertSeverity.High)]
    [InlineData(89, AlertSeverity.High)]
    [InlineData(90, AlertSeverity.Critical)]
    [InlineData(100, AlertSeverity.Critical)]
    public void Parse_MapsNormalizedSeverity_WhenThereIsNoLabel(int normalized, AlertSeverity expected)
    {
        var alert = Assert.Single(ParseText(_format, """{"Id":"x","Title":"t","Severity":{"Normalized":""" + normalized + "}}"));

        Assert.Equal(expected, alert.Severity);
    }

    [Fact]
    public void Parse_RejectsAnotherSchemaVersion_AsUnsupported()
    {
        var error = Assert.Throws<AlertFormatException>(() =>
            ParseText(_format, """{"Findings":[{"SchemaVersion":"2018-10-08","Id":"a","Title":"t"},{"SchemaVersion":"2030-01-01","Id":"b","Title":"t"}]}"""));

        Assert.True(error.UnsupportedVersion);
        Assert.Equal("$.Findings[1].SchemaVersion", error.Path);
    }

    [Fact]
    public void Parse_RejectsAnotherEventBridgeDetailType()
    {
        var error = Assert.Throws<AlertFormatException>(() =>
            ParseText(_format, """{"detail-type":"Security Hub Findings - Custom Action","detail":{"findings":[]}}"""));

        Assert.Equal("$['detail-type']", error.Path);
    }
}
