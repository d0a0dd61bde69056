using Firebreak.Core.Common;
using Firebreak.Core.Evidence;
using Firebreak.Server.Identity;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Firebreak.Server.Api;

public sealed record ExportRequest(string Reason);

/// <summary>The evidence register and chain of custody of an incident.</summary>
internal static class EvidenceEndpoints
{
    public static RouteGroupBuilder MapEvidenceEndpoints(this RouteGroupBuilder api)
    {
        var incident = api.MapGroup("/incidents/{key}").WithTags("Evidence");
        incident.MapPost("/evidence", UploadAsync).WithName("UploadEvidence").RequireAuthorization(Policies.Responder)
            .WithMetadata(new BodyLimit(long.MaxValue)).Accepts<Stream>("application/octet-stream");
        incident.MapPost("/evidence/snapshots", AddSnapshotAsync).WithName("AddSnapshotEvidence").RequireAuthorization(Policies.Responder);
        incident.MapGet("/evidence", ListAsync).WithName("ListEvidence").RequireAuthorization(Policies.Viewer);
        incident.MapGet("/custody", ListCustodyAsync).WithName("ListCustody").RequireAuthorization(Policies.Viewer);
        incident.MapPost("/evidence/verify", VerifyAsync).WithName("VerifyEvidence").RequireAuthorization(Policies.Viewer);
        incident.MapPost("/evidence/export", ExportAsync).WithName("ExportEvidence").RequireAuthorization(Policies.Responder);
        var evidence = api.MapGroup("/evidence").WithTags("Evidence");
        evidence.MapGet("/{id:guid}", GetAsync).WithName("GetEvidence").RequireAuthorization(Policies.Viewer);
        evidence.MapGet("/{id:guid}/content", DownloadAsync).WithName("DownloadEvidence").RequireAuthorization(Policies.Viewer);
        evidence.MapPost("/{id:guid}/custody", RecordAsync).WithName("RecordCustody").RequireAuthorization(Policies.Responder);
        return api;
    }

    /// <summary>
    /// The file is the raw request body (application/octet-stream), streamed to the store as it arrives;
    /// its description travels in the query string.
    /// </summary>
    public static async Task<Created<EvidenceView>> UploadAsync(string key, string? name, string? kind, string? source, DateTimeOffset? acquiredAt,
        string? description, string? location, HttpContext context, EvidenceService evidence, CancellationToken cancellationToken)
    {
        RawBody.RequireOctetStream(context, "the file");
        RawBody.Limit(context, evidence.MaxUploadBytes, "The file is over the upload limit.");
        var command = new AddEvidenceFile(name ?? "", EnumText.Parse<EvidenceKind>(kind, "kind") ?? EvidenceKind.File, source ?? "", acquiredAt, description,
            null, location);
        var item = await evidence.AddFileAsync(key, command, context.Request.Body, cancellationToken);
        return TypedResults.Created($"/api/v1/evidence/{item.Id}", item);
    }

    public static async Task<Created<EvidenceView>> AddSnapshotAsync(string key, AddSnapshotReference body, EvidenceService evidence, CancellationToken cancellationToken)
    {
        var item = await evidence.AddSnapshotAsync(key, body, cancellationToken);
        return TypedResults.Created($"/api/v1/evidence/{item.Id}", item);
    }

    public static async Task<Ok<IReadOnlyList<EvidenceView>>> ListAsync(string key, EvidenceService evidence, CancellationToken cancellationToken) =>
        TypedResults.Ok(await evidence.ListAsync(key, cancellationToken));

    public static async Task<Ok<IReadOnlyList<CustodyView>>> ListCustodyAsync(string key, EvidenceService evidence, CancellationToken cancellationToken) =>
        TypedResults.Ok(await evidence.ListCustodyAsync(key, cancellationToken));

    public static async Task<Ok<VerificationReport>> VerifyAsync(string key, EvidenceService evidence, CancellationToken cancellationToken) =>
        TypedResults.Ok(await evidence.VerifyAsync(key, cancellationToken));

    public static async Task<EmptyHttpResult> ExportAsync(string key, ExportRequest body, EvidenceService evidence, HttpContext context, CancellationToken cancellationToken)
    {
        // Built in a temporary file first: a failure half-way must not leave the client with half a zip and a 200.
        var temp = Path.GetTempFileName();
        try
        {
            await using (var file = File.Create(temp))
            {
                await evidence.ExportAsync(key, body.Reason, file, cancellationToken);
            }
            context.Response.ContentType = "application/zip";
            context.Response.Headers.ContentDisposition = $"attachment; filename=\"{Sanitise(key)}-evidence.zip\"";
            await context.Response.SendFileAsync(temp, cancellationToken);
            return TypedResults.Empty;
        }
        finally
        {
            File.Delete(temp);
        }
    }

    public static async Task<Ok<EvidenceView>> GetAsync(Guid id, EvidenceService evidence, CancellationToken cancellationToken) =>
        TypedResults.Ok(await evidence.GetAsync(id, cancellationToken));

    /// <summary>Every download is a custody event: the reason is required.</summary>
    public static async Task<FileStreamHttpResult> DownloadAsync(Guid id, string? reason, EvidenceService evidence, CancellationToken cancellationToken)
    {
        var (item, content) = await evidence.OpenAsync(id, reason ?? "", cancellationToken);
        return TypedResults.File(content, item.MediaType ?? "application/octet-stream", item.Name);
    }

    public static async Task<Ok<IReadOnlyList<CustodyView>>> RecordAsync(Guid id, RecordCustody body, EvidenceService evidence, CancellationToken cancellationToken) =>
        TypedResults.Ok(await evidence.RecordAsync(id, body, cancellationToken));

    private static string Sanitise(string key) => new(key.Where(c => char.IsAsciiLetterOrDigit(c) || c == '-').Take(64).ToArray());
}
