using System.Net;
using Amazon.Runtime;
using Amazon.S3;
using Amazon.S3.Model;
using Firebreak.Core.Common;
using Firebreak.Core.Evidence;

namespace Firebreak.Cloud.Evidence;

/// <summary>
/// Evidence in an S3-compatible bucket, through the AWS SDK. Objects are named by content
/// (<c>&lt;prefix&gt;ab/cd/&lt;sha256&gt;</c>) and never written twice: a name that exists is left alone, and the
/// final write is conditional (<c>If-None-Match: *</c>) where the server supports it.
/// <para>
/// The SHA-256 is only known once the last byte has arrived, so a file that fits in one part is hashed in
/// memory and written straight to its name; a larger file is streamed as a multipart upload to a staging
/// key (<c>&lt;prefix&gt;incoming/&lt;id&gt;</c>) while it is hashed, then read back, hashed again and written to
/// its name, and the staging object deleted. A broken upload aborts the multipart upload, so no partial
/// object is left.
/// </para>
/// </summary>
public sealed class S3EvidenceStore(IAmazonS3 client, S3EvidenceStoreOptions options) : IEvidenceStore
{
    public string Bucket => options.Bucket;

    public async Task<StoredBlob> PutAsync(Stream content, long maxBytes, CancellationToken cancellationToken)
    {
        using var hashes = new EvidenceHashes();
        var buffer = new byte[options.PartSizeBytes];
        var filled = await FillAsync(content, buffer, hashes, maxBytes, cancellationToken);
        if (filled < buffer.Length)
        {
            var blob = hashes.Finish();
            await RunAsync(() => PutSmallAsync(blob, buffer.AsMemory(0, filled), cancellationToken), "store evidence in");
            return blob;
        }
        return await PutLargeAsync(content, buffer, hashes, maxBytes, cancellationToken);
    }

    public async Task<Stream> OpenAsync(string sha256, CancellationToken cancellationToken)
    {
        var key = KeyFor(sha256);
        try
        {
            var response = await client.GetObjectAsync(new GetObjectRequest { BucketName = options.Bucket, Key = key }, cancellationToken);
            return response.ResponseStream;
        }
        catch (AmazonS3Exception ex) when (ex.StatusCode == HttpStatusCode.NotFound && ex.ErrorCode is "NoSuchKey" or null or "")
        {
            throw new NotFoundException("Evidence file", sha256);
        }
        catch (Exception ex) when (Unavailable(ex, "read evidence from") is { } unavailable)
        {
            throw unavailable;
        }
    }

    /// <summary>The object name of a blob: the prefix, then ab/cd/&lt;sha256&gt; as on local disk.</summary>
    public string KeyFor(string sha256) => options.NormalisedPrefix + BlobName.For(sha256, '/');

    private async Task PutSmallAsync(StoredBlob blob, ReadOnlyMemory<byte> bytes, CancellationToken cancellationToken)
    {
        var key = KeyFor(blob.Sha256);
        if (await ExistsAsync(key, cancellationToken)) return;
        try
        {
            await client.PutObjectAsync(new PutObjectRequest
            {
                BucketName = options.Bucket,
                Key = key,
                InputStream = new MemoryStream(bytes.ToArray(), writable: false),
                ContentType = "application/octet-stream",
                IfNoneMatch = "*",
                UseChunkEncoding = false,
                AutoCloseStream = true,
            }, cancellationToken);
        }
        catch (AmazonS3Exception ex) when (IsAlreadyThere(ex))
        {
            // Someone stored the same bytes first: the object under this name is the one to keep.
        }
    }

    private async Task<StoredBlob> PutLargeAsync(Stream content, byte[] first, EvidenceHashes hashes, long maxBytes, CancellationToken cancellationToken)
    {
        var staging = $"{options.NormalisedPrefix}incoming/{Guid.NewGuid():n}";
        var staged = false;
        try
        {
            await UploadInPartsAsync(staging, content, first, hashes, maxBytes, null, null, cancellationToken);
            staged = true;
            var blob = hashes.Finish();
            var key = KeyFor(blob.Sha256);
            if (await RunAsync(() => ExistsAsync(key, cancellationToken), "store evidence in")) return blob;

            // The staged object is read back and hashed again on its way to its name, so the bytes that get
            // the name are the bytes that were hashed. (Read back rather than CopyObject: the copy is the check.)
            using var stored = await RunAsync(() => client.GetObjectAsync(options.Bucket, staging, cancellationToken), "store evidence in");
            await using var stream = stored.ResponseStream;
            using var again = new EvidenceHashes();
            var filled = await FillAsync(stream, first, again, long.MaxValue, cancellationToken);
            try
            {
                await UploadInPartsAsync(key, stream, first, again, long.MaxValue, filled, () =>
                {
                    var copy = again.Finish();
                    if (copy.Sha256 != blob.Sha256 || copy.Size != blob.Size)
                        throw new EvidenceStorageException("The evidence store returned different bytes from those received; nothing was stored. Upload again.");
                }, cancellationToken);
            }
            catch (AmazonS3Exception ex) when (IsAlreadyThere(ex))
            {
                // Stored by someone else meanwhile: same name, same bytes.
            }
            return blob;
        }
        finally
        {
            if (staged) await TryAsync(() => client.DeleteObjectAsync(options.Bucket, staging, CancellationToken.None));
        }
    }

    /// <summary>
    /// A multipart upload of <paramref name="content"/>, whose first part is already in <paramref name="first"/>
    /// (full, unless <paramref name="firstFilled"/> says otherwise). Aborted on any failure, so no part is left.
    /// With <paramref name="beforeComplete"/> the write is conditional: If-None-Match: *.
    /// </summary>
    private async Task UploadInPartsAsync(string key, Stream content, byte[] first, EvidenceHashes hashes, long maxBytes, int? firstFilled,
        Action? beforeComplete, CancellationToken cancellationToken)
    {
        var uploadId = (await RunAsync(() => client.InitiateMultipartUploadAsync(new InitiateMultipartUploadRequest
        {
            BucketName = options.Bucket,
            Key = key,
            ContentType = "application/octet-stream",
        }, cancellationToken), "store evidence in")).UploadId;
        try
        {
            var parts = new List<PartETag>();
            // Two buffers: the next part is read (and hashed) before the current one goes, so the last part is known.
            var (current, next) = (first, new byte[first.Length]);
            var filled = firstFilled ?? first.Length;
            while (filled > 0)
            {
                var nextFilled = filled == current.Length ? await FillAsync(content, next, hashes, maxBytes, cancellationToken) : 0;
                var number = parts.Count + 1;
                var part = await RunAsync(() => client.UploadPartAsync(new UploadPartRequest
                {
                    BucketName = options.Bucket,
                    Key = key,
                    UploadId = uploadId,
                    PartNumber = number,
                    InputStream = new MemoryStream(current, 0, filled, writable: false),
                    UseChunkEncoding = false,
                }, cancellationToken), "store evidence in");
                parts.Add(new PartETag(number, part.ETag));
                (current, next, filled) = (next, current, nextFilled);
            }
            beforeComplete?.Invoke();
            await RunAsync(() => client.CompleteMultipartUploadAsync(new CompleteMultipartUploadRequest
            {
                BucketName = options.Bucket,
                Key = key,
                UploadId = uploadId,
                PartETags = parts,
                IfNoneMatch = beforeComplete is null ? null : "*",
            }, cancellationToken), "store evidence in");
            uploadId = null;
        }
        finally
        {
            if (uploadId is not null) await TryAsync(() => client.AbortMultipartUploadAsync(options.Bucket, key, uploadId, CancellationToken.None));
        }
    }

    private async Task<bool> ExistsAsync(string key, CancellationToken cancellationToken)
    {
        try
        {
            await client.GetObjectMetadataAsync(new GetObjectMetadataRequest { BucketName = options.Bucket, Key = key }, cancellationToken);
            return true;
        }
        catch (AmazonS3Exception ex) when (ex.StatusCode == HttpStatusCode.NotFound && ex.ErrorCode is not "NoSuchBucket")
        {
            return false;
        }
    }

    /// <summary>Reads until the buffer is full or the content ends, hashing as it goes.</summary>
    private static async Task<int> FillAsync(Stream content, Memory<byte> buffer, EvidenceHashes hashes, long maxBytes, CancellationToken cancellationToken)
    {
        var total = 0;
        while (total < buffer.Length)
        {
            var read = await content.ReadAsync(buffer[total..], cancellationToken);
            if (read == 0) break;
            if (hashes.Size + read > maxBytes) throw TooLarge(maxBytes);
            hashes.Append(buffer.Span.Slice(total, read));
            total += read;
        }
        return total;
    }

    private static ValidationFailedException TooLarge(long maxBytes) => new("file", $"The file is larger than the {maxBytes:N0}-byte limit.");

    private static bool IsAlreadyThere(AmazonS3Exception ex) =>
        ex.StatusCode is HttpStatusCode.PreconditionFailed || ex.ErrorCode is "ConditionalRequestConflict";

    private async Task RunAsync(Func<Task> call, string doing)
    {
        try
        {
            await call();
        }
        catch (Exception ex) when (Unavailable(ex, doing) is { } unavailable)
        {
            throw unavailable;
        }
    }

    private async Task<T> RunAsync<T>(Func<Task<T>> call, string doing)
    {
        try
        {
            return await call();
        }
        catch (Exception ex) when (Unavailable(ex, doing) is { } unavailable)
        {
            throw unavailable;
        }
    }

    /// <summary>
    /// The store's own failures, in words an operator can act on. Only the S3 error code is quoted: the
    /// server's message may echo an access key id, and a credential never goes into an error.
    /// </summary>
    private EvidenceStoreUnavailableException? Unavailable(Exception ex, string doing) => ex switch
    {
        AmazonS3Exception s3 when IsAlreadyThere(s3) => null,
        AmazonS3Exception { ErrorCode: "NoSuchBucket" } => new($"Could not {doing} the evidence store: the bucket '{options.Bucket}' does not exist. Nothing was stored.", ex),
        AmazonS3Exception { StatusCode: HttpStatusCode.Forbidden } s3 =>
            new($"Could not {doing} the evidence store: access to the bucket '{options.Bucket}' was denied ({s3.ErrorCode}). Check the credentials the server runs with and the bucket policy. Nothing was stored.", ex),
        AmazonS3Exception s3 => new($"Could not {doing} the evidence store: the bucket '{options.Bucket}' answered {(int)s3.StatusCode} {s3.ErrorCode}. Nothing was stored.", ex),
        AmazonServiceException or HttpRequestException => new($"Could not {doing} the evidence store: the bucket '{options.Bucket}' could not be reached. Nothing was stored.", ex),
        AmazonClientException => new($"Could not {doing} the evidence store: no AWS credentials were found in the server's environment (the SDK's default chain). Nothing was stored.", ex),
        _ => null,
    };

    private static async Task TryAsync(Func<Task> cleanup)
    {
        try
        {
            await cleanup();
        }
        catch (AmazonServiceException)
        {
            // Best effort: a bucket lifecycle rule for incomplete multipart uploads clears what this cannot.
        }
        catch (HttpRequestException)
        {
        }
    }
}
