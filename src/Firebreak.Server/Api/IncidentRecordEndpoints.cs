using Firebreak.Core.Auditing;
using Firebreak.Core.Common;
using Firebreak.Core.Incidents;
using Firebreak.Server.Identity;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Firebreak.Server.Api;

public sealed record JournalRequest(string Body);


/// <summary>What hangs off an incident: tasks, journal, post-incident review, audit trail.</summary>
internal static class IncidentRecordEndpoints
{
    public static RouteGroupBuilder MapIncidentRecordEndpoints(this RouteGroupBuilder api)
    {
        var incident = api.MapGroup("/incidents/{key}").WithTags("Incidents");
        incident.MapGet("/tasks", ListTasksAsync).WithName("ListIncidentTasks").RequireAuthorization(Policies.Viewer);
        incident.MapPost("/tasks", AddTaskAsync).WithName("AddIncidentTask").RequireAuthorization(Policies.Responder);
        incident.MapPatch("/tasks/{taskId:guid}", UpdateTaskAsync).WithName("UpdateIncidentTask").RequireAuthorization(Policies.Responder);
        incident.MapGet("/journal", ListJournalAsync).WithName("ListJournalEntries").RequireAuthorization(Policies.Viewer);
        incident.MapPost("/journal", AddJournalAsync).WithName("AddJournalEntry").RequireAuthorization(Policies.Responder);
        incident.MapPut("/journal/{entryId:guid}", EditJournalAsync).WithName("EditJournalEntry").RequireAuthorization(Policies.Responder);
        incident.MapGet("/journal/{entryId:guid}/revisions", ListRevisionsAsync).WithName("ListJournalRevisions").RequireAuthorization(Policies.Viewer);
        incident.MapGet("/review", GetReviewAsync).WithName("GetPostIncidentReview").RequireAuthorization(Policies.Viewer);
        incident.MapPut("/review", SaveReviewAsync).WithName("SavePostIncidentReview").RequireAuthorization(Policies.Responder);
        incident.MapGet("/audit", ListIncidentAuditAsync).WithName("ListIncidentAudit").RequireAuthorization(Policies.Viewer);
        api.MapGet("/audit", ListAuditAsync).WithName("ListAudit").WithTags("Audit").RequireAuthorization(Policies.Admin);
        return api;
    }

    public static async Task<Ok<IReadOnlyList<TaskView>>> ListTasksAsync(string key, TaskService tasks, CancellationToken cancellationToken) =>
        TypedResults.Ok(await tasks.ListAsync(key, cancellationToken));

    public static async Task<Created<TaskView>> AddTaskAsync(string key, CreateTask body, TaskService tasks, CancellationToken cancellationToken)
    {
        var task = await tasks.AddAsync(key, body, cancellationToken);
        return TypedResults.Created($"/api/v1/incidents/{key}/tasks/{task.Id}", task);
    }

    public static async Task<Ok<TaskView>> UpdateTaskAsync(string key, Guid taskId, UpdateTask body, TaskService tasks, HttpContext context, CancellationToken cancellationToken)
    {
        var task = await tasks.UpdateAsync(key, taskId, body, ETags.ExpectedVersion(context.Request), cancellationToken);
        ETags.Set(context.Response, task.Version);
        return TypedResults.Ok(task);
    }

    public static async Task<Ok<IReadOnlyList<JournalEntryView>>> ListJournalAsync(string key, JournalService journal, CancellationToken cancellationToken) =>
        TypedResults.Ok(await journal.ListAsync(key, cancellationToken));

    public static async Task<Created<JournalEntryView>> AddJournalAsync(string key, JournalRequest body, JournalService journal, CancellationToken cancellationToken)
    {
        var entry = await journal.AddAsync(key, body.Body, cancellationToken);
        return TypedResults.Created($"/api/v1/incidents/{key}/journal/{entry.Id}", entry);
    }

    public static async Task<Ok<JournalEntryView>> EditJournalAsync(string key, Guid entryId, JournalRequest body, JournalService journal, CancellationToken cancellationToken) =>
        TypedResults.Ok(await journal.EditAsync(key, entryId, body.Body, cancellationToken));

    public static async Task<Ok<IReadOnlyList<JournalRevisionView>>> ListRevisionsAsync(string key, Guid entryId, JournalService journal, CancellationToken cancellationToken) =>
        TypedResults.Ok(await journal.ListRevisionsAsync(key, entryId, cancellationToken));

    public static async Task<Results<Ok<ReviewView>, NotFound<Microsoft.AspNetCore.Mvc.ProblemDetails>>> GetReviewAsync(string key, ReviewService reviews, CancellationToken cancellationToken)
    {
        var review = await reviews.GetAsync(key, cancellationToken);
        return review is null
            ? TypedResults.NotFound(new Microsoft.AspNetCore.Mvc.ProblemDetails { Status = 404, Title = "Not found", Detail = "This incident has no post-incident review yet." })
            : TypedResults.Ok(review);
    }

    public static async Task<Ok<ReviewView>> SaveReviewAsync(string key, ReviewAnswers body, ReviewService reviews, HttpContext context, CancellationToken cancellationToken)
    {
        var review = await reviews.SaveAsync(key, body, ETags.ExpectedVersion(context.Request), cancellationToken);
        ETags.Set(context.Response, review.Version);
        return TypedResults.Ok(review);
    }

    public static async Task<Ok<PagedResult<AuditView>>> ListIncidentAuditAsync(string key, int? page, int? pageSize, AuditService audit, CancellationToken cancellationToken) =>
        TypedResults.Ok(await audit.ListForIncidentAsync(key, page, pageSize, cancellationToken));

    public static async Task<Ok<PagedResult<AuditView>>> ListAuditAsync(int? page, int? pageSize, AuditService audit, CancellationToken cancellationToken) =>
        TypedResults.Ok(await audit.ListAsync(page, pageSize, cancellationToken));
}
