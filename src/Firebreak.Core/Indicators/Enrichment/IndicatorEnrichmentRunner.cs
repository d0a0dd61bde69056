using Firebreak.Core.Persistence;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;

namespace Firebreak.Core.Indicators.Enrichment;

/// <summary>
/// Runs every registered enricher that supports an indicator's type and stores one result per
/// (indicator, enricher), replacing the previous one. Failures (an exception, a timeout) are stored as
/// failed results with the reason; they never undo or block the indicator.
/// </summary>
public sealed partial class IndicatorEnrichmentRunner(IEnumerable<IIndicatorEnricher> enrichers, IDbContextFactory<FirebreakDbContext> factory,
    TimeProvider time, ILogger<IndicatorEnrichmentRunner> logger)
{
    /// <summary>How long one enricher may take for one indicator.</summary>
    public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(10);

    private const int SaveEvery = 500;

    public IReadOnlyList<string> Names { get; } = enrichers.Select(e => e.Name).ToList();

    public async Task RunAsync(IReadOnlyCollection<Guid> indicatorIds, CancellationToken cancellationToken)
    {
        if (indicatorIds.Count == 0 || !enrichers.Any()) return;
        foreach (var chunk in indicatorIds.Chunk(SaveEvery))
        {
            await using var db = await factory.CreateDbContextAsync(cancellationToken);
            var indicators = await db.Indicators.AsNoTracking().Where(i => chunk.Contains(i.Id)).ToListAsync(cancellationToken);
            var ids = indicators.Select(i => i.Id).ToList();
            var stored = (await db.IndicatorEnrichments.Where(e => ids.Contains(e.IndicatorId)).ToListAsync(cancellationToken))
                .ToDictionary(e => (e.IndicatorId, e.Enricher));
            foreach (var indicator in indicators)
            {
                foreach (var enricher in enrichers.Where(e => e.Supports(indicator.Type)))
                {
                    var result = await RunOneAsync(enricher, indicator, cancellationToken);
                    if (stored.TryGetValue((indicator.Id, enricher.Name), out var existing))
                    {
                        existing.At = result.At;
                        existing.Succeeded = result.Succeeded;
                        existing.Summary = result.Summary;
                        existing.Fields = result.Fields;
                        existing.Error = result.Error;
                    }
                    else
                    {
                        db.IndicatorEnrichments.Add(result);
                    }
                }
            }
            await db.SaveChangesAsync(cancellationToken);
        }
    }

    private async Task<IndicatorEnrichment> RunOneAsync(IIndicatorEnricher enricher, Indicator indicator, CancellationToken cancellationToken)
    {
        var result = new IndicatorEnrichment
        {
            TenantId = indicator.TenantId,
            IncidentId = indicator.IncidentId,
            IndicatorId = indicator.Id,
            Enricher = Cut(enricher.Name, 64),
        };
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(Timeout);
        try
        {
            var outcome = await enricher.EnrichAsync(
                new EnrichmentRequest(indicator.TenantId, indicator.IncidentId, indicator.Id, new IndicatorValue(indicator.Type, indicator.Value)), timeout.Token);
            result.Succeeded = true;
            result.Summary = Cut(outcome.Summary, IndicatorLimits.SummaryLength);
            result.Fields = (outcome.Fields ?? new Dictionary<string, string>()).Take(IndicatorLimits.MaxFields)
                .ToDictionary(f => Cut(f.Key, 64), f => Cut(f.Value, IndicatorLimits.FieldLength));
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            throw;
        }
        catch (Exception ex)
        {
            // Anything an enricher throws is its own failure, recorded on the result; the indicator stays.
            LogFailed(logger, enricher.Name, indicator.Id, ex.GetType().Name);
            result.Succeeded = false;
            result.Error = Cut(ex is OperationCanceledException ? $"Timed out after {Timeout.TotalSeconds:0} seconds." : ex.Message, IndicatorLimits.ErrorLength);
        }
        result.At = time.GetUtcNow();
        return result;
    }

    private static string Cut(string? text, int length) => text is null ? "" : text.Length <= length ? text : text[..length];

    [LoggerMessage(Level = LogLevel.Warning, Message = "Enricher {Enricher} failed for indicator {IndicatorId}: {Error}")]
    private static partial void LogFailed(ILogger logger, string enricher, Guid indicatorId, string error);
}
