using System.Text.Json;
using Firebreak.Detection.Events;

namespace Firebreak.Detection.Readers.Mapping;

/// <summary>
/// CloudTrail records, from S3 delivery files and from CloudTrail Lake (whose results keep the
/// CloudTrail field names but write eventTime as <c>yyyy-MM-dd HH:mm:ss.fff</c>).
/// </summary>
internal sealed class CloudTrailMapper(LogFormat format) : IRecordMapper
{
    public LogFormat Format => format;

    public bool Matches(JsonElement record) =>
        record.ValueKind == JsonValueKind.Object
        && record.TryGetProperty("eventName", out _)
        && record.TryGetProperty("eventSource", out _)
        && (record.TryGetProperty("eventTime", out _) || record.TryGetProperty("eventVersion", out _));

    public CloudEvent? Map(JsonElement record, out string? problem)
    {
        problem = null;
        var operation = record.Str("eventName");
        if (operation is null)
        {
            problem = "CloudTrail record has no eventName";
            return null;
        }

        if (record.Prop("eventTime").Time() is not { } time)
        {
            problem = "CloudTrail record has no valid eventTime";
            return null;
        }

        // CloudTrail Lake result rows carry nested columns as JSON text.
        var identity = record.Prop("userIdentity").Dynamic().Obj();
        var errorCode = record.Str("errorCode");
        var response = record.Prop("responseElements").Dynamic();
        var outcome = errorCode is not null || response.Str("ConsoleLogin") == "Failure"
            ? EventOutcome.Failure
            : EventOutcome.Success;

        return new CloudEvent
        {
            Time = time,
            EventId = record.Str("eventID"),
            LogSource = LogSources.CloudTrail,
            Provider = "aws",
            Account = record.Str("recipientAccountId") ?? identity.Prop("accountId").Str(),
            Region = record.Str("awsRegion"),
            Actor = MapActor(record, identity),
            SourceIp = record.Str("sourceIPAddress"),
            UserAgent = record.Str("userAgent"),
            Service = record.Str("eventSource"),
            Operation = operation,
            Resources = MapResources(record),
            Outcome = outcome,
            ErrorCode = errorCode ?? (outcome == EventOutcome.Failure ? "Failure" : null),
            ErrorMessage = record.Str("errorMessage"),
            RequestParameters = record.Prop("requestParameters").Dynamic().ObjectOrNull(),
            ResponseParameters = response.ObjectOrNull(),
            Raw = record,
        };
    }

    private static EventActor MapActor(JsonElement record, JsonElement? identity)
    {
        // Service-initiated events (AwsServiceEvent) often carry only invokedBy, without a type.
        var type = identity.Prop("type").Str() ?? (identity.Prop("invokedBy").Str() is not null ? "AWSService" : null);
        var arn = identity.Prop("arn").Str();
        var session = identity.Prop("sessionContext");
        var issuer = session.Prop("sessionIssuer").Obj();
        var issuerArn = issuer.Prop("arn").Str();

        // Role chaining leaves only the last hop in a record; sourceIdentity, when set, names the
        // person at the start of the chain, so it goes first.
        List<string> chain = [];
        if ((session.Prop("sourceIdentity").Str() ?? identity.Prop("sourceIdentity").Str()) is { } source)
        {
            chain.Add(source);
        }

        if (issuerArn is not null)
        {
            chain.Add(issuerArn);
        }

        if (arn is not null && type is "AssumedRole" or "FederatedUser" && arn != issuerArn)
        {
            chain.Add(arn);
        }

        var mfa = session.Prop("attributes").Prop("mfaAuthenticated").Bool();
        if (record.Path("additionalEventData", "MFAUsed").Str() is { } consoleMfa)
        {
            mfa = consoleMfa.Equals("Yes", StringComparison.OrdinalIgnoreCase);
        }

        var name = identity.Prop("userName").Str();
        if (name is null && arn is not null && type is "AssumedRole")
        {
            name = arn[(arn.LastIndexOf('/') + 1)..];
        }

        return new EventActor
        {
            Type = type,
            Uid = arn ?? identity.Prop("principalId").Str() ?? identity.Prop("invokedBy").Str(),
            Arn = arn,
            Name = name ?? issuer.Prop("userName").Str() ?? identity.Prop("invokedBy").Str(),
            AccessKeyId = identity.Prop("accessKeyId").Str(),
            SessionIssuer = issuerArn,
            AssumedRoleChain = chain,
            MfaUsed = mfa,
        };
    }

    private static List<EventResource> MapResources(JsonElement record)
    {
        List<EventResource> resources = [];
        if (record.Prop("resources") is { ValueKind: JsonValueKind.Array } listed)
        {
            foreach (var resource in listed.EnumerateArray())
            {
                if (resource.FirstStr("ARN", "arn") is { } arn)
                {
                    resources.Add(new EventResource(resource.Str("type"), arn));
                }
            }
        }

        if (resources.Count > 0)
        {
            return resources;
        }

        // Many management events list no resources; the request names the target instead.
        var request = record.Prop("requestParameters").Dynamic().Obj();
        if (request.Prop("bucketName").Str() is { } bucket)
        {
            resources.Add(new EventResource("AWS::S3::Bucket", $"arn:aws:s3:::{bucket}", bucket));
        }

        AddNamed(resources, request, "userName", "AWS::IAM::User");
        AddNamed(resources, request, "roleName", "AWS::IAM::Role");
        AddNamed(resources, request, "policyArn", "AWS::IAM::Policy");
        if (record.Str("eventSource") == "cloudtrail.amazonaws.com")
        {
            AddNamed(resources, request, "name", "AWS::CloudTrail::Trail");
        }

        return resources;
    }

    private static void AddNamed(List<EventResource> resources, JsonElement? request, string field, string type)
    {
        if (request.Prop(field).Str() is { } value)
        {
            resources.Add(new EventResource(type, value, value));
        }
    }
}
