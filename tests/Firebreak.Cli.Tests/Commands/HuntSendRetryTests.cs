using System.Diagnostics;
using Firebreak.Testing;
using Microsoft.AspNetCore.Http;

namespace Firebreak.Cli.Tests.Commands;

/// <summary>`hunt --send-to` against a stand-in intake that is busy, failing or silent on cue.</summary>
public sealed class HuntSendRetryTests : IAsyncDisposable
{
    private StandInIntake? _intake;
    private readonly string _dir = Directory.CreateTempSubdirectory("firebreak-send-retry-").FullName;

    private IReadOnlyList<string?> Keys => _intake!.Keys;

    private async Task<string> StartAsync(Func<int, HttpContext, Task<IResult>> answer)
    {
        _intake = await StandInIntake.StartAsync(answer);
        return _intake.Url;
    }


    private static IResult Refuse(HttpContext context, int status) => StandInIntake.Refuse(context, status);

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
        var url = await StartAsync((n, context) => Task.FromResult(n switch { 2 => Refuse(context, 429), 3 => Refuse(context, 503), _ => StandInIntake.Accepted(context) }));

        var hunt = await Cli.RunAsync(Env, "hunt", Trail(2000), "--output", "jsonl", "--send-to", url);

        Assert.True(hunt.ExitCode == 1, hunt.ToString());
        Assert.Contains("Sent 2000 alert(s)", hunt.Err);
        Assert.Equal(Keys[1], Keys[2]);
        Assert.Equal(Keys[1], Keys[3]);
        Assert.True(Keys.Distinct().Count() >= 4, $"{Keys.Count} requests, {Keys.Distinct().Count()} chunks");
        Assert.Equal(Keys.Count - 2, Keys.Distinct().Count());
        Assert.DoesNotContain("fbk_send_retry_secret", hunt.Err + hunt.Out);
    }

    [Fact]
    public async Task AServerThatKeepsFailing_IsGivenUpAfterFourTries_WithExit2()
    {
        var url = await StartAsync((n, context) => Task.FromResult(Refuse(context, 500)));

        var hunt = await Cli.RunAsync(Env, "hunt", Trail(3), "--output", "jsonl", "--send-to", url);

        Assert.True(hunt.ExitCode == 2, hunt.ToString());
        Assert.Equal(4, Keys.Count);
        Assert.Contains("The server refused the alerts (500)", hunt.Err);
        Assert.Contains("tried 4 times", hunt.Err);
        Assert.Contains("not all reached the server", hunt.Err);
    }

    [Fact]
    public async Task ARefusal_NamesWhatTheServerRefused_AndCannotDriveTheTerminal()
    {
        // A validation problem's detail is generic ("One or more fields are invalid."): the message also gives its errors,
        // and the server's text is shown with its control characters escaped, as every text from outside is.
        var url = await StartAsync((n, context) => Task.FromResult(Results.ValidationProblem(
            new Dictionary<string, string[]> { ["alerts[0].title"] = ["Title is required.", "Title\u001b[2J is too short."] },
            detail: "One or more fields are invalid.")));

        var hunt = await Cli.RunAsync(Env, "hunt", Trail(1), "--output", "jsonl", "--send-to", url);

        Assert.True(hunt.ExitCode == 2, hunt.ToString());
        Assert.Contains("The server refused the alerts (400): One or more fields are invalid. (alerts[0].title: Title is required. Title\\u001B[2J is too short.)", hunt.Err, StringComparison.Ordinal);
        Assert.DoesNotContain('\u001b', hunt.Err);
        Assert.Single(Keys);
    }

    [Fact]
    public async Task AServerThatNeverAnswers_IsAClearError_NotACrash()
    {
        // The client's timeout used to escape as an unhandled TaskCanceledException: a stack trace and exit 134.
        // The server answers only when the client gives up, so however slow the machine, no try can be answered in time.
        var url = await StartAsync(async (n, context) =>
        {
            await Task.Delay(Timeout.InfiniteTimeSpan, context.RequestAborted);
            return StandInIntake.Accepted(context);
        });
        var clock = Stopwatch.StartNew();

        // Bounded, so that a client waiting for the answer fails the test instead of holding it for good.
        var hunt = await Cli.RunAsync(Env, "hunt", Trail(3), "--output", "jsonl", "--send-to", url, "--send-timeout", "1")
            .WaitAsync(HangGuard.Limit, TestContext.Current.CancellationToken);

        Assert.True(hunt.ExitCode == 2, hunt.ToString());
        Assert.Contains("gave no answer within 1 seconds", hunt.Err);
        Assert.Contains("tried 4 times", hunt.Err);
        Assert.Contains("not all reached the server", hunt.Err);
        Assert.DoesNotContain("Unhandled", hunt.Err);
        // Every try is the same chunk. How many reached the handler before the client's second ran out depends on the
        // machine's load; the count of tries is proved exactly by the failing-server test above.
        Assert.InRange(Keys.Count, 1, 4);
        Assert.Single(Keys.Distinct());
        Assert.True(clock.Elapsed >= TimeSpan.FromSeconds(10), $"{clock.Elapsed}: 4 tries of 1 s, 1 + 2 + 4 s apart");
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
        if (_intake is not null) await _intake.DisposeAsync();
        Directory.Delete(_dir, true);
    }
}
