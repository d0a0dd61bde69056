using System.Text.Json.Nodes;

namespace Firebreak.Detection.Simulation;

/// <summary>An attacker's actions, in order, with the tactic each serves.</summary>
internal abstract class Scenario(World world)
{
    private readonly List<(SimEvent Event, string Tactic)> _steps = [];
    private DateTimeOffset _clock;

    protected World World => world;

    protected Trail Trail { get; } = new(world);

    public abstract string InitialAccess { get; }

    public static Scenario Create(string name, World world) => name switch
    {
        "leaked-access-key" => new LeakedAccessKey(world),
        "compromised-instance-role" => new CompromisedInstanceRole(world),
        "public-bucket-exposure" => new PublicBucketExposure(world),
        "stolen-azure-session" => new StolenAzureSession(world),
        "leaked-gcp-service-account-key" => new LeakedGcpServiceAccountKey(world),
        _ => throw new ArgumentOutOfRangeException(nameof(name), name, "unknown scenario"),
    };

    /// <summary>Builds the attack from <paramref name="start"/>; the core steps always, then extra activity up to <paramref name="target"/> events.</summary>
    public IReadOnlyList<(SimEvent Event, string Tactic)> Build(DateTimeOffset start, int target)
    {
        _clock = start;
        Core();
        var extraIndex = 0;
        while (_steps.Count < target)
        {
            Extra(extraIndex++);
        }

        return _steps;
    }

    protected abstract void Core();

    /// <summary>More of the same attacker: repeated discovery and bulk data access.</summary>
    protected abstract void Extra(int index);

    /// <summary>Advances the attacker's clock by a human-ish pause (or a scripted one).</summary>
    protected DateTimeOffset Next(int minSeconds = 4, int maxSeconds = 90)
    {
        _clock = _clock.AddSeconds(World.Random.Next(minSeconds, maxSeconds)).AddMilliseconds(World.Random.Next(1000));
        return _clock;
    }

    protected void Step(string tactic, SimEvent simEvent) => _steps.Add((simEvent, tactic));
}

internal sealed class LeakedAccessKey(World world) : Scenario(world)
{
    private readonly string _ip = world.AttackerIps[0];
    private readonly string _agent = world.AttackerAgents[0];
    private readonly string _newUser = "support-ops-" + world.Digits(2);

    private AwsIdentity Key => AwsIdentity.User(World.LeakedUser, World.AwsAccount);

    public override string InitialAccess => World.LeakedUser.AccessKeyId;

    protected override void Core()
    {
        var user = World.LeakedUser.Name;
        Step("discovery", Trail.Call(Next(), Key, "sts.amazonaws.com", "GetCallerIdentity", _ip, _agent, readOnly: true));
        Step("discovery", Trail.Call(Next(), Key, "iam.amazonaws.com", "ListAttachedUserPolicies", _ip, _agent, new JsonObject { ["userName"] = user }, readOnly: true));
        Step("discovery", Trail.Call(Next(), Key, "iam.amazonaws.com", "GetAccountAuthorizationDetails", _ip, _agent, readOnly: true,
            error: "AccessDenied", errorMessage: $"User: {World.LeakedUser.Arn} is not authorized to perform: iam:GetAccountAuthorizationDetails on resource: *"));
        Step("discovery", Trail.Call(Next(), Key, "iam.amazonaws.com", "ListUsers", _ip, _agent, readOnly: true));
        Step("discovery", Trail.Call(Next(), Key, "s3.amazonaws.com", "ListBuckets", _ip, _agent, new JsonObject { ["Host"] = "s3.amazonaws.com" }, readOnly: true, region: "us-east-1"));
        foreach (var region in new[] { "us-east-1", "eu-west-1", "us-west-2", "ap-southeast-1" })
        {
            Step("discovery", Trail.Call(Next(1, 3), Key, "ec2.amazonaws.com", "DescribeInstances", _ip, _agent, new JsonObject { ["maxResults"] = 1000 }, readOnly: true, region: region));
        }

        Step("privilege-escalation", Trail.Call(Next(), Key, "iam.amazonaws.com", "AttachUserPolicy", _ip, _agent,
            new JsonObject { ["userName"] = user, ["policyArn"] = "arn:aws:iam::aws:policy/AdministratorAccess" }));

        var newKey = "AKIA" + World.Key();
        Step("persistence", Trail.Call(Next(), Key, "iam.amazonaws.com", "CreateUser", _ip, _agent, new JsonObject { ["userName"] = _newUser },
            new JsonObject { ["user"] = new JsonObject { ["path"] = "/", ["userName"] = _newUser, ["userId"] = "AIDA" + World.Key(), ["arn"] = $"arn:aws:iam::{World.AwsAccount}:user/{_newUser}" } }));
        Step("persistence", Trail.Call(Next(), Key, "iam.amazonaws.com", "AttachUserPolicy", _ip, _agent,
            new JsonObject { ["userName"] = _newUser, ["policyArn"] = "arn:aws:iam::aws:policy/AdministratorAccess" }));
        Step("persistence", Trail.Call(Next(), Key, "iam.amazonaws.com", "CreateAccessKey", _ip, _agent, new JsonObject { ["userName"] = _newUser },
            new JsonObject { ["accessKey"] = new JsonObject { ["userName"] = _newUser, ["accessKeyId"] = newKey, ["status"] = "Active" } }));
        Step("persistence", Trail.Call(Next(), Key, "iam.amazonaws.com", "CreateLoginProfile", _ip, _agent,
            new JsonObject { ["userName"] = _newUser, ["passwordResetRequired"] = false }));

        var trailArn = $"arn:aws:cloudtrail:us-east-1:{World.AwsAccount}:trail/{World.Trail}";
        Step("defense-evasion", Trail.Call(Next(), Key, "cloudtrail.amazonaws.com", "DescribeTrails", _ip, _agent, new JsonObject { ["includeShadowTrails"] = true }, readOnly: true, region: "us-east-1"));
        Step("defense-evasion", Trail.Call(Next(), Key, "cloudtrail.amazonaws.com", "StopLogging", _ip, _agent, new JsonObject { ["name"] = trailArn }, region: "us-east-1",
            resources: [("AWS::CloudTrail::Trail", trailArn)]));
        Step("defense-evasion", Trail.Call(Next(), Key, "cloudtrail.amazonaws.com", "DeleteTrail", _ip, _agent, new JsonObject { ["name"] = trailArn }, region: "us-east-1",
            resources: [("AWS::CloudTrail::Trail", trailArn)]));
        Step("defense-evasion", Trail.Call(Next(), Key, "guardduty.amazonaws.com", "DeleteDetector", _ip, _agent, new JsonObject { ["detectorId"] = World.Hex(32) }, region: "us-east-1"));

        Step("exfiltration", Trail.Call(Next(), Key, "s3.amazonaws.com", "ListObjects", _ip, _agent, Trail.S3Request("acme-customer-data"),
            readOnly: true, data: true, region: "us-east-1", resources: [Trail.Bucket("acme-customer-data")]));
        Exfiltrate(0);
        var snapshot = "snap-0" + World.Hex(16);
        Step("exfiltration", Trail.Call(Next(), Key, "ec2.amazonaws.com", "ModifySnapshotAttribute", _ip, _agent,
            new JsonObject
            {
                ["snapshotId"] = snapshot,
                ["attributeType"] = "CREATE_VOLUME_PERMISSION",
                ["createVolumePermission"] = new JsonObject { ["add"] = new JsonObject { ["items"] = new JsonArray(new JsonObject { ["userId"] = World.AttackerAccount }) } },
            }, region: "us-east-1"));
    }

    protected override void Extra(int index)
    {
        if (index % 10 == 9)
        {
            Step("discovery", Trail.Call(Next(0, 2), Key, "s3.amazonaws.com", "ListObjects", _ip, _agent, Trail.S3Request("acme-customer-data"),
                readOnly: true, data: true, region: "us-east-1", resources: [Trail.Bucket("acme-customer-data")]));
            return;
        }

        Exfiltrate(index + 1);
    }

    private void Exfiltrate(int index)
    {
        var key = $"customers/export-{index:D5}.csv.gz";
        // A script's pace, as a bulk download runs: well over the 500 reads in ten minutes the mass-download rule looks for.
        Step("exfiltration", Trail.Call(Next(0, 1), Key, "s3.amazonaws.com", "GetObject", _ip, World.AttackerAgents[1], Trail.S3Request("acme-customer-data", key),
            readOnly: true, data: true, region: "us-east-1", resources: [Trail.Object("acme-customer-data", key), Trail.Bucket("acme-customer-data")],
            additional: Trail.S3Transfer(0, World.Random.Next(2_000_000, 60_000_000))));
    }
}

internal sealed class CompromisedInstanceRole(World world) : Scenario(world)
{
    private readonly string _ip = world.AttackerIps[1];
    private readonly string _agent = world.AttackerAgents[1];

    private DateTimeOffset? _stolenSession;

    // The stolen session is the instance's own: its key, its session name, used from outside. The attacker keeps the
    // session taken first until it expires (six hours), then takes the instance's newest.
    private AwsIdentity Stolen(DateTimeOffset time)
    {
        if (_stolenSession is not { } session || time >= session.AddHours(6))
        {
            _stolenSession = session = World.HourOf(time);
        }

        return AwsIdentity.Role(World.AwsAccount, "web-app", "AROAWEBAPPROLE0000001", World.InstanceId, World.InstanceSessionKeyAt(session), session);
    }

    public override string InitialAccess => $"arn:aws:sts::{World.AwsAccount}:assumed-role/web-app/{World.InstanceId}";

    protected override void Core()
    {
        DateTimeOffset t;
        t = Next(); Step("discovery", Trail.Call(t, Stolen(t), "sts.amazonaws.com", "GetCallerIdentity", _ip, _agent, readOnly: true));
        t = Next(); Step("discovery", Trail.Call(t, Stolen(t), "iam.amazonaws.com", "ListAttachedRolePolicies", _ip, _agent, new JsonObject { ["roleName"] = "web-app" }, readOnly: true));
        t = Next(); Step("discovery", Trail.Call(t, Stolen(t), "iam.amazonaws.com", "ListRoles", _ip, _agent, readOnly: true,
            error: "AccessDenied", errorMessage: $"User: arn:aws:sts::{World.AwsAccount}:assumed-role/web-app/{World.InstanceId} is not authorized to perform: iam:ListRoles"));
        t = Next(); Step("discovery", Trail.Call(t, Stolen(t), "s3.amazonaws.com", "ListBuckets", _ip, _agent, new JsonObject { ["Host"] = "s3.amazonaws.com" }, readOnly: true, region: "us-east-1"));
        t = Next(); Step("discovery", Trail.Call(t, Stolen(t), "secretsmanager.amazonaws.com", "ListSecrets", _ip, _agent, readOnly: true, region: "us-east-1"));
        foreach (var secret in new[] { "prod/web-app/database", "prod/payments/stripe", "prod/admin/break-glass" })
        {
            t = Next(2, 15);
            Step("credential-access", Trail.Call(t, Stolen(t), "secretsmanager.amazonaws.com", "GetSecretValue", _ip, _agent, new JsonObject { ["secretId"] = secret }, readOnly: true, region: "us-east-1"));
        }

        t = Next();
        Step("privilege-escalation", Trail.Call(t, Stolen(t), "iam.amazonaws.com", "PutRolePolicy", _ip, _agent, new JsonObject
        {
            ["roleName"] = "web-app",
            ["policyName"] = "ops-maintenance",
            ["policyDocument"] = "{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Allow\",\"Action\":\"*\",\"Resource\":\"*\"}]}",
        }));
        var user = "ec2-maintenance";
        t = Next(); Step("persistence", Trail.Call(t, Stolen(t), "iam.amazonaws.com", "CreateUser", _ip, _agent, new JsonObject { ["userName"] = user }));
        t = Next(); Step("persistence", Trail.Call(t, Stolen(t), "iam.amazonaws.com", "CreateAccessKey", _ip, _agent, new JsonObject { ["userName"] = user },
            new JsonObject { ["accessKey"] = new JsonObject { ["userName"] = user, ["accessKeyId"] = "AKIA" + World.Key(), ["status"] = "Active" } }));
        var trailArn = $"arn:aws:cloudtrail:us-east-1:{World.AwsAccount}:trail/{World.Trail}";
        t = Next(); Step("defense-evasion", Trail.Call(t, Stolen(t), "cloudtrail.amazonaws.com", "PutEventSelectors", _ip, _agent, new JsonObject
        {
            ["trailName"] = trailArn,
            ["eventSelectors"] = new JsonArray(new JsonObject { ["readWriteType"] = "ReadOnly", ["includeManagementEvents"] = false }),
        }, region: "us-east-1", resources: [("AWS::CloudTrail::Trail", trailArn)]));
        Exfiltrate(0);
    }

    protected override void Extra(int index) => Exfiltrate(index + 1);

    private void Exfiltrate(int index)
    {
        var key = $"2026/01/payroll-{index:D5}.csv";
        // A script's pace, as a bulk download runs (see LeakedAccessKey's).
        var t = Next(0, 1);
        Step("exfiltration", Trail.Call(t, Stolen(t), "s3.amazonaws.com", "GetObject", _ip, _agent, Trail.S3Request("acme-payroll-exports", key),
            readOnly: true, data: true, region: "us-east-1", resources: [Trail.Object("acme-payroll-exports", key), Trail.Bucket("acme-payroll-exports")],
            additional: Trail.S3Transfer(0, World.Random.Next(50_000, 5_000_000))));
    }
}

internal sealed class PublicBucketExposure(World world) : Scenario(world)
{
    private const string Bucket = "acme-customer-data";
    private readonly AwsUser _insider = world.Users[1];

    public override string InitialAccess => _insider.Arn;

    protected override void Core()
    {
        var ip = World.CorporateIps[1];
        var agent = World.BrowserAgents[0];
        var session = AwsIdentity.User(_insider, World.AwsAccount, "ASIA" + World.Key(), mfa: true, session: Next().AddMinutes(-20));
        Step("discovery", Trail.Call(Next(), session, "s3.amazonaws.com", "GetBucketPolicy", ip, agent, Trail.S3Request(Bucket), readOnly: true,
            region: "us-east-1", resources: [Trail.Bucket(Bucket)], error: "NoSuchBucketPolicy", errorMessage: "The bucket policy does not exist"));
        Step("discovery", Trail.Call(Next(), session, "s3.amazonaws.com", "GetBucketAcl", ip, agent, Trail.S3Request(Bucket), readOnly: true, region: "us-east-1", resources: [Trail.Bucket(Bucket)]));

        var openBlock = Trail.S3Request(Bucket);
        openBlock["PublicAccessBlockConfiguration"] = new JsonObject
        {
            ["BlockPublicAcls"] = false,
            ["IgnorePublicAcls"] = false,
            ["BlockPublicPolicy"] = false,
            ["RestrictPublicBuckets"] = false,
        };
        Step("defense-evasion", Trail.Call(Next(), session, "s3.amazonaws.com", "PutBucketPublicAccessBlock", ip, agent, openBlock, region: "us-east-1", resources: [Trail.Bucket(Bucket)]));
        var policy = Trail.S3Request(Bucket);
        policy["bucketPolicy"] = new JsonObject
        {
            ["Version"] = "2012-10-17",
            ["Statement"] = new JsonArray(new JsonObject
            {
                ["Sid"] = "PublicRead",
                ["Effect"] = "Allow",
                ["Principal"] = "*",
                ["Action"] = "s3:GetObject",
                ["Resource"] = $"arn:aws:s3:::{Bucket}/*",
            }),
        };
        Step("exposure", Trail.Call(Next(), session, "s3.amazonaws.com", "PutBucketPolicy", ip, agent, policy, region: "us-east-1", resources: [Trail.Bucket(Bucket)]));
        var acl = Trail.S3Request(Bucket);
        acl["x-amz-acl"] = new JsonArray("public-read");
        acl["acl"] = "";
        Step("exposure", Trail.Call(Next(), session, "s3.amazonaws.com", "PutBucketAcl", ip, agent, acl, region: "us-east-1", resources: [Trail.Bucket(Bucket)]));

        // Strangers find the bucket within the hour; scanners list it first.
        _ = Next(600, 1800);
        Step("collection", Anonymous("ListObjects", null, World.AttackerIps[2], "curl/8.5.0"));
        Step("exfiltration", Anonymous("GetObject", "customers/all-customers.csv", World.AttackerIps[2], "curl/8.5.0"));
    }

    protected override void Extra(int index)
    {
        var ip = $"203.0.113.{10 + (index % 40)}";
        Step("exfiltration", Anonymous("GetObject", $"customers/export-{index:D5}.csv", ip, World.Pick(["curl/8.5.0", "python-requests/2.32.3", "Wget/1.21.4"])));
    }

    private TrailEvent Anonymous(string name, string? key, string ip, string agent) =>
        Trail.Call(Next(1, 30), AwsIdentity.Anonymous(), "s3.amazonaws.com", name, ip, agent, Trail.S3Request(Bucket, key), readOnly: true, data: true, region: "us-east-1",
            resources: key is null ? [Trail.Bucket(Bucket)] : [Trail.Object(Bucket, key), Trail.Bucket(Bucket)],
            additional: new JsonObject { ["SignatureVersion"] = "", ["AuthenticationMethod"] = "", ["bytesTransferredIn"] = 0, ["bytesTransferredOut"] = World.Random.Next(1000, 3_000_000) });
}

/// <summary>
/// An Azure administrator's session token, stolen (from a browser or a developer's machine), replayed from the attacker's
/// address: the token carries the administrator's MFA, so nothing but the address and what is done tells it apart.
/// </summary>
internal sealed class StolenAzureSession(World world) : Scenario(world)
{
    private const string Admin = "carol";
    private readonly string _ip = world.AttackerIps[0];
    private readonly string _backdoor = world.NewGuid();

    public override string InitialAccess => Admin + "@acme.example";

    private string Subscription => $"/subscriptions/{World.AzureSubscription}";

    protected override void Core()
    {
        // Global administrators may give themselves User Access Administrator over every subscription, then grant anything.
        Step("privilege-escalation", Call(Next(), "Microsoft.Authorization/elevateAccess/action", "/providers/Microsoft.Authorization/elevateAccess", "User Access Administrator"));
        Step("persistence", Call(Next(), "Microsoft.Authorization/roleAssignments/write", $"{Subscription}/providers/Microsoft.Authorization/roleAssignments/{_backdoor}"));
        Step("credential-access", Call(Next(), "Microsoft.Storage/storageAccounts/listKeys/action", $"{Subscription}/resourceGroups/prod-rg/providers/Microsoft.Storage/storageAccounts/acmeprodbackups"));
        Step("execution", Call(Next(), "Microsoft.Compute/virtualMachines/runCommand/action", $"{Subscription}/resourceGroups/prod-rg/providers/Microsoft.Compute/virtualMachines/vm-payments-01"));
        Step("exfiltration", Call(Next(), "Microsoft.Compute/disks/beginGetAccess/action", $"{Subscription}/resourceGroups/prod-rg/providers/Microsoft.Compute/disks/vm-payments-01_OsDisk_1"));
    }

    /// <summary>More of the same: each data disk's snapshot exported, and the storage keys listed again now and then.</summary>
    protected override void Extra(int index) => Step(index % 5 == 4 ? "credential-access" : "exfiltration", index % 5 == 4
        ? Call(Next(5, 60), "Microsoft.Storage/storageAccounts/listKeys/action", $"{Subscription}/resourceGroups/prod-rg/providers/Microsoft.Storage/storageAccounts/acmeprodbackups")
        : Call(Next(5, 60), "Microsoft.Compute/snapshots/beginGetAccess/action", $"{Subscription}/resourceGroups/prod-rg/providers/Microsoft.Compute/snapshots/vm-payments-01-data-{index:D4}"));

    private AzureActivityEvent Call(DateTimeOffset time, string operation, string resourceId, string role = "Owner") => new()
    {
        Time = time,
        EventId = World.NewGuid(),
        Subscription = World.AzureSubscription,
        Tenant = World.AzureTenant,
        ResourceId = resourceId,
        Operation = operation,
        Caller = Admin + "@acme.example",
        CallerName = "Carol",
        CallerObjectId = World.EntraObjectId(Admin),
        CallerIp = _ip,
        Role = role,
        DurationMs = World.Random.Next(20, 4000),
    };
}

/// <summary>
/// A key of the deployment service account, leaked (from a repository or a CI log), used from the attacker's address with
/// a script's client in the Admin Activity audit log: a second key made for persistence, the project's IAM policy
/// changed, the audit log sink deleted, a bucket opened to everyone, then disk after disk snapshotted.
/// </summary>
internal sealed class LeakedGcpServiceAccountKey(World world) : Scenario(world)
{
    private readonly string _ip = world.AttackerIps[2];
    private const string Agent = "google-api-python-client/2.149.0 (gzip)";

    public override string InitialAccess => World.DeployServiceAccount;

    private string Project => $"projects/{World.GcpProject}";

    protected override void Core()
    {
        Step("persistence", Call(Next(), "iam.googleapis.com", "google.iam.admin.v1.CreateServiceAccountKey", "iam.serviceAccountKeys.create",
            $"projects/-/serviceAccounts/{InitialAccess}", "service_account"));
        Step("privilege-escalation", Call(Next(), "cloudresourcemanager.googleapis.com", "SetIamPolicy", "resourcemanager.projects.setIamPolicy", Project, "project"));
        Step("defense-evasion", Call(Next(), "logging.googleapis.com", "google.logging.v2.ConfigServiceV2.DeleteSink", "logging.sinks.delete",
            $"{Project}/sinks/audit-to-siem", "logging_sink"));
        Step("exfiltration", Call(Next(), "storage.googleapis.com", "storage.setIamPermissions", "storage.buckets.setIamPolicy",
            $"projects/_/buckets/{World.GcpProject}-datasets", "gcs_bucket"));
    }

    /// <summary>More of the same: the project's disks snapshotted one after another, to be copied out.</summary>
    protected override void Extra(int index)
    {
        var zone = "europe-west1-b";
        Step("collection", Call(Next(5, 40), "compute.googleapis.com", "v1.compute.disks.createSnapshot", "compute.disks.createSnapshot",
            $"{Project}/zones/{zone}/disks/batch-{index % 8 + 1}", "gce_disk", zone));
    }

    private GcpAuditEvent Call(DateTimeOffset time, string service, string method, string permission, string resource, string type, string? zone = null) => new()
    {
        Time = time,
        EventId = World.Hex(12),
        Project = World.GcpProject,
        Principal = InitialAccess,
        CallerIp = _ip,
        UserAgent = Agent,
        Service = service,
        Method = method,
        Permission = permission,
        ResourceName = resource,
        ResourceType = type,
        Zone = zone,
    };
}
