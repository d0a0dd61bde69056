namespace Firebreak.Detection.Readers.Sources;

/// <summary>
/// One archive file shared by its entries (<see cref="ZipLogArchive"/>, <see cref="TarLogArchive"/>), which are read one
/// at a time, in the order they ask: opening the archive again for each entry made an archive of n entries cost n² (16,000
/// zip entries took 17 minutes). It is closed when no entry is being read or waiting for its turn and the listing has moved
/// past the archive; an entry waiting keeps it open, since a downloaded archive's file is gone by then and only the open
/// one can be read.
/// </summary>
internal abstract class SharedArchive
{
    private readonly SemaphoreSlim _turn = new(1, 1);
    private readonly Lock _gate = new();
    private bool _reading;
    private bool _listed;
    private int _waiting;

    /// <summary>The format's name in what its entries report ("zip", "tar").</summary>
    protected abstract string Kind { get; }

    /// <summary>Whether an entry's stream is the entry's own to close (a zip's), or the archive's read that the next goes on with (a tar's).</summary>
    protected abstract bool EntriesOwnTheirStreams { get; }

    /// <summary>The entry's bytes, opening the archive if it is not open; called under the lock, in the entry's turn.</summary>
    protected abstract Stream OpenEntry(int index);

    /// <summary>Closes the open archive, if any.</summary>
    protected abstract void Close();

    /// <summary>
    /// The entry's bytes once its turn comes, checked against its <paramref name="length"/> (and zip's CRC-32) at their end;
    /// closing the stream gives the next entry its turn.
    /// </summary>
    public async Task<Stream> OpenAsync(int index, long length, uint? crc, CancellationToken cancellationToken)
    {
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
            lock (_gate)
            {
                // From waiting to reading in one step under the lock: the listing's end, looking in between, would close it.
                _reading = true;
                Interlocked.Decrement(ref _waiting);
                return new EntryStream(this, OpenEntry(index), length, crc);
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
            if (!_reading && Volatile.Read(ref _waiting) == 0) Close();
        }
    }

    /// <summary>An entry has been read (or could not be opened): the next may be.</summary>
    private void Done()
    {
        lock (_gate)
        {
            _reading = false;
            if (_listed && Volatile.Read(ref _waiting) == 0) Close();
        }

        _turn.Release();
    }

    /// <summary>An entry's bytes, checked against its size (and CRC-32) at the end; closing it lets the next entry be read.</summary>
    private sealed class EntryStream(SharedArchive archive, Stream entry, long length, uint? crc) : ReadOnlyStream(entry)
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
            if (crc is not null)
            {
                _crc = Crc32.Update(_crc, buffer[..read]);
            }

            if (read == 0 && buffer.Length > 0 && (_read != length || crc is { } expected && ~_crc != expected))
            {
                throw new InvalidDataException(_read != length
                    ? $"the {archive.Kind} entry's data ends after {_read} of its {length} bytes: the archive is {(crc is null ? "cut short" : "damaged or cut short")}"
                    : $"the {archive.Kind} entry's data does not match its CRC-32: the archive is damaged");
            }

            return read;
        }

        protected override void Dispose(bool disposing)
        {
            if (archive.EntriesOwnTheirStreams)
            {
                base.Dispose(disposing);
            }

            if (disposing)
            {
                Release();
            }
        }

        public override async ValueTask DisposeAsync()
        {
            if (archive.EntriesOwnTheirStreams)
            {
                await base.DisposeAsync().ConfigureAwait(false);
            }

            Release();
        }

        private void Release()
        {
            if (!_closed)
            {
                _closed = true;
                archive.Done();
            }
        }
    }

    /// <summary>CRC-32 as zip computes it (IEEE 802.3, reflected, polynomial 0xEDB88320).</summary>
    internal static class Crc32
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
