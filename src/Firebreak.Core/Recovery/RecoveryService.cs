using System.Security.Cryptography;
using Firebreak.Core.Common;
using Firebreak.Core.Identity;
using Firebreak.Core.Incidents;
using Firebreak.Core.Persistence;
using Firebreak.Core.Response;
using Firebreak.Core.Scope;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Configuration;

namespace Firebreak.Core.Recovery;

/// <summary>
/// The recovery checklist of an incident: items added by hand or derived from what containment did, their
/// status with who, when and what proves it, and the check of a rebuild against the tenant's template baselines.
/// </summary>
public sealed class RecoveryService(IDbContextFactory<FirebreakDbContext> factory, TimeProvider time, IConfiguration configuration)
{
    /// <summary>The largest template file Firebreak hashes for a verification (it is hashed as it streams, never stored).</summary>
    public long MaxTemplateBytes => configuration.GetValue("Firebreak:Recovery:MaxTemplateBytes", 20L * 1024 * 1024 * 1024);

    public async Task<RecoveryChecklistView> ListAsync(string incidentKey, CancellationToken cancellationToken = default)
    {
        await using var db = await factory.CreateDbContextAsync(cancellationToken);
        var incident = await IncidentLookup.FindAsync(db, incidentKey, cancellationToken, track: false);
        var items = await db.RecoveryItems.AsNoTracking().Where(i => i.IncidentId == incident.Id)
            .OrderBy(i => i.Position).ToListAsync(cancellationToken);
        return Checklist(items);
    }

    public async Task<RecoveryItemView> GetAsync(string incidentKey, Guid id, CancellationToken cancellationToken = default)
    {
        await using var db = await factory.CreateDbContextAsync(cancellationToken);
        return ToView(await FindAsync(db, incidentKey, id, cancellationToken, track: false));
    }

    public async Task<RecoveryItemView> AddAsync(string incidentKey, AddRecoveryItem command, CancellationToken cancellationToken = default)
    {
        new Checks().That(command.Kind is not null, "kind", "kind is required: rebuild-from-template, rotate-credentials, confirm-health, deploy-preventive-control or custom.")
            .Defined("kind", command.Kind)
            .Required("description", command.Description, RecoveryLimits.DescriptionLength)
            .MaxLength("resource", command.Resource, RecoveryLimits.ResourceLength)
            .MaxLength("baselineName", command.BaselineName, RecoveryLimits.NameLength)
            .That(command.BaselineName is null || command.Kind == RecoveryItemKind.RebuildFromTemplate, "baselineName", "Only a rebuild-from-template item names a baseline.")
            .MaxLength("note", command.Note, RecoveryLimits.NoteLength)
            .ThrowIfAny();
        await using var db = await factory.CreateDbContextAsync(cancellationToken);
        IncidentLookup.Require(db.Actor, Role.Responder, "add recovery items");
        var incident = await OpenIncidentAsync(db, incidentKey, cancellationToken);
        var count = await db.RecoveryItems.CountAsync(i => i.IncidentId == incident.Id, cancellationToken);
        if (count >= RecoveryLimits.MaxItemsPerIncident)
            throw new ConflictException($"An incident's recovery checklist may hold at most {RecoveryLimits.MaxItemsPerIncident} items.");
        var baseline = command.BaselineName is { Length: > 0 } name ? name.Trim() : null;
        if (baseline is not null && !await db.TemplateBaselines.AnyAsync(b => b.Name == baseline, cancellationToken))
            throw new ValidationFailedException("baselineName", $"There is no template baseline named '{baseline}'.");
        var last = await db.RecoveryItems.Where(i => i.IncidentId == incident.Id).MaxAsync(i => (int?)i.Position, cancellationToken) ?? 0;
        var item = New(incident.Id, command.Kind!.Value, command.Description.Trim(), command.Resource?.Trim() ?? "", null, db.Actor.Name);
        item.Position = last + 1;
        item.BaselineName = baseline;
        item.Note = command.Note?.Trim() ?? "";
        db.RecoveryItems.Add(item);
        await SaveNewAsync(db, cancellationToken);
        return ToView(item);
    }

    /// <summary>
    /// Adds the items that follow from the incident: what each succeeded (or partly succeeded) response action
    /// leaves to be done, and a credential rotation for every access key or principal still marked as attacker-controlled.
    /// Items already on the checklist (same kind and resource) are not added twice, so it can run again as containment goes on.
    /// </summary>
    public async Task<RecoveryChecklistView> AddDefaultsAsync(string incidentKey, CancellationToken cancellationToken = default)
    {
        await using var db = await factory.CreateDbContextAsync(cancellationToken);
        IncidentLookup.Require(db.Actor, Role.Responder, "add recovery items");
        var incident = await OpenIncidentAsync(db, incidentKey, cancellationToken);
        var existing = await db.RecoveryItems.Where(i => i.IncidentId == incident.Id).OrderBy(i => i.Position).ToListAsync(cancellationToken);
        var position = existing.Count == 0 ? 0 : existing[^1].Position;
        var seen = existing.Select(i => (i.Kind, i.Resource)).ToHashSet();
        var actions = await db.ResponseActions.AsNoTracking()
            .Where(a => a.IncidentId == incident.Id && (a.Status == ActionStatus.Succeeded || a.Status == ActionStatus.PartiallyFailed || a.Status == ActionStatus.Interrupted))
            .OrderBy(a => a.RequestedAt).ThenBy(a => a.Id).ToListAsync(cancellationToken);
        var marks = await db.ScopeMarks.AsNoTracking().Where(m => m.IncidentId == incident.Id && m.UnmarkedAt == null)
            .OrderBy(m => m.MarkedAt).ThenBy(m => m.Id).ToListAsync(cancellationToken);

        var added = new List<RecoveryItem>();
        void Add(RecoveryItemKind kind, string resource, string description, Guid? action)
        {
            if (resource.Length > RecoveryLimits.ResourceLength || !seen.Add((kind, resource))) return;
            var item = New(incident.Id, kind, description, resource, action, db.Actor.Name);
            item.Position = ++position;
            added.Add(item);
        }
        foreach (var a in actions)
        {
            foreach (var (kind, description) in Follows(a)) Add(kind, a.Resource, description, a.Id);
        }
        foreach (var m in marks)
        {
            Add(RecoveryItemKind.RotateCredentials, m.Value, m.Kind == ScopeMarkKind.AccessKey
                ? $"Rotate access key {m.Value}, marked attacker-controlled: issue a new key, move its users to it, then delete the old one."
                : $"Rotate every credential of {m.Value}, marked attacker-controlled (keys, passwords, MFA devices, tokens), and review what it may assume.", null);
        }
        if (existing.Count + added.Count > RecoveryLimits.MaxItemsPerIncident)
            throw new ConflictException($"An incident's recovery checklist may hold at most {RecoveryLimits.MaxItemsPerIncident} items.");
        db.RecoveryItems.AddRange(added);
        await SaveNewAsync(db, cancellationToken);
        return Checklist(existing.Concat(added).ToList());
    }

    /// <summary>What recovery a containment action leaves behind, by action.</summary>
    internal static IEnumerable<(RecoveryItemKind Kind, string Description)> Follows(ResponseAction a)
    {
        switch (a.ActionName)
        {
            case "aws-deactivate-access-key":
                var user = a.Inputs.GetValueOrDefault("userName");
                yield return (RecoveryItemKind.RotateCredentials,
                    $"Rotate access key {a.Resource}{(user is { Length: > 0 } ? $" of {user}" : "")} (deactivated by containment): issue a new key, move its users to it, then delete the old one.");
                break;
            case "aws-delete-login-profile":
                yield return (RecoveryItemKind.RotateCredentials, $"Give {a.Resource} a new console password and re-register its MFA device (the login profile was deleted).");
                break;
            case "aws-revoke-role-sessions":
                yield return (RecoveryItemKind.RotateCredentials,
                    $"Review the trust and permission policies of {a.Resource} and rotate what it can reach; remove the revocation policy once no stolen session can remain.");
                break;
            case "aws-disassociate-instance-profile":
                yield return (RecoveryItemKind.RotateCredentials,
                    $"Revoke the sessions the instance profile's role handed to {a.Resource} and rotate what that role can reach before a rebuilt instance gets the profile back.");
                break;
            case "aws-attach-deny-all":
                yield return (RecoveryItemKind.RotateCredentials, $"Rotate every credential of {a.Resource}, then remove the FirebreakDenyAll policy.");
                break;
            case "azure-disable-user":
                yield return (RecoveryItemKind.RotateCredentials,
                    $"Reset the password of {a.Resource}, re-register its MFA methods and review its role assignments and app consents before enabling the account again.");
                break;
            case "azure-revoke-sessions":
                yield return (RecoveryItemKind.RotateCredentials,
                    $"Reset the password of {a.Resource} and re-register its MFA methods: revoked sessions do not stop a stolen password from signing in again.");
                break;
            case "azure-remove-app-credentials":
                yield return (RecoveryItemKind.RotateCredentials,
                    $"Give {a.Resource} new credentials for its legitimate users (a certificate or a federated credential rather than a secret) and review its API permissions.");
                break;
            case "gcp-disable-service-account":
                yield return (RecoveryItemKind.RotateCredentials,
                    $"Delete the user-managed keys of {a.Resource}, review its IAM bindings and who may impersonate it, then enable it again.");
                break;
            case "gcp-disable-service-account-key":
                yield return (RecoveryItemKind.RotateCredentials,
                    $"Delete key {a.Resource} once its legitimate users have moved to a new key or to workload identity.");
                break;
            case "aws-isolate-instance":
            case "aws-stop-instance":
            case "aws-deny-all-network-acl":
            case "azure-isolate-vm":
            case "gcp-deny-all-firewall":
            case "gcp-reset-external-ip":
                yield return (RecoveryItemKind.RebuildFromTemplate, $"Rebuild {a.Resource} from a known-good template rather than cleaning it; verify the template's digest against the baseline.");
                yield return (RecoveryItemKind.ConfirmHealth, $"Confirm the service {a.Resource} provided is healthy again (health checks, traffic, error rates) after the rebuild.");
                break;
            case "aws-block-s3-public-access":
                yield return (RecoveryItemKind.DeployPreventiveControl,
                    $"Keep {a.Resource} private for good: account-level S3 Block Public Access, or a guardrail that refuses public bucket policies.");
                break;
        }
    }

    public async Task<RecoveryItemView> SetStatusAsync(string incidentKey, Guid id, SetRecoveryStatus command, long? expectedVersion = null,
        CancellationToken cancellationToken = default)
    {
        new Checks().That(command.Status is not null, "status", "status is required: open, done, failed or not-applicable.")
            .Defined("status", command.Status)
            .MaxLength("reason", command.Reason, RecoveryLimits.ReasonLength)
            .That(command.Status is not (RecoveryItemStatus.Failed or RecoveryItemStatus.NotApplicable) || !string.IsNullOrWhiteSpace(command.Reason),
                "reason", "reason is required when an item failed or does not apply.")
            .MaxLength("note", command.Note, RecoveryLimits.NoteLength)
            .That(command.EvidenceIds is null || command.EvidenceIds.Count <= RecoveryLimits.MaxEvidencePerItem, "evidenceIds",
                $"evidenceIds may hold at most {RecoveryLimits.MaxEvidencePerItem} items.")
            .ThrowIfAny();
        await using var db = await factory.CreateDbContextAsync(cancellationToken);
        IncidentLookup.Require(db.Actor, Role.Responder, "update recovery items");
        var item = await FindAsync(db, incidentKey, id, cancellationToken);
        IncidentLookup.CheckVersion(item, expectedVersion);
        if (command.Status == RecoveryItemStatus.Done && item.Kind == RecoveryItemKind.RebuildFromTemplate && item.TemplateMatch != TemplateMatch.Match)
            throw new ConflictException(item.TemplateMatch == TemplateMatch.Mismatch
                ? $"The template used ({item.ActualDigest}) does not match baseline '{item.BaselineName}' ({item.ExpectedDigest}): a mismatched rebuild cannot be marked done."
                : "Verify the template used against its baseline before marking the rebuild done.");
        if (command.EvidenceIds is { } evidence)
        {
            var wanted = evidence.Distinct().ToList();
            var found = await db.EvidenceItems.AsNoTracking().Where(e => e.IncidentId == item.IncidentId && wanted.Contains(e.Id)).Select(e => e.Id).ToListAsync(cancellationToken);
            var missing = wanted.Except(found).ToList();
            if (missing.Count > 0)
                throw new ValidationFailedException("evidenceIds", $"Not evidence of this incident: {string.Join(", ", missing)}.");
            item.EvidenceIds = wanted;
        }
        if (command.Note is not null) item.Note = command.Note.Trim();
        item.Status = command.Status!.Value;
        item.StatusReason = string.IsNullOrWhiteSpace(command.Reason) ? null : command.Reason.Trim();
        item.StatusBy = db.Actor.Name;
        item.StatusAt = time.GetUtcNow();
        await db.SaveChangesAsync(cancellationToken);
        return ToView(item);
    }

    /// <summary>Compares the digest of the template actually used with the baseline's newest revision and records the result.</summary>
    public Task<RecoveryItemView> VerifyAsync(string incidentKey, Guid id, VerifyTemplate command, long? expectedVersion = null, CancellationToken cancellationToken = default)
    {
        new Checks().Required("digest", command.Digest, RecoveryLimits.DigestLength)
            .That(string.IsNullOrWhiteSpace(command.Digest) || Digests.IsValid(command.Digest), "digest", Digests.FormatMessage)
            .MaxLength("baseline", command.Baseline, RecoveryLimits.NameLength)
            .ThrowIfAny();
        return RecordVerificationAsync(incidentKey, id, command.Baseline, Digests.Normalise(command.Digest), "given", expectedVersion, cancellationToken);
    }

    /// <summary>
    /// Hashes the uploaded template as it streams (nothing is stored) and verifies the item with that digest.
    /// The incident and item are checked first, so a refused request does not read a large body.
    /// </summary>
    public async Task<RecoveryItemView> VerifyFileAsync(string incidentKey, Guid id, string? baseline, string? fileName, Stream content, long? expectedVersion = null,
        CancellationToken cancellationToken = default)
    {
        new Checks().MaxLength("baseline", baseline, RecoveryLimits.NameLength).MaxLength("fileName", fileName, RecoveryLimits.NameLength).ThrowIfAny();
        await using (var db = await factory.CreateDbContextAsync(cancellationToken))
        {
            IncidentLookup.Require(db.Actor, Role.Responder, "verify recovery items");
            await FindAsync(db, incidentKey, id, cancellationToken, track: false);
        }
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var buffer = new byte[81920];
        long size = 0;
        int read;
        while ((read = await content.ReadAsync(buffer, cancellationToken)) > 0)
        {
            size += read;
            if (size > MaxTemplateBytes) throw new ValidationFailedException("file", $"The template is larger than the {MaxTemplateBytes:N0}-byte limit for hashing.");
            hash.AppendData(buffer, 0, read);
        }
        if (size == 0) throw new ValidationFailedException("file", "The template file is empty.");
        var digest = "sha256:" + Convert.ToHexStringLower(hash.GetHashAndReset());
        var source = $"computed from {(string.IsNullOrWhiteSpace(fileName) ? "an uploaded file" : fileName.Trim())} ({size} bytes)";
        return await RecordVerificationAsync(incidentKey, id, baseline, digest, source, expectedVersion, cancellationToken);
    }

    private async Task<RecoveryItemView> RecordVerificationAsync(string incidentKey, Guid id, string? baselineName, string digest, string source, long? expectedVersion,
        CancellationToken cancellationToken)
    {
        await using var db = await factory.CreateDbContextAsync(cancellationToken);
        IncidentLookup.Require(db.Actor, Role.Responder, "verify recovery items");
        var item = await FindAsync(db, incidentKey, id, cancellationToken);
        IncidentLookup.CheckVersion(item, expectedVersion);
        if (item.Kind != RecoveryItemKind.RebuildFromTemplate)
            throw new ConflictException("Only a rebuild-from-template item is verified against a template baseline.");
        var name = string.IsNullOrWhiteSpace(baselineName) ? item.BaselineName : baselineName.Trim();
        if (name is null) throw new ValidationFailedException("baseline", "baseline is required: the item names none.");
        var baseline = await db.TemplateBaselines.AsNoTracking().Where(b => b.Name == name).OrderByDescending(b => b.Revision).FirstOrDefaultAsync(cancellationToken)
            ?? throw new ValidationFailedException("baseline", $"There is no template baseline named '{name}'.");
        item.BaselineName = baseline.Name;
        item.VerifiedBaselineId = baseline.Id;
        item.VerifiedBaselineRevision = baseline.Revision;
        item.ExpectedDigest = baseline.Digest;
        item.ActualDigest = digest;
        item.TemplateMatch = digest == baseline.Digest ? TemplateMatch.Match : TemplateMatch.Mismatch;
        item.VerificationSource = source;
        item.VerifiedBy = db.Actor.Name;
        item.VerifiedAt = time.GetUtcNow();
        // A done rebuild that now fails its check is no longer done.
        if (item.TemplateMatch == TemplateMatch.Mismatch && item.Status == RecoveryItemStatus.Done)
        {
            item.Status = RecoveryItemStatus.Open;
            item.StatusReason = "Reopened: the template used does not match the baseline.";
            item.StatusBy = db.Actor.Name;
            item.StatusAt = item.VerifiedAt;
        }
        await db.SaveChangesAsync(cancellationToken);
        return ToView(item);
    }

    /// <summary>New items take the next places; two additions at once collide on the unique (incident, position) index and one is told to retry.</summary>
    private static async Task SaveNewAsync(FirebreakDbContext db, CancellationToken cancellationToken)
    {
        try
        {
            await db.SaveChangesAsync(cancellationToken);
        }
        catch (DbUpdateException)
        {
            throw new ConcurrencyConflictException("Someone added to the checklist at the same time. Reload it and try again.");
        }
    }

    private RecoveryItem New(Guid incidentId, RecoveryItemKind kind, string description, string resource, Guid? action, string actor) => new()
    {
        IncidentId = incidentId,
        Kind = kind,
        Description = description,
        Resource = resource,
        SourceActionId = action,
        Status = RecoveryItemStatus.Open,
        CreatedBy = actor,
        CreatedAt = time.GetUtcNow(),
    };

    private static async Task<Incidents.Incident> OpenIncidentAsync(FirebreakDbContext db, string incidentKey, CancellationToken cancellationToken)
    {
        var incident = await IncidentLookup.FindAsync(db, incidentKey, cancellationToken, track: false);
        if (incident.Phase == Phase.Closed) throw new ConflictException("The incident is closed; reopen it to change its recovery checklist.");
        return incident;
    }

    private static async Task<RecoveryItem> FindAsync(FirebreakDbContext db, string incidentKey, Guid id, CancellationToken cancellationToken, bool track = true)
    {
        var incident = await IncidentLookup.FindAsync(db, incidentKey, cancellationToken, track: false);
        return await (track ? db.RecoveryItems : db.RecoveryItems.AsNoTracking()).SingleOrDefaultAsync(i => i.Id == id && i.IncidentId == incident.Id, cancellationToken)
            ?? throw new NotFoundException("Recovery item", id.ToString());
    }

    private static RecoveryChecklistView Checklist(IReadOnlyList<RecoveryItem> items) => new(items.Count,
        items.Count(i => i.Status == RecoveryItemStatus.Open), items.Count(i => i.Status == RecoveryItemStatus.Done),
        items.Count(i => i.Status == RecoveryItemStatus.Failed), items.Count(i => i.Status == RecoveryItemStatus.NotApplicable),
        items.Select(ToView).ToList());

    internal static RecoveryItemView ToView(RecoveryItem i) => new(i.Id, i.IncidentId, i.Kind, i.Description, i.Resource, i.SourceActionId, i.Status, i.StatusReason,
        i.StatusBy, i.StatusAt, i.EvidenceIds, i.Note, i.BaselineName,
        i.TemplateMatch is { } match
            ? new TemplateVerificationView(i.VerifiedBaselineId!.Value, i.VerifiedBaselineRevision!.Value, i.ExpectedDigest!, i.ActualDigest!, match,
                i.VerificationSource!, i.VerifiedBy!, i.VerifiedAt!.Value)
            : null,
        i.CreatedBy, i.CreatedAt, i.Version);
}

/// <summary>Template digests: sha256 followed by 64 hex digits, kept in lower case.</summary>
public static class Digests
{
    public const string FormatMessage = "digest must be sha256: followed by 64 hexadecimal digits.";

    public static bool IsValid(string? digest)
    {
        if (digest is null) return false;
        var d = digest.Trim();
        return d.Length == 71 && d.StartsWith("sha256:", StringComparison.OrdinalIgnoreCase) && d[7..].All(char.IsAsciiHexDigit);
    }

    public static string Normalise(string digest) => digest.Trim().ToLowerInvariant();
}
