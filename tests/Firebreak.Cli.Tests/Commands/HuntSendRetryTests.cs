using System.Diagnostics;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Firebreak.Cli.Tests.Commands;

/// <summary>
/// `hunt --send-to` against a stand-in server that is busy, failing or silent on cue: a real server's 429 (its intake
/// queue full), a 5xx or a hang cannot be provoked on time. The stand-in takes every request in full and answers as
/// told for the nth request.
/// </summary>
public sealed class HuntSendRetryTests : IAsyncDisposable
{
    private WebApplication? _app;
    private readonly List<string?> _keys = [];
    private readonly string _dir = Directory.CreateTempSubdirectory("firebreak-send-retry-").FullName;

    private async Task<string> StartAsync(Func<int, HttpContext, Task<IResult>> answer)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        _app = builder.Build();
        _app.MapPost("/api/v1/alerts/batch", async (HttpContext context) =>
        {
            // Counted on arrival: a client that gives up (a short --send-timeout on a loaded machine) may do so before
            // its body is read.
            int n;
            lock (_keys)
            {
                _keys.Add(context.Request.Headers["Idempotency-Key"].FirstOrDefault());
                n = _keys.Count;
            }

            using (var reader = new StreamReader(context.Request.Body)) await reader.ReadToEndAsync(context.RequestAborted);
            return await answer(n, context);
        });
        await _app.StartAsync(TestContext.Current.CancellationToken);
        return _app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.Single();
    }

    private static IResult Accepted() => Results.Json(new { alerts = Array.Empty<object>(), replayed = false });

    private static IResult Refuse(HttpContext context, int status)
    {
        context.Response.Headers.RetryAfter = "0";
        return Results.Problem(statusCode: status, title: "Busy", detail: "The alert intake queue is full. Retry shortly.");
    }

    private string Trail(int count)
    {
        var path = Path.Combine(_dir, "trail.jsonl");
        File.WriteAllLines(path, Enumerable.Range(0, count).Select(i =>
            $$"""{"eventVersion":"1.08","eventTime":"2026-01-15T{{i / 3600:00}}:{{i / 60 % 60:00}}:{{i % 60:00}}Z","eventSource":"cloudtrail.amazonaws.com","eventName":"StopLogging","awsRegion":"us-east-1","sourceIPAddress":"203.0.113.9","userIdentity":{"type":"IAMUser","arn":"arn:aws:iam::111122223333:user/ops"},"eventID":"stop-{{i}}"}"""));
        return path;
    }

    private static readonly Dictionary<string, string?> Env = new() { ["FIREBREAK_API_KEY"] = "fbk_send_retry_secret" };

    [Fact]
    public async Task ABusyOrFailingServer_IsTriedAgain_WithTheSameKey_AndEveryChunkArrives()
    {
        // The second request meets a full queue (429), its next try a failing server (503); both pass. Before, the 429
        // ended the sending: one chunk of several arrived, the others were never tried.
        var url = await StartAsync((n, context) => Task.FromResult(n switch { 2 => Refuse(context, 429), 3 => Refuse(context, 503), _ => Accepted() }));

        var hunt = await Cli.RunAsync(Env, "hunt", Trail(2000), "--output", "jsonl", "--send-to", url);

        Assert.True(hunt.ExitCode == 1, hunt.ToString());
        Assert.Contains("Sent 2000 alert(s)", hunt.Err);
        Assert.Equal(_keys[1], _keys[2]);
        Assert.Equal(_keys[1], _keys[3]);
        Assert.True(_keys.Distinct().Count() >= 4, $"{_keys.Count} requests, {_keys.Distinct().Count()} chunks");
        Assert.Equal(_keys.Count - 2, _keys.Distinct().Count());
        Assert.DoesNotContain("fbk_send_retry_secret", hunt.Err + hunt.Out);
    }

    [Fact]
    public async Task AServerThatKeepsFailing_IsGivenUpAfterFourTries_WithExit2()
    {
        var url = await StartAsync((n, context) => Task.FromResult(Refuse(context, 500)));

        var hunt = await Cli.RunAsync(Env, "hunt", Trail(3), "--output", "jsonl", "--send-to", url);

        Assert.True(hunt.ExitCode == 2, hunt.ToString());
        Assert.Equal(4, _keys.Count);
        Assert.Contains("The server refused the alerts (500)", hunt.Err);
        Assert.Contains("tried 4 times", hunt.Err);
        Assert.Contains("not all reached the server", hunt.Err);
    }

    [Fact]
    public async Task AServerThatNeverAnswers_IsAClearError_NotACrash()
    {
        // The client's timeout used to escape as an unhandled TaskCanceledException: a stack trace and exit 134.
        var url = await StartAsync(async (n, context) =>
        {
            await Task.Delay(TimeSpan.FromSeconds(30), context.RequestAborted);
            return Accepted();
        });
        var clock = Stopwatch.StartNew();

        var hunt = await Cli.RunAsync(Env, "hunt", Trail(3), "--output", "jsonl", "--send-to", url, "--send-timeout", "1");

        Assert.True(hunt.ExitCode == 2, hunt.ToString());
        Assert.Contains("gave no answer within 1 seconds", hunt.Err);
        Assert.Contains("tried 4 times", hunt.Err);
        Assert.Contains("not all reached the server", hunt.Err);
        Assert.DoesNotContain("Unhandled", hunt.Err);
        Assert.Equal(4, _keys.Count);
        Assert.InRange(clock.Elapsed, TimeSpan.FromSeconds(10), TimeSpan.FromSeconds(28)); // 4 tries of 1 s, 1 + 2 + 4 s apart
    }

    [Theory]
    [InlineData("0")]
    [InlineData("3601")]
    [InlineData("soon")]
    public async Task ASendTimeoutOutOfRange_IsAUsageError(string seconds)
    {
        var hunt = await Cli.RunAsync(Env, "hunt", Trail(1), "--send-to", "http://127.0.0.1:9", "--send-timeout", seconds);

        Assert.True(hunt.ExitCode == 2, hunt.ToString());
        Assert.Contains("--send-timeout", hunt.Err);
    }

    public async ValueTask DisposeAsync()
    {
        if (_app is not null) await _app.DisposeAsync();
        Directory.Delete(_dir, true);
    }
}
