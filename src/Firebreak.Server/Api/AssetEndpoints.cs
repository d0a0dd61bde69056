using Firebreak.Core.Assets;
using Firebreak.Server.Identity;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Firebreak.Server.Api;

/// <summary>The tenant's asset register: what data each resource (or pattern of resources) holds. Incident managers keep it.</summary>
internal static class AssetEndpoints
{
    public static RouteGroupBuilder MapAssetEndpoints(this RouteGroupBuilder api)
    {
        var assets = api.MapGroup("/assets").WithTags("Assets");
        assets.MapGet("", ListAssetsAsync).WithName("ListAssets").RequireAuthorization(Policies.Viewer);
        assets.MapPost("", AddAssetAsync).WithName("AddAsset").RequireAuthorization(Policies.IncidentManager);
        assets.MapGet("/{id:guid}", GetAssetAsync).WithName("GetAsset").RequireAuthorization(Policies.Viewer);
        assets.MapPut("/{id:guid}", UpdateAssetAsync).WithName("UpdateAsset").RequireAuthorization(Policies.IncidentManager);
        assets.MapDelete("/{id:guid}", DeleteAssetAsync).WithName("DeleteAsset").RequireAuthorization(Policies.IncidentManager);
        return api;
    }

    public static async Task<Ok<IReadOnlyList<AssetView>>> ListAssetsAsync(AssetService assets, CancellationToken cancellationToken) =>
        TypedResults.Ok(await assets.ListAsync(cancellationToken));

    public static async Task<Created<AssetView>> AddAssetAsync(AssetInput body, AssetService assets, HttpResponse response, CancellationToken cancellationToken)
    {
        var asset = await assets.AddAsync(body, cancellationToken);
        ETags.Set(response, asset.Version);
        return TypedResults.Created($"/api/v1/assets/{asset.Id}", asset);
    }

    public static async Task<Ok<AssetView>> GetAssetAsync(Guid id, AssetService assets, HttpResponse response, CancellationToken cancellationToken)
    {
        var asset = await assets.GetAsync(id, cancellationToken);
        ETags.Set(response, asset.Version);
        return TypedResults.Ok(asset);
    }

    /// <summary>Replaces the entry's fields; send If-Match with the ETag from GET (a stale one is 409).</summary>
    public static async Task<Ok<AssetView>> UpdateAssetAsync(Guid id, AssetInput body, AssetService assets, HttpContext context, CancellationToken cancellationToken)
    {
        var asset = await assets.UpdateAsync(id, body, ETags.ExpectedVersion(context.Request), cancellationToken);
        ETags.Set(context.Response, asset.Version);
        return TypedResults.Ok(asset);
    }

    public static async Task<NoContent> DeleteAssetAsync(Guid id, AssetService assets, HttpRequest request, CancellationToken cancellationToken)
    {
        await assets.DeleteAsync(id, ETags.ExpectedVersion(request), cancellationToken);
        return TypedResults.NoContent();
    }
}
