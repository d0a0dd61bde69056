namespace Firebreak.Core.Incidents;

public sealed record CloudScope(IReadOnlyList<string> Providers, IReadOnlyList<string> Accounts, IReadOnlyList<string> Regions)
{
    public static readonly CloudScope Empty = new([], [], []);
}

public sealed record UserRef(Guid Id, string DisplayName, string Email);

public sealed record Milestones(
    DateTimeOffset Detected,
    DateTimeOffset? Escalated,
    DateTimeOffset? Contained,
    DateTimeOffset? Eradicated,
    DateTimeOffset? Recovered,
    DateTimeOffset? Closed);

public sealed record IncidentSummary(
    Guid Id,
    string Reference,
    string Title,
    Severity Severity,
    Tlp Tlp,
    IncidentCategory Category,
    Phase Phase,
    IncidentStatus Status,
    IReadOnlyList<string> Tags,
    UserRef? IncidentManager,
    DateTimeOffset CreatedAt,
    DateTimeOffset UpdatedAt);

public sealed record IncidentDetails(
    Guid Id,
    string Reference,
    string Title,
    string Summary,
    Severity Severity,
    Tlp Tlp,
    Pap Pap,
    IncidentCategory Category,
    IReadOnlyList<string> Tags,
    CloudScope Scope,
    UserRef? IncidentManager,
    UserRef? CommunicationsLead,
    Phase Phase,
    IncidentStatus Status,
    string? StatusReason,
    string? DuplicateOf,
    Milestones Milestones,
    bool HasPostIncidentReview,
    DateTimeOffset CreatedAt,
    DateTimeOffset UpdatedAt,
    long Version);

public sealed record CreateIncident(
    string Title,
    string? Summary = null,
    Severity Severity = Severity.Sev3,
    Tlp Tlp = Tlp.Amber,
    Pap Pap = Pap.Amber,
    IncidentCategory Category = IncidentCategory.Other,
    IReadOnlyList<string>? Tags = null,
    CloudScope? Scope = null,
    Guid? IncidentManagerId = null,
    Guid? CommunicationsLeadId = null,
    DateTimeOffset? DetectedAt = null);

/// <summary>A partial update: a null field is left as it is.</summary>
public sealed record UpdateIncident(
    string? Title = null,
    string? Summary = null,
    Severity? Severity = null,
    Tlp? Tlp = null,
    Pap? Pap = null,
    IncidentCategory? Category = null,
    IReadOnlyList<string>? Tags = null,
    CloudScope? Scope = null,
    DateTimeOffset? DetectedAt = null);

/// <summary>Both role assignments, replaced together: null unassigns.</summary>
public sealed record AssignRoles(Guid? IncidentManagerId, Guid? CommunicationsLeadId);

public sealed record IncidentQuery(
    Phase? Phase = null,
    Severity? Severity = null,
    IncidentStatus? Status = null,
    Guid? ManagerId = null,
    string? Tag = null,
    string? Text = null,
    string? Sort = null,
    int? Page = null,
    int? PageSize = null);

public sealed record TransitionView(Guid Id, Phase From, Phase To, bool IsReopen, string Reason, string Actor, DateTimeOffset At);

public sealed record TaskView(Guid Id, string Title, UserRef? Owner, DateTimeOffset? DueAt, TaskStatus Status, Phase Phase, DateTimeOffset CreatedAt, DateTimeOffset UpdatedAt, long Version);

public sealed record CreateTask(string Title, Guid? OwnerId = null, DateTimeOffset? DueAt = null, Phase? Phase = null);

public sealed record UpdateTask(string? Title = null, Guid? OwnerId = null, bool ClearOwner = false, DateTimeOffset? DueAt = null, bool ClearDueAt = false, TaskStatus? Status = null, Phase? Phase = null);

public sealed record JournalEntryView(Guid Id, string Body, string Author, DateTimeOffset CreatedAt, int Revisions, DateTimeOffset LastEditedAt, string LastEditor);

public sealed record JournalRevisionView(int Revision, string Body, string Editor, DateTimeOffset At);

public sealed record ReviewView(
    string Summary,
    string LessonsLearned,
    string ReviewedBy,
    DateTimeOffset CreatedAt,
    DateTimeOffset UpdatedAt,
    long Version,
    string RootCause = "",
    string WhatWentWell = "",
    string CouldBeBetter = "",
    string DetectSooner = "",
    string AdditionalData = "",
    string ProcessChangeNeeded = "",
    string ProcessChanges = "",
    string ProviderSla = "");

/// <summary>
/// The review's answers. A summary is always required; any other field left null keeps what the review
/// already says (so a client that knows only summary and lessons learned never wipes the rest), and an
/// empty string clears it.
/// </summary>
public sealed record ReviewAnswers(
    string Summary,
    string? LessonsLearned = null,
    string? RootCause = null,
    string? WhatWentWell = null,
    string? CouldBeBetter = null,
    string? DetectSooner = null,
    string? AdditionalData = null,
    string? ProcessChangeNeeded = null,
    string? ProcessChanges = null,
    string? ProviderSla = null);
