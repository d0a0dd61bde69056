using Firebreak.Core.Common;
using Firebreak.Core.Incidents;
using Firebreak.Core.Investigation;
using Firebreak.Core.Persistence;
using Firebreak.Core.Response;
using Firebreak.Testing;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace Firebreak.Core.Tests.Response;

/// <summary>
/// The provider side of the port, scripted: it answers with the outcome the test gives it and records what Core
/// asked for. Core's lifecycle, approval, persistence and timeline are the code under test.
/// </summary>
internal sealed class ScriptedAction(string name, ActionImpact impact, ContainmentStage stage, bool affectsAvailability = false) : IResponseAction
{
    public List<string> Calls { get; } = [];
    public Func<ActionOutcome> Run { get; set; } = () => new ActionOutcome([new CallResult("svc:Change", "r-1", true, "changed")], new Dictionary<string, string> { ["before"] = "old" }, new Dictionary<string, string>());
    public TaskCompletionSource? Gate { get; set; }

    public ActionDefinition Definition { get; } = new(name, "aws", $"Scripted {name}", "A scripted action.", "EC2 instance id", "^i-[0-9a-f]{8,17}$", stage, impact,
        affectsAvailability, true, "Puts the old value back.", ["svc:Change"], [new ActionInput("flag", ActionInputType.Boolean, false, "A flag.")]);

    public Task<ActionPlan> PlanAsync(ActionTarget target, CancellationToken cancellationToken)
    {
        Calls.Add($"plan {target.Resource}");
        return Task.FromResult(new ActionPlan("change r-1", [new PlannedCall("svc", "Change", new Dictionary<string, string> { ["Id"] = target.Resource }, "old -> new")],
            ["old -> new"], true, "back to old", [], [], new Dictionary<string, string>()));
    }

    public async Task<ActionOutcome> ExecuteAsync(ActionTarget target, ActionPlan plan, CancellationToken cancellationToken)
    {
        Calls.Add($"execute {plan.Calls[0].Parameters["Id"]}");
        if (Gate is { } gate) await gate.Task;
        return Run();
    }

    public Task<IReadOnlyList<VerificationCheck>> VerifyAsync(ActionTarget target, ActionPlan plan, ActionOutcome outcome, CancellationToken cancellationToken)
    {
        Calls.Add("verify");
        return Task.FromResult<IReadOnlyList<VerificationCheck>>([new VerificationCheck("value", "new", "new", true)]);
    }

    public Task<ActionOutcome> UndoAsync(ActionTarget target, ActionPlan plan, IReadOnlyDictionary<string, string> undoData, CancellationToken cancellationToken)
    {
        Calls.Add($"undo {undoData["before"]}");
        return Task.FromResult(new ActionOutcome([new CallResult("svc:Change", "r-1", true, "back")], new Dictionary<string, string>(), new Dictionary<string, string>()));
    }
}

public class ResponseServiceTests
{
    private const string Instance = "i-0abc1234def567890";

    private static PlanAction Plan(string action, ContainmentChoice choice = ContainmentChoice.ContainAcceptDowntime) =>
        new(action, "123456789012", "eu-west-1", Instance, AssetCriticality.Critical, choice, "Payments can fail over", "Contain the miner");

    private static async Task<(CoreHarness Harness, HarnessTenant Acme, ScriptedAction Low, ScriptedAction High)> StartAsync(DatabaseKind kind, string? secondApproval = null)
    {
        var low = new ScriptedAction("test-collect", ActionImpact.Low, ContainmentStage.Collect);
        var high = new ScriptedAction("test-isolate", ActionImpact.High, ContainmentStage.IsolateNetwork, affectsAvailability: true);
        var harness = await CoreHarness.CreateAsync(kind, new Dictionary<string, string?> { ["Firebreak:Response:SecondApproval"] = secondApproval },
            (services, _) => services.AddSingleton<IResponseAction>(low).AddSingleton<IResponseAction>(high));
        return (harness, await harness.CreateTenantAsync("Acme"), low, high);
    }

    private static async Task<string> IncidentAsync(CoreHarness harness, HarnessTenant tenant)
    {
        await using var scope = harness.As(tenant.Responder);
        return (await scope.Get<IncidentService>().CreateAsync(new CreateIncident("Miner"))).Reference;
    }

    [Theory, MemberData(nameof(Databases.Both), MemberType = typeof(Databases))]
    public async Task HighImpact_GoesPlannedToApprovedToSucceededToUndone_WithWhoWhenWhy_TimelineAndAudit(DatabaseKind kind)
    {
        var (harness, acme, low, high) = await StartAsync(kind);
        await using var _ = harness;
        var incident = await IncidentAsync(harness, acme);
        await using var responder = harness.As(acme.Responder);
        var service = responder.Get<ResponseService>();

        var planned = await service.PlanAsync(incident, Plan("test-isolate"));
        Assert.Equal(ActionStatus.AwaitingApproval, planned.Status);
        Assert.True(planned.RequiresApproval);
        Assert.Equal(["plan " + Instance], high.Calls);
        Assert.Contains("critical asset", planned.BusinessImpact);
        Assert.Contains("Availability is lost", planned.BusinessImpact);
        Assert.Contains(planned.Warnings, w => w.Contains("Scripted test-collect", StringComparison.Ordinal));
        await Assert.ThrowsAsync<ForbiddenException>(() => service.ApproveAsync(planned.Id, new ApproveAction()));

        harness.Time.Advance(TimeSpan.FromMinutes(3));
        await using (var manager = harness.As(acme.Manager))
            await Assert.ThrowsAsync<ConcurrencyConflictException>(() => manager.Get<ResponseService>().ApproveAsync(planned.Id, new ApproveAction(), expectedVersion: planned.Version + 5));
        await using (var manager = harness.As(acme.Manager))
            await manager.Get<ResponseService>().ApproveAsync(planned.Id, new ApproveAction("ok"), expectedVersion: planned.Version);
        harness.Time.Advance(TimeSpan.FromMinutes(1));
        var ran = await service.RunAsync(planned.Id);
        harness.Time.Advance(TimeSpan.FromMinutes(10));
        var undone = await service.UndoAsync(planned.Id, new UndoAction("Isolated the wrong host"));

        Assert.Equal(ActionStatus.Succeeded, ran.Status);
        Assert.True(ran.Verified);
        Assert.Equal(("responder@acme.example", "incident-manager@acme.example", "responder@acme.example"), (ran.RequestedBy, ran.ApprovedBy!, ran.RanBy!));
        Assert.Equal(ran.RequestedAt.AddMinutes(3), ran.ApprovedAt);
        Assert.Equal(ActionStatus.Undone, undone.Status);
        Assert.Equal(("Isolated the wrong host", "responder@acme.example"), (undone.UndoReason!, undone.UndoneBy!));
        Assert.Equal(["plan " + Instance, "execute " + Instance, "verify", "undo old"], high.Calls);
        Assert.Empty(low.Calls);
        await using var db = await responder.Get<IDbContextFactory<FirebreakDbContext>>().CreateDbContextAsync();
        var timeline = await db.TimelineEntries.Where(t => t.Kind == TimelineKind.Action).OrderBy(t => t.EventTime).Select(t => t.Title).ToListAsync();
        Assert.Equal([$"Scripted test-isolate on {Instance}: succeeded", $"Undo of Scripted test-isolate on {Instance}: succeeded"], timeline);
        var audit = await db.AuditEntries.Where(a => a.EntityType == nameof(ResponseAction)).OrderBy(a => a.At).Select(a => a.ActorName).ToListAsync();
        Assert.Equal(["responder@acme.example", "incident-manager@acme.example", "responder@acme.example", "responder@acme.example", "responder@acme.example"], audit);
    }

    [Theory, MemberData(nameof(Databases.Both), MemberType = typeof(Databases))]
    public async Task TwoRunsAtOnce_OnlyOneCallsTheProvider(DatabaseKind kind)
    {
        var (harness, acme, low, _) = await StartAsync(kind);
        await using var _ = harness;
        var incident = await IncidentAsync(harness, acme);
        await using var first = harness.As(acme.Responder);
        var planned = await first.Get<ResponseService>().PlanAsync(incident, Plan("test-collect"));
        Assert.Equal(ActionStatus.Planned, planned.Status);
        low.Gate = new TaskCompletionSource();

        var running = first.Get<ResponseService>().RunAsync(planned.Id);
        while (!low.Calls.Contains("execute " + Instance)) await Task.Delay(10);
        await using var second = harness.As(acme.Manager);
        var refused = await Assert.ThrowsAsync<ConflictException>(() => second.Get<ResponseService>().RunAsync(planned.Id));
        low.Gate.SetResult();
        var ran = await running;

        Assert.Contains("running", refused.Message);
        Assert.Equal(ActionStatus.Succeeded, ran.Status);
        Assert.Single(low.Calls, c => c.StartsWith("execute", StringComparison.Ordinal));
    }

    [Theory, MemberData(nameof(Databases.Both), MemberType = typeof(Databases))]
    public async Task PartialFailure_KeepsUndoData_AndAnUnexpectedProviderError_IsAFailedRunNotAStuckOne(DatabaseKind kind)
    {
        var (harness, acme, low, _) = await StartAsync(kind, secondApproval: "none");
        await using var _ = harness;
        var incident = await IncidentAsync(harness, acme);
        await using var scope = harness.As(acme.Responder);
        var service = scope.Get<ResponseService>();
        low.Run = () => new ActionOutcome([new CallResult("svc:A", "a", true, "done"), new CallResult("svc:B", "b", false, "Throttling: slow down", "Throttling")],
            new Dictionary<string, string> { ["before"] = "a-old" }, new Dictionary<string, string>());
        var partial = await service.RunAsync((await service.PlanAsync(incident, Plan("test-collect"))).Id);
        low.Run = () => throw new HttpRequestException("connection reset");
        var broken = await service.RunAsync((await service.PlanAsync(incident, Plan("test-collect"))).Id);

        Assert.Equal(ActionStatus.PartiallyFailed, partial.Status);
        Assert.Equal("a-old", partial.UndoData["before"]);
        Assert.Equal("Throttling", partial.Results[1].ErrorCode);
        Assert.Equal(ActionStatus.Failed, broken.Status);
        Assert.Contains("connection reset", broken.Results.Single().Detail);
        Assert.Equal(ActionStatus.Undone, (await service.UndoAsync(partial.Id, new UndoAction("roll back"))).Status);
        Assert.Equal(2, (await service.ListAsync(incident)).Count);
    }

    [Theory, MemberData(nameof(Databases.Both), MemberType = typeof(Databases))]
    public async Task SecondApprovalAll_MakesEvenLowImpactWait_AndViewersCannotPlan(DatabaseKind kind)
    {
        var (harness, acme, _, _) = await StartAsync(kind, secondApproval: "all");
        await using var _ = harness;
        var incident = await IncidentAsync(harness, acme);
        await using var scope = harness.As(acme.Responder);
        await using var viewer = harness.As(acme.Viewer);

        var planned = await scope.Get<ResponseService>().PlanAsync(incident, Plan("test-collect"));

        Assert.Equal(ActionStatus.AwaitingApproval, planned.Status);
        await Assert.ThrowsAsync<ForbiddenException>(() => viewer.Get<ResponseService>().PlanAsync(incident, Plan("test-collect")));
        await Assert.ThrowsAsync<ForbiddenException>(() => viewer.Get<ResponseService>().RunAsync(planned.Id));
        var other = await harness.CreateTenantAsync("Other");
        await using var stranger = harness.As(other.Manager);
        await Assert.ThrowsAsync<NotFoundException>(() => stranger.Get<ResponseService>().ApproveAsync(planned.Id, new ApproveAction()));
        await Assert.ThrowsAsync<ValidationFailedException>(() => scope.Get<ResponseService>().PlanAsync(incident, Plan("test-isolate", ContainmentChoice.StayAvailableAcceptDataRisk)));
    }
}
