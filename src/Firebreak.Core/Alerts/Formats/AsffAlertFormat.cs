using System.Globalization;
using System.Text.Json;

namespace Firebreak.Core.Alerts.Formats;

/// <summary>
/// AWS Security Finding Format as Security Hub exports it: <c>{"Findings":[...]}</c>, one finding, an
/// array, or the EventBridge event "Security Hub Findings - Imported".
/// </summary>
public sealed class AsffAlertFormat : IAlertFormat
{
    public const string SupportedSchemaVersion = "2018-10-08";
    public const string EventBridgeDetailType = "Security Hub Findings - Imported";

    private const string AccessKeyIdPrefix = "AWS::IAM::AccessKey:";

    public string Name => "asff";
    public string MediaType => "application/json";

    public IReadOnlyList<IncomingAlert> Parse(ReadOnlyMemory<byte> payload)
    {
        using var document = JsonPayload.Parse(payload);
        var root = document.RootElement;

        if (AwsEnvelope.TryUnwrap(root, EventBridgeDetailType, out var detail))
        {
            if (!detail.TryGetProperty("findings", out var findings) || findings.ValueKind != JsonValueKind.Array)
            {
                throw new AlertFormatException("The event's detail has no findings array.", "$.detail.findings");
            }
            return ParseList(findings, "$.detail.findings");
        }
        if (root.ValueKind == JsonValueKind.Array)
        {
            return ParseList(root, "$");
        }
        if (root.ValueKind == JsonValueKind.Object && root.TryGetProperty("Findings", out var list))
        {
            if (list.ValueKind != JsonValueKind.Array)
            {
                throw new AlertFormatException("\"Findings\" must be an array.", "$.Findings");
            }
            return ParseList(list, "$.Findings");
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
                $"ASFF schema version '{version}' is not supported; this server reads {SupportedSchemaVersion}.",
                JsonPayload.Child(path, "SchemaVersion"), unsupportedVersion: true);
        }

        var draft = new AlertDraft
        {
            Source = Source(finding),
            SourceReference = JsonPayload.String(finding, "Id"),
            Title = JsonPayload.String(finding, "Title"),
            Description = JsonPayload.String(finding, "Description"),
            DetectedAt = JsonPayload.Time(finding, path, "CreatedAt"),
            FirstSeenAt = JsonPayload.Time(finding, path, "FirstObservedAt"),
            LastSeenAt = JsonPayload.Time(finding, path, "LastObservedAt"),
            Provider = CloudProviders.Aws,
            Account = JsonPayload.String(finding, "AwsAccountId"),
            Region = JsonPayload.String(finding, "Region"),
        };
        foreach (var type in JsonPayload.Array(finding, "Types"))
        {
            draft.Category ??= type.ValueKind == JsonValueKind.String ? type.GetString() : null;
        }
        MapSeverity(draft, finding);

        foreach (var resource in JsonPayload.Array(finding, "Resources"))
        {
            AddResource(draft, resource);
        }
        AddNetwork(draft, finding);
        AddAction(draft, finding);

        // Security Hub forwards GuardDuty findings with the GuardDuty type as the last part of the ASFF type.
        if (IsFromGuardDuty(finding))
        {
            foreach (var type in JsonPayload.Array(finding, "Types"))
            {
                if (type.ValueKind == JsonValueKind.String && type.GetString() is { } text && text.Contains(':', StringComparison.Ordinal))
                {
                    foreach (var technique in GuardDutyTechniques.For(text[FindGuardDutyTypeStart(text)..]))
                    {
                        draft.AddTechnique(technique);
                    }
                }
            }
        }

        return draft.Build(Name, finding.GetRawText(), path);
    }

    // "TTPs/Initial Access/UnauthorizedAccess:IAMUser-ConsoleLoginSuccess.B": the GuardDuty type
    // starts after the last slash before the colon.
    private static int FindGuardDutyTypeStart(string category)
    {
        var colon = category.IndexOf(':', StringComparison.Ordinal);
        var slash = category.LastIndexOf('/', colon);
        return slash + 1;
    }

    private static bool IsFromGuardDuty(JsonElement finding) =>
        string.Equals(JsonPayload.String(finding, "ProductName"), "GuardDuty", StringComparison.OrdinalIgnoreCase)
        || (JsonPayload.String(finding, "ProductArn")?.EndsWith("/aws/guardduty", StringComparison.Ordinal) ?? false);

    private static string Source(JsonElement finding)
    {
        var product = JsonPayload.String(finding, "ProductName");
        if (product is null && JsonPayload.String(finding, "ProductArn") is { } arn)
        {
            // arn:aws:securityhub:us-east-1::product/aws/guardduty → aws/guardduty
            var marker = arn.IndexOf(":product/", StringComparison.Ordinal);
            product = marker >= 0 ? arn[(marker + ":product/".Length)..] : arn;
        }
        product ??= JsonPayload.String(finding, "GeneratorId");
        return product is null ? "securityhub" : "securityhub:" + product;
    }

    private static void MapSeverity(AlertDraft draft, JsonElement finding)
    {
        if (JsonPayload.Object(finding, "Severity") is not { } severity)
        {
            return;
        }
        var label = JsonPayload.String(severity, "Label");
        AlertSeverity? mapped = SeverityScales.FromWord(label);
        string? normalisedText = null;
        if (JsonPayload.TryGet(severity, "Normalized", out var normalized) && normalized.ValueKind == JsonValueKind.Number)
        {
            normalisedText = normalized.GetRawText();
            mapped ??= SeverityScales.FromAsffNormalized(normalized.GetDouble());
        }
        draft.Severity = mapped ?? AlertSeverity.Medium;
        draft.OriginalSeverity = JsonPayload.String(severity, "Original") ?? label ?? normalisedText;
    }

    private static void AddResource(AlertDraft draft, JsonElement resource)
    {
        var id = JsonPayload.String(resource, "Id");
        draft.AddResource(id);
        var details = JsonPayload.Object(resource, "Details");
        switch (JsonPayload.String(resource, "Type"))
        {
            case "AwsIamAccessKey":
                var key = details is { } d ? JsonPayload.Object(d, "AwsIamAccessKey") : null;
                if (key is { } k)
                {
                    var principalType = JsonPayload.String(k, "PrincipalType") switch
                    {
                        "AssumedRole" or "Role" => PrincipalTypes.Role,
                        "Root" => PrincipalTypes.Account,
                        _ => PrincipalTypes.User,
                    };
                    draft.AddPrincipal(principalType, JsonPayload.String(k, "PrincipalName") ?? JsonPayload.String(k, "UserName"));
                    draft.AddPrincipal(PrincipalTypes.AccessKey, JsonPayload.String(k, "AccessKeyId"));
                }
                if (id is not null && id.StartsWith(AccessKeyIdPrefix, StringComparison.Ordinal))
                {
                    draft.AddPrincipal(PrincipalTypes.AccessKey, id[AccessKeyIdPrefix.Length..]);
                }
                break;
            case "AwsIamUser":
                draft.AddPrincipal(PrincipalTypes.User,
                    (details is { } u ? JsonPayload.String(u, "AwsIamUser", "UserName") : null) ?? id);
                break;
            case "AwsIamRole":
                draft.AddPrincipal(PrincipalTypes.Role,
                    (details is { } r ? JsonPayload.String(r, "AwsIamRole", "RoleName") : null) ?? id);
                break;
        }
    }

    private static void AddNetwork(AlertDraft draft, JsonElement finding)
    {
        if (JsonPayload.Object(finding, "Network") is not { } network)
        {
            return;
        }
        draft.AddIp(JsonPayload.String(network, "SourceIpV4"));
        draft.AddIp(JsonPayload.String(network, "SourceIpV6"));
        draft.AddIp(JsonPayload.String(network, "DestinationIpV4"));
        draft.AddIp(JsonPayload.String(network, "DestinationIpV6"));
        draft.AddObservable(ObservableTypes.Domain, JsonPayload.String(network, "SourceDomain"));
        draft.AddObservable(ObservableTypes.Domain, JsonPayload.String(network, "DestinationDomain"));
    }

    private static void AddAction(AlertDraft draft, JsonElement finding)
    {
        if (JsonPayload.Object(finding, "Action") is not { } action)
        {
            return;
        }
        draft.AddIp(JsonPayload.String(action, "AwsApiCallAction", "RemoteIpDetails", "IpAddressV4"));
        draft.AddObservable(ObservableTypes.Domain, JsonPayload.String(action, "AwsApiCallAction", "DomainDetails", "Domain"));
        draft.AddIp(JsonPayload.String(action, "NetworkConnectionAction", "RemoteIpDetails", "IpAddressV4"));
        draft.AddObservable(ObservableTypes.Domain, JsonPayload.String(action, "DnsRequestAction", "Domain"));
        foreach (var probe in JsonPayload.Array(action, "PortProbeAction", "PortProbeDetails"))
        {
            draft.AddIp(JsonPayload.String(probe, "RemoteIpDetails", "IpAddressV4"));
        }
    }
}
