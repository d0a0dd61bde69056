using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

namespace Firebreak.Cli.Commands;

/// <summary>
/// What the CLI works out about an alert file before sending it: which intake format it is in, and how
/// to cut it into requests the server accepts. Validation stays on the server, which names the path of
/// any problem; when this class cannot read a payload it sends it whole and lets the server say why.
/// </summary>
internal static class AlertPayload
{
    /// <summary>Alerts per request when a file is split: half the server's batch limit, so a chunk also stays well under the body limit.</summary>
    public const int ChunkSize = 5_000;

    private static readonly JsonReaderOptions ReaderOptions = new() { AllowMultipleValues = true, MaxDepth = 64, CommentHandling = JsonCommentHandling.Skip };

    public static string Detect(ReadOnlySpan<byte> payload)
    {
        var text = Trim(payload);
        if (text.IsEmpty) return "generic";
        if (text[0] is not (byte)'{' and not (byte)'[')
            return text.IndexOf("CEF:"u8) >= 0 ? "cef" : "generic";

        JsonDocument first;
        try
        {
            var reader = new Utf8JsonReader(text, ReaderOptions);
            if (!reader.Read()) return "generic";
            first = JsonDocument.ParseValue(ref reader);
        }
        catch (JsonException)
        {
            // Broken JSON: the generic endpoint reports where it breaks.
            return "generic";
        }
        using (first)
        {
            return DetectJson(first.RootElement);
        }
    }

    private static string DetectJson(JsonElement root)
    {
        if (root.ValueKind == JsonValueKind.Array)
            return FirstObject(root) is { } sample ? DetectAlert(sample) : "generic";
        if (root.ValueKind != JsonValueKind.Object) return "generic";

        if (Get(root, "detail-type") is { ValueKind: JsonValueKind.String } detailType)
        {
            return detailType.GetString() switch
            {
                "GuardDuty Finding" => "guardduty",
                "Security Hub Findings - Imported" => "asff",
                _ => "generic",
            };
        }
        if (Get(root, "Findings") is { ValueKind: JsonValueKind.Array } findings)
            return FirstObject(findings) is { } finding && DetectAlert(finding) == "guardduty" ? "guardduty" : "asff";
        if (Get(root, "alerts") is { ValueKind: JsonValueKind.Array }) return "generic";
        if (Get(root, "value") is { ValueKind: JsonValueKind.Array } value)
            return FirstObject(value) is { } sample ? DetectAlert(sample) : "generic";
        if (Get(root, "listFindingsResults") is { ValueKind: JsonValueKind.Array }) return "scc";
        if (Get(root, "message") is { ValueKind: JsonValueKind.Object } message && Get(message, "data") is not null) return "scc";
        return DetectAlert(root);
    }

    private static string DetectAlert(JsonElement alert)
    {
        if (alert.ValueKind != JsonValueKind.Object) return "generic";
        if (Get(alert, "class_uid") is { ValueKind: JsonValueKind.Number } classUid && classUid.TryGetInt32(out var uid) && uid is 2004 or 2001)
            return "ocsf";
        if (Get(alert, "ProductArn") is not null || Get(alert, "GeneratorId") is not null || Get(alert, "AwsAccountId") is not null
            || Get(alert, "SchemaVersion") is { ValueKind: JsonValueKind.String } v && v.GetString() == "2018-10-08")
            return "asff";
        // A GuardDuty finding: a finding type, the service block and the account, in either casing.
        if (Get(alert, "Type") is not null && Get(alert, "Service") is not null && Get(alert, "AccountId") is not null)
            return "guardduty";
        if (Get(alert, "properties") is { ValueKind: JsonValueKind.Object } properties && Get(properties, "alertDisplayName") is not null)
            return "defender";
        if (Get(alert, "AlertName") is not null || Get(alert, "SystemAlertId") is not null) return "defender";
        if (Get(alert, "finding") is { ValueKind: JsonValueKind.Object }) return "scc";
        return "generic";
    }

    /// <summary>
    /// The requests to send. A payload of up to <see cref="ChunkSize"/> alerts goes as it is, except
    /// generic JSON lines, which become an array because the generic endpoint reads one document.
    /// </summary>
    public static IReadOnlyList<Chunk> Split(string format, ReadOnlyMemory<byte> payload, int chunkSize = ChunkSize) => format switch
    {
        "cef" => SplitLines(payload, chunkSize),
        "generic" or "ocsf" => SplitJson(format, payload, chunkSize),
        _ => [new Chunk(payload, null)],
    };

    /// <summary>
    /// The Idempotency-Key of one chunk: the hash of the chunk's content with its number and format. A
    /// rerun of the same file replays every chunk instead of storing it again; so does a rerun after
    /// fixing a bad alert in a later chunk, because the chunks before it are unchanged.
    /// </summary>
    public static string ChunkKey(ReadOnlySpan<byte> chunk, string format, int chunkNumber, int chunkCount)
    {
        var hash = Convert.ToHexStringLower(SHA256.HashData(chunk))[..32];
        return $"firebreak-cli:{format}:{chunkNumber}/{chunkCount}:{hash}";
    }

    private static List<Chunk> SplitLines(ReadOnlyMemory<byte> payload, int chunkSize)
    {
        var lines = Encoding.UTF8.GetString(payload.Span).Split('\n')
            .Select(line => line.TrimEnd('\r')).Where(line => !string.IsNullOrWhiteSpace(line)).ToList();
        if (lines.Count <= chunkSize) return [new Chunk(payload, null)];
        return [.. lines.Chunk(chunkSize).Select(group => new Chunk(Encoding.UTF8.GetBytes(string.Join('\n', group) + "\n"), group.Length))];
    }

    private static List<Chunk> SplitJson(string format, ReadOnlyMemory<byte> payload, int chunkSize)
    {
        List<string> items;
        string? schemaVersion = null;
        bool severalDocuments;
        try
        {
            var documents = new List<JsonDocument>();
            var reader = new Utf8JsonReader(payload.Span, ReaderOptions);
            try
            {
                while (reader.Read()) documents.Add(JsonDocument.ParseValue(ref reader));
                severalDocuments = documents.Count > 1;
                items = [];
                foreach (var document in documents)
                {
                    var root = document.RootElement;
                    if (root.ValueKind == JsonValueKind.Array)
                    {
                        items.AddRange(root.EnumerateArray().Select(item => item.GetRawText()));
                    }
                    else if (!severalDocuments && format == "generic" && root.ValueKind == JsonValueKind.Object
                             && root.TryGetProperty("alerts", out var alerts) && alerts.ValueKind == JsonValueKind.Array)
                    {
                        items.AddRange(alerts.EnumerateArray().Select(item => item.GetRawText()));
                        if (root.TryGetProperty("schemaVersion", out var version)) schemaVersion = version.GetRawText();
                    }
                    else
                    {
                        items.Add(root.GetRawText());
                    }
                }
            }
            finally
            {
                foreach (var document in documents) document.Dispose();
            }
        }
        catch (JsonException)
        {
            return [new Chunk(payload, null)];
        }

        var mustWrap = severalDocuments && format == "generic";
        if (items.Count <= chunkSize && !mustWrap) return [new Chunk(payload, null)];
        return [.. items.Chunk(chunkSize).Select(group => new Chunk(Encoding.UTF8.GetBytes(Wrap(group, schemaVersion)), group.Length))];
    }

    // Keeps the batch's schemaVersion on every chunk, so the server checks it as it would for the whole file.
    private static string Wrap(string[] items, string? schemaVersion)
    {
        var array = "[" + string.Join(',', items) + "]";
        return schemaVersion is null ? array : $"{{\"schemaVersion\":{schemaVersion},\"alerts\":{array}}}";
    }

    private static ReadOnlySpan<byte> Trim(ReadOnlySpan<byte> payload)
    {
        if (payload.StartsWith("\uFEFF"u8)) payload = payload[3..];
        return payload.TrimStart(" \t\r\n"u8);
    }

    private static JsonElement? FirstObject(JsonElement array) =>
        array.EnumerateArray().Where(item => item.ValueKind == JsonValueKind.Object).Select(item => (JsonElement?)item).FirstOrDefault();

    /// <summary>A property by name in any casing: exports differ (the GuardDuty API is PascalCase, its console export camelCase).</summary>
    private static JsonElement? Get(JsonElement element, string name)
    {
        foreach (var property in element.EnumerateObject())
        {
            if (string.Equals(property.Name, name, StringComparison.OrdinalIgnoreCase) && property.Value.ValueKind != JsonValueKind.Null)
                return property.Value;
        }
        return null;
    }
}

/// <summary>One request's body; <see cref="Alerts"/> is known when the CLI split the file itself.</summary>
internal sealed record Chunk(ReadOnlyMemory<byte> Body, int? Alerts);
