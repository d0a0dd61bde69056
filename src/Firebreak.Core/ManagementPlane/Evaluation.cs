using System.Text.Json;
using System.Text.RegularExpressions;
using Firebreak.Core.Common;
using Firebreak.Core.Incidents;
using Firebreak.Core.Investigation;
using Firebreak.Core.Persistence;
using Microsoft.EntityFrameworkCore;

namespace Firebreak.Core.ManagementPlane;

/// <summary>
/// One evaluation of every item over one incident's events. First what the incident holds (providers,
/// log sources and accounts, counted in the window, grouped in the database), then per item its rules,
/// each a count and a capped list of ids over the (incident, operation, time) or (incident, principal, time) index.
/// </summary>
internal sealed partial class Evaluation(FirebreakDbContext db, Incident incident, IReadOnlyList<string> breakGlass)
{
    private const int SortInMemory = 5_000;

    private readonly bool _postgres = db.Database.IsNpgsql();
    private List<Coverage> _coverage = [];

    public DateTimeOffset? From { get; private set; }
    public DateTimeOffset? To { get; private set; }
    public long EventsInWindow { get; private set; }
    public List<CheckItemResult> Items { get; } = [];

    private sealed record Coverage(string Provider, string LogSource, string? Account, long InWindow);

    private sealed record Found(long Count, long FailedAttempts, List<(long Id, DateTimeOffset Time)> First);

    public async Task<Evaluation> RunAsync(DateTimeOffset? from, DateTimeOffset? to, CancellationToken cancellationToken)
    {
        var events = db.IncidentEvents.AsNoTracking().Where(e => e.IncidentId == incident.Id);
        From = from ?? await events.OrderBy(e => e.Time).ThenBy(e => e.Id).Select(e => (DateTimeOffset?)e.Time).FirstOrDefaultAsync(cancellationToken);
        // The window ends just after the last event, as the end is exclusive; a millisecond is coarser than either database keeps time.
        To = to ?? (await events.OrderByDescending(e => e.Time).ThenByDescending(e => e.Id).Select(e => (DateTimeOffset?)e.Time).FirstOrDefaultAsync(cancellationToken))?.AddMilliseconds(1);
        if (From is { } start && To is { } end && start < end)
        {
            _coverage = (await events
                .GroupBy(e => new { e.Provider, e.LogSource, e.Account })
                .Select(g => new { g.Key.Provider, g.Key.LogSource, g.Key.Account, InWindow = g.LongCount(e => e.Time >= start && e.Time < end) })
                .ToListAsync(cancellationToken))
                .Select(c => new Coverage(c.Provider, c.LogSource, c.Account, c.InWindow)).ToList();
        }
        EventsInWindow = _coverage.Sum(c => c.InWindow);
        foreach (var item in CheckCatalogue.Items)
        {
            Items.Add(await EvaluateAsync(item, cancellationToken));
        }
        return this;
    }

    private async Task<CheckItemResult> EvaluateAsync(CheckItem item, CancellationToken cancellationToken)
    {
        var held = _coverage.Any(c => c.Provider == item.Provider);
        var declared = incident.CloudProviders.Contains(item.Provider, StringComparer.OrdinalIgnoreCase);
        if (!held && !declared)
        {
            return Result(item, CheckStatus.NotApplicable, $"The incident holds no {item.Provider} event and does not name {item.Provider} in its scope.", new Found(0, 0, []), []);
        }

        var missing = Missing(item);
        var found = new Found(0, 0, []);
        if (From is { } from && To is { } to)
        {
            foreach (var rule in item.Rules)
            {
                found = Merge(found, rule.Confirm is null ? await CountAsync(item, rule, from, to, cancellationToken) : await ConfirmAsync(item, rule, from, to, cancellationToken));
            }
            var principals = Principals(item);
            if (principals.Count > 0)
            {
                found = Merge(found, await PrincipalsAsync(item, principals, from, to, cancellationToken));
            }
        }

        var notes = new List<string>();
        if (item.Principals != PrincipalRule.None && breakGlass.Count == 0)
        {
            notes.Add("No break-glass accounts are configured.");
            if (item.Provider == "gcp") missing.Add(ManagementPlaneCheckService.BreakGlassSetting);
        }
        if (found.FailedAttempts > 0) notes.Add($"{found.FailedAttempts} failed attempt{(found.FailedAttempts == 1 ? "" : "s")} seen.");
        var status = found.Count > 0 ? CheckStatus.Fail : missing.Count > 0 ? CheckStatus.Unknown : CheckStatus.Pass;
        var detail = status switch
        {
            CheckStatus.Fail => $"{found.Count} event{(found.Count == 1 ? "" : "s")} found.",
            CheckStatus.Unknown => "Missing: " + string.Join("; ", missing) + ".",
            _ => "Nothing found in the window.",
        };
        if (status == CheckStatus.Fail && missing.Count > 0) notes.Add("Also missing: " + string.Join("; ", missing) + ".");
        return Result(item, status, string.Join(' ', notes.Prepend(detail)), found, missing);
    }

    /// <summary>
    /// The unknown rule. For each log the item needs: none of it in the window makes the log missing; otherwise every
    /// account the incident knows for the provider (from any of its events, and the incident's declared accounts) must
    /// have some of that log in the window.
    /// </summary>
    private List<string> Missing(CheckItem item)
    {
        var missing = new List<string>();
        foreach (var log in item.Logs)
        {
            var covered = _coverage.Where(c => c.Provider == item.Provider && c.LogSource == log && c.InWindow > 0).Select(c => c.Account)
                .OfType<string>().ToHashSet(StringComparer.Ordinal);
            if (!_coverage.Any(c => c.Provider == item.Provider && c.LogSource == log && c.InWindow > 0))
            {
                missing.Add(CheckCatalogue.LogName(item.Provider, log, null));
                continue;
            }
            var family = CheckCatalogue.Family(item.Provider, log);
            var accounts = _coverage.Where(c => c.Provider == item.Provider && family.Contains(c.LogSource)).Select(c => c.Account).OfType<string>()
                .Concat(DeclaredAccounts(item.Provider, log))
                .Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal);
            missing.AddRange(accounts.Where(a => !covered.Contains(a)).Select(a => CheckCatalogue.LogName(item.Provider, log, a)));
        }
        return missing;
    }

    /// <summary>The incident's declared accounts that belong to this provider's log: 12 digits are AWS, a GUID is an Azure subscription, anything else a GCP project.</summary>
    private IEnumerable<string> DeclaredAccounts(string provider, string log)
    {
        if (!incident.CloudProviders.Contains(provider, StringComparer.OrdinalIgnoreCase)) yield break;
        foreach (var account in incident.CloudAccounts)
        {
            var kind = AwsAccount().IsMatch(account) ? "aws" : Guid.TryParse(account, out _) ? "azure" : "gcp";
            if (kind != provider) continue;
            if (provider == "azure" && log != CheckCatalogue.ActivityLogs) continue;
            yield return account;
        }
    }

    /// <remarks>
    /// The provider is compared as an expression (<c>Provider || ''</c>), not the bare column: without statistics SQLite's
    /// planner would otherwise prefer the coverage index (incident, provider, …), two equalities, over the (incident,
    /// operation, time) or (incident, principal, time) index with an IN list, and read every event of the provider per query.
    /// </remarks>
    private IQueryable<IncidentEvent> Window(string provider, DateTimeOffset from, DateTimeOffset to) =>
        db.IncidentEvents.AsNoTracking().Where(e => e.IncidentId == incident.Id && e.Time >= from && e.Time < to && e.Provider + "" == provider);

    private static IQueryable<IncidentEvent> Succeeded(IQueryable<IncidentEvent> events) =>
        events.Where(e => e.Result != EventResult.Failure && e.ErrorCode == null);

    private IQueryable<IncidentEvent> Matching(CheckItem item, CheckRule rule, DateTimeOffset from, DateTimeOffset to)
    {
        // Constants, so each name is a literal in the SQL and the (incident, operation, time) index is used for each.
        var operations = rule.Operations.ToList();
        var events = Window(item.Provider, from, to).Where(e => EF.Constant(operations).Contains(e.Operation));
        if (rule.EventSource is { } source) events = events.Where(e => e.EventSource == source);
        return events;
    }

    private async Task<Found> CountAsync(CheckItem item, CheckRule rule, DateTimeOffset from, DateTimeOffset to, CancellationToken cancellationToken)
    {
        var events = Matching(item, rule, from, to);
        return await CountAsync(events, cancellationToken);
    }

    private static async Task<Found> CountAsync(IQueryable<IncidentEvent> events, CancellationToken cancellationToken)
    {
        var all = await events.LongCountAsync(cancellationToken);
        if (all == 0) return new Found(0, 0, []);
        var succeeded = Succeeded(events);
        var count = await succeeded.LongCountAsync(cancellationToken);
        if (count == 0) return new Found(0, all, []);
        // ORDER BY time with a LIMIT leads SQLite to walk the (incident, time) index through the whole window looking
        // for a few matches; a few thousand ids sort faster here. Many matches are dense, and then that walk is short.
        var first = count <= SortInMemory
            ? (await succeeded.Select(e => new { e.Id, e.Time }).ToListAsync(cancellationToken)).Select(e => (e.Id, e.Time))
                .OrderBy(e => e.Time).ThenBy(e => e.Id).Take(ManagementPlaneLimits.EvidenceCap).ToList()
            : (await succeeded.OrderBy(e => e.Time).ThenBy(e => e.Id).Take(ManagementPlaneLimits.EvidenceCap)
                .Select(e => new { e.Id, e.Time }).ToListAsync(cancellationToken)).Select(e => (e.Id, e.Time)).ToList();
        return new Found(count, all - count, first);
    }

    /// <summary>Rules that depend on a request value: the candidates (operation, and a word of the raw record) are read and the value checked.</summary>
    private async Task<Found> ConfirmAsync(CheckItem item, CheckRule rule, DateTimeOffset from, DateTimeOffset to, CancellationToken cancellationToken)
    {
        var events = Succeeded(Matching(item, rule, from, to));
        if (rule.RawToken is { } token)
        {
            var pattern = TextSearch.ContainsPattern(token);
            events = _postgres
                ? events.Where(e => EF.Functions.ILike(e.Raw, pattern, TextSearch.Escape))
                : events.Where(e => EF.Functions.Like(e.Raw, pattern, TextSearch.Escape));
        }
        // Unordered for the same reason as above; the confirmed ones are put in time order here.
        var candidates = await events.Take(ManagementPlaneLimits.RawCandidateCap)
            .Select(e => new { e.Id, e.Time, e.Raw }).ToListAsync(cancellationToken);
        var confirmed = new List<(long Id, DateTimeOffset Time)>();
        foreach (var candidate in candidates)
        {
            try
            {
                using var document = JsonDocument.Parse(candidate.Raw);
                if (rule.Confirm!(document.RootElement)) confirmed.Add((candidate.Id, candidate.Time));
            }
            catch (JsonException)
            {
                // Stored raw records are JSON; one that is not cannot confirm anything.
            }
        }
        return new Found(confirmed.Count, 0, [.. confirmed.OrderBy(e => e.Time).ThenBy(e => e.Id).Take(ManagementPlaneLimits.EvidenceCap)]);
    }

    /// <summary>The identities whose every event is evidence: AWS root of each account the incident knows, and the break-glass accounts.</summary>
    private List<string> Principals(CheckItem item)
    {
        var principals = new List<string>();
        if (item.Principals == PrincipalRule.None) return principals;
        if (item.Principals == PrincipalRule.RootOrBreakGlass && item.Provider == "aws")
        {
            principals.AddRange(_coverage.Where(c => c.Provider == "aws").Select(c => c.Account).OfType<string>()
                .Concat(DeclaredAccounts("aws", CheckCatalogue.CloudTrail)).Distinct(StringComparer.Ordinal)
                .Select(account => $"arn:aws:iam::{account}:root"));
        }
        foreach (var account in breakGlass)
        {
            principals.Add(account);
            principals.Add(account.ToLowerInvariant());
        }
        return principals.Distinct(StringComparer.Ordinal).ToList();
    }

    private async Task<Found> PrincipalsAsync(CheckItem item, List<string> principals, DateTimeOffset from, DateTimeOffset to, CancellationToken cancellationToken)
    {
        var events = Window(item.Provider, from, to).Where(e => EF.Constant(principals).Contains(e.Principal!));
        return await CountAsync(events, cancellationToken);
    }

    private static Found Merge(Found a, Found b) => new(a.Count + b.Count, a.FailedAttempts + b.FailedAttempts,
        [.. a.First.Concat(b.First).DistinctBy(e => e.Id).OrderBy(e => e.Time).ThenBy(e => e.Id).Take(ManagementPlaneLimits.EvidenceCap)]);

    private static CheckItemResult Result(CheckItem item, CheckStatus status, string detail, Found found, IReadOnlyList<string> missing) =>
        new(item.Id, item.Provider, item.Area, item.Question, status, detail, found.Count, [.. found.First.Select(e => e.Id)], found.FailedAttempts, missing);

    [GeneratedRegex("^[0-9]{12}$")]
    private static partial Regex AwsAccount();
}
