using Firebreak.Core.Common;
using Firebreak.Core.Identity;
using Firebreak.Core.Incidents;
using Firebreak.Testing;
using TaskStatus = Firebreak.Core.Incidents.TaskStatus;

namespace Firebreak.Core.Tests.Incidents;

public class IncidentRecordTests
{
    [Theory, MemberData(nameof(Databases.Both), MemberType = typeof(Databases))]
    public async Task JournalEdit_KeepsEveryEarlierText(DatabaseKind kind)
    {
        await using var harness = await CoreHarness.CreateAsync(kind);
        var acme = await harness.CreateTenantAsync("Acme");
        await using var responder = harness.As(acme.Responder);
        var incident = await responder.Get<IncidentService>().CreateAsync(new CreateIncident("Phish"));
        var journal = responder.Get<JournalService>();
        var entry = await journal.AddAsync(incident.Reference, "Saw **AKIA123** used from 203.0.113.7");
        harness.Time.Advance(TimeSpan.FromMinutes(5));

        await using (var manager = harness.As(acme.Manager))
            entry = await manager.Get<JournalService>().EditAsync(incident.Reference, entry.Id, "Saw **AKIA123** used from 203.0.113.7 and 198.51.100.2");

        Assert.Equal(2, entry.Revisions);
        Assert.Equal("incident-manager@acme.example", entry.LastEditor);
        Assert.Equal("responder@acme.example", entry.Author);
        var revisions = await journal.ListRevisionsAsync(incident.Reference, entry.Id);
        Assert.Equal(["Saw **AKIA123** used from 203.0.113.7", "Saw **AKIA123** used from 203.0.113.7 and 198.51.100.2"], revisions.Select(r => r.Body));
        Assert.Equal(entry.Body, (await journal.ListAsync(incident.Reference)).Single().Body);
        await Assert.ThrowsAsync<ValidationFailedException>(() => journal.AddAsync(incident.Reference, ""));
        await Assert.ThrowsAsync<NotFoundException>(() => journal.EditAsync(incident.Reference, Guid.NewGuid(), "x"));
    }

    [Theory, MemberData(nameof(Databases.Both), MemberType = typeof(Databases))]
    public async Task Tasks_TrackOwnerDueDateStatusAndPhase(DatabaseKind kind)
    {
        await using var harness = await CoreHarness.CreateAsync(kind);
        var acme = await harness.CreateTenantAsync("Acme");
        var globex = await harness.CreateTenantAsync("Globex");
        await using var responder = harness.As(acme.Responder);
        var incident = await responder.Get<IncidentService>().CreateAsync(new CreateIncident("Public snapshot"));
        var tasks = responder.Get<TaskService>();
        var due = harness.Time.GetUtcNow().AddHours(4);

        var task = await tasks.AddAsync(incident.Reference, new CreateTask("Unshare snapshot snap-0abc", acme.Users[Role.Responder].Id, due));
        Assert.Equal(Phase.DetectionAndAnalysis, task.Phase);
        Assert.Equal(TaskStatus.Todo, task.Status);
        task = await tasks.UpdateAsync(incident.Reference, task.Id, new UpdateTask(Status: TaskStatus.Done, Phase: Phase.Containment), task.Version);

        Assert.Equal(TaskStatus.Done, task.Status);
        Assert.Equal(Phase.Containment, task.Phase);
        Assert.Equal(due, task.DueAt);
        Assert.Equal("Responder of Acme", task.Owner!.DisplayName);
        await Assert.ThrowsAsync<ConcurrencyConflictException>(() => tasks.UpdateAsync(incident.Reference, task.Id, new UpdateTask(Title: "x"), task.Version - 1));
        await Assert.ThrowsAsync<ValidationFailedException>(() => tasks.AddAsync(incident.Reference, new CreateTask("x", globex.Users[Role.Admin].Id)));
        await using var viewer = harness.As(acme.Viewer);
        await Assert.ThrowsAsync<ForbiddenException>(() => viewer.Get<TaskService>().AddAsync(incident.Reference, new CreateTask("x")));
        Assert.Single(await viewer.Get<TaskService>().ListAsync(incident.Reference));
    }
}
