using System.Net.Http.Headers;
using Firebreak.Core.Identity;
using Firebreak.Server.Hosting;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Firebreak.Testing;

/// <summary>The real server (Kestrel, real HTTP) on a free loopback port, over a fresh database.</summary>
public sealed class TestServer : IAsyncDisposable
{
    private TestServer(WebApplication app, TestDatabase database, Uri address)
    {
        App = app;
        Database = database;
        Address = address;
    }

    public WebApplication App { get; }
    public TestDatabase Database { get; }
    public Uri Address { get; }
    public IServiceProvider Services => App.Services;

    /// <param name="services">Test-only plumbing added to the server's services (trusting a local cloud endpoint's certificate, say); options set here combine with the server's own.</param>
    public static async Task<TestServer> StartAsync(DatabaseKind kind, IReadOnlyDictionary<string, string?>? settings = null, Action<IServiceCollection>? services = null) =>
        await StartAsync(await TestDatabase.CreateAsync(kind), settings, services);

    /// <summary>
    /// A restart: stops this server, keeping its database, and starts a new one over it (hosted services run their
    /// start-up work again). Dispose the returned server, not this one.
    /// </summary>
    public async Task<TestServer> RestartAsync(IReadOnlyDictionary<string, string?>? settings = null, Action<IServiceCollection>? services = null)
    {
        await App.StopAsync();
        await App.DisposeAsync();
        return await StartAsync(Database, settings, services);
    }

    /// <summary>
    /// A server over a database made beforehand, for settings that need its data directory first (a secret protected
    /// with the directory's Data Protection keys, say). The server owns the database from then on.
    /// </summary>
    public static async Task<TestServer> StartAsync(TestDatabase database, IReadOnlyDictionary<string, string?>? settings, Action<IServiceCollection>? services = null)
    {
        var app = FirebreakApp.Build(["--urls", "http://127.0.0.1:0", "--environment", "Production"], builder =>
        {
            builder.Configuration.AddInMemoryCollection(database.Settings);
            if (settings is not null) builder.Configuration.AddInMemoryCollection(settings);
            builder.Logging.ClearProviders();
            services?.Invoke(builder.Services);
        });
        await app.MigrateDatabaseAsync();
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        return new TestServer(app, database, new Uri(address));
    }

    /// <summary>Runs a use case as an operator inside the given tenant (or as the system when null).</summary>
    public async Task<T> AsOperatorAsync<T>(Guid? tenantId, Func<IServiceProvider, Task<T>> work)
    {
        await using var scope = Services.CreateAsyncScope();
        var actor = scope.ServiceProvider.GetRequiredService<CurrentActor>();
        if (tenantId is { } id) actor.SetOperator(id, "test-operator");
        else actor.SetSystem("test-operator");
        return await work(scope.ServiceProvider);
    }

    /// <summary>A tenant with one user and one API key per role.</summary>
    public async Task<TestTenant> CreateTenantAsync(string name)
    {
        var admin = Services.GetRequiredService<IServiceScopeFactory>();
        await using var scope = admin.CreateAsyncScope();
        var service = scope.ServiceProvider.GetRequiredService<AdminService>();
        var tenant = await service.CreateTenantAsync(name);
        var users = new Dictionary<Role, UserView>();
        var keys = new Dictionary<Role, string>();
        foreach (var role in Enum.GetValues<Role>())
        {
            var (user, _) = await service.CreateUserAsync(tenant.Slug, $"{role.Name()}@{tenant.Slug}.example", $"{role} of {name}", role, "correct-horse-battery-staple");
            users[role] = user;
            keys[role] = (await service.CreateApiKeyAsync(tenant.Slug, $"{role.Name()} key", role, null)).Secret;
        }
        return new TestTenant(this, tenant.Id, tenant.Slug, users, keys);
    }

    public HttpClient Client(string? apiKey = null)
    {
        // A request sent with Expect: 100-continue waits this long for the server's answer before sending its
        // body; the default second can pass on a loaded machine, and then a refused upload races the 413.
        var client = new HttpClient(new SocketsHttpHandler { Expect100ContinueTimeout = TimeSpan.FromMinutes(1) }) { BaseAddress = Address };
        if (apiKey is not null) client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", apiKey);
        return client;
    }

    public async ValueTask DisposeAsync()
    {
        await App.StopAsync();
        await App.DisposeAsync();
        await Database.DisposeAsync();
    }
}

public sealed record TestTenant(TestServer Server, Guid Id, string Slug, IReadOnlyDictionary<Role, UserView> Users, IReadOnlyDictionary<Role, string> Keys)
{
    public HttpClient Client(Role role) => Server.Client(Keys[role]);
}
