using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text.Json;
using Firebreak.Cloud.Gcp;
using Firebreak.Core.Identity;
using Firebreak.Testing;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.Extensions.DependencyInjection;
using static Firebreak.Cloud.Tests.Gcp.GoogleJson;

namespace Firebreak.Cloud.Tests.Gcp;

/// <summary>A GCP action through the real server: HTTP in, the API-key roles, the use cases, the database, and HTTP out to the Google endpoint.</summary>
public sealed class GcpServerTests
{
    [Fact]
    public async Task PlanApproveRunAndUndo_OverHttp_DisablesTheServiceAccountThroughTheGoogleEndpoint()
    {
        await using var gcp = await FakeGcp.StartAsync();
        await using var server = await TestServer.StartAsync(DatabaseKind.Sqlite, gcp.Settings());
        var acme = await server.CreateTenantAsync("Acme");
        using var rsa = RSA.Create(2048);
        var pem = rsa.ExportPkcs8PrivateKeyPem();
        // The key is protected with the server's own Data Protection keys, the way an operator stores it.
        var protector = server.Services.GetRequiredService<IDataProtectionProvider>().CreateProtector(GcpSessions.ProtectionPurpose);
        server.App.Configuration[$"Firebreak:Gcp:Projects:{Project}:ProtectedServiceAccountKey"] = protector.Protect(GcpResponseActionTests.KeyFile(pem));
        server.App.Configuration[$"Firebreak:Gcp:Projects:{Project}:TenantId"] = acme.Id.ToString();
        var path = $"{FakeGcp.Iam}{ServiceAccount}";
        gcp.On($"GET {path}", (200, ServiceAccountBody(disabled: false)), (200, ServiceAccountBody(disabled: true)))
            .On($"POST {path}:disable", "{}")
            .On($"POST {path}:enable", "{}");
        var responder = acme.Client(Role.Responder);
        var manager = acme.Client(Role.IncidentManager);

        var catalogue = (await acme.Client(Role.Viewer).GetFromJsonAsync<JsonElement>("/api/v1/response/catalogue"))
            .EnumerateArray().First(a => a.GetProperty("name").GetString() == "gcp-disable-service-account");
        Assert.Equal(("gcp", "cut-credentials", "^global$"), (catalogue.GetProperty("provider").GetString(), catalogue.GetProperty("stage").GetString(), catalogue.GetProperty("regionPattern").GetString()));
        var incident = await (await responder.PostAsJsonAsync("/api/v1/incidents", new { title = "Leaked key used from a VPS" })).Content.ReadFromJsonAsync<JsonElement>();
        var reference = incident.GetProperty("reference").GetString();
        var body = new
        {
            action = "gcp-disable-service-account", account = Project, region = "global", resource = ServiceAccount,
            criticality = "medium", choice = "contain-accept-downtime", choiceReason = "The nightly export can wait", reason = "The SA's key was used from an unknown VPS",
        };

        var plannedResponse = await responder.PostAsJsonAsync($"/api/v1/incidents/{reference}/actions", body);
        Assert.Equal(HttpStatusCode.Created, plannedResponse.StatusCode);
        var planned = await plannedResponse.Content.ReadFromJsonAsync<JsonElement>();
        var id = planned.GetProperty("id").GetString();
        Assert.Equal("awaiting-approval", planned.GetProperty("status").GetString());
        Assert.Equal("serviceAccounts.disable", planned.GetProperty("plan").GetProperty("calls")[0].GetProperty("operation").GetString());
        Assert.Empty(gcp.Calls("POST", $"{path}:disable"));
        var globex = await server.CreateTenantAsync("Globex");
        var theirs = await (await globex.Client(Role.Responder).PostAsJsonAsync("/api/v1/incidents", new { title = "theirs" })).Content.ReadFromJsonAsync<JsonElement>();
        var refused = await globex.Client(Role.Responder).PostAsJsonAsync($"/api/v1/incidents/{theirs.GetProperty("reference").GetString()}/actions", body);
        Assert.Equal(HttpStatusCode.BadRequest, refused.StatusCode);
        Assert.Contains("not configured", (await refused.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("errors").GetProperty("account")[0].GetString());

        Assert.Equal(HttpStatusCode.OK, (await manager.PostAsJsonAsync($"/api/v1/incidents/{reference}/actions/{id}/approve", new { comment = "go" })).StatusCode);
        var runResponse = await responder.PostAsync($"/api/v1/incidents/{reference}/actions/{id}/run", null);
        Assert.Equal(HttpStatusCode.OK, runResponse.StatusCode);
        var ran = await runResponse.Content.ReadFromJsonAsync<JsonElement>();

        Assert.Equal("succeeded", ran.GetProperty("status").GetString());
        Assert.True(ran.GetProperty("verified").GetBoolean());
        Assert.Equal("iam:serviceAccounts.disable", ran.GetProperty("results")[0].GetProperty("operation").GetString());
        Assert.Equal("Bearer ya29.c.firebreak-access-token", Assert.Single(gcp.Calls("POST", $"{path}:disable")).Headers["Authorization"]);
        var pemBody = pem.Split('\n')[1];
        Assert.DoesNotContain(pemBody, ran.GetRawText(), StringComparison.Ordinal);

        var undo = await responder.PostAsJsonAsync($"/api/v1/incidents/{reference}/actions/{id}/undo", new { reason = "Key rotated; the export needs it back" });
        Assert.Equal(HttpStatusCode.OK, undo.StatusCode);
        Assert.Equal("undone", (await undo.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("status").GetString());
        Assert.Single(gcp.Calls("POST", $"{path}:enable"));
    }
}
