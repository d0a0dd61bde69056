using System.Text.Json.Serialization;
using Firebreak.Core.Common;

namespace Firebreak.Core.Alerts;

/// <summary>
/// One alert as any tool reports it, mapped to Firebreak's model before it is stored. Each intake
/// format (generic JSON, OCSF, ASFF, GuardDuty, Defender, SCC, CEF) produces these.
/// </summary>
public sealed record IncomingAlert
{
    /// <summary>The reporting tool: guardduty, securityhub, defender, scc, ocsf:&lt;product&gt;, cef:&lt;vendor&gt;/&lt;product&gt;, or the caller's own name.</summary>
    public required string Source { get; init; }

    /// <summary>The tool's own id for the alert; the same source and reference are the same alert.</summary>
    public string? SourceReference { get; init; }

    public required string Title { get; init; }
    public string? Description { get; init; }

    public AlertSeverity Severity { get; init; } = AlertSeverity.Medium;

    /// <summary>The severity exactly as the tool gave it ("8.0", "HIGH", "High", "7").</summary>
    public string? OriginalSeverity { get; init; }

    /// <summary>When the tool detected it.</summary>
    public DateTimeOffset? DetectedAt { get; init; }

    /// <summary>When the activity was first and last seen, as the tool reports.</summary>
    public DateTimeOffset? FirstSeenAt { get; init; }
    public DateTimeOffset? LastSeenAt { get; init; }

    /// <summary>The tool's category or finding type.</summary>
    public string? Category { get; init; }

    /// <summary>MITRE ATT&amp;CK technique ids (T1078, T1530.001).</summary>
    public IReadOnlyList<string> Techniques { get; init; } = [];

    /// <summary>aws, azure or gcp, when the alert is about a cloud.</summary>
    public string? Provider { get; init; }

    /// <summary>AWS account, Azure subscription, GCP project.</summary>
    public string? Account { get; init; }

    public string? Region { get; init; }

    /// <summary>Affected resources: ARNs, Azure resource ids, GCP resource names, instance ids.</summary>
    public IReadOnlyList<string> Resources { get; init; } = [];

    public IReadOnlyList<AlertEntity> Principals { get; init; } = [];

    public IReadOnlyList<AlertEntity> Observables { get; init; } = [];

    /// <summary>The payload exactly as received (one alert's part of it when a payload holds several).</summary>
    public required string RawPayload { get; init; }

    /// <summary>The intake format that produced this: generic, ocsf, asff, guardduty, defender, scc, cef.</summary>
    public required string Format { get; init; }
}

/// <summary>A typed value: a principal (user, role, access-key, service-account, ...) or an observable (ip, domain, url, hash, ...).</summary>
public sealed record AlertEntity(string Type, string Value);

[JsonConverter(typeof(StrictEnumConverter<AlertSeverity>))]
public enum AlertSeverity
{
    [JsonStringEnumMemberName("informational")] Informational = 0,
    [JsonStringEnumMemberName("low")] Low = 1,
    [JsonStringEnumMemberName("medium")] Medium = 2,
    [JsonStringEnumMemberName("high")] High = 3,
    [JsonStringEnumMemberName("critical")] Critical = 4,
}

/// <summary>Principal types used by the format mappers.</summary>
public static class PrincipalTypes
{
    public const string User = "user";
    public const string Role = "role";
    public const string AccessKey = "access-key";
    public const string ServiceAccount = "service-account";
    public const string ServicePrincipal = "service-principal";
    public const string Account = "account";
}

/// <summary>Observable types used by the format mappers and indicators.</summary>
public static class ObservableTypes
{
    public const string Ip = "ip";
    public const string Domain = "domain";
    public const string Url = "url";
    public const string Hash = "hash";
    public const string Email = "email";
    public const string UserAgent = "user-agent";
    public const string Process = "process";
    public const string File = "file";
    public const string Port = "port";
}

/// <summary>A payload the format cannot read. Malformed is a 400; a version it does not know is a 422.</summary>
public sealed class AlertFormatException(string message, string? path = null, bool unsupportedVersion = false) : DomainException(message)
{
    public string? Path { get; } = path;
    public bool UnsupportedVersion { get; } = unsupportedVersion;
}

/// <summary>Reads one native payload into alerts. Stateless and thread-safe.</summary>
public interface IAlertFormat
{
    /// <summary>The name used in the intake URL: /api/v1/alerts/intake/{name}.</summary>
    string Name { get; }

    /// <summary>The payload's media type: application/json, or text/plain for CEF lines.</summary>
    string MediaType { get; }

    IReadOnlyList<IncomingAlert> Parse(ReadOnlyMemory<byte> payload);
}
