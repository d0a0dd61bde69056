using System.Collections.Concurrent;
using System.IO.Compression;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using Firebreak.Detection.Events;
using Firebreak.Detection.Hunting;
using Firebreak.Detection.Readers;
using Firebreak.Detection.Rules;
using Firebreak.Detection.Sigma;
using Firebreak.Detection.Simulation;
using Firebreak.Testing;

namespace Firebreak.Detection.Tests.Readers;

/// <summary>
/// Seeded mutations of real, fixture and simulated logs of every format, in every container shape.
/// Whatever the damage, a read must not throw, must name the source and a reason for each problem,
/// must keep every record the damage did not reach, with its event id and index, and must never lose
/// a record without reporting an error. Each failure message names the sample, shape, seed and
/// mutation, so it reproduces.
/// </summary>
public sealed class ReaderMutationTests(ReaderMutationTests.Corpus corpus) : IClassFixture<ReaderMutationTests.Corpus>
{
    private const int MaxRecordBytes = 256 * 1024;
    private const int MaxDepth = 64;

    private static readonly ReaderOptions Plain = new() { MaxRecordBytes = MaxRecordBytes, MaxDepth = MaxDepth };

    private static CancellationToken Token => TestContext.Current.CancellationToken;

    /// <summary>Which samples exist, and in which container shapes each can be written.</summary>
    private static readonly (string Name, string? Wrapper, bool Lines)[] Samples =
    [
        ("cloudtrail-fixtures", "Records", true),
        ("cloudtrail-simulated", "Records", true),
        ("cloudtrail-invictus", "Records", true),
        ("cloudtrail-lake-rows", "QueryResultRows", false),
        ("security-lake", null, true),
        ("azure-activity-fixtures", "records", true),
        ("azure-activity-simulated", "records", true),
        ("entra-fixtures", "value", true),
        ("entra-audit-otrf", "value", true),
        ("gcp-audit", null, true),
    ];

    public static TheoryData<string, string> SamplesInEveryShape()
    {
        var data = new TheoryData<string, string>();
        foreach (var (name, wrapper, lines) in Samples)
        {
            foreach (var shape in new[] { "delivery", "array", "lines" })
            {
                if ((shape == "delivery" && wrapper is null) || (shape == "lines" && !lines))
                {
                    continue;
                }

                data.Add(name, shape);
                data.Add(name, shape + ".gz");
            }
        }

        return data;
    }

    public static TheoryData<string> SampleNames()
    {
        var data = new TheoryData<string>();
        foreach (var sample in Samples)
        {
            data.Add(sample.Name);
        }

        return data;
    }

    private enum Expect
    {
        /// <summary>The record is still valid and must be read unchanged, with no problem.</summary>
        Survives,

        /// <summary>The record must be skipped with an error naming its index; every other record is read.</summary>
        Rejected,

        /// <summary>
        /// The record's structure is broken. JSON lines resume on the next line, so every other record is
        /// read; inside one array nothing after the record is guaranteed, only what came before it.
        /// </summary>
        Structural,
    }

    // 1. Damage confined to one record, of every kind, in every format and container shape.
    [Theory]
    [MemberData(nameof(SamplesInEveryShape))]
    public async Task DamageInOneRecord_CostsAtMostThatRecord(string sampleName, string shape)
    {
        var sample = corpus.Get(sampleName);
        var baseline = await BaselineAsync(sample, shape);
        var random = new Random(HashCode(sampleName + shape));
        var lines = shape.StartsWith("lines", StringComparison.Ordinal);
        var mutants = 0;
        for (var round = 0; round < 3; round++)
        {
            foreach (var (kind, expect, mutate) in RecordMutations(lines))
            {
                var target = random.Next(sample.Records.Count);
                var seed = random.Next();
                var mutated = mutate(sample.Records[target], new Random(seed));
                var what = $"{sampleName} as {shape}, record {target} {kind} (seed {seed})";
                var content = Render(sample, shape, target, mutated, out _);
                var outcome = await ReadEveryWayAsync(content, what, sample, target, baselineKeys: baseline.Keys);
                AssertConfined(outcome.Plain, baseline, target, expect, lines, what);
                mutants++;
            }
        }

        Assert.True(mutants >= 30, $"only {mutants} mutants were read");
    }

    // 1. Damage anywhere in the file: truncation, byte flips, encodings, nesting spliced in.
    [Theory]
    [MemberData(nameof(SamplesInEveryShape))]
    public async Task DamageAnywhereInTheFile_KeepsWhatCameBefore_AndReportsLosses(string sampleName, string shape)
    {
        var sample = corpus.Get(sampleName);
        var baseline = await BaselineAsync(sample, shape);
        var clean = Render(sample, shape.Replace(".gz", "", StringComparison.Ordinal), -1, null, out var ends);
        var gzip = shape.EndsWith(".gz", StringComparison.Ordinal);
        var lines = shape.StartsWith("lines", StringComparison.Ordinal);
        var random = new Random(HashCode(sampleName + shape + "file"));

        for (var i = 0; i < 12; i++)
        {
            // Truncation: exactly the records that end before the cut are read.
            var cut = random.Next(1, clean.Length);
            var what = $"{sampleName} as {shape}, cut at byte {cut} of {clean.Length}";
            var outcome = await ReadEveryWayAsync(Pack(clean[..cut], gzip), what, sample, target: null);
            var whole = ends.Count(e => e <= cut);
            Assert.True(outcome.Plain.Keys.SequenceEqual(baseline.Keys.Take(whole)), $"{what}: read {Describe(outcome.Plain.Keys)}, expected the first {whole} records");
            var insideRecord = ends.Select((end, r) => (Start: end - sample.Records[r].Length, End: end)).Any(r => cut > r.Start && cut < r.End);
            if (insideRecord || (!lines && cut < clean.AsSpan().TrimEnd(" \r\n"u8).Length))
            {
                Assert.True(outcome.Plain.Errors > 0, $"{what}: the cut went unreported");
            }

            // Byte flips: the records before the first flip are read; a record lost is reported.
            var flips = random.Next(1, 4);
            var flipped = (byte[])clean.Clone();
            var first = int.MaxValue;
            for (var f = 0; f < flips; f++)
            {
                var at = random.Next(clean.Length);
                flipped[at] ^= (byte)random.Next(1, 256);
                first = Math.Min(first, at);
            }

            what = $"{sampleName} as {shape}, {flips} byte flips from byte {first}";
            outcome = await ReadEveryWayAsync(Pack(flipped, gzip), what, sample, target: null);
            AssertPrefixAndLossesReported(outcome.Plain, baseline, ends.Count(e => e <= first), what);

            // Nesting far deeper than any record may have, spliced in anywhere.
            var at2 = random.Next(clean.Length);
            var depth = random.Next(2) == 0 ? MaxDepth + random.Next(1, 50) : 120_000;
            var open = random.Next(2) == 0 ? "[" : "{\"a\":";
            byte[] nested = [.. clean[..at2], .. Encoding.UTF8.GetBytes(string.Concat(Enumerable.Repeat(open, depth))), .. clean[at2..]];
            what = $"{sampleName} as {shape}, {depth} x '{open}' spliced in at byte {at2}";
            outcome = await ReadEveryWayAsync(Pack(nested, gzip), what, sample, target: null);
            AssertPrefixAndLossesReported(outcome.Plain, baseline, ends.Count(e => e <= at2), what);
        }

        // Byte order marks and stray bytes before the content.
        var withUtf8Bom = await ReadEveryWayAsync(Pack([0xEF, 0xBB, 0xBF, .. clean], gzip), $"{sampleName} as {shape} with a UTF-8 BOM", sample, target: null);
        Assert.Equal(baseline.Keys, withUtf8Bom.Plain.Keys);
        Assert.Empty(withUtf8Bom.Plain.Problems);
        foreach (var (prefix, label) in new[] { ((byte[])[0xFF, 0xFE], "a UTF-16 BOM"), ([0], "a NUL"), ([0xC3, 0x28], "invalid UTF-8") })
        {
            var what = $"{sampleName} as {shape} after {label}";
            var outcome = await ReadEveryWayAsync(Pack([.. prefix, .. clean], gzip), what, sample, target: null);
            Assert.True(outcome.Plain.Errors > 0, $"{what}: nothing reported");
            AssertPrefixAndLossesReported(outcome.Plain, baseline, 0, what);
        }
    }

    // 3. Gzip damage: the compressed bytes themselves.
    [Theory]
    [MemberData(nameof(SampleNames))]
    public async Task DamagedGzip_IsReported_AndNeverThrows(string sampleName)
    {
        var sample = corpus.Get(sampleName);
        var shape = sample.Lines ? "lines" : "array";
        var baseline = await BaselineAsync(sample, shape);
        var compressed = Render(sample, shape + ".gz", -1, null, out _);
        var random = new Random(HashCode(sampleName + "gzip"));

        // A flipped byte in the deflate data or the trailer (CRC-32 and size) is always found.
        for (var i = 0; i < 16; i++)
        {
            var at = random.Next(10, compressed.Length);
            var damaged = (byte[])compressed.Clone();
            damaged[at] ^= (byte)random.Next(1, 256);
            var what = $"{sampleName}.gz with byte {at} of {compressed.Length} flipped";
            // GZipStream fails a whole read call, so how much comes out before the damage depends on the read size.
            var outcome = await ReadEveryWayAsync(damaged, what, sample, target: null, anyBufferSize: false);
            Assert.True(outcome.Plain.Errors > 0, $"{what}: the damage went unreported ({Describe(outcome.Plain.Keys)})");
            AssertOrdered(outcome.Plain, what);
        }

        // A file cut inside its header, with and without a file name in it, holds nothing and says so.
        var named = WithFileName(compressed, "AWSLogs-export.json");
        Assert.Equal(baseline.Keys, (await ReadEveryWayAsync(named, $"{sampleName}.gz with a name", sample, target: null)).Plain.Keys);
        foreach (var (file, headerLength) in new[] { (compressed, 10), (named, 10 + "AWSLogs-export.json".Length + 1) })
        {
            for (var cut = 1; cut <= headerLength; cut++)
            {
                var what = $"{sampleName}.gz cut at byte {cut} of its {headerLength}-byte header";
                var outcome = await ReadEveryWayAsync(file[..cut], what, sample, target: null);
                Assert.True(outcome.Plain.Keys.Count == 0, $"{what}: read {Describe(outcome.Plain.Keys)}");
                Assert.True(outcome.Plain.Errors > 0, $"{what}: nothing reported");
            }
        }
    }

    [Theory]
    [MemberData(nameof(SampleNames))]
    public async Task GzipMembersWithGarbageBetween_KeepTheFirstMember_AndNeverLoseTheRestSilently(string sampleName)
    {
        var sample = corpus.Get(sampleName);
        var shape = sample.Lines ? "lines" : "array";
        var baseline = await BaselineAsync(sample, shape);
        var random = new Random(HashCode(sampleName + "members"));
        for (var i = 0; i < 6; i++)
        {
            // Two members, split between records (JSON lines) or anywhere (an array), with garbage between.
            var clean = Render(sample, shape, -1, null, out var ends);
            var split = sample.Lines ? ends[random.Next(ends.Length - 1)] + 1 : random.Next(1, clean.Length);
            var garbage = i switch
            {
                0 => [],
                1 => "garbage"u8.ToArray(),
                2 => [0, 0, 0, 0],
                3 => [0x1F, 0x8B],
                _ => RandomBytes(random, random.Next(1, 64)),
            };
            byte[] joined = [.. Gzip(clean[..split]), .. garbage, .. Gzip(clean[split..])];
            var what = $"{sampleName} as two gzip members split at byte {split} with {garbage.Length} bytes of garbage between";
            var outcome = await ReadEveryWayAsync(joined, what, sample, target: null);
            var before = ends.Count(e => e <= split);
            AssertPrefixAndLossesReported(outcome.Plain, baseline, before, what);
            if (garbage.Length == 0)
            {
                Assert.Equal(baseline.Keys, outcome.Plain.Keys);
                Assert.Empty(outcome.Plain.Problems);
            }
            else if (!outcome.Plain.Keys.SequenceEqual(baseline.Keys))
            {
                Assert.True(outcome.Plain.Errors > 0, $"{what}: the second member was dropped without a problem");
            }
        }
    }

    // 2. The raw pre-filter path is checked on every read above; this makes sure the rule filter
    //    there really decides something for the samples it applies to.
    [Fact]
    public async Task BuiltInRuleFilter_KeepsSomeSimulatedRecords_AndSkipsOthers()
    {
        var sample = corpus.Get("cloudtrail-simulated");
        var kept = sample.Records.Count(r => corpus.RuleFilter(r));

        Assert.InRange(kept, 1, sample.Records.Count - 1);
        var outcome = await ReadEveryWayAsync(Render(sample, "delivery", -1, null, out _), "cloudtrail-simulated with the rule filter", sample, target: null);
        Assert.Equal(kept, outcome.RuleFiltered.Keys.Count);
    }

    // Focused regressions for what the mutants found.
    private static string Trail(int i) =>
        $$"""{"eventVersion":"1.08","eventTime":"2026-01-01T00:00:00Z","eventSource":"iam.amazonaws.com","eventName":"ListUsers","eventID":"ev-{{i}}"}""";

    [Fact]
    public async Task SingleValueAmongRecords_IsSkipped_AndTheRecordsAfterItAreRead()
    {
        var reader = new CloudLogReader();

        var events = await reader.ReadAllAsync(new MemoryStream(Encoding.UTF8.GetBytes($"{{\"Records\":[{Trail(0)},\"x\\\"]\",{Trail(2)},42,null,{Trail(5)}]}}")), "values.json");

        Assert.Equal(["ev-0", "ev-2", "ev-5"], events.Select(e => e.EventId));
        Assert.Equal([1L, 3L, 4L], reader.Summary.Problems.Select(p => p.RecordIndex));
        Assert.Equal([0L, 2L, 5L], events.Select(e => e.Origin!.RecordIndex));
    }

    [Fact]
    public async Task SecondMalformedLine_InTheLastBuffer_DoesNotEndTheFile()
    {
        var content = string.Join('\n', Trail(0), Trail(1)[..30], Trail(2), Trail(3)[..30], Trail(4)) + "\n";
        var reader = new CloudLogReader();

        var events = await reader.ReadAllAsync(new MemoryStream(Encoding.UTF8.GetBytes(content)), "two-bad-lines.jsonl");

        Assert.Equal(["ev-0", "ev-2", "ev-4"], events.Select(e => e.EventId));
        Assert.Equal([2L, 4L], reader.Summary.Problems.Select(p => p.Line ?? 0));
    }

    [Fact]
    public async Task LineThatDoesNotClose_CostsOnlyItself()
    {
        var content = string.Join('\n', Trail(0), Trail(1)[..^1], Trail(2), Trail(3)) + "\n";
        var reader = new CloudLogReader();

        var events = await reader.ReadAllAsync(new MemoryStream(Encoding.UTF8.GetBytes(content)), "unclosed.jsonl");

        Assert.Equal(["ev-0", "ev-2", "ev-3"], events.Select(e => e.EventId));
        Assert.Equal([0L, 2L, 3L], events.Select(e => e.Origin!.RecordIndex));
        Assert.Equal(2, Assert.Single(reader.Summary.Problems).Line);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(3)]
    public async Task LineCutAfterAColon_DoesNotTakeTheNextLineWithIt(int cut)
    {
        // Cut after "eventName": the next line's object is a valid value for it, and the error shows a line later,
        // or at the end of the file when the cut line is next to last.
        string CutAfterColon(string line) => line[..(line.IndexOf("\"eventName\":", StringComparison.Ordinal) + "\"eventName\":".Length)];
        var lines = Enumerable.Range(0, 5).Select(i => i == cut ? CutAfterColon(Trail(i)) : Trail(i));
        var reader = new CloudLogReader();

        var events = await reader.ReadAllAsync(new MemoryStream(Encoding.UTF8.GetBytes(string.Join('\n', lines) + "\n")), "cut.jsonl");

        Assert.Equal(Enumerable.Range(0, 5).Where(i => i != cut).Select(i => $"ev-{i}"), events.Select(e => e.EventId));
        Assert.Equal(Enumerable.Range(1, 5).Where(line => line != cut + 1).Select(line => (long)line), events.Select(e => e.Origin!.Line));
        Assert.Equal(cut + 1, Assert.Single(reader.Summary.Problems).Line);
    }

    [Fact]
    public async Task DamagedGzip_KeepsTheRecordsDecompressedBeforeTheDamage()
    {
        var content = Encoding.UTF8.GetBytes(string.Join('\n', Enumerable.Range(0, 6000).Select(i => Trail(i).Replace("ListUsers", $"List{i * 7919 % 10007}", StringComparison.Ordinal))) + "\n");
        var compressed = Gzip(content);

        // The first flip, past the middle, that the decompressor reports more than a 256 KiB read into the output.
        // What comes out intact before it is measured with one-byte reads, so nothing of it is lost to the read size.
        foreach (var at in Enumerable.Range(compressed.Length / 2, compressed.Length / 2 - 8))
        {
            var damaged = (byte[])compressed.Clone();
            damaged[at] ^= 0x55;
            var (output, failed) = DecompressByteByByte(damaged);
            var intact = output.AsSpan().CommonPrefixLength(content);
            if (!failed || intact < 300 * 1024 || intact % (256 * 1024) < 64 * 1024)
            {
                continue;
            }

            var reader = new CloudLogReader();
            var events = await reader.ReadAllAsync(new MemoryStream(damaged), "damaged.jsonl.gz");

            // Every record that ends before the damage is read, whatever the size of the read that found it.
            var whole = content.AsSpan(0, intact).LastIndexOf((byte)'\n');
            var expected = content.AsSpan(0, whole).Count((byte)'\n') + 1;
            Assert.True(events.Count >= expected, $"flip at {at}: {events.Count} records read of the {expected} before the damage at output byte {intact}");
            Assert.Equal(Enumerable.Range(0, expected).Select(i => $"ev-{i}"), events.Take(expected).Select(e => e.EventId));
            // The lines of garbage decompressed before the damage was noticed are each reported; past the first
            // thousand problems, the one that ended the file is still kept.
            var ending = Assert.Single(reader.Summary.Problems, p => p.Reason.Contains("decompress", StringComparison.Ordinal));
            Assert.True(ending.EndsInput);
            Assert.Same(ending, reader.Summary.Problems[^1]);
            return;
        }

        Assert.Fail("no flip was found that the decompressor reports far enough into the output");

        static (byte[] Output, bool Failed) DecompressByteByByte(byte[] gzip)
        {
            using var stream = new System.IO.Compression.GZipStream(new MemoryStream(gzip), System.IO.Compression.CompressionMode.Decompress);
            var output = new MemoryStream();
            var one = new byte[1];
            try
            {
                while (stream.Read(one) == 1) output.WriteByte(one[0]);
                return (output.ToArray(), false);
            }
            catch (InvalidDataException)
            {
                return (output.ToArray(), true);
            }
        }
    }

    [Fact]
    public async Task GarbageBetweenGzipMembers_IsReported()
    {
        var first = Gzip(Encoding.UTF8.GetBytes(Trail(0) + "\n"));
        var second = Gzip(Encoding.UTF8.GetBytes(Trail(1) + "\n" + Trail(2) + "\n"));
        var reader = new CloudLogReader();

        var joined = await reader.ReadAllAsync(new MemoryStream([.. first, .. second]), "joined.jsonl.gz");
        Assert.Equal(["ev-0", "ev-1", "ev-2"], joined.Select(e => e.EventId));
        Assert.Empty(reader.Summary.Problems);

        // GZipStream ends quietly at bytes that do not start another member, leaving the second unread.
        await reader.ReadAllAsync(new MemoryStream([.. first, 0, 0, 0, 0, .. second]), "garbage.jsonl.gz");
        var problem = Assert.Single(reader.Summary.Problems);
        Assert.Equal("garbage.jsonl.gz", problem.Source);
        Assert.Contains("truncated or damaged", problem.Reason, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(512)]
    [InlineData(200_000)]
    public async Task ZerosAfterTheLastGzipMember_AreNoDamage_AsGzipItselfReadsThem(int zeros)
    {
        // A file padded to a block (a tape, dd, some copying tools): gzip -d reads it, and so does the reader, quietly.
        var gz = Gzip(Encoding.UTF8.GetBytes(Trail(0) + "\n" + Trail(1) + "\n"));
        var reader = new CloudLogReader();

        var padded = await reader.ReadAllAsync(new MemoryStream([.. gz, .. new byte[zeros]]), "padded.jsonl.gz");

        Assert.Equal(["ev-0", "ev-1"], padded.Select(e => e.EventId));
        Assert.Empty(reader.Summary.Problems);

        // Anything but zeros after them is still damage, and so is a member cut short before its padding.
        await reader.ReadAllAsync(new MemoryStream([.. gz, .. new byte[zeros], 7]), "garbage.jsonl.gz");
        await reader.ReadAllAsync(new MemoryStream([.. gz[..^4], .. new byte[zeros]]), "cut.jsonl.gz");
        Assert.Collection(reader.Summary.Problems,
            p => Assert.Equal(("garbage.jsonl.gz", true), (p.Source, p.Reason.Contains("truncated or damaged", StringComparison.Ordinal))),
            p => Assert.Equal(("cut.jsonl.gz", true), (p.Source, p.Reason.StartsWith("cannot decompress", StringComparison.Ordinal))));
    }

    [Fact]
    public async Task ProblemReason_QuotesOnlyTheStartOfAnInvalidValue()
    {
        var content = Trail(0) + "\n{\"eventName\":tru" + new string('x', 100_000) + "}\n" + Trail(2) + "\n";
        var reader = new CloudLogReader();

        var events = await reader.ReadAllAsync(new MemoryStream(Encoding.UTF8.GetBytes(content)), "literal.jsonl");

        Assert.Equal(["ev-0", "ev-2"], events.Select(e => e.EventId));
        Assert.InRange(Assert.Single(reader.Summary.Problems).Reason.Length, 20, 400);
    }

    private static IEnumerable<(string Kind, Expect Expect, Func<byte[], Random, byte[]> Mutate)> RecordMutations(bool lines)
    {
        // Value-level damage inside a new string property: the record's structure stays whole.
        yield return ("with a NUL in a string", Expect.Rejected, (r, _) => InsertProperty(r, "\"zz\":\"a\0b\","u8));
        yield return ("with invalid UTF-8 in a string", Expect.Rejected, (r, random) => InsertProperty(r, [.. "\"zz\":\""u8, .. InvalidUtf8[random.Next(InvalidUtf8.Length)], .. "\","u8]));
        yield return ("with a UTF-16 BOM in a string", Expect.Rejected, (r, _) => InsertProperty(r, [.. "\"zz\":\""u8, 0xFF, 0xFE, .. "\","u8]));
        yield return ("with a UTF-8 BOM in a string", Expect.Survives, (r, _) => InsertProperty(r, [.. "\"zz\":\""u8, 0xEF, 0xBB, 0xBF, .. "\","u8]));
        yield return ("with a large string", Expect.Survives, (r, random) => InsertProperty(r, Encoding.UTF8.GetBytes($"\"zz\":\"{new string('x', random.Next(70_000, 200_000))}\",")));

        // A single string above the record limit: an array skips past it, but a JSON line can only be
        // tokenised, and a value that does not fit the buffer ends the file (MalformedInputTests).
        yield return ("with a string above the record limit", lines ? Expect.Structural : Expect.Rejected,
            (r, random) => InsertProperty(r, Encoding.UTF8.GetBytes($"\"zz\":\"{new string('x', MaxRecordBytes + random.Next(1, 100_000))}\",")));
        yield return ("with nesting over the limit", Expect.Rejected, (r, random) =>
        {
            var depth = MaxDepth + random.Next(1, 40);
            return InsertProperty(r, Encoding.UTF8.GetBytes($"\"zz\":{new string('[', depth)}{new string(']', depth)},"));
        });
        yield return ("with pathological nesting", Expect.Rejected, (r, _) => InsertProperty(r, Encoding.UTF8.GetBytes($"\"zz\":{new string('[', 110_000)}{new string(']', 110_000)},")));

        // A record of the wrong shape in its place.
        foreach (var wrong in lines ? WrongShapesInLines : WrongShapesInArrays)
        {
            yield return ($"replaced by {wrong}", Expect.Rejected, (_, _) => Encoding.UTF8.GetBytes(wrong));
        }

        // Structural damage.
        yield return ("with a bracket or quote deleted", Expect.Structural, (r, random) =>
        {
            var at = RandomStructural(r, random);
            return [.. r[..at], .. r[(at + 1)..]];
        });
        yield return ("with a bracket or quote doubled", Expect.Structural, (r, random) =>
        {
            var at = RandomStructural(r, random);
            return [.. r[..(at + 1)], .. r[at..]];
        });
        yield return ("cut short", Expect.Structural, (r, random) => r[..random.Next(1, r.Length - 1)]);
    }

    private static readonly string[] WrongShapesInArrays = ["{\"hello\":\"world\"}", "[1,2]", "42", "\"text\"", "null", "true", "{}"];

    // In JSON lines a top-level array is a container of records, so an array line stands for its elements.
    private static readonly string[] WrongShapesInLines = ["{\"hello\":\"world\"}", "[{\"hello\":\"world\"}]", "42", "\"text\"", "null", "true", "{}"];

    private static readonly byte[][] InvalidUtf8 = [[0xFF], [0xC3, 0x28], [0xC0, 0xAF], [0xED, 0xA0, 0x80], [0xF4, 0x90, 0x80, 0x80], [0xE2, 0x82]];

    /// <summary>Inserts a property right after the record's first '{' (for a Lake row, its first cell's).</summary>
    private static byte[] InsertProperty(byte[] record, ReadOnlySpan<byte> property)
    {
        var at = record.AsSpan().IndexOf((byte)'{') + 1;
        return [.. record[..at], .. property, .. record[at..]];
    }

    private static int RandomStructural(byte[] record, Random random)
    {
        var positions = Enumerable.Range(0, record.Length).Where(i => record[i] is (byte)'{' or (byte)'}' or (byte)'[' or (byte)']' or (byte)'"' && (i == 0 || record[i - 1] != '\\')).ToList();
        return positions[random.Next(positions.Count)];
    }

    private static byte[] RandomBytes(Random random, int count)
    {
        var bytes = new byte[count];
        random.NextBytes(bytes);
        return bytes;
    }

    private static void AssertConfined(Result result, Baseline baseline, int target, Expect expect, bool lines, string what)
    {
        AssertOrdered(result, what);
        var others = result.Events.Where(e => e.Index != target).ToList();
        // After a record left open, the records that follow are counted from where reading resumed, so
        // they are matched by content, in order.
        var shifted = expect == Expect.Structural ? others.Where(e => e.Index > target).ToList() : [];
        Assert.True(IsSubsequence(shifted.Select(e => Content(e.Key)), baseline.Keys.Skip(target + 1).Select(Content)),
            $"{what}: the records after the damage are not the file's own, in order: {Describe(result.Keys)}");
        foreach (var e in others.Except(shifted))
        {
            Assert.True(e.Index < baseline.Keys.Count && baseline.Keys[(int)e.Index] == e.Key, $"{what}: read {e.Key}, which is not record {e.Index}; read {Describe(result.Keys)}; problems: {Describe(result.Problems)}");
        }

        var expectedOthers = Enumerable.Range(0, baseline.Keys.Count).Where(i => i != target);
        if (expect == Expect.Structural)
        {
            // A record left open takes in what follows in an array, anything up to the end; in JSON lines
            // reading resumes at the next line, even when the open record took that line in as a value.
            expectedOthers = expectedOthers.Where(i => lines || i < target);
        }

        var missing = expectedOthers.Where(i => i < target || expect != Expect.Structural).Except(others.Select(e => (int)e.Index)).ToList();
        if (expect == Expect.Structural && lines)
        {
            missing.AddRange(expectedOthers.Where(i => i > target + 1 && !shifted.Any(e => Content(e.Key) == Content(baseline.Keys[i]))));
        }

        Assert.True(missing.Count == 0, $"{what}: records {string.Join(", ", missing)} were lost; read {Describe(result.Keys)}; problems: {Describe(result.Problems)}");

        var mutated = result.Events.Where(e => e.Index == target).ToList();
        switch (expect)
        {
            case Expect.Survives:
                Assert.True(mutated.Count == 1 && mutated[0].Key == baseline.Keys[target], $"{what}: the record was not read unchanged: {Describe(result.Keys)}");
                Assert.True(result.Problems.Count == 0, $"{what}: unexpected problems: {Describe(result.Problems)}");
                break;
            case Expect.Rejected:
                Assert.True(mutated.Count == 0, $"{what}: the damaged record was read: {string.Join(", ", mutated.Select(m => m.Key))}");
                Assert.True(result.Problems.Any(p => p.RecordIndex == target && p.Severity == ProblemSeverity.Error), $"{what}: no error for record {target}: {Describe(result.Problems)}");
                Assert.True(others.Count == baseline.Keys.Count - 1, $"{what}: read {Describe(result.Keys)}");
                break;
            default:
                Assert.True(mutated.Count <= 1, $"{what}: the damaged record was read {mutated.Count} times");
                break;
        }

        if (!baseline.Keys.All(result.Keys.Contains))
        {
            Assert.True(result.Errors > 0, $"{what}: records were lost without an error: read {Describe(result.Keys)}");
        }
    }

    /// <summary>The first <paramref name="untouched"/> records are read exactly; any record lost is reported.</summary>
    private static void AssertPrefixAndLossesReported(Result result, Baseline baseline, int untouched, string what)
    {
        AssertOrdered(result, what);
        Assert.True(result.Keys.Take(untouched).SequenceEqual(baseline.Keys.Take(untouched)) && result.Keys.Count >= untouched,
            $"{what}: the first {untouched} records were not read intact: {Describe(result.Keys)}");
        if (result.Keys.Count < baseline.Keys.Count)
        {
            Assert.True(result.Errors > 0, $"{what}: {baseline.Keys.Count - result.Keys.Count} records were lost without an error");
        }
    }

    private static void AssertOrdered(Result result, string what)
    {
        for (var i = 1; i < result.Events.Count; i++)
        {
            Assert.True(result.Events[i].Index > result.Events[i - 1].Index, $"{what}: record indices out of order: {Describe(result.Keys)}");
        }
    }

    private async Task<Baseline> BaselineAsync(Sample sample, string shape)
    {
        var result = await ReadAsync(Render(sample, shape, -1, null, out _), $"{sample.Name}.{shape}", Plain);
        Assert.True(result.Problems.All(p => p.Severity == ProblemSeverity.Warning), $"{sample.Name} as {shape} is not clean: {Describe(result.Problems)}");
        Assert.Equal(Enumerable.Range(0, sample.Records.Count).Select(i => (long)i), result.Events.Select(e => e.Index));
        Assert.Equal(result.Keys.Count, result.Keys.Distinct().Count());
        return new Baseline(result.Keys);
    }

    /// <summary>
    /// Reads one mutant several ways: plainly; with a raw filter that keeps everything, on two cores with
    /// small batches; with small reads; and with the built-in rule pack's filter. The other reads must
    /// agree with the plain one: all of it, and for the rule filter the records it keeps.
    /// </summary>
    private async Task<Reads> ReadEveryWayAsync(byte[] content, string what, Sample sample, int? target, bool anyBufferSize = true, IReadOnlyList<string>? baselineKeys = null)
    {
        var plain = await ReadAsync(content, what, Plain);
        var keepAll = await ReadAsync(content, what, Plain with { RawFilter = static _ => true, MaxDegreeOfParallelism = 2, BatchBytes = 1500 });
        AssertSame(plain, keepAll, "a keep-all raw filter on two cores");
        if (anyBufferSize)
        {
            AssertSame(plain, await ReadAsync(content, what, Plain with { ReadBufferBytes = 4096 }), "4 KiB reads", exactReasons: false);
        }

        var filtered = await ReadAsync(content, what, Plain with { RawFilter = corpus.RuleFilter });
        var unmatched = new Queue<Event>(plain.Events);
        foreach (var e in filtered.Events)
        {
            while (unmatched.Count > 0 && unmatched.Peek().Key != e.Key)
            {
                var skipped = unmatched.Dequeue();
                if (target is { } t && skipped.Index != t && IsOriginal(skipped))
                {
                    Assert.False(corpus.RuleFilter(sample.Records[(int)skipped.Index]), $"{what}: the rule filter lost record {skipped.Key}, which it keeps");
                }
            }

            Assert.True(unmatched.Count > 0, $"{what}: the rule filter read {e.Key}, which the plain read did not");
            unmatched.Dequeue();
        }

        if (target is { } t2)
        {
            foreach (var skipped in unmatched.Where(e => e.Index != t2 && IsOriginal(e)))
            {
                Assert.False(corpus.RuleFilter(sample.Records[(int)skipped.Index]), $"{what}: the rule filter lost record {skipped.Key}, which it keeps");
            }
        }

        return new Reads(plain, filtered);

        // The plain read's record at this index is the sample's own (not one counted from a resumed place).
        bool IsOriginal(Event e) => e.Index < sample.Records.Count && baselineKeys is not null && baselineKeys[(int)e.Index] == e.Key;

        void AssertSame(Result expected, Result actual, string how, bool exactReasons = true)
        {
            Assert.True(expected.Keys.SequenceEqual(actual.Keys), $"{what}: {how} read {Describe(actual.Keys)}, the plain read {Describe(expected.Keys)}");
            Assert.True(Sorted(expected.Problems, exactReasons).SequenceEqual(Sorted(actual.Problems, exactReasons)), $"{what}: {how} reported {Describe(actual.Problems)}, the plain read {Describe(expected.Problems)}");
        }

        // With another read size a reason may quote less of the input, or not know yet whether more lines
        // follow; where and what stays the same.
        static IEnumerable<string> Sorted(IEnumerable<ReadProblem> problems, bool exactReasons) => problems
            .Select(p => exactReasons ? p.ToString() : $"{p.Source}:{p.Line}:{p.RecordIndex}:{p.Severity}:{p.Reason.Split('\'', ';')[0]}")
            .Order(StringComparer.Ordinal);
    }

    private static async Task<Result> ReadAsync(byte[] content, string what, ReaderOptions options)
    {
        const string Name = "mutant.log";
        var reported = new ConcurrentQueue<ReadProblem>();
        var reader = new CloudLogReader(options with { OnProblem = reported.Enqueue });
        var events = new List<CloudEvent>();
        try
        {
            // A hang fails the test rather than stalling the run.
            await Task.Run(async () =>
            {
                await foreach (var cloudEvent in reader.ReadStreamAsync(new MemoryStream(content), Name, Token))
                {
                    events.Add(cloudEvent);
                }
            }, Token).WaitAsync(HangGuard.Limit, Token);
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !Token.IsCancellationRequested)
        {
            Assert.Fail($"{what}: reading threw {ex}");
        }

        var problems = reader.Summary.Problems;
        Assert.True(problems.Count == reported.Count, $"{what}: {problems.Count} problems kept, {reported.Count} reported");
        Assert.True(reader.Summary.Errors + reader.Summary.Warnings == problems.Count, $"{what}: the counters disagree with the problems");
        foreach (var problem in problems)
        {
            Assert.True(problem.Source == Name && !string.IsNullOrWhiteSpace(problem.Reason), $"{what}: a problem without its source or reason: {problem}");
            Assert.True(problem.Line is null or >= 1 && problem.RecordIndex is null or >= 0, $"{what}: a problem with an impossible place: {problem}");
        }

        foreach (var cloudEvent in events)
        {
            Assert.True(cloudEvent.Origin is { Source: Name, Line: >= 1, RecordIndex: >= 0 }, $"{what}: an event without its origin: {cloudEvent.Origin}");
        }

        return new Result([.. events.Select(e => new Event(e.Origin!.RecordIndex, $"{e.Origin.RecordIndex}|{e.EventId}|{e.Operation}|{e.Time:O}"))], problems, reader.Summary.Errors);
    }

    /// <summary>
    /// Writes the sample in one shape (gzip when it ends in .gz), with record <paramref name="target"/>
    /// replaced by <paramref name="replacement"/>; <paramref name="ends"/> gets each record's end in the
    /// uncompressed bytes.
    /// </summary>
    private static byte[] Render(Sample sample, string shape, int target, byte[]? replacement, out int[] ends)
    {
        var gzip = shape.EndsWith(".gz", StringComparison.Ordinal);
        var kind = gzip ? shape[..^3] : shape;
        var output = new MemoryStream();
        var (open, separator, close) = kind switch
        {
            "delivery" => ($"{{\"{sample.Wrapper}\":[\n", ",\n", "\n]}\n"),
            "array" => ("[", ",", "]"),
            "lines" => ("", "\n", "\n"),
            _ => throw new ArgumentOutOfRangeException(nameof(shape), shape, "unknown shape"),
        };
        output.Write(Encoding.UTF8.GetBytes(open));
        ends = new int[sample.Records.Count];
        for (var i = 0; i < sample.Records.Count; i++)
        {
            if (i > 0)
            {
                output.Write(Encoding.UTF8.GetBytes(separator));
            }

            output.Write(i == target ? replacement : sample.Records[i]);
            ends[i] = (int)output.Length;
        }

        output.Write(Encoding.UTF8.GetBytes(close));
        return Pack(output.ToArray(), gzip);
    }

    private static byte[] Pack(byte[] content, bool gzip) => gzip ? Gzip(content) : content;

    private static byte[] Gzip(byte[] content)
    {
        var output = new MemoryStream();
        using (var gz = new GZipStream(output, CompressionLevel.Optimal, leaveOpen: true))
        {
            gz.Write(content);
        }

        return output.ToArray();
    }

    /// <summary>The same gzip data with the optional file name field (FNAME) in its header.</summary>
    private static byte[] WithFileName(byte[] gzip, string name)
    {
        var header = gzip[..10];
        header[3] |= 0x08;
        return [.. header, .. Encoding.Latin1.GetBytes(name), 0, .. gzip[10..]];
    }

    private static string Describe(IReadOnlyList<string> keys) =>
        keys.Count == 0 ? "nothing" : $"{keys.Count} events [{string.Join(", ", keys.Select(k => k[..k.IndexOf('|', StringComparison.Ordinal)]))}]";

    private static bool IsSubsequence(IEnumerable<string> items, IEnumerable<string> of)
    {
        using var rest = of.GetEnumerator();
        return items.All(item =>
        {
            while (rest.MoveNext())
            {
                if (rest.Current == item)
                {
                    return true;
                }
            }

            return false;
        });
    }

    /// <summary>An event's key without its record index.</summary>
    private static string Content(string key) => key[(key.IndexOf('|', StringComparison.Ordinal) + 1)..];

    private static string Describe(IEnumerable<ReadProblem> problems) =>
        string.Join(" | ", problems.Select(p => p.ToString()).Select(p => p.Length > 300 ? p[..300] + "..." : p));

    private static int HashCode(string text)
    {
        // string.GetHashCode is randomised per process; seeds must not be.
        var hash = 17;
        foreach (var c in text)
        {
            hash = unchecked((hash * 31) + c);
        }

        return hash & int.MaxValue;
    }

    private sealed record Event(long Index, string Key);

    private sealed record Result(IReadOnlyList<Event> Events, IReadOnlyList<ReadProblem> Problems, long Errors)
    {
        public IReadOnlyList<string> Keys { get; } = [.. Events.Select(e => e.Key)];
    }

    private sealed record Reads(Result Plain, Result RuleFiltered);

    private sealed record Baseline(IReadOnlyList<string> Keys);

    public sealed record Sample(string Name, string? Wrapper, bool Lines, IReadOnlyList<byte[]> Records);

    /// <summary>The samples, loaded once: fixtures, public logs, and a simulated attack.</summary>
    public sealed class Corpus : IAsyncLifetime
    {
        private readonly DirectoryInfo _simulated = Directory.CreateTempSubdirectory("firebreak-mutation-");
        private readonly ConcurrentDictionary<string, Sample> _samples = new(StringComparer.Ordinal);

        public RawRecordFilter RuleFilter { get; private set; } = static _ => true;

        public async ValueTask InitializeAsync()
        {
            await AttackSimulator.RunAsync(new SimulationOptions { Scenario = "leaked-access-key", OutputDirectory = _simulated.FullName, Events = 400, Noise = 0.8, Seed = 20260301, Compress = false }, TestContext.Current.CancellationToken);
            RuleFilter = RuleRawFilter.Create(CompiledRuleSet.Compile(BuiltInRules.Load().Documents))
                ?? throw new InvalidOperationException("the built-in rule pack gives no raw filter");
        }

        public ValueTask DisposeAsync()
        {
            _simulated.Delete(recursive: true);
            return ValueTask.CompletedTask;
        }

        public Sample Get(string name) => _samples.GetOrAdd(name, Load);

        private Sample Load(string name)
        {
            var (_, wrapper, lines) = Samples.Single(s => s.Name == name);
            IEnumerable<byte[]> records = name switch
            {
                "cloudtrail-fixtures" => Fixtures("cloudtrail-delivery.json", "cloudtrail-lines.jsonl"),
                "cloudtrail-simulated" => Simulated("AWSLogs", 24),
                "cloudtrail-invictus" => Directory.GetFiles(SharedData.Require("cloudtrail/invictus-aws-dataset"), "*.json").Order(StringComparer.Ordinal)
                    .Select(f => Records(File.ReadAllText(f))).First(r => r.Count >= 10).Take(10),
                "cloudtrail-lake-rows" => Fixtures("cloudtrail-lake-rows.json"),
                "security-lake" => Fixtures("security-lake-api-activity.jsonl"),
                "azure-activity-fixtures" => Fixtures("azure-activity-monitor-export.json", "azure-activity-rest.json", "azure-activity-log-analytics.json"),
                "azure-activity-simulated" => Simulated("insights-activity-logs", 8),
                "entra-fixtures" => Fixtures("entra-signin-diagnostic.json", "entra-audit-diagnostic.json", "entra-signin-graph.json", "entra-audit-graph.json", "entra-signin-log-analytics.jsonl"),
                "entra-audit-otrf" => Records(File.ReadAllText(Path.Combine(SharedData.Require("azure/otrf-aad-audit"), "AADAuditEvents.json"))),
                "gcp-audit" => [.. Fixtures("gcp-audit.json"), .. Simulated("cloudaudit.googleapis.com", 8)],
                _ => throw new ArgumentOutOfRangeException(nameof(name), name, "unknown sample"),
            };
            return new Sample(name, wrapper, lines, [.. records]);
        }

        private static IEnumerable<byte[]> Fixtures(params string[] names) => names.SelectMany(n => Records(File.ReadAllText(TestData.Fixture(n))));

        private IEnumerable<byte[]> Simulated(string folder, int count)
        {
            var records = Directory.GetFiles(Path.Combine(_simulated.FullName, folder), "*.json", SearchOption.AllDirectories).Order(StringComparer.Ordinal)
                .Select(f => Records(File.ReadAllText(f))).MaxBy(r => r.Count)!;
            Assert.True(records.Count >= count, $"the simulated {folder} file has only {records.Count} records");
            return records.Take(count);
        }

        /// <summary>Each record of a wrapper, an array or JSON lines, written compactly on one line.</summary>
        private static List<byte[]> Records(string text)
        {
            var options = new JsonWriterOptions { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };
            IEnumerable<JsonElement> elements;
            try
            {
                var root = JsonDocument.Parse(text).RootElement;
                var wrapped = root.ValueKind == JsonValueKind.Object
                    ? root.EnumerateObject().Where(p => p.Value.ValueKind == JsonValueKind.Array && p.Name is "Records" or "records" or "value" or "QueryResultRows").Select(p => p.Value).FirstOrDefault()
                    : root;
                elements = wrapped.ValueKind == JsonValueKind.Array ? wrapped.EnumerateArray() : [root];
            }
            catch (JsonException)
            {
                elements = text.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(line => JsonDocument.Parse(line).RootElement);
            }

            return [.. elements.Select(element =>
            {
                var buffer = new System.Buffers.ArrayBufferWriter<byte>();
                using (var writer = new Utf8JsonWriter(buffer, options))
                {
                    element.WriteTo(writer);
                }

                return buffer.WrittenSpan.ToArray();
            })];
        }
    }
}
