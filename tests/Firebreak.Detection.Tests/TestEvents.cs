using System.Text.Json;
using Firebreak.Detection.Events;

namespace Firebreak.Detection.Tests;

/// <summary>
/// Test-only stand-in for the log readers: wraps a native JSON record in a CloudEvent with just
/// enough normalised fields for the engine tests.
/// </summary>
internal static class TestEvents
{
    public static CloudEvent Aws(string json, DateTimeOffset? time = null) => Create(json, "aws", "cloudtrail", time);

    public static CloudEvent Create(string json, string product, string service, DateTimeOffset? time = null, EventActor? actor = null)
    {
        var raw = JsonDocument.Parse(json).RootElement.Clone();
        string? Text(string name) => raw.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;
        return new CloudEvent
        {
            Time = time ?? (Text("eventTime") is { } t ? DateTimeOffset.Parse(t, System.Globalization.CultureInfo.InvariantCulture) : new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero)),
            LogSource = new LogSource(product, service),
            Provider = product,
            Operation = Text("eventName") ?? Text("operationName") ?? "",
            Actor = actor ?? new EventActor(),
            Account = Text("recipientAccountId"),
            SourceIp = Text("sourceIPAddress"),
            Raw = raw,
        };
    }
}
