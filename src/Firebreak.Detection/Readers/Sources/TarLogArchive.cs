using System.Formats.Tar;

namespace Firebreak.Detection.Readers.Sources;

/// <summary>
/// Logs handed over as a tar archive (<c>.tar</c>, or compressed as <c>.tar.gz</c> or <c>.tgz</c>: what <c>tar czf</c> of a
/// synced bucket gives; <c>.tar.bz2</c>, <c>.tar.xz</c>, <c>.tar.zst</c> and their short forms too) are read entry by entry without unpacking them to disk, as a zip archive is
/// (<see cref="ZipLogArchive"/>): each file in it is an input named <c>archive.tgz!path/in/archive.json.gz</c>, read as any
/// file is. A tar archive has no directory to look entries up in, so entries come in the order the archive holds them,
/// and the archive is read forward twice: once to list its entries (a plain <c>.tar</c> on disk is skipped through,
/// a compressed one is unpacked) and once to read them, in the order they were listed. Folders, hidden files and macOS's
/// <c>__MACOSX</c> and <c>._</c> forks are skipped; an empty entry is warned of, and so is a link, a device or any other
/// entry that is not a regular file; entries of one name are all read, the second cited <c>name#2</c>. A file is taken
/// for an archive only when its first block is a tar header (<see cref="Holds"/>). An entry whose data ends before the
/// size its header gives is reported, not read as whole; an archive that cannot be read on, that lacks the blocks of
/// zeros that end it or that goes on after them is an error saying after how many files it stopped, and those are read;
/// so is one with a header claiming more than <see cref="MaxMetadataBytes"/> of names or attributes (<see cref="HeaderCheck"/>).
/// </summary>
public static class TarLogArchive
{
    /// <summary>
    /// Whether a file is taken for a tar archive: named as one (<see cref="Endings"/>), with a size (a named
    /// pipe reports none, and is read once as the plain file it is).
    /// </summary>
    public static bool IsArchive(string path) => IsArchiveName(path) && FileLogInputSource.StoredSize(path) > 0 && Holds(path);

    /// <summary>The endings of a tar archive's name: plain, and compressed by each of <see cref="Decompression"/>'s compressions.</summary>
    public static readonly string[] Endings = [".tar", ".tar.gz", ".tgz", ".tar.bz2", ".tbz2", ".tbz", ".tar.xz", ".txz", ".tar.zst", ".tzst"];

    /// <summary>Whether a name is a tar archive's: it ends in one of <see cref="Endings"/>.</summary>
    public static bool IsArchiveName(string name) => Endings.Any(ending => name.EndsWith(ending, StringComparison.OrdinalIgnoreCase));

    /// <summary>
    /// The entries of the archive at <paramref name="path"/>, listed as it is read through and named after
    /// <paramref name="name"/> (an upload's own name; the path when null); problems with it go to <paramref name="report"/>.
    /// </summary>
    public static IEnumerable<LogInput> Entries(string path, Action<ReadProblem> report, string? name = null)
    {
        ArgumentNullException.ThrowIfNull(path);
        ArgumentNullException.ThrowIfNull(report);
        name ??= path;
        TailStream tail;
        TarReader listing;
        try
        {
            tail = new TailStream(OpenStream(path));
            listing = new TarReader(new HeaderCheck(tail), leaveOpen: false);
        }
        catch (Exception ex) when (ex is IOException or InvalidDataException or UnauthorizedAccessException)
        {
            report(new ReadProblem(name, null, null, $"cannot read the tar archive: {ex.Message}") { EndsInput = true });
            yield break;
        }

        var identity = FolderListing.RealPath(path);
        var shared = new ForwardRead(path);
        // Entries of one name (a file appended again with tar rf) are all read, the second cited as name#2: an import
        // keeps its place by the input's name, and took the second for the first read again.
        Dictionary<UInt128, int> names = [];
        var listed = 0;
        try
        {
            for (var index = 0; ; index++)
            {
                var (entry, problem) = Next(listing);
                if (entry is null && problem is null)
                {
                    problem = End(tail);
                }

                if (problem is not null)
                {
                    report(new ReadProblem(name, null, null, listed == 0
                        ? $"cannot read the tar archive: {problem}"
                        : $"cannot read the tar archive after {listed} of its files: {problem}") { EndsInput = true });
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

                var key = LogInputSources.Digest(entry.Name);
                var seen = names.GetValueOrDefault(key) + 1;
                names[key] = seen;
                var input = seen == 1 ? $"{name}!{entry.Name}" : $"{name}!{entry.Name}#{seen}";
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

                listed++;
                var position = index;
                var length = entry.Length;
                yield return new LogInput(input, cancellationToken => shared.OpenAsync(position, length, null, cancellationToken))
                {
                    Size = length,
                    Identity = $"{identity}!{index}",
                    ArchiveDepth = 1,
                };
            }
        }
        finally
        {
            listing.Dispose();
            shared.ListingDone();
        }
    }

    /// <summary>
    /// Whether the file holds a tar archive, compressed or not: its first block is a header whose checksum is right (or is all
    /// zeros: an archive of nothing). A file named <c>.tar</c> that is none is read as the file it is, as before.
    /// </summary>
    public static bool Holds(string path)
    {
        try
        {
            using var stream = OpenStream(path);
            var header = new byte[Block];
            return stream.ReadAtLeast(header, Block, throwOnEndOfStream: false) == Block
                && (header.AsSpan().IndexOfAnyExcept((byte)0) < 0 || ChecksumHolds(header));
        }
        catch (Exception ex) when (ex is IOException or InvalidDataException or UnauthorizedAccessException)
        {
            return false;
        }
    }

    /// <summary>Whether the file is compressed (a tarball's entries can then only be listed by unpacking all of it).</summary>
    public static bool IsCompressed(string path) => Decompression.Kind(FileLogInputSource.FirstBytes(path, Decompression.MagicLength)) is not null;

    private const int Block = 512;

    /// <summary>
    /// The most data a pax extended header or a GNU long name may hold: the runtime reads it whole into memory, and real
    /// archives need a few kilobytes (a long path, a few attributes).
    /// </summary>
    public const int MaxMetadataBytes = 1024 * 1024;

    /// <summary>A header's checksum: the sum of its bytes with the checksum field taken as spaces, written in octal at 148.</summary>
    private static bool ChecksumHolds(ReadOnlySpan<byte> header)
    {
        var field = header[148..156];
        var start = field.IndexOfAnyExcept((byte)' ', (byte)'0');
        long written = 0;
        var digits = 0;
        foreach (var b in start < 0 ? [] : field[start..])
        {
            if (b is (byte)0 or (byte)' ') break;
            if (b is < (byte)'0' or > (byte)'7') return false;
            written = (written * 8) + (b - '0');
            digits++;
        }

        if (digits == 0 && start >= 0) return false;
        long unsigned = 0, signed = 0;
        for (var i = 0; i < Block; i++)
        {
            var b = i is >= 148 and < 156 ? (byte)' ' : header[i];
            unsigned += b;
            signed += (sbyte)b;
        }

        // Some old writers summed signed bytes.
        return written == unsigned || written == signed;
    }

    /// <summary>
    /// Why the archive's end is no end (null when it is): a tar archive ends in blocks of zeros. Without them it was cut
    /// short at an entry's edge; with anything but zeros after them (two archives joined with cat, a block zeroed in the
    /// middle), that is not read and must not go unsaid.
    /// </summary>
    private static string? End(TailStream tail)
    {
        if (!tail.LastBlockWasZeros)
        {
            return "it ends without the blocks of zeros that end a tar archive: cut short";
        }

        try
        {
            return tail.RestIsZeros()
                ? null
                : "it goes on after the blocks of zeros that end a tar archive (archives joined into one file, or a damaged one); what follows is not read";
        }
        catch (Exception ex) when (ex is IOException or InvalidDataException)
        {
            return ex.Message;
        }
    }

    /// <summary>The archive's bytes from its start: unpacked on the fly when it is compressed, whatever its name says.</summary>
    private static Stream OpenStream(string path)
    {
        var file = new FileStream(path, new FileStreamOptions { Access = FileAccess.Read, Share = FileShare.Read, Options = FileOptions.SequentialScan });
        try
        {
            Span<byte> magic = stackalloc byte[Decompression.MagicLength];
            var compression = Decompression.Kind(magic[..file.ReadAtLeast(magic, magic.Length, throwOnEndOfStream: false)]);
            file.Position = 0;
            return compression is null ? file : Decompression.Open(file, compression);
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
        catch (Exception ex) when (ex is IOException or InvalidDataException or FormatException or ArgumentException or NotSupportedException)
        {
            // NotSupportedException: a GNU sparse file's header, which the runtime does not read past.
            return (null, ex is EndOfStreamException ? "it stops before its end: cut short" : ex.Message);
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
    /// One forward read of the archive, shared by its entries (<see cref="SharedArchive"/>), which the reader asks for in
    /// listing order. Entries never asked for (passed by as digests or for their times) are skipped through; one asked for
    /// behind the read starts it again from the archive's start.
    /// </summary>
    private sealed class ForwardRead(string path) : SharedArchive
    {
        private TarReader? _reader;
        private int _position = -1;

        protected override string Kind => "tar";

        // The entry's data belongs to the archive's read, which the next entry goes on with.
        protected override bool EntriesOwnTheirStreams => false;

        protected override Stream OpenEntry(int index)
        {
            if (_reader is null || index <= _position)
            {
                Close();
                _reader = new TarReader(new HeaderCheck(OpenStream(path)), leaveOpen: false);
            }

            TarEntry? entry = null;
            while (_position < index)
            {
                try
                {
                    entry = _reader.GetNextEntry();
                }
                catch (Exception ex) when (ex is FormatException or ArgumentException or NotSupportedException)
                {
                    throw new InvalidDataException(ex.Message, ex);
                }

                _ = entry ?? throw new InvalidDataException("the tar archive ends before this entry: it changed since it was listed");
                _position++;
            }

            return entry!.DataStream ?? Stream.Null;
        }

        protected override void Close()
        {
            _reader?.Dispose();
            _reader = null;
            _position = -1;
        }
    }

    /// <summary>
    /// The archive as the runtime's <see cref="TarReader"/> reads it, each header looked at before the reader is given it.
    /// The reader takes a pax extended header's data ('x', 'g') or a GNU long name ('L', 'K') whole into memory, renting an
    /// array of the size the header claims before it reads a byte of it: a 4.5 KB file claiming 2 GB took 2 GB, and under a
    /// container's memory limit ended the whole hunt. A header claiming more than <see cref="MaxMetadataBytes"/> of them is
    /// an <see cref="InvalidDataException"/>, which the listing reports as the archive's damage. Headers are found where the
    /// format puts them, after each entry's data rounded up to whole blocks (the size a pax header gives the entry after it
    /// taken over the entry's own field), and no read goes past one unseen.
    /// </summary>
    private sealed class HeaderCheck(Stream inner) : Stream
    {
        private readonly byte[] _block = new byte[Block];
        // The header read ahead of the reader: bytes of it handed on, and bytes of it held.
        private int _blockRead;
        private int _blockHeld;
        // Where the reader is, and where the next header is.
        private long _position;
        private long _next;
        // A pax extended header's data, kept as it passes to learn the size it gives the next entry.
        private byte[]? _pax;
        private long _paxStart;
        private long? _paxSize;

        public override bool CanRead => true;

        public override bool CanSeek => inner.CanSeek;

        public override bool CanWrite => false;

        public override long Length => inner.Length;

        public override long Position
        {
            get => _position;
            set
            {
                inner.Position = value;
                _position = value;
                _blockRead = _blockHeld = 0;
            }
        }

        public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

        public override int Read(Span<byte> buffer)
        {
            if (buffer.IsEmpty)
            {
                return 0;
            }

            if (_blockRead == _blockHeld)
            {
                if (_position > _next)
                {
                    // Moved past a header unseen (a size misread): each block from here on that is a header is looked at.
                    _next = (_position + Block - 1) / Block * Block;
                }

                if (_position == _next)
                {
                    ReadHeader();
                }
            }

            int read;
            if (_blockRead < _blockHeld)
            {
                read = Math.Min(buffer.Length, _blockHeld - _blockRead);
                _block.AsSpan(_blockRead, read).CopyTo(buffer);
                _blockRead += read;
            }
            else
            {
                read = inner.Read(buffer[..(int)Math.Min(buffer.Length, _next - _position)]);
                if (_pax is not null && _position - _paxStart < _pax.Length)
                {
                    var at = (int)(_position - _paxStart);
                    buffer[..Math.Min(read, _pax.Length - at)].CopyTo(_pax.AsSpan(at));
                }
            }

            _position += read;
            return read;
        }

        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
            ValueTask.FromResult(Read(buffer.Span));

        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            Task.FromResult(Read(buffer.AsSpan(offset, count)));

        /// <summary>Reads the block at <see cref="_next"/> ahead of the reader, refuses it if it claims too much, and finds the header after it.</summary>
        private void ReadHeader()
        {
            if (_pax is not null)
            {
                _paxSize = PaxSize(_pax);
                _pax = null;
            }

            _blockRead = 0;
            _blockHeld = inner.ReadAtLeast(_block, Block, throwOnEndOfStream: false);
            if (_blockHeld < Block)
            {
                // The archive's end, cut short or not: the reader says which.
                _next = long.MaxValue;
                return;
            }

            if (!ChecksumHolds(_block))
            {
                // The blocks of zeros that end the archive, or no header, which the reader reports as damage.
                _next = _position + Block;
                return;
            }

            var type = (char)_block[156];
            var size = Size(_block.AsSpan(124, 12));
            if (type is 'x' or 'g' or 'L' or 'K' && size > MaxMetadataBytes)
            {
                var what = type switch
                {
                    'x' => "a pax extended header",
                    'g' => "a pax global header",
                    'L' => "a GNU long name",
                    _ => "a GNU long link name",
                };
                throw new InvalidDataException($"{what} in it claims {size:N0} bytes, more than the {MaxMetadataBytes / (1024 * 1024)} MB such a header may hold: it is damaged, or made to exhaust memory");
            }

            long data;
            if (type is 'x' or 'g' or 'L' or 'K')
            {
                data = size;
                if (type == 'x')
                {
                    _pax = new byte[size];
                    _paxStart = _position + Block;
                }
            }
            else
            {
                data = type is '1' or '2' or '3' or '4' or '5' or '6' ? 0 : _paxSize ?? size;
                _paxSize = null;
            }

            // A size that cannot be read is the reader's to report; the next header is then looked for block by block.
            _next = _position + Block + (data < 0 || data > long.MaxValue / 2 ? 0 : (data + Block - 1) / Block * Block);
        }

        /// <summary>A header's size field: octal digits, or (GNU, for sizes of 8 GB and over) a big-endian number after a 0x80 byte; -1 when it is neither.</summary>
        private static long Size(ReadOnlySpan<byte> field)
        {
            long size = 0;
            if ((field[0] & 0x80) != 0)
            {
                if (field[0] != 0x80)
                {
                    return -1;
                }

                foreach (var b in field[1..])
                {
                    if (size > long.MaxValue >> 8) return long.MaxValue;
                    size = (size << 8) | b;
                }

                return size;
            }

            var digits = field.TrimStart((byte)' ');
            foreach (var b in digits)
            {
                if (b is 0 or (byte)' ') break;
                if (b is < (byte)'0' or > (byte)'7') return -1;
                if (size > long.MaxValue >> 3) return long.MaxValue;
                size = (size * 8) + (b - '0');
            }

            return size;
        }

        /// <summary>The <c>size</c> a pax extended header's records (<c>"%d %s=%s\n"</c>) give the entry after it; null when none.</summary>
        private static long? PaxSize(ReadOnlySpan<byte> records)
        {
            while (records.Length > 0)
            {
                var space = records.IndexOf((byte)' ');
                if (space <= 0 || !int.TryParse(records[..space], System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var length) || length <= space + 1 || length > records.Length)
                {
                    return null;
                }

                var record = records[(space + 1)..length].TrimEnd((byte)'\n');
                if (record.StartsWith("size="u8) && long.TryParse(record[5..], System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var size))
                {
                    return size;
                }

                records = records[length..];
            }

            return null;
        }

        public override long Seek(long offset, SeekOrigin origin)
        {
            Position = origin switch
            {
                SeekOrigin.Begin => offset,
                SeekOrigin.Current => _position + offset,
                _ => inner.Length + offset,
            };
            return _position;
        }

        public override void Flush()
        {
        }

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        protected override void Dispose(bool disposing)
        {
            if (disposing) inner.Dispose();
            base.Dispose(disposing);
        }
    }

    /// <summary>
    /// The archive as the listing reads it, remembering whether the last block read was all zeros (the end of the archive
    /// seen, not the end of the file) and able to look at what is left after it. Seeks go through, so a plain archive on
    /// disk is still skipped through.
    /// </summary>
    private sealed class TailStream(Stream inner) : Stream
    {
        // Zeros at the end of what was read since the last seek: a block of them is the end of the archive seen. (Reads of a
        // gzipped archive come in pieces of any size, so whole blocks are not what each read gives.)
        private long _trailingZeros;

        public bool LastBlockWasZeros => _trailingZeros >= Block;

        public override bool CanRead => true;

        public override bool CanSeek => inner.CanSeek;

        public override bool CanWrite => false;

        public override long Length => inner.Length;

        public override long Position
        {
            get => inner.Position;
            set
            {
                _trailingZeros = 0;
                inner.Position = value;
            }
        }

        public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

        public override int Read(Span<byte> buffer)
        {
            var read = inner.Read(buffer);
            var last = buffer[..read].LastIndexOfAnyExcept((byte)0);
            _trailingZeros = last < 0 ? _trailingZeros + read : read - last - 1;
            return read;
        }

        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
            ValueTask.FromResult(Read(buffer.Span));

        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            Task.FromResult(Read(buffer.AsSpan(offset, count)));

        /// <summary>Reads what is left, true when it is nothing but zeros.</summary>
        public bool RestIsZeros()
        {
            var buffer = new byte[1 << 16];
            int read;
            while ((read = inner.Read(buffer)) > 0)
            {
                if (buffer.AsSpan(0, read).IndexOfAnyExcept((byte)0) >= 0) return false;
            }

            return true;
        }

        public override long Seek(long offset, SeekOrigin origin)
        {
            _trailingZeros = 0;
            return inner.Seek(offset, origin);
        }

        public override void Flush()
        {
        }

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        protected override void Dispose(bool disposing)
        {
            if (disposing) inner.Dispose();
            base.Dispose(disposing);
        }
    }
}
