using System.Globalization;
using Firebreak.Detection.Simulation;

// Writes CloudTrail S3-delivery files of a simulated leaked-access-key attack for the hunting benchmark.
if (args.Length < 2 || !int.TryParse(args[1], NumberStyles.None, CultureInfo.InvariantCulture, out var events))
{
    Console.Error.WriteLine("usage: Firebreak.LogGenerator OUTPUT_DIR EVENTS [gz]");
    return 2;
}

var result = await AttackSimulator.RunAsync(new SimulationOptions
{
    Scenario = "leaked-access-key",
    OutputDirectory = args[0],
    Events = events,
    Compress = args.Length > 2 && args[2] == "gz",
    // jq is compared on CloudTrail's shape only, so every file is CloudTrail.
    OtherCloudsShare = 0,
    Duration = TimeSpan.FromDays(2),
});
Console.WriteLine($"{result.TotalEvents} events in {result.Files.Count} files");
return 0;
