using System.Text.Json;
using System.Text.Json.Nodes;

namespace Firebreak.Detection.Simulation;

internal enum SimCloud
{
    Aws,
    Azure,
    Gcp,
}

/// <summary>A generated record, written in its provider's native shape.</summary>
internal abstract class SimEvent
{
    public required DateTimeOffset Time { get; init; }

    public required string EventId { get; init; }

    public abstract SimCloud Cloud { get; }

    /// <summary>Where the provider files the record: the CloudTrail region; unused for the others.</summary>
    public virtual string Partition => "";

    public abstract void Write(Utf8JsonWriter writer);
}

/// <summary>A CloudTrail userIdentity.</summary>
internal sealed record AwsIdentity(
    string Type,
    string? PrincipalId,
    string? Arn,
    string? AccountId,
    string? AccessKeyId = null,
    string? UserName = null,
    string? IssuerArn = null,
    string? IssuerPrincipalId = null,
    string? IssuerName = null,
    bool? Mfa = null,
    DateTimeOffset? SessionCreated = null,
    string? InvokedBy = null)
{
    public static AwsIdentity User(AwsUser user, string account, string? accessKey = null, bool? mfa = null, DateTimeOffset? session = null) =>
        new("IAMUser", user.PrincipalId, user.Arn, account, accessKey ?? user.AccessKeyId, user.Name, Mfa: mfa, SessionCreated: session);

    public static AwsIdentity Role(string account, string role, string roleId, string session, string accessKey, DateTimeOffset created) =>
        new("AssumedRole", $"{roleId}:{session}", $"arn:aws:sts::{account}:assumed-role/{role}/{session}", account, accessKey,
            IssuerArn: $"arn:aws:iam::{account}:role/{role}", IssuerPrincipalId: roleId, IssuerName: role, Mfa: false, SessionCreated: created);

    public static AwsIdentity Service(string service) => new("AWSService", null, null, null, InvokedBy: service);

    public static AwsIdentity Anonymous() => new("AWSAccount", "", null, "anonymous");

    public void Write(Utf8JsonWriter writer)
    {
        writer.WriteStartObject("userIdentity");
        writer.WriteString("type", Type);
        WriteIf(writer, "principalId", PrincipalId);
        WriteIf(writer, "arn", Arn);
        WriteIf(writer, "accountId", AccountId);
        WriteIf(writer, "accessKeyId", AccessKeyId);
        WriteIf(writer, "userName", UserName);
        if (SessionCreated is { } created)
        {
            writer.WriteStartObject("sessionContext");
            writer.WriteStartObject("sessionIssuer");
            if (IssuerArn is not null)
            {
                writer.WriteString("type", "Role");
                writer.WriteString("principalId", IssuerPrincipalId);
                writer.WriteString("arn", IssuerArn);
                writer.WriteString("accountId", AccountId);
                writer.WriteString("userName", IssuerName);
            }

            writer.WriteEndObject();
            writer.WriteStartObject("webIdFederationData");
            writer.WriteEndObject();
            writer.WriteStartObject("attributes");
            writer.WriteString("creationDate", World.Iso(created));
            writer.WriteString("mfaAuthenticated", Mfa == true ? "true" : "false");
            writer.WriteEndObject();
            if (IssuerArn is not null && PrincipalId?.Contains(":i-", StringComparison.Ordinal) == true)
            {
                writer.WriteString("ec2RoleDelivery", "2.0");
            }

            writer.WriteEndObject();
        }

        WriteIf(writer, "invokedBy", InvokedBy);
        writer.WriteEndObject();
    }

    private static void WriteIf(Utf8JsonWriter writer, string name, string? value)
    {
        if (value is not null)
        {
            writer.WriteString(name, value);
        }
    }
}

internal sealed class TrailEvent : SimEvent
{
    public override SimCloud Cloud => SimCloud.Aws;

    public override string Partition => Region;

    public required AwsIdentity Identity { get; init; }

    public required string Source { get; init; }

    public required string Name { get; init; }

    public required string Region { get; init; }

    public required string SourceIp { get; init; }

    public required string UserAgent { get; init; }

    public required string Account { get; init; }

    public required string RequestId { get; init; }

    public JsonObject? Request { get; init; }

    public JsonObject? Response { get; init; }

    public JsonObject? AdditionalData { get; init; }

    public string? ErrorCode { get; init; }

    public string? ErrorMessage { get; init; }

    public bool ReadOnly { get; init; }

    public string EventType { get; init; } = "AwsApiCall";

    public bool Data { get; init; }

    public IReadOnlyList<(string Type, string Arn)> Resources { get; init; } = [];

    public override void Write(Utf8JsonWriter writer)
    {
        writer.WriteStartObject();
        writer.WriteString("eventVersion", Data ? "1.10" : "1.11");
        Identity.Write(writer);
        writer.WriteString("eventTime", World.Iso(Time));
        writer.WriteString("eventSource", Source);
        writer.WriteString("eventName", Name);
        writer.WriteString("awsRegion", Region);
        writer.WriteString("sourceIPAddress", SourceIp);
        writer.WriteString("userAgent", UserAgent);
        if (ErrorCode is not null)
        {
            writer.WriteString("errorCode", ErrorCode);
            writer.WriteString("errorMessage", ErrorMessage);
        }

        WriteNode(writer, "requestParameters", Request);
        WriteNode(writer, "responseElements", Response);
        if (AdditionalData is not null)
        {
            WriteNode(writer, "additionalEventData", AdditionalData);
        }

        if (EventType != "AwsConsoleSignIn")
        {
            writer.WriteString("requestID", RequestId);
        }

        writer.WriteString("eventID", EventId);
        writer.WriteBoolean("readOnly", ReadOnly);
        if (Resources.Count > 0)
        {
            writer.WriteStartArray("resources");
            foreach (var (type, arn) in Resources)
            {
                writer.WriteStartObject();
                writer.WriteString("accountId", Account);
                writer.WriteString("type", type);
                writer.WriteString("ARN", arn);
                writer.WriteEndObject();
            }

            writer.WriteEndArray();
        }

        writer.WriteString("eventType", EventType);
        writer.WriteBoolean("managementEvent", !Data);
        writer.WriteString("recipientAccountId", Account);
        writer.WriteString("eventCategory", Data ? "Data" : "Management");
        if (EventType == "AwsApiCall" && Identity.Type != "AWSService")
        {
            writer.WriteStartObject("tlsDetails");
            writer.WriteString("tlsVersion", "TLSv1.3");
            writer.WriteString("cipherSuite", "TLS_AES_128_GCM_SHA256");
            writer.WriteString("clientProvidedHostHeader", HostFor(Source, Region));
            writer.WriteEndObject();
        }

        writer.WriteEndObject();
    }

    private static string HostFor(string source, string region)
    {
        var service = source[..source.IndexOf('.', StringComparison.Ordinal)];
        return service is "iam" or "sts" or "signin" ? $"{service}.amazonaws.com" : $"{service}.{region}.amazonaws.com";
    }

    private static void WriteNode(Utf8JsonWriter writer, string name, JsonObject? node)
    {
        writer.WritePropertyName(name);
        if (node is null)
        {
            writer.WriteNullValue();
        }
        else
        {
            node.WriteTo(writer);
        }
    }
}

/// <summary>An Azure Activity Log record as diagnostic settings export it.</summary>
internal sealed class AzureActivityEvent : SimEvent
{
    public override SimCloud Cloud => SimCloud.Azure;

    public required string Subscription { get; init; }

    public required string Tenant { get; init; }

    public required string ResourceId { get; init; }

    public required string Operation { get; init; }

    public required string Caller { get; init; }

    public required string CallerName { get; init; }

    public required string CallerObjectId { get; init; }

    public required string CallerIp { get; init; }

    public required string Role { get; init; }

    public required int DurationMs { get; init; }

    public override void Write(Utf8JsonWriter writer)
    {
        var resourceId = ResourceId.ToUpperInvariant();
        writer.WriteStartObject();
        writer.WriteString("time", Time.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fffffff'Z'", System.Globalization.CultureInfo.InvariantCulture));
        writer.WriteString("resourceId", resourceId);
        writer.WriteString("operationName", Operation.ToUpperInvariant());
        writer.WriteString("category", "Administrative");
        writer.WriteString("resultType", "Success");
        writer.WriteString("resultSignature", "Succeeded.OK");
        writer.WriteString("durationMs", DurationMs.ToString(System.Globalization.CultureInfo.InvariantCulture));
        writer.WriteString("callerIpAddress", CallerIp);
        writer.WriteString("correlationId", EventId);
        writer.WriteStartObject("identity");
        writer.WriteStartObject("authorization");
        writer.WriteString("scope", ResourceId);
        writer.WriteString("action", Operation);
        writer.WriteStartObject("evidence");
        writer.WriteString("role", Role);
        writer.WriteString("roleAssignmentScope", $"/subscriptions/{Subscription}");
        writer.WriteString("principalId", CallerObjectId.Replace("-", "", StringComparison.Ordinal));
        writer.WriteString("principalType", "User");
        writer.WriteEndObject();
        writer.WriteEndObject();
        writer.WriteStartObject("claims");
        writer.WriteString("aud", "https://management.core.windows.net/");
        writer.WriteString("iss", $"https://sts.windows.net/{Tenant}/");
        writer.WriteString("http://schemas.xmlsoap.org/ws/2005/05/identity/claims/upn", Caller);
        writer.WriteString("name", CallerName);
        writer.WriteString("http://schemas.microsoft.com/identity/claims/objectidentifier", CallerObjectId);
        writer.WriteString("ipaddr", CallerIp);
        writer.WriteString("appid", "c44b4083-3bb0-49c1-b47d-974e53cbdf3c");
        writer.WriteString("http://schemas.microsoft.com/claims/authnmethodsreferences", "pwd,mfa");
        writer.WriteEndObject();
        writer.WriteEndObject();
        writer.WriteString("level", "Information");
        writer.WriteString("location", "global");
        writer.WriteStartObject("properties");
        writer.WriteString("statusCode", "OK");
        writer.WriteString("eventCategory", "Administrative");
        writer.WriteString("entity", ResourceId);
        writer.WriteString("message", Operation);
        writer.WriteString("hierarchy", $"{Tenant}/{Subscription}");
        writer.WriteEndObject();
        writer.WriteEndObject();
    }
}

/// <summary>A Cloud Audit Logs LogEntry (Admin Activity) as a log sink exports it.</summary>
internal sealed class GcpAuditEvent : SimEvent
{
    public override SimCloud Cloud => SimCloud.Gcp;

    public required string Project { get; init; }

    public required string Principal { get; init; }

    public required string CallerIp { get; init; }

    public required string UserAgent { get; init; }

    public required string Service { get; init; }

    public required string Method { get; init; }

    public required string ResourceName { get; init; }

    public required string ResourceType { get; init; }

    public required string Permission { get; init; }

    public string? Zone { get; init; }

    public override void Write(Utf8JsonWriter writer)
    {
        writer.WriteStartObject();
        writer.WriteStartObject("protoPayload");
        writer.WriteString("@type", "type.googleapis.com/google.cloud.audit.AuditLog");
        writer.WriteStartObject("status");
        writer.WriteEndObject();
        writer.WriteStartObject("authenticationInfo");
        writer.WriteString("principalEmail", Principal);
        writer.WriteEndObject();
        writer.WriteStartObject("requestMetadata");
        writer.WriteString("callerIp", CallerIp);
        writer.WriteString("callerSuppliedUserAgent", UserAgent);
        writer.WriteEndObject();
        writer.WriteString("serviceName", Service);
        writer.WriteString("methodName", Method);
        writer.WriteStartArray("authorizationInfo");
        writer.WriteStartObject();
        writer.WriteString("resource", ResourceName);
        writer.WriteString("permission", Permission);
        writer.WriteBoolean("granted", true);
        writer.WriteEndObject();
        writer.WriteEndArray();
        writer.WriteString("resourceName", ResourceName);
        writer.WriteEndObject();
        writer.WriteString("insertId", EventId);
        writer.WriteStartObject("resource");
        writer.WriteString("type", ResourceType);
        writer.WriteStartObject("labels");
        writer.WriteString("project_id", Project);
        if (Zone is not null)
        {
            writer.WriteString("zone", Zone);
        }

        writer.WriteEndObject();
        writer.WriteEndObject();
        writer.WriteString("timestamp", Time.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.ffffff'Z'", System.Globalization.CultureInfo.InvariantCulture));
        writer.WriteString("severity", "NOTICE");
        writer.WriteString("logName", $"projects/{Project}/logs/cloudaudit.googleapis.com%2Factivity");
        writer.WriteString("receiveTimestamp", Time.AddMilliseconds(850).UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.ffffff'Z'", System.Globalization.CultureInfo.InvariantCulture));
        writer.WriteEndObject();
    }
}
