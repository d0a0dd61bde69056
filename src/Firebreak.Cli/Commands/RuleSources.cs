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
        // Each --rules takes a value: an empty one (--rules $UNSET) is a usage error, not a hunt without the rules.
        Arity = ArgumentArity.OneOrMore,
    };

    public Option<bool> NoBuiltIn { get; } = new("--no-builtin") { Description = "Leave out Firebreak's built-in rule pack." };

    public void AddTo(Command command, bool withNoBuiltIn = true)
    {
        command.Add(Directories);
        if (withNoBuiltIn) command.Add(NoBuiltIn);
    }

    /// <summary>
    /// Parses every rule. A folder that cannot be read, or holds no rule file, is a usage error; a broken rule file is
    /// only a diagnostic (its file named with the folder), so the other rules still run. A rule file reached twice (the
    /// same folder named twice, a folder and a file in it, a folder and its sub-folder) is read once, so no hit is
    /// reported twice, whether or not its rules have ids.
    /// </summary>
    public SigmaParseResult Load(ParseResult parseResult, bool includeBuiltIn = true)
    {
        var results = new List<SigmaParseResult>();
        var loaded = new HashSet<string>(StringComparer.Ordinal);
        if (includeBuiltIn && !parseResult.GetValue(NoBuiltIn)) results.Add(BuiltInRules.Load());
        foreach (var directory in parseResult.GetValue(Directories) ?? [])
        {
            if (!Directory.Exists(directory))
            {
                // One file named on its own is read whatever it is, a pipe included, as a log named on its own is.
                if (!File.Exists(directory)) throw new CliException(ExitCodes.Usage, $"--rules {directory}: no such folder or file.");
                if (loaded.Add(RealPath(directory))) results.Add(SigmaRuleLoader.LoadFile(directory));
                continue;
            }

            SigmaParseResult folder;
            try
            {
                folder = SigmaRuleLoader.LoadDirectory(directory);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                throw new CliException(ExitCodes.Usage, $"--rules {directory}: {e.Message}");
            }

            // A mistyped or moved rules folder must not pass a check (rules test, rules lint) or a hunt as if it were hunted.
            if (folder.Documents.Count == 0 && folder.Diagnostics.Count == 0)
                throw new CliException(ExitCodes.Usage, $"--rules {directory}: no rule file (.yml, .yaml) in the folder.");

            // Files this folder shares with a folder or file named before it are left to the first.
            var files = folder.Documents.Select(d => d.Source.File).Concat(folder.Diagnostics.Select(d => d.File)).Distinct(StringComparer.Ordinal)
                .ToDictionary(f => f, f => RealPath(Path.Combine(directory, f)), StringComparer.Ordinal);
            var fresh = files.Where(f => !loaded.Contains(f.Value)).Select(f => f.Key).ToHashSet(StringComparer.Ordinal);
            loaded.UnionWith(files.Values);
            var repeated = files.Count - fresh.Count;
            results.Add(new SigmaParseResult(
                folder.Documents.Where(d => fresh.Contains(d.Source.File)).Select(d => d with { Source = d.Source with { File = Path.Combine(directory, d.Source.File) } }).ToList(),
                [.. folder.Diagnostics.Where(d => fresh.Contains(d.File)).Select(d => d with { File = Path.Combine(directory, d.File) }),
                 .. repeated == 0 ? [] : new[] { new SigmaDiagnostic(directory, 1, 1, DiagnosticSeverity.Warning, "file",
                     $"{repeated} rule file(s) here were already named by an earlier --rules; each is read once") }]));
        }

        if (results.Count == 0) throw new CliException(ExitCodes.Usage, "No rules: give --rules DIR, or drop --no-builtin.");
        return SigmaRuleLoader.Merge(results);
    }

    /// <summary>A file's full path with links followed, so that one file reached by two names is known as one.</summary>
    private static string RealPath(string path)
    {
        var full = Path.GetFullPath(path);
        try
        {
            return File.ResolveLinkTarget(full, returnFinalTarget: true)?.FullName ?? full;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return full;
        }
    }

    /// <summary>
    /// The house format for a rule problem: file:line: severity code: message. Control characters from a rule file or
    /// its name are shown escaped, so a hostile rule cannot drive the terminal (set its title, clear the screen).
    /// </summary>
    public static string Format(SigmaDiagnostic d) => HuntCommand.Visible($"{d.File}:{d.Line}: {d.Severity.ToString().ToLowerInvariant()} {d.Code}: {d.Message}");
}
