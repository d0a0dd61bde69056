using System.Text.Json;
using Firebreak.Core.Alerts;
using Firebreak.Core.Common;
using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Mvc;

namespace Firebreak.Server.Api;

/// <summary>
/// The one place errors become ProblemDetails: the closed set of domain exceptions, bad request bodies
/// (naming the JSON path), and bare status codes (401, 403, 404, 405, 413, 415) from the framework.
/// Nothing from an unexpected exception reaches the client outside Development.
/// </summary>
internal sealed class ProblemExceptionHandler(IProblemDetailsService problems, ILogger<ProblemExceptionHandler> logger, IHostEnvironment environment)
    : IExceptionHandler
{
    public async ValueTask<bool> TryHandleAsync(HttpContext context, Exception exception, CancellationToken cancellationToken)
    {
        var problem = exception switch
        {
            ValidationFailedException v => new HttpValidationProblemDetails(v.Errors.ToDictionary(e => e.Key, e => e.Value))
            {
                Status = StatusCodes.Status400BadRequest,
                Title = "One or more fields are invalid.",
            },
            NotFoundException n => Problem(StatusCodes.Status404NotFound, "Not found", n.Message),
            ConflictException c => Problem(StatusCodes.Status409Conflict, "Conflict", c.Message),
            ConcurrencyConflictException c => Problem(StatusCodes.Status409Conflict, "Concurrent update", c.Message),
            ForbiddenException f => Problem(StatusCodes.Status403Forbidden, "Forbidden", f.Message),
            BadHttpRequestException b => FromBadRequest(b),
            AlertFormatException { UnsupportedVersion: true } f => Problem(StatusCodes.Status422UnprocessableEntity, "Unsupported format version", f.Message),
            AlertFormatException f => new HttpValidationProblemDetails(new Dictionary<string, string[]> { [f.Path ?? "$"] = [f.Message] })
            {
                Status = StatusCodes.Status400BadRequest,
                Title = "The payload could not be read.",
                Detail = f.Path is null ? f.Message : $"Problem at {f.Path}.",
            },
            Firebreak.Core.ThreatIntel.FeedFormatException f => new HttpValidationProblemDetails(new Dictionary<string, string[]> { ["body"] = [f.Message] })
            {
                Status = StatusCodes.Status400BadRequest,
                Title = "The feed document could not be read.",
                Detail = f.Message,
            },
            IntakeBusyException busy => Busy(context, busy),
            Firebreak.Core.Evidence.EvidenceStorageException storage => Problem(StatusCodes.Status507InsufficientStorage, "Insufficient storage", storage.Message),
            Firebreak.Core.Evidence.EvidenceStoreUnavailableException store => Problem(StatusCodes.Status503ServiceUnavailable, "Evidence store unavailable", store.Message),
            _ => null,
        };
        if (problem is null)
        {
            logger.LogError(exception, "Unhandled exception on {Method} {Path}", context.Request.Method, context.Request.Path);
            problem = Problem(StatusCodes.Status500InternalServerError, "An unexpected error occurred.",
                environment.IsDevelopment() ? exception.Message : "The error was logged. Quote the trace id when reporting it.");
        }
        context.Response.StatusCode = problem.Status!.Value;
        return await problems.TryWriteAsync(new ProblemDetailsContext { HttpContext = context, ProblemDetails = problem, Exception = exception });
    }

    private static ProblemDetails Busy(HttpContext context, IntakeBusyException busy)
    {
        context.Response.Headers.RetryAfter = Math.Max(1, (int)Math.Ceiling(busy.RetryAfter.TotalSeconds)).ToString(System.Globalization.CultureInfo.InvariantCulture);
        return Problem(StatusCodes.Status429TooManyRequests, "Too many requests", busy.Message);
    }

    private static ProblemDetails FromBadRequest(BadHttpRequestException exception)
    {
        if (exception.StatusCode == StatusCodes.Status413PayloadTooLarge)
            return Problem(StatusCodes.Status413PayloadTooLarge, "Payload too large", "The request body is larger than this endpoint accepts.");
        if (exception.StatusCode == StatusCodes.Status415UnsupportedMediaType)
            return Problem(StatusCodes.Status415UnsupportedMediaType, "Unsupported media type",
                exception.Message.StartsWith("Send ", StringComparison.Ordinal) ? exception.Message : "Send application/json.");
        if (exception.InnerException is JsonException json)
        {
            var path = string.IsNullOrEmpty(json.Path) ? "$" : json.Path;
            return new HttpValidationProblemDetails(new Dictionary<string, string[]> { [path] = [JsonMessage(json)] })
            {
                Status = StatusCodes.Status400BadRequest,
                Title = "The request body is not valid JSON for this endpoint.",
                Detail = $"Problem at {path}.",
            };
        }
        return Problem(exception.StatusCode, "Bad request", BadRequestDetail(exception));
    }

    // System.Text.Json messages name .NET types; keep the part that helps a caller.
    private static string JsonMessage(JsonException json) =>
        json.Message.Contains("could not be converted", StringComparison.Ordinal) ? "The value has the wrong type or is not one of the allowed values."
        : json.Message.Split(" Path:", 2)[0];

    private static string BadRequestDetail(BadHttpRequestException exception) =>
        exception.Message.StartsWith("Required parameter", StringComparison.Ordinal) || exception.Message.StartsWith("Failed to bind", StringComparison.Ordinal)
        || exception.Message.StartsWith("Implicit body", StringComparison.Ordinal)
            ? exception.Message
            : "The request could not be read.";

    private static ProblemDetails Problem(int status, string title, string detail) => new() { Status = status, Title = title, Detail = detail };
}

internal static class ErrorHandling
{
    public static WebApplicationBuilder AddFirebreakProblemDetails(this WebApplicationBuilder builder)
    {
        builder.Services.AddProblemDetails(o => o.CustomizeProblemDetails = context =>
        {
            context.ProblemDetails.Instance ??= context.HttpContext.Request.Path;
            context.ProblemDetails.Extensions["traceId"] = context.HttpContext.Features.Get<IHttpActivityFeature>()?.Activity?.Id ?? context.HttpContext.TraceIdentifier;
        });
        builder.Services.AddExceptionHandler<ProblemExceptionHandler>();
        // Let binding failures reach the handler above, so a malformed body is named, not a bare 400.
        builder.Services.Configure<RouteHandlerOptions>(o => o.ThrowOnBadRequest = true);
        return builder;
    }

    /// <summary>Bare status codes from the framework get a ProblemDetails body on API routes.</summary>
    public static IApplicationBuilder UseProblemStatusCodes(this IApplicationBuilder app) =>
        app.UseStatusCodePages(async context =>
        {
            var http = context.HttpContext;
            if (!http.Request.Path.StartsWithSegments("/api") && !http.Request.Path.StartsWithSegments("/health")) return;
            var problems = http.RequestServices.GetRequiredService<IProblemDetailsService>();
            await problems.TryWriteAsync(new ProblemDetailsContext
            {
                HttpContext = http,
                ProblemDetails = new ProblemDetails
                {
                    Status = http.Response.StatusCode,
                    Title = http.Response.StatusCode switch
                    {
                        401 => "Authentication required",
                        403 => "Forbidden",
                        404 => "Not found",
                        405 => "Method not allowed",
                        413 => "Payload too large",
                        415 => "Unsupported media type",
                        _ => null,
                    },
                    Detail = http.Response.StatusCode switch
                    {
                        401 => "Sign in, or send an API key as 'Authorization: Bearer <key>'.",
                        403 => "Your role does not allow this operation.",
                        // Routing refused the content type before any endpoint ran, so which one it wanted is not known here.
                        415 => $"This endpoint does not take '{http.Request.ContentType ?? "no content type"}': requests with a JSON body take application/json, "
                            + "file uploads application/octet-stream (the OpenAPI document at /openapi/v1.json lists each endpoint's).",
                        _ => null,
                    },
                },
            });
        });
}
