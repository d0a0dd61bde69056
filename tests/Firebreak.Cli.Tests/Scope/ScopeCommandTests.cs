using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using Firebreak.Testing;

namespace Firebreak.Cli.Tests.Scope;

public sealed class ScopeCommandTests(ServerFixture server) : IClassFixture<ServerFixture>, IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("firebreak-scope-cli-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    [Fact]
    public async Task Scope_PrintsPatientZeroBlastRadiusAndContainment_OrJson()
    {
        var incident = await server.CreateIncidentAsync("Stolen key");
        var file = Path.Combine(_folder, "trail.json");
        await File.WriteAllTextAsync(file, ScopeTrails.ChainTrail(), TestContext.Current.CancellationToken);
        var import = await server.RunAsync("incident", "events", "import", incident, file);
        Assert.True(import.ExitCode == 0, import.ToString());

        var unseeded = await server.RunAsync("incident", "scope", incident);
        Assert.True(unseeded.ExitCode == 0, unseeded.ToString());
        Assert.Contains("15 events", unseeded.Out);
        Assert.Contains("No identity is known to be attacker-controlled", unseeded.Out);

        using (var http = new HttpClient { BaseAddress = new Uri(server.Url) })
        {
            http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", server.ResponderKey);
            var marked = await http.PostAsJsonAsync($"/api/v1/incidents/{incident}/scope/marks",
                new { kind = "access-key", value = ScopeTrails.Stolen, reason = "Key found on a paste site" }, TestContext.Current.CancellationToken);
            Assert.True(marked.IsSuccessStatusCode, await marked.Content.ReadAsStringAsync(TestContext.Current.CancellationToken));
        }

        var scope = await server.RunAsync("incident", "scope", incident);
        Assert.True(scope.ExitCode == 0, scope.ToString());
        Assert.Contains($"Patient zero: {ScopeTrails.Stolen} (access-key)", scope.Out);
        Assert.Contains("GetCallerIdentity from 198.51.100.66", scope.Out);
        Assert.Contains("Blast radius: 8 identities", scope.Out);
        Assert.Contains("Attacker-controlled identities", scope.Out);
        Assert.Contains("aws-revoke-role-sessions", scope.Out);
        Assert.Contains("org-trail", scope.Out);

        var json = await server.RunAsync("incident", "scope", incident, "--json");
        Assert.True(json.ExitCode == 0, json.ToString());
        var root = JsonDocument.Parse(json.Out).RootElement;
        Assert.Equal(ScopeTrails.Stolen, root.GetProperty("patientZero").GetProperty("value").GetString());
        Assert.Equal(1, root.GetProperty("blastRadius").GetProperty("counts").GetProperty("deleted").GetInt32());
    }

    [Fact]
    public async Task Scope_BadInput_IsAUsageErrorOrNotFound()
    {
        var none = await server.RunAsync("incident", "scope");
        Assert.Equal(2, none.ExitCode);
        var unknown = await server.RunAsync("incident", "scope", "INC-1999-9999");
        Assert.NotEqual(0, unknown.ExitCode);
        Assert.Contains("not found", unknown.Err);
        var noKey = await server.RunWithKeyAsync(null, "incident", "scope", "INC-1999-9999");
        Assert.NotEqual(0, noKey.ExitCode);
    }
}
