using System.Text;
using Firebreak.Detection.Events;
using Firebreak.Detection.Readers;

namespace Firebreak.Detection.Tests.Readers;

/// <summary>CloudTrail, CloudTrail Lake, Security Lake and EventBridge records at the edges of their mapping into the normalised event.</summary>
public class CloudTrailMappingEdgeTests
{
    private static async Task<List<CloudEvent>> Read(string content, string name)
    {
        var reader = new CloudLogReader();
        var events = await reader.ReadAllAsync(new MemoryStream(Encoding.UTF8.GetBytes(content)), name);
        Assert.Empty(reader.Summary.Problems);
        return events;
    }

    [Fact]
    public async Task LakeRow_ResourcesColumn_AsJsonText_IsMapped()
    {
        // A CloudTrail Lake row carries nested columns as JSON text (the mapper itself Dynamic()s userIdentity,
        // requestParameters, responseElements...). resources is such a column: the AssumeRole's target role is in it.
        const string row = """{"QueryResultRows":[[{"eventVersion":"1.08"},{"eventID":"lake-assume"},{"eventTime":"2026-03-04 07:30:12.000"},{"eventSource":"sts.amazonaws.com"},{"eventName":"AssumeRole"},{"awsRegion":"us-east-1"},{"recipientAccountId":"111122223333"},{"userIdentity":"{\"type\":\"IAMUser\",\"arn\":\"arn:aws:iam::111122223333:user/devops-alice\",\"accountId\":\"111122223333\",\"accessKeyId\":\"AKIA4EXAMPLEALICE001\",\"userName\":\"devops-alice\"}"},{"requestParameters":"{\"roleArn\":\"arn:aws:iam::111122223333:role/OrgAdmin\",\"roleSessionName\":\"x\"}"},{"resources":"[{\"accountId\":\"111122223333\",\"type\":\"AWS::IAM::Role\",\"ARN\":\"arn:aws:iam::111122223333:role/OrgAdmin\"}]"}]]}""";

        var e = Assert.Single(await Read(row, "lake.json"));

        Assert.Contains(e.Resources, r => r.Uid == "arn:aws:iam::111122223333:role/OrgAdmin" && r.Type == "AWS::IAM::Role");
    }

    [Fact]
    public async Task SecurityLake_AwsServiceCaller_KeepsItsServiceAsActorAndSource()
    {
        // The same call CloudTrail maps to Actor.Uid = "ec2.amazonaws.com", SourceIp = "ec2.amazonaws.com". Security Lake writes
        // userIdentity.invokedBy as actor.invoked_by and a non-IP sourceIPAddress as src_endpoint.domain (FieldMappings says so).
        const string line = """{"metadata":{"product":{"name":"CloudTrail","vendor_name":"AWS"},"uid":"ocsf-svc-1","version":"1.1.0"},"time":1772611200000,"cloud":{"region":"us-east-1","provider":"AWS","account":{"uid":"111122223333"}},"api":{"operation":"AssumeRole","service":{"name":"sts.amazonaws.com"}},"actor":{"user":{"type":"AWSService"},"invoked_by":"ec2.amazonaws.com"},"src_endpoint":{"domain":"ec2.amazonaws.com"},"http_request":{"user_agent":"ec2.amazonaws.com"},"class_uid":6003,"status":"Success","status_id":1}""";
        const string trail = """{"eventVersion":"1.08","userIdentity":{"type":"AWSService","invokedBy":"ec2.amazonaws.com"},"eventTime":"2026-03-04T08:00:00Z","eventSource":"sts.amazonaws.com","eventName":"AssumeRole","awsRegion":"us-east-1","sourceIPAddress":"ec2.amazonaws.com","userAgent":"ec2.amazonaws.com","eventID":"ct-svc-1","recipientAccountId":"111122223333"}""";

        var ocsf = Assert.Single(await Read(line, "lake.jsonl"));
        var ct = Assert.Single(await Read(trail, "trail.jsonl"));

        Assert.Equal("ec2.amazonaws.com", ct.Actor.Uid);
        Assert.Equal(ct.Actor.Uid, ocsf.Actor.Uid);
        Assert.Equal(ct.SourceIp, ocsf.SourceIp);
    }

    [Fact]
    public async Task FailedConsoleLogin_WithAnUnknownUserName_NamesNoUser()
    {
        // AWS masks a user name that matches no user: userName HIDDEN_DUE_TO_SECURITY_REASONS. It is not a user's name;
        // every password-spray attempt against a non-existent user must not group under one fake user.
        const string record = """{"eventVersion":"1.08","userIdentity":{"type":"IAMUser","accountId":"111122223333","accessKeyId":"","userName":"HIDDEN_DUE_TO_SECURITY_REASONS"},"eventTime":"2026-03-02T08:00:00Z","eventSource":"signin.amazonaws.com","eventName":"ConsoleLogin","awsRegion":"us-east-1","sourceIPAddress":"203.0.113.50","userAgent":"Mozilla/5.0","errorMessage":"No username found in supplied account","requestParameters":null,"responseElements":{"ConsoleLogin":"Failure"},"additionalEventData":{"LoginTo":"https://console.aws.amazon.com/console/home","MobileVersion":"No","MFAUsed":"No"},"eventID":"hidden-1","eventType":"AwsConsoleSignIn","recipientAccountId":"111122223333"}""";

        var e = Assert.Single(await Read(record, "signin.jsonl"));

        Assert.Equal(EventOutcome.Failure, e.Outcome);
        Assert.NotEqual("HIDDEN_DUE_TO_SECURITY_REASONS", e.Actor.Name);
    }

    [Fact]
    public async Task IdentityCenterSignIn_NamesTheUserFromAdditionalEventData()
    {
        // IAM Identity Center writes the signing-in user's name only in additionalEventData.UserName (CredentialChallenge,
        // UserAuthentication); userIdentity carries the opaque user id.
        const string record = """{"eventVersion":"1.10","userIdentity":{"type":"IdentityCenterUser","accountId":"111122223333","onBehalfOf":{"userId":"544894e8-80c1-707f-60e3-3ba6510dfac1","identityStoreArn":"arn:aws:identitystore::111122223333:identitystore/d-9067642ac7"},"credentialId":"EXAMPLEcredential"},"eventTime":"2026-03-02T08:00:00Z","eventSource":"signin.amazonaws.com","eventName":"CredentialChallenge","awsRegion":"us-east-1","sourceIPAddress":"203.0.113.50","userAgent":"Mozilla/5.0","requestParameters":null,"responseElements":null,"additionalEventData":{"AuthWorkflowID":"9de74b32-8362-4a01-a524-de21df59fd83","CredentialType":"PASSWORD","UserName":"alice@example.com"},"serviceEventDetails":{"CredentialChallenge":"Success"},"eventID":"idc-1","eventType":"AwsServiceEvent","recipientAccountId":"111122223333"}""";

        var e = Assert.Single(await Read(record, "idc.jsonl"));

        Assert.Equal("alice@example.com", e.Actor.Name);
    }

    [Theory]
    // AWS Transfer Family's CreateUser names an SFTP user (and the IAM role it will use), not an IAM user.
    [InlineData("transfer.amazonaws.com", "CreateUser", """{"serverId":"s-01234567890abcdef","userName":"exfil","role":"arn:aws:iam::111122223333:role/transfer-s3"}""")]
    // ElastiCache's CreateUser names a Redis user.
    [InlineData("elasticache.amazonaws.com", "CreateUser", """{"userId":"exfil","userName":"exfil","engine":"redis","accessString":"on ~* +@all"}""")]
    // Lightsail's CreateBucket names a Lightsail bucket, not the S3 bucket arn:aws:s3:::exfil (which may be anyone's).
    [InlineData("lightsail.amazonaws.com", "CreateBucket", """{"bucketName":"exfil","bundleId":"small_1_0"}""")]
    public async Task RequestNamesOfOtherServices_AreNotTakenForIamUsersOrS3Buckets(string source, string name, string request)
    {
        var record = $$"""{"eventVersion":"1.08","userIdentity":{"type":"IAMUser","arn":"arn:aws:iam::111122223333:user/mallory","accountId":"111122223333","userName":"mallory"},"eventTime":"2026-03-02T08:00:00Z","eventSource":"{{source}}","eventName":"{{name}}","awsRegion":"us-east-1","sourceIPAddress":"203.0.113.50","requestParameters":{{request}},"responseElements":null,"eventID":"other-1","recipientAccountId":"111122223333"}""";

        var e = Assert.Single(await Read(record, "other.jsonl"));

        Assert.DoesNotContain(e.Resources, r => r.Type is "AWS::IAM::User" or "AWS::S3::Bucket");
    }

    // The detail-types CloudTrail sends to EventBridge (AWS's EventBridge docs list them) include Insights events and network
    // activity events (AwsVpceEvent, from VPC endpoints): their detail is read as the other kinds' is.
    [Fact]
    public async Task EventBridge_InsightEvent_IsUnwrapped()
    {
        var envelope = "{\"version\":\"0\",\"id\":\"e-1\",\"detail-type\":\"AWS Insight via CloudTrail\",\"source\":\"aws.cloudtrail\",\"account\":\"111122223333\",\"time\":\"2026-01-15T08:10:00Z\",\"region\":\"us-east-1\",\"resources\":[],\"detail\":"
            + CloudTrailReaderTests.InsightStart + "}";

        var e = Assert.Single(await Read(envelope, "eventbridge.json"));

        Assert.Equal("ApiCallRateInsight Start: CreateAccessKey", e.Operation);
    }

    [Fact]
    public async Task EventBridge_NetworkActivityEvent_IsUnwrapped()
    {
        // AWS's documented VpceAccessDenied example: a caller of another account denied by the VPC endpoint policy.
        const string detail = """{"eventVersion":"1.09","userIdentity":{"type":"AWSAccount","principalId":"AKIAIOSFODNN7EXAMPLE","accountId":"777788889999"},"eventTime":"2024-07-15T23:57:12Z","eventSource":"kms.amazonaws.com","eventName":"ListKeys","awsRegion":"us-east-1","sourceIPAddress":"192.0.2.0","errorCode":"VpceAccessDenied","errorMessage":"The request was denied due to a VPC endpoint policy","requestID":"16bcc089-ac49-43f1-9177-EXAMPLE23731","eventID":"vpce-denied-1","eventType":"AwsVpceEvent","recipientAccountId":"123456789012","sharedEventID":"a1f3720c-ef19-47e9-a5d5-EXAMPLE8099f","vpcEndpointId":"vpce-EXAMPLE08c1b6b9b7","vpcEndpointAccountId":"123456789012","eventCategory":"NetworkActivity"}""";
        var envelope = "{\"version\":\"0\",\"id\":\"e-2\",\"detail-type\":\"AWS Network Activity Event via CloudTrail\",\"source\":\"aws.kms\",\"account\":\"123456789012\",\"time\":\"2024-07-15T23:57:12Z\",\"region\":\"us-east-1\",\"resources\":[],\"detail\":" + detail + "}";

        var e = Assert.Single(await Read(envelope, "eventbridge.json"));

        Assert.Equal(("ListKeys", EventOutcome.Failure, "VpceAccessDenied"), (e.Operation, e.Outcome, e.ErrorCode));
    }
}
