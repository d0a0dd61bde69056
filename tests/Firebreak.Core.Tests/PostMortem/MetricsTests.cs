using Firebreak.Core.Alerts;
using Firebreak.Core.Identity;
using Firebreak.Core.Incidents;
using Firebreak.Core.PostMortem;
using Firebreak.Testing;

namespace Firebreak.Core.Tests.PostMortem;

public class MetricsTests
{
    [Theory, MemberData(nameof(Databases.Both), MemberType = typeof(Databases))]
    public async Task Metrics_ComeFromTheTimelineMilestonesAndTransitions(DatabaseKind kind)
    {
        await using var harness = await CoreHarness.CreateAsync(kind);
        var acme = await harness.CreateTenantAsync("Acme");
        await using var scope = harness.As(acme.Manager);
        var start = harness.Time.GetUtcNow();
        var alert = new IncomingAlert
        {
            Source = "guardduty",
            SourceReference = "gd-1",
            Title = "Key used from Tor",
            Severity = AlertSeverity.High,
            FirstSeenAt = start - TimeSpan.FromHours(6),
            DetectedAt = start - TimeSpan.FromHours(2),
            RawPayload = "{}",
            Format = "generic",
        };
        var id = (await scope.Get<AlertIntake>().SubmitAsync(acme.Id, "siem", [alert], null)).Alerts[0].Id;
        harness.Time.Advance(TimeSpan.FromHours(1));
        var escalation = await scope.Get<EscalationService>().PromoteAsync(new PromoteCommand([id]));
        var incidents = scope.Get<IncidentService>();
        await incidents.AssignRolesAsync(escalation.IncidentReference, new AssignRoles(acme.Users[Role.IncidentManager].Id, null), null);
        harness.Time.Advance(TimeSpan.FromHours(2));
        await incidents.TransitionAsync(escalation.IncidentReference, Phase.Containment, "contain", null);
        harness.Time.Advance(TimeSpan.FromHours(3));
        await incidents.TransitionAsync(escalation.IncidentReference, Phase.Recovery, "contained and cleaned", null);
        harness.Time.Advance(TimeSpan.FromHours(1));

        var metrics = await scope.Get<MetricsService>().ForIncidentAsync(escalation.IncidentReference);

        Assert.Equal(start - TimeSpan.FromHours(6), metrics.FirstMaliciousActivity);
        Assert.Equal(start - TimeSpan.FromHours(2), metrics.FirstAlert);
        Assert.Equal(TimeSpan.FromHours(4), metrics.TimeToDetect);
        // Detected is the earliest alert activity; escalation happened 7 h later, containment ended 12 h after it.
        Assert.Equal(TimeSpan.FromHours(7), metrics.TimeToEscalate);
        Assert.Equal(TimeSpan.FromHours(12), metrics.TimeToContain);
        Assert.Equal(TimeSpan.FromHours(12), metrics.TimeToEradicate);
        Assert.Null(metrics.TimeToRecover);
        Assert.Equal([(Phase.DetectionAndAnalysis, TimeSpan.FromHours(2)), (Phase.Containment, TimeSpan.FromHours(3)), (Phase.Recovery, TimeSpan.FromHours(1))],
            metrics.TimeInPhase.Select(p => (p.Phase, p.Duration)));
    }

    [Fact]
    public async Task Metrics_LeaveUnknownIntervalsEmpty()
    {
        await using var harness = await CoreHarness.CreateAsync(DatabaseKind.Sqlite);
        var acme = await harness.CreateTenantAsync("Acme");
        await using var scope = harness.As(acme.Responder);
        var incident = await scope.Get<IncidentService>().CreateAsync(new CreateIncident("No alerts yet"));
        harness.Time.Advance(TimeSpan.FromMinutes(30));

        var metrics = await scope.Get<MetricsService>().ForIncidentAsync(incident.Reference);

        Assert.Null(metrics.FirstMaliciousActivity);
        Assert.Null(metrics.TimeToDetect);
        Assert.Equal(TimeSpan.Zero, metrics.TimeToEscalate);
        Assert.Null(metrics.TimeToContain);
        Assert.Equal(TimeSpan.FromMinutes(30), Assert.Single(metrics.TimeInPhase).Duration);
    }
}
