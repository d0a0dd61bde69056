using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text.Json.Serialization;
using System.Text.RegularExpressions;
using Firebreak.Core.Alerts;
using Firebreak.Core.Common;

namespace Firebreak.Core.Indicators;

/// <summary>What an indicator (observable) is. Names are the kebab-case JSON names.</summary>
[JsonConverter(typeof(StrictEnumConverter<IndicatorType>))]
public enum IndicatorType
{
    [JsonStringEnumMemberName("ip")] Ip = 0,
    [JsonStringEnumMemberName("cidr")] Cidr = 1,
    [JsonStringEnumMemberName("domain")] Domain = 2,
    [JsonStringEnumMemberName("url")] Url = 3,

    /// <summary>MD5, SHA-1, SHA-256 or SHA-512 in hex; the algorithm follows from the length.</summary>
    [JsonStringEnumMemberName("hash")] Hash = 4,
    [JsonStringEnumMemberName("email")] Email = 5,
    [JsonStringEnumMemberName("user-agent")] UserAgent = 6,

    /// <summary>An AWS access key id (AKIA... long-term, ASIA... temporary).</summary>
    [JsonStringEnumMemberName("access-key-id")] AccessKeyId = 7,

    /// <summary>An ARN, an Azure resource id, a GCP resource name, or a provider's plain resource id.</summary>
    [JsonStringEnumMemberName("resource")] Resource = 8,

    /// <summary>An AWS account id, an Azure subscription or tenant id, or a GCP project id or number.</summary>
    [JsonStringEnumMemberName("account-id")] AccountId = 9,
}

/// <summary>A type and its normalised value: the identity of an indicator everywhere in Firebreak.</summary>
public readonly partial record struct IndicatorValue(IndicatorType Type, string Value)
{
    public const int MaxLength = 2048;
    public const int MaxUserAgentLength = 1024;

    private static readonly IdnMapping Idn = new();

    /// <summary>Normalises <paramref name="raw"/> as <paramref name="type"/>, or throws a validation error naming the field.</summary>
    public static IndicatorValue Parse(IndicatorType type, string? raw, string field = "value") =>
        TryParse(type, raw, out var value, out var error)
            ? value
            : throw new ValidationFailedException(new Dictionary<string, string[]> { [field] = [error!] });

    /// <summary>
    /// Normalises a value so that the same indicator written two ways is one indicator: IP addresses in
    /// canonical form, CIDRs on their network address, domains and e-mail addresses lower-case (IDN as
    /// punycode), hashes lower-case hex, access key ids upper-case, Azure ids lower-case (they are
    /// case-insensitive), URLs with a lower-case scheme and host. Everything else is trimmed only.
    /// </summary>
    public static bool TryParse(IndicatorType type, string? raw, out IndicatorValue value, out string? error)
    {
        value = default;
        var text = raw?.Trim();
        if (string.IsNullOrEmpty(text)) return Fail("is required.", out error);
        var max = type == IndicatorType.UserAgent ? MaxUserAgentLength : MaxLength;
        if (text.Length > max) return Fail($"must be at most {max} characters.", out error);
        if (text.Any(char.IsControl)) return Fail("must not contain control characters.", out error);

        string? normalised = type switch
        {
            IndicatorType.Ip => NormaliseIp(text),
            IndicatorType.Cidr => NormaliseCidr(text),
            IndicatorType.Domain => NormaliseDomain(text),
            IndicatorType.Url => NormaliseUrl(text),
            IndicatorType.Hash => HashPattern().IsMatch(text) && text.Length is 32 or 40 or 64 or 128 ? text.ToLowerInvariant() : null,
            IndicatorType.Email => NormaliseEmail(text),
            IndicatorType.UserAgent => text,
            IndicatorType.AccessKeyId => AccessKeyPattern().IsMatch(text.ToUpperInvariant()) ? text.ToUpperInvariant() : null,
            IndicatorType.Resource => NormaliseResource(text),
            IndicatorType.AccountId => NormaliseAccount(text),
            _ => null,
        };
        if (normalised is null) return Fail(Expectation(type), out error);
        value = new IndicatorValue(type, normalised);
        error = null;
        return true;
    }

    /// <summary>Guesses the type of a bare value (a feed entry, a pasted line); null when nothing fits.</summary>
    public static IndicatorValue? Detect(string? raw)
    {
        var text = raw?.Trim();
        if (string.IsNullOrEmpty(text) || text.Length > MaxLength) return null;
        IndicatorType[] order =
        [
            IndicatorType.AccessKeyId, IndicatorType.Ip, IndicatorType.Cidr, IndicatorType.Hash, IndicatorType.Email,
            IndicatorType.Url, IndicatorType.AccountId, IndicatorType.Resource, IndicatorType.Domain,
        ];
        foreach (var type in order)
        {
            if (type == IndicatorType.Url && !text.Contains("://", StringComparison.Ordinal)) continue;
            if (type == IndicatorType.Resource && !LooksLikeResource(text)) continue;
            // A GCP project id looks like any lower-case word, so a guess only takes numbers and GUIDs.
            if (type == IndicatorType.AccountId && !AwsAccount().IsMatch(text) && !Guid.TryParseExact(text, "D", out _)) continue;
            if (TryParse(type, text, out var value, out _)) return value;
        }
        return null;
    }

    /// <summary>
    /// The indicator type for a principal or observable type used by alerts and incident artifacts
    /// (<see cref="ObservableTypes"/>, <see cref="PrincipalTypes"/>), or null when it has none.
    /// </summary>
    public static IndicatorType? FromEntityType(string type) => type switch
    {
        ObservableTypes.Ip => IndicatorType.Ip,
        ObservableTypes.Domain => IndicatorType.Domain,
        ObservableTypes.Url => IndicatorType.Url,
        ObservableTypes.Hash => IndicatorType.Hash,
        ObservableTypes.Email => IndicatorType.Email,
        ObservableTypes.UserAgent => IndicatorType.UserAgent,
        PrincipalTypes.AccessKey => IndicatorType.AccessKeyId,
        PrincipalTypes.Account => IndicatorType.AccountId,
        PrincipalTypes.Role or PrincipalTypes.User or PrincipalTypes.ServiceAccount or PrincipalTypes.ServicePrincipal => IndicatorType.Resource,
        "resource" => IndicatorType.Resource,
        "cidr" => IndicatorType.Cidr,
        _ => null,
    };

    /// <summary>The hash algorithm a hash indicator's length implies.</summary>
    public static string? HashAlgorithm(string hex) => hex.Length switch
    {
        32 => "md5",
        40 => "sha1",
        64 => "sha256",
        128 => "sha512",
        _ => null,
    };

    /// <summary>True when <paramref name="address"/> falls inside the CIDR <paramref name="cidr"/> (both normalised or raw).</summary>
    public static bool CidrContains(string cidr, string address) =>
        IPNetwork.TryParse(NormaliseCidr(cidr) ?? "", out var network)
        && IPAddress.TryParse(address, out var ip)
        && network.Contains(ip.IsIPv4MappedToIPv6 ? ip.MapToIPv4() : ip);

    public override string ToString() => $"{TypeName(Type)}:{Value}";

    /// <summary>The JSON (kebab-case) name of a type.</summary>
    public static string TypeName(IndicatorType type) => type switch
    {
        IndicatorType.UserAgent => "user-agent",
        IndicatorType.AccessKeyId => "access-key-id",
        IndicatorType.AccountId => "account-id",
        _ => type.ToString().ToLowerInvariant(),
    };

    private static bool Fail(string message, out string? error)
    {
        error = message;
        return false;
    }

    private static string Expectation(IndicatorType type) => type switch
    {
        IndicatorType.Ip => "must be an IPv4 or IPv6 address.",
        IndicatorType.Cidr => "must be a CIDR block such as 203.0.113.0/24.",
        IndicatorType.Domain => "must be a domain name such as example.com.",
        IndicatorType.Url => "must be an absolute URL with a host.",
        IndicatorType.Hash => "must be an MD5, SHA-1, SHA-256 or SHA-512 hash in hex.",
        IndicatorType.Email => "must be an e-mail address.",
        IndicatorType.AccessKeyId => "must be an AWS access key id (20 characters starting AKIA or ASIA).",
        IndicatorType.Resource => "must be a resource id without spaces.",
        IndicatorType.AccountId => "must be an AWS account id (12 digits), an Azure subscription id (GUID) or a GCP project id or number.",
        _ => "has an unknown type.",
    };

    private static string? NormaliseIp(string text)
    {
        if (text.Contains('/') || !IPAddress.TryParse(text, out var ip)) return null;
        // IPAddress.TryParse accepts "1" and "1.2" as IPv4 shorthands; an indicator must be written out.
        if (ip.AddressFamily == AddressFamily.InterNetwork && text.Count(c => c == '.') != 3) return null;
        if (ip.IsIPv4MappedToIPv6) ip = ip.MapToIPv4();
        return ip.ToString();
    }

    private static string? NormaliseCidr(string text)
    {
        var slash = text.IndexOf('/');
        if (slash <= 0) return null;
        var address = NormaliseIp(text[..slash]);
        if (address is null || !int.TryParse(text[(slash + 1)..], NumberStyles.None, CultureInfo.InvariantCulture, out var prefix)) return null;
        var bytes = IPAddress.Parse(address).GetAddressBytes();
        if (prefix > bytes.Length * 8) return null;
        for (var bit = prefix; bit < bytes.Length * 8; bit++) bytes[bit / 8] &= (byte)~(0x80 >> (bit % 8));
        return $"{new IPAddress(bytes)}/{prefix}";
    }

    private static string? NormaliseDomain(string text)
    {
        var name = text.TrimEnd('.');
        if (name.Length == 0 || name.Contains("..", StringComparison.Ordinal)) return null;
        try
        {
            name = Idn.GetAscii(name).ToLowerInvariant();
        }
        catch (ArgumentException)
        {
            return null;
        }
        if (name.Length > 253 || !name.Contains('.')) return null;
        var labels = name.Split('.');
        if (labels.Any(l => !DomainLabel().IsMatch(l))) return null;
        // A bare IP address is not a domain.
        return IPAddress.TryParse(name, out _) ? null : name;
    }

    private static string? NormaliseUrl(string text)
    {
        if (!Uri.TryCreate(text, UriKind.Absolute, out var uri) || string.IsNullOrEmpty(uri.Host) || uri.IsFile || uri.IsUnc) return null;
        // Written as scheme://authority: "mailto:" and the like have no authority to match on.
        var separator = text.IndexOf("://", StringComparison.Ordinal);
        if (separator != uri.Scheme.Length) return null;
        var scheme = uri.Scheme.ToLowerInvariant();
        var rest = text[(separator + 3)..];
        var hostEnd = rest.IndexOfAny(['/', '?', '#']);
        var authority = hostEnd < 0 ? rest : rest[..hostEnd];
        var path = hostEnd < 0 ? "" : rest[hostEnd..];
        // Only the host is case-insensitive; a user name or password is kept as written.
        var hostStart = authority.LastIndexOf('@') + 1;
        return $"{scheme}://{authority[..hostStart]}{authority[hostStart..].ToLowerInvariant()}{path}";
    }

    private static string? NormaliseEmail(string text)
    {
        var at = text.LastIndexOf('@');
        if (at <= 0 || at != text.IndexOf('@') || text.Any(char.IsWhiteSpace)) return null;
        var domain = NormaliseDomain(text[(at + 1)..]);
        return domain is null ? null : $"{text[..at].ToLowerInvariant()}@{domain}";
    }

    private static string? NormaliseResource(string text)
    {
        if (text.Any(char.IsWhiteSpace)) return null;
        return text.StartsWith("/subscriptions/", StringComparison.OrdinalIgnoreCase) ? text.ToLowerInvariant() : text;
    }

    private static string? NormaliseAccount(string text)
    {
        if (AwsAccount().IsMatch(text)) return text;
        if (Guid.TryParseExact(text, "D", out var guid)) return guid.ToString("D");
        if (GcpProjectNumber().IsMatch(text) || GcpProjectId().IsMatch(text)) return text;
        return null;
    }

    private static bool LooksLikeResource(string text) =>
        text.StartsWith("arn:", StringComparison.Ordinal)
        || text.StartsWith("/subscriptions/", StringComparison.OrdinalIgnoreCase)
        || text.StartsWith("//", StringComparison.Ordinal)
        || text.StartsWith("projects/", StringComparison.Ordinal);

    [GeneratedRegex("^[0-9a-fA-F]+$")]
    private static partial Regex HashPattern();

    [GeneratedRegex("^(AKIA|ASIA)[A-Z0-9]{16}$")]
    private static partial Regex AccessKeyPattern();

    [GeneratedRegex("^(?!-)[a-z0-9-]{1,63}(?<!-)$")]
    private static partial Regex DomainLabel();

    [GeneratedRegex("^[0-9]{12}$")]
    private static partial Regex AwsAccount();

    [GeneratedRegex("^[0-9]{6,19}$")]
    private static partial Regex GcpProjectNumber();

    [GeneratedRegex("^[a-z][a-z0-9-]{4,28}[a-z0-9]$")]
    private static partial Regex GcpProjectId();
}
