using Firebreak.Core.Identity;
using Firebreak.Core.Persistence;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Firebreak.Core.Investigation;

/// <summary>
/// Runs queued imports one at a time, oldest first. Imports left running by a stopped server are
/// picked up again at start and resume from their checkpoint.
/// </summary>
public sealed partial class EventImportWorker(IServiceScopeFactory scopes, InvestigationOptions options, EventImportSignal signal, ILogger<EventImportWorker> logger)
    : BackgroundService
{
    private static readonly TimeSpan Poll = TimeSpan.FromSeconds(5);

    /// <summary>Runs of one import that ended in an unexpected error; at this many it is marked failed so the queue moves on.</summary>
    private const int MaxAttempts = 3;

    private readonly Dictionary<Guid, int> _attempts = [];

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!options.RunImports) return;
        while (!stoppingToken.IsCancellationRequested)
        {
            (Guid Id, Guid TenantId)? next = null;
            try
            {
                next = await NextAsync(stoppingToken);
                if (next is null)
                {
                    await signal.WaitAsync(Poll, stoppingToken);
                    continue;
                }
                await using var scope = scopes.CreateAsyncScope();
                scope.ServiceProvider.GetRequiredService<CurrentActor>().SetOperator(next.Value.TenantId, "event-import");
                await scope.ServiceProvider.GetRequiredService<EventImportRunner>().RunAsync(next.Value.Id, stoppingToken);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex)
            {
                // A database outage must not end the worker; the import stays where its checkpoint left it.
                LogError(logger, ex);
                if (next is { } failing && (_attempts[failing.Id] = _attempts.GetValueOrDefault(failing.Id) + 1) >= MaxAttempts)
                {
                    await GiveUpAsync(failing.Id, stoppingToken);
                }
                await Task.Delay(Poll, stoppingToken).ContinueWith(_ => { }, TaskScheduler.Default);
            }
        }
    }

    private async Task<(Guid Id, Guid TenantId)?> NextAsync(CancellationToken cancellationToken)
    {
        await using var scope = scopes.CreateAsyncScope();
        scope.ServiceProvider.GetRequiredService<CurrentActor>().SetSystem("event-import");
        await using var db = await scope.ServiceProvider.GetRequiredService<IDbContextFactory<FirebreakDbContext>>().CreateDbContextAsync(cancellationToken);
        var next = await db.EventImports.AsNoTracking()
            .Where(i => i.Status == ImportStatus.Queued || i.Status == ImportStatus.Running)
            .OrderBy(i => i.CreatedAt).Select(i => new { i.Id, i.TenantId }).FirstOrDefaultAsync(cancellationToken);
        return next is null ? null : (next.Id, next.TenantId);
    }

    private async Task GiveUpAsync(Guid importId, CancellationToken cancellationToken)
    {
        try
        {
            await using var scope = scopes.CreateAsyncScope();
            scope.ServiceProvider.GetRequiredService<CurrentActor>().SetSystem("event-import");
            await using var db = await scope.ServiceProvider.GetRequiredService<IDbContextFactory<FirebreakDbContext>>().CreateDbContextAsync(cancellationToken);
            var import = await db.EventImports.SingleAsync(i => i.Id == importId, cancellationToken);
            import.Status = ImportStatus.Failed;
            import.Error = $"Stopped after {MaxAttempts} attempts ended in an unexpected error; the server log has the details.";
            await db.SaveChangesAsync(cancellationToken);
            _attempts.Remove(importId);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            LogError(logger, ex);
        }
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "Event import failed; retrying shortly")]
    private static partial void LogError(ILogger logger, Exception exception);
}
