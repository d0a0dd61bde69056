using Firebreak.Core.Identity;
using Firebreak.Core.Incidents;
using Firebreak.Core.Investigation;
using Firebreak.Core.Persistence;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Firebreak.Core.Alerts;

/// <summary>
/// Applies escalation rules to newly stored alerts. It works from the database (alerts not yet
/// checked), not from memory, so a restart picks up exactly where it stopped.
/// </summary>
internal sealed partial class EscalationRuleWorker(IServiceScopeFactory scopes, TimeProvider time, IConfiguration configuration, ILogger<EscalationRuleWorker> logger)
    : BackgroundService
{
    private const int BatchSize = 200;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var idle = TimeSpan.FromMilliseconds(configuration.GetValue("Firebreak:Alerts:EscalationPollMilliseconds", 500));
        while (!stoppingToken.IsCancellationRequested)
        {
            int processed;
            try
            {
                processed = await RunOnceAsync(stoppingToken);
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                LogFailed(logger, ex);
                processed = 0;
            }
            if (processed < BatchSize) await Task.Delay(idle, time, stoppingToken);
        }
    }

    /// <summary>Checks one batch of alerts; returns how many it looked at.</summary>
    internal async Task<int> RunOnceAsync(CancellationToken cancellationToken)
    {
        await using var scope = scopes.CreateAsyncScope();
        scope.ServiceProvider.GetRequiredService<CurrentActor>().SetSystem("escalation-rules");
        var factory = scope.ServiceProvider.GetRequiredService<IDbContextFactory<FirebreakDbContext>>();
        await using var db = await factory.CreateDbContextAsync(cancellationToken);
        var pending = await db.Alerts.AsNoTracking().Where(a => a.RulesCheckedAt == null)
            .OrderBy(a => a.ReceivedAt).Take(BatchSize).ToListAsync(cancellationToken);
        if (pending.Count == 0) return 0;
        var tenants = pending.Select(a => a.TenantId).Distinct().ToList();
        var rules = (await db.EscalationRules.AsNoTracking().Where(r => r.Enabled && tenants.Contains(r.TenantId)).ToListAsync(cancellationToken))
            .GroupBy(r => r.TenantId).ToDictionary(g => g.Key, g => g.OrderBy(r => r.CreatedAt).ToList());
        var escalations = scope.ServiceProvider.GetRequiredService<EscalationService>();
        foreach (var alert in pending)
        {
            var rule = alert.SuppressedByRuleId is null && alert.IncidentId is null && alert.TriageState == TriageState.New
                ? rules.GetValueOrDefault(alert.TenantId)?.FirstOrDefault(r => r.Matches(alert))
                : null;
            if (rule is not null) await EscalateAsync(factory, escalations, alert, rule, cancellationToken);
        }
        var ids = pending.Select(a => a.Id).ToList();
        var now = time.GetUtcNow();
        await db.Alerts.Where(a => ids.Contains(a.Id)).ExecuteUpdateAsync(s => s.SetProperty(a => a.RulesCheckedAt, now), cancellationToken);
        return pending.Count;
    }

    private async Task EscalateAsync(IDbContextFactory<FirebreakDbContext> factory, EscalationService escalations, Alert alert, EscalationRule rule, CancellationToken cancellationToken)
    {
        await using var db = await factory.CreateDbContextAsync(cancellationToken);
        var actor = new CurrentActor();
        actor.SetOperator(alert.TenantId, $"rule:{rule.Name}");
        db.ActAs(actor);
        try
        {
            var target = rule.Action == EscalationAction.MergeOrCreate ? await OpenIncidentSharingAsync(db, alert, cancellationToken) : null;
            if (target is not null) await escalations.MergeInAsync(db, [alert.Id], target.Value.ToString(), rule.Name, cancellationToken);
            else await escalations.PromoteInAsync(db, new PromoteCommand([alert.Id]), rule.Name, cancellationToken);
        }
        catch (Common.DomainException ex)
        {
            // Someone escalated or changed it in the meantime: their decision stands.
            LogSkipped(logger, alert.Id, rule.Name, ex.Message);
        }
    }

    /// <summary>The newest open incident holding one of the alert's principals or resources.</summary>
    private static async Task<Guid?> OpenIncidentSharingAsync(FirebreakDbContext db, Alert alert, CancellationToken cancellationToken)
    {
        var values = alert.Principals.Select(p => p.Value).Concat(alert.Resources).Distinct().ToList();
        if (values.Count == 0) return null;
        return await db.IncidentArtifacts.AsNoTracking()
            .Where(a => values.Contains(a.Value) && (a.Kind == ArtifactKinds.Principal || a.Kind == ArtifactKinds.Resource))
            .Join(db.Incidents.Where(i => i.Status == IncidentStatus.Open && i.Phase != Phase.Closed), a => a.IncidentId, i => i.Id, (a, i) => i)
            .OrderByDescending(i => i.CreatedAt).Select(i => (Guid?)i.Id).FirstOrDefaultAsync(cancellationToken);
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "Escalation rules failed; retrying")]
    private static partial void LogFailed(ILogger logger, Exception exception);

    [LoggerMessage(Level = LogLevel.Information, Message = "Rule {Rule} left alert {AlertId} alone: {Reason}")]
    private static partial void LogSkipped(ILogger logger, Guid alertId, string rule, string reason);
}
