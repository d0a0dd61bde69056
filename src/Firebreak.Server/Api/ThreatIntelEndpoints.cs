using Firebreak.Core.Common;
using Firebreak.Core.Indicators;
using Firebreak.Core.ThreatIntel;
using Firebreak.Server.Identity;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Firebreak.Server.Api;

/// <summary>Threat-intelligence subscriptions, uploads and polls, their indicators and matches.</summary>
internal static class ThreatIntelEndpoints
{
    private static readonly string[] JsonMediaTypes = ["application/json", "application/stix+json", "application/taxii+json"];

    public static RouteGroupBuilder MapThreatIntelEndpoints(this RouteGroupBuilder api)
    {
        var intel = api.MapGroup("/intel").WithTags("ThreatIntel");
        intel.MapGet("/feeds", ListFeedsAsync).WithName("ListThreatFeeds").RequireAuthorization(Policies.Viewer);
        intel.MapPost("/feeds", CreateFeedAsync).WithName("CreateThreatFeed").RequireAuthorization(Policies.Admin);
        intel.MapGet("/feeds/{feed}", GetFeedAsync).WithName("GetThreatFeed").RequireAuthorization(Policies.Viewer);
        intel.MapPatch("/feeds/{feed}", UpdateFeedAsync).WithName("UpdateThreatFeed").RequireAuthorization(Policies.Admin);
        intel.MapDelete("/feeds/{feed}", DeleteFeedAsync).WithName("DeleteThreatFeed").RequireAuthorization(Policies.Admin);
        intel.MapPost("/feeds/{feed}/import", ImportAsync).WithName("ImportThreatFeed").RequireAuthorization(Policies.Responder)
            .WithMetadata(new BodyLimit(long.MaxValue)).Accepts<Stream>("application/json", "application/stix+json");
        intel.MapPost("/feeds/{feed}/poll", PollAsync).WithName("PollThreatFeed").RequireAuthorization(Policies.Responder);
        intel.MapGet("/indicators", ListIndicatorsAsync).WithName("ListFeedIndicators").RequireAuthorization(Policies.Viewer);
        intel.MapGet("/matches", ListMatchesAsync).WithName("ListThreatIntelMatches").RequireAuthorization(Policies.Viewer);
        return api;
    }

    public static async Task<Ok<IReadOnlyList<FeedView>>> ListFeedsAsync(ThreatIntelService intel, CancellationToken cancellationToken) =>
        TypedResults.Ok(await intel.ListFeedsAsync(cancellationToken));

    public static async Task<Created<FeedView>> CreateFeedAsync(CreateFeed body, ThreatIntelService intel, HttpContext context, CancellationToken cancellationToken)
    {
        var feed = await intel.CreateFeedAsync(body, cancellationToken);
        ETags.Set(context.Response, feed.Version);
        return TypedResults.Created($"/api/v1/intel/feeds/{feed.Id}", feed);
    }

    public static async Task<Ok<FeedView>> GetFeedAsync(string feed, ThreatIntelService intel, HttpContext context, CancellationToken cancellationToken)
    {
        var view = await intel.GetFeedAsync(feed, cancellationToken);
        ETags.Set(context.Response, view.Version);
        return TypedResults.Ok(view);
    }

    public static async Task<Ok<FeedView>> UpdateFeedAsync(string feed, UpdateFeed body, ThreatIntelService intel, HttpContext context, CancellationToken cancellationToken)
    {
        var view = await intel.UpdateFeedAsync(feed, body, ETags.ExpectedVersion(context.Request), cancellationToken);
        ETags.Set(context.Response, view.Version);
        return TypedResults.Ok(view);
    }

    public static async Task<NoContent> DeleteFeedAsync(string feed, ThreatIntelService intel, CancellationToken cancellationToken)
    {
        await intel.DeleteFeedAsync(feed, cancellationToken);
        return TypedResults.NoContent();
    }

    /// <summary>
    /// The document is the raw JSON body: a STIX 2.1 bundle (format=stix) or a MISP event file (format=misp).
    /// A feed name that does not exist yet becomes a new upload feed.
    /// </summary>
    public static async Task<Ok<ImportSummary>> ImportAsync(string feed, string? format, HttpContext context, ThreatIntelService intel, CancellationToken cancellationToken)
    {
        var mediaType = context.Request.ContentType?.Split(';')[0].Trim().ToLowerInvariant();
        if (mediaType is null || !JsonMediaTypes.Contains(mediaType))
            throw new BadHttpRequestException("Send the feed document as application/json (or application/stix+json).", StatusCodes.Status415UnsupportedMediaType);
        var kind = EnumText.Parse<FeedFormat>(format, "format") ?? throw new ValidationFailedException("format", "format is required: stix or misp.");
        RawBody.Limit(context, intel.MaxUploadBytes, "The file is over the upload limit.");
        using var buffer = new MemoryStream();
        await context.Request.Body.CopyToAsync(buffer, cancellationToken);
        if (buffer.Length == 0) throw new ValidationFailedException("body", "The request body is empty: send the feed document.");
        return TypedResults.Ok(await intel.ImportAsync(feed, kind, buffer.GetBuffer().AsMemory(0, (int)buffer.Length), cancellationToken));
    }

    /// <summary>Polls now and answers with the outcome; a failed poll is a 200 whose error says why (it is also on the feed).</summary>
    public static async Task<Ok<PollResult>> PollAsync(string feed, ThreatIntelService intel, CancellationToken cancellationToken) =>
        TypedResults.Ok(await intel.PollAsync(feed, cancellationToken));

    public static async Task<Ok<PagedResult<FeedIndicatorView>>> ListIndicatorsAsync(string? value, string? type, string? feed, bool? active, int? page, int? pageSize,
        ThreatIntelService intel, CancellationToken cancellationToken) =>
        TypedResults.Ok(await intel.ListIndicatorsAsync(new FeedIndicatorQuery(value, EnumText.Parse<IndicatorType>(type, "type"), feed, active ?? false, page, pageSize), cancellationToken));

    public static async Task<Ok<PagedResult<MatchView>>> ListMatchesAsync(int? page, int? pageSize, ThreatIntelService intel, CancellationToken cancellationToken) =>
        TypedResults.Ok(await intel.ListMatchesAsync(page, pageSize, cancellationToken));
}
