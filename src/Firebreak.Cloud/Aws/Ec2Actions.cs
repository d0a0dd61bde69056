using System.Text;
using System.Text.Json;
using Amazon.EC2;
using Amazon.EC2.Model;
using Firebreak.Core.Response;

namespace Firebreak.Cloud.Aws;

/// <summary>Collect: the instance's metadata and console output, before anything changes.</summary>
internal sealed class CaptureInstanceAction(AwsSessions sessions) : AwsAction(sessions)
{
    private const int MaxConsoleChars = 64 * 1024;

    public override ActionDefinition Definition { get; } = new("aws-capture-instance", "aws", "Capture instance metadata and console output",
        "Records the instance's description (network, volumes, profile, tags) and its console output as they are now.",
        "EC2 instance id", InstancePattern, ContainmentStage.Collect, ActionImpact.Low, AffectsAvailability: false, Undoable: false,
        "Nothing changes, so there is nothing to undo.", ["ec2:DescribeInstances", "ec2:GetConsoleOutput"], []);

    protected override async Task<ActionPlan> PlanAsync(AwsSession session, ActionTarget target, CancellationToken cancellationToken)
    {
        var (_, facts) = await InspectAsync(session, target.Resource, cancellationToken);
        return new ActionPlan($"Read and record {target.Resource}'s metadata and console output.",
            [
                new PlannedCall("ec2", "DescribeInstances", Map(("InstanceId.1", target.Resource)), "none: read only"),
                new PlannedCall("ec2", "GetConsoleOutput", Map(("InstanceId", target.Resource)), "none: read only"),
            ], ["Nothing changes in the account."], false, Definition.UndoDescription, InstanceSafety.Assess(facts), InstanceSafety.SafeOrder(facts), FactsState(facts));
    }

    protected override async Task<ActionOutcome> ExecuteAsync(AwsSession session, ActionTarget target, ActionPlan plan, CancellationToken cancellationToken)
    {
        var output = new Dictionary<string, string>();
        var calls = new List<CallResult>
        {
            await CallAsync("ec2:DescribeInstances", target.Resource, async () =>
            {
                var response = await session.Ec2.DescribeInstancesAsync(new DescribeInstancesRequest { InstanceIds = [target.Resource] }, cancellationToken);
                var i = (response.Reservations ?? []).SelectMany(r => r.Instances ?? []).Single(x => x.InstanceId == target.Resource);
                output["metadata"] = JsonSerializer.Serialize(new
                {
                    i.InstanceId, Type = i.InstanceType?.Value, State = i.State?.Name?.Value, i.ImageId, i.LaunchTime, i.VpcId, i.SubnetId, i.PrivateIpAddress, i.PublicIpAddress,
                    Profile = i.IamInstanceProfile?.Arn, i.KeyName,
                    NetworkInterfaces = (i.NetworkInterfaces ?? []).Select(n => new { n.NetworkInterfaceId, Groups = (n.Groups ?? []).Select(g => g.GroupId) }),
                    Volumes = (i.BlockDeviceMappings ?? []).Select(b => new { b.DeviceName, b.Ebs?.VolumeId, b.Ebs?.DeleteOnTermination }),
                    Tags = (i.Tags ?? []).ToDictionary(t => t.Key, t => t.Value),
                });
                return "metadata recorded";
            }),
            await CallAsync("ec2:GetConsoleOutput", target.Resource, async () =>
            {
                var response = await session.Ec2.GetConsoleOutputAsync(new GetConsoleOutputRequest { InstanceId = target.Resource }, cancellationToken);
                var text = string.IsNullOrEmpty(response.Output) ? "" : Encoding.UTF8.GetString(Convert.FromBase64String(response.Output));
                output["consoleOutput"] = text.Length > MaxConsoleChars ? text[^MaxConsoleChars..] : text;
                return $"{text.Length} characters of console output recorded";
            }),
        };
        return Outcome(calls, output: output);
    }

    protected override Task<IReadOnlyList<VerificationCheck>> VerifyAsync(AwsSession session, ActionTarget target, ActionPlan plan, ActionOutcome outcome, CancellationToken cancellationToken) =>
        Task.FromResult<IReadOnlyList<VerificationCheck>>([new VerificationCheck("metadata recorded", "present", outcome.Output.ContainsKey("metadata") ? "present" : "missing", outcome.Output.ContainsKey("metadata"))]);
}

/// <summary>Collect: one snapshot per attached EBS volume, tagged with the incident.</summary>
internal sealed class SnapshotVolumesAction(AwsSessions sessions) : AwsAction(sessions)
{
    public override ActionDefinition Definition { get; } = new("aws-snapshot-volumes", "aws", "Snapshot all EBS volumes",
        "Creates a snapshot of every EBS volume attached to the instance, tagged firebreak:incident, for forensic copies.",
        "EC2 instance id", InstancePattern, ContainmentStage.Collect, ActionImpact.Low, AffectsAvailability: false, Undoable: true,
        "Undo deletes the snapshots this run created (only when they are no longer needed as evidence).", ["ec2:DescribeInstances", "ec2:CreateSnapshot", "ec2:DeleteSnapshot (undo)"], []);

    protected override async Task<ActionPlan> PlanAsync(AwsSession session, ActionTarget target, CancellationToken cancellationToken)
    {
        var (instance, facts) = await InspectAsync(session, target.Resource, cancellationToken);
        var volumes = (instance.BlockDeviceMappings ?? []).Where(b => b.Ebs?.VolumeId is not null).ToList();
        var calls = volumes.Select(v => new PlannedCall("ec2", "CreateSnapshot",
            Map(("VolumeId", v.Ebs.VolumeId), ("Description", Description(target, v.DeviceName)), ("TagSpecification.1.Tag.1", $"firebreak:incident={target.IncidentReference}")),
            $"creates a snapshot of {v.Ebs.VolumeId} ({v.DeviceName})")).ToList();
        var state = FactsState(facts);
        state["volumes"] = string.Join(",", volumes.Select(v => $"{v.Ebs.VolumeId}={v.DeviceName}"));
        return new ActionPlan($"Snapshot {volumes.Count} EBS volume(s) of {target.Resource}.", calls,
            calls.Count == 0 ? ["The instance has no EBS volumes: nothing to snapshot."] : calls.Select(c => c.Change).ToList(),
            true, Definition.UndoDescription, InstanceSafety.Assess(facts), InstanceSafety.SafeOrder(facts), state);
    }

    protected override async Task<ActionOutcome> ExecuteAsync(AwsSession session, ActionTarget target, ActionPlan plan, CancellationToken cancellationToken)
    {
        var calls = new List<CallResult>();
        var undo = new Dictionary<string, string>();
        foreach (var call in plan.Calls.Where(c => c.Operation == "CreateSnapshot"))
        {
            var volume = call.Parameters["VolumeId"];
            calls.Add(await CallAsync("ec2:CreateSnapshot", volume, async () =>
            {
                var response = await session.Ec2.CreateSnapshotAsync(new CreateSnapshotRequest
                {
                    VolumeId = volume,
                    Description = call.Parameters["Description"],
                    TagSpecifications =
                    [
                        new TagSpecification
                        {
                            ResourceType = ResourceType.Snapshot,
                            Tags =
                            [
                                new Tag("firebreak:incident", target.IncidentReference),
                                new Tag("firebreak:source-instance", target.Resource),
                                new Tag("firebreak:source-volume", volume),
                            ],
                        },
                    ],
                }, cancellationToken);
                undo[volume] = response.Snapshot.SnapshotId;
                return $"snapshot {response.Snapshot.SnapshotId} of {volume} started ({response.Snapshot.State?.Value})";
            }));
        }
        return Outcome(calls, undo, new Dictionary<string, string>(undo));
    }

    protected override async Task<IReadOnlyList<VerificationCheck>> VerifyAsync(AwsSession session, ActionTarget target, ActionPlan plan, ActionOutcome outcome, CancellationToken cancellationToken)
    {
        if (outcome.UndoData.Count == 0) return [];
        var response = await ReadAsync("ec2:DescribeSnapshots", () => session.Ec2.DescribeSnapshotsAsync(new DescribeSnapshotsRequest { SnapshotIds = outcome.UndoData.Values.ToList() }, cancellationToken));
        var found = (response.Snapshots ?? []).ToDictionary(s => s.SnapshotId);
        return outcome.UndoData.Select(e => found.TryGetValue(e.Value, out var s)
            ? new VerificationCheck($"snapshot of {e.Key}", "pending or completed, tagged with the incident", $"{s.State?.Value}, tagged {(s.Tags ?? []).Any(t => t.Key == "firebreak:incident" && t.Value == target.IncidentReference)}",
                s.State != SnapshotState.Error && (s.Tags ?? []).Any(t => t.Key == "firebreak:incident" && t.Value == target.IncidentReference))
            : new VerificationCheck($"snapshot of {e.Key}", "exists", "not found", false)).ToList();
    }

    protected override async Task<ActionOutcome> UndoAsync(AwsSession session, ActionTarget target, ActionPlan plan, IReadOnlyDictionary<string, string> undoData, CancellationToken cancellationToken)
    {
        var calls = new List<CallResult>();
        foreach (var (volume, snapshot) in undoData)
            calls.Add(await CallAsync("ec2:DeleteSnapshot", snapshot, async () =>
            {
                await session.Ec2.DeleteSnapshotAsync(new DeleteSnapshotRequest { SnapshotId = snapshot }, cancellationToken);
                return $"snapshot {snapshot} of {volume} deleted";
            }));
        return Outcome(calls);
    }

    private static string Description(ActionTarget target, string device) => $"Firebreak {target.IncidentReference}: {target.Resource} {device}";
}

/// <summary>Preserve: termination protection on, volumes kept when the instance terminates.</summary>
internal sealed class ProtectInstanceAction(AwsSessions sessions) : AwsAction(sessions)
{
    public override ActionDefinition Definition { get; } = new("aws-protect-instance", "aws", "Enable termination protection and keep volumes",
        "Turns on termination protection and sets DeleteOnTermination=false on every EBS volume, so neither the attacker nor automation destroys the evidence.",
        "EC2 instance id", InstancePattern, ContainmentStage.Preserve, ActionImpact.Low, AffectsAvailability: false, Undoable: true,
        "Undo restores the previous termination protection and DeleteOnTermination values.", ["ec2:ModifyInstanceAttribute"], []);

    protected override async Task<ActionPlan> PlanAsync(AwsSession session, ActionTarget target, CancellationToken cancellationToken)
    {
        var (instance, facts) = await InspectAsync(session, target.Resource, cancellationToken);
        var calls = new List<PlannedCall>();
        if (!facts.TerminationProtection)
            calls.Add(new PlannedCall("ec2", "ModifyInstanceAttribute", Map(("InstanceId", target.Resource), ("DisableApiTermination.Value", "true")), "termination protection: off -> on"));
        foreach (var b in (instance.BlockDeviceMappings ?? []).Where(b => b.Ebs?.DeleteOnTermination == true))
            calls.Add(new PlannedCall("ec2", "ModifyInstanceAttribute",
                Map(("InstanceId", target.Resource), ("BlockDeviceMapping.1.DeviceName", b.DeviceName), ("BlockDeviceMapping.1.Ebs.DeleteOnTermination", "false"), ("VolumeId", b.Ebs.VolumeId)),
                $"{b.Ebs.VolumeId} ({b.DeviceName}) DeleteOnTermination: true -> false"));
        return new ActionPlan(calls.Count == 0 ? $"{target.Resource} is already protected: no change." : $"Protect {target.Resource} from termination and keep its volumes.",
            calls, calls.Select(c => c.Change).ToList(), true, Definition.UndoDescription, InstanceSafety.Assess(facts), InstanceSafety.SafeOrder(facts), FactsState(facts));
    }

    protected override async Task<ActionOutcome> ExecuteAsync(AwsSession session, ActionTarget target, ActionPlan plan, CancellationToken cancellationToken)
    {
        var calls = new List<CallResult>();
        var undo = new Dictionary<string, string>();
        foreach (var call in plan.Calls)
        {
            if (call.Parameters.ContainsKey("DisableApiTermination.Value"))
            {
                var result = await CallAsync("ec2:ModifyInstanceAttribute", target.Resource, async () =>
                {
                    await session.Ec2.ModifyInstanceAttributeAsync(new ModifyInstanceAttributeRequest { InstanceId = target.Resource, DisableApiTermination = true }, cancellationToken);
                    return "termination protection on";
                });
                if (result.Succeeded) undo["disableApiTermination"] = "false";
                calls.Add(result);
            }
            else
            {
                var device = call.Parameters["BlockDeviceMapping.1.DeviceName"];
                var result = await CallAsync("ec2:ModifyInstanceAttribute", call.Parameters["VolumeId"], async () =>
                {
                    await session.Ec2.ModifyInstanceAttributeAsync(new ModifyInstanceAttributeRequest
                    {
                        InstanceId = target.Resource,
                        BlockDeviceMappings = [new InstanceBlockDeviceMappingSpecification { DeviceName = device, Ebs = new EbsInstanceBlockDeviceSpecification { DeleteOnTermination = false } }],
                    }, cancellationToken);
                    return $"{device} kept on termination";
                });
                if (result.Succeeded) undo[$"deleteOnTermination:{device}"] = "true";
                calls.Add(result);
            }
        }
        return Outcome(calls, undo);
    }

    protected override async Task<IReadOnlyList<VerificationCheck>> VerifyAsync(AwsSession session, ActionTarget target, ActionPlan plan, ActionOutcome outcome, CancellationToken cancellationToken)
    {
        var (instance, facts) = await InspectAsync(session, target.Resource, cancellationToken);
        var checks = new List<VerificationCheck> { new("termination protection", "on", facts.TerminationProtection ? "on" : "off", facts.TerminationProtection) };
        checks.AddRange((instance.BlockDeviceMappings ?? []).Where(b => b.Ebs is not null).Select(b =>
            new VerificationCheck($"{b.DeviceName} DeleteOnTermination", "false", b.Ebs.DeleteOnTermination == true ? "true" : "false", b.Ebs.DeleteOnTermination != true)));
        return checks;
    }

    protected override async Task<ActionOutcome> UndoAsync(AwsSession session, ActionTarget target, ActionPlan plan, IReadOnlyDictionary<string, string> undoData, CancellationToken cancellationToken)
    {
        var calls = new List<CallResult>();
        foreach (var (key, value) in undoData)
        {
            if (key == "disableApiTermination")
                calls.Add(await CallAsync("ec2:ModifyInstanceAttribute", target.Resource, async () =>
                {
                    await session.Ec2.ModifyInstanceAttributeAsync(new ModifyInstanceAttributeRequest { InstanceId = target.Resource, DisableApiTermination = bool.Parse(value) }, cancellationToken);
                    return $"termination protection back to {(bool.Parse(value) ? "on" : "off")}";
                }));
            else if (key.StartsWith("deleteOnTermination:", StringComparison.Ordinal))
            {
                var device = key["deleteOnTermination:".Length..];
                calls.Add(await CallAsync("ec2:ModifyInstanceAttribute", device, async () =>
                {
                    await session.Ec2.ModifyInstanceAttributeAsync(new ModifyInstanceAttributeRequest
                    {
                        InstanceId = target.Resource,
                        BlockDeviceMappings = [new InstanceBlockDeviceMappingSpecification { DeviceName = device, Ebs = new EbsInstanceBlockDeviceSpecification { DeleteOnTermination = bool.Parse(value) } }],
                    }, cancellationToken);
                    return $"{device} DeleteOnTermination back to {value}";
                }));
            }
        }
        return Outcome(calls);
    }
}
