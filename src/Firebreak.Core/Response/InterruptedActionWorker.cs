using Firebreak.Core.Identity;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Firebreak.Core.Response;

/// <summary>
/// At start, marks the response actions a stopped server left running as interrupted and verifies what holds
/// (see <see cref="ResponseService.MarkInterruptedAsync"/>). One pass per start. The marking, one transaction, is done
/// before the start goes on: the hosted services after this one (the playbook worker resuming runs) and the server's
/// requests come after it, so no action this server starts is taken for one left running. The verification runs in
/// the background so a slow or unreachable cloud endpoint does not hold up the server. One server per database is
/// assumed: another server's runs in progress would be marked interrupted too.
/// </summary>
internal sealed partial class InterruptedActionWorker(IServiceScopeFactory scopes, ILogger<InterruptedActionWorker> logger) : BackgroundService
{
    private IReadOnlyList<ResponseAction> _interrupted = [];

    public override async Task StartAsync(CancellationToken cancellationToken)
    {
        try
        {
            await using var scope = Recovery();
            _interrupted = await scope.ServiceProvider.GetRequiredService<ResponseService>().MarkInterruptedAsync(cancellationToken);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            LogFailed(logger, ex);
        }
        await base.StartAsync(cancellationToken);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (_interrupted.Count == 0) return;
        try
        {
            await using var scope = Recovery();
            await scope.ServiceProvider.GetRequiredService<ResponseService>().VerifyInterruptedAsync(_interrupted, stoppingToken);
            LogRecovered(logger, _interrupted.Count);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            LogFailed(logger, ex);
        }
    }

    private AsyncServiceScope Recovery()
    {
        var scope = scopes.CreateAsyncScope();
        scope.ServiceProvider.GetRequiredService<CurrentActor>().SetSystem("response-recovery");
        return scope;
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "{Count} response actions were still running when the server stopped; marked interrupted and verified")]
    private static partial void LogRecovered(ILogger logger, int count);

    [LoggerMessage(Level = LogLevel.Error, Message = "Recovering interrupted response actions failed")]
    private static partial void LogFailed(ILogger logger, Exception exception);
}
