using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;
using Firebreak.Cli.Client;
using Firebreak.Core.Alerts;
using Firebreak.Core.Alerts.Formats;
using Firebreak.Core.Common;
using Spectre.Console;

namespace Firebreak.Cli.Commands;

/// <summary>Alert intake and the alert queue, over the server's HTTP API.</summary>
internal static class AlertCommands
{
    private static readonly string[] SuppressedValues = ["exclude", "include", "only"];

    public static Command Create(CliContext context, CommandCatalog catalog)
    {
        var alert = catalog.Create("alert",
            $"Send alerts to a Firebreak server and list its alert queue. Authenticate with an API key in {IncidentCommands.KeyVariable} (preferred) or --api-key.",
            $"export {IncidentCommands.KeyVariable}=fbk_...; firebreak alert send findings.json");
        var connection = new Connection(context);
        alert.Add(connection.Server);
        alert.Add(connection.ApiKey);
        alert.Add(Send(connection, catalog));
        alert.Add(List(connection, catalog));
        return alert;
    }

    private static Command Send(Connection connection, CommandCatalog catalog)
    {
        var command = catalog.Create("send",
            "Send a file of alerts in any intake format. Without --format the format is detected from the content. "
            + $"Files of more than {AlertPayload.ChunkSize:N0} alerts (generic JSON arrays or JSON lines, OCSF, CEF) are sent in chunks, "
            + "each with an Idempotency-Key derived from the chunk's content and number, so rerunning after a failure never stores an alert twice.",
            "firebreak alert send guardduty-findings.json",
            "firebreak alert send events.cef --format cef --json | jq '.alerts[].id'",
            "aws securityhub get-findings | firebreak alert send - --format asff");
        var file = new Argument<string>("file") { Description = "The file to send, or - to read standard input." };
        var formatNames = AlertFormats.All.Select(f => f.Name).ToArray();
        var format = new Option<string?>("--format")
        {
            Description = $"The payload's format: {string.Join(", ", formatNames)}. Detected when left out.",
            HelpName = "FORMAT",
            CustomParser = result =>
            {
                var text = result.Tokens.Single().Value;
                var match = formatNames.FirstOrDefault(n => string.Equals(n, text.Trim(), StringComparison.OrdinalIgnoreCase));
                if (match is null) result.AddError($"--format: '{text}' is not a known format. Use one of: {string.Join(", ", formatNames)}.");
                return match;
            },
        };
        var key = new Option<string?>("--idempotency-key")
        {
            Description = $"Sent as the Idempotency-Key header, so a retry returns the first result instead of storing again; chunks get KEY:1, KEY:2, ... (at most {AlertLimits.IdempotencyKeyLength - 10} characters).",
            HelpName = "KEY",
        };
        var json = new Option<bool>("--json") { Description = "Print the outcome as JSON, with every alert's id." };
        command.Add(file);
        command.Add(format);
        command.Add(key);
        command.Add(json);
        command.SetAction(async (parseResult, cancellationToken) =>
        {
            var path = parseResult.GetValue(file)!;
            var payload = await ReadAsync(connection.Context, path, cancellationToken);
            var chosen = parseResult.GetValue(format) ?? AlertPayload.Detect(payload.Span);
            var userKey = parseResult.GetValue(key);
            if (userKey is { Length: > AlertLimits.IdempotencyKeyLength - 10 })
                throw new CliException(ExitCodes.Usage, $"--idempotency-key must be at most {AlertLimits.IdempotencyKeyLength - 10} characters.");

            var chunks = AlertPayload.Split(chosen, payload);
            var endpoint = chosen == "generic" ? "api/v1/alerts/batch" : $"api/v1/alerts/intake/{chosen}";
            var mediaType = AlertFormats.Find(chosen)!.MediaType;

            // Checked here: the server resets the connection part-way through an oversized upload, which
            // would otherwise read as an unreachable server.
            if (chunks.FirstOrDefault(c => c.Body.Length > AlertLimits.MaxBodyBytes) is { } tooLarge)
            {
                throw new CliException(ExitCodes.Usage,
                    $"{(chunks.Count == 1 ? "The input" : "A chunk of the input")} is {tooLarge.Body.Length / (1024.0 * 1024):0.#} MiB; the server accepts at most {AlertLimits.MaxBodyBytes / (1024 * 1024)} MiB per request. "
                    + "Split the input into smaller files and send each one; generic JSON arrays or JSON lines, OCSF and CEF files are split automatically by alert count.");
            }

            using var client = connection.Open(parseResult, TimeSpan.FromMinutes(5));
            var results = await connection.Context.WithProgressAsync($"Sending {chosen} alerts", chunks.Count, async advance =>
            {
                var sent = new List<ChunkResult>();
                var first = 1;
                for (var i = 0; i < chunks.Count; i++)
                {
                    var chunkKey = chunks.Count == 1
                        ? userKey
                        : userKey is not null ? $"{userKey}:{i + 1}" : AlertPayload.ChunkKey(chunks[i].Body.Span, chosen, i + 1, chunks.Count);
                    ApiResponse response;
                    try
                    {
                        response = await client.PostPayloadAsync(endpoint, chunks[i].Body, mediaType, chunkKey, cancellationToken);
                    }
                    catch (CliException e) when (chunks.Count > 1)
                    {
                        var last = first + (chunks[i].Alerts ?? 0) - 1;
                        throw new CliException(e.ExitCode,
                            $"Chunk {i + 1} of {chunks.Count} (alerts {first:N0}-{last:N0}) failed: {e.Message}"
                            + (i > 0 ? $" The {i} chunk(s) before it were stored; after fixing the cause, rerun the same command: they are not stored twice." : ""),
                            e.FieldErrors);
                    }
                    var result = response.Read<IntakeResult>();
                    sent.Add(new ChunkResult(i + 1, chunkKey, result.Replayed, result.Alerts));
                    first += result.Alerts.Count;
                    advance();
                }
                return sent;
            });

            var summary = new SendSummary(chosen, results.Count,
                Received: results.Sum(r => r.Alerts.Count),
                Stored: results.Where(r => !r.Replayed).Sum(r => r.Alerts.Count(a => !a.Duplicate)),
                Duplicates: results.Where(r => !r.Replayed).Sum(r => r.Alerts.Count(a => a.Duplicate)),
                Suppressed: results.Where(r => !r.Replayed).Sum(r => r.Alerts.Count(a => a.Suppressed)),
                AlreadySent: results.Where(r => r.Replayed).Sum(r => r.Alerts.Count),
                results);
            if (parseResult.GetValue(json))
            {
                connection.Context.Output.WriteLine(JsonSerializer.Serialize(summary, FirebreakClient.Json));
                return ExitCodes.Ok;
            }
            var output = connection.Context.Output;
            output.WriteLine($"Sent {summary.Received:N0} alert(s) as {chosen}" + (summary.Chunks > 1 ? $" in {summary.Chunks} chunks." : "."));
            output.WriteLine($"  Stored:      {summary.Stored:N0} new");
            output.WriteLine($"  Duplicates:  {summary.Duplicates:N0} (already known; their occurrence count went up)");
            output.WriteLine($"  Suppressed:  {summary.Suppressed:N0}");
            if (summary.AlreadySent > 0)
                output.WriteLine($"  Already sent: {summary.AlreadySent:N0} (same Idempotency-Key as an earlier send; nothing stored again)");
            return ExitCodes.Ok;
        });
        return command;
    }

    private static Command List(Connection connection, CommandCatalog catalog)
    {
        var command = catalog.Create("list", "List alerts in the queue, most recently received first. Suppressed alerts are left out unless --suppressed says otherwise.",
            "firebreak alert list",
            "firebreak alert list --state new --min-severity high --source guardduty",
            "firebreak alert list --suppressed only --json | jq '.items[].id'");
        var state = IncidentCommands.EnumOption<TriageState>("--state", "Only alerts in this triage state");
        var minSeverity = IncidentCommands.EnumOption<AlertSeverity>("--min-severity", "Only alerts of this severity or higher");
        var source = new Option<string?>("--source") { Description = "Only alerts from this source (guardduty, defender, cef:vendor/product, ...).", HelpName = "SOURCE" };
        var text = new Option<string?>("--q") { Description = "Text to look for in the title.", HelpName = "TEXT" };
        var suppressed = new Option<string?>("--suppressed")
        {
            Description = "exclude (default), include or only suppressed alerts.",
            HelpName = "WHICH",
        };
        suppressed.OneOf(SuppressedValues);
        var page = new Option<int?>("--page") { Description = "Page number, from 1.", HelpName = "N" };
        var pageSize = new Option<int?>("--page-size") { Description = $"Alerts per page (1-{Paging.MaxPageSize}, default {Paging.DefaultPageSize}).", HelpName = "N" };
        var json = IncidentCommands.JsonOption();
        foreach (var option in new Option[] { state, minSeverity, source, text, suppressed, page, pageSize, json }) command.Add(option);
        command.SetAction(async (parseResult, cancellationToken) =>
        {
            var query = IncidentCommands.Query(
                ("state", parseResult.GetValue(state)), ("minSeverity", parseResult.GetValue(minSeverity)),
                ("source", parseResult.GetValue(source)), ("q", parseResult.GetValue(text)), ("suppressed", parseResult.GetValue(suppressed)),
                ("page", parseResult.GetValue(page)?.ToString(CultureInfo.InvariantCulture)),
                ("pageSize", parseResult.GetValue(pageSize)?.ToString(CultureInfo.InvariantCulture)));
            using var client = connection.Open(parseResult);
            var response = await client.GetAsync("api/v1/alerts" + query, cancellationToken);
            if (parseResult.GetValue(json)) return connection.PrintJson(response);

            var result = response.Read<PagedResult<AlertSummary>>();
            var console = connection.Context.Console;
            if (result.Items.Count == 0)
            {
                console.WriteLine(result.Total == 0 ? "No alerts match." : $"No alerts on page {result.Page} ({result.Total} match in all).");
                return ExitCodes.Ok;
            }
            var table = new Table().Border(TableBorder.Rounded)
                .AddColumns("Id", "Severity", "State", "Source", "Title", "Seen", "Last received (UTC)");
            foreach (var a in result.Items)
            {
                table.AddRow(
                    new Text(a.Id.ToString()),
                    new Markup(SeverityMarkup(a.Severity)),
                    new Text(IncidentCommands.Name(a.TriageState) + (a.Suppressed ? " (suppressed)" : "")),
                    new Text(a.Source),
                    new Text(a.Title),
                    new Text(a.OccurrenceCount.ToString(CultureInfo.InvariantCulture) + "x"),
                    new Text(IncidentCommands.Time(a.LastReceivedAt)));
            }
            console.Write(table);
            var pages = Math.Max(1, (int)Math.Ceiling(result.Total / (double)result.PageSize));
            console.WriteLine(result.TotalIsLowerBound
                ? $"Page {result.Page} of {pages}+; more than {result.Total} alerts match (narrow the filter to count them)."
                : $"Page {result.Page} of {pages}; {result.Total} alert(s) match.");
            return ExitCodes.Ok;
        });
        return command;
    }

    private static async Task<ReadOnlyMemory<byte>> ReadAsync(CliContext context, string path, CancellationToken cancellationToken)
    {
        byte[] bytes;
        try
        {
            if (path == "-")
            {
                using var buffer = new MemoryStream();
                await context.OpenInput().CopyToAsync(buffer, cancellationToken);
                bytes = buffer.ToArray();
            }
            else
            {
                bytes = await File.ReadAllBytesAsync(path, cancellationToken);
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new CliException(ExitCodes.Usage, $"Cannot read '{path}': {e.Message}");
        }
        if (bytes.AsSpan().Trim(" \t\r\n"u8).IsEmpty)
            throw new CliException(ExitCodes.Usage, path == "-" ? "Standard input is empty: nothing to send." : $"'{path}' is empty: nothing to send.");
        return bytes;
    }

    private static string SeverityMarkup(AlertSeverity severity) => severity switch
    {
        AlertSeverity.Critical => "[bold red]critical[/]",
        AlertSeverity.High => "[red]high[/]",
        AlertSeverity.Medium => "[yellow]medium[/]",
        _ => IncidentCommands.Name(severity),
    };

    private sealed record ChunkResult(int Number, string? IdempotencyKey, bool Replayed, [property: JsonIgnore] IReadOnlyList<IntakeOutcome> Alerts)
    {
        public int AlertCount => Alerts.Count;
    }

    private sealed record SendSummary(string Format, int Chunks, int Received, int Stored, int Duplicates, int Suppressed, int AlreadySent,
        [property: JsonPropertyName("chunkResults")] IReadOnlyList<ChunkResult> Results)
    {
        /// <summary>Every alert's outcome in file order, for scripts that only want the ids.</summary>
        public IEnumerable<IntakeOutcome> Alerts => Results.SelectMany(r => r.Alerts);
    }
}
