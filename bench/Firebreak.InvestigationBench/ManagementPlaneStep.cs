using System.Diagnostics;
using System.Globalization;
using Firebreak.Core.Identity;
using Firebreak.Core.ManagementPlane;
using Microsoft.Extensions.DependencyInjection;

/// <summary>Times the management-plane check over the whole incident (the goal: under 5 s at 1,000,000 events).</summary>
internal static class ManagementPlaneStep
{
    public static async Task RunAsync(IServiceProvider services, CurrentActor responder, string incident, int runs = 10)
    {
        var times = new List<double>(runs);
        CheckRunView? last = null;
        for (var i = 0; i < runs; i++)
        {
            await using var scope = services.CreateAsyncScope();
            scope.ServiceProvider.GetRequiredService<CurrentActor>().SetUser(responder.TenantId, responder.UserId!.Value, responder.Name, responder.Role);
            var clock = Stopwatch.StartNew();
            last = await scope.ServiceProvider.GetRequiredService<ManagementPlaneCheckService>().RunAsync(incident, new RunCheck());
            times.Add(clock.Elapsed.TotalMilliseconds);
        }
        times.Sort();
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"management-plane check ({last!.EventsInWindow:N0} events; {last.Passed} pass, {last.Failed} fail, {last.Unknown} unknown): min {times[0]:0.0} ms, p50 {times[times.Count / 2]:0.0} ms, max {times[^1]:0.0} ms over {runs} runs"));
    }
}
