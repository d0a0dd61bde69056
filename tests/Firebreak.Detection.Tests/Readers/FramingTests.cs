using System.Text;
using Firebreak.Detection.Readers;

namespace Firebreak.Detection.Tests.Readers;

public class FramingTests
{
    // Brackets, quotes and backslashes inside strings must not confuse the framer's fast path.
    private const string Tricky = """x\"}]{[\\\\\"\\""";

    private static string Record(int i) =>
        $$$"""{"eventVersion":"1.08","eventTime":"2026-01-01T00:00:0{{{i % 10}}}Z","eventSource":"iam.amazonaws.com","eventName":"ListUsers","eventID":"id-{{{i}}}","userAgent":"{{{Tricky}}}","requestParameters":{"nested":[{"a":[1,2,{"b":"]}"}]}],"empty":{},"list":[]},"userIdentity":{"type":"IAMUser","arn":"arn:aws:iam::1:user/a"}}""";

    public static TheoryData<string, int> Shapes()
    {
        var data = new TheoryData<string, int>();
        foreach (var shape in new[] { "wrapper", "wrapper-pretty", "array", "lines", "wrapper-with-trailer", "graph", "concatenated" })
        {
            foreach (var buffer in new[] { 16, 17, 61, 4096 })
            {
                data.Add(shape, buffer);
            }
        }

        return data;
    }

    private static string Content(string shape, int count)
    {
        var records = Enumerable.Range(0, count).Select(Record).ToList();
        return shape switch
        {
            "wrapper" => "{\"Records\":[" + string.Join(',', records) + "]}",
            "wrapper-pretty" => "{\n  \"Records\" : [\n    " + string.Join(" ,\n    ", records) + "\n  ]\n}\n",
            "array" => "[" + string.Join(",", records) + "]",
            "lines" => string.Join("\r\n", records) + "\r\n",
            "wrapper-with-trailer" => "{\"QueryStatus\":\"FINISHED\",\"QueryResultRows\":[" + string.Join(',', records) + "] , \"NextToken\":\"abc]}\",\"Stats\":{\"x\":[1]}}",
            "graph" => "{\"@odata.context\":\"https://graph.microsoft.com/v1.0/$metadata#x\",\"value\":[" + string.Join(',', records) + "],\"@odata.nextLink\":null}",
            _ => "{\"Records\":[" + string.Join(',', records.Take(count / 2)) + "]}\n{\"Records\":[]}\n[]\n{\"Records\":[" + string.Join(',', records.Skip(count / 2)) + "]}",
        };
    }

    [Theory]
    [MemberData(nameof(Shapes))]
    public async Task EveryShape_AtEveryBufferSize_YieldsEveryRecordIntact(string shape, int bufferBytes)
    {
        var reader = new CloudLogReader(new ReaderOptions { ReadBufferBytes = bufferBytes, BatchBytes = 300 });

        var events = await reader.ReadAllAsync(new MemoryStream(Encoding.UTF8.GetBytes(Content(shape, 9))), shape);

        Assert.Empty(reader.Summary.Problems);
        Assert.Equal(Enumerable.Range(0, 9).Select(i => $"id-{i}"), events.Select(e => e.EventId));
        Assert.All(events, e => Assert.Equal("x\"}]{[\\\\\"\\", e.UserAgent));
        Assert.All(events, e => Assert.Equal("]}", e.RequestParameters!.Value.GetProperty("nested")[0].GetProperty("a")[2].GetProperty("b").GetString()));
    }

    [Theory]
    [InlineData("{\"Records\":[" + "{\"eventName\":\"A\"}" + ",42]}", "expected a record")]
    [InlineData("{\"Records\":[" + "{\"eventName\":\"A\"}" + " x]}", "expected ',' or ']'")]
    [InlineData("{\"Records\":[" + "{\"eventName\":\"A\"}" + "] x}", "expected ',' or '}'")]
    [InlineData("{\"Records\":[" + "{\"eventName\":\"A\"}" + ",", "truncated")]
    public async Task BrokenSeparators_AreReported(string content, string reason)
    {
        var reader = new CloudLogReader();

        await reader.ReadAllAsync(new MemoryStream(Encoding.UTF8.GetBytes(content)), "broken.json");

        Assert.Contains(reader.Summary.Problems, p => p.Reason.Contains(reason, StringComparison.Ordinal) && p.Severity == ProblemSeverity.Error);
    }

    [Fact]
    public async Task RawFilter_SkipsRecordsBeforeParsing_AndCountsThem()
    {
        var content = "{\"Records\":[" + string.Join(',', Enumerable.Range(0, 20).Select(i => Record(i).Replace("ListUsers", i % 5 == 0 ? "StopLogging" : "ListUsers", StringComparison.Ordinal))) + "]}";
        var reader = new CloudLogReader(new ReaderOptions { RawFilter = static record => record.IndexOf("\"StopLogging\""u8) >= 0 });

        var events = await reader.ReadAllAsync(new MemoryStream(Encoding.UTF8.GetBytes(content)), "filtered.json");

        Assert.Equal(["id-0", "id-5", "id-10", "id-15"], events.Select(e => e.EventId));
        Assert.Equal(16, reader.Summary.Filtered);
        Assert.Equal(4, reader.Summary.Events);
    }

    [Theory]
    [InlineData("wrapper")]
    [InlineData("array")]
    [InlineData("lines")]
    public async Task RawFilter_StillReportsTheMalformedAndNonUtf8RecordsItSkips(string shape)
    {
        // Framed records are parsed only when the pre-filter keeps them; one it skips is still checked, so a
        // damaged log does not read as clean because no rule could have matched the damaged record.
        var records = Enumerable.Range(0, 6).Select(i => Record(i).Replace("ListUsers", i == 4 ? "StopLogging" : "ListUsers", StringComparison.Ordinal)).ToList();
        records[1] = records[1].Replace("\"empty\":{}", "\"empty\":tru", StringComparison.Ordinal);
        records[2] = records[2].Replace("\"eventVersion\":\"1.08\"", "\"eventVersion\":\"1.08\",\"name\":\"caf\u00E9\"", StringComparison.Ordinal);
        var text = shape switch
        {
            "wrapper" => "{\"Records\":[" + string.Join(',', records) + "]}",
            "array" => "[" + string.Join(",\n", records) + "]",
            _ => string.Join('\n', records) + "\n",
        };
        var bytes = Encoding.UTF8.GetBytes(text).ToList();
        var accent = Encoding.UTF8.GetBytes("caf\u00E9\"");
        var at = Enumerable.Range(0, bytes.Count - accent.Length).First(i => bytes.Skip(i).Take(accent.Length).SequenceEqual(accent));
        bytes.RemoveRange(at + 3, 2);
        bytes.Insert(at + 3, 0xE9);
        var reader = new CloudLogReader(new ReaderOptions { RawFilter = static record => record.IndexOf("\"StopLogging\""u8) >= 0 });

        var events = await reader.ReadAllAsync(new MemoryStream([.. bytes]), "damaged.json");

        Assert.Equal(["id-4"], events.Select(e => e.EventId));
        Assert.Equal([1L, 2L], reader.Summary.Problems.Select(p => p.RecordIndex));
        Assert.Contains("tru", reader.Summary.Problems[0].Reason);
        Assert.Contains("not valid UTF-8", reader.Summary.Problems[1].Reason);
        Assert.Equal(2, reader.Summary.Errors);
        Assert.Equal(3, reader.Summary.Filtered);
    }

    [Theory]
    [InlineData(16, 1)]
    [InlineData(61, 1)]
    [InlineData(4096, 1)]
    [InlineData(4096, 2)]
    [InlineData(256 * 1024, 2)]
    public async Task JsonLines_AreFramedWithoutTokenising_YetWrappersPrettyRecordsAndMalformedLinesReadAsBefore(int bufferBytes, int cores)
    {
        // A line of JSON lines is framed by the fast path, and handed back to the tokenising reader when it is
        // not a whole line or may hold a wrapper's array; its syntax is then checked where it is mapped, also when
        // the pre-filter skips it unparsed, so a malformed line is reported whatever the rules are.
        string Keep(int i) => Record(i).Replace("ListUsers", "KeepMe", StringComparison.Ordinal);
        var lines = new List<string>
        {
            Keep(0),
            Record(1),
            "{\"Records\":[" + Keep(2) + "," + Record(3) + "]}",
            "{\"eventVersion\": nope1}",
            Keep(4).Replace("\"empty\":{}", "\"tags\":[{\"key\":\"k\",\"value\":\"v\"}],\"grid\":{\"value\" : [1,2]}", StringComparison.Ordinal),
            "{\"eventVersion\": nope2, \"eventName\":\"KeepMe\"}",
            Keep(5).Replace("{\"eventVersion\":", "{\n  \"eventVersion\":", StringComparison.Ordinal),
            Keep(6).Replace("\"empty\"", "\"\\u0065mpty\"", StringComparison.Ordinal),
            "{\"value\":[" + Keep(7) + "]}",
            Keep(8),
        };
        var content = string.Join("\n", lines) + "\n";
        var reader = new CloudLogReader(new ReaderOptions
        {
            ReadBufferBytes = bufferBytes,
            BatchBytes = 300,
            MaxDegreeOfParallelism = cores,
            RawFilter = static record => record.IndexOf("KeepMe"u8) >= 0,
        });

        var events = await reader.ReadAllAsync(new MemoryStream(Encoding.UTF8.GetBytes(content)), "mixed.jsonl");

        Assert.Equal(["id-0", "id-2", "id-4", "id-5", "id-6", "id-7", "id-8"], events.Select(e => e.EventId));
        Assert.Equal("v", events.Single(e => e.EventId == "id-4").RequestParameters!.Value.GetProperty("tags")[0].GetProperty("value").GetString());

        // The malformed lines: the first is skipped by the pre-filter unparsed, the second fails to parse; both are
        // reported as the tokenising reader reports a malformed line, with their lines, in the order of the input.
        var problems = cores == 1 ? reader.Summary.Problems.ToList() : [.. reader.Summary.Problems.OrderBy(p => p.Line)];
        Assert.Equal([4L, 6L], problems.Select(p => p.Line));
        Assert.All(problems, p => Assert.EndsWith("; skipped to the next line", p.Reason));
        Assert.All(problems, p => Assert.StartsWith("malformed JSON: ", p.Reason));
        Assert.Contains("nope1", problems[0].Reason);
        Assert.Contains("nope2", problems[1].Reason);
        Assert.Equal(2, reader.Summary.Errors);
        Assert.Equal(2, reader.Summary.Filtered);
    }

    [Theory]
    [InlineData(4096, "Vector256")]
    [InlineData(256 * 1024, "Vector256")]
    [InlineData(4096, "Vector128")]
    [InlineData(4096, "Bytes")]
    public async Task BracketsAndQuotesInStrings_AcrossEveryBlockBoundary_FrameEveryRecordIntact(int bufferBytes, string scan)
    {
        // The fast path scans 64 bytes at a time; strings full of brackets, with and without escapes,
        // of every length and at every offset, must neither end a record early nor run past its end.
        var random = new Random(20261130);
        const string Alphabet = "ab{}[] :,";
        var expected = new List<(string Agent, int Depth)>();
        var records = new List<string>();
        for (var i = 0; i < 600; i++)
        {
            var agent = new StringBuilder();
            var json = new StringBuilder();
            for (var c = random.Next(1, 160); c > 0; c--)
            {
                var pick = random.Next(20);
                var ch = pick switch { 0 => '"', 1 => '\\', _ => Alphabet[random.Next(Alphabet.Length)] };
                agent.Append(ch);
                json.Append(ch is '"' or '\\' ? "\\" + ch : ch.ToString());
            }

            var depth = random.Next(1, 12);
            var nested = string.Concat(Enumerable.Repeat("{\"k\":[", depth)) + "\"]}[{\"" + string.Concat(Enumerable.Repeat("]}", depth));
            records.Add($$$"""{"eventTime":"2026-01-01T00:00:00Z","eventSource":"iam.amazonaws.com","eventName":"ListUsers","eventID":"id-{{{i}}}","pad":"{{{new string('p', random.Next(0, 64))}}}","userAgent":"{{{json}}}","requestParameters":{"n":{{{nested}}}}}""");
            expected.Add((agent.ToString(), depth));
        }

        var content = "{\"Records\":[" + string.Join(',', records) + "]}";
        var reader = new CloudLogReader(new ReaderOptions { ReadBufferBytes = bufferBytes, FramerScan = Enum.Parse<FramerScan>(scan) });

        var events = await reader.ReadAllAsync(new MemoryStream(Encoding.UTF8.GetBytes(content)), "brackets.json");

        Assert.Empty(reader.Summary.Problems);
        Assert.Equal(Enumerable.Range(0, 600).Select(i => $"id-{i}"), events.Select(e => e.EventId));
        Assert.Equal(expected.Select(e => e.Agent), events.Select(e => e.UserAgent));
        for (var i = 0; i < events.Count; i++)
        {
            var level = events[i].RequestParameters!.Value.GetProperty("n");
            for (var d = 1; d < expected[i].Depth; d++)
            {
                level = level.GetProperty("k")[0];
            }

            Assert.Equal("]}[{", level.GetProperty("k")[0].GetString());
        }
    }

    [Fact]
    public async Task EveryScan_SkipsTooDeepRecords_AndReportsBrokenInput_AsTheByteWiseScanDoes()
    {
        // Too-deep records (the limit is 8 here) on either side of a 64-byte block boundary, a record too
        // deep only inside a string, and a file cut off inside a record: every scan must keep, skip and
        // report exactly what the byte-wise scan does.
        var random = new Random(7);
        var records = Enumerable.Range(0, 200).Select(i =>
        {
            var depth = random.Next(1, 12);
            var pad = new string('p', random.Next(0, 70));
            return $$$"""{"eventTime":"2026-01-01T00:00:00Z","eventSource":"iam.amazonaws.com","eventName":"ListUsers","eventID":"id-{{{i}}}","pad":"{{{pad}}}","s":"{{{new string('[', 20)}}}","requestParameters":{{{string.Concat(Enumerable.Repeat("{\"k\":", depth))}}}1{{{new string('}', depth)}}}}""";
        });
        var content = "{\"Records\":[" + string.Join(',', records) + ",{\"eventName\":\"cut" + new string('x', 100);

        async Task<(List<string?> Ids, List<string> Problems)> Read(FramerScan scan)
        {
            var reader = new CloudLogReader(new ReaderOptions { MaxDepth = 8, FramerScan = scan });
            var events = await reader.ReadAllAsync(new MemoryStream(Encoding.UTF8.GetBytes(content)), "deep.json");
            return (events.Select(e => e.EventId).ToList(), reader.Summary.Problems.Select(p => $"{p.Line}:{p.RecordIndex}:{p.Reason}").ToList());
        }

        var expected = await Read(FramerScan.Bytes);
        Assert.InRange(expected.Ids.Count, 50, 190);
        Assert.Contains(expected.Problems, p => p.Contains("deeper than the maximum depth of 8", StringComparison.Ordinal));
        Assert.Contains(expected.Problems, p => p.Contains("truncated", StringComparison.Ordinal));
        foreach (var scan in new[] { FramerScan.Vector128, FramerScan.Vector256 })
        {
            var actual = await Read(scan);
            Assert.Equal(expected.Ids, actual.Ids);
            Assert.Equal(expected.Problems, actual.Problems);
        }
    }
}
