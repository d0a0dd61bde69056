using Firebreak.Core.Identity;
using Firebreak.Server.Api;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;

namespace Firebreak.Server.Identity;

/// <summary>Browser sign-in and sign-out: HTML form posts with antiforgery tokens.</summary>
internal static class AccountEndpoints
{
    public static IEndpointRouteBuilder MapAccountEndpoints(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/account").ExcludeFromDescription();
        group.MapPost("/login", LoginAsync).AllowAnonymous().DisableRateLimiting().RequireRateLimiting(RateLimits.LoginPolicy);
        group.MapPost("/logout", LogoutAsync).RequireAuthorization();
        return app;
    }

    internal static async Task<RedirectHttpResult> LoginAsync(HttpContext context, [FromForm] string? email, [FromForm] string? password, [FromForm] string? returnUrl, LoginService login)
    {
        var target = IsLocal(returnUrl) ? returnUrl! : "/incidents";
        if (string.IsNullOrWhiteSpace(email) || string.IsNullOrEmpty(password) || email.Length > 320 || password.Length > 256)
            return TypedResults.Redirect(LoginPage("missing", target));
        var result = await login.PasswordSignInAsync(email, password, context.RequestAborted);
        switch (result.Outcome)
        {
            case LoginOutcome.Succeeded:
                await context.SignInAsync(CookieAuthenticationDefaults.AuthenticationScheme,
                    FirebreakClaims.ForUser(result.User!, CookieAuthenticationDefaults.AuthenticationScheme));
                return TypedResults.Redirect(target);
            case LoginOutcome.LockedOut:
                return TypedResults.Redirect(LoginPage("locked", target));
            default:
                return TypedResults.Redirect(LoginPage("failed", target));
        }
    }

    private static async Task<RedirectHttpResult> LogoutAsync(HttpContext context, CancellationToken cancellationToken)
    {
        await context.SignOutAsync(CookieAuthenticationDefaults.AuthenticationScheme);
        return TypedResults.Redirect("/login");
    }

    private static string LoginPage(string error, string returnUrl) =>
        $"/login?error={error}&returnUrl={Uri.EscapeDataString(returnUrl)}";

    /// <summary>Only same-site paths: an open redirect would let a phishing link borrow our login page.</summary>
    private static bool IsLocal(string? url) =>
        !string.IsNullOrEmpty(url) && url[0] == '/' && (url.Length == 1 || (url[1] != '/' && url[1] != '\\'));
}
