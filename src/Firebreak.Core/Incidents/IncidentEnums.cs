using System.Text.Json.Serialization;
using Firebreak.Core.Common;

namespace Firebreak.Core.Incidents;

/// <summary>Severity; docs/incidents.md gives the meaning of each level.</summary>
[JsonConverter(typeof(StrictEnumConverter<Severity>))]
public enum Severity
{
    /// <summary>Critical: confirmed compromise of production or regulated data, or an outage; all hands, now.</summary>
    [JsonStringEnumMemberName("SEV1")] Sev1 = 1,

    /// <summary>High: confirmed compromise contained to a limited scope, or likely data exposure.</summary>
    [JsonStringEnumMemberName("SEV2")] Sev2 = 2,

    /// <summary>Medium: suspicious activity under investigation, no confirmed impact.</summary>
    [JsonStringEnumMemberName("SEV3")] Sev3 = 3,

    /// <summary>Low: policy violation or minor event with no expected impact.</summary>
    [JsonStringEnumMemberName("SEV4")] Sev4 = 4,
}

/// <summary>Traffic Light Protocol 2.0.</summary>
[JsonConverter(typeof(StrictEnumConverter<Tlp>))]
public enum Tlp
{
    [JsonStringEnumMemberName("clear")] Clear = 0,
    [JsonStringEnumMemberName("green")] Green = 1,
    [JsonStringEnumMemberName("amber")] Amber = 2,
    [JsonStringEnumMemberName("amber+strict")] AmberStrict = 3,
    [JsonStringEnumMemberName("red")] Red = 4,
}

/// <summary>Permissible Actions Protocol: how far others may act on what the incident shares.</summary>
[JsonConverter(typeof(StrictEnumConverter<Pap>))]
public enum Pap
{
    [JsonStringEnumMemberName("clear")] Clear = 0,
    [JsonStringEnumMemberName("green")] Green = 1,
    [JsonStringEnumMemberName("amber")] Amber = 2,
    [JsonStringEnumMemberName("red")] Red = 3,
}

[JsonConverter(typeof(StrictEnumConverter<IncidentCategory>))]
public enum IncidentCategory
{
    [JsonStringEnumMemberName("compromised-credentials")] CompromisedCredentials = 1,
    [JsonStringEnumMemberName("compromised-workload")] CompromisedWorkload = 2,
    [JsonStringEnumMemberName("data-exposure")] DataExposure = 3,
    [JsonStringEnumMemberName("malware")] Malware = 4,
    [JsonStringEnumMemberName("denial-of-service")] DenialOfService = 5,
    [JsonStringEnumMemberName("insider")] Insider = 6,
    [JsonStringEnumMemberName("other")] Other = 7,
}

/// <summary>The incident-response lifecycle, in order.</summary>
[JsonConverter(typeof(StrictEnumConverter<Phase>))]
public enum Phase
{
    [JsonStringEnumMemberName("detection-and-analysis")] DetectionAndAnalysis = 1,
    [JsonStringEnumMemberName("containment")] Containment = 2,
    [JsonStringEnumMemberName("eradication")] Eradication = 3,
    [JsonStringEnumMemberName("recovery")] Recovery = 4,
    [JsonStringEnumMemberName("post-incident-review")] PostIncidentReview = 5,
    [JsonStringEnumMemberName("closed")] Closed = 6,
}

/// <summary>Separate from the phase: whether the incident is being worked at all.</summary>
[JsonConverter(typeof(StrictEnumConverter<IncidentStatus>))]
public enum IncidentStatus
{
    [JsonStringEnumMemberName("open")] Open = 0,
    [JsonStringEnumMemberName("on-hold")] OnHold = 1,
    [JsonStringEnumMemberName("duplicate")] Duplicate = 2,
    [JsonStringEnumMemberName("false-positive")] FalsePositive = 3,
}

[JsonConverter(typeof(StrictEnumConverter<TaskStatus>))]
public enum TaskStatus
{
    [JsonStringEnumMemberName("todo")] Todo = 0,
    [JsonStringEnumMemberName("in-progress")] InProgress = 1,
    [JsonStringEnumMemberName("done")] Done = 2,
    [JsonStringEnumMemberName("cancelled")] Cancelled = 3,
}

public static class PhaseNames
{
    public static string Display(this Phase phase) => phase switch
    {
        Phase.DetectionAndAnalysis => "Detection & Analysis",
        Phase.PostIncidentReview => "Post-incident review",
        _ => phase.ToString(),
    };
}
