using Firebreak.Core.Common;
using Firebreak.Core.Identity;
using Firebreak.Core.Incidents;
using Firebreak.Core.Persistence;
using Microsoft.EntityFrameworkCore;

namespace Firebreak.Core.PostMortem;

/// <summary>The data gaps of an incident: what data was missing and what it would have shortened.</summary>
public sealed class DataGapService(IDbContextFactory<FirebreakDbContext> factory, TimeProvider time)
{
    public async Task<IReadOnlyList<DataGapView>> ListAsync(string incidentKey, CancellationToken cancellationToken = default)
    {
        await using var db = await factory.CreateDbContextAsync(cancellationToken);
        var incident = await IncidentLookup.FindAsync(db, incidentKey, cancellationToken, track: false);
        var gaps = await db.DataGaps.AsNoTracking().Where(g => g.IncidentId == incident.Id)
            .OrderBy(g => g.CreatedAt).ThenBy(g => g.Id).ToListAsync(cancellationToken);
        return gaps.Select(ToView).ToList();
    }

    /// <summary>An analyst's data gap. Automatic sources will record theirs with their own source.</summary>
    public Task<DataGapView> AddAsync(string incidentKey, DataGapInput input, CancellationToken cancellationToken = default) =>
        AddAsync(incidentKey, input, DataGapSource.Analyst, null, cancellationToken);

    internal async Task<DataGapView> AddAsync(string incidentKey, DataGapInput input, DataGapSource source, string? sourceReference, CancellationToken cancellationToken)
    {
        Check(input);
        await using var db = await factory.CreateDbContextAsync(cancellationToken);
        IncidentLookup.Require(db.Actor, Role.Responder, "record data gaps");
        var incident = await IncidentLookup.FindAsync(db, incidentKey, cancellationToken, track: false);
        if (await db.DataGaps.CountAsync(g => g.IncidentId == incident.Id, cancellationToken) >= PostMortemLimits.MaxPerIncident)
            throw new ConflictException($"An incident may have at most {PostMortemLimits.MaxPerIncident} data gaps.");
        var now = time.GetUtcNow();
        var gap = new DataGap
        {
            IncidentId = incident.Id,
            Source = source,
            SourceReference = sourceReference,
            LogSource = input.LogSource.Trim(),
            CreatedAt = now,
        };
        Apply(gap, input, db.Actor.Name, now);
        db.DataGaps.Add(gap);
        await db.SaveChangesAsync(cancellationToken);
        return ToView(gap);
    }

    public async Task<DataGapView> UpdateAsync(string incidentKey, Guid id, DataGapInput input, long? expectedVersion, CancellationToken cancellationToken = default)
    {
        Check(input);
        await using var db = await factory.CreateDbContextAsync(cancellationToken);
        IncidentLookup.Require(db.Actor, Role.Responder, "edit data gaps");
        var gap = await FindAsync(db, incidentKey, id, cancellationToken);
        IncidentLookup.CheckVersion(gap, expectedVersion);
        Apply(gap, input, db.Actor.Name, time.GetUtcNow());
        await db.SaveChangesAsync(cancellationToken);
        return ToView(gap);
    }

    public async Task DeleteAsync(string incidentKey, Guid id, long? expectedVersion, CancellationToken cancellationToken = default)
    {
        await using var db = await factory.CreateDbContextAsync(cancellationToken);
        IncidentLookup.Require(db.Actor, Role.Responder, "remove data gaps");
        var gap = await FindAsync(db, incidentKey, id, cancellationToken);
        IncidentLookup.CheckVersion(gap, expectedVersion);
        db.DataGaps.Remove(gap);
        await db.SaveChangesAsync(cancellationToken);
    }

    private static async Task<DataGap> FindAsync(FirebreakDbContext db, string incidentKey, Guid id, CancellationToken cancellationToken)
    {
        var incident = await IncidentLookup.FindAsync(db, incidentKey, cancellationToken, track: false);
        var gap = await db.DataGaps.SingleOrDefaultAsync(g => g.Id == id && g.IncidentId == incident.Id, cancellationToken)
            ?? throw new NotFoundException("Data gap", id.ToString());
        // What a check or an extent found is a fact of the record; an analyst adds a note as a gap of their own.
        if (gap.Source != DataGapSource.Analyst)
            throw new ConflictException("This data gap was found automatically and cannot be edited or removed.");
        return gap;
    }

    private static void Check(DataGapInput input) => new Checks()
        .Required("logSource", input.LogSource, PostMortemLimits.TitleLength)
        .That(input.WouldHaveShortened is not null, "wouldHaveShortened", "wouldHaveShortened is required: detection, scoping or detection-and-scoping.")
        .Defined("wouldHaveShortened", input.WouldHaveShortened)
        .MaxLength("provider", input.Provider, PostMortemLimits.NameLength)
        .MaxLength("service", input.Service, PostMortemLimits.NameLength)
        .MaxLength("note", input.Note, PostMortemLimits.NoteLength)
        .ThrowIfAny();

    private static void Apply(DataGap gap, DataGapInput input, string actor, DateTimeOffset now)
    {
        gap.LogSource = input.LogSource.Trim();
        gap.Provider = Blank(input.Provider);
        gap.Service = Blank(input.Service);
        gap.WouldHaveShortened = input.WouldHaveShortened!.Value;
        gap.Note = input.Note?.Trim() ?? "";
        gap.RecordedBy = actor;
        gap.UpdatedAt = now;
    }

    private static string? Blank(string? value) => string.IsNullOrWhiteSpace(value) ? null : value.Trim();

    private static DataGapView ToView(DataGap g) => new(g.Id, g.Source, g.SourceReference, g.LogSource, g.Provider, g.Service, g.WouldHaveShortened,
        g.Note, g.RecordedBy, g.CreatedAt, g.UpdatedAt, g.Version);
}
