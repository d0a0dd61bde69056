using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Firebreak.Core.Response;
using Google.Apis.Auth.OAuth2;
using Microsoft.Extensions.Logging;

namespace Firebreak.Cloud.Gcp;

/// <summary>
/// An error a Google API returned: the canonical status (PERMISSION_DENIED, NOT_FOUND, RESOURCE_EXHAUSTED), the
/// first error's reason (forbidden, notFound, alreadyExists) and the message; or a long-running operation that
/// finished with errors (QUOTA_EXCEEDED, RESOURCE_NOT_READY).
/// </summary>
internal sealed class GcpApiException(string operation, int httpStatus, string code, string? reason, string message) : Exception($"{operation}: {code}: {message}")
{
    public string Operation { get; } = operation;
    public int HttpStatus { get; } = httpStatus;
    public string Code { get; } = code;
    public string? Reason { get; } = reason;
    public string ErrorMessage { get; } = message;
}

/// <summary>
/// JSON calls to the Compute Engine v1 and IAM v1 REST APIs with a bearer token from Google.Apis.Auth, retried
/// with backoff on 429 and 503 (honouring Retry-After), and Compute's long-running operations polled until DONE.
/// Bodies, tokens and query values are never logged: a line names the operation, method, path and status.
/// </summary>
internal sealed partial class GcpRestClient(HttpClient http, ITokenAccess credential, GcpSettings settings, ILogger<GcpRestClient> logger)
{
    public Task<JsonElement> GetAsync(string operation, Uri url, CancellationToken cancellationToken) =>
        SendAsync(operation, HttpMethod.Get, url, null, cancellationToken);

    public Task<JsonElement> PostAsync(string operation, Uri url, JsonNode? body, CancellationToken cancellationToken) =>
        SendAsync(operation, HttpMethod.Post, url, body ?? new JsonObject(), cancellationToken);

    public Task<JsonElement> DeleteAsync(string operation, Uri url, CancellationToken cancellationToken) =>
        SendAsync(operation, HttpMethod.Delete, url, null, cancellationToken);

    /// <summary>A read that may find nothing: null for 404, the error otherwise.</summary>
    public async Task<JsonElement?> FindAsync(string operation, Uri url, CancellationToken cancellationToken)
    {
        try
        {
            return await GetAsync(operation, url, cancellationToken);
        }
        catch (GcpApiException e) when (e.HttpStatus == 404)
        {
            return null;
        }
    }

    public async Task<JsonElement> SendAsync(string operation, HttpMethod method, Uri url, JsonNode? body, CancellationToken cancellationToken)
    {
        var payload = body?.ToJsonString();
        for (var attempt = 0; ; attempt++)
        {
            string token;
            try
            {
                token = await credential.GetAccessTokenForRequestAsync(url.AbsoluteUri, cancellationToken);
            }
            catch (Exception e) when (e is not OperationCanceledException and not CloudCallException)
            {
                throw GcpSessions.TokenFailure(e);
            }
            using var request = new HttpRequestMessage(method, url);
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
            if (payload is not null) request.Content = new StringContent(payload, Encoding.UTF8, "application/json");
            using var response = await http.SendAsync(request, cancellationToken);
            var text = await response.Content.ReadAsStringAsync(cancellationToken);
            var status = (int)response.StatusCode;
            LogCall(logger, operation, method.Method, url.AbsolutePath, status, attempt + 1);
            if (response.IsSuccessStatusCode)
                return text.Length == 0 ? JsonDocument.Parse("{}").RootElement.Clone() : Parse(operation, status, text);
            var error = Error(operation, status, text);
            var delay = RetryDelay(response, attempt);
            if (response.StatusCode is not (HttpStatusCode.TooManyRequests or HttpStatusCode.ServiceUnavailable) || attempt >= settings.MaxRetries || delay > settings.MaxRetryDelay)
                throw error;
            // Real time, not the injected clock: the clock stamps tokens, the wait is a wait.
            await Task.Delay(delay, cancellationToken);
        }
    }

    /// <summary>
    /// Waits for a Compute operation (zonal, regional or global, by the operation's own fields) to be DONE.
    /// A DONE operation with errors throws <see cref="GcpApiException"/> with the first error's code.
    /// </summary>
    public async Task<JsonElement> WaitAsync(GcpSession session, JsonElement operation, CancellationToken cancellationToken)
    {
        var name = operation.Str("name") ?? throw new GcpApiException("compute:operation", 0, "MALFORMED", null, "The response is not an operation.");
        var scope = operation.Str("zone") is { } zone ? $"zones/{GcpJson.Name(zone)}"
            : operation.Str("region") is { } region ? $"regions/{GcpJson.Name(region)}"
            : "global";
        var kind = scope == "global" ? "globalOperations" : scope.StartsWith("zones/", StringComparison.Ordinal) ? "zoneOperations" : "regionOperations";
        // The operation's own link names its project (a Shared VPC host project for firewall rules); only its path is used.
        var url = operation.Str("selfLink") is { } self && self.IndexOf("projects/", StringComparison.Ordinal) is var at and >= 0
            ? session.Compute(self[at..])
            : session.Compute($"projects/{session.Project}/{scope}/operations/{name}");
        var started = DateTimeOffset.UtcNow;
        var current = operation;
        while (current.Str("status") != "DONE")
        {
            if (DateTimeOffset.UtcNow - started > settings.OperationTimeout)
                throw new GcpApiException($"compute:{kind}.get", 0, "OPERATION_TIMEOUT", null,
                    $"Operation {name} was still {current.Str("status")} after {settings.OperationTimeout.TotalSeconds:0} s; it may still complete.");
            await Task.Delay(settings.OperationPollInterval, cancellationToken);
            current = await GetAsync($"compute:{kind}.get", url, cancellationToken);
        }
        if (current.TryGetProperty("error", out var errors) && errors.TryGetProperty("errors", out var list) && list.GetArrayLength() > 0)
        {
            var first = list[0];
            var messages = string.Join("; ", list.EnumerateArray().Select(e => e.Str("message")).Where(m => m is not null));
            throw new GcpApiException($"compute:{current.Str("operationType") ?? "operation"}", current.TryGetProperty("httpErrorStatusCode", out var code) ? code.GetInt32() : 0,
                first.Str("code") ?? "OPERATION_FAILED", null, $"operation {name} failed: {messages}");
        }
        return current;
    }

    private TimeSpan RetryDelay(HttpResponseMessage response, int attempt)
    {
        var retryAfter = response.Headers.RetryAfter;
        if (retryAfter?.Delta is { } delta) return delta;
        if (retryAfter?.Date is { } date) return date - DateTimeOffset.UtcNow is { } wait && wait > TimeSpan.Zero ? wait : TimeSpan.Zero;
        return settings.RetryBaseDelay * Math.Pow(2, attempt) * (0.5 + Random.Shared.NextDouble() / 2);
    }

    private static JsonElement Parse(string operation, int status, string text)
    {
        try
        {
            using var document = JsonDocument.Parse(text);
            return document.RootElement.Clone();
        }
        catch (JsonException)
        {
            throw new GcpApiException(operation, status, "MALFORMED", null, $"HTTP {status} with a body that is not JSON.");
        }
    }

    /// <summary>Google's error body: {"error":{"code":403,"message":"…","status":"PERMISSION_DENIED","errors":[{"reason":"forbidden"}]}}.</summary>
    private static GcpApiException Error(string operation, int status, string text)
    {
        try
        {
            using var document = JsonDocument.Parse(text);
            if (document.RootElement.ValueKind == JsonValueKind.Object && document.RootElement.TryGetProperty("error", out var error) && error.ValueKind == JsonValueKind.Object)
            {
                var reason = error.TryGetProperty("errors", out var errors) && errors.ValueKind == JsonValueKind.Array && errors.GetArrayLength() > 0 ? errors[0].Str("reason") : null;
                // Compute's errors carry no status; IAM's do. Both carry the HTTP code.
                var code = error.Str("status") ?? StatusCodes.Canonical(status);
                var message = error.Str("message") ?? "";
                return new GcpApiException(operation, status, code, reason, reason is null ? message : $"{message} (reason: {reason})");
            }
        }
        catch (JsonException)
        {
            // Not JSON (a proxy's page): the status alone.
        }
        return new GcpApiException(operation, status, StatusCodes.Canonical(status), null, $"HTTP {status} without a Google error body.");
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "GCP {Operation}: {Method} {Path} answered {Status} (attempt {Attempt})")]
    private static partial void LogCall(ILogger logger, string operation, string method, string path, int status, int attempt);
}

internal static class GcpJson
{
    public static string? Str(this JsonElement element, string name) =>
        element.ValueKind == JsonValueKind.Object && element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;

    public static bool Bool(this JsonElement element, string name) =>
        element.ValueKind == JsonValueKind.Object && element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.True;

    public static IEnumerable<JsonElement> Items(this JsonElement element, string name) =>
        element.ValueKind == JsonValueKind.Object && element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.Array ? value.EnumerateArray() : [];

    public static JsonElement Obj(this JsonElement element, string name) =>
        element.ValueKind == JsonValueKind.Object && element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.Object ? value : default;

    /// <summary>The last segment of a Compute URL (…/networks/default → default).</summary>
    public static string Name(string url) => url[(url.LastIndexOf('/') + 1)..];
}
