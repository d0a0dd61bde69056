using Firebreak.Detection.Readers;
using Parquet.Serialization;

namespace Firebreak.Detection.Tests.Readers;

/// <summary>
/// Amazon Security Lake keeps OCSF records as Parquet; reading them meant an Athena query and a JSON export first, and a
/// Parquet file was one "not supported" error. Each row is now read as the JSON record it is. The files here are written
/// by Parquet.Net from classes with OCSF's names: structs, lists and a map, a bigint <c>time</c> in epoch milliseconds and
/// a timestamp <c>time_dt</c>, in several row groups.
/// </summary>
public sealed class ParquetTests : IDisposable
{
    private readonly DirectoryInfo _root = Directory.CreateTempSubdirectory("firebreak-parquet-");

    public void Dispose() => _root.Delete(recursive: true);

    public sealed class Product
    {
        public string? name { get; set; }
        public string? vendor_name { get; set; }
    }

    public sealed class Metadata
    {
        public Product? product { get; set; }
        public string? uid { get; set; }
        public string? version { get; set; }
    }

    public sealed class Service
    {
        public string? name { get; set; }
    }

    public sealed class Request
    {
        public string? uid { get; set; }
        public string? data { get; set; }
    }

    public sealed class Api
    {
        public string? operation { get; set; }
        public Service? service { get; set; }
        public Request? request { get; set; }
    }

    public sealed class Account
    {
        public string? uid { get; set; }
    }

    public sealed class User
    {
        public string? type { get; set; }
        public string? uid { get; set; }
        public string? name { get; set; }
        public Account? account { get; set; }
        public string? credential_uid { get; set; }
    }

    public sealed class Session
    {
        public bool? is_mfa { get; set; }
        public string? issuer { get; set; }
    }

    public sealed class Actor
    {
        public User? user { get; set; }
        public Session? session { get; set; }
    }

    public sealed class Endpoint
    {
        public string? ip { get; set; }
    }

    public sealed class Cloud
    {
        public string? region { get; set; }
        public string? provider { get; set; }
        public Account? account { get; set; }
    }

    public sealed class Resource
    {
        public string? uid { get; set; }
        public string? type { get; set; }
    }

    public sealed class Row
    {
        public int class_uid { get; set; }
        public long? time { get; set; }
        public DateTime? time_dt { get; set; }
        public Metadata? metadata { get; set; }
        public Cloud? cloud { get; set; }
        public Api? api { get; set; }
        public Actor? actor { get; set; }
        public Endpoint? src_endpoint { get; set; }
        public List<Resource>? resources { get; set; }
        public int? status_id { get; set; }
        public Dictionary<string, string>? unmapped { get; set; }
    }

    private static readonly DateTime Start = new(2026, 3, 4, 8, 0, 0, DateTimeKind.Utc);

    private static Row Call(int i, string operation = "GetObject", bool epoch = true) => new()
    {
        class_uid = 6003,
        time = epoch ? new DateTimeOffset(Start.AddSeconds(i)).ToUnixTimeMilliseconds() : null,
        time_dt = Start.AddSeconds(i),
        metadata = new Metadata { product = new Product { name = "CloudTrail", vendor_name = "AWS" }, uid = $"row-{i}", version = "1.1.0" },
        cloud = new Cloud { region = "eu-west-1", provider = "AWS", account = new Account { uid = "111122223333" } },
        api = new Api
        {
            operation = operation,
            service = new Service { name = operation == "StopLogging" ? "cloudtrail.amazonaws.com" : "s3.amazonaws.com" },
            request = new Request { uid = $"req-{i}", data = operation == "StopLogging" ? """{"name":"org-trail"}""" : null },
        },
        actor = new Actor
        {
            user = new User { type = "AssumedRole", uid = "arn:aws:sts::111122223333:assumed-role/ops/mallory", name = "mallory", account = new Account { uid = "111122223333" }, credential_uid = "ASIAEXAMPLEKEY" },
            session = new Session { is_mfa = false, issuer = "arn:aws:iam::111122223333:role/ops" },
        },
        src_endpoint = new Endpoint { ip = "203.0.113.66" },
        resources = operation == "StopLogging" ? [new Resource { uid = "arn:aws:cloudtrail:eu-west-1:111122223333:trail/org-trail", type = "AWS::CloudTrail::Trail" }] : [],
        status_id = 1,
        unmapped = new Dictionary<string, string> { ["recipientAccountId"] = "111122223333" },
    };

    private static async Task<byte[]> ParquetAsync(IEnumerable<Row> rows, int rowGroupSize)
    {
        using var output = new MemoryStream();
        await ParquetSerializer.SerializeAsync(rows, output, new Parquet.ParquetOptions { RowGroupSize = rowGroupSize }, cancellationToken: TestContext.Current.CancellationToken);
        return output.ToArray();
    }

    private string Write(string name, byte[] bytes)
    {
        var path = Path.Combine(_root.FullName, name);
        File.WriteAllBytes(path, bytes);
        return path;
    }

    [Fact]
    public async Task SecurityLakeRows_AreReadAsTheOcsfRecordsTheyAre_AcrossRowGroups_CitedByRow()
    {
        var rows = Enumerable.Range(0, 250).Select(i => Call(i, i == 201 ? "StopLogging" : "GetObject")).ToList();
        var path = Write("part-00000.parquet", await ParquetAsync(rows, rowGroupSize: 100));
        var reader = new CloudLogReader();

        var events = await reader.ReadAllAsync(path);

        Assert.Empty(reader.Summary.Problems);
        Assert.Equal(250, events.Count);
        Assert.Equal(Enumerable.Range(1, 250).Select(i => (long)i).ToList(), events.Select(e => e.Origin!.Line).ToList());
        var stop = events[201];
        Assert.Equal("aws", stop.Provider);
        Assert.Equal("StopLogging", stop.Operation);
        Assert.Equal(Start.AddSeconds(201), stop.Time.UtcDateTime);
        Assert.Equal("arn:aws:sts::111122223333:assumed-role/ops/mallory", stop.Actor.Arn);
        Assert.Equal("ASIAEXAMPLEKEY", stop.Actor.AccessKeyId);
        Assert.Equal("203.0.113.66", stop.SourceIp);
        Assert.Equal("eu-west-1", stop.Region);
        Assert.Equal("org-trail", stop.RequestParameters!.Value.GetProperty("name").GetString());
        Assert.Equal(["arn:aws:cloudtrail:eu-west-1:111122223333:trail/org-trail"], stop.Resources.Select(r => r.Uid));
        // The row as the rules see it: structs as objects, the map as an object, nulls left out.
        Assert.Equal("111122223333", stop.Raw.GetProperty("unmapped").GetProperty("recipientAccountId").GetString());
        Assert.False(stop.Raw.GetProperty("actor").GetProperty("session").GetProperty("is_mfa").GetBoolean());
        Assert.False(events[0].Raw.GetProperty("api").GetProperty("request").TryGetProperty("data", out _));
    }

    [Fact]
    public async Task ATimestampColumn_IsAnIsoTime()
    {
        var path = Write("times.parquet", await ParquetAsync([Call(7, epoch: false)], rowGroupSize: 10));
        var reader = new CloudLogReader();

        var e = Assert.Single(await reader.ReadAllAsync(path));

        Assert.Equal(Start.AddSeconds(7), e.Time.UtcDateTime);
        Assert.Equal("2026-03-04T08:00:07.0000000Z", e.Raw.GetProperty("time_dt").GetString());
    }

    [Fact]
    public async Task AParquetStream_FromS3OrAnArchive_IsCopiedAside_AndNothingIsLeftBehind()
    {
        var bytes = await ParquetAsync(Enumerable.Range(0, 30).Select(i => Call(i)), rowGroupSize: 7);
        var aside = Directory.CreateDirectory(Path.Combine(_root.FullName, "aside")).FullName;

        await using (var rows = new ParquetRowsStream(new TrickleStream(bytes, 13), aside))
        {
            var text = await new StreamReader(rows).ReadToEndAsync(TestContext.Current.CancellationToken);
            Assert.Equal(30, text.Split('\n', StringSplitOptions.RemoveEmptyEntries).Length);
            // On Unix the copy's name is removed as soon as it is open (it is read through its handle), so a process
            // stopped while copying leaves nothing behind; elsewhere it is there until the stream is closed.
            Assert.Equal(OperatingSystem.IsWindows() ? 1 : 0, Directory.GetFiles(aside).Length);
        }

        Assert.Empty(Directory.GetFiles(aside));

        // Through the reader, as an S3 object or an archive's entry is handed to it, in small pieces.
        var reader = new CloudLogReader();
        Assert.Equal(30, (await reader.ReadAllAsync(new TrickleStream(bytes, 4096), "s3://lake/ext/part-0.parquet")).Count);
        Assert.Empty(reader.Summary.Problems);
    }

    [Fact]
    public async Task ARowGroupOverTheLimit_IsReported_AfterTheRowsBeforeIt_WhateverTheReadSize()
    {
        // Group 1: ten small rows; groups 2 to 4: rows padded past the limit. The rows written before the refusal were
        // once lost with it when a read asked for more than they filled (the framer reads 256 kB at a time).
        var bytes = await ParquetAsync(Enumerable.Range(0, 40).Select(i => Call(i, i < 10 ? "GetObject" : "PutObject")).Select(r => { if (r.api!.operation == "PutObject") r.unmapped = Enumerable.Range(0, 50).ToDictionary(k => $"k{k}", k => new string('x', 200)); return r; }), rowGroupSize: 10);
        await using var rows = new ParquetRowsStream(new MemoryStream(bytes), _root.FullName, maxRowGroupBytes: 8 * 1024);

        var text = new MemoryStream();
        var buffer = new byte[256 * 1024];
        var failure = await Assert.ThrowsAnyAsync<IOException>(async () =>
        {
            while (await rows.ReadAsync(buffer, TestContext.Current.CancellationToken) is > 0 and var read) text.Write(buffer, 0, read);
        });

        Assert.Equal(10, System.Text.Encoding.UTF8.GetString(text.ToArray()).Split('\n', StringSplitOptions.RemoveEmptyEntries).Length);
        Assert.Contains("row group 2 holds 10 row(s)", failure.Message, StringComparison.Ordinal);
        Assert.Contains("or 8192 bytes read at once", failure.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ADamagedSecondRowGroup_IsReported_AfterTheFirstGroupsRows()
    {
        var bytes = await ParquetAsync(Enumerable.Range(0, 20).Select(i => Call(i)), rowGroupSize: 10);
        long from, to;
        await using (var meta = await Parquet.ParquetReader.CreateAsync(new MemoryStream(bytes), cancellationToken: TestContext.Current.CancellationToken))
        {
            var second = meta.Metadata!.RowGroups[1];
            from = second.Columns.Min(c => c.MetaData!.DictionaryPageOffset is > 0 and var d ? Math.Min(d, c.MetaData.DataPageOffset) : c.MetaData.DataPageOffset);
            to = from + second.TotalCompressedSize!.Value;
        }

        for (var at = from; at < to; at++) bytes[at] = 0xFF;
        var path = Write("part-0.parquet", bytes);
        var reader = new CloudLogReader();

        var events = await reader.ReadAllAsync(path);

        Assert.Equal(Enumerable.Range(0, 10).Select(i => $"row-{i}"), events.Select(e => e.EventId));
        var problem = Assert.Single(reader.Summary.Problems);
        Assert.StartsWith("cannot read: the Parquet file cannot be read after 10 row(s)", problem.Reason, StringComparison.Ordinal);
    }

    public sealed class Flat
    {
        public string? a { get; set; }
        public string? b { get; set; }
        public int c { get; set; }
        public long d { get; set; }
        public string? e { get; set; }
    }

    [Fact]
    public async Task ARowGroupOfMillionsOfValues_IsRefused_NotHeld_AndOneWithinTheLimitIsReadInBoundedMemory()
    {
        // 1,000,000 five-column rows in one group: held as objects, 507 MB for a 10 MB file.
        var many = await FlatAsync(1_000_000);
        var before = Held();
        long held;
        await using (var rows = new ParquetRowsStream(new MemoryStream(many), _root.FullName))
        {
            var refused = await Assert.ThrowsAnyAsync<IOException>(async () => await rows.ReadAtLeastAsync(new byte[4096], 1, throwOnEndOfStream: false, TestContext.Current.CancellationToken));
            Assert.Contains("row group 1 holds 1,000,000 row(s) of 5 column(s)", refused.Message, StringComparison.Ordinal);
            held = Held() - before;
        }

        Assert.True(held < 100L * 1024 * 1024, $"{held / (1024 * 1024)} MB held while refusing the row group");

        // 200,000 rows of five: a million values, the most read at once.
        var within = await FlatAsync(200_000);
        before = Held();
        await using (var rows = new ParquetRowsStream(new MemoryStream(within), _root.FullName))
        {
            var first = new byte[4096];
            Assert.True(await rows.ReadAtLeastAsync(first, 1, throwOnEndOfStream: false, TestContext.Current.CancellationToken) > 0);
            held = Held() - before;
        }

        Assert.True(held < 200L * 1024 * 1024, $"{held / (1024 * 1024)} MB held while reading a group of a million values");

        static long Held()
        {
            GC.Collect();
            return GC.GetTotalMemory(forceFullCollection: true);
        }
    }

    private static async Task<byte[]> FlatAsync(int count)
    {
        using var output = new MemoryStream();
        await ParquetSerializer.SerializeAsync(Enumerable.Range(0, count).Select(i => new Flat { a = "GetObject", b = $"row-{i}", c = 6003, d = 1772611200000L + i, e = "203.0.113.66" }), output, new Parquet.ParquetOptions { RowGroupSize = count }, cancellationToken: TestContext.Current.CancellationToken);
        return output.ToArray();
    }

    [Fact]
    public async Task AFewHundredBytes_ClaimingMillionsOfNullRows_AreRefused()
    {
        var schema = new Parquet.Schema.ParquetSchema(new Parquet.Schema.DataField<int?>("a"));
        using var output = new MemoryStream();
        await using (var writer = await Parquet.ParquetWriter.CreateAsync(schema, output, cancellationToken: TestContext.Current.CancellationToken))
        {
            using var group = writer.CreateRowGroup();
            await group.WriteAsync<int>((Parquet.Schema.DataField)schema[0], new ReadOnlyMemory<int?>(new int?[8_000_000]), cancellationToken: TestContext.Current.CancellationToken);
        }

        var reader = new CloudLogReader();

        Assert.Empty(await reader.ReadAllAsync(new MemoryStream(output.ToArray()), "nulls.parquet"));

        Assert.Contains("row group 1 holds 8,000,000 row(s) of 1 column(s)", Assert.Single(reader.Summary.Problems).Reason, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AFooterClaimingTwoBillionSchemaElements_IsOneFilesProblem_AndTheNextFileIsRead()
    {
        // Thrift compact: version 2, then a schema list claiming int.MaxValue elements: the library asks for them at once.
        byte[] meta = [0x15, 0x04, 0x19, 0xFC, 0xFF, 0xFF, 0xFF, 0xFF, 0x07, 0, 0, 0, 0];
        var hostile = Write("a.parquet", [.. "PAR1"u8, .. meta, .. BitConverter.GetBytes(meta.Length), .. "PAR1"u8]);
        var after = Write("b.jsonl", System.Text.Encoding.UTF8.GetBytes(System.Text.Json.JsonSerializer.Serialize(Call(99)) + "\n"));
        var reader = new CloudLogReader();

        var events = await reader.ReadAllAsync(hostile, after);

        Assert.Equal("row-99", Assert.Single(events).EventId);
        Assert.StartsWith("cannot read: the Parquet file cannot be read after 0 row(s)", Assert.Single(reader.Summary.Problems).Reason, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(-5, "does not fit the file")]
    [InlineData(1_000_000, "does not fit the file")]
    [InlineData(0, "does not fit the file")]
    public async Task ADirectoryLengthThatCannotBe_IsSaidToBeDamaged(int footer, string reason)
    {
        var reader = new CloudLogReader();

        Assert.Empty(await reader.ReadAllAsync(new MemoryStream([.. "PAR1"u8, 1, 2, 3, 4, 5, 6, .. BitConverter.GetBytes(footer), .. "PAR1"u8]), "odd.parquet"));

        Assert.Contains(reason, Assert.Single(reader.Summary.Problems).Reason, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ManySmallRowGroups_AreReadInOnePass_AndTooManyInALargeFileAreRefused()
    {
        // Each row group read on its own parses the file's whole directory again: 600 one-row groups of these rows took
        // 52 s. A file small enough to hold whole is read in one pass.
        var some = await ParquetAsync(Enumerable.Range(0, 600).Select(i => Call(i)), rowGroupSize: 1);
        var reader = new CloudLogReader();
        Assert.Equal(Enumerable.Range(0, 600).Select(i => $"row-{i}"), (await reader.ReadAllAsync(new MemoryStream(some), "some.parquet")).Select(e => e.EventId));
        Assert.Empty(reader.Summary.Problems);

        // Too large to hold whole (1,500 groups of 700 one-column rows: 1,050,000 values), with groups too many to read
        // one at a time: refused, not read for minutes.
        using var output = new MemoryStream();
        var schema = new Parquet.Schema.ParquetSchema(new Parquet.Schema.DataField<int>("a"));
        await using (var writer = await Parquet.ParquetWriter.CreateAsync(schema, output, cancellationToken: TestContext.Current.CancellationToken))
        {
            for (var g = 0; g < 1_500; g++)
            {
                using var group = writer.CreateRowGroup();
                await group.WriteAsync((Parquet.Schema.DataField)schema[0], new ReadOnlyMemory<int>(new int[700]), cancellationToken: TestContext.Current.CancellationToken);
            }
        }

        reader = new CloudLogReader();
        Assert.Empty(await reader.ReadAllAsync(new MemoryStream(output.ToArray()), "many.parquet"));
        Assert.Contains("has 1,500 row groups of 1 column(s), too many to read one at a time", Assert.Single(reader.Summary.Problems).Reason, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ACutAtAnyPoint_IsReported_AndTheNextFileIsRead()
    {
        var whole = await ParquetAsync(Enumerable.Range(0, 20).Select(i => Call(i)), rowGroupSize: 5);
        var after = Write("after.jsonl", System.Text.Encoding.UTF8.GetBytes(System.Text.Json.JsonSerializer.Serialize(Call(99)) + "\n"));
        for (var length = 1; length < whole.Length; length += Math.Max(1, whole.Length / 97))
        {
            var path = Write("cut.parquet", whole[..length]);
            var reader = new CloudLogReader();

            var events = await reader.ReadAllAsync(path, after);

            Assert.Equal("row-99", events[^1].EventId);
            Assert.True(reader.Summary.Problems.Any(p => p.Source.StartsWith(path, StringComparison.Ordinal) && p.Severity == ProblemSeverity.Error), $"cut at {length} of {whole.Length}: nothing reported");
        }
    }

    [Fact]
    public async Task DamagedBytes_AreReported_OrReadAsRows_AndNeverEndTheRead()
    {
        // Every eleventh byte changed in turn: Parquet has no checksum by default, so a changed value may be read as another value;
        // what must hold is that each damaged file is one file's problem, and the file after it is still read.
        var whole = await ParquetAsync(Enumerable.Range(0, 6).Select(i => Call(i)), rowGroupSize: 3);
        var after = Write("after.jsonl", System.Text.Encoding.UTF8.GetBytes(System.Text.Json.JsonSerializer.Serialize(Call(99)) + "\n"));
        var reported = 0;
        for (var at = 0; at < whole.Length; at += 11)
        {
            var damaged = whole.ToArray();
            damaged[at] ^= 0x5A;
            var path = Write("damaged.parquet", damaged);
            var reader = new CloudLogReader();

            var events = await reader.ReadAllAsync(path, after);

            Assert.Equal("row-99", events[^1].EventId);
            Assert.InRange(events.Count, 1, 7);
            reported += reader.Summary.Problems.Any(p => p.Source.StartsWith(path, StringComparison.Ordinal)) ? 1 : 0;
        }

        Assert.True(reported > 0);
    }
}
