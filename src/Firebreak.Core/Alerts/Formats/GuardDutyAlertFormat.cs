using System.Globalization;
using System.Text.Json;

namespace Firebreak.Core.Alerts.Formats;

/// <summary>
/// Amazon GuardDuty findings: the GetFindings response (<c>{"Findings":[...]}</c>, PascalCase), the
/// console / S3 export and the EventBridge "GuardDuty Finding" event (camelCase), one or an array.
/// </summary>
public sealed class GuardDutyAlertFormat : IAlertFormat
{
    public const string SupportedSchemaVersion = "2.0";
    public const string EventBridgeDetailType = "GuardDuty Finding";

    public string Name => "guardduty";
    public string MediaType => "application/json";

    public IReadOnlyList<IncomingAlert> Parse(ReadOnlyMemory<byte> payload)
    {
        using var document = JsonPayload.Parse(payload);
        var root = document.RootElement;

        if (AwsEnvelope.TryUnwrap(root, EventBridgeDetailType, out var detail))
        {
            return [ParseFinding(detail, "$.detail")];
        }
        if (root.ValueKind == JsonValueKind.Array)
        {
            return ParseList(root, "$");
        }
        if (root.ValueKind == JsonValueKind.Object
            && (root.TryGetProperty("Findings", out var list) || root.TryGetProperty("findings", out list)))
        {
            var listPath = root.TryGetProperty("Findings", out _) ? "$.Findings" : "$.findings";
            if (list.ValueKind != JsonValueKind.Array)
            {
                throw new AlertFormatException("The findings must be an array.", listPath);
            }
            return ParseList(list, listPath);
        }
        return [ParseFinding(root, "$")];
    }

    private IncomingAlert[] ParseList(JsonElement array, string path)
    {
        AlertPayloadLimits.CheckCount(array.GetArrayLength(), path);
        var alerts = new IncomingAlert[array.GetArrayLength()];
        var index = 0;
        foreach (var item in array.EnumerateArray())
        {
            alerts[index] = ParseFinding(item, JsonPayload.Index(path, index));
            index++;
        }
        return alerts;
    }

    private IncomingAlert ParseFinding(JsonElement finding, string path)
    {
        JsonPayload.RequireObject(finding, path);
        var version = JsonPayload.String(finding, "SchemaVersion");
        if (version is not null && version != SupportedSchemaVersion)
        {
            throw new AlertFormatException(
                $"GuardDuty schema version '{version}' is not supported; this server reads {SupportedSchemaVersion}.",
                JsonPayload.Child(path, "schemaVersion"), unsupportedVersion: true);
        }

        var type = JsonPayload.String(finding, "Type");
        var draft = new AlertDraft
        {
            Source = "guardduty",
            SourceReference = JsonPayload.String(finding, "Id"),
            Title = JsonPayload.String(finding, "Title") ?? type,
            Description = JsonPayload.String(finding, "Description"),
            Category = type,
            DetectedAt = JsonPayload.Time(finding, path, "CreatedAt"),
            Provider = CloudProviders.Aws,
            Account = JsonPayload.String(finding, "AccountId"),
            Region = JsonPayload.String(finding, "Region"),
        };
        foreach (var technique in GuardDutyTechniques.For(type))
        {
            draft.AddTechnique(technique);
        }

        if (JsonPayload.TryGet(finding, "Severity", out var severity))
        {
            if (severity.ValueKind != JsonValueKind.Number)
            {
                throw new AlertFormatException("Severity must be a number.", JsonPayload.Child(path, "severity"));
            }
            draft.OriginalSeverity = severity.GetRawText();
            draft.Severity = SeverityScales.FromGuardDuty(severity.GetDouble())
                ?? throw new AlertFormatException("Severity must be between 0 and 10.", JsonPayload.Child(path, "severity"));
        }

        if (JsonPayload.Object(finding, "Resource") is { } resource)
        {
            AddResource(draft, resource);
        }

        if (JsonPayload.Object(finding, "Service") is { } service)
        {
            var servicePath = JsonPayload.Child(path, "service");
            draft.FirstSeenAt = JsonPayload.Time(service, servicePath, "EventFirstSeen");
            draft.LastSeenAt = JsonPayload.Time(service, servicePath, "EventLastSeen");
            if (JsonPayload.Object(service, "Action") is { } action)
            {
                AddAction(draft, action);
            }
        }

        return draft.Build(Name, finding.GetRawText(), path);
    }

    private static void AddResource(AlertDraft draft, JsonElement resource)
    {
        if (JsonPayload.Object(resource, "AccessKeyDetails") is { } key)
        {
            var principalType = JsonPayload.String(key, "UserType") switch
            {
                "AssumedRole" or "Role" => PrincipalTypes.Role,
                "Root" => PrincipalTypes.Account,
                _ => PrincipalTypes.User,
            };
            draft.AddPrincipal(principalType, JsonPayload.String(key, "UserName") ?? JsonPayload.String(key, "PrincipalId"));
            draft.AddPrincipal(PrincipalTypes.AccessKey, JsonPayload.String(key, "AccessKeyId"));
        }
        draft.AddResource(JsonPayload.String(resource, "InstanceDetails", "InstanceId"));
        foreach (var bucket in JsonPayload.Array(resource, "S3BucketDetails"))
        {
            draft.AddResource(JsonPayload.String(bucket, "Arn") ?? JsonPayload.String(bucket, "Name"));
        }
        draft.AddResource(JsonPayload.String(resource, "EksClusterDetails", "Arn"));
        draft.AddResource(JsonPayload.String(resource, "RdsDbInstanceDetails", "DbInstanceArn"));
        draft.AddResource(JsonPayload.String(resource, "LambdaDetails", "FunctionArn"));
    }

    private static void AddAction(AlertDraft draft, JsonElement action)
    {
        if (JsonPayload.Object(action, "AwsApiCallAction") is { } api)
        {
            draft.AddIp(JsonPayload.String(api, "RemoteIpDetails", "IpAddressV4"));
            draft.AddIp(JsonPayload.String(api, "RemoteIpDetails", "IpAddressV6"));
            draft.AddObservable(ObservableTypes.Domain, JsonPayload.String(api, "DomainDetails", "Domain"));
            draft.AddObservable(ObservableTypes.UserAgent, JsonPayload.String(api, "UserAgent"));
        }
        if (JsonPayload.Object(action, "NetworkConnectionAction") is { } connection)
        {
            draft.AddIp(JsonPayload.String(connection, "RemoteIpDetails", "IpAddressV4"));
            draft.AddIp(JsonPayload.String(connection, "RemoteIpDetails", "IpAddressV6"));
        }
        if (JsonPayload.Object(action, "DnsRequestAction") is { } dns)
        {
            draft.AddObservable(ObservableTypes.Domain, JsonPayload.String(dns, "Domain"));
        }
        foreach (var probe in JsonPayload.Array(action, "PortProbeAction", "PortProbeDetails"))
        {
            draft.AddIp(JsonPayload.String(probe, "RemoteIpDetails", "IpAddressV4"));
        }
        if (JsonPayload.Object(action, "KubernetesApiCallAction") is { } kubernetes)
        {
            draft.AddIp(JsonPayload.String(kubernetes, "RemoteIpDetails", "IpAddressV4"));
            draft.AddObservable(ObservableTypes.UserAgent, JsonPayload.String(kubernetes, "UserAgent"));
        }
    }
}
