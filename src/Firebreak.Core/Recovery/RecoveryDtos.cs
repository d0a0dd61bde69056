namespace Firebreak.Core.Recovery;

public sealed record AddRecoveryItem(RecoveryItemKind? Kind, string Description, string? Resource = null, string? BaselineName = null, string? Note = null);

/// <summary>A status change: failed and not-applicable need a reason; evidence and note replace the item's when given.</summary>
public sealed record SetRecoveryStatus(RecoveryItemStatus? Status, string? Reason = null, string? Note = null, IReadOnlyList<Guid>? EvidenceIds = null);

/// <summary>The digest of the template actually used; the baseline defaults to the item's.</summary>
public sealed record VerifyTemplate(string Digest, string? Baseline = null);

public sealed record RecordBaseline(string Name, BaselineKind? Kind, string Location, string Digest, string Reason);

public sealed record RecoveryItemView(
    Guid Id,
    Guid IncidentId,
    RecoveryItemKind Kind,
    string Description,
    string Resource,
    Guid? SourceActionId,
    RecoveryItemStatus Status,
    string? StatusReason,
    string? StatusBy,
    DateTimeOffset? StatusAt,
    IReadOnlyList<Guid> EvidenceIds,
    string Note,
    string? BaselineName,
    TemplateVerificationView? Verification,
    string CreatedBy,
    DateTimeOffset CreatedAt,
    long Version);

public sealed record TemplateVerificationView(
    Guid BaselineId,
    int BaselineRevision,
    string ExpectedDigest,
    string ActualDigest,
    TemplateMatch Result,
    string Source,
    string VerifiedBy,
    DateTimeOffset VerifiedAt);

public sealed record RecoveryChecklistView(int Total, int Open, int Done, int Failed, int NotApplicable, IReadOnlyList<RecoveryItemView> Items);

public sealed record BaselineView(Guid Id, string Name, int Revision, BaselineKind Kind, string Location, string Digest, string RecordedBy,
    DateTimeOffset RecordedAt, string Reason);
