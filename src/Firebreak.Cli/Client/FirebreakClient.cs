using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Net.Sockets;
using System.Text.Json;

namespace Firebreak.Cli.Client;

/// <summary>A response the server accepted: its JSON text (printed as-is for --json) and the same parsed; a playbook export is YAML text.</summary>
internal sealed record ApiResponse(string Json)
{
    // A field the answer leaves out or sets to null where the CLI needs one (`{}` for a list of alerts) is an answer
    // this CLI cannot read, not a null to fail on later.
    private static readonly JsonSerializerOptions Strict = new(FirebreakClient.Json) { RespectNullableAnnotations = true, RespectRequiredConstructorParameters = true };

    public T Read<T>()
    {
        try
        {
            return JsonSerializer.Deserialize<T>(Json, Strict)
                ?? throw new CliException(ExitCodes.Refused, "The server answered with an empty body.");
        }
        catch (JsonException e)
        {
            throw new CliException(ExitCodes.Usage, $"The server's answer is not what this command expects ({e.Message}); is --server a Firebreak server of this version?");
        }
    }
}

/// <summary>
/// The HTTP API as the CLI uses it: every failure becomes a <see cref="CliException"/> whose message
/// says what went wrong in the user's terms and whose exit code follows the documented convention.
/// </summary>
internal sealed class FirebreakClient(HttpClient http) : IDisposable
{
    public static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    /// <summary>How often a request the server turned away as busy (429) is tried again before giving up.</summary>
    public const int BusyRetries = 5;

    private static readonly TimeSpan LongestBusyWait = TimeSpan.FromSeconds(60);

    public static FirebreakClient Create(string server, string apiKey, TimeSpan? timeout = null)
    {
        if (!Uri.TryCreate(server, UriKind.Absolute, out var uri) || (uri.Scheme != Uri.UriSchemeHttp && uri.Scheme != Uri.UriSchemeHttps))
            throw new CliException(ExitCodes.Usage, $"--server must be an http:// or https:// URL, not '{server}'.");
        // Redirects are reported, not followed: one means --server is not the API's base URL (or a
        // proxy would turn a POST into a GET), and following it would hide that.
        var http = new HttpClient(new SocketsHttpHandler { AllowAutoRedirect = false })
        {
            BaseAddress = new Uri(uri.GetLeftPart(UriPartial.Path).TrimEnd('/') + "/"),
            Timeout = timeout ?? TimeSpan.FromSeconds(30),
        };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", apiKey);
        http.DefaultRequestHeaders.Accept.Add(new MediaTypeWithQualityHeaderValue("application/json"));
        return new FirebreakClient(http);
    }

    public Task<ApiResponse> GetAsync(string path, CancellationToken cancellationToken) =>
        SendAsync(() => new HttpRequestMessage(HttpMethod.Get, path), 0, cancellationToken);

    public Task<ApiResponse> PostAsync(string path, object body, CancellationToken cancellationToken) =>
        SendAsync(() => new HttpRequestMessage(HttpMethod.Post, path) { Content = JsonContent.Create(body, options: Json) }, 0, cancellationToken);

    /// <summary>A JSON body with any method; <paramref name="ifMatch"/> is the version last read, sent as If-Match.</summary>
    public Task<ApiResponse> SendJsonAsync(HttpMethod method, string path, object body, long? ifMatch, CancellationToken cancellationToken) =>
        SendAsync(() =>
        {
            var request = new HttpRequestMessage(method, path) { Content = JsonContent.Create(body, options: Json) };
            if (ifMatch is { } version) request.Headers.TryAddWithoutValidation("If-Match", $"\"{version.ToString(System.Globalization.CultureInfo.InvariantCulture)}\"");
            return request;
        }, 0, cancellationToken);

    /// <summary>A DELETE answered with 204 No Content; <paramref name="ifMatch"/> is the version last read.</summary>
    public async Task DeleteAsync(string path, long? ifMatch, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Delete, path);
        if (ifMatch is { } version) request.Headers.TryAddWithoutValidation("If-Match", $"\"{version.ToString(System.Globalization.CultureInfo.InvariantCulture)}\"");
        using var response = await TransmitAsync(request, HttpCompletionOption.ResponseContentRead, cancellationToken);
        var text = await response.Content.ReadAsStringAsync(cancellationToken);
        if (response.StatusCode == HttpStatusCode.NoContent) return;
        throw response.IsSuccessStatusCode ? Failure(request, response, text) : Refused(response, text);
    }

    /// <summary>A record that may not exist yet: null on a Firebreak 404, any other refusal as usual.</summary>
    public async Task<ApiResponse?> GetOptionalAsync(string path, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, path);
        using var response = await TransmitAsync(request, HttpCompletionOption.ResponseContentRead, cancellationToken);
        var text = await response.Content.ReadAsStringAsync(cancellationToken);
        if (response.StatusCode == HttpStatusCode.NotFound && Problem.TryParse(text, response.Content.Headers.ContentType?.MediaType) is not null) return null;
        if (response.IsSuccessStatusCode && IsJson(response)) return new ApiResponse(text);
        throw Failure(request, response, text);
    }

    /// <summary>
    /// Posts a body as it is (a native alert payload). A 429 is waited out and retried, up to
    /// <see cref="BusyRetries"/> times: intake answers 429 when its queue is full, which passes.
    /// </summary>
    public Task<ApiResponse> PostPayloadAsync(string path, ReadOnlyMemory<byte> body, string mediaType, string? idempotencyKey, CancellationToken cancellationToken) =>
        SendAsync(() =>
        {
            var content = new ReadOnlyMemoryContent(body);
            content.Headers.ContentType = new MediaTypeHeaderValue(mediaType);
            var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = content };
            if (idempotencyKey is not null) request.Headers.Add("Idempotency-Key", idempotencyKey);
            return request;
        }, BusyRetries, cancellationToken);

    /// <summary>
    /// Posts a stream as application/octet-stream without buffering it, so files far larger than memory
    /// can be sent. Not retried on 429: a stream read once cannot be sent again.
    /// </summary>
    public Task<ApiResponse> PostStreamAsync(string path, Stream body, long? length, CancellationToken cancellationToken)
    {
        var content = new StreamContent(body, 128 * 1024);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
        if (length is not null) content.Headers.ContentLength = length;
        return SendOnceAsync(new HttpRequestMessage(HttpMethod.Post, path) { Content = content }, cancellationToken);
    }

    /// <summary>
    /// Copies a successful response's body (a file, a zip) into <paramref name="destination"/> as it
    /// arrives; a refusal is reported like any other.
    /// </summary>
    public async Task<long> DownloadAsync(HttpRequestMessage request, Stream destination, CancellationToken cancellationToken)
    {
        using (request)
        {
            using var response = await TransmitAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken);
            if (!response.IsSuccessStatusCode || (int)response.StatusCode is >= 300 and < 400)
            {
                var text = await response.Content.ReadAsStringAsync(cancellationToken);
                throw Failure(request, response, text);
            }
            await using var body = await response.Content.ReadAsStreamAsync(cancellationToken);
            var before = destination.Position;
            await body.CopyToAsync(destination, 128 * 1024, cancellationToken);
            return destination.Position - before;
        }
    }

    public static HttpRequestMessage Get(string path) => new(HttpMethod.Get, path);

    public static HttpRequestMessage Post(string path, object body) =>
        new(HttpMethod.Post, path) { Content = JsonContent.Create(body, options: Json) };

    private async Task<ApiResponse> SendAsync(Func<HttpRequestMessage> create, int busyRetries, CancellationToken cancellationToken)
    {
        for (var attempt = 0; ; attempt++)
        {
            try
            {
                return await SendOnceAsync(create(), cancellationToken);
            }
            catch (BusyException busy) when (attempt < busyRetries)
            {
                await Task.Delay(busy.Wait, cancellationToken);
            }
            catch (BusyException busy)
            {
                throw busy.Failure;
            }
        }
    }

    private async Task<ApiResponse> SendOnceAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        using (request)
        {
            var response = await TransmitAsync(request, HttpCompletionOption.ResponseContentRead, cancellationToken);
            using (response)
            {
                var text = await response.Content.ReadAsStringAsync(cancellationToken);
                if ((int)response.StatusCode is >= 300 and < 400) throw Failure(request, response, text);
                if (response.IsSuccessStatusCode && !IsJson(response))
                {
                    throw new CliException(ExitCodes.Usage,
                        $"{request.RequestUri} did not answer with JSON: point --server or FIREBREAK_URL at the Firebreak server's base URL.");
                }
                if (response.IsSuccessStatusCode) return new ApiResponse(text);
                if (response.StatusCode == HttpStatusCode.TooManyRequests)
                {
                    var wait = response.Headers.RetryAfter?.Delta ?? TimeSpan.FromSeconds(1);
                    throw new BusyException(wait < TimeSpan.Zero ? TimeSpan.Zero : wait > LongestBusyWait ? LongestBusyWait : wait, Refused(response, text));
                }
                throw Refused(response, text);
            }
        }
    }

    private async Task<HttpResponseMessage> TransmitAsync(HttpRequestMessage request, HttpCompletionOption completion, CancellationToken cancellationToken)
    {
        try
        {
            return await http.SendAsync(request, completion, cancellationToken);
        }
        catch (HttpRequestException e)
        {
            throw Unreachable(Reason(e));
        }
        catch (TaskCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            throw Unreachable($"no answer within {http.Timeout.TotalSeconds:0} seconds");
        }
    }

    private static CliException Failure(HttpRequestMessage request, HttpResponseMessage response, string text) =>
        (int)response.StatusCode is >= 300 and < 400
            ? new CliException(ExitCodes.Usage,
                $"{request.RequestUri} redirected to {response.Headers.Location}: point --server or FIREBREAK_URL at the Firebreak server's base URL.")
            : Refused(response, text);

    private static bool IsJson(HttpResponseMessage response) =>
        response.Content.Headers.ContentType?.MediaType is { } type && (type.Contains("json", StringComparison.OrdinalIgnoreCase) || type.Contains("yaml", StringComparison.OrdinalIgnoreCase));

    private CliException Unreachable(string reason) => new(ExitCodes.Usage,
        $"Cannot reach the Firebreak server at {http.BaseAddress}: {reason}. Is 'firebreak serve' running there? Point --server or FIREBREAK_URL at it.");

    private static string Reason(HttpRequestException e) => e.InnerException switch
    {
        SocketException { SocketErrorCode: SocketError.ConnectionRefused } => "connection refused",
        SocketException { SocketErrorCode: SocketError.HostNotFound or SocketError.NoData or SocketError.TryAgain } => "host not found",
        SocketException s => s.Message,
        _ => e.HttpRequestError switch
        {
            HttpRequestError.NameResolutionError => "host not found",
            HttpRequestError.SecureConnectionError => "TLS handshake failed",
            _ => e.Message,
        },
    };

    private static CliException Refused(HttpResponseMessage response, string body)
    {
        var problem = Problem.TryParse(body, response.Content.Headers.ContentType?.MediaType);
        var status = (int)response.StatusCode;
        var said = problem?.Describe();
        return response.StatusCode switch
        {
            HttpStatusCode.Unauthorized => new CliException(ExitCodes.Refused,
                "The server refused the API key: it is invalid, expired or revoked. Create a new one with 'firebreak admin create-api-key'."),
            HttpStatusCode.Forbidden => new CliException(ExitCodes.Refused,
                "Forbidden: the API key's role does not allow this." + (problem?.Detail is { } d && !d.StartsWith("Your role", StringComparison.Ordinal) ? " " + d : "")),
            HttpStatusCode.RequestEntityTooLarge => new CliException(ExitCodes.Usage,
                "The server refused the request as too large (HTTP 413). Split the input into smaller files and send each one."),
            HttpStatusCode.BadRequest or HttpStatusCode.UnprocessableEntity =>
                new CliException(ExitCodes.Usage, said ?? $"The server rejected the input (HTTP {status}).", problem?.Errors),
            HttpStatusCode.TooManyRequests => new CliException(ExitCodes.Refused,
                "Rate limited by the server" + (response.Headers.RetryAfter?.Delta is { } wait ? $"; retry in {wait.TotalSeconds:0} seconds." : "; retry shortly.")),
            HttpStatusCode.NotFound when problem is null => new CliException(ExitCodes.Usage,
                $"{response.RequestMessage?.RequestUri} answered 404 without a Firebreak error: point --server or FIREBREAK_URL at the Firebreak server's base URL."),
            _ => new CliException(ExitCodes.Refused, said ?? $"The server answered HTTP {status} {response.ReasonPhrase}."),
        };
    }

    public void Dispose() => http.Dispose();

    /// <summary>A 429: carries the wait the server asked for, and what to report if retries run out.</summary>
    private sealed class BusyException(TimeSpan wait, CliException failure) : Exception(failure.Message)
    {
        public TimeSpan Wait { get; } = wait;
        public CliException Failure { get; } = failure;
    }

    private sealed record Problem(string? Title, string? Detail, Dictionary<string, string[]>? Errors)
    {
        public static Problem? TryParse(string body, string? mediaType)
        {
            if (mediaType is null || !mediaType.Contains("json", StringComparison.OrdinalIgnoreCase)) return null;
            try
            {
                return JsonSerializer.Deserialize<Problem>(body, Json);
            }
            catch (JsonException)
            {
                return null;
            }
        }

        public string? Describe() => (Title, Detail) switch
        {
            (null, null) => null,
            ({ } t, null) => t,
            (null, { } d) => d,
            ({ } t, { } d) => $"{t.TrimEnd('.')}: {d}",
        };
    }
}
