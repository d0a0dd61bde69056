using System.Text;
using System.Text.Json;
using Firebreak.Core.Common;
using Firebreak.Core.Identity;
using Firebreak.Core.Incidents;
using Firebreak.Core.Investigation;
using Firebreak.Core.ManagementPlane;
using Firebreak.Core.PostMortem;
using Firebreak.Testing;

namespace Firebreak.Core.Tests.ManagementPlane;

public sealed class ManagementPlaneCheckTests : IDisposable
{
    private readonly string _staging = Directory.CreateTempSubdirectory("firebreak-check-").FullName;

    public void Dispose() => Directory.Delete(_staging, recursive: true);

    private async Task<(CoreHarness Harness, HarnessTenant Acme, IncidentDetails Incident)> StartAsync(DatabaseKind kind, string? breakGlass = null, CloudScope? scope = null)
    {
        var harness = await CoreHarness.CreateAsync(kind, new Dictionary<string, string?>
        {
            ["Firebreak:ManagementPlane:BreakGlassAccounts"] = breakGlass,
            ["Firebreak:Investigation:RunImports"] = "false",
            ["Firebreak:Investigation:StagingDirectory"] = _staging,
        });
        var acme = await harness.CreateTenantAsync("Acme");
        await using var s = harness.As(acme.Responder);
        var incident = await s.Get<IncidentService>().CreateAsync(new CreateIncident("Control plane", Scope: scope));
        return (harness, acme, incident);
    }

    private static Dictionary<string, CheckItemResult> ById(CheckRunView run) => run.Items.ToDictionary(i => i.Id);

    [Theory, MemberData(nameof(Databases.Both), MemberType = typeof(Databases))]
    public async Task Run_PassesEveryItem_WhenEveryLogIsThereAndNothingHappened(DatabaseKind kind)
    {
        var (harness, acme, incident) = await StartAsync(kind, breakGlass: "breakglass@contoso.example,breakglass@example.com");
        await using var _ = harness;
        await using var scope = harness.As(acme.Responder);
        await new CheckEvents(acme.Id, incident.Id).Background()
            // Look-alikes that must not count: detection turned on, a filter that only labels findings, a tier that is not Free.
            .Aws("UpdateDetector", "guardduty.amazonaws.com", request: new { detectorId = "d1", enable = true })
            .Aws("CreateFilter", "guardduty.amazonaws.com", request: new { name = "label", action = "NOOP" })
            .Aws("StopLogging", "s3.amazonaws.com")
            .Add("azure", "activitylogs", "00000000-0000-0000-0000-0000000000aa", "Microsoft.Security/pricings/write", request: new { pricingTier = "Standard" })
            .SaveAsync(scope);

        var run = await scope.Get<ManagementPlaneCheckService>().RunAsync(incident.Reference, new RunCheck());

        Assert.Equal(CheckCatalogue.Items.Select(i => i.Id), run.Items.Select(i => i.Id));
        Assert.All(run.Items, i => Assert.True(i.Status == CheckStatus.Pass, $"{i.Id}: {i.Status} {i.Detail}"));
        Assert.Equal(18, run.Passed);
        Assert.Equal(CheckEvents.Start, run.WindowFrom);
        Assert.Equal(10, run.EventsInWindow);
        Assert.Equal(CheckTrigger.Manual, run.Trigger);
        Assert.Equal(acme.Responder.Name, run.RunBy);
        Assert.Empty(await scope.Get<DataGapService>().ListAsync(incident.Reference));
    }

    [Theory, MemberData(nameof(Databases.Both), MemberType = typeof(Databases))]
    public async Task Run_FailsEachItem_WithItsEvidence_AndCountsFailedAttemptsApart(DatabaseKind kind)
    {
        var (harness, acme, incident) = await StartAsync(kind, breakGlass: "BreakGlass@contoso.example, breakglass@example.com");
        await using var _ = harness;
        await using var scope = harness.As(acme.Responder);
        var events = new CheckEvents(acme.Id, incident.Id)
            .Aws("StopLogging", "cloudtrail.amazonaws.com", id: "aws.logging")
            .Aws("StopLogging", "cloudtrail.amazonaws.com", errorCode: "AccessDenied", id: "denied")
            .Aws("UpdateDetector", "guardduty.amazonaws.com", request: new { detectorId = "d1", enable = false }, id: "aws.detection")
            .Aws("ConsoleLogin", "signin.amazonaws.com", principal: "arn:aws:iam::111122223333:root", id: "aws.privileged-use")
            .Aws("CreateAccessKey", "iam.amazonaws.com", id: "aws.new-credentials")
            .Aws("UpdateAssumeRolePolicy", "iam.amazonaws.com", id: "aws.trust")
            .Aws("LeaveOrganization", "organizations.amazonaws.com", id: "aws.boundary")
            .Add("azure", "activitylogs", "00000000-0000-0000-0000-0000000000aa", "MICROSOFT.INSIGHTS/DIAGNOSTICSETTINGS/DELETE", id: "azure.logging")
            .Add("azure", "activitylogs", "00000000-0000-0000-0000-0000000000aa", "Microsoft.Security/pricings/write", request: new { properties = new { pricingTier = "Free" } }, id: "azure.detection")
            .Add("azure", "signinlogs", "tenant-1", "Sign-in activity", principal: "breakglass@contoso.example", id: "azure.privileged-use")
            .Add("azure", "auditlogs", "tenant-1", "Add service principal credentials", id: "azure.new-credentials")
            .Add("azure", "auditlogs", "tenant-1", "Set federation settings on domain", id: "azure.trust")
            .Add("azure", "activitylogs", "00000000-0000-0000-0000-0000000000aa", "Microsoft.Management/managementGroups/subscriptions/write", id: "azure.boundary")
            .Add("gcp", "gcp.audit", "proj-1", "SetIamPolicy",
                request: new { serviceData = new { policyDelta = new { auditConfigDeltas = new[] { new { action = "REMOVE", service = "allServices", logType = "DATA_READ" } } } } }, id: "gcp.logging")
            .Add("gcp", "gcp.audit", "proj-1", "google.cloud.securitycenter.v1.SecurityCenter.CreateMuteConfig", id: "gcp.detection")
            .Add("gcp", "gcp.audit", "proj-1", "v1.compute.instances.list", principal: "breakglass@example.com", id: "gcp.privileged-use")
            .Add("gcp", "gcp.audit", "proj-1", "google.iam.admin.v1.CreateServiceAccountKey", id: "gcp.new-credentials")
            .Add("gcp", "gcp.audit", "proj-1", "google.iam.v1.WorkloadIdentityPools.CreateWorkloadIdentityPoolProvider", id: "gcp.trust")
            .Add("gcp", "gcp.audit", "proj-1", "google.cloud.resourcemanager.v3.Projects.MoveProject", id: "gcp.boundary");
        for (var n = 0; n < 6; n++) events.Background();
        var ids = await events.SaveAsync(scope);
        var service = scope.Get<ManagementPlaneCheckService>();

        var run = await service.RunAsync(incident.Reference, new RunCheck());

        foreach (var item in run.Items)
        {
            Assert.True(item.Status == CheckStatus.Fail, $"{item.Id}: {item.Status} {item.Detail}");
            Assert.Equal(1, item.EvidenceCount);
            Assert.Equal([ids[item.Id]], item.Evidence);
        }
        var logging = ById(run)["aws.logging"];
        Assert.Equal(1, logging.FailedAttempts);
        Assert.Contains("1 failed attempt", logging.Detail);
        Assert.Equal(18, run.Failed);

        // The same events outside a window given on demand are not looked at.
        var later = await service.RunAsync(incident.Reference, new RunCheck(CheckEvents.Start.AddMinutes(19), CheckEvents.Start.AddDays(1)));
        Assert.All(later.Items, i => Assert.True(i.Status == CheckStatus.Pass, $"{i.Id}: {i.Status} {i.Detail}"));
        Assert.Equal(CheckEvents.Start.AddMinutes(19), later.WindowFrom);
        await Assert.ThrowsAsync<ValidationFailedException>(() => service.RunAsync(incident.Reference, new RunCheck(CheckEvents.Start, CheckEvents.Start)));
    }

    [Theory, MemberData(nameof(Databases.Both), MemberType = typeof(Databases))]
    public async Task Run_IsUnknown_NamingTheMissingLog_AndRecordsEachGapOnce(DatabaseKind kind)
    {
        var (harness, acme, incident) = await StartAsync(kind, scope: new CloudScope(["aws", "azure", "gcp"], ["111122223333", "444455556666"], []));
        await using var _ = harness;
        await using var scope = harness.As(acme.Responder);
        await new CheckEvents(acme.Id, incident.Id)
            .Aws("DescribeInstances", "ec2.amazonaws.com")
            .Aws("DeleteTrail", "cloudtrail.amazonaws.com")
            .Add("azure", "activitylogs", "00000000-0000-0000-0000-0000000000aa", "Microsoft.Compute/virtualMachines/read")
            .SaveAsync(scope);
        var service = scope.Get<ManagementPlaneCheckService>();

        var run = ById(await service.RunAsync(incident.Reference, new RunCheck()));

        const string otherAccount = "AWS CloudTrail management events for account 444455556666";
        Assert.Equal(CheckStatus.Unknown, run["aws.trust"].Status);
        Assert.Equal([otherAccount], run["aws.trust"].Missing);
        Assert.Contains(otherAccount, run["aws.trust"].Detail);
        Assert.Equal(CheckStatus.Unknown, run["aws.privileged-use"].Status);
        // Evidence in one account fails the item even though another account's log is missing.
        Assert.Equal(CheckStatus.Fail, run["aws.logging"].Status);
        Assert.Contains("Also missing: " + otherAccount, run["aws.logging"].Detail);
        Assert.Equal(CheckStatus.Pass, run["azure.logging"].Status);
        Assert.Equal(["Entra ID audit logs"], run["azure.new-credentials"].Missing);
        Assert.Equal(["Entra ID sign-in logs"], run["azure.privileged-use"].Missing);
        Assert.Equal(CheckStatus.Unknown, run["gcp.boundary"].Status);
        Assert.Equal(["GCP Cloud Audit Logs (Admin Activity)"], run["gcp.boundary"].Missing);
        Assert.Contains(ManagementPlaneCheckService.BreakGlassSetting, run["gcp.privileged-use"].Missing);

        await service.RunAsync(incident.Reference, new RunCheck());
        var gaps = await scope.Get<DataGapService>().ListAsync(incident.Reference);
        Assert.Equal(
            new[] { otherAccount, "Entra ID audit logs", "Entra ID sign-in logs", "GCP Cloud Audit Logs (Admin Activity)" }.Order(),
            gaps.Select(g => g.LogSource).Order());
        Assert.All(gaps, g => Assert.Equal(DataGapSource.ManagementPlaneCheck, g.Source));
        Assert.All(gaps, g => Assert.StartsWith("management-plane:", g.SourceReference));
        Assert.Equal("CloudTrail", gaps.Single(g => g.LogSource == otherAccount).Service);
        Assert.Contains("Were AWS role trust policies", gaps.Single(g => g.LogSource == otherAccount).Note);
    }

    [Theory, MemberData(nameof(Databases.Both), MemberType = typeof(Databases))]
    public async Task Run_MarksProvidersTheIncidentDoesNotTouch_NotApplicable(DatabaseKind kind)
    {
        var (harness, acme, incident) = await StartAsync(kind);
        await using var _ = harness;
        await using var scope = harness.As(acme.Responder);
        var service = scope.Get<ManagementPlaneCheckService>();

        var empty = await service.RunAsync(incident.Reference, new RunCheck());
        Assert.All(empty.Items, i => Assert.Equal(CheckStatus.NotApplicable, i.Status));
        Assert.Null(empty.WindowFrom);

        await new CheckEvents(acme.Id, incident.Id).Aws("DescribeInstances", "ec2.amazonaws.com").SaveAsync(scope);
        var run = await service.RunAsync(incident.Reference, new RunCheck());
        Assert.All(run.Items.Where(i => i.Provider == "aws"), i => Assert.Equal(CheckStatus.Pass, i.Status));
        Assert.All(run.Items.Where(i => i.Provider != "aws"), i => Assert.Equal(CheckStatus.NotApplicable, i.Status));
        Assert.Empty(await scope.Get<DataGapService>().ListAsync(incident.Reference));
    }

    [Theory, MemberData(nameof(Databases.Both), MemberType = typeof(Databases))]
    public async Task Review_RecordsWhoWhenAndNote_AndDecidesTheContainmentWarning(DatabaseKind kind)
    {
        var (harness, acme, incident) = await StartAsync(kind);
        await using var _ = harness;
        await using var responder = harness.As(acme.Responder);
        var service = responder.Get<ManagementPlaneCheckService>();
        await new CheckEvents(acme.Id, incident.Id).Aws("DescribeInstances", "ec2.amazonaws.com").SaveAsync(responder);

        var before = await service.GetReadinessAsync(incident.Reference);
        Assert.False(before.Ready);
        Assert.Contains("not run yet", Assert.Single(before.Warnings));
        Assert.Null(await service.GetLatestAsync(incident.Reference));

        var first = await service.RunAsync(incident.Reference, new RunCheck());
        var unreviewed = await service.GetReadinessAsync(incident.Reference);
        Assert.False(unreviewed.Ready);
        Assert.Contains("has not been reviewed", Assert.Single(unreviewed.Warnings));

        harness.Time.Advance(TimeSpan.FromMinutes(5));
        await using (var viewer = harness.As(acme.Viewer))
        {
            await Assert.ThrowsAsync<ForbiddenException>(() => viewer.Get<ManagementPlaneCheckService>().ReviewAsync(incident.Reference, first.Id, new ReviewCheck()));
            await Assert.ThrowsAsync<ForbiddenException>(() => viewer.Get<ManagementPlaneCheckService>().RunAsync(incident.Reference, new RunCheck()));
            Assert.Equal(first.Id, (await viewer.Get<ManagementPlaneCheckService>().GetAsync(incident.Reference, first.Id)).Id);
        }
        await Assert.ThrowsAsync<ValidationFailedException>(() => service.ReviewAsync(incident.Reference, first.Id, new ReviewCheck(new string('x', 4001))));
        await Assert.ThrowsAsync<ConcurrencyConflictException>(() => service.ReviewAsync(incident.Reference, first.Id, new ReviewCheck(), first.Version + 1));
        var reviewed = await service.ReviewAsync(incident.Reference, first.Id, new ReviewCheck("  Only AWS in scope; CloudTrail complete.  "), first.Version);
        Assert.Equal(acme.Responder.Name, reviewed.ReviewedBy);
        Assert.Equal(harness.Time.GetUtcNow(), reviewed.ReviewedAt);
        Assert.Equal("Only AWS in scope; CloudTrail complete.", reviewed.ReviewNote);
        Assert.True((await service.GetReadinessAsync(incident.Reference)).Ready);
        await Assert.ThrowsAsync<ConflictException>(() => service.ReviewAsync(incident.Reference, first.Id, new ReviewCheck()));

        // A newer run with a failure: the warning lists it, and only the newest run can be reviewed.
        await new CheckEvents(acme.Id, incident.Id).Aws("CreateUser", "iam.amazonaws.com", id: "new-user", minute: 30).SaveAsync(responder);
        harness.Time.Advance(TimeSpan.FromMinutes(5));
        var second = await service.RunAsync(incident.Reference, new RunCheck());
        var failing = await service.GetReadinessAsync(incident.Reference);
        Assert.Equal(second.Id, failing.RunId);
        Assert.Contains(failing.Warnings, w => w.StartsWith("Management-plane check failed: Were AWS users, access keys", StringComparison.Ordinal) && w.Contains("(1 event)"));
        await service.ReviewAsync(incident.Reference, second.Id, new ReviewCheck("Known: the new user is ours."));
        Assert.False((await service.GetReadinessAsync(incident.Reference)).Ready);

        var history = await service.ListAsync(incident.Reference);
        Assert.Equal([second.Id, first.Id], history.Select(r => r.Id));
        Assert.Equal(second.Id, (await service.GetLatestAsync(incident.Reference))!.Id);
        await Assert.ThrowsAsync<NotFoundException>(() => service.GetAsync(incident.Reference, Guid.NewGuid()));
    }

    [Theory, MemberData(nameof(Databases.Both), MemberType = typeof(Databases))]
    public async Task OtherTenant_CannotSeeRunOrReviewTheCheck(DatabaseKind kind)
    {
        var (harness, acme, incident) = await StartAsync(kind);
        await using var _ = harness;
        var globex = await harness.CreateTenantAsync("Globex");
        CheckRunView run;
        await using (var responder = harness.As(acme.Responder))
            run = await responder.Get<ManagementPlaneCheckService>().RunAsync(incident.Reference, new RunCheck());
        await using var other = harness.As(globex.Admin);
        var service = other.Get<ManagementPlaneCheckService>();
        await Assert.ThrowsAsync<NotFoundException>(() => service.RunAsync(incident.Reference, new RunCheck()));
        await Assert.ThrowsAsync<NotFoundException>(() => service.ListAsync(incident.Reference));
        await Assert.ThrowsAsync<NotFoundException>(() => service.GetAsync(incident.Reference, run.Id));
        await Assert.ThrowsAsync<NotFoundException>(() => service.ReviewAsync(incident.Reference, run.Id, new ReviewCheck()));
        await Assert.ThrowsAsync<NotFoundException>(() => service.GetReadinessAsync(incident.Reference));
    }

    [Theory, MemberData(nameof(Databases.Both), MemberType = typeof(Databases))]
    public async Task Import_RunsTheCheckWhenItCompletes(DatabaseKind kind)
    {
        var (harness, acme, incident) = await StartAsync(kind);
        await using var _ = harness;
        var lines = new[]
        {
            Trail("ev-1", "DescribeTrails", "cloudtrail.amazonaws.com", 0),
            Trail("ev-2", "StopLogging", "cloudtrail.amazonaws.com", 60),
            Trail("ev-3", "CreateLoginProfile", "iam.amazonaws.com", 120),
        };
        ImportView import;
        await using (var scope = harness.As(acme.Responder))
            import = await scope.Get<EventImportService>().StartUploadAsync(incident.Reference, "trail.json", new MemoryStream(Encoding.UTF8.GetBytes(string.Join('\n', lines))));
        await using (var scope = harness.As(Actors.System("event-import")))
            await scope.Get<EventImportRunner>().RunAsync(import.Id, CancellationToken.None);

        await using var responder = harness.As(acme.Responder);
        var run = Assert.Single(await responder.Get<ManagementPlaneCheckService>().ListAsync(incident.Reference));
        Assert.Equal(CheckTrigger.Import, run.Trigger);
        Assert.Equal(import.Id, run.ImportId);
        Assert.Equal("management-plane-check", run.RunBy);
        var items = ById(run);
        Assert.Equal(CheckStatus.Fail, items["aws.logging"].Status);
        Assert.Equal(CheckStatus.Fail, items["aws.new-credentials"].Status);
        Assert.Equal(CheckStatus.Pass, items["aws.trust"].Status);
        var evidence = await responder.Get<EventSearchService>().GetAsync(incident.Reference, Assert.Single(items["aws.logging"].Evidence));
        Assert.Equal("ev-2", evidence.Event.EventId);
    }

    private static string Trail(string id, string name, string source, int seconds) => JsonSerializer.Serialize(new Dictionary<string, object?>
    {
        ["eventVersion"] = "1.09",
        ["eventID"] = id,
        ["eventTime"] = CheckEvents.Start.AddSeconds(seconds).ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", System.Globalization.CultureInfo.InvariantCulture),
        ["eventSource"] = source,
        ["eventName"] = name,
        ["awsRegion"] = "eu-west-1",
        ["sourceIPAddress"] = "203.0.113.9",
        ["recipientAccountId"] = "111122223333",
        ["userIdentity"] = new Dictionary<string, object?> { ["type"] = "IAMUser", ["arn"] = "arn:aws:iam::111122223333:user/mallory", ["accountId"] = "111122223333" },
    });
}
