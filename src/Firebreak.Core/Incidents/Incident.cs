using Firebreak.Core.Common;

namespace Firebreak.Core.Incidents;

public sealed class Incident : ITenantOwned, IVersioned, IIncidentOwned
{
    public Guid Id { get; set; } = Guid.CreateVersion7();
    public Guid TenantId { get; set; }

    /// <summary>Per tenant and year, from <see cref="IncidentCounter"/>.</summary>
    public int Year { get; set; }
    public int Number { get; set; }

    /// <summary>The human reference, INC-2026-0001.</summary>
    public string Reference { get; set; } = "";

    public required string Title { get; set; }
    public string Summary { get; set; } = "";
    public Severity Severity { get; set; }
    public Tlp Tlp { get; set; }
    public Pap Pap { get; set; }
    public IncidentCategory Category { get; set; }
    public List<string> Tags { get; set; } = [];

    public List<string> CloudProviders { get; set; } = [];
    public List<string> CloudAccounts { get; set; } = [];
    public List<string> CloudRegions { get; set; } = [];

    public Guid? IncidentManagerId { get; set; }
    public Guid? CommunicationsLeadId { get; set; }

    public Phase Phase { get; set; } = Phase.DetectionAndAnalysis;
    public IncidentStatus Status { get; set; } = IncidentStatus.Open;
    public Guid? DuplicateOfId { get; set; }
    public string? StatusReason { get; set; }

    public DateTimeOffset DetectedAt { get; set; }
    public DateTimeOffset? EscalatedAt { get; set; }
    public DateTimeOffset? ContainedAt { get; set; }
    public DateTimeOffset? EradicatedAt { get; set; }
    public DateTimeOffset? RecoveredAt { get; set; }
    public DateTimeOffset? ClosedAt { get; set; }

    public DateTimeOffset CreatedAt { get; set; }
    public DateTimeOffset UpdatedAt { get; set; }
    public long Version { get; set; }

    Guid IIncidentOwned.IncidentId => Id;

    public static string FormatReference(int year, int number) => $"INC-{year}-{number:D4}";
}

/// <summary>The last number handed out per tenant and year; incremented under a row lock.</summary>
[NotAudited]
public sealed class IncidentCounter : ITenantOwned
{
    public Guid TenantId { get; set; }
    public int Year { get; set; }
    public int LastNumber { get; set; }
}

/// <summary>One phase change: who, when, why. Never updated or deleted.</summary>
public sealed class PhaseTransition : ITenantOwned, IIncidentOwned
{
    public Guid Id { get; set; } = Guid.CreateVersion7();
    public Guid TenantId { get; set; }
    public Guid IncidentId { get; set; }
    public Phase From { get; set; }
    public Phase To { get; set; }
    public bool IsReopen { get; set; }
    public required string Reason { get; set; }
    public required string ActorName { get; set; }
    public Guid? ActorUserId { get; set; }
    public DateTimeOffset At { get; set; }
}

public sealed class IncidentTask : ITenantOwned, IVersioned, IIncidentOwned
{
    public Guid Id { get; set; } = Guid.CreateVersion7();
    public Guid TenantId { get; set; }
    public Guid IncidentId { get; set; }
    public required string Title { get; set; }
    public Guid? OwnerId { get; set; }
    public DateTimeOffset? DueAt { get; set; }
    public TaskStatus Status { get; set; }
    public Phase Phase { get; set; }
    public DateTimeOffset CreatedAt { get; set; }
    public DateTimeOffset UpdatedAt { get; set; }
    public long Version { get; set; }
}

/// <summary>An analyst note in Markdown. Edits add a revision; earlier text is never overwritten.</summary>
public sealed class JournalEntry : ITenantOwned, IIncidentOwned
{
    public Guid Id { get; set; } = Guid.CreateVersion7();
    public Guid TenantId { get; set; }
    public Guid IncidentId { get; set; }
    public required string AuthorName { get; set; }
    public Guid? AuthorUserId { get; set; }
    public DateTimeOffset CreatedAt { get; set; }
    public List<JournalRevision> Revisions { get; set; } = [];
}

public sealed class JournalRevision : ITenantOwned, IIncidentOwned
{
    public Guid Id { get; set; } = Guid.CreateVersion7();
    public Guid TenantId { get; set; }
    public Guid IncidentId { get; set; }
    public Guid JournalEntryId { get; set; }
    public int RevisionNumber { get; set; }
    public required string Body { get; set; }
    public required string EditorName { get; set; }
    public Guid? EditorUserId { get; set; }
    public DateTimeOffset At { get; set; }
}

/// <summary>The post-incident review; closing an incident requires one.</summary>
public sealed class PostIncidentReview : ITenantOwned, IVersioned, IIncidentOwned
{
    public Guid Id { get; set; } = Guid.CreateVersion7();
    public Guid TenantId { get; set; }
    public Guid IncidentId { get; set; }
    public string Summary { get; set; } = "";
    public string LessonsLearned { get; set; } = "";
    public string RootCause { get; set; } = "";
    public string WhatWentWell { get; set; } = "";

    /// <summary>"What could have been done better?"</summary>
    public string CouldBeBetter { get; set; } = "";

    /// <summary>"Could the attack have been detected sooner?"</summary>
    public string DetectSooner { get; set; } = "";

    /// <summary>"What additional data would have helped?"</summary>
    public string AdditionalData { get; set; } = "";

    /// <summary>"Does the process need to change?"</summary>
    public string ProcessChangeNeeded { get; set; } = "";

    /// <summary>The concrete changes to the process agreed in the review.</summary>
    public string ProcessChanges { get; set; } = "";

    /// <summary>"Was the provider's response within its SLA?" The computed SLA review sits next to it.</summary>
    public string ProviderSla { get; set; } = "";
    public string ReviewedBy { get; set; } = "";
    public DateTimeOffset CreatedAt { get; set; }
    public DateTimeOffset UpdatedAt { get; set; }
    public long Version { get; set; }
}
