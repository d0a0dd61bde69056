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
        builder.Property(t => t.Tactic).HasMaxLength(64);
        builder.Property(t => t.Annotation).HasMaxLength(TimelineLimits.AnnotationLength);
        builder.Property(t => t.Author).HasMaxLength(200);
        builder.Property(t => t.Version).IsConcurrencyToken();
        builder.Property(t => t.Principals).HasConversion(StringListJson.Converter, StringListJson.Comparer);
        builder.Property(t => t.Assets).HasConversion(StringListJson.Converter, StringListJson.Comparer);
        builder.Property(t => t.Indicators).HasConversion(StringListJson.Converter, StringListJson.Comparer);
        builder.HasIndex(t => new { t.IncidentId, t.IncidentEventId });
        builder.HasOne<Incident>().WithMany().HasForeignKey(t => t.IncidentId).OnDelete(DeleteBehavior.Restrict);
    }
}

internal sealed class IncidentEventConfiguration : IEntityTypeConfiguration<IncidentEvent>
{
    public void Configure(EntityTypeBuilder<IncidentEvent> builder)
    {
        // Every pivot is "this incident, this value, in time order": each index leads with the incident
        // and ends with (Time, Id), so a filtered page is an index range scan in keyset order.
        builder.HasIndex(e => new { e.IncidentId, e.EventId }).IsUnique();
        builder.HasIndex(e => new { e.IncidentId, e.Time, e.Id });
        builder.HasIndex(e => new { e.IncidentId, e.Principal, e.Time, e.Id });
        builder.HasIndex(e => new { e.IncidentId, e.AccessKeyId, e.Time, e.Id });
        builder.HasIndex(e => new { e.IncidentId, e.Resource, e.Time, e.Id });
        builder.HasIndex(e => new { e.IncidentId, e.SourceIp, e.Time, e.Id });
        builder.HasIndex(e => new { e.IncidentId, e.Operation, e.Time, e.Id });
        // Which logs of which accounts the incident holds, in a window: the management-plane check's coverage, read from the index alone.
        builder.HasIndex(e => new { e.IncidentId, e.Provider, e.LogSource, e.Account, e.Time });
        // Covers the scope's one pass over who did what from where (and the per-column indicator extraction):
        // grouped in index order, without reading the rows and their raw records. The tenant is last so the
        // tenant filter is answered from the index too.
        builder.HasIndex(e => new { e.IncidentId, e.Provider, e.Account, e.Region, e.Principal, e.PrincipalType, e.SessionIssuer, e.AccessKeyId, e.SourceIp, e.UserAgent, e.Time, e.TenantId })
            .HasDatabaseName("IX_IncidentEvents_Usage");
        builder.Property(e => e.EventId).HasMaxLength(EventLimits.ShortText);
        builder.Property(e => e.Provider).HasMaxLength(16);
        builder.Property(e => e.LogSource).HasMaxLength(32);
        builder.Property(e => e.Account).HasMaxLength(EventLimits.ShortText);
        builder.Property(e => e.Region).HasMaxLength(EventLimits.ShortText);
        builder.Property(e => e.EventSource).HasMaxLength(EventLimits.ShortText);
        builder.Property(e => e.Operation).HasMaxLength(EventLimits.ShortText);
        builder.Property(e => e.PrincipalType).HasMaxLength(EventLimits.ShortText);
        builder.Property(e => e.Principal).HasMaxLength(EventLimits.LongText);
        builder.Property(e => e.AccessKeyId).HasMaxLength(EventLimits.ShortText);
        builder.Property(e => e.SessionIssuer).HasMaxLength(EventLimits.LongText);
        builder.Property(e => e.SourceIp).HasMaxLength(EventLimits.ShortText);
        builder.Property(e => e.UserAgent).HasMaxLength(EventLimits.LongText);
        builder.Property(e => e.Resource).HasMaxLength(EventLimits.LongText);
        builder.Property(e => e.ErrorCode).HasMaxLength(EventLimits.ShortText);
        builder.Property(e => e.Origin).HasMaxLength(EventLimits.LongText);
        builder.HasOne<Incident>().WithMany().HasForeignKey(e => e.IncidentId).OnDelete(DeleteBehavior.Restrict);
    }
}

internal sealed class EventImportConfiguration : IEntityTypeConfiguration<EventImport>
{
    public void Configure(EntityTypeBuilder<EventImport> builder)
    {
        builder.HasIndex(i => new { i.IncidentId, i.CreatedAt });
        builder.HasIndex(i => i.Status);
        builder.Property(i => i.Source).HasMaxLength(EventLimits.LongText);
        builder.Property(i => i.StagedFile).HasMaxLength(200);
        builder.Property(i => i.Error).HasMaxLength(2000);
        builder.Property(i => i.CreatedBy).HasMaxLength(200);
        builder.HasOne<Incident>().WithMany().HasForeignKey(i => i.IncidentId).OnDelete(DeleteBehavior.Restrict);
    }
}

/// <summary>Plain string lists stored as one JSON text column.</summary>
internal static class StringListJson
{
    public static readonly Microsoft.EntityFrameworkCore.Storage.ValueConversion.ValueConverter<List<string>, string> Converter = new(
        v => System.Text.Json.JsonSerializer.Serialize(v, (System.Text.Json.JsonSerializerOptions?)null),
        s => Read(s));

    // Rows written before these columns existed hold an empty string.
    private static List<string> Read(string text) =>
        string.IsNullOrEmpty(text) ? [] : System.Text.Json.JsonSerializer.Deserialize<List<string>>(text) ?? [];

    public static readonly Microsoft.EntityFrameworkCore.ChangeTracking.ValueComparer<List<string>> Comparer = new(
        (a, b) => a!.SequenceEqual(b!),
        v => v.Aggregate(0, (h, e) => HashCode.Combine(h, e.GetHashCode(StringComparison.Ordinal))),
        v => v.ToList());
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
