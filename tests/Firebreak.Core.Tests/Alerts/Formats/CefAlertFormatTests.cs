using Firebreak.Core.Alerts;
using Firebreak.Core.Alerts.Formats;
using static Firebreak.Core.Tests.Alerts.Formats.Fixture;

namespace Firebreak.Core.Tests.Alerts.Formats;

public class CefAlertFormatTests
{
    private readonly CefAlertFormat _format = new();

    [Fact]
    public void Parse_MapsALineBehindASyslogHeader()
    {
        var lines = Text("cef-events.cef").Split('\n');
        var alert = Parse(_format, "cef-events.cef")[0];

        Assert.Equal("cef", alert.Format);
        Assert.Equal("text/plain", _format.MediaType);
        Assert.Equal("cef:Palo Alto Networks/PAN-OS", alert.Source);
        Assert.Equal("7429811", alert.SourceReference);
        Assert.Equal("Suspicious DNS query", alert.Title);
        Assert.Equal("Query for known C2 domain\nblocked by policy", alert.Description);
        Assert.Equal("spyware", alert.Category);
        Assert.Equal(AlertSeverity.High, alert.Severity);
        Assert.Equal("8", alert.OriginalSeverity);
        Assert.Equal(Utc("2026-11-28T21:15:01Z"), alert.DetectedAt);
        Assert.Equal(["T1071.004"], alert.Techniques);
        Assert.Equal([Entity("user", "acme\\jdoe")], alert.Principals);
        Assert.Equal(
            [
                Entity("ip", "10.1.2.3"),
                Entity("ip", "198.51.100.53"),
                Entity("domain", "ws-113.acme.example"),
                Entity("domain", "ns1.bad.example"),
                Entity("url", "http://bad.example/a?b=c"),
            ],
            alert.Observables);
        Assert.Equal(lines[0], alert.RawPayload);
    }

    [Fact]
    public void Parse_MapsVersionOne_WithEscapedPipesAndLabelledCloudContext()
    {
        var alert = Parse(_format, "cef-events.cef")[1];

        Assert.Equal("cef:Acme/Cloud Guard", alert.Source);
        Assert.Equal("Impossible travel for a pipe|user", alert.Title);
        Assert.Equal("acct-takeover", alert.Category);
        Assert.Null(alert.SourceReference);
        Assert.Equal(AlertSeverity.Critical, alert.Severity);
        Assert.Equal("Very-High", alert.OriginalSeverity);
        Assert.Equal(Utc("2026-11-28T21:20:00Z"), alert.FirstSeenAt);
        Assert.Equal(Utc("2026-11-28T21:25:00Z"), alert.LastSeenAt);
        Assert.Null(alert.DetectedAt);
        Assert.Equal("aws", alert.Provider);
        Assert.Equal("111122223333", alert.Account);
        Assert.Equal("us-west-2", alert.Region);
        Assert.Equal([Entity("user", "a.ng@acme.example")], alert.Principals);
        Assert.Equal(
            [
                Entity("ip", "203.0.113.77"),
                Entity("user-agent", "Mozilla/5.0 (X11; Linux x86_64)"),
                Entity("hash", "44d88612fea8a8f36de82e1278abb02f"),
            ],
            alert.Observables);
    }

    [Fact]
    public void Parse_SkipsBlankLines_AndAcceptsAnEmptyExtension()
    {
        var alerts = Parse(_format, "cef-events.cef");
        var scan = alerts[2];

        Assert.Equal(3, alerts.Count);
        Assert.Equal("Port scan", scan.Title);
        Assert.Equal("100", scan.Category);
        Assert.Equal(AlertSeverity.Low, scan.Severity);
        Assert.Empty(scan.Observables);
    }

    [Theory]
    [InlineData("0", AlertSeverity.Low)]
    [InlineData("3", AlertSeverity.Low)]
    [InlineData("4", AlertSeverity.Medium)]
    [InlineData("6", AlertSeverity.Medium)]
    [InlineData("7", AlertSeverity.High)]
    [InlineData("8", AlertSeverity.High)]
    [InlineData("9", AlertSeverity.Critical)]
    [InlineData("10", AlertSeverity.Critical)]
    [InlineData("Low", AlertSeverity.Low)]
    [InlineData("Medium", AlertSeverity.Medium)]
    [InlineData("High", AlertSeverity.High)]
    [InlineData("Very-High", AlertSeverity.Critical)]
    [InlineData("Unknown", AlertSeverity.Medium)]
    public void Parse_MapsSeverity(string severity, AlertSeverity expected)
    {
        var alert = Assert.Single(ParseText(_format, $"CEF:0|V|P|1|sig|Name|{severity}|src=192.0.2.1"));

        Assert.Equal(expected, alert.Severity);
        Assert.Equal(severity, alert.OriginalSeverity);
    }

    [Fact]
    public void Parse_UnescapesExtensionValues_AndKeepsUnescapedEqualsInsideAValue()
    {
        var alert = Assert.Single(ParseText(_format,
            @"CEF:0|V|P|1|sig|Name|5|msg=a\=b c\\d\nnext\rend request=https://x.example/?q=1&r=2 fname=C:\\dir\\file.exe"));

        Assert.Equal("a=b c\\d\nnext\rend", alert.Description);
        Assert.Equal(
            [Entity("url", "https://x.example/?q=1&r=2"), Entity("file", "C:\\dir\\file.exe")],
            alert.Observables);
    }

    [Fact]
    public void Parse_ReadsALineThatIsNotUtf8_AsLatin1_KeepingEveryCharacter()
    {
        // An older appliance writes Latin-1 beside one that writes UTF-8: each line is read in its own encoding.
        const string line = "CEF:0|Acme|Gateway|1|7|Connexion refusée à «mallory»|5|suser=andré src=192.0.2.7";
        byte[] payload = [.. System.Text.Encoding.UTF8.GetBytes(line + "\n"), .. System.Text.Encoding.Latin1.GetBytes(line + "\r\n"), .. System.Text.Encoding.UTF8.GetBytes(line)];

        var alerts = _format.Parse(payload);

        Assert.Equal(3, alerts.Count);
        Assert.All(alerts, a => Assert.Equal("Connexion refusée à «mallory»", a.Title));
        Assert.All(alerts, a => Assert.Equal([Entity("user", "andré")], a.Principals));
        Assert.All(alerts, a => Assert.Equal(line, a.RawPayload));
        Assert.DoesNotContain(alerts, a => a.RawPayload!.Contains('\uFFFD', StringComparison.Ordinal));
    }

    [Fact]
    public void Parse_ReadsCrLfLines_WithoutTheCarriageReturn()
    {
        var alerts = ParseText(_format, "CEF:0|V|P|1|s|First|5|src=192.0.2.1\r\nCEF:0|V|P|1|s|Second|5|suser=bob\r\n");

        Assert.Equal(["First", "Second"], alerts.Select(a => a.Title));
        Assert.Equal("CEF:0|V|P|1|s|First|5|src=192.0.2.1", alerts[0].RawPayload);
        Assert.Equal([Entity("ip", "192.0.2.1")], alerts[0].Observables);
        Assert.Equal([Entity("user", "bob")], alerts[1].Principals);
    }

    [Fact]
    public void Parse_ReadsTheCefDateFormats()
    {
        var alert = Assert.Single(ParseText(_format,
            "CEF:0|V|P|1|sig|Name|5|rt=Nov 28 2026 21:15:01.250 start=Nov 28 2026 23:15:01 +02:00 end=Nov 28 21:15:01"));

        Assert.Equal(Utc("2026-11-28T21:15:01.250Z"), alert.DetectedAt);
        Assert.Equal(Utc("2026-11-28T21:15:01Z"), alert.FirstSeenAt);
        Assert.Null(alert.LastSeenAt);
    }

    [Theory]
    [InlineData("CEF:0|V|P|1|sig|Name|5|src=192.0.2.1\nnot a cef line\n", 2)]
    [InlineData("CEF:0|V|P|1|sig|Name|5|src=192.0.2.1\n\nCEF:0|V|P|1|sig|Name\n", 3)]
    [InlineData("CEF:0|V|P|1|sig|Name|11|", 1)]
    [InlineData("CEF:0|V|P|1|sig|Name|5|garbage src=192.0.2.1", 1)]
    [InlineData("CEF:0|V|P|1|sig|Name|5|rt=tomorrow", 1)]
    [InlineData("CEF:x|V|P|1|sig|Name|5|", 1)]
    [InlineData("CEF:0|V|P|1|sig||5|", 1)]
    public void Parse_RejectsABadLine_NamingItsNumber(string payload, int line)
    {
        var error = Assert.Throws<AlertFormatException>(() => ParseText(_format, payload));

        Assert.False(error.UnsupportedVersion);
        Assert.Equal($"line {line}", error.Path);
    }

    [Fact]
    public void Parse_RejectsAnotherCefVersion_AsUnsupported()
    {
        var error = Assert.Throws<AlertFormatException>(() =>
            ParseText(_format, "CEF:0|V|P|1|sig|Name|5|\nCEF:2|V|P|1|sig|Name|5|"));

        Assert.True(error.UnsupportedVersion);
        Assert.Equal("line 2", error.Path);
    }

    [Fact]
    public void Parse_RejectsMoreThanTenThousandLines()
    {
        var payload = string.Concat(Enumerable.Repeat("CEF:0|V|P|1|sig|Name|5|src=192.0.2.1\n", AlertPayloadLimits.MaxAlerts + 1));

        var error = Assert.Throws<AlertFormatException>(() => ParseText(_format, payload));

        Assert.Equal("line 10001", error.Path);
    }

    [Theory]
    [InlineData("CEF:")]
    [InlineData("CEF:0|a|b|c|d|e|5|=x")]
    [InlineData("CEF:0|a|b|c|d|e|5|k=")]
    [InlineData("CEF:0|a|b|c|d|e|5|k=\\")]
    [InlineData("CEF:0|a|b|c|d|e|5|rt=99999999999999999999")]
    [InlineData("CEF:0|a|b|c|d|e|5|rt=253402300800000")]
    [InlineData("CEF:0|a|b|c|d|e|5|rt=Feb 30 2026 10:00:00")]
    [InlineData("CEF:0|a|b|c|d|e|5|start=Nov 28 2026 10:00:00 +99")]
    [InlineData("CEF:0|a|b|c|d|e|5|start=Nov 28 2026 10:00:00 +9999")]
    [InlineData("CEF:0|a|b|c|d|e|5|start=Jan 01 0001 00:00:00 +01:00")]
    [InlineData("CEF:0|a|b|c|d|e|-1|")]
    [InlineData("\0\u0001CEF:0|\u00ff|b|c|d|e|5|")]
    public void Parse_AnswersOddLines_WithAlertsOrAFormatError_NeverAnotherException(string line)
    {
        var error = Record.Exception(() => ParseText(_format, line));

        Assert.True(error is null or AlertFormatException, $"threw {error?.GetType().Name}: {error?.Message}");
    }
}
