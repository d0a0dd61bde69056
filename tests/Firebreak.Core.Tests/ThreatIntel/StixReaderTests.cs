using Firebreak.Core.Incidents;
using Firebreak.Core.Indicators;
using Firebreak.Core.ThreatIntel;

namespace Firebreak.Core.Tests.ThreatIntel;

public class StixReaderTests
{
    private static FeedDocument Read(string json) => StixReader.ReadDocument(FeedFixtures.Bytes(json));

    [Fact]
    public void Bundle_ReadsIndicatorsAndObservables_Normalised_WithTlpAndConfidence()
    {
        var document = Read(FeedFixtures.Bundle);
        var byValue = document.Indicators.ToDictionary(i => i.Indicator.ToString());

        var ip = byValue["ip:203.0.113.10"];
        Assert.Equal(("indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f", Tlp.Amber, 90), (ip.SourceId, ip.Tlp, ip.Confidence));
        Assert.Equal(["c2", "apt-example"], ip.Labels!);
        Assert.Equal(new DateTimeOffset(2026, 2, 1, 9, 0, 0, TimeSpan.Zero), ip.ValidFrom);
        Assert.Equal("C2 servers", ip.Description);
        Assert.True(byValue.ContainsKey("cidr:198.51.100.0/24"));
        Assert.True(byValue.ContainsKey("domain:evil.example.com"));
        // Both comparisons of one observation, and TLP 2.0 red by its standard id.
        Assert.Equal(Tlp.Red, byValue["hash:aec070645fe53ee3b3763059376134f058cc337247c978add178b6ccdfb0019f"].Tlp);
        Assert.True(byValue.ContainsKey("hash:d41d8cd98f00b204e9800998ecf8427e"));
        // TLP from a marking-definition in the bundle itself; valid_until kept.
        var url = byValue["url:http://phish.example.net/login?next=%2F"];
        Assert.Equal((Tlp.Green, new DateTimeOffset(2026, 12, 31, 0, 0, 0, TimeSpan.Zero)), (url.Tlp!.Value, url.ValidUntil!.Value));
        Assert.True(byValue.ContainsKey("email:attacker@example.org"));
        // Observables given directly.
        Assert.Equal(Tlp.Green, byValue["ip:198.18.0.5"].Tlp);
        Assert.True(byValue.ContainsKey("hash:2fd4e1c67a2d28fced849ee1bb76e7391b93eb12"));
        // Revoked indicators are read (so a stored one stops matching), flagged.
        Assert.True(byValue["ip:192.0.2.200"].Revoked);
        Assert.Equal(10, document.Indicators.Count);
    }

    [Fact]
    public void Bundle_WithAUtf8ByteOrderMark_ReadsAsWithout()
    {
        var plain = Read(FeedFixtures.Bundle);
        var marked = StixReader.ReadDocument(new byte[] { 0xEF, 0xBB, 0xBF }.Concat(FeedFixtures.Bytes(FeedFixtures.Bundle).ToArray()).ToArray());

        Assert.Equal(plain.Indicators.Select(i => i.Indicator.ToString()), marked.Indicators.Select(i => i.Indicator.ToString()));
        Assert.Throws<FeedFormatException>(() => StixReader.ReadDocument(new byte[] { 0xEF, 0xBB }.Concat(FeedFixtures.Bytes(FeedFixtures.Bundle).ToArray()).ToArray()));
    }

    [Fact]
    public void Bundle_ReportsEverythingItSkips_WithTheReason()
    {
        var skipped = Read(FeedFixtures.Bundle).Skipped.ToDictionary(s => s.SourceId, s => s.Reason);

        Assert.Contains("'AND'", skipped["indicator--9b3c1d4e-0f2a-4b6c-8d7e-5f1a2b3c4d5e"], StringComparison.Ordinal);
        Assert.Contains("pattern_type 'sigma'", skipped["indicator--0c5d6e7f-8a9b-4c0d-9e1f-2a3b4c5d6e7f"], StringComparison.Ordinal);
        Assert.Contains("'WITHIN'", skipped["indicator--7a8b9c0d-1e2f-4a3b-8c4d-5e6f7a8b9c0d"], StringComparison.Ordinal);
        Assert.Contains("must be an IPv4 or IPv6 address", skipped["indicator--3c4d5e6f-7a8b-4c9d-8e0f-1a2b3c4d5e6f"], StringComparison.Ordinal);
        Assert.Contains("not an indicator", skipped["relationship--44298a74-ba52-4f0c-87a3-1824e67d7fad"], StringComparison.Ordinal);
        Assert.Contains("not an indicator", skipped["identity--f431f809-377b-45e0-aa1c-6a4751cae5ff"], StringComparison.Ordinal);
        Assert.Equal(7, skipped.Count);
    }

    [Theory]
    [InlineData("[ipv4-addr:value = '192.0.2.1'] OR [domain-name:value = 'a.example']", "ip:192.0.2.1,domain:a.example")]
    [InlineData("[ipv6-addr:value = '2001:DB8::1' OR ipv6-addr:value = '2001:db8::/32']", "ip:2001:db8::1,cidr:2001:db8::/32")]
    [InlineData("[file:hashes.'SHA-1' = '2FD4E1C67A2D28FCED849EE1BB76E7391B93EB12']", "hash:2fd4e1c67a2d28fced849ee1bb76e7391b93eb12")]
    [InlineData("[user-account:user_id = 'arn:aws:iam::111122223333:user/mallory']", "resource:arn:aws:iam::111122223333:user/mallory")]
    [InlineData("[url:value = 'https://example.com/it\\'s']", "url:https://example.com/it's")]
    [InlineData("[network-traffic:extensions.'http-request-ext'.request_header.'User-Agent' = 'BadBot/1.0']", "user-agent:BadBot/1.0")]
    public void Pattern_ReadsEqualityComparisonsJoinedByOr(string pattern, string expected)
    {
        Assert.True(StixPattern.TryParse(pattern, out var values, out var error), error);
        Assert.Equal(expected, string.Join(',', values));
    }

    [Theory]
    [InlineData("", "empty")]
    [InlineData("[ipv4-addr:value = '192.0.2.1'", "not closed")]
    [InlineData("[ipv4-addr:value != '192.0.2.1']", "'!='")]
    [InlineData("[ipv4-addr:value MATCHES '^192']", "'MATCHES'")]
    [InlineData("[process:name = 'evil.exe']", "process:name")]
    [InlineData("[ipv4-addr:value = '192.0.2.1'] FOLLOWEDBY [ipv4-addr:value = '192.0.2.2']", "'FOLLOWEDBY'")]
    [InlineData("[ipv4-addr:value = '192.0.2.1'] OR", "ends after OR")]
    [InlineData("ipv4-addr:value = '192.0.2.1'", "expected '['")]
    [InlineData("[ipv4-addr:value = 192]", "quoted string")]
    public void Pattern_RefusesWhatItCannotMatchValueByValue(string pattern, string reason)
    {
        Assert.False(StixPattern.TryParse(pattern, out _, out var error));
        Assert.Contains(reason, error, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("{ \"type\": \"bundle\", \"objects\": [")]
    [InlineData("not json")]
    [InlineData("42")]
    [InlineData("{ \"spec_version\": \"2.1\" }")]
    public void Malformed_IsAFormatError(string json) =>
        Assert.Throws<FeedFormatException>(() => Read(json));

    [Fact]
    public void Pattern_KeepsTheComparisonsItCanMatch_AndNamesTheOthers()
    {
        Assert.True(StixPattern.TryParse("[ipv4-addr:value = '192.0.2.1' OR process:name = 'x'] OR [domain-name:value = 'bad..name']", out var values, out _, out var ignored));
        Assert.Equal(["ip:192.0.2.1"], values.Select(v => v.ToString()));
        Assert.Equal(2, ignored.Count);
        var document = Read("""{ "type": "bundle", "objects": [ { "type": "indicator", "id": "indicator--p", "pattern_type": "stix", "pattern": "[ipv4-addr:value = '192.0.2.1'] OR [process:name = 'x']" } ] }""");
        Assert.Single(document.Indicators);
        Assert.Contains("part of the pattern ignored", Assert.Single(document.Skipped).Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void Objects_WithBadFields_AreSkippedNotFatal()
    {
        var document = Read("""
        { "type": "bundle", "id": "bundle--1", "objects": [
          "a string",
          { "id": "indicator--x" },
          { "type": "indicator", "id": "indicator--a", "pattern_type": "stix", "pattern": "[ipv4-addr:value = '192.0.2.1']", "confidence": 150 },
          { "type": "indicator", "id": "indicator--b", "pattern_type": "stix", "pattern": "[ipv4-addr:value = '192.0.2.1']", "valid_from": "yesterday" },
          { "type": "indicator", "id": "indicator--c", "pattern_type": "stix" },
          { "type": "domain-name", "id": "domain-name--d" },
          { "type": "indicator", "id": "indicator--e", "pattern_type": "stix", "pattern": "[ipv4-addr:value = '192.0.2.9']" }
        ] }
        """);
        Assert.Equal(["ip:192.0.2.9"], document.Indicators.Select(i => i.Indicator.ToString()));
        Assert.Equal(6, document.Skipped.Count);
        Assert.Contains(document.Skipped, s => s.SourceId == "indicator--a" && s.Reason.Contains("confidence", StringComparison.Ordinal));
    }
}
