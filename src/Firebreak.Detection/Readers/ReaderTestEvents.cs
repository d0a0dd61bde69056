using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Firebreak.Detection.Events;
using Firebreak.Detection.Readers.Mapping;

namespace Firebreak.Detection.Readers;

/// <summary>
/// Turns a rule's embedded test record into an event through the same mapper a log file's record
/// goes through, so rule tests exercise the production normalisation rather than a stand-in.
/// </summary>
public static class ReaderTestEvents
{
    public static CloudEvent Create(LogSource source, JsonElement raw, DateTimeOffset fallbackTime)
    {
        if (FormatOf(source, raw) is not { } format)
        {
            return Rules.NativeRecordEvent.Create(source, raw, fallbackTime);
        }

        var mapper = RecordMappers.For(format.Format);
        if (mapper.Map(raw, null, out var problem) is { } mapped)
        {
            return mapped;
        }

        // Test records leave out what every real record has but no rule looks at, the time above all.
        if (raw.ValueKind == JsonValueKind.Object && JsonNode.Parse(raw.GetRawText()) is JsonObject completed && !completed.ContainsKey(format.TimeField))
        {
            completed[format.TimeField] = fallbackTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);
            var element = JsonDocument.Parse(completed.ToJsonString()).RootElement;
            if (mapper.Map(element, null, out problem) is { } withTime)
            {
                return withTime;
            }
        }

        throw new InvalidOperationException($"the record cannot be read as {format.Format}: {problem}");
    }

    private static (LogFormat Format, string TimeField)? FormatOf(LogSource source, JsonElement raw) => (source.Product.ToLowerInvariant(), source.Service.ToLowerInvariant()) switch
    {
        ("aws", "cloudtrail") => (LogFormat.CloudTrail, "eventTime"),
        // An operationName object is the REST event shape, which the mapper knows by its eventTimestamp.
        ("azure", "activitylogs") => (LogFormat.AzureActivity,
            raw.ValueKind == JsonValueKind.Object && raw.TryGetProperty("operationName", out var op) && op.ValueKind == JsonValueKind.Object ? "eventTimestamp" : "time"),
        ("azure", "signinlogs") => (LogFormat.EntraSignIn, "time"),
        ("azure", "auditlogs") => (LogFormat.EntraAudit, "time"),
        ("gcp", "gcp.audit") => (LogFormat.GcpAudit, "timestamp"),
        _ => null,
    };
}
