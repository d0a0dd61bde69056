using System.Net;
using System.Net.Http.Json;
using Firebreak.Core.Identity;

namespace Firebreak.Server.Tests.Api;

public class ApiContractTests(ServerFixture fixture) : IClassFixture<ServerFixture>
{
    /// <summary>
    /// The committed OpenAPI document is the contract tools build against. Set FIREBREAK_UPDATE_OPENAPI=1
    /// to rewrite it after an intended change.
    /// </summary>
    [Fact]
    public async Task CommittedOpenApiDocument_IsCurrent()
    {
        var served = (await fixture.Server.Client().GetStringAsync("/openapi/v1.json")).ReplaceLineEndings("\n").TrimEnd() + "\n";
        var file = Path.Combine(RepositoryRoot(), "docs", "api", "openapi.v1.json");
        if (Environment.GetEnvironmentVariable("FIREBREAK_UPDATE_OPENAPI") == "1")
        {
            Directory.CreateDirectory(Path.GetDirectoryName(file)!);
            await File.WriteAllTextAsync(file, served);
        }
        Assert.True(File.Exists(file), "docs/api/openapi.v1.json is missing; run the tests once with FIREBREAK_UPDATE_OPENAPI=1.");
        Assert.Equal(await File.ReadAllTextAsync(file), served);
        Assert.Contains("\"operationId\": \"CreateIncident\"", served);
    }

    [Fact]
    public async Task Health_AnswersWithoutCredentials()
    {
        var client = fixture.Server.Client();
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/health/live")).StatusCode);
        var ready = await client.GetAsync("/health/ready");
        Assert.Equal(HttpStatusCode.OK, ready.StatusCode);
        Assert.Equal("Healthy", await ready.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task Secrets_AreNeverReturned()
    {
        var admin = fixture.Acme.Client(Role.Admin);
        var created = await admin.PostAsJsonAsync("/api/v1/api-keys", new { name = "once", role = "viewer" });
        var secret = (await created.JsonAsync()).GetProperty("secret").GetString()!;
        Assert.Equal("no-store", created.Headers.CacheControl!.ToString());

        var keys = await admin.GetStringAsync("/api/v1/api-keys");
        var users = await admin.GetStringAsync("/api/v1/users");
        var audit = await admin.GetStringAsync("/api/v1/audit?pageSize=200");
        foreach (var text in new[] { keys, users, audit })
        {
            Assert.DoesNotContain(secret[^64..], text);
            Assert.DoesNotContain("AQAAAA", text);
            Assert.DoesNotContain("secretHash\":\"", text);
            Assert.DoesNotContain("passwordHash\":\"", text);
        }
        Assert.Equal(HttpStatusCode.OK, (await fixture.Server.Client(secret).GetAsync("/api/v1/me")).StatusCode);
    }

    [Fact]
    public async Task IncidentFlow_WorksEndToEnd_OverHttp()
    {
        var manager = fixture.Acme.Client(Role.IncidentManager);
        var incident = await manager.CreateIncidentAsync(new
        {
            title = "Access key used from Tor",
            severity = "SEV2",
            tlp = "amber+strict",
            category = "compromised-credentials",
            tags = new[] { "aws", "IAM" },
            scope = new { providers = new[] { "aws" }, accounts = new[] { "123456789012" }, regions = new[] { "eu-west-1" } },
            incidentManagerId = fixture.Acme.UserId(Role.IncidentManager),
        });
        var reference = incident.GetProperty("reference").GetString()!;
        Assert.Matches("^INC-\\d{4}-\\d{4}$", reference);
        Assert.Equal("amber+strict", incident.GetProperty("tlp").GetString());
        Assert.Equal(["aws", "iam"], incident.GetProperty("tags").EnumerateArray().Select(t => t.GetString()));

        var moved = await manager.PostAsJsonAsync($"/api/v1/incidents/{reference}/transitions", new { to = "containment", reason = "key confirmed malicious" });
        Assert.Equal(HttpStatusCode.OK, moved.StatusCode);
        Assert.Equal("containment", (await moved.JsonAsync()).GetProperty("phase").GetString());
        var list = await (await manager.GetAsync("/api/v1/incidents?phase=containment&severity=SEV2&tag=iam&q=tor&manager=" + fixture.Acme.UserId(Role.IncidentManager))).JsonAsync();
        Assert.Contains(list.GetProperty("items").EnumerateArray(), i => i.GetProperty("reference").GetString() == reference);
        var audit = await (await manager.GetAsync($"/api/v1/incidents/{reference}/audit")).JsonAsync();
        Assert.Contains(audit.GetProperty("items").EnumerateArray(), a => a.GetProperty("entityType").GetString() == "PhaseTransition");
    }

    private static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Firebreak.slnx"))) return dir.FullName;
        }
        throw new InvalidOperationException("Firebreak.slnx not found above the test directory.");
    }
}
