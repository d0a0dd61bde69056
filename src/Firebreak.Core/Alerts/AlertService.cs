using Firebreak.Core.Common;
using Firebreak.Core.Identity;
using Firebreak.Core.Incidents;
using Firebreak.Core.Persistence;
using Microsoft.EntityFrameworkCore;

namespace Firebreak.Core.Alerts;

/// <summary>The alert queue: reading, triage and false-positive rates.</summary>
public sealed class AlertService(IDbContextFactory<FirebreakDbContext> factory, TimeProvider time)
{
    public async Task<PagedResult<AlertSummary>> ListAsync(AlertQuery query, CancellationToken cancellationToken = default)
    {
        var (page, pageSize) = Paging.Normalise(query.Page, query.PageSize);
        new Checks().Defined("state", query.State).Defined("minSeverity", query.MinSeverity)
            .MaxLength("source", query.Source, AlertLimits.SourceLength).MaxLength("q", query.Text, 200).ThrowIfAny();
        await using var db = await factory.CreateDbContextAsync(cancellationToken);
        var q = Filter(db, query);
        var counted = await q.Take(AlertLimits.ExactCount + 1).CountAsync(cancellationToken);
        var items = await Newest(q)
            .Skip((page - 1) * pageSize).Take(pageSize)
            .Select(a => new AlertSummary(a.Id, a.Source, a.Title, a.Severity, a.TriageState, a.OccurrenceCount, a.ReceivedAt, a.LastReceivedAt,
                a.Provider, a.Account, a.SuppressedByRuleId != null, a.IncidentId))
            .ToListAsync(cancellationToken);
        return counted > AlertLimits.ExactCount
            ? new PagedResult<AlertSummary>(items, page, pageSize, AlertLimits.ExactCount, TotalIsLowerBound: true)
            : new PagedResult<AlertSummary>(items, page, pageSize, counted);
    }

    /// <summary>The queue's filter (validated query), tenant-scoped; <see cref="Newest"/> gives its order.</summary>
    internal static IQueryable<Alert> Filter(FirebreakDbContext db, AlertQuery query)
    {
        var q = db.Alerts.AsNoTracking();
        // The tenant filter already holds; said again as a plain equality so the database can seek the queue
        // index on it (the filter's "sees all tenants OR tenant = x" form hides the tenant from SQLite's planner).
        if (!db.SeesAllTenants)
        {
            var tenant = db.CurrentTenantId;
            q = q.Where(a => a.TenantId == tenant);
        }
        if (query.OnlySuppressed) q = q.Where(a => a.SuppressedByRuleId != null);
        else if (!query.IncludeSuppressed) q = q.Where(a => a.SuppressedByRuleId == null);
        if (query.State is { } state) q = q.Where(a => a.TriageState == state);
        if (query.MinSeverity is { } min) q = q.Where(a => a.Severity >= min);
        if (!string.IsNullOrWhiteSpace(query.Source)) q = q.Where(a => a.Source == query.Source.Trim());
        if (!string.IsNullOrWhiteSpace(query.Text))
        {
            var pattern = TextSearch.ContainsPattern(query.Text);
            q = db.Database.IsNpgsql()
                ? q.Where(a => EF.Functions.ILike(a.Title, pattern, "\\"))
                : q.Where(a => EF.Functions.Like(a.Title, pattern, "\\"));
        }
        return q;
    }

    internal static IQueryable<Alert> Newest(IQueryable<Alert> q) => q.OrderByDescending(a => a.LastReceivedAt).ThenByDescending(a => a.Id);

    public async Task<AlertDetails> GetAsync(Guid id, CancellationToken cancellationToken = default)
    {
        await using var db = await factory.CreateDbContextAsync(cancellationToken);
        var a = await db.Alerts.AsNoTracking().SingleOrDefaultAsync(x => x.Id == id, cancellationToken)
            ?? throw new NotFoundException("Alert", id.ToString());
        return ToDetails(a);
    }

    /// <summary>Sets the triage state of one or many alerts, all or none.</summary>
    public async Task<IReadOnlyList<AlertSummary>> TriageAsync(TriageCommand command, CancellationToken cancellationToken = default)
    {
        new Checks().That(command.AlertIds is { Count: > 0 and <= 1000 }, "alertIds", "alertIds must list 1 to 1000 alerts.")
            .Defined("state", (TriageState?)command.State)
            .That(command.State != TriageState.Escalated, "state", "Alerts are escalated by promoting them to an incident.")
            .That(command.State is not (TriageState.FalsePositive or TriageState.BenignTruePositive) || !string.IsNullOrWhiteSpace(command.Reason),
                "reason", "A reason is required for false positive and benign true positive.")
            .MaxLength("reason", command.Reason, IncidentLimits.ReasonLength).ThrowIfAny();
        await using var db = await factory.CreateDbContextAsync(cancellationToken);
        IncidentLookup.Require(db.Actor, Role.Responder, "triage alerts");
        var ids = command.AlertIds.Distinct().ToList();
        var alerts = await db.Alerts.Where(a => ids.Contains(a.Id)).ToListAsync(cancellationToken);
        var missing = ids.Except(alerts.Select(a => a.Id)).ToList();
        if (missing.Count > 0) throw new NotFoundException("Alert", string.Join(", ", missing));
        var escalated = alerts.Where(a => a.TriageState == TriageState.Escalated).Select(a => a.Id).ToList();
        if (escalated.Count > 0) throw new ConflictException($"Escalated alerts change state only by undoing the escalation: {string.Join(", ", escalated)}.");
        var now = time.GetUtcNow();
        foreach (var alert in alerts)
        {
            alert.TriageState = command.State;
            alert.TriageReason = command.Reason?.Trim();
            alert.TriagedBy = db.Actor.Name;
            alert.TriagedAt = now;
        }
        await db.SaveChangesAsync(cancellationToken);
        return alerts.Select(ToSummary).ToList();
    }

    /// <summary>
    /// False-positive rates per source and per detection (the alert's category, or its title when it has
    /// none), from triage outcomes: the noisiest detections first.
    /// </summary>
    public async Task<IReadOnlyList<FalsePositiveStats>> FalsePositiveRatesAsync(bool perDetection, CancellationToken cancellationToken = default)
    {
        await using var db = await factory.CreateDbContextAsync(cancellationToken);
        var triaged = db.Alerts.AsNoTracking().Where(a => a.TriageState == TriageState.FalsePositive
            || a.TriageState == TriageState.BenignTruePositive || a.TriageState == TriageState.Escalated);
        var rows = perDetection
            ? await triaged.GroupBy(a => new { a.Source, Detection = a.Category ?? a.Title }).Select(g => new
            {
                g.Key.Source, Detection = (string?)g.Key.Detection, Total = g.Count(),
                Fp = g.Count(a => a.TriageState == TriageState.FalsePositive),
                Btp = g.Count(a => a.TriageState == TriageState.BenignTruePositive),
                Esc = g.Count(a => a.TriageState == TriageState.Escalated),
            }).ToListAsync(cancellationToken)
            : await triaged.GroupBy(a => a.Source).Select(g => new
            {
                Source = g.Key, Detection = (string?)null, Total = g.Count(),
                Fp = g.Count(a => a.TriageState == TriageState.FalsePositive),
                Btp = g.Count(a => a.TriageState == TriageState.BenignTruePositive),
                Esc = g.Count(a => a.TriageState == TriageState.Escalated),
            }).ToListAsync(cancellationToken);
        return rows.Select(r => new FalsePositiveStats(r.Source, r.Detection, r.Total, r.Fp, r.Btp, r.Esc, Math.Round((double)r.Fp / r.Total, 4)))
            .OrderByDescending(r => r.FalsePositiveRate).ThenByDescending(r => r.Triaged).ToList();
    }

    internal static AlertSummary ToSummary(Alert a) => new(a.Id, a.Source, a.Title, a.Severity, a.TriageState, a.OccurrenceCount, a.ReceivedAt, a.LastReceivedAt,
        a.Provider, a.Account, a.SuppressedByRuleId != null, a.IncidentId);

    internal static AlertDetails ToDetails(Alert a) => new(
        a.Id, a.Source, a.SourceReference, a.Format, a.Title, a.Description, a.Severity, a.OriginalSeverity,
        a.DetectedAt, a.FirstSeenAt, a.LastSeenAt, a.ReceivedAt, a.LastReceivedAt, a.OccurrenceCount,
        a.Category, a.Techniques, a.Provider, a.Account, a.Region, a.Resources, a.Principals, a.Observables,
        a.TriageState, a.TriagedBy, a.TriagedAt, a.TriageReason, a.SuppressedByRuleId, a.IncidentId, a.RawPayload, a.Version);
}
