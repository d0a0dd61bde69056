using Firebreak.Core.Response;
using Firebreak.Server.Identity;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Firebreak.Server.Api;

/// <summary>Response actions of an incident: the catalogue, dry-run plans, approval, runs and undo.</summary>
internal static class ResponseEndpoints
{
    public static RouteGroupBuilder MapResponseEndpoints(this RouteGroupBuilder api)
    {
        api.MapGet("/response/catalogue", Catalogue).WithTags("Response").WithName("ListResponseCatalogue").RequireAuthorization(Policies.Viewer);
        var actions = api.MapGroup("/incidents/{key}/actions").WithTags("Response");
        actions.MapPost("/", PlanAsync).WithName("PlanResponseAction").RequireAuthorization(Policies.Responder);
        actions.MapGet("/", ListAsync).WithName("ListResponseActions").RequireAuthorization(Policies.Viewer);
        actions.MapGet("/{id:guid}", GetAsync).WithName("GetResponseAction").RequireAuthorization(Policies.Viewer);
        actions.MapPost("/{id:guid}/approve", ApproveAsync).WithName("ApproveResponseAction").RequireAuthorization(Policies.Responder);
        actions.MapPost("/{id:guid}/run", RunAsync).WithName("RunResponseAction").RequireAuthorization(Policies.Responder);
        actions.MapPost("/{id:guid}/undo", UndoAsync).WithName("UndoResponseAction").RequireAuthorization(Policies.Responder);
        actions.MapPost("/{id:guid}/replan", ReplanAsync).WithName("ReplanResponseAction").RequireAuthorization(Policies.Responder);
        return api;
    }

    public static Ok<IReadOnlyList<ActionDefinition>> Catalogue(ResponseService response) => TypedResults.Ok(response.Catalogue());

    /// <summary>A dry run: reads the cloud state and records the plan; nothing changes in the cloud.</summary>
    public static async Task<Created<ResponseActionView>> PlanAsync(string key, PlanAction body, ResponseService response, HttpResponse http, CancellationToken cancellationToken)
    {
        var planned = await response.PlanAsync(key, body, cancellationToken);
        ETags.Set(http, planned.Version);
        return TypedResults.Created($"/api/v1/incidents/{key}/actions/{planned.Id}", planned);
    }

    public static async Task<Ok<IReadOnlyList<ResponseActionView>>> ListAsync(string key, ResponseService response, CancellationToken cancellationToken) =>
        TypedResults.Ok(await response.ListAsync(key, cancellationToken));

    public static async Task<Ok<ResponseActionView>> GetAsync(string key, Guid id, ResponseService response, HttpResponse http, CancellationToken cancellationToken)
    {
        var action = await response.GetAsync(key, id, cancellationToken);
        ETags.Set(http, action.Version);
        return TypedResults.Ok(action);
    }

    public static Task<Ok<ResponseActionView>> ApproveAsync(string key, Guid id, ApproveAction body, ResponseService response, HttpContext context, CancellationToken cancellationToken) =>
        ChangeAsync(key, id, response, context, version => response.ApproveAsync(id, body, version, cancellationToken), cancellationToken);

    public static Task<Ok<ResponseActionView>> RunAsync(string key, Guid id, ResponseService response, HttpContext context, CancellationToken cancellationToken) =>
        ChangeAsync(key, id, response, context, version => response.RunAsync(id, version, cancellationToken), cancellationToken);

    public static Task<Ok<ResponseActionView>> UndoAsync(string key, Guid id, UndoAction body, ResponseService response, HttpContext context, CancellationToken cancellationToken) =>
        ChangeAsync(key, id, response, context, version => response.UndoAsync(id, body, version, cancellationToken), cancellationToken);

    /// <summary>Plans an interrupted or failed action again on the same target, reading the state as it is now.</summary>
    public static async Task<Created<ResponseActionView>> ReplanAsync(string key, Guid id, ResponseService response, HttpResponse http, CancellationToken cancellationToken)
    {
        var planned = await response.ReplanAsync(key, id, cancellationToken);
        ETags.Set(http, planned.Version);
        return TypedResults.Created($"/api/v1/incidents/{key}/actions/{planned.Id}", planned);
    }

    /// <summary>A change to an action of this incident: the action must belong to it; the If-Match version goes in and the new ETag comes out.</summary>
    private static async Task<Ok<ResponseActionView>> ChangeAsync(string key, Guid id, ResponseService response, HttpContext context,
        Func<long?, Task<ResponseActionView>> change, CancellationToken cancellationToken)
    {
        await response.GetAsync(key, id, cancellationToken);
        var action = await change(ETags.ExpectedVersion(context.Request));
        ETags.Set(context.Response, action.Version);
        return TypedResults.Ok(action);
    }
}
