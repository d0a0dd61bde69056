using System.CommandLine;
using System.CommandLine.Help;
using System.CommandLine.Invocation;

namespace Firebreak.Cli;

/// <summary>Creates commands and remembers their examples, which the help output prints after the options.</summary>
internal sealed class CommandCatalog
{
    private readonly Dictionary<Command, string[]> _examples = [];

    public Command Create(string name, string description, params string[] examples)
    {
        var command = new Command(name, description);
        _examples[command] = examples;
        return command;
    }

    public void AddExamples(Command command, params string[] examples) => _examples[command] = examples;

    /// <summary>Replaces the built-in help action with one that appends examples and the exit codes.</summary>
    public void InstallHelp(RootCommand root)
    {
        var help = root.Options.OfType<HelpOption>().Single();
        if (help.Action is HelpAction inner) help.Action = new ExampleHelpAction(inner, _examples);
    }

    private sealed class ExampleHelpAction(HelpAction inner, IReadOnlyDictionary<Command, string[]> examples) : SynchronousCommandLineAction
    {
        public override bool ClearsParseErrors => true;

        public override int Invoke(ParseResult parseResult)
        {
            inner.Invoke(parseResult);
            var output = parseResult.InvocationConfiguration.Output;
            if (examples.TryGetValue(parseResult.CommandResult.Command, out var lines) && lines.Length > 0)
            {
                output.WriteLine("Examples:");
                foreach (var line in lines) output.WriteLine("  " + line);
                output.WriteLine();
            }
            output.WriteLine(ExitCodes.HelpText);
            return ExitCodes.Ok;
        }
    }
}
