using System.Collections.Concurrent;
using System.Diagnostics.Tracing;
using System.Text.Json;
using Azure.Core.Diagnostics;
using Firebreak.Cloud.Azure;
using Firebreak.Core.Common;
using Firebreak.Core.Incidents;
using Firebreak.Core.Persistence;
using Firebreak.Core.Response;
using Firebreak.Testing;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using static Firebreak.Cloud.Tests.Azure.AzureJson;

namespace Firebreak.Cloud.Tests.Azure;

/// <summary>
/// The Azure actions end to end: Core's response use cases over a real database, the real Azure SDK clients
/// (Azure.Identity, Azure.ResourceManager.Compute, the Azure.Core pipeline for Microsoft.Network, Microsoft Graph)
/// against a local HTTPS endpoint answering with ARM's and Graph's documented response shapes.
/// </summary>
public sealed class AzureResponseActionTests : IAsyncLifetime
{
    private const string ClientSecret = "kV8Q~firebreak.client-secret_EXAMPLE-x7Yz";
    private const string OtherTenantsSubscription = "0c1d2e3f-4a5b-4c6d-8e7f-9a0b1c2d3e4f";
    private FakeAzure _azure = null!;
    private CoreHarness _harness = null!;
    private HarnessTenant _acme = null!;
    private AzureEventSourceListener _sdkLog = null!;
    private readonly ConcurrentQueue<string> _sdkLines = new();

    public async ValueTask InitializeAsync()
    {
        // Everything the Azure SDKs log, at the most verbose level, to prove no secret or token reaches a log.
        _sdkLog = new AzureEventSourceListener((e, message) => _sdkLines.Enqueue(message + " " + string.Join(" ", e.Payload ?? [])), EventLevel.Verbose);
        _azure = await FakeAzure.StartAsync();
        var protection = new EphemeralDataProtectionProvider();
        var protectedSecret = protection.CreateProtector(AzureSessions.ProtectionPurpose).Protect(ClientSecret);
        _harness = await CoreHarness.CreateAsync(DatabaseKind.Sqlite, new Dictionary<string, string?>
        {
            ["Firebreak:Azure:ResourceManagerUrl"] = _azure.Url,
            ["Firebreak:Azure:GraphUrl"] = _azure.Url + "v1.0/",
            ["Firebreak:Azure:AuthorityHost"] = _azure.Url,
            ["Firebreak:Azure:RetryDelayMilliseconds"] = "10",
            // A stored client secret: only its Data Protection form is in configuration.
            [$"Firebreak:Azure:Subscriptions:{Subscription}:Credential"] = "client-secret",
            [$"Firebreak:Azure:Subscriptions:{Subscription}:DirectoryId"] = DirectoryId,
            [$"Firebreak:Azure:Subscriptions:{Subscription}:ClientId"] = "4e5f6a7b-8c9d-4e0f-a1b2-c3d4e5f6a7b8",
            [$"Firebreak:Azure:Subscriptions:{Subscription}:ProtectedClientSecret"] = protectedSecret,
            [$"Firebreak:Azure:Directories:{DirectoryId}:Credential"] = "client-secret",
            [$"Firebreak:Azure:Directories:{DirectoryId}:ClientId"] = "4e5f6a7b-8c9d-4e0f-a1b2-c3d4e5f6a7b8",
            [$"Firebreak:Azure:Directories:{DirectoryId}:ProtectedClientSecret"] = protectedSecret,
            // Bound to another Firebreak tenant: Acme may not act there.
            [$"Firebreak:Azure:Subscriptions:{OtherTenantsSubscription}:TenantId"] = Guid.NewGuid().ToString(),
        }, (services, configuration) =>
        {
            services.AddFirebreakCloud(configuration).AddSingleton<IDataProtectionProvider>(protection);
            _azure.Trust(services);
        });
        _acme = await _harness.CreateTenantAsync("Acme");
    }

    public async ValueTask DisposeAsync()
    {
        await _harness.DisposeAsync();
        await _azure.DisposeAsync();
        _sdkLog.Dispose();
    }

    private async Task<string> IncidentAsync()
    {
        await using var scope = _harness.As(_acme.Responder);
        return (await scope.Get<IncidentService>().CreateAsync(new CreateIncident("Crypto-miner on web-1"))).Reference;
    }

    private static PlanAction Plan(string action, string resource, Dictionary<string, string>? inputs = null, string account = Subscription, string region = Location,
        ContainmentChoice choice = ContainmentChoice.ContainAcceptDowntime) =>
        new(action, account, region, resource, AssetCriticality.High, choice, "Mining traffic to a known pool; the site runs on the other nodes.", "Contain web-1", inputs);

    private static Dictionary<string, string> AsyncHeaders(string operationPath) => new() { ["Azure-AsyncOperation"] = operationPath, ["Retry-After"] = "0" };

    private string Operation(string provider, string name) => $"{_azure.Url}subscriptions/{Subscription}/providers/{provider}/locations/{Location}/operations/{name}";

    private static string OperationPath(string url) => new Uri(url).AbsolutePath;

    /// <summary>Nothing Firebreak stored or the SDKs logged holds the client secret, the access token or a secret value from a response.</summary>
    private async Task AssertNoSecretAnywhereAsync()
    {
        await using var scope = _harness.As(_acme.Responder);
        await using var db = await scope.Get<IDbContextFactory<FirebreakDbContext>>().CreateDbContextAsync();
        var stored = JsonSerializer.Serialize(await db.ResponseActions.AsNoTracking().ToListAsync()) + JsonSerializer.Serialize(await db.AuditEntries.AsNoTracking().ToListAsync());
        Assert.NotEmpty(_sdkLines);
        foreach (var secret in new[] { ClientSecret, FakeAzure.AccessToken, LeakCanary })
        {
            Assert.DoesNotContain(secret, stored, StringComparison.Ordinal);
            Assert.DoesNotContain(_sdkLines, l => l.Contains(secret, StringComparison.Ordinal));
        }
        // The secret goes to the token endpoint only, and only there.
        Assert.All(_azure.Requests.Where(r => !r.Path.EndsWith("/token", StringComparison.Ordinal)), r => Assert.DoesNotContain(ClientSecret, r.Body + string.Join(" ", r.Headers.Values), StringComparison.Ordinal));
    }

    [Fact]
    public async Task SnapshotDisks_ThrottledRead_IsRetried_SnapshotsEveryDiskThroughTheOperation_Verifies_AndUndoDeletesThem()
    {
        var incident = await IncidentAsync();
        var throttled = new AzureResponse(429, Error("TooManyRequests", "The request is being throttled."), new Dictionary<string, string> { ["Retry-After"] = "1" });
        _azure.On($"GET {Vm}", throttled, new AzureResponse(200, VirtualMachine()));
        var osName = SnapshotDisksAction.SnapshotName(new ActionTarget(_acme.Id, incident, "", "", "", new Dictionary<string, string>()), "web-1_OsDisk_1_9f8e7d6c");
        var dataName = SnapshotDisksAction.SnapshotName(new ActionTarget(_acme.Id, incident, "", "", "", new Dictionary<string, string>()), "web-1-data0");
        var osSnapshot = $"{Group}/providers/Microsoft.Compute/snapshots/{osName}";
        var dataSnapshot = $"{Group}/providers/Microsoft.Compute/snapshots/{dataName}";
        var osOperation = Operation("Microsoft.Compute", "os-snapshot");
        _azure.On($"PUT {osSnapshot}", new AzureResponse(202, Snapshot(osName, OsDisk, incident, "Updating"), AsyncHeaders(osOperation)))
            .On($"GET {OperationPath(osOperation)}", new AzureResponse(200, AsyncStatus("InProgress"), new Dictionary<string, string> { ["Retry-After"] = "0" }), new AzureResponse(200, AsyncStatus("Succeeded")))
            .On($"GET {osSnapshot}", Snapshot(osName, OsDisk, incident, "Succeeded"))
            .On($"PUT {dataSnapshot}", new AzureResponse(200, Snapshot(dataName, DataDisk, incident, "Succeeded")))
            .On($"GET {dataSnapshot}", Snapshot(dataName, DataDisk, incident, "Succeeded"));
        await using var scope = _harness.As(_acme.Responder);
        var response = scope.Get<ResponseService>();

        var planned = await response.PlanAsync(incident, Plan("azure-snapshot-disks", Vm));

        Assert.Equal(ActionStatus.Planned, planned.Status);
        Assert.Equal(2, _azure.Calls("GET", Vm).Count());
        Assert.Equal([OsDisk, DataDisk], planned.Plan.Calls.Select(c => c.Parameters["sourceResourceId"]));
        Assert.All(planned.Plan.Calls, c => Assert.Equal("snapshots/write", c.Operation));
        Assert.Equal(["delete-with-vm"], planned.Plan.Risks.Select(r => r.Code));
        Assert.Contains("web-1_OsDisk_1_9f8e7d6c", planned.Plan.Risks[0].Description);
        Assert.Equal("running", planned.Plan.State["powerState"]);
        Assert.Contains("expand=instanceView", _azure.Calls("GET", Vm).Last().Query, StringComparison.Ordinal);
        Assert.Empty(_azure.Calls("PUT", osSnapshot));

        var ran = await response.RunAsync(planned.Id);

        Assert.Equal(ActionStatus.Succeeded, ran.Status);
        Assert.True(ran.Verified, string.Join("; ", ran.Verification.Select(v => $"{v.What}: {v.Actual}")));
        Assert.Equal(new Dictionary<string, string> { [OsDisk] = osSnapshot, [DataDisk] = dataSnapshot }, ran.UndoData);
        var put = JsonDocument.Parse(Assert.Single(_azure.Calls("PUT", osSnapshot)).Body).RootElement;
        Assert.Equal(Location, put.GetProperty("location").GetString());
        Assert.Equal("Copy", put.GetProperty("properties").GetProperty("creationData").GetProperty("createOption").GetString());
        Assert.Equal(OsDisk, put.GetProperty("properties").GetProperty("creationData").GetProperty("sourceResourceId").GetString());
        Assert.False(put.GetProperty("properties").GetProperty("incremental").GetBoolean());
        Assert.Equal(incident, put.GetProperty("tags").GetProperty("firebreak:incident").GetString());
        Assert.Equal("web-1_OsDisk_1_9f8e7d6c", put.GetProperty("tags").GetProperty("firebreak:source-disk").GetString());
        // The SDK's long-running operation polled until it succeeded.
        Assert.Equal(2, _azure.Calls("GET", OperationPath(osOperation)).Count());
        Assert.All(_azure.Requests.Where(r => r.Path.StartsWith("/subscriptions", StringComparison.Ordinal)), r => Assert.Equal("Bearer " + FakeAzure.AccessToken, r.Headers["Authorization"]));
        var token = _azure.Requests.First(r => r.Path.EndsWith("/oauth2/v2.0/token", StringComparison.Ordinal));
        Assert.Equal($"/{DirectoryId}/oauth2/v2.0/token", token.Path);
        Assert.Contains("grant_type=client_credentials", token.Body, StringComparison.Ordinal);
        var form = token.Body.Split('&').Select(p => p.Split('=', 2)).ToDictionary(p => p[0], p => Uri.UnescapeDataString(p[1].Replace('+', ' ')));
        Assert.Contains(_azure.Url + ".default", form["scope"].Split(" "));
        Assert.Single(_azure.Requests, r => r.Path.EndsWith("/oauth2/v2.0/token", StringComparison.Ordinal));
        Assert.Equal(ClientSecret, form["client_secret"]);

        _azure.On($"DELETE {osSnapshot}", new AzureResponse(200, "")).On($"DELETE {dataSnapshot}", new AzureResponse(204, ""));
        var undone = await response.UndoAsync(planned.Id, new UndoAction("Snapshots copied to the evidence account"));

        Assert.Equal(ActionStatus.Undone, undone.Status);
        Assert.Single(_azure.Calls("DELETE", osSnapshot));
        Assert.Single(_azure.Calls("DELETE", dataSnapshot));
        await AssertNoSecretAnywhereAsync();
    }
}
