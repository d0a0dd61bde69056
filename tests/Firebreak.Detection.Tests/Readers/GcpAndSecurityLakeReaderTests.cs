using System.Text;
using Firebreak.Detection.Events;
using Firebreak.Detection.Readers;
using Firebreak.Detection.Sigma;
using Firebreak.Detection.Tests.Sigma;

namespace Firebreak.Detection.Tests.Readers;

public class GcpAndSecurityLakeReaderTests
{
    [Fact]
    public async Task GcpAuditArray_MapsPrincipalDelegationAndStatus()
    {
        var reader = new CloudLogReader();

        var events = await reader.ReadAllAsync(TestData.Fixture("gcp-audit.json"));

        Assert.Empty(reader.Summary.Problems);
        Assert.Equal(2, events.Count);
        var insert = events[0];
        Assert.Equal(new LogSource("gcp", "gcp.audit"), insert.LogSource);
        Assert.Equal("gcp", insert.Provider);
        Assert.Equal("acme-prod", insert.Account);
        Assert.Equal("europe-west1-b", insert.Region);
        Assert.Equal("v1.compute.instances.insert", insert.Operation);
        Assert.Equal("compute.googleapis.com", insert.Service);
        Assert.Equal("ServiceAccount", insert.Actor.Type);
        Assert.Equal("deployer@acme-prod.iam.gserviceaccount.com", insert.Actor.Uid);
        Assert.EndsWith("/keys/0123456789abcdef0123456789abcdef01234567", insert.Actor.AccessKeyId);
        Assert.Equal(["grace@acme.example"], insert.Actor.AssumedRoleChain);
        Assert.Equal("198.51.100.88", insert.SourceIp);
        Assert.StartsWith("google-cloud-sdk", insert.UserAgent);
        Assert.Equal("-k3j9d2e1a4b5", insert.EventId);
        Assert.Equal(EventOutcome.Success, insert.Outcome);
        Assert.Equal("miner-01", insert.RequestParameters!.Value.GetProperty("name").GetString());
        Assert.Equal(new EventResource("gce_instance", "projects/acme-prod/zones/europe-west1-b/instances/miner-01"), insert.Resources.Single());

        var deleteSink = events[1];
        Assert.Equal(EventOutcome.Failure, deleteSink.Outcome);
        Assert.Equal("7", deleteSink.ErrorCode);
        Assert.Equal("PERMISSION_DENIED", deleteSink.ErrorMessage);
        Assert.Equal("User", deleteSink.Actor.Type);
    }

    [Fact]
    public async Task GcpAuditJsonLines_AreReadLikeArrays()
    {
        var lines = new StringBuilder();
        using (var document = System.Text.Json.JsonDocument.Parse(await File.ReadAllTextAsync(TestData.Fixture("gcp-audit.json"), TestContext.Current.CancellationToken)))
        {
            foreach (var entry in document.RootElement.EnumerateArray())
            {
                lines.Append(entry.GetRawText().ReplaceLineEndings(" ")).Append('\n');
            }
        }

        var events = await new CloudLogReader().ReadAllAsync(new MemoryStream(Encoding.UTF8.GetBytes(lines.ToString())), "gcp.jsonl");

        Assert.Equal(["-k3j9d2e1a4b5", "1x2y3z4w5v6u"], events.Select(e => e.EventId));
    }

    [Fact]
    public async Task SecurityLakeOcsf_MapsApiActivity()
    {
        var reader = new CloudLogReader();

        var events = await reader.ReadAllAsync(TestData.Fixture("security-lake-api-activity.jsonl"));

        Assert.Empty(reader.Summary.Problems);
        Assert.Equal(2, events.Count);
        var delete = events[0];
        Assert.Equal(new LogSource("aws", "cloudtrail"), delete.LogSource);
        Assert.Equal(new DateTimeOffset(2026, 3, 4, 8, 0, 0, TimeSpan.Zero), delete.Time);
        Assert.Equal("DeleteTrail", delete.Operation);
        Assert.Equal("cloudtrail.amazonaws.com", delete.Service);
        Assert.Equal("111122223333", delete.Account);
        Assert.Equal("us-east-1", delete.Region);
        Assert.Equal("arn:aws:iam::111122223333:user/intern-bob", delete.Actor.Arn);
        Assert.Equal("AKIA4EXAMPLEINTERN01", delete.Actor.AccessKeyId);
        Assert.False(delete.Actor.MfaUsed);
        Assert.Equal(EventOutcome.Failure, delete.Outcome);
        Assert.Equal("AccessDenied", delete.ErrorCode);
        Assert.Equal("192.0.2.200", delete.SourceIp);
        Assert.Equal("org-trail", delete.RequestParameters!.Value.GetProperty("name").GetString());
        Assert.Equal("c3a1d7e0-2222-4333-8444-955566667771", delete.EventId);

        var list = events[1];
        Assert.Equal(EventOutcome.Success, list.Outcome);
        Assert.Equal("arn:aws:iam::111122223333:role/ci-build", list.Actor.SessionIssuer);
        Assert.Equal("AssumedRole", list.Actor.Type);
    }

    [Fact]
    public async Task SecurityLakeOcsf_OtherAwsProducts_AreNotCloudTrailEvents_ForTheRules()
    {
        // Security Lake also holds Security Hub findings (and VPC flow logs, Route 53 queries) in OCSF, of AWS. They were
        // all taken for CloudTrail events, so a CloudTrail rule not naming an operation (here on a resource's ARN) hit a finding.
        const string Finding = """{"metadata":{"product":{"name":"Security Hub","vendor_name":"AWS"},"uid":"finding-1","version":"1.1.0"},"time":1772611200000,"cloud":{"region":"us-east-1","provider":"AWS","account":{"uid":"111122223333"}},"finding_info":{"title":"S3 bucket is public","uid":"f-1"},"resources":[{"uid":"arn:aws:s3:::finance-exports","type":"AwsS3Bucket"}],"activity_name":"Create","class_uid":2001,"severity_id":4}""";
        var trail = Finding.Replace("Security Hub", "CloudTrail").Replace("\"class_uid\":2001", "\"api\":{\"operation\":\"PutBucketPolicy\",\"service\":{\"name\":\"s3.amazonaws.com\"}},\"class_uid\":6003");
        var reader = new CloudLogReader();

        var events = await reader.ReadAllAsync(new MemoryStream(Encoding.UTF8.GetBytes(Finding + "\n" + trail + "\n" + Finding.Replace("\"product\":{\"name\":\"Security Hub\",\"vendor_name\":\"AWS\"},", "") + "\n"
            + trail.Replace("\"name\":\"CloudTrail\"", "\"name\":\"AWS CloudTrail\"") + "\n")), "lake.jsonl");

        Assert.Empty(reader.Summary.Problems);
        Assert.Equal(4, events.Count);
        // The product spelled another way is CloudTrail still.
        Assert.Equal(new LogSource("aws", "cloudtrail"), events[3].LogSource);
        Assert.Equal(new LogSource("aws", "security hub"), events[0].LogSource);
        Assert.Equal(new LogSource("aws", "cloudtrail"), events[1].LogSource);
        // A record naming no product is taken for CloudTrail's, as before.
        Assert.Equal(new LogSource("aws", "cloudtrail"), events[2].LogSource);
        var rules = SigmaTestRules.Detection("    sel:\n        resources.ARN|endswith: ':finance-exports'\n    condition: sel");
        Assert.Equal([false, true, true, true], events.Select(rules.Matches).ToArray());
    }

    [Fact]
    public async Task SecurityLakeOcsf_Authentication_NamesTheSubjectThatSignedIn()
    {
        // In Authentication (3002) the subject is the top-level user; actor, when present, is only context.
        const string Line = """{"metadata":{"product":{"name":"CloudTrail","vendor_name":"AWS"},"uid":"auth-1","version":"1.1.0"},"time":1772611200000,"cloud":{"region":"us-east-1","provider":"AWS"},"api":{"operation":"ConsoleLogin","service":{"name":"signin.amazonaws.com"}},"user":{"type":"IAMUser","name":"anaya","uid":"AIDA4EXAMPLEANAYA001","uid_alt":"arn:aws:iam::111122223333:user/anaya","account":{"uid":"111122223333"}},"src_endpoint":{"ip":"203.0.113.77"},"class_uid":3002,"status":"Failure","status_id":2}""";
        var reader = new CloudLogReader();

        var login = Assert.Single(await reader.ReadAllAsync(new MemoryStream(Encoding.UTF8.GetBytes(Line)), "auth.jsonl"));

        Assert.Empty(reader.Summary.Problems);
        Assert.Equal(("IAMUser", "arn:aws:iam::111122223333:user/anaya", "arn:aws:iam::111122223333:user/anaya", "anaya"), (login.Actor.Type, login.Actor.Uid, login.Actor.Arn, login.Actor.Name));
        Assert.Equal("111122223333", login.Account);
        Assert.Equal(EventOutcome.Failure, login.Outcome);
    }

    [Fact]
    public async Task SecurityLakeOcsf_FirstSourceVersion_ReadsTheRc2FieldNames()
    {
        // Security Lake's source version 1 writes OCSF 1.0.0-rc.2: the ARN in user.uuid, the account in
        // user.account_uid, MFA in session.mfa.
        const string Line = """{"metadata":{"product":{"name":"CloudTrail","vendor_name":"AWS"},"uid":"rc2-1","version":"1.0.0-rc.2"},"time":1772611200000,"cloud":{"region":"eu-west-1","provider":"AWS"},"api":{"operation":"CreateAccessKey","service":{"name":"iam.amazonaws.com"}},"actor":{"user":{"type":"IAMUser","name":"alice","uid":"AIDA4EXAMPLEALICE001","uuid":"arn:aws:iam::111122223333:user/alice","account_uid":"111122223333","credential_uid":"AKIA4EXAMPLEALICE001"},"session":{"mfa":true}},"src_endpoint":{"ip":"198.51.100.5"},"class_uid":3001,"status":"Success","status_id":1}""";
        var reader = new CloudLogReader();

        var change = Assert.Single(await reader.ReadAllAsync(new MemoryStream(Encoding.UTF8.GetBytes(Line)), "rc2.jsonl"));

        Assert.Empty(reader.Summary.Problems);
        Assert.Equal("arn:aws:iam::111122223333:user/alice", change.Actor.Arn);
        Assert.Equal("arn:aws:iam::111122223333:user/alice", change.Actor.Uid);
        Assert.Equal("111122223333", change.Account);
        Assert.True(change.Actor.MfaUsed);
    }

    [Fact]
    public async Task CloudLoggingsEntriesListResponse_IsReadThroughItsEntries()
    {
        // What entries.list (the Logging API) answers: the entries, and a token for the next page.
        const string page = """{"entries":[{"protoPayload":{"@type":"type.googleapis.com/google.cloud.audit.AuditLog","serviceName":"iam.googleapis.com","methodName":"google.iam.admin.v1.CreateServiceAccountKey","authenticationInfo":{"principalEmail":"dev@example.com"},"requestMetadata":{"callerIp":"198.51.100.4"}},"insertId":"i1","resource":{"type":"service_account","labels":{"project_id":"demo-project"}},"timestamp":"2026-01-15T08:00:00.123456789Z","logName":"projects/demo-project/logs/cloudaudit.googleapis.com%2Factivity"}],"nextPageToken":"EAA4"}""";
        var reader = new CloudLogReader();

        var entry = Assert.Single(await reader.ReadAllAsync(new MemoryStream(System.Text.Encoding.UTF8.GetBytes(page)), "entries.json"));

        Assert.Empty(reader.Summary.Problems);
        Assert.Equal("google.iam.admin.v1.CreateServiceAccountKey", entry.Operation);
        Assert.Equal("demo-project", entry.Account);
    }

    [Fact]
    public async Task BigQuerySinkRows_AreReadAsTheLogEntriesTheyWere()
    {
        // A log sink to BigQuery renames the AuditLog payload protopayload_auditlog, keeps request, response and metadata as
        // JSON text (requestJson...), writes times "2026-01-15 09:00:00.123456 UTC" and whole numbers as text. Exported
        // from its table (bq extract, one row a line), each row was of no known format.
        const string Created = """{"logName":"projects/acme-prod/logs/cloudaudit.googleapis.com%2Factivity","resource":{"type":"service_account","labels":{"email_id":"backup@acme-prod.iam.gserviceaccount.com","project_id":"acme-prod","unique_id":"1234"}},"protopayload_auditlog":{"serviceName":"iam.googleapis.com","methodName":"google.iam.admin.v1.CreateServiceAccountKey","resourceName":"projects/-/serviceAccounts/1234","resourceLocation":null,"numResponseItems":null,"status":null,"authenticationInfo":{"principalEmail":"josé+ops@example.com","authoritySelector":null,"serviceAccountKeyName":null,"serviceAccountDelegationInfo":[]},"requestMetadata":{"callerIp":"203.0.113.9","callerSuppliedUserAgent":"google-cloud-sdk gcloud/502.0.0"},"requestJson":"{\"@type\":\"type.googleapis.com/google.iam.admin.v1.CreateServiceAccountKeyRequest\",\"name\":\"projects/-/serviceAccounts/1234\"}","responseJson":"{\"@type\":\"type.googleapis.com/google.iam.admin.v1.ServiceAccountKey\",\"keyType\":\"USER_MANAGED\"}","metadataJson":null},"textPayload":null,"timestamp":"2026-01-15 09:00:00.123456 UTC","receiveTimestamp":"2026-01-15 09:00:01.5 UTC","severity":"NOTICE","insertId":"bq-1","httpRequest":null,"operation":null}""";
        const string Denied = """{"logName":"projects/acme-prod/logs/cloudaudit.googleapis.com%2Factivity","resource":{"type":"project","labels":{"project_id":"acme-prod"}},"protopayload_auditlog":{"serviceName":"cloudresourcemanager.googleapis.com","methodName":"SetIamPolicy","resourceName":"projects/acme-prod","status":{"code":"7","message":"PERMISSION_DENIED"},"authenticationInfo":{"principalEmail":"mallory@example.com"},"requestMetadata":{"callerIp":"203.0.113.9"},"requestJson":null},"timestamp":"2026-01-15 09:05:00 UTC","severity":"ERROR","insertId":"bq-2"}""";
        const string Broken = """{"logName":"projects/acme-prod/logs/cloudaudit.googleapis.com%2Factivity","protopayload_auditlog":{"methodName":"SetIamPolicy","requestJson":"{\"policy\":"},"timestamp":"2026-01-15 09:06:00 UTC","insertId":"bq-3"}""";
        // JSON text nesting deeper than any record may: rejected as a record of that depth is.
        var deep = """{"logName":"projects/acme-prod/logs/cloudaudit.googleapis.com%2Factivity","protopayload_auditlog":{"methodName":"SetIamPolicy","requestJson":"REQUEST"},"timestamp":"2026-01-15 09:07:00 UTC","insertId":"bq-4"}"""
            .Replace("REQUEST", string.Concat(Enumerable.Repeat("{\\\"a\\\":", 200)) + "1" + new string('}', 200), StringComparison.Ordinal);
        var reader = new CloudLogReader();

        var events = await reader.ReadAllAsync(new MemoryStream(System.Text.Encoding.UTF8.GetBytes(string.Join("\n", Created, Denied, Broken, deep))), "bq-export-000000000000.json");

        Assert.Equal(["bq-1", "bq-2"], events.Select(e => e.EventId));
        var created = events[0];
        Assert.Equal(("gcp", "acme-prod", "google.iam.admin.v1.CreateServiceAccountKey", "iam.googleapis.com"), (created.Provider, created.Account, created.Operation, created.Service));
        Assert.Equal(new DateTimeOffset(2026, 1, 15, 9, 0, 0, 123, 456, TimeSpan.Zero), created.Time);
        Assert.Equal(("josé+ops@example.com", "203.0.113.9", EventOutcome.Success), (created.Actor.Uid, created.SourceIp, created.Outcome));
        // Kept as written, not escaped anew: what is stored reads and searches as the LogEntry would.
        Assert.Contains("\"principalEmail\":\"josé+ops@example.com\"", created.Raw.GetRawText(), StringComparison.Ordinal);
        Assert.Equal("projects/-/serviceAccounts/1234", created.RequestParameters!.Value.GetProperty("name").GetString());
        Assert.Equal("USER_MANAGED", created.ResponseParameters!.Value.GetProperty("keyType").GetString());
        Assert.Equal((EventOutcome.Failure, "7", "PERMISSION_DENIED"), (events[1].Outcome, events[1].ErrorCode, events[1].ErrorMessage));
        Assert.Equal(new DateTimeOffset(2026, 1, 15, 9, 5, 0, TimeSpan.Zero), events[1].Time);
        Assert.Equal([2L, 3L], reader.Summary.Problems.Select(p => p.RecordIndex));
        Assert.All(reader.Summary.Problems, p => Assert.StartsWith("BigQuery audit row's protopayload_auditlog.requestJson is not JSON", p.Reason, StringComparison.Ordinal));
    }

    [Fact]
    public async Task ABigQuerySinkRowsIamServiceData_IsTheLogEntrysServiceData()
    {
        // A sink keeps IAM's AuditData as servicedata_v1_iam; the LogEntry had it as serviceData, where the policy change
        // (policyDelta) is read: a bucket opened to allUsers, seen through a BigQuery export, read as no change at all.
        const string Row = """{"logName":"projects/acme-prod/logs/cloudaudit.googleapis.com%2Factivity","resource":{"type":"gcs_bucket","labels":{"bucket_name":"acme-exports","project_id":"acme-prod"}},"protopayload_auditlog":{"serviceName":"storage.googleapis.com","methodName":"storage.setIamPermissions","resourceName":"projects/_/buckets/acme-exports","authenticationInfo":{"principalEmail":"mallory@example.com"},"requestMetadata":{"callerIp":"203.0.113.9"},"servicedata_v1_iam":{"policyDelta":{"bindingDeltas":[{"action":"ADD","role":"roles/storage.objectViewer","member":"allUsers"}]}},"requestJson":null},"timestamp":"2026-01-15 09:10:00 UTC","severity":"NOTICE","insertId":"bq-9"}""";
        var rules = CompiledRuleSet.Compile(SigmaParser.Parse("title: public bucket\nlogsource: {product: gcp, service: gcp.audit}\ndetection:\n  sel:\n    protoPayload.serviceData.policyDelta.bindingDeltas.member: allUsers\n  condition: sel\n", "public.yml").Documents);
        var reader = new CloudLogReader();

        var e = Assert.Single(await reader.ReadAllAsync(new MemoryStream(System.Text.Encoding.UTF8.GetBytes(Row)), "bq-export-000000000000.json"));

        Assert.Empty(reader.Summary.Problems);
        var delta = e.Raw.GetProperty("protoPayload").GetProperty("serviceData").GetProperty("policyDelta").GetProperty("bindingDeltas")[0];
        Assert.Equal(("ADD", "allUsers"), (delta.GetProperty("action").GetString(), delta.GetProperty("member").GetString()));
        Assert.NotEmpty(rules.Match(e));
    }
}
