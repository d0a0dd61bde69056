using System.CommandLine;
using System.Text.Json;
using Firebreak.Detection.Rules;
using Firebreak.Detection.Sigma;
using Spectre.Console;

namespace Firebreak.Cli.Commands;

/// <summary>Inspecting Sigma rules offline: list them, run their embedded tests, lint them.</summary>
internal static class RulesCommands
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { WriteIndented = true };

    public static Command Create(CliContext context, CommandCatalog catalog)
    {
        var rules = catalog.Create("rules", "Work with Sigma detection rules: the built-in pack and your own folders. No server needed.",
            "firebreak rules list", "firebreak rules test --rules ./my-rules", "firebreak rules lint --rules ./my-rules");
        rules.Add(List(context, catalog));
        rules.Add(Test(context, catalog));
        rules.Add(Lint(context, catalog));
        return rules;
    }

    private static Command List(CliContext context, CommandCatalog catalog)
    {
        var command = catalog.Create("list", "List the rules that would be loaded, with id, level, status, log source and file (a hunt leaves out those whose status is deprecated or unsupported unless --include-deprecated).",
            "firebreak rules list", "firebreak rules list --rules ./sigma/rules/cloud --no-builtin --json");
        var sources = new RuleSources();
        sources.AddTo(command);
        var json = new Option<bool>("--json") { Description = "Print the rules as a JSON array." };
        command.Add(json);
        command.SetAction(parseResult =>
        {
            var parsed = sources.Load(parseResult);
            // What would load is what compiles: a rule with a bad regular expression, an id already used, a
            // correlation referring to nothing are reported and left out, as a hunt leaves them out.
            var compiled = CompiledRuleSet.Compile(parsed.Documents);
            var loads = new HashSet<SigmaDocument>(compiled.Rules.Select(r => (SigmaDocument)r.Rule).Concat(compiled.Correlations), ReferenceEqualityComparer.Instance);
            var list = RuleCatalog.List(parsed.Documents.Where(d => d is SigmaFilter || loads.Contains(d)));
            ReportDiagnostics(context, parsed.Diagnostics.Concat(compiled.Diagnostics));
            if (parseResult.GetValue(json))
            {
                context.Output.WriteLine(JsonSerializer.Serialize(list.Select(r => new
                {
                    r.Key, r.Id, r.Title, r.Level, r.Status, r.Tags, Kind = r.Kind.ToString().ToLowerInvariant(), r.LogSource, r.File, r.Line,
                }), Json));
                return ExitCodes.Ok;
            }

            // The status too: a hunt leaves deprecated and unsupported rules out unless asked (--include-deprecated).
            var table = new Table().AddColumns("Id", "Title", "Level", "Status", "Kind", "Log source", "File");
            foreach (var r in list)
            {
                // Rule files are input like any other: control characters in them are shown, not sent to the terminal.
                // Drawn as written, not as markup (which turns ":name:" into an emoji).
                table.AddRow(ConsoleText.Cell(HuntCommand.Visible(r.Id ?? r.Key)), ConsoleText.Cell(HuntCommand.Visible(r.Title)), ConsoleText.Cell(HuntCommand.Visible(r.Level ?? "")),
                    ConsoleText.Cell(HuntCommand.Visible(r.Status ?? "")), ConsoleText.Cell(r.Kind.ToString().ToLowerInvariant()), ConsoleText.Cell(HuntCommand.Visible(r.LogSource ?? "")), ConsoleText.Cell(HuntCommand.Visible($"{r.File}:{r.Line}")));
            }

            context.Console.Write(table);
            context.Console.WriteLine($"{list.Count} rule(s).");
            return ExitCodes.Ok;
        });
        return command;
    }

    private static Command Test(CliContext context, CommandCatalog catalog)
    {
        var command = catalog.Create("test", "Run the test events embedded in the rules (firebreak.tests). Exit 1 when a test fails or a rule does not compile.",
            "firebreak rules test", "firebreak rules test --rules ./my-rules --no-builtin");
        var sources = new RuleSources();
        sources.AddTo(command);
        command.SetAction(parseResult =>
        {
            var report = RuleTester.Run(sources.Load(parseResult));
            foreach (var failed in report.Results.Where(r => !r.Passed))
            {
                context.Output.WriteLine(HuntCommand.Visible($"{failed.File}:{failed.Line}: FAIL '{failed.Title}': expected {(failed.Expected ? "a match" : "no match")}, got {(failed.Actual ? "a match" : "none")}"
                    + (failed.Description is null ? "" : $" ({failed.Description})")));
            }

            foreach (var diagnostic in report.Diagnostics.Where(d => d.Severity == DiagnosticSeverity.Error))
            {
                context.Output.WriteLine(RuleSources.Format(diagnostic));
            }

            var passed = report.Results.Count(r => r.Passed);
            context.Output.WriteLine($"{passed} of {report.Results.Count} test(s) passed across {report.Results.Select(r => r.RuleKey).Distinct().Count()} rule(s).");
            return report.Passed ? ExitCodes.Ok : ExitCodes.Refused;
        });
        return command;
    }

    private static Command Lint(CliContext context, CommandCatalog catalog)
    {
        var command = catalog.Create("lint",
            "Check rules for parse and compile errors and quality problems (missing id, level, tags; duplicate ids). Prints file:line: reason; exit 1 on any problem.",
            "firebreak rules lint --rules ./my-rules", "firebreak rules lint --strict");
        var sources = new RuleSources();
        sources.AddTo(command);
        var strict = new Option<bool>("--strict") { Description = "Hold the rules to the built-in pack's bar: an ATT&CK technique tag and embedded tests for every rule." };
        command.Add(strict);
        command.SetAction(parseResult =>
        {
            var parsed = sources.Load(parseResult);
            var problems = RuleLinter.Lint(parsed, parseResult.GetValue(strict) ? LintOptions.BuiltInPack : new LintOptions());
            foreach (var problem in problems) context.Output.WriteLine(RuleSources.Format(problem));
            context.Output.WriteLine(problems.Count == 0 ? $"{parsed.Documents.Count} rule(s), no problems." : $"{problems.Count} problem(s) in {parsed.Documents.Count} rule(s).");
            return problems.Count == 0 ? ExitCodes.Ok : ExitCodes.Refused;
        });
        return command;
    }

    internal static void ReportDiagnostics(CliContext context, IEnumerable<SigmaDiagnostic> diagnostics)
    {
        foreach (var d in diagnostics.Where(d => d.Severity == DiagnosticSeverity.Error))
        {
            context.ErrorConsole.Line(("rule skipped:", ConsoleText.Warning), (" " + RuleSources.Format(d), null));
        }
    }
}
