using System.CommandLine;
using System.Globalization;
using Firebreak.Cli.Client;
using Firebreak.Core.ThreatIntel;
using Spectre.Console;

namespace Firebreak.Cli.Commands;

/// <summary><c>firebreak intel import|feeds|poll</c>: threat-intelligence feeds on a server.</summary>
internal static class ThreatIntelCommands
{
    public static Command Create(CliContext context, CommandCatalog catalog)
    {
        var connection = new Connection(context);
        var intel = catalog.Create("intel", "Threat-intelligence feeds: import STIX 2.1 bundles and MISP feed files, list subscriptions, poll TAXII and MISP feeds now.",
            "firebreak intel import partner-bundle.json --format stix --feed Partner",
            "firebreak intel feeds",
            "firebreak intel poll Partner");
        intel.Add(connection.Server);
        intel.Add(connection.ApiKey);
        intel.Add(Import(connection, catalog));
        intel.Add(Feeds(connection, catalog));
        intel.Add(Poll(connection, catalog));
        return intel;
    }

    private static Command Import(Connection connection, CommandCatalog catalog)
    {
        var command = catalog.Create("import",
            "Import a STIX 2.1 bundle, or MISP feed JSON (an event file, or a feed folder with manifest.json and its {uuid}.json event files), into a feed. A feed name that does not exist yet becomes a new upload feed. Prints what was added, updated and skipped (with reasons).",
            "firebreak intel import bundle.json --format stix",
            "firebreak intel import 5f1d2c3b-4a59-4687-9a1b-2c3d4e5f6a7b.json --format misp --feed CIRCL",
            "firebreak intel import ./misp-feed/ --format misp --feed CIRCL --json");
        var file = new Argument<string>("file") { Description = "The document to import; for --format misp also a folder holding manifest.json." };
        var format = new Option<string>("--format") { Description = "stix or misp.", HelpName = "FORMAT", Required = true };
        format.OneOf("stix", "misp");
        var feed = new Option<string>("--feed") { Description = "The feed to import into (default: uploads).", HelpName = "NAME", DefaultValueFactory = _ => "uploads" };
        var json = IncidentCommands.JsonOption();
        command.Add(file);
        foreach (var option in new Option[] { format, feed, json }) command.Add(option);
        command.SetAction(async (parseResult, cancellationToken) =>
        {
            var path = parseResult.GetValue(file)!;
            var kind = parseResult.GetValue(format)!;
            var documents = Documents(path, kind);
            var feedName = Uri.EscapeDataString(parseResult.GetValue(feed)!);
            using var client = connection.Open(parseResult, TimeSpan.FromMinutes(10));
            var summaries = new List<ImportSummary>();
            foreach (var document in documents)
            {
                var bytes = await File.ReadAllBytesAsync(document, cancellationToken);
                var response = await client.PostPayloadAsync($"api/v1/intel/feeds/{feedName}/import?format={kind}", bytes, "application/json", null, cancellationToken);
                summaries.Add(response.Read<ImportSummary>());
            }
            if (parseResult.GetValue(json))
            {
                connection.Context.Output.WriteLine(System.Text.Json.JsonSerializer.Serialize(summaries, FirebreakClient.Json));
                return ExitCodes.Ok;
            }
            var console = connection.Context.Console;
            var table = new Table().Border(TableBorder.Rounded).AddColumns("File", "Read", "Indicators", "Added", "Updated", "Unchanged", "Skipped");
            for (var i = 0; i < summaries.Count; i++)
            {
                var s = summaries[i];
                table.AddRow(Path.GetFileName(documents[i]), Number(s.ObjectsRead), Number(s.Indicators), Number(s.Added), Number(s.Updated), Number(s.Unchanged), Number(s.Skipped));
            }
            console.Write(table);
            var reasons = summaries.SelectMany(s => s.SkippedByReason).GroupBy(r => r.Key).Select(g => (Reason: g.Key, Count: g.Sum(r => r.Value))).OrderByDescending(r => r.Count).ToList();
            if (reasons.Count > 0)
            {
                console.WriteLine("Skipped:");
                foreach (var (reason, count) in reasons) console.WriteLine($"  {count,6}  {reason}");
                var samples = summaries.SelectMany(s => s.SkippedSamples).ToList();
                console.WriteLine(samples.Count > 10 ? "The first 10 (--json has more):" : "Each:");
                foreach (var sample in samples.Take(10)) console.WriteLine($"  {sample.SourceId}: {sample.Reason}");
            }
            console.WriteLine($"Imported into feed '{summaries[0].Feed}'.");
            return ExitCodes.Ok;
        });
        return command;
    }

    /// <summary>The files to send: the file itself, or for a MISP feed folder the event files its manifest lists.</summary>
    private static List<string> Documents(string path, string kind)
    {
        if (File.Exists(path)) return [path];
        if (!Directory.Exists(path)) throw new CliException(ExitCodes.Usage, $"No such file or folder: {path}");
        if (kind != "misp") throw new CliException(ExitCodes.Usage, "A folder can only be imported with --format misp (a MISP feed with manifest.json).");
        var manifestPath = Path.Combine(path, "manifest.json");
        if (!File.Exists(manifestPath)) throw new CliException(ExitCodes.Usage, $"{path} has no manifest.json: it is not a MISP feed folder.");
        IReadOnlyList<MispManifestEntry> manifest;
        try
        {
            manifest = MispReader.ReadManifest(File.ReadAllBytes(manifestPath));
        }
        catch (FeedFormatException e)
        {
            throw new CliException(ExitCodes.Usage, $"{manifestPath}: {e.Message}");
        }
        var files = manifest.Select(e => Path.Combine(path, e.Uuid + ".json")).ToList();
        var missing = files.Where(f => !File.Exists(f)).ToList();
        if (missing.Count > 0) throw new CliException(ExitCodes.Usage, $"The manifest lists event files that are missing: {string.Join(", ", missing.Take(5).Select(Path.GetFileName))}.");
        if (files.Count == 0) throw new CliException(ExitCodes.Usage, "The manifest lists no events.");
        return files;
    }

    private static Command Feeds(Connection connection, CommandCatalog catalog)
    {
        var command = catalog.Create("feeds", "List the threat-intelligence feeds: kind, last poll and its status or error, indicator counts.",
            "firebreak intel feeds", "firebreak intel feeds --json");
        var json = IncidentCommands.JsonOption();
        command.Add(json);
        command.SetAction(async (parseResult, cancellationToken) =>
        {
            using var client = connection.Open(parseResult);
            var response = await client.GetAsync("api/v1/intel/feeds", cancellationToken);
            if (parseResult.GetValue(json)) return connection.PrintJson(response);
            var feeds = response.Read<List<FeedView>>();
            var console = connection.Context.Console;
            if (feeds.Count == 0)
            {
                console.WriteLine("No feeds yet. Import one with 'firebreak intel import FILE --format stix --feed NAME'.");
                return ExitCodes.Ok;
            }
            var table = new Table().Border(TableBorder.Rounded).AddColumns("Name", "Kind", "Status", "Last poll (UTC)", "Active", "Indicators", "Last error");
            foreach (var f in feeds)
            {
                table.AddRow(new Text(f.Name), new Text(IncidentCommands.Name(f.Kind)), new Text(IncidentCommands.Name(f.LastStatus) + (f.Enabled ? "" : " (disabled)")),
                    new Text(f.LastPolledAt?.UtcDateTime.ToString("yyyy-MM-dd HH:mm", CultureInfo.InvariantCulture) ?? "-"),
                    new Text(Number(f.ActiveIndicatorCount)), new Text(Number(f.IndicatorCount)), new Text(f.LastError ?? ""));
            }
            console.Write(table);
            return ExitCodes.Ok;
        });
        return command;
    }

    private static Command Poll(Connection connection, CommandCatalog catalog)
    {
        var command = catalog.Create("poll", "Poll a TAXII or MISP feed now, and show what it brought. Exit 1 when the poll failed (the reason is printed and kept on the feed).",
            "firebreak intel poll Partner", "firebreak intel poll 0193a1f2-7c4e-7b1a-9c1d-2e3f4a5b6c7d --json");
        var feed = new Argument<string>("feed") { Description = "Feed name or id." };
        var json = IncidentCommands.JsonOption();
        command.Add(feed);
        command.Add(json);
        command.SetAction(async (parseResult, cancellationToken) =>
        {
            using var client = connection.Open(parseResult, TimeSpan.FromMinutes(10));
            var response = await client.PostAsync($"api/v1/intel/feeds/{Uri.EscapeDataString(parseResult.GetValue(feed)!)}/poll", new { }, cancellationToken);
            var result = response.Read<PollResult>();
            if (parseResult.GetValue(json)) connection.PrintJson(response);
            else if (result.Error is { } error) connection.Context.WriteError($"Polling '{result.Feed.Name}' failed: {error}");
            else
            {
                var s = result.Summary!;
                connection.Context.Console.WriteLine(
                    $"Polled '{result.Feed.Name}': {s.ObjectsRead} read, {s.Added} added, {s.Updated} updated, {s.Unchanged} unchanged, {s.Skipped} skipped; {result.Feed.ActiveIndicatorCount} active indicators.");
            }
            return result.Error is null ? ExitCodes.Ok : ExitCodes.Refused;
        });
        return command;
    }

    private static string Number(int n) => n.ToString("N0", CultureInfo.InvariantCulture);
}
