using Amazon.EC2.Model;
using Firebreak.Core.Response;

namespace Firebreak.Cloud.Aws;

/// <summary>
/// Cut credentials: the instance loses its instance profile, so no new role credentials reach it through the
/// metadata service. Credentials already handed out stay valid until revoked (aws-revoke-role-sessions).
/// </summary>
internal sealed class DisassociateInstanceProfileAction(AwsSessions sessions) : AwsAction(sessions)
{
    public override ActionDefinition Definition { get; } = new("aws-disassociate-instance-profile", "aws", "Disassociate the instance profile",
        "Removes the IAM instance profile from the instance. Credentials already issued to it stay valid until they expire: revoke the role's sessions too.",
        "EC2 instance id", InstancePattern, ContainmentStage.CutCredentials, ActionImpact.High, AffectsAvailability: true, Undoable: true,
        "Undo associates the same instance profile again.",
        ["ec2:DescribeIamInstanceProfileAssociations", "ec2:DisassociateIamInstanceProfile", "ec2:AssociateIamInstanceProfile (undo)"], []);

    protected override async Task<ActionPlan> PlanAsync(AwsSession session, ActionTarget target, CancellationToken cancellationToken)
    {
        var (_, facts) = await InspectAsync(session, target.Resource, cancellationToken);
        var association = await AssociationAsync(session, target.Resource, cancellationToken);
        if (association is null) throw new Firebreak.Core.Common.ConflictException($"{target.Resource} has no instance profile: there is nothing to disassociate.");
        var risks = InstanceSafety.Assess(facts).ToList();
        risks.Add(new SafetyRisk("issued-credentials", $"Credentials the instance already received from {association.IamInstanceProfile.Arn} stay valid for up to their lifetime.",
            "Run aws-revoke-role-sessions on the profile's role as well."));
        return new ActionPlan($"Remove instance profile {association.IamInstanceProfile.Arn} from {target.Resource}.",
            [new PlannedCall("ec2", "DisassociateIamInstanceProfile", Map(("AssociationId", association.AssociationId)), $"{target.Resource} no longer receives credentials of {association.IamInstanceProfile.Arn}")],
            [$"{target.Resource} no longer receives credentials of {association.IamInstanceProfile.Arn}"], true, Definition.UndoDescription, risks, InstanceSafety.SafeOrder(facts),
            Map(("instanceProfileArn", association.IamInstanceProfile.Arn), ("associationId", association.AssociationId)));
    }

    protected override async Task<ActionOutcome> ExecuteAsync(AwsSession session, ActionTarget target, ActionPlan plan, CancellationToken cancellationToken)
    {
        var result = await CallAsync("ec2:DisassociateIamInstanceProfile", target.Resource, async () =>
        {
            await session.Ec2.DisassociateIamInstanceProfileAsync(new DisassociateIamInstanceProfileRequest { AssociationId = plan.State["associationId"] }, cancellationToken);
            return $"{plan.State["instanceProfileArn"]} disassociating";
        });
        return Outcome([result], result.Succeeded ? Map(("instanceProfileArn", plan.State["instanceProfileArn"])) : null);
    }

    protected override async Task<IReadOnlyList<VerificationCheck>> VerifyAsync(AwsSession session, ActionTarget target, ActionPlan plan, ActionOutcome outcome, CancellationToken cancellationToken)
    {
        var association = await AssociationAsync(session, target.Resource, cancellationToken);
        return [new VerificationCheck("instance profile", "none", association?.IamInstanceProfile?.Arn ?? "none", association is null)];
    }

    protected override async Task<ActionOutcome> UndoAsync(AwsSession session, ActionTarget target, ActionPlan plan, IReadOnlyDictionary<string, string> undoData, CancellationToken cancellationToken) =>
        Outcome([await CallAsync("ec2:AssociateIamInstanceProfile", target.Resource, async () =>
        {
            await session.Ec2.AssociateIamInstanceProfileAsync(new AssociateIamInstanceProfileRequest
            {
                InstanceId = target.Resource,
                IamInstanceProfile = new IamInstanceProfileSpecification { Arn = undoData["instanceProfileArn"] },
            }, cancellationToken);
            return $"{undoData["instanceProfileArn"]} associated again";
        })]);

    private static async Task<IamInstanceProfileAssociation?> AssociationAsync(AwsSession session, string instanceId, CancellationToken cancellationToken)
    {
        var response = await ReadAsync("ec2:DescribeIamInstanceProfileAssociations", () => session.Ec2.DescribeIamInstanceProfileAssociationsAsync(new DescribeIamInstanceProfileAssociationsRequest
        {
            Filters = [new Filter("instance-id", [instanceId]), new Filter("state", ["associating", "associated"])],
        }, cancellationToken));
        return (response.IamInstanceProfileAssociations ?? []).FirstOrDefault();
    }
}
