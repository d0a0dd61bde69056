using Firebreak.Core.Identity;
using Firebreak.Core.Incidents;
using Firebreak.Core.PostMortem;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Firebreak.Core.Persistence.Configurations;

internal sealed class FollowUpActionConfiguration : IEntityTypeConfiguration<FollowUpAction>
{
    public void Configure(EntityTypeBuilder<FollowUpAction> builder)
    {
        builder.Property(f => f.Title).HasMaxLength(PostMortemLimits.TitleLength);
        builder.Property(f => f.Notes).HasMaxLength(PostMortemLimits.NoteLength);
        builder.Property(f => f.Version).IsConcurrencyToken();
        builder.HasIndex(f => f.IncidentId);
        // The tracking list: everything not done, across incidents, by due date.
        builder.HasIndex(f => new { f.TenantId, f.Status, f.DueOn });
        builder.HasOne<Incident>().WithMany().HasForeignKey(f => f.IncidentId).OnDelete(DeleteBehavior.Restrict);
        builder.HasOne<User>().WithMany().HasForeignKey(f => f.OwnerId).OnDelete(DeleteBehavior.Restrict);
    }
}

internal sealed class DataGapConfiguration : IEntityTypeConfiguration<DataGap>
{
    public void Configure(EntityTypeBuilder<DataGap> builder)
    {
        builder.Property(g => g.SourceReference).HasMaxLength(PostMortemLimits.CaseIdLength);
        builder.Property(g => g.LogSource).HasMaxLength(PostMortemLimits.TitleLength);
        builder.Property(g => g.Provider).HasMaxLength(PostMortemLimits.NameLength);
        builder.Property(g => g.Service).HasMaxLength(PostMortemLimits.NameLength);
        builder.Property(g => g.Note).HasMaxLength(PostMortemLimits.NoteLength);
        builder.Property(g => g.RecordedBy).HasMaxLength(200);
        builder.Property(g => g.Version).IsConcurrencyToken();
        builder.HasIndex(g => g.IncidentId);
        builder.HasOne<Incident>().WithMany().HasForeignKey(g => g.IncidentId).OnDelete(DeleteBehavior.Restrict);
    }
}

internal sealed class ProviderEscalationConfiguration : IEntityTypeConfiguration<ProviderEscalation>
{
    public void Configure(EntityTypeBuilder<ProviderEscalation> builder)
    {
        builder.Property(e => e.Provider).HasMaxLength(PostMortemLimits.NameLength);
        builder.Property(e => e.Service).HasMaxLength(PostMortemLimits.NameLength);
        builder.Property(e => e.CaseId).HasMaxLength(PostMortemLimits.CaseIdLength);
        builder.Property(e => e.Notes).HasMaxLength(PostMortemLimits.NoteLength);
        builder.Property(e => e.Version).IsConcurrencyToken();
        builder.HasIndex(e => new { e.IncidentId, e.OpenedAt });
        builder.HasOne<Incident>().WithMany().HasForeignKey(e => e.IncidentId).OnDelete(DeleteBehavior.Restrict);
    }
}

internal sealed class ProviderEscalationResponseConfiguration : IEntityTypeConfiguration<ProviderEscalationResponse>
{
    public void Configure(EntityTypeBuilder<ProviderEscalationResponse> builder)
    {
        builder.Property(r => r.From).HasMaxLength(PostMortemLimits.NameLength);
        builder.Property(r => r.Summary).HasMaxLength(PostMortemLimits.NoteLength);
        builder.Property(r => r.RecordedBy).HasMaxLength(200);
        builder.HasIndex(r => new { r.EscalationId, r.ReceivedAt });
        builder.HasIndex(r => r.IncidentId);
        builder.HasOne<ProviderEscalation>().WithMany().HasForeignKey(r => r.EscalationId).OnDelete(DeleteBehavior.Restrict);
        builder.HasOne<Incident>().WithMany().HasForeignKey(r => r.IncidentId).OnDelete(DeleteBehavior.Restrict);
    }
}
