namespace Firebreak.Detection.Sigma;

public enum DiagnosticSeverity
{
    Warning,
    Error,
}

/// <summary>A problem found while loading or linting a rule, pointing at the YAML that caused it (lines are 1-based).</summary>
public sealed record SigmaDiagnostic(string File, int Line, int Column, DiagnosticSeverity Severity, string Code, string Message)
{
    public override string ToString() => $"{File}({Line},{Column}): {Severity.ToString().ToLowerInvariant()} {Code}: {Message}";
}

/// <summary>Raised while parsing one rule document; the loader turns it into a <see cref="SigmaDiagnostic"/> and carries on with the next document.</summary>
public sealed class SigmaRuleException(string message, int line, int column) : Exception(message)
{
    public int Line { get; } = line;

    public int Column { get; } = column;
}
