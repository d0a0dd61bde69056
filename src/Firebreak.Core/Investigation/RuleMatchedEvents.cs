using System.Text.RegularExpressions;
using Firebreak.Core.Persistence;
using Firebreak.Detection.Events;
using Firebreak.Detection.Rules;
using Firebreak.Detection.Sigma;
using Microsoft.EntityFrameworkCore;

namespace Firebreak.Core.Investigation;

/// <summary>
/// Puts imported events that a built-in detection rule matches on the incident's timeline, with the
/// rule's ATT&amp;CK tactic and technique. The rules run on each event as the import reads it; the
/// matches of a batch are written in the batch's own transaction, so a resumed import neither loses
/// nor repeats them. Correlation rules need the whole stream and are left to <c>firebreak hunt</c>.
/// </summary>
public sealed partial class RuleMatchedEvents
{
    private static readonly Lazy<(CompiledRuleSet Rules, HashSet<CompiledRule> Silent)> BuiltIn = new(() =>
    {
        var rules = BuiltInRules.Compile();
        // Rules that only feed a correlation (generate: false) say nothing on their own.
        var correlations = new CorrelationEngine(rules);
        return (rules, rules.Rules.Where(correlations.SuppressesStandaloneHits).ToHashSet());
    });
    private readonly HashSet<CompiledRule> silent;
    private readonly Dictionary<string, IReadOnlyList<CompiledRule>> pending = new(StringComparer.Ordinal);
    private readonly CompiledRuleSet rules;
    private readonly int limit;
    private int room = -1;

    private RuleMatchedEvents((CompiledRuleSet Rules, HashSet<CompiledRule> Silent) set, int limit)
    {
        rules = set.Rules;
        silent = set.Silent;
        this.limit = limit;
    }

    /// <summary>The matcher for one import run, or null when rule matching is off.</summary>
    public static RuleMatchedEvents? For(InvestigationOptions options) =>
        options.MatchRules && options.MaxRuleEntriesPerIncident > 0 ? new RuleMatchedEvents(BuiltIn.Value, options.MaxRuleEntriesPerIncident) : null;

    /// <summary>Timeline entries added by this run.</summary>
    public int Added { get; private set; }

    /// <summary>Matched events left off the timeline because the incident reached its limit.</summary>
    public int Skipped { get; private set; }

    /// <summary>Remembers the rules <paramref name="cloudEvent"/> matches, under the row's event id.</summary>
    public void Inspect(CloudEvent cloudEvent, string eventId)
    {
        var matches = rules.Match(cloudEvent);
        if (matches.Count == 0) return;
        if (matches.Any(silent.Contains)) matches = [.. matches.Where(r => !silent.Contains(r))];
        if (matches.Count > 0) pending[eventId] = matches;
    }

    /// <summary>Adds the batch's matched events to the timeline (inside the caller's transaction) and forgets them.</summary>
    public async Task WriteAsync(FirebreakDbContext db, Guid incidentId, DateTimeOffset now, CancellationToken cancellationToken)
    {
        if (pending.Count == 0) return;
        if (room < 0)
        {
            var existing = await db.TimelineEntries.CountAsync(t => t.IncidentId == incidentId && t.Kind == TimelineKind.CloudEvent && t.Author == null, cancellationToken);
            room = Math.Max(0, limit - existing);
        }
        var ids = pending.Keys.ToList();
        if (room == 0)
        {
            Skipped += ids.Count;
            pending.Clear();
            return;
        }
        var events = await db.IncidentEvents.AsNoTracking().Where(e => e.IncidentId == incidentId && ids.Contains(e.EventId)).ToListAsync(cancellationToken);
        var rowIds = events.Select(e => e.Id).ToList();
        var onTimeline = (await db.TimelineEntries.Where(t => t.IncidentId == incidentId && t.IncidentEventId != null && rowIds.Contains(t.IncidentEventId.Value))
            .Select(t => t.IncidentEventId!.Value).ToListAsync(cancellationToken)).ToHashSet();
        foreach (var e in events.Where(e => !onTimeline.Contains(e.Id)).OrderBy(e => e.Time).ThenBy(e => e.Id))
        {
            if (room == 0)
            {
                Skipped++;
                continue;
            }
            db.TimelineEntries.Add(Entry(e, pending[e.EventId], now));
            room--;
            Added++;
        }
        pending.Clear();
        await db.SaveChangesAsync(cancellationToken);
    }

    private static TimelineEntry Entry(IncidentEvent e, IReadOnlyList<CompiledRule> matched, DateTimeOffset now)
    {
        var tags = matched.SelectMany(r => r.Rule.Tags).ToList();
        var first = matched[0].Rule;
        var title = matched.Count == 1 ? first.Title : $"{first.Title} (+{matched.Count - 1} more rules)";
        var entry = TimelineService.CloudEventEntry(e, $"{title}: {TimelineService.Describe(e)}", "rule:" + string.Join(",", matched.Select(r => r.Rule.Key)), now);
        entry.KeyEvent = matched.Any(r => r.Rule.Level is "high" or "critical");
        entry.Tactic = TacticOf(tags);
        entry.Technique = TechniqueOf(tags);
        return entry;
    }

    /// <summary>The first ATT&amp;CK tactic tag (attack.defense_evasion) as the timeline names it (defense-evasion).</summary>
    internal static string? TacticOf(IEnumerable<string> tags) => tags
        .Select(t => t.StartsWith("attack.", StringComparison.OrdinalIgnoreCase) ? t[7..].Replace('_', '-').ToLowerInvariant() : null)
        .FirstOrDefault(t => t is not null && TimelineService.Tactics.Contains(t));

    /// <summary>The first ATT&amp;CK technique tag (attack.t1078.004) as T1078.004.</summary>
    internal static string? TechniqueOf(IEnumerable<string> tags) => tags
        .Select(t => TechniqueTag().Match(t)).Where(m => m.Success).Select(m => m.Groups[1].Value.ToUpperInvariant()).FirstOrDefault();

    [GeneratedRegex(@"^attack\.(t\d{4}(?:\.\d{3})?)$", RegexOptions.IgnoreCase)]
    private static partial Regex TechniqueTag();
}
