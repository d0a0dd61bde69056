using System.Text.Json.Serialization;
using Firebreak.Core.Common;
using Firebreak.Core.Incidents;

namespace Firebreak.Core.PostMortem;

public sealed record IncidentRef(string Reference, string Title);

public sealed record FollowUpView(
    Guid Id,
    IncidentRef Incident,
    string Title,
    string Notes,
    UserRef? Owner,
    DateOnly? DueOn,
    FollowUpStatus Status,
    bool Overdue,
    DateTimeOffset? CompletedAt,
    DateTimeOffset CreatedAt,
    DateTimeOffset UpdatedAt,
    long Version);

public sealed record CreateFollowUp(string Title, Guid? OwnerId = null, DateOnly? DueOn = null, string? Notes = null);

/// <summary>A partial update: a null field is left as it is; the Clear flags empty the optional ones.</summary>
public sealed record UpdateFollowUp(
    string? Title = null,
    Guid? OwnerId = null,
    bool ClearOwner = false,
    DateOnly? DueOn = null,
    bool ClearDueOn = false,
    FollowUpStatus? Status = null,
    string? Notes = null);

/// <summary>Follow-ups across incidents. With no status, everything not done.</summary>
public sealed record FollowUpQuery(FollowUpStatus? Status = null, bool OverdueOnly = false, Guid? OwnerId = null, int? Page = null, int? PageSize = null);

public sealed record DataGapView(
    Guid Id,
    DataGapSource Source,
    string? SourceReference,
    string LogSource,
    string? Provider,
    string? Service,
    DataGapImpact WouldHaveShortened,
    string Note,
    string RecordedBy,
    DateTimeOffset CreatedAt,
    DateTimeOffset UpdatedAt,
    long Version);

/// <summary>An analyst's data gap; the whole record, replaced on update.</summary>
public sealed record DataGapInput(string LogSource, DataGapImpact? WouldHaveShortened, string? Provider = null, string? Service = null, string? Note = null);

[JsonConverter(typeof(StrictEnumConverter<SlaOutcome>))]
public enum SlaOutcome
{
    /// <summary>No first response yet, and the agreed time has not run out.</summary>
    [JsonStringEnumMemberName("pending")] Pending = 0,
    [JsonStringEnumMemberName("met")] Met = 1,

    /// <summary>The first response came late, or has not come and the agreed time has run out.</summary>
    [JsonStringEnumMemberName("breached")] Breached = 2,
}

public sealed record SlaReview(DateTimeOffset ResponseDueAt, SlaOutcome Outcome, TimeSpan? ResponseTime, TimeSpan? Overrun, TimeSpan? TimeToResolve);

public sealed record ProviderEscalationView(
    Guid Id,
    string Provider,
    string? Service,
    string CaseId,
    DateTimeOffset OpenedAt,
    int SlaResponseMinutes,
    DateTimeOffset? FirstResponseAt,
    DateTimeOffset? ResolvedAt,
    string Notes,
    SlaReview Sla,
    DateTimeOffset CreatedAt,
    DateTimeOffset UpdatedAt,
    long Version)
{
    public EscalationStatus Status { get; init; }

    /// <summary>Still waiting for the provider's first response, and the agreed time has run out.</summary>
    public bool Overdue { get; init; }

    /// <summary>The answers received, oldest first.</summary>
    public IReadOnlyList<EscalationResponseView> Responses { get; init; } = [];
}

public sealed record EscalationResponseView(Guid Id, DateTimeOffset ReceivedAt, string? From, string Summary, string RecordedBy, DateTimeOffset RecordedAt);

/// <summary>An answer from the provider, appended to the case.</summary>
public sealed record AddEscalationResponse(DateTimeOffset? ReceivedAt, string Summary, string? From = null);

/// <summary>A provider escalation; the whole record, replaced on update.</summary>
public sealed record ProviderEscalationInput(
    string Provider,
    string CaseId,
    DateTimeOffset? OpenedAt,
    int? SlaResponseMinutes,
    string? Service = null,
    DateTimeOffset? FirstResponseAt = null,
    DateTimeOffset? ResolvedAt = null,
    string? Notes = null,
    EscalationStatus? Status = null);

/// <summary>The SLA review of an incident: every escalation, the breaches first.</summary>
public sealed record SlaSummary(int Escalations, int Met, int Breached, int Pending, IReadOnlyList<ProviderEscalationView> Items);
