using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using Firebreak.Server.Hosting;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Firebreak.Cli.Tests;

/// <summary>
/// A real server on Kestrel at a free loopback port over its own temporary database, bootstrapped
/// through the CLI, with intent methods for what tests need set up.
/// </summary>
public sealed class ServerFixture : IAsyncLifetime
{
    private WebApplication? _app;
    private readonly Func<string, Task<IEnumerable<string>>> _settings;

    public ServerFixture() : this(_ => Task.FromResult(Enumerable.Empty<string>())) { }

    private ServerFixture(Func<string, Task<IEnumerable<string>>> settings) => _settings = settings;

    /// <summary>A server of its own with extra settings (<c>--Key=value</c>), for the test that needs them.</summary>
    public static async Task<ServerFixture> StartAsync(params string[] settings)
    {
        var fixture = new ServerFixture(_ => Task.FromResult<IEnumerable<string>>(settings));
        await fixture.InitializeAsync();
        return fixture;
    }

    /// <summary>A server of its own with settings that depend on its data directory (such as a secret protected with its keys).</summary>
    public static async Task<ServerFixture> StartAsync(Func<string, Task<Dictionary<string, string?>>> settingsForDataDirectory)
    {
        var fixture = new ServerFixture(async directory => (await settingsForDataDirectory(directory)).Select(s => $"--{s.Key}={s.Value}"));
        await fixture.InitializeAsync();
        return fixture;
    }

    public string DataDirectory { get; } = Cli.NewDataDirectory();
    public string Url { get; private set; } = "";
    public string ResponderKey { get; private set; } = "";
    public string ManagerKey { get; private set; } = "";

    public async ValueTask InitializeAsync()
    {
        _app = FirebreakApp.Build(["--urls=http://127.0.0.1:0", "--Firebreak:DataDirectory=" + DataDirectory, .. await _settings(DataDirectory)], b => b.Logging.ClearProviders());
        await _app.MigrateDatabaseAsync();
        await _app.StartAsync();
        Url = _app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.Single();

        var bootstrap = await AdminAsync("admin", "bootstrap", "--tenant", "Acme", "--email", "admin@acme.example");
        Assert.True(bootstrap.ExitCode == 0, bootstrap.ToString());
        ResponderKey = await CreateApiKeyAsync("responder");
        ManagerKey = await CreateApiKeyAsync("incident-manager");
    }

    public async ValueTask DisposeAsync()
    {
        if (_app is not null)
        {
            await _app.StopAsync();
            await _app.DisposeAsync();
        }
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        Cli.DeleteDataDirectory(DataDirectory);
    }

    /// <summary>A client command against this server with the responder key, given as the environment would give it.</summary>
    public Task<CliResult> RunAsync(params string[] args) => RunWithKeyAsync(ResponderKey, args);

    public Task<CliResult> RunWithKeyAsync(string? apiKey, params string[] args) =>
        Cli.RunAsync(new Dictionary<string, string?> { ["FIREBREAK_URL"] = Url, ["FIREBREAK_API_KEY"] = apiKey }, args);

    public Task<CliResult> RunWithInputAsync(string input, params string[] args) =>
        Cli.RunWithInputAsync(new Dictionary<string, string?> { ["FIREBREAK_URL"] = Url, ["FIREBREAK_API_KEY"] = ResponderKey }, input, args);

    /// <summary>An operator command against this server's database.</summary>
    public Task<CliResult> AdminAsync(params string[] args) => Cli.RunAsync([.. args, "--data-dir", DataDirectory]);

    public async Task<string> CreateApiKeyAsync(string role)
    {
        var result = await AdminAsync("admin", "create-api-key", "--name", $"{role}-{Guid.NewGuid():N}", "--role", role);
        Assert.True(result.ExitCode == 0, result.ToString());
        return result.Printed("Key");
    }

    /// <summary>Creates an incident through the CLI and returns its reference.</summary>
    public async Task<string> CreateIncidentAsync(string title, params string[] options)
    {
        var result = await RunAsync(["incident", "create", "--title", title, "--json", .. options]);
        Assert.True(result.ExitCode == 0, result.ToString());
        using var json = JsonDocument.Parse(result.Out);
        return json.RootElement.GetProperty("reference").GetString()!;
    }

    /// <summary>The CLI has no role assignment yet, so this goes to the API directly: a new user becomes the incident manager.</summary>
    public async Task AssignIncidentManagerAsync(string reference)
    {
        var email = $"im-{Guid.NewGuid():N}@acme.example";
        var user = await AdminAsync("admin", "create-user", "--email", email, "--name", "Ines Manager", "--role", "incident-manager");
        Assert.True(user.ExitCode == 0, user.ToString());
        var id = Guid.Parse(user.Out.Split(" with id ")[1].Split('.')[0]);

        using var http = new HttpClient { BaseAddress = new Uri(Url) };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", ManagerKey);
        using var response = await http.PutAsJsonAsync($"/api/v1/incidents/{reference}/roles",
            new { incidentManagerId = id, communicationsLeadId = (Guid?)null }, TestContext.Current.CancellationToken);
        Assert.True(response.IsSuccessStatusCode, await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken));
    }
}
