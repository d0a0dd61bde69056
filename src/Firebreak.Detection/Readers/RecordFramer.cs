using System.Buffers;
using System.Runtime.CompilerServices;
using System.Text;
using System.Text.Json;

namespace Firebreak.Detection.Readers;

/// <summary>
/// Splits a decoded UTF-8 JSON stream into records without building a document for the whole file:
/// a top-level array, a wrapper object holding an array of records (CloudTrail's <c>Records</c>,
/// Azure's <c>records</c>, Graph's <c>value</c>, CloudTrail Lake's <c>QueryResultRows</c>), or a
/// sequence of top-level values (JSON lines, or concatenated wrapper files). Only the record being
/// framed is buffered, so memory stays bounded by <see cref="ReaderOptions.MaxRecordBytes"/>
/// whatever the line or file length.
/// </summary>
internal sealed class RecordFramer(string source, ReaderOptions options, Action<ReadProblem> report)
{
    // The reader itself must tolerate more nesting than a record may have, so that a too-deep record
    // can be skipped and the file continued; past this the structure is hopeless and the file stops.
    private const int StructuralMaxDepth = 100_000;

    private enum Container
    {
        None,
        TopArray,
        Candidate,
        Wrapper,
    }

    private readonly JsonReaderOptions _readerOptions = new()
    {
        AllowMultipleValues = true,
        MaxDepth = Math.Max(StructuralMaxDepth, options.MaxDepth + 3),
    };

    private JsonReaderState _state;
    private Container _container;
    private bool _inWrapperArray;
    private bool _pendingWrapperName;

    private bool _inRecord;
    private int _recordDepth;
    private long _recordStartAbs;
    private long _recordLine;
    private string? _skipReason;
    private long _recordIndex;
    private long _framedCount;

    private long _bufferStart;
    private long _lineCountedTo;
    private long _line = 1;

    private (long Position, string Message)? _syntaxError;
    private bool _resyncToNewline;

    public async IAsyncEnumerable<RecordBatch> ReadAsync(Stream stream, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        _state = new JsonReaderState(_readerOptions);
        var maxBuffer = options.MaxRecordBytes + (2 * options.ReadBufferBytes);
        var buffer = ArrayPool<byte>.Shared.Rent(options.ReadBufferBytes * 2);
        var ready = new Queue<RecordBatch>();
        var batch = NewBatch(0);
        int filled = 0, consumed = 0;
        var eof = false;
        try
        {
            while (!eof)
            {
                var keepAbs = _inRecord && _skipReason is null ? _recordStartAbs : _bufferStart + consumed;
                var keep = (int)(keepAbs - _bufferStart);
                if (keep > 0)
                {
                    CountLinesTo(buffer, keepAbs);
                    buffer.AsSpan(keep, filled - keep).CopyTo(buffer);
                    filled -= keep;
                    consumed -= keep;
                    _bufferStart = keepAbs;
                }

                if (buffer.Length - filled < options.ReadBufferBytes)
                {
                    if (filled + options.ReadBufferBytes > maxBuffer)
                    {
                        Report(_recordLine, _recordIndex,
                            $"a single JSON value is larger than the maximum record size of {options.MaxRecordBytes} bytes; rest of file skipped");
                        break;
                    }

                    var larger = ArrayPool<byte>.Shared.Rent(Math.Min(maxBuffer, Math.Max(buffer.Length * 2, filled + options.ReadBufferBytes)));
                    buffer.AsSpan(0, filled).CopyTo(larger);
                    ArrayPool<byte>.Shared.Return(buffer);
                    buffer = larger;
                }

                var (read, readError) = await ReadSomeAsync(stream, buffer.AsMemory(filled), cancellationToken).ConfigureAwait(false);
                if (readError is not null)
                {
                    Report(null, _inRecord ? _recordIndex : null, readError + "; rest of file skipped");
                    break;
                }

                eof = read == 0;
                filled += read;

                if (_resyncToNewline)
                {
                    var newline = buffer.AsSpan(consumed, filled - consumed).IndexOf((byte)'\n');
                    if (newline < 0)
                    {
                        consumed = filled;
                        continue;
                    }

                    consumed += newline + 1;
                    _resyncToNewline = false;
                }

                consumed += Scan(buffer, consumed, filled, eof, ref batch, ready);
                while (ready.Count > 0)
                {
                    yield return ready.Dequeue();
                }

                if (_syntaxError is { } error && !HandleSyntaxError(buffer, error, ref consumed, eof))
                {
                    break;
                }
            }

            if (batch.Records.Count > 0)
            {
                var last = batch;
                batch = NewBatch(0);
                yield return last;
            }
        }
        finally
        {
            batch.Release();
            while (ready.Count > 0)
            {
                ready.Dequeue().Release();
            }

            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private static async ValueTask<(int Read, string? Error)> ReadSomeAsync(Stream stream, Memory<byte> into, CancellationToken cancellationToken)
    {
        try
        {
            return (await stream.ReadAsync(into, cancellationToken).ConfigureAwait(false), null);
        }
        catch (InvalidDataException ex)
        {
            return (0, $"cannot decompress: {ex.Message}");
        }
        catch (IOException ex)
        {
            return (0, $"cannot read: {ex.Message}");
        }
        catch (DecoderFallbackException ex)
        {
            return (0, $"cannot decode text: {ex.Message}");
        }
    }

    /// <summary>Returns whether reading can go on.</summary>
    private bool HandleSyntaxError(byte[] buffer, (long Position, string Message) error, ref int consumed, bool eof)
    {
        _syntaxError = null;
        var line = LineAt(buffer, Math.Max(error.Position, _lineCountedTo));
        var truncated = eof && error.Message.Contains("end of", StringComparison.OrdinalIgnoreCase);
        var reason = truncated ? "file ends inside a JSON value (truncated?)" : $"malformed JSON: {error.Message}";
        long? index = _inRecord || _container == Container.None ? _recordIndex : null;

        // Lines of top-level values can be resynchronised at the next newline; inside one big array
        // or wrapper there is no safe place to pick up again. A file that never yielded a record is
        // most likely not JSON at all, so it is reported once rather than once per line.
        var lineOriented = _container is Container.None or Container.Candidate;
        if (!lineOriented || _framedCount == 0 || eof)
        {
            Report(line, index, _framedCount == 0 && !truncated ? $"not a JSON log file: {error.Message}" : reason + (eof ? "" : "; rest of file skipped"));
            return false;
        }

        Report(line, index, reason + "; skipped to the next line");
        if (_inRecord)
        {
            _recordIndex++;
        }

        _inRecord = false;
        _skipReason = null;
        _container = Container.None;
        _pendingWrapperName = false;
        _inWrapperArray = false;
        _state = new JsonReaderState(_readerOptions);
        consumed = (int)Math.Max(error.Position - _bufferStart, consumed);
        _resyncToNewline = true;
        return true;
    }

    private int Scan(byte[] buffer, int start, int end, bool final, ref RecordBatch batch, Queue<RecordBatch> ready)
    {
        var reader = new Utf8JsonReader(buffer.AsSpan(start, end - start), final, _state);
        var baseAbs = _bufferStart + start;
        try
        {
            while (reader.Read())
            {
                var token = reader.TokenType;
                var depth = reader.CurrentDepth;
                if (_inRecord)
                {
                    if (token is JsonTokenType.StartObject or JsonTokenType.StartArray)
                    {
                        if (token == JsonTokenType.StartArray && _container == Container.Candidate && depth == 1 && _pendingWrapperName)
                        {
                            _inRecord = false;
                            _skipReason = null;
                            _container = Container.Wrapper;
                            _inWrapperArray = true;
                            _pendingWrapperName = false;
                            continue;
                        }

                        if (_skipReason is null && depth - _recordDepth + 1 > options.MaxDepth)
                        {
                            _skipReason = $"record nests deeper than the maximum depth of {options.MaxDepth}";
                        }
                    }
                    else if (token is JsonTokenType.EndObject or JsonTokenType.EndArray && depth == _recordDepth)
                    {
                        CompleteRecord(buffer, baseAbs + reader.BytesConsumed, ref batch, ready);
                        if (_container == Container.Candidate)
                        {
                            _container = Container.None;
                        }

                        continue;
                    }
                    else if (token == JsonTokenType.PropertyName && _container == Container.Candidate && depth == 1)
                    {
                        _pendingWrapperName = IsWrapperName(ref reader);
                        continue;
                    }

                    if (_container == Container.Candidate && depth == 1)
                    {
                        _pendingWrapperName = false;
                    }

                    if (_skipReason is null && baseAbs + reader.BytesConsumed - _recordStartAbs > options.MaxRecordBytes)
                    {
                        _skipReason = $"record is larger than the maximum record size of {options.MaxRecordBytes} bytes";
                    }

                    continue;
                }

                switch (_container)
                {
                    case Container.None:
                        if (token == JsonTokenType.StartObject)
                        {
                            BeginRecord(buffer, baseAbs + reader.TokenStartIndex, depth);
                            _container = Container.Candidate;
                            _pendingWrapperName = false;
                        }
                        else if (token == JsonTokenType.StartArray)
                        {
                            _container = Container.TopArray;
                        }
                        else
                        {
                            NotARecord(buffer, baseAbs + reader.TokenStartIndex);
                        }

                        break;
                    case Container.TopArray:
                        if (depth == 0)
                        {
                            _container = Container.None;
                        }
                        else if (token is JsonTokenType.StartObject or JsonTokenType.StartArray)
                        {
                            BeginRecord(buffer, baseAbs + reader.TokenStartIndex, depth);
                        }
                        else
                        {
                            NotARecord(buffer, baseAbs + reader.TokenStartIndex);
                        }

                        break;
                    case Container.Wrapper:
                        if (_inWrapperArray)
                        {
                            if (depth == 1)
                            {
                                _inWrapperArray = false;
                            }
                            else if (depth == 2 && token is JsonTokenType.StartObject or JsonTokenType.StartArray)
                            {
                                BeginRecord(buffer, baseAbs + reader.TokenStartIndex, depth);
                            }
                            else if (depth == 2)
                            {
                                NotARecord(buffer, baseAbs + reader.TokenStartIndex);
                            }
                        }
                        else if (depth == 0)
                        {
                            _container = Container.None;
                        }
                        else if (depth == 1)
                        {
                            if (token == JsonTokenType.PropertyName)
                            {
                                _pendingWrapperName = IsWrapperName(ref reader);
                            }
                            else
                            {
                                _inWrapperArray = token == JsonTokenType.StartArray && _pendingWrapperName;
                                _pendingWrapperName = false;
                            }
                        }

                        break;
                    default:
                        throw new InvalidOperationException($"unexpected framer state {_container}");
                }
            }
        }
        catch (JsonException ex)
        {
            _syntaxError = (baseAbs + reader.BytesConsumed, StripPosition(ex.Message));
        }

        _state = reader.CurrentState;
        return (int)reader.BytesConsumed;
    }

    private static bool IsWrapperName(ref Utf8JsonReader reader) =>
        reader.ValueTextEquals("Records"u8)
        || reader.ValueTextEquals("records"u8)
        || reader.ValueTextEquals("value"u8)
        || reader.ValueTextEquals("QueryResultRows"u8)
        || reader.ValueTextEquals("events"u8);

    // The reader's own line numbers restart with every buffer, so ours replace them.
    private static string StripPosition(string message)
    {
        var at = message.IndexOf(" LineNumber:", StringComparison.Ordinal);
        return at < 0 ? message : message[..at];
    }

    private void BeginRecord(byte[] buffer, long startAbs, int depth)
    {
        _inRecord = true;
        _recordDepth = depth;
        _recordStartAbs = startAbs;
        _recordLine = LineAt(buffer, startAbs);
        _skipReason = null;
    }

    private void NotARecord(byte[] buffer, long startAbs)
    {
        Report(LineAt(buffer, startAbs), _recordIndex, "record is not a JSON object");
        _recordIndex++;
    }

    private void CompleteRecord(byte[] buffer, long endAbs, ref RecordBatch batch, Queue<RecordBatch> ready)
    {
        _inRecord = false;
        if (_skipReason is not null)
        {
            Report(_recordLine, _recordIndex, _skipReason);
            _skipReason = null;
            _recordIndex++;
            return;
        }

        var length = (int)(endAbs - _recordStartAbs);
        if (!batch.HasRoomFor(length) || batch.Used >= options.BatchBytes)
        {
            if (batch.Records.Count > 0)
            {
                ready.Enqueue(batch);
                batch = NewBatch(length);
            }
            else
            {
                batch.Release();
                batch = NewBatch(length);
            }
        }

        batch.Add(buffer.AsSpan((int)(_recordStartAbs - _bufferStart), length), _recordIndex, _recordLine);
        _recordIndex++;
        _framedCount++;
    }

    private RecordBatch NewBatch(int atLeast) => new(source, Math.Max(options.BatchBytes, atLeast));

    private long LineAt(byte[] buffer, long abs)
    {
        CountLinesTo(buffer, abs);
        return _line;
    }

    private void CountLinesTo(byte[] buffer, long abs)
    {
        if (abs <= _lineCountedTo)
        {
            return;
        }

        var from = (int)(_lineCountedTo - _bufferStart);
        var to = (int)(abs - _bufferStart);
        _line += buffer.AsSpan(from, to - from).Count((byte)'\n');
        _lineCountedTo = abs;
    }

    private void Report(long? line, long? index, string reason) => report(new ReadProblem(source, line, index, reason));
}
