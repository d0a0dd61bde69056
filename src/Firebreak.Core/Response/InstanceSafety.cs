namespace Firebreak.Core.Response;

/// <summary>What Firebreak read about a compute instance before containing it.</summary>
public sealed record InstanceFacts(
    string InstanceId,
    string State,
    string InstanceType,
    string? AutoScalingGroup,
    IReadOnlyList<string> LifecycleHooks,
    bool HasInstanceStore,
    bool TerminationProtection,
    IReadOnlyList<string> DeleteOnTerminationVolumes,
    string? InstanceProfileArn);

/// <summary>
/// Self-destruct checks: the ways an instance can destroy itself or its evidence once containment starts,
/// and the order of steps that avoids each (collect, preserve, cut credentials, isolate the network, stop).
/// </summary>
public static class InstanceSafety
{
    public static IReadOnlyList<SafetyRisk> Assess(InstanceFacts facts)
    {
        var risks = new List<SafetyRisk>();
        if (facts.AutoScalingGroup is { } group)
        {
            risks.Add(new SafetyRisk("auto-scaling-group",
                $"{facts.InstanceId} is in Auto Scaling group '{group}'. Once isolated or stopped it fails its health checks and the group terminates it, taking its disks and memory with it.",
                "Detach it from the group first (aws-detach-from-asg). With replace=true the group launches a replacement (ShouldDecrementDesiredCapacity=false) so capacity stays; with replace=false the desired capacity drops by one and nothing is launched."));
            if (facts.LifecycleHooks.Count > 0)
                risks.Add(new SafetyRisk("lifecycle-hooks",
                    $"Group '{group}' has lifecycle hooks ({string.Join(", ", facts.LifecycleHooks)}). A termination hook can run scripts that wipe or ship data; a launch hook runs for the replacement.",
                    "Read what each hook triggers before detaching; detaching does not fire the terminate hook, terminating does."));
        }
        if (facts.HasInstanceStore)
            risks.Add(new SafetyRisk("instance-store",
                $"Instance type {facts.InstanceType} has instance-store volumes: their data is lost when the instance stops. Snapshots do not cover them.",
                "Collect from the instance store (a disk or memory image from inside) before stopping, or do not stop."));
        if (!facts.TerminationProtection)
            risks.Add(new SafetyRisk("termination-protection-off",
                $"Termination protection is off on {facts.InstanceId}: anyone (or any automation) with ec2:TerminateInstances can destroy it.",
                "Enable termination protection (aws-protect-instance) before anything visible to the attacker."));
        if (facts.DeleteOnTerminationVolumes.Count > 0)
            risks.Add(new SafetyRisk("delete-on-termination",
                $"Volumes {string.Join(", ", facts.DeleteOnTerminationVolumes)} are deleted if the instance terminates.",
                "Snapshot them (aws-snapshot-volumes) and set DeleteOnTermination=false (aws-protect-instance)."));
        return risks;
    }

    /// <summary>The safe order for this instance, naming the catalogue action for each step.</summary>
    public static IReadOnlyList<string> SafeOrder(InstanceFacts facts)
    {
        var order = new List<string>
        {
            "1. collect: aws-capture-instance (metadata, console output), aws-snapshot-volumes (EBS snapshots tagged with the incident)",
            "2. preserve: aws-protect-instance (termination protection, keep volumes)" + (facts.AutoScalingGroup is { } g ? $", aws-detach-from-asg (group '{g}')" : "")
                + ", aws-deregister-targets",
            "3. cut credentials: " + (facts.InstanceProfileArn is { } p ? $"aws-disassociate-instance-profile ({p}), aws-revoke-role-sessions on its role, " : "") + "aws-deactivate-access-key for keys found on it",
            "4. isolate network: aws-isolate-instance (no-ingress, no-egress security group)",
            "5. stop: aws-stop-instance" + (facts.HasInstanceStore ? " - instance-store data is lost" : ""),
        };
        return order;
    }
}
