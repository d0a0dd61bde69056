using Firebreak.Core.Common;
using Firebreak.Core.Identity;
using Firebreak.Core.Incidents;
using Firebreak.Core.Indicators;
using Firebreak.Core.Indicators.Enrichment;
using Firebreak.Core.Investigation;
using Firebreak.Core.Persistence;
using Microsoft.EntityFrameworkCore;

namespace Firebreak.Core.Alerts;

/// <summary>
/// Escalation: promote alerts to a new incident or merge them into an existing one, each in one
/// transaction, and undo either. Escalated alerts stay linked; their principals, resources and
/// observables are imported into the incident; each becomes a timeline entry; the incident's detected
/// time moves to the earliest alert; their entities become the incident's indicators (enriched after the commit).
/// </summary>
public sealed class EscalationService(IDbContextFactory<FirebreakDbContext> factory, IndicatorEnrichmentRunner enrichment, TimeProvider time)
{
    public const int MaxAlerts = 500;

    public async Task<EscalationView> PromoteAsync(PromoteCommand command, CancellationToken cancellationToken = default)
    {
        CheckIds(command.AlertIds);
        for (var attempt = 1; ; attempt++)
        {
            await using var db = await factory.CreateDbContextAsync(cancellationToken);
            try
            {
                return await PromoteInAsync(db, command, ruleName: null, cancellationToken);
            }
            catch (DbUpdateException) when (attempt < IncidentService.MaxNumberingAttempts)
            {
                // A concurrent first incident of the year took the counter row; start again.
            }
        }
    }

    internal async Task<EscalationView> PromoteInAsync(FirebreakDbContext db, PromoteCommand command, string? ruleName, CancellationToken cancellationToken)
    {
        IncidentLookup.Require(db.Actor, Role.Responder, "escalate alerts");
        await using var tx = await db.Database.BeginTransactionAsync(cancellationToken);
        var alerts = await LoadUnescalatedAsync(db, command.AlertIds, cancellationToken);
        var now = time.GetUtcNow();
        var create = new CreateIncident(
            Title: command.Title ?? DefaultTitle(alerts),
            Summary: command.Summary ?? string.Join("\n", alerts.Select(a => $"- {a.Source}: {a.Title}")),
            Severity: command.Severity ?? ToIncidentSeverity(alerts.Max(a => a.Severity)),
            Category: command.Category ?? IncidentCategory.Other,
            Tags: alerts.Select(a => a.Source.ToLowerInvariant()).Distinct().Take(IncidentLimits.MaxTags).Where(t => t.Length <= IncidentLimits.TagLength).ToList(),
            Scope: new CloudScope(
                alerts.Select(a => a.Provider).OfType<string>().Where(CloudProviders.Known.Contains).Distinct().ToList(),
                alerts.Select(a => a.Account).OfType<string>().Distinct().Take(IncidentLimits.MaxScopeItems).ToList(),
                alerts.Select(a => a.Region).OfType<string>().Distinct().Take(IncidentLimits.MaxScopeItems).ToList()),
            DetectedAt: Earliest(alerts));
        if (create.Title.Length > IncidentLimits.TitleLength) create = create with { Title = create.Title[..IncidentLimits.TitleLength] };
        IncidentService.CheckNew(create);
        var incident = await IncidentService.AddNewAsync(db, create, now, cancellationToken);
        var escalation = Link(db, incident, alerts, createdIncident: true, ruleName, now);
        await db.SaveChangesAsync(cancellationToken);
        var indicators = await IndicatorExtraction.SyncAlertsAsync(db, incident.Id, now, cancellationToken);
        await db.SaveChangesAsync(cancellationToken);
        await tx.CommitAsync(cancellationToken);
        await enrichment.RunAsync(indicators.Select(i => i.Id).ToList(), cancellationToken);
        return ToView(escalation, incident.Reference);
    }

    public async Task<EscalationView> MergeAsync(MergeCommand command, CancellationToken cancellationToken = default)
    {
        CheckIds(command.AlertIds);
        await using var db = await factory.CreateDbContextAsync(cancellationToken);
        return await MergeInAsync(db, command.AlertIds, command.Incident, ruleName: null, cancellationToken);
    }

    internal async Task<EscalationView> MergeInAsync(FirebreakDbContext db, IReadOnlyList<Guid> alertIds, string incidentKey, string? ruleName, CancellationToken cancellationToken)
    {
        IncidentLookup.Require(db.Actor, Role.Responder, "escalate alerts");
        await using var tx = await db.Database.BeginTransactionAsync(cancellationToken);
        var incident = await IncidentLookup.FindAsync(db, incidentKey, cancellationToken);
        if (incident.Status is IncidentStatus.Duplicate or IncidentStatus.FalsePositive || incident.Phase == Phase.Closed)
            throw new ConflictException($"{incident.Reference} is closed; reopen it or promote the alerts to a new incident.");
        var alerts = await LoadUnescalatedAsync(db, alertIds, cancellationToken);
        var now = time.GetUtcNow();
        if (Earliest(alerts) is { } earliest && earliest < incident.DetectedAt) incident.DetectedAt = earliest;
        incident.UpdatedAt = now;
        var escalation = Link(db, incident, alerts, createdIncident: false, ruleName, now);
        await db.SaveChangesAsync(cancellationToken);
        var indicators = await IndicatorExtraction.SyncAlertsAsync(db, incident.Id, now, cancellationToken);
        await db.SaveChangesAsync(cancellationToken);
        await tx.CommitAsync(cancellationToken);
        await enrichment.RunAsync(indicators.Select(i => i.Id).ToList(), cancellationToken);
        return ToView(escalation, incident.Reference);
    }

    /// <summary>
    /// Reverses an escalation: the alerts return to their earlier triage state and leave the incident,
    /// with the artifacts, timeline entries and uncurated indicators they brought. An incident the escalation created is
    /// closed as a false positive rather than deleted, so nothing anyone wrote on it is lost.
    /// </summary>
    public async Task<EscalationView> UndoAsync(Guid escalationId, CancellationToken cancellationToken = default)
    {
        await using var db = await factory.CreateDbContextAsync(cancellationToken);
        IncidentLookup.Require(db.Actor, Role.Responder, "undo escalations");
        await using var tx = await db.Database.BeginTransactionAsync(cancellationToken);
        var escalation = await db.AlertEscalations.SingleOrDefaultAsync(e => e.Id == escalationId, cancellationToken)
            ?? throw new NotFoundException("Escalation", escalationId.ToString());
        if (escalation.UndoneAt is not null) throw new ConflictException("This escalation was already undone.");
        var previous = escalation.Alerts.Select(Parse).ToDictionary(p => p.Id, p => p.State);
        var ids = previous.Keys.ToList();
        var alerts = await db.Alerts.Where(a => ids.Contains(a.Id) && a.IncidentId == escalation.IncidentId).ToListAsync(cancellationToken);
        foreach (var alert in alerts)
        {
            alert.IncidentId = null;
            alert.TriageState = previous[alert.Id];
        }
        var alertIds = alerts.Select(a => (Guid?)a.Id).ToList();
        db.IncidentArtifacts.RemoveRange(await db.IncidentArtifacts
            .Where(a => a.IncidentId == escalation.IncidentId && alertIds.Contains(a.SourceAlertId)).ToListAsync(cancellationToken));
        var textIds = alerts.Select(a => a.Id.ToString()).ToList();
        db.TimelineEntries.RemoveRange(await db.TimelineEntries
            .Where(t => t.IncidentId == escalation.IncidentId && t.Kind == TimelineKind.Alert && textIds.Contains(t.SourceId!)).ToListAsync(cancellationToken));
        var incident = await db.Incidents.SingleAsync(i => i.Id == escalation.IncidentId, cancellationToken);
        var now = time.GetUtcNow();
        if (escalation.CreatedIncident && incident.Status == IncidentStatus.Open)
        {
            incident.Status = IncidentStatus.FalsePositive;
            incident.StatusReason = $"Escalation undone by {db.Actor.Name}.";
        }
        incident.UpdatedAt = now;
        escalation.UndoneAt = now;
        escalation.UndoneBy = db.Actor.Name;
        await db.SaveChangesAsync(cancellationToken);
        // The alerts' artifacts are gone: their sightings go, and indicators only they brought go with them.
        await IndicatorExtraction.SyncAlertsAsync(db, incident.Id, now, cancellationToken);
        await db.SaveChangesAsync(cancellationToken);
        await tx.CommitAsync(cancellationToken);
        return ToView(escalation, incident.Reference);
    }

    public async Task<IReadOnlyList<EscalationView>> ListForIncidentAsync(string incidentKey, CancellationToken cancellationToken = default)
    {
        await using var db = await factory.CreateDbContextAsync(cancellationToken);
        var incident = await IncidentLookup.FindAsync(db, incidentKey, cancellationToken, track: false);
        var rows = await db.AlertEscalations.AsNoTracking().Where(e => e.IncidentId == incident.Id).OrderBy(e => e.At).ToListAsync(cancellationToken);
        return rows.Select(e => ToView(e, incident.Reference)).ToList();
    }

    private AlertEscalation Link(FirebreakDbContext db, Incident incident, IReadOnlyList<Alert> alerts, bool createdIncident, string? ruleName, DateTimeOffset now)
    {
        var escalation = new AlertEscalation
        {
            IncidentId = incident.Id,
            CreatedIncident = createdIncident,
            Alerts = alerts.Select(a => $"{a.Id}:{(int)a.TriageState}").ToList(),
            By = db.Actor.Name,
            At = now,
            RuleName = ruleName,
        };
        db.AlertEscalations.Add(escalation);
        foreach (var alert in alerts)
        {
            alert.IncidentId = incident.Id;
            alert.TriageState = TriageState.Escalated;
            alert.TriagedBy = db.Actor.Name;
            alert.TriagedAt = now;
            alert.TriageReason = ruleName is null ? $"Escalated to {incident.Reference}" : $"Escalated to {incident.Reference} by rule '{ruleName}'";
            foreach (var artifact in Artifacts(alert))
            {
                db.IncidentArtifacts.Add(new IncidentArtifact
                {
                    IncidentId = incident.Id,
                    Kind = artifact.Kind,
                    Type = artifact.Type,
                    Value = artifact.Value,
                    SourceAlertId = alert.Id,
                    AddedAt = now,
                });
            }
            db.TimelineEntries.Add(new TimelineEntry
            {
                IncidentId = incident.Id,
                Kind = TimelineKind.Alert,
                EventTime = alert.FirstSeenAt ?? alert.DetectedAt ?? alert.ReceivedAt,
                DiscoveredAt = alert.DetectedAt ?? alert.ReceivedAt,
                IngestedAt = alert.ReceivedAt,
                Title = alert.Title,
                Source = alert.Source,
                SourceId = alert.Id.ToString(),
                Technique = alert.Techniques.FirstOrDefault(),
                Indicators = alert.Observables.Select(o => o.Value).Distinct().Take(TimelineLimits.MaxLinks).ToList(),
            });
        }
        return escalation;
    }

    internal static IEnumerable<(string Kind, string Type, string Value)> Artifacts(Alert alert) =>
        alert.Principals.Select(p => (ArtifactKinds.Principal, p.Type, p.Value))
            .Concat(alert.Resources.Select(r => (ArtifactKinds.Resource, "resource", r)))
            .Concat(alert.Observables.Select(o => (ArtifactKinds.Observable, o.Type, o.Value)))
            .Distinct();

    private static async Task<List<Alert>> LoadUnescalatedAsync(FirebreakDbContext db, IReadOnlyList<Guid> alertIds, CancellationToken cancellationToken)
    {
        var ids = alertIds.Distinct().ToList();
        var alerts = await db.Alerts.Where(a => ids.Contains(a.Id)).ToListAsync(cancellationToken);
        var missing = ids.Except(alerts.Select(a => a.Id)).ToList();
        if (missing.Count > 0) throw new NotFoundException("Alert", string.Join(", ", missing));
        var linked = alerts.Where(a => a.IncidentId is not null).Select(a => a.Id).ToList();
        if (linked.Count > 0) throw new ConflictException($"Already escalated: {string.Join(", ", linked)}. Undo that escalation first.");
        return alerts.OrderBy(a => a.ReceivedAt).ToList();
    }

    private static void CheckIds(IReadOnlyList<Guid>? ids) =>
        new Checks().That(ids is { Count: > 0 and <= MaxAlerts }, "alertIds", $"alertIds must list 1 to {MaxAlerts} alerts.").ThrowIfAny();

    private static DateTimeOffset? Earliest(IEnumerable<Alert> alerts) =>
        alerts.Select(a => a.FirstSeenAt ?? a.DetectedAt ?? a.ReceivedAt).Min();

    // The lead alert names the incident: the most severe, then the earliest seen; the id breaks a tie so the
    // title never depends on the order the database returns rows received in the same batch.
    private static string DefaultTitle(IReadOnlyList<Alert> alerts)
    {
        var lead = alerts.OrderByDescending(a => a.Severity).ThenBy(a => a.FirstSeenAt ?? a.DetectedAt ?? a.ReceivedAt).ThenBy(a => a.Id).First();
        return alerts.Count == 1 ? lead.Title : $"{alerts.Count} related alerts: {lead.Title}";
    }

    internal static Severity ToIncidentSeverity(AlertSeverity severity) => severity switch
    {
        AlertSeverity.Critical => Severity.Sev1,
        AlertSeverity.High => Severity.Sev2,
        AlertSeverity.Medium => Severity.Sev3,
        _ => Severity.Sev4,
    };

    private static (Guid Id, TriageState State) Parse(string pair)
    {
        var parts = pair.Split(':');
        return (Guid.Parse(parts[0]), (TriageState)int.Parse(parts[1], System.Globalization.CultureInfo.InvariantCulture));
    }

    private static EscalationView ToView(AlertEscalation e, string reference) => new(
        e.Id, e.IncidentId, reference, e.CreatedIncident, e.Alerts.Select(a => Parse(a).Id).ToList(), e.By, e.At, e.RuleName, e.UndoneAt, e.UndoneBy);
}
