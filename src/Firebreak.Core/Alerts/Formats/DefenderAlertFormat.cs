using System.Text.Json;

namespace Firebreak.Core.Alerts.Formats;

/// <summary>
/// Microsoft Defender for Cloud alerts in two shapes: the SecurityAlert ARM resource
/// (<c>{"id", "name", "properties": {...}}</c>, alone, in an array or in <c>{"value":[...]}</c>) and rows
/// of the Sentinel / Log Analytics SecurityAlert table, where Entities and Techniques are JSON text.
/// Both share systemAlertId, so the same alert arriving both ways has the same source reference.
/// </summary>
public sealed class DefenderAlertFormat : IAlertFormat
{
    public string Name => "defender";
    public string MediaType => "application/json";

    public IReadOnlyList<IncomingAlert> Parse(ReadOnlyMemory<byte> payload)
    {
        using var document = JsonPayload.Parse(payload);
        var root = document.RootElement;

        if (root.ValueKind == JsonValueKind.Array)
        {
            return ParseList(root, "$");
        }
        if (root.ValueKind == JsonValueKind.Object && root.TryGetProperty("value", out var list) && list.ValueKind == JsonValueKind.Array)
        {
            return ParseList(list, "$.value");
        }
        return [ParseAlert(root, "$")];
    }

    private IncomingAlert[] ParseList(JsonElement array, string path)
    {
        AlertPayloadLimits.CheckCount(array.GetArrayLength(), path);
        var alerts = new IncomingAlert[array.GetArrayLength()];
        var index = 0;
        foreach (var item in array.EnumerateArray())
        {
            alerts[index] = ParseAlert(item, JsonPayload.Index(path, index));
            index++;
        }
        return alerts;
    }

    private IncomingAlert ParseAlert(JsonElement alert, string path)
    {
        JsonPayload.RequireObject(alert, path);
        var draft = alert.TryGetProperty("properties", out var properties) && properties.ValueKind == JsonValueKind.Object
            ? FromResource(alert, properties, JsonPayload.Child(path, "properties"))
            : FromSentinelRow(alert, path);

        draft.Source = "defender";
        draft.Provider = CloudProviders.Azure;
        draft.Account ??= SubscriptionOf(draft.Resources);
        return draft.Build(Name, alert.GetRawText(), path);
    }

    private static AlertDraft FromResource(JsonElement alert, JsonElement properties, string path)
    {
        var severity = JsonPayload.String(properties, "severity");
        var draft = new AlertDraft
        {
            SourceReference = JsonPayload.String(properties, "systemAlertId") ?? JsonPayload.String(alert, "name"),
            Title = JsonPayload.String(properties, "alertDisplayName") ?? JsonPayload.String(properties, "alertType"),
            Description = JsonPayload.String(properties, "description"),
            Category = JsonPayload.String(properties, "alertType"),
            Severity = SeverityScales.FromWord(severity) ?? AlertSeverity.Medium,
            OriginalSeverity = severity,
            DetectedAt = JsonPayload.Time(properties, path, "timeGeneratedUtc"),
            FirstSeenAt = JsonPayload.Time(properties, path, "startTimeUtc"),
            LastSeenAt = JsonPayload.Time(properties, path, "endTimeUtc"),
        };
        foreach (var technique in JsonPayload.Array(properties, "techniques"))
        {
            draft.AddTechnique(technique.ValueKind == JsonValueKind.String ? technique.GetString() : null);
        }
        foreach (var technique in JsonPayload.Array(properties, "subTechniques"))
        {
            draft.AddTechnique(technique.ValueKind == JsonValueKind.String ? technique.GetString() : null);
        }
        foreach (var identifier in JsonPayload.Array(properties, "resourceIdentifiers"))
        {
            draft.AddResource(JsonPayload.String(identifier, "azureResourceId"));
        }
        foreach (var entity in JsonPayload.Array(properties, "entities"))
        {
            AddEntity(draft, entity);
        }
        if (draft.Resources.Count == 0)
        {
            draft.AddResource(JsonPayload.String(properties, "compromisedEntity"));
        }

        // The alert's own id is /subscriptions/{id}/resourceGroups/.../alerts/{name}.
        draft.Account = SubscriptionOf(draft.Resources) ?? SubscriptionOf([JsonPayload.String(alert, "id") ?? ""]);
        return draft;
    }

    private static AlertDraft FromSentinelRow(JsonElement row, string path)
    {
        var severity = JsonPayload.String(row, "AlertSeverity");
        var draft = new AlertDraft
        {
            SourceReference = JsonPayload.String(row, "SystemAlertId") ?? JsonPayload.String(row, "VendorOriginalId"),
            Title = JsonPayload.String(row, "DisplayName") ?? JsonPayload.String(row, "AlertName"),
            Description = JsonPayload.String(row, "Description"),
            Category = JsonPayload.String(row, "AlertType"),
            Severity = SeverityScales.FromWord(severity) ?? AlertSeverity.Medium,
            OriginalSeverity = severity,
            DetectedAt = JsonPayload.Time(row, path, "TimeGenerated"),
            FirstSeenAt = JsonPayload.Time(row, path, "StartTime"),
            LastSeenAt = JsonPayload.Time(row, path, "EndTime"),
        };
        if (draft.Title is null && JsonPayload.String(row, "AlertName") is null)
        {
            throw new AlertFormatException(
                "Not a Defender alert: expected an ARM resource with \"properties\" or a SecurityAlert row with AlertName.", path);
        }

        foreach (var technique in EmbeddedStrings(row, "Techniques", path))
        {
            draft.AddTechnique(technique);
        }
        foreach (var technique in EmbeddedStrings(row, "SubTechniques", path))
        {
            draft.AddTechnique(technique);
        }
        draft.AddResource(JsonPayload.String(row, "ResourceId"));
        foreach (var entity in EmbeddedArray(row, "Entities", path))
        {
            AddEntity(draft, entity);
        }
        if (draft.Resources.Count == 0)
        {
            draft.AddResource(JsonPayload.String(row, "CompromisedEntity"));
        }
        return draft;
    }

    /// <summary>The table stores arrays as JSON text; exports sometimes inline them as real arrays.</summary>
    private static List<JsonElement> EmbeddedArray(JsonElement row, string name, string path)
    {
        if (!JsonPayload.TryGet(row, name, out var value))
        {
            return [];
        }
        if (value.ValueKind == JsonValueKind.Array)
        {
            return [.. value.EnumerateArray()];
        }
        if (value.ValueKind != JsonValueKind.String || string.IsNullOrWhiteSpace(value.GetString()))
        {
            return [];
        }

        var bytes = System.Text.Encoding.UTF8.GetBytes(value.GetString()!);
        using var document = JsonPayload.Parse(bytes, JsonPayload.Child(path, name));
        if (document.RootElement.ValueKind != JsonValueKind.Array)
        {
            throw new AlertFormatException("Expected a JSON array.", JsonPayload.Child(path, name));
        }
        return [.. document.RootElement.EnumerateArray().Select(e => e.Clone())];
    }

    /// <summary>Technique lists arrive as JSON text ("[\"T1078\"]") or, in older rows, comma-separated.</summary>
    private static IEnumerable<string?> EmbeddedStrings(JsonElement row, string name, string path)
    {
        if (JsonPayload.TryGet(row, name, out var value) && value.ValueKind == JsonValueKind.String
            && value.GetString() is { } text && !text.TrimStart().StartsWith('['))
        {
            return text.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
        }
        return EmbeddedArray(row, name, path).Select(e => e.ValueKind == JsonValueKind.String ? e.GetString() : null);
    }

    private static void AddEntity(AlertDraft draft, JsonElement entity)
    {
        switch (JsonPayload.String(entity, "type")?.ToLowerInvariant())
        {
            case "ip":
                draft.AddIp(JsonPayload.String(entity, "address"));
                break;
            case "account":
                var name = JsonPayload.String(entity, "name");
                var suffix = JsonPayload.String(entity, "upnSuffix");
                draft.AddPrincipal(PrincipalTypes.User, name is not null && suffix is not null ? name + "@" + suffix : name ?? JsonPayload.String(entity, "aadUserId"));
                break;
            case "host":
                draft.AddResource(JsonPayload.String(entity, "azureID"));
                break;
            case "azure-resource":
                draft.AddResource(JsonPayload.String(entity, "resourceId"));
                break;
            case "dns":
                draft.AddObservable(ObservableTypes.Domain, JsonPayload.String(entity, "domainName"));
                break;
            case "url":
                draft.AddObservable(ObservableTypes.Url, JsonPayload.String(entity, "url"));
                break;
            case "filehash":
                draft.AddObservable(ObservableTypes.Hash, JsonPayload.String(entity, "value"));
                break;
            case "file":
                draft.AddObservable(ObservableTypes.File, JsonPayload.String(entity, "name"));
                break;
            case "process":
                draft.AddObservable(ObservableTypes.Process, JsonPayload.String(entity, "commandLine"));
                break;
            case "mailbox":
                draft.AddObservable(ObservableTypes.Email, JsonPayload.String(entity, "mailboxPrimaryAddress"));
                break;
        }
    }

    /// <summary>The subscription of the first Azure resource id (/subscriptions/{id}/...).</summary>
    private static string? SubscriptionOf(IEnumerable<string> resourceIds)
    {
        const string marker = "/subscriptions/";
        foreach (var id in resourceIds)
        {
            var start = id.IndexOf(marker, StringComparison.OrdinalIgnoreCase);
            if (start < 0)
            {
                continue;
            }
            start += marker.Length;
            var end = id.IndexOf('/', start);
            var subscription = end < 0 ? id[start..] : id[start..end];
            if (subscription.Length > 0)
            {
                return subscription;
            }
        }
        return null;
    }
}
