using System.Security.Claims;
using Firebreak.Core.Identity;

namespace Firebreak.Server.Identity;

internal static class FirebreakClaims
{
    public const string Tenant = "firebreak:tenant";
    public const string Kind = "firebreak:kind";
    public const string UserKind = "user";
    public const string ApiKeyKind = "api-key";

    public static ClaimsPrincipal ForUser(User user, string scheme) => Build(scheme, user.Id, user.TenantId, user.Email, user.DisplayName, user.Role, UserKind);

    public static ClaimsPrincipal ForApiKey(ApiKey key, string scheme) => Build(scheme, key.Id, key.TenantId, $"api-key:{key.Name}", key.Name, key.Role, ApiKeyKind);

    private static ClaimsPrincipal Build(string scheme, Guid id, Guid tenantId, string name, string displayName, Role role, string kind) =>
        new(new ClaimsIdentity(
        [
            new Claim(ClaimTypes.NameIdentifier, id.ToString()),
            new Claim(ClaimTypes.Name, name),
            new Claim(ClaimTypes.GivenName, displayName),
            new Claim(ClaimTypes.Role, role.Name()),
            new Claim(Tenant, tenantId.ToString()),
            new Claim(Kind, kind),
        ], scheme, ClaimTypes.Name, ClaimTypes.Role));

    /// <summary>Sets the actor from a signed-in principal; an incomplete principal leaves it anonymous.</summary>
    public static void Apply(ClaimsPrincipal principal, CurrentActor actor)
    {
        if (principal.Identity?.IsAuthenticated != true
            || !Guid.TryParse(principal.FindFirstValue(ClaimTypes.NameIdentifier), out var id)
            || !Guid.TryParse(principal.FindFirstValue(Tenant), out var tenantId)
            || !Roles.TryParse(principal.FindFirstValue(ClaimTypes.Role), out var role))
        {
            actor.Clear();
            return;
        }
        var name = principal.FindFirstValue(ClaimTypes.Name) ?? "unknown";
        if (principal.FindFirstValue(Kind) == ApiKeyKind) actor.SetApiKey(tenantId, id, name, role);
        else actor.SetUser(tenantId, id, name, role);
    }
}
