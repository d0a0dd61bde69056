using System.Text.Json;
using Firebreak.Detection.Events;

namespace Firebreak.Detection.Readers.Mapping;

/// <summary>
/// Azure Activity Log in its three common shapes: the Azure Monitor export (diagnostic settings to
/// storage or Event Hubs: <c>time</c>, <c>operationName</c> as text, <c>identity.claims</c>), the
/// REST / portal event shape (<c>operationName.value</c>, <c>caller</c>, <c>eventTimestamp</c>, possibly
/// wrapped in <c>data</c>), and the Log Analytics / Sentinel AzureActivity table.
/// </summary>
internal sealed class AzureActivityMapper : IRecordMapper
{
    private const string UpnClaim = "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/upn";
    private const string NameClaim = "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/name";
    private const string ObjectIdClaim = "http://schemas.microsoft.com/identity/claims/objectidentifier";
    private const string ScopeClaim = "http://schemas.microsoft.com/identity/claims/scope";
    private const string MethodsClaim = "http://schemas.microsoft.com/claims/authnmethodsreferences";

    public LogFormat Format => LogFormat.AzureActivity;

    public bool Matches(JsonElement record) =>
        record.ValueKind == JsonValueKind.Object
        && (IsRestShape(record)
            || (record.Prop("data").Obj() is { } data && IsRestShape(data))
            || IsMonitorExport(record)
            || IsLogAnalytics(record));

    private static bool IsRestShape(JsonElement record) =>
        record.Prop("operationName") is { ValueKind: JsonValueKind.Object }
        && (record.Prop("eventDataId") is not null || record.Prop("caller") is not null || record.Prop("eventTimestamp") is not null);

    // Entra ID and resource logs share the export envelope (time, resourceId, operationName), so the
    // category is what marks an Activity Log record: the Activity Log's categories, and the operation types
    // Write, Delete and Action that exports made through a log profile carry instead.
    private static readonly string[] ActivityCategories =
        ["Administrative", "Security", "ServiceHealth", "Alert", "Recommendation", "Policy", "Autoscale", "ResourceHealth", "Write", "Delete", "Action"];

    private static bool IsMonitorExport(JsonElement record) =>
        record.Prop("operationName") is { ValueKind: JsonValueKind.String }
        && record.Prop("resourceId") is not null
        && record.Prop("time") is not null
        && ActivityCategories.Contains(record.Str("category"), StringComparer.OrdinalIgnoreCase);

    private static bool IsLogAnalytics(JsonElement record) =>
        record.Prop("OperationNameValue") is not null || record.Str("Type") == "AzureActivity";

    public CloudEvent? Map(JsonElement record, EventOrigin? origin, out string? problem)
    {
        problem = null;
        // An event wrapped in data (as Event Grid and some exports deliver it) is the inner object: rules name its
        // fields (operationName.value, caller), which the envelope does not have, so every field rule missed it.
        if (!IsRestShape(record) && record.Prop("data").Obj() is { } inner && IsRestShape(inner))
        {
            record = inner;
        }

        var shape = IsRestShape(record) ? Rest(record)
            : IsLogAnalytics(record) ? LogAnalytics(record)
            : IsMonitorExport(record) ? MonitorExport(record)
            : null;

        if (shape is null || shape.Operation is null)
        {
            problem = "Azure Activity record has no operation name";
            return null;
        }

        if (shape.Time is null)
        {
            problem = "Azure Activity record has no event time; kept with an unknown time";
        }

        var outcome = shape.Status?.ToLowerInvariant() switch
        {
            "succeeded" or "success" => EventOutcome.Success,
            "failed" or "failure" => EventOutcome.Failure,
            _ => EventOutcome.Unknown,
        };

        var claims = shape.Claims;
        var upn = claims.Prop(UpnClaim).Str() ?? claims.Prop("upn").Str() ?? claims.Prop("unique_name").Str();
        var appId = claims.Prop("appid").Str() ?? claims.Prop("azp").Str();
        // A token with a scope was issued to an app acting for a user (a delegated token); an app acting as itself gets
        // roles, never a scope. A guest's token has no upn, and its appid is the app the guest used (the portal, the CLI),
        // not who acted: the user is then named by the name claim or, failing that, the object id.
        var delegated = upn is not null || claims.Prop(ScopeClaim).Str() is not null || claims.Prop("scp").Str() is not null;
        // An app acting as itself is named by its service principal's object id, as the REST and Log Analytics shapes' caller
        // names it (and Entra's logs do), so one principal is one actor whichever shape its records come in; its app id only
        // when the token has no object id.
        var objectId = claims.Prop(ObjectIdClaim).Str() ?? claims.Prop("oid").Str();
        var caller = shape.Caller ?? upn ?? (delegated ? claims.Prop(NameClaim).Str() ?? objectId : objectId ?? appId);
        // The token's authentication methods: mfa (or Windows Hello's ngcmfa) among them says MFA was done; their absence
        // proves nothing (a security key may be named otherwise), so it leaves MFA unknown.
        var methods = claims.Prop(MethodsClaim).Str() ?? claims.Prop("amr").Str();
        bool? mfa = methods is not null && methods.Contains("mfa", StringComparison.OrdinalIgnoreCase) ? true : null;

        return new CloudEvent
        {
            Time = shape.Time ?? default,
            EventId = shape.EventId,
            LogSource = LogSources.AzureActivity,
            Provider = "azure",
            Account = Lower(shape.Subscription ?? SubscriptionOf(shape.ResourceId)),
            Actor = new EventActor
            {
                Type = caller is null ? null : caller.Contains('@', StringComparison.Ordinal) || delegated ? "User" : appId is not null ? "ServicePrincipal" : null,
                Uid = caller ?? objectId,
                // A managed identity's token names its resource (xms_mirid): its last segment is the identity's name.
                Name = claims.Prop(NameClaim).Str() ?? claims.Prop("name").Str() ?? LastSegment(claims.Prop("xms_mirid").Str()) ?? caller,
                SessionIssuer = claims.Prop("iss").Str(),
                AppUid = appId,
                MfaUsed = mfa,
            },
            SourceIp = shape.SourceIp ?? claims.Prop("ipaddr").Str(),
            Service = shape.Service ?? ServiceOf(shape.Operation),
            Operation = shape.Operation,
            Resources = shape.ResourceId is null ? [] : [new EventResource(ResourceTypeOf(shape.ResourceId), shape.ResourceId)],
            Outcome = outcome,
            ErrorCode = outcome == EventOutcome.Failure ? shape.SubStatus ?? shape.Status : null,
            ErrorMessage = outcome == EventOutcome.Failure ? shape.Properties.Prop("statusMessage").Str() : null,
            RequestParameters = shape.Properties.ObjectOrNull(),
            Raw = record,
            Origin = origin,
        };
    }

    private sealed record Shape(
        DateTimeOffset? Time,
        string? EventId,
        string? Operation,
        string? Service,
        string? Status,
        string? SubStatus,
        string? Caller,
        string? SourceIp,
        string? ResourceId,
        string? Subscription,
        JsonElement? Claims,
        JsonElement? Properties);

    private static Shape Rest(JsonElement e) => new(
        e.Prop("eventTimestamp").Time() ?? e.Prop("submissionTimestamp").Time(),
        e.Str("eventDataId") ?? e.Str("id"),
        e.Str("operationName", "value"),
        e.Str("resourceProviderName", "value"),
        e.Str("status", "value"),
        e.Str("subStatus", "value"),
        e.Str("caller"),
        e.Str("httpRequest", "clientIpAddress"),
        e.Str("resourceId"),
        e.Str("subscriptionId"),
        e.Prop("claims").Obj(),
        e.Prop("properties").Obj());

    private static Shape MonitorExport(JsonElement e)
    {
        var claims = e.Path("identity", "claims").Obj();
        var operation = e.Str("operationName");

        // The export has no per-record id; these fields together identify one record for dedup.
        var id = string.Join('|', e.Str("correlationId"), operation, e.Str("resultType"), e.Str("time"));
        return new Shape(
            e.Prop("time").Time(),
            id,
            operation,
            null,
            e.Str("resultType"),
            e.Str("resultSignature"),
            e.Str("caller"),
            e.Str("callerIpAddress"),
            e.Str("resourceId"),
            null,
            claims,
            e.Prop("properties").Obj());
    }

    private static Shape LogAnalytics(JsonElement e) => new(
        e.Prop("TimeGenerated").Time() ?? e.Prop("EventSubmissionTimestamp").Time(),
        e.Str("EventDataId") ?? e.Str("CorrelationId"),
        e.Str("OperationNameValue") ?? e.Str("OperationName"),
        e.Str("ResourceProviderValue") ?? e.Str("ResourceProvider"),
        e.Str("ActivityStatusValue") ?? e.Str("ActivityStatus"),
        e.Str("ActivitySubstatusValue") ?? e.Str("ActivitySubstatus"),
        e.Str("Caller"),
        e.Str("CallerIpAddress"),
        e.Str("_ResourceId") ?? e.Str("ResourceId"),
        e.Str("SubscriptionId"),
        // The query API's answer keeps dynamic columns as JSON text, Claims_d and Properties_d among them.
        e.Prop("Claims_d").Dynamic().Obj() ?? e.Prop("Claims").Dynamic().Obj(),
        e.Prop("Properties_d").Dynamic().Obj() ?? e.Prop("Properties").Dynamic().Obj());

    /// <summary>
    /// A subscription id in lower case: resource ids keep whatever case the caller wrote (<c>/subscriptions/AAAA0000-...</c>),
    /// the REST and Log Analytics shapes write it in lower case, and one subscription must be one account.
    /// </summary>
    private static string? Lower(string? subscription) =>
        subscription is not null && Guid.TryParse(subscription, out _) ? subscription.ToLowerInvariant() : subscription;

    private static string? LastSegment(string? resourceId) =>
        resourceId?.TrimEnd('/') is { Length: > 0 } id && id[(id.LastIndexOf('/') + 1)..] is { Length: > 0 } last ? last : null;

    internal static string? SubscriptionOf(string? resourceId)
    {
        const string marker = "/subscriptions/";
        if (resourceId is null || !resourceId.StartsWith(marker, StringComparison.OrdinalIgnoreCase))
        {
            return null;
        }

        var end = resourceId.IndexOf('/', marker.Length);
        return end < 0 ? resourceId[marker.Length..] : resourceId[marker.Length..end];
    }

    private static string? ServiceOf(string operation)
    {
        var slash = operation.IndexOf('/', StringComparison.Ordinal);
        return slash > 0 ? operation[..slash] : null;
    }

    private static string? ResourceTypeOf(string resourceId)
    {
        var providers = resourceId.LastIndexOf("/providers/", StringComparison.OrdinalIgnoreCase);
        if (providers < 0)
        {
            return null;
        }

        var parts = resourceId[(providers + "/providers/".Length)..].Split('/');
        return parts.Length >= 2 ? $"{parts[0]}/{parts[1]}" : parts[0];
    }
}
