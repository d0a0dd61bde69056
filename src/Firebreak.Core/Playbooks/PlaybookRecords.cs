using System.Text.Json.Serialization;
using Firebreak.Core.Common;
using Firebreak.Core.Response;

namespace Firebreak.Core.Playbooks;

/// <summary>A tenant's own playbook, imported from YAML or CACAO; kept as its YAML.</summary>
public sealed class Playbook : ITenantOwned, IVersioned
{
    public Guid Id { get; set; } = Guid.CreateVersion7();
    public Guid TenantId { get; set; }

    /// <summary>The playbook's id from its file (unique per tenant, never a built-in's).</summary>
    public required string Key { get; set; }
    public required string Name { get; set; }
    public required string Description { get; set; }
    public required string Yaml { get; set; }
    public required string ImportedBy { get; set; }
    public DateTimeOffset ImportedAt { get; set; }
    public long Version { get; set; }
}

/// <summary>
/// One run of a playbook on an incident. The playbook's YAML is copied in when the run starts, so the run goes on
/// as started even when the tenant's playbook changes or is deleted. The worker acts as the person who started it.
/// </summary>
public sealed class PlaybookRun : ITenantOwned, IVersioned, IIncidentOwned
{
    public Guid Id { get; set; } = Guid.CreateVersion7();
    public Guid TenantId { get; set; }
    public Guid IncidentId { get; set; }
    public required string PlaybookKey { get; set; }
    public required string PlaybookName { get; set; }
    public bool BuiltIn { get; set; }
    public required string Yaml { get; set; }

    /// <summary>The bound inputs, and where each came from (responder, scope, default).</summary>
    public Dictionary<string, string> Inputs { get; set; } = [];
    public Dictionary<string, string> InputSources { get; set; } = [];

    public AssetCriticality Criticality { get; set; }
    public ContainmentChoice Choice { get; set; }
    public required string ChoiceReason { get; set; }

    public RunStatus Status { get; set; }
    public required string StartedBy { get; set; }

    /// <summary>user:&lt;id&gt; or api-key:&lt;id&gt;: who may not approve the run's approval steps.</summary>
    public required string StartedByPrincipal { get; set; }
    public Guid? StartedByUserId { get; set; }
    public Guid? StartedByApiKeyId { get; set; }
    public Identity.Role StartedByRole { get; set; }
    public DateTimeOffset StartedAt { get; set; }
    public DateTimeOffset? FinishedAt { get; set; }
    public string? Error { get; set; }
    public string? CancelledBy { get; set; }
    public string? CancelReason { get; set; }
    public long Version { get; set; }
}

/// <summary>The state of one step of a run: who acted, when, and what came of it.</summary>
public sealed class PlaybookRunStep : ITenantOwned, IVersioned, IIncidentOwned
{
    public Guid Id { get; set; } = Guid.CreateVersion7();
    public Guid TenantId { get; set; }
    public Guid IncidentId { get; set; }
    public Guid RunId { get; set; }
    public required string StepId { get; set; }

    /// <summary>Document order, depth first: how the steps are listed.</summary>
    public int Position { get; set; }
    public int Depth { get; set; }
    public StepKind Kind { get; set; }
    public required string Name { get; set; }
    public StepState State { get; set; }

    /// <summary>The response action an action step planned.</summary>
    public Guid? ActionId { get; set; }

    /// <summary>Indexes of the checklist items ticked off.</summary>
    public List<int> Ticked { get; set; } = [];
    public string? Actor { get; set; }
    public DateTimeOffset? StartedAt { get; set; }
    public DateTimeOffset? FinishedAt { get; set; }
    public string? Result { get; set; }
    public string? Note { get; set; }
    public long Version { get; set; }
}

[JsonConverter(typeof(StrictEnumConverter<RunStatus>))]
public enum RunStatus
{
    [JsonStringEnumMemberName("running")] Running = 0,
    [JsonStringEnumMemberName("succeeded")] Succeeded = 1,
    [JsonStringEnumMemberName("failed")] Failed = 2,
    [JsonStringEnumMemberName("cancelled")] Cancelled = 3,
}

[JsonConverter(typeof(StrictEnumConverter<StepState>))]
public enum StepState
{
    [JsonStringEnumMemberName("pending")] Pending = 0,
    [JsonStringEnumMemberName("waiting-approval")] WaitingApproval = 1,
    [JsonStringEnumMemberName("running")] Running = 2,
    [JsonStringEnumMemberName("succeeded")] Succeeded = 3,
    [JsonStringEnumMemberName("failed")] Failed = 4,
    [JsonStringEnumMemberName("skipped")] Skipped = 5,

    /// <summary>A manual step whose checklist is all ticked off.</summary>
    [JsonStringEnumMemberName("done")] Done = 6,
}

public static class StepStates
{
    public static bool Finished(this StepState state) => state is StepState.Succeeded or StepState.Failed or StepState.Skipped or StepState.Done;
}

public sealed record PlaybookSummary(string Id, string Name, string Description, bool BuiltIn, int Steps, IReadOnlyList<string> Actions,
    string? ImportedBy, DateTimeOffset? ImportedAt, long? Version);

public sealed record PlaybookDetails(PlaybookSummary Playbook, PlaybookDefinition Definition, string Yaml);

public sealed record StartRun(string Playbook, Dictionary<string, string>? Inputs, AssetCriticality? Criticality, ContainmentChoice? Choice, string? ChoiceReason);

public sealed record CompleteStep(IReadOnlyList<int>? Items, string? Note = null);

public sealed record ApproveStep(string? Comment = null);

public sealed record CancelRun(string Reason);

public sealed record RunStepView(string Id, int Position, int Depth, StepKind Kind, string Name, string? Description, StepState State,
    IReadOnlyList<string> Checklist, IReadOnlyList<int> Ticked, Guid? ActionId, string? Action, string? Actor, DateTimeOffset? StartedAt, DateTimeOffset? FinishedAt,
    string? Result, string? Note, long Version);

public sealed record RunView(Guid Id, string Incident, string Playbook, string PlaybookName, bool BuiltIn, RunStatus Status,
    IReadOnlyDictionary<string, string> Inputs, IReadOnlyDictionary<string, string> InputSources, AssetCriticality Criticality, ContainmentChoice Choice,
    string ChoiceReason, string StartedBy, DateTimeOffset StartedAt, DateTimeOffset? FinishedAt, string? Error, string? CancelledBy, string? CancelReason,
    IReadOnlyList<RunStepView> Steps, long Version);
