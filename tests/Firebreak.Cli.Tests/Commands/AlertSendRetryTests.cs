using Microsoft.AspNetCore.Http;

namespace Firebreak.Cli.Tests.Commands;

/// <summary>
/// The intake's 429 is hard to provoke on a real server without timing, so these run against a stand-in
/// that answers 429 a set number of times (with Retry-After: 0, so nothing waits) before accepting.
/// </summary>
public sealed class AlertSendRetryTests : IAsyncDisposable
{
    private StandInIntake? _intake;
    private readonly string _file = Path.Combine(Path.GetTempPath(), "firebreak-cli-retry-" + Guid.NewGuid().ToString("N") + ".json");

    private IReadOnlyList<string?> Keys => _intake!.Keys;

    private async Task<string> StartAsync(int busyAnswers)
    {
        _intake = await StandInIntake.StartAsync((n, context) => Task.FromResult(n <= busyAnswers
            ? StandInIntake.Refuse(context, StatusCodes.Status429TooManyRequests)
            : Results.Json(new { alerts = new[] { new { id = Guid.NewGuid(), duplicate = false, occurrenceCount = 1, suppressed = false } }, replayed = false })));
        File.WriteAllText(_file, """[{"source":"retry","title":"Queued alert"}]""");
        return _intake.Url;
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
        Assert.Equal(["nightly-42", "nightly-42", "nightly-42"], Keys);
    }

    [Fact]
    public async Task Busy_GivesUp_AfterTheBoundedRetries()
    {
        var url = await StartAsync(busyAnswers: int.MaxValue);

        var result = await SendAsync(url, _file);

        Assert.Equal(ExitCodes.Refused, result.ExitCode);
        Assert.Contains("Rate limited", result.Err);
        Assert.Equal(1 + Client.FirebreakClient.BusyRetries, Keys.Count);
    }

    public async ValueTask DisposeAsync()
    {
        if (_intake is not null) await _intake.DisposeAsync();
        File.Delete(_file);
    }
}
