using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Firebreak.Testing;

/// <summary>Hand-written CloudTrail and GCP audit records of intrusions, as the providers write them, for the scope tests of every project.</summary>
public static class ScopeTrails
{
    public const string Account = "111122223333";
    public static readonly DateTimeOffset Start = new(2026, 3, 2, 8, 0, 0, TimeSpan.Zero);
    public const string AttackerIp = "198.51.100.66";
    public const string AttackerAgent = "python-requests/2.31.0";

    public static JsonObject User(string name, string key) => new()
    {
        ["type"] = "IAMUser",
        ["principalId"] = "AIDA" + name.ToUpperInvariant(),
        ["arn"] = $"arn:aws:iam::{Account}:user/{name}",
        ["accountId"] = Account,
        ["accessKeyId"] = key,
        ["userName"] = name,
    };

    public static JsonObject Session(string role, string session, string key) => new()
    {
        ["type"] = "AssumedRole",
        ["principalId"] = "AROA" + role.ToUpperInvariant() + ":" + session,
        ["arn"] = $"arn:aws:sts::{Account}:assumed-role/{role}/{session}",
        ["accountId"] = Account,
        ["accessKeyId"] = key,
        ["sessionContext"] = new JsonObject
        {
            ["sessionIssuer"] = new JsonObject
            {
                ["type"] = "Role",
                ["principalId"] = "AROA" + role.ToUpperInvariant(),
                ["arn"] = $"arn:aws:iam::{Account}:role/{role}",
                ["accountId"] = Account,
                ["userName"] = role,
            },
            ["attributes"] = new JsonObject { ["creationDate"] = "2026-03-02T08:00:00Z", ["mfaAuthenticated"] = "false" },
        },
    };

    public static string Trail(int minute, string id, JsonObject identity, string source, string name, JsonObject? request = null, JsonObject? response = null,
        string[]? resources = null, string? error = null, string ip = AttackerIp, string agent = AttackerAgent, string region = "us-east-1")
    {
        var record = new JsonObject
        {
            ["eventVersion"] = "1.09",
            ["userIdentity"] = identity.DeepClone(),
            ["eventTime"] = Start.AddMinutes(minute).ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture),
            ["eventSource"] = source,
            ["eventName"] = name,
            ["awsRegion"] = region,
            ["sourceIPAddress"] = ip,
            ["userAgent"] = agent,
            ["requestParameters"] = request,
            ["responseElements"] = response,
            ["eventID"] = id,
            ["eventType"] = "AwsApiCall",
            ["recipientAccountId"] = Account,
        };
        if (error is not null)
        {
            record["errorCode"] = error;
            record["errorMessage"] = "User is not authorized to perform this operation";
        }
        if (resources is not null)
            record["resources"] = new JsonArray([.. resources.Select(r => (JsonNode)new JsonObject { ["ARN"] = r, ["accountId"] = Account })]);
        return record.ToJsonString();
    }

    private static JsonObject Items(JsonObject item) => new() { ["items"] = new JsonArray(item) };

    public static JsonObject Credentials(string key) => new()
    {
        ["accessKeyId"] = key,
        ["sessionToken"] = "IQoJb3JpZ2luX2VjEXAMPLE",
        ["expiration"] = "Mar 2, 2026, 9:00:00 AM",
    };

    public static JsonObject Assumed(string role, string session, string key) => new()
    {
        ["credentials"] = Credentials(key),
        ["assumedRoleUser"] = new JsonObject
        {
            ["assumedRoleId"] = "AROA" + role.ToUpperInvariant() + ":" + session,
            ["arn"] = $"arn:aws:sts::{Account}:assumed-role/{role}/{session}",
        },
    };

    public static string Gcp(int minute, string id, string principal, string method, string service, string resourceName, JsonObject? response = null,
        string? delegatedBy = null, string? keyName = null)
    {
        var authentication = new JsonObject { ["principalEmail"] = principal };
        if (keyName is not null) authentication["serviceAccountKeyName"] = keyName;
        if (delegatedBy is not null)
            authentication["serviceAccountDelegationInfo"] = new JsonArray(new JsonObject { ["firstPartyPrincipal"] = new JsonObject { ["principalEmail"] = delegatedBy } });
        return new JsonObject
        {
            ["insertId"] = id,
            ["logName"] = "projects/acme-prod/logs/cloudaudit.googleapis.com%2Factivity",
            ["timestamp"] = Start.AddMinutes(minute).ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture),
            ["resource"] = new JsonObject { ["type"] = "service_account", ["labels"] = new JsonObject { ["project_id"] = "acme-prod" } },
            ["protoPayload"] = new JsonObject
            {
                ["@type"] = "type.googleapis.com/google.cloud.audit.AuditLog",
                ["serviceName"] = service,
                ["methodName"] = method,
                ["resourceName"] = resourceName,
                ["authenticationInfo"] = authentication,
                ["requestMetadata"] = new JsonObject { ["callerIp"] = "203.0.113.77", ["callerSuppliedUserAgent"] = "google-cloud-sdk gcloud/460.0.0" },
                ["status"] = new JsonObject(),
                ["response"] = response,
            },
        }.ToJsonString();
    }

    public const string Stolen = "AKIAALICESTOLEN00001";
    public const string AliceLegit = "AKIAALICELEGIT000001";
    public const string DeployKey = "ASIADEPLOYSESSION001";
    public const string AdminKey = "ASIAADMINSESSION0001";
    public const string BackdoorKey = "AKIABACKDOOR00000001";
    public const string BobKey = "AKIABOBEXAMPLE000001";
    public static readonly string Alice = $"arn:aws:iam::{Account}:user/alice";
    public static readonly string Backdoor = $"arn:aws:iam::{Account}:user/backdoor";
    public static readonly string DeployRole = $"arn:aws:iam::{Account}:role/DeployRole";
    public static readonly string AdminRole = $"arn:aws:iam::{Account}:role/AdminRole";
    public static readonly string DeploySession = $"arn:aws:sts::{Account}:assumed-role/DeployRole/build";
    public static readonly string AdminSession = $"arn:aws:sts::{Account}:assumed-role/AdminRole/ops";
    public const string Instance = "arn:aws:ec2:eu-west-1:111122223333:instance/i-0abc1234def567890";

    /// <summary>
    /// A stolen key of alice assumes DeployRole, whose session assumes AdminRole; the admin session creates a
    /// backdoor user and its key, changes a bucket policy, runs an instance, deletes the trail; the backdoor
    /// key reads an object. Alice's own key and bob work normally alongside.
    /// </summary>
    public static string ChainTrail()
    {
        var alice = User("alice", Stolen);
        var deploy = Session("DeployRole", "build", DeployKey);
        var admin = Session("AdminRole", "ops", AdminKey);
        return Lines(
            Trail(-600, "ev-legit", User("alice", AliceLegit), "s3.amazonaws.com", "ListBuckets", ip: "203.0.113.5", agent: "aws-cli/2.15.0"),
            Trail(0, "ev-first", alice, "sts.amazonaws.com", "GetCallerIdentity"),
            Trail(1, "ev-list", alice, "s3.amazonaws.com", "ListBuckets"),
            Trail(2, "ev-assume-deploy", alice, "sts.amazonaws.com", "AssumeRole",
                new JsonObject { ["roleArn"] = DeployRole, ["roleSessionName"] = "build" }, Assumed("DeployRole", "build", DeployKey), [DeployRole]),
            Trail(3, "ev-assume-admin", deploy, "sts.amazonaws.com", "AssumeRole",
                new JsonObject { ["roleArn"] = AdminRole, ["roleSessionName"] = "ops" }, Assumed("AdminRole", "ops", AdminKey), [AdminRole]),
            Trail(4, "ev-create-user", admin, "iam.amazonaws.com", "CreateUser", new JsonObject { ["userName"] = "backdoor" },
                new JsonObject { ["user"] = new JsonObject { ["arn"] = Backdoor, ["userName"] = "backdoor", ["userId"] = "AIDABACKDOOR", ["path"] = "/" } }),
            Trail(5, "ev-create-key", admin, "iam.amazonaws.com", "CreateAccessKey", new JsonObject { ["userName"] = "backdoor" },
                new JsonObject { ["accessKey"] = new JsonObject { ["accessKeyId"] = BackdoorKey, ["status"] = "Active", ["userName"] = "backdoor" } }),
            Trail(6, "ev-read", User("backdoor", BackdoorKey), "s3.amazonaws.com", "GetObject", new JsonObject { ["bucketName"] = "finance-data", ["key"] = "q3.csv" },
                resources: ["arn:aws:s3:::finance-data/q3.csv", "arn:aws:s3:::finance-data"]),
            Trail(7, "ev-policy", admin, "s3.amazonaws.com", "PutBucketPolicy", new JsonObject { ["bucketName"] = "finance-data" }),
            // EC2 lists no resources: RunInstances names the instance in its answer, ModifyInstanceAttribute in its request.
            Trail(8, "ev-run", admin, "ec2.amazonaws.com", "RunInstances",
                new JsonObject { ["instancesSet"] = Items(new JsonObject { ["imageId"] = "ami-029eb80bc237bec6f", ["minCount"] = 1, ["maxCount"] = 1 }), ["instanceType"] = "p4d.24xlarge" },
                new JsonObject { ["ownerId"] = Account, ["instancesSet"] = Items(new JsonObject { ["instanceId"] = "i-0abc1234def567890", ["imageId"] = "ami-029eb80bc237bec6f" }) },
                region: "eu-west-1"),
            Trail(9, "ev-delete-trail", admin, "cloudtrail.amazonaws.com", "DeleteTrail", new JsonObject { ["name"] = "org-trail" }),
            Trail(10, "ev-modify", admin, "ec2.amazonaws.com", "ModifyInstanceAttribute",
                new JsonObject { ["instanceId"] = "i-0abc1234def567890", ["userData"] = "<sensitiveDataRemoved>" }, region: "eu-west-1"),
            Trail(11, "ev-denied", admin, "s3.amazonaws.com", "GetObject", new JsonObject { ["bucketName"] = "hr-data" }, resources: ["arn:aws:s3:::hr-data/salaries.csv"], error: "AccessDenied"),
            Trail(12, "ev-drop", admin, "s3.amazonaws.com", "PutObject", new JsonObject { ["bucketName"] = "finance-data", ["key"] = "ransom.txt" }, resources: ["arn:aws:s3:::finance-data/ransom.txt"]),
            Trail(20, "ev-bob", User("bob", BobKey), "s3.amazonaws.com", "GetObject", new JsonObject { ["bucketName"] = "public-site" },
                resources: ["arn:aws:s3:::public-site/index.html"], ip: "203.0.113.9", agent: "aws-sdk-go/1.50"));
    }

    /// <summary>SAML federation into a session, GetFederationToken, and a GCP service account impersonated by a user.</summary>
    public static string FederationTrail()
    {
        var saml = new JsonObject
        {
            ["type"] = "SAMLUser",
            ["principalId"] = "Okta:eve@example.com",
            ["userName"] = "eve@example.com",
            ["identityProvider"] = $"arn:aws:iam::{Account}:saml-provider/Okta",
        };
        var samlSession = Session("SamlAdmin", "eve@example.com", "ASIASAMLSESSION00001");
        var federated = new JsonObject
        {
            ["type"] = "FederatedUser",
            ["principalId"] = $"{Account}:contractor",
            ["arn"] = $"arn:aws:sts::{Account}:federated-user/contractor",
            ["accountId"] = Account,
            ["accessKeyId"] = "ASIAFEDERATED0000001",
        };
        const string sa = "deployer@acme-prod.iam.gserviceaccount.com";
        return Lines(
            Trail(0, "fed-saml", saml, "sts.amazonaws.com", "AssumeRoleWithSAML",
                new JsonObject { ["roleArn"] = $"arn:aws:iam::{Account}:role/SamlAdmin", ["principalArn"] = $"arn:aws:iam::{Account}:saml-provider/Okta" },
                Assumed("SamlAdmin", "eve@example.com", "ASIASAMLSESSION00001"), ip: "192.0.2.10", agent: "Mozilla/5.0"),
            Trail(1, "fed-describe", samlSession, "ec2.amazonaws.com", "DescribeInstances", ip: "192.0.2.10", agent: "Mozilla/5.0"),
            Trail(2, "fed-token", User("bob", BobKey), "sts.amazonaws.com", "GetFederationToken", new JsonObject { ["name"] = "contractor" },
                new JsonObject
                {
                    ["credentials"] = Credentials("ASIAFEDERATED0000001"),
                    ["federatedUser"] = new JsonObject { ["federatedUserId"] = $"{Account}:contractor", ["arn"] = $"arn:aws:sts::{Account}:federated-user/contractor" },
                }, ip: "203.0.113.9", agent: "aws-sdk-go/1.50"),
            Trail(3, "fed-use", federated, "s3.amazonaws.com", "DeleteObject", new JsonObject { ["bucketName"] = "backups" },
                resources: ["arn:aws:s3:::backups/db.dump"], ip: "203.0.113.9", agent: "aws-sdk-go/1.50"),
            Gcp(4, "gcp-token", "mallory@example.com", "GenerateAccessToken", "iamcredentials.googleapis.com", $"projects/-/serviceAccounts/{sa}"),
            Gcp(5, "gcp-read", sa, "storage.objects.get", "storage.googleapis.com", "projects/_/buckets/acme-secrets/objects/keys.json", delegatedBy: "mallory@example.com"),
            Gcp(6, "gcp-key", sa, "google.iam.admin.v1.CreateServiceAccountKey", "iam.googleapis.com", $"projects/-/serviceAccounts/{sa}",
                new JsonObject { ["name"] = $"projects/acme-prod/serviceAccounts/{sa}/keys/0123abcd", ["keyAlgorithm"] = "KEY_ALG_RSA_2048" }, delegatedBy: "mallory@example.com"),
            Gcp(7, "gcp-use-key", sa, "storage.buckets.delete", "storage.googleapis.com", "projects/_/buckets/acme-logs",
                keyName: $"//iam.googleapis.com/projects/acme-prod/serviceAccounts/{sa}/keys/0123abcd"));
    }

    public static string Lines(params string[] records) => string.Join('\n', records) + "\n";

    public static string Json(object value) => JsonSerializer.Serialize(value);
}
