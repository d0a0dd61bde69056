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
        var subject = authentication.Prop("principalEmail").Str() ?? Principal(authentication.Prop("principalSubject").Str());
        // A Security Token Service exchange names the identity provider's bare subject (an Azure object id, say); the IAM
        // principal it became, which names the pool and is what later hops are called, is metadata.mapped_principal.
        var principal = payload.Path("metadata", "mapped_principal").Str() ?? subject;
        var labels = record.Prop("resource").Prop("labels").Obj();
        var logName = record.Str("logName");
        var service = payload.Prop("serviceName").Str();

        // serviceAccountDelegationInfo lists the hops from the original caller to the account used.
        List<string> chain = [];
        if (authentication.Prop("serviceAccountDelegationInfo") is { ValueKind: JsonValueKind.Array } delegation)
        {
            foreach (var hop in delegation.EnumerateArray())
            {
                if ((hop.Str("firstPartyPrincipal", "principalEmail") ?? Principal(hop.Str("principalSubject")) ?? hop.Str("thirdPartyPrincipal", "thirdPartyClaims", "sub")) is { } who)
                {
                    chain.Add(who);
                }
            }
        }

        var status = payload.Prop("status").Obj();
        var code = status.Prop("code");
        // Google Workspace sign-ins shared into Cloud Audit Logs carry no status: a failed or blocked one says so in its
        // method (google.login.LoginService.loginFailure), and password spraying must not read as sign-ins that worked.
        var failed = (code is { ValueKind: JsonValueKind.Number } c && c.GetInt32() != 0)
            || (service == "login.googleapis.com" && operation[(operation.LastIndexOf('.') + 1)..] is var login
                && (login.Equals("loginFailure", StringComparison.OrdinalIgnoreCase) || login.EndsWith("Blocked", StringComparison.OrdinalIgnoreCase)
                    || login.StartsWith("suspiciousLogin", StringComparison.OrdinalIgnoreCase)));
        var resourceName = payload.Prop("resourceName").Str();
        var resourceType = record.Str("resource", "type");
        List<EventResource> resources = resourceName is null ? [] : [new EventResource(resourceType, resourceName)];
        // A service account's entries (keys, tokens, impersonation) name it in resourceName by its number only; the label
        // holds its email, which is what a responder searches for.
        if (resourceType == "service_account" && labels.Prop("email_id").Str() is { } email)
        {
            resources.Add(new EventResource(resourceType, $"projects/{labels.Prop("project_id").Str() ?? "-"}/serviceAccounts/{email}", email));
        }

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
            // An organization's, folder's or billing account's own log names no project: the account is that parent,
            // written with its kind (organizations/123), as the log name writes it.
            Account = labels.Prop("project_id").Str() ?? ProjectFromLogName(logName) ?? ParentOf(labels, logName),
            Region = region,
            Actor = new EventActor
            {
                Type = TypeOf(principal, logName),
                Uid = principal,
                Name = subject,
                AccessKeyId = authentication.Prop("serviceAccountKeyName").Str(),
                SessionIssuer = chain.Count > 0 ? chain[0] : null,
                AssumedRoleChain = chain,
            },
            SourceIp = payload.Path("requestMetadata", "callerIp").Str(),
            UserAgent = payload.Path("requestMetadata", "callerSuppliedUserAgent").Str(),
            Service = service,
            Operation = operation,
            Resources = resources,
            Outcome = failed ? EventOutcome.Failure : EventOutcome.Success,
            ErrorCode = failed ? code.Str() : null,
            // A success may carry a message (a preemption's "Instance was preempted."): no error.
            ErrorMessage = failed ? status.Prop("message").Str() : null,
            RequestParameters = payload.Prop("request").ObjectOrNull(),
            ResponseParameters = payload.Prop("response").ObjectOrNull(),
            Raw = record,
            Origin = origin,
        };
    }

    /// <summary>
    /// A principalSubject as the principal's e-mail when it names a user or service account (<c>user:alice@example.com</c>,
    /// <c>serviceAccount:sa@p.iam.gserviceaccount.com</c>), so one principal is one actor whether a record gives its
    /// principalEmail or only its subject; other subjects (<c>principal://</c> federated identities) as they are.
    /// </summary>
    private static string? Principal(string? subject) => subject switch
    {
        null => null,
        _ when subject.StartsWith("user:", StringComparison.Ordinal) && subject.Length > 5 => subject[5..],
        _ when subject.StartsWith("serviceAccount:", StringComparison.Ordinal) && subject.Length > 15 => subject[15..],
        _ => subject,
    };

    /// <summary>
    /// What kind of principal called. Google itself (<c>system@google.com</c>, a system event), Kubernetes' own callers in GKE
    /// audit logs (<c>system:anonymous</c>, <c>system:serviceaccount:ns:name</c>, other <c>system:</c> components) and
    /// federated identities (<c>principal://</c> names of workload and workforce pools) are no users.
    /// </summary>
    private static string? TypeOf(string? principal, string? logName) => principal switch
    {
        null => null,
        _ when principal.EndsWith(".gserviceaccount.com", StringComparison.OrdinalIgnoreCase) => "ServiceAccount",
        "system@google.com" => "GoogleService",
        "system:anonymous" => "Anonymous",
        _ when principal.StartsWith("system:serviceaccount:", StringComparison.Ordinal) => "ServiceAccount",
        _ when principal.StartsWith("system:", StringComparison.Ordinal) => "GoogleService",
        _ when principal.StartsWith("principal://", StringComparison.Ordinal) || principal.StartsWith("principalSet://", StringComparison.Ordinal) =>
            principal.Contains("/workforcePools/", StringComparison.Ordinal) ? "FederatedUser" : "WorkloadIdentity",
        _ when logName?.EndsWith("%2Fsystem_event", StringComparison.Ordinal) == true => "GoogleService",
        _ => "User",
    };

    /// <summary>The organization, folder or billing account whose own log this is (<c>organizations/123</c>), or null.</summary>
    private static string? ParentOf(JsonElement? labels, string? logName)
    {
        foreach (var (label, kind) in new[] { ("organization_id", "organizations"), ("folder_id", "folders"), ("billing_account_id", "billingAccounts") })
        {
            if (labels.Prop(label).Str() is { Length: > 0 } id)
            {
                return $"{kind}/{id}";
            }
        }

        foreach (var kind in new[] { "organizations/", "folders/", "billingAccounts/" })
        {
            if (logName is not null && logName.StartsWith(kind, StringComparison.Ordinal) && logName.IndexOf('/', kind.Length) is var end and > 0)
            {
                return logName[..end];
            }
        }

        return null;
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
