using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace Firebreak.Cli.Tests.Commands;

/// <summary>`hunt --send-to --incident` at its edges: nothing to attach, and an upload slower than the timeout.</summary>
public sealed class SendToEdgeTests(ServerFixture server) : IClassFixture<ServerFixture>, IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("firebreak-send-edges-").FullName;

    private string Write(string name, string content)
    {
        var path = Path.Combine(_dir, Guid.NewGuid().ToString("N"), name);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, content);
        return path;
    }

    private static string Stop(string id, string time, string agent = "aws-cli/2.15.0") =>
        $$"""{"eventVersion":"1.08","eventTime":"{{time}}","eventSource":"cloudtrail.amazonaws.com","eventName":"StopLogging","awsRegion":"us-east-1","sourceIPAddress":"203.0.113.9","userAgent":"{{agent}}","userIdentity":{"type":"IAMUser","arn":"arn:aws:iam::111122223333:user/ops"},"eventID":"{{id}}"}""";

    [Fact]
    public async Task SendToIncident_WhenEveryHitIsACorrelation_IsNotAFailedSend()
    {
        // Correlation hits are not sent with --incident. When they are the only hits, nothing is posted (the server
        // refuses an empty upload), the hunt says so, and it ends as a hunt with hits: nothing failed to reach the server.
        var rules = Path.GetDirectoryName(Write("twice.yml", """
            title: base
            name: trail_stopped_base
            logsource: {product: aws, service: cloudtrail}
            detection: {sel: {eventName: StopLogging}, condition: sel}
            ---
            title: Trail stopped twice by one user
            level: high
            correlation: {type: event_count, rules: [trail_stopped_base], group-by: [userIdentity.arn], timespan: 10m, condition: {gte: 2}}
            """))!;
        var log = Write("stops.jsonl", Stop("c1", "2026-01-15T09:00:00Z") + "\n" + Stop("c2", "2026-01-15T09:01:00Z") + "\n");
        var incident = await server.CreateIncidentAsync("Correlation only");
        var env = new Dictionary<string, string?> { ["FIREBREAK_API_KEY"] = server.ResponderKey };

        var hunt = await Cli.RunAsync(env, "hunt", log, "--no-builtin", "--rules", rules, "--min-level", "high", "--output", "jsonl",
            "--send-to", server.Url, "--incident", incident);

        var hit = Assert.Single(hunt.Out.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.Contains("\"kind\":\"correlation\"", hit);
        Assert.True(!hunt.Err.Contains("not all reached the server"), hunt.ToString());
        Assert.Contains($"No events to attach to {incident}: the 1 hit(s) are correlations", hunt.Err, StringComparison.Ordinal);
        Assert.True(hunt.ExitCode == 1, hunt.ToString());
    }

    private string StopRule() => Path.GetDirectoryName(Write("stop.yml", """
        title: Trail stop
        id: 0b8f6c1e-7d7a-4c55-9a51-5c3f0f1b2a11
        level: high
        logsource: {product: aws, service: cloudtrail}
        detection: {sel: {eventName: StopLogging}, condition: sel}
        """))!;

    [Fact]
    public async Task SendToIncident_AnUploadTheServerKeepsReading_IsNotCutOffBySendTimeout()
    {
        // --send-timeout times silence, not the whole request: an events upload to a server that reads it steadily (a slow
        // link, here about 1 MB/s) for twice the timeout and answers as soon as the last byte is in goes through on its
        // first try, not cut off mid-upload and started again from its first byte. (What the client has written may still
        // be in the system's buffers, a few MB on this loopback, when it starts waiting for the answer: the timeout is
        // chosen above that, with room for a busy machine, and the server's own buffer kept small.)
        var pad = new string('x', 8000);
        var log = Write("big.jsonl", string.Concat(Enumerable.Range(0, 2500).Select(i =>
            $$"""{"eventVersion":"1.08","eventTime":"2026-01-15T09:{{i / 60 % 60:00}}:{{i % 60:00}}Z","eventSource":"cloudtrail.amazonaws.com","eventName":"StopLogging","awsRegion":"us-east-1","sourceIPAddress":"203.0.113.9","userIdentity":{"type":"IAMUser","arn":"arn:aws:iam::111122223333:user/ops"},"requestParameters":{"name":"{{pad}}"},"eventID":"big-{{i}}"}""" + "\n")));
        var uploads = 0;
        var (app, url) = await StandInServer.StartAsync(server => server.MapPost("/api/v1/incidents/{key}/events/imports/upload", async (HttpContext context) =>
        {
            Interlocked.Increment(ref uploads);
            var buffer = new byte[64 * 1024];
            while (await context.Request.Body.ReadAsync(buffer, context.RequestAborted) > 0)
            {
                await Task.Delay(60, context.RequestAborted); // about 1 MB/s, never a pause of more than 60 ms
            }

            context.Response.StatusCode = 202;
            context.Response.ContentType = "application/json";
            await context.Response.WriteAsync($$"""{"id":"{{Guid.NewGuid()}}","status":"queued"}""", context.RequestAborted);
        }), kestrel => kestrel.Limits.MaxRequestBufferSize = 64 * 1024);
        await using var _ = app;
        var env = new Dictionary<string, string?> { ["FIREBREAK_API_KEY"] = "fbk_slow_upload" };

        var hunt = await Cli.RunAsync(env, "hunt", log, "--no-builtin", "--rules", StopRule(), "--output", "jsonl",
            "--send-to", url, "--incident", "INC-2026-0001", "--send-timeout", "10");

        Assert.True(hunt.ExitCode == 1, $"{uploads} upload(s)\n" + hunt.Err);
        Assert.Contains("Attached 2500 event(s)", hunt.Err);
        Assert.Equal(1, uploads);
    }

    [Theory]
    // A web server's page, a proxy's empty answer, an answer for fewer alerts than were sent.
    [InlineData("text/html", "<html><body>It works</body></html>")]
    [InlineData("application/json", "{}")]
    [InlineData("application/json", "{\"alerts\":[],\"replayed\":false}")]
    public async Task SendTo_AServerThatIsNotFirebreak_AnsweringOk_IsAnError_NotAlertsSent(string contentType, string answer)
    {
        // Any server answers 200 to a POST it ignores: a --send-to with the wrong address said "Sent 1 alert(s)", exit 1,
        // and the alerts were nowhere.
        var log = Write("stop.json", """{"Records":[{"eventVersion":"1.08","eventTime":"2026-01-15T09:00:00Z","eventSource":"cloudtrail.amazonaws.com","eventName":"StopLogging","awsRegion":"us-east-1","sourceIPAddress":"203.0.113.9","userIdentity":{"type":"IAMUser","arn":"arn:aws:iam::111122223333:user/ops"},"eventID":"e1"}]}""");
        var (app, url) = await StandInServer.StartAsync(server => server.MapPost("/api/v1/alerts/batch", async (HttpContext context) =>
        {
            context.Response.ContentType = contentType;
            await context.Response.WriteAsync(answer, context.RequestAborted);
        }));
        await using var _ = app;
        var env = new Dictionary<string, string?> { ["FIREBREAK_API_KEY"] = "fbk_not_firebreak" };

        var hunt = await Cli.RunAsync(env, "hunt", log, "--no-builtin", "--rules", StopRule(), "--output", "jsonl", "--send-to", url);

        Assert.True(hunt.ExitCode == 2, hunt.ToString());
        Assert.Contains("something other than a Firebreak server's answer", hunt.Err, StringComparison.Ordinal);
        Assert.DoesNotContain("Sent 1 alert(s)", hunt.Err, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("--api-key", "")]
    [InlineData("--api-key", "   ")]
    public async Task SendTo_WithAnEmptyKey_IsAUsageError_BeforeAnythingIsHunted(string option, string key)
    {
        // An empty --api-key was taken for a key: the hunt ran, then posted to the server with it.
        var log = Write("stop.json", """{"Records":[{"eventVersion":"1.08","eventTime":"2026-01-15T09:00:00Z","eventSource":"cloudtrail.amazonaws.com","eventName":"StopLogging","awsRegion":"us-east-1","sourceIPAddress":"203.0.113.9","userIdentity":{"type":"IAMUser","arn":"arn:aws:iam::111122223333:user/ops"},"eventID":"e1"}]}""");
        var env = new Dictionary<string, string?> { ["FIREBREAK_API_KEY"] = null };

        var hunt = await Cli.RunAsync(env, "hunt", log, "--no-builtin", "--rules", StopRule(), "--output", "jsonl", "--send-to", "http://127.0.0.1:1", option, key);

        Assert.True(hunt.ExitCode == 2, hunt.ToString());
        Assert.Contains("--send-to needs an API key", hunt.Err, StringComparison.Ordinal);
        Assert.Empty(hunt.Out);
    }

    public void Dispose() => Directory.Delete(_dir, recursive: true);
}
