using System.Collections.Concurrent;
using System.Diagnostics;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Firebreak.Cloud.Gcp;
using Firebreak.Core.Common;
using Firebreak.Core.Incidents;
using Firebreak.Core.Response;
using Firebreak.Testing;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using static Firebreak.Cloud.Tests.Gcp.GoogleJson;

namespace Firebreak.Cloud.Tests.Gcp;

/// <summary>
/// The GCP actions end to end: Core's response use cases over a real database, Google.Apis.Auth signing a real
/// JWT assertion with a stored (Data Protection protected) key, and the Compute/IAM REST calls over HTTP to a
/// local endpoint answering with Google's response shapes.
/// </summary>
public sealed class GcpResponseActionTests : IAsyncLifetime
{
    private const string ResponderAccount = "firebreak-responder@acme-prod.iam.gserviceaccount.com";
    private FakeGcp _gcp = null!;
    private CoreHarness _harness = null!;
    private HarnessTenant _acme = null!;
    private RSA _key = null!;
    private string _privateKeyBody = null!;
    private readonly CapturedLogs _logs = new();

    public async ValueTask InitializeAsync()
    {
        _gcp = await FakeGcp.StartAsync();
        _key = RSA.Create(2048);
        var pem = _key.ExportPkcs8PrivateKeyPem();
        // The base64 body of the key: what must never leave memory in any form.
        _privateKeyBody = string.Concat(pem.Split('\n').Where(l => !l.StartsWith("-----", StringComparison.Ordinal)));
        var protection = new EphemeralDataProtectionProvider();
        var settings = _gcp.Settings();
        settings[$"Firebreak:Gcp:Projects:{Project}:ProtectedServiceAccountKey"] = protection.CreateProtector(GcpSessions.ProtectionPurpose).Protect(KeyFile(pem));
        _harness = await CoreHarness.CreateAsync(DatabaseKind.Sqlite, settings, (services, configuration) => services.AddFirebreakCloud(configuration)
            .AddSingleton<IDataProtectionProvider>(protection).AddSingleton<ILoggerProvider>(_logs));
        _acme = await _harness.CreateTenantAsync("Acme");
        // Bound to Acme: another tenant's plans are refused.
        Configuration[$"Firebreak:Gcp:Projects:{Project}:TenantId"] = _acme.Id.ToString();
    }

    public async ValueTask DisposeAsync()
    {
        await _harness.DisposeAsync();
        await _gcp.DisposeAsync();
        _key.Dispose();
    }

    private IConfiguration Configuration => _harness.Services.GetRequiredService<IConfiguration>();

    internal static string KeyFile(string pem, string email = ResponderAccount) => JsonSerializer.Serialize(new Dictionary<string, string>
    {
        ["type"] = "service_account",
        ["project_id"] = Project,
        ["private_key_id"] = "0b5ad1c4e2f3a4b5c6d7e8f90a1b2c3d4e5f6a7b",
        ["private_key"] = pem,
        ["client_email"] = email,
        ["client_id"] = "109876543210987654321",
        ["auth_uri"] = "https://accounts.google.com/o/oauth2/auth",
        ["token_uri"] = "https://oauth2.googleapis.com/token",
    });

    private async Task<string> IncidentAsync()
    {
        await using var scope = _harness.As(_acme.Responder);
        return (await scope.Get<IncidentService>().CreateAsync(new CreateIncident("Crypto-miner on web-1"))).Reference;
    }

    private static PlanAction Plan(string action, string resource, string region = Zone, Dictionary<string, string>? inputs = null, string account = Project) =>
        new(action, account, region, resource, AssetCriticality.High, ContainmentChoice.ContainAcceptDowntime, "Mining traffic; the group serves from the other zones.", "Contain web-1", inputs);

    private async Task<ResponseActionView> ApprovedAsync(string incident, PlanAction plan)
    {
        ResponseActionView planned;
        await using (var responder = _harness.As(_acme.Responder))
            planned = await responder.Get<ResponseService>().PlanAsync(incident, plan);
        if (planned.Status == ActionStatus.AwaitingApproval)
        {
            await using var manager = _harness.As(_acme.Manager);
            await manager.Get<ResponseService>().ApproveAsync(planned.Id, new ApproveAction("agreed"));
        }
        return planned;
    }

    private async Task<ResponseActionView> RunAsync(Guid id)
    {
        await using var responder = _harness.As(_acme.Responder);
        return await responder.Get<ResponseService>().RunAsync(id);
    }

    private async Task<ResponseActionView> UndoAsync(Guid id)
    {
        await using var responder = _harness.As(_acme.Responder);
        return await responder.Get<ResponseService>().UndoAsync(id, new UndoAction("False positive: our own load test"));
    }

    /// <summary>A Compute call answered with a RUNNING operation, whose polls answer RUNNING once, then DONE (or DONE with an error).</summary>
    private void Accept(string key, string name, string type, string target, string? zone = Zone, string? error = null)
    {
        _gcp.On(key, Operation(name, type, target, "RUNNING", zone));
        _gcp.On($"GET {OperationPath(name, zone)}", (200, Operation(name, type, target, "RUNNING", zone)), (200, Operation(name, type, target, "DONE", zone, error)));
    }

    /// <summary>Nothing secret in the plan, results, undo data, logs or on the wire but the signed assertion.</summary>
    private void AssertKeyNeverShown(params ResponseActionView[] views)
    {
        foreach (var view in views)
            Assert.DoesNotContain(_privateKeyBody[..40], JsonSerializer.Serialize(view), StringComparison.Ordinal);
        Assert.DoesNotContain(_logs.Lines, l => l.Contains(_privateKeyBody[..40], StringComparison.Ordinal) || l.Contains("ya29.", StringComparison.Ordinal));
        Assert.NotEmpty(_logs.Lines);
        Assert.DoesNotContain(_gcp.Requests, r => r.Body.Contains(_privateKeyBody[..40], StringComparison.Ordinal) || r.Headers.Values.Any(v => v.Contains(_privateKeyBody[..40], StringComparison.Ordinal)));
    }

    [Fact]
    public async Task DenyAllFirewall_WithAnExaminer_DeniesTheComplement_AllowsOnlySsh_TagsLast_Verifies_AndUndoRemovesTagThenRules()
    {
        var incident = await IncidentAsync();
        _gcp.On($"GET {InstancePath}", InstanceBody())
            .On($"GET {FakeGcp.Compute}projects/{Project}/global/networks/prod-vpc", Network(order: "BEFORE_CLASSIC_FIREWALL"));

        var planned = await ApprovedAsync(incident, Plan("gcp-deny-all-firewall", Instance, inputs: new() { ["examinerCidr"] = "203.0.113.7/32" }));

        Assert.Equal(ActionStatus.AwaitingApproval, planned.Status);
        var inserts = planned.Plan.Calls.Where(c => c.Operation == "firewalls.insert").ToList();
        Assert.Equal(6, inserts.Count);
        Assert.Equal(["firewalls.insert", "firewalls.insert", "firewalls.insert", "firewalls.insert", "firewalls.insert", "firewalls.insert", "instances.get", "instances.setTags"],
            planned.Plan.Calls.Select(c => c.Operation));
        var rules = inserts.ToDictionary(c => c.Parameters["name"], c => JsonDocument.Parse(c.Parameters["rule"]).RootElement);
        var tag = planned.Plan.State["quarantineTag"];
        Assert.Matches("^firebreak-quarantine-[0-9a-f]{10}$", tag);
        JsonElement Rule(string suffix) => rules.Single(r => r.Key.EndsWith("-" + suffix, StringComparison.Ordinal)).Value;
        var denyIn = Rule("deny-in");
        Assert.Equal((0, "INGRESS", "all"), (denyIn.GetProperty("priority").GetInt32(), denyIn.GetProperty("direction").GetString(), denyIn.GetProperty("denied")[0].GetProperty("IPProtocol").GetString()));
        var complement = denyIn.GetProperty("sourceRanges").EnumerateArray().Select(r => r.GetString()!).ToList();
        Assert.Equal(32, complement.Count);
        Assert.Equal("0.0.0.0/1", complement[0]);
        Assert.Equal("203.0.113.6/32", complement[^1]);
        Assert.DoesNotContain("203.0.113.7/32", complement);
        Assert.Equal([tag], denyIn.GetProperty("targetTags").EnumerateArray().Select(t => t.GetString()));
        Assert.Equal("::/0", Rule("deny-in6").GetProperty("sourceRanges")[0].GetString());
        Assert.Equal(("EGRESS", "0.0.0.0/0"), (Rule("deny-out").GetProperty("direction").GetString(), Rule("deny-out").GetProperty("destinationRanges")[0].GetString()));
        Assert.Equal("::/0", Rule("deny-out6").GetProperty("destinationRanges")[0].GetString());
        var ssh = Rule("ssh");
        Assert.Equal((0, "tcp", "22", "203.0.113.7/32"), (ssh.GetProperty("priority").GetInt32(), ssh.GetProperty("allowed")[0].GetProperty("IPProtocol").GetString(),
            ssh.GetProperty("allowed")[0].GetProperty("ports")[0].GetString(), ssh.GetProperty("sourceRanges")[0].GetString()));
        var examiner = Rule("deny-exam");
        Assert.Equal((1, "203.0.113.7/32"), (examiner.GetProperty("priority").GetInt32(), examiner.GetProperty("sourceRanges")[0].GetString()));
        var risks = planned.Plan.Risks.Select(r => r.Code).ToList();
        Assert.Equal(["managed-instance-group", "deletion-protection-off", "auto-delete", "local-ssd", "network-policy-first", "hierarchical-policies", "tracked-connections", "tags-editable"], risks);
        Assert.Contains(planned.Warnings, w => w.Contains("Snapshot all persistent disks", StringComparison.Ordinal));
        Assert.DoesNotContain(_gcp.Requests, r => r.Method != "GET" && r.Path != "/token");

        for (var n = 1; n <= 6; n++)
            Accept($"POST {FakeGcp.Compute}projects/{Project}/global/firewalls", $"operation-fw-{n}", "insert", $"projects/{Project}/global/firewalls/r{n}", zone: null);
        foreach (var insert in inserts)
            _gcp.On($"GET {FakeGcp.Compute}projects/{Project}/global/firewalls/{insert.Parameters["name"]}", Firewall(JsonDocument.Parse(insert.Parameters["rule"]).RootElement));
        Accept($"POST {InstancePath}/setTags", "operation-settags", "setTags", Instance);
        // Someone changed the tags since the plan: the run uses the fingerprint it reads then; verification reads the tag.
        _gcp.From($"GET {InstancePath}", InstanceBody(tags: ["http-server", "web", "canary"], fingerprint: "Zm9vYmFyMQ=="))
            .On($"GET {InstancePath}", InstanceBody(tags: ["http-server", "web", "canary", tag], fingerprint: "dGFnZ2VkMg=="));

        var ran = await RunAsync(planned.Id);

        Assert.Equal(ActionStatus.Succeeded, ran.Status);
        Assert.All(ran.Results, r => Assert.True(r.Succeeded, r.Detail));
        var posted = _gcp.Calls("POST", $"{FakeGcp.Compute}projects/{Project}/global/firewalls").Select(r => r.Json).ToList();
        Assert.Equal(inserts.Select(i => i.Parameters["name"]), posted.Select(p => p["name"]!.GetValue<string>()));
        Assert.Equal($"projects/{Project}/global/networks/prod-vpc", posted[0]["network"]!.GetValue<string>());
        var setTags = Assert.Single(_gcp.Calls("POST", $"{InstancePath}/setTags")).Json;
        Assert.Equal("Zm9vYmFyMQ==", setTags["fingerprint"]!.GetValue<string>());
        Assert.Equal(["http-server", "web", "canary", tag], setTags["items"]!.AsArray().Select(t => t!.GetValue<string>()));
        var order = _gcp.Requests.Where(r => r.Method == "POST" && r.Path != "/token").Select(r => r.Path.EndsWith("/setTags", StringComparison.Ordinal) ? "tag" : "rule").Distinct().ToList();
        Assert.Equal(["rule", "tag"], order);
        Assert.Equal(2, _gcp.Calls("GET", OperationPath("operation-settags")).Count());
        Assert.True(ran.Verified, string.Join("; ", ran.Verification.Where(v => !v.Ok).Select(v => $"{v.What}: {v.Actual}")));
        Assert.Equal(7, ran.Verification.Count);
        Assert.Equal(Project, ran.UndoData[$"firewall:{inserts[0].Parameters["name"]}"]);
        Assert.Equal(tag, ran.UndoData["tag"]);
        var bearer = _gcp.Calls("POST", $"{InstancePath}/setTags").Single().Headers["Authorization"];
        Assert.Equal("Bearer ya29.c.firebreak-access-token", bearer);

        _gcp.From($"POST {InstancePath}/setTags", Operation("operation-untag", "setTags", Instance))
            .On($"GET {OperationPath("operation-untag")}", Operation("operation-untag", "setTags", Instance, "DONE"));
        foreach (var (insert, n) in inserts.Select((c, n) => (c, n)))
            Accept($"DELETE {FakeGcp.Compute}projects/{Project}/global/firewalls/{insert.Parameters["name"]}", $"operation-del-{n}", "delete", $"projects/{Project}/global/firewalls/{insert.Parameters["name"]}", zone: null);

        var undone = await UndoAsync(planned.Id);

        Assert.Equal(ActionStatus.Undone, undone.Status);
        var untag = _gcp.Calls("POST", $"{InstancePath}/setTags").Last().Json;
        Assert.Equal("dGFnZ2VkMg==", untag["fingerprint"]!.GetValue<string>());
        Assert.Equal(["http-server", "web", "canary"], untag["items"]!.AsArray().Select(t => t!.GetValue<string>()));
        Assert.Equal(6, _gcp.Requests.Count(r => r.Method == "DELETE"));
        var lastTag = _gcp.Requests.ToList().FindLastIndex(r => r.Path.EndsWith("/setTags", StringComparison.Ordinal));
        Assert.True(_gcp.Requests.ToList().FindIndex(r => r.Method == "DELETE") > lastTag, "the tag comes off before the rules go");
        AssertKeyNeverShown(planned, ran, undone);
    }

    [Fact]
    public async Task DenyAllFirewall_WithoutExaminer_RefusesAWideExaminer_AndARuleThatFails_LeavesTheTagOff()
    {
        var incident = await IncidentAsync();
        _gcp.On($"GET {InstancePath}", InstanceBody()).On($"GET {FakeGcp.Compute}projects/{Project}/global/networks/prod-vpc", Network());
        await using (var responder = _harness.As(_acme.Responder))
        {
            var wide = await Assert.ThrowsAsync<ValidationFailedException>(() => responder.Get<ResponseService>().PlanAsync(incident,
                Plan("gcp-deny-all-firewall", Instance, inputs: new() { ["examinerCidr"] = "0.0.0.0/0" })));
            Assert.Contains("inputs.examinerCidr", wide.Errors.Keys);
        }
        var planned = await ApprovedAsync(incident, Plan("gcp-deny-all-firewall", Instance));
        var inserts = planned.Plan.Calls.Where(c => c.Operation == "firewalls.insert").ToList();
        Assert.Equal(4, inserts.Count);
        Assert.Equal("0.0.0.0/0", JsonDocument.Parse(inserts[0].Parameters["rule"]).RootElement.GetProperty("sourceRanges")[0].GetString());
        Assert.DoesNotContain(planned.Plan.Risks, r => r.Code == "network-policy-first");
        var firewalls = $"POST {FakeGcp.Compute}projects/{Project}/global/firewalls";
        Accept(firewalls, "operation-fw-1", "insert", "r1", zone: null);
        _gcp.On(firewalls, (200, Operation("operation-fw-2", "insert", "r2", "RUNNING", null)),
            (409, Error(409, null, $"The resource 'projects/{Project}/global/firewalls/{inserts[2].Parameters["name"]}' already exists", "alreadyExists")));
        _gcp.On($"GET {OperationPath("operation-fw-2", null)}", Operation("operation-fw-2", "insert", "r2", "DONE", null));
        _gcp.On($"GET {FakeGcp.Compute}projects/{Project}/global/firewalls/{inserts[0].Parameters["name"]}", Firewall(JsonDocument.Parse(inserts[0].Parameters["rule"]).RootElement));

        var ran = await RunAsync(planned.Id);

        Assert.Equal(ActionStatus.PartiallyFailed, ran.Status);
        Assert.Equal([true, true, false, false, false], ran.Results.Select(r => r.Succeeded));
        Assert.Equal("ALREADY_EXISTS", ran.Results[2].ErrorCode);
        Assert.Contains("alreadyExists", ran.Results[2].Detail);
        Assert.Equal(("compute:instances.setTags", "SKIPPED"), (ran.Results[^1].Operation, ran.Results[^1].ErrorCode));
        Assert.Empty(_gcp.Calls("POST", $"{InstancePath}/setTags"));
        Assert.False(ran.UndoData.ContainsKey("tag"));
        Assert.Equal(2, ran.UndoData.Count);
    }

    [Fact]
    public async Task ResetExternalIp_StaticAddress_IsRemoved_Verified_AndUndoReattachesTheSameAddress()
    {
        var incident = await IncidentAsync();
        _gcp.On($"GET {InstancePath}", InstanceBody())
            .On($"GET {FakeGcp.Compute}projects/{Project}/regions/{Region}/addresses", Addresses("web-1-ip"));
        var planned = await ApprovedAsync(incident, Plan("gcp-reset-external-ip", Instance));
        var call = Assert.Single(planned.Plan.Calls);
        Assert.Equal(("instances.deleteAccessConfig", "nic0", "External NAT", NatIp, "true"),
            (call.Operation, call.Parameters["networkInterface"], call.Parameters["accessConfig"], call.Parameters["natIP"], call.Parameters["static"]));
        Assert.Equal($"address=\"{NatIp}\"", _gcp.Calls("GET", $"{FakeGcp.Compute}projects/{Project}/regions/{Region}/addresses").Single().Query["filter"]);
        Assert.Contains(planned.Plan.Risks, r => r.Code == "other-paths");
        Assert.DoesNotContain(planned.Plan.Risks, r => r.Code == "ephemeral-address-lost");
        Accept($"POST {InstancePath}/deleteAccessConfig", "operation-dac", "deleteAccessConfig", Instance);
        _gcp.From($"GET {InstancePath}", InstanceBody(natIp: null));

        var ran = await RunAsync(planned.Id);

        Assert.Equal(ActionStatus.Succeeded, ran.Status);
        Assert.True(ran.Verified);
        var delete = Assert.Single(_gcp.Calls("POST", $"{InstancePath}/deleteAccessConfig"));
        Assert.Equal(("External NAT", "nic0"), (delete.Query["accessConfig"], delete.Query["networkInterface"]));
        Assert.Equal("none", Assert.Single(ran.Verification).Actual);

        Accept($"POST {InstancePath}/addAccessConfig", "operation-aac", "addAccessConfig", Instance);
        var undone = await UndoAsync(planned.Id);

        Assert.Equal(ActionStatus.Undone, undone.Status);
        var add = Assert.Single(_gcp.Calls("POST", $"{InstancePath}/addAccessConfig"));
        Assert.Equal("nic0", add.Query["networkInterface"]);
        Assert.Equal((NatIp, "ONE_TO_ONE_NAT", "PREMIUM"), (add.Json["natIP"]!.GetValue<string>(), add.Json["type"]!.GetValue<string>(), add.Json["networkTier"]!.GetValue<string>()));
    }

    [Fact]
    public async Task ResetExternalIp_Readd_Ephemeral_GetsANewAddress_AndLeavesNothingToUndo()
    {
        var incident = await IncidentAsync();
        _gcp.On($"GET {InstancePath}", InstanceBody()).On($"GET {FakeGcp.Compute}projects/{Project}/regions/{Region}/addresses", Addresses());
        var planned = await ApprovedAsync(incident, Plan("gcp-reset-external-ip", Instance, inputs: new() { ["readd"] = "true" }));
        Assert.Equal(["instances.deleteAccessConfig", "instances.addAccessConfig"], planned.Plan.Calls.Select(c => c.Operation));
        Assert.Contains("new ephemeral", planned.Plan.Calls[1].Change);
        Assert.Contains(planned.Plan.Risks, r => r.Code == "ephemeral-address-lost");
        Assert.False(planned.Plan.Undoable);
        Accept($"POST {InstancePath}/deleteAccessConfig", "operation-dac", "deleteAccessConfig", Instance);
        Accept($"POST {InstancePath}/addAccessConfig", "operation-aac", "addAccessConfig", Instance);
        _gcp.From($"GET {InstancePath}", InstanceBody(natIp: "35.205.77.201"));

        var ran = await RunAsync(planned.Id);

        Assert.Equal(ActionStatus.Succeeded, ran.Status);
        Assert.True(ran.Verified, string.Join("; ", ran.Verification.Select(v => v.Actual)));
        Assert.False(Assert.Single(_gcp.Calls("POST", $"{InstancePath}/addAccessConfig")).Json.ContainsKey("natIP"));
        Assert.Empty(ran.UndoData);
        await using var responder = _harness.As(_acme.Responder);
        await Assert.ThrowsAsync<ConflictException>(() => responder.Get<ResponseService>().UndoAsync(planned.Id, new UndoAction("no")));
    }

    [Fact]
    public async Task DisableServiceAccount_ThrottledWithRetryAfter_WaitsAndRetries_Verifies_AndUndoEnables()
    {
        var incident = await IncidentAsync();
        var path = $"{FakeGcp.Iam}{ServiceAccount}";
        _gcp.On($"GET {path}", ServiceAccountBody(disabled: false));
        var planned = await ApprovedAsync(incident, Plan("gcp-disable-service-account", ServiceAccount, region: "global"));
        Assert.Equal(("serviceAccounts.disable", ServiceAccount), (Assert.Single(planned.Plan.Calls).Operation, planned.Plan.Calls[0].Parameters["name"]));
        Assert.Equal(["workloads-stop", "undo-revives-tokens"], planned.Plan.Risks.Select(r => r.Code));
        Assert.Equal("112233445566778899001", planned.Plan.State["uniqueId"]);
        _gcp.Throttle($"POST {path}:disable", 429, Error(429, "RESOURCE_EXHAUSTED", "Quota exceeded for quota metric 'Write requests'.", "rateLimitExceeded"), "1")
            .Throttle($"POST {path}:disable", 503, Error(503, "UNAVAILABLE", "The service is currently unavailable.", "backendError"), "0")
            .On($"POST {path}:disable", "{}");
        _gcp.From($"GET {path}", ServiceAccountBody(disabled: true));

        var clock = Stopwatch.StartNew();
        var ran = await RunAsync(planned.Id);

        Assert.True(clock.Elapsed >= TimeSpan.FromMilliseconds(900), $"Retry-After: 1 was honoured ({clock.Elapsed})");
        Assert.Equal(ActionStatus.Succeeded, ran.Status);
        Assert.True(ran.Verified);
        Assert.Equal(3, _gcp.Calls("POST", $"{path}:disable").Count());
        Assert.Equal("false", ran.UndoData["disabled"]);
        Assert.Contains(_logs.Lines, l => l.Contains("iam:serviceAccounts.disable", StringComparison.Ordinal) && l.Contains("429", StringComparison.Ordinal));

        _gcp.On($"POST {path}:enable", "{}");
        var undone = await UndoAsync(planned.Id);
        Assert.Equal(ActionStatus.Undone, undone.Status);
        Assert.Single(_gcp.Calls("POST", $"{path}:enable"));
        AssertKeyNeverShown(planned, ran, undone);
    }

    [Fact]
    public async Task DisableServiceAccountKey_PermissionDeniedAtRun_IsFailedWithTheCode_AndNothingToUndo()
    {
        var incident = await IncidentAsync();
        var path = $"{FakeGcp.Iam}{ServiceAccountKey}";
        _gcp.On($"GET {path}", KeyBody(disabled: false))
            .On($"POST {path}:disable", (403, Error(403, "PERMISSION_DENIED", $"Permission 'iam.serviceAccountKeys.disable' denied on resource (or it may not exist).", "forbidden")));
        var planned = await ApprovedAsync(incident, Plan("gcp-disable-service-account-key", ServiceAccountKey, region: "global"));
        Assert.Equal(("USER_MANAGED", "false"), (planned.Plan.State["keyType"], planned.Plan.State["disabled"]));

        var ran = await RunAsync(planned.Id);

        Assert.Equal(ActionStatus.Failed, ran.Status);
        var result = Assert.Single(ran.Results);
        Assert.Equal("PERMISSION_DENIED", result.ErrorCode);
        Assert.StartsWith("Permission denied", result.Detail);
        Assert.Empty(ran.UndoData);
        Assert.Null(ran.Verified);
        Assert.Single(_gcp.Calls("POST", $"{path}:disable"));
        await using var responder = _harness.As(_acme.Responder);
        await Assert.ThrowsAsync<ConflictException>(() => responder.Get<ResponseService>().UndoAsync(planned.Id, new UndoAction("no")));
    }

    [Fact]
    public async Task DisableServiceAccountKey_AlreadyDisabled_PlansNoCall_AndAGoogleManagedKeyIsRefused()
    {
        var incident = await IncidentAsync();
        var path = $"{FakeGcp.Iam}{ServiceAccountKey}";
        _gcp.On($"GET {path}", KeyBody(disabled: true));
        var planned = await ApprovedAsync(incident, Plan("gcp-disable-service-account-key", ServiceAccountKey, region: "global"));
        Assert.Empty(planned.Plan.Calls);
        Assert.Contains("already disabled", planned.Plan.Summary);

        _gcp.From($"GET {path}", KeyBody(disabled: false, keyType: "SYSTEM_MANAGED"));
        await using var responder = _harness.As(_acme.Responder);
        var error = await Assert.ThrowsAsync<ConflictException>(() => responder.Get<ResponseService>().PlanAsync(incident, Plan("gcp-disable-service-account-key", ServiceAccountKey, region: "global")));
        Assert.Contains("Google-managed", error.Message);
    }

    [Fact]
    public async Task SnapshotDisks_OneOperationFails_IsPartiallyFailed_LabelsEachSnapshot_AndUndoDeletesWhatExists()
    {
        var incident = await IncidentAsync();
        _gcp.On($"GET {InstancePath}", InstanceBody());
        await using var scope = _harness.As(_acme.Responder);
        var response = scope.Get<ResponseService>();
        var planned = await response.PlanAsync(incident, Plan("gcp-snapshot-disks", Instance));

        Assert.Equal(ActionStatus.Planned, planned.Status);
        Assert.Equal([$"projects/{Project}/zones/{Zone}/disks/web-1", $"projects/{Project}/zones/{Zone}/disks/web-1-data"], planned.Plan.Calls.Select(c => c.Parameters["disk"]));
        var names = planned.Plan.Calls.Select(c => c.Parameters["name"]).ToList();
        Assert.All(names, n => Assert.Matches("^fb-inc-2026-0001-web-1(-data)?-[0-9a-f]{8}$", n));
        Assert.Contains(planned.Plan.Risks, r => r.Code == "local-ssd" && r.Description.Contains("local-ssd-0", StringComparison.Ordinal));
        Assert.StartsWith("1. collect: gcp-snapshot-disks", planned.Plan.SafeOrder[0]);

        var disks = $"{FakeGcp.Compute}projects/{Project}/zones/{Zone}/disks";
        Accept($"POST {disks}/web-1/createSnapshot", "operation-snap-1", "createSnapshot", $"projects/{Project}/zones/{Zone}/disks/web-1");
        Accept($"POST {disks}/web-1-data/createSnapshot", "operation-snap-2", "createSnapshot", $"projects/{Project}/zones/{Zone}/disks/web-1-data",
            error: OperationError("QUOTA_EXCEEDED", "Quota 'SNAPSHOTS' exceeded.  Limit: 1000.0 globally."));
        _gcp.On($"GET {FakeGcp.Compute}projects/{Project}/global/snapshots/{names[0]}", Snapshot(names[0], "inc-2026-0001", "web-1", "CREATING"));

        var ran = await response.RunAsync(planned.Id);

        Assert.Equal(ActionStatus.PartiallyFailed, ran.Status);
        Assert.True(ran.Results[0].Succeeded, ran.Results[0].Detail);
        Assert.Equal(("QUOTA_EXCEEDED", false), (ran.Results[1].ErrorCode, ran.Results[1].Succeeded));
        Assert.Contains("Quota 'SNAPSHOTS' exceeded", ran.Results[1].Detail);
        Assert.True(ran.Verified);
        Assert.Single(ran.Verification);
        var body = _gcp.Calls("POST", $"{disks}/web-1/createSnapshot").Single().Json;
        Assert.Equal(names[0], body["name"]!.GetValue<string>());
        var labels = body["labels"]!.AsObject();
        Assert.Equal(("inc-2026-0001", "web-1", "web-1"), (labels["firebreak-incident"]!.GetValue<string>(), labels["firebreak-source-disk"]!.GetValue<string>(), labels["firebreak-source-instance"]!.GetValue<string>()));
        Assert.Equal(2, ran.UndoData.Count);

        Accept($"DELETE {FakeGcp.Compute}projects/{Project}/global/snapshots/{names[0]}", "operation-del-snap", "delete", $"projects/{Project}/global/snapshots/{names[0]}", zone: null);
        var undone = await response.UndoAsync(planned.Id, new UndoAction("Copied to the evidence project"));

        Assert.Equal(ActionStatus.Undone, undone.Status);
        Assert.Equal(2, _gcp.Requests.Count(r => r.Method == "DELETE"));
        Assert.Contains(undone.UndoResults, r => r.Succeeded && r.Detail.Contains("does not exist", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Plan_PermissionDenied_IsAConflictWithTheCode_AndRecordsNothing()
    {
        var incident = await IncidentAsync();
        _gcp.On($"GET {InstancePath}", (403, Error(403, null, $"Required 'compute.instances.get' permission for '{Instance}'", "forbidden")));
        await using var scope = _harness.As(_acme.Responder);
        var response = scope.Get<ResponseService>();

        var error = await Assert.ThrowsAsync<ConflictException>(() => response.PlanAsync(incident, Plan("gcp-snapshot-disks", Instance)));

        Assert.Contains("PERMISSION_DENIED", error.Message);
        Assert.Contains("compute.instances.get", error.Message);
        Assert.Empty(await response.ListAsync(incident));
    }

    [Fact]
    public async Task Plan_OtherTenantsProject_MismatchedResource_AndBadZones_AreRefusedBeforeAnyCall()
    {
        var other = await _harness.CreateTenantAsync("Globex");
        string otherIncident;
        await using (var scope = _harness.As(other.Responder))
            otherIncident = (await scope.Get<IncidentService>().CreateAsync(new CreateIncident("theirs"))).Reference;
        await using var stranger = _harness.As(other.Responder);
        var refused = await Assert.ThrowsAsync<ValidationFailedException>(() => stranger.Get<ResponseService>().PlanAsync(otherIncident, Plan("gcp-snapshot-disks", Instance)));
        Assert.Contains("not configured", refused.Errors["account"][0]);

        var incident = await IncidentAsync();
        await using var responder = _harness.As(_acme.Responder);
        var response = responder.Get<ResponseService>();
        var mismatch = await Assert.ThrowsAsync<ValidationFailedException>(() => response.PlanAsync(incident,
            Plan("gcp-snapshot-disks", $"projects/globex-prod/zones/{Zone}/instances/web-1")));
        var wrongZone = await Assert.ThrowsAsync<ValidationFailedException>(() => response.PlanAsync(incident, Plan("gcp-snapshot-disks", Instance, region: "europe-west4-a")));
        var zonalIam = await Assert.ThrowsAsync<ValidationFailedException>(() => response.PlanAsync(incident, Plan("gcp-disable-service-account", ServiceAccount, region: Zone)));
        var badShapes = await Assert.ThrowsAsync<ValidationFailedException>(() => response.PlanAsync(incident,
            Plan("gcp-reset-external-ip", "i-0abc1234def567890", region: "eu-west-1", account: "123456789012")));

        Assert.Contains("globex-prod", mismatch.Errors["resource"][0]);
        Assert.Contains("europe-west4-a", wrongZone.Errors["resource"][0]);
        Assert.Contains("global", zonalIam.Errors["region"][0]);
        Assert.Equal(["account", "region", "resource"], badShapes.Errors.Keys.Order());
        Assert.Contains("GCP project id", badShapes.Errors["account"][0]);
        Assert.Empty(_gcp.Requests);
    }

    [Fact]
    public async Task Credentials_TheStoredKeySignsAnAssertion_AndImpersonationUsesItsToken()
    {
        var incident = await IncidentAsync();
        Configuration[$"Firebreak:Gcp:Projects:{Project}:ImpersonateServiceAccount"] = "incident-responder@acme-prod.iam.gserviceaccount.com";
        _gcp.On("POST /iamcredentials/v1/projects/-/serviceAccounts/incident-responder@acme-prod.iam.gserviceaccount.com:generateAccessToken",
            """{"accessToken":"ya29.c.impersonated-token","expireTime":"2026-03-14T10:00:00Z"}""");
        _gcp.On($"GET {FakeGcp.Iam}{ServiceAccount}", ServiceAccountBody(disabled: true));

        var planned = await ApprovedAsync(incident, Plan("gcp-disable-service-account", ServiceAccount, region: "global"));

        Assert.Empty(planned.Plan.Calls);
        var token = Assert.Single(_gcp.Calls("POST", "/token"));
        var form = token.Body.Split('&').Select(p => p.Split('=')).ToDictionary(p => p[0], p => Uri.UnescapeDataString(p[1]));
        Assert.Equal("urn:ietf:params:oauth:grant-type:jwt-bearer", form["grant_type"]);
        var parts = form["assertion"].Split('.');
        Assert.True(_key.VerifyData(Encoding.ASCII.GetBytes($"{parts[0]}.{parts[1]}"), Base64Url(parts[2]), HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1), "signed with the stored key");
        using var claims = JsonDocument.Parse(Base64Url(parts[1]));
        Assert.Equal(ResponderAccount, claims.RootElement.GetProperty("iss").GetString());
        Assert.Equal(GcpSettings.CloudPlatformScope, claims.RootElement.GetProperty("scope").GetString());
        var impersonate = Assert.Single(_gcp.Requests, r => r.Path.EndsWith(":generateAccessToken", StringComparison.Ordinal));
        Assert.Equal("Bearer ya29.c.firebreak-access-token", impersonate.Headers["Authorization"]);
        Assert.Equal("3600s", impersonate.Json["lifetime"]!.GetValue<string>());
        Assert.Equal("Bearer ya29.c.impersonated-token", _gcp.Calls("GET", $"{FakeGcp.Iam}{ServiceAccount}").Single().Headers["Authorization"]);
        AssertKeyNeverShown(planned);
    }

    [Fact]
    public async Task Credentials_WithoutAStoredKey_ApplicationDefaultCredentials_ExchangeAWorkloadIdentityToken()
    {
        var incident = await IncidentAsync();
        Configuration[$"Firebreak:Gcp:Projects:{Project}:ProtectedServiceAccountKey"] = null;
        var directory = Directory.CreateTempSubdirectory("firebreak-wif-");
        var subjectToken = Path.Combine(directory.FullName, "oidc-token");
        await File.WriteAllTextAsync(subjectToken, "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJmaXJlYnJlYWsifQ.c2lnbmF0dXJl");
        var config = Path.Combine(directory.FullName, "wif.json");
        // A workload identity federation configuration: no secret in it, only where to find the workload's own token.
        await File.WriteAllTextAsync(config, JsonSerializer.Serialize(new Dictionary<string, object>
        {
            ["type"] = "external_account",
            ["audience"] = "//iam.googleapis.com/projects/412345678901/locations/global/workloadIdentityPools/firebreak/providers/ci",
            ["subject_token_type"] = "urn:ietf:params:oauth:token-type:jwt",
            ["token_url"] = _gcp.Url + "sts/v1/token",
            ["credential_source"] = new Dictionary<string, string> { ["file"] = subjectToken },
        }));
        _gcp.On("POST /sts/v1/token", """{"access_token":"ya29.d.federated-token","issued_token_type":"urn:ietf:params:oauth:token-type:access_token","token_type":"Bearer","expires_in":3600}""")
            .On($"GET {FakeGcp.Iam}{ServiceAccount}", ServiceAccountBody(disabled: true));
        var previous = Environment.GetEnvironmentVariable("GOOGLE_APPLICATION_CREDENTIALS");
        Environment.SetEnvironmentVariable("GOOGLE_APPLICATION_CREDENTIALS", config);
        try
        {
            var planned = await ApprovedAsync(incident, Plan("gcp-disable-service-account", ServiceAccount, region: "global"));

            Assert.Equal("true", planned.Plan.State["disabled"]);
            var exchange = Assert.Single(_gcp.Calls("POST", "/sts/v1/token"));
            Assert.Contains("subject_token=eyJhbGciOiJSUzI1NiJ9", exchange.Body);
            Assert.Contains("grant_type=urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Atoken-exchange", exchange.Body);
            Assert.Empty(_gcp.Calls("POST", "/token"));
            Assert.Equal("Bearer ya29.d.federated-token", _gcp.Calls("GET", $"{FakeGcp.Iam}{ServiceAccount}").Single().Headers["Authorization"]);
        }
        finally
        {
            Environment.SetEnvironmentVariable("GOOGLE_APPLICATION_CREDENTIALS", previous);
            directory.Delete(recursive: true);
        }
    }

    [Fact]
    public async Task Credentials_TokenEndpointRefusal_StopsThePlan_WithTheOAuthCode()
    {
        var incident = await IncidentAsync();
        _gcp.From("POST /token", """{"error":"invalid_grant","error_description":"Invalid JWT Signature."}""", status: 400);
        await using var responder = _harness.As(_acme.Responder);

        var error = await Assert.ThrowsAsync<ConflictException>(() => responder.Get<ResponseService>().PlanAsync(incident, Plan("gcp-snapshot-disks", Instance)));

        Assert.Contains("invalid_grant", error.Message);
        Assert.DoesNotContain(_privateKeyBody[..40], error.Message, StringComparison.Ordinal);
        Assert.Empty(_gcp.Calls("GET", InstancePath));
    }

    [Fact]
    public void Complement_CoversEverythingButTheExaminer()
    {
        var ranges = DenyAllFirewallAction.Complement(System.Net.IPNetwork.Parse("198.51.100.0/24")).Select(System.Net.IPNetwork.Parse).ToList();

        Assert.Equal(24, ranges.Count);
        var total = ranges.Sum(r => Math.Pow(2, 32 - r.PrefixLength));
        Assert.Equal(Math.Pow(2, 32) - 256, total);
        Assert.DoesNotContain(ranges, r => r.Contains(System.Net.IPAddress.Parse("198.51.100.77")));
        foreach (var probe in new[] { "198.51.101.0", "198.51.99.255", "0.0.0.0", "255.255.255.255", "10.0.0.1" })
            Assert.Single(ranges, r => r.Contains(System.Net.IPAddress.Parse(probe)));
    }

    private static byte[] Base64Url(string value)
    {
        var padded = value.Replace('-', '+').Replace('_', '/');
        return Convert.FromBase64String(padded.PadRight(padded.Length + (4 - padded.Length % 4) % 4, '='));
    }
}

/// <summary>Every formatted log line, to show that nothing secret is written.</summary>
internal sealed class CapturedLogs : ILoggerProvider
{
    private readonly ConcurrentQueue<string> _lines = new();

    public IReadOnlyCollection<string> Lines => _lines;

    public ILogger CreateLogger(string categoryName) => new Logger(categoryName, _lines);

    public void Dispose() { }

    private sealed class Logger(string category, ConcurrentQueue<string> lines) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            lines.Enqueue($"{category}: {formatter(state, exception)} {exception}");
    }
}
