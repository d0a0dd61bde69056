using System.Text.Encodings.Web;
using Firebreak.Core.Identity;
using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.Options;

namespace Firebreak.Server.Identity;

/// <summary>Authenticates tools by "Authorization: Bearer fbk_..." or "X-Api-Key: fbk_...".</summary>
internal sealed class ApiKeyAuthenticationHandler(
    IOptionsMonitor<AuthenticationSchemeOptions> options,
    ILoggerFactory logger,
    UrlEncoder encoder,
    ApiKeyAuthenticationCache recent,
    TimeProvider time)
    : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
{
    public const string SchemeName = "ApiKey";
    public const string HeaderName = "X-Api-Key";

    public static bool HasKey(HttpRequest request) =>
        request.Headers.ContainsKey(HeaderName)
        || request.Headers.Authorization.ToString().StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase);

    protected override async Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        var presented = Request.Headers[HeaderName].ToString();
        if (string.IsNullOrEmpty(presented))
        {
            var authorization = Request.Headers.Authorization.ToString();
            if (!authorization.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase)) return AuthenticateResult.NoResult();
            presented = authorization["Bearer ".Length..].Trim();
        }
        // A key seen in the last few seconds needs no database work, nor even a database context for this request.
        var key = recent.FindRecent(presented, time.GetUtcNow())
            ?? await Context.RequestServices.GetRequiredService<ApiKeyService>().AuthenticateAsync(presented, Context.RequestAborted);
        if (key is null)
        {
            // Never echo the presented key: it may be a real secret typed into the wrong place.
            return AuthenticateResult.Fail("Invalid, expired or revoked API key.");
        }
        return AuthenticateResult.Success(new AuthenticationTicket(FirebreakClaims.ForApiKey(key, SchemeName), SchemeName));
    }
}
