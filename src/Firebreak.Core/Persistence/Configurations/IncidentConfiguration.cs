using Firebreak.Core.Identity;
using Firebreak.Core.Incidents;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Firebreak.Core.Persistence.Configurations;

internal sealed class IncidentConfiguration : IEntityTypeConfiguration<Incident>
{
    public void Configure(EntityTypeBuilder<Incident> builder)
    {
        builder.Property(i => i.Reference).HasMaxLength(32);
        builder.HasIndex(i => new { i.TenantId, i.Reference }).IsUnique();
        builder.HasIndex(i => new { i.TenantId, i.Year, i.Number }).IsUnique();
        builder.HasIndex(i => new { i.TenantId, i.Phase, i.Severity });
        builder.HasIndex(i => new { i.TenantId, i.CreatedAt });
        builder.Property(i => i.Title).HasMaxLength(IncidentLimits.TitleLength);
        builder.Property(i => i.Summary).HasMaxLength(IncidentLimits.SummaryLength);
        builder.Property(i => i.Version).IsConcurrencyToken();
        builder.HasOne<Tenant>().WithMany().HasForeignKey(i => i.TenantId).OnDelete(DeleteBehavior.Restrict);
        builder.HasOne<User>().WithMany().HasForeignKey(i => i.IncidentManagerId).OnDelete(DeleteBehavior.Restrict);
        builder.HasOne<User>().WithMany().HasForeignKey(i => i.CommunicationsLeadId).OnDelete(DeleteBehavior.Restrict);
        builder.HasOne<Incident>().WithMany().HasForeignKey(i => i.DuplicateOfId).OnDelete(DeleteBehavior.Restrict);
    }
}

internal sealed class IncidentCounterConfiguration : IEntityTypeConfiguration<IncidentCounter>
{
    public void Configure(EntityTypeBuilder<IncidentCounter> builder)
    {
        builder.HasKey(c => new { c.TenantId, c.Year });
        builder.HasOne<Tenant>().WithMany().HasForeignKey(c => c.TenantId).OnDelete(DeleteBehavior.Restrict);
    }
}

internal sealed class PhaseTransitionConfiguration : IEntityTypeConfiguration<PhaseTransition>
{
    public void Configure(EntityTypeBuilder<PhaseTransition> builder)
    {
        builder.Property(t => t.Reason).HasMaxLength(IncidentLimits.ReasonLength);
        builder.Property(t => t.ActorName).HasMaxLength(200);
        builder.HasIndex(t => new { t.IncidentId, t.At });
        builder.HasOne<Incident>().WithMany().HasForeignKey(t => t.IncidentId).OnDelete(DeleteBehavior.Restrict);
    }
}

internal sealed class IncidentTaskConfiguration : IEntityTypeConfiguration<IncidentTask>
{
    public void Configure(EntityTypeBuilder<IncidentTask> builder)
    {
        builder.Property(t => t.Title).HasMaxLength(IncidentLimits.TitleLength);
        builder.Property(t => t.Version).IsConcurrencyToken();
        builder.HasIndex(t => t.IncidentId);
        builder.HasOne<Incident>().WithMany().HasForeignKey(t => t.IncidentId).OnDelete(DeleteBehavior.Restrict);
        builder.HasOne<User>().WithMany().HasForeignKey(t => t.OwnerId).OnDelete(DeleteBehavior.Restrict);
    }
}

internal sealed class JournalEntryConfiguration : IEntityTypeConfiguration<JournalEntry>
{
    public void Configure(EntityTypeBuilder<JournalEntry> builder)
    {
        builder.Property(j => j.AuthorName).HasMaxLength(200);
        builder.HasIndex(j => new { j.IncidentId, j.CreatedAt });
        builder.HasMany(j => j.Revisions).WithOne().HasForeignKey(r => r.JournalEntryId).OnDelete(DeleteBehavior.Restrict);
        builder.HasOne<Incident>().WithMany().HasForeignKey(j => j.IncidentId).OnDelete(DeleteBehavior.Restrict);
    }
}

internal sealed class JournalRevisionConfiguration : IEntityTypeConfiguration<JournalRevision>
{
    public void Configure(EntityTypeBuilder<JournalRevision> builder)
    {
        builder.Property(r => r.Body).HasMaxLength(IncidentLimits.JournalLength);
        builder.Property(r => r.EditorName).HasMaxLength(200);
        builder.HasIndex(r => new { r.JournalEntryId, r.RevisionNumber }).IsUnique();
    }
}

internal sealed class PostIncidentReviewConfiguration : IEntityTypeConfiguration<PostIncidentReview>
{
    public void Configure(EntityTypeBuilder<PostIncidentReview> builder)
    {
        builder.HasIndex(r => r.IncidentId).IsUnique();
        builder.Property(r => r.Summary).HasMaxLength(IncidentLimits.SummaryLength);
        builder.Property(r => r.LessonsLearned).HasMaxLength(IncidentLimits.SummaryLength);
        builder.Property(r => r.RootCause).HasMaxLength(IncidentLimits.SummaryLength);
        builder.Property(r => r.WhatWentWell).HasMaxLength(IncidentLimits.SummaryLength);
        builder.Property(r => r.CouldBeBetter).HasMaxLength(IncidentLimits.SummaryLength);
        builder.Property(r => r.DetectSooner).HasMaxLength(IncidentLimits.SummaryLength);
        builder.Property(r => r.AdditionalData).HasMaxLength(IncidentLimits.SummaryLength);
        builder.Property(r => r.ProcessChangeNeeded).HasMaxLength(IncidentLimits.SummaryLength);
        builder.Property(r => r.ProcessChanges).HasMaxLength(IncidentLimits.SummaryLength);
        builder.Property(r => r.ProviderSla).HasMaxLength(IncidentLimits.SummaryLength);
        builder.Property(r => r.ReviewedBy).HasMaxLength(200);
        builder.Property(r => r.Version).IsConcurrencyToken();
        builder.HasOne<Incident>().WithMany().HasForeignKey(r => r.IncidentId).OnDelete(DeleteBehavior.Restrict);
    }
}
