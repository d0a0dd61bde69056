using Firebreak.Core;
using Firebreak.Core.Identity;
using Firebreak.Core.Persistence;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Time.Testing;

namespace Firebreak.Testing;

/// <summary>
/// Core's use cases over a fresh, migrated database, without the web server. Each call to
/// <see cref="As"/> opens a scope acting as one user, the way a request or circuit would.
/// </summary>
public sealed class CoreHarness : IAsyncDisposable
{
    private readonly ServiceProvider _services;

    private readonly bool _ownsDatabase;

    private CoreHarness(ServiceProvider services, TestDatabase database, FakeTimeProvider time, bool ownsDatabase)
    {
        _services = services;
        Database = database;
        Time = time;
        _ownsDatabase = ownsDatabase;
    }

    public TestDatabase Database { get; }
    public FakeTimeProvider Time { get; }

    /// <summary>The root provider: singletons and hosted services.</summary>
    public IServiceProvider Services => _services;

    /// <param name="services">Runs after Core's registrations, to add or put in place real port implementations (the cloud actions, an S3 evidence store).</param>
    public static async Task<CoreHarness> CreateAsync(DatabaseKind kind, IReadOnlyDictionary<string, string?>? settings = null,
        Action<IServiceCollection, IConfiguration>? services = null) =>
        await StartAsync(await TestDatabase.CreateAsync(kind), ownsDatabase: true, settings, services);

    /// <summary>
    /// Another host over a database that outlives it (the caller disposes it): a server stopped and started again.
    /// </summary>
    public static Task<CoreHarness> OpenAsync(TestDatabase database, IReadOnlyDictionary<string, string?>? settings = null,
        Action<IServiceCollection, IConfiguration>? services = null) => StartAsync(database, ownsDatabase: false, settings, services);

    private static async Task<CoreHarness> StartAsync(TestDatabase database, bool ownsDatabase, IReadOnlyDictionary<string, string?>? settings,
        Action<IServiceCollection, IConfiguration>? services)
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(database.Settings).AddInMemoryCollection(settings ?? new Dictionary<string, string?>()).Build();
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 3, 14, 9, 0, 0, TimeSpan.Zero));
        var collection = new ServiceCollection()
            .AddSingleton<TimeProvider>(time)
            .AddLogging()
            .AddSingleton<IConfiguration>(configuration)
            .AddFirebreakCore(configuration);
        services?.Invoke(collection, configuration);
        var provider = collection.BuildServiceProvider(new ServiceProviderOptions { ValidateScopes = true });
        var harness = new CoreHarness(provider, database, time, ownsDatabase);
        await using var scope = harness.As(Actors.System("migrate"));
        await using var db = await scope.Services.GetRequiredService<IDbContextFactory<FirebreakDbContext>>().CreateDbContextAsync();
        await DatabaseMigrator.MigrateAsync(db, provider.GetRequiredService<DatabaseSettings>());
        foreach (var hosted in provider.GetServices<IHostedService>()) await hosted.StartAsync(CancellationToken.None);
        return harness;
    }

    /// <summary>
    /// What a server start does for response actions left running: starts a new instance of the hosted service
    /// that recovers them, over this harness's database and services, and waits until its pass is over.
    /// </summary>
    public async Task StartInterruptedActionRecoveryAsync()
    {
        var worker = ActivatorUtilities.CreateInstance<Core.Response.InterruptedActionWorker>(_services);
        await worker.StartAsync(CancellationToken.None);
        await (worker.ExecuteTask ?? Task.CompletedTask);
        await worker.StopAsync(CancellationToken.None);
    }

    public ActorScope As(ICurrentActor actor)
    {
        var scope = _services.CreateAsyncScope();
        var current = scope.ServiceProvider.GetRequiredService<CurrentActor>();
        if (actor.IsSystem) current.SetSystem(actor.Name);
        else if (actor.ApiKeyId is { } key) current.SetApiKey(actor.TenantId, key, actor.Name, actor.Role);
        else if (actor.UserId is { } user) current.SetUser(actor.TenantId, user, actor.Name, actor.Role);
        else current.SetOperator(actor.TenantId, actor.Name);
        return new ActorScope(scope);
    }

    /// <summary>A tenant with one user per role; returns the actors to act as.</summary>
    public async Task<HarnessTenant> CreateTenantAsync(string name)
    {
        await using var scope = As(Actors.System("setup"));
        var admin = scope.Services.GetRequiredService<AdminService>();
        var tenant = await admin.CreateTenantAsync(name);
        var actors = new Dictionary<Role, CurrentActor>();
        var users = new Dictionary<Role, UserView>();
        foreach (var role in Enum.GetValues<Role>())
        {
            var (user, _) = await admin.CreateUserAsync(tenant.Slug, $"{role.Name()}@{tenant.Slug}.example", $"{role} of {name}", role, "correct-horse-battery-staple");
            var actor = new CurrentActor();
            actor.SetUser(tenant.Id, user.Id, user.Email, role);
            actors[role] = actor;
            users[role] = user;
        }
        return new HarnessTenant(tenant.Id, tenant.Slug, actors, users);
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var hosted in _services.GetServices<IHostedService>()) await hosted.StopAsync(CancellationToken.None);
        await _services.DisposeAsync();
        if (_ownsDatabase) await Database.DisposeAsync();
    }
}

public sealed class ActorScope(AsyncServiceScope scope) : IAsyncDisposable
{
    public IServiceProvider Services => scope.ServiceProvider;

    public T Get<T>() where T : notnull => scope.ServiceProvider.GetRequiredService<T>();

    public ValueTask DisposeAsync() => scope.DisposeAsync();
}

public sealed record HarnessTenant(Guid Id, string Slug, IReadOnlyDictionary<Role, CurrentActor> Actors, IReadOnlyDictionary<Role, UserView> Users)
{
    public CurrentActor Admin => Actors[Role.Admin];
    public CurrentActor Manager => Actors[Role.IncidentManager];
    public CurrentActor Responder => Actors[Role.Responder];
    public CurrentActor Viewer => Actors[Role.Viewer];
}
