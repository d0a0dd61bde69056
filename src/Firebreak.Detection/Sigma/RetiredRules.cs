namespace Firebreak.Detection.Sigma;

/// <summary>
/// Rules whose status says they are not to be run: <c>deprecated</c> (replaced or covered by another rule, which
/// <c>related</c> names) and <c>unsupported</c> (cannot be used as written), as the Sigma specification defines them. The
/// SigmaHQ repository keeps such rules beside the others; a hunt over its folders leaves them out unless asked, as
/// Hayabusa does, so that a replaced rule (often noisier than its successor) does not fire beside the rule that replaced it.
/// </summary>
public static class RetiredRules
{
    /// <summary>The statuses that leave a rule out, in the order a summary names them.</summary>
    public static IReadOnlyList<string> Statuses { get; } = ["deprecated", "unsupported"];

    /// <summary>A detection or correlation rule whose status is one of <see cref="Statuses"/> (filters are not run on their own).</summary>
    public static bool IsRetired(SigmaDocument document) =>
        document is SigmaRule or SigmaCorrelation && StatusOf(document) is not null;

    /// <summary>The document's status as <see cref="Statuses"/> spells it, or null when it is not one of them.</summary>
    public static string? StatusOf(SigmaDocument document) =>
        document.Status is { } status ? Statuses.FirstOrDefault(s => s.Equals(status.Trim(), StringComparison.OrdinalIgnoreCase)) : null;

    /// <summary>
    /// Leaves the retired rules out of <paramref name="documents"/>, except those a correlation that runs refers to (directly,
    /// or through a retired correlation it refers to): those are kept so the correlation still works, and listed as
    /// <see cref="RuleSelection.Unreported"/>, to be matched without their own hits being reported. A retired correlation
    /// is left out with the rules only it refers to.
    /// </summary>
    public static RuleSelection LeaveOut(IReadOnlyList<SigmaDocument> documents)
    {
        var byKey = new Dictionary<string, List<SigmaDocument>>(StringComparer.OrdinalIgnoreCase);
        foreach (var document in documents.Where(d => d is SigmaRule or SigmaCorrelation))
        {
            foreach (var key in new[] { document.Id, document.Name })
            {
                if (key is null) continue;
                if (!byKey.TryGetValue(key, out var list)) byKey[key] = list = [];
                list.Add(document);
            }
        }

        var needed = new HashSet<SigmaDocument>(ReferenceEqualityComparer.Instance);
        var running = new Queue<SigmaCorrelation>(documents.OfType<SigmaCorrelation>().Where(c => !IsRetired(c)));
        while (running.TryDequeue(out var correlation))
        {
            foreach (var reference in correlation.Rules)
            {
                foreach (var target in byKey.GetValueOrDefault(reference) ?? [])
                {
                    if (IsRetired(target) && needed.Add(target) && target is SigmaCorrelation inner) running.Enqueue(inner);
                }
            }
        }

        var leftOut = documents.Where(d => IsRetired(d) && !needed.Contains(d)).ToList();
        var kept = documents.Where(d => !IsRetired(d) || needed.Contains(d)).ToList();
        return new RuleSelection(kept, leftOut, needed);
    }
}

/// <summary>The documents to load, the retired rules left out, and the retired ones loaded only to feed correlations.</summary>
/// <param name="Documents">Every document to compile, in the order given.</param>
/// <param name="LeftOut">Retired rules not loaded.</param>
/// <param name="Unreported">Retired rules and correlations loaded because a correlation that runs refers to them; their own hits are not reported.</param>
public sealed record RuleSelection(IReadOnlyList<SigmaDocument> Documents, IReadOnlyList<SigmaDocument> LeftOut, IReadOnlySet<SigmaDocument> Unreported);
