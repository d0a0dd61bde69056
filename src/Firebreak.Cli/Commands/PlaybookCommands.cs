using System.CommandLine;
using System.Text;
using Firebreak.Cli.Client;
using Firebreak.Core.Playbooks;
using Firebreak.Core.Response;
using Spectre.Console;

namespace Firebreak.Cli.Commands;

/// <summary>firebreak playbook: list, show, import and export playbooks; run one on an incident and follow, complete and approve its steps.</summary>
internal static class PlaybookCommands
{
    public static Command Create(CliContext context, CommandCatalog catalog)
    {
        var playbook = catalog.Create("playbook",
            "Playbooks: built-in and your tenant's own (YAML or OASIS CACAO v2). A run on an incident plans its actions through the response actions, waits for approvals and checklists, and resumes after a restart.",
            "firebreak playbook list",
            "firebreak playbook run INC-2026-0042 compromised-access-key --input userName=build-bot --criticality high --choice contain-accept-downtime --choice-reason \"the key is only used by CI\"");
        var connection = new Connection(context);
        playbook.Add(connection.Server);
        playbook.Add(connection.ApiKey);
        playbook.Add(List(connection, catalog));
        playbook.Add(Show(connection, catalog));
        playbook.Add(Import(connection, catalog));
        playbook.Add(Export(connection, catalog));
        playbook.Add(Run(connection, catalog));
        playbook.Add(Status(connection, catalog));
        playbook.Add(Complete(connection, catalog));
        playbook.Add(Approve(connection, catalog));
        return playbook;
    }

    private static Argument<string> PlaybookId() => new("playbook") { Description = "The playbook's id (see 'firebreak playbook list')." };

    private static Argument<Guid> RunId() => new("run-id") { Description = "The run's id (from run or status)." };

    private static Argument<string> StepId() => new("step") { Description = "The step's id (from status)." };

    private static Command List(Connection connection, CommandCatalog catalog)
    {
        var command = catalog.Create("list", "List the built-in playbooks and your tenant's own.", "firebreak playbook list", "firebreak playbook list --json");
        var json = IncidentCommands.JsonOption();
        command.Add(json);
        command.SetAction(async (parseResult, cancellationToken) =>
        {
            using var client = connection.Open(parseResult);
            var response = await client.GetAsync("api/v1/playbooks", cancellationToken);
            if (parseResult.GetValue(json)) return connection.PrintJson(response);
            var table = new Table().Border(TableBorder.Rounded).AddColumns("Id", "Name", "Source", "Steps", "Actions");
            foreach (var p in response.Read<List<PlaybookSummary>>())
                table.AddRow(new Text(p.Id), new Text(p.Name), new Text(p.BuiltIn ? "built-in" : $"imported by {p.ImportedBy}"), new Text(p.Steps.ToString(System.Globalization.CultureInfo.InvariantCulture)),
                    new Text(string.Join(", ", p.Actions)));
            connection.Context.Console.Write(table);
            return ExitCodes.Ok;
        });
        return command;
    }

    private static Command Show(Connection connection, CommandCatalog catalog)
    {
        var command = catalog.Create("show", "Show a playbook's inputs and steps.", "firebreak playbook show compromised-ec2-instance");
        var id = PlaybookId();
        var json = IncidentCommands.JsonOption();
        command.Add(id);
        command.Add(json);
        command.SetAction(async (parseResult, cancellationToken) =>
        {
            using var client = connection.Open(parseResult);
            var response = await client.GetAsync($"api/v1/playbooks/{Uri.EscapeDataString(parseResult.GetValue(id)!)}", cancellationToken);
            if (parseResult.GetValue(json)) return connection.PrintJson(response);
            var details = response.Read<PlaybookDetails>();
            var console = connection.Context.Console;
            console.WriteLine($"{details.Definition.Id}: {details.Definition.Name}");
            if (details.Definition.Description.Length > 0) console.WriteLine(details.Definition.Description.TrimEnd());
            foreach (var input in details.Definition.Inputs)
                console.WriteLine($"input {input.Name} ({IncidentCommands.Name(input.Type)}, from {IncidentCommands.Name(input.From)}{(input.Required ? ", required" : "")}{(input.Default is null ? "" : $", default '{input.Default}'")}): {input.Description}");
            WriteSteps(console, details.Definition.Steps, "");
            return ExitCodes.Ok;
        });
        return command;
    }

    private static void WriteSteps(IAnsiConsole console, IReadOnlyList<PlaybookStep> steps, string indent)
    {
        foreach (var step in steps)
        {
            var what = step.Kind switch
            {
                StepKind.Action => $"{step.Action} on {step.Resource}",
                StepKind.Manual => $"{step.Checklist.Count} checklist item(s)",
                StepKind.Condition => step.If!.Input is { } input ? $"if {input} {(step.If.EqualsValue is not null ? "=" : "!=")} '{step.If.EqualsValue ?? step.If.NotEqualsValue}'" : $"if step {step.If.Step} {IncidentCommands.Name(step.If.Outcome!.Value)}",
                _ => $"{step.Branches.Count} branches",
            };
            console.WriteLine($"{indent}- {step.Id} [{IncidentCommands.Name(step.Kind)}] {step.Name}: {what}");
            if (step.Kind == StepKind.Condition)
            {
                WriteSteps(console, step.Then, indent + "  then ");
                WriteSteps(console, step.Else, indent + "  else ");
            }
            for (var i = 0; i < step.Branches.Count; i++) WriteSteps(console, step.Branches[i], indent + $"  branch {i + 1} ");
        }
    }

    private static Command Import(Connection connection, CommandCatalog catalog)
    {
        var command = catalog.Create("import", "Import a playbook for your tenant from a YAML file, or a CACAO v2 JSON file (.json). It is checked strictly, its actions against the server's catalogue.",
            "firebreak playbook import ./lateral-movement.yml", "firebreak playbook import ./phishing.cacao.json --format cacao");
        var file = new Argument<string>("file") { Description = "The playbook file ('-' reads standard input)." };
        var format = IncidentCommands.EnumOption<PlaybookFormat>("--format", "yaml or cacao; by default .json files are CACAO and others YAML");
        var json = IncidentCommands.JsonOption();
        command.Add(file);
        command.Add(format);
        command.Add(json);
        command.SetAction(async (parseResult, cancellationToken) =>
        {
            var path = parseResult.GetValue(file)!;
            byte[] bytes;
            if (path == "-")
            {
                using var buffer = new MemoryStream();
                await connection.Context.OpenInput().CopyToAsync(buffer, cancellationToken);
                bytes = buffer.ToArray();
            }
            else
            {
                if (!File.Exists(path)) throw new CliException(ExitCodes.Usage, $"No such file: {path}");
                if (new FileInfo(path).Length > PlaybookLimits.MaxSourceBytes) throw new CliException(ExitCodes.Usage, $"{path} is larger than {PlaybookLimits.MaxSourceBytes / 1024} KiB, the largest playbook the server takes.");
                bytes = await File.ReadAllBytesAsync(path, cancellationToken);
            }
            var cacao = parseResult.GetValue(format) is { } f ? f == "cacao" : path.EndsWith(".json", StringComparison.OrdinalIgnoreCase);
            using var client = connection.Open(parseResult);
            var response = await client.PostPayloadAsync("api/v1/playbooks", bytes, cacao ? "application/json" : "application/yaml", null, cancellationToken);
            if (parseResult.GetValue(json)) return connection.PrintJson(response);
            var details = response.Read<PlaybookDetails>();
            connection.Context.Console.WriteLine($"Imported {details.Definition.Id} ({details.Definition.Name}): {details.Playbook.Steps} steps.");
            return ExitCodes.Ok;
        });
        return command;
    }

    private static Command Export(Connection connection, CommandCatalog catalog)
    {
        var command = catalog.Create("export", "Write a playbook as YAML, or as an OASIS CACAO v2 JSON playbook, to standard output or a file.",
            "firebreak playbook export compromised-access-key > key.yml", "firebreak playbook export compromised-access-key --format cacao --output key.cacao.json");
        var id = PlaybookId();
        var format = IncidentCommands.EnumOption<PlaybookFormat>("--format", "yaml (default) or cacao");
        var output = new Option<string?>("--output") { Description = "Write to this file instead of standard output (refuses to overwrite).", HelpName = "FILE" };
        command.Add(id);
        command.Add(format);
        command.Add(output);
        command.SetAction(async (parseResult, cancellationToken) =>
        {
            using var client = connection.Open(parseResult);
            var response = await client.GetAsync($"api/v1/playbooks/{Uri.EscapeDataString(parseResult.GetValue(id)!)}/export?format={parseResult.GetValue(format) ?? "yaml"}", cancellationToken);
            if (parseResult.GetValue(output) is { } path)
            {
                if (File.Exists(path)) throw new CliException(ExitCodes.Usage, $"{path} exists; choose another file.");
                await File.WriteAllTextAsync(path, response.Json, new UTF8Encoding(false), cancellationToken);
                connection.Context.Console.WriteLine($"Wrote {path}.");
            }
            else
            {
                await connection.Context.Output.WriteAsync(response.Json);
            }
            return ExitCodes.Ok;
        });
        return command;
    }

    private static Command Run(Connection connection, CommandCatalog catalog)
    {
        var command = catalog.Create("run", "Start a playbook on an incident. Inputs not given are bound from the incident's scope or their defaults.",
            "firebreak playbook run INC-2026-0042 compromised-ec2-instance --input examinerCidr=203.0.113.7/32 --criticality high --choice contain-accept-downtime --choice-reason \"two other web nodes\"");
        var incident = CliArguments.Incident();
        var id = PlaybookId();
        var inputs = CliArguments.Inputs("A playbook");
        var criticality = IncidentCommands.EnumOption<AssetCriticality>("--criticality", "How much the business depends on the assets");
        criticality.Required = true;
        var choice = IncidentCommands.EnumOption<ContainmentChoice>("--choice", "Data loss against availability, for every action the run plans");
        choice.Required = true;
        var choiceReason = new Option<string>("--choice-reason") { Description = "Why that choice.", Required = true, HelpName = "TEXT" };
        var json = IncidentCommands.JsonOption();
        command.Add(incident);
        command.Add(id);
        foreach (var option in new Option[] { inputs, criticality, choice, choiceReason, json }) command.Add(option);
        command.SetAction(async (parseResult, cancellationToken) =>
        {
            var values = CliArguments.InputValues(parseResult, inputs);
            using var client = connection.Open(parseResult);
            var response = await client.PostAsync($"api/v1/incidents/{Uri.EscapeDataString(parseResult.GetValue(incident)!)}/playbook-runs", new
            {
                playbook = parseResult.GetValue(id),
                inputs = values,
                criticality = parseResult.GetValue(criticality),
                choice = parseResult.GetValue(choice),
                choiceReason = parseResult.GetValue(choiceReason),
            }, cancellationToken);
            if (parseResult.GetValue(json)) return connection.PrintJson(response);
            Write(connection.Context.Console, response.Read<RunView>());
            return ExitCodes.Ok;
        });
        return command;
    }

    private static Command Status(Connection connection, CommandCatalog catalog)
    {
        var command = catalog.Create("status", "List an incident's playbook runs, or show one run's steps with who, when and what came of each. Exits 1 when the run failed.",
            "firebreak playbook status INC-2026-0042", "firebreak playbook status INC-2026-0042 0199a1b2-... --json");
        var incident = CliArguments.Incident();
        var run = new Argument<Guid?>("run-id") { Description = "Show this run's steps.", Arity = ArgumentArity.ZeroOrOne };
        var json = IncidentCommands.JsonOption();
        command.Add(incident);
        command.Add(run);
        command.Add(json);
        command.SetAction(async (parseResult, cancellationToken) =>
        {
            using var client = connection.Open(parseResult);
            var key = Uri.EscapeDataString(parseResult.GetValue(incident)!);
            var console = connection.Context.Console;
            if (parseResult.GetValue(run) is { } one)
            {
                var response = await client.GetAsync($"api/v1/incidents/{key}/playbook-runs/{one}", cancellationToken);
                var view = response.Read<RunView>();
                if (parseResult.GetValue(json)) connection.PrintJson(response);
                else Write(console, view);
                return view.Status == RunStatus.Failed ? ExitCodes.Refused : ExitCodes.Ok;
            }
            var list = await client.GetAsync($"api/v1/incidents/{key}/playbook-runs", cancellationToken);
            if (parseResult.GetValue(json)) return connection.PrintJson(list);
            var runs = list.Read<List<RunView>>();
            if (runs.Count == 0)
            {
                console.WriteLine("No playbook runs on this incident.");
                return ExitCodes.Ok;
            }
            var table = new Table().Border(TableBorder.Rounded).AddColumns("Id", "Playbook", "Status", "Started by", "Started (UTC)", "Waiting on");
            foreach (var r in runs)
                table.AddRow(new Text(r.Id.ToString()), new Text(r.Playbook), new Text(IncidentCommands.Name(r.Status)), new Text(r.StartedBy), new Text(IncidentCommands.Time(r.StartedAt)),
                    new Text(string.Join(", ", r.Steps.Where(s => s.State is StepState.WaitingApproval || s.State == StepState.Running && s.Kind == StepKind.Manual).Select(s => s.Id))));
            console.Write(table);
            return ExitCodes.Ok;
        });
        return command;
    }

    private static Command Complete(Connection connection, CommandCatalog catalog)
    {
        var command = catalog.Create("complete", "Tick off checklist items of a manual step (numbered from 0 in status); when all are ticked the step is done and the run moves on.",
            "firebreak playbook complete INC-2026-0042 0199a1b2-... review-use --all", "firebreak playbook complete INC-2026-0042 0199a1b2-... review-use --item 0 --item 2 --note \"see journal\"");
        var incident = CliArguments.Incident();
        var run = RunId();
        var step = StepId();
        var items = new Option<int[]>("--item") { Description = "A checklist item's number; repeat for several.", HelpName = "N", Arity = ArgumentArity.OneOrMore };
        var all = new Option<bool>("--all") { Description = "Tick every item of the checklist." };
        var note = new Option<string?>("--note") { Description = "Kept with the step.", HelpName = "TEXT" };
        var json = IncidentCommands.JsonOption();
        command.Add(incident);
        command.Add(run);
        command.Add(step);
        foreach (var option in new Option[] { items, all, note, json }) command.Add(option);
        command.SetAction(async (parseResult, cancellationToken) =>
        {
            using var client = connection.Open(parseResult);
            var path = $"api/v1/incidents/{Uri.EscapeDataString(parseResult.GetValue(incident)!)}/playbook-runs/{parseResult.GetValue(run)}";
            var ticked = parseResult.GetValue(items) ?? [];
            if (parseResult.GetValue(all))
            {
                var current = (await client.GetAsync(path, cancellationToken)).Read<RunView>();
                var target = current.Steps.FirstOrDefault(s => s.Id == parseResult.GetValue(step))
                    ?? throw new CliException(ExitCodes.Usage, $"The run has no step '{parseResult.GetValue(step)}'.");
                ticked = [.. Enumerable.Range(0, target.Checklist.Count)];
            }
            if (ticked.Length == 0) throw new CliException(ExitCodes.Usage, "Give --item N (repeatable) or --all.");
            var response = await client.PostAsync($"{path}/steps/{Uri.EscapeDataString(parseResult.GetValue(step)!)}/complete", new { items = ticked, note = parseResult.GetValue(note) }, cancellationToken);
            if (parseResult.GetValue(json)) return connection.PrintJson(response);
            Write(connection.Context.Console, response.Read<RunView>());
            return ExitCodes.Ok;
        });
        return command;
    }

    private static Command Approve(Connection connection, CommandCatalog catalog)
    {
        var command = catalog.Create("approve", "Approve a step waiting for a second person: an approval step, or an action step's planned action. Whoever started the run cannot.",
            "firebreak playbook approve INC-2026-0042 0199a1b2-... sign-off --comment \"agreed on the bridge\"");
        var incident = CliArguments.Incident();
        var run = RunId();
        var step = StepId();
        var comment = new Option<string?>("--comment") { Description = "Kept with the approval.", HelpName = "TEXT" };
        var json = IncidentCommands.JsonOption();
        command.Add(incident);
        command.Add(run);
        command.Add(step);
        command.Add(comment);
        command.Add(json);
        command.SetAction(async (parseResult, cancellationToken) =>
        {
            using var client = connection.Open(parseResult);
            var response = await client.PostAsync($"api/v1/incidents/{Uri.EscapeDataString(parseResult.GetValue(incident)!)}/playbook-runs/{parseResult.GetValue(run)}/steps/{Uri.EscapeDataString(parseResult.GetValue(step)!)}/approve",
                new { comment = parseResult.GetValue(comment) }, cancellationToken);
            if (parseResult.GetValue(json)) return connection.PrintJson(response);
            Write(connection.Context.Console, response.Read<RunView>());
            return ExitCodes.Ok;
        });
        return command;
    }

    private static void Write(IAnsiConsole console, RunView run)
    {
        console.WriteLine($"Run {run.Id}: {run.PlaybookName} ({run.Playbook}) on {run.Incident}: {IncidentCommands.Name(run.Status)}");
        console.WriteLine($"Started by {run.StartedBy} at {IncidentCommands.Time(run.StartedAt)}");
        foreach (var (name, value) in run.Inputs) console.WriteLine($"input {name} = '{value}' ({run.InputSources.GetValueOrDefault(name)})");
        if (run.Error is not null) console.WriteLine($"Error: {run.Error}");
        var table = new Table().Border(TableBorder.Rounded).AddColumns("Step", "Kind", "Name", "State", "By", "Result");
        foreach (var s in run.Steps)
            table.AddRow(new Text(new string(' ', s.Depth * 2) + s.Id), new Text(IncidentCommands.Name(s.Kind)), new Text(s.Name), new Text(IncidentCommands.Name(s.State)),
                new Text(s.Actor ?? "-"), new Text(s.Result ?? (s.Kind == StepKind.Manual ? $"{s.Ticked.Count}/{s.Checklist.Count} ticked" : "")));
        console.Write(table);
    }
}
