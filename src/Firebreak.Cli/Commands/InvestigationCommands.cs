using System.CommandLine;
using System.Globalization;
using Firebreak.Cli.Client;
using Firebreak.Core.Common;
using Firebreak.Core.Investigation;
using Spectre.Console;

namespace Firebreak.Cli.Commands;

/// <summary><c>firebreak incident timeline</c> and <c>firebreak incident events import|search</c>.</summary>
internal static class InvestigationCommands
{
    public static Command Timeline(Connection connection, CommandCatalog catalog)
    {
        var command = catalog.Create("timeline",
            "Show an incident's timeline: alerts, pinned cloud events, analyst entries and phase changes in event-time order, or export it.",
            "firebreak incident timeline INC-2026-0042",
            "firebreak incident timeline INC-2026-0042 --key-events --from 2026-03-01T00:00:00Z --to 2026-03-02T00:00:00Z",
            "firebreak incident timeline INC-2026-0042 --export csv --out timeline.csv");
        var reference = CliArguments.Incident();
        var from = new Option<string?>("--from") { Description = "Only entries at or after this time: ISO 8601 or an age such as 7d.", HelpName = "T" };
        var to = new Option<string?>("--to") { Description = "Only entries before this time; same forms as --from.", HelpName = "T" };
        var keyEvents = new Option<bool>("--key-events") { Description = "Only entries flagged as key events." };
        var kind = IncidentCommands.EnumOption<TimelineKind>("--kind", "Only entries of this kind");
        var text = new Option<string?>("--q") { Description = "Text to look for in titles, annotations and techniques.", HelpName = "TEXT" };
        var page = new Option<int?>("--page") { Description = "Page number, from 1.", HelpName = "N" };
        var pageSize = new Option<int?>("--page-size") { Description = $"Entries per page (1-{Paging.MaxPageSize}, default 100).", HelpName = "N" };
        var export = new Option<string?>("--export") { Description = "Write every matching entry as csv or json (with raw records) instead of a page.", HelpName = "FORMAT" };
        export.OneOf("csv", "json");
        var output = new Option<string?>("--out") { Description = "File for --export (default: standard output).", HelpName = "FILE" };
        var json = IncidentCommands.JsonOption();
        command.Add(reference);
        foreach (var option in new Option[] { from, to, keyEvents, kind, text, page, pageSize, export, output, json }) command.Add(option);
        command.SetAction(async (parseResult, cancellationToken) =>
        {
            var now = TimeProvider.System.GetUtcNow();
            var key = Uri.EscapeDataString(parseResult.GetValue(reference)!);
            var filters = new List<(string, string?)>
            {
                ("from", Iso(HuntCommand.ParseTime(parseResult.GetValue(from), "--from", now))),
                ("to", Iso(HuntCommand.ParseTime(parseResult.GetValue(to), "--to", now))),
                ("keyEvents", parseResult.GetValue(keyEvents) ? "true" : null),
                ("kind", parseResult.GetValue(kind)),
                ("q", parseResult.GetValue(text)),
            };
            using var client = connection.Open(parseResult);
            if (parseResult.GetValue(export) is { } format)
            {
                filters.Add(("format", format));
                var path = parseResult.GetValue(output);
                await using Stream destination = path is null ? new MemoryStream() : File.Create(path);
                await client.DownloadAsync(FirebreakClient.Get($"api/v1/incidents/{key}/timeline/export" + IncidentCommands.Query([.. filters])), destination, cancellationToken);
                if (path is null) connection.Context.Output.Write(System.Text.Encoding.UTF8.GetString(((MemoryStream)destination).ToArray()));
                else connection.Context.ErrorConsole.MarkupLine(Markup.Escape($"Wrote {destination.Length:N0} bytes to {path}."));
                return ExitCodes.Ok;
            }
            filters.Add(("page", parseResult.GetValue(page)?.ToString(CultureInfo.InvariantCulture)));
            filters.Add(("pageSize", (parseResult.GetValue(pageSize) ?? 100).ToString(CultureInfo.InvariantCulture)));
            var response = await client.GetAsync($"api/v1/incidents/{key}/timeline" + IncidentCommands.Query([.. filters]), cancellationToken);
            if (parseResult.GetValue(json)) return connection.PrintJson(response);
            var result = response.Read<PagedResult<TimelineView>>();
            var console = connection.Context.Console;
            if (result.Items.Count == 0)
            {
                console.WriteLine("The timeline has no entries that match.");
                return ExitCodes.Ok;
            }
            var table = new Table().Border(TableBorder.Rounded).AddColumns("Event time (UTC)", "Kind", "", "Title", "ATT&CK", "Discovered", "Source");
            foreach (var t in result.Items)
            {
                var flags = (t.KeyEvent ? "[bold red]key[/]" : "") + (t.FalseLead ? "[grey]false lead[/]" : "");
                table.AddRow(new Text(Seconds(t.EventTime)), new Text(IncidentCommands.Name(t.Kind)), new Markup(flags),
                    new Text(HuntCommand.Visible(t.Title) + (t.Annotation is { } a ? $"\n  note: {HuntCommand.Visible(a)}" : "")), new Text(string.Join(" ", new[] { t.Tactic, t.Technique }.OfType<string>())),
                    new Text(t.DiscoveredAt is { } d ? Seconds(d) : "-"), new Text(HuntCommand.Visible(t.Source)));
            }
            console.Write(table);
            console.WriteLine($"Page {result.Page} of {Paging.PageCount(result.Total, result.PageSize)}; {result.Total} entr{(result.Total == 1 ? "y" : "ies")} match.");
            return ExitCodes.Ok;
        });
        return command;
    }

    public static Command Events(Connection connection, CommandCatalog catalog)
    {
        var events = catalog.Create("events", "Cloud audit-log events attached to an incident: import them, search them.",
            "firebreak incident events import INC-2026-0042 ./AWSLogs/",
            "firebreak incident events search INC-2026-0042 --access-key AKIAIOSFODNN7EXAMPLE");
        events.Add(Import(connection, catalog));
        events.Add(Search(connection, catalog));
        return events;
    }

    private static Command Import(Connection connection, CommandCatalog catalog)
    {
        var command = catalog.Create("import",
            "Attach cloud audit logs to an incident: upload local files (plain or .gz; CloudTrail, Azure Activity, Entra ID, GCP audit), or have the server read a path inside its import roots or an S3 prefix. Shows progress until the import finishes; exit 0 done, 1 failed or nothing but problems found.",
            "firebreak incident events import INC-2026-0042 trail-1.json.gz trail-2.json.gz",
            "firebreak incident events import INC-2026-0042 ./AWSLogs/",
            "firebreak incident events import INC-2026-0042 --path /srv/evidence/AWSLogs",
            "firebreak incident events import INC-2026-0042 --s3 s3://trail-bucket/AWSLogs/111122223333/ --no-wait");
        var reference = CliArguments.Incident();
        var files = new Argument<string[]>("files") { Description = "Local files or folders to upload; a folder is sent as one tar archive of the files under it.", Arity = ArgumentArity.ZeroOrMore };
        var path = new Option<string?>("--path") { Description = "A file or folder on the server, inside its configured import roots.", HelpName = "PATH" };
        var s3 = new Option<string?>("--s3") { Description = "An s3://bucket/prefix the server reads with its own credentials.", HelpName = "URI" };
        var noWait = new Option<bool>("--no-wait") { Description = "Return once the import is queued." };
        var json = IncidentCommands.JsonOption();
        command.Add(reference);
        command.Add(files);
        foreach (var option in new Option[] { path, s3, noWait, json }) command.Add(option);
        command.SetAction(async (parseResult, cancellationToken) =>
        {
            var locals = parseResult.GetValue(files) ?? [];
            var serverPath = parseResult.GetValue(path);
            var s3Uri = parseResult.GetValue(s3);
            if ((locals.Length > 0 ? 1 : 0) + (serverPath is null ? 0 : 1) + (s3Uri is null ? 0 : 1) != 1)
                throw new CliException(ExitCodes.Usage, "Give local files, or --path, or --s3: exactly one source.");
            foreach (var file in locals)
            {
                if (!File.Exists(file) && !Directory.Exists(file)) throw new CliException(ExitCodes.Usage, $"No such file or folder: {file}");
            }
            var key = Uri.EscapeDataString(parseResult.GetValue(reference)!);
            using var client = connection.Open(parseResult, TimeSpan.FromHours(1));
            var started = new List<ImportView>();
            foreach (var file in locals)
            {
                var (stream, fileName) = Directory.Exists(file)
                    ? (await FolderArchive.PackAsync(file, cancellationToken), FolderArchive.NameOf(file))
                    : ((Stream)File.OpenRead(file), Path.GetFileName(file));
                await using (stream)
                {
                    var name = Uri.EscapeDataString(fileName);
                    started.Add((await client.PostStreamAsync($"api/v1/incidents/{key}/events/imports/upload?name={name}", stream, stream.Length, cancellationToken)).Read<ImportView>());
                }
            }
            if (serverPath is not null)
                started.Add((await client.PostAsync($"api/v1/incidents/{key}/events/imports", new { kind = "path", path = serverPath }, cancellationToken)).Read<ImportView>());
            if (s3Uri is not null)
                started.Add((await client.PostAsync($"api/v1/incidents/{key}/events/imports", new { kind = "s3", s3Uri }, cancellationToken)).Read<ImportView>());

            var finished = parseResult.GetValue(noWait) ? started : await WaitAsync(connection, client, key, started, cancellationToken);
            if (parseResult.GetValue(json))
            {
                connection.Context.Output.WriteLine(System.Text.Json.JsonSerializer.Serialize(finished, FirebreakClient.Json));
            }
            else
            {
                foreach (var i in finished)
                {
                    connection.Context.Console.WriteLine(HuntCommand.Visible($"{i.Source}: {IncidentCommands.Name(i.Status)}; {Describe(i)}"));
                    if (i.Error is { } e) connection.Context.Console.Line(("  " + HuntCommand.Visible(e.ReplaceLineEndings(" ")), ConsoleText.Warning));
                }
            }
            // A file that yielded no event, only problems (not a log, or every record malformed), attached
            // nothing: a script must not take that for success.
            return finished.Any(i => i.Status == ImportStatus.Failed || (i.EventsRead == 0 && i.Problems > 0)) ? ExitCodes.Refused : ExitCodes.Ok;
        });
        return command;
    }

    private static async Task<List<ImportView>> WaitAsync(Connection connection, FirebreakClient client, string key, List<ImportView> imports, CancellationToken cancellationToken)
    {
        var current = imports.ToList();
        async Task PollAsync(Action<List<ImportView>> report)
        {
            while (current.Any(i => i.Status is ImportStatus.Queued or ImportStatus.Running))
            {
                await Task.Delay(500, cancellationToken);
                for (var n = 0; n < current.Count; n++)
                {
                    if (current[n].Status is ImportStatus.Completed or ImportStatus.Failed) continue;
                    current[n] = (await client.GetAsync($"api/v1/incidents/{key}/events/imports/{current[n].Id}", cancellationToken)).Read<ImportView>();
                }
                report(current);
            }
        }

        var console = connection.Context.ErrorConsole;
        if (console.Profile.Capabilities.Interactive)
        {
            await console.Progress().AutoClear(true)
                .Columns(new SpinnerColumn(), new TaskDescriptionColumn { Alignment = Justify.Left }, new ElapsedTimeColumn())
                .StartAsync(async progress =>
                {
                    var tasks = current.Select(i => progress.AddTask(Markup.Escape(i.Source)).IsIndeterminate()).ToList();
                    await PollAsync(list =>
                    {
                        for (var n = 0; n < list.Count; n++) tasks[n].Description = Markup.Escape($"{list[n].Source}: {Describe(list[n])}");
                    });
                });
        }
        else
        {
            await PollAsync(_ => { });
        }
        return current;
    }

    private static string Describe(ImportView i) => string.Create(CultureInfo.InvariantCulture,
        $"{i.EventsRead:N0} read, {i.EventsStored:N0} stored, {i.Duplicates:N0} duplicate(s), {i.BytesRead / 1048576.0:0.0} MB, {i.Problems:N0} problem(s)");

    private static Command Search(Connection connection, CommandCatalog catalog)
    {
        var command = catalog.Create("search",
            "Search an incident's cloud events by field (exact match) and free text, in time order. --after continues from the cursor a page printed.",
            "firebreak incident events search INC-2026-0042 --principal arn:aws:iam::111122223333:user/mallory",
            "firebreak incident events search INC-2026-0042 --operation CreateAccessKey --from 2026-03-01T00:00:00Z --json",
            "firebreak incident events search INC-2026-0042 --source-ip 203.0.113.9 --errors");
        var reference = CliArguments.Incident();
        var principal = new Option<string?>("--principal") { Description = "Principal ARN, UPN or id.", HelpName = "ID" };
        var accessKey = new Option<string?>("--access-key") { Description = "Access key id.", HelpName = "KEY" };
        var operation = new Option<string?>("--operation") { Description = "API operation (CreateAccessKey, Microsoft.Compute/virtualMachines/write).", HelpName = "NAME" };
        var resource = new Option<string?>("--resource") { Description = "Resource ARN or id.", HelpName = "ID" };
        var sourceIp = new Option<string?>("--source-ip") { Description = "Source IP address.", HelpName = "IP" };
        var provider = new Option<string?>("--provider") { Description = "aws, azure or gcp.", HelpName = "NAME" };
        var account = new Option<string?>("--account") { Description = "Account, subscription or project.", HelpName = "ID" };
        var region = new Option<string?>("--region") { Description = "Region.", HelpName = "NAME" };
        var errorCode = new Option<string?>("--error-code") { Description = "Error code (AccessDenied).", HelpName = "CODE" };
        var errors = new Option<bool>("--errors") { Description = "Only failed calls." };
        var from = new Option<string?>("--from") { Description = "Only events at or after this time: ISO 8601 or an age such as 7d.", HelpName = "T" };
        var to = new Option<string?>("--to") { Description = "Only events before this time.", HelpName = "T" };
        var text = new Option<string?>("--q") { Description = "Text anywhere in the raw record.", HelpName = "TEXT" };
        var limit = new Option<int?>("--limit") { Description = $"Events per page (1-{EventLimits.MaxPageSize}, default {EventLimits.DefaultPageSize}).", HelpName = "N" };
        var after = new Option<string?>("--after") { Description = "The cursor a previous page printed.", HelpName = "CURSOR" };
        var json = IncidentCommands.JsonOption();
        command.Add(reference);
        foreach (var option in new Option[] { principal, accessKey, operation, resource, sourceIp, provider, account, region, errorCode, errors, from, to, text, limit, after, json }) command.Add(option);
        command.SetAction(async (parseResult, cancellationToken) =>
        {
            var now = TimeProvider.System.GetUtcNow();
            var query = IncidentCommands.Query(
                ("principal", parseResult.GetValue(principal)), ("accessKeyId", parseResult.GetValue(accessKey)), ("operation", parseResult.GetValue(operation)),
                ("resource", parseResult.GetValue(resource)), ("sourceIp", parseResult.GetValue(sourceIp)), ("provider", parseResult.GetValue(provider)),
                ("account", parseResult.GetValue(account)), ("region", parseResult.GetValue(region)), ("errorCode", parseResult.GetValue(errorCode)),
                ("failed", parseResult.GetValue(errors) ? "true" : null),
                ("from", Iso(HuntCommand.ParseTime(parseResult.GetValue(from), "--from", now))), ("to", Iso(HuntCommand.ParseTime(parseResult.GetValue(to), "--to", now))),
                ("q", parseResult.GetValue(text)), ("limit", parseResult.GetValue(limit)?.ToString(CultureInfo.InvariantCulture)), ("after", parseResult.GetValue(after)));
            using var client = connection.Open(parseResult);
            var response = await client.GetAsync($"api/v1/incidents/{Uri.EscapeDataString(parseResult.GetValue(reference)!)}/events" + query, cancellationToken);
            if (parseResult.GetValue(json)) return connection.PrintJson(response);
            var page = response.Read<EventPage>();
            var console = connection.Context.Console;
            if (page.Items.Count == 0)
            {
                console.WriteLine("No events match.");
                return ExitCodes.Ok;
            }
            var table = new Table().Border(TableBorder.Rounded).AddColumns("Id", "Time (UTC)", "Operation", "Principal", "Access key", "Source IP", "Resource", "Error");
            foreach (var e in page.Items)
            {
                // Every field here is the log's text (an attacker's, perhaps): drawn as written, control characters shown escaped.
                static Text Cell(string text) => ConsoleText.Cell(HuntCommand.Visible(text));
                table.AddRow(Cell(e.Id.ToString(CultureInfo.InvariantCulture)), Cell(Seconds(e.Time)), Cell(e.Operation), Cell(e.Principal ?? "-"),
                    Cell(e.AccessKeyId ?? "-"), Cell(e.SourceIp ?? "-"), Cell(e.Resource ?? "-"), Cell(e.ErrorCode ?? ""));
            }
            console.Write(table);
            console.WriteLine(page.Next is null ? $"{page.Items.Count} event(s); last page." : $"{page.Items.Count} event(s); next page: --after {page.Next}");
            return ExitCodes.Ok;
        });
        return command;
    }

    private static string Seconds(DateTimeOffset at) => at.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture);

    private static string? Iso(DateTimeOffset? at) => at?.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fffffff'Z'", CultureInfo.InvariantCulture);
}
