using System.Runtime.CompilerServices;

namespace Firebreak.Detection.Readers.Sources;

/// <summary>
/// A zip or tar archive that comes as a stream is copied to a temporary file, readable by the user alone, and read entry
/// by entry from there as one on disk is (<see cref="ZipLogArchive"/>, <see cref="TarLogArchive"/>): an S3 object (a
/// customer's handover put in the evidence bucket), cited <c>s3://bucket/logs.zip!path/in/it.json</c>, and an archive inside
/// another (a zip of one tarball per account), cited <c>handover.zip!111122223333.tgz!AWSLogs/...</c>, up to
/// <see cref="MaxNesting"/> archives deep. Reading a zip needs to seek and a tar is read forward twice, which a download
/// or an entry's stream allows neither of. The file is removed once the archive's entries are listed: the reader has
/// opened those it reads by then, and an open file stays readable when its name is gone. It takes the archive's size in
/// the temporary folder (<c>TMPDIR</c>) while it is read. An archive unpacked from another may hold at most
/// <paramref name="maxUnpackedBytes"/>: a small archive can unpack into a huge one, and this one is written to disk.
/// Every other input passes through as it is.
/// </summary>
public sealed class ArchiveDownloads(ILogInputSource inner, long maxUnpackedBytes = ArchiveDownloads.DefaultMaxUnpackedBytes) : ILogInputSource
{
    /// <summary>How many archives deep an entry may lie: an archive inside three others is reported, not opened.</summary>
    public const int MaxNesting = 3;

    public const long DefaultMaxUnpackedBytes = 4L * 1024 * 1024 * 1024;

    public IAsyncEnumerable<LogInput> ListAsync(Action<ReadProblem> report, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(report);
        return ExpandAsync(inner.ListAsync(report, cancellationToken), 0, null, report, cancellationToken);
    }

    /// <summary>
    /// The inputs, each archive among them replaced by its entries, and so on inside those. <paramref name="depth"/> counts
    /// the archives opened here around <paramref name="inputs"/>; an input whose name says it is an archive's entry
    /// (<c>!</c>) was unpacked, which an S3 object was not. <paramref name="itself"/> names the archive whose entries
    /// these are: a file named as an archive that holds none (a <c>.tar</c> that is no tar) comes back as itself, one
    /// input of that name, which is read as a file, not unpacked again.
    /// </summary>
    private async IAsyncEnumerable<LogInput> ExpandAsync(IAsyncEnumerable<LogInput> inputs, int depth, string? itself, Action<ReadProblem> report, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        await foreach (var input in inputs.ConfigureAwait(false))
        {
            if (input.Name == itself || (!ZipLogArchive.IsArchiveName(input.Name) && !TarLogArchive.IsArchiveName(input.Name)))
            {
                yield return input;
                continue;
            }

            var unpacked = depth > 0 || input.Name.Contains('!', StringComparison.Ordinal);
            if (depth > MaxNesting || (unpacked && Nesting(input.Name) >= MaxNesting))
            {
                report(new ReadProblem(input.Name, null, null, $"an archive inside {MaxNesting} others is not opened; unpack the outer ones and hunt the folder") { EndsInput = true });
                continue;
            }

            var path = await DownloadAsync(input, unpacked ? maxUnpackedBytes : long.MaxValue, report, cancellationToken).ConfigureAwait(false);
            if (path is null)
            {
                continue;
            }

            try
            {
                await foreach (var entry in ExpandAsync(Entries(path, input.Name, report), depth + 1, input.Name, report, cancellationToken).ConfigureAwait(false))
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

    /// <summary>How many archives an entry's name says it lies in: <c>a.zip!b.tgz!c.json</c> lies in two.</summary>
    private static int Nesting(string name) => name.Count(c => c == '!');

    private static async IAsyncEnumerable<LogInput> Entries(string path, string name, Action<ReadProblem> report)
    {
        foreach (var entry in StoredFileSource.Inputs(path, name, report))
        {
            yield return entry;
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
    private static async Task<string?> DownloadAsync(LogInput input, long maxBytes, Action<ReadProblem> report, CancellationToken cancellationToken)
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
                    report(new ReadProblem(input.Name, null, null, $"an archive inside another that unpacks to more than {maxBytes / (1024 * 1024)} MB is not opened; unpack it and hunt the folder") { EndsInput = true });
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
            report(new ReadProblem(input.Name, null, null, $"cannot {(input.Name.Contains('!', StringComparison.Ordinal) ? "unpack" : "download")} the archive to read its entries: {ex.Message}") { EndsInput = true });
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
