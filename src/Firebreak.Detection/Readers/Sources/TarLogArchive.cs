using System.Formats.Tar;

namespace Firebreak.Detection.Readers.Sources;

/// <summary>
/// Logs handed over as a tar archive (<c>.tar</c>, or gzipped as <c>.tar.gz</c> or <c>.tgz</c>: what <c>tar czf</c> of a
/// synced bucket gives) are read entry by entry without unpacking them to disk, as a zip archive is
/// (<see cref="ZipLogArchive"/>): each file in it is an input named <c>archive.tgz!path/in/archive.json.gz</c>, read as any
/// file is. A tar archive has no directory to look entries up in, so entries come in the order the archive holds them,
/// and the archive is read forward twice: once to list its entries (a plain <c>.tar</c> on disk is skipped through,
/// a gzipped one is unpacked) and once to read them, in the order they were listed. Folders, hidden files and macOS's
/// <c>__MACOSX</c> and <c>._</c> forks are skipped; an empty entry is warned of, and so is a link, a device or any other
/// entry that is not a regular file. An entry whose data ends before the size its header gives is reported, not read
/// as whole; an archive that cannot be read on is an error naming where it stopped, and the entries before are read.
/// </summary>
public static class TarLogArchive
{
    /// <summary>
    /// Whether a file is taken for a tar archive: named <c>.tar</c>, <c>.tar.gz</c> or <c>.tgz</c>, with a size (a named
    /// pipe reports none, and is read once as the plain file it is).
    /// </summary>
    public static bool IsArchive(string path) => IsArchiveName(path) && FileLogInputSource.StoredSize(path) > 0;

    /// <summary>Whether a name is a tar archive's: it ends in <c>.tar</c>, <c>.tar.gz</c> or <c>.tgz</c>.</summary>
    public static bool IsArchiveName(string name) =>
        name.EndsWith(".tar", StringComparison.OrdinalIgnoreCase)
        || name.EndsWith(".tar.gz", StringComparison.OrdinalIgnoreCase)
        || name.EndsWith(".tgz", StringComparison.OrdinalIgnoreCase);

    /// <summary>
    /// The entries of the archive at <paramref name="path"/>, listed as it is read through and named after
    /// <paramref name="name"/> (an upload's own name; the path when null); problems with it go to <paramref name="report"/>.
    /// </summary>
    public static IEnumerable<LogInput> Entries(string path, Action<ReadProblem> report, string? name = null)
    {
        name ??= path;
        ArgumentNullException.ThrowIfNull(path);
        ArgumentNullException.ThrowIfNull(report);
        TarReader listing;
        try
        {
            listing = Open(path);
        }
        catch (Exception ex) when (ex is IOException or InvalidDataException or UnauthorizedAccessException)
        {
            report(new ReadProblem(name, null, null, $"cannot read the tar archive: {ex.Message}") { EndsInput = true });
            yield break;
        }

        var identity = FolderListing.RealPath(path);
        var shared = new SharedArchive(path);
        try
        {
            for (var index = 0; ; index++)
            {
                var (entry, problem) = Next(listing);
                if (problem is not null)
                {
                    report(new ReadProblem(name, null, null, index == 0
                        ? $"cannot read the tar archive: {problem}"
                        : $"cannot read the tar archive after its first {(index == 1 ? "entry" : $"{index} entries")}: {problem}; those are read") { EndsInput = true });
                    yield break;
                }

                if (entry is null)
                {
                    yield break;
                }

                if (entry.EntryType is TarEntryType.Directory || ZipLogArchive.Skipped(entry.Name) || entry.Name.EndsWith('/'))
                {
                    continue;
                }

                var input = $"{name}!{entry.Name}";
                if (entry.EntryType is not (TarEntryType.RegularFile or TarEntryType.V7RegularFile or TarEntryType.ContiguousFile))
                {
                    report(new ReadProblem(input, null, null, $"{Describe(entry.EntryType)} inside the tar archive, not a file: skipped", ProblemSeverity.Warning) { EndsInput = true });
                    continue;
                }

                if (entry.Length == 0)
                {
                    report(new ReadProblem(input, null, null, "empty: nothing to read; skipped", ProblemSeverity.Warning) { EndsInput = true });
                    continue;
                }

                var position = index;
                var length = entry.Length;
                yield return new LogInput(input, cancellationToken => shared.OpenAsync(position, length, cancellationToken))
                {
                    Size = length,
                    Identity = $"{identity}!{index}",
                };
            }
        }
        finally
        {
            listing.Dispose();
            shared.ListingDone();
        }
    }

    /// <summary>The archive read from its start: unpacked on the fly when it is gzipped, whatever its name says.</summary>
    private static TarReader Open(string path)
    {
        var file = new FileStream(path, new FileStreamOptions { Access = FileAccess.Read, Share = FileShare.Read, Options = FileOptions.SequentialScan });
        try
        {
            Span<byte> magic = stackalloc byte[2];
            var gzipped = file.ReadAtLeast(magic, 2, throwOnEndOfStream: false) == 2 && magic is [0x1F, 0x8B];
            file.Position = 0;
            return new TarReader(gzipped ? new CheckedGzipStream(file) : file, leaveOpen: false);
        }
        catch
        {
            file.Dispose();
            throw;
        }
    }

    /// <summary>The next entry, null at the archive's end, or why the archive cannot be read on.</summary>
    private static (TarEntry? Entry, string? Problem) Next(TarReader reader)
    {
        try
        {
            return (reader.GetNextEntry(), null);
        }
        catch (Exception ex) when (ex is IOException or InvalidDataException or FormatException or ArgumentException)
        {
            return (null, ex is EndOfStreamException ? "it ends in the middle of an entry: cut short" : ex.Message);
        }
    }

    private static string Describe(TarEntryType type) => type switch
    {
        TarEntryType.SymbolicLink => "a symbolic link",
        TarEntryType.HardLink => "a hard link",
        TarEntryType.CharacterDevice or TarEntryType.BlockDevice => "a device",
        TarEntryType.Fifo => "a named pipe",
        TarEntryType.SparseFile => "a sparse file",
        _ => $"an entry of type {type}",
    };

    /// <summary>
    /// One forward read of the archive, shared by its entries, which are read one at a time and in the order they are
    /// asked for (the reader asks in listing order). Entries never asked for (passed by as digests or for their times)
    /// are skipped through; one asked for behind the read starts it again from the archive's start. It is closed when
    /// no entry is being read and the listing has moved past the archive.
    /// </summary>
    private sealed class SharedArchive(string path)
    {
        private readonly SemaphoreSlim _turn = new(1, 1);
        private readonly Lock _gate = new();
        private TarReader? _reader;
        private int _position = -1;
        private bool _reading;
        private bool _listed;

        public async Task<Stream> OpenAsync(int index, long length, CancellationToken cancellationToken)
        {
            await _turn.WaitAsync(cancellationToken).ConfigureAwait(false);
            try
            {
                lock (_gate)
                {
                    if (_reader is null || index <= _position)
                    {
                        Close();
                        _reader = Open(path);
                    }

                    TarEntry? entry = null;
                    while (_position < index)
                    {
                        entry = _reader.GetNextEntry() ?? throw new InvalidDataException("the tar archive ends before this entry: it changed since it was listed");
                        _position++;
                    }

                    _reading = true;
                    return new EntryStream(this, entry!.DataStream ?? Stream.Null, length);
                }
            }
            catch
            {
                Done();
                throw;
            }
        }

        public void ListingDone()
        {
            lock (_gate)
            {
                _listed = true;
                if (!_reading) Close();
            }
        }

        /// <summary>An entry has been read (or could not be opened): the next may be.</summary>
        public void Done()
        {
            lock (_gate)
            {
                _reading = false;
                if (_listed) Close();
            }

            _turn.Release();
        }

        private void Close()
        {
            _reader?.Dispose();
            _reader = null;
            _position = -1;
        }
    }

    /// <summary>An entry's bytes, checked against the size its header gives at the end; closing it lets the next entry be read.</summary>
    private sealed class EntryStream(SharedArchive archive, Stream entry, long length) : ReadOnlyStream(entry)
    {
        private long _read;
        private bool _closed;

        public override int Read(Span<byte> buffer) => Check(Inner.Read(buffer), buffer.Length);

        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
            Check(await Inner.ReadAsync(buffer, cancellationToken).ConfigureAwait(false), buffer.Length);

        private int Check(int read, int asked)
        {
            _read += read;
            if (read == 0 && asked > 0 && _read != length)
            {
                throw new InvalidDataException($"the tar entry's data ends after {_read} of its {length} bytes: the archive is cut short");
            }

            return read;
        }

        // The entry's data belongs to the archive's read, which the next entry goes on with: it is left open here.
        protected override void Dispose(bool disposing)
        {
            if (disposing && !_closed)
            {
                _closed = true;
                archive.Done();
            }
        }

        public override ValueTask DisposeAsync()
        {
            Dispose(true);
            return ValueTask.CompletedTask;
        }
    }
}
