using System.Text.Json;
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
}
