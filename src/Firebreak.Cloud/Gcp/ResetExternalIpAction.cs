using System.Text.Json;
using System.Text.Json.Nodes;
using Firebreak.Core.Response;

namespace Firebreak.Cloud.Gcp;

/// <summary>
/// Isolate network: the instance's external IPv4 access configs are deleted, which cuts every live connection
/// through them (firewall changes leave tracked connections open). With readd=true an access config is added
/// again: an ephemeral address comes back as a new address, a reserved static address as the same one.
/// </summary>
internal sealed class ResetExternalIpAction(GcpSessions sessions) : GcpAction(sessions)
{
    public override ActionDefinition Definition { get; } = Zonal(new ActionDefinition("gcp-reset-external-ip", "gcp", "Remove (and optionally re-add) the external IP",
        "Deletes the instance's external IPv4 access configs, cutting live connections through them. With readd=true it adds one back: an ephemeral address changes, a reserved static address is re-attached unchanged.",
        InstanceType, InstancePattern, ContainmentStage.IsolateNetwork, ActionImpact.High, AffectsAvailability: true, Undoable: true,
        "Undo adds the recorded access config back: the same address when it was a reserved static one, a new ephemeral address otherwise.",
        ["compute.instances.get", "compute.addresses.list", "compute.instances.deleteAccessConfig", "compute.instances.addAccessConfig", "compute.zoneOperations.get"],
        [new ActionInput("readd", ActionInputType.Boolean, false, "Add an access config back after removing it (default false). An ephemeral address changes; a reserved static one is re-attached.")]));

    protected override async Task<ActionPlan> PlanAsync(GcpSession session, ActionTarget target, CancellationToken cancellationToken)
    {
        var instance = await GetInstanceAsync(session, target, cancellationToken);
        var facts = GceInstanceFacts.From(target.Resource, instance);
        var readd = target.Flag("readd");
        var region = target.Region[..target.Region.LastIndexOf('-')];
        var calls = new List<PlannedCall>();
        var risks = GceSafety.Assess(facts);
        var state = facts.State();
        foreach (var nic in instance.Items("networkInterfaces"))
        {
            var nicName = nic.Str("name") ?? "nic0";
            foreach (var config in nic.Items("accessConfigs").Where(c => c.Str("type") is null or "ONE_TO_ONE_NAT"))
            {
                var natIp = config.Str("natIP") ?? "";
                var reserved = natIp.Length == 0 ? null : await StaticAddressAsync(session, region, natIp, cancellationToken);
                var kind = reserved is null ? "ephemeral" : $"static ({reserved})";
                var parameters = Map(("networkInterface", nicName), ("accessConfig", config.Str("name") ?? "External NAT"), ("natIP", natIp),
                    ("static", reserved is null ? "false" : "true"), ("address", reserved ?? ""), ("networkTier", config.Str("networkTier") ?? "PREMIUM"));
                state[$"{nicName}.natIP"] = $"{natIp} ({kind})";
                calls.Add(new PlannedCall("compute", "instances.deleteAccessConfig", parameters,
                    $"{nicName}: external address {natIp} ({kind}) removed; every connection through it is cut"));
                if (readd)
                    calls.Add(new PlannedCall("compute", "instances.addAccessConfig", new Dictionary<string, string>(parameters),
                        reserved is null
                            ? $"{nicName}: a new ephemeral external address replaces {natIp}"
                            : $"{nicName}: the reserved static address {natIp} ({reserved}) is attached again"));
                if (reserved is null)
                    risks.Add(new SafetyRisk("ephemeral-address-lost",
                        $"{natIp} on {nicName} is ephemeral: once removed it is released and cannot be got back; DNS records and allow-lists naming it break.",
                        "Promote it to a static address (addresses.insert with this address) before running, if it must survive."));
                else if (readd)
                    risks.Add(new SafetyRisk("static-address-known",
                        $"{natIp} is reserved as {reserved}: re-adding it gives the attacker the same address to reach.",
                        "Isolate with gcp-deny-all-firewall as well, or leave readd=false."));
            }
            if (nic.Items("ipv6AccessConfigs").Any())
                risks.Add(new SafetyRisk("external-ipv6",
                    $"{nicName} also has an external IPv6 address; this action removes IPv4 access configs only.",
                    "Isolate with gcp-deny-all-firewall, which denies IPv6 too."));
        }
        if (calls.Count > 0)
            risks.Add(new SafetyRisk("other-paths",
                "Traffic that does not use the external address (internal addresses, Cloud NAT, load balancers) still flows.",
                "Isolate with gcp-deny-all-firewall as well."));
        return new ActionPlan(calls.Count == 0 ? $"{target.Resource} has no external IPv4 address: no change." : $"Remove the external address(es) of {target.Resource}{(readd ? " and add one back" : "")}.",
            calls, calls.Count == 0 ? ["Nothing changes: no external IPv4 address."] : calls.Select(c => c.Change).ToList(),
            calls.Count > 0 && !readd,
            readd ? "Nothing is left to undo once an address is back on the interface (the old ephemeral address cannot be had again); if adding it back fails, undo adds it." : Definition.UndoDescription,
            risks, GceSafety.SafeOrder(facts), state);
    }

    /// <summary>The name of the reserved address holding <paramref name="ip"/> in the instance's region, or null for an ephemeral one.</summary>
    private static async Task<string?> StaticAddressAsync(GcpSession session, string region, string ip, CancellationToken cancellationToken)
    {
        var filter = Uri.EscapeDataString($"address=\"{ip}\"");
        var list = await ReadAsync(() => session.Rest.GetAsync("compute:addresses.list", session.Compute($"projects/{session.Project}/regions/{region}/addresses?filter={filter}"), cancellationToken));
        return list.Items("items").FirstOrDefault(a => a.Str("address") == ip).Str("name");
    }

    protected override async Task<ActionOutcome> ExecuteAsync(GcpSession session, ActionTarget target, ActionPlan plan, CancellationToken cancellationToken)
    {
        var calls = new List<CallResult>();
        var undo = new Dictionary<string, string>();
        foreach (var call in plan.Calls)
        {
            var p = call.Parameters;
            var nic = p["networkInterface"];
            if (call.Operation == "instances.deleteAccessConfig")
            {
                var result = await CallAsync("compute:instances.deleteAccessConfig", $"{target.Resource}/{nic}", async () =>
                {
                    var query = $"/deleteAccessConfig?accessConfig={Uri.EscapeDataString(p["accessConfig"])}&networkInterface={Uri.EscapeDataString(nic)}";
                    var operation = await session.Rest.PostAsync("compute:instances.deleteAccessConfig", InstanceUrl(session, target, query), null, cancellationToken);
                    await session.Rest.WaitAsync(session, operation, cancellationToken);
                    return $"{p["natIP"]} removed from {nic}";
                });
                if (result.Succeeded) undo[nic] = JsonSerializer.Serialize(p);
                calls.Add(result);
            }
            else if (undo.ContainsKey(nic))
            {
                var result = await AddAsync(session, target, p, cancellationToken);
                // Back on the interface: nothing is left to undo for it.
                if (result.Succeeded) undo.Remove(nic);
                calls.Add(result);
            }
            else
            {
                calls.Add(new CallResult("compute:instances.addAccessConfig", $"{target.Resource}/{nic}", false,
                    "Not attempted: the access config was not removed, so there is nothing to add back.", "SKIPPED"));
            }
        }
        return Outcome(calls, undo);
    }

    private static Task<CallResult> AddAsync(GcpSession session, ActionTarget target, IReadOnlyDictionary<string, string> p, CancellationToken cancellationToken)
    {
        var nic = p["networkInterface"];
        return CallAsync("compute:instances.addAccessConfig", $"{target.Resource}/{nic}", async () =>
        {
            var config = Json(("kind", "compute#accessConfig"), ("name", p["accessConfig"]), ("type", "ONE_TO_ONE_NAT"), ("networkTier", p["networkTier"]));
            // Only a reserved address can be asked for again; an ephemeral one was released.
            if (p["static"] == "true") config["natIP"] = p["natIP"];
            var operation = await session.Rest.PostAsync("compute:instances.addAccessConfig",
                InstanceUrl(session, target, $"/addAccessConfig?networkInterface={Uri.EscapeDataString(nic)}"), config, cancellationToken);
            await session.Rest.WaitAsync(session, operation, cancellationToken);
            return p["static"] == "true" ? $"static address {p["natIP"]} attached to {nic} again" : $"a new ephemeral address attached to {nic}";
        });
    }

    protected override async Task<IReadOnlyList<VerificationCheck>> VerifyAsync(GcpSession session, ActionTarget target, ActionPlan plan, ActionOutcome outcome, CancellationToken cancellationToken)
    {
        var instance = await GetInstanceAsync(session, target, cancellationToken);
        var checks = new List<VerificationCheck>();
        var removed = outcome.Calls.Where(c => c.Succeeded && c.Operation == "compute:instances.deleteAccessConfig").Select(c => c.Resource).ToHashSet(StringComparer.Ordinal);
        foreach (var call in plan.Calls.Where(c => c.Operation == "instances.deleteAccessConfig" && removed.Contains($"{target.Resource}/{c.Parameters["networkInterface"]}")))
        {
            var nicName = call.Parameters["networkInterface"];
            var old = call.Parameters["natIP"];
            var nic = instance.Items("networkInterfaces").FirstOrDefault(n => n.Str("name") == nicName);
            var now = nic.Items("accessConfigs").Where(c => c.Str("type") is null or "ONE_TO_ONE_NAT").Select(c => c.Str("natIP") ?? "(assigning)").ToList();
            var actual = now.Count == 0 ? "none" : string.Join(", ", now);
            if (!outcome.UndoData.ContainsKey(nicName))
            {
                // Added back: a static address must be the same, an ephemeral one new.
                var same = now.Contains(old);
                var expected = call.Parameters["static"] == "true" ? $"{old} again" : $"an address other than {old}";
                checks.Add(new VerificationCheck($"{nicName} external address", expected, actual, now.Count > 0 && (call.Parameters["static"] == "true" ? same : !same)));
            }
            else
            {
                checks.Add(new VerificationCheck($"{nicName} external address", "none", actual, now.Count == 0));
            }
        }
        return checks;
    }

    protected override async Task<ActionOutcome> UndoAsync(GcpSession session, ActionTarget target, ActionPlan plan, IReadOnlyDictionary<string, string> undoData, CancellationToken cancellationToken)
    {
        var calls = new List<CallResult>();
        foreach (var (_, recorded) in undoData)
            calls.Add(await AddAsync(session, target, JsonSerializer.Deserialize<Dictionary<string, string>>(recorded)!, cancellationToken));
        return Outcome(calls);
    }
}
