using Firebreak.Core.Alerts;
using Firebreak.Core.Common;
using Firebreak.Core.Incidents;
using Firebreak.Core.Investigation;
using Firebreak.Core.Persistence;
using Firebreak.Testing;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace Firebreak.Core.Tests.Alerts;

public class EscalationTests
{
    private static IncomingAlert Alert(string title, string reference, string key = "AKIAEXAMPLE0001", string? ip = null, AlertSeverity severity = AlertSeverity.High,
        string source = "guardduty", DateTimeOffset? firstSeen = null, params string[] techniques) => new()
    {
        Source = source,
        SourceReference = reference,
        Title = title,
        Severity = severity,
        Provider = "aws",
        Account = "123456789012",
        Region = "eu-west-1",
        FirstSeenAt = firstSeen,
        Techniques = techniques,
        Resources = [$"arn:aws:iam::123456789012:user/{reference}"],
        Principals = [new AlertEntity(PrincipalTypes.AccessKey, key)],
        Observables = ip is null ? [] : [new AlertEntity(ObservableTypes.Ip, ip)],
        RawPayload = "{}",
        Format = "generic",
    };

    [Theory, MemberData(nameof(Databases.Both), MemberType = typeof(Databases))]
    public async Task Promote_CreatesAnIncident_ImportingEntitiesAndTimeline_AndUndoRestoresEverything(DatabaseKind kind)
    {
        await using var harness = await CoreHarness.CreateAsync(kind);
        var acme = await harness.CreateTenantAsync("Acme");
        await using var scope = harness.As(acme.Responder);
        var early = harness.Time.GetUtcNow().AddHours(-3);
        var ids = (await scope.Get<AlertIntake>().SubmitAsync(acme.Id, "siem",
            [Alert("Key used from Tor", "a1", ip: "203.0.113.9", firstSeen: early, severity: AlertSeverity.Critical), Alert("Unusual ListBuckets", "a2")], null))
            .Alerts.Select(a => a.Id).ToList();
        await scope.Get<AlertService>().TriageAsync(new TriageCommand([ids[1]], TriageState.Acknowledged, null));
        harness.Time.Advance(TimeSpan.FromMinutes(10));

        var escalation = await scope.Get<EscalationService>().PromoteAsync(new PromoteCommand(ids, Category: IncidentCategory.CompromisedCredentials));

        var incident = await scope.Get<IncidentService>().GetAsync(escalation.IncidentReference);
        Assert.Equal("2 related alerts: Key used from Tor", incident.Title);
        Assert.Equal(Severity.Sev1, incident.Severity);
        Assert.Equal(early, incident.Milestones.Detected);
        Assert.Equal(harness.Time.GetUtcNow(), incident.Milestones.Escalated);
        Assert.Equal(["aws"], incident.Scope.Providers);
        Assert.All(await Task.WhenAll(ids.Select(id => scope.Get<AlertService>().GetAsync(id))), a =>
        {
            Assert.Equal(incident.Id, a.IncidentId);
            Assert.Equal(TriageState.Escalated, a.TriageState);
        });
        await using (var db = await scope.Get<IDbContextFactory<FirebreakDbContext>>().CreateDbContextAsync())
        {
            var artifacts = await db.IncidentArtifacts.Where(a => a.IncidentId == incident.Id).ToListAsync();
            Assert.Contains(artifacts, a => a.Kind == ArtifactKinds.Principal && a.Value == "AKIAEXAMPLE0001");
            Assert.Contains(artifacts, a => a.Kind == ArtifactKinds.Observable && a.Value == "203.0.113.9");
            Assert.Contains(artifacts, a => a.Kind == ArtifactKinds.Resource && a.Value.EndsWith("user/a2", StringComparison.Ordinal));
            var timeline = await db.TimelineEntries.Where(t => t.IncidentId == incident.Id).OrderBy(t => t.EventTime).ToListAsync();
            Assert.Equal(2, timeline.Count);
            Assert.Equal(early, timeline[0].EventTime);
            Assert.NotEqual(timeline[0].EventTime, timeline[0].IngestedAt);
        }
        await Assert.ThrowsAsync<ConflictException>(() => scope.Get<EscalationService>().PromoteAsync(new PromoteCommand([ids[0]])));

        await scope.Get<EscalationService>().UndoAsync(escalation.Id);

        Assert.Equal([TriageState.New, TriageState.Acknowledged], (await Task.WhenAll(ids.Select(id => scope.Get<AlertService>().GetAsync(id)))).Select(a => a.TriageState));
        var closed = await scope.Get<IncidentService>().GetAsync(escalation.IncidentReference);
        Assert.Equal(IncidentStatus.FalsePositive, closed.Status);
        await using (var db = await scope.Get<IDbContextFactory<FirebreakDbContext>>().CreateDbContextAsync())
        {
            Assert.False(await db.IncidentArtifacts.AnyAsync(a => a.IncidentId == incident.Id));
            Assert.False(await db.TimelineEntries.AnyAsync(t => t.IncidentId == incident.Id));
            Assert.True(await db.AuditEntries.AnyAsync(a => a.EntityType == nameof(IncidentArtifact) && a.Action == "deleted"));
        }
        await Assert.ThrowsAsync<ConflictException>(() => scope.Get<EscalationService>().UndoAsync(escalation.Id));
    }

    [Theory, MemberData(nameof(Databases.Both), MemberType = typeof(Databases))]
    public async Task Merge_JoinsAnExistingIncident_AndMovesDetectionEarlier(DatabaseKind kind)
    {
        await using var harness = await CoreHarness.CreateAsync(kind);
        var acme = await harness.CreateTenantAsync("Acme");
        var globex = await harness.CreateTenantAsync("Globex");
        await using var scope = harness.As(acme.Responder);
        var incident = await scope.Get<IncidentService>().CreateAsync(new CreateIncident("Leaked key"));
        var earlier = harness.Time.GetUtcNow().AddDays(-1);
        var id = (await scope.Get<AlertIntake>().SubmitAsync(acme.Id, "siem", [Alert("Old activity", "m1", firstSeen: earlier)], null)).Alerts[0].Id;
        var theirs = (await scope.Get<AlertIntake>().SubmitAsync(globex.Id, "siem", [Alert("Theirs", "g1")], null)).Alerts[0].Id;

        await Assert.ThrowsAsync<NotFoundException>(() => scope.Get<EscalationService>().MergeAsync(new MergeCommand([id, theirs], incident.Reference)));
        var merged = await scope.Get<EscalationService>().MergeAsync(new MergeCommand([id], incident.Reference));

        Assert.False(merged.CreatedIncident);
        var updated = await scope.Get<IncidentService>().GetAsync(incident.Reference);
        Assert.Equal(earlier, updated.Milestones.Detected);
        await scope.Get<EscalationService>().UndoAsync(merged.Id);
        Assert.Equal(IncidentStatus.Open, (await scope.Get<IncidentService>().GetAsync(incident.Reference)).Status);
        Assert.Null((await scope.Get<AlertService>().GetAsync(id)).IncidentId);
    }

    [Theory, MemberData(nameof(Databases.Both), MemberType = typeof(Databases))]
    public async Task Groups_LinkAlertsSharingAnEntity_AndSimilarIncidentsFindPastOnes(DatabaseKind kind)
    {
        await using var harness = await CoreHarness.CreateAsync(kind);
        var acme = await harness.CreateTenantAsync("Acme");
        await using var scope = harness.As(acme.Responder);
        var intake = scope.Get<AlertIntake>();
        var past = (await intake.SubmitAsync(acme.Id, "siem", [Alert("Last month", "old", key: "AKIAPAST", ip: "198.51.100.7")], null)).Alerts[0].Id;
        var pastIncident = await scope.Get<EscalationService>().PromoteAsync(new PromoteCommand([past]));
        harness.Time.Advance(TimeSpan.FromDays(2));

        var ids = (await intake.SubmitAsync(acme.Id, "siem",
        [
            Alert("Recon", "g1", key: "AKIA1", ip: "198.51.100.7"),
            Alert("Priv esc", "g2", key: "AKIA1"),
            Alert("Exfil", "g3", key: "AKIA2", ip: "198.51.100.7"),
            Alert("Unrelated", "u1", key: "AKIA9"),
        ], null)).Alerts.Select(a => a.Id).ToList();

        var groups = await scope.Get<AlertCorrelation>().GroupsAsync();
        var group = Assert.Single(groups);
        Assert.Equal(ids.Take(3).Order(), group.Alerts.Select(a => a.Id).Order());
        Assert.Contains(group.LinkedBy, l => l.Value == "AKIA1" && l.Alerts == 2);
        Assert.Contains(group.LinkedBy, l => l.Value == "198.51.100.7" && l.Alerts == 2);

        var similar = await scope.Get<AlertCorrelation>().SimilarIncidentsAsync(ids[0]);
        var match = Assert.Single(similar);
        Assert.Equal(pastIncident.IncidentReference, match.Reference);
        Assert.Contains(match.Shared, s => s.Value == "198.51.100.7");
        Assert.Empty(await scope.Get<AlertCorrelation>().SimilarIncidentsAsync(ids[3]));
    }

    [Theory, MemberData(nameof(Databases.Both), MemberType = typeof(Databases))]
    public async Task EscalationRules_CreateOrMergeAutomatically(DatabaseKind kind)
    {
        await using var harness = await CoreHarness.CreateAsync(kind);
        var acme = await harness.CreateTenantAsync("Acme");
        await using var manager = harness.As(acme.Manager);
        await manager.Get<EscalationRuleService>().CreateAsync(new CreateEscalationRule("Critical credential abuse", EscalationAction.MergeOrCreate,
            MinSeverity: AlertSeverity.High, Techniques: ["T1078"]));
        await Assert.ThrowsAsync<ValidationFailedException>(() => manager.Get<EscalationRuleService>().CreateAsync(new CreateEscalationRule("No conditions", EscalationAction.CreateIncident)));
        var intake = manager.Get<AlertIntake>();
        var worker = harness.Services.GetServices<IHostedService>().OfType<EscalationRuleWorker>().Single();

        var first = (await intake.SubmitAsync(acme.Id, "siem", [Alert("Valid account abuse", "e1", key: "AKIAX", techniques: "T1078.004")], null)).Alerts[0].Id;
        var low = (await intake.SubmitAsync(acme.Id, "siem", [Alert("Low", "e2", key: "AKIAX", severity: AlertSeverity.Low, techniques: "T1078")], null)).Alerts[0].Id;
        await worker.RunOnceAsync(CancellationToken.None);
        var second = (await intake.SubmitAsync(acme.Id, "siem", [Alert("Same key again", "e3", key: "AKIAX", techniques: "T1078")], null)).Alerts[0].Id;
        await worker.RunOnceAsync(CancellationToken.None);

        var alerts = manager.Get<AlertService>();
        var a1 = await alerts.GetAsync(first);
        var a3 = await alerts.GetAsync(second);
        Assert.NotNull(a1.IncidentId);
        Assert.Equal(a1.IncidentId, a3.IncidentId);
        Assert.Null((await alerts.GetAsync(low)).IncidentId);
        Assert.Contains("Critical credential abuse", a1.TriageReason);
        Assert.Equal(0, await worker.RunOnceAsync(CancellationToken.None));
    }
}
