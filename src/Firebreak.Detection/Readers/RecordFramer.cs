using System.Buffers;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Text;
using System.Text.Json;
using System.Text.Unicode;

namespace Firebreak.Detection.Readers;

/// <summary>
/// Splits a decoded UTF-8 JSON stream into records without building a document for the whole file:
/// a top-level array, a wrapper object holding an array of records (CloudTrail's <c>Records</c>,
/// Azure's <c>records</c>, Graph's <c>value</c>, CloudTrail Lake's <c>QueryResultRows</c>, CloudTrail
/// LookupEvents' <c>Events</c>, CloudWatch Logs' <c>logEvents</c> and <c>events</c>), or a
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

    // The input's byte just before the buffer's first one, once the buffer no longer starts with the input.
    private byte _byteBeforeBuffer;
    private long _lineCountedTo;
    private long _line = 1;

    private (long Position, string Message)? _syntaxError;

    private static readonly System.Buffers.SearchValues<byte> Structural = System.Buffers.SearchValues.Create("\"{}[]"u8);
    private static readonly System.Buffers.SearchValues<byte> Whitespace = System.Buffers.SearchValues.Create(" \t\r\n"u8);
    private const int MaxPendingProblems = 1000;

    private readonly List<ReadProblem> _pending = [];
    private bool _fast;

    // A record at the top level (a line of JSON lines) being framed by the fast path, and whether the next
    // top-level object must be tokenised because that attempt was given up.
    private bool _fastTopLevel;
    private bool _tokeniseNextObject;
    private int _fastDepth;
    private bool _fastInString;
    private bool _fastEscape;

    // Where a string of a record inside an array ran into a line break followed by a line opening with a bracket: JSON
    // strings hold no raw line break, so the record was cut short there (a partial download joined with the next file).
    private long? _fastCutAt;

    /// <summary>The reason given for a record whose string runs into the next line.</summary>
    private const string StringCutAtLineEnd = "a string does not end on its line (the record is cut short there)";
    private bool _betweenRecords;
    private bool _resumingWrapper;
    private bool _resyncToNewline;
    private bool _resyncToRecordLine;

    // A first line that is not JSON, waiting for the lines after it to be read before the file is judged.
    private bool _readBeforeJudging;

    /// <summary>How much of what follows a first line that is not JSON is read before the file is called no JSON log.</summary>
    private const int LookAheadBytes = 64 * 1024;

    // The line on which the array of records being read opened (a wrapper's array: the line the wrapper opened on), when
    // that opened in the first column of the line (a delivery file, or a bare array, one to a line); else 0.
    private long _arrayLine;
    private bool _sawStructure;

    // Where the line given to the tokenising reader ends, in the input's bytes.
    private long _windowEndAbs;

    public async IAsyncEnumerable<RecordBatch> ReadAsync(Stream stream, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        _state = new JsonReaderState(_readerOptions);
        var maxBuffer = options.MaxRecordBytes + (2 * options.ReadBufferBytes);
        var buffer = ArrayPool<byte>.Shared.Rent(options.ReadBufferBytes * 2);
        var ready = new Queue<RecordBatch>();
        var batch = NewBatch(0);
        int filled = 0, consumed = 0;
        var eof = false;
        var resumed = false;
        try
        {
            while (!eof || resumed)
            {
                // After a malformed line the lines behind it are usually buffered already; they are framed
                // before anything more is read. Reading a block per malformed line grew the buffer by a block
                // for every line consumed, until a run of them passed the record size limit and the rest of
                // the file was dropped.
                var framePending = resumed;
                resumed = false;
                var keepAbs = _inRecord && _skipReason is null ? _recordStartAbs : _bufferStart + consumed;
                var keep = (int)(keepAbs - _bufferStart);
                if (keep > 0)
                {
                    _byteBeforeBuffer = buffer[keep - 1];
                    CountLinesTo(buffer, keepAbs);
                    buffer.AsSpan(keep, filled - keep).CopyTo(buffer);
                    filled -= keep;
                    consumed -= keep;
                    _bufferStart = keepAbs;
                }

                if (!framePending && buffer.Length - filled < options.ReadBufferBytes)
                {
                    if (filled + options.ReadBufferBytes > maxBuffer)
                    {
                        // A JSON-lines record longer than the limit, all on its line (no newline since it began): the
                        // next line is the next record, so reading goes on there. Elsewhere (a value written over many
                        // lines, a huge wrapper) there is no safe place to pick up again.
                        var lineOriented = _container is Container.None or Container.Candidate;
                        if (lineOriented && _inRecord && _recordStartAbs >= _bufferStart
                            && buffer.AsSpan((int)(_recordStartAbs - _bufferStart), filled - (int)(_recordStartAbs - _bufferStart)).IndexOf((byte)'\n') < 0)
                        {
                            Report(_recordLine, _recordIndex, $"record is larger than the maximum record size of {options.MaxRecordBytes} bytes; skipped to the next line");
                            _recordIndex++;
                            ResetAfterSkippedLine();
                            consumed = filled;
                            _resyncToNewline = true;
                            continue;
                        }

                        Report(_recordLine, _recordIndex,
                            $"a single JSON value is larger than the maximum record size of {options.MaxRecordBytes} bytes; rest of file skipped", endsInput: true);
                        break;
                    }

                    var larger = ArrayPool<byte>.Shared.Rent(Math.Min(maxBuffer, Math.Max(buffer.Length * 2, filled + options.ReadBufferBytes)));
                    buffer.AsSpan(0, filled).CopyTo(larger);
                    ArrayPool<byte>.Shared.Return(buffer);
                    buffer = larger;
                }

                if (!framePending)
                {
                    var (read, readError) = await ReadSomeAsync(stream, buffer.AsMemory(filled), cancellationToken).ConfigureAwait(false);
                    if (readError is not null)
                    {
                        Report(null, _inRecord ? _recordIndex : null, readError + "; rest of file skipped", endsInput: true);
                        break;
                    }

                    eof = read == 0;
                    filled += read;
                }

                if (_resyncToRecordLine)
                {
                    // Past a broken record written over several lines, to the next line opening with a bracket. The
                    // last byte is kept: a newline there may be followed by the bracket in the next block read.
                    if (NextRecordInside(buffer, Math.Max(consumed - 1, 0), filled) is not { } recordLine)
                    {
                        consumed = Math.Max(consumed, filled - 1);
                        if (eof)
                        {
                            _resyncToRecordLine = false;
                            consumed = filled;
                        }

                        continue;
                    }

                    consumed = recordLine;
                    _resyncToRecordLine = false;
                }

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

                // A long run of input without a record in it (lines that are not JSON) sends its problems on in a
                // batch of their own, so that they do not pile up here waiting for the next record.
                if (_pending.Count >= MaxPendingProblems)
                {
                    batch.AddProblems(_pending);
                    _pending.Clear();
                    ready.Enqueue(batch);
                    batch = NewBatch(0);
                }

                while (ready.Count > 0)
                {
                    yield return ready.Dequeue();
                }

                if (_syntaxError is { } error)
                {
                    if (!HandleSyntaxError(buffer, error, ref consumed, filled, eof))
                    {
                        break;
                    }

                    // At the end of the input the lines after a malformed one are already buffered; unless more must be
                    // read first to judge it.
                    resumed = !_readBeforeJudging;
                    _readBeforeJudging = false;
                }
            }

            batch.AddProblems(_pending);
            _pending.Clear();
            if (batch.Records.Count > 0 || batch.Problems.Count > 0)
            {
                var last = batch;
                batch = NewBatch(0);
                yield return last;
            }
        }
        finally
        {
            // Stopped early (cancelled, or the stream failed): what was found is still reported.
            foreach (var problem in _pending)
            {
                report(problem);
            }

            _pending.Clear();
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
    private bool HandleSyntaxError(byte[] buffer, (long Position, string Message) error, ref int consumed, int filled, bool eof)
    {
        _syntaxError = null;

        // Lines of top-level values can be resynchronised at the next newline; inside one big array
        // or wrapper there is no safe place to pick up again. A file that does not even open an
        // object or array is most likely not JSON at all, so it is reported once, not once per line.
        var lineOriented = _container is Container.None or Container.Candidate;
        var at = (int)Math.Max(error.Position - _bufferStart, consumed);

        // A byte order mark between two top-level values: files saved with one and joined (cat a.json b.json, copy /b).
        // It is no part of the JSON and costs no record; framing goes on after it.
        if (!_inRecord && _container == Container.None && at + 3 <= filled && buffer.AsSpan(at, 3).SequenceEqual("\uFEFF"u8))
        {
            ResetAfterSkippedLine();
            consumed = at + 3;
            _resyncToNewline = false;
            return true;
        }

        // Delivery files one to a line (joined with cat), one of them cut short between two of its records, or a line
        // holding only `[` or `{"Records":[` among JSON lines: where a ',' or the array's end should follow a record, a line
        // opens with a bracket. No record was lost; the array is reported as not closed and reading goes on at that line,
        // as it would between JSON lines, rather than skipping the rest of the file.
        if (_container is Container.Wrapper or Container.TopArray && !_inRecord && at < filled && buffer[at] is (byte)'{' or (byte)'['
            && BeginsLine(buffer, at) && error.Message.StartsWith("expected ',' or ']' after a record", StringComparison.Ordinal))
        {
            Report(LineAt(buffer, Math.Max(error.Position - 1, 0)), null,
                "the array of records does not close before the next line (the file is cut short, or a line holds only its start); reading goes on at the next line");
            ResetAfterSkippedLine();
            consumed = at;
            _resyncToNewline = false;
            return true;
        }

        // A record inside an array cut short inside a string, with a line opening with a bracket after the cut (delivery
        // files one to a line, one a partial download): the next line is read as the next file or record, as between
        // JSON lines, and the cut record reported at its own line.
        if (_inRecord && ReferenceEquals(error.Message, StringCutAtLineEnd))
        {
            lineOriented = true;
        }

        // Delivery files (or bare arrays) one to a line (joined with cat), one of them cut short: the cut record, begun on its
        // array's line, runs on into the next line, which opens the next file's wrapper in its first column. Reading resumes
        // there, as it would between JSON lines. A record begun on a later line is part of a file written over many lines,
        // whose nested values may open lines too (`indent=0`): no line of it is taken for a new file.
        else if (_container is Container.Wrapper or Container.TopArray && _arrayLine > 0 && _recordLine == _arrayLine && _inRecord && _recordStartAbs >= _bufferStart
            && NextRecordInside(buffer, (int)(_recordStartAbs - _bufferStart), Math.Min(at, filled)) is { } nextFile)
        {
            at = nextFile;
            lineOriented = true;
        }

        // A line cut short after a ':' takes the next line in as its last property's value, and the error only
        // shows at the line after that (or at the end of the file). A line inside the record that opens with a
        // bracket in its very first column is where the next record starts: nested values of a record written
        // over several lines are indented, and a record on one line holds no newline at all.
        var skipToRecordLine = false;
        if (lineOriented && _inRecord && _recordStartAbs >= _bufferStart && NextRecordInside(buffer, (int)(_recordStartAbs - _bufferStart), at) is { } next)
        {
            at = next;
        }
        else if (lineOriented && _inRecord && _recordStartAbs >= _bufferStart && (int)(_recordStartAbs - _bufferStart) is var recordStart
            && BeginsLine(buffer, recordStart) && buffer.AsSpan(recordStart, Math.Min(at, filled) - recordStart).IndexOf((byte)'\n') >= 0
            && !(at < filled && buffer[at] is (byte)'{' or (byte)'[' && StartsLine(buffer, at) is not null))
        {
            // A record written over several lines from the first column (jq's output of .Records[]) broken in its
            // middle: its other lines are no records of their own, and the next record starts at the next line that
            // opens with a bracket in the first column. Read on from there, and report the broken record once.
            if (NextRecordInside(buffer, at, filled) is { } after)
            {
                at = after;
            }
            else
            {
                skipToRecordLine = true;
            }
        }

        // A value that does not close runs on into the next line, and the error is found at that
        // line's first bracket: the next record starts there, so reading resumes there, not after it.
        var resumeHere = lineOriented && _inRecord && at < filled && buffer[at] is (byte)'{' or (byte)'['
            && StartsLine(buffer, at) is { } lineStart && _bufferStart + lineStart > _recordStartAbs;
        var nextLine = at < filled ? buffer.AsSpan(at, filled - at).IndexOf((byte)'\n') : -1;
        var more = resumeHere || (nextLine >= 0 && buffer.AsSpan(at + nextLine, filled - at - nextLine).IndexOfAnyExcept(Whitespace) >= 0);
        // The value that did not close is the one at fault, not the line where that was noticed.
        var line = resumeHere || skipToRecordLine ? _recordLine : LineAt(buffer, Math.Max(error.Position, _lineCountedTo));
        var truncated = eof && !more && error.Message.Contains("end of", StringComparison.OrdinalIgnoreCase);
        var reason = truncated ? "file ends inside a JSON value (truncated?)" : $"malformed JSON: {error.Message}";
        long? index = _inRecord || _container == Container.None ? _recordIndex : null;
        // A first line that is not JSON followed by lines that are (a piece of JSON lines cut by size, which starts in the
        // middle of a line; a header an export tool wrote) is a malformed line like any other: only a file with no line
        // that opens an object or array in what is buffered is taken for something else than JSON.
        var jsonLinesFollow = lineOriented && !_sawStructure && more && LaterLineOpensValue(buffer, at, filled);
        if (lineOriented && !_sawStructure && !jsonLinesFollow && !eof && filled - at < LookAheadBytes)
        {
            // Too little is buffered to tell (a decoder's first read holds only the bytes it peeked at): the lines after
            // this one are read first, and the input framed again from where it was.
            ResetAfterSkippedLine();
            _readBeforeJudging = true;
            return true;
        }

        if (!lineOriented || (!_sawStructure && !jsonLinesFollow) || (eof && !more))
        {
            Report(line, index, !_sawStructure && !truncated ? $"not a JSON log file: {error.Message}" : reason + (eof ? "" : "; rest of file skipped"), endsInput: true);
            return false;
        }

        Report(line, index, reason + (skipToRecordLine ? "; skipped to the next record" : "; skipped to the next line"));
        if (_inRecord)
        {
            _recordIndex++;
        }

        ResetAfterSkippedLine();
        consumed = at;
        _resyncToNewline = !resumeHere && !skipToRecordLine;
        _resyncToRecordLine = skipToRecordLine;
        return true;
    }

    /// <summary>Whether a line after the one holding <paramref name="from"/>, in the buffered bytes, starts (after blanks) with a bracket.</summary>
    private static bool LaterLineOpensValue(byte[] buffer, int from, int filled)
    {
        var span = buffer.AsSpan(from, filled - from);
        for (var newline = span.IndexOf((byte)'\n'); newline >= 0; newline = span.IndexOf((byte)'\n'))
        {
            span = span[(newline + 1)..];
            var first = span.IndexOfAnyExcept(" \t\r"u8);
            if (first >= 0 && span[first] is (byte)'{' or (byte)'[')
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>Forgets the record and container being framed, so that framing starts afresh at a later line.</summary>
    private void ResetAfterSkippedLine()
    {
        _inRecord = false;
        _skipReason = null;
        _container = Container.None;
        _pendingWrapperName = false;
        _inWrapperArray = false;
        _fast = false;
        _fastTopLevel = false;
        _tokeniseNextObject = false;
        _betweenRecords = false;
        _resumingWrapper = false;
        _arrayLine = 0;
        _state = new JsonReaderState(_readerOptions);
    }

    /// <summary>The first position after <paramref name="from"/> and before <paramref name="to"/> that follows a newline and holds a bracket.</summary>
    private static int? NextRecordInside(byte[] buffer, int from, int to)
    {
        for (var i = from; i < to; i++)
        {
            var newline = buffer.AsSpan(i, to - i).IndexOf((byte)'\n');
            if (newline < 0)
            {
                return null;
            }

            i += newline;
            if (i + 1 < to && buffer[i + 1] is (byte)'{' or (byte)'[')
            {
                return i + 1;
            }
        }

        return null;
    }

    /// <summary>Whether <paramref name="at"/> is the first byte of a line (or of the input).</summary>
    private bool BeginsLine(byte[] buffer, int at) => at > 0 ? buffer[at - 1] == (byte)'\n' : _bufferStart == 0 || _byteBeforeBuffer == (byte)'\n';

    /// <summary>The start of the line holding <paramref name="at"/> when only whitespace precedes it there, else null.</summary>
    private int? StartsLine(byte[] buffer, int at)
    {
        var before = buffer.AsSpan(0, at).LastIndexOfAnyExcept(" \t\r"u8);
        return before >= 0 && buffer[before] == (byte)'\n' ? before + 1 : null;
    }

    /// <summary>
    /// Frames as many records as the buffered bytes allow. Records inside an array (a top-level array
    /// or a wrapper's array) take a fast path: their end is found by a vectorised search for quotes and
    /// brackets instead of full tokenisation, and the separators between them are handled here, since
    /// that is where nearly all the bytes of a large export are. Records are fully validated later,
    /// when (and if) they are parsed.
    /// </summary>
    private int Scan(byte[] buffer, int start, int end, bool final, ref RecordBatch batch, Queue<RecordBatch> ready)
    {
        var pos = start;
        while (true)
        {
            if (_fast)
            {
                // A line record ends on its line (the attempt starts just past its opening brace and never outlives
                // this call): the scan stops there, so a line that does not close costs only itself before the
                // tokenising reader takes it, not the rest of the buffer.
                var complete = FastScan(buffer, ref pos, _fastTopLevel ? LineEnd(buffer, pos, end) : end, end, final);
                if (_fastCutAt is { } cutAt)
                {
                    // Reported as a syntax error at the next line's bracket, where reading resumes.
                    _fastCutAt = null;
                    _syntaxError = (cutAt + 1, StringCutAtLineEnd);
                    return (int)(cutAt + 1 - _bufferStart) - start;
                }

                if (_skipReason is null && _bufferStart + pos - _recordStartAbs > options.MaxRecordBytes)
                {
                    _skipReason = $"record is larger than the maximum record size of {options.MaxRecordBytes} bytes";
                }

                if (_fastTopLevel)
                {
                    _fast = false;
                    _fastTopLevel = false;
                    var recordStart = (int)(_recordStartAbs - _bufferStart);
                    if (!complete || _skipReason is not null || !IsLineRecord(buffer.AsSpan(recordStart, pos - recordStart)))
                    {
                        // Not a one-line record whose end is buffered: the tokenising reader takes this object
                        // from its first byte, as it takes every top-level object that may be a wrapper.
                        _inRecord = false;
                        _skipReason = null;
                        _tokeniseNextObject = true;
                        _state = new JsonReaderState(_readerOptions);
                        pos = recordStart;
                        continue;
                    }

                    CompleteRecord(buffer, _bufferStart + pos, ref batch, ready, lineRecord: true);
                    _state = new JsonReaderState(_readerOptions);
                    continue;
                }

                if (!complete)
                {
                    if (final)
                    {
                        _syntaxError = (_bufferStart + pos, "unexpected end of data inside a record");
                    }

                    return pos - start;
                }

                _fast = false;
                CompleteRecord(buffer, _bufferStart + pos, ref batch, ready);
                _betweenRecords = true;
            }

            if (_betweenRecords)
            {
                var next = SkipWhitespace(buffer, pos, end);
                if (next == end)
                {
                    if (final)
                    {
                        _syntaxError = (_bufferStart + pos, "unexpected end of data inside an array of records");
                    }

                    return pos - start;
                }

                var c = buffer[next];
                if (c == (byte)',')
                {
                    var recordStart = SkipWhitespace(buffer, next + 1, end);
                    if (recordStart == end)
                    {
                        // The separator is consumed only once the next record's start is buffered.
                        if (final)
                        {
                            _syntaxError = (_bufferStart + next, "unexpected end of data after a separator");
                        }

                        return pos - start;
                    }

                    if (buffer[recordStart] is not ((byte)'{' or (byte)'['))
                    {
                        // A string, number, true, false or null among the records is reported and
                        // skipped like any record of the wrong shape; the array goes on.
                        var scalarEnd = ScalarEnd(buffer, recordStart, end);
                        if (scalarEnd is null && !final)
                        {
                            return pos - start;
                        }

                        if (scalarEnd is not { } scalarAfter || !IsScalar(buffer.AsSpan(recordStart, scalarAfter - recordStart)))
                        {
                            _syntaxError = (_bufferStart + recordStart, "expected a record (a JSON object) after ','");
                            return recordStart - start;
                        }

                        Report(LineAt(buffer, _bufferStart + recordStart), _recordIndex, "expected a record (a JSON object) after ',', found a single value; skipped");
                        _recordIndex++;
                        pos = scalarAfter;
                        continue;
                    }

                    _betweenRecords = false;
                    BeginRecord(buffer, _bufferStart + recordStart, _container == Container.Wrapper ? 2 : 1);
                    StartFast();
                    pos = recordStart + 1;
                    continue;
                }

                if (c != (byte)']')
                {
                    _syntaxError = (_bufferStart + next, $"expected ',' or ']' after a record, found '{(char)c}'");
                    return next - start;
                }

                if (_container == Container.TopArray)
                {
                    _betweenRecords = false;
                    _container = Container.None;
                    _state = new JsonReaderState(_readerOptions);
                    pos = next + 1;
                    continue;
                }

                // The end of a wrapper's array: the wrapper object either closes, or goes on with
                // more properties, which the tokenising reader takes over as a fresh object.
                var after = SkipWhitespace(buffer, next + 1, end);
                if (after == end)
                {
                    if (final)
                    {
                        _syntaxError = (_bufferStart + next, "unexpected end of data inside a wrapper object");
                    }

                    return pos - start;
                }

                _betweenRecords = false;
                _inWrapperArray = false;
                _state = new JsonReaderState(_readerOptions);
                if (buffer[after] == (byte)'}')
                {
                    _container = Container.None;
                    pos = after + 1;
                    continue;
                }

                if (buffer[after] != (byte)',')
                {
                    _syntaxError = (_bufferStart + after, $"expected ',' or '}}' after an array of records, found '{(char)buffer[after]}'");
                    return after - start;
                }

                buffer[after] = (byte)'{';
                _resumingWrapper = true;
                pos = after;
                continue;
            }

            // The reader is given the buffered text a line at a time (no token spans a line: JSON strings
            // hold no raw newline). Its error for an invalid literal quotes the text to the end of what it was
            // given, and given the whole buffer that was the rest of the buffer, copied into a new message for
            // every malformed line: a file of malformed JSON lines took a millisecond a line.
            var windowEnd = LineEnd(buffer, pos, end);
            _windowEndAbs = _bufferStart + windowEnd;
            Utf8JsonReader reader;
            while (true)
            {
                reader = new Utf8JsonReader(buffer.AsSpan(pos, windowEnd - pos), final && windowEnd == end, _state);
                var baseAbs = _bufferStart + pos;
                try
                {
                    while (reader.Read())
                    {
                        if (ReadToken(ref reader, buffer, baseAbs, ref batch, ready))
                        {
                            // A record inside an array began: hand over to the fast path.
                            StartFast();
                            break;
                        }
                    }
                }
                catch (JsonException ex)
                {
                    _syntaxError = (baseAbs + reader.BytesConsumed, StripPosition(ex.Message));
                    _state = reader.CurrentState;
                    return pos + (int)reader.BytesConsumed - start;
                }

                // A line the reader took nothing of (only whitespace) is read again with the next one.
                if (_fast || reader.BytesConsumed > 0 || windowEnd == end)
                {
                    break;
                }

                windowEnd = LineEnd(buffer, windowEnd, end);
            }

            pos += (int)reader.BytesConsumed;
            if (_fast)
            {
                continue;
            }

            _state = reader.CurrentState;
            if (windowEnd < end)
            {
                continue;
            }

            return pos - start;
        }
    }

    /// <summary>The end of the line holding <paramref name="from"/> (after its newline), or <paramref name="end"/>.</summary>
    private static int LineEnd(byte[] buffer, int from, int end)
    {
        var newline = buffer.AsSpan(from, end - from).IndexOf((byte)'\n');
        return newline < 0 ? end : from + newline + 1;
    }

    /// <summary>Where a scalar value starting at <paramref name="at"/> ends, or null when its end is not buffered yet.</summary>
    private static int? ScalarEnd(byte[] buffer, int at, int end)
    {
        if (buffer[at] == (byte)'"')
        {
            for (var i = at + 1; i < end; i++)
            {
                if (buffer[i] == (byte)'\\')
                {
                    i++;
                }
                else if (buffer[i] == (byte)'"')
                {
                    return i + 1;
                }
            }

            return null;
        }

        var stop = buffer.AsSpan(at, end - at).IndexOfAny(",]{}[\" \t\r\n"u8);
        return stop < 0 ? null : at + stop;
    }

    private static bool IsScalar(ReadOnlySpan<byte> value)
    {
        var reader = new Utf8JsonReader(value, isFinalBlock: true, state: default);
        try
        {
            return reader.Read() && reader.TokenType is not (JsonTokenType.StartObject or JsonTokenType.StartArray) && reader.BytesConsumed == value.Length;
        }
        catch (JsonException)
        {
            return false;
        }
    }

    private void StartFast()
    {
        _fast = true;
        _fastDepth = 1;
        _fastInString = false;
        _fastEscape = false;
    }

    private static int SkipWhitespace(byte[] buffer, int pos, int end)
    {
        var rest = buffer.AsSpan(pos, end - pos).IndexOfAnyExcept(Whitespace);
        return rest < 0 ? end : pos + rest;
    }

    /// <summary>
    /// Advances through a record's bytes up to <paramref name="end"/>; true when its closing bracket has been passed.
    /// <paramref name="filled"/> is where the buffered bytes end, for a look at the line after a line break.
    /// </summary>
    private bool FastScan(byte[] buffer, ref int pos, int end, int filled, bool final)
    {
        if (options.FramerScan != FramerScan.Bytes)
        {
            while (end - pos >= 64)
            {
                if (_fastEscape || !TryScanBlock(buffer, ref pos, out var complete))
                {
                    // A backslash or a line break inside a string in the block (or an escape left pending by the
                    // previous block): the byte-wise scan below handles the block, so both keep exactly the meaning
                    // they have there.
                    if (ScanBytes(buffer, ref pos, pos + 64, filled, final))
                    {
                        return true;
                    }

                    if (_fastCutAt is not null)
                    {
                        return false;
                    }

                    continue;
                }

                if (complete)
                {
                    return true;
                }
            }
        }

        return ScanBytes(buffer, ref pos, end, filled, final);
    }

    /// <summary>
    /// Scans the 64 bytes at <paramref name="pos"/> as bit masks (one bit per byte): quotes toggle the
    /// in-string mask by a prefix XOR, and only brackets outside strings change the depth. Declines a
    /// block holding a backslash or a line break inside a string. On success <paramref name="pos"/> is past the record's closing
    /// bracket when <paramref name="complete"/>, else past the block.
    /// </summary>
    private bool TryScanBlock(byte[] buffer, ref int pos, out bool complete)
    {
        complete = false;
        var (backslashes, quotes, open, close, newlines) = options.FramerScan == FramerScan.Vector256
            ? Masks256(ref buffer[pos])
            : Masks128(ref buffer[pos]);
        if (backslashes != 0)
        {
            return false;
        }

        // Bit i of inString: an odd number of quotes at or before byte i, flipped when the block began inside a string.
        var inString = quotes;
        inString ^= inString << 1;
        inString ^= inString << 2;
        inString ^= inString << 4;
        inString ^= inString << 8;
        inString ^= inString << 16;
        inString ^= inString << 32;
        if (_fastInString)
        {
            inString = ~inString;
        }

        if ((newlines & inString) != 0)
        {
            return false;
        }

        var brackets = (open | close) & ~inString;
        while (brackets != 0)
        {
            var bit = BitOperations.TrailingZeroCount(brackets);
            brackets &= brackets - 1;
            if ((open >> bit & 1) != 0)
            {
                if (++_fastDepth > options.MaxDepth && _skipReason is null)
                {
                    _skipReason = $"record nests deeper than the maximum depth of {options.MaxDepth}";
                }
            }
            else if (--_fastDepth == 0)
            {
                pos += bit + 1;
                _fastInString = false;
                complete = true;
                return true;
            }
        }

        _fastInString = (long)inString < 0;
        pos += 64;
        return true;
    }

    // '[' and '{' differ only in bit 5, as do ']' and '}': with it set, one comparison finds both.
    private static (ulong Backslashes, ulong Quotes, ulong Open, ulong Close, ulong Newlines) Masks256(ref byte start)
    {
        var low = Vector256.LoadUnsafe(ref start);
        var high = Vector256.LoadUnsafe(ref start, 32);
        var lowFolded = low | Vector256.Create((byte)0x20);
        var highFolded = high | Vector256.Create((byte)0x20);
        return (Mask(low, high, (byte)'\\'), Mask(low, high, (byte)'"'), Mask(lowFolded, highFolded, (byte)'{'), Mask(lowFolded, highFolded, (byte)'}'),
            Mask(low, high, (byte)'\n'));

        static ulong Mask(Vector256<byte> low, Vector256<byte> high, byte value)
        {
            var target = Vector256.Create(value);
            return Vector256.Equals(low, target).ExtractMostSignificantBits() | (ulong)Vector256.Equals(high, target).ExtractMostSignificantBits() << 32;
        }
    }

    private static (ulong Backslashes, ulong Quotes, ulong Open, ulong Close, ulong Newlines) Masks128(ref byte start)
    {
        ulong backslashes = 0, quotes = 0, open = 0, close = 0, newlines = 0;
        for (nuint part = 0; part < 4; part++)
        {
            var bytes = Vector128.LoadUnsafe(ref start, part * 16);
            var folded = bytes | Vector128.Create((byte)0x20);
            var shift = (int)part * 16;
            backslashes |= (ulong)Vector128.Equals(bytes, Vector128.Create((byte)'\\')).ExtractMostSignificantBits() << shift;
            quotes |= (ulong)Vector128.Equals(bytes, Vector128.Create((byte)'"')).ExtractMostSignificantBits() << shift;
            open |= (ulong)Vector128.Equals(folded, Vector128.Create((byte)'{')).ExtractMostSignificantBits() << shift;
            close |= (ulong)Vector128.Equals(folded, Vector128.Create((byte)'}')).ExtractMostSignificantBits() << shift;
            newlines |= (ulong)Vector128.Equals(bytes, Vector128.Create((byte)'\n')).ExtractMostSignificantBits() << shift;
        }

        return (backslashes, quotes, open, close, newlines);
    }

    private bool ScanBytes(byte[] buffer, ref int pos, int end, int filled, bool final)
    {
        while (pos < end)
        {
            if (_fastInString)
            {
                if (_fastEscape)
                {
                    _fastEscape = false;
                    // A backslash just before the line break of a cut (a policy document's \" cut in two) escapes
                    // nothing: the line break is looked at below as any other inside a string.
                    if (buffer[pos] != (byte)'\n' || _fastTopLevel || _recordLine != _arrayLine)
                    {
                        pos++;
                        continue;
                    }
                }

                var quote = buffer.AsSpan(pos, end - pos).IndexOfAny((byte)'"', (byte)'\\', (byte)'\n');
                if (quote < 0)
                {
                    pos = end;
                    return false;
                }

                pos += quote;
                switch (buffer[pos])
                {
                    case (byte)'\\':
                        _fastEscape = true;
                        break;
                    case (byte)'"':
                        _fastInString = false;
                        break;
                    // A record of an array written on one line, whose string runs into the next line: when that line opens
                    // with a bracket, the record was cut short (a partial download joined with the next file) and the
                    // next line is read afresh. Whether it does is not known until it is read: the line break is looked
                    // at again then.
                    case (byte)'\n' when !_fastTopLevel && _recordLine == _arrayLine && pos + 1 >= filled && !final:
                        return false;
                    case (byte)'\n' when !_fastTopLevel && _recordLine == _arrayLine && pos + 1 < filled && buffer[pos + 1] is (byte)'{' or (byte)'[':
                        _fastCutAt = _bufferStart + pos;
                        return false;
                }

                pos++;
                continue;
            }

            var structural = buffer.AsSpan(pos, end - pos).IndexOfAny(Structural);
            if (structural < 0)
            {
                pos = end;
                return false;
            }

            pos += structural;
            switch (buffer[pos++])
            {
                case (byte)'"':
                    _fastInString = true;
                    break;
                case (byte)'{' or (byte)'[':
                    if (++_fastDepth > options.MaxDepth && _skipReason is null)
                    {
                        _skipReason = $"record nests deeper than the maximum depth of {options.MaxDepth}";
                    }

                    break;
                default:
                    if (--_fastDepth == 0)
                    {
                        return true;
                    }

                    break;
            }
        }

        return false;
    }

    /// <summary>Handles one token; true when a record inside an array has just begun.</summary>
    private bool ReadToken(ref Utf8JsonReader reader, byte[] buffer, long baseAbs, ref RecordBatch batch, Queue<RecordBatch> ready)
    {
        var token = reader.TokenType;
        var depth = reader.CurrentDepth;
        if (_resumingWrapper)
        {
            _resumingWrapper = false;
            return false;
        }

        if (_inRecord)
        {
            if (token is JsonTokenType.StartObject or JsonTokenType.StartArray)
            {
                if (token == JsonTokenType.StartArray && _container == Container.Candidate && depth == 1 && _pendingWrapperName)
                {
                    _inRecord = false;
                    _skipReason = null;
                    _arrayLine = _recordStartAbs >= _bufferStart && BeginsLine(buffer, (int)(_recordStartAbs - _bufferStart)) ? _recordLine : 0;
                    _container = Container.Wrapper;
                    _inWrapperArray = true;
                    _pendingWrapperName = false;
                    return false;
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

                return false;
            }
            else if (token == JsonTokenType.PropertyName && _container == Container.Candidate && depth == 1)
            {
                _pendingWrapperName = IsWrapperName(ref reader);
                return false;
            }

            if (_container == Container.Candidate && depth == 1)
            {
                _pendingWrapperName = false;
            }

            if (_skipReason is null && baseAbs + reader.BytesConsumed - _recordStartAbs > options.MaxRecordBytes)
            {
                _skipReason = $"record is larger than the maximum record size of {options.MaxRecordBytes} bytes";
            }

            return false;
        }

        switch (_container)
        {
            case Container.None:
                _sawStructure |= token is JsonTokenType.StartObject or JsonTokenType.StartArray;
                if (token == JsonTokenType.StartObject)
                {
                    BeginRecord(buffer, baseAbs + reader.TokenStartIndex, depth);
                    if (!_tokeniseNextObject)
                    {
                        // Most likely a line of JSON lines: framed like a record inside an array, and handed back
                        // to the tokenising reader if it turns out not to be one line or may be a wrapper.
                        _fastTopLevel = true;
                        return true;
                    }

                    _tokeniseNextObject = false;
                    _container = Container.Candidate;
                    _pendingWrapperName = false;
                }
                else if (token == JsonTokenType.StartArray)
                {
                    _container = Container.TopArray;
                    var arrayStart = (int)(baseAbs + reader.TokenStartIndex - _bufferStart);
                    _arrayLine = BeginsLine(buffer, arrayStart) ? LineAt(buffer, baseAbs + reader.TokenStartIndex) : 0;
                }
                else if (token == JsonTokenType.String && FollowedByColon(buffer, baseAbs + reader.BytesConsumed))
                {
                    // A property's name with no object around it: the rest of a line cut in two (a piece of a JSON-lines
                    // file split by size). The colon's syntax error reports the line, once; it is no record of its own.
                }
                else
                {
                    NotARecord(buffer, baseAbs + reader.TokenStartIndex);
                }

                return false;
            case Container.TopArray:
                if (depth == 0)
                {
                    _container = Container.None;
                }
                else if (token is JsonTokenType.StartObject or JsonTokenType.StartArray)
                {
                    BeginRecord(buffer, baseAbs + reader.TokenStartIndex, depth);
                    return true;
                }
                else
                {
                    NotARecord(buffer, baseAbs + reader.TokenStartIndex);
                }

                return false;
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
                        return true;
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

                return false;
            default:
                throw new InvalidOperationException($"unexpected framer state {_container}");
        }
    }

    /// <summary>
    /// Whether a top-level object framed by the fast path can be taken as one record: it is on one line (an
    /// object written over several lines is tokenised, so a line cut short is found where it is cut), and none
    /// of its properties can be a wrapper's array of records (a name that may spell one through a <c>\u</c>
    /// escape counts as one). The record's syntax is checked when it is parsed, or, when it is filtered out
    /// unparsed, by <see cref="CheckSyntax"/>.
    /// </summary>
    private static bool IsLineRecord(ReadOnlySpan<byte> record)
    {
        if (record.IndexOfAny((byte)'\n', (byte)'\r') >= 0 || record.IndexOf("\\u"u8) >= 0)
        {
            return false;
        }

        foreach (var name in WrapperNames)
        {
            if (NamesAnArray(record, name))
            {
                return false;
            }
        }

        return true;

        static bool NamesAnArray(ReadOnlySpan<byte> record, ReadOnlySpan<byte> name)
        {
            while (record.IndexOf(name) is var at and >= 0)
            {
                var quoted = at > 0 && record[at - 1] == (byte)'"' && at + name.Length < record.Length && record[at + name.Length] == (byte)'"';
                record = record[(at + name.Length)..];
                if (!quoted)
                {
                    continue;
                }

                record = record[1..];
                var colon = record.IndexOfAnyExcept(" \t"u8);
                if (colon >= 0 && record[colon] == (byte)':')
                {
                    var value = record[(colon + 1)..].IndexOfAnyExcept(" \t"u8);
                    if (value >= 0 && record[colon + 1 + value] == (byte)'[')
                    {
                        return true;
                    }
                }
            }

            return false;
        }
    }

    /// <summary>
    /// For a record framed without tokenising and then not parsed: why it is not a well-formed record, worded as
    /// it would be had it been parsed (for a line of JSON lines, see <see cref="IsLineRecord"/>, as the tokenising
    /// reader words a malformed line), or null when it is well-formed. Says also whether the record has, in its
    /// top-level names, the shape by which the reader recognises a CloudTrail record (<c>eventName</c>, <c>eventSource</c> and
    /// <c>eventTime</c> or <c>eventVersion</c>), a GCP audit entry (a <c>protoPayload</c> object with a
    /// <c>methodName</c> or the AuditLog <c>@type</c>) or an OCSF event (a numeric <c>class_uid</c>). A record skipped
    /// unparsed without one of them is parsed after all, to be sure some format recognises it.
    /// </summary>
    internal static string? CheckSyntax(ReadOnlySpan<byte> record, int maxDepth, bool lineRecord, out bool knownShape)
    {
        knownShape = false;
        if (!Utf8.IsValid(record))
        {
            return NotUtf8;
        }

        var reader = new Utf8JsonReader(record, new JsonReaderOptions { MaxDepth = maxDepth + 1 });
        try
        {
            var seen = Shape.None;
            var inPayload = false;
            while (reader.Read())
            {
                // Once the shape is known, the rest is read for its syntax only.
                if (reader.TokenType != JsonTokenType.PropertyName || reader.CurrentDepth > 2 || IsKnown(seen))
                {
                    continue;
                }

                // An escaped name (which may even be half a surrogate pair, no text at all) is not compared: without
                // the shape seen here, the record is parsed and judged whole, and a broken one reported.
                if (reader.ValueIsEscaped)
                {
                    inPayload &= reader.CurrentDepth == 2;
                    continue;
                }

                if (reader.CurrentDepth == 2)
                {
                    // A name inside the object of the top-level property read last.
                    if (inPayload && (reader.ValueTextEquals("methodName"u8) ? reader.Read() && reader.TokenType != JsonTokenType.Null
                        : reader.ValueTextEquals("@type"u8) && reader.Read() && reader.TokenType == JsonTokenType.String && !reader.ValueIsEscaped
                            && reader.ValueSpan.EndsWith("google.cloud.audit.AuditLog"u8)))
                    {
                        seen |= Shape.AuditLog;
                    }

                    continue;
                }

                inPayload = false;
                // Most names are none of these: their length and first letter say so without comparing further.
                if (reader.ValueSpan.Length is not (9 or 11 or 12) || reader.ValueSpan[0] is not ((byte)'e' or (byte)'c' or (byte)'p'))
                {
                    continue;
                }

                if (reader.ValueTextEquals("eventName"u8)) seen |= Shape.EventName;
                else if (reader.ValueTextEquals("eventSource"u8)) seen |= Shape.EventSource;
                else if (reader.ValueTextEquals("eventTime"u8) || reader.ValueTextEquals("eventVersion"u8)) seen |= Shape.EventTime;
                else if (reader.ValueTextEquals("class_uid"u8) && reader.Read() && reader.TokenType == JsonTokenType.Number) seen |= Shape.ClassUid;
                else if (reader.ValueTextEquals("protoPayload"u8)) inPayload = true;
            }

            knownShape = IsKnown(seen);
            return null;
        }
        catch (JsonException ex)
        {
            return lineRecord ? LineSyntaxError(ex) : RecordSyntaxError(ex);
        }
    }

    private static bool IsKnown(Shape seen) => (seen & Shape.CloudTrail) == Shape.CloudTrail || (seen & (Shape.AuditLog | Shape.ClassUid)) != 0;

    [Flags]
    private enum Shape
    {
        None = 0,
        EventName = 1,
        EventSource = 2,
        EventTime = 4,
        CloudTrail = EventName | EventSource | EventTime,
        AuditLog = 8,
        ClassUid = 16,
    }

    internal const string NotUtf8 = "record is not valid UTF-8 (is the file Latin-1 or another legacy encoding?)";

    /// <summary>How a malformed record inside an array is reported.</summary>
    internal static string RecordSyntaxError(JsonException ex) => $"malformed record: {Brief(ex.Message)}";

    /// <summary>How a malformed line of JSON lines is reported, whichever stage finds it.</summary>
    internal static string LineSyntaxError(JsonException ex) => $"malformed JSON: {StripPosition(ex.Message)}; skipped to the next line";

    /// <summary>
    /// The properties of a wrapper object whose array holds the records: CloudTrail's delivery files, Azure's
    /// exports, Microsoft Graph, CloudTrail Lake's query results, CloudTrail's LookupEvents, CloudWatch Logs, Cloud Logging's API.
    /// </summary>
    private static readonly byte[][] WrapperNames =
    [
        "Records"u8.ToArray(), "records"u8.ToArray(), "value"u8.ToArray(), "QueryResultRows"u8.ToArray(), "Events"u8.ToArray(),
        // CloudWatch Logs: a subscription's delivery (to Firehose, Kinesis, Lambda), and `aws logs filter-log-events` / `get-log-events`.
        "logEvents"u8.ToArray(), "events"u8.ToArray(),
        // Cloud Logging's entries.list response.
        "entries"u8.ToArray(),
    ];

    private static bool IsWrapperName(ref Utf8JsonReader reader)
    {
        try
        {
            foreach (var name in WrapperNames)
            {
                if (reader.ValueTextEquals(name))
                {
                    return true;
                }
            }
        }
        catch (InvalidOperationException)
        {
            // An escaped name that is no text (half a surrogate pair) names no wrapper; the record is reported when parsed.
        }

        return false;
    }

    // The reader's own line numbers restart with every buffer, so ours replace them.
    private static string StripPosition(string message)
    {
        var at = message.IndexOf(" LineNumber:", StringComparison.Ordinal);
        return Brief(at < 0 ? message : message[..at]);
    }

    /// <summary>
    /// The reader quotes the offending text in its messages, and an invalid literal runs to the end of
    /// the line it was given: a reason keeps only the start of it, so problems stay small and do not copy the log.
    /// </summary>
    internal static string Brief(string message) => message.Length <= 300 ? message : message[..300] + "...";

    private void BeginRecord(byte[] buffer, long startAbs, int depth)
    {
        _inRecord = true;
        _recordDepth = depth;
        _recordStartAbs = startAbs;
        _recordLine = LineAt(buffer, startAbs);
        _skipReason = null;
    }

    /// <summary>Whether a colon follows <paramref name="abs"/> on the line being tokenised, after blanks.</summary>
    private bool FollowedByColon(byte[] buffer, long abs)
    {
        var from = (int)(abs - _bufferStart);
        var to = (int)(_windowEndAbs - _bufferStart);
        if (from < 0 || from >= to) return false;
        var next = buffer.AsSpan(from, to - from).IndexOfAnyExcept(" \t\r"u8);
        return next >= 0 && buffer[from + next] == (byte)':';
    }

    private void NotARecord(byte[] buffer, long startAbs)
    {
        Report(LineAt(buffer, startAbs), _recordIndex, "record is not a JSON object");
        _recordIndex++;
    }

    private void CompleteRecord(byte[] buffer, long endAbs, ref RecordBatch batch, Queue<RecordBatch> ready, bool lineRecord = false)
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

        batch.AddProblems(_pending);
        _pending.Clear();
        batch.Add(buffer.AsSpan((int)(_recordStartAbs - _bufferStart), length), _recordIndex, _recordLine, lineRecord);
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

    /// <summary>
    /// Problems go out with the batch framed after them, so that they are reported in the order of the input
    /// together with those the mapping stage finds in the records before and after them (a line of JSON lines
    /// is only checked there).
    /// </summary>
    private void Report(long? line, long? index, string reason, bool endsInput = false) => _pending.Add(new ReadProblem(source, line, index, reason) { EndsInput = endsInput });
}
