using System.CommandLine;
using System.Globalization;
using Firebreak.Core.ManagementPlane;
using Spectre.Console;

namespace Firebreak.Cli.Commands;

/// <summary><c>firebreak incident check</c>: the management-plane check of an incident.</summary>
internal static class ManagementPlaneCommands
{
    public static Command Check(Connection connection, CommandCatalog catalog)
    {
        var command = catalog.Create("check",
            "Show the newest management-plane check of an incident (is logging and detection intact, was root or a break-glass account used, "
            + "were identities, keys, trust or the account boundary changed), or run it again with --run. Failing items do not change the exit code: "
            + "0 when a check is shown, 1 when none has run or the server refused.",
            "firebreak incident check INC-2026-0042",
            "firebreak incident check INC-2026-0042 --run",
            "firebreak incident check INC-2026-0042 --run --from 2026-03-01T00:00:00Z --to 2026-03-08T00:00:00Z --json",
            "firebreak incident check INC-2026-0042 --review \"CloudTrail restarted at 10:02; the new user is ours\"");
        var reference = CliArguments.Incident();
        var run = new Option<bool>("--run") { Description = "Run the check now over the incident's events (responder role)." };
        var from = new Option<string?>("--from") { Description = "With --run: only events at or after this time (ISO 8601 or an age such as 7d); default the first event.", HelpName = "T" };
        var to = new Option<string?>("--to") { Description = "With --run: only events before this time; default just after the last event.", HelpName = "T" };
        var review = new Option<string?>("--review") { Description = "Record that you reviewed the newest check, with this note (responder role).", HelpName = "NOTE" };
        var json = IncidentCommands.JsonOption();
        command.Add(reference);
        foreach (var option in new Option[] { run, from, to, review, json }) command.Add(option);
        command.Validators.Add(result =>
        {
            if (!result.GetValue(run) && (result.GetValue(from) is not null || result.GetValue(to) is not null))
                result.AddError("--from and --to choose the window of a new run; give --run with them.");
            if (result.GetValue(run) && result.GetValue(review) is not null)
                result.AddError("Review a check after reading it: --run and --review cannot be combined.");
        });
        command.SetAction(async (parseResult, cancellationToken) =>
        {
            var now = TimeProvider.System.GetUtcNow();
            var key = Uri.EscapeDataString(parseResult.GetValue(reference)!);
            var path = $"api/v1/incidents/{key}/management-plane";
            using var client = connection.Open(parseResult);
            Client.ApiResponse response;
            if (parseResult.GetValue(run))
            {
                var body = new RunCheck(HuntCommand.ParseTime(parseResult.GetValue(from), "--from", now), HuntCommand.ParseTime(parseResult.GetValue(to), "--to", now));
                response = await client.PostAsync($"{path}/checks", body, cancellationToken);
            }
            else
            {
                var latest = await client.GetOptionalAsync($"{path}/checks/latest", cancellationToken);
                if (latest is null)
                {
                    // Tells a missing incident (refused here) from an incident without a check.
                    await client.GetAsync($"{path}/checks", cancellationToken);
                    throw new CliException(ExitCodes.Refused, $"No management-plane check has run on {parseResult.GetValue(reference)} yet; run one with --run.");
                }
                response = latest;
                if (parseResult.GetValue(review) is { } note)
                {
                    var shown = latest.Read<CheckRunView>();
                    response = await client.SendJsonAsync(HttpMethod.Post, $"{path}/checks/{shown.Id}/review", new ReviewCheck(note), shown.Version, cancellationToken);
                }
            }
            if (parseResult.GetValue(json)) return connection.PrintJson(response);
            var check = response.Read<CheckRunView>();
            var readiness = (await client.GetAsync($"{path}/readiness", cancellationToken)).Read<ContainmentReadiness>();
            Print(connection.Context.Console, check, readiness);
            return ExitCodes.Ok;
        });
        return command;
    }

    private static void Print(IAnsiConsole console, CheckRunView check, ContainmentReadiness readiness)
    {
        var window = check.WindowFrom is { } f && check.WindowTo is { } t ? $"{Time(f)} to {Time(t)}" : "no events";
        console.WriteLine($"Management-plane check {check.Id}, {IncidentCommands.Name(check.Trigger)} run by {check.RunBy} at {Time(check.RanAt)}");
        console.WriteLine($"Window: {window}; {check.EventsInWindow.ToString("N0", CultureInfo.InvariantCulture)} events. {check.Passed} pass, {check.Failed} fail, {check.Unknown} unknown.");
        var table = new Table().Border(TableBorder.Rounded).AddColumns("Item", "Status", "Evidence", "Detail");
        foreach (var item in check.Items)
        {
            var status = item.Status switch
            {
                CheckStatus.Fail => "[bold red]fail[/]",
                CheckStatus.Unknown => "[yellow]unknown[/]",
                CheckStatus.Pass => "[green]pass[/]",
                _ => "[grey]not applicable[/]",
            };
            var evidence = item.EvidenceCount == 0 ? "-" : $"{item.EvidenceCount} (ids {string.Join(", ", item.Evidence.Take(5))}{(item.EvidenceCount > 5 ? ", ..." : "")})";
            table.AddRow(new Text($"{item.Id}\n{item.Question}"), new Markup(status), new Text(evidence), new Text(item.Detail));
        }
        console.Write(table);
        console.WriteLine(check.ReviewedAt is { } at
            ? $"Reviewed by {check.ReviewedBy} at {Time(at)}" + (check.ReviewNote is { } note ? $": {note}" : ".")
            : "Not reviewed yet: review it with --review NOTE.");
        foreach (var warning in readiness.Warnings) console.MarkupLine("[yellow]" + Markup.Escape(warning) + "[/]");
    }

    private static string Time(DateTimeOffset at) => at.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss'Z'", CultureInfo.InvariantCulture);
}
