using System.Text;
using System.Text.Json;
using Firebreak.Core.Alerts;
using Firebreak.Core.Alerts.Formats;
using static Firebreak.Core.Tests.Alerts.Formats.Fixture;

namespace Firebreak.Core.Tests.Alerts.Formats;

public class GenericAlertFormatTests
{
    private readonly GenericAlertFormat _format = new();

    [Fact]
    public void Parse_MapsEveryField_FromASingleObject()
    {
        var alert = Assert.Single(Parse(_format, "generic-single.json"));

        Assert.Equal("generic", alert.Format);
        Assert.Equal("acme-edr", alert.Source);
        Assert.Equal("EDR-2026-000417", alert.SourceReference);
        Assert.Equal("Credential dumping tool executed on build server", alert.Title);
        Assert.Equal("A process matching a known credential dumping tool read LSASS memory.", alert.Description);
        Assert.Equal(AlertSeverity.High, alert.Severity);
        Assert.Equal("high", alert.OriginalSeverity);
        Assert.Equal(Utc("2026-11-28T22:14:05Z"), alert.DetectedAt);
        Assert.Equal(Utc("2026-11-28T21:10:00Z"), alert.FirstSeenAt);
        Assert.Equal(TimeSpan.Zero, alert.FirstSeenAt!.Value.Offset);
        Assert.Equal(Utc("2026-11-28T22:13:59Z"), alert.LastSeenAt);
        Assert.Equal("credential-access", alert.Category);
        Assert.Equal(["T1003.001", "T1078"], alert.Techniques);
        Assert.Equal("azure", alert.Provider);
        Assert.Equal("8f1c2a40-5d1e-4e8b-9a77-0c3f5a6b7c8d", alert.Account);
        Assert.Equal("westeurope", alert.Region);
        Assert.Equal(["/subscriptions/8f1c2a40-5d1e-4e8b-9a77-0c3f5a6b7c8d/resourceGroups/build/providers/Microsoft.Compute/virtualMachines/build-07"], alert.Resources);
        Assert.Equal([Entity("user", "builder@acme.example")], alert.Principals);
        Assert.Equal(
            [
                Entity("ip", "203.0.113.45"),
                Entity("hash", "9F86D081884C7D659A2FEAA0C55AD015A3BF4F1B2B0B822CD15D6C15B0F00A08"),
                Entity("process", "C:\\Temp\\pd64.exe -accepteula -ma lsass.exe"),
            ],
            alert.Observables);
        Assert.Equal(Text("generic-single.json").TrimEnd('\n'), alert.RawPayload);
    }

    [Fact]
    public void Parse_ReadsTheAlertsEnvelope_WithEachAlertsOwnJsonAsRawPayload()
    {
        var alerts = Parse(_format, "generic-batch.json");

        Assert.Equal(["waf-88121", "waf-88122"], alerts.Select(a => a.SourceReference));
        Assert.Equal([AlertSeverity.Medium, AlertSeverity.Informational], alerts.Select(a => a.Severity));
        Assert.Equal([Entity("user-agent", "sqlmap/1.8")], alerts[1].Observables);
        using var raw = JsonDocument.Parse(alerts[0].RawPayload);
        Assert.Equal("waf-88121", raw.RootElement.GetProperty("sourceReference").GetString());
        Assert.False(raw.RootElement.TryGetProperty("alerts", out _));
    }

    [Fact]
    public void Parse_ReadsABareArray()
    {
        var alerts = ParseText(_format, """[{"source":"a","title":"one"},{"source":"b","title":"two","severity":"CRITICAL"}]""");

        Assert.Equal(["one", "two"], alerts.Select(a => a.Title));
        Assert.Equal(AlertSeverity.Medium, alerts[0].Severity);
        Assert.Null(alerts[0].OriginalSeverity);
        Assert.Equal(AlertSeverity.Critical, alerts[1].Severity);
    }

    [Theory]
    [InlineData("""{"schemaVersion":"2","source":"a","title":"t"}""", "$.schemaVersion")]
    [InlineData("""{"schemaVersion":"2","alerts":[]}""", "$.schemaVersion")]
    [InlineData("""{"alerts":[{"schemaVersion":"1.1","source":"a","title":"t"}]}""", "$.alerts[0].schemaVersion")]
    public void Parse_RejectsAnUnknownSchemaVersion_AsUnsupported(string payload, string path)
    {
        var error = Assert.Throws<AlertFormatException>(() => ParseText(_format, payload));

        Assert.True(error.UnsupportedVersion);
        Assert.Equal(path, error.Path);
    }

    [Fact]
    public void Parse_AcceptsSchemaVersionOne()
    {
        Assert.Single(ParseText(_format, """{"schemaVersion":"1","source":"a","title":"t"}"""));
    }

    [Theory]
    [InlineData("""{"title":"t"}""", "$.source")]
    [InlineData("""{"source":"a"}""", "$.title")]
    [InlineData("""{"source":"a","title":"t","severity":"urgent"}""", "$.severity")]
    [InlineData("""{"source":"a","title":7}""", "$.title")]
    [InlineData("""{"source":"a","title":"t","detectedAt":"yesterday"}""", "$.detectedAt")]
    [InlineData("""{"source":"a","title":"t","provider":"oracle"}""", "$.provider")]
    [InlineData("""{"source":"a","title":"t","techniques":["T1078","Valid Accounts"]}""", "$.techniques[1]")]
    [InlineData("""{"alerts":[{"source":"a","title":"t"},{"source":"a","title":"t","observables":[{"type":"ip"}]}]}""", "$.alerts[1].observables[0].value")]
    [InlineData("""{"alerts":{"source":"a"}}""", "$.alerts")]
    public void Parse_RejectsInvalidFields_NamingThePath(string payload, string path)
    {
        var error = Assert.Throws<AlertFormatException>(() => ParseText(_format, payload));

        Assert.False(error.UnsupportedVersion);
        Assert.Equal(path, error.Path);
    }

    [Fact]
    public void Parse_ReportsTheJsonPath_OfMalformedJson()
    {
        var payload = """{"alerts":[{"source":"a","title":"t"},{"source":"a","title": }]}""";

        var error = Assert.Throws<AlertFormatException>(() => ParseText(_format, payload));

        Assert.Equal("$.alerts[1].title", error.Path);
        Assert.Contains("line 1", error.Message, StringComparison.Ordinal);
    }
}
