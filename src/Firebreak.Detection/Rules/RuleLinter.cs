using System.Text.RegularExpressions;
using Firebreak.Detection.Sigma;

namespace Firebreak.Detection.Rules;

public sealed record LintOptions
{
    /// <summary>Every rule must carry an ATT&amp;CK technique tag (attack.tNNNN).</summary>
    public bool RequireAttackTechnique { get; init; }

    /// <summary>Every rule and correlation must embed at least one positive and one negative test.</summary>
    public bool RequireTests { get; init; }

    /// <summary>The bar Firebreak's own rule pack is held to.</summary>
    public static LintOptions BuiltInPack { get; } = new() { RequireAttackTechnique = true, RequireTests = true };
}

/// <summary>What <c>firebreak rules lint</c> reports: parse and compile errors plus rule-quality problems, each with file and line.</summary>
public static partial class RuleLinter
{
    private static readonly HashSet<string> Levels = ["informational", "low", "medium", "high", "critical"];
    private static readonly HashSet<string> Statuses = ["stable", "test", "experimental", "deprecated", "unsupported"];

    public static IReadOnlyList<SigmaDiagnostic> Lint(SigmaParseResult parsed, LintOptions? options = null, SigmaCompileOptions? compileOptions = null)
    {
        options ??= new LintOptions();
        var diagnostics = new List<SigmaDiagnostic>(parsed.Diagnostics);
        diagnostics.AddRange(CompiledRuleSet.Compile(parsed.Documents, compileOptions).Diagnostics
            .Where(d => d.Code is not (CompiledRuleSet.DuplicateIdCode or CompiledRuleSet.DuplicateNameCode)));
        var seenIds = new Dictionary<string, SigmaDocument>(StringComparer.OrdinalIgnoreCase);
        var seenNames = new Dictionary<string, SigmaDocument>(StringComparer.OrdinalIgnoreCase);

        foreach (var document in parsed.Documents)
        {
            void Report(string code, string message, DiagnosticSeverity severity = DiagnosticSeverity.Warning, string? key = null) =>
                diagnostics.Add(new SigmaDiagnostic(document.Source.File, key is null ? document.Source.Line : document.Source.LineOf(key), 1, severity, code, $"'{document.Title}': {message}"));

            if (document.Id is null)
            {
                Report("missing-id", "has no id");
            }
            else if (!Guid.TryParse(document.Id, out _))
            {
                Report("invalid-id", $"id '{document.Id}' is not a UUID", key: "id");
            }
            else if (seenIds.TryGetValue(document.Id, out var first))
            {
                Report("duplicate-id", CompiledRuleSet.AlreadyUsed("id", document.Id, first, "id"), DiagnosticSeverity.Error, "id");
            }
            else
            {
                seenIds[document.Id] = document;
            }

            if (document.Name is { } name)
            {
                if (seenNames.TryGetValue(name, out var firstNamed))
                {
                    Report("duplicate-name", CompiledRuleSet.AlreadyUsed("name", name, firstNamed, "name"), DiagnosticSeverity.Error, "name");
                }
                else
                {
                    seenNames[name] = document;
                }
            }

            if (document is not SigmaFilter)
            {
                if (document.Level is null)
                {
                    Report("missing-level", "has no level");
                }
                else if (!Levels.Contains(document.Level))
                {
                    Report("invalid-level", $"level '{document.Level}' is not one of {string.Join(", ", Levels)}", key: "level");
                }

                if (document.Tags.Count == 0)
                {
                    Report("missing-tags", "has no tags");
                }
                else if (options.RequireAttackTechnique && !document.Tags.Any(t => AttackTechnique().IsMatch(t)))
                {
                    Report("missing-attack-technique", "has no ATT&CK technique tag (attack.tNNNN)", key: "tags");
                }
            }

            if (document.Status is { } status && !Statuses.Contains(status))
            {
                Report("invalid-status", $"status '{status}' is not one of {string.Join(", ", Statuses)}", key: "status");
            }

            if (document.Title.Length > 256)
            {
                Report("long-title", "title is longer than 256 characters");
            }

            if (options.RequireTests && document is not SigmaFilter
                && (!document.Tests.Any(t => t.ShouldMatch) || !document.Tests.Any(t => !t.ShouldMatch)))
            {
                Report("missing-tests", "needs at least one embedded event that must match and one that must not");
            }
        }

        return diagnostics.OrderBy(d => d.File, StringComparer.Ordinal).ThenBy(d => d.Line).ToList();
    }

    [GeneratedRegex(@"^attack\.t\d{4}(\.\d{3})?$", RegexOptions.IgnoreCase)]
    private static partial Regex AttackTechnique();
}
