using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Net.Sockets;
using System.Text.Json;

namespace Firebreak.Cli.Client;

/// <summary>A response the server accepted: its JSON text (printed as-is for --json) and the same parsed.</summary>
internal sealed record ApiResponse(string Json)
{
    public T Read<T>() => JsonSerializer.Deserialize<T>(Json, FirebreakClient.Json)
        ?? throw new CliException(ExitCodes.Refused, "The server answered with an empty body.");
}

/// <summary>
/// The HTTP API as the CLI uses it: every failure becomes a <see cref="CliException"/> whose message
/// says what went wrong in the user's terms and whose exit code follows the documented convention.
/// </summary>
internal sealed class FirebreakClient(HttpClient http) : IDisposable
{
    public static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    public static FirebreakClient Create(string server, string apiKey)
    {
        if (!Uri.TryCreate(server, UriKind.Absolute, out var uri) || (uri.Scheme != Uri.UriSchemeHttp && uri.Scheme != Uri.UriSchemeHttps))
            throw new CliException(ExitCodes.Usage, $"--server must be an http:// or https:// URL, not '{server}'.");
        // Redirects are reported, not followed: one means --server is not the API's base URL (or a
        // proxy would turn a POST into a GET), and following it would hide that.
        var http = new HttpClient(new SocketsHttpHandler { AllowAutoRedirect = false })
        {
            BaseAddress = new Uri(uri.GetLeftPart(UriPartial.Path).TrimEnd('/') + "/"),
            Timeout = TimeSpan.FromSeconds(30),
        };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", apiKey);
        http.DefaultRequestHeaders.Accept.Add(new MediaTypeWithQualityHeaderValue("application/json"));
        return new FirebreakClient(http);
    }

    public Task<ApiResponse> GetAsync(string path, CancellationToken cancellationToken) =>
        SendAsync(new HttpRequestMessage(HttpMethod.Get, path), cancellationToken);

    public Task<ApiResponse> PostAsync(string path, object body, CancellationToken cancellationToken) =>
        SendAsync(new HttpRequestMessage(HttpMethod.Post, path) { Content = JsonContent.Create(body, options: Json) }, cancellationToken);

    private async Task<ApiResponse> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        using (request)
        {
            HttpResponseMessage response;
            try
            {
                response = await http.SendAsync(request, cancellationToken);
            }
            catch (HttpRequestException e)
            {
                throw Unreachable(Reason(e));
            }
            catch (TaskCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                throw Unreachable($"no answer within {http.Timeout.TotalSeconds:0} seconds");
            }
            using (response)
            {
                var text = await response.Content.ReadAsStringAsync(cancellationToken);
                if ((int)response.StatusCode is >= 300 and < 400)
                {
                    throw new CliException(ExitCodes.Usage,
                        $"{request.RequestUri} redirected to {response.Headers.Location}: point --server or FIREBREAK_URL at the Firebreak server's base URL.");
                }
                if (response.IsSuccessStatusCode && !IsJson(response))
                {
                    throw new CliException(ExitCodes.Usage,
                        $"{request.RequestUri} did not answer with JSON: point --server or FIREBREAK_URL at the Firebreak server's base URL.");
                }
                if (response.IsSuccessStatusCode) return new ApiResponse(text);
                throw Refused(response, text);
            }
        }
    }

    private static bool IsJson(HttpResponseMessage response) =>
        response.Content.Headers.ContentType?.MediaType?.Contains("json", StringComparison.OrdinalIgnoreCase) == true;

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
            HttpStatusCode.BadRequest or HttpStatusCode.UnprocessableEntity or HttpStatusCode.RequestEntityTooLarge =>
                new CliException(ExitCodes.Usage, said ?? $"The server rejected the input (HTTP {status}).", problem?.Errors),
            HttpStatusCode.TooManyRequests => new CliException(ExitCodes.Refused,
                "Rate limited by the server" + (response.Headers.RetryAfter?.Delta is { } wait ? $"; retry in {wait.TotalSeconds:0} seconds." : "; retry shortly.")),
            HttpStatusCode.NotFound when problem is null => new CliException(ExitCodes.Usage,
                $"{response.RequestMessage?.RequestUri} answered 404 without a Firebreak error: point --server or FIREBREAK_URL at the Firebreak server's base URL."),
            _ => new CliException(ExitCodes.Refused, said ?? $"The server answered HTTP {status} {response.ReasonPhrase}."),
        };
    }

    public void Dispose() => http.Dispose();

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
