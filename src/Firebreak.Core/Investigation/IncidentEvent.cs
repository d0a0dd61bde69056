using System.Text.Json.Serialization;
using Firebreak.Core.Common;

namespace Firebreak.Core.Investigation;

/// <summary>
/// One cloud audit-log record attached to an incident, normalised by the Detection readers. The
/// columns an investigation pivots on are kept flat and indexed (time, principal, access key, resource,
/// source IP, operation); everything else stays in <see cref="Raw"/>. Rows are written in bulk by
/// <see cref="IncidentEventWriter"/>, never through the change tracker, and are never updated.
/// </summary>
public sealed class IncidentEvent : ITenantOwned, IIncidentOwned
{
    /// <summary>Database-assigned; with <see cref="Time"/> it orders events for keyset paging.</summary>
    public long Id { get; set; }
    public Guid TenantId { get; set; }
    public Guid IncidentId { get; set; }

    /// <summary>The provider's event id, or <c>sha256:</c> of the raw record when the record has none; unique per incident.</summary>
    public required string EventId { get; set; }
    public DateTimeOffset Time { get; set; }
    public DateTimeOffset IngestedAt { get; set; }
    public Guid? ImportId { get; set; }
    public required string Provider { get; set; }

    /// <summary>The log the record came from: cloudtrail, activitylogs, signinlogs, auditlogs, gcp.audit.</summary>
    public required string LogSource { get; set; }
    public string? Account { get; set; }
    public string? Region { get; set; }

    /// <summary>The service called (CloudTrail eventSource).</summary>
    public string? EventSource { get; set; }
    public required string Operation { get; set; }
    public string? PrincipalType { get; set; }

    /// <summary>The most specific identity: ARN, UPN, service-account e-mail or principal id.</summary>
    public string? Principal { get; set; }
    public string? AccessKeyId { get; set; }

    /// <summary>For sessions: the identity that issued them (the role behind an assumed-role session).</summary>
    public string? SessionIssuer { get; set; }
    public string? SourceIp { get; set; }
    public string? UserAgent { get; set; }

    /// <summary>The first resource named by the record; every resource is in <see cref="Resources"/>.</summary>
    public string? Resource { get; set; }

    /// <summary>Every resource id, one per line, for containment searches.</summary>
    public string? Resources { get; set; }
    public EventResult Result { get; set; }
    public string? ErrorCode { get; set; }

    /// <summary>file:line the record was read from.</summary>
    public string? Origin { get; set; }

    /// <summary>The native record, verbatim JSON.</summary>
    public required string Raw { get; set; }
}

[JsonConverter(typeof(StrictEnumConverter<EventResult>))]
public enum EventResult
{
    [JsonStringEnumMemberName("unknown")] Unknown = 0,
    [JsonStringEnumMemberName("success")] Success = 1,
    [JsonStringEnumMemberName("failure")] Failure = 2,
}

/// <summary>
/// A request to attach cloud logs to an incident, run in the background. The checkpoint (files done,
/// and how far into the current file) is committed in the same transaction as each batch of events,
/// so an interrupted import resumes where it stopped without losing or repeating a row.
/// </summary>
public sealed class EventImport : ITenantOwned, IIncidentOwned
{
    public Guid Id { get; set; } = Guid.CreateVersion7();
    public Guid TenantId { get; set; }
    public Guid IncidentId { get; set; }
    public ImportKind Kind { get; set; }

    /// <summary>What the user named: the upload's file name, the server path, the s3:// prefix.</summary>
    public required string Source { get; set; }

    /// <summary>For uploads: the staged copy, relative to the import directory. Never returned.</summary>
    public string? StagedFile { get; set; }
    public ImportStatus Status { get; set; }
    public long EventsRead { get; set; }
    public long EventsStored { get; set; }
    public long Duplicates { get; set; }
    public long BytesRead { get; set; }
    public long Problems { get; set; }
    public int FilesDone { get; set; }

    /// <summary>JSON: files finished, and the next record index of the file in progress.</summary>
    public string Checkpoint { get; set; } = "{}";
    public string? Error { get; set; }
    public required string CreatedBy { get; set; }
    public DateTimeOffset CreatedAt { get; set; }
    public DateTimeOffset? StartedAt { get; set; }
    public DateTimeOffset? FinishedAt { get; set; }

    /// <summary>How many times a run started; above one means the import resumed.</summary>
    public int Runs { get; set; }
}

[JsonConverter(typeof(StrictEnumConverter<ImportKind>))]
public enum ImportKind
{
    [JsonStringEnumMemberName("upload")] Upload = 0,
    [JsonStringEnumMemberName("path")] ServerPath = 1,
    [JsonStringEnumMemberName("s3")] S3 = 2,
    [JsonStringEnumMemberName("hunt")] Hunt = 3,
}

[JsonConverter(typeof(StrictEnumConverter<ImportStatus>))]
public enum ImportStatus
{
    [JsonStringEnumMemberName("queued")] Queued = 0,
    [JsonStringEnumMemberName("running")] Running = 1,
    [JsonStringEnumMemberName("completed")] Completed = 2,
    [JsonStringEnumMemberName("failed")] Failed = 3,
}
