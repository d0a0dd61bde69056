using Firebreak.Core.Common;
using Firebreak.Core.Incidents;
using Firebreak.Core.Investigation;
using Firebreak.Core.ManagementPlane;
using Firebreak.Core.Persistence;
using Firebreak.Core.PostMortem;
using Firebreak.Testing;
using Microsoft.EntityFrameworkCore;

namespace Firebreak.Core.Tests.Recovery;

public class BreakGlassAndEscalationTests
{
    private static async Task<(CoreHarness Harness, HarnessTenant Acme, string Incident)> StartAsync(DatabaseKind kind, Dictionary<string, string?>? settings = null)
    {
        var harness = await CoreHarness.CreateAsync(kind, settings);
        var acme = await harness.CreateTenantAsync("Acme");
        await using var scope = harness.As(acme.Responder);
        return (harness, acme, (await scope.Get<IncidentService>().CreateAsync(new CreateIncident("Root key used"))).Reference);
    }

    [Theory, MemberData(nameof(Databases.Both), MemberType = typeof(Databases))]
    public async Task BreakGlass_GoesOnTheTimeline_AndOnlyASecondPersonClosesItOut_AfterRotation(DatabaseKind kind)
    {
        var (harness, acme, incident) = await StartAsync(kind);
        await using var _ = harness;
        var usedAt = harness.Time.GetUtcNow().AddMinutes(-20);
        await using var responder = harness.As(acme.Responder);
        var service = responder.Get<BreakGlassService>();
        var invoked = await service.InvokeAsync(incident, new InvokeBreakGlass("arn:aws:iam::123456789012:root", "root password + hardware MFA (safe 2)",
            "SSO is controlled by the attacker; needed to remove their IAM users", usedAt));
        Assert.Equal((BreakGlassStatus.Open, "responder@acme.example", usedAt), (invoked.Status, invoked.InvokedBy, invoked.InvokedAt));

        var bad = await Assert.ThrowsAsync<ValidationFailedException>(() => service.InvokeAsync(incident, new InvokeBreakGlass("", "", "", harness.Time.GetUtcNow().AddHours(1))));
        Assert.Equal(["account", "credential", "invokedAt", "reason"], bad.Errors.Keys.Order());
        await Assert.ThrowsAsync<ForbiddenException>(() => service.CloseAsync(incident, invoked.Id, new CloseBreakGlass(harness.Time.GetUtcNow(), "New password in safe 2", "Reviewed")));
        await using (var viewer = harness.As(acme.Viewer))
            await Assert.ThrowsAsync<ForbiddenException>(() => viewer.Get<BreakGlassService>().InvokeAsync(incident, new InvokeBreakGlass("a", "b", "c", usedAt)));

        harness.Time.Advance(TimeSpan.FromHours(2));
        await using var manager = harness.As(acme.Manager);
        var managerService = manager.Get<BreakGlassService>();
        Assert.Contains("credentialsRotatedAt", (await Assert.ThrowsAsync<ValidationFailedException>(() =>
            managerService.CloseAsync(incident, invoked.Id, new CloseBreakGlass(null, "x", "y")))).Errors.Keys);
        await Assert.ThrowsAsync<ValidationFailedException>(() => managerService.CloseAsync(incident, invoked.Id, new CloseBreakGlass(usedAt.AddMinutes(-1), "x", "y")));
        var closed = await managerService.CloseAsync(incident, invoked.Id, new CloseBreakGlass(harness.Time.GetUtcNow().AddMinutes(-10),
            "Root password changed, MFA re-sealed", "CloudTrail shows only the planned DeleteUser calls"), invoked.Version);
        Assert.Equal((BreakGlassStatus.Closed, "incident-manager@acme.example"), (closed.Status, closed.ReviewedBy!));
        await Assert.ThrowsAsync<ConflictException>(() => managerService.CloseAsync(incident, invoked.Id, new CloseBreakGlass(harness.Time.GetUtcNow(), "x", "y")));

        var other = await harness.CreateTenantAsync("Globex");
        await using (var stranger = harness.As(other.Admin))
            await Assert.ThrowsAsync<NotFoundException>(() => stranger.Get<BreakGlassService>().GetAsync(incident, invoked.Id));
        await using var db = await responder.Get<Microsoft.EntityFrameworkCore.IDbContextFactory<FirebreakDbContext>>().CreateDbContextAsync();
        var timeline = await db.TimelineEntries.Where(t => t.Kind == TimelineKind.BreakGlass).OrderBy(t => t.EventTime).ToListAsync();
        Assert.Equal(2, timeline.Count);
        Assert.Equal(usedAt, timeline[0].EventTime);
        Assert.StartsWith("Break-glass invoked: arn:aws:iam::123456789012:root", timeline[0].Title);
        Assert.StartsWith("Break-glass closed out", timeline[1].Title);
        Assert.Equal(2, await db.AuditEntries.CountAsync(a => a.EntityType == nameof(BreakGlassRecord)));
    }

    [Theory, MemberData(nameof(Databases.Both), MemberType = typeof(Databases))]
    public async Task Escalation_TakesTheConfiguredSla_IsOverdueUntilAnswered_AndKeepsEveryResponse(DatabaseKind kind)
    {
        var (harness, acme, incident) = await StartAsync(kind, new Dictionary<string, string?> { ["Firebreak:Escalations:SlaMinutes:aws"] = "60" });
        await using var _ = harness;
        await using var responder = harness.As(acme.Responder);
        var service = responder.Get<ProviderEscalationService>();
        var opened = harness.Time.GetUtcNow();
        var escalation = await service.AddAsync(incident, new ProviderEscalationInput("aws", "case-170001", opened, null, Service: "IAM Identity Center"));
        Assert.Equal((60, EscalationStatus.Open, false), (escalation.SlaResponseMinutes, escalation.Status, escalation.Overdue));
        Assert.Contains("slaResponseMinutes", (await Assert.ThrowsAsync<ValidationFailedException>(() =>
            service.AddAsync(incident, new ProviderEscalationInput("gcp", "c-1", opened, null)))).Errors.Keys);

        harness.Time.Advance(TimeSpan.FromMinutes(90));
        var overdue = Assert.Single((await service.ListAsync(incident)).Items);
        Assert.True(overdue.Overdue);
        Assert.Equal(opened.AddMinutes(60), overdue.Sla.ResponseDueAt);

        var answered = await service.AddResponseAsync(incident, escalation.Id, new AddEscalationResponse(opened.AddMinutes(80), "Investigating the SSO instance", "AWS Support, tier 2"));
        harness.Time.Advance(TimeSpan.FromMinutes(30));
        answered = await service.AddResponseAsync(incident, escalation.Id, new AddEscalationResponse(harness.Time.GetUtcNow(), "Sessions revoked on our side"));
        Assert.Equal((EscalationStatus.Responded, false, opened.AddMinutes(80)), (answered.Status, answered.Overdue, answered.FirstResponseAt!.Value));
        Assert.Equal(["Investigating the SSO instance", "Sessions revoked on our side"], answered.Responses.Select(r => r.Summary));
        Assert.Equal(SlaOutcome.Breached, answered.Sla.Outcome);
        Assert.Contains("receivedAt", (await Assert.ThrowsAsync<ValidationFailedException>(() =>
            service.AddResponseAsync(incident, escalation.Id, new AddEscalationResponse(opened.AddMinutes(-5), "too early")))).Errors.Keys);
        await Assert.ThrowsAsync<ConflictException>(() => service.DeleteAsync(incident, escalation.Id, null));
        var resolved = await service.UpdateAsync(incident, escalation.Id, new ProviderEscalationInput("aws", "case-170001", opened, 60, "IAM Identity Center",
            answered.FirstResponseAt, harness.Time.GetUtcNow()), answered.Version);
        Assert.Equal(EscalationStatus.Resolved, resolved.Status);
        Assert.Equal(2, resolved.Responses.Count);
    }
}
