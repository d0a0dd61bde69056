using System.Text.RegularExpressions;
using Firebreak.Detection.Simulation;

namespace Firebreak.Detection.Tests.Simulation;

/// <summary>The simulator's delivery files across midnight.</summary>
public sealed partial class AttackSimulatorDeliveryTests : IDisposable
{
    private readonly DirectoryInfo _root = Directory.CreateTempSubdirectory("firebreak-sim-delivery-");

    public void Dispose() => _root.Delete(recursive: true);

    private string Out(string name) => Path.Combine(_root.FullName, name);

    private static CancellationToken Token => TestContext.Current.CancellationToken;

    [GeneratedRegex(@"^AWSLogs/o-[a-z0-9]{10}/\d{12}/CloudTrail/[a-z0-9-]+/(?<folder>\d{4}/\d{2}/\d{2})/\d{12}_CloudTrail_[a-z0-9-]+_(?<named>\d{8})T\d{4}Z_")]
    private static partial Regex TrailFile();

    // The file name carries the delivery time (the five-minute window's end): the 23:55 window's file is named
    // ..._20260116T0000Z_..., and CloudTrail files it under the day it was delivered, 2026/01/16/.
    [Fact]
    public async Task CloudTrailDayFolder_IsTheDeliveryDayInTheFileName_AcrossMidnight()
    {
        var result = await AttackSimulator.RunAsync(new SimulationOptions
        {
            Scenario = "leaked-access-key",
            OutputDirectory = Out("midnight"),
            Events = 3000,
            Seed = 4,
            Start = new DateTimeOffset(2026, 1, 15, 22, 0, 0, TimeSpan.Zero),
            Duration = TimeSpan.FromHours(4),
        }, Token);

        var mismatched = result.Files
            .Select(f => TrailFile().Match(f))
            .Where(m => m.Success && m.Groups["folder"].Value.Replace("/", "", StringComparison.Ordinal) != m.Groups["named"].Value)
            .Select(m => m.Value)
            .ToList();
        Assert.True(mismatched.Count == 0, "day folder differs from the delivery day in the name: " + string.Join(", ", mismatched));
    }

    [Theory]
    [InlineData("leaked-access-key")]
    [InlineData("compromised-instance-role")]
    public async Task TheTrailTheAttackerStops_IsNotTheOneThatDeliversTheLogs(string scenario)
    {
        // The attackers stop, delete or narrow the account's own trail; the logs written go on after that, so they must be
        // an organization trail's (AWSLogs/o-ID/ACCOUNT/...), which a member account cannot change, as in a real organization.
        var result = await AttackSimulator.RunAsync(new SimulationOptions { Scenario = scenario, OutputDirectory = Out(scenario), Events = 2000, Seed = 11 }, Token);

        var tampering = result.AttackSteps.Where(s => s.Operation is "StopLogging" or "DeleteTrail" or "PutEventSelectors").ToList();
        Assert.NotEmpty(tampering);
        var events = await new Firebreak.Detection.Readers.CloudLogReader().ReadAllAsync(Out(scenario));
        var targets = events.Where(e => tampering.Any(t => t.EventId == e.EventId)).SelectMany(e => e.Resources).Select(r => r.Uid).Distinct().ToList();
        Assert.NotEmpty(targets);
        Assert.All(targets, t => Assert.EndsWith($":{result.AwsAccountId}:trail/management-events", t, StringComparison.Ordinal));
        var trailFiles = result.Files.Where(f => f.StartsWith("AWSLogs/", StringComparison.Ordinal)).ToList();
        Assert.All(trailFiles, f => Assert.Matches($@"^AWSLogs/o-[a-z0-9]{{10}}/{result.AwsAccountId}/CloudTrail/", f));
        Assert.Contains(events, e => e.Provider == "aws" && e.Time > tampering.Max(t => t.Time));
    }

    [Fact]
    public async Task ANegativeSeed_IsRefused_ItWouldRepeatItsPositive()
    {
        var options = new SimulationOptions { Scenario = "leaked-access-key", OutputDirectory = Out("negative"), Events = 100, Seed = -7 };

        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => AttackSimulator.RunAsync(options, Token));
        Assert.False(Directory.Exists(Out("negative")) && Directory.EnumerateFileSystemEntries(Out("negative")).Any());
    }
}
