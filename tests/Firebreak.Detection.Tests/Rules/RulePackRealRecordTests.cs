using System.Text;
using Firebreak.Detection.Hunting;
using Firebreak.Detection.Readers;
using Firebreak.Detection.Rules;
using Firebreak.Detection.Sigma;
using Firebreak.Detection.Tests.Sigma;

namespace Firebreak.Detection.Tests.Rules;

/// <summary>
/// The built-in pack against whole records as the providers write them, read through the real reader: the embedded
/// test events of each rule hold only the fields it looks at, and these prove the rules catch the real thing.
/// </summary>
public class RulePackRealRecordTests
{
    private static readonly Lazy<CompiledRuleSet> Pack = new(() => BuiltInRules.Compile());

    private static CancellationToken Token => TestContext.Current.CancellationToken;

    private static async Task<List<string>> TitlesFor(string json, string name) =>
        (await Pack.Value.MatchRecordAsync(json, name)).Select(m => m.Rule.Title).ToList();

    private static async Task<List<HuntHit>> Hunt(string json, string name)
    {
        var reader = new CloudLogReader();
        var hunt = new Hunt(Pack.Value, new HuntOptions { Workers = 1 });
        var hits = await hunt.RunAsync(reader.ReadStreamAsync(new MemoryStream(Encoding.UTF8.GetBytes(json)), name, Token), Token).ToListAsync(Token);
        Assert.Empty(reader.Summary.Problems);
        return hits;
    }

    private static string CloudTrail(string eventSource, string eventName, string requestParameters, string category = "Management", string time = "2026-01-15T10:00:00Z", string id = "e1") => $$"""
        {"eventVersion":"1.09","userIdentity":{"type":"IAMUser","principalId":"AIDAEXAMPLE","arn":"arn:aws:iam::111122223333:user/mallory","accountId":"111122223333","accessKeyId":"AKIAEXAMPLE","userName":"mallory"},
        "eventTime":"{{time}}","eventSource":"{{eventSource}}","eventName":"{{eventName}}","awsRegion":"us-east-1","sourceIPAddress":"203.0.113.7","userAgent":"aws-cli/2.15.0",
        "requestParameters":{{requestParameters}},"responseElements":null,"requestID":"r-{{id}}","eventID":"{{id}}","readOnly":false,"eventType":"AwsApiCall",
        "managementEvent":{{(category == "Management" ? "true" : "false")}},"recipientAccountId":"111122223333","eventCategory":"{{category}}"}
        """;

    [Theory]
    // Real GPU, accelerator and memory families, whose names the old prefixes (p3., trn1, x1e.) left out.
    [InlineData("p3dn.24xlarge", true)]
    [InlineData("trn2.48xlarge", true)]
    [InlineData("p6-b200.48xlarge", true)]
    [InlineData("x1.32xlarge", true)]
    [InlineData("g4dn.xlarge", true)]
    [InlineData("c7i.metal-24xl", true)]
    [InlineData("c5.metal", true)]
    [InlineData("m5.large", false)]
    public async Task UnusualInstanceTypes_AreCaughtByFamily(string instanceType, bool caught)
    {
        var record = CloudTrail("ec2.amazonaws.com", "RunInstances",
            $$"""{"instancesSet":{"items":[{"imageId":"ami-029eb80bc237bec6f","minCount":1,"maxCount":10}]},"instanceType":"{{instanceType}}","subnetId":"subnet-096553f59d783f082","disableApiTermination":false}""");
        var titles = await TitlesFor("{\"Records\":[" + record + "]}", "runinstances.json");
        Assert.Equal(caught, titles.Contains("Instances Launched With GPU, Accelerator or Bare-Metal Types"));
    }

    [Theory]
    // Each way of asking for instances but RunInstances, as CloudTrail writes the request: the EC2 query API's own names
    // (lowerCamel) for a Spot request and a type change, the request object's names (PascalCase, items numbered by
    // "tag") for fleets and launch templates, and Auto Scaling's launch configuration.
    [InlineData("ec2.amazonaws.com", "RequestSpotInstances", """{"spotPrice":"5.00","instanceCount":20,"type":"one-time","launchSpecification":{"imageId":"ami-0123","instanceType":"{{type}}","keyName":"x"}}""")]
    [InlineData("ec2.amazonaws.com", "CreateFleet", """{"CreateFleetRequest":{"TargetCapacitySpecification":{"TotalTargetCapacity":20,"DefaultTargetCapacityType":"spot"},"Type":"instant","LaunchTemplateConfigs":{"LaunchTemplateSpecification":{"LaunchTemplateId":"lt-0123","Version":1},"Overrides":[{"InstanceType":"m5.large","tag":1},{"InstanceType":"{{type}}","tag":2}],"tag":1},"ClientToken":"c1"}}""")]
    [InlineData("ec2.amazonaws.com", "CreateLaunchTemplate", """{"CreateLaunchTemplateRequest":{"LaunchTemplateName":"worker","LaunchTemplateData":{"UserData":"<sensitiveDataRemoved>","ImageId":"ami-0123","InstanceType":"{{type}}","SecurityGroupId":[{"tag":1,"content":"sg-0123"}]}}}""")]
    [InlineData("ec2.amazonaws.com", "CreateLaunchTemplateVersion", """{"CreateLaunchTemplateVersionRequest":{"LaunchTemplateId":"lt-0123","SourceVersion":"1","LaunchTemplateData":{"InstanceType":"{{type}}"}}}""")]
    [InlineData("ec2.amazonaws.com", "ModifyInstanceAttribute", """{"instanceId":"i-0123456789abcdef0","instanceType":{"value":"{{type}}"}}""")]
    [InlineData("autoscaling.amazonaws.com", "CreateLaunchConfiguration", """{"launchConfigurationName":"workers","imageId":"ami-0123","instanceType":"{{type}}","instanceMonitoring":{"enabled":true}}""")]
    public async Task UnusualInstanceTypes_AreCaughtWhicheverCallAsksForThem(string eventSource, string eventName, string requestParameters)
    {
        const string Title = "Instances Launched With GPU, Accelerator or Bare-Metal Types";
        foreach (var (type, caught) in new[] { ("p4d.24xlarge", true), ("c7i.metal-24xl", true), ("t3.large", false) })
        {
            var record = CloudTrail(eventSource, eventName, requestParameters.Replace("{{type}}", type, StringComparison.Ordinal));
            var titles = await TitlesFor("{\"Records\":[" + record + "]}", "launch.json");
            Assert.True(caught == titles.Contains(Title), $"{eventName} of {type}: expected caught={caught}, got [{string.Join(", ", titles)}]");
        }
    }

    [Theory]
    // The console's "Block all public access" unticked: the block is set again with its settings off, not deleted.
    [InlineData("false", "false", true)]
    [InlineData("true", "false", true)]
    [InlineData("true", "true", false)]
    public async Task BlockPublicAccessTurnedOff_IsCaught_ThoughNothingWasDeleted(string acls, string policy, bool caught)
    {
        var record = CloudTrail("s3.amazonaws.com", "PutBucketPublicAccessBlock",
            $$$"""{"publicAccessBlock":"","bucketName":"acme-customer-data","Host":"acme-customer-data.s3.amazonaws.com","PublicAccessBlockConfiguration":{"xmlns":"http://s3.amazonaws.com/doc/2006-03-01/","RestrictPublicBuckets":true,"BlockPublicPolicy":{{{policy}}},"BlockPublicAcls":{{{acls}}},"IgnorePublicAcls":true}}""");
        var titles = await TitlesFor("{\"Records\":[" + record + "]}", "block.json");
        Assert.Equal(caught, titles.Contains("S3 Block Public Access Removed or Weakened"));
    }

    [Fact]
    public async Task AnUploadedServiceAccountKey_IsCaught_AsACreatedOne()
    {
        // gcloud iam service-accounts keys upload: the key's private half never passed through Google.
        const string LogEntry = """
            [{"protoPayload":{"@type":"type.googleapis.com/google.cloud.audit.AuditLog","status":{},
              "authenticationInfo":{"principalEmail":"mallory@example.com"},
              "requestMetadata":{"callerIp":"203.0.113.7","callerSuppliedUserAgent":"google-cloud-sdk gcloud/460.0.0 command/gcloud.iam.service-accounts.keys.upload"},
              "serviceName":"iam.googleapis.com","methodName":"google.iam.admin.v1.UploadServiceAccountKey",
              "authorizationInfo":[{"resource":"projects/-/serviceAccounts/112233445566778899","permission":"iam.serviceAccountKeys.create","granted":true,"resourceAttributes":{}}],
              "resourceName":"projects/-/serviceAccounts/112233445566778899",
              "request":{"@type":"type.googleapis.com/google.iam.admin.v1.UploadServiceAccountKeyRequest","name":"projects/-/serviceAccounts/backup@prod-123.iam.gserviceaccount.com"}},
             "insertId":"1abc","resource":{"type":"service_account","labels":{"email_id":"backup@prod-123.iam.gserviceaccount.com","project_id":"prod-123","unique_id":"112233445566778899"}},
             "timestamp":"2026-01-15T10:00:00.123Z","severity":"NOTICE","logName":"projects/prod-123/logs/cloudaudit.googleapis.com%2Factivity"}]
            """;
        Assert.Contains("GCP Service Account Key Created or Uploaded", await TitlesFor(LogEntry, "gcp-audit.json"));
    }

    [Theory]
    // Each DeleteObjects request deletes up to 1,000 objects; counted as one deletion each, 50 of them (up to 50,000
    // objects) stayed under the 200 deletions of the single-object count.
    [InlineData(50, true)]
    [InlineData(10, true)]
    [InlineData(9, false)]
    public async Task BatchDeletions_AreCountedOnTheirOwn(int requests, bool caught)
    {
        var records = Enumerable.Range(0, requests).Select(i => CloudTrail("s3.amazonaws.com", "DeleteObjects",
            """{"bucketName":"backups","Host":"backups.s3.us-east-1.amazonaws.com","delete":""}""", "Data", $"2026-01-15T10:{i / 10:00}:{i % 10 * 6:00}Z", $"00000000-0000-0000-0000-{i:000000000000}"));
        var hits = await Hunt("{\"Records\":[" + string.Join(",", records) + "]}", "s3-data-events.json");
        Assert.Equal(caught, hits.Any(h => h.Title == "Mass Batch Deletion From S3"));
        Assert.DoesNotContain(hits, h => h.Title == "Mass Deletion From S3");
    }

    [Fact]
    public async Task ALambdaFunctionOpenedToEveryone_IsCaught_AndOneOpenedToAServiceIsNot()
    {
        // As CloudTrail records lambda add-permission --principal '*', its API version in the event name.
        var open = CloudTrail("lambda.amazonaws.com", "AddPermission20150331v2",
            """{"functionName":"billing-export","statementId":"backdoor","action":"lambda:InvokeFunction","principal":"*"}""");
        var service = CloudTrail("lambda.amazonaws.com", "AddPermission20150331v2",
            """{"functionName":"billing-export","statementId":"s3-trigger","action":"lambda:InvokeFunction","principal":"s3.amazonaws.com","sourceArn":"arn:aws:s3:::uploads"}""");
        Assert.Contains("Lambda Function Opened to Any Principal", await TitlesFor("{\"Records\":[" + open + "]}", "lambda.json"));
        Assert.DoesNotContain("Lambda Function Opened to Any Principal", await TitlesFor("{\"Records\":[" + service + "]}", "lambda.json"));
    }

    [Theory]
    // A lifecycle rule that erases the trail's bucket a day after each delivery, as CloudTrail records the request.
    [InlineData("""{"Status":"Enabled","Filter":{"Prefix":"*"},"Expiration":{"Days":1},"ID":"nuke-after-1-day"}""", true)]
    [InlineData("""[{"Status":"Enabled","Expiration":{"Days":365},"ID":"a-year"},{"Status":"Enabled","Expiration":{"Days":3},"ID":"sneaky"}]""", true)]
    [InlineData("""{"Status":"Enabled","Expiration":{"Days":400},"ID":"retention"}""", false)]
    [InlineData("""{"Status":"Enabled","Transition":{"Days":30,"StorageClass":"GLACIER"},"ID":"archive"}""", false)]
    public async Task ALifecycleRuleExpiringObjectsFast_IsCaught(string rule, bool caught)
    {
        var record = CloudTrail("s3.amazonaws.com", "PutBucketLifecycle",
            $$"""{"lifecycle":"","bucketName":"org-trail-logs","LifecycleConfiguration":{"xmlns":"http://s3.amazonaws.com/doc/2006-03-01/","Rule":{{rule}}},"Host":"org-trail-logs.s3.us-east-1.amazonaws.com"}""");
        var titles = await TitlesFor("{\"Records\":[" + record + "]}", "lifecycle.json");
        Assert.Equal(caught, titles.Contains("S3 Lifecycle Rule Expiring Objects Within a Week"));
    }
}
