using Firebreak.Core.Common;
using Firebreak.Core.Indicators;
using Firebreak.Server.Identity;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Firebreak.Server.Api;

/// <summary>The indicators (observables) of an incident, and the tenant-wide search across incidents.</summary>
internal static class IndicatorEndpoints
{
    public static RouteGroupBuilder MapIndicatorEndpoints(this RouteGroupBuilder api)
    {
        var incident = api.MapGroup("/incidents/{key}/indicators").WithTags("Indicators");
        incident.MapGet("/", ListAsync).WithName("ListIndicators").RequireAuthorization(Policies.Viewer);
        incident.MapPost("/", AddAsync).WithName("AddIndicator").RequireAuthorization(Policies.Responder);
        incident.MapGet("/{indicatorId:guid}", GetAsync).WithName("GetIndicator").RequireAuthorization(Policies.Viewer);
        incident.MapPatch("/{indicatorId:guid}", UpdateAsync).WithName("UpdateIndicator").RequireAuthorization(Policies.Responder);
        incident.MapDelete("/{indicatorId:guid}", DeleteAsync).WithName("DeleteIndicator").RequireAuthorization(Policies.Responder);
        incident.MapPost("/{indicatorId:guid}/enrich", EnrichAsync).WithName("EnrichIndicator").RequireAuthorization(Policies.Responder);
        api.MapGet("/indicators/search", SearchAsync).WithTags("Indicators").WithName("SearchIndicators").RequireAuthorization(Policies.Viewer);
        return api;
    }

    public static async Task<Ok<PagedResult<IndicatorView>>> ListAsync(string key, string? type, string? verdict, string? q, int? page, int? pageSize,
        IndicatorService indicators, CancellationToken cancellationToken) =>
        TypedResults.Ok(await indicators.ListAsync(key, new IndicatorQuery
        {
            Type = EnumText.Parse<IndicatorType>(type, "type"),
            Verdict = EnumText.Parse<IndicatorVerdict>(verdict, "verdict"),
            Text = q,
            Page = page,
            PageSize = pageSize,
        }, cancellationToken));

    public static async Task<Created<IndicatorView>> AddAsync(string key, AddIndicator body, IndicatorService indicators, HttpResponse response, CancellationToken cancellationToken)
    {
        var indicator = await indicators.AddAsync(key, body, cancellationToken);
        ETags.Set(response, indicator.Version);
        return TypedResults.Created($"/api/v1/incidents/{key}/indicators/{indicator.Id}", indicator);
    }

    public static async Task<Ok<IndicatorView>> GetAsync(string key, Guid indicatorId, IndicatorService indicators, HttpResponse response, CancellationToken cancellationToken)
    {
        var indicator = await indicators.GetAsync(key, indicatorId, cancellationToken);
        ETags.Set(response, indicator.Version);
        return TypedResults.Ok(indicator);
    }

    public static async Task<Ok<IndicatorView>> UpdateAsync(string key, Guid indicatorId, UpdateIndicator body, IndicatorService indicators, HttpContext context,
        CancellationToken cancellationToken)
    {
        var indicator = await indicators.UpdateAsync(key, indicatorId, body, ETags.ExpectedVersion(context.Request), cancellationToken);
        ETags.Set(context.Response, indicator.Version);
        return TypedResults.Ok(indicator);
    }

    public static async Task<NoContent> DeleteAsync(string key, Guid indicatorId, IndicatorService indicators, HttpRequest request, CancellationToken cancellationToken)
    {
        await indicators.DeleteAsync(key, indicatorId, ETags.ExpectedVersion(request), cancellationToken);
        return TypedResults.NoContent();
    }

    /// <summary>Runs every enricher for the indicator again; the answer holds the new results.</summary>
    public static async Task<Ok<IndicatorView>> EnrichAsync(string key, Guid indicatorId, IndicatorService indicators, HttpResponse response, CancellationToken cancellationToken)
    {
        var indicator = await indicators.EnrichAsync(key, indicatorId, cancellationToken);
        ETags.Set(response, indicator.Version);
        return TypedResults.Ok(indicator);
    }

    /// <summary>Every incident of the caller's tenant holding the value; without a type, every type the value is valid for.</summary>
    public static async Task<Ok<IReadOnlyList<IndicatorSearchResult>>> SearchAsync(string? value, string? type, IndicatorService indicators, CancellationToken cancellationToken) =>
        TypedResults.Ok(await indicators.SearchAsync(value, EnumText.Parse<IndicatorType>(type, "type"), cancellationToken));
}
