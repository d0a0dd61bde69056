using System.Text.Json;
using Firebreak.Detection.Events;
using Firebreak.Detection.Readers;
using Firebreak.Detection.Rules;
using Firebreak.Detection.Sigma;

namespace Firebreak.Detection.Tests.Rules;

public class ReaderTestEventsTests
{
    private static readonly DateTimeOffset T0 = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);

    [Fact]
    public void CloudTrailTestRecord_IsNormalisedByTheReadersMapper_WithTheFallbackTime()
    {
        using var json = JsonDocument.Parse("""{"eventSource":"iam.amazonaws.com","eventName":"CreateAccessKey","sourceIPAddress":"203.0.113.5","userIdentity":{"type":"IAMUser","arn":"arn:aws:iam::111122223333:user/ops","accessKeyId":"AKIAEXAMPLE"}}""");

        var e = ReaderTestEvents.Create(new LogSource("aws", "cloudtrail"), json.RootElement, T0);

        Assert.Equal(T0, e.Time);
        Assert.Equal("CreateAccessKey", e.Operation);
        Assert.Equal("arn:aws:iam::111122223333:user/ops", e.Actor.Arn);
        Assert.Equal("AKIAEXAMPLE", e.Actor.AccessKeyId);
        Assert.Equal("203.0.113.5", e.SourceIp);
    }

    [Fact]
    public void RuleTest_WhoseRecordTheReaderRejects_IsAnErrorOfThatTest()
    {
        var parsed = SigmaParser.Parse("""
            title: trail stopped
            id: 7d1b8c55-2f0e-4f0b-8a3b-5d2f7a9e1c44
            level: high
            logsource: {product: aws, service: cloudtrail}
            detection:
              sel: {eventSource: cloudtrail.amazonaws.com}
              condition: sel
            firebreak:
              tests:
                - match: true
                  event: {eventSource: cloudtrail.amazonaws.com}
            """, "no_event_name.yml");

        var report = RuleTester.Run(parsed);

        Assert.False(report.Passed);
        var error = Assert.Single(report.Diagnostics, d => d.Code == "test");
        Assert.Contains("no eventName", error.Message);
    }
}
