using Firebreak.Core.Common;
using Firebreak.Core.Identity;
using Firebreak.Core.Incidents;
using Firebreak.Core.Investigation;
using Firebreak.Core.Persistence;
using System.Diagnostics;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;

namespace Firebreak.Core.Scope;

/// <summary>
/// The incident scope: the entity graph of its stored events, which identities the attacker controlled
/// (seeded from escalated principals and responders' marks, then propagated along credential chains),
/// the blast radius of those identities, and patient zero. Everything is aggregated in SQL; only the
/// credential-issuing events are read with their raw record.
/// </summary>
public sealed partial class ScopeService(IDbContextFactory<FirebreakDbContext> factory, TimeProvider time, ILogger<ScopeService> logger)
{
    public async Task<ScopeView> GetAsync(string incidentKey, CancellationToken cancellationToken = default)
    {
        var clock = Stopwatch.StartNew();
        await using var db = await factory.CreateDbContextAsync(cancellationToken);
        var incident = await IncidentLookup.FindAsync(db, incidentKey, cancellationToken, track: false);
        var events = db.IncidentEvents.AsNoTracking().Where(e => e.IncidentId == incident.Id);
        var truncated = new List<string>();

        var marks = await db.ScopeMarks.AsNoTracking().Where(m => m.IncidentId == incident.Id).OrderBy(m => m.MarkedAt).ThenBy(m => m.Id).ToListAsync(cancellationToken);
        var seeds = await db.IncidentArtifacts.AsNoTracking().Where(a => a.IncidentId == incident.Id && a.Kind == ArtifactKinds.Principal)
            .Select(a => new { a.Type, a.Value }).ToListAsync(cancellationToken);

        // 1. One pass over the events: who, with which key, from where, with what agent, in which account and region.
        // Identities, addresses, agents, accounts and regions are all sums over these rows, so the table is read once for them.
        var usage = await events
            .GroupBy(e => new { e.Provider, e.Account, e.Region, e.Principal, e.PrincipalType, e.SessionIssuer, e.AccessKeyId, e.SourceIp, e.UserAgent })
            .Select(g => new UsageRow(g.Key.Provider, g.Key.Account, g.Key.Region, g.Key.Principal, g.Key.PrincipalType, g.Key.SessionIssuer, g.Key.AccessKeyId,
                g.Key.SourceIp, g.Key.UserAgent, g.LongCount(), g.Min(e => e.Time), g.Max(e => e.Time)))
            .ToListAsync(cancellationToken);
        var identityRows = usage.GroupBy(u => (u.Provider, u.Account, u.Principal, u.PrincipalType, u.SessionIssuer, u.AccessKeyId))
            .Select(g => new IdentityRow(g.Key.Provider, g.Key.Account, g.Key.Principal, g.Key.PrincipalType, g.Key.SessionIssuer, g.Key.AccessKeyId,
                g.Sum(u => u.Count), g.Min(u => u.First), g.Max(u => u.Last)))
            .ToList();

        var usageTime = clock.Elapsed;

        // 2. Credential chains: the raw records of the few events that issue or create credentials.
        var chainOperations = CredentialChains.Operations;
        var chainEvents = await events
            // Inlined as constants so SQLite uses the (incident, operation) index rather than scanning for a json_each list.
            // AWS services assuming roles for instances and functions are most of these calls; a service never passes control on
            // (see Graph.Control), and their sessions and keys are already known from the sessions' own events.
            .Where(e => EF.Constant(chainOperations).Contains(e.Operation) && e.Result != EventResult.Failure && e.ErrorCode == null
                && (e.PrincipalType == null || e.PrincipalType != "AWSService"))
            .OrderBy(e => e.Time).ThenBy(e => e.Id).Take(ScopeLimits.MaxChainEvents + 1)
            .Select(e => new ChainEvent(e.Id, e.EventId, e.Time, e.Provider, e.Operation, e.Principal, e.AccessKeyId, e.Account, e.Resource, e.Raw))
            .ToListAsync(cancellationToken);
        if (chainEvents.Count > ScopeLimits.MaxChainEvents)
        {
            chainEvents.RemoveAt(ScopeLimits.MaxChainEvents);
            truncated.Add($"credential chains: only the first {ScopeLimits.MaxChainEvents:N0} credential-issuing events were followed");
        }

        var graph = new Graph();
        foreach (var row in identityRows) graph.AddUsage(row);
        foreach (var link in chainEvents.SelectMany(CredentialChains.Links)) graph.AddLink(link);

        var chainTime = clock.Elapsed;

        // 3. Who the attacker controlled.
        foreach (var seed in seeds) graph.Seed(seed.Type, seed.Value, ControlReason.Escalated);
        foreach (var mark in marks.Where(m => m.UnmarkedAt is null))
            graph.Seed(mark.Kind == ScopeMarkKind.AccessKey ? "access-key" : "principal", mark.Value, ControlReason.Marked);
        graph.Propagate();

        // 4. Resources, addresses, agents, accounts and regions of the whole incident.
        var resourceRows = await ResourceRowsAsync(events.Where(e => e.Resource != null), cancellationToken);
        var resourceTime = clock.Elapsed;
        var ipRows = usage.Where(u => u.SourceIp != null).Select(u => new ValueRow(u.SourceIp!, u.Count, u.First, u.Last));
        var agentRows = usage.Where(u => u.UserAgent != null).Select(u => new ValueRow(u.UserAgent!, u.Count, u.First, u.Last));

        // 5. The blast radius: the same aggregates over the events the controlled credentials signed.
        var (keys, principals) = graph.AttackerFilter();
        if (keys.Count + principals.Count > ScopeLimits.MaxControlled)
        {
            truncated.Add($"blast radius: only the first {ScopeLimits.MaxControlled:N0} controlled identities were searched");
            keys = keys.Take(ScopeLimits.MaxControlled).ToList();
            principals = principals.Take(Math.Max(0, ScopeLimits.MaxControlled - keys.Count)).ToList();
        }
        var attacker = events.Where(e => (e.AccessKeyId != null && keys.Contains(e.AccessKeyId)) || (e.Principal != null && principals.Contains(e.Principal)));
        List<AttackerRow> attackerRows = [];
        if (keys.Count + principals.Count > 0)
        {
            attackerRows = await attacker
                .GroupBy(e => new { e.Resource, e.Operation, e.Result, Error = e.ErrorCode != null, e.SourceIp, e.UserAgent, e.Account, e.Region })
                .Select(g => new AttackerRow(g.Key.Resource, g.Key.Operation, g.Key.Result == EventResult.Failure || g.Key.Error,
                    g.Key.SourceIp, g.Key.UserAgent, g.Key.Account, g.Key.Region, g.LongCount(), g.Min(e => e.Time), g.Max(e => e.Time)))
                .ToListAsync(cancellationToken);
        }
        var attackerResources = attackerRows.Where(r => r.Resource != null).Select(r => new ResourceRow(null, null, r.Resource!, r.Operation, r.Failed, r.Count, r.First, r.Last));
        var attackerPlaces = attackerRows;

        var blastTime = clock.Elapsed;

        // 6. Patient zero and its first use.
        PatientZero? patientZero = null;
        if (graph.PatientZero() is { } zero)
        {
            var query = zero.Kind == ScopeEntityKind.AccessKey
                ? events.Where(e => e.AccessKeyId == zero.Value)
                : events.Where(e => e.Principal == zero.Value);
            var first = await query.OrderBy(e => e.Time).ThenBy(e => e.Id)
                .Select(e => new FirstUse(e.Id, e.EventId, e.Time, e.Operation, e.Principal, e.AccessKeyId, e.SourceIp, e.UserAgent))
                .FirstOrDefaultAsync(cancellationToken);
            patientZero = new PatientZero(zero.Id, zero.Kind, zero.Value, zero.Type, first, graph.ChainFrom(zero).Select(Edge).Take(100).ToList());
        }

        var identities = graph.Nodes.OrderByDescending(n => n.Controlled).ThenBy(n => n.FirstSeen ?? DateTimeOffset.MaxValue).ThenBy(n => n.Id, StringComparer.Ordinal)
            .Select(Identity).ToList();
        var edges = graph.Edges.Select(Edge).ToList();
        var blastIdentities = identities.Where(i => i.Controlled).ToList();
        var blastResources = Resources(attackerResources);
        var blast = new BlastRadius(
            attackerPlaces.Sum(p => p.Count),
            new BlastCounts(blastIdentities.Count, blastResources.Count, blastResources.Count(r => r.Read > 0), blastResources.Count(r => r.Modified > 0),
                blastResources.Count(r => r.Created > 0), blastResources.Count(r => r.Deleted > 0),
                attackerPlaces.Where(p => p.SourceIp != null).Select(p => p.SourceIp).Distinct().Count(),
                attackerPlaces.Where(p => p.UserAgent != null).Select(p => p.UserAgent).Distinct().Count(),
                attackerPlaces.Where(p => p.Account != null).Select(p => p.Account).Distinct().Count(),
                attackerPlaces.Where(p => p.Region != null).Select(p => p.Region).Distinct().Count()),
            Cap(blastIdentities, "blast radius identities", truncated),
            Cap(blastResources, "blast radius resources", truncated),
            Cap(Values(attackerPlaces.Where(p => p.SourceIp != null).Select(p => new ValueRow(p.SourceIp!, p.Count, p.First, p.Last)), ScopeEntityKind.SourceIp), "blast radius source IPs", truncated),
            Cap(Values(attackerPlaces.Where(p => p.UserAgent != null).Select(p => new ValueRow(p.UserAgent!, p.Count, p.First, p.Last)), ScopeEntityKind.UserAgent), "blast radius user agents", truncated),
            Values(attackerPlaces.Where(p => p.Account != null).Select(p => new ValueRow(p.Account!, p.Count, p.First, p.Last)), ScopeEntityKind.Account),
            Values(attackerPlaces.Where(p => p.Region != null).Select(p => new ValueRow(p.Region!, p.Count, p.First, p.Last)), ScopeEntityKind.Region),
            edges.Where(e => graph.IsControlled(e.From) || graph.IsControlled(e.To)).ToList(),
            Containment.Suggest(graph, blastResources));

        LogComputed(logger, incident.Reference, usage.Count, chainEvents.Count, (long)clock.Elapsed.TotalMilliseconds, (long)usageTime.TotalMilliseconds,
            (long)(chainTime - usageTime).TotalMilliseconds, (long)(resourceTime - chainTime).TotalMilliseconds, (long)(blastTime - resourceTime).TotalMilliseconds);
        return new ScopeView(incident.Reference, usage.Sum(u => u.Count), usage.Count == 0 ? null : usage.Min(u => u.First), usage.Count == 0 ? null : usage.Max(u => u.Last),
            Cap(identities, "identities", truncated), Cap(edges, "edges", truncated), Cap(Resources(resourceRows), "resources", truncated),
            Cap(Values(ipRows, ScopeEntityKind.SourceIp), "source IPs", truncated), Cap(Values(agentRows, ScopeEntityKind.UserAgent), "user agents", truncated),
            Cap(Values(usage.Where(p => p.Account != null).Select(p => new ValueRow(p.Account!, p.Count, p.First, p.Last)), ScopeEntityKind.Account), "accounts", truncated),
            Cap(Values(usage.Where(p => p.Region != null).Select(p => new ValueRow(p.Region!, p.Count, p.First, p.Last)), ScopeEntityKind.Region), "regions", truncated),
            blast, patientZero, marks.Select(ToView).ToList(), truncated);
    }

    /// <summary>Marks an identity or key of the incident as attacker-controlled. It must appear in the incident's events.</summary>
    public async Task<ScopeMarkView> MarkAsync(string incidentKey, MarkCompromised command, CancellationToken cancellationToken = default)
    {
        new Checks().Defined("kind", (ScopeMarkKind?)command.Kind)
            .Required("value", command.Value, ScopeLimits.ValueLength)
            .Required("reason", command.Reason, ScopeLimits.ReasonLength)
            .ThrowIfAny();
        await using var db = await factory.CreateDbContextAsync(cancellationToken);
        IncidentLookup.Require(db.Actor, Role.Responder, "mark identities as compromised");
        var incident = await IncidentLookup.FindAsync(db, incidentKey, cancellationToken, track: false);
        var value = command.Value.Trim();
        var events = db.IncidentEvents.Where(e => e.IncidentId == incident.Id);
        var known = command.Kind == ScopeMarkKind.AccessKey
            ? await events.AnyAsync(e => e.AccessKeyId == value, cancellationToken)
            : await events.AnyAsync(e => e.Principal == value, cancellationToken)
              || await events.AnyAsync(e => e.SessionIssuer == value, cancellationToken);
        if (!known)
            throw new ValidationFailedException("value", $"No event of this incident has {(command.Kind == ScopeMarkKind.AccessKey ? "access key" : "principal")} '{Shorten(value)}'.");
        if (await db.ScopeMarks.AnyAsync(m => m.IncidentId == incident.Id && m.Kind == command.Kind && m.Value == value && m.UnmarkedAt == null, cancellationToken))
            throw new ConflictException($"'{Shorten(value)}' is already marked compromised.");
        var mark = new ScopeMark
        {
            IncidentId = incident.Id,
            Kind = command.Kind,
            Value = value,
            Reason = command.Reason.Trim(),
            MarkedBy = db.Actor.Name,
            MarkedAt = time.GetUtcNow(),
        };
        db.ScopeMarks.Add(mark);
        await db.SaveChangesAsync(cancellationToken);
        return ToView(mark);
    }

    /// <summary>Withdraws a mark; the row stays with who withdrew it, when and why.</summary>
    public async Task<ScopeMarkView> UnmarkAsync(string incidentKey, Guid markId, UnmarkCompromised command, CancellationToken cancellationToken = default)
    {
        new Checks().Required("reason", command.Reason, ScopeLimits.ReasonLength).ThrowIfAny();
        await using var db = await factory.CreateDbContextAsync(cancellationToken);
        IncidentLookup.Require(db.Actor, Role.Responder, "unmark identities");
        var incident = await IncidentLookup.FindAsync(db, incidentKey, cancellationToken, track: false);
        var mark = await db.ScopeMarks.SingleOrDefaultAsync(m => m.Id == markId && m.IncidentId == incident.Id, cancellationToken)
            ?? throw new NotFoundException("Mark", markId.ToString());
        if (mark.UnmarkedAt is not null) throw new ConflictException("The mark was already withdrawn.");
        mark.UnmarkedAt = time.GetUtcNow();
        mark.UnmarkedBy = db.Actor.Name;
        mark.UnmarkReason = command.Reason.Trim();
        await db.SaveChangesAsync(cancellationToken);
        return ToView(mark);
    }

    /// <summary>The event search that shows one entity's events: the pivot from the graph.</summary>
    public static EventQuery Pivot(ScopeEntityKind kind, string value, string? role = null) => kind switch
    {
        ScopeEntityKind.Principal when role == "role" => new EventQuery { SessionIssuer = value },
        ScopeEntityKind.Principal => new EventQuery { Principal = value },
        ScopeEntityKind.AccessKey => new EventQuery { AccessKeyId = value },
        ScopeEntityKind.Resource => new EventQuery { Resource = value },
        ScopeEntityKind.SourceIp => new EventQuery { SourceIp = value },
        ScopeEntityKind.UserAgent => new EventQuery { UserAgent = value },
        ScopeEntityKind.Account => new EventQuery { Account = value },
        ScopeEntityKind.Region => new EventQuery { Region = value },
        _ => throw new ArgumentOutOfRangeException(nameof(kind)),
    };

    private static string PivotText(ScopeEntityKind kind, string value, string? type = null)
    {
        var field = kind switch
        {
            ScopeEntityKind.Principal when type == "role" => "sessionIssuer",
            ScopeEntityKind.Principal => "principal",
            ScopeEntityKind.AccessKey => "accessKeyId",
            ScopeEntityKind.Resource => "resource",
            ScopeEntityKind.SourceIp => "sourceIp",
            ScopeEntityKind.UserAgent => "userAgent",
            ScopeEntityKind.Account => "account",
            _ => "region",
        };
        return field + "=" + Uri.EscapeDataString(value);
    }

    private static async Task<List<ResourceRow>> ResourceRowsAsync(IQueryable<IncidentEvent> events, CancellationToken cancellationToken) =>
        await events.GroupBy(e => new { e.Resource, e.Operation, e.Result, Error = e.ErrorCode != null })
            .Select(g => new ResourceRow(null, null, g.Key.Resource!, g.Key.Operation, g.Key.Result == EventResult.Failure || g.Key.Error,
                g.LongCount(), g.Min(e => e.Time), g.Max(e => e.Time)))
            .ToListAsync(cancellationToken);

    private static List<ScopeResource> Resources(IEnumerable<ResourceRow> rows)
    {
        var list = new List<ScopeResource>();
        foreach (var resource in rows.GroupBy(r => r.Resource, StringComparer.Ordinal))
        {
            long read = 0, modified = 0, created = 0, deleted = 0, failed = 0;
            var succeeded = resource.Where(r => !r.Failed).ToList();
            var firstTouch = succeeded.Count == 0 ? DateTimeOffset.MaxValue : succeeded.Min(r => r.First);
            foreach (var row in resource)
            {
                if (row.Failed)
                {
                    failed += row.Count;
                    continue;
                }
                var isFirst = OperationVerbs.IsPut(row.Operation) && row.First <= firstTouch;
                switch (OperationVerbs.Classify(row.Operation, isFirst))
                {
                    case AccessKind.Read: read += row.Count; break;
                    case AccessKind.Created: created += row.Count; break;
                    case AccessKind.Deleted: deleted += row.Count; break;
                    default: modified += row.Count; break;
                }
            }
            var access = new List<AccessKind>();
            if (read > 0) access.Add(AccessKind.Read);
            if (modified > 0) access.Add(AccessKind.Modified);
            if (created > 0) access.Add(AccessKind.Created);
            if (deleted > 0) access.Add(AccessKind.Deleted);
            list.Add(new ScopeResource(resource.Key, read, modified, created, deleted, failed, resource.Min(r => r.First), resource.Max(r => r.Last), access,
                PivotText(ScopeEntityKind.Resource, resource.Key)));
        }
        return [.. list.OrderBy(r => r.FirstSeen).ThenBy(r => r.Value, StringComparer.Ordinal)];
    }

    private static List<ScopeValue> Values(IEnumerable<ValueRow> rows, ScopeEntityKind kind) =>
        [.. rows.GroupBy(r => r.Value, StringComparer.Ordinal)
            .Select(g => new ScopeValue(g.Key, g.Sum(r => r.Count), g.Min(r => r.First), g.Max(r => r.Last), PivotText(kind, g.Key)))
            .OrderByDescending(v => v.Events).ThenBy(v => v.Value, StringComparer.Ordinal)];

    private static List<T> Cap<T>(List<T> items, string what, List<string> truncated)
    {
        if (items.Count <= ScopeLimits.MaxListed) return items;
        truncated.Add($"{what}: {ScopeLimits.MaxListed:N0} of {items.Count:N0} listed");
        return items.Take(ScopeLimits.MaxListed).ToList();
    }

    private static ScopeIdentity Identity(Node n) => new(n.Id, n.Kind, n.Value, n.Type, n.Provider, n.Account, n.FirstSeen, n.LastSeen, n.Events,
        n.Controlled, n.Reason, n.Via?.Id, PivotText(n.Kind, n.Value, n.Type));

    private static ScopeEdge Edge(Link l) => new(l.From.Id, l.To.Id, l.Relation, l.Events, l.First, l.EventId);

    private static ScopeMarkView ToView(ScopeMark m) => new(m.Id, m.Kind, m.Value, m.Reason, m.MarkedBy, m.MarkedAt, m.UnmarkedBy, m.UnmarkedAt, m.UnmarkReason,
        m.UnmarkedAt is null, m.Version);

    private static string Shorten(string value) => value.Length <= 120 ? value : value[..117] + "...";

    [LoggerMessage(Level = LogLevel.Information, Message = "Scope of {Incident} in {ElapsedMs} ms: {UsageRows} usage rows in {UsageMs} ms, {ChainEvents} chain events in {ChainMs} ms, resources in {ResourceMs} ms, blast radius in {BlastMs} ms")]
    private static partial void LogComputed(ILogger logger, string incident, int usageRows, int chainEvents, long elapsedMs, long usageMs, long chainMs, long resourceMs, long blastMs);

    internal sealed record IdentityRow(string Provider, string? Account, string? Principal, string? PrincipalType, string? SessionIssuer, string? AccessKeyId,
        long Count, DateTimeOffset First, DateTimeOffset Last);

    internal sealed record ResourceRow(string? Principal, string? AccessKeyId, string Resource, string Operation, bool Failed, long Count, DateTimeOffset First, DateTimeOffset Last);

    private sealed record ValueRow(string Value, long Count, DateTimeOffset First, DateTimeOffset Last);

    private sealed record UsageRow(string Provider, string? Account, string? Region, string? Principal, string? PrincipalType, string? SessionIssuer,
        string? AccessKeyId, string? SourceIp, string? UserAgent, long Count, DateTimeOffset First, DateTimeOffset Last);

    private sealed record AttackerRow(string? Resource, string Operation, bool Failed, string? SourceIp, string? UserAgent, string? Account, string? Region,
        long Count, DateTimeOffset First, DateTimeOffset Last);
}
