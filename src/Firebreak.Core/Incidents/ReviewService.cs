using Firebreak.Core.Common;
using Firebreak.Core.Identity;
using Firebreak.Core.Persistence;
using Microsoft.EntityFrameworkCore;

namespace Firebreak.Core.Incidents;

/// <summary>
/// The post-incident review record: the summary and lessons learned that closing requires, and the
/// review's questions (root cause, what went well, what could be better, detection, data, process, SLA).
/// </summary>
public sealed class ReviewService(IDbContextFactory<FirebreakDbContext> factory, TimeProvider time)
{
    public async Task<ReviewView?> GetAsync(string incidentKey, CancellationToken cancellationToken = default)
    {
        await using var db = await factory.CreateDbContextAsync(cancellationToken);
        var incident = await IncidentLookup.FindAsync(db, incidentKey, cancellationToken, track: false);
        var review = await db.PostIncidentReviews.AsNoTracking().SingleOrDefaultAsync(r => r.IncidentId == incident.Id, cancellationToken);
        return review is null ? null : ToView(review);
    }

    /// <summary>Writes the summary and lessons learned; the other answers stay as they are.</summary>
    public Task<ReviewView> SaveAsync(string incidentKey, string summary, string? lessonsLearned, long? expectedVersion, CancellationToken cancellationToken = default) =>
        SaveAsync(incidentKey, new ReviewAnswers(summary, lessonsLearned ?? ""), expectedVersion, cancellationToken);

    public async Task<ReviewView> SaveAsync(string incidentKey, ReviewAnswers answers, long? expectedVersion, CancellationToken cancellationToken = default)
    {
        const int max = IncidentLimits.SummaryLength;
        new Checks().Required("summary", answers.Summary, max)
            .MaxLength("lessonsLearned", answers.LessonsLearned, max)
            .MaxLength("rootCause", answers.RootCause, max)
            .MaxLength("whatWentWell", answers.WhatWentWell, max)
            .MaxLength("couldBeBetter", answers.CouldBeBetter, max)
            .MaxLength("detectSooner", answers.DetectSooner, max)
            .MaxLength("additionalData", answers.AdditionalData, max)
            .MaxLength("processChangeNeeded", answers.ProcessChangeNeeded, max)
            .MaxLength("processChanges", answers.ProcessChanges, max)
            .MaxLength("providerSla", answers.ProviderSla, max)
            .ThrowIfAny();
        await using var db = await factory.CreateDbContextAsync(cancellationToken);
        IncidentLookup.Require(db.Actor, Role.Responder, "write the post-incident review");
        var incident = await IncidentLookup.FindAsync(db, incidentKey, cancellationToken, track: false);
        var review = await db.PostIncidentReviews.SingleOrDefaultAsync(r => r.IncidentId == incident.Id, cancellationToken);
        var now = time.GetUtcNow();
        if (review is null)
        {
            review = new PostIncidentReview { IncidentId = incident.Id, CreatedAt = now };
            db.PostIncidentReviews.Add(review);
        }
        else
        {
            IncidentLookup.CheckVersion(review, expectedVersion);
        }
        review.Summary = answers.Summary.Trim();
        if (answers.LessonsLearned is not null) review.LessonsLearned = answers.LessonsLearned.Trim();
        if (answers.RootCause is not null) review.RootCause = answers.RootCause.Trim();
        if (answers.WhatWentWell is not null) review.WhatWentWell = answers.WhatWentWell.Trim();
        if (answers.CouldBeBetter is not null) review.CouldBeBetter = answers.CouldBeBetter.Trim();
        if (answers.DetectSooner is not null) review.DetectSooner = answers.DetectSooner.Trim();
        if (answers.AdditionalData is not null) review.AdditionalData = answers.AdditionalData.Trim();
        if (answers.ProcessChangeNeeded is not null) review.ProcessChangeNeeded = answers.ProcessChangeNeeded.Trim();
        if (answers.ProcessChanges is not null) review.ProcessChanges = answers.ProcessChanges.Trim();
        if (answers.ProviderSla is not null) review.ProviderSla = answers.ProviderSla.Trim();
        review.ReviewedBy = db.Actor.Name;
        review.UpdatedAt = now;
        try
        {
            await db.SaveChangesAsync(cancellationToken);
        }
        catch (DbUpdateException) when (review.Version == 0)
        {
            throw new ConcurrencyConflictException("Someone else created the review at the same time. Reload it and try again.");
        }
        return ToView(review);
    }

    private static ReviewView ToView(PostIncidentReview r) => new(r.Summary, r.LessonsLearned, r.ReviewedBy, r.CreatedAt, r.UpdatedAt, r.Version,
        r.RootCause, r.WhatWentWell, r.CouldBeBetter, r.DetectSooner, r.AdditionalData, r.ProcessChangeNeeded, r.ProcessChanges, r.ProviderSla);
}
