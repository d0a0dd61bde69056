using System.Text.Json;
using Firebreak.Detection.Events;

namespace Firebreak.Detection.Readers.Mapping;

/// <summary>
/// The resources a CloudTrail management event acts on when the record lists none. Most management events have no
/// <c>resources</c> (RunInstances, ModifyInstanceAttribute, AuthorizeSecurityGroupIngress, CreateSnapshot, Lambda's and
/// RDS's calls): the request or the answer names the target instead. A name means an S3 bucket, an IAM user or an
/// instance only in that service's own calls (Transfer Family's and ElastiCache's CreateUser name users of their own,
/// Lightsail's CreateBucket a bucket of its own), so each service is read apart. Resources are named by ARN, as the
/// ones CloudTrail lists are, with the id or name as the resource's name; IAM users, roles and policies, trails and
/// secrets given by name are named by what the request gives, which is all it holds of them.
/// </summary>
internal static class CloudTrailResources
{
    /// <summary>Adds the resources <paramref name="request"/> and <paramref name="response"/> name for the service's call.</summary>
    public static void FromCall(List<EventResource> resources, string? service, string? operation, JsonElement? request, JsonElement? response, string? region, string? account)
    {
        switch (service)
        {
            case "s3.amazonaws.com":
                if (request.Prop("bucketName"u8).Str() is { } bucket)
                {
                    resources.Add(new EventResource("AWS::S3::Bucket", $"arn:aws:s3:::{bucket}", bucket));
                }

                break;
            case "iam.amazonaws.com":
                AddNamed(resources, request, "userName", "AWS::IAM::User");
                AddNamed(resources, request, "roleName", "AWS::IAM::Role");
                AddNamed(resources, request, "policyArn", "AWS::IAM::Policy");
                break;
            case "cloudtrail.amazonaws.com":
                // StopLogging and DeleteTrail name the trail as name; PutEventSelectors and PutInsightSelectors as trailName.
                AddNamed(resources, request, "name", "AWS::CloudTrail::Trail");
                AddNamed(resources, request, "trailName", "AWS::CloudTrail::Trail");
                break;
            case "ec2.amazonaws.com":
                Ec2(resources, request, response, region, account);
                break;
            case "ssm.amazonaws.com":
                Ssm(resources, operation, request, region, account);
                break;
            case "lambda.amazonaws.com":
                Lambda(resources, request.Prop("functionName"u8).Str(), region, account);
                break;
            case "secretsmanager.amazonaws.com":
                Secret(resources, request.Prop("secretId"u8).Str());
                break;
            case "guardduty.amazonaws.com":
                if (request.Prop("detectorId"u8).Str() is { } detector)
                {
                    Add(resources, "AWS::GuardDuty::Detector", $"arn:{Partition(region)}:guardduty:{region}:{account}:detector/{detector}", detector);
                }

                break;
            case "rds.amazonaws.com":
                Rds(resources, request, "dBInstanceIdentifier"u8, "AWS::RDS::DBInstance", "db", region, account);
                Rds(resources, request, "dBClusterIdentifier"u8, "AWS::RDS::DBCluster", "cluster", region, account);
                Rds(resources, request, "dBSnapshotIdentifier"u8, "AWS::RDS::DBSnapshot", "snapshot", region, account);
                Rds(resources, request, "dBClusterSnapshotIdentifier"u8, "AWS::RDS::DBClusterSnapshot", "cluster-snapshot", region, account);
                break;
        }
    }

    /// <summary>
    /// Instances (one named, a set of them, or those RunInstances started, in its answer), security groups, volumes,
    /// snapshots and images. A snapshot's and an image's ARN names no account, as AWS writes them.
    /// </summary>
    private static void Ec2(List<EventResource> resources, JsonElement? request, JsonElement? response, string? region, string? account)
    {
        Ec2Named(resources, request.Obj(), region, account);
        Ec2Named(resources, response.Obj(), region, account);
    }

    /// <summary>The EC2 resources one side of a call (its request or its answer) names.</summary>
    private static void Ec2Named(List<EventResource> resources, JsonElement? at, string? region, string? account)
    {
        if (at is null)
        {
            return;
        }

        Instance(resources, at.Prop("instanceId"u8).Str(), region, account);
        if (at.Prop("instancesSet"u8).Prop("items"u8) is { ValueKind: JsonValueKind.Array } items)
        {
            foreach (var item in items.EnumerateArray())
            {
                Instance(resources, ((JsonElement?)item).Prop("instanceId"u8).Str(), region, account);
            }
        }

        var group = at.Prop("groupId"u8).Str() ?? at.Prop("ModifySecurityGroupRulesRequest"u8).Prop("GroupId"u8).Str();
        Ec2Id(resources, group, "sg-", "AWS::EC2::SecurityGroup", "security-group", region, account);
        Ec2Id(resources, at.Prop("volumeId"u8).Str(), "vol-", "AWS::EC2::Volume", "volume", region, account);
        Ec2Id(resources, at.Prop("snapshotId"u8).Str(), "snap-", "AWS::EC2::Snapshot", "snapshot", region, account: null);
        Ec2Id(resources, at.Prop("imageId"u8).Str(), "ami-", "AWS::EC2::Image", "image", region, account: null);

        // DeleteFlowLogs is written in the query API's shape: {"FlowLogId": {"tag": 1, "content": "fl-..."}}, a list for several.
        switch (at.Prop("DeleteFlowLogsRequest"u8).Prop("FlowLogId"u8))
        {
            case { ValueKind: JsonValueKind.Array } flowLogs:
                foreach (var flowLog in flowLogs.EnumerateArray())
                {
                    FlowLog(resources, flowLog, region, account);
                }

                break;
            case { } flowLog:
                FlowLog(resources, flowLog, region, account);
                break;
        }
    }

    private static void FlowLog(List<EventResource> resources, JsonElement flowLog, string? region, string? account) =>
        Ec2Id(resources, ((JsonElement?)flowLog).Prop("content"u8).Str(), "fl-", "AWS::EC2::FlowLog", "vpc-flow-log", region, account);

    /// <summary>
    /// A secret as Secrets Manager takes it: its ARN (the name with a random six-character suffix AWS adds) or its name,
    /// which gives no ARN to build; a name stands for itself, as an IAM user's does.
    /// </summary>
    private static void Secret(List<EventResource> resources, string? secret)
    {
        if (secret is null)
        {
            return;
        }

        if (secret.StartsWith("arn:", StringComparison.Ordinal) && secret.Split(':') is { Length: 7 } parts)
        {
            Add(resources, "AWS::SecretsManager::Secret", secret, parts[6].Length > 7 && parts[6][^7] == '-' ? parts[6][..^7] : parts[6]);
        }
        else
        {
            Add(resources, "AWS::SecretsManager::Secret", secret, secret);
        }
    }

    /// <summary>The instances SendCommand runs on, the instance StartSession opens a shell on, and the parameters read or written.</summary>
    private static void Ssm(List<EventResource> resources, string? operation, JsonElement? request, string? region, string? account)
    {
        if (request.Prop("instanceIds"u8) is { ValueKind: JsonValueKind.Array } ids)
        {
            foreach (var id in ids.EnumerateArray())
            {
                Instance(resources, ((JsonElement?)id).Str(), region, account);
            }
        }

        Instance(resources, request.Prop("target"u8).Str(), region, account);
        if (operation is null || !operation.Contains("Parameter", StringComparison.Ordinal))
        {
            return;
        }

        // GetParameter and PutParameter name one parameter; GetParameters and DeleteParameters several.
        var names = new List<string?> { request.Prop("name"u8).Str() };
        if (request.Prop("names"u8) is { ValueKind: JsonValueKind.Array } many)
        {
            names.AddRange(many.EnumerateArray().Select(n => ((JsonElement?)n).Str()));
        }

        foreach (var name in names.OfType<string>())
        {
            Add(resources, "AWS::SSM::Parameter", name.StartsWith("arn:", StringComparison.Ordinal) ? name : $"arn:{Partition(region)}:ssm:{region}:{account}:parameter/{name.TrimStart('/')}", name);
        }
    }

    /// <summary>
    /// A function as Lambda takes it: its name (<c>my-function</c>, or <c>my-function:v1</c> with a version or alias), a partial
    /// ARN (<c>123456789012:function:my-function</c>) or its ARN; named here by the function's ARN without the qualifier, so
    /// every call on one function names the same resource.
    /// </summary>
    private static void Lambda(List<EventResource> resources, string? function, string? region, string? account)
    {
        if (function is null)
        {
            return;
        }

        var parts = function.Split(':');
        var at = Array.IndexOf(parts, "function");
        if (at < 0)
        {
            Add(resources, "AWS::Lambda::Function", $"arn:{Partition(region)}:lambda:{region}:{account}:function:{parts[0]}", parts[0]);
        }
        else if (at + 1 < parts.Length)
        {
            var partition = at == 5 && parts[0] == "arn" ? parts[1] : Partition(region);
            var inRegion = at == 5 && parts[0] == "arn" ? parts[3] : region;
            var ofAccount = at >= 1 ? parts[at - 1] : account;
            Add(resources, "AWS::Lambda::Function", $"arn:{partition}:lambda:{inRegion}:{ofAccount}:function:{parts[at + 1]}", parts[at + 1]);
        }
    }

    private static void Instance(List<EventResource> resources, string? id, string? region, string? account) =>
        Ec2Id(resources, id, "i-", "AWS::EC2::Instance", "instance", region, account);

    private static void Ec2Id(List<EventResource> resources, string? id, string prefix, string type, string kind, string? region, string? account)
    {
        if (id is not null && id.StartsWith(prefix, StringComparison.Ordinal))
        {
            Add(resources, type, $"arn:{Partition(region)}:ec2:{region}:{account}:{kind}/{id}", id);
        }
    }

    private static void Rds(List<EventResource> resources, JsonElement? request, ReadOnlySpan<byte> field, string type, string kind, string? region, string? account)
    {
        if (request.Prop(field).Str() is { } id)
        {
            Add(resources, type, id.StartsWith("arn:", StringComparison.Ordinal) ? id : $"arn:{Partition(region)}:rds:{region}:{account}:{kind}:{id}", id);
        }
    }

    private static void AddNamed(List<EventResource> resources, JsonElement? request, string field, string type)
    {
        if (request.Prop(field).Str() is { } value)
        {
            resources.Add(new EventResource(type, value, value));
        }
    }

    /// <summary>Adds a resource once: a request and its answer often name the same one.</summary>
    private static void Add(List<EventResource> resources, string type, string uid, string name)
    {
        if (!resources.Exists(r => r.Uid == uid))
        {
            resources.Add(new EventResource(type, uid, name));
        }
    }

    /// <summary>The ARN partition of a region: China's and GovCloud's regions have their own.</summary>
    private static string Partition(string? region) =>
        region is null ? "aws"
        : region.StartsWith("cn-", StringComparison.Ordinal) ? "aws-cn"
        : region.StartsWith("us-gov-", StringComparison.Ordinal) ? "aws-us-gov"
        : "aws";
}
