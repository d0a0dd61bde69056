using System.Text.Json.Nodes;

namespace Firebreak.Detection.Simulation;

/// <summary>
/// Benign day-to-day activity: engineers in the console and CLI, a CI role deploying, an EC2
/// workload reading its bucket and secrets, AWS services acting on the account's behalf, and
/// routine Azure and GCP administration.
/// </summary>
internal sealed class BackgroundActivity(World world, double otherCloudsShare)
{
    private readonly Trail _trail = new(world);
    private readonly string[] _objectKeys = ["index.html", "static/app.js", "static/app.css", "img/logo.png", "reports/daily.csv", "exports/2026-01.parquet"];

    public SimEvent Next(DateTimeOffset time)
    {
        var roll = world.Random.NextDouble();
        if (roll < otherCloudsShare / 2)
        {
            return Azure(time);
        }

        if (roll < otherCloudsShare)
        {
            return Gcp(time);
        }

        return world.Random.Next(100) switch
        {
            < 30 => Engineer(time),
            < 50 => Workload(time),
            < 65 => Ci(time),
            < 85 => AwsService(time),
            _ => Automation(time),
        };
    }

    private SimEvent Engineer(DateTimeOffset time)
    {
        var user = world.Users[world.Random.Next(3)];
        var console = world.Chance(0.5);
        var ip = world.CorporateIps[world.Users.ToList().IndexOf(user) % world.CorporateIps.Length];
        var agent = console ? world.Pick(world.BrowserAgents) : world.Pick(world.CliAgents);
        var identity = AwsIdentity.User(user, world.AwsAccount, console ? "ASIA" + world.Key() : user.AccessKeyId, mfa: console ? true : null, session: console ? time.AddMinutes(-world.Random.Next(5, 240)) : null);
        if (console && world.Chance(0.05))
        {
            return _trail.Call(time, identity with { AccessKeyId = null, SessionCreated = null }, "signin.amazonaws.com", "ConsoleLogin", ip, agent,
                response: new JsonObject { ["ConsoleLogin"] = "Success" },
                additional: new JsonObject { ["LoginTo"] = "https://console.aws.amazon.com/console/home", ["MobileVersion"] = "No", ["MFAUsed"] = "Yes" },
                eventType: "AwsConsoleSignIn");
        }

        var bucket = world.Pick(world.Buckets);
        return world.Random.Next(10) switch
        {
            0 => _trail.Call(time, identity, "ec2.amazonaws.com", "DescribeInstances", ip, agent, new JsonObject { ["maxResults"] = 1000 }, readOnly: true),
            1 => _trail.Call(time, identity, "s3.amazonaws.com", "ListBuckets", ip, agent, new JsonObject { ["Host"] = "s3.amazonaws.com" }, readOnly: true, region: "us-east-1"),
            2 => _trail.Call(time, identity, "s3.amazonaws.com", "GetBucketLocation", ip, agent, Trail.S3Request(bucket), readOnly: true, resources: [Trail.Bucket(bucket)], region: "us-east-1"),
            3 => _trail.Call(time, identity, "ec2.amazonaws.com", "DescribeSecurityGroups", ip, agent, new JsonObject { ["filterSet"] = new JsonObject() }, readOnly: true),
            4 => _trail.Call(time, identity, "sts.amazonaws.com", "GetCallerIdentity", ip, agent, readOnly: true),
            5 => _trail.Call(time, identity, "iam.amazonaws.com", "ListRoles", ip, agent, readOnly: true),
            6 => _trail.Call(time, identity, "logs.amazonaws.com", "FilterLogEvents", ip, agent, new JsonObject { ["logGroupName"] = "/aws/lambda/thumbnailer", ["limit"] = 100 }, readOnly: true),
            7 => _trail.Call(time, identity, "cloudwatch.amazonaws.com", "GetMetricData", ip, agent, readOnly: true),
            8 => _trail.Call(time, identity, "lambda.amazonaws.com", "ListFunctions20150331", ip, agent, readOnly: true),
            _ => _trail.Call(time, identity, "ec2.amazonaws.com", world.Chance(0.5) ? "StartInstances" : "StopInstances", ip, agent,
                new JsonObject { ["instancesSet"] = new JsonObject { ["items"] = new JsonArray(new JsonObject { ["instanceId"] = "i-0" + world.Hex(16) }) } }),
        };
    }

    private SimEvent Workload(DateTimeOffset time)
    {
        var identity = AwsIdentity.Role(world.AwsAccount, "web-app", "AROAWEBAPPROLE0000001", world.InstanceId, world.InstanceSessionKeyAt(World.HourOf(time)), World.HourOf(time));
        const string agent = "aws-sdk-go-v2/1.32.6 ua/2.1 os/linux lang/go#1.23.3 md/GOOS#linux md/GOARCH#amd64 api/s3#1.69.0";
        var key = world.Pick(_objectKeys);
        return world.Random.Next(4) switch
        {
            0 or 1 => _trail.Call(time, identity, "s3.amazonaws.com", "GetObject", world.InstanceIp, agent, Trail.S3Request("acme-prod-assets", key),
                readOnly: true, data: true, region: "us-east-1", resources: [Trail.Object("acme-prod-assets", key), Trail.Bucket("acme-prod-assets")],
                additional: Trail.S3Transfer(0, world.Random.Next(500, 900_000))),
            2 => _trail.Call(time, identity, "secretsmanager.amazonaws.com", "GetSecretValue", world.InstanceIp, agent,
                new JsonObject { ["secretId"] = "prod/web-app/database" }, readOnly: true, region: "us-east-1"),
            _ => _trail.Call(time, identity, "kms.amazonaws.com", "Decrypt", world.InstanceIp, agent,
                new JsonObject { ["encryptionAlgorithm"] = "SYMMETRIC_DEFAULT" }, readOnly: true, region: "us-east-1",
                resources: [("AWS::KMS::Key", $"arn:aws:kms:us-east-1:{world.AwsAccount}:key/{world.NewGuid()}")]),
        };
    }

    private SimEvent Ci(DateTimeOffset time)
    {
        // One job a minute, each its own session (named for its minute, made three minutes before it) with its own key.
        var minute = new DateTimeOffset(time.UtcTicks - (time.UtcTicks % TimeSpan.TicksPerMinute), TimeSpan.Zero);
        var created = minute.AddMinutes(-3);
        var identity = AwsIdentity.Role(world.AwsAccount, "ci-deploy", "AROACIDEPLOYROLE00001", "gh-actions-" + minute.ToString("HHmm", System.Globalization.CultureInfo.InvariantCulture), world.CiSessionKeyAt(created), created);
        var agent = world.CliAgents[3];
        const string ip = "198.51.100.200";
        return world.Random.Next(4) switch
        {
            0 => _trail.Call(time, identity, "s3.amazonaws.com", "PutObject", ip, agent, Trail.S3Request("acme-ci-artifacts", $"builds/{world.Hex(8)}.zip"),
                data: true, region: "us-east-1", resources: [Trail.Bucket("acme-ci-artifacts")], additional: Trail.S3Transfer(world.Random.Next(100_000, 9_000_000), 0)),
            1 => _trail.Call(time, identity, "lambda.amazonaws.com", "UpdateFunctionCode20150331v2", ip, agent, new JsonObject { ["functionName"] = "thumbnailer", ["publish"] = true }, region: "us-east-1"),
            2 => _trail.Call(time, identity, "cloudformation.amazonaws.com", "DescribeStacks", ip, agent, new JsonObject { ["stackName"] = "web-app-prod" }, readOnly: true, region: "us-east-1"),
            _ => _trail.Call(time, identity, "ecr.amazonaws.com", "GetAuthorizationToken", ip, agent, readOnly: true, region: "us-east-1"),
        };
    }

    private SimEvent AwsService(DateTimeOffset time)
    {
        return world.Random.Next(4) switch
        {
            0 => _trail.Call(time, AwsIdentity.Service("ec2.amazonaws.com"), "sts.amazonaws.com", "AssumeRole", "ec2.amazonaws.com", "ec2.amazonaws.com",
                new JsonObject { ["roleArn"] = $"arn:aws:iam::{world.AwsAccount}:role/web-app", ["roleSessionName"] = world.InstanceId },
                new JsonObject { ["credentials"] = new JsonObject { ["accessKeyId"] = world.InstanceSessionKeyAt(World.HourOf(time)), ["expiration"] = time.AddHours(6).ToString("MMM d, yyyy, h:mm:ss tt", System.Globalization.CultureInfo.InvariantCulture) } },
                readOnly: true, region: "us-east-1"),
            1 => _trail.Call(time, AwsIdentity.Service("lambda.amazonaws.com"), "sts.amazonaws.com", "AssumeRole", "lambda.amazonaws.com", "lambda.amazonaws.com",
                new JsonObject { ["roleArn"] = $"arn:aws:iam::{world.AwsAccount}:role/thumbnailer", ["roleSessionName"] = "thumbnailer" }, readOnly: true, region: "us-east-1"),
            2 => _trail.Call(time, AwsIdentity.Service("s3.amazonaws.com"), "kms.amazonaws.com", "GenerateDataKey", "s3.amazonaws.com", "s3.amazonaws.com",
                new JsonObject { ["keySpec"] = "AES_256", ["encryptionContext"] = new JsonObject { ["aws:s3:arn"] = "arn:aws:s3:::acme-ci-artifacts" } }, readOnly: true, region: "us-east-1"),
            _ => _trail.Call(time, AwsIdentity.Service("config.amazonaws.com"), "ec2.amazonaws.com", "DescribeVolumes", "config.amazonaws.com", "config.amazonaws.com", readOnly: true),
        };
    }

    private SimEvent Automation(DateTimeOffset time)
    {
        var user = world.Users[4];
        var identity = AwsIdentity.User(user, world.AwsAccount);
        var agent = world.CliAgents[2];
        var backup = world.LeakedUser;
        return world.Random.Next(3) switch
        {
            // The backup account works from the office network on a schedule; the leaked-key
            // scenario uses the same key from elsewhere, which is what makes it stand out.
            0 => _trail.Call(time, AwsIdentity.User(backup, world.AwsAccount), "ec2.amazonaws.com", "CreateSnapshot", world.CorporateIps[0], agent,
                new JsonObject { ["volumeId"] = "vol-0" + world.Hex(16), ["description"] = "nightly backup" }, region: "us-east-1"),
            1 => _trail.Call(time, identity, "athena.amazonaws.com", "StartQueryExecution", world.CorporateIps[1], agent,
                new JsonObject { ["queryString"] = "SELECT count(*) FROM web_logs WHERE day = current_date", ["workGroup"] = "reporting" }, region: "us-east-1"),
            _ => _trail.Call(time, identity, "s3.amazonaws.com", "ListObjects", world.CorporateIps[1], agent, Trail.S3Request("acme-web-logs"),
                readOnly: true, data: true, region: "us-east-1", resources: [Trail.Bucket("acme-web-logs")]),
        };
    }

    private SimEvent Azure(DateTimeOffset time)
    {
        (string Operation, string Type, string Name)[] operations =
        [
            ("Microsoft.Compute/virtualMachines/start/action", "Microsoft.Compute/virtualMachines", "vm-build-01"),
            ("Microsoft.Compute/virtualMachines/deallocate/action", "Microsoft.Compute/virtualMachines", "vm-build-02"),
            ("Microsoft.Web/sites/restart/action", "Microsoft.Web/sites", "acme-portal"),
            ("Microsoft.Resources/deployments/write", "Microsoft.Resources/deployments", "release-" + world.Hex(6)),
            ("Microsoft.Network/networkSecurityGroups/securityRules/write", "Microsoft.Network/networkSecurityGroups", "nsg-web/securityRules/allow-https"),
            ("Microsoft.Storage/storageAccounts/write", "Microsoft.Storage/storageAccounts", "acmeprodlogs"),
        ];
        var (operation, type, name) = world.Pick(operations);
        var person = world.Pick(["alice", "bob", "carol"]);
        return new AzureActivityEvent
        {
            Time = time,
            EventId = world.NewGuid(),
            Subscription = world.AzureSubscription,
            Tenant = world.AzureTenant,
            ResourceId = $"/subscriptions/{world.AzureSubscription}/resourceGroups/prod-rg/providers/{type}/{name}",
            Operation = operation,
            Caller = $"{person}@acme.example",
            CallerName = char.ToUpperInvariant(person[0]) + person[1..],
            // One user, one object id, on every event; the draw a fresh id took is still made, so that the rest of
            // a seed's events stay as they were.
            CallerObjectId = PersonObjectId(person, world.NewGuid()),
            CallerIp = world.Pick(world.CorporateIps),
            Role = "Contributor",
            DurationMs = world.Random.Next(20, 4000),
        };
    }

    /// <summary>A person's Entra object id: the same on every event of theirs, as the directory's is.</summary>
    private string PersonObjectId(string person, string draw)
    {
        _ = draw;
        return world.EntraObjectId(person);
    }

    /// <summary>The gcloud command that calls a method, as its user agent names it.</summary>
    private static string GcloudCommand(string method) => method switch
    {
        "v1.compute.instances.stop" => "gcloud.compute.instances.stop",
        "storage.buckets.update" => "gcloud.storage.buckets.update",
        "google.container.v1.ClusterManager.UpdateCluster" => "gcloud.container.clusters.update",
        _ => "gcloud.compute.instances.start",
    };

    private SimEvent Gcp(DateTimeOffset time)
    {
        const string zone = "europe-west1-b";
        var (service, method, permission, resource, type) = world.Random.Next(4) switch
        {
            0 => ("compute.googleapis.com", "v1.compute.instances.start", "compute.instances.start", $"projects/{world.GcpProject}/zones/{zone}/instances/batch-{world.Random.Next(1, 9)}", "gce_instance"),
            1 => ("compute.googleapis.com", "v1.compute.instances.stop", "compute.instances.stop", $"projects/{world.GcpProject}/zones/{zone}/instances/batch-{world.Random.Next(1, 9)}", "gce_instance"),
            2 => ("storage.googleapis.com", "storage.buckets.update", "storage.buckets.update", $"projects/_/buckets/{world.GcpProject}-datasets", "gcs_bucket"),
            _ => ("container.googleapis.com", "google.container.v1.ClusterManager.UpdateCluster", "container.clusters.update", $"projects/{world.GcpProject}/locations/europe-west1/clusters/prod", "gke_cluster"),
        };
        var person = world.Pick(["alice", "bob", "carol"]);
        return new GcpAuditEvent
        {
            Time = time,
            EventId = world.Hex(12),
            Project = world.GcpProject,
            Principal = world.Chance(0.3) ? world.DeployServiceAccount : $"{person}@acme.example",
            CallerIp = world.Pick(world.CorporateIps),
            UserAgent = $"google-cloud-sdk gcloud/502.0.0 command/{GcloudCommand(method)} invocation-id/" + world.Hex(32) + ",gzip(gfe)",
            Service = service,
            Method = method,
            Permission = permission,
            ResourceName = resource,
            ResourceType = type,
            Zone = type == "gce_instance" ? zone : null,
        };
    }
}
