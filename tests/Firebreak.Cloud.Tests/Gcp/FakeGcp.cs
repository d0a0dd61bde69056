using System.Collections.Concurrent;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Firebreak.Cloud.Tests.Gcp;

/// <summary>One request as the Google endpoint received it: "POST /compute/v1/projects/…/setTags", its query, body and headers.</summary>
public sealed record GcpRequest(string Method, string Path, IReadOnlyDictionary<string, string> Query, IReadOnlyDictionary<string, string> Headers, string Body)
{
    public string Key => $"{Method} {Path}";

    public JsonObject Json => JsonNode.Parse(Body)!.AsObject();
}

/// <summary>
/// A local HTTP endpoint (Kestrel on a free port) standing in for Google's: the OAuth 2.0 token endpoint at /token,
/// Compute Engine v1 under /compute/v1/, IAM v1 under /iam/v1/ and IAM Credentials under /iamcredentials/v1/.
/// Each "METHOD /path" has a queue of recorded responses: a request takes the next, the last one repeats.
/// </summary>
public sealed class FakeGcp : IAsyncDisposable
{
    public const string Compute = "/compute/v1/";
    public const string Iam = "/iam/v1/";

    private readonly WebApplication _app;
    private readonly ConcurrentDictionary<string, ConcurrentQueue<(int Status, string Body, string? RetryAfter)>> _responses = new();

    private FakeGcp(WebApplication app) => _app = app;

    public ConcurrentQueue<GcpRequest> Requests { get; } = new();
    public string Url { get; private set; } = "";

    public IEnumerable<GcpRequest> Calls(string method, string path) => Requests.Where(r => r.Method == method && r.Path == path);

    public static async Task<FakeGcp> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        var app = builder.Build();
        var fake = new FakeGcp(app);
        app.Run(fake.HandleAsync);
        await app.StartAsync();
        fake.Url = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First() + "/";
        fake.On("POST /token", GoogleJson.Token("ya29.c.firebreak-access-token"));
        return fake;
    }

    /// <summary>The settings that point Firebreak's GCP clients at this endpoint.</summary>
    public Dictionary<string, string?> Settings() => new()
    {
        ["Firebreak:Gcp:ComputeUrl"] = Url + Compute.TrimStart('/'),
        ["Firebreak:Gcp:IamUrl"] = Url + Iam.TrimStart('/'),
        ["Firebreak:Gcp:IamCredentialsUrl"] = Url + "iamcredentials/v1/",
        ["Firebreak:Gcp:TokenUrl"] = Url + "token",
        ["Firebreak:Gcp:RetryBaseDelayMilliseconds"] = "5",
        ["Firebreak:Gcp:OperationPollMilliseconds"] = "5",
    };

    /// <summary>Queues responses for "METHOD /path", in order.</summary>
    public FakeGcp On(string key, params (int Status, string Body)[] responses)
    {
        var queue = _responses.GetOrAdd(key, _ => new ConcurrentQueue<(int, string, string?)>());
        foreach (var r in responses) queue.Enqueue((r.Status, r.Body, null));
        return this;
    }

    public FakeGcp On(string key, string body) => On(key, (200, body));

    /// <summary>Queues a throttling answer with a Retry-After header.</summary>
    public FakeGcp Throttle(string key, int status, string body, string retryAfter)
    {
        _responses.GetOrAdd(key, _ => new ConcurrentQueue<(int, string, string?)>()).Enqueue((status, body, retryAfter));
        return this;
    }

    /// <summary>Drops what is queued and answers with this from now on.</summary>
    public FakeGcp From(string key, string body, int status = 200)
    {
        _responses[key] = new ConcurrentQueue<(int, string, string?)>([(status, body, null)]);
        return this;
    }

    private async Task HandleAsync(HttpContext context)
    {
        var body = await new StreamReader(context.Request.Body).ReadToEndAsync();
        var headers = context.Request.Headers.ToDictionary(h => h.Key, h => h.Value.ToString(), StringComparer.OrdinalIgnoreCase);
        var query = context.Request.Query.ToDictionary(q => q.Key, q => q.Value.ToString(), StringComparer.Ordinal);
        var request = new GcpRequest(context.Request.Method, Uri.UnescapeDataString(context.Request.Path.Value ?? ""), query, headers, body);
        Requests.Enqueue(request);
        if (!_responses.TryGetValue(request.Key, out var queue) || queue.IsEmpty)
        {
            context.Response.StatusCode = 404;
            context.Response.ContentType = "application/json";
            await context.Response.WriteAsync(GoogleJson.Error(404, "NOT_FOUND", $"The fake has no response for {request.Key}.", "notFound"));
            return;
        }
        var (status, answer, retryAfter) = queue.Count > 1 && queue.TryDequeue(out var next) ? next : queue.TryPeek(out var last) ? last : default;
        context.Response.StatusCode = status;
        if (retryAfter is not null) context.Response.Headers.RetryAfter = retryAfter;
        context.Response.ContentType = "application/json; charset=UTF-8";
        await context.Response.WriteAsync(answer);
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
