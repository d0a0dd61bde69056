using System.Globalization;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;

namespace Firebreak.Detection.Readers.Mapping;

/// <summary>
/// A Cloud Audit Logs entry as a log sink to BigQuery stores it, exported from its table (<c>bq extract</c> to JSON, the
/// console's results saved as JSON): the AuditLog payload in <c>protopayload_auditlog</c> (its fields keep their names),
/// its <c>request</c>, <c>response</c>, <c>metadata</c> and other free-form parts as JSON text in <c>requestJson</c>,
/// <c>responseJson</c>..., times written <c>2026-01-15 09:00:00.123456 UTC</c> and whole numbers as text. Written back into
/// the LogEntry shape of every other export, so the mapper and the rules (<c>protoPayload.methodName</c>) read it as one.
/// </summary>
internal static class BigQueryAuditRow
{
    private static readonly string[] TimeNames = ["timestamp", "receiveTimestamp"];

    public static bool Is(JsonElement element) =>
        element.ValueKind == JsonValueKind.Object
        && element.TryGetProperty("protopayload_auditlog"u8, out var payload)
        && payload.ValueKind == JsonValueKind.Object
        && !element.TryGetProperty("protoPayload"u8, out _);

    /// <summary>
    /// The entry in the LogEntry shape, or why it cannot be: JSON text that is not JSON, or nests deeper than
    /// <paramref name="maxDepth"/>, the reader's limit for any record. Text is written as it was (not escaped anew), so the
    /// stored record reads and searches as the LogEntry would.
    /// </summary>
    public static JsonElement? ToLogEntry(JsonElement row, int maxDepth, out string? problem)
    {
        problem = null;
        var buffer = new System.Buffers.ArrayBufferWriter<byte>();
        using (var writer = new Utf8JsonWriter(buffer, new JsonWriterOptions { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping, MaxDepth = maxDepth + 2 }))
        {
            writer.WriteStartObject();
            foreach (var property in row.EnumerateObject())
            {
                if (property.NameEquals("protopayload_auditlog"u8))
                {
                    writer.WritePropertyName("protoPayload"u8);
                    if (!WritePayload(writer, property.Value, maxDepth, out problem)) return null;
                }
                else if (TimeNames.Contains(property.Name) && property.Value.ValueKind == JsonValueKind.String && Time(property.Value.GetString()!) is { } time)
                {
                    writer.WriteString(property.Name, time);
                }
                else
                {
                    property.WriteTo(writer);
                }
            }

            writer.WriteEndObject();
        }

        var reader = new Utf8JsonReader(buffer.WrittenSpan, new JsonReaderOptions { MaxDepth = maxDepth + 2 });
        return JsonElement.ParseValue(ref reader);
    }

    private static bool WritePayload(Utf8JsonWriter writer, JsonElement payload, int maxDepth, out string? problem)
    {
        problem = null;
        writer.WriteStartObject();
        writer.WriteString("@type"u8, "type.googleapis.com/google.cloud.audit.AuditLog"u8);
        var wroteServiceData = payload.TryGetProperty("serviceData"u8, out _);
        foreach (var property in payload.EnumerateObject())
        {
            var name = property.Name;
            if (name == "@type") continue;
            if (name.Length > 4 && name.EndsWith("Json", StringComparison.Ordinal) && property.Value.ValueKind is JsonValueKind.String or JsonValueKind.Null)
            {
                // requestJson holds the request as JSON text: written as the object it is, under request.
                if (property.Value.ValueKind == JsonValueKind.Null) continue;
                var text = Encoding.UTF8.GetBytes(property.Value.GetString()!);
                try
                {
                    // The text sits two levels down (protoPayload, request): it may nest no deeper than the record may.
                    var reader = new Utf8JsonReader(text, new JsonReaderOptions { MaxDepth = Math.Max(1, maxDepth - 2) });
                    JsonElement.ParseValue(ref reader);
                }
                catch (JsonException ex)
                {
                    problem = $"BigQuery audit row's protopayload_auditlog.{name} is not JSON: {RecordFramer.Brief(ex.Message)}";
                    return false;
                }

                // Written as it is: its strings are not read here, so one holding a lone surrogate's escape reaches the
                // reader's repair (U+FFFD, with a warning) instead of failing the row.
                writer.WritePropertyName(name[..^4]);
                writer.WriteRawValue(text);
            }
            else if (name == "status" && property.Value.ValueKind == JsonValueKind.Object)
            {
                // A whole number is text in a BigQuery export: the status code is read as the number it is.
                writer.WriteStartObject("status"u8);
                foreach (var part in property.Value.EnumerateObject())
                {
                    if (part.NameEquals("code"u8) && part.Value.ValueKind == JsonValueKind.String && int.TryParse(part.Value.GetString(), CultureInfo.InvariantCulture, out var code))
                    {
                        writer.WriteNumber("code"u8, code);
                    }
                    else
                    {
                        part.WriteTo(writer);
                    }
                }

                writer.WriteEndObject();
            }
            else
            {
                property.WriteTo(writer);

                // A sink names the service's own data by its type (servicedata_v1_iam for IAM's AuditData, with the policy
                // change in policyDelta): written again as the LogEntry's serviceData, where readers of policy changes look.
                if (!wroteServiceData && name.StartsWith("servicedata_v1_", StringComparison.Ordinal) && property.Value.ValueKind == JsonValueKind.Object)
                {
                    writer.WritePropertyName("serviceData"u8);
                    property.Value.WriteTo(writer);
                    wroteServiceData = true;
                }
            }
        }

        writer.WriteEndObject();
        return true;
    }

    /// <summary>BigQuery's <c>2026-01-15 09:00:00.123456 UTC</c> as ISO 8601; null for anything else, which is kept as it is.</summary>
    private static string? Time(string text) =>
        text.EndsWith(" UTC", StringComparison.Ordinal)
        && DateTimeOffset.TryParseExact(text[..^4], ["yyyy-MM-dd HH:mm:ss", "yyyy-MM-dd HH:mm:ss.FFFFFFF"], CultureInfo.InvariantCulture,
            DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var time)
            ? time.ToString("yyyy-MM-dd'T'HH:mm:ss.FFFFFFF'Z'", CultureInfo.InvariantCulture)
            : null;
}
