using Amazon.Runtime;
using Amazon.S3;
using Microsoft.Extensions.Configuration;

namespace Firebreak.Cloud.Evidence;

/// <summary>
/// <c>Firebreak:Evidence:S3</c>: where the S3-compatible evidence store writes. Credentials are not part of
/// it: the AWS SDK finds them in its default chain (environment, shared profile, container or instance role).
/// </summary>
public sealed class S3EvidenceStoreOptions
{
    public const string Section = "Firebreak:Evidence:S3";
    private const int MiB = 1024 * 1024;

    public string Bucket { get; set; } = "";

    /// <summary>Written before every object name, for a bucket shared with other data (e.g. <c>firebreak/evidence/</c>).</summary>
    public string Prefix { get; set; } = "";

    public string? Region { get; set; }

    /// <summary>An S3-compatible endpoint (MinIO, Ceph, a VPC endpoint); empty for AWS itself.</summary>
    public string? ServiceUrl { get; set; }

    /// <summary>bucket/key in the path instead of bucket.host, which most S3-compatible servers need.</summary>
    public bool ForcePathStyle { get; set; }

    /// <summary>Files up to one part are written in one request; larger ones stream as parts of this size (5 MiB or more).</summary>
    public int PartSizeMiB { get; set; } = 16;

    /// <summary>
    /// <c>when-supported</c> (the SDK's default) sends a CRC checksum with every upload; <c>when-required</c>
    /// only where the operation demands one, for servers that predate flexible checksums.
    /// </summary>
    public string RequestChecksums { get; set; } = "when-supported";

    internal int PartSizeBytes => PartSizeMiB * MiB;

    internal string NormalisedPrefix => Prefix.Trim('/') is { Length: > 0 } p ? p + "/" : "";

    public static S3EvidenceStoreOptions From(IConfiguration configuration)
    {
        var section = configuration.GetSection(Section);
        foreach (var secret in new[] { "AccessKeyId", "AccessKey", "SecretAccessKey", "SecretKey", "SessionToken" })
        {
            if (section[secret] is not null)
                throw new InvalidOperationException(
                    $"{Section}:{secret} is not read: Firebreak keeps no cloud credentials in its configuration. Give the server credentials through the AWS SDK's default chain (AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, AWS_PROFILE, or a container or instance role).");
        }
        var options = section.Get<S3EvidenceStoreOptions>() ?? new S3EvidenceStoreOptions();
        options.Validate();
        return options;
    }

    public void Validate()
    {
        List<string> problems = [];
        if (string.IsNullOrWhiteSpace(Bucket)) problems.Add($"{Section}:Bucket is required when Firebreak:Evidence:Store is s3.");
        if (string.IsNullOrWhiteSpace(Region) && string.IsNullOrWhiteSpace(ServiceUrl)) problems.Add($"{Section}:Region (or ServiceUrl) is required.");
        if (ServiceUrl is { Length: > 0 } url && !(Uri.TryCreate(url, UriKind.Absolute, out var uri) && uri.Scheme is "http" or "https"))
            problems.Add($"{Section}:ServiceUrl must be an http or https URL.");
        if (PartSizeMiB is < 5 or > 5 * 1024) problems.Add($"{Section}:PartSizeMiB must be between 5 and 5120 (S3's part size limits).");
        if (RequestChecksums is not ("when-supported" or "when-required")) problems.Add($"{Section}:RequestChecksums must be when-supported or when-required.");
        if (problems.Count > 0) throw new InvalidOperationException(string.Join(" ", problems));
    }

    /// <summary>The SDK's client settings for these options; credentials are left to the default chain.</summary>
    public AmazonS3Config ClientConfig()
    {
        var config = new AmazonS3Config
        {
            ForcePathStyle = ForcePathStyle,
            RequestChecksumCalculation = RequestChecksums == "when-required" ? RequestChecksumCalculation.WHEN_REQUIRED : RequestChecksumCalculation.WHEN_SUPPORTED,
        };
        if (ServiceUrl is { Length: > 0 } url)
        {
            config.ServiceURL = url;
            if (Region is { Length: > 0 } signing) config.AuthenticationRegion = signing;
        }
        else
        {
            config.RegionEndpoint = Amazon.RegionEndpoint.GetBySystemName(Region);
        }
        return config;
    }
}
