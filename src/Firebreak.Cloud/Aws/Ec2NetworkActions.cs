using Amazon.EC2;
using Amazon.EC2.Model;
using Firebreak.Core.Response;

namespace Firebreak.Cloud.Aws;

/// <summary>
/// Isolate: a new security group with no inbound and no outbound rule (optionally SSH from one examiner CIDR)
/// replaces every group on every network interface; the previous groups are the undo data.
/// </summary>
internal sealed class IsolateInstanceAction(AwsSessions sessions) : AwsAction(sessions)
{
    public override ActionDefinition Definition { get; } = new("aws-isolate-instance", "aws", "Isolate behind a no-ingress, no-egress security group",
        "Creates an isolation security group with no rules (its default allow-all egress rule is revoked), optionally allowing SSH from one examiner CIDR, and puts it in place of every security group on every network interface. Security groups keep already-tracked connections open; add a network ACL to cut those.",
        "EC2 instance id", InstancePattern, ContainmentStage.IsolateNetwork, ActionImpact.High, AffectsAvailability: true, Undoable: true,
        "Undo puts the previous security groups back on each network interface; the isolation group is left for the record.",
        ["ec2:DescribeInstances", "ec2:CreateSecurityGroup", "ec2:RevokeSecurityGroupEgress", "ec2:AuthorizeSecurityGroupIngress", "ec2:ModifyNetworkInterfaceAttribute"],
        [new ActionInput("examinerCidr", ActionInputType.Cidr, false, "An IPv4 CIDR allowed to reach the instance on TCP 22 for examination.")]);

    protected override async Task<ActionPlan> PlanAsync(AwsSession session, ActionTarget target, CancellationToken cancellationToken)
    {
        var (instance, facts) = await InspectAsync(session, target.Resource, cancellationToken);
        var groupName = GroupName(target);
        var calls = new List<PlannedCall>
        {
            new("ec2", "CreateSecurityGroup", Map(("GroupName", groupName), ("VpcId", instance.VpcId ?? ""), ("GroupDescription", $"Firebreak isolation for {target.IncidentReference}")),
                $"creates security group {groupName} in {instance.VpcId}"),
            new("ec2", "RevokeSecurityGroupEgress", Map(("IpPermissions.1.IpProtocol", "-1"), ("IpPermissions.1.IpRanges.1.CidrIp", "0.0.0.0/0")),
                "removes the group's default allow-all outbound rule"),
        };
        if (target.Input("examinerCidr") is { } cidr)
            calls.Add(new PlannedCall("ec2", "AuthorizeSecurityGroupIngress",
                Map(("IpPermissions.1.IpProtocol", "tcp"), ("IpPermissions.1.FromPort", "22"), ("IpPermissions.1.ToPort", "22"), ("IpPermissions.1.IpRanges.1.CidrIp", cidr)),
                $"allows SSH from the examiner at {cidr} only"));
        var state = FactsState(facts);
        foreach (var eni in instance.NetworkInterfaces ?? [])
        {
            var previous = string.Join(",", (eni.Groups ?? []).Select(g => g.GroupId));
            state[eni.NetworkInterfaceId] = previous;
            calls.Add(new PlannedCall("ec2", "ModifyNetworkInterfaceAttribute", Map(("NetworkInterfaceId", eni.NetworkInterfaceId), ("SecurityGroupId.1", "(the isolation group)")),
                $"{eni.NetworkInterfaceId}: security groups {previous} -> the isolation group only"));
        }
        var risks = InstanceSafety.Assess(facts).ToList();
        risks.Add(new SafetyRisk("tracked-connections", "Security groups are stateful: connections already tracked (an attacker's open shell) may stay open after the change.",
            "Add a deny-all network ACL on the subnet (aws-deny-all-network-acl), or stop the instance, to cut tracked connections."));
        return new ActionPlan($"Isolate {target.Resource}: {instance.NetworkInterfaces?.Count ?? 0} network interface(s) move to {groupName}.", calls,
            calls.Select(c => c.Change).ToList(), true, Definition.UndoDescription, risks, InstanceSafety.SafeOrder(facts), state);
    }

    protected override async Task<ActionOutcome> ExecuteAsync(AwsSession session, ActionTarget target, ActionPlan plan, CancellationToken cancellationToken)
    {
        var calls = new List<CallResult>();
        var undo = new Dictionary<string, string>();
        var create = plan.Calls.Single(c => c.Operation == "CreateSecurityGroup");
        string? groupId = null;
        calls.Add(await CallAsync("ec2:CreateSecurityGroup", create.Parameters["GroupName"], async () =>
        {
            var response = await session.Ec2.CreateSecurityGroupAsync(new CreateSecurityGroupRequest
            {
                GroupName = create.Parameters["GroupName"],
                Description = create.Parameters["GroupDescription"],
                VpcId = create.Parameters["VpcId"],
                TagSpecifications = [new TagSpecification { ResourceType = ResourceType.SecurityGroup, Tags = [new Tag("firebreak:incident", target.IncidentReference)] }],
            }, cancellationToken);
            groupId = response.GroupId;
            return $"created {groupId}";
        }));
        // Without the group, nothing else may run: moving interfaces into a group that still allows egress would not isolate anything.
        if (groupId is null) return Outcome(calls);
        undo["isolationGroup"] = groupId;
        calls.Add(await CallAsync("ec2:RevokeSecurityGroupEgress", groupId, async () =>
        {
            await session.Ec2.RevokeSecurityGroupEgressAsync(new RevokeSecurityGroupEgressRequest
            {
                GroupId = groupId,
                IpPermissions = [new IpPermission { IpProtocol = "-1", Ipv4Ranges = [new IpRange { CidrIp = "0.0.0.0/0" }] }],
            }, cancellationToken);
            return "outbound allow-all rule removed";
        }));
        if (!calls[^1].Succeeded) return Outcome(calls, undo);
        if (plan.Calls.FirstOrDefault(c => c.Operation == "AuthorizeSecurityGroupIngress") is { } ingress)
        {
            var cidr = ingress.Parameters["IpPermissions.1.IpRanges.1.CidrIp"];
            calls.Add(await CallAsync("ec2:AuthorizeSecurityGroupIngress", groupId, async () =>
            {
                await session.Ec2.AuthorizeSecurityGroupIngressAsync(new AuthorizeSecurityGroupIngressRequest
                {
                    GroupId = groupId,
                    IpPermissions = [new IpPermission { IpProtocol = "tcp", FromPort = 22, ToPort = 22, Ipv4Ranges = [new IpRange { CidrIp = cidr, Description = "Firebreak examiner" }] }],
                }, cancellationToken);
                return $"SSH allowed from {cidr}";
            }));
        }
        foreach (var call in plan.Calls.Where(c => c.Operation == "ModifyNetworkInterfaceAttribute"))
        {
            var eni = call.Parameters["NetworkInterfaceId"];
            var result = await CallAsync("ec2:ModifyNetworkInterfaceAttribute", eni, async () =>
            {
                await session.Ec2.ModifyNetworkInterfaceAttributeAsync(new ModifyNetworkInterfaceAttributeRequest { NetworkInterfaceId = eni, Groups = [groupId] }, cancellationToken);
                return $"{eni} now in {groupId} only";
            });
            if (result.Succeeded) undo[eni] = plan.State[eni];
            calls.Add(result);
        }
        return Outcome(calls, undo);
    }

    protected override async Task<IReadOnlyList<VerificationCheck>> VerifyAsync(AwsSession session, ActionTarget target, ActionPlan plan, ActionOutcome outcome, CancellationToken cancellationToken)
    {
        if (!outcome.UndoData.TryGetValue("isolationGroup", out var groupId)) return [];
        var instance = await DescribeInstanceAsync(session, target.Resource, cancellationToken);
        return (instance.NetworkInterfaces ?? []).Select(n =>
        {
            var groups = string.Join(",", (n.Groups ?? []).Select(g => g.GroupId));
            return new VerificationCheck($"{n.NetworkInterfaceId} security groups", groupId, groups, groups == groupId);
        }).ToList();
    }

    protected override async Task<ActionOutcome> UndoAsync(AwsSession session, ActionTarget target, ActionPlan plan, IReadOnlyDictionary<string, string> undoData, CancellationToken cancellationToken)
    {
        var calls = new List<CallResult>();
        foreach (var (eni, groups) in undoData.Where(e => e.Key.StartsWith("eni-", StringComparison.Ordinal)))
            calls.Add(await CallAsync("ec2:ModifyNetworkInterfaceAttribute", eni, async () =>
            {
                await session.Ec2.ModifyNetworkInterfaceAttributeAsync(new ModifyNetworkInterfaceAttributeRequest { NetworkInterfaceId = eni, Groups = groups.Split(',', StringSplitOptions.RemoveEmptyEntries).ToList() }, cancellationToken);
                return $"{eni} back in {groups}";
            }));
        return Outcome(calls);
    }

    internal static string GroupName(ActionTarget target) => $"firebreak-isolation-{target.IncidentReference}-{target.Resource}".ToLowerInvariant();
}

/// <summary>Stop: the last step of the safe order. Instance-store data is lost.</summary>
internal sealed class StopInstanceAction(AwsSessions sessions) : AwsAction(sessions)
{
    public override ActionDefinition Definition { get; } = new("aws-stop-instance", "aws", "Stop the instance",
        "Stops the instance: memory and instance-store contents are lost, EBS volumes are kept. Run it after collection, credential cuts and isolation.",
        "EC2 instance id", InstancePattern, ContainmentStage.Stop, ActionImpact.High, AffectsAvailability: true, Undoable: true,
        "Undo starts the instance again (memory and instance-store data are not restored).", ["ec2:StopInstances", "ec2:StartInstances (undo)"], []);

    protected override async Task<ActionPlan> PlanAsync(AwsSession session, ActionTarget target, CancellationToken cancellationToken)
    {
        var (_, facts) = await InspectAsync(session, target.Resource, cancellationToken);
        var risks = InstanceSafety.Assess(facts).ToList();
        risks.Add(new SafetyRisk("memory-lost", "Stopping loses the instance's memory: running processes, keys in memory, network state.", "Take a memory image first if it matters."));
        return new ActionPlan($"Stop {target.Resource} (now {facts.State}).", [new PlannedCall("ec2", "StopInstances", Map(("InstanceId.1", target.Resource)), $"{target.Resource}: {facts.State} -> stopped")],
            [$"{target.Resource}: {facts.State} -> stopped"], true, Definition.UndoDescription, risks, InstanceSafety.SafeOrder(facts), FactsState(facts));
    }

    protected override async Task<ActionOutcome> ExecuteAsync(AwsSession session, ActionTarget target, ActionPlan plan, CancellationToken cancellationToken)
    {
        var undo = new Dictionary<string, string>();
        var result = await CallAsync("ec2:StopInstances", target.Resource, async () =>
        {
            var response = await session.Ec2.StopInstancesAsync(new StopInstancesRequest { InstanceIds = [target.Resource] }, cancellationToken);
            var change = (response.StoppingInstances ?? []).FirstOrDefault();
            return $"{change?.PreviousState?.Name?.Value} -> {change?.CurrentState?.Name?.Value}";
        });
        if (result.Succeeded) undo["previousState"] = plan.State.GetValueOrDefault("instanceState", "running");
        return Outcome([result], undo);
    }

    protected override async Task<IReadOnlyList<VerificationCheck>> VerifyAsync(AwsSession session, ActionTarget target, ActionPlan plan, ActionOutcome outcome, CancellationToken cancellationToken)
    {
        var instance = await DescribeInstanceAsync(session, target.Resource, cancellationToken);
        var state = instance.State?.Name?.Value ?? "unknown";
        return [new VerificationCheck("instance state", "stopping or stopped", state, state is "stopping" or "stopped")];
    }

    protected override async Task<ActionOutcome> UndoAsync(AwsSession session, ActionTarget target, ActionPlan plan, IReadOnlyDictionary<string, string> undoData, CancellationToken cancellationToken) =>
        Outcome([await CallAsync("ec2:StartInstances", target.Resource, async () =>
        {
            await session.Ec2.StartInstancesAsync(new StartInstancesRequest { InstanceIds = [target.Resource] }, cancellationToken);
            return "start requested";
        })]);
}
