using Firebreak.Core.Common;
using Firebreak.Core.Identity;
using Firebreak.Core.Persistence;
using Microsoft.EntityFrameworkCore;

namespace Firebreak.Core.Incidents;

/// <summary>The incident journal: append-only. An edit adds a revision; no text is ever overwritten or deleted.</summary>
public sealed class JournalService(IDbContextFactory<FirebreakDbContext> factory, TimeProvider time)
{
    public async Task<IReadOnlyList<JournalEntryView>> ListAsync(string incidentKey, CancellationToken cancellationToken = default)
    {
        await using var db = await factory.CreateDbContextAsync(cancellationToken);
        var incident = await IncidentLookup.FindAsync(db, incidentKey, cancellationToken, track: false);
        var entries = await db.JournalEntries.AsNoTracking().Include(j => j.Revisions)
            .Where(j => j.IncidentId == incident.Id).OrderBy(j => j.CreatedAt).ThenBy(j => j.Id).ToListAsync(cancellationToken);
        return entries.Select(ToView).ToList();
    }

    public async Task<JournalEntryView> AddAsync(string incidentKey, string body, CancellationToken cancellationToken = default)
    {
        new Checks().Required("body", body, IncidentLimits.JournalLength).ThrowIfAny();
        await using var db = await factory.CreateDbContextAsync(cancellationToken);
        IncidentLookup.Require(db.Actor, Role.Responder, "write journal entries");
        var incident = await IncidentLookup.FindAsync(db, incidentKey, cancellationToken, track: false);
        var now = time.GetUtcNow();
        var entry = new JournalEntry { IncidentId = incident.Id, AuthorName = db.Actor.Name, AuthorUserId = db.Actor.UserId, CreatedAt = now };
        entry.Revisions.Add(new JournalRevision
        {
            IncidentId = incident.Id,
            RevisionNumber = 1,
            Body = body,
            EditorName = db.Actor.Name,
            EditorUserId = db.Actor.UserId,
            At = now,
        });
        db.JournalEntries.Add(entry);
        await db.SaveChangesAsync(cancellationToken);
        return ToView(entry);
    }

    public async Task<JournalEntryView> EditAsync(string incidentKey, Guid entryId, string body, CancellationToken cancellationToken = default)
    {
        new Checks().Required("body", body, IncidentLimits.JournalLength).ThrowIfAny();
        await using var db = await factory.CreateDbContextAsync(cancellationToken);
        IncidentLookup.Require(db.Actor, Role.Responder, "edit journal entries");
        var incident = await IncidentLookup.FindAsync(db, incidentKey, cancellationToken, track: false);
        var entry = await db.JournalEntries.Include(j => j.Revisions)
            .SingleOrDefaultAsync(j => j.Id == entryId && j.IncidentId == incident.Id, cancellationToken)
            ?? throw new NotFoundException("Journal entry", entryId.ToString());
        var latest = entry.Revisions.MaxBy(r => r.RevisionNumber)!;
        if (latest.Body == body) return ToView(entry);
        // Added explicitly: a new child with a client-made key, found through a navigation, would be taken for an existing row.
        var revision = new JournalRevision
        {
            IncidentId = incident.Id,
            JournalEntryId = entry.Id,
            RevisionNumber = latest.RevisionNumber + 1,
            Body = body,
            EditorName = db.Actor.Name,
            EditorUserId = db.Actor.UserId,
            At = time.GetUtcNow(),
        };
        db.JournalRevisions.Add(revision);
        // Two simultaneous edits would both claim the next revision number; the unique index makes one fail.
        try
        {
            await db.SaveChangesAsync(cancellationToken);
        }
        catch (DbUpdateException)
        {
            throw new ConcurrencyConflictException("Someone else edited this entry at the same time. Reload it and try again.");
        }
        return ToView(entry);
    }

    public async Task<IReadOnlyList<JournalRevisionView>> ListRevisionsAsync(string incidentKey, Guid entryId, CancellationToken cancellationToken = default)
    {
        await using var db = await factory.CreateDbContextAsync(cancellationToken);
        var incident = await IncidentLookup.FindAsync(db, incidentKey, cancellationToken, track: false);
        var revisions = await db.JournalRevisions.AsNoTracking()
            .Where(r => r.JournalEntryId == entryId && r.IncidentId == incident.Id)
            .OrderBy(r => r.RevisionNumber).ToListAsync(cancellationToken);
        if (revisions.Count == 0) throw new NotFoundException("Journal entry", entryId.ToString());
        return revisions.Select(r => new JournalRevisionView(r.RevisionNumber, r.Body, r.EditorName, r.At)).ToList();
    }

    private static JournalEntryView ToView(JournalEntry e)
    {
        var latest = e.Revisions.MaxBy(r => r.RevisionNumber)!;
        return new JournalEntryView(e.Id, latest.Body, e.AuthorName, e.CreatedAt, e.Revisions.Count, latest.At, latest.EditorName);
    }
}
