using System.IO.Compression;
using System.Text;
using Firebreak.Detection.Readers;
using Amazon.S3;
using Amazon.S3.Model;
using Firebreak.Detection.Readers.Sources;
using Firebreak.Testing;

namespace Firebreak.Detection.Tests.Readers;

public class S3SourceTests
{
    private const string Prefix = "AWSLogs/111122223333/CloudTrail/";

    private static S3SourceOptions Loopback(FakeS3Server server) => new()
    {
        ServiceUrl = server.ServiceUrl,
        Region = "us-east-1",
        AccessKeyId = "AKIAFAKEFORLOOPBACK1",
        SecretAccessKey = "not-a-real-secret-only-for-a-local-fake",
    };

    private static byte[] Gzip(byte[] content)
    {
        var output = new MemoryStream();
        using (var gz = new GZipStream(output, CompressionLevel.Fastest))
        {
            gz.Write(content);
        }

        return output.ToArray();
    }

    [Fact]
    public async Task BucketPrefix_IsListedPageByPage_AndEveryObjectRead()
    {
        var delivery = await File.ReadAllBytesAsync(TestData.Fixture("cloudtrail-delivery.json"), TestContext.Current.CancellationToken);
        var lines = await File.ReadAllBytesAsync(TestData.Fixture("cloudtrail-lines.jsonl"), TestContext.Current.CancellationToken);
        await using var server = FakeS3Server.Start("org-trail-logs", new Dictionary<string, byte[]>
        {
            [Prefix] = [],
            [Prefix + "us-east-1/2026/03/02/111122223333_CloudTrail_us-east-1_20260302T0815Z_a1.json.gz"] = Gzip(delivery),
            [Prefix + "us-east-1/2026/03/03/111122223333_CloudTrail_us-east-1_20260303T1000Z_b2.json"] = lines,
            ["elsewhere/unrelated.json"] = Encoding.UTF8.GetBytes("not even json"),
        }, pageSize: 1);
        using var client = S3LogInputSource.CreateClient(Loopback(server));
        var reader = new CloudLogReader();

        List<string> operations = [];
        List<string?> sources = [];
        await foreach (var cloudEvent in reader.ReadAsync(new S3LogInputSource(client, "org-trail-logs", Prefix), TestContext.Current.CancellationToken))
        {
            operations.Add(cloudEvent.Operation);
            sources.Add(cloudEvent.Origin?.Source);
        }

        Assert.Equal("s3://org-trail-logs/" + Prefix + "us-east-1/2026/03/03/111122223333_CloudTrail_us-east-1_20260303T1000Z_b2.json", sources[^1]);

        Assert.Empty(reader.Summary.Problems);
        Assert.Equal(["ConsoleLogin", "CreateAccessKey", "StopLogging", "ListBuckets", "AssumeRole", "GetObject"], operations);
        Assert.Equal(2, reader.Summary.Files);
        Assert.Equal(Gzip(delivery).Length + lines.Length, reader.Summary.Bytes);

        // Three pages of one key each: the folder marker, then the two log objects.
        var lists = server.Requests.Where(r => r.Contains("list-type=2", StringComparison.Ordinal)).ToList();
        Assert.Equal(3, lists.Count);
        Assert.All(lists, r => Assert.Contains("prefix=AWSLogs%2F111122223333%2FCloudTrail%2F", r));
        Assert.Contains(lists, r => r.Contains("continuation-token=2", StringComparison.Ordinal));
        Assert.DoesNotContain(server.Requests, r => r.Contains("elsewhere", StringComparison.Ordinal));
    }

    [Fact]
    public async Task ArchivesInABucket_AreDownloaded_AndReadEntryByEntry_LeavingNoFileBehind()
    {
        // A handover put in the bucket as one zip or tarball was one error: not a JSON log file.
        var tar = new MemoryStream();
        using (var gzip = new GZipStream(tar, CompressionLevel.Fastest, leaveOpen: true))
        using (var writer = new System.Formats.Tar.TarWriter(gzip))
        {
            writer.WriteEntry(new System.Formats.Tar.PaxTarEntry(System.Formats.Tar.TarEntryType.RegularFile, "AWSLogs/t1.json.gz") { DataStream = new MemoryStream(ArchiveLogs.Gzip(ArchiveLogs.Trail("t1"))) });
        }

        await using var server = FakeS3Server.Start("evidence", new Dictionary<string, byte[]>
        {
            ["handover/logs.zip"] = ArchiveLogs.Zip(("AWSLogs/z1.json", ArchiveLogs.Text(ArchiveLogs.Trail("z1"))), ("AWSLogs/z2.json", ArchiveLogs.Text(ArchiveLogs.Trail("z2")))),
            ["handover/more.tgz"] = tar.ToArray(),
            ["handover/plain.json"] = ArchiveLogs.Text(ArchiveLogs.Trail("p1")),
            ["handover/broken.zip"] = Encoding.UTF8.GetBytes("no archive"),
        });
        using var client = S3LogInputSource.CreateClient(Loopback(server));
        var reader = new CloudLogReader();
        var downloads = Directory.CreateTempSubdirectory("firebreak-downloads-");

        List<(string?, string?)> events = [];
        await foreach (var cloudEvent in reader.ReadAsync(new ArchiveDownloads(new S3LogInputSource(client, "evidence", "handover/"), remote: true, temporaryFolder: downloads.FullName), TestContext.Current.CancellationToken))
        {
            events.Add((cloudEvent.EventId, cloudEvent.Origin?.Source));
        }

        Assert.Equal(
            [("z1", "s3://evidence/handover/logs.zip!AWSLogs/z1.json"), ("z2", "s3://evidence/handover/logs.zip!AWSLogs/z2.json"),
             ("t1", "s3://evidence/handover/more.tgz!AWSLogs/t1.json.gz"), ("p1", "s3://evidence/handover/plain.json")],
            events);
        var problem = Assert.Single(reader.Summary.Problems);
        Assert.Equal("s3://evidence/handover/broken.zip", problem.Source);
        Assert.StartsWith("cannot read the zip archive", problem.Reason, StringComparison.Ordinal);
        Assert.Empty(downloads.GetFiles());
        downloads.Delete();
    }

    [Fact]
    public async Task ADownloadedArchive_IsClosed_AsSoonAsAReadStoppedEarlyEnds()
    {
        // Entries waiting for their turn when the read stopped gave up without closing the archive the others had left
        // open for them: the removed download's space was held until the collector ran.
        var zip = ArchiveLogs.Zip([.. Enumerable.Range(0, 400).Select(n => ($"AWSLogs/{n:D3}.json", Encoding.UTF8.GetBytes($$"""{"eventVersion":"1.08","eventTime":"2026-01-15T09:00:00Z","eventSource":"s3.amazonaws.com","eventName":"GetObject","awsRegion":"us-east-1","userIdentity":{"type":"IAMUser"},"eventID":"e{{n}}"}""")))]);
        await using var server = FakeS3Server.Start("evidence", new Dictionary<string, byte[]> { ["handover/early-stop.ZIP"] = zip });
        using var client = S3LogInputSource.CreateClient(Loopback(server));
        static int OpenDownloads() => new DirectoryInfo("/proc/self/fd").EnumerateFileSystemInfos()
            .Count(fd => fd.LinkTarget is { } target && target.Contains("firebreak-archive-", StringComparison.Ordinal) && target.Contains(".ZIP", StringComparison.Ordinal));

        for (var round = 0; round < 20; round++)
        {
            var reader = new CloudLogReader(new ReaderOptions { MaxDegreeOfParallelism = 8 });
            var read = 0;
            await foreach (var _ in reader.ReadAsync(new ArchiveDownloads(new S3LogInputSource(client, "evidence", "handover/"), remote: true), TestContext.Current.CancellationToken))
            {
                if (++read == 200) break;
            }

            Assert.Equal(200, read);
            Assert.Equal(0, OpenDownloads());
        }
    }

    [Fact]
    public async Task AnObjectWhoseServerDoesNotAnswerInTime_IsReported_AndTheOthersAreRead()
    {
        // The SDK's time limit raised a TimeoutException, which no handler took: the whole read ended with it, the
        // object's key unnamed and the objects after it unread.
        var lines = await File.ReadAllBytesAsync(TestData.Fixture("cloudtrail-lines.jsonl"), TestContext.Current.CancellationToken);
        await using var server = FakeS3Server.Start("org-trail-logs", new Dictionary<string, byte[]>
        {
            [Prefix + "a-stalled.json"] = lines,
            [Prefix + "b-answered.json"] = lines,
        });
        // Far past the client's limit, which is itself far past what the answered object takes on a loaded machine.
        server.Delays[Prefix + "a-stalled.json"] = TimeSpan.FromMinutes(10);
        using var client = new AmazonS3Client("AKIAFAKEFORLOOPBACK1", "not-a-real-secret-only-for-a-local-fake", new AmazonS3Config
        {
            ServiceURL = server.ServiceUrl,
            ForcePathStyle = true,
            AuthenticationRegion = "us-east-1",
            Timeout = TimeSpan.FromSeconds(10),
            MaxErrorRetry = 0,
        });
        var reader = new CloudLogReader(new ReaderOptions { MaxDegreeOfParallelism = 1 });

        var events = new List<string?>();
        await foreach (var cloudEvent in reader.ReadAsync(new S3LogInputSource(client, "org-trail-logs", Prefix), TestContext.Current.CancellationToken))
        {
            events.Add(cloudEvent.Origin?.Source);
        }

        var problem = Assert.Single(reader.Summary.Problems);
        Assert.Equal($"s3://org-trail-logs/{Prefix}a-stalled.json", problem.Source);
        Assert.Contains("no answer in time", problem.Reason);
        Assert.NotEmpty(events);
        Assert.All(events, source => Assert.Equal($"s3://org-trail-logs/{Prefix}b-answered.json", source));
    }

    [Fact]
    public async Task AnObjectThatGoesQuietHalfway_IsReportedCutShort_AndTheOthersAreRead()
    {
        // The SDK times how long an answer takes to begin, not a pause once its bytes flow: an object whose server went
        // quiet after its first bytes held the read until the server went on, however long that was.
        var lines = await File.ReadAllBytesAsync(TestData.Fixture("cloudtrail-lines.jsonl"), TestContext.Current.CancellationToken);
        var firstLine = Array.IndexOf(lines, (byte)'\n') + 1;
        await using var server = FakeS3Server.Start("org-trail-logs", new Dictionary<string, byte[]>
        {
            [Prefix + "a-quiet.json"] = lines,
            [Prefix + "b-answered.json.gz"] = Gzip(lines),
            [Prefix + "c-quiet-download.zip"] = ArchiveLogs.Zip(("AWSLogs/trail.json", lines)),
        });
        // Quiet far past the client's limit, which is itself far past any pause of the answered object on a loaded machine.
        server.Stalls[Prefix + "a-quiet.json"] = (firstLine, TimeSpan.FromMinutes(10));
        server.Stalls[Prefix + "c-quiet-download.zip"] = (100, TimeSpan.FromMinutes(10));
        using var client = S3LogInputSource.CreateClient(Loopback(server) with { Timeout = TimeSpan.FromSeconds(10) });
        var reader = new CloudLogReader(new ReaderOptions { MaxDegreeOfParallelism = 2 });
        using var limit = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        limit.CancelAfter(TimeSpan.FromMinutes(2));

        var events = new List<string?>();
        var started = System.Diagnostics.Stopwatch.StartNew();
        await foreach (var cloudEvent in reader.ReadAsync(new ArchiveDownloads(new S3LogInputSource(client, "org-trail-logs", Prefix), remote: true), limit.Token))
        {
            events.Add(cloudEvent.Origin?.Source);
        }

        Assert.False(limit.IsCancellationRequested, $"the read waited on the quiet objects for {started.Elapsed}");
        var total = Encoding.UTF8.GetString(lines).Split('\n').Count(line => line.StartsWith('{'));
        // The first record of the quiet object came before the pause and is kept; the rest is reported, not waited for.
        Assert.Equal(total + 1, events.Count);
        Assert.Single(events, source => source == $"s3://org-trail-logs/{Prefix}a-quiet.json");
        Assert.Equal(total, events.Count(source => source == $"s3://org-trail-logs/{Prefix}b-answered.json.gz"));
        Assert.Equal(2, reader.Summary.Problems.Count);
        var cut = Assert.Single(reader.Summary.Problems, p => p.Source == $"s3://org-trail-logs/{Prefix}a-quiet.json");
        Assert.Contains("no data came for 10 s", cut.Reason);
        var download = Assert.Single(reader.Summary.Problems, p => p.Source == $"s3://org-trail-logs/{Prefix}c-quiet-download.zip");
        Assert.Contains("cannot download the archive", download.Reason);
        Assert.Contains("no data came for 10 s", download.Reason);
    }

    [Theory]
    [InlineData(3, 3.0)]
    [InlineData(null, 120.0)]
    [InlineData(-1, null)]
    public async Task AnObjectsBody_IsTimedByTheClientsLimit_TwoMinutesWithoutOne_AndNotAtAllWhenToldToWaitForEver(int? seconds, double? limit)
    {
        await using var server = FakeS3Server.Start("org-trail-logs", new Dictionary<string, byte[]> { [Prefix + "a.json"] = ArchiveLogs.Text(ArchiveLogs.Trail("a")) });
        var config = new AmazonS3Config { ServiceURL = server.ServiceUrl, ForcePathStyle = true, AuthenticationRegion = "us-east-1" };
        if (seconds is { } given)
        {
            config.Timeout = given < 0 ? Timeout.InfiniteTimeSpan : TimeSpan.FromSeconds(given);
        }

        using var client = new AmazonS3Client("AKIAFAKEFORLOOPBACK1", "not-a-real-secret-only-for-a-local-fake", config);
        LogInput? input = null;
        await foreach (var listed in new S3LogInputSource(client, "org-trail-logs", Prefix).ListAsync(_ => { }, TestContext.Current.CancellationToken))
        {
            input = listed;
        }

        await using var body = await input!.OpenAsync(TestContext.Current.CancellationToken);

        Assert.Equal(limit, (body as IdleTimeoutStream)?.Limit.TotalSeconds);
        Assert.Throws<ArgumentOutOfRangeException>(() => new IdleTimeoutStream(Stream.Null, TimeSpan.Zero, "x"));
    }

    [Fact]
    public async Task AQuietBodyDisposedWhileARead_Waits_EndsThatRead_AndIsStillTimed()
    {
        // The timer was disposed under the waiting read: a body that does not end its reads when closed was waited on for
        // good, and the read's own clean-up threw ObjectDisposedException, which no reader takes for a read problem.
        var quiet = new NeverAnswers();
        var stream = new IdleTimeoutStream(quiet, TimeSpan.FromMilliseconds(300), "s3://b/k");
        var read = stream.ReadAsync(new byte[16], TestContext.Current.CancellationToken).AsTask();

        await stream.DisposeAsync();
        var failure = await Assert.ThrowsAsync<IOException>(() => read.WaitAsync(TimeSpan.FromSeconds(30), TestContext.Current.CancellationToken));

        Assert.Contains("no data came for 0.3 s", failure.Message);
        Assert.True(quiet.Disposed);
        await Assert.ThrowsAsync<ObjectDisposedException>(() => stream.ReadAsync(new byte[16], TestContext.Current.CancellationToken).AsTask());
    }

    /// <summary>A body whose reads wait until cancelled, and are not ended by closing it.</summary>
    private sealed class NeverAnswers : MemoryStream
    {
        public bool Disposed { get; private set; }

        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            await Task.Delay(Timeout.Infinite, cancellationToken);
            return 0;
        }

        protected override void Dispose(bool disposing)
        {
            Disposed = true;
            base.Dispose(disposing);
        }
    }

    [Fact]
    public void BucketsAreAddressedByHostName_OnAws_AndByPath_OnAnS3CompatibleEndpoint()
    {
        // Path-style addressing on AWS reaches a bucket of another region only by a redirect the SDK does not follow.
        using var aws = S3LogInputSource.CreateClient(new S3SourceOptions { Region = "eu-west-1", AccessKeyId = "AKIAFAKE", SecretAccessKey = "fake" });
        using var local = S3LogInputSource.CreateClient(new S3SourceOptions { ServiceUrl = "http://127.0.0.1:9000", AccessKeyId = "AKIAFAKE", SecretAccessKey = "fake" });
        using var chosen = S3LogInputSource.CreateClient(new S3SourceOptions { Region = "eu-west-1", ForcePathStyle = true, AccessKeyId = "AKIAFAKE", SecretAccessKey = "fake" });

        Assert.False(((AmazonS3Config)aws.Config).ForcePathStyle);
        // And a time limit on every request: the SDK sets none, so a server that never answered held the hunt for good.
        Assert.Equal(TimeSpan.FromMinutes(2), aws.Config.Timeout);
        Assert.True(((AmazonS3Config)local.Config).ForcePathStyle);
        Assert.True(((AmazonS3Config)chosen.Config).ForcePathStyle);
    }

    [Fact]
    public async Task MissingBucket_IsReported_NotThrown()
    {
        await using var server = FakeS3Server.Start("some-bucket", new Dictionary<string, byte[]>());
        using var client = S3LogInputSource.CreateClient(Loopback(server));
        var reader = new CloudLogReader();

        await foreach (var _ in reader.ReadAsync(new S3LogInputSource(client, "no-such-bucket", "AWSLogs/"), TestContext.Current.CancellationToken))
        {
            Assert.Fail("no event expected");
        }

        var problem = Assert.Single(reader.Summary.Problems);
        Assert.Equal("s3://no-such-bucket/AWSLogs/", problem.Source);
        Assert.Contains("NoSuchBucket", problem.Reason);
    }

    [Fact]
    public async Task EndpointThatCannotBeReached_IsReported_NotThrown()
    {
        // Nothing listens on port 1: the connection is refused, which the SDK raises as a client error, not a service one.
        using var client = S3LogInputSource.CreateClient(new S3SourceOptions
        {
            ServiceUrl = "http://127.0.0.1:1",
            AccessKeyId = "AKIAFAKEFORLOOPBACK1",
            SecretAccessKey = "not-a-real-secret-only-for-a-local-fake",
        });
        var reader = new CloudLogReader();

        await foreach (var _ in reader.ReadAsync(new S3LogInputSource(client, "org-trail-logs", Prefix), TestContext.Current.CancellationToken))
        {
            Assert.Fail("no event expected");
        }

        var problem = Assert.Single(reader.Summary.Problems);
        Assert.Equal($"s3://org-trail-logs/{Prefix}", problem.Source);
        Assert.Contains("cannot list objects", problem.Reason);
        Assert.Contains("refused", problem.Reason, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task S3CompatibleServer_ServesASimulatedTrailBack()
    {
        await using var server = await S3rverServer.StartAsync("org-trail-logs", TestContext.Current.CancellationToken);
        var local = Directory.CreateTempSubdirectory("firebreak-s3-sim-");
        try
        {
            var simulated = await Firebreak.Detection.Simulation.AttackSimulator.RunAsync(
                new() { Scenario = "leaked-access-key", OutputDirectory = local.FullName, Events = 600, Seed = 4, OtherCloudsShare = 0 },
                TestContext.Current.CancellationToken);
            var options = new S3SourceOptions { ServiceUrl = server.ServiceUrl, AccessKeyId = "S3RVER", SecretAccessKey = "S3RVER" };
            using (var upload = new AmazonS3Client(options.AccessKeyId, options.SecretAccessKey, new AmazonS3Config
            {
                ServiceURL = server.ServiceUrl,
                ForcePathStyle = true,
                AuthenticationRegion = "us-east-1",

                // s3rver predates streaming checksums in uploads.
                RequestChecksumCalculation = Amazon.Runtime.RequestChecksumCalculation.WHEN_REQUIRED,
            }))
            {
                foreach (var file in simulated.Files)
                {
                    await upload.PutObjectAsync(new PutObjectRequest
                    {
                        BucketName = "org-trail-logs",
                        Key = file,
                        FilePath = Path.Combine(local.FullName, file),
                        UseChunkEncoding = false,
                    }, TestContext.Current.CancellationToken);
                }
            }

            using var client = S3LogInputSource.CreateClient(options);
            var reader = new CloudLogReader(new ReaderOptions { MaxDegreeOfParallelism = 2 });
            List<string> ids = [];
            await foreach (var cloudEvent in reader.ReadAsync(new S3LogInputSource(client, "org-trail-logs", "AWSLogs/"), TestContext.Current.CancellationToken))
            {
                ids.Add(cloudEvent.EventId!);
            }

            Assert.Empty(reader.Summary.Problems);
            Assert.Equal(simulated.Files.Count, reader.Summary.Files);
            Assert.Equal(simulated.TotalEvents, ids.Count);
            Assert.Subset(ids.ToHashSet(), simulated.AttackSteps.Select(s => s.EventId).ToHashSet());

            // With a time window, objects named for earlier times are not downloaded, and no event of the window is lost.
            var since = simulated.AttackSteps.Min(s => s.Time);
            var skipped = new List<string>();
            var windowed = new CloudLogReader(new ReaderOptions { MaxDegreeOfParallelism = 2 });
            List<Firebreak.Detection.Events.CloudEvent> read = [];
            await foreach (var cloudEvent in windowed.ReadAsync(new DeliveryWindow(since, null).Apply(new S3LogInputSource(client, "org-trail-logs", "AWSLogs/"), input => skipped.Add(input.Name)), TestContext.Current.CancellationToken))
            {
                read.Add(cloudEvent);
            }

            Assert.NotEmpty(skipped);
            Assert.All(skipped, name => Assert.StartsWith("s3://org-trail-logs/AWSLogs/", name, StringComparison.Ordinal));
            Assert.Equal(simulated.Files.Count, windowed.Summary.Files + skipped.Count);
            Assert.True(windowed.Summary.Bytes < reader.Summary.Bytes);
            Assert.Subset(read.Select(e => e.EventId!).ToHashSet(), simulated.AttackSteps.Select(s => s.EventId).ToHashSet());
        }
        finally
        {
            local.Delete(recursive: true);
        }
    }

    [Fact]
    public async Task TimeWindow_ListsOnlyTheDaysOfCloudTrailsRegionFolders_ThatMayHoldIt()
    {
        // An org trail holds years of keys; before, a hunt of one day listed every one of them.
        await using var server = await S3rverServer.StartAsync("org-trail-logs", TestContext.Current.CancellationToken);
        var options = new S3SourceOptions { ServiceUrl = server.ServiceUrl, AccessKeyId = S3rverServer.AccessKeyId, SecretAccessKey = S3rverServer.SecretAccessKey };
        using var client = S3LogInputSource.CreateClient(options);
        var keys = new List<string>();
        foreach (var region in new[] { "us-east-1", "eu-west-1" })
        {
            for (var day = 10; day <= 20; day++)
            {
                foreach (var hour in new[] { 0, 12 })
                {
                    var delivered = new DateTimeOffset(2026, 1, day, hour, 5, 0, TimeSpan.Zero);
                    keys.Add($"AWSLogs/111122223333/CloudTrail/{region}/{delivered:yyyy'/'MM'/'dd}/111122223333_CloudTrail_{region}_{delivered:yyyyMMdd'T'HHmm'Z'}_k{day}{hour}.json");
                }
            }
        }

        // Another account's digest folder: s3rver lists folder by folder, not in S3's byte order ("CloudTrail-Digest/"
        // sorts before "CloudTrail/" in S3), so the two sit where both orders agree.
        keys.Add("AWSLogs/222233334444/CloudTrail-Digest/us-east-1/2026/01/12/222233334444_CloudTrail-Digest_us-east-1_trail_us-east-1_20260112T000500Z.json.gz");
        keys.Add("AWSLogs/222233334444/CloudTrail-Digest/us-east-1/2026/01/16/222233334444_CloudTrail-Digest_us-east-1_trail_us-east-1_20260116T000500Z.json.gz");
        keys.Add("AWSLogs/exports/misc.json");

        // Beyond the window's days: later years (skipped a year at a time), and keys that are not in a day folder,
        // which are always listed: a file dropped there by hand, and one copied without its day folders.
        keys.Add("AWSLogs/111122223333/CloudTrail/us-east-1/2027/03/01/111122223333_CloudTrail_us-east-1_20270301T0005Z_y27.json");
        keys.Add("AWSLogs/111122223333/CloudTrail/us-east-1/2028/03/01/111122223333_CloudTrail_us-east-1_20280301T0005Z_y28.json");
        keys.Add("AWSLogs/111122223333/CloudTrail/us-east-1/333344445555_CloudTrail_us-east-1_20260115T1205Z_flat.json");
        keys.Add("AWSLogs/111122223333/CloudTrail/us-east-1/README.json");
        foreach (var key in keys)
        {
            var match = System.Text.RegularExpressions.Regex.Match(key, @"_(\d{8})T(\d{2})05Z_");
            var time = match.Success ? $"{match.Groups[1].Value[..4]}-{match.Groups[1].Value[4..6]}-{match.Groups[1].Value[6..]}T{match.Groups[2].Value}:02:00Z" : "2026-01-01T00:00:00Z";
            var body = $$"""{"Records":[{"eventVersion":"1.08","eventTime":"{{time}}","eventSource":"s3.amazonaws.com","eventName":"ListBuckets","awsRegion":"us-east-1","userIdentity":{"type":"IAMUser","arn":"arn:aws:iam::111122223333:user/ops"},"eventID":"{{key}}"}]}""";
            await client.PutObjectAsync(new PutObjectRequest { BucketName = "org-trail-logs", Key = key, ContentBody = body, UseChunkEncoding = false }, TestContext.Current.CancellationToken);
        }

        var since = DateTimeOffset.Parse("2026-01-15T12:00:00Z", System.Globalization.CultureInfo.InvariantCulture);
        var until = since.AddHours(12);
        var window = new DeliveryWindow(since, until);
        async Task<List<string>> Listed(S3LogInputSource source)
        {
            var names = new List<string>();
            await foreach (var input in source.ListAsync(p => Assert.Fail(p.ToString()), TestContext.Current.CancellationToken))
            {
                names.Add(input.Name["s3://org-trail-logs/".Length..]);
            }

            return names;
        }

        Assert.Equal(keys.Order(StringComparer.Ordinal), (await Listed(new S3LogInputSource(client, "org-trail-logs", "AWSLogs/"))).Order(StringComparer.Ordinal));

        // Listed: in a day folder of a CloudTrail region folder, the days from firstDay to lastDay; every other key.
        static bool Kept(string key, string? firstDay, string? lastDay)
        {
            var day = System.Text.RegularExpressions.Regex.Match(key, "/CloudTrail[^/]*/[a-z0-9-]+/([0-9]{4}/[0-9]{2}/[0-9]{2})/");
            return !day.Success
                || ((firstDay is null || string.CompareOrdinal(day.Groups[1].Value, firstDay) >= 0) && (lastDay is null || string.CompareOrdinal(day.Groups[1].Value, lastDay) <= 0));
        }

        List<string> Expected(string? under, string? firstDay, string? lastDay) =>
            keys.Where(k => (under is null || k.StartsWith(under, StringComparison.Ordinal)) && Kept(k, firstDay, lastDay)).Order(StringComparer.Ordinal).ToList();

        // Days 15 to 17 (a file delivered a day late may hold the window's events); the prefix need not end at a folder,
        // and may reach into one.
        foreach (var prefix in new[] { "AWSLogs/", "AWSLogs", null, "AWSLogs/111122223333/CloudTrail/", "AWSLogs/111122223333/CloudTrail/us-east-1/", "AWSLogs/111122223333/CloudTrail/us-east-1/2026/01/1" })
        {
            var listed = await Listed(new S3LogInputSource(client, "org-trail-logs", prefix, window));
            Assert.Equal(Expected(prefix, "2026/01/15", "2026/01/17"), listed.Order(StringComparer.Ordinal));
        }

        Assert.Equal(16, Expected("AWSLogs/", "2026/01/15", "2026/01/17").Count);

        // Only an end: every day up to a day after it. Only a start near midnight: from the day before.
        Assert.Equal(Expected(null, null, "2026/01/17"), (await Listed(new S3LogInputSource(client, "org-trail-logs", "AWSLogs/", new DeliveryWindow(null, until)))).Order(StringComparer.Ordinal));
        var nearMidnight = new DeliveryWindow(DateTimeOffset.Parse("2026-01-15T00:10:00Z", System.Globalization.CultureInfo.InvariantCulture), null);
        Assert.Equal(Expected(null, "2026/01/14", null), (await Listed(new S3LogInputSource(client, "org-trail-logs", "AWSLogs/", nearMidnight))).Order(StringComparer.Ordinal));

        // Read through the window: every event of the window is found, and no more than the window's listing is opened.
        var reader = new CloudLogReader();
        var skipped = new List<string>();
        var read = new List<string>();
        await foreach (var e in reader.ReadAsync(window.Apply(new S3LogInputSource(client, "org-trail-logs", "AWSLogs/111122223333/CloudTrail/", window), i => skipped.Add(i.Name)), TestContext.Current.CancellationToken))
        {
            if (e.Time >= since && e.Time < until)
            {
                read.Add(e.EventId!);
            }
        }

        Assert.Equal(keys.Where(k => k.EndsWith("_k1512.json", StringComparison.Ordinal) || k.EndsWith("_flat.json", StringComparison.Ordinal)).Order(StringComparer.Ordinal), read.Order(StringComparer.Ordinal));
        Assert.Equal(Expected("AWSLogs/111122223333/CloudTrail/", "2026/01/15", "2026/01/17").Count, reader.Summary.Files + skipped.Count);
        Assert.Contains(skipped, name => name.EndsWith("_k150.json", StringComparison.Ordinal));
    }

    [Fact]
    public async Task TimeWindow_OnAServerThatIgnoresStartAfter_StopsWithAnError_InsteadOfGoingRoundForever()
    {
        // This loopback fake lists from the first key whatever it is told, as some S3 look-alikes do.
        const string Folder = "AWSLogs/111122223333/CloudTrail/us-east-1/";
        await using var server = FakeS3Server.Start("org-trail-logs", new Dictionary<string, byte[]>
        {
            [Folder + "2026/01/10/111122223333_CloudTrail_us-east-1_20260110T0005Z_a.json"] = "{}"u8.ToArray(),
            [Folder + "2026/01/16/111122223333_CloudTrail_us-east-1_20260116T0005Z_b.json"] = "{}"u8.ToArray(),
        });
        using var client = S3LogInputSource.CreateClient(Loopback(server));
        var problems = new List<ReadProblem>();
        var names = new List<string>();
        var window = new DeliveryWindow(DateTimeOffset.Parse("2026-01-15T12:00:00Z", System.Globalization.CultureInfo.InvariantCulture), null);

        await foreach (var input in new S3LogInputSource(client, "org-trail-logs", "AWSLogs/", window).ListAsync(problems.Add, TestContext.Current.CancellationToken).WithCancellation(new CancellationTokenSource(TimeSpan.FromSeconds(60)).Token))
        {
            names.Add(input.Name);
        }

        var problem = Assert.Single(problems);
        Assert.Equal(ProblemSeverity.Error, problem.Severity);
        Assert.Contains("does not start listings after the key it is given", problem.Reason, StringComparison.Ordinal);
        Assert.Empty(names);
    }

    [Theory]
    [InlineData("a", "b", -1)]
    [InlineData("ab", "a", 1)]
    [InlineData("same", "same", 0)]
    // U+FF01 before U+1F600 in UTF-8 bytes, as S3 sorts; UTF-16 units put the surrogate pair first.
    [InlineData("\uFF01", "\U0001F600", -1)]
    public void CompareAsS3_OrdersByUtf8Bytes(string a, string b, int sign)
    {
        Assert.Equal(sign, Math.Sign(S3LogInputSource.CompareAsS3(a, b)));
        Assert.Equal(-sign, Math.Sign(S3LogInputSource.CompareAsS3(b, a)));
    }
}
