using Firebreak.Core.DataLoss;
using Firebreak.Server.Identity;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Firebreak.Server.Api;

/// <summary>
/// The data-loss extent of an incident: run an assessment (recorded with who and when), read the latest,
/// one by id, or the history. See docs/data-loss.md.
/// </summary>
internal static class DataLossEndpoints
{
    public static RouteGroupBuilder MapDataLossEndpoints(this RouteGroupBuilder api)
    {
        var incident = api.MapGroup("/incidents/{key}/data-loss").WithTags("DataLoss");
        incident.MapPost("", AssessDataLossAsync).WithName("AssessDataLoss").RequireAuthorization(Policies.Responder);
        incident.MapGet("", GetDataLossAsync).WithName("GetDataLoss").RequireAuthorization(Policies.Viewer);
        incident.MapGet("/history", ListDataLossHistoryAsync).WithName("ListDataLossHistory").RequireAuthorization(Policies.Viewer);
        incident.MapGet("/{id:guid}", GetDataLossAssessmentAsync).WithName("GetDataLossAssessment").RequireAuthorization(Policies.Viewer);
        return api;
    }

    /// <summary>Computes the extent from the incident's events now and records it; gaps in the logs become data gaps.</summary>
    public static async Task<Created<DataLossView>> AssessDataLossAsync(string key, DataLossService dataLoss, CancellationToken cancellationToken)
    {
        var view = await dataLoss.AssessAsync(key, cancellationToken);
        return TypedResults.Created($"/api/v1/incidents/{key}/data-loss/{view.Id}", view);
    }

    /// <summary>The latest recorded assessment; 404 until one has been run.</summary>
    public static async Task<Ok<DataLossView>> GetDataLossAsync(string key, DataLossService dataLoss, CancellationToken cancellationToken) =>
        TypedResults.Ok(await dataLoss.GetLatestAsync(key, cancellationToken));

    public static async Task<Ok<IReadOnlyList<DataLossSummary>>> ListDataLossHistoryAsync(string key, DataLossService dataLoss, CancellationToken cancellationToken) =>
        TypedResults.Ok(await dataLoss.HistoryAsync(key, cancellationToken));

    public static async Task<Ok<DataLossView>> GetDataLossAssessmentAsync(string key, Guid id, DataLossService dataLoss, CancellationToken cancellationToken) =>
        TypedResults.Ok(await dataLoss.GetAsync(key, id, cancellationToken));
}
