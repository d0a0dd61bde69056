using System.Diagnostics;
using System.Globalization;
using Firebreak.Core.DataLoss;
using Microsoft.Extensions.DependencyInjection;

/// <summary>
/// Times the data-loss assessment over the whole incident: the aggregate queries over the data-access
/// operations, the sharing and exposure events, and recording the result. Each run is recorded, as in use.
/// </summary>
internal static class DataLossStep
{
    public static async Task RunAsync(string incident, Func<Func<IServiceProvider, Task<DataLossView>>, Task<DataLossView>> asResponder, int runs = 5)
    {
        var times = new List<double>(runs);
        DataLossView? last = null;
        for (var i = 0; i < runs; i++)
        {
            var clock = Stopwatch.StartNew();
            last = await asResponder(sp => sp.GetRequiredService<DataLossService>().AssessAsync(incident));
            times.Add(clock.Elapsed.TotalMilliseconds);
        }
        times.Sort();
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"data-loss assessment: {last!.Resources.Count} resources from {last.EventsMatched:N0} matching events; p50 {times[times.Count / 2]:0} ms, min {times[0]:0} ms, max {times[^1]:0} ms over {runs} runs"));
    }
}
