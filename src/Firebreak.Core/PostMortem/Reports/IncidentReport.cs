using System.Text.Json.Serialization;
using Firebreak.Core.Alerts;
using Firebreak.Core.Common;
using Firebreak.Core.Evidence;
using Firebreak.Core.Incidents;
using Firebreak.Core.Investigation;

namespace Firebreak.Core.PostMortem.Reports;

/// <summary>
/// Everything an incident report says, assembled from the incident's record at one moment. The renderers
/// only lay it out: every fact and every "not assessed" is decided here.
/// </summary>
public sealed record IncidentReport(
    ReportIncident Incident,
    DateTimeOffset GeneratedAt,
    string GeneratedBy,
    IReadOnlyList<string> ExecutiveSummary,
    IReadOnlyList<ReportTimelineItem> Timeline,
    int TimelineTotal,
    ReportScope Scope,
    DataLossAssessment DataLoss,
    IReadOnlyList<ReportAction> Actions,
    IReadOnlyList<ReportAlert> Alerts,
    int AlertTotal,
    ReportEvidence Evidence,
    IncidentMetrics Metrics,
    ReportReview Review,
    IReadOnlyList<ReportFollowUp> FollowUps,
    IReadOnlyList<ReportDataGap> DataGaps,
    IReadOnlyList<ReportProviderEscalation> ProviderEscalations,
    IReadOnlyList<ReportNote> Notes,
    ReportManagementPlane? ManagementPlane = null);

/// <summary>The newest management-plane check: its counts, review, and the items that did not pass.</summary>
public sealed record ReportManagementPlane(DateTimeOffset RanAt, string RunBy, int Passed, int Failed, int Unknown,
    string? ReviewedBy, DateTimeOffset? ReviewedAt, string? ReviewNote, IReadOnlyList<ManagementPlane.CheckItemResult> Open);

public sealed record ReportIncident(
    string Reference,
    string Title,
    string Summary,
    Severity Severity,
    Tlp Tlp,
    Pap Pap,
    IncidentCategory Category,
    Phase Phase,
    IncidentStatus Status,
    string? StatusReason,
    IReadOnlyList<string> Tags,
    string? IncidentManager,
    string? CommunicationsLead,
    Milestones Milestones,
    DateTimeOffset CreatedAt);

public sealed record ReportTimelineItem(DateTimeOffset EventTime, DateTimeOffset? DiscoveredAt, TimelineKind Kind, string Title, string Source, string? Technique);

public sealed record ScopeItem(string Type, string Value);

/// <summary>What the incident touched: from its artifacts and its declared cloud scope.</summary>
public sealed record ReportScope(
    IReadOnlyList<ScopeItem> Principals,
    IReadOnlyList<ScopeItem> Resources,
    IReadOnlyList<ScopeItem> Observables,
    IReadOnlyList<string> Providers,
    IReadOnlyList<string> Accounts,
    IReadOnlyList<string> Regions,
    ReportBlastRadius? BlastRadius = null)
{
    public bool IsEmpty => Principals.Count + Resources.Count + Observables.Count + Providers.Count + Accounts.Count + Regions.Count == 0 && BlastRadius is null;
}

/// <summary>The scope computed from the incident's events (docs/scope.md): blast-radius counts and patient zero.</summary>
public sealed record ReportBlastRadius(long Events, Scope.BlastCounts Counts, string? PatientZero, string? PatientZeroType, Scope.FirstUse? FirstUse);

/// <summary>
/// Whether data left the organisation's control and how much. Until someone has assessed it the report
/// says so in words, rather than leaving the section out and implying there was none.
/// </summary>
public sealed record DataLossAssessment(bool Assessed, string Statement, IReadOnlyList<ReportDataGap> Extents)
{
    public static readonly DataLossAssessment NotAssessed = new(false, "Not assessed: no data-loss assessment has been recorded for this incident.", []);

    /// <summary>Who recorded the assessment the report shows, and when.</summary>
    public string? AssessedBy { get; init; }
    public DateTimeOffset? AssessedAt { get; init; }
    public IReadOnlyList<ReportDataLossResource> Resources { get; init; } = [];
    public IReadOnlyList<ReportNotificationClock> Clocks { get; init; } = [];
}

/// <summary>One resource of the latest data-loss assessment, as the report prints it.</summary>
public sealed record ReportDataLossResource(string Resource, string Classification, string Categories, string AccessedBy, string Amount, string Window,
    string Confidence, bool LowerBound);

public sealed record ReportNotificationClock(string Regime, string Authority, DateTimeOffset Start, DateTimeOffset Deadline);

[JsonConverter(typeof(StrictEnumConverter<ReportActionKind>))]
public enum ReportActionKind
{
    [JsonStringEnumMemberName("phase-change")] PhaseChange,
    [JsonStringEnumMemberName("task")] Task,
    [JsonStringEnumMemberName("response-action")] ResponseAction,
}

/// <summary>One thing the responders did: a phase change, a task, or a response action on the timeline.</summary>
public sealed record ReportAction(DateTimeOffset At, ReportActionKind Kind, string Title, string By, string Status);

public sealed record ReportAlert(string Title, AlertSeverity Severity, string Source, DateTimeOffset? FirstSeenAt, DateTimeOffset ReceivedAt, int Occurrences);

public sealed record ReportEvidenceItem(
    string Name,
    EvidenceKind Kind,
    string Source,
    string CollectedBy,
    DateTimeOffset AcquiredAt,
    long Size,
    string? Sha256,
    string? SnapshotId,
    string Holder,
    CustodyEvent LastEvent,
    int CustodyEvents);

/// <summary>The custody log at the moment of the report: how long it is and whether every link and hash still holds.</summary>
public sealed record CustodySummary(int Entries, bool ChainIntact, IReadOnlyList<string> Problems, DateTimeOffset? LastEntryAt);

public sealed record ReportEvidence(IReadOnlyList<ReportEvidenceItem> Items, CustodySummary Custody);

/// <summary>The post-incident review as far as it exists; <see cref="Exists"/> is false until someone writes it.</summary>
public sealed record ReportReview(bool Exists, string Summary, string LessonsLearned, string ReviewedBy, DateTimeOffset? UpdatedAt,
    string RootCause = "", string WhatWentWell = "", string CouldBeBetter = "", string DetectSooner = "", string AdditionalData = "",
    string ProcessChangeNeeded = "", string ProcessChanges = "", string ProviderSla = "")
{
    public static readonly ReportReview None = new(false, "", "", "", null);

    /// <summary>The review's questions with their answers ("" when not answered yet), in the order the review asks them.</summary>
    public IReadOnlyList<(string Question, string Answer)> Questions =>
    [
        ("Root cause", RootCause),
        ("What went well?", WhatWentWell),
        ("What could have been done better?", CouldBeBetter),
        ("Could the attack have been detected sooner?", DetectSooner),
        ("What additional data would have helped?", AdditionalData),
        ("Does the process need to change?", ProcessChangeNeeded),
        ("Process changes agreed", ProcessChanges),
        ("Was the provider's response within its SLA?", ProviderSla),
    ];
}

public sealed record ReportFollowUp(string Title, string? Owner, DateOnly? DueOn, FollowUpStatus Status, bool Overdue, DateTimeOffset? CompletedAt);

public sealed record ReportDataGap(string LogSource, string? Provider, string? Service, DataGapImpact WouldHaveShortened, DataGapSource Source, string Note);

public sealed record ReportProviderEscalation(string Provider, string? Service, string CaseId, DateTimeOffset OpenedAt, int SlaResponseMinutes,
    DateTimeOffset? FirstResponseAt, DateTimeOffset? ResolvedAt, SlaReview Sla);

public sealed record ReportNote(DateTimeOffset At, string Author, string Body);

[JsonConverter(typeof(StrictEnumConverter<ReportFormat>))]
public enum ReportFormat
{
    [JsonStringEnumMemberName("html")] Html,
    [JsonStringEnumMemberName("md")] Markdown,
    [JsonStringEnumMemberName("pdf")] Pdf,
    [JsonStringEnumMemberName("text")] Text,
}
