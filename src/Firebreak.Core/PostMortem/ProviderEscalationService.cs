using Firebreak.Core.Common;
using Firebreak.Core.Identity;
using Firebreak.Core.Incidents;
using Firebreak.Core.Persistence;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Configuration;

namespace Firebreak.Core.PostMortem;

/// <summary>Cases opened with cloud providers during an incident, and whether each provider answered within its SLA.</summary>
public sealed class ProviderEscalationService(IDbContextFactory<FirebreakDbContext> factory, TimeProvider time, IConfiguration configuration)
{
    /// <summary>
    /// The first-response time agreed with a provider (Firebreak:Escalations:SlaMinutes:&lt;provider&gt;), used when a
    /// case is recorded without one; null when none is configured.
    /// </summary>
    public int? ConfiguredSlaMinutes(string? provider) =>
        string.IsNullOrWhiteSpace(provider) || provider.Contains(':') ? null
        : configuration.GetValue<int?>($"Firebreak:Escalations:SlaMinutes:{provider.Trim().ToLowerInvariant()}") is { } minutes and > 0 and <= PostMortemLimits.MaxSlaMinutes ? minutes : null;

    /// <summary>Every escalation of the incident with its SLA review, the breaches first.</summary>
    public async Task<SlaSummary> ListAsync(string incidentKey, CancellationToken cancellationToken = default)
    {
        await using var db = await factory.CreateDbContextAsync(cancellationToken);
        var incident = await IncidentLookup.FindAsync(db, incidentKey, cancellationToken, track: false);
        var rows = await db.ProviderEscalations.AsNoTracking().Where(e => e.IncidentId == incident.Id).ToListAsync(cancellationToken);
        var responses = (await db.ProviderEscalationResponses.AsNoTracking().Where(r => r.IncidentId == incident.Id)
            .OrderBy(r => r.ReceivedAt).ThenBy(r => r.Id).ToListAsync(cancellationToken)).ToLookup(r => r.EscalationId);
        var now = time.GetUtcNow();
        var views = rows.Select(e => ToView(e, now, responses[e.Id]))
            .OrderByDescending(v => v.Sla.Outcome == SlaOutcome.Breached).ThenBy(v => v.OpenedAt).ThenBy(v => v.Id).ToList();
        return new SlaSummary(views.Count, views.Count(v => v.Sla.Outcome == SlaOutcome.Met), views.Count(v => v.Sla.Outcome == SlaOutcome.Breached),
            views.Count(v => v.Sla.Outcome == SlaOutcome.Pending), views);
    }

    public async Task<ProviderEscalationView> AddAsync(string incidentKey, ProviderEscalationInput input, CancellationToken cancellationToken = default)
    {
        input = WithConfiguredSla(input);
        Check(input, time.GetUtcNow());
        await using var db = await factory.CreateDbContextAsync(cancellationToken);
        IncidentLookup.Require(db.Actor, Role.Responder, "record provider escalations");
        var incident = await IncidentLookup.FindAsync(db, incidentKey, cancellationToken, track: false);
        if (await db.ProviderEscalations.CountAsync(e => e.IncidentId == incident.Id, cancellationToken) >= PostMortemLimits.MaxPerIncident)
            throw new ConflictException($"An incident may have at most {PostMortemLimits.MaxPerIncident} provider escalations.");
        var now = time.GetUtcNow();
        var escalation = new ProviderEscalation { IncidentId = incident.Id, Provider = "", CaseId = "", CreatedAt = now };
        Apply(escalation, input, now);
        db.ProviderEscalations.Add(escalation);
        await db.SaveChangesAsync(cancellationToken);
        return ToView(escalation, now);
    }

    public async Task<ProviderEscalationView> UpdateAsync(string incidentKey, Guid id, ProviderEscalationInput input, long? expectedVersion, CancellationToken cancellationToken = default)
    {
        input = WithConfiguredSla(input);
        Check(input, time.GetUtcNow());
        await using var db = await factory.CreateDbContextAsync(cancellationToken);
        IncidentLookup.Require(db.Actor, Role.Responder, "edit provider escalations");
        var escalation = await FindAsync(db, incidentKey, id, cancellationToken);
        IncidentLookup.CheckVersion(escalation, expectedVersion);
        var now = time.GetUtcNow();
        Apply(escalation, input, now);
        await db.SaveChangesAsync(cancellationToken);
        return ToView(escalation, now, await ResponsesAsync(db, escalation.Id, cancellationToken));
    }

    /// <summary>
    /// Appends an answer from the provider. The first answer sets the case's first-response time (when it has
    /// none) and moves an open case to responded; answers are never edited or removed.
    /// </summary>
    public async Task<ProviderEscalationView> AddResponseAsync(string incidentKey, Guid id, AddEscalationResponse input, CancellationToken cancellationToken = default)
    {
        var now = time.GetUtcNow();
        new Checks().That(input.ReceivedAt is not null, "receivedAt", "receivedAt is required.")
            .NotInFuture("receivedAt", input.ReceivedAt, now)
            .Required("summary", input.Summary, PostMortemLimits.NoteLength)
            .MaxLength("from", input.From, PostMortemLimits.NameLength)
            .ThrowIfAny();
        await using var db = await factory.CreateDbContextAsync(cancellationToken);
        IncidentLookup.Require(db.Actor, Role.Responder, "record provider responses");
        var escalation = await FindAsync(db, incidentKey, id, cancellationToken);
        var receivedAt = input.ReceivedAt!.Value.ToUniversalTime();
        if (receivedAt < escalation.OpenedAt) throw new ValidationFailedException("receivedAt", "receivedAt cannot be before the case was opened.");
        if (await db.ProviderEscalationResponses.CountAsync(r => r.EscalationId == id, cancellationToken) >= PostMortemLimits.MaxPerIncident)
            throw new ConflictException($"A provider case may hold at most {PostMortemLimits.MaxPerIncident} responses.");
        db.ProviderEscalationResponses.Add(new ProviderEscalationResponse
        {
            IncidentId = escalation.IncidentId,
            EscalationId = escalation.Id,
            ReceivedAt = receivedAt,
            From = string.IsNullOrWhiteSpace(input.From) ? null : input.From.Trim(),
            Summary = input.Summary.Trim(),
            RecordedBy = db.Actor.Name,
            RecordedAt = now,
        });
        if (escalation.FirstResponseAt is null || receivedAt < escalation.FirstResponseAt) escalation.FirstResponseAt = receivedAt;
        if (escalation.Status == EscalationStatus.Open) escalation.Status = EscalationStatus.Responded;
        escalation.UpdatedAt = now;
        await db.SaveChangesAsync(cancellationToken);
        return ToView(escalation, now, await ResponsesAsync(db, escalation.Id, cancellationToken));
    }

    public async Task DeleteAsync(string incidentKey, Guid id, long? expectedVersion, CancellationToken cancellationToken = default)
    {
        await using var db = await factory.CreateDbContextAsync(cancellationToken);
        IncidentLookup.Require(db.Actor, Role.Responder, "remove provider escalations");
        var escalation = await FindAsync(db, incidentKey, id, cancellationToken);
        IncidentLookup.CheckVersion(escalation, expectedVersion);
        if (await db.ProviderEscalationResponses.AnyAsync(r => r.EscalationId == id, cancellationToken))
            throw new ConflictException("The case has provider responses on record; they are kept, so the case cannot be removed. Close it instead.");
        db.ProviderEscalations.Remove(escalation);
        await db.SaveChangesAsync(cancellationToken);
    }

    /// <summary>
    /// The response is due the agreed minutes after the case was opened. A first response by then meets
    /// the SLA; a later one, or none once the time has run out, breaches it; otherwise it is pending.
    /// </summary>
    public static SlaReview Review(DateTimeOffset openedAt, int slaMinutes, DateTimeOffset? firstResponseAt, DateTimeOffset? resolvedAt, DateTimeOffset now)
    {
        var due = openedAt.AddMinutes(slaMinutes);
        var outcome = firstResponseAt is { } answered
            ? answered <= due ? SlaOutcome.Met : SlaOutcome.Breached
            : now > due ? SlaOutcome.Breached : SlaOutcome.Pending;
        var overrun = outcome == SlaOutcome.Breached ? (firstResponseAt ?? now) - due : (TimeSpan?)null;
        return new SlaReview(due, outcome, firstResponseAt - openedAt, overrun, resolvedAt - openedAt);
    }

    private static async Task<ProviderEscalation> FindAsync(FirebreakDbContext db, string incidentKey, Guid id, CancellationToken cancellationToken)
    {
        var incident = await IncidentLookup.FindAsync(db, incidentKey, cancellationToken, track: false);
        return await db.ProviderEscalations.SingleOrDefaultAsync(e => e.Id == id && e.IncidentId == incident.Id, cancellationToken)
            ?? throw new NotFoundException("Provider escalation", id.ToString());
    }

    private static void Check(ProviderEscalationInput input, DateTimeOffset now) => new Checks()
        .Required("provider", input.Provider, PostMortemLimits.NameLength)
        .Required("caseId", input.CaseId, PostMortemLimits.CaseIdLength)
        .MaxLength("service", input.Service, PostMortemLimits.NameLength)
        .MaxLength("notes", input.Notes, PostMortemLimits.NoteLength)
        .Defined("status", input.Status)
        .That(input.OpenedAt is not null, "openedAt", "openedAt is required.")
        .That(input.SlaResponseMinutes is not null, "slaResponseMinutes", "slaResponseMinutes is required: no SLA is configured for this provider.")
        .That(input.SlaResponseMinutes is null or (> 0 and <= PostMortemLimits.MaxSlaMinutes), "slaResponseMinutes",
            $"slaResponseMinutes must be between 1 and {PostMortemLimits.MaxSlaMinutes}.")
        .That(input.FirstResponseAt is null || input.OpenedAt is null || input.FirstResponseAt >= input.OpenedAt, "firstResponseAt",
            "firstResponseAt cannot be before openedAt.")
        .That(input.ResolvedAt is null || input.OpenedAt is null || input.ResolvedAt >= input.OpenedAt, "resolvedAt",
            "resolvedAt cannot be before openedAt.")
        .NotInFuture("openedAt", input.OpenedAt, now)
        .NotInFuture("firstResponseAt", input.FirstResponseAt, now)
        .NotInFuture("resolvedAt", input.ResolvedAt, now)
        .ThrowIfAny();

    private static void Apply(ProviderEscalation e, ProviderEscalationInput input, DateTimeOffset now)
    {
        e.Provider = input.Provider.Trim();
        e.Service = string.IsNullOrWhiteSpace(input.Service) ? null : input.Service.Trim();
        e.CaseId = input.CaseId.Trim();
        e.OpenedAt = input.OpenedAt!.Value.ToUniversalTime();
        e.SlaResponseMinutes = input.SlaResponseMinutes!.Value;
        e.FirstResponseAt = input.FirstResponseAt?.ToUniversalTime();
        e.ResolvedAt = input.ResolvedAt?.ToUniversalTime();
        e.Notes = input.Notes?.Trim() ?? "";
        e.Status = input.Status ?? (e.ResolvedAt is not null ? EscalationStatus.Resolved
            : e.Status is EscalationStatus.Resolved or EscalationStatus.Closed ? e.Status
            : e.FirstResponseAt is not null ? EscalationStatus.Responded : EscalationStatus.Open);
        e.UpdatedAt = now;
    }

    private ProviderEscalationInput WithConfiguredSla(ProviderEscalationInput input) =>
        input.SlaResponseMinutes is null && ConfiguredSlaMinutes(input.Provider) is { } minutes ? input with { SlaResponseMinutes = minutes } : input;

    private static async Task<List<ProviderEscalationResponse>> ResponsesAsync(FirebreakDbContext db, Guid id, CancellationToken cancellationToken) =>
        await db.ProviderEscalationResponses.AsNoTracking().Where(r => r.EscalationId == id).OrderBy(r => r.ReceivedAt).ThenBy(r => r.Id).ToListAsync(cancellationToken);

    private static ProviderEscalationView ToView(ProviderEscalation e, DateTimeOffset now, IEnumerable<ProviderEscalationResponse>? responses = null)
    {
        var review = Review(e.OpenedAt, e.SlaResponseMinutes, e.FirstResponseAt, e.ResolvedAt, now);
        return new(e.Id, e.Provider, e.Service, e.CaseId, e.OpenedAt, e.SlaResponseMinutes, e.FirstResponseAt, e.ResolvedAt, e.Notes, review, e.CreatedAt, e.UpdatedAt, e.Version)
        {
            Status = e.Status,
            Overdue = e.FirstResponseAt is null && e.Status is EscalationStatus.Open && now > review.ResponseDueAt,
            Responses = (responses ?? []).Select(r => new EscalationResponseView(r.Id, r.ReceivedAt, r.From, r.Summary, r.RecordedBy, r.RecordedAt)).ToList(),
        };
    }
}
