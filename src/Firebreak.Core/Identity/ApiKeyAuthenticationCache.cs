using System.Collections.Concurrent;
using System.Diagnostics;

namespace Firebreak.Core.Identity;

/// <summary>
/// Keys that authenticated recently, by prefix with the hash of the secret that was presented, so a tool
/// sending thousands of requests a second is not looked up in the database for each one. Only successful
/// authentications are kept, never for longer than <see cref="MaxAge"/>; expiry is checked on every use, and
/// a revocation through <see cref="ApiKeyService"/> drops the key at once. A revocation made by another
/// process on the same database (the admin CLI while the server runs) takes effect within <see cref="MaxAge"/>.
/// </summary>
public sealed class ApiKeyAuthenticationCache
{
    public static readonly TimeSpan MaxAge = TimeSpan.FromSeconds(5);
    private const int MaxEntries = 10_000;

    private readonly ConcurrentDictionary<string, Entry> _keys = new(StringComparer.Ordinal);

    private sealed record Entry(ApiKey Key, string SecretHash, long CachedAt);

    internal ApiKey? Find(string prefix, string secretHash)
    {
        if (!_keys.TryGetValue(prefix, out var entry)) return null;
        if (Stopwatch.GetElapsedTime(entry.CachedAt) >= MaxAge)
        {
            _keys.TryRemove(KeyValuePair.Create(prefix, entry));
            return null;
        }
        return Secrets.FixedTimeEqualsHex(entry.SecretHash, secretHash) ? entry.Key : null;
    }

    internal void Add(ApiKey key, string secretHash)
    {
        if (_keys.Count >= MaxEntries) _keys.Clear();
        _keys[key.Prefix] = new Entry(key, secretHash, Stopwatch.GetTimestamp());
    }

    /// <summary>Forgets a key, so its next use is checked against the database.</summary>
    public void Forget(string prefix) => _keys.TryRemove(prefix, out _);
}
