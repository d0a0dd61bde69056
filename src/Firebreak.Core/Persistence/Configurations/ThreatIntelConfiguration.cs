using Firebreak.Core.ThreatIntel;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Firebreak.Core.Persistence.Configurations;

internal sealed class ThreatFeedConfiguration : IEntityTypeConfiguration<ThreatFeed>
{
    public void Configure(EntityTypeBuilder<ThreatFeed> builder)
    {
        builder.HasIndex(f => new { f.TenantId, f.Name }).IsUnique();
        builder.Property(f => f.Name).HasMaxLength(ThreatIntelLimits.NameLength);
        builder.Property(f => f.Url).HasMaxLength(ThreatIntelLimits.UrlLength);
        builder.Property(f => f.CollectionId).HasMaxLength(200);
        builder.Property(f => f.Username).HasMaxLength(200);
        builder.Property(f => f.ApiKeyHeader).HasMaxLength(100);
        builder.Property(f => f.ProtectedSecret).HasMaxLength(16_000);
        builder.Property(f => f.Cursor).HasMaxLength(100);
        builder.Property(f => f.LastError).HasMaxLength(2_000);
        builder.Property(f => f.LastSummary).HasMaxLength(2_000);
        builder.Property(f => f.CreatedBy).HasMaxLength(200);
        builder.Property(f => f.Version).IsConcurrencyToken();
    }
}

internal sealed class FeedIndicatorConfiguration : IEntityTypeConfiguration<FeedIndicator>
{
    public void Configure(EntityTypeBuilder<FeedIndicator> builder)
    {
        // A value is one row per feed: a re-import updates it.
        builder.HasIndex(i => new { i.FeedId, i.Type, i.Value }).IsUnique();
        builder.HasIndex(i => new { i.TenantId, i.Type, i.Value });
        builder.Property(i => i.Value).HasMaxLength(2_048);
        builder.Property(i => i.SourceId).HasMaxLength(ThreatIntelLimits.SourceIdLength);
        builder.Property(i => i.Labels).HasMaxLength(5_000);
        builder.Property(i => i.Description).HasMaxLength(500);
        builder.HasOne<ThreatFeed>().WithMany().HasForeignKey(i => i.FeedId).OnDelete(DeleteBehavior.Cascade);
    }
}

internal sealed class ThreatIntelMatchConfiguration : IEntityTypeConfiguration<ThreatIntelMatch>
{
    public void Configure(EntityTypeBuilder<ThreatIntelMatch> builder)
    {
        builder.HasIndex(m => new { m.TenantId, m.MatchKey }).IsUnique();
        builder.HasIndex(m => new { m.TenantId, m.MatchedAt });
        builder.HasIndex(m => m.FeedId);
        builder.Property(m => m.MatchKey).HasMaxLength(64);
        builder.Property(m => m.IndicatorValue).HasMaxLength(2_048);
        builder.Property(m => m.MatchedValue).HasMaxLength(2_048);
        builder.HasOne<ThreatFeed>().WithMany().HasForeignKey(m => m.FeedId).OnDelete(DeleteBehavior.Cascade);
    }
}
