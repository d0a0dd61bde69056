using System.Buffers.Text;
using System.Text.Json;

namespace Firebreak.Core.Alerts.Formats;

/// <summary>
/// Google Security Command Center findings: a ListFindings result item (<c>{"finding", "resource"}</c>),
/// the whole ListFindings response, a bare finding, or the Pub/Sub push request whose
/// <c>message.data</c> is the base64 NotificationMessage.
/// </summary>
public sealed class SccAlertFormat : IAlertFormat
{
    public string Name => "scc";
    public string MediaType => "application/json";

    public IReadOnlyList<IncomingAlert> Parse(ReadOnlyMemory<byte> payload)
    {
        using var document = JsonPayload.Parse(payload);
        var root = document.RootElement;

        if (root.ValueKind == JsonValueKind.Object && root.TryGetProperty("message", out var message) && message.ValueKind == JsonValueKind.Object)
        {
            return [ParsePubSub(message)];
        }
        if (root.ValueKind == JsonValueKind.Array)
        {
            return ParseList(root, "$");
        }
        if (root.ValueKind == JsonValueKind.Object && root.TryGetProperty("listFindingsResults", out var results) && results.ValueKind == JsonValueKind.Array)
        {
            return ParseList(results, "$.listFindingsResults");
        }
        return [ParseItem(root, "$", root.GetRawText())];
    }

    private IncomingAlert ParsePubSub(JsonElement message)
    {
        const string path = "$.message.data";
        var data = JsonPayload.String(message, "data")
            ?? throw new AlertFormatException("The Pub/Sub message has no data.", path);

        var bytes = new byte[Base64.GetMaxDecodedFromUtf8Length(data.Length)];
        if (!Convert.TryFromBase64String(data, bytes, out var written))
        {
            throw new AlertFormatException("The Pub/Sub message data is not base64.", path);
        }
        var decoded = bytes.AsMemory(0, written);
        using var notification = JsonPayload.Parse(decoded, path);
        var raw = System.Text.Encoding.UTF8.GetString(decoded.Span);
        return ParseItem(notification.RootElement, path, raw);
    }

    private IncomingAlert[] ParseList(JsonElement array, string path)
    {
        AlertPayloadLimits.CheckCount(array.GetArrayLength(), path);
        var alerts = new IncomingAlert[array.GetArrayLength()];
        var index = 0;
        foreach (var item in array.EnumerateArray())
        {
            alerts[index] = ParseItem(item, JsonPayload.Index(path, index), item.GetRawText());
            index++;
        }
        return alerts;
    }

    private IncomingAlert ParseItem(JsonElement item, string path, string raw)
    {
        JsonPayload.RequireObject(item, path);
        JsonElement finding;
        string findingPath;
        JsonElement? resource = JsonPayload.Object(item, "resource");
        if (JsonPayload.Object(item, "finding") is { } wrapped)
        {
            finding = wrapped;
            findingPath = JsonPayload.Child(path, "finding");
        }
        else
        {
            finding = item;
            findingPath = path;
            resource = null;
        }
        if (JsonPayload.String(finding, "category") is null && JsonPayload.String(finding, "name") is null)
        {
            throw new AlertFormatException("Not an SCC finding: expected \"finding\" or a finding with name and category.", path);
        }

        var severity = JsonPayload.String(finding, "severity");
        var eventTime = JsonPayload.Time(finding, findingPath, "eventTime");
        var draft = new AlertDraft
        {
            Source = "scc",
            SourceReference = JsonPayload.String(finding, "name"),
            Category = JsonPayload.String(finding, "category"),
            Description = JsonPayload.String(finding, "description"),
            Severity = SeverityScales.FromWord(severity) ?? AlertSeverity.Medium,
            OriginalSeverity = severity,
            DetectedAt = JsonPayload.Time(finding, findingPath, "createTime") ?? eventTime,
            LastSeenAt = eventTime,
            Provider = CloudProviders.Gcp,
        };
        // SCC findings have no title; the category is the human-readable name the console shows.
        draft.Title = draft.Category ?? JsonPayload.String(finding, "findingClass") ?? draft.SourceReference;

        var resourceName = JsonPayload.String(finding, "resourceName");
        draft.AddResource(resourceName);
        draft.Account = ProjectOf(resource) ?? ProjectFromName(resourceName);
        draft.Region = (resource is { } r ? JsonPayload.String(r, "location") : null) ?? RegionFromName(resourceName);

        if (JsonPayload.Object(finding, "access") is { } access)
        {
            var email = JsonPayload.String(access, "principalEmail");
            draft.AddPrincipal(
                email?.EndsWith(".gserviceaccount.com", StringComparison.OrdinalIgnoreCase) == true ? PrincipalTypes.ServiceAccount : PrincipalTypes.User,
                email);
            draft.AddIp(JsonPayload.String(access, "callerIp"));
            draft.AddObservable(ObservableTypes.UserAgent, JsonPayload.String(access, "userAgentFull") ?? JsonPayload.String(access, "userAgent"));
        }
        if (JsonPayload.Object(finding, "indicator") is { } indicator)
        {
            foreach (var ip in JsonPayload.Array(indicator, "ipAddresses"))
            {
                draft.AddIp(ip.ValueKind == JsonValueKind.String ? ip.GetString() : null);
            }
            foreach (var domain in JsonPayload.Array(indicator, "domains"))
            {
                draft.AddObservable(ObservableTypes.Domain, domain.ValueKind == JsonValueKind.String ? domain.GetString() : null);
            }
            foreach (var uri in JsonPayload.Array(indicator, "uris"))
            {
                draft.AddObservable(ObservableTypes.Url, uri.ValueKind == JsonValueKind.String ? uri.GetString() : null);
            }
        }
        if (JsonPayload.Object(finding, "mitreAttack") is { } mitre)
        {
            foreach (var technique in JsonPayload.Array(mitre, "primaryTechniques"))
            {
                draft.AddTechnique(SccTechniques.IdOf(technique.ValueKind == JsonValueKind.String ? technique.GetString() : null));
            }
            foreach (var technique in JsonPayload.Array(mitre, "additionalTechniques"))
            {
                draft.AddTechnique(SccTechniques.IdOf(technique.ValueKind == JsonValueKind.String ? technique.GetString() : null));
            }
        }

        return draft.Build(Name, raw, path);
    }

    private static string? ProjectOf(JsonElement? resource)
    {
        if (resource is not { } r)
        {
            return null;
        }
        return JsonPayload.String(r, "projectDisplayName")
            ?? JsonPayload.String(r, "gcpMetadata", "projectDisplayName")
            ?? ProjectFromName(JsonPayload.String(r, "project") ?? JsonPayload.String(r, "projectName") ?? JsonPayload.String(r, "gcpMetadata", "project"));
    }

    /// <summary>"//compute.googleapis.com/projects/acme-prod/zones/..." → acme-prod.</summary>
    internal static string? ProjectFromName(string? name) => Segment(name, "/projects/");

    internal static string? RegionFromName(string? name)
    {
        if (Segment(name, "/regions/") is { } region)
        {
            return region;
        }
        // A zone is its region plus a one-letter suffix (us-central1-a).
        var zone = Segment(name, "/zones/");
        var dash = zone?.LastIndexOf('-') ?? -1;
        return zone is not null && dash > 0 && zone.Length - dash == 2 ? zone[..dash] : null;
    }

    private static string? Segment(string? name, string marker)
    {
        if (name is null)
        {
            return null;
        }
        var start = name.IndexOf(marker, StringComparison.Ordinal);
        if (start < 0)
        {
            return null;
        }
        start += marker.Length;
        var end = name.IndexOf('/', start);
        var value = end < 0 ? name[start..] : name[start..end];
        return value.Length == 0 ? null : value;
    }
}

/// <summary>SCC names ATT&amp;CK techniques by enum name; these are the ids Google documents for them.</summary>
public static class SccTechniques
{
    private static readonly Dictionary<string, string> Ids = new(StringComparer.Ordinal)
    {
        ["ABUSE_ELEVATION_CONTROL_MECHANISM"] = "T1548",
        ["ACCESS_TOKEN_MANIPULATION"] = "T1134",
        ["ACCOUNT_ACCESS_REMOVAL"] = "T1531",
        ["ACCOUNT_MANIPULATION"] = "T1098",
        ["ACTIVE_SCANNING"] = "T1595",
        ["ADDITIONAL_CLOUD_CREDENTIALS"] = "T1098.001",
        ["APPLICATION_LAYER_PROTOCOL"] = "T1071",
        ["BRUTE_FORCE"] = "T1110",
        ["CLOUD_ACCOUNTS"] = "T1078.004",
        ["CLOUD_GROUPS"] = "T1069.003",
        ["CLOUD_INFRASTRUCTURE_DISCOVERY"] = "T1580",
        ["CLOUD_SERVICE_DISCOVERY"] = "T1526",
        ["COMMAND_AND_SCRIPTING_INTERPRETER"] = "T1059",
        ["CREATE_OR_MODIFY_SYSTEM_PROCESS"] = "T1543",
        ["CREATE_SNAPSHOT"] = "T1578.001",
        ["DATA_DESTRUCTION"] = "T1485",
        ["DEFAULT_ACCOUNTS"] = "T1078.001",
        ["DISABLE_OR_MODIFY_TOOLS"] = "T1562.001",
        ["DNS"] = "T1071.004",
        ["DOMAIN_POLICY_MODIFICATION"] = "T1484",
        ["DYNAMIC_RESOLUTION"] = "T1568",
        ["EXFILTRATION_OVER_WEB_SERVICE"] = "T1567",
        ["EXFILTRATION_TO_CLOUD_STORAGE"] = "T1567.002",
        ["EXPLOIT_PUBLIC_FACING_APPLICATION"] = "T1190",
        ["EXTERNAL_PROXY"] = "T1090.002",
        ["IMPAIR_DEFENSES"] = "T1562",
        ["INGRESS_TOOL_TRANSFER"] = "T1105",
        ["INHIBIT_SYSTEM_RECOVERY"] = "T1490",
        ["LATERAL_TOOL_TRANSFER"] = "T1570",
        ["LOCAL_ACCOUNTS"] = "T1078.003",
        ["MODIFY_AUTHENTICATION_PROCESS"] = "T1556",
        ["MODIFY_CLOUD_COMPUTE_INFRASTRUCTURE"] = "T1578",
        ["MULTI_HOP_PROXY"] = "T1090.003",
        ["NATIVE_API"] = "T1106",
        ["NETWORK_DENIAL_OF_SERVICE"] = "T1498",
        ["NETWORK_SERVICE_DISCOVERY"] = "T1046",
        ["PERMISSION_GROUPS_DISCOVERY"] = "T1069",
        ["PROXY"] = "T1090",
        ["RESOURCE_HIJACKING"] = "T1496",
        ["SCANNING_IP_BLOCKS"] = "T1595.001",
        ["SHARED_MODULES"] = "T1129",
        ["SSH_AUTHORIZED_KEYS"] = "T1098.004",
        ["STEAL_WEB_SESSION_COOKIE"] = "T1539",
        ["UNIX_SHELL"] = "T1059.004",
        ["UNSECURED_CREDENTIALS"] = "T1552",
        ["VALID_ACCOUNTS"] = "T1078",
    };

    public static string? IdOf(string? name) => name is not null && Ids.TryGetValue(name, out var id) ? id : null;
}
