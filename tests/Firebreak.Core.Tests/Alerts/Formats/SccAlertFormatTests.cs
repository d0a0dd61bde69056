using Firebreak.Core.Alerts;
using Firebreak.Core.Alerts.Formats;
using static Firebreak.Core.Tests.Alerts.Formats.Fixture;

namespace Firebreak.Core.Tests.Alerts.Formats;

public class SccAlertFormatTests
{
    private readonly SccAlertFormat _format = new();

    [Fact]
    public void Parse_DecodesThePubSubPushRequest_AndMapsTheFinding()
    {
        var alert = Assert.Single(Parse(_format, "scc-pubsub-push.json"));

        Assert.Equal("scc", alert.Format);
        Assert.Equal("scc", alert.Source);
        Assert.Equal("organizations/123456789012/sources/5678901234567890123/findings/f3c1a8b9d7e64f21a0b9c8d7e6f5a4b3", alert.SourceReference);
        Assert.Equal("Persistence: IAM Anomalous Grant", alert.Title);
        Assert.Equal("Persistence: IAM Anomalous Grant", alert.Category);
        Assert.Equal("An external member was granted a role on the project.", alert.Description);
        Assert.Equal(AlertSeverity.High, alert.Severity);
        Assert.Equal("HIGH", alert.OriginalSeverity);
        Assert.Equal(Utc("2026-11-28T15:42:13.027Z"), alert.DetectedAt);
        Assert.Null(alert.FirstSeenAt);
        Assert.Equal(Utc("2026-11-28T15:42:10.511Z"), alert.LastSeenAt);
        Assert.Equal(["T1098", "T1078"], alert.Techniques);
        Assert.Equal("gcp", alert.Provider);
        Assert.Equal("acme-prod", alert.Account);
        Assert.Null(alert.Region);
        Assert.Equal(["//cloudresourcemanager.googleapis.com/projects/987654321098"], alert.Resources);
        Assert.Equal([Entity("service-account", "ops-bot@acme-prod.iam.gserviceaccount.com")], alert.Principals);
        Assert.Equal(
            [Entity("ip", "203.0.113.140"), Entity("user-agent", "google-cloud-sdk gcloud/470.0.0")],
            alert.Observables);
        Assert.Equal(Text("scc-notification.json"), alert.RawPayload);
    }

    [Fact]
    public void Parse_ReadsAListFindingsResponse()
    {
        var alerts = Parse(_format, "scc-list-findings.json");
        var mining = alerts[0];
        var bucket = alerts[1];

        Assert.Equal(2, alerts.Count);
        Assert.Equal("Execution: Cryptocurrency Mining Hash Match", mining.Title);
        Assert.Equal(AlertSeverity.Critical, mining.Severity);
        Assert.Equal(["T1496"], mining.Techniques);
        Assert.Equal("acme-prod", mining.Account);
        Assert.Equal("europe-west1", mining.Region);
        Assert.Equal([Entity("ip", "192.0.2.10"), Entity("domain", "pool.mining.example"), Entity("url", "stratum+tcp://pool.mining.example:3333")], mining.Observables);

        Assert.Equal("PUBLIC_BUCKET_ACL", bucket.Title);
        Assert.Equal(AlertSeverity.Medium, bucket.Severity);
        Assert.Equal("SEVERITY_UNSPECIFIED", bucket.OriginalSeverity);
        Assert.Null(bucket.Account);
        Assert.Equal(["//storage.googleapis.com/acme-public-assets"], bucket.Resources);
        Assert.Contains("\"stateChange\"", mining.RawPayload, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_ReadsABareFinding_TakingTheProjectFromTheResourceName()
    {
        var alert = Assert.Single(ParseText(_format,
            """{"name":"organizations/1/sources/2/findings/3","category":"OPEN_FIREWALL","severity":"LOW","resourceName":"//compute.googleapis.com/projects/acme-dev/global/firewalls/allow-all","eventTime":"2026-11-28T09:00:00Z"}"""));

        Assert.Equal(AlertSeverity.Low, alert.Severity);
        Assert.Equal("acme-dev", alert.Account);
        Assert.Equal(Utc("2026-11-28T09:00:00Z"), alert.DetectedAt);
    }

    [Fact]
    public void Parse_RejectsPubSubDataThatIsNotBase64()
    {
        var error = Assert.Throws<AlertFormatException>(() =>
            ParseText(_format, """{"message":{"data":"not base64!"},"subscription":"projects/p/subscriptions/s"}"""));

        Assert.Equal("$.message.data", error.Path);
    }

    [Fact]
    public void Parse_NamesThePathInsideDecodedPubSubData()
    {
        var data = Convert.ToBase64String("""{"finding":{"name":"n","category":}}"""u8.ToArray());

        var error = Assert.Throws<AlertFormatException>(() =>
            ParseText(_format, """{"message":{"data":""" + "\"" + data + "\"}}"));

        Assert.Equal("$.message.data.finding.category", error.Path);
    }
}
