using Firebreak.Core.Common;
using Firebreak.Core.Identity;
using Firebreak.Core.Incidents;
using Firebreak.Core.Persistence;
using Microsoft.EntityFrameworkCore;

namespace Firebreak.Core.PostMortem;

/// <summary>The review's follow-up actions: recorded per incident, tracked across incidents until done.</summary>
public sealed class FollowUpService(IDbContextFactory<FirebreakDbContext> factory, TimeProvider time)
{
    public async Task<IReadOnlyList<FollowUpView>> ListAsync(string incidentKey, CancellationToken cancellationToken = default)
    {
        await using var db = await factory.CreateDbContextAsync(cancellationToken);
        var incident = await IncidentLookup.FindAsync(db, incidentKey, cancellationToken, track: false);
        var items = await db.FollowUpActions.AsNoTracking().Where(f => f.IncidentId == incident.Id)
            .OrderBy(f => f.CreatedAt).ThenBy(f => f.Id).ToListAsync(cancellationToken);
        return await ViewsAsync(db, items, cancellationToken);
    }

    /// <summary>Follow-ups of every incident, the ones due first (undated last); overdue ones flagged.</summary>
    public async Task<PagedResult<FollowUpView>> ListAcrossIncidentsAsync(FollowUpQuery query, CancellationToken cancellationToken = default)
    {
        var (page, pageSize) = Paging.Normalise(query.Page, query.PageSize);
        new Checks().Defined("status", query.Status).ThrowIfAny();
        await using var db = await factory.CreateDbContextAsync(cancellationToken);
        var today = Today();
        var rows = db.FollowUpActions.AsNoTracking();
        rows = query.Status is { } status ? rows.Where(f => f.Status == status) : rows.Where(f => f.Status != FollowUpStatus.Done);
        if (query.OverdueOnly) rows = rows.Where(f => f.Status != FollowUpStatus.Done && f.DueOn != null && f.DueOn < today);
        if (query.OwnerId is { } owner) rows = rows.Where(f => f.OwnerId == owner);
        var total = await rows.CountAsync(cancellationToken);
        var items = await rows.OrderBy(f => f.DueOn == null).ThenBy(f => f.DueOn).ThenBy(f => f.CreatedAt).ThenBy(f => f.Id)
            .Skip((page - 1) * pageSize).Take(pageSize).ToListAsync(cancellationToken);
        return new PagedResult<FollowUpView>(await ViewsAsync(db, items, cancellationToken), page, pageSize, total);
    }

    public async Task<FollowUpView> AddAsync(string incidentKey, CreateFollowUp command, CancellationToken cancellationToken = default)
    {
        new Checks().Required("title", command.Title, PostMortemLimits.TitleLength)
            .MaxLength("notes", command.Notes, PostMortemLimits.NoteLength).ThrowIfAny();
        await using var db = await factory.CreateDbContextAsync(cancellationToken);
        IncidentLookup.Require(db.Actor, Role.Responder, "add follow-up actions");
        var incident = await IncidentLookup.FindAsync(db, incidentKey, cancellationToken, track: false);
        await IncidentLookup.TenantUserAsync(db, command.OwnerId, "ownerId", cancellationToken);
        if (await db.FollowUpActions.CountAsync(f => f.IncidentId == incident.Id, cancellationToken) >= PostMortemLimits.MaxPerIncident)
            throw new ConflictException($"An incident may have at most {PostMortemLimits.MaxPerIncident} follow-up actions.");
        var now = time.GetUtcNow();
        var item = new FollowUpAction
        {
            IncidentId = incident.Id,
            Title = command.Title.Trim(),
            Notes = command.Notes?.Trim() ?? "",
            OwnerId = command.OwnerId,
            DueOn = command.DueOn,
            Status = FollowUpStatus.Open,
            CreatedAt = now,
            UpdatedAt = now,
        };
        db.FollowUpActions.Add(item);
        await db.SaveChangesAsync(cancellationToken);
        return (await ViewsAsync(db, [item], cancellationToken))[0];
    }

    public async Task<FollowUpView> UpdateAsync(string incidentKey, Guid id, UpdateFollowUp command, long? expectedVersion, CancellationToken cancellationToken = default)
    {
        var checks = new Checks();
        if (command.Title is not null) checks.Required("title", command.Title, PostMortemLimits.TitleLength);
        checks.MaxLength("notes", command.Notes, PostMortemLimits.NoteLength).Defined("status", command.Status)
            .That(!(command.ClearOwner && command.OwnerId is not null), "ownerId", "Give an ownerId or clearOwner, not both.")
            .That(!(command.ClearDueOn && command.DueOn is not null), "dueOn", "Give a dueOn or clearDueOn, not both.")
            .ThrowIfAny();
        await using var db = await factory.CreateDbContextAsync(cancellationToken);
        IncidentLookup.Require(db.Actor, Role.Responder, "update follow-up actions");
        var incident = await IncidentLookup.FindAsync(db, incidentKey, cancellationToken, track: false);
        var item = await db.FollowUpActions.SingleOrDefaultAsync(f => f.Id == id && f.IncidentId == incident.Id, cancellationToken)
            ?? throw new NotFoundException("Follow-up action", id.ToString());
        IncidentLookup.CheckVersion(item, expectedVersion);
        var now = time.GetUtcNow();
        if (command.Title is not null) item.Title = command.Title.Trim();
        if (command.Notes is not null) item.Notes = command.Notes.Trim();
        if (command.ClearOwner) item.OwnerId = null;
        else if (command.OwnerId is not null) item.OwnerId = (await IncidentLookup.TenantUserAsync(db, command.OwnerId, "ownerId", cancellationToken))!.Id;
        if (command.ClearDueOn) item.DueOn = null;
        else if (command.DueOn is not null) item.DueOn = command.DueOn;
        if (command.Status is { } status && status != item.Status)
        {
            item.Status = status;
            item.CompletedAt = status == FollowUpStatus.Done ? now : null;
        }
        item.UpdatedAt = now;
        await db.SaveChangesAsync(cancellationToken);
        return (await ViewsAsync(db, [item], cancellationToken))[0];
    }

    private DateOnly Today() => DateOnly.FromDateTime(time.GetUtcNow().UtcDateTime);

    private async Task<IReadOnlyList<FollowUpView>> ViewsAsync(FirebreakDbContext db, IReadOnlyList<FollowUpAction> items, CancellationToken cancellationToken)
    {
        var ownerIds = items.Select(f => f.OwnerId).OfType<Guid>().Distinct().ToList();
        var incidentIds = items.Select(f => f.IncidentId).Distinct().ToList();
        var users = await db.Users.AsNoTracking().Where(u => ownerIds.Contains(u.Id)).ToDictionaryAsync(u => u.Id, cancellationToken);
        var incidents = await db.Incidents.AsNoTracking().Where(i => incidentIds.Contains(i.Id))
            .Select(i => new { i.Id, i.Reference, i.Title }).ToDictionaryAsync(i => i.Id, cancellationToken);
        var today = Today();
        return items.Select(f => new FollowUpView(
            f.Id,
            incidents.TryGetValue(f.IncidentId, out var i) ? new IncidentRef(i.Reference, i.Title) : new IncidentRef("", ""),
            f.Title, f.Notes,
            f.OwnerId is { } o && users.TryGetValue(o, out var u) ? new UserRef(u.Id, u.DisplayName, u.Email) : null,
            f.DueOn, f.Status,
            f.Status != FollowUpStatus.Done && f.DueOn is { } due && due < today,
            f.CompletedAt, f.CreatedAt, f.UpdatedAt, f.Version)).ToList();
    }
}
