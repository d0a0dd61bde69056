using System.CommandLine;
using Firebreak.Cli.Client;
using Firebreak.Core.PostMortem.Reports;
using Spectre.Console;

namespace Firebreak.Cli.Commands;

/// <summary>An incident's report as a file (PDF, HTML or Markdown), over the server's HTTP API.</summary>
internal static class ReportCommand
{
    private static readonly string[] Formats = ["pdf", "html", "md"];

    public static Command Create(CliContext context, CommandCatalog catalog)
    {
        var command = catalog.Create("report",
            $"Write an incident's report to a file: executive summary, timeline, scope, actions, evidence with hashes, metrics and the review. The download is recorded in the incident's audit trail. Authenticate with an API key in {IncidentCommands.KeyVariable} (preferred) or --api-key.",
            "firebreak report INC-2026-0042 --format pdf",
            "firebreak report INC-2026-0042 --format md --output review.md --force");
        var connection = new Connection(context);
        var incident = CliArguments.Incident("incident");
        var format = new Option<string>("--format")
        {
            Description = $"The file's format: {string.Join(", ", Formats)} (default pdf).",
            HelpName = "FORMAT",
            DefaultValueFactory = _ => "pdf",
            CustomParser = result =>
            {
                var text = result.Tokens.Single().Value;
                var match = Formats.FirstOrDefault(v => string.Equals(v, text.Trim(), StringComparison.OrdinalIgnoreCase));
                if (match is null) result.AddError($"--format: '{text}' is not valid. Use one of: {string.Join(", ", Formats)}.");
                return match ?? "";
            },
        };
        var output = new Option<string?>("--output", "-o") { Description = "Where to write the report (default: <incident>-report.<format> in the current folder).", HelpName = "FILE" };
        var force = new Option<bool>("--force") { Description = "Replace the --output file if it exists." };
        command.Add(incident);
        foreach (var option in new Option[] { format, output, force, connection.Server, connection.ApiKey }) command.Add(option);
        command.SetAction(async (parseResult, cancellationToken) =>
        {
            var key = parseResult.GetValue(incident)!.Trim();
            if (key.Length == 0) throw new CliException(ExitCodes.Usage, "Name the incident: its reference (INC-2026-0042) or id.");
            var chosen = ReportFormats.Parse(parseResult.GetValue(format))!.Value;
            var target = parseResult.GetValue(output) ?? ReportText.FileName(key.ToUpperInvariant(), chosen);
            using var client = connection.Open(parseResult);
            var size = await EvidenceCommands.SaveAsync(context, target, parseResult.GetValue(force), "Building the report", client,
                FirebreakClient.Get($"api/v1/incidents/{Uri.EscapeDataString(key)}/report?format={ReportFormats.Name(chosen)}"), cancellationToken);
            context.Console.MarkupLine($"Wrote [bold]{Markup.Escape(target)}[/] ({size:N0} bytes).");
            return ExitCodes.Ok;
        });
        return command;
    }
}
