using Firebreak.Core.Common;
using Firebreak.Core.Incidents;
using Firebreak.Core.Investigation;
using Firebreak.Core.Persistence;
using Firebreak.Core.Playbooks;
using Firebreak.Core.Response;
using Firebreak.Core.Tests.Response;
using Firebreak.Testing;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace Firebreak.Core.Tests.Playbooks;

/// <summary>A cloud action whose plan waits until the test lets it go, or until the host stops.</summary>
internal sealed class GatedPlanAction(string name) : IResponseAction
{
    private readonly ScriptedAction _inner = new(name, ActionImpact.Low, ContainmentStage.Collect);

    public TaskCompletionSource Entered { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    public TaskCompletionSource Gate { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    public List<string> Calls => _inner.Calls;

    public ActionDefinition Definition => _inner.Definition;

    public async Task<ActionPlan> PlanAsync(ActionTarget target, CancellationToken cancellationToken)
    {
        Entered.TrySetResult();
        await Gate.Task.WaitAsync(cancellationToken);
        return await _inner.PlanAsync(target, cancellationToken);
    }

    public Task<ActionOutcome> ExecuteAsync(ActionTarget target, ActionPlan plan, CancellationToken cancellationToken) => _inner.ExecuteAsync(target, plan, cancellationToken);

    public Task<IReadOnlyList<VerificationCheck>> VerifyAsync(ActionTarget target, ActionPlan plan, ActionOutcome outcome, CancellationToken cancellationToken) =>
        _inner.VerifyAsync(target, plan, outcome, cancellationToken);

    public Task<ActionOutcome> UndoAsync(ActionTarget target, ActionPlan plan, IReadOnlyDictionary<string, string> undoData, CancellationToken cancellationToken) =>
        _inner.UndoAsync(target, plan, undoData, cancellationToken);
}

public class PlaybookRunTests
{
    private const string Instance = "i-0abc1234def567890";

    private static readonly Dictionary<string, string?> FastPoll = new() { ["Firebreak:Playbooks:PollSeconds"] = "0.2" };

    private static StartRun Start(string playbook, Dictionary<string, string>? inputs = null) =>
        new(playbook, inputs, AssetCriticality.High, ContainmentChoice.ContainAcceptDowntime, "The host can go down");

    private static async Task<string> IncidentAsync(CoreHarness harness, HarnessTenant tenant)
    {
        await using var scope = harness.As(tenant.Responder);
        return (await scope.Get<IncidentService>().CreateAsync(new CreateIncident("Miner"))).Reference;
    }

    internal static async Task<RunView> WaitForAsync(CoreHarness harness, HarnessTenant tenant, string incident, Guid run, Func<RunView, bool> done)
    {
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (true)
        {
            await using var scope = harness.As(tenant.Viewer);
            var view = await scope.Get<PlaybookService>().GetRunAsync(incident, run);
            if (done(view)) return view;
            if (DateTime.UtcNow > deadline)
                Assert.Fail("The run did not get there: " + string.Join(", ", view.Steps.Select(s => $"{s.Id}={s.State} {s.Result}")));
            await Task.Delay(50);
        }
    }

    private static StepState State(RunView run, string step) => run.Steps.Single(s => s.Id == step).State;

    [Theory, MemberData(nameof(Databases.Both), MemberType = typeof(Databases))]
    public async Task Run_GoesThroughActionManualApprovalConditionAndParallel_WithWhoWhenAndTimeline(DatabaseKind kind)
    {
        var low = new ScriptedAction("test-collect", ActionImpact.Low, ContainmentStage.Collect);
        var high = new ScriptedAction("test-isolate", ActionImpact.High, ContainmentStage.IsolateNetwork, affectsAvailability: true);
        await using var harness = await CoreHarness.CreateAsync(kind, FastPoll, (s, _) => s.AddSingleton<IResponseAction>(low).AddSingleton<IResponseAction>(high));
        var acme = await harness.CreateTenantAsync("Acme");
        var incident = await IncidentAsync(harness, acme);
        await using (var manager = harness.As(acme.Manager))
            await manager.Get<PlaybookService>().ImportAsync(PlaybookYamlTests.Sample, PlaybookFormat.Yaml);

        RunView started;
        await using (var responder = harness.As(acme.Responder))
            started = await responder.Get<PlaybookService>().StartAsync(incident, Start("sample", new() { ["instance"] = Instance, ["replace"] = "true" }));
        Assert.Equal(("responder", "default", "responder"), (started.InputSources["instance"], started.InputSources["account"], started.InputSources["replace"]));
        Assert.All(started.Steps, s => Assert.Equal(StepState.Pending, s.State));

        var waiting = await WaitForAsync(harness, acme, incident, started.Id, r => State(r, "sign") == StepState.WaitingApproval && State(r, "notes") == StepState.Running);
        Assert.Equal(StepState.Succeeded, State(waiting, "collect"));
        Assert.Contains("test-collect on " + Instance + ": succeeded, verified", waiting.Steps[0].Result);
        Assert.Equal(["plan " + Instance, "execute " + Instance, "verify"], low.Calls);

        await using (var responder = harness.As(acme.Responder))
        {
            var service = responder.Get<PlaybookService>();
            await Assert.ThrowsAsync<ForbiddenException>(() => service.ApproveAsync(incident, started.Id, "sign", new ApproveStep()));
            await Assert.ThrowsAsync<ValidationFailedException>(() => service.CompleteAsync(incident, started.Id, "notes", new CompleteStep([5])));
            await Assert.ThrowsAsync<ConflictException>(() => service.CompleteAsync(incident, started.Id, "sign", new CompleteStep([0])));
            var half = await service.CompleteAsync(incident, started.Id, "notes", new CompleteStep([0]));
            Assert.Equal(StepState.Running, State(half, "notes"));
            Assert.Equal([0], half.Steps.Single(s => s.Id == "notes").Ticked);
            var done = await service.CompleteAsync(incident, started.Id, "notes", new CompleteStep([1], "owner told by phone"));
            Assert.Equal(StepState.Done, State(done, "notes"));
        }
        await using (var viewer = harness.As(acme.Viewer))
            await Assert.ThrowsAsync<ForbiddenException>(() => viewer.Get<PlaybookService>().ApproveAsync(incident, started.Id, "sign", new ApproveStep()));
        await using (var manager = harness.As(acme.Manager))
            await manager.Get<PlaybookService>().ApproveAsync(incident, started.Id, "sign", new ApproveStep("fine"));

        var isolating = await WaitForAsync(harness, acme, incident, started.Id, r => State(r, "isolate") == StepState.WaitingApproval);
        Assert.Equal((StepState.Succeeded, StepState.Running), (State(isolating, "both"), State(isolating, "choose")));
        Assert.Equal([StepState.Skipped, StepState.Skipped], [State(isolating, "after-collect"), State(isolating, "wrap-up")]);
        await using (var responder = harness.As(acme.Responder))
            await Assert.ThrowsAsync<ForbiddenException>(() => responder.Get<PlaybookService>().ApproveAsync(incident, started.Id, "isolate", new ApproveStep()));
        await using (var manager = harness.As(acme.Manager))
            await manager.Get<PlaybookService>().ApproveAsync(incident, started.Id, "isolate", new ApproveStep("go"));

        var finished = await WaitForAsync(harness, acme, incident, started.Id, r => r.Status != RunStatus.Running);
        Assert.Equal(RunStatus.Succeeded, finished.Status);
        Assert.Equal(StepState.Succeeded, State(finished, "isolate"));
        Assert.Equal("incident-manager@acme.example", finished.Steps.Single(s => s.Id == "sign").Actor);
        Assert.Equal(("responder@acme.example", "owner told by phone"), (finished.Steps.Single(s => s.Id == "notes").Actor!, finished.Steps.Single(s => s.Id == "notes").Note!));
        Assert.Equal(["plan " + Instance, "execute " + Instance, "verify"], high.Calls);

        await using var scope = harness.As(acme.Viewer);
        await using var db = await scope.Get<IDbContextFactory<FirebreakDbContext>>().CreateDbContextAsync();
        var action = await db.ResponseActions.SingleAsync(a => a.ActionName == "test-isolate");
        Assert.Equal(("responder@acme.example", "incident-manager@acme.example"), (action.RequestedBy, action.ApprovedBy!));
        Assert.EndsWith($"(playbook run {started.Id}, step isolate)", action.Reason);
        var timeline = await db.TimelineEntries.Where(t => t.SourceId == started.Id.ToString()).OrderBy(t => t.IngestedAt).ThenBy(t => t.Id).Select(t => t.Title).ToListAsync();
        Assert.Equal("Playbook 'Sample' started", timeline[0]);
        Assert.Contains("Playbook 'Sample': step 'Collect' succeeded", timeline);
        Assert.Contains("Playbook 'Sample': step 'Take notes' done", timeline);
        Assert.Contains("Playbook 'Sample': step 'Second person signs' approved", timeline);
        Assert.Contains("Playbook 'Sample': step 'Replace?' took then", timeline);
        Assert.Equal("Playbook 'Sample' succeeded", timeline[^1]);
        var audited = await db.AuditEntries.Where(a => a.EntityType == nameof(PlaybookRunStep)).Select(a => a.ActorName).Distinct().ToListAsync();
        Assert.Contains("incident-manager@acme.example", audited);
        Assert.Contains("responder@acme.example", audited);
        Assert.True(await db.AuditEntries.AnyAsync(a => a.EntityType == nameof(PlaybookRun)));
    }

    [Theory, MemberData(nameof(Databases.Both), MemberType = typeof(Databases))]
    public async Task FailedAction_FailsTheRun_AndSkipsTheRest_UnlessTheStepContinues(DatabaseKind kind)
    {
        var low = new ScriptedAction("test-collect", ActionImpact.Low, ContainmentStage.Collect)
        {
            Run = () => new ActionOutcome([new CallResult("svc:Change", "r-1", false, "denied", "AccessDenied")], new Dictionary<string, string>(), new Dictionary<string, string>()),
        };
        await using var harness = await CoreHarness.CreateAsync(kind, FastPoll, (s, _) => s.AddSingleton<IResponseAction>(low));
        var acme = await harness.CreateTenantAsync("Acme");
        var incident = await IncidentAsync(harness, acme);
        const string yaml = """
            id: failing
            name: Failing
            steps:
              - id: try
                kind: action
                name: Try
                action: test-collect
                account: "123456789012"
                region: eu-west-1
                resource: i-0abc1234def567890
                on-failure: continue
              - id: check
                kind: condition
                name: Did it fail?
                if: { step: try, outcome: failed }
                then:
                  - id: again
                    kind: action
                    name: Try again
                    action: test-collect
                    account: "123456789012"
                    region: eu-west-1
                    resource: i-0abc1234def567890
              - id: never
                kind: manual
                name: Never reached
                checklist: [nothing]
            """;
        await using (var manager = harness.As(acme.Manager))
            await manager.Get<PlaybookService>().ImportAsync(yaml, PlaybookFormat.Yaml);
        await using var responder = harness.As(acme.Responder);
        var run = await responder.Get<PlaybookService>().StartAsync(incident, Start("failing"));

        var finished = await WaitForAsync(harness, acme, incident, run.Id, r => r.Status != RunStatus.Running);

        Assert.Equal(RunStatus.Failed, finished.Status);
        Assert.Equal([StepState.Failed, StepState.Failed, StepState.Failed, StepState.Skipped], finished.Steps.Select(s => s.State));
        Assert.Equal("test-collect on " + Instance + ": failed", finished.Steps[0].Result);
        Assert.StartsWith("Step 'Try again' failed", finished.Error);
    }

    [Theory, MemberData(nameof(Databases.Both), MemberType = typeof(Databases))]
    public async Task Start_ChecksActionsInputsScopeRoleAndTenant(DatabaseKind kind)
    {
        var low = new ScriptedAction("test-collect", ActionImpact.Low, ContainmentStage.Collect);
        await using var harness = await CoreHarness.CreateAsync(kind, FastPoll, (s, _) => s.AddSingleton<IResponseAction>(low));
        var acme = await harness.CreateTenantAsync("Acme");
        var globex = await harness.CreateTenantAsync("Globex");
        var incident = await IncidentAsync(harness, acme);
        await using (var manager = harness.As(acme.Manager))
        {
            var unknown = await Assert.ThrowsAsync<ValidationFailedException>(() => manager.Get<PlaybookService>().ImportAsync(
                PlaybookYamlTests.Sample.Replace("test-isolate", "aws-teleport", StringComparison.Ordinal), PlaybookFormat.Yaml));
            Assert.Contains("action 'aws-teleport' is not in this server's catalogue", unknown.Errors["steps.isolate.action"][0]);
        }
        await using var responder = harness.As(acme.Responder);
        var service = responder.Get<PlaybookService>();

        var azure = await Assert.ThrowsAsync<ValidationFailedException>(() => service.StartAsync(incident, Start("compromised-azure-account")));
        Assert.Contains("azure-disable-user", azure.Errors["steps.disable-user.action"][0]);
        await Assert.ThrowsAsync<NotFoundException>(() => service.StartAsync(incident, Start("no-such-playbook")));
        var missing = await Assert.ThrowsAsync<ValidationFailedException>(() => service.StartAsync(incident, new StartRun("management-plane-compromise", null, null, null, null)));
        Assert.Equal(["choice", "choiceReason", "criticality"], missing.Errors.Keys.Order(StringComparer.Ordinal));
        var wrongInput = await Assert.ThrowsAsync<ValidationFailedException>(() => service.StartAsync(incident, Start("management-plane-compromise", new() { ["colour"] = "red" })));
        Assert.Contains("inputs.colour", wrongInput.Errors.Keys);
        Assert.Contains("inputs.provider", wrongInput.Errors.Keys);
        await using (var viewer = harness.As(acme.Viewer))
            await Assert.ThrowsAsync<ForbiddenException>(() => viewer.Get<PlaybookService>().StartAsync(incident, Start("management-plane-compromise", new() { ["provider"] = "aws" })));
        await using (var other = harness.As(globex.Responder))
            await Assert.ThrowsAsync<NotFoundException>(() => other.Get<PlaybookService>().StartAsync(incident, Start("management-plane-compromise", new() { ["provider"] = "aws" })));

        var run = await service.StartAsync(incident, Start("management-plane-compromise", new() { ["provider"] = "aws" }));
        await using (var other = harness.As(globex.Manager))
            await Assert.ThrowsAsync<NotFoundException>(() => other.Get<PlaybookService>().GetRunAsync(incident, run.Id));
        var cancelled = await service.CancelAsync(incident, run.Id, new CancelRun("wrong incident"));
        Assert.Equal(RunStatus.Cancelled, cancelled.Status);
        Assert.All(cancelled.Steps, s => Assert.Equal(StepState.Skipped, s.State));
        await Assert.ThrowsAsync<ConflictException>(() => service.CancelAsync(incident, run.Id, new CancelRun("again")));
    }

    /// <summary>
    /// The server stops while a step is planning: the run is left running with the step running. A new server on the
    /// same database picks the run up without anyone touching it, plans the step once, and finishes the run.
    /// </summary>
    [Theory, MemberData(nameof(Databases.Both), MemberType = typeof(Databases))]
    public async Task Run_InProgressWhenTheHostStops_ContinuesWhenANewHostStarts(DatabaseKind kind)
    {
        await using var database = await TestDatabase.CreateAsync(kind);
        const string yaml = """
            id: resumable
            name: Resumable
            inputs:
              - name: instance
                type: instance
            steps:
              - id: collect
                kind: action
                name: Collect
                action: test-collect
                account: "123456789012"
                region: eu-west-1
                resource: "{{ inputs.instance }}"
              - id: protect
                kind: action
                name: Protect
                action: test-protect
                account: "123456789012"
                region: eu-west-1
                resource: "{{ inputs.instance }}"
            """;
        HarnessTenant acme;
        string incident;
        Guid runId;
        var gated = new GatedPlanAction("test-collect");
        var protect1 = new ScriptedAction("test-protect", ActionImpact.Low, ContainmentStage.Preserve);
        await using (var first = await CoreHarness.OpenAsync(database, FastPoll, (s, _) => s.AddSingleton<IResponseAction>(gated).AddSingleton<IResponseAction>(protect1)))
        {
            acme = await first.CreateTenantAsync("Acme");
            incident = await IncidentAsync(first, acme);
            await using (var manager = first.As(acme.Manager))
                await manager.Get<PlaybookService>().ImportAsync(yaml, PlaybookFormat.Yaml);
            await using (var responder = first.As(acme.Responder))
                runId = (await responder.Get<PlaybookService>().StartAsync(incident, Start("resumable", new() { ["instance"] = Instance }))).Id;
            await gated.Entered.Task.WaitAsync(TimeSpan.FromSeconds(60));
            var midway = await WaitForAsync(first, acme, incident, runId, r => State(r, "collect") == StepState.Running);
            Assert.Equal(RunStatus.Running, midway.Status);
        }

        var collect = new ScriptedAction("test-collect", ActionImpact.Low, ContainmentStage.Collect);
        var protect = new ScriptedAction("test-protect", ActionImpact.Low, ContainmentStage.Preserve);
        await using var second = await CoreHarness.OpenAsync(database, FastPoll, (s, _) => s.AddSingleton<IResponseAction>(collect).AddSingleton<IResponseAction>(protect));
        await using (var viewer = second.As(acme.Viewer))
        {
            var stored = await viewer.Get<PlaybookService>().GetRunAsync(incident, runId);
            Assert.True(stored.Status == RunStatus.Running || collect.Calls.Count > 0, "the stored run was not left running");
        }

        var finished = await WaitForAsync(second, acme, incident, runId, r => r.Status != RunStatus.Running);

        Assert.Equal(RunStatus.Succeeded, finished.Status);
        Assert.Equal([StepState.Succeeded, StepState.Succeeded], finished.Steps.Select(s => s.State));
        Assert.Empty(gated.Calls);
        Assert.Empty(protect1.Calls);
        Assert.Equal(["plan " + Instance, "execute " + Instance, "verify"], collect.Calls);
        await using var scope = second.As(acme.Viewer);
        await using var db = await scope.Get<IDbContextFactory<FirebreakDbContext>>().CreateDbContextAsync();
        Assert.Equal(2, await db.ResponseActions.CountAsync());
        Assert.Equal("Playbook 'Resumable' succeeded", await db.TimelineEntries.Where(t => t.SourceId == runId.ToString()).OrderBy(t => t.IngestedAt).ThenBy(t => t.Id).Select(t => t.Title).LastAsync());
    }
}
