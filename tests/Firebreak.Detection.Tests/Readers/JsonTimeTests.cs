using System.Text.Json;
using Firebreak.Detection.Readers;
using Firebreak.Detection.Readers.Mapping;

namespace Firebreak.Detection.Tests.Readers;

public class JsonTimeTests
{
    [Theory]
    [InlineData("\"2026-03-02T08:15:04Z\"", "2026-03-02T08:15:04+00:00")]
    [InlineData("\"2024-02-29T23:59:59Z\"", "2024-02-29T23:59:59+00:00")]
    [InlineData("\"2026-03-04 07:30:12.000\"", "2026-03-04T07:30:12+00:00")]
    [InlineData("\"2026-03-06T06:40:11.3300000+00:00\"", "2026-03-06T06:40:11.33+00:00")]
    [InlineData("\"2026-03-06T08:40:11+02:00\"", "2026-03-06T06:40:11+00:00")]
    [InlineData("1772611200000", "2026-03-04T08:00:00+00:00")]
    public void Time_ParsesProviderFormats_AsUtc(string json, string expected)
    {
        var time = JsonDocument.Parse(json).RootElement.Clone();

        var parsed = ((JsonElement?)time).Time();

        Assert.Equal(DateTimeOffset.Parse(expected, System.Globalization.CultureInfo.InvariantCulture), parsed);
        Assert.Equal(TimeSpan.Zero, parsed!.Value.Offset);
    }

    [Theory]
    [InlineData("\"2026-02-30T00:00:00Z\"")]
    [InlineData("\"2026-13-01T00:00:00Z\"")]
    [InlineData("\"yesterday\"")]
    [InlineData("true")]
    public void Time_RejectsInvalidValues(string json) =>
        Assert.Null(((JsonElement?)JsonDocument.Parse(json).RootElement.Clone()).Time());

    [Theory]
    [InlineData("""{"eventVersion":"1.08","eventTime":"0001-01-01T00:00:00Z","eventSource":"cloudtrail.amazonaws.com","eventName":"StopLogging","eventID":"ct-1"}""")]
    [InlineData("""{"eventVersion":"1.08","eventTime":"0001-01-01T00:00:00.000Z","eventSource":"cloudtrail.amazonaws.com","eventName":"StopLogging","eventID":"ct-2"}""")]
    [InlineData("""{"time":"0001-01-01T00:00:00Z","resourceId":"/SUBSCRIPTIONS/0B1C2D3E","operationName":"MICROSOFT.COMPUTE/VIRTUALMACHINES/WRITE","category":"Administrative","resultType":"Success"}""")]
    [InlineData("""{"eventDataId":"az-1","eventTimestamp":"0001-01-01T00:00:00Z","operationName":{"value":"Microsoft.Compute/virtualMachines/write"},"caller":"admin@contoso.example"}""")]
    [InlineData("""{"id":"si-1","createdDateTime":"0001-01-01T00:00:00Z","appId":"c44b4083","userPrincipalName":"erin@contoso.example","status":{"errorCode":0}}""")]
    [InlineData("""{"id":"au-1","activityDateTime":"0001-01-01T00:00:00Z","activityDisplayName":"Add user","loggedByService":"Core Directory","initiatedBy":{}}""")]
    [InlineData("""{"protoPayload":{"@type":"type.googleapis.com/google.cloud.audit.AuditLog","serviceName":"iam.googleapis.com","methodName":"SetIamPolicy"},"timestamp":"0001-01-01T00:00:00Z","insertId":"g-1"}""")]
    [InlineData("""{"class_uid":6003,"time":-62135596800,"api":{"operation":"StopLogging"}}""")]
    public async Task AYearOneTime_IsKeptAsUnknown_WithAWarning_InEveryFormat(string record)
    {
        // 0001-01-01T00:00:00Z is the value an unknown time takes, and the hunt shows its hits with no time; a record
        // that wrote it was kept so without the warning a record with no time at all gets.
        var reader = new CloudLogReader();

        var e = Assert.Single(await reader.ReadAllAsync(new MemoryStream(System.Text.Encoding.UTF8.GetBytes(record)), "year-one.json"));

        Assert.Equal(default, e.Time);
        var warning = Assert.Single(reader.Summary.Problems);
        Assert.Equal(ProblemSeverity.Warning, warning.Severity);
        Assert.EndsWith("kept with an unknown time", warning.Reason);
    }

    [Fact]
    public async Task TheFirstSecondAfterYearOnesStart_IsATime_NotAnUnknownOne()
    {
        const string Record = """{"eventVersion":"1.08","eventTime":"0001-01-01T00:00:01Z","eventSource":"cloudtrail.amazonaws.com","eventName":"StopLogging","eventID":"ct-1"}""";
        var reader = new CloudLogReader();

        var e = Assert.Single(await reader.ReadAllAsync(new MemoryStream(System.Text.Encoding.UTF8.GetBytes(Record)), "year-one.json"));

        Assert.Equal(new DateTimeOffset(1, 1, 1, 0, 0, 1, TimeSpan.Zero), e.Time);
        Assert.Empty(reader.Summary.Problems);
    }
}
