using Firebreak.Detection.Readers;
using Firebreak.Detection.Rules;
using Firebreak.Detection.Sigma;

namespace Firebreak.Detection.Tests.Sigma;

/// <summary>
/// SigmaHQ's AWS CloudTrail rules (and the built-in aws pack) against the same event as a CloudTrail record and
/// as Amazon Security Lake writes it in OCSF 1.1 (AWS's published mapping, ocsf/examples mappings/markdown/AWS/v1.1.0/
/// CloudTrail), each read as a hunt reads it (CloudLogReader with the rules' raw pre-filter).
/// </summary>
public class SecurityLakeRecordShapeTests
{
    private static readonly Lazy<CompiledRuleSet> Pack = new(() => BuiltInRules.Compile());

    private static async Task<List<string>> Hits(CompiledRuleSet rules, string json, bool byTitle = false) =>
        (await rules.MatchRecordAsync(json)).Select(r => byTitle ? r.Rule.Title : Path.GetFileName(r.Rule.Source.File)).ToList();

    // ---------------------------------------------------------------------------------------------------------------
    // 1. aws_sts_assumerole_misuse.yml: userIdentity.type AssumedRole and userIdentity.sessionContext.sessionIssuer.type Role.
    // Security Lake maps only the issuer's ARN (actor.session.issuer); the issuer's type is one of the fields "not present
    // in an explicit mapping" that go to the unmapped object, which Security Lake writes as a map of flattened CloudTrail
    // names (AWS's own sample: "unmapped": {"additionalEventData.MFAIdentifier": ..., "recipientAccountId": ...}).

    private const string AssumedRoleCloudTrail = """
        {"Records":[{"eventVersion":"1.09","userIdentity":{"type":"AssumedRole","principalId":"AROA4EXAMPLEBUILDROLE:ci-runner-42","arn":"arn:aws:sts::111122223333:assumed-role/ci-build/ci-runner-42","accountId":"111122223333","accessKeyId":"ASIA4EXAMPLESESSION1","sessionContext":{"sessionIssuer":{"type":"Role","principalId":"AROA4EXAMPLEBUILDROLE","arn":"arn:aws:iam::111122223333:role/ci-build","accountId":"111122223333","userName":"ci-build"},"attributes":{"creationDate":"2026-03-04T07:40:00Z","mfaAuthenticated":"false"}}},"eventTime":"2026-03-04T08:01:00Z","eventSource":"ec2.amazonaws.com","eventName":"DescribeInstances","awsRegion":"us-east-1","sourceIPAddress":"203.0.113.77","userAgent":"Boto3/1.34.131","requestParameters":{"maxResults":1000},"responseElements":null,"requestID":"1f2e3d4c-5b6a-4978-8a6b-5c4d3e2f1a01","eventID":"c3a1d7e0-2222-4333-8444-955566667772","readOnly":true,"eventType":"AwsApiCall","managementEvent":true,"recipientAccountId":"111122223333","eventCategory":"Management"}]}
        """;

    private const string AssumedRoleOcsfHead = """
        {"metadata":{"product":{"version":"1.09","name":"CloudTrail","vendor_name":"AWS","feature":{"name":"Management"}},"event_code":"AwsApiCall","uid":"c3a1d7e0-2222-4333-8444-955566667772","profiles":["cloud","datetime"],"version":"1.1.0"},"time":1772611260000,"time_dt":"2026-03-04T08:01:00.000Z","cloud":{"region":"us-east-1","provider":"AWS"},"api":{"operation":"DescribeInstances","service":{"name":"ec2.amazonaws.com"},"request":{"data":"{\"maxResults\":1000}","uid":"1f2e3d4c-5b6a-4978-8a6b-5c4d3e2f1a01"}},"actor":{"user":{"type":"AssumedRole","uid":"arn:aws:sts::111122223333:assumed-role/ci-build/ci-runner-42","uid_alt":"AROA4EXAMPLEBUILDROLE:ci-runner-42","account":{"uid":"111122223333"},"credential_uid":"ASIA4EXAMPLESESSION1"},"session":{"issuer":"arn:aws:iam::111122223333:role/ci-build","is_mfa":false,"created_time":1772610000000,"created_time_dt":"2026-03-04T07:40:00.000Z"}},"http_request":{"user_agent":"Boto3/1.34.131"},"src_endpoint":{"ip":"203.0.113.77"},"class_name":"API Activity","class_uid":6003,"category_uid":6,"status":"Success","status_id":1,"activity_name":"Read","activity_id":2,"type_uid":600302,
        """;

    // The unmapped map as Security Lake writes it: flattened CloudTrail names as keys (as in AWS's authentication.ocsf sample).
    private const string AssumedRoleOcsfFlat = AssumedRoleOcsfHead + """
        "unmapped":{"userIdentity.sessionContext.sessionIssuer.type":"Role","userIdentity.sessionContext.sessionIssuer.principalId":"AROA4EXAMPLEBUILDROLE","userIdentity.sessionContext.sessionIssuer.accountId":"111122223333","userIdentity.sessionContext.sessionIssuer.userName":"ci-build","readOnly":"true","managementEvent":"true","recipientAccountId":"111122223333"}}
        """;

    // The same with unmapped nested: both spellings of the key are read.
    private const string AssumedRoleOcsfNested = AssumedRoleOcsfHead + """
        "unmapped":{"userIdentity":{"sessionContext":{"sessionIssuer":{"type":"Role","principalId":"AROA4EXAMPLEBUILDROLE","accountId":"111122223333","userName":"ci-build"}}},"readOnly":"true","managementEvent":"true","recipientAccountId":"111122223333"}}
        """;

    [Theory]
    [InlineData("CloudTrail (control)", AssumedRoleCloudTrail)]
    [InlineData("Security Lake OCSF, unmapped nested", AssumedRoleOcsfNested)]
    [InlineData("Security Lake OCSF, unmapped with flattened keys (as Security Lake writes it)", AssumedRoleOcsfFlat)]
    public async Task AssumeRoleMisuse_MatchesCloudTrailAndSecurityLake(string shape, string json)
    {
        Assert.True((await Hits(SigmaTestRules.SigmaHq.Value, json)).Contains("aws_sts_assumerole_misuse.yml"), $"aws_sts_assumerole_misuse.yml missed the {shape}");
    }

    // ---------------------------------------------------------------------------------------------------------------
    // 2. ConsoleLogin without MFA: aws_cloudtrail_console_login_success_without_mfa.yml (additionalEventData.MFAUsed: 'NO',
    // responseElements.ConsoleLogin: 'Success') and the built-in console_login_without_mfa.yml (MFAUsed 'No'). AWS's
    // Authentication mapping: "is_mfa | additionalEventData.MFAUsed" (a boolean), "status | responseElements.ConsoleLogin";
    // MFAUsed is then no longer in unmapped (AWS's sample keeps only additionalEventData.MFAIdentifier / .MobileVersion).

    private const string ConsoleLoginCloudTrail = """
        {"Records":[{"eventVersion":"1.08","userIdentity":{"type":"IAMUser","principalId":"AIDACKCEVSQ6C2EXAMPLE","arn":"arn:aws:iam::111122223333:user/anaya","accountId":"111122223333","userName":"anaya"},"eventTime":"2026-03-04T08:00:00Z","eventSource":"signin.amazonaws.com","eventName":"ConsoleLogin","awsRegion":"us-east-1","sourceIPAddress":"192.0.2.10","userAgent":"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0 Safari/537.36","requestParameters":null,"responseElements":{"ConsoleLogin":"Success"},"additionalEventData":{"LoginTo":"https://console.aws.amazon.com/console/home?state=hashArgs%23&isauthcode=true","MobileVersion":"No","MFAUsed":"No"},"eventID":"fed06f42-cb12-4764-8c69-000000000001","readOnly":false,"eventType":"AwsConsoleSignIn","managementEvent":true,"recipientAccountId":"111122223333","eventCategory":"Management","tlsDetails":{"tlsVersion":"TLSv1.3","cipherSuite":"TLS_AES_128_GCM_SHA256","clientProvidedHostHeader":"signin.aws.amazon.com"}}]}
        """;

    // As AWS's v1.1.0 Authentication sample writes it (authentication.ocsf), with MFAUsed "No" in place of "Yes".
    private const string ConsoleLoginOcsf = """
        {"activity_id":1,"activity_name":"Logon","actor":{"user":{"account":{"uid":"111122223333"},"name":"anaya","type":"IAMUser","uid":"arn:aws:iam::111122223333:user/anaya","uid_alt":"AIDACKCEVSQ6C2EXAMPLE"}},"api":{"operation":"ConsoleLogin","request":{"uid":"''"},"response":{"data":"{\"ConsoleLogin\":\"Success\"}"},"service":{"name":"signin.amazonaws.com"}},"category_name":"Identity & Access Management","category_uid":3,"class_name":"Authentication","class_uid":3002,"cloud":{"provider":"AWS","region":"us-east-1"},"dst_endpoint":{"svc_name":"https://console.aws.amazon.com/console/home?state=hashArgs%23&isauthcode=true"},"http_request":{"user_agent":"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0 Safari/537.36"},"is_mfa":false,"metadata":{"event_code":"AwsConsoleSignIn","product":{"feature":{"name":"Management"},"name":"CloudTrail","vendor_name":"AWS","version":"1.08"},"profiles":["cloud","datetime"],"uid":"fed06f42-cb12-4764-8c69-000000000001","version":"1.1.0"},"severity":"Informational","severity_id":1,"src_endpoint":{"ip":"192.0.2.10"},"status":"Success","status_id":1,"time":1772611200000,"time_dt":"2026-03-04T08:00:00.000Z","type_name":"Authentication: Logon","type_uid":300201,"unmapped":{"additionalEventData.MobileVersion":"No","recipientAccountId":"111122223333"},"user":{"uid":"arn:aws:iam::111122223333:user/anaya","uid_alt":"AIDACKCEVSQ6C2EXAMPLE"}}
        """;

    [Theory]
    [InlineData("CloudTrail (control)", ConsoleLoginCloudTrail)]
    [InlineData("Security Lake OCSF Authentication", ConsoleLoginOcsf)]
    public async Task ConsoleLoginWithoutMfa_SigmaHq_MatchesCloudTrailAndSecurityLake(string shape, string json)
    {
        Assert.True((await Hits(SigmaTestRules.SigmaHq.Value, json)).Contains("aws_cloudtrail_console_login_success_without_mfa.yml"),
            $"aws_cloudtrail_console_login_success_without_mfa.yml missed the {shape}");
    }

    [Theory]
    [InlineData("CloudTrail (control)", ConsoleLoginCloudTrail)]
    [InlineData("Security Lake OCSF Authentication", ConsoleLoginOcsf)]
    public async Task ConsoleLoginWithoutMfa_BuiltIn_MatchesCloudTrailAndSecurityLake(string shape, string json)
    {
        Assert.True((await Hits(Pack.Value, json, byTitle: true)).Contains("Console Sign-In Without MFA"), $"Console Sign-In Without MFA missed the {shape}");
    }

    [Fact]
    public async Task ConsoleLoginWithMfa_IsNotWithoutMfa_InEitherShape()
    {
        var withMfaTrail = ConsoleLoginCloudTrail.Replace("\"MFAUsed\":\"No\"", "\"MFAUsed\":\"Yes\"", StringComparison.Ordinal);
        var withMfaLake = ConsoleLoginOcsf.Replace("\"is_mfa\":false", "\"is_mfa\":true", StringComparison.Ordinal);
        Assert.DoesNotContain("aws_cloudtrail_console_login_success_without_mfa.yml", await Hits(SigmaTestRules.SigmaHq.Value, withMfaTrail));
        Assert.DoesNotContain("aws_cloudtrail_console_login_success_without_mfa.yml", await Hits(SigmaTestRules.SigmaHq.Value, withMfaLake));
    }

    // ---------------------------------------------------------------------------------------------------------------
    // 3. Fields reached in both shapes: errorCode (null / 'Success'), errorMessage, requestParameters.*, requestParameters|contains,
    // responseElements.*, userAgent, eventSource, userIdentity.type; api.request.data / api.response.data as JSON text
    // (Parquet's string columns) and as objects.

    private static string Lake(string operation, string service, string extraApi, string extra = "", string userType = "IAMUser", int classUid = 6003) => $$$"""
        {"metadata":{"product":{"version":"1.09","name":"CloudTrail","vendor_name":"AWS","feature":{"name":"Management"}},"event_code":"AwsApiCall","uid":"e-{{{operation}}}","profiles":["cloud","datetime"],"version":"1.1.0"},"time":1772611200000,"time_dt":"2026-03-04T08:00:00.000Z","cloud":{"region":"us-east-1","provider":"AWS"},"api":{"operation":"{{{operation}}}","service":{"name":"{{{service}}}"}{{{extraApi}}}},"actor":{"user":{"type":"{{{userType}}}","name":"mallory","uid":"arn:aws:iam::111122223333:user/mallory","uid_alt":"AIDA4EXAMPLEMALLORY1","account":{"uid":"111122223333"},"credential_uid":"AKIA4EXAMPLEMALLORY1"}},"http_request":{"user_agent":"aws-cli/2.17.3"},"src_endpoint":{"ip":"192.0.2.200"},"class_uid":{{{classUid}}},"unmapped":{"recipientAccountId":"111122223333","readOnly":"false"}{{{extra}}}}
        """;

    public static TheoryData<string, string> FoundRight() => new()
    {
        // errorCode: null in the success selection of several rules.
        { "aws_cloudtrail_ssm_malicious_usage.yml", Lake("SendCommand", "ssm.amazonaws.com", ",\"request\":{\"data\":\"{\\\"documentName\\\":\\\"AWS-RunShellScript\\\"}\"}", ",\"status\":\"Success\",\"status_id\":1") },
        { "aws_cloudtrail_vpc_flow_logs_deleted.yml", Lake("DeleteFlowLogs", "ec2.amazonaws.com", "", ",\"status\":\"Success\",\"status_id\":1") },
        // requestParameters.attribute through api.request.data as JSON text.
        { "aws_ec2_startup_script_change.yml", Lake("ModifyInstanceAttribute", "ec2.amazonaws.com", ",\"request\":{\"data\":\"{\\\"instanceId\\\":\\\"i-0abc\\\",\\\"attribute\\\":\\\"userData\\\"}\"}") },
        // requestParameters|contains over the whole request.
        { "aws_disable_bucket_versioning.yml", Lake("PutBucketVersioning", "s3.amazonaws.com", ",\"request\":{\"data\":\"{\\\"bucketName\\\":\\\"finance\\\",\\\"VersioningConfiguration\\\":{\\\"Status\\\":\\\"Suspended\\\"}}\"}") },
        // requestParameters.enable a boolean false, object form.
        { "aws_cloudtrail_guardduty_detector_deleted_or_updated.yml", Lake("UpdateDetector", "guardduty.amazonaws.com", ",\"request\":{\"data\":{\"detectorId\":\"12abc\",\"enable\":false}}") },
        // requestParameters.containerDefinitions.command through a list.
        { "aws_ecs_task_definition_cred_endpoint_query.yml", Lake("RegisterTaskDefinition", "ecs.amazonaws.com", ",\"request\":{\"data\":\"{\\\"containerDefinitions\\\":[{\\\"command\\\":[\\\"sh\\\",\\\"-c\\\",\\\"curl 169.254.170.2$AWS_CONTAINER_CREDENTIALS_RELATIVE_URI\\\"]}]}\"}") },
        // responseElements.publiclyAccessible as JSON text.
        { "aws_rds_public_db_restore.yml", Lake("RestoreDBInstanceFromDBSnapshot", "rds.amazonaws.com", ",\"response\":{\"data\":\"{\\\"publiclyAccessible\\\":true,\\\"dBInstanceIdentifier\\\":\\\"db1\\\"}\"}") },
        { "aws_rds_change_master_password.yml", Lake("ModifyDBInstance", "rds.amazonaws.com", ",\"response\":{\"data\":\"{\\\"pendingModifiedValues\\\":{\\\"masterUserPassword\\\":\\\"****\\\"}}\"}") },
        // userAgent.
        { "aws_sts_getcalleridentity_trufflehog.yml", Lake("GetCallerIdentity", "sts.amazonaws.com", "").Replace("aws-cli/2.17.3", "TruffleHog", StringComparison.Ordinal) },
        // userIdentity.type in Authentication (3002) for GetSessionToken.
        { "aws_sts_getsessiontoken_misuse.yml", Lake("GetSessionToken", "sts.amazonaws.com", "", classUid: 3002) },
        // Root, eventType via metadata.event_code.
        { "aws_root_account_usage.yml", Lake("ListUsers", "iam.amazonaws.com", "", userType: "Root") },
    };

    [Theory]
    [MemberData(nameof(FoundRight))]
    public async Task SecurityLakeRecord_MatchesTheRule(string rule, string json)
    {
        Assert.Contains(rule, await Hits(SigmaTestRules.SigmaHq.Value, json));
    }

    [Fact]
    public async Task ConsoleLoginFailed_ErrorMessage_MatchesSecurityLake()
    {
        var failed = ConsoleLoginOcsf
            .Replace("\"data\":\"{\\\"ConsoleLogin\\\":\\\"Success\\\"}\"", "\"data\":\"{\\\"ConsoleLogin\\\":\\\"Failure\\\"}\",\"message\":\"Failed authentication\"", StringComparison.Ordinal)
            .Replace("\"status\":\"Success\",\"status_id\":1", "\"status\":\"Failure\",\"status_id\":2", StringComparison.Ordinal);
        Assert.NotEqual(ConsoleLoginOcsf, failed);
        Assert.Contains("aws_cloudtrail_console_login_failed_authentication.yml", await Hits(SigmaTestRules.SigmaHq.Value, failed));
    }

    [Fact]
    public async Task FailedCall_IsNotASuccess_InSecurityLake()
    {
        var denied = Lake("DeleteFlowLogs", "ec2.amazonaws.com", ",\"response\":{\"error\":\"Client.UnauthorizedOperation\",\"message\":\"You are not authorized\"}", ",\"status\":\"Failure\",\"status_id\":2");
        Assert.DoesNotContain("aws_cloudtrail_vpc_flow_logs_deleted.yml", await Hits(SigmaTestRules.SigmaHq.Value, denied));
    }

    // ---------------------------------------------------------------------------------------------------------------
    // 4. Built-in iam_access_key_created_for_other_user.yml: filter_self `requestParameters.userName|fieldref:
    // userIdentity.userName`. An assumed role has no userIdentity.userName, so in CloudTrail the filter cannot hold and the
    // rule fires. OCSF's top-level user.name is, in AWS's Account Change mapping, the *target* user ("user.name | ...
    // requestParameters.userName ..."): taken as the actor's, the filter compared the target with itself and dropped the
    // event. The top-level user is the actor only in a record without actor.user.

    private const string KeyForOtherCloudTrail = """
        {"Records":[{"eventVersion":"1.09","userIdentity":{"type":"AssumedRole","principalId":"AROA2W7SOKHEXAMPLE:Admin-user","arn":"arn:aws:sts::111122223333:assumed-role/Admin/Admin-user","accountId":"111122223333","accessKeyId":"ASIA2W7SOKHEXAMPLE1","sessionContext":{"sessionIssuer":{"type":"Role","principalId":"AROA2W7SOKHEXAMPLE","arn":"arn:aws:iam::111122223333:role/Admin","accountId":"111122223333","userName":"Admin"},"attributes":{"creationDate":"2026-03-04T07:40:00Z","mfaAuthenticated":"false"}}},"eventTime":"2026-03-04T08:02:00Z","eventSource":"iam.amazonaws.com","eventName":"CreateAccessKey","awsRegion":"us-east-1","sourceIPAddress":"198.51.100.9","userAgent":"aws-cli/2.17.3","requestParameters":{"userName":"victim"},"responseElements":{"accessKey":{"accessKeyId":"AKIA4EXAMPLEVICTIM01","status":"Active","userName":"victim","createDate":"Mar 4, 2026 8:02:00 AM"}},"requestID":"r-key-1","eventID":"e-key-1","readOnly":false,"eventType":"AwsApiCall","managementEvent":true,"recipientAccountId":"111122223333","eventCategory":"Management"}]}
        """;

    private static string KeyForOtherOcsf(int classUid, string user) => $$$"""
        {"activity_id":1,"activity_name":"Create","actor":{"session":{"created_time":1772610000000,"created_time_dt":"2026-03-04T07:40:00Z","is_mfa":false,"issuer":"arn:aws:iam::111122223333:role/Admin"},"user":{"account":{"uid":"111122223333"},"credential_uid":"ASIA2W7SOKHEXAMPLE1","type":"AssumedRole","uid":"arn:aws:sts::111122223333:assumed-role/Admin/Admin-user","uid_alt":"AROA2W7SOKHEXAMPLE:Admin-user"}},"api":{"operation":"CreateAccessKey","request":{"data":"{\"userName\":\"victim\"}","uid":"r-key-1"},"response":{"data":"{\"accessKey\":{\"accessKeyId\":\"AKIA4EXAMPLEVICTIM01\",\"status\":\"Active\",\"userName\":\"victim\"}}"},"service":{"name":"iam.amazonaws.com"}},"class_uid":{{{classUid}}},"cloud":{"provider":"AWS","region":"us-east-1"},"http_request":{"user_agent":"aws-cli/2.17.3"},"metadata":{"event_code":"AwsApiCall","product":{"feature":{"name":"Management"},"name":"CloudTrail","vendor_name":"AWS","version":"1.09"},"profiles":["cloud","datetime"],"uid":"e-key-1","version":"1.1.0"},"src_endpoint":{"ip":"198.51.100.9"},"status":"Success","status_id":1,"time":1772611320000,"unmapped":{"recipientAccountId":"111122223333"}{{{user}}}}
        """;

    public static TheoryData<string, string> KeyForOtherShapes() => new()
    {
        { "CloudTrail (control)", KeyForOtherCloudTrail },
        { "Security Lake OCSF API Activity (6003)", KeyForOtherOcsf(6003, "") },
        { "Security Lake OCSF Account Change (3001), user = the target", KeyForOtherOcsf(3001, ",\"user\":{\"name\":\"victim\",\"uid\":\"AROA2W7SOKHEXAMPLE:Admin-user\"}") },
    };

    [Theory]
    [MemberData(nameof(KeyForOtherShapes))]
    public async Task AccessKeyForAnotherUser_ByAnAssumedRole_MatchesEveryShape(string shape, string json)
    {
        Assert.True((await Hits(Pack.Value, json, byTitle: true)).Contains("Access Key Created for Another User"), $"Access Key Created for Another User missed the {shape}");
    }
}
