namespace Firebreak.Testing;

/// <summary>
/// The one wall-clock bound the tests use: a guard against work that never ends or grows quadratically, never a
/// speed goal (those are measured in bench/ against a peer in the same run). What it guards answers in well under
/// a second on a quiet machine, and the defects it catches took minutes or never ended, so a machine many times
/// slower than usual still passes and a regression still fails.
/// </summary>
public static class HangGuard
{
    public static readonly TimeSpan Limit = TimeSpan.FromSeconds(60);

    /// <summary>
    /// Runs <paramref name="work"/> on a thread of its own and fails the test if it has not returned within
    /// <see cref="Limit"/>, rather than stalling the whole run. Exceptions reach the caller as thrown.
    /// </summary>
    public static T Run<T>(Func<T> work, string what)
    {
        var task = Task.Factory.StartNew(work, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);
        try
        {
            if (!task.Wait(Limit))
            {
                Assert.Fail($"{what} had not finished after {Limit.TotalSeconds:F0} s: a hang or work growing faster than its input");
            }
        }
        catch (AggregateException ex) when (ex.InnerExceptions.Count == 1)
        {
            System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(ex.InnerExceptions[0]);
        }
        return task.Result;
    }

    /// <summary>Whether <paramref name="elapsed"/> is past the guard, for loops that time many small pieces of work themselves.</summary>
    public static bool IsPast(TimeSpan elapsed) => elapsed > Limit;
}
