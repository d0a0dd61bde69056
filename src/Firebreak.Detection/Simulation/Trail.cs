using System.Text.Json.Nodes;

namespace Firebreak.Detection.Simulation;

/// <summary>Builds CloudTrail records for one account with the bookkeeping fields filled in.</summary>
internal sealed class Trail(World world)
{
    public TrailEvent Call(
        DateTimeOffset time,
        AwsIdentity identity,
        string source,
        string name,
        string ip,
        string agent,
        JsonObject? request = null,
        JsonObject? response = null,
        string? region = null,
        bool readOnly = false,
        string? error = null,
        string? errorMessage = null,
        bool data = false,
        IReadOnlyList<(string Type, string Arn)>? resources = null,
        JsonObject? additional = null,
        string eventType = "AwsApiCall") => new()
        {
            Time = time,
            EventId = world.NewGuid(),
            Identity = identity,
            Source = source,
            Name = name,
            Region = region ?? (source is "iam.amazonaws.com" or "sts.amazonaws.com" or "signin.amazonaws.com" ? "us-east-1" : world.Pick(world.Regions)),
            SourceIp = ip,
            UserAgent = agent,
            Account = world.AwsAccount,
            RequestId = data ? world.RequestId() : world.NewGuid(),
            Request = request,
            Response = response,
            ReadOnly = readOnly,
            ErrorCode = error,
            ErrorMessage = error is null ? null : errorMessage ?? $"User is not authorized to perform: {name}",
            Data = data,
            Resources = resources ?? [],
            AdditionalData = additional,
            EventType = eventType,
        };

    public static (string Type, string Arn) Bucket(string bucket) => ("AWS::S3::Bucket", $"arn:aws:s3:::{bucket}");

    public static (string Type, string Arn) Object(string bucket, string key) => ("AWS::S3::Object", $"arn:aws:s3:::{bucket}/{key}");

    public static JsonObject S3Request(string bucket, string? key = null, string? region = null)
    {
        var request = new JsonObject
        {
            ["bucketName"] = bucket,
            ["Host"] = $"{bucket}.s3.{region ?? "us-east-1"}.amazonaws.com",
        };
        if (key is not null)
        {
            request["key"] = key;
        }

        return request;
    }

    public static JsonObject S3Transfer(long bytesIn, long bytesOut) => new()
    {
        ["SignatureVersion"] = "SigV4",
        ["CipherSuite"] = "TLS_AES_128_GCM_SHA256",
        ["bytesTransferredIn"] = bytesIn,
        ["AuthenticationMethod"] = "AuthHeader",
        ["bytesTransferredOut"] = bytesOut,
    };
}
