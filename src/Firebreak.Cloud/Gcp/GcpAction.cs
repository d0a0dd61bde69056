using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Firebreak.Core.Common;
using Firebreak.Core.Response;

namespace Firebreak.Cloud.Gcp;

/// <summary>
/// Shared plumbing of the GCP actions: a session per call, provider errors turned into per-call results
/// (execution) or <see cref="CloudCallException"/> (planning, verification), and the definition's account
/// (project id) and region (zone, or global for IAM) patterns.
/// </summary>
internal abstract partial class GcpAction(GcpSessions sessions) : CloudAction, IResponseAction
{
    public const string ProjectPattern = "^[a-z][a-z0-9-]{4,28}[a-z0-9]$";
    public const string ZonePattern = "^[a-z]+-[a-z]+[0-9]{1,2}-[a-z]$";
    public const string InstancePattern = "^projects/[a-z][a-z0-9-]{4,28}[a-z0-9]/zones/[a-z]+-[a-z]+[0-9]{1,2}-[a-z]/instances/[a-z]([-a-z0-9]{0,61}[a-z0-9])?$";
    public const string ServiceAccountPattern = "^projects/[a-z][a-z0-9-]{4,28}[a-z0-9]/serviceAccounts/[a-z0-9][a-z0-9._-]{0,99}@[a-z0-9][a-z0-9.-]{1,252}$";
    public const string ServiceAccountKeyPattern = "^projects/[a-z][a-z0-9-]{4,28}[a-z0-9]/serviceAccounts/[a-z0-9][a-z0-9._-]{0,99}@[a-z0-9][a-z0-9.-]{1,252}/keys/[0-9a-f]{40}$";
    public const string InstanceType = "GCE instance (projects/P/zones/Z/instances/NAME)";

    public abstract ActionDefinition Definition { get; }

    protected static ActionDefinition Zonal(ActionDefinition definition) => definition with
    {
        AccountPattern = ProjectPattern,
        AccountDescription = "a GCP project id such as acme-prod",
        RegionPattern = ZonePattern,
        RegionDescription = "the instance's GCP zone such as europe-west1-b",
    };

    protected static ActionDefinition Global(ActionDefinition definition) => definition with
    {
        AccountPattern = ProjectPattern,
        AccountDescription = "a GCP project id such as acme-prod",
        RegionPattern = "^global$",
        RegionDescription = "global (IAM is not zonal)",
    };

    public async Task<ActionPlan> PlanAsync(ActionTarget target, CancellationToken cancellationToken)
    {
        CheckTarget(target);
        var session = await sessions.OpenAsync(target, cancellationToken);
        return await PlanAsync(session, target, cancellationToken);
    }

    public async Task<ActionOutcome> ExecuteAsync(ActionTarget target, ActionPlan plan, CancellationToken cancellationToken)
    {
        GcpSession session;
        try
        {
            session = await sessions.OpenAsync(target, cancellationToken);
        }
        catch (CloudCallException e)
        {
            return new ActionOutcome([new CallResult(e.Operation, target.Resource, false, e.Message, e.Code)], new Dictionary<string, string>(), new Dictionary<string, string>());
        }
        return await ExecuteAsync(session, target, plan, cancellationToken);
    }

    public async Task<IReadOnlyList<VerificationCheck>> VerifyAsync(ActionTarget target, ActionPlan plan, ActionOutcome outcome, CancellationToken cancellationToken) =>
        await VerifyAsync(await sessions.OpenAsync(target, cancellationToken), target, plan, outcome, cancellationToken);

    public async Task<ActionOutcome> UndoAsync(ActionTarget target, ActionPlan plan, IReadOnlyDictionary<string, string> undoData, CancellationToken cancellationToken)
    {
        GcpSession session;
        try
        {
            session = await sessions.OpenAsync(target, cancellationToken);
        }
        catch (CloudCallException e)
        {
            return new ActionOutcome([new CallResult(e.Operation, target.Resource, false, e.Message, e.Code)], new Dictionary<string, string>(), new Dictionary<string, string>());
        }
        return await UndoAsync(session, target, plan, undoData, cancellationToken);
    }

    protected abstract Task<ActionPlan> PlanAsync(GcpSession session, ActionTarget target, CancellationToken cancellationToken);

    protected abstract Task<ActionOutcome> ExecuteAsync(GcpSession session, ActionTarget target, ActionPlan plan, CancellationToken cancellationToken);

    protected abstract Task<IReadOnlyList<VerificationCheck>> VerifyAsync(GcpSession session, ActionTarget target, ActionPlan plan, ActionOutcome outcome, CancellationToken cancellationToken);

    protected abstract Task<ActionOutcome> UndoAsync(GcpSession session, ActionTarget target, ActionPlan plan, IReadOnlyDictionary<string, string> undoData, CancellationToken cancellationToken);

    /// <summary>The resource names its project (and zone): they must be the plan's account and region.</summary>
    private static void CheckTarget(ActionTarget target)
    {
        var parts = target.Resource.Split('/');
        if (parts.Length >= 2 && parts[0] == "projects" && parts[1] != target.Account)
            throw new ValidationFailedException("resource", $"resource is in project {parts[1]}, but the plan's account is {target.Account}.");
        if (parts.Length >= 4 && parts[2] == "zones" && parts[3] != target.Region)
            throw new ValidationFailedException("resource", $"resource is in zone {parts[3]}, but the plan's region is {target.Region}.");
    }

    /// <summary>One call of a run: its result, with the provider's code when it failed (the call's, or its operation's).</summary>
    protected static async Task<CallResult> CallAsync(string operation, string resource, Func<Task<string>> call)
    {
        try
        {
            return new CallResult(operation, resource, true, await call());
        }
        catch (GcpApiException e)
        {
            return new CallResult(operation, resource, false, Explain(e), e.Code);
        }
        catch (CloudCallException e)
        {
            return new CallResult(operation, resource, false, e.Message, e.Code);
        }
    }

    /// <summary>A read while planning or verifying; a refusal stops the plan with the provider's reason.</summary>
    protected static async Task<T> ReadAsync<T>(Func<Task<T>> call)
    {
        try
        {
            return await call();
        }
        catch (GcpApiException e)
        {
            throw new CloudCallException(e.Operation, e.Code, e.ErrorMessage);
        }
    }

    private static string Explain(GcpApiException e) => e.Code switch
    {
        "PERMISSION_DENIED" => $"Permission denied: Firebreak's identity lacks this permission, so nothing was changed by this call. {e.ErrorMessage}",
        _ => $"{e.Code}: {e.ErrorMessage}",
    };

    protected static Uri InstanceUrl(GcpSession session, ActionTarget target, string? suffix = null) =>
        session.Compute(target.Resource + suffix);

    protected static Task<JsonElement> GetInstanceAsync(GcpSession session, ActionTarget target, CancellationToken cancellationToken) =>
        ReadAsync(() => session.Rest.GetAsync("compute:instances.get", InstanceUrl(session, target), cancellationToken));

    /// <summary>A name Compute accepts (lowercase letters, digits, hyphens; 63 at most), unique to this plan.</summary>
    protected static string ResourceName(string prefix, string seed, string suffix = "")
    {
        var hash = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(seed)))[..10];
        var name = $"{prefix}-{hash}{(suffix.Length > 0 ? "-" + suffix : "")}";
        return Label(name);
    }

    /// <summary>A label value or name part: lowercase letters, digits, underscores and hyphens, 63 at most.</summary>
    protected static string Label(string value)
    {
        var clean = LabelCharacters().Replace(value.ToLowerInvariant(), "-");
        clean = clean.Length > 63 ? clean[..63] : clean;
        return clean.TrimEnd('-');
    }

    protected static JsonObject Json(params (string Key, JsonNode? Value)[] properties)
    {
        var node = new JsonObject();
        foreach (var (key, value) in properties) node[key] = value;
        return node;
    }

    [GeneratedRegex("[^a-z0-9_-]")]
    private static partial Regex LabelCharacters();
}

/// <summary>What Firebreak read about a Compute Engine instance before containing it.</summary>
internal sealed record GceInstanceFacts(
    string Resource,
    string Status,
    string? ManagedInstanceGroup,
    bool DeletionProtection,
    IReadOnlyList<string> AutoDeleteDisks,
    IReadOnlyList<string> LocalSsds,
    bool Spot,
    IReadOnlyList<string> ServiceAccounts)
{
    public static GceInstanceFacts From(string resource, JsonElement instance)
    {
        var createdBy = instance.Obj("metadata").Items("items").FirstOrDefault(i => i.Str("key") == "created-by").Str("value");
        var disks = instance.Items("disks").ToList();
        var scheduling = instance.Obj("scheduling");
        return new GceInstanceFacts(resource, instance.Str("status") ?? "UNKNOWN",
            createdBy is not null && createdBy.Contains("/instanceGroupManagers/", StringComparison.Ordinal) ? createdBy : null,
            instance.Bool("deletionProtection"),
            disks.Where(d => d.Str("type") == "PERSISTENT" && d.Bool("autoDelete")).Select(d => d.Str("deviceName") ?? "").ToList(),
            disks.Where(d => d.Str("type") == "SCRATCH").Select(d => d.Str("deviceName") ?? "").ToList(),
            scheduling.Bool("preemptible") || scheduling.Str("provisioningModel") == "SPOT",
            instance.Items("serviceAccounts").Select(s => s.Str("email") ?? "").Where(e => e.Length > 0).ToList());
    }

    public Dictionary<string, string> State() => new(StringComparer.Ordinal)
    {
        ["instanceStatus"] = Status,
        ["managedInstanceGroup"] = ManagedInstanceGroup ?? "",
        ["deletionProtection"] = DeletionProtection ? "true" : "false",
        ["serviceAccounts"] = string.Join(",", ServiceAccounts),
    };
}

/// <summary>
/// The GCP self-destruct checks: the ways a Compute Engine instance can destroy itself or its evidence once
/// containment starts, and the safe order of the GCP catalogue.
/// </summary>
internal static class GceSafety
{
    public static List<SafetyRisk> Assess(GceInstanceFacts facts)
    {
        var risks = new List<SafetyRisk>();
        if (facts.ManagedInstanceGroup is { } group)
            risks.Add(new SafetyRisk("managed-instance-group",
                $"The instance was created by managed instance group {group}. Autohealing recreates an instance that fails its health check: the boot disk is recreated from the template and the evidence on it is lost.",
                "Abandon the instance from the group (instanceGroupManagers.abandonInstances) before isolating it, after gcp-snapshot-disks."));
        if (!facts.DeletionProtection)
            risks.Add(new SafetyRisk("deletion-protection-off",
                "Deletion protection is off: anyone (or any automation) with compute.instances.delete can destroy the instance.",
                "Turn deletion protection on (instances.setDeletionProtection) before anything visible to the attacker."));
        if (facts.AutoDeleteDisks.Count > 0)
            risks.Add(new SafetyRisk("auto-delete",
                $"Disks {string.Join(", ", facts.AutoDeleteDisks)} are deleted with the instance (autoDelete=true).",
                "Snapshot them first (gcp-snapshot-disks) and set autoDelete=false (instances.setDiskAutoDelete)."));
        if (facts.LocalSsds.Count > 0)
            risks.Add(new SafetyRisk("local-ssd",
                $"Local SSDs {string.Join(", ", facts.LocalSsds)} lose their data when the instance stops; snapshots do not cover them.",
                "Collect from the local SSDs (an image from inside) before stopping, or do not stop."));
        if (facts.Spot)
            risks.Add(new SafetyRisk("spot",
                "The instance is Spot or preemptible: Compute Engine can stop or delete it at any time.",
                "Snapshot its disks now (gcp-snapshot-disks)."));
        return risks;
    }

    public static IReadOnlyList<string> SafeOrder(GceInstanceFacts facts) =>
    [
        "1. collect: gcp-snapshot-disks (snapshots labelled with the incident)",
        "2. preserve: deletion protection on, autoDelete off" + (facts.ManagedInstanceGroup is not null ? ", abandon from its managed instance group" : "") + " (no catalogue action yet)",
        "3. cut credentials: " + (facts.ServiceAccounts.Count > 0 ? $"gcp-disable-service-account ({string.Join(", ", facts.ServiceAccounts)}) if nothing else needs it, " : "")
            + "gcp-disable-service-account-key for keys found on it",
        "4. isolate network: gcp-deny-all-firewall, then gcp-reset-external-ip to cut connections the firewall still tracks",
        "5. stop: instances.stop (no catalogue action yet)" + (facts.LocalSsds.Count > 0 ? " - local SSD data is lost" : ""),
    ];
}
