using System.Text;
using Firebreak.Core.Common;
using Firebreak.Core.Identity;
using Firebreak.Core.Incidents;
using Firebreak.Core.Investigation;
using Firebreak.Core.Persistence;
using Firebreak.Core.Response;
using Firebreak.Core.Scope;
using Microsoft.EntityFrameworkCore;

namespace Firebreak.Core.Playbooks;

[System.Text.Json.Serialization.JsonConverter(typeof(StrictEnumConverter<PlaybookFormat>))]
public enum PlaybookFormat
{
    [System.Text.Json.Serialization.JsonStringEnumMemberName("yaml")] Yaml = 0,
    [System.Text.Json.Serialization.JsonStringEnumMemberName("cacao")] Cacao = 1,
}

/// <summary>
/// Playbooks (the built-ins and the tenant's own) and their runs on incidents: start with bound inputs, tick manual
/// checklists, approve, cancel. The steps advance in <see cref="PlaybookWorker"/>; everything is audited and each
/// step's outcome goes on the incident's timeline.
/// </summary>
public sealed class PlaybookService(IDbContextFactory<FirebreakDbContext> factory, ResponseService response, ScopeService scope,
    PlaybookSignal signal, TimeProvider time)
{
    public async Task<IReadOnlyList<PlaybookSummary>> ListAsync(CancellationToken cancellationToken = default)
    {
        await using var db = await factory.CreateDbContextAsync(cancellationToken);
        var own = await db.Playbooks.AsNoTracking().OrderBy(p => p.Key).ToListAsync(cancellationToken);
        return BuiltInPlaybooks.List().Select(b => Summary(b.Definition, null))
            .Concat(own.Select(p => Summary(PlaybookYaml.Parse(p.Yaml), p))).ToList();
    }

    public async Task<PlaybookDetails> GetAsync(string id, CancellationToken cancellationToken = default)
    {
        await using var db = await factory.CreateDbContextAsync(cancellationToken);
        var (definition, yaml, record) = await FindAsync(db, id, cancellationToken);
        return new PlaybookDetails(Summary(definition, record), definition, yaml);
    }

    /// <summary>Checks a playbook (YAML, or CACAO v2 JSON) strictly, its actions against this server's catalogue, and stores it for the tenant.</summary>
    public async Task<PlaybookDetails> ImportAsync(string text, PlaybookFormat format, CancellationToken cancellationToken = default)
    {
        if (Encoding.UTF8.GetByteCount(text) > PlaybookLimits.MaxSourceBytes)
            throw new ValidationFailedException("body", $"The playbook is larger than {PlaybookLimits.MaxSourceBytes / 1024} KiB.");
        if (string.IsNullOrWhiteSpace(text)) throw new ValidationFailedException("body", "The request body is empty: send the playbook.");
        var definition = format == PlaybookFormat.Cacao ? PlaybookCacao.Import(text) : PlaybookYaml.Parse(text);
        var yaml = format == PlaybookFormat.Cacao ? PlaybookYaml.Write(definition) : text;
        CheckActions(definition);
        await using var db = await factory.CreateDbContextAsync(cancellationToken);
        IncidentLookup.Require(db.Actor, Role.IncidentManager, "import playbooks");
        if (BuiltInPlaybooks.Find(definition.Id) is not null)
            throw new ConflictException($"'{definition.Id}' is a built-in playbook's id; give the playbook another id.");
        if (await db.Playbooks.AnyAsync(p => p.Key == definition.Id, cancellationToken))
            throw new ConflictException($"The tenant already has a playbook '{definition.Id}'; delete it first to replace it.");
        var record = new Playbook
        {
            Key = definition.Id,
            Name = definition.Name,
            Description = definition.Description,
            Yaml = yaml,
            ImportedBy = db.Actor.Name,
            ImportedAt = time.GetUtcNow(),
        };
        db.Playbooks.Add(record);
        await db.SaveChangesAsync(cancellationToken);
        return new PlaybookDetails(Summary(definition, record), definition, yaml);
    }

    public async Task<string> ExportAsync(string id, PlaybookFormat format, CancellationToken cancellationToken = default)
    {
        await using var db = await factory.CreateDbContextAsync(cancellationToken);
        var (definition, yaml, record) = await FindAsync(db, id, cancellationToken);
        return format == PlaybookFormat.Cacao ? PlaybookCacao.Export(definition, record?.ImportedAt ?? time.GetUtcNow()) : yaml;
    }

    public async Task DeleteAsync(string id, long? expectedVersion = null, CancellationToken cancellationToken = default)
    {
        await using var db = await factory.CreateDbContextAsync(cancellationToken);
        IncidentLookup.Require(db.Actor, Role.IncidentManager, "delete playbooks");
        if (BuiltInPlaybooks.Find(id) is not null) throw new ConflictException($"'{id}' is built in and cannot be deleted.");
        var record = await db.Playbooks.SingleOrDefaultAsync(p => p.Key == id, cancellationToken) ?? throw new NotFoundException("Playbook", id);
        IncidentLookup.CheckVersion(record, expectedVersion);
        db.Playbooks.Remove(record);
        await db.SaveChangesAsync(cancellationToken);
    }

    /// <summary>
    /// Starts a playbook on an incident: checks the actions against the catalogue, binds every input (given by the
    /// responder, else from the incident's scope, else its default) and records the run with every step pending.
    /// </summary>
    public async Task<RunView> StartAsync(string incidentKey, StartRun command, CancellationToken cancellationToken = default)
    {
        var checks = new Checks().Required("playbook", command.Playbook, PlaybookLimits.IdLength)
            .Required("choiceReason", command.ChoiceReason, IncidentLimits.ReasonLength)
            .That(command.Criticality is not null, "criticality", "criticality is required: low, medium, high or critical.")
            .That(command.Choice is not null, "choice", "choice is required: contain-accept-downtime or stay-available-accept-data-risk.")
            .Defined("criticality", command.Criticality).Defined("choice", command.Choice)
            .That((command.Inputs?.Count ?? 0) <= PlaybookLimits.MaxInputs, "inputs", $"inputs may hold at most {PlaybookLimits.MaxInputs} values.");
        checks.ThrowIfAny();
        await using var db = await factory.CreateDbContextAsync(cancellationToken);
        IncidentLookup.Require(db.Actor, Role.Responder, "run playbooks");
        var incident = await IncidentLookup.FindAsync(db, incidentKey, cancellationToken, track: false);
        if (incident.Phase == Phase.Closed) throw new ConflictException("The incident is closed; reopen it to run a playbook.");
        var (definition, yaml, record) = await FindAsync(db, command.Playbook.Trim(), cancellationToken);
        CheckActions(definition);
        var (inputs, sources) = await BindAsync(definition, incident.Reference, command.Inputs ?? [], cancellationToken);

        var now = time.GetUtcNow();
        var run = new PlaybookRun
        {
            IncidentId = incident.Id,
            PlaybookKey = definition.Id,
            PlaybookName = definition.Name,
            BuiltIn = record is null,
            Yaml = yaml,
            Inputs = inputs,
            InputSources = sources,
            Criticality = command.Criticality!.Value,
            Choice = command.Choice!.Value,
            ChoiceReason = command.ChoiceReason!.Trim(),
            Status = RunStatus.Running,
            StartedBy = db.Actor.Name,
            StartedByPrincipal = db.Actor.Principal(),
            StartedByUserId = db.Actor.UserId,
            StartedByApiKeyId = db.Actor.ApiKeyId,
            StartedByRole = db.Actor.Role,
            StartedAt = now,
        };
        db.PlaybookRuns.Add(run);
        var rows = Rows(definition.Steps, 0, run, []);
        db.PlaybookRunSteps.AddRange(rows);
        db.TimelineEntries.Add(Timeline(run, $"Playbook '{definition.Name}' started", db.Actor.Name, now));
        await db.SaveChangesAsync(cancellationToken);
        signal.Notify();
        return View(run, incident.Reference, definition, rows);
    }

    public async Task<IReadOnlyList<RunView>> ListRunsAsync(string incidentKey, CancellationToken cancellationToken = default)
    {
        await using var db = await factory.CreateDbContextAsync(cancellationToken);
        var incident = await IncidentLookup.FindAsync(db, incidentKey, cancellationToken, track: false);
        var runs = await db.PlaybookRuns.AsNoTracking().Where(r => r.IncidentId == incident.Id).OrderBy(r => r.StartedAt).ThenBy(r => r.Id).ToListAsync(cancellationToken);
        var ids = runs.Select(r => r.Id).ToList();
        var steps = (await db.PlaybookRunSteps.AsNoTracking().Where(s => ids.Contains(s.RunId)).ToListAsync(cancellationToken)).ToLookup(s => s.RunId);
        return runs.Select(r => View(r, incident.Reference, PlaybookYaml.Parse(r.Yaml), steps[r.Id].ToList())).ToList();
    }

    public async Task<RunView> GetRunAsync(string incidentKey, Guid runId, CancellationToken cancellationToken = default)
    {
        await using var db = await factory.CreateDbContextAsync(cancellationToken);
        var (run, reference) = await FindRunAsync(db, incidentKey, runId, track: false, cancellationToken);
        var steps = await db.PlaybookRunSteps.AsNoTracking().Where(s => s.RunId == run.Id).ToListAsync(cancellationToken);
        return View(run, reference, PlaybookYaml.Parse(run.Yaml), steps);
    }

    /// <summary>Ticks checklist items of an open manual step; when every item is ticked the step is done and the run moves on.</summary>
    public async Task<RunView> CompleteAsync(string incidentKey, Guid runId, string stepId, CompleteStep command, long? expectedVersion = null,
        CancellationToken cancellationToken = default)
    {
        new Checks().That(command.Items is { Count: > 0 }, "items", "items is required: the indexes (from 0) of the checklist items done.")
            .That(command.Items is null || command.Items.Count <= PlaybookLimits.MaxChecklist, "items", $"items holds at most {PlaybookLimits.MaxChecklist} indexes.")
            .MaxLength("note", command.Note, PlaybookLimits.NoteLength).ThrowIfAny();
        await using var db = await factory.CreateDbContextAsync(cancellationToken);
        IncidentLookup.Require(db.Actor, Role.Responder, "complete playbook steps");
        var (run, reference) = await FindRunAsync(db, incidentKey, runId, track: true, cancellationToken);
        var definition = PlaybookYaml.Parse(run.Yaml);
        var (step, row) = await FindStepAsync(db, run, definition, stepId, cancellationToken);
        IncidentLookup.CheckVersion(row, expectedVersion);
        if (step.Kind != StepKind.Manual) throw new ConflictException($"Step '{stepId}' is a {PlaybookYaml.EnumText(step.Kind)} step; only manual steps are completed by hand.");
        if (run.Status != RunStatus.Running) throw new ConflictException($"The run is {PlaybookYaml.EnumText(run.Status)}.");
        if (row.State != StepState.Running) throw new ConflictException($"Step '{stepId}' is {PlaybookYaml.EnumText(row.State)}; its checklist opens when the run reaches it.");
        var bad = command.Items!.Where(i => i < 0 || i >= step.Checklist.Count).ToList();
        if (bad.Count > 0) throw new ValidationFailedException("items", $"The checklist has items 0 to {step.Checklist.Count - 1}; {string.Join(", ", bad)} is not one of them.");
        var now = time.GetUtcNow();
        row.Ticked = row.Ticked.Union(command.Items!).Order().ToList();
        row.Actor = db.Actor.Name;
        if (command.Note is { Length: > 0 } note) row.Note = note.Trim();
        if (row.Ticked.Count == step.Checklist.Count)
        {
            row.State = StepState.Done;
            row.FinishedAt = now;
            row.Result = $"All {step.Checklist.Count} checklist items done.";
            db.TimelineEntries.Add(Timeline(run, $"Playbook '{run.PlaybookName}': step '{step.Name}' done", db.Actor.Name, now));
        }
        await db.SaveChangesAsync(cancellationToken);
        signal.Notify();
        return await GetRunAsync(reference, run.Id, cancellationToken);
    }

    /// <summary>
    /// Approves a step waiting for a second person: an approval step, or an action step whose planned action needs
    /// approval (approved through the response actions, with their rules). The person who started the run cannot approve.
    /// </summary>
    public async Task<RunView> ApproveAsync(string incidentKey, Guid runId, string stepId, ApproveStep command, long? expectedVersion = null,
        CancellationToken cancellationToken = default)
    {
        new Checks().MaxLength("comment", command.Comment, IncidentLimits.ReasonLength).ThrowIfAny();
        await using var db = await factory.CreateDbContextAsync(cancellationToken);
        IncidentLookup.Require(db.Actor, Role.Responder, "approve playbook steps");
        var (run, reference) = await FindRunAsync(db, incidentKey, runId, track: true, cancellationToken);
        var definition = PlaybookYaml.Parse(run.Yaml);
        var (step, row) = await FindStepAsync(db, run, definition, stepId, cancellationToken);
        IncidentLookup.CheckVersion(row, expectedVersion);
        if (run.Status != RunStatus.Running) throw new ConflictException($"The run is {PlaybookYaml.EnumText(run.Status)}.");
        if (step.Kind is not (StepKind.Approval or StepKind.Action))
            throw new ConflictException($"Step '{stepId}' is a {PlaybookYaml.EnumText(step.Kind)} step; only approval and action steps are approved.");
        if (row.State != StepState.WaitingApproval) throw new ConflictException($"Step '{stepId}' is {PlaybookYaml.EnumText(row.State)}, not waiting for approval.");
        if (step.Kind == StepKind.Action)
        {
            await response.ApproveAsync(row.ActionId!.Value, new ApproveAction(command.Comment), cancellationToken: cancellationToken);
        }
        else
        {
            if (run.StartedByPrincipal == db.Actor.Principal())
                throw new ForbiddenException("A second person must approve this step: whoever started the run cannot approve it.");
            var now = time.GetUtcNow();
            row.State = StepState.Succeeded;
            row.Actor = db.Actor.Name;
            row.FinishedAt = now;
            row.Note = command.Comment?.Trim();
            row.Result = $"Approved by {db.Actor.Name}.";
            db.TimelineEntries.Add(Timeline(run, $"Playbook '{run.PlaybookName}': step '{step.Name}' approved", db.Actor.Name, now));
            await db.SaveChangesAsync(cancellationToken);
        }
        signal.Notify();
        return await GetRunAsync(reference, run.Id, cancellationToken);
    }

    /// <summary>Stops a run: steps not finished are skipped. Actions already planned or run stay as they are, on the response actions.</summary>
    public async Task<RunView> CancelAsync(string incidentKey, Guid runId, CancelRun command, long? expectedVersion = null, CancellationToken cancellationToken = default)
    {
        new Checks().Required("reason", command.Reason, IncidentLimits.ReasonLength).ThrowIfAny();
        // The worker may move a step at the same moment: read again and retry rather than bounce the person.
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                return await TryCancelAsync(incidentKey, runId, command, expectedVersion, cancellationToken);
            }
            catch (ConcurrencyConflictException) when (attempt < 5)
            {
                await Task.Delay(50 * attempt, cancellationToken);
            }
        }
    }

    private async Task<RunView> TryCancelAsync(string incidentKey, Guid runId, CancelRun command, long? expectedVersion, CancellationToken cancellationToken)
    {
        await using var db = await factory.CreateDbContextAsync(cancellationToken);
        IncidentLookup.Require(db.Actor, Role.Responder, "cancel playbook runs");
        var (run, reference) = await FindRunAsync(db, incidentKey, runId, track: true, cancellationToken);
        IncidentLookup.CheckVersion(run, expectedVersion);
        if (run.Status != RunStatus.Running) throw new ConflictException($"The run is {PlaybookYaml.EnumText(run.Status)}; only a running run can be cancelled.");
        var now = time.GetUtcNow();
        run.Status = RunStatus.Cancelled;
        run.FinishedAt = now;
        run.CancelledBy = db.Actor.Name;
        run.CancelReason = command.Reason.Trim();
        foreach (var row in await db.PlaybookRunSteps.Where(s => s.RunId == run.Id).ToListAsync(cancellationToken))
        {
            if (row.State.Finished()) continue;
            row.State = StepState.Skipped;
            row.FinishedAt = now;
            row.Result = "The run was cancelled.";
        }
        db.TimelineEntries.Add(Timeline(run, $"Playbook '{run.PlaybookName}' cancelled: {run.CancelReason}", db.Actor.Name, now));
        await db.SaveChangesAsync(cancellationToken);
        return await GetRunAsync(reference, run.Id, cancellationToken);
    }

    private void CheckActions(PlaybookDefinition definition)
    {
        var catalogue = response.Catalogue().Select(a => a.Name).ToHashSet(StringComparer.Ordinal);
        var errors = new Dictionary<string, string[]>();
        foreach (var step in definition.AllSteps().Where(s => s.Kind == StepKind.Action && !catalogue.Contains(s.Action!)))
            errors[$"steps.{step.Id}.action"] = [$"{(step.Line > 0 ? $"line {step.Line}: " : "")}action '{step.Action}' is not in this server's catalogue ({string.Join(", ", catalogue.Order())})."];
        if (errors.Count > 0) throw new ValidationFailedException(errors);
    }

    private async Task<(Dictionary<string, string> Inputs, Dictionary<string, string> Sources)> BindAsync(PlaybookDefinition definition, string reference,
        Dictionary<string, string> given, CancellationToken cancellationToken)
    {
        var errors = new Checks();
        foreach (var name in given.Keys.Where(k => definition.Inputs.All(i => i.Name != k)))
            errors.That(false, $"inputs.{name}", $"{definition.Id} takes no input '{name}'; it takes: {string.Join(", ", definition.Inputs.Select(i => i.Name))}.");
        ScopeView? view = null;
        var inputs = new Dictionary<string, string>(StringComparer.Ordinal);
        var sources = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var input in definition.Inputs)
        {
            var field = $"inputs.{input.Name}";
            if (given.TryGetValue(input.Name, out var value) && value is not null && value.Trim().Length > 0)
            {
                value = value.Trim();
                errors.That(PlaybookChecks.ValidValue(input.Type, value), field, $"{field} must be a valid {PlaybookYaml.EnumText(input.Type)} of at most {PlaybookLimits.ValueLength} characters.");
                inputs[input.Name] = value;
                sources[input.Name] = "responder";
                continue;
            }
            if (input.From == InputSource.Scope)
            {
                view ??= await scope.GetAsync(reference, cancellationToken);
                if (FromScope(view, input.Type) is { } bound)
                {
                    inputs[input.Name] = bound;
                    sources[input.Name] = "scope";
                    continue;
                }
            }
            if (input.Default is not null)
            {
                inputs[input.Name] = input.Default;
                sources[input.Name] = "default";
                continue;
            }
            errors.That(!input.Required, field, input.From == InputSource.Scope
                ? $"{field} is required and the incident's scope has no {PlaybookYaml.EnumText(input.Type)} to bind: give it. {input.Description}".TrimEnd()
                : $"{field} is required: {input.Description}".TrimEnd());
            inputs[input.Name] = "";
            sources[input.Name] = "empty";
        }
        errors.ThrowIfAny();
        return (inputs, sources);
    }

    /// <summary>The first attacker-controlled entity of the type in the scope (by first seen), else the first of the whole incident.</summary>
    internal static string? FromScope(ScopeView view, PlaybookInputType type)
    {
        var blast = view.BlastRadius;
        return type switch
        {
            PlaybookInputType.AccessKey => First(blast.Identities.Where(i => i.Kind == ScopeEntityKind.AccessKey).Select(i => i.Value)),
            PlaybookInputType.Principal => First(blast.Identities.Where(i => i.Kind == ScopeEntityKind.Principal).Select(i => i.Value)),
            PlaybookInputType.Instance => First(blast.Resources.Concat(view.Resources).Select(r => Instance(r.Value))),
            PlaybookInputType.Bucket => First(blast.Resources.Concat(view.Resources).Select(r => Containment.S3BucketOf(r.Value))),
            PlaybookInputType.Account => First(blast.Accounts.Concat(view.Accounts).Select(a => a.Value)),
            PlaybookInputType.Region => First(blast.Regions.Concat(view.Regions).Select(a => a.Value)),
            _ => null,
        };

        static string? First(IEnumerable<string?> values) => values.FirstOrDefault(v => !string.IsNullOrWhiteSpace(v) && v.Length <= PlaybookLimits.ValueLength);
    }

    private static string? Instance(string resource) =>
        Containment.Ec2InstanceIn(resource)
        ?? (resource.Contains("/virtualMachines/", StringComparison.OrdinalIgnoreCase) || resource.Contains("/instances/", StringComparison.Ordinal) ? resource : null);

    private static List<PlaybookRunStep> Rows(IEnumerable<PlaybookStep> steps, int depth, PlaybookRun run, List<PlaybookRunStep> rows)
    {
        foreach (var step in steps)
        {
            rows.Add(new PlaybookRunStep
            {
                TenantId = run.TenantId,
                IncidentId = run.IncidentId,
                RunId = run.Id,
                StepId = step.Id,
                Position = rows.Count,
                Depth = depth,
                Kind = step.Kind,
                Name = step.Name,
                State = StepState.Pending,
            });
            Rows(step.Children, depth + 1, run, rows);
        }
        return rows;
    }

    private static async Task<(PlaybookDefinition Definition, string Yaml, Playbook? Record)> FindAsync(FirebreakDbContext db, string id, CancellationToken cancellationToken)
    {
        if (BuiltInPlaybooks.Find(id) is { } builtIn) return (builtIn.Definition, builtIn.Yaml, null);
        var record = id.Length <= PlaybookLimits.IdLength ? await db.Playbooks.AsNoTracking().SingleOrDefaultAsync(p => p.Key == id, cancellationToken) : null;
        return record is null ? throw new NotFoundException("Playbook", id) : (PlaybookYaml.Parse(record.Yaml), record.Yaml, record);
    }

    private static async Task<(PlaybookRun Run, string Reference)> FindRunAsync(FirebreakDbContext db, string incidentKey, Guid runId, bool track, CancellationToken cancellationToken)
    {
        var incident = await IncidentLookup.FindAsync(db, incidentKey, cancellationToken, track: false);
        var run = await (track ? db.PlaybookRuns : db.PlaybookRuns.AsNoTracking()).SingleOrDefaultAsync(r => r.Id == runId && r.IncidentId == incident.Id, cancellationToken)
            ?? throw new NotFoundException("Playbook run", runId.ToString());
        return (run, incident.Reference);
    }

    private static async Task<(PlaybookStep Step, PlaybookRunStep Row)> FindStepAsync(FirebreakDbContext db, PlaybookRun run, PlaybookDefinition definition, string stepId,
        CancellationToken cancellationToken)
    {
        var step = definition.AllSteps().FirstOrDefault(s => s.Id == stepId) ?? throw new NotFoundException("Playbook step", stepId);
        var row = await db.PlaybookRunSteps.SingleAsync(s => s.RunId == run.Id && s.StepId == stepId, cancellationToken);
        return (step, row);
    }

    internal static TimelineEntry Timeline(PlaybookRun run, string title, string actor, DateTimeOffset now) =>
        TimelineEntry.Recorded(run.TenantId, run.IncidentId, TimelineKind.Action, title, $"playbook by {actor}", run.Id.ToString(), now, now);

    private static PlaybookSummary Summary(PlaybookDefinition definition, Playbook? record) =>
        new(definition.Id, definition.Name, definition.Description, record is null, definition.AllSteps().Count(),
            definition.AllSteps().Where(s => s.Kind == StepKind.Action).Select(s => s.Action!).Distinct().ToList(),
            record?.ImportedBy, record?.ImportedAt, record?.Version);

    internal static RunView View(PlaybookRun run, string reference, PlaybookDefinition definition, IReadOnlyList<PlaybookRunStep> rows)
    {
        var steps = definition.AllSteps().ToDictionary(s => s.Id);
        return new RunView(run.Id, reference, run.PlaybookKey, run.PlaybookName, run.BuiltIn, run.Status, run.Inputs, run.InputSources, run.Criticality, run.Choice,
            run.ChoiceReason, run.StartedBy, run.StartedAt, run.FinishedAt, run.Error, run.CancelledBy, run.CancelReason,
            rows.OrderBy(r => r.Position).Select(r =>
            {
                var step = steps.GetValueOrDefault(r.StepId);
                return new RunStepView(r.StepId, r.Position, r.Depth, r.Kind, r.Name, step?.Description, r.State, step?.Checklist ?? [], r.Ticked, r.ActionId, step?.Action,
                    r.Actor, r.StartedAt, r.FinishedAt, r.Result, r.Note, r.Version);
            }).ToList(), run.Version);
    }
}
