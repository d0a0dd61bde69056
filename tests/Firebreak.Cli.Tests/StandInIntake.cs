using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Firebreak.Cli.Tests;

/// <summary>
/// A stand-in for the server's alert intake (POST /api/v1/alerts/batch) on loopback, answering each request as told:
/// a real server's 429 (its queue full), a 5xx or a hang cannot be provoked on cue. It counts every request's
/// Idempotency-Key on arrival, before reading its body (a client that gives up may do so before the body is read).
/// </summary>
internal sealed class StandInIntake : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly List<string?> _keys = [];

    private StandInIntake(WebApplication app) => _app = app;

    public string Url { get; private set; } = "";

    /// <summary>The Idempotency-Key of every request so far, in arrival order.</summary>
    public IReadOnlyList<string?> Keys
    {
        get
        {
            lock (_keys) return [.. _keys];
        }
    }

    /// <param name="answer">Given the request's number (from 1) and the request, once its body is read.</param>
    public static async Task<StandInIntake> StartAsync(Func<int, HttpContext, Task<IResult>> answer)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        var intake = new StandInIntake(builder.Build());
        intake._app.MapPost("/api/v1/alerts/batch", async (HttpContext context) =>
        {
            int n;
            lock (intake._keys)
            {
                intake._keys.Add(context.Request.Headers["Idempotency-Key"].FirstOrDefault());
                n = intake._keys.Count;
            }

            using (var reader = new StreamReader(context.Request.Body))
            {
                // How many alerts came, for an answer that accounts for each, as the server's does.
                using var body = System.Text.Json.JsonDocument.Parse(await reader.ReadToEndAsync(context.RequestAborted));
                var root = body.RootElement;
                context.Items[AlertCount] = root.ValueKind == System.Text.Json.JsonValueKind.Array ? root.GetArrayLength()
                    : root.ValueKind == System.Text.Json.JsonValueKind.Object && root.TryGetProperty("alerts", out var alerts) ? alerts.GetArrayLength() : 0;
            }

            return await answer(n, context);
        });
        await intake._app.StartAsync(TestContext.Current.CancellationToken);
        intake.Url = intake._app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.Single();
        return intake;
    }

    private const string AlertCount = "alert-count";

    /// <summary>The server's answer to a batch it took: one outcome per alert sent.</summary>
    public static IResult Accepted(HttpContext context) => Results.Json(new
    {
        alerts = Enumerable.Range(0, context.Items[AlertCount] as int? ?? 0)
            .Select(_ => new { id = Guid.NewGuid(), duplicate = false, occurrenceCount = 1, suppressed = false }).ToList(),
        replayed = false,
    });

    /// <summary>A refusal with Retry-After: 0, so that a client waiting it out does not wait.</summary>
    public static IResult Refuse(HttpContext context, int status)
    {
        context.Response.Headers.RetryAfter = "0";
        return Results.Problem(statusCode: status, title: "Too many requests", detail: "The alert intake queue is full. Retry shortly.");
    }

    public ValueTask DisposeAsync() => _app.DisposeAsync();
}
