using System.IO.Compression;

namespace Firebreak.Detection.Readers.Sources;

/// <summary>
/// Logs handed over as a zip archive (a customer's folder of trail logs, a portal's download) are read entry by entry,
/// without unpacking them to disk: each file in it is an input named <c>archive.zip!path/in/archive.json.gz</c>, which
/// problems and hits cite, read as any file is (gzip inside, a CloudTrail digest passed by, a name's delivery time
/// compared with <c>--since</c>/<c>--until</c>). Folders, hidden files (a name part starting with a dot) and macOS's
/// <c>__MACOSX</c> forks are skipped, and an empty entry is warned of, as in a folder; entries come in ordinal order
/// of their names. An archive that cannot be read is an error naming it; an entry that cannot be unpacked
/// (encrypted, an unknown compression method) is reported when it is opened, and the others are read.
/// </summary>
public static class ZipLogArchive
{
    /// <summary>Whether a file is taken for a zip archive: by its name, as a folder listing knows it without opening it.</summary>
    public static bool IsArchiveName(string path) => path.EndsWith(".zip", StringComparison.OrdinalIgnoreCase);

    /// <summary>The entries of the archive at <paramref name="path"/> to read; problems with the archive go to <paramref name="report"/>.</summary>
    public static IEnumerable<LogInput> Entries(string path, Action<ReadProblem> report)
    {
        ArgumentNullException.ThrowIfNull(path);
        ArgumentNullException.ThrowIfNull(report);
        List<(string Name, long Length)> entries;
        try
        {
            using var archive = ZipFile.OpenRead(path);
            entries = [.. archive.Entries
                .Where(e => !e.FullName.EndsWith('/') && !Skipped(e.FullName))
                .Select(e => (e.FullName, e.Length))
                .DistinctBy(e => e.FullName, StringComparer.Ordinal)
                .OrderBy(e => e.FullName, StringComparer.Ordinal)];
        }
        catch (Exception ex) when (ex is IOException or InvalidDataException or UnauthorizedAccessException or NotSupportedException)
        {
            report(new ReadProblem(path, null, null, $"cannot read the zip archive: {ex.Message}") { EndsInput = true });
            yield break;
        }

        var identity = FolderListing.RealPath(path);
        foreach (var (name, length) in entries)
        {
            var input = $"{path}!{name}";
            if (length == 0)
            {
                report(new ReadProblem(input, null, null, "empty: nothing to read; skipped", ProblemSeverity.Warning) { EndsInput = true });
                continue;
            }

            yield return new LogInput(input, _ => Task.FromResult(Open(path, name)))
            {
                Size = length,
                Identity = $"{identity}!{name}",
                Archive = path,
            };
        }
    }

    private static bool Skipped(string name) =>
        name.Split('/').Any(part => part.StartsWith('.') || part.Equals("__MACOSX", StringComparison.Ordinal));

    private static Stream Open(string path, string name)
    {
        var archive = ZipFile.OpenRead(path);
        try
        {
            var entry = archive.GetEntry(name) ?? throw new IOException($"'{name}' is no longer in the archive");
            return new EntryStream(archive, entry.Open());
        }
        catch
        {
            archive.Dispose();
            throw;
        }
    }

    /// <summary>An entry's unpacked bytes; closing it closes the archive it came from.</summary>
    private sealed class EntryStream(ZipArchive archive, Stream entry) : ReadOnlyStream(entry)
    {
        public override int Read(Span<byte> buffer) => Inner.Read(buffer);

        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
            Inner.ReadAsync(buffer, cancellationToken);

        protected override void Dispose(bool disposing)
        {
            base.Dispose(disposing);
            if (disposing)
            {
                archive.Dispose();
            }
        }

        public override async ValueTask DisposeAsync()
        {
            await base.DisposeAsync().ConfigureAwait(false);
            archive.Dispose();
        }
    }
}
