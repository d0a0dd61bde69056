using System.IO.Compression;
using System.Text;

namespace Firebreak.Detection.Readers;

/// <summary>
/// Turns a stored file into a UTF-8 byte stream, by content rather than by name: gzip by its magic
/// bytes, a UTF-8 byte order mark dropped, UTF-16 (with or without a mark) transcoded on the fly.
/// </summary>
internal static class InputDecoder
{
    public static async Task<(Stream? Stream, ReadProblem? Problem)> DecodeAsync(Stream raw, string source, CancellationToken cancellationToken)
    {
        var (stream, head) = await PeekAsync(raw, cancellationToken).ConfigureAwait(false);
        if (head is [0x1F, 0x8B, ..])
        {
            (stream, head) = await PeekAsync(new CheckedGzipStream(new PrefixedStream(head, stream)), cancellationToken).ConfigureAwait(false);
        }

        switch (head)
        {
            case [(byte)'P', (byte)'A', (byte)'R', (byte)'1', ..]:
                await stream.DisposeAsync().ConfigureAwait(false);
                return (null, new ReadProblem(source, null, null, "Parquet files are not supported; export the records as JSON"));
            case [0xEF, 0xBB, 0xBF, ..]:
                return (new PrefixedStream(head[3..], stream), null);
            case [0xFF, 0xFE, ..]:
                return (Transcode(new PrefixedStream(head[2..], stream), Encoding.Unicode), Utf16Warning(source));
            case [0xFE, 0xFF, ..]:
                return (Transcode(new PrefixedStream(head[2..], stream), Encoding.BigEndianUnicode), Utf16Warning(source));
            case [not 0, 0, not 0, 0, ..]:
                return (Transcode(new PrefixedStream(head, stream), Encoding.Unicode), Utf16Warning(source));
            case [0, not 0, 0, not 0, ..]:
                return (Transcode(new PrefixedStream(head, stream), Encoding.BigEndianUnicode), Utf16Warning(source));
            default:
                return (new PrefixedStream(head, stream), null);
        }
    }

    private static ReadProblem Utf16Warning(string source) =>
        new(source, null, null, "file is UTF-16 encoded; read by transcoding to UTF-8", ProblemSeverity.Warning);

    private static Stream Transcode(Stream stream, Encoding from) =>
        Encoding.CreateTranscodingStream(stream, from, Encoding.UTF8, leaveOpen: false);

    private static async Task<(Stream Stream, byte[] Head)> PeekAsync(Stream stream, CancellationToken cancellationToken)
    {
        var head = new byte[4];
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
/// into one file end with the last member's size only, so a file in which another member's header appears
/// is not judged.
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

    public override int Read(Span<byte> buffer) => Check(Inner.Read(buffer), buffer.Length);

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
        Check(await Inner.ReadAsync(buffer, cancellationToken).ConfigureAwait(false), buffer.Length);

    private int Check(int read, int asked)
    {
        _decompressed += read;
        if (read == 0 && asked > 0 && !_source.Verifies(_decompressed))
        {
            throw new InvalidDataException("the gzip data stops before its end: the file is truncated or damaged");
        }

        return read;
    }

    /// <summary>The compressed bytes as they pass: the last eight, and whether another member's header went by.</summary>
    private sealed class Source(Stream inner) : ReadOnlyStream(inner)
    {
        private readonly byte[] _tail = new byte[8];

        private static ReadOnlySpan<byte> MemberHeader => [0x1F, 0x8B, 0x08];
        private long _read;
        private bool _severalMembers;

        public bool Verifies(long decompressed)
        {
            if (_severalMembers)
            {
                return true;
            }

            return _read >= 18 && System.Buffers.Binary.BinaryPrimitives.ReadUInt32LittleEndian(_tail.AsSpan(4)) == (uint)decompressed;
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

            // A member header (1F 8B 08) anywhere after the first byte, also across two reads.
            Span<byte> joined = stackalloc byte[2 + Math.Min(bytes.Length, 2)];
            _tail.AsSpan(6).CopyTo(joined);
            bytes[..Math.Min(bytes.Length, 2)].CopyTo(joined[2..]);
            if ((_read >= 2 && joined.IndexOf(MemberHeader) >= 0) || (_read == 0 ? bytes[1..] : bytes).IndexOf(MemberHeader) >= 0)
            {
                _severalMembers = true;
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
    }
}
