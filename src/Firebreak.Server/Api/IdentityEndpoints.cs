using Firebreak.Core.Common;
using Firebreak.Core.Identity;
using Firebreak.Server.Identity;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Firebreak.Server.Api;

public sealed record CreateUserRequest(string Email, string DisplayName, string Role, string Password);

public sealed record CreateApiKeyRequest(string Name, string Role, DateTimeOffset? ExpiresAt = null);

public sealed record MeView(string Name, string Role, Guid TenantId, string Kind);

internal static class IdentityEndpoints
{
    public static RouteGroupBuilder MapIdentityEndpoints(this RouteGroupBuilder api)
    {
        api.MapGet("/me", GetMe).WithName("GetMe").WithTags("Identity").RequireAuthorization(Policies.Viewer);
        var users = api.MapGroup("/users").WithTags("Identity");
        users.MapGet("/", ListUsersAsync).WithName("ListUsers").RequireAuthorization(Policies.Viewer);
        users.MapPost("/", CreateUserAsync).WithName("CreateUser").RequireAuthorization(Policies.Admin);
        var keys = api.MapGroup("/api-keys").WithTags("Identity");
        keys.MapGet("/", ListApiKeysAsync).WithName("ListApiKeys").RequireAuthorization(Policies.Admin);
        keys.MapPost("/", CreateApiKeyAsync).WithName("CreateApiKey").RequireAuthorization(Policies.Admin);
        keys.MapDelete("/{id:guid}", RevokeApiKeyAsync).WithName("RevokeApiKey").RequireAuthorization(Policies.Admin);
        return api;
    }

    public static Ok<MeView> GetMe(ICurrentActor actor) =>
        TypedResults.Ok(new MeView(actor.Name, actor.Role.Name(), actor.TenantId, actor.ApiKeyId is null ? "user" : "api-key"));

    public static async Task<Ok<IReadOnlyList<UserView>>> ListUsersAsync(UserService users, CancellationToken cancellationToken) =>
        TypedResults.Ok(await users.ListAsync(cancellationToken));

    public static async Task<Created<UserView>> CreateUserAsync(CreateUserRequest body, UserService users, CancellationToken cancellationToken)
    {
        var role = ParseRole(body.Role);
        var user = await users.CreateAsync(body.Email, body.DisplayName, role, body.Password, cancellationToken);
        return TypedResults.Created($"/api/v1/users/{user.Id}", user);
    }

    public static async Task<Ok<IReadOnlyList<ApiKeyView>>> ListApiKeysAsync(ApiKeyService keys, CancellationToken cancellationToken) =>
        TypedResults.Ok(await keys.ListAsync(cancellationToken));

    public static async Task<Created<CreatedApiKey>> CreateApiKeyAsync(CreateApiKeyRequest body, ApiKeyService keys, HttpResponse response, CancellationToken cancellationToken)
    {
        var created = await keys.CreateAsync(body.Name, ParseRole(body.Role), body.ExpiresAt, cancellationToken);
        // The secret is in this one response: keep it out of every cache.
        response.Headers.CacheControl = "no-store";
        return TypedResults.Created($"/api/v1/api-keys/{created.Key.Id}", created);
    }

    public static async Task<Ok<ApiKeyView>> RevokeApiKeyAsync(Guid id, ApiKeyService keys, CancellationToken cancellationToken) =>
        TypedResults.Ok(await keys.RevokeAsync(id, cancellationToken));

    private static Role ParseRole(string? text) =>
        Roles.TryParse(text, out var role) ? role
        : throw new ValidationFailedException("role", "role must be one of: viewer, responder, incident-manager, admin.");
}
