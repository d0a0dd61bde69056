using System.Runtime.CompilerServices;
using System.Text.Json;
using Firebreak.Core.Indicators;
using Firebreak.Core.Indicators.Enrichment;
using Firebreak.Core.Identity;
using Firebreak.Core.ManagementPlane;
using Firebreak.Core.Persistence;
using Firebreak.Detection.Events;
using Firebreak.Detection.Readers;
using Firebreak.Detection.Readers.Sources;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Firebreak.Core.Investigation;

/// <summary>Where an import stands: files finished, and the next record of the file in progress.</summary>
internal sealed record ImportCheckpoint
{
    public List<string> Done { get; init; } = [];
    public string? Current { get; init; }
    public long Next { get; init; }

    public static ImportCheckpoint Parse(string json) =>
        string.IsNullOrWhiteSpace(json) ? new() : JsonSerializer.Deserialize<ImportCheckpoint>(json, Options) ?? new();

    public string ToJson() => JsonSerializer.Serialize(this, Options);

    private static readonly JsonSerializerOptions Options = new(JsonSerializerDefaults.Web);
}

/// <summary>
/// Runs one import: reads the source with the Detection readers, skips what the checkpoint says is
/// stored, and writes batches of events, each in one transaction with the import's counters and its
/// new checkpoint. Cancelled half-way, it leaves the import running; the next run resumes from the
/// last committed batch.
/// </summary>
public sealed partial class EventImportRunner(IDbContextFactory<FirebreakDbContext> factory, InvestigationOptions options, IndicatorEnrichmentRunner enrichment,
    TimeProvider time, ILogger<EventImportRunner> logger, IEnumerable<IEventImportObserver> observers, IServiceScopeFactory scopes)
{
    /// <summary>Called after each committed batch with the import as stored; for progress and tests.</summary>
    public Action<ImportView>? BatchCommitted { get; set; }

    public async Task RunAsync(Guid importId, CancellationToken cancellationToken)
    {
        EventImport import;
        string reference;
        await using (var db = await factory.CreateDbContextAsync(cancellationToken))
        {
            import = await db.EventImports.SingleAsync(i => i.Id == importId, cancellationToken);
            if (import.Status is ImportStatus.Completed or ImportStatus.Failed) return;
            reference = await db.Incidents.Where(i => i.Id == import.IncidentId).Select(i => i.Reference).SingleAsync(cancellationToken);
            import.Status = ImportStatus.Running;
            import.StartedAt ??= time.GetUtcNow();
            import.Runs++;
            await db.SaveChangesAsync(cancellationToken);
        }
        LogStarting(logger, import.Id, reference, import.Runs);
        try
        {
            await ImportAsync(import, reference, cancellationToken);
            // Before the import counts as completed: an error here leaves it running, and the resumed run extracts again.
            await ExtractIndicatorsAsync(import.IncidentId, cancellationToken);
            await FinishAsync(import.Id, ImportStatus.Completed, null, CancellationToken.None);
            LogFinished(logger, import.Id, reference);
            foreach (var observer in observers) observer.ImportCompleted(import.TenantId, import.IncidentId);
            await CheckManagementPlaneAsync(import, reference, cancellationToken);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // Left running: the worker resumes it from the last checkpoint.
            throw;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or InvalidDataException or Amazon.Runtime.AmazonServiceException or Amazon.Runtime.AmazonClientException)
        {
            LogFailed(logger, import.Id, ex.GetType().Name);
            await FinishAsync(import.Id, ImportStatus.Failed, $"The source could not be read: {ex.Message}", CancellationToken.None);
        }
    }

    private async Task ImportAsync(EventImport import, string reference, CancellationToken cancellationToken)
    {
        var checkpoint = ImportCheckpoint.Parse(import.Checkpoint);
        var done = new HashSet<string>(checkpoint.Done, StringComparer.Ordinal);
        long problems = 0;
        string? firstProblem = null;
        var reader = new CloudLogReader(new ReaderOptions
        {
            MaxDegreeOfParallelism = Math.Max(1, Environment.ProcessorCount - 1),
            OnProblem = p =>
            {
                Interlocked.Increment(ref problems);
                Interlocked.CompareExchange(ref firstProblem, p.ToString(), null);
            },
        });
        var source = new SkipDone(Source(import), done.ToHashSet(StringComparer.Ordinal));
        var baseBytes = import.BytesRead;
        var batch = new List<IncidentEvent>(options.BatchSize);
        var current = checkpoint.Current;
        var next = checkpoint.Next;
        var finished = new List<string>();
        long read = 0;
        var matcher = RuleMatchedEvents.For(options);

        async Task FlushAsync()
        {
            var ingested = time.GetUtcNow();
            foreach (var row in batch) row.IngestedAt = ingested;
            await using var db = await factory.CreateDbContextAsync(cancellationToken);
            await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
            var stored = await IncidentEventWriter.InsertAsync(db, batch, cancellationToken);
            if (matcher is not null) await matcher.WriteAsync(db, import.IncidentId, ingested, cancellationToken);
            done.UnionWith(finished);
            var state = new ImportCheckpoint { Done = [.. done], Current = current, Next = next }.ToJson();
            var duplicates = batch.Count - stored;
            var bytes = baseBytes + reader.Summary.Bytes;
            var count = read;
            var problemCount = Interlocked.Read(ref problems);
            var filesDone = done.Count;
            await db.EventImports.Where(i => i.Id == import.Id).ExecuteUpdateAsync(s => s
                .SetProperty(i => i.EventsRead, i => i.EventsRead + count)
                .SetProperty(i => i.EventsStored, i => i.EventsStored + stored)
                .SetProperty(i => i.Duplicates, i => i.Duplicates + duplicates)
                .SetProperty(i => i.BytesRead, bytes)
                .SetProperty(i => i.Problems, i => i.Problems + problemCount)
                .SetProperty(i => i.FilesDone, filesDone)
                .SetProperty(i => i.Checkpoint, state), cancellationToken);
            await transaction.CommitAsync(cancellationToken);
            Interlocked.Add(ref problems, -problemCount);
            batch.Clear();
            finished.Clear();
            read = 0;
            if (BatchCommitted is { } callback)
            {
                var view = await db.EventImports.AsNoTracking().SingleAsync(i => i.Id == import.Id, CancellationToken.None);
                callback(EventImportService.ToView(view, reference));
            }
        }

        await foreach (var cloudEvent in reader.ReadAsync(source, cancellationToken))
        {
            var origin = cloudEvent.Origin;
            if (origin is not null)
            {
                if (!string.Equals(origin.Source, current, StringComparison.Ordinal))
                {
                    if (current is not null) finished.Add(current);
                    current = origin.Source;
                    next = checkpoint.Current == origin.Source ? checkpoint.Next : 0;
                }
                // Stored by an earlier run of this import.
                if (origin.RecordIndex < next) continue;
                next = origin.RecordIndex + 1;
            }
            read++;
            var row = IncidentEventWriter.ToRow(cloudEvent, import.TenantId, import.IncidentId, import.Id, default);
            matcher?.Inspect(cloudEvent, row.EventId);
            batch.Add(row);
            if (batch.Count >= options.BatchSize) await FlushAsync();
        }
        if (current is not null) finished.Add(current);
        current = null;
        next = 0;
        await FlushAsync();
        if (firstProblem is not null)
        {
            await using var db = await factory.CreateDbContextAsync(cancellationToken);
            var note = firstProblem.Length > 1900 ? firstProblem[..1900] : firstProblem;
            await db.EventImports.Where(i => i.Id == import.Id).ExecuteUpdateAsync(s => s.SetProperty(i => i.Error, "First problem: " + note), cancellationToken);
        }
        if (matcher is { Added: > 0 } or { Skipped: > 0 }) LogRuleMatches(logger, import.Id, matcher.Added, matcher.Skipped);
    }

    /// <summary>The incident's indicators from all its events, one GROUP BY per column, in one transaction; new ones are then enriched.</summary>
    private async Task ExtractIndicatorsAsync(Guid incidentId, CancellationToken cancellationToken)
    {
        List<Guid> created;
        await using (var db = await factory.CreateDbContextAsync(cancellationToken))
        {
            await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
            created = (await IndicatorExtraction.SyncEventsAsync(db, incidentId, time.GetUtcNow(), cancellationToken)).Select(i => i.Id).ToList();
            await db.SaveChangesAsync(cancellationToken);
            await transaction.CommitAsync(cancellationToken);
        }
        await enrichment.RunAsync(created, cancellationToken);
    }

    /// <summary>
    /// New events can change every answer of the management-plane check, so it runs again, acting for the incident's
    /// tenant. A check that fails leaves the import completed: it can be run on demand.
    /// </summary>
    private async Task CheckManagementPlaneAsync(EventImport import, string reference, CancellationToken cancellationToken)
    {
        try
        {
            await using var scope = scopes.CreateAsyncScope();
            scope.ServiceProvider.GetRequiredService<CurrentActor>().SetOperator(import.TenantId, "management-plane-check");
            await scope.ServiceProvider.GetRequiredService<ManagementPlaneCheckService>()
                .RunAsync(reference, new RunCheck(), CheckTrigger.Import, import.Id, cancellationToken);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            LogCheckFailed(logger, ex, import.Id);
        }
    }

    private ILogInputSource Source(EventImport import) => import.Kind switch
    {
        // An uploaded zip or tar archive is read entry by entry, as one on disk is, each entry cited by the upload's name; an
        // archive inside it (a zip of one tarball per account) is unpacked to a temporary file and read so too.
        ImportKind.Upload or ImportKind.Hunt => new ArchiveDownloads(new StoredFileSource(
            Path.Combine(options.StagingDirectory, import.StagedFile ?? throw new InvalidDataException("The staged upload is missing.")), import.Source)),
        ImportKind.ServerPath => new ArchiveDownloads(new ImportPaths.Source(ImportPaths.Check(import.Source, options.ImportRoots), options.ImportRoots)),
        // A zip or tar archive in the bucket is downloaded and read entry by entry.
        ImportKind.S3 => new ArchiveDownloads(S3Source(import.Source), remote: true),
        _ => throw new InvalidDataException($"Unknown import kind {import.Kind}."),
    };

    private S3LogInputSource S3Source(string uri)
    {
        var (bucket, prefix) = EventImportService.ParseS3(uri);
        return new S3LogInputSource(S3LogInputSource.CreateClient(options.S3), bucket, prefix.Length == 0 ? null : prefix);
    }

    private async Task FinishAsync(Guid importId, ImportStatus status, string? error, CancellationToken cancellationToken)
    {
        await using var db = await factory.CreateDbContextAsync(cancellationToken);
        var import = await db.EventImports.SingleAsync(i => i.Id == importId, cancellationToken);
        import.Status = status;
        import.FinishedAt = time.GetUtcNow();
        if (error is not null) import.Error = error.Length > 2000 ? error[..2000] : error;
        await db.SaveChangesAsync(cancellationToken);
        if (import.StagedFile is { } staged) File.Delete(Path.Combine(options.StagingDirectory, staged));
    }

    /// <summary>Leaves out inputs an earlier run finished, so a resumed import does not even open them.</summary>
    private sealed class SkipDone(ILogInputSource inner, IReadOnlySet<string> done) : ILogInputSource
    {
        public async IAsyncEnumerable<LogInput> ListAsync(Action<ReadProblem> report, [EnumeratorCancellation] CancellationToken cancellationToken)
        {
            await foreach (var input in inner.ListAsync(report, cancellationToken))
            {
                if (!done.Contains(input.Name)) yield return input;
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Import {ImportId} into {Incident} starting (run {Run})")]
    private static partial void LogStarting(ILogger logger, Guid importId, string incident, int run);

    [LoggerMessage(Level = LogLevel.Information, Message = "Import {ImportId} into {Incident} finished")]
    private static partial void LogFinished(ILogger logger, Guid importId, string incident);

    [LoggerMessage(Level = LogLevel.Information, Message = "Import {ImportId} put {Added} rule-matched events on the timeline ({Skipped} over the incident's limit)")]
    private static partial void LogRuleMatches(ILogger logger, Guid importId, int added, int skipped);
    [LoggerMessage(Level = LogLevel.Warning, Message = "The management-plane check after import {ImportId} failed")]
    private static partial void LogCheckFailed(ILogger logger, Exception exception, Guid importId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Import {ImportId} failed: {Error}")]
    private static partial void LogFailed(ILogger logger, Guid importId, string error);
}
