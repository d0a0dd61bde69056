using System.Globalization;
using System.Security.Claims;
using System.Threading.RateLimiting;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.RateLimiting;

namespace Firebreak.Server.Api;

/// <summary>
/// Per-caller request budgets: a token bucket per API key or user (or address when anonymous), and a
/// tight one for password sign-in. Settings under Firebreak:RateLimit.
/// </summary>
internal static class RateLimits
{
    public const string ApiPolicy = "api";
    public const string LoginPolicy = "login";

    public static WebApplicationBuilder AddFirebreakRateLimits(this WebApplicationBuilder builder)
    {
        var perSecond = builder.Configuration.GetValue("Firebreak:RateLimit:RequestsPerSecond", 500);
        var burst = builder.Configuration.GetValue("Firebreak:RateLimit:Burst", 1000);
        var loginsPerMinute = builder.Configuration.GetValue("Firebreak:RateLimit:LoginsPerMinute", 20);
        builder.Services.AddRateLimiter(o =>
        {
            o.AddPolicy(ApiPolicy, context => RateLimitPartition.GetTokenBucketLimiter(CallerKey(context), _ => new TokenBucketRateLimiterOptions
            {
                TokenLimit = burst,
                TokensPerPeriod = perSecond,
                ReplenishmentPeriod = TimeSpan.FromSeconds(1),
                QueueLimit = 0,
                AutoReplenishment = true,
            }));
            o.AddPolicy(LoginPolicy, context => RateLimitPartition.GetFixedWindowLimiter(
                context.Connection.RemoteIpAddress?.ToString() ?? "unknown", _ => new FixedWindowRateLimiterOptions
                {
                    PermitLimit = loginsPerMinute,
                    Window = TimeSpan.FromMinutes(1),
                    QueueLimit = 0,
                }));
            o.OnRejected = async (context, cancellationToken) =>
            {
                var http = context.HttpContext;
                var retryAfter = context.Lease.TryGetMetadata(MetadataName.RetryAfter, out var wait) ? Math.Max(1, (int)Math.Ceiling(wait.TotalSeconds)) : 1;
                http.Response.StatusCode = StatusCodes.Status429TooManyRequests;
                http.Response.Headers.RetryAfter = retryAfter.ToString(CultureInfo.InvariantCulture);
                await http.RequestServices.GetRequiredService<IProblemDetailsService>().TryWriteAsync(new ProblemDetailsContext
                {
                    HttpContext = http,
                    ProblemDetails = new ProblemDetails
                    {
                        Status = StatusCodes.Status429TooManyRequests,
                        Title = "Too many requests",
                        Detail = $"Slow down and retry after {retryAfter} s.",
                    },
                });
            };
        });
        return builder;
    }

    private static string CallerKey(HttpContext context) =>
        context.User.FindFirstValue(ClaimTypes.NameIdentifier) ?? "ip:" + (context.Connection.RemoteIpAddress?.ToString() ?? "unknown");
}
