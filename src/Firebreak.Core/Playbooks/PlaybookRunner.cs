using Firebreak.Core.Common;
using Firebreak.Core.Persistence;
using Firebreak.Core.Response;
using Microsoft.EntityFrameworkCore;

namespace Firebreak.Core.Playbooks;

/// <summary>
/// Advances one run as far as it can go, acting as the person who started it. Every change of a step's state is
/// committed before the next step starts, so a run stopped anywhere resumes from what is stored: a step left
/// running before its plan was recorded plans again (an earlier plan for it is found by its reason first), and an
/// action this runner had started when the server stopped fails the step, since whether its calls were made is unknown.
/// </summary>
public sealed class PlaybookRunner(IDbContextFactory<FirebreakDbContext> factory, ResponseService response, TimeProvider time)
{
    private enum Flow { Finished, Blocked, Failed }

    private sealed record Pass(FirebreakDbContext Db, PlaybookRun Run, string Reference, Dictionary<string, PlaybookRunStep> Rows, CancellationToken Token);

    public async Task AdvanceAsync(Guid runId, CancellationToken cancellationToken)
    {
        await using var db = await factory.CreateDbContextAsync(cancellationToken);
        var run = await db.PlaybookRuns.SingleOrDefaultAsync(r => r.Id == runId, cancellationToken);
        if (run is null || run.Status != RunStatus.Running) return;
        var reference = await db.Incidents.Where(i => i.Id == run.IncidentId).Select(i => i.Reference).SingleAsync(cancellationToken);
        var rows = await db.PlaybookRunSteps.Where(s => s.RunId == runId).ToDictionaryAsync(s => s.StepId, StringComparer.Ordinal, cancellationToken);
        var definition = PlaybookYaml.Parse(run.Yaml);
        var pass = new Pass(db, run, reference, rows, cancellationToken);
        var flow = await SequenceAsync(definition.Steps, pass);
        if (flow == Flow.Blocked) return;
        var now = time.GetUtcNow();
        run.Status = flow == Flow.Finished ? RunStatus.Succeeded : RunStatus.Failed;
        run.FinishedAt = now;
        if (flow == Flow.Failed)
        {
            // The step that stopped the run: the last failed step that is not a condition or parallel step holding it.
            var failed = rows.Values.Where(r => r.State == StepState.Failed && r.Kind is not (StepKind.Condition or StepKind.Parallel))
                .OrderByDescending(r => r.Position).FirstOrDefault();
            run.Error = failed is null ? "A step failed." : $"Step '{failed.Name}' failed: {failed.Result}";
            if (run.Error.Length > 4_000) run.Error = run.Error[..4_000];
            foreach (var row in rows.Values.Where(r => !r.State.Finished()))
            {
                row.State = StepState.Skipped;
                row.FinishedAt = now;
                row.Result = "Not run: the run failed before it.";
            }
        }
        db.TimelineEntries.Add(PlaybookService.Timeline(run, $"Playbook '{run.PlaybookName}' {PlaybookYaml.EnumText(run.Status)}", db.Actor.Name, now));
        await db.SaveChangesAsync(cancellationToken);
    }

    private async Task<Flow> SequenceAsync(IEnumerable<PlaybookStep> steps, Pass pass)
    {
        foreach (var step in steps)
        {
            var flow = await StepAsync(step, pass);
            if (flow != Flow.Finished) return flow;
        }
        return Flow.Finished;
    }

    private async Task<Flow> StepAsync(PlaybookStep step, Pass pass)
    {
        var row = pass.Rows[step.Id];
        if (row.State.Finished()) return Ended(step, row);
        switch (step.Kind)
        {
            case StepKind.Manual:
                if (row.State == StepState.Pending) await MoveAsync(pass, step, row, StepState.Running, null);
                return Flow.Blocked;
            case StepKind.Approval:
                if (row.State == StepState.Pending) await MoveAsync(pass, step, row, StepState.WaitingApproval, null);
                return Flow.Blocked;
            case StepKind.Condition:
                return await ConditionAsync(step, row, pass);
            case StepKind.Parallel:
                if (row.State == StepState.Pending) await MoveAsync(pass, step, row, StepState.Running, null);
                var flows = new List<Flow>();
                // Every branch advances in the same pass: one waiting for a person does not hold up the others.
                foreach (var branch in step.Branches) flows.Add(await SequenceAsync(branch, pass));
                if (flows.Contains(Flow.Blocked)) return Flow.Blocked;
                var failed = flows.Count(f => f == Flow.Failed);
                await MoveAsync(pass, step, row, failed > 0 ? StepState.Failed : StepState.Succeeded,
                    failed > 0 ? $"{failed} of {flows.Count} branches failed." : $"All {flows.Count} branches finished.");
                return Ended(step, row);
            default:
                return await ActionAsync(step, row, pass);
        }
    }

    private async Task<Flow> ConditionAsync(PlaybookStep step, PlaybookRunStep row, Pass pass)
    {
        if (row.State == StepState.Pending)
        {
            var test = step.If!;
            bool holds;
            if (test.Input is { } input)
            {
                var value = pass.Run.Inputs.GetValueOrDefault(input) ?? "";
                holds = test.EqualsValue is { } equals ? string.Equals(value, equals, StringComparison.OrdinalIgnoreCase) : !string.Equals(value, test.NotEqualsValue, StringComparison.OrdinalIgnoreCase);
            }
            else
            {
                var earlier = pass.Rows[test.Step!];
                if (!earlier.State.Finished()) return Flow.Blocked;
                var outcome = earlier.State switch { StepState.Failed => StepOutcome.Failed, StepState.Skipped => StepOutcome.Skipped, _ => StepOutcome.Succeeded };
                holds = outcome == test.Outcome;
            }
            var branch = holds ? "then" : "else";
            var now = time.GetUtcNow();
            foreach (var skipped in Under(holds ? step.Else : step.Then))
            {
                var other = pass.Rows[skipped.Id];
                other.State = StepState.Skipped;
                other.FinishedAt = now;
                other.Result = $"Not taken: '{step.Name}' chose {branch}.";
            }
            await MoveAsync(pass, step, row, StepState.Running, branch);
        }
        var flow = await SequenceAsync(row.Result == "then" ? step.Then : step.Else, pass);
        if (flow == Flow.Blocked) return flow;
        await MoveAsync(pass, step, row, flow == Flow.Finished ? StepState.Succeeded : StepState.Failed, row.Result);
        return Ended(step, row);
    }

    private async Task<Flow> ActionAsync(PlaybookStep step, PlaybookRunStep row, Pass pass)
    {
        var run = pass.Run;
        if (row.ActionId is null)
        {
            if (row.State == StepState.Pending) await MoveAsync(pass, step, row, StepState.Running, null);
            var marker = $"(playbook run {run.Id}, step {step.Id})";
            var earlier = await pass.Db.ResponseActions.AsNoTracking()
                .Where(a => a.IncidentId == run.IncidentId && a.Reason.EndsWith(marker)).Select(a => (Guid?)a.Id).FirstOrDefaultAsync(pass.Token);
            if (earlier is null)
            {
                var inputs = step.ActionInputs.Select(e => (e.Key, Value: PlaybookTemplates.Fill(e.Value, run.Inputs, pass.Reference).Trim()))
                    .Where(e => e.Value.Length > 0).ToDictionary(e => e.Key, e => e.Value, StringComparer.Ordinal);
                var reason = $"Playbook '{run.PlaybookName}': {step.Name}";
                reason = (reason.Length > 1_800 ? reason[..1_800] : reason) + " " + marker;
                var plan = new PlanAction(step.Action!, Fill(step.Account!, pass), Fill(step.Region!, pass), Fill(step.Resource!, pass), run.Criticality, run.Choice,
                    run.ChoiceReason, reason, inputs);
                try
                {
                    earlier = (await response.PlanAsync(pass.Reference, plan, pass.Token)).Id;
                }
                catch (ValidationFailedException e)
                {
                    await MoveAsync(pass, step, row, StepState.Failed, "The plan was refused: " + string.Join(" ", e.Errors.SelectMany(x => x.Value)));
                    return Ended(step, row);
                }
                catch (DomainException e)
                {
                    await MoveAsync(pass, step, row, StepState.Failed, "The plan was refused: " + e.Message);
                    return Ended(step, row);
                }
            }
            row.ActionId = earlier;
            await pass.Db.SaveChangesAsync(pass.Token);
        }

        var action = await pass.Db.ResponseActions.AsNoTracking().SingleAsync(a => a.Id == row.ActionId, pass.Token);
        switch (action.Status)
        {
            case ActionStatus.AwaitingApproval:
                if (row.State != StepState.WaitingApproval) await MoveAsync(pass, step, row, StepState.WaitingApproval, "The planned action waits for a second person's approval.");
                return Flow.Blocked;
            case ActionStatus.Planned or ActionStatus.Approved:
                row.State = StepState.Running;
                row.Result = RunStarted;
                await pass.Db.SaveChangesAsync(pass.Token);
                ResponseActionView ran;
                try
                {
                    ran = await response.RunAsync(action.Id, cancellationToken: pass.Token);
                }
                catch (ConcurrencyConflictException)
                {
                    // Someone ran it by hand at the same moment: its outcome is read on the next pass.
                    row.Result = null;
                    await pass.Db.SaveChangesAsync(pass.Token);
                    return Flow.Blocked;
                }
                catch (DomainException e)
                {
                    await MoveAsync(pass, step, row, StepState.Failed, "The action could not run: " + e.Message);
                    return Ended(step, row);
                }
                return await OutcomeAsync(step, row, pass, ran.Status, ran.Verified);
            case ActionStatus.Running:
                if (row.Result != RunStarted) return Flow.Blocked;
                await MoveAsync(pass, step, row, StepState.Failed,
                    "The server stopped while the action ran, so whether its calls were made is unknown: check the action's results and the cloud state, then act on it by hand.");
                return Ended(step, row);
            default:
                return await OutcomeAsync(step, row, pass, action.Status, action.Verified);
        }
    }

    private const string RunStarted = "The action is running.";

    private async Task<Flow> OutcomeAsync(PlaybookStep step, PlaybookRunStep row, Pass pass, ActionStatus status, bool? verified)
    {
        // A run whose re-read shows the state did not change (the key still active, say) has not done the step's job.
        var ok = status is ActionStatus.Succeeded or ActionStatus.Undone && verified is not false;
        var text = $"{step.Action} on {Fill(step.Resource!, pass)}: {ResponseService.Status(status)}" + (verified switch { true => ", verified", false => ", verification failed", _ => "" });
        await MoveAsync(pass, step, row, ok ? StepState.Succeeded : StepState.Failed, text);
        return Ended(step, row);
    }

    private static Flow Ended(PlaybookStep step, PlaybookRunStep row) =>
        row.State == StepState.Failed && step.OnFailure == FailurePolicy.Stop ? Flow.Failed : Flow.Finished;

    private async Task MoveAsync(Pass pass, PlaybookStep step, PlaybookRunStep row, StepState state, string? result)
    {
        var now = time.GetUtcNow();
        row.State = state;
        row.Result = result is { Length: > 4_000 } ? result[..4_000] : result;
        row.StartedAt ??= now;
        if (state.Finished())
        {
            row.FinishedAt = now;
            if (step.Kind is StepKind.Action or StepKind.Parallel or StepKind.Condition)
                row.Actor ??= pass.Db.Actor.Name;
        }
        if (state.Finished() || (step.Kind == StepKind.Condition && state == StepState.Running))
        {
            var what = step.Kind == StepKind.Condition && state == StepState.Running ? $"took {result}" : PlaybookYaml.EnumText(state);
            pass.Db.TimelineEntries.Add(PlaybookService.Timeline(pass.Run, $"Playbook '{pass.Run.PlaybookName}': step '{step.Name}' {what}" +
                (state == StepState.Failed && result is not null ? $": {result}" : ""), pass.Db.Actor.Name, now));
        }
        await pass.Db.SaveChangesAsync(pass.Token);
    }

    private static string Fill(string template, Pass pass) => PlaybookTemplates.Fill(template, pass.Run.Inputs, pass.Reference).Trim();

    private static IEnumerable<PlaybookStep> Under(IEnumerable<PlaybookStep> steps) => PlaybookDefinition.Flatten(steps);
}
