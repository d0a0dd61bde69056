using Firebreak.Core.Common;
using Firebreak.Core.Incidents;
using Firebreak.Server.Identity;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;

namespace Firebreak.Server.Api;

public sealed record TransitionRequest(string To, string Reason);

public sealed record StatusRequest(string Status, string Reason, string? DuplicateOf = null);

internal static class IncidentEndpoints
{
    public static RouteGroupBuilder MapIncidentEndpoints(this RouteGroupBuilder api)
    {
        var incidents = api.MapGroup("/incidents").WithTags("Incidents");
        incidents.MapGet("/", ListIncidentsAsync).WithName("ListIncidents").RequireAuthorization(Policies.Viewer);
        incidents.MapPost("/", CreateIncidentAsync).WithName("CreateIncident").RequireAuthorization(Policies.Responder);
        incidents.MapGet("/{key}", GetIncidentAsync).WithName("GetIncident").RequireAuthorization(Policies.Viewer);
        incidents.MapPatch("/{key}", UpdateIncidentAsync).WithName("UpdateIncident").RequireAuthorization(Policies.Responder);
        incidents.MapPut("/{key}/roles", AssignRolesAsync).WithName("AssignIncidentRoles").RequireAuthorization(Policies.IncidentManager);
        incidents.MapGet("/{key}/transitions", ListTransitionsAsync).WithName("ListIncidentTransitions").RequireAuthorization(Policies.Viewer);
        incidents.MapPost("/{key}/transitions", TransitionAsync).WithName("TransitionIncident").RequireAuthorization(Policies.Responder);
        incidents.MapPost("/{key}/status", SetStatusAsync).WithName("SetIncidentStatus").RequireAuthorization(Policies.Responder);
        return api;
    }

    public static async Task<Ok<PagedResult<IncidentSummary>>> ListIncidentsAsync(
        IncidentService incidents,
        string? phase, string? severity, string? status, Guid? manager, string? tag, string? q, string? sort, int? page, int? pageSize,
        CancellationToken cancellationToken)
    {
        var query = new IncidentQuery(
            EnumText.Parse<Phase>(phase, "phase"), EnumText.Parse<Severity>(severity, "severity"), EnumText.Parse<IncidentStatus>(status, "status"),
            manager, tag, q, sort, page, pageSize);
        return TypedResults.Ok(await incidents.ListAsync(query, cancellationToken));
    }

    public static async Task<Created<IncidentDetails>> CreateIncidentAsync(CreateIncident body, IncidentService incidents, HttpResponse response, CancellationToken cancellationToken)
    {
        var created = await incidents.CreateAsync(body, cancellationToken);
        ETags.Set(response, created.Version);
        return TypedResults.Created($"/api/v1/incidents/{created.Reference}", created);
    }

    public static async Task<Ok<IncidentDetails>> GetIncidentAsync(string key, IncidentService incidents, HttpResponse response, CancellationToken cancellationToken)
    {
        var incident = await incidents.GetAsync(key, cancellationToken);
        ETags.Set(response, incident.Version);
        return TypedResults.Ok(incident);
    }

    public static async Task<Ok<IncidentDetails>> UpdateIncidentAsync(string key, UpdateIncident body, IncidentService incidents, HttpContext context, CancellationToken cancellationToken)
    {
        var updated = await incidents.UpdateAsync(key, body, ETags.ExpectedVersion(context.Request), cancellationToken);
        ETags.Set(context.Response, updated.Version);
        return TypedResults.Ok(updated);
    }

    public static async Task<Ok<IncidentDetails>> AssignRolesAsync(string key, AssignRoles body, IncidentService incidents, HttpContext context, CancellationToken cancellationToken)
    {
        var updated = await incidents.AssignRolesAsync(key, body, ETags.ExpectedVersion(context.Request), cancellationToken);
        ETags.Set(context.Response, updated.Version);
        return TypedResults.Ok(updated);
    }

    public static async Task<Ok<IReadOnlyList<TransitionView>>> ListTransitionsAsync(string key, IncidentService incidents, CancellationToken cancellationToken) =>
        TypedResults.Ok(await incidents.ListTransitionsAsync(key, cancellationToken));

    public static async Task<Ok<IncidentDetails>> TransitionAsync(string key, TransitionRequest body, IncidentService incidents, HttpContext context, CancellationToken cancellationToken)
    {
        var to = EnumText.Parse<Phase>(body.To, "to") ?? throw new ValidationFailedException("to", "to is required.");
        var updated = await incidents.TransitionAsync(key, to, body.Reason, ETags.ExpectedVersion(context.Request), cancellationToken);
        ETags.Set(context.Response, updated.Version);
        return TypedResults.Ok(updated);
    }

    public static async Task<Ok<IncidentDetails>> SetStatusAsync(string key, StatusRequest body, IncidentService incidents, HttpContext context, CancellationToken cancellationToken)
    {
        var status = EnumText.Parse<IncidentStatus>(body.Status, "status") ?? throw new ValidationFailedException("status", "status is required.");
        var updated = await incidents.SetStatusAsync(key, status, body.Reason, body.DuplicateOf, ETags.ExpectedVersion(context.Request), cancellationToken);
        ETags.Set(context.Response, updated.Version);
        return TypedResults.Ok(updated);
    }
}
