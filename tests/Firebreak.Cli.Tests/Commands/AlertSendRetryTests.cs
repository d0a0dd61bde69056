using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Firebreak.Cli.Tests.Commands;

/// <summary>
/// The intake's 429 is hard to provoke on a real server without timing, so these run against a stand-in
/// that answers 429 a set number of times (with Retry-After: 0, so nothing waits) before accepting.
/// </summary>
public sealed class AlertSendRetryTests : IAsyncDisposable
{
    private WebApplication? _app;
    private readonly List<string?> _keys = [];
    private readonly string _file = Path.Combine(Path.GetTempPath(), "firebreak-cli-retry-" + Guid.NewGuid().ToString("N") + ".json");

    private async Task<string> StartAsync(int busyAnswers)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        _app = builder.Build();
        _app.MapPost("/api/v1/alerts/batch", (HttpContext context) =>
        {
            lock (_keys) _keys.Add(context.Request.Headers["Idempotency-Key"].FirstOrDefault());
            if (_keys.Count <= busyAnswers)
            {
                context.Response.Headers.RetryAfter = "0";
                return Results.Problem(statusCode: StatusCodes.Status429TooManyRequests, title: "Too many requests", detail: "The alert intake queue is full. Retry shortly.");
            }
            return Results.Json(new { alerts = new[] { new { id = Guid.NewGuid(), duplicate = false, occurrenceCount = 1, suppressed = false } }, replayed = false });
        });
        await _app.StartAsync(TestContext.Current.CancellationToken);
        File.WriteAllText(_file, """[{"source":"retry","title":"Queued alert"}]""");
        return _app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.Single();
    }

    private static Task<CliResult> SendAsync(string url, params string[] args) =>
        Cli.RunAsync(new Dictionary<string, string?> { ["FIREBREAK_URL"] = url, ["FIREBREAK_API_KEY"] = "fbk_test" }, ["alert", "send", .. args]);

    [Fact]
    public async Task Busy_IsRetried_WithTheSameIdempotencyKey_UntilAccepted()
    {
        var url = await StartAsync(busyAnswers: 2);

        var result = await SendAsync(url, _file, "--idempotency-key", "nightly-42");

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Contains("Stored:      1 new", result.Out);
        Assert.Equal(["nightly-42", "nightly-42", "nightly-42"], _keys);
    }

    [Fact]
    public async Task Busy_GivesUp_AfterTheBoundedRetries()
    {
        var url = await StartAsync(busyAnswers: int.MaxValue);

        var result = await SendAsync(url, _file);

        Assert.Equal(ExitCodes.Refused, result.ExitCode);
        Assert.Contains("Rate limited", result.Err);
        Assert.Equal(1 + Client.FirebreakClient.BusyRetries, _keys.Count);
    }

    public async ValueTask DisposeAsync()
    {
        if (_app is not null) await _app.DisposeAsync();
        File.Delete(_file);
    }
}
