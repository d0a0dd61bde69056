using System.Net.Http.Json;
using System.Text.Json;
using Firebreak.Core.Identity;
using Firebreak.Testing;

namespace Firebreak.Server.Tests;

/// <summary>One real server per test class (SQLite), with two tenants whose users hold every role.</summary>
public sealed class ServerFixture : IAsyncLifetime
{
    public TestServer Server { get; private set; } = null!;
    public TestTenant Acme { get; private set; } = null!;
    public TestTenant Globex { get; private set; } = null!;

    public async ValueTask InitializeAsync()
    {
        Server = await TestServer.StartAsync(DatabaseKind.Sqlite);
        Acme = await Server.CreateTenantAsync("Acme");
        Globex = await Server.CreateTenantAsync("Globex");
    }

    public async ValueTask DisposeAsync() => await Server.DisposeAsync();
}

public static class ApiCalls
{
    public static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    /// <summary>Creates an incident through the API and returns its JSON.</summary>
    public static async Task<JsonElement> CreateIncidentAsync(this HttpClient client, object body)
    {
        var response = await client.PostAsJsonAsync("/api/v1/incidents", body);
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, $"{(int)response.StatusCode}: {text}");
        return JsonDocument.Parse(text).RootElement.Clone();
    }

    public static async Task<JsonElement> JsonAsync(this HttpResponseMessage response)
    {
        var text = await response.Content.ReadAsStringAsync();
        return JsonDocument.Parse(text).RootElement.Clone();
    }

    public static Guid UserId(this TestTenant tenant, Role role) => tenant.Users[role].Id;
}
