using System.Text.Json.Serialization;
using Firebreak.Core.Common;

namespace Firebreak.Core.ManagementPlane;

/// <summary>
/// One run of the management-plane check over an incident's events: the window it looked at, every
/// item's answer with its evidence, and the responder's review. Runs are kept as history; the newest
/// one decides the containment warning.
/// </summary>
public sealed class ManagementPlaneCheckRun : ITenantOwned, IVersioned, IIncidentOwned
{
    public Guid Id { get; set; } = Guid.CreateVersion7();
    public Guid TenantId { get; set; }
    public Guid IncidentId { get; set; }
    public CheckTrigger Trigger { get; set; }

    /// <summary>The import whose completion started the run, for <see cref="CheckTrigger.Import"/>.</summary>
    public Guid? ImportId { get; set; }
    public string RunBy { get; set; } = "";
    public DateTimeOffset RanAt { get; set; }

    /// <summary>The events looked at: from (inclusive) to (exclusive); null when the incident holds no event.</summary>
    public DateTimeOffset? WindowFrom { get; set; }
    public DateTimeOffset? WindowTo { get; set; }
    public long EventsInWindow { get; set; }
    public int Passed { get; set; }
    public int Failed { get; set; }
    public int Unknown { get; set; }

    /// <summary>The items as JSON (<see cref="CheckItemResult"/>); read whole, never queried.</summary>
    public string Items { get; set; } = "[]";
    public string? ReviewedBy { get; set; }
    public DateTimeOffset? ReviewedAt { get; set; }
    public string? ReviewNote { get; set; }
    public long Version { get; set; }
}

[JsonConverter(typeof(StrictEnumConverter<CheckTrigger>))]
public enum CheckTrigger
{
    [JsonStringEnumMemberName("manual")] Manual = 0,
    [JsonStringEnumMemberName("import")] Import = 1,
}

[JsonConverter(typeof(StrictEnumConverter<CheckStatus>))]
public enum CheckStatus
{
    /// <summary>The logs were there and show none of what the item looks for.</summary>
    [JsonStringEnumMemberName("pass")] Pass = 0,

    /// <summary>At least one successful event of what the item looks for.</summary>
    [JsonStringEnumMemberName("fail")] Fail = 1,

    /// <summary>A log the item needs is missing for the window (named in <see cref="CheckItemResult.Missing"/>).</summary>
    [JsonStringEnumMemberName("unknown")] Unknown = 2,

    /// <summary>The incident neither holds events of this provider nor names it in its scope.</summary>
    [JsonStringEnumMemberName("not-applicable")] NotApplicable = 3,
}

[JsonConverter(typeof(StrictEnumConverter<CheckArea>))]
public enum CheckArea
{
    [JsonStringEnumMemberName("logging")] Logging = 0,
    [JsonStringEnumMemberName("detection")] Detection = 1,
    [JsonStringEnumMemberName("privileged-use")] PrivilegedUse = 2,
    [JsonStringEnumMemberName("new-credentials")] NewCredentials = 3,
    [JsonStringEnumMemberName("trust")] Trust = 4,
    [JsonStringEnumMemberName("boundary")] Boundary = 5,
}

/// <summary>One item's answer. Evidence holds the ids of the first events (in time order), up to the cap; EvidenceCount is all of them.</summary>
public sealed record CheckItemResult(
    string Id,
    string Provider,
    CheckArea Area,
    string Question,
    CheckStatus Status,
    string Detail,
    long EvidenceCount,
    IReadOnlyList<long> Evidence,
    long FailedAttempts,
    IReadOnlyList<string> Missing);

public sealed record CheckRunView(
    Guid Id,
    Guid IncidentId,
    CheckTrigger Trigger,
    Guid? ImportId,
    string RunBy,
    DateTimeOffset RanAt,
    DateTimeOffset? WindowFrom,
    DateTimeOffset? WindowTo,
    long EventsInWindow,
    int Passed,
    int Failed,
    int Unknown,
    IReadOnlyList<CheckItemResult> Items,
    string? ReviewedBy,
    DateTimeOffset? ReviewedAt,
    string? ReviewNote,
    long Version);

/// <summary>A run on demand; without from/to the window is the span of the incident's events.</summary>
public sealed record RunCheck(DateTimeOffset? From = null, DateTimeOffset? To = null);

public sealed record ReviewCheck(string? Note = null);

/// <summary>What containment must know: ready when the newest run is reviewed and nothing failed.</summary>
public sealed record ContainmentReadiness(bool Ready, Guid? RunId, IReadOnlyList<string> Warnings);

public static class ManagementPlaneLimits
{
    public const int NoteLength = 4_000;

    /// <summary>Evidence ids kept per item; the count says how many there were.</summary>
    public const int EvidenceCap = 20;

    /// <summary>Candidate events whose raw record is read to confirm a condition, per rule.</summary>
    public const int RawCandidateCap = 500;
    public const int HistoryCap = 200;
}
