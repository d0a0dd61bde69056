using Firebreak.Core.Evidence;
using Firebreak.Core.Incidents;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Firebreak.Core.Persistence.Configurations;

internal sealed class EvidenceItemConfiguration : IEntityTypeConfiguration<EvidenceItem>
{
    public void Configure(EntityTypeBuilder<EvidenceItem> builder)
    {
        builder.HasIndex(i => new { i.IncidentId, i.StoredAt });
        builder.HasIndex(i => i.Sha256);
        builder.Property(i => i.Name).HasMaxLength(500);
        builder.Property(i => i.Description).HasMaxLength(5_000);
        builder.Property(i => i.Source).HasMaxLength(500);
        builder.Property(i => i.CollectedBy).HasMaxLength(200);
        builder.Property(i => i.Sha256).HasMaxLength(64);
        builder.Property(i => i.Sha1).HasMaxLength(40);
        builder.Property(i => i.Md5).HasMaxLength(32);
        builder.Property(i => i.MediaType).HasMaxLength(200);
        builder.Property(i => i.SnapshotId).HasMaxLength(200);
        builder.Property(i => i.SnapshotRegion).HasMaxLength(64);
        builder.Property(i => i.SnapshotAccount).HasMaxLength(200);
        builder.Property(i => i.SourceVolume).HasMaxLength(200);
        builder.Property(i => i.CreatedByAction).HasMaxLength(200);
        builder.HasOne<Incident>().WithMany().HasForeignKey(i => i.IncidentId).OnDelete(DeleteBehavior.Restrict);
    }
}

internal sealed class CustodyEntryConfiguration : IEntityTypeConfiguration<CustodyEntry>
{
    public void Configure(EntityTypeBuilder<CustodyEntry> builder)
    {
        // One place per position in an incident's chain: concurrent appends cannot fork it.
        builder.HasIndex(e => new { e.IncidentId, e.Sequence }).IsUnique();
        builder.HasIndex(e => e.EvidenceItemId);
        builder.Property(e => e.Actor).HasMaxLength(200);
        builder.Property(e => e.Location).HasMaxLength(500);
        builder.Property(e => e.Reason).HasMaxLength(2_000);
        builder.Property(e => e.Recipient).HasMaxLength(200);
        builder.Property(e => e.PreviousHash).HasMaxLength(64);
        builder.Property(e => e.Hash).HasMaxLength(64);
        builder.HasOne<EvidenceItem>().WithMany().HasForeignKey(e => e.EvidenceItemId).OnDelete(DeleteBehavior.Restrict);
        builder.HasOne<Incident>().WithMany().HasForeignKey(e => e.IncidentId).OnDelete(DeleteBehavior.Restrict);
    }
}
