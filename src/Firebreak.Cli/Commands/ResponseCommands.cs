using System.CommandLine;
using Firebreak.Cli.Client;
using Firebreak.Core.Response;
using Spectre.Console;

namespace Firebreak.Cli.Commands;

/// <summary>firebreak respond: plan, approve, run, undo and follow response actions of an incident through the API.</summary>
internal static class ResponseCommands
{
    public static Command Create(CliContext context, CommandCatalog catalog)
    {
        var respond = catalog.Create("respond",
            "Plan and run containment actions on an incident's cloud resources. A plan is a dry run: it lists the API calls, the self-destruct risks and the undo before anything changes.",
            "firebreak respond plan INC-2026-0042 --action aws-isolate-instance --account 123456789012 --region eu-west-1 --resource i-0abc1234def567890 --criticality high --choice contain-accept-downtime --choice-reason \"web tier has two other nodes\" --reason \"miner on web-1\"",
            "firebreak respond status INC-2026-0042");
        var connection = new Connection(context);
        respond.Add(connection.Server);
        respond.Add(connection.ApiKey);
        respond.Add(Plan(connection, catalog));
        respond.Add(Approve(connection, catalog));
        respond.Add(Run(connection, catalog));
        respond.Add(Undo(connection, catalog));
        respond.Add(Replan(connection, catalog));
        respond.Add(Status(connection, catalog));
        return respond;
    }

    private static Argument<Guid> ActionId() => new("action-id") { Description = "The response action's id (from plan or status)." };

    private static Command Plan(Connection connection, CommandCatalog catalog)
    {
        var command = catalog.Create("plan", "Make a dry-run plan for one action on one resource. High-impact actions then wait for a second person's approval.",
            "firebreak respond plan INC-2026-0042 --action aws-snapshot-volumes --account 123456789012 --region eu-west-1 --resource i-0abc1234def567890 --criticality high --choice contain-accept-downtime --choice-reason \"evidence first\" --reason \"collect before isolating\"",
            "firebreak respond plan INC-2026-0042 --action aws-detach-from-asg --input replace=true ... --json");
        var incident = CliArguments.Incident();
        var action = new Option<string>("--action") { Description = "Catalogue action, e.g. aws-isolate-instance (see docs/response.md).", Required = true, HelpName = "NAME" };
        var account = new Option<string>("--account") { Description = "Cloud account id.", Required = true, HelpName = "ID" };
        var region = new Option<string>("--region") { Description = "Region, e.g. eu-west-1.", Required = true, HelpName = "REGION" };
        var resource = new Option<string>("--resource") { Description = "The resource: instance id, role or user name, access key id, bucket.", Required = true, HelpName = "ID" };
        var criticality = IncidentCommands.EnumOption<AssetCriticality>("--criticality", "How much the business depends on the asset");
        criticality.Required = true;
        var choice = IncidentCommands.EnumOption<ContainmentChoice>("--choice", "Data loss against availability");
        choice.Required = true;
        var choiceReason = new Option<string>("--choice-reason") { Description = "Why that choice.", Required = true, HelpName = "TEXT" };
        var reason = new Option<string>("--reason") { Description = "Why this action.", Required = true, HelpName = "TEXT" };
        var inputs = CliArguments.Inputs("An action");
        var json = IncidentCommands.JsonOption();
        command.Add(incident);
        foreach (var option in new Option[] { action, account, region, resource, criticality, choice, choiceReason, reason, inputs, json }) command.Add(option);
        command.SetAction(async (parseResult, cancellationToken) =>
        {
            var values = CliArguments.InputValues(parseResult, inputs);
            using var client = connection.Open(parseResult);
            var response = await client.PostAsync($"api/v1/incidents/{Uri.EscapeDataString(parseResult.GetValue(incident)!)}/actions", new
            {
                action = parseResult.GetValue(action),
                account = parseResult.GetValue(account),
                region = parseResult.GetValue(region),
                resource = parseResult.GetValue(resource),
                criticality = parseResult.GetValue(criticality),
                choice = parseResult.GetValue(choice),
                choiceReason = parseResult.GetValue(choiceReason),
                reason = parseResult.GetValue(reason),
                inputs = values,
            }, cancellationToken);
            if (parseResult.GetValue(json)) return connection.PrintJson(response);
            Write(connection.Context.Console, response.Read<ResponseActionView>());
            return ExitCodes.Ok;
        });
        return command;
    }

    private static Command Approve(Connection connection, CommandCatalog catalog)
    {
        var command = catalog.Create("approve", "Approve someone else's high-impact action (you cannot approve your own).",
            "firebreak respond approve INC-2026-0042 0199a1b2-... --comment \"agreed on the bridge\"");
        var incident = CliArguments.Incident();
        var id = ActionId();
        var comment = new Option<string?>("--comment") { Description = "Kept with the approval.", HelpName = "TEXT" };
        var json = IncidentCommands.JsonOption();
        command.Add(incident);
        command.Add(id);
        command.Add(comment);
        command.Add(json);
        command.SetAction(async (parseResult, cancellationToken) =>
        {
            using var client = connection.Open(parseResult);
            var response = await client.PostAsync($"{Path(parseResult, incident, id)}/approve", new { comment = parseResult.GetValue(comment) }, cancellationToken);
            if (parseResult.GetValue(json)) return connection.PrintJson(response);
            Write(connection.Context.Console, response.Read<ResponseActionView>());
            return ExitCodes.Ok;
        });
        return command;
    }

    private static Command Run(Connection connection, CommandCatalog catalog)
    {
        var command = catalog.Create("run", "Run a planned (or approved) action: the plan's calls in order, then a re-read of the state. Exits 1 unless every call succeeded.",
            "firebreak respond run INC-2026-0042 0199a1b2-...");
        var incident = CliArguments.Incident();
        var id = ActionId();
        var json = IncidentCommands.JsonOption();
        command.Add(incident);
        command.Add(id);
        command.Add(json);
        command.SetAction(async (parseResult, cancellationToken) =>
        {
            using var client = connection.Open(parseResult, TimeSpan.FromMinutes(10));
            var response = await connection.Context.WithStatusAsync("Running the action's calls",
                () => client.PostAsync($"{Path(parseResult, incident, id)}/run", new { }, cancellationToken));
            return Show(connection, response, parseResult.GetValue(json), ActionStatus.Succeeded);
        });
        return command;
    }

    private static Command Undo(Connection connection, CommandCatalog catalog)
    {
        var command = catalog.Create("undo", "Undo a run from its recorded undo data (for example put the previous security groups back).",
            "firebreak respond undo INC-2026-0042 0199a1b2-... --reason \"false positive\"");
        var incident = CliArguments.Incident();
        var id = ActionId();
        var reason = new Option<string>("--reason") { Description = "Why it is undone.", Required = true, HelpName = "TEXT" };
        var json = IncidentCommands.JsonOption();
        command.Add(incident);
        command.Add(id);
        command.Add(reason);
        command.Add(json);
        command.SetAction(async (parseResult, cancellationToken) =>
        {
            using var client = connection.Open(parseResult, TimeSpan.FromMinutes(10));
            var response = await client.PostAsync($"{Path(parseResult, incident, id)}/undo", new { reason = parseResult.GetValue(reason) }, cancellationToken);
            return Show(connection, response, parseResult.GetValue(json), ActionStatus.Undone);
        });
        return command;
    }

    private static Command Replan(Connection connection, CommandCatalog catalog)
    {
        var command = catalog.Create("replan",
            "Plan an interrupted or failed action again on the same resource with the same inputs, reading the state as it is now.",
            "firebreak respond replan INC-2026-0042 0199a1b2-...");
        var incident = CliArguments.Incident();
        var id = ActionId();
        var json = IncidentCommands.JsonOption();
        command.Add(incident);
        command.Add(id);
        command.Add(json);
        command.SetAction(async (parseResult, cancellationToken) =>
        {
            using var client = connection.Open(parseResult);
            var response = await client.PostAsync($"{Path(parseResult, incident, id)}/replan", new { }, cancellationToken);
            if (parseResult.GetValue(json)) return connection.PrintJson(response);
            Write(connection.Context.Console, response.Read<ResponseActionView>());
            return ExitCodes.Ok;
        });
        return command;
    }

    private static Command Status(Connection connection, CommandCatalog catalog)
    {
        var command = catalog.Create("status", "List an incident's response actions, or show one in full (plan, risks, results, verification).",
            "firebreak respond status INC-2026-0042",
            "firebreak respond status INC-2026-0042 0199a1b2-... --json");
        var incident = CliArguments.Incident();
        var id = new Argument<Guid?>("action-id") { Description = "Show this action in full.", Arity = ArgumentArity.ZeroOrOne };
        var json = IncidentCommands.JsonOption();
        command.Add(incident);
        command.Add(id);
        command.Add(json);
        command.SetAction(async (parseResult, cancellationToken) =>
        {
            using var client = connection.Open(parseResult);
            var key = Uri.EscapeDataString(parseResult.GetValue(incident)!);
            var console = connection.Context.Console;
            if (parseResult.GetValue(id) is { } one)
            {
                var response = await client.GetAsync($"api/v1/incidents/{key}/actions/{one}", cancellationToken);
                if (parseResult.GetValue(json)) return connection.PrintJson(response);
                Write(console, response.Read<ResponseActionView>());
                return ExitCodes.Ok;
            }
            var list = await client.GetAsync($"api/v1/incidents/{key}/actions", cancellationToken);
            if (parseResult.GetValue(json)) return connection.PrintJson(list);
            var actions = list.Read<List<ResponseActionView>>();
            if (actions.Count == 0)
            {
                console.WriteLine("No response actions on this incident.");
                return ExitCodes.Ok;
            }
            var table = new Table().Border(TableBorder.Rounded).AddColumns("Id", "Action", "Resource", "Status", "Requested by", "Approved by", "Requested (UTC)");
            foreach (var a in actions)
                table.AddRow(new Text(a.Id.ToString()), new Text(a.Action), new Text(a.Resource), new Text(IncidentCommands.Name(a.Status)),
                    new Text(a.RequestedBy), new Text(a.ApprovedBy ?? "-"), new Text(IncidentCommands.Time(a.RequestedAt)));
            console.Write(table);
            console.WriteLine($"{actions.Count} action(s).");
            return ExitCodes.Ok;
        });
        return command;
    }

    private static string Path(ParseResult parseResult, Argument<string> incident, Argument<Guid> id) =>
        $"api/v1/incidents/{Uri.EscapeDataString(parseResult.GetValue(incident)!)}/actions/{parseResult.GetValue(id)}";

    /// <summary>Prints the action (JSON or in full); exits 0 only when it reached the status the command aimed for.</summary>
    private static int Show(Connection connection, ApiResponse response, bool json, ActionStatus aimed)
    {
        var action = response.Read<ResponseActionView>();
        if (json) connection.PrintJson(response);
        else Write(connection.Context.Console, action);
        return action.Status == aimed ? ExitCodes.Ok : ExitCodes.Refused;
    }

    private static void Write(IAnsiConsole console, ResponseActionView a)
    {
        var grid = new Grid().AddColumn(new GridColumn().NoWrap()).AddColumn();
        void Row(string label, string value) => grid.AddRow(new Text(label), new Text(value));
        Row("Id", a.Id.ToString());
        Row("Action", $"{a.Action} ({a.Title})");
        Row("Target", $"{a.Provider} {a.Account} {a.Region} {a.Resource}");
        Row("Status", IncidentCommands.Name(a.Status) + (a.RequiresApproval ? " (needs a second person's approval)" : ""));
        Row("Impact", $"{IncidentCommands.Name(a.Impact)}; {a.BusinessImpact}");
        Row("Choice", $"{IncidentCommands.Name(a.Choice)}: {a.ChoiceReason}");
        Row("Reason", a.Reason);
        Row("Requested", $"{a.RequestedBy} at {IncidentCommands.Time(a.RequestedAt)}");
        if (a.ApprovedBy is not null) Row("Approved", $"{a.ApprovedBy} at {IncidentCommands.Time(a.ApprovedAt!.Value)}");
        if (a.RanBy is not null) Row("Ran", $"{a.RanBy} at {IncidentCommands.Time(a.StartedAt!.Value)}");
        if (a.UndoneBy is not null) Row("Undone", $"{a.UndoneBy} at {IncidentCommands.Time(a.UndoneAt!.Value)}: {a.UndoReason}");
        console.Write(grid);
        console.WriteLine();
        console.WriteLine($"Plan: {a.Plan.Summary}");
        foreach (var call in a.Plan.Calls) console.WriteLine($"  {call.Service}:{call.Operation}  {call.Change}");
        console.WriteLine($"Undo: {a.Plan.Undo}");
        foreach (var risk in a.Plan.Risks) console.WriteLine($"Risk {risk.Code}: {risk.Description} Avoid: {risk.Avoid}");
        foreach (var warning in a.Warnings) console.WriteLine($"Warning: {warning}");
        if (a.Plan.SafeOrder.Count > 0) console.WriteLine("Safe order: " + string.Join(" | ", a.Plan.SafeOrder));
        foreach (var result in a.Results) console.WriteLine($"{(result.Succeeded ? "ok    " : "FAILED")} {result.Operation} {result.Resource}: {result.Detail}");
        foreach (var check in a.Verification) console.WriteLine($"{(check.Ok ? "verified" : "NOT VERIFIED")} {check.What}: expected {check.Expected}, found {check.Actual}");
        // What undo will put back: the responder checks it before relying on it, and it is the record of the state before.
        if (a.UndoData.Count > 0)
        {
            console.WriteLine("Undo data (the state before the run):");
            foreach (var (key, value) in a.UndoData.OrderBy(u => u.Key, StringComparer.Ordinal)) console.WriteLine($"  {key} = {value}");
        }
        foreach (var result in a.UndoResults) console.WriteLine($"undo {(result.Succeeded ? "ok    " : "FAILED")} {result.Operation} {result.Resource}: {result.Detail}");
    }
}
