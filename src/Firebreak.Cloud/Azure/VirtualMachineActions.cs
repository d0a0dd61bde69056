using System.Text.Json.Nodes;
using Azure;
using Azure.Core;
using Azure.ResourceManager.Compute;
using Azure.ResourceManager.Compute.Models;
using Firebreak.Core.Common;
using Firebreak.Core.Response;

namespace Firebreak.Cloud.Azure;

/// <summary>What the Azure self-destruct checks read about a VM before containing it.</summary>
internal sealed record VirtualMachineFacts(ResourceIdentifier Id, string Location, string PowerState, string? ScaleSet, IReadOnlyList<string> DeletedWithVm,
    bool EphemeralOsDisk, IReadOnlyList<string> UnmanagedDisks)
{
    public IReadOnlyList<SafetyRisk> Risks()
    {
        var risks = new List<SafetyRisk>();
        if (ScaleSet is { } set)
            risks.Add(new SafetyRisk("scale-set", $"{Id.Name} belongs to scale set {set}. Automatic repairs or a scale-in can delete an isolated, unhealthy instance with its disks.",
                "Suspend automatic repairs and scale-in on the scale set (or protect the instance from scale-in) before isolating; snapshot the disks first (azure-snapshot-disks)."));
        if (DeletedWithVm.Count > 0)
            risks.Add(new SafetyRisk("delete-with-vm", $"Disks {string.Join(", ", DeletedWithVm)} have deleteOption=Delete: deleting the VM deletes them.",
                "Snapshot them (azure-snapshot-disks) and put a CanNotDelete lock on the resource group."));
        if (EphemeralOsDisk)
            risks.Add(new SafetyRisk("ephemeral-os-disk", "The OS disk is ephemeral (on the host's local storage): it cannot be snapshotted and is lost on restart, redeploy or deallocation.",
                "Collect from inside the VM (memory and disk images) before any restart."));
        if (UnmanagedDisks.Count > 0)
            risks.Add(new SafetyRisk("unmanaged-disk", $"Disks {string.Join(", ", UnmanagedDisks)} are unmanaged VHD blobs: managed snapshots do not cover them.",
                "Copy the VHD blobs (a blob snapshot) by hand."));
        return risks;
    }

    public static IReadOnlyList<string> SafeOrder() =>
    [
        "1. collect: azure-snapshot-disks (full snapshots tagged with the incident)",
        "2. preserve: a CanNotDelete lock on the resource group; suspend scale-set repairs",
        "3. cut credentials: azure-revoke-sessions and azure-disable-user for the identities involved, azure-remove-app-credentials for abused applications",
        "4. isolate network: azure-isolate-vm (deny-all network security group on every interface, then a restart)",
        "5. stop: deallocate by hand once the evidence is safe - memory and ephemeral disks are lost",
    ];
}

/// <summary>The VM reads both VM actions share, and the check that the resource lies in the target's subscription and location.</summary>
internal abstract class VirtualMachineAction(AzureSessions sessions) : AzureAction(sessions)
{
    /// <summary>A resource name ARM accepts: lower case, letters, digits and -_. only, at most 80 characters, not ending in . or -.</summary>
    protected static string ArmName(string raw)
    {
        var name = new string(raw.ToLowerInvariant().Select(ch => char.IsAsciiLetterOrDigit(ch) || ch is '-' or '_' or '.' ? ch : '-').ToArray());
        return (name.Length > 80 ? name[..80] : name).TrimEnd('.', '-');
    }

    public const string ResourceType = "Azure VM resource id";

    protected override bool UsesGraph => false;

    protected static async Task<(VirtualMachineData Vm, VirtualMachineFacts Facts)> InspectAsync(AzureSession session, ActionTarget target, CancellationToken cancellationToken)
    {
        var id = new ResourceIdentifier(target.Resource);
        if (!string.Equals(id.SubscriptionId, target.Account, StringComparison.OrdinalIgnoreCase))
            throw new ValidationFailedException("resource", $"The VM's subscription {id.SubscriptionId} is not the account {target.Account}.");
        var vm = (await ReadAsync("Microsoft.Compute/virtualMachines/read", () => session.Arm.GetVirtualMachineResource(id).GetAsync(InstanceViewType.InstanceView, cancellationToken))).Value.Data;
        if (!string.Equals(vm.Location.Name, target.Region, StringComparison.OrdinalIgnoreCase))
            throw new ValidationFailedException("region", $"The VM is in {vm.Location.Name}, not {target.Region}.");
        var os = vm.StorageProfile?.OSDisk;
        var deleted = new List<string>();
        if (os?.DeleteOption == DiskDeleteOptionType.Delete) deleted.Add(os.Name ?? "OS disk");
        deleted.AddRange((vm.StorageProfile?.DataDisks ?? []).Where(d => d.DeleteOption == DiskDeleteOptionType.Delete).Select(d => d.Name ?? $"LUN {d.Lun}"));
        var unmanaged = new List<string>();
        if (os is { ManagedDisk: null, VhdUri: not null }) unmanaged.Add(os.Name ?? "OS disk");
        unmanaged.AddRange((vm.StorageProfile?.DataDisks ?? []).Where(d => d.ManagedDisk is null && d.VhdUri is not null).Select(d => d.Name ?? $"LUN {d.Lun}"));
        var power = vm.InstanceView?.Statuses?.Select(s => s.Code).FirstOrDefault(c => c?.StartsWith("PowerState/", StringComparison.Ordinal) == true)?["PowerState/".Length..] ?? "unknown";
        var facts = new VirtualMachineFacts(id, vm.Location.Name, power, vm.VirtualMachineScaleSetId?.ToString(), deleted,
            os?.DiffDiskSettings?.Option == DiffDiskOption.Local, unmanaged);
        return (vm, facts);
    }

    protected static Dictionary<string, string> FactsState(VirtualMachineFacts facts) => Map(
        ("powerState", facts.PowerState), ("location", facts.Location), ("scaleSet", facts.ScaleSet ?? ""));
}

/// <summary>
/// Isolate: a deny-all network security group (deny every inbound and outbound flow at the highest priority,
/// optionally SSH/RDP from one examiner) on every network interface of the VM, then a restart to drop the flows
/// already established. The interfaces' previous groups are the undo data.
/// </summary>
internal sealed class IsolateVirtualMachineAction(AzureSessions sessions) : VirtualMachineAction(sessions)
{
    public const string NsgWrite = "Microsoft.Network/networkSecurityGroups/write";
    public const string NicWrite = "Microsoft.Network/networkInterfaces/write";
    public const string Restart = "Microsoft.Compute/virtualMachines/restart/action";

    public override ActionDefinition Definition { get; } = Subscription(new("azure-isolate-vm", "azure", "Isolate the VM behind a deny-all network security group",
        "Creates (or reuses) a network security group that denies all inbound and outbound traffic at the highest priority, optionally allowing SSH and RDP from one examiner CIDR, associates it with every network interface of the VM, then restarts the VM so connections already established are dropped.",
        VirtualMachineAction.ResourceType, VirtualMachinePattern, ContainmentStage.IsolateNetwork, ActionImpact.High, AffectsAvailability: true, Undoable: true,
        "Undo puts each network interface's previous network security group back (or none); the isolation group is left for the record. The restart is not undone.",
        ["Microsoft.Compute/virtualMachines/read", "Microsoft.Network/networkInterfaces/read", "Microsoft.Network/networkSecurityGroups/read", NsgWrite, NicWrite, Restart],
        [
            new ActionInput("examinerCidr", ActionInputType.Cidr, false, "An IPv4 CIDR allowed to reach the VM on TCP 22 (SSH) and 3389 (RDP) for examination."),
            new ActionInput("restart", ActionInputType.Boolean, false, "Restart the VM after the change (default true): network security groups do not cut flows already established, a restart does, but memory is lost."),
        ]));

    protected override async Task<ActionPlan> PlanAsync(AzureSession session, ActionTarget target, CancellationToken cancellationToken)
    {
        var (vm, facts) = await InspectAsync(session, target, cancellationToken);
        var nsgId = GroupId(facts.Id, target);
        var existing = await ReadAsync("Microsoft.Network/networkSecurityGroups/read", () => session.Rest.FindAsync(nsgId, ArmRest.NetworkApiVersion, cancellationToken));
        var rules = Rules(target.Input("examinerCidr"));
        var calls = new List<PlannedCall>();
        var state = FactsState(facts);
        state["isolationGroup"] = nsgId;
        if (existing is not null && SameRules(existing, rules))
        {
            state["isolationGroupReused"] = "true";
        }
        else
        {
            calls.Add(new PlannedCall("Microsoft.Network", "networkSecurityGroups/write", Map(("id", nsgId), ("location", facts.Location), ("rules", Describe(rules))),
                existing is null ? $"creates network security group {facts.Id.ResourceGroupName}/{nsgId.Split('/')[^1]} with: {Describe(rules)}"
                    : $"resets the rules of the existing isolation group {nsgId.Split('/')[^1]} to: {Describe(rules)}"));
        }
        var nics = (vm.NetworkProfile?.NetworkInterfaces ?? []).Select(n => n.Id?.ToString()).OfType<string>().ToList();
        foreach (var nicId in nics)
        {
            var nic = await ReadAsync("Microsoft.Network/networkInterfaces/read", () => session.Rest.GetAsync(nicId, ArmRest.NetworkApiVersion, cancellationToken));
            var previous = ArmRest.Text(nic, "properties", "networkSecurityGroup", "id") ?? "";
            state["nic:" + nicId] = previous;
            calls.Add(new PlannedCall("Microsoft.Network", "networkInterfaces/write", Map(("id", nicId), ("networkSecurityGroup", nsgId), ("previousNetworkSecurityGroup", previous)),
                $"{nicId.Split('/')[^1]}: network security group {(previous.Length == 0 ? "(none)" : previous.Split('/')[^1])} -> {nsgId.Split('/')[^1]}"));
        }
        var restart = target.Input("restart") is not { } r || bool.Parse(r);
        var risks = facts.Risks().ToList();
        if (restart)
        {
            calls.Add(new PlannedCall("Microsoft.Compute", "virtualMachines/restart/action", Map(("id", facts.Id.ToString())),
                $"restarts {facts.Id.Name} (now {facts.PowerState}) so flows established before the change are dropped; memory is lost"));
            risks.Add(new SafetyRisk("memory-lost", "The restart loses the VM's memory: running processes, keys in memory, network state.",
                "Take a memory image from inside the VM first, or plan with restart=false and accept the open connections."));
        }
        else
        {
            risks.Add(new SafetyRisk("established-connections", "Without a restart, flows established before the change (an attacker's open shell) can stay open: network security groups are stateful.",
                "Plan with restart=true once memory is collected, or stop the VM."));
        }
        if (nics.Count == 0)
            risks.Add(new SafetyRisk("no-network-interface", "The VM lists no network interface, so nothing would be isolated.", "Check the VM's network profile."));
        return new ActionPlan($"Isolate {facts.Id.Name}: {nics.Count} network interface(s) move to {nsgId.Split('/')[^1]}{(restart ? ", then a restart" : "")}.", calls,
            calls.Select(c => c.Change).ToList(), true, Definition.UndoDescription, risks, VirtualMachineFacts.SafeOrder(), state);
    }

    protected override async Task<ActionOutcome> ExecuteAsync(AzureSession session, ActionTarget target, ActionPlan plan, CancellationToken cancellationToken)
    {
        var calls = new List<CallResult>();
        var undo = new Dictionary<string, string>(StringComparer.Ordinal);
        var nsgId = plan.State["isolationGroup"];
        if (plan.Calls.FirstOrDefault(c => c.Operation == "networkSecurityGroups/write") is { } create)
        {
            calls.Add(await CallAsync(NsgWrite, nsgId, async () =>
            {
                var body = new JsonObject
                {
                    ["location"] = create.Parameters["location"],
                    ["tags"] = new JsonObject { ["firebreak:incident"] = target.IncidentReference, ["firebreak:source-vm"] = target.Resource.Split('/')[^1] },
                    ["properties"] = new JsonObject { ["securityRules"] = new JsonArray(Rules(target.Input("examinerCidr")).Select(Json).ToArray<JsonNode?>()) },
                };
                var created = await session.Rest.PutAsync(nsgId, ArmRest.NetworkApiVersion, body, null, cancellationToken);
                return $"network security group {ArmRest.Text(created, "name")} is {ArmRest.Text(created, "properties", "provisioningState")}";
            }));
            // Without the group nothing else may run: an interface cannot point at a group that does not exist.
            if (!calls[^1].Succeeded) return Outcome(calls);
        }
        undo["isolationGroup"] = nsgId;
        foreach (var call in plan.Calls.Where(c => c.Operation == "networkInterfaces/write"))
        {
            var nicId = call.Parameters["id"];
            string? previous = null;
            var result = await CallAsync(NicWrite, nicId, async () =>
            {
                // Re-read: the interface may have changed since the plan, and the ETag guards against a change in between.
                var nic = await session.Rest.GetAsync(nicId, ArmRest.NetworkApiVersion, cancellationToken);
                previous = ArmRest.Text(nic, "properties", "networkSecurityGroup", "id") ?? "";
                Properties(nic)["networkSecurityGroup"] = new JsonObject { ["id"] = nsgId };
                await session.Rest.PutAsync(nicId, ArmRest.NetworkApiVersion, nic, ArmRest.Text(nic, "etag"), cancellationToken);
                return $"{nicId.Split('/')[^1]}: {(previous.Length == 0 ? "(none)" : previous.Split('/')[^1])} -> {nsgId.Split('/')[^1]}";
            });
            if (result.Succeeded) undo["nic:" + nicId] = previous!;
            calls.Add(result);
        }
        if (plan.Calls.Any(c => c.Operation == "virtualMachines/restart/action"))
        {
            if (calls.All(c => c.Succeeded))
            {
                calls.Add(await CallAsync(Restart, target.Resource, async () =>
                {
                    await session.Arm.GetVirtualMachineResource(new ResourceIdentifier(target.Resource)).RestartAsync(WaitUntil.Started, cancellationToken);
                    return "restart accepted: established flows are dropped as the VM restarts";
                }));
            }
            else
            {
                calls.Add(new CallResult(Restart, target.Resource, false,
                    "Not restarted: an interface is not isolated, so a restart would lose the memory while the attacker reconnects through it.", "Skipped"));
            }
        }
        return Outcome(calls, undo);
    }

    protected override async Task<IReadOnlyList<VerificationCheck>> VerifyAsync(AzureSession session, ActionTarget target, ActionPlan plan, ActionOutcome outcome, CancellationToken cancellationToken)
    {
        if (!outcome.UndoData.TryGetValue("isolationGroup", out var nsgId)) return [];
        var checks = new List<VerificationCheck>();
        var nsg = await ReadAsync("Microsoft.Network/networkSecurityGroups/read", () => session.Rest.GetAsync(nsgId, ArmRest.NetworkApiVersion, cancellationToken));
        var expected = Rules(target.Input("examinerCidr"));
        checks.Add(new VerificationCheck($"{nsgId.Split('/')[^1]} rules", Describe(expected), Describe(ReadRules(nsg)), SameRules(nsg, expected)));
        foreach (var nicId in outcome.UndoData.Keys.Where(k => k.StartsWith("nic:", StringComparison.Ordinal)).Select(k => k[4..]))
        {
            var nic = await ReadAsync("Microsoft.Network/networkInterfaces/read", () => session.Rest.GetAsync(nicId, ArmRest.NetworkApiVersion, cancellationToken));
            var actual = ArmRest.Text(nic, "properties", "networkSecurityGroup", "id") ?? "(none)";
            checks.Add(new VerificationCheck($"{nicId.Split('/')[^1]} network security group", nsgId, actual, string.Equals(actual, nsgId, StringComparison.OrdinalIgnoreCase)));
        }
        if (outcome.Calls.Any(c => c.Operation == Restart && c.Succeeded))
        {
            var (_, facts) = await InspectAsync(session, target, cancellationToken);
            checks.Add(new VerificationCheck($"{facts.Id.Name} power state after the restart", "running or starting", facts.PowerState, facts.PowerState is "running" or "starting"));
        }
        return checks;
    }

    protected override async Task<ActionOutcome> UndoAsync(AzureSession session, ActionTarget target, ActionPlan plan, IReadOnlyDictionary<string, string> undoData, CancellationToken cancellationToken)
    {
        var calls = new List<CallResult>();
        foreach (var (key, previous) in undoData.Where(e => e.Key.StartsWith("nic:", StringComparison.Ordinal)))
        {
            var nicId = key[4..];
            calls.Add(await CallAsync(NicWrite, nicId, async () =>
            {
                var nic = await session.Rest.GetAsync(nicId, ArmRest.NetworkApiVersion, cancellationToken);
                if (previous.Length == 0) Properties(nic).Remove("networkSecurityGroup");
                else Properties(nic)["networkSecurityGroup"] = new JsonObject { ["id"] = previous };
                await session.Rest.PutAsync(nicId, ArmRest.NetworkApiVersion, nic, ArmRest.Text(nic, "etag"), cancellationToken);
                return $"{nicId.Split('/')[^1]} back to {(previous.Length == 0 ? "no network security group" : previous.Split('/')[^1])}";
            }));
        }
        return Outcome(calls);
    }

    private static JsonObject Properties(JsonObject resource) =>
        resource["properties"] as JsonObject ?? throw new RequestFailedException(500, "The network interface has no properties.", "InvalidResponse", null);

    /// <summary>One per VM and incident, in the VM's resource group, so a rerun (or a rerun after undo) reuses it.</summary>
    internal static string GroupId(ResourceIdentifier vm, ActionTarget target)
    {
        var name = ArmName($"firebreak-isolation-{target.IncidentReference}-{vm.Name}");
        return $"/subscriptions/{vm.SubscriptionId}/resourceGroups/{vm.ResourceGroupName}/providers/Microsoft.Network/networkSecurityGroups/{name}";
    }

    internal sealed record Rule(string Name, int Priority, string Direction, string Access, string Protocol, string Source, string Ports);

    /// <summary>Priority 100 is the highest a rule can have; the examiner's allow comes first when there is one.</summary>
    internal static IReadOnlyList<Rule> Rules(string? examinerCidr)
    {
        var rules = new List<Rule>();
        if (examinerCidr is not null) rules.Add(new Rule("firebreak-allow-examiner", 100, "Inbound", "Allow", "Tcp", examinerCidr, "22,3389"));
        rules.Add(new Rule("firebreak-deny-all-inbound", examinerCidr is null ? 100 : 110, "Inbound", "Deny", "*", "*", "*"));
        rules.Add(new Rule("firebreak-deny-all-outbound", 100, "Outbound", "Deny", "*", "*", "*"));
        return rules;
    }

    private static JsonObject Json(Rule rule)
    {
        var properties = new JsonObject
        {
            ["description"] = rule.Access == "Allow" ? "Firebreak: the examiner only" : "Firebreak isolation: deny everything",
            ["priority"] = rule.Priority,
            ["direction"] = rule.Direction,
            ["access"] = rule.Access,
            ["protocol"] = rule.Protocol,
            ["sourceAddressPrefix"] = rule.Source,
            ["sourcePortRange"] = "*",
            ["destinationAddressPrefix"] = "*",
        };
        if (rule.Ports.Contains(',')) properties["destinationPortRanges"] = new JsonArray(rule.Ports.Split(',').Select(p => (JsonNode?)p).ToArray());
        else properties["destinationPortRange"] = rule.Ports;
        return new JsonObject { ["name"] = rule.Name, ["properties"] = properties };
    }

    private static List<Rule> ReadRules(JsonObject nsg) =>
        (nsg["properties"]?["securityRules"] as JsonArray ?? []).OfType<JsonObject>().Select(r => new Rule(
            ArmRest.Text(r, "name") ?? "",
            int.TryParse(ArmRest.Text(r, "properties", "priority"), out var p) ? p : 0,
            ArmRest.Text(r, "properties", "direction") ?? "",
            ArmRest.Text(r, "properties", "access") ?? "",
            ArmRest.Text(r, "properties", "protocol") ?? "",
            ArmRest.Text(r, "properties", "sourceAddressPrefix") ?? "",
            r["properties"]?["destinationPortRanges"] is JsonArray ranges ? string.Join(",", ranges.Select(x => x?.GetValue<string>())) : ArmRest.Text(r, "properties", "destinationPortRange") ?? "")).ToList();

    /// <summary>The group holds exactly the isolation rules: anything else (an allow someone added) means it must be reset.</summary>
    private static bool SameRules(JsonObject nsg, IReadOnlyList<Rule> expected)
    {
        var actual = ReadRules(nsg).OrderBy(r => r.Name, StringComparer.Ordinal).ToList();
        return actual.SequenceEqual(expected.OrderBy(r => r.Name, StringComparer.Ordinal), RuleComparer.Instance);
    }

    private sealed class RuleComparer : IEqualityComparer<Rule>
    {
        public static readonly RuleComparer Instance = new();

        public bool Equals(Rule? x, Rule? y) => x is not null && y is not null && x.Name == y.Name && x.Priority == y.Priority
            && string.Equals(x.Direction, y.Direction, StringComparison.OrdinalIgnoreCase) && string.Equals(x.Access, y.Access, StringComparison.OrdinalIgnoreCase)
            && string.Equals(x.Protocol, y.Protocol, StringComparison.OrdinalIgnoreCase) && x.Source == y.Source && x.Ports == y.Ports;

        public int GetHashCode(Rule obj) => obj.Name.GetHashCode(StringComparison.Ordinal);
    }

    private static string Describe(IEnumerable<Rule> rules) =>
        string.Join("; ", rules.Select(r => $"{r.Priority} {r.Direction} {r.Access} {r.Protocol} from {r.Source} to ports {r.Ports}"));
}

/// <summary>Collect: a full snapshot of the OS disk and every managed data disk, tagged with the incident and its source.</summary>
internal sealed class SnapshotDisksAction(AzureSessions sessions) : VirtualMachineAction(sessions)
{
    public const string SnapshotWrite = "Microsoft.Compute/snapshots/write";
    public const string SnapshotDelete = "Microsoft.Compute/snapshots/delete";

    public override ActionDefinition Definition { get; } = Subscription(new("azure-snapshot-disks", "azure", "Snapshot the VM's managed disks",
        "Creates a full snapshot of the OS disk and of every managed data disk, in the VM's resource group, tagged firebreak:incident and firebreak:source-disk. The VM keeps running.",
        VirtualMachineAction.ResourceType, VirtualMachinePattern, ContainmentStage.Collect, ActionImpact.Low, AffectsAvailability: false, Undoable: true,
        "Undo deletes the snapshots this run created, and only those.",
        ["Microsoft.Compute/virtualMachines/read", SnapshotWrite, "Microsoft.Compute/snapshots/read", SnapshotDelete + " (undo)"], []));

    protected override async Task<ActionPlan> PlanAsync(AzureSession session, ActionTarget target, CancellationToken cancellationToken)
    {
        var (vm, facts) = await InspectAsync(session, target, cancellationToken);
        var disks = new List<(string Id, string Name, string Role)>();
        if (vm.StorageProfile?.OSDisk is { ManagedDisk.Id: { } osId } os && os.DiffDiskSettings?.Option != DiffDiskOption.Local)
            disks.Add((osId.ToString(), os.Name ?? osId.Name, "OS disk"));
        foreach (var d in vm.StorageProfile?.DataDisks ?? [])
            if (d.ManagedDisk?.Id is { } dataId) disks.Add((dataId.ToString(), d.Name ?? dataId.Name, $"data disk LUN {d.Lun}"));
        var calls = disks.Select(d => new PlannedCall("Microsoft.Compute", "snapshots/write",
            Map(("id", SnapshotId(facts.Id, target, d.Name)), ("sourceResourceId", d.Id), ("createOption", "Copy"), ("incremental", "false"), ("location", facts.Location),
                ("tags", $"firebreak:incident={target.IncidentReference}, firebreak:source-disk={d.Name}")),
            $"full snapshot of the {d.Role} {d.Name} as {SnapshotName(target, d.Name)}")).ToList();
        var state = FactsState(facts);
        foreach (var d in disks) state["disk:" + d.Id] = d.Role;
        return new ActionPlan($"Snapshot {disks.Count} managed disk(s) of {facts.Id.Name}.", calls, calls.Select(c => c.Change).ToList(), true,
            Definition.UndoDescription, facts.Risks(), VirtualMachineFacts.SafeOrder(), state);
    }

    protected override async Task<ActionOutcome> ExecuteAsync(AzureSession session, ActionTarget target, ActionPlan plan, CancellationToken cancellationToken)
    {
        var calls = new List<CallResult>();
        var undo = new Dictionary<string, string>(StringComparer.Ordinal);
        var vm = new ResourceIdentifier(target.Resource);
        var snapshots = session.Arm.GetResourceGroupResource(ResourceIdentifier.Root.AppendChildResource("subscriptions", vm.SubscriptionId!)
            .AppendChildResource("resourceGroups", vm.ResourceGroupName!)).GetSnapshots();
        foreach (var call in plan.Calls)
        {
            var diskId = call.Parameters["sourceResourceId"];
            var snapshotId = new ResourceIdentifier(call.Parameters["id"]);
            var result = await CallAsync(SnapshotWrite, diskId, async () =>
            {
                var data = new SnapshotData(new AzureLocation(call.Parameters["location"]))
                {
                    CreationData = new DiskCreationData(DiskCreateOption.Copy) { SourceResourceId = new ResourceIdentifier(diskId) },
                    Incremental = false,
                };
                data.Tags["firebreak:incident"] = target.IncidentReference;
                data.Tags["firebreak:source-disk"] = diskId.Split('/')[^1];
                data.Tags["firebreak:source-vm"] = vm.Name;
                var created = await snapshots.CreateOrUpdateAsync(WaitUntil.Completed, snapshotId.Name, data, cancellationToken);
                return $"{created.Value.Data.Name} is {created.Value.Data.ProvisioningState}";
            });
            if (result.Succeeded) undo[diskId] = snapshotId.ToString();
            calls.Add(result);
        }
        return Outcome(calls, undo, new Dictionary<string, string>(undo));
    }

    protected override async Task<IReadOnlyList<VerificationCheck>> VerifyAsync(AzureSession session, ActionTarget target, ActionPlan plan, ActionOutcome outcome, CancellationToken cancellationToken)
    {
        var checks = new List<VerificationCheck>();
        foreach (var (diskId, snapshotId) in outcome.UndoData)
        {
            var snapshot = (await ReadAsync("Microsoft.Compute/snapshots/read", () => session.Arm.GetSnapshotResource(new ResourceIdentifier(snapshotId)).GetAsync(cancellationToken))).Value.Data;
            var source = snapshot.CreationData?.SourceResourceId?.ToString() ?? "";
            var tagged = snapshot.Tags.TryGetValue("firebreak:incident", out var incident) && incident == target.IncidentReference;
            checks.Add(new VerificationCheck($"{snapshot.Name}", $"Succeeded, from {diskId.Split('/')[^1]}, tagged {target.IncidentReference}",
                $"{snapshot.ProvisioningState}, from {source.Split('/')[^1]}, tagged {(tagged ? incident : "(not tagged)")}",
                snapshot.ProvisioningState == "Succeeded" && string.Equals(source, diskId, StringComparison.OrdinalIgnoreCase) && tagged));
        }
        return checks;
    }

    protected override async Task<ActionOutcome> UndoAsync(AzureSession session, ActionTarget target, ActionPlan plan, IReadOnlyDictionary<string, string> undoData, CancellationToken cancellationToken)
    {
        var calls = new List<CallResult>();
        foreach (var snapshotId in undoData.Values)
            calls.Add(await CallAsync(SnapshotDelete, snapshotId, async () =>
            {
                try
                {
                    await session.Arm.GetSnapshotResource(new ResourceIdentifier(snapshotId)).DeleteAsync(WaitUntil.Completed, cancellationToken);
                }
                catch (RequestFailedException e) when (e.Status == 404)
                {
                    return $"{snapshotId.Split('/')[^1]} was already gone";
                }
                return $"{snapshotId.Split('/')[^1]} deleted";
            }));
        return Outcome(calls);
    }

    internal static string SnapshotName(ActionTarget target, string diskName) => ArmName($"firebreak-{target.IncidentReference}-{diskName}");

    private static string SnapshotId(ResourceIdentifier vm, ActionTarget target, string diskName) =>
        $"/subscriptions/{vm.SubscriptionId}/resourceGroups/{vm.ResourceGroupName}/providers/Microsoft.Compute/snapshots/{SnapshotName(target, diskName)}";
}
