using System.Runtime.CompilerServices;
using Amazon;
using Amazon.Runtime;
using Amazon.S3;
using Amazon.S3.Model;

namespace Firebreak.Detection.Readers.Sources;

/// <summary>Where and how to reach S3 or an S3-compatible server.</summary>
public sealed record S3SourceOptions
{
    /// <summary>An S3-compatible endpoint such as <c>http://127.0.0.1:9000</c>; null for AWS itself.</summary>
    public string? ServiceUrl { get; init; }

    public string Region { get; init; } = "us-east-1";

    /// <summary>Most S3-compatible servers need bucket names in the path rather than the host name.</summary>
    public bool ForcePathStyle { get; init; } = true;

    /// <summary>Explicit keys; when null the SDK's default credential chain is used.</summary>
    public string? AccessKeyId { get; init; }

    public string? SecretAccessKey { get; init; }

    public string? SessionToken { get; init; }
}

/// <summary>Every object under a bucket prefix, listed page by page with ListObjectsV2 and streamed with GetObject.</summary>
public sealed class S3LogInputSource(IAmazonS3 client, string bucket, string? prefix = null) : ILogInputSource
{
    public static IAmazonS3 CreateClient(S3SourceOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var config = new AmazonS3Config { ForcePathStyle = options.ForcePathStyle };
        if (options.ServiceUrl is not null)
        {
            config.ServiceURL = options.ServiceUrl;
            config.AuthenticationRegion = options.Region;
        }
        else
        {
            config.RegionEndpoint = RegionEndpoint.GetBySystemName(options.Region);
        }

        if (options.AccessKeyId is null || options.SecretAccessKey is null)
        {
            return new AmazonS3Client(config);
        }

        AWSCredentials credentials = options.SessionToken is null
            ? new BasicAWSCredentials(options.AccessKeyId, options.SecretAccessKey)
            : new SessionAWSCredentials(options.AccessKeyId, options.SecretAccessKey, options.SessionToken);
        return new AmazonS3Client(credentials, config);
    }

    public async IAsyncEnumerable<LogInput> ListAsync(Action<ReadProblem> report, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var request = new ListObjectsV2Request { BucketName = bucket, Prefix = prefix };
        while (true)
        {
            ListObjectsV2Response response;
            try
            {
                response = await client.ListObjectsV2Async(request, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is AmazonServiceException or AmazonClientException or HttpRequestException)
            {
                // Refused by the service, no credentials found, or an endpoint that cannot be reached: a problem with
                // this input, reported like a missing file.
                var reason = ex is AmazonServiceException refused ? $"{refused.ErrorCode ?? refused.StatusCode.ToString()}: {refused.Message}" : ex.GetBaseException().Message;
                report(new ReadProblem($"s3://{bucket}/{prefix}", null, null, $"cannot list objects: {reason}"));
                yield break;
            }

            foreach (var item in response.S3Objects ?? [])
            {
                if (item.Key.EndsWith('/'))
                {
                    continue;
                }

                var key = item.Key;
                yield return new LogInput($"s3://{bucket}/{key}", ct => OpenAsync(key, ct));
            }

            if (response.IsTruncated != true || string.IsNullOrEmpty(response.NextContinuationToken))
            {
                yield break;
            }

            request.ContinuationToken = response.NextContinuationToken;
        }
    }

    private async Task<Stream> OpenAsync(string key, CancellationToken cancellationToken)
    {
        var response = await client.GetObjectAsync(bucket, key, cancellationToken).ConfigureAwait(false);
        return response.ResponseStream;
    }
}
