using System.Globalization;
using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Xml.Linq;
using Amazon.Runtime;
using Amazon.Runtime.Internal.Auth;

namespace Firebreak.Cloud.Aws;

/// <summary>An AWS Query API that has no SDK package here: its signing name, API version and endpoint.</summary>
internal sealed record QueryService(string SigningName, string Version, bool Global)
{
    public static readonly QueryService Iam = new("iam", "2010-05-08", Global: true);
    public static readonly QueryService AutoScaling = new("autoscaling", "2011-01-01", Global: false);
    public static readonly QueryService ElasticLoadBalancing = new("elasticloadbalancing", "2015-12-01", Global: false);

    public Uri Endpoint(string region, string? serviceUrl) =>
        serviceUrl is { Length: > 0 } ? new Uri(serviceUrl)
        : Global ? new Uri($"https://{SigningName}.amazonaws.com/")
        : new Uri($"https://{SigningName}.{region}.amazonaws.com/");

    /// <summary>Global services (IAM) sign for us-east-1 whatever the target region.</summary>
    public string SigningRegion(string region) => Global ? "us-east-1" : region;
}

/// <summary>An error an AWS Query API returned: its code (AccessDenied, Throttling, NoSuchEntity) and message.</summary>
internal sealed class AwsQueryException(string action, HttpStatusCode status, string code, string message) : Exception($"{action}: {code}: {message}")
{
    public string Action { get; } = action;
    public HttpStatusCode Status { get; } = status;
    public string Code { get; } = code;
    public string ErrorMessage { get; } = message;
}

/// <summary>
/// Signed calls to the AWS Query APIs (IAM, Auto Scaling, ELBv2): a form-encoded POST, signed with Signature
/// Version 4 by AWSSDK.Core's signer, retried with exponential backoff when throttled or on a server error.
/// </summary>
internal sealed class AwsQueryClient(HttpClient http, AWSCredentials credentials, string region, string? serviceUrl, int maxRetries, TimeSpan baseDelay, TimeProvider time)
{
    private static readonly HashSet<string> Retryable = new(StringComparer.Ordinal)
    {
        "Throttling", "ThrottlingException", "RequestLimitExceeded", "TooManyRequestsException", "RequestThrottled", "ServiceUnavailable", "InternalFailure",
    };

    public async Task<XDocument> CallAsync(QueryService service, string action, IEnumerable<KeyValuePair<string, string>> parameters, CancellationToken cancellationToken)
    {
        var form = new List<KeyValuePair<string, string>> { new("Action", action), new("Version", service.Version) };
        form.AddRange(parameters);
        var body = string.Join("&", form.Select(p => $"{Encode(p.Key)}={Encode(p.Value)}"));
        for (var attempt = 0; ; attempt++)
        {
            using var request = await SignAsync(service, body, cancellationToken);
            using var response = await http.SendAsync(request, cancellationToken);
            var text = await response.Content.ReadAsStringAsync(cancellationToken);
            if (response.IsSuccessStatusCode) return XDocument.Parse(text);
            var (code, message) = ParseError(text, response.StatusCode);
            var retryable = Retryable.Contains(code) || response.StatusCode is HttpStatusCode.TooManyRequests or >= HttpStatusCode.InternalServerError;
            if (!retryable || attempt >= maxRetries) throw new AwsQueryException($"{service.SigningName}:{action}", response.StatusCode, code, message);
            var delay = baseDelay * Math.Pow(2, attempt) * (0.5 + Random.Shared.NextDouble() / 2);
            // Real time, not the injected clock: the clock stamps signatures, the wait is a wait.
            await Task.Delay(delay, cancellationToken);
        }
    }

    private async Task<HttpRequestMessage> SignAsync(QueryService service, string body, CancellationToken cancellationToken)
    {
        var endpoint = service.Endpoint(region, serviceUrl);
        var immutable = await credentials.GetCredentialsAsync();
        var signedAt = time.GetUtcNow().UtcDateTime;
        var amzDate = signedAt.ToString("yyyyMMdd'T'HHmmss'Z'", CultureInfo.InvariantCulture);
        var bodyHash = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(body)));
        const string contentType = "application/x-www-form-urlencoded; charset=utf-8";
        var host = endpoint.IsDefaultPort ? endpoint.Host : $"{endpoint.Host}:{endpoint.Port}";
        var headers = new SortedDictionary<string, string>(StringComparer.Ordinal)
        {
            ["content-type"] = contentType,
            ["host"] = host,
            ["x-amz-content-sha256"] = bodyHash,
            ["x-amz-date"] = amzDate,
        };
        if (immutable.UseToken) headers["x-amz-security-token"] = immutable.Token;
        var signedHeaders = string.Join(";", headers.Keys);
        var path = string.IsNullOrEmpty(endpoint.AbsolutePath) ? "/" : endpoint.AbsolutePath;
        var canonical = $"POST\n{path}\n\n{string.Concat(headers.Select(h => $"{h.Key}:{h.Value.Trim()}\n"))}\n{signedHeaders}\n{bodyHash}";
        var signature = AWS4Signer.ComputeSignature(immutable, service.SigningRegion(region), signedAt, service.SigningName, signedHeaders, canonical);

        var request = new HttpRequestMessage(HttpMethod.Post, endpoint) { Content = new StringContent(body, Encoding.UTF8) };
        request.Content.Headers.Remove("Content-Type");
        request.Content.Headers.TryAddWithoutValidation("Content-Type", contentType);
        request.Headers.TryAddWithoutValidation("X-Amz-Date", amzDate);
        request.Headers.TryAddWithoutValidation("X-Amz-Content-SHA256", bodyHash);
        if (immutable.UseToken) request.Headers.TryAddWithoutValidation("X-Amz-Security-Token", immutable.Token);
        request.Headers.TryAddWithoutValidation("Authorization", signature.ForAuthorizationHeader);
        return request;
    }

    private static (string Code, string Message) ParseError(string text, HttpStatusCode status)
    {
        try
        {
            var doc = XDocument.Parse(text);
            var code = doc.Descendants().FirstOrDefault(e => e.Name.LocalName == "Code")?.Value;
            var message = doc.Descendants().FirstOrDefault(e => e.Name.LocalName == "Message")?.Value;
            if (code is { Length: > 0 }) return (code, message ?? "");
        }
        catch (System.Xml.XmlException)
        {
            // Not XML (a proxy's page): report the status alone.
        }
        return (status == HttpStatusCode.TooManyRequests ? "Throttling" : $"Http{(int)status}", $"HTTP {(int)status} without an AWS error body.");
    }

    /// <summary>RFC 3986 encoding as SigV4 requires (unreserved characters kept, spaces as %20).</summary>
    private static string Encode(string value) => Uri.EscapeDataString(value);
}

internal static class QueryXml
{
    public static IEnumerable<XElement> All(this XContainer node, string localName) => node.Descendants().Where(e => e.Name.LocalName == localName);

    public static string? First(this XContainer node, string localName) => node.All(localName).FirstOrDefault()?.Value;
}
