using System.Text.Json;
using Firebreak.Core.Incidents;
using Firebreak.Core.ManagementPlane;
using Firebreak.Core.Recovery;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.ChangeTracking;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using Microsoft.EntityFrameworkCore.Storage.ValueConversion;

namespace Firebreak.Core.Persistence.Configurations;

internal sealed class RecoveryItemConfiguration : IEntityTypeConfiguration<RecoveryItem>
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    public void Configure(EntityTypeBuilder<RecoveryItem> builder)
    {
        // Two items added at once cannot take the same place.
        builder.HasIndex(i => new { i.IncidentId, i.Position }).IsUnique();
        builder.Property(i => i.Description).HasMaxLength(RecoveryLimits.DescriptionLength);
        builder.Property(i => i.Resource).HasMaxLength(RecoveryLimits.ResourceLength);
        builder.Property(i => i.StatusReason).HasMaxLength(RecoveryLimits.ReasonLength);
        builder.Property(i => i.StatusBy).HasMaxLength(200);
        builder.Property(i => i.Note).HasMaxLength(RecoveryLimits.NoteLength);
        builder.Property(i => i.BaselineName).HasMaxLength(RecoveryLimits.NameLength);
        builder.Property(i => i.ExpectedDigest).HasMaxLength(RecoveryLimits.DigestLength);
        builder.Property(i => i.ActualDigest).HasMaxLength(RecoveryLimits.DigestLength);
        builder.Property(i => i.VerificationSource).HasMaxLength(500);
        builder.Property(i => i.VerifiedBy).HasMaxLength(200);
        builder.Property(i => i.CreatedBy).HasMaxLength(200);
        builder.Property(i => i.EvidenceIds).HasConversion(
            new ValueConverter<List<Guid>, string>(v => JsonSerializer.Serialize(v, Json), s => JsonSerializer.Deserialize<List<Guid>>(s, Json) ?? new List<Guid>()),
            new ValueComparer<List<Guid>>((a, b) => a!.SequenceEqual(b!), v => v.Aggregate(0, (h, g) => HashCode.Combine(h, g.GetHashCode())), v => v.ToList()));
        builder.Property(i => i.Version).IsConcurrencyToken();
        builder.HasOne<Incident>().WithMany().HasForeignKey(i => i.IncidentId).OnDelete(DeleteBehavior.Restrict);
    }
}

internal sealed class TemplateBaselineConfiguration : IEntityTypeConfiguration<TemplateBaseline>
{
    public void Configure(EntityTypeBuilder<TemplateBaseline> builder)
    {
        // One row per revision: two people recording the next revision at once cannot both win.
        builder.HasIndex(b => new { b.TenantId, b.Name, b.Revision }).IsUnique();
        builder.Property(b => b.Name).HasMaxLength(RecoveryLimits.NameLength);
        builder.Property(b => b.Location).HasMaxLength(RecoveryLimits.LocationLength);
        builder.Property(b => b.Digest).HasMaxLength(RecoveryLimits.DigestLength);
        builder.Property(b => b.RecordedBy).HasMaxLength(200);
        builder.Property(b => b.Reason).HasMaxLength(RecoveryLimits.ReasonLength);
    }
}

internal sealed class BreakGlassRecordConfiguration : IEntityTypeConfiguration<BreakGlassRecord>
{
    public void Configure(EntityTypeBuilder<BreakGlassRecord> builder)
    {
        builder.HasIndex(b => new { b.IncidentId, b.InvokedAt });
        builder.Property(b => b.InvokedBy).HasMaxLength(BreakGlassLimits.NameLength);
        builder.Property(b => b.Account).HasMaxLength(BreakGlassLimits.AccountLength);
        builder.Property(b => b.Credential).HasMaxLength(BreakGlassLimits.CredentialLength);
        builder.Property(b => b.Reason).HasMaxLength(BreakGlassLimits.TextLength);
        builder.Property(b => b.RecordedBy).HasMaxLength(200);
        builder.Property(b => b.RecordedByPrincipal).HasMaxLength(100);
        builder.Property(b => b.RotationNote).HasMaxLength(BreakGlassLimits.TextLength);
        builder.Property(b => b.ReviewedBy).HasMaxLength(200);
        builder.Property(b => b.ReviewNote).HasMaxLength(BreakGlassLimits.TextLength);
        builder.Property(b => b.Version).IsConcurrencyToken();
        builder.HasOne<Incident>().WithMany().HasForeignKey(b => b.IncidentId).OnDelete(DeleteBehavior.Restrict);
    }
}
