using System.Text;
using Firebreak.Detection.Events;
using Firebreak.Detection.Readers;

namespace Firebreak.Detection.Tests.Readers;

/// <summary>GCP Cloud Audit Logs entries at the edges of their mapping into the normalised event.</summary>
public class GcpMappingEdgeTests
{
    private static async Task<CloudEvent> ReadOneAsync(string json)
    {
        var reader = new CloudLogReader();
        var events = await reader.ReadAllAsync(new MemoryStream(Encoding.UTF8.GetBytes(json + "\n")), "gcp.jsonl");
        Assert.Empty(reader.Summary.Problems);
        return Assert.Single(events);
    }



    [Fact]
    public async Task NanosecondTimestamp_IsRead()
    {
        var e = await ReadOneAsync("""{"protoPayload":{"@type":"type.googleapis.com/google.cloud.audit.AuditLog","serviceName":"iam.googleapis.com","methodName":"google.iam.admin.v1.CreateServiceAccountKey","authenticationInfo":{"principalEmail":"alice@acme.example"}},"insertId":"n1","resource":{"type":"service_account","labels":{"project_id":"acme-prod"}},"timestamp":"2026-03-07T11:00:00.987654321Z","receiveTimestamp":"2026-03-07T11:00:02.123456789Z","logName":"projects/acme-prod/logs/cloudaudit.googleapis.com%2Factivity"}""");
        Assert.Equal(new DateTimeOffset(2026, 3, 7, 11, 0, 0, TimeSpan.Zero).AddTicks(9876543), e.Time);
    }

    [Fact]
    public async Task OnlyReceiveTimestamp_IsUsed()
    {
        var e = await ReadOneAsync("""{"protoPayload":{"@type":"type.googleapis.com/google.cloud.audit.AuditLog","serviceName":"iam.googleapis.com","methodName":"SetIamPolicy","authenticationInfo":{"principalEmail":"alice@acme.example"}},"insertId":"n2","resource":{"type":"project","labels":{"project_id":"acme-prod"}},"receiveTimestamp":"2026-03-07T11:00:02Z","logName":"projects/acme-prod/logs/cloudaudit.googleapis.com%2Factivity"}""");
        Assert.Equal(new DateTimeOffset(2026, 3, 7, 11, 0, 2, TimeSpan.Zero), e.Time);
    }

    [Fact]
    public async Task ProjectFromLogName_WhenLabelMissing()
    {
        var e = await ReadOneAsync("""{"protoPayload":{"@type":"type.googleapis.com/google.cloud.audit.AuditLog","serviceName":"secretmanager.googleapis.com","methodName":"google.cloud.secretmanager.v1.SecretManagerService.AccessSecretVersion","authenticationInfo":{"principalEmail":"alice@acme.example"},"status":{"code":16,"message":"UNAUTHENTICATED"}},"insertId":"n3","resource":{"type":"audited_resource","labels":{"service":"secretmanager.googleapis.com","method":"x"}},"timestamp":"2026-03-07T11:00:02Z","logName":"projects/acme-prod/logs/cloudaudit.googleapis.com%2Fdata_access"}""");
        Assert.Equal("acme-prod", e.Account);
        Assert.Equal(EventOutcome.Failure, e.Outcome);
        Assert.Equal("16", e.ErrorCode);
    }

    [Fact]
    public async Task DelegationChain_OriginalCallerFirst()
    {
        var e = await ReadOneAsync("""{"protoPayload":{"@type":"type.googleapis.com/google.cloud.audit.AuditLog","serviceName":"storage.googleapis.com","methodName":"storage.objects.get","authenticationInfo":{"principalEmail":"sa2@acme-prod.iam.gserviceaccount.com","serviceAccountDelegationInfo":[{"firstPartyPrincipal":{"principalEmail":"mallory@acme.example"}},{"firstPartyPrincipal":{"principalEmail":"sa1@acme-prod.iam.gserviceaccount.com"}}]}},"insertId":"n4","resource":{"type":"gcs_bucket","labels":{"project_id":"acme-prod","bucket_name":"b","location":"us-central1"}},"timestamp":"2026-03-07T11:00:02Z","logName":"projects/acme-prod/logs/cloudaudit.googleapis.com%2Fdata_access"}""");
        Assert.Equal(["mallory@acme.example", "sa1@acme-prod.iam.gserviceaccount.com"], e.Actor.AssumedRoleChain);
        Assert.Equal("mallory@acme.example", e.Actor.SessionIssuer);
        Assert.Equal("ServiceAccount", e.Actor.Type);
    }



    private const string LoginFailure = """{"protoPayload":{"@type":"type.googleapis.com/google.cloud.audit.AuditLog","authenticationInfo":{"principalEmail":"example_user@gmail.com"},"requestMetadata":{"callerIp":"2601:646:8400:b0:a991:7135:7879:6cea"},"serviceName":"login.googleapis.com","methodName":"google.login.LoginService.loginFailure","resourceName":"organizations/809036120291","metadata":{"activityId":{"timeUsec":"1588189783734201","uniqQualifier":"1023108278221"},"event":[{"eventType":"login","eventName":"login_failure","parameter":[{"name":"login_type","value":"unknown","label":"LABEL_OPTIONAL","type":"TYPE_STRING"},{"name":"login_challenge_method","multiStrValue":["password","password"],"label":"LABEL_REPEATED","type":"TYPE_STRING"}]}],"@type":"type.googleapis.com/ccc_hosted_reporting.ActivityProto"}},"insertId":"mh9fqkc4a2","resource":{"type":"audited_resource","labels":{"method":"google.login.LoginService.loginFailure","service":"login.googleapis.com"}},"timestamp":"2020-04-29T19:49:43.734201Z","severity":"NOTICE","logName":"organizations/809036120291/logs/cloudaudit.googleapis.com%2Fdata_access","receiveTimestamp":"2020-04-29T20:43:00.836830467Z"}""";

    [Fact]
    public async Task WorkspaceLoginFailure_SharedToCloudAudit_IsAFailure()
    {
        // Google Workspace Login Audit shared with Google Cloud (org-level data_access log). A failed sign-in is
        // method google.login.LoginService.loginFailure (event login_failure) and carries no google.rpc status.
        var e = await ReadOneAsync(LoginFailure);

        Assert.Equal(EventOutcome.Failure, e.Outcome);
        var worked = await ReadOneAsync(LoginFailure.Replace("loginFailure", "loginSuccess", StringComparison.Ordinal));
        Assert.Equal(EventOutcome.Success, worked.Outcome);
    }

    [Fact]
    public async Task OrganizationLevelEntry_HasTheOrganizationAsItsAccount()
    {
        // An organization's own audit log (logName organizations/ORG/logs/...; resource type organization, labelled with
        // organization_id, no project_id): a grant on the whole organization.
        var e = await ReadOneAsync("""{"insertId":"-8l5j1zc1ia","logName":"organizations/0000000000000/logs/cloudaudit.googleapis.com%2Factivity","protoPayload":{"@type":"type.googleapis.com/google.cloud.audit.AuditLog","authenticationInfo":{"principalEmail":"johndoe@example.com"},"authorizationInfo":[{"granted":true,"permission":"resourcemanager.organizations.setIamPolicy","resource":"organizations/0000000000000"}],"methodName":"SetIamPolicy","request":{"@type":"type.googleapis.com/google.iam.v1.SetIamPolicyRequest","policy":{"bindings":[{"members":["user:mallory@evil.example"],"role":"roles/owner"}]},"resource":"organizations/0000000000000"},"resourceName":"organizations/0000000000000","serviceName":"cloudresourcemanager.googleapis.com","status":{}},"resource":{"type":"organization","labels":{"organization_id":"0000000000000"}},"severity":"NOTICE","timestamp":"2026-03-07T11:00:00Z","receiveTimestamp":"2026-03-07T11:00:01Z"}""");

        Assert.Equal("organizations/0000000000000", e.Account);
    }

    [Fact]
    public async Task GenerateAccessToken_NamesTheImpersonatedServiceAccount()
    {
        // Google's own example (IAM: Example logs for Workload Identity Federation): "resource.labels.email_id: The service
        // account for which short-lived credentials were generated"; resourceName has only its numeric unique id.
        var e = await ReadOneAsync("""{"logName":"projects/my-project/logs/cloudaudit.googleapis.com%2Fdata_access","protoPayload":{"@type":"type.googleapis.com/google.cloud.audit.AuditLog","serviceName":"iamcredentials.googleapis.com","authenticationInfo":{"principalEmail":"mallory@acme.example"},"requestMetadata":{"callerIp":"203.0.113.42"},"methodName":"GenerateAccessToken","request":{"@type":"type.googleapis.com/google.iam.credentials.v1.GenerateAccessTokenRequest","name":"projects/-/serviceAccounts/my-service-account@my-project.iam.gserviceaccount.com"},"resourceName":"projects/-/serviceAccounts/123456789012345678901","status":{}},"resource":{"labels":{"email_id":"my-service-account@my-project.iam.gserviceaccount.com","project_id":"my-project","unique_id":"123456789012345678901"},"type":"service_account"},"insertId":"gat-1","timestamp":"2026-03-07T11:00:00Z"}""");

        Assert.Contains(e.Resources, r => (r.Uid + " " + r.Name).Contains("my-service-account@my-project.iam.gserviceaccount.com", StringComparison.Ordinal));
    }

    [Theory]
    // Compute Engine system event (log system_event): Google itself, not a user.
    [InlineData("system@google.com", "compute.googleapis.com", "compute.instances.preempted", "system_event", "GoogleService")]
    // GKE audit log: an unauthenticated Kubernetes request.
    [InlineData("system:anonymous", "k8s.io", "io.k8s.core.v1.secrets.list", "data_access", "Anonymous")]
    // GKE audit log: a Kubernetes service account.
    [InlineData("system:serviceaccount:monitoring:prometheus-k8s", "k8s.io", "io.k8s.core.v1.nodes.proxy.get", "data_access", "ServiceAccount")]
    // A person is still a user.
    [InlineData("alice@example.com", "compute.googleapis.com", "v1.compute.instances.insert", "activity", "User")]
    public async Task NonHumanPrincipals_AreNotTypedUser(string principal, string service, string method, string log, string type)
    {
        var e = await ReadOneAsync($$$"""{"protoPayload":{"@type":"type.googleapis.com/google.cloud.audit.AuditLog","status":{},"authenticationInfo":{"principalEmail":"{{{principal}}}"},"serviceName":"{{{service}}}","methodName":"{{{method}}}","resourceName":"projects/project-id/zones/us-central1-f/instances/i-1"},"insertId":"sys-1","resource":{"type":"gce_instance","labels":{"instance_id":"2587554859816992587","zone":"us-central1-f","project_id":"project-id"}},"timestamp":"2020-04-27T02:23:38.115Z","severity":"INFO","logName":"projects/project-id/logs/cloudaudit.googleapis.com%2F{{{log}}}"}""");

        Assert.Equal((principal, type), (e.Actor.Uid, e.Actor.Type));
    }

    [Theory]
    // A principal known only by its subject is the same actor as when the entry gives its e-mail: the user: and
    // serviceAccount: prefixes are not part of its id. The same holds for a hop of an impersonation chain.
    [InlineData("user:alice@example.com", "alice@example.com", "User")]
    [InlineData("serviceAccount:sa9@my-project.iam.gserviceaccount.com", "sa9@my-project.iam.gserviceaccount.com", "ServiceAccount")]
    public async Task AnActorKnownByItsSubject_IsKeyedByItsEmail(string subject, string uid, string type)
    {
        var e = await ReadOneAsync($$$"""{"logName":"projects/my-project/logs/cloudaudit.googleapis.com%2Factivity","protoPayload":{"@type":"type.googleapis.com/google.cloud.audit.AuditLog","serviceName":"storage.googleapis.com","authenticationInfo":{"principalSubject":"{{{subject}}}","serviceAccountDelegationInfo":[{"principalSubject":"user:mallory@example.com"}]},"methodName":"storage.buckets.update","resourceName":"projects/_/buckets/b1"},"resource":{"type":"gcs_bucket","labels":{"project_id":"my-project"}},"insertId":"subj-1","timestamp":"2026-03-07T11:00:00Z"}""");

        Assert.Equal((uid, type), (e.Actor.Uid, e.Actor.Type));
        Assert.Equal(["mallory@example.com"], e.Actor.AssumedRoleChain);
    }

    [Fact]
    public async Task WorkloadIdentityFederationCaller_IsNotTypedUser()
    {
        // Google's example: a workload (an AWS role, through a workload identity pool) creating short-lived credentials.
        var e = await ReadOneAsync("""{"logName":"projects/my-project/logs/cloudaudit.googleapis.com%2Fdata_access","protoPayload":{"@type":"type.googleapis.com/google.cloud.audit.AuditLog","serviceName":"iamcredentials.googleapis.com","authenticationInfo":{"principalSubject":"principal://iam.googleapis.com/projects/1234567890123/locations/global/workloadIdentityPools/aws-pool/subject/012345678901"},"methodName":"GenerateAccessToken","request":{"@type":"type.googleapis.com/google.iam.credentials.v1.GenerateAccessTokenRequest","name":"projects/-/serviceAccounts/my-service-account@my-project.iam.gserviceaccount.com"},"resourceName":"projects/-/serviceAccounts/123456789012345678901"},"resource":{"labels":{"email_id":"my-service-account@my-project.iam.gserviceaccount.com","project_id":"my-project","unique_id":"123456789012345678901"},"type":"service_account"},"insertId":"wif-1","timestamp":"2026-03-07T11:00:00Z"}""");

        Assert.StartsWith("principal://", e.Actor.Uid);
        Assert.Equal("WorkloadIdentity", e.Actor.Type);
    }

    [Fact]
    public async Task StsExchangeToken_ActorIsTheMappedFederatedPrincipal()
    {
        // Google's example: principalSubject is the IdP token's bare subject (an Azure object id); the IAM principal it
        // became, which names the pool, is metadata.mapped_principal.
        var e = await ReadOneAsync("""{"logName":"projects/my-project/logs/cloudaudit.googleapis.com%2Fdata_access","protoPayload":{"@type":"type.googleapis.com/google.cloud.audit.AuditLog","serviceName":"sts.googleapis.com","authenticationInfo":{"principalSubject":"b6112abb-5791-4507-adb5-7e8cc306eb2e"},"metadata":{"mapped_principal":"principal://iam.googleapis.com/projects/1234567890123/locations/global/workloadIdentityPools/azure-pool/subject/a1234bcd-5678-9012-efa3-4b5cd678ef9a"},"methodName":"google.identity.sts.v1.SecurityTokenService.ExchangeToken","resourceName":"projects/1234567890123/locations/global/workloadIdentityPools/azure-pool/providers/azure","request":{"@type":"type.googleapis.com/google.identity.sts.v1.ExchangeTokenRequest","grantType":"urn:ietf:params:oauth:grant-type:token-exchange"}},"resource":{"type":"audited_resource"},"insertId":"sts-1","timestamp":"2026-03-07T11:00:00Z"}""");

        Assert.Equal("principal://iam.googleapis.com/projects/1234567890123/locations/global/workloadIdentityPools/azure-pool/subject/a1234bcd-5678-9012-efa3-4b5cd678ef9a", e.Actor.Uid);
        Assert.Equal(("b6112abb-5791-4507-adb5-7e8cc306eb2e", "WorkloadIdentity"), (e.Actor.Name, e.Actor.Type));
    }

    [Fact]
    public async Task SystemEventStatusMessage_IsNoErrorOnASuccess()
    {
        // A preemption: status carries only a message (code 0, OK).
        var e = await ReadOneAsync("""{"protoPayload":{"@type":"type.googleapis.com/google.cloud.audit.AuditLog","status":{"message":"Instance was preempted."},"authenticationInfo":{"principalEmail":"system@google.com"},"serviceName":"compute.googleapis.com","methodName":"compute.instances.preempted","resourceName":"projects/mock-project/zones/europe-west1-c/instances/spot-1","request":{"@type":"type.googleapis.com/compute.instances.preempted"}},"insertId":"qnwer3e38dfz","resource":{"type":"gce_instance","labels":{"instance_id":"1","project_id":"mock-project","zone":"europe-west1-c"}},"timestamp":"2026-03-07T11:00:00Z","severity":"INFO","logName":"projects/mock-project/logs/cloudaudit.googleapis.com%2Fsystem_event"}""");

        Assert.Equal(EventOutcome.Success, e.Outcome);
        Assert.Null(e.ErrorMessage);
    }
}
