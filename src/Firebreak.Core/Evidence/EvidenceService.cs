using Firebreak.Core.Common;
using Firebreak.Core.Identity;
using Firebreak.Core.Incidents;
using Firebreak.Core.Persistence;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Configuration;

namespace Firebreak.Core.Evidence;

/// <summary>The evidence register of an incident, and its chain of custody.</summary>
public sealed class EvidenceService(IDbContextFactory<FirebreakDbContext> factory, IEvidenceStore store, TimeProvider time, IConfiguration configuration)
{
    /// <summary>
    /// Every lost race means another append won, so N writers at once need at most N attempts; this bound only
    /// stops a writer that keeps losing under a sustained flood.
    /// </summary>
    private const int MaxAppendAttempts = 64;

    public long MaxUploadBytes => configuration.GetValue("Firebreak:Evidence:MaxUploadBytes", 10L * 1024 * 1024 * 1024);

    public async Task<EvidenceView> AddFileAsync(string incidentKey, AddEvidenceFile command, Stream content, CancellationToken cancellationToken = default)
    {
        new Checks().Required("name", command.Name, 500).Required("source", command.Source, 500).Defined("kind", (EvidenceKind?)command.Kind)
            .That(command.Kind != EvidenceKind.Snapshot, "kind", "A snapshot is a reference: add it as one, not as a file.")
            .MaxLength("description", command.Description, 5_000).MaxLength("mediaType", command.MediaType, 200).MaxLength("location", command.Location, 500)
            .That(command.AcquiredAt is null || command.AcquiredAt <= time.GetUtcNow(), "acquiredAt", "acquiredAt cannot be in the future.")
            .ThrowIfAny();
        var incidentId = await IncidentToAddToAsync(incidentKey, cancellationToken);
        // The bytes first: an item row only ever points at a complete, hashed blob.
        var blob = await store.PutAsync(content, MaxUploadBytes, cancellationToken);
        var now = CustodyChain.Truncate(time.GetUtcNow());
        return await AddItemAsync(incidentId, actor => new EvidenceItem
        {
            IncidentId = incidentId,
            Kind = command.Kind,
            Name = command.Name.Trim(),
            Description = command.Description?.Trim() ?? "",
            Source = command.Source.Trim(),
            CollectedBy = actor,
            AcquiredAt = command.AcquiredAt ?? now,
            StoredAt = now,
            Size = blob.Size,
            Sha256 = blob.Sha256,
            Sha1 = blob.Sha1,
            Md5 = blob.Md5,
            MediaType = command.MediaType,
        }, command.Location ?? "", cancellationToken);
    }

    public async Task<EvidenceView> AddSnapshotAsync(string incidentKey, AddSnapshotReference command, CancellationToken cancellationToken = default)
    {
        new Checks().Required("name", command.Name, 500).Required("snapshotId", command.SnapshotId, 200).Required("region", command.Region, 64)
            .Required("account", command.Account, 200).MaxLength("sourceVolume", command.SourceVolume, 200).MaxLength("createdByAction", command.CreatedByAction, 200)
            .MaxLength("description", command.Description, 5_000).ThrowIfAny();
        var incidentId = await IncidentToAddToAsync(incidentKey, cancellationToken);
        var now = CustodyChain.Truncate(time.GetUtcNow());
        return await AddItemAsync(incidentId, actor => new EvidenceItem
        {
            IncidentId = incidentId,
            Kind = EvidenceKind.Snapshot,
            Name = command.Name.Trim(),
            Description = command.Description?.Trim() ?? "",
            Source = $"{command.Account.Trim()}/{command.Region.Trim()}",
            CollectedBy = actor,
            AcquiredAt = command.AcquiredAt ?? now,
            StoredAt = now,
            SnapshotId = command.SnapshotId.Trim(),
            SnapshotRegion = command.Region.Trim(),
            SnapshotAccount = command.Account.Trim(),
            SourceVolume = command.SourceVolume?.Trim(),
            CreatedByAction = command.CreatedByAction?.Trim(),
        }, $"{command.Account.Trim()}/{command.Region.Trim()}", cancellationToken);
    }

    private async Task<Guid> IncidentToAddToAsync(string incidentKey, CancellationToken cancellationToken)
    {
        await using var db = await factory.CreateDbContextAsync(cancellationToken);
        IncidentLookup.Require(db.Actor, Role.Responder, "add evidence");
        return (await IncidentLookup.FindAsync(db, incidentKey, cancellationToken, track: false)).Id;
    }

    private async Task<EvidenceView> AddItemAsync(Guid incidentId, Func<string, EvidenceItem> build, string location, CancellationToken cancellationToken)
    {
        var itemId = Guid.Empty;
        await RetryLostRacesAsync(async () =>
        {
            await using var db = await factory.CreateDbContextAsync(cancellationToken);
            var item = build(db.Actor.Name);
            await using var tx = await db.Database.BeginTransactionAsync(cancellationToken);
            db.EvidenceItems.Add(item);
            await AppendAsync(db, item, CustodyEvent.Collected, location, "collected", null, cancellationToken);
            await db.SaveChangesAsync(cancellationToken);
            await tx.CommitAsync(cancellationToken);
            itemId = item.Id;
        }, cancellationToken);
        return await GetAsync(itemId, cancellationToken);
    }

    public async Task<IReadOnlyList<CustodyView>> RecordAsync(Guid itemId, RecordCustody command, CancellationToken cancellationToken = default)
    {
        new Checks().Defined("event", (CustodyEvent?)command.Event).Required("location", command.Location, 500).Required("reason", command.Reason, 2_000)
            .That(command.Event != CustodyEvent.Transferred || !string.IsNullOrWhiteSpace(command.Recipient), "recipient", "A transfer names the person receiving the item.")
            .MaxLength("recipient", command.Recipient, 200)
            .That(command.Event != CustodyEvent.Collected, "event", "An item is collected once, when it is added.")
            .ThrowIfAny();
        await AppendWithRetryAsync(itemId, command.Event, command.Location.Trim(), command.Reason.Trim(), command.Recipient?.Trim(), Role.Responder, cancellationToken);
        return await ListCustodyForItemAsync(itemId, cancellationToken);
    }

    /// <summary>Opens an item's bytes for download, recording the access in the chain first.</summary>
    public async Task<(EvidenceView Item, Stream Content)> OpenAsync(Guid itemId, string reason, CancellationToken cancellationToken = default)
    {
        new Checks().Required("reason", reason, 2_000).ThrowIfAny();
        var item = await GetAsync(itemId, cancellationToken);
        if (item.Sha256 is null) throw new ConflictException("A snapshot reference has no bytes in Firebreak; it lives with the cloud provider.");
        await AppendWithRetryAsync(itemId, CustodyEvent.Accessed, "firebreak", reason.Trim(), null, Role.Viewer, cancellationToken);
        return (item, await store.OpenAsync(item.Sha256, cancellationToken));
    }

    private Task AppendWithRetryAsync(Guid itemId, CustodyEvent ev, string location, string reason, string? recipient, Role role, CancellationToken cancellationToken) =>
        RetryLostRacesAsync(async () =>
        {
            await using var db = await factory.CreateDbContextAsync(cancellationToken);
            IncidentLookup.Require(db.Actor, role, "record custody events");
            var item = await db.EvidenceItems.AsNoTracking().SingleOrDefaultAsync(i => i.Id == itemId, cancellationToken)
                ?? throw new NotFoundException("Evidence item", itemId.ToString());
            var last = await db.CustodyEntries.AsNoTracking().Where(e => e.EvidenceItemId == itemId).OrderByDescending(e => e.Sequence).FirstOrDefaultAsync(cancellationToken);
            if (last?.Event == CustodyEvent.Disposed) throw new ConflictException("The item was disposed of; its chain of custody is closed.");
            await using var tx = await db.Database.BeginTransactionAsync(cancellationToken);
            await AppendAsync(db, item, ev, location, reason, recipient, cancellationToken);
            await db.SaveChangesAsync(cancellationToken);
            await tx.CommitAsync(cancellationToken);
        }, cancellationToken);

    /// <summary>
    /// Runs an append (in its own context) until it wins its place in the chain. A lost race means another
    /// append took that place: the end of the chain is read again on the next attempt, after a short random
    /// pause so the losers of one race do not all collide again on the next.
    /// </summary>
    private static async Task RetryLostRacesAsync(Func<Task> append, CancellationToken cancellationToken)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                await append();
                return;
            }
            catch (DbUpdateException) when (attempt < MaxAppendAttempts)
            {
                await Task.Delay(Random.Shared.Next(1, 4 * Math.Min(attempt, 10)), cancellationToken);
            }
        }
    }

    /// <summary>Adds the next entry of the incident's chain to the context (the caller saves).</summary>
    internal async Task<CustodyEntry> AppendAsync(FirebreakDbContext db, EvidenceItem item, CustodyEvent ev, string location, string reason, string? recipient, CancellationToken cancellationToken)
    {
        var previous = await db.CustodyEntries.AsNoTracking().Where(e => e.IncidentId == item.IncidentId)
            .OrderByDescending(e => e.Sequence).Select(e => new { e.Sequence, e.Hash }).FirstOrDefaultAsync(cancellationToken);
        var pendingInContext = db.ChangeTracker.Entries<CustodyEntry>().Where(e => e.State == EntityState.Added && e.Entity.IncidentId == item.IncidentId)
            .Select(e => e.Entity).OrderByDescending(e => e.Sequence).FirstOrDefault();
        var (sequence, previousHash) = pendingInContext is not null
            ? (pendingInContext.Sequence + 1, pendingInContext.Hash)
            : previous is null ? (1, CustodyChain.Genesis(item.IncidentId)) : (previous.Sequence + 1, previous.Hash);
        var entry = new CustodyEntry
        {
            TenantId = item.TenantId,
            IncidentId = item.IncidentId,
            Sequence = sequence,
            EvidenceItemId = item.Id,
            Event = ev,
            Actor = db.Actor.Name,
            At = CustodyChain.Truncate(time.GetUtcNow()),
            Location = location,
            Reason = reason,
            Recipient = recipient,
            PreviousHash = previousHash,
            Hash = "",
        };
        entry.Hash = CustodyChain.Hash(entry, item.Sha256 ?? item.SnapshotId);
        db.CustodyEntries.Add(entry);
        return entry;
    }

    public async Task<EvidenceView> GetAsync(Guid itemId, CancellationToken cancellationToken = default)
    {
        await using var db = await factory.CreateDbContextAsync(cancellationToken);
        var item = await db.EvidenceItems.AsNoTracking().SingleOrDefaultAsync(i => i.Id == itemId, cancellationToken)
            ?? throw new NotFoundException("Evidence item", itemId.ToString());
        var entries = await db.CustodyEntries.AsNoTracking().Where(e => e.EvidenceItemId == itemId).OrderBy(e => e.Sequence).ToListAsync(cancellationToken);
        return ToView(item, entries);
    }

    public async Task<IReadOnlyList<EvidenceView>> ListAsync(string incidentKey, CancellationToken cancellationToken = default)
    {
        await using var db = await factory.CreateDbContextAsync(cancellationToken);
        var incident = await IncidentLookup.FindAsync(db, incidentKey, cancellationToken, track: false);
        var items = await db.EvidenceItems.AsNoTracking().Where(i => i.IncidentId == incident.Id).OrderBy(i => i.StoredAt).ThenBy(i => i.Id).ToListAsync(cancellationToken);
        var entries = (await ChainAsync(db, incident.Id, cancellationToken))
            .ToLookup(e => e.EvidenceItemId);
        return items.Select(i => ToView(i, entries[i.Id].ToList())).ToList();
    }

    public async Task<IReadOnlyList<CustodyView>> ListCustodyAsync(string incidentKey, CancellationToken cancellationToken = default)
    {
        await using var db = await factory.CreateDbContextAsync(cancellationToken);
        var incident = await IncidentLookup.FindAsync(db, incidentKey, cancellationToken, track: false);
        var entries = await ChainAsync(db, incident.Id, cancellationToken);
        return entries.Select(ToView).ToList();
    }

    /// <summary>The incident's whole chain of custody, in order.</summary>
    private static Task<List<CustodyEntry>> ChainAsync(FirebreakDbContext db, Guid incidentId, CancellationToken cancellationToken) =>
        db.CustodyEntries.AsNoTracking().Where(e => e.IncidentId == incidentId).OrderBy(e => e.Sequence).ToListAsync(cancellationToken);

    private async Task<IReadOnlyList<CustodyView>> ListCustodyForItemAsync(Guid itemId, CancellationToken cancellationToken)
    {
        await using var db = await factory.CreateDbContextAsync(cancellationToken);
        var entries = await db.CustodyEntries.AsNoTracking().Where(e => e.EvidenceItemId == itemId).OrderBy(e => e.Sequence).ToListAsync(cancellationToken);
        return entries.Select(ToView).ToList();
    }

    /// <summary>
    /// Recomputes every stored file's hashes and every custody entry's hash, and names exactly which
    /// item or entry no longer matches.
    /// </summary>
    public async Task<VerificationReport> VerifyAsync(string incidentKey, CancellationToken cancellationToken = default)
    {
        await using var db = await factory.CreateDbContextAsync(cancellationToken);
        var incident = await IncidentLookup.FindAsync(db, incidentKey, cancellationToken, track: false);
        var items = await db.EvidenceItems.AsNoTracking().Where(i => i.IncidentId == incident.Id).OrderBy(i => i.StoredAt).ToListAsync(cancellationToken);
        var entries = await ChainAsync(db, incident.Id, cancellationToken);
        var checks = new List<ItemCheck>();
        foreach (var item in items)
        {
            checks.Add(item.Sha256 is null
                ? new ItemCheck(item.Id, item.Name, true, null)
                : await CheckFileAsync(item, cancellationToken));
        }
        var byId = items.ToDictionary(i => i.Id);
        var chain = CustodyChain.Verify(incident.Id, entries, id => byId.TryGetValue(id, out var i) ? i.Sha256 ?? i.SnapshotId : null);
        return new VerificationReport(checks.All(c => c.Ok) && chain.Count == 0, checks, chain);
    }

    /// <summary>
    /// Writes the incident's evidence bundle to <paramref name="output"/>. The export is itself a custody
    /// event, recorded for every item before the bundle is written, so the bundle's chain includes it.
    /// </summary>
    public async Task ExportAsync(string incidentKey, string reason, Stream output, CancellationToken cancellationToken = default)
    {
        new Checks().Required("reason", reason, 2_000).ThrowIfAny();
        await using var db = await factory.CreateDbContextAsync(cancellationToken);
        IncidentLookup.Require(db.Actor, Role.Responder, "export evidence");
        var incident = await IncidentLookup.FindAsync(db, incidentKey, cancellationToken, track: false);
        var items = await db.EvidenceItems.AsNoTracking().Where(i => i.IncidentId == incident.Id).OrderBy(i => i.StoredAt).ThenBy(i => i.Id).ToListAsync(cancellationToken);
        foreach (var item in items) await AppendWithRetryAsync(item.Id, CustodyEvent.Exported, "evidence bundle", reason.Trim(), null, Role.Responder, cancellationToken);
        var custody = (await ChainAsync(db, incident.Id, cancellationToken)).Select(ToView).ToList();
        var manifest = new BundleManifest(EvidenceBundle.FormatName, incident.Reference, incident.Title, incident.Id, time.GetUtcNow(), db.Actor.Name, reason.Trim(),
            items.Select(i => new BundleItem(i.Id, i.Kind, i.Name, i.Source, i.CollectedBy, i.AcquiredAt, i.Size, i.Sha256, i.Sha1, i.Md5,
                i.Sha256 is null ? null : $"files/{i.Sha256}", i.SnapshotId, i.SnapshotRegion, i.SnapshotAccount)).ToList());
        var summary = new
        {
            incident.Reference, incident.Title, incident.Summary, Severity = incident.Severity, Phase = incident.Phase, Status = incident.Status,
            incident.DetectedAt, incident.EscalatedAt, incident.ContainedAt, incident.EradicatedAt, incident.RecoveredAt, incident.ClosedAt,
        };
        using var archive = new System.IO.Compression.ZipArchive(output, System.IO.Compression.ZipArchiveMode.Create, leaveOpen: true);
        await WriteJsonAsync(archive, "manifest.json", manifest, cancellationToken);
        await WriteJsonAsync(archive, "custody.json", custody, cancellationToken);
        await WriteJsonAsync(archive, "incident.json", summary, cancellationToken);
        foreach (var sha in items.Select(i => i.Sha256).OfType<string>().Distinct())
        {
            var entry = archive.CreateEntry($"files/{sha}", System.IO.Compression.CompressionLevel.Fastest);
            await using var target = await entry.OpenAsync(cancellationToken);
            await using var source = await store.OpenAsync(sha, cancellationToken);
            await source.CopyToAsync(target, cancellationToken);
        }
    }

    private static async Task WriteJsonAsync<T>(System.IO.Compression.ZipArchive archive, string name, T value, CancellationToken cancellationToken)
    {
        await using var stream = await archive.CreateEntry(name).OpenAsync(cancellationToken);
        await System.Text.Json.JsonSerializer.SerializeAsync(stream, value, EvidenceBundle.Json, cancellationToken);
    }

    private async Task<ItemCheck> CheckFileAsync(EvidenceItem item, CancellationToken cancellationToken)
    {
        try
        {
            await using var content = await store.OpenAsync(item.Sha256!, cancellationToken);
            var problem = await EvidenceHashes.MismatchAsync(content, item.Size, item.Sha256, item.Sha1, item.Md5, "recorded", cancellationToken);
            return new ItemCheck(item.Id, item.Name, problem is null, problem);
        }
        catch (NotFoundException)
        {
            return new ItemCheck(item.Id, item.Name, false, "the stored file is missing");
        }
    }

    private static EvidenceView ToView(EvidenceItem i, IReadOnlyList<CustodyEntry> entries)
    {
        var last = entries.LastOrDefault();
        var holder = entries.LastOrDefault(e => e.Event == CustodyEvent.Transferred)?.Recipient ?? i.CollectedBy;
        return new EvidenceView(i.Id, i.Kind, i.Name, i.Description, i.Source, i.CollectedBy, i.AcquiredAt, i.StoredAt, i.Size,
            i.Sha256, i.Sha1, i.Md5, i.MediaType, i.SnapshotId, i.SnapshotRegion, i.SnapshotAccount, i.SourceVolume, i.CreatedByAction,
            last?.Event ?? CustodyEvent.Collected, holder);
    }

    private static CustodyView ToView(CustodyEntry e) =>
        new(e.Sequence, e.EvidenceItemId, e.Event, e.Actor, e.At, e.Location, e.Reason, e.Recipient, e.PreviousHash, e.Hash);
}

/// <summary>SHA-256, SHA-1 and MD5 of one stream of bytes, computed in one pass.</summary>
public sealed class EvidenceHashes : IDisposable
{
    private readonly System.Security.Cryptography.IncrementalHash _sha256 = System.Security.Cryptography.IncrementalHash.CreateHash(System.Security.Cryptography.HashAlgorithmName.SHA256);
    private readonly System.Security.Cryptography.IncrementalHash _sha1 = System.Security.Cryptography.IncrementalHash.CreateHash(System.Security.Cryptography.HashAlgorithmName.SHA1);
    private readonly System.Security.Cryptography.IncrementalHash _md5 = System.Security.Cryptography.IncrementalHash.CreateHash(System.Security.Cryptography.HashAlgorithmName.MD5);

    public long Size { get; private set; }

    public void Append(ReadOnlySpan<byte> bytes)
    {
        Size += bytes.Length;
        _sha256.AppendData(bytes);
        _sha1.AppendData(bytes);
        _md5.AppendData(bytes);
    }

    public StoredBlob Finish() => new(Convert.ToHexStringLower(_sha256.GetHashAndReset()), Convert.ToHexStringLower(_sha1.GetHashAndReset()),
        Convert.ToHexStringLower(_md5.GetHashAndReset()), Size);

    public static async Task<(string Sha256, string Sha1, string Md5, long Size)> ComputeAsync(Stream content, CancellationToken cancellationToken)
    {
        using var hashes = new EvidenceHashes();
        var buffer = new byte[128 * 1024];
        int read;
        while ((read = await content.ReadAsync(buffer, cancellationToken)) > 0) hashes.Append(buffer.AsSpan(0, read));
        var blob = hashes.Finish();
        return (blob.Sha256, blob.Sha1, blob.Md5, blob.Size);
    }

    /// <summary>What differs between the content and the size and hashes on record (<paramref name="recordedAs"/>), or null if nothing does.</summary>
    internal static async Task<string?> MismatchAsync(Stream content, long size, string? sha256, string? sha1, string? md5, string recordedAs,
        CancellationToken cancellationToken)
    {
        var read = await ComputeAsync(content, cancellationToken);
        return read.Size != size ? $"size is {read.Size}, {recordedAs} {size}"
            : read.Sha256 != sha256 ? "SHA-256 does not match"
            : read.Sha1 != sha1 ? "SHA-1 does not match"
            : read.Md5 != md5 ? "MD5 does not match"
            : null;
    }

    public void Dispose()
    {
        _sha256.Dispose();
        _sha1.Dispose();
        _md5.Dispose();
    }
}
