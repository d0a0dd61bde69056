using Amazon.S3;
using Amazon.S3.Model;
using Firebreak.Core.Response;

namespace Firebreak.Cloud.Aws;

/// <summary>
/// Cut public access to a bucket: S3 Block Public Access on all four settings, and the bucket policy removed when
/// S3 reports it public. Public ACLs are neutralised by IgnorePublicAcls rather than rewritten, so undo is exact.
/// </summary>
internal sealed class BlockS3PublicAccessAction(AwsSessions sessions) : AwsAction(sessions)
{
    public override ActionDefinition Definition { get; } = new("aws-block-s3-public-access", "aws", "Block public access to an S3 bucket",
        "Turns on all four S3 Block Public Access settings for the bucket (public ACLs are then ignored) and deletes the bucket policy if S3 reports it public.",
        "S3 bucket name", "^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$", ContainmentStage.IsolateNetwork, ActionImpact.High, AffectsAvailability: true, Undoable: true,
        "Undo restores the previous Block Public Access settings (or removes them if there were none) and puts the deleted policy back.",
        ["s3:GetBucketPublicAccessBlock", "s3:GetBucketPolicyStatus", "s3:GetBucketPolicy", "s3:PutBucketPublicAccessBlock", "s3:DeleteBucketPolicy"], []);

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
        return new ActionPlan($"Block public access to {bucket}{(isPublic ? " and delete its public policy" : "")}.", calls, calls.Select(c => c.Change).ToList(),
            true, Definition.UndoDescription,
            [new SafetyRisk("public-content", "Anything served publicly from the bucket (a website, downloads) stops working.", "Confirm nothing legitimate depends on public access, or accept the downtime.")],
            [], state);
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
        return
        [
            new VerificationCheck("Block Public Access", "acls:on,ignore:on,policy:on,restrict:on", now is null ? "none" : Settings(now), all),
            new VerificationCheck("bucket policy public", "false", status?.IsPublic == true ? "true" : "false", status?.IsPublic != true),
        ];
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
