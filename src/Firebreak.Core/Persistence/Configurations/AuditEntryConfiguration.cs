using Firebreak.Core.Auditing;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Firebreak.Core.Persistence.Configurations;

internal sealed class AuditEntryConfiguration : IEntityTypeConfiguration<AuditEntry>
{
    public void Configure(EntityTypeBuilder<AuditEntry> builder)
    {
        builder.Property(a => a.EntityType).HasMaxLength(100);
        builder.Property(a => a.EntityId).HasMaxLength(100);
        builder.Property(a => a.Action).HasMaxLength(16);
        builder.Property(a => a.ActorName).HasMaxLength(200);
        builder.HasIndex(a => new { a.TenantId, a.IncidentId, a.Id });
        builder.HasIndex(a => new { a.TenantId, a.EntityType, a.EntityId });
    }
}
