using Firebreak.Core.Alerts;
using Firebreak.Core.Incidents;
using Firebreak.Core.Investigation;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Firebreak.Core.Persistence.Configurations;

internal sealed class TimelineEntryConfiguration : IEntityTypeConfiguration<TimelineEntry>
{
    public void Configure(EntityTypeBuilder<TimelineEntry> builder)
    {
        builder.HasIndex(t => new { t.IncidentId, t.EventTime });
        builder.Property(t => t.Title).HasMaxLength(AlertLimits.TitleLength);
        builder.Property(t => t.Source).HasMaxLength(AlertLimits.SourceLength);
        builder.Property(t => t.SourceId).HasMaxLength(100);
        builder.Property(t => t.Technique).HasMaxLength(32);
        builder.HasOne<Incident>().WithMany().HasForeignKey(t => t.IncidentId).OnDelete(DeleteBehavior.Restrict);
    }
}

internal sealed class IncidentArtifactConfiguration : IEntityTypeConfiguration<IncidentArtifact>
{
    public void Configure(EntityTypeBuilder<IncidentArtifact> builder)
    {
        builder.HasIndex(a => new { a.IncidentId, a.Kind, a.Type });
        builder.HasIndex(a => new { a.TenantId, a.Value });
        builder.Property(a => a.Kind).HasMaxLength(16);
        builder.Property(a => a.Type).HasMaxLength(64);
        builder.Property(a => a.Value).HasMaxLength(AlertLimits.ValueLength);
        builder.HasOne<Incident>().WithMany().HasForeignKey(a => a.IncidentId).OnDelete(DeleteBehavior.Restrict);
    }
}

internal sealed class AlertEscalationConfiguration : IEntityTypeConfiguration<AlertEscalation>
{
    public void Configure(EntityTypeBuilder<AlertEscalation> builder)
    {
        builder.HasIndex(e => e.IncidentId);
        builder.Property(e => e.By).HasMaxLength(200);
        builder.Property(e => e.UndoneBy).HasMaxLength(200);
        builder.Property(e => e.RuleName).HasMaxLength(200);
        builder.Property(e => e.Version).IsConcurrencyToken();
        builder.HasOne<Incident>().WithMany().HasForeignKey(e => e.IncidentId).OnDelete(DeleteBehavior.Restrict);
    }
}
