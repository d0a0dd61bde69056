namespace Firebreak.Core.Indicators.Enrichment;

/// <summary>
/// Adds context to an indicator: a classification, a reputation, an owner. Enrichers are registered in
/// DI (<c>services.AddScoped&lt;IIndicatorEnricher, MyEnricher&gt;()</c>) and run when an indicator is
/// created and when a responder asks again. An enricher that throws or runs past its time is recorded
/// as failed; the indicator is never affected. docs/indicators.md shows how to write one.
/// </summary>
public interface IIndicatorEnricher
{
    /// <summary>A short stable name (kebab-case); one stored result per indicator and name.</summary>
    string Name { get; }

    bool Supports(IndicatorType type);

    Task<EnrichmentOutcome> EnrichAsync(EnrichmentRequest request, CancellationToken cancellationToken);
}

/// <summary>The indicator to enrich, with its tenant and incident so an enricher can look at the tenant's own records (and only those).</summary>
public sealed record EnrichmentRequest(Guid TenantId, Guid IncidentId, Guid IndicatorId, IndicatorValue Indicator);

/// <summary>What an enricher found: a one-line summary and named fields.</summary>
public sealed record EnrichmentOutcome(string Summary, IReadOnlyDictionary<string, string>? Fields = null);
