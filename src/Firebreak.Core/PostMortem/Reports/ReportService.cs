using System.Text.Json;
using Firebreak.Core.Auditing;
using Firebreak.Core.Evidence;
using Firebreak.Core.Incidents;
using Firebreak.Core.Investigation;
using Firebreak.Core.Persistence;
using Microsoft.EntityFrameworkCore;
using TaskStatus = Firebreak.Core.Incidents.TaskStatus;

namespace Firebreak.Core.PostMortem.Reports;

/// <summary>
/// Assembles the incident report and the communications lead's status update from the incident's record,
/// read in one database context so every section describes the same moment.
/// </summary>
public sealed class ReportService(IDbContextFactory<FirebreakDbContext> factory, TimeProvider time, Scope.ScopeService scopes)
{
    /// <summary>A report keeps at most this many timeline entries and alerts; the totals say how many there were.</summary>
    public const int MaxTimelineItems = 1_000;
    public const int MaxAlerts = 500;
    public const int MaxArtifactsPerKind = 500;

    public async Task<IncidentReport> BuildAsync(string incidentKey, CancellationToken cancellationToken = default)
    {
        await using var db = await factory.CreateDbContextAsync(cancellationToken);
        var incident = await IncidentLookup.FindAsync(db, incidentKey, cancellationToken, track: false);
        return await BuildAsync(db, incident, cancellationToken);
    }

    /// <summary>
    /// The report, for a download: the export is recorded in the audit trail, because a report carries the
    /// incident's details (TLP-marked) out of the system.
    /// </summary>
    public async Task<IncidentReport> ExportAsync(string incidentKey, ReportFormat format, CancellationToken cancellationToken = default)
    {
        await using var db = await factory.CreateDbContextAsync(cancellationToken);
        var incident = await IncidentLookup.FindAsync(db, incidentKey, cancellationToken, track: false);
        var report = await BuildAsync(db, incident, cancellationToken);
        var actor = db.Actor;
        db.AuditEntries.Add(new AuditEntry
        {
            TenantId = incident.TenantId,
            IncidentId = incident.Id,
            EntityType = "IncidentReport",
            EntityId = incident.Id.ToString(),
            Action = "exported",
            ActorName = actor.Name,
            ActorUserId = actor.UserId,
            ActorApiKeyId = actor.ApiKeyId,
            At = report.GeneratedAt,
            After = JsonSerializer.Serialize(new { reference = incident.Reference, format = ReportFormats.Name(format) }),
        });
        await db.SaveChangesAsync(cancellationToken);
        return report;
    }

    public async Task<StatusUpdate> StatusUpdateAsync(string incidentKey, CancellationToken cancellationToken = default)
    {
        var report = await BuildAsync(incidentKey, cancellationToken);
        return StatusUpdate.From(report);
    }

    private async Task<IncidentReport> BuildAsync(FirebreakDbContext db, Incident incident, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        var id = incident.Id;
        var userIds = new[] { incident.IncidentManagerId, incident.CommunicationsLeadId }.OfType<Guid>().ToList();
        var tasks = await db.IncidentTasks.AsNoTracking().Where(t => t.IncidentId == id).OrderBy(t => t.CreatedAt).ThenBy(t => t.Id).ToListAsync(cancellationToken);
        userIds.AddRange(tasks.Select(t => t.OwnerId).OfType<Guid>());
        var followUps = await db.FollowUpActions.AsNoTracking().Where(f => f.IncidentId == id).OrderBy(f => f.CreatedAt).ThenBy(f => f.Id).ToListAsync(cancellationToken);
        userIds.AddRange(followUps.Select(f => f.OwnerId).OfType<Guid>());
        var gaps = await db.DataGaps.AsNoTracking().Where(g => g.IncidentId == id).OrderBy(g => g.CreatedAt).ThenBy(g => g.Id).ToListAsync(cancellationToken);
        var providerCases = await db.ProviderEscalations.AsNoTracking().Where(p => p.IncidentId == id).OrderBy(p => p.OpenedAt).ThenBy(p => p.Id).ToListAsync(cancellationToken);
        var users = await db.Users.AsNoTracking().Where(u => userIds.Contains(u.Id)).ToDictionaryAsync(u => u.Id, u => u.DisplayName, cancellationToken);
        string? NameOf(Guid? user) => user is { } u && users.TryGetValue(u, out var name) ? name : null;

        var timelineTotal = await db.TimelineEntries.CountAsync(t => t.IncidentId == id, cancellationToken);
        var timeline = await db.TimelineEntries.AsNoTracking().Where(t => t.IncidentId == id)
            .OrderBy(t => t.EventTime).ThenBy(t => t.Id).Take(MaxTimelineItems).ToListAsync(cancellationToken);
        var transitions = await db.PhaseTransitions.AsNoTracking().Where(t => t.IncidentId == id).OrderBy(t => t.At).ThenBy(t => t.Id).ToListAsync(cancellationToken);
        var artifacts = await db.IncidentArtifacts.AsNoTracking().Where(a => a.IncidentId == id)
            .OrderBy(a => a.Kind).ThenBy(a => a.Type).ThenBy(a => a.Value).ToListAsync(cancellationToken);
        var alertTotal = await db.Alerts.CountAsync(a => a.IncidentId == id, cancellationToken);
        var alerts = await db.Alerts.AsNoTracking().Where(a => a.IncidentId == id).OrderBy(a => a.ReceivedAt).ThenBy(a => a.Id).Take(MaxAlerts)
            .Select(a => new ReportAlert(a.Title, a.Severity, a.Source, a.FirstSeenAt ?? a.DetectedAt, a.ReceivedAt, a.OccurrenceCount))
            .ToListAsync(cancellationToken);
        var evidence = await db.EvidenceItems.AsNoTracking().Where(i => i.IncidentId == id).OrderBy(i => i.StoredAt).ThenBy(i => i.Id).ToListAsync(cancellationToken);
        var custody = await db.CustodyEntries.AsNoTracking().Where(e => e.IncidentId == id).OrderBy(e => e.Sequence).ToListAsync(cancellationToken);
        var review = await db.PostIncidentReviews.AsNoTracking().SingleOrDefaultAsync(r => r.IncidentId == id, cancellationToken);
        var journal = await db.JournalEntries.AsNoTracking().Where(j => j.IncidentId == id).Include(j => j.Revisions)
            .OrderBy(j => j.CreatedAt).ThenBy(j => j.Id).ToListAsync(cancellationToken);

        // The metrics need every entry; the timeline read above already holds them all unless it was capped.
        var metricEntries = timeline.Count == timelineTotal
            ? timeline.Select(t => (t.Kind, t.EventTime, t.DiscoveredAt)).ToList()
            : (await db.TimelineEntries.AsNoTracking().Where(t => t.IncidentId == id)
                .Select(t => new { t.Kind, t.EventTime, t.DiscoveredAt }).ToListAsync(cancellationToken))
                .Select(t => (t.Kind, t.EventTime, t.DiscoveredAt)).ToList();
        var metrics = MetricsService.Compute(incident, metricEntries, transitions.Select(t => (t.To, t.At)).ToList(), now);

        var header = new ReportIncident(incident.Reference, incident.Title, incident.Summary, incident.Severity, incident.Tlp, incident.Pap,
            incident.Category, incident.Phase, incident.Status, incident.StatusReason, incident.Tags,
            NameOf(incident.IncidentManagerId), NameOf(incident.CommunicationsLeadId),
            new Milestones(incident.DetectedAt, incident.EscalatedAt, incident.ContainedAt, incident.EradicatedAt, incident.RecoveredAt, incident.ClosedAt),
            incident.CreatedAt);

        IReadOnlyList<ScopeItem> Artifacts(string kind) => artifacts.Where(a => a.Kind == kind)
            .Select(a => new ScopeItem(a.Type, a.Value)).Distinct().Take(MaxArtifactsPerKind).ToList();
        ReportBlastRadius? blast = null;
        if (await db.IncidentEvents.AnyAsync(e => e.IncidentId == id, cancellationToken))
        {
            var computed = await scopes.GetAsync(id.ToString(), cancellationToken);
            blast = new ReportBlastRadius(computed.BlastRadius.Events, computed.BlastRadius.Counts, computed.PatientZero?.Value, computed.PatientZero?.Type, computed.PatientZero?.FirstUse);
        }
        var scope = new ReportScope(Artifacts(ArtifactKinds.Principal), Artifacts(ArtifactKinds.Resource), Artifacts(ArtifactKinds.Observable),
            incident.CloudProviders, incident.CloudAccounts, incident.CloudRegions, blast);

        var actions = transitions.Select(t => new ReportAction(t.At, ReportActionKind.PhaseChange,
                $"{(t.IsReopen ? "Reopened" : "Moved")} from {t.From.Display()} to {t.To.Display()}: {t.Reason}", t.ActorName, "done"))
            .Concat(tasks.Select(t => new ReportAction(t.UpdatedAt, ReportActionKind.Task, t.Title, NameOf(t.OwnerId) ?? "unassigned", TaskStatusName(t.Status))))
            .Concat(timeline.Where(t => t.Kind == TimelineKind.Action)
                .Select(t => new ReportAction(t.EventTime, ReportActionKind.ResponseAction, t.Title, t.Source, "done")))
            .OrderBy(a => a.At).ToList();

        var entriesByItem = custody.ToLookup(e => e.EvidenceItemId);
        var items = evidence.Select(i =>
        {
            var entries = entriesByItem[i.Id].ToList();
            var last = entries.LastOrDefault();
            var holder = last is null ? i.CollectedBy : last.Event == CustodyEvent.Transferred && last.Recipient is { } r ? r : last.Actor;
            return new ReportEvidenceItem(i.Name, i.Kind, i.Source, i.CollectedBy, i.AcquiredAt, i.Size, i.Sha256, i.SnapshotId, holder,
                last?.Event ?? CustodyEvent.Collected, entries.Count);
        }).ToList();
        var byId = evidence.ToDictionary(i => i.Id);
        var problems = CustodyChain.Verify(id, custody, item => byId.TryGetValue(item, out var i) ? i.Sha256 ?? i.SnapshotId : null);
        var custodySummary = new CustodySummary(custody.Count, problems.Count == 0,
            problems.Select(p => $"entry {p.Sequence}: {p.Problem}").ToList(), custody.Count == 0 ? null : custody[^1].At);

        var notes = journal.Select(j =>
        {
            var latest = j.Revisions.OrderBy(r => r.RevisionNumber).LastOrDefault();
            return new ReportNote(j.CreatedAt, j.AuthorName, latest?.Body ?? "");
        }).ToList();

        var reviewPart = review is null ? ReportReview.None
            : new ReportReview(true, review.Summary, review.LessonsLearned, review.ReviewedBy, review.UpdatedAt, review.RootCause, review.WhatWentWell,
                review.CouldBeBetter, review.DetectSooner, review.AdditionalData, review.ProcessChangeNeeded, review.ProcessChanges, review.ProviderSla);
        var today = DateOnly.FromDateTime(now.UtcDateTime);
        var followUpItems = followUps.Select(f => new ReportFollowUp(f.Title, NameOf(f.OwnerId), f.DueOn, f.Status,
            f.Status != FollowUpStatus.Done && f.DueOn is { } due && due < today, f.CompletedAt)).ToList();
        var gapItems = gaps.Select(g => new ReportDataGap(g.LogSource, g.Provider, g.Service, g.WouldHaveShortened, g.Source, g.Note)).ToList();
        var caseItems = providerCases.Select(p => new ReportProviderEscalation(p.Provider, p.Service, p.CaseId, p.OpenedAt, p.SlaResponseMinutes,
            p.FirstResponseAt, p.ResolvedAt, ProviderEscalationService.Review(p.OpenedAt, p.SlaResponseMinutes, p.FirstResponseAt, p.ResolvedAt, now))).ToList();
        var extents = gapItems.Where(g => g.Source == DataGapSource.DataLoss).ToList();
        var latest = await DataLoss.DataLossService.LatestAsync(db, id, cancellationToken);
        var dataLoss = latest is null
            ? extents.Count == 0 ? DataLossAssessment.NotAssessed
                : new DataLossAssessment(false, "Not assessed: no data-loss assessment has been recorded, but gaps in the collected logs were found.", extents)
            : DataLossPart(latest, extents);

        var check = await db.ManagementPlaneCheckRuns.AsNoTracking().Where(r => r.IncidentId == id)
            .OrderByDescending(r => r.RanAt).ThenByDescending(r => r.Id).FirstOrDefaultAsync(cancellationToken);
        var checkPart = check is null ? null : new ReportManagementPlane(check.RanAt, check.RunBy, check.Passed, check.Failed, check.Unknown,
            check.ReviewedBy, check.ReviewedAt, check.ReviewNote,
            ManagementPlane.ManagementPlaneCheckService.ReadItems(check.Items).Where(i => i.Status is ManagementPlane.CheckStatus.Fail or ManagementPlane.CheckStatus.Unknown).ToList());

        return new IncidentReport(header, now, db.Actor.Name, ExecutiveSummary(header, reviewPart, scope, alertTotal, metrics),
            timeline.Select(t => new ReportTimelineItem(t.EventTime, t.DiscoveredAt, t.Kind, t.Title, t.Source, t.Technique)).ToList(), timelineTotal,
            scope, dataLoss, actions, alerts, alertTotal,
            new ReportEvidence(items, custodySummary), metrics, reviewPart, followUpItems, gapItems, caseItems, notes, checkPart);
    }

    /// <summary>
    /// A generated opening sentence with the facts a reader needs first, then the people's own words: the
    /// review's summary once there is one, else the incident's summary.
    /// </summary>
    private static List<string> ExecutiveSummary(ReportIncident i, ReportReview review, ReportScope scope, int alerts, IncidentMetrics metrics)
    {
        var state = i.Phase == Phase.Closed ? "It is closed" : $"It is in {i.Phase.Display()}";
        if (i.Status != IncidentStatus.Open) state += $" (status: {ReportText.Status(i.Status)})";
        var category = i.Category == IncidentCategory.Other ? "" : ReportText.Category(i.Category) + " ";
        var opening = $"{i.Reference} is a {ReportText.Severity(i.Severity)} {category}incident detected on " +
                      $"{ReportText.Time(i.Milestones.Detected)}. {state}.";
        var touched = $"{Plural(alerts, "alert")}, {Plural(scope.Principals.Count, "principal")}, {Plural(scope.Resources.Count, "resource")} " +
                      $"and {Plural(scope.Observables.Count, "observable")} are linked to it.";
        var times = metrics.TimeToContain is { } contain
            ? $"It was contained {ReportText.Duration(contain)} after detection."
            : "It has not been contained yet.";
        var paragraphs = new List<string> { $"{opening} {touched} {times}" };
        var words = review.Exists && review.Summary.Length > 0 ? review.Summary : i.Summary;
        if (!string.IsNullOrWhiteSpace(words)) paragraphs.Add(words.Trim());
        return paragraphs;
    }

    private static DataLossAssessment DataLossPart(DataLoss.DataLossExtent latest, IReadOnlyList<ReportDataGap> extents)
    {
        var result = DataLoss.DataLossService.Read(latest);
        return new DataLossAssessment(true, latest.Statement, extents)
        {
            AssessedBy = latest.AssessedBy,
            AssessedAt = latest.AssessedAt,
            Resources = result.Resources.Select(r => new ReportDataLossResource(
                r.Resource,
                r.Classification is { } c ? DataLoss.DataLossText.Classification(c) + (r.PersonalData ? ", personal data" : "") : "not classified",
                string.Join(", ", r.Categories.Select(DataLoss.DataLossText.Category)),
                DataLoss.DataLossText.Accessors(r),
                DataLoss.DataLossText.Amount(r),
                DataLoss.DataLossText.Window(r.Window),
                DataLoss.DataLossText.Confidence(r.Confidence),
                r.LowerBound)).ToList(),
            Clocks = result.Clocks.Select(c => new ReportNotificationClock(c.Regime, c.Authority, c.Start, c.Deadline)).ToList(),
        };
    }

    private static string Plural(int n, string what) => n == 1 ? $"1 {what}" : $"{n} {what}s";

    private static string TaskStatusName(TaskStatus status) => status switch
    {
        TaskStatus.Todo => "to do",
        TaskStatus.InProgress => "in progress",
        TaskStatus.Done => "done",
        _ => "cancelled",
    };
}
