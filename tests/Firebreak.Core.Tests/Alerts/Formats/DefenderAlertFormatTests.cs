using Firebreak.Core.Alerts;
using Firebreak.Core.Alerts.Formats;
using static Firebreak.Core.Tests.Alerts.Formats.Fixture;

namespace Firebreak.Core.Tests.Alerts.Formats;

public class DefenderAlertFormatTests
{
    private readonly DefenderAlertFormat _format = new();

    [Fact]
    public void Parse_MapsTheArmSecurityAlert_FieldByField()
    {
        var alert = Assert.Single(Parse(_format, "defender-arm-alerts.json"));

        Assert.Equal("defender", alert.Format);
        Assert.Equal("defender", alert.Source);
        Assert.Equal("2518298467986649999_a1b2c3d4-e5f6-4a7b-8c9d-0e1f2a3b4c5d", alert.SourceReference);
        Assert.Equal("Successful SSH brute force attack", alert.Title);
        Assert.Equal("Analysis of authentication logs detected a successful login after many failed attempts.", alert.Description);
        Assert.Equal("VM_SshBruteForceSuccess", alert.Category);
        Assert.Equal(AlertSeverity.High, alert.Severity);
        Assert.Equal("High", alert.OriginalSeverity);
        Assert.Equal(Utc("2026-11-28T21:03:15.1234567Z"), alert.DetectedAt);
        Assert.Equal(Utc("2026-11-28T20:40:00Z"), alert.FirstSeenAt);
        Assert.Equal(Utc("2026-11-28T20:59:59Z"), alert.LastSeenAt);
        Assert.Equal(["T1110", "T1110.001"], alert.Techniques);
        Assert.Equal("azure", alert.Provider);
        Assert.Equal("20ff7fc3-e762-44dd-bd96-b71116dcdc23", alert.Account);
        Assert.Null(alert.Region);
        Assert.Equal(["/subscriptions/20ff7fc3-e762-44dd-bd96-b71116dcdc23/resourceGroups/prod-rg/providers/Microsoft.Compute/virtualMachines/jump-01"], alert.Resources);
        Assert.Equal([Entity("user", "azureuser")], alert.Principals);
        Assert.Equal([Entity("ip", "203.0.113.99"), Entity("domain", "c2.example.net")], alert.Observables);
        Assert.Contains("\"alertDisplayName\": \"Successful SSH brute force attack\"", alert.RawPayload, StringComparison.Ordinal);
        Assert.DoesNotContain("\"value\"", alert.RawPayload, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_MapsSentinelRows_WithEntitiesAndTechniquesAsJsonText()
    {
        var alerts = Parse(_format, "defender-sentinel-rows.json");
        var alert = alerts[0];

        Assert.Equal(2, alerts.Count);
        Assert.Equal("defender", alert.Source);
        Assert.Equal("f0e1d2c3-b4a5-4697-8899-aabbccddeeff", alert.SourceReference);
        Assert.Equal("Suspicious sign-in followed by app consent", alert.Title);
        Assert.Equal("MCAS_ALERT_CONSENT", alert.Category);
        Assert.Equal(AlertSeverity.Medium, alert.Severity);
        Assert.Equal("Medium", alert.OriginalSeverity);
        Assert.Equal(Utc("2026-11-28T18:22:10.55Z"), alert.DetectedAt);
        Assert.Equal(Utc("2026-11-28T17:55:00Z"), alert.FirstSeenAt);
        Assert.Equal(Utc("2026-11-28T18:05:00Z"), alert.LastSeenAt);
        Assert.Equal(["T1078", "T1528"], alert.Techniques);
        Assert.Equal(["/subscriptions/7d3e9c11-1111-2222-3333-444455556666/resourceGroups/apps/providers/Microsoft.Web/sites/portal"], alert.Resources);
        Assert.Equal("7d3e9c11-1111-2222-3333-444455556666", alert.Account);
        Assert.Equal([Entity("user", "m.lopez@contoso.example")], alert.Principals);
        Assert.Equal(
            [
                Entity("ip", "198.51.100.50"),
                Entity("url", "https://login.contoso-sso.example/auth"),
                Entity("hash", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"),
            ],
            alert.Observables);
    }

    [Fact]
    public void Parse_ReadsCommaSeparatedTechniques_AndFallsBackToTheCompromisedEntity()
    {
        var alert = Parse(_format, "defender-sentinel-rows.json")[1];

        Assert.Equal("Mass download by a single user", alert.Title);
        Assert.Equal(AlertSeverity.Low, alert.Severity);
        Assert.Equal(["T1530", "T1567"], alert.Techniques);
        Assert.Equal(["s.ito@contoso.example"], alert.Resources);
        Assert.Null(alert.Account);
    }

    [Theory]
    [InlineData("Informational", AlertSeverity.Informational)]
    [InlineData("Low", AlertSeverity.Low)]
    [InlineData("Medium", AlertSeverity.Medium)]
    [InlineData("High", AlertSeverity.High)]
    public void Parse_MapsSeverityWords(string severity, AlertSeverity expected)
    {
        var alert = Assert.Single(ParseText(_format, """{"properties":{"alertDisplayName":"t","severity":""" + "\"" + severity + "\"}}"));

        Assert.Equal(expected, alert.Severity);
    }

    [Fact]
    public void Parse_RejectsEntitiesTextThatIsNotJson_NamingTheColumn()
    {
        var error = Assert.Throws<AlertFormatException>(() =>
            ParseText(_format, """[{"AlertName":"a","Entities":"[{\"Type\":\"ip\",}"}]"""));

        Assert.StartsWith("$[0].Entities", error.Path, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_RejectsAnObjectThatIsNeitherShape()
    {
        var error = Assert.Throws<AlertFormatException>(() => ParseText(_format, """{"hello":"world"}"""));

        Assert.Equal("$", error.Path);
    }
}
