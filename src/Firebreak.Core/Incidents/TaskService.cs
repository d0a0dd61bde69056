using Firebreak.Core.Common;
using Firebreak.Core.Identity;
using Firebreak.Core.Persistence;
using Microsoft.EntityFrameworkCore;

namespace Firebreak.Core.Incidents;

public sealed class TaskService(IDbContextFactory<FirebreakDbContext> factory, TimeProvider time)
{
    public async Task<IReadOnlyList<TaskView>> ListAsync(string incidentKey, CancellationToken cancellationToken = default)
    {
        await using var db = await factory.CreateDbContextAsync(cancellationToken);
        var incident = await IncidentLookup.FindAsync(db, incidentKey, cancellationToken, track: false);
        var tasks = await db.IncidentTasks.AsNoTracking().Where(t => t.IncidentId == incident.Id)
            .OrderBy(t => t.CreatedAt).ThenBy(t => t.Id).ToListAsync(cancellationToken);
        var ownerIds = tasks.Select(t => t.OwnerId).OfType<Guid>().Distinct().ToList();
        var users = await db.Users.AsNoTracking().Where(u => ownerIds.Contains(u.Id)).ToDictionaryAsync(u => u.Id, cancellationToken);
        return tasks.Select(t => ToView(t, users)).ToList();
    }

    public async Task<TaskView> AddAsync(string incidentKey, CreateTask command, CancellationToken cancellationToken = default)
    {
        new Checks().Required("title", command.Title, IncidentLimits.TitleLength).Defined("phase", command.Phase).ThrowIfAny();
        await using var db = await factory.CreateDbContextAsync(cancellationToken);
        IncidentLookup.Require(db.Actor, Role.Responder, "add tasks");
        var incident = await IncidentLookup.FindAsync(db, incidentKey, cancellationToken, track: false);
        var owner = await IncidentLookup.TenantUserAsync(db, command.OwnerId, "ownerId", cancellationToken);
        var now = time.GetUtcNow();
        var task = new IncidentTask
        {
            IncidentId = incident.Id,
            Title = command.Title.Trim(),
            OwnerId = owner?.Id,
            DueAt = command.DueAt,
            Phase = command.Phase ?? incident.Phase,
            Status = TaskStatus.Todo,
            CreatedAt = now,
            UpdatedAt = now,
        };
        db.IncidentTasks.Add(task);
        await db.SaveChangesAsync(cancellationToken);
        return ToView(task, owner is null ? new Dictionary<Guid, User>() : new Dictionary<Guid, User> { [owner.Id] = owner });
    }

    public async Task<TaskView> UpdateAsync(string incidentKey, Guid taskId, UpdateTask command, long? expectedVersion, CancellationToken cancellationToken = default)
    {
        var checks = new Checks();
        if (command.Title is not null) checks.Required("title", command.Title, IncidentLimits.TitleLength);
        checks.Defined("status", command.Status).Defined("phase", command.Phase).ThrowIfAny();
        await using var db = await factory.CreateDbContextAsync(cancellationToken);
        IncidentLookup.Require(db.Actor, Role.Responder, "update tasks");
        var incident = await IncidentLookup.FindAsync(db, incidentKey, cancellationToken, track: false);
        var task = await db.IncidentTasks.SingleOrDefaultAsync(t => t.Id == taskId && t.IncidentId == incident.Id, cancellationToken)
            ?? throw new NotFoundException("Task", taskId.ToString());
        IncidentLookup.CheckVersion(task, expectedVersion);
        if (command.Title is not null) task.Title = command.Title.Trim();
        if (command.ClearOwner) task.OwnerId = null;
        else if (command.OwnerId is not null) task.OwnerId = (await IncidentLookup.TenantUserAsync(db, command.OwnerId, "ownerId", cancellationToken))!.Id;
        if (command.ClearDueAt) task.DueAt = null;
        else if (command.DueAt is not null) task.DueAt = command.DueAt;
        if (command.Status is { } status) task.Status = status;
        if (command.Phase is { } phase) task.Phase = phase;
        task.UpdatedAt = time.GetUtcNow();
        await db.SaveChangesAsync(cancellationToken);
        var users = await db.Users.AsNoTracking().Where(u => u.Id == task.OwnerId).ToDictionaryAsync(u => u.Id, cancellationToken);
        return ToView(task, users);
    }

    private static TaskView ToView(IncidentTask t, IReadOnlyDictionary<Guid, User> users) => new(
        t.Id, t.Title,
        t.OwnerId is { } o && users.TryGetValue(o, out var u) ? new UserRef(u.Id, u.DisplayName, u.Email) : null,
        t.DueAt, t.Status, t.Phase, t.CreatedAt, t.UpdatedAt, t.Version);
}
