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
            [$"Firebreak:Azure:Directories:{OtherTenantsSubscription}:TenantId"] = Guid.NewGuid().ToString(),
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

        // One snapshot was already deleted by hand: undo counts it as gone.
        _azure.On($"DELETE {osSnapshot}", new AzureResponse(200, ""))
            .On($"DELETE {dataSnapshot}", new AzureResponse(404, Error("ResourceNotFound", $"The Resource 'Microsoft.Compute/snapshots/{dataName}' under resource group 'rg-web' was not found.")));
        var undone = await response.UndoAsync(planned.Id, new UndoAction("Snapshots copied to the evidence account"));

        Assert.Equal(ActionStatus.Undone, undone.Status);
        Assert.Equal(["firebreak-", "firebreak-"], undone.UndoResults.Select(r => r.Detail[..10]));
        Assert.EndsWith("was already gone", undone.UndoResults[1].Detail);
        Assert.Single(_azure.Calls("DELETE", osSnapshot));
        Assert.Single(_azure.Calls("DELETE", dataSnapshot));
        await AssertNoSecretAnywhereAsync();
    }

    private async Task<ResponseActionView> PlanApprovedAsync(string incident, PlanAction plan)
    {
        ResponseActionView planned;
        await using (var responder = _harness.As(_acme.Responder))
            planned = await responder.Get<ResponseService>().PlanAsync(incident, plan);
        Assert.Equal(ActionStatus.AwaitingApproval, planned.Status);
        await using (var manager = _harness.As(_acme.Manager))
            return await manager.Get<ResponseService>().ApproveAsync(planned.Id, new ApproveAction("Agreed on the bridge call"));
    }

    private string IsolationGroup(string incident) => $"{Group}/providers/Microsoft.Network/networkSecurityGroups/firebreak-isolation-{incident.ToLowerInvariant()}-web-1";

    [Fact]
    public async Task IsolateVm_CreatesTheDenyAllGroup_MovesEveryInterface_Restarts_Verifies_AndUndoPutsThePreviousGroupsBack()
    {
        var incident = await IncidentAsync();
        var nsg = IsolationGroup(incident);
        var nsgOperation = Operation("Microsoft.Network", "nsg-create");
        var nicOperation = Operation("Microsoft.Network", "nic-update");
        _azure.On($"GET {Vm}", VirtualMachine(), VirtualMachine(power: "starting"))
            .On($"GET {nsg}", new AzureResponse(404, Error("ResourceNotFound", $"The Resource 'Microsoft.Network/networkSecurityGroups/{nsg.Split('/')[^1]}' under resource group 'rg-web' was not found.")),
                new AzureResponse(200, SecurityGroup(nsg, "203.0.113.7/32")))
            .On($"GET {Nic0}", NetworkInterface(Nic0, WebNsg, "W/\"plan\""), NetworkInterface(Nic0, WebNsg, "W/\"run\""), NetworkInterface(Nic0, nsg, "W/\"isolated\""))
            .On($"GET {Nic1}", NetworkInterface(Nic1, null, "W/\"plan\""), NetworkInterface(Nic1, null, "W/\"run\""), NetworkInterface(Nic1, nsg, "W/\"isolated\""));

        var approved = await PlanApprovedAsync(incident, Plan("azure-isolate-vm", Vm, new() { ["examinerCidr"] = "203.0.113.7/32" }));

        var plan = approved.Plan;
        Assert.Equal(["networkSecurityGroups/write", "networkInterfaces/write", "networkInterfaces/write", "virtualMachines/restart/action"], plan.Calls.Select(c => c.Operation));
        Assert.Equal("100 Inbound Allow Tcp from 203.0.113.7/32 to ports 22,3389; 110 Inbound Deny * from * to ports *; 100 Outbound Deny * from * to ports *", plan.Calls[0].Parameters["rules"]);
        Assert.Equal(WebNsg, plan.State["nic:" + Nic0]);
        Assert.Equal("", plan.State["nic:" + Nic1]);
        Assert.Contains("nsg-web -> firebreak-isolation-", plan.Changes[1]);
        Assert.Contains("memory is lost", plan.Changes[3]);
        Assert.Equal(["delete-with-vm", "memory-lost"], plan.Risks.Select(r => r.Code));
        Assert.StartsWith("4. isolate network: azure-isolate-vm", plan.SafeOrder[3]);
        // Snapshots come first in the safe order.
        Assert.Contains(approved.Warnings, w => w.Contains("Snapshot the VM's managed disks", StringComparison.Ordinal));
        Assert.DoesNotContain(_azure.Requests, r => r.Method is "PUT" or "POST" && !r.Path.EndsWith("/token", StringComparison.Ordinal));

        _azure.On($"PUT {nsg}", new AzureResponse(201, SecurityGroup(nsg, "203.0.113.7/32", "Updating"), AsyncHeaders(nsgOperation)))
            .On($"GET {OperationPath(nsgOperation)}", new AzureResponse(200, AsyncStatus("InProgress"), new Dictionary<string, string> { ["Retry-After"] = "0" }), new AzureResponse(200, AsyncStatus("Succeeded")))
            .On($"PUT {Nic0}", new AzureResponse(200, NetworkInterface(Nic0, nsg), AsyncHeaders(nicOperation)), new AzureResponse(200, NetworkInterface(Nic0, WebNsg)))
            .On($"PUT {Nic1}", new AzureResponse(200, NetworkInterface(Nic1, nsg), AsyncHeaders(nicOperation)), new AzureResponse(200, NetworkInterface(Nic1, null)))
            .On($"GET {OperationPath(nicOperation)}", AsyncStatus("Succeeded"))
            .On($"POST {Vm}/restart", new AzureResponse(202, "", new Dictionary<string, string>
            {
                ["Azure-AsyncOperation"] = Operation("Microsoft.Compute", "restart"),
                ["Location"] = Operation("Microsoft.Compute", "restart") + "?monitor=true",
                ["Retry-After"] = "10",
            }));
        await using var responder = _harness.As(_acme.Responder);
        var ran = await responder.Get<ResponseService>().RunAsync(approved.Id);

        Assert.Equal(ActionStatus.Succeeded, ran.Status);
        Assert.True(ran.Verified, string.Join("; ", ran.Verification.Select(v => $"{v.What}: {v.Actual}")));
        Assert.Equal(4, ran.Verification.Count);
        var created = JsonDocument.Parse(Assert.Single(_azure.Calls("PUT", nsg)).Body).RootElement;
        Assert.Equal(Location, created.GetProperty("location").GetString());
        Assert.Equal(incident, created.GetProperty("tags").GetProperty("firebreak:incident").GetString());
        var rules = created.GetProperty("properties").GetProperty("securityRules").EnumerateArray().ToDictionary(r => r.GetProperty("name").GetString()!, r => r.GetProperty("properties"));
        Assert.Equal(("Inbound", "Deny", 110, "*"), (rules["firebreak-deny-all-inbound"].GetProperty("direction").GetString(), rules["firebreak-deny-all-inbound"].GetProperty("access").GetString(),
            rules["firebreak-deny-all-inbound"].GetProperty("priority").GetInt32(), rules["firebreak-deny-all-inbound"].GetProperty("sourceAddressPrefix").GetString()));
        Assert.Equal(("Outbound", "Deny", 100), (rules["firebreak-deny-all-outbound"].GetProperty("direction").GetString(), rules["firebreak-deny-all-outbound"].GetProperty("access").GetString(),
            rules["firebreak-deny-all-outbound"].GetProperty("priority").GetInt32()));
        Assert.Equal(("Allow", 100, "203.0.113.7/32", "22,3389"), (rules["firebreak-allow-examiner"].GetProperty("access").GetString(), rules["firebreak-allow-examiner"].GetProperty("priority").GetInt32(),
            rules["firebreak-allow-examiner"].GetProperty("sourceAddressPrefix").GetString(), string.Join(",", rules["firebreak-allow-examiner"].GetProperty("destinationPortRanges").EnumerateArray().Select(p => p.GetString()))));
        Assert.Equal(2, _azure.Calls("GET", OperationPath(nsgOperation)).Count());
        var nicPut = Assert.Single(_azure.Calls("PUT", Nic0));
        var nicBody = JsonDocument.Parse(nicPut.Body).RootElement;
        Assert.Equal(nsg, nicBody.GetProperty("properties").GetProperty("networkSecurityGroup").GetProperty("id").GetString());
        // The whole interface goes back, as read at run time, guarded by its ETag.
        Assert.Equal("10.0.1.4", nicBody.GetProperty("properties").GetProperty("ipConfigurations")[0].GetProperty("properties").GetProperty("privateIPAddress").GetString());
        Assert.Equal("W/\"run\"", nicPut.Headers["If-Match"]);
        Assert.Contains("api-version=2023-09-01", nicPut.Query, StringComparison.Ordinal);
        Assert.Single(_azure.Calls("POST", $"{Vm}/restart"));
        Assert.Equal(new Dictionary<string, string> { ["isolationGroup"] = nsg, ["nic:" + Nic0] = WebNsg, ["nic:" + Nic1] = "" }, ran.UndoData);

        var undone = await responder.Get<ResponseService>().UndoAsync(approved.Id, new UndoAction("Contained by the host firewall instead"));

        Assert.Equal(ActionStatus.Undone, undone.Status);
        var restored0 = JsonDocument.Parse(_azure.Calls("PUT", Nic0).Last().Body).RootElement.GetProperty("properties");
        Assert.Equal(WebNsg, restored0.GetProperty("networkSecurityGroup").GetProperty("id").GetString());
        var restored1 = JsonDocument.Parse(_azure.Calls("PUT", Nic1).Last().Body).RootElement.GetProperty("properties");
        Assert.False(restored1.TryGetProperty("networkSecurityGroup", out _));
        Assert.Equal("W/\"isolated\"", _azure.Calls("PUT", Nic1).Last().Headers["If-Match"]);
        await AssertNoSecretAnywhereAsync();
    }

    [Fact]
    public async Task IsolateVm_ReusesTheGroup_OneInterfaceDenied_IsPartiallyFailed_SkipsTheRestart_AndUndoRestoresTheOneThatMoved()
    {
        var incident = await IncidentAsync();
        var nsg = IsolationGroup(incident);
        _azure.On($"GET {Vm}", VirtualMachine(scaleSet: true))
            .On($"GET {nsg}", SecurityGroup(nsg, null))
            .On($"GET {Nic0}", NetworkInterface(Nic0, WebNsg), NetworkInterface(Nic0, WebNsg), NetworkInterface(Nic0, nsg))
            .On($"GET {Nic1}", NetworkInterface(Nic1, WebNsg))
            .On($"PUT {Nic0}", NetworkInterface(Nic0, nsg))
            .On($"PUT {Nic1}", new AzureResponse(403, AuthorizationFailed("Microsoft.Network/networkInterfaces/write", Nic1)));

        var approved = await PlanApprovedAsync(incident, Plan("azure-isolate-vm", Vm));

        Assert.Equal("true", approved.Plan.State["isolationGroupReused"]);
        Assert.Equal(["networkInterfaces/write", "networkInterfaces/write", "virtualMachines/restart/action"], approved.Plan.Calls.Select(c => c.Operation));
        Assert.Equal(["scale-set", "delete-with-vm", "memory-lost"], approved.Plan.Risks.Select(r => r.Code));
        await using var responder = _harness.As(_acme.Responder);
        var ran = await responder.Get<ResponseService>().RunAsync(approved.Id);

        Assert.Equal(ActionStatus.PartiallyFailed, ran.Status);
        Assert.Empty(_azure.Calls("PUT", nsg));
        Assert.Equal([true, false, false], ran.Results.Select(r => r.Succeeded));
        Assert.Equal((Nic1, "AuthorizationFailed"), (ran.Results[1].Resource, ran.Results[1].ErrorCode));
        Assert.StartsWith("Access denied", ran.Results[1].Detail);
        Assert.Contains("does not have authorization to perform action 'Microsoft.Network/networkInterfaces/write'", ran.Results[1].Detail);
        Assert.Equal("Skipped", ran.Results[2].ErrorCode);
        Assert.Empty(_azure.Calls("POST", $"{Vm}/restart"));
        Assert.Equal(new Dictionary<string, string> { ["isolationGroup"] = nsg, ["nic:" + Nic0] = WebNsg }, ran.UndoData);

        var undone = await responder.Get<ResponseService>().UndoAsync(approved.Id, new UndoAction("Isolating at the subnet instead"));

        Assert.Equal(ActionStatus.Undone, undone.Status);
        Assert.Equal(2, _azure.Calls("PUT", Nic0).Count());
        Assert.Single(_azure.Calls("PUT", Nic1));
        Assert.Equal(WebNsg, JsonDocument.Parse(_azure.Calls("PUT", Nic0).Last().Body).RootElement.GetProperty("properties").GetProperty("networkSecurityGroup").GetProperty("id").GetString());
    }

    [Fact]
    public async Task Plan_WhenTheVmReadIsDenied_IsAConflictWithTheCode_AndRecordsNothing()
    {
        var incident = await IncidentAsync();
        _azure.On($"GET {Vm}", new AzureResponse(403, AuthorizationFailed("Microsoft.Compute/virtualMachines/read", Vm)));
        await using var scope = _harness.As(_acme.Responder);
        var response = scope.Get<ResponseService>();

        var refused = await Assert.ThrowsAsync<ConflictException>(() => response.PlanAsync(incident, Plan("azure-snapshot-disks", Vm)));

        Assert.Contains("Microsoft.Compute/virtualMachines/read failed: AuthorizationFailed", refused.Message);
        Assert.Contains("does not have authorization", refused.Message);
        Assert.Empty(await response.ListAsync(incident));
        // A refusal is not retried.
        Assert.Single(_azure.Calls("GET", Vm));
    }

    [Fact]
    public async Task Plan_RefusesBadInput_AnotherTenantsSubscription_AndAMismatchedVm_BeforeAnyChange()
    {
        var incident = await IncidentAsync();
        await using var scope = _harness.As(_acme.Responder);
        var response = scope.Get<ResponseService>();

        async Task<IReadOnlyDictionary<string, string[]>> Refused(PlanAction plan) =>
            (await Assert.ThrowsAsync<ValidationFailedException>(() => response.PlanAsync(incident, plan))).Errors;

        var otherVm = Vm.Replace(Subscription, OtherTenantsSubscription, StringComparison.Ordinal);
        Assert.Contains("not configured", (await Refused(Plan("azure-snapshot-disks", otherVm, account: OtherTenantsSubscription)))["account"][0]);
        Assert.Contains("not configured", (await Refused(Plan("azure-disable-user", UserId, account: OtherTenantsSubscription, region: "global")))["account"][0]);
        Assert.Contains("subscription id", (await Refused(Plan("azure-snapshot-disks", Vm, account: "123456789012")))["account"][0]);
        Assert.Contains("Azure location", (await Refused(Plan("azure-snapshot-disks", Vm, region: "West Europe")))["region"][0]);
        Assert.Contains("global", (await Refused(Plan("azure-disable-user", UserId, account: DirectoryId)))["region"][0]);
        Assert.True((await Refused(Plan("azure-isolate-vm", "web-1"))).ContainsKey("resource"));
        Assert.True((await Refused(Plan("azure-isolate-vm", Vm + "/extensions/x"))).ContainsKey("resource"));
        Assert.True((await Refused(Plan("azure-disable-user", "not a user", account: DirectoryId, region: "global"))).ContainsKey("resource"));
        Assert.True((await Refused(Plan("azure-isolate-vm", Vm, new() { ["restart"] = "yes" }))).ContainsKey("inputs.restart"));
        Assert.True((await Refused(Plan("azure-isolate-vm", Vm, new() { ["examinerCidr"] = "0.0.0.0/0 " + "x" }))).ContainsKey("inputs.examinerCidr"));
        Assert.True((await Refused(Plan("azure-isolate-vm", Vm, choice: ContainmentChoice.StayAvailableAcceptDataRisk))).ContainsKey("choice"));
        Assert.True((await Refused(Plan("azure-remove-app-credentials", AppId, account: DirectoryId, region: "global"))).ContainsKey("inputs.objectType"));
        Assert.Contains("application or servicePrincipal",
            (await Refused(Plan("azure-remove-app-credentials", AppId, new() { ["objectType"] = "group" }, account: DirectoryId, region: "global")))["inputs.objectType"][0]);
        // A VM of another subscription than the account, and a VM read from another location than the plan's.
        var elsewhere = Vm.Replace(Subscription, "11111111-2222-4333-8444-555555555555", StringComparison.Ordinal);
        Assert.Contains("is not the account", (await Refused(Plan("azure-snapshot-disks", elsewhere)))["resource"][0]);
        _azure.On($"GET {Vm}", VirtualMachine());
        Assert.Contains("is in westeurope", (await Refused(Plan("azure-snapshot-disks", Vm, region: "northeurope")))["region"][0]);

        Assert.Empty(await response.ListAsync(incident));
        Assert.DoesNotContain(_azure.Requests, r => r.Method is "PUT" or "PATCH" or "DELETE" || (r.Method == "POST" && !r.Path.EndsWith("/token", StringComparison.Ordinal)));
    }

    [Fact]
    public async Task DisableUser_ThrottledPatch_IsRetried_Verifies_AndUndoEnablesTheUserAgain()
    {
        var incident = await IncidentAsync();
        var user = $"/v1.0/users/{UserId}";
        _azure.On($"GET {user}", User(synced: true), User(enabled: false, synced: true))
            .On($"PATCH {user}", new AzureResponse(429, GraphError("TooManyRequests", "Too many requests."), new Dictionary<string, string> { ["Retry-After"] = "1" }), new AzureResponse(204, ""));

        var approved = await PlanApprovedAsync(incident, Plan("azure-disable-user", UserId, account: DirectoryId, region: "global", choice: ContainmentChoice.StayAvailableAcceptDataRisk));

        Assert.Equal("PATCH /users/{id}", Assert.Single(approved.Plan.Calls).Operation);
        Assert.Equal("alice@contoso.onmicrosoft.com: accountEnabled true -> false", approved.Plan.Changes[0]);
        Assert.Equal(["tokens-still-valid", "synced-from-on-premises"], approved.Plan.Risks.Select(r => r.Code));
        Assert.Contains("accountEnabled", _azure.Calls("GET", user).First().Query, StringComparison.Ordinal);
        await using var responder = _harness.As(_acme.Responder);
        var ran = await responder.Get<ResponseService>().RunAsync(approved.Id);

        Assert.Equal(ActionStatus.Succeeded, ran.Status);
        Assert.True(ran.Verified);
        var patches = _azure.Calls("PATCH", user).ToList();
        Assert.Equal(2, patches.Count);
        Assert.False(JsonDocument.Parse(patches[1].Body).RootElement.GetProperty("accountEnabled").GetBoolean());
        Assert.Equal("Bearer " + FakeAzure.AccessToken, patches[1].Headers["Authorization"]);
        var token = _azure.Requests.First(r => r.Path.EndsWith("/oauth2/v2.0/token", StringComparison.Ordinal));
        Assert.Equal($"/{DirectoryId}/oauth2/v2.0/token", token.Path);
        Assert.Contains(Uri.EscapeDataString(_azure.Url + ".default"), token.Body, StringComparison.Ordinal);

        _azure.On($"PATCH {user}", new AzureResponse(204, ""));
        var undone = await responder.Get<ResponseService>().UndoAsync(approved.Id, new UndoAction("Alice confirmed the sign-ins were hers"));

        Assert.Equal(ActionStatus.Undone, undone.Status);
        Assert.True(JsonDocument.Parse(_azure.Calls("PATCH", user).Last().Body).RootElement.GetProperty("accountEnabled").GetBoolean());
        await AssertNoSecretAnywhereAsync();
    }

    [Fact]
    public async Task DisableUser_DeniedAtRunTime_IsFailedWithTheGraphCode_AndLeavesNothingToUndo()
    {
        var incident = await IncidentAsync();
        var user = $"/v1.0/users/{UserId}";
        _azure.On($"GET {user}", User())
            .On($"PATCH {user}", new AzureResponse(403, GraphError("Authorization_RequestDenied", "Insufficient privileges to complete the operation.")));
        var approved = await PlanApprovedAsync(incident, Plan("azure-disable-user", UserId, account: DirectoryId, region: "global"));
        await using var responder = _harness.As(_acme.Responder);

        var ran = await responder.Get<ResponseService>().RunAsync(approved.Id);

        Assert.Equal(ActionStatus.Failed, ran.Status);
        var result = Assert.Single(ran.Results);
        Assert.Equal("Authorization_RequestDenied", result.ErrorCode);
        Assert.Equal("Access denied: Firebreak's identity lacks this permission, so nothing was changed by this call. Insufficient privileges to complete the operation.", result.Detail);
        Assert.Empty(ran.UndoData);
        Assert.Null(ran.Verified);
        Assert.Single(_azure.Calls("PATCH", user));
        await Assert.ThrowsAsync<ConflictException>(() => responder.Get<ResponseService>().UndoAsync(approved.Id, new UndoAction("no")));
    }

    [Fact]
    public async Task RevokeSessions_Posts_VerifiesTheNewValidFromTime_AndCannotBeUndone()
    {
        var incident = await IncidentAsync();
        var user = $"/v1.0/users/{UserId}";
        _azure.On($"GET {user}", User(validFrom: "2026-03-01T08:00:00Z"), User(validFrom: "2026-03-14T09:00:05Z"))
            .On($"POST {user}/revokeSignInSessions", Revoked);

        var approved = await PlanApprovedAsync(incident, Plan("azure-revoke-sessions", UserId, account: DirectoryId, region: "global"));

        Assert.False(approved.Plan.Undoable);
        Assert.Equal(["access-tokens-live", "password-still-known"], approved.Plan.Risks.Select(r => r.Code));
        await using var responder = _harness.As(_acme.Responder);
        var ran = await responder.Get<ResponseService>().RunAsync(approved.Id);

        Assert.Equal(ActionStatus.Succeeded, ran.Status);
        Assert.Equal("sessions revoked", Assert.Single(ran.Results).Detail);
        var check = Assert.Single(ran.Verification);
        Assert.True(check.Ok);
        Assert.Equal("2026-03-14T09:00:05.0000000+00:00", check.Actual);
        Assert.Single(_azure.Calls("POST", $"{user}/revokeSignInSessions"));
        var refused = await Assert.ThrowsAsync<ConflictException>(() => responder.Get<ResponseService>().UndoAsync(approved.Id, new UndoAction("undo")));
        Assert.Contains("cannot be undone", refused.Message);
    }

    [Fact]
    public async Task RemoveAppCredentials_RemovesEverySecretAndCertificate_RecordsIdsAndHintsOnly_AndCannotBeUndone()
    {
        var incident = await IncidentAsync();
        var app = $"/v1.0/applications/{AppId}";
        _azure.On($"GET {app}", Application(), Application(withCredentials: false))
            .On($"POST {app}/removePassword", new AzureResponse(204, ""))
            .On($"PATCH {app}", new AzureResponse(204, ""));

        var approved = await PlanApprovedAsync(incident, Plan("azure-remove-app-credentials", AppId, new() { ["objectType"] = "application" }, account: DirectoryId, region: "global"));

        Assert.Equal(["POST /applications/{id}/removePassword", "POST /applications/{id}/removePassword", "PATCH /applications/{id}"], approved.Plan.Calls.Select(c => c.Operation));
        Assert.Equal([SecretKeyId1, SecretKeyId2], approved.Plan.Calls.Take(2).Select(c => c.Parameters["keyId"]));
        Assert.Contains("'added-by-attacker' (hint 7Rk, expires 2028-03-13)", approved.Plan.Changes[1]);
        Assert.Contains(CertificateKeyId, approved.Plan.Changes[2]);
        Assert.Contains("workloads-stop", approved.Plan.Risks.Select(r => r.Code));
        await using var responder = _harness.As(_acme.Responder);
        var ran = await responder.Get<ResponseService>().RunAsync(approved.Id);

        Assert.Equal(ActionStatus.Succeeded, ran.Status);
        Assert.True(ran.Verified);
        Assert.Equal([SecretKeyId1, SecretKeyId2], _azure.Calls("POST", $"{app}/removePassword").Select(r => JsonDocument.Parse(r.Body).RootElement.GetProperty("keyId").GetString()));
        var patch = JsonDocument.Parse(Assert.Single(_azure.Calls("PATCH", app)).Body).RootElement;
        Assert.Equal(0, patch.GetProperty("keyCredentials").GetArrayLength());
        Assert.Equal([$"removed-certificate:{CertificateKeyId}", $"removed-secret:{SecretKeyId1}", $"removed-secret:{SecretKeyId2}"], ran.Output.Keys.Order());
        Assert.Contains("hint Qx8", ran.Output[$"removed-secret:{SecretKeyId1}"]);
        await Assert.ThrowsAsync<ConflictException>(() => responder.Get<ResponseService>().UndoAsync(approved.Id, new UndoAction("undo")));
        await AssertNoSecretAnywhereAsync();
    }

    [Fact]
    public async Task RemoveAppCredentials_OnAServicePrincipal_UsesItsOwnEndpoints()
    {
        var incident = await IncidentAsync();
        var sp = $"/v1.0/servicePrincipals/{AppId}";
        _azure.On($"GET {sp}", Application(kind: "servicePrincipals"), Application(withCredentials: false, kind: "servicePrincipals"))
            .On($"POST {sp}/removePassword", new AzureResponse(204, ""))
            .On($"PATCH {sp}", new AzureResponse(204, ""));
        var approved = await PlanApprovedAsync(incident, Plan("azure-remove-app-credentials", AppId, new() { ["objectType"] = "servicePrincipal" }, account: DirectoryId, region: "global"));
        await using var responder = _harness.As(_acme.Responder);

        var ran = await responder.Get<ResponseService>().RunAsync(approved.Id);

        Assert.Equal(ActionStatus.Succeeded, ran.Status);
        Assert.Equal(2, _azure.Calls("POST", $"{sp}/removePassword").Count());
        Assert.Single(_azure.Calls("PATCH", sp));
        Assert.DoesNotContain(_azure.Requests, r => r.Path.Contains("/applications/", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Plan_ByUserPrincipalName_ActsOnTheObjectId_AndAGraphRefusalIsAConflict()
    {
        var incident = await IncidentAsync();
        _azure.On("GET /v1.0/users/alice@contoso.onmicrosoft.com", User())
            .On("GET /v1.0/users/mallory@contoso.onmicrosoft.com", new AzureResponse(403, GraphError("Authorization_RequestDenied", "Insufficient privileges to complete the operation.")));
        await using var scope = _harness.As(_acme.Responder);
        var response = scope.Get<ResponseService>();

        var planned = await response.PlanAsync(incident, Plan("azure-revoke-sessions", "alice@contoso.onmicrosoft.com", account: DirectoryId, region: "global"));
        var refused = await Assert.ThrowsAsync<ConflictException>(() =>
            response.PlanAsync(incident, Plan("azure-revoke-sessions", "mallory@contoso.onmicrosoft.com", account: DirectoryId, region: "global")));

        Assert.Equal(UserId, planned.Plan.Calls[0].Parameters["id"]);
        Assert.Contains("GET /users/{id} failed: Authorization_RequestDenied: Insufficient privileges", refused.Message);
        Assert.Single(await response.ListAsync(incident));
    }
}
