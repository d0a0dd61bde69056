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
/// the file is first copied, up to <see cref="MaxCopyBytes"/>, to a temporary file readable by the user alone (on Unix
/// its name is removed as soon as it is open, so nothing is left behind however the process ends; elsewhere it is
/// removed as it is closed), and read one row
/// group at a time: memory holds one row group's rows, and a row group larger than 256 MB unpacked is reported, not
/// read. A file that cannot be read is an <see cref="InvalidDataException"/> after the rows
/// before the damage.
/// </summary>
internal sealed class ParquetRowsStream(Stream source, string? temporaryFolder = null, long maxRowGroupBytes = ParquetRowsStream.MaxRowGroupBytes, long maxRowGroupCells = ParquetRowsStream.MaxRowGroupCells, long maxCopyBytes = ParquetRowsStream.MaxCopyBytes) : ReadOnlyStream(source)
{
    /// <summary>
    /// The largest file copied to be read, as an archive unpacked from another may be (<see cref="Sources.ArchiveDownloads"/>):
    /// a file gzipped a few times over unpacks a thousandfold each time, and a few kilobytes of "PAR1" and zeros would
    /// otherwise fill the temporary folder's disk.
    /// </summary>
    public const long MaxCopyBytes = 4L * 1024 * 1024 * 1024;

    /// <summary>The largest row group read by default, unpacked, as its file's directory gives it.</summary>
    public const long MaxRowGroupBytes = 64L * 1024 * 1024;

    /// <summary>
    /// The most values (rows times leaf columns) of one row group read by default: each row is held as objects, about a
    /// hundred bytes a value, and a file's directory may claim millions of empty rows in a few bytes.
    /// </summary>
    public const long MaxRowGroupCells = 1_000_000;

    /// <summary>
    /// The most column chunks read through the file's directory, counted once per row group read on its own: each such read
    /// parses the whole directory again (the library has no other way to one group's rows), so many small groups in a
    /// large file cost their number squared. About ten seconds' worth.
    /// </summary>
    public const long MaxDirectoryWork = 2_000_000;

    /// <summary>The largest directory (footer) read: it is parsed whole, and a damaged length would ask for gigabytes.</summary>
    public const int MaxFooterBytes = 64 * 1024 * 1024;

    private readonly ArrayBufferWriter<byte> _output = new(64 * 1024);
    private FileStream? _file;
    private (long Bytes, long Rows)[] _groups = [];
    // A file small enough to be held whole is read in one go: its directory parsed once, however many groups it has.
    private bool _whole;
    private (long Bytes, long Rows)[] _eachGroup = [];
    private int _leafColumns;
    private Exception? _failure;
    private int _nextGroup;
    private IList<Dictionary<string, object>>? _rows;
    private int _nextRow;
    private long _rowsRead;
    private int _outputRead;
    private bool _ended;

    public override int Read(Span<byte> buffer) => ReadByWaiting(buffer);

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

        // A failure is given only after every row written before it has been read.
        if (_outputRead == _output.WrittenCount && _failure is { } failure)
        {
            _failure = null;
            throw failure;
        }

        var pending = _output.WrittenSpan[_outputRead..];
        var take = Math.Min(pending.Length, buffer.Length);
        pending[..take].CopyTo(buffer.Span);
        _outputRead += take;
        return take;
    }

    /// <summary>
    /// Writes the next rows as JSON lines, at least <paramref name="wanted"/> bytes of them unless the file ends or fails;
    /// a failure ends the file and is kept for <see cref="ReadAsync"/> to give once the rows before it are read.
    /// </summary>
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
                    if (_nextGroup == _groups.Length)
                    {
                        _ended = true;
                        return;
                    }

                    var group = _nextGroup;
                    _nextGroup = _whole ? _groups.Length : group + 1;
                    var (bytes, rows) = _groups[group];
                    if (bytes > maxRowGroupBytes || rows * Math.Max(1, _leafColumns) > maxRowGroupCells)
                    {
                        throw new Refused($"the Parquet file's row group {group + 1} holds {rows:N0} row(s) of {_leafColumns} column(s), {Describe(bytes)} unpacked: more than the {maxRowGroupCells:N0} values or {Describe(maxRowGroupBytes)} read at once; rewrite it with smaller row groups");
                    }

                    _file!.Position = 0;
                    try
                    {
                        _rows = (await ParquetSerializer.DeserializeUntypedAsync(_file, null, _whole ? null : group, cancellationToken).ConfigureAwait(false)).Data;
                    }
                    catch (Exception ex) when (_whole && ex is not OperationCanceledException && OneAtATime(_eachGroup.Length))
                    {
                        // A damaged group failed the whole: the groups are read one at a time, to keep the rows before it.
                        _whole = false;
                        _groups = _eachGroup;
                        _nextGroup = 0;
                        continue;
                    }

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
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            // Parquet's own exceptions, whatever a damaged file makes its decoders throw (a count read from the file may
            // ask for more than can be allocated), and a refusal: the rows written before it are still read.
            _ended = true;
            _rows = null;
            _failure = ex as Refused ?? new IOException($"the Parquet file cannot be read after {_rowsRead:N0} row(s): {ex.Message}", ex);
        }
    }

    /// <summary>Why a file or a row group is not read, said plainly (the reader reports it as the file's problem).</summary>
    private sealed class Refused(string message) : IOException(message);

    private static string Describe(long bytes) => bytes >= 1024 * 1024 ? $"{bytes / (1024 * 1024)} MB" : $"{bytes} bytes";

    /// <summary>Copies the file to where it can be read from its end, and reads its directory.</summary>
    private async Task OpenAsync(CancellationToken cancellationToken)
    {
        var path = Path.Combine(temporaryFolder ?? Path.GetTempPath(), $"firebreak-parquet-{Guid.NewGuid():n}.parquet");
        var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.ReadWrite, Share = FileShare.None, Options = FileOptions.Asynchronous };
        if (OperatingSystem.IsWindows())
        {
            options.Options |= FileOptions.DeleteOnClose;
        }
        else
        {
            options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        }

        _file = new FileStream(path, options);
        if (!OperatingSystem.IsWindows())
        {
            // Removed while open, the copy is read through the handle and freed as it closes or the process ends: a hunt
            // stopped by Ctrl+C while a pipe was copied (the reader left behind) kept the copy, the evidence's rows in it,
            // in TMPDIR for good.
            File.Delete(path);
        }

        var buffer = new byte[81920];
        long copied = 0;
        int read;
        while ((read = await Inner.ReadAsync(buffer, cancellationToken).ConfigureAwait(false)) > 0)
        {
            copied += read;
            if (copied > maxCopyBytes)
            {
                // The part copied is given back at once, not when the reader closes the stream.
                await _file.DisposeAsync().ConfigureAwait(false);
                throw new Refused($"the Parquet file is larger than {Describe(maxCopyBytes)}, the most copied to TMPDIR to be read: not read; split it (or read it with a query engine) and hunt the parts");
            }

            await _file.WriteAsync(buffer.AsMemory(0, read), cancellationToken).ConfigureAwait(false);
        }

        // The file ends with its directory's length and PAR1: checked here, so that a cut or damaged end is said to be one.
        var trailer = new byte[8];
        if (_file.Length < 12)
        {
            throw new Refused("the Parquet file is cut short: it is too small to hold its directory");
        }

        _file.Position = _file.Length - 8;
        await _file.ReadExactlyAsync(trailer, cancellationToken).ConfigureAwait(false);
        var footer = System.Buffers.Binary.BinaryPrimitives.ReadInt32LittleEndian(trailer);
        if (!trailer.AsSpan(4).SequenceEqual("PAR1"u8))
        {
            throw new Refused("the Parquet file is cut short or damaged: it does not end with PAR1 after its directory");
        }

        if (footer <= 0 || footer > _file.Length - 12 || footer > MaxFooterBytes)
        {
            throw new Refused($"the Parquet file's directory length ({footer:N0} bytes) does not fit the file, or is over {Describe(MaxFooterBytes)}: it is damaged");
        }

        _file.Position = 0;
        await using var reader = await ParquetReader.CreateAsync(_file, null, leaveStreamOpen: true, cancellationToken).ConfigureAwait(false);
        var groups = reader.Metadata!.RowGroups;
        _leafColumns = reader.Schema.GetDataFields().Length;
        var cells = groups.Sum(g => g.NumRows * Math.Max(1, _leafColumns));
        var bytes = groups.Sum(g => g.TotalByteSize);
        _eachGroup = [.. groups.Select(g => (g.TotalByteSize, g.NumRows))];
        if (cells <= maxRowGroupCells && bytes <= maxRowGroupBytes && groups.Count > 1)
        {
            // Held whole as one group would be: one pass, its sizes the sums of the groups'.
            _whole = true;
            _groups = [(bytes, groups.Sum(g => g.NumRows))];
            return;
        }

        if (!OneAtATime(groups.Count))
        {
            throw new Refused($"the Parquet file has {groups.Count:N0} row groups of {_leafColumns} column(s), too many to read one at a time (each is found through the whole directory again); rewrite it with fewer, larger row groups");
        }

        _groups = _eachGroup;
    }

    /// <summary>Whether this many row groups can be read one at a time in reasonable time (<see cref="MaxDirectoryWork"/>).</summary>
    private bool OneAtATime(int groups) => (long)groups * groups * Math.Max(1, _leafColumns) <= MaxDirectoryWork;

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
