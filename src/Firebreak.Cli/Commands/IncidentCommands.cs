using System.CommandLine;
using System.Globalization;
using System.Reflection;
using System.Text.Json.Serialization;
using Firebreak.Cli.Client;
using Firebreak.Core.Common;
using Firebreak.Core.Incidents;
using Firebreak.Server.Hosting;
using Spectre.Console;

namespace Firebreak.Cli.Commands;

/// <summary>Client commands: they talk to a running server over its HTTP API with an API key.</summary>
internal static class IncidentCommands
{
    public const string UrlVariable = "FIREBREAK_URL";
    public const string KeyVariable = "FIREBREAK_API_KEY";

    public static Command Create(CliContext context, CommandCatalog catalog)
    {
        var incident = catalog.Create("incident",
            $"Work with incidents on a Firebreak server through its API. Authenticate with an API key in {KeyVariable} (preferred) or --api-key.",
            $"export {KeyVariable}=fbk_...; firebreak incident list --phase containment");
        var connection = new Connection(context);
        incident.Add(connection.Server);
        incident.Add(connection.ApiKey);
        incident.Add(List(connection, catalog));
        incident.Add(Show(connection, catalog));
        incident.Add(CreateIncident(connection, catalog));
        incident.Add(Transition(connection, catalog));
        incident.Add(PostMortemCommands.Review(connection, catalog));
        incident.Add(PostMortemCommands.FollowUps(connection, catalog));
        incident.Add(InvestigationCommands.Timeline(connection, catalog));
        incident.Add(InvestigationCommands.Events(connection, catalog));
        incident.Add(DataLossCommands.DataLoss(connection, catalog));
        incident.Add(ManagementPlaneCommands.Check(connection, catalog));
        incident.Add(ScopeCommands.Scope(connection, catalog));
        return incident;
    }

    private static Command List(Connection connection, CommandCatalog catalog)
    {
        var command = catalog.Create("list", "List incidents, newest first unless --sort says otherwise.",
            "firebreak incident list",
            "firebreak incident list --phase containment --severity SEV1 --sort -severity",
            "firebreak incident list --q bucket --json | jq '.items[].reference'");
        var phase = EnumOption<Phase>("--phase", "Only incidents in this phase");
        var severity = EnumOption<Severity>("--severity", "Only incidents of this severity");
        var status = EnumOption<IncidentStatus>("--status", "Only incidents with this status");
        var tag = new Option<string?>("--tag") { Description = "Only incidents with this tag.", HelpName = "TAG" };
        var text = new Option<string?>("--q") { Description = "Text to look for in the title and summary.", HelpName = "TEXT" };
        var sort = new Option<string?>("--sort") { Description = "Sort key, '-' prefix for descending (e.g. -severity, created).", HelpName = "KEY" };
        var page = new Option<int?>("--page") { Description = "Page number, from 1.", HelpName = "N" };
        var pageSize = new Option<int?>("--page-size") { Description = $"Incidents per page (1-{Paging.MaxPageSize}, default {Paging.DefaultPageSize}).", HelpName = "N" };
        var json = JsonOption();
        foreach (var option in new Option[] { phase, severity, status, tag, text, sort, page, pageSize, json }) command.Add(option);
        command.SetAction(async (parseResult, cancellationToken) =>
        {
            var query = Query(
                ("phase", parseResult.GetValue(phase)), ("severity", parseResult.GetValue(severity)), ("status", parseResult.GetValue(status)),
                ("tag", parseResult.GetValue(tag)), ("q", parseResult.GetValue(text)), ("sort", parseResult.GetValue(sort)),
                ("page", parseResult.GetValue(page)?.ToString(CultureInfo.InvariantCulture)),
                ("pageSize", parseResult.GetValue(pageSize)?.ToString(CultureInfo.InvariantCulture)));
            using var client = connection.Open(parseResult);
            var response = await client.GetAsync("api/v1/incidents" + query, cancellationToken);
            if (parseResult.GetValue(json)) return connection.PrintJson(response);

            var result = response.Read<PagedResult<IncidentSummary>>();
            var console = connection.Context.Console;
            if (result.Items.Count == 0)
            {
                console.WriteLine(result.Total == 0 ? "No incidents match." : $"No incidents on page {result.Page} ({result.Total} match in all).");
                return ExitCodes.Ok;
            }
            var table = new Table().Border(TableBorder.Rounded)
                .AddColumns("Reference", "Severity", "Phase", "Status", "Title", "Manager", "Updated (UTC)");
            foreach (var i in result.Items)
            {
                table.AddRow(
                    new Text(i.Reference),
                    new Markup(SeverityMarkup(i.Severity)),
                    new Text(i.Phase.Display()),
                    new Text(Name(i.Status)),
                    new Text(i.Title),
                    new Text(i.IncidentManager?.DisplayName ?? "-"),
                    new Text(Time(i.UpdatedAt)));
            }
            console.Write(table);
            var pages = Math.Max(1, (int)Math.Ceiling(result.Total / (double)result.PageSize));
            console.WriteLine($"Page {result.Page} of {pages}; {result.Total} incident(s) match.");
            return ExitCodes.Ok;
        });
        return command;
    }

    private static Command Show(Connection connection, CommandCatalog catalog)
    {
        var command = catalog.Create("show", "Show one incident by its reference (e.g. INC-2026-0042) or id.",
            "firebreak incident show INC-2026-0042",
            "firebreak incident show INC-2026-0042 --json");
        var reference = CliArguments.Incident();
        var json = JsonOption();
        command.Add(reference);
        command.Add(json);
        command.SetAction(async (parseResult, cancellationToken) =>
        {
            using var client = connection.Open(parseResult);
            var response = await client.GetAsync("api/v1/incidents/" + Uri.EscapeDataString(parseResult.GetValue(reference)!), cancellationToken);
            if (parseResult.GetValue(json)) return connection.PrintJson(response);
            WriteDetails(connection.Context.Console, response.Read<IncidentDetails>());
            return ExitCodes.Ok;
        });
        return command;
    }

    private static Command CreateIncident(Connection connection, CommandCatalog catalog)
    {
        var command = catalog.Create("create", "Declare a new incident. It starts in detection-and-analysis.",
            "firebreak incident create --title \"Access keys used from unknown ASN\" --severity SEV2 --category compromised-credentials --tag aws --tag iam",
            "firebreak incident create --title \"Public S3 bucket\" --tlp red --json");
        var title = new Option<string>("--title") { Description = "Short title.", Required = true, HelpName = "TEXT" };
        var summary = new Option<string?>("--summary") { Description = "What is known so far.", HelpName = "TEXT" };
        var severity = EnumOption<Severity>("--severity", "Severity (server default SEV3)");
        var tlp = EnumOption<Tlp>("--tlp", "Traffic Light Protocol label (server default amber)");
        var category = EnumOption<IncidentCategory>("--category", "Category (server default other)");
        var tags = new Option<string[]>("--tag") { Description = "A tag; repeat for several.", HelpName = "TAG", Arity = ArgumentArity.OneOrMore };
        var json = JsonOption();
        foreach (var option in new Option[] { title, summary, severity, tlp, category, tags, json }) command.Add(option);
        command.SetAction(async (parseResult, cancellationToken) =>
        {
            // Only what the user gave: the server owns the defaults.
            var body = new Dictionary<string, object?> { ["title"] = parseResult.GetValue(title) };
            if (parseResult.GetValue(summary) is { } s) body["summary"] = s;
            if (parseResult.GetValue(severity) is { } sev) body["severity"] = sev;
            if (parseResult.GetValue(tlp) is { } t) body["tlp"] = t;
            if (parseResult.GetValue(category) is { } c) body["category"] = c;
            if (parseResult.GetValue(tags) is { Length: > 0 } tagList) body["tags"] = tagList;
            using var client = connection.Open(parseResult);
            var response = await client.PostAsync("api/v1/incidents", body, cancellationToken);
            if (parseResult.GetValue(json)) return connection.PrintJson(response);
            var created = response.Read<IncidentDetails>();
            connection.Context.Console.MarkupLine($"Created [bold]{Markup.Escape(created.Reference)}[/].");
            WriteDetails(connection.Context.Console, created);
            return ExitCodes.Ok;
        });
        return command;
    }

    private static Command Transition(Connection connection, CommandCatalog catalog)
    {
        var command = catalog.Create("transition",
            "Move an incident to another phase, with a reason for the record. Containment and later need an incident manager assigned; moving back needs an incident manager's role.",
            "firebreak incident transition INC-2026-0042 --to containment --reason \"Keys confirmed abused; isolating role\"");
        var reference = CliArguments.Incident();
        var to = EnumOption<Phase>("--to", "The phase to move to");
        to.Required = true;
        var reason = new Option<string>("--reason") { Description = "Why; kept in the incident's history.", Required = true, HelpName = "TEXT" };
        var json = JsonOption();
        command.Add(reference);
        command.Add(to);
        command.Add(reason);
        command.Add(json);
        command.SetAction(async (parseResult, cancellationToken) =>
        {
            using var client = connection.Open(parseResult);
            var key = Uri.EscapeDataString(parseResult.GetValue(reference)!);
            var response = await client.PostAsync($"api/v1/incidents/{key}/transitions",
                new { to = parseResult.GetValue(to), reason = parseResult.GetValue(reason) }, cancellationToken);
            if (parseResult.GetValue(json)) return connection.PrintJson(response);
            var updated = response.Read<IncidentDetails>();
            connection.Context.Console.MarkupLine($"[bold]{Markup.Escape(updated.Reference)}[/] is now in {Markup.Escape(updated.Phase.Display())}.");
            return ExitCodes.Ok;
        });
        return command;
    }

    private static void WriteDetails(IAnsiConsole console, IncidentDetails i)
    {
        var grid = new Grid().AddColumn(new GridColumn().NoWrap()).AddColumn();
        void Row(string label, string value) => grid.AddRow(new Text(label), new Text(value));
        grid.AddRow(new Text("Reference"), new Markup($"[bold]{Markup.Escape(i.Reference)}[/]"));
        Row("Title", i.Title);
        grid.AddRow(new Text("Severity"), new Markup(SeverityMarkup(i.Severity)));
        Row("Phase", i.Phase.Display());
        Row("Status", Name(i.Status) + (i.StatusReason is { } r ? $" ({r})" : ""));
        Row("Category", Name(i.Category));
        Row("TLP / PAP", $"{Name(i.Tlp)} / {Name(i.Pap)}");
        Row("Tags", i.Tags.Count == 0 ? "-" : string.Join(", ", i.Tags));
        Row("Manager", i.IncidentManager is { } m ? $"{m.DisplayName} <{m.Email}>" : "- (none assigned)");
        Row("Comms lead", i.CommunicationsLead is { } c ? $"{c.DisplayName} <{c.Email}>" : "-");
        Row("Detected", Time(i.Milestones.Detected));
        Row("Created", Time(i.CreatedAt));
        Row("Updated", Time(i.UpdatedAt));
        Row("Id", i.Id.ToString());
        console.Write(grid);
        if (!string.IsNullOrWhiteSpace(i.Summary))
        {
            console.WriteLine();
            console.WriteLine(i.Summary);
        }
    }

    private static string SeverityMarkup(Severity severity) => severity switch
    {
        Severity.Sev1 => "[bold red]SEV1[/]",
        Severity.Sev2 => "[red]SEV2[/]",
        Severity.Sev3 => "[yellow]SEV3[/]",
        _ => Name(severity),
    };

    internal static string Time(DateTimeOffset at) => at.UtcDateTime.ToString("yyyy-MM-dd HH:mm", CultureInfo.InvariantCulture);

    /// <summary>The API's name for an enum value ("detection-and-analysis", "SEV2"), which is also what the options accept.</summary>
    internal static string Name<T>(T value) where T : struct, Enum =>
        typeof(T).GetField(value.ToString())?.GetCustomAttribute<JsonStringEnumMemberNameAttribute>()?.Name ?? value.ToString();

    private static string[] Names<T>() where T : struct, Enum => [.. Enum.GetValues<T>().Select(Name)];

    /// <summary>Checked here, so a typo fails with the list of valid values before any request is sent.</summary>
    internal static Option<string?> EnumOption<T>(string name, string description) where T : struct, Enum
    {
        var values = Names<T>();
        return new Option<string?>(name)
        {
            Description = $"{description}: {string.Join(", ", values)}.",
            HelpName = name.TrimStart('-').ToUpperInvariant(),
            // Case-insensitive, but sent in the API's spelling.
            CustomParser = result =>
            {
                var text = result.Tokens.Single().Value;
                var match = values.FirstOrDefault(v => string.Equals(v, text.Trim(), StringComparison.OrdinalIgnoreCase));
                if (match is null) result.AddError($"{name}: '{text}' is not valid. Use one of: {string.Join(", ", values)}.");
                return match;
            },
        };
    }

    internal static Option<bool> JsonOption() => new("--json") { Description = "Print the API's JSON instead of a table." };

    internal static string Query(params (string Name, string? Value)[] parameters)
    {
        var given = parameters.Where(p => !string.IsNullOrWhiteSpace(p.Value)).Select(p => $"{p.Name}={Uri.EscapeDataString(p.Value!)}").ToList();
        return given.Count == 0 ? "" : "?" + string.Join('&', given);
    }
}
