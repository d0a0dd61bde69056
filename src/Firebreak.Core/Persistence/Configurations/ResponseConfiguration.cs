using System.Text.Json;
using Firebreak.Core.Incidents;
using Firebreak.Core.Response;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.ChangeTracking;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using Microsoft.EntityFrameworkCore.Storage.ValueConversion;

namespace Firebreak.Core.Persistence.Configurations;

internal sealed class ResponseActionConfiguration : IEntityTypeConfiguration<ResponseAction>
{
    public void Configure(EntityTypeBuilder<ResponseAction> builder)
    {
        builder.HasIndex(a => new { a.IncidentId, a.RequestedAt });
        builder.Property(a => a.ActionName).HasMaxLength(100);
        builder.Property(a => a.Provider).HasMaxLength(16);
        builder.Property(a => a.Account).HasMaxLength(64);
        builder.Property(a => a.Region).HasMaxLength(64);
        builder.Property(a => a.Resource).HasMaxLength(ResponseLimits.ResourceLength);
        builder.Property(a => a.ChoiceReason).HasMaxLength(IncidentLimits.ReasonLength);
        builder.Property(a => a.Reason).HasMaxLength(IncidentLimits.ReasonLength);
        builder.Property(a => a.BusinessImpact).HasMaxLength(1_000);
        builder.Property(a => a.RequestedBy).HasMaxLength(200);
        builder.Property(a => a.ApprovedBy).HasMaxLength(200);
        builder.Property(a => a.RequestedByPrincipal).HasMaxLength(100);
        builder.Property(a => a.ApprovedByPrincipal).HasMaxLength(100);
        builder.Property(a => a.ApprovalComment).HasMaxLength(IncidentLimits.ReasonLength);
        builder.Property(a => a.RanBy).HasMaxLength(200);
        builder.Property(a => a.UndoneBy).HasMaxLength(200);
        builder.Property(a => a.UndoReason).HasMaxLength(IncidentLimits.ReasonLength);
        builder.Property(a => a.Inputs).HasConversion(TextMapJson.Converter, TextMapJson.Comparer);
        builder.Property(a => a.UndoData).HasConversion(TextMapJson.Converter, TextMapJson.Comparer);
        builder.Property(a => a.Output).HasConversion(TextMapJson.Converter, TextMapJson.Comparer);
        builder.Property(a => a.Version).IsConcurrencyToken();
        builder.HasOne<Incident>().WithMany().HasForeignKey(a => a.IncidentId).OnDelete(DeleteBehavior.Restrict);
    }
}

/// <summary>Name/value maps (inputs, undo data) stored as one JSON text column: read whole, never queried inside.</summary>
internal static class TextMapJson
{
    private static readonly JsonSerializerOptions Options = new(JsonSerializerDefaults.Web);

    public static readonly ValueConverter<Dictionary<string, string>, string> Converter = new(
        v => JsonSerializer.Serialize(v, Options),
        s => JsonSerializer.Deserialize<Dictionary<string, string>>(s, Options) ?? new Dictionary<string, string>());

    public static readonly ValueComparer<Dictionary<string, string>> Comparer = new(
        (a, b) => a!.Count == b!.Count && a.All(e => b.ContainsKey(e.Key) && b[e.Key] == e.Value),
        v => v.Aggregate(0, (h, e) => HashCode.Combine(h, e.Key.GetHashCode(), e.Value.GetHashCode())),
        v => new Dictionary<string, string>(v));
}
