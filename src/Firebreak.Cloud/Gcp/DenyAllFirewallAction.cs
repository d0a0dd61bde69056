using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using System.Text.Json.Nodes;
using Firebreak.Core.Common;
using Firebreak.Core.Response;

namespace Firebreak.Cloud.Gcp;

/// <summary>
/// Isolate network: a quarantine network tag on the instance, and VPC firewall rules that target only that tag,
/// at priority 0, denying all ingress and all egress (IPv4 and IPv6: a rule holds one family only).
/// <para>
/// The examiner's SSH exemption cannot be an allow rule beside a deny-all at the same priority, because in GCP
/// a deny wins over an allow of equal priority. So the priority-0 IPv4 ingress deny covers the complement of
/// the examiner's CIDR (every address outside it, as at most 32 prefixes); a priority-0 allow lets TCP 22 in from
/// the examiner; and a priority-1 deny of everything else from the examiner stops it reaching other ports
/// through the network's existing allow rules. Replies to the examiner's SSH pass the egress deny because VPC
/// firewall rules are stateful.
/// </para>
/// </summary>
internal sealed class DenyAllFirewallAction(GcpSessions sessions, TimeProvider time) : GcpAction(sessions)
{
    public const int MinExaminerPrefix = 8;

    public override ActionDefinition Definition { get; } = Zonal(new ActionDefinition("gcp-deny-all-firewall", "gcp", "Quarantine behind deny-all firewall rules",
        "Adds a quarantine network tag to the instance and creates VPC firewall rules for that tag at priority 0 denying all ingress and egress (IPv4 and IPv6), optionally letting SSH in from an examiner's CIDR.",
        InstanceType, InstancePattern, ContainmentStage.IsolateNetwork, ActionImpact.High, AffectsAvailability: true, Undoable: true,
        "Undo removes the quarantine tag from the instance, then deletes the firewall rules this run created.",
        ["compute.instances.get", "compute.networks.get", "compute.firewalls.create", "compute.globalOperations.get", "compute.instances.setTags", "compute.zoneOperations.get",
            "compute.firewalls.get", "compute.firewalls.delete (undo)"],
        [new ActionInput("examinerCidr", ActionInputType.Cidr, false, "An IPv4 CIDR (at most /8 wide) allowed to reach TCP 22 for forensic access, such as 203.0.113.7/32.")]));

    protected override async Task<ActionPlan> PlanAsync(GcpSession session, ActionTarget target, CancellationToken cancellationToken)
    {
        IPNetwork? examiner = null;
        if (target.Input("examinerCidr") is { } cidr)
        {
            var network = IPNetwork.Parse(cidr);
            if (network.PrefixLength < MinExaminerPrefix)
                throw new ValidationFailedException("inputs.examinerCidr", $"inputs.examinerCidr must be at most /{MinExaminerPrefix} wide: a wider range is not an examiner.");
            examiner = network;
        }
        var instance = await GetInstanceAsync(session, target, cancellationToken);
        var facts = GceInstanceFacts.From(target.Resource, instance);
        var seed = $"{target.IncidentReference}\n{target.Resource}\n{time.GetUtcNow():O}";
        var tag = ResourceName("firebreak-quarantine", seed);
        var tags = instance.Obj("tags").Items("items").Select(t => t.GetString() ?? "").ToList();
        var risks = GceSafety.Assess(facts);
        var state = facts.State();
        state["tags"] = string.Join(",", tags);
        state["tagsFingerprint"] = instance.Obj("tags").Str("fingerprint") ?? "";
        state["quarantineTag"] = tag;

        var calls = new List<PlannedCall>();
        var networks = instance.Items("networkInterfaces").Select(n => n.Str("network")).OfType<string>().Distinct(StringComparer.Ordinal).ToList();
        foreach (var networkUrl in networks)
        {
            var networkPath = networkUrl[networkUrl.IndexOf("projects/", StringComparison.Ordinal)..];
            var networkProject = networkPath.Split('/')[1];
            var network = await ReadAsync(() => session.Rest.GetAsync("compute:networks.get", session.Compute(networkPath), cancellationToken));
            if (network.Str("networkFirewallPolicyEnforcementOrder") == "BEFORE_CLASSIC_FIREWALL")
                risks.Add(new SafetyRisk("network-policy-first",
                    $"Network {GcpJson.Name(networkUrl)} evaluates its network firewall policy before VPC firewall rules: an allow there wins over this quarantine.",
                    "Add a deny for the quarantine tag's instances to the network firewall policy too, or switch the order to AFTER_CLASSIC_FIREWALL."));
            if (networkProject != session.Project)
                risks.Add(new SafetyRisk("shared-vpc",
                    $"Network {GcpJson.Name(networkUrl)} belongs to host project {networkProject}: the rules are created there, so Firebreak's identity needs compute.firewalls.create in that project.",
                    "Configure the host project's permissions before running."));
            var baseName = ResourceName("firebreak-q", $"{seed}\n{networkPath}");
            foreach (var rule in Rules(baseName, tag, networkPath, examiner, target))
                calls.Add(new PlannedCall("compute", "firewalls.insert",
                    Map(("project", networkProject), ("network", networkPath), ("name", rule["name"]!.GetValue<string>()), ("rule", rule.ToJsonString())),
                    Describe(rule, GcpJson.Name(networkUrl))));
        }
        calls.Add(new PlannedCall("compute", "instances.get", Map(("instance", target.Resource)), "none: read only (the tags' current fingerprint, which setTags requires)"));
        calls.Add(new PlannedCall("compute", "instances.setTags", Map(("instance", target.Resource), ("items", string.Join(",", tags.Append(tag)))),
            $"network tags: [{string.Join(", ", tags)}] -> [{string.Join(", ", tags.Append(tag))}]; the rules apply from this moment"));

        risks.Add(new SafetyRisk("hierarchical-policies",
            "Organization and folder firewall policies are evaluated before VPC firewall rules: an allow there (not goto_next) wins over this quarantine. Firebreak cannot read them with project permissions.",
            "Check the hierarchical policies that apply to the project, or add a quarantine rule there."));
        risks.Add(new SafetyRisk("tracked-connections",
            "Connections established before the rules apply may survive while connection tracking keeps them.",
            "Cut them with gcp-reset-external-ip, or stop the instance."));
        risks.Add(new SafetyRisk("tags-editable",
            "Anyone with compute.instances.setTags on the instance (the attacker, if they hold such a role) can remove the tag and lift the quarantine.",
            "Cut the attacker's credentials first (gcp-disable-service-account, gcp-disable-service-account-key)."));
        if (facts.Status != "RUNNING")
            risks.Add(new SafetyRisk("not-running", $"The instance is {facts.Status}: the rules apply when it starts again.", "Nothing to do; the tag stays on the instance."));

        var changes = calls.Where(c => c.Operation != "instances.get").Select(c => c.Change).ToList();
        return new ActionPlan($"Quarantine {target.Resource} behind {calls.Count(c => c.Operation == "firewalls.insert")} firewall rule(s) for tag {tag}"
            + (examiner is { } e ? $", SSH from {e} only." : ", nothing in or out."),
            calls, changes, true, Definition.UndoDescription, risks, GceSafety.SafeOrder(facts), state);
    }

    /// <summary>The rules for one network, each a Compute Firewall resource.</summary>
    private static List<JsonObject> Rules(string baseName, string tag, string networkPath, IPNetwork? examiner, ActionTarget target)
    {
        JsonObject Rule(string suffix, string direction, int priority, string action, IEnumerable<string> ranges, string protocol, string? port, string why)
        {
            var match = new JsonObject { ["IPProtocol"] = protocol };
            if (port is not null) match["ports"] = new JsonArray(port);
            return new JsonObject
            {
                ["name"] = $"{baseName}-{suffix}",
                ["description"] = $"Firebreak {target.IncidentReference}: quarantine of {target.Resource}. {why}",
                ["network"] = networkPath,
                ["priority"] = priority,
                ["direction"] = direction,
                [action] = new JsonArray(match),
                [direction == "INGRESS" ? "sourceRanges" : "destinationRanges"] = new JsonArray(ranges.Select(r => (JsonNode)r).ToArray()),
                ["targetTags"] = new JsonArray(tag),
                ["logConfig"] = new JsonObject { ["enable"] = true },
            };
        }

        var rules = new List<JsonObject>
        {
            Rule("deny-in", "INGRESS", 0, "denied", examiner is { } e ? Complement(e) : ["0.0.0.0/0"], "all", null,
                examiner is null ? "Denies all IPv4 ingress." : $"Denies all IPv4 ingress except from the examiner's {examiner}."),
            Rule("deny-in6", "INGRESS", 0, "denied", ["::/0"], "all", null, "Denies all IPv6 ingress."),
            Rule("deny-out", "EGRESS", 0, "denied", ["0.0.0.0/0"], "all", null, "Denies all IPv4 egress."),
            Rule("deny-out6", "EGRESS", 0, "denied", ["::/0"], "all", null, "Denies all IPv6 egress."),
        };
        if (examiner is { } x)
        {
            rules.Add(Rule("ssh", "INGRESS", 0, "allowed", [x.ToString()], "tcp", "22", "Lets the examiner in over SSH."));
            rules.Add(Rule("deny-exam", "INGRESS", 1, "denied", [x.ToString()], "all", null, "Denies the examiner everything but SSH."));
        }
        return rules;
    }

    /// <summary>Every IPv4 address outside <paramref name="network"/>, as one prefix per bit of its mask.</summary>
    internal static List<string> Complement(IPNetwork network)
    {
        if (network.BaseAddress.AddressFamily != AddressFamily.InterNetwork) throw new ArgumentException("IPv4 only.", nameof(network));
        var bytes = network.BaseAddress.GetAddressBytes();
        var address = (uint)bytes[0] << 24 | (uint)bytes[1] << 16 | (uint)bytes[2] << 8 | bytes[3];
        var ranges = new List<string>();
        for (var bit = 0; bit < network.PrefixLength; bit++)
        {
            var keep = bit == 0 ? 0u : uint.MaxValue << (32 - bit);
            var flipped = (address & keep) | (address & (1u << (31 - bit)) ^ (1u << (31 - bit)));
            ranges.Add($"{new IPAddress([(byte)(flipped >> 24), (byte)(flipped >> 16), (byte)(flipped >> 8), (byte)flipped])}/{bit + 1}");
        }
        return ranges;
    }

    private static string Describe(JsonObject rule, string network)
    {
        var direction = rule["direction"]!.GetValue<string>();
        var ranges = rule[direction == "INGRESS" ? "sourceRanges" : "destinationRanges"]!.AsArray().Select(r => r!.GetValue<string>()).ToList();
        var verb = rule.ContainsKey("allowed") ? "allows tcp:22" : "denies everything";
        var where = ranges.Count > 3 ? $"{ranges.Count} ranges (all but the examiner's)" : string.Join(", ", ranges);
        return $"creates firewall rule {rule["name"]} on {network}: priority {rule["priority"]}, {direction.ToLowerInvariant()} {verb} {(direction == "INGRESS" ? "from" : "to")} {where}";
    }

    protected override async Task<ActionOutcome> ExecuteAsync(GcpSession session, ActionTarget target, ActionPlan plan, CancellationToken cancellationToken)
    {
        var calls = new List<CallResult>();
        var undo = new Dictionary<string, string>();
        foreach (var call in plan.Calls.Where(c => c.Operation == "firewalls.insert"))
        {
            var name = call.Parameters["name"];
            var project = call.Parameters["project"];
            var result = await CallAsync("compute:firewalls.insert", name, async () =>
            {
                var operation = await session.Rest.PostAsync("compute:firewalls.insert", session.Compute($"projects/{project}/global/firewalls"),
                    JsonNode.Parse(call.Parameters["rule"]), cancellationToken);
                undo[$"firewall:{name}"] = project;
                await session.Rest.WaitAsync(session, operation, cancellationToken);
                return $"firewall rule {name} created";
            });
            calls.Add(result);
        }
        var tag = plan.State["quarantineTag"];
        if (calls.Any(c => !c.Succeeded))
        {
            // A tag without its full set of rules would quarantine half-way: the tag waits until every rule exists.
            calls.Add(new CallResult("compute:instances.setTags", target.Resource, false,
                "Not attempted: not every firewall rule was created, so the quarantine tag was not added. Undo deletes the rules that were.", "SKIPPED"));
            return Outcome(calls, undo);
        }
        JsonElement? instance = null;
        calls.Add(await CallAsync("compute:instances.get", target.Resource, async () =>
        {
            instance = await session.Rest.GetAsync("compute:instances.get", InstanceUrl(session, target), cancellationToken);
            return $"tags fingerprint {instance.Value.Obj("tags").Str("fingerprint")}";
        }));
        if (instance is not { } current) return Outcome(calls, undo);
        calls.Add(await CallAsync("compute:instances.setTags", target.Resource, async () =>
        {
            var items = current.Obj("tags").Items("items").Select(t => t.GetString() ?? "").Where(t => t != tag).Append(tag).ToList();
            var body = Json(("items", new JsonArray(items.Select(i => (JsonNode)i).ToArray())), ("fingerprint", current.Obj("tags").Str("fingerprint")));
            var operation = await session.Rest.PostAsync("compute:instances.setTags", InstanceUrl(session, target, "/setTags"), body, cancellationToken);
            undo["tag"] = tag;
            await session.Rest.WaitAsync(session, operation, cancellationToken);
            return $"tag {tag} added";
        }));
        return Outcome(calls, undo);
    }

    protected override async Task<IReadOnlyList<VerificationCheck>> VerifyAsync(GcpSession session, ActionTarget target, ActionPlan plan, ActionOutcome outcome, CancellationToken cancellationToken)
    {
        var checks = new List<VerificationCheck>();
        var tag = plan.State["quarantineTag"];
        var instance = await GetInstanceAsync(session, target, cancellationToken);
        var tagged = instance.Obj("tags").Items("items").Any(t => t.GetString() == tag);
        checks.Add(new VerificationCheck($"tag {tag} on the instance", "present", tagged ? "present" : "missing", tagged));
        foreach (var call in plan.Calls.Where(c => c.Operation == "firewalls.insert"))
        {
            var name = call.Parameters["name"];
            var expected = JsonNode.Parse(call.Parameters["rule"])!.AsObject();
            var rule = await ReadAsync(() => session.Rest.FindAsync("compute:firewalls.get", session.Compute($"projects/{call.Parameters["project"]}/global/firewalls/{name}"), cancellationToken));
            if (rule is not { } r)
            {
                checks.Add(new VerificationCheck($"firewall rule {name}", "exists", "not found", false));
                continue;
            }
            var action = expected.ContainsKey("allowed") ? "allowed" : "denied";
            var ok = !r.Bool("disabled")
                && r.TryGetProperty("priority", out var priority) && priority.GetInt32() == expected["priority"]!.GetValue<int>()
                && r.Str("direction") == expected["direction"]!.GetValue<string>()
                && r.Items(action).Any()
                && r.Items("targetTags").Any(t => t.GetString() == tag);
            checks.Add(new VerificationCheck($"firewall rule {name}", $"enabled, priority {expected["priority"]}, {expected["direction"]} {action}, target {tag}",
                $"{(r.Bool("disabled") ? "disabled" : "enabled")}, priority {(r.TryGetProperty("priority", out var p) ? p.GetInt32() : -1)}, {r.Str("direction")} {(r.Items("allowed").Any() ? "allowed" : r.Items("denied").Any() ? "denied" : "?")}, targets {string.Join(",", r.Items("targetTags").Select(t => t.GetString()))}",
                ok));
        }
        return checks;
    }

    protected override async Task<ActionOutcome> UndoAsync(GcpSession session, ActionTarget target, ActionPlan plan, IReadOnlyDictionary<string, string> undoData, CancellationToken cancellationToken)
    {
        var calls = new List<CallResult>();
        if (undoData.TryGetValue("tag", out var tag))
        {
            JsonElement? instance = null;
            calls.Add(await CallAsync("compute:instances.get", target.Resource, async () =>
            {
                instance = await session.Rest.GetAsync("compute:instances.get", InstanceUrl(session, target), cancellationToken);
                return $"tags fingerprint {instance.Value.Obj("tags").Str("fingerprint")}";
            }));
            if (instance is not { } current) return Outcome(calls);
            var removed = await CallAsync("compute:instances.setTags", target.Resource, async () =>
            {
                var items = current.Obj("tags").Items("items").Select(t => t.GetString() ?? "").Where(t => t != tag).ToList();
                var body = Json(("items", new JsonArray(items.Select(i => (JsonNode)i).ToArray())), ("fingerprint", current.Obj("tags").Str("fingerprint")));
                var operation = await session.Rest.PostAsync("compute:instances.setTags", InstanceUrl(session, target, "/setTags"), body, cancellationToken);
                await session.Rest.WaitAsync(session, operation, cancellationToken);
                return $"tag {tag} removed";
            });
            calls.Add(removed);
            // Rules without the tag target nothing; deleting them while the tag is still on would open the instance, so stop here.
            if (!removed.Succeeded) return Outcome(calls);
        }
        foreach (var (key, project) in undoData.Where(e => e.Key.StartsWith("firewall:", StringComparison.Ordinal)))
        {
            var name = key["firewall:".Length..];
            calls.Add(await CallAsync("compute:firewalls.delete", name, async () =>
            {
                try
                {
                    var operation = await session.Rest.DeleteAsync("compute:firewalls.delete", session.Compute($"projects/{project}/global/firewalls/{name}"), cancellationToken);
                    await session.Rest.WaitAsync(session, operation, cancellationToken);
                    return $"firewall rule {name} deleted";
                }
                catch (GcpApiException e) when (e.HttpStatus == 404)
                {
                    return $"firewall rule {name} does not exist: nothing to delete";
                }
            }));
        }
        return Outcome(calls);
    }
}
