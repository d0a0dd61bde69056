using Firebreak.Core.Common;
using Firebreak.Core.Investigation;
using Firebreak.Server.Identity;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Firebreak.Server.Api;

/// <summary>An import from the server's side: kind "path" with a path inside an import root, or kind "s3" with an s3:// prefix.</summary>
public sealed record StartImportRequest(string Kind, string? Path = null, string? S3Uri = null);

/// <summary>The cloud events of an incident (imports, search) and its timeline.</summary>
internal static class InvestigationEndpoints
{
    public static RouteGroupBuilder MapInvestigationEndpoints(this RouteGroupBuilder api)
    {
        var incident = api.MapGroup("/incidents/{key}").WithTags("Investigation");
        incident.MapPost("/events/imports/upload", UploadAsync).WithName("UploadEvents").RequireAuthorization(Policies.Responder)
            .WithMetadata(new BodyLimit(long.MaxValue)).Accepts<Stream>("application/octet-stream");
        incident.MapPost("/events/imports", StartImportAsync).WithName("StartEventImport").RequireAuthorization(Policies.Responder);
        incident.MapGet("/events/imports", ListImportsAsync).WithName("ListEventImports").RequireAuthorization(Policies.Viewer);
        incident.MapGet("/events/imports/{importId:guid}", GetImportAsync).WithName("GetEventImport").RequireAuthorization(Policies.Viewer);
        incident.MapGet("/events", SearchAsync).WithName("SearchEvents").RequireAuthorization(Policies.Viewer);
        incident.MapGet("/events/{eventId:long}", GetEventAsync).WithName("GetEvent").RequireAuthorization(Policies.Viewer);
        incident.MapGet("/timeline", ListTimelineAsync).WithName("ListTimeline").RequireAuthorization(Policies.Viewer);
        incident.MapPost("/timeline", AddTimelineEntryAsync).WithName("AddTimelineEntry").RequireAuthorization(Policies.Responder);
        incident.MapPost("/timeline/pins", PinAsync).WithName("PinEvents").RequireAuthorization(Policies.Responder);
        incident.MapGet("/timeline/export", ExportAsync).WithName("ExportTimeline").RequireAuthorization(Policies.Viewer);
        incident.MapGet("/timeline/{entryId:guid}", GetTimelineEntryAsync).WithName("GetTimelineEntry").RequireAuthorization(Policies.Viewer);
        incident.MapPatch("/timeline/{entryId:guid}", UpdateTimelineEntryAsync).WithName("UpdateTimelineEntry").RequireAuthorization(Policies.Responder);
        return api;
    }

    /// <summary>The log file is the raw body (plain or gzip), streamed to disk; the import then runs in the background.</summary>
    public static async Task<Accepted<ImportView>> UploadAsync(string key, string? name, HttpContext context, EventImportService imports, CancellationToken cancellationToken)
    {
        RawBody.RequireOctetStream(context, "the log file");
        RawBody.Limit(context, imports.MaxUploadBytes, "The file is over the upload limit.");
        var import = await imports.StartUploadAsync(key, name, context.Request.Body, cancellationToken,
            context.Request.Headers["X-Firebreak-Source"] == "hunt" ? ImportKind.Hunt : ImportKind.Upload);
        return TypedResults.Accepted($"/api/v1/incidents/{key}/events/imports/{import.Id}", import);
    }

    public static async Task<Accepted<ImportView>> StartImportAsync(string key, StartImportRequest body, EventImportService imports, CancellationToken cancellationToken)
    {
        var import = body.Kind switch
        {
            "path" => await imports.StartPathAsync(key, body.Path, cancellationToken),
            "s3" => await imports.StartS3Async(key, body.S3Uri, cancellationToken),
            _ => throw new ValidationFailedException("kind", "kind must be path or s3 (uploads go to /events/imports/upload)."),
        };
        return TypedResults.Accepted($"/api/v1/incidents/{key}/events/imports/{import.Id}", import);
    }

    public static async Task<Ok<IReadOnlyList<ImportView>>> ListImportsAsync(string key, EventImportService imports, CancellationToken cancellationToken) =>
        TypedResults.Ok(await imports.ListAsync(key, cancellationToken));

    public static async Task<Ok<ImportView>> GetImportAsync(string key, Guid importId, EventImportService imports, CancellationToken cancellationToken) =>
        TypedResults.Ok(await imports.GetAsync(key, importId, cancellationToken));

    public static async Task<Ok<EventPage>> SearchAsync(string key, string? principal, string? accessKeyId, string? operation, string? resource,
        string? sourceIp, string? sessionIssuer, string? userAgent, string? provider, string? account, string? region, string? errorCode, bool? failed,
        DateTimeOffset? from, DateTimeOffset? to, string? q, string? after, int? limit, EventSearchService search, CancellationToken cancellationToken) =>
        TypedResults.Ok(await search.SearchAsync(key, new EventQuery
        {
            Principal = principal,
            AccessKeyId = accessKeyId,
            Operation = operation,
            Resource = resource,
            SourceIp = sourceIp,
            SessionIssuer = sessionIssuer,
            UserAgent = userAgent,
            Provider = provider,
            Account = account,
            Region = region,
            ErrorCode = errorCode,
            Failed = failed,
            From = from,
            To = to,
            Text = q,
            After = after,
            Limit = limit,
        }, cancellationToken));

    public static async Task<Ok<EventDetails>> GetEventAsync(string key, long eventId, EventSearchService search, CancellationToken cancellationToken) =>
        TypedResults.Ok(await search.GetAsync(key, eventId, cancellationToken));

    public static async Task<Ok<PagedResult<TimelineView>>> ListTimelineAsync(string key, DateTimeOffset? from, DateTimeOffset? to, string? kind,
        bool? keyEvents, bool? hideFalseLeads, string? tactic, string? q, int? page, int? pageSize, TimelineService timeline, CancellationToken cancellationToken) =>
        TypedResults.Ok(await timeline.ListAsync(key, Query(from, to, kind, keyEvents, hideFalseLeads, tactic, q, page, pageSize), cancellationToken));

    public static async Task<Created<TimelineView>> AddTimelineEntryAsync(string key, AddTimelineEntry body, TimelineService timeline, CancellationToken cancellationToken)
    {
        var entry = await timeline.AddAsync(key, body, cancellationToken);
        return TypedResults.Created($"/api/v1/incidents/{key}/timeline/{entry.Id}", entry);
    }

    public static async Task<Ok<PinResult>> PinAsync(string key, PinEvents body, TimelineService timeline, CancellationToken cancellationToken) =>
        TypedResults.Ok(await timeline.PinAsync(key, body, cancellationToken));

    public static async Task<Ok<TimelineEntryDetails>> GetTimelineEntryAsync(string key, Guid entryId, TimelineService timeline, HttpContext context, CancellationToken cancellationToken)
    {
        var entry = await timeline.GetAsync(key, entryId, cancellationToken);
        ETags.Set(context.Response, entry.Entry.Version);
        return TypedResults.Ok(entry);
    }

    public static async Task<Ok<TimelineView>> UpdateTimelineEntryAsync(string key, Guid entryId, UpdateTimelineEntry body, TimelineService timeline, HttpContext context, CancellationToken cancellationToken)
    {
        var entry = await timeline.UpdateAsync(key, entryId, body, ETags.ExpectedVersion(context.Request), cancellationToken);
        ETags.Set(context.Response, entry.Version);
        return TypedResults.Ok(entry);
    }

    /// <summary>CSV or JSON of the filtered timeline; built in a temporary file so a failure never sends half a document with a 200.</summary>
    public static async Task<EmptyHttpResult> ExportAsync(string key, string? format, DateTimeOffset? from, DateTimeOffset? to, string? kind, bool? keyEvents,
        bool? hideFalseLeads, string? tactic, string? q, TimelineService timeline, HttpContext context, CancellationToken cancellationToken)
    {
        var type = (format ?? "json").Trim().ToLowerInvariant();
        var query = Query(from, to, kind, keyEvents, hideFalseLeads, tactic, q, null, null);
        var temp = Path.GetTempFileName();
        try
        {
            await using (var file = File.Create(temp))
            {
                await timeline.ExportAsync(key, type, query, file, cancellationToken);
            }
            context.Response.ContentType = type == "csv" ? "text/csv; charset=utf-8" : "application/json";
            context.Response.Headers.ContentDisposition = $"attachment; filename=\"{new string(key.Where(c => char.IsAsciiLetterOrDigit(c) || c == '-').Take(64).ToArray())}-timeline.{type}\"";
            await context.Response.SendFileAsync(temp, cancellationToken);
            return TypedResults.Empty;
        }
        finally
        {
            File.Delete(temp);
        }
    }

    private static TimelineQuery Query(DateTimeOffset? from, DateTimeOffset? to, string? kind, bool? keyEvents, bool? hideFalseLeads, string? tactic, string? q, int? page, int? pageSize) => new()
    {
        From = from,
        To = to,
        Kinds = string.IsNullOrWhiteSpace(kind) ? null : kind.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(k => EnumText.Parse<TimelineKind>(k, "kind")!.Value).ToList(),
        KeyEventsOnly = keyEvents ?? false,
        HideFalseLeads = hideFalseLeads ?? false,
        Tactic = tactic,
        Text = q,
        Page = page,
        PageSize = pageSize,
    };
}
