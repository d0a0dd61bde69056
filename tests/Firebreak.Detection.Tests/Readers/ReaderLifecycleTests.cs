using Firebreak.Detection.Readers;
using Firebreak.Detection.Simulation;

namespace Firebreak.Detection.Tests.Readers;

public sealed class ReaderLifecycleTests : IAsyncLifetime
{
    private readonly DirectoryInfo _logs = Directory.CreateTempSubdirectory("firebreak-lifecycle-");

    public async ValueTask InitializeAsync() =>
        await AttackSimulator.RunAsync(new SimulationOptions { Scenario = "compromised-instance-role", OutputDirectory = _logs.FullName, Events = 3000, Seed = 9 }, TestContext.Current.CancellationToken);

    public ValueTask DisposeAsync()
    {
        _logs.Delete(recursive: true);
        return ValueTask.CompletedTask;
    }

    [Fact]
    public async Task ParallelRead_YieldsTheSameSequenceAsASequentialRead()
    {
        var sequential = await new CloudLogReader().ReadAllAsync(_logs.FullName);
        var parallel = await new CloudLogReader(new ReaderOptions { MaxDegreeOfParallelism = 3, BatchBytes = 4096 }).ReadAllAsync(_logs.FullName);

        Assert.Equal(3000, sequential.Count);
        Assert.Equal(sequential.Select(e => e.EventId), parallel.Select(e => e.EventId));
    }

    [Fact]
    public async Task StoppingEarly_EndsTheReadCleanly()
    {
        var reader = new CloudLogReader(new ReaderOptions { MaxDegreeOfParallelism = 2, BatchBytes = 4096 });
        var taken = 0;

        await foreach (var _ in reader.ReadPathsAsync([_logs.FullName], TestContext.Current.CancellationToken))
        {
            if (++taken == 5)
            {
                break;
            }
        }

        Assert.Equal(5, taken);
        Assert.Empty(reader.Summary.Problems);
        Assert.True(reader.Summary.Files < 100, "reading should stop soon after the consumer does");
    }

    [Fact]
    public async Task Cancellation_IsObserved_AtTheEndOfTheBatchBeingHandedOn()
    {
        // A batch is handed on whole, so that what a stopped read counts (events, records skipped) is what it gave:
        // small batches here, so stopping at the end of one is plainly stopping early.
        using var cancel = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        var options = new ReaderOptions { MaxDegreeOfParallelism = 2, BatchBytes = 4096 };
        var total = (await new CloudLogReader(options).ReadAllAsync(_logs.FullName)).Count;
        var reader = new CloudLogReader(options);
        var taken = 0;

        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () =>
        {
            await foreach (var _ in reader.ReadPathsAsync([_logs.FullName], cancel.Token))
            {
                if (++taken == 10)
                {
                    await cancel.CancelAsync();
                }
            }
        });

        Assert.InRange(taken, 10, 30);
        Assert.True(total > 1000, $"{total} events");
        // What the read counts is what it handed on.
        Assert.Equal(taken, reader.Summary.Events);
    }
}
