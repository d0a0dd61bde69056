using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace Firebreak.Core.Evidence;

public sealed record ChainProblem(int Sequence, string Problem);

/// <summary>
/// The hash of a custody entry covers its position, the item and the item's content hash, the event,
/// actor, time, location, reason and recipient, and the previous entry's hash. The first entry's
/// previous hash is the incident id's hash, so a chain cannot be moved to another incident.
/// </summary>
public static class CustodyChain
{
    public static string Genesis(Guid incidentId) =>
        Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes("firebreak-custody:" + incidentId.ToString("D"))));

    public static string Hash(CustodyEntry e, string? itemContentHash)
    {
        var text = string.Join('\u001f',
            e.Sequence.ToString(CultureInfo.InvariantCulture),
            e.IncidentId.ToString("D"),
            e.EvidenceItemId.ToString("D"),
            itemContentHash ?? "",
            e.Event.ToString(),
            e.Actor,
            e.At.UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ss.fffZ", CultureInfo.InvariantCulture),
            e.Location,
            e.Reason,
            e.Recipient ?? "",
            e.PreviousHash);
        return Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text)));
    }

    /// <summary>Times are kept to the millisecond so they hash the same after any database round trip.</summary>
    public static DateTimeOffset Truncate(DateTimeOffset at) =>
        new(at.UtcTicks - at.UtcTicks % TimeSpan.TicksPerMillisecond, TimeSpan.Zero);

    /// <summary>Every problem in the chain: gaps, links that do not match, entries whose hash does not match their fields.</summary>
    public static IReadOnlyList<ChainProblem> Verify(Guid incidentId, IReadOnlyList<CustodyEntry> entries, Func<Guid, string?> contentHashOf)
    {
        var problems = new List<ChainProblem>();
        var previous = Genesis(incidentId);
        var expected = 1;
        foreach (var entry in entries.OrderBy(e => e.Sequence))
        {
            if (entry.Sequence != expected) problems.Add(new ChainProblem(entry.Sequence, $"entry {expected} is missing"));
            if (entry.PreviousHash != previous) problems.Add(new ChainProblem(entry.Sequence, "does not link to the entry before it"));
            if (Hash(entry, contentHashOf(entry.EvidenceItemId)) != entry.Hash) problems.Add(new ChainProblem(entry.Sequence, "its fields were altered after it was written"));
            previous = entry.Hash;
            expected = entry.Sequence + 1;
        }
        return problems;
    }
}
