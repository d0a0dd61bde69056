using System.IO.Compression;
using System.Text;
using Firebreak.Detection.Readers.Sources;

namespace Firebreak.Detection.Readers;

/// <summary>
/// Turns a stored file into a UTF-8 byte stream, by content rather than by name: gzip, bzip2, xz and zstd by their
/// magic bytes (<see cref="Decompression"/>), a UTF-8 byte order mark dropped, UTF-16 (with or without a mark)
/// transcoded on the fly, Parquet's rows as JSON lines (<see cref="ParquetRowsStream"/>).
/// </summary>
internal static class InputDecoder
{
    public static async Task<(Stream? Stream, ReadProblem? Problem)> DecodeAsync(Stream raw, string source, CancellationToken cancellationToken, int maxRecordBytes = 8 * 1024 * 1024)
    {
        var (stream, head) = await PeekAsync(raw, cancellationToken).ConfigureAwait(false);
        // A file compressed again (a .json.gz gzipped for sending, a .tar.zst of .gz logs read as one) is unpacked as often
        // as it was packed, up to a few times.
        for (var layers = 0; layers < Decompression.MaxLayers && Decompression.Kind(head) is { } compression; layers++)
        {
            (stream, head) = await PeekAsync(Decompression.Open(new PrefixedStream(head, stream), compression), cancellationToken).ConfigureAwait(false);
        }

        if (head is [not ((byte)'{' or (byte)'[' or (byte)' ' or (byte)'\t' or (byte)'\r' or (byte)'\n'), ..])
        {
            // A tar archive starts with its first entry's name; what it is shows only at the header's magic, 257 bytes in.
            (stream, head) = await PeekAsync(new PrefixedStream(head, stream), TarMagicEnd, cancellationToken).ConfigureAwait(false);
        }

        // A CloudWatch Logs export to S3 first writes this object at its prefix, to check it may: no log. (Only when that is
        // all it holds, which the look at its start read whole.)
        if (head.Length < TarMagicEnd && head.AsSpan().TrimEnd("\r\n"u8).SequenceEqual("Permission Check Successful"u8) && LogInput.FileName(source) is "aws-logs-write-test")
        {
            await stream.DisposeAsync().ConfigureAwait(false);
            return (null, null);
        }

        if (head is [(byte)'P', (byte)'A', (byte)'R', (byte)'1', ..])
        {
            // Parquet (Security Lake's own storage): its rows as JSON lines.
            return (new ParquetRowsStream(new PrefixedStream(head, stream)), null);
        }

        if (NotReadHere(head) is { } unread)
        {
            if (head is [0x37, 0x7A, 0xBC, 0xAF, ..] && System.Text.RegularExpressions.Regex.IsMatch(LogInput.FileName(source), @"\.7z\.[0-9]{3}$"))
            {
                // The first volume of a split archive: the others hold the rest, and only the whole is an archive.
                unread = "the first volume of a split 7z archive: join the volumes (cat name.7z.0* > name.7z) and hunt the archive";
            }

            await stream.DisposeAsync().ConfigureAwait(false);
            return (null, new ReadProblem(source, null, null, unread) { EndsInput = true });
        }

        switch (head)
        {
            case [0xEF, 0xBB, 0xBF, ..]:
                return (await TablesOrAsIs(new PrefixedStream(head[3..], stream), maxRecordBytes, cancellationToken).ConfigureAwait(false), null);
            case [0xFF, 0xFE, ..]:
                return (await TablesOrAsIs(Transcode(new PrefixedStream(head[2..], stream), Encoding.Unicode), maxRecordBytes, cancellationToken).ConfigureAwait(false), Utf16Warning(source));
            case [0xFE, 0xFF, ..]:
                return (await TablesOrAsIs(Transcode(new PrefixedStream(head[2..], stream), Encoding.BigEndianUnicode), maxRecordBytes, cancellationToken).ConfigureAwait(false), Utf16Warning(source));
            case [not 0, 0, not 0, 0, ..]:
                return (await TablesOrAsIs(Transcode(new PrefixedStream(head, stream), Encoding.Unicode), maxRecordBytes, cancellationToken).ConfigureAwait(false), Utf16Warning(source));
            case [0, not 0, 0, not 0, ..]:
                return (await TablesOrAsIs(Transcode(new PrefixedStream(head, stream), Encoding.BigEndianUnicode), maxRecordBytes, cancellationToken).ConfigureAwait(false), Utf16Warning(source));
            case [(byte)'{', (byte)'"', not (byte)'t', ..]:
                // An object whose first name is not "tables" (a CloudTrail delivery file's "Records"): read as it is, unlooked-at.
                return (new PrefixedStream(head, stream), null);
            case [>= (byte)'0' and <= (byte)'9', ..]:
                // A CloudWatch Logs export (CreateExportTask) writes each log event as a line: its time, a space, the message.
                var (more, longer) = await PeekAsync(new PrefixedStream(head, stream), TimestampPrefixStream.MaxPrefix, cancellationToken).ConfigureAwait(false);
                var joined = new PrefixedStream(longer, more);
                return (TimestampPrefixStream.PrefixLength(longer) > 0 ? new TimestampPrefixStream(joined) : joined, null);
            case [(byte)'{' or (byte)' ' or (byte)'\t' or (byte)'\r' or (byte)'\n', ..]:
                return (await TablesOrAsIs(new PrefixedStream(head, stream), maxRecordBytes, cancellationToken).ConfigureAwait(false), null);
            default:
                return (new PrefixedStream(head, stream), null);
        }
    }

    /// <summary>
    /// The Log Analytics query API's answer as a line per row (<see cref="LogAnalyticsTablesStream"/>), a CloudWatch Logs
    /// export without the time before each line (<see cref="TimestampPrefixStream"/>), anything else as it is. Used on
    /// text whose byte order mark was dropped or that was transcoded from UTF-16, so a file saved again by an editor or
    /// PowerShell is known by the same content as the original.
    /// </summary>
    private static async Task<Stream> TablesOrAsIs(Stream stream, int maxRecordBytes, CancellationToken cancellationToken)
    {
        var (rest, head) = await PeekAsync(stream, Math.Max(LogAnalyticsTablesStream.HeadBytes, TimestampPrefixStream.MaxPrefix), cancellationToken).ConfigureAwait(false);
        var joined = new PrefixedStream(head, rest);
        if (LogAnalyticsTablesStream.IsAnswer(head)) return new LogAnalyticsTablesStream(joined, maxRecordBytes);
        return head is [>= (byte)'0' and <= (byte)'9', ..] && TimestampPrefixStream.PrefixLength(head) > 0 ? new TimestampPrefixStream(joined) : joined;
    }

    private const int TarMagicEnd = 262;

    /// <summary>
    /// Why a file of this start is not read, said plainly: an archive or a compression the reader does not open where the
    /// file was found (a zip, tar or 7z archive from a pipe or under another name; RAR anywhere); null for anything else.
    /// </summary>
    private static string? NotReadHere(ReadOnlySpan<byte> head) => head switch
    {
        [(byte)'P', (byte)'K', 3, 4, ..] or [(byte)'P', (byte)'K', 5, 6, ..] =>
            "a zip archive: its entries are read only when it is named .zip (on disk, uploaded, in S3 or inside another archive), not from a pipe; unpack it, or give it its .zip name",
        [0x37, 0x7A, 0xBC, 0xAF, ..] =>
            "a 7z archive: its entries are read only when it is named .7z (on disk, uploaded, in S3 or inside another archive), not from a pipe; unpack it, or give it its .7z name",
        [(byte)'R', (byte)'a', (byte)'r', (byte)'!', ..] => "a RAR archive: not read; unpack it and hunt its folder",
        _ when head.Length >= TarMagicEnd && head[257..TarMagicEnd].SequenceEqual("ustar"u8) =>
            "a tar archive: its entries are read only when it is named .tar, .tgz, .tar.gz, .tar.bz2, .tar.xz or .tar.zst (on disk, uploaded, in S3 or inside another archive), not from a pipe; unpack it, or give it such a name",
        _ => null,
    };

    private static ReadProblem Utf16Warning(string source) =>
        new(source, null, null, "file is UTF-16 encoded; read by transcoding to UTF-8", ProblemSeverity.Warning);

    private static Stream Transcode(Stream stream, Encoding from) =>
        Encoding.CreateTranscodingStream(stream, from, Encoding.UTF8, leaveOpen: false);

    private static Task<(Stream Stream, byte[] Head)> PeekAsync(Stream stream, CancellationToken cancellationToken) => PeekAsync(stream, 4, cancellationToken);

    private static async Task<(Stream Stream, byte[] Head)> PeekAsync(Stream stream, int length, CancellationToken cancellationToken)
    {
        var head = new byte[length];
        var filled = 0;
        while (filled < head.Length)
        {
            var read = await stream.ReadAsync(head.AsMemory(filled), cancellationToken).ConfigureAwait(false);
            if (read == 0)
            {
                break;
            }

            filled += read;
        }

        return (stream, head[..filled]);
    }
}

/// <summary>The members every read-only, forward-only wrapper here shares; subclasses read.</summary>
internal abstract class ReadOnlyStream(Stream inner) : Stream
{
    protected Stream Inner { get; } = inner;

    public override bool CanRead => true;

    public override bool CanSeek => false;

    public override bool CanWrite => false;

    public override long Length => throw new NotSupportedException();

    public override long Position
    {
        get => throw new NotSupportedException();
        set => throw new NotSupportedException();
    }

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    /// <summary>A synchronous read for a wrapper whose work is asynchronous: its own <see cref="Stream.ReadAsync(Memory{byte}, CancellationToken)"/>, waited for.</summary>
    protected int ReadByWaiting(Span<byte> buffer)
    {
        var rented = System.Buffers.ArrayPool<byte>.Shared.Rent(buffer.Length);
        try
        {
            var read = ReadAsync(rented.AsMemory(0, buffer.Length)).AsTask().GetAwaiter().GetResult();
            rented.AsSpan(0, read).CopyTo(buffer);
            return read;
        }
        finally
        {
            System.Buffers.ArrayPool<byte>.Shared.Return(rented);
        }
    }

    public override void Flush()
    {
    }

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            Inner.Dispose();
        }

        base.Dispose(disposing);
    }

    public override ValueTask DisposeAsync() => Inner.DisposeAsync();
}

/// <summary>Replays a few already-read bytes before the rest of a stream.</summary>
internal sealed class PrefixedStream(byte[] prefix, Stream inner) : ReadOnlyStream(inner)
{
    private int _position;

    public override int Read(Span<byte> buffer)
    {
        if (_position < prefix.Length)
        {
            var n = Math.Min(buffer.Length, prefix.Length - _position);
            prefix.AsSpan(_position, n).CopyTo(buffer);
            _position += n;
            return n;
        }

        return Inner.Read(buffer);
    }

    public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        if (_position < prefix.Length)
        {
            return ValueTask.FromResult(Read(buffer.Span));
        }

        return Inner.ReadAsync(buffer, cancellationToken);
    }
}

/// <summary>
/// A CloudWatch Logs export (<c>CreateExportTask</c>, to S3) writes each log event on a line of its own, the event's time
/// before the message: <c>2026-01-15T09:00:01.123Z {"eventVersion":...}</c> for a trail sent to CloudWatch Logs. This
/// drops that time and its space from the start of every line that has one, so the lines read as JSON lines; the record's
/// own time is the event's. Lines keep their numbers.
/// </summary>
internal sealed class TimestampPrefixStream(Stream inner) : ReadOnlyStream(inner)
{
    /// <summary>Enough bytes to see the longest prefix, <c>yyyy-MM-ddTHH:mm:ss.fffffffffZ </c> (31), whole.</summary>
    public const int MaxPrefix = 32;

    private readonly byte[] _buffer = new byte[64 * 1024];
    private int _start;
    private int _end;
    private bool _atLineStart = true;
    private bool _ended;

    /// <summary>
    /// The length of the time and space that start <paramref name="line"/> (<c>yyyy-MM-ddTHH:mm:ss</c>, an optional
    /// fraction of 1 to 9 digits, <c>Z</c>, one space), or 0; <paramref name="line"/> holds at least
    /// <see cref="MaxPrefix"/> bytes of the line, or all of it.
    /// </summary>
    public static int PrefixLength(ReadOnlySpan<byte> line)
    {
        ReadOnlySpan<byte> shape = "dddd-dd-ddTdd:dd:dd"u8;
        if (line.Length < shape.Length + 2)
        {
            return 0;
        }

        for (var i = 0; i < shape.Length; i++)
        {
            if (shape[i] == (byte)'d' ? !char.IsAsciiDigit((char)line[i]) : line[i] != shape[i])
            {
                return 0;
            }
        }

        var at = shape.Length;
        if (line[at] == (byte)'.')
        {
            var digits = 0;
            while (++at < line.Length && char.IsAsciiDigit((char)line[at]))
            {
                digits++;
            }

            if (digits is 0 or > 9)
            {
                return 0;
            }
        }

        return at + 1 < line.Length && line[at] == (byte)'Z' && line[at + 1] == (byte)' ' ? at + 2 : 0;
    }

    public override int Read(Span<byte> buffer)
    {
        var written = 0;
        while (written < buffer.Length)
        {
            if (!Ready(fill: written == 0, out var needMore))
            {
                if (needMore)
                {
                    Fill(Inner.Read(_buffer.AsSpan(_end)));
                    continue;
                }

                break;
            }

            written += Copy(buffer[written..]);
        }

        return written;
    }

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        var written = 0;
        while (written < buffer.Length)
        {
            if (!Ready(fill: written == 0, out var needMore))
            {
                if (needMore)
                {
                    Fill(await Inner.ReadAsync(_buffer.AsMemory(_end), cancellationToken).ConfigureAwait(false));
                    continue;
                }

                break;
            }

            written += Copy(buffer.Span[written..]);
        }

        return written;
    }

    /// <summary>
    /// Whether bytes can be copied now. When not, <paramref name="needMore"/> says whether to read the inner stream
    /// first: always to see a line's start whole, otherwise only while nothing has been copied into this read
    /// (<paramref name="fill"/>), so a read never waits on its source once it has bytes to give.
    /// </summary>
    private bool Ready(bool fill, out bool needMore)
    {
        needMore = false;
        if (_atLineStart)
        {
            if (_end - _start < MaxPrefix && !_ended)
            {
                Compact();
                needMore = fill;
                return false;
            }

            _start += PrefixLength(_buffer.AsSpan(_start, _end - _start));
            _atLineStart = false;
        }

        if (_start < _end)
        {
            return true;
        }

        if (!_ended)
        {
            Compact();
            needMore = fill;
        }

        return false;
    }

    private int Copy(Span<byte> destination)
    {
        var available = _buffer.AsSpan(_start, _end - _start);
        var newline = available.IndexOf((byte)'\n');
        var take = Math.Min(newline >= 0 ? newline + 1 : available.Length, destination.Length);
        available[..take].CopyTo(destination);
        _start += take;
        _atLineStart = newline >= 0 && take == newline + 1;
        return take;
    }

    private void Compact()
    {
        if (_start > 0)
        {
            _buffer.AsSpan(_start, _end - _start).CopyTo(_buffer);
            _end -= _start;
            _start = 0;
        }
    }

    private void Fill(int read)
    {
        if (read == 0)
        {
            _ended = true;
        }

        _end += read;
    }
}

/// <summary>Counts the bytes read from a source as stored, before decompression.</summary>
internal sealed class CountingStream(Stream inner, Action<long> count) : ReadOnlyStream(inner)
{
    public override int Read(Span<byte> buffer)
    {
        var n = Inner.Read(buffer);
        count(n);
        return n;
    }

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        var n = await Inner.ReadAsync(buffer, cancellationToken).ConfigureAwait(false);
        count(n);
        return n;
    }
}

/// <summary>
/// Decompresses gzip and notices a file cut short, which <see cref="GZipStream"/> does not: it ends quietly
/// where its input ends. A whole gzip file ends with its size (modulo 2^32) in the last four bytes; when the
/// decompressed output does not end with that count, the file was cut (or damaged) and the end of the
/// output throws <see cref="InvalidDataException"/>, which the framer reports. Several gzip members joined
/// into one file end with the last member's size only; each member's size stands just before the next
/// member's header, so the output must add up to the last size plus those before some of the headers seen
/// (a header's bytes may also occur inside compressed data). A file with very many such headers is not judged.
/// </summary>
internal sealed class CheckedGzipStream : ReadOnlyStream
{
    private readonly Source _source;
    private long _decompressed;

    public CheckedGzipStream(Stream compressed)
        : this(new Source(compressed))
    {
    }

    private CheckedGzipStream(Source source)
        : base(new GZipStream(source, CompressionMode.Decompress))
    {
        _source = source;
    }

    public override int Read(Span<byte> buffer)
    {
        var read = Inner.Read(buffer);
        _decompressed += read;
        if (read == 0 && buffer.Length > 0 && !(_source.Verifies(_decompressed) || (_source.MayBePadded(_decompressed) && _source.RestIsZeros())))
        {
            throw Damaged();
        }

        return read;
    }

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        var read = await Inner.ReadAsync(buffer, cancellationToken).ConfigureAwait(false);
        _decompressed += read;
        if (read == 0 && buffer.Length > 0 && !_source.Verifies(_decompressed)
            && !(_source.MayBePadded(_decompressed) && await _source.RestIsZerosAsync(cancellationToken).ConfigureAwait(false)))
        {
            throw Damaged();
        }

        return read;
    }

    private static InvalidDataException Damaged() => new("the gzip data stops before its end: the file is truncated or damaged");

    /// <summary>
    /// The compressed bytes as they pass: the last eight, and where another member's header may begin,
    /// with the four bytes before it, which are the size of the member before when the header is real.
    /// </summary>
    private sealed class Source(Stream inner) : ReadOnlyStream(inner)
    {
        // Joined members are judged by trying which of the headers seen are real; past this many, not judged.
        private const int MaxJoins = 16;

        private readonly byte[] _tail = new byte[8];
        private readonly byte[] _tailBeforeZeros = new byte[8];
        private long _trailingZeros;
        private readonly List<uint> _sizesBeforeHeaders = [];

        private static ReadOnlySpan<byte> MemberHeader => [0x1F, 0x8B, 0x08];
        private long _read;
        private bool _unjudged;

        /// <summary>
        /// Whether the output's size matches the sizes the members record. When data after a member is
        /// not another member, GZipStream stops there without a word; the sizes then do not add up.
        /// </summary>
        public bool Verifies(long decompressed)
        {
            if (_unjudged)
            {
                return true;
            }

            if (_read < 18)
            {
                return false;
            }

            var sums = Sums(System.Buffers.Binary.BinaryPrimitives.ReadUInt32LittleEndian(_tail.AsSpan(4)));

            return sums.Contains((uint)decompressed);
        }

        /// <summary>
        /// Whether the output's size matches the sizes the members record when the zero bytes that end what was read are
        /// padding after the last member (a file padded to a block by a tape or a copying tool, which gzip itself reads
        /// past). The member's own last bytes may be zeros too (a size under 2^24 ends in one), so its end is one of the
        /// eight places from the last byte that is not zero. The rest of the input must then be zeros too
        /// (<see cref="RestIsZeros"/>).
        /// </summary>
        public bool MayBePadded(long decompressed)
        {
            if (_unjudged || _trailingZeros == 0)
            {
                return false;
            }

            Span<byte> window = stackalloc byte[16];
            _tailBeforeZeros.CopyTo(window);
            for (var zeros = 0; zeros <= Math.Min(_trailingZeros, 8); zeros++)
            {
                if (_read - _trailingZeros + zeros >= 18
                    && Sums(System.Buffers.Binary.BinaryPrimitives.ReadUInt32LittleEndian(window[(4 + zeros)..(8 + zeros)])).Contains((uint)decompressed))
                {
                    return true;
                }
            }

            return false;
        }

        // Padding past this is not read to its end: the file is reported as damaged instead.
        private const int MaxPadding = 1 << 20;

        /// <summary>Reads what GZipStream left unread: padding is zeros to the end, and not more than a megabyte of them.</summary>
        public bool RestIsZeros()
        {
            var buffer = new byte[64 * 1024];
            for (var seen = 0L; seen <= MaxPadding;)
            {
                var n = Inner.Read(buffer);
                if (n == 0) return true;
                if (buffer.AsSpan(0, n).ContainsAnyExcept((byte)0)) return false;
                seen += n;
            }

            return false;
        }

        public async Task<bool> RestIsZerosAsync(CancellationToken cancellationToken)
        {
            var buffer = new byte[64 * 1024];
            for (var seen = 0L; seen <= MaxPadding;)
            {
                var n = await Inner.ReadAsync(buffer, cancellationToken).ConfigureAwait(false);
                if (n == 0) return true;
                if (buffer.AsSpan(0, n).ContainsAnyExcept((byte)0)) return false;
                seen += n;
            }

            return false;
        }

        private HashSet<uint> Sums(uint lastSize)
        {
            var sums = new HashSet<uint> { lastSize };
            foreach (var size in _sizesBeforeHeaders)
            {
                foreach (var sum in sums.ToArray())
                {
                    sums.Add(unchecked(sum + size));
                }
            }

            return sums;
        }

        public override int Read(Span<byte> buffer)
        {
            var n = Inner.Read(buffer);
            Observe(buffer[..n]);
            return n;
        }

        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            var n = await Inner.ReadAsync(buffer, cancellationToken).ConfigureAwait(false);
            Observe(buffer.Span[..n]);
            return n;
        }

        private void Observe(ReadOnlySpan<byte> bytes)
        {
            if (bytes.IsEmpty)
            {
                return;
            }

            // A member header (1F 8B 08) beginning in the last two bytes seen, across this read ...
            Span<byte> joined = stackalloc byte[2 + Math.Min(bytes.Length, 2)];
            _tail.AsSpan(6).CopyTo(joined);
            bytes[..Math.Min(bytes.Length, 2)].CopyTo(joined[2..]);
            for (var k = 0; k + 3 <= joined.Length && k < 2; k++)
            {
                if (joined[k..(k + 3)].SequenceEqual(MemberHeader))
                {
                    Candidate(_read - 2 + k, bytes);
                }
            }

            // ... or inside it.
            for (var offset = 0; ;)
            {
                var i = bytes[offset..].IndexOf(MemberHeader);
                if (i < 0)
                {
                    break;
                }

                Candidate(_read + offset + i, bytes);
                offset += i + 1;
            }

            // The last eight bytes before a run of zeros that ends what was read so far.
            var lastNonZero = bytes.LastIndexOfAnyExcept((byte)0);
            if (lastNonZero < 0)
            {
                _trailingZeros += bytes.Length;
            }
            else
            {
                Span<byte> upTo = stackalloc byte[16];
                var taken = Math.Min(lastNonZero + 1, 8);
                _tail.CopyTo(upTo);
                bytes[(lastNonZero + 1 - taken)..(lastNonZero + 1)].CopyTo(upTo[8..]);
                upTo[taken..(taken + 8)].CopyTo(_tailBeforeZeros);
                _trailingZeros = bytes.Length - 1 - lastNonZero;
            }

            if (bytes.Length >= 8)
            {
                bytes[^8..].CopyTo(_tail);
            }
            else
            {
                _tail.AsSpan(bytes.Length).CopyTo(_tail);
                bytes.CopyTo(_tail.AsSpan(8 - bytes.Length));
            }

            _read += bytes.Length;
        }

        /// <summary>A header at <paramref name="at"/>; a member is at least 18 bytes, so one earlier is not a join.</summary>
        private void Candidate(long at, ReadOnlySpan<byte> bytes)
        {
            if (at < 18)
            {
                return;
            }

            if (_sizesBeforeHeaders.Count == MaxJoins)
            {
                _unjudged = true;
                return;
            }

            Span<byte> size = stackalloc byte[4];
            for (var q = 0; q < 4; q++)
            {
                var abs = at - 4 + q;
                size[q] = abs >= _read ? bytes[(int)(abs - _read)] : _tail[8 - (int)(_read - abs)];
            }

            _sizesBeforeHeaders.Add(System.Buffers.Binary.BinaryPrimitives.ReadUInt32LittleEndian(size));
        }
    }
}
