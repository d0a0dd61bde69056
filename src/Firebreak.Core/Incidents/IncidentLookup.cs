using Firebreak.Core.Common;
using Firebreak.Core.Identity;
using Firebreak.Core.Persistence;
using Microsoft.EntityFrameworkCore;

namespace Firebreak.Core.Incidents;

internal static class IncidentLookup
{
    /// <summary>An incident by id or by its human reference (INC-2026-0001, any case). Other tenants' incidents are not found.</summary>
    public static async Task<Incident> FindAsync(FirebreakDbContext db, string key, CancellationToken cancellationToken, bool track = true)
    {
        var query = track ? db.Incidents : db.Incidents.AsNoTracking();
        Incident? incident;
        if (Guid.TryParse(key, out var id))
        {
            incident = await query.SingleOrDefaultAsync(i => i.Id == id, cancellationToken);
        }
        else
        {
            var reference = (key ?? "").Trim().ToUpperInvariant();
            incident = reference.Length is > 0 and <= 32
                ? await query.SingleOrDefaultAsync(i => i.Reference == reference, cancellationToken)
                : null;
        }
        return incident ?? throw new NotFoundException("Incident", key ?? "");
    }

    public static void CheckVersion(IVersioned record, long? expectedVersion)
    {
        if (expectedVersion is { } v && v != record.Version)
            throw new ConcurrencyConflictException($"The record is at version {record.Version}, not {v}: someone else changed it. Reload and try again.");
    }

    /// <summary>A user of the acting tenant, for a role or task owner; otherwise a field error.</summary>
    public static async Task<User?> TenantUserAsync(FirebreakDbContext db, Guid? userId, string field, CancellationToken cancellationToken)
    {
        if (userId is null) return null;
        return await db.Users.AsNoTracking().SingleOrDefaultAsync(u => u.Id == userId, cancellationToken)
            ?? throw new ValidationFailedException(field, $"{field} is not a user of this tenant.");
    }

    public static void Require(ICurrentActor actor, Role role, string what)
    {
        if (!actor.Role.Allows(role))
            throw new ForbiddenException($"Only the {role.Name()} role or above may {what}.");
    }
}
