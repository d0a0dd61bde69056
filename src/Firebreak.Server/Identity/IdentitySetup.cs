using System.Security.Claims;
using Firebreak.Core.Identity;
using Firebreak.Core.Persistence;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.AspNetCore.Authorization;
using Microsoft.EntityFrameworkCore;

namespace Firebreak.Server.Identity;

/// <summary>Authorization policies: one per minimum role.</summary>
public static class Policies
{
    public const string Viewer = "role:viewer";
    public const string Responder = "role:responder";
    public const string IncidentManager = "role:incident-manager";
    public const string Admin = "role:admin";

    public static string For(Role role) => "role:" + role.Name();
}

internal static class IdentitySetup
{
    public const string SelectorScheme = "Firebreak";

    public static WebApplicationBuilder AddFirebreakIdentity(this WebApplicationBuilder builder)
    {
        builder.Services.AddAuthentication(SelectorScheme)
            .AddPolicyScheme(SelectorScheme, "API key or cookie", o =>
                o.ForwardDefaultSelector = context => ApiKeyAuthenticationHandler.HasKey(context.Request)
                    ? ApiKeyAuthenticationHandler.SchemeName
                    : CookieAuthenticationDefaults.AuthenticationScheme)
            .AddScheme<AuthenticationSchemeOptions, ApiKeyAuthenticationHandler>(ApiKeyAuthenticationHandler.SchemeName, null)
            .AddCookie(CookieAuthenticationDefaults.AuthenticationScheme, o =>
            {
                o.LoginPath = "/login";
                o.LogoutPath = "/account/logout";
                o.Cookie.Name = "firebreak.auth";
                o.Cookie.HttpOnly = true;
                // Strict: a cookie-authenticated API call can never come from another site.
                o.Cookie.SameSite = SameSiteMode.Strict;
                o.Cookie.SecurePolicy = CookieSecurePolicy.SameAsRequest;
                o.ExpireTimeSpan = TimeSpan.FromHours(12);
                o.SlidingExpiration = true;
                o.Events.OnRedirectToLogin = context => Deny(context, StatusCodes.Status401Unauthorized);
                o.Events.OnRedirectToAccessDenied = context => Deny(context, StatusCodes.Status403Forbidden);
                o.Events.OnValidatePrincipal = ValidateUserAsync;
            });

        builder.Services.AddAuthorizationBuilder()
            .SetFallbackPolicy(new AuthorizationPolicyBuilder().RequireAuthenticatedUser().Build())
            .AddPolicy(Policies.Viewer, p => p.RequireAuthenticatedUser().RequireRole(RolesAtLeast(Role.Viewer)))
            .AddPolicy(Policies.Responder, p => p.RequireAuthenticatedUser().RequireRole(RolesAtLeast(Role.Responder)))
            .AddPolicy(Policies.IncidentManager, p => p.RequireAuthenticatedUser().RequireRole(RolesAtLeast(Role.IncidentManager)))
            .AddPolicy(Policies.Admin, p => p.RequireAuthenticatedUser().RequireRole(RolesAtLeast(Role.Admin)));
        builder.Services.AddCascadingAuthenticationState();
        return builder;
    }

    private static string[] RolesAtLeast(Role role) => Enum.GetValues<Role>().Where(r => r >= role).Select(r => r.Name()).ToArray();

    /// <summary>APIs (and their OpenAPI document) answer 401/403; pages redirect to the login page.</summary>
    private static Task Deny(RedirectContext<CookieAuthenticationOptions> context, int status)
    {
        if (context.Request.Path.StartsWithSegments("/api") || context.Request.Path.StartsWithSegments("/openapi"))
        {
            context.Response.StatusCode = status;
            return Task.CompletedTask;
        }
        context.Response.Redirect(context.RedirectUri);
        return Task.CompletedTask;
    }

    /// <summary>A disabled, deleted or re-roled user loses the old cookie at the next request.</summary>
    private static async Task ValidateUserAsync(CookieValidatePrincipalContext context)
    {
        if (!Guid.TryParse(context.Principal?.FindFirstValue(ClaimTypes.NameIdentifier), out var id))
        {
            context.RejectPrincipal();
            return;
        }
        var factory = context.HttpContext.RequestServices.GetRequiredService<IDbContextFactory<FirebreakDbContext>>();
        await using var db = await factory.CreateDbContextAsync(context.HttpContext.RequestAborted);
        var user = await db.Users.IgnoreQueryFilters().AsNoTracking().SingleOrDefaultAsync(u => u.Id == id, context.HttpContext.RequestAborted);
        if (user is null || user.Disabled || user.Role.Name() != context.Principal!.FindFirstValue(ClaimTypes.Role))
        {
            context.RejectPrincipal();
            await context.HttpContext.SignOutAsync(CookieAuthenticationDefaults.AuthenticationScheme);
        }
    }

    /// <summary>Copies the authenticated principal into the request's actor, which the DbContext reads.</summary>
    public static IApplicationBuilder UseCurrentActor(this IApplicationBuilder app) => app.Use(async (context, next) =>
    {
        FirebreakClaims.Apply(context.User, context.RequestServices.GetRequiredService<CurrentActor>());
        await next(context);
    });
}
