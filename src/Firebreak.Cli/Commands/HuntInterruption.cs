using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Firebreak.Cli.Commands;

/// <summary>
/// Ctrl+C (SIGINT) and SIGTERM during a hunt. Listening starts before the rules load, so a signal at any point up to
/// the end of reading stops the hunt instead of killing the process with nothing said (and, on a terminal, the cursor
/// hidden). The first signal stops reading: what was already read is still matched and every hit of it reported. A
/// second signal, or one after reading has ended, takes its default action and ends the process at once (a read
/// blocked on an idle pipe cannot be cancelled).
/// </summary>
internal sealed class HuntInterruption : IDisposable
{
    private readonly CancellationTokenSource stop;
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

    /// <summary>Whether a signal stopped the hunt.</summary>
    public bool Requested => Volatile.Read(ref signal) != 0;

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
        try
        {
            while (true)
            {
                bool more;
                try
                {
                    more = await enumerator.MoveNextAsync();
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
                await enumerator.DisposeAsync();
            }
            catch (OperationCanceledException) when (Requested)
            {
                // The reader's own clean-up, cancelled by the same signal.
            }
        }
    }

    private void Stop(PosixSignalContext context)
    {
        // A second signal is left to its default action: the process ends at once.
        if (Interlocked.CompareExchange(ref signal, (int)context.Signal, 0) != 0) return;
        context.Cancel = true;
        stop.Cancel();
    }
}
