using System.Collections.Concurrent;
using System.Diagnostics;
using Microsoft.Extensions.Configuration;

namespace Firebreak.Core.Identity;

/// <summary>
/// Keys that authenticated recently, by prefix with the hash of the secret that was presented, so a tool
/// sending thousands of requests a second is not looked up in the database for each one. Only successful
/// authentications are kept, never for longer than <see cref="MaxAge"/>; expiry is checked on every use, and
/// a revocation through <see cref="ApiKeyService"/> drops the key at once. A revocation made by another
/// process on the same database (the admin CLI while the server runs) would take effect only within
/// <see cref="MaxAge"/>, so the cache is off unless <c>Firebreak:Identity:ApiKeyCacheSeconds</c> turns it on.
/// </summary>
public sealed class ApiKeyAuthenticationCache(IConfiguration configuration)
{
    public const string Setting = "Firebreak:Identity:ApiKeyCacheSeconds";
    private const int MaxEntries = 10_000;

    /// <summary>How long a key is remembered; zero (the default) remembers nothing.</summary>
    public TimeSpan MaxAge { get; } = TimeSpan.FromSeconds(Math.Clamp(configuration.GetValue<int?>(Setting) ?? 0, 0, 60));

    private readonly ConcurrentDictionary<string, Entry> _keys = new(StringComparer.Ordinal);

    private sealed record Entry(ApiKey Key, string SecretHash, long CachedAt);

    /// <summary>
    /// The active key for the presented text if it authenticated in the last few seconds; otherwise null, and
    /// the caller asks <see cref="ApiKeyService.AuthenticateAsync"/> (which needs the database).
    /// </summary>
    public ApiKey? FindRecent(string presented, DateTimeOffset now) =>
        MaxAge > TimeSpan.Zero && ApiKeyService.TrySplit(presented, out var prefix, out var secret) && Find(prefix, Secrets.Sha256Hex(secret)) is { } key && key.IsActive(now) ? key : null;

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
        if (MaxAge == TimeSpan.Zero) return;
        if (_keys.Count >= MaxEntries) _keys.Clear();
        _keys[key.Prefix] = new Entry(key, secretHash, Stopwatch.GetTimestamp());
    }

    /// <summary>Forgets a key, so its next use is checked against the database.</summary>
    public void Forget(string prefix) => _keys.TryRemove(prefix, out _);
}
