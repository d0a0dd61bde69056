using System.Collections.Concurrent;
using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Firebreak.Testing;

/// <summary>
/// A TAXII 2.1 server (and a MISP feed) on a loopback port, for the feed poller's real HTTP client:
/// discovery at /taxii2/, one API root at /api1/, collections with objects served in pages (next and
/// more, X-TAXII-Date-Added-First/Last) after added_after. It checks the Accept header (406), the
/// credentials (401), and can answer with malformed JSON or not at all.
/// </summary>
public sealed class TaxiiTestServer : IAsyncDisposable
{
    public const string MediaType = "application/taxii+json;version=2.1";
    private readonly WebApplication _app;
    private readonly ConcurrentDictionary<string, List<(DateTimeOffset Added, JsonObject Object)>> _collections = new();

    private TaxiiTestServer(WebApplication app, Uri address)
    {
        _app = app;
        Address = address;
    }

    public Uri Address { get; }
    public Uri Discovery => new(Address, "/taxii2/");
    public Uri ApiRoot => new(Address, "/api1/");
    public Uri MispFeed => new(Address, "/misp/");

    /// <summary>Objects per page.</summary>
    public int PageSize { get; set; } = 2;

    /// <summary>When set, requests need Basic with this user and password.</summary>
    public (string User, string Password)? Basic { get; set; }

    /// <summary>When set, requests need this header with this value.</summary>
    public (string Header, string Value)? ApiKey { get; set; }

    /// <summary>Answer object requests with a body that is not JSON.</summary>
    public bool Malformed { get; set; }

    /// <summary>Hold every answer this long (for time-outs).</summary>
    public TimeSpan Delay { get; set; }

    /// <summary>Every request's path and query, in order.</summary>
    public ConcurrentQueue<string> Requests { get; } = new();

    /// <summary>The MISP feed: manifest entries and event files by uuid.</summary>
    public ConcurrentDictionary<string, (long Timestamp, string Json)> MispEvents { get; } = new();

    public static async Task<TaxiiTestServer> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        var app = builder.Build();
        TaxiiTestServer? server = null;
        app.Use(async (context, next) =>
        {
            server!.Requests.Enqueue(context.Request.Path + context.Request.QueryString);
            if (server.Delay > TimeSpan.Zero) await Task.Delay(server.Delay, context.RequestAborted);
            if (!server.Authorised(context.Request))
            {
                context.Response.StatusCode = 401;
                context.Response.Headers.WWWAuthenticate = "Basic realm=\"taxii\"";
                return;
            }
            await next(context);
        });
        app.MapGet("/taxii2/", (HttpContext c) => server!.Taxii(c, new JsonObject
        {
            ["title"] = "Test TAXII server",
            ["default"] = new Uri(server.Address, "/api1/").AbsoluteUri,
            ["api_roots"] = new JsonArray(new Uri(server.Address, "/api1/").AbsoluteUri),
        }));
        app.MapGet("/api1/", (HttpContext c) => server!.Taxii(c, new JsonObject
        {
            ["title"] = "Test API root",
            ["versions"] = new JsonArray(MediaType),
            ["max_content_length"] = 10_485_760,
        }));
        app.MapGet("/api1/collections/{id}/", (HttpContext c, string id) => server!._collections.ContainsKey(id)
            ? server.Taxii(c, new JsonObject { ["id"] = id, ["title"] = "Indicators", ["can_read"] = true, ["can_write"] = false, ["media_types"] = new JsonArray(MediaType) })
            : Results.NotFound());
        app.MapGet("/api1/collections/{id}/objects/", (HttpContext c, string id) => server!.Objects(c, id));
        app.MapGet("/misp/manifest.json", () => Results.Text(server!.Manifest(), "application/json"));
        app.MapGet("/misp/{file}", (string file) => server!.MispEvents.TryGetValue(file.Replace(".json", "", StringComparison.Ordinal), out var e)
            ? Results.Text(e.Json, "application/json") : Results.NotFound());
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        server = new TaxiiTestServer(app, new Uri(address));
        return server;
    }

    /// <summary>Adds STIX objects to a collection, as added at the given time.</summary>
    public void Add(string collection, DateTimeOffset added, params JsonObject[] objects)
    {
        var list = _collections.GetOrAdd(collection, _ => []);
        lock (list)
        {
            foreach (var o in objects) list.Add((added, o));
            list.Sort((a, b) => a.Added.CompareTo(b.Added));
        }
    }

    public void AddCollection(string collection) => _collections.GetOrAdd(collection, _ => []);

    private bool Authorised(HttpRequest request)
    {
        if (Basic is { } basic)
        {
            var expected = "Basic " + Convert.ToBase64String(Encoding.UTF8.GetBytes($"{basic.User}:{basic.Password}"));
            if (request.Headers.Authorization != expected) return false;
        }
        if (ApiKey is { } key && request.Headers[key.Header] != key.Value) return false;
        return true;
    }

    private IResult Taxii(HttpContext context, JsonObject body)
    {
        if (!context.Request.Headers.Accept.ToString().Contains("application/taxii+json", StringComparison.Ordinal)) return Results.StatusCode(406);
        return Results.Text(body.ToJsonString(), MediaType);
    }

    private IResult Objects(HttpContext context, string id)
    {
        if (!context.Request.Headers.Accept.ToString().Contains("application/taxii+json", StringComparison.Ordinal)) return Results.StatusCode(406);
        if (!_collections.TryGetValue(id, out var list)) return Results.NotFound();
        if (Malformed) return Results.Text("{\"objects\": [ {\"type\": ", MediaType);
        List<(DateTimeOffset Added, JsonObject Object)> snapshot;
        lock (list) snapshot = [.. list];
        if (context.Request.Query["added_after"].ToString() is { Length: > 0 } after)
        {
            var since = DateTimeOffset.Parse(after, CultureInfo.InvariantCulture);
            snapshot = snapshot.Where(o => o.Added > since).ToList();
        }
        var start = int.TryParse(context.Request.Query["next"], CultureInfo.InvariantCulture, out var n) ? n : 0;
        var page = snapshot.Skip(start).Take(PageSize).ToList();
        var more = start + page.Count < snapshot.Count;
        var envelope = new JsonObject { ["more"] = more };
        if (more) envelope["next"] = (start + page.Count).ToString(CultureInfo.InvariantCulture);
        if (page.Count > 0)
        {
            envelope["objects"] = new JsonArray(page.Select(o => (JsonNode)o.Object.DeepClone()).ToArray());
            context.Response.Headers["X-TAXII-Date-Added-First"] = Stamp(page[0].Added);
            context.Response.Headers["X-TAXII-Date-Added-Last"] = Stamp(page[^1].Added);
        }
        return Results.Text(envelope.ToJsonString(), MediaType);
    }

    private string Manifest()
    {
        var manifest = new JsonObject();
        foreach (var (uuid, (timestamp, _)) in MispEvents)
            manifest[uuid] = new JsonObject { ["info"] = "event " + uuid, ["timestamp"] = timestamp.ToString(CultureInfo.InvariantCulture), ["Tag"] = new JsonArray() };
        return manifest.ToJsonString();
    }

    private static string Stamp(DateTimeOffset time) => time.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.ffffff'Z'", CultureInfo.InvariantCulture);

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
