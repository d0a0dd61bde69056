namespace Firebreak.Detection.Simulation;

public sealed record SimulationOptions
{
    /// <summary>One of <see cref="AttackSimulator.Scenarios"/>.</summary>
    public required string Scenario { get; init; }

    public required string OutputDirectory { get; init; }

    /// <summary>Total events written, attack and background together.</summary>
    public int Events { get; init; } = 2000;

    /// <summary>
    /// Share of benign background events, 0 to 1. The attack always gets at least its core steps;
    /// a lower ratio adds more attacker activity (repeated discovery and exfiltration calls).
    /// </summary>
    public double Noise { get; init; } = 0.95;

    public int Seed { get; init; } = 1;

    /// <summary>Write <c>.json.gz</c> files, as CloudTrail delivers them, rather than plain <c>.json</c>.</summary>
    public bool Compress { get; init; } = true;

    /// <summary>When the simulated activity starts; fixed by default so that output depends only on the options.</summary>
    public DateTimeOffset Start { get; init; } = new(2026, 1, 15, 8, 0, 0, TimeSpan.Zero);

    public TimeSpan Duration { get; init; } = TimeSpan.FromHours(6);

    /// <summary>Share of background events written as Azure Activity Log and GCP audit logs instead of CloudTrail.</summary>
    public double OtherCloudsShare { get; init; } = 0.2;

    internal void Validate()
    {
        if (!AttackSimulator.Scenarios.Contains(Scenario))
        {
            throw new ArgumentException($"unknown scenario '{Scenario}'; expected one of: {string.Join(", ", AttackSimulator.Scenarios)}", nameof(Scenario));
        }

        ArgumentException.ThrowIfNullOrWhiteSpace(OutputDirectory);
        ArgumentOutOfRangeException.ThrowIfLessThan(Events, 1);
        // The generator takes a seed's absolute value: -7 would repeat 7's logs.
        ArgumentOutOfRangeException.ThrowIfNegative(Seed);
        if (Noise is < 0 or > 1 || double.IsNaN(Noise))
        {
            throw new ArgumentOutOfRangeException(nameof(Noise), Noise, "noise is a ratio between 0 and 1");
        }

        if (OtherCloudsShare is < 0 or > 1 || double.IsNaN(OtherCloudsShare))
        {
            throw new ArgumentOutOfRangeException(nameof(OtherCloudsShare), OtherCloudsShare, "a share between 0 and 1");
        }

        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(Duration, TimeSpan.Zero);
    }
}

/// <summary>One attacker action written to the logs.</summary>
public sealed record SimulatedStep(string EventId, DateTimeOffset Time, string Tactic, string Service, string Operation);

public sealed record SimulationResult
{
    public required string Scenario { get; init; }

    /// <summary>Files written, relative to the output directory, in the order they were written.</summary>
    public required IReadOnlyList<string> Files { get; init; }

    public required int TotalEvents { get; init; }

    /// <summary>Events per log source service (cloudtrail, activitylogs, gcp.audit).</summary>
    public required IReadOnlyDictionary<string, int> EventsBySource { get; init; }

    public required IReadOnlyList<SimulatedStep> AttackSteps { get; init; }

    public required string AwsAccountId { get; init; }

    /// <summary>Where the attack is: <c>aws</c>, <c>azure</c> or <c>gcp</c> (the other clouds' files are background).</summary>
    public string AttackedCloud { get; init; } = "aws";

    /// <summary>The identity the attacker used first: an access key id, a role session ARN, a user's UPN or a service account.</summary>
    public required string InitialAccess { get; init; }

    public required IReadOnlyList<string> AttackerIps { get; init; }
}
