using System.CommandLine;
using Firebreak.Detection.Rules;
using Firebreak.Detection.Sigma;

namespace Firebreak.Cli.Commands;

/// <summary>The --rules / --no-builtin options shared by hunt and the rules commands, and loading what they name.</summary>
internal sealed class RuleSources
{
    public Option<string[]> Directories { get; } = new("--rules")
    {
        Description = "A folder of Sigma rules (.yml/.yaml, read recursively) or one rule file (a pipe too: --rules <(curl ...)); repeat for several. Added to the built-in pack.",
        HelpName = "DIR|FILE",
        Arity = ArgumentArity.ZeroOrMore,
    };

    public Option<bool> NoBuiltIn { get; } = new("--no-builtin") { Description = "Leave out Firebreak's built-in rule pack." };

    public void AddTo(Command command, bool withNoBuiltIn = true)
    {
        command.Add(Directories);
        if (withNoBuiltIn) command.Add(NoBuiltIn);
    }

    /// <summary>
    /// Parses every rule. A folder that cannot be read is a usage error; a broken rule file is only a
    /// diagnostic (its file named with the folder), so the other rules still run.
    /// </summary>
    public SigmaParseResult Load(ParseResult parseResult, bool includeBuiltIn = true)
    {
        var results = new List<SigmaParseResult>();
        if (includeBuiltIn && !parseResult.GetValue(NoBuiltIn)) results.Add(BuiltInRules.Load());
        foreach (var directory in parseResult.GetValue(Directories) ?? [])
        {
            if (!Directory.Exists(directory))
            {
                // One file named on its own is read whatever it is, a pipe included, as a log named on its own is.
                if (!File.Exists(directory)) throw new CliException(ExitCodes.Usage, $"--rules {directory}: no such folder or file.");
                results.Add(SigmaRuleLoader.LoadFile(directory));
                continue;
            }

            SigmaParseResult loaded;
            try
            {
                loaded = SigmaRuleLoader.LoadDirectory(directory);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                throw new CliException(ExitCodes.Usage, $"--rules {directory}: {e.Message}");
            }

            results.Add(new SigmaParseResult(
                loaded.Documents.Select(d => d with { Source = d.Source with { File = Path.Combine(directory, d.Source.File) } }).ToList(),
                loaded.Diagnostics.Select(d => d with { File = Path.Combine(directory, d.File) }).ToList()));
        }

        if (results.Count == 0) throw new CliException(ExitCodes.Usage, "No rules: give --rules DIR, or drop --no-builtin.");
        return SigmaRuleLoader.Merge(results);
    }

    /// <summary>
    /// The house format for a rule problem: file:line: severity code: message. Control characters from a rule file or
    /// its name are shown escaped, so a hostile rule cannot drive the terminal (set its title, clear the screen).
    /// </summary>
    public static string Format(SigmaDiagnostic d) => HuntCommand.Visible($"{d.File}:{d.Line}: {d.Severity.ToString().ToLowerInvariant()} {d.Code}: {d.Message}");
}
