using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;

namespace Firebreak.LoadGen;

/// <summary>Alert intake under load: sustained batches, single alerts, and a bulk load of unique alerts.</summary>
public static class IntakeRuns
{
    public static async Task<int> BatchAsync(LoadOptions options)
    {
        var payloads = Enumerable.Range(0, options.Connections).Select(c => new AlertPayloads(c, options.RepeatShare)).ToArray();
        var result = await DriveAsync(options, (c, http, token) =>
            PostAsync(http, "/api/v1/alerts/batch", payloads[c].Batch(options.BatchSize), options.BatchSize, token));
        Report(options, result, payloads);
        return result.Failed == 0 ? 0 : 1;
    }

    public static async Task<int> SingleAsync(LoadOptions options)
    {
        var payloads = Enumerable.Range(0, options.Connections).Select(c => new AlertPayloads(c, options.RepeatShare)).ToArray();
        var result = await DriveAsync(options, (c, http, token) => PostAsync(http, "/api/v1/alerts", payloads[c].One(), 1, token));
        Report(options, result, payloads);
        return result.Failed == 0 ? 0 : 1;
    }

    /// <summary>Stores --count unique alerts; stops at the count, not at --seconds (bounded by --max-requests).</summary>
    public static async Task<int> LoadAsync(LoadOptions options)
    {
        var payloads = Enumerable.Range(0, options.Connections).Select(c => new AlertPayloads(c, 0)).ToArray();
        var batches = (options.Count + options.BatchSize - 1) / options.BatchSize;
        long claimed = 0;
        var unlimited = options with { Seconds = 3600, MaxRequests = Math.Min(options.MaxRequests, batches) };
        var result = await DriveAsync(unlimited, async (c, http, token) =>
        {
            if (Interlocked.Increment(ref claimed) > batches) return new Answer(Outcome.Stop);
            return await PostAsync(http, "/api/v1/alerts/batch", payloads[c].Batch(options.BatchSize), options.BatchSize, token);
        });
        Report(options, result, payloads);
        return result.Failed == 0 ? 0 : 1;
    }

    internal enum Outcome { Stored, Busy, Failed, Stop }

    internal readonly record struct Answer(Outcome Outcome, int Alerts = 0, int Duplicates = 0);

    internal sealed record RunResult(long Requests, long Alerts, long Duplicates, long Busy, long Failed, TimeSpan Elapsed, Latencies Latencies, string Cpu);

    private sealed class Counters
    {
        public long Requests;
        public long Alerts;
        public long Duplicates;
        public long Busy;
        public long Failed;
    }

    internal static HttpClient Client(LoadOptions options) => new(new SocketsHttpHandler { MaxConnectionsPerServer = 1, PooledConnectionLifetime = TimeSpan.FromMinutes(30) })
    {
        BaseAddress = options.Url,
        Timeout = TimeSpan.FromSeconds(120),
        DefaultRequestHeaders = { Authorization = new AuthenticationHeaderValue("Bearer", options.Key) },
    };

    private static async Task<RunResult> DriveAsync(LoadOptions options, Func<int, HttpClient, CancellationToken, Task<Answer>> step)
    {
        using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(options.Seconds));
        var counters = new Counters();
        var latencies = new Latencies();
        long started = 0;
        var cpu = new ServerCpu(options.ServerPid);
        var clock = Stopwatch.StartNew();
        var connections = Enumerable.Range(0, options.Connections).Select(c => Task.Run(async () =>
        {
            // One client per connection: each sender is its own keep-alive connection, like separate integrations.
            using var http = Client(options);
            while (!stop.IsCancellationRequested && Interlocked.Increment(ref started) <= options.MaxRequests)
            {
                var sent = Stopwatch.GetTimestamp();
                Answer answer;
                try
                {
                    answer = await step(c, http, CancellationToken.None);
                }
                catch (HttpRequestException ex)
                {
                    Console.Error.WriteLine($"request failed: {ex.Message}");
                    answer = new Answer(Outcome.Failed);
                }
                switch (answer.Outcome)
                {
                    case Outcome.Stop:
                        return;
                    case Outcome.Busy:
                        Interlocked.Increment(ref counters.Busy);
                        await Task.Delay(20);
                        continue;
                    case Outcome.Failed:
                        Interlocked.Increment(ref counters.Failed);
                        if (counters.Failed > 20) return;
                        continue;
                }
                latencies.Add(Stopwatch.GetElapsedTime(sent).TotalMilliseconds);
                Interlocked.Increment(ref counters.Requests);
                Interlocked.Add(ref counters.Alerts, answer.Alerts);
                Interlocked.Add(ref counters.Duplicates, answer.Duplicates);
            }
        })).ToArray();
        await Task.WhenAll(connections);
        return new RunResult(counters.Requests, counters.Alerts, counters.Duplicates, counters.Busy, counters.Failed, clock.Elapsed, latencies, cpu.Describe(counters.Alerts));
    }

    private static async Task<Answer> PostAsync(HttpClient http, string path, byte[] body, int expected, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = new ByteArrayContent(body) };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        // Integrations send a key per request so a retry after a time-out is safe; that costs a lookup, so measure it.
        request.Headers.Add("Idempotency-Key", Guid.NewGuid().ToString("N"));
        using var response = await http.SendAsync(request, cancellationToken);
        if (response.StatusCode == HttpStatusCode.TooManyRequests) return new Answer(Outcome.Busy);
        var text = await response.Content.ReadAsByteArrayAsync(cancellationToken);
        if (!response.IsSuccessStatusCode)
        {
            Console.Error.WriteLine($"{(int)response.StatusCode}: {System.Text.Encoding.UTF8.GetString(text)[..Math.Min(300, text.Length)]}");
            return new Answer(Outcome.Failed);
        }
        using var json = JsonDocument.Parse(text);
        var alerts = json.RootElement.GetProperty("alerts");
        var duplicates = 0;
        foreach (var alert in alerts.EnumerateArray()) if (alert.GetProperty("duplicate").GetBoolean()) duplicates++;
        return alerts.GetArrayLength() == expected ? new Answer(Outcome.Stored, expected, duplicates) : new Answer(Outcome.Failed);
    }

    private static void Report(LoadOptions options, RunResult result, AlertPayloads[] payloads)
    {
        var seconds = result.Elapsed.TotalSeconds;
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"[{options.Label}] {result.Alerts:N0} alerts in {result.Requests:N0} requests over {seconds:F1} s: {result.Alerts / seconds:N0} alerts/s, {result.Requests / seconds:N1} requests/s; " +
            $"{result.Duplicates:N0} answered as duplicates ({payloads.Sum(p => p.Repeats):N0} repeats sent); {result.Busy} busy (429), {result.Failed} failed; " +
            $"connections {options.Connections}, batch {(options.Mode == "single" ? 1 : options.BatchSize)}; latency {result.Latencies.Describe()}{result.Cpu}"));
    }
}
