using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using Firebreak.Core.Response;

namespace Firebreak.Cloud.Gcp;

/// <summary>Collect: one snapshot per attached persistent disk, labelled with the incident and the source disk.</summary>
internal sealed class SnapshotDisksAction(GcpSessions sessions, TimeProvider time) : GcpAction(sessions)
{
    public override ActionDefinition Definition { get; } = Zonal(new ActionDefinition("gcp-snapshot-disks", "gcp", "Snapshot all persistent disks",
        "Creates a snapshot of every persistent disk attached to the instance, labelled firebreak-incident, firebreak-source-instance and firebreak-source-disk, and waits for each operation.",
        InstanceType, InstancePattern, ContainmentStage.Collect, ActionImpact.Low, AffectsAvailability: false, Undoable: true,
        "Undo deletes the snapshots this run created (only when they are no longer needed as evidence).",
        ["compute.instances.get", "compute.disks.createSnapshot", "compute.zoneOperations.get", "compute.snapshots.get", "compute.snapshots.delete (undo)"], []));

    protected override async Task<ActionPlan> PlanAsync(GcpSession session, ActionTarget target, CancellationToken cancellationToken)
    {
        var instance = await GetInstanceAsync(session, target, cancellationToken);
        var facts = GceInstanceFacts.From(target.Resource, instance);
        var planned = time.GetUtcNow().ToString("O");
        var calls = new List<PlannedCall>();
        foreach (var disk in instance.Items("disks").Where(d => d.Str("type") == "PERSISTENT" && d.Str("source") is not null))
        {
            var source = disk.Str("source")!;
            var path = source[source.IndexOf("projects/", StringComparison.Ordinal)..];
            var diskName = GcpJson.Name(source);
            var name = SnapshotName(target.IncidentReference, diskName, $"{target.IncidentReference}\n{target.Resource}\n{path}\n{planned}");
            calls.Add(new PlannedCall("compute", path.Contains("/regions/", StringComparison.Ordinal) ? "regionDisks.createSnapshot" : "disks.createSnapshot",
                Map(("disk", path), ("name", name), ("deviceName", disk.Str("deviceName") ?? ""), ("boot", disk.Bool("boot") ? "true" : "false"),
                    ("labels", $"firebreak-incident={Label(target.IncidentReference)},firebreak-source-instance={Label(GcpJson.Name(target.Resource))},firebreak-source-disk={Label(diskName)}")),
                $"creates snapshot {name} of {diskName} ({disk.Str("deviceName")})"));
        }
        var state = facts.State();
        state["disks"] = string.Join(",", calls.Select(c => c.Parameters["disk"]));
        return new ActionPlan($"Snapshot {calls.Count} persistent disk(s) of {target.Resource}.", calls,
            calls.Count == 0 ? ["The instance has no persistent disks: nothing to snapshot."] : calls.Select(c => c.Change).ToList(),
            true, Definition.UndoDescription, GceSafety.Assess(facts), GceSafety.SafeOrder(facts), state);
    }

    protected override async Task<ActionOutcome> ExecuteAsync(GcpSession session, ActionTarget target, ActionPlan plan, CancellationToken cancellationToken)
    {
        var calls = new List<CallResult>();
        var undo = new Dictionary<string, string>();
        foreach (var call in plan.Calls)
        {
            var path = call.Parameters["disk"];
            var name = call.Parameters["name"];
            var labels = new JsonObject();
            foreach (var pair in call.Parameters["labels"].Split(','))
                labels[pair[..pair.IndexOf('=')]] = pair[(pair.IndexOf('=') + 1)..];
            calls.Add(await CallAsync($"compute:{call.Operation}", path, async () =>
            {
                var operation = await session.Rest.PostAsync($"compute:{call.Operation}", session.Compute(path + "/createSnapshot"),
                    Json(("name", name), ("description", $"Firebreak {target.IncidentReference}: {target.Resource} {call.Parameters["deviceName"]}"), ("labels", labels)),
                    cancellationToken);
                // Recorded as soon as Compute accepted it: a snapshot whose operation later fails may still exist.
                undo[path] = name;
                var done = await session.Rest.WaitAsync(session, operation, cancellationToken);
                return $"snapshot {name} of {GcpJson.Name(path)} created (operation {done.Str("name")} DONE)";
            }));
        }
        return Outcome(calls, undo, new Dictionary<string, string>(undo));
    }

    protected override async Task<IReadOnlyList<VerificationCheck>> VerifyAsync(GcpSession session, ActionTarget target, ActionPlan plan, ActionOutcome outcome, CancellationToken cancellationToken)
    {
        var checks = new List<VerificationCheck>();
        var succeeded = outcome.Calls.Where(c => c.Succeeded).Select(c => c.Resource).ToHashSet(StringComparer.Ordinal);
        foreach (var (disk, name) in outcome.UndoData.Where(e => succeeded.Contains(e.Key)))
        {
            var snapshot = await ReadAsync(() => session.Rest.FindAsync("compute:snapshots.get", session.Compute($"projects/{session.Project}/global/snapshots/{name}"), cancellationToken));
            if (snapshot is not { } s)
            {
                checks.Add(new VerificationCheck($"snapshot {name} of {GcpJson.Name(disk)}", "exists", "not found", false));
                continue;
            }
            var labelled = s.Obj("labels").Str("firebreak-incident") == Label(target.IncidentReference);
            var status = s.Str("status") ?? "UNKNOWN";
            checks.Add(new VerificationCheck($"snapshot {name} of {GcpJson.Name(disk)}", "CREATING, UPLOADING or READY, labelled with the incident",
                $"{status}, labelled {(labelled ? "yes" : "no")}", status is "CREATING" or "UPLOADING" or "READY" && labelled));
        }
        return checks;
    }

    protected override async Task<ActionOutcome> UndoAsync(GcpSession session, ActionTarget target, ActionPlan plan, IReadOnlyDictionary<string, string> undoData, CancellationToken cancellationToken)
    {
        var calls = new List<CallResult>();
        foreach (var (disk, name) in undoData)
            calls.Add(await CallAsync("compute:snapshots.delete", name, async () =>
            {
                try
                {
                    var operation = await session.Rest.DeleteAsync("compute:snapshots.delete", session.Compute($"projects/{session.Project}/global/snapshots/{name}"), cancellationToken);
                    await session.Rest.WaitAsync(session, operation, cancellationToken);
                    return $"snapshot {name} of {GcpJson.Name(disk)} deleted";
                }
                catch (GcpApiException e) when (e.HttpStatus == 404)
                {
                    // Its creation failed after being accepted, or someone deleted it: either way it is gone.
                    return $"snapshot {name} of {GcpJson.Name(disk)} does not exist: nothing to delete";
                }
            }));
        return Outcome(calls);
    }

    private static string SnapshotName(string incident, string disk, string seed)
    {
        var hash = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(seed)))[..8];
        var stem = Label($"fb-{incident}-{disk}");
        return $"{(stem.Length > 54 ? stem[..54].TrimEnd('-') : stem)}-{hash}";
    }
}
