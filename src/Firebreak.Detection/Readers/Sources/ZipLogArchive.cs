using System.IO.Compression;

namespace Firebreak.Detection.Readers.Sources;

/// <summary>
/// Logs handed over as a zip archive (a customer's folder of trail logs, a portal's download) are read entry by entry,
/// without unpacking them to disk: each file in it is an input named <c>archive.zip!path/in/archive.json.gz</c>, which
/// problems and hits cite, read as any file is (gzip inside, a CloudTrail digest passed by, a name's delivery time
/// compared with <c>--since</c>/<c>--until</c>). Folders, hidden files (a name part starting with a dot, other than
/// <c>.</c> and <c>..</c>) and macOS's <c>__MACOSX</c> forks are skipped, an empty entry is warned of, as in a folder,
/// and so is an encrypted one, which cannot be read; entries come in ordinal order of their names, two of the same
/// name both read (the second cited <c>name#2</c>). The archive is opened once and its entries read one after another, each checked against the size
/// and CRC-32 its headers give, so damaged or cut-short data is reported, not read as whole. An archive that cannot
/// be read is an error naming it; an entry that cannot be unpacked (an unknown compression method) is reported when it
/// is opened, and the others are read.
/// </summary>
public static class ZipLogArchive
{
    /// <summary>
    /// Whether a file is taken for a zip archive: named <c>.zip</c>, with a size. A named pipe or a device reports none
    /// (reading an archive needs seeking, and the listing would drain a pipe the read then waits on): it is read once as
    /// the plain file it is.
    /// </summary>
    public static bool IsArchive(string path) => IsArchiveName(path) && FileLogInputSource.StoredSize(path) > 0;

    /// <summary>Whether a name is a zip archive's: it ends in <c>.zip</c>.</summary>
    public static bool IsArchiveName(string name) => name.EndsWith(".zip", StringComparison.OrdinalIgnoreCase);

    /// <summary>
    /// The entries of the archive at <paramref name="path"/> to read, named after <paramref name="name"/> (an upload's own
    /// name, not where it was kept; the path when null); problems with the archive go to <paramref name="report"/>.
    /// </summary>
    public static IEnumerable<LogInput> Entries(string path, Action<ReadProblem> report, string? name = null)
    {
        ArgumentNullException.ThrowIfNull(path);
        ArgumentNullException.ThrowIfNull(report);
        name ??= path;
        List<(int Index, string Name, long Length, uint Crc, bool Encrypted)> entries;
        try
        {
            using var archive = ZipFile.OpenRead(path);
            entries = [.. archive.Entries
                .Select((e, i) => (Index: i, Name: e.FullName, e.Length, Crc: e.Crc32, Encrypted: e.IsEncrypted))
                .Where(e => !e.Name.EndsWith('/') && !e.Name.EndsWith('\\') && !Skipped(e.Name))
                .OrderBy(e => e.Name, StringComparer.Ordinal)
                .ThenBy(e => e.Index)];
        }
        catch (Exception ex) when (ex is IOException or InvalidDataException or UnauthorizedAccessException or NotSupportedException)
        {
            report(new ReadProblem(name, null, null, $"cannot read the zip archive: {ex.Message}") { EndsInput = true });
            yield break;
        }

        var identity = FolderListing.RealPath(path);
        var shared = new OpenZip(path);
        try
        {
            string? previous = null;
            var seen = 0;
            foreach (var (index, entry, length, crc, encrypted) in entries)
            {
                // Entries of one name come one after another: all are read, the second cited as name#2, since an import keeps
                // its place by the input's name and took the second for the first read again.
                seen = entry == previous ? seen + 1 : 1;
                previous = entry;
                var input = seen == 1 ? $"{name}!{entry}" : $"{name}!{entry}#{seen}";
                if (length == 0 || encrypted)
                {
                    report(new ReadProblem(input, null, null, encrypted ? "encrypted (password-protected): cannot be read; skipped" : "empty: nothing to read; skipped", ProblemSeverity.Warning) { EndsInput = true });
                    continue;
                }

                yield return new LogInput(input, cancellationToken => shared.OpenAsync(index, length, crc, cancellationToken))
                {
                    Size = length,
                    Identity = $"{identity}!{index}",
                    ArchiveDepth = 1,
                };
            }
        }
        finally
        {
            shared.ListingDone();
        }
    }

    /// <summary>Whether an archive's entry is left unread: a hidden name part (macOS's <c>._</c> forks among them) or under <c>__MACOSX</c>.</summary>
    internal static bool Skipped(string name) =>
        name.Split('/', '\\').Any(part => part is not ("." or "..") && part.StartsWith('.') || part.Equals("__MACOSX", StringComparison.Ordinal));

    /// <summary>One zip archive's open file, shared by its entries (<see cref="SharedArchive"/>).</summary>
    private sealed class OpenZip(string path) : SharedArchive
    {
        private ZipArchive? _archive;

        protected override string Kind => "zip";

        protected override bool EntriesOwnTheirStreams => true;

        protected override Stream OpenEntry(int index)
        {
            _archive ??= ZipFile.OpenRead(path);
            return _archive.Entries[index].Open();
        }

        protected override void Close()
        {
            _archive?.Dispose();
            _archive = null;
        }
    }
}
