using System.Threading.Channels;
using Firebreak.Core.Alerts;
using Firebreak.Core.Identity;
using Firebreak.Core.Investigation;
using Firebreak.Core.Persistence;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Firebreak.Core.ThreatIntel;

/// <summary>Matching work: new alerts, an incident's finished event import, or feed indicators that are new or changed.</summary>
public sealed record ThreatIntelWork(Guid TenantId, IReadOnlyList<Alert>? Alerts = null, Guid? IncidentId = null, IReadOnlyList<Guid>? IndicatorIds = null);

/// <summary>
/// Where intake, event imports and feed changes hand over matching work. Intake only writes to a
/// channel here, so the intake path never waits on matching.
/// </summary>
public sealed partial class ThreatIntelQueue(ILogger<ThreatIntelQueue> logger) : IAlertIntakeObserver, IEventImportObserver
{
    private readonly Channel<ThreatIntelWork> _channel = Channel.CreateBounded<ThreatIntelWork>(new BoundedChannelOptions(10_000)
    {
        FullMode = BoundedChannelFullMode.DropWrite,
        SingleReader = true,
    });

    internal ChannelReader<ThreatIntelWork> Reader => _channel.Reader;

    public void AlertsStored(Guid tenantId, IReadOnlyList<Alert> alerts)
    {
        // Alerts this feature raised are never matched again: a match must not feed itself.
        var candidates = alerts.Where(a => a.Source != ThreatIntelMatcher.AlertSource).ToList();
        if (candidates.Count > 0) Enqueue(new ThreatIntelWork(tenantId, Alerts: candidates));
    }

    public void ImportCompleted(Guid tenantId, Guid incidentId) => Enqueue(new ThreatIntelWork(tenantId, IncidentId: incidentId));

    public void IndicatorsChanged(Guid tenantId, IReadOnlyList<Guid> indicatorIds) => Enqueue(new ThreatIntelWork(tenantId, IndicatorIds: indicatorIds));

    private void Enqueue(ThreatIntelWork work)
    {
        if (!_channel.Writer.TryWrite(work)) LogDropped(logger, work.TenantId);
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Threat-intel matching is behind; work for tenant {TenantId} was dropped")]
    private static partial void LogDropped(ILogger logger, Guid tenantId);
}

/// <summary>Runs the matching work queued by <see cref="ThreatIntelQueue"/>, one item at a time, each as its tenant.</summary>
internal sealed partial class ThreatIntelMatchWorker(ThreatIntelQueue queue, IServiceScopeFactory scopes, ILogger<ThreatIntelMatchWorker> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        await foreach (var work in queue.Reader.ReadAllAsync(stoppingToken))
        {
            try
            {
                await using var scope = scopes.CreateAsyncScope();
                scope.ServiceProvider.GetRequiredService<CurrentActor>().SetOperator(work.TenantId, "threat-intel");
                var matcher = scope.ServiceProvider.GetRequiredService<ThreatIntelMatcher>();
                if (work.Alerts is { } alerts) await matcher.MatchAlertsAsync(work.TenantId, alerts, stoppingToken);
                if (work.IncidentId is { } incident) await matcher.MatchIncidentEventsAsync(incident, null, stoppingToken);
                if (work.IndicatorIds is { } ids) await matcher.MatchIndicatorsAsync(ids, stoppingToken);
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                LogFailed(logger, ex, work.TenantId);
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "Threat-intel matching for tenant {TenantId} failed")]
    private static partial void LogFailed(ILogger logger, Exception exception, Guid tenantId);
}

/// <summary>Polls TAXII and MISP feeds when their interval has passed. Firebreak:ThreatIntel:Poll = false turns it off.</summary>
internal sealed partial class ThreatFeedPoller(IServiceScopeFactory scopes, IConfiguration configuration, TimeProvider time, ILogger<ThreatFeedPoller> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!configuration.GetValue("Firebreak:ThreatIntel:Poll", true)) return;
        var interval = TimeSpan.FromSeconds(Math.Max(1, configuration.GetValue("Firebreak:ThreatIntel:CheckSeconds", 60)));
        using var timer = new PeriodicTimer(interval, time);
        do
        {
            try
            {
                await PollDueAsync(stoppingToken);
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                LogFailed(logger, ex);
            }
        }
        while (await timer.WaitForNextTickAsync(stoppingToken));
    }

    private async Task PollDueAsync(CancellationToken cancellationToken)
    {
        List<(Guid Id, Guid TenantId)> due;
        await using (var scope = scopes.CreateAsyncScope())
        {
            scope.ServiceProvider.GetRequiredService<CurrentActor>().SetSystem("threat-intel-poller");
            await using var db = await scope.ServiceProvider.GetRequiredService<IDbContextFactory<FirebreakDbContext>>().CreateDbContextAsync(cancellationToken);
            due = await ThreatIntelService.DueAsync(db, time.GetUtcNow(), cancellationToken);
        }
        foreach (var (id, tenantId) in due)
        {
            await using var scope = scopes.CreateAsyncScope();
            scope.ServiceProvider.GetRequiredService<CurrentActor>().SetOperator(tenantId, "threat-intel-poller");
            await scope.ServiceProvider.GetRequiredService<ThreatIntelService>().PollAsync(id.ToString(), cancellationToken);
        }
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "Polling threat-intel feeds failed")]
    private static partial void LogFailed(ILogger logger, Exception exception);
}
