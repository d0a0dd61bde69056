using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using Firebreak.Core.Alerts;
using Firebreak.Core.Alerts.Formats;
using Firebreak.Testing;
using Fixture = Firebreak.Core.Tests.Alerts.Formats.Fixture;

namespace Firebreak.Core.Tests.Alerts;

/// <summary>
/// Seeded mutations of every format's sample payloads. Whatever the damage, a reader answers with valid
/// alerts or an <see cref="AlertFormatException"/> naming where (a JSON path or a CEF line) and why; it
/// never throws another exception, never takes long, and never drops or changes a good alert because
/// its neighbour in a batch was damaged: the request is refused naming the bad alert, or every other
/// alert is read exactly as before.
/// </summary>
public partial class AlertFormatMutationTests
{
    private const int Seed = 20261130;

    private static readonly (string Format, string Fixture)[] JsonSeeds =
    [
        ("generic", "generic-single.json"),
        ("generic", "generic-batch.json"),
        ("ocsf", "ocsf-detection-finding.json"),
        ("ocsf", "ocsf-findings.jsonl"),
        ("ocsf", "ocsf-security-finding-1.0.json"),
        ("asff", "asff-findings.json"),
        ("asff", "asff-eventbridge.json"),
        ("guardduty", "guardduty-getfindings.json"),
        ("guardduty", "guardduty-eventbridge.json"),
        ("defender", "defender-arm-alerts.json"),
        ("defender", "defender-sentinel-rows.json"),
        ("scc", "scc-list-findings.json"),
        ("scc", "scc-notification.json"),
        ("scc", "scc-pubsub-push.json"),
    ];

    public static TheoryData<string, string> JsonSeedData()
    {
        var data = new TheoryData<string, string>();
        foreach (var (format, fixture) in JsonSeeds)
        {
            data.Add(format, fixture);
        }
        return data;
    }

    public static TheoryData<string> JsonFormatNames() => ["generic", "ocsf", "asff", "guardduty", "defender", "scc"];

    // Raw JSON values put in place of every value of a seed: each wrong type, out-of-range numbers and
    // times, control characters, lone surrogates, bytes that are not UTF-8 and nesting past the limit.
    private static readonly (string Name, byte[] Json)[] ValueTokens =
    [
        .. new[]
        {
            "\"\"", "\"   \"", "\"x\"", "0", "-1", "1.5", "1e999", "-1e999", "99999999999999999999", "\"NaN\"", "\"-Infinity\"",
            "true", "false", "null", "{}", "[]", "[null,1,\"a\",{},[]]", "{\"a\":[{}]}", "[\"T1078\",\"T1078\"]",
            "\"0000-01-01T00:00:00Z\"", "\"0001-01-01T00:00:00+14:00\"", "\"9999-12-31T23:59:59-14:00\"", "\"99999-01-01T00:00:00Z\"",
            "\"2026-02-30T00:00:00Z\"", "\"yesterday\"", "-62135596800001", "253402300800000", "-9223372036854775808",
            "\"\\u0000\\u0007\\u001b\\u007f\\u0085\\u2028\\u202e\"", "\"\\ud800\"", "\"x\\udc00\\ud800y\"", "\"T1078\"", "\"1\"", "\"2.0\"",
            "\"[{\\\"Type\\\":\\\"ip\\\",\\\"Address\\\":\\\"10.0.0.1\\\"}]\"", "\"[[[[\"", "\"" + new string('[', 70) + new string(']', 70) + "\"",
            new string('[', 70) + new string(']', 70),
            string.Concat(Enumerable.Repeat("{\"a\":", 70)) + "1" + new string('}', 70),
        }.Select(json => (json, Encoding.UTF8.GetBytes(json))),
        ("0xFF in a string", [(byte)'"', 0xFF, (byte)'"']),
        ("truncated 2-byte sequence", [(byte)'"', (byte)'a', 0xC3, (byte)'"']),
        ("UTF-8 encoded surrogate", [(byte)'"', 0xED, 0xA0, 0x80, (byte)'"']),
        ("overlong slash", [(byte)'"', 0xC0, 0xAF, (byte)'"']),
    ];

    [Theory, MemberData(nameof(JsonSeedData))]
    public void JsonFieldMutations_AnswerWithAlertsOrANamedError(string formatName, string fixture)
    {
        var format = AlertFormats.Find(formatName)!;
        var seed = Fixture.Bytes(fixture);
        var failures = new List<string>();
        var count = 0;

        foreach (var mutant in FieldMutants(seed))
        {
            count++;
            Run(format, mutant, failures);
        }

        Assert.True(count > 200, $"only {count} mutants of {fixture}");
        AssertNoFailures(failures, count);
    }

    [Theory, MemberData(nameof(JsonSeedData))]
    public void JsonByteMutations_AnswerWithAlertsOrANamedError(string formatName, string fixture)
    {
        var format = AlertFormats.Find(formatName)!;
        var seed = Fixture.Bytes(fixture);
        var random = new Random(Seed + Array.FindIndex(JsonSeeds, s => s.Fixture == fixture));
        var failures = new List<string>();
        var count = 0;

        foreach (var mutant in ByteMutants(seed, random, Values(seed)))
        {
            count++;
            Run(format, mutant, failures);
        }

        AssertNoFailures(failures, count);
    }

    [Theory, MemberData(nameof(JsonSeedData))]
    public void JsonHugeValues_AnswerQuickly(string formatName, string fixture)
    {
        var format = AlertFormats.Find(formatName)!;
        var seed = Fixture.Bytes(fixture);
        var values = Values(seed);
        var random = new Random(Seed - Array.FindIndex(JsonSeeds, s => s.Fixture == fixture));
        var failures = new List<string>();
        var count = 0;

        var hugeString = Encoding.UTF8.GetBytes("\"" + new string('A', 1 << 20) + "\"");
        var hugeNumber = Encoding.UTF8.GetBytes("1" + new string('0', 100_000));
        var hugeExponent = Encoding.UTF8.GetBytes("1e" + new string('9', 10_000));
        var deepArrays = Encoding.UTF8.GetBytes(new string('[', 100_000) + new string(']', 100_000));
        var strings = values.Where(v => v.Kind == JsonTokenType.String).ToList();
        foreach (var value in strings.OrderBy(_ => random.Next()).Take(4))
        {
            count += 2;
            Run(format, Replace(seed, value, "a 1 MiB string", hugeString), failures);
            Run(format, Replace(seed, value, "a 100,000-level array", deepArrays), failures);
        }
        foreach (var value in values.Where(v => v.Kind == JsonTokenType.Number))
        {
            count += 2;
            Run(format, Replace(seed, value, "a 100,000-digit number", hugeNumber), failures);
            Run(format, Replace(seed, value, "a 10,000-digit exponent", hugeExponent), failures);
        }
        foreach (var array in values.Where(v => v.Kind == JsonTokenType.StartArray))
        {
            if (values.FirstOrDefault(v => v.Path == array.Path + "[0]" && v.Start > array.Start && v.End < array.End) is { } first)
            {
                count++;
                Run(format, Replace(seed, array, "up to 50,000 distinct elements", HugeArray(seed, first, 50_000)), failures);
            }
        }

        AssertNoFailures(failures, count);
    }

    [Theory, MemberData(nameof(JsonFormatNames))]
    public void DamagingOneAlertOfABatch_RefusesItByIndex_OrKeepsTheOthersExactly(string formatName)
    {
        var format = AlertFormats.Find(formatName)!;
        var failures = new List<string>();
        var count = 0;

        foreach (var (batch, alertsPath) in Batches(format))
        {
            var baseline = format.Parse(batch).Select(Describe).ToList();
            var alerts = AlertSpans(batch, alertsPath);
            Assert.Equal(alerts.Count, baseline.Count);
            Assert.True(alerts.Count >= 2, $"{formatName}: the batch holds {alerts.Count} alerts");
            var values = Values(batch);

            for (var k = 0; k < alerts.Count; k++)
            {
                var alert = alerts[k];
                foreach (var mutant in FieldMutants(batch, values.Where(v => v.Start >= alert.Start && v.End <= alert.End)))
                {
                    count++;
                    var outcome = Run(format, mutant, failures);
                    // In JSON lines, JSON that does not parse is named from $ with its line in the message (alert k is on line k + 1).
                    var namedByLine = alertsPath == "$#" && outcome.Error is { Path: { } path } && path.StartsWith('$')
                        && outcome.Error.Message.Contains($"(line {k + 1},", StringComparison.Ordinal);
                    if (outcome.Error is { } error && !IsAtOrUnder(error.Path, alert.Path) && !namedByLine)
                    {
                        failures.Add($"{mutant.Description}: the error names {error.Path}, not the damaged alert {alert.Path}: {error.Message}");
                    }
                    if (outcome.Alerts is { } parsed)
                    {
                        CompareNeighbours(mutant, parsed, baseline, k, failures, damagedMayBeAList: alertsPath == "$#");
                    }
                }
            }
        }

        AssertNoFailures(failures, count);
    }

    [Fact]
    public void DamagingThePubSubNotification_NamesAPathInsideTheMessageData()
    {
        var format = new SccAlertFormat();
        var notification = Fixture.Bytes("scc-notification.json");
        var failures = new List<string>();
        var count = 0;

        foreach (var mutant in FieldMutants(notification))
        {
            count++;
            var push = Encoding.UTF8.GetBytes($$"""{"message":{"data":"{{Convert.ToBase64String(mutant.Payload)}}"},"subscription":"s"}""");
            var outcome = Run(format, mutant with { Payload = push }, failures);
            if (outcome.Error is { } error && !IsAtOrUnder(error.Path, "$.message.data"))
            {
                failures.Add($"{mutant.Description}: the error names {error.Path}, not $.message.data: {error.Message}");
            }
        }

        AssertNoFailures(failures, count);
    }

    // ---- regressions for what the mutations found ----

    // One object every JSON format reads as an alert; "note" is a field none of them maps.
    private const string AnyFormatAlert =
        """{"source":"s","title":"t","category":"c","name":"n","AlertName":"a","finding_info":{"title":"t"},"Title":"t","note":"NOTE"}""";

    public static TheoryData<string, string> UnreadableText()
    {
        var data = new TheoryData<string, string>();
        foreach (var format in JsonFormatNames())
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

        // Linear, this takes well under a second; the quadratic de-duplication it replaced took 164 s.
        var alert = Assert.Single(HangGuard.Run(() => new GenericAlertFormat().Parse(Encoding.UTF8.GetBytes(payload)), "parsing 100,000 entities"));

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

    // ---- CEF ----

    private static readonly string[] CefLines =
        [.. Fixture.Text("cef-events.cef").Split('\n').Select(l => l.TrimEnd('\r')).Where(l => l.Length > 0)];

    private static readonly string[] CefValueTokens =
    [
        "", " ", "\\", "\\\\", "\\=", "=", " =x", "==", "|", "\\|", "\\n\\r\\t\\x", "a\\", "k=v=w", "x =y",
        "\u0000", "\u0007\u001b\u007f", "\r", "\u0085\u2028\u2029\u202e", "\uFFFD", "\uD800",
        "0", "-1", "1e999", "NaN", "99999999999999999999", "9223372036854775807", "253402300800000", "-62135596800001",
        "Jan 01 0001 00:00:00 +01:00", "Dec 31 9999 23:59:59 -14:00", "Dec 31 9999 23:59:59 +14:00", "Jan 01 0000 00:00:00",
        "Feb 29 2027 00:00:00", "Feb 29 2028 00:00:00", "Feb 29 12:00:00", "Feb 30 12:00:00", "Nov 28 99999 21:15:01",
        "Nov 28 2026 21:15:01 CET", "Nov 28 2026 25:00:00", "Nov 28 2026 21:15:01 +99:99", "Nov 28 2026 21:15:01 +0",
        "Nov 28 2026 21:15:01 +", "Nov 28 2026 21:15:01 UTC UTC", "2026-11-28T21:15:01Z", "Nov", "10.0.0.999", "::1%eth0",
        "cs1Label", "T1078,,T99999,t1078.001",
    ];

    private static readonly string[] CefSeverities =
        ["", " ", "-1", "11", "10", "0", "1e999", "NaN", "10.0", " 8 ", "VERY-HIGH", "very high", "Unknown", "99999999999", "\u0660", "８"];

    [Fact]
    public void CefMutations_AnswerWithAlertsOrANamedLine()
    {
        var format = new CefAlertFormat();
        var failures = new List<string>();
        var count = 0;

        foreach (var (line, index) in CefLines.Select((l, i) => (l, i)))
        {
            foreach (var (description, mutated) in CefLineMutants(line, new Random(Seed + index)))
            {
                count++;
                Run(format, new Mutant($"line {index + 1}: {description}", Encoding.UTF8.GetBytes(mutated)), failures);
            }
        }

        var whole = Fixture.Bytes("cef-events.cef");
        var random = new Random(Seed);
        foreach (var mutant in ByteMutants(whole, random, []))
        {
            count++;
            Run(format, mutant, failures);
        }

        AssertNoFailures(failures, count);
    }

    [Fact]
    public void CefDamagingOneLine_RefusesItByLine_OrKeepsTheOthersExactly()
    {
        var format = new CefAlertFormat();
        var baseline = format.Parse(Encoding.UTF8.GetBytes(string.Join('\n', CefLines))).Select(Describe).ToList();
        var failures = new List<string>();
        var count = 0;

        for (var k = 0; k < CefLines.Length; k++)
        {
            foreach (var (description, mutated) in CefLineMutants(CefLines[k], new Random(Seed + k)))
            {
                if (mutated.Contains('\n', StringComparison.Ordinal))
                {
                    continue; // a new line renumbers the ones after it
                }
                count++;
                var lines = CefLines.ToArray();
                lines[k] = mutated;
                var mutant = new Mutant($"line {k + 1}: {description}", Encoding.UTF8.GetBytes(string.Join('\n', lines)));
                var outcome = Run(format, mutant, failures);
                if (outcome.Error is { } error && error.Path != $"line {k + 1}" && !string.IsNullOrWhiteSpace(mutated))
                {
                    failures.Add($"{mutant.Description}: the error names {error.Path}, not line {k + 1}: {error.Message}");
                }
                if (outcome.Alerts is { } parsed && !string.IsNullOrWhiteSpace(mutated))
                {
                    CompareNeighbours(mutant, parsed, baseline, k, failures);
                }
            }
        }

        AssertNoFailures(failures, count);
    }

    [Fact]
    public void CefVeryLongLines_AnswerQuickly()
    {
        var format = new CefAlertFormat();
        var line = CefLines[0];
        var failures = new List<string>();
        string[] payloads =
        [
            line + " msg=" + new string('x', 4 << 20),
            line + " " + string.Join(' ', Enumerable.Range(0, 200_000).Select(i => $"k{i}=v{i}")),
            line + " cs1Label=Resource cs1=" + string.Join(',', Enumerable.Range(0, 100_000)),
            line + " msg=" + new string('=', 2 << 20),
            line + " msg=" + new string('\\', 2 << 20),
            line + " msg=" + string.Concat(Enumerable.Repeat("a=", 1 << 20)),
            "CEF:0" + new string('|', 2 << 20),
            "CEF:0|" + new string('\\', 2 << 20),
            new string('a', 4 << 20),
            new string(' ', 2 << 20) + line,
            string.Concat(Enumerable.Repeat(line + "\n", 10_001)),
            new string('\n', 2 << 20) + line,
            string.Concat(Enumerable.Repeat("\r\n", 1 << 20)),
        ];

        foreach (var (payload, i) in payloads.Select((p, i) => (p, i)))
        {
            Run(format, new Mutant($"long payload {i} ({payload.Length} chars)", Encoding.UTF8.GetBytes(payload)), failures);
        }

        AssertNoFailures(failures, payloads.Length);
    }

    private static IEnumerable<(string Description, string Line)> CefLineMutants(string line, Random random)
    {
        for (var i = 0; i < line.Length; i++)
        {
            if (line[i] == '|')
            {
                yield return ($"pipe {i} removed", line.Remove(i, 1));
                yield return ($"pipe {i} escaped", line.Insert(i, "\\"));
            }
        }
        for (var i = 0; i <= line.Length; i += 3)
        {
            yield return ($"backslash at {i}", line.Insert(i, "\\"));
            yield return ($"truncated at {i}", line[..i]);
        }
        yield return ("trailing backslash", line + "\\");
        yield return ("no extension", line[..(line.LastIndexOf('|') + 1)]);
        yield return ("extra pipe in the extension", line + " |x|y|");

        var header = HeaderBounds(line);
        for (var field = 0; field < header.Count; field++)
        {
            var (start, end) = header[field];
            yield return ($"header field {field} emptied", line[..start] + line[end..]);
            yield return ($"header field {field} with a control character", line[..start] + "\u0000\u001b" + line[end..]);
        }
        var (severityStart, severityEnd) = header[6];
        foreach (var severity in CefSeverities)
        {
            yield return ($"severity '{severity}'", line[..severityStart] + severity + line[severityEnd..]);
        }
        var (versionStart, versionEnd) = header[0];
        foreach (var version in new[] { "", "2", "-0", "01", "1.0", "99999999999" })
        {
            yield return ($"version '{version}'", line[..versionStart] + version + line[versionEnd..]);
        }

        var extensionStart = severityEnd + 1;
        foreach (Match pair in ExtensionKey().Matches(line, extensionStart))
        {
            var key = pair.Groups[1].Value;
            var valueStart = pair.Index + pair.Length;
            var next = ExtensionKey().Match(line, valueStart);
            var valueEnd = next.Success ? next.Index : line.Length;
            foreach (var token in CefValueTokens)
            {
                yield return ($"{key} = '{token}'", line[..valueStart] + token + line[valueEnd..]);
            }
            yield return ($"{key} without its key", line[..pair.Groups[1].Index] + line[(valueStart - 1)..]);
            yield return ($"{key} without its '='", line[..(valueStart - 1)] + line[valueStart..]);
            yield return ($"{key} twice", line + " " + line[pair.Groups[1].Index..valueEnd].TrimEnd() + "2");
        }

        const string controls = "\u0000\u0001\u0007\t\r\u001b\u007f\u0085\u2028\u202e\uFEFF";
        for (var i = 0; i < 40; i++)
        {
            var at = random.Next(line.Length + 1);
            yield return ($"control character at {at}", line.Insert(at, new string(controls[random.Next(controls.Length)], 1)));
        }
    }

    private static List<(int Start, int End)> HeaderBounds(string line)
    {
        var bounds = new List<(int, int)>();
        var start = line.IndexOf("CEF:", StringComparison.Ordinal) + 4;
        for (var i = start; i < line.Length && bounds.Count < 7; i++)
        {
            if (line[i] == '\\')
            {
                i++;
            }
            else if (line[i] == '|')
            {
                bounds.Add((start, i));
                start = i + 1;
            }
        }
        return bounds;
    }

    [GeneratedRegex(@"(?<=[ \t|])([A-Za-z0-9_.\[\]]+)=")]
    private static partial Regex ExtensionKey();

    // ---- mutants ----

    private sealed record Mutant(string Description, byte[] Payload);

    private sealed record Outcome(IReadOnlyList<IncomingAlert>? Alerts, AlertFormatException? Error);

    private sealed record JsonSpan(string Path, int Start, int End, JsonTokenType Kind, int MemberStart);

    private sealed class Frame(string path, int start, int memberStart, bool isArray)
    {
        public string Path { get; } = path;
        public int Start { get; } = start;
        public int MemberStart { get; } = memberStart;
        public bool IsArray { get; } = isArray;
        public int Count { get; set; }
    }

    /// <summary>Every value in the JSON (or JSON lines) with its path and byte range, and the member it belongs to.</summary>
    private static List<JsonSpan> Values(byte[] json)
    {
        var values = new List<JsonSpan>();
        var open = new Stack<Frame>();
        var reader = new Utf8JsonReader(json, new JsonReaderOptions { AllowMultipleValues = true, MaxDepth = 256 });
        string? name = null;
        var nameStart = -1;
        var roots = 0;

        (string Path, int MemberStart) Next()
        {
            if (open.Count == 0)
            {
                var root = roots++;
                return (root == 0 ? "$" : $"$#{root}", -1);
            }
            var parent = open.Peek();
            return parent.IsArray ? ($"{parent.Path}[{parent.Count++}]", -1) : ($"{parent.Path}.{name}", nameStart);
        }

        while (reader.Read())
        {
            switch (reader.TokenType)
            {
                case JsonTokenType.PropertyName:
                    name = reader.GetString();
                    nameStart = (int)reader.TokenStartIndex;
                    break;
                case JsonTokenType.StartObject or JsonTokenType.StartArray:
                    var (path, memberStart) = Next();
                    open.Push(new Frame(path, (int)reader.TokenStartIndex, memberStart, reader.TokenType == JsonTokenType.StartArray));
                    break;
                case JsonTokenType.EndObject or JsonTokenType.EndArray:
                    var frame = open.Pop();
                    var kind = frame.IsArray ? JsonTokenType.StartArray : JsonTokenType.StartObject;
                    values.Add(new JsonSpan(frame.Path, frame.Start, (int)reader.BytesConsumed, kind, frame.MemberStart));
                    break;
                default:
                    var (valuePath, valueMember) = Next();
                    values.Add(new JsonSpan(valuePath, (int)reader.TokenStartIndex, (int)reader.BytesConsumed, reader.TokenType, valueMember));
                    break;
            }
        }
        return values;
    }

    private static IEnumerable<Mutant> FieldMutants(byte[] json) => FieldMutants(json, Values(json));

    /// <summary>Each value replaced by every token; each member removed, and duplicated before and after with another value.</summary>
    private static IEnumerable<Mutant> FieldMutants(byte[] json, IEnumerable<JsonSpan> values)
    {
        foreach (var value in values)
        {
            foreach (var (name, token) in ValueTokens)
            {
                yield return Replace(json, value, name, token);
            }
            if (value.MemberStart < 0)
            {
                continue;
            }
            yield return RemoveMember(json, value);
            var member = Encoding.UTF8.GetString(json, value.MemberStart, value.Start - value.MemberStart);
            foreach (var other in new[] { "\"x\"", "7", "null" })
            {
                var duplicate = Encoding.UTF8.GetBytes(member + other);
                yield return new Mutant($"{value.Path} preceded by a duplicate {other}", [.. json[..value.MemberStart], .. duplicate, (byte)',', .. json[value.MemberStart..]]);
                yield return new Mutant($"{value.Path} followed by a duplicate {other}", [.. json[..value.End], (byte)',', .. duplicate, .. json[value.End..]]);
            }
        }
    }

    private static Mutant Replace(byte[] json, JsonSpan value, string description, byte[] token) =>
        new($"{value.Path} = {Preview(description)}", [.. json[..value.Start], .. token, .. json[value.End..]]);

    private static Mutant RemoveMember(byte[] json, JsonSpan value)
    {
        var start = value.MemberStart;
        var end = value.End;
        var after = end;
        while (after < json.Length && json[after] is (byte)' ' or (byte)'\n' or (byte)'\r' or (byte)'\t')
        {
            after++;
        }
        if (after < json.Length && json[after] == (byte)',')
        {
            end = after + 1;
        }
        else
        {
            var before = start - 1;
            while (before >= 0 && json[before] is (byte)' ' or (byte)'\n' or (byte)'\r' or (byte)'\t')
            {
                before--;
            }
            if (before >= 0 && json[before] == (byte)',')
            {
                start = before;
            }
        }
        return new Mutant($"{value.Path} removed", [.. json[..start], .. json[end..]]);
    }

    /// <summary>An array like the original with up to <paramref name="count"/> copies of its first element, each string made distinct.</summary>
    private static byte[] HugeArray(byte[] json, JsonSpan first, int count)
    {
        var element = json[first.Start..first.End];
        count = Math.Min(count, (4 << 20) / element.Length);
        var closingQuotes = Values(element).Where(v => v.Kind == JsonTokenType.String).Select(v => v.End - 1).ToHashSet();
        var result = new List<byte>(count * (element.Length + 8)) { (byte)'[' };
        for (var i = 0; i < count; i++)
        {
            if (i > 0)
            {
                result.Add((byte)',');
            }
            var suffix = Encoding.UTF8.GetBytes("-" + i.ToString(CultureInfo.InvariantCulture));
            for (var b = 0; b < element.Length; b++)
            {
                if (closingQuotes.Contains(b))
                {
                    result.AddRange(suffix);
                }
                result.Add(element[b]);
            }
        }
        result.Add((byte)']');
        return [.. result];
    }

    /// <summary>Truncations, flipped bytes, bytes that are not UTF-8 and raw control characters inside strings.</summary>
    private static IEnumerable<Mutant> ByteMutants(byte[] seed, Random random, List<JsonSpan> values)
    {
        for (var i = 0; i < 150; i++)
        {
            var at = random.Next(seed.Length);
            yield return new Mutant($"truncated at {at}", seed[..at]);
        }
        for (var i = 0; i < 400; i++)
        {
            var bytes = seed.ToArray();
            var flips = random.Next(1, 5);
            var where = new List<string>();
            for (var f = 0; f < flips; f++)
            {
                var at = random.Next(bytes.Length);
                bytes[at] = (byte)random.Next(256);
                where.Add($"{at}=0x{bytes[at]:X2}");
            }
            yield return new Mutant($"bytes set {string.Join(", ", where)}", bytes);
        }
        byte[][] inserts = [[0xFF], [0xC3], [0xED, 0xA0, 0x80], [0xC0, 0xAF], [0xF4, 0x90, 0x80, 0x80], [0x80], [0x00], [0x1B], [0x7F]];
        var strings = values.Where(v => v.Kind is JsonTokenType.String or JsonTokenType.PropertyName).ToList();
        if (strings.Count == 0)
        {
            for (var i = 0; i < 100; i++)
            {
                var at = random.Next(seed.Length + 1);
                var insert = inserts[random.Next(inserts.Length)];
                yield return new Mutant($"0x{Convert.ToHexString(insert)} inserted at {at}", [.. seed[..at], .. insert, .. seed[at..]]);
            }
            yield break;
        }
        foreach (var value in strings)
        {
            var insert = inserts[random.Next(inserts.Length)];
            var at = value.Start + 1 + random.Next(value.End - value.Start - 1);
            yield return new Mutant($"0x{Convert.ToHexString(insert)} inserted at {at} in {value.Path}", [.. seed[..at], .. insert, .. seed[at..]]);
        }
    }

    /// <summary>Every sample payload of a format as one batch in each of the format's list shapes, with where its alerts are.</summary>
    private static IEnumerable<(byte[] Batch, string AlertsPath)> Batches(IAlertFormat format)
    {
        var raws = JsonSeeds.Where(s => s.Format == format.Name)
            .SelectMany(s => format.Parse(Fixture.Bytes(s.Fixture)))
            .Select(a => a.RawPayload)
            .ToList();
        var list = "[" + string.Join(",\n", raws) + "]";
        yield return (Encoding.UTF8.GetBytes(list), "$");
        (string Envelope, string Path) shape = format.Name switch
        {
            "generic" => ($$"""{"schemaVersion":"1","alerts":{{list}}}""", "$.alerts"),
            "asff" or "guardduty" => ($$"""{"Findings":{{list}}}""", "$.Findings"),
            "defender" => ($$"""{"value":{{list}}}""", "$.value"),
            "scc" => ($$"""{"listFindingsResults":{{list}}}""", "$.listFindingsResults"),
            // JSON lines: each line is its own document, at $[line].
            _ => (string.Join("\n", raws.Select(r => r.ReplaceLineEndings(" "))), "$#"),
        };
        yield return (Encoding.UTF8.GetBytes(shape.Envelope), shape.Path);
    }

    private sealed record AlertSpan(string Path, int Start, int End);

    private static List<AlertSpan> AlertSpans(byte[] batch, string alertsPath)
    {
        var values = Values(batch);
        if (alertsPath == "$#")
        {
            return [.. values.Where(v => v.Path == "$" || Regex.IsMatch(v.Path, @"^\$#\d+$"))
                .OrderBy(v => v.Start)
                .Select((v, i) => new AlertSpan($"$[{i}]", v.Start, v.End))];
        }
        var element = new Regex("^" + Regex.Escape(alertsPath) + @"\[(\d+)\]$");
        return [.. values.Where(v => element.IsMatch(v.Path)).OrderBy(v => v.Start).Select(v => new AlertSpan(v.Path, v.Start, v.End))];
    }

    // ---- checks ----

    private static Outcome Run(IAlertFormat format, Mutant mutant, List<string> failures)
    {
        IReadOnlyList<IncomingAlert>? alerts = null;
        var watch = Stopwatch.StartNew();
        var thrown = Record.Exception(() => alerts = format.Parse(mutant.Payload));
        watch.Stop();

        var where = $"{format.Name}, {mutant.Description}";
        // Every mutant is at most a few megabytes: a linear reader answers in milliseconds.
        if (HangGuard.IsPast(watch.Elapsed))
        {
            failures.Add($"{where}: took {watch.ElapsedMilliseconds} ms");
        }
        if (thrown is not null and not AlertFormatException)
        {
            failures.Add($"{where}: threw {thrown.GetType().Name}: {thrown.Message}");
            return new Outcome(null, null);
        }
        if (thrown is AlertFormatException error)
        {
            CheckError(format, mutant.Payload, error, where, failures);
            return new Outcome(null, error);
        }
        foreach (var alert in alerts!)
        {
            CheckAlert(format, alert, where, failures);
        }
        return new Outcome(alerts, null);
    }

    private static void CheckError(IAlertFormat format, byte[] payload, AlertFormatException error, string where, List<string> failures)
    {
        if (string.IsNullOrWhiteSpace(error.Message) || error.Message.Length < 12
            || LeakedExceptionText().IsMatch(error.Message))
        {
            failures.Add($"{where}: the error gives no clear reason: '{error.Message}'");
        }
        if (string.IsNullOrWhiteSpace(error.Path))
        {
            failures.Add($"{where}: the error names no place: {error.Message}");
            return;
        }
        if (format is CefAlertFormat)
        {
            var lines = payload.Count(b => b == (byte)'\n') + 1;
            var line = CefLinePath().Match(error.Path);
            if (!line.Success || !int.TryParse(line.Groups[1].Value, CultureInfo.InvariantCulture, out var number) || number < 1 || number > lines)
            {
                failures.Add($"{where}: the error names '{error.Path}', not one of the {lines} lines: {error.Message}");
            }
        }
        else if (!error.Path.StartsWith('$'))
        {
            failures.Add($"{where}: the error names '{error.Path}', not a JSON path: {error.Message}");
        }
    }

    [GeneratedRegex(@"Exception|\bSystem\.[A-Z]")]
    private static partial Regex LeakedExceptionText();

    [GeneratedRegex(@"^line (\d+)$")]
    private static partial Regex CefLinePath();

    [GeneratedRegex(@"^T\d{4}(\.\d{3})?$")]
    private static partial Regex TechniqueId();

    /// <summary>What every alert a reader returns must be, however odd its payload.</summary>
    private static void CheckAlert(IAlertFormat format, IncomingAlert alert, string where, List<string> failures)
    {
        void Fail(string problem) => failures.Add($"{where}: {problem} in {Preview(alert.RawPayload)}");

        if (alert.Format != format.Name)
        {
            Fail($"format '{alert.Format}'");
        }
        if (string.IsNullOrWhiteSpace(alert.Source) || string.IsNullOrWhiteSpace(alert.Title))
        {
            Fail("a blank source or title");
        }
        if (!Enum.IsDefined(alert.Severity))
        {
            Fail($"severity {(int)alert.Severity}");
        }
        foreach (var time in new[] { alert.DetectedAt, alert.FirstSeenAt, alert.LastSeenAt })
        {
            if (time is { Offset.Ticks: not 0 })
            {
                Fail($"a time that is not UTC: {time:O}");
            }
        }
        if (alert.Techniques.Any(t => !TechniqueId().IsMatch(t)) || HasDuplicates(alert.Techniques))
        {
            Fail($"techniques [{string.Join(", ", alert.Techniques)}]");
        }
        if (alert.Resources.Any(r => string.IsNullOrWhiteSpace(r) || r != r.Trim()) || HasDuplicates(alert.Resources))
        {
            Fail($"resources [{Preview(string.Join(", ", alert.Resources))}]");
        }
        foreach (var entities in new[] { alert.Principals, alert.Observables })
        {
            if (entities.Any(e => string.IsNullOrWhiteSpace(e.Value) || e.Value != e.Value.Trim())
                || entities.GroupBy(e => (e.Type, e.Value.ToUpperInvariant())).Any(g => g.Count() > 1))
            {
                Fail($"entities [{Preview(string.Join(", ", entities))}]");
            }
        }
        if (alert.Observables.Any(o => o.Type == ObservableTypes.Ip && !IPAddress.TryParse(o.Value, out _)))
        {
            Fail("an ip observable that is not an address");
        }
        if (string.IsNullOrEmpty(alert.RawPayload))
        {
            Fail("an empty rawPayload");
        }
        else if (format is CefAlertFormat)
        {
            if (alert.RawPayload.Contains('\n', StringComparison.Ordinal) || !alert.RawPayload.Contains("CEF:", StringComparison.Ordinal))
            {
                Fail("a rawPayload that is not one CEF line");
            }
        }
        else
        {
            try
            {
                using var _ = JsonDocument.Parse(alert.RawPayload);
            }
            catch (JsonException ex)
            {
                Fail($"a rawPayload that is not JSON ({ex.Message})");
            }
        }
    }

    private static bool HasDuplicates(IEnumerable<string> values) =>
        values.GroupBy(v => v, StringComparer.OrdinalIgnoreCase).Any(g => g.Count() > 1);

    /// <summary>
    /// The alerts before and after the damaged one must be exactly as before. The damaged one may become
    /// several or none only where an element can itself be a list (a JSON line holding an array).
    /// </summary>
    private static void CompareNeighbours(Mutant mutant, IReadOnlyList<IncomingAlert> parsed, List<string> baseline, int damaged, List<string> failures, bool damagedMayBeAList = false)
    {
        var after = baseline.Count - damaged - 1;
        if (damagedMayBeAList ? parsed.Count < baseline.Count - 1 : parsed.Count != baseline.Count)
        {
            failures.Add($"{mutant.Description}: {parsed.Count} alerts instead of {baseline.Count}");
            return;
        }
        for (var i = 0; i < damaged; i++)
        {
            if (Describe(parsed[i]) != baseline[i])
            {
                failures.Add($"{mutant.Description}: alert {i} changed when alert {damaged} was damaged");
            }
        }
        for (var i = 1; i <= after; i++)
        {
            if (Describe(parsed[^i]) != baseline[^i])
            {
                failures.Add($"{mutant.Description}: alert {baseline.Count - i} changed when alert {damaged} was damaged");
            }
        }
    }

    private static string Describe(IncomingAlert alert) => JsonSerializer.Serialize(alert);

    private static bool IsAtOrUnder(string? path, string expected) =>
        path is not null && path.StartsWith(expected, StringComparison.Ordinal)
        && (path.Length == expected.Length || path[expected.Length] is '.' or '[');

    private static void AssertNoFailures(List<string> failures, int count)
    {
        if (failures.Count > 0)
        {
            Assert.Fail($"{failures.Count} of {count} mutants failed; the first ones:\n" + string.Join("\n", failures.Distinct().Take(25)));
        }
    }

    private static string Preview(string text)
    {
        var escaped = JsonSerializer.Serialize(text.Length > 160 ? text[..160] + "…" : text);
        return text.Length > 160 ? $"{escaped} ({text.Length} chars)" : escaped;
    }
}
