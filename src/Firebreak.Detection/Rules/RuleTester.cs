using System.Globalization;
using System.Text.Json;
using Firebreak.Detection.Events;
using Firebreak.Detection.Sigma;

namespace Firebreak.Detection.Rules;

/// <summary>The outcome of one embedded test case.</summary>
public sealed record RuleTestResult(string RuleKey, string Title, string File, int Line, bool Expected, bool Actual, string? Description)
{
    public bool Passed => Expected == Actual;
}

public sealed record RuleTestReport(IReadOnlyList<RuleTestResult> Results, IReadOnlyList<SigmaDiagnostic> Diagnostics)
{
    public bool Passed => Diagnostics.All(d => d.Severity != DiagnosticSeverity.Error) && Results.All(r => r.Passed);
}

/// <summary>
/// Runs the test events embedded in rules (<c>firebreak.tests</c>): what <c>firebreak rules test</c> does.
/// Events go through the whole compiled set, index included, so a test also proves the rule is reachable.
/// </summary>
public static class RuleTester
{
    private static readonly DateTimeOffset BaseTime = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);

    /// <param name="eventFactory">
    /// Builds an event from a native record; the default maps it with the log readers' own mapper
    /// for the rule's log source (<see cref="Readers.ReaderTestEvents"/>), so a test also proves the
    /// rule matches what a hunt would see.
    /// </param>
    public static RuleTestReport Run(SigmaParseResult parsed, SigmaCompileOptions? options = null, Func<LogSource, JsonElement, DateTimeOffset, CloudEvent>? eventFactory = null)
    {
        eventFactory ??= Readers.ReaderTestEvents.Create;
        var set = CompiledRuleSet.Compile(parsed.Documents, options);
        var diagnostics = parsed.Diagnostics.Concat(set.Diagnostics).ToList();
        var compiled = set.Rules.ToDictionary<CompiledRule, SigmaRule, CompiledRule>(r => r.Rule, r => r, ReferenceEqualityComparer.Instance);
        var byKey = set.Rules.SelectMany(r => new[] { r.Rule.Id, r.Rule.Name }.Where(k => k is not null).Select(k => (Key: k!, Rule: r)))
            .GroupBy(x => x.Key, StringComparer.OrdinalIgnoreCase)
            .ToDictionary(g => g.Key, g => g.First().Rule, StringComparer.OrdinalIgnoreCase);
        var results = new List<RuleTestResult>();

        foreach (var document in parsed.Documents.Where(d => d.Tests.Count > 0))
        {
            var logSource = document switch
            {
                SigmaRule r => r.LogSource,
                SigmaCorrelation c when c.Rules.Count > 0 && byKey.TryGetValue(c.Rules[0], out var first) => first.Rule.LogSource,
                _ => null,
            };
            if (logSource is not { Product: { } product, Service: { } service })
            {
                diagnostics.Add(new SigmaDiagnostic(document.Source.File, document.Source.Line, 1, DiagnosticSeverity.Error, "test",
                    "embedded tests need a rule whose logsource names a product and a service"));
                continue;
            }

            var source = new LogSource(product, service, logSource.Category);
            foreach (var test in document.Tests)
            {
                List<CloudEvent> events;
                try
                {
                    events = Expand(test).Select((raw, i) => eventFactory(source, raw, BaseTime.AddSeconds(i))).ToList();
                }
                catch (InvalidOperationException ex)
                {
                    diagnostics.Add(new SigmaDiagnostic(document.Source.File, test.Line, 1, DiagnosticSeverity.Error, "test", $"test event: {ex.Message}"));
                    continue;
                }

                var actual = document switch
                {
                    // A positive case needs every event to fire the rule; a negative case fails if any does.
                    SigmaRule rule when compiled.TryGetValue(rule, out var c) => test.ShouldMatch
                        ? events.All(e => set.Match(e).Contains(c))
                        : events.Any(e => set.Match(e).Contains(c)),
                    SigmaCorrelation correlation => CorrelationFires(set, correlation, events),
                    _ => false,
                };
                results.Add(new RuleTestResult(document.Key, document.Title, document.Source.File, test.Line, test.ShouldMatch, actual, test.Description));
            }
        }

        return new RuleTestReport(results, diagnostics);
    }

    private static IEnumerable<JsonElement> Expand(RuleTestCase test) =>
        Enumerable.Range(0, test.Repeat).SelectMany(_ => test.Events);

    private static bool CorrelationFires(CompiledRuleSet set, SigmaCorrelation correlation, List<CloudEvent> events)
    {
        var engine = new CorrelationEngine(set);
        var hits = new List<CorrelationHit>();
        foreach (var e in events)
        {
            foreach (var rule in set.Match(e))
            {
                engine.Observe(e, rule, hits);
            }
        }

        engine.Flush(hits);
        return hits.Any(h => ReferenceEquals(h.Correlation, correlation));
    }
}

/// <summary>A <see cref="CloudEvent"/> that carries a native record without a reader's normalisation.</summary>
public static class NativeRecordEvent
{
    private static readonly string[] TimeFields = ["eventTime", "time", "timestamp", "eventTimestamp", "TimeGenerated", "activityDateTime", "createdDateTime"];

    public static CloudEvent Create(LogSource source, JsonElement raw, DateTimeOffset fallbackTime)
    {
        var time = fallbackTime;
        foreach (var field in TimeFields)
        {
            if (raw.ValueKind == JsonValueKind.Object && raw.TryGetProperty(field, out var value) && value.ValueKind == JsonValueKind.String
                && DateTimeOffset.TryParse(value.GetString(), CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var parsed))
            {
                time = parsed;
                break;
            }
        }

        var operation = FieldMappings.Default.Exact(source.Product, source.Service) is { IndexPaths.Count: > 0 } mapping
            ? new RawPathAccessor(mapping.IndexPaths).FirstValue(raw)
            : null;
        return new CloudEvent
        {
            Time = time,
            LogSource = source,
            Provider = source.Product,
            Operation = operation ?? "",
            Actor = new EventActor(),
            Raw = raw,
        };
    }
}
