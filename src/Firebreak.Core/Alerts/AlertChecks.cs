using Firebreak.Core.Common;

namespace Firebreak.Core.Alerts;

internal static class AlertChecks
{
    /// <summary>Field rules for alerts from any format; errors are keyed by the alert's index.</summary>
    public static void Check(IReadOnlyList<IncomingAlert> alerts)
    {
        var errors = new Dictionary<string, string[]>();
        for (var i = 0; i < alerts.Count; i++)
        {
            var a = alerts[i];
            var prefix = alerts.Count == 1 ? "" : $"alerts[{i}].";
            var problems = new List<string>();
            if (string.IsNullOrWhiteSpace(a.Source) || a.Source.Length > AlertLimits.SourceLength) problems.Add($"{prefix}source: required, at most {AlertLimits.SourceLength} characters.");
            if (string.IsNullOrWhiteSpace(a.Title) || a.Title.Length > AlertLimits.TitleLength) problems.Add($"{prefix}title: required, at most {AlertLimits.TitleLength} characters.");
            if (a.SourceReference is { Length: > AlertLimits.ReferenceLength }) problems.Add($"{prefix}sourceReference: at most {AlertLimits.ReferenceLength} characters.");
            if (a.Description is { Length: > AlertLimits.DescriptionLength }) problems.Add($"{prefix}description: at most {AlertLimits.DescriptionLength} characters.");
            if (!Enum.IsDefined(a.Severity)) problems.Add($"{prefix}severity: unknown value.");
            foreach (var (name, value) in new[] { ("category", a.Category), ("provider", a.Provider), ("account", a.Account), ("region", a.Region), ("originalSeverity", a.OriginalSeverity) })
            {
                if (value is { Length: > AlertLimits.ShortText }) problems.Add($"{prefix}{name}: at most {AlertLimits.ShortText} characters.");
            }
            if (a.Resources.Count > AlertLimits.MaxListItems || a.Resources.Any(r => string.IsNullOrWhiteSpace(r) || r.Length > AlertLimits.ValueLength))
                problems.Add($"{prefix}resources: at most {AlertLimits.MaxListItems} non-empty items of {AlertLimits.ValueLength} characters.");
            if (a.Techniques.Count > AlertLimits.MaxListItems || a.Techniques.Any(t => string.IsNullOrWhiteSpace(t) || t.Length > 32))
                problems.Add($"{prefix}techniques: at most {AlertLimits.MaxListItems} items such as T1078.004.");
            foreach (var (name, list) in new[] { ("principals", a.Principals), ("observables", a.Observables) })
            {
                if (list.Count > AlertLimits.MaxListItems || list.Any(e => string.IsNullOrWhiteSpace(e.Type) || e.Type.Length > 64 || string.IsNullOrWhiteSpace(e.Value) || e.Value.Length > AlertLimits.ValueLength))
                    problems.Add($"{prefix}{name}: at most {AlertLimits.MaxListItems} items with a type and a value.");
            }
            if (NulIn(a) is { } field) problems.Add($"{prefix}{field}: text may not contain the NUL character (U+0000, \\u0000 in JSON); PostgreSQL cannot store it.");
            if (problems.Count > 0) errors[alerts.Count == 1 ? "alert" : $"alerts[{i}]"] = [.. problems];
        }
        if (errors.Count > 0) throw new ValidationFailedException(errors);
    }

    /// <summary>The first field whose text holds a NUL character, or null.</summary>
    private static string? NulIn(IncomingAlert a)
    {
        foreach (var (name, value) in new[]
        {
            ("source", a.Source), ("sourceReference", a.SourceReference), ("title", a.Title), ("description", a.Description),
            ("originalSeverity", a.OriginalSeverity), ("category", a.Category), ("provider", a.Provider), ("account", a.Account),
            ("region", a.Region), ("format", a.Format), ("raw payload", a.RawPayload),
        })
        {
            if (StorableText.HoldsNul(value)) return name;
        }

        if (a.Resources.Any(StorableText.HoldsNul)) return "resources";
        if (a.Techniques.Any(StorableText.HoldsNul)) return "techniques";
        if (a.Principals.Any(e => StorableText.HoldsNul(e.Type) || StorableText.HoldsNul(e.Value))) return "principals";
        return a.Observables.Any(e => StorableText.HoldsNul(e.Type) || StorableText.HoldsNul(e.Value)) ? "observables" : null;
    }
}
