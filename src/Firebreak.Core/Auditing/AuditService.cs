using Firebreak.Core.Common;
using Firebreak.Core.Persistence;
using Microsoft.EntityFrameworkCore;

namespace Firebreak.Core.Auditing;

public sealed record AuditView(long Id, string EntityType, string EntityId, string Action, string Actor, DateTimeOffset At, string? Before, string? After);

public sealed class AuditService(IDbContextFactory<FirebreakDbContext> factory)
{
    /// <summary>Every change to the incident and the records hanging off it, newest first.</summary>
    public async Task<PagedResult<AuditView>> ListForIncidentAsync(string incidentKey, int? page, int? pageSize, CancellationToken cancellationToken = default)
    {
        var (p, s) = Paging.Normalise(page, pageSize);
        await using var db = await factory.CreateDbContextAsync(cancellationToken);
        var incident = await Incidents.IncidentLookup.FindAsync(db, incidentKey, cancellationToken, track: false);
        var q = db.AuditEntries.AsNoTracking().Where(a => a.IncidentId == incident.Id);
        var total = await q.CountAsync(cancellationToken);
        var rows = await q.OrderByDescending(a => a.Id).Skip((p - 1) * s).Take(s).ToListAsync(cancellationToken);
        return new PagedResult<AuditView>(rows.Select(ToView).ToList(), p, s, total);
    }

    /// <summary>Every change to one record (an alert's triage, a rule's switches), newest first.</summary>
    public async Task<IReadOnlyList<AuditView>> ListForEntityAsync(string entityType, string entityId, int max = 100, CancellationToken cancellationToken = default)
    {
        await using var db = await factory.CreateDbContextAsync(cancellationToken);
        var rows = await db.AuditEntries.AsNoTracking().Where(a => a.EntityType == entityType && a.EntityId == entityId)
            .OrderByDescending(a => a.Id).Take(Math.Clamp(max, 1, 500)).ToListAsync(cancellationToken);
        return rows.Select(ToView).ToList();
    }

    /// <summary>The tenant's whole trail (users, keys, incidents), newest first.</summary>
    public async Task<PagedResult<AuditView>> ListAsync(int? page, int? pageSize, CancellationToken cancellationToken = default)
    {
        var (p, s) = Paging.Normalise(page, pageSize);
        await using var db = await factory.CreateDbContextAsync(cancellationToken);
        var q = db.AuditEntries.AsNoTracking();
        var total = await q.CountAsync(cancellationToken);
        var rows = await q.OrderByDescending(a => a.Id).Skip((p - 1) * s).Take(s).ToListAsync(cancellationToken);
        return new PagedResult<AuditView>(rows.Select(ToView).ToList(), p, s, total);
    }

    private static AuditView ToView(AuditEntry a) => new(a.Id, a.EntityType, a.EntityId, a.Action, a.ActorName, a.At, a.Before, a.After);
}
