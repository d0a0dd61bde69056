using Firebreak.Core.Scope;
using Firebreak.Server.Identity;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Firebreak.Server.Api;

/// <summary>The incident scope (entity graph, blast radius, patient zero) and the marks that seed it.</summary>
internal static class ScopeEndpoints
{
    public static RouteGroupBuilder MapScopeEndpoints(this RouteGroupBuilder api)
    {
        var scope = api.MapGroup("/incidents/{key}/scope").WithTags("Scope");
        scope.MapGet("/", GetScopeAsync).WithName("GetIncidentScope").RequireAuthorization(Policies.Viewer);
        scope.MapPost("/marks", MarkAsync).WithName("MarkCompromised").RequireAuthorization(Policies.Responder);
        scope.MapPost("/marks/{markId:guid}/unmark", UnmarkAsync).WithName("UnmarkCompromised").RequireAuthorization(Policies.Responder);
        return api;
    }

    /// <summary>The graph, blast radius and patient zero, computed from the incident's events when asked.</summary>
    public static async Task<Ok<ScopeView>> GetScopeAsync(string key, ScopeService scope, CancellationToken cancellationToken) =>
        TypedResults.Ok(await scope.GetAsync(key, cancellationToken));

    public static async Task<Created<ScopeMarkView>> MarkAsync(string key, MarkCompromised body, ScopeService scope, CancellationToken cancellationToken)
    {
        var mark = await scope.MarkAsync(key, body, cancellationToken);
        return TypedResults.Created($"/api/v1/incidents/{key}/scope", mark);
    }

    public static async Task<Ok<ScopeMarkView>> UnmarkAsync(string key, Guid markId, UnmarkCompromised body, ScopeService scope, CancellationToken cancellationToken) =>
        TypedResults.Ok(await scope.UnmarkAsync(key, markId, body, cancellationToken));
}
