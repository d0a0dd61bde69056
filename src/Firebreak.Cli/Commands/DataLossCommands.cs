using System.CommandLine;
using System.Globalization;
using Firebreak.Cli.Client;
using Firebreak.Core.Assets;
using Firebreak.Core.DataLoss;
using Spectre.Console;
using static Firebreak.Cli.Commands.IncidentCommands;

namespace Firebreak.Cli.Commands;

/// <summary>The data-loss extent of an incident, and the tenant's asset register it reads classifications from.</summary>
internal static class DataLossCommands
{
    public static Command DataLoss(Connection connection, CommandCatalog catalog)
    {
        var command = catalog.Create("data-loss",
            "Show the incident's latest data-loss assessment: each resource read, shared, exposed or exported, by whom, how much, for how long, " +
            "how sure, and the notification clocks personal data started. With --run, assess it now from the incident's events and record the result.",
            "firebreak incident data-loss INC-2026-0042",
            "firebreak incident data-loss INC-2026-0042 --run",
            "firebreak incident data-loss INC-2026-0042 --json | jq '.resources[] | select(.lowerBound)'");
        var reference = CliArguments.Incident();
        var run = new Option<bool>("--run") { Description = "Assess now (responder or above) and record the assessment, instead of showing the latest." };
        var json = JsonOption();
        command.Add(reference);
        command.Add(run);
        command.Add(json);
        command.SetAction(async (parseResult, cancellationToken) =>
        {
            var key = Uri.EscapeDataString(parseResult.GetValue(reference)!);
            using var client = connection.Open(parseResult, TimeSpan.FromMinutes(10));
            ApiResponse? response;
            if (parseResult.GetValue(run))
            {
                response = await client.PostAsync($"api/v1/incidents/{key}/data-loss", new { }, cancellationToken);
            }
            else
            {
                // The incident first, so a wrong reference says so rather than "not assessed".
                await client.GetAsync($"api/v1/incidents/{key}", cancellationToken);
                response = await client.GetOptionalAsync($"api/v1/incidents/{key}/data-loss", cancellationToken);
                if (response is null)
                {
                    if (parseResult.GetValue(json)) connection.Context.Console.WriteLine("null");
                    else connection.Context.Console.WriteLine($"Not assessed yet. Run: firebreak incident data-loss {parseResult.GetValue(reference)} --run");
                    return ExitCodes.Ok;
                }
            }
            if (parseResult.GetValue(json)) return connection.PrintJson(response);
            Write(connection.Context.Console, response.Read<DataLossView>());
            return ExitCodes.Ok;
        });
        return command;
    }

    private static void Write(IAnsiConsole console, DataLossView view)
    {
        console.MarkupLineInterpolated($"[bold]Data-loss extent of {view.Incident}[/], assessed {Time(view.AssessedAt)} UTC by {view.AssessedBy} ({view.EventsMatched:N0} events matched).");
        console.WriteLine(view.Statement);
        if (view.Resources.Count > 0)
        {
            var table = new Table().Border(TableBorder.Rounded)
                .AddColumns("Resource", "Classification", "What", "Accessed by", "Amount", "Window (UTC)", "Confidence");
            foreach (var r in view.Resources)
            {
                table.AddRow(
                    new Text(r.Resource),
                    new Text(r.Classification is { } c ? Name(c) + (r.PersonalData ? ", personal data" : "") : "not classified"),
                    new Text(string.Join(", ", r.Categories.Select(DataLossText.Category))),
                    new Text(DataLossText.Accessors(r)),
                    new Text(DataLossText.Amount(r) + (r.LowerBound ? " (lower bound)" : "")),
                    new Text(DataLossText.Window(r.Window)),
                    new Text(DataLossText.Confidence(r.Confidence)));
            }
            console.Write(table);
        }
        foreach (var clock in view.Clocks)
        {
            var left = DataLossText.Left(clock.SecondsLeft);
            console.MarkupLineInterpolated($"[bold]{clock.Regime}[/]: notify {clock.Authority} by {Time(clock.Deadline)} UTC (clock started {Time(clock.Start)} UTC; {left}).");
        }
        foreach (var gap in view.Gaps)
            console.MarkupLineInterpolated($"[yellow]Data gap:[/] {gap.LogSource}: {gap.Reason}");
        if (view.Truncated) console.MarkupLine("[yellow]The assessment hit a limit and is incomplete.[/]");
    }

    public static Command Assets(CliContext context, CommandCatalog catalog)
    {
        var asset = catalog.Create("asset",
            "Keep the tenant's asset register: what data a resource holds (classification, personal data, regulations), which the data-loss extent reads. " +
            $"Changes need the incident-manager role. Authenticate with {KeyVariable}.",
            "firebreak asset list",
            "firebreak asset add 'arn:aws:s3:::payroll-*' --name Payroll --classification restricted --personal-data --regulation gdpr");
        var connection = new Connection(context);
        asset.Add(connection.Server);
        asset.Add(connection.ApiKey);
        asset.Add(ListAssets(connection, catalog));
        asset.Add(AddAsset(connection, catalog));
        asset.Add(RemoveAsset(connection, catalog));
        return asset;
    }

    private static Command ListAssets(Connection connection, CommandCatalog catalog)
    {
        var command = catalog.Create("list", "List the asset register.", "firebreak asset list", "firebreak asset list --json");
        var json = JsonOption();
        command.Add(json);
        command.SetAction(async (parseResult, cancellationToken) =>
        {
            using var client = connection.Open(parseResult);
            var response = await client.GetAsync("api/v1/assets", cancellationToken);
            if (parseResult.GetValue(json)) return connection.PrintJson(response);
            var assets = response.Read<List<AssetView>>();
            var console = connection.Context.Console;
            if (assets.Count == 0)
            {
                console.WriteLine("The asset register is empty.");
                return ExitCodes.Ok;
            }
            var table = new Table().Border(TableBorder.Rounded).AddColumns("Pattern", "Name", "Classification", "Personal data", "Regulations", "Owner", "Id");
            foreach (var a in assets)
            {
                table.AddRow(new Text(a.Pattern), new Text(a.Name), new Text(Name(a.Classification)), new Text(a.PersonalData ? "yes" : "no"),
                    new Text(a.Regulations.Count == 0 ? "-" : string.Join(", ", a.Regulations)), new Text(a.Owner ?? "-"), new Text(a.Id.ToString()));
            }
            console.Write(table);
            return ExitCodes.Ok;
        });
        return command;
    }

    private static Command AddAsset(Connection connection, CommandCatalog catalog)
    {
        var command = catalog.Create("add",
            "Add a register entry for a resource identifier (ARN, GCP resource name, Azure resource id), exact or with * wildcards. " +
            "An exact entry wins over a wildcard one; among wildcards the most specific wins.",
            "firebreak asset add 'arn:aws:s3:::payroll-exports' --name 'Payroll exports' --classification restricted --personal-data --regulation gdpr --owner hr-it",
            "firebreak asset add 'projects/*/secrets/*' --name 'GCP secrets' --classification confidential");
        var pattern = new Argument<string>("pattern") { Description = "The resource identifier, exact or with * wildcards." };
        var name = new Option<string>("--name") { Description = "A name people recognise.", HelpName = "TEXT", Required = true };
        var classification = EnumOption<DataClassification>("--classification", "How sensitive the data is");
        classification.Required = true;
        var personal = new Option<bool>("--personal-data") { Description = "The resource holds personal data (starts the GDPR clock by default)." };
        var regulations = new Option<string[]>("--regulation") { Description = "A regime that applies (gdpr, uk-gdpr, nis2, hipaa, pci-dss); repeat for more.", HelpName = "NAME", AllowMultipleArgumentsPerToken = false };
        var owner = new Option<string?>("--owner") { Description = "Who owns the data.", HelpName = "TEXT" };
        var json = JsonOption();
        command.Add(pattern);
        foreach (var option in new Option[] { name, classification, personal, regulations, owner, json }) command.Add(option);
        command.SetAction(async (parseResult, cancellationToken) =>
        {
            using var client = connection.Open(parseResult);
            var response = await client.PostAsync("api/v1/assets", new
            {
                pattern = parseResult.GetValue(pattern),
                name = parseResult.GetValue(name),
                classification = parseResult.GetValue(classification),
                personalData = parseResult.GetValue(personal),
                regulations = parseResult.GetValue(regulations) ?? [],
                owner = parseResult.GetValue(owner),
            }, cancellationToken);
            if (parseResult.GetValue(json)) return connection.PrintJson(response);
            var added = response.Read<AssetView>();
            connection.Context.Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"Added {added.Pattern} ({Name(added.Classification)}) as {added.Id}."));
            return ExitCodes.Ok;
        });
        return command;
    }

    private static Command RemoveAsset(Connection connection, CommandCatalog catalog)
    {
        var command = catalog.Create("remove", "Remove a register entry, by its id or its exact pattern.",
            "firebreak asset remove 0193a1b2-...", "firebreak asset remove 'arn:aws:s3:::payroll-*'");
        var target = new Argument<string>("asset") { Description = "The entry's id, or its pattern exactly as listed." };
        command.Add(target);
        command.SetAction(async (parseResult, cancellationToken) =>
        {
            var given = parseResult.GetValue(target)!.Trim();
            using var client = connection.Open(parseResult);
            var assets = (await client.GetAsync("api/v1/assets", cancellationToken)).Read<List<AssetView>>();
            var match = assets.FirstOrDefault(a => Guid.TryParse(given, out var id) ? a.Id == id : a.Pattern == given)
                ?? throw new CliException(ExitCodes.Refused, $"No asset register entry is {given}.");
            await client.DeleteAsync($"api/v1/assets/{match.Id}", match.Version, cancellationToken);
            connection.Context.Console.WriteLine($"Removed {match.Pattern}.");
            return ExitCodes.Ok;
        });
        return command;
    }
}
