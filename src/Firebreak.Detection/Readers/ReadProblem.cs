namespace Firebreak.Detection.Readers;

public enum ProblemSeverity
{
    /// <summary>The record was read, but something in it was missing or odd.</summary>
    Warning,

    /// <summary>The record (or the rest of the file) was skipped.</summary>
    Error,
}

/// <summary>
/// A problem met while reading. <paramref name="Line"/> is 1-based and counts lines of the decoded
/// content; <paramref name="RecordIndex"/> is 0-based within the file. Either is null when not known.
/// </summary>
public sealed record ReadProblem(
    string Source,
    long? Line,
    long? RecordIndex,
    string Reason,
    ProblemSeverity Severity = ProblemSeverity.Error)
{
    /// <summary>The input, or the rest of it, was not read: it could not be found, opened, decoded or framed any further.</summary>
    public bool EndsInput { get; init; }

    public override string ToString()
    {
        var where = Source;
        if (Line is { } line)
        {
            where += $":{line}";
        }

        if (RecordIndex is { } index)
        {
            where += $" (record {index})";
        }

        return $"{Severity.ToString().ToLowerInvariant()}: {where}: {Reason}";
    }
}

/// <summary>
/// Counts for one read; safe to read while the read is running. It keeps the first problems up to a
/// limit, and past it still keeps, up to the same limit again, those that ended an input: a damaged
/// file can report thousands of malformed lines before the error that explains them.
/// </summary>
public sealed class ReadSummary
{
    private readonly Lock _gate = new();
    private readonly List<ReadProblem> _problems = [];
    private readonly int _maxKept;
    private int _endingsKeptPastLimit;
    private long _files;
    private long _events;
    private long _bytes;
    private long _errors;
    private long _warnings;
    private long _filtered;
    private long _digests;

    internal ReadSummary(int maxKept) => _maxKept = maxKept;

    public long Files => Interlocked.Read(ref _files);

    public long Events => Interlocked.Read(ref _events);

    /// <summary>Bytes read from the sources, as stored (compressed bytes for .gz files).</summary>
    public long Bytes => Interlocked.Read(ref _bytes);

    public long Errors => Interlocked.Read(ref _errors);

    public long Warnings => Interlocked.Read(ref _warnings);

    /// <summary>Records skipped unparsed by <see cref="ReaderOptions.RawFilter"/>.</summary>
    public long Filtered => Interlocked.Read(ref _filtered);

    /// <summary>
    /// CloudTrail digests passed by (<see cref="CloudTrailDigest"/>): files named as digests, unopened and not counted in
    /// <see cref="Files"/>, and records known as digests by their content (one a file, as CloudTrail writes them).
    /// </summary>
    public long DigestFiles => Interlocked.Read(ref _digests);

    public IReadOnlyList<ReadProblem> Problems
    {
        get
        {
            lock (_gate)
            {
                return [.. _problems];
            }
        }
    }

    internal void AddFile() => Interlocked.Increment(ref _files);

    internal void AddEvents(long count) => Interlocked.Add(ref _events, count);

    internal void AddBytes(long count) => Interlocked.Add(ref _bytes, count);

    internal void AddFiltered(long count) => Interlocked.Add(ref _filtered, count);

    internal void AddDigest() => Interlocked.Increment(ref _digests);

    internal void Add(ReadProblem problem)
    {
        Interlocked.Increment(ref problem.Severity == ProblemSeverity.Error ? ref _errors : ref _warnings);
        lock (_gate)
        {
            if (_problems.Count - _endingsKeptPastLimit < _maxKept)
            {
                _problems.Add(problem);
            }
            else if (problem.EndsInput && _endingsKeptPastLimit < _maxKept)
            {
                _problems.Add(problem);
                _endingsKeptPastLimit++;
            }
        }
    }

    public override string ToString() =>
        $"{Files} files, {Events} events, {Bytes} bytes, {Errors} errors, {Warnings} warnings";
}
