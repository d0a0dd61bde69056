namespace Firebreak.Detection.Readers.Sources;

/// <summary>
/// A download's body that fails when no byte comes for <see cref="Limit"/>. The S3 client times how long an answer takes
/// to begin, not the pauses once its bytes flow: a connection that went quiet halfway through an object (a proxy that
/// stopped forwarding, a server that hung) held a hunt or an import for good. A read that waits longer than the limit
/// throws an <see cref="IOException"/>, so that the object is reported as cut short and the other inputs are read; the
/// caller's own cancellation passes through as it is.
/// </summary>
internal sealed class IdleTimeoutStream : ReadOnlyStream
{
    private readonly string _name;
    private CancellationTokenSource? _timer;
    private int _reading;
    private volatile bool _disposed;

    public IdleTimeoutStream(Stream inner, TimeSpan limit, string name)
        : base(inner ?? throw new ArgumentNullException(nameof(inner)))
    {
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(limit, TimeSpan.Zero);
        Limit = limit;
        _name = name;
    }

    public TimeSpan Limit { get; }

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        // One timer for the stream's life, reset after each read that ended in time.
        if (_timer is { } kept && !kept.TryReset())
        {
            // It fired just as the last read ended.
            kept.Dispose();
            _timer = null;
        }

        ObjectDisposedException.ThrowIf(_disposed, this);
        var timer = _timer ??= new CancellationTokenSource();
        Interlocked.Exchange(ref _reading, 1);
        timer.CancelAfter(Limit);
        using var both = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, timer.Token);
        try
        {
            return await Inner.ReadAsync(buffer, both.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException ex) when (timer.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
        {
            _timer = null;
            throw new IOException($"no data came for {Describe(Limit)}; {_name} was not read to its end", new TimeoutException(ex.Message, ex));
        }
        finally
        {
            // A stream disposed while this read waited left the timer to it: still timed, then put away here.
            Interlocked.Exchange(ref _reading, 0);
            if (_disposed || !ReferenceEquals(_timer, timer))
            {
                timer.Dispose();
            }
            else
            {
                try
                {
                    timer.CancelAfter(Timeout.InfiniteTimeSpan);
                }
                catch (ObjectDisposedException)
                {
                    // Disposed just as this read ended.
                }
            }
        }
    }

    /// <summary>A read that waits on the network cannot be timed otherwise: it goes through the timed asynchronous one.</summary>
    public override int Read(Span<byte> buffer) => ReadByWaiting(buffer);

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            StopTiming();
        }

        base.Dispose(disposing);
    }

    public override ValueTask DisposeAsync()
    {
        StopTiming();
        return base.DisposeAsync();
    }

    /// <summary>Marks the stream disposed and puts the timer away unless a read is using it, which then does.</summary>
    private void StopTiming()
    {
        _disposed = true;
        if (Volatile.Read(ref _reading) == 0)
        {
            _timer?.Dispose();
        }
    }

    private static string Describe(TimeSpan limit) =>
        limit.TotalSeconds < 120
            ? limit.TotalSeconds.ToString("0.#", System.Globalization.CultureInfo.InvariantCulture) + " s"
            : limit.TotalMinutes.ToString("0.#", System.Globalization.CultureInfo.InvariantCulture) + " min";
}
