using Firebreak.Core.Alerts;
using Firebreak.Core.Alerts.Formats;
using static Firebreak.Core.Tests.Alerts.Formats.Fixture;

namespace Firebreak.Core.Tests.Alerts.Formats;

public class OcsfAlertFormatTests
{
    private readonly OcsfAlertFormat _format = new();

    [Fact]
    public void Parse_MapsADetectionFinding_FieldByField()
    {
        var alert = Assert.Single(Parse(_format, "ocsf-detection-finding.json"));

        Assert.Equal("ocsf", alert.Format);
        Assert.Equal("ocsf:Cloud Sentinel", alert.Source);
        Assert.Equal("cs-find-0192", alert.SourceReference);
        Assert.Equal("Anomalous access key usage", alert.Title);
        Assert.Equal("The access key AKIAEXAMPLEKEY00001 called ListBuckets from 198.51.100.77.", alert.Description);
        Assert.Equal(AlertSeverity.High, alert.Severity);
        Assert.Equal("High", alert.OriginalSeverity);
        Assert.Equal(Utc("2026-11-28T22:14:00Z"), alert.DetectedAt);
        Assert.Equal(Utc("2026-11-28T22:10:00Z"), alert.FirstSeenAt);
        Assert.Equal(Utc("2026-11-28T22:13:50Z"), alert.LastSeenAt);
        Assert.Equal("Credential Access/Anomalous Key Use", alert.Category);
        Assert.Equal(["T1078.004", "T1078"], alert.Techniques);
        Assert.Equal("aws", alert.Provider);
        Assert.Equal("111122223333", alert.Account);
        Assert.Equal("eu-west-1", alert.Region);
        Assert.Equal(["arn:aws:s3:::acme-artifacts", "acme-logs"], alert.Resources);
        Assert.Equal([Entity("user", "ci-deployer"), Entity("access-key", "AKIAEXAMPLEKEY00001")], alert.Principals);
        Assert.Equal(
            [
                Entity("ip", "198.51.100.77"),
                Entity("user-agent", "aws-cli/2.15.0 Python/3.11"),
                Entity("domain", "exfil.example.net"),
            ],
            alert.Observables);
        Assert.Equal(Text("ocsf-detection-finding.json").TrimEnd('\n'), alert.RawPayload);
    }

    [Fact]
    public void Parse_MapsTheOlderSecurityFinding()
    {
        var alert = Assert.Single(Parse(_format, "ocsf-security-finding-1.0.json"));

        Assert.Equal("ocsf:Example Scanner Co", alert.Source);
        Assert.Equal("vuln-55", alert.SourceReference);
        Assert.Equal("Public bucket policy", alert.Title);
        Assert.Equal(AlertSeverity.Low, alert.Severity);
        Assert.Equal("2", alert.OriginalSeverity);
        Assert.Equal(Utc("2026-11-28T03:20:00Z"), alert.DetectedAt);
        Assert.Equal("Policy", alert.Category);
        Assert.Equal(["T1530"], alert.Techniques);
        Assert.Equal("444455556666", alert.Account);
        Assert.Equal(["arn:aws:s3:::public-share"], alert.Resources);
        Assert.Empty(alert.Principals);
    }

    [Fact]
    public void Parse_ReadsJsonLines_SkippingBlankLines()
    {
        var alerts = Parse(_format, "ocsf-findings.jsonl");

        Assert.Equal(["k8s-1", "k8s-2"], alerts.Select(a => a.SourceReference));
        Assert.Equal([AlertSeverity.Critical, AlertSeverity.Informational], alerts.Select(a => a.Severity));
        Assert.Equal(["Critical", "1"], alerts.Select(a => a.OriginalSeverity));
        Assert.StartsWith("{\"class_uid\":2004,\"severity_id\":5", alerts[0].RawPayload, StringComparison.Ordinal);
        Assert.EndsWith("\"title\":\"Privileged pod created\"}}", alerts[0].RawPayload, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_ReadsAnArray()
    {
        var alerts = ParseText(_format, """[{"class_uid":2004,"finding_info":{"title":"a"}},{"class_uid":2004,"finding_info":{"title":"b"}}]""");

        Assert.Equal(["a", "b"], alerts.Select(a => a.Title));
        Assert.All(alerts, a => Assert.Equal("ocsf", a.Source));
    }

    [Theory]
    [InlineData(0, AlertSeverity.Medium)]
    [InlineData(1, AlertSeverity.Informational)]
    [InlineData(2, AlertSeverity.Low)]
    [InlineData(3, AlertSeverity.Medium)]
    [InlineData(4, AlertSeverity.High)]
    [InlineData(5, AlertSeverity.Critical)]
    [InlineData(6, AlertSeverity.Critical)]
    [InlineData(99, AlertSeverity.Medium)]
    public void Parse_MapsSeverityId(int id, AlertSeverity expected)
    {
        var alert = Assert.Single(ParseText(_format, """{"class_uid":2004,"severity_id":""" + id + ""","finding_info":{"title":"t"}}"""));

        Assert.Equal(expected, alert.Severity);
        Assert.Equal(id.ToString(System.Globalization.CultureInfo.InvariantCulture), alert.OriginalSeverity);
    }

    [Fact]
    public void Parse_RejectsAnotherMajorVersion_AsUnsupported()
    {
        var error = Assert.Throws<AlertFormatException>(() =>
            ParseText(_format, """{"class_uid":2004,"metadata":{"version":"2.0.0"},"finding_info":{"title":"t"}}"""));

        Assert.True(error.UnsupportedVersion);
        Assert.Equal("$.metadata.version", error.Path);
    }

    [Fact]
    public void Parse_RejectsAClassThatIsNotAFinding()
    {
        var error = Assert.Throws<AlertFormatException>(() =>
            ParseText(_format, """{"class_uid":3002,"finding_info":{"title":"t"}}"""));

        Assert.False(error.UnsupportedVersion);
        Assert.Equal("$.class_uid", error.Path);
    }

    [Theory]
    [InlineData("""{"class_uid":"2004","finding_info":{"title":"t"}}""", "$.class_uid")]
    [InlineData("""{"class_uid":2004,"severity_id":"4","finding_info":{"title":"t"}}""", "$.severity_id")]
    [InlineData("""{"class_uid":2004,"finding_info":{"uid":"x"}}""", "$")]
    public void Parse_RejectsWrongTypesAndMissingTitles_NamingThePath(string payload, string path)
    {
        var error = Assert.Throws<AlertFormatException>(() => ParseText(_format, payload));

        Assert.Equal(path, error.Path);
    }

    [Fact]
    public void Parse_IgnoresAnObservableTypeIdThatIsNotANumber()
    {
        var alert = Assert.Single(ParseText(_format,
            """{"class_uid":2004,"finding_info":{"title":"t"},"observables":[{"type_id":"2","type":"IP Address","value":"192.0.2.9"}]}"""));

        Assert.Equal([Entity("ip", "192.0.2.9")], alert.Observables);
    }

    [Fact]
    public void Parse_NamesTheLine_OfAMalformedJsonLine()
    {
        var payload = "{\"class_uid\":2004,\"finding_info\":{\"title\":\"a\"}}\n{\"class_uid\":2004,\"finding_info\":{\"title\":}}\n";

        var error = Assert.Throws<AlertFormatException>(() => ParseText(_format, payload));

        Assert.Equal("$.finding_info.title", error.Path);
        Assert.Contains("line 2", error.Message, StringComparison.Ordinal);
    }
}
