using Firebreak.Detection.Sigma;

namespace Firebreak.Detection.Tests.Sigma;

/// <summary>
/// The correlation types that aggregate a numeric field over a group's matches: value_sum, value_avg, value_median and
/// value_percentile, judged over windows of the timespan aligned to the clock.
/// </summary>
public class AggregateCorrelationTests
{
    private static readonly DateTimeOffset T0 = new(2026, 5, 1, 12, 0, 0, TimeSpan.Zero);

    private const string Reads = """
        title: object read
        name: object_read
        logsource: {product: aws, service: cloudtrail}
        detection:
          sel: {eventName: GetObject}
          condition: sel
        ---

        """;

    private static CompiledRuleSet Build(string correlation)
    {
        var parsed = SigmaParser.Parse(Reads + correlation, "c.yml");
        Assert.Empty(parsed.Diagnostics);
        var set = CompiledRuleSet.Compile(parsed.Documents);
        Assert.Empty(set.Diagnostics);
        return set;
    }

    private static string Correlation(string type, string condition, string timespan = "1h") => $"""
        title: reads measured
        correlation:
          type: {type}
          rules: [object_read]
          group-by: [userIdentity.arn]
          timespan: {timespan}
          condition: {condition}
        """;

    /// <summary>S3 reads as CloudTrail data events record them, the bytes sent in <c>additionalEventData.bytesTransferredOut</c>.</summary>
    private static List<CorrelationHit> Feed(CompiledRuleSet set, IEnumerable<(int Minutes, string User, object? Bytes)> reads, CorrelationLimits? limits = null, bool flush = true) =>
        Feed(new CorrelationEngine(set, limits), set, reads, flush);

    private static List<CorrelationHit> Feed(CorrelationEngine engine, CompiledRuleSet set, IEnumerable<(int Minutes, string User, object? Bytes)> reads, bool flush = true)
    {
        var hits = new List<CorrelationHit>();
        foreach (var (minutes, user, bytes) in reads)
        {
            var e = TestEvents.Aws(System.Text.Json.JsonSerializer.Serialize(new
            {
                eventName = "GetObject",
                userIdentity = new { arn = user },
                additionalEventData = bytes is null ? null : new { bytesTransferredOut = bytes },
            }), T0.AddMinutes(minutes));
            foreach (var rule in set.Match(e))
            {
                engine.Observe(e, rule, hits);
            }
        }

        if (flush)
        {
            engine.Flush(hits);
        }

        return hits;
    }

    [Fact]
    public void ValueSum_AddsTheFieldOverTheWindow_PerGroup()
    {
        // More than a gigabyte read by one principal within an hour: alice's three reads add up to 1.2 GB; bob's two
        // reads are as large together but two hours apart, so in two windows; carol's records give no number.
        var set = Build(Correlation("value_sum", "{field: additionalEventData.bytesTransferredOut, gt: 1000000000}"));
        var hits = Feed(set, [
            (0, "alice", 400_000_000), (20, "alice", 400_000_000), (50, "alice", 400_000_000),
            (0, "bob", 600_000_000), (120, "bob", 600_000_000),
            (0, "carol", "n/a"), (1, "carol", null), (2, "carol", true),
        ]);

        var hit = Assert.Single(hits);
        Assert.Equal(("alice", 3L, 1_200_000_000d), (hit.Group[0].Value, hit.Count, hit.Value));
        Assert.Equal((T0, T0.AddMinutes(50)), (hit.FirstSeen, hit.LastSeen));
    }

    [Fact]
    public void ValueSum_ReadsANumberWrittenAsAString_AndIsNotFiredByALowerTotal()
    {
        var set = Build(Correlation("value_sum", "{field: additionalEventData.bytesTransferredOut, gte: 10}"));
        Assert.Equal(10d, Assert.Single(Feed(set, [(0, "alice", "4"), (1, "alice", 6.0)])).Value);
        Assert.Empty(Feed(set, [(0, "alice", 4), (1, "alice", 5.5)]));
    }

    [Fact]
    public void ValueAvg_ComparesTheMean_WithAFraction()
    {
        // A mean may fall as matches come: [50, 200, 200] has a mean of 150 although its first value alone is under 100.
        var set = Build(Correlation("value_avg", "{field: additionalEventData.bytesTransferredOut, gt: 100.5}"));
        var hits = Feed(set, [(0, "alice", 50), (1, "alice", 200), (2, "alice", 200), (0, "bob", 500), (1, "bob", -400)]);

        var hit = Assert.Single(hits);
        Assert.Equal(("alice", 3L, 150d), (hit.Group[0].Value, hit.Count, hit.Value));
    }

    [Fact]
    public void ValueAvg_AnUpperBound_IsMetByAWindowOfSmallValues()
    {
        var set = Build(Correlation("value_avg", "{field: additionalEventData.bytesTransferredOut, lt: 10}"));
        var hits = Feed(set, [(0, "alice", 4), (1, "alice", 8), (0, "bob", 4), (1, "bob", 30)]);
        Assert.Equal(("alice", 6d), (Assert.Single(hits).Group[0].Value, hits[0].Value));
    }

    [Fact]
    public void ValueMedian_IsTheMiddleValue_OrTheMeanOfTheMiddleTwo()
    {
        var odd = Build(Correlation("value_median", "{field: additionalEventData.bytesTransferredOut, gte: 3}"));
        // One huge read does not move the median, where it would move the mean.
        Assert.Equal(3d, Assert.Single(Feed(odd, [(0, "alice", 100), (1, "alice", 1), (2, "alice", 3), (3, "alice", 2), (4, "alice", 4)])).Value);
        Assert.Empty(Feed(odd, [(0, "alice", 1000), (1, "alice", 1), (2, "alice", 2)]));

        var even = Build(Correlation("value_median", "{field: additionalEventData.bytesTransferredOut, eq: 2.5}"));
        Assert.Equal(2.5d, Assert.Single(Feed(even, [(0, "alice", 4), (1, "alice", 1), (2, "alice", 3), (3, "alice", 2)])).Value);
    }

    [Theory]
    // Values 1, 2, 3, 4 and 100: the 90th percentile lies 60% of the way from the fourth to the fifth.
    [InlineData(90, 61.6)]
    [InlineData(50, 3)]
    [InlineData(0, 1)]
    [InlineData(100, 100)]
    [InlineData(12.5, 1.5)]
    public void ValuePercentile_InterpolatesBetweenRanks(double percentile, double expected)
    {
        var set = Build(Correlation("value_percentile", $"{{field: additionalEventData.bytesTransferredOut, percentile: {percentile.ToString(System.Globalization.CultureInfo.InvariantCulture)}, gte: 0}}"));
        var hit = Assert.Single(Feed(set, [(0, "alice", 4), (1, "alice", 100), (2, "alice", 1), (3, "alice", 3), (4, "alice", 2)]));
        Assert.Equal(expected, hit.Value!.Value);
        Assert.Equal(percentile, Assert.Single(set.Correlations).Condition.Percentile);
    }

    [Fact]
    public void ValuePercentile_BelowTheThreshold_DoesNotFire()
    {
        var set = Build(Correlation("value_percentile", "{field: additionalEventData.bytesTransferredOut, percentile: 95, gt: 1000}"));
        Assert.Empty(Feed(set, [(0, "alice", 10), (1, "alice", 20), (2, "alice", 999)]));
        Assert.Single(Feed(set, [(0, "alice", 10), (1, "alice", 20), (2, "alice", 5000)]));
    }

    [Fact]
    public void AWindow_ReachingTheCap_IsJudgedThen_AndTheNextOpensAnother()
    {
        // The values a median's window keeps are bounded: with a cap of three, five reads in an hour are judged as two.
        var set = Build(Correlation("value_median", "{field: additionalEventData.bytesTransferredOut, gte: 0}"));
        var hits = Feed(set, [(0, "alice", 1), (1, "alice", 2), (2, "alice", 3), (3, "alice", 40), (4, "alice", 50)], new CorrelationLimits { MaxEventsPerGroup = 3 });
        Assert.Equal([(3L, 2d), (2L, 45d)], hits.Select(h => (h.Count, h.Value!.Value)));
    }

    [Fact]
    public void AChainedAggregate_ReadsItsFieldFromTheInnerCorrelationsGroup()
    {
        // An outer value_sum over an inner correlation's hits takes its number from the inner hit's group fields.
        var set = Build("""
            title: big readers
            name: big_readers
            correlation:
              type: value_sum
              rules: [object_read]
              group-by: [userIdentity.arn, additionalEventData.bytesTransferredOut]
              timespan: 1h
              condition: {field: additionalEventData.bytesTransferredOut, gte: 0}
            ---
            title: total of the distinct read sizes
            correlation:
              type: value_sum
              rules: [big_readers]
              group-by: [userIdentity.arn]
              timespan: 1d
              condition: {field: additionalEventData.bytesTransferredOut, gt: 25}
            """);
        var hits = Feed(set, [(0, "alice", 10), (1, "alice", 20), (0, "bob", 10)]);
        var outer = Assert.Single(hits, h => h.Correlation.Title == "total of the distinct read sizes");
        Assert.Equal(("alice", 30d), (outer.Group[0].Value, outer.Value));
    }

    [Theory]
    [InlineData("type: value_sum\n  rules: [r]\n  timespan: 1h\n  condition: {gt: 2}", "value_sum needs 'field'")]
    [InlineData("type: value_avg\n  rules: [r]\n  timespan: 1h\n  condition: {gt: 2}", "value_avg needs 'field'")]
    [InlineData("type: value_percentile\n  rules: [r]\n  timespan: 1h\n  condition: {field: x, gt: 2}", "needs 'percentile'")]
    [InlineData("type: value_percentile\n  rules: [r]\n  timespan: 1h\n  condition: {field: x, percentile: 150, gt: 2}", "from 0 to 100")]
    [InlineData("type: value_percentile\n  rules: [r]\n  timespan: 1h\n  condition: {field: x, percentile: high, gt: 2}", "from 0 to 100")]
    [InlineData("type: value_sum\n  rules: [r]\n  timespan: 1h\n  condition: {field: x, percentile: 90, gt: 2}", "'percentile' belongs to value_percentile")]
    [InlineData("type: value_sum\n  rules: [r]\n  timespan: 1h\n  condition: {field: x, gt: lots}", "'gt' needs a number")]
    [InlineData("type: value_sum\n  rules: [r]\n  timespan: 1h\n  condition: {field: x, gt: .inf}", "'gt' needs a number")]
    [InlineData("type: event_count\n  rules: [r]\n  timespan: 1h\n  condition: {gt: 2.5}", "'gt' needs an integer")]
    [InlineData("type: value_median\n  rules: [r]\n  timespan: 1h", "needs a 'condition' mapping")]
    [InlineData("type: value_mode\n  rules: [r]\n  timespan: 1h\n  condition: {field: x, gt: 2}", "unknown correlation type 'value_mode'")]
    public void InvalidAggregates_AreReported(string body, string message)
    {
        var parsed = SigmaParser.Parse("title: bad\ncorrelation:\n  " + body + "\n", "c.yml");
        Assert.Contains(message, Assert.Single(parsed.Diagnostics).Message);
    }

    [Fact]
    public void ARange_OnAnAggregate_IsAConjunctionOfFractions()
    {
        var set = Build(Correlation("value_avg", "{field: additionalEventData.bytesTransferredOut, gt: 1.5, lte: 2.5}"));
        Assert.Single(Feed(set, [(0, "alice", 2), (1, "alice", 3)]));
        Assert.Empty(Feed(set, [(0, "alice", 3), (1, "alice", 3)]));
        Assert.Empty(Feed(set, [(0, "alice", 1), (1, "alice", 2)]));
    }

    [Theory]
    [InlineData("value_sum", "{field: additionalEventData.bytesTransferredOut, gt: 10}", 15d)]
    [InlineData("value_avg", "{field: additionalEventData.bytesTransferredOut, gte: 3}", 3d)]
    public void ASumOrMean_KeepsNoValues_SoTheCapDoesNotSplitItsWindow(string type, string condition, double expected)
    {
        // Twelve thousand small reads adding up to more than the threshold were judged as ten thousand and two thousand,
        // each under it: many small objects, the usual way a bucket is emptied, went unreported.
        var set = Build(Correlation(type, condition));
        var hit = Assert.Single(Feed(set, [(0, "alice", 3), (1, "alice", 3), (2, "alice", 3), (3, "alice", 3), (4, "alice", 3)], new CorrelationLimits { MaxEventsPerGroup = 3 }));
        Assert.Equal((5L, expected), (hit.Count, hit.Value!.Value));
    }

    [Fact]
    public void Windows_AreAlignedToTheClock_SoMatchesOutOfOrderFallIntoTheirOwn()
    {
        // Reads at 12:00 (1), 14:00 (6) and, arriving last, 12:10 (6): 7 in the noon hour and 6 at two, neither over 10.
        // A window opened by the first match to arrive took in the late read and reported 12 over two hours.
        var set = Build(Correlation("value_sum", "{field: additionalEventData.bytesTransferredOut, gt: 10}"));
        Assert.Empty(Feed(set, [(0, "alice", 1), (120, "alice", 6), (10, "alice", 6)]));

        // Newest first, as some exports list records: six reads an hour apart are six windows, not one of five hours.
        Assert.Empty(Feed(set, [(300, "alice", 3), (240, "alice", 3), (180, "alice", 3), (120, "alice", 3), (60, "alice", 3), (0, "alice", 3)]));

        // 12:50 and 13:10 are twenty minutes apart but in two windows of the clock's hours.
        Assert.Empty(Feed(set, [(50, "alice", 6), (70, "alice", 6)]));
        var hit = Assert.Single(Feed(set, [(70, "alice", 6), (50, "alice", 6), (65, "alice", 6)]));
        Assert.Equal((12d, T0.AddMinutes(65), T0.AddMinutes(70)), (hit.Value!.Value, hit.FirstSeen, hit.LastSeen));
    }

    [Fact]
    public void AnEventMatchingTwoOfTheRules_IsAddedOnce()
    {
        var set = Build("""
            title: any s3 call
            name: any_s3
            logsource: {product: aws, service: cloudtrail}
            detection:
              sel: {additionalEventData.bytesTransferredOut|exists: true}
              condition: sel
            ---
            title: reads measured
            correlation:
              type: value_sum
              rules: [object_read, any_s3]
              group-by: [userIdentity.arn]
              timespan: 1h
              condition: {field: additionalEventData.bytesTransferredOut, gt: 10}
            """);

        Assert.Empty(Feed(set, [(0, "alice", 6)]));
        var hit = Assert.Single(Feed(set, [(0, "alice", 6), (1, "alice", 6)]));
        Assert.Equal((2L, 12d), (hit.Count, hit.Value!.Value));
    }

    [Fact]
    public void ASumNearTheLargestDouble_Saturates_AndPercentilesStayBetweenTheirValues()
    {
        // Values a hostile log can hold: a sum of two of them overflowed to infinity, which no JSON output can write, and
        // the median of -1e308 and 1e308 came out as infinity and the lowest percentile as NaN.
        var sum = Build(Correlation("value_sum", "{field: additionalEventData.bytesTransferredOut, gt: 1e300}"));
        Assert.Equal(double.MaxValue, Assert.Single(Feed(sum, [(0, "alice", 1e308), (1, "alice", 1e308)])).Value);

        var median = Build(Correlation("value_median", "{field: additionalEventData.bytesTransferredOut, eq: 0}"));
        Assert.Equal(0d, Assert.Single(Feed(median, [(0, "alice", -1e308), (1, "alice", 1e308)])).Value);

        var lowest = Build(Correlation("value_percentile", "{field: additionalEventData.bytesTransferredOut, percentile: 0, neq: 5}"));
        Assert.Equal(-1e308, Assert.Single(Feed(lowest, [(0, "alice", -1e308), (1, "alice", 1e308)])).Value);
    }

    [Theory]
    [InlineData("1e3", 1000d)]
    [InlineData("-2.5", -2.5)]
    [InlineData(" 5", null)]
    [InlineData("5 ", null)]
    [InlineData("0x10", null)]
    [InlineData("1,000", null)]
    [InlineData("Infinity", null)]
    [InlineData("NaN", null)]
    public void AValueWrittenAsText_CountsOnlyWhenItIsANumberAsJsonWritesOne(string text, double? expected)
    {
        var set = Build(Correlation("value_sum", "{field: additionalEventData.bytesTransferredOut, neq: 12345}"));
        var hits = Feed(set, [(0, "alice", text)]);
        Assert.Equal(expected, hits.SingleOrDefault()?.Value);
    }

    [Fact]
    public void AGroupDroppedAtTheCap_HasItsWindowsJudgedFirst()
    {
        // Past the cap on groups, the ones no match has reached for longest go; a window already over its threshold is
        // still reported rather than dropped with them.
        var set = Build(Correlation("value_sum", "{field: additionalEventData.bytesTransferredOut, gt: 10}"));
        var engine = new CorrelationEngine(set, new CorrelationLimits { MaxGroupsPerCorrelation = 2 });
        var hits = Feed(engine, set, [(0, "alice", 20), (1, "bob", 1), (2, "carol", 1), (3, "dave", 1)], flush: false);
        Assert.True(engine.EvictedGroups > 0);
        Assert.Equal(["alice"], hits.Select(h => h.Group[0].Value));
    }

    [Fact]
    public void AnIdleGroupsWindow_IsJudgedAtASweep_OnceItLiesATimespanBehindTheNewestMatch()
    {
        var set = Build(Correlation("value_sum", "{field: additionalEventData.bytesTransferredOut, gt: 10}"));
        var engine = new CorrelationEngine(set, new CorrelationLimits { SweepInterval = 1 });

        // Alice's noon hour holds 12; bob's reads at two o'clock put it a timespan behind, and alice is idle through them.
        var hits = Feed(engine, set, [(0, "alice", 6), (10, "alice", 6), (130, "bob", 1), (131, "bob", 1), (132, "bob", 1)], flush: false);

        var hit = Assert.Single(hits);
        Assert.Equal(("alice", 12d), (hit.Group[0].Value, hit.Value));
        Assert.Equal(1, engine.OpenGroups); // alice's group went with its window; bob's is open
    }

    [Fact]
    public void AGroupBusyThroughEverySweep_KeepsAtMostTheCapOfWindows_JudgingTheOldestAsItGoes()
    {
        // One reader a minute for 200 minutes, a window a minute: never idle at a sweep, so without the cap every window
        // (and a median's values) stayed open until the end of the input.
        var set = Build(Correlation("value_median", "{field: additionalEventData.bytesTransferredOut, gte: 0}", timespan: "1m"));
        var engine = new CorrelationEngine(set, new CorrelationLimits { SweepInterval = 16, MaxWindowsPerGroup = 8 });
        var reads = Enumerable.Range(0, 200).Select(m => (m, "alice", (object?)m)).ToList();

        var before = Feed(engine, set, reads, flush: false);
        Assert.Equal(192, before.Count);
        Assert.Equal(Enumerable.Range(0, 192).Select(m => (double)m), before.Select(h => h.Value!.Value));

        var closing = new List<CorrelationHit>();
        engine.Flush(closing);
        Assert.Equal(8, closing.Count);
    }

    [Fact]
    public void AnEventMatchingTwoRules_IsCountedThroughTheRuleWhoseAliasGivesItAValue()
    {
        // Through the first rule's alias the event has no number; it was then taken as counted and the second rule's match,
        // which gives it one, was dropped.
        var set = Build("""
            title: object read again
            name: object_read_again
            logsource: {product: aws, service: cloudtrail}
            detection:
              sel: {eventName: GetObject}
              condition: sel
            ---
            title: reads measured
            correlation:
              type: value_sum
              rules: [object_read, object_read_again]
              group-by: [userIdentity.arn]
              timespan: 1h
              aliases:
                bytes:
                  object_read: additionalEventData.bytesSentByAnotherName
                  object_read_again: additionalEventData.bytesTransferredOut
              condition: {field: bytes, gt: 10}
            """);

        var hit = Assert.Single(Feed(set, [(0, "alice", 20)]));
        Assert.Equal((1L, 20d), (hit.Count, hit.Value!.Value));
    }

    [Fact]
    public void ATimespanOfThousandsOfYears_EndsWithTheInput_NotAtAnOverflowedTime()
    {
        var set = Build(Correlation("value_sum", "{field: additionalEventData.bytesTransferredOut, gt: 10}", timespan: "29000y"));
        var hits = Feed(set, [(0, "alice", 6), (1, "bob", 1), (2, "bob", 1), (3, "bob", 1), (10, "alice", 6)], new CorrelationLimits { SweepInterval = 1 });
        Assert.Equal(("alice", 12d), (Assert.Single(hits).Group[0].Value, hits[0].Value));
    }
}
