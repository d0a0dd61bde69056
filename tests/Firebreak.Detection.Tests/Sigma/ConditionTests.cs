using Firebreak.Detection.Sigma;

namespace Firebreak.Detection.Tests.Sigma;

public class ConditionTests
{
    private const string Searches = """
            a:
                a: 1
            b:
                b: 1
            c:
                c: 1
            sel_x:
                x: 1
            sel_y:
                y: 1
            _private:
                h: 1

        """;

    private static bool Eval(string condition, string json) =>
        SigmaTestRules.Detection(Searches + $"    condition: {condition}").MatchesJson(json);

    [Theory]
    [InlineData("a or b and c", """{"a":1}""", true)]
    [InlineData("a or b and c", """{"b":1}""", false)]
    [InlineData("(a or b) and c", """{"a":1}""", false)]
    [InlineData("(a or b) and c", """{"a":1,"c":1}""", true)]
    [InlineData("not a and b", """{"b":1}""", true)]
    [InlineData("not a and b", """{"a":1,"b":1}""", false)]
    [InlineData("not (a and b)", """{"a":1,"b":1}""", false)]
    [InlineData("not (a and b)", """{"a":1}""", true)]
    [InlineData("not not a", """{"a":1}""", true)]
    [InlineData("a AND NOT b", """{"a":1,"b":1}""", false)]
    public void Precedence_IsNotThenAndThenOr(string condition, string json, bool expected) =>
        Assert.Equal(expected, Eval(condition, json));

    [Theory]
    [InlineData("1 of sel_*", """{"y":1}""", true)]
    [InlineData("1 of sel_*", """{"a":1}""", false)]
    [InlineData("all of sel_*", """{"y":1}""", false)]
    [InlineData("all of sel_*", """{"x":1,"y":1}""", true)]
    [InlineData("1 of them", """{"c":1}""", true)]
    [InlineData("1 of them", """{"h":1}""", false)]
    [InlineData("all of them", """{"a":1,"b":1,"c":1,"x":1,"y":1}""", true)]
    [InlineData("all of them", """{"a":1,"b":1,"c":1,"x":1}""", false)]
    [InlineData("a and not 1 of sel_*", """{"a":1,"x":1}""", false)]
    [InlineData("a and not 1 of sel_*", """{"a":1}""", true)]
    [InlineData("any of sel_*", """{"x":1}""", true)]
    // A pattern leaves out identifiers starting with '_' as "them" does, unless it starts with '_' itself.
    [InlineData("all of *", """{"a":1,"b":1,"c":1,"x":1,"y":1}""", true)]
    [InlineData("1 of *", """{"h":1}""", false)]
    [InlineData("1 of _priv*", """{"h":1}""", true)]
    public void Quantifiers_ExpandPatternsAndThem(string condition, string json, bool expected) =>
        Assert.Equal(expected, Eval(condition, json));

    [Fact]
    public void ConditionList_IsOr()
    {
        var set = SigmaTestRules.Detection(Searches + "    condition:\n        - a and b\n        - c");
        Assert.True(set.MatchesJson("""{"c":1}"""));
        Assert.True(set.MatchesJson("""{"a":1,"b":1}"""));
        Assert.False(set.MatchesJson("""{"a":1}"""));
    }

    [Theory]
    [InlineData("a and", "ends unexpectedly")]
    [InlineData("(a or b", "missing ')'")]
    [InlineData("a b", "unexpected 'b'")]
    [InlineData("nosuch", "unknown search identifier 'nosuch'")]
    [InlineData("1 of zz*", "matches no search identifier")]
    [InlineData("a | count() > 5", "correlation rule")]
    [InlineData("2 of sel_*", "'2 of' is not supported")]
    public void InvalidConditions_AreReportedWithLine(string condition, string message)
    {
        var yaml = "title: t\nlogsource:\n    product: aws\ndetection:\n    a:\n        a: 1\n    sel_x:\n        x: 1\n    condition: " + condition + "\n";
        var result = SigmaParser.Parse(yaml, "bad.yml");
        var diagnostic = Assert.Single(result.Diagnostics);
        Assert.Contains(message, diagnostic.Message);
        Assert.Equal("bad.yml", diagnostic.File);
        Assert.Equal(9, diagnostic.Line);
        Assert.Empty(result.Documents);
    }
}
