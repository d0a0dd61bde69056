using System.Globalization;
using System.Linq.Expressions;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using Firebreak.Core.Common;
using Firebreak.Core.Identity;
using Firebreak.Core.Incidents;
using Firebreak.Core.Persistence;
using Firebreak.Core.PostMortem.Reports;
using Microsoft.EntityFrameworkCore;

namespace Firebreak.Core.Investigation;

public sealed record TimelineQuery
{
    public DateTimeOffset? From { get; init; }
    public DateTimeOffset? To { get; init; }
    public IReadOnlyList<TimelineKind>? Kinds { get; init; }
    public bool KeyEventsOnly { get; init; }

    /// <summary>False leads are shown unless this is set.</summary>
    public bool HideFalseLeads { get; init; }
    public string? Tactic { get; init; }
    public string? Text { get; init; }
    public int? Page { get; init; }
    public int? PageSize { get; init; }
}

public sealed record TimelineView(Guid Id, TimelineKind Kind, DateTimeOffset EventTime, DateTimeOffset? DiscoveredAt, DateTimeOffset IngestedAt,
    string Title, string Source, string? SourceId, string? Tactic, string? Technique, bool KeyEvent, bool FalseLead, string? Annotation,
    string? Author, long? EventId, IReadOnlyList<string> Principals, IReadOnlyList<string> Assets, IReadOnlyList<string> Indicators,
    bool HasRaw, long Version);

public sealed record TimelineEntryDetails(TimelineView Entry, string? Raw);

public sealed record AddTimelineEntry(DateTimeOffset EventTime, string Title, DateTimeOffset? DiscoveredAt = null, string? Tactic = null,
    string? Technique = null, string? Annotation = null, bool KeyEvent = false, IReadOnlyList<string>? Principals = null,
    IReadOnlyList<string>? Assets = null, IReadOnlyList<string>? Indicators = null);

/// <summary>Changes to an entry; null leaves a field as it is, an empty string clears it.</summary>
public sealed record UpdateTimelineEntry(bool? KeyEvent = null, bool? FalseLead = null, string? Annotation = null, string? Tactic = null,
    string? Technique = null, IReadOnlyList<string>? Principals = null, IReadOnlyList<string>? Assets = null, IReadOnlyList<string>? Indicators = null);

public sealed record PinEvents(IReadOnlyList<long> EventIds, bool KeyEvent = false, string? Tactic = null, string? Technique = null);

public sealed record PinResult(IReadOnlyList<TimelineView> Pinned, int AlreadyPinned);

/// <summary>
/// The one timeline of an incident: alerts (added on escalation), phase changes, cloud events pinned
/// from the search, and analyst entries, each with its three times kept apart.
/// </summary>
public sealed partial class TimelineService(IDbContextFactory<FirebreakDbContext> factory, TimeProvider time)
{
    public static readonly IReadOnlyList<string> Tactics =
    [
        "reconnaissance", "resource-development", "initial-access", "execution", "persistence", "privilege-escalation", "defense-evasion",
        "credential-access", "discovery", "lateral-movement", "collection", "command-and-control", "exfiltration", "impact",
    ];

    public async Task<PagedResult<TimelineView>> ListAsync(string incidentKey, TimelineQuery query, CancellationToken cancellationToken = default)
    {
        var (page, pageSize) = Paging.Normalise(query.Page, query.PageSize);
        CheckQuery(query);
        await using var db = await factory.CreateDbContextAsync(cancellationToken);
        var incident = await IncidentLookup.FindAsync(db, incidentKey, cancellationToken, track: false);
        var entries = Filter(db.TimelineEntries.AsNoTracking().Where(t => t.IncidentId == incident.Id), query, db.Database.IsNpgsql());
        var total = await entries.CountAsync(cancellationToken);
        var rows = await entries.OrderBy(t => t.EventTime).ThenBy(t => t.IngestedAt).ThenBy(t => t.Id)
            .Skip((page - 1) * pageSize).Take(pageSize).Select(View).ToListAsync(cancellationToken);
        return new PagedResult<TimelineView>(rows, page, pageSize, total);
    }

    public async Task<TimelineEntryDetails> GetAsync(string incidentKey, Guid id, CancellationToken cancellationToken = default)
    {
        await using var db = await factory.CreateDbContextAsync(cancellationToken);
        var incident = await IncidentLookup.FindAsync(db, incidentKey, cancellationToken, track: false);
        var entry = await db.TimelineEntries.AsNoTracking().SingleOrDefaultAsync(t => t.Id == id && t.IncidentId == incident.Id, cancellationToken)
            ?? throw new NotFoundException("Timeline entry", id.ToString());
        return new TimelineEntryDetails(ToView(entry), entry.Raw);
    }

    public async Task<TimelineView> AddAsync(string incidentKey, AddTimelineEntry command, CancellationToken cancellationToken = default)
    {
        var checks = new Checks().Required("title", command.Title, TimelineLimits.TitleLength)
            .That(command.EventTime != default, "eventTime", "eventTime is required.")
            .That(command.EventTime <= time.GetUtcNow().AddDays(1), "eventTime", "eventTime cannot be in the future.")
            .MaxLength("annotation", command.Annotation, TimelineLimits.AnnotationLength);
        CheckAttack(checks, command.Tactic, command.Technique);
        CheckLinks(checks, command.Principals, command.Assets, command.Indicators);
        checks.ThrowIfAny();
        await using var db = await factory.CreateDbContextAsync(cancellationToken);
        IncidentLookup.Require(db.Actor, Role.Responder, "add timeline entries");
        var incident = await IncidentLookup.FindAsync(db, incidentKey, cancellationToken, track: false);
        var now = time.GetUtcNow();
        var entry = new TimelineEntry
        {
            IncidentId = incident.Id,
            Kind = TimelineKind.Analyst,
            EventTime = command.EventTime.ToUniversalTime(),
            DiscoveredAt = (command.DiscoveredAt ?? now).ToUniversalTime(),
            IngestedAt = now,
            Title = command.Title.Trim(),
            Source = "analyst",
            Author = db.Actor.Name,
            Tactic = Blank(command.Tactic)?.ToLowerInvariant(),
            Technique = Blank(command.Technique)?.ToUpperInvariant(),
            Annotation = Blank(command.Annotation),
            KeyEvent = command.KeyEvent,
            Principals = Links(command.Principals),
            Assets = Links(command.Assets),
            Indicators = Links(command.Indicators),
        };
        db.TimelineEntries.Add(entry);
        await db.SaveChangesAsync(cancellationToken);
        return ToView(entry);
    }

    /// <summary>Puts stored events on the timeline, with their principal, resources and source address linked; events already there are skipped.</summary>
    public async Task<PinResult> PinAsync(string incidentKey, PinEvents command, CancellationToken cancellationToken = default)
    {
        var checks = new Checks().That(command.EventIds is { Count: > 0 }, "eventIds", "eventIds must name at least one event.")
            .That(command.EventIds is null || command.EventIds.Count <= EventLimits.MaxPin, "eventIds", $"At most {EventLimits.MaxPin} events per request.");
        CheckAttack(checks, command.Tactic, command.Technique);
        checks.ThrowIfAny();
        await using var db = await factory.CreateDbContextAsync(cancellationToken);
        IncidentLookup.Require(db.Actor, Role.Responder, "pin events to the timeline");
        var incident = await IncidentLookup.FindAsync(db, incidentKey, cancellationToken, track: false);
        var ids = command.EventIds!.Distinct().ToList();
        var events = await db.IncidentEvents.AsNoTracking().Where(e => e.IncidentId == incident.Id && ids.Contains(e.Id)).ToListAsync(cancellationToken);
        var missing = ids.Except(events.Select(e => e.Id)).ToList();
        if (missing.Count > 0) throw new NotFoundException("Event", string.Join(", ", missing.Take(20)));
        var pinned = await db.TimelineEntries.Where(t => t.IncidentId == incident.Id && t.IncidentEventId != null && ids.Contains(t.IncidentEventId.Value))
            .Select(t => t.IncidentEventId!.Value).ToListAsync(cancellationToken);
        var now = time.GetUtcNow();
        var added = new List<TimelineEntry>();
        foreach (var e in events.Where(e => !pinned.Contains(e.Id)).OrderBy(e => e.Time))
        {
            var entry = CloudEventEntry(e, Describe(e), $"{e.Provider}/{e.LogSource}", now);
            entry.Author = db.Actor.Name;
            entry.KeyEvent = command.KeyEvent;
            entry.Tactic = Blank(command.Tactic)?.ToLowerInvariant();
            entry.Technique = Blank(command.Technique)?.ToUpperInvariant();
            db.TimelineEntries.Add(entry);
            added.Add(entry);
        }
        await db.SaveChangesAsync(cancellationToken);
        return new PinResult(added.Select(ToView).ToList(), pinned.Count);
    }

    public async Task<TimelineView> UpdateAsync(string incidentKey, Guid id, UpdateTimelineEntry command, long? expectedVersion, CancellationToken cancellationToken = default)
    {
        var checks = new Checks().MaxLength("annotation", command.Annotation, TimelineLimits.AnnotationLength);
        CheckAttack(checks, command.Tactic, command.Technique);
        CheckLinks(checks, command.Principals, command.Assets, command.Indicators);
        checks.ThrowIfAny();
        await using var db = await factory.CreateDbContextAsync(cancellationToken);
        IncidentLookup.Require(db.Actor, Role.Responder, "change timeline entries");
        var incident = await IncidentLookup.FindAsync(db, incidentKey, cancellationToken, track: false);
        var entry = await db.TimelineEntries.SingleOrDefaultAsync(t => t.Id == id && t.IncidentId == incident.Id, cancellationToken)
            ?? throw new NotFoundException("Timeline entry", id.ToString());
        IncidentLookup.CheckVersion(entry, expectedVersion);
        if (command.KeyEvent is { } key) entry.KeyEvent = key;
        if (command.FalseLead is { } falseLead) entry.FalseLead = falseLead;
        if (command.Annotation is not null) entry.Annotation = Blank(command.Annotation);
        if (command.Tactic is not null) entry.Tactic = Blank(command.Tactic)?.ToLowerInvariant();
        if (command.Technique is not null) entry.Technique = Blank(command.Technique)?.ToUpperInvariant();
        if (command.Principals is not null) entry.Principals = Links(command.Principals);
        if (command.Assets is not null) entry.Assets = Links(command.Assets);
        if (command.Indicators is not null) entry.Indicators = Links(command.Indicators);
        await db.SaveChangesAsync(cancellationToken);
        return ToView(entry);
    }

    /// <summary>Writes the filtered timeline (every page) as CSV or JSON, streaming in time order.</summary>
    public async Task ExportAsync(string incidentKey, string format, TimelineQuery query, Stream output, CancellationToken cancellationToken = default)
    {
        if (format is not ("csv" or "json")) throw new ValidationFailedException("format", "format must be csv or json.");
        CheckQuery(query);
        await using var db = await factory.CreateDbContextAsync(cancellationToken);
        var incident = await IncidentLookup.FindAsync(db, incidentKey, cancellationToken, track: false);
        var entries = db.TimelineEntries.AsNoTracking().Where(t => t.IncidentId == incident.Id);
        var rows = Filter(entries, query, db.Database.IsNpgsql()).OrderBy(t => t.EventTime).ThenBy(t => t.IngestedAt).ThenBy(t => t.Id).AsAsyncEnumerable();
        if (format == "json")
        {
            await using var json = new Utf8JsonWriter(output, new JsonWriterOptions { Indented = true });
            json.WriteStartObject();
            json.WriteString("incident", incident.Reference);
            json.WriteStartArray("entries");
            await foreach (var t in rows.WithCancellation(cancellationToken))
            {
                JsonSerializer.Serialize(json, new TimelineEntryDetails(ToView(t), t.Raw), ExportJson);
                if (json.BytesPending > 1 << 16) await json.FlushAsync(cancellationToken);
            }
            json.WriteEndArray();
            json.WriteEndObject();
            await json.FlushAsync(cancellationToken);
            return;
        }
        await using var writer = new StreamWriter(output, new UTF8Encoding(false), 1 << 16, leaveOpen: true);
        await writer.WriteLineAsync("event_time,discovered_at,ingested_at,kind,title,source,source_id,tactic,technique,key_event,false_lead,principals,assets,indicators,annotation,author");
        await foreach (var t in rows.WithCancellation(cancellationToken))
        {
            string?[] cells =
            [
                Time(t.EventTime), t.DiscoveredAt is { } d ? Time(d) : null, Time(t.IngestedAt), KindName(t.Kind), t.Title, t.Source, t.SourceId,
                t.Tactic, t.Technique, t.KeyEvent ? "true" : "false", t.FalseLead ? "true" : "false",
                string.Join(' ', t.Principals), string.Join(' ', t.Assets), string.Join(' ', t.Indicators), t.Annotation, t.Author,
            ];
            await writer.WriteLineAsync(string.Join(',', cells.Select(Csv)));
        }
    }

    private static readonly JsonSerializerOptions ExportJson = new(JsonSerializerDefaults.Web);

    private static string Time(DateTimeOffset value) => value.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture);

    /// <summary>The kind's JSON name ("cloud-event"), as the API and reports spell it.</summary>
    internal static string KindName(TimelineKind kind) => ReportText.Name(kind);

    private static string Csv(string? value)
    {
        if (string.IsNullOrEmpty(value)) return "";
        // A leading =, +, -, @, tab or carriage return makes spreadsheets evaluate the cell (or hides a leading one); titles and annotations may come from logs.
        if (value[0] is '=' or '+' or '-' or '@' or '\t' or '\r') value = "'" + value;
        return value.IndexOfAny([',', '"', '\n', '\r']) >= 0 ? "\"" + value.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"" : value;
    }

    private static IQueryable<TimelineEntry> Filter(IQueryable<TimelineEntry> entries, TimelineQuery q, bool postgres)
    {
        if (q.From is { } from) entries = entries.Where(t => t.EventTime >= from);
        if (q.To is { } to) entries = entries.Where(t => t.EventTime < to);
        if (q.Kinds is { Count: > 0 } kinds) entries = entries.Where(t => kinds.Contains(t.Kind));
        if (q.KeyEventsOnly) entries = entries.Where(t => t.KeyEvent);
        if (q.HideFalseLeads) entries = entries.Where(t => !t.FalseLead);
        if (Blank(q.Tactic) is { } tactic) entries = entries.Where(t => t.Tactic == tactic.ToLowerInvariant());
        if (Blank(q.Text) is { } text)
        {
            var pattern = TextSearch.ContainsPattern(text);
            entries = postgres
                ? entries.Where(t => EF.Functions.ILike(t.Title, pattern, TextSearch.Escape)
                    || (t.Annotation != null && EF.Functions.ILike(t.Annotation, pattern, TextSearch.Escape))
                    || (t.Technique != null && EF.Functions.ILike(t.Technique, pattern, TextSearch.Escape)))
                : entries.Where(t => EF.Functions.Like(t.Title, pattern, TextSearch.Escape)
                    || (t.Annotation != null && EF.Functions.Like(t.Annotation, pattern, TextSearch.Escape))
                    || (t.Technique != null && EF.Functions.Like(t.Technique, pattern, TextSearch.Escape)));
        }
        return entries;
    }

    /// <summary>One mapping to the view, translated to SQL in queries and compiled for entries already loaded.</summary>
    private static readonly Expression<Func<TimelineEntry, TimelineView>> View = t => new TimelineView(t.Id, t.Kind, t.EventTime,
        t.DiscoveredAt, t.IngestedAt, t.Title, t.Source, t.SourceId, t.Tactic, t.Technique, t.KeyEvent, t.FalseLead, t.Annotation, t.Author,
        t.IncidentEventId, t.Principals, t.Assets, t.Indicators, t.Raw != null, t.Version);

    private static readonly Func<TimelineEntry, TimelineView> CompiledView = View.Compile();

    internal static TimelineView ToView(TimelineEntry t) => CompiledView(t);

    private static void CheckQuery(TimelineQuery q) => new Checks()
        .That(q.From is null || q.To is null || q.From < q.To, "from", "from must be before to.")
        .MaxLength("q", q.Text, 500).MaxLength("tactic", q.Tactic, 64)
        .That(q.Kinds is null || q.Kinds.All(Enum.IsDefined), "kind", "kind has an unknown value.")
        .ThrowIfAny();

    private static void CheckAttack(Checks checks, string? tactic, string? technique)
    {
        checks.That(string.IsNullOrWhiteSpace(tactic) || Tactics.Contains(tactic.Trim().ToLowerInvariant()), "tactic",
            $"tactic must be one of: {string.Join(", ", Tactics)}.");
        checks.That(string.IsNullOrWhiteSpace(technique) || TechniqueId().IsMatch(technique.Trim()), "technique", "technique must be an ATT&CK id such as T1078 or T1078.004.");
    }

    private static void CheckLinks(Checks checks, params IReadOnlyList<string>?[] lists)
    {
        string[] names = ["principals", "assets", "indicators"];
        for (var i = 0; i < lists.Length; i++) checks.Items(names[i], lists[i], TimelineLimits.MaxLinks, TimelineLimits.LinkLength);
    }

    private static List<string> Links(IReadOnlyList<string>? values) => values?.Select(v => v.Trim()).Where(v => v.Length > 0).Distinct().ToList() ?? [];

    private static string? Blank(string? value) => string.IsNullOrWhiteSpace(value) ? null : value.Trim();

    private static string Cut(string value, int length) => value.Length <= length ? value : value[..length];

    /// <summary>A stored event as a timeline entry: its times, raw record and linked principal, key, resources and source address.</summary>
    internal static TimelineEntry CloudEventEntry(IncidentEvent e, string title, string source, DateTimeOffset now) => new()
    {
        // The event's tenant: rule matches are written by an import that acts for no tenant.
        TenantId = e.TenantId,
        IncidentId = e.IncidentId,
        Kind = TimelineKind.CloudEvent,
        EventTime = e.Time,
        // Discovered when the log reached the incident; stored on the timeline now.
        DiscoveredAt = e.IngestedAt,
        IngestedAt = now,
        Title = Cut(title, TimelineLimits.TitleLength),
        Source = Cut(source, 200),
        SourceId = Cut(e.EventId, 100),
        IncidentEventId = e.Id,
        Raw = e.Raw,
        Principals = new[] { e.Principal, e.AccessKeyId }.OfType<string>().Distinct().ToList(),
        Assets = (e.Resources?.Split('\n') ?? []).Where(r => r.Length > 0).Take(TimelineLimits.MaxLinks).ToList(),
        Indicators = new[] { e.SourceIp }.OfType<string>().ToList(),
    };

    internal static string Describe(IncidentEvent e)
    {
        var text = new StringBuilder(e.Operation);
        if (e.Principal is not null) text.Append(" by ").Append(e.Principal);
        if (e.SourceIp is not null) text.Append(" from ").Append(e.SourceIp);
        if (e.ErrorCode is not null) text.Append(" (").Append(e.ErrorCode).Append(')');
        return text.ToString();
    }

    [GeneratedRegex(@"^[Tt]\d{4}(\.\d{3})?$")]
    private static partial Regex TechniqueId();
}
