using System.Text.Json.Serialization;
using Firebreak.Core.Common;

namespace Firebreak.Core.Investigation;

/// <summary>
/// One entry on an incident's attack timeline. Three times are kept apart: when it happened (event),
/// when anyone learned of it (discovery), and when Firebreak stored it (ingestion).
/// </summary>
public sealed class TimelineEntry : ITenantOwned, IIncidentOwned, IVersioned
{
    public Guid Id { get; set; } = Guid.CreateVersion7();
    public Guid TenantId { get; set; }
    public Guid IncidentId { get; set; }
    public TimelineKind Kind { get; set; }
    public DateTimeOffset EventTime { get; set; }
    public DateTimeOffset? DiscoveredAt { get; set; }
    public DateTimeOffset IngestedAt { get; set; }
    public required string Title { get; set; }
    public required string Source { get; set; }

    /// <summary>The record behind the entry (an alert id, a transition id).</summary>
    public string? SourceId { get; set; }
    public string? Technique { get; set; }

    /// <summary>ATT&amp;CK tactic, by its short name (initial-access, persistence, ...).</summary>
    public string? Tactic { get; set; }

    /// <summary>For pinned cloud events: the stored event it came from.</summary>
    public long? IncidentEventId { get; set; }

    /// <summary>The native record behind the entry, verbatim, when there is one.</summary>
    public string? Raw { get; set; }
    public bool KeyEvent { get; set; }
    public bool FalseLead { get; set; }

    /// <summary>The analyst's note on the entry (Markdown).</summary>
    public string? Annotation { get; set; }

    /// <summary>Who wrote an analyst entry or pinned an event; null for entries the system added.</summary>
    public string? Author { get; set; }
    public List<string> Principals { get; set; } = [];
    public List<string> Assets { get; set; } = [];
    public List<string> Indicators { get; set; } = [];
    public long Version { get; set; }

    /// <summary>
    /// An entry the system writes for something done on the incident (a response action, a playbook step, a
    /// break-glass use): happened at <paramref name="at"/>, known and stored at <paramref name="now"/>.
    /// </summary>
    public static TimelineEntry Recorded(Guid tenantId, Guid incidentId, TimelineKind kind, string title, string source, string sourceId, DateTimeOffset at, DateTimeOffset now) => new()
    {
        TenantId = tenantId,
        IncidentId = incidentId,
        Kind = kind,
        EventTime = at,
        DiscoveredAt = now,
        IngestedAt = now,
        Title = title.Length > 500 ? title[..500] : title,
        Source = source,
        SourceId = sourceId,
    };
}

[JsonConverter(typeof(StrictEnumConverter<TimelineKind>))]
public enum TimelineKind
{
    [JsonStringEnumMemberName("alert")] Alert = 0,
    [JsonStringEnumMemberName("cloud-event")] CloudEvent = 1,
    [JsonStringEnumMemberName("analyst")] Analyst = 2,
    [JsonStringEnumMemberName("action")] Action = 3,
    [JsonStringEnumMemberName("phase-change")] PhaseChange = 4,
    [JsonStringEnumMemberName("break-glass")] BreakGlass = 5,
}

/// <summary>
/// A principal, resource or observable attached to an incident, with the alert it came from so an
/// escalation can be undone exactly.
/// </summary>
public sealed class IncidentArtifact : ITenantOwned, IIncidentOwned
{
    public Guid Id { get; set; } = Guid.CreateVersion7();
    public Guid TenantId { get; set; }
    public Guid IncidentId { get; set; }

    /// <summary>principal, resource or observable.</summary>
    public required string Kind { get; set; }

    /// <summary>access-key, user, ip, domain, ... ; "resource" for resources.</summary>
    public required string Type { get; set; }
    public required string Value { get; set; }
    public Guid? SourceAlertId { get; set; }
    public DateTimeOffset AddedAt { get; set; }
}

public static class ArtifactKinds
{
    public const string Principal = "principal";
    public const string Resource = "resource";
    public const string Observable = "observable";
}
