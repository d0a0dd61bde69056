using Firebreak.Core.Common;
using Firebreak.Core.Identity;
using Firebreak.Core.Incidents;
using Firebreak.Core.Persistence;
using Microsoft.EntityFrameworkCore;

namespace Firebreak.Core.Alerts;

public sealed class EscalationRuleService(IDbContextFactory<FirebreakDbContext> factory, TimeProvider time, AlertRuleCache ruleCache)
{
    public async Task<IReadOnlyList<EscalationRuleView>> ListAsync(CancellationToken cancellationToken = default)
    {
        await using var db = await factory.CreateDbContextAsync(cancellationToken);
        return (await db.EscalationRules.AsNoTracking().OrderBy(r => r.CreatedAt).ToListAsync(cancellationToken)).Select(ToView).ToList();
    }

    public async Task<EscalationRuleView> CreateAsync(CreateEscalationRule command, CancellationToken cancellationToken = default)
    {
        new Checks().Required("name", command.Name, 200).Defined("action", (EscalationAction?)command.Action).Defined("minSeverity", command.MinSeverity)
            .Items("sources", command.Sources, 50, AlertLimits.SourceLength).Items("techniques", command.Techniques, 100, 32)
            .That(command.MinSeverity is not null || command.Sources is { Count: > 0 } || command.Techniques is { Count: > 0 },
                "conditions", "Set at least one condition: minSeverity, sources or techniques.")
            .ThrowIfAny();
        await using var db = await factory.CreateDbContextAsync(cancellationToken);
        IncidentLookup.Require(db.Actor, Role.IncidentManager, "create escalation rules");
        var rule = new EscalationRule
        {
            Name = command.Name.Trim(),
            Action = command.Action,
            MinSeverity = command.MinSeverity,
            Sources = (command.Sources ?? []).Select(s => s.Trim()).ToList(),
            Techniques = (command.Techniques ?? []).Select(t => t.Trim().ToUpperInvariant()).ToList(),
            CreatedBy = db.Actor.Name,
            CreatedAt = time.GetUtcNow(),
        };
        db.EscalationRules.Add(rule);
        await db.SaveChangesAsync(cancellationToken);
        ruleCache.Invalidate(rule.TenantId);
        return ToView(rule);
    }

    public async Task<EscalationRuleView> SetEnabledAsync(Guid id, bool enabled, CancellationToken cancellationToken = default)
    {
        await using var db = await factory.CreateDbContextAsync(cancellationToken);
        IncidentLookup.Require(db.Actor, Role.IncidentManager, "change escalation rules");
        var rule = await db.EscalationRules.SingleOrDefaultAsync(r => r.Id == id, cancellationToken)
            ?? throw new NotFoundException("Escalation rule", id.ToString());
        rule.Enabled = enabled;
        await db.SaveChangesAsync(cancellationToken);
        ruleCache.Invalidate(rule.TenantId);
        return ToView(rule);
    }

    private static EscalationRuleView ToView(EscalationRule r) =>
        new(r.Id, r.Name, r.Enabled, r.MinSeverity, r.Sources, r.Techniques, r.Action, r.CreatedBy, r.CreatedAt, r.Version);
}
