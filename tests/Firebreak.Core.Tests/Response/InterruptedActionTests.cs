using Firebreak.Core.Common;
using Firebreak.Core.Incidents;
using Firebreak.Core.Investigation;
using Firebreak.Core.Persistence;
using Firebreak.Core.Response;
using Firebreak.Testing;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace Firebreak.Core.Tests.Response;

public class InterruptedActionTests
{
    private const string Instance = "i-0abc1234def567890";

    /// <summary>
    /// A planned test-collect action on <see cref="Instance"/>, left as a run leaves it when the process dies after saving
    /// running and before the result.
    /// </summary>
    private static async Task<(string Incident, ResponseActionView Planned)> PlanLeftRunningAsync(CoreHarness harness, ActorScope responder, string? ranBy)
    {
        var incident = (await responder.Get<IncidentService>().CreateAsync(new CreateIncident("Miner"))).Reference;
        var planned = await responder.Get<ResponseService>().PlanAsync(incident, new PlanAction("test-collect", "123456789012", "eu-west-1", Instance,
            AssetCriticality.High, ContainmentChoice.ContainAcceptDowntime, "can fail over", "collect"));
        await using var db = await responder.Get<IDbContextFactory<FirebreakDbContext>>().CreateDbContextAsync();
        var row = await db.ResponseActions.SingleAsync(a => a.Id == planned.Id);
        row.Status = ActionStatus.Running;
        row.RanBy = ranBy;
        row.StartedAt = harness.Time.GetUtcNow();
        await db.SaveChangesAsync();
        return (incident, planned);
    }

    [Theory, MemberData(nameof(Databases.Both), MemberType = typeof(Databases))]
    public async Task ActionLeftRunning_IsInterruptedAtStart_Verified_OnTheTimelineAndAudited_ThenReplanned(DatabaseKind kind)
    {
        var action = new ScriptedAction("test-collect", ActionImpact.Low, ContainmentStage.Collect);
        var harness = await CoreHarness.CreateAsync(kind, null, (services, _) => services.AddSingleton<IResponseAction>(action));
        await using var _ = harness;
        var acme = await harness.CreateTenantAsync("Acme");
        await using var responder = harness.As(acme.Responder);
        var response = responder.Get<ResponseService>();
        var (incident, planned) = await PlanLeftRunningAsync(harness, responder, ranBy: "responder@acme.example");
        harness.Time.Advance(TimeSpan.FromMinutes(7));

        await harness.StartInterruptedActionRecoveryAsync();

        var recovered = await response.GetAsync(incident, planned.Id);
        Assert.Equal(ActionStatus.Interrupted, recovered.Status);
        Assert.Equal(harness.Time.GetUtcNow(), recovered.InterruptedAt);
        Assert.Equal("Interrupted", Assert.Single(recovered.Results).ErrorCode);
        Assert.True(recovered.Verified);
        Assert.Equal(["plan " + Instance, "verify"], action.Calls);
        await Assert.ThrowsAsync<ConflictException>(() => response.RunAsync(planned.Id));
        // The scripted action cannot derive its undo data from the plan, so undo says to re-plan.
        Assert.Contains("re-plan", (await Assert.ThrowsAsync<ConflictException>(() => response.UndoAsync(planned.Id, new UndoAction("back")))).Message);

        await using (var db = await responder.Get<IDbContextFactory<FirebreakDbContext>>().CreateDbContextAsync())
        {
            var timeline = await db.TimelineEntries.Where(t => t.Kind == TimelineKind.Action).OrderBy(t => t.Id).Select(t => t.Title).ToListAsync();
            Assert.Equal([$"Scripted test-collect on {Instance}: interrupted (the server stopped during the run)",
                $"Verification of interrupted Scripted test-collect on {Instance}: 1 of 1 checks hold"], timeline);
            var audit = await db.AuditEntries.Where(a => a.EntityType == nameof(ResponseAction) && a.ActorName == "response-recovery").CountAsync();
            Assert.Equal(2, audit);
        }

        // A second start finds nothing left running.
        await harness.StartInterruptedActionRecoveryAsync();
        Assert.Equal(["plan " + Instance, "verify"], action.Calls);

        var replanned = await response.ReplanAsync(incident, planned.Id);
        Assert.Equal(ActionStatus.Planned, replanned.Status);
        Assert.Equal((Instance, "test-collect"), (replanned.Resource, replanned.Action));
        Assert.StartsWith($"Re-plan of interrupted action {planned.Id}", replanned.Reason);
        Assert.Equal(replanned.Id, (await response.GetAsync(incident, planned.Id)).ReplannedAs);
        await Assert.ThrowsAsync<ConflictException>(() => response.ReplanAsync(incident, planned.Id));
        await using (var viewer = harness.As(acme.Viewer))
            await Assert.ThrowsAsync<ForbiddenException>(() => viewer.Get<ResponseService>().ReplanAsync(incident, planned.Id));
    }

    [Theory, MemberData(nameof(Databases.Both), MemberType = typeof(Databases))]
    public async Task ActionLeftRunning_IsInterruptedBeforeTheStartGoesOn_SoNoActionOfTheNewServerIsTakenForIt(DatabaseKind kind)
    {
        // The hosted services after the recovery (the playbook worker, resuming runs) and the server's requests start
        // once its start has returned. When the marking ran in the background, a playbook run resumed at start could run
        // its action first, and the marking then took that action, running for a moment, for one the stopped server left.
        var action = new ScriptedAction("test-collect", ActionImpact.Low, ContainmentStage.Collect);
        await using var harness = await CoreHarness.CreateAsync(kind, null, (services, _) => services.AddSingleton<IResponseAction>(action));
        var acme = await harness.CreateTenantAsync("Acme");
        await using var responder = harness.As(acme.Responder);
        var response = responder.Get<ResponseService>();
        var (incident, planned) = await PlanLeftRunningAsync(harness, responder, ranBy: null);

        var worker = ActivatorUtilities.CreateInstance<InterruptedActionWorker>(harness.Services);
        await worker.StartAsync(CancellationToken.None);
        var atStart = (await response.GetAsync(incident, planned.Id)).Status;
        await (worker.ExecuteTask ?? Task.CompletedTask);
        await worker.StopAsync(CancellationToken.None);

        Assert.Equal(ActionStatus.Interrupted, atStart);
        Assert.True((await response.GetAsync(incident, planned.Id)).Verified);
    }
}
