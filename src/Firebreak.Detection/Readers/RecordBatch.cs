using System.Buffers;

namespace Firebreak.Detection.Readers;

/// <summary>
/// The bytes of one framed record inside a <see cref="RecordBatch"/>. <paramref name="LineRecord"/>: a line of JSON
/// lines framed without tokenising, whose syntax errors are worded as the tokenising reader words a malformed line.
/// </summary>
internal readonly record struct FramedRecord(int Offset, int Length, long Index, long Line, bool LineRecord = false);

/// <summary>
/// Several framed records copied into one pooled buffer, so that mapping can run on another core
/// while framing goes on, without a buffer per record.
/// </summary>
internal sealed class RecordBatch(string source, int capacity)
{
    private byte[]? _buffer = ArrayPool<byte>.Shared.Rent(capacity);
    private int _used;

    public string Source { get; } = source;

    public List<FramedRecord> Records { get; } = [];

    /// <summary>Problems the framer found in the input, each before the record at <c>Before</c> (or after the last).</summary>
    public List<(int Before, ReadProblem Problem)> Problems { get; } = [];

    public void AddProblems(List<ReadProblem> problems)
    {
        foreach (var problem in problems)
        {
            Problems.Add((Records.Count, problem));
        }
    }

    public int Used => _used;

    public bool HasRoomFor(int length) => _buffer!.Length - _used >= length;

    public void Add(ReadOnlySpan<byte> record, long index, long line, bool lineRecord = false)
    {
        record.CopyTo(_buffer.AsSpan(_used));
        Records.Add(new FramedRecord(_used, record.Length, index, line, lineRecord));
        _used += record.Length;
    }

    public ReadOnlySpan<byte> this[FramedRecord record] => _buffer.AsSpan(record.Offset, record.Length);

    public void Release()
    {
        var buffer = Interlocked.Exchange(ref _buffer, null);
        if (buffer is not null)
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }
}
