using System.Text;
using Firebreak.Core.Common;
using Firebreak.Core.Playbooks;
using Firebreak.Server.Identity;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Firebreak.Server.Api;

/// <summary>Playbooks (built in and the tenant's own, YAML or CACAO v2) and their runs on incidents.</summary>
internal static class PlaybookEndpoints
{
    private static readonly string[] YamlTypes = ["application/yaml", "application/x-yaml", "text/yaml", "text/x-yaml"];

    public static RouteGroupBuilder MapPlaybookEndpoints(this RouteGroupBuilder api)
    {
        var playbooks = api.MapGroup("/playbooks").WithTags("Playbooks");
        playbooks.MapGet("/", ListAsync).WithName("ListPlaybooks").RequireAuthorization(Policies.Viewer);
        playbooks.MapPost("/", ImportAsync).WithName("ImportPlaybook").RequireAuthorization(Policies.IncidentManager)
            .WithMetadata(new BodyLimit(PlaybookLimits.MaxSourceBytes)).Accepts<string>("application/yaml", "application/json");
        playbooks.MapGet("/{playbookId}", GetAsync).WithName("GetPlaybook").RequireAuthorization(Policies.Viewer);
        playbooks.MapGet("/{playbookId}/export", ExportAsync).WithName("ExportPlaybook").RequireAuthorization(Policies.Viewer);
        playbooks.MapDelete("/{playbookId}", DeleteAsync).WithName("DeletePlaybook").RequireAuthorization(Policies.IncidentManager);

        var runs = api.MapGroup("/incidents/{key}/playbook-runs").WithTags("Playbooks");
        runs.MapPost("/", StartAsync).WithName("StartPlaybookRun").RequireAuthorization(Policies.Responder);
        runs.MapGet("/", ListRunsAsync).WithName("ListPlaybookRuns").RequireAuthorization(Policies.Viewer);
        runs.MapGet("/{runId:guid}", GetRunAsync).WithName("GetPlaybookRun").RequireAuthorization(Policies.Viewer);
        runs.MapPost("/{runId:guid}/steps/{stepId}/complete", CompleteAsync).WithName("CompletePlaybookStep").RequireAuthorization(Policies.Responder);
        runs.MapPost("/{runId:guid}/steps/{stepId}/approve", ApproveAsync).WithName("ApprovePlaybookStep").RequireAuthorization(Policies.Responder);
        runs.MapPost("/{runId:guid}/cancel", CancelAsync).WithName("CancelPlaybookRun").RequireAuthorization(Policies.Responder);
        return api;
    }

    public static async Task<Ok<IReadOnlyList<PlaybookSummary>>> ListAsync(PlaybookService playbooks, CancellationToken cancellationToken) =>
        TypedResults.Ok(await playbooks.ListAsync(cancellationToken));

    public static async Task<Ok<PlaybookDetails>> GetAsync(string playbookId, PlaybookService playbooks, HttpResponse http, CancellationToken cancellationToken)
    {
        var details = await playbooks.GetAsync(playbookId, cancellationToken);
        if (details.Playbook.Version is { } version) ETags.Set(http, version);
        return TypedResults.Ok(details);
    }

    /// <summary>The body is the playbook itself: YAML (application/yaml) or a CACAO v2 playbook (application/json).</summary>
    public static async Task<Created<PlaybookDetails>> ImportAsync(HttpContext context, PlaybookService playbooks, CancellationToken cancellationToken)
    {
        var mediaType = context.Request.ContentType?.Split(';')[0].Trim().ToLowerInvariant();
        var format = mediaType switch
        {
            "application/json" => PlaybookFormat.Cacao,
            _ when mediaType is not null && YamlTypes.Contains(mediaType) => PlaybookFormat.Yaml,
            _ => throw new BadHttpRequestException("Send the playbook as application/yaml, or a CACAO v2 playbook as application/json.", StatusCodes.Status415UnsupportedMediaType),
        };
        using var buffer = new MemoryStream();
        await context.Request.Body.CopyToAsync(buffer, cancellationToken);
        string text;
        try
        {
            text = new UTF8Encoding(false, throwOnInvalidBytes: true).GetString(buffer.GetBuffer(), 0, (int)buffer.Length);
        }
        catch (DecoderFallbackException)
        {
            throw new ValidationFailedException("body", "The playbook is not UTF-8 text.");
        }
        var imported = await playbooks.ImportAsync(text, format, cancellationToken);
        if (imported.Playbook.Version is { } version) ETags.Set(context.Response, version);
        return TypedResults.Created($"/api/v1/playbooks/{imported.Playbook.Id}", imported);
    }

    /// <summary>The playbook as YAML (format=yaml, the default) or as a CACAO v2 JSON playbook (format=cacao).</summary>
    public static async Task<ContentHttpResult> ExportAsync(string playbookId, string? format, PlaybookService playbooks, CancellationToken cancellationToken)
    {
        var kind = EnumText.Parse<PlaybookFormat>(format, "format") ?? PlaybookFormat.Yaml;
        var text = await playbooks.ExportAsync(playbookId, kind, cancellationToken);
        return TypedResults.Text(text, kind == PlaybookFormat.Cacao ? "application/json" : "application/yaml", Encoding.UTF8);
    }

    public static async Task<NoContent> DeleteAsync(string playbookId, PlaybookService playbooks, HttpRequest request, CancellationToken cancellationToken)
    {
        await playbooks.DeleteAsync(playbookId, ETags.ExpectedVersion(request), cancellationToken);
        return TypedResults.NoContent();
    }

    public static async Task<Created<RunView>> StartAsync(string key, StartRun body, PlaybookService playbooks, HttpResponse http, CancellationToken cancellationToken)
    {
        var run = await playbooks.StartAsync(key, body, cancellationToken);
        ETags.Set(http, run.Version);
        return TypedResults.Created($"/api/v1/incidents/{key}/playbook-runs/{run.Id}", run);
    }

    public static async Task<Ok<IReadOnlyList<RunView>>> ListRunsAsync(string key, PlaybookService playbooks, CancellationToken cancellationToken) =>
        TypedResults.Ok(await playbooks.ListRunsAsync(key, cancellationToken));

    public static async Task<Ok<RunView>> GetRunAsync(string key, Guid runId, PlaybookService playbooks, HttpResponse http, CancellationToken cancellationToken)
    {
        var run = await playbooks.GetRunAsync(key, runId, cancellationToken);
        ETags.Set(http, run.Version);
        return TypedResults.Ok(run);
    }

    /// <summary>Ticks checklist items of a manual step (If-Match: the step's version, optional).</summary>
    public static async Task<Ok<RunView>> CompleteAsync(string key, Guid runId, string stepId, CompleteStep body, PlaybookService playbooks, HttpRequest request,
        CancellationToken cancellationToken) =>
        TypedResults.Ok(await playbooks.CompleteAsync(key, runId, stepId, body, ETags.ExpectedVersion(request), cancellationToken));

    /// <summary>Approves an approval step, or the planned action of an action step; not by whoever started the run or planned the action.</summary>
    public static async Task<Ok<RunView>> ApproveAsync(string key, Guid runId, string stepId, ApproveStep body, PlaybookService playbooks, HttpRequest request,
        CancellationToken cancellationToken) =>
        TypedResults.Ok(await playbooks.ApproveAsync(key, runId, stepId, body, ETags.ExpectedVersion(request), cancellationToken));

    public static async Task<Ok<RunView>> CancelAsync(string key, Guid runId, CancelRun body, PlaybookService playbooks, HttpRequest request, HttpResponse http,
        CancellationToken cancellationToken)
    {
        var run = await playbooks.CancelAsync(key, runId, body, ETags.ExpectedVersion(request), cancellationToken);
        ETags.Set(http, run.Version);
        return TypedResults.Ok(run);
    }
}
