using Firebreak.Core.Common;

namespace Firebreak.Core.Alerts;

/// <summary>One promotion or merge of alerts into an incident; kept so it can be undone, and after that as history.</summary>
public sealed class AlertEscalation : ITenantOwned, IVersioned
{
    public Guid Id { get; set; } = Guid.CreateVersion7();
    public Guid TenantId { get; set; }
    public Guid IncidentId { get; set; }

    /// <summary>True when the escalation created the incident (promote), false when it joined an existing one (merge).</summary>
    public bool CreatedIncident { get; set; }

    /// <summary>The alerts and the triage state each had before, as "id:state" pairs.</summary>
    public List<string> Alerts { get; set; } = [];
    public required string By { get; set; }
    public DateTimeOffset At { get; set; }

    /// <summary>Set by an escalation rule rather than a person.</summary>
    public string? RuleName { get; set; }
    public DateTimeOffset? UndoneAt { get; set; }
    public string? UndoneBy { get; set; }
    public long Version { get; set; }
}
