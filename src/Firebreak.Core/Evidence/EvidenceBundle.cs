using System.IO.Compression;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Firebreak.Core.Evidence;

public sealed record BundleManifest(
    string Format, string Incident, string IncidentTitle, Guid IncidentId, DateTimeOffset ExportedAt, string ExportedBy, string Reason,
    IReadOnlyList<BundleItem> Items);

public sealed record BundleItem(Guid Id, EvidenceKind Kind, string Name, string Source, string CollectedBy, DateTimeOffset AcquiredAt, long Size,
    string? Sha256, string? Sha1, string? Md5, string? Path, string? SnapshotId, string? SnapshotRegion, string? SnapshotAccount);

/// <summary>
/// An evidence bundle is a zip: manifest.json (items and their hashes), custody.json (the incident's
/// whole chain), incident.json (the incident summary) and files/&lt;sha256&gt;. It verifies offline, with
/// nothing but the zip.
/// </summary>
public static class EvidenceBundle
{
    public const string FormatName = "firebreak-evidence-bundle/1";

    internal static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        WriteIndented = true,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };

    /// <summary>Recomputes every file's hashes and the custody chain from the bundle alone.</summary>
    public static async Task<VerificationReport> VerifyAsync(Stream zip, CancellationToken cancellationToken = default)
    {
        using var archive = new ZipArchive(zip, ZipArchiveMode.Read, leaveOpen: true);
        var manifest = await ReadAsync<BundleManifest>(archive, "manifest.json", cancellationToken);
        var custody = await ReadAsync<List<CustodyView>>(archive, "custody.json", cancellationToken);
        if (manifest.Format != FormatName) throw new InvalidDataException($"Not a {FormatName} bundle (format '{manifest.Format}').");
        var checks = new List<ItemCheck>();
        foreach (var item in manifest.Items)
        {
            if (item.Sha256 is null)
            {
                checks.Add(new ItemCheck(item.Id, item.Name, true, null));
                continue;
            }
            var entry = item.Path is null ? null : archive.GetEntry(item.Path);
            if (entry is null)
            {
                checks.Add(new ItemCheck(item.Id, item.Name, false, "the file is missing from the bundle"));
                continue;
            }
            await using var content = await entry.OpenAsync(cancellationToken);
            var problem = await EvidenceHashes.MismatchAsync(content, item.Size, item.Sha256, item.Sha1, item.Md5, "manifest says", cancellationToken);
            checks.Add(new ItemCheck(item.Id, item.Name, problem is null, problem));
        }
        var byId = manifest.Items.ToDictionary(i => i.Id);
        var entries = custody.Select(c => new CustodyEntry
        {
            IncidentId = manifest.IncidentId,
            Sequence = c.Sequence,
            EvidenceItemId = c.EvidenceItemId,
            Event = c.Event,
            Actor = c.Actor,
            At = c.At,
            Location = c.Location,
            Reason = c.Reason,
            Recipient = c.Recipient,
            PreviousHash = c.PreviousHash,
            Hash = c.Hash,
        }).ToList();
        var chain = CustodyChain.Verify(manifest.IncidentId, entries, id => byId.TryGetValue(id, out var i) ? i.Sha256 ?? i.SnapshotId : null);
        return new VerificationReport(checks.All(c => c.Ok) && chain.Count == 0, checks, chain);
    }

    private static async Task<T> ReadAsync<T>(ZipArchive archive, string name, CancellationToken cancellationToken)
    {
        var entry = archive.GetEntry(name) ?? throw new InvalidDataException($"The bundle has no {name}.");
        await using var stream = await entry.OpenAsync(cancellationToken);
        return await JsonSerializer.DeserializeAsync<T>(stream, Json, cancellationToken) ?? throw new InvalidDataException($"{name} is empty.");
    }
}
