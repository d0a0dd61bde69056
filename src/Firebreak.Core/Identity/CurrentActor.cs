namespace Firebreak.Core.Identity;

/// <summary>
/// Who is acting, in which tenant. One per request, Blazor circuit or CLI command; the DbContext reads
/// it to filter every query by tenant and to sign every audit entry.
/// </summary>
public interface ICurrentActor
{
    Guid TenantId { get; }
    Guid? UserId { get; }
    Guid? ApiKeyId { get; }
    string Name { get; }
    Role Role { get; }
    bool IsAuthenticated { get; }

    /// <summary>Maintenance work outside any tenant (migrations, bootstrap): sees every tenant.</summary>
    bool IsSystem { get; }
}

public static class CurrentActorExtensions
{
    /// <summary>
    /// Who acted, as a stable key (`user:ID`, `api-key:ID`, `operator:NAME`): two-person rules compare these,
    /// never display names.
    /// </summary>
    public static string Principal(this ICurrentActor actor) =>
        actor.UserId is { } user ? $"user:{user}" : actor.ApiKeyId is { } key ? $"api-key:{key}" : $"operator:{actor.Name}";
}

public sealed class CurrentActor : ICurrentActor
{
    public Guid TenantId { get; private set; }
    public Guid? UserId { get; private set; }
    public Guid? ApiKeyId { get; private set; }
    public string Name { get; private set; } = "anonymous";
    public Role Role { get; private set; }
    public bool IsAuthenticated { get; private set; }
    public bool IsSystem { get; private set; }

    public void SetUser(Guid tenantId, Guid userId, string name, Role role) =>
        Set(tenantId, userId, null, name, role, system: false);

    public void SetApiKey(Guid tenantId, Guid apiKeyId, string name, Role role) =>
        Set(tenantId, null, apiKeyId, name, role, system: false);

    /// <summary>An operator at the server's console acting inside one tenant (the admin CLI).</summary>
    public void SetOperator(Guid tenantId, string name) => Set(tenantId, null, null, name, Role.Admin, system: false);

    public void SetSystem(string name) => Set(Guid.Empty, null, null, name, Role.Admin, system: true);

    public void Clear() => Set(Guid.Empty, null, null, "anonymous", Role.Viewer, system: false, authenticated: false);

    private void Set(Guid tenantId, Guid? userId, Guid? apiKeyId, string name, Role role, bool system, bool authenticated = true)
    {
        TenantId = tenantId;
        UserId = userId;
        ApiKeyId = apiKeyId;
        Name = name;
        Role = role;
        IsSystem = system;
        IsAuthenticated = authenticated;
    }
}

public static class Actors
{
    public static CurrentActor For(User user)
    {
        var actor = new CurrentActor();
        actor.SetUser(user.TenantId, user.Id, user.Email, user.Role);
        return actor;
    }

    public static CurrentActor System(string name)
    {
        var actor = new CurrentActor();
        actor.SetSystem(name);
        return actor;
    }
}
