using System.Runtime.Intrinsics;

namespace Firebreak.Detection.Readers;

/// <summary>The native log format of a record. <see cref="Auto"/> sniffs each file's content.</summary>
public enum LogFormat
{
    Auto,

    /// <summary>CloudTrail records: S3 delivery files, arrays, JSON lines or single events.</summary>
    CloudTrail,

    /// <summary>CloudTrail Lake query results: CloudTrail columns, or rows of single-column objects.</summary>
    CloudTrailLake,

    /// <summary>Amazon Security Lake records in OCSF (API Activity, class 6003, and related classes).</summary>
    SecurityLakeOcsf,

    /// <summary>Azure Activity Log: Azure Monitor export (records), the REST event shape, or the Log Analytics AzureActivity table.</summary>
    AzureActivity,

    /// <summary>Entra ID sign-in logs: diagnostic-settings export, Log Analytics SigninLogs or Microsoft Graph signIn.</summary>
    EntraSignIn,

    /// <summary>Entra ID audit logs: diagnostic-settings export, Log Analytics AuditLogs or Microsoft Graph directoryAudit.</summary>
    EntraAudit,

    /// <summary>Google Cloud Audit Logs LogEntry with an AuditLog protoPayload.</summary>
    GcpAudit,
}

/// <summary>
/// A cheap test on a record's raw UTF-8 JSON, before it is parsed. It must only reject records that
/// certainly cannot matter: the bytes are the file's own, so a value may appear JSON-escaped.
/// </summary>
public delegate bool RawRecordFilter(ReadOnlySpan<byte> utf8Record);

public sealed record ReaderOptions
{
    /// <summary>Forces one format for every record; <see cref="LogFormat.Auto"/> detects it from content.</summary>
    public LogFormat Format { get; init; } = LogFormat.Auto;

    /// <summary>A record larger than this is rejected and skipped rather than buffered.</summary>
    public int MaxRecordBytes { get; init; } = 8 * 1024 * 1024;

    /// <summary>Nesting allowed inside one record; deeper records are rejected.</summary>
    public int MaxDepth { get; init; } = 64;

    /// <summary>
    /// Cores to use: up to this many files are framed at once, and batches of records are parsed and
    /// mapped in parallel, so one large file also spreads over the cores. Events still come out in order.
    /// </summary>
    public int MaxDegreeOfParallelism { get; init; } = 1;

    /// <summary>Bytes read from the source per call; the working buffer only grows for records larger than this.</summary>
    public int ReadBufferBytes { get; init; } = 256 * 1024;

    /// <summary>Records are handed to the parallel mappers in batches of about this many bytes.</summary>
    public int BatchBytes { get; init; } = 512 * 1024;

    /// <summary>
    /// Skips records before they are parsed; a hunt passes a literal that every match must contain
    /// (an event name, say), so most records cost only a framing scan, a vectorised search and a check
    /// of their syntax (a malformed record is reported even when skipped). Skipped records are counted
    /// in <see cref="ReadSummary.Filtered"/>.
    /// </summary>
    public RawRecordFilter? RawFilter { get; init; }

    /// <summary>
    /// The same judgement for a record whose log is not known from its shape, asked (with <see cref="LogFormat.Auto"/>)
    /// about a record <see cref="RawFilter"/> skips that lacks, at its top level, the shape of CloudTrail, a GCP audit
    /// entry or OCSF: a filter that tells a record's log from names anywhere in it is misled by names nested in a
    /// record of another log (an Azure record quoting a CloudTrail event). A record it keeps is read and matched.
    /// </summary>
    public RawRecordFilter? RawFilterForUnknownShape { get; init; }

    /// <summary>Called for every problem, possibly from several threads at once.</summary>
    public Action<ReadProblem>? OnProblem { get; init; }

    /// <summary>How many problems <see cref="ReadSummary.Problems"/> keeps (and, past them, how many more that ended an input); the counters keep counting past it.</summary>
    public int MaxProblemsKept { get; init; } = 1000;

    /// <summary>How the framer scans records inside arrays; the widest the processor accelerates unless a test asks for another, to compare them.</summary>
    internal FramerScan FramerScan { get; init; } = Vector256.IsHardwareAccelerated ? FramerScan.Vector256 : Vector128.IsHardwareAccelerated ? FramerScan.Vector128 : FramerScan.Bytes;

    internal void Validate()
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxRecordBytes, 64);
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxDepth, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxDegreeOfParallelism, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(ReadBufferBytes, 16);
        ArgumentOutOfRangeException.ThrowIfLessThan(BatchBytes, 1);
    }
}

internal enum FramerScan
{
    Bytes,
    Vector128,
    Vector256,
}
