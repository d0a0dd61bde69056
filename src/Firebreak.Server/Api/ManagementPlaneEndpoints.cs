using Firebreak.Core.Common;
using Firebreak.Core.ManagementPlane;
using Firebreak.Server.Identity;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Firebreak.Server.Api;

/// <summary>The management-plane check of an incident: runs with their history, the review, and whether containment may go ahead.</summary>
internal static class ManagementPlaneEndpoints
{
    public static RouteGroupBuilder MapManagementPlaneEndpoints(this RouteGroupBuilder api)
    {
        var check = api.MapGroup("/incidents/{key}/management-plane").WithTags("ManagementPlane");
        check.MapPost("/checks", RunAsync).WithName("RunManagementPlaneCheck").RequireAuthorization(Policies.Responder);
        check.MapGet("/checks", ListAsync).WithName("ListManagementPlaneChecks").RequireAuthorization(Policies.Viewer);
        check.MapGet("/checks/latest", GetLatestAsync).WithName("GetLatestManagementPlaneCheck").RequireAuthorization(Policies.Viewer);
        check.MapGet("/checks/{checkId:guid}", GetAsync).WithName("GetManagementPlaneCheck").RequireAuthorization(Policies.Viewer);
        check.MapPost("/checks/{checkId:guid}/review", ReviewAsync).WithName("ReviewManagementPlaneCheck").RequireAuthorization(Policies.Responder);
        check.MapGet("/readiness", GetReadinessAsync).WithName("GetContainmentReadiness").RequireAuthorization(Policies.Viewer);
        return api;
    }

    /// <summary>Runs the check now; without a body (or without from/to) over the span of the incident's events.</summary>
    public static async Task<Created<CheckRunView>> RunAsync(string key, RunCheck? body, ManagementPlaneCheckService checks, HttpResponse http, CancellationToken cancellationToken)
    {
        var run = await checks.RunAsync(key, body ?? new RunCheck(), cancellationToken);
        ETags.Set(http, run.Version);
        return TypedResults.Created($"/api/v1/incidents/{key}/management-plane/checks/{run.Id}", run);
    }

    public static async Task<Ok<IReadOnlyList<CheckRunView>>> ListAsync(string key, ManagementPlaneCheckService checks, CancellationToken cancellationToken) =>
        TypedResults.Ok(await checks.ListAsync(key, cancellationToken));

    /// <summary>The newest run; 404 when the check never ran on the incident.</summary>
    public static async Task<Ok<CheckRunView>> GetLatestAsync(string key, ManagementPlaneCheckService checks, HttpResponse http, CancellationToken cancellationToken)
    {
        var run = await checks.GetLatestAsync(key, cancellationToken) ?? throw new NotFoundException("Management-plane check", "latest");
        ETags.Set(http, run.Version);
        return TypedResults.Ok(run);
    }

    public static async Task<Ok<CheckRunView>> GetAsync(string key, Guid checkId, ManagementPlaneCheckService checks, HttpResponse http, CancellationToken cancellationToken)
    {
        var run = await checks.GetAsync(key, checkId, cancellationToken);
        ETags.Set(http, run.Version);
        return TypedResults.Ok(run);
    }

    /// <summary>Records who reviewed the newest run, when, and their note; send If-Match with the run's ETag to be sure it is the run you read.</summary>
    public static async Task<Ok<CheckRunView>> ReviewAsync(string key, Guid checkId, ReviewCheck body, ManagementPlaneCheckService checks, HttpContext context, CancellationToken cancellationToken)
    {
        var run = await checks.ReviewAsync(key, checkId, body, ETags.ExpectedVersion(context.Request), cancellationToken);
        ETags.Set(context.Response, run.Version);
        return TypedResults.Ok(run);
    }

    public static async Task<Ok<ContainmentReadiness>> GetReadinessAsync(string key, ManagementPlaneCheckService checks, CancellationToken cancellationToken) =>
        TypedResults.Ok(await checks.GetReadinessAsync(key, cancellationToken));
}
