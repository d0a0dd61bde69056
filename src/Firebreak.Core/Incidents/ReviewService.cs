using Firebreak.Core.Common;
using Firebreak.Core.Identity;
using Firebreak.Core.Persistence;
using Microsoft.EntityFrameworkCore;

namespace Firebreak.Core.Incidents;

/// <summary>The post-incident review record. Minimal for now: a summary and lessons learned.</summary>
public sealed class ReviewService(IDbContextFactory<FirebreakDbContext> factory, TimeProvider time)
{
    public async Task<ReviewView?> GetAsync(string incidentKey, CancellationToken cancellationToken = default)
    {
        await using var db = await factory.CreateDbContextAsync(cancellationToken);
        var incident = await IncidentLookup.FindAsync(db, incidentKey, cancellationToken, track: false);
        var review = await db.PostIncidentReviews.AsNoTracking().SingleOrDefaultAsync(r => r.IncidentId == incident.Id, cancellationToken);
        return review is null ? null : ToView(review);
    }

    public async Task<ReviewView> SaveAsync(string incidentKey, string summary, string? lessonsLearned, long? expectedVersion, CancellationToken cancellationToken = default)
    {
        new Checks().Required("summary", summary, IncidentLimits.SummaryLength)
            .MaxLength("lessonsLearned", lessonsLearned, IncidentLimits.SummaryLength).ThrowIfAny();
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
        review.Summary = summary.Trim();
        review.LessonsLearned = lessonsLearned?.Trim() ?? "";
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

    private static ReviewView ToView(PostIncidentReview r) => new(r.Summary, r.LessonsLearned, r.ReviewedBy, r.CreatedAt, r.UpdatedAt, r.Version);
}
