using System.IO.Compression;
using SharpCompress.Readers.Zip;

namespace Firebreak.Detection.Readers.Sources;

/// <summary>
/// Logs handed over as a zip archive (a customer's folder of trail logs, a portal's download) are read entry by entry,
/// without unpacking them to disk: each file in it is an input named <c>archive.zip!path/in/archive.json.gz</c>, which
/// problems and hits cite, read as any file is (gzip inside, a CloudTrail digest passed by, a name's delivery time
/// compared with <c>--since</c>/<c>--until</c>). Folders, hidden files (a name part starting with a dot, other than
/// <c>.</c> and <c>..</c>) and macOS's <c>__MACOSX</c> forks are skipped, an empty entry is warned of, as in a folder,
/// and so is an encrypted one, which cannot be read; entries come in ordinal order of their names, two of the same
/// name both read (the second cited <c>name#2</c>). The archive is opened once and its entries read one after another, each checked against the size
/// and CRC-32 its headers give, so damaged or cut-short data is reported, not read as whole. An archive whose directory
/// cannot be read (a download cut short: the directory is at the end) is read forward from its start, behind each entry's
/// own header, in the order it holds them: the entries that are whole are read and the cut is an error naming the
/// archive. An archive that cannot be read at all is an error naming it; an entry that cannot be unpacked (an unknown
/// compression method) is reported when it is opened, and the others are read.
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
        List<(int Index, string Name, long Length, uint Crc, bool Encrypted)>? entries = null;
        string? unreadable = null;
        try
        {
            using var archive = ZipFile.OpenRead(path);
            entries = [.. archive.Entries
                .Select((e, i) => (Index: i, Name: e.FullName, e.Length, Crc: e.Crc32, Encrypted: e.IsEncrypted))
                .Where(e => !e.Name.EndsWith('/') && !e.Name.EndsWith('\\') && !Skipped(e.Name))
                .OrderBy(e => e.Name, StringComparer.Ordinal)
                .ThenBy(e => e.Index)];
        }
        catch (InvalidDataException ex)
        {
            unreadable = ex.Message;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or NotSupportedException)
        {
            report(new ReadProblem(name, null, null, $"cannot read the zip archive: {ex.Message}") { EndsInput = true });
            yield break;
        }

        // Without its directory (a download cut short loses the end, where the directory is), the archive is read forward
        // from its start, entry by entry behind each one's own header, as a tar cut short is: the entries wholly inside the
        // part that arrived are read, and the cut is reported.
        string? cut = null;
        if (entries is null)
        {
            (entries, cut) = ForwardEntries(path);
            if (entries.Count == 0)
            {
                report(new ReadProblem(name, null, null, $"cannot read the zip archive: {unreadable}") { EndsInput = true });
                yield break;
            }
        }

        var identity = FolderListing.RealPath(path);
        SharedArchive shared = cut is null ? new OpenZip(path) : new ForwardZip(path);
        try
        {
            string? previous = null;
            var seen = 0;
            Dictionary<string, int> names = new(StringComparer.Ordinal);
            foreach (var (index, entry, length, crc, encrypted) in entries)
            {
                // Entries of one name are all read, the second cited as name#2, since an import keeps its place by the input's
                // name and took the second for the first read again. (In the directory's order they come one after another.)
                seen = cut is null ? (entry == previous ? seen + 1 : 1) : names[entry] = names.GetValueOrDefault(entry) + 1;
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

            if (cut is not null)
            {
                report(new ReadProblem(name, null, null, $"cannot read the zip archive whole ({unreadable}): read from its start, it {cut}; the {entries.Count} file(s) before that are read") { EndsInput = true });
            }
        }
        finally
        {
            shared.ListingDone();
        }
    }

    /// <summary>
    /// The entries found reading the archive forward from its start, each checked whole (its bytes unpacked, counted and
    /// checked against the size and CRC-32 its header gives), in the order the archive holds them, and where and why the
    /// read stopped.
    /// </summary>
    private static (List<(int Index, string Name, long Length, uint Crc, bool Encrypted)> Entries, string Cut) ForwardEntries(string path)
    {
        List<(int Index, string Name, long Length, uint Crc, bool Encrypted)> entries = [];
        string? current = null;
        try
        {
            using var file = new FileStream(path, new FileStreamOptions { Access = FileAccess.Read, Share = FileShare.Read, Options = FileOptions.SequentialScan });
            using var reader = ZipReader.OpenReader(file, new SharpCompress.Readers.ReaderOptions());
            var buffer = new byte[1 << 16];
            for (var index = 0; reader.MoveToNextEntry(); index++)
            {
                var entry = reader.Entry;
                current = entry.Key ?? "";
                if (entry.IsDirectory || current.EndsWith('/') || current.EndsWith('\\') || Skipped(current))
                {
                    continue;
                }

                if (entry.IsEncrypted)
                {
                    entries.Add((index, current, 0, 0, true));
                    continue;
                }

                long length = 0;
                var crc = 0xFFFFFFFF;
                using (var data = reader.OpenEntryStream())
                {
                    int read;
                    while ((read = data.Read(buffer)) > 0)
                    {
                        length += read;
                        crc = SharedArchive.Crc32.Update(crc, buffer.AsSpan(0, read));
                    }
                }

                crc = ~crc;
                if ((entry.Size > 0 && length != entry.Size) || (entry.Crc != 0 && (uint)entry.Crc != crc))
                {
                    return (entries, $"stops inside {current}, whose data ends after {length} of its {entry.Size} bytes or does not match its CRC-32");
                }

                entries.Add((index, current, length, crc, false));
            }

            return (entries, "ends after its last whole file, without the directory that ends a zip archive: cut short");
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            return (entries, current is null ? $"cannot be read: {ex.Message}" : $"stops inside {current}: {ex.Message}");
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

    /// <summary>
    /// A forward read of an archive without its directory, shared by its entries (<see cref="SharedArchive"/>) and asked for
    /// in listing order, each by its place in the read; one asked for behind the read starts it again from the start.
    /// </summary>
    private sealed class ForwardZip(string path) : SharedArchive
    {
        private FileStream? _file;
        private SharpCompress.Readers.IReader? _reader;
        private int _position = -1;

        protected override string Kind => "zip";

        // Each entry's stream is closed before the next is read; the read goes on past what was left of it.
        protected override bool EntriesOwnTheirStreams => true;

        protected override Stream OpenEntry(int index)
        {
            try
            {
                if (_reader is null || index <= _position)
                {
                    Close();
                    _file = new FileStream(path, new FileStreamOptions { Access = FileAccess.Read, Share = FileShare.Read, Options = FileOptions.SequentialScan });
                    _reader = ZipReader.OpenReader(_file, new SharpCompress.Readers.ReaderOptions());
                }

                while (_position < index)
                {
                    if (!_reader.MoveToNextEntry())
                    {
                        throw new InvalidDataException("the zip archive ends before this entry: it changed since it was listed");
                    }

                    _position++;
                }

                return _reader.OpenEntryStream();
            }
            catch (Exception ex) when (ex is not (IOException or InvalidDataException or UnauthorizedAccessException or OperationCanceledException))
            {
                throw new InvalidDataException($"cannot read the zip archive: {ex.Message}", ex);
            }
        }

        protected override void Close()
        {
            _reader?.Dispose();
            _file?.Dispose();
            _reader = null;
            _file = null;
            _position = -1;
        }
    }
}
