using Firebreak.Core.Auditing;
using Firebreak.Core.Common;
using Firebreak.Core.Identity;
using Firebreak.Core.Incidents;
using Firebreak.Core.PostMortem;
using Firebreak.Testing;

namespace Firebreak.Core.Tests.PostMortem;

public class PostIncidentReviewTests
{
    [Theory, MemberData(nameof(Databases.Both), MemberType = typeof(Databases))]
    public async Task Review_StoresEveryAnswer_AndASummaryOnlySaveKeepsTheRest(DatabaseKind kind)
    {
        await using var harness = await CoreHarness.CreateAsync(kind);
        var acme = await harness.CreateTenantAsync("Acme");
        await using var scope = harness.As(acme.Responder);
        var incident = await scope.Get<IncidentService>().CreateAsync(new CreateIncident("Leaked key"));
        var reviews = scope.Get<ReviewService>();

        var saved = await reviews.SaveAsync(incident.Reference, new ReviewAnswers("Key leaked in a repo.", "Scan repos.", RootCause: "No secret scanning",
            WhatWentWell: "Fast containment", CouldBeBetter: "Paging", DetectSooner: "Yes, with data events", AdditionalData: "S3 data events",
            ProcessChangeNeeded: "Yes", ProcessChanges: "Scan every push", ProviderSla: "No, 3 h late"), null);
        var kept = await reviews.SaveAsync(incident.Reference, "Key leaked in a public repo.", null, saved.Version);
        var read = await reviews.GetAsync(incident.Reference);

        Assert.NotNull(read);
        Assert.Equal(kept, read);
        Assert.Equal("Key leaked in a public repo.", read.Summary);
        Assert.Equal("", read.LessonsLearned);
        Assert.Equal(("No secret scanning", "Fast containment", "Paging", "Yes, with data events", "S3 data events", "Yes", "Scan every push", "No, 3 h late"),
            (read.RootCause, read.WhatWentWell, read.CouldBeBetter, read.DetectSooner, read.AdditionalData, read.ProcessChangeNeeded, read.ProcessChanges, read.ProviderSla));
        Assert.Equal(saved.Version + 1, read.Version);
        var cleared = await reviews.SaveAsync(incident.Reference, new ReviewAnswers("Key leaked.", RootCause: ""), read.Version);
        Assert.Equal("", cleared.RootCause);
        Assert.Equal("Fast containment", cleared.WhatWentWell);
        await Assert.ThrowsAsync<ConcurrencyConflictException>(() => reviews.SaveAsync(incident.Reference, new ReviewAnswers("Again"), saved.Version));
        var tooLong = await Assert.ThrowsAsync<ValidationFailedException>(() =>
            reviews.SaveAsync(incident.Reference, new ReviewAnswers("s", DetectSooner: new string('x', IncidentLimits.SummaryLength + 1)), null));
        Assert.Contains("detectSooner", tooLong.Errors.Keys);
        var audit = await harness.As(acme.Admin).Get<AuditService>().ListForIncidentAsync(incident.Reference, 1, 50);
        Assert.Contains(audit.Items, a => a.EntityType == nameof(PostIncidentReview) && a.Action == "updated");
    }

    [Theory, MemberData(nameof(Databases.Both), MemberType = typeof(Databases))]
    public async Task FollowUps_AreTrackedAcrossIncidentsUntilDone_OverdueOnesFlagged(DatabaseKind kind)
    {
        await using var harness = await CoreHarness.CreateAsync(kind);
        var acme = await harness.CreateTenantAsync("Acme");
        var globex = await harness.CreateTenantAsync("Globex");
        await using var scope = harness.As(acme.Responder);
        var incidents = scope.Get<IncidentService>();
        var first = await incidents.CreateAsync(new CreateIncident("Leaked key"));
        var second = await incidents.CreateAsync(new CreateIncident("Open bucket"));
        var followUps = scope.Get<FollowUpService>();
        var today = DateOnly.FromDateTime(harness.Time.GetUtcNow().UtcDateTime);
        var owner = acme.Users[Role.IncidentManager].Id;

        var rotate = await followUps.AddAsync(first.Reference, new CreateFollowUp("Rotate keys", owner, today.AddDays(2)));
        var scan = await followUps.AddAsync(second.Reference, new CreateFollowUp("Enable secret scanning", null, today.AddDays(1), "Org-wide"));
        var undated = await followUps.AddAsync(second.Reference, new CreateFollowUp("Write runbook"));
        harness.Time.Advance(TimeSpan.FromDays(2));

        var open = await followUps.ListAcrossIncidentsAsync(new FollowUpQuery());
        Assert.Equal(["Enable secret scanning", "Rotate keys", "Write runbook"], open.Items.Select(f => f.Title));
        Assert.Equal([true, false, false], open.Items.Select(f => f.Overdue));
        Assert.Equal(second.Reference, open.Items[0].Incident.Reference);
        Assert.Equal(owner, open.Items[1].Owner?.Id);
        var overdue = await followUps.ListAcrossIncidentsAsync(new FollowUpQuery(OverdueOnly: true));
        Assert.Equal([scan.Id], overdue.Items.Select(f => f.Id));

        var done = await followUps.UpdateAsync(second.Reference, scan.Id, new UpdateFollowUp(Status: FollowUpStatus.Done), scan.Version);
        Assert.Equal(harness.Time.GetUtcNow(), done.CompletedAt);
        Assert.False(done.Overdue);
        Assert.Equal([rotate.Id, undated.Id], (await followUps.ListAcrossIncidentsAsync(new FollowUpQuery())).Items.Select(f => f.Id));
        Assert.Equal([scan.Id], (await followUps.ListAcrossIncidentsAsync(new FollowUpQuery(FollowUpStatus.Done))).Items.Select(f => f.Id));
        Assert.Equal([rotate.Id], (await followUps.ListAcrossIncidentsAsync(new FollowUpQuery(OwnerId: owner))).Items.Select(f => f.Id));
        var reopened = await followUps.UpdateAsync(second.Reference, scan.Id, new UpdateFollowUp(Status: FollowUpStatus.InProgress, ClearDueOn: true), done.Version);
        Assert.Null(reopened.CompletedAt);
        Assert.Null(reopened.DueOn);

        await Assert.ThrowsAsync<ConcurrencyConflictException>(() => followUps.UpdateAsync(second.Reference, scan.Id, new UpdateFollowUp(Title: "x"), done.Version));
        await Assert.ThrowsAsync<NotFoundException>(() => followUps.UpdateAsync(first.Reference, scan.Id, new UpdateFollowUp(Title: "x"), null));
        var foreignOwner = await Assert.ThrowsAsync<ValidationFailedException>(() =>
            followUps.AddAsync(first.Reference, new CreateFollowUp("x", globex.Users[Role.Responder].Id)));
        Assert.Contains("ownerId", foreignOwner.Errors.Keys);
        await Assert.ThrowsAsync<ValidationFailedException>(() => followUps.AddAsync(first.Reference, new CreateFollowUp(" ")));
        await Assert.ThrowsAsync<ValidationFailedException>(() => followUps.UpdateAsync(first.Reference, rotate.Id, new UpdateFollowUp(Status: (FollowUpStatus)9), null));

        await using (var viewer = harness.As(acme.Viewer))
        {
            Assert.Equal(3, (await viewer.Get<FollowUpService>().ListAcrossIncidentsAsync(new FollowUpQuery(PageSize: 10))).Total);
            await Assert.ThrowsAsync<ForbiddenException>(() => viewer.Get<FollowUpService>().AddAsync(first.Reference, new CreateFollowUp("x")));
        }
        await using (var other = harness.As(globex.Manager))
        {
            Assert.Empty((await other.Get<FollowUpService>().ListAcrossIncidentsAsync(new FollowUpQuery())).Items);
            await Assert.ThrowsAsync<NotFoundException>(() => other.Get<FollowUpService>().ListAsync(first.Reference));
        }
    }

    [Theory, MemberData(nameof(Databases.Both), MemberType = typeof(Databases))]
    public async Task DataGaps_RecordWhatWasMissing_AndAutomaticOnesCannotBeEdited(DatabaseKind kind)
    {
        await using var harness = await CoreHarness.CreateAsync(kind);
        var acme = await harness.CreateTenantAsync("Acme");
        await using var scope = harness.As(acme.Responder);
        var incident = await scope.Get<IncidentService>().CreateAsync(new CreateIncident("Leaked key"));
        var gaps = scope.Get<DataGapService>();

        var gap = await gaps.AddAsync(incident.Reference, new DataGapInput("CloudTrail data events", DataGapImpact.Scoping, "aws", "s3", "Could not tell which objects were read"));
        var edited = await gaps.UpdateAsync(incident.Reference, gap.Id, new DataGapInput("CloudTrail S3 data events", DataGapImpact.DetectionAndScoping, "aws", " "), gap.Version);
        var automatic = await gaps.AddAsync(incident.Reference, new DataGapInput("VPC flow logs", DataGapImpact.Detection), DataGapSource.ManagementPlaneCheck, "check-1", default);

        var listed = await gaps.ListAsync(incident.Reference);
        Assert.Equal([edited, automatic], listed);
        Assert.Equal((DataGapSource.Analyst, DataGapImpact.DetectionAndScoping, null, ""), (edited.Source, edited.WouldHaveShortened, edited.Service, edited.Note));
        Assert.Equal("responder@acme.example", edited.RecordedBy);
        await Assert.ThrowsAsync<ConflictException>(() => gaps.UpdateAsync(incident.Reference, automatic.Id, new DataGapInput("x", DataGapImpact.Detection), null));
        await Assert.ThrowsAsync<ConflictException>(() => gaps.DeleteAsync(incident.Reference, automatic.Id, null));
        await Assert.ThrowsAsync<ConcurrencyConflictException>(() => gaps.DeleteAsync(incident.Reference, gap.Id, gap.Version));
        var missing = await Assert.ThrowsAsync<ValidationFailedException>(() => gaps.AddAsync(incident.Reference, new DataGapInput("", null)));
        Assert.Equal(["logSource", "wouldHaveShortened"], missing.Errors.Keys.Order());
        await gaps.DeleteAsync(incident.Reference, gap.Id, edited.Version);
        Assert.Equal([automatic.Id], (await gaps.ListAsync(incident.Reference)).Select(g => g.Id));
    }

    [Theory, MemberData(nameof(Databases.Both), MemberType = typeof(Databases))]
    public async Task ProviderEscalations_ReviewTheSla_BreachesFirst(DatabaseKind kind)
    {
        await using var harness = await CoreHarness.CreateAsync(kind);
        var acme = await harness.CreateTenantAsync("Acme");
        await using var scope = harness.As(acme.Responder);
        var incident = await scope.Get<IncidentService>().CreateAsync(new CreateIncident("Leaked key"));
        var escalations = scope.Get<ProviderEscalationService>();
        var now = harness.Time.GetUtcNow();
        var t0 = now - TimeSpan.FromHours(8);

        var met = await escalations.AddAsync(incident.Reference, new ProviderEscalationInput("aws", "case-1", t0, 60, "iam", t0.AddMinutes(60), t0.AddHours(5)));
        var late = await escalations.AddAsync(incident.Reference, new ProviderEscalationInput("azure", "case-2", t0.AddMinutes(10), 240, FirstResponseAt: t0.AddHours(7)));
        var waiting = await escalations.AddAsync(incident.Reference, new ProviderEscalationInput("gcp", "case-3", now, 30));
        Assert.Equal(SlaOutcome.Pending, waiting.Sla.Outcome);
        harness.Time.Advance(TimeSpan.FromMinutes(45));

        var review = await escalations.ListAsync(incident.Reference);

        Assert.Equal((3, 1, 2, 0), (review.Escalations, review.Met, review.Breached, review.Pending));
        // Breaches first, each group in the order the cases were opened.
        Assert.Equal(["case-2", "case-3", "case-1"], review.Items.Select(e => e.CaseId));
        Assert.Equal(new SlaReview(t0.AddMinutes(60), SlaOutcome.Met, TimeSpan.FromMinutes(60), null, TimeSpan.FromHours(5)), review.Items[2].Sla);
        Assert.Equal(new SlaReview(t0.AddMinutes(250), SlaOutcome.Breached, TimeSpan.FromMinutes(410), TimeSpan.FromMinutes(170), null), review.Items[0].Sla);
        Assert.Equal(TimeSpan.FromMinutes(15), review.Items[1].Sla.Overrun);

        var answered = await escalations.UpdateAsync(incident.Reference, waiting.Id,
            new ProviderEscalationInput("gcp", "case-3", now, 30, FirstResponseAt: now.AddMinutes(20), Notes: "Answered by phone"), waiting.Version);
        Assert.Equal(SlaOutcome.Met, answered.Sla.Outcome);
        var bad = await Assert.ThrowsAsync<ValidationFailedException>(() =>
            escalations.AddAsync(incident.Reference, new ProviderEscalationInput("", "c", null, 0, FirstResponseAt: t0)));
        Assert.Equal(["openedAt", "provider", "slaResponseMinutes"], bad.Errors.Keys.Order());
        var backwards = await Assert.ThrowsAsync<ValidationFailedException>(() =>
            escalations.AddAsync(incident.Reference, new ProviderEscalationInput("aws", "c", t0, 10, FirstResponseAt: t0.AddMinutes(-1))));
        Assert.Contains("firstResponseAt", backwards.Errors.Keys);
        var future = await Assert.ThrowsAsync<ValidationFailedException>(() =>
            escalations.AddAsync(incident.Reference, new ProviderEscalationInput("aws", "c", harness.Time.GetUtcNow().AddHours(1), 10)));
        Assert.Contains("openedAt", future.Errors.Keys);
        await Assert.ThrowsAsync<ConcurrencyConflictException>(() => escalations.DeleteAsync(incident.Reference, met.Id, met.Version + 1));
        await escalations.DeleteAsync(incident.Reference, met.Id, met.Version);
        Assert.Equal(2, (await escalations.ListAsync(incident.Reference)).Escalations);
        _ = late;
    }
}
