using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Firebreak.Core.Identity;
using Firebreak.Testing;
using static Firebreak.Cloud.Tests.Azure.AzureJson;

namespace Firebreak.Cloud.Tests.Azure;

/// <summary>The real server, configured for one Entra directory with workload identity, planning and running an Azure action over HTTP.</summary>
public sealed class AzureServerTests
{
    [Fact]
    public async Task DisableUser_OverHttp_PlansApprovesAndRuns_WithAWorkloadIdentityToken()
    {
        await using var azure = await FakeAzure.StartAsync();
        var tokenFile = Path.GetTempFileName();
        const string federatedToken = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJzeXN0ZW06c2VydmljZWFjY291bnQ6ZmlyZWJyZWFrOmZpcmVicmVhayJ9.c2lnbmF0dXJl";
        await File.WriteAllTextAsync(tokenFile, federatedToken);
        try
        {
            await using var server = await TestServer.StartAsync(DatabaseKind.Sqlite, new Dictionary<string, string?>
            {
                ["Firebreak:Azure:GraphUrl"] = azure.Url + "v1.0/",
                ["Firebreak:Azure:AuthorityHost"] = azure.Url,
                [$"Firebreak:Azure:Directories:{DirectoryId}:Credential"] = "workload-identity",
                [$"Firebreak:Azure:Directories:{DirectoryId}:ClientId"] = "4e5f6a7b-8c9d-4e0f-a1b2-c3d4e5f6a7b8",
                [$"Firebreak:Azure:Directories:{DirectoryId}:TokenFilePath"] = tokenFile,
            }, azure.Trust);
            var acme = await server.CreateTenantAsync("Acme");
            var responder = acme.Client(Role.Responder);
            var user = $"/v1.0/users/{UserId}";
            azure.On($"GET {user}", User(), User(enabled: false)).On($"PATCH {user}", new AzureResponse(204, ""));

            var catalogue = await acme.Client(Role.Viewer).GetFromJsonAsync<JsonElement>("/api/v1/response/catalogue");
            var disable = catalogue.EnumerateArray().Single(a => a.GetProperty("name").GetString() == "azure-disable-user");
            Assert.Equal("azure", disable.GetProperty("provider").GetString());
            Assert.Equal("^global$", disable.GetProperty("regionPattern").GetString());
            Assert.Equal(["azure-disable-user", "azure-isolate-vm", "azure-remove-app-credentials", "azure-revoke-sessions", "azure-snapshot-disks"],
                catalogue.EnumerateArray().Select(a => a.GetProperty("name").GetString()!).Where(n => n.StartsWith("azure-", StringComparison.Ordinal)).Order());
            var incident = (await (await responder.PostAsJsonAsync("/api/v1/incidents", new { title = "Impossible travel for alice" })).Content.ReadFromJsonAsync<JsonElement>())
                .GetProperty("reference").GetString()!;

            var wrongRegion = await responder.PostAsJsonAsync($"/api/v1/incidents/{incident}/actions", new
            {
                action = "azure-disable-user", account = DirectoryId, region = "westeurope", resource = UserId,
                criticality = "medium", choice = "contain-accept-downtime", choiceReason = "one user", reason = "sign-ins from two continents",
            });
            Assert.Equal(HttpStatusCode.BadRequest, wrongRegion.StatusCode);
            Assert.Contains("global", (await wrongRegion.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("errors").GetProperty("region")[0].GetString());

            var planned = await responder.PostAsJsonAsync($"/api/v1/incidents/{incident}/actions", new
            {
                action = "azure-disable-user", account = DirectoryId, region = "global", resource = UserId,
                criticality = "medium", choice = "contain-accept-downtime", choiceReason = "one user", reason = "sign-ins from two continents",
            });
            Assert.Equal(HttpStatusCode.Created, planned.StatusCode);
            var plan = await planned.Content.ReadFromJsonAsync<JsonElement>();
            Assert.Equal("awaiting-approval", plan.GetProperty("status").GetString());
            Assert.Equal("PATCH /users/{id}", plan.GetProperty("plan").GetProperty("calls")[0].GetProperty("operation").GetString());
            var id = plan.GetProperty("id").GetString();
            Assert.Empty(azure.Calls("PATCH", user));

            var approved = await acme.Client(Role.IncidentManager).PostAsJsonAsync($"/api/v1/incidents/{incident}/actions/{id}/approve", new { comment = "agreed" });
            Assert.Equal(HttpStatusCode.OK, approved.StatusCode);
            var ran = await responder.PostAsync($"/api/v1/incidents/{incident}/actions/{id}/run", null);

            Assert.Equal(HttpStatusCode.OK, ran.StatusCode);
            var result = await ran.Content.ReadFromJsonAsync<JsonElement>();
            Assert.Equal("succeeded", result.GetProperty("status").GetString());
            Assert.True(result.GetProperty("verified").GetBoolean());
            Assert.Equal("accountEnabled=false", result.GetProperty("results")[0].GetProperty("detail").GetString());
            var patch = Assert.Single(azure.Calls("PATCH", user));
            Assert.False(JsonDocument.Parse(patch.Body).RootElement.GetProperty("accountEnabled").GetBoolean());
            Assert.Equal("Bearer " + FakeAzure.AccessToken, patch.Headers["Authorization"]);
            // Workload identity: the federated token from the file is exchanged; no client secret exists anywhere.
            var token = azure.Requests.First(r => r.Path.EndsWith("/oauth2/v2.0/token", StringComparison.Ordinal));
            Assert.Equal($"/{DirectoryId}/oauth2/v2.0/token", token.Path);
            Assert.Contains("client_assertion=" + federatedToken, token.Body, StringComparison.Ordinal);
            Assert.DoesNotContain("client_secret", token.Body, StringComparison.Ordinal);
            Assert.DoesNotContain(FakeAzure.AccessToken, await (await responder.GetAsync($"/api/v1/incidents/{incident}/actions/{id}")).Content.ReadAsStringAsync(), StringComparison.Ordinal);
        }
        finally
        {
            File.Delete(tokenFile);
        }
    }
}
