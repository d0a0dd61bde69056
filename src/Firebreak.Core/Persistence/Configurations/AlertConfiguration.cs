using System.Text.Json;
using Firebreak.Core.Alerts;
using Firebreak.Core.Identity;
using Firebreak.Core.Incidents;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.ChangeTracking;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Firebreak.Core.Persistence.Configurations;

internal sealed class AlertConfiguration : IEntityTypeConfiguration<Alert>
{
    public void Configure(EntityTypeBuilder<Alert> builder)
    {
        builder.HasIndex(a => new { a.TenantId, a.DedupKey }).IsUnique();
        builder.HasIndex(a => new { a.TenantId, a.LastReceivedAt });
        // The queue: equality on tenant, state and suppression, then newest activity first (Id breaks the ties of
        // one group commit), with severity in the index so a minimum is checked without reading the row.
        builder.HasIndex(a => new { a.TenantId, a.TriageState, a.SuppressedByRuleId, a.LastReceivedAt, a.Id, a.Severity })
            .HasDatabaseName("IX_Alerts_Queue");
        builder.HasIndex(a => new { a.TenantId, a.Source });
        // Partial: most alerts are never escalated or suppressed, and are checked against escalation rules on the way
        // in, so a new alert usually adds no entry to these three. "x = value" and "x IS NULL" lookups (foreign-key
        // checks, an incident's alerts, a rule's count, the escalation worker's queue) still use them on both databases.
        builder.HasIndex(a => a.IncidentId).HasFilter("\"IncidentId\" IS NOT NULL");
        builder.HasIndex(a => a.SuppressedByRuleId).HasFilter("\"SuppressedByRuleId\" IS NOT NULL");
        builder.HasIndex(a => a.RulesCheckedAt).HasFilter("\"RulesCheckedAt\" IS NULL");
        builder.Property(a => a.DedupKey).HasMaxLength(64);
        builder.Property(a => a.Source).HasMaxLength(AlertLimits.SourceLength);
        builder.Property(a => a.SourceReference).HasMaxLength(AlertLimits.ReferenceLength);
        builder.Property(a => a.Format).HasMaxLength(32);
        builder.Property(a => a.Title).HasMaxLength(AlertLimits.TitleLength);
        builder.Property(a => a.Description).HasMaxLength(AlertLimits.DescriptionLength);
        builder.Property(a => a.OriginalSeverity).HasMaxLength(AlertLimits.ShortText);
        builder.Property(a => a.Category).HasMaxLength(AlertLimits.ShortText);
        builder.Property(a => a.Provider).HasMaxLength(16);
        builder.Property(a => a.Account).HasMaxLength(AlertLimits.ShortText);
        builder.Property(a => a.Region).HasMaxLength(AlertLimits.ShortText);
        builder.Property(a => a.TriagedBy).HasMaxLength(200);
        builder.Property(a => a.TriageReason).HasMaxLength(IncidentLimits.ReasonLength);
        builder.Property(a => a.Version).IsConcurrencyToken();
        builder.Property(a => a.Principals).HasConversion(EntityListJson.Converter, EntityListJson.Comparer);
        builder.Property(a => a.Observables).HasConversion(EntityListJson.Converter, EntityListJson.Comparer);
        builder.HasOne<Tenant>().WithMany().HasForeignKey(a => a.TenantId).OnDelete(DeleteBehavior.Restrict);
        builder.HasOne<Incident>().WithMany().HasForeignKey(a => a.IncidentId).OnDelete(DeleteBehavior.Restrict);
        builder.HasOne<SuppressionRule>().WithMany().HasForeignKey(a => a.SuppressedByRuleId).OnDelete(DeleteBehavior.Restrict);
    }
}

internal sealed class IntakeReceiptConfiguration : IEntityTypeConfiguration<IntakeReceipt>
{
    public void Configure(EntityTypeBuilder<IntakeReceipt> builder)
    {
        builder.HasKey(r => new { r.TenantId, r.Key });
        builder.Property(r => r.Key).HasMaxLength(AlertLimits.IdempotencyKeyLength);
    }
}

internal sealed class SuppressionRuleConfiguration : IEntityTypeConfiguration<SuppressionRule>
{
    public void Configure(EntityTypeBuilder<SuppressionRule> builder)
    {
        builder.Property(r => r.Name).HasMaxLength(200);
        builder.Property(r => r.Value).HasMaxLength(AlertLimits.ValueLength);
        builder.Property(r => r.Reason).HasMaxLength(IncidentLimits.ReasonLength);
        builder.Property(r => r.CreatedBy).HasMaxLength(200);
        builder.Property(r => r.Version).IsConcurrencyToken();
        builder.HasIndex(r => new { r.TenantId, r.Enabled });
        builder.HasOne<Tenant>().WithMany().HasForeignKey(r => r.TenantId).OnDelete(DeleteBehavior.Restrict);
    }
}

/// <summary>Typed (type, value) lists stored as one JSON text column: read whole, never queried inside.</summary>
internal static class EntityListJson
{
    private static readonly JsonSerializerOptions Options = new(JsonSerializerDefaults.Web);

    public static readonly Microsoft.EntityFrameworkCore.Storage.ValueConversion.ValueConverter<List<AlertEntity>, string> Converter = new(
        v => JsonSerializer.Serialize(v, Options),
        s => JsonSerializer.Deserialize<List<AlertEntity>>(s, Options) ?? new List<AlertEntity>());

    public static readonly ValueComparer<List<AlertEntity>> Comparer = new(
        (a, b) => a!.SequenceEqual(b!),
        v => v.Aggregate(0, (h, e) => HashCode.Combine(h, e.GetHashCode())),
        v => v.ToList());
}

internal sealed class EscalationRuleConfiguration : IEntityTypeConfiguration<EscalationRule>
{
    public void Configure(EntityTypeBuilder<EscalationRule> builder)
    {
        builder.Property(r => r.Name).HasMaxLength(200);
        builder.Property(r => r.CreatedBy).HasMaxLength(200);
        builder.Property(r => r.Version).IsConcurrencyToken();
        builder.HasIndex(r => new { r.TenantId, r.Enabled });
        builder.HasOne<Tenant>().WithMany().HasForeignKey(r => r.TenantId).OnDelete(DeleteBehavior.Restrict);
    }
}
