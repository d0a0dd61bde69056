using Firebreak.Core.Common;
using Firebreak.Core.Identity;
using Firebreak.Core.Persistence;
using Microsoft.EntityFrameworkCore;

namespace Firebreak.Core.Incidents;

/// <summary>Create, read, update and move incidents through their lifecycle.</summary>
public sealed class IncidentService(IDbContextFactory<FirebreakDbContext> factory, TimeProvider time)
{
    public async Task<IncidentDetails> CreateAsync(CreateIncident command, CancellationToken cancellationToken = default)
    {
        CheckFields(command.Title, command.Summary, command.Tags, command.Scope, command.Severity, command.Tlp, command.Pap, command.Category, required: true);
        for (var attempt = 1; ; attempt++)
        {
            await using var db = await factory.CreateDbContextAsync(cancellationToken);
            IncidentLookup.Require(db.Actor, Role.Responder, "create incidents");
            if (command.IncidentManagerId is not null || command.CommunicationsLeadId is not null)
                IncidentLookup.Require(db.Actor, Role.IncidentManager, "assign incident roles");
            await IncidentLookup.TenantUserAsync(db, command.IncidentManagerId, "incidentManagerId", cancellationToken);
            await IncidentLookup.TenantUserAsync(db, command.CommunicationsLeadId, "communicationsLeadId", cancellationToken);
            var now = time.GetUtcNow();
            if (command.DetectedAt > now) throw new ValidationFailedException("detectedAt", "detectedAt cannot be in the future.");
            try
            {
                await using var tx = await db.Database.BeginTransactionAsync(cancellationToken);
                var incident = await AddNewAsync(db, command, now, cancellationToken);
                await db.SaveChangesAsync(cancellationToken);
                await tx.CommitAsync(cancellationToken);
                return await GetAsync(incident.Id.ToString(), cancellationToken);
            }
            catch (DbUpdateException) when (attempt < MaxNumberingAttempts)
            {
                // Two first incidents of a year raced to create the counter row; the loser starts again.
            }
        }
    }

    /// <summary>
    /// Numbers and adds a new incident inside the caller's transaction (the caller saves and commits,
    /// and retries on <see cref="DbUpdateException"/> when two first incidents of a year race).
    /// </summary>
    internal static async Task<Incident> AddNewAsync(FirebreakDbContext db, CreateIncident command, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var number = await NextNumberAsync(db, now.Year, cancellationToken);
        var incident = new Incident
        {
            Year = now.Year,
            Number = number,
            Reference = Incident.FormatReference(now.Year, number),
            Title = command.Title.Trim(),
            Summary = command.Summary?.Trim() ?? "",
            Severity = command.Severity,
            Tlp = command.Tlp,
            Pap = command.Pap,
            Category = command.Category,
            Tags = NormaliseTags(command.Tags),
            IncidentManagerId = command.IncidentManagerId,
            CommunicationsLeadId = command.CommunicationsLeadId,
            DetectedAt = command.DetectedAt ?? now,
            EscalatedAt = now,
            CreatedAt = now,
            UpdatedAt = now,
        };
        ApplyScope(incident, command.Scope ?? CloudScope.Empty);
        db.Incidents.Add(incident);
        return incident;
    }

    /// <summary>The same field rules as creation, for use cases that create incidents on the way (promotion).</summary>
    internal static void CheckNew(CreateIncident command) =>
        CheckFields(command.Title, command.Summary, command.Tags, command.Scope, command.Severity, command.Tlp, command.Pap, command.Category, required: true);

    public const int MaxNumberingAttempts = 5;

    /// <summary>
    /// Increments the tenant's counter for the year under the database's row lock (PostgreSQL) or write
    /// lock (SQLite), so concurrent creations never share a number.
    /// </summary>
    private static async Task<int> NextNumberAsync(FirebreakDbContext db, int year, CancellationToken cancellationToken)
    {
        var tenantId = db.Actor.TenantId;
        var updated = await db.IncidentCounters
            .Where(c => c.TenantId == tenantId && c.Year == year)
            .ExecuteUpdateAsync(s => s.SetProperty(c => c.LastNumber, c => c.LastNumber + 1), cancellationToken);
        if (updated == 0)
        {
            db.IncidentCounters.Add(new IncidentCounter { TenantId = tenantId, Year = year, LastNumber = 1 });
            await db.SaveChangesAsync(cancellationToken);
            return 1;
        }
        return await db.IncidentCounters.AsNoTracking()
            .Where(c => c.TenantId == tenantId && c.Year == year)
            .Select(c => c.LastNumber)
            .SingleAsync(cancellationToken);
    }

    public async Task<IncidentDetails> GetAsync(string key, CancellationToken cancellationToken = default)
    {
        await using var db = await factory.CreateDbContextAsync(cancellationToken);
        var incident = await IncidentLookup.FindAsync(db, key, cancellationToken, track: false);
        var userIds = new[] { incident.IncidentManagerId, incident.CommunicationsLeadId }.OfType<Guid>().ToList();
        var users = await db.Users.AsNoTracking().Where(u => userIds.Contains(u.Id)).ToDictionaryAsync(u => u.Id, cancellationToken);
        var duplicateOf = incident.DuplicateOfId is { } d
            ? await db.Incidents.AsNoTracking().Where(i => i.Id == d).Select(i => i.Reference).SingleOrDefaultAsync(cancellationToken)
            : null;
        var hasReview = await db.PostIncidentReviews.AnyAsync(r => r.IncidentId == incident.Id, cancellationToken);
        return ToDetails(incident, users, duplicateOf, hasReview);
    }

    public async Task<PagedResult<IncidentSummary>> ListAsync(IncidentQuery query, CancellationToken cancellationToken = default)
    {
        var (page, pageSize) = Paging.Normalise(query.Page, query.PageSize);
        new Checks().Defined("phase", query.Phase).Defined("severity", query.Severity).Defined("status", query.Status)
            .MaxLength("tag", query.Tag, IncidentLimits.TagLength).MaxLength("q", query.Text, 200).ThrowIfAny();
        await using var db = await factory.CreateDbContextAsync(cancellationToken);
        var q = db.Incidents.AsNoTracking();
        if (query.Phase is { } phase) q = q.Where(i => i.Phase == phase);
        if (query.Severity is { } severity) q = q.Where(i => i.Severity == severity);
        if (query.Status is { } status) q = q.Where(i => i.Status == status);
        if (query.ManagerId is { } manager) q = q.Where(i => i.IncidentManagerId == manager);
        if (!string.IsNullOrWhiteSpace(query.Tag))
        {
            var tag = query.Tag.Trim().ToLowerInvariant();
            q = q.Where(i => i.Tags.Contains(tag));
        }
        if (!string.IsNullOrWhiteSpace(query.Text))
        {
            var pattern = TextSearch.ContainsPattern(query.Text);
            q = db.Database.IsNpgsql()
                ? q.Where(i => EF.Functions.ILike(i.Title, pattern, "\\") || EF.Functions.ILike(i.Summary, pattern, "\\") || EF.Functions.ILike(i.Reference, pattern, "\\"))
                : q.Where(i => EF.Functions.Like(i.Title, pattern, "\\") || EF.Functions.Like(i.Summary, pattern, "\\") || EF.Functions.Like(i.Reference, pattern, "\\"));
        }
        q = Sort(q, query.Sort);
        var total = await q.CountAsync(cancellationToken);
        var items = await q.Skip((page - 1) * pageSize).Take(pageSize).ToListAsync(cancellationToken);
        var managerIds = items.Select(i => i.IncidentManagerId).OfType<Guid>().Distinct().ToList();
        var users = await db.Users.AsNoTracking().Where(u => managerIds.Contains(u.Id)).ToDictionaryAsync(u => u.Id, cancellationToken);
        return new PagedResult<IncidentSummary>(items.Select(i => new IncidentSummary(
            i.Id, i.Reference, i.Title, i.Severity, i.Tlp, i.Category, i.Phase, i.Status, i.Tags,
            Ref(users, i.IncidentManagerId), i.CreatedAt, i.UpdatedAt)).ToList(), page, pageSize, total);
    }

    public static readonly IReadOnlyList<string> SortKeys = ["createdAt", "updatedAt", "severity", "phase", "title", "reference", "detectedAt"];

    private static IQueryable<Incident> Sort(IQueryable<Incident> q, string? sort)
    {
        var key = string.IsNullOrWhiteSpace(sort) ? "-createdAt" : sort.Trim();
        var descending = key.StartsWith('-');
        var name = key.TrimStart('-', '+');
        IOrderedQueryable<Incident> ordered = name.ToLowerInvariant() switch
        {
            "createdat" => descending ? q.OrderByDescending(i => i.CreatedAt) : q.OrderBy(i => i.CreatedAt),
            "updatedat" => descending ? q.OrderByDescending(i => i.UpdatedAt) : q.OrderBy(i => i.UpdatedAt),
            "detectedat" => descending ? q.OrderByDescending(i => i.DetectedAt) : q.OrderBy(i => i.DetectedAt),
            "severity" => descending ? q.OrderByDescending(i => i.Severity) : q.OrderBy(i => i.Severity),
            "phase" => descending ? q.OrderByDescending(i => i.Phase) : q.OrderBy(i => i.Phase),
            "title" => descending ? q.OrderByDescending(i => i.Title) : q.OrderBy(i => i.Title),
            "reference" => descending ? q.OrderByDescending(i => i.Year).ThenByDescending(i => i.Number) : q.OrderBy(i => i.Year).ThenBy(i => i.Number),
            _ => throw new ValidationFailedException("sort", $"sort must be one of {string.Join(", ", SortKeys)}, optionally prefixed with '-'."),
        };
        return descending ? ordered.ThenByDescending(i => i.Id) : ordered.ThenBy(i => i.Id);
    }

    public async Task<IncidentDetails> UpdateAsync(string key, UpdateIncident command, long? expectedVersion, CancellationToken cancellationToken = default)
    {
        CheckFields(command.Title, command.Summary, command.Tags, command.Scope, command.Severity, command.Tlp, command.Pap, command.Category, required: false);
        await using var db = await factory.CreateDbContextAsync(cancellationToken);
        IncidentLookup.Require(db.Actor, Role.Responder, "update incidents");
        var incident = await IncidentLookup.FindAsync(db, key, cancellationToken);
        IncidentLookup.CheckVersion(incident, expectedVersion);
        var now = time.GetUtcNow();
        if (command.DetectedAt > now) throw new ValidationFailedException("detectedAt", "detectedAt cannot be in the future.");
        if (command.Title is not null) incident.Title = command.Title.Trim();
        if (command.Summary is not null) incident.Summary = command.Summary.Trim();
        if (command.Severity is { } severity) incident.Severity = severity;
        if (command.Tlp is { } tlp) incident.Tlp = tlp;
        if (command.Pap is { } pap) incident.Pap = pap;
        if (command.Category is { } category) incident.Category = category;
        if (command.Tags is not null) incident.Tags = NormaliseTags(command.Tags);
        if (command.Scope is not null) ApplyScope(incident, command.Scope);
        if (command.DetectedAt is { } detected) incident.DetectedAt = detected;
        incident.UpdatedAt = now;
        await db.SaveChangesAsync(cancellationToken);
        return await GetAsync(incident.Id.ToString(), cancellationToken);
    }

    public async Task<IncidentDetails> AssignRolesAsync(string key, AssignRoles command, long? expectedVersion, CancellationToken cancellationToken = default)
    {
        await using var db = await factory.CreateDbContextAsync(cancellationToken);
        IncidentLookup.Require(db.Actor, Role.IncidentManager, "assign incident roles");
        var incident = await IncidentLookup.FindAsync(db, key, cancellationToken);
        IncidentLookup.CheckVersion(incident, expectedVersion);
        await IncidentLookup.TenantUserAsync(db, command.IncidentManagerId, "incidentManagerId", cancellationToken);
        await IncidentLookup.TenantUserAsync(db, command.CommunicationsLeadId, "communicationsLeadId", cancellationToken);
        if (command.IncidentManagerId is null && incident.Phase is > Phase.DetectionAndAnalysis and < Phase.Closed)
            throw new ConflictException("An incident past Detection & Analysis must keep an incident manager.");
        incident.IncidentManagerId = command.IncidentManagerId;
        incident.CommunicationsLeadId = command.CommunicationsLeadId;
        incident.UpdatedAt = time.GetUtcNow();
        await db.SaveChangesAsync(cancellationToken);
        return await GetAsync(incident.Id.ToString(), cancellationToken);
    }

    private static string PhaseTitle(PhaseTransition transition)
    {
        var title = $"Phase {transition.From} → {transition.To}{(transition.IsReopen ? " (reopened)" : "")}: {transition.Reason}";
        return title.Length <= Investigation.TimelineLimits.TitleLength ? title : title[..Investigation.TimelineLimits.TitleLength];
    }

    public async Task<IncidentDetails> TransitionAsync(string key, Phase to, string reason, long? expectedVersion, CancellationToken cancellationToken = default)
    {
        new Checks().Defined("to", (Phase?)to).Required("reason", reason, IncidentLimits.ReasonLength).ThrowIfAny();
        await using var db = await factory.CreateDbContextAsync(cancellationToken);
        IncidentLookup.Require(db.Actor, Role.Responder, "change an incident's phase");
        var incident = await IncidentLookup.FindAsync(db, key, cancellationToken);
        IncidentLookup.CheckVersion(incident, expectedVersion);
        var hasReview = await db.PostIncidentReviews.AnyAsync(r => r.IncidentId == incident.Id, cancellationToken);
        var now = time.GetUtcNow();
        var transition = IncidentLifecycle.Transition(incident, to, reason.Trim(), db.Actor, hasReview, now);
        db.PhaseTransitions.Add(transition);
        db.TimelineEntries.Add(new Investigation.TimelineEntry
        {
            IncidentId = incident.Id,
            Kind = Investigation.TimelineKind.PhaseChange,
            EventTime = now,
            DiscoveredAt = now,
            IngestedAt = now,
            Title = PhaseTitle(transition),
            Source = "lifecycle",
            SourceId = transition.Id.ToString(),
            Author = db.Actor.Name,
        });
        await db.SaveChangesAsync(cancellationToken);
        return await GetAsync(incident.Id.ToString(), cancellationToken);
    }

    public async Task<IncidentDetails> SetStatusAsync(string key, IncidentStatus status, string reason, string? duplicateOf, long? expectedVersion, CancellationToken cancellationToken = default)
    {
        new Checks().Defined("status", (IncidentStatus?)status).Required("reason", reason, IncidentLimits.ReasonLength)
            .That(status != IncidentStatus.Duplicate || !string.IsNullOrWhiteSpace(duplicateOf), "duplicateOf", "duplicateOf names the incident that survives.")
            .That(status == IncidentStatus.Duplicate || string.IsNullOrWhiteSpace(duplicateOf), "duplicateOf", "duplicateOf is only for the duplicate status.")
            .ThrowIfAny();
        await using var db = await factory.CreateDbContextAsync(cancellationToken);
        IncidentLookup.Require(db.Actor, Role.Responder, "change an incident's status");
        var incident = await IncidentLookup.FindAsync(db, key, cancellationToken);
        IncidentLookup.CheckVersion(incident, expectedVersion);
        var closing = status is IncidentStatus.Duplicate or IncidentStatus.FalsePositive;
        var wasClosed = incident.Status is IncidentStatus.Duplicate or IncidentStatus.FalsePositive;
        if (closing || wasClosed) IncidentLookup.Require(db.Actor, Role.IncidentManager, "close or reopen an incident as duplicate or false positive");
        Guid? survivor = null;
        if (status == IncidentStatus.Duplicate)
        {
            Incident target;
            try
            {
                target = await IncidentLookup.FindAsync(db, duplicateOf!, cancellationToken, track: false);
            }
            catch (NotFoundException)
            {
                throw new ValidationFailedException("duplicateOf", $"Incident '{duplicateOf}' was not found.");
            }
            if (target.Id == incident.Id) throw new ValidationFailedException("duplicateOf", "An incident cannot duplicate itself.");
            if (target.Status == IncidentStatus.Duplicate) throw new ConflictException($"{target.Reference} is itself a duplicate; link to the incident that survives.");
            survivor = target.Id;
        }
        incident.Status = status;
        incident.StatusReason = reason.Trim();
        incident.DuplicateOfId = survivor;
        incident.UpdatedAt = time.GetUtcNow();
        await db.SaveChangesAsync(cancellationToken);
        return await GetAsync(incident.Id.ToString(), cancellationToken);
    }

    public async Task<IReadOnlyList<TransitionView>> ListTransitionsAsync(string key, CancellationToken cancellationToken = default)
    {
        await using var db = await factory.CreateDbContextAsync(cancellationToken);
        var incident = await IncidentLookup.FindAsync(db, key, cancellationToken, track: false);
        var rows = await db.PhaseTransitions.AsNoTracking().Where(t => t.IncidentId == incident.Id)
            .OrderBy(t => t.At).ThenBy(t => t.Id).ToListAsync(cancellationToken);
        return rows.Select(t => new TransitionView(t.Id, t.From, t.To, t.IsReopen, t.Reason, t.ActorName, t.At)).ToList();
    }

    private static void CheckFields(string? title, string? summary, IReadOnlyList<string>? tags, CloudScope? scope,
        Severity? severity, Tlp? tlp, Pap? pap, IncidentCategory? category, bool required)
    {
        var checks = new Checks();
        if (required || title is not null) checks.Required("title", title, IncidentLimits.TitleLength);
        checks.MaxLength("summary", summary, IncidentLimits.SummaryLength)
            .Items("tags", tags, IncidentLimits.MaxTags, IncidentLimits.TagLength)
            .Defined("severity", severity).Defined("tlp", tlp).Defined("pap", pap).Defined("category", category);
        if (scope is not null)
        {
            checks.Items("scope.providers", scope.Providers, 3, 16)
                .That(scope.Providers is null || scope.Providers.All(p => CloudProviders.Known.Contains(p?.Trim().ToLowerInvariant() ?? "")),
                    "scope.providers", $"providers must be among {string.Join(", ", CloudProviders.Known)}.")
                .Items("scope.accounts", scope.Accounts, IncidentLimits.MaxScopeItems, IncidentLimits.ScopeItemLength)
                .Items("scope.regions", scope.Regions, IncidentLimits.MaxScopeItems, IncidentLimits.ScopeItemLength);
        }
        checks.ThrowIfAny();
    }

    private static List<string> NormaliseTags(IReadOnlyList<string>? tags) =>
        (tags ?? []).Select(t => t.Trim().ToLowerInvariant()).Where(t => t.Length > 0).Distinct().Order().ToList();

    private static void ApplyScope(Incident incident, CloudScope scope)
    {
        incident.CloudProviders = (scope.Providers ?? []).Select(p => p.Trim().ToLowerInvariant()).Distinct().Order().ToList();
        incident.CloudAccounts = (scope.Accounts ?? []).Select(a => a.Trim()).Distinct().Order().ToList();
        incident.CloudRegions = (scope.Regions ?? []).Select(r => r.Trim().ToLowerInvariant()).Distinct().Order().ToList();
    }

    private static UserRef? Ref(IReadOnlyDictionary<Guid, User> users, Guid? id) =>
        id is { } v && users.TryGetValue(v, out var u) ? new UserRef(u.Id, u.DisplayName, u.Email) : null;

    private static IncidentDetails ToDetails(Incident i, IReadOnlyDictionary<Guid, User> users, string? duplicateOf, bool hasReview) => new(
        i.Id, i.Reference, i.Title, i.Summary, i.Severity, i.Tlp, i.Pap, i.Category, i.Tags,
        new CloudScope(i.CloudProviders, i.CloudAccounts, i.CloudRegions),
        Ref(users, i.IncidentManagerId), Ref(users, i.CommunicationsLeadId),
        i.Phase, i.Status, i.StatusReason, duplicateOf,
        new Milestones(i.DetectedAt, i.EscalatedAt, i.ContainedAt, i.EradicatedAt, i.RecoveredAt, i.ClosedAt),
        hasReview, i.CreatedAt, i.UpdatedAt, i.Version);
}

public static class CloudProviders
{
    public static readonly IReadOnlyList<string> Known = ["aws", "azure", "gcp"];
}
