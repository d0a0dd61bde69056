using System.Runtime.InteropServices;
using System.Text;
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
        && (record.TryGetProperty("eventName"u8, out _)
            && record.TryGetProperty("eventSource"u8, out _)
            && (record.TryGetProperty("eventTime"u8, out _) || record.TryGetProperty("eventVersion"u8, out _))
            || IsInsight(record));

    /// <summary>
    /// A CloudTrail Insights event (<c>eventType</c> <c>AwsCloudTrailInsight</c>): CloudTrail's own finding of an unusual
    /// rate of calls to, or errors from, one API. A trail delivers it in its <c>CloudTrail-Insight</c> folder, naming the
    /// API in <c>insightDetails</c>; an Insights event data store keeps the same facts at the top level
    /// (<c>insightState</c>, <c>insightEventSource</c>, <c>insightEventName</c>, <c>insightType</c>, <c>insightContext</c>).
    /// Neither has a caller.
    /// </summary>
    private static bool IsInsight(JsonElement record) =>
        record.TryGetProperty("eventType"u8, out var type) && type.ValueKind == JsonValueKind.String && type.ValueEquals("AwsCloudTrailInsight"u8)
        && (record.TryGetProperty("insightDetails"u8, out _) || record.TryGetProperty("insightEventName"u8, out _) || record.TryGetProperty("insightType"u8, out _));

    public CloudEvent? Map(JsonElement record, EventOrigin? origin, out string? problem)
    {
        problem = null;
        var f = new Fields(record);
        var operation = f.EventName.Str();
        if (operation is null && IsInsight(record))
        {
            return MapInsight(record, f, origin, out problem);
        }

        if (operation is null)
        {
            problem = "CloudTrail record has no eventName";
            return null;
        }

        if (f.EventTime.Time() is not { } time)
        {
            problem = "CloudTrail record has no valid eventTime";
            return null;
        }

        // CloudTrail Lake result rows carry nested columns as JSON text.
        var identity = f.UserIdentity.Dynamic().Obj();
        var errorCode = f.ErrorCode.Str();
        var request = f.RequestParameters.Dynamic();
        var response = f.ResponseElements.Dynamic();
        // Sign-in events carry their result under their own name: responseElements {"ConsoleLogin": "Failure"},
        // {"CheckMfa": "Failure"}, or serviceEventDetails {"CredentialVerification": "Failure"}.
        var details = f.ServiceEventDetails.Dynamic();
        var outcome = errorCode is not null || IsFailure(response.Prop(operation).Str()) || IsFailure(details.Prop(operation).Str())
            ? EventOutcome.Failure
            : EventOutcome.Success;

        var account = f.RecipientAccountId.Str() ?? identity.Prop("accountId"u8).Str();
        return new CloudEvent
        {
            Time = time,
            EventId = f.EventId.Str(),
            LogSource = LogSources.CloudTrail,
            Provider = "aws",
            Account = account,
            Region = f.AwsRegion.Str(),
            Actor = MapActor(f.AdditionalEventData.Dynamic(), identity),
            SourceIp = f.SourceIp.Str(),
            UserAgent = f.UserAgent.Str(),
            Service = f.EventSource.Str(),
            Operation = operation,
            Resources = MapResources(f, operation, request, response, account),
            Outcome = outcome,
            ErrorCode = errorCode ?? (outcome == EventOutcome.Failure ? "Failure" : null),
            ErrorMessage = f.ErrorMessage.Str() ?? (outcome == EventOutcome.Failure ? details.Prop("FailureReason"u8).Str() : null),
            RequestParameters = request.ObjectOrNull(),
            ResponseParameters = response.ObjectOrNull(),
            Raw = record,
            Origin = origin,
        };
    }

    /// <summary>
    /// An Insights event, told apart from the call it is about: its operation reads "ApiCallRateInsight Start: CreateAccessKey"
    /// (type, start or end, the API), so neither a timeline nor a rule on the normalised operation takes it for a call of
    /// that API; its service is the API's; its actor is CloudTrail, which raised it; its details (the rates, the
    /// callers and user agents CloudTrail attributes them to: <c>insightDetails</c>, or an event data store's
    /// <c>insightContext</c>) are its response parameters. Rules reach every field by its native path
    /// (<c>insightDetails.insightType</c>, <c>insightEventName</c>...), as for any CloudTrail record.
    /// </summary>
    private static CloudEvent? MapInsight(JsonElement record, in Fields f, EventOrigin? origin, out string? problem)
    {
        problem = null;
        if (f.EventTime.Time() is not { } time)
        {
            problem = "CloudTrail Insights event has no valid eventTime";
            return null;
        }

        JsonElement? details, context;
        string? api, type, state, source;
        if (record.TryGetProperty("insightDetails"u8, out var nested))
        {
            // CloudTrail Lake rows carry it as JSON text.
            details = ((JsonElement?)nested).Dynamic().Obj();
            if (details is null)
            {
                problem = "CloudTrail Insights event has no insightDetails object";
                return null;
            }

            (api, type, state, source, context) = (details.Prop("eventName"u8).Str(), details.Prop("insightType"u8).Str(),
                details.Prop("state"u8).Str(), details.Prop("eventSource"u8).Str(), details);
        }
        else
        {
            // An event data store's record: the same facts at the top level, the statistics and attributions in insightContext.
            JsonElement? top = record;
            (api, type, state, source, context) = (top.Prop("insightEventName"u8).Str(), top.Prop("insightType"u8).Str(),
                top.Prop("insightState"u8).Str(), top.Prop("insightEventSource"u8).Str(), top.Prop("insightContext"u8).Dynamic().Obj());
        }

        api ??= "?";
        type ??= "Insight";
        return new CloudEvent
        {
            Time = time,
            EventId = f.EventId.Str(),
            LogSource = LogSources.CloudTrail,
            Provider = "aws",
            Account = f.RecipientAccountId.Str(),
            Region = f.AwsRegion.Str(),
            Actor = new EventActor { Type = "AWSService", Uid = "cloudtrail.amazonaws.com", Name = "cloudtrail.amazonaws.com" },
            Service = source,
            Operation = state is null ? $"{type}: {api}" : $"{type} {state}: {api}",
            ResponseParameters = context,
            Raw = record,
            Origin = origin,
        };
    }

    private static bool IsFailure(string? result) => string.Equals(result, "Failure", StringComparison.OrdinalIgnoreCase);

    /// <summary>Whether the ARN is an assumed role's or a federated user's session, the last hop of a role chain.</summary>
    internal static bool IsSession(string? arn, string? type) => arn is not null && type is "AssumedRole" or "FederatedUser";

    /// <summary>An assumed role's session name, or a federated user's name: the end of its ARN.</summary>
    internal static string? SessionName(string? arn, string? type) => IsSession(arn, type) ? arn![(arn!.LastIndexOf('/') + 1)..] : null;

    private static EventActor MapActor(JsonElement? additionalEventData, JsonElement? identity)
    {
        // A request made for an IAM Identity Center user (IdentityCenterUser, or a role session under trusted
        // identity propagation) names that user only in onBehalfOf.
        var onBehalfOf = identity.Prop("onBehalfOf"u8).Prop("userId"u8).Str();
        // Service-initiated events (AwsServiceEvent) often carry only invokedBy, without a type.
        var type = identity.Prop("type"u8).Str() ?? (identity.Prop("invokedBy"u8).Str() is not null ? "AWSService" : null);
        var arn = identity.Prop("arn"u8).Str();
        var session = identity.Prop("sessionContext"u8);
        var issuer = session.Prop("sessionIssuer"u8).Obj();
        var issuerArn = issuer.Prop("arn"u8).Str();

        // Role chaining leaves only the last hop in a record; sourceIdentity, when set, names the
        // person at the start of the chain, so it goes first.
        List<string> chain = [];
        if ((session.Prop("sourceIdentity"u8).Str() ?? identity.Prop("sourceIdentity"u8).Str() ?? onBehalfOf) is { } source)
        {
            chain.Add(source);
        }

        if (issuerArn is not null)
        {
            chain.Add(issuerArn);
        }

        if (IsSession(arn, type) && arn != issuerArn)
        {
            chain.Add(arn!);
        }

        var mfa = session.Prop("attributes"u8).Prop("mfaAuthenticated"u8).Bool();
        if (additionalEventData.Prop("MFAUsed"u8).Str() is { } consoleMfa)
        {
            mfa = consoleMfa.Equals("Yes", StringComparison.OrdinalIgnoreCase);
        }

        // An assumed role's session name and a federated user's name end the ARN; for a federated user the session
        // issuer is the IAM user that called GetFederationToken, not the caller.
        // A sign-in under a name that matches no user is masked (HIDDEN_DUE_TO_SECURITY_REASONS): no user's name, so it
        // names no one, and attempts at many unknown names are not grouped under one. IAM Identity Center's sign-in events
        // name the user only in additionalEventData.UserName.
        var name = Named(identity.Prop("userName"u8).Str()) ?? SessionName(arn, type) ?? Named(additionalEventData.Prop("UserName"u8).Str());

        return new EventActor
        {
            Type = type,
            Uid = arn ?? identity.Prop("principalId"u8).Str() ?? onBehalfOf ?? identity.Prop("invokedBy"u8).Str(),
            Arn = arn,
            Name = name ?? issuer.Prop("userName"u8).Str() ?? identity.Prop("invokedBy"u8).Str(),
            AccessKeyId = identity.Prop("accessKeyId"u8).Str(),
            SessionIssuer = issuerArn,
            AssumedRoleChain = chain,
            MfaUsed = mfa,
        };
    }

    private const string MaskedName = "HIDDEN_DUE_TO_SECURITY_REASONS";

    private static string? Named(string? name) => name is null or MaskedName ? null : name;

    private static List<EventResource> MapResources(in Fields f, string operation, JsonElement? request, JsonElement? response, string? account)
    {
        List<EventResource> resources = [];
        // CloudTrail Lake rows carry the list as JSON text, as their other nested columns.
        if (f.Resources.Dynamic() is { ValueKind: JsonValueKind.Array } listed)
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

        CloudTrailResources.FromCall(resources, f.EventSource.Str(), operation, request.Obj(), response, f.AwsRegion.Str(), account);
        return resources;
    }

    /// <summary>
    /// The top-level fields, found in one pass over the record's properties: looking each up by name
    /// would scan the property list once per field, and this runs for every record of a hunt. Names are
    /// compared as written, unless written with escapes.
    /// </summary>
    private readonly struct Fields
    {
        public readonly JsonElement? EventTime, EventName, EventSource, EventId, AwsRegion, RecipientAccountId, UserIdentity,
            SourceIp, UserAgent, ErrorCode, ErrorMessage, RequestParameters, ResponseElements, Resources, AdditionalEventData, ServiceEventDetails;

        public Fields(JsonElement record)
        {
            foreach (var property in record.EnumerateObject())
            {
                var value = property.Value;
                if (value.ValueKind == JsonValueKind.Null)
                {
                    continue;
                }

                var name = JsonMarshal.GetRawUtf8PropertyName(property);
                if (name.IndexOf((byte)'\\') >= 0)
                {
                    // A name written with escapes (\u0065ventName) is the same name: compare its unescaped bytes.
                    name = Encoding.UTF8.GetBytes(property.Name);
                }

                switch (name.Length)
                {
                    case 7 when name.SequenceEqual("eventID"u8):
                        EventId = value;
                        break;
                    case 9 when name.SequenceEqual("eventTime"u8):
                        EventTime = value;
                        break;
                    case 9 when name.SequenceEqual("eventName"u8):
                        EventName = value;
                        break;
                    case 9 when name.SequenceEqual("awsRegion"u8):
                        AwsRegion = value;
                        break;
                    case 9 when name.SequenceEqual("userAgent"u8):
                        UserAgent = value;
                        break;
                    case 9 when name.SequenceEqual("errorCode"u8):
                        ErrorCode = value;
                        break;
                    case 9 when name.SequenceEqual("resources"u8):
                        Resources = value;
                        break;
                    case 11 when name.SequenceEqual("eventSource"u8):
                        EventSource = value;
                        break;
                    case 12 when name.SequenceEqual("userIdentity"u8):
                        UserIdentity = value;
                        break;
                    case 12 when name.SequenceEqual("errorMessage"u8):
                        ErrorMessage = value;
                        break;
                    case 15 when name.SequenceEqual("sourceIPAddress"u8):
                        SourceIp = value;
                        break;
                    case 16 when name.SequenceEqual("responseElements"u8):
                        ResponseElements = value;
                        break;
                    case 17 when name.SequenceEqual("requestParameters"u8):
                        RequestParameters = value;
                        break;
                    case 18 when name.SequenceEqual("recipientAccountId"u8):
                        RecipientAccountId = value;
                        break;
                    case 19 when name.SequenceEqual("additionalEventData"u8):
                        AdditionalEventData = value;
                        break;
                    case 19 when name.SequenceEqual("serviceEventDetails"u8):
                        ServiceEventDetails = value;
                        break;
                }
            }
        }
    }
}
