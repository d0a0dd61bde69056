using System.CommandLine;
using System.Globalization;
using Firebreak.Cli.Client;
using Firebreak.Core.ManagementPlane;
using Firebreak.Core.PostMortem;
using Firebreak.Core.Recovery;
using Spectre.Console;

namespace Firebreak.Cli.Commands;

/// <summary>
/// firebreak recovery (the checklist and template baselines), firebreak escalation (provider cases) and
/// firebreak break-glass (emergency-account use and its close-out), through the API.
/// </summary>
internal static class RecoveryCommands
{
    private static readonly TimeSpan TransferTimeout = TimeSpan.FromHours(2);

    private static string Key(ParseResult parseResult, Argument<string> incident) => Uri.EscapeDataString(parseResult.GetValue(incident)!);

    /// <summary>A command group with the connection options its subcommands read through <paramref name="connection"/>.</summary>
    private static Command Group(Connection connection, CommandCatalog catalog, string name, string description, params string[] examples)
    {
        var group = catalog.Create(name, description, examples);
        group.Add(connection.Server);
        group.Add(connection.ApiKey);
        return group;
    }

    private static DateTimeOffset ParseTime(string option, string text) =>
        DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var at)
            ? at
            : throw new CliException(ExitCodes.Usage, $"{option}: '{text}' is not a time; use ISO 8601, e.g. 2026-03-01T10:15:00Z.");

    public static Command Recovery(CliContext context, CommandCatalog catalog)
    {
        var connection = new Connection(context);
        var recovery = Group(connection, catalog, "recovery",
            "An incident's recovery checklist: rebuilds verified against template baselines, credential rotations, health checks, preventive controls.",
            "firebreak recovery defaults INC-2026-0042",
            "firebreak recovery verify INC-2026-0042 0199a1b2-... --file web.yaml --baseline web-template");
        recovery.Add(List(connection, catalog));
        recovery.Add(Add(connection, catalog));
        recovery.Add(Defaults(connection, catalog));
        recovery.Add(SetStatus(connection, catalog));
        recovery.Add(Verify(connection, catalog));
        recovery.Add(Baselines(connection, catalog));
        recovery.Add(RecordBaseline(connection, catalog));
        return recovery;
    }

    private static Command List(Connection connection, CommandCatalog catalog)
    {
        var command = catalog.Create("list", "List the checklist with each item's status, who set it and the template check.",
            "firebreak recovery list INC-2026-0042", "firebreak recovery list INC-2026-0042 --json");
        var incident = CliArguments.Incident();
        var json = IncidentCommands.JsonOption();
        command.Add(incident);
        command.Add(json);
        command.SetAction(async (parseResult, cancellationToken) =>
        {
            using var client = connection.Open(parseResult);
            var response = await client.GetAsync($"api/v1/incidents/{Key(parseResult, incident)}/recovery", cancellationToken);
            if (parseResult.GetValue(json)) return connection.PrintJson(response);
            Write(connection.Context.Console, response.Read<RecoveryChecklistView>());
            return ExitCodes.Ok;
        });
        return command;
    }

    private static Command Add(Connection connection, CommandCatalog catalog)
    {
        var command = catalog.Create("add", "Add an item to the checklist.",
            "firebreak recovery add INC-2026-0042 --kind rebuild-from-template --description \"Rebuild web-1\" --resource i-0abc1234def567890 --baseline web-template",
            "firebreak recovery add INC-2026-0042 --kind custom --description \"Tell the payment provider\"");
        var incident = CliArguments.Incident();
        var kind = IncidentCommands.EnumOption<RecoveryItemKind>("--kind", "What the step is");
        kind.Required = true;
        var description = new Option<string>("--description") { Description = "What has to be done.", Required = true, HelpName = "TEXT" };
        var resource = new Option<string?>("--resource") { Description = "The resource it is about (instance, key, role, bucket).", HelpName = "ID" };
        var baseline = new Option<string?>("--baseline") { Description = "For a rebuild: the template baseline it must match.", HelpName = "NAME" };
        var note = new Option<string?>("--note") { Description = "A note kept with the item.", HelpName = "TEXT" };
        var json = IncidentCommands.JsonOption();
        command.Add(incident);
        foreach (var option in new Option[] { kind, description, resource, baseline, note, json }) command.Add(option);
        command.SetAction(async (parseResult, cancellationToken) =>
        {
            using var client = connection.Open(parseResult);
            var response = await client.PostAsync($"api/v1/incidents/{Key(parseResult, incident)}/recovery", new
            {
                kind = parseResult.GetValue(kind),
                description = parseResult.GetValue(description),
                resource = parseResult.GetValue(resource),
                baselineName = parseResult.GetValue(baseline),
                note = parseResult.GetValue(note),
            }, cancellationToken);
            if (parseResult.GetValue(json)) return connection.PrintJson(response);
            var item = response.Read<RecoveryItemView>();
            connection.Context.Console.MarkupLine($"Added [bold]{Markup.Escape(IncidentCommands.Name(item.Kind))}[/] item {item.Id}.");
            return ExitCodes.Ok;
        });
        return command;
    }

    private static Command Defaults(Connection connection, CommandCatalog catalog)
    {
        var command = catalog.Create("defaults",
            "Add the items that follow from succeeded response actions (a rotation per deactivated key, a rebuild per isolated instance...) and marked credentials. Items already there are not repeated.",
            "firebreak recovery defaults INC-2026-0042");
        var incident = CliArguments.Incident();
        var json = IncidentCommands.JsonOption();
        command.Add(incident);
        command.Add(json);
        command.SetAction(async (parseResult, cancellationToken) =>
        {
            using var client = connection.Open(parseResult);
            var response = await client.PostAsync($"api/v1/incidents/{Key(parseResult, incident)}/recovery/defaults", new { }, cancellationToken);
            if (parseResult.GetValue(json)) return connection.PrintJson(response);
            Write(connection.Context.Console, response.Read<RecoveryChecklistView>());
            return ExitCodes.Ok;
        });
        return command;
    }

    private static Command SetStatus(Connection connection, CommandCatalog catalog)
    {
        var command = catalog.Create("set-status",
            "Set an item's status. failed and not-applicable need --reason; a rebuild is done only after its template matched the baseline.",
            "firebreak recovery set-status INC-2026-0042 0199a1b2-... --status done --note \"p99 back to normal\" --evidence 0199c3d4-...",
            "firebreak recovery set-status INC-2026-0042 0199a1b2-... --status not-applicable --reason \"Service retired\"");
        var incident = CliArguments.Incident();
        var id = new Argument<Guid>("item-id") { Description = "The checklist item's id (from list)." };
        var status = IncidentCommands.EnumOption<RecoveryItemStatus>("--status", "The new status");
        status.Required = true;
        var reason = new Option<string?>("--reason") { Description = "Why it failed or does not apply.", HelpName = "TEXT" };
        var note = new Option<string?>("--note") { Description = "Replaces the item's note.", HelpName = "TEXT" };
        var evidence = new Option<Guid[]>("--evidence") { Description = "An evidence item of the incident that proves it; repeat for several (replaces the links).", HelpName = "ID", Arity = ArgumentArity.OneOrMore };
        var json = IncidentCommands.JsonOption();
        command.Add(incident);
        command.Add(id);
        foreach (var option in new Option[] { status, reason, note, evidence, json }) command.Add(option);
        command.SetAction(async (parseResult, cancellationToken) =>
        {
            using var client = connection.Open(parseResult);
            var links = parseResult.GetValue(evidence);
            var response = await client.SendJsonAsync(HttpMethod.Put, $"api/v1/incidents/{Key(parseResult, incident)}/recovery/{parseResult.GetValue(id)}/status", new
            {
                status = parseResult.GetValue(status),
                reason = parseResult.GetValue(reason),
                note = parseResult.GetValue(note),
                evidenceIds = links is { Length: > 0 } ? links : null,
            }, null, cancellationToken);
            if (parseResult.GetValue(json)) return connection.PrintJson(response);
            var item = response.Read<RecoveryItemView>();
            connection.Context.Console.MarkupLine($"Item {item.Id} is [bold]{IncidentCommands.Name(item.Status)}[/].");
            return ExitCodes.Ok;
        });
        return command;
    }

    private static Command Verify(Connection connection, CommandCatalog catalog)
    {
        var command = catalog.Create("verify",
            "Check the template a rebuild actually used against its baseline: give its digest, or a file the server hashes. Exits 1 on a mismatch.",
            "firebreak recovery verify INC-2026-0042 0199a1b2-... --digest sha256:9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
            "firebreak recovery verify INC-2026-0042 0199a1b2-... --file web.yaml --baseline web-template");
        var incident = CliArguments.Incident();
        var id = new Argument<Guid>("item-id") { Description = "The rebuild item's id." };
        var digest = new Option<string?>("--digest") { Description = "sha256:<64 hex digits> of the template used.", HelpName = "DIGEST" };
        var file = new Option<string?>("--file") { Description = "The template file used; streamed to the server, which hashes it and keeps only the digest.", HelpName = "PATH" };
        var baseline = new Option<string?>("--baseline") { Description = "The baseline to compare with (default: the item's).", HelpName = "NAME" };
        var json = IncidentCommands.JsonOption();
        command.Add(incident);
        command.Add(id);
        foreach (var option in new Option[] { digest, file, baseline, json }) command.Add(option);
        command.SetAction(async (parseResult, cancellationToken) =>
        {
            var path = parseResult.GetValue(file);
            var given = parseResult.GetValue(digest);
            if ((path is null) == (given is null)) throw new CliException(ExitCodes.Usage, "Give exactly one of --digest or --file.");
            var url = $"api/v1/incidents/{Key(parseResult, incident)}/recovery/{parseResult.GetValue(id)}";
            ApiResponse response;
            if (path is not null)
            {
                if (!File.Exists(path)) throw new CliException(ExitCodes.Usage, $"No such file: {path}");
                using var client = connection.Open(parseResult, TransferTimeout);
                await using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 128 * 1024, FileOptions.Asynchronous | FileOptions.SequentialScan);
                var query = IncidentCommands.Query(("baseline", parseResult.GetValue(baseline)), ("fileName", Path.GetFileName(path)));
                response = await connection.Context.WithStatusAsync($"Sending {Path.GetFileName(path)} to be hashed",
                    () => client.PostStreamAsync($"{url}/verify-file{query}", stream, stream.Length, cancellationToken));
            }
            else
            {
                using var client = connection.Open(parseResult);
                response = await client.PostAsync($"{url}/verify", new { digest = given, baseline = parseResult.GetValue(baseline) }, cancellationToken);
            }
            var item = response.Read<RecoveryItemView>();
            if (parseResult.GetValue(json)) connection.PrintJson(response);
            else
            {
                var v = item.Verification!;
                connection.Context.Console.MarkupLine(v.Result == TemplateMatch.Match
                    ? $"[green]match[/]: {Markup.Escape(v.ActualDigest)} is baseline '{Markup.Escape(item.BaselineName ?? "")}' revision {v.BaselineRevision}."
                    : $"[red]mismatch[/]: used {Markup.Escape(v.ActualDigest)}, baseline '{Markup.Escape(item.BaselineName ?? "")}' revision {v.BaselineRevision} is {Markup.Escape(v.ExpectedDigest)}.");
            }
            return item.Verification?.Result == TemplateMatch.Match ? ExitCodes.Ok : ExitCodes.Refused;
        });
        return command;
    }

    private static Command Baselines(Connection connection, CommandCatalog catalog)
    {
        var command = catalog.Create("baselines", "List the tenant's template baselines (newest revision of each), or every revision of one.",
            "firebreak recovery baselines", "firebreak recovery baselines web-template --json");
        var name = new Argument<string?>("name") { Description = "Show every revision of this baseline.", Arity = ArgumentArity.ZeroOrOne };
        var json = IncidentCommands.JsonOption();
        command.Add(name);
        command.Add(json);
        command.SetAction(async (parseResult, cancellationToken) =>
        {
            using var client = connection.Open(parseResult);
            var one = parseResult.GetValue(name);
            var response = await client.GetAsync(one is null ? "api/v1/recovery/baselines" : $"api/v1/recovery/baselines/{Uri.EscapeDataString(one)}/history", cancellationToken);
            if (parseResult.GetValue(json)) return connection.PrintJson(response);
            var rows = response.Read<List<BaselineView>>();
            var table = new Table().Border(TableBorder.Rounded).AddColumns("Name", "Rev", "Kind", "Location", "Digest", "Recorded by", "When (UTC)", "Why");
            foreach (var b in rows)
                table.AddRow(new Text(b.Name), new Text(b.Revision.ToString(CultureInfo.InvariantCulture)), new Text(IncidentCommands.Name(b.Kind)), new Text(b.Location),
                    new Text(b.Digest), new Text(b.RecordedBy), new Text(IncidentCommands.Time(b.RecordedAt)), new Text(b.Reason));
            connection.Context.Console.Write(table);
            return ExitCodes.Ok;
        });
        return command;
    }

    private static Command RecordBaseline(Connection connection, CommandCatalog catalog)
    {
        var command = catalog.Create("record-baseline",
            "Record a known-good template or image (incident managers). Under an existing name it becomes the next revision; earlier ones are kept.",
            "firebreak recovery record-baseline --name web-template --kind template --location s3://golden/web.yaml --file web.yaml --reason \"Reviewed release 12\"",
            "firebreak recovery record-baseline --name web-ami --kind ami --location ami-0abc1234 --digest sha256:... --reason \"Patched base image\"");
        var name = new Option<string>("--name") { Description = "The baseline's name.", Required = true, HelpName = "NAME" };
        var kind = IncidentCommands.EnumOption<BaselineKind>("--kind", "What it is");
        kind.Required = true;
        var location = new Option<string>("--location") { Description = "Where it lives: AMI id, image reference, template path.", Required = true, HelpName = "TEXT" };
        var digest = new Option<string?>("--digest") { Description = "sha256:<64 hex digits>.", HelpName = "DIGEST" };
        var file = new Option<string?>("--file") { Description = "Hash this file here for the digest.", HelpName = "PATH" };
        var reason = new Option<string>("--reason") { Description = "Why this is the known-good version.", Required = true, HelpName = "TEXT" };
        var json = IncidentCommands.JsonOption();
        foreach (var option in new Option[] { name, kind, location, digest, file, reason, json }) command.Add(option);
        command.SetAction(async (parseResult, cancellationToken) =>
        {
            var path = parseResult.GetValue(file);
            var given = parseResult.GetValue(digest);
            if ((path is null) == (given is null)) throw new CliException(ExitCodes.Usage, "Give exactly one of --digest or --file.");
            if (path is not null)
            {
                if (!File.Exists(path)) throw new CliException(ExitCodes.Usage, $"No such file: {path}");
                await using var stream = File.OpenRead(path);
                given = "sha256:" + Convert.ToHexStringLower(await System.Security.Cryptography.SHA256.HashDataAsync(stream, cancellationToken));
            }
            using var client = connection.Open(parseResult);
            var response = await client.PostAsync("api/v1/recovery/baselines", new
            {
                name = parseResult.GetValue(name), kind = parseResult.GetValue(kind), location = parseResult.GetValue(location), digest = given, reason = parseResult.GetValue(reason),
            }, cancellationToken);
            if (parseResult.GetValue(json)) return connection.PrintJson(response);
            var b = response.Read<BaselineView>();
            connection.Context.Console.MarkupLine($"Recorded [bold]{Markup.Escape(b.Name)}[/] revision {b.Revision}: {Markup.Escape(b.Digest)}.");
            return ExitCodes.Ok;
        });
        return command;
    }

    private static void Write(IAnsiConsole console, RecoveryChecklistView checklist)
    {
        if (checklist.Total == 0)
        {
            console.WriteLine("The recovery checklist is empty.");
            return;
        }
        var table = new Table().Border(TableBorder.Rounded).AddColumns("Id", "Kind", "Resource", "Status", "By", "Template", "Description");
        foreach (var i in checklist.Items)
            table.AddRow(new Text(i.Id.ToString()), new Text(IncidentCommands.Name(i.Kind)), new Text(i.Resource), new Text(IncidentCommands.Name(i.Status) + (i.StatusReason is { } r ? $": {r}" : "")),
                new Text(i.StatusBy ?? "-"), new Text(i.Verification is { } v ? IncidentCommands.Name(v.Result) : "-"), new Text(i.Description));
        console.Write(table);
        console.WriteLine($"{checklist.Total} item(s): {checklist.Open} open, {checklist.Done} done, {checklist.Failed} failed, {checklist.NotApplicable} not applicable.");
    }

    public static Command Escalation(CliContext context, CommandCatalog catalog)
    {
        var connection = new Connection(context);
        var escalation = Group(connection, catalog, "escalation",
            "Cases opened with cloud providers (SaaS/PaaS support) during an incident: SLA due time, status, the provider's responses, overdue cases.",
            "firebreak escalation list INC-2026-0042",
            "firebreak escalation respond INC-2026-0042 0199a1b2-... --received-at 2026-03-01T11:00:00Z --summary \"Sessions revoked on their side\"");
        escalation.Add(EscalationList(connection, catalog));
        escalation.Add(EscalationOpen(connection, catalog));
        escalation.Add(EscalationRespond(connection, catalog));
        return escalation;
    }

    private static Command EscalationList(Connection connection, CommandCatalog catalog)
    {
        var command = catalog.Create("list", "List the incident's provider cases with their SLA due time, status and responses. Exits 1 when a case is overdue.",
            "firebreak escalation list INC-2026-0042", "firebreak escalation list INC-2026-0042 --json");
        var incident = CliArguments.Incident();
        var json = IncidentCommands.JsonOption();
        command.Add(incident);
        command.Add(json);
        command.SetAction(async (parseResult, cancellationToken) =>
        {
            using var client = connection.Open(parseResult);
            var response = await client.GetAsync($"api/v1/incidents/{Key(parseResult, incident)}/provider-escalations", cancellationToken);
            var summary = response.Read<SlaSummary>();
            if (parseResult.GetValue(json)) connection.PrintJson(response);
            else
            {
                var table = new Table().Border(TableBorder.Rounded).AddColumns("Id", "Provider", "Case", "Opened (UTC)", "Due (UTC)", "Status", "Responses", "Overdue");
                foreach (var e in summary.Items)
                    table.AddRow(new Text(e.Id.ToString()), new Text(e.Service is { } s ? $"{e.Provider} {s}" : e.Provider), new Text(e.CaseId), new Text(IncidentCommands.Time(e.OpenedAt)),
                        new Text(IncidentCommands.Time(e.Sla.ResponseDueAt)), new Text(IncidentCommands.Name(e.Status)), new Text(e.Responses.Count.ToString(CultureInfo.InvariantCulture)),
                        e.Overdue ? new Markup("[red]overdue[/]") : new Text("-"));
                connection.Context.Console.Write(table);
                connection.Context.Console.WriteLine($"{summary.Escalations} case(s): {summary.Met} met, {summary.Breached} breached, {summary.Pending} pending.");
            }
            return summary.Items.Any(e => e.Overdue) ? ExitCodes.Refused : ExitCodes.Ok;
        });
        return command;
    }

    private static Command EscalationOpen(Connection connection, CommandCatalog catalog)
    {
        var command = catalog.Create("open",
            "Record a case opened with a provider. Without --sla-minutes the provider's configured SLA is used (Firebreak:Escalations:SlaMinutes:<provider>).",
            "firebreak escalation open INC-2026-0042 --provider aws --service \"IAM Identity Center\" --case-id 170001234 --opened-at 2026-03-01T10:00:00Z --sla-minutes 60");
        var incident = CliArguments.Incident();
        var provider = new Option<string>("--provider") { Description = "The provider (aws, azure, gcp, a SaaS vendor).", Required = true, HelpName = "NAME" };
        var service = new Option<string?>("--service") { Description = "The service concerned.", HelpName = "NAME" };
        var caseId = new Option<string>("--case-id") { Description = "The provider's case id.", Required = true, HelpName = "ID" };
        var openedAt = new Option<string>("--opened-at") { Description = "When the case was opened, ISO 8601.", Required = true, HelpName = "TIME" };
        var sla = new Option<int?>("--sla-minutes") { Description = "The agreed first-response time in minutes.", HelpName = "MINUTES" };
        var json = IncidentCommands.JsonOption();
        command.Add(incident);
        foreach (var option in new Option[] { provider, service, caseId, openedAt, sla, json }) command.Add(option);
        command.SetAction(async (parseResult, cancellationToken) =>
        {
            var opened = ParseTime("--opened-at", parseResult.GetValue(openedAt)!);
            using var client = connection.Open(parseResult);
            var response = await client.PostAsync($"api/v1/incidents/{Key(parseResult, incident)}/provider-escalations", new
            {
                provider = parseResult.GetValue(provider), service = parseResult.GetValue(service), caseId = parseResult.GetValue(caseId),
                openedAt = opened, slaResponseMinutes = parseResult.GetValue(sla),
            }, cancellationToken);
            if (parseResult.GetValue(json)) return connection.PrintJson(response);
            var e = response.Read<ProviderEscalationView>();
            connection.Context.Console.MarkupLine($"Recorded case {Markup.Escape(e.CaseId)} ({e.Id}); first response due {IncidentCommands.Time(e.Sla.ResponseDueAt)} UTC.");
            return ExitCodes.Ok;
        });
        return command;
    }

    private static Command EscalationRespond(Connection connection, CommandCatalog catalog)
    {
        var command = catalog.Create("respond", "Append a response received from the provider (responses are never edited or removed).",
            "firebreak escalation respond INC-2026-0042 0199a1b2-... --received-at 2026-03-01T11:00:00Z --summary \"Investigating\" --from \"AWS Support\"");
        var incident = CliArguments.Incident();
        var id = new Argument<Guid>("case-id") { Description = "The escalation's id (from list)." };
        var receivedAt = new Option<string>("--received-at") { Description = "When the response arrived, ISO 8601.", Required = true, HelpName = "TIME" };
        var summary = new Option<string>("--summary") { Description = "What the provider said.", Required = true, HelpName = "TEXT" };
        var from = new Option<string?>("--from") { Description = "Who answered.", HelpName = "NAME" };
        var json = IncidentCommands.JsonOption();
        command.Add(incident);
        command.Add(id);
        foreach (var option in new Option[] { receivedAt, summary, from, json }) command.Add(option);
        command.SetAction(async (parseResult, cancellationToken) =>
        {
            var at = ParseTime("--received-at", parseResult.GetValue(receivedAt)!);
            using var client = connection.Open(parseResult);
            var response = await client.PostAsync($"api/v1/incidents/{Key(parseResult, incident)}/provider-escalations/{parseResult.GetValue(id)}/responses",
                new { receivedAt = at, summary = parseResult.GetValue(summary), from = parseResult.GetValue(from) }, cancellationToken);
            if (parseResult.GetValue(json)) return connection.PrintJson(response);
            var e = response.Read<ProviderEscalationView>();
            connection.Context.Console.MarkupLine($"Case {Markup.Escape(e.CaseId)} is {IncidentCommands.Name(e.Status)} with {e.Responses.Count} response(s).");
            return ExitCodes.Ok;
        });
        return command;
    }

    public static Command BreakGlass(CliContext context, CommandCatalog catalog)
    {
        var connection = new Connection(context);
        var breakGlass = Group(connection, catalog, "break-glass",
            "Record the use of an emergency (break-glass) account on an incident, and close it out once the credential is rotated and a second person reviewed it.",
            "firebreak break-glass record INC-2026-0042 --account arn:aws:iam::123456789012:root --credential \"root password + MFA (safe B)\" --reason \"SSO hijacked\" --invoked-at 2026-03-01T10:05:00Z",
            "firebreak break-glass list INC-2026-0042");
        breakGlass.Add(BreakGlassList(connection, catalog));
        breakGlass.Add(BreakGlassRecordCommand(connection, catalog));
        breakGlass.Add(BreakGlassClose(connection, catalog));
        return breakGlass;
    }

    private static Command BreakGlassList(Connection connection, CommandCatalog catalog)
    {
        var command = catalog.Create("list", "List the incident's break-glass records. Exits 1 while one is still open.",
            "firebreak break-glass list INC-2026-0042", "firebreak break-glass list INC-2026-0042 --json");
        var incident = CliArguments.Incident();
        var json = IncidentCommands.JsonOption();
        command.Add(incident);
        command.Add(json);
        command.SetAction(async (parseResult, cancellationToken) =>
        {
            using var client = connection.Open(parseResult);
            var response = await client.GetAsync($"api/v1/incidents/{Key(parseResult, incident)}/break-glass", cancellationToken);
            var records = response.Read<List<BreakGlassView>>();
            if (parseResult.GetValue(json)) connection.PrintJson(response);
            else
            {
                var table = new Table().Border(TableBorder.Rounded).AddColumns("Id", "Account", "Credential", "Used by", "Used (UTC)", "Status", "Reviewed by");
                foreach (var b in records)
                    table.AddRow(new Text(b.Id.ToString()), new Text(b.Account), new Text(b.Credential), new Text(b.InvokedBy), new Text(IncidentCommands.Time(b.InvokedAt)),
                        new Text(IncidentCommands.Name(b.Status)), new Text(b.ReviewedBy ?? "-"));
                connection.Context.Console.Write(table);
            }
            return records.Any(b => b.Status == BreakGlassStatus.Open) ? ExitCodes.Refused : ExitCodes.Ok;
        });
        return command;
    }

    private static Command BreakGlassRecordCommand(Connection connection, CommandCatalog catalog)
    {
        var command = catalog.Create("record", "Record that a break-glass account was used; it goes on the incident's timeline at the time of use. Never give the secret itself.",
            "firebreak break-glass record INC-2026-0042 --account arn:aws:iam::123456789012:root --credential \"root password + MFA (safe B)\" --reason \"SSO hijacked\" --invoked-at 2026-03-01T10:05:00Z --invoked-by alice");
        var incident = CliArguments.Incident();
        var account = new Option<string>("--account") { Description = "The emergency account used.", Required = true, HelpName = "ACCOUNT" };
        var credential = new Option<string>("--credential") { Description = "Which credential of it (not the secret).", Required = true, HelpName = "TEXT" };
        var reason = new Option<string>("--reason") { Description = "Why break-glass was needed.", Required = true, HelpName = "TEXT" };
        var invokedAt = new Option<string>("--invoked-at") { Description = "When it was used, ISO 8601.", Required = true, HelpName = "TIME" };
        var invokedBy = new Option<string?>("--invoked-by") { Description = "Who used it (default: you).", HelpName = "NAME" };
        var json = IncidentCommands.JsonOption();
        command.Add(incident);
        foreach (var option in new Option[] { account, credential, reason, invokedAt, invokedBy, json }) command.Add(option);
        command.SetAction(async (parseResult, cancellationToken) =>
        {
            var at = ParseTime("--invoked-at", parseResult.GetValue(invokedAt)!);
            using var client = connection.Open(parseResult);
            var response = await client.PostAsync($"api/v1/incidents/{Key(parseResult, incident)}/break-glass", new
            {
                account = parseResult.GetValue(account), credential = parseResult.GetValue(credential), reason = parseResult.GetValue(reason),
                invokedAt = at, invokedBy = parseResult.GetValue(invokedBy),
            }, cancellationToken);
            if (parseResult.GetValue(json)) return connection.PrintJson(response);
            var b = response.Read<BreakGlassView>();
            connection.Context.Console.MarkupLine($"Recorded break-glass use {b.Id}; it stays open until the credential is rotated and someone else closes it out.");
            return ExitCodes.Ok;
        });
        return command;
    }

    private static Command BreakGlassClose(Connection connection, CommandCatalog catalog)
    {
        var command = catalog.Create("close", "Close out a break-glass use: the credential is rotated and you (not whoever used or recorded it) reviewed what was done.",
            "firebreak break-glass close INC-2026-0042 0199a1b2-... --rotated-at 2026-03-01T12:00:00Z --rotation-note \"New password sealed\" --review-note \"Only planned calls in CloudTrail\"");
        var incident = CliArguments.Incident();
        var id = new Argument<Guid>("record-id") { Description = "The break-glass record's id (from list)." };
        var rotatedAt = new Option<string>("--rotated-at") { Description = "When the credential was rotated, ISO 8601.", Required = true, HelpName = "TIME" };
        var rotationNote = new Option<string>("--rotation-note") { Description = "How it was rotated and where the new one is kept.", Required = true, HelpName = "TEXT" };
        var reviewNote = new Option<string>("--review-note") { Description = "What the review of its use found.", Required = true, HelpName = "TEXT" };
        var json = IncidentCommands.JsonOption();
        command.Add(incident);
        command.Add(id);
        foreach (var option in new Option[] { rotatedAt, rotationNote, reviewNote, json }) command.Add(option);
        command.SetAction(async (parseResult, cancellationToken) =>
        {
            var at = ParseTime("--rotated-at", parseResult.GetValue(rotatedAt)!);
            using var client = connection.Open(parseResult);
            var response = await client.PostAsync($"api/v1/incidents/{Key(parseResult, incident)}/break-glass/{parseResult.GetValue(id)}/close", new
            {
                credentialsRotatedAt = at, rotationNote = parseResult.GetValue(rotationNote), reviewNote = parseResult.GetValue(reviewNote),
            }, cancellationToken);
            if (parseResult.GetValue(json)) return connection.PrintJson(response);
            connection.Context.Console.MarkupLine("Break-glass use closed out.");
            return ExitCodes.Ok;
        });
        return command;
    }
}
