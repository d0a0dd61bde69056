using System.Collections.Concurrent;
using System.Reflection;
using System.Text.Json.Serialization;
using Firebreak.Core.Common;

namespace Firebreak.Server.Api;

/// <summary>Query-string enums use the same names as JSON bodies ("containment", "SEV2", "amber+strict").</summary>
internal static class EnumText
{
    private static readonly ConcurrentDictionary<Type, Dictionary<string, object>> Names = new();

    public static T? Parse<T>(string? text, string field) where T : struct, Enum
    {
        if (string.IsNullOrWhiteSpace(text)) return null;
        var names = Names.GetOrAdd(typeof(T), type => type.GetFields(BindingFlags.Public | BindingFlags.Static)
            .ToDictionary(f => f.GetCustomAttribute<JsonStringEnumMemberNameAttribute>()?.Name ?? f.Name, f => f.GetValue(null)!, StringComparer.OrdinalIgnoreCase));
        return names.TryGetValue(text.Trim(), out var value)
            ? (T)value
            : throw new ValidationFailedException(field, $"{field} must be one of: {string.Join(", ", names.Keys)}.");
    }

    public static string Name<T>(T value) where T : struct, Enum =>
        typeof(T).GetField(value.ToString())?.GetCustomAttribute<JsonStringEnumMemberNameAttribute>()?.Name ?? value.ToString();
}
