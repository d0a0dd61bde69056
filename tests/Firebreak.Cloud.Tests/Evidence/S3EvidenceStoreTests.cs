using System.Security.Cryptography;
using System.Text;
using Amazon.Runtime;
using Amazon.S3;
using Amazon.S3.Model;
using Firebreak.Cloud.Evidence;
using Firebreak.Core.Common;
using Firebreak.Core.Evidence;
using Firebreak.Core.Incidents;
using Firebreak.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Firebreak.Cloud.Tests.Evidence;

/// <summary>One S3-compatible server for the class; every test writes under its own prefix.</summary>
public sealed class S3Fixture : IAsyncLifetime
{
    public const string Bucket = "incident-evidence";

    public S3rverServer Server { get; private set; } = null!;

    public async ValueTask InitializeAsync() => Server = await S3rverServer.StartAsync(Bucket, TestContext.Current.CancellationToken);

    public async ValueTask DisposeAsync() => await Server.DisposeAsync();

    public S3EvidenceStoreOptions Options(string prefix, string bucket = Bucket) => new()
    {
        Bucket = bucket,
        Prefix = prefix,
        Region = "us-east-1",
        ServiceUrl = Server.ServiceUrl,
        ForcePathStyle = true,
        PartSizeMiB = 5,
        // s3rver predates flexible checksums on uploads.
        RequestChecksums = "when-required",
    };

    public AmazonS3Client Client(S3EvidenceStoreOptions options, string accessKeyId = S3rverServer.AccessKeyId) =>
        new(new BasicAWSCredentials(accessKeyId, S3rverServer.SecretAccessKey), options.ClientConfig());
}

public class S3EvidenceStoreTests(S3Fixture s3) : IClassFixture<S3Fixture>
{
    private static string NewPrefix() => $"firebreak/{Guid.NewGuid():n}/";

    private async Task<CoreHarness> HarnessAsync(DatabaseKind kind, S3EvidenceStoreOptions options, string accessKeyId = S3rverServer.AccessKeyId) =>
        await CoreHarness.CreateAsync(kind, services: (services, _) =>
            services.Replace(ServiceDescriptor.Singleton<IEvidenceStore>(new S3EvidenceStore(s3.Client(options, accessKeyId), options))));

    private async Task<List<string>> KeysAsync(string prefix)
    {
        using var client = s3.Client(s3.Options(prefix));
        var listed = await client.ListObjectsV2Async(new ListObjectsV2Request { BucketName = S3Fixture.Bucket, Prefix = prefix });
        return (listed.S3Objects ?? []).Select(o => o.Key).ToList();
    }

    [Theory, MemberData(nameof(Databases.Both), MemberType = typeof(Databases))]
    public async Task Upload_IsStoredUnderItsSha256_DuplicatesOnce_AndVerifies(DatabaseKind kind)
    {
        var options = s3.Options(NewPrefix());
        await using var harness = await HarnessAsync(kind, options);
        var acme = await harness.CreateTenantAsync("Acme");
        await using var scope = harness.As(acme.Responder);
        var incident = await scope.Get<IncidentService>().CreateAsync(new CreateIncident("Exfiltration"));
        var evidence = scope.Get<EvidenceService>();
        var bytes = Encoding.UTF8.GetBytes("{\"eventName\":\"GetObject\",\"bucket\":\"payroll\"}\n");
        var sha256 = Convert.ToHexStringLower(SHA256.HashData(bytes));

        var first = await evidence.AddFileAsync(incident.Reference, new AddEvidenceFile("trail.json", EvidenceKind.LogSet, "CloudTrail"), new MemoryStream(bytes));
        var second = await evidence.AddFileAsync(incident.Reference, new AddEvidenceFile("copy.json", EvidenceKind.LogSet, "analyst laptop"), new MemoryStream(bytes));

        Assert.Equal(sha256, first.Sha256);
        Assert.Equal(Convert.ToHexStringLower(SHA1.HashData(bytes)), first.Sha1);
        Assert.Equal(Convert.ToHexStringLower(MD5.HashData(bytes)), first.Md5);
        Assert.Equal(sha256, second.Sha256);
        Assert.Equal([$"{options.Prefix}{sha256[..2]}/{sha256[2..4]}/{sha256}"], await KeysAsync(options.Prefix));
        Assert.Equal(2, (await evidence.ListAsync(incident.Reference)).Count);
        var report = await evidence.VerifyAsync(incident.Reference);
        Assert.True(report.Ok);
        var (_, content) = await evidence.OpenAsync(first.Id, "review");
        await using (content)
        {
            var copy = new MemoryStream();
            await content.CopyToAsync(copy);
            Assert.Equal(bytes, copy.ToArray());
        }
    }

    [Fact]
    public async Task LargeFile_StreamsInParts_HashesWhileStreaming_AndLeavesNoStagingObject()
    {
        var options = s3.Options(NewPrefix());
        using var client = s3.Client(options);
        var store = new S3EvidenceStore(client, options);
        // Two full 5 MiB parts and a short third one.
        var bytes = new byte[11 * 1024 * 1024 + 123];
        new Random(7).NextBytes(bytes);

        var blob = await store.PutAsync(new MemoryStream(bytes), long.MaxValue, TestContext.Current.CancellationToken);

        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(bytes)), blob.Sha256);
        Assert.Equal(Convert.ToHexStringLower(MD5.HashData(bytes)), blob.Md5);
        Assert.Equal(bytes.Length, blob.Size);
        Assert.Equal([store.KeyFor(blob.Sha256)], await KeysAsync(options.Prefix));
        await using var stored = await store.OpenAsync(blob.Sha256, TestContext.Current.CancellationToken);
        var read = await EvidenceHashes.ComputeAsync(stored, TestContext.Current.CancellationToken);
        Assert.Equal((blob.Sha256, blob.Sha1, blob.Md5, blob.Size), read);

        // A file of exactly one part is written as a multipart upload of one part; the result is the same.
        var exact = bytes.AsMemory(0, 5 * 1024 * 1024).ToArray();
        var exactBlob = await store.PutAsync(new MemoryStream(exact), long.MaxValue, TestContext.Current.CancellationToken);
        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(exact)), exactBlob.Sha256);
        Assert.Equal(2, (await KeysAsync(options.Prefix)).Count);
    }

    [Theory, MemberData(nameof(Databases.Both), MemberType = typeof(Databases))]
    public async Task ObjectAlteredBehindTheStore_IsNamedByVerify(DatabaseKind kind)
    {
        var options = s3.Options(NewPrefix());
        await using var harness = await HarnessAsync(kind, options);
        var acme = await harness.CreateTenantAsync("Acme");
        await using var scope = harness.As(acme.Responder);
        var incident = await scope.Get<IncidentService>().CreateAsync(new CreateIncident("Ransomware"));
        var evidence = scope.Get<EvidenceService>();
        var kept = await evidence.AddFileAsync(incident.Reference, new AddEvidenceFile("netflow.csv", EvidenceKind.LogSet, "VPC flow logs"), new MemoryStream("10.0.0.4,443\n"u8.ToArray()));
        var altered = await evidence.AddFileAsync(incident.Reference, new AddEvidenceFile("ransom-note.txt", EvidenceKind.File, "fs01"), new MemoryStream("pay 2 BTC\n"u8.ToArray()));

        using (var other = s3.Client(options))
        {
            // Same length, one byte changed: only the hashes can tell.
            await other.PutObjectAsync(new PutObjectRequest
            {
                BucketName = options.Bucket,
                Key = new S3EvidenceStore(other, options).KeyFor(altered.Sha256!),
                ContentBody = "pay 9 BTC\n",
                UseChunkEncoding = false,
            });
        }

        var report = await evidence.VerifyAsync(incident.Reference);
        Assert.False(report.Ok);
        Assert.Empty(report.Chain);
        Assert.True(report.Items.Single(i => i.Id == kept.Id).Ok);
        var bad = report.Items.Single(i => i.Id == altered.Id);
        Assert.False(bad.Ok);
        Assert.Equal("SHA-256 does not match", bad.Problem);
    }

    [Theory, MemberData(nameof(Databases.Both), MemberType = typeof(Databases))]
    public async Task MissingBucket_IsAClearError_AndNoItemIsWritten(DatabaseKind kind)
    {
        await using var harness = await HarnessAsync(kind, s3.Options(NewPrefix(), bucket: "no-such-evidence-bucket"));
        var acme = await harness.CreateTenantAsync("Acme");
        await using var scope = harness.As(acme.Responder);
        var incident = await scope.Get<IncidentService>().CreateAsync(new CreateIncident("Phishing"));
        var evidence = scope.Get<EvidenceService>();

        var error = await Assert.ThrowsAsync<EvidenceStoreUnavailableException>(() =>
            evidence.AddFileAsync(incident.Reference, new AddEvidenceFile("mail.eml", EvidenceKind.File, "mailbox"), new MemoryStream("From: ceo\n"u8.ToArray())));

        Assert.Equal("Could not store evidence in the evidence store: the bucket 'no-such-evidence-bucket' does not exist. Nothing was stored.", error.Message);
        Assert.Empty(await evidence.ListAsync(incident.Reference));
        Assert.Empty(await evidence.ListCustodyAsync(incident.Reference));
    }

    [Theory, MemberData(nameof(Databases.Both), MemberType = typeof(Databases))]
    public async Task AccessDenied_IsAClearError_WithoutTheKey_AndNoItemIsWritten(DatabaseKind kind)
    {
        var options = s3.Options(NewPrefix());
        await using var harness = await HarnessAsync(kind, options, accessKeyId: "AKIAUNKNOWNTOTHEBUCKET");
        var acme = await harness.CreateTenantAsync("Acme");
        await using var scope = harness.As(acme.Responder);
        var incident = await scope.Get<IncidentService>().CreateAsync(new CreateIncident("Phishing"));
        var evidence = scope.Get<EvidenceService>();

        // Over one part too, so the multipart path reports the same way.
        foreach (var size in new[] { 100, 6 * 1024 * 1024 })
        {
            var error = await Assert.ThrowsAsync<EvidenceStoreUnavailableException>(() =>
                evidence.AddFileAsync(incident.Reference, new AddEvidenceFile("mail.eml", EvidenceKind.File, "mailbox"), new MemoryStream(new byte[size])));
            // A HEAD answer has no body, so S3 names only the status there; either way it says "denied".
            Assert.Matches($@"^Could not store evidence in the evidence store: access to the bucket '{S3Fixture.Bucket}' was denied \((InvalidAccessKeyId|Forbidden)\)\. Check the credentials .* Nothing was stored\.$", error.Message);
            Assert.DoesNotContain("AKIAUNKNOWNTOTHEBUCKET", error.Message);
        }
        Assert.Empty(await evidence.ListAsync(incident.Reference));
        Assert.Empty(await evidence.ListCustodyAsync(incident.Reference));
        Assert.Empty(await KeysAsync(options.Prefix));
    }

    [Theory, MemberData(nameof(Databases.Both), MemberType = typeof(Databases))]
    public async Task InterruptedOrOversizedUpload_LeavesNoObjectAndNoItem(DatabaseKind kind)
    {
        var options = s3.Options(NewPrefix());
        await using var harness = await HarnessAsync(kind, options);
        var acme = await harness.CreateTenantAsync("Acme");
        await using var scope = harness.As(acme.Responder);
        var incident = await scope.Get<IncidentService>().CreateAsync(new CreateIncident("Insider"));
        var evidence = scope.Get<EvidenceService>();

        // Breaks in the second part, after the first was uploaded.
        await Assert.ThrowsAsync<IOException>(() =>
            evidence.AddFileAsync(incident.Reference, new AddEvidenceFile("disk.img", EvidenceKind.File, "laptop"), new BreakingStream(7 * 1024 * 1024)));
        await Assert.ThrowsAsync<IOException>(() =>
            evidence.AddFileAsync(incident.Reference, new AddEvidenceFile("small.img", EvidenceKind.File, "laptop"), new BreakingStream(1000)));

        Assert.Empty(await KeysAsync(options.Prefix));
        Assert.Empty(await evidence.ListAsync(incident.Reference));
        Assert.Empty(await evidence.ListCustodyAsync(incident.Reference));
    }

    [Fact]
    public async Task OversizedUpload_IsRefused_WithNothingStored()
    {
        var options = s3.Options(NewPrefix());
        using var client = s3.Client(options);
        var store = new S3EvidenceStore(client, options);

        var error = await Assert.ThrowsAsync<ValidationFailedException>(() => store.PutAsync(new MemoryStream(new byte[6 * 1024 * 1024]), 5 * 1024 * 1024 + 10, TestContext.Current.CancellationToken));

        Assert.Contains("file", error.Errors.Keys);
        Assert.Empty(await KeysAsync(options.Prefix));
    }

    [Fact]
    public async Task Open_OfAnUnknownBlob_IsNotFound()
    {
        var options = s3.Options(NewPrefix());
        using var client = s3.Client(options);
        var store = new S3EvidenceStore(client, options);

        await Assert.ThrowsAsync<NotFoundException>(() => store.OpenAsync(new string('a', 64), TestContext.Current.CancellationToken));
        await Assert.ThrowsAsync<NotFoundException>(() => store.OpenAsync("../../etc/passwd", TestContext.Current.CancellationToken));
    }

    private sealed class BreakingStream(long breakAfter) : Stream
    {
        private long _sent;

        public override int Read(byte[] buffer, int offset, int count)
        {
            if (_sent >= breakAfter) throw new IOException("The client went away.");
            var n = (int)Math.Min(count, breakAfter - _sent);
            _sent += n;
            return n;
        }

        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => _sent; set => throw new NotSupportedException(); }
        public override void Flush() { }
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
