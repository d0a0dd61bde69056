using System.Text.Json;
using Firebreak.Detection.Events;

namespace Firebreak.Detection.Readers.Mapping;

/// <summary>
/// Fields of an Entra ID record in any of its shapes: the Graph resource (camelCase at the top), the
/// diagnostic-settings export (the Graph resource under <c>properties</c>, envelope at the top),
/// Log Analytics (PascalCase columns, dynamic columns as JSON text), and the Graph resource as the Graph PowerShell
/// module saves it (<c>Get-MgAuditLogSignIn | ConvertTo-Json</c>: PascalCase at every level). Names inside a field's
/// value are looked up in any case.
/// </summary>
internal readonly struct EntraRecord(JsonElement record)
{
    private readonly JsonElement? _properties = record.Prop("properties").Obj();

    public JsonElement Record => record;

    public string? Str(string camel, string pascal) =>
        _properties.Prop(camel).Str() ?? record.Str(camel) ?? record.Str(pascal);

    public JsonElement? Value(string camel, string pascal) =>
        _properties.Prop(camel) ?? record.Prop(camel) ?? Column(record.Prop(pascal));

    /// <summary>
    /// A Log Analytics column: a dynamic one (an object, a list) holds its JSON as text, read here; any other (a time,
    /// a name) is its value as it is. Taking every column for JSON text dropped CreatedDateTime and ActivityDateTime,
    /// and a row was timed by TimeGenerated, when it was ingested.
    /// </summary>
    private static JsonElement? Column(JsonElement? value) => value.Dynamic() ?? value;

    /// <summary>
    /// The Entra tenant whose log this is. A Log Analytics row's <c>TenantId</c> is the workspace's id, not a tenant: the
    /// SigninLogs and AuditLogs tables name the tenant in <c>AADTenantId</c>, and the non-interactive, service principal
    /// and managed identity sign-in tables in none but the resource id (<c>/tenants/{id}/providers/...</c>) and the
    /// sign-in's resource and home tenants, taken in that order.
    /// </summary>
    public string? Tenant => record.Str("AADTenantId") ?? record.Str("tenantId") ?? _properties.Prop("tenantId").Str()
        ?? TenantOf(record.FirstStr("_ResourceId", "ResourceId", "resourceId"))
        ?? Str("resourceTenantId", "ResourceTenantId") ?? Str("homeTenantId", "HomeTenantId");

    private static string? TenantOf(string? resourceId)
    {
        const string prefix = "/tenants/";
        if (resourceId is null || !resourceId.StartsWith(prefix, StringComparison.OrdinalIgnoreCase))
        {
            return null;
        }

        var rest = resourceId.AsSpan(prefix.Length);
        var end = rest.IndexOf('/');
        return (end < 0 ? rest : rest[..end]) is { Length: > 0 } id ? id.ToString() : null;
    }

    /// <summary>An address as written, unless it is the text some exports write for none (<c>&lt;null&gt;</c>).</summary>
    public static string? Address(string? value) => value is null || value.Equals("<null>", StringComparison.OrdinalIgnoreCase) ? null : value;

    public static string? Category(JsonElement record) => record.FirstStr("category", "Category");

    /// <summary>
    /// What a record saved by PowerShell's <c>ConvertTo-Json</c> at its default depth (two levels) is kept with: below that,
    /// values are written as the names of their types (<c>Microsoft.Graph.PowerShell.Models.MicrosoftGraphModifiedProperty</c>),
    /// so a change's old and new values are gone from the file and rules on them cannot match. Said once per input
    /// (<see cref="CloudLogReader"/> keeps the first of each input's), not once per record.
    /// </summary>
    public static readonly string CutShortWarning =
        "saved by ConvertTo-Json with too little depth: values below the second level (such as a change's modified properties) are written as the names of their types; save the log again with -Depth 10 for rules to see them (said for the first such record of the file)";

    /// <summary>
    /// <see cref="CutShortWarning"/> for a record in the Graph PowerShell shape (PascalCase at the top, none of an export's
    /// or a table's envelope) holding a value that is the name of a Graph model or of a dictionary, other than the empty
    /// <c>AdditionalProperties</c> every model carries; else null. A text that merely mentions such a name (a user agent)
    /// is no sign.
    /// </summary>
    public static string? CutShort(JsonElement record) =>
        record.ValueKind == JsonValueKind.Object
        && (record.TryGetProperty("CreatedDateTime"u8, out _) || record.TryGetProperty("ActivityDateTime"u8, out _))
        && !record.TryGetProperty("properties"u8, out _) && !record.TryGetProperty("Type"u8, out _) && !record.TryGetProperty("category"u8, out _)
        && HoldsTypeName(record, 0)
            ? CutShortWarning
            : null;

    private static bool HoldsTypeName(JsonElement value, int depth)
    {
        switch (value.ValueKind)
        {
            case JsonValueKind.String:
                // As written, after its opening quote.
                var text = System.Runtime.InteropServices.JsonMarshal.GetRawUtf8Value(value)[1..];
                return text.StartsWith("Microsoft.Graph.PowerShell.Models."u8) || text.StartsWith("System.Collections.Generic.Dictionary`2["u8);
            case JsonValueKind.Array when depth < 16:
                foreach (var item in value.EnumerateArray())
                {
                    if (HoldsTypeName(item, depth + 1)) return true;
                }

                return false;
            case JsonValueKind.Object when depth < 16:
                foreach (var property in value.EnumerateObject())
                {
                    if (!property.NameEquals("AdditionalProperties"u8) && HoldsTypeName(property.Value, depth + 1)) return true;
                }

                return false;
            default:
                return false;
        }
    }
}

internal sealed class EntraSignInMapper : IRecordMapper
{
    private static readonly string[] Categories =
        ["SignInLogs", "NonInteractiveUserSignInLogs", "ServicePrincipalSignInLogs", "ManagedIdentitySignInLogs"];

    private static readonly string[] Tables =
        ["SigninLogs", "AADNonInteractiveUserSignInLogs", "AADServicePrincipalSignInLogs", "AADManagedIdentitySignInLogs"];

    public LogFormat Format => LogFormat.EntraSignIn;

    public bool Matches(JsonElement record) =>
        record.ValueKind == JsonValueKind.Object
        && (Categories.Contains(EntraRecord.Category(record), StringComparer.OrdinalIgnoreCase)
            || Tables.Contains(record.Str("Type"), StringComparer.OrdinalIgnoreCase)
            || (record.PropAnyCase("createdDateTime") is not null && record.PropAnyCase("appId") is not null
                && (record.PropAnyCase("userPrincipalName") is not null || record.PropAnyCase("servicePrincipalId") is not null)));

    public CloudEvent? Map(JsonElement raw, EventOrigin? origin, out string? problem)
    {
        problem = null;
        var r = new EntraRecord(raw);
        if ((r.Value("createdDateTime", "CreatedDateTime").Time() ?? raw.Prop("time").Time() ?? raw.Prop("TimeGenerated").Time()) is not { } time)
        {
            problem = "sign-in record has no valid time";
            return null;
        }

        var status = r.Value("status", "Status").Obj();
        var errorCode = status.PropAnyCase("errorCode").Str() ?? raw.FirstStr("resultType", "ResultType");
        var outcome = errorCode is null ? EventOutcome.Unknown : errorCode == "0" ? EventOutcome.Success : EventOutcome.Failure;
        // authenticationRequirement is what the sign-in needed to succeed, not what happened: a sign-in that succeeded
        // under a multi-factor requirement had MFA satisfied, one that failed says nothing of it (a wrong password under
        // that requirement was read as MFA used); under a single-factor requirement none was asked for.
        var requirement = r.Str("authenticationRequirement", "AuthenticationRequirement");
        // mfaDetail names the method asked for, which a failed sign-in may never have passed (500121: the prompt was denied).
        bool? mfa = r.Value("mfaDetail", "MfaDetail").PropAnyCase("authMethod").Str() is not null ? (outcome == EventOutcome.Failure ? null : true)
            : requirement switch
            {
                "multiFactorAuthentication" => outcome == EventOutcome.Success ? true : null,
                "singleFactorAuthentication" => false,
                _ => null,
            };

        // Graph names the kind of sign-in in signInEventTypes; exports and tables in their category or table name.
        var eventTypes = r.Value("signInEventTypes", "SignInEventTypes") is { ValueKind: JsonValueKind.Array } listed
            ? listed.EnumerateArray().Select(t => t.ValueKind == JsonValueKind.String ? t.GetString() : null).ToList()
            : [];
        var category = EntraRecord.Category(raw) ?? raw.Str("Type") ?? "";
        var type = category.Contains("ServicePrincipal", StringComparison.OrdinalIgnoreCase) || eventTypes.Contains("servicePrincipal", StringComparer.OrdinalIgnoreCase) ? "ServicePrincipal"
            : category.Contains("ManagedIdentity", StringComparison.OrdinalIgnoreCase) || eventTypes.Contains("managedIdentity", StringComparer.OrdinalIgnoreCase) ? "ManagedIdentity"
            : "User";
        var upn = r.Str("userPrincipalName", "UserPrincipalName");
        var appId = r.Str("appId", "AppId");
        var appName = r.Str("appDisplayName", "AppDisplayName");

        problem = EntraRecord.CutShort(raw);
        return new CloudEvent
        {
            Time = time,
            EventId = r.Str("id", "Id"),
            LogSource = LogSources.EntraSignIn,
            Provider = "azure",
            Account = r.Tenant,
            Actor = new EventActor
            {
                Type = type,
                // A service principal or managed identity is named by its object id, as the audit log and Azure Activity
                // name it; servicePrincipalName is only its display name.
                Uid = type == "User"
                    ? upn ?? r.Str("userId", "UserId") ?? r.Str("servicePrincipalId", "ServicePrincipalId")
                    : r.Str("servicePrincipalId", "ServicePrincipalId") ?? appId ?? r.Str("servicePrincipalName", "ServicePrincipalName"),
                Name = r.Str("userDisplayName", "UserDisplayName") ?? raw.Str("Identity") ?? r.Str("servicePrincipalName", "ServicePrincipalName"),
                AppUid = appId,
                MfaUsed = mfa,
            },
            SourceIp = EntraRecord.Address(r.Str("ipAddress", "IPAddress")) ?? EntraRecord.Address(raw.Str("callerIpAddress")),
            UserAgent = r.Str("userAgent", "UserAgent"),
            Service = r.Str("resourceDisplayName", "ResourceDisplayName") ?? appName,
            Operation = raw.FirstStr("operationName", "OperationName") ?? "Sign-in activity",
            Resources = appId is null ? [] : [new EventResource("Application", appId, appName)],
            Outcome = outcome,
            ErrorCode = outcome == EventOutcome.Failure ? errorCode : null,
            ErrorMessage = outcome == EventOutcome.Failure ? status.PropAnyCase("failureReason").Str() ?? raw.FirstStr("resultDescription", "ResultDescription") : null,
            Raw = raw,
            Origin = origin,
        };
    }
}

internal sealed class EntraAuditMapper : IRecordMapper
{
    public LogFormat Format => LogFormat.EntraAudit;

    public bool Matches(JsonElement record) =>
        record.ValueKind == JsonValueKind.Object
        && (string.Equals(record.Str("category"), "AuditLogs", StringComparison.OrdinalIgnoreCase)
            || string.Equals(record.Str("Type"), "AuditLogs", StringComparison.OrdinalIgnoreCase)
            || (record.PropAnyCase("activityDateTime") is not null && record.PropAnyCase("activityDisplayName") is not null)
            || (record.Prop("LoggedByService") is not null && record.Prop("InitiatedBy") is not null));

    public CloudEvent? Map(JsonElement raw, EventOrigin? origin, out string? problem)
    {
        problem = null;
        var r = new EntraRecord(raw);
        if ((r.Value("activityDateTime", "ActivityDateTime").Time() ?? raw.Prop("time").Time() ?? raw.Prop("TimeGenerated").Time()) is not { } time)
        {
            problem = "audit record has no valid time";
            return null;
        }

        var operation = r.Str("activityDisplayName", "OperationName") ?? raw.Str("operationName") ?? raw.Str("ActivityDisplayName");
        if (operation is null)
        {
            problem = "audit record has no activity name";
            return null;
        }

        var initiatedBy = r.Value("initiatedBy", "InitiatedBy").Obj();
        var user = initiatedBy.PropAnyCase("user").Obj();
        var app = initiatedBy.PropAnyCase("app").Obj();
        // Graph's operationResult, by name; older exports wrote its number (0 success, 1 failure, 2 timeout).
        var result = r.Str("result", "Result")?.ToLowerInvariant() switch
        {
            "0" => "success",
            "1" => "failure",
            "2" => "timeout",
            var named => named,
        };
        var outcome = result switch
        {
            "success" => EventOutcome.Success,
            "failure" or "timeout" => EventOutcome.Failure,
            _ => EventOutcome.Unknown,
        };

        var targets = r.Value("targetResources", "TargetResources");
        List<EventResource> resources = [];
        if (targets is { ValueKind: JsonValueKind.Array } list)
        {
            foreach (var target in list.EnumerateArray())
            {
                var upnOfTarget = target.PropAnyCase("userPrincipalName").Str();
                var name = target.PropAnyCase("displayName").Str();
                if ((target.PropAnyCase("id").Str() ?? upnOfTarget ?? name) is { } uid)
                {
                    resources.Add(new EventResource(target.PropAnyCase("type").Str(), uid, name ?? upnOfTarget));
                }
            }
        }

        string? userAgent = null;
        if (r.Value("additionalDetails", "AdditionalDetails") is { ValueKind: JsonValueKind.Array } details)
        {
            foreach (var detail in details.EnumerateArray())
            {
                if (string.Equals(detail.PropAnyCase("key").Str(), "User-Agent", StringComparison.OrdinalIgnoreCase))
                {
                    userAgent = detail.PropAnyCase("value").Str();
                }
            }
        }

        var upn = user.PropAnyCase("userPrincipalName").Str();
        EventActor Initiator()
        {
            if ((upn ?? user.PropAnyCase("id").Str()) is { } userId)
            {
                return new EventActor { Type = "User", Uid = userId, Name = user.PropAnyCase("displayName").Str() ?? upn };
            }

            var appId = app.PropAnyCase("servicePrincipalId").Str() ?? app.PropAnyCase("appId").Str();
            var appName = app.PropAnyCase("displayName").Str() ?? app.PropAnyCase("servicePrincipalName").Str();
            // An export whose initiatedBy is empty names the initiator only in its envelope's identity (such as MS-PIM).
            return appId is null && app.PropAnyCase("displayName").Str() is null && raw.Str("identity") is { } identity
                ? new EventActor { Uid = identity, Name = identity }
                : new EventActor { Type = app is null ? null : "ServicePrincipal", Uid = appId, Name = appName, AppUid = app.PropAnyCase("appId").Str() };
        }

        problem = EntraRecord.CutShort(raw);
        return new CloudEvent
        {
            Time = time,
            EventId = r.Str("id", "Id"),
            LogSource = LogSources.EntraAudit,
            Provider = "azure",
            Account = r.Tenant,
            Actor = Initiator(),
            SourceIp = EntraRecord.Address(user.PropAnyCase("ipAddress").Str()) ?? EntraRecord.Address(raw.Str("callerIpAddress")),
            UserAgent = userAgent ?? raw.Str("UserAgent"),
            Service = r.Str("loggedByService", "LoggedByService"),
            Operation = operation,
            Resources = resources,
            Outcome = outcome,
            ErrorCode = outcome == EventOutcome.Failure ? result : null,
            ErrorMessage = outcome == EventOutcome.Failure ? r.Str("resultReason", "ResultReason") : null,
            RequestParameters = targets.ObjectOrNull(),
            Raw = raw,
            Origin = origin,
        };
    }
}
