using Firebreak.Core.Common;
using Firebreak.Core.PostMortem;
using Firebreak.Core.PostMortem.Reports;
using Firebreak.Server.Identity;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Firebreak.Server.Api;

/// <summary>What the post-mortem reads: an incident's response times, its report and the status update.</summary>
internal static class PostMortemEndpoints
{
    public static RouteGroupBuilder MapPostMortemEndpoints(this RouteGroupBuilder api)
    {
        api.MapGet("/incidents/{key}/metrics", GetMetricsAsync).WithName("GetIncidentMetrics").WithTags("PostMortem").RequireAuthorization(Policies.Viewer);
        var incident = api.MapGroup("/incidents/{key}").WithTags("PostMortem");
        incident.MapGet("/report", GetReportAsync).WithName("GetIncidentReport").RequireAuthorization(Policies.Viewer)
            .Produces(StatusCodes.Status200OK, contentType: "application/pdf", additionalContentTypes: ["text/html", "text/markdown"]);
        incident.MapGet("/status-update", GetStatusUpdateAsync).WithName("GetIncidentStatusUpdate").RequireAuthorization(Policies.Viewer)
            .Produces(StatusCodes.Status200OK, contentType: "text/markdown", additionalContentTypes: ["text/html", "text/plain"]);
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
        var document = update.ToDocument();
        var text = parsed switch
        {
            ReportFormat.Html => HtmlRenderer.Render(document),
            ReportFormat.Markdown => MarkdownRenderer.Render(document),
            _ => TextRenderer.Render(document),
        };
        return TypedResults.Text(text, ReportFormats.ContentType(parsed));
    }

    private static ReportFormat ParseFormat(string? text, ReportFormat fallback, params ReportFormat[] allowed)
    {
        if (string.IsNullOrWhiteSpace(text)) return fallback;
        return ReportFormats.Parse(text) is { } format && allowed.Contains(format)
            ? format
            : throw new ValidationFailedException("format", $"format must be one of: {string.Join(", ", allowed.Select(ReportFormats.Name))}.");
    }
}
