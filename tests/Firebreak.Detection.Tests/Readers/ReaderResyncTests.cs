using System.Text;
using System.Text.Json;
using Firebreak.Detection.Readers;

namespace Firebreak.Detection.Tests.Readers;

/// <summary>
/// Files as responders get them, broken or joined: the reader reports what is broken once, where it is, and reads every
/// whole record around it.
/// </summary>
public sealed class ReaderResyncTests
{
    private static string Record(int i) =>
        $$"""{"eventVersion":"1.08","userIdentity":{"type":"IAMUser","arn":"arn:aws:iam::111122223333:user/u{{i}}","accountId":"111122223333"},"eventTime":"2026-01-01T00:00:00Z","eventSource":"s3.amazonaws.com","eventName":"GetObject","awsRegion":"us-east-1","sourceIPAddress":"198.51.100.{{i % 250}}","eventID":"ev-{{i}}"}""";

    private static string Pretty(int i) =>
        JsonSerializer.Serialize(JsonDocument.Parse(Record(i)).RootElement, new JsonSerializerOptions { WriteIndented = true });

    private static byte[] Utf8(string text) => Encoding.UTF8.GetBytes(text);

    /// <summary>
    /// `split -b 100M big.jsonl part_` (or `tail -c`) leaves every piece but the first starting in the middle of a line.
    /// That first partial line is one malformed line, not a sign that the file is no JSON: every whole line after it is read.
    /// </summary>
    [Theory]
    [InlineData("Name\":\"GetObject\",\"eventID\":\"x\"}")]   // cut inside a name: starts with a letter
    [InlineData("\"eventName\":\"GetObject\"}")]              // cut at a string: a top-level string, then ':'
    [InlineData("# exported by the SIEM, 2026-01-02")]       // a header line some exporters write
    public async Task JsonLinesPiece_StartingMidLine_ReadsEveryWholeLineAfterIt(string firstLine)
    {
        var content = firstLine + "\n" + string.Join('\n', Enumerable.Range(1, 5).Select(Record)) + "\n";
        var reader = new CloudLogReader();

        var events = await reader.ReadAllAsync(new MemoryStream(Utf8(content)), "part_ab");

        Assert.Equal(Enumerable.Range(1, 5).Select(i => $"ev-{i}"), events.Select(e => e.EventId));
        var problem = Assert.Single(reader.Summary.Problems);
        Assert.Equal(1, problem.Line);
    }

    /// <summary>
    /// `jq '.Records[]' delivery.json` writes records pretty-printed one after another. One record with a missing comma is
    /// one problem, at the record's first line, and the records after it keep their indexes: the rest of the broken
    /// record's lines are neither reported one by one nor counted as records.
    /// </summary>
    [Fact]
    public async Task PrettyPrintedRecordStream_WithOneMalformedRecord_ReportsItOnce_AndKeepsTheIndexesAfterIt()
    {
        var records = Enumerable.Range(0, 4).Select(Pretty).ToArray();
        records[1] = records[1].Replace("\"eventTime\": \"2026-01-01T00:00:00Z\",", "\"eventTime\": \"2026-01-01T00:00:00Z\"", StringComparison.Ordinal);
        var content = string.Join('\n', records) + "\n";
        var reader = new CloudLogReader();

        var events = await reader.ReadAllAsync(new MemoryStream(Utf8(content)), "jq-records.json");

        Assert.Equal(["ev-0", "ev-2", "ev-3"], events.Select(e => e.EventId));
        Assert.Equal([0L, 2L, 3L], events.Select(e => e.Origin!.RecordIndex));
        Assert.Single(reader.Summary.Problems);
        Assert.Equal(1, reader.Summary.Errors);
    }

    /// <summary>
    /// A CloudWatch Logs export (`2026-01-15T09:00:01.123Z {...}` lines) re-saved by Notepad or Windows PowerShell (UTF-8
    /// with a byte order mark, or UTF-16) is known by its content as the plain file is.
    /// </summary>
    [Theory]
    [InlineData("utf-8-bom")]
    [InlineData("utf-16le-bom")]
    public async Task CloudWatchExport_SavedWithAByteOrderMark_IsRead(string encoding)
    {
        var text = string.Concat(Enumerable.Range(0, 3).Select(i => "2026-01-15T09:00:01.123Z " + Record(i) + "\r\n"));
        byte[] bytes = encoding == "utf-8-bom"
            ? [.. Encoding.UTF8.GetPreamble(), .. Encoding.UTF8.GetBytes(text)]
            : [.. Encoding.Unicode.GetPreamble(), .. Encoding.Unicode.GetBytes(text)];
        var reader = new CloudLogReader();

        var events = await reader.ReadAllAsync(new MemoryStream(bytes), "000000.log");

        Assert.Equal(["ev-0", "ev-1", "ev-2"], events.Select(e => e.EventId));
        Assert.Equal(0, reader.Summary.Errors);
    }

    /// <summary>
    /// `cat a.json b.json > all.json` (or `copy /b`) of files saved with a UTF-8 BOM leaves a BOM at the start of the
    /// second file's first line. It is no part of the JSON, and that line's records are read.
    /// </summary>
    [Fact]
    public async Task ByteOrderMark_AtTheStartOfAJoinedFile_DoesNotCostItsRecords()
    {
        var bom = Encoding.UTF8.GetPreamble();
        byte[] content =
        [
            .. bom, .. Utf8("{\"Records\":[" + string.Join(',', Enumerable.Range(0, 3).Select(Record)) + "]}\n"),
            .. bom, .. Utf8("{\"Records\":[" + string.Join(',', Enumerable.Range(3, 3).Select(Record)) + "]}\n"),
        ];
        var reader = new CloudLogReader();

        var events = await reader.ReadAllAsync(new MemoryStream(content), "joined.json");

        Assert.Equal(Enumerable.Range(0, 6).Select(i => $"ev-{i}"), events.Select(e => e.EventId));
    }

    /// <summary>
    /// Delivery files one to a line (joined wrapper files), one cut short (a partial download): the cut one is reported
    /// at its own line, and the whole one on the next line is read.
    /// </summary>
    /// <remarks>Also read a few bytes at a time, as from a pipe: the buffer then starts where the cut file does.</remarks>
    [Theory]
    [InlineData(1 << 20)]
    [InlineData(5)]
    [InlineData(97)]
    public async Task LinesOfDeliveryFiles_OneCutShort_TheDeliveryOnTheNextLineIsRead(int readBytes)
    {
        static string Delivery(int from) => "{\"Records\":[" + string.Join(',', Enumerable.Range(from, 3).Select(Record)) + "]}";
        var cut = Delivery(3);
        var content = Delivery(0) + "\n" + cut[..(cut.Length / 2)] + "\n" + Delivery(6) + "\n";
        var reader = new CloudLogReader();

        var events = await reader.ReadAllAsync(new TrickleStream(Utf8(content), readBytes), "deliveries.json");

        Assert.Equal(["ev-0", "ev-1", "ev-2", "ev-3", "ev-6", "ev-7", "ev-8"], events.Select(e => e.EventId));
        Assert.Equal(2, Assert.Single(reader.Summary.Problems).Line);
    }

    /// <summary>
    /// A partial download cut inside a string, joined with the next delivery file on the next line: that file's records
    /// hold escaped quotes and brackets in strings (policy documents, user agents), which a framer pairing quotes across
    /// the line break misreads. JSON strings hold no raw line break, so the cut string ends there and the next line is
    /// read as the next file, whatever the size of the reads and however the records' ends are searched for.
    /// </summary>
    [Theory]
    [MemberData(nameof(CutsInsideAString))]
    public async Task LinesOfDeliveryFiles_OneCutInsideAString_TheNextFileIsReadWhole(bool wrapped, int whichString, int readBytes, string scan)
    {
        static string Quoted(int i) => Record(i).Replace("\"eventTime\"", $"\"userAgent\":\"tool \\\"x{i}\\\" [{{\",\"eventTime\"", StringComparison.Ordinal);
        string Delivery(int from) => (wrapped ? "{\"Records\":[" : "[") + string.Join(',', Enumerable.Range(from, 3).Select(Quoted)) + (wrapped ? "]}" : "]");
        var cut = Delivery(3);
        // Inside the user agent of the cut file's first, second or third record, or inside its first record's ARN.
        var inside = whichString switch
        {
            3 => cut.IndexOf("user/u3", StringComparison.Ordinal) + 3,
            // Just after the backslash of an escaped quote: it escapes nothing, the line having ended.
            4 => cut.IndexOf("\\\"x3", StringComparison.Ordinal) + 1,
            var n => cut.IndexOf("[{\",\"eventTime", cut.IndexOf($"x{3 + n}", StringComparison.Ordinal), StringComparison.Ordinal) + 1,
        };
        var content = Delivery(0) + "\n" + cut[..inside] + "\n" + Delivery(6) + "\n" + Delivery(9) + "\n";
        var reader = new CloudLogReader(new ReaderOptions { FramerScan = Enum.Parse<FramerScan>(scan) });

        var events = await reader.ReadAllAsync(new TrickleStream(Utf8(content), readBytes), "deliveries.json");

        var beforeTheCut = whichString >= 3 ? 0 : whichString;
        string[] expected = [.. Enumerable.Range(0, 3 + beforeTheCut).Concat(Enumerable.Range(6, 6)).Select(i => $"ev-{i}")];
        Assert.Equal(expected, events.Select(e => e.EventId));
        var problem = Assert.Single(reader.Summary.Problems);
        Assert.Equal(2, problem.Line);
        Assert.Contains("does not end on its line", problem.Reason, StringComparison.Ordinal);
    }

    public static TheoryData<bool, int, int, string> CutsInsideAString()
    {
        var data = new TheoryData<bool, int, int, string>();
        foreach (var wrapped in new[] { true, false })
        {
            for (var whichString = 0; whichString < 5; whichString++)
            {
                foreach (var (readBytes, scan) in new[] { (1 << 20, "Vector256"), (1 << 20, "Vector128"), (1 << 20, "Bytes"), (7, "Vector256"), (64, "Vector256"), (333, "Bytes") })
                {
                    data.Add(wrapped, whichString, readBytes, scan);
                }
            }
        }

        return data;
    }

    [Theory]
    [InlineData("[R0]\n[R1\n[R2]\n")]
    [InlineData("[R0]\n[R1,{\"eventVersion\":\"1.08\",\n[R2]\n")]
    public async Task LinesOfBareArrays_OneCutShort_TheArrayOnTheNextLineIsRead(string shape)
    {
        var content = Enumerable.Range(0, 3).Aggregate(shape, (text, i) => text.Replace($"R{i}", Record(i), StringComparison.Ordinal));
        var reader = new CloudLogReader();

        var events = await reader.ReadAllAsync(new MemoryStream(Utf8(content)), "arrays.json");

        // The second array is cut after its whole first record, or inside its second: no whole record is lost.
        Assert.Equal(["ev-0", "ev-1", "ev-2"], events.Select(e => e.EventId));
        Assert.Equal(2, Assert.Single(reader.Summary.Problems).Line);
    }

    /// <summary>
    /// A truncated array written over many lines with nothing indented (Python's <c>json.dumps(indent=0)</c>): its nested
    /// objects open lines too, and none of them is taken for a record of its own or a new file.
    /// </summary>
    [Theory]
    [InlineData("[\n{\n\"eventID\": \"ev-0\",\n\"eventName\": \"GetObject\",\n\"eventSource\": \"s3.amazonaws.com\",\n\"eventTime\": \"2026-01-01T00:00:00Z\"\n},\n{\n\"a\": [\n{\n\"b\": 1\n}\n],\n\"c\": 2\n")]
    [InlineData("{\"Records\": [\n{\n\"eventID\": \"ev-0\",\n\"eventName\": \"GetObject\",\n\"eventSource\": \"s3.amazonaws.com\",\n\"eventTime\": \"2026-01-01T00:00:00Z\"\n},\n{\n\"a\": [\n{\n\"b\": 1\n}\n],\n\"c\": 2\n")]
    public async Task AnUnindentedArrayCutShort_IsOneProblem_AndNoNestedObjectBecomesARecord(string content)
    {
        var reader = new CloudLogReader();

        var events = await reader.ReadAllAsync(new MemoryStream(Utf8(content)), "unindented.json");

        Assert.Equal(["ev-0"], events.Select(e => e.EventId));
        var problem = Assert.Single(reader.Summary.Problems);
        Assert.Contains("truncated", problem.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public async Task LinesOfDeliveryFiles_TheFirstCutShort_TheNextIsRead()
    {
        static string Delivery(int from) => "{\"Records\":[" + string.Join(',', Enumerable.Range(from, 3).Select(Record)) + "]}";
        var cut = Delivery(0);
        var content = cut[..(cut.Length / 2)] + "\n" + Delivery(3) + "\n";
        var reader = new CloudLogReader();

        var events = await reader.ReadAllAsync(new MemoryStream(Utf8(content)), "deliveries.json");

        Assert.Equal(["ev-0", "ev-3", "ev-4", "ev-5"], events.Select(e => e.EventId));
        Assert.Equal(1, Assert.Single(reader.Summary.Problems).Line);
    }

    /// <summary>
    /// A delivery file cut between two records, or a line holding only an array's start among JSON lines: the records
    /// before were whole, and the next line opens a record or a wrapper. The rest of the file was skipped.
    /// </summary>
    [Theory]
    [InlineData("{\"Records\":[R0,R1\n{\"Records\":[R2,R3]}\n", 1)]
    [InlineData("{\"Records\":[R0\n{\"Records\":[R1,R2]}\n{\"Records\":[R3]}\n", 1)]
    [InlineData("R0\n{\"Records\":[\nR1\nR2\nR3\n", 3)]
    [InlineData("[\nR0\nR1\nR2\nR3\n", 2)]
    public async Task AnArrayThatDoesNotCloseBeforeTheNextLineOpensOne_LosesNoRecord(string shape, int line)
    {
        var content = Enumerable.Range(0, 4).Aggregate(shape, (text, i) => text.Replace($"R{i}", Record(i), StringComparison.Ordinal));
        var reader = new CloudLogReader();

        var events = await reader.ReadAllAsync(new MemoryStream(Utf8(content)), "joined.json");

        Assert.Equal(["ev-0", "ev-1", "ev-2", "ev-3"], events.Select(e => e.EventId));
        var problem = Assert.Single(reader.Summary.Problems);
        Assert.Equal(line, problem.Line);
        Assert.Contains("does not close before the next line", problem.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public async Task PrettyPrintedRecordStream_TheFirstRecordBroken_TheOthersAreRead()
    {
        var records = Enumerable.Range(0, 3).Select(Pretty).ToArray();
        records[0] = records[0].Replace("\"eventTime\": \"2026-01-01T00:00:00Z\",", "\"eventTime\": \"2026-01-01T00:00:00Z\"", StringComparison.Ordinal);
        var reader = new CloudLogReader();

        var events = await reader.ReadAllAsync(new MemoryStream(Utf8(string.Join('\n', records) + "\n")), "jq-records.json");

        Assert.Equal(["ev-1", "ev-2"], events.Select(e => e.EventId));
        Assert.Equal([1L, 2L], events.Select(e => e.Origin!.RecordIndex));
        Assert.Equal(1, Assert.Single(reader.Summary.Problems).Line);
    }

    [Fact]
    public async Task PrettyPrintedRecordStream_TheLastRecordBroken_IsReportedOnce()
    {
        var records = Enumerable.Range(0, 3).Select(Pretty).ToArray();
        records[2] = records[2].Replace("\"eventTime\": \"2026-01-01T00:00:00Z\",", "\"eventTime\": \"2026-01-01T00:00:00Z\"", StringComparison.Ordinal);
        var reader = new CloudLogReader();

        var events = await reader.ReadAllAsync(new MemoryStream(Utf8(string.Join('\n', records) + "\n")), "jq-records.json");

        Assert.Equal(["ev-0", "ev-1"], events.Select(e => e.EventId));
        Assert.Single(reader.Summary.Problems);
    }

    [Theory]
    // Pieces of `split -b` of a JSON-lines file, read from disk: the decoder's first read holds only the few bytes it
    // peeked at, so the lines after a broken first line were not buffered yet when it was judged.
    [InlineData(700)]
    [InlineData(1501)]
    [InlineData(4099)]
    public async Task SplitPiecesOnDisk_EveryWholeLineIsRead(int cut)
    {
        var folder = Directory.CreateTempSubdirectory("split-");
        try
        {
            var whole = Utf8(string.Concat(Enumerable.Range(0, 400).Select(i => Record(i) + "\n")));
            for (var at = 0; at * cut < whole.Length; at++)
            {
                await File.WriteAllBytesAsync(Path.Combine(folder.FullName, $"part_{at:D4}"), whole.AsSpan(at * cut, Math.Min(cut, whole.Length - (at * cut))).ToArray(), TestContext.Current.CancellationToken);
            }

            var reader = new CloudLogReader();
            var events = await reader.ReadAllAsync(folder.FullName);

            // Every line that lies whole in one piece is read; a line cut in two costs itself, reported in each piece.
            var wholeIds = new HashSet<string>(StringComparer.Ordinal);
            var start = 0;
            for (var i = 0; i < whole.Length; i++)
            {
                if (whole[i] != (byte)'\n') continue;
                // Whole when its text lies in one piece (its newline may open the next: a last line needs none).
                if (start / cut == (i - 1) / cut) wholeIds.Add(System.Text.Json.JsonDocument.Parse(whole.AsMemory(start, i - start)).RootElement.GetProperty("eventID").GetString()!);
                start = i + 1;
            }

            var read = events.Select(e => e.EventId!).ToHashSet(StringComparer.Ordinal);
            Assert.True(wholeIds.SetEquals(read), $"missing: {string.Join(", ", wholeIds.Except(read).Take(5))}; extra: {string.Join(", ", read.Except(wholeIds).Take(5))}");
            // Only a piece with no whole line (the last, short one) may be no JSON log at all.
            Assert.All(reader.Summary.Problems.Where(p => p.Reason.StartsWith("not a JSON log file", StringComparison.Ordinal)),
                p => Assert.DoesNotContain((byte)'\n', File.ReadAllBytes(p.Source).AsSpan()[..^1].ToArray()));
        }
        finally
        {
            folder.Delete(recursive: true);
        }
    }

    [Fact]
    public async Task AFileOfProse_IsStillOneProblem_NotOnePerLine()
    {
        var reader = new CloudLogReader();

        var events = await reader.ReadAllAsync(new MemoryStream(Utf8("MIT License\n\nCopyright (c) 2026\nPermission is hereby granted\n")), "LICENSE");

        Assert.Empty(events);
        Assert.StartsWith("not a JSON log file", Assert.Single(reader.Summary.Problems).Reason, StringComparison.Ordinal);
    }
}
