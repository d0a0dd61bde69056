using System.Text.RegularExpressions;

namespace Firebreak.Core.Scope;

/// <summary>
/// Containment steps for the blast radius, named by the response action catalogue's ids where an
/// action does the step (the ids Firebreak.Cloud registers); other providers get the step in words.
/// </summary>
internal static partial class Containment
{
    public const string DeactivateAccessKey = "aws-deactivate-access-key";
    public const string RevokeRoleSessions = "aws-revoke-role-sessions";
    public const string AttachDenyAll = "aws-attach-deny-all";
    public const string IsolateInstance = "aws-isolate-instance";
    public const string BlockS3PublicAccess = "aws-block-s3-public-access";

    public static List<ContainmentTarget> Suggest(Graph graph, IReadOnlyList<ScopeResource> resources)
    {
        var targets = new List<ContainmentTarget>();
        var seen = new HashSet<(string?, string)>();
        void Add(string entity, string? action, string title, string resource, string why, params (string Name, string Value)[] inputs)
        {
            if (seen.Add((action ?? title, resource)))
                targets.Add(new ContainmentTarget(entity, action, title, resource, inputs.ToDictionary(i => i.Name, i => i.Value), why));
        }

        foreach (var node in graph.Nodes.Where(n => n.Controlled).OrderBy(n => n.FirstSeen ?? DateTimeOffset.MaxValue).ThenBy(n => n.Id, StringComparer.Ordinal))
        {
            var provider = node.Provider ?? (node.Value.StartsWith("arn:aws:", StringComparison.Ordinal) || AwsKey().IsMatch(node.Value) ? "aws" : null);
            if (node.Kind == ScopeEntityKind.AccessKey && provider == "aws")
            {
                var owner = node.In.Where(l => l.Relation == ScopeRelation.UsedKey).Select(l => l.From).FirstOrDefault();
                if (node.Value.StartsWith("AKIA", StringComparison.Ordinal))
                {
                    var user = owner is { Type: "user" } ? NameOf(owner.Value) : null;
                    Add(node.Id, DeactivateAccessKey, "Deactivate the access key", node.Value,
                        user is null ? "long-term key of an unknown user: give userName" : $"long-term key of {user}",
                        user is null ? [] : [("userName", user)]);
                }
                else
                {
                    // Temporary keys cannot be deactivated: cut the session they belong to.
                    var session = owner ?? node.In.Where(l => l.Relation == ScopeRelation.IssuedKey).Select(l => l.From).FirstOrDefault(n => n.Kind == ScopeEntityKind.Principal);
                    if (session is not null && RoleOf(session) is { } role)
                        Add(node.Id, RevokeRoleSessions, "Revoke the role's sessions", NameOf(role.Value), $"temporary key of a session of {role.Value}");
                    else if (session is { Type: "user" })
                        Add(node.Id, AttachDenyAll, "Deny everything to the user", NameOf(session.Value), "session token of the user (GetSessionToken): a deny on the user denies its sessions", ("principalType", "user"));
                }
                continue;
            }
            if (node.Kind != ScopeEntityKind.Principal) 
            {
                if (provider == "gcp") Add(node.Id, null, "Delete the service-account key", node.Value, "key of a controlled service account");
                continue;
            }
            switch (node.Type)
            {
                case "session" when RoleOf(node) is { } role:
                    Add(node.Id, RevokeRoleSessions, "Revoke the role's sessions", NameOf(role.Value), $"controlled session of {role.Value}");
                    break;
                case "user" when provider == "aws" && node.Full:
                    Add(node.Id, AttachDenyAll, "Deny everything to the user", NameOf(node.Value), node.Reason == ControlReason.Derived ? "identity the attacker created or took over" : "compromised user", ("principalType", "user"));
                    break;
                case "role" when provider == "aws" && node.Full:
                    Add(node.Id, AttachDenyAll, "Deny everything to the role", NameOf(node.Value), "role the attacker created or controls", ("principalType", "role"));
                    break;
                case "federated" when provider == "aws":
                    Add(node.Id, null, "Deny the issuing user", node.Value, "federated sessions carry the issuing IAM user's permissions: a deny on that user ends them");
                    break;
                case "federated" when provider == "gcp":
                    Add(node.Id, null, "Disable the identity pool's provider, or remove the principal's IAM bindings", node.Value, "controlled workload or workforce identity");
                    break;
                case "service-account":
                    Add(node.Id, null, "Disable the service account and delete its keys", node.Value, "controlled GCP service account");
                    break;
                case "user" or "service-principal" when provider == "azure":
                    Add(node.Id, null, "Revoke sign-in sessions and disable sign-in", node.Value, "controlled Entra ID identity");
                    break;
            }
        }

        foreach (var resource in resources.Where(r => r.Modified + r.Created > 0))
        {
            if (Ec2InstanceIn(resource.Value) is { } instance)
                Add("resource:" + resource.Value, IsolateInstance, "Isolate the instance", instance, "instance the attacker created or changed");
            else if (S3BucketOf(resource.Value) is { } bucket)
                Add("resource:" + resource.Value, BlockS3PublicAccess, "Block public access to the bucket", bucket, "bucket the attacker changed");
        }
        return targets;
    }

    private static Node? RoleOf(Node session) => session.Out.Where(l => l.Relation == ScopeRelation.SessionOf).Select(l => l.To).FirstOrDefault();

    /// <summary>The name at the end of an IAM ARN (arn:aws:iam::1:role/path/Name -> Name).</summary>
    private static string NameOf(string arn)
    {
        var slash = arn.LastIndexOf('/');
        return slash >= 0 ? arn[(slash + 1)..] : arn;
    }

    /// <summary>The EC2 instance id (i-...) named in a resource, if any.</summary>
    internal static string? Ec2InstanceIn(string resource) => InstanceId().Match(resource) is { Success: true } m ? m.Value : null;

    /// <summary>The bucket of a bucket ARN (arn:aws:s3:::name); null for an object ARN or anything else.</summary>
    internal static string? S3BucketOf(string resource) =>
        resource.StartsWith("arn:aws:s3:::", StringComparison.Ordinal) && !resource.Contains('/', StringComparison.Ordinal) ? resource["arn:aws:s3:::".Length..] : null;

    [GeneratedRegex(@"\bi-[0-9a-f]{8,17}\b")]
    private static partial Regex InstanceId();

    [GeneratedRegex(@"^(AKIA|ASIA)[A-Z0-9]{16}$")]
    private static partial Regex AwsKey();
}
