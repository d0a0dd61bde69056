using System.Globalization;
using System.Text;
using System.Text.Json;

namespace Firebreak.Core.Tests.DataLoss;

/// <summary>
/// Hand-written audit records in each provider's own shape: CloudTrail data and management events,
/// GCP Cloud Audit Log entries, Azure Activity Log records as the Azure Monitor export writes them.
/// </summary>
internal static class DataLossEvents
{
    public static readonly DateTimeOffset Start = new(2026, 3, 10, 8, 0, 0, TimeSpan.Zero);
    public const string Account = "111122223333";
    public const string Attacker = "arn:aws:iam::111122223333:user/ci-deploy";
    public const string AttackerKey = "AKIAIOSFODNN7EXAMPLE";
    public const string AttackerIp = "203.0.113.66";

    private static int _sequence;

    private static string Id() => $"ev-{Interlocked.Increment(ref _sequence):D6}-{Guid.NewGuid():N}";

    private static string At(int minutes) => Start.AddMinutes(minutes).ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);

    public static string CloudTrail(int minute, string source, string name, object? request, object? resources = null, object? additional = null,
        string? error = null, string principal = Attacker, string key = AttackerKey, string ip = AttackerIp, string region = "eu-west-1", string category = "Management") =>
        JsonSerializer.Serialize(new Dictionary<string, object?>
        {
            ["eventVersion"] = "1.09",
            ["userIdentity"] = new Dictionary<string, object?>
            {
                ["type"] = "IAMUser",
                ["principalId"] = "AIDAEXAMPLE",
                ["arn"] = principal,
                ["accountId"] = Account,
                ["accessKeyId"] = key,
                ["userName"] = principal[(principal.LastIndexOf('/') + 1)..],
            },
            ["eventTime"] = At(minute),
            ["eventSource"] = source,
            ["eventName"] = name,
            ["awsRegion"] = region,
            ["sourceIPAddress"] = ip,
            ["userAgent"] = "aws-cli/2.15.30 Python/3.11",
            ["errorCode"] = error,
            ["errorMessage"] = error is null ? null : "Access Denied",
            ["requestParameters"] = request,
            ["responseElements"] = null,
            ["additionalEventData"] = additional,
            ["requestID"] = Guid.NewGuid().ToString("N"),
            ["eventID"] = Id(),
            ["readOnly"] = true,
            ["resources"] = resources,
            ["eventType"] = "AwsApiCall",
            ["managementEvent"] = category == "Management",
            ["recipientAccountId"] = Account,
            ["eventCategory"] = category,
        });

    /// <summary>An S3 GetObject data event; <paramref name="bytes"/> goes to additionalEventData.bytesTransferredOut as CloudTrail writes it (a float).</summary>
    public static string GetObject(int minute, string bucket, string key, double? bytes, string? error = null, string principal = Attacker, string ip = AttackerIp) =>
        CloudTrail(minute, "s3.amazonaws.com", "GetObject", new Dictionary<string, object?> { ["bucketName"] = bucket, ["Host"] = $"{bucket}.s3.eu-west-1.amazonaws.com", ["key"] = key },
            new object[]
            {
                new Dictionary<string, object?> { ["type"] = "AWS::S3::Object", ["ARN"] = $"arn:aws:s3:::{bucket}/{key}" },
                new Dictionary<string, object?> { ["accountId"] = Account, ["type"] = "AWS::S3::Bucket", ["ARN"] = $"arn:aws:s3:::{bucket}" },
            },
            bytes is null ? new Dictionary<string, object?> { ["SignatureVersion"] = "SigV4" }
                : new Dictionary<string, object?> { ["SignatureVersion"] = "SigV4", ["bytesTransferredIn"] = 0.0, ["bytesTransferredOut"] = bytes, ["x-amz-id-2"] = "abc" },
            error, principal, ip: ip, category: "Data");

    public static string ListObjects(int minute, string bucket) =>
        CloudTrail(minute, "s3.amazonaws.com", "ListObjectsV2", new Dictionary<string, object?> { ["bucketName"] = bucket, ["list-type"] = "2", ["prefix"] = "" },
            new object[] { new Dictionary<string, object?> { ["accountId"] = Account, ["type"] = "AWS::S3::Bucket", ["ARN"] = $"arn:aws:s3:::{bucket}" } },
            new Dictionary<string, object?> { ["bytesTransferredIn"] = 0.0, ["bytesTransferredOut"] = 1200.0 }, category: "Data");

    public static string Gcp(int minute, string method, string service, string resourceName, object? request = null, object? serviceData = null,
        string resourceType = "gcs_bucket", string log = "data_access", string principal = "exfil@evil-project.iam.gserviceaccount.com", int status = 0) =>
        JsonSerializer.Serialize(new Dictionary<string, object?>
        {
            ["insertId"] = Id(),
            ["logName"] = $"projects/acme-prod/logs/cloudaudit.googleapis.com%2F{log}",
            ["timestamp"] = At(minute),
            ["receiveTimestamp"] = At(minute),
            ["severity"] = "INFO",
            ["resource"] = new Dictionary<string, object?> { ["type"] = resourceType, ["labels"] = new Dictionary<string, object?> { ["project_id"] = "acme-prod", ["location"] = "europe-west1" } },
            ["protoPayload"] = new Dictionary<string, object?>
            {
                ["@type"] = "type.googleapis.com/google.cloud.audit.AuditLog",
                ["status"] = status == 0 ? new Dictionary<string, object?>() : new Dictionary<string, object?> { ["code"] = status, ["message"] = "PERMISSION_DENIED" },
                ["authenticationInfo"] = new Dictionary<string, object?> { ["principalEmail"] = principal },
                ["requestMetadata"] = new Dictionary<string, object?> { ["callerIp"] = "198.51.100.23", ["callerSuppliedUserAgent"] = "gcloud/462.0.1" },
                ["serviceName"] = service,
                ["methodName"] = method,
                ["resourceName"] = resourceName,
                ["request"] = request,
                ["serviceData"] = serviceData,
            },
        });

    public static string Azure(int minute, string operation, string resourceId, object? properties = null, string caller = "mallory@contoso.example") =>
        JsonSerializer.Serialize(new Dictionary<string, object?>
        {
            ["time"] = At(minute),
            ["resourceId"] = resourceId.ToUpperInvariant(),
            ["operationName"] = operation.ToUpperInvariant(),
            ["category"] = "Administrative",
            ["resultType"] = "Success",
            ["resultSignature"] = "Succeeded.OK",
            ["durationMs"] = "312",
            ["callerIpAddress"] = "192.0.2.44",
            ["correlationId"] = Guid.NewGuid().ToString(),
            ["identity"] = new Dictionary<string, object?>
            {
                ["claims"] = new Dictionary<string, object?> { ["http://schemas.xmlsoap.org/ws/2005/05/identity/claims/upn"] = caller, ["ipaddr"] = "192.0.2.44" },
            },
            ["level"] = "Information",
            ["location"] = "westeurope",
            ["properties"] = properties ?? new Dictionary<string, object?>(),
        });

    public static MemoryStream Lines(params string[] records) => new(Encoding.UTF8.GetBytes(string.Join('\n', records) + "\n"));
}
