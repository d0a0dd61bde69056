using System.Text.Json;
using Firebreak.Detection.Events;

namespace Firebreak.Detection.Readers.Mapping;

/// <summary>Cloud Audit Logs: a LogEntry whose protoPayload is a google.cloud.audit.AuditLog.</summary>
internal sealed class GcpAuditMapper : IRecordMapper
{
    public LogFormat Format => LogFormat.GcpAudit;

    public bool Matches(JsonElement record) =>
        record.ValueKind == JsonValueKind.Object
        && record.Prop("protoPayload") is { } payload
        && (payload.Str("@type")?.EndsWith("google.cloud.audit.AuditLog", StringComparison.Ordinal) == true
            || payload.Prop("methodName") is not null);

    public CloudEvent? Map(JsonElement record, EventOrigin? origin, out string? problem)
    {
        problem = null;
        var payload = record.Prop("protoPayload").Obj();
        var operation = payload.Prop("methodName").Str();
        if (operation is null)
        {
            problem = "GCP audit entry has no protoPayload.methodName";
            return null;
        }

        if ((record.Prop("timestamp").Time() ?? record.Prop("receiveTimestamp").Time()) is not { } time)
        {
            problem = "GCP audit entry has no valid timestamp";
            return null;
        }

        var authentication = payload.Prop("authenticationInfo").Obj();
        var principal = authentication.Prop("principalEmail").Str() ?? authentication.Prop("principalSubject").Str();
        var labels = record.Prop("resource").Prop("labels").Obj();

        // serviceAccountDelegationInfo lists the hops from the original caller to the account used.
        List<string> chain = [];
        if (authentication.Prop("serviceAccountDelegationInfo") is { ValueKind: JsonValueKind.Array } delegation)
        {
            foreach (var hop in delegation.EnumerateArray())
            {
                if ((hop.Str("firstPartyPrincipal", "principalEmail") ?? hop.Str("principalSubject") ?? hop.Str("thirdPartyPrincipal", "thirdPartyClaims", "sub")) is { } who)
                {
                    chain.Add(who);
                }
            }
        }

        var status = payload.Prop("status").Obj();
        var code = status.Prop("code");
        var failed = code is { ValueKind: JsonValueKind.Number } c && c.GetInt32() != 0;
        var resourceName = payload.Prop("resourceName").Str();
        var region = labels.Prop("location").Str() ?? labels.Prop("region").Str() ?? labels.Prop("zone").Str()
            ?? (payload.Path("resourceLocation", "currentLocations") is { ValueKind: JsonValueKind.Array } locations && locations.GetArrayLength() > 0
                ? locations[0].GetString()
                : null);

        return new CloudEvent
        {
            Time = time,
            EventId = record.Str("insertId"),
            LogSource = LogSources.GcpAudit,
            Provider = "gcp",
            Account = labels.Prop("project_id").Str() ?? ProjectFromLogName(record.Str("logName")),
            Region = region,
            Actor = new EventActor
            {
                Type = principal is null ? null
                    : principal.EndsWith(".gserviceaccount.com", StringComparison.OrdinalIgnoreCase) ? "ServiceAccount" : "User",
                Uid = principal,
                Name = principal,
                AccessKeyId = authentication.Prop("serviceAccountKeyName").Str(),
                SessionIssuer = chain.Count > 0 ? chain[0] : null,
                AssumedRoleChain = chain,
            },
            SourceIp = payload.Path("requestMetadata", "callerIp").Str(),
            UserAgent = payload.Path("requestMetadata", "callerSuppliedUserAgent").Str(),
            Service = payload.Prop("serviceName").Str(),
            Operation = operation,
            Resources = resourceName is null ? [] : [new EventResource(record.Str("resource", "type"), resourceName)],
            Outcome = failed ? EventOutcome.Failure : EventOutcome.Success,
            ErrorCode = failed ? code.Str() : null,
            ErrorMessage = status.Prop("message").Str(),
            RequestParameters = payload.Prop("request").ObjectOrNull(),
            ResponseParameters = payload.Prop("response").ObjectOrNull(),
            Raw = record,
            Origin = origin,
        };
    }

    private static string? ProjectFromLogName(string? logName)
    {
        const string prefix = "projects/";
        if (logName is null || !logName.StartsWith(prefix, StringComparison.Ordinal))
        {
            return null;
        }

        var end = logName.IndexOf('/', prefix.Length);
        return end < 0 ? null : logName[prefix.Length..end];
    }
}
