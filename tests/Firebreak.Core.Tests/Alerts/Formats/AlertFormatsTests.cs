using System.Text;
using Firebreak.Core.Alerts;
using Firebreak.Core.Alerts.Formats;
using static Firebreak.Core.Tests.Alerts.Formats.Fixture;

namespace Firebreak.Core.Tests.Alerts.Formats;

public class AlertFormatsTests
{
    public static TheoryData<string> JsonFormats => ["generic", "ocsf", "asff", "guardduty", "defender", "scc"];

    [Fact]
    public void All_HoldsEachFormatOnce_ByItsUrlName()
    {
        Assert.Equal(["generic", "ocsf", "asff", "guardduty", "defender", "scc", "cef"], AlertFormats.All.Select(f => f.Name));
        Assert.All(AlertFormats.All, f => Assert.Same(f, AlertFormats.Find(f.Name)));
        Assert.Same(AlertFormats.Find("guardduty"), AlertFormats.Find("GuardDuty"));
        Assert.Null(AlertFormats.Find("splunk"));
        Assert.False(AlertFormats.TryGet("splunk", out _));
        Assert.True(AlertFormats.TryGet("cef", out var cef));
        Assert.Equal("text/plain", cef.MediaType);
        Assert.All(AlertFormats.All.Where(f => f.Name != "cef"), f => Assert.Equal("application/json", f.MediaType));
    }

    [Theory, MemberData(nameof(JsonFormats))]
    public void Parse_ReportsMalformedJson_WithThePathAndNotAsUnsupported(string name)
    {
        var format = AlertFormats.Find(name)!;

        var error = Assert.Throws<AlertFormatException>(() => ParseText(format, """{"a":{"b":[1,2,}]}}"""));

        Assert.Equal("$.a.b[2]", error.Path);
        Assert.False(error.UnsupportedVersion);
    }

    [Theory]
    [InlineData("""{"a":1,}""", "$")]
    [InlineData("""{"a":{"b":"x" "c":1}}""", "$.a.b")]
    [InlineData("""{"list":[{"ok":true},{"ok":tru}]}""", "$.list[1].ok")]
    [InlineData("""{"a":"unterminated""", "$.a")]
    [InlineData("""[{"a":1}]trailing""", "$")]
    public void Parse_PointsMalformedJsonAtTheFailingMember(string payload, string path)
    {
        var error = Assert.Throws<AlertFormatException>(() => ParseText(new GenericAlertFormat(), payload));

        Assert.Equal(path, error.Path);
    }

    [Theory, MemberData(nameof(JsonFormats))]
    public void Parse_RejectsNestingDeeperThan64(string name)
    {
        var format = AlertFormats.Find(name)!;
        var payload = new string('[', 65) + new string(']', 65);

        var error = Assert.Throws<AlertFormatException>(() => ParseText(format, payload));

        Assert.Contains("deeper than 64", error.Message, StringComparison.Ordinal);
    }

    [Theory, MemberData(nameof(JsonFormats))]
    public void Parse_AcceptsNestingOf64(string name)
    {
        var format = AlertFormats.Find(name)!;
        var payload = new StringBuilder();
        // An alert whose own depth is 64: the root object plus 63 nested arrays in an ignored field.
        payload.Append("""{"source":"s","title":"t","category":"c","name":"n","AlertName":"a","finding_info":{"title":"t"},"Title":"t","deep":""");
        payload.Append('[', 63).Append(']', 63).Append('}');

        var alerts = ParseText(format, payload.ToString());

        Assert.Single(alerts);
    }

    [Theory, MemberData(nameof(JsonFormats))]
    public void Parse_RejectsEmptyPayloads(string name)
    {
        var error = Assert.Throws<AlertFormatException>(() => AlertFormats.Find(name)!.Parse(ReadOnlyMemory<byte>.Empty));

        Assert.Equal("$", error.Path);
    }

    [Theory]
    [InlineData("generic", """{"source":"s","title":"t"}""")]
    [InlineData("ocsf", """{"class_uid":2004,"finding_info":{"title":"t"}}""")]
    [InlineData("asff", """{"Id":"i","Title":"t"}""")]
    [InlineData("guardduty", """{"Id":"i","Title":"t"}""")]
    [InlineData("defender", """{"properties":{"alertDisplayName":"t"}}""")]
    [InlineData("scc", """{"name":"n","category":"c"}""")]
    public void Parse_RejectsMoreThanTenThousandAlerts_AndAcceptsExactlyTenThousand(string name, string alert)
    {
        var format = AlertFormats.Find(name)!;
        string Batch(int count) => "[" + string.Join(",", Enumerable.Repeat(alert, count)) + "]";

        var error = Assert.Throws<AlertFormatException>(() => ParseText(format, Batch(AlertPayloadLimits.MaxAlerts + 1)));
        var accepted = ParseText(format, Batch(AlertPayloadLimits.MaxAlerts));

        Assert.Contains("more than 10000", error.Message, StringComparison.Ordinal);
        Assert.Equal(AlertPayloadLimits.MaxAlerts, accepted.Count);
    }

    [Fact]
    public void Ocsf_RejectsMoreThanTenThousandJsonLines()
    {
        var line = """{"class_uid":2004,"finding_info":{"title":"t"}}""" + "\n";
        var payload = string.Concat(Enumerable.Repeat(line, AlertPayloadLimits.MaxAlerts + 1));

        var error = Assert.Throws<AlertFormatException>(() => ParseText(new OcsfAlertFormat(), payload));

        Assert.Contains("more than 10000", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("generic", """{"source":"s","title":"t"}""")]
    [InlineData("ocsf", """{"class_uid":2004,"finding_info":{"title":"t"}}""")]
    [InlineData("scc", """{"name":"n","category":"c"}""")]
    public void Parse_AcceptsAByteOrderMark(string name, string alert)
    {
        var payload = new byte[] { 0xEF, 0xBB, 0xBF }.Concat(Encoding.UTF8.GetBytes(alert)).ToArray();

        var parsed = Assert.Single(AlertFormats.Find(name)!.Parse(payload));

        Assert.Equal(alert, parsed.RawPayload);
    }

    public static TheoryData<string, string> OddShapes()
    {
        string[] payloads =
        [
            "null", "42", "\"text\"", "true", "[]", "[1]", "[null]", "[[]]", "{}",
            """{"alerts":null}""", """{"alerts":[null]}""", """{"Findings":null}""", """{"findings":{}}""",
            """{"value":[1]}""", """{"listFindingsResults":[{}]}""", """{"message":{}}""", """{"message":{"data":5}}""",
            """{"detail-type":1}""", """{"detail-type":"GuardDuty Finding","detail":[]}""",
            """{"detail-type":"Security Hub Findings - Imported","detail":{"findings":{}}}""",
            """{"finding":[],"resource":1}""", """{"properties":[]}""", """{"properties":{"entities":[1,"x",{"type":5}]}}""",
            """{"Entities":{},"AlertName":"a","Techniques":5}""", """{"AlertName":"a","Entities":"{}"}""",
            """{"source":"s","title":"t","principals":[1]}""", """{"source":"s","title":"t","detectedAt":"0001-01-01T00:00:00+01:00"}""",
            """{"Id":"x","Title":"t","CreatedAt":-99999999999999999,"time":99999999999999999}""", """{"source":["s"],"title":"t"}""",
            """{"class_uid":2004,"finding_info":[],"metadata":{"version":2},"cloud":"aws","resources":{}}""",
            """{"Id":"x","Title":"t","Severity":{"Normalized":"high"},"Resources":[{"Type":"AwsIamAccessKey","Details":[]}]}""",
            """{"Id":"x","Title":"t","Severity":99,"Service":{"EventFirstSeen":false}}""",
            """{"name":"n","category":"c","mitreAttack":{"primaryTechniques":[1,null]},"access":"x","eventTime":"soon"}""",
        ];
        var data = new TheoryData<string, string>();
        foreach (var format in AlertFormats.All.Where(f => f.Name != "cef"))
        {
            foreach (var payload in payloads)
            {
                data.Add(format.Name, payload);
            }
        }
        return data;
    }

    [Theory, MemberData(nameof(OddShapes))]
    public void Parse_AnswersOddShapes_WithAlertsOrAFormatError_NeverAnotherException(string name, string payload)
    {
        var format = AlertFormats.Find(name)!;

        var error = Record.Exception(() => ParseText(format, payload));

        Assert.True(error is null or AlertFormatException, $"{name} threw {error?.GetType().Name}: {error?.Message}");
    }

    [Fact]
    public void Parse_DeduplicatesObservables_IgnoringCase()
    {
        var alert = Assert.Single(ParseText(new GenericAlertFormat(),
            """{"source":"s","title":"t","observables":[{"type":"domain","value":"Evil.example"},{"type":"domain","value":"evil.example"},{"type":"ip","value":"192.0.2.1"},{"type":"ip","value":" 192.0.2.1 "}]}"""));

        Assert.Equal([Entity("domain", "Evil.example"), Entity("ip", "192.0.2.1")], alert.Observables);
    }
}
