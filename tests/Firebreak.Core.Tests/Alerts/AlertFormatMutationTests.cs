using System.Diagnostics;
using System.Text;
using Firebreak.Core.Alerts;
using Firebreak.Core.Alerts.Formats;

namespace Firebreak.Core.Tests.Alerts;

public class AlertFormatMutationTests
{
    private static readonly TimeSpan SlowParse = TimeSpan.FromSeconds(3);

    [Fact]
    public void Parse_DeduplicatesLongEntityLists_InLinearTime_KeepingTheFirstSpelling()
    {
        const int count = 100_000;
        var resources = Enumerable.Range(0, count).Select(i => $"arn:aws:s3:::bucket-{i}").ToList();
        var observables = Enumerable.Range(0, count).Select(i => $$"""{"type":"domain","value":"host-{{i}}.example"}""");
        var payload = $$"""
            {"source":"s","title":"t",
             "resources":[{{string.Join(",", resources.Select(r => $"\"{r}\""))}},"ARN:AWS:S3:::BUCKET-20"," arn:aws:s3:::bucket-99999 "],
             "observables":[{{string.Join(",", observables)}},{"type":"domain","value":"HOST-17.example"},{"type":"url","value":"host-17.example"}]}
            """;
        var watch = Stopwatch.StartNew();

        var alert = Assert.Single(new GenericAlertFormat().Parse(Encoding.UTF8.GetBytes(payload)));

        watch.Stop();
        Assert.True(watch.Elapsed < SlowParse, $"took {watch.ElapsedMilliseconds} ms");
        Assert.Equal(resources, alert.Resources);
        Assert.Equal(count + 1, alert.Observables.Count);
        Assert.Equal(new AlertEntity("domain", "host-17.example"), alert.Observables[17]);
        Assert.Equal(new AlertEntity("url", "host-17.example"), alert.Observables[^1]);
    }

    [Theory]
    [InlineData("Feb 29 12:00:00")]
    [InlineData("Feb 29 12:00:00.250")]
    [InlineData("Nov 28 21:15:01")]
    public void Cef_LeavesAYearlessTimeEmpty_EvenOnTheLeapDay(string time)
    {
        var alert = Assert.Single(new CefAlertFormat().Parse(Encoding.UTF8.GetBytes($"CEF:0|V|P|1|sig|Name|5|rt={time} src=10.0.0.1")));

        Assert.Null(alert.DetectedAt);
        Assert.Equal([new AlertEntity("ip", "10.0.0.1")], alert.Observables);
    }

    [Fact]
    public void Cef_RefusesAYearlessTimeThatIsNoDate()
    {
        var error = Assert.Throws<AlertFormatException>(() => new CefAlertFormat().Parse(Encoding.UTF8.GetBytes("CEF:0|V|P|1|sig|Name|5|rt=Feb 30 12:00:00")));

        Assert.Equal("line 1", error.Path);
    }
}
