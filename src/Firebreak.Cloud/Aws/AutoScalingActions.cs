using Firebreak.Core.Response;

namespace Firebreak.Cloud.Aws;

/// <summary>
/// Preserve: take the instance out of its Auto Scaling group before isolating it, so failed health checks do not
/// get it terminated. The responder chooses whether the group launches a replacement.
/// </summary>
internal sealed class DetachFromAutoScalingGroupAction(AwsSessions sessions) : AwsAction(sessions)
{
    public override ActionDefinition Definition { get; } = new("aws-detach-from-asg", "aws", "Detach from its Auto Scaling group",
        "Detaches the instance from its Auto Scaling group. replace=true keeps the desired capacity (ShouldDecrementDesiredCapacity=false), so the group launches a replacement from its launch template; replace=false lowers the desired capacity by one and launches nothing.",
        "EC2 instance id", InstancePattern, ContainmentStage.Preserve, ActionImpact.High, AffectsAvailability: false, Undoable: true,
        "Undo attaches the instance to the group again (autoscaling:AttachInstances raises the desired capacity by one).",
        ["autoscaling:DescribeAutoScalingInstances", "autoscaling:DetachInstances", "autoscaling:AttachInstances (undo)"],
        [new ActionInput("replace", ActionInputType.Boolean, true, "true: the group launches a replacement; false: capacity drops by one.")]);

    protected override async Task<ActionPlan> PlanAsync(AwsSession session, ActionTarget target, CancellationToken cancellationToken)
    {
        var (_, facts) = await InspectAsync(session, target.Resource, cancellationToken);
        if (facts.AutoScalingGroup is null)
            throw new Firebreak.Core.Common.ConflictException($"{target.Resource} is not in an Auto Scaling group: there is nothing to detach.");
        var replace = target.Flag("replace");
        var decrement = replace ? "false" : "true";
        var change = replace
            ? $"{target.Resource} leaves '{facts.AutoScalingGroup}'; desired capacity stays, so the group launches a replacement instance"
            : $"{target.Resource} leaves '{facts.AutoScalingGroup}'; desired capacity drops by one, no replacement is launched";
        return new ActionPlan($"Detach {target.Resource} from '{facts.AutoScalingGroup}' ({(replace ? "with" : "without")} a replacement).",
            [new PlannedCall("autoscaling", "DetachInstances", Map(("AutoScalingGroupName", facts.AutoScalingGroup), ("InstanceIds.member.1", target.Resource), ("ShouldDecrementDesiredCapacity", decrement)), change)],
            [change], true, Definition.UndoDescription, InstanceSafety.Assess(facts), InstanceSafety.SafeOrder(facts), FactsState(facts));
    }

    protected override async Task<ActionOutcome> ExecuteAsync(AwsSession session, ActionTarget target, ActionPlan plan, CancellationToken cancellationToken)
    {
        var p = plan.Calls.Single().Parameters;
        var result = await CallAsync("autoscaling:DetachInstances", target.Resource, async () =>
        {
            var response = await session.Query.CallAsync(QueryService.AutoScaling, "DetachInstances",
                [new("AutoScalingGroupName", p["AutoScalingGroupName"]), new("InstanceIds.member.1", target.Resource), new("ShouldDecrementDesiredCapacity", p["ShouldDecrementDesiredCapacity"])], cancellationToken);
            return response.First("Description") ?? "detached";
        });
        return Outcome([result], result.Succeeded ? Map(("autoScalingGroup", p["AutoScalingGroupName"])) : null);
    }

    protected override async Task<IReadOnlyList<VerificationCheck>> VerifyAsync(AwsSession session, ActionTarget target, ActionPlan plan, ActionOutcome outcome, CancellationToken cancellationToken)
    {
        var asg = await ReadAsync("autoscaling:DescribeAutoScalingInstances", () => session.Query.CallAsync(QueryService.AutoScaling, "DescribeAutoScalingInstances",
            [new("InstanceIds.member.1", target.Resource)], cancellationToken));
        var group = asg.First("AutoScalingGroupName");
        var state = asg.First("LifecycleState");
        var ok = group is null || state is "Detaching" or "Detached";
        return [new VerificationCheck("Auto Scaling membership", "none (or detaching)", group is null ? "none" : $"{group} ({state})", ok)];
    }

    protected override async Task<ActionOutcome> UndoAsync(AwsSession session, ActionTarget target, ActionPlan plan, IReadOnlyDictionary<string, string> undoData, CancellationToken cancellationToken) =>
        Outcome([await CallAsync("autoscaling:AttachInstances", target.Resource, async () =>
        {
            await session.Query.CallAsync(QueryService.AutoScaling, "AttachInstances", [new("AutoScalingGroupName", undoData["autoScalingGroup"]), new("InstanceIds.member.1", target.Resource)], cancellationToken);
            return $"attached to {undoData["autoScalingGroup"]} again";
        })]);
}
