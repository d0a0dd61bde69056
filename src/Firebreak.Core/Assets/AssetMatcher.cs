namespace Firebreak.Core.Assets;

/// <summary>
/// Finds the register entry for a resource id. An exact pattern wins over a wildcard one; among wildcard
/// patterns the one with the most literal characters (the most specific) wins. Matching ignores case,
/// because Azure resource ids are case-insensitive and ARNs and GCP names in practice differ only in case by mistake.
/// </summary>
public sealed class AssetMatcher
{
    private readonly Dictionary<string, AssetView> _exact = new(StringComparer.OrdinalIgnoreCase);
    private readonly List<(AssetView Asset, string[] Parts, int Literal)> _wildcards = [];

    public AssetMatcher(IEnumerable<AssetView> assets)
    {
        foreach (var asset in assets)
        {
            if (!asset.Pattern.Contains('*', StringComparison.Ordinal)) _exact.TryAdd(asset.Pattern, asset);
            else _wildcards.Add((asset, asset.Pattern.Split('*'), asset.Pattern.Count(c => c != '*')));
        }
        _wildcards.Sort((a, b) => b.Literal.CompareTo(a.Literal));
    }

    public AssetView? Match(string? resource)
    {
        if (string.IsNullOrEmpty(resource)) return null;
        if (_exact.TryGetValue(resource, out var exact)) return exact;
        foreach (var (asset, parts, _) in _wildcards)
        {
            if (Matches(resource, parts)) return asset;
        }
        return null;
    }

    /// <summary>Greedy-free glob match: the first part is a prefix, the last a suffix, the middle ones in order between.</summary>
    internal static bool Matches(string value, string[] parts)
    {
        const StringComparison cmp = StringComparison.OrdinalIgnoreCase;
        if (!value.StartsWith(parts[0], cmp)) return false;
        var last = parts[^1];
        if (value.Length - parts[0].Length < last.Length || !value.EndsWith(last, cmp)) return false;
        var position = parts[0].Length;
        var end = value.Length - last.Length;
        for (var i = 1; i < parts.Length - 1; i++)
        {
            if (parts[i].Length == 0) continue;
            var found = value.IndexOf(parts[i], position, end - position, cmp);
            if (found < 0) return false;
            position = found + parts[i].Length;
        }
        return true;
    }
}
