using Firebreak.Detection.Sigma;

namespace Firebreak.Detection.Rules;

public enum RuleKind
{
    Detection,
    Correlation,
    Filter,
}

public sealed record RuleSummary(string Key, string? Id, string Title, string? Level, string? Status, IReadOnlyList<string> Tags, RuleKind Kind, string? LogSource, string File, int Line);

/// <summary>What <c>firebreak rules list</c> shows.</summary>
public static class RuleCatalog
{
    public static IReadOnlyList<RuleSummary> List(IEnumerable<SigmaDocument> documents) =>
        documents.Select(d => new RuleSummary(
                d.Key,
                d.Id,
                d.Title,
                d.Level,
                d.Status,
                d.Tags,
                d switch { SigmaCorrelation => RuleKind.Correlation, SigmaFilter => RuleKind.Filter, _ => RuleKind.Detection },
                d switch { SigmaRule r => r.LogSource.ToString(), SigmaFilter f => f.LogSource.ToString(), _ => null },
                d.Source.File,
                d.Source.Line))
            .OrderBy(s => s.File, StringComparer.Ordinal)
            .ThenBy(s => s.Line)
            .ToList();
}
