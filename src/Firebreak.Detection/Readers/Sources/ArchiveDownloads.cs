using System.Runtime.CompilerServices;

namespace Firebreak.Detection.Readers.Sources;

/// <summary>
/// A zip or tar archive that comes as a stream (an S3 object: a customer's handover put in the evidence bucket) is
/// downloaded to a temporary file, readable by the user alone, and read entry by entry from there as one on disk is
/// (<see cref="ZipLogArchive"/>, <see cref="TarLogArchive"/>), each entry cited <c>s3://bucket/logs.zip!path/in/it.json</c>.
/// Reading a zip needs to seek and a tar is read forward twice, which a download stream allows neither of. The file is
/// removed once the archive's entries are listed: the reader has opened those it reads by then, and an open file stays
/// readable when its name is gone. It takes the archive's size in the temporary folder (<c>TMPDIR</c>) while it is read.
/// Every other input passes through as it is.
/// </summary>
public sealed class ArchiveDownloads(ILogInputSource inner) : ILogInputSource
{
    public async IAsyncEnumerable<LogInput> ListAsync(Action<ReadProblem> report, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(report);
        await foreach (var input in inner.ListAsync(report, cancellationToken).ConfigureAwait(false))
        {
            if (!ZipLogArchive.IsArchiveName(input.Name) && !TarLogArchive.IsArchiveName(input.Name))
            {
                yield return input;
                continue;
            }

            var path = await DownloadAsync(input, report, cancellationToken).ConfigureAwait(false);
            if (path is null)
            {
                continue;
            }

            try
            {
                foreach (var entry in StoredFileSource.Inputs(path, input.Name, report))
                {
                    cancellationToken.ThrowIfCancellationRequested();
                    // Known by its own name (unique within its archive), not by the temporary file's: the same object listed
                    // by two overlapping prefixes is read once.
                    yield return entry with { Identity = entry.Name };
                }
            }
            finally
            {
                Delete(path);
            }
        }
    }

    /// <summary>
    /// Downloads not yet removed. Listing a large archive cannot be interrupted, and a hunt stopped by a signal leaves such
    /// a listing behind and ends: what it downloaded is removed as the process ends, not left in the temporary folder.
    /// </summary>
    private static readonly System.Collections.Concurrent.ConcurrentDictionary<string, byte> Pending = new(StringComparer.Ordinal);

    static ArchiveDownloads() => AppDomain.CurrentDomain.ProcessExit += (_, _) =>
    {
        foreach (var path in Pending.Keys)
        {
            Delete(path);
        }
    };

    /// <summary>The input copied to a new temporary file, or null (reported) when it cannot be read.</summary>
    private static async Task<string?> DownloadAsync(LogInput input, Action<ReadProblem> report, CancellationToken cancellationToken)
    {
        var path = Path.Combine(Path.GetTempPath(), $"firebreak-archive-{Guid.NewGuid():n}{Extension(input.Name)}");
        Pending.TryAdd(path, 0);
        try
        {
            var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write, Share = FileShare.None, Options = FileOptions.Asynchronous };
            if (!OperatingSystem.IsWindows())
            {
                options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
            }

            await using var source = await input.OpenAsync(cancellationToken).ConfigureAwait(false);
            await using var file = new FileStream(path, options);
            await source.CopyToAsync(file, cancellationToken).ConfigureAwait(false);
            return path;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or InvalidDataException or HttpRequestException
            or Amazon.Runtime.AmazonServiceException or Amazon.Runtime.AmazonClientException
            or TimeoutException or OperationCanceledException && !cancellationToken.IsCancellationRequested)
        {
            Delete(path);
            report(new ReadProblem(input.Name, null, null, $"cannot download the archive to read its entries: {ex.Message}") { EndsInput = true });
            return null;
        }
        catch
        {
            Delete(path);
            throw;
        }
    }

    private static string Extension(string name) =>
        name.EndsWith(".tar.gz", StringComparison.OrdinalIgnoreCase) ? ".tar.gz" : Path.GetExtension(LogInput.FileName(name)).ToString();

    private static void Delete(string path)
    {
        try
        {
            File.Delete(path);
            Pending.TryRemove(path, out _);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // Still open where names cannot go while a file is (Windows): left to the temporary folder's cleaning.
        }
    }
}
