using Firebreak.Core.Identity;
using Firebreak.Core.Persistence;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Firebreak.Core.Alerts;

/// <summary>
/// The writer behind <see cref="AlertIntake"/>: drains the queue in groups, one transaction per group. SQLite has one
/// (it allows one writing transaction at a time). PostgreSQL has two, so that one group's work overlaps the other's
/// commit (a WAL flush): a repeat or an Idempotency-Key that both groups write at once makes one of them fail on the
/// unique index when the other commits, and that group is stored again from a fresh read.
/// </summary>
internal sealed partial class AlertIntakeWriter(AlertIntake intake, AlertRuleCache ruleCache, IServiceScopeFactory scopes, TimeProvider time, ILogger<AlertIntakeWriter> logger,
    IEnumerable<IAlertIntakeObserver> observers)
    : BackgroundService
{
    private const int MaxAlertsPerCommit = 5_000;
    private const int MaxAttempts = 5;
    private const int PostgresWriters = 2;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        await using (var scope = scopes.CreateAsyncScope())
        await using (var db = await scope.ServiceProvider.GetRequiredService<IDbContextFactory<FirebreakDbContext>>().CreateDbContextAsync(stoppingToken))
        {
            _postgres = db.Database.IsNpgsql();
        }
        await Task.WhenAll(Enumerable.Range(0, _postgres ? PostgresWriters : 1).Select(_ => Task.Run(() => DrainAsync(stoppingToken), stoppingToken)));
    }

    private async Task DrainAsync(CancellationToken stoppingToken)
    {
        var reader = intake.Reader;
        var group = new List<IntakeWork>();
        while (await reader.WaitToReadAsync(stoppingToken))
        {
            group.Clear();
            var count = 0;
            while (count < MaxAlertsPerCommit && reader.TryRead(out var work))
            {
                group.Add(work);
                count += work.Alerts.Count;
            }
            if (group.Count == 0) continue; // the other writer took what woke this one
            await WriteGroupAsync(group, stoppingToken);
            await AnalyzeWhenGrownAsync(stoppingToken);
        }
    }

    // Set once before the writers start.
    private bool _postgres;

    // Rows the planner's statistics knew of at the last ANALYZE (null until read), alerts inserted since, and
    // whether a writer is analyzing (the other goes on writing).
    private double? _analyzedRows;
    private long _insertedSinceAnalyze;
    private int _analyzing;

    private static readonly string AnalyzeSql = "ANALYZE \"Alerts\" (" + string.Join(", ", new[]
    {
        nameof(Alert.Id), nameof(Alert.TenantId), nameof(Alert.DedupKey), nameof(Alert.TriageState), nameof(Alert.SuppressedByRuleId),
        nameof(Alert.Severity), nameof(Alert.LastReceivedAt), nameof(Alert.Source), nameof(Alert.IncidentId), nameof(Alert.RulesCheckedAt),
        nameof(Alert.Title), // the text filter: without it a title search is guessed rare and planned as a scan and sort
    }.Select(c => $"\"{c}\"")) + ")";

    /// <summary>
    /// PostgreSQL plans the repeat lookup from the table's statistics, which autovacuum refreshes at most once a minute
    /// and only after a tenth of the table has changed. A table that has grown fast from few rows is still believed
    /// tiny, and the lookup is then planned as a scan of every alert of the tenant instead of one probe of the
    /// (tenant, key) index per alert: 77 ms instead of 14 ms for 2,000 keys at 100,000 alerts, growing with the table.
    /// So the writer analyzes the table itself whenever it has at least doubled since the statistics were taken:
    /// a handful of times from empty to millions, never again once the table is large.
    /// </summary>
    private async Task AnalyzeWhenGrownAsync(CancellationToken cancellationToken)
    {
        var inserted = Interlocked.Read(ref _insertedSinceAnalyze);
        // SQLite plans the repeat lookup from the unique index without statistics.
        if (!_postgres || inserted < 1_000 || Interlocked.CompareExchange(ref _analyzing, 1, 0) != 0) return;
        try
        {
            if (_analyzedRows is { } known && inserted < known) return;
            await using var scope = scopes.CreateAsyncScope();
            await using var db = await scope.ServiceProvider.GetRequiredService<IDbContextFactory<FirebreakDbContext>>().CreateDbContextAsync(cancellationToken);
            if (_analyzedRows is null)
            {
                // reltuples is -1 for a table never analyzed.
                var rows = await db.Database.SqlQueryRaw<float>("SELECT reltuples AS \"Value\" FROM pg_class WHERE oid = '\"Alerts\"'::regclass")
                    .SingleAsync(cancellationToken);
                _analyzedRows = Math.Max(0, rows);
                if (inserted < _analyzedRows) return;
            }
            // The indexed columns: the lookup's and the queue's (a table analyzed for some columns only is planned with
            // default guesses for the others, and the queue then sorts every match). Not the payload columns, the
            // costly ones to sample. About a second at a million alerts, while the other PostgreSQL writer goes on.
            await db.Database.ExecuteSqlRawAsync(AnalyzeSql, cancellationToken);
            _analyzedRows += inserted;
            Interlocked.Add(ref _insertedSinceAnalyze, -inserted);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            LogAnalyzeFailed(logger, ex);
            Interlocked.Add(ref _insertedSinceAnalyze, -inserted);
        }
        finally
        {
            Volatile.Write(ref _analyzing, 0);
        }
    }

    private async Task WriteGroupAsync(List<IntakeWork> group, CancellationToken cancellationToken)
    {
        try
        {
            var results = await WriteWithRetryAsync(group, cancellationToken);
            for (var i = 0; i < group.Count; i++) group[i].Completion.TrySetResult(results[i]);
        }
        catch (Exception ex) when (group.Count > 1 && ex is not OperationCanceledException)
        {
            // One bad request must not fail its neighbours: retry each alone so only it gets the error.
            foreach (var work in group) await WriteGroupAsync([work], cancellationToken);
        }
        catch (Exception ex)
        {
            LogWriteFailed(logger, ex, group.Sum(w => w.Alerts.Count));
            foreach (var work in group) work.Completion.TrySetException(ex);
        }
    }

    /// <summary>
    /// A repeat is written only if its row is unchanged since the group read it. A person's change committed in between
    /// (possible on PostgreSQL, where the read does not lock the row), or the other writer's group storing the same key,
    /// rolls the group back; it is stored again from a fresh read.
    /// </summary>
    private async Task<IntakeResult[]> WriteWithRetryAsync(List<IntakeWork> group, CancellationToken cancellationToken)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                return await WriteAsync(group, cancellationToken);
            }
            catch (Exception ex) when (attempt < MaxAttempts && IsRace(ex))
            {
            }
        }
    }

    /// <summary>
    /// A row changed since the group read it, or the other PostgreSQL writer committed a key this group was also
    /// inserting (unique violation), or the two writers locked rows in opposite orders (deadlock): all resolved by
    /// storing the group again.
    /// </summary>
    private static bool IsRace(Exception ex) =>
        ex is DbUpdateConcurrencyException || ex is Npgsql.PostgresException { SqlState: "23505" or "40P01" };

    private async Task<IntakeResult[]> WriteAsync(List<IntakeWork> group, CancellationToken cancellationToken)
    {
        await using var scope = scopes.CreateAsyncScope();
        scope.ServiceProvider.GetRequiredService<CurrentActor>().SetSystem("alert-intake");
        await using var db = await scope.ServiceProvider.GetRequiredService<IDbContextFactory<FirebreakDbContext>>().CreateDbContextAsync(cancellationToken);
        // Intake is recorded on the alert itself (received, last received, occurrences); the audit
        // trail records what people change afterwards (triage, suppression, escalation).
        db.RecordAudit = false;
        if (!_postgres)
        {
            // The intake writer walks the alert indexes for every alert: keep them in this connection's page cache
            // (SQLite's default is 2 MB) rather than copying pages in from the operating system's cache on each lookup.
            await db.Database.OpenConnectionAsync(cancellationToken);
            await db.Database.ExecuteSqlRawAsync("PRAGMA cache_size = -65536", cancellationToken);
        }
        var now = time.GetUtcNow();
        await using var tx = await db.Database.BeginTransactionAsync(cancellationToken);
        var (results, newAlerts, repeats, receipts) = await AlertStore.StoreAsync(db, ruleCache, group, now, cancellationToken);
        // New keys, then repeated rows, then receipts, each in one order: two writers that meet on the same rows wait
        // for each other in the same order instead of deadlocking.
        newAlerts.Sort((a, b) => a.TenantId != b.TenantId ? a.TenantId.CompareTo(b.TenantId) : string.CompareOrdinal(a.DedupKey, b.DedupKey));
        repeats.Sort((a, b) => a.Id.CompareTo(b.Id));
        receipts.Sort((a, b) => a.TenantId != b.TenantId ? a.TenantId.CompareTo(b.TenantId) : string.CompareOrdinal(a.Key, b.Key));
        await AlertRowInserter.InsertAsync(db, newAlerts, cancellationToken);
        await AlertRowInserter.UpdateRepeatsAsync(db, repeats, cancellationToken);
        await AlertRowInserter.InsertAsync(db, receipts, cancellationToken);
        await tx.CommitAsync(cancellationToken);
        Interlocked.Add(ref _insertedSinceAnalyze, newAlerts.Count);
        if (newAlerts.Count > 0)
        {
            foreach (var tenant in newAlerts.GroupBy(a => a.TenantId))
            {
                var stored = tenant.ToList();
                foreach (var observer in observers) observer.AlertsStored(tenant.Key, stored);
            }
        }
        return results;
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Refreshing the alert table's statistics failed; intake goes on")]
    private static partial void LogAnalyzeFailed(ILogger logger, Exception exception);

    [LoggerMessage(Level = LogLevel.Error, Message = "Storing {Count} alerts failed")]
    private static partial void LogWriteFailed(ILogger logger, Exception exception, int count);
}
