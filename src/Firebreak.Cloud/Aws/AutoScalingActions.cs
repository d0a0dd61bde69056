using System.Globalization;
using System.Xml.Linq;
using Amazon.EC2.Model;
using Firebreak.Core.Response;

namespace Firebreak.Cloud.Aws;

/// <summary>
/// Preserve: take the instance out of its Auto Scaling group before isolating it, so failed health checks do not
/// get it terminated. The responder chooses whether the group launches a replacement; when it does, the plan says
/// which launch template version or launch configuration, and which AMI, the replacement comes from, so it can be
/// checked against the known-good one (an attacker who changed the template would be relaunched).
/// </summary>
internal sealed class DetachFromAutoScalingGroupAction(AwsSessions sessions) : AwsAction(sessions)
{
    public override ActionDefinition Definition { get; } = new("aws-detach-from-asg", "aws", "Detach from its Auto Scaling group",
        "Detaches the instance from its Auto Scaling group. replace=true keeps the desired capacity (ShouldDecrementDesiredCapacity=false), so the group launches a replacement from its launch template; replace=false lowers the desired capacity by one and launches nothing.",
        "EC2 instance id", InstancePattern, ContainmentStage.Preserve, ActionImpact.High, AffectsAvailability: false, Undoable: true,
        "Undo attaches the instance to the group again (autoscaling:AttachInstances raises the desired capacity by one).",
        ["autoscaling:DescribeAutoScalingInstances", "autoscaling:DescribeAutoScalingGroups (replace)", "ec2:DescribeLaunchTemplateVersions (replace)",
            "autoscaling:DescribeLaunchConfigurations (replace)", "autoscaling:DetachInstances", "autoscaling:AttachInstances (undo)"],
        [new ActionInput("replace", ActionInputType.Boolean, true, "true: the group launches a replacement; false: capacity drops by one.")]);

    protected override async Task<ActionPlan> PlanAsync(AwsSession session, ActionTarget target, CancellationToken cancellationToken)
    {
        var (_, facts) = await InspectAsync(session, target.Resource, cancellationToken);
        if (facts.AutoScalingGroup is null)
            throw new Firebreak.Core.Common.ConflictException($"{target.Resource} is not in an Auto Scaling group: there is nothing to detach.");
        var replace = target.Flag("replace");
        var decrement = replace ? "false" : "true";
        var state = FactsState(facts);
        var risks = InstanceSafety.Assess(facts).ToList();
        var change = $"{target.Resource} leaves '{facts.AutoScalingGroup}'; desired capacity drops by one, no replacement is launched";
        if (replace)
        {
            var source = await ReplacementSourceAsync(session, facts.AutoScalingGroup, cancellationToken);
            change = $"{target.Resource} leaves '{facts.AutoScalingGroup}'; desired capacity stays, so the group launches a replacement instance from {source.Describe()}";
            state["replacementSource"] = source.Kind;
            state["replacementName"] = source.Name;
            state["replacementVersion"] = source.Version ?? "";
            state["replacementImage"] = source.ImageId ?? "";
            risks.Add(new SafetyRisk("replacement-source",
                $"The replacement launches from {source.Describe()}. If the attacker changed the template, its default version or the image, the replacement is compromised too."
                    + (source.Requested is "$Latest" or "$Default" ? $" The group asks for {source.Requested}: a version made the default (or latest) before the run changes what is launched." : ""),
                "Check the template, version and AMI against the known-good ones before running; if they differ, fix the group's launch template first or detach with replace=false."));
        }
        return new ActionPlan($"Detach {target.Resource} from '{facts.AutoScalingGroup}' ({(replace ? "with" : "without")} a replacement).",
            [new PlannedCall("autoscaling", "DetachInstances", Map(("AutoScalingGroupName", facts.AutoScalingGroup), ("InstanceIds.member.1", target.Resource), ("ShouldDecrementDesiredCapacity", decrement)), change)],
            [change], true, Definition.UndoDescription, risks, InstanceSafety.SafeOrder(facts), state);
    }

    /// <summary>What the group launches: its launch template (directly or in a mixed instances policy) and the version it resolves to now, or its launch configuration.</summary>
    private static async Task<ReplacementSource> ReplacementSourceAsync(AwsSession session, string group, CancellationToken cancellationToken)
    {
        var groups = await ReadAsync("autoscaling:DescribeAutoScalingGroups", () => session.Query.CallAsync(QueryService.AutoScaling, "DescribeAutoScalingGroups",
            [new("AutoScalingGroupNames.member.1", group)], cancellationToken));
        var member = groups.All("AutoScalingGroups").SelectMany(e => Children(e, "member")).FirstOrDefault()
            ?? throw new CloudCallException("autoscaling:DescribeAutoScalingGroups", "ValidationError", $"Auto Scaling group '{group}' was not found.");
        var template = Children(member, "LaunchTemplate").FirstOrDefault()
            ?? Children(member, "MixedInstancesPolicy").SelectMany(m => Children(m, "LaunchTemplate")).SelectMany(l => Children(l, "LaunchTemplateSpecification")).FirstOrDefault();
        if (template is not null)
        {
            var id = template.First("LaunchTemplateId");
            var name = template.First("LaunchTemplateName");
            var requested = template.First("Version") is { Length: > 0 } v ? v : "$Default";
            var versions = await ReadAsync("ec2:DescribeLaunchTemplateVersions", () => session.Ec2.DescribeLaunchTemplateVersionsAsync(new DescribeLaunchTemplateVersionsRequest
            {
                LaunchTemplateId = id,
                LaunchTemplateName = id is null ? name : null,
                Versions = [requested],
            }, cancellationToken));
            var version = versions.LaunchTemplateVersions?.FirstOrDefault()
                ?? throw new CloudCallException("ec2:DescribeLaunchTemplateVersions", "InvalidLaunchTemplateId.VersionNotFound", $"Version {requested} of launch template {id ?? name} was not found.");
            return new ReplacementSource("launch-template", $"{version.LaunchTemplateName ?? name} ({version.LaunchTemplateId ?? id})", requested,
                version.VersionNumber?.ToString(CultureInfo.InvariantCulture), version.LaunchTemplateData?.ImageId, version.LaunchTemplateData?.InstanceType?.Value,
                version.CreateTime, version.CreatedBy);
        }
        if (Children(member, "LaunchConfigurationName").FirstOrDefault()?.Value is { Length: > 0 } configuration)
        {
            var configurations = await ReadAsync("autoscaling:DescribeLaunchConfigurations", () => session.Query.CallAsync(QueryService.AutoScaling, "DescribeLaunchConfigurations",
                [new("LaunchConfigurationNames.member.1", configuration)], cancellationToken));
            var created = DateTime.TryParse(configurations.First("CreatedTime"), CultureInfo.InvariantCulture, DateTimeStyles.AdjustToUniversal | DateTimeStyles.AssumeUniversal, out var at) ? at : (DateTime?)null;
            return new ReplacementSource("launch-configuration", configuration, null, null, configurations.First("ImageId"), configurations.First("InstanceType"), created, null);
        }
        throw new CloudCallException("autoscaling:DescribeAutoScalingGroups", "NoLaunchSource", $"Auto Scaling group '{group}' names neither a launch template nor a launch configuration.");
    }

    private static IEnumerable<XElement> Children(XElement element, string localName) => element.Elements().Where(e => e.Name.LocalName == localName);

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

/// <summary>The launch template version or launch configuration a group's replacement instance comes from.</summary>
internal sealed record ReplacementSource(string Kind, string Name, string? Requested, string? Version, string? ImageId, string? InstanceType, DateTime? Created, string? CreatedBy)
{
    public string Describe()
    {
        var what = Kind == "launch-template"
            ? $"launch template {Name} version {Version}{(Requested is "$Latest" or "$Default" ? $" ({Requested})" : "")}"
            : $"launch configuration {Name}";
        var details = new List<string> { $"AMI {ImageId ?? "not set"}" };
        if (InstanceType is { Length: > 0 }) details.Add(InstanceType);
        if (Created is { } created) details.Add($"created {created.ToUniversalTime():yyyy-MM-dd HH:mm} UTC{(CreatedBy is { Length: > 0 } by ? $" by {by}" : "")}");
        return $"{what} ({string.Join(", ", details)})";
    }
}
