using Firebreak.Core.Assets;
using Firebreak.Core.Common;
using Firebreak.Core.DataLoss;
using Firebreak.Core.Identity;
using Firebreak.Core.Incidents;
using Firebreak.Core.Investigation;
using Firebreak.Core.PostMortem;
using Firebreak.Core.PostMortem.Reports;
using Firebreak.Testing;
using static Firebreak.Core.Tests.DataLoss.DataLossEvents;

namespace Firebreak.Core.Tests.DataLoss;

public sealed class DataLossTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("firebreak-dataloss-").FullName;

    public void Dispose() => Directory.Delete(_root, recursive: true);

    private Task<CoreHarness> HarnessAsync(DatabaseKind kind) => CoreHarness.CreateAsync(kind, new Dictionary<string, string?>
    {
        ["Firebreak:Investigation:RunImports"] = "false",
        ["Firebreak:Investigation:StagingDirectory"] = Path.Combine(_root, "staging"),
    });

    /// <summary>An incident holding the records, imported through the real readers and writer.</summary>
    private static async Task<string> IncidentWithEventsAsync(CoreHarness harness, HarnessTenant tenant, params string[] records)
    {
        string reference;
        ImportView import;
        await using (var scope = harness.As(tenant.Responder))
        {
            reference = (await scope.Get<IncidentService>().CreateAsync(new CreateIncident("Data theft from the payroll bucket"))).Reference;
            import = await scope.Get<EventImportService>().StartUploadAsync(reference, "events.json", Lines(records));
        }
        await using (var scope = harness.As(Actors.System("event-import")))
            await scope.Get<EventImportRunner>().RunAsync(import.Id, CancellationToken.None);
        await using (var scope = harness.As(tenant.Viewer))
            Assert.Equal(records.Length, await scope.Get<EventSearchService>().CountAsync(reference));
        return reference;
    }

    private static async Task<DataLossView> AssessAsync(CoreHarness harness, CurrentActor actor, string reference)
    {
        await using var scope = harness.As(actor);
        return await scope.Get<DataLossService>().AssessAsync(reference);
    }

    private static async Task AssetAsync(CoreHarness harness, HarnessTenant tenant, string pattern, DataClassification classification, bool personal, params string[] regulations)
    {
        await using var scope = harness.As(tenant.Manager);
        await scope.Get<AssetService>().AddAsync(new AssetInput(pattern, pattern.Split(':', '/')[^1], classification, personal, regulations, "data-platform"));
    }

    [Theory, MemberData(nameof(Databases.Both), MemberType = typeof(Databases))]
    public async Task ObjectReads_SumBytesPerBucket_WithWhoReadThem_AndStartAGdprClock(DatabaseKind kind)
    {
        await using var harness = await HarnessAsync(kind);
        var acme = await harness.CreateTenantAsync("Acme");
        var reference = await IncidentWithEventsAsync(harness, acme,
            GetObject(0, "payroll-exports", "2026/02/salaries.csv", 1_048_576.0),
            GetObject(5, "payroll-exports", "2026/02/salaries.csv", 1_048_576.0),
            GetObject(9, "payroll-exports", "2026/02/bank-details.csv", 52_000.0, ip: "203.0.113.67"),
            GetObject(11, "payroll-exports", "2026/02/secret-plan.csv", 9_999.0, error: "AccessDenied"),
            ListObjects(1, "payroll-exports"),
            GetObject(20, "website-assets", "logo.png", 4_096.0, principal: "arn:aws:iam::111122223333:role/cdn"),
            CloudTrail(3, "iam.amazonaws.com", "ListUsers", new { }));
        await AssetAsync(harness, acme, "arn:aws:s3:::payroll-*", DataClassification.Restricted, true, "gdpr");
        await AssetAsync(harness, acme, "arn:aws:s3:::website-assets", DataClassification.Public, false);

        var view = await AssessAsync(harness, acme.Responder, reference);

        Assert.Equal(2, view.Resources.Count);
        var payroll = view.Resources[0];
        Assert.Equal("arn:aws:s3:::payroll-exports", payroll.Resource);
        Assert.Equal([DataLossCategory.ObjectRead], payroll.Categories);
        Assert.Equal((DataClassification.Restricted, true, "payroll-*"), (payroll.Classification!.Value, payroll.PersonalData, payroll.AssetName));
        // Two distinct objects in three successful reads; the refused read moved nothing.
        Assert.Equal((2L, 1_048_576L * 2 + 52_000, true), (payroll.Objects, payroll.Bytes!.Value, payroll.BytesComplete));
        Assert.Equal(4, payroll.Events);
        Assert.Equal((DataLossConfidence.High, false), (payroll.Confidence, payroll.LowerBound));
        Assert.Equal(new ExposureWindow(Start, Start.AddMinutes(9), false), payroll.Window);
        Assert.Equal(Attacker, payroll.AccessedBy[0].Principal);
        Assert.Equal((AttackerKey, AttackerIp, 3L), (payroll.AccessedBy[0].AccessKeyId, payroll.AccessedBy[0].SourceIp, payroll.AccessedBy[0].Events));
        Assert.Contains(payroll.AccessedBy, a => a.SourceIp == "203.0.113.67");
        Assert.Equal(1, payroll.PrincipalCount);
        Assert.Equal(["GDPR Art. 33"], payroll.Regimes);
        var website = view.Resources[1];
        Assert.Equal((DataClassification.Public, 4_096L, 0), (website.Classification!.Value, website.Bytes!.Value, website.Regimes.Count));
        Assert.Equal(5, view.EventsMatched);
        Assert.False(view.LowerBound);

        var clock = Assert.Single(view.Clocks);
        Assert.Equal(("GDPR Art. 33", harness.Time.GetUtcNow(), harness.Time.GetUtcNow().AddHours(72), 72L * 3600, false),
            (clock.Regime, clock.Start, clock.Deadline, clock.SecondsLeft, clock.Overdue));

        // A later run keeps the clock's start: awareness does not move because the extent was recomputed.
        var first = harness.Time.GetUtcNow();
        harness.Time.Advance(TimeSpan.FromHours(10));
        var second = await AssessAsync(harness, acme.Responder, reference);
        Assert.Equal((first, first.AddHours(72), 62L * 3600), (second.Clocks[0].Start, second.Clocks[0].Deadline, second.Clocks[0].SecondsLeft));
        harness.Time.Advance(TimeSpan.FromHours(63));
        await using (var scope = harness.As(acme.Viewer))
        {
            var service = scope.Get<DataLossService>();
            var latest = await service.GetLatestAsync(reference);
            Assert.Equal(second.Id, latest.Id);
            Assert.True(latest.Clocks[0].Overdue);
            Assert.Equal(-3600, latest.Clocks[0].SecondsLeft);
            var history = await service.HistoryAsync(reference);
            Assert.Equal([second.Id, view.Id], history.Select(h => h.Id));
            Assert.All(history, h => Assert.Equal(("responder@acme.example", 2, true), (h.AssessedBy, h.Resources, h.PersonalData)));
            Assert.Equal(System.Text.Json.JsonSerializer.Serialize(view.Resources), System.Text.Json.JsonSerializer.Serialize((await service.GetAsync(reference, view.Id)).Resources));

            // The report shows the latest assessment instead of "not assessed".
            var report = await scope.Get<ReportService>().BuildAsync(reference);
            Assert.True(report.DataLoss.Assessed);
            Assert.Equal(second.Statement, report.DataLoss.Statement);
            Assert.Equal(("arn:aws:s3:::payroll-exports", "restricted, personal data", false), (report.DataLoss.Resources[0].Resource, report.DataLoss.Resources[0].Classification, report.DataLoss.Resources[0].LowerBound));
            Assert.Equal("GDPR Art. 33", Assert.Single(report.DataLoss.Clocks).Regime);
        }
        await using (var scope = harness.As(acme.Viewer))
            Assert.Empty(await scope.Get<DataGapService>().ListAsync(reference));
    }

    [Theory, MemberData(nameof(Databases.Both), MemberType = typeof(Databases))]
    public async Task ExposureWithoutDataEvents_IsALowerBound_AndRecordsOneDataGap(DatabaseKind kind)
    {
        await using var harness = await HarnessAsync(kind);
        var acme = await harness.CreateTenantAsync("Acme");
        var publicPolicy = new Dictionary<string, object?>
        {
            ["bucketName"] = "customer-uploads",
            ["bucketPolicy"] = new { Version = "2012-10-17", Statement = new[] { new { Sid = "Open", Effect = "Allow", Principal = "*", Action = "s3:GetObject", Resource = "arn:aws:s3:::customer-uploads/*" } } },
            ["policy"] = "",
        };
        var reference = await IncidentWithEventsAsync(harness, acme,
            CloudTrail(0, "s3.amazonaws.com", "DeletePublicAccessBlock", new { bucketName = "customer-uploads", publicAccessBlock = "" }),
            CloudTrail(1, "s3.amazonaws.com", "PutBucketPolicy", publicPolicy),
            CloudTrail(2, "s3.amazonaws.com", "PutBucketAcl", new Dictionary<string, object?>
            {
                ["bucketName"] = "customer-uploads",
                ["AccessControlPolicy"] = new { AccessControlList = new { Grant = new[] { new { Grantee = new { URI = "http://acs.amazonaws.com/groups/global/AllUsers" }, Permission = "READ" } } } },
                ["acl"] = "",
            }),
            // Closed again later: the policy goes, then the ACL, then the block is back; the window ends with the last.
            CloudTrail(60, "s3.amazonaws.com", "DeleteBucketPolicy", new { bucketName = "customer-uploads", policy = "" }),
            CloudTrail(90, "s3.amazonaws.com", "PutBucketAcl", new Dictionary<string, object?> { ["bucketName"] = "customer-uploads", ["x-amz-acl"] = new[] { "private" }, ["acl"] = "" }),
            CloudTrail(120, "s3.amazonaws.com", "PutPublicAccessBlock", new Dictionary<string, object?>
            {
                ["bucketName"] = "customer-uploads",
                ["PublicAccessBlockConfiguration"] = new { BlockPublicAcls = true, IgnorePublicAcls = true, BlockPublicPolicy = true, RestrictPublicBuckets = true },
            }),
            // A bucket made public and never closed.
            CloudTrail(30, "s3.amazonaws.com", "PutPublicAccessBlock", new Dictionary<string, object?>
            {
                ["bucketName"] = "hr-archive",
                ["PublicAccessBlockConfiguration"] = new { BlockPublicAcls = false, IgnorePublicAcls = true, BlockPublicPolicy = true, RestrictPublicBuckets = true },
            }),
            CloudTrail(40, "ec2.amazonaws.com", "ModifySnapshotAttribute", new
            {
                snapshotId = "snap-0a1b2c3d4e5f67890",
                attributeType = "CREATE_VOLUME_PERMISSION",
                createVolumePermission = new { add = new { items = new[] { new { userId = "444455556666" } } } },
            }),
            CloudTrail(41, "rds.amazonaws.com", "ModifyDBSnapshotAttribute", new
            {
                dBSnapshotIdentifier = "payroll-db-2026-03-09",
                attributeName = "restore",
                valuesToAdd = new[] { "all" },
            }),
            // A refused share changed nothing.
            CloudTrail(42, "ec2.amazonaws.com", "ModifyImageAttribute", new
            {
                imageId = "ami-0123456789abcdef0",
                launchPermission = new { add = new { items = new[] { new { group = "all" } } } },
            }, error: "UnauthorizedOperation"));
        await AssetAsync(harness, acme, "arn:aws:s3:::customer-uploads", DataClassification.Confidential, true, "gdpr");

        var view = await AssessAsync(harness, acme.Responder, reference);

        Assert.Equal(4, view.Resources.Count);
        var uploads = view.Resources.Single(r => r.Resource == "arn:aws:s3:::customer-uploads");
        Assert.Equal([DataLossCategory.PublicExposure], uploads.Categories);
        Assert.Equal((DataLossConfidence.Low, true, 0L, (long?)null), (uploads.Confidence, uploads.LowerBound, uploads.Objects, uploads.Bytes));
        Assert.Equal(new ExposureWindow(Start, Start.AddMinutes(120), false), uploads.Window);
        Assert.Contains(uploads.Findings, f => f.Contains("grants access to everyone", StringComparison.Ordinal));
        Assert.Contains(uploads.Findings, f => f.Contains("No data events", StringComparison.Ordinal));
        var archive = view.Resources.Single(r => r.Resource == "arn:aws:s3:::hr-archive");
        Assert.Equal(new ExposureWindow(Start.AddMinutes(30), null, true), archive.Window);
        var snapshot = view.Resources.Single(r => r.Resource == "arn:aws:ec2:eu-west-1:111122223333:snapshot/snap-0a1b2c3d4e5f67890");
        Assert.Equal([DataLossCategory.SnapshotShare], snapshot.Categories);
        Assert.Equal((DataLossConfidence.Low, true, true), (snapshot.Confidence, snapshot.LowerBound, snapshot.Window.Open));
        Assert.Contains(snapshot.Findings, f => f.Contains("shared with account 444455556666", StringComparison.Ordinal));
        var dbSnapshot = view.Resources.Single(r => r.Resource == "arn:aws:rds:eu-west-1:111122223333:snapshot:payroll-db-2026-03-09");
        Assert.Contains(dbSnapshot.Findings, f => f.Contains("made public", StringComparison.Ordinal));
        Assert.DoesNotContain(view.Resources, r => r.Resource.Contains("ami-", StringComparison.Ordinal));
        Assert.True(view.LowerBound);

        var gap = Assert.Single(view.Gaps);
        Assert.Equal("data-loss:aws:s3-data-events", gap.Reference);
        await AssessAsync(harness, acme.Responder, reference);
        await using var scope = harness.As(acme.Viewer);
        var recorded = Assert.Single(await scope.Get<DataGapService>().ListAsync(reference));
        Assert.Equal((DataGapSource.DataLoss, "data-loss:aws:s3-data-events", "CloudTrail S3 data events", "aws", "s3", DataGapImpact.Scoping),
            (recorded.Source, recorded.SourceReference, recorded.LogSource, recorded.Provider, recorded.Service, recorded.WouldHaveShortened));
        var report = await scope.Get<ReportService>().BuildAsync(reference);
        Assert.True(Assert.Single(report.DataLoss.Resources, r => r.Resource == "arn:aws:s3:::customer-uploads").LowerBound);
        Assert.Single(report.DataLoss.Extents);
    }

    [Theory, MemberData(nameof(Databases.Both), MemberType = typeof(Databases))]
    public async Task ExposureWithDataEvents_CountsTheReadsThatHappened(DatabaseKind kind)
    {
        await using var harness = await HarnessAsync(kind);
        var acme = await harness.CreateTenantAsync("Acme");
        var reference = await IncidentWithEventsAsync(harness, acme,
            CloudTrail(0, "s3.amazonaws.com", "PutBucketAcl", new Dictionary<string, object?> { ["bucketName"] = "press-kit", ["x-amz-acl"] = new[] { "public-read" }, ["acl"] = "" }),
            GetObject(10, "press-kit", "brochure.pdf", 2_000_000.0, principal: "arn:aws:iam::999999999999:root", ip: "198.51.100.200"));

        var view = await AssessAsync(harness, acme.Responder, reference);

        var kit = Assert.Single(view.Resources);
        Assert.Equal([DataLossCategory.ObjectRead, DataLossCategory.PublicExposure], kit.Categories);
        Assert.Equal((DataLossConfidence.Medium, false, 1L, 2_000_000L), (kit.Confidence, kit.LowerBound, kit.Objects, kit.Bytes!.Value));
        Assert.Equal(new ExposureWindow(Start, null, true), kit.Window);
        Assert.Empty(view.Gaps);
    }

    [Theory, MemberData(nameof(Databases.Both), MemberType = typeof(Databases))]
    public async Task SecretReadsAndExports_AreEachTheirOwnResource(DatabaseKind kind)
    {
        await using var harness = await HarnessAsync(kind);
        var acme = await harness.CreateTenantAsync("Acme");
        var reference = await IncidentWithEventsAsync(harness, acme,
            CloudTrail(0, "secretsmanager.amazonaws.com", "GetSecretValue", new { secretId = "prod/payroll/db" }),
            CloudTrail(1, "secretsmanager.amazonaws.com", "GetSecretValue", new { secretId = "prod/payroll/db" }, ip: "203.0.113.99"),
            CloudTrail(2, "secretsmanager.amazonaws.com", "GetSecretValue", new { secretId = "arn:aws:secretsmanager:eu-west-1:111122223333:secret:prod/stripe-AbCdEf" }),
            CloudTrail(3, "ssm.amazonaws.com", "GetParameters", new { names = new[] { "/prod/api-key", "/prod/db-password" }, withDecryption = true }),
            CloudTrail(4, "ssm.amazonaws.com", "GetParametersByPath", new { path = "/prod/", recursive = true, withDecryption = true }),
            CloudTrail(5, "secretsmanager.amazonaws.com", "GetSecretValue", new { secretId = "prod/root" }, error: "AccessDeniedException"),
            CloudTrail(6, "rds.amazonaws.com", "StartExportTask", new
            {
                exportTaskIdentifier = "exfil-1",
                sourceArn = "arn:aws:rds:eu-west-1:111122223333:snapshot:payroll-db-2026-03-09",
                s3BucketName = "attacker-drop",
                iamRoleArn = "arn:aws:iam::111122223333:role/export",
                kmsKeyId = "alias/aws/rds",
            }),
            CloudTrail(7, "dynamodb.amazonaws.com", "ExportTableToPointInTime", new
            {
                tableArn = "arn:aws:dynamodb:eu-west-1:111122223333:table/customers",
                s3Bucket = "attacker-drop",
                s3BucketOwner = "444455556666",
                exportFormat = "DYNAMODB_JSON",
            }),
            CloudTrail(8, "rds.amazonaws.com", "ModifyDBInstance", new { dBInstanceIdentifier = "payroll-db", publiclyAccessible = true, applyImmediately = true }));
        await AssetAsync(harness, acme, "arn:aws:dynamodb:*:table/customers", DataClassification.Restricted, true, "gdpr", "pci-dss");

        var view = await AssessAsync(harness, acme.Responder, reference);

        DataLossResource R(string resource) => view.Resources.Single(r => r.Resource == resource);
        var db = R("arn:aws:secretsmanager:eu-west-1:111122223333:secret:prod/payroll/db");
        Assert.Equal([DataLossCategory.SecretRead], db.Categories);
        Assert.Equal((2L, DataLossConfidence.High, false), (db.Events, db.Confidence, db.LowerBound));
        Assert.Equal(["203.0.113.66", "203.0.113.99"], db.AccessedBy.Select(a => a.SourceIp).Order());
        Assert.Equal(1, R("arn:aws:secretsmanager:eu-west-1:111122223333:secret:prod/stripe-AbCdEf").Events);
        Assert.Equal(1, R("arn:aws:ssm:eu-west-1:111122223333:parameter/prod/api-key").Events);
        Assert.Equal(1, R("arn:aws:ssm:eu-west-1:111122223333:parameter/prod/db-password").Events);
        var byPath = R("arn:aws:ssm:eu-west-1:111122223333:parameter/prod/*");
        Assert.Equal((DataLossConfidence.Medium, true), (byPath.Confidence, byPath.LowerBound));
        Assert.DoesNotContain(view.Resources, r => r.Resource.EndsWith("prod/root", StringComparison.Ordinal));
        var export = R("arn:aws:rds:eu-west-1:111122223333:snapshot:payroll-db-2026-03-09");
        Assert.Equal([DataLossCategory.DatabaseExport], export.Categories);
        Assert.Equal((DataLossConfidence.Medium, true), (export.Confidence, export.LowerBound));
        Assert.Contains(export.Findings, f => f.Contains("s3://attacker-drop", StringComparison.Ordinal));
        var table = R("arn:aws:dynamodb:eu-west-1:111122223333:table/customers");
        Assert.Equal((DataClassification.Restricted, true), (table.Classification!.Value, table.PersonalData));
        Assert.Equal(["gdpr", "pci-dss"], table.Regulations);
        Assert.Contains(table.Findings, f => f.Contains("bucket owner 444455556666", StringComparison.Ordinal));
        var instance = R("arn:aws:rds:eu-west-1:111122223333:db:payroll-db");
        Assert.Equal([DataLossCategory.PublicExposure], instance.Categories);
        Assert.Equal((DataLossConfidence.Low, true, true), (instance.Confidence, instance.LowerBound, instance.Window.Open));
        // No bucket was exposed, so no storage data gap.
        Assert.Empty(view.Gaps);
        Assert.Equal("GDPR Art. 33", Assert.Single(view.Clocks).Regime);
    }

    [Theory, MemberData(nameof(Databases.Both), MemberType = typeof(Databases))]
    public async Task GcpAndAzure_ReadsSharesExposureAndExports(DatabaseKind kind)
    {
        await using var harness = await HarnessAsync(kind);
        var acme = await harness.CreateTenantAsync("Acme");
        const string disk = "/subscriptions/0b1f6471-1bf0-4dda-aec3-111122223333/resourceGroups/prod/providers/Microsoft.Compute/snapshots/payroll-os";
        const string container = "/subscriptions/0b1f6471-1bf0-4dda-aec3-111122223333/resourceGroups/prod/providers/Microsoft.Storage/storageAccounts/acmedata/blobServices/default/containers/exports";
        const string restorePointDisk = "/subscriptions/0b1f6471-1bf0-4dda-aec3-111122223333/resourceGroups/prod/providers/Microsoft.Compute/restorePointCollections/payroll-rpc/restorePoints/rp-1/diskRestorePoints/payroll-os-disk";
        var reference = await IncidentWithEventsAsync(harness, acme,
            Gcp(0, "storage.objects.get", "storage.googleapis.com", "projects/_/buckets/acme-hr/objects/2026/reviews.pdf"),
            Gcp(1, "storage.objects.get", "storage.googleapis.com", "projects/_/buckets/acme-hr/objects/2026/salaries.xlsx"),
            Gcp(2, "storage.objects.list", "storage.googleapis.com", "projects/_/buckets/acme-hr"),
            Gcp(3, "storage.objects.get", "storage.googleapis.com", "projects/_/buckets/acme-hr/objects/denied.txt", status: 7),
            Gcp(4, "storage.setIamPermissions", "storage.googleapis.com", "projects/_/buckets/acme-hr", log: "activity",
                serviceData: new Dictionary<string, object?>
                {
                    ["@type"] = "type.googleapis.com/google.iam.v1.logging.AuditData",
                    ["policyDelta"] = new { bindingDeltas = new[] { new { action = "ADD", role = "roles/storage.objectViewer", member = "allUsers" } } },
                }),
            Gcp(5, "google.cloud.secretmanager.v1.SecretManagerService.AccessSecretVersion", "secretmanager.googleapis.com",
                "projects/123456789/secrets/stripe-key/versions/3", resourceType: "secretmanager.googleapis.com/Secret"),
            Gcp(6, "v1.compute.snapshots.setIamPolicy", "compute.googleapis.com", "projects/acme-prod/global/snapshots/hr-db-snap", log: "activity", resourceType: "gce_snapshot",
                request: new Dictionary<string, object?> { ["policy"] = new { bindings = new[] { new { role = "roles/compute.storageAdmin", members = new[] { "user:someone@evil.example" } } } } }),
            Gcp(7, "cloudsql.instances.export", "cloudsql.googleapis.com", "projects/acme-prod/instances/hr-db", log: "activity", resourceType: "cloudsql_database",
                request: new Dictionary<string, object?> { ["body"] = new { exportContext = new { uri = "gs://evil-drop/hr.sql.gz", databases = new[] { "hr" } } } }),
            DataLossEvents.Azure(10, "Microsoft.Compute/snapshots/beginGetAccess/action", disk),
            DataLossEvents.Azure(11, "Microsoft.Storage/storageAccounts/blobServices/containers/write", container,
                new Dictionary<string, object?> { ["requestbody"] = "{\"properties\":{\"publicAccess\":\"Container\"}}" }),
            DataLossEvents.Azure(12, "Microsoft.Storage/storageAccounts/listKeys/action", "/subscriptions/0b1f6471-1bf0-4dda-aec3-111122223333/resourceGroups/prod/providers/Microsoft.Storage/storageAccounts/acmedata"),
            DataLossEvents.Azure(13, "Microsoft.Sql/servers/databases/export/action", "/subscriptions/0b1f6471-1bf0-4dda-aec3-111122223333/resourceGroups/prod/providers/Microsoft.Sql/servers/acme-sql/databases/crm"),
            DataLossEvents.Azure(14, "Microsoft.Compute/restorePointCollections/restorePoints/diskRestorePoints/beginGetAccess/action", restorePointDisk));
        await AssetAsync(harness, acme, "projects/_/buckets/acme-hr", DataClassification.Restricted, true, "gdpr");

        var view = await AssessAsync(harness, acme.Responder, reference);

        DataLossResource R(string resource) => view.Resources.SingleOrDefault(r => r.Resource == resource)
            ?? throw new Xunit.Sdk.XunitException($"{resource} not among {string.Join(" | ", view.Resources.Select(r => r.Resource))}");
        var hr = R("projects/_/buckets/acme-hr");
        Assert.Equal([DataLossCategory.ObjectRead, DataLossCategory.PublicExposure], hr.Categories);
        // Cloud Storage logs no byte counts: objects are exact, bytes unknown.
        Assert.Equal((2L, (long?)null, false, DataLossConfidence.Medium, false), (hr.Objects, hr.Bytes, hr.BytesComplete, hr.Confidence, hr.LowerBound));
        Assert.Equal("exfil@evil-project.iam.gserviceaccount.com", hr.AccessedBy[0].Principal);
        Assert.True(hr.Window.Open);
        Assert.Equal(DataLossConfidence.High, R("projects/123456789/secrets/stripe-key").Confidence);
        var snap = R("projects/acme-prod/global/snapshots/hr-db-snap");
        Assert.Contains(snap.Findings, f => f.Contains("user:someone@evil.example", StringComparison.Ordinal));
        Assert.Contains(R("projects/acme-prod/instances/hr-db").Findings, f => f.Contains("gs://evil-drop/hr.sql.gz", StringComparison.Ordinal));
        Assert.Equal([DataLossCategory.SnapshotShare], R(disk.ToLowerInvariant()).Categories);
        Assert.Equal([DataLossCategory.SnapshotShare], R(restorePointDisk.ToLowerInvariant()).Categories);
        var exports = R(container.ToLowerInvariant());
        Assert.Equal((DataLossConfidence.Low, true), (exports.Confidence, exports.LowerBound));
        Assert.Contains(exports.Findings, f => f.Contains("public access set to Container", StringComparison.Ordinal));
        Assert.Equal([DataLossCategory.DatabaseExport], R("/subscriptions/0b1f6471-1bf0-4dda-aec3-111122223333/resourcegroups/prod/providers/microsoft.sql/servers/acme-sql/databases/crm").Categories);
        // Azure blob reads are not in the logs; Cloud Storage data access is.
        Assert.Equal(["data-loss:azure:storage-blob-logs"], view.Gaps.Select(g => g.Reference));
    }

    [Theory, MemberData(nameof(Databases.Both), MemberType = typeof(Databases))]
    public async Task Assess_NeedsAResponder_AndStaysInItsTenant(DatabaseKind kind)
    {
        await using var harness = await HarnessAsync(kind);
        var acme = await harness.CreateTenantAsync("Acme");
        var globex = await harness.CreateTenantAsync("Globex");
        var reference = await IncidentWithEventsAsync(harness, acme, GetObject(0, "payroll-exports", "a.csv", 10.0));

        await using (var scope = harness.As(acme.Viewer))
        {
            var service = scope.Get<DataLossService>();
            await Assert.ThrowsAsync<NotFoundException>(() => service.GetLatestAsync(reference));
            await Assert.ThrowsAsync<ForbiddenException>(() => service.AssessAsync(reference));
            Assert.Empty(await service.HistoryAsync(reference));
        }
        var view = await AssessAsync(harness, acme.Responder, reference);
        await using (var scope = harness.As(globex.Admin))
        {
            var service = scope.Get<DataLossService>();
            await Assert.ThrowsAsync<NotFoundException>(() => service.AssessAsync(reference));
            await Assert.ThrowsAsync<NotFoundException>(() => service.GetLatestAsync(reference));
            await Assert.ThrowsAsync<NotFoundException>(() => service.HistoryAsync(reference));
            await Assert.ThrowsAsync<NotFoundException>(() => service.GetAsync(reference, view.Id));
        }
        await using (var scope = harness.As(acme.Viewer))
        {
            await Assert.ThrowsAsync<NotFoundException>(() => scope.Get<DataLossService>().GetAsync(reference, Guid.NewGuid()));
            var audit = await scope.Get<Firebreak.Core.Auditing.AuditService>().ListForIncidentAsync(reference, 1, 200);
            Assert.Contains(audit.Items, a => a.EntityType == nameof(DataLossExtent) && a.Action == "created");
        }
    }

    [Theory, MemberData(nameof(Databases.Both), MemberType = typeof(Databases))]
    public async Task Assess_WithNoDataAccess_SaysSo(DatabaseKind kind)
    {
        await using var harness = await HarnessAsync(kind);
        var acme = await harness.CreateTenantAsync("Acme");
        var reference = await IncidentWithEventsAsync(harness, acme, CloudTrail(0, "iam.amazonaws.com", "CreateAccessKey", new { userName = "ci-deploy" }));
        var view = await AssessAsync(harness, acme.Responder, reference);
        Assert.Empty(view.Resources);
        Assert.Empty(view.Clocks);
        Assert.StartsWith("No data access", view.Statement, StringComparison.Ordinal);
    }
}
