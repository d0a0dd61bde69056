using System.Reflection;
using System.Text.Json;
using Firebreak.Core.Alerts;
using Firebreak.Core.Auditing;
using Firebreak.Core.Common;
using Firebreak.Core.Evidence;
using Firebreak.Core.Identity;
using Firebreak.Core.Incidents;
using Firebreak.Core.Indicators;
using Firebreak.Core.Investigation;
using Firebreak.Core.PostMortem;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.ChangeTracking;
using Microsoft.EntityFrameworkCore.Storage.ValueConversion;

namespace Firebreak.Core.Persistence;

/// <summary>
/// The one DbContext. Three rules live here so no use case can forget them: every tenant-owned query
/// is filtered to the actor's tenant; every new record is stamped with that tenant; every change is
/// written to the audit trail in the same transaction.
/// </summary>
public sealed class FirebreakDbContext(DbContextOptions<FirebreakDbContext> options, ICurrentActor actor, TimeProvider time)
    : DbContext(options)
{
    public DbSet<Tenant> Tenants => Set<Tenant>();
    public DbSet<User> Users => Set<User>();
    public DbSet<ApiKey> ApiKeys => Set<ApiKey>();
    public DbSet<Incident> Incidents => Set<Incident>();
    public DbSet<IncidentCounter> IncidentCounters => Set<IncidentCounter>();
    public DbSet<PhaseTransition> PhaseTransitions => Set<PhaseTransition>();
    public DbSet<IncidentTask> IncidentTasks => Set<IncidentTask>();
    public DbSet<JournalEntry> JournalEntries => Set<JournalEntry>();
    public DbSet<JournalRevision> JournalRevisions => Set<JournalRevision>();
    public DbSet<PostIncidentReview> PostIncidentReviews => Set<PostIncidentReview>();
    public DbSet<AuditEntry> AuditEntries => Set<AuditEntry>();
    public DbSet<FollowUpAction> FollowUpActions => Set<FollowUpAction>();
    public DbSet<DataGap> DataGaps => Set<DataGap>();
    public DbSet<ProviderEscalation> ProviderEscalations => Set<ProviderEscalation>();
    public DbSet<Alert> Alerts => Set<Alert>();
    public DbSet<IntakeReceipt> IntakeReceipts => Set<IntakeReceipt>();
    public DbSet<SuppressionRule> SuppressionRules => Set<SuppressionRule>();
    public DbSet<AlertEscalation> AlertEscalations => Set<AlertEscalation>();
    public DbSet<EscalationRule> EscalationRules => Set<EscalationRule>();
    public DbSet<EvidenceItem> EvidenceItems => Set<EvidenceItem>();
    public DbSet<CustodyEntry> CustodyEntries => Set<CustodyEntry>();
    public DbSet<TimelineEntry> TimelineEntries => Set<TimelineEntry>();
    public DbSet<IncidentArtifact> IncidentArtifacts => Set<IncidentArtifact>();
    public DbSet<Response.ResponseAction> ResponseActions => Set<Response.ResponseAction>();
    public DbSet<IncidentEvent> IncidentEvents => Set<IncidentEvent>();
    public DbSet<EventImport> EventImports => Set<EventImport>();
    public DbSet<ThreatIntel.ThreatFeed> ThreatFeeds => Set<ThreatIntel.ThreatFeed>();
    public DbSet<ThreatIntel.FeedIndicator> FeedIndicators => Set<ThreatIntel.FeedIndicator>();
    public DbSet<ThreatIntel.ThreatIntelMatch> ThreatIntelMatches => Set<ThreatIntel.ThreatIntelMatch>();
    public DbSet<Assets.Asset> Assets => Set<Assets.Asset>();
    public DbSet<DataLoss.DataLossExtent> DataLossExtents => Set<DataLoss.DataLossExtent>();
    public DbSet<Indicator> Indicators => Set<Indicator>();
    public DbSet<IndicatorEnrichment> IndicatorEnrichments => Set<IndicatorEnrichment>();
    public DbSet<ManagementPlane.ManagementPlaneCheckRun> ManagementPlaneCheckRuns => Set<ManagementPlane.ManagementPlaneCheckRun>();
    public DbSet<Scope.ScopeMark> ScopeMarks => Set<Scope.ScopeMark>();
    public DbSet<Recovery.RecoveryItem> RecoveryItems => Set<Recovery.RecoveryItem>();
    public DbSet<Recovery.TemplateBaseline> TemplateBaselines => Set<Recovery.TemplateBaseline>();
    public DbSet<ManagementPlane.BreakGlassRecord> BreakGlassRecords => Set<ManagementPlane.BreakGlassRecord>();
    public DbSet<ProviderEscalationResponse> ProviderEscalationResponses => Set<ProviderEscalationResponse>();
    public DbSet<Playbooks.Playbook> Playbooks => Set<Playbooks.Playbook>();
    public DbSet<Playbooks.PlaybookRun> PlaybookRuns => Set<Playbooks.PlaybookRun>();
    public DbSet<Playbooks.PlaybookRunStep> PlaybookRunSteps => Set<Playbooks.PlaybookRunStep>();

    /// <summary>Off only for bulk intake, which records itself on the stored rows.</summary>
    public bool RecordAudit { get; set; } = true;

    private ICurrentActor _actor = actor;

    // Read by the query filters; EF re-evaluates these per query, so one model serves every tenant.
    internal Guid CurrentTenantId => _actor.TenantId;
    internal bool SeesAllTenants => _actor.IsSystem;

    public ICurrentActor Actor => _actor;
    public TimeProvider Time => time;

    /// <summary>
    /// Acts for someone other than the ambient actor: the user signing in, or the system during
    /// maintenance. Only for this context instance.
    /// </summary>
    public void ActAs(ICurrentActor other) => _actor = other;

    protected override void ConfigureConventions(ModelConfigurationBuilder configurationBuilder)
    {
        if (Database.IsSqlite())
        {
            // SQLite cannot order or compare DateTimeOffset text; a sortable integer keeps ORDER BY and range filters in SQL.
            configurationBuilder.Properties<DateTimeOffset>().HaveConversion<DateTimeOffsetToBinaryConverter>();
        }
    }

    protected override void OnModelCreating(ModelBuilder modelBuilder)
    {
        modelBuilder.ApplyConfigurationsFromAssembly(typeof(FirebreakDbContext).Assembly);

        var apply = typeof(FirebreakDbContext).GetMethod(nameof(ApplyTenantFilter), BindingFlags.NonPublic | BindingFlags.Instance)!;
        foreach (var type in modelBuilder.Model.GetEntityTypes().Where(t => typeof(ITenantOwned).IsAssignableFrom(t.ClrType)))
        {
            apply.MakeGenericMethod(type.ClrType).Invoke(this, [modelBuilder]);
        }
    }

    private void ApplyTenantFilter<T>(ModelBuilder modelBuilder) where T : class, ITenantOwned =>
        modelBuilder.Entity<T>().HasQueryFilter(e => SeesAllTenants || e.TenantId == CurrentTenantId);

    public override int SaveChanges(bool acceptAllChangesOnSuccess) =>
        throw new NotSupportedException("Use SaveChangesAsync.");

    public override async Task<int> SaveChangesAsync(bool acceptAllChangesOnSuccess, CancellationToken cancellationToken = default)
    {
        var now = time.GetUtcNow();
        var audits = new List<AuditEntry>();
        var entries = ChangeTracker.Entries().ToList();
        RefuseUnstorableText(entries);
        foreach (var entry in entries)
        {
            if (entry.State is EntityState.Unchanged or EntityState.Detached || entry.Entity is AuditEntry) continue;
            StampTenant(entry);
            if (entry.State == EntityState.Modified && entry.Entity is IVersioned versioned)
            {
                versioned.Version = (long)entry.Property(nameof(IVersioned.Version)).OriginalValue! + 1;
            }
            if (RecordAudit && entry.Metadata.ClrType.GetCustomAttribute<NotAuditedAttribute>() is null)
            {
                audits.Add(ToAudit(entry, now));
            }
        }
        AuditEntries.AddRange(audits);
        try
        {
            return await base.SaveChangesAsync(acceptAllChangesOnSuccess, cancellationToken);
        }
        catch (DbUpdateConcurrencyException)
        {
            throw new ConcurrencyConflictException("The record was changed by someone else. Reload it and try again.");
        }
    }

    /// <summary>
    /// Text the database cannot store is refused before anything is written, as a field error naming the field:
    /// the NUL character (U+0000), which PostgreSQL cannot hold in a text column, and text longer than its
    /// column, which PostgreSQL refuses and SQLite would keep. Without this the save would fail with a database
    /// error on one and succeed on the other. The use cases check their fields first, with better messages; this
    /// covers every other way in (forms, the CLI, imports). Only values being written are checked, so a record
    /// stored before a limit was lowered can still be edited.
    /// </summary>
    private static void RefuseUnstorableText(List<EntityEntry> entries)
    {
        Dictionary<string, string[]>? errors = null;
        foreach (var entry in entries)
        {
            if (entry.State is not (EntityState.Added or EntityState.Modified)) continue;
            foreach (var property in entry.Properties)
            {
                if (property.CurrentValue is not string text || (entry.State == EntityState.Modified && !property.IsModified)) continue;
                var name = Camel(property.Metadata.Name);
                if (StorableText.HoldsNul(text))
                {
                    (errors ??= [])[name] = [$"{name}: {StorableText.NulMessage}."];
                }
                else if (property.Metadata.GetMaxLength() is { } max && text.Length > max)
                {
                    (errors ??= [])[name] = [$"{name}: at most {max} characters, not {text.Length}."];
                }
            }
        }
        if (errors is not null) throw new ValidationFailedException(errors);
    }

    private void StampTenant(EntityEntry entry)
    {
        if (entry.Entity is not ITenantOwned owned) return;
        if (entry.State == EntityState.Added && owned.TenantId == Guid.Empty)
        {
            owned.TenantId = _actor.TenantId;
        }
        if (!_actor.IsSystem && owned.TenantId != _actor.TenantId)
        {
            // A use case tried to write into another tenant: a bug, never a user error.
            throw new InvalidOperationException("Cross-tenant write refused.");
        }
    }

    private static string Camel(string name) => System.Text.Json.JsonNamingPolicy.CamelCase.ConvertName(name);

    private AuditEntry ToAudit(EntityEntry entry, DateTimeOffset now)
    {
        var before = new Dictionary<string, object?>();
        var after = new Dictionary<string, object?>();
        foreach (var property in entry.Properties)
        {
            var name = property.Metadata.Name;
            var secret = property.Metadata.PropertyInfo?.GetCustomAttribute<SecretAttribute>() is not null;
            switch (entry.State)
            {
                case EntityState.Added:
                    after[Camel(name)] = secret ? "[secret]" : property.CurrentValue;
                    break;
                case EntityState.Deleted:
                    before[Camel(name)] = secret ? "[secret]" : property.OriginalValue;
                    break;
                case EntityState.Modified when property.IsModified && !Equals(property.OriginalValue, property.CurrentValue):
                    before[Camel(name)] = secret ? "[secret]" : property.OriginalValue;
                    after[Camel(name)] = secret ? "[secret changed]" : property.CurrentValue;
                    break;
            }
        }
        var key = string.Join(",", entry.Metadata.FindPrimaryKey()!.Properties.Select(p => entry.Property(p.Name).CurrentValue));
        return new AuditEntry
        {
            TenantId = entry.Entity is ITenantOwned o ? o.TenantId : (entry.Entity as Tenant)?.Id ?? _actor.TenantId,
            IncidentId = (entry.Entity as IIncidentOwned)?.IncidentId,
            EntityType = entry.Metadata.ClrType.Name,
            EntityId = key,
            Action = entry.State switch
            {
                EntityState.Added => "created",
                EntityState.Deleted => "deleted",
                _ => "updated",
            },
            ActorName = _actor.Name,
            ActorUserId = _actor.UserId,
            ActorApiKeyId = _actor.ApiKeyId,
            At = now,
            Before = before.Count == 0 ? null : JsonSerializer.Serialize(before, AuditJson.Options),
            After = after.Count == 0 ? null : JsonSerializer.Serialize(after, AuditJson.Options),
        };
    }
}

internal static class AuditJson
{
    public static readonly JsonSerializerOptions Options = new(JsonSerializerDefaults.Web);
}
