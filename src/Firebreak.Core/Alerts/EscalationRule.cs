using System.Text.Json.Serialization;
using Firebreak.Core.Common;

namespace Firebreak.Core.Alerts;

/// <summary>
/// Escalates arriving alerts without a person: when every condition that is set holds (severity at
/// least, source among, technique among), create an incident or merge into the open incident that
/// shares a principal or resource.
/// </summary>
public sealed class EscalationRule : ITenantOwned, IVersioned
{
    public Guid Id { get; set; } = Guid.CreateVersion7();
    public Guid TenantId { get; set; }
    public required string Name { get; set; }
    public bool Enabled { get; set; } = true;
    public AlertSeverity? MinSeverity { get; set; }
    public List<string> Sources { get; set; } = [];
    public List<string> Techniques { get; set; } = [];
    public EscalationAction Action { get; set; }
    public required string CreatedBy { get; set; }
    public DateTimeOffset CreatedAt { get; set; }
    public long Version { get; set; }

    public bool Matches(Alert alert) =>
        (MinSeverity is null || alert.Severity >= MinSeverity)
        && (Sources.Count == 0 || Sources.Contains(alert.Source, StringComparer.OrdinalIgnoreCase))
        && (Techniques.Count == 0 || alert.Techniques.Any(t => Techniques.Any(r => t.Equals(r, StringComparison.OrdinalIgnoreCase)
            || t.StartsWith(r + ".", StringComparison.OrdinalIgnoreCase))));
}

[JsonConverter(typeof(StrictEnumConverter<EscalationAction>))]
public enum EscalationAction
{
    /// <summary>Promote the alert to a new incident.</summary>
    [JsonStringEnumMemberName("create-incident")] CreateIncident,

    /// <summary>Merge into the newest open incident sharing a principal or resource; create one when none does.</summary>
    [JsonStringEnumMemberName("merge-or-create")] MergeOrCreate,
}

public sealed record EscalationRuleView(Guid Id, string Name, bool Enabled, AlertSeverity? MinSeverity, IReadOnlyList<string> Sources,
    IReadOnlyList<string> Techniques, EscalationAction Action, string CreatedBy, DateTimeOffset CreatedAt, long Version);

public sealed record CreateEscalationRule(string Name, EscalationAction Action, AlertSeverity? MinSeverity = null,
    IReadOnlyList<string>? Sources = null, IReadOnlyList<string>? Techniques = null);
