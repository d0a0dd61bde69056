using System.Globalization;
using Firebreak.Detection.Events;

namespace Firebreak.Detection.Sigma;

/// <summary>A correlation rule's condition was met for one group within its timespan.</summary>
/// <remarks>
/// <see cref="Count"/> is what the condition was judged on for counting types (events, distinct values, rules); for the
/// aggregating types (<c>value_sum</c>, <c>value_avg</c>, <c>value_median</c>, <c>value_percentile</c>) it is the number of
/// matches in the window, and <see cref="Value"/> the sum, mean, median or percentile that met the condition.
/// </remarks>
public sealed record CorrelationHit(SigmaCorrelation Correlation, IReadOnlyList<MatchedField> Group, DateTimeOffset FirstSeen, DateTimeOffset LastSeen, long Count, double? Value = null);

/// <summary>Bounds on correlation state, so a hunt over a long or hostile log cannot exhaust memory.</summary>
public sealed record CorrelationLimits
{
    /// <summary>Open groups per correlation rule; beyond it the groups no match has reached for longest are dropped.</summary>
    public int MaxGroupsPerCorrelation { get; init; } = 100_000;

    /// <summary>
    /// Events remembered per group for value counts (past it the oldest are forgotten first), and the values the open
    /// windows of a median or percentile keep together (past it the group's oldest window is judged at once).
    /// </summary>
    public int MaxEventsPerGroup { get; init; } = 10_000;

    /// <summary>
    /// Open windows per group of an aggregating correlation (sum, mean, median, percentile); past it the oldest is judged
    /// at once. A group busy through every sweep is never idle, and would otherwise keep every window it opened.
    /// </summary>
    public int MaxWindowsPerGroup { get; init; } = 64;

    /// <summary>How often (in observed matches) expired windows are swept.</summary>
    public int SweepInterval { get; init; } = 4_096;
}

/// <summary>
/// Evaluates Sigma correlation rules over the stream of base-rule matches. Windows slide for
/// conditions a growing count can satisfy (gt, gte) and fire as soon as they hold; other conditions
/// (lt, lte, eq, neq) are judged when a window closes, and sums, means, medians and percentiles over clock-aligned
/// windows once those lie behind the newest match (see ObserveAggregate). Groups whose window expired are evicted once no match reaches them, and
/// the number of groups is capped. Not thread-safe: callers serialise <see cref="Observe"/>.
/// </summary>
public sealed class CorrelationEngine
{
    private readonly List<CorrelationState> states = [];
    private readonly Dictionary<int, List<(CorrelationState State, int RuleIndex)>> byRule = [];
    private readonly HashSet<int> suppressed = [];
    // Chains: the correlations that take another correlation's hits as their matches, and the correlations whose
    // hits only feed correlations with generate: false, which do not alert on their own.
    private readonly Dictionary<SigmaCorrelation, List<(CorrelationState State, int RuleIndex)>> byCorrelation = new(ReferenceEqualityComparer.Instance);
    private readonly HashSet<SigmaCorrelation> suppressedCorrelations = new(ReferenceEqualityComparer.Instance);
    private readonly CorrelationLimits limits;
    private long observed;

    public CorrelationEngine(CompiledRuleSet rules, CorrelationLimits? limits = null)
    {
        this.limits = limits ?? new CorrelationLimits();
        var byKey = new Dictionary<string, CompiledRule>(StringComparer.OrdinalIgnoreCase);
        foreach (var rule in rules.Rules)
        {
            foreach (var key in new[] { rule.Rule.Id, rule.Rule.Name })
            {
                if (key is not null)
                {
                    byKey.TryAdd(key, rule);
                }
            }
        }

        var generating = new HashSet<int>();
        var generatingCorrelations = new HashSet<SigmaCorrelation>(ReferenceEqualityComparer.Instance);
        var correlationByKey = new Dictionary<string, SigmaCorrelation>(StringComparer.OrdinalIgnoreCase);
        // The rule set lists every correlation after those it refers to, so states are swept inner first.
        foreach (var correlation in rules.Correlations)
        {
            var state = new CorrelationState(correlation, rules.Options.FieldMappings, this.limits);
            states.Add(state);
            for (var i = 0; i < correlation.Rules.Count; i++)
            {
                if (!byKey.ContainsKey(correlation.Rules[i]) && correlationByKey.TryGetValue(correlation.Rules[i], out var inner))
                {
                    state.Bind(inner, i);
                    if (!byCorrelation.TryGetValue(inner, out var consumers))
                    {
                        byCorrelation[inner] = consumers = [];
                    }

                    consumers.Add((state, i));
                    (correlation.Generate ? generatingCorrelations : suppressedCorrelations).Add(inner);
                    continue;
                }

                var rule = byKey[correlation.Rules[i]];
                state.Bind(rule, i);
                if (!byRule.TryGetValue(rule.Ordinal, out var list))
                {
                    byRule[rule.Ordinal] = list = [];
                }

                list.Add((state, i));
                if (correlation.Generate)
                {
                    generating.Add(rule.Ordinal);
                }
                else
                {
                    suppressed.Add(rule.Ordinal);
                }
            }

            foreach (var key in new[] { correlation.Id, correlation.Name })
            {
                if (key is not null)
                {
                    correlationByKey.TryAdd(key, correlation);
                }
            }
        }

        suppressed.ExceptWith(generating);
        suppressedCorrelations.ExceptWith(generatingCorrelations);

        // What is loaded only to feed correlations never reports on its own, whatever refers to it.
        var unreported = rules.Options.Unreported;
        if (unreported.Count > 0)
        {
            suppressed.UnionWith(rules.Rules.Where(r => unreported.Contains(r.Rule)).Select(r => r.Ordinal));
            suppressedCorrelations.UnionWith(rules.Correlations.Where(unreported.Contains));
        }
    }

    public bool HasCorrelations => states.Count > 0;

    /// <summary>Groups currently held across all correlation rules.</summary>
    public int OpenGroups => states.Sum(s => s.GroupCount);

    public long EvictedGroups => states.Sum(s => s.Evicted);

    public bool IsCorrelated(CompiledRule rule) => byRule.ContainsKey(rule.Ordinal);

    /// <summary>
    /// Rules referenced only by correlations with <c>generate: false</c> do not alert on their own, nor do those loaded only
    /// to feed correlations (<see cref="SigmaCompileOptions.Unreported"/>).
    /// </summary>
    public bool SuppressesStandaloneHits(CompiledRule rule) => suppressed.Contains(rule.Ordinal);

    public void Observe(CloudEvent e, CompiledRule rule, List<CorrelationHit> hits)
    {
        if (!byRule.TryGetValue(rule.Ordinal, out var targets))
        {
            return;
        }

        var start = hits.Count;
        foreach (var (state, index) in targets)
        {
            state.Observe(e, rule, index, hits);
        }

        if (++observed % limits.SweepInterval == 0)
        {
            foreach (var state in states)
            {
                state.Sweep(hits, closeAll: false);
            }
        }

        Chain(hits, start);
        DropSuppressed(hits, start);
    }

    /// <summary>End of input: closes every open window so conditions judged at close are reported.</summary>
    public void Flush(List<CorrelationHit> hits)
    {
        var start = hits.Count;
        foreach (var state in states)
        {
            // Inner correlations close first: what their closing windows report reaches the outer ones before they close.
            var from = hits.Count;
            state.Sweep(hits, closeAll: true);
            Chain(hits, from);
        }

        DropSuppressed(hits, start);
    }

    /// <summary>Feeds the hits from <paramref name="start"/> on, and the hits they cause in turn, to the correlations that refer to theirs.</summary>
    private void Chain(List<CorrelationHit> hits, int start)
    {
        if (byCorrelation.Count == 0)
        {
            return;
        }

        for (var k = start; k < hits.Count; k++)
        {
            if (byCorrelation.TryGetValue(hits[k].Correlation, out var consumers))
            {
                foreach (var (state, index) in consumers)
                {
                    state.ObserveHit(hits[k], index, hits);
                }
            }
        }
    }

    private void DropSuppressed(List<CorrelationHit> hits, int start)
    {
        if (suppressedCorrelations.Count == 0)
        {
            return;
        }

        for (var k = hits.Count - 1; k >= start; k--)
        {
            if (suppressedCorrelations.Contains(hits[k].Correlation))
            {
                hits.RemoveAt(k);
            }
        }
    }

    private sealed class CorrelationState(SigmaCorrelation correlation, FieldMappings mappings, CorrelationLimits limits)
    {
        private readonly Dictionary<int, FieldAccessor[]> groupAccessors = [];
        private readonly Dictionary<int, FieldAccessor> valueAccessors = [];
        // For a correlation referred to at an index: the names of its hit's group fields that give this one's group and value.
        private readonly Dictionary<int, (string[] Group, string? Value)> hitFields = [];
        private readonly Dictionary<string, Group> groups = new(StringComparer.Ordinal);
        private readonly List<TimedValue> scratch = [];
        private DateTimeOffset watermark = DateTimeOffset.MinValue;
        // Matches observed, and how many had been when the last sweep ran: a group is swept only when no match has
        // reached it since then (see Sweep).
        private long arrivals;
        private long sweptAt;
        private CloudEvent? lastCounted;

        public int GroupCount => groups.Count;

        public long Evicted { get; private set; }

        public void Bind(CompiledRule rule, int index)
        {
            string FieldFor(string name) => Aliased(name, index, rule.Rule);

            groupAccessors[rule.Ordinal] = correlation.GroupBy.Select(g => mappings.Resolve(rule.Rule.LogSource, FieldFor(g))).ToArray();
            if (correlation.Condition.Field is { } field)
            {
                valueAccessors[rule.Ordinal] = mappings.Resolve(rule.Rule.LogSource, FieldFor(field));
            }
        }

        /// <summary>The field an alias stands for in the rule or correlation referred to at <paramref name="index"/>, else the name itself.</summary>
        private string Aliased(string name, int index, SigmaDocument referred) =>
            correlation.Aliases.TryGetValue(name, out var perRule)
            && (perRule.TryGetValue(correlation.Rules[index], out var mapped)
                || (referred.Name is { } n && perRule.TryGetValue(n, out mapped))
                || (referred.Id is { } id && perRule.TryGetValue(id, out mapped)))
                ? mapped
                : name;

        /// <summary>Binds a correlation this one refers to: its hits count as matches, their group fields as the fields.</summary>
        public void Bind(SigmaCorrelation inner, int index)
        {
            string FieldFor(string name) => Aliased(name, index, inner);

            hitFields[index] = ([.. correlation.GroupBy.Select(FieldFor)], correlation.Condition.Field is { } field ? FieldFor(field) : null);
        }

        /// <summary>A hit of a correlation this one refers to, seen as one match at the time its condition was met.</summary>
        public void ObserveHit(CorrelationHit hit, int ruleIndex, List<CorrelationHit> hits)
        {
            static string? Field(CorrelationHit hit, string name) =>
                hit.Group.FirstOrDefault(f => string.Equals(f.Name, name, StringComparison.OrdinalIgnoreCase))?.Value;

            var (group, value) = hitFields[ruleIndex];
            ObserveCore([.. group.Select(name => Field(hit, name))], hit.LastSeen, value is null ? null : Field(hit, value), ruleIndex, hits);
        }

        public void Observe(CloudEvent e, CompiledRule rule, int ruleIndex, List<CorrelationHit> hits)
        {
            // event_count counts events, and a sum or mean adds an event's value: one that matches two of the rules it refers
            // to is one event, not two. (A hunt hands over an event's matches one after another.) The event is taken as
            // counted only once a match of it was: through one rule's aliases it may lack the group or the value that
            // another rule's give it.
            var once = correlation.Type == CorrelationType.EventCount || correlation.Type.IsAggregate();
            if (once && ReferenceEquals(e, lastCounted))
            {
                return;
            }

            var counted = ObserveCore(
                groupAccessors[rule.Ordinal].Select(a => a.FirstValue(e)).ToArray(),
                e.Time,
                correlation.Type.ReadsField() ? valueAccessors[rule.Ordinal].FirstValue(e) : null,
                ruleIndex,
                hits);
            if (once && counted)
            {
                lastCounted = e;
            }
        }

        /// <summary>Adds one match to its group; false when it belongs to no group or carries no value to count.</summary>
        private bool ObserveCore(string?[] values, DateTimeOffset time, string? value, int ruleIndex, List<CorrelationHit> hits)
        {
            // A match without every group-by field belongs to no group and is not counted: Splunk's `stats ... by`, which
            // pySigma's Splunk back end writes a correlation as, drops events whose by-field is null. Counted under one
            // group for "absent", different principals that have no ARN would all add up to one.
            if (Array.IndexOf(values, null) >= 0)
            {
                return false;
            }

            var key = GroupKey(values);
            if (!groups.TryGetValue(key, out var group))
            {
                if (groups.Count >= limits.MaxGroupsPerCorrelation)
                {
                    Sweep(hits, closeAll: false);
                    if (groups.Count >= limits.MaxGroupsPerCorrelation)
                    {
                        DropOldest(groups.Count - (limits.MaxGroupsPerCorrelation * 9 / 10), hits);
                    }
                }

                group = new Group(values, correlation.Rules.Count);
                groups[key] = group;
            }

            group.Touched = ++arrivals;

            if (time > watermark)
            {
                watermark = time;
            }

            if (correlation.Type == CorrelationType.ValueCount && value is null)
            {
                return false;
            }

            // A sum, mean, median or percentile is of numbers: a match whose field is absent or not a number (a JSON number,
            // or a string holding one written the same way, with no spaces around it) adds nothing, as an aggregation in a
            // query language skips it.
            var number = 0.0;
            if (correlation.Type.IsAggregate()
                && !(value is not null && double.TryParse(value, NumberStyles.AllowLeadingSign | NumberStyles.AllowDecimalPoint | NumberStyles.AllowExponent, CultureInfo.InvariantCulture, out number)
                     && double.IsFinite(number)))
            {
                return false;
            }

            // The group's newest event time, not its latest arrival: an older event arriving late (another file,
            // another region) must not make a group with recent matches look expired to the sweep.
            if (time > group.LastSeen)
            {
                group.LastSeen = time;
            }

            switch (correlation.Type)
            {
                case CorrelationType.EventCount:
                case CorrelationType.ValueCount:
                    ObserveCount(group, time, value, hits);
                    break;
                case CorrelationType.Temporal or CorrelationType.TemporalOrdered when !correlation.Condition.FiresEarly:
                    // "Fewer than two of the rules" (lt, lte, eq...) is known only once the window is over.
                    ObserveClosing(group, time, hits);
                    Remember(group.StepTimes[ruleIndex], time);
                    break;
                case CorrelationType.Temporal:
                    ObserveTemporal(group, time, ruleIndex, hits);
                    break;
                case CorrelationType.TemporalOrdered:
                    ObserveOrdered(group, time, ruleIndex, hits);
                    break;
                default:
                    ObserveAggregate(group, time, number, hits);
                    break;
            }

            return true;
        }

        /// <summary>
        /// One group's key: its values, each written with its length, so no value can run into the next whatever
        /// characters it holds.
        /// </summary>
        private static string GroupKey(string?[] values)
        {
            var key = new System.Text.StringBuilder();
            foreach (var value in values)
            {
                key.Append(value!.Length).Append(':').Append(value);
            }

            return key.ToString();
        }

        /// <summary>What a closing window's condition is judged on: its events, its distinct values, or the rules that matched in it.</summary>
        private long Measure(Group group) => correlation.Type switch
        {
            CorrelationType.ValueCount => group.Values.Count,
            CorrelationType.Temporal => group.StepTimes.Count(l => l.Count > 0),
            CorrelationType.TemporalOrdered => LongestRunInOrder(group.StepTimes, DateTimeOffset.MinValue, DateTimeOffset.MaxValue).Length,
            _ => group.WindowCount,
        };

        /// <summary>
        /// The <paramref name="percentile"/>th percentile of the values, interpolated linearly between the two nearest ranks
        /// (the median of an even number of values is the mean of the middle two). The interpolation is a weighted mean of
        /// the two, kept between them, so values near the ends of the range of doubles cannot overflow it.
        /// </summary>
        internal static double Percentile(List<double> values, double percentile)
        {
            values.Sort();
            // The rank in hundredths, so that whole percentiles of a few values give the weight without rounding noise
            // (the 90th of five values lies 0.6 of the way from the fourth to the fifth, not 0.6000000000000001).
            var hundredths = percentile * (values.Count - 1);
            var below = Math.Min((int)Math.Floor(hundredths / 100), values.Count - 1);
            var above = Math.Min(below + 1, values.Count - 1);
            var (low, high, weight) = (values[below], values[above], (hundredths - (below * 100.0)) / 100);
            if (weight == 0 || low == high)
            {
                return low;
            }

            return Math.Clamp((low * (1 - weight)) + (high * weight), low, high);
        }

        /// <summary>
        /// A sum, mean, median or percentile is judged over tumbling windows of the timespan aligned to the clock (from the
        /// Unix epoch: an hour's window is 09:00 to 10:00), as a query language buckets time for an aggregation. None of
        /// them only grows as matches come (a value may be negative, a mean falls), so none fires early: a window is
        /// judged once the group has been idle through a sweep and the window lies a timespan behind the newest match of
        /// the hunt, when its group is dropped, or at the end of the input. The windows are found by event time, so
        /// matches arriving out of order (one region's files after another's) still fall into the window they belong to.
        /// A sum saturates at the largest double rather than overflowing. The open windows and the values kept for a median
        /// or percentile are capped per group: past either cap the group's oldest window is judged then.
        /// </summary>
        private void ObserveAggregate(Group group, DateTimeOffset time, double number, List<CorrelationHit> hits)
        {
            var index = TimespansSinceEpoch(time);
            if (!group.Windows.TryGetValue(index, out var window))
            {
                group.Windows[index] = window = new AggregateWindow(time);
            }

            var keep = correlation.Type is CorrelationType.ValueMedian or CorrelationType.ValuePercentile;
            window.Add(time, number, keep);
            group.KeptValues += keep ? 1 : 0;

            // Bounded whatever the input: past the cap on open windows (a group busy through every sweep keeps its windows
            // open), or on the values a median or percentile keeps, the group's oldest windows are judged now.
            while (group.Windows.Count > 0
                   && (group.Windows.Count > limits.MaxWindowsPerGroup || (keep && group.KeptValues >= limits.MaxEventsPerGroup)))
            {
                var oldest = group.Windows.Keys.Min();
                Judge(group, group.Windows[oldest], hits);
                Forget(group, oldest);
            }
        }

        /// <summary>Which timespan-wide stretch of the clock, counted from the Unix epoch, a time falls in (earlier times count below zero).</summary>
        private long TimespansSinceEpoch(DateTimeOffset time)
        {
            var span = Math.Max(1, correlation.Timespan.Ticks);
            var offset = time.UtcTicks - DateTimeOffset.UnixEpoch.UtcTicks;
            return (offset / span) - (offset % span < 0 ? 1 : 0);
        }

        private static void Forget(Group group, long index)
        {
            group.KeptValues -= group.Windows[index].Values?.Count ?? 0;
            group.Windows.Remove(index);
        }

        /// <summary>Judges the group's windows that end at or before <paramref name="cutoff"/>, and forgets them.</summary>
        private void JudgeWindows(Group group, DateTimeOffset cutoff, List<CorrelationHit> hits)
        {
            var span = correlation.Timespan.Ticks;
            var epoch = DateTimeOffset.UnixEpoch.UtcTicks;
            List<long>? judged = null;
            foreach (var (index, window) in group.Windows.OrderBy(w => w.Key))
            {
                // A window of a timespan of thousands of years may end past the last tick there is: it ends only with the input.
                var endTicks = index + 1 > (DateTimeOffset.MaxValue.UtcTicks - epoch) / span ? long.MaxValue : epoch + ((index + 1) * span);
                if (cutoff == DateTimeOffset.MaxValue || endTicks <= cutoff.UtcTicks)
                {
                    Judge(group, window, hits);
                    (judged ??= []).Add(index);
                }
            }

            foreach (var index in judged ?? [])
            {
                Forget(group, index);
            }
        }

        private void Judge(Group group, AggregateWindow window, List<CorrelationHit> hits)
        {
            var measure = correlation.Type switch
            {
                CorrelationType.ValueSum => window.Sum,
                CorrelationType.ValueAvg => window.Sum / window.Count,
                CorrelationType.ValueMedian => Percentile(window.Values!, 50),
                _ => Percentile(window.Values!, correlation.Condition.Percentile ?? 50),
            };
            if (correlation.Condition.IsSatisfiedBy(measure))
            {
                hits.Add(Hit(group, window.First, window.Last, window.Count) with { Value = measure });
            }
        }

        /// <summary>
        /// Opens a window at a group's first match and closes it at the first match a timespan later (or at a sweep, or
        /// at the end of the input), then judges it: the way of conditions a growing count cannot be judged by early
        /// (lt, lte, eq, neq, ranges).
        /// </summary>
        private void ObserveClosing(Group group, DateTimeOffset time, List<CorrelationHit> hits)
        {
            if (group.WindowStart is { } start && time > start + correlation.Timespan)
            {
                Close(group, hits);
            }

            if (group.WindowStart is null)
            {
                group.WindowStart = group.WindowFirst = group.WindowLast = time;
            }
            else if (time < group.WindowFirst)
            {
                group.WindowFirst = time;
            }
            else if (time > group.WindowLast)
            {
                group.WindowLast = time;
            }

            group.WindowCount++;
        }

        private void ObserveCount(Group group, DateTimeOffset time, string? value, List<CorrelationHit> hits)
        {
            var condition = correlation.Condition;
            if (condition.FiresEarly)
            {
                ObserveEarly(group, time, value, hits);
                return;
            }

            // A closing-window condition only needs the count and the distinct values, not every event.
            ObserveClosing(group, time, hits);
            if (value is not null && (group.Values.Count < limits.MaxEventsPerGroup || group.Values.ContainsKey(value)))
            {
                group.Values[value] = group.Values.GetValueOrDefault(value) + 1;
            }
        }

        /// <summary>
        /// A "more than" condition fires as soon as some window of the timespan holds enough matches.
        /// Files and parallel workers deliver matches out of time order (one region's file after
        /// another's), so the group keeps its matches ordered by event time and, on each arrival, looks
        /// at every window that contains the new match: a window only becomes enough through its
        /// newest arrival. The matches kept per group are capped; past the cap, the one furthest in
        /// time from the new match goes.
        /// </summary>
        private void ObserveEarly(Group group, DateTimeOffset time, string? value, List<CorrelationHit> hits)
        {
            // Matches are kept in buckets one timespan wide, each sorted by time; every window that
            // contains the new match lies within its own bucket and the two beside it.
            var span = correlation.Timespan;
            var bucket = TimespansSinceEpoch(time);
            var entry = new TimedValue(time, group.NextSequence++, value);
            if (!group.Buckets.TryGetValue(bucket, out var own))
            {
                group.Buckets[bucket] = own = [];
            }

            InsertSorted(own, entry);
            CountValue(group, value, +1);
            if (++group.Kept > limits.MaxEventsPerGroup)
            {
                // Past the cap, the bucket furthest in time from this match is forgotten.
                var furthest = group.Buckets.Keys.MaxBy(k => Math.Abs(k - bucket));
                if (furthest == bucket)
                {
                    var dropped = own[0].Equals(entry) ? own.Count - 1 : 0;
                    CountValue(group, own[dropped].Value, -1);
                    own.RemoveAt(dropped);
                    group.Kept--;
                }
                else
                {
                    foreach (var forgotten in group.Buckets[furthest])
                    {
                        CountValue(group, forgotten.Value, -1);
                    }

                    group.Kept -= group.Buckets[furthest].Count;
                    group.Buckets.Remove(furthest);
                }
            }

            // No window can hold more distinct values than the group keeps: a principal reading the same
            // few secrets over and over is ruled out without looking at its matches.
            if (correlation.Type == CorrelationType.ValueCount && !correlation.Condition.IsSatisfiedBy(group.Values.Count))
            {
                return;
            }

            // Every window holding the new match lies within a timespan either side of it, and neither a
            // count nor a number of distinct values can exceed the matches there: when those are too few,
            // which is nearly always, nothing needs to be copied or scanned.
            var low = time - DateTimeOffset.MinValue > span ? time - span : DateTimeOffset.MinValue;
            var high = DateTimeOffset.MaxValue - time > span ? time + span : DateTimeOffset.MaxValue;
            var around = 0;
            for (var b = bucket - 1; b <= bucket + 1; b++)
            {
                if (group.Buckets.TryGetValue(b, out var list))
                {
                    around += CountBefore(list, high, inclusive: true) - CountBefore(list, low, inclusive: false);
                }
            }

            if (!correlation.Condition.IsSatisfiedBy(around))
            {
                return;
            }

            var window = scratch;
            window.Clear();
            for (var b = bucket - 1; b <= bucket + 1; b++)
            {
                if (group.Buckets.TryGetValue(b, out var list))
                {
                    window.AddRange(list); // buckets are in time order, so this stays sorted
                }
            }

            var at = window.BinarySearch(entry);
            if (at < 0)
            {
                return;
            }

            var byValue = correlation.Type == CorrelationType.ValueCount;
            var distinct = byValue ? new Dictionary<string, int>(StringComparer.Ordinal) : null;
            var first = window.BinarySearch(new TimedValue(low, long.MinValue, null));
            var end = first < 0 ? ~first : first; // exclusive end of the window beginning at start
            for (var start = end; start <= at; start++)
            {
                var limit = DateTimeOffset.MaxValue - window[start].Time > span ? window[start].Time + span : DateTimeOffset.MaxValue;
                while (end < window.Count && window[end].Time <= limit)
                {
                    if (distinct is not null && window[end].Value is { } v)
                    {
                        distinct[v] = distinct.GetValueOrDefault(v) + 1;
                    }

                    end++;
                }

                var measure = byValue ? distinct!.Count : end - start;
                if (correlation.Condition.IsSatisfiedBy(measure))
                {
                    hits.Add(Hit(group, window[start].Time, window[end - 1].Time, measure));
                    group.Reset();
                    return;
                }

                if (distinct is not null && window[start].Value is { } old && --distinct[old] == 0)
                {
                    distinct.Remove(old);
                }
            }
        }

        /// <summary>Keeps, for a distinct-value count, how many kept matches carry each value.</summary>
        private void CountValue(Group group, string? value, int change)
        {
            if (correlation.Type != CorrelationType.ValueCount || value is null)
            {
                return;
            }

            var count = group.Values.GetValueOrDefault(value) + change;
            if (count > 0)
            {
                group.Values[value] = count;
            }
            else
            {
                group.Values.Remove(value);
            }
        }

        /// <summary>How many of the time-ordered matches are earlier than <paramref name="time"/> (or at it, when inclusive).</summary>
        private static int CountBefore(List<TimedValue> list, DateTimeOffset time, bool inclusive)
        {
            int lo = 0, hi = list.Count;
            while (lo < hi)
            {
                var mid = (lo + hi) >>> 1;
                var compared = list[mid].Time.CompareTo(time);
                if (compared < 0 || (inclusive && compared == 0))
                {
                    lo = mid + 1;
                }
                else
                {
                    hi = mid;
                }
            }

            return lo;
        }

        private static void InsertSorted(List<TimedValue> list, TimedValue entry)
        {
            if (list.Count == 0 || list[^1].CompareTo(entry) <= 0)
            {
                list.Add(entry); // the usual case: matches of one file arrive in time order
                return;
            }

            var at = list.BinarySearch(entry);
            list.Insert(at < 0 ? ~at : at, entry);
        }

        private void Close(Group group, List<CorrelationHit> hits)
        {
            if (group.WindowStart is not null && group.WindowCount > 0 && correlation.Condition.IsSatisfiedBy(Measure(group)))
            {
                hits.Add(Hit(group, group.WindowFirst, group.WindowLast, Measure(group)));
            }

            group.Reset();
        }

        /// <summary>
        /// Looks for a window of the timespan, around the new match, in which enough of the rules matched. It judges by
        /// event time rather than arrival: files and parallel workers deliver matches out of time order (one region's
        /// file after another's), and keeping only each rule's latest time, or forgetting times older than the group's
        /// newest by more than the timespan, lost a pair that arrived after a later match of one of its rules.
        /// </summary>
        private void ObserveTemporal(Group group, DateTimeOffset time, int ruleIndex, List<CorrelationHit> hits)
        {
            var steps = group.StepTimes;
            Remember(steps[ruleIndex], time);

            // Every window holding the new match starts at one of the kept times within a timespan before it, or at it.
            var span = correlation.Timespan;
            var earliest = time - DateTimeOffset.MinValue > span ? time - span : DateTimeOffset.MinValue;
            foreach (var start in steps.SelectMany(l => l).Where(t => t >= earliest && t <= time).Order())
            {
                var end = DateTimeOffset.MaxValue - start > span ? start + span : DateTimeOffset.MaxValue;
                var present = steps.Count(l => l.Any(t => t >= start && t <= end));
                if (correlation.Condition.IsSatisfiedBy(present))
                {
                    var inWindow = steps.SelectMany(l => l).Where(t => t >= start && t <= end).ToList();
                    hits.Add(Hit(group, inWindow.Min(), inWindow.Max(), present));
                    foreach (var l in steps)
                    {
                        l.Clear();
                    }

                    return;
                }
            }
        }

        /// <summary>
        /// Looks for matches of the rules in the order listed, at times t0 &lt;= t1 &lt;= ... within the timespan, and
        /// counts the rules in the longest such run: the condition, as for <c>temporal</c>, is a number of different
        /// rules (by default all of them; <c>gte: 2</c> of three is met by the first and second, or the second and third,
        /// in that order). It judges by event time rather than arrival, so the out-of-order delivery of files and
        /// parallel matching does not hide a sequence; the few times kept per rule (those nearest the newest arrival)
        /// bound the state.
        /// </summary>
        private void ObserveOrdered(Group group, DateTimeOffset time, int ruleIndex, List<CorrelationHit> hits)
        {
            var steps = group.StepTimes;
            Remember(steps[ruleIndex], time);

            // No run can count more rules than have a kept time within a timespan of the new match: when those are too
            // few, which is nearly always, nothing is searched.
            var span = correlation.Timespan;
            var earliest = time - DateTimeOffset.MinValue > span ? time - span : DateTimeOffset.MinValue;
            var latest = DateTimeOffset.MaxValue - time > span ? time + span : DateTimeOffset.MaxValue;
            var present = steps.Count(l => l.Any(t => t >= earliest && t <= latest));
            if (!Enumerable.Range(1, present).Any(n => correlation.Condition.IsSatisfiedBy(n)))
            {
                return;
            }

            if (NeedsEveryRule(steps.Length))
            {
                ObserveEveryStep(steps, group, hits);
                return;
            }

            // Every run the new match completes starts at a kept time within a timespan before it.
            foreach (var start in steps.SelectMany(l => l).Where(t => t >= earliest && t <= time).Distinct().Order())
            {
                var end = DateTimeOffset.MaxValue - start > span ? start + span : DateTimeOffset.MaxValue;
                var (longest, ends) = LongestRunInOrder(steps, start, end);
                if (longest > 0 && correlation.Condition.IsSatisfiedBy(longest))
                {
                    hits.Add(Hit(group, start, ends, longest));
                    foreach (var l in steps)
                    {
                        l.Clear();
                    }

                    return;
                }
            }
        }

        /// <summary>
        /// The most rules that matched in the order listed, at times t0 &lt;= t1 &lt;= ... from <paramref name="start"/> to
        /// <paramref name="end"/>, and the earliest time such a run ends at.
        /// </summary>
        private static (int Length, DateTimeOffset Ends) LongestRunInOrder(List<DateTimeOffset>[] steps, DateTimeOffset start, DateTimeOffset end)
        {
            // last[n]: the earliest time a run of n rules in order can end at, among the rules seen so far.
            var last = new DateTimeOffset?[steps.Length + 1];
            last[0] = start;
            var longest = 0;
            foreach (var times in steps)
            {
                var before = longest;
                for (var n = before + 1; n >= 1; n--)
                {
                    if (last[n - 1] is not { } after)
                    {
                        continue;
                    }

                    DateTimeOffset? next = null;
                    foreach (var t in times)
                    {
                        if (t >= after && t <= end && (next is null || t < next))
                        {
                            next = t;
                        }
                    }

                    if (next is { } found && (last[n] is null || found < last[n]))
                    {
                        last[n] = found;
                        longest = Math.Max(longest, n);
                    }
                }
            }

            return (longest, last[longest] ?? start);
        }

        private bool? needsEveryRule;

        /// <summary>Whether the condition is met only by all the rules (the default), which needs no search over runs that skip one.</summary>
        private bool NeedsEveryRule(int rules) =>
            needsEveryRule ??= Enumerable.Range(1, rules - 1).All(n => !correlation.Condition.IsSatisfiedBy(n)) && correlation.Condition.IsSatisfiedBy(rules);

        /// <summary>Every rule in order: from each kept time of the first, the earliest time of each next one, within the timespan.</summary>
        private void ObserveEveryStep(List<DateTimeOffset>[] steps, Group group, List<CorrelationHit> hits)
        {
            foreach (var start in steps[0].Order())
            {
                var current = start;
                var complete = true;
                for (var step = 1; step < steps.Length && complete; step++)
                {
                    var next = steps[step].Where(t => t >= current && t - start <= correlation.Timespan).DefaultIfEmpty(DateTimeOffset.MinValue).Min();
                    complete = next != DateTimeOffset.MinValue;
                    current = next;
                }

                if (complete)
                {
                    hits.Add(Hit(group, start, current, steps.Length));
                    foreach (var l in steps)
                    {
                        l.Clear();
                    }

                    return;
                }
            }
        }

        /// <summary>Keeps a rule's match time; past the cap, the kept time furthest from this one is forgotten.</summary>
        private static void Remember(List<DateTimeOffset> times, DateTimeOffset time)
        {
            times.Add(time);
            if (times.Count > MaxTimesPerStep)
            {
                var furthest = 0;
                for (var i = 1; i < times.Count; i++)
                {
                    if ((times[i] - time).Duration() > (times[furthest] - time).Duration())
                    {
                        furthest = i;
                    }
                }

                times.RemoveAt(furthest);
            }
        }

        private const int MaxTimesPerStep = 32;

        private CorrelationHit Hit(Group group, DateTimeOffset first, DateTimeOffset last, long count) =>
            new(correlation, correlation.GroupBy.Select((g, i) => new MatchedField(g, group.Key[i])).ToList(), first, last, count);

        /// <summary>
        /// Closes the windows and forgets the groups that lie more than a timespan behind the newest match seen. Files
        /// of one region or account are read after another's, so a group's matches can arrive days behind the newest:
        /// a group that matches have reached since the last sweep is left alone (its matches are still arriving, and
        /// a burst cut in two by a sweep was never counted whole); it goes at a later sweep, once idle.
        /// </summary>
        public void Sweep(List<CorrelationHit> hits, bool closeAll)
        {
            var expiry = watermark - DateTimeOffset.MinValue > correlation.Timespan ? watermark - correlation.Timespan : DateTimeOffset.MinValue;
            List<string>? expired = null;
            foreach (var (key, group) in groups)
            {
                var idle = closeAll || group.Touched <= sweptAt;
                if (correlation.Type.IsAggregate())
                {
                    // A group that goes has every window judged; an idle one, those a timespan behind the newest match.
                    var goes = closeAll || (idle && group.LastSeen < expiry);
                    if (idle)
                    {
                        JudgeWindows(group, goes ? DateTimeOffset.MaxValue : expiry, hits);
                    }

                    if (goes)
                    {
                        (expired ??= []).Add(key);
                    }

                    continue;
                }

                if (closeAll || (idle && (group.LastSeen < expiry || (group.WindowStart is { } start && start < expiry))))
                {
                    if (!correlation.Condition.FiresEarly)
                    {
                        Close(group, hits);
                    }

                    if (closeAll || group.LastSeen < expiry)
                    {
                        (expired ??= []).Add(key);
                    }
                }
            }

            foreach (var key in expired ?? [])
            {
                groups.Remove(key);
            }

            sweptAt = arrivals;
        }

        /// <summary>Past the cap, the groups no match has reached for longest go first.</summary>
        private void DropOldest(int count, List<CorrelationHit> hits)
        {
            foreach (var key in groups.OrderBy(g => g.Value.Touched).Take(count).Select(g => g.Key).ToList())
            {
                if (correlation.Type.IsAggregate())
                {
                    // A dropped group's windows are judged first: a sum already over its threshold is still reported.
                    JudgeWindows(groups[key], DateTimeOffset.MaxValue, hits);
                }

                groups.Remove(key);
                Evicted++;
            }
        }
    }

    private sealed class Group(string?[] key, int ruleCount)
    {
        public string?[] Key { get; } = key;

        public DateTimeOffset LastSeen { get; set; }

        /// <summary>When a match last reached the group, counted in matches observed by its correlation.</summary>
        public long Touched { get; set; }

        public DateTimeOffset? WindowStart { get; set; }

        /// <summary>The earliest and latest match times in the open window: what its hit reports, never a later match's that closed it.</summary>
        public DateTimeOffset WindowFirst { get; set; }

        public DateTimeOffset WindowLast { get; set; }

        public long WindowCount { get; set; }

        /// <summary>Matches by timespan-wide bucket, each in event-time order, for conditions that fire early.</summary>
        public Dictionary<long, List<TimedValue>> Buckets { get; } = [];

        public int Kept { get; set; }

        public long NextSequence { get; set; }

        /// <summary>Distinct values and how often each was seen: in the open window, or among the kept matches for conditions that fire early.</summary>
        public Dictionary<string, int> Values { get; } = new(StringComparer.Ordinal);

        /// <summary>For a sum, mean, median or percentile: the open windows, by their number of timespans since the Unix epoch.</summary>
        public Dictionary<long, AggregateWindow> Windows { get; } = [];

        /// <summary>The values the open windows keep for a median or percentile.</summary>
        public int KeptValues { get; set; }

        public List<DateTimeOffset>[] StepTimes { get; } = Enumerable.Range(0, ruleCount).Select(_ => new List<DateTimeOffset>()).ToArray();

        public void Reset()
        {
            Buckets.Clear();
            Kept = 0;
            Values.Clear();
            Windows.Clear();
            KeptValues = 0;
            WindowStart = null;
            WindowCount = 0;
            foreach (var times in StepTimes)
            {
                times.Clear();
            }
        }
    }
}

/// <summary>One clock-aligned window of an aggregating correlation's group: its matches' count, sum, times and (for a median or percentile) values.</summary>
internal sealed class AggregateWindow(DateTimeOffset first)
{
    public DateTimeOffset First { get; private set; } = first;

    public DateTimeOffset Last { get; private set; } = first;

    public long Count { get; private set; }

    public double Sum { get; private set; }

    public List<double>? Values { get; private set; }

    public void Add(DateTimeOffset time, double number, bool keepValue)
    {
        First = time < First ? time : First;
        Last = time > Last ? time : Last;
        Count++;
        Sum = Math.Clamp(Sum + number, -double.MaxValue, double.MaxValue);
        if (keepValue)
        {
            (Values ??= []).Add(number);
        }
    }
}

/// <summary>A match's event time and counted value; the sequence number keeps matches at the same time apart.</summary>
internal readonly record struct TimedValue(DateTimeOffset Time, long Sequence, string? Value) : IComparable<TimedValue>
{
    public int CompareTo(TimedValue other)
    {
        var byTime = Time.CompareTo(other.Time);
        return byTime != 0 ? byTime : Sequence.CompareTo(other.Sequence);
    }
}
