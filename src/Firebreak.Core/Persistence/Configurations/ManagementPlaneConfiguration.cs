using Firebreak.Core.Incidents;
using Firebreak.Core.ManagementPlane;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Firebreak.Core.Persistence.Configurations;

internal sealed class ManagementPlaneCheckRunConfiguration : IEntityTypeConfiguration<ManagementPlaneCheckRun>
{
    public void Configure(EntityTypeBuilder<ManagementPlaneCheckRun> builder)
    {
        // History newest first, and the newest run for the containment warning.
        builder.HasIndex(r => new { r.IncidentId, r.RanAt });
        builder.Property(r => r.RunBy).HasMaxLength(200);
        builder.Property(r => r.ReviewedBy).HasMaxLength(200);
        builder.Property(r => r.ReviewNote).HasMaxLength(ManagementPlaneLimits.NoteLength);
        builder.Property(r => r.Version).IsConcurrencyToken();
        builder.HasOne<Incident>().WithMany().HasForeignKey(r => r.IncidentId).OnDelete(DeleteBehavior.Restrict);
    }
}
