using System.Text.Json;
using Firebreak.Core.Incidents;
using Firebreak.Core.Playbooks;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.ChangeTracking;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using Microsoft.EntityFrameworkCore.Storage.ValueConversion;

namespace Firebreak.Core.Persistence.Configurations;

internal sealed class PlaybookConfiguration : IEntityTypeConfiguration<Playbook>
{
    public void Configure(EntityTypeBuilder<Playbook> builder)
    {
        builder.HasIndex(p => new { p.TenantId, p.Key }).IsUnique();
        builder.Property(p => p.Key).HasMaxLength(PlaybookLimits.IdLength);
        builder.Property(p => p.Name).HasMaxLength(PlaybookLimits.NameLength);
        builder.Property(p => p.Description).HasMaxLength(PlaybookLimits.DescriptionLength);
        builder.Property(p => p.Yaml).HasMaxLength(PlaybookLimits.MaxSourceBytes);
        builder.Property(p => p.ImportedBy).HasMaxLength(200);
        builder.Property(p => p.Version).IsConcurrencyToken();
    }
}

internal sealed class PlaybookRunConfiguration : IEntityTypeConfiguration<PlaybookRun>
{
    public void Configure(EntityTypeBuilder<PlaybookRun> builder)
    {
        builder.HasIndex(r => new { r.IncidentId, r.StartedAt });
        // The worker's pass: every running run, across tenants.
        builder.HasIndex(r => new { r.Status, r.StartedAt });
        builder.Property(r => r.PlaybookKey).HasMaxLength(PlaybookLimits.IdLength);
        builder.Property(r => r.PlaybookName).HasMaxLength(PlaybookLimits.NameLength);
        builder.Property(r => r.Yaml).HasMaxLength(PlaybookLimits.MaxSourceBytes);
        builder.Property(r => r.Inputs).HasConversion(TextMapJson.Converter, TextMapJson.Comparer);
        builder.Property(r => r.InputSources).HasConversion(TextMapJson.Converter, TextMapJson.Comparer);
        builder.Property(r => r.ChoiceReason).HasMaxLength(IncidentLimits.ReasonLength);
        builder.Property(r => r.StartedBy).HasMaxLength(200);
        builder.Property(r => r.StartedByPrincipal).HasMaxLength(100);
        builder.Property(r => r.Error).HasMaxLength(4_000);
        builder.Property(r => r.CancelledBy).HasMaxLength(200);
        builder.Property(r => r.CancelReason).HasMaxLength(IncidentLimits.ReasonLength);
        builder.Property(r => r.Version).IsConcurrencyToken();
        builder.HasOne<Incident>().WithMany().HasForeignKey(r => r.IncidentId).OnDelete(DeleteBehavior.Restrict);
    }
}

internal sealed class PlaybookRunStepConfiguration : IEntityTypeConfiguration<PlaybookRunStep>
{
    private static readonly ValueConverter<List<int>, string> Ints = new(v => JsonSerializer.Serialize(v, (JsonSerializerOptions?)null),
        s => JsonSerializer.Deserialize<List<int>>(s, (JsonSerializerOptions?)null) ?? new List<int>());

    private static readonly ValueComparer<List<int>> IntsComparer = new((a, b) => a!.SequenceEqual(b!), v => v.Aggregate(0, HashCode.Combine), v => v.ToList());

    public void Configure(EntityTypeBuilder<PlaybookRunStep> builder)
    {
        builder.HasIndex(s => new { s.RunId, s.StepId }).IsUnique();
        builder.Property(s => s.StepId).HasMaxLength(PlaybookLimits.IdLength);
        builder.Property(s => s.Name).HasMaxLength(PlaybookLimits.NameLength);
        builder.Property(s => s.Ticked).HasConversion(Ints, IntsComparer).HasMaxLength(1_000);
        builder.Property(s => s.Actor).HasMaxLength(200);
        builder.Property(s => s.Result).HasMaxLength(4_000);
        builder.Property(s => s.Note).HasMaxLength(PlaybookLimits.NoteLength);
        builder.Property(s => s.Version).IsConcurrencyToken();
        builder.HasOne<PlaybookRun>().WithMany().HasForeignKey(s => s.RunId).OnDelete(DeleteBehavior.Cascade);
    }
}
