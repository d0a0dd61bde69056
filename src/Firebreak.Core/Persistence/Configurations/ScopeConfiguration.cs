using Firebreak.Core.Incidents;
using Firebreak.Core.Scope;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Firebreak.Core.Persistence.Configurations;

internal sealed class ScopeMarkConfiguration : IEntityTypeConfiguration<ScopeMark>
{
    public void Configure(EntityTypeBuilder<ScopeMark> builder)
    {
        builder.HasIndex(m => new { m.IncidentId, m.Kind, m.Value });
        builder.Property(m => m.Value).HasMaxLength(ScopeLimits.ValueLength);
        builder.Property(m => m.Reason).HasMaxLength(ScopeLimits.ReasonLength);
        builder.Property(m => m.UnmarkReason).HasMaxLength(ScopeLimits.ReasonLength);
        builder.Property(m => m.MarkedBy).HasMaxLength(200);
        builder.Property(m => m.UnmarkedBy).HasMaxLength(200);
        builder.Property(m => m.Version).IsConcurrencyToken();
        builder.HasOne<Incident>().WithMany().HasForeignKey(m => m.IncidentId).OnDelete(DeleteBehavior.Restrict);
    }
}
