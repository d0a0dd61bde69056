using System.Text;
using System.Text.Json;
using Firebreak.Detection.Rules;
using Firebreak.Detection.Sigma;

namespace Firebreak.Detection.Tests.Sigma;

public class HotPathTests
{
    [Fact]
    public void Matching_AllocatesNothing_ForEventsThatDoNotMatch()
    {
        var set = BuiltInRules.Compile();
        string[] names = ["DescribeInstances", "AssumeRole", "ListBuckets", "PutObject", "Decrypt", "GetCallerIdentity", "RunInstances", "CreateAccessKey"];
        var events = names.Select(n => TestEvents.Aws($$$$"""
            {"eventVersion":"1.08","userIdentity":{"type":"AssumedRole","arn":"arn:aws:sts::111122223333:assumed-role/app/i-1","userName":"app",
             "sessionContext":{"sessionIssuer":{"type":"Role","arn":"arn:aws:iam::111122223333:role/app"}}},
             "eventSource":"ec2.amazonaws.com","eventName":"{{{{n}}}}","awsRegion":"us-east-1","sourceIPAddress":"10.0.0.1",
             "requestParameters":{"instanceType":"t3.micro","userName":"app"},"eventType":"AwsApiCall"}
            """)).ToArray();
        var matches = new List<CompiledRule>(16);
        foreach (var e in events)
        {
            set.Match(e, matches);
        }

        Assert.Empty(matches);
        const int Rounds = 2_000;
        long Measure()
        {
            var before = GC.GetAllocatedBytesForCurrentThread();
            for (var i = 0; i < Rounds; i++)
            {
                foreach (var e in events)
                {
                    set.Match(e, matches);
                }
            }

            return GC.GetAllocatedBytesForCurrentThread() - before;
        }

        // Nothing per event: an allocation on the hot path costs at least 24 bytes for each of the 16,000 events
        // matched, in every measurement. The runtime allocates now and then on the way (152 and 2,560 bytes for
        // a whole loop were seen, the runtime's own, while other tests loaded the machine), once, so the
        // least of three measurements after a warm-up is what counts.
        Measure();
        var allocated = Enumerable.Range(0, 3).Select(_ => Measure()).Min();
        Assert.True(allocated < Rounds * events.Length / 8, $"{allocated} bytes allocated matching {Rounds * events.Length} events that match nothing");
    }

    [Theory]
    // Names of every length around the eight bytes compared first, and names that share them.
    [InlineData("""{"eventVersion":"1.08","eventSource":"s3","eventName":"GetObject","eventTime":"2026-01-01T00:00:00Z","eventID":"e","eventType":"AwsApiCall","a":1,"ab":2,"abcdefgh":3,"abcdefghi":4}""")]
    // Duplicates: the document answers with the last; a name differing only in case is found ignoring case, the first.
    [InlineData("""{"eventName":"First","x":0,"eventName":"Last","OperationName":"upper","operationname":"lower","EVENTSOURCE":"caps"}""")]
    // Names outside ASCII, empty, and long.
    [InlineData("""{"":"empty","évènement":"accents","名前":"kanji","aVeryLongPropertyNameThatGoesOnAndOn":"long","eventNamE":"odd"}""")]
    // Escapes in values only: the names are still listed.
    [InlineData("""{"eventName":"a\"b","policyDocument":"{\"Effect\":\"Allow\"}","EventSource":"caps","[x]":"bracket","@type":"at"}""")]
    // An escaped name: looked up through the document, which unescapes it.
    [InlineData("""{"\u0065ventName":"escaped","eventSource":"plain","Event\u004eame":"caps"}""")]
    public void TopLevelLookups_AnswerAsTheDocumentDoes(string record)
    {
        var e = TestEvents.Aws(record);
        string[] asked =
        [
            "eventVersion", "eventSource", "eventName", "eventTime", "eventID", "eventType", "eventtype", "EVENTNAME", "a", "ab", "abc",
            "abcdefgh", "abcdefghi", "ABCDEFGHI", "abcdefgi", "x", "X", "OperationName", "operationName", "operationname", "",
            "évènement", "ÉVÈNEMENT", "名前", "aVeryLongPropertyNameThatGoesOnAndOn", "averylongpropertynamethatgoesonandon",
            "aVeryLongPropertyNameThatGoesOnAndOff", "missing", "api", "unmapped", "policyDocument", "POLICYDOCUMENT", "eventsource",
            "[x]", "{x}", "[X]", "@type", "`type", "@TYPE",
        ];
        foreach (var name in asked)
        {
            var bytes = Encoding.UTF8.GetBytes(name);
            var expectedFound = JsonTraversal.TryGetProperty(e.Raw, bytes, out var expected);
            var found = RootProperties.TryGet(e, bytes, out var value);
            Assert.True(expectedFound == found, $"'{name}': found {found}, the document says {expectedFound}");
            if (found)
            {
                Assert.Equal(expected.GetRawText(), value.GetRawText());
            }
        }

        // Another event on the same thread is listed afresh; one with more top-level names than are listed is asked of the document.
        var many = TestEvents.Aws("{" + string.Join(",", Enumerable.Range(0, 300).Select(i => $"\"p{i}\":{i}")) + ",\"eventName\":\"Many\"}");
        Assert.True(RootProperties.TryGet(many, "eventName"u8.ToArray(), out var manyName));
        Assert.Equal("Many", manyName.GetString());
        Assert.True(RootProperties.TryGet(many, "P299"u8.ToArray(), out var last));
        Assert.Equal(299, last.GetInt32());
        RootProperties.Forget();
        Assert.False(RootProperties.TryGet(TestEvents.Aws("""{"other":1}"""), "eventName"u8.ToArray(), out _));
    }
}
