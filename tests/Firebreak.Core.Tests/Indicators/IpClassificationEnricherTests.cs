using Firebreak.Core.Indicators;
using Firebreak.Core.Indicators.Enrichment;
using Microsoft.Extensions.Configuration;

namespace Firebreak.Core.Tests.Indicators;

public class IpClassificationEnricherTests
{
    private static async Task<IReadOnlyDictionary<string, string>> ClassifyAsync(IndicatorType type, string value, Dictionary<string, string?>? settings = null)
    {
        var enricher = new IpClassificationEnricher(new ConfigurationBuilder().AddInMemoryCollection(settings ?? []).Build());
        var outcome = await enricher.EnrichAsync(new EnrichmentRequest(Guid.NewGuid(), Guid.NewGuid(), Guid.NewGuid(), IndicatorValue.Parse(type, value)), CancellationToken.None);
        return outcome.Fields!;
    }

    [Theory]
    [InlineData("10.0.0.1", "private")]
    [InlineData("172.31.255.255", "private")]
    [InlineData("172.32.0.1", "public")]
    [InlineData("100.64.1.1", "shared")]
    [InlineData("127.0.0.1", "loopback")]
    [InlineData("169.254.169.254", "link-local")]
    [InlineData("192.0.2.10", "documentation")]
    [InlineData("224.0.0.251", "multicast")]
    [InlineData("255.255.255.255", "reserved")]
    [InlineData("::1", "loopback")]
    [InlineData("fd12:3456::1", "private")]
    [InlineData("fe80::1", "link-local")]
    [InlineData("2001:db8::5", "documentation")]
    [InlineData("3.120.0.1", "cloud")]
    [InlineData("35.190.1.1", "cloud")]
    [InlineData("8.8.8.8", "public")]
    [InlineData("2a00:1450::1", "public")]
    public async Task Addresses_AreClassified(string address, string expected) =>
        Assert.Equal(expected, (await ClassifyAsync(IndicatorType.Ip, address))["class"]);

    [Fact]
    public async Task ConfiguredRanges_WinOverTheBuiltInTables_AndCidrsUseTheirNetwork()
    {
        var settings = new Dictionary<string, string?>
        {
            ["Firebreak:Indicators:IpRanges:office-egress:0"] = "198.51.100.0/28",
            ["Firebreak:Indicators:IpRanges:office-egress:1"] = "not a range",
            ["Firebreak:Indicators:IpRanges:partner"] = "3.5.0.0/16",
        };
        var office = await ClassifyAsync(IndicatorType.Ip, "198.51.100.7", settings);
        Assert.Equal(("known", "office-egress"), (office["class"], office["range"]));
        Assert.Equal("partner", (await ClassifyAsync(IndicatorType.Ip, "3.5.1.1", settings))["range"]);
        Assert.Equal("documentation", (await ClassifyAsync(IndicatorType.Ip, "198.51.100.99", settings))["class"]);
        var cidr = await ClassifyAsync(IndicatorType.Cidr, "10.9.0.0/16");
        Assert.Equal(("private", "ipv4"), (cidr["class"], cidr["family"]));
        Assert.Equal("aws", (await ClassifyAsync(IndicatorType.Ip, "3.9.9.9"))["provider"]);
    }
}
