using System.Threading.Channels;
using Firebreak.Core.Common;
using Microsoft.Extensions.Configuration;

namespace Firebreak.Core.Alerts;

public sealed record IntakeOutcome(Guid Id, bool Duplicate, int OccurrenceCount, bool Suppressed);

public sealed record IntakeResult(IReadOnlyList<IntakeOutcome> Alerts, bool Replayed);

/// <summary>The intake queue is full: the caller should retry after the given delay (429).</summary>
public sealed class IntakeBusyException(TimeSpan retryAfter) : DomainException("The alert intake queue is full. Retry shortly.")
{
    public TimeSpan RetryAfter { get; } = retryAfter;
}

internal sealed class IntakeWork(Guid tenantId, string actor, IReadOnlyList<IncomingAlert> alerts, string? idempotencyKey)
{
    public Guid TenantId { get; } = tenantId;
    public string Actor { get; } = actor;
    public IReadOnlyList<IncomingAlert> Alerts { get; } = alerts;
    public string? IdempotencyKey { get; } = idempotencyKey;
    public TaskCompletionSource<IntakeResult> Completion { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
}

/// <summary>
/// The front of alert intake. Requests queue here and one writer stores them in group commits: many
/// requests share one transaction, which is what makes thousands of alerts a second durable on SQLite.
/// A request is answered only after its transaction committed, so an acknowledged alert is never lost.
/// A full queue answers at once (429) instead of letting requests pile up into time-outs.
/// </summary>
public sealed class AlertIntake
{
    private readonly Channel<IntakeWork> _queue;

    public AlertIntake(IConfiguration configuration)
    {
        Capacity = configuration.GetValue("Firebreak:Alerts:QueueCapacity", 512);
        _queue = Channel.CreateBounded<IntakeWork>(new BoundedChannelOptions(Capacity)
        {
            FullMode = BoundedChannelFullMode.Wait,
            SingleReader = true,
        });
    }

    public int Capacity { get; }

    internal ChannelReader<IntakeWork> Reader => _queue.Reader;

    public async Task<IntakeResult> SubmitAsync(Guid tenantId, string actor, IReadOnlyList<IncomingAlert> alerts, string? idempotencyKey)
    {
        if (alerts.Count > AlertLimits.MaxBatch)
            throw new ValidationFailedException("alerts", $"A request may carry at most {AlertLimits.MaxBatch} alerts.");
        if (idempotencyKey is { Length: > AlertLimits.IdempotencyKeyLength })
            throw new ValidationFailedException("Idempotency-Key", $"Idempotency-Key must be at most {AlertLimits.IdempotencyKeyLength} characters.");
        AlertChecks.Check(alerts);
        var work = new IntakeWork(tenantId, actor, alerts, idempotencyKey);
        if (!_queue.Writer.TryWrite(work)) throw new IntakeBusyException(TimeSpan.FromSeconds(1));
        // Not cancelled with the request: once queued the alerts are stored, and a retry with the same
        // Idempotency-Key gets this result.
        return await work.Completion.Task;
    }
}
