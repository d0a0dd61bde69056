using System.IO.Compression;
using System.Text;
using Firebreak.Detection.Readers;
using Firebreak.Detection.Readers.Sources;

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
        await foreach (var cloudEvent in reader.ReadAsync(new S3LogInputSource(client, "org-trail-logs", Prefix), TestContext.Current.CancellationToken))
        {
            operations.Add(cloudEvent.Operation);
        }

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
}
