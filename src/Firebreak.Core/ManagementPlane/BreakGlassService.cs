using Firebreak.Core.Common;
using Firebreak.Core.Identity;
using Firebreak.Core.Incidents;
using Firebreak.Core.Investigation;
using Firebreak.Core.Persistence;
using Microsoft.EntityFrameworkCore;

namespace Firebreak.Core.ManagementPlane;

/// <summary>
/// Break-glass records of an incident: the use of an emergency account goes on the incident's timeline when it
/// is recorded, and is closed out only when its credential has been rotated and a second person has reviewed it.
/// </summary>
public sealed class BreakGlassService(IDbContextFactory<FirebreakDbContext> factory, TimeProvider time)
{
    public async Task<IReadOnlyList<BreakGlassView>> ListAsync(string incidentKey, CancellationToken cancellationToken = default)
    {
        await using var db = await factory.CreateDbContextAsync(cancellationToken);
        var incident = await IncidentLookup.FindAsync(db, incidentKey, cancellationToken, track: false);
        var rows = await db.BreakGlassRecords.AsNoTracking().Where(b => b.IncidentId == incident.Id)
            .OrderBy(b => b.InvokedAt).ThenBy(b => b.Id).ToListAsync(cancellationToken);
        return rows.Select(ToView).ToList();
    }

    public async Task<BreakGlassView> GetAsync(string incidentKey, Guid id, CancellationToken cancellationToken = default)
    {
        await using var db = await factory.CreateDbContextAsync(cancellationToken);
        return ToView(await FindAsync(db, incidentKey, id, cancellationToken, track: false));
    }

    /// <summary>Records that break-glass was invoked, and puts it on the incident's timeline at the time it was used.</summary>
    public async Task<BreakGlassView> InvokeAsync(string incidentKey, InvokeBreakGlass command, CancellationToken cancellationToken = default)
    {
        var now = time.GetUtcNow();
        new Checks().Required("account", command.Account, BreakGlassLimits.AccountLength)
            .Required("credential", command.Credential, BreakGlassLimits.CredentialLength)
            .Required("reason", command.Reason, BreakGlassLimits.TextLength)
            .MaxLength("invokedBy", command.InvokedBy, BreakGlassLimits.NameLength)
            .That(command.InvokedAt is not null, "invokedAt", "invokedAt is required: when the emergency account was used.")
            .NotInFuture("invokedAt", command.InvokedAt, now)
            .ThrowIfAny();
        await using var db = await factory.CreateDbContextAsync(cancellationToken);
        IncidentLookup.Require(db.Actor, Role.Responder, "record break-glass use");
        var incident = await IncidentLookup.FindAsync(db, incidentKey, cancellationToken, track: false);
        if (await db.BreakGlassRecords.CountAsync(b => b.IncidentId == incident.Id, cancellationToken) >= BreakGlassLimits.MaxPerIncident)
            throw new ConflictException($"An incident may have at most {BreakGlassLimits.MaxPerIncident} break-glass records.");
        var record = new BreakGlassRecord
        {
            IncidentId = incident.Id,
            InvokedBy = string.IsNullOrWhiteSpace(command.InvokedBy) ? db.Actor.Name : command.InvokedBy.Trim(),
            InvokedAt = command.InvokedAt!.Value.ToUniversalTime(),
            Account = command.Account.Trim(),
            Credential = command.Credential.Trim(),
            Reason = command.Reason.Trim(),
            RecordedBy = db.Actor.Name,
            RecordedByPrincipal = db.Actor.Principal(),
            RecordedAt = now,
            Status = BreakGlassStatus.Open,
        };
        db.BreakGlassRecords.Add(record);
        db.TimelineEntries.Add(Timeline(record, record.InvokedAt, $"Break-glass invoked: {record.Account} ({record.Credential}) by {record.InvokedBy}: {record.Reason}"));
        await db.SaveChangesAsync(cancellationToken);
        return ToView(record);
    }

    /// <summary>
    /// Closes the record: the credential was rotated, and someone other than whoever recorded the use (and than
    /// whoever used it, when that is a user of Firebreak) reviewed what was done with it.
    /// </summary>
    public async Task<BreakGlassView> CloseAsync(string incidentKey, Guid id, CloseBreakGlass command, long? expectedVersion = null, CancellationToken cancellationToken = default)
    {
        var now = time.GetUtcNow();
        new Checks().That(command.CredentialsRotatedAt is not null, "credentialsRotatedAt", "credentialsRotatedAt is required: a break-glass record closes only once the credential is rotated.")
            .NotInFuture("credentialsRotatedAt", command.CredentialsRotatedAt, now)
            .Required("rotationNote", command.RotationNote, BreakGlassLimits.TextLength)
            .Required("reviewNote", command.ReviewNote, BreakGlassLimits.TextLength)
            .ThrowIfAny();
        await using var db = await factory.CreateDbContextAsync(cancellationToken);
        IncidentLookup.Require(db.Actor, Role.Responder, "close out break-glass use");
        var record = await FindAsync(db, incidentKey, id, cancellationToken);
        IncidentLookup.CheckVersion(record, expectedVersion);
        if (record.Status == BreakGlassStatus.Closed) throw new ConflictException("The break-glass record is already closed.");
        if (command.CredentialsRotatedAt < record.InvokedAt)
            throw new ValidationFailedException("credentialsRotatedAt", "credentialsRotatedAt cannot be before the break-glass use it closes.");
        if (record.RecordedByPrincipal == db.Actor.Principal() || string.Equals(record.InvokedBy, db.Actor.Name, StringComparison.OrdinalIgnoreCase))
            throw new ForbiddenException("A second person must review break-glass use: whoever used or recorded it cannot close it out.");
        record.Status = BreakGlassStatus.Closed;
        record.CredentialsRotatedAt = command.CredentialsRotatedAt!.Value.ToUniversalTime();
        record.RotationNote = command.RotationNote.Trim();
        record.ReviewedBy = db.Actor.Name;
        record.ReviewedAt = now;
        record.ReviewNote = command.ReviewNote.Trim();
        record.ClosedAt = now;
        db.TimelineEntries.Add(Timeline(record, now, $"Break-glass closed out: {record.Account}; credential rotated, reviewed by {record.ReviewedBy}"));
        await db.SaveChangesAsync(cancellationToken);
        return ToView(record);
    }

    private TimelineEntry Timeline(BreakGlassRecord record, DateTimeOffset at, string title)
    {
        var entry = TimelineEntry.Recorded(record.TenantId, record.IncidentId, TimelineKind.BreakGlass, title,
            $"break-glass record by {record.RecordedBy}", record.Id.ToString(), at, time.GetUtcNow());
        entry.KeyEvent = true;
        return entry;
    }

    private static async Task<BreakGlassRecord> FindAsync(FirebreakDbContext db, string incidentKey, Guid id, CancellationToken cancellationToken, bool track = true)
    {
        var incident = await IncidentLookup.FindAsync(db, incidentKey, cancellationToken, track: false);
        return await (track ? db.BreakGlassRecords : db.BreakGlassRecords.AsNoTracking()).SingleOrDefaultAsync(b => b.Id == id && b.IncidentId == incident.Id, cancellationToken)
            ?? throw new NotFoundException("Break-glass record", id.ToString());
    }

    private static BreakGlassView ToView(BreakGlassRecord b) => new(b.Id, b.IncidentId, b.InvokedBy, b.InvokedAt, b.Account, b.Credential, b.Reason, b.RecordedBy,
        b.RecordedAt, b.Status, b.CredentialsRotatedAt, b.RotationNote, b.ReviewedBy, b.ReviewedAt, b.ReviewNote, b.ClosedAt, b.Version);
}
