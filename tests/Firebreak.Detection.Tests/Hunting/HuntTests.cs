using Firebreak.Detection.Events;
using Firebreak.Detection.Hunting;
using Firebreak.Detection.Sigma;

namespace Firebreak.Detection.Tests.Hunting;

public class HuntTests
{
    private static readonly DateTimeOffset T0 = new(2026, 6, 1, 0, 0, 0, TimeSpan.Zero);

    /// <summary>The base rule the correlations here count.</summary>
    private const string SecretRead = """
        title: secret read
        name: secret_read
        logsource: {product: aws, service: cloudtrail}
        detection:
          sel: {eventName: GetSecretValue}
          condition: sel
        """;

    private static CompiledRuleSet Rules()
    {
        var parsed = SigmaParser.Parse($$"""
            title: Trail stopped
            id: 0b1c2d3e-4f50-4a61-8b72-93a4b5c6d7e8
            level: high
            tags: [attack.defense-evasion]
            logsource: {product: aws, service: cloudtrail}
            detection:
              sel: {eventSource: cloudtrail.amazonaws.com, eventName: StopLogging}
              condition: sel
            ---
            {{SecretRead}}
            ---
            title: Secret burst
            id: 1c2d3e4f-5061-4b72-8c83-a4b5c6d7e8f9
            level: medium
            correlation:
              type: event_count
              rules: [secret_read]
              group-by: [userIdentity.arn]
              timespan: 5m
              condition: {gte: 10}
            """, "hunt.yml");
        Assert.Empty(parsed.Diagnostics);
        return CompiledRuleSet.Compile(parsed.Documents);
    }

    private static async IAsyncEnumerable<CloudEvent> Stream(int count, Func<int, string> json)
    {
        for (var i = 0; i < count; i++)
        {
            yield return TestEvents.Aws(json(i), T0.AddSeconds(i));
            if (i % 1000 == 0)
            {
                await Task.Yield();
            }
        }
    }

    private static string Noise(int i) => $$"""{"eventSource":"ec2.amazonaws.com","eventName":"DescribeInstances","n":{{i}}}""";

    [Fact]
    public async Task SingleStream_YieldsHitsWithMatchedFields_AndCounts()
    {
        var hunt = new Hunt(Rules(), new HuntOptions { Workers = 2, BatchSize = 64 });
        var hits = await hunt.RunAsync(Stream(10_000, i => i % 1000 == 7
            ? """{"eventSource":"cloudtrail.amazonaws.com","eventName":"StopLogging"}"""
            : Noise(i)), TestContext.Current.CancellationToken).ToListAsync(TestContext.Current.CancellationToken);

        Assert.Equal(10, hits.Count);
        Assert.All(hits, h =>
        {
            Assert.Equal(HuntHitKind.Rule, h.Kind);
            Assert.Equal("Trail stopped", h.Title);
            Assert.Equal("high", h.Level);
            Assert.Contains(new MatchedField("eventName", "StopLogging"), h.Fields);
            Assert.NotNull(h.Event);
        });
        Assert.Equal(10_000, hunt.Statistics.Events);
        Assert.Equal(10, hunt.Statistics.Hits);
        Assert.Equal(10, hunt.Statistics.HitsByRule["0b1c2d3e-4f50-4a61-8b72-93a4b5c6d7e8"]);
    }

    [Fact]
    public async Task Projection_DropsWhatItMapsToNull_AndEveryHitIsStillCounted()
    {
        var hunt = new Hunt(Rules(), new HuntOptions { Workers = 2, BatchSize = 16 });
        var lines = await hunt.RunAsync(
            [Stream(20_000, i => i % 100 == 3
                ? $$"""{"eventSource":"cloudtrail.amazonaws.com","eventName":"StopLogging","n":{{i}}}"""
                : i % 10 == 5 ? """{"eventName":"GetSecretValue","userIdentity":{"arn":"arn:aws:iam::1:user/eve"}}""" : Noise(i))],
            hit => hit.Kind == HuntHitKind.Correlation ? null : $"{hit.Title}:{hit.Event!.Raw.GetProperty("n").GetInt32()}",
            TestContext.Current.CancellationToken).ToListAsync(TestContext.Current.CancellationToken);

        Assert.Equal(
            Enumerable.Range(0, 200).Select(i => $"Trail stopped:{(i * 100) + 3}").Order(StringComparer.Ordinal),
            lines.Order(StringComparer.Ordinal));
        var bursts = hunt.Statistics.HitsByRule["1c2d3e4f-5061-4b72-8c83-a4b5c6d7e8f9"];
        Assert.True(bursts > 0, "the secret reads make bursts, which the projection drops but the statistics count");
        Assert.Equal(200 + bursts, hunt.Statistics.Hits);
    }

    [Fact]
    public async Task AProjectionThatFails_StopsTheHuntAtOnce_WithItsOwnException()
    {
        // Two workers: when one fails, the other must not go on matching the rest of the input, and the
        // caller must see the failure, not the cancellation it caused.
        var hunt = new Hunt(Rules(), new HuntOptions { Workers = 2, BatchSize = 64 });
        var ex = await Assert.ThrowsAsync<InvalidOperationException>(async () => await hunt.RunAsync(
            [Stream(5_000_000, i => i == 100 ? """{"eventSource":"cloudtrail.amazonaws.com","eventName":"StopLogging"}""" : Noise(i))],
            HuntTests.FailingProjection,
            TestContext.Current.CancellationToken).ToListAsync(TestContext.Current.CancellationToken));

        Assert.Equal("cannot format this hit", ex.Message);
        Assert.True(hunt.Statistics.Events < 1_000_000, $"the hunt went on after the failure: {hunt.Statistics.Events} events matched");
    }

    private static string? FailingProjection(HuntHit hit) => throw new InvalidOperationException("cannot format this hit");

    [Fact]
    public async Task SeveralStreams_AreAllConsumed()
    {
        var hunt = new Hunt(Rules());
        var sources = Enumerable.Range(0, 3).Select(s => Stream(2_000 + s, i => i == 5
            ? """{"eventSource":"cloudtrail.amazonaws.com","eventName":"StopLogging"}"""
            : Noise(i))).ToList();
        var hits = await hunt.RunAsync(sources, TestContext.Current.CancellationToken).ToListAsync(TestContext.Current.CancellationToken);
        Assert.Equal(3, hits.Count);
        Assert.Equal(6_003, hunt.Statistics.Events);
    }

    [Fact]
    public async Task CorrelationHits_AreTheSameWhicheverWorkerFinishesFirst()
    {
        // A window fires as soon as it holds enough matches and then starts again, so what fires depends on
        // the order matches are seen in. The first batch holds an event that takes one worker a while (a long
        // field under a regular expression), so the other worker matches the second batch first; the engine
        // must still see the first batch's matches first, as the stream gave them. Seen in stream order, the
        // reads at 0, 1 and 2 s fill a window and those at 50 and 51 s are too few; seen the other way round,
        // 50 and 51 s filled a window with the read at 0 s.
        var parsed = SigmaParser.Parse($$"""
            title: slow
            logsource: {product: aws, service: cloudtrail}
            detection:
              sel: {payload|re: 'x+y'}
              condition: sel
            ---
            {{SecretRead}}
            ---
            title: Three reads
            correlation:
              type: event_count
              rules: [secret_read]
              group-by: [userIdentity.arn]
              timespan: 1m
              condition: {gte: 3}
            """, "order.yml");
        Assert.Empty(parsed.Diagnostics);
        var rules = CompiledRuleSet.Compile(parsed.Documents);
        const string Read = """{"eventName":"GetSecretValue","userIdentity":{"arn":"arn:aws:iam::1:user/eve"}}""";
        var slow = $$"""{"eventName":"Other","payload":"{{new string('x', 4_000_000)}}"}""";
        async IAsyncEnumerable<CloudEvent> Events()
        {
            yield return TestEvents.Aws(slow, T0);
            foreach (var second in new[] { 0, 1, 2, 50, 51 })
            {
                yield return TestEvents.Aws(Read, T0.AddSeconds(second));
            }

            yield return TestEvents.Aws(Noise(1), T0.AddSeconds(52));
            yield return TestEvents.Aws(Noise(2), T0.AddSeconds(53));
            await Task.CompletedTask;
        }

        for (var run = 0; run < 3; run++)
        {
            var hunt = new Hunt(rules, new HuntOptions { Workers = 2, BatchSize = 4 });
            var hits = await hunt.RunAsync(Events(), TestContext.Current.CancellationToken).ToListAsync(TestContext.Current.CancellationToken);

            var correlation = Assert.Single(hits, h => h.Kind == HuntHitKind.Correlation).Correlation!;
            Assert.Equal((T0, T0.AddSeconds(2), 3L), (correlation.FirstSeen, correlation.LastSeen, correlation.Count));
        }
    }

    [Fact]
    public async Task CorrelationHits_AreYielded_BaseRuleHitsAreNot()
    {
        var hunt = new Hunt(Rules(), new HuntOptions { Workers = 2, BatchSize = 4 });
        var hits = await hunt.RunAsync(Stream(30, i => i < 12
            ? """{"eventName":"GetSecretValue","userIdentity":{"arn":"arn:aws:iam::1:user/eve"}}"""
            : Noise(i)), TestContext.Current.CancellationToken).ToListAsync(TestContext.Current.CancellationToken);
        var hit = Assert.Single(hits);
        Assert.Equal(HuntHitKind.Correlation, hit.Kind);
        Assert.Equal("Secret burst", hit.Title);
        Assert.Equal([new MatchedField("userIdentity.arn", "arn:aws:iam::1:user/eve")], hit.Fields);
        Assert.Equal(10, hit.Correlation!.Count);
    }

    [Fact]
    public async Task ChainedCorrelations_AreHunted_AndTheInnerOneIsNotShownOnItsOwn()
    {
        // A burst of reads then, within the hour, a trail stopped by the same principal: the outer correlation takes
        // the inner one's hits as its matches. Events go in small batches to two workers.
        var parsed = SigmaParser.Parse($$"""
            title: Trail stopped
            name: trail_stopped
            logsource: {product: aws, service: cloudtrail}
            detection:
              sel: {eventName: StopLogging}
              condition: sel
            ---
            {{SecretRead}}
            ---
            title: Secret burst
            name: secret_burst
            correlation:
              type: event_count
              rules: [secret_read]
              group-by: [userIdentity.arn]
              timespan: 5m
              condition: {gte: 10}
            ---
            title: Burst then trail stopped
            level: critical
            correlation: {type: temporal_ordered, rules: [secret_burst, trail_stopped], group-by: [userIdentity.arn], timespan: 1h}
            """, "chain.yml");
        var rules = CompiledRuleSet.Compile(parsed.Documents);
        Assert.Empty(rules.Diagnostics);
        var hunt = new Hunt(rules, new HuntOptions { Workers = 2, BatchSize = 4 });

        var hits = await hunt.RunAsync(Stream(40, i => i switch
        {
            < 12 => """{"eventName":"GetSecretValue","userIdentity":{"arn":"arn:aws:iam::1:user/eve"}}""",
            30 => """{"eventName":"StopLogging","userIdentity":{"arn":"arn:aws:iam::1:user/eve"}}""",
            31 => """{"eventName":"StopLogging","userIdentity":{"arn":"arn:aws:iam::1:user/ops"}}""",
            _ => Noise(i),
        }), TestContext.Current.CancellationToken).ToListAsync(TestContext.Current.CancellationToken);

        var hit = Assert.Single(hits);
        Assert.Equal(("Burst then trail stopped", "critical"), (hit.Title, hit.Level));
        Assert.Equal([new MatchedField("userIdentity.arn", "arn:aws:iam::1:user/eve")], hit.Fields);
        Assert.Equal((T0.AddSeconds(9), T0.AddSeconds(30)), (hit.Correlation!.FirstSeen, hit.Correlation.LastSeen));
    }

    [Fact]
    public async Task StoppingEarly_EndsThePipeline()
    {
        var hunt = new Hunt(Rules(), new HuntOptions { Workers = 2, BatchSize = 8, QueuedBatches = 2 });
        var first = await hunt.RunAsync(Stream(1_000_000, _ => """{"eventSource":"cloudtrail.amazonaws.com","eventName":"StopLogging"}"""), TestContext.Current.CancellationToken)
            .FirstAsync(TestContext.Current.CancellationToken);
        Assert.Equal("Trail stopped", first.Title);
        Assert.True(hunt.Statistics.Events < 1_000_000);
    }

    [Fact]
    public async Task Cancellation_StopsTheHunt()
    {
        using var cancel = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        var hunt = new Hunt(Rules(), new HuntOptions { BatchSize = 16, QueuedBatches = 2 });
        var seen = 0;
        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () =>
        {
            await foreach (var _ in hunt.RunAsync(Stream(10_000_000, _ => """{"eventSource":"cloudtrail.amazonaws.com","eventName":"StopLogging"}"""), cancel.Token))
            {
                if (++seen == 100)
                {
                    await cancel.CancelAsync();
                }
            }
        });
        Assert.True(hunt.Statistics.Events < 10_000_000);
    }

    [Fact]
    public async Task ReaderFailure_IsSurfacedToTheCaller()
    {
        static async IAsyncEnumerable<CloudEvent> Broken()
        {
            yield return TestEvents.Aws(Noise(0));
            await Task.Yield();
            throw new InvalidDataException("truncated gzip member");
        }

        var hunt = new Hunt(Rules());
        var ex = await Assert.ThrowsAsync<InvalidDataException>(async () => await hunt.RunAsync(Broken(), TestContext.Current.CancellationToken).ToListAsync(TestContext.Current.CancellationToken));
        Assert.Equal("truncated gzip member", ex.Message);
    }
}
