using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Firebreak.Core.Common;
using Firebreak.Core.Evidence;
using Firebreak.Core.Incidents;
using Firebreak.Core.Persistence;
using Firebreak.Core.Recovery;
using Firebreak.Core.Response;
using Firebreak.Core.Scope;
using Firebreak.Core.Tests.Response;
using Firebreak.Testing;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace Firebreak.Core.Tests.Recovery;

public class RecoveryServiceTests
{
    private static readonly byte[] GoodTemplate = Encoding.UTF8.GetBytes("AWSTemplateFormatVersion: '2010-09-09'\nResources: { Web: { Type: AWS::EC2::Instance } }\n");
    private static readonly string GoodDigest = "sha256:" + Convert.ToHexStringLower(SHA256.HashData(GoodTemplate));
    private const string OtherDigest = "sha256:1111111111111111111111111111111111111111111111111111111111111111";

    private static async Task<(CoreHarness Harness, HarnessTenant Acme)> StartAsync(DatabaseKind kind, params IResponseAction[] actions)
    {
        var harness = await CoreHarness.CreateAsync(kind, null, (services, _) =>
        {
            foreach (var action in actions) services.AddSingleton(action);
        });
        return (harness, await harness.CreateTenantAsync("Acme"));
    }

    private static async Task<string> IncidentAsync(CoreHarness harness, HarnessTenant tenant, string title = "Miner")
    {
        await using var scope = harness.As(tenant.Responder);
        return (await scope.Get<IncidentService>().CreateAsync(new CreateIncident(title))).Reference;
    }

    private static async Task RecordBaselineAsync(CoreHarness harness, HarnessTenant tenant, string digest, string reason = "Golden web template, reviewed")
    {
        await using var manager = harness.As(tenant.Manager);
        await manager.Get<BaselineService>().RecordAsync(new RecordBaseline("web-template", BaselineKind.Template, "s3://acme-golden/web.yaml", digest, reason));
    }

    [Theory, MemberData(nameof(Databases.Both), MemberType = typeof(Databases))]
    public async Task Baseline_ChangeAddsARevision_KeepsTheOldOne_AndOnlyManagersRecord(DatabaseKind kind)
    {
        var (harness, acme) = await StartAsync(kind);
        await using var _ = harness;
        await RecordBaselineAsync(harness, acme, GoodDigest.ToUpperInvariant().Replace("SHA256:", "sha256:"));
        harness.Time.Advance(TimeSpan.FromDays(3));
        await RecordBaselineAsync(harness, acme, OtherDigest, "Patched OpenSSL");

        await using var manager = harness.As(acme.Manager);
        var baselines = manager.Get<BaselineService>();
        var current = Assert.Single(await baselines.ListAsync());
        Assert.Equal((2, OtherDigest, "Patched OpenSSL"), (current.Revision, current.Digest, current.Reason));
        var history = await baselines.HistoryAsync("web-template");
        Assert.Equal([2, 1], history.Select(h => h.Revision));
        Assert.Equal(GoodDigest, history[1].Digest);
        Assert.Equal("incident-manager@acme.example", history[1].RecordedBy);
        await Assert.ThrowsAsync<ConflictException>(() => baselines.RecordAsync(new RecordBaseline("web-template", BaselineKind.Template, "s3://acme-golden/web.yaml", OtherDigest, "again")));
        var bad = await Assert.ThrowsAsync<ValidationFailedException>(() => baselines.RecordAsync(new RecordBaseline("x", null, "", "md5:abc", "")));
        Assert.Equal(["digest", "kind", "location", "reason"], bad.Errors.Keys.Order());

        await using (var responder = harness.As(acme.Responder))
            await Assert.ThrowsAsync<ForbiddenException>(() => responder.Get<BaselineService>().RecordAsync(new RecordBaseline("y", BaselineKind.Ami, "ami-0abc", GoodDigest, "r")));
        var other = await harness.CreateTenantAsync("Globex");
        await using (var globex = harness.As(other.Manager))
        {
            Assert.Empty(await globex.Get<BaselineService>().ListAsync());
            await Assert.ThrowsAsync<NotFoundException>(() => globex.Get<BaselineService>().HistoryAsync("web-template"));
        }
        await using var db = await manager.Get<IDbContextFactory<FirebreakDbContext>>().CreateDbContextAsync();
        Assert.Equal(2, await db.AuditEntries.CountAsync(a => a.EntityType == nameof(TemplateBaseline) && a.Action == "created"));
        Assert.Equal(0, await db.AuditEntries.CountAsync(a => a.EntityType == nameof(TemplateBaseline) && a.Action != "created"));
    }

    [Theory, MemberData(nameof(Databases.Both), MemberType = typeof(Databases))]
    public async Task Rebuild_Mismatch_CannotBeDone_UploadedFileThatMatches_CanBe(DatabaseKind kind)
    {
        var (harness, acme) = await StartAsync(kind);
        await using var _ = harness;
        await RecordBaselineAsync(harness, acme, GoodDigest);
        var incident = await IncidentAsync(harness, acme);
        await using var responder = harness.As(acme.Responder);
        var recovery = responder.Get<RecoveryService>();
        var item = await recovery.AddAsync(incident, new AddRecoveryItem(RecoveryItemKind.RebuildFromTemplate, "Rebuild web-1", "i-0abc1234def567890", "web-template"));

        await Assert.ThrowsAsync<ConflictException>(() => recovery.SetStatusAsync(incident, item.Id, new SetRecoveryStatus(RecoveryItemStatus.Done)));
        var mismatch = await recovery.VerifyAsync(incident, item.Id, new VerifyTemplate(OtherDigest));
        Assert.Equal(TemplateMatch.Mismatch, mismatch.Verification!.Result);
        Assert.Equal((GoodDigest, OtherDigest, 1, "given"), (mismatch.Verification.ExpectedDigest, mismatch.Verification.ActualDigest, mismatch.Verification.BaselineRevision, mismatch.Verification.Source));
        var refused = await Assert.ThrowsAsync<ConflictException>(() => recovery.SetStatusAsync(incident, item.Id, new SetRecoveryStatus(RecoveryItemStatus.Done)));
        Assert.Contains("does not match", refused.Message);

        harness.Time.Advance(TimeSpan.FromMinutes(30));
        var matched = await recovery.VerifyFileAsync(incident, item.Id, null, "web.yaml", new MemoryStream(GoodTemplate), mismatch.Version);
        Assert.Equal(TemplateMatch.Match, matched.Verification!.Result);
        Assert.Equal(GoodDigest, matched.Verification.ActualDigest);
        Assert.Equal($"computed from web.yaml ({GoodTemplate.Length} bytes)", matched.Verification.Source);
        var done = await recovery.SetStatusAsync(incident, item.Id, new SetRecoveryStatus(RecoveryItemStatus.Done, Note: "Rebuilt as i-0new"), matched.Version);
        Assert.Equal((RecoveryItemStatus.Done, "responder@acme.example", harness.Time.GetUtcNow()), (done.Status, done.StatusBy!, done.StatusAt!.Value));

        // A later check that fails takes the done mark away again.
        var reopened = await recovery.VerifyAsync(incident, item.Id, new VerifyTemplate(OtherDigest));
        Assert.Equal(RecoveryItemStatus.Open, reopened.Status);
        await Assert.ThrowsAsync<ConcurrencyConflictException>(() => recovery.SetStatusAsync(incident, item.Id, new SetRecoveryStatus(RecoveryItemStatus.Open), done.Version));
        var checklist = await recovery.ListAsync(incident);
        Assert.Equal((1, 1, 0), (checklist.Total, checklist.Open, checklist.Done));
    }

    [Theory, MemberData(nameof(Databases.Both), MemberType = typeof(Databases))]
    public async Task Verification_RefusesOtherKinds_UnknownBaselines_BadDigests_AndEmptyFiles(DatabaseKind kind)
    {
        var (harness, acme) = await StartAsync(kind);
        await using var _ = harness;
        var incident = await IncidentAsync(harness, acme);
        await using var responder = harness.As(acme.Responder);
        var recovery = responder.Get<RecoveryService>();
        var health = await recovery.AddAsync(incident, new AddRecoveryItem(RecoveryItemKind.ConfirmHealth, "Checkout is healthy"));
        var rebuild = await recovery.AddAsync(incident, new AddRecoveryItem(RecoveryItemKind.RebuildFromTemplate, "Rebuild web-1"));

        await Assert.ThrowsAsync<ConflictException>(() => recovery.VerifyAsync(incident, health.Id, new VerifyTemplate(GoodDigest, "web-template")));
        Assert.Contains("baseline", (await Assert.ThrowsAsync<ValidationFailedException>(() => recovery.VerifyAsync(incident, rebuild.Id, new VerifyTemplate(GoodDigest)))).Errors.Keys);
        Assert.Contains("baseline", (await Assert.ThrowsAsync<ValidationFailedException>(() => recovery.VerifyAsync(incident, rebuild.Id, new VerifyTemplate(GoodDigest, "nope")))).Errors.Keys);
        Assert.Contains("digest", (await Assert.ThrowsAsync<ValidationFailedException>(() => recovery.VerifyAsync(incident, rebuild.Id, new VerifyTemplate("sha256:xyz", "nope")))).Errors.Keys);
        await RecordBaselineAsync(harness, acme, GoodDigest);
        Assert.Contains("file", (await Assert.ThrowsAsync<ValidationFailedException>(() => recovery.VerifyFileAsync(incident, rebuild.Id, "web-template", "empty", new MemoryStream()))).Errors.Keys);
        Assert.Contains("baselineName", (await Assert.ThrowsAsync<ValidationFailedException>(() =>
            recovery.AddAsync(incident, new AddRecoveryItem(RecoveryItemKind.RebuildFromTemplate, "x", BaselineName: "missing")))).Errors.Keys);
        Assert.Contains("kind", (await Assert.ThrowsAsync<ValidationFailedException>(() => recovery.AddAsync(incident, new AddRecoveryItem(null, "x")))).Errors.Keys);
        Assert.Null((await recovery.GetAsync(incident, rebuild.Id)).Verification);
    }

    [Theory, MemberData(nameof(Databases.Both), MemberType = typeof(Databases))]
    public async Task Status_NeedsAReasonToFailOrNotApply_AndLinksOnlyThisIncidentsEvidence(DatabaseKind kind)
    {
        var (harness, acme) = await StartAsync(kind);
        await using var _ = harness;
        var incident = await IncidentAsync(harness, acme);
        var other = await IncidentAsync(harness, acme, "Other");
        await using var responder = harness.As(acme.Responder);
        var evidence = responder.Get<EvidenceService>();
        var mine = await evidence.AddSnapshotAsync(incident, new AddSnapshotReference("Health check", "snap-0123", "eu-west-1", "123456789012"));
        var theirs = await evidence.AddSnapshotAsync(other, new AddSnapshotReference("Other", "snap-0456", "eu-west-1", "123456789012"));
        var recovery = responder.Get<RecoveryService>();
        var item = await recovery.AddAsync(incident, new AddRecoveryItem(RecoveryItemKind.ConfirmHealth, "Checkout healthy"));

        Assert.Contains("reason", (await Assert.ThrowsAsync<ValidationFailedException>(() => recovery.SetStatusAsync(incident, item.Id, new SetRecoveryStatus(RecoveryItemStatus.NotApplicable)))).Errors.Keys);
        Assert.Contains("evidenceIds", (await Assert.ThrowsAsync<ValidationFailedException>(() =>
            recovery.SetStatusAsync(incident, item.Id, new SetRecoveryStatus(RecoveryItemStatus.Done, EvidenceIds: [mine.Id, theirs.Id])))).Errors.Keys);
        var done = await recovery.SetStatusAsync(incident, item.Id, new SetRecoveryStatus(RecoveryItemStatus.Done, Note: "p99 back under 200 ms", EvidenceIds: [mine.Id]));
        Assert.Equal([mine.Id], done.EvidenceIds);
        Assert.Equal("p99 back under 200 ms", done.Note);
        var na = await recovery.SetStatusAsync(incident, item.Id, new SetRecoveryStatus(RecoveryItemStatus.NotApplicable, "Service retired"));
        Assert.Equal("Service retired", na.StatusReason);
        Assert.Equal([mine.Id], na.EvidenceIds);

        await Assert.ThrowsAsync<NotFoundException>(() => recovery.GetAsync(other, item.Id));
        await using (var viewer = harness.As(acme.Viewer))
            await Assert.ThrowsAsync<ForbiddenException>(() => viewer.Get<RecoveryService>().SetStatusAsync(incident, item.Id, new SetRecoveryStatus(RecoveryItemStatus.Open)));
        var globex = await harness.CreateTenantAsync("Globex");
        await using (var stranger = harness.As(globex.Admin))
            await Assert.ThrowsAsync<NotFoundException>(() => stranger.Get<RecoveryService>().ListAsync(incident));
        await using var db = await responder.Get<IDbContextFactory<FirebreakDbContext>>().CreateDbContextAsync();
        Assert.Equal(3, await db.AuditEntries.CountAsync(a => a.EntityType == nameof(RecoveryItem) && a.EntityId == item.Id.ToString()));
    }

    [Theory]
    [InlineData("azure-disable-user", "rotate-credentials")]
    [InlineData("azure-revoke-sessions", "rotate-credentials")]
    [InlineData("azure-remove-app-credentials", "rotate-credentials")]
    [InlineData("azure-isolate-vm", "rebuild-from-template,confirm-health")]
    [InlineData("gcp-disable-service-account", "rotate-credentials")]
    [InlineData("gcp-disable-service-account-key", "rotate-credentials")]
    [InlineData("gcp-deny-all-firewall", "rebuild-from-template,confirm-health")]
    [InlineData("gcp-reset-external-ip", "rebuild-from-template,confirm-health")]
    [InlineData("azure-snapshot-disks", "")]
    [InlineData("gcp-snapshot-disks", "")]
    public void Defaults_FollowAzureAndGcpActions(string action, string kinds)
    {
        var record = new ResponseAction
        {
            ActionName = action, Provider = action[..action.IndexOf('-')], Account = "acct", Region = "global", Resource = "target-1",
            ChoiceReason = "r", BusinessImpact = "b", Reason = "r", Plan = "{}", RequestedBy = "ana", RequestedByPrincipal = "user:1",
        };
        var follows = RecoveryService.Follows(record).ToList();
        Assert.Equal(kinds, string.Join(',', follows.Select(f => JsonNamingPolicy.KebabCaseLower.ConvertName(f.Kind.ToString()))));
        Assert.All(follows, f => Assert.Contains("target-1", f.Description, StringComparison.Ordinal));
    }

    [Theory, MemberData(nameof(Databases.Both), MemberType = typeof(Databases))]
    public async Task Defaults_FollowSucceededActionsAndMarkedCredentials_AndAreNotAddedTwice(DatabaseKind kind)
    {
        var key = new ScriptedAction("aws-deactivate-access-key", ActionImpact.Low, ContainmentStage.CutCredentials);
        var isolate = new ScriptedAction("aws-isolate-instance", ActionImpact.Low, ContainmentStage.IsolateNetwork);
        var failing = new ScriptedAction("aws-stop-instance", ActionImpact.Low, ContainmentStage.Stop)
        {
            Run = () => new ActionOutcome([new CallResult("ec2:StopInstances", "i", false, "denied", "AccessDenied")], new Dictionary<string, string>(), new Dictionary<string, string>()),
        };
        var (harness, acme) = await StartAsync(kind, key, isolate, failing);
        await using var _ = harness;
        var incident = await IncidentAsync(harness, acme);
        await using var responder = harness.As(acme.Responder);
        var response = responder.Get<ResponseService>();
        foreach (var (name, resource) in new[] { ("aws-deactivate-access-key", "i-0aaaa1111bbbb2222"), ("aws-isolate-instance", "i-0abc1234def567890"), ("aws-stop-instance", "i-0ccc3333dddd4444") })
        {
            var planned = await response.PlanAsync(incident, new PlanAction(name, "123456789012", "eu-west-1", resource, AssetCriticality.High,
                ContainmentChoice.ContainAcceptDowntime, "can fail over", "contain"));
            await response.RunAsync(planned.Id);
        }
        // A responder's mark as the scope stores it (marking through ScopeService needs the key in imported events).
        await using (var db = await responder.Get<IDbContextFactory<FirebreakDbContext>>().CreateDbContextAsync())
        {
            var incidentId = await db.Incidents.Where(i => i.Reference == incident).Select(i => i.Id).SingleAsync();
            db.ScopeMarks.Add(new ScopeMark { IncidentId = incidentId, Kind = ScopeMarkKind.AccessKey, Value = "AKIAIOSFODNN7EXAMPLE", Reason = "Used from the miner's address",
                MarkedBy = "responder@acme.example", MarkedAt = harness.Time.GetUtcNow() });
            db.ScopeMarks.Add(new ScopeMark { IncidentId = incidentId, Kind = ScopeMarkKind.AccessKey, Value = "AKIAUNMARKEDEXAMPLE1", Reason = "wrong key",
                MarkedBy = "responder@acme.example", MarkedAt = harness.Time.GetUtcNow(), UnmarkedAt = harness.Time.GetUtcNow(), UnmarkedBy = "responder@acme.example" });
            await db.SaveChangesAsync();
        }

        var recovery = responder.Get<RecoveryService>();
        var first = await recovery.AddDefaultsAsync(incident);
        Assert.Equal([
            (RecoveryItemKind.RotateCredentials, "i-0aaaa1111bbbb2222"),
            (RecoveryItemKind.RebuildFromTemplate, "i-0abc1234def567890"),
            (RecoveryItemKind.ConfirmHealth, "i-0abc1234def567890"),
            (RecoveryItemKind.RotateCredentials, "AKIAIOSFODNN7EXAMPLE"),
        ], first.Items.Select(i => (i.Kind, i.Resource)));
        Assert.All(first.Items.Take(3), i => Assert.NotNull(i.SourceActionId));
        Assert.Contains("Rotate access key i-0aaaa1111bbbb2222", first.Items[0].Description);
        var again = await recovery.AddDefaultsAsync(incident);
        Assert.Equal(first.Items.Select(i => i.Id), again.Items.Select(i => i.Id));
    }
}
