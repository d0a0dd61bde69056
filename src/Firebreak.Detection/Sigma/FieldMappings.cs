using Firebreak.Detection.Events;

namespace Firebreak.Detection.Sigma;

/// <summary>
/// How rule field names reach values for one log source. Native names (as in SigmaHQ's cloud rules) are
/// dotted paths into <see cref="CloudEvent.Raw"/>; several export shapes of the same log keep a field
/// in different places, so a name maps to alternative paths. The index field is the operation name the
/// engine uses to pick candidate rules.
/// </summary>
public sealed record LogSourceFieldMapping(
    string Product,
    string Service,
    IReadOnlyDictionary<string, IReadOnlyList<string>> Fields,
    IReadOnlyList<string> IndexFieldNames,
    IReadOnlyList<string> IndexPaths,
    IReadOnlyList<string> FallbackPrefixes)
{
    /// <summary>
    /// Fields another shape of the log keeps under another path, with everything below them: a rule's path naming the
    /// first, or going on below it, reaches the same place under the second too (CloudTrail's requestParameters,
    /// Security Lake's api.request.data).
    /// </summary>
    public IReadOnlyList<(string From, string To)> MovedPrefixes { get; init; } = [];
}

public sealed class FieldMappings
{
    private static readonly Dictionary<string, Func<CloudEvent, string?>> Normalised = new(StringComparer.OrdinalIgnoreCase)
    {
        ["operation"] = e => e.Operation,
        ["account"] = e => e.Account,
        ["region"] = e => e.Region,
        ["source_ip"] = e => e.SourceIp,
        ["user_agent"] = e => e.UserAgent,
        ["outcome"] = e => e.Outcome switch { EventOutcome.Success => "success", EventOutcome.Failure => "failure", _ => null },
        ["error_code"] = e => e.ErrorCode,
        ["error_message"] = e => e.ErrorMessage,
        ["event_id"] = e => e.EventId,
        ["actor.uid"] = e => e.Actor.Uid,
        ["actor.type"] = e => e.Actor.Type,
        ["actor.arn"] = e => e.Actor.Arn,
        ["actor.name"] = e => e.Actor.Name,
        ["actor.access_key_id"] = e => e.Actor.AccessKeyId,
        ["actor.session_issuer"] = e => e.Actor.SessionIssuer,
        ["actor.mfa_used"] = e => e.Actor.MfaUsed switch { true => "true", false => "false", null => null },
        ["service"] = e => e.Service,
    };

    // OCSF's top-level user is the actor only where the record has no actor.user: in an Authentication record it is the
    // subject that signed in, in an Account Change the user acted upon.
    private const string NoActor = JsonPath.UnlessMarker + "actor.user";

    /// <summary>
    /// Values the reader derives from a record, which a mapping names as <c>@name</c>: the normalised names, and a few that
    /// only translate a shape's value into another's words.
    /// </summary>
    private static readonly Dictionary<string, Func<CloudEvent, string?>> Derived = new(StringComparer.OrdinalIgnoreCase)
    {
        // OCSF Authentication's is_mfa, as CloudTrail's additionalEventData.MFAUsed writes it.
        ["ocsf_mfa_used"] = e => e.Raw.ValueKind == System.Text.Json.JsonValueKind.Object && e.Raw.TryGetProperty("is_mfa"u8, out var mfa)
            ? mfa.ValueKind switch { System.Text.Json.JsonValueKind.True => "Yes", System.Text.Json.JsonValueKind.False => "No", _ => null }
            : null,
    };

    /// <summary>Where a CloudTrail record keeps its operation, and where Security Lake's OCSF does.</summary>
    internal static readonly string[] CloudTrailOperation = ["eventName", "api.operation"];
    private static readonly string[] ActivityOperation = ["operationName.value", "operationName", "OperationNameValue", "properties.operationName"];
    // Older Entra audit exports carried the activity name as properties.message; SigmaHQ's audit rules still use it.
    private static readonly string[] AuditActivity = ["activityDisplayName", "properties.activityDisplayName", "operationName", "OperationName", "properties.message"];
    // Graph gives the sign-in result as a number (status.errorCode), exports as a string (resultType).
    private static readonly string[] SignInResult = ["resultType", "status.errorCode", "properties.status.errorCode"];
    private static readonly string[] AuditResult = ["result", "properties.result", "Result", "@outcome"];
    private static readonly string[] RiskType = ["riskEventType", "properties.riskEventType"];
    private static readonly string[] GcpMethod = ["protoPayload.methodName", "data.protoPayload.methodName"];

    private readonly IReadOnlyList<LogSourceFieldMapping> mappings;

    public FieldMappings(IReadOnlyList<LogSourceFieldMapping> mappings) => this.mappings = mappings;

    public IReadOnlyList<LogSourceFieldMapping> Mappings => mappings;

    /// <summary>The normalised names any rule may use regardless of log source.</summary>
    public static IReadOnlyCollection<string> NormalisedNames => Normalised.Keys;

    public static FieldMappings Default { get; } = new(
    [
        // CloudTrail records, and the same events as Security Lake writes them in OCSF (API Activity, Authentication,
        // Account Change), whose paths follow each CloudTrail name: OCSF 1.1 keeps the ARN in actor.user.uid and the
        // principal id in uid_alt; 1.0.0-rc.2 (Security Lake's first source version) the ARN in uuid and the
        // principal id in uid.
        new LogSourceFieldMapping("aws", "cloudtrail",
            Map(
                ("eventName", CloudTrailOperation),
                ("eventSource", ["eventSource", "api.service.name"]),
                ("awsRegion", ["awsRegion", "cloud.region"]),
                ("recipientAccountId", ["recipientAccountId", "cloud.account.uid"]),
                ("sourceIPAddress", ["sourceIPAddress", "src_endpoint.ip", "src_endpoint.domain"]),
                ("userAgent", ["userAgent", "http_request.user_agent"]),
                ("errorCode", ["errorCode", "api.response.error"]),
                ("errorMessage", ["errorMessage", "api.response.message"]),
                ("eventID", ["eventID", "metadata.uid"]),
                ("eventType", ["eventType", "metadata.event_code", "unmapped.eventType"]),
                ("eventCategory", ["eventCategory", "metadata.product.feature.name", "unmapped.eventCategory"]),
                ("eventVersion", ["eventVersion", "metadata.product.version"]),
                ("apiVersion", ["apiVersion", "api.version"]),
                ("requestID", ["requestID", "api.request.uid"]),
                ("vpcEndpointId", ["vpcEndpointId", "src_endpoint.uid"]),
                ("userIdentity.type", ["userIdentity.type", "actor.user.type", "user.type" + NoActor]),
                ("userIdentity.arn", ["userIdentity.arn", "actor.user.uid", "actor.user.uuid", "user.uid" + NoActor, "user.uuid" + NoActor]),
                ("userIdentity.principalId", ["userIdentity.principalId", "actor.user.uid_alt", "actor.user.uid", "user.uid_alt" + NoActor, "user.uid" + NoActor]),
                ("userIdentity.accountId", ["userIdentity.accountId", "actor.user.account.uid", "actor.user.account_uid"]),
                ("userIdentity.accessKeyId", ["userIdentity.accessKeyId", "actor.user.credential_uid"]),
                ("userIdentity.userName", ["userIdentity.userName", "actor.user.name", "user.name" + NoActor]),
                ("userIdentity.invokedBy", ["userIdentity.invokedBy", "actor.invoked_by"]),
                ("userIdentity.sessionContext.sessionIssuer.arn", ["userIdentity.sessionContext.sessionIssuer.arn", "actor.session.issuer"]),
                ("userIdentity.sessionContext.attributes.mfaAuthenticated", ["userIdentity.sessionContext.attributes.mfaAuthenticated", "actor.session.is_mfa", "actor.session.mfa"]),
                // A console sign-in's MFAUsed (Yes, No) is OCSF Authentication's is_mfa, a boolean, which @ocsf_mfa_used words so.
                ("additionalEventData.MFAUsed", ["additionalEventData.MFAUsed", "unmapped.additionalEventData.MFAUsed", "unmapped.[additionalEventData.MFAUsed]", "@ocsf_mfa_used"])),
            // Security Lake keeps the CloudTrail fields its mapping does not name (readOnly, additionalEventData, and eventType
            // in some source versions) in OCSF's unmapped object, under their CloudTrail names; the request and response
            // objects whole under api.request.data and api.response.data, and each resource's ARN and account under
            // resources[].uid and resources[].owner.account.uid.
            IndexFieldNames: ["eventName"], IndexPaths: CloudTrailOperation, FallbackPrefixes: ["unmapped."])
        {
            MovedPrefixes =
            [
                ("requestParameters", "api.request.data"), ("responseElements", "api.response.data"),
                ("resources.ARN", "resources.uid"), ("resources.accountId", "resources.owner.account.uid"),
            ],
        },

        // Activity log as exported by diagnostic settings (operationName a string), by the REST API and
        // `az monitor activity-log list` (operationName.value), and as the Log Analytics AzureActivity table.
        new LogSourceFieldMapping("azure", "activitylogs",
            Map(
                ("operationName", ActivityOperation),
                ("OperationNameValue", ActivityOperation),
                // Exports made through a log profile give the operation type (Write, Delete, Action) as the category, and the
                // category itself as properties.eventCategory.
                ("Category", ["category.value", "category", "CategoryValue", "properties.eventCategory"]),
                ("CategoryValue", ["category.value", "category", "CategoryValue", "properties.eventCategory"]),
                ("Status", ["status.value", "status", "ActivityStatusValue", "resultType"]),
                ("ActivityStatusValue", ["status.value", "status", "ActivityStatusValue", "resultType"]),
                // An export names no provider: the reader takes it from the operation's first part (@service).
                ("ResourceProviderValue", ["resourceProviderName.value", "resourceProviderName", "ResourceProviderValue", "properties.resourceProviderValue", "@service"]),
                ("ResourceId", ["resourceId", "ResourceId"]),
                // The REST shape's caller is the UPN claim (or the service principal's); an export keeps the claims by URI.
                ("Caller", ["caller", "Caller", "identity.claims.[http://schemas.xmlsoap.org/ws/2005/05/identity/claims/upn]", "identity.claims.name", "properties.caller"]),
                ("CallerIpAddress", ["callerIpAddress", "httpRequest.clientIpAddress", "CallerIpAddress"])),
            IndexFieldNames: ["operationName", "OperationNameValue"], IndexPaths: ActivityOperation, FallbackPrefixes: ["properties."]),

        // Entra sign-ins: Graph signIn resources are camelCase at the top level, diagnostic exports nest
        // the same object under properties, and the SigninLogs table uses PascalCase columns.
        new LogSourceFieldMapping("azure", "signinlogs",
            Map(
                ("ResultType", SignInResult),
                ("ResultDescription", ["resultDescription", "status.failureReason", "properties.status.failureReason"]),
                // The SigninLogs column and Graph's status are the result object (JSON text in the table), which rules search
                // (Status|contains: 'MFA denied'); an export nests it under properties. Rules also test it for the word
                // (Status: Success), which only some rows write (resultSignature): the reader's outcome gives it for all.
                ("Status", ["Status", "status", "properties.status", "resultSignature", "properties.resultSignature", "@outcome"]),
                ("ClientApp", ["clientAppUsed", "properties.clientAppUsed"]),
                ("Username", ["userPrincipalName", "properties.userPrincipalName"]),
                ("userAgent", ["userAgent", "properties.userAgent"]),
                ("IPAddress", ["ipAddress", "callerIpAddress", "properties.ipAddress"])),
            IndexFieldNames: ["ResultType"], IndexPaths: SignInResult, FallbackPrefixes: ["properties."]),

        // Entra directory audits: Graph directoryAudit (activityDisplayName), diagnostic export
        // (operationName plus properties.*) and the AuditLogs table (OperationName).
        new LogSourceFieldMapping("azure", "auditlogs",
            Map(
                ("ActivityDisplayName", AuditActivity),
                ("OperationName", AuditActivity),
                ("properties.message", AuditActivity),
                ("Category", ["properties.category", "category", "Category"]),
                // The result is a word (success, failure) or, in older exports, its number (0, 1, 2), which the reader's
                // outcome turns into the word.
                ("Status", AuditResult),
                ("Result", AuditResult),
                ("properties.result", AuditResult),
                ("Initiatedby", ["initiatedBy", "properties.initiatedBy", "InitiatedBy"])),
            IndexFieldNames: ["ActivityDisplayName", "OperationName", "properties.message"], IndexPaths: AuditActivity, FallbackPrefixes: ["properties."]),

        // Identity Protection risk detections and PIM alerts: Graph resources at the top level, diagnostic exports under properties.
        // Indexed by the risk or alert type, which every SigmaHQ rule for these logs names.
        new LogSourceFieldMapping("azure", "riskdetection", Map(("riskEventType", RiskType)), IndexFieldNames: ["riskEventType"], IndexPaths: RiskType, FallbackPrefixes: ["properties."]),
        new LogSourceFieldMapping("azure", "pim", Map(("riskEventType", RiskType)), IndexFieldNames: ["riskEventType"], IndexPaths: RiskType, FallbackPrefixes: ["properties."]),

        new LogSourceFieldMapping("gcp", "gcp.audit",
            Map(
                ("gcp.audit.method_name", GcpMethod),
                ("protoPayload.methodName", GcpMethod),
                ("data.protoPayload.methodName", GcpMethod),
                ("methodName", GcpMethod),
                ("gcp.audit.service_name", ["protoPayload.serviceName", "data.protoPayload.serviceName"]),
                ("gcp.audit.resource_name", ["protoPayload.resourceName", "data.protoPayload.resourceName"]),
                ("gcp.audit.principal_email", ["protoPayload.authenticationInfo.principalEmail", "data.protoPayload.authenticationInfo.principalEmail"])),
            IndexFieldNames: ["gcp.audit.method_name", "protoPayload.methodName", "data.protoPayload.methodName", "methodName"], IndexPaths: GcpMethod,
            FallbackPrefixes: []),
    ]);

    private static Dictionary<string, IReadOnlyList<string>> Map(params (string Name, string[] Paths)[] entries) =>
        entries.ToDictionary(e => e.Name, e => (IReadOnlyList<string>)e.Paths, StringComparer.OrdinalIgnoreCase);

    internal IEnumerable<LogSourceFieldMapping> For(SigmaLogSource logSource) =>
        mappings.Where(m => Same(logSource.Product, m.Product) && Same(logSource.Service, m.Service));

    internal LogSourceFieldMapping? Exact(string product, string service) =>
        mappings.FirstOrDefault(m => m.Product.Equals(product, StringComparison.OrdinalIgnoreCase) && m.Service.Equals(service, StringComparison.OrdinalIgnoreCase));

    private static bool Same(string? ruleValue, string mappingValue) =>
        ruleValue is null || ruleValue.Equals(mappingValue, StringComparison.OrdinalIgnoreCase);

    /// <summary>Explicit mappings win, then normalised names, then the name as a dotted path (plus the log's fallback prefixes).</summary>
    internal FieldAccessor Resolve(SigmaLogSource logSource, string field)
    {
        var candidates = For(logSource).ToList();
        var explicitPaths = candidates.SelectMany(m => m.Fields.TryGetValue(field, out var p) ? p : []).ToList();
        if (explicitPaths.Count > 0)
        {
            // "@name" stands for a value the reader derived (a normalised name), tried after the record's own paths.
            var derived = explicitPaths.Where(p => p.StartsWith('@'))
                .Select(p => new NormalisedAccessor(p[1..], Derived.TryGetValue(p[1..], out var own) ? own : Normalised[p[1..]])).ToArray();
            var raw = new RawPathAccessor(explicitPaths.Where(p => !p.StartsWith('@')));
            return derived.Length == 0 ? raw : new DerivedFallbackAccessor(raw, derived);
        }

        if (Normalised.TryGetValue(field, out var getter))
        {
            return new NormalisedAccessor(field, getter);
        }

        var paths = new List<string> { field };
        if (field.StartsWith("data.", StringComparison.Ordinal))
        {
            paths.Add(field["data.".Length..]);
        }

        paths.AddRange(candidates.SelectMany(m => m.MovedPrefixes).Where(moved => Moves(field, moved.From)).Select(moved => moved.To + field[moved.From.Length..]));
        paths.AddRange(candidates.SelectMany(m => m.FallbackPrefixes).Where(prefix => !field.StartsWith(prefix, StringComparison.OrdinalIgnoreCase)).Select(prefix => prefix + field));
        // The object may also keep the dotted name as one key: Security Lake flattens what its mapping does not name into
        // unmapped ("userIdentity.sessionContext.sessionIssuer.type": "Role").
        paths.AddRange(candidates.SelectMany(m => m.FallbackPrefixes).Where(prefix => field.Contains('.', StringComparison.Ordinal) && !field.StartsWith(prefix, StringComparison.OrdinalIgnoreCase) && !field.Contains(']', StringComparison.Ordinal)).Select(prefix => prefix + "[" + field + "]"));
        // And the other way: a rule written for an export's envelope (properties.status.errorCode) reaches the same field
        // where the Graph resource and the Log Analytics row keep it, at the top (status.errorCode, Status as JSON text).
        paths.AddRange(candidates.SelectMany(m => m.FallbackPrefixes).Where(prefix => field.Length > prefix.Length && field.StartsWith(prefix, StringComparison.OrdinalIgnoreCase)).Select(prefix => field[prefix.Length..]));
        return new RawPathAccessor(paths);
    }

    // A moved name covers that field and what is below it, in any case, as the record's names are looked up.
    private static bool Moves(string field, string from) =>
        field.StartsWith(from, StringComparison.OrdinalIgnoreCase) && (field.Length == from.Length || field[from.Length] == '.');

    /// <summary>The operation-name index for rules of this log source, or null when it has none or is ambiguous.</summary>
    internal LogSourceFieldMapping? IndexFor(SigmaLogSource logSource)
    {
        if (logSource.Product is null || logSource.Service is null)
        {
            return null;
        }

        var mapping = Exact(logSource.Product, logSource.Service);
        return mapping is { IndexPaths.Count: > 0 } ? mapping : null;
    }
}
