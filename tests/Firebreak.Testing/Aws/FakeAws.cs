using System.Collections.Concurrent;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Firebreak.Testing.Aws;

/// <summary>One request as the AWS endpoint received it.</summary>
public sealed record AwsRequest(string Method, string Path, string Action, IReadOnlyDictionary<string, string> Form, IReadOnlyDictionary<string, string> Headers, string Body)
{
    public string this[string field] => Form.TryGetValue(field, out var v) ? v : throw new KeyNotFoundException($"{Action} had no {field}: {string.Join(", ", Form.Keys)}");
}

/// <summary>
/// A local HTTP endpoint (Kestrel on a free port) answering the AWS Query protocol (EC2, STS, IAM, Auto Scaling)
/// with recorded response bodies, one queue per action: each request takes the next response, the last one repeats.
/// </summary>
public sealed class FakeAws : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly ConcurrentDictionary<string, ConcurrentQueue<(int Status, string Body)>> _responses = new();

    private FakeAws(WebApplication app) => _app = app;

    public ConcurrentQueue<AwsRequest> Requests { get; } = new();
    public string Url { get; private set; } = "";

    public IEnumerable<AwsRequest> Calls(string action) => Requests.Where(r => r.Action == action);

    public static async Task<FakeAws> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        var app = builder.Build();
        var fake = new FakeAws(app);
        app.Run(fake.HandleAsync);
        await app.StartAsync();
        fake.Url = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First() + "/";
        return fake;
    }

    /// <summary>Queues responses for an action, in order.</summary>
    public FakeAws On(string action, params (int Status, string Body)[] responses)
    {
        var queue = _responses.GetOrAdd(action, _ => new ConcurrentQueue<(int, string)>());
        foreach (var r in responses) queue.Enqueue(r);
        return this;
    }

    public FakeAws On(string action, string body) => On(action, (200, body));

    /// <summary>Drops what is queued for an action and answers with this from now on.</summary>
    public FakeAws From(string action, string body) => From(action, 200, body);

    /// <summary>Drops what is queued for an action and answers with this status and body from now on.</summary>
    public FakeAws From(string action, int status, string body)
    {
        _responses[action] = new ConcurrentQueue<(int, string)>([(status, body)]);
        return this;
    }

    private async Task HandleAsync(HttpContext context)
    {
        var form = new Dictionary<string, string>(StringComparer.Ordinal);
        var body = "";
        if (context.Request.HasFormContentType)
        {
            foreach (var (key, value) in await context.Request.ReadFormAsync()) form[key] = value.ToString();
        }
        else
        {
            body = await new StreamReader(context.Request.Body).ReadToEndAsync();
        }
        var headers = context.Request.Headers.ToDictionary(h => h.Key, h => h.Value.ToString(), StringComparer.OrdinalIgnoreCase);
        // REST calls (S3) are named by method, path and the sub-resource in the query: "PUT /bucket?publicAccessBlock".
        var action = form.GetValueOrDefault("Action") ?? $"{context.Request.Method} {context.Request.Path.Value?.TrimEnd('/')}?{string.Join("&", context.Request.Query.Keys)}";
        Requests.Enqueue(new AwsRequest(context.Request.Method, context.Request.Path, action, form, headers, body));
        if (!_responses.TryGetValue(action, out var queue) || queue.IsEmpty)
        {
            context.Response.StatusCode = 400;
            await context.Response.WriteAsync(Xml.Error("InvalidAction", $"The fake has no response for {action}."));
            return;
        }
        var (status, answer) = queue.Count > 1 && queue.TryDequeue(out var next) ? next : queue.TryPeek(out var last) ? last : default;
        context.Response.StatusCode = status;
        context.Response.ContentType = answer.TrimStart().StartsWith('{') ? "application/json" : "application/xml";
        await context.Response.WriteAsync(answer);
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
