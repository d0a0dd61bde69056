using System.CommandLine;
using System.Globalization;
using Firebreak.Cli.Client;
using Firebreak.Core.Common;
using Firebreak.Core.Incidents;
using Firebreak.Core.Indicators;
using Spectre.Console;

namespace Firebreak.Cli.Commands;

/// <summary>The indicators (observables) of incidents, and where else the tenant has seen them, over the server's HTTP API.</summary>
internal static class IndicatorCommands
{
    public static Command Create(CliContext context, CommandCatalog catalog)
    {
        var indicator = catalog.Create("indicator",
            $"List, add and search the indicators of incidents: IP addresses, CIDRs, domains, URLs, hashes, e-mail addresses, user agents, access key ids, resources and account ids. Authenticate with an API key in {IncidentCommands.KeyVariable} (preferred) or --api-key.",
            "firebreak indicator add INC-2026-0042 --type ip --value 203.0.113.9 --description \"Console login from Tor\"");
        var connection = new Connection(context);
        indicator.Add(connection.Server);
        indicator.Add(connection.ApiKey);
        indicator.Add(List(connection, catalog));
        indicator.Add(Add(connection, catalog));
        indicator.Add(Search(connection, catalog));
        return indicator;
    }

    private static Command List(Connection connection, CommandCatalog catalog)
    {
        var command = catalog.Create("list", "List an incident's indicators with their markings, verdict, sightings and the other incidents they were seen in.",
            "firebreak indicator list INC-2026-0042",
            "firebreak indicator list INC-2026-0042 --type ip --json | jq -r '.items[].value'");
        var incident = CliArguments.Incident("incident");
        var type = IncidentCommands.EnumOption<IndicatorType>("--type", "Only this type");
        var verdict = IncidentCommands.EnumOption<IndicatorVerdict>("--verdict", "Only this verdict");
        var all = new Option<bool>("--all") { Description = "Every page, not only the first 200 indicators." };
        var json = IncidentCommands.JsonOption();
        command.Add(incident);
        foreach (var option in new Option[] { type, verdict, all, json }) command.Add(option);
        command.SetAction(async (parseResult, cancellationToken) =>
        {
            using var client = connection.Open(parseResult);
            var key = Uri.EscapeDataString(parseResult.GetValue(incident)!);
            var items = new List<IndicatorView>();
            for (var page = 1; ; page++)
            {
                var query = IncidentCommands.Query(("type", parseResult.GetValue(type)), ("verdict", parseResult.GetValue(verdict)),
                    ("page", page.ToString(CultureInfo.InvariantCulture)), ("pageSize", Paging.MaxPageSize.ToString(CultureInfo.InvariantCulture)));
                var response = await client.GetAsync($"api/v1/incidents/{key}/indicators{query}", cancellationToken);
                if (parseResult.GetValue(json) && !parseResult.GetValue(all)) return connection.PrintJson(response);
                var result = response.Read<PagedResult<IndicatorView>>();
                items.AddRange(result.Items);
                if (!parseResult.GetValue(all) || page * result.PageSize >= result.Total) break;
            }
            var console = connection.Context.Console;
            if (parseResult.GetValue(json))
            {
                console.WriteLine(System.Text.Json.JsonSerializer.Serialize(items, FirebreakClient.Json));
                return ExitCodes.Ok;
            }
            if (items.Count == 0)
            {
                console.WriteLine("No indicators.");
                return ExitCodes.Ok;
            }
            var table = new Table().Border(TableBorder.Rounded).AddColumns("Type", "Value", "TLP", "PAP", "Verdict", "Seen", "Last seen (UTC)", "Also seen in", "Enrichment");
            foreach (var i in items)
            {
                table.AddRow(new Text(IncidentCommands.Name(i.Type)), new Text(Cut(i.Value, 80)), new Text(IncidentCommands.Name(i.Tlp)), new Text(IncidentCommands.Name(i.Pap)),
                    new Text(IncidentCommands.Name(i.Verdict)), new Text(i.Sightings.ToString("N0", CultureInfo.InvariantCulture)),
                    new Text(i.LastSeen is { } last ? IncidentCommands.Time(last) : "-"),
                    new Text(i.AlsoSeenInCount == 0 ? "-" : string.Join(", ", i.AlsoSeenIn.Select(s => s.Incident)) + (i.AlsoSeenInCount > i.AlsoSeenIn.Count ? $" (+{i.AlsoSeenInCount - i.AlsoSeenIn.Count})" : "")),
                    new Text(string.Join("; ", i.Enrichments.Select(e => e.Succeeded ? e.Summary : $"{e.Enricher} failed"))));
            }
            console.Write(table);
            console.WriteLine($"{items.Count} indicator(s).");
            return ExitCodes.Ok;
        });
        return command;
    }

    private static Command Add(Connection connection, CommandCatalog catalog)
    {
        var command = catalog.Create("add",
            "Add an indicator to an incident. The value is checked and normalised for its type (here and again by the server); TLP and PAP default to the incident's.",
            "firebreak indicator add INC-2026-0042 --type ip --value 203.0.113.9 --description \"Console login from Tor\"",
            "firebreak indicator add INC-2026-0042 --type domain --value evil.example --tlp red --pap amber --verdict malicious --tag c2");
        var incident = CliArguments.Incident("incident");
        var type = IncidentCommands.EnumOption<IndicatorType>("--type", "The indicator's type");
        type.Required = true;
        var value = new Option<string>("--value") { Description = "The value; normalised for its type (lower-case domains, canonical IP addresses).", Required = true, HelpName = "VALUE" };
        var tlp = IncidentCommands.EnumOption<Tlp>("--tlp", "Traffic Light Protocol label (default: the incident's)");
        var pap = IncidentCommands.EnumOption<Pap>("--pap", "Permissible Actions Protocol label (default: the incident's)");
        var verdict = IncidentCommands.EnumOption<IndicatorVerdict>("--verdict", "What it is (default unknown)");
        var description = new Option<string?>("--description") { Description = "What it is and why it matters.", HelpName = "TEXT" };
        var tags = new Option<string[]>("--tag") { Description = "A tag; repeat for several.", HelpName = "TAG", Arity = ArgumentArity.OneOrMore };
        var json = IncidentCommands.JsonOption();
        command.Add(incident);
        foreach (var option in new Option[] { type, value, tlp, pap, verdict, description, tags, json }) command.Add(option);
        command.SetAction(async (parseResult, cancellationToken) =>
        {
            var typeName = parseResult.GetValue(type)!;
            var parsedType = Enum.GetValues<IndicatorType>().Single(t => IncidentCommands.Name(t) == typeName);
            // Checked before anything is sent, with the same rules the server applies.
            if (!IndicatorValue.TryParse(parsedType, parseResult.GetValue(value), out var normalised, out var error))
                throw new CliException(ExitCodes.Usage, $"--value {error}");
            var body = new Dictionary<string, object?> { ["type"] = typeName, ["value"] = normalised.Value };
            if (parseResult.GetValue(tlp) is { } t) body["tlp"] = t;
            if (parseResult.GetValue(pap) is { } p) body["pap"] = p;
            if (parseResult.GetValue(verdict) is { } v) body["verdict"] = v;
            if (parseResult.GetValue(description) is { } d) body["description"] = d;
            if (parseResult.GetValue(tags) is { Length: > 0 } tagList) body["tags"] = tagList;
            using var client = connection.Open(parseResult);
            var response = await client.PostAsync($"api/v1/incidents/{Uri.EscapeDataString(parseResult.GetValue(incident)!)}/indicators", body, cancellationToken);
            if (parseResult.GetValue(json)) return connection.PrintJson(response);
            var added = response.Read<IndicatorView>();
            var console = connection.Context.Console;
            console.MarkupLine($"Added [bold]{Markup.Escape(normalised.ToString())}[/] to {Markup.Escape(added.Incident)} (TLP:{Markup.Escape(IncidentCommands.Name(added.Tlp).ToUpperInvariant())}, PAP:{Markup.Escape(IncidentCommands.Name(added.Pap).ToUpperInvariant())}).");
            if (added.AlsoSeenInCount > 0) console.MarkupLine($"Also seen in {Markup.Escape(string.Join(", ", added.AlsoSeenIn.Select(s => s.Incident)))}.");
            foreach (var e in added.Enrichments)
                console.MarkupLine(e.Succeeded ? $"{Markup.Escape(e.Enricher)}: {Markup.Escape(e.Summary)}" : $"[yellow]{Markup.Escape(e.Enricher)} failed:[/] {Markup.Escape(e.Error ?? "")}");
            return ExitCodes.Ok;
        });
        return command;
    }

    private static Command Search(Connection connection, CommandCatalog catalog)
    {
        var command = catalog.Create("search",
            "Find every incident of your tenant holding a value. Without --type the value is read as every type it is valid for. Exits 1 when nothing is found.",
            "firebreak indicator search 203.0.113.9",
            "firebreak indicator search AKIAIOSFODNN7EXAMPLE --type access-key-id --json");
        var value = new Argument<string>("value") { Description = "The value to look for." };
        var type = IncidentCommands.EnumOption<IndicatorType>("--type", "Read the value as this type only");
        var json = IncidentCommands.JsonOption();
        command.Add(value);
        command.Add(type);
        command.Add(json);
        command.SetAction(async (parseResult, cancellationToken) =>
        {
            using var client = connection.Open(parseResult);
            var query = IncidentCommands.Query(("value", parseResult.GetValue(value)), ("type", parseResult.GetValue(type)));
            var response = await client.GetAsync($"api/v1/indicators/search{query}", cancellationToken);
            var results = response.Read<List<IndicatorSearchResult>>();
            var found = results.Any(r => r.Incidents.Count > 0);
            if (parseResult.GetValue(json))
            {
                connection.PrintJson(response);
                return found ? ExitCodes.Ok : ExitCodes.Refused;
            }
            var console = connection.Context.Console;
            if (!found)
            {
                console.WriteLine("Not seen in any incident.");
                return ExitCodes.Refused;
            }
            var table = new Table().Border(TableBorder.Rounded).AddColumns("Incident", "Title", "Type", "Value", "Verdict", "Seen", "First seen (UTC)", "Last seen (UTC)");
            foreach (var result in results)
            {
                foreach (var s in result.Incidents)
                {
                    table.AddRow(new Text(s.Incident), new Text(Cut(s.Title, 60)), new Text(IncidentCommands.Name(result.Type)), new Text(Cut(result.Value, 60)),
                        new Text(IncidentCommands.Name(s.Verdict)), new Text(s.Sightings.ToString("N0", CultureInfo.InvariantCulture)),
                        new Text(s.FirstSeen is { } first ? IncidentCommands.Time(first) : "-"), new Text(s.LastSeen is { } last ? IncidentCommands.Time(last) : "-"));
                }
            }
            console.Write(table);
            console.WriteLine($"{results.Sum(r => r.Incidents.Count)} incident(s).");
            return ExitCodes.Ok;
        });
        return command;
    }

    private static string Cut(string text, int length) => text.Length <= length ? text : text[..(length - 1)] + "…";
}
