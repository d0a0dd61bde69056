using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Firebreak.Cli.Commands;

/// <summary>
/// Ctrl+C (SIGINT) and SIGTERM during a hunt. Listening starts before the rules load, so a signal at any point up to
/// the end of reading stops the hunt instead of killing the process with nothing said (and, on a terminal, the cursor
/// hidden). The first signal stops reading: what was already read is still matched and every hit of it reported. A
/// read blocked on an idle pipe cannot be cancelled, so a reader that has not stopped a moment after the signal is left
/// behind (the process ends soon after): the records it held back are not matched. A second signal, or one after
/// reading has ended, takes its default action and ends the process at once.
/// </summary>
internal sealed class HuntInterruption : IDisposable
{
    /// <summary>How long a reader has to stop after the first signal before it is left behind.</summary>
    internal static readonly TimeSpan GracePeriod = TimeSpan.FromSeconds(1);

    private readonly CancellationTokenSource stop;
    // Completes a grace period after the first signal.
    private readonly TaskCompletionSource signalled = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private Task? graceOver;
    private PosixSignalRegistration? onInterrupt;
    private PosixSignalRegistration? onTerminate;
    // The first signal, as its (non-zero) number; one field, so whoever sees it set sees which signal it was.
    private int signal;

    public HuntInterruption(CancellationToken cancellationToken)
    {
        stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        onInterrupt = PosixSignalRegistration.Create(PosixSignal.SIGINT, Stop);
        onTerminate = PosixSignalRegistration.Create(PosixSignal.SIGTERM, Stop);
    }

    /// <summary>Cancelled by the first signal (or the caller's token): stops reading.</summary>
    public CancellationToken Token => stop.Token;

    /// <summary>Completes at the first signal.</summary>
    public Task Signalled => signalled.Task;

    /// <summary>Whether a signal stopped the hunt.</summary>
    public bool Requested => Volatile.Read(ref signal) != 0;

    /// <summary>Whether the reader had not stopped a grace period after the signal, and was left behind.</summary>
    public bool ReaderLeftBehind { get; private set; }

    /// <summary>The grace period in whole seconds, for the message.</summary>
    public int GraceSeconds => (int)GracePeriod.TotalSeconds;

    /// <summary>"Ctrl+C" or "SIGTERM", for the message.</summary>
    public string Name => Volatile.Read(ref signal) == (int)PosixSignal.SIGTERM ? "SIGTERM" : "Ctrl+C";

    /// <summary>130 for Ctrl+C, 143 for SIGTERM, as a shell reports a process the signal ended.</summary>
    public int ExitCode => Volatile.Read(ref signal) == (int)PosixSignal.SIGTERM ? ExitCodes.Terminated : ExitCodes.Interrupted;

    /// <summary>From now on a signal ends the process at once: reading is over, and there is nothing left to stop gracefully.</summary>
    public void StopListening()
    {
        onInterrupt?.Dispose();
        onTerminate?.Dispose();
        onInterrupt = onTerminate = null;
    }

    public void Dispose()
    {
        StopListening();
        stop.Dispose();
    }

    /// <summary>
    /// The events until the first signal, then their end: the hunt behind them sees its input finish, matches what it
    /// was given and reports every hit, where cancelling the hunt itself dropped the hits still on their way back.
    /// </summary>
    public async IAsyncEnumerable<T> UntilStopped<T>(IAsyncEnumerable<T> events, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var enumerator = events.GetAsyncEnumerator(cancellationToken);
        var leftBehind = false;
        try
        {
            while (true)
            {
                bool more;
                try
                {
                    var next = enumerator.MoveNextAsync();
                    if (next.IsCompleted)
                    {
                        more = await next;
                    }
                    else
                    {
                        // Waiting for the reader: it may be blocked on an idle pipe, where no cancellation reaches it.
                        var pending = next.AsTask();
                        if (await Task.WhenAny(pending, graceOver ??= GraceOverAsync()) != pending)
                        {
                            leftBehind = ReaderLeftBehind = true;
                            _ = pending.ContinueWith(static t => _ = t.Exception, CancellationToken.None, TaskContinuationOptions.OnlyOnFaulted | TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
                            yield break;
                        }

                        more = await pending;
                    }
                }
                catch (OperationCanceledException) when (Requested && !cancellationToken.IsCancellationRequested)
                {
                    yield break;
                }

                if (!more) yield break;
                yield return enumerator.Current;
            }
        }
        finally
        {
            try
            {
                // A reader left behind is still inside its read, and cannot be disposed of until it returns.
                if (!leftBehind) await enumerator.DisposeAsync();
            }
            catch (OperationCanceledException) when (Requested)
            {
                // The reader's own clean-up, cancelled by the same signal.
            }
        }
    }

    private async Task GraceOverAsync()
    {
        await signalled.Task.ConfigureAwait(false);
        await Task.Delay(GracePeriod).ConfigureAwait(false);
    }

    private void Stop(PosixSignalContext context)
    {
        // A second signal is left to its default action: the process ends at once.
        if (Interlocked.CompareExchange(ref signal, (int)context.Signal, 0) != 0) return;
        context.Cancel = true;
        stop.Cancel();
        signalled.TrySetResult();
    }
}
