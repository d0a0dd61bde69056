using Firebreak.Core.PostMortem;
using Firebreak.Server.Identity;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Firebreak.Server.Api;

/// <summary>What the post-mortem reads: an incident's response times.</summary>
internal static class PostMortemEndpoints
{
    public static RouteGroupBuilder MapPostMortemEndpoints(this RouteGroupBuilder api)
    {
        api.MapGet("/incidents/{key}/metrics", GetMetricsAsync).WithName("GetIncidentMetrics").WithTags("PostMortem").RequireAuthorization(Policies.Viewer);
        return api;
    }

    public static async Task<Ok<IncidentMetrics>> GetMetricsAsync(string key, MetricsService metrics, CancellationToken cancellationToken) =>
        TypedResults.Ok(await metrics.ForIncidentAsync(key, cancellationToken));
}
