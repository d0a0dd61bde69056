using System.Diagnostics;
using System.Globalization;
using Firebreak.Core.Identity;
using Firebreak.Core.Investigation;
using Firebreak.Core.Scope;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

/// <summary>
/// Times the incident scope over the imported events: the graph, blast radius and patient zero,
/// first with no identity marked, then with the attacker's key (the one that created an IAM user) marked compromised.
/// </summary>
internal static class ScopeBench
{
    public static async Task RunAsync(IServiceProvider services, CurrentActor responder, string incident)
    {
        async Task<T> AsResponderAsync<T>(Func<IServiceProvider, Task<T>> work)
        {
            await using var scope = services.CreateAsyncScope();
            scope.ServiceProvider.GetRequiredService<CurrentActor>().SetUser(responder.TenantId, responder.UserId!.Value, responder.Name, responder.Role);
            return await work(scope.ServiceProvider);
        }

        // A database kept from an earlier run (BENCH_REUSE=1) already has the attacker's key marked.
        var alreadyMarked = (await AsResponderAsync(sp => sp.GetRequiredService<ScopeService>().GetAsync(incident))).Marks.Any(m => m.Active);
        await TimeAsync(alreadyMarked ? "scope, attacker key marked by an earlier run" : "scope, nothing marked", () => AsResponderAsync(sp => sp.GetRequiredService<ScopeService>().GetAsync(incident)));
        var creator = await AsResponderAsync(sp => sp.GetRequiredService<EventSearchService>().SearchAsync(incident, new EventQuery { Operation = "CreateUser", Limit = 1 }));
        if (!alreadyMarked && creator.Items is [{ AccessKeyId: { } key }, ..])
        {
            await AsResponderAsync(sp => sp.GetRequiredService<ScopeService>().MarkAsync(incident, new MarkCompromised(ScopeMarkKind.AccessKey, key, "benchmark")));
            await TimeAsync($"scope, {key} marked", () => AsResponderAsync(sp => sp.GetRequiredService<ScopeService>().GetAsync(incident)));
        }
    }

    /// <summary>Prints the scope's own log line (its time per stage) to the console.</summary>
    public static void Logging(ILoggingBuilder builder) => builder.AddProvider(new StageLines());

    private sealed class StageLines : ILoggerProvider, ILogger
    {
        public ILogger CreateLogger(string categoryName) => categoryName == typeof(ScopeService).FullName ? this : Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance;

        public void Dispose() { }

        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => logLevel >= LogLevel.Information;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            Console.WriteLine("  " + formatter(state, exception));
    }

    private static async Task TimeAsync(string name, Func<Task<ScopeView>> work)
    {
        var times = new List<double>();
        ScopeView? view = null;
        for (var i = 0; i < 4; i++)
        {
            var clock = Stopwatch.StartNew();
            view = await work();
            if (i > 0) times.Add(clock.Elapsed.TotalMilliseconds); // the first run warms the caches
        }
        times.Sort();
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{name}: median {times[times.Count / 2]:0} ms, max {times[^1]:0} ms over {times.Count} runs; {view!.Events:N0} events, {view.Identities.Count:N0} identities, {view.Edges.Count:N0} edges, {view.Resources.Count:N0} resources, {view.SourceIps.Count:N0} source IPs; blast radius {view.BlastRadius.Counts.Identities} identities, {view.BlastRadius.Counts.Resources} resources; patient zero {view.PatientZero?.Value ?? "none"}"));
        foreach (var cut in view.Truncated) Console.WriteLine("  truncated: " + cut);
    }
}
