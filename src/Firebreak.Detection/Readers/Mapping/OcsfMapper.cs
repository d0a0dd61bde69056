using System.Text.Json;
using Firebreak.Detection.Events;

namespace Firebreak.Detection.Readers.Mapping;

/// <summary>
/// Amazon Security Lake records in OCSF: CloudTrail management events arrive as API Activity
/// (class 6003), sign-ins as Authentication (3002) and IAM changes as Account Change (3001). Both the
/// OCSF 1.1 spellings and those of 1.0.0-rc.2 (Security Lake's first source version: <c>user.uuid</c> for the
/// ARN, <c>user.account_uid</c>, <c>session.mfa</c>) are read.
/// </summary>
internal sealed class OcsfMapper : IRecordMapper
{
    public LogFormat Format => LogFormat.SecurityLakeOcsf;

    public bool Matches(JsonElement record) =>
        record.ValueKind == JsonValueKind.Object
        && record.TryGetProperty("class_uid", out var classUid)
        && classUid.ValueKind == JsonValueKind.Number;

    public CloudEvent? Map(JsonElement record, EventOrigin? origin, out string? problem)
    {
        problem = null;
        var api = record.Prop("api").Obj();
        var operation = api.Prop("operation").Str() ?? record.Str("activity_name") ?? record.Str("class_name");
        if (operation is null)
        {
            problem = "OCSF record has neither api.operation nor activity_name";
            return null;
        }

        if ((record.Prop("time").Time() ?? record.Prop("time_dt").Time()) is not { } time)
        {
            problem = "OCSF record has no valid time";
            return null;
        }

        var actor = record.Prop("actor").Obj();
        // Authentication names the subject that signed in as the top-level user; actor is only its context.
        var user = actor.Prop("user").Obj() ?? record.Prop("user").Obj();
        var session = actor.Prop("session").Obj();
        var cloud = record.Prop("cloud").Obj();
        var issuer = session.Prop("issuer").Str();
        var statusId = record.Prop("status_id");
        var status = record.Str("status");
        var outcome = statusId?.ValueKind == JsonValueKind.Number
            ? statusId.Value.GetInt32() switch { 1 => EventOutcome.Success, 2 => EventOutcome.Failure, _ => EventOutcome.Unknown }
            : status?.ToLowerInvariant() switch { "success" => EventOutcome.Success, "failure" => EventOutcome.Failure, _ => EventOutcome.Unknown };

        List<EventResource> resources = [];
        if (record.Prop("resources") is { ValueKind: JsonValueKind.Array } listed)
        {
            foreach (var resource in listed.EnumerateArray())
            {
                if ((resource.Str("uid") ?? resource.Str("name")) is { } resourceUid)
                {
                    resources.Add(new EventResource(resource.Str("type"), resourceUid, resource.Str("name")));
                }
            }
        }

        // The ARN is actor.user.uid in OCSF 1.1 (uid_alt the principal id) and user.uuid in 1.0.0-rc.2 (uid the principal
        // id); the actor is named by it, as a CloudTrail record's is, whichever version wrote the record.
        var arn = Arn(user.Prop("uid").Str()) ?? Arn(user.Prop("uuid").Str()) ?? Arn(user.Prop("uid_alt").Str());
        // A call an AWS service made is named by the service (actor.invoked_by, CloudTrail's userIdentity.invokedBy), as the
        // CloudTrail record of the same call is.
        var invokedBy = actor.Prop("invoked_by").Str();
        var type = user.Prop("type").Str() ?? (invokedBy is not null ? "AWSService" : null);
        var name = user.Prop("name").Str() ?? CloudTrailMapper.SessionName(arn, type) ?? invokedBy;
        List<string> chain = issuer is null ? [] : [issuer];
        if (CloudTrailMapper.IsSession(arn, type) && arn != issuer)
        {
            chain.Add(arn!);
        }

        var provider = cloud.Prop("provider").Str()?.ToLowerInvariant() ?? "aws";
        return new CloudEvent
        {
            Time = time,
            EventId = record.Str("metadata", "uid"),
            LogSource = LogSourceOf(provider, record.Str("metadata", "product", "name")),
            Provider = provider,
            Account = cloud.Prop("account").Prop("uid").Str() ?? user.Prop("account").Prop("uid").Str() ?? user.Prop("account_uid").Str(),
            Region = cloud.Prop("region").Str(),
            Actor = new EventActor
            {
                Type = type,
                Uid = arn ?? user.Prop("uid").Str() ?? user.Prop("uid_alt").Str() ?? name,
                Arn = arn,
                Name = name,
                AccessKeyId = user.Prop("credential_uid").Str(),
                SessionIssuer = issuer,
                AssumedRoleChain = chain,
                MfaUsed = session.Prop("is_mfa").Bool() ?? session.Prop("mfa").Bool() ?? record.Prop("is_mfa").Bool(),
            },
            // A service's own calls come from its name, not an address (CloudTrail's sourceIPAddress ec2.amazonaws.com),
            // which OCSF keeps as src_endpoint.domain.
            SourceIp = record.Str("src_endpoint", "ip") ?? record.Str("src_endpoint", "domain"),
            UserAgent = record.Str("http_request", "user_agent"),
            Service = api.Prop("service").Prop("name").Str(),
            Operation = operation,
            Resources = resources,
            Outcome = outcome,
            ErrorCode = api.Prop("response").Prop("error").Str() ?? (outcome == EventOutcome.Failure ? status : null),
            ErrorMessage = api.Prop("response").Prop("message").Str() ?? record.Str("status_detail"),
            RequestParameters = api.Prop("request").Prop("data").Dynamic().ObjectOrNull(),
            ResponseParameters = api.Prop("response").Prop("data").Dynamic().ObjectOrNull(),
            Raw = record,
            Origin = origin,
        };
    }

    private static string? Arn(string? value) => value is not null && value.StartsWith("arn:", StringComparison.Ordinal) ? value : null;

    /// <summary>
    /// Security Lake's AWS records are CloudTrail's events (API Activity, Authentication, Account Change) unless their
    /// product, however spelled ("CloudTrail", "AWS CloudTrail"), says otherwise: Security Hub's findings, VPC flow logs and Route 53 queries are OCSF records of AWS too,
    /// and are not for the CloudTrail rules.
    /// </summary>
    private static LogSource LogSourceOf(string provider, string? product) =>
        provider == "aws" && (product is null || product.Contains("CloudTrail", StringComparison.OrdinalIgnoreCase))
            ? LogSources.CloudTrail
            : new LogSource(provider, product?.ToLowerInvariant() ?? "ocsf");
}
