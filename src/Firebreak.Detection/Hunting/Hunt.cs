using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using System.Runtime.ExceptionServices;
using System.Runtime.InteropServices;
using System.Threading.Channels;
using Firebreak.Detection.Events;
using Firebreak.Detection.Sigma;

namespace Firebreak.Detection.Hunting;

public sealed record HuntOptions
{
    /// <summary>Matching workers; defaults to one per core.</summary>
    public int Workers { get; init; } = Environment.ProcessorCount;

    /// <summary>Events handed to a worker at once; batching keeps channel overhead off the per-event path.</summary>
    public int BatchSize { get; init; } = 256;

    /// <summary>Batches buffered between readers and workers, bounding memory when readers outpace matching.</summary>
    public int QueuedBatches { get; init; } = 8;

    public CorrelationLimits CorrelationLimits { get; init; } = new();
}

public enum HuntHitKind
{
    Rule,
    Correlation,
}

/// <summary>
/// One finding of a hunt: a detection rule matching an event (with the rule's fields as found in it)
/// or a correlation rule whose condition was met for a group.
/// </summary>
public sealed record HuntHit(
    HuntHitKind Kind,
    string RuleKey,
    string Title,
    string? Level,
    IReadOnlyList<string> Tags,
    CloudEvent? Event,
    IReadOnlyList<MatchedField> Fields,
    CorrelationHit? Correlation);

/// <summary>Running totals of a hunt; safe to read while it runs.</summary>
public sealed class HuntStatistics
{
    private readonly ConcurrentDictionary<string, long> hitsByRule = new(StringComparer.Ordinal);
    private long events;
    private long hits;

    public long Events => Interlocked.Read(ref events);

    public long Hits => Interlocked.Read(ref hits);

    public IReadOnlyDictionary<string, long> HitsByRule => hitsByRule.ToDictionary(p => p.Key, p => p.Value, StringComparer.Ordinal);

    internal void AddEvents(long count) => Interlocked.Add(ref events, count);

    internal void AddHits(string rule, long count)
    {
        Interlocked.Add(ref hits, count);
        hitsByRule.AddOrUpdate(rule, count, (_, n) => n + count);
    }
}

/// <summary>
/// Runs a compiled rule set over one or more event streams. Readers feed batches into a bounded
/// queue; one matching worker per core drains it; correlation state is updated under a lock (only
/// base-rule matches reach it, so contention is low), in the order of the batches when there is one
/// stream, so the same input gives the same correlation hits every run. Hits are yielded as they are
/// found, so their order across workers is not the input order.
/// </summary>
public sealed class Hunt(CompiledRuleSet rules, HuntOptions? options = null)
{
    private readonly HuntOptions options = options ?? new HuntOptions();

    public HuntStatistics Statistics { get; } = new();

    public IAsyncEnumerable<HuntHit> RunAsync(IAsyncEnumerable<CloudEvent> events, CancellationToken cancellationToken = default) =>
        RunAsync([events], cancellationToken);

    public IAsyncEnumerable<HuntHit> RunAsync(IReadOnlyList<IAsyncEnumerable<CloudEvent>> sources, CancellationToken cancellationToken = default) =>
        RunAsync(sources, static hit => hit, cancellationToken);

    /// <summary>
    /// Runs the hunt and yields each hit as <paramref name="project"/> turns it into what the caller
    /// keeps (a formatted line, say); hits it maps to null are dropped. The projection runs on the
    /// matching workers, in parallel, so formatting does not queue behind one consumer; it must be
    /// safe to call from several threads at once.
    /// </summary>
    public async IAsyncEnumerable<T> RunAsync<T>(IReadOnlyList<IAsyncEnumerable<CloudEvent>> sources, Func<HuntHit, T?> project, [EnumeratorCancellation] CancellationToken cancellationToken = default)
        where T : class
    {
        ArgumentNullException.ThrowIfNull(project);
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var batches = Channel.CreateBounded<EventBatch>(new BoundedChannelOptions(Math.Max(1, options.QueuedBatches))
        {
            SingleReader = false,
            SingleWriter = sources.Count == 1,
            FullMode = BoundedChannelFullMode.Wait,
        });

        // Hits travel in one list per matched batch: a channel operation per hit cost more than the hit.
        var output = Channel.CreateBounded<List<T>>(new BoundedChannelOptions(Math.Max(1, options.QueuedBatches)) { SingleReader = true });
        var pipeline = RunPipelineAsync(sources, batches, output.Writer, project, stop);

        try
        {
            await foreach (var hits in output.Reader.ReadAllAsync(cancellationToken).ConfigureAwait(false))
            {
                foreach (var hit in hits)
                {
                    yield return hit;
                }
            }
        }
        finally
        {
            await stop.CancelAsync().ConfigureAwait(false);
            try
            {
                await pipeline.ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (stop.IsCancellationRequested)
            {
                // The consumer stopped early or cancelled; the pipeline's own failure, if any, was already surfaced through the output channel.
            }
        }
    }

    private async Task RunPipelineAsync<T>(IReadOnlyList<IAsyncEnumerable<CloudEvent>> sources, Channel<EventBatch> batches, ChannelWriter<List<T>> output, Func<HuntHit, T?> project, CancellationTokenSource stop)
        where T : class
    {
        var cancellationToken = stop.Token;
        var correlations = new CorrelationSequence(new CorrelationEngine(rules, options.CorrelationLimits), ordered: sources.Count == 1);

        // The first reader or worker to fail stops the others at once (a failing projection must not
        // wait for the rest of the input to be matched), and its exception, not their cancellations, is
        // what the caller sees.
        Exception? firstFailure = null;
        async Task Guard(Func<Task> work)
        {
            try
            {
                await work().ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is not OperationCanceledException || !stop.IsCancellationRequested)
            {
                Interlocked.CompareExchange(ref firstFailure, ex, null);
                await stop.CancelAsync().ConfigureAwait(false);
                throw;
            }
        }

        try
        {
            var readers = sources.Select(source => Task.Run(() => Guard(() => ReadAsync(source, batches.Writer, cancellationToken)), cancellationToken)).ToArray();
            var completion = Task.WhenAll(readers).ContinueWith(t => batches.Writer.TryComplete(t.Exception?.GetBaseException()), TaskScheduler.Default);
            var workers = Enumerable.Range(0, Math.Max(1, options.Workers))
                .Select(_ => Task.Run(() => Guard(() => MatchAsync(batches.Reader, output, project, correlations, cancellationToken)), cancellationToken))
                .ToArray();
            await Task.WhenAll(workers).ConfigureAwait(false);
            await completion.ConfigureAwait(false);
            await Task.WhenAll(readers).ConfigureAwait(false);

            var closing = new List<CorrelationHit>();
            correlations.Engine.Flush(closing);
            var projected = new List<T>();
            foreach (var hit in closing)
            {
                Statistics.AddHits(hit.Correlation.Key, 1);
                if (project(ToHit(hit)) is { } item)
                {
                    projected.Add(item);
                }
            }

            await output.WriteAsync(projected, cancellationToken).ConfigureAwait(false);
            output.TryComplete();
        }
        catch (Exception ex)
        {
            var error = firstFailure ?? ex;
            output.TryComplete(error);
            ExceptionDispatchInfo.Throw(error);
        }
    }

    private async Task ReadAsync(IAsyncEnumerable<CloudEvent> source, ChannelWriter<EventBatch> writer, CancellationToken cancellationToken)
    {
        var batch = new List<CloudEvent>(options.BatchSize);
        var sequence = 0L;
        await foreach (var e in source.WithCancellation(cancellationToken).ConfigureAwait(false))
        {
            batch.Add(e);
            if (batch.Count == options.BatchSize)
            {
                await writer.WriteAsync(new EventBatch(sequence++, [.. batch]), cancellationToken).ConfigureAwait(false);
                batch.Clear();
            }
        }

        if (batch.Count > 0)
        {
            await writer.WriteAsync(new EventBatch(sequence, [.. batch]), cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Events as a source gave them, numbered in its order.</summary>
    private readonly record struct EventBatch(long Sequence, CloudEvent[] Events);

    /// <summary>
    /// Feeds the correlation engine the base-rule matches of each batch in the order the source gave the
    /// batches, whichever worker matched them first. The engine's state depends on the order it sees matches
    /// in (a window fires as soon as it holds enough, and starts again), and workers racing one another gave
    /// a different set of correlation hits on every run of the same hunt; a responder running it again, or
    /// sending its hits again, must get the same. A batch matched ahead of its turn waits here (at most the
    /// batches in flight). With several sources, whose batches interleave as they come, matches are fed as
    /// they are found.
    /// </summary>
    private sealed class CorrelationSequence(CorrelationEngine engine, bool ordered)
    {
        private readonly Lock gate = new();
        private readonly Dictionary<long, List<(CloudEvent Event, CompiledRule Rule)>?> waiting = [];
        private long next;

        public CorrelationEngine Engine { get; } = engine;

        /// <summary>Hands over a batch's matches (null for none) and adds to <paramref name="hits"/> what the matches fed so far met.</summary>
        public void Observe(long sequence, List<(CloudEvent Event, CompiledRule Rule)>? matches, List<CorrelationHit> hits)
        {
            lock (gate)
            {
                if (!ordered)
                {
                    Feed(matches, hits);
                    return;
                }

                waiting[sequence] = matches;
                while (waiting.Remove(next, out var due))
                {
                    Feed(due, hits);
                    next++;
                }
            }
        }

        private void Feed(List<(CloudEvent Event, CompiledRule Rule)>? matches, List<CorrelationHit> hits)
        {
            foreach (var (e, rule) in matches ?? [])
            {
                Engine.Observe(e, rule, hits);
            }
        }
    }

    private async Task MatchAsync<T>(ChannelReader<EventBatch> reader, ChannelWriter<List<T>> output, Func<HuntHit, T?> project, CorrelationSequence correlations, CancellationToken cancellationToken)
        where T : class
    {
        var matches = new List<CompiledRule>();
        var correlationHits = new List<CorrelationHit>();
        var counted = new Dictionary<string, long>(StringComparer.Ordinal);
        await foreach (var (sequence, batch) in reader.ReadAllAsync(cancellationToken).ConfigureAwait(false))
        {
            var projected = new List<T>();
            List<(CloudEvent, CompiledRule)>? correlated = null;
            void Add(HuntHit hit)
            {
                CollectionsMarshal.GetValueRefOrAddDefault(counted, hit.RuleKey, out _)++;
                if (project(hit) is { } item)
                {
                    projected.Add(item);
                }
            }

            foreach (var e in batch)
            {
                matches.Clear();
                rules.Match(e, matches);
                foreach (var rule in matches)
                {
                    if (correlations.Engine.IsCorrelated(rule))
                    {
                        (correlated ??= []).Add((e, rule));
                    }

                    if (!correlations.Engine.SuppressesStandaloneHits(rule))
                    {
                        Add(new HuntHit(HuntHitKind.Rule, rule.Rule.Key, rule.Rule.Title, rule.Rule.Level, rule.Rule.Tags, e, rule.DescribeMatch(e), null));
                    }
                }
            }

            Statistics.AddEvents(batch.Length);
            correlations.Observe(sequence, correlated, correlationHits);
            foreach (var hit in correlationHits)
            {
                Add(ToHit(hit));
            }

            correlationHits.Clear();
            foreach (var (rule, count) in counted)
            {
                Statistics.AddHits(rule, count);
            }

            counted.Clear();
            RootProperties.Forget();
            if (projected.Count > 0)
            {
                await output.WriteAsync(projected, cancellationToken).ConfigureAwait(false);
            }
        }
    }

    private static HuntHit ToHit(CorrelationHit hit)
    {
        var rule = hit.Correlation;
        return new HuntHit(HuntHitKind.Correlation, rule.Key, rule.Title, rule.Level, rule.Tags, null, hit.Group, hit);
    }
}
