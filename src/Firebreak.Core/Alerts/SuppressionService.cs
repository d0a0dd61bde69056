using Firebreak.Core.Common;
using Firebreak.Core.Identity;
using Firebreak.Core.Incidents;
using Firebreak.Core.Persistence;
using Microsoft.EntityFrameworkCore;

namespace Firebreak.Core.Alerts;

public sealed class SuppressionService(IDbContextFactory<FirebreakDbContext> factory, TimeProvider time, AlertRuleCache ruleCache)
{
    public async Task<IReadOnlyList<SuppressionRuleView>> ListAsync(CancellationToken cancellationToken = default)
    {
        await using var db = await factory.CreateDbContextAsync(cancellationToken);
        var rules = await db.SuppressionRules.AsNoTracking().OrderBy(r => r.CreatedAt).ToListAsync(cancellationToken);
        var counts = await db.Alerts.AsNoTracking().Where(a => a.SuppressedByRuleId != null)
            .GroupBy(a => a.SuppressedByRuleId!.Value).Select(g => new { g.Key, Count = g.Count() })
            .ToDictionaryAsync(g => g.Key, g => g.Count, cancellationToken);
        var now = time.GetUtcNow();
        return rules.Select(r => ToView(r, counts.GetValueOrDefault(r.Id), now)).ToList();
    }

    public async Task<SuppressionRuleView> CreateAsync(CreateSuppressionRule command, CancellationToken cancellationToken = default)
    {
        new Checks().Required("name", command.Name, 200).Required("value", command.Value, AlertLimits.ValueLength)
            .Required("reason", command.Reason, IncidentLimits.ReasonLength)
            .Defined("field", (SuppressionField?)command.Field).Defined("operator", (MatchOperator?)command.Operator)
            .That(command.ExpiresAt is null || command.ExpiresAt > time.GetUtcNow(), "expiresAt", "expiresAt must be in the future.")
            .ThrowIfAny();
        SuppressionMatcher.Compile(command.Operator, command.Value);
        await using var db = await factory.CreateDbContextAsync(cancellationToken);
        IncidentLookup.Require(db.Actor, Role.IncidentManager, "create suppression rules");
        var rule = new SuppressionRule
        {
            Name = command.Name.Trim(),
            Field = command.Field,
            Operator = command.Operator,
            Value = command.Value.Trim(),
            Reason = command.Reason.Trim(),
            ExpiresAt = command.ExpiresAt,
            CreatedBy = db.Actor.Name,
            CreatedAt = time.GetUtcNow(),
        };
        db.SuppressionRules.Add(rule);
        await db.SaveChangesAsync(cancellationToken);
        ruleCache.Invalidate(rule.TenantId);
        return ToView(rule, 0, time.GetUtcNow());
    }

    public async Task<SuppressionRuleView> UpdateAsync(Guid id, UpdateSuppressionRule command, long? expectedVersion, CancellationToken cancellationToken = default)
    {
        new Checks().MaxLength("reason", command.Reason, IncidentLimits.ReasonLength)
            .That(command.Reason is null || !string.IsNullOrWhiteSpace(command.Reason), "reason", "reason cannot be blank.").ThrowIfAny();
        await using var db = await factory.CreateDbContextAsync(cancellationToken);
        IncidentLookup.Require(db.Actor, Role.IncidentManager, "change suppression rules");
        var rule = await db.SuppressionRules.SingleOrDefaultAsync(r => r.Id == id, cancellationToken)
            ?? throw new NotFoundException("Suppression rule", id.ToString());
        IncidentLookup.CheckVersion(rule, expectedVersion);
        if (command.Enabled is { } enabled) rule.Enabled = enabled;
        if (command.ClearExpiry) rule.ExpiresAt = null;
        else if (command.ExpiresAt is { } expires) rule.ExpiresAt = expires;
        if (command.Reason is not null) rule.Reason = command.Reason.Trim();
        await db.SaveChangesAsync(cancellationToken);
        ruleCache.Invalidate(rule.TenantId);
        var count = await db.Alerts.CountAsync(a => a.SuppressedByRuleId == id, cancellationToken);
        return ToView(rule, count, time.GetUtcNow());
    }

    private static SuppressionRuleView ToView(SuppressionRule r, int count, DateTimeOffset now) =>
        new(r.Id, r.Name, r.Field, r.Operator, r.Value, r.Reason, r.ExpiresAt, r.Enabled, r.IsActive(now), r.CreatedBy, r.CreatedAt, count, r.Version);
}
