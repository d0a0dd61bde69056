using Firebreak.Core.ManagementPlane;
using Firebreak.Core.Recovery;
using Firebreak.Server.Identity;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Firebreak.Server.Api;

/// <summary>
/// Eradication and recovery: the incident's recovery checklist with template verification, the tenant's template
/// baselines, and the incident's break-glass records with their close-out.
/// </summary>
internal static class RecoveryEndpoints
{
    public static RouteGroupBuilder MapRecoveryEndpoints(this RouteGroupBuilder api)
    {
        var checklist = api.MapGroup("/incidents/{key}/recovery").WithTags("Recovery");
        checklist.MapGet("/", ListAsync).WithName("ListRecoveryItems").RequireAuthorization(Policies.Viewer);
        checklist.MapPost("/", AddAsync).WithName("AddRecoveryItem").RequireAuthorization(Policies.Responder);
        checklist.MapPost("/defaults", AddDefaultsAsync).WithName("AddDefaultRecoveryItems").RequireAuthorization(Policies.Responder);
        checklist.MapGet("/{itemId:guid}", GetAsync).WithName("GetRecoveryItem").RequireAuthorization(Policies.Viewer);
        checklist.MapPut("/{itemId:guid}/status", SetStatusAsync).WithName("SetRecoveryItemStatus").RequireAuthorization(Policies.Responder);
        checklist.MapPost("/{itemId:guid}/verify", VerifyAsync).WithName("VerifyRecoveryTemplate").RequireAuthorization(Policies.Responder);
        checklist.MapPost("/{itemId:guid}/verify-file", VerifyFileAsync).WithName("VerifyRecoveryTemplateFile").RequireAuthorization(Policies.Responder)
            .WithMetadata(new BodyLimit(long.MaxValue)).Accepts<Stream>("application/octet-stream");

        var baselines = api.MapGroup("/recovery/baselines").WithTags("Recovery");
        baselines.MapGet("/", ListBaselinesAsync).WithName("ListTemplateBaselines").RequireAuthorization(Policies.Viewer);
        baselines.MapPost("/", RecordBaselineAsync).WithName("RecordTemplateBaseline").RequireAuthorization(Policies.IncidentManager);
        baselines.MapGet("/{name}/history", BaselineHistoryAsync).WithName("GetTemplateBaselineHistory").RequireAuthorization(Policies.Viewer);

        var breakGlass = api.MapGroup("/incidents/{key}/break-glass").WithTags("Recovery");
        breakGlass.MapGet("/", ListBreakGlassAsync).WithName("ListBreakGlass").RequireAuthorization(Policies.Viewer);
        breakGlass.MapPost("/", InvokeBreakGlassAsync).WithName("RecordBreakGlass").RequireAuthorization(Policies.Responder);
        breakGlass.MapGet("/{breakGlassId:guid}", GetBreakGlassAsync).WithName("GetBreakGlass").RequireAuthorization(Policies.Viewer);
        breakGlass.MapPost("/{breakGlassId:guid}/close", CloseBreakGlassAsync).WithName("CloseBreakGlass").RequireAuthorization(Policies.Responder);
        return api;
    }

    public static async Task<Ok<RecoveryChecklistView>> ListAsync(string key, RecoveryService recovery, CancellationToken cancellationToken) =>
        TypedResults.Ok(await recovery.ListAsync(key, cancellationToken));

    public static async Task<Created<RecoveryItemView>> AddAsync(string key, AddRecoveryItem body, RecoveryService recovery, HttpResponse http, CancellationToken cancellationToken)
    {
        var item = await recovery.AddAsync(key, body, cancellationToken);
        ETags.Set(http, item.Version);
        return TypedResults.Created($"/api/v1/incidents/{key}/recovery/{item.Id}", item);
    }

    /// <summary>Adds the items that follow from succeeded response actions and marked credentials; items already there are kept, not repeated.</summary>
    public static async Task<Ok<RecoveryChecklistView>> AddDefaultsAsync(string key, RecoveryService recovery, CancellationToken cancellationToken) =>
        TypedResults.Ok(await recovery.AddDefaultsAsync(key, cancellationToken));

    public static async Task<Ok<RecoveryItemView>> GetAsync(string key, Guid itemId, RecoveryService recovery, HttpResponse http, CancellationToken cancellationToken)
    {
        var item = await recovery.GetAsync(key, itemId, cancellationToken);
        ETags.Set(http, item.Version);
        return TypedResults.Ok(item);
    }

    public static async Task<Ok<RecoveryItemView>> SetStatusAsync(string key, Guid itemId, SetRecoveryStatus body, RecoveryService recovery, HttpContext context,
        CancellationToken cancellationToken)
    {
        var item = await recovery.SetStatusAsync(key, itemId, body, ETags.ExpectedVersion(context.Request), cancellationToken);
        ETags.Set(context.Response, item.Version);
        return TypedResults.Ok(item);
    }

    /// <summary>Records whether the digest of the template actually used matches the baseline.</summary>
    public static async Task<Ok<RecoveryItemView>> VerifyAsync(string key, Guid itemId, VerifyTemplate body, RecoveryService recovery, HttpContext context,
        CancellationToken cancellationToken)
    {
        var item = await recovery.VerifyAsync(key, itemId, body, ETags.ExpectedVersion(context.Request), cancellationToken);
        ETags.Set(context.Response, item.Version);
        return TypedResults.Ok(item);
    }

    /// <summary>The template file as the raw body (application/octet-stream); Firebreak hashes it as it arrives and keeps only the digest.</summary>
    public static async Task<Ok<RecoveryItemView>> VerifyFileAsync(string key, Guid itemId, string? baseline, string? fileName, RecoveryService recovery, HttpContext context,
        CancellationToken cancellationToken)
    {
        RawBody.RequireOctetStream(context, "the template file");
        RawBody.Limit(context, recovery.MaxTemplateBytes, "The template file is over the limit.");
        var item = await recovery.VerifyFileAsync(key, itemId, baseline, fileName, context.Request.Body, ETags.ExpectedVersion(context.Request), cancellationToken);
        ETags.Set(context.Response, item.Version);
        return TypedResults.Ok(item);
    }

    public static async Task<Ok<IReadOnlyList<BaselineView>>> ListBaselinesAsync(BaselineService baselines, CancellationToken cancellationToken) =>
        TypedResults.Ok(await baselines.ListAsync(cancellationToken));

    /// <summary>Records a baseline, or the next revision of one; earlier revisions are kept.</summary>
    public static async Task<Created<BaselineView>> RecordBaselineAsync(RecordBaseline body, BaselineService baselines, CancellationToken cancellationToken)
    {
        var baseline = await baselines.RecordAsync(body, cancellationToken);
        return TypedResults.Created($"/api/v1/recovery/baselines/{Uri.EscapeDataString(baseline.Name)}/history", baseline);
    }

    public static async Task<Ok<IReadOnlyList<BaselineView>>> BaselineHistoryAsync(string name, BaselineService baselines, CancellationToken cancellationToken) =>
        TypedResults.Ok(await baselines.HistoryAsync(name, cancellationToken));

    public static async Task<Ok<IReadOnlyList<BreakGlassView>>> ListBreakGlassAsync(string key, BreakGlassService breakGlass, CancellationToken cancellationToken) =>
        TypedResults.Ok(await breakGlass.ListAsync(key, cancellationToken));

    public static async Task<Created<BreakGlassView>> InvokeBreakGlassAsync(string key, InvokeBreakGlass body, BreakGlassService breakGlass, HttpResponse http,
        CancellationToken cancellationToken)
    {
        var record = await breakGlass.InvokeAsync(key, body, cancellationToken);
        ETags.Set(http, record.Version);
        return TypedResults.Created($"/api/v1/incidents/{key}/break-glass/{record.Id}", record);
    }

    public static async Task<Ok<BreakGlassView>> GetBreakGlassAsync(string key, Guid breakGlassId, BreakGlassService breakGlass, HttpResponse http, CancellationToken cancellationToken)
    {
        var record = await breakGlass.GetAsync(key, breakGlassId, cancellationToken);
        ETags.Set(http, record.Version);
        return TypedResults.Ok(record);
    }

    /// <summary>The close-out: rotation done and reviewed by someone other than who used or recorded the break-glass account.</summary>
    public static async Task<Ok<BreakGlassView>> CloseBreakGlassAsync(string key, Guid breakGlassId, CloseBreakGlass body, BreakGlassService breakGlass, HttpContext context,
        CancellationToken cancellationToken)
    {
        var record = await breakGlass.CloseAsync(key, breakGlassId, body, ETags.ExpectedVersion(context.Request), cancellationToken);
        ETags.Set(context.Response, record.Version);
        return TypedResults.Ok(record);
    }
}
