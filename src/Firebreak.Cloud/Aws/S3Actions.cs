using System.Text.Json;
using Amazon.S3;
using Amazon.S3.Model;
using Firebreak.Core.Response;

namespace Firebreak.Cloud.Aws;

/// <summary>
/// Cut public access to a bucket: S3 Block Public Access on all four settings, and the bucket policy removed when
/// S3 reports it public. Public ACLs are neutralised by IgnorePublicAcls; with removePublicAcls=true the bucket ACL
/// is also rewritten without its AllUsers / AuthenticatedUsers grants, so they stay gone if Block Public Access is
/// ever turned off again. Each change keeps what it replaced, so undo is exact.
/// </summary>
internal sealed class BlockS3PublicAccessAction(AwsSessions sessions) : AwsAction(sessions)
{
    public override ActionDefinition Definition { get; } = new("aws-block-s3-public-access", "aws", "Block public access to an S3 bucket",
        "Turns on all four S3 Block Public Access settings for the bucket (public ACLs are then ignored) and deletes the bucket policy if S3 reports it public.",
        "S3 bucket name", "^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$", ContainmentStage.IsolateNetwork, ActionImpact.High, AffectsAvailability: true, Undoable: true,
        "Undo restores the previous Block Public Access settings (or removes them if there were none), puts the deleted policy back and, when the ACL was rewritten, puts the previous ACL back.",
        ["s3:GetBucketPublicAccessBlock", "s3:GetBucketPolicyStatus", "s3:GetBucketPolicy", "s3:PutBucketPublicAccessBlock", "s3:DeleteBucketPolicy",
            "s3:GetBucketOwnershipControls (removePublicAcls)", "s3:GetBucketAcl (removePublicAcls)", "s3:PutBucketAcl (removePublicAcls)"],
        [new ActionInput(RemovePublicAcls, ActionInputType.Boolean, false,
            "true: also rewrite the bucket ACL without its grants to AllUsers and AuthenticatedUsers (the previous ACL is kept for undo).")]);

    public const string RemovePublicAcls = "removePublicAcls";

    protected override async Task<ActionPlan> PlanAsync(AwsSession session, ActionTarget target, CancellationToken cancellationToken)
    {
        var bucket = target.Resource;
        var previous = await ReadOptionalAsync("s3:GetBucketPublicAccessBlock", "NoSuchPublicAccessBlockConfiguration",
            async () => (await session.S3.GetPublicAccessBlockAsync(new GetPublicAccessBlockRequest { BucketName = bucket }, cancellationToken)).PublicAccessBlockConfiguration);
        var status = await ReadOptionalAsync("s3:GetBucketPolicyStatus", "NoSuchBucketPolicy",
            async () => (await session.S3.GetBucketPolicyStatusAsync(new GetBucketPolicyStatusRequest { BucketName = bucket }, cancellationToken)).PolicyStatus);
        var isPublic = status?.IsPublic == true;
        var state = Map(("publicAccessBlock", previous is null ? "none" : Settings(previous)), ("policyPublic", isPublic ? "true" : "false"));
        if (isPublic)
        {
            var policy = await ReadAsync("s3:GetBucketPolicy", () => session.S3.GetBucketPolicyAsync(new GetBucketPolicyRequest { BucketName = bucket }, cancellationToken));
            state["policy"] = policy.Policy ?? "";
        }
        var calls = new List<PlannedCall>
        {
            new("s3", "PutPublicAccessBlock", Map(("Bucket", bucket), ("BlockPublicAcls", "true"), ("IgnorePublicAcls", "true"), ("BlockPublicPolicy", "true"), ("RestrictPublicBuckets", "true")),
                $"Block Public Access: {(previous is null ? "none" : Settings(previous))} -> all four on; public ACLs are ignored"),
        };
        if (isPublic)
            calls.Add(new PlannedCall("s3", "DeleteBucketPolicy", Map(("Bucket", bucket)), "the public bucket policy is deleted (kept in the undo data)"));
        var changes = calls.Select(c => c.Change).ToList();
        var summary = $"Block public access to {bucket}{(isPublic ? " and delete its public policy" : "")}";
        if (target.Flag(RemovePublicAcls))
        {
            var acl = await PlanAclAsync(session, bucket, state, cancellationToken);
            if (acl.Call is { } call)
            {
                calls.Add(call);
                changes.Add(call.Change);
                summary += "; rewrite its ACL without the public grants";
            }
            else
            {
                changes.Add(acl.Note);
            }
        }
        return new ActionPlan(summary + ".", calls, changes, true, Definition.UndoDescription,
            [new SafetyRisk("public-content", "Anything served publicly from the bucket (a website, downloads) stops working.", "Confirm nothing legitimate depends on public access, or accept the downtime.")],
            [], state);
    }

    /// <summary>
    /// Reads who owns the bucket's objects and the bucket ACL. With Object Ownership BucketOwnerEnforced, ACLs are
    /// disabled and S3 refuses to change them: there is nothing to rewrite. Otherwise the PutBucketAcl call keeps the
    /// owner and every grant except those to AllUsers and AuthenticatedUsers.
    /// </summary>
    private static async Task<(PlannedCall? Call, string Note)> PlanAclAsync(AwsSession session, string bucket, Dictionary<string, string> state, CancellationToken cancellationToken)
    {
        var ownership = await ReadOptionalAsync("s3:GetBucketOwnershipControls", "OwnershipControlsNotFoundError",
            async () => (await session.S3.GetBucketOwnershipControlsAsync(new GetBucketOwnershipControlsRequest { BucketName = bucket }, cancellationToken)).OwnershipControls);
        var objectOwnership = ownership?.Rules?.FirstOrDefault()?.ObjectOwnership?.Value ?? "ObjectWriter";
        state["objectOwnership"] = objectOwnership;
        if (objectOwnership == ObjectOwnership.BucketOwnerEnforced.Value)
        {
            state["acl"] = "disabled";
            return (null, $"ACLs are disabled on {bucket} (Object Ownership BucketOwnerEnforced): there is no ACL to rewrite; only the bucket policy can grant access.");
        }
        var read = await ReadAsync("s3:GetBucketAcl", () => session.S3.GetBucketAclAsync(new GetBucketAclRequest { BucketName = bucket }, cancellationToken));
        var acl = BucketAcl.From(read.Owner, read.Grants);
        var removed = acl.Grants.Where(g => g.IsPublic).ToList();
        state["acl"] = acl.ToJson();
        if (removed.Count == 0)
            return (null, $"The ACL of {bucket} grants nothing to AllUsers or AuthenticatedUsers: there is nothing to rewrite.");
        var kept = acl.Grants.Where(g => !g.IsPublic).ToList();
        var change = $"ACL rewritten: {string.Join(", ", removed.Select(g => g.Describe()))} removed; kept: {(kept.Count == 0 ? "nothing" : string.Join(", ", kept.Select(g => g.Describe())))} (the previous ACL is kept in the undo data)";
        return (new PlannedCall("s3", "PutBucketAcl", Map(("Bucket", bucket), ("Owner", acl.OwnerId), ("Grants", string.Join("; ", kept.Select(g => g.Describe())))), change), change);
    }

    protected override async Task<ActionOutcome> ExecuteAsync(AwsSession session, ActionTarget target, ActionPlan plan, CancellationToken cancellationToken)
    {
        var bucket = target.Resource;
        var undo = new Dictionary<string, string>();
        var calls = new List<CallResult>();
        var block = await CallAsync("s3:PutBucketPublicAccessBlock", bucket, async () =>
        {
            await session.S3.PutPublicAccessBlockAsync(new PutPublicAccessBlockRequest
            {
                BucketName = bucket,
                PublicAccessBlockConfiguration = new PublicAccessBlockConfiguration { BlockPublicAcls = true, IgnorePublicAcls = true, BlockPublicPolicy = true, RestrictPublicBuckets = true },
            }, cancellationToken);
            return "all four Block Public Access settings on";
        });
        if (block.Succeeded) undo["publicAccessBlock"] = plan.State["publicAccessBlock"];
        calls.Add(block);
        if (plan.Calls.Any(c => c.Operation == "DeleteBucketPolicy"))
        {
            var delete = await CallAsync("s3:DeleteBucketPolicy", bucket, async () =>
            {
                await session.S3.DeleteBucketPolicyAsync(new DeleteBucketPolicyRequest { BucketName = bucket }, cancellationToken);
                return "public bucket policy deleted";
            });
            if (delete.Succeeded) undo["policy"] = plan.State["policy"];
            calls.Add(delete);
        }
        if (plan.Calls.Any(c => c.Operation == "PutBucketAcl"))
        {
            var previous = BucketAcl.FromJson(plan.State["acl"]);
            var rewrite = await CallAsync("s3:PutBucketAcl", bucket, async () =>
            {
                await session.S3.PutBucketAclAsync(new PutBucketAclRequest { BucketName = bucket, AccessControlPolicy = previous.WithoutPublicGrants().ToS3() }, cancellationToken);
                return $"ACL rewritten without {string.Join(", ", previous.Grants.Where(g => g.IsPublic).Select(g => g.Describe()))}";
            });
            if (rewrite.Succeeded) undo["acl"] = plan.State["acl"];
            calls.Add(rewrite);
        }
        return Outcome(calls, undo);
    }

    protected override async Task<IReadOnlyList<VerificationCheck>> VerifyAsync(AwsSession session, ActionTarget target, ActionPlan plan, ActionOutcome outcome, CancellationToken cancellationToken)
    {
        var bucket = target.Resource;
        var now = await ReadOptionalAsync("s3:GetBucketPublicAccessBlock", "NoSuchPublicAccessBlockConfiguration",
            async () => (await session.S3.GetPublicAccessBlockAsync(new GetPublicAccessBlockRequest { BucketName = bucket }, cancellationToken)).PublicAccessBlockConfiguration);
        var status = await ReadOptionalAsync("s3:GetBucketPolicyStatus", "NoSuchBucketPolicy",
            async () => (await session.S3.GetBucketPolicyStatusAsync(new GetBucketPolicyStatusRequest { BucketName = bucket }, cancellationToken)).PolicyStatus);
        var all = now is not null && Settings(now) == "acls:on,ignore:on,policy:on,restrict:on";
        var checks = new List<VerificationCheck>
        {
            new("Block Public Access", "acls:on,ignore:on,policy:on,restrict:on", now is null ? "none" : Settings(now), all),
            new("bucket policy public", "false", status?.IsPublic == true ? "true" : "false", status?.IsPublic != true),
        };
        if (plan.Calls.Any(c => c.Operation == "PutBucketAcl"))
        {
            var read = await ReadAsync("s3:GetBucketAcl", () => session.S3.GetBucketAclAsync(new GetBucketAclRequest { BucketName = bucket }, cancellationToken));
            var publicGrants = BucketAcl.From(read.Owner, read.Grants).Grants.Where(g => g.IsPublic).Select(g => g.Describe()).ToList();
            checks.Add(new VerificationCheck("public ACL grants", "none", publicGrants.Count == 0 ? "none" : string.Join(", ", publicGrants), publicGrants.Count == 0));
        }
        return checks;
    }

    protected override async Task<ActionOutcome> UndoAsync(AwsSession session, ActionTarget target, ActionPlan plan, IReadOnlyDictionary<string, string> undoData, CancellationToken cancellationToken)
    {
        var bucket = target.Resource;
        var calls = new List<CallResult>();
        // The settings first: while BlockPublicPolicy is on, S3 refuses to put a public policy back.
        if (undoData.TryGetValue("publicAccessBlock", out var previous))
            calls.Add(await CallAsync(previous == "none" ? "s3:DeleteBucketPublicAccessBlock" : "s3:PutBucketPublicAccessBlock", bucket, async () =>
            {
                if (previous == "none")
                    await session.S3.DeletePublicAccessBlockAsync(new DeletePublicAccessBlockRequest { BucketName = bucket }, cancellationToken);
                else
                    await session.S3.PutPublicAccessBlockAsync(new PutPublicAccessBlockRequest { BucketName = bucket, PublicAccessBlockConfiguration = Parse(previous) }, cancellationToken);
                return $"Block Public Access back to {previous}";
            }));
        if (undoData.TryGetValue("policy", out var policy))
            calls.Add(await CallAsync("s3:PutBucketPolicy", bucket, async () =>
            {
                await session.S3.PutBucketPolicyAsync(new PutBucketPolicyRequest { BucketName = bucket, Policy = policy }, cancellationToken);
                return "previous bucket policy restored";
            }));
        // Last: while BlockPublicAcls is on, S3 refuses an ACL with public grants.
        if (undoData.TryGetValue("acl", out var acl))
            calls.Add(await CallAsync("s3:PutBucketAcl", bucket, async () =>
            {
                await session.S3.PutBucketAclAsync(new PutBucketAclRequest { BucketName = bucket, AccessControlPolicy = BucketAcl.FromJson(acl).ToS3() }, cancellationToken);
                return "previous bucket ACL restored";
            }));
        return Outcome(calls);
    }

    private static async Task<T?> ReadOptionalAsync<T>(string operation, string absentCode, Func<Task<T>> read) where T : class
    {
        try
        {
            return await read();
        }
        catch (AmazonS3Exception e) when (e.ErrorCode == absentCode)
        {
            return null;
        }
        catch (AmazonS3Exception e)
        {
            throw new CloudCallException(operation, e.ErrorCode ?? "Error", e.Message);
        }
    }

    internal static string Settings(PublicAccessBlockConfiguration c) =>
        $"acls:{On(c.BlockPublicAcls)},ignore:{On(c.IgnorePublicAcls)},policy:{On(c.BlockPublicPolicy)},restrict:{On(c.RestrictPublicBuckets)}";

    private static string On(bool? value) => value == true ? "on" : "off";

    private static PublicAccessBlockConfiguration Parse(string settings)
    {
        var values = settings.Split(',').Select(p => p.Split(':')).ToDictionary(p => p[0], p => p[1] == "on");
        return new PublicAccessBlockConfiguration
        {
            BlockPublicAcls = values["acls"], IgnorePublicAcls = values["ignore"], BlockPublicPolicy = values["policy"], RestrictPublicBuckets = values["restrict"],
        };
    }
}

/// <summary>A bucket ACL as kept in plan state and undo data: the owner and each grant, in S3's terms.</summary>
internal sealed record BucketAcl(string OwnerId, string? OwnerName, IReadOnlyList<BucketGrant> Grants)
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    public static BucketAcl From(Owner? owner, IEnumerable<S3Grant>? grants) =>
        new(owner?.Id ?? "", owner?.DisplayName, (grants ?? []).Select(g => new BucketGrant(g.Grantee?.Type?.Value ?? "", g.Grantee?.CanonicalUser, g.Grantee?.URI,
            g.Grantee?.EmailAddress, g.Grantee?.DisplayName, g.Permission?.Value ?? "")).ToList());

    public static BucketAcl FromJson(string json) => JsonSerializer.Deserialize<BucketAcl>(json, Json) ?? throw new InvalidOperationException("The recorded ACL is empty.");

    public string ToJson() => JsonSerializer.Serialize(this, Json);

    public BucketAcl WithoutPublicGrants() => this with { Grants = Grants.Where(g => !g.IsPublic).ToList() };

    public S3AccessControlList ToS3() => new()
    {
        Owner = new Owner { Id = OwnerId, DisplayName = OwnerName },
        Grants = Grants.Select(g => new S3Grant
        {
            Grantee = new S3Grantee { CanonicalUser = g.Id, URI = g.Uri, EmailAddress = g.Email, DisplayName = g.DisplayName },
            Permission = new S3Permission(g.Permission),
        }).ToList(),
    };
}

internal sealed record BucketGrant(string Type, string? Id, string? Uri, string? Email, string? DisplayName, string Permission)
{
    public bool IsPublic => Uri is "http://acs.amazonaws.com/groups/global/AllUsers" or "http://acs.amazonaws.com/groups/global/AuthenticatedUsers";

    public string Describe() => $"{Permission} to {Uri?.Split('/')[^1] ?? Email ?? (DisplayName is { Length: > 0 } name ? $"{name} ({Id})" : Id)}";
}
