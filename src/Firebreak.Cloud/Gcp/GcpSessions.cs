using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Firebreak.Core.Common;
using Firebreak.Core.Response;
using Google.Apis.Auth.OAuth2;
using Google.Apis.Auth.OAuth2.Responses;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging;

namespace Firebreak.Cloud.Gcp;

/// <summary>
/// One GCP project Firebreak may act in, optionally bound to one tenant. By default the server's own identity
/// (application default credentials: an attached service account or workload identity federation) is used,
/// optionally impersonating a responder service account. A service-account JSON key, when one must be stored,
/// is kept only in its Data Protection protected form.
/// </summary>
internal sealed record GcpProject(string Id, Guid? TenantId, string? ImpersonateServiceAccount, string? ProtectedServiceAccountKey);

internal sealed class GcpSettings
{
    public const string Section = "Firebreak:Gcp";
    public const string CloudPlatformScope = "https://www.googleapis.com/auth/cloud-platform";

    public Uri ComputeUrl { get; init; } = new("https://compute.googleapis.com/compute/v1/");
    public Uri IamUrl { get; init; } = new("https://iam.googleapis.com/v1/");
    public Uri IamCredentialsUrl { get; init; } = new("https://iamcredentials.googleapis.com/v1/");

    /// <summary>The OAuth 2.0 token endpoint a stored key's signed assertion goes to; null keeps the key file's (Google's).</summary>
    public Uri? TokenUrl { get; init; }

    public int MaxRetries { get; init; } = 4;
    public TimeSpan RetryBaseDelay { get; init; } = TimeSpan.FromMilliseconds(500);

    /// <summary>The longest Retry-After Firebreak waits for; a longer one ends the retries.</summary>
    public TimeSpan MaxRetryDelay { get; init; } = TimeSpan.FromSeconds(30);

    public TimeSpan OperationPollInterval { get; init; } = TimeSpan.FromSeconds(1);
    public TimeSpan OperationTimeout { get; init; } = TimeSpan.FromMinutes(5);
    public IReadOnlyDictionary<string, GcpProject> Projects { get; init; } = new Dictionary<string, GcpProject>();

    public static GcpSettings From(IConfiguration configuration)
    {
        var section = configuration.GetSection(Section);
        var projects = new Dictionary<string, GcpProject>(StringComparer.Ordinal);
        foreach (var project in section.GetSection("Projects").GetChildren())
            projects[project.Key] = new GcpProject(project.Key, Guid.TryParse(project["TenantId"], out var tenant) ? tenant : null,
                project["ImpersonateServiceAccount"] is { Length: > 0 } sa ? sa : null,
                project["ProtectedServiceAccountKey"] is { Length: > 0 } key ? key : null);
        return new GcpSettings
        {
            ComputeUrl = BaseUrl(section, "ComputeUrl", "https://compute.googleapis.com/compute/v1/"),
            IamUrl = BaseUrl(section, "IamUrl", "https://iam.googleapis.com/v1/"),
            IamCredentialsUrl = BaseUrl(section, "IamCredentialsUrl", "https://iamcredentials.googleapis.com/v1/"),
            TokenUrl = section["TokenUrl"] is { Length: > 0 } token ? Absolute("TokenUrl", token) : null,
            MaxRetries = section.GetValue("MaxRetries", 4),
            RetryBaseDelay = TimeSpan.FromMilliseconds(section.GetValue("RetryBaseDelayMilliseconds", 500)),
            MaxRetryDelay = TimeSpan.FromSeconds(section.GetValue("MaxRetryDelaySeconds", 30)),
            OperationPollInterval = TimeSpan.FromMilliseconds(section.GetValue("OperationPollMilliseconds", 1000)),
            OperationTimeout = TimeSpan.FromSeconds(section.GetValue("OperationTimeoutSeconds", 300)),
            Projects = projects,
        };
    }

    private static Uri BaseUrl(IConfiguration section, string key, string fallback)
    {
        var value = section[key] is { Length: > 0 } v ? v : fallback;
        var uri = Absolute(key, value);
        return uri.AbsoluteUri.EndsWith('/') ? uri : new Uri(uri.AbsoluteUri + "/");
    }

    private static Uri Absolute(string key, string value) =>
        Uri.TryCreate(value, UriKind.Absolute, out var uri) && uri.Scheme is "https" or "http"
            ? uri
            : throw new InvalidOperationException($"{Section}:{key} must be an absolute http(s) URL.");
}

/// <summary>The REST clients of one project, on its credential.</summary>
internal sealed class GcpSession(string project, GcpSettings settings, GcpRestClient rest)
{
    public string Project { get; } = project;
    public GcpSettings Settings { get; } = settings;
    public GcpRestClient Rest { get; } = rest;

    public Uri Compute(string path) => new(Settings.ComputeUrl, path);

    public Uri Iam(string path) => new(Settings.IamUrl, path);
}

/// <summary>
/// Opens sessions: finds the project's configuration (refusing projects bound to another tenant), builds its
/// credential once (application default credentials, or the stored key unprotected in memory only), optionally
/// impersonating a responder service account, and leaves token caching and refresh to Google.Apis.Auth.
/// </summary>
internal sealed class GcpSessions(IConfiguration configuration, IHttpClientFactory httpClients, IDataProtectionProvider protection, TimeProvider time,
    ILogger<GcpRestClient> logger)
{
    public const string ProtectionPurpose = "Firebreak.Cloud.Gcp.ServiceAccountKey";
    public const string HttpClientName = "gcp";

    private readonly ConcurrentDictionary<string, Lazy<Task<ITokenAccess>>> _credentials = new(StringComparer.Ordinal);

    /// <summary>Read on each use, so a key protected after the server started is picked up.</summary>
    public GcpSettings Settings => GcpSettings.From(configuration);

    public async Task<GcpSession> OpenAsync(ActionTarget target, CancellationToken cancellationToken)
    {
        var settings = Settings;
        if (!settings.Projects.TryGetValue(target.Account, out var project) || (project.TenantId is { } tenant && tenant != target.TenantId))
            throw new ValidationFailedException("account", $"GCP project {target.Account} is not configured for response actions (Firebreak:Gcp:Projects).");
        var credential = await CredentialAsync(settings, project, cancellationToken);
        return new GcpSession(project.Id, settings, new GcpRestClient(httpClients.CreateClient(HttpClientName), credential, settings, logger));
    }

    private async Task<ITokenAccess> CredentialAsync(GcpSettings settings, GcpProject project, CancellationToken cancellationToken)
    {
        // The cache key names the configuration without holding the protected key itself.
        var fingerprint = Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(
            $"{project.Id}\n{project.ImpersonateServiceAccount}\n{project.ProtectedServiceAccountKey}\n{settings.TokenUrl}\n{settings.IamCredentialsUrl}")));
        var lazy = _credentials.GetOrAdd(fingerprint, _ => new Lazy<Task<ITokenAccess>>(() => BuildAsync(settings, project)));
        try
        {
            return await lazy.Value.WaitAsync(cancellationToken);
        }
        catch (CloudCallException)
        {
            _credentials.TryRemove(fingerprint, out _);
            throw;
        }
    }

    private async Task<ITokenAccess> BuildAsync(GcpSettings settings, GcpProject project)
    {
        GoogleCredential source;
        if (project.ProtectedServiceAccountKey is { } protectedKey)
        {
            source = GoogleCredential.FromServiceAccountCredential(KeyCredential(settings, project, protectedKey));
        }
        else
        {
            try
            {
                source = (await GoogleCredential.GetApplicationDefaultAsync()).CreateScoped(GcpSettings.CloudPlatformScope);
            }
            catch (InvalidOperationException e)
            {
                throw new CloudCallException("auth:ApplicationDefaultCredentials", "CREDENTIALS_UNAVAILABLE",
                    $"Firebreak has no Google identity for project {project.Id}: {e.Message}");
            }
        }
        if (project.ImpersonateServiceAccount is { } target)
            return new ImpersonatedToken(source, httpClients.CreateClient(HttpClientName),
                new Uri(settings.IamCredentialsUrl, $"projects/-/serviceAccounts/{target}:generateAccessToken"), target, time);
        return source;
    }

    private ServiceAccountCredential KeyCredential(GcpSettings settings, GcpProject project, string protectedKey)
    {
        string json;
        try
        {
            json = protection.CreateProtector(ProtectionPurpose).Unprotect(protectedKey);
        }
        catch (CryptographicException)
        {
            throw new CloudCallException("auth:ServiceAccountKey", "KEY_UNREADABLE",
                $"The stored service-account key of project {project.Id} cannot be unprotected with this server's Data Protection keys; protect it again.");
        }
        string email, privateKey;
        string? keyId, tokenUri;
        try
        {
            using var document = JsonDocument.Parse(json);
            var root = document.RootElement;
            email = root.GetProperty("client_email").GetString() ?? "";
            privateKey = root.GetProperty("private_key").GetString() ?? "";
            keyId = root.TryGetProperty("private_key_id", out var id) ? id.GetString() : null;
            tokenUri = root.TryGetProperty("token_uri", out var uri) ? uri.GetString() : null;
        }
        catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException)
        {
            // The exception text could quote the key: it is not passed on.
            throw new CloudCallException("auth:ServiceAccountKey", "KEY_MALFORMED",
                $"The stored service-account key of project {project.Id} is not a service-account JSON key (client_email, private_key).");
        }
        var tokenUrl = settings.TokenUrl?.AbsoluteUri ?? tokenUri ?? GoogleAuthConsts.TokenUrl;
        var initializer = new ServiceAccountCredential.Initializer(email, tokenUrl)
        {
            KeyId = keyId,
            Scopes = [GcpSettings.CloudPlatformScope],
            Clock = new TimeProviderClock(time),
        };
        try
        {
            return new ServiceAccountCredential(initializer.FromPrivateKey(privateKey));
        }
        catch (Exception e) when (e is ArgumentException or CryptographicException or FormatException)
        {
            throw new CloudCallException("auth:ServiceAccountKey", "KEY_MALFORMED",
                $"The stored service-account key of project {project.Id} has a private key that cannot be read.");
        }
    }

    /// <summary>Turns a failed token request into the provider's code, without the request (it carries the signed assertion).</summary>
    public static CloudCallException TokenFailure(Exception e) => e switch
    {
        TokenResponseException t => new CloudCallException("auth:token", t.Error?.Error ?? "TOKEN_REFUSED",
            $"The token endpoint refused Firebreak's credential: {t.Error?.ErrorDescription ?? t.Error?.Error ?? "no reason given"}"),
        Google.GoogleApiException g => new CloudCallException("auth:generateAccessToken", g.Error?.Code is > 0 ? StatusCodes.Canonical(g.Error.Code) : "TOKEN_REFUSED",
            $"Impersonation was refused: {g.Error?.Message ?? "no reason given"}"),
        _ => new CloudCallException("auth:token", "TOKEN_UNAVAILABLE", $"Firebreak could not obtain a Google access token: {e.GetType().Name}"),
    };

    /// <summary>
    /// Service-account impersonation (IAM Credentials generateAccessToken) on top of the source credential, at a
    /// configurable endpoint; the token is kept until five minutes before it expires.
    /// </summary>
    private sealed class ImpersonatedToken(ITokenAccess source, HttpClient http, Uri url, string target, TimeProvider time) : ITokenAccess
    {
        private readonly SemaphoreSlim _lock = new(1, 1);
        private (string Token, DateTimeOffset Expires)? _current;

        public async Task<string> GetAccessTokenForRequestAsync(string? authUri = null, CancellationToken cancellationToken = default)
        {
            await _lock.WaitAsync(cancellationToken);
            try
            {
                if (_current is { } c && c.Expires > time.GetUtcNow().AddMinutes(5)) return c.Token;
                var sourceToken = await source.GetAccessTokenForRequestAsync(url.AbsoluteUri, cancellationToken);
                using var request = new HttpRequestMessage(HttpMethod.Post, url)
                {
                    Content = new StringContent(JsonSerializer.Serialize(new { scope = new[] { GcpSettings.CloudPlatformScope }, lifetime = "3600s" }), Encoding.UTF8, "application/json"),
                };
                request.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", sourceToken);
                using var response = await http.SendAsync(request, cancellationToken);
                var text = await response.Content.ReadAsStringAsync(cancellationToken);
                string? token = null;
                DateTimeOffset expires = default;
                string? status = null, message = null;
                try
                {
                    using var document = JsonDocument.Parse(text);
                    var root = document.RootElement;
                    token = root.Str("accessToken");
                    expires = DateTimeOffset.TryParse(root.Str("expireTime"), out var e) ? e : time.GetUtcNow().AddMinutes(10);
                    status = root.Obj("error").Str("status");
                    message = root.Obj("error").Str("message");
                }
                catch (JsonException)
                {
                    // Not JSON: reported by status below.
                }
                if (!response.IsSuccessStatusCode || token is null)
                    throw new CloudCallException("iamcredentials:generateAccessToken", status ?? StatusCodes.Canonical((int)response.StatusCode),
                        $"Firebreak could not impersonate {target}: {message ?? $"HTTP {(int)response.StatusCode}"}");
                _current = (token, expires);
                return token;
            }
            finally
            {
                _lock.Release();
            }
        }
    }

    /// <summary>Google.Apis.Auth's clock on the injected time, so token expiry follows the same clock as everything else.</summary>
    private sealed class TimeProviderClock(TimeProvider time) : Google.Apis.Util.IClock
    {
        public DateTime Now => time.GetLocalNow().DateTime;
        public DateTime UtcNow => time.GetUtcNow().UtcDateTime;
    }
}

/// <summary>Google's canonical status names for HTTP codes, for errors that carry none.</summary>
internal static class StatusCodes
{
    public static string Canonical(int httpStatus) => httpStatus switch
    {
        400 => "INVALID_ARGUMENT",
        401 => "UNAUTHENTICATED",
        403 => "PERMISSION_DENIED",
        404 => "NOT_FOUND",
        409 => "ALREADY_EXISTS",
        412 => "FAILED_PRECONDITION",
        429 => "RESOURCE_EXHAUSTED",
        499 => "CANCELLED",
        500 => "INTERNAL",
        501 => "UNIMPLEMENTED",
        503 => "UNAVAILABLE",
        504 => "DEADLINE_EXCEEDED",
        _ => $"HTTP_{httpStatus}",
    };
}
