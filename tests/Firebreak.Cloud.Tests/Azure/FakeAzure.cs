using System.Collections.Concurrent;
using System.Net;
using System.Net.Security;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Firebreak.Cloud.Azure;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Firebreak.Cloud.Tests.Azure;

/// <summary>One request as the Azure endpoint received it.</summary>
public sealed record AzureRequest(string Method, string Path, string Query, IReadOnlyDictionary<string, string> Headers, string Body)
{
    public string Route => $"{Method} {Path}";
}

/// <summary>One recorded answer: status, JSON body and headers (Retry-After, Azure-AsyncOperation).</summary>
public sealed record AzureResponse(int Status, string Body, IReadOnlyDictionary<string, string>? Headers = null);

/// <summary>
/// A local HTTPS endpoint (Kestrel on a free loopback port, with a certificate made for the test) that answers as
/// Entra ID's token endpoint, Azure Resource Manager and Microsoft Graph with recorded JSON, one queue per
/// "METHOD /path": each request takes the next response, the last one repeats. Bearer tokens are only ever sent
/// over TLS by the Azure SDKs, so the fake speaks TLS; the clients trust its certificate through the "azure" HTTP
/// client's handler (<see cref="Trust"/>), and every request goes through the SDKs' real pipelines.
/// </summary>
public sealed class FakeAzure : IAsyncDisposable
{
    public const string AccessToken = "eyJ0eXAiOiJKV1QiLCJhbGciOiJub25lIn0.eyJhdWQiOiJmaXJlYnJlYWstdGVzdCJ9.";

    private readonly WebApplication _app;
    private readonly X509Certificate2 _certificate;
    private readonly ConcurrentDictionary<string, ConcurrentQueue<AzureResponse>> _responses = new(StringComparer.OrdinalIgnoreCase);

    private FakeAzure(WebApplication app, X509Certificate2 certificate)
    {
        _app = app;
        _certificate = certificate;
    }

    public ConcurrentQueue<AzureRequest> Requests { get; } = new();

    /// <summary>The base URL, https://127.0.0.1:port/.</summary>
    public string Url { get; private set; } = "";

    public IEnumerable<AzureRequest> Calls(string method, string path) =>
        Requests.Where(r => r.Method == method && string.Equals(r.Path, path, StringComparison.OrdinalIgnoreCase));

    public static async Task<FakeAzure> StartAsync()
    {
        using var key = RSA.Create(2048);
        var request = new CertificateRequest("CN=127.0.0.1", key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        var san = new SubjectAlternativeNameBuilder();
        san.AddIpAddress(IPAddress.Loopback);
        request.CertificateExtensions.Add(san.Build());
        using var created = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddHours(2));
        var certificate = X509CertificateLoader.LoadPkcs12(created.Export(X509ContentType.Pfx), null);

        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseKestrelHttpsConfiguration();
        builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, 0, l =>
        {
            l.Protocols = HttpProtocols.Http1AndHttp2;
            l.UseHttps(certificate);
        }));
        builder.Logging.ClearProviders();
        var app = builder.Build();
        var fake = new FakeAzure(app, certificate);
        app.Run(fake.HandleAsync);
        await app.StartAsync();
        var address = app.Urls.FirstOrDefault() ?? app.Services.GetRequiredService<Microsoft.AspNetCore.Hosting.Server.IServer>()
            .Features.Get<Microsoft.AspNetCore.Hosting.Server.Features.IServerAddressesFeature>()!.Addresses.First();
        fake.Url = address.Replace("http://", "https://", StringComparison.Ordinal).TrimEnd('/') + "/";
        // Entra ID's token endpoint for every directory: the credentials post here.
        fake.On("POST /{tenant}/oauth2/v2.0/token", new AzureResponse(200, $$"""{"token_type":"Bearer","expires_in":3599,"ext_expires_in":3599,"access_token":"{{AccessToken}}"}"""));
        return fake;
    }

    /// <summary>The "azure" HTTP client's handler trusts this endpoint's certificate, and only that one.</summary>
    public void Trust(IServiceCollection services) =>
        services.AddHttpClient(AzureSessions.HttpClientName).ConfigurePrimaryHttpMessageHandler(() => new SocketsHttpHandler
        {
            SslOptions = new SslClientAuthenticationOptions
            {
                RemoteCertificateValidationCallback = (_, certificate, _, _) => certificate is not null && certificate.GetCertHashString() == _certificate.GetCertHashString(),
            },
        });

    /// <summary>Queues responses for a route ("GET /subscriptions/…"), in order.</summary>
    public FakeAzure On(string route, params AzureResponse[] responses)
    {
        var queue = _responses.GetOrAdd(route, _ => new ConcurrentQueue<AzureResponse>());
        foreach (var r in responses) queue.Enqueue(r);
        return this;
    }

    /// <summary>Queues 200 answers with these bodies, in order.</summary>
    public FakeAzure On(string route, params string[] bodies) => On(route, bodies.Select(b => new AzureResponse(200, b)).ToArray());

    /// <summary>Drops what is queued for a route and answers with this from now on.</summary>
    public FakeAzure From(string route, string body, int status = 200)
    {
        _responses[route] = new ConcurrentQueue<AzureResponse>([new AzureResponse(status, body)]);
        return this;
    }

    private async Task HandleAsync(HttpContext context)
    {
        var body = await new StreamReader(context.Request.Body).ReadToEndAsync();
        var headers = context.Request.Headers.ToDictionary(h => h.Key, h => h.Value.ToString(), StringComparer.OrdinalIgnoreCase);
        var path = context.Request.Path.Value ?? "/";
        Requests.Enqueue(new AzureRequest(context.Request.Method, path, context.Request.QueryString.Value ?? "", headers, body));
        var route = path.EndsWith("/oauth2/v2.0/token", StringComparison.Ordinal) ? $"{context.Request.Method} /{{tenant}}/oauth2/v2.0/token" : $"{context.Request.Method} {path}";
        if (!_responses.TryGetValue(route, out var queue) || queue.IsEmpty)
        {
            context.Response.StatusCode = 400;
            context.Response.ContentType = "application/json";
            await context.Response.WriteAsync("{\"error\":{\"code\":\"NoRecordedResponse\",\"message\":\"The fake has no response for " + route + ".\"}}");
            return;
        }
        var answer = queue.Count > 1 && queue.TryDequeue(out var next) ? next : queue.TryPeek(out var last) ? last : null;
        context.Response.StatusCode = answer!.Status;
        foreach (var (name, value) in answer.Headers ?? new Dictionary<string, string>()) context.Response.Headers[name] = value;
        if (answer.Body.Length > 0)
        {
            context.Response.ContentType = "application/json; charset=utf-8";
            await context.Response.WriteAsync(answer.Body);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
        _certificate.Dispose();
    }
}
