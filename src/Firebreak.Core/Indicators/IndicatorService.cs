using Firebreak.Core.Common;
using Firebreak.Core.Identity;
using Firebreak.Core.Incidents;
using Firebreak.Core.Indicators.Enrichment;
using Firebreak.Core.Persistence;
using Microsoft.EntityFrameworkCore;

namespace Firebreak.Core.Indicators;

/// <summary>
/// The indicators of an incident: list, add, change, remove, enrich, and where else in the tenant each
/// one was seen. Extraction from alerts and events is <see cref="IndicatorExtraction"/>'s.
/// </summary>
public sealed class IndicatorService(IDbContextFactory<FirebreakDbContext> factory, IndicatorEnrichmentRunner enrichment, TimeProvider time)
{
    /// <summary>"Also seen in" incidents shown per indicator in a list; the single view shows up to <see cref="IndicatorLimits.MaxSightings"/>.</summary>
    public const int ListedSightings = 5;

    public async Task<PagedResult<IndicatorView>> ListAsync(string incidentKey, IndicatorQuery query, CancellationToken cancellationToken = default)
    {
        var (page, pageSize) = Paging.Normalise(query.Page, query.PageSize);
        new Checks().Defined("type", query.Type).Defined("verdict", query.Verdict).MaxLength("q", query.Text, IndicatorValue.MaxLength).ThrowIfAny();
        await using var db = await factory.CreateDbContextAsync(cancellationToken);
        var incident = await IncidentLookup.FindAsync(db, incidentKey, cancellationToken, track: false);
        var rows = db.Indicators.AsNoTracking().Where(i => i.IncidentId == incident.Id);
        if (query.Type is { } type) rows = rows.Where(i => i.Type == type);
        if (query.Verdict is { } verdict) rows = rows.Where(i => i.Verdict == verdict);
        if (!string.IsNullOrWhiteSpace(query.Text))
        {
            var pattern = TextSearch.ContainsPattern(query.Text);
            rows = db.Database.IsNpgsql()
                ? rows.Where(i => EF.Functions.ILike(i.Value, pattern, TextSearch.Escape))
                : rows.Where(i => EF.Functions.Like(i.Value, pattern, TextSearch.Escape));
        }
        var total = await rows.CountAsync(cancellationToken);
        var items = await rows.OrderBy(i => i.Type).ThenBy(i => i.Value).ThenBy(i => i.Id).Skip((page - 1) * pageSize).Take(pageSize).ToListAsync(cancellationToken);
        var views = await ViewsAsync(db, incident, items, ListedSightings, cancellationToken);
        return new PagedResult<IndicatorView>(views, page, pageSize, total);
    }

    public async Task<IndicatorView> GetAsync(string incidentKey, Guid id, CancellationToken cancellationToken = default)
    {
        await using var db = await factory.CreateDbContextAsync(cancellationToken);
        var incident = await IncidentLookup.FindAsync(db, incidentKey, cancellationToken, track: false);
        var indicator = await db.Indicators.AsNoTracking().SingleOrDefaultAsync(i => i.Id == id && i.IncidentId == incident.Id, cancellationToken)
            ?? throw new NotFoundException("Indicator", id.ToString());
        return (await ViewsAsync(db, incident, [indicator], IndicatorLimits.MaxSightings, cancellationToken))[0];
    }

    public async Task<IndicatorView> AddAsync(string incidentKey, AddIndicator command, CancellationToken cancellationToken = default)
    {
        var checks = new Checks().That(command.Type is not null, "type", "type is required.").Defined("type", command.Type);
        CheckMarkings(checks, command.Tlp, command.Pap, command.Description, command.Tags, command.Verdict);
        checks.ThrowIfAny();
        var value = IndicatorValue.Parse(command.Type!.Value, command.Value);
        await using var db = await factory.CreateDbContextAsync(cancellationToken);
        IncidentLookup.Require(db.Actor, Role.Responder, "add indicators");
        var incident = await IncidentLookup.FindAsync(db, incidentKey, cancellationToken, track: false);
        var hash = Indicator.Hash(value.Value);
        if (await db.Indicators.AnyAsync(i => i.IncidentId == incident.Id && i.Type == value.Type && i.ValueHash == hash, cancellationToken))
            throw new ConflictException($"{value} is already an indicator of {incident.Reference}; change that one instead.");
        if (await db.Indicators.CountAsync(i => i.IncidentId == incident.Id, cancellationToken) >= IndicatorLimits.MaxPerIncident)
            throw new ConflictException($"An incident may hold at most {IndicatorLimits.MaxPerIncident} indicators.");
        var now = time.GetUtcNow();
        var indicator = new Indicator
        {
            IncidentId = incident.Id,
            Type = value.Type,
            Value = value.Value,
            ValueHash = hash,
            Tlp = command.Tlp ?? incident.Tlp,
            Pap = command.Pap ?? incident.Pap,
            Description = command.Description?.Trim() ?? "",
            Tags = Tags(command.Tags),
            Verdict = command.Verdict ?? IndicatorVerdict.Unknown,
            Curated = true,
            AddedBy = db.Actor.Name,
            AddedAt = now,
            UpdatedAt = now,
        };
        db.Indicators.Add(indicator);
        try
        {
            await db.SaveChangesAsync(cancellationToken);
        }
        catch (DbUpdateException)
        {
            // Two adds of the same value at once: the unique index lets one in.
            throw new ConflictException($"{value} is already an indicator of {incident.Reference}; change that one instead.");
        }
        await enrichment.RunAsync([indicator.Id], cancellationToken);
        return await GetAsync(incident.Id.ToString(), indicator.Id, cancellationToken);
    }

    /// <summary>Changes markings, description, tags or verdict. The indicator becomes curated: it stays even when its sources leave.</summary>
    public async Task<IndicatorView> UpdateAsync(string incidentKey, Guid id, UpdateIndicator command, long? expectedVersion, CancellationToken cancellationToken = default)
    {
        var checks = new Checks();
        CheckMarkings(checks, command.Tlp, command.Pap, command.Description, command.Tags, command.Verdict);
        checks.ThrowIfAny();
        await using var db = await factory.CreateDbContextAsync(cancellationToken);
        IncidentLookup.Require(db.Actor, Role.Responder, "change indicators");
        var (incident, indicator) = await FindAsync(db, incidentKey, id, cancellationToken);
        IncidentLookup.CheckVersion(indicator, expectedVersion);
        if (command.Tlp is { } tlp) indicator.Tlp = tlp;
        if (command.Pap is { } pap) indicator.Pap = pap;
        if (command.Description is not null) indicator.Description = command.Description.Trim();
        if (command.Tags is not null) indicator.Tags = Tags(command.Tags);
        if (command.Verdict is { } verdict) indicator.Verdict = verdict;
        indicator.Curated = true;
        indicator.UpdatedAt = time.GetUtcNow();
        await db.SaveChangesAsync(cancellationToken);
        return (await ViewsAsync(db, incident, [indicator], IndicatorLimits.MaxSightings, cancellationToken))[0];
    }

    /// <summary>Removes an indicator and its enrichment results. An import or escalation that sees the value again extracts it again.</summary>
    public async Task DeleteAsync(string incidentKey, Guid id, long? expectedVersion, CancellationToken cancellationToken = default)
    {
        await using var db = await factory.CreateDbContextAsync(cancellationToken);
        IncidentLookup.Require(db.Actor, Role.Responder, "remove indicators");
        var (_, indicator) = await FindAsync(db, incidentKey, id, cancellationToken);
        IncidentLookup.CheckVersion(indicator, expectedVersion);
        db.IndicatorEnrichments.RemoveRange(await db.IndicatorEnrichments.Where(e => e.IndicatorId == indicator.Id).ToListAsync(cancellationToken));
        db.Indicators.Remove(indicator);
        await db.SaveChangesAsync(cancellationToken);
    }

    /// <summary>Runs every enricher for the indicator again, replacing their earlier results.</summary>
    public async Task<IndicatorView> EnrichAsync(string incidentKey, Guid id, CancellationToken cancellationToken = default)
    {
        Guid incidentId;
        await using (var db = await factory.CreateDbContextAsync(cancellationToken))
        {
            IncidentLookup.Require(db.Actor, Role.Responder, "enrich indicators");
            var (incident, _) = await FindAsync(db, incidentKey, id, cancellationToken);
            incidentId = incident.Id;
        }
        await enrichment.RunAsync([id], cancellationToken);
        return await GetAsync(incidentId.ToString(), id, cancellationToken);
    }

    /// <summary>
    /// Every incident of the tenant holding <paramref name="raw"/>. Without a type, the value is read as
    /// every type it is valid for ("alice" is a resource and a GCP project id), each an index lookup.
    /// </summary>
    public async Task<IReadOnlyList<IndicatorSearchResult>> SearchAsync(string? raw, IndicatorType? type, CancellationToken cancellationToken = default)
    {
        new Checks().Required("value", raw, IndicatorValue.MaxLength).Defined("type", type).ThrowIfAny();
        List<IndicatorValue> candidates;
        if (type is { } t) candidates = [IndicatorValue.Parse(t, raw)];
        else
        {
            candidates = [];
            foreach (var each in Enum.GetValues<IndicatorType>())
            {
                if (IndicatorValue.TryParse(each, raw, out var value, out _) && !candidates.Contains(value)) candidates.Add(value);
            }
            if (candidates.Count == 0) throw new ValidationFailedException("value", "value is not a valid indicator of any type.");
        }
        await using var db = await factory.CreateDbContextAsync(cancellationToken);
        var tenant = db.Actor.TenantId;
        var types = candidates.Select(c => c.Type).Distinct().ToList();
        var hashes = candidates.Select(c => Indicator.Hash(c.Value)).Distinct().ToList();
        var rows = await (from i in db.Indicators.AsNoTracking()
                          where i.TenantId == tenant && types.Contains(i.Type) && hashes.Contains(i.ValueHash)
                          join incident in db.Incidents.AsNoTracking() on i.IncidentId equals incident.Id
                          orderby incident.CreatedAt descending, i.Id
                          select new { Indicator = i, incident.Reference, incident.Title })
            .Take(IndicatorLimits.MaxSearchResults).ToListAsync(cancellationToken);
        return candidates
            .Select(c => new IndicatorSearchResult(c.Type, c.Value, rows.Where(r => r.Indicator.Type == c.Type && r.Indicator.Value == c.Value)
                .Select(r => Sighting(r.Indicator, r.Reference, r.Title)).ToList()))
            .Where(r => r.Incidents.Count > 0 || type is not null || candidates.Count == 1)
            .ToList();
    }

    private static async Task<(Incident Incident, Indicator Indicator)> FindAsync(FirebreakDbContext db, string incidentKey, Guid id, CancellationToken cancellationToken)
    {
        var incident = await IncidentLookup.FindAsync(db, incidentKey, cancellationToken, track: false);
        var indicator = await db.Indicators.SingleOrDefaultAsync(i => i.Id == id && i.IncidentId == incident.Id, cancellationToken)
            ?? throw new NotFoundException("Indicator", id.ToString());
        return (incident, indicator);
    }

    private static void CheckMarkings(Checks checks, Tlp? tlp, Pap? pap, string? description, IReadOnlyList<string>? tags, IndicatorVerdict? verdict) => checks
        .Defined("tlp", tlp).Defined("pap", pap).Defined("verdict", verdict)
        .MaxLength("description", description, IndicatorLimits.DescriptionLength)
        .Items("tags", tags, IndicatorLimits.MaxTags, IndicatorLimits.TagLength);

    private static List<string> Tags(IReadOnlyList<string>? tags) =>
        (tags ?? []).Select(t => t.Trim().ToLowerInvariant()).Where(t => t.Length > 0).Distinct().ToList();

    /// <summary>The views of some indicators of one incident: their sightings elsewhere (tenant only) and their enrichments, in three queries.</summary>
    private static async Task<List<IndicatorView>> ViewsAsync(FirebreakDbContext db, Incident incident, IReadOnlyList<Indicator> indicators, int sightingsEach,
        CancellationToken cancellationToken)
    {
        if (indicators.Count == 0) return [];
        var ids = indicators.Select(i => i.Id).ToList();
        var types = indicators.Select(i => i.Type).Distinct().ToList();
        var hashes = indicators.Select(i => i.ValueHash).Distinct().ToList();
        // The tenant is named as well as filtered: these reads may run for the system actor, which sees every tenant.
        var elsewhere = db.Indicators.AsNoTracking()
            .Where(o => o.TenantId == incident.TenantId && o.IncidentId != incident.Id && types.Contains(o.Type) && hashes.Contains(o.ValueHash));
        var counts = (await elsewhere.GroupBy(o => new { o.Type, o.ValueHash }).Select(g => new { g.Key.Type, g.Key.ValueHash, Count = g.Count() })
            .ToListAsync(cancellationToken)).ToDictionary(c => (c.Type, c.ValueHash), c => c.Count);
        var others = await (from o in elsewhere
                            join other in db.Incidents.AsNoTracking() on o.IncidentId equals other.Id
                            orderby other.CreatedAt descending, o.Id
                            select new { Indicator = o, other.Reference, other.Title })
            .Take(Math.Min(2_000, sightingsEach * indicators.Count)).ToListAsync(cancellationToken);
        var enrichments = (await db.IndicatorEnrichments.AsNoTracking().Where(e => ids.Contains(e.IndicatorId)).OrderBy(e => e.Enricher).ToListAsync(cancellationToken))
            .ToLookup(e => e.IndicatorId);
        return indicators.Select(i => new IndicatorView(
            i.Id, incident.Reference, i.Type, i.Value, i.Tlp, i.Pap, i.Description, i.Tags, i.Verdict, i.Curated, i.AddedBy, i.AddedAt, i.UpdatedAt,
            i.Sightings, i.AlertSightings, i.EventSightings, i.FirstSeen, i.LastSeen,
            counts.GetValueOrDefault((i.Type, i.ValueHash)),
            others.Where(o => o.Indicator.Type == i.Type && o.Indicator.Value == i.Value).Take(sightingsEach).Select(o => Sighting(o.Indicator, o.Reference, o.Title)).ToList(),
            enrichments[i.Id].Select(e => new EnrichmentView(e.Enricher, e.At, e.Succeeded, e.Summary, e.Fields, e.Error)).ToList(),
            i.Version)).ToList();
    }

    private static IndicatorSighting Sighting(Indicator i, string reference, string title) =>
        new(reference, title, i.Id, i.Verdict, i.Sightings, i.FirstSeen, i.LastSeen);
}
