using System.Buffers;
using System.Text.Json;

namespace Firebreak.Detection.Readers;

/// <summary>
/// The Log Analytics query API's own answer (<c>POST .../v1/workspaces/{id}/query</c>, saved by <c>az rest</c>, curl or a
/// script): <c>{"tables":[{"name":"PrimaryResult","columns":[{"name":"TimeGenerated","type":"datetime"},...],
/// "rows":[["2026-03-06T10:40:00Z",...],...]}]}</c>. Each row is given out as a line holding one object of the row's values
/// named by its table's columns (<c>{"TimeGenerated":"2026-03-06T10:40:00Z",...}</c>), which is what
/// <c>az monitor log-analytics query</c> writes and what the readers already know as a Log Analytics row: dynamic
/// columns stay JSON text, values are copied as written. A row is cited by its line here, which is its number among the
/// answer's rows. Memory stays within one row: a row larger than the record limit, rows before their table's columns, a
/// row with more values than columns and an answer cut short end the reading with an <see cref="IOException"/> that
/// says so, after the rows before it were given out.
/// </summary>
internal sealed class LogAnalyticsTablesStream : ReadOnlyStream
{
    /// <summary>Enough of a file's start to see <c>{"tables":</c> behind some whitespace.</summary>
    public const int HeadBytes = 64;

    private const int FirstBuffer = 64 * 1024;

    private enum Phase
    {
        Root,
        RootProperties,
        Tables,
        TableProperties,
        Rows,
        Ended,
    }

    private readonly int _maxRowBytes;
    private byte[] _buffer = ArrayPool<byte>.Shared.Rent(FirstBuffer);
    private int _start;
    private int _end;

    /// <summary>Where in the buffer the reader of the current <see cref="Produce"/> began: its token positions count from there.</summary>
    private int _base;
    private bool _eof;
    private JsonReaderState _state = new(new JsonReaderOptions { MaxDepth = 64 });
    private Phase _phase = Phase.Root;
    private byte[][]? _columns;
    private readonly ArrayBufferWriter<byte> _output = new(FirstBuffer);
    private int _outputRead;
    private long _rows;

    /// <summary>The error the service put beside the tables (a partial result: <c>PartialError</c>), said after the rows.</summary>
    private string? _error;

    /// <summary>What ended the reading, held until the rows written before it are given out.</summary>
    private IOException? _failure;

    public LogAnalyticsTablesStream(Stream inner, int maxRowBytes)
        : base(inner)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxRowBytes, 64);
        _maxRowBytes = maxRowBytes;
    }

    /// <summary>Whether a file that starts so is a query answer: an object whose first property is <c>tables</c>.</summary>
    public static bool IsAnswer(ReadOnlySpan<byte> head)
    {
        head = head.TrimStart(" \t\r\n"u8);
        if (head is not [(byte)'{', ..])
        {
            return false;
        }

        head = head[1..].TrimStart(" \t\r\n"u8);
        return head.StartsWith("\"tables\""u8);
    }

    public override int Read(Span<byte> buffer)
    {
        while (true)
        {
            var given = TakeOutput(buffer);
            if (given > 0 || buffer.IsEmpty)
            {
                return given;
            }

            if (_failure is not null)
            {
                throw _failure;
            }

            if (!Produce())
            {
                if (_phase == Phase.Ended && _eof)
                {
                    return 0;
                }

                Fill(Inner.Read(Room()));
            }
        }
    }

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        while (true)
        {
            var given = TakeOutput(buffer.Span);
            if (given > 0 || buffer.IsEmpty)
            {
                return given;
            }

            if (_failure is not null)
            {
                throw _failure;
            }

            if (!Produce())
            {
                if (_phase == Phase.Ended && _eof)
                {
                    return 0;
                }

                Fill(await Inner.ReadAsync(RoomMemory(), cancellationToken).ConfigureAwait(false));
            }
        }
    }

    protected override void Dispose(bool disposing)
    {
        ReturnBuffer();
        base.Dispose(disposing);
    }

    public override ValueTask DisposeAsync()
    {
        ReturnBuffer();
        return base.DisposeAsync();
    }

    private void ReturnBuffer()
    {
        var buffer = Interlocked.Exchange(ref _buffer, []);
        if (buffer.Length > 0)
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private int TakeOutput(Span<byte> destination)
    {
        var pending = _output.WrittenSpan[_outputRead..];
        var take = Math.Min(pending.Length, destination.Length);
        pending[..take].CopyTo(destination);
        _outputRead += take;
        if (_outputRead == _output.WrittenCount)
        {
            _output.ResetWrittenCount();
            _outputRead = 0;
        }

        return take;
    }

    /// <summary>Room after the buffered bytes, made by moving them to the front or, for a row larger than it, a larger buffer.</summary>
    private Span<byte> Room() => RoomMemory().Span;

    private Memory<byte> RoomMemory()
    {
        if (_start > 0)
        {
            _buffer.AsSpan(_start, _end - _start).CopyTo(_buffer);
            _end -= _start;
            _start = 0;
        }

        if (_end == _buffer.Length)
        {
            if (_end >= _maxRowBytes)
            {
                throw Fail($"a row is larger than the maximum record size of {_maxRowBytes} bytes");
            }

            var larger = ArrayPool<byte>.Shared.Rent(Math.Min(_maxRowBytes, _buffer.Length * 2));
            _buffer.AsSpan(0, _end).CopyTo(larger);
            ArrayPool<byte>.Shared.Return(_buffer);
            _buffer = larger;
        }

        return _buffer.AsMemory(_end);
    }

    private void Fill(int read)
    {
        if (read == 0)
        {
            if (_eof)
            {
                throw Fail("the answer ends inside its JSON (cut short?)");
            }

            _eof = true;
        }

        _end += read;
    }

    private IOException Fail(string reason) =>
        new($"Log Analytics query answer, after {_rows} row(s): {reason}");

    /// <summary>
    /// Reads what is buffered as far as it can, writing each whole row out; false when it needs more input (or has ended).
    /// Every token it acts on is taken whole, with its value when it skips one, so that reading stops only between them.
    /// </summary>
    private bool Produce()
    {
        try
        {
            return ProduceRows();
        }
        catch (IOException ex) when (_output.WrittenCount > 0)
        {
            _failure = ex;
            return true;
        }
    }

    private bool ProduceRows()
    {
        if (_phase == Phase.Ended)
        {
            if (_end > _start)
            {
                // Only whitespace may follow; the reader, given it, says otherwise.
                Check(_buffer.AsSpan(_start, _end - _start));
                _start = _end;
            }

            return false;
        }

        _base = _start;
        var reader = new Utf8JsonReader(_buffer.AsSpan(_start, _end - _start), _eof, _state);
        var produced = false;
        try
        {
            while (_output.WrittenCount < FirstBuffer)
            {
                var before = reader;
                if (!reader.Read())
                {
                    break;
                }

                if (!Step(ref reader))
                {
                    reader = before;
                    break;
                }

                produced = true;
                _start = _base + (int)reader.BytesConsumed;
                _state = reader.CurrentState;
                if (_phase == Phase.Ended)
                {
                    break;
                }
            }
        }
        catch (Exception ex) when (ex is JsonException or InvalidOperationException)
        {
            // Invalid JSON, or a name or value whose text cannot be read (a lone surrogate escape, bytes that are not UTF-8).
            throw Fail($"not valid JSON: {ex.Message}");
        }

        if (!produced && _eof && _phase != Phase.Ended)
        {
            throw Fail("the answer ends before its tables do (cut short?)");
        }

        return produced || _output.WrittenCount > 0;
    }

    private void Check(ReadOnlySpan<byte> rest)
    {
        var trimmed = rest.TrimStart(" \t\r\n"u8);
        if (!trimmed.IsEmpty)
        {
            throw Fail("more follows the answer's end");
        }
    }

    /// <summary>Acts on the token just read; false when the value it needs is not all buffered yet.</summary>
    private bool Step(ref Utf8JsonReader reader)
    {
        switch (_phase)
        {
            case Phase.Root:
                if (reader.TokenType != JsonTokenType.StartObject) throw Fail("it is not an object");
                _phase = Phase.RootProperties;
                return true;
            case Phase.RootProperties:
                if (reader.TokenType == JsonTokenType.EndObject)
                {
                    _phase = Phase.Ended;
                    if (_error is not null)
                    {
                        // Its rows are given out first; then the reading ends with what the service said.
                        throw Fail($"the query service reported an error beside its rows, which may be incomplete: {_error}");
                    }

                    return true;
                }

                if (reader.ValueTextEquals("error"u8))
                {
                    var start = reader;
                    if (!reader.TrySkip()) return false;
                    _error = ErrorOf(start);
                    return true;
                }

                if (reader.ValueTextEquals("tables"u8))
                {
                    if (!reader.Read()) return false;
                    if (reader.TokenType != JsonTokenType.StartArray) throw Fail("its tables are not a list");
                    _phase = Phase.Tables;
                    return true;
                }

                return reader.TrySkip();
            case Phase.Tables:
                if (reader.TokenType == JsonTokenType.EndArray)
                {
                    _phase = Phase.RootProperties;
                    return true;
                }

                if (reader.TokenType != JsonTokenType.StartObject) throw Fail("a table is not an object");
                _columns = null;
                _phase = Phase.TableProperties;
                return true;
            case Phase.TableProperties:
                if (reader.TokenType == JsonTokenType.EndObject)
                {
                    _phase = Phase.Tables;
                    return true;
                }

                if (reader.ValueTextEquals("columns"u8))
                {
                    var start = reader;
                    if (!reader.TrySkip()) return false;
                    _columns = Columns(start);
                    return true;
                }

                if (reader.ValueTextEquals("rows"u8))
                {
                    if (!reader.Read()) return false;
                    if (reader.TokenType != JsonTokenType.StartArray) throw Fail("a table's rows are not a list");
                    if (_columns is null) throw Fail("a table's rows come before its columns, which name their values");
                    _phase = Phase.Rows;
                    return true;
                }

                return reader.TrySkip();
            case Phase.Rows:
                if (reader.TokenType == JsonTokenType.EndArray)
                {
                    _phase = Phase.TableProperties;
                    return true;
                }

                if (reader.TokenType != JsonTokenType.StartArray) throw Fail("a row is not a list of values");
                var row = reader;
                if (!reader.TrySkip()) return false;
                WriteRow(row);
                return true;
            default:
                return true;
        }
    }

    /// <summary>
    /// The code and message of the answer's <c>error</c> (and of its innermost detail, which names the cause, such as the
    /// result size limit), from a reader at the property whose value is all buffered.
    /// </summary>
    private static string ErrorOf(Utf8JsonReader reader)
    {
        reader.Read();
        using var error = JsonDocument.ParseValue(ref reader);
        static string? Text(JsonElement e, string name) =>
            e.ValueKind == JsonValueKind.Object && e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;
        var root = error.RootElement;
        var said = $"{Text(root, "code") ?? "error"}: {Text(root, "message") ?? root.GetRawText()}";
        var inner = root;
        var descended = false;
        while (inner.ValueKind == JsonValueKind.Object
            && (inner.TryGetProperty("innererror", out var next) || (inner.TryGetProperty("details", out var details) && details.ValueKind == JsonValueKind.Array && details.GetArrayLength() > 0 && (next = details[0]).ValueKind == JsonValueKind.Object)))
        {
            inner = next;
            descended = true;
        }

        var cause = descended ? Text(inner, "message") : null;
        var text = cause is null ? said : $"{said} ({cause})";
        return text.Length > 500 ? text[..500] : text;
    }

    /// <summary>The columns' names, from a reader at the property <c>columns</c> whose value is all buffered.</summary>
    private byte[][] Columns(Utf8JsonReader reader)
    {
        reader.Read();
        if (reader.TokenType != JsonTokenType.StartArray) throw Fail("a table's columns are not a list");
        var names = new List<byte[]>();
        while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
        {
            if (reader.TokenType != JsonTokenType.StartObject) throw Fail("a column is not an object");
            byte[]? name = null;
            while (reader.Read() && reader.TokenType != JsonTokenType.EndObject)
            {
                var isName = reader.ValueTextEquals("name"u8);
                reader.Read();
                if (isName && reader.TokenType == JsonTokenType.String)
                {
                    name = System.Text.Encoding.UTF8.GetBytes(reader.GetString()!);
                }
                else
                {
                    // Never short: the whole list of columns is buffered.
                    reader.TrySkip();
                }
            }

            names.Add(name ?? throw Fail($"column {names.Count + 1} has no name"));
        }

        return [.. names];
    }

    /// <summary>Writes one row, from a reader at its opening bracket whose values are all buffered, as a line of one object.</summary>
    private void WriteRow(Utf8JsonReader reader)
    {
        var columns = _columns!;
        // Counted first, so that a row that cannot be written leaves nothing of it behind.
        var count = reader;
        var values = 0;
        while (count.Read() && count.TokenType != JsonTokenType.EndArray)
        {
            values++;
            count.TrySkip();
        }

        if (values > columns.Length)
        {
            throw Fail($"row {_rows + 1} has more values than its table has columns ({columns.Length})");
        }

        _rows++;
        using (var writer = new Utf8JsonWriter(_output, new JsonWriterOptions { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping, SkipValidation = true }))
        {
            writer.WriteStartObject();
            var index = 0;
            while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
            {
                writer.WritePropertyName(columns[index++]);
                var from = reader.TokenStartIndex;
                if (reader.TokenType is JsonTokenType.StartArray or JsonTokenType.StartObject)
                {
                    // Never short: the whole row is buffered.
                    reader.TrySkip();
                }

                // Copied as written: a string with its quotes and escapes, a list or object to its closing bracket.
                var to = reader.TokenType switch
                {
                    JsonTokenType.String => reader.TokenStartIndex + reader.ValueSpan.Length + 2,
                    JsonTokenType.EndArray or JsonTokenType.EndObject => reader.TokenStartIndex + 1,
                    _ => reader.TokenStartIndex + reader.ValueSpan.Length,
                };
                var value = _buffer.AsSpan(_base + (int)from, (int)(to - from));
                if (value[0] is (byte)'[' or (byte)'{' && value.IndexOfAny((byte)'\r', (byte)'\n') >= 0)
                {
                    // A list or object written over several lines keeps the row on one: outside strings, where alone a
                    // line break can stand in valid JSON, it is white space.
                    value.Replace((byte)'\r', (byte)' ');
                    value.Replace((byte)'\n', (byte)' ');
                }

                writer.WriteRawValue(value, skipInputValidation: true);
            }

            writer.WriteEndObject();
        }

        _output.Write("\n"u8);
    }
}
