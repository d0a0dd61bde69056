using Firebreak.Core.Response;

namespace Firebreak.Cloud.Aws;

/// <summary>
/// Preserve: take the instance out of every load-balancer target group, so it stops serving users and its failing
/// health checks cannot trigger replacement by the load balancer's owner.
/// </summary>
internal sealed class DeregisterTargetsAction(AwsSessions sessions) : AwsAction(sessions)
{
    private const int MaxPages = 50;

    public override ActionDefinition Definition { get; } = new("aws-deregister-targets", "aws", "Deregister from load-balancer target groups",
        "Finds every ELBv2 target group that has the instance as a target and deregisters it (with the port it was registered on).",
        "EC2 instance id", InstancePattern, ContainmentStage.Preserve, ActionImpact.High, AffectsAvailability: true, Undoable: true,
        "Undo registers the instance again on the same groups and ports.",
        ["elasticloadbalancing:DescribeTargetGroups", "elasticloadbalancing:DescribeTargetHealth", "elasticloadbalancing:DeregisterTargets", "elasticloadbalancing:RegisterTargets (undo)"], []);

    protected override async Task<ActionPlan> PlanAsync(AwsSession session, ActionTarget target, CancellationToken cancellationToken)
    {
        var (_, facts) = await InspectAsync(session, target.Resource, cancellationToken);
        var registrations = await RegistrationsAsync(session, target.Resource, cancellationToken);
        var calls = registrations.Select(r => new PlannedCall("elasticloadbalancing", "DeregisterTargets",
            Map(("TargetGroupArn", r.Group), ("Targets.member.1.Id", target.Resource), ("Targets.member.1.Port", r.Port)),
            $"{target.Resource}:{r.Port} leaves {r.Group} (state now {r.State})")).ToList();
        return new ActionPlan(calls.Count == 0 ? $"{target.Resource} is in no target group: no change." : $"Deregister {target.Resource} from {calls.Count} target group(s).",
            calls, calls.Select(c => c.Change).ToList(), true, Definition.UndoDescription, InstanceSafety.Assess(facts), InstanceSafety.SafeOrder(facts), FactsState(facts));
    }

    protected override async Task<ActionOutcome> ExecuteAsync(AwsSession session, ActionTarget target, ActionPlan plan, CancellationToken cancellationToken)
    {
        var calls = new List<CallResult>();
        var undo = new Dictionary<string, string>();
        foreach (var call in plan.Calls)
        {
            var group = call.Parameters["TargetGroupArn"];
            var port = call.Parameters["Targets.member.1.Port"];
            var result = await CallAsync("elasticloadbalancing:DeregisterTargets", group, async () =>
            {
                await session.Query.CallAsync(QueryService.ElasticLoadBalancing, "DeregisterTargets",
                    [new("TargetGroupArn", group), new("Targets.member.1.Id", target.Resource), new("Targets.member.1.Port", port)], cancellationToken);
                return $"deregistered from port {port}";
            });
            if (result.Succeeded) undo[group] = port;
            calls.Add(result);
        }
        return Outcome(calls, undo);
    }

    protected override async Task<IReadOnlyList<VerificationCheck>> VerifyAsync(AwsSession session, ActionTarget target, ActionPlan plan, ActionOutcome outcome, CancellationToken cancellationToken)
    {
        var checks = new List<VerificationCheck>();
        foreach (var group in outcome.UndoData.Keys)
        {
            var state = await TargetStateAsync(session, group, target.Resource, cancellationToken);
            checks.Add(new VerificationCheck($"{target.Resource} in {group}", "absent or draining", state ?? "absent", state is null or "draining" or "unused"));
        }
        return checks;
    }

    protected override async Task<ActionOutcome> UndoAsync(AwsSession session, ActionTarget target, ActionPlan plan, IReadOnlyDictionary<string, string> undoData, CancellationToken cancellationToken)
    {
        var calls = new List<CallResult>();
        foreach (var (group, port) in undoData)
            calls.Add(await CallAsync("elasticloadbalancing:RegisterTargets", group, async () =>
            {
                await session.Query.CallAsync(QueryService.ElasticLoadBalancing, "RegisterTargets",
                    [new("TargetGroupArn", group), new("Targets.member.1.Id", target.Resource), new("Targets.member.1.Port", port)], cancellationToken);
                return $"registered again on port {port}";
            }));
        return Outcome(calls);
    }

    private static async Task<List<(string Group, string Port, string State)>> RegistrationsAsync(AwsSession session, string instanceId, CancellationToken cancellationToken)
    {
        var groups = new List<string>();
        string? marker = null;
        for (var page = 0; page < MaxPages; page++)
        {
            var parameters = new List<KeyValuePair<string, string>>();
            if (marker is not null) parameters.Add(new("Marker", marker));
            var response = await ReadAsync("elasticloadbalancing:DescribeTargetGroups", () => session.Query.CallAsync(QueryService.ElasticLoadBalancing, "DescribeTargetGroups", parameters, cancellationToken));
            groups.AddRange(response.All("member").Where(m => m.First("TargetType") is null or "instance").Select(m => m.First("TargetGroupArn")).OfType<string>());
            marker = response.First("NextMarker");
            if (string.IsNullOrEmpty(marker)) break;
        }
        var found = new List<(string, string, string)>();
        foreach (var group in groups.Distinct())
        {
            var health = await ReadAsync("elasticloadbalancing:DescribeTargetHealth", () => session.Query.CallAsync(QueryService.ElasticLoadBalancing, "DescribeTargetHealth",
                [new("TargetGroupArn", group)], cancellationToken));
            foreach (var member in health.All("member").Where(m => m.All("Target").FirstOrDefault()?.First("Id") == instanceId))
                found.Add((group, member.All("Target").First().First("Port") ?? "", member.First("State") ?? "unknown"));
        }
        return found;
    }

    private static async Task<string?> TargetStateAsync(AwsSession session, string group, string instanceId, CancellationToken cancellationToken)
    {
        var health = await ReadAsync("elasticloadbalancing:DescribeTargetHealth", () => session.Query.CallAsync(QueryService.ElasticLoadBalancing, "DescribeTargetHealth",
            [new("TargetGroupArn", group)], cancellationToken));
        return health.All("member").Where(m => m.All("Target").FirstOrDefault()?.First("Id") == instanceId).Select(m => m.First("State")).FirstOrDefault();
    }
}
