using System.Buffers;
using System.Collections;
using System.Globalization;
using System.Numerics;
using System.Text.Json;
using Parquet;
using Parquet.Serialization;

namespace Firebreak.Detection.Readers;

/// <summary>
/// A Parquet file (Amazon Security Lake's own storage of OCSF records, an Athena <c>UNLOAD</c>, a data-lake export) read
/// as JSON lines, one per row, so the readers map its rows as they map the same records exported as JSON: a struct is an
/// object, a list an array, a map an object, a timestamp an ISO 8601 UTC time, bytes base64. A row is cited by its number
/// in the file (<c>part-0000.parquet:1234</c>). Parquet keeps its directory at the file's end and its rows by column, so
/// the file is first copied to a temporary file readable by the user alone (removed as it is closed), and read one row
/// group at a time: memory holds one row group's rows, and a row group larger than 256 MB unpacked is reported, not
/// read. A file that cannot be read is an <see cref="InvalidDataException"/> after the rows
/// before the damage.
/// </summary>
internal sealed class ParquetRowsStream(Stream source, string? temporaryFolder = null, long maxRowGroupBytes = ParquetRowsStream.MaxRowGroupBytes) : ReadOnlyStream(source)
{
    /// <summary>The largest row group read by default: its rows are held at once.</summary>
    public const long MaxRowGroupBytes = 256L * 1024 * 1024;

    private readonly ArrayBufferWriter<byte> _output = new(64 * 1024);
    private FileStream? _file;
    private long[] _groupBytes = [];
    private int _nextGroup;
    private IList<Dictionary<string, object>>? _rows;
    private int _nextRow;
    private long _rowsRead;
    private int _outputRead;
    private bool _ended;

    public override int Read(Span<byte> buffer)
    {
        var rented = ArrayPool<byte>.Shared.Rent(buffer.Length);
        try
        {
            var read = ReadAsync(rented.AsMemory(0, buffer.Length)).AsTask().GetAwaiter().GetResult();
            rented.AsSpan(0, read).CopyTo(buffer);
            return read;
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(rented);
        }
    }

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        if (buffer.IsEmpty)
        {
            return 0;
        }

        while (_outputRead == _output.WrittenCount && !_ended)
        {
            _output.ResetWrittenCount();
            _outputRead = 0;
            await FillAsync(buffer.Length, cancellationToken).ConfigureAwait(false);
        }

        var pending = _output.WrittenSpan[_outputRead..];
        var take = Math.Min(pending.Length, buffer.Length);
        pending[..take].CopyTo(buffer.Span);
        _outputRead += take;
        return take;
    }

    /// <summary>Writes the next rows as JSON lines, at least <paramref name="wanted"/> bytes of them unless the file ends.</summary>
    private async Task FillAsync(int wanted, CancellationToken cancellationToken)
    {
        try
        {
            if (_file is null)
            {
                await OpenAsync(cancellationToken).ConfigureAwait(false);
            }

            using var writer = new Utf8JsonWriter(_output, new JsonWriterOptions { SkipValidation = true, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping });
            while (_output.WrittenCount < wanted)
            {
                if (_rows is null || _nextRow == _rows.Count)
                {
                    _rows = null;
                    if (_nextGroup == _groupBytes.Length)
                    {
                        _ended = true;
                        return;
                    }

                    var group = _nextGroup++;
                    if (_groupBytes[group] > maxRowGroupBytes)
                    {
                        throw new InvalidDataException($"the Parquet file's row group {group + 1} holds {Describe(_groupBytes[group])} unpacked, more than the {Describe(maxRowGroupBytes)} read at once; rewrite it with smaller row groups");
                    }

                    _file!.Position = 0;
                    _rows = (await ParquetSerializer.DeserializeUntypedAsync(_file, null, group, cancellationToken).ConfigureAwait(false)).Data;
                    _nextRow = 0;
                    continue;
                }

                writer.Reset(_output);
                WriteValue(writer, _rows[_nextRow]);
                writer.Flush();
                _rows[_nextRow++] = null!;
                _rowsRead++;
                _output.Write("\n"u8);
            }
        }
        catch (Exception ex) when (ex is not (OperationCanceledException or InvalidDataException or IOException or OutOfMemoryException))
        {
            // Parquet's own exceptions and whatever a damaged file makes its decoders throw.
            throw new InvalidDataException($"the Parquet file cannot be read after {_rowsRead} row(s): {ex.Message}", ex);
        }
    }

    private static string Describe(long bytes) => bytes >= 1024 * 1024 ? $"{bytes / (1024 * 1024)} MB" : $"{bytes} bytes";

    /// <summary>Copies the file to where it can be read from its end, and reads its directory.</summary>
    private async Task OpenAsync(CancellationToken cancellationToken)
    {
        var path = Path.Combine(temporaryFolder ?? Path.GetTempPath(), $"firebreak-parquet-{Guid.NewGuid():n}.parquet");
        var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.ReadWrite, Share = FileShare.None, Options = FileOptions.DeleteOnClose | FileOptions.Asynchronous };
        if (!OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        }

        _file = new FileStream(path, options);
        await Inner.CopyToAsync(_file, cancellationToken).ConfigureAwait(false);
        _file.Position = 0;
        await using var reader = await ParquetReader.CreateAsync(_file, null, leaveStreamOpen: true, cancellationToken).ConfigureAwait(false);
        _groupBytes = [.. reader.Metadata!.RowGroups.Select(g => g.TotalByteSize)];
    }

    /// <summary>One value of a row as JSON: the shapes untyped deserialisation gives, and every primitive Parquet has.</summary>
    private static void WriteValue(Utf8JsonWriter writer, object? value)
    {
        switch (value)
        {
            case null:
                writer.WriteNullValue();
                break;
            case string text:
                writer.WriteStringValue(text);
                break;
            case ReadOnlyMemory<char> chars:
                writer.WriteStringValue(chars.Span);
                break;
            case bool flag:
                writer.WriteBooleanValue(flag);
                break;
            case byte or sbyte or short or ushort or int or uint or long:
                writer.WriteNumberValue(Convert.ToInt64(value, CultureInfo.InvariantCulture));
                break;
            case ulong big:
                writer.WriteNumberValue(big);
                break;
            case decimal number:
                writer.WriteNumberValue(number);
                break;
            case float or double or Half:
                var real = Convert.ToDouble(value, CultureInfo.InvariantCulture);
                if (double.IsFinite(real)) writer.WriteNumberValue(real);
                else writer.WriteStringValue(real.ToString(CultureInfo.InvariantCulture));
                break;
            case DateTime time:
                writer.WriteStringValue((time.Kind == DateTimeKind.Local ? time.ToUniversalTime() : DateTime.SpecifyKind(time, DateTimeKind.Utc)).ToString("O", CultureInfo.InvariantCulture));
                break;
            case DateTimeOffset offset:
                writer.WriteStringValue(offset.ToUniversalTime().ToString("O", CultureInfo.InvariantCulture));
                break;
            case DateOnly date:
                writer.WriteStringValue(date.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture));
                break;
            case TimeSpan or TimeOnly or Guid or BigInteger:
                writer.WriteStringValue(Convert.ToString(value, CultureInfo.InvariantCulture));
                break;
            case byte[] bytes:
                writer.WriteBase64StringValue(bytes);
                break;
            case IDictionary<string, object> fields:
                writer.WriteStartObject();
                foreach (var (name, field) in fields)
                {
                    // A null field is left out, as a JSON export leaves it out.
                    if (field is null) continue;
                    writer.WritePropertyName(name);
                    WriteValue(writer, field);
                }

                writer.WriteEndObject();
                break;
            case IDictionary map:
                writer.WriteStartObject();
                foreach (DictionaryEntry entry in map)
                {
                    writer.WritePropertyName(Convert.ToString(entry.Key, CultureInfo.InvariantCulture) ?? "");
                    WriteValue(writer, entry.Value);
                }

                writer.WriteEndObject();
                break;
            case IEnumerable items:
                writer.WriteStartArray();
                foreach (var item in items)
                {
                    WriteValue(writer, item);
                }

                writer.WriteEndArray();
                break;
            default:
                writer.WriteStringValue(Convert.ToString(value, CultureInfo.InvariantCulture));
                break;
        }
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _file?.Dispose();
            _file = null;
            _rows = null;
        }

        base.Dispose(disposing);
    }

    public override async ValueTask DisposeAsync()
    {
        if (_file is not null)
        {
            await _file.DisposeAsync().ConfigureAwait(false);
            _file = null;
        }

        _rows = null;
        await base.DisposeAsync().ConfigureAwait(false);
    }
}
