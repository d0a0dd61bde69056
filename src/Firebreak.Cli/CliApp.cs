using System.CommandLine;
using System.CommandLine.Invocation;
using System.CommandLine.Parsing;
using Firebreak.Cli.Commands;
using Firebreak.Core.Common;

namespace Firebreak.Cli;

/// <summary>The `firebreak` command line: parses, runs one command, and turns every failure into a message and an exit code.</summary>
public static class CliApp
{
    public static Task<int> RunAsync(string[] args, TextWriter output, TextWriter error,
        IReadOnlyDictionary<string, string?>? environment = null, CancellationToken cancellationToken = default) =>
        RunAsync(args, new CliContext(output, error, environment), cancellationToken);

    public static async Task<int> RunAsync(string[] args, CliContext context, CancellationToken cancellationToken = default)
    {
        var root = BuildCommands(context);
        var parseResult = root.Parse(args);
        if (parseResult.Action is ParseErrorAction)
        {
            // The parser lists allowed values after tabs ("Must be one of: \t'low' \t'high'"), shown escaped otherwise.
            foreach (var parseError in parseResult.Errors) context.WriteError(string.Join(' ', parseError.Message.Split(['\t', ' ', '\r', '\n'], StringSplitOptions.RemoveEmptyEntries)));
            context.Error.WriteLine($"Run '{CommandPath(parseResult.CommandResult)} --help' for usage.");
            return ExitCodes.Usage;
        }
        try
        {
            return await parseResult.InvokeAsync(new InvocationConfiguration
            {
                Output = context.Output,
                Error = context.Error,
                // Failures are reported below as messages; a stack trace helps nobody running a command.
                EnableDefaultExceptionHandler = false,
                // serve's host handles Ctrl+C itself and shuts down gracefully.
                ProcessTerminationTimeout = null,
            }, cancellationToken);
        }
        catch (CliException e)
        {
            return Report(context, e.ExitCode, e.Message, e.FieldErrors);
        }
        catch (ValidationFailedException e)
        {
            return Report(context, ExitCodes.Usage, e.Message, e.Errors);
        }
        catch (DomainException e)
        {
            return Report(context, ExitCodes.Refused, e.Message, null);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            // Typically the database: unreachable, refused credentials, a folder that cannot be written.
            return Report(context, ExitCodes.Refused, Describe(e), null);
        }
    }

    /// <summary>An unforeseen failure in words: its message and, when it wraps another, the cause's. Drivers and SDKs keep secrets out of both.</summary>
    internal static string Describe(Exception e)
    {
        var cause = e.GetBaseException();
        return ReferenceEquals(cause, e) ? e.Message : $"{e.Message.TrimEnd('.')}: {cause.Message}";
    }

    internal static RootCommand BuildCommands(CliContext context)
    {
        var catalog = new CommandCatalog();
        var root = new RootCommand("Firebreak: cloud incident response. Run a server, administer it, work incidents and alerts from the shell, and simulate attacks.");
        catalog.AddExamples(root, "firebreak serve", "firebreak admin bootstrap", "firebreak incident list --help");
        root.Add(ServeCommand.Create(context, catalog));
        root.Add(DbCommands.Create(context, catalog));
        root.Add(AdminCommands.Create(context, catalog));
        root.Add(IncidentCommands.Create(context, catalog));
        root.Add(AlertCommands.Create(context, catalog));
        root.Add(EvidenceCommands.Create(context, catalog));
        root.Add(IndicatorCommands.Create(context, catalog));
        root.Add(DataLossCommands.Assets(context, catalog));
        root.Add(PostMortemCommands.Metrics(context, catalog));
        root.Add(ReportCommand.Create(context, catalog));
        root.Add(ResponseCommands.Create(context, catalog));
        root.Add(RecoveryCommands.Recovery(context, catalog));
        root.Add(RecoveryCommands.Escalation(context, catalog));
        root.Add(RecoveryCommands.BreakGlass(context, catalog));
        root.Add(PlaybookCommands.Create(context, catalog));
        root.Add(ThreatIntelCommands.Create(context, catalog));
        root.Add(SimulateCommand.Create(context, catalog));
        root.Add(HuntCommand.Create(context, catalog));
        root.Add(RulesCommands.Create(context, catalog));
        catalog.InstallHelp(root);
        return root;
    }

    private static int Report(CliContext context, int exitCode, string message, IReadOnlyDictionary<string, string[]>? fieldErrors)
    {
        context.WriteError(message);
        foreach (var (field, errors) in fieldErrors ?? new Dictionary<string, string[]>())
        {
            foreach (var error in errors) context.Error.WriteLine($"  {field}: {error}");
        }
        return exitCode;
    }

    private static string CommandPath(CommandResult result)
    {
        var names = new List<string>();
        for (SymbolResult? current = result; current is not null; current = current.Parent)
        {
            if (current is CommandResult command) names.Add(command.Command is RootCommand ? "firebreak" : command.Command.Name);
        }
        names.Reverse();
        return string.Join(' ', names);
    }
}
