namespace Firebreak.Core.Evidence;

public sealed record EvidenceView(Guid Id, EvidenceKind Kind, string Name, string Description, string Source, string CollectedBy,
    DateTimeOffset AcquiredAt, DateTimeOffset StoredAt, long Size, string? Sha256, string? Sha1, string? Md5, string? MediaType,
    string? SnapshotId, string? SnapshotRegion, string? SnapshotAccount, string? SourceVolume, string? CreatedByAction,
    CustodyEvent LastEvent, string Holder);

public sealed record CustodyView(int Sequence, Guid EvidenceItemId, CustodyEvent Event, string Actor, DateTimeOffset At,
    string Location, string Reason, string? Recipient, string PreviousHash, string Hash);

public sealed record AddEvidenceFile(string Name, EvidenceKind Kind, string Source, DateTimeOffset? AcquiredAt = null,
    string? Description = null, string? MediaType = null, string? Location = null);

public sealed record AddSnapshotReference(string Name, string SnapshotId, string Region, string Account, string? SourceVolume = null,
    string? CreatedByAction = null, DateTimeOffset? AcquiredAt = null, string? Description = null);

public sealed record RecordCustody(CustodyEvent Event, string Location, string Reason, string? Recipient = null);

public sealed record ItemCheck(Guid Id, string Name, bool Ok, string? Problem);

public sealed record VerificationReport(bool Ok, IReadOnlyList<ItemCheck> Items, IReadOnlyList<ChainProblem> Chain);
