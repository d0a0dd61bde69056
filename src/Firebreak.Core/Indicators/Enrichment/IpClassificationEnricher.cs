using System.Net;
using Microsoft.Extensions.Configuration;

namespace Firebreak.Core.Indicators.Enrichment;

/// <summary>
/// Says what kind of address an IP (or the network of a CIDR) is: private, loopback, link-local,
/// shared (CGNAT), documentation, multicast or otherwise reserved (the IANA special-purpose registries),
/// or inside a range registered to a large cloud provider; otherwise public. Operators add their own
/// named ranges (their NAT egress, a partner) under <c>Firebreak:Indicators:IpRanges:&lt;name&gt;</c>.
/// </summary>
public sealed class IpClassificationEnricher : IIndicatorEnricher
{
    public const string EnricherName = "ip-classification";

    /// <summary>Special-purpose blocks (RFC 6890 and the IANA registries it set up), most specific first where they nest.</summary>
    private static readonly (string Cidr, string Class, string Note)[] Special =
    [
        ("0.0.0.0/8", "reserved", "\"this network\" (RFC 791)"),
        ("10.0.0.0/8", "private", "RFC 1918"),
        ("100.64.0.0/10", "shared", "carrier-grade NAT (RFC 6598)"),
        ("127.0.0.0/8", "loopback", "RFC 1122"),
        ("169.254.0.0/16", "link-local", "RFC 3927; 169.254.169.254 is the cloud instance metadata service"),
        ("172.16.0.0/12", "private", "RFC 1918"),
        ("192.0.0.0/24", "reserved", "IETF protocol assignments (RFC 6890)"),
        ("192.0.2.0/24", "documentation", "TEST-NET-1 (RFC 5737)"),
        ("192.168.0.0/16", "private", "RFC 1918"),
        ("198.18.0.0/15", "reserved", "benchmarking (RFC 2544)"),
        ("198.51.100.0/24", "documentation", "TEST-NET-2 (RFC 5737)"),
        ("203.0.113.0/24", "documentation", "TEST-NET-3 (RFC 5737)"),
        ("224.0.0.0/4", "multicast", "RFC 5771"),
        ("240.0.0.0/4", "reserved", "future use (RFC 1112)"),
        ("::1/128", "loopback", "RFC 4291"),
        ("::/128", "reserved", "unspecified address (RFC 4291)"),
        ("fc00::/7", "private", "unique local (RFC 4193)"),
        ("fe80::/10", "link-local", "RFC 4291"),
        ("ff00::/8", "multicast", "RFC 4291"),
        ("2001:db8::/32", "documentation", "RFC 3849"),
    ];

    /// <summary>
    /// A deliberately small table of large blocks registered to cloud providers: enough to say "this
    /// came from inside a cloud", not which service. The providers' published range files are the
    /// complete source; load what you need under <c>Firebreak:Indicators:IpRanges</c>.
    /// </summary>
    private static readonly (string Cidr, string Provider)[] Cloud =
    [
        ("3.0.0.0/8", "aws"),
        ("13.64.0.0/11", "azure"),
        ("34.64.0.0/10", "gcp"),
        ("35.184.0.0/13", "gcp"),
    ];

    private readonly List<(IPNetwork Network, string Name)> _configured = [];

    public IpClassificationEnricher(IConfiguration configuration)
    {
        foreach (var range in configuration.GetSection("Firebreak:Indicators:IpRanges").GetChildren())
        {
            foreach (var cidr in range.GetChildren().Select(c => c.Value).Append(range.Value).OfType<string>())
            {
                if (IPNetwork.TryParse(cidr.Trim(), out var network)) _configured.Add((network, range.Key));
            }
        }
    }

    public string Name => EnricherName;

    public bool Supports(IndicatorType type) => type is IndicatorType.Ip or IndicatorType.Cidr;

    public Task<EnrichmentOutcome> EnrichAsync(EnrichmentRequest request, CancellationToken cancellationToken)
    {
        var text = request.Indicator.Type == IndicatorType.Cidr ? request.Indicator.Value.Split('/')[0] : request.Indicator.Value;
        var address = IPAddress.Parse(text);
        if (address.IsIPv4MappedToIPv6) address = address.MapToIPv4();
        var fields = new Dictionary<string, string> { ["family"] = address.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork ? "ipv4" : "ipv6" };

        foreach (var (network, name) in _configured)
        {
            if (!network.Contains(address)) continue;
            fields["class"] = "known";
            fields["range"] = name;
            fields["network"] = network.ToString();
            return Task.FromResult(new EnrichmentOutcome($"In the configured range '{name}' ({network}).", fields));
        }
        foreach (var (cidr, kind, note) in Special)
        {
            var network = IPNetwork.Parse(cidr);
            if (!network.Contains(address)) continue;
            fields["class"] = kind;
            fields["network"] = cidr;
            return Task.FromResult(new EnrichmentOutcome($"{Capital(kind)} address: {cidr}, {note}.", fields));
        }
        foreach (var (cidr, provider) in Cloud)
        {
            var network = IPNetwork.Parse(cidr);
            if (!network.Contains(address)) continue;
            fields["class"] = "cloud";
            fields["provider"] = provider;
            fields["network"] = cidr;
            return Task.FromResult(new EnrichmentOutcome($"Cloud provider address: {cidr} is registered to {provider}.", fields));
        }
        fields["class"] = "public";
        return Task.FromResult(new EnrichmentOutcome("Public address, not in any known special-purpose or cloud range.", fields));
    }

    private static string Capital(string text) => char.ToUpperInvariant(text[0]) + text[1..];
}
