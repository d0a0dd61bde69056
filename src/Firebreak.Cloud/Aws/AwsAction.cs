using Amazon.EC2;
using Amazon.EC2.Model;
using Amazon.Runtime;
using Firebreak.Core.Response;

namespace Firebreak.Cloud.Aws;

/// <summary>
/// Shared plumbing of the AWS actions: a session per call, provider errors turned into per-call results
/// (execution) or <see cref="CloudCallException"/> (planning, verification).
/// </summary>
internal abstract class AwsAction(AwsSessions sessions) : CloudAction, IResponseAction
{
    public const string InstancePattern = "^i-[0-9a-f]{8,17}$";

    protected AwsSessions Sessions => sessions;

    public abstract ActionDefinition Definition { get; }

    public async Task<ActionPlan> PlanAsync(ActionTarget target, CancellationToken cancellationToken)
    {
        using var session = await sessions.OpenAsync(target, cancellationToken);
        return await PlanAsync(session, target, cancellationToken);
    }

    public async Task<ActionOutcome> ExecuteAsync(ActionTarget target, ActionPlan plan, CancellationToken cancellationToken)
    {
        AwsSession session;
        try
        {
            session = await sessions.OpenAsync(target, cancellationToken);
        }
        catch (CloudCallException e)
        {
            return new ActionOutcome([new CallResult(e.Operation, target.Resource, false, e.Message, e.Code)], new Dictionary<string, string>(), new Dictionary<string, string>());
        }
        using (session) return await ExecuteAsync(session, target, plan, cancellationToken);
    }

    public async Task<IReadOnlyList<VerificationCheck>> VerifyAsync(ActionTarget target, ActionPlan plan, ActionOutcome outcome, CancellationToken cancellationToken)
    {
        using var session = await sessions.OpenAsync(target, cancellationToken);
        return await VerifyAsync(session, target, plan, outcome, cancellationToken);
    }

    public async Task<ActionOutcome> UndoAsync(ActionTarget target, ActionPlan plan, IReadOnlyDictionary<string, string> undoData, CancellationToken cancellationToken)
    {
        using var session = await sessions.OpenAsync(target, cancellationToken);
        return await UndoAsync(session, target, plan, undoData, cancellationToken);
    }

    public virtual IReadOnlyDictionary<string, string>? UndoDataWithoutOutcome(ActionTarget target, ActionPlan plan) => null;

    protected abstract Task<ActionPlan> PlanAsync(AwsSession session, ActionTarget target, CancellationToken cancellationToken);

    protected abstract Task<ActionOutcome> ExecuteAsync(AwsSession session, ActionTarget target, ActionPlan plan, CancellationToken cancellationToken);

    protected abstract Task<IReadOnlyList<VerificationCheck>> VerifyAsync(AwsSession session, ActionTarget target, ActionPlan plan, ActionOutcome outcome, CancellationToken cancellationToken);

    protected virtual Task<ActionOutcome> UndoAsync(AwsSession session, ActionTarget target, ActionPlan plan, IReadOnlyDictionary<string, string> undoData, CancellationToken cancellationToken) =>
        throw new InvalidOperationException($"{Definition.Name} cannot be undone.");

    /// <summary>One call of a run: its result, with the provider's error code when it failed.</summary>
    protected static async Task<CallResult> CallAsync(string operation, string resource, Func<Task<string>> call)
    {
        try
        {
            return new CallResult(operation, resource, true, await call());
        }
        catch (AmazonServiceException e)
        {
            return new CallResult(operation, resource, false, Explain(e.ErrorCode, e.Message), e.ErrorCode);
        }
        catch (AwsQueryException e)
        {
            return new CallResult(operation, resource, false, Explain(e.Code, e.ErrorMessage), e.Code);
        }
    }

    /// <summary>A read while planning or verifying; a refusal stops the plan with the provider's reason.</summary>
    protected static async Task<T> ReadAsync<T>(string operation, Func<Task<T>> call)
    {
        try
        {
            return await call();
        }
        catch (AmazonServiceException e)
        {
            throw new CloudCallException(operation, e.ErrorCode ?? "Error", e.Message);
        }
        catch (AwsQueryException e)
        {
            throw new CloudCallException(operation, e.Code, e.ErrorMessage);
        }
    }

    private static string Explain(string? code, string message) => code switch
    {
        "AccessDenied" or "UnauthorizedOperation" or "AccessDeniedException" =>
            $"Access denied: the assumed role lacks this permission, so nothing was changed by this call. {message}",
        _ => $"{code}: {message}",
    };

    protected static async Task<Instance> DescribeInstanceAsync(AwsSession session, string instanceId, CancellationToken cancellationToken)
    {
        var response = await ReadAsync("ec2:DescribeInstances", () => session.Ec2.DescribeInstancesAsync(new DescribeInstancesRequest { InstanceIds = [instanceId] }, cancellationToken));
        return (response.Reservations ?? []).SelectMany(r => r.Instances ?? []).FirstOrDefault(i => i.InstanceId == instanceId)
            ?? throw new CloudCallException("ec2:DescribeInstances", "InvalidInstanceID.NotFound", $"Instance {instanceId} was not found in this account and region.");
    }

    /// <summary>Everything the self-destruct checks need about an instance.</summary>
    protected static async Task<(Instance Instance, InstanceFacts Facts)> InspectAsync(AwsSession session, string instanceId, CancellationToken cancellationToken)
    {
        var instance = await DescribeInstanceAsync(session, instanceId, cancellationToken);
        var type = instance.InstanceType?.Value ?? "";
        var types = await ReadAsync("ec2:DescribeInstanceTypes", () => session.Ec2.DescribeInstanceTypesAsync(new DescribeInstanceTypesRequest { InstanceTypes = [type] }, cancellationToken));
        var hasInstanceStore = (types.InstanceTypes ?? []).Any(t => t.InstanceStorageSupported == true);
        var attribute = await ReadAsync("ec2:DescribeInstanceAttribute", () => session.Ec2.DescribeInstanceAttributeAsync(
            new DescribeInstanceAttributeRequest { InstanceId = instanceId, Attribute = InstanceAttributeName.DisableApiTermination }, cancellationToken));
        var asg = await ReadAsync("autoscaling:DescribeAutoScalingInstances", () => session.Query.CallAsync(QueryService.AutoScaling, "DescribeAutoScalingInstances",
            [new("InstanceIds.member.1", instanceId)], cancellationToken));
        var group = asg.First("AutoScalingGroupName");
        IReadOnlyList<string> hooks = [];
        if (group is not null)
        {
            var hooksXml = await ReadAsync("autoscaling:DescribeLifecycleHooks", () => session.Query.CallAsync(QueryService.AutoScaling, "DescribeLifecycleHooks",
                [new("AutoScalingGroupName", group)], cancellationToken));
            hooks = hooksXml.All("member").Select(m => $"{m.First("LifecycleHookName")} ({m.First("LifecycleTransition")})").ToList();
        }
        var deleteOnTermination = (instance.BlockDeviceMappings ?? []).Where(b => b.Ebs?.DeleteOnTermination == true).Select(b => b.Ebs.VolumeId).ToList();
        var facts = new InstanceFacts(instanceId, instance.State?.Name?.Value ?? "unknown", type, group, hooks, hasInstanceStore,
            attribute.InstanceAttribute?.DisableApiTermination == true, deleteOnTermination, instance.IamInstanceProfile?.Arn);
        return (instance, facts);
    }

    protected static Dictionary<string, string> FactsState(InstanceFacts facts) => Map(
        ("instanceState", facts.State), ("instanceType", facts.InstanceType), ("autoScalingGroup", facts.AutoScalingGroup ?? ""),
        ("terminationProtection", facts.TerminationProtection ? "true" : "false"), ("instanceStore", facts.HasInstanceStore ? "true" : "false"),
        ("instanceProfile", facts.InstanceProfileArn ?? ""));
}
