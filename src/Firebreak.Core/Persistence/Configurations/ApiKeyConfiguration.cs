using Firebreak.Core.Identity;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Firebreak.Core.Persistence.Configurations;

internal sealed class ApiKeyConfiguration : IEntityTypeConfiguration<ApiKey>
{
    public void Configure(EntityTypeBuilder<ApiKey> builder)
    {
        builder.Property(k => k.Name).HasMaxLength(200);
        builder.Property(k => k.Prefix).HasMaxLength(32);
        builder.HasIndex(k => k.Prefix).IsUnique();
        builder.Property(k => k.SecretHash).HasMaxLength(128);
        builder.Property(k => k.Version).IsConcurrencyToken();
        builder.HasOne<Tenant>().WithMany().HasForeignKey(k => k.TenantId).OnDelete(DeleteBehavior.Restrict);
    }
}
