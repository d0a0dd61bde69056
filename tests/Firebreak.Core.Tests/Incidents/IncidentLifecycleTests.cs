using Firebreak.Core.Common;
using Firebreak.Core.Identity;
using Firebreak.Core.Incidents;
using Firebreak.Testing;

namespace Firebreak.Core.Tests.Incidents;

public class IncidentLifecycleTests
{
    [Theory, MemberData(nameof(Databases.Both), MemberType = typeof(Databases))]
    public async Task Transition_WalksEveryPhase_StampingMilestonesAndRecordingWhoWhenWhy(DatabaseKind kind)
    {
        await using var harness = await CoreHarness.CreateAsync(kind);
        var acme = await harness.CreateTenantAsync("Acme");
        await using var scope = harness.As(acme.Manager);
        var incidents = scope.Get<IncidentService>();
        var incident = await incidents.CreateAsync(new CreateIncident("Stolen keys", IncidentManagerId: acme.Users[Role.IncidentManager].Id));
        var start = harness.Time.GetUtcNow();

        foreach (var phase in new[] { Phase.Containment, Phase.Eradication, Phase.Recovery, Phase.PostIncidentReview })
        {
            harness.Time.Advance(TimeSpan.FromHours(1));
            incident = await incidents.TransitionAsync(incident.Reference, phase, $"to {phase}", incident.Version);
        }
        await scope.Get<ReviewService>().SaveAsync(incident.Reference, "Key leaked in a public repo.", "Scan repos.", null);
        harness.Time.Advance(TimeSpan.FromHours(1));
        incident = await incidents.TransitionAsync(incident.Reference, Phase.Closed, "done", null);

        Assert.Equal(Phase.Closed, incident.Phase);
        Assert.Equal(start + TimeSpan.FromHours(2), incident.Milestones.Contained);
        Assert.Equal(start + TimeSpan.FromHours(3), incident.Milestones.Eradicated);
        Assert.Equal(start + TimeSpan.FromHours(4), incident.Milestones.Recovered);
        Assert.Equal(start + TimeSpan.FromHours(5), incident.Milestones.Closed);
        var transitions = await incidents.ListTransitionsAsync(incident.Reference);
        Assert.Equal(5, transitions.Count);
        Assert.All(transitions, t => Assert.Equal("incident-manager@acme.example", t.Actor));
        Assert.Equal("to Containment", transitions[0].Reason);
        Assert.Equal((Phase.DetectionAndAnalysis, Phase.Containment), (transitions[0].From, transitions[0].To));
    }

    [Theory, MemberData(nameof(Databases.Both), MemberType = typeof(Databases))]
    public async Task Transition_EnforcesGuards(DatabaseKind kind)
    {
        await using var harness = await CoreHarness.CreateAsync(kind);
        var acme = await harness.CreateTenantAsync("Acme");
        IncidentDetails incident;
        await using (var responder = harness.As(acme.Responder))
        {
            var incidents = responder.Get<IncidentService>();
            incident = await incidents.CreateAsync(new CreateIncident("Open bucket"));
            var noManager = await Assert.ThrowsAsync<ConflictException>(() => incidents.TransitionAsync(incident.Reference, Phase.Containment, "contain", null));
            Assert.Contains("incident manager", noManager.Message);
            await Assert.ThrowsAsync<ValidationFailedException>(() => incidents.TransitionAsync(incident.Reference, Phase.Containment, " ", null));
            await Assert.ThrowsAsync<ForbiddenException>(() => incidents.AssignRolesAsync(incident.Reference, new AssignRoles(acme.Users[Role.Responder].Id, null), null));
        }
        await using (var viewer = harness.As(acme.Viewer))
        {
            await Assert.ThrowsAsync<ForbiddenException>(() => viewer.Get<IncidentService>().TransitionAsync(incident.Reference, Phase.Containment, "x", null));
        }
        await using var manager = harness.As(acme.Manager);
        var service = manager.Get<IncidentService>();
        incident = await service.AssignRolesAsync(incident.Reference, new AssignRoles(acme.Users[Role.IncidentManager].Id, acme.Users[Role.Viewer].Id), null);
        Assert.Equal("Viewer of Acme", incident.CommunicationsLead!.DisplayName);
        incident = await service.TransitionAsync(incident.Reference, Phase.PostIncidentReview, "straight to review", null);
        var noReview = await Assert.ThrowsAsync<ConflictException>(() => service.TransitionAsync(incident.Reference, Phase.Closed, "close", null));
        Assert.Contains("post-incident review", noReview.Message);
        await Assert.ThrowsAsync<ConflictException>(() => service.AssignRolesAsync(incident.Reference, new AssignRoles(null, null), null));
        await Assert.ThrowsAsync<ConflictException>(() => service.TransitionAsync(incident.Reference, Phase.PostIncidentReview, "again", null));
    }

    [Theory, MemberData(nameof(Databases.Both), MemberType = typeof(Databases))]
    public async Task Reopen_IsRecorded_AndOnlyForManagers(DatabaseKind kind)
    {
        await using var harness = await CoreHarness.CreateAsync(kind);
        var acme = await harness.CreateTenantAsync("Acme");
        await using var manager = harness.As(acme.Manager);
        var incidents = manager.Get<IncidentService>();
        var incident = await incidents.CreateAsync(new CreateIncident("Crypto miner", IncidentManagerId: acme.Users[Role.IncidentManager].Id));
        await manager.Get<ReviewService>().SaveAsync(incident.Reference, "Miner removed.", null, null);
        incident = await incidents.TransitionAsync(incident.Reference, Phase.Closed, "resolved", null);
        Assert.NotNull(incident.Milestones.Closed);

        await using (var responder = harness.As(acme.Responder))
        {
            await Assert.ThrowsAsync<ForbiddenException>(() => responder.Get<IncidentService>().TransitionAsync(incident.Reference, Phase.Containment, "back", null));
        }
        incident = await incidents.TransitionAsync(incident.Reference, Phase.Containment, "miner is back", null);

        Assert.Equal(Phase.Containment, incident.Phase);
        Assert.Null(incident.Milestones.Closed);
        var reopen = (await incidents.ListTransitionsAsync(incident.Reference)).Last();
        Assert.True(reopen.IsReopen);
        Assert.Equal("miner is back", reopen.Reason);
    }

    [Theory, MemberData(nameof(Databases.Both), MemberType = typeof(Databases))]
    public async Task Status_DuplicateLinksToTheSurvivor_AndBlocksPhaseChanges(DatabaseKind kind)
    {
        await using var harness = await CoreHarness.CreateAsync(kind);
        var acme = await harness.CreateTenantAsync("Acme");
        var globex = await harness.CreateTenantAsync("Globex");
        await using var manager = harness.As(acme.Manager);
        var incidents = manager.Get<IncidentService>();
        var survivor = await incidents.CreateAsync(new CreateIncident("GuardDuty: crypto"));
        var copy = await incidents.CreateAsync(new CreateIncident("Same crypto alert"));
        IncidentDetails foreign;
        await using (var other = harness.As(globex.Manager))
            foreign = await other.Get<IncidentService>().CreateAsync(new CreateIncident("Globex incident"));

        await Assert.ThrowsAsync<ValidationFailedException>(() => incidents.SetStatusAsync(copy.Reference, IncidentStatus.Duplicate, "dup", null, null));
        await Assert.ThrowsAsync<ValidationFailedException>(() => incidents.SetStatusAsync(copy.Reference, IncidentStatus.Duplicate, "dup", copy.Reference, null));
        await Assert.ThrowsAsync<ValidationFailedException>(() => incidents.SetStatusAsync(copy.Reference, IncidentStatus.Duplicate, "dup", foreign.Id.ToString(), null));
        copy = await incidents.SetStatusAsync(copy.Reference, IncidentStatus.Duplicate, "same alert", survivor.Reference, null);

        Assert.Equal(IncidentStatus.Duplicate, copy.Status);
        Assert.Equal(survivor.Reference, copy.DuplicateOf);
        await Assert.ThrowsAsync<ConflictException>(() => incidents.TransitionAsync(copy.Reference, Phase.Containment, "x", null));
        await using (var responder = harness.As(acme.Responder))
        {
            await Assert.ThrowsAsync<ForbiddenException>(() => responder.Get<IncidentService>().SetStatusAsync(survivor.Reference, IncidentStatus.FalsePositive, "fp", null, null));
            var held = await responder.Get<IncidentService>().SetStatusAsync(survivor.Reference, IncidentStatus.OnHold, "waiting for the vendor", null, null);
            Assert.Equal(IncidentStatus.OnHold, held.Status);
        }
        copy = await incidents.SetStatusAsync(copy.Reference, IncidentStatus.Open, "not a duplicate after all", null, null);
        Assert.Null(copy.DuplicateOf);
    }
}
