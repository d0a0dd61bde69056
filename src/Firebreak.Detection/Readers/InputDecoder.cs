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
            (stream, head) = await PeekAsync(new GZipStream(new PrefixedStream(head, stream), CompressionMode.Decompress), cancellationToken).ConfigureAwait(false);
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

/// <summary>Replays a few already-read bytes before the rest of a stream.</summary>
internal sealed class PrefixedStream(byte[] prefix, Stream inner) : Stream
{
    private int _position;

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

    public override int Read(Span<byte> buffer)
    {
        if (_position < prefix.Length)
        {
            var n = Math.Min(buffer.Length, prefix.Length - _position);
            prefix.AsSpan(_position, n).CopyTo(buffer);
            _position += n;
            return n;
        }

        return inner.Read(buffer);
    }

    public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        if (_position < prefix.Length)
        {
            return ValueTask.FromResult(Read(buffer.Span));
        }

        return inner.ReadAsync(buffer, cancellationToken);
    }

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
            inner.Dispose();
        }

        base.Dispose(disposing);
    }

    public override ValueTask DisposeAsync() => inner.DisposeAsync();
}

/// <summary>Counts the bytes read from a source as stored, before decompression.</summary>
internal sealed class CountingStream(Stream inner, Action<long> count) : Stream
{
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

    public override int Read(Span<byte> buffer)
    {
        var n = inner.Read(buffer);
        count(n);
        return n;
    }

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        var n = await inner.ReadAsync(buffer, cancellationToken).ConfigureAwait(false);
        count(n);
        return n;
    }

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
            inner.Dispose();
        }

        base.Dispose(disposing);
    }

    public override ValueTask DisposeAsync() => inner.DisposeAsync();
}
