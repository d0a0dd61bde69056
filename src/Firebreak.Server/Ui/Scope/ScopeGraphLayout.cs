using Firebreak.Core.Scope;

namespace Firebreak.Server.Ui.Scope;

/// <summary>
/// Places the identity graph for drawing: the attacker-controlled identities first, then the busiest
/// others, up to a cap; each in a column by its depth along the drawn edges (where a chain starts on
/// the left), stacked in rows.
/// </summary>
public sealed class ScopeGraphLayout
{
    public const int MaxNodes = 40;
    public const double ColumnWidth = 190, RowHeight = 46, Margin = 30;

    public sealed record Placed(ScopeIdentity Identity, double X, double Y);

    public IReadOnlyList<Placed> Nodes { get; }
    public IReadOnlyList<(Placed From, Placed To, ScopeRelation Relation)> Edges { get; }
    public int Total { get; }
    public double Width { get; }
    public double Height { get; }

    public ScopeGraphLayout(IReadOnlyList<ScopeIdentity> identities, IReadOnlyList<ScopeEdge> edges)
    {
        Total = identities.Count;
        var shown = identities.OrderByDescending(i => i.Controlled).ThenByDescending(i => i.Events).ThenBy(i => i.Id, StringComparer.Ordinal).Take(MaxNodes).ToList();
        var ids = shown.Select(i => i.Id).ToHashSet(StringComparer.Ordinal);
        var drawn = edges.Where(e => ids.Contains(e.From) && ids.Contains(e.To) && e.From != e.To).ToList();
        // Depth: longest path from a node with no drawn incoming edge, bounded so cycles end.
        var depth = shown.ToDictionary(i => i.Id, _ => 0, StringComparer.Ordinal);
        for (var round = 0; round < 6; round++)
        {
            var changed = false;
            foreach (var e in drawn)
            {
                if (depth[e.To] < depth[e.From] + 1 && depth[e.From] < 5)
                {
                    depth[e.To] = depth[e.From] + 1;
                    changed = true;
                }
            }
            if (!changed) break;
        }
        var placed = new Dictionary<string, Placed>(StringComparer.Ordinal);
        var rows = new Dictionary<int, int>();
        foreach (var identity in shown.OrderBy(i => depth[i.Id]).ThenByDescending(i => i.Controlled).ThenBy(i => i.FirstSeen ?? DateTimeOffset.MaxValue))
        {
            var column = depth[identity.Id];
            var row = rows.GetValueOrDefault(column);
            rows[column] = row + 1;
            placed[identity.Id] = new Placed(identity, Margin + column * ColumnWidth, Margin + row * RowHeight);
        }
        Nodes = [.. placed.Values];
        Edges = [.. drawn.Select(e => (placed[e.From], placed[e.To], e.Relation))];
        Width = Margin * 2 + Math.Max(1, rows.Count) * ColumnWidth;
        Height = Margin * 2 + Math.Max(1, rows.Count == 0 ? 1 : rows.Values.Max()) * RowHeight;
    }

    /// <summary>A short label: the last part of an ARN or resource name, cut to fit a column.</summary>
    public static string Label(string value)
    {
        var slash = value.LastIndexOf('/');
        var text = slash >= 0 && slash < value.Length - 1 ? value[(slash + 1)..] : value;
        return text.Length <= 24 ? text : text[..23] + "…";
    }
}
