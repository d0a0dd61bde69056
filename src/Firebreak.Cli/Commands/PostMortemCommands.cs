using System.CommandLine;
using System.Globalization;
using Firebreak.Cli.Client;
using Firebreak.Core.Common;
using Firebreak.Core.Incidents;
using Firebreak.Core.PostMortem;
using Spectre.Console;
using static Firebreak.Cli.Commands.IncidentCommands;

namespace Firebreak.Cli.Commands;

/// <summary>The post-mortem from the shell: the review record, follow-up actions, response-time trends.</summary>
internal static class PostMortemCommands
{
    private sealed record Answer(string Option, string Field, string Label);

    /// <summary>The review's answers: option, API field, and the question as the UI asks it.</summary>
    private static readonly Answer[] Answers =
    [
        new("--summary", "summary", "Summary"),
        new("--root-cause", "rootCause", "Root cause"),
        new("--went-well", "whatWentWell", "What went well?"),
        new("--could-be-better", "couldBeBetter", "What could have been done better?"),
        new("--detect-sooner", "detectSooner", "Could the attack have been detected sooner?"),
        new("--additional-data", "additionalData", "What additional data would have helped?"),
        new("--process-change-needed", "processChangeNeeded", "Does the process need to change?"),
        new("--process-changes", "processChanges", "Process changes"),
        new("--provider-sla", "providerSla", "Was the provider's response within its SLA?"),
        new("--lessons", "lessonsLearned", "Lessons learned"),
    ];

    public static Command Review(Connection connection, CommandCatalog catalog)
    {
        var review = catalog.Create("review", "Read or write an incident's post-incident review (closing an incident needs one).",
            "firebreak incident review show INC-2026-0042",
            "firebreak incident review set INC-2026-0042 --summary \"Key leaked in a public repo\" --root-cause \"No secret scanning\"");
        review.Add(ShowReview(connection, catalog));
        review.Add(SetReview(connection, catalog));
        return review;
    }

    private static Command ShowReview(Connection connection, CommandCatalog catalog)
    {
        var command = catalog.Create("show", "Show the review's answers.",
            "firebreak incident review show INC-2026-0042",
            "firebreak incident review show INC-2026-0042 --json | jq .rootCause");
        var reference = CliArguments.Incident();
        var json = JsonOption();
        command.Add(reference);
        command.Add(json);
        command.SetAction(async (parseResult, cancellationToken) =>
        {
            using var client = connection.Open(parseResult);
            var response = await client.GetAsync($"api/v1/incidents/{Key(parseResult, reference)}/review", cancellationToken);
            if (parseResult.GetValue(json)) return connection.PrintJson(response);
            WriteReview(connection.Context.Console, response.Read<ReviewView>());
            return ExitCodes.Ok;
        });
        return command;
    }

    private static Command SetReview(Connection connection, CommandCatalog catalog)
    {
        var command = catalog.Create("set",
            "Write answers to the review. Answers not given keep what the review says; an empty string clears one. The first write needs --summary. " +
            "The write is refused if someone else changed the review since it was read.",
            "firebreak incident review set INC-2026-0042 --summary \"Key leaked in a public repo\" --lessons \"Scan every push\"",
            "firebreak incident review set INC-2026-0042 --detect-sooner \"Yes: the provider's notice came 2 h earlier\" --provider-sla \"No, 3 h late\"");
        var reference = CliArguments.Incident();
        var options = Answers.Select(a => new Option<string?>(a.Option) { Description = a.Label, HelpName = "TEXT" }).ToList();
        var json = JsonOption();
        command.Add(reference);
        foreach (var option in options) command.Add(option);
        command.Add(json);
        command.SetAction(async (parseResult, cancellationToken) =>
        {
            var body = new Dictionary<string, object?>();
            for (var i = 0; i < Answers.Length; i++)
            {
                if (parseResult.GetValue(options[i]) is { } value) body[Answers[i].Field] = value;
            }
            if (body.Count == 0) throw new CliException(ExitCodes.Usage, "Give at least one answer, such as --summary or --root-cause.");
            using var client = connection.Open(parseResult);
            var key = Key(parseResult, reference);
            // The incident first, so a wrong reference says so rather than "no review yet".
            await client.GetAsync($"api/v1/incidents/{key}", cancellationToken);
            var current = (await client.GetOptionalAsync($"api/v1/incidents/{key}/review", cancellationToken))?.Read<ReviewView>();
            if (!body.ContainsKey("summary"))
            {
                body["summary"] = current?.Summary
                    ?? throw new CliException(ExitCodes.Usage, "This incident has no review yet: the first write needs --summary.");
            }
            var response = await client.SendJsonAsync(HttpMethod.Put, $"api/v1/incidents/{key}/review", body, current?.Version, cancellationToken);
            if (parseResult.GetValue(json)) return connection.PrintJson(response);
            connection.Context.Console.MarkupLine(current is null ? "Review recorded." : "Review updated.");
            WriteReview(connection.Context.Console, response.Read<ReviewView>());
            return ExitCodes.Ok;
        });
        return command;
    }

    public static Command FollowUps(Connection connection, CommandCatalog catalog)
    {
        var group = catalog.Create("followups", "Track the follow-up actions a review agreed on, across incidents, until done.",
            "firebreak incident followups list --overdue",
            "firebreak incident followups add INC-2026-0042 --title \"Enable secret scanning\" --due 2026-12-15");
        group.Add(ListFollowUps(connection, catalog));
        group.Add(AddFollowUp(connection, catalog));
        group.Add(SetFollowUpStatus(connection, catalog));
        return group;
    }

    private static Command ListFollowUps(Connection connection, CommandCatalog catalog)
    {
        var command = catalog.Create("list",
            "List follow-up actions: those of one incident when a reference is given, else every incident's that are not done (or have --status). Overdue ones are flagged.",
            "firebreak incident followups list",
            "firebreak incident followups list --overdue --json",
            "firebreak incident followups list INC-2026-0042");
        var reference = new Argument<string?>("ref") { Description = "Incident reference or id; leave out for every incident.", Arity = ArgumentArity.ZeroOrOne };
        var status = EnumOption<FollowUpStatus>("--status", "Only follow-ups with this status (across incidents)");
        var overdue = new Option<bool>("--overdue") { Description = "Only overdue follow-ups (across incidents)." };
        var json = JsonOption();
        command.Add(reference);
        command.Add(status);
        command.Add(overdue);
        command.Add(json);
        command.SetAction(async (parseResult, cancellationToken) =>
        {
            using var client = connection.Open(parseResult);
            IReadOnlyList<FollowUpView> items;
            ApiResponse response;
            if (parseResult.GetValue(reference) is { } r)
            {
                response = await client.GetAsync($"api/v1/incidents/{Uri.EscapeDataString(r)}/follow-ups", cancellationToken);
                if (parseResult.GetValue(json)) return connection.PrintJson(response);
                items = response.Read<List<FollowUpView>>();
            }
            else
            {
                response = await client.GetAsync("api/v1/follow-ups" + Query(("status", parseResult.GetValue(status)),
                    ("overdue", parseResult.GetValue(overdue) ? "true" : null), ("pageSize", Paging.MaxPageSize.ToString(CultureInfo.InvariantCulture))), cancellationToken);
                if (parseResult.GetValue(json)) return connection.PrintJson(response);
                items = response.Read<PagedResult<FollowUpView>>().Items;
            }
            var console = connection.Context.Console;
            if (items.Count == 0)
            {
                console.WriteLine("No follow-up actions.");
                return ExitCodes.Ok;
            }
            var table = new Table().Border(TableBorder.Rounded).AddColumns("Id", "Incident", "Action", "Owner", "Due", "Status");
            foreach (var f in items)
            {
                table.AddRow(new Text(f.Id.ToString()), new Text(f.Incident.Reference), new Text(f.Title), new Text(f.Owner?.DisplayName ?? "-"),
                    new Markup(f.DueOn is { } due ? Markup.Escape(due.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture)) + (f.Overdue ? " [bold red]OVERDUE[/]" : "") : "-"),
                    new Text(Name(f.Status)));
            }
            console.Write(table);
            console.WriteLine($"{items.Count} follow-up action(s); {items.Count(f => f.Overdue)} overdue.");
            return ExitCodes.Ok;
        });
        return command;
    }

    private static Command AddFollowUp(Connection connection, CommandCatalog catalog)
    {
        var command = catalog.Create("add", "Add a follow-up action to an incident.",
            "firebreak incident followups add INC-2026-0042 --title \"Rotate every key\" --owner 0b6f... --due 2026-12-15");
        var reference = CliArguments.Incident();
        var title = new Option<string>("--title") { Description = "What is to be done.", Required = true, HelpName = "TEXT" };
        var owner = new Option<Guid?>("--owner") { Description = "The user id of its owner.", HelpName = "USER-ID" };
        var due = new Option<DateOnly?>("--due") { Description = "Due date, YYYY-MM-DD.", HelpName = "DATE" };
        var notes = new Option<string?>("--notes") { Description = "Notes.", HelpName = "TEXT" };
        var json = JsonOption();
        foreach (var symbol in new Symbol[] { reference, title, owner, due, notes, json }) Add(command, symbol);
        command.SetAction(async (parseResult, cancellationToken) =>
        {
            using var client = connection.Open(parseResult);
            var body = new Dictionary<string, object?> { ["title"] = parseResult.GetValue(title) };
            if (parseResult.GetValue(owner) is { } o) body["ownerId"] = o;
            if (parseResult.GetValue(due) is { } d) body["dueOn"] = d;
            if (parseResult.GetValue(notes) is { } n) body["notes"] = n;
            var response = await client.PostAsync($"api/v1/incidents/{Key(parseResult, reference)}/follow-ups", body, cancellationToken);
            if (parseResult.GetValue(json)) return connection.PrintJson(response);
            var added = response.Read<FollowUpView>();
            connection.Context.Console.WriteLine($"Added follow-up {added.Id} to {added.Incident.Reference}.");
            return ExitCodes.Ok;
        });
        return command;
    }

    private static Command SetFollowUpStatus(Connection connection, CommandCatalog catalog)
    {
        var command = catalog.Create("set-status", "Move a follow-up action to open, in-progress or done.",
            "firebreak incident followups set-status INC-2026-0042 3f2b... --status done");
        var reference = CliArguments.Incident();
        var id = new Argument<Guid>("id") { Description = "The follow-up action's id (from 'followups list')." };
        var status = EnumOption<FollowUpStatus>("--status", "The new status");
        status.Required = true;
        var json = JsonOption();
        foreach (var symbol in new Symbol[] { reference, id, status, json }) Add(command, symbol);
        command.SetAction(async (parseResult, cancellationToken) =>
        {
            using var client = connection.Open(parseResult);
            var response = await client.SendJsonAsync(HttpMethod.Patch, $"api/v1/incidents/{Key(parseResult, reference)}/follow-ups/{parseResult.GetValue(id)}",
                new { status = parseResult.GetValue(status) }, null, cancellationToken);
            if (parseResult.GetValue(json)) return connection.PrintJson(response);
            var updated = response.Read<FollowUpView>();
            connection.Context.Console.WriteLine($"{updated.Title}: {Name(updated.Status)}.");
            return ExitCodes.Ok;
        });
        return command;
    }

    public static Command Metrics(CliContext context, CommandCatalog catalog)
    {
        var command = catalog.Create("metrics",
            "Mean times to detect, escalate, contain and recover (MTTD, MTTE, MTTC, MTTR) across incidents, per month or week. " +
            $"Authenticate with an API key in {KeyVariable} (preferred) or --api-key.",
            "firebreak metrics",
            "firebreak metrics --from 2026-01-01 --to 2026-07-01 --bucket week --group-by severity",
            "firebreak metrics --category compromised-credentials --json");
        var connection = new Connection(context);
        var from = new Option<DateTimeOffset?>("--from") { Description = "Incidents detected from this time (UTC; default: eleven months before the current month).", HelpName = "DATE" };
        var to = new Option<DateTimeOffset?>("--to") { Description = "Up to this time, not included (default: now).", HelpName = "DATE" };
        var severity = EnumOption<Severity>("--severity", "Only incidents of this severity");
        var category = EnumOption<IncidentCategory>("--category", "Only incidents of this category");
        var bucket = EnumOption<TrendBucket>("--bucket", "Time bucket (default month)");
        var groupBy = EnumOption<TrendGrouping>("--group-by", "One series per severity or category (default none)");
        var json = JsonOption();
        foreach (var option in new Option[] { connection.Server, connection.ApiKey, from, to, severity, category, bucket, groupBy, json }) command.Add(option);
        command.SetAction(async (parseResult, cancellationToken) =>
        {
            using var client = connection.Open(parseResult);
            static string? Iso(DateTimeOffset? at) => at?.ToUniversalTime().ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture);
            var response = await client.GetAsync("api/v1/metrics/response-times" + Query(("from", Iso(parseResult.GetValue(from))), ("to", Iso(parseResult.GetValue(to))),
                ("severity", parseResult.GetValue(severity)), ("category", parseResult.GetValue(category)), ("bucket", parseResult.GetValue(bucket)),
                ("groupBy", parseResult.GetValue(groupBy))), cancellationToken);
            if (parseResult.GetValue(json)) return connection.PrintJson(response);
            var trends = response.Read<ResponseTrends>();
            var console = connection.Context.Console;
            console.WriteLine($"{trends.Incidents} incident(s) detected from {Time(trends.From)} to {Time(trends.To)} UTC, per {Name(trends.Bucket)}.");
            var table = new Table().Border(TableBorder.Rounded).AddColumns("Series", "Bucket", "Incidents", "MTTD", "MTTE", "MTTC", "MTTR");
            foreach (var s in trends.Series)
            {
                var name = s.Severity is { } sev ? Name(sev) : s.Category is { } cat ? Name(cat) : "all";
                table.AddRow(name, "all", s.Incidents.ToString(CultureInfo.InvariantCulture), Cell(s.Mttd), Cell(s.Mtte), Cell(s.Mttc), Cell(s.Mttr));
                foreach (var p in s.Points.Where(p => p.Incidents > 0))
                {
                    table.AddRow(name, p.Start.ToString(trends.Bucket == TrendBucket.Week ? "yyyy-MM-dd" : "yyyy-MM", CultureInfo.InvariantCulture),
                        p.Incidents.ToString(CultureInfo.InvariantCulture), Cell(p.Mttd), Cell(p.Mtte), Cell(p.Mttc), Cell(p.Mttr));
                }
            }
            console.Write(table);
            console.WriteLine("Each cell: the mean (d.hh:mm:ss) and, in brackets, how many incidents it is over.");
            return ExitCodes.Ok;
        });
        return command;
    }

    private static string Cell(MeanTime m) => m.Mean is { } mean ? $"{mean.ToString("c", CultureInfo.InvariantCulture)} ({m.Count})" : "-";

    private static void WriteReview(IAnsiConsole console, ReviewView review)
    {
        var grid = new Grid().AddColumn(new GridColumn().NoWrap()).AddColumn();
        foreach (var answer in Answers)
        {
            var value = answer.Field switch
            {
                "summary" => review.Summary,
                "rootCause" => review.RootCause,
                "whatWentWell" => review.WhatWentWell,
                "couldBeBetter" => review.CouldBeBetter,
                "detectSooner" => review.DetectSooner,
                "additionalData" => review.AdditionalData,
                "processChangeNeeded" => review.ProcessChangeNeeded,
                "processChanges" => review.ProcessChanges,
                "providerSla" => review.ProviderSla,
                _ => review.LessonsLearned,
            };
            grid.AddRow(new Text(answer.Label), new Text(string.IsNullOrEmpty(value) ? "-" : value));
        }
        grid.AddRow(new Text("Last written"), new Text($"{Time(review.UpdatedAt)} UTC by {review.ReviewedBy} (version {review.Version})"));
        console.Write(grid);
    }

    private static string Key(ParseResult parseResult, Argument<string> reference) => Uri.EscapeDataString(parseResult.GetValue(reference)!);

    private static void Add(Command command, Symbol symbol)
    {
        if (symbol is Argument argument) command.Add(argument);
        else command.Add((Option)symbol);
    }
}
