using System.Globalization;
using System.Text.RegularExpressions;
using Firebreak.Core.Common;
using Firebreak.Core.Incidents;
using Firebreak.Core.Indicators;
using Firebreak.Core.Persistence;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging;

namespace Firebreak.Core.ThreatIntel;

/// <summary>Threat-intelligence subscriptions, their imports and polls, their indicators and matches.</summary>
public sealed partial class ThreatIntelService(
    IDbContextFactory<FirebreakDbContext> factory, IDataProtectionProvider protection, FeedFetcher fetcher, IndicatorLookup lookup,
    ThreatIntelQueue queue, TimeProvider time, ILogger<ThreatIntelService> logger, IConfiguration configuration)
{
    /// <summary>The largest document an upload may be (Firebreak:ThreatIntel:MaxUploadBytes, 32 MiB by default).</summary>
    public long MaxUploadBytes { get; } = Math.Clamp(configuration.GetValue("Firebreak:ThreatIntel:MaxUploadBytes", ThreatIntelLimits.MaxUploadBytes), 1024, int.MaxValue);

    public const string ProtectionPurpose = "Firebreak.ThreatIntel.FeedSecret";
    private const int ChunkSize = 500;

    public async Task<IReadOnlyList<FeedView>> ListFeedsAsync(CancellationToken cancellationToken = default)
    {
        await using var db = await factory.CreateDbContextAsync(cancellationToken);
        var feeds = await db.ThreatFeeds.AsNoTracking().OrderBy(f => f.Name).ToListAsync(cancellationToken);
        var counts = await CountsAsync(db, null, cancellationToken);
        return feeds.Select(f => View(f, counts)).ToList();
    }

    public async Task<FeedView> GetFeedAsync(string key, CancellationToken cancellationToken = default)
    {
        await using var db = await factory.CreateDbContextAsync(cancellationToken);
        var feed = await FindAsync(db, key, cancellationToken);
        return View(feed, await CountsAsync(db, feed.Id, cancellationToken));
    }

    public async Task<FeedView> CreateFeedAsync(CreateFeed request, CancellationToken cancellationToken = default)
    {
        var checks = new Checks()
            .Required("name", request.Name, ThreatIntelLimits.NameLength)
            .Defined("kind", (FeedKind?)request.Kind)
            .Defined("auth", (FeedAuth?)request.Auth)
            .Defined("defaultTlp", request.DefaultTlp);
        CheckSource(checks, request.Kind, request.Url, request.CollectionId);
        CheckAuth(checks, request.Auth, request.Username, request.ApiKeyHeader, request.Secret, hasStoredSecret: false);
        CheckPoll(checks, request.PollMinutes);
        checks.ThrowIfAny();
        await using var db = await factory.CreateDbContextAsync(cancellationToken);
        var name = request.Name.Trim();
        if (await db.ThreatFeeds.AnyAsync(f => f.Name == name, cancellationToken)) throw new ConflictException($"A feed named '{name}' already exists.");
        var feed = new ThreatFeed
        {
            Name = name,
            Kind = request.Kind,
            Url = request.Url?.Trim(),
            CollectionId = request.CollectionId?.Trim(),
            Auth = request.Auth,
            Username = request.Auth == FeedAuth.Basic ? request.Username?.Trim() : null,
            ApiKeyHeader = request.Auth == FeedAuth.ApiKey ? (request.ApiKeyHeader?.Trim() is { Length: > 0 } header ? header : "Authorization") : null,
            ProtectedSecret = request.Auth == FeedAuth.None ? null : Protect(request.Secret),
            PollMinutes = request.PollMinutes ?? 60,
            Enabled = request.Enabled ?? true,
            DefaultTlp = request.DefaultTlp ?? Tlp.Amber,
            CreatedBy = db.Actor.Name,
            CreatedAt = time.GetUtcNow(),
        };
        db.ThreatFeeds.Add(feed);
        await db.SaveChangesAsync(cancellationToken);
        return View(feed, []);
    }

    public async Task<FeedView> UpdateFeedAsync(string key, UpdateFeed request, long? expectedVersion, CancellationToken cancellationToken = default)
    {
        await using var db = await factory.CreateDbContextAsync(cancellationToken);
        var feed = await FindAsync(db, key, cancellationToken);
        if (expectedVersion is { } v && v != feed.Version) throw new ConcurrencyConflictException("The feed was changed by someone else. Reload it and try again.");
        var auth = request.Auth ?? feed.Auth;
        var checks = new Checks().Defined("auth", request.Auth).Defined("defaultTlp", request.DefaultTlp);
        if (request.Name is not null) checks.Required("name", request.Name, ThreatIntelLimits.NameLength);
        CheckSource(checks, feed.Kind, request.Url ?? feed.Url, request.CollectionId ?? feed.CollectionId);
        var secretAfter = request.Secret is null ? feed.ProtectedSecret is not null : request.Secret.Length > 0;
        CheckAuth(checks, auth, request.Username ?? feed.Username, request.ApiKeyHeader ?? feed.ApiKeyHeader, request.Secret, secretAfter);
        CheckPoll(checks, request.PollMinutes);
        checks.ThrowIfAny();
        if (request.Name is { } name && name.Trim() != feed.Name)
        {
            var trimmed = name.Trim();
            if (await db.ThreatFeeds.AnyAsync(f => f.Name == trimmed && f.Id != feed.Id, cancellationToken)) throw new ConflictException($"A feed named '{trimmed}' already exists.");
            feed.Name = trimmed;
        }
        if (request.Url is not null && request.Url.Trim() != feed.Url)
        {
            feed.Url = request.Url.Trim();
            feed.Cursor = null;
        }
        if (request.CollectionId is not null && request.CollectionId.Trim() != feed.CollectionId)
        {
            feed.CollectionId = request.CollectionId.Trim();
            feed.Cursor = null;
        }
        feed.Auth = auth;
        if (request.Username is not null) feed.Username = request.Username.Trim();
        if (request.ApiKeyHeader is not null) feed.ApiKeyHeader = request.ApiKeyHeader.Trim();
        if (request.Secret is not null) feed.ProtectedSecret = request.Secret.Length == 0 ? null : Protect(request.Secret);
        if (auth == FeedAuth.None) feed.ProtectedSecret = null;
        if (request.PollMinutes is { } minutes) feed.PollMinutes = minutes;
        if (request.Enabled is { } enabled) feed.Enabled = enabled;
        if (request.DefaultTlp is { } tlp) feed.DefaultTlp = tlp;
        await db.SaveChangesAsync(cancellationToken);
        lookup.Invalidate(feed.TenantId);
        return View(feed, await CountsAsync(db, feed.Id, cancellationToken));
    }

    public async Task DeleteFeedAsync(string key, CancellationToken cancellationToken = default)
    {
        await using var db = await factory.CreateDbContextAsync(cancellationToken);
        var feed = await FindAsync(db, key, cancellationToken);
        await using var tx = await db.Database.BeginTransactionAsync(cancellationToken);
        await db.ThreatIntelMatches.Where(m => m.FeedId == feed.Id).ExecuteDeleteAsync(cancellationToken);
        await db.FeedIndicators.Where(i => i.FeedId == feed.Id).ExecuteDeleteAsync(cancellationToken);
        db.ThreatFeeds.Remove(feed);
        await db.SaveChangesAsync(cancellationToken);
        await tx.CommitAsync(cancellationToken);
        lookup.Invalidate(feed.TenantId);
    }

    /// <summary>
    /// Reads an uploaded STIX bundle or MISP event file into the feed. A name that is no feed yet
    /// creates an upload feed of that name, so a first import needs no setup.
    /// </summary>
    public async Task<ImportSummary> ImportAsync(string key, FeedFormat format, ReadOnlyMemory<byte> content, CancellationToken cancellationToken = default)
    {
        new Checks().Required("feed", key, ThreatIntelLimits.NameLength).Defined("format", (FeedFormat?)format).ThrowIfAny();
        if (content.Length > MaxUploadBytes) throw new ValidationFailedException("file", $"The file is larger than the upload limit of {MaxUploadBytes} bytes.");
        var document = format == FeedFormat.Stix ? StixReader.ReadDocument(content) : MispReader.ReadDocument(content);
        Guid feedId;
        await using (var db = await factory.CreateDbContextAsync(cancellationToken))
        {
            var feed = await TryFindAsync(db, key, cancellationToken);
            if (feed is null && Guid.TryParse(key, out _)) throw new NotFoundException("Feed", key);
            if (feed is null)
            {
                await CreateFeedAsync(new CreateFeed(key.Trim()), cancellationToken);
                feed = await FindAsync(db, key.Trim(), cancellationToken);
            }
            feedId = feed.Id;
        }
        return await StoreAsync(feedId, document, cursor: null, cancellationToken);
    }

    /// <summary>Polls a TAXII or MISP feed now; a failure is recorded on the feed and returned, not thrown.</summary>
    public async Task<PollResult> PollAsync(string key, CancellationToken cancellationToken = default)
    {
        ThreatFeed feed;
        await using (var db = await factory.CreateDbContextAsync(cancellationToken))
        {
            feed = await FindAsync(db, key, cancellationToken);
        }
        if (feed.Kind == FeedKind.Upload) throw new ConflictException($"'{feed.Name}' is an upload feed: there is nothing to poll. Upload STIX or MISP files to it instead.");
        ImportSummary? summary = null;
        string? error = null;
        try
        {
            var secret = feed.ProtectedSecret is { } protectedSecret ? protection.CreateProtector(ProtectionPurpose).Unprotect(protectedSecret) : null;
            var fetched = await fetcher.FetchAsync(feed, secret, cancellationToken);
            summary = await StoreAsync(feed.Id, fetched.Document, fetched.Cursor ?? "", cancellationToken);
        }
        catch (FeedPollException ex)
        {
            error = ex.Message;
        }
        catch (System.Security.Cryptography.CryptographicException)
        {
            error = "The stored credential can no longer be read (the server's data-protection keys changed): set the secret again.";
        }
        if (error is not null)
        {
            LogPollFailed(logger, feed.Id, error);
            await using var db = await factory.CreateDbContextAsync(CancellationToken.None);
            var stored = await db.ThreatFeeds.SingleAsync(f => f.Id == feed.Id, CancellationToken.None);
            stored.LastPolledAt = time.GetUtcNow();
            stored.LastStatus = FeedStatus.Failed;
            stored.LastError = error.Length > 2000 ? error[..2000] : error;
            await db.SaveChangesAsync(CancellationToken.None);
        }
        return new PollResult(await GetFeedAsync(feed.Id.ToString(), cancellationToken), summary, error);
    }

    /// <summary>The feeds due for a poll, across tenants (the poller runs as the system).</summary>
    internal static async Task<List<(Guid Id, Guid TenantId)>> DueAsync(FirebreakDbContext db, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var feeds = await db.ThreatFeeds.AsNoTracking().Where(f => f.Enabled && f.Kind != FeedKind.Upload)
            .Select(f => new { f.Id, f.TenantId, f.LastPolledAt, f.PollMinutes }).ToListAsync(cancellationToken);
        return feeds.Where(f => f.LastPolledAt is null || f.LastPolledAt.Value.AddMinutes(f.PollMinutes) <= now).Select(f => (f.Id, f.TenantId)).ToList();
    }

    public async Task<PagedResult<FeedIndicatorView>> ListIndicatorsAsync(FeedIndicatorQuery query, CancellationToken cancellationToken = default)
    {
        var (page, pageSize) = Paging.Normalise(query.Page, query.PageSize);
        new Checks().MaxLength("value", query.Value, IndicatorValue.MaxLength).Defined("type", query.Type).ThrowIfAny();
        await using var db = await factory.CreateDbContextAsync(cancellationToken);
        var rows = from i in db.FeedIndicators.AsNoTracking() join f in db.ThreatFeeds on i.FeedId equals f.Id select new { i, f.Name };
        if (query.Type is { } type) rows = rows.Where(r => r.i.Type == type);
        if (query.Feed is { Length: > 0 } feedKey)
        {
            var feed = await FindAsync(db, feedKey, cancellationToken);
            rows = rows.Where(r => r.i.FeedId == feed.Id);
        }
        if (query.Value is { Length: > 0 } value)
        {
            // An exact indicator when the value parses as one (by the given type or a guess), otherwise a substring search.
            IndicatorValue? exact = query.Type is { } t ? (IndicatorValue.TryParse(t, value, out var parsed, out _) ? parsed : null) : IndicatorValue.Detect(value);
            if (exact is { } e) rows = rows.Where(r => r.i.Type == e.Type && r.i.Value == e.Value);
            else
            {
                var text = value.Trim().ToLowerInvariant();
                rows = rows.Where(r => r.i.Value.ToLower().Contains(text));
            }
        }
        var now = time.GetUtcNow();
        if (query.ActiveOnly) rows = rows.Where(r => !r.i.Revoked && (r.i.ValidUntil == null || r.i.ValidUntil > now) && (r.i.ValidFrom == null || r.i.ValidFrom <= now));
        var total = await rows.CountAsync(cancellationToken);
        var items = await rows.OrderByDescending(r => r.i.UpdatedAt).ThenBy(r => r.i.Id).Skip((page - 1) * pageSize).Take(pageSize).ToListAsync(cancellationToken);
        return new PagedResult<FeedIndicatorView>(items.Select(r => new FeedIndicatorView(
            r.i.Id, r.i.FeedId, r.Name, r.i.Type, r.i.Value, r.i.Tlp, Lines(r.i.Labels), r.i.Confidence, r.i.ValidFrom, r.i.ValidUntil, r.i.Revoked,
            !r.i.Revoked && (r.i.ValidUntil is null || r.i.ValidUntil > now) && (r.i.ValidFrom is null || r.i.ValidFrom <= now),
            r.i.SourceId, r.i.Description, r.i.UpdatedAt)).ToList(), page, pageSize, total);
    }

    public async Task<PagedResult<MatchView>> ListMatchesAsync(int? page, int? pageSize, CancellationToken cancellationToken = default)
    {
        var (p, size) = Paging.Normalise(page, pageSize);
        await using var db = await factory.CreateDbContextAsync(cancellationToken);
        var rows = from m in db.ThreatIntelMatches.AsNoTracking()
                   join f in db.ThreatFeeds on m.FeedId equals f.Id
                   join i in db.Incidents on m.IncidentId equals i.Id into incidents
                   from i in incidents.DefaultIfEmpty()
                   select new { m, Feed = f.Name, Reference = i == null ? null : i.Reference };
        var total = await rows.CountAsync(cancellationToken);
        var items = await rows.OrderByDescending(r => r.m.MatchedAt).ThenByDescending(r => r.m.Id).Skip((p - 1) * size).Take(size).ToListAsync(cancellationToken);
        return new PagedResult<MatchView>(items.Select(r => new MatchView(r.m.Id, r.m.FeedId, r.Feed, r.m.IndicatorType, r.m.IndicatorValue, r.m.MatchedValue,
            r.m.Subject, r.m.AlertId, r.m.IncidentId, r.Reference, r.m.EventId, r.m.EventCount, r.m.RaisedAlertId, r.m.MatchedAt)).ToList(), p, size, total);
    }

    /// <summary>
    /// Stores what a document brought: one row per (feed, type, value), updated in place on a re-import.
    /// Indicators new or changed (and still active) are then matched against stored incident events.
    /// </summary>
    private async Task<ImportSummary> StoreAsync(Guid feedId, FeedDocument document, string? cursor, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        int added = 0, updated = 0, unchanged = 0;
        var changed = new List<Guid>();
        ThreatFeed feed;
        await using (var db = await factory.CreateDbContextAsync(cancellationToken))
        {
            await using var tx = await db.Database.BeginTransactionAsync(cancellationToken);
            feed = await db.ThreatFeeds.SingleAsync(f => f.Id == feedId, cancellationToken);
            var latest = document.Indicators.GroupBy(i => i.Indicator).Select(g => g.Last()).ToList();
            foreach (var byType in latest.GroupBy(i => i.Indicator.Type))
            {
                foreach (var chunk in byType.Chunk(ChunkSize))
                {
                    var values = chunk.Select(c => c.Indicator.Value).ToList();
                    var type = byType.Key;
                    var existing = await db.FeedIndicators.Where(i => i.FeedId == feedId && i.Type == type && values.Contains(i.Value))
                        .ToDictionaryAsync(i => i.Value, StringComparer.Ordinal, cancellationToken);
                    foreach (var parsed in chunk)
                    {
                        var labels = parsed.Labels is { Count: > 0 } l ? string.Join('\n', l) : null;
                        var tlp = parsed.Tlp ?? feed.DefaultTlp;
                        if (!existing.TryGetValue(parsed.Indicator.Value, out var row))
                        {
                            row = new FeedIndicator
                            {
                                FeedId = feedId, Type = type, Value = parsed.Indicator.Value, SourceId = parsed.SourceId, FirstSeenAt = now, UpdatedAt = now,
                                Tlp = tlp, Labels = labels, Confidence = parsed.Confidence, ValidFrom = parsed.ValidFrom, ValidUntil = parsed.ValidUntil,
                                Revoked = parsed.Revoked, Description = parsed.Description,
                            };
                            db.FeedIndicators.Add(row);
                            added++;
                            if (!row.Revoked) changed.Add(row.Id);
                            continue;
                        }
                        var same = row.SourceId == parsed.SourceId && row.Tlp == tlp && row.Labels == labels && row.Confidence == parsed.Confidence
                            && row.ValidFrom == parsed.ValidFrom && row.ValidUntil == parsed.ValidUntil && row.Revoked == parsed.Revoked && row.Description == parsed.Description;
                        if (same)
                        {
                            unchanged++;
                            continue;
                        }
                        row.SourceId = parsed.SourceId;
                        row.Tlp = tlp;
                        row.Labels = labels;
                        row.Confidence = parsed.Confidence;
                        row.ValidFrom = parsed.ValidFrom;
                        row.ValidUntil = parsed.ValidUntil;
                        row.Revoked = parsed.Revoked;
                        row.Description = parsed.Description;
                        row.UpdatedAt = now;
                        updated++;
                        if (!row.Revoked) changed.Add(row.Id);
                    }
                    await db.SaveChangesAsync(cancellationToken);
                    db.ChangeTracker.Clear();
                    db.Attach(feed);
                }
            }
            var summary = Summary(feed, document, latest.Count, added, updated, unchanged);
            feed.LastPolledAt = now;
            feed.LastSuccessAt = now;
            feed.LastStatus = FeedStatus.Ok;
            feed.LastError = null;
            feed.LastSummary = SummaryText(summary);
            if (cursor is not null) feed.Cursor = cursor.Length == 0 ? feed.Cursor : cursor;
            await db.SaveChangesAsync(cancellationToken);
            await tx.CommitAsync(cancellationToken);
            lookup.Invalidate(feed.TenantId);
            if (changed.Count > 0) queue.IndicatorsChanged(feed.TenantId, changed.Distinct().ToList());
            return summary;
        }
    }

    private static ImportSummary Summary(ThreatFeed feed, FeedDocument document, int indicators, int added, int updated, int unchanged) => new(
        feed.Id, feed.Name, document.ObjectsRead, indicators, added, updated, unchanged, document.Skipped.Count,
        document.Skipped.GroupBy(s => SkipKind(s.Reason)).OrderByDescending(g => g.Count()).ToDictionary(g => g.Key, g => g.Count()),
        document.Skipped.Take(ThreatIntelLimits.MaxSkippedReported).ToList());

    /// <summary>A reason without the value it names, so skipped entries group.</summary>
    private static string SkipKind(string reason)
    {
        var quote = reason.IndexOf('\'');
        var colon = reason.IndexOf(": ", StringComparison.Ordinal);
        var cut = new[] { quote, colon < 0 ? -1 : colon + 1 }.Where(i => i > 0).DefaultIfEmpty(reason.Length).Min();
        return reason[..cut].TrimEnd(' ', ':');
    }

    private static string SummaryText(ImportSummary s) =>
        string.Create(CultureInfo.InvariantCulture, $"{s.ObjectsRead} read, {s.Indicators} indicators: {s.Added} added, {s.Updated} updated, {s.Unchanged} unchanged; {s.Skipped} skipped")
        + (s.SkippedByReason.Count == 0 ? "." : " (" + string.Join("; ", s.SkippedByReason.Take(5).Select(r => $"{r.Key}: {r.Value}")) + ").");

    private string Protect(string? secret) => protection.CreateProtector(ProtectionPurpose).Protect(secret!);

    private static void CheckSource(Checks checks, FeedKind kind, string? url, string? collection)
    {
        switch (kind)
        {
            case FeedKind.Upload:
                checks.That(string.IsNullOrWhiteSpace(url), "url", "An upload feed has no URL.");
                break;
            case FeedKind.Taxii or FeedKind.Misp:
                checks.That(url is { Length: > 0 } && url.Length <= ThreatIntelLimits.UrlLength && Uri.TryCreate(url.Trim(), UriKind.Absolute, out var uri)
                        && uri.Scheme is "http" or "https" && string.IsNullOrEmpty(uri.UserInfo) && string.IsNullOrEmpty(uri.Fragment),
                    "url", "url must be an absolute http or https URL without credentials in it.");
                if (kind == FeedKind.Taxii)
                    checks.That(collection is { Length: > 0 } c && c.Length <= 200 && !c.Any(char.IsWhiteSpace) && !c.Contains('/'), "collectionId", "collectionId is required for a TAXII feed (the collection's id).");
                else checks.That(string.IsNullOrEmpty(collection), "collectionId", "Only a TAXII feed has a collection id.");
                break;
        }
    }

    private static void CheckAuth(Checks checks, FeedAuth auth, string? username, string? header, string? secret, bool hasStoredSecret)
    {
        checks.MaxLength("secret", secret, ThreatIntelLimits.SecretLength);
        if (secret is not null) checks.That(!secret.Any(char.IsControl), "secret", "secret must not contain control characters.");
        switch (auth)
        {
            case FeedAuth.Basic:
                checks.Required("username", username, 200).That(username is null || !username.Contains(':'), "username", "username must not contain ':'.");
                checks.That(secret is { Length: > 0 } || hasStoredSecret, "secret", "secret (the password) is required for basic authentication.");
                break;
            case FeedAuth.ApiKey:
                checks.That(header is null || HeaderName().IsMatch(header.Trim()), "apiKeyHeader", "apiKeyHeader must be a header name such as X-Api-Key.");
                checks.That(secret is { Length: > 0 } || hasStoredSecret, "secret", "secret (the API key) is required for API key authentication.");
                break;
            case FeedAuth.None:
                checks.That(string.IsNullOrEmpty(secret), "secret", "A feed without authentication takes no secret.");
                break;
        }
    }

    private static void CheckPoll(Checks checks, int? minutes) =>
        checks.That(minutes is null or >= 1 and <= 10_080, "pollMinutes", "pollMinutes must be from 1 to 10080 (a week).");

    private static async Task<ThreatFeed?> TryFindAsync(FirebreakDbContext db, string key, CancellationToken cancellationToken)
    {
        var trimmed = key.Trim();
        if (Guid.TryParse(trimmed, out var id)) return await db.ThreatFeeds.SingleOrDefaultAsync(f => f.Id == id, cancellationToken);
        return await db.ThreatFeeds.SingleOrDefaultAsync(f => f.Name == trimmed, cancellationToken);
    }

    private static async Task<ThreatFeed> FindAsync(FirebreakDbContext db, string key, CancellationToken cancellationToken) =>
        await TryFindAsync(db, key, cancellationToken) ?? throw new NotFoundException("Feed", key);

    private async Task<Dictionary<Guid, (int All, int Active)>> CountsAsync(FirebreakDbContext db, Guid? feedId, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        var rows = db.FeedIndicators.AsNoTracking();
        if (feedId is { } id) rows = rows.Where(i => i.FeedId == id);
        var counts = await rows.GroupBy(i => i.FeedId).Select(g => new
        {
            g.Key,
            All = g.Count(),
            Active = g.Count(i => !i.Revoked && (i.ValidUntil == null || i.ValidUntil > now) && (i.ValidFrom == null || i.ValidFrom <= now)),
        }).ToListAsync(cancellationToken);
        return counts.ToDictionary(c => c.Key, c => (c.All, c.Active));
    }

    private static FeedView View(ThreatFeed f, Dictionary<Guid, (int All, int Active)> counts)
    {
        var (all, active) = counts.GetValueOrDefault(f.Id);
        return new FeedView(f.Id, f.Name, f.Kind, f.Url, f.CollectionId, f.Auth, f.Username, f.ApiKeyHeader, f.ProtectedSecret is not null, f.PollMinutes,
            f.Enabled, f.DefaultTlp, f.LastPolledAt, f.LastSuccessAt, f.LastStatus, f.LastError, f.LastSummary, all, active, f.CreatedBy, f.CreatedAt, f.Version);
    }

    private static IReadOnlyList<string> Lines(string? text) => text is null ? [] : text.Split('\n');

    [GeneratedRegex("^[A-Za-z0-9-]{1,100}$")]
    private static partial Regex HeaderName();

    [LoggerMessage(Level = LogLevel.Warning, Message = "Polling threat-intel feed {FeedId} failed: {Error}")]
    private static partial void LogPollFailed(ILogger logger, Guid feedId, string error);
}
