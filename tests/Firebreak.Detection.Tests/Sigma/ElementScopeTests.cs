using Firebreak.Detection.Sigma;

namespace Firebreak.Detection.Tests.Sigma;

/// <summary>Fields written <c>list[].field</c>: the items of one map naming the same list must hold in one item of it.</summary>
public class ElementScopeTests
{
    private const string SshFromAnywhere = """
        {"eventName":"AuthorizeSecurityGroupIngress","requestParameters":{"ipPermissions":{"items":[
          {"ipProtocol":"tcp","fromPort":22,"toPort":22,"ipRanges":{"items":[{"cidrIp":"0.0.0.0/0"}]}}]}}}
        """;

    // One request, two permissions: 443 from anywhere, 22 from a private range.
    private const string TlsFromAnywhereSshFromPrivate = """
        {"eventName":"AuthorizeSecurityGroupIngress","requestParameters":{"ipPermissions":{"items":[
          {"ipProtocol":"tcp","fromPort":443,"toPort":443,"ipRanges":{"items":[{"cidrIp":"0.0.0.0/0"}]}},
          {"ipProtocol":"tcp","fromPort":22,"toPort":22,"ipRanges":{"items":[{"cidrIp":"10.0.0.0/8"}]}}]}}}
        """;

    private static CompiledRuleSet SshOpenToAnywhere(string list) => SigmaTestRules.Detection($$"""
            sel:
                {{list}}.fromPort|lte: 22
                {{list}}.toPort|gte: 22
                {{list}}.ipRanges.items.cidrIp: 0.0.0.0/0
            condition: sel
        """);

    [Fact]
    public void ItemsNamingTheSameList_MustHoldInOneItemOfIt()
    {
        var scoped = SshOpenToAnywhere("requestParameters.ipPermissions.items[]");
        Assert.True(scoped.MatchesJson(SshFromAnywhere));
        Assert.False(scoped.MatchesJson(TlsFromAnywhereSshFromPrivate));
    }

    [Fact]
    public void AHit_ListsTheFieldsOfTheItemThatMatched_AsTheRuleNamesThem()
    {
        // The first permission (443 from a private range) must not lend its values to the description.
        var set = SshOpenToAnywhere("requestParameters.ipPermissions.items[]");
        var e = TestEvents.Aws("""
            {"eventName":"AuthorizeSecurityGroupIngress","requestParameters":{"ipPermissions":{"items":[
              {"ipProtocol":"tcp","fromPort":443,"toPort":443,"ipRanges":{"items":[{"cidrIp":"10.0.0.0/8"}]}},
              {"ipProtocol":"tcp","fromPort":0,"toPort":65535,"ipRanges":{"items":[{"cidrIp":"0.0.0.0/0"}]}}]}}}
            """);
        Assert.Equal(
            [
                new MatchedField("requestParameters.ipPermissions.items[].fromPort", "0"),
                new MatchedField("requestParameters.ipPermissions.items[].toPort", "65535"),
                new MatchedField("requestParameters.ipPermissions.items[].ipRanges.items.cidrIp", "0.0.0.0/0"),
            ],
            Assert.Single(set.Match(e)).DescribeMatch(e));
    }

    [Fact]
    public void AHit_ListsEachListField_Once_AndNoneOfAMapThatOnlyExcludes()
    {
        // Two maps of the same list both pass on the second item; the excluding map's fields are not shown.
        var set = SigmaTestRules.Detection("""
                ssh:
                    requestParameters.ipPermissions.items[].fromPort|lte: 22
                    requestParameters.ipPermissions.items[].toPort|gte: 22
                rdp:
                    requestParameters.ipPermissions.items[].fromPort|lte: 3389
                    requestParameters.ipPermissions.items[].toPort|gte: 3389
                private:
                    requestParameters.ipPermissions.items[].ipRanges.items.cidrIp|cidr: 10.0.0.0/8
                condition: (ssh or rdp) and not private
            """);
        var e = TestEvents.Aws("""
            {"eventName":"AuthorizeSecurityGroupIngress","requestParameters":{"ipPermissions":{"items":[
              {"ipProtocol":"tcp","fromPort":443,"toPort":443,"ipRanges":{"items":[{"cidrIp":"192.0.2.0/24"}]}},
              {"ipProtocol":"tcp","fromPort":20,"toPort":4000,"ipRanges":{"items":[{"cidrIp":"192.0.2.0/24"}]}}]}}}
            """);
        Assert.Equal(
            [
                new MatchedField("requestParameters.ipPermissions.items[].fromPort", "20"),
                new MatchedField("requestParameters.ipPermissions.items[].toPort", "4000"),
            ],
            Assert.Single(set.Match(e)).DescribeMatch(e));
    }

    [Fact]
    public void PlainPaths_StillLetEachItemBeFoundInADifferentItem()
    {
        // Standard Sigma, unchanged: each field is looked for in every item of every list on its path.
        var plain = SshOpenToAnywhere("requestParameters.ipPermissions.items");
        Assert.True(plain.MatchesJson(SshFromAnywhere));
        Assert.True(plain.MatchesJson(TlsFromAnywhereSshFromPrivate));
    }

    [Fact]
    public void AListInsideTheItem_FansOutAsAnyPathDoes()
    {
        var set = SshOpenToAnywhere("requestParameters.ipPermissions.items[]");
        Assert.True(set.MatchesJson("""
            {"eventName":"AuthorizeSecurityGroupIngress","requestParameters":{"ipPermissions":{"items":[
              {"ipProtocol":"tcp","fromPort":22,"toPort":22,"ipRanges":{"items":[{"cidrIp":"10.0.0.0/8"},{"cidrIp":"0.0.0.0/0"}]}}]}}}
            """));
    }

    [Fact]
    public void AnObjectWhereAListIsExpected_IsItsOneItem()
    {
        // ModifySecurityGroupRules writes one rule as an object, several as a list of them.
        var set = SigmaTestRules.Detection("""
                sel:
                    requestParameters.ModifySecurityGroupRulesRequest.SecurityGroupRule[].SecurityGroupRule.CidrIpv4: 0.0.0.0/0
                    requestParameters.ModifySecurityGroupRulesRequest.SecurityGroupRule[].SecurityGroupRule.FromPort: 3389
                condition: sel
            """);
        Assert.True(set.MatchesJson("""{"requestParameters":{"ModifySecurityGroupRulesRequest":{"GroupId":"sg-1","SecurityGroupRule":{"SecurityGroupRuleId":"sgr-1","tag":1,"SecurityGroupRule":{"IpProtocol":"tcp","FromPort":3389,"ToPort":3389,"CidrIpv4":"0.0.0.0/0"}}}}}"""));
        Assert.False(set.MatchesJson("""
            {"requestParameters":{"ModifySecurityGroupRulesRequest":{"GroupId":"sg-1","SecurityGroupRule":[
              {"SecurityGroupRuleId":"sgr-1","tag":1,"SecurityGroupRule":{"IpProtocol":"tcp","FromPort":443,"ToPort":443,"CidrIpv4":"0.0.0.0/0"}},
              {"SecurityGroupRuleId":"sgr-2","tag":2,"SecurityGroupRule":{"IpProtocol":"tcp","FromPort":3389,"ToPort":3389,"CidrIpv4":"10.1.0.0/16"}}]}}}
            """));
    }

    [Fact]
    public void TheList_IsMappedAsAFieldName_SoSecurityLakesShapeIsReadToo()
    {
        // Security Lake keeps CloudTrail's requestParameters whole under api.request.data.
        var set = SshOpenToAnywhere("requestParameters.ipPermissions.items[]");
        Assert.True(set.MatchesJson("""
            {"class_uid":6003,"api":{"operation":"AuthorizeSecurityGroupIngress","request":{"data":{"ipPermissions":{"items":[
              {"ipProtocol":"tcp","fromPort":22,"toPort":22,"ipRanges":{"items":[{"cidrIp":"0.0.0.0/0"}]}}]}}}}}
            """));
    }

    [Fact]
    public void AListHeldAsJsonText_IsWalkedInto()
    {
        // CloudTrail Lake gives a row's nested fields as JSON text.
        var set = SshOpenToAnywhere("requestParameters.ipPermissions.items[]");
        var inner = System.Text.Json.JsonSerializer.Serialize("""{"ipPermissions":{"items":[{"ipProtocol":"tcp","fromPort":22,"toPort":22,"ipRanges":{"items":[{"cidrIp":"0.0.0.0/0"}]}}]}}""");
        Assert.True(set.MatchesJson("""{"eventName":"AuthorizeSecurityGroupIngress","requestParameters":""" + inner + "}"));
        var list = System.Text.Json.JsonSerializer.Serialize("""[{"ipProtocol":"tcp","fromPort":22,"toPort":22,"ipRanges":{"items":[{"cidrIp":"0.0.0.0/0"}]}}]""");
        Assert.True(set.MatchesJson("""{"eventName":"AuthorizeSecurityGroupIngress","requestParameters":{"ipPermissions":{"items":""" + list + "}}}"));
    }

    [Fact]
    public void DifferentLists_AndDifferentMaps_AreJudgedApart()
    {
        // Alternatives of a search (a list of maps) each tie their own items; a field of another list, or a plain field, is
        // looked for on its own.
        var set = SigmaTestRules.Detection("""
                sel:
                    - requestParameters.ipPermissions.items[].fromPort: 22
                      requestParameters.ipPermissions.items[].ipRanges.items.cidrIp: 0.0.0.0/0
                    - requestParameters.ipPermissions.items[].fromPort: 443
                      requestParameters.ipPermissions.items[].ipRanges.items.cidrIp: 10.0.0.0/8
                condition: sel
            """);
        Assert.False(set.MatchesJson(TlsFromAnywhereSshFromPrivate));
        var mixed = SigmaTestRules.Detection("""
                sel:
                    requestParameters.ipPermissions.items[].fromPort: 443
                    requestParameters.ipPermissions.items[].ipRanges.items.cidrIp: 0.0.0.0/0
                    requestParameters.ipPermissions.items.fromPort: 22
                    eventName: AuthorizeSecurityGroupIngress
                condition: sel
            """);
        Assert.True(mixed.MatchesJson(TlsFromAnywhereSshFromPrivate));
        Assert.True(mixed.Rules.Single().IsIndexed);
    }

    [Theory]
    [InlineData("requestParameters.ipPermissions.items[].ipRanges.items.cidrIp|endswith: /0", true)]
    [InlineData("requestParameters.ipPermissions.items[].ipProtocol|neq: udp", true)]
    [InlineData("requestParameters.ipPermissions.items[].ipProtocol|neq: tcp", false)]
    [InlineData("requestParameters.ipPermissions.items[].ipv6Ranges: null", true)]
    [InlineData("requestParameters.ipPermissions.items[].ipv6Ranges|exists: true", false)]
    [InlineData("requestParameters.ipPermissions.items[].ipRanges.items.cidrIp|exists: true", true)]
    [InlineData("requestParameters.ipPermissions.items[].ipProtocol|startswith: TC", true)]
    [InlineData("requestParameters.ipPermissions.items[].ipProtocol|re: '^tcp$'", true)]
    public void Modifiers_ApplyInsideTheItem(string item, bool matches)
    {
        // Beside fromPort 22, so each line is judged in the permission for port 22, never in the one for 443.
        var set = SigmaTestRules.Detection($"""
                sel:
                    requestParameters.ipPermissions.items[].fromPort: 22
                    {item}
                condition: sel
            """);
        Assert.Equal(matches, set.MatchesJson(SshFromAnywhere));
    }

    [Fact]
    public void AllValues_MustBeInTheSameItem()
    {
        var set = SigmaTestRules.Detection("""
                sel:
                    requestParameters.ipPermissions.items[].ipRanges.items.cidrIp|all: [0.0.0.0/0, 10.0.0.0/8]
                condition: sel
            """);
        Assert.False(set.MatchesJson(TlsFromAnywhereSshFromPrivate));
        Assert.True(set.MatchesJson("""
            {"requestParameters":{"ipPermissions":{"items":[{"fromPort":22,"ipRanges":{"items":[{"cidrIp":"10.0.0.0/8"},{"cidrIp":"0.0.0.0/0"}]}}]}}}
            """));
    }

    [Fact]
    public void ItemsUnderAList_GiveThePreFilterTheirNeedles()
    {
        var set = SigmaTestRules.Detection("""
                sel:
                    eventName: AuthorizeSecurityGroupIngress
                    requestParameters.ipPermissions.items[].ipRanges.items.description|contains: bastion
                condition: sel
            """);
        var rule = set.Rules.Single();
        Assert.Contains(rule.RequiredNeedles!, n => n.Text == "AuthorizeSecurityGroupIngress");
        Assert.NotNull(rule.Gate);
        Assert.True("""{"description":"Bastion host"}""".AsSpan().ContainsAny(rule.Gate));
        Assert.False("""{"description":"web"}""".AsSpan().ContainsAny(rule.Gate));
    }

    [Theory]
    [InlineData("'[].fromPort': 22")]
    [InlineData("requestParameters.ipPermissions.items[]: 22")]
    [InlineData("'requestParameters.ipPermissions.items[].': 22")]
    [InlineData("requestParameters.ipPermissions.items[]fromPort: 22")]
    [InlineData("requestParameters.ipPermissions.items[].ipRanges.items[].cidrIp: 0.0.0.0/0")]
    [InlineData("requestParameters.ipPermissions.items[].fromPort|fieldref: requestParameters.toPort")]
    [InlineData("source_ip[].address: 203.0.113.7")]
    public void AMisplacedListMarker_IsAnErrorOfTheRule(string item)
    {
        var yaml = $"title: Test rule\nid: 5d0c5c0e-0000-4000-8000-000000000001\nlogsource:\n    product: aws\n    service: cloudtrail\ndetection:\n    sel:\n        {item}\n    condition: sel\n";
        var parsed = SigmaParser.Parse(yaml, "test.yml");
        Assert.Empty(parsed.Diagnostics);
        var set = CompiledRuleSet.Compile(parsed.Documents);
        var error = Assert.Single(set.Diagnostics);
        Assert.Equal(DiagnosticSeverity.Error, error.Severity);
        Assert.Equal(8, error.Line);
        Assert.Empty(set.Rules);
    }
}
