using Firebreak.Core.Common;
using Firebreak.Core.Identity;
using Firebreak.Core.Incidents;
using Firebreak.Core.Persistence;
using Microsoft.EntityFrameworkCore;

namespace Firebreak.Core.Recovery;

/// <summary>
/// The tenant's register of known-good templates and images. Recording a baseline under an existing name adds
/// its next revision with who, when and why; nothing is overwritten, and every revision is audited.
/// </summary>
public sealed class BaselineService(IDbContextFactory<FirebreakDbContext> factory, TimeProvider time)
{
    /// <summary>The newest revision of every baseline, by name.</summary>
    public async Task<IReadOnlyList<BaselineView>> ListAsync(CancellationToken cancellationToken = default)
    {
        await using var db = await factory.CreateDbContextAsync(cancellationToken);
        var rows = await db.TemplateBaselines.AsNoTracking()
            .Where(b => b.Revision == db.TemplateBaselines.Where(o => o.Name == b.Name).Max(o => o.Revision))
            .OrderBy(b => b.Name).ToListAsync(cancellationToken);
        return rows.Select(ToView).ToList();
    }

    /// <summary>Every revision of one baseline, newest first.</summary>
    public async Task<IReadOnlyList<BaselineView>> HistoryAsync(string name, CancellationToken cancellationToken = default)
    {
        new Checks().Required("name", name, RecoveryLimits.NameLength).ThrowIfAny();
        await using var db = await factory.CreateDbContextAsync(cancellationToken);
        var key = name.Trim();
        var rows = await db.TemplateBaselines.AsNoTracking().Where(b => b.Name == key).OrderByDescending(b => b.Revision).ToListAsync(cancellationToken);
        if (rows.Count == 0) throw new NotFoundException("Template baseline", key);
        return rows.Select(ToView).ToList();
    }

    /// <summary>Records a baseline, or its next revision when the name exists. Incident managers and admins only.</summary>
    public async Task<BaselineView> RecordAsync(RecordBaseline command, CancellationToken cancellationToken = default)
    {
        new Checks().Required("name", command.Name, RecoveryLimits.NameLength)
            .That(command.Name is null || !command.Name.Any(char.IsControl), "name", "name must not contain control characters.")
            .That(command.Kind is not null, "kind", "kind is required: template, ami, machine-image or container-image.")
            .Defined("kind", command.Kind)
            .Required("location", command.Location, RecoveryLimits.LocationLength)
            .Required("digest", command.Digest, RecoveryLimits.DigestLength)
            .That(string.IsNullOrWhiteSpace(command.Digest) || Digests.IsValid(command.Digest), "digest", Digests.FormatMessage)
            .Required("reason", command.Reason, RecoveryLimits.ReasonLength)
            .ThrowIfAny();
        await using var db = await factory.CreateDbContextAsync(cancellationToken);
        IncidentLookup.Require(db.Actor, Role.IncidentManager, "record template baselines");
        var name = command.Name!.Trim();
        var last = await db.TemplateBaselines.AsNoTracking().Where(b => b.Name == name).OrderByDescending(b => b.Revision).FirstOrDefaultAsync(cancellationToken);
        if (last is { Revision: >= RecoveryLimits.MaxBaselineRevisions })
            throw new ConflictException($"Baseline '{name}' already has {RecoveryLimits.MaxBaselineRevisions} revisions.");
        var digest = Digests.Normalise(command.Digest);
        if (last is not null && last.Digest == digest && last.Location == command.Location.Trim() && last.Kind == command.Kind)
            throw new ConflictException($"Baseline '{name}' revision {last.Revision} already records this location and digest.");
        var baseline = new TemplateBaseline
        {
            Name = name,
            Revision = (last?.Revision ?? 0) + 1,
            Kind = command.Kind!.Value,
            Location = command.Location.Trim(),
            Digest = digest,
            RecordedBy = db.Actor.Name,
            RecordedAt = time.GetUtcNow(),
            Reason = command.Reason.Trim(),
        };
        db.TemplateBaselines.Add(baseline);
        try
        {
            await db.SaveChangesAsync(cancellationToken);
        }
        catch (DbUpdateException)
        {
            // Two revisions recorded at once: the unique (tenant, name, revision) index lets one win.
            throw new ConcurrencyConflictException($"Someone recorded a revision of '{name}' at the same time. Reload and try again.");
        }
        return ToView(baseline);
    }

    private static BaselineView ToView(TemplateBaseline b) => new(b.Id, b.Name, b.Revision, b.Kind, b.Location, b.Digest, b.RecordedBy, b.RecordedAt, b.Reason);
}
