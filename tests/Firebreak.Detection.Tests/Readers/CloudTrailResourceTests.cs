using System.Text;
using Firebreak.Detection.Events;
using Firebreak.Detection.Readers;

namespace Firebreak.Detection.Tests.Readers;

/// <summary>
/// The resources of CloudTrail management events that list none: EC2's, SSM's, Lambda's and RDS's calls name their
/// targets in the request or the answer, and the scope of an incident, its containment targets and a hit's resources
/// depend on reading them there.
/// </summary>
public class CloudTrailResourceTests
{
    private static async Task<CloudEvent> Read(string source, string name, string request, string response = "null", string region = "us-east-1", string resources = "")
    {
        var record = $$"""{"eventVersion":"1.08","userIdentity":{"type":"IAMUser","arn":"arn:aws:iam::111122223333:user/mallory","accountId":"111122223333","userName":"mallory"},"eventTime":"2026-03-02T08:00:00Z","eventSource":"{{source}}","eventName":"{{name}}","awsRegion":"{{region}}","sourceIPAddress":"203.0.113.50","requestParameters":{{request}},"responseElements":{{response}},{{resources}}"eventID":"r-1","recipientAccountId":"111122223333"}""";
        var reader = new CloudLogReader();
        var events = await reader.ReadAllAsync(new MemoryStream(Encoding.UTF8.GetBytes(record)), "trail.jsonl");
        Assert.Empty(reader.Summary.Problems);
        return Assert.Single(events);
    }

    private static (string? Type, string Uid, string? Name)[] Listed(CloudEvent e) => [.. e.Resources.Select(r => (r.Type, r.Uid, r.Name))];

    [Fact]
    public async Task RunInstances_NamesTheInstancesItStarted_FromItsAnswer()
    {
        // The shape of a recorded RunInstances: the request names the image inside instancesSet, the answer the instances.
        var e = await Read("ec2.amazonaws.com", "RunInstances",
            """{"instancesSet":{"items":[{"imageId":"ami-029eb80bc237bec6f","minCount":2,"maxCount":2}]},"instanceType":"t3.micro"}""",
            """{"requestId":"8f1e","reservationId":"r-0a1b","ownerId":"111122223333","instancesSet":{"items":[{"instanceId":"i-0dbc91f429e48eeed","imageId":"ami-029eb80bc237bec6f"},{"instanceId":"i-05c30218156bcc246","imageId":"ami-029eb80bc237bec6f"}]}}""");

        Assert.Equal(
            [
                ("AWS::EC2::Instance", "arn:aws:ec2:us-east-1:111122223333:instance/i-0dbc91f429e48eeed", "i-0dbc91f429e48eeed"),
                ("AWS::EC2::Instance", "arn:aws:ec2:us-east-1:111122223333:instance/i-05c30218156bcc246", "i-05c30218156bcc246"),
            ],
            Listed(e));
    }

    [Theory]
    [InlineData("ModifyInstanceAttribute", """{"instanceId":"i-0123456789abcdef0","userData":"<sensitiveDataRemoved>"}""", "null", "AWS::EC2::Instance", "arn:aws:ec2:us-east-1:111122223333:instance/i-0123456789abcdef0")]
    [InlineData("StopInstances", """{"instancesSet":{"items":[{"instanceId":"i-0123456789abcdef0"}]},"force":false}""", "null", "AWS::EC2::Instance", "arn:aws:ec2:us-east-1:111122223333:instance/i-0123456789abcdef0")]
    [InlineData("AuthorizeSecurityGroupIngress", """{"groupId":"sg-0123456789abcdef0","ipPermissions":{}}""", "null", "AWS::EC2::SecurityGroup", "arn:aws:ec2:us-east-1:111122223333:security-group/sg-0123456789abcdef0")]
    [InlineData("ModifySecurityGroupRules", """{"ModifySecurityGroupRulesRequest":{"GroupId":"sg-0123456789abcdef0","SecurityGroupRule":{"SecurityGroupRuleId":"sgr-1","tag":1}}}""", "null", "AWS::EC2::SecurityGroup", "arn:aws:ec2:us-east-1:111122223333:security-group/sg-0123456789abcdef0")]
    [InlineData("CreateSecurityGroup", """{"groupName":"open","groupDescription":"x","vpcId":"vpc-1"}""", """{"_return":true,"groupId":"sg-0fedcba9876543210"}""", "AWS::EC2::SecurityGroup", "arn:aws:ec2:us-east-1:111122223333:security-group/sg-0fedcba9876543210")]
    // A snapshot's and an image's ARN names no account.
    [InlineData("ModifySnapshotAttribute", """{"snapshotId":"snap-0123456789abcdef0","createVolumePermission":{"add":{"items":[{"userId":"444455556666"}]}},"attributeType":"CREATE_VOLUME_PERMISSION"}""", "null", "AWS::EC2::Snapshot", "arn:aws:ec2:us-east-1::snapshot/snap-0123456789abcdef0")]
    [InlineData("ModifyImageAttribute", """{"imageId":"ami-0123456789abcdef0","launchPermission":{"add":{"items":[{"group":"all"}]}},"attributeType":"launchPermission"}""", "null", "AWS::EC2::Image", "arn:aws:ec2:us-east-1::image/ami-0123456789abcdef0")]
    [InlineData("DeleteVolume", """{"volumeId":"vol-0123456789abcdef0"}""", "null", "AWS::EC2::Volume", "arn:aws:ec2:us-east-1:111122223333:volume/vol-0123456789abcdef0")]
    public async Task Ec2Calls_NameTheirTarget(string name, string request, string response, string type, string uid)
    {
        var e = await Read("ec2.amazonaws.com", name, request, response);

        Assert.Equal(type, Assert.Single(e.Resources).Type);
        Assert.Equal(uid, e.Resources[0].Uid);
    }

    [Fact]
    public async Task CreateSnapshot_NamesTheVolume_AndTheSnapshotItMade()
    {
        var e = await Read("ec2.amazonaws.com", "CreateSnapshot", """{"volumeId":"vol-0123456789abcdef0","description":"x"}""",
            """{"requestId":"1","snapshotId":"snap-0123456789abcdef0","volumeId":"vol-0123456789abcdef0","status":"pending"}""");

        Assert.Equal(
            ["arn:aws:ec2:us-east-1:111122223333:volume/vol-0123456789abcdef0", "arn:aws:ec2:us-east-1::snapshot/snap-0123456789abcdef0"],
            e.Resources.Select(r => r.Uid));
    }

    [Fact]
    public async Task AnIdOfAnotherKind_IsNotTakenForAnInstance()
    {
        // Ids of other kinds (a VPC, a network interface) where an instance or a group may stand, and a group by name, name nothing.
        var e = await Read("ec2.amazonaws.com", "CreateTags", """{"resourcesSet":{"items":[{"resourceId":"vpc-1"}]},"instanceId":"eni-0123","groupId":"default"}""");

        Assert.Empty(e.Resources);
    }

    [Fact]
    public async Task SsmCalls_NameTheInstancesTheyRunOn_AndTheParameters()
    {
        var send = await Read("ssm.amazonaws.com", "SendCommand", """{"instanceIds":["i-0123456789abcdef0","i-0fedcba9876543210"],"documentName":"AWS-RunShellScript","parameters":"HIDDEN_DUE_TO_SECURITY_REASONS"}""");
        var session = await Read("ssm.amazonaws.com", "StartSession", """{"target":"i-0123456789abcdef0"}""");
        var parameters = await Read("ssm.amazonaws.com", "GetParameters", """{"names":["/prod/db/password","api-key"],"withDecryption":true}""");
        var document = await Read("ssm.amazonaws.com", "CreateDocument", """{"name":"not-a-parameter","content":"{}"}""");

        Assert.Equal(["i-0123456789abcdef0", "i-0fedcba9876543210"], send.Resources.Select(r => r.Name));
        Assert.Equal("arn:aws:ec2:us-east-1:111122223333:instance/i-0123456789abcdef0", Assert.Single(session.Resources).Uid);
        Assert.Equal(
            ["arn:aws:ssm:us-east-1:111122223333:parameter/prod/db/password", "arn:aws:ssm:us-east-1:111122223333:parameter/api-key"],
            parameters.Resources.Select(r => r.Uid));
        Assert.Empty(document.Resources);
    }

    [Theory]
    [InlineData("stratus-func")]
    [InlineData("stratus-func:live")]
    [InlineData("111122223333:function:stratus-func")]
    [InlineData("arn:aws:lambda:us-east-1:111122223333:function:stratus-func")]
    [InlineData("arn:aws:lambda:us-east-1:111122223333:function:stratus-func:3")]
    public async Task ALambdaFunction_IsOneResource_HoweverTheCallNamesIt(string function)
    {
        var e = await Read("lambda.amazonaws.com", "AddPermission20150331v2", $$"""{"functionName":"{{function}}","statementId":"backdoor","action":"lambda:InvokeFunction","principal":"*"}""");

        Assert.Equal([("AWS::Lambda::Function", "arn:aws:lambda:us-east-1:111122223333:function:stratus-func", "stratus-func")], Listed(e));
    }

    [Fact]
    public async Task EventSelectors_NameTheTrail()
    {
        var e = await Read("cloudtrail.amazonaws.com", "PutEventSelectors", """{"trailName":"org-trail","eventSelectors":[{"readWriteType":"WriteOnly","includeManagementEvents":false}]}""");

        Assert.Equal([("AWS::CloudTrail::Trail", "org-trail", "org-trail")], Listed(e));
    }

    [Theory]
    // The recorded shape: Stratus's secret reads give the secret's ARN, with the suffix AWS adds to its name.
    [InlineData("arn:aws:secretsmanager:us-east-1:111122223333:secret:stratus-red-team-retrieve-secret-9-7ChiHt", "arn:aws:secretsmanager:us-east-1:111122223333:secret:stratus-red-team-retrieve-secret-9-7ChiHt", "stratus-red-team-retrieve-secret-9")]
    [InlineData("prod/db/password", "prod/db/password", "prod/db/password")]
    public async Task SecretReads_NameTheSecret(string secretId, string uid, string name)
    {
        var e = await Read("secretsmanager.amazonaws.com", "GetSecretValue", $$"""{"secretId":"{{secretId}}","versionStage":"AWSCURRENT"}""");

        Assert.Equal([("AWS::SecretsManager::Secret", uid, name)], Listed(e));
    }

    [Fact]
    public async Task GuardDutyAndFlowLogCalls_NameTheDetectorAndTheFlowLogs()
    {
        var detector = await Read("guardduty.amazonaws.com", "DeleteDetector", """{"detectorId":"6ec1aa76c9c3020a93af9e89a5a3a439"}""");
        var one = await Read("ec2.amazonaws.com", "DeleteFlowLogs", """{"DeleteFlowLogsRequest":{"FlowLogId":{"tag":1,"content":"fl-064ed3a785e4a37ef"}}}""");
        var two = await Read("ec2.amazonaws.com", "DeleteFlowLogs", """{"DeleteFlowLogsRequest":{"FlowLogId":[{"tag":1,"content":"fl-064ed3a785e4a37ef"},{"tag":2,"content":"fl-0aaaaaaaaaaaaaaaa"}]}}""");

        Assert.Equal([("AWS::GuardDuty::Detector", "arn:aws:guardduty:us-east-1:111122223333:detector/6ec1aa76c9c3020a93af9e89a5a3a439", "6ec1aa76c9c3020a93af9e89a5a3a439")], Listed(detector));
        Assert.Equal([("AWS::EC2::FlowLog", "arn:aws:ec2:us-east-1:111122223333:vpc-flow-log/fl-064ed3a785e4a37ef", "fl-064ed3a785e4a37ef")], Listed(one));
        Assert.Equal(["fl-064ed3a785e4a37ef", "fl-0aaaaaaaaaaaaaaaa"], two.Resources.Select(r => r.Name));
    }

    [Fact]
    public async Task RdsCalls_NameTheDatabaseAndTheSnapshot()
    {
        var e = await Read("rds.amazonaws.com", "CreateDBSnapshot", """{"dBInstanceIdentifier":"orders","dBSnapshotIdentifier":"exfiltration"}""");

        Assert.Equal(
            ["arn:aws:rds:us-east-1:111122223333:db:orders", "arn:aws:rds:us-east-1:111122223333:snapshot:exfiltration"],
            e.Resources.Select(r => r.Uid));
    }

    [Theory]
    [InlineData("cn-north-1", "arn:aws-cn:ec2:cn-north-1:111122223333:instance/i-0123456789abcdef0")]
    [InlineData("us-gov-west-1", "arn:aws-us-gov:ec2:us-gov-west-1:111122223333:instance/i-0123456789abcdef0")]
    public async Task ChinaAndGovCloud_HaveTheirOwnPartition(string region, string uid)
    {
        var e = await Read("ec2.amazonaws.com", "TerminateInstances", """{"instancesSet":{"items":[{"instanceId":"i-0123456789abcdef0"}]}}""", region: region);

        Assert.Equal(uid, Assert.Single(e.Resources).Uid);
    }

    [Fact]
    public async Task ARecordListingItsResources_KeepsItsOwnList()
    {
        var e = await Read("ec2.amazonaws.com", "StopInstances", """{"instancesSet":{"items":[{"instanceId":"i-0123456789abcdef0"}]}}""",
            resources: "\"resources\":[{\"accountId\":\"111122223333\",\"type\":\"AWS::EC2::Instance\",\"ARN\":\"arn:aws:ec2:us-east-1:111122223333:instance/i-0aaaaaaaaaaaaaaaa\"}],");

        Assert.Equal("arn:aws:ec2:us-east-1:111122223333:instance/i-0aaaaaaaaaaaaaaaa", Assert.Single(e.Resources).Uid);
    }

    [Fact]
    public async Task InTheRecordedDataset_EveryInstanceStartedOrChanged_IsNamed()
    {
        var dataset = TestData.SharedData("cloudtrail/invictus-aws-dataset");
        var events = await new CloudLogReader().ReadAllAsync(Path.Combine(dataset, "*.json"));

        var started = events.Where(e => e.Operation == "RunInstances" && e.Outcome == EventOutcome.Success).ToList();
        Assert.NotEmpty(started);
        Assert.All(started, e => Assert.Contains(e.Resources, r => r.Type == "AWS::EC2::Instance"));
        Assert.All(events.Where(e => e.Operation is "ModifyInstanceAttribute" or "TerminateInstances"), e => Assert.Contains(e.Resources, r => r.Type == "AWS::EC2::Instance"));
        Assert.All(events.Where(e => e.Operation == "ModifySnapshotAttribute"), e => Assert.Contains(e.Resources, r => r.Type == "AWS::EC2::Snapshot"));
        Assert.All(events.Where(e => e.Service == "lambda.amazonaws.com"), e => Assert.Contains(e.Resources, r => r.Type == "AWS::Lambda::Function"));
        var secretReads = events.Where(e => e.Operation == "GetSecretValue").ToList();
        Assert.NotEmpty(secretReads);
        Assert.All(secretReads, e => Assert.Contains(e.Resources, r => r.Type == "AWS::SecretsManager::Secret"));
        Assert.All(events.Where(e => e.Operation == "DeleteFlowLogs"), e => Assert.Contains(e.Resources, r => r.Type == "AWS::EC2::FlowLog"));
    }
}
