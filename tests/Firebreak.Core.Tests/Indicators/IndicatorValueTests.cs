using Firebreak.Core.Common;
using Firebreak.Core.Indicators;

namespace Firebreak.Core.Tests.Indicators;

public class IndicatorValueTests
{
    [Theory]
    [InlineData(IndicatorType.Ip, " 203.0.113.7 ", "203.0.113.7")]
    [InlineData(IndicatorType.Ip, "2001:DB8:0:0::1", "2001:db8::1")]
    [InlineData(IndicatorType.Ip, "::ffff:198.51.100.4", "198.51.100.4")]
    [InlineData(IndicatorType.Cidr, "203.0.113.77/24", "203.0.113.0/24")]
    [InlineData(IndicatorType.Cidr, "2001:db8::1/32", "2001:db8::/32")]
    [InlineData(IndicatorType.Domain, "Evil.Example.COM.", "evil.example.com")]
    [InlineData(IndicatorType.Domain, "bücher.example", "xn--bcher-kva.example")]
    [InlineData(IndicatorType.Url, "HTTPS://Evil.Example.com/Path?Q=A", "https://evil.example.com/Path?Q=A")]
    [InlineData(IndicatorType.Url, "http://Bob:Secret@Evil.Example:8080/A", "http://Bob:Secret@evil.example:8080/A")]
    [InlineData(IndicatorType.Hash, "D41D8CD98F00B204E9800998ECF8427E", "d41d8cd98f00b204e9800998ecf8427e")]
    [InlineData(IndicatorType.Email, "Mallory@Evil.Example", "mallory@evil.example")]
    [InlineData(IndicatorType.UserAgent, "  aws-cli/2.15.0 Python/3.11 ", "aws-cli/2.15.0 Python/3.11")]
    [InlineData(IndicatorType.AccessKeyId, "akiaiosfodnn7example", "AKIAIOSFODNN7EXAMPLE")]
    [InlineData(IndicatorType.Resource, "arn:aws:iam::123456789012:user/Mallory", "arn:aws:iam::123456789012:user/Mallory")]
    [InlineData(IndicatorType.Resource, "/subscriptions/A1B2C3D4-0000-0000-0000-000000000000/resourceGroups/RG", "/subscriptions/a1b2c3d4-0000-0000-0000-000000000000/resourcegroups/rg")]
    [InlineData(IndicatorType.AccountId, "123456789012", "123456789012")]
    [InlineData(IndicatorType.AccountId, "A1B2C3D4-0000-0000-0000-000000000000", "a1b2c3d4-0000-0000-0000-000000000000")]
    [InlineData(IndicatorType.AccountId, "prod-project-42", "prod-project-42")]
    public void Parse_NormalisesEachType(IndicatorType type, string raw, string expected)
    {
        var value = IndicatorValue.Parse(type, raw);
        Assert.Equal(new IndicatorValue(type, expected), value);
    }

    [Theory]
    [InlineData(IndicatorType.Ip, "1.2")]
    [InlineData(IndicatorType.Ip, "10.0.0.0/8")]
    [InlineData(IndicatorType.Ip, "not-an-ip")]
    [InlineData(IndicatorType.Cidr, "10.0.0.0/33")]
    [InlineData(IndicatorType.Cidr, "10.0.0.0")]
    [InlineData(IndicatorType.Domain, "localhost")]
    [InlineData(IndicatorType.Domain, "bad_label.example")]
    [InlineData(IndicatorType.Domain, "203.0.113.7")]
    [InlineData(IndicatorType.Url, "/relative/path")]
    [InlineData(IndicatorType.Url, "file:///etc/passwd")]
    [InlineData(IndicatorType.Url, "mailto:alice@evil.example")]
    [InlineData(IndicatorType.Url, "http:\\\\evil.example\\x")]
    [InlineData(IndicatorType.Url, "news:evil.example")]
    [InlineData(IndicatorType.Url, "https://evil.example\\path")]
    [InlineData(IndicatorType.Hash, "abc")]
    [InlineData(IndicatorType.Hash, "zz1d8cd98f00b204e9800998ecf8427e")]
    [InlineData(IndicatorType.Email, "two@at@example.com")]
    [InlineData(IndicatorType.AccessKeyId, "AKIA123")]
    [InlineData(IndicatorType.Resource, "has space")]
    [InlineData(IndicatorType.AccountId, "12345")]
    [InlineData(IndicatorType.UserAgent, "line\nbreak")]
    [InlineData(IndicatorType.Domain, "   ")]
    public void Parse_RejectsMalformedValues_WithTheFieldNamed(IndicatorType type, string raw)
    {
        var error = Assert.Throws<ValidationFailedException>(() => IndicatorValue.Parse(type, raw, "indicator"));
        Assert.Contains("indicator", error.Errors.Keys);
    }

    [Fact]
    public void Parse_RejectsOversizedValues()
    {
        Assert.False(IndicatorValue.TryParse(IndicatorType.Resource, "r" + new string('x', IndicatorValue.MaxLength), out _, out var error));
        Assert.Contains("at most", error);
        Assert.False(IndicatorValue.TryParse(IndicatorType.UserAgent, new string('u', IndicatorValue.MaxUserAgentLength + 1), out _, out _));
    }

    [Theory]
    [InlineData("198.51.100.9", IndicatorType.Ip, "198.51.100.9")]
    [InlineData("198.51.100.0/24", IndicatorType.Cidr, "198.51.100.0/24")]
    [InlineData("ASIAY34FZKBOKMUTVV7A", IndicatorType.AccessKeyId, "ASIAY34FZKBOKMUTVV7A")]
    [InlineData("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855", IndicatorType.Hash, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")]
    [InlineData("ops@evil.example", IndicatorType.Email, "ops@evil.example")]
    [InlineData("http://evil.example/x", IndicatorType.Url, "http://evil.example/x")]
    [InlineData("210987654321", IndicatorType.AccountId, "210987654321")]
    [InlineData("arn:aws:s3:::secret-bucket", IndicatorType.Resource, "arn:aws:s3:::secret-bucket")]
    [InlineData("Evil.Example", IndicatorType.Domain, "evil.example")]
    public void Detect_GuessesTheType(string raw, IndicatorType type, string value) =>
        Assert.Equal(new IndicatorValue(type, value), IndicatorValue.Detect(raw));

    [Theory]
    [InlineData("malware")]
    [InlineData("two words")]
    [InlineData("")]
    public void Detect_ReturnsNull_WhenNothingFits(string raw) => Assert.Null(IndicatorValue.Detect(raw));

    [Fact]
    public void CidrContains_MatchesAddressesInsideTheBlockOnly()
    {
        Assert.True(IndicatorValue.CidrContains("203.0.113.0/24", "203.0.113.200"));
        Assert.False(IndicatorValue.CidrContains("203.0.113.0/24", "203.0.114.1"));
        Assert.True(IndicatorValue.CidrContains("2001:db8::/32", "2001:db8:1::5"));
        Assert.False(IndicatorValue.CidrContains("garbage", "203.0.113.1"));
    }

    [Theory]
    [InlineData("ip", IndicatorType.Ip)]
    [InlineData("access-key", IndicatorType.AccessKeyId)]
    [InlineData("role", IndicatorType.Resource)]
    [InlineData("account", IndicatorType.AccountId)]
    [InlineData("user-agent", IndicatorType.UserAgent)]
    public void FromEntityType_MapsAlertTypes(string entityType, IndicatorType expected) =>
        Assert.Equal(expected, IndicatorValue.FromEntityType(entityType));

    [Fact]
    public void FromEntityType_ReturnsNull_ForTypesThatAreNotIndicators() => Assert.Null(IndicatorValue.FromEntityType("process"));
}
