using System.Security.Claims;
using Firebreak.Core.Alerts;
using Firebreak.Core.Alerts.Formats;
using Firebreak.Core.Common;
using Firebreak.Core.Identity;
using Firebreak.Core.Incidents;
using Firebreak.Server.Hosting;
using Firebreak.Server.Identity;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Firebreak.Server.Api;

public sealed record TriageRequest(IReadOnlyList<Guid> AlertIds, string State, string? Reason = null);

public sealed record EnabledRequest(bool Enabled);

/// <summary>Alert intake (generic and native formats), the queue, triage, correlation and escalation.</summary>
internal static class AlertEndpoints
{
    public static RouteGroupBuilder MapAlertEndpoints(this RouteGroupBuilder api)
    {
        var alerts = api.MapGroup("/alerts").WithTags("Alerts");
        alerts.MapPost("/", IngestOneAsync).WithName("IngestAlert").RequireAuthorization(Policies.Responder).WithMetadata(new BodyLimit(AlertLimits.MaxBodyBytes), NulText.CheckedByEndpoint.Instance);
        alerts.MapPost("/batch", IngestBatchAsync).WithName("IngestAlertBatch").RequireAuthorization(Policies.Responder).WithMetadata(new BodyLimit(AlertLimits.MaxBodyBytes), NulText.CheckedByEndpoint.Instance);
        alerts.MapPost("/intake/{format}", IngestNativeAsync).WithName("IngestNativeAlerts").RequireAuthorization(Policies.Responder).WithMetadata(new BodyLimit(AlertLimits.MaxBodyBytes), NulText.CheckedByEndpoint.Instance);
        alerts.MapGet("/", ListAlertsAsync).WithName("ListAlerts").RequireAuthorization(Policies.Viewer);
        alerts.MapGet("/{id:guid}", GetAlertAsync).WithName("GetAlert").RequireAuthorization(Policies.Viewer);
        alerts.MapPost("/triage", TriageAsync).WithName("TriageAlerts").RequireAuthorization(Policies.Responder);
        alerts.MapGet("/groups", ListGroupsAsync).WithName("ListAlertGroups").RequireAuthorization(Policies.Viewer);
        alerts.MapGet("/{id:guid}/similar-incidents", SimilarIncidentsAsync).WithName("ListSimilarIncidents").RequireAuthorization(Policies.Viewer);
        alerts.MapGet("/false-positive-rates", FalsePositiveRatesAsync).WithName("ListFalsePositiveRates").RequireAuthorization(Policies.Viewer);
        alerts.MapPost("/promote", PromoteAsync).WithName("PromoteAlerts").RequireAuthorization(Policies.Responder);
        alerts.MapPost("/merge", MergeAsync).WithName("MergeAlerts").RequireAuthorization(Policies.Responder);
        api.MapPost("/escalations/{id:guid}/undo", UndoEscalationAsync).WithName("UndoEscalation").WithTags("Alerts").RequireAuthorization(Policies.Responder);
        api.MapGet("/incidents/{key}/escalations", ListEscalationsAsync).WithName("ListIncidentEscalations").WithTags("Alerts").RequireAuthorization(Policies.Viewer);

        var suppression = api.MapGroup("/suppression-rules").WithTags("Alerts");
        suppression.MapGet("/", ListSuppressionRulesAsync).WithName("ListSuppressionRules").RequireAuthorization(Policies.Viewer);
        suppression.MapPost("/", CreateSuppressionRuleAsync).WithName("CreateSuppressionRule").RequireAuthorization(Policies.IncidentManager);
        suppression.MapPatch("/{id:guid}", UpdateSuppressionRuleAsync).WithName("UpdateSuppressionRule").RequireAuthorization(Policies.IncidentManager);

        var escalation = api.MapGroup("/escalation-rules").WithTags("Alerts");
        escalation.MapGet("/", ListEscalationRulesAsync).WithName("ListEscalationRules").RequireAuthorization(Policies.Viewer);
        escalation.MapPost("/", CreateEscalationRuleAsync).WithName("CreateEscalationRule").RequireAuthorization(Policies.IncidentManager);
        escalation.MapPut("/{id:guid}/enabled", SetEscalationRuleEnabledAsync).WithName("SetEscalationRuleEnabled").RequireAuthorization(Policies.IncidentManager);
        return api;
    }

    /// <summary>One alert in Firebreak's generic JSON.</summary>
    public static async Task<Ok<IntakeResult>> IngestOneAsync(HttpContext context, AlertIntake intake, ICurrentActor actor)
    {
        var alerts = await ParseAsync(context, AlertFormats.Find("generic")!);
        if (alerts.Count != 1) throw new ValidationFailedException("$", "This endpoint takes one alert; send several to /api/v1/alerts/batch.");
        return TypedResults.Ok(await SubmitAsync(context, intake, actor, alerts));
    }

    /// <summary>Up to 10,000 alerts in Firebreak's generic JSON: an array or {"alerts":[...]}.</summary>
    public static async Task<Ok<IntakeResult>> IngestBatchAsync(HttpContext context, AlertIntake intake, ICurrentActor actor) =>
        TypedResults.Ok(await SubmitAsync(context, intake, actor, await ParseAsync(context, AlertFormats.Find("generic")!)));

    /// <summary>A tool's native payload: generic, ocsf, asff, guardduty, defender, scc or cef.</summary>
    public static async Task<Ok<IntakeResult>> IngestNativeAsync(string format, HttpContext context, AlertIntake intake, ICurrentActor actor)
    {
        var reader = AlertFormats.Find(format)
            ?? throw new NotFoundException("Alert format", format);
        return TypedResults.Ok(await SubmitAsync(context, intake, actor, await ParseAsync(context, reader)));
    }

    private static async Task<IReadOnlyList<IncomingAlert>> ParseAsync(HttpContext context, IAlertFormat format)
    {
        var mediaType = context.Request.ContentType?.Split(';')[0].Trim();
        var accepted = format.MediaType == "application/json"
            ? mediaType is "application/json" || (mediaType?.EndsWith("+json", StringComparison.OrdinalIgnoreCase) ?? false)
            : mediaType is "text/plain" or "application/octet-stream" or "text/x-cef";
        if (!accepted) throw new BadHttpRequestException($"Send {format.MediaType}.", StatusCodes.Status415UnsupportedMediaType);
        using var body = new MemoryStream();
        await context.Request.Body.CopyToAsync(body, context.RequestAborted);
        if (body.Length == 0) throw new ValidationFailedException("$", "The request body is empty.");
        return format.Parse(body.GetBuffer().AsMemory(0, (int)body.Length));
    }

    private static Task<IntakeResult> SubmitAsync(HttpContext context, AlertIntake intake, ICurrentActor actor, IReadOnlyList<IncomingAlert> alerts)
    {
        var key = context.Request.Headers["Idempotency-Key"].ToString();
        return intake.SubmitAsync(actor.TenantId, actor.Name, alerts, string.IsNullOrWhiteSpace(key) ? null : key.Trim());
    }

    public static async Task<Ok<PagedResult<AlertSummary>>> ListAlertsAsync(AlertService alerts, string? state, string? minSeverity, string? source, string? q,
        string? suppressed, int? page, int? pageSize, CancellationToken cancellationToken)
    {
        var (include, only) = suppressed?.Trim().ToLowerInvariant() switch
        {
            null or "" or "exclude" => (false, false),
            "include" => (true, false),
            "only" => (true, true),
            _ => throw new ValidationFailedException("suppressed", "suppressed must be exclude, include or only."),
        };
        return TypedResults.Ok(await alerts.ListAsync(new AlertQuery(EnumText.Parse<TriageState>(state, "state"), EnumText.Parse<AlertSeverity>(minSeverity, "minSeverity"),
            source, q, include, only, page, pageSize), cancellationToken));
    }

    public static async Task<Ok<AlertDetails>> GetAlertAsync(Guid id, AlertService alerts, CancellationToken cancellationToken) =>
        TypedResults.Ok(await alerts.GetAsync(id, cancellationToken));

    public static async Task<Ok<IReadOnlyList<AlertSummary>>> TriageAsync(TriageRequest body, AlertService alerts, CancellationToken cancellationToken)
    {
        var state = EnumText.Parse<TriageState>(body.State, "state") ?? throw new ValidationFailedException("state", "state is required.");
        return TypedResults.Ok(await alerts.TriageAsync(new TriageCommand(body.AlertIds ?? [], state, body.Reason), cancellationToken));
    }

    public static async Task<Ok<IReadOnlyList<AlertGroup>>> ListGroupsAsync(AlertCorrelation correlation, double? windowHours, CancellationToken cancellationToken) =>
        TypedResults.Ok(await correlation.GroupsAsync(windowHours is { } h ? TimeSpan.FromHours(h) : null, cancellationToken));

    public static async Task<Ok<IReadOnlyList<SimilarIncident>>> SimilarIncidentsAsync(Guid id, AlertCorrelation correlation, CancellationToken cancellationToken) =>
        TypedResults.Ok(await correlation.SimilarIncidentsAsync(id, cancellationToken));

    public static async Task<Ok<IReadOnlyList<FalsePositiveStats>>> FalsePositiveRatesAsync(AlertService alerts, string? by, CancellationToken cancellationToken)
    {
        var perDetection = by?.Trim().ToLowerInvariant() switch
        {
            null or "" or "source" => false,
            "detection" => true,
            _ => throw new ValidationFailedException("by", "by must be source or detection."),
        };
        return TypedResults.Ok(await alerts.FalsePositiveRatesAsync(perDetection, cancellationToken));
    }

    public static async Task<Ok<EscalationView>> PromoteAsync(PromoteCommand body, EscalationService escalations, CancellationToken cancellationToken) =>
        TypedResults.Ok(await escalations.PromoteAsync(body, cancellationToken));

    public static async Task<Ok<EscalationView>> MergeAsync(MergeCommand body, EscalationService escalations, CancellationToken cancellationToken) =>
        TypedResults.Ok(await escalations.MergeAsync(body, cancellationToken));

    public static async Task<Ok<EscalationView>> UndoEscalationAsync(Guid id, EscalationService escalations, CancellationToken cancellationToken) =>
        TypedResults.Ok(await escalations.UndoAsync(id, cancellationToken));

    public static async Task<Ok<IReadOnlyList<EscalationView>>> ListEscalationsAsync(string key, EscalationService escalations, CancellationToken cancellationToken) =>
        TypedResults.Ok(await escalations.ListForIncidentAsync(key, cancellationToken));

    public static async Task<Ok<IReadOnlyList<SuppressionRuleView>>> ListSuppressionRulesAsync(SuppressionService rules, CancellationToken cancellationToken) =>
        TypedResults.Ok(await rules.ListAsync(cancellationToken));

    public static async Task<Created<SuppressionRuleView>> CreateSuppressionRuleAsync(CreateSuppressionRule body, SuppressionService rules, CancellationToken cancellationToken)
    {
        var rule = await rules.CreateAsync(body, cancellationToken);
        return TypedResults.Created($"/api/v1/suppression-rules/{rule.Id}", rule);
    }

    public static async Task<Ok<SuppressionRuleView>> UpdateSuppressionRuleAsync(Guid id, UpdateSuppressionRule body, SuppressionService rules, HttpContext context, CancellationToken cancellationToken)
    {
        var rule = await rules.UpdateAsync(id, body, ETags.ExpectedVersion(context.Request), cancellationToken);
        ETags.Set(context.Response, rule.Version);
        return TypedResults.Ok(rule);
    }

    public static async Task<Ok<IReadOnlyList<EscalationRuleView>>> ListEscalationRulesAsync(EscalationRuleService rules, CancellationToken cancellationToken) =>
        TypedResults.Ok(await rules.ListAsync(cancellationToken));

    public static async Task<Created<EscalationRuleView>> CreateEscalationRuleAsync(CreateEscalationRule body, EscalationRuleService rules, CancellationToken cancellationToken)
    {
        var rule = await rules.CreateAsync(body, cancellationToken);
        return TypedResults.Created($"/api/v1/escalation-rules/{rule.Id}", rule);
    }

    public static async Task<Ok<EscalationRuleView>> SetEscalationRuleEnabledAsync(Guid id, EnabledRequest body, EscalationRuleService rules, CancellationToken cancellationToken) =>
        TypedResults.Ok(await rules.SetEnabledAsync(id, body.Enabled, cancellationToken));
}

/// <summary>A larger body limit for one endpoint than the API's 1 MiB default.</summary>
public sealed record BodyLimit(long Bytes);
