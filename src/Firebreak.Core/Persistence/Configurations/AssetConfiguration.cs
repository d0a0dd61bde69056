using Firebreak.Core.Assets;
using Firebreak.Core.DataLoss;
using Firebreak.Core.Incidents;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Firebreak.Core.Persistence.Configurations;

internal sealed class AssetConfiguration : IEntityTypeConfiguration<Asset>
{
    public void Configure(EntityTypeBuilder<Asset> builder)
    {
        builder.HasIndex(a => new { a.TenantId, a.Pattern }).IsUnique();
        builder.Property(a => a.Pattern).HasMaxLength(AssetLimits.PatternLength);
        builder.Property(a => a.Name).HasMaxLength(AssetLimits.NameLength);
        builder.Property(a => a.Owner).HasMaxLength(AssetLimits.OwnerLength);
        builder.Property(a => a.Regulations).HasConversion(StringListJson.Converter, StringListJson.Comparer);
        builder.Property(a => a.Version).IsConcurrencyToken();
    }
}

internal sealed class DataLossExtentConfiguration : IEntityTypeConfiguration<DataLossExtent>
{
    public void Configure(EntityTypeBuilder<DataLossExtent> builder)
    {
        builder.HasIndex(e => new { e.IncidentId, e.AssessedAt });
        builder.Property(e => e.AssessedBy).HasMaxLength(200);
        builder.Property(e => e.Statement).HasMaxLength(2000);
        builder.HasOne<Incident>().WithMany().HasForeignKey(e => e.IncidentId).OnDelete(DeleteBehavior.Restrict);
    }
}
