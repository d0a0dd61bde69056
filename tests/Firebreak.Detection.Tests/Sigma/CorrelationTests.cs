using Firebreak.Detection.Events;
using Firebreak.Detection.Sigma;

namespace Firebreak.Detection.Tests.Sigma;

public class CorrelationTests
{
    private static readonly DateTimeOffset T0 = new(2026, 5, 1, 12, 0, 0, TimeSpan.Zero);

    private const string BaseRules = """
        title: secret read
        name: secret_read
        id: 3e0d1c9a-51a4-4c55-9c3e-6a1f2b3c4d01
        logsource: {product: aws, service: cloudtrail}
        detection:
          sel: {eventName: GetSecretValue}
          condition: sel
        ---
        title: key created
        name: key_created
        logsource: {product: aws, service: cloudtrail}
        detection:
          sel: {eventName: CreateAccessKey}
          condition: sel
        ---
        title: user created
        name: user_created
        logsource: {product: aws, service: cloudtrail}
        detection:
          sel: {eventName: CreateUser}
          condition: sel
        ---

        """;

    private static (CompiledRuleSet Set, CorrelationEngine Engine) Build(string correlation, CorrelationLimits? limits = null)
    {
        var parsed = SigmaParser.Parse(BaseRules + correlation, "c.yml");
        Assert.Empty(parsed.Diagnostics);
        var set = CompiledRuleSet.Compile(parsed.Documents);
        Assert.Empty(set.Diagnostics);
        return (set, new CorrelationEngine(set, limits));
    }

    private static List<CorrelationHit> Feed(CompiledRuleSet set, CorrelationEngine engine, IEnumerable<(int Seconds, string EventName, string User, string? Secret)> events, bool flush = true)
    {
        var hits = new List<CorrelationHit>();
        foreach (var (seconds, name, user, secret) in events)
        {
            var e = TestEvents.Aws(System.Text.Json.JsonSerializer.Serialize(new
            {
                eventName = name,
                userIdentity = new { arn = user },
                requestParameters = new { secretId = secret },
            }), T0.AddSeconds(seconds));
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

    private const string ReadsThenKey = """
        title: many reads
        name: many_reads
        correlation:
          type: event_count
          rules: [secret_read]
          group-by: [userIdentity.arn]
          timespan: 10m
          condition: {gte: 3}
        ---
        title: reads then a key
        correlation:
          type: temporal_ordered
          rules: [many_reads, key_created]
          group-by: [userIdentity.arn]
          timespan: 1h
        """;

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void ACorrelation_OfACorrelation_TakesItsHitsAsMatches(bool generate)
    {
        // The specification's chain: a correlation may refer to another, here a burst of reads followed by a new key.
        var (set, engine) = Build(generate ? ReadsThenKey + "\n  generate: true" : ReadsThenKey);
        var hits = Feed(set, engine, [
            (0, "GetSecretValue", "alice", "a"), (10, "GetSecretValue", "alice", "b"), (20, "GetSecretValue", "alice", "c"), (100, "CreateAccessKey", "alice", null),
            (0, "CreateAccessKey", "bob", null), (10, "GetSecretValue", "bob", "a"), (20, "GetSecretValue", "bob", "b"), (30, "GetSecretValue", "bob", "c"),
            (0, "GetSecretValue", "carol", "a"), (10, "GetSecretValue", "carol", "b"), (100, "CreateAccessKey", "carol", null),
        ]);

        var chained = Assert.Single(hits, h => h.Correlation.Title == "reads then a key");
        Assert.Equal(("userIdentity.arn", "alice"), (chained.Group[0].Name, chained.Group[0].Value));
        Assert.Equal((T0.AddSeconds(20), T0.AddSeconds(100)), (chained.FirstSeen, chained.LastSeen));
        // The inner correlation alerts on its own only when the outer one generates (as base rules do).
        Assert.Equal(generate ? ["alice", "bob"] : [], hits.Where(h => h.Correlation.Title == "many reads").Select(h => h.Group[0].Value!).Order());
    }

    [Fact]
    public void CorrelationsReferringToEachOther_AreAnError_AndTheRestLoad()
    {
        var parsed = SigmaParser.Parse(BaseRules + """
            title: first
            name: first
            correlation: {type: temporal, rules: [second, key_created], group-by: [userIdentity.arn], timespan: 1h}
            ---
            title: second
            name: second
            correlation: {type: temporal, rules: [first, user_created], group-by: [userIdentity.arn], timespan: 1h}
            ---
            title: later inner
            correlation: {type: temporal, rules: [defined_after, key_created], group-by: [userIdentity.arn], timespan: 1h}
            ---
            title: defined after
            name: defined_after
            correlation: {type: event_count, rules: [secret_read], group-by: [userIdentity.arn], timespan: 1h, condition: {gte: 2}}
            """, "c.yml");
        var set = CompiledRuleSet.Compile(parsed.Documents);

        Assert.Equal(["defined after", "later inner"], set.Correlations.Select(c => c.Title));
        Assert.Equal(2, set.Diagnostics.Count(d => d.Severity == DiagnosticSeverity.Error && d.Message.Contains("cannot be evaluated before it", StringComparison.Ordinal)));
    }

    [Fact]
    public void AChainGroupingByAFieldItsInnerCorrelationDoesNotGroupBy_IsAnError_NotASilentMiss()
    {
        // Hits of the inner correlation carry only its group fields: grouped by another field, the outer one saw an
        // empty value in every hit and never matched, without a word. An alias naming an inner group field is fine.
        var parsed = SigmaParser.Parse(BaseRules + """
            title: many reads
            name: many_reads
            correlation: {type: event_count, rules: [secret_read], group-by: [userIdentity.arn], timespan: 1h, condition: {gte: 2}}
            ---
            title: by secret
            correlation: {type: temporal_ordered, rules: [many_reads, key_created], group-by: [requestParameters.secretId], timespan: 1h}
            ---
            title: by alias
            correlation:
              type: temporal_ordered
              rules: [many_reads, key_created]
              group-by: [who]
              timespan: 1h
              aliases:
                who: {many_reads: userIdentity.arn, key_created: userIdentity.arn}
            ---
            title: counting a field it lacks
            correlation: {type: value_count, rules: [many_reads], group-by: [userIdentity.arn], timespan: 1h, condition: {field: requestParameters.secretId, gte: 2}}
            """, "c.yml");
        Assert.Empty(parsed.Diagnostics);

        var set = CompiledRuleSet.Compile(parsed.Documents);

        Assert.Equal(["many reads", "by alias"], set.Correlations.Select(c => c.Title));
        var errors = set.Diagnostics.Where(d => d.Severity == DiagnosticSeverity.Error).Select(d => d.Message).ToList();
        Assert.Equal(2, errors.Count);
        Assert.All(errors, m => Assert.Contains("'requestParameters.secretId', which the correlation it refers to ('many_reads') does not group by", m, StringComparison.Ordinal));
    }

    [Fact]
    public void EventCount_FiresOncePerBurstPerGroup()
    {
        var (set, engine) = Build("""
            title: secret burst
            correlation:
              type: event_count
              rules: [secret_read]
              group-by: [userIdentity.arn]
              timespan: 1m
              condition: {gte: 3}
            """);
        var hits = Feed(set, engine,
        [
            (0, "GetSecretValue", "alice", "a"), (10, "GetSecretValue", "alice", "b"), (20, "GetSecretValue", "bob", "a"),
            (30, "GetSecretValue", "alice", "c"), (40, "GetSecretValue", "alice", "d"),
        ]);
        var hit = Assert.Single(hits);
        Assert.Equal([new MatchedField("userIdentity.arn", "alice")], hit.Group);
        Assert.Equal(3, hit.Count);
        Assert.Equal(T0, hit.FirstSeen);
        Assert.Equal(T0.AddSeconds(30), hit.LastSeen);
    }

    [Fact]
    public void EventCount_SlidingWindowForgetsOldEvents()
    {
        var (set, engine) = Build("""
            title: secret burst
            correlation:
              type: event_count
              rules: [secret_read]
              group-by: [userIdentity.arn]
              timespan: 1m
              condition: {gte: 3}
            """);
        Assert.Empty(Feed(set, engine, [(0, "GetSecretValue", "alice", "a"), (50, "GetSecretValue", "alice", "b"), (70, "GetSecretValue", "alice", "c")]));
        var (set2, engine2) = Build("""
            title: secret burst
            correlation:
              type: event_count
              rules: [secret_read]
              group-by: [userIdentity.arn]
              timespan: 1m
              condition: {gte: 3}
            """);
        Assert.Single(Feed(set2, engine2, [(0, "GetSecretValue", "alice", "a"), (50, "GetSecretValue", "alice", "b"), (70, "GetSecretValue", "alice", "c"), (80, "GetSecretValue", "alice", "d")]));
    }

    private const string SecretBurst = """
        title: secret burst
        correlation:
          type: event_count
          rules: [secret_read]
          group-by: [userIdentity.arn]
          timespan: 1m
          condition: {gte: 3}
        """;

    private const string ManySecrets = """
        title: many secrets
        correlation:
          type: value_count
          rules: [secret_read]
          group-by: [userIdentity.arn]
          timespan: 5m
          condition: {gte: 3, field: requestParameters.secretId}
        """;

    [Fact]
    public void EventCount_OutOfTimeOrder_DoesNotCountMatchesFarApart()
    {
        // One region's file read after another's: the times jump back by hours. Before, the late
        // events were counted with the ones still queued from the other file: a burst that never was.
        var (set, engine) = Build(SecretBurst);
        Assert.Empty(Feed(set, engine,
        [
            (7200, "GetSecretValue", "alice", "a"), (7230, "GetSecretValue", "alice", "b"),
            (0, "GetSecretValue", "alice", "c"), (3600, "GetSecretValue", "alice", "d"), (100, "GetSecretValue", "alice", "e"),
        ]));
    }

    [Fact]
    public void EventCount_OutOfTimeOrder_FindsABurstWhoseMatchesArriveInAnyOrder()
    {
        var (set, engine) = Build(SecretBurst);
        var hit = Assert.Single(Feed(set, engine,
        [
            (7200, "GetSecretValue", "alice", "a"), (40, "GetSecretValue", "alice", "b"),
            (9000, "GetSecretValue", "alice", "c"), (0, "GetSecretValue", "alice", "d"), (20, "GetSecretValue", "alice", "e"),
        ]));
        Assert.Equal((T0, T0.AddSeconds(40), 3L), (hit.FirstSeen, hit.LastSeen, hit.Count));
    }

    [Fact]
    public void ValueCount_OutOfTimeOrder_CountsOnlyValuesWithinOneWindow()
    {
        const string correlation = ManySecrets;
        var (set, engine) = Build(correlation);
        Assert.Empty(Feed(set, engine, [(3600, "GetSecretValue", "alice", "a"), (0, "GetSecretValue", "alice", "b"), (3660, "GetSecretValue", "alice", "b"), (60, "GetSecretValue", "alice", "c")]));
        (set, engine) = Build(correlation);
        var hit = Assert.Single(Feed(set, engine, [(3600, "GetSecretValue", "alice", "a"), (60, "GetSecretValue", "alice", "b"), (3660, "GetSecretValue", "alice", "b"), (0, "GetSecretValue", "alice", "c"), (100, "GetSecretValue", "alice", "a")]));
        Assert.Equal((T0, T0.AddSeconds(100), 3L), (hit.FirstSeen, hit.LastSeen, hit.Count));
    }

    [Theory]
    [InlineData("event_count", 4)]
    [InlineData("value_count", 3)]
    public void CountsThatFireEarly_AgreeWithEveryWindowCountedByHand(string type, int needed)
    {
        // Random arrivals, partly out of time order, at rates around the threshold: each hit must be the
        // first window (by start) that holds the new arrival and enough matches, counted by brute force
        // over every match kept since the group last fired.
        var random = new Random(1130);
        var condition = type == "value_count" ? $"{{gte: {needed}, field: requestParameters.secretId}}" : $"{{gte: {needed}}}";
        var (set, engine) = Build($$"""
            title: burst
            correlation:
              type: {{type}}
              rules: [secret_read]
              group-by: [userIdentity.arn]
              timespan: 1m
              condition: {{condition}}
            """);
        var arrivals = new List<(int Seconds, string EventName, string User, string? Secret)>();
        var clock = 0;
        for (var i = 0; i < 3000; i++)
        {
            clock += random.Next(0, 25);
            var at = random.Next(10) == 0 ? Math.Max(0, clock - random.Next(0, 300)) : clock;
            // Bob reads only two secrets, too few for a distinct-value burst however often he reads them.
            var bob = random.Next(3) == 0;
            arrivals.Add((at, "GetSecretValue", bob ? "bob" : "alice", $"s{random.Next(bob && type == "value_count" ? 2 : 5)}"));
        }

        var expected = new List<(string User, DateTimeOffset First, DateTimeOffset Last, long Count)>();
        var kept = new Dictionary<string, List<(int Seconds, int Order, string Secret)>>();
        for (var i = 0; i < arrivals.Count; i++)
        {
            var (seconds, _, user, secret) = arrivals[i];
            if (!kept.TryGetValue(user, out var list))
            {
                kept[user] = list = [];
            }

            list.Add((seconds, i, secret!));
            var ordered = list.OrderBy(m => m.Seconds).ThenBy(m => m.Order).ToList();
            foreach (var start in ordered.Where(m => m.Seconds >= seconds - 60 && m.Seconds <= seconds))
            {
                var window = ordered.Where(m => m.Seconds >= start.Seconds && m.Seconds <= start.Seconds + 60 && (m.Seconds, m.Order).CompareTo((start.Seconds, start.Order)) >= 0).ToList();
                if (!window.Any(m => m.Order == i))
                {
                    continue;
                }

                long measure = type == "value_count" ? window.Select(m => m.Secret).Distinct().Count() : window.Count;
                if (measure >= needed)
                {
                    expected.Add((user, T0.AddSeconds(start.Seconds), T0.AddSeconds(window[^1].Seconds), measure));
                    list.Clear();
                    break;
                }
            }
        }

        var hits = Feed(set, engine, arrivals, flush: false);

        Assert.True(expected.Count > 20, $"the arrivals should make many bursts, made {expected.Count}");
        Assert.Equal(expected, hits.Select(h => (h.Group[0].Value!, h.FirstSeen, h.LastSeen, h.Count)));
    }

    [Fact]
    public void EventCount_KeptMatchesPerGroupAreCapped()
    {
        var (set, engine) = Build(SecretBurst.Replace("gte: 3", "gte: 50"), new CorrelationLimits { MaxEventsPerGroup = 10 });
        // 40 matches an hour apart: none fire, and only ten are remembered.
        Assert.Empty(Feed(set, engine, Enumerable.Range(0, 40).Select(i => (i * 3600, "GetSecretValue", "alice", (string?)"s")).ToList()));
        // The cap also bounds a real burst's count: ten is as many as can ever be seen.
        (set, engine) = Build(SecretBurst.Replace("gte: 3", "gte: 11"), new CorrelationLimits { MaxEventsPerGroup = 10 });
        Assert.Empty(Feed(set, engine, Enumerable.Range(0, 30).Select(i => (i, "GetSecretValue", "alice", (string?)"s")).ToList()));
        (set, engine) = Build(SecretBurst.Replace("gte: 3", "gte: 10"), new CorrelationLimits { MaxEventsPerGroup = 10 });
        var hits = Feed(set, engine, Enumerable.Range(0, 30).Select(i => (i, "GetSecretValue", "alice", (string?)"s")).ToList());
        Assert.Equal([(T0, T0.AddSeconds(9)), (T0.AddSeconds(10), T0.AddSeconds(19)), (T0.AddSeconds(20), T0.AddSeconds(29))], hits.Select(h => (h.FirstSeen, h.LastSeen)));
    }

    [Fact]
    public void ValueCount_PastTheCap_ForgetsTheValuesOfForgottenMatchesOnly()
    {
        // Five matches are kept. The old ones, hours apart, are forgotten one by one as the burst arrives;
        // the distinct values the group counts must lose exactly theirs, or the burst of three is missed.
        var (set, engine) = Build(ManySecrets, new CorrelationLimits { MaxEventsPerGroup = 5 });
        var hits = Feed(set, engine,
        [
            (0, "GetSecretValue", "alice", "x"), (3600, "GetSecretValue", "alice", "y"), (7200, "GetSecretValue", "alice", "z"),
            (10800, "GetSecretValue", "alice", "x"), (14400, "GetSecretValue", "alice", "p"),
            (36000, "GetSecretValue", "alice", "p"), (36010, "GetSecretValue", "alice", "q"), (36020, "GetSecretValue", "alice", "p"),
            (36030, "GetSecretValue", "alice", "x"),
        ], flush: false);

        var hit = Assert.Single(hits);
        Assert.Equal((T0.AddSeconds(36000), T0.AddSeconds(36030), 3L), (hit.FirstSeen, hit.LastSeen, hit.Count));
    }

    [Fact]
    public void EventCount_LessThan_IsJudgedWhenTheWindowCloses()
    {
        var (set, engine) = Build("""
            title: too few reads
            correlation:
              type: event_count
              rules: [secret_read]
              group-by: [userIdentity.arn]
              timespan: 1m
              condition: {lt: 2}
            """);
        var hits = Feed(set, engine, [(0, "GetSecretValue", "alice", "a"), (0, "GetSecretValue", "bob", "a"), (10, "GetSecretValue", "bob", "b")]);
        Assert.Equal("alice", Assert.Single(hits).Group[0].Value);
    }

    [Theory]
    [InlineData("{gte: 3, lte: 4}")]
    [InlineData("{lte: 4, gte: 3}")]
    public void EventCount_ARange_NeedsBothBounds_AndIsJudgedWhenTheWindowCloses(string condition)
    {
        // The specification writes a range as two keys of the condition, a conjunction: 3 to 4 reads an hour.
        var (set, engine) = Build($"""
            title: three or four reads
            correlation:
              type: event_count
              rules: [secret_read]
              group-by: [userIdentity.arn]
              timespan: 1h
              condition: {condition}
            """);
        var hits = Feed(set, engine, [
            (0, "GetSecretValue", "one", "a"),
            .. Enumerable.Range(0, 3).Select(i => (i, "GetSecretValue", "three", (string?)"a")),
            .. Enumerable.Range(0, 4).Select(i => (i, "GetSecretValue", "four", (string?)"a")),
            .. Enumerable.Range(0, 6).Select(i => (i, "GetSecretValue", "six", (string?)"a")),
        ]);

        Assert.Equal(["four", "three"], hits.Select(h => h.Group[0].Value).Order());
        Assert.Equal([3L, 4L], hits.Select(h => h.Count).Order());
    }

    [Fact]
    public void ClosingWindowConditions_KeepCountsNotEvents()
    {
        var (set, engine) = Build("""
            title: exactly three distinct secrets
            correlation:
              type: value_count
              rules: [secret_read]
              group-by: [userIdentity.arn]
              timespan: 1h
              condition: {eq: 3, field: requestParameters.secretId}
            """);
        var events = Enumerable.Range(0, 3_000).Select(i => (i, "GetSecretValue", "alice", (string?)$"s{i % 3}"));
        var hit = Assert.Single(Feed(set, engine, events));
        Assert.Equal(3, hit.Count);
        Assert.Equal(T0.AddSeconds(2_999), hit.LastSeen);
    }

    [Fact]
    public void ValueCount_CountsDistinctValues()
    {
        var (set, engine) = Build(ManySecrets);
        Assert.Empty(Feed(set, engine, [(0, "GetSecretValue", "alice", "a"), (1, "GetSecretValue", "alice", "a"), (2, "GetSecretValue", "alice", "b"), (3, "GetSecretValue", "alice", "b")]));
        var hit = Assert.Single(Feed(set, engine, [(10, "GetSecretValue", "bob", "a"), (11, "GetSecretValue", "bob", "b"), (12, "GetSecretValue", "bob", "c")]));
        Assert.Equal(3, hit.Count);
    }

    [Fact]
    public void Temporal_NeedsEveryRuleWithinTheTimespan_InAnyOrder()
    {
        const string correlation = """
            title: user then key
            correlation:
              type: temporal
              rules: [user_created, key_created]
              group-by: [userIdentity.arn]
              timespan: 10m
            """;
        var (set, engine) = Build(correlation);
        Assert.Single(Feed(set, engine, [(0, "CreateAccessKey", "alice", null), (60, "CreateUser", "alice", null)]));
        (set, engine) = Build(correlation);
        Assert.Empty(Feed(set, engine, [(0, "CreateUser", "alice", null), (60, "CreateAccessKey", "bob", null)]));
        (set, engine) = Build(correlation);
        Assert.Empty(Feed(set, engine, [(0, "CreateUser", "alice", null), (3600, "CreateAccessKey", "alice", null)]));
    }

    [Fact]
    public void TemporalOrdered_RequiresTheOrder()
    {
        const string correlation = """
            title: user then key, in order
            correlation:
              type: temporal_ordered
              rules: [user_created, key_created]
              group-by: [userIdentity.arn]
              timespan: 10m
            """;
        var (set, engine) = Build(correlation);
        var hit = Assert.Single(Feed(set, engine, [(0, "CreateUser", "alice", null), (60, "CreateAccessKey", "alice", null)]));
        Assert.Equal(T0, hit.FirstSeen);
        (set, engine) = Build(correlation);
        Assert.Empty(Feed(set, engine, [(0, "CreateAccessKey", "alice", null), (60, "CreateUser", "alice", null)]));
        (set, engine) = Build(correlation);
        Assert.Empty(Feed(set, engine, [(0, "CreateUser", "alice", null), (1200, "CreateAccessKey", "alice", null)]));
    }

    [Fact]
    public void TemporalOrdered_JudgesByEventTime_NotArrivalOrder()
    {
        const string correlation = """
            title: user then key, in order
            correlation:
              type: temporal_ordered
              rules: [user_created, key_created, secret_read]
              group-by: [userIdentity.arn]
              timespan: 10m
            """;
        var (set, engine) = Build(correlation);
        var hit = Assert.Single(Feed(set, engine, [(60, "CreateAccessKey", "alice", null), (120, "GetSecretValue", "alice", "s"), (0, "CreateUser", "alice", null)]));
        Assert.Equal((T0, T0.AddSeconds(120)), (hit.FirstSeen, hit.LastSeen));
        (set, engine) = Build(correlation);
        Assert.Empty(Feed(set, engine, [(0, "CreateAccessKey", "alice", null), (60, "CreateUser", "alice", null), (120, "GetSecretValue", "alice", "s")]));
        (set, engine) = Build(correlation);
        Assert.Single(Feed(set, engine, [(0, "CreateAccessKey", "alice", null), (60, "CreateUser", "alice", null), (90, "CreateAccessKey", "alice", null), (120, "GetSecretValue", "alice", "s")]));
    }

    [Theory]
    [InlineData("temporal")]
    [InlineData("temporal_ordered")]
    public void Temporal_APairArrivingAfterALaterMatch_IsStillFound(string type)
    {
        // Hunting a folder reads a file with a later match before the file with the pair (files by name, regions one
        // after another): keeping only each rule's latest time, or forgetting times more than the timespan older than
        // the group's newest, lost the pair.
        var correlation = $$"""
            title: user then key
            correlation:
              type: {{type}}
              rules: [user_created, key_created]
              group-by: [userIdentity.arn]
              timespan: 5m
            """;
        var (set, engine) = Build(correlation);

        var hit = Assert.Single(Feed(set, engine, [(1800, "CreateUser", "alice", null), (1800 + 3600, "CreateAccessKey", "alice", null), (0, "CreateUser", "alice", null), (120, "CreateAccessKey", "alice", null)]));

        Assert.Equal((T0, T0.AddSeconds(120)), (hit.FirstSeen, hit.LastSeen));
        (set, engine) = Build(correlation);
        // Still within the timespan only: the late pair is 6 minutes apart.
        Assert.Empty(Feed(set, engine, [(1800, "CreateUser", "alice", null), (0, "CreateUser", "alice", null), (360, "CreateAccessKey", "alice", null)]));
    }

    [Fact]
    public void Aliases_GroupDifferentFieldsTogether()
    {
        var (set, engine) = Build("""
            title: user created then used for a key
            correlation:
              type: temporal_ordered
              rules: [user_created, key_created]
              group-by: [target_user]
              timespan: 10m
              aliases:
                target_user:
                  user_created: requestParameters.userName
                  key_created: requestParameters.userName
            """);
        var hits = new List<CorrelationHit>();
        foreach (var (s, json) in new[]
                 {
                     (0, """{"eventName":"CreateUser","requestParameters":{"userName":"eve"}}"""),
                     (5, """{"eventName":"CreateAccessKey","requestParameters":{"userName":"eve"}}"""),
                 })
        {
            var e = TestEvents.Aws(json, T0.AddSeconds(s));
            foreach (var rule in set.Match(e))
            {
                engine.Observe(e, rule, hits);
            }
        }

        Assert.Equal("eve", Assert.Single(hits).Group.Single().Value);
    }

    [Fact]
    public void State_IsBounded_ExpiredGroupsAreEvictedAndGroupsCapped()
    {
        var (set, engine) = Build("""
            title: secret burst
            correlation:
              type: event_count
              rules: [secret_read]
              group-by: [userIdentity.arn]
              timespan: 1m
              condition: {gte: 1000}
            """, new CorrelationLimits { MaxGroupsPerCorrelation = 500, SweepInterval = 100 });
        var events = Enumerable.Range(0, 5_000).Select(i => (i / 10, "GetSecretValue", $"user{i}", (string?)"s"));
        Feed(set, engine, events, flush: false);
        Assert.True(engine.OpenGroups <= 500, $"{engine.OpenGroups} groups open");

        var (set2, engine2) = Build("""
            title: secret burst
            correlation:
              type: event_count
              rules: [secret_read]
              group-by: [userIdentity.arn]
              timespan: 1m
              condition: {gte: 1000}
            """, new CorrelationLimits { MaxGroupsPerCorrelation = 100, SweepInterval = 1_000_000 });
        Feed(set2, engine2, Enumerable.Range(0, 1_000).Select(i => (0, "GetSecretValue", $"user{i}", (string?)"s")), flush: false);
        Assert.True(engine2.OpenGroups <= 100);
        Assert.True(engine2.EvictedGroups > 0);
    }

    private const string TwoEventsByName = """
        title: by name
        name: by_name
        logsource: {product: aws, service: cloudtrail}
        detection:
          sel: {userIdentity.arn: eve}
          condition: sel
        ---
        title: two events
        correlation:
          type: event_count
          rules: [user_created, by_name]
          group-by: [userIdentity.arn]
          timespan: 10m
          condition: {gte: 2}
        """;

    [Fact]
    public void EventCount_CountsAnEventMatchingTwoOfItsRules_Once()
    {
        // "Counts events": one CreateUser event matched both rules and was counted twice, meeting gte: 2 alone.
        var (set, engine) = Build(TwoEventsByName);

        Assert.Empty(Feed(set, engine, [(0, "CreateUser", "eve", null)]));
        var (set2, engine2) = Build(TwoEventsByName);
        Assert.Equal(2, Assert.Single(Feed(set2, engine2, [(0, "CreateUser", "eve", null), (60, "CreateUser", "eve", null)])).Count);
    }

    [Theory]
    // The condition of temporal_ordered counts the rules matched in order, as temporal's counts the rules matched;
    // every step was needed whatever it said.
    [InlineData("{gte: 2}", new[] { "CreateUser", "CreateAccessKey" }, 2)]
    [InlineData("{gte: 2}", new[] { "CreateAccessKey", "GetSecretValue" }, 2)]
    [InlineData("{gte: 2}", new[] { "CreateUser", "GetSecretValue" }, 2)]
    [InlineData("{gte: 2}", new[] { "CreateAccessKey", "CreateUser" }, 0)]
    [InlineData("{gte: 2}", new[] { "GetSecretValue", "CreateAccessKey", "CreateUser" }, 0)]
    [InlineData("{gte: 3}", new[] { "CreateUser", "CreateAccessKey" }, 0)]
    [InlineData("{gte: 3}", new[] { "CreateUser", "CreateAccessKey", "GetSecretValue" }, 3)]
    public void TemporalOrdered_Condition_CountsTheRulesMatchedInOrder(string condition, string[] names, int count)
    {
        var (set, engine) = Build($"""
            title: user, key, then secret
            correlation:
              type: temporal_ordered
              rules: [user_created, key_created, secret_read]
              group-by: [userIdentity.arn]
              timespan: 10m
              condition: {condition}
            """);

        var hits = Feed(set, engine, names.Select((name, i) => (i * 60, name, "eve", (string?)"s")));

        if (count == 0)
        {
            Assert.Empty(hits);
        }
        else
        {
            Assert.Equal(count, Assert.Single(hits).Count);
        }
    }

    [Theory]
    // A region's or an account's files read after another's: its matches arrive days behind the newest seen,
    // and a sweep falling between two of them emptied its groups, so a burst was cut in two and never counted whole.
    [InlineData("{gte: 3}")]
    [InlineData("{eq: 3}")]
    public void AGroupFarBehindTheNewestMatch_IsNotSweptWhileItsMatchesKeepArriving(string condition)
    {
        static (CompiledRuleSet, CorrelationEngine) Burst(string condition) => Build($"""
            title: secret burst
            correlation:
              type: event_count
              rules: [secret_read]
              group-by: [userIdentity.arn]
              timespan: 10m
              condition: {condition}
            """, new CorrelationLimits { SweepInterval = 4 });
        var (set, engine) = Burst(condition);
        var day3 = 2 * 86_400;
        var events = new (int, string, string, string?)[]
        {
            (day3, "GetSecretValue", "other", "s"), (day3 + 1, "GetSecretValue", "other2", "s"), (day3 + 2, "GetSecretValue", "other3", "s"),
            (0, "GetSecretValue", "eve", "s"), // the fourth match: a sweep follows it
            (60, "GetSecretValue", "eve", "s"), (120, "GetSecretValue", "eve", "s"),
        };
        var hits = Feed(set, engine, events);
        var hit = Assert.Single(hits, h => h.Group.Single().Value == "eve");
        Assert.Equal(3, hit.Count);

        // Groups that old go once they are idle: the state stays bounded.
        var (set2, engine2) = Burst("{gte: 3}");
        Feed(set2, engine2, [.. events, .. Enumerable.Range(0, 12).Select(i => (day3 + 700 + i, "GetSecretValue", "other", (string?)"s"))], flush: false);
        Assert.Equal(1, engine2.OpenGroups);
    }

    [Fact]
    public void GenerateFalse_SuppressesStandaloneHitsOfBaseRules()
    {
        var (set, engine) = Build("""
            title: secret burst
            correlation:
              type: event_count
              rules: [secret_read]
              timespan: 1m
              condition: {gte: 3}
            """);
        Assert.True(engine.SuppressesStandaloneHits(set.Rules.Single(r => r.Rule.Name == "secret_read")));
        Assert.False(engine.SuppressesStandaloneHits(set.Rules.Single(r => r.Rule.Name == "key_created")));
    }

    [Theory]
    // Inside correlation (as pySigma reads it) and beside level (as the specification lists it).
    [InlineData("correlation:\n  generate: true\n  type: event_count")]
    [InlineData("generate: true\ncorrelation:\n  type: event_count")]
    public void GenerateTrue_KeepsStandaloneHits_WhereverItIsWritten(string head)
    {
        var (set, engine) = Build("title: secret burst\n" + head + "\n  rules: [secret_read]\n  timespan: 1m\n  condition: {gte: 3}\n");
        Assert.True(Assert.Single(set.Correlations).Generate);
        Assert.False(engine.SuppressesStandaloneHits(set.Rules.Single(r => r.Rule.Name == "secret_read")));
    }

    [Fact]
    public void UnknownRuleReference_IsADiagnostic()
    {
        var parsed = SigmaParser.Parse(BaseRules + "title: bad\ncorrelation:\n  type: event_count\n  rules: [nope]\n  timespan: 1m\n  condition: {gte: 2}\n", "c.yml");
        var set = CompiledRuleSet.Compile(parsed.Documents);
        Assert.Contains("nope", Assert.Single(set.Diagnostics).Message);
        Assert.Empty(set.Correlations);
    }

    [Theory]
    [InlineData("type: sometimes", "unknown correlation type")]
    [InlineData("type: event_count\n  rules: [secret_read]\n  timespan: soon\n  condition: {gte: 2}", "not a timespan")]
    [InlineData("type: value_count\n  rules: [secret_read]\n  timespan: 1h\n  condition: {gte: 2}", "needs 'field'")]
    public void InvalidCorrelations_AreReported(string body, string message)
    {
        var parsed = SigmaParser.Parse("title: bad\ncorrelation:\n  " + body + "\n", "c.yml");
        Assert.Contains(message, Assert.Single(parsed.Diagnostics).Message);
    }

    [Theory]
    // "Fewer than two of the rules within the timespan" holds only for a window that ended without the second: judged
    // as each match came, the first match of every group fired, even when the other rule matched a minute later.
    [InlineData("temporal", "{lt: 2}")]
    [InlineData("temporal_ordered", "{lt: 2}")]
    [InlineData("temporal", "{eq: 1}")]
    [InlineData("temporal", "{lte: 1}")]
    public void Temporal_UpperBoundsAndEqualities_AreJudgedWhenTheWindowCloses(string type, string condition)
    {
        var (set, engine) = Build($"""
            title: a user without a key
            correlation:
              type: {type}
              rules: [user_created, key_created]
              group-by: [userIdentity.arn]
              timespan: 10m
              condition: {condition}
            """);
        var hits = Feed(set, engine, [(0, "CreateUser", "alice", null), (0, "CreateUser", "bob", null), (60, "CreateAccessKey", "bob", null)]);
        var hit = Assert.Single(hits);
        Assert.Equal(("alice", 1L, T0, T0), (hit.Group[0].Value, hit.Count, hit.FirstSeen, hit.LastSeen));
    }

    [Fact]
    public void Temporal_EqualToFewerThanAll_IsNotMetWhenEveryRuleMatched()
    {
        var (set, engine) = Build("""
            title: exactly two of three
            correlation:
              type: temporal
              rules: [secret_read, key_created, user_created]
              group-by: [userIdentity.arn]
              timespan: 10m
              condition: {eq: 2}
            """);
        var hits = Feed(set, engine, [
            (0, "GetSecretValue", "eve", "a"), (10, "CreateAccessKey", "eve", null), (20, "CreateUser", "eve", null),
            (0, "GetSecretValue", "frank", "a"), (30, "CreateUser", "frank", null),
        ]);
        var hit = Assert.Single(hits);
        Assert.Equal(("frank", 2L, T0, T0.AddSeconds(30)), (hit.Group[0].Value, hit.Count, hit.FirstSeen, hit.LastSeen));
    }

    [Fact]
    public void TemporalOrdered_AnUpperBound_CountsTheRulesMatchedInOrderWhenTheWindowCloses()
    {
        // The key before the user is not "user, then key": one rule in order, fewer than two.
        var (set, engine) = Build("""
            title: no key after a new user
            correlation:
              type: temporal_ordered
              rules: [user_created, key_created]
              group-by: [userIdentity.arn]
              timespan: 10m
              condition: {lt: 2}
            """);
        var hits = Feed(set, engine, [(0, "CreateAccessKey", "alice", null), (60, "CreateUser", "alice", null), (0, "CreateUser", "bob", null), (60, "CreateAccessKey", "bob", null)]);
        Assert.Equal("alice", Assert.Single(hits).Group[0].Value);
    }

    [Theory]
    // The match that closes a window lies outside it: the hit reports the window's own first and last match.
    [InlineData("event_count", "{lt: 3}")]
    [InlineData("value_count", "{lt: 3, field: requestParameters.secretId}")]
    [InlineData("temporal", "{lt: 2}")]
    public void AClosingWindowsHit_SpansItsOwnMatches_NotTheMatchThatClosedIt(string type, string condition)
    {
        var (set, engine) = Build($"""
            title: few reads
            correlation:
              type: {type}
              rules: [secret_read]
              group-by: [userIdentity.arn]
              timespan: 1m
              condition: {condition}
            """);
        var hits = Feed(set, engine, [(10, "GetSecretValue", "alice", "b"), (0, "GetSecretValue", "alice", "a"), (300, "GetSecretValue", "alice", "c")]);
        Assert.Equal([(T0, T0.AddSeconds(10)), (T0.AddSeconds(300), T0.AddSeconds(300))], hits.Select(h => (h.FirstSeen, h.LastSeen)));
    }

    [Fact]
    public void AChain_TakesAnInnerClosingWindowsHit_AtTheTimeOfItsOwnMatches()
    {
        // The inner window (reads at 0 s and 10 s) is closed by a read at 300 s; seen at 300 s, the inner hit came
        // after the key at 30 s, and "few reads, then a key" was missed.
        var (set, engine) = Build("""
            title: few reads
            name: few_reads
            correlation:
              type: event_count
              rules: [secret_read]
              group-by: [userIdentity.arn]
              timespan: 1m
              condition: {lt: 3}
            ---
            title: few reads then a key
            correlation:
              type: temporal_ordered
              rules: [few_reads, key_created]
              group-by: [userIdentity.arn]
              timespan: 1m
            """);
        var hits = Feed(set, engine, [(0, "GetSecretValue", "alice", "a"), (10, "GetSecretValue", "alice", "b"), (30, "CreateAccessKey", "alice", null), (300, "GetSecretValue", "alice", "c")]);
        var chained = Assert.Single(hits, h => h.Correlation.Title == "few reads then a key");
        Assert.Equal((T0.AddSeconds(10), T0.AddSeconds(30)), (chained.FirstSeen, chained.LastSeen));
    }

    [Theory]
    // Group values were joined with a control character, and a missing value written as another: values holding
    // them (JSON can carry any character) made two groups one.
    [InlineData("a\u001fb", "c", "a", "b\u001fc")]
    [InlineData("a", "\u0000", "a", null)]
    [InlineData("a-", "b", "a", "-b")]
    public void GroupsBySeveralFields_NeverRunTogether_WhateverTheirValuesHold(string user1, string? secret1, string user2, string? secret2)
    {
        var (set, engine) = Build("""
            title: reads per user and secret
            correlation:
              type: event_count
              rules: [secret_read]
              group-by: [userIdentity.arn, requestParameters.secretId]
              timespan: 1m
              condition: {gte: 2}
            """);
        static string Unescape(string s) => System.Text.RegularExpressions.Regex.Unescape(s);
        Assert.Empty(Feed(set, engine, [(0, "GetSecretValue", Unescape(user1), secret1 is null ? null : Unescape(secret1)), (1, "GetSecretValue", Unescape(user2), secret2 is null ? null : Unescape(secret2))]));
        Assert.Single(Feed(set, engine, [(100, "GetSecretValue", Unescape(user1), secret1 is null ? null : Unescape(secret1)), (101, "GetSecretValue", Unescape(user1), secret1 is null ? null : Unescape(secret1))]));
    }

    [Theory]
    // The specification's rules are unique items: one rule listed twice let a single match stand for both steps.
    [InlineData("[secret_read, secret_read]")]
    [InlineData("[secret_read, 3e0d1c9a-51a4-4c55-9c3e-6a1f2b3c4d01]")]
    public void ACorrelationReferringToOneRuleTwice_IsAnError(string rules)
    {
        var parsed = SigmaParser.Parse(BaseRules + $"title: read twice\ncorrelation:\n  type: temporal\n  rules: {rules}\n  group-by: [userIdentity.arn]\n  timespan: 10m\n", "c.yml");
        Assert.Empty(parsed.Diagnostics);
        var set = CompiledRuleSet.Compile(parsed.Documents);
        Assert.Contains("refers to one rule twice", Assert.Single(set.Diagnostics).Message);
        Assert.Empty(set.Correlations);
    }
}
