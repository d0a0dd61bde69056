using System.Globalization;
using System.Text.Json;

namespace Firebreak.Core.Alerts.Formats;

/// <summary>
/// OCSF Detection Finding (class 2004) and the older Security Finding (class 2001), OCSF 1.x.
/// Accepts one object, an array, or JSON lines, because OCSF producers use all three.
/// </summary>
public sealed class OcsfAlertFormat : IAlertFormat
{
    public const int DetectionFindingClass = 2004;
    public const int SecurityFindingClass = 2001;

    public string Name => "ocsf";
    public string MediaType => "application/json";

    public IReadOnlyList<IncomingAlert> Parse(ReadOnlyMemory<byte> payload)
    {
        var documents = JsonPayload.ParseMany(payload);
        try
        {
            var alerts = new List<IncomingAlert>();
            for (var d = 0; d < documents.Count; d++)
            {
                var root = documents[d].RootElement;
                var rootPath = documents.Count == 1 ? "$" : JsonPayload.Index("$", d);
                if (root.ValueKind == JsonValueKind.Array)
                {
                    AlertPayloadLimits.CheckCount(alerts.Count + root.GetArrayLength(), rootPath);
                    var index = 0;
                    foreach (var item in root.EnumerateArray())
                    {
                        alerts.Add(ParseFinding(item, JsonPayload.Index(rootPath, index++)));
                    }
                }
                else
                {
                    AlertPayloadLimits.CheckCount(alerts.Count + 1, rootPath);
                    alerts.Add(ParseFinding(root, rootPath));
                }
            }
            return alerts;
        }
        finally
        {
            foreach (var document in documents)
            {
                document.Dispose();
            }
        }
    }

    private IncomingAlert ParseFinding(JsonElement finding, string path)
    {
        JsonPayload.RequireObject(finding, path);
        CheckClass(finding, path);
        CheckVersion(finding, path);

        var draft = new AlertDraft
        {
            Source = Source(finding),
        };

        // 1.0's Security Finding carried the details in "finding"; later versions use "finding_info".
        var info = JsonPayload.Object(finding, "finding_info") ?? JsonPayload.Object(finding, "finding");
        var infoName = JsonPayload.Object(finding, "finding_info") is null ? "finding" : "finding_info";
        var infoPath = JsonPayload.Child(path, infoName);
        if (info is { } i)
        {
            draft.SourceReference = JsonPayload.String(i, "uid");
            draft.Title = JsonPayload.String(i, "title");
            draft.Description = JsonPayload.String(i, "desc");
            draft.FirstSeenAt = JsonPayload.Time(i, infoPath, "first_seen_time");
            draft.LastSeenAt = JsonPayload.Time(i, infoPath, "last_seen_time");
            draft.DetectedAt = JsonPayload.Time(i, infoPath, "created_time");
            foreach (var type in JsonPayload.Array(i, "types"))
            {
                draft.Category ??= type.ValueKind == JsonValueKind.String ? type.GetString() : null;
            }
            AddAttacks(draft, i);
        }
        draft.SourceReference ??= JsonPayload.String(finding, "metadata", "uid");
        draft.Title ??= JsonPayload.String(finding, "message");
        draft.Description ??= JsonPayload.String(finding, "message") is { } message && message != draft.Title ? message : null;
        draft.DetectedAt ??= JsonPayload.Time(finding, path, "time");
        draft.Category ??= JsonPayload.String(finding, "type_name") ?? JsonPayload.String(finding, "class_name");
        AddAttacks(draft, finding);

        MapSeverity(draft, finding, path);

        if (JsonPayload.Object(finding, "cloud") is { } cloud)
        {
            draft.Provider = CloudProviders.Normalise(JsonPayload.String(cloud, "provider"));
            draft.Account = JsonPayload.String(cloud, "account", "uid");
            draft.Region = JsonPayload.String(cloud, "region");
        }

        foreach (var resource in JsonPayload.Array(finding, "resources"))
        {
            draft.AddResource(JsonPayload.String(resource, "uid") ?? JsonPayload.String(resource, "name"));
        }

        if (JsonPayload.Object(finding, "actor", "user") is { } user)
        {
            AddUser(draft, user);
        }

        foreach (var evidence in JsonPayload.Array(finding, "evidences"))
        {
            draft.AddIp(JsonPayload.String(evidence, "src_endpoint", "ip"));
            draft.AddIp(JsonPayload.String(evidence, "dst_endpoint", "ip"));
            if (JsonPayload.Object(evidence, "actor", "user") is { } evidenceUser)
            {
                AddUser(draft, evidenceUser);
            }
        }

        foreach (var observable in JsonPayload.Array(finding, "observables"))
        {
            AddObservable(draft, observable);
        }

        return draft.Build(Name, finding.GetRawText(), path);
    }

    private static void CheckClass(JsonElement finding, string path)
    {
        if (!JsonPayload.TryGet(finding, "class_uid", out var classUid))
        {
            return;
        }
        if (!classUid.TryGetInt32(out var value) || (value != DetectionFindingClass && value != SecurityFindingClass))
        {
            throw new AlertFormatException(
                $"OCSF class {classUid.GetRawText()} is not a finding; send Detection Finding (2004) or Security Finding (2001).",
                JsonPayload.Child(path, "class_uid"));
        }
    }

    private static void CheckVersion(JsonElement finding, string path)
    {
        var version = JsonPayload.String(finding, "metadata", "version");
        if (version is null)
        {
            return;
        }
        var major = version.Split('.', 2)[0];
        if (major != "1")
        {
            throw new AlertFormatException(
                $"OCSF schema version {version} is not supported; this server reads 1.x.",
                JsonPayload.PathOf(path, ["metadata", "version"]), unsupportedVersion: true);
        }
    }

    private static string Source(JsonElement finding)
    {
        var product = JsonPayload.String(finding, "metadata", "product", "name")
            ?? JsonPayload.String(finding, "metadata", "product", "vendor_name");
        return product is null ? "ocsf" : "ocsf:" + product;
    }

    private static void MapSeverity(AlertDraft draft, JsonElement finding, string path)
    {
        var text = JsonPayload.String(finding, "severity");
        if (JsonPayload.TryGet(finding, "severity_id", out var id))
        {
            if (!id.TryGetInt32(out var number))
            {
                throw new AlertFormatException("severity_id must be an integer.", JsonPayload.Child(path, "severity_id"));
            }
            draft.Severity = SeverityScales.FromOcsfId(number) ?? AlertSeverity.Medium;
            draft.OriginalSeverity = text ?? number.ToString(CultureInfo.InvariantCulture);
        }
        else if (text is not null)
        {
            draft.Severity = SeverityScales.FromWord(text) ?? AlertSeverity.Medium;
            draft.OriginalSeverity = text;
        }
    }

    private static void AddAttacks(AlertDraft draft, JsonElement holder)
    {
        foreach (var attack in JsonPayload.Array(holder, "attacks"))
        {
            draft.AddTechnique(JsonPayload.String(attack, "sub_technique", "uid"));
            draft.AddTechnique(JsonPayload.String(attack, "technique", "uid"));
        }
    }

    private static void AddUser(AlertDraft draft, JsonElement user)
    {
        var type = JsonPayload.String(user, "type") ?? "";
        var principalType = type.Contains("role", StringComparison.OrdinalIgnoreCase) ? PrincipalTypes.Role
            : type.Contains("service", StringComparison.OrdinalIgnoreCase) ? PrincipalTypes.ServiceAccount
            : type.Equals("root", StringComparison.OrdinalIgnoreCase) ? PrincipalTypes.Account
            : PrincipalTypes.User;
        draft.AddPrincipal(principalType, JsonPayload.String(user, "name") ?? JsonPayload.String(user, "uid"));
        draft.AddPrincipal(PrincipalTypes.AccessKey, JsonPayload.String(user, "credential_uid"));
        draft.AddObservable(ObservableTypes.Email, JsonPayload.String(user, "email_addr"));
    }

    private static void AddObservable(AlertDraft draft, JsonElement observable)
    {
        var value = JsonPayload.String(observable, "value");
        if (value is null)
        {
            return;
        }
        var typeId = JsonPayload.TryGet(observable, "type_id", out var id) && id.TryGetInt32(out var n) ? n : 0;
        switch (typeId)
        {
            case 1: draft.AddObservable(ObservableTypes.Domain, value); return;
            case 2: draft.AddObservable(ObservableTypes.Ip, value); return;
            case 4: draft.AddPrincipal(PrincipalTypes.User, value); return;
            case 5: draft.AddObservable(ObservableTypes.Email, value); return;
            case 6: draft.AddObservable(ObservableTypes.Url, value); return;
            case 7: draft.AddObservable(ObservableTypes.File, value); return;
            case 8: draft.AddObservable(ObservableTypes.Hash, value); return;
            case 9: draft.AddObservable(ObservableTypes.Process, value); return;
            case 10: draft.AddResource(value); return;
            case 11: draft.AddObservable(ObservableTypes.Port, value); return;
            case 16: draft.AddObservable(ObservableTypes.UserAgent, value); return;
        }
        switch (JsonPayload.String(observable, "type")?.ToLowerInvariant())
        {
            case "hostname": draft.AddObservable(ObservableTypes.Domain, value); break;
            case "ip address": draft.AddObservable(ObservableTypes.Ip, value); break;
            case "user name": draft.AddPrincipal(PrincipalTypes.User, value); break;
            case "email address": draft.AddObservable(ObservableTypes.Email, value); break;
            case "url string": draft.AddObservable(ObservableTypes.Url, value); break;
            case "file name": draft.AddObservable(ObservableTypes.File, value); break;
            case "hash": draft.AddObservable(ObservableTypes.Hash, value); break;
            case "process name": draft.AddObservable(ObservableTypes.Process, value); break;
            case "resource uid": draft.AddResource(value); break;
            case "port": draft.AddObservable(ObservableTypes.Port, value); break;
            case "http user-agent": draft.AddObservable(ObservableTypes.UserAgent, value); break;
        }
    }
}
