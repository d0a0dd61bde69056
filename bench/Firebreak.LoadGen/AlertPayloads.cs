using System.Buffers;
using System.Text.Json;

namespace Firebreak.LoadGen;

/// <summary>
/// Generic-format alerts shaped like a cloud detector's output. References are unique per run, so a
/// repeat is exactly a re-sent reference and nothing else collides.
/// </summary>
public sealed class AlertPayloads(int connection, double repeatShare)
{
    private static readonly string RunId = Guid.NewGuid().ToString("N")[..8];
    private static readonly string[] Sources = ["guardduty", "defender", "scc", "falco", "custom-siem"];
    private static readonly string[] Titles =
    [
        "Unusual console sign-in from a new country", "Access key used from a Tor exit node", "S3 bucket policy made public",
        "Root account API call", "Mass download from storage account", "Service principal added to Global Administrator",
        "Crypto-mining process started in container", "Security group opened to 0.0.0.0/0 on port 22",
        "CloudTrail logging stopped", "Impossible travel between two sign-ins", "New federated identity provider",
        "Unexpected IAM policy version set as default",
    ];
    private static readonly string[] Severities = ["informational", "low", "medium", "medium", "high", "high", "critical", "low"];

    private readonly List<(int Source, string Reference)> _sent = new(capacity: 1 << 16);
    private readonly Random _random = new(connection * 7919 + 17);
    private long _next;

    public long New { get; private set; }
    public long Repeats { get; private set; }

    /// <summary>One JSON body of <paramref name="count"/> alerts, about <c>repeatShare</c> of them re-sent references.</summary>
    public byte[] Batch(int count, bool wrapped = true)
    {
        var buffer = new ArrayBufferWriter<byte>(count * 400);
        using (var json = new Utf8JsonWriter(buffer))
        {
            if (wrapped)
            {
                json.WriteStartObject();
                json.WriteString("schemaVersion", "1");
                json.WritePropertyName("alerts");
                json.WriteStartArray();
            }
            for (var i = 0; i < count; i++) Write(json);
            if (wrapped)
            {
                json.WriteEndArray();
                json.WriteEndObject();
            }
        }
        return buffer.WrittenSpan.ToArray();
    }

    /// <summary>A single alert object (for POST /api/v1/alerts).</summary>
    public byte[] One()
    {
        var buffer = new ArrayBufferWriter<byte>(512);
        using (var json = new Utf8JsonWriter(buffer)) Write(json);
        return buffer.WrittenSpan.ToArray();
    }

    private void Write(Utf8JsonWriter json)
    {
        int source;
        string reference;
        if (_sent.Count > 0 && _random.NextDouble() < repeatShare)
        {
            (source, reference) = _sent[_random.Next(_sent.Count)];
            Repeats++;
        }
        else
        {
            source = _random.Next(Sources.Length);
            reference = $"{RunId}-{connection}-{_next++}";
            if (_sent.Count < _sent.Capacity) _sent.Add((source, reference));
            else _sent[_random.Next(_sent.Count)] = (source, reference);
            New++;
        }
        var title = Titles[_random.Next(Titles.Length)];
        json.WriteStartObject();
        json.WriteString("source", Sources[source]);
        json.WriteString("sourceReference", reference);
        json.WriteString("title", title);
        json.WriteString("description", $"{title}. Seen by the load generator for a benchmark run.");
        json.WriteString("severity", Severities[_random.Next(Severities.Length)]);
        json.WriteString("detectedAt", DateTimeOffset.UtcNow.AddSeconds(-_random.Next(3600)));
        json.WriteString("provider", "aws");
        json.WriteString("account", $"1234567890{_random.Next(10, 99)}");
        json.WriteString("region", "eu-west-1");
        json.WriteStartArray("resources");
        json.WriteStringValue($"arn:aws:iam::123456789012:user/user-{_random.Next(500)}");
        json.WriteEndArray();
        json.WriteEndObject();
    }
}
