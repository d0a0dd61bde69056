using System.Text.Json.Serialization;
using Firebreak.Core.Common;

namespace Firebreak.Core.Evidence;

/// <summary>
/// One item of evidence. Files are stored content-addressed and write-once; a cloud snapshot is a
/// reference to where the provider keeps it. Hashes are computed by Firebreak as the bytes arrive.
/// </summary>
public sealed class EvidenceItem : ITenantOwned, IIncidentOwned
{
    public Guid Id { get; set; } = Guid.CreateVersion7();
    public Guid TenantId { get; set; }
    public Guid IncidentId { get; set; }
    public EvidenceKind Kind { get; set; }
    public required string Name { get; set; }
    public string Description { get; set; } = "";

    /// <summary>Where it came from: a host, an account and region, a tool.</summary>
    public required string Source { get; set; }
    public required string CollectedBy { get; set; }
    public DateTimeOffset AcquiredAt { get; set; }
    public DateTimeOffset StoredAt { get; set; }

    /// <summary>Bytes stored; 0 for a snapshot reference.</summary>
    public long Size { get; set; }
    public string? Sha256 { get; set; }
    public string? Sha1 { get; set; }
    public string? Md5 { get; set; }
    public string? MediaType { get; set; }

    public string? SnapshotId { get; set; }
    public string? SnapshotRegion { get; set; }
    public string? SnapshotAccount { get; set; }
    public string? SourceVolume { get; set; }
    public string? CreatedByAction { get; set; }
}

[JsonConverter(typeof(StrictEnumConverter<EvidenceKind>))]
public enum EvidenceKind
{
    [JsonStringEnumMemberName("file")] File,
    [JsonStringEnumMemberName("log-set")] LogSet,
    [JsonStringEnumMemberName("snapshot")] Snapshot,
    [JsonStringEnumMemberName("memory-image")] MemoryImage,
    [JsonStringEnumMemberName("screenshot")] Screenshot,
}

/// <summary>
/// One event in an incident's chain of custody. Entries form one chain per incident: each holds the
/// previous entry's hash, and its own hash covers every field, so altering or removing any entry breaks
/// every hash after it.
/// </summary>
[NotAudited]
public sealed class CustodyEntry : ITenantOwned, IIncidentOwned
{
    public long Id { get; set; }
    public Guid TenantId { get; set; }
    public Guid IncidentId { get; set; }

    /// <summary>Position in the incident's chain, from 1; unique, so two appends can never both take the same place.</summary>
    public int Sequence { get; set; }
    public Guid EvidenceItemId { get; set; }
    public CustodyEvent Event { get; set; }
    public required string Actor { get; set; }
    public DateTimeOffset At { get; set; }
    public string Location { get; set; } = "";
    public string Reason { get; set; } = "";

    /// <summary>For transfers: the person receiving the item.</summary>
    public string? Recipient { get; set; }
    public required string PreviousHash { get; set; }
    public required string Hash { get; set; }
}

[JsonConverter(typeof(StrictEnumConverter<CustodyEvent>))]
public enum CustodyEvent
{
    [JsonStringEnumMemberName("collected")] Collected,
    [JsonStringEnumMemberName("received")] Received,
    [JsonStringEnumMemberName("transferred")] Transferred,
    [JsonStringEnumMemberName("accessed")] Accessed,
    [JsonStringEnumMemberName("copied")] Copied,
    [JsonStringEnumMemberName("exported")] Exported,
    [JsonStringEnumMemberName("returned")] Returned,
    [JsonStringEnumMemberName("disposed")] Disposed,
}
