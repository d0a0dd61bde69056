using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using Firebreak.Cli.Client;
using Firebreak.Detection.Simulation;
using Spectre.Console;

namespace Firebreak.Cli.Commands;

/// <summary>Writes audit logs of a simulated attack, for trying detections and hunts without a real incident. Needs no server.</summary>
internal static class SimulateCommand
{
    public static Command Create(CliContext context, CommandCatalog catalog)
    {
        var command = catalog.Create("simulate",
            "Write realistic cloud audit logs (CloudTrail, Azure Activity Log, GCP audit) of a named attack hidden in benign activity. "
            + "The same options and seed always give byte-identical files. Needs no server.",
            "firebreak simulate --list",
            "firebreak simulate leaked-access-key --out ./logs",
            "firebreak simulate public-bucket-exposure --out ./logs --events 50000 --noise 0.99 --seed 7 --gzip");
        var scenario = new Argument<string?>("scenario")
        {
            Description = $"The attack to simulate: {string.Join(", ", AttackSimulator.Scenarios)}.",
            Arity = ArgumentArity.ZeroOrOne,
        };
        var list = new Option<bool>("--list") { Description = "List the scenarios with what each one does." };
        var output = new Option<string?>("--out") { Description = "Directory to write the log files to; created when missing.", HelpName = "DIR" };
        var events = new Option<int>("--events") { Description = "Total events, attack and background together (default 2000).", HelpName = "N", DefaultValueFactory = _ => 2000 };
        // Read as text: the number parser takes a comma as a thousands separator, so a decimal comma (0,1) became 1.
        var noise = new Option<string>("--noise")
        {
            Description = "Share of benign background events, 0 to 1 (default 0.95). Lower means more attacker activity.",
            HelpName = "RATIO",
            DefaultValueFactory = _ => "0.95",
        };
        var seed = new Option<int>("--seed") { Description = "Seed for the random choices, 0 to 2,147,483,647 (default 1).", HelpName = "S", DefaultValueFactory = _ => 1 };
        var gzip = new Option<bool>("--gzip") { Description = "Write CloudTrail files gzipped (.json.gz), as CloudTrail delivers them; Azure and GCP logs stay plain JSON." };
        var json = new Option<bool>("--json") { Description = "Print the summary (or the scenario list) as JSON." };
        command.Add(scenario);
        foreach (var option in new Option[] { list, output, events, noise, seed, gzip, json }) command.Add(option);

        command.SetAction(async (parseResult, cancellationToken) =>
        {
            if (parseResult.GetValue(list)) return List(context, parseResult.GetValue(json));

            var name = parseResult.GetValue(scenario)
                ?? throw new CliException(ExitCodes.Usage, $"Name a scenario ({string.Join(", ", AttackSimulator.Scenarios)}), or run 'firebreak simulate --list'.");
            var match = AttackSimulator.Scenarios.FirstOrDefault(s => string.Equals(s, name.Trim(), StringComparison.OrdinalIgnoreCase))
                ?? throw new CliException(ExitCodes.Usage, $"There is no scenario '{name}'. Use one of: {string.Join(", ", AttackSimulator.Scenarios)}.");
            var directory = parseResult.GetValue(output);
            if (string.IsNullOrWhiteSpace(directory)) throw new CliException(ExitCodes.Usage, "--out is required: the directory to write the log files to.");
            if (parseResult.GetValue(seed) is var chosen && chosen < 0)
                throw new CliException(ExitCodes.Usage, $"--seed is from 0 to 2,147,483,647, not {chosen}: a negative seed would give the same logs as its positive.");
            var count = parseResult.GetValue(events);
            if (count < 1) throw new CliException(ExitCodes.Usage, $"--events must be at least 1, not {count}.");
            if (count > MaxEvents) throw new CliException(ExitCodes.Usage, $"--events is at most {MaxEvents:N0} (about 11 GB of logs), not {count:N0}.");
            var noiseText = parseResult.GetValue(noise)!.Trim();
            if (!double.TryParse(noiseText, NumberStyles.Float, CultureInfo.InvariantCulture, out var ratio) || double.IsNaN(ratio) || ratio is < 0 or > 1)
                throw new CliException(ExitCodes.Usage, $"--noise must be a ratio from 0 to 1 written with a point (0.95), not '{noiseText}'.");
            var attackEvents = (long)Math.Round(count * (1 - ratio));
            if (attackEvents > MaxAttackEvents)
                throw new CliException(ExitCodes.Usage, $"--events {count:N0} with --noise {noiseText} asks for {attackEvents:N0} attacker events; at most {MaxAttackEvents:N0} are simulated (they are planned before any is written): raise --noise or lower --events.");
            if (Directory.Exists(directory) && Directory.EnumerateFileSystemEntries(directory).Any())
                context.ErrorConsole.MarkupLine($"[yellow]warning:[/] {Markup.Escape($"{directory} already holds files; the new logs are written beside them, and a hunt of the folder reads both.")}");

            var options = new SimulationOptions
            {
                Scenario = match,
                OutputDirectory = directory,
                Events = count,
                Noise = ratio,
                Seed = parseResult.GetValue(seed),
                Compress = parseResult.GetValue(gzip),
            };
            SimulationResult result;
            try
            {
                result = await context.WithStatusAsync($"Simulating {match}: writing {count:N0} events to {directory}",
                    () => AttackSimulator.RunAsync(options, cancellationToken));
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                throw new CliException(ExitCodes.Usage, $"Cannot write to '{directory}': {e.Message}");
            }

            if (parseResult.GetValue(json))
            {
                context.Output.WriteLine(JsonSerializer.Serialize(result, FirebreakClient.Json));
                return ExitCodes.Ok;
            }
            WriteSummary(context.Console, result, directory);
            return ExitCodes.Ok;
        });
        return command;
    }

    /// <summary>Events one run may write: the background's times are drawn and sorted before the first is written.</summary>
    internal const int MaxEvents = 10_000_000;

    /// <summary>Attacker events one run may plan; they are held, with their summary, until the run ends (2,000,000 events at the default noise: 455 MB).</summary>
    internal const int MaxAttackEvents = 100_000;

    /// <summary>Attack steps listed in the summary table; --json lists them all.</summary>
    private const int StepsShown = 50;

    private static int List(CliContext context, bool json)
    {
        if (json)
        {
            var scenarios = AttackSimulator.Scenarios.Select(s => new { name = s, description = AttackSimulator.Describe(s) });
            context.Output.WriteLine(JsonSerializer.Serialize(scenarios, FirebreakClient.Json));
            return ExitCodes.Ok;
        }
        var table = new Table().Border(TableBorder.Rounded).AddColumns("Scenario", "What happens");
        foreach (var s in AttackSimulator.Scenarios) table.AddRow(new Text(s), new Text(AttackSimulator.Describe(s)));
        context.Console.Write(table);
        return ExitCodes.Ok;
    }

    private static void WriteSummary(IAnsiConsole console, SimulationResult result, string directory)
    {
        console.WriteLine($"Wrote {result.TotalEvents:N0} events of '{result.Scenario}' to {result.Files.Count} file(s) in {directory}.");
        // The attack's cloud first: "AWS account" heading an Azure or GCP attack sent a reader to the wrong logs.
        var where = result.AttackedCloud switch
        {
            "azure" => "Attack in the Azure Activity Log",
            "gcp" => "Attack in the GCP audit log",
            _ => $"Attack in CloudTrail, AWS account {result.AwsAccountId}",
        };
        console.WriteLine($"{where}; initial access {result.InitialAccess}; attacker IPs {string.Join(", ", result.AttackerIps)}.");
        var sources = new Table().Border(TableBorder.Rounded).AddColumns("Source", "Events");
        foreach (var (source, count) in result.EventsBySource.OrderBy(p => p.Key, StringComparer.Ordinal))
            sources.AddRow(source, count.ToString("N0", CultureInfo.InvariantCulture));
        console.Write(sources);
        var steps = new Table().Border(TableBorder.Rounded).AddColumns("Time (UTC)", "Tactic", "Service", "Operation", "Event id");
        foreach (var step in result.AttackSteps.Take(StepsShown))
        {
            steps.AddRow(
                new Text(step.Time.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture)),
                new Text(step.Tactic), new Text(step.Service), new Text(step.Operation), new Text(step.EventId));
        }
        console.WriteLine($"Attack steps ({result.AttackSteps.Count}):");
        console.Write(steps);
        if (result.AttackSteps.Count > StepsShown) console.WriteLine($"... and {result.AttackSteps.Count - StepsShown:N0} more (--json lists every step).");
    }
}
