using System.Text.Json.Serialization;
using Firebreak.Core.Common;

namespace Firebreak.Core.ManagementPlane;

/// <summary>
/// The record that an emergency (break-glass) account or credential was used during an incident: who used it,
/// when, which one and why, and its close-out: the credential rotated and the use reviewed by a second person.
/// It stays open, and shows as open on the incident, until both are done.
/// </summary>
public sealed class BreakGlassRecord : ITenantOwned, IVersioned, IIncidentOwned
{
    public Guid Id { get; set; } = Guid.CreateVersion7();
    public Guid TenantId { get; set; }
    public Guid IncidentId { get; set; }

    /// <summary>The person who used the account (may differ from who records it).</summary>
    public required string InvokedBy { get; set; }
    public DateTimeOffset InvokedAt { get; set; }

    /// <summary>The emergency account: a root user, a break-glass IAM user, a global admin UPN.</summary>
    public required string Account { get; set; }

    /// <summary>Which credential of it: "password + hardware MFA", "sealed access key AKIA...". Never the secret itself.</summary>
    public required string Credential { get; set; }
    public required string Reason { get; set; }

    public required string RecordedBy { get; set; }
    public required string RecordedByPrincipal { get; set; }
    public DateTimeOffset RecordedAt { get; set; }

    public BreakGlassStatus Status { get; set; }
    public DateTimeOffset? CredentialsRotatedAt { get; set; }
    public string? RotationNote { get; set; }
    public string? ReviewedBy { get; set; }
    public DateTimeOffset? ReviewedAt { get; set; }
    public string? ReviewNote { get; set; }
    public DateTimeOffset? ClosedAt { get; set; }
    public long Version { get; set; }
}

[JsonConverter(typeof(StrictEnumConverter<BreakGlassStatus>))]
public enum BreakGlassStatus
{
    [JsonStringEnumMemberName("open")] Open = 0,
    [JsonStringEnumMemberName("closed")] Closed = 1,
}

public static class BreakGlassLimits
{
    public const int NameLength = 200;
    public const int AccountLength = 500;
    public const int CredentialLength = 500;
    public const int TextLength = 2_000;
    public const int MaxPerIncident = 100;
}

public sealed record InvokeBreakGlass(string Account, string Credential, string Reason, DateTimeOffset? InvokedAt, string? InvokedBy = null);

/// <summary>The close-out: the credential has been rotated (when), and the reviewer's finding.</summary>
public sealed record CloseBreakGlass(DateTimeOffset? CredentialsRotatedAt, string RotationNote, string ReviewNote);

public sealed record BreakGlassView(
    Guid Id,
    Guid IncidentId,
    string InvokedBy,
    DateTimeOffset InvokedAt,
    string Account,
    string Credential,
    string Reason,
    string RecordedBy,
    DateTimeOffset RecordedAt,
    BreakGlassStatus Status,
    DateTimeOffset? CredentialsRotatedAt,
    string? RotationNote,
    string? ReviewedBy,
    DateTimeOffset? ReviewedAt,
    string? ReviewNote,
    DateTimeOffset? ClosedAt,
    long Version);
