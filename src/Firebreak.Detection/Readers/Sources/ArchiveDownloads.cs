using System.Runtime.CompilerServices;

namespace Firebreak.Detection.Readers.Sources;

/// <summary>
/// A zip, tar or 7z archive that comes as a stream is copied to a temporary file, readable by the user alone, and read
/// entry by entry from there as one on disk is (<see cref="ZipLogArchive"/>, <see cref="TarLogArchive"/>,
/// <see cref="SevenZipLogArchive"/>): an S3 object (a
/// customer's handover put in the evidence bucket), cited <c>s3://bucket/logs.zip!path/in/it.json</c>, and an archive inside
/// another (a zip of one tarball per account), cited <c>handover.zip!111122223333.tgz!AWSLogs/...</c>, up to
/// <see cref="MaxNesting"/> archives deep. A file that is no archive's entry is copied only from a <paramref name="remote"/>
/// source (S3): a local file or an upload named as an archive that its lister left whole holds none, and is read in place.
/// Reading a zip or 7z needs to seek and a tar is read forward twice, which a download
/// or an entry's stream allows neither of. The file is removed once the archive's entries are listed: the reader has
/// opened those it reads by then, and an open file stays readable when its name is gone. It takes the archive's size in
/// the temporary folder (<c>TMPDIR</c>) while it is read. An archive unpacked from another may hold at most
/// <paramref name="maxUnpackedBytes"/>: a small archive can unpack into a huge one, and this one is written to disk.
/// The copies go to <paramref name="temporaryFolder"/>, by default the system's.
/// Every other input passes through as it is.
/// </summary>
public sealed class ArchiveDownloads(ILogInputSource inner, bool remote = false, long maxUnpackedBytes = ArchiveDownloads.DefaultMaxUnpackedBytes, string? temporaryFolder = null) : ILogInputSource
{
    /// <summary>How many archives deep an entry may lie: an archive inside three others is reported, not opened.</summary>
    public const int MaxNesting = 3;

    public const long DefaultMaxUnpackedBytes = 4L * 1024 * 1024 * 1024;

    public IAsyncEnumerable<LogInput> ListAsync(Action<ReadProblem> report, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(report);
        return ExpandAsync(inner.ListAsync(report, cancellationToken), null, report, cancellationToken);
    }

    /// <summary>
    /// The inputs, each archive among them replaced by its entries, and so on inside those. An archive's entry (its
    /// <see cref="LogInput.ArchiveDepth"/> above 0) was unpacked, which an S3 object was not: only the former is held to
    /// the unpacked limit. <paramref name="itself"/> names the archive whose entries these are: a file named as an archive
    /// that holds none (a <c>.tar</c> that is no tar) comes back as itself, one input of that name, which is read as a
    /// file, not unpacked again.
    /// </summary>
    private async IAsyncEnumerable<LogInput> ExpandAsync(IAsyncEnumerable<LogInput> inputs, string? itself, Action<ReadProblem> report, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        await foreach (var input in inputs.ConfigureAwait(false))
        {
            if (input.Name == itself || (input.ArchiveDepth == 0 && !remote) || !LogArchives.IsArchiveName(input.Name))
            {
                yield return input;
                continue;
            }

            if (input.ArchiveDepth >= MaxNesting)
            {
                report(new ReadProblem(input.Name, null, null, $"an archive inside {MaxNesting} others is not opened; unpack the outer ones and hunt the folder") { EndsInput = true });
                continue;
            }

            var path = await DownloadAsync(input, input.ArchiveDepth > 0 ? maxUnpackedBytes : long.MaxValue, report, cancellationToken).ConfigureAwait(false);
            if (path is null)
            {
                continue;
            }

            try
            {
                await foreach (var entry in ExpandAsync(Entries(path, input, report), input.Name, report, cancellationToken).ConfigureAwait(false))
                {
                    cancellationToken.ThrowIfCancellationRequested();
                    yield return entry;
                }
            }
            finally
            {
                Delete(path);
            }
        }
    }

    /// <summary>
    /// The entries of the archive copied to <paramref name="path"/>, one level deeper than it, each known by the archive's
    /// own identity and its name within (not by the temporary file's): the same entry reached by two overlapping paths,
    /// or the same object listed by two prefixes, is read once. A file that holds no archive comes back as itself.
    /// </summary>
    private static async IAsyncEnumerable<LogInput> Entries(string path, LogInput archive, Action<ReadProblem> report)
    {
        foreach (var entry in StoredFileSource.Inputs(path, archive.Name, report))
        {
            yield return entry.Name == archive.Name
                ? entry with { Identity = archive.Identity, ArchiveDepth = archive.ArchiveDepth }
                : entry with { Identity = (archive.Identity ?? archive.Name) + entry.Name[archive.Name.Length..], ArchiveDepth = archive.ArchiveDepth + 1 };
        }

        await Task.CompletedTask.ConfigureAwait(false);
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
    private async Task<string?> DownloadAsync(LogInput input, long maxBytes, Action<ReadProblem> report, CancellationToken cancellationToken)
    {
        var path = Path.Combine(temporaryFolder ?? Path.GetTempPath(), $"firebreak-archive-{Guid.NewGuid():n}{Extension(input.Name)}");
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
            if (maxBytes == long.MaxValue)
            {
                await source.CopyToAsync(file, cancellationToken).ConfigureAwait(false);
                return path;
            }

            var buffer = new byte[81920];
            long copied = 0;
            int read;
            while ((read = await source.ReadAsync(buffer, cancellationToken).ConfigureAwait(false)) > 0)
            {
                copied += read;
                if (copied > maxBytes)
                {
                    await file.DisposeAsync().ConfigureAwait(false);
                    Delete(path);
                    report(new ReadProblem(input.Name, null, null, $"an archive inside another that unpacks to more than {Describe(maxBytes)} is not opened; unpack it and hunt the folder") { EndsInput = true });
                    return null;
                }

                await file.WriteAsync(buffer.AsMemory(0, read), cancellationToken).ConfigureAwait(false);
            }

            return path;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or InvalidDataException or HttpRequestException
            or Amazon.Runtime.AmazonServiceException or Amazon.Runtime.AmazonClientException
            or TimeoutException or OperationCanceledException && !cancellationToken.IsCancellationRequested)
        {
            Delete(path);
            report(new ReadProblem(input.Name, null, null, $"cannot {(input.ArchiveDepth > 0 ? "unpack" : "download")} the archive to read its entries: {ex.Message}") { EndsInput = true });
            return null;
        }
        catch
        {
            Delete(path);
            throw;
        }
    }

    private static string Describe(long bytes) => bytes >= 1024 * 1024 ? $"{bytes / (1024 * 1024)} MB" : $"{bytes} bytes";

    private static string Extension(string name) =>
        TarLogArchive.Endings.FirstOrDefault(ending => ending.StartsWith(".tar.", StringComparison.Ordinal) && name.EndsWith(ending, StringComparison.OrdinalIgnoreCase))
        ?? Path.GetExtension(LogInput.FileName(name)).ToString();

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
