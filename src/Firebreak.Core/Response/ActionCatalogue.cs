using System.Text.Json.Serialization;
using Firebreak.Core.Common;

namespace Firebreak.Core.Response;

/// <summary>
/// One containment action a provider can carry out (the port Firebreak.Cloud implements). Planning may read
/// cloud state but never changes it; execution makes exactly the calls the plan lists; verification re-reads
/// the state; undo puts back what the undo data recorded.
/// </summary>
public interface IResponseAction
{
    ActionDefinition Definition { get; }

    /// <summary>Reads the current state and lists the calls execution will make. Changes nothing.</summary>
    Task<ActionPlan> PlanAsync(ActionTarget target, CancellationToken cancellationToken);

    /// <summary>Makes the plan's calls in order. Failures are reported per call, never thrown away or thrown.</summary>
    Task<ActionOutcome> ExecuteAsync(ActionTarget target, ActionPlan plan, CancellationToken cancellationToken);

    /// <summary>Re-reads the state and says, check by check, whether the change holds.</summary>
    Task<IReadOnlyList<VerificationCheck>> VerifyAsync(ActionTarget target, ActionPlan plan, ActionOutcome outcome, CancellationToken cancellationToken);

    /// <summary>Puts back what <paramref name="undoData"/> recorded.</summary>
    Task<ActionOutcome> UndoAsync(ActionTarget target, ActionPlan plan, IReadOnlyDictionary<string, string> undoData, CancellationToken cancellationToken);

    /// <summary>
    /// The undo data of a run whose outcome was lost (the server stopped mid-run), when the plan alone determines
    /// it; null when only the run itself could have recorded it (then the responder re-plans instead).
    /// </summary>
    IReadOnlyDictionary<string, string>? UndoDataWithoutOutcome(ActionTarget target, ActionPlan plan) => null;
}

/// <summary>Where an action points: the cloud account, region and resource, and the typed inputs already checked against the definition.</summary>
public sealed record ActionTarget(Guid TenantId, string IncidentReference, string Account, string Region, string Resource,
    IReadOnlyDictionary<string, string> Inputs)
{
    public string? Input(string name) => Inputs.TryGetValue(name, out var v) && v.Length > 0 ? v : null;

    public bool Flag(string name) => Input(name) is { } v && bool.TryParse(v, out var b) && b;
}

public sealed record ActionDefinition(
    string Name,
    string Provider,
    string Title,
    string Description,
    string ResourceType,
    string ResourcePattern,
    ContainmentStage Stage,
    ActionImpact Impact,
    bool AffectsAvailability,
    bool Undoable,
    string UndoDescription,
    IReadOnlyList<string> Calls,
    IReadOnlyList<ActionInput> Inputs)
{
    /// <summary>What the plan's account must be for this provider (AWS: the 12-digit account id), and the words for the error.</summary>
    public string AccountPattern { get; init; } = "^[0-9]{12}$";

    public string AccountDescription { get; init; } = "a 12-digit AWS account id";

    /// <summary>What the plan's region must be (AWS: a region such as us-east-1), and the words for the error.</summary>
    public string RegionPattern { get; init; } = "^[a-z]{2}(-[a-z]+)+-[0-9]{1,2}$";

    public string RegionDescription { get; init; } = "an AWS region such as us-east-1";
}

public sealed record ActionInput(string Name, ActionInputType Type, bool Required, string Description);

/// <summary>What a plan will do, read from the live state when it was made.</summary>
public sealed record ActionPlan(
    string Summary,
    IReadOnlyList<PlannedCall> Calls,
    IReadOnlyList<string> Changes,
    bool Undoable,
    string Undo,
    IReadOnlyList<SafetyRisk> Risks,
    IReadOnlyList<string> SafeOrder,
    IReadOnlyDictionary<string, string> State);

/// <summary>One API call the plan will make: service and operation as the provider names them, and its parameters.</summary>
public sealed record PlannedCall(string Service, string Operation, IReadOnlyDictionary<string, string> Parameters, string Change);

/// <summary>A way the system could destroy itself or the evidence, and the step that avoids it.</summary>
public sealed record SafetyRisk(string Code, string Description, string Avoid);

public sealed record ActionOutcome(IReadOnlyList<CallResult> Calls, IReadOnlyDictionary<string, string> UndoData, IReadOnlyDictionary<string, string> Output)
{
    public ActionStatus Status => Calls.Count == 0 || Calls.All(c => c.Succeeded) ? ActionStatus.Succeeded
        : Calls.Any(c => c.Succeeded) ? ActionStatus.PartiallyFailed
        : ActionStatus.Failed;
}

/// <summary>The result of one call: what it touched, and the provider's error code when it failed.</summary>
public sealed record CallResult(string Operation, string Resource, bool Succeeded, string Detail, string? ErrorCode = null);

public sealed record VerificationCheck(string What, string Expected, string Actual, bool Ok);

/// <summary>
/// A cloud read that failed while planning or verifying (access denied, not found, throttled beyond retries).
/// The use case reports it as a conflict with the provider's code and message; no change was made.
/// </summary>
public sealed class CloudCallException(string operation, string code, string message) : Exception($"{operation} failed: {code}: {message}")
{
    public string Operation { get; } = operation;
    public string Code { get; } = code;
}

/// <summary>The safe order of containment: collect, preserve, cut credentials, isolate the network, stop.</summary>
[JsonConverter(typeof(StrictEnumConverter<ContainmentStage>))]
public enum ContainmentStage
{
    [JsonStringEnumMemberName("collect")] Collect = 0,
    [JsonStringEnumMemberName("preserve")] Preserve = 1,
    [JsonStringEnumMemberName("cut-credentials")] CutCredentials = 2,
    [JsonStringEnumMemberName("isolate-network")] IsolateNetwork = 3,
    [JsonStringEnumMemberName("stop")] Stop = 4,
}

[JsonConverter(typeof(StrictEnumConverter<ActionImpact>))]
public enum ActionImpact
{
    [JsonStringEnumMemberName("low")] Low = 0,
    [JsonStringEnumMemberName("high")] High = 1,
}

[JsonConverter(typeof(StrictEnumConverter<ActionInputType>))]
public enum ActionInputType
{
    [JsonStringEnumMemberName("text")] Text = 0,
    [JsonStringEnumMemberName("boolean")] Boolean = 1,
    [JsonStringEnumMemberName("cidr")] Cidr = 2,
    [JsonStringEnumMemberName("arn")] Arn = 3,
}
