using Firebreak.Detection.Hunting;

namespace Firebreak.Detection.Tests.Rules;

/// <summary>
/// The built-in pack as detection content: whole provider records (as CloudTrail, Entra ID and Cloud Audit Logs write
/// them) read through the real reader, with the pack's raw pre-filter as <c>firebreak hunt</c> uses it. Attacks the pack
/// covers must be caught in the shapes the providers really write, and benign records that only look like them (a grant
/// limited to the organisation, a refused call) must not be reported as the attack.
/// </summary>
public class BuiltInPackCoverageTests
{
    private static Task<List<HuntHit>> Hunt(string json, string name) => PackHunt.RunAsync(json, name);

    private static string Describe(IEnumerable<HuntHit> hits) => PackHunt.Describe(hits);

    private const string Mallory = """{"type":"IAMUser","principalId":"AIDAEXAMPLEMALLORY01","arn":"arn:aws:iam::111122223333:user/mallory","accountId":"111122223333","accessKeyId":"AKIAEXAMPLEMALLORY01","userName":"mallory"}""";

    /// <summary>A whole CloudTrail management (or data) event as CloudTrail delivers it to S3.</summary>
    private static string CloudTrail(string eventSource, string eventName, string requestParameters, string time = "2026-01-15T10:00:00Z",
        string id = "0d3c1c52-3a0e-4f7e-9d55-2f1b9b3c0001", string userIdentity = Mallory, string responseElements = "null", bool readOnly = false,
        string category = "Management", string userAgent = "aws-cli/2.15.0 md/awscrt#0.19.19 ua/2.0 os/linux#6.5 md/arch#x86_64 lang/python#3.11.6")
        => $$"""
        {"eventVersion":"1.09","userIdentity":{{userIdentity}},"eventTime":"{{time}}","eventSource":"{{eventSource}}","eventName":"{{eventName}}",
         "awsRegion":"us-east-1","sourceIPAddress":"203.0.113.7","userAgent":"{{userAgent}}","requestParameters":{{requestParameters}},
         "responseElements":{{responseElements}},"requestID":"r-{{id}}","eventID":"{{id}}","readOnly":{{(readOnly ? "true" : "false")}},"eventType":"AwsApiCall",
         "managementEvent":{{(category == "Management" ? "true" : "false")}},"recipientAccountId":"111122223333","eventCategory":"{{category}}",
         "tlsDetails":{"tlsVersion":"TLSv1.3","cipherSuite":"TLS_AES_128_GCM_SHA256","clientProvidedHostHeader":"{{eventSource}}"} }
        """;

    private static string Records(params string[] records) => "{\"Records\":[" + string.Join(",", records) + "]}";

    // ------------------------------------------------------------------------------------------------------------------
    // S3 Block Public Access: PutPublicAccessBlock replaces the whole configuration, and a setting the request leaves out
    // is off. CloudTrail records the XML body as sent, so the settings turned off by omission are not in the record.
    // ------------------------------------------------------------------------------------------------------------------

    [Theory]
    // aws s3api put-public-access-block --bucket b --public-access-block-configuration BlockPublicAcls=true,IgnorePublicAcls=true
    // (ACLs still blocked, public bucket policies now allowed: the two policy settings are off).
    [InlineData("""{"xmlns":"http://s3.amazonaws.com/doc/2006-03-01/","BlockPublicAcls":true,"IgnorePublicAcls":true}""")]
    // An empty configuration: all four off, the same as "Block all public access" unticked.
    [InlineData("""{"xmlns":"http://s3.amazonaws.com/doc/2006-03-01/"}""")]
    public async Task BlockPublicAccess_SetAgainWithSettingsLeftOut_IsCaughtAsWeakened(string configuration)
    {
        var record = CloudTrail("s3.amazonaws.com", "PutBucketPublicAccessBlock",
            $$"""{"publicAccessBlock":"","bucketName":"acme-customer-data","Host":"acme-customer-data.s3.amazonaws.com","PublicAccessBlockConfiguration":{{configuration}}}""");
        var hits = await Hunt(Records(record), "bpa.json");
        Assert.True(hits.Any(h => h.Title == "S3 Block Public Access Removed or Weakened"), Describe(hits));
    }

    // ------------------------------------------------------------------------------------------------------------------
    // S3 lifecycle: an Expiration by Date deletes every object in scope on that date, whatever its age. On the trail's
    // bucket it erases the audit log exactly as the Days form does.
    // ------------------------------------------------------------------------------------------------------------------

    [Fact]
    public async Task ALifecycleRuleExpiringEveryObjectOnADate_IsCaught()
    {
        var record = CloudTrail("s3.amazonaws.com", "PutBucketLifecycle",
            """{"lifecycle":"","bucketName":"org-trail-logs","LifecycleConfiguration":{"xmlns":"http://s3.amazonaws.com/doc/2006-03-01/","Rule":{"Status":"Enabled","Filter":{"Prefix":""},"Expiration":{"Date":"2026-01-16T00:00:00Z"},"ID":"purge"}},"Host":"org-trail-logs.s3.us-east-1.amazonaws.com"}""");
        var hits = await Hunt(Records(record), "lifecycle.json");
        Assert.True(hits.Any(h => h.Title == "S3 Lifecycle Rule Expiring Objects Within a Week"), Describe(hits));
    }

    // ------------------------------------------------------------------------------------------------------------------
    // S3 bucket policy: a policy handing the bucket to another account (Stratus Red Team's
    // aws.exfiltration.s3-backdoor-bucket-policy, in the invictus data set) is exfiltration, as the same grant on a
    // snapshot or an AMI is; a wildcard principal limited to the organisation is not public.
    // ------------------------------------------------------------------------------------------------------------------

    [Fact]
    public async Task ABucketPolicyGrantingAnOutsideAccount_IsCaughtAsExfiltration()
    {
        var record = CloudTrail("s3.amazonaws.com", "PutBucketPolicy",
            """{"bucketPolicy":{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::193672423079:root"},"Action":["s3:GetObject","s3:GetBucketLocation","s3:ListBucket"],"Resource":["arn:aws:s3:::acme-customer-data/*","arn:aws:s3:::acme-customer-data"]}]},"bucketName":"acme-customer-data","Host":"acme-customer-data.s3.amazonaws.com","policy":""}""");
        var hits = await Hunt(Records(record), "bucket-policy.json");
        Assert.True(hits.Any(h => h.Tags.Contains("attack.t1537") || h.Tags.Contains("attack.exfiltration")), Describe(hits));
    }

    [Fact]
    public async Task ABucketPolicyOpenOnlyToTheOrganisation_IsNotReportedAsPublic()
    {
        // Principal "*" limited by aws:PrincipalOrgID: S3 itself (Block Public Access, Access Analyzer) does not call this
        // public, and it is the standard way to share a bucket across an organisation's accounts.
        var record = CloudTrail("s3.amazonaws.com", "PutBucketPolicy",
            """{"bucketPolicy":{"Version":"2012-10-17","Statement":[{"Sid":"OrgRead","Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::shared-artifacts/*","Condition":{"StringEquals":{"aws:PrincipalOrgID":"o-a1b2c3d4e5"}}}]},"bucketName":"shared-artifacts","Host":"shared-artifacts.s3.amazonaws.com","policy":""}""");
        var hits = await Hunt(Records(record), "bucket-policy.json");
        Assert.False(hits.Any(h => h.Title == "S3 Bucket Policy or ACL Grants Public Access"), Describe(hits));
    }

    [Fact]
    public async Task ALambdaPermissionForTheOrganisationOnly_IsNotReportedAsOpenToAnyPrincipal()
    {
        // lambda add-permission --principal '*' --principal-org-id o-a1b2c3d4e5: only the organisation's accounts may invoke,
        // not "anyone, from any account".
        var record = CloudTrail("lambda.amazonaws.com", "AddPermission20150331v2",
            """{"functionName":"shared-resolver","statementId":"org-invoke","action":"lambda:InvokeFunction","principal":"*","principalOrgID":"o-a1b2c3d4e5"}""",
            responseElements: """{"statement":"{\"Sid\":\"org-invoke\",\"Effect\":\"Allow\",\"Principal\":\"*\",\"Action\":\"lambda:InvokeFunction\",\"Resource\":\"arn:aws:lambda:us-east-1:111122223333:function:shared-resolver\",\"Condition\":{\"StringEquals\":{\"aws:PrincipalOrgID\":\"o-a1b2c3d4e5\"}}}"}""");
        var hits = await Hunt(Records(record), "lambda.json");
        Assert.False(hits.Any(h => h.Title == "Lambda Function Opened to Any Principal"), Describe(hits));
    }

    // ------------------------------------------------------------------------------------------------------------------
    // Bursts of secrets access: SecureString parameters read with decryption (Stratus Red Team's
    // aws.credential-access.ssm-retrieve-securestring-parameters) are the other secrets store, counted as Secrets
    // Manager reads are.
    // ------------------------------------------------------------------------------------------------------------------

    [Fact]
    public async Task ABurstOfSecureStringParametersReadWithDecryption_IsCaught()
    {
        var records = Enumerable.Range(0, 42).Select(i => CloudTrail("ssm.amazonaws.com", "GetParameter",
            $$"""{"name":"/credentials/prod/credentials-{{i}}","withDecryption":true}""",
            time: $"2026-01-15T10:00:{i:00}Z", id: $"0d3c1c52-3a0e-4f7e-9d55-{i:000000000000}", readOnly: true));
        var hits = await Hunt(Records([.. records]), "ssm.json");
        Assert.True(hits.Any(h => h.Kind == HuntHitKind.Correlation && h.Tags.Contains("attack.credential-access")), Describe(hits));
    }

    // ------------------------------------------------------------------------------------------------------------------
    // Failed calls: a refused DeleteObject deletes nothing, so the impact correlation does not count it.
    // ------------------------------------------------------------------------------------------------------------------

    [Fact]
    public async Task DeletionsRefusedWithAccessDenied_AreNotReportedAsMassDeletion()
    {
        // A principal without s3:DeleteObject trying 250 keys: every call refused, no object gone. "Mass Deletion From S3"
        // (high, T1485 impact) says objects were deleted and sends responders to restore data that is all still there.
        var records = Enumerable.Range(0, 250).Select(i =>
        {
            var record = CloudTrail("s3.amazonaws.com", "DeleteObject",
                $$"""{"bucketName":"backups","Host":"backups.s3.us-east-1.amazonaws.com","key":"db/2026-01-{{i % 28 + 1:00}}/part-{{i:0000}}.dump"}""",
                time: $"2026-01-15T10:0{i / 50}:{i % 50:00}Z", id: $"0d3c1c52-3a0e-4f7e-9d55-{i:000000000000}", category: "Data",
                responseElements: "null");
            return record.Replace("\"eventType\":\"AwsApiCall\"", "\"eventType\":\"AwsApiCall\",\"errorCode\":\"AccessDenied\",\"errorMessage\":\"Access Denied\"", StringComparison.Ordinal);
        });
        var hits = await Hunt(Records([.. records]), "s3-data-events.json");
        Assert.False(hits.Any(h => h.Title == "Mass Deletion From S3"), Describe(hits));
    }

    // ------------------------------------------------------------------------------------------------------------------
    // Defence evasion beyond switching a service off.
    // ------------------------------------------------------------------------------------------------------------------

    [Fact]
    public async Task AGuardDutyTrustedIpListAdded_IsCaught()
    {
        // A trusted IP list: GuardDuty raises no finding for traffic from these addresses (Pacu guardduty__whitelist_ip).
        var record = CloudTrail("guardduty.amazonaws.com", "CreateIPSet",
            """{"detectorId":"12abc34d567e8fa901bc2d34e56789f0","name":"corp-egress","format":"TXT","location":"https://s3.amazonaws.com/attacker-bucket/ips.txt","activate":true}""",
            responseElements: """{"ipSetId":"0cb0141ab9fbde177613ab9436212e90"}""");
        var hits = await Hunt(Records(record), "guardduty.json");
        Assert.True(hits.Any(h => h.Tags.Contains("attack.defense-evasion")), Describe(hits));
    }

    [Fact]
    public async Task SecurityHubDisabled_IsCaught()
    {
        // Switching Security Hub off hides every finding and every standard at once, more than suppressing one.
        var record = CloudTrail("securityhub.amazonaws.com", "DisableSecurityHub", "{}");
        var hits = await Hunt(Records(record), "securityhub.json");
        Assert.True(hits.Any(h => h.Tags.Contains("attack.defense-evasion")), Describe(hits));
    }

    [Theory]
    // CloudTrail Lake event data stores are the other place CloudTrail keeps the audit log.
    [InlineData("StopEventDataStoreIngestion")]
    [InlineData("DeleteEventDataStore")]
    public async Task CloudTrailLakeIngestionStoppedOrStoreDeleted_IsCaught(string eventName)
    {
        var record = CloudTrail("cloudtrail.amazonaws.com", eventName,
            """{"eventDataStore":"arn:aws:cloudtrail:us-east-1:111122223333:eventdatastore/EXAMPLE-f852-4e8f-8bd1-bcf6cEXAMPLE"}""");
        var hits = await Hunt(Records(record), "cloudtrail-lake.json");
        Assert.True(hits.Any(h => h.Tags.Contains("attack.defense-evasion")), Describe(hits));
    }

    // ------------------------------------------------------------------------------------------------------------------
    // Entra ID (directory audit, as Microsoft Graph returns it).
    // ------------------------------------------------------------------------------------------------------------------

    [Fact]
    public async Task ElevateAccess_RecordedInTheEntraAuditLog_IsCaught()
    {
        // Since 2024 Entra ID records elevateAccess in its own audit log; many tenants forward only that, not the tenant-level
        // Activity Log.
        const string Audit = """
            {"id":"AzureRBAC_1f6b2c3a-9e1d-4c5b-8a2f-0b1c2d3e4f50","category":"AzureRBACRoleManagementElevateAccess","correlationId":"1f6b2c3a-9e1d-4c5b-8a2f-0b1c2d3e4f50",
             "result":"success","resultReason":"","activityDisplayName":"User has elevated their access to User Access Administrator for their Azure Resources",
             "activityDateTime":"2026-01-15T10:00:00.1234567Z","loggedByService":"Azure RBAC (Elevated Access)","operationType":"Assign",
             "initiatedBy":{"app":null,"user":{"id":"aead923d-498b-4f64-a66c-2af91447a8b6","displayName":null,"userPrincipalName":"mallory@contoso.example","ipAddress":"203.0.113.7","userType":null,"homeTenantId":null,"homeTenantName":null}},
             "userAgent":"","targetResources":[{"id":"/","displayName":null,"type":"Other","userPrincipalName":null,"groupType":null,"modifiedProperties":[]}],
             "additionalDetails":[]}
            """;
        var hits = await Hunt("[" + Audit + "]", "directoryAudits.json");
        Assert.True(hits.Any(h => h.Tags.Contains("attack.privilege-escalation")), Describe(hits));
    }

    [Fact]
    public async Task GlobalAdministratorRoleAssignedInEntra_IsCaught()
    {
        // Azure RBAC assignments are in the Activity Log; a directory role (Global Administrator) given to a user is the
        // Entra half of the same technique, in the directory audit.
        const string Audit = """
            {"id":"Directory_7a0e8b1c-5d2f-4e3a-9b6c-1d2e3f4a5b60_ABCDE_12345678","category":"RoleManagement","correlationId":"7a0e8b1c-5d2f-4e3a-9b6c-1d2e3f4a5b60",
             "result":"success","resultReason":"","activityDisplayName":"Add member to role","activityDateTime":"2026-01-15T10:00:00.1234567Z",
             "loggedByService":"Core Directory","operationType":"Assign",
             "initiatedBy":{"app":null,"user":{"id":"aead923d-498b-4f64-a66c-2af91447a8b6","displayName":null,"userPrincipalName":"mallory@contoso.example","ipAddress":"203.0.113.7","userType":null,"homeTenantId":null,"homeTenantName":null}},
             "userAgent":"Mozilla/5.0 (Windows NT 10.0; Win64; x64)",
             "targetResources":[{"id":"3c1f0b2a-4d5e-6f70-8192-a3b4c5d6e7f8","displayName":null,"type":"User","userPrincipalName":"backdoor@contoso.example","groupType":null,
               "modifiedProperties":[{"displayName":"Role.ObjectID","oldValue":null,"newValue":"\"0c1d2e3f-4a5b-6c7d-8e9f-a0b1c2d3e4f5\""},
                                     {"displayName":"Role.DisplayName","oldValue":null,"newValue":"\"Global Administrator\""},
                                     {"displayName":"Role.TemplateId","oldValue":null,"newValue":"\"62e90394-69f5-4237-9190-012177145e10\""},
                                     {"displayName":"Role.WellKnownObjectName","oldValue":null,"newValue":"\"TenantAdmins\""}]},
               {"id":"0c1d2e3f-4a5b-6c7d-8e9f-a0b1c2d3e4f5","displayName":"Global Administrator","type":"Role","userPrincipalName":null,"groupType":null,"modifiedProperties":[]}],
             "additionalDetails":[]}
            """;
        var hits = await Hunt("[" + Audit + "]", "directoryAudits.json");
        Assert.True(hits.Any(h => h.Tags.Contains("attack.t1098.003")), Describe(hits));
    }

    [Fact]
    public async Task APimActivationInADiagnosticExport_IsLeftOut_WhileAUserAssigningTheRoleIsCaught()
    {
        // Diagnostic settings write the directory audit inside an envelope. For a PIM activation initiatedBy may be empty,
        // MS-PIM being named only in the envelope's identity; a user's assignment names the user in both.
        const string Export = """
            {"records":[
             {"time":"2026-02-01T12:00:10Z","resourceId":"/tenants/72f988bf/providers/Microsoft.aadiam","operationName":"Add member to role","operationVersion":"1.0",
              "category":"AuditLogs","tenantId":"72f988bf","resultSignature":"None","durationMs":0,"callerIpAddress":"203.0.113.7","correlationId":"u1","identity":"Mallory Quinn","Level":4,
              "properties":{"id":"Directory_u1","category":"RoleManagement","correlationId":"u1","result":"success","activityDisplayName":"Add member to role",
               "activityDateTime":"2026-02-01T12:00:00Z","loggedByService":"Core Directory","operationType":"Assign",
               "initiatedBy":{"user":{"id":"aead923d","userPrincipalName":"mallory@contoso.example","ipAddress":"203.0.113.7"}},
               "targetResources":[{"id":"u8","type":"User","userPrincipalName":"backdoor@contoso.example"}],"additionalDetails":[]}},
             {"time":"2026-02-01T12:02:10Z","resourceId":"/tenants/72f988bf/providers/Microsoft.aadiam","operationName":"Add member to role","operationVersion":"1.0",
              "category":"AuditLogs","tenantId":"72f988bf","resultSignature":"None","durationMs":0,"callerIpAddress":"<null>","correlationId":"p1","identity":"MS-PIM","Level":4,
              "properties":{"id":"Directory_p1","category":"RoleManagement","correlationId":"p1","result":"success","activityDisplayName":"Add member to role",
               "activityDateTime":"2026-02-01T12:02:00Z","loggedByService":"Core Directory","operationType":"Assign","initiatedBy":{},
               "targetResources":[{"id":"u9","type":"User","userPrincipalName":"bob@contoso.example"}],"additionalDetails":[]}}]}
            """;
        var hits = await Hunt(Export, "PT1H.json");
        var assigned = hits.Where(h => h.Title == "Entra Directory Role Assigned").ToList();
        Assert.True(assigned.Count == 1, Describe(hits));
    }

    [Fact]
    public async Task AFederatedCredentialAddedToAnApplication_IsCaughtAsACredential()
    {
        // No secret and no certificate: the application now trusts tokens from an OIDC issuer the attacker runs, which
        // the directory records as an update of the application naming the property that changed.
        const string Audit = """
            {"id":"Directory_9b8a7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d_FIC01_87654321","category":"ApplicationManagement","correlationId":"9b8a7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d",
             "result":"success","resultReason":"","activityDisplayName":"Update application","activityDateTime":"2026-01-15T10:00:00.1234567Z",
             "loggedByService":"Core Directory","operationType":"Update",
             "initiatedBy":{"app":null,"user":{"id":"aead923d-498b-4f64-a66c-2af91447a8b6","displayName":null,"userPrincipalName":"mallory@contoso.example","ipAddress":"203.0.113.7","userType":null,"homeTenantId":null,"homeTenantName":null}},
             "userAgent":"",
             "targetResources":[{"id":"5d4c3b2a-1f0e-4d9c-8b7a-6f5e4d3c2b1a","displayName":"Payroll Sync","type":"Application","userPrincipalName":null,"groupType":null,
               "modifiedProperties":[{"displayName":"FederatedIdentityCredentials","oldValue":"[]","newValue":"[{\"Name\":\"deploy\",\"Issuer\":\"https://idp.attacker.example\",\"Subject\":\"deploy\",\"Audiences\":[\"api://AzureADTokenExchange\"]}]"},
                                     {"displayName":"Included Updated Properties","oldValue":null,"newValue":"\"FederatedIdentityCredentials\""}]}],
             "additionalDetails":[{"key":"User-Agent","value":"python-requests/2.31.0"}]}
            """;
        var hits = await Hunt("[" + Audit + "]", "directoryAudits.json");
        Assert.True(hits.Count(h => h.Title == "Credentials Added to an Application or Service Principal") == 1, Describe(hits));
    }

    // ------------------------------------------------------------------------------------------------------------------
    // GCP: instance metadata is GCP's run command (a startup script runs as root at the next boot, ssh-keys give a
    // shell).
    // ------------------------------------------------------------------------------------------------------------------

    [Fact]
    public async Task AGcpStartupScriptAddedToAnInstance_IsCaught()
    {
        const string LogEntry = """
            [{"protoPayload":{"@type":"type.googleapis.com/google.cloud.audit.AuditLog","status":{},
              "authenticationInfo":{"principalEmail":"mallory@example.com"},
              "requestMetadata":{"callerIp":"203.0.113.7","callerSuppliedUserAgent":"google-cloud-sdk gcloud/460.0.0 command/gcloud.compute.instances.add-metadata"},
              "serviceName":"compute.googleapis.com","methodName":"v1.compute.instances.setMetadata",
              "authorizationInfo":[{"permission":"compute.instances.setMetadata","granted":true,"resourceAttributes":{"service":"compute","name":"projects/prod-123/zones/us-central1-a/instances/db-1","type":"compute.instances"}}],
              "resourceName":"projects/prod-123/zones/us-central1-a/instances/db-1",
              "request":{"@type":"type.googleapis.com/compute.instances.setMetadata"},
              "response":{"@type":"type.googleapis.com/operation","id":"4444444444444444444","name":"operation-1736935200000-abc","operationType":"setMetadata","status":"RUNNING","progress":"0"},
              "resourceLocation":{"currentLocations":["us-central1-a"]},
              "metadata":{"@type":"type.googleapis.com/google.cloud.audit.GceInstanceAuditMetadata","instanceMetadataDelta":{"addedMetadataKeys":["startup-script"]}}},
             "insertId":"-abc123","resource":{"type":"gce_instance","labels":{"project_id":"prod-123","zone":"us-central1-a","instance_id":"1234567890123456789"}},
             "timestamp":"2026-01-15T10:00:00.123Z","severity":"NOTICE","logName":"projects/prod-123/logs/cloudaudit.googleapis.com%2Factivity",
             "operation":{"id":"operation-1736935200000-abc","producer":"compute.googleapis.com","first":true},"receiveTimestamp":"2026-01-15T10:00:01.000Z"}]
            """;
        var hits = await Hunt(LogEntry, "gcp-audit.json");
        Assert.True(hits.Any(h => h.Tags.Contains("attack.execution") || h.Tags.Contains("attack.persistence")), Describe(hits));
    }
}
