using Firebreak.Core.Common;
using Firebreak.Core.Incidents;
using Firebreak.Core.PostMortem;
using Firebreak.Core.PostMortem.Reports;
using Firebreak.Server.Identity;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Firebreak.Server.Api;

/// <summary>
/// The post-mortem: an incident's response times, its follow-up actions, data gaps and provider
/// escalations with their SLA review, and response-time trends across incidents. (The review record
/// itself is at /incidents/{key}/review, with the incident's other records.)
/// </summary>
internal static class PostMortemEndpoints
{
    public static RouteGroupBuilder MapPostMortemEndpoints(this RouteGroupBuilder api)
    {
        var incident = api.MapGroup("/incidents/{key}").WithTags("PostMortem");
        incident.MapGet("/metrics", GetMetricsAsync).WithName("GetIncidentMetrics").RequireAuthorization(Policies.Viewer);
        incident.MapGet("/follow-ups", ListFollowUpsAsync).WithName("ListFollowUps").RequireAuthorization(Policies.Viewer);
        incident.MapPost("/follow-ups", AddFollowUpAsync).WithName("AddFollowUp").RequireAuthorization(Policies.Responder);
        incident.MapPatch("/follow-ups/{id:guid}", UpdateFollowUpAsync).WithName("UpdateFollowUp").RequireAuthorization(Policies.Responder);
        incident.MapGet("/data-gaps", ListDataGapsAsync).WithName("ListDataGaps").RequireAuthorization(Policies.Viewer);
        incident.MapPost("/data-gaps", AddDataGapAsync).WithName("AddDataGap").RequireAuthorization(Policies.Responder);
        incident.MapPut("/data-gaps/{id:guid}", UpdateDataGapAsync).WithName("UpdateDataGap").RequireAuthorization(Policies.Responder);
        incident.MapDelete("/data-gaps/{id:guid}", DeleteDataGapAsync).WithName("DeleteDataGap").RequireAuthorization(Policies.Responder);
        incident.MapGet("/provider-escalations", ListProviderEscalationsAsync).WithName("ListProviderEscalations").RequireAuthorization(Policies.Viewer);
        incident.MapPost("/provider-escalations", AddProviderEscalationAsync).WithName("AddProviderEscalation").RequireAuthorization(Policies.Responder);
        incident.MapPut("/provider-escalations/{id:guid}", UpdateProviderEscalationAsync).WithName("UpdateProviderEscalation").RequireAuthorization(Policies.Responder);
        incident.MapPost("/provider-escalations/{id:guid}/responses", AddProviderResponseAsync).WithName("AddProviderEscalationResponse").RequireAuthorization(Policies.Responder);
        incident.MapDelete("/provider-escalations/{id:guid}", DeleteProviderEscalationAsync).WithName("DeleteProviderEscalation").RequireAuthorization(Policies.Responder);
        var tenant = api.MapGroup("").WithTags("PostMortem");
        tenant.MapGet("/follow-ups", ListOpenFollowUpsAsync).WithName("ListFollowUpsAcrossIncidents").RequireAuthorization(Policies.Viewer);
        tenant.MapGet("/metrics/response-times", GetResponseTrendsAsync).WithName("GetResponseTimeTrends").RequireAuthorization(Policies.Viewer);
        incident.MapGet("/report", GetReportAsync).WithName("GetIncidentReport").RequireAuthorization(Policies.Viewer)
            .Produces<Stream>(StatusCodes.Status200OK, "application/pdf", "text/html", "text/markdown");
        incident.MapGet("/status-update", GetStatusUpdateAsync).WithName("GetIncidentStatusUpdate").RequireAuthorization(Policies.Viewer)
            .Produces<string>(StatusCodes.Status200OK, "text/markdown", "text/html", "text/plain");
        return api;
    }

    public static async Task<Ok<IncidentMetrics>> GetMetricsAsync(string key, MetricsService metrics, CancellationToken cancellationToken) =>
        TypedResults.Ok(await metrics.ForIncidentAsync(key, cancellationToken));

    /// <summary>
    /// The incident report as a download (html, md or pdf; html when no format is given), named after the
    /// incident's reference. Each download is recorded in the incident's audit trail.
    /// </summary>
    public static async Task<FileContentHttpResult> GetReportAsync(string key, string? format, ReportService reports, CancellationToken cancellationToken)
    {
        var parsed = ParseFormat(format, ReportFormat.Html, ReportFormat.Html, ReportFormat.Markdown, ReportFormat.Pdf);
        var report = await reports.ExportAsync(key, parsed, cancellationToken);
        var bytes = ReportRenderer.Render(IncidentReportDocument.Build(report), parsed, report.GeneratedAt);
        return TypedResults.File(bytes, ReportFormats.ContentType(parsed), ReportText.FileName(report.Incident.Reference, parsed));
    }

    /// <summary>The communications lead's status update, shown inline: md (the default), html or text.</summary>
    public static async Task<ContentHttpResult> GetStatusUpdateAsync(string key, string? format, ReportService reports, CancellationToken cancellationToken)
    {
        var parsed = ParseFormat(format, ReportFormat.Markdown, ReportFormat.Markdown, ReportFormat.Html, ReportFormat.Text);
        var update = await reports.StatusUpdateAsync(key, cancellationToken);
        return TypedResults.Text(ReportRenderer.RenderText(update.ToDocument(), parsed), ReportFormats.ContentType(parsed));
    }

    private static ReportFormat ParseFormat(string? text, ReportFormat fallback, params ReportFormat[] allowed)
    {
        if (string.IsNullOrWhiteSpace(text)) return fallback;
        return ReportFormats.Parse(text) is { } format && allowed.Contains(format)
            ? format
            : throw new ValidationFailedException("format", $"format must be one of: {string.Join(", ", allowed.Select(ReportFormats.Name))}.");
    }

    public static async Task<Ok<IReadOnlyList<FollowUpView>>> ListFollowUpsAsync(string key, FollowUpService followUps, CancellationToken cancellationToken) =>
        TypedResults.Ok(await followUps.ListAsync(key, cancellationToken));

    public static async Task<Created<FollowUpView>> AddFollowUpAsync(string key, CreateFollowUp body, FollowUpService followUps, HttpResponse response, CancellationToken cancellationToken)
    {
        var item = await followUps.AddAsync(key, body, cancellationToken);
        ETags.Set(response, item.Version);
        return TypedResults.Created($"/api/v1/incidents/{key}/follow-ups/{item.Id}", item);
    }

    public static async Task<Ok<FollowUpView>> UpdateFollowUpAsync(string key, Guid id, UpdateFollowUp body, FollowUpService followUps, HttpContext context, CancellationToken cancellationToken)
    {
        var item = await followUps.UpdateAsync(key, id, body, ETags.ExpectedVersion(context.Request), cancellationToken);
        ETags.Set(context.Response, item.Version);
        return TypedResults.Ok(item);
    }

    /// <summary>Follow-ups of every incident of the tenant; with no status, every one not done yet.</summary>
    public static async Task<Ok<PagedResult<FollowUpView>>> ListOpenFollowUpsAsync(string? status, bool? overdue, Guid? owner, int? page, int? pageSize,
        FollowUpService followUps, CancellationToken cancellationToken) =>
        TypedResults.Ok(await followUps.ListAcrossIncidentsAsync(
            new FollowUpQuery(EnumText.Parse<FollowUpStatus>(status, "status"), overdue ?? false, owner, page, pageSize), cancellationToken));

    public static async Task<Ok<IReadOnlyList<DataGapView>>> ListDataGapsAsync(string key, DataGapService gaps, CancellationToken cancellationToken) =>
        TypedResults.Ok(await gaps.ListAsync(key, cancellationToken));

    public static async Task<Created<DataGapView>> AddDataGapAsync(string key, DataGapInput body, DataGapService gaps, HttpResponse response, CancellationToken cancellationToken)
    {
        var gap = await gaps.AddAsync(key, body, cancellationToken);
        ETags.Set(response, gap.Version);
        return TypedResults.Created($"/api/v1/incidents/{key}/data-gaps/{gap.Id}", gap);
    }

    public static async Task<Ok<DataGapView>> UpdateDataGapAsync(string key, Guid id, DataGapInput body, DataGapService gaps, HttpContext context, CancellationToken cancellationToken)
    {
        var gap = await gaps.UpdateAsync(key, id, body, ETags.ExpectedVersion(context.Request), cancellationToken);
        ETags.Set(context.Response, gap.Version);
        return TypedResults.Ok(gap);
    }

    public static async Task<NoContent> DeleteDataGapAsync(string key, Guid id, DataGapService gaps, HttpRequest request, CancellationToken cancellationToken)
    {
        await gaps.DeleteAsync(key, id, ETags.ExpectedVersion(request), cancellationToken);
        return TypedResults.NoContent();
    }

    public static async Task<Ok<SlaSummary>> ListProviderEscalationsAsync(string key, ProviderEscalationService escalations, CancellationToken cancellationToken) =>
        TypedResults.Ok(await escalations.ListAsync(key, cancellationToken));

    public static async Task<Created<ProviderEscalationView>> AddProviderEscalationAsync(string key, ProviderEscalationInput body, ProviderEscalationService escalations,
        HttpResponse response, CancellationToken cancellationToken)
    {
        var escalation = await escalations.AddAsync(key, body, cancellationToken);
        ETags.Set(response, escalation.Version);
        return TypedResults.Created($"/api/v1/incidents/{key}/provider-escalations/{escalation.Id}", escalation);
    }

    public static async Task<Ok<ProviderEscalationView>> UpdateProviderEscalationAsync(string key, Guid id, ProviderEscalationInput body, ProviderEscalationService escalations,
        HttpContext context, CancellationToken cancellationToken)
    {
        var escalation = await escalations.UpdateAsync(key, id, body, ETags.ExpectedVersion(context.Request), cancellationToken);
        ETags.Set(context.Response, escalation.Version);
        return TypedResults.Ok(escalation);
    }

    /// <summary>Appends an answer from the provider; the first sets the case's first-response time.</summary>
    public static async Task<Ok<ProviderEscalationView>> AddProviderResponseAsync(string key, Guid id, AddEscalationResponse body, ProviderEscalationService escalations,
        HttpResponse response, CancellationToken cancellationToken)
    {
        var escalation = await escalations.AddResponseAsync(key, id, body, cancellationToken);
        ETags.Set(response, escalation.Version);
        return TypedResults.Ok(escalation);
    }

    public static async Task<NoContent> DeleteProviderEscalationAsync(string key, Guid id, ProviderEscalationService escalations, HttpRequest request, CancellationToken cancellationToken)
    {
        await escalations.DeleteAsync(key, id, ETags.ExpectedVersion(request), cancellationToken);
        return TypedResults.NoContent();
    }

    /// <summary>MTTD, time to escalate, MTTC and MTTR per month or week, for incidents detected in [from, to).</summary>
    public static async Task<Ok<ResponseTrends>> GetResponseTrendsAsync(DateTimeOffset? from, DateTimeOffset? to, string? severity, string? category, string? bucket,
        string? groupBy, ResponseTrendService trends, CancellationToken cancellationToken) =>
        TypedResults.Ok(await trends.ComputeAsync(new TrendQuery(from, to, EnumText.Parse<Severity>(severity, "severity"), EnumText.Parse<IncidentCategory>(category, "category"),
            EnumText.Parse<TrendBucket>(bucket, "bucket") ?? TrendBucket.Month, EnumText.Parse<TrendGrouping>(groupBy, "groupBy") ?? TrendGrouping.None), cancellationToken));
}
