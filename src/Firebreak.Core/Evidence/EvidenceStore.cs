using Firebreak.Core.Common;

namespace Firebreak.Core.Evidence;

public sealed record StoredBlob(string Sha256, string Sha1, string Md5, long Size);

/// <summary>Where a blob lives inside a store, for every store alike.</summary>
public static class BlobName
{
    /// <summary>ab/cd/&lt;sha256&gt;, with the given separator; a name that is not a lowercase SHA-256 is not found.</summary>
    public static string For(string sha256, char separator)
    {
        if (sha256.Length != 64 || !sha256.All(char.IsAsciiHexDigitLower)) throw new NotFoundException("Evidence file", sha256);
        return $"{sha256[..2]}{separator}{sha256[2..4]}{separator}{sha256}";
    }
}

/// <summary>
/// Where evidence bytes live: the port that <see cref="LocalEvidenceStore"/> and the S3-compatible store in
/// Firebreak.Cloud implement. Write-once and content-addressed: a blob's name is its SHA-256, and a name
/// that exists is never written again.
/// </summary>
public interface IEvidenceStore
{
    /// <summary>Streams the content in while hashing it; nothing is visible under its name until it is complete.</summary>
    Task<StoredBlob> PutAsync(Stream content, long maxBytes, CancellationToken cancellationToken);

    /// <summary>Opens a stored blob for reading, or throws NotFoundException.</summary>
    Task<Stream> OpenAsync(string sha256, CancellationToken cancellationToken);
}

/// <summary>A disk or quota error while storing evidence: reported clearly, and nothing partial is kept.</summary>
public sealed class EvidenceStorageException(string message, Exception? inner = null) : DomainException(message)
{
    public Exception? Cause { get; } = inner;
}

/// <summary>
/// The evidence store cannot be reached or refused the request (missing bucket, access denied): nothing was
/// stored, and the message says what to check. Never carries credentials.
/// </summary>
public sealed class EvidenceStoreUnavailableException(string message, Exception? inner = null) : DomainException(message)
{
    public Exception? Cause { get; } = inner;
}

/// <summary>
/// Evidence on local disk: bytes go to a temporary file in the same folder tree while three hashes are
/// computed, are flushed to disk, and only then are renamed to ab/cd/&lt;sha256&gt;. A name that exists is
/// never overwritten. A broken upload or a full disk leaves no blob behind.
/// </summary>
public sealed class LocalEvidenceStore(string root) : IEvidenceStore
{
    private const int BufferSize = 128 * 1024;

    public string Root { get; } = root;

    public async Task<StoredBlob> PutAsync(Stream content, long maxBytes, CancellationToken cancellationToken)
    {
        var incoming = Path.Combine(Root, "incoming");
        Directory.CreateDirectory(incoming);
        var temp = Path.Combine(incoming, Guid.NewGuid().ToString("n") + ".part");
        try
        {
            StoredBlob blob;
            // Unbuffered (bufferSize 0): every write reaches the file system in the loop, where its failure is
            // reported, and disposing has nothing left to write that could fail a second time.
            await using (var file = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None, 0, FileOptions.Asynchronous))
            {
                using var hashes = new EvidenceHashes();
                var buffer = new byte[BufferSize];
                int read;
                while ((read = await content.ReadAsync(buffer, cancellationToken)) > 0)
                {
                    if (hashes.Size + read > maxBytes) throw new ValidationFailedException("file", $"The file is larger than the {maxBytes:N0}-byte limit.");
                    hashes.Append(buffer.AsSpan(0, read));
                    await WriteAsync(file, buffer.AsMemory(0, read), cancellationToken);
                }
                await WriteAsync(file, ReadOnlyMemory<byte>.Empty, cancellationToken);
                file.Flush(flushToDisk: true);
                blob = hashes.Finish();
            }
            var target = PathFor(blob.Sha256);
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            if (File.Exists(target))
            {
                // Same name, same bytes: keep the copy already there, untouched.
                File.Delete(temp);
                return blob;
            }
            File.Move(temp, target, overwrite: false);
            File.SetAttributes(target, FileAttributes.ReadOnly);
            return blob;
        }
        catch (IOException ex) when (IsDiskFull(ex))
        {
            TryDelete(temp);
            throw new EvidenceStorageException("The evidence store is out of disk space; nothing was stored. Free space and upload again.", ex);
        }
        catch
        {
            TryDelete(temp);
            throw;
        }
    }

    /// <summary>
    /// Writes (or, with nothing to write, flushes) one buffer. .NET reports EFBIG, a write past the file-size
    /// limit the server runs under (RLIMIT_FSIZE, a quota), as ArgumentOutOfRangeException; it is a storage
    /// limit like a full disk, not a bug, so it is reported as one.
    /// </summary>
    private static async Task WriteAsync(FileStream file, ReadOnlyMemory<byte> bytes, CancellationToken cancellationToken)
    {
        try
        {
            if (bytes.IsEmpty) await file.FlushAsync(cancellationToken);
            else await file.WriteAsync(bytes, cancellationToken);
        }
        catch (ArgumentOutOfRangeException ex)
        {
            throw new EvidenceStorageException("The evidence store cannot hold a file this large (the server's file-size limit); nothing was stored.", ex);
        }
    }

    public Task<Stream> OpenAsync(string sha256, CancellationToken cancellationToken)
    {
        var path = PathFor(sha256);
        if (!File.Exists(path)) throw new NotFoundException("Evidence file", sha256);
        return Task.FromResult<Stream>(new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, BufferSize, FileOptions.Asynchronous | FileOptions.SequentialScan));
    }

    public string PathFor(string sha256) => Path.Combine(Root, BlobName.For(sha256, Path.DirectorySeparatorChar));

    private static bool IsDiskFull(IOException ex) =>
        ex.HResult is 28 or unchecked((int)0x80070070) || ex.Message.Contains("No space left", StringComparison.OrdinalIgnoreCase);

    private static void TryDelete(string path)
    {
        try
        {
            File.Delete(path);
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }
    }
}
