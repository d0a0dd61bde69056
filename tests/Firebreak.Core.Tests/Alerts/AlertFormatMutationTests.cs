using System.Diagnostics;
using System.Text;
using Firebreak.Core.Alerts;
using Firebreak.Core.Alerts.Formats;

namespace Firebreak.Core.Tests.Alerts;

public class AlertFormatMutationTests
{
    private static readonly TimeSpan SlowParse = TimeSpan.FromSeconds(3);

    // One object every JSON format reads as an alert; "note" is a field none of them maps.
    private const string AnyFormatAlert =
        """{"source":"s","title":"t","category":"c","name":"n","AlertName":"a","finding_info":{"title":"t"},"Title":"t","note":"NOTE"}""";

    public static TheoryData<string, string> UnreadableText()
    {
        var data = new TheoryData<string, string>();
        foreach (var format in new[] { "generic", "ocsf", "asff", "guardduty", "defender", "scc" })
        {
            data.Add(format, "0xFF");
            data.Add(format, "0xED 0xA0 0x80");
            data.Add(format, "\\ud800");
            data.Add(format, "\\udc00\\ud800");
        }
        return data;
    }

    [Theory, MemberData(nameof(UnreadableText))]
    public void Parse_RefusesTextThatIsNotUtf8OrHoldsALoneSurrogate_NamingTheString(string formatName, string text)
    {
        var format = AlertFormats.Find(formatName)!;
        var bad = text.StartsWith("0x", StringComparison.Ordinal)
            ? text.Split(' ').Select(b => Convert.ToByte(b[2..], 16)).ToArray()
            : Encoding.UTF8.GetBytes(text);
        var parts = AnyFormatAlert.Split("NOTE");
        byte[] payload = [.. Encoding.UTF8.GetBytes(parts[0]), .. bad, .. Encoding.UTF8.GetBytes(parts[1])];
        byte[] inName = [.. Encoding.UTF8.GetBytes("{\"a"), .. bad, .. Encoding.UTF8.GetBytes("\":1," + AnyFormatAlert[1..])];

        var error = Assert.Throws<AlertFormatException>(() => format.Parse(payload));
        var nameError = Assert.Throws<AlertFormatException>(() => format.Parse(inName));

        Assert.Equal("$.note", error.Path);
        Assert.Contains("UTF-8", error.Message, StringComparison.Ordinal);
        Assert.Equal("$", nameError.Path);
    }

    [Fact]
    public void Ocsf_NamesTheJsonLine_OfTextThatIsNotUtf8()
    {
        var good = """{"class_uid":2004,"finding_info":{"title":"t"}}""";
        byte[] badText = [.. Encoding.UTF8.GetBytes(good + "\n" + good + "\n" + """{"class_uid":2004,"finding_info":{"title":"t"},"note":" """), 0xFF, .. "\"}"u8];
        byte[] badTextThenMalformed = [.. badText, .. "\n{"u8];

        var error = Assert.Throws<AlertFormatException>(() => new OcsfAlertFormat().Parse(badText));
        var firstError = Assert.Throws<AlertFormatException>(() => new OcsfAlertFormat().Parse(badTextThenMalformed));

        Assert.Equal("$[2].note", error.Path);
        Assert.Contains("UTF-8", firstError.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_ReadsAnEscapedSurrogatePair()
    {
        var alert = Assert.Single(new GenericAlertFormat().Parse(Encoding.UTF8.GetBytes("""{"source":"s","title":"fire \ud83d\udd25"}""")));

        Assert.Equal("fire \U0001F525", alert.Title);
    }

    [Fact]
    public void Parse_RefusesALoneSurrogate_InsideEmbeddedOrEncodedJson_NamingWhere()
    {
        var sentinel = """[{"AlertName":"a"},{"AlertName":"a","Entities":"[{\"Type\":\"ip\",\"Address\":\"\\ud800\"}]"}]""";
        var notification = Convert.ToBase64String([.. Encoding.UTF8.GetBytes("""{"finding":{"name":"n","category":"c"""), 0xFF, .. Encoding.UTF8.GetBytes("\"}}")]);
        var push = $$$"""{"message":{"data":"{{{notification}}}"}}""";

        var entities = Assert.Throws<AlertFormatException>(() => new DefenderAlertFormat().Parse(Encoding.UTF8.GetBytes(sentinel)));
        var data = Assert.Throws<AlertFormatException>(() => new SccAlertFormat().Parse(Encoding.UTF8.GetBytes(push)));

        Assert.Equal("$[1].Entities[0].Address", entities.Path);
        Assert.Equal("$.message.data.finding.category", data.Path);
    }

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
