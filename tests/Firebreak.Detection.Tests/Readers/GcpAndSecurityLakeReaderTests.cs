using System.Text;
using Firebreak.Detection.Events;
using Firebreak.Detection.Readers;

namespace Firebreak.Detection.Tests.Readers;

public class GcpAndSecurityLakeReaderTests
{
    [Fact]
    public async Task GcpAuditArray_MapsPrincipalDelegationAndStatus()
    {
        var reader = new CloudLogReader();

        var events = await reader.ReadAllAsync(TestData.Fixture("gcp-audit.json"));

        Assert.Empty(reader.Summary.Problems);
        Assert.Equal(2, events.Count);
        var insert = events[0];
        Assert.Equal(new LogSource("gcp", "gcp.audit"), insert.LogSource);
        Assert.Equal("gcp", insert.Provider);
        Assert.Equal("acme-prod", insert.Account);
        Assert.Equal("europe-west1-b", insert.Region);
        Assert.Equal("v1.compute.instances.insert", insert.Operation);
        Assert.Equal("compute.googleapis.com", insert.Service);
        Assert.Equal("ServiceAccount", insert.Actor.Type);
        Assert.Equal("deployer@acme-prod.iam.gserviceaccount.com", insert.Actor.Uid);
        Assert.EndsWith("/keys/0123456789abcdef0123456789abcdef01234567", insert.Actor.AccessKeyId);
        Assert.Equal(["grace@acme.example"], insert.Actor.AssumedRoleChain);
        Assert.Equal("198.51.100.88", insert.SourceIp);
        Assert.StartsWith("google-cloud-sdk", insert.UserAgent);
        Assert.Equal("-k3j9d2e1a4b5", insert.EventId);
        Assert.Equal(EventOutcome.Success, insert.Outcome);
        Assert.Equal("miner-01", insert.RequestParameters!.Value.GetProperty("name").GetString());
        Assert.Equal(new EventResource("gce_instance", "projects/acme-prod/zones/europe-west1-b/instances/miner-01"), insert.Resources.Single());

        var deleteSink = events[1];
        Assert.Equal(EventOutcome.Failure, deleteSink.Outcome);
        Assert.Equal("7", deleteSink.ErrorCode);
        Assert.Equal("PERMISSION_DENIED", deleteSink.ErrorMessage);
        Assert.Equal("User", deleteSink.Actor.Type);
    }

    [Fact]
    public async Task GcpAuditJsonLines_AreReadLikeArrays()
    {
        var lines = new StringBuilder();
        using (var document = System.Text.Json.JsonDocument.Parse(await File.ReadAllTextAsync(TestData.Fixture("gcp-audit.json"), TestContext.Current.CancellationToken)))
        {
            foreach (var entry in document.RootElement.EnumerateArray())
            {
                lines.Append(entry.GetRawText().ReplaceLineEndings(" ")).Append('\n');
            }
        }

        var events = await new CloudLogReader().ReadAllAsync(new MemoryStream(Encoding.UTF8.GetBytes(lines.ToString())), "gcp.jsonl");

        Assert.Equal(["-k3j9d2e1a4b5", "1x2y3z4w5v6u"], events.Select(e => e.EventId));
    }

    [Fact]
    public async Task SecurityLakeOcsf_MapsApiActivity()
    {
        var reader = new CloudLogReader();

        var events = await reader.ReadAllAsync(TestData.Fixture("security-lake-api-activity.jsonl"));

        Assert.Empty(reader.Summary.Problems);
        Assert.Equal(2, events.Count);
        var delete = events[0];
        Assert.Equal(new LogSource("aws", "cloudtrail"), delete.LogSource);
        Assert.Equal(new DateTimeOffset(2026, 3, 4, 8, 0, 0, TimeSpan.Zero), delete.Time);
        Assert.Equal("DeleteTrail", delete.Operation);
        Assert.Equal("cloudtrail.amazonaws.com", delete.Service);
        Assert.Equal("111122223333", delete.Account);
        Assert.Equal("us-east-1", delete.Region);
        Assert.Equal("arn:aws:iam::111122223333:user/intern-bob", delete.Actor.Arn);
        Assert.Equal("AKIA4EXAMPLEINTERN01", delete.Actor.AccessKeyId);
        Assert.False(delete.Actor.MfaUsed);
        Assert.Equal(EventOutcome.Failure, delete.Outcome);
        Assert.Equal("AccessDenied", delete.ErrorCode);
        Assert.Equal("192.0.2.200", delete.SourceIp);
        Assert.Equal("org-trail", delete.RequestParameters!.Value.GetProperty("name").GetString());
        Assert.Equal("c3a1d7e0-2222-4333-8444-955566667771", delete.EventId);

        var list = events[1];
        Assert.Equal(EventOutcome.Success, list.Outcome);
        Assert.Equal("arn:aws:iam::111122223333:role/ci-build", list.Actor.SessionIssuer);
        Assert.Equal("AssumedRole", list.Actor.Type);
    }
}
