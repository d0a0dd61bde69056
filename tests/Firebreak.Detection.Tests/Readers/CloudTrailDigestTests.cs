using System.IO.Compression;
using System.Text;
using Firebreak.Detection.Hunting;
using Firebreak.Detection.Readers;
using Firebreak.Detection.Sigma;
using Firebreak.Detection.Tests.Sigma;

namespace Firebreak.Detection.Tests.Readers;

/// <summary>
/// A trail with log file validation on delivers a digest file per region and hour beside its logs. Hunting or importing
/// the trail's folder reported each as a file of no known format: hundreds of "errors" a day of logs, and a folder of
/// digests alone read as a hunt that could not read its inputs, with no word of why.
/// </summary>
public sealed class CloudTrailDigestTests : IDisposable
{
    private readonly DirectoryInfo _root = Directory.CreateTempSubdirectory("firebreak-digest-");

    public void Dispose() => _root.Delete(recursive: true);

    // The shape AWS documents for a digest file (field names and types), with made-up values. The trail's name holds
    // "AuditLogs", an Entra audit log's mark: past the pre-filter, the digest is then known in the check of a skipped
    // record (the mark says it may be of a known log), and without the filter in reading it.
    private const string Digest = """
        {"awsAccountId":"111122223333","digestStartTime":"2026-01-15T08:00:00Z","digestEndTime":"2026-01-15T09:00:00Z",
         "digestS3Bucket":"trail-bucket","digestS3Object":"AWSLogs/111122223333/CloudTrail-Digest/us-east-1/2026/01/15/111122223333_CloudTrail-Digest_us-east-1_AuditLogs-trail_us-east-1_20260115T090000Z.json.gz",
         "digestPublicKeyFingerprint":"31e8b5433410dfb61a9dc45cc65b22ff","digestSignatureAlgorithm":"SHA256withRSA",
         "newestEventTime":"2026-01-15T08:52:27Z","oldestEventTime":"2026-01-15T08:02:27Z",
         "previousDigestS3Bucket":"trail-bucket","previousDigestS3Object":"AWSLogs/111122223333/CloudTrail-Digest/us-east-1/2026/01/15/c.json.gz",
         "previousDigestHashValue":"97fb791cf91ffc440d274f8190dbdd9aa09c34432aba82739df18b6d3c13df2d","previousDigestHashAlgorithm":"SHA-256",
         "previousDigestSignature":"50887ccffad4c002b97caa37cc9dc626e3c680207d41d27fa5835458e066e0d3",
         "logFiles":[{"s3Bucket":"trail-bucket","s3Object":"AWSLogs/111122223333/CloudTrail/us-east-1/2026/01/15/l.json.gz",
           "hashValue":"9bb6196fc6b84d6f075a56548feca262bd99ba3c2de41b618e5b6e22c1fc71f6","hashAlgorithm":"SHA-256",
           "newestEventTime":"2026-01-15T08:52:27Z","oldestEventTime":"2026-01-15T08:02:27Z"}]}
        """;

    private const string Trail = """{"Records":[{"eventVersion":"1.08","eventTime":"2026-01-15T08:10:00Z","eventSource":"cloudtrail.amazonaws.com","eventName":"StopLogging","awsRegion":"us-east-1","userIdentity":{"type":"IAMUser","arn":"arn:aws:iam::111122223333:user/ops"},"eventID":"e1"}]}""";

    private string Write(string relative, string content, bool gzip = false)
    {
        var path = Path.Combine(_root.FullName, relative);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        if (!gzip)
        {
            File.WriteAllText(path, content);
            return path;
        }

        using var file = File.Create(path);
        using var zip = new GZipStream(file, CompressionLevel.Fastest);
        zip.Write(Encoding.UTF8.GetBytes(content));
        return path;
    }

    // One rule with a text every match holds, so that the pre-filter skips what lacks it.
    private static CompiledRuleSet Rules() => SigmaTestRules.Detection("    sel: {eventName: StopLogging}\n    condition: sel");

    [Fact]
    public async Task ATrailsFolder_IsReadWithoutItsDigestFiles_EachCounted_NoneAnError()
    {
        Write("AWSLogs/111122223333/CloudTrail/us-east-1/2026/01/15/111122223333_CloudTrail_us-east-1_20260115T0815Z_a1b2c3.json.gz", Trail, gzip: true);
        Write("AWSLogs/111122223333/CloudTrail-Digest/us-east-1/2026/01/15/111122223333_CloudTrail-Digest_us-east-1_org-trail_us-east-1_20260115T090000Z.json.gz", Digest, gzip: true);
        // Delivered late, for log files an earlier digest did not list.
        Write("AWSLogs/111122223333/CloudTrail-Digest/us-east-1/2026/01/15/111122223333_CloudTrail-Digest_us-east-1_org-trail_us-east-1_20260115T100000Z_backfill.json.gz", Digest, gzip: true);
        // Copied out under another name: known by what it holds.
        Write("copied/digest-of-the-hour.json", Digest);

        foreach (var filtered in new[] { false, true })
        {
            var rules = Rules();
            var reader = new CloudLogReader(filtered
                ? new ReaderOptions { RawFilter = RuleRawFilter.Create(rules), RawFilterForUnknownShape = RuleRawFilter.CreateForUnknownShape(rules, LogFormat.Auto) }
                : null);

            var events = await reader.ReadAllAsync(_root.FullName);

            Assert.Equal("e1", Assert.Single(events).EventId);
            Assert.Empty(reader.Summary.Problems);
            Assert.Equal(0, reader.Summary.Errors);
            Assert.Equal(3, reader.Summary.DigestFiles);
            // The two named as digests are passed by unopened; the copy was opened to be known.
            Assert.Equal(2, reader.Summary.Files);
            Assert.Equal(0, reader.Summary.Filtered);
        }
    }

    [Fact]
    public async Task ADigestAmongRecordsOfAForcedFormat_IsNoProblem_AndAStreamGivenOpenIsReadWhateverItsName()
    {
        var forced = new CloudLogReader(new ReaderOptions { Format = LogFormat.CloudTrail });
        var open = new CloudLogReader();
        var stream = new MemoryStream(Encoding.UTF8.GetBytes(Digest + "\n" + Trail));

        Assert.Single(await forced.ReadAllAsync(new MemoryStream(Encoding.UTF8.GetBytes(Digest + "\n" + Trail)), "both.json"));
        // Named as a digest, but handed in open: read, and known by what it holds.
        Assert.Single(await open.ReadAllAsync(stream, "111122223333_CloudTrail-Digest_us-east-1_t_us-east-1_20260115T090000Z.json"));

        Assert.Empty(forced.Summary.Problems);
        Assert.Equal(1, forced.Summary.DigestFiles);
        Assert.Empty(open.Summary.Problems);
        Assert.Equal(1, open.Summary.DigestFiles);
        Assert.False(stream.CanRead, "the stream handed in is disposed when read");
    }

    [Theory]
    // Half the shape is not a digest: still a record of no known format, reported.
    [InlineData("""{"digestStartTime":"2026-01-15T08:00:00Z","digestEndTime":"2026-01-15T09:00:00Z"}""")]
    [InlineData("""{"digestStartTime":"2026-01-15T08:00:00Z","digestEndTime":"2026-01-15T09:00:00Z","logFiles":"none"}""")]
    public async Task ARecordWithOnlyPartOfADigestsShape_IsReportedAsUnrecognised(string record)
    {
        var reader = new CloudLogReader();

        Assert.Empty(await reader.ReadAllAsync(new MemoryStream(Encoding.UTF8.GetBytes(record)), "almost.json"));

        Assert.StartsWith("unrecognised record format", Assert.Single(reader.Summary.Problems).Reason, StringComparison.Ordinal);
        Assert.Equal(0, reader.Summary.DigestFiles);
    }

    [Theory]
    [InlineData("111122223333_CloudTrail-Digest_us-east-1_t_us-east-1_20260115T090000Z.json.gz", true)]
    [InlineData("s3-key/AWSLogs/o-abc/111122223333/CloudTrail-Digest/us-east-1/2026/01/15/111122223333_CloudTrail-Digest_us-east-1_t_us-east-1_20260115T090000Z_backfill.json", true)]
    [InlineData(@"C:\logs\111122223333_CloudTrail-Digest_eu-west-1_t_eu-west-1_20260115T090000Z.json.gz", true)]
    [InlineData("handover.zip!111122223333_CloudTrail-Digest_us-east-1_t_us-east-1_20260115T090000Z.json.gz", true)]
    [InlineData("111122223333_CloudTrail_us-east-1_20260115T0815Z_a1b2c3.json.gz", false)]
    [InlineData("CloudTrail-Digest/us-east-1/notes.json", false)]
    [InlineData("111122223333_CloudTrail-Digest_us-east-1.txt", false)]
    public void DigestNames_AreKnownByTheirLastSegment(string name, bool digest) =>
        Assert.Equal(digest, CloudTrailDigest.IsName(name));
}
