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
        var shared = new SharedArchive(path);
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

    /// <summary>
    /// One archive's open file, shared by its entries, which are read one at a time: parsing the archive's directory for
    /// each entry made an archive of n entries cost n² (16,000 entries took 17 minutes, against 2 s as a folder). It is
    /// closed when no entry is being read and the listing has moved past the archive.
    /// </summary>
    private sealed class SharedArchive(string path)
    {
        private readonly SemaphoreSlim _turn = new(1, 1);
        private readonly Lock _gate = new();
        private ZipArchive? _archive;
        private bool _reading;
        private bool _listed;
        private int _waiting;

        public async Task<Stream> OpenAsync(int index, long length, uint crc, CancellationToken cancellationToken)
        {
            // Counted while waiting for its turn, so the entry before it does not close the archive this one is read from
            // (a downloaded archive's file is gone by then, and only the open one can be read).
            Interlocked.Increment(ref _waiting);
            try
            {
                await _turn.WaitAsync(cancellationToken).ConfigureAwait(false);
            }
            catch
            {
                // Given up waiting (the read was stopped): the last one waiting closes what the others left open for it.
                lock (_gate)
                {
                    Interlocked.Decrement(ref _waiting);
                    if (_listed && !_reading && _waiting == 0) Close();
                }

                throw;
            }

            try
            {
                Stream entry;
                lock (_gate)
                {
                    // From waiting to reading in one step under the lock: the listing's end, looking in between, would close it.
                    _reading = true;
                    Interlocked.Decrement(ref _waiting);
                    _archive ??= ZipFile.OpenRead(path);
                    entry = _archive.Entries[index].Open();
                }

                return new EntryStream(this, entry, length, crc);
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
                if (!_reading && Volatile.Read(ref _waiting) == 0) Close();
            }
        }

        /// <summary>An entry has been read (or could not be opened): the next may be.</summary>
        public void Done()
        {
            lock (_gate)
            {
                _reading = false;
                if (_listed && Volatile.Read(ref _waiting) == 0) Close();
            }

            _turn.Release();
        }

        private void Close()
        {
            _archive?.Dispose();
            _archive = null;
        }
    }

    /// <summary>An entry's unpacked bytes, checked against its size and CRC-32 at the end; closing it lets the next entry be read.</summary>
    private sealed class EntryStream(SharedArchive archive, Stream entry, long length, uint crc) : ReadOnlyStream(entry)
    {
        private long _read;
        private uint _crc = 0xFFFFFFFF;
        private bool _closed;

        public override int Read(Span<byte> buffer) => Check(Inner.Read(buffer), buffer);

        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
            Check(await Inner.ReadAsync(buffer, cancellationToken).ConfigureAwait(false), buffer.Span);

        private int Check(int read, ReadOnlySpan<byte> buffer)
        {
            _read += read;
            _crc = Crc32.Update(_crc, buffer[..read]);
            if (read == 0 && buffer.Length > 0 && (_read != length || ~_crc != crc))
            {
                throw new InvalidDataException(_read != length
                    ? $"the zip entry's data ends after {_read} of its {length} bytes: the archive is damaged or cut short"
                    : "the zip entry's data does not match its CRC-32: the archive is damaged");
            }

            return read;
        }

        protected override void Dispose(bool disposing)
        {
            base.Dispose(disposing);
            if (disposing && !_closed)
            {
                _closed = true;
                archive.Done();
            }
        }

        public override async ValueTask DisposeAsync()
        {
            await base.DisposeAsync().ConfigureAwait(false);
            if (!_closed)
            {
                _closed = true;
                archive.Done();
            }
        }
    }

    /// <summary>CRC-32 as zip computes it (IEEE 802.3, reflected, polynomial 0xEDB88320).</summary>
    private static class Crc32
    {
        private static readonly uint[] Table = Build();

        private static uint[] Build()
        {
            var table = new uint[256];
            for (uint n = 0; n < 256; n++)
            {
                var c = n;
                for (var k = 0; k < 8; k++)
                {
                    c = (c & 1) != 0 ? 0xEDB88320 ^ (c >> 1) : c >> 1;
                }

                table[n] = c;
            }

            return table;
        }

        public static uint Update(uint crc, ReadOnlySpan<byte> bytes)
        {
            foreach (var b in bytes)
            {
                crc = Table[(crc ^ b) & 0xFF] ^ (crc >> 8);
            }

            return crc;
        }
    }
}
