using Firebreak.Core.Common;
using Firebreak.Core.Identity;

namespace Firebreak.Core.Incidents;

/// <summary>
/// The phase rules, free of storage so they can be read (and tested) in one place:
/// forward moves may skip phases; moving back is a reopen and needs an incident manager's role;
/// Containment and later need an incident manager assigned; Closed needs a post-incident review.
/// Each milestone is stamped the first time the incident moves past it.
/// </summary>
public static class IncidentLifecycle
{
    public static PhaseTransition Transition(Incident incident, Phase to, string reason, ICurrentActor actor, bool hasReview, DateTimeOffset now)
    {
        var from = incident.Phase;
        if (from == to) throw new ConflictException($"The incident is already in {to.Display()}.");
        if (incident.Status is IncidentStatus.Duplicate or IncidentStatus.FalsePositive)
            throw new ConflictException("The incident is closed as a duplicate or false positive; reopen it (status open) first.");
        var backwards = to < from;
        if (backwards && !actor.Role.Allows(Role.IncidentManager))
            throw new ForbiddenException("Only an incident manager or admin may move an incident back to an earlier phase.");
        if (to >= Phase.Containment && to != Phase.Closed && incident.IncidentManagerId is null)
            throw new ConflictException("Assign an incident manager before moving to Containment or later.");
        if (to == Phase.Closed && !hasReview)
            throw new ConflictException("Record a post-incident review before closing the incident.");
        if (to == Phase.Closed && incident.IncidentManagerId is null)
            throw new ConflictException("Assign an incident manager before closing the incident.");

        incident.Phase = to;
        if (to > Phase.Containment) incident.ContainedAt ??= now;
        if (to > Phase.Eradication) incident.EradicatedAt ??= now;
        if (to > Phase.Recovery) incident.RecoveredAt ??= now;
        incident.ClosedAt = to == Phase.Closed ? now : null;
        incident.UpdatedAt = now;

        return new PhaseTransition
        {
            IncidentId = incident.Id,
            TenantId = incident.TenantId,
            From = from,
            To = to,
            IsReopen = from == Phase.Closed,
            Reason = reason,
            ActorName = actor.Name,
            ActorUserId = actor.UserId,
            At = now,
        };
    }
}
