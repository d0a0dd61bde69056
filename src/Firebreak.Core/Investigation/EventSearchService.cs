using System.Globalization;
using System.Linq.Expressions;
using Firebreak.Core.Common;
using Firebreak.Core.Incidents;
using Firebreak.Core.Persistence;
using Microsoft.EntityFrameworkCore;

namespace Firebreak.Core.Investigation;

/// <summary>Filters over an incident's events. Field filters are exact matches on indexed columns; text is a substring of the raw record.</summary>
public sealed record EventQuery
{
    public string? Principal { get; init; }
    public string? AccessKeyId { get; init; }
    public string? Operation { get; init; }
    public string? Resource { get; init; }
    public string? SourceIp { get; init; }

    /// <summary>Events of the sessions of this role (the session issuer).</summary>
    public string? SessionIssuer { get; init; }
    public string? UserAgent { get; init; }
    public string? Provider { get; init; }
    public string? Account { get; init; }
    public string? Region { get; init; }
    public string? ErrorCode { get; init; }

    /// <summary>Only failed calls (true) or only successful ones (false).</summary>
    public bool? Failed { get; init; }
    public DateTimeOffset? From { get; init; }
    public DateTimeOffset? To { get; init; }
    public string? Text { get; init; }

    /// <summary>The <see cref="EventPage.Next"/> of the previous page.</summary>
    public string? After { get; init; }
    public int? Limit { get; init; }
}

public sealed record EventSummary(long Id, string EventId, DateTimeOffset Time, string Provider, string? Account, string? Region,
    string? EventSource, string Operation, string? PrincipalType, string? Principal, string? AccessKeyId, string? SourceIp, string? UserAgent,
    string? Resource, EventResult Result, string? ErrorCode);

public sealed record EventDetails(EventSummary Event, string LogSource, string? SessionIssuer, IReadOnlyList<string> Resources,
    string? Origin, DateTimeOffset IngestedAt, Guid? ImportId, string Raw);

/// <summary>One page in time order; <see cref="Next"/> is null on the last page.</summary>
public sealed record EventPage(IReadOnlyList<EventSummary> Items, string? Next);

/// <summary>The raw event search over an incident's stored events, paged by (time, id) keyset.</summary>
public sealed class EventSearchService(IDbContextFactory<FirebreakDbContext> factory)
{
    public async Task<EventPage> SearchAsync(string incidentKey, EventQuery query, CancellationToken cancellationToken = default)
    {
        var limit = Check(query);
        var cursor = ParseCursor(query.After);
        await using var db = await factory.CreateDbContextAsync(cancellationToken);
        var incident = await IncidentLookup.FindAsync(db, incidentKey, cancellationToken, track: false);
        var events = Filter(db.IncidentEvents.AsNoTracking().Where(e => e.IncidentId == incident.Id), query, db.Database.IsNpgsql());
        if (cursor is { } c)
        {
            events = events.Where(e => e.Time > c.Time || (e.Time == c.Time && e.Id > c.Id));
        }
        var rows = await events.OrderBy(e => e.Time).ThenBy(e => e.Id).Take(limit + 1)
            .Select(Summary)
            .ToListAsync(cancellationToken);
        string? next = null;
        if (rows.Count > limit)
        {
            rows.RemoveAt(limit);
            next = FormatCursor(rows[^1].Time, rows[^1].Id);
        }
        return new EventPage(rows, next);
    }

    public async Task<EventDetails> GetAsync(string incidentKey, long id, CancellationToken cancellationToken = default)
    {
        await using var db = await factory.CreateDbContextAsync(cancellationToken);
        var incident = await IncidentLookup.FindAsync(db, incidentKey, cancellationToken, track: false);
        var e = await db.IncidentEvents.AsNoTracking().SingleOrDefaultAsync(e => e.Id == id && e.IncidentId == incident.Id, cancellationToken)
            ?? throw new NotFoundException("Event", id.ToString(CultureInfo.InvariantCulture));
        return ToDetails(e);
    }

    /// <summary>How many events the incident holds.</summary>
    public async Task<long> CountAsync(string incidentKey, CancellationToken cancellationToken = default)
    {
        await using var db = await factory.CreateDbContextAsync(cancellationToken);
        var incident = await IncidentLookup.FindAsync(db, incidentKey, cancellationToken, track: false);
        return await db.IncidentEvents.LongCountAsync(e => e.IncidentId == incident.Id, cancellationToken);
    }

    /// <summary>One mapping to the summary, translated to SQL in the search and compiled for an event already loaded.</summary>
    private static readonly Expression<Func<IncidentEvent, EventSummary>> Summary = e => new EventSummary(e.Id, e.EventId, e.Time, e.Provider,
        e.Account, e.Region, e.EventSource, e.Operation, e.PrincipalType, e.Principal, e.AccessKeyId, e.SourceIp, e.UserAgent, e.Resource, e.Result, e.ErrorCode);

    private static readonly Func<IncidentEvent, EventSummary> CompiledSummary = Summary.Compile();

    internal static EventDetails ToDetails(IncidentEvent e) => new(CompiledSummary(e), e.LogSource, e.SessionIssuer, e.Resources?.Split('\n') ?? [], e.Origin, e.IngestedAt, e.ImportId, e.Raw);

    private static int Check(EventQuery q)
    {
        new Checks()
            .MaxLength("principal", q.Principal, EventLimits.LongText).MaxLength("accessKeyId", q.AccessKeyId, EventLimits.ShortText)
            .MaxLength("operation", q.Operation, EventLimits.ShortText).MaxLength("resource", q.Resource, EventLimits.LongText)
            .MaxLength("sourceIp", q.SourceIp, EventLimits.ShortText)
            .MaxLength("sessionIssuer", q.SessionIssuer, EventLimits.LongText).MaxLength("userAgent", q.UserAgent, EventLimits.LongText).MaxLength("provider", q.Provider, 16)
            .MaxLength("account", q.Account, EventLimits.ShortText).MaxLength("region", q.Region, EventLimits.ShortText)
            .MaxLength("errorCode", q.ErrorCode, EventLimits.ShortText).MaxLength("q", q.Text, 500)
            .MaxLength("after", q.After, 100)
            .That(q.From is null || q.To is null || q.From < q.To, "from", "from must be before to.")
            .That(q.Limit is null or (>= 1 and <= EventLimits.MaxPageSize), "limit", $"limit must be between 1 and {EventLimits.MaxPageSize}.")
            .ThrowIfAny();
        return q.Limit ?? EventLimits.DefaultPageSize;
    }

    private static IQueryable<IncidentEvent> Filter(IQueryable<IncidentEvent> events, EventQuery q, bool postgres)
    {
        if (Value(q.Principal) is { } principal) events = events.Where(e => e.Principal == principal);
        if (Value(q.AccessKeyId) is { } key) events = events.Where(e => e.AccessKeyId == key);
        if (Value(q.Operation) is { } operation) events = events.Where(e => e.Operation == operation);
        if (Value(q.Resource) is { } resource)
        {
            // The first resource is indexed; the others are found inside the list of all of them.
            var line = TextSearch.ContainsPattern("\n" + resource + "\n");
            events = events.Where(e => e.Resource == resource || EF.Functions.Like("\n" + e.Resources + "\n", line, TextSearch.Escape));
        }
        if (Value(q.SourceIp) is { } ip) events = events.Where(e => e.SourceIp == ip);
        if (Value(q.SessionIssuer) is { } issuer) events = events.Where(e => e.SessionIssuer == issuer);
        if (q.UserAgent is { Length: > 0 } agent) events = events.Where(e => e.UserAgent == agent);
        if (Value(q.Provider) is { } provider) events = events.Where(e => e.Provider == provider.ToLowerInvariant());
        if (Value(q.Account) is { } account) events = events.Where(e => e.Account == account);
        if (Value(q.Region) is { } region) events = events.Where(e => e.Region == region);
        if (Value(q.ErrorCode) is { } error) events = events.Where(e => e.ErrorCode == error);
        if (q.Failed is true) events = events.Where(e => e.Result == EventResult.Failure || e.ErrorCode != null);
        if (q.Failed is false) events = events.Where(e => e.Result != EventResult.Failure && e.ErrorCode == null);
        if (q.From is { } from) events = events.Where(e => e.Time >= from);
        if (q.To is { } to) events = events.Where(e => e.Time < to);
        if (Value(q.Text) is { } text)
        {
            var pattern = TextSearch.ContainsPattern(text);
            // Case-insensitive on both providers, as SQLite's LIKE is for ASCII.
            events = postgres
                ? events.Where(e => EF.Functions.ILike(e.Raw, pattern, TextSearch.Escape))
                : events.Where(e => EF.Functions.Like(e.Raw, pattern, TextSearch.Escape));
        }
        return events;
    }

    private static string? Value(string? text) => string.IsNullOrWhiteSpace(text) ? null : text.Trim();

    internal static string FormatCursor(DateTimeOffset time, long id) =>
        string.Create(CultureInfo.InvariantCulture, $"{time.UtcTicks}.{id}");

    internal static (DateTimeOffset Time, long Id)? ParseCursor(string? cursor)
    {
        if (string.IsNullOrWhiteSpace(cursor)) return null;
        var parts = cursor.Split('.');
        if (parts.Length == 2
            && long.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out var ticks) && ticks >= DateTimeOffset.MinValue.UtcTicks && ticks <= DateTimeOffset.MaxValue.UtcTicks
            && long.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out var id))
        {
            return (new DateTimeOffset(ticks, TimeSpan.Zero), id);
        }
        throw new ValidationFailedException("after", "after is not a cursor this search returned.");
    }
}
