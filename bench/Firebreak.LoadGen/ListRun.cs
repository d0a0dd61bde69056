using System.Diagnostics;
using System.Globalization;
using System.Text.Json;

namespace Firebreak.LoadGen;

/// <summary>The analyst's queue: new high-or-worse alerts, a random page of 50, optionally with a title filter.</summary>
public static class ListRun
{
    public static async Task<int> RunAsync(LoadOptions options)
    {
        using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(options.Seconds));
        var latencies = new Latencies();
        long started = 0;
        long failed = 0;
        long total = -1;
        var cpu = new ServerCpu(options.ServerPid);
        var clock = Stopwatch.StartNew();
        var text = string.IsNullOrWhiteSpace(options.Text) ? "" : "&q=" + Uri.EscapeDataString(options.Text);
        var connections = Enumerable.Range(0, options.Connections).Select(c => Task.Run(async () =>
        {
            using var http = IntakeRuns.Client(options);
            var random = new Random(c + 1);
            while (!stop.IsCancellationRequested && Interlocked.Increment(ref started) <= options.MaxRequests)
            {
                var page = random.Next(1, options.Pages + 1);
                var sent = Stopwatch.GetTimestamp();
                using var response = await http.GetAsync($"/api/v1/alerts?minSeverity=high&state=new&page={page}&pageSize=50{text}");
                var body = await response.Content.ReadAsByteArrayAsync();
                var elapsed = Stopwatch.GetElapsedTime(sent).TotalMilliseconds;
                if (!response.IsSuccessStatusCode)
                {
                    Console.Error.WriteLine($"{(int)response.StatusCode} for page {page}");
                    if (Interlocked.Increment(ref failed) > 20) return;
                    continue;
                }
                latencies.Add(elapsed);
                if (Interlocked.Read(ref total) < 0)
                {
                    using var json = JsonDocument.Parse(body);
                    Interlocked.Exchange(ref total, json.RootElement.GetProperty("total").GetInt64());
                }
            }
        })).ToArray();
        await Task.WhenAll(connections);
        var seconds = clock.Elapsed.TotalSeconds;
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"[{options.Label}] {latencies.Count:N0} list requests over {seconds:F1} s ({latencies.Count / seconds:N1}/s), {failed} failed; " +
            $"filter matches {total:N0} alerts; pages 1-{options.Pages} of 50; connections {options.Connections}; latency {latencies.Describe()}{cpu.Describe(latencies.Count, "request")}"));
        return failed == 0 ? 0 : 1;
    }
}
