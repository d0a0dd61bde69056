using Amazon.EC2;
using Amazon.EC2.Model;
using Firebreak.Core.Response;

namespace Firebreak.Cloud.Aws;

/// <summary>
/// Isolate, harder: a new network ACL with no allow rule replaces the subnet's ACL. Network ACLs are stateless,
/// so unlike security groups they also cut connections already tracked. They apply to the whole subnet.
/// </summary>
internal sealed class DenyAllNetworkAclAction(AwsSessions sessions) : AwsAction(sessions)
{
    public override ActionDefinition Definition { get; } = new("aws-deny-all-network-acl", "aws", "Put a deny-all network ACL on the instance's subnet",
        "Creates a network ACL with no allow rules (optionally SSH from one examiner CIDR and the replies to it) and associates it with the instance's subnet in place of the current ACL. It cuts tracked connections that a security group change leaves open, for every instance in the subnet.",
        "EC2 instance id", InstancePattern, ContainmentStage.IsolateNetwork, ActionImpact.High, AffectsAvailability: true, Undoable: true,
        "Undo associates the subnet's previous network ACL again.",
        ["ec2:DescribeNetworkAcls", "ec2:CreateNetworkAcl", "ec2:CreateNetworkAclEntry", "ec2:ReplaceNetworkAclAssociation"],
        [new ActionInput("examinerCidr", ActionInputType.Cidr, false, "An IPv4 CIDR allowed in on TCP 22 (and the replies out).")]);

    protected override async Task<ActionPlan> PlanAsync(AwsSession session, ActionTarget target, CancellationToken cancellationToken)
    {
        var (instance, facts) = await InspectAsync(session, target.Resource, cancellationToken);
        var subnet = instance.SubnetId ?? throw new Firebreak.Core.Common.ConflictException($"{target.Resource} is not in a subnet.");
        var (aclId, associationId) = await CurrentAsync(session, subnet, cancellationToken);
        var calls = new List<PlannedCall>
        {
            new("ec2", "CreateNetworkAcl", Map(("VpcId", instance.VpcId ?? "")), $"creates a network ACL in {instance.VpcId} whose only rules deny everything"),
        };
        if (target.Input("examinerCidr") is { } cidr)
        {
            calls.Add(new PlannedCall("ec2", "CreateNetworkAclEntry", Map(("RuleNumber", "100"), ("Egress", "false"), ("Protocol", "6"), ("RuleAction", "allow"), ("CidrBlock", cidr), ("PortRange.From", "22"), ("PortRange.To", "22")),
                $"allows SSH in from {cidr}"));
            calls.Add(new PlannedCall("ec2", "CreateNetworkAclEntry", Map(("RuleNumber", "100"), ("Egress", "true"), ("Protocol", "6"), ("RuleAction", "allow"), ("CidrBlock", cidr), ("PortRange.From", "1024"), ("PortRange.To", "65535")),
                $"allows the SSH replies out to {cidr}"));
        }
        calls.Add(new PlannedCall("ec2", "ReplaceNetworkAclAssociation", Map(("AssociationId", associationId), ("NetworkAclId", "(the new ACL)")), $"subnet {subnet}: network ACL {aclId} -> the deny-all ACL"));
        var risks = InstanceSafety.Assess(facts).ToList();
        risks.Add(new SafetyRisk("whole-subnet", $"The ACL applies to every instance in subnet {subnet}, not only {target.Resource}.",
            "Move the instance to a quarantine subnet first, or accept that its neighbours lose the network too."));
        var state = FactsState(facts);
        state["subnet"] = subnet;
        state["previousAcl"] = aclId;
        return new ActionPlan($"Deny all traffic in subnet {subnet} with a new network ACL.", calls, calls.Select(c => c.Change).ToList(), true, Definition.UndoDescription,
            risks, InstanceSafety.SafeOrder(facts), state);
    }

    protected override async Task<ActionOutcome> ExecuteAsync(AwsSession session, ActionTarget target, ActionPlan plan, CancellationToken cancellationToken)
    {
        var calls = new List<CallResult>();
        var undo = new Dictionary<string, string>();
        string? aclId = null;
        var create = plan.Calls[0];
        calls.Add(await CallAsync("ec2:CreateNetworkAcl", create.Parameters["VpcId"], async () =>
        {
            var response = await session.Ec2.CreateNetworkAclAsync(new CreateNetworkAclRequest
            {
                VpcId = create.Parameters["VpcId"],
                TagSpecifications = [new TagSpecification { ResourceType = ResourceType.NetworkAcl, Tags = [new Tag("firebreak:incident", target.IncidentReference)] }],
            }, cancellationToken);
            aclId = response.NetworkAcl.NetworkAclId;
            return $"created {aclId}";
        }));
        if (aclId is null) return Outcome(calls);
        foreach (var entry in plan.Calls.Where(c => c.Operation == "CreateNetworkAclEntry"))
        {
            var p = entry.Parameters;
            calls.Add(await CallAsync("ec2:CreateNetworkAclEntry", aclId, async () =>
            {
                await session.Ec2.CreateNetworkAclEntryAsync(new CreateNetworkAclEntryRequest
                {
                    NetworkAclId = aclId,
                    RuleNumber = int.Parse(p["RuleNumber"], System.Globalization.CultureInfo.InvariantCulture),
                    Egress = bool.Parse(p["Egress"]),
                    Protocol = p["Protocol"],
                    RuleAction = RuleAction.Allow,
                    CidrBlock = p["CidrBlock"],
                    PortRange = new PortRange { From = int.Parse(p["PortRange.From"], System.Globalization.CultureInfo.InvariantCulture), To = int.Parse(p["PortRange.To"], System.Globalization.CultureInfo.InvariantCulture) },
                }, cancellationToken);
                return entry.Change;
            }));
        }
        var replace = plan.Calls[^1];
        var result = await CallAsync("ec2:ReplaceNetworkAclAssociation", plan.State["subnet"], async () =>
        {
            var response = await session.Ec2.ReplaceNetworkAclAssociationAsync(new ReplaceNetworkAclAssociationRequest { AssociationId = replace.Parameters["AssociationId"], NetworkAclId = aclId }, cancellationToken);
            undo["associationId"] = response.NewAssociationId;
            return $"subnet {plan.State["subnet"]} now uses {aclId}";
        });
        if (result.Succeeded)
        {
            undo["previousAcl"] = plan.State["previousAcl"];
            undo["denyAllAcl"] = aclId;
        }
        calls.Add(result);
        return Outcome(calls, undo);
    }

    protected override async Task<IReadOnlyList<VerificationCheck>> VerifyAsync(AwsSession session, ActionTarget target, ActionPlan plan, ActionOutcome outcome, CancellationToken cancellationToken)
    {
        if (!outcome.UndoData.TryGetValue("denyAllAcl", out var expected)) return [];
        var (aclId, _) = await CurrentAsync(session, plan.State["subnet"], cancellationToken);
        return [new VerificationCheck($"network ACL of {plan.State["subnet"]}", expected, aclId, aclId == expected)];
    }

    protected override async Task<ActionOutcome> UndoAsync(AwsSession session, ActionTarget target, ActionPlan plan, IReadOnlyDictionary<string, string> undoData, CancellationToken cancellationToken) =>
        Outcome([await CallAsync("ec2:ReplaceNetworkAclAssociation", plan.State["subnet"], async () =>
        {
            await session.Ec2.ReplaceNetworkAclAssociationAsync(new ReplaceNetworkAclAssociationRequest { AssociationId = undoData["associationId"], NetworkAclId = undoData["previousAcl"] }, cancellationToken);
            return $"subnet {plan.State["subnet"]} back on {undoData["previousAcl"]}";
        })]);

    private static async Task<(string AclId, string AssociationId)> CurrentAsync(AwsSession session, string subnet, CancellationToken cancellationToken)
    {
        var response = await ReadAsync("ec2:DescribeNetworkAcls", () => session.Ec2.DescribeNetworkAclsAsync(new DescribeNetworkAclsRequest
        {
            Filters = [new Filter("association.subnet-id", [subnet])],
        }, cancellationToken));
        foreach (var acl in response.NetworkAcls ?? [])
            foreach (var association in acl.Associations ?? [])
                if (association.SubnetId == subnet) return (acl.NetworkAclId, association.NetworkAclAssociationId);
        throw new CloudCallException("ec2:DescribeNetworkAcls", "NotFound", $"No network ACL is associated with {subnet}.");
    }
}
