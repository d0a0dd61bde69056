using System.Text.Json.Serialization;
using Firebreak.Core.Common;

namespace Firebreak.Core.Recovery;

/// <summary>
/// One step of an incident's eradication and recovery: rebuild a resource from a known-good template, rotate a
/// credential, confirm a service is healthy, deploy a preventive control, or anything else the team needs to
/// see done. Each carries who set its status and when, and what proves it (evidence items of the incident, a note).
/// </summary>
public sealed class RecoveryItem : ITenantOwned, IVersioned, IIncidentOwned
{
    public Guid Id { get; set; } = Guid.CreateVersion7();
    public Guid TenantId { get; set; }
    public Guid IncidentId { get; set; }
    public RecoveryItemKind Kind { get; set; }

    /// <summary>The item's place on the checklist, from 1 in the order items were added.</summary>
    public int Position { get; set; }
    public required string Description { get; set; }

    /// <summary>What the step is about: an instance, an access key, a role, a bucket; empty when it is not about one resource.</summary>
    public string Resource { get; set; } = "";

    /// <summary>The response action the default checklist derived the item from, if any.</summary>
    public Guid? SourceActionId { get; set; }

    public RecoveryItemStatus Status { get; set; }

    /// <summary>Why the item failed or does not apply (required for those statuses).</summary>
    public string? StatusReason { get; set; }
    public string? StatusBy { get; set; }
    public DateTimeOffset? StatusAt { get; set; }

    public List<Guid> EvidenceIds { get; set; } = [];
    public string Note { get; set; } = "";

    /// <summary>For rebuild-from-template: the baseline the rebuild must match, by name.</summary>
    public string? BaselineName { get; set; }

    /// <summary>The baseline version the last verification compared against (a later version does not rewrite it).</summary>
    public Guid? VerifiedBaselineId { get; set; }
    public int? VerifiedBaselineRevision { get; set; }
    public string? ExpectedDigest { get; set; }

    /// <summary>The digest of the template actually used, as given or as Firebreak computed it from the uploaded file.</summary>
    public string? ActualDigest { get; set; }
    public TemplateMatch? TemplateMatch { get; set; }

    /// <summary>given (a digest was typed in) or computed (Firebreak hashed an uploaded file), with the file's name and size.</summary>
    public string? VerificationSource { get; set; }
    public string? VerifiedBy { get; set; }
    public DateTimeOffset? VerifiedAt { get; set; }

    public required string CreatedBy { get; set; }
    public DateTimeOffset CreatedAt { get; set; }
    public long Version { get; set; }
}

[JsonConverter(typeof(StrictEnumConverter<RecoveryItemKind>))]
public enum RecoveryItemKind
{
    [JsonStringEnumMemberName("rebuild-from-template")] RebuildFromTemplate = 0,
    [JsonStringEnumMemberName("rotate-credentials")] RotateCredentials = 1,
    [JsonStringEnumMemberName("confirm-health")] ConfirmHealth = 2,
    [JsonStringEnumMemberName("deploy-preventive-control")] DeployPreventiveControl = 3,
    [JsonStringEnumMemberName("custom")] Custom = 4,
}

[JsonConverter(typeof(StrictEnumConverter<RecoveryItemStatus>))]
public enum RecoveryItemStatus
{
    [JsonStringEnumMemberName("open")] Open = 0,
    [JsonStringEnumMemberName("done")] Done = 1,
    [JsonStringEnumMemberName("failed")] Failed = 2,
    [JsonStringEnumMemberName("not-applicable")] NotApplicable = 3,
}

[JsonConverter(typeof(StrictEnumConverter<TemplateMatch>))]
public enum TemplateMatch
{
    [JsonStringEnumMemberName("match")] Match = 0,
    [JsonStringEnumMemberName("mismatch")] Mismatch = 1,
}

/// <summary>
/// One version of a known-good template of the tenant: a CloudFormation/Terraform template, an AMI, a machine
/// image or a container image, with its SHA-256 digest. A change is a new row with the next revision; old
/// revisions stay, so what a rebuild was checked against can always be read back.
/// </summary>
public sealed class TemplateBaseline : ITenantOwned
{
    public Guid Id { get; set; } = Guid.CreateVersion7();
    public Guid TenantId { get; set; }
    public required string Name { get; set; }
    public int Revision { get; set; }
    public BaselineKind Kind { get; set; }

    /// <summary>Where the template lives: an AMI id, an image reference, a repository path, a bucket key.</summary>
    public required string Location { get; set; }

    /// <summary>sha256:&lt;64 lowercase hex&gt;.</summary>
    public required string Digest { get; set; }
    public required string RecordedBy { get; set; }
    public DateTimeOffset RecordedAt { get; set; }
    public required string Reason { get; set; }
}

[JsonConverter(typeof(StrictEnumConverter<BaselineKind>))]
public enum BaselineKind
{
    [JsonStringEnumMemberName("template")] Template = 0,
    [JsonStringEnumMemberName("ami")] Ami = 1,
    [JsonStringEnumMemberName("machine-image")] MachineImage = 2,
    [JsonStringEnumMemberName("container-image")] ContainerImage = 3,
}

public static class RecoveryLimits
{
    public const int DescriptionLength = 2_000;
    public const int ResourceLength = 500;
    public const int NoteLength = 4_000;
    public const int ReasonLength = 2_000;
    public const int NameLength = 200;
    public const int LocationLength = 1_000;
    public const int DigestLength = 71;
    public const int MaxItemsPerIncident = 500;
    public const int MaxEvidencePerItem = 50;
    public const int MaxBaselineRevisions = 1_000;
}
