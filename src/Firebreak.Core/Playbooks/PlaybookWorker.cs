using Firebreak.Core.Identity;
using Firebreak.Core.Persistence;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Firebreak.Core.Playbooks;

/// <summary>
/// Advances every running playbook run, oldest first, each as the person who started it. Runs are read from the
/// database on every pass, so runs in progress when the server stopped carry on when it starts again.
/// </summary>
public sealed partial class PlaybookWorker(IServiceScopeFactory scopes, PlaybookSignal signal, IConfiguration configuration, ILogger<PlaybookWorker> logger)
    : BackgroundService
{
    private TimeSpan Poll => TimeSpan.FromSeconds(Math.Clamp(configuration.GetValue("Firebreak:Playbooks:PollSeconds", 5.0), 0.1, 300));

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                foreach (var run in await RunningAsync(stoppingToken))
                {
                    try
                    {
                        await using var scope = scopes.CreateAsyncScope();
                        var actor = scope.ServiceProvider.GetRequiredService<CurrentActor>();
                        if (run.StartedByUserId is { } user) actor.SetUser(run.TenantId, user, run.StartedBy, run.StartedByRole);
                        else if (run.StartedByApiKeyId is { } key) actor.SetApiKey(run.TenantId, key, run.StartedBy, run.StartedByRole);
                        else actor.SetOperator(run.TenantId, run.StartedBy);
                        await scope.ServiceProvider.GetRequiredService<PlaybookRunner>().AdvanceAsync(run.Id, stoppingToken);
                    }
                    catch (Exception ex) when (ex is not OperationCanceledException || !stoppingToken.IsCancellationRequested)
                    {
                        // A concurrent change by a person, or a database hiccup: the run is read again on the next pass.
                        LogRunError(logger, run.Id, ex);
                    }
                }
                await signal.WaitAsync(Poll, stoppingToken);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex)
            {
                LogError(logger, ex);
                await Task.Delay(Poll, stoppingToken).ContinueWith(_ => { }, TaskScheduler.Default);
            }
        }
    }

    private async Task<List<PlaybookRun>> RunningAsync(CancellationToken cancellationToken)
    {
        await using var scope = scopes.CreateAsyncScope();
        scope.ServiceProvider.GetRequiredService<CurrentActor>().SetSystem("playbook-worker");
        await using var db = await scope.ServiceProvider.GetRequiredService<IDbContextFactory<FirebreakDbContext>>().CreateDbContextAsync(cancellationToken);
        return await db.PlaybookRuns.AsNoTracking().Where(r => r.Status == RunStatus.Running).OrderBy(r => r.StartedAt).ThenBy(r => r.Id).Take(500).ToListAsync(cancellationToken);
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Playbook run {RunId} could not advance; retrying on the next pass")]
    private static partial void LogRunError(ILogger logger, Guid runId, Exception exception);

    [LoggerMessage(Level = LogLevel.Error, Message = "Playbook worker pass failed; retrying shortly")]
    private static partial void LogError(ILogger logger, Exception exception);
}
