using System.Globalization;
using System.Text.Json;

namespace Firebreak.Core.Alerts.Formats;

/// <summary>
/// Firebreak's own alert JSON: one object, an array, or <c>{"alerts":[...]}</c>, with fields named
/// as <see cref="IncomingAlert"/> in camelCase. Being our schema, it is read strictly: a wrong type is
/// a 400 naming the field rather than a silently dropped value.
/// </summary>
public sealed class GenericAlertFormat : IAlertFormat
{
    public const string SupportedSchemaVersion = "1";

    public string Name => "generic";
    public string MediaType => "application/json";

    public IReadOnlyList<IncomingAlert> Parse(ReadOnlyMemory<byte> payload)
    {
        using var document = JsonPayload.Parse(payload);
        var root = document.RootElement;

        switch (root.ValueKind)
        {
            case JsonValueKind.Array:
                return ParseList(root, "$");
            case JsonValueKind.Object when root.TryGetProperty("alerts", out var alerts):
                CheckVersion(root, "$");
                if (alerts.ValueKind != JsonValueKind.Array)
                {
                    throw new AlertFormatException("\"alerts\" must be an array.", "$.alerts");
                }
                return ParseList(alerts, "$.alerts");
            case JsonValueKind.Object:
                return [ParseAlert(root, "$")];
            default:
                throw new AlertFormatException("Expected an alert object, an array of alerts or {\"alerts\":[...]}.", "$");
        }
    }

    private IncomingAlert[] ParseList(JsonElement array, string path)
    {
        var count = array.GetArrayLength();
        AlertPayloadLimits.CheckCount(count, path);
        var result = new IncomingAlert[count];
        var index = 0;
        foreach (var item in array.EnumerateArray())
        {
            result[index] = ParseAlert(item, JsonPayload.Index(path, index));
            index++;
        }
        return result;
    }

    private static void CheckVersion(JsonElement element, string path)
    {
        if (!element.TryGetProperty("schemaVersion", out var version) || version.ValueKind == JsonValueKind.Null)
        {
            return;
        }
        var text = version.ValueKind switch
        {
            JsonValueKind.String => version.GetString(),
            JsonValueKind.Number => version.GetRawText(),
            _ => null,
        };
        if (text != SupportedSchemaVersion)
        {
            throw new AlertFormatException(
                $"Schema version '{(text ?? version.GetRawText())}' is not supported; this server reads version {SupportedSchemaVersion}.",
                path + ".schemaVersion", unsupportedVersion: true);
        }
    }

    private IncomingAlert ParseAlert(JsonElement alert, string path)
    {
        JsonPayload.RequireObject(alert, path);
        var draft = new AlertDraft();

        // One pass over the properties; a switch on the name is cheaper than a lookup per field.
        foreach (var property in alert.EnumerateObject())
        {
            var value = property.Value;
            if (value.ValueKind == JsonValueKind.Null)
            {
                continue;
            }
            switch (property.Name)
            {
                case "schemaVersion":
                    CheckVersion(alert, path);
                    break;
                case "source":
                    draft.Source = Text(value, path, "source");
                    break;
                case "sourceReference":
                    draft.SourceReference = Text(value, path, "sourceReference");
                    break;
                case "title":
                    draft.Title = Text(value, path, "title");
                    break;
                case "description":
                    draft.Description = Text(value, path, "description");
                    break;
                case "severity":
                    var severity = Text(value, path, "severity");
                    draft.Severity = ParseSeverity(severity, path);
                    draft.OriginalSeverity = severity;
                    break;
                case "detectedAt":
                    draft.DetectedAt = Time(value, path, "detectedAt");
                    break;
                case "firstSeenAt":
                    draft.FirstSeenAt = Time(value, path, "firstSeenAt");
                    break;
                case "lastSeenAt":
                    draft.LastSeenAt = Time(value, path, "lastSeenAt");
                    break;
                case "category":
                    draft.Category = Text(value, path, "category");
                    break;
                case "techniques":
                    foreach (var (item, itemPath) in Strings(value, path, "techniques"))
                    {
                        if (!AlertDraft.IsTechniqueId(item))
                        {
                            throw new AlertFormatException("Expected an ATT&CK technique id such as T1078 or T1078.004.", itemPath);
                        }
                        draft.AddTechnique(item);
                    }
                    break;
                case "provider":
                    draft.Provider = ParseProvider(Text(value, path, "provider"), path);
                    break;
                case "account":
                    draft.Account = Text(value, path, "account");
                    break;
                case "region":
                    draft.Region = Text(value, path, "region");
                    break;
                case "resources":
                    foreach (var (item, _) in Strings(value, path, "resources"))
                    {
                        draft.AddResource(item);
                    }
                    break;
                case "principals":
                    foreach (var (type, entity) in Entities(value, path, "principals"))
                    {
                        draft.AddPrincipal(type, entity);
                    }
                    break;
                case "observables":
                    foreach (var (type, entity) in Entities(value, path, "observables"))
                    {
                        draft.AddObservable(type, entity);
                    }
                    break;
            }
        }

        if (draft.Source is null)
        {
            throw new AlertFormatException("\"source\" is required.", path + ".source");
        }
        if (draft.Title is null)
        {
            throw new AlertFormatException("\"title\" is required.", path + ".title");
        }
        return draft.Build(Name, alert.GetRawText(), path);
    }

    internal static AlertSeverity ParseSeverity(string? text, string path) => text?.ToLowerInvariant() switch
    {
        "informational" or "info" => AlertSeverity.Informational,
        "low" => AlertSeverity.Low,
        "medium" => AlertSeverity.Medium,
        "high" => AlertSeverity.High,
        "critical" => AlertSeverity.Critical,
        _ => throw new AlertFormatException("Severity must be informational, low, medium, high or critical.", path + ".severity"),
    };

    private static string? ParseProvider(string? text, string path) => text?.ToLowerInvariant() switch
    {
        null => null,
        "aws" or "azure" or "gcp" => text.ToLowerInvariant(),
        _ => throw new AlertFormatException("Provider must be aws, azure or gcp.", path + ".provider"),
    };

    private static string? Text(JsonElement value, string path, string name)
    {
        if (value.ValueKind != JsonValueKind.String)
        {
            throw new AlertFormatException("Expected a string.", path + "." + name);
        }
        var text = value.GetString();
        return string.IsNullOrWhiteSpace(text) ? null : text;
    }

    private static DateTimeOffset? Time(JsonElement value, string path, string name)
    {
        var text = Text(value, path, name);
        if (text is null)
        {
            return null;
        }
        if (!DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var parsed))
        {
            throw new AlertFormatException("Expected an ISO 8601 time such as 2026-11-29T09:30:00Z.", path + "." + name);
        }
        return parsed.ToUniversalTime();
    }

    private static IEnumerable<(string Value, string Path)> Strings(JsonElement value, string path, string name)
    {
        var listPath = path + "." + name;
        if (value.ValueKind != JsonValueKind.Array)
        {
            throw new AlertFormatException("Expected an array of strings.", listPath);
        }
        var index = 0;
        foreach (var item in value.EnumerateArray())
        {
            var itemPath = JsonPayload.Index(listPath, index++);
            if (item.ValueKind != JsonValueKind.String)
            {
                throw new AlertFormatException("Expected a string.", itemPath);
            }
            yield return (item.GetString()!, itemPath);
        }
    }

    private static IEnumerable<(string Type, string? Value)> Entities(JsonElement value, string path, string name)
    {
        var listPath = path + "." + name;
        if (value.ValueKind != JsonValueKind.Array)
        {
            throw new AlertFormatException("Expected an array of {type, value} objects.", listPath);
        }
        var index = 0;
        foreach (var item in value.EnumerateArray())
        {
            var itemPath = JsonPayload.Index(listPath, index++);
            if (item.ValueKind != JsonValueKind.Object
                || !item.TryGetProperty("type", out var type) || type.ValueKind != JsonValueKind.String
                || string.IsNullOrWhiteSpace(type.GetString()))
            {
                throw new AlertFormatException("Expected an object with a string \"type\" and \"value\".", itemPath + ".type");
            }
            if (!item.TryGetProperty("value", out var entity) || entity.ValueKind != JsonValueKind.String)
            {
                throw new AlertFormatException("Expected an object with a string \"type\" and \"value\".", itemPath + ".value");
            }
            yield return (type.GetString()!.Trim().ToLowerInvariant(), entity.GetString());
        }
    }
}
