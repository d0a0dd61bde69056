using System.Text.Json.Serialization;
using Firebreak.Core.Common;

namespace Firebreak.Core.Playbooks;

public static class PlaybookLimits
{
    public const int MaxSourceBytes = 256 * 1024;
    public const int IdLength = 64;
    public const int NameLength = 200;
    public const int DescriptionLength = 4_000;
    public const int MaxInputs = 30;
    public const int MaxSteps = 200;
    public const int MaxDepth = 8;
    public const int MaxChecklist = 50;
    public const int ChecklistItemLength = 500;
    public const int ValueLength = 2_048;
    public const int NoteLength = 2_000;
}

/// <summary>A playbook as parsed and checked: inputs bound at start, then steps run in order.</summary>
public sealed record PlaybookDefinition(string Id, string Name, string Description, IReadOnlyList<PlaybookInput> Inputs, IReadOnlyList<PlaybookStep> Steps)
{
    /// <summary>Every step, depth first in document order (a condition or parallel step before what it holds).</summary>
    public IEnumerable<PlaybookStep> AllSteps() => Flatten(Steps);

    /// <summary>These steps and every step they hold, depth first in document order.</summary>
    internal static IEnumerable<PlaybookStep> Flatten(IEnumerable<PlaybookStep> steps)
    {
        foreach (var step in steps)
        {
            yield return step;
            foreach (var inner in Flatten(step.Children)) yield return inner;
        }
    }
}

/// <summary>
/// A value the playbook needs. <see cref="From"/> says where it comes from: the responder, or the incident's scope
/// (the first attacker-controlled entity of the input's type, unless the responder names one).
/// </summary>
public sealed record PlaybookInput(string Name, PlaybookInputType Type, InputSource From, bool Required, string? Default, string Description);

[JsonConverter(typeof(StrictEnumConverter<PlaybookInputType>))]
public enum PlaybookInputType
{
    [JsonStringEnumMemberName("text")] Text = 0,
    [JsonStringEnumMemberName("boolean")] Boolean = 1,
    [JsonStringEnumMemberName("cidr")] Cidr = 2,
    [JsonStringEnumMemberName("access-key")] AccessKey = 3,
    [JsonStringEnumMemberName("principal")] Principal = 4,
    [JsonStringEnumMemberName("instance")] Instance = 5,
    [JsonStringEnumMemberName("bucket")] Bucket = 6,
    [JsonStringEnumMemberName("account")] Account = 7,
    [JsonStringEnumMemberName("region")] Region = 8,
}

[JsonConverter(typeof(StrictEnumConverter<InputSource>))]
public enum InputSource
{
    [JsonStringEnumMemberName("responder")] Responder = 0,
    [JsonStringEnumMemberName("scope")] Scope = 1,
}

[JsonConverter(typeof(StrictEnumConverter<StepKind>))]
public enum StepKind
{
    [JsonStringEnumMemberName("action")] Action = 0,
    [JsonStringEnumMemberName("manual")] Manual = 1,
    [JsonStringEnumMemberName("approval")] Approval = 2,
    [JsonStringEnumMemberName("condition")] Condition = 3,
    [JsonStringEnumMemberName("parallel")] Parallel = 4,
}

[JsonConverter(typeof(StrictEnumConverter<FailurePolicy>))]
public enum FailurePolicy
{
    /// <summary>A failed step fails the run (the default).</summary>
    [JsonStringEnumMemberName("stop")] Stop = 0,

    /// <summary>A failed step counts as finished; a later condition can branch on it.</summary>
    [JsonStringEnumMemberName("continue")] Continue = 1,
}

/// <summary>
/// One step. Which fields apply depends on <see cref="Kind"/>: an action names a catalogue action and its target
/// (templates over the inputs), a manual step a checklist, a condition its test and branches, a parallel step its branches.
/// </summary>
public sealed record PlaybookStep(string Id, StepKind Kind, string Name, string? Description, FailurePolicy OnFailure, int Line)
{
    public string? Action { get; init; }
    public string? Account { get; init; }
    public string? Region { get; init; }
    public string? Resource { get; init; }
    public IReadOnlyDictionary<string, string> ActionInputs { get; init; } = new Dictionary<string, string>();
    public IReadOnlyList<string> Checklist { get; init; } = [];
    public StepCondition? If { get; init; }
    public IReadOnlyList<PlaybookStep> Then { get; init; } = [];
    public IReadOnlyList<PlaybookStep> Else { get; init; } = [];
    public IReadOnlyList<IReadOnlyList<PlaybookStep>> Branches { get; init; } = [];

    /// <summary>The steps directly under this one: a condition's two arms, a parallel step's branches.</summary>
    [JsonIgnore]
    public IEnumerable<PlaybookStep> Children => Then.Concat(Else).Concat(Branches.SelectMany(b => b));
}

/// <summary>
/// The test of a condition step: an input equals (or differs from) a value, or an earlier step ended with an outcome.
/// </summary>
public sealed record StepCondition(string? Input, string? EqualsValue, string? NotEqualsValue, string? Step, StepOutcome? Outcome);

[JsonConverter(typeof(StrictEnumConverter<StepOutcome>))]
public enum StepOutcome
{
    [JsonStringEnumMemberName("succeeded")] Succeeded = 0,
    [JsonStringEnumMemberName("failed")] Failed = 1,
    [JsonStringEnumMemberName("skipped")] Skipped = 2,
}
