using System.Net;
using System.Text.Json;
using System.Text.RegularExpressions;
using Firebreak.Core.Common;
using Firebreak.Core.Identity;
using Firebreak.Core.Incidents;
using Firebreak.Core.Investigation;
using Firebreak.Core.Persistence;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Configuration;

namespace Firebreak.Core.Response;

/// <summary>
/// Response actions of an incident: plan (a dry run that reads state), approval by a second person for
/// high-impact actions, the run with verification, and undo. Every step is audited; runs and undos go on the
/// incident's timeline.
/// </summary>
public sealed partial class ResponseService(IDbContextFactory<FirebreakDbContext> factory, IEnumerable<IResponseAction> actions, TimeProvider time,
    IConfiguration configuration)
{
    internal static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    private readonly Dictionary<string, IResponseAction> _actions = actions.ToDictionary(a => a.Definition.Name, StringComparer.Ordinal);

    /// <summary>Which actions need a second person: high (default), all, or none.</summary>
    public string SecondApproval => configuration["Firebreak:Response:SecondApproval"] is { Length: > 0 } v ? v.ToLowerInvariant() : "high";

    public IReadOnlyList<ActionDefinition> Catalogue() =>
        _actions.Values.Select(a => a.Definition).OrderBy(d => d.Provider).ThenBy(d => d.Stage).ThenBy(d => d.Name).ToList();

    public async Task<ResponseActionView> PlanAsync(string incidentKey, PlanAction command, CancellationToken cancellationToken = default)
    {
        var checks = new Checks().Required("action", command.Action, 100);
        var action = command.Action is { } name && _actions.TryGetValue(name, out var found) ? found : null;
        checks.That(string.IsNullOrWhiteSpace(command.Action) || action is not null, "action", $"action is not in the catalogue: {string.Join(", ", _actions.Keys.Order())}.");
        checks.Required("account", command.Account, 64).Required("region", command.Region, 64).Required("resource", command.Resource, ResponseLimits.ResourceLength)
            .Required("reason", command.Reason, IncidentLimits.ReasonLength).Required("choiceReason", command.ChoiceReason, IncidentLimits.ReasonLength)
            .That(command.Criticality is not null, "criticality", "criticality is required: low, medium, high or critical.")
            .That(command.Choice is not null, "choice", "choice is required: contain-accept-downtime or stay-available-accept-data-risk.")
            .Defined("criticality", command.Criticality).Defined("choice", command.Choice);
        if (action is not null)
        {
            var definition = action.Definition;
            checks.That(command.Resource is null || Matches(command.Resource, definition.ResourcePattern),
                "resource", $"resource must be a {definition.ResourceType}.");
            checks.That(command.Account is null || Matches(command.Account, definition.AccountPattern), "account", $"account must be {definition.AccountDescription}.")
                .That(command.Region is null || Matches(command.Region, definition.RegionPattern), "region", $"region must be {definition.RegionDescription}.");
            checks.That(!(definition.AffectsAvailability && command.Choice == ContainmentChoice.StayAvailableAcceptDataRisk), "choice",
                $"{definition.Title} takes the asset out of service; it contradicts the choice to stay available.");
            CheckInputs(checks, definition, command.Inputs);
        }
        checks.ThrowIfAny();
        var def = action!.Definition;

        await using var db = await factory.CreateDbContextAsync(cancellationToken);
        IncidentLookup.Require(db.Actor, Role.Responder, "plan response actions");
        var incident = await IncidentLookup.FindAsync(db, incidentKey, cancellationToken, track: false);
        if (incident.Phase == Phase.Closed) throw new ConflictException("The incident is closed; reopen it to act on it.");
        var inputs = (command.Inputs ?? []).ToDictionary(e => e.Key, e => e.Value.Trim(), StringComparer.Ordinal);
        var target = new ActionTarget(incident.TenantId, incident.Reference, command.Account!.Trim(), command.Region!.Trim(), command.Resource!.Trim(), inputs);
        var plan = await Cloud(() => action.PlanAsync(target, cancellationToken));

        var done = await db.ResponseActions.AsNoTracking()
            .Where(a => a.IncidentId == incident.Id && a.Resource == target.Resource && a.Status == ActionStatus.Succeeded)
            .Select(a => a.ActionName).ToListAsync(cancellationToken);
        var warnings = _actions.Values.Select(a => a.Definition)
            .Where(d => d.Provider == def.Provider && d.ResourceType == def.ResourceType && d.Stage < def.Stage && !done.Contains(d.Name))
            .OrderBy(d => d.Stage).ThenBy(d => d.Name)
            .Select(d => $"Safe order: '{d.Title}' ({Stage(d.Stage)}) has not succeeded on {target.Resource} yet; it comes before {Stage(def.Stage)}.")
            .ToList();
        // Containment while the attacker may still hold the control plane can be undone behind the responders' backs.
        warnings.InsertRange(0, (await ManagementPlane.ManagementPlaneCheckService.ReadinessAsync(db, incident.Id, cancellationToken)).Warnings);

        var requiresApproval = SecondApproval switch
        {
            "none" => false,
            "all" => true,
            _ => def.Impact == ActionImpact.High,
        };
        var now = time.GetUtcNow();
        var record = new ResponseAction
        {
            IncidentId = incident.Id,
            ActionName = def.Name,
            Provider = def.Provider,
            Account = target.Account,
            Region = target.Region,
            Resource = target.Resource,
            Inputs = inputs,
            Impact = def.Impact,
            Criticality = command.Criticality!.Value,
            Choice = command.Choice!.Value,
            ChoiceReason = command.ChoiceReason.Trim(),
            BusinessImpact = BusinessImpact(def, command.Criticality.Value),
            Reason = command.Reason.Trim(),
            RequiresApproval = requiresApproval,
            Plan = JsonSerializer.Serialize(plan, Json),
            Warnings = warnings,
            Status = requiresApproval ? ActionStatus.AwaitingApproval : ActionStatus.Planned,
            RequestedBy = db.Actor.Name,
            RequestedByPrincipal = db.Actor.Principal(),
            RequestedAt = now,
        };
        db.ResponseActions.Add(record);
        await db.SaveChangesAsync(cancellationToken);
        return ToView(record);
    }

    public async Task<ResponseActionView> ApproveAsync(Guid id, ApproveAction command, long? expectedVersion = null, CancellationToken cancellationToken = default)
    {
        new Checks().MaxLength("comment", command.Comment, IncidentLimits.ReasonLength).ThrowIfAny();
        await using var db = await factory.CreateDbContextAsync(cancellationToken);
        IncidentLookup.Require(db.Actor, Role.Responder, "approve response actions");
        var record = await FindAsync(db, id, cancellationToken);
        IncidentLookup.CheckVersion(record, expectedVersion);
        if (record.Status != ActionStatus.AwaitingApproval)
            throw new ConflictException($"The action is {Status(record.Status)}; only an action awaiting approval can be approved.");
        if (record.RequestedByPrincipal == db.Actor.Principal())
            throw new ForbiddenException("A second person must approve this action: the requester cannot approve their own request.");
        record.Status = ActionStatus.Approved;
        record.ApprovedBy = db.Actor.Name;
        record.ApprovedByPrincipal = db.Actor.Principal();
        record.ApprovedAt = time.GetUtcNow();
        record.ApprovalComment = command.Comment?.Trim();
        await db.SaveChangesAsync(cancellationToken);
        return ToView(record);
    }

    /// <summary>
    /// Runs a planned or approved action. The record moves to running and is saved first, so two runs of
    /// the same action cannot both start (the second loses on the version).
    /// </summary>
    public async Task<ResponseActionView> RunAsync(Guid id, long? expectedVersion = null, CancellationToken cancellationToken = default)
    {
        ResponseAction record;
        IResponseAction action;
        ActionTarget target;
        ActionPlan plan;
        await using (var db = await factory.CreateDbContextAsync(cancellationToken))
        {
            IncidentLookup.Require(db.Actor, Role.Responder, "run response actions");
            record = await FindAsync(db, id, cancellationToken);
            IncidentLookup.CheckVersion(record, expectedVersion);
            if (record.Status == ActionStatus.AwaitingApproval)
                throw new ConflictException("The action awaits a second person's approval before it can run.");
            if (record.Status is not (ActionStatus.Planned or ActionStatus.Approved))
                throw new ConflictException($"The action is {Status(record.Status)}; it can run once, from planned or approved.");
            action = Action(record);
            var incident = await db.Incidents.AsNoTracking().SingleAsync(i => i.Id == record.IncidentId, cancellationToken);
            if (incident.Phase == Phase.Closed) throw new ConflictException("The incident is closed; reopen it to act on it.");
            target = new ActionTarget(record.TenantId, incident.Reference, record.Account, record.Region, record.Resource, record.Inputs);
            plan = ReadPlan(record);
            record.Status = ActionStatus.Running;
            record.RanBy = db.Actor.Name;
            record.StartedAt = time.GetUtcNow();
            await db.SaveChangesAsync(cancellationToken);
        }

        ActionOutcome outcome;
        try
        {
            outcome = await action.ExecuteAsync(target, plan, cancellationToken);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            outcome = new ActionOutcome([new CallResult("execute", record.Resource, false, "The action stopped before any call was confirmed: " + e.Message, "Error")], new Dictionary<string, string>(), new Dictionary<string, string>());
        }
        IReadOnlyList<VerificationCheck> verification;
        try
        {
            verification = outcome.Calls.Any(c => c.Succeeded)
                ? await action.VerifyAsync(target, plan, outcome, CancellationToken.None)
                : [];
        }
        catch (CloudCallException e)
        {
            verification = [new VerificationCheck("re-read the state", "readable", $"{e.Code}: {e.Message}", false)];
        }

        await using (var db = await factory.CreateDbContextAsync(CancellationToken.None))
        {
            var saved = await FindAsync(db, id, CancellationToken.None);
            saved.Status = outcome.Status;
            saved.CompletedAt = time.GetUtcNow();
            saved.Results = JsonSerializer.Serialize(outcome.Calls, Json);
            saved.Verification = JsonSerializer.Serialize(verification, Json);
            saved.Verified = verification.Count == 0 ? null : verification.All(v => v.Ok);
            // Kept whatever the status: a partial run can be undone as far as it went.
            saved.UndoData = new Dictionary<string, string>(outcome.UndoData);
            saved.Output = new Dictionary<string, string>(outcome.Output);
            db.TimelineEntries.Add(TimelineFor(saved, $"{action.Definition.Title} on {saved.Resource}: {Status(saved.Status)}", db.Actor.Name));
            await db.SaveChangesAsync(CancellationToken.None);
            return ToView(saved);
        }
    }

    public async Task<ResponseActionView> UndoAsync(Guid id, UndoAction command, long? expectedVersion = null, CancellationToken cancellationToken = default)
    {
        new Checks().Required("reason", command.Reason, IncidentLimits.ReasonLength).ThrowIfAny();
        await using var db = await factory.CreateDbContextAsync(cancellationToken);
        IncidentLookup.Require(db.Actor, Role.Responder, "undo response actions");
        var record = await FindAsync(db, id, cancellationToken);
        IncidentLookup.CheckVersion(record, expectedVersion);
        var action = Action(record);
        if (record.Status is not (ActionStatus.Succeeded or ActionStatus.PartiallyFailed or ActionStatus.Interrupted))
            throw new ConflictException($"The action is {Status(record.Status)}; only a succeeded, partially failed or interrupted action can be undone.");
        if (!action.Definition.Undoable) throw new ConflictException($"{action.Definition.Title} cannot be undone: {action.Definition.UndoDescription}");
        var incident = await db.Incidents.AsNoTracking().SingleAsync(i => i.Id == record.IncidentId, cancellationToken);
        var target = new ActionTarget(record.TenantId, incident.Reference, record.Account, record.Region, record.Resource, record.Inputs);
        var plan = ReadPlan(record);
        // An interrupted run recorded no undo data; some actions can derive it from the plan alone.
        var undoData = record.UndoData.Count > 0 ? record.UndoData
            : record.Status == ActionStatus.Interrupted ? action.UndoDataWithoutOutcome(target, plan)
            : null;
        if (undoData is null || undoData.Count == 0)
            throw new ConflictException(record.Status == ActionStatus.Interrupted
                ? "The interrupted run recorded nothing to undo, and this action cannot work it out from the plan: re-plan it to act on the state as it is now."
                : "The run recorded nothing to undo.");
        ActionOutcome outcome;
        try
        {
            outcome = await action.UndoAsync(target, plan, undoData, cancellationToken);
        }
        catch (CloudCallException e)
        {
            throw new ConflictException($"The cloud provider refused the undo before any change was made; the action is unchanged. {e.Message}");
        }
        record.UndoResults = JsonSerializer.Serialize(outcome.Calls, Json);
        if (outcome.Status == ActionStatus.Succeeded)
        {
            record.Status = ActionStatus.Undone;
            record.UndoneBy = db.Actor.Name;
            record.UndoneAt = time.GetUtcNow();
            record.UndoReason = command.Reason.Trim();
        }
        db.TimelineEntries.Add(TimelineFor(record, $"Undo of {action.Definition.Title} on {record.Resource}: {Status(outcome.Status)}", db.Actor.Name));
        await db.SaveChangesAsync(cancellationToken);
        return ToView(record);
    }

    /// <summary>
    /// Finds the actions a stopped server left running: the run saves running before it calls the cloud, so what
    /// the cloud holds is unknown. Each becomes interrupted at once, in one transaction (on the timeline and in the
    /// audit trail); <see cref="VerifyInterruptedAsync"/> then re-reads the state and records what actually holds.
    /// Runs as the system, for every tenant. It must be over before this server runs an action of its own (a playbook
    /// run resumed at start, a request), or that action, running for a moment, is taken for one left behind.
    /// </summary>
    internal async Task<IReadOnlyList<ResponseAction>> MarkInterruptedAsync(CancellationToken cancellationToken = default)
    {
        await using var db = await factory.CreateDbContextAsync(cancellationToken);
        if (!db.Actor.IsSystem) throw new InvalidOperationException("Interrupted actions are recovered by the system at start.");
        var interrupted = await db.ResponseActions.Where(a => a.Status == ActionStatus.Running).OrderBy(a => a.StartedAt).ToListAsync(cancellationToken);
        if (interrupted.Count == 0) return interrupted;
        var now = time.GetUtcNow();
        foreach (var record in interrupted)
        {
            record.Status = ActionStatus.Interrupted;
            record.InterruptedAt = now;
            record.Results = JsonSerializer.Serialize<CallResult[]>([new CallResult("run", record.Resource, false,
                "The server stopped while this action was running: which of its calls reached the cloud is not known. The verification below says what holds now.", "Interrupted")], Json);
            db.TimelineEntries.Add(TimelineFor(record, $"{Title(record)} on {record.Resource}: interrupted (the server stopped during the run)", "the server at start"));
        }
        await db.SaveChangesAsync(cancellationToken);
        return interrupted;
    }

    /// <summary>Re-reads the state of each action <see cref="MarkInterruptedAsync"/> found, and records what holds.</summary>
    internal async Task VerifyInterruptedAsync(IReadOnlyList<ResponseAction> interrupted, CancellationToken cancellationToken = default)
    {
        foreach (var record in interrupted)
        {
            IReadOnlyList<VerificationCheck> verification;
            if (!_actions.TryGetValue(record.ActionName, out var action))
            {
                verification = [new VerificationCheck("re-read the state", "readable", $"The action '{record.ActionName}' is not available on this server.", false)];
            }
            else
            {
                try
                {
                    await using var db = await factory.CreateDbContextAsync(cancellationToken);
                    var reference = await db.Incidents.AsNoTracking().Where(i => i.Id == record.IncidentId).Select(i => i.Reference).SingleAsync(cancellationToken);
                    var target = new ActionTarget(record.TenantId, reference, record.Account, record.Region, record.Resource, record.Inputs);
                    verification = await action.VerifyAsync(target, ReadPlan(record),
                        new ActionOutcome([], new Dictionary<string, string>(), new Dictionary<string, string>()), cancellationToken);
                }
                catch (CloudCallException e)
                {
                    verification = [new VerificationCheck("re-read the state", "readable", $"{e.Code}: {e.Message}", false)];
                }
                catch (Exception e) when (e is not OperationCanceledException)
                {
                    var why = e is ValidationFailedException v ? string.Join(" ", v.Errors.SelectMany(x => x.Value)) : e.Message;
                    verification = [new VerificationCheck("re-read the state", "readable", "The verification could not run: " + why, false)];
                }
            }
            await using (var db = await factory.CreateDbContextAsync(cancellationToken))
            {
                var saved = await FindAsync(db, record.Id, cancellationToken);
                saved.Verification = JsonSerializer.Serialize(verification, Json);
                saved.Verified = verification.Count == 0 ? null : verification.All(v => v.Ok);
                var holding = verification.Count(v => v.Ok);
                db.TimelineEntries.Add(TimelineFor(saved, $"Verification of interrupted {Title(saved)} on {saved.Resource}: {holding} of {verification.Count} checks hold", "the server at start"));
                await db.SaveChangesAsync(cancellationToken);
            }
        }
    }

    /// <summary>
    /// Plans the action of an interrupted (or failed) record again, with the same target, inputs and choice, reading
    /// the state as it is now; the old record points at the new one.
    /// </summary>
    public async Task<ResponseActionView> ReplanAsync(string incidentKey, Guid id, CancellationToken cancellationToken = default)
    {
        ResponseAction record;
        await using (var db = await factory.CreateDbContextAsync(cancellationToken))
        {
            IncidentLookup.Require(db.Actor, Role.Responder, "plan response actions");
            var incident = await IncidentLookup.FindAsync(db, incidentKey, cancellationToken, track: false);
            record = await FindAsync(db, id, cancellationToken, track: false);
            if (record.IncidentId != incident.Id) throw new NotFoundException("Response action", id.ToString());
            if (record.Status is not (ActionStatus.Interrupted or ActionStatus.Failed or ActionStatus.PartiallyFailed))
                throw new ConflictException($"The action is {Status(record.Status)}; only an interrupted or failed action is re-planned.");
            if (record.ReplannedAs is not null) throw new ConflictException($"The action was already re-planned as {record.ReplannedAs}.");
        }
        var planned = await PlanAsync(incidentKey, new PlanAction(record.ActionName, record.Account, record.Region, record.Resource, record.Criticality, record.Choice,
            record.ChoiceReason, Truncate($"Re-plan of {Status(record.Status)} action {record.Id}: {record.Reason}", IncidentLimits.ReasonLength),
            new Dictionary<string, string>(record.Inputs)), cancellationToken);
        await using (var db = await factory.CreateDbContextAsync(cancellationToken))
        {
            var old = await FindAsync(db, id, cancellationToken);
            old.ReplannedAs = planned.Id;
            await db.SaveChangesAsync(cancellationToken);
        }
        return planned;
    }

    private static string Truncate(string text, int length) => text.Length > length ? text[..length] : text;

    private string Title(ResponseAction record) => _actions.TryGetValue(record.ActionName, out var a) ? a.Definition.Title : record.ActionName;

    public async Task<ResponseActionView> GetAsync(Guid id, CancellationToken cancellationToken = default)
    {
        await using var db = await factory.CreateDbContextAsync(cancellationToken);
        return ToView(await FindAsync(db, id, cancellationToken, track: false));
    }

    /// <summary>An action of one incident: another incident's action (or another tenant's) is not found.</summary>
    public async Task<ResponseActionView> GetAsync(string incidentKey, Guid id, CancellationToken cancellationToken = default)
    {
        await using var db = await factory.CreateDbContextAsync(cancellationToken);
        var incident = await IncidentLookup.FindAsync(db, incidentKey, cancellationToken, track: false);
        var record = await FindAsync(db, id, cancellationToken, track: false);
        if (record.IncidentId != incident.Id) throw new NotFoundException("Response action", id.ToString());
        return ToView(record);
    }

    public async Task<IReadOnlyList<ResponseActionView>> ListAsync(string incidentKey, CancellationToken cancellationToken = default)
    {
        await using var db = await factory.CreateDbContextAsync(cancellationToken);
        var incident = await IncidentLookup.FindAsync(db, incidentKey, cancellationToken, track: false);
        var records = await db.ResponseActions.AsNoTracking().Where(a => a.IncidentId == incident.Id)
            .OrderBy(a => a.RequestedAt).ThenBy(a => a.Id).ToListAsync(cancellationToken);
        return records.Select(ToView).ToList();
    }

    /// <summary>What stopping or cutting off the asset costs the business, in words the approver reads.</summary>
    public static string BusinessImpact(ActionDefinition definition, AssetCriticality criticality)
    {
        var asset = criticality switch
        {
            AssetCriticality.Critical => "a critical asset: the business stops without it",
            AssetCriticality.High => "a high-criticality asset: an important service degrades or stops",
            AssetCriticality.Medium => "a medium-criticality asset: some users are affected",
            _ => "a low-criticality asset: little business effect",
        };
        return definition.AffectsAvailability
            ? $"Takes {asset}. Availability is lost until the action is undone or the asset is replaced."
            : $"Keeps {asset} running; it changes {definition.ResourceType} access or records state without taking the service down.";
    }

    private static void CheckInputs(Checks checks, ActionDefinition definition, Dictionary<string, string>? inputs)
    {
        inputs ??= [];
        checks.That(inputs.Count <= ResponseLimits.MaxInputs, "inputs", $"inputs may hold at most {ResponseLimits.MaxInputs} values.");
        foreach (var (name, value) in inputs)
        {
            var input = definition.Inputs.FirstOrDefault(i => i.Name == name);
            if (input is null)
            {
                checks.That(false, $"inputs.{name}", $"{definition.Name} takes no input '{name}'; it takes: {string.Join(", ", definition.Inputs.Select(i => i.Name))}.");
                continue;
            }
            if (value is null)
            {
                checks.That(false, $"inputs.{name}", $"inputs.{name} needs a value; leave the input out instead of sending null.");
                continue;
            }
            var v = value.Trim();
            checks.That(v.Length <= ResponseLimits.InputLength, $"inputs.{name}", $"inputs.{name} must be at most {ResponseLimits.InputLength} characters.");
            checks.That(input.Type switch
            {
                ActionInputType.Boolean => bool.TryParse(v, out _),
                ActionInputType.Cidr => IPNetwork.TryParse(v, out var network) && network.BaseAddress.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork,
                ActionInputType.Arn => ArnPattern().IsMatch(v),
                _ => !v.Any(char.IsControl),
            }, $"inputs.{name}", input.Type switch
            {
                ActionInputType.Boolean => $"inputs.{name} must be true or false.",
                ActionInputType.Cidr => $"inputs.{name} must be an IPv4 CIDR such as 203.0.113.7/32.",
                ActionInputType.Arn => $"inputs.{name} must be an ARN (arn:aws:...).",
                _ => $"inputs.{name} must not contain control characters.",
            });
        }
        foreach (var input in definition.Inputs.Where(i => i.Required))
            checks.That(inputs.TryGetValue(input.Name, out var v) && !string.IsNullOrWhiteSpace(v), $"inputs.{input.Name}", $"inputs.{input.Name} is required: {input.Description}");
    }

    private static async Task<T> Cloud<T>(Func<Task<T>> call)
    {
        try
        {
            return await call();
        }
        catch (CloudCallException e)
        {
            throw new ConflictException($"The cloud provider refused to let Firebreak read the current state, so no plan was made and nothing changed. {e.Message}");
        }
    }

    private IResponseAction Action(ResponseAction record) =>
        _actions.TryGetValue(record.ActionName, out var action)
            ? action
            : throw new ConflictException($"The action '{record.ActionName}' is not available on this server.");

    private static async Task<ResponseAction> FindAsync(FirebreakDbContext db, Guid id, CancellationToken cancellationToken, bool track = true) =>
        await (track ? db.ResponseActions : db.ResponseActions.AsNoTracking()).SingleOrDefaultAsync(a => a.Id == id, cancellationToken)
        ?? throw new NotFoundException("Response action", id.ToString());

    private TimelineEntry TimelineFor(ResponseAction record, string title, string actor)
    {
        var now = time.GetUtcNow();
        return TimelineEntry.Recorded(record.TenantId, record.IncidentId, TimelineKind.Action, title, $"response by {actor}", record.Id.ToString(), now, now);
    }

    private static ActionPlan ReadPlan(ResponseAction record) => JsonSerializer.Deserialize<ActionPlan>(record.Plan, Json)!;

    private static T[] Read<T>(string? json) => json is null ? [] : JsonSerializer.Deserialize<T[]>(json, Json) ?? [];

    internal static string Status(ActionStatus status) => JsonSerializer.Serialize(status).Trim('"');

    private static string Stage(ContainmentStage stage) => JsonSerializer.Serialize(stage).Trim('"');

    private ResponseActionView ToView(ResponseAction r)
    {
        var definition = _actions.TryGetValue(r.ActionName, out var a) ? a.Definition : null;
        return new ResponseActionView(r.Id, r.IncidentId, r.ActionName, definition?.Title ?? r.ActionName, r.Provider, r.Account, r.Region, r.Resource, r.Inputs,
            definition?.Stage ?? ContainmentStage.Collect, r.Impact, r.Criticality, r.Choice, r.ChoiceReason, r.BusinessImpact, r.Reason, r.RequiresApproval,
            ReadPlan(r), r.Warnings, r.Status, r.RequestedBy, r.RequestedAt, r.ApprovedBy, r.ApprovedAt, r.ApprovalComment, r.RanBy, r.StartedAt, r.CompletedAt,
            Read<CallResult>(r.Results), Read<VerificationCheck>(r.Verification), r.Verified, r.UndoData, r.Output, r.UndoneBy, r.UndoneAt, r.UndoReason,
            Read<CallResult>(r.UndoResults), r.Version) { InterruptedAt = r.InterruptedAt, ReplannedAs = r.ReplannedAs };
    }

    private static bool Matches(string value, string pattern) => Regex.IsMatch(value, pattern, RegexOptions.None, TimeSpan.FromSeconds(1));

    [GeneratedRegex("^arn:aws[a-z-]*:[a-z0-9-]+:[a-z0-9-]*:[0-9]{0,12}:[^\\s]+$")]
    private static partial Regex ArnPattern();
}
