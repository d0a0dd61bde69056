using System.IO.Compression;
using System.Text;
using System.Text.Json;
using Firebreak.Detection.Readers;

namespace Firebreak.Detection.Tests.Readers;

/// <summary>
/// A trail sent to CloudWatch Logs reaches responders in three shapes: an export to S3 (a line per log event, its time
/// before the message), a subscription's delivery to Firehose or Kinesis (gzip members of {"logEvents": [...]} objects,
/// one after another), and what `aws logs filter-log-events` prints ({"events": [...]}). Each record is the text of a
/// log event's message. All three were reported as malformed or of no known format.
/// </summary>
public sealed class CloudWatchLogsTests
{
    private static string Record(string name, string id) =>
        $$"""{"eventVersion":"1.08","eventTime":"2026-01-15T09:00:00Z","eventSource":"cloudtrail.amazonaws.com","eventName":"{{name}}","awsRegion":"us-east-1","userIdentity":{"type":"IAMUser","arn":"arn:aws:iam::111122223333:user/ops"},"eventID":"{{id}}","recipientAccountId":"111122223333"}""";

    private static byte[] Gzip(params string[] members)
    {
        using var output = new MemoryStream();
        foreach (var member in members)
        {
            // Firehose writes each record it was given as it came: here, one gzip member each.
            using var zip = new GZipStream(output, CompressionLevel.Fastest, leaveOpen: true);
            zip.Write(Encoding.UTF8.GetBytes(member));
        }

        return output.ToArray();
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task AnExportToS3_IsReadLineByLine_WithoutTheTimeBeforeEachRecord(bool gzip)
    {
        var lines = string.Join("\n",
            "2026-01-15T09:00:01.123Z " + Record("StopLogging", "a"),
            "2026-01-15T09:00:02Z " + Record("DeleteTrail", "b"),
            // No time: read as it is.
            Record("UpdateTrail", "c"),
            "2026-01-15T09:00:03.123456789Z " + Record("DescribeTrails", "d"),
            // A record cut short is reported on its own line, and the next is read.
            "2026-01-15T09:00:04.000Z {\"eventVersion\":\"1.08\",",
            "2026-01-15T09:00:05.000Z " + Record("GetTrail", "e")) + "\n";
        var bytes = gzip ? Gzip(lines) : Encoding.UTF8.GetBytes(lines);
        var reader = new CloudLogReader();

        var events = await reader.ReadAllAsync(new MemoryStream(bytes), "exportedlogs/task/stream/000000.gz");

        Assert.Equal(["a", "b", "c", "d", "e"], events.Select(e => e.EventId));
        Assert.Equal([1L, 2L, 3L, 4L, 6L], events.Select(e => e.Origin!.Line));
        Assert.Equal(new DateTimeOffset(2026, 1, 15, 9, 0, 0, TimeSpan.Zero), events[0].Time);
        var problem = Assert.Single(reader.Summary.Problems);
        Assert.Equal(5, problem.Line);
    }

    [Theory]
    // Read a few bytes at a time, a line's time can arrive in pieces.
    [InlineData(1)]
    [InlineData(7)]
    [InlineData(33)]
    public async Task AnExportReadInSmallPieces_LosesAndKeepsTheSameBytes(int piece)
    {
        var lines = "2026-01-15T09:00:01.123Z {\"a\":1}\n2026-01-15T09:00:02Z {\"b\":2}\n{\"c\":3}\n2026-01-15T09:00:03Z\n2026-01-15T09:00:04Z ";
        var stripped = new TimestampPrefixStream(new TrickleStream(Encoding.UTF8.GetBytes(lines), piece));
        var output = new MemoryStream();
        var buffer = new byte[piece];
        int read;
        while ((read = await stripped.ReadAsync(buffer, TestContext.Current.CancellationToken)) > 0)
        {
            output.Write(buffer, 0, read);
        }

        // A time with nothing after it but the line's end is no prefix; one followed by its space alone at the very end is.
        Assert.Equal("{\"a\":1}\n{\"b\":2}\n{\"c\":3}\n2026-01-15T09:00:03Z\n", Encoding.UTF8.GetString(output.ToArray()));
    }

    [Theory]
    [InlineData("2026-01-15T09:00:01Z {", 21)]
    [InlineData("2026-01-15T09:00:01.5Z {", 23)]
    [InlineData("2026-01-15T09:00:01.1234567890Z {", 0)]
    [InlineData("2026-01-15T09:00:01.Z {", 0)]
    [InlineData("2026-01-15 09:00:01Z {", 0)]
    [InlineData("2026-01-15T09:00:01+00:00 {", 0)]
    [InlineData("2026-01-15T09:00:01Z{", 0)]
    [InlineData("12345", 0)]
    public void ThePrefix_IsAUtcTimeAndOneSpace(string line, int length) =>
        Assert.Equal(length, TimestampPrefixStream.PrefixLength(Encoding.UTF8.GetBytes(line)));

    [Fact]
    public async Task ASubscriptionsDeliveries_OneAfterAnother_AreReadThroughTheirMessages()
    {
        static string Delivery(params (string Id, string Message)[] events) =>
            JsonSerializer.Serialize(new
            {
                messageType = "DATA_MESSAGE",
                owner = "111122223333",
                logGroup = "aws-cloudtrail-logs-111122223333",
                logStream = "111122223333_CloudTrail_us-east-1",
                subscriptionFilters = new[] { "to-firehose" },
                logEvents = events.Select(e => new { id = e.Id, timestamp = 1768467601123L, message = e.Message }),
            });
        var bytes = Gzip(
            Delivery(("1", Record("StopLogging", "a")), ("2", Record("DeleteTrail", "b"))),
            Delivery(("3", Record("UpdateTrail", "c")), ("4", "2 111122223333 eni-0a1b2c3d 10.0.0.5 10.0.1.9 443 49152 6 10 840 1768467601 1768467660 ACCEPT OK"), ("5", "CWL CONTROL MESSAGES are what this app calls its own lines")),
            // Sent when a subscription starts, to check its destination: no log, and nothing wrong.
            JsonSerializer.Serialize(new
            {
                messageType = "CONTROL_MESSAGE",
                owner = "CloudwatchLogs",
                logGroup = "",
                logStream = "",
                subscriptionFilters = Array.Empty<string>(),
                logEvents = new[] { new { id = "", timestamp = 1768467600000L, message = "CWL CONTROL MESSAGE: Checking health of destination Firehose." } },
            }));
        var reader = new CloudLogReader();

        var events = await reader.ReadAllAsync(new MemoryStream(bytes), "firehose/2026/01/15/09/delivery-1");

        Assert.Equal(["a", "b", "c"], events.Select(e => e.EventId));
        Assert.Equal(["StopLogging", "DeleteTrail", "UpdateTrail"], events.Select(e => e.Operation));
        Assert.Equal([3L, 4L], reader.Summary.Problems.Select(p => p.RecordIndex));
        Assert.All(reader.Summary.Problems, p => Assert.StartsWith("CloudWatch Logs event whose message is not a JSON object", p.Reason, StringComparison.Ordinal));
    }

    [Fact]
    public async Task AnExportsWriteTestObject_IsPassedBy_ButAFileOfThatNameHoldingLogsIsRead()
    {
        var check = Encoding.UTF8.GetBytes("Permission Check Successful");
        var notACheck = Encoding.UTF8.GetBytes("2026-01-15T09:00:01.123Z " + Record("StopLogging", "a") + "\n");
        var other = new CloudLogReader();
        var reader = new CloudLogReader();
        var misnamed = new CloudLogReader();
        var more = new CloudLogReader();

        Assert.Empty(await reader.ReadAllAsync(new MemoryStream(check), "s3://logs/exportedlogs/aws-logs-write-test"));
        // The phrase, then a record: not the object an export writes; read, and reported as the JSON it is not, not passed by.
        await more.ReadAllAsync(new MemoryStream([.. check, .. "\n"u8, .. Encoding.UTF8.GetBytes(Record("StopLogging", "b"))]), "exportedlogs/aws-logs-write-test");
        Assert.Single(more.Summary.Problems);
        Assert.Equal(["a"], (await other.ReadAllAsync(new MemoryStream(notACheck), "exportedlogs/aws-logs-write-test")).Select(e => e.EventId));
        await misnamed.ReadAllAsync(new MemoryStream(check), "exportedlogs/write-test.txt");

        Assert.Empty(reader.Summary.Problems);
        Assert.Empty(other.Summary.Problems);
        Assert.Single(misnamed.Summary.Problems);
    }

    [Fact]
    public async Task FilterLogEventsOutput_IsReadThroughItsMessages()
    {
        var output = JsonSerializer.Serialize(new
        {
            events = new[]
            {
                new { logStreamName = "111122223333_CloudTrail_us-east-1", timestamp = 1768467601123L, message = Record("StopLogging", "a"), ingestionTime = 1768467602000L, eventId = "3785" },
                new { logStreamName = "111122223333_CloudTrail_us-east-1", timestamp = 1768467601124L, message = Record("DeleteTrail", "b"), ingestionTime = 1768467602000L, eventId = "3786" },
            },
            searchedLogStreams = Array.Empty<object>(),
        });
        var reader = new CloudLogReader();

        var events = await reader.ReadAllAsync(new MemoryStream(Encoding.UTF8.GetBytes(output)), "filter-log-events.json");

        Assert.Empty(reader.Summary.Problems);
        Assert.Equal(["a", "b"], events.Select(e => e.EventId));
        Assert.Equal("111122223333", events[0].Account);
    }
}

