using SharpCompress.Compressors;
using SharpCompress.Compressors.BZip2;
using SharpCompress.Compressors.Xz;
using SharpCompress.Compressors.ZStandard;

namespace Firebreak.Detection.Readers;

/// <summary>
/// The compressions a log or an archive is read through, known by their first bytes whatever the file is named: gzip
/// (what CloudTrail and most exports write), bzip2, xz and zstd (what a responder's own <c>tar cjf</c>, <c>tar cJf</c>
/// or <c>tar --zstd</c> and log rotation give). Each is checked to end where its format says it ends: data cut short or
/// damaged is an <see cref="InvalidDataException"/>, which the framer reports with the records read before it. Streams
/// joined into one file (<c>cat a.xz b.xz</c>, parallel compressors' output) are all read.
/// </summary>
internal static class Decompression
{
    /// <summary>How many compressions of one file inside another are undone: a fourth is read as the bytes it is.</summary>
    public const int MaxLayers = 3;

    /// <summary>How many bytes <see cref="Kind"/> needs to look at.</summary>
    public const int MagicLength = 4;

    /// <summary>The compression the bytes a file starts with are the magic of, or null.</summary>
    public static string? Kind(ReadOnlySpan<byte> head) => head switch
    {
        [0x1F, 0x8B, ..] => "gzip",
        [(byte)'B', (byte)'Z', (byte)'h', >= (byte)'1' and <= (byte)'9', ..] => "bzip2",
        [0xFD, (byte)'7', (byte)'z', (byte)'X', ..] => "xz",
        [0x28, 0xB5, 0x2F, 0xFD, ..] => "zstd",
        // A skippable frame, which pzstd writes first (its frame sizes) and zstd's decoder passes over.
        [>= 0x50 and <= 0x5F, 0x2A, 0x4D, 0x18, ..] => "zstd",
        _ => null,
    };

    /// <summary>The decompressed bytes of <paramref name="compressed"/>, which is disposed with the result.</summary>
    public static Stream Open(Stream compressed, string kind) => kind switch
    {
        "gzip" => new CheckedGzipStream(compressed),
        "bzip2" or "xz" or "zstd" => new DecompressingStream(compressed, kind),
        _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, "not a compression the readers know"),
    };

    /// <summary>A decoder's failure as the file's problem: the decoder's own words, and what they mean for the file.</summary>
    private static InvalidDataException Unreadable(string kind, Exception ex) =>
        new($"the {kind} data cannot be unpacked ({ex.Message.TrimEnd('.')}): it is damaged, cut short, or written with settings the reader does not take", ex);

    /// <summary>
    /// bzip2, xz or zstd through SharpCompress's decoders, their failures (of any type: a damaged input can throw what a
    /// decoder did not plan for) turned into <see cref="InvalidDataException"/> naming the compression. bzip2 and xz
    /// streams joined one after another are decoded in turn here, each decoder stopping at its stream's end (a decoder
    /// that went on to the next by itself failed inside the read that held the last block, and lost that block's
    /// records), with the zero padding xz allows between them; anything else after a stream's end is reported, after
    /// every record before it. zstd's decoder reads all of a file's frames itself. The decoders read synchronously; the
    /// caller's cancellation reaches the reads they make, so a hunt stopped while a download is quiet stops at once.
    /// </summary>
    private sealed class DecompressingStream(Stream compressed, string kind) : ReadOnlyStream(compressed)
    {
        private readonly Source _source = new(compressed);
        private Stream? _decoder;
        private bool _ended;

        public override int Read(Span<byte> buffer) => Read(buffer, CancellationToken.None);

        private int Read(Span<byte> buffer, CancellationToken cancellationToken)
        {
            if (buffer.IsEmpty || _ended)
            {
                return 0;
            }

            _source.Cancellation = cancellationToken;
            while (true)
            {
                int read;
                try
                {
                    // Made at the first read, not before: a decoder reads its format's header as it is made.
                    _decoder ??= Decoder();
                    read = _decoder.Read(buffer);
                    if (read == 0 && kind != "zstd" && NextStream())
                    {
                        continue;
                    }
                }
                catch (Exception ex) when (ex is not (OperationCanceledException or ObjectDisposedException or IOException or OutOfMemoryException))
                {
                    throw ex as InvalidDataException ?? Unreadable(kind, ex);
                }

                _ended = read == 0;
                return read;
            }
        }

        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            cancellationToken.ThrowIfCancellationRequested();
            return ValueTask.FromResult(Read(buffer.Span, cancellationToken));
        }

        private Stream Decoder() => kind switch
        {
            "bzip2" => BZip2Stream.Create(_source, CompressionMode.Decompress, decompressConcatenated: false, leaveOpen: true),
            "xz" => new XZStream(_source),
            _ => new DecompressionStream(_source, checkEndOfStream: true, leaveOpen: true),
        };

        /// <summary>
        /// At a bzip2 or xz stream's end, where the decoder has read exactly to: the file's end (false), or another stream
        /// (true, its decoder made), after zero padding in fours for xz.
        /// </summary>
        private bool NextStream()
        {
            Span<byte> magic = stackalloc byte[MagicLength];
            long zeros = 0;
            int got;
            while ((got = _source.ReadAtLeast(magic[..1], 1, throwOnEndOfStream: false)) == 1 && magic[0] == 0 && kind == "xz")
            {
                zeros++;
            }

            if (got == 0)
            {
                return zeros % 4 == 0 ? false : throw new InvalidDataException("the xz data ends with padding that is not a multiple of four bytes: the file is damaged");
            }

            got = 1 + _source.ReadAtLeast(magic[1..], MagicLength - 1, throwOnEndOfStream: false);
            if (zeros % 4 != 0 || got < MagicLength || Kind(magic) != kind)
            {
                throw new InvalidDataException($"data after the end of the {kind} stream is not another {kind} stream: the file is damaged, or two files were joined");
            }

            _source.Unread(magic);
            _decoder!.Dispose();
            _decoder = Decoder();
            return true;
        }

        protected override void Dispose(bool disposing)
        {
            if (disposing)
            {
                try
                {
                    _decoder?.Dispose();
                }
                catch (Exception ex) when (ex is not OutOfMemoryException)
                {
                    // A decoder given damaged data may fail again as it closes; the input is closed below all the same.
                }

                _decoder = null;
            }

            base.Dispose(disposing);
        }

        // The base class closes only the input asynchronously; the decoder (zstd's holds native memory) is closed too.
        public override ValueTask DisposeAsync()
        {
            Dispose(true);
            GC.SuppressFinalize(this);
            return ValueTask.CompletedTask;
        }
    }

    /// <summary>
    /// A decoder's input, buffered, and left open when a decoder closes (the next stream's goes on with it). bzip2's
    /// decoder reads a byte at a time: each went down to the file (a read of an unbuffered file, or a download's
    /// asynchronous read), and a one-kilobyte file took a tenth of a second. xz's decoder asks where it is (blocks are
    /// aligned to four bytes), which a download or an archive's entry cannot say, so the bytes given are counted; bytes
    /// looked at past a stream's end are given back for the next stream's decoder. The decoders read synchronously: each
    /// refill goes to the input's asynchronous read with the caller's cancellation.
    /// </summary>
    private sealed class Source(Stream inner) : ReadOnlyStream(inner)
    {
        private readonly byte[] _buffer = new byte[64 * 1024];
        private int _start;
        private int _end;
        private long _position;

        public CancellationToken Cancellation { get; set; }

        public override long Position
        {
            get => _position;
            set => throw new NotSupportedException();
        }

        /// <summary>Gives back the last bytes read (at most the few just looked at), to be read again.</summary>
        public void Unread(ReadOnlySpan<byte> bytes)
        {
            if (bytes.Length > _start)
            {
                throw new InvalidOperationException("only bytes still buffered can be given back");
            }

            _start -= bytes.Length;
            bytes.CopyTo(_buffer.AsSpan(_start));
            _position -= bytes.Length;
        }

        public override int Read(Span<byte> buffer)
        {
            if (buffer.IsEmpty)
            {
                return 0;
            }

            if (_start == _end && !Fill())
            {
                return 0;
            }

            var read = Math.Min(buffer.Length, _end - _start);
            _buffer.AsSpan(_start, read).CopyTo(buffer);
            _start += read;
            _position += read;
            return read;
        }

        public override int ReadByte()
        {
            if (_start == _end && !Fill())
            {
                return -1;
            }

            _position++;
            return _buffer[_start++];
        }

        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
            ValueTask.FromResult(Read(buffer.Span));

        /// <summary>Reads more of the input into the buffer, keeping the last few bytes before it for <see cref="Unread"/>.</summary>
        private bool Fill()
        {
            var keep = Math.Min(_end, MagicLength);
            _buffer.AsSpan(_end - keep, keep).CopyTo(_buffer);
            _start = _end = keep;
            var read = Cancellation.CanBeCanceled
                ? Inner.ReadAsync(_buffer.AsMemory(keep), Cancellation).AsTask().GetAwaiter().GetResult()
                : Inner.Read(_buffer.AsSpan(keep));
            _end += read;
            return read > 0;
        }

        protected override void Dispose(bool disposing)
        {
        }

        public override ValueTask DisposeAsync() => ValueTask.CompletedTask;
    }

    /// <summary>
    /// A decoder's output whose failures, of whatever type, become an <see cref="InvalidDataException"/> naming the format
    /// (a 7z entry's bytes): a damaged archive must be reported as one, not end the read.
    /// </summary>
    internal sealed class Guarded(Stream decoded, string kind) : ReadOnlyStream(decoded)
    {
        public override int Read(Span<byte> buffer)
        {
            try
            {
                return Inner.Read(buffer);
            }
            catch (Exception ex) when (ex is not (OperationCanceledException or ObjectDisposedException or IOException or OutOfMemoryException))
            {
                throw ex as InvalidDataException ?? Unreadable(kind, ex);
            }
        }

        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            cancellationToken.ThrowIfCancellationRequested();
            return ValueTask.FromResult(Read(buffer.Span));
        }

        // Closing an entry read part-way decodes the rest of it, to be ready for the next; damage there is the next
        // entry's to report when it is read, not a failure to close this one.
        protected override void Dispose(bool disposing)
        {
            try
            {
                base.Dispose(disposing);
            }
            catch (Exception ex) when (ex is not (OperationCanceledException or OutOfMemoryException))
            {
            }
        }

        public override ValueTask DisposeAsync()
        {
            Dispose(true);
            GC.SuppressFinalize(this);
            return ValueTask.CompletedTask;
        }
    }
}
