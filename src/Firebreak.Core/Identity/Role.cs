using System.Text.Json.Serialization;
using Firebreak.Core.Common;

namespace Firebreak.Core.Identity;

/// <summary>
/// What a user or API key may do inside its tenant. Ordered by power: each role may do everything the
/// roles below it may.
/// </summary>
[JsonConverter(typeof(StrictEnumConverter<Role>))]
public enum Role
{
    /// <summary>Read-only: communications staff and management.</summary>
    [JsonStringEnumMemberName("viewer")] Viewer = 0,

    /// <summary>Works incidents: notes, tasks, updates, phase changes.</summary>
    [JsonStringEnumMemberName("responder")] Responder = 1,

    /// <summary>Coordinates incidents: also assigns roles, closes and reopens.</summary>
    [JsonStringEnumMemberName("incident-manager")] IncidentManager = 2,

    /// <summary>Manages the tenant: users and API keys.</summary>
    [JsonStringEnumMemberName("admin")] Admin = 3,
}

public static class Roles
{
    public static bool Allows(this Role held, Role required) => held >= required;

    public static string Name(this Role role) => role switch
    {
        Role.Viewer => "viewer",
        Role.Responder => "responder",
        Role.IncidentManager => "incident-manager",
        Role.Admin => "admin",
        _ => throw new ArgumentOutOfRangeException(nameof(role)),
    };

    public static bool TryParse(string? text, out Role role)
    {
        foreach (var r in Enum.GetValues<Role>())
        {
            if (string.Equals(r.Name(), text, StringComparison.OrdinalIgnoreCase) || string.Equals(r.ToString(), text, StringComparison.OrdinalIgnoreCase))
            {
                role = r;
                return true;
            }
        }
        role = default;
        return false;
    }
}
