using System.Diagnostics;
using System.Globalization;
using Firebreak.Core;
using Firebreak.Core.Identity;
using Firebreak.Core.Incidents;
using Firebreak.Core.Investigation;
using Firebreak.Core.Persistence;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

// Imports generated CloudTrail files into one incident through the product's import runner, pins a
// sample of events to the timeline, then times timeline pages and principal pivots through the use
// cases (no HTTP), and times the data-loss extent, the management-plane check and the incident scope.
// Usage: Firebreak.InvestigationBench LOGS_DIR DATA_DIR [POSTGRES_CONNECTION]
if (args.Length < 2)
{
    Console.Error.WriteLine("usage: Firebreak.InvestigationBench LOGS_DIR DATA_DIR [POSTGRES_CONNECTION]");
    return 2;
}

var logs = Path.GetFullPath(args[0]);
var settings = new Dictionary<string, string?>
{
    ["Firebreak:DataDirectory"] = Path.GetFullPath(args[1]),
    ["Firebreak:Investigation:ImportRoots:0"] = logs,
    ["Firebreak:Investigation:RunImports"] = "false",
};
if (args.Length > 2) settings["ConnectionStrings:Postgres"] = args[2];
var configuration = new ConfigurationBuilder().AddInMemoryCollection(settings).Build();
await using var services = new ServiceCollection().AddLogging(ScopeBench.Logging).AddSingleton<IConfiguration>(configuration).AddFirebreakCore(configuration).BuildServiceProvider();

async Task<T> AsAsync<T>(ICurrentActor actor, Func<IServiceProvider, Task<T>> work)
{
    await using var scope = services.CreateAsyncScope();
    var current = scope.ServiceProvider.GetRequiredService<CurrentActor>();
    if (actor.IsSystem) current.SetSystem(actor.Name);
    else current.SetUser(actor.TenantId, actor.UserId!.Value, actor.Name, actor.Role);
    return await work(scope.ServiceProvider);
}

var system = Actors.System("bench");
await AsAsync(system, async sp =>
{
    await using var db = await sp.GetRequiredService<IDbContextFactory<FirebreakDbContext>>().CreateDbContextAsync();
    await DatabaseMigrator.MigrateAsync(db, sp.GetRequiredService<DatabaseSettings>());
    return 0;
});
// BENCH_REUSE=1 times the queries again over an incident an earlier run imported into the same database
// (newer migrations are applied first), so a change to a query does not need a fresh million-event import.
var reused = Environment.GetEnvironmentVariable("BENCH_REUSE") == "1"
    ? await AsAsync(system, async sp =>
    {
        await using var db = await sp.GetRequiredService<IDbContextFactory<FirebreakDbContext>>().CreateDbContextAsync();
        return await db.Incidents.Where(i => i.Title == "Benchmark incident").OrderByDescending(i => i.CreatedAt)
            .Select(i => new { i.TenantId, i.Reference, User = db.Users.Where(u => u.TenantId == i.TenantId).Select(u => new { u.Id, u.Email }).First() })
            .FirstOrDefaultAsync();
    })
    : null;
var responder = new CurrentActor();
string incident;
var provider = services.GetRequiredService<DatabaseSettings>().Provider;
if (reused is not null)
{
    responder.SetUser(reused.TenantId, reused.User.Id, reused.User.Email, Role.Responder);
    incident = reused.Reference;
    Console.WriteLine($"provider {provider}; reusing {incident}; load average before: {LoadAverage()}");
}
else
{
    var tenant = await AsAsync(system, sp => sp.GetRequiredService<AdminService>().CreateTenantAsync("Bench " + Guid.NewGuid().ToString("n")[..8]));
    var (user, _) = await AsAsync(system, sp => sp.GetRequiredService<AdminService>().CreateUserAsync(tenant.Slug, "bench@bench.example", "Bench", Role.Responder, "correct-horse-battery-staple"));
    responder.SetUser(tenant.Id, user.Id, user.Email, Role.Responder);
    incident = (await AsAsync(responder, sp => sp.GetRequiredService<IncidentService>().CreateAsync(new CreateIncident("Benchmark incident")))).Reference;
    Console.WriteLine($"provider {provider}; load average before: {LoadAverage()}");

    // 1. Import.
    var import = await AsAsync(responder, sp => sp.GetRequiredService<EventImportService>().StartPathAsync(incident, logs));
    var clock = Stopwatch.StartNew();
    var lastReport = TimeSpan.Zero;
    await using (var scope = services.CreateAsyncScope())
    {
        scope.ServiceProvider.GetRequiredService<CurrentActor>().SetOperator(tenant.Id, "event-import");
        var runner = scope.ServiceProvider.GetRequiredService<EventImportRunner>();
        runner.BatchCommitted = view =>
        {
            if (clock.Elapsed - lastReport < TimeSpan.FromSeconds(15)) return;
            lastReport = clock.Elapsed;
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  {clock.Elapsed.TotalSeconds,6:0}s {view.EventsStored,10:N0} stored, load {LoadAverage()}"));
        };
        await runner.RunAsync(import.Id, CancellationToken.None);
    }
    clock.Stop();
    var done = await AsAsync(responder, sp => sp.GetRequiredService<EventImportService>().GetAsync(incident, import.Id));
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
        $"import: {done.Status}, {done.EventsStored:N0} events stored ({done.Duplicates:N0} duplicates, {done.BytesRead / 1048576.0:N0} MB) in {clock.Elapsed.TotalSeconds:0.0} s = {done.EventsStored / clock.Elapsed.TotalSeconds:N0} events/s; load average {LoadAverage()}"));

    // 2. Pin a sample: the first 2,000 events of the attack window, in pages, as an analyst would.
    var pinned = 0;
    string? after = null;
    while (pinned < 2_000)
    {
        var page = await AsAsync(responder, sp => sp.GetRequiredService<EventSearchService>().SearchAsync(incident, new EventQuery { Limit = 500, After = after }));
        if (page.Items.Count == 0) break;
        var result = await AsAsync(responder, sp => sp.GetRequiredService<TimelineService>().PinAsync(incident, new PinEvents([.. page.Items.Where((_, i) => i % 5 == 0).Select(e => e.Id)])));
        pinned += result.Pinned.Count;
        after = page.Next;
        // Skip ahead so the pins spread over the incident's time span.
        for (var skip = 0; skip < 10 && after is not null; skip++)
            after = (await AsAsync(responder, sp => sp.GetRequiredService<EventSearchService>().SearchAsync(incident, new EventQuery { Limit = 500, After = after }))).Next;
        if (after is null) break;
    }
    Console.WriteLine($"pinned {pinned:N0} events");
}
var total = (await AsAsync(responder, sp => sp.GetRequiredService<TimelineService>().ListAsync(incident, new TimelineQuery { PageSize = 1 }))).Total;
Console.WriteLine($"timeline: {total:N0} entries");

// Indicators: the import extracted them (one GROUP BY per column over all the incident's events). Timed
// again here: a repeated extraction finds every value already there and changes nothing.
var indicators = await AsAsync(responder, sp => sp.GetRequiredService<Firebreak.Core.Indicators.IndicatorService>().ListAsync(incident, new Firebreak.Core.Indicators.IndicatorQuery { PageSize = 1 }));
Console.WriteLine($"indicators: {indicators.Total:N0}");
var extraction = new List<double>();
for (var run = 0; run < 2; run++)
{
    var watch = Stopwatch.StartNew();
    await AsAsync(responder, async sp =>
    {
        await using var db = await sp.GetRequiredService<IDbContextFactory<FirebreakDbContext>>().CreateDbContextAsync();
        var incidentId = (await db.Incidents.AsNoTracking().SingleAsync(i => i.Reference == incident)).Id;
        await Firebreak.Core.Indicators.IndicatorExtraction.SyncEventsAsync(db, incidentId, DateTimeOffset.UtcNow, CancellationToken.None);
        return 0;
    });
    extraction.Add(watch.Elapsed.TotalMilliseconds);
}
Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
    $"indicator extraction over all events (GROUP BY per column and the merge in memory, not saved): {string.Join(", ", extraction.Select(t => $"{t:0} ms"))}; load {LoadAverage()}"));

// 3. Timeline pages: random pages of 100, half with a time window.
var random = new Random(42);
var pages = Math.Max(1, total / 100);
var timelineTimes = await TimeAsync(300, async i =>
{
    var query = new TimelineQuery { Page = random.Next(1, pages + 1), PageSize = 100 };
    if (i % 2 == 1) query = new TimelineQuery { PageSize = 100, KeyEventsOnly = i % 4 == 1, From = new DateTimeOffset(2000, 1, 1, 0, 0, 0, TimeSpan.Zero) };
    await AsAsync(responder, sp => sp.GetRequiredService<TimelineService>().ListAsync(incident, query));
});
Report("timeline page (100 entries)", timelineTimes);

// 4. Pivot by principal: the first page (100 events) of a principal's activity, for principals seen in the data.
var principals = await AsAsync(system, async sp =>
{
    await using var db = await sp.GetRequiredService<IDbContextFactory<FirebreakDbContext>>().CreateDbContextAsync();
    return await db.IncidentEvents.Where(e => e.Principal != null).OrderBy(e => e.Id).Select(e => e.Principal!).Take(20_000).Distinct().Take(200).ToListAsync();
});
var pivotTimes = await TimeAsync(300, async i =>
{
    var principal = principals[random.Next(principals.Count)];
    await AsAsync(responder, sp => sp.GetRequiredService<EventSearchService>().SearchAsync(incident, new EventQuery { Principal = principal, Limit = 100 }));
});
Report($"pivot by principal (first 100 events; {principals.Count} principals)", pivotTimes);
var deepTimes = await TimeAsync(100, async i =>
{
    var principal = principals[random.Next(principals.Count)];
    var first = await AsAsync(responder, sp => sp.GetRequiredService<EventSearchService>().SearchAsync(incident, new EventQuery { Principal = principal, Limit = 100 }));
    if (first.Next is { } next)
        await AsAsync(responder, sp => sp.GetRequiredService<EventSearchService>().SearchAsync(incident, new EventQuery { Principal = principal, Limit = 100, After = next }));
});
Report("pivot by principal, first two pages", deepTimes);

// 5. The data-loss extent of the whole incident.
await DataLossStep.RunAsync(incident, work => AsAsync(responder, work));
// 6. The management-plane check over the whole incident.
await ManagementPlaneStep.RunAsync(services, responder, incident);
// 7. The incident scope over every event.
await ScopeBench.RunAsync(services, responder, incident);
Console.WriteLine($"load average after: {LoadAverage()}");
return 0;

static async Task<List<double>> TimeAsync(int runs, Func<int, Task> work)
{
    for (var i = 0; i < 10; i++) await work(i);
    var times = new List<double>(runs);
    for (var i = 0; i < runs; i++)
    {
        var clock = Stopwatch.StartNew();
        await work(i);
        times.Add(clock.Elapsed.TotalMilliseconds);
    }
    return times;
}

static void Report(string name, List<double> times)
{
    times.Sort();
    double P(double q) => times[Math.Min(times.Count - 1, (int)Math.Ceiling(q * times.Count) - 1)];
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{name}: p50 {P(0.50):0.0} ms, p95 {P(0.95):0.0} ms, p99 {P(0.99):0.0} ms, max {times[^1]:0.0} ms over {times.Count} runs"));
}

static string LoadAverage() => File.Exists("/proc/loadavg") ? string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3)) : "n/a";
