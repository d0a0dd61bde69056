using System.Text.Json;
using Firebreak.Core.Incidents;
using Firebreak.Core.Indicators;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.ChangeTracking;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using Microsoft.EntityFrameworkCore.Storage.ValueConversion;

namespace Firebreak.Core.Persistence.Configurations;

internal sealed class IndicatorConfiguration : IEntityTypeConfiguration<Indicator>
{
    public void Configure(EntityTypeBuilder<Indicator> builder)
    {
        // One row per value per incident; sightings across incidents are (tenant, type, hash) range scans.
        builder.HasIndex(i => new { i.IncidentId, i.Type, i.ValueHash }).IsUnique();
        builder.HasIndex(i => new { i.TenantId, i.Type, i.ValueHash });
        builder.Property(i => i.Value).HasMaxLength(IndicatorValue.MaxLength);
        builder.Property(i => i.ValueHash).HasMaxLength(64).IsFixedLength();
        builder.Property(i => i.Description).HasMaxLength(IndicatorLimits.DescriptionLength);
        builder.Property(i => i.Tags).HasConversion(StringListJson.Converter, StringListJson.Comparer);
        builder.Property(i => i.AddedBy).HasMaxLength(200);
        builder.Property(i => i.Version).IsConcurrencyToken();
        builder.HasOne<Incident>().WithMany().HasForeignKey(i => i.IncidentId).OnDelete(DeleteBehavior.Restrict);
    }
}

internal sealed class IndicatorEnrichmentConfiguration : IEntityTypeConfiguration<IndicatorEnrichment>
{
    public void Configure(EntityTypeBuilder<IndicatorEnrichment> builder)
    {
        builder.HasIndex(e => new { e.IndicatorId, e.Enricher }).IsUnique();
        builder.Property(e => e.Enricher).HasMaxLength(64);
        builder.Property(e => e.Summary).HasMaxLength(IndicatorLimits.SummaryLength);
        builder.Property(e => e.Error).HasMaxLength(IndicatorLimits.ErrorLength);
        builder.Property(e => e.Fields).HasConversion(FieldsJson.Converter, FieldsJson.Comparer);
        // Results go with their indicator.
        builder.HasOne<Indicator>().WithMany().HasForeignKey(e => e.IndicatorId).OnDelete(DeleteBehavior.Cascade);
    }
}

/// <summary>An enricher's named fields stored as one JSON object.</summary>
internal static class FieldsJson
{
    public static readonly ValueConverter<Dictionary<string, string>, string> Converter = new(
        v => JsonSerializer.Serialize(v, (JsonSerializerOptions?)null),
        s => string.IsNullOrEmpty(s) ? new Dictionary<string, string>() : JsonSerializer.Deserialize<Dictionary<string, string>>(s, (JsonSerializerOptions?)null) ?? new Dictionary<string, string>());

    public static readonly ValueComparer<Dictionary<string, string>> Comparer = new(
        (a, b) => a!.Count == b!.Count && a.All(p => b.ContainsKey(p.Key) && b[p.Key] == p.Value),
        v => v.Aggregate(0, (h, p) => HashCode.Combine(h, p.Key.GetHashCode(StringComparison.Ordinal), p.Value.GetHashCode(StringComparison.Ordinal))),
        v => new Dictionary<string, string>(v));
}
