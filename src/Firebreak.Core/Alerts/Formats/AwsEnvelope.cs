using System.Text.Json;

namespace Firebreak.Core.Alerts.Formats;

/// <summary>The EventBridge event that wraps AWS findings: <c>{"detail-type": ..., "detail": {...}}</c>.</summary>
internal static class AwsEnvelope
{
    public static bool TryUnwrap(JsonElement root, string expectedDetailType, out JsonElement detail)
    {
        detail = default;
        if (root.ValueKind != JsonValueKind.Object
            || !root.TryGetProperty("detail-type", out var detailType)
            || detailType.ValueKind != JsonValueKind.String)
        {
            return false;
        }
        if (!string.Equals(detailType.GetString(), expectedDetailType, StringComparison.Ordinal))
        {
            throw new AlertFormatException(
                $"EventBridge detail-type '{detailType.GetString()}' is not '{expectedDetailType}'.", "$['detail-type']");
        }
        if (!root.TryGetProperty("detail", out detail) || detail.ValueKind != JsonValueKind.Object)
        {
            throw new AlertFormatException("The EventBridge event has no detail object.", "$.detail");
        }
        return true;
    }
}
