using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Firebreak.Core.Tests.Scope;

/// <summary>Hand-written CloudTrail and GCP audit records of an intrusion, as the providers write them.</summary>
internal static class ScopeEvents
{
    public const string Account = "111122223333";
    public static readonly DateTimeOffset Start = new(2026, 3, 2, 8, 0, 0, TimeSpan.Zero);
    public const string AttackerIp = "198.51.100.66";
    public const string AttackerAgent = "python-requests/2.31.0";

    public static JsonObject User(string name, string key) => new()
    {
        ["type"] = "IAMUser",
        ["principalId"] = "AIDA" + name.ToUpperInvariant(),
        ["arn"] = $"arn:aws:iam::{Account}:user/{name}",
        ["accountId"] = Account,
        ["accessKeyId"] = key,
        ["userName"] = name,
    };

    public static JsonObject Session(string role, string session, string key) => new()
    {
        ["type"] = "AssumedRole",
        ["principalId"] = "AROA" + role.ToUpperInvariant() + ":" + session,
        ["arn"] = $"arn:aws:sts::{Account}:assumed-role/{role}/{session}",
        ["accountId"] = Account,
        ["accessKeyId"] = key,
        ["sessionContext"] = new JsonObject
        {
            ["sessionIssuer"] = new JsonObject
            {
                ["type"] = "Role",
                ["principalId"] = "AROA" + role.ToUpperInvariant(),
                ["arn"] = $"arn:aws:iam::{Account}:role/{role}",
                ["accountId"] = Account,
                ["userName"] = role,
            },
            ["attributes"] = new JsonObject { ["creationDate"] = "2026-03-02T08:00:00Z", ["mfaAuthenticated"] = "false" },
        },
    };

    public static string Trail(int minute, string id, JsonObject identity, string source, string name, JsonObject? request = null, JsonObject? response = null,
        string[]? resources = null, string? error = null, string ip = AttackerIp, string agent = AttackerAgent, string region = "us-east-1")
    {
        var record = new JsonObject
        {
            ["eventVersion"] = "1.09",
            ["userIdentity"] = identity.DeepClone(),
            ["eventTime"] = Start.AddMinutes(minute).ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture),
            ["eventSource"] = source,
            ["eventName"] = name,
            ["awsRegion"] = region,
            ["sourceIPAddress"] = ip,
            ["userAgent"] = agent,
            ["requestParameters"] = request,
            ["responseElements"] = response,
            ["eventID"] = id,
            ["eventType"] = "AwsApiCall",
            ["recipientAccountId"] = Account,
        };
        if (error is not null)
        {
            record["errorCode"] = error;
            record["errorMessage"] = "User is not authorized to perform this operation";
        }
        if (resources is not null)
            record["resources"] = new JsonArray([.. resources.Select(r => (JsonNode)new JsonObject { ["ARN"] = r, ["accountId"] = Account })]);
        return record.ToJsonString();
    }

    public static JsonObject Credentials(string key) => new()
    {
        ["accessKeyId"] = key,
        ["sessionToken"] = "IQoJb3JpZ2luX2VjEXAMPLE",
        ["expiration"] = "Mar 2, 2026, 9:00:00 AM",
    };

    public static JsonObject Assumed(string role, string session, string key) => new()
    {
        ["credentials"] = Credentials(key),
        ["assumedRoleUser"] = new JsonObject
        {
            ["assumedRoleId"] = "AROA" + role.ToUpperInvariant() + ":" + session,
            ["arn"] = $"arn:aws:sts::{Account}:assumed-role/{role}/{session}",
        },
    };

    public static string Gcp(int minute, string id, string principal, string method, string service, string resourceName, JsonObject? response = null,
        string? delegatedBy = null, string? keyName = null)
    {
        var authentication = new JsonObject { ["principalEmail"] = principal };
        if (keyName is not null) authentication["serviceAccountKeyName"] = keyName;
        if (delegatedBy is not null)
            authentication["serviceAccountDelegationInfo"] = new JsonArray(new JsonObject { ["firstPartyPrincipal"] = new JsonObject { ["principalEmail"] = delegatedBy } });
        return new JsonObject
        {
            ["insertId"] = id,
            ["logName"] = "projects/acme-prod/logs/cloudaudit.googleapis.com%2Factivity",
            ["timestamp"] = Start.AddMinutes(minute).ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture),
            ["resource"] = new JsonObject { ["type"] = "service_account", ["labels"] = new JsonObject { ["project_id"] = "acme-prod" } },
            ["protoPayload"] = new JsonObject
            {
                ["@type"] = "type.googleapis.com/google.cloud.audit.AuditLog",
                ["serviceName"] = service,
                ["methodName"] = method,
                ["resourceName"] = resourceName,
                ["authenticationInfo"] = authentication,
                ["requestMetadata"] = new JsonObject { ["callerIp"] = "203.0.113.77", ["callerSuppliedUserAgent"] = "google-cloud-sdk gcloud/460.0.0" },
                ["status"] = new JsonObject(),
                ["response"] = response,
            },
        }.ToJsonString();
    }

    public static string Lines(params string[] records) => string.Join('\n', records) + "\n";

    public static string Json(object value) => JsonSerializer.Serialize(value);
}
