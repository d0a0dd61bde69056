using Firebreak.Core.Common;
using Firebreak.Core.Identity;
using Firebreak.Core.Incidents;
using Firebreak.Core.Persistence;
using Microsoft.EntityFrameworkCore;

namespace Firebreak.Core.Investigation;

public sealed record ImportView(Guid Id, string Incident, ImportKind Kind, string Source, ImportStatus Status,
    long EventsRead, long EventsStored, long Duplicates, long BytesRead, long Problems, int FilesDone, string? Error,
    string CreatedBy, DateTimeOffset CreatedAt, DateTimeOffset? StartedAt, DateTimeOffset? FinishedAt, int Runs);

/// <summary>Wakes the import worker when an import is queued; it also polls, so a lost signal only delays.</summary>
public sealed class EventImportSignal : WorkSignal;

/// <summary>Starts imports of cloud logs into an incident and reports on them; the work runs in <see cref="EventImportWorker"/>.</summary>
public sealed class EventImportService(IDbContextFactory<FirebreakDbContext> factory, InvestigationOptions options, EventImportSignal signal, TimeProvider time)
{
    public long MaxUploadBytes => options.MaxUploadBytes;

    /// <summary>Stages the upload (plain or gzip) to disk first, so the import can resume after a restart.</summary>
    public async Task<ImportView> StartUploadAsync(string incidentKey, string? name, Stream content, CancellationToken cancellationToken = default, ImportKind kind = ImportKind.Upload)
    {
        new Checks().Required("name", name, EventLimits.ShortText)
            .That(name is null || name.IndexOfAny(['\0', '\n', '\r']) < 0, "name", "name must be one line of text.").ThrowIfAny();
        var incident = await FindIncidentAsync(incidentKey, cancellationToken);
        var import = NewImport(incident, kind, name!.Trim());
        Directory.CreateDirectory(options.StagingDirectory);
        import.StagedFile = $"{import.Id:n}.upload";
        var staged = Path.Combine(options.StagingDirectory, import.StagedFile);
        try
        {
            await using (var file = new FileStream(staged, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16, FileOptions.Asynchronous))
            {
                var buffer = new byte[1 << 16];
                long total = 0;
                int read;
                while ((read = await content.ReadAsync(buffer, cancellationToken)) > 0)
                {
                    total += read;
                    if (total > options.MaxUploadBytes) throw new ValidationFailedException("body", $"The upload is larger than the {options.MaxUploadBytes:N0}-byte limit.");
                    await file.WriteAsync(buffer.AsMemory(0, read), cancellationToken);
                }
                if (total == 0) throw new ValidationFailedException("body", "The upload is empty.");
            }
            return await SaveAsync(import, incident.Reference, cancellationToken);
        }
        catch
        {
            File.Delete(staged);
            throw;
        }
    }

    public async Task<ImportView> StartPathAsync(string incidentKey, string? path, CancellationToken cancellationToken = default)
    {
        var incident = await FindIncidentAsync(incidentKey, cancellationToken);
        var full = ImportPaths.Check(path, options.ImportRoots);
        return await SaveAsync(NewImport(incident, ImportKind.ServerPath, full), incident.Reference, cancellationToken);
    }

    public async Task<ImportView> StartS3Async(string incidentKey, string? s3Uri, CancellationToken cancellationToken = default)
    {
        var incident = await FindIncidentAsync(incidentKey, cancellationToken);
        var (bucket, prefix) = ParseS3(s3Uri);
        return await SaveAsync(NewImport(incident, ImportKind.S3, $"s3://{bucket}/{prefix}"), incident.Reference, cancellationToken);
    }

    public async Task<IReadOnlyList<ImportView>> ListAsync(string incidentKey, CancellationToken cancellationToken = default)
    {
        await using var db = await factory.CreateDbContextAsync(cancellationToken);
        var incident = await IncidentLookup.FindAsync(db, incidentKey, cancellationToken, track: false);
        var imports = await db.EventImports.AsNoTracking().Where(i => i.IncidentId == incident.Id).OrderByDescending(i => i.CreatedAt).Take(200).ToListAsync(cancellationToken);
        return imports.Select(i => ToView(i, incident.Reference)).ToList();
    }

    public async Task<ImportView> GetAsync(string incidentKey, Guid id, CancellationToken cancellationToken = default)
    {
        await using var db = await factory.CreateDbContextAsync(cancellationToken);
        var incident = await IncidentLookup.FindAsync(db, incidentKey, cancellationToken, track: false);
        var import = await db.EventImports.AsNoTracking().SingleOrDefaultAsync(i => i.Id == id && i.IncidentId == incident.Id, cancellationToken)
            ?? throw new NotFoundException("Import", id.ToString());
        return ToView(import, incident.Reference);
    }

    /// <summary>s3://bucket/prefix: a bucket name by S3's rules and a key prefix.</summary>
    internal static (string Bucket, string Prefix) ParseS3(string? uri)
    {
        if (string.IsNullOrWhiteSpace(uri)) throw new ValidationFailedException("s3Uri", "s3Uri is required.");
        if (uri.Length > EventLimits.LongText) throw new ValidationFailedException("s3Uri", $"s3Uri must be at most {EventLimits.LongText} characters.");
        if (!uri.StartsWith("s3://", StringComparison.Ordinal)) throw new ValidationFailedException("s3Uri", "s3Uri must look like s3://bucket/prefix.");
        var rest = uri["s3://".Length..];
        var slash = rest.IndexOf('/', StringComparison.Ordinal);
        var bucket = slash < 0 ? rest : rest[..slash];
        var prefix = slash < 0 ? "" : rest[(slash + 1)..];
        if (bucket.Length is < 3 or > 63 || !bucket.All(c => char.IsAsciiLetterLower(c) || char.IsAsciiDigit(c) || c is '-' or '.'))
            throw new ValidationFailedException("s3Uri", "The bucket name must be 3 to 63 lower-case letters, digits, dots or hyphens.");
        if (prefix.Any(char.IsControl)) throw new ValidationFailedException("s3Uri", "The prefix may not contain control characters.");
        return (bucket, prefix);
    }

    private async Task<Incident> FindIncidentAsync(string incidentKey, CancellationToken cancellationToken)
    {
        await using var db = await factory.CreateDbContextAsync(cancellationToken);
        IncidentLookup.Require(db.Actor, Role.Responder, "import events into an incident");
        return await IncidentLookup.FindAsync(db, incidentKey, cancellationToken, track: false);
    }

    private EventImport NewImport(Incident incident, ImportKind kind, string source) => new()
    {
        IncidentId = incident.Id,
        TenantId = incident.TenantId,
        Kind = kind,
        Source = source,
        Status = ImportStatus.Queued,
        CreatedBy = "",
        CreatedAt = time.GetUtcNow(),
    };

    private async Task<ImportView> SaveAsync(EventImport import, string reference, CancellationToken cancellationToken)
    {
        await using var db = await factory.CreateDbContextAsync(cancellationToken);
        import.CreatedBy = db.Actor.Name;
        db.EventImports.Add(import);
        await db.SaveChangesAsync(cancellationToken);
        signal.Notify();
        return ToView(import, reference);
    }

    internal static ImportView ToView(EventImport i, string reference) => new(i.Id, reference, i.Kind, i.Source, i.Status,
        i.EventsRead, i.EventsStored, i.Duplicates, i.BytesRead, i.Problems, i.FilesDone, i.Error, i.CreatedBy, i.CreatedAt, i.StartedAt, i.FinishedAt, i.Runs);
}
