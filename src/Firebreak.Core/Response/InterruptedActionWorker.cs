using Firebreak.Core.Identity;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Firebreak.Core.Response;

/// <summary>
/// At start, marks the response actions a stopped server left running as interrupted and verifies what holds
/// (see <see cref="ResponseService.RecoverInterruptedAsync"/>). One pass per start; it runs in the background so
/// a slow or unreachable cloud endpoint does not hold up the server. One server per database is assumed: another
/// server's runs in progress would be marked interrupted too.
/// </summary>
internal sealed partial class InterruptedActionWorker(IServiceScopeFactory scopes, ILogger<InterruptedActionWorker> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        try
        {
            await using var scope = scopes.CreateAsyncScope();
            scope.ServiceProvider.GetRequiredService<CurrentActor>().SetSystem("response-recovery");
            var count = await scope.ServiceProvider.GetRequiredService<ResponseService>().RecoverInterruptedAsync(stoppingToken);
            if (count > 0) LogRecovered(logger, count);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            LogFailed(logger, ex);
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "{Count} response actions were still running when the server stopped; marked interrupted and verified")]
    private static partial void LogRecovered(ILogger logger, int count);

    [LoggerMessage(Level = LogLevel.Error, Message = "Recovering interrupted response actions failed")]
    private static partial void LogFailed(ILogger logger, Exception exception);
}
