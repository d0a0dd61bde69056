using Firebreak.Core.Incidents;
using Firebreak.Core.ThreatIntel;

namespace Firebreak.Core.Tests.ThreatIntel;

public class MispReaderTests
{
    [Fact]
    public void Event_ReadsAttributesAndObjectAttributes_ForDetection()
    {
        var document = MispReader.ReadDocument(FeedFixtures.Bytes(FeedFixtures.MispEvent));
        var byValue = document.Indicators.ToDictionary(i => i.Indicator.ToString());

        Assert.Equal(
            ["domain:login-portal.example.net", "email:billing@example-invoices.com", "hash:9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
             "ip:192.0.2.99", "ip:203.0.113.77", "user-agent:python-requests/2.31.0 evil"],
            byValue.Keys.Order(StringComparer.Ordinal));
        var ip = byValue["ip:203.0.113.77"];
        Assert.Equal(("6a1b2c3d-0001-4e5f-8a9b-0c1d2e3f4a5b", Tlp.Green, 90), (ip.SourceId, ip.Tlp!.Value, ip.Confidence!.Value));
        Assert.Contains("misp:ip-src", ip.Labels!);
        Assert.Contains("Phishing campaign", ip.Description, StringComparison.Ordinal);
        // The attribute's own tag wins over the event's.
        Assert.Equal(Tlp.Amber, byValue["domain:login-portal.example.net"].Tlp);
        Assert.Contains("misp-object:file", byValue["hash:9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"].Labels!);
        Assert.Equal(8, document.ObjectsRead);
        Assert.Contains(document.Skipped, s => s.SourceId == "6a1b2c3d-0004-4e5f-8a9b-0c1d2e3f4a5b" && s.Reason.Contains("to_ids is false", StringComparison.Ordinal));
        Assert.Contains(document.Skipped, s => s.SourceId == "6a1b2c3d-0005-4e5f-8a9b-0c1d2e3f4a5b" && s.Reason.Contains("'vulnerability'", StringComparison.Ordinal));
        Assert.Equal(2, document.Skipped.Count);
    }

    [Fact]
    public void Event_WithAUtf8ByteOrderMark_ReadsAsWithout()
    {
        var plain = MispReader.ReadDocument(FeedFixtures.Bytes(FeedFixtures.MispEvent));
        var marked = MispReader.ReadDocument(new byte[] { 0xEF, 0xBB, 0xBF }.Concat(FeedFixtures.Bytes(FeedFixtures.MispEvent).ToArray()).ToArray());

        Assert.NotEmpty(marked.Indicators);
        Assert.Equal(plain.Indicators.Select(i => i.Indicator.ToString()), marked.Indicators.Select(i => i.Indicator.ToString()));
    }

    [Fact]
    public void Manifest_ListsEventsWithTimestamps()
    {
        var manifest = MispReader.ReadManifest(FeedFixtures.Bytes("""
        { "5f1d2c3b-4a59-4687-9a1b-2c3d4e5f6a7b": { "info": "Phishing", "timestamp": "1770710400", "Tag": [ { "name": "tlp:green" } ] },
          "6a2e3d4c-5b6a-4798-8b2c-3d4e5f6a7b8c": { "info": "Scanning", "timestamp": 1770800000 } }
        """));
        Assert.Equal([("5f1d2c3b-4a59-4687-9a1b-2c3d4e5f6a7b", 1770710400L), ("6a2e3d4c-5b6a-4798-8b2c-3d4e5f6a7b8c", 1770800000L)],
            manifest.Select(m => (m.Uuid, m.Timestamp)).Order());
    }

    [Theory]
    [InlineData("{ \"Event\": ")]
    [InlineData("{ \"Events\": [] }")]
    [InlineData("\"text\"")]
    public void Malformed_IsAFormatError(string json) =>
        Assert.Throws<FeedFormatException>(() => MispReader.ReadDocument(FeedFixtures.Bytes(json)));

    [Fact]
    public void Manifest_UploadedAsAnEvent_SaysWhatToDo()
    {
        var error = Assert.Throws<FeedFormatException>(() => MispReader.ReadDocument(FeedFixtures.Bytes(
            "{ \"5f1d2c3b-4a59-4687-9a1b-2c3d4e5f6a7b\": { \"info\": \"x\", \"timestamp\": \"1\" } }")));
        Assert.Contains("manifest", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Attributes_WithBadValues_AreSkippedWithTheReason()
    {
        var document = MispReader.ReadDocument(FeedFixtures.Bytes("""
        [ { "Event": { "uuid": "e1", "Attribute": [
            { "uuid": "a1", "type": "ip-dst", "value": "999.1.1.1", "to_ids": true },
            { "uuid": "a2", "type": "md5", "value": "xyz", "to_ids": true },
            { "uuid": "a3", "type": "ip-dst", "to_ids": true },
            { "uuid": "a4", "type": "hostname", "value": "ok.example.com", "to_ids": 1, "deleted": true } ] } },
          { "NotAnEvent": {} } ]
        """));
        Assert.Equal(["domain:ok.example.com"], document.Indicators.Select(i => i.Indicator.ToString()));
        Assert.True(document.Indicators[0].Revoked);
        Assert.Equal(["a1", "a2", "a3", "event"], document.Skipped.Select(s => s.SourceId));
    }
}
