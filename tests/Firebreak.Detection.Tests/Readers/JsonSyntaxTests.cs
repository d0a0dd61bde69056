using System.Text;
using System.Text.Json;
using Firebreak.Detection.Readers;

namespace Firebreak.Detection.Tests.Readers;

public class JsonSyntaxTests
{
    private const int MaxDepth = 64;

    private static bool ReaderAccepts(ReadOnlySpan<byte> json)
    {
        var reader = new Utf8JsonReader(json, new JsonReaderOptions { MaxDepth = MaxDepth + 1 });
        try
        {
            while (reader.Read())
            {
            }

            return true;
        }
        catch (JsonException)
        {
            return false;
        }
    }

    [Theory]
    [InlineData("{}")]
    [InlineData("[]")]
    [InlineData(" {\"a\" : [1, -0.5e+3, 0, 10E2, true, false, null, \"x\\\"\\\\\\/\\b\\f\\n\\r\\t\\u00e9\"], \"b\":{}}\r\n")]
    [InlineData("\"just a string\"")]
    [InlineData("-12.25")]
    [InlineData("[[[[[]]]]]")]
    public void WellFormedJson_IsVouchedFor(string json)
    {
        Assert.True(ReaderAccepts(Encoding.UTF8.GetBytes(json)));
        Assert.True(JsonSyntax.IsCertainlyValid(Encoding.UTF8.GetBytes(json), MaxDepth));
    }

    [Theory]
    [InlineData("")]
    [InlineData("{")]
    [InlineData("{\"a\":1,}")]
    [InlineData("[1,]")]
    [InlineData("{\"a\" 1}")]
    [InlineData("{\"a\":tru}")]
    [InlineData("{\"a\":truex}")]
    [InlineData("{\"a\":01}")]
    [InlineData("{\"a\":1.}")]
    [InlineData("{\"a\":.5}")]
    [InlineData("{\"a\":1e}")]
    [InlineData("{\"a\":+1}")]
    [InlineData("{\"a\":\"\\x\"}")]
    [InlineData("{\"a\":\"\\u12G4\"}")]
    [InlineData("{\"a\":\"tab\there\"}")]
    [InlineData("{\"a\":[1}")]
    [InlineData("{\"a\":1]")]
    [InlineData("{a:1}")]
    [InlineData("{'a':1}")]
    [InlineData("{\"a\":1} x")]
    [InlineData("{\"a\":1}{}")]
    [InlineData("{\"a\":1 /* no */}")]
    [InlineData("{\"a\":NaN}")]
    public void MalformedJson_IsNeverVouchedFor(string json)
    {
        Assert.False(ReaderAccepts(Encoding.UTF8.GetBytes(json)));
        Assert.False(JsonSyntax.IsCertainlyValid(Encoding.UTF8.GetBytes(json), MaxDepth));
    }

    [Fact]
    public void NestingPastTheLimit_IsLeftToTheReader()
    {
        var deep = Encoding.UTF8.GetBytes(new string('[', MaxDepth) + new string(']', MaxDepth));
        var deeper = Encoding.UTF8.GetBytes(new string('[', MaxDepth + 1) + new string(']', MaxDepth + 1));

        Assert.True(JsonSyntax.IsCertainlyValid(deep, MaxDepth));
        Assert.False(JsonSyntax.IsCertainlyValid(deeper, MaxDepth));
        Assert.False(JsonSyntax.IsCertainlyValid(deep, MaxDepth + 1));
    }

    [Fact]
    public void RandomlyDamagedRecords_AreVouchedForOnlyWhenTheReaderAcceptsThem()
    {
        // A record the check vouches for is not parsed or read again, so it must never accept what the reader
        // rejects. Records full of the characters that matter, damaged a byte or a few at a time.
        var random = new Random(20261130);
        const string Significant = "{}[]\",:\\ \t\r\n0123456789.eE+-tfnrulasbu/x\u0001";
        var vouched = 0;
        var rejected = 0;
        for (var i = 0; i < 40_000; i++)
        {
            var record = Record(random);
            var bytes = Encoding.UTF8.GetBytes(record).ToList();
            for (var damage = random.Next(0, 4); damage > 0 && bytes.Count > 0; damage--)
            {
                var at = random.Next(bytes.Count);
                var c = (byte)Significant[random.Next(Significant.Length)];
                switch (random.Next(3))
                {
                    case 0:
                        bytes.RemoveAt(at);
                        break;
                    case 1:
                        bytes.Insert(at, c);
                        break;
                    default:
                        bytes[at] = c;
                        break;
                }
            }

            var json = bytes.ToArray();
            var accepts = ReaderAccepts(json);
            var vouches = JsonSyntax.IsCertainlyValid(json, MaxDepth);
            Assert.False(vouches && !accepts, $"vouched for a record the reader rejects: {Encoding.UTF8.GetString(json)}");
            vouched += vouches ? 1 : 0;
            rejected += accepts ? 0 : 1;
        }

        // Both kinds were made in numbers, and the check is a quick path for the well-formed ones, not a refusal of all.
        Assert.InRange(rejected, 10_000, 39_000);
        Assert.InRange(vouched, 5_000, 40_000 - rejected);
    }

    [Fact]
    public void RealCloudTrailRecords_AreAllVouchedFor()
    {
        var dataset = TestData.SharedData("cloudtrail/invictus-aws-dataset");
        var records = 0;
        foreach (var file in Directory.GetFiles(dataset, "*.json"))
        {
            using var document = JsonDocument.Parse(File.ReadAllBytes(file));
            foreach (var record in document.RootElement.GetProperty("Records").EnumerateArray())
            {
                Assert.True(JsonSyntax.IsCertainlyValid(Encoding.UTF8.GetBytes(record.GetRawText()), MaxDepth), record.GetRawText());
                records++;
            }
        }

        Assert.True(records > 100);
    }

    private static string Record(Random random)
    {
        var text = new StringBuilder("{");
        for (var p = random.Next(1, 6); p > 0; p--)
        {
            text.Append("\"k").Append(p).Append("\": ");
            AppendValue(text, random, 3);
            text.Append(p > 1 ? ", " : "");
        }

        return text.Append('}').ToString();
    }

    private static void AppendValue(StringBuilder text, Random random, int depth)
    {
        switch (random.Next(depth > 0 ? 8 : 6))
        {
            case 0:
                text.Append("\"a\\\"b\\\\c\\u00e9\\/ d\"");
                break;
            case 1:
                text.Append(random.Next(2) == 0 ? "-0.5e+10" : "123");
                break;
            case 2:
                text.Append("true");
                break;
            case 3:
                text.Append("false");
                break;
            case 4:
                text.Append("null");
                break;
            case 5:
                text.Append("\"plain text\"");
                break;
            case 6:
                text.Append('[');
                for (var n = random.Next(0, 3); n > 0; n--)
                {
                    AppendValue(text, random, depth - 1);
                    text.Append(n > 1 ? "," : "");
                }

                text.Append(']');
                break;
            default:
                text.Append("{\"x\":");
                AppendValue(text, random, depth - 1);
                text.Append('}');
                break;
        }
    }
}
