using SharpCompress.Archives;
using SharpCompress.Archives.SevenZip;

namespace Firebreak.Detection.Readers.Sources;

/// <summary>
/// Logs handed over as a 7z archive (<c>.7z</c>: what a customer's or another team's responders often send, since 7-Zip
/// packs JSON logs tighter than zip) are read entry by entry without unpacking them to disk, as a zip or tar archive is
/// (<see cref="ZipLogArchive"/>, <see cref="TarLogArchive"/>): each file in it is an input named
/// <c>archive.7z!path/in/archive.json</c>, read as any file is. Entries come in the order the archive holds them, since a
/// solid archive (7-Zip's default) packs many files into one compressed stream that can only be read forward: the
/// archive's directory is read once to list them and the entries are then read in one pass. Folders, hidden files,
/// macOS's <c>__MACOSX</c> forks and deletion markers are skipped; an empty or encrypted entry is warned of, and an
/// archive whose names are encrypted too is an error, as is one that cannot be read. An entry whose bytes do not match the
/// size and CRC-32 its archive records is reported, not read as whole. A file named <c>.7z</c> that is no 7z archive is
/// read as the file it is.
/// </summary>
public static class SevenZipLogArchive
{
    /// <summary>The six bytes a 7z archive starts with.</summary>
    private static ReadOnlySpan<byte> Signature => [(byte)'7', (byte)'z', 0xBC, 0xAF, 0x27, 0x1C];

    /// <summary>Whether a file is taken for a 7z archive: named <c>.7z</c>, with a size, starting with 7z's signature.</summary>
    public static bool IsArchive(string path) => IsArchiveName(path) && FileLogInputSource.StoredSize(path) > 0 && Holds(path);

    /// <summary>Whether a name is a 7z archive's: it ends in <c>.7z</c>.</summary>
    public static bool IsArchiveName(string name) => name.EndsWith(".7z", StringComparison.OrdinalIgnoreCase);

    /// <summary>Whether the file starts with 7z's signature.</summary>
    public static bool Holds(string path) => FileLogInputSource.FirstBytes(path, Signature.Length).AsSpan().SequenceEqual(Signature);

    /// <summary>
    /// The entries of the archive at <paramref name="path"/> to read, named after <paramref name="name"/> (an upload's own
    /// name; the path when null); problems with the archive go to <paramref name="report"/>.
    /// </summary>
    public static IEnumerable<LogInput> Entries(string path, Action<ReadProblem> report, string? name = null)
    {
        ArgumentNullException.ThrowIfNull(path);
        ArgumentNullException.ThrowIfNull(report);
        name ??= path;
        List<(int Index, string Name, int Occurrence, long Length, uint? Crc, bool Encrypted)> entries = [];
        try
        {
            using var archive = SevenZipArchive.OpenArchive(path, new SharpCompress.Readers.ReaderOptions());
            var index = 0;
            // Which of its name each entry is, among every entry that is no folder, as the forward read counts them.
            Dictionary<string, int> occurrences = new(StringComparer.Ordinal);
            foreach (var entry in archive.Entries.Cast<SevenZipArchiveEntry>())
            {
                var key = entry.Key ?? "";
                var occurrence = entry.IsDirectory ? 0 : occurrences[key] = occurrences.GetValueOrDefault(key) + 1;
                if (!entry.IsDirectory && !entry.IsAnti && key.Length > 0 && !key.EndsWith('/') && !key.EndsWith('\\') && !ZipLogArchive.Skipped(key))
                {
                    // A file the archive records no CRC for has 0 here; such a file is checked by its size alone.
                    entries.Add((index, key, occurrence, entry.Size, entry.Crc == 0 ? null : (uint)entry.Crc, entry.IsEncrypted));
                }

                index++;
            }
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            report(new ReadProblem(name, null, null, ex is SharpCompress.Common.CryptographicException
                ? "the 7z archive's names are encrypted (password-protected): it cannot be read"
                : $"cannot read the 7z archive: {Describe(ex)}") { EndsInput = true });
            yield break;
        }

        var identity = FolderListing.RealPath(path);
        var shared = new ForwardRead(path);
        Dictionary<UInt128, int> names = [];
        try
        {
            foreach (var (index, entry, occurrence, length, crc, encrypted) in entries)
            {
                // Entries of one name (added again with 7z u) are all read, the second cited as name#2, as a tar's are.
                var key = LogInputSources.Digest(entry);
                var seen = names.GetValueOrDefault(key) + 1;
                names[key] = seen;
                var input = seen == 1 ? $"{name}!{entry}" : $"{name}!{entry}#{seen}";
                if (length == 0 || encrypted)
                {
                    report(new ReadProblem(input, null, null, encrypted ? "encrypted (password-protected): cannot be read; skipped" : "empty: nothing to read; skipped", ProblemSeverity.Warning) { EndsInput = true });
                    continue;
                }

                var wanted = shared.Want(entry, occurrence);
                yield return new LogInput(input, cancellationToken => shared.OpenAsync(wanted, length, crc, cancellationToken))
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

    /// <summary>
    /// One forward read of the archive's entries, shared by them (<see cref="SharedArchive"/>) and asked for in listing
    /// order. The forward read need not give entries in the directory's order (SharpCompress gives every folder first), so
    /// an entry is found by its name and which of that name it is, not by its place. Entries never asked for are unpacked
    /// past; one asked for behind the read starts it again from the start.
    /// </summary>
    private sealed class ForwardRead(string path) : SharedArchive
    {
        private readonly List<(string Name, int Occurrence)> _wanted = [];
        private readonly Dictionary<string, int> _passed = new(StringComparer.Ordinal);
        private IArchive? _archive;
        private SharpCompress.Readers.IReader? _reader;

        protected override string Kind => "7z";

        // Each entry's stream is closed before the next is read; the read goes on past what was left of it.
        protected override bool EntriesOwnTheirStreams => true;

        /// <summary>The number to ask for the <paramref name="occurrence"/>-th entry named <paramref name="name"/> by.</summary>
        public int Want(string name, int occurrence)
        {
            // Listed on one thread while entries listed earlier are read on others.
            lock (_wanted)
            {
                _wanted.Add((name, occurrence));
                return _wanted.Count - 1;
            }
        }

        protected override Stream OpenEntry(int index)
        {
            string name;
            int occurrence;
            lock (_wanted)
            {
                (name, occurrence) = _wanted[index];
            }

            try
            {
                if (_reader is null || _passed.GetValueOrDefault(name) >= occurrence)
                {
                    Close();
                    _archive = SevenZipArchive.OpenArchive(path, new SharpCompress.Readers.ReaderOptions());
                    _reader = _archive.ExtractAllEntries();
                }

                while (true)
                {
                    if (!_reader.MoveToNextEntry())
                    {
                        throw new InvalidDataException("the 7z archive ends before this entry: it changed since it was listed");
                    }

                    if (_reader.Entry.IsDirectory)
                    {
                        continue;
                    }

                    var key = _reader.Entry.Key ?? "";
                    var seen = _passed.GetValueOrDefault(key) + 1;
                    _passed[key] = seen;
                    if (key == name && seen == occurrence)
                    {
                        return new Decompression.Guarded(_reader.OpenEntryStream(), "7z");
                    }
                }
            }
            catch (Exception ex) when (ex is not (IOException or InvalidDataException or UnauthorizedAccessException or OperationCanceledException))
            {
                throw new InvalidDataException($"cannot read the 7z archive: {Describe(ex)}", ex);
            }
        }

        protected override void Close()
        {
            _reader?.Dispose();
            _archive?.Dispose();
            _reader = null;
            _archive = null;
            _passed.Clear();
        }
    }

    /// <summary>
    /// What went wrong, in words: SharpCompress's own exceptions often carry only their type's name, and a header claiming
    /// more entries than can be held fails with <see cref="OutOfMemoryException"/> at the single allocation it asks for.
    /// </summary>
    private static string Describe(Exception ex) => ex switch
    {
        OutOfMemoryException => "its header claims more entries or streams than can be held (a damaged or hostile archive)",
        _ when ex.Message.StartsWith("Exception of type", StringComparison.Ordinal) => $"it is damaged ({ex.GetType().Name.Replace("Exception", "", StringComparison.Ordinal)})",
        _ => ex.Message,
    };
}
