using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Firebreak.Core.Identity;
using Firebreak.Server.Tests.Api;
using Firebreak.Testing;
using static Firebreak.Testing.ScopeTrails;

namespace Firebreak.Server.Tests.Scope;

public sealed class ScopeEndpointTests : IAsyncLifetime
{
    private TestServer _server = null!;
    private TestTenant _acme = null!;
    private TestTenant _globex = null!;

    public async ValueTask InitializeAsync()
    {
        _server = await TestServer.StartAsync(DatabaseKind.Sqlite);
        _acme = await _server.CreateTenantAsync("Acme");
        _globex = await _server.CreateTenantAsync("Globex");
    }

    public async ValueTask DisposeAsync() => await _server.DisposeAsync();

    private async Task<string> IncidentWithEventsAsync(string lines)
    {
        var responder = _acme.Client(Role.Responder);
        var incident = (await responder.CreateIncidentAsync(new { title = "Stolen key" })).GetProperty("reference").GetString()!;
        var content = new ByteArrayContent(Encoding.UTF8.GetBytes(lines));
        content.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
        var started = await responder.PostAsync($"/api/v1/incidents/{incident}/events/imports/upload?name=trail.json", content);
        Assert.Equal(HttpStatusCode.Accepted, started.StatusCode);
        var import = await InvestigationEndpointTests.WaitForImportAsync(responder, incident, (await started.JsonAsync()).GetProperty("id").GetString()!);
        Assert.Equal("completed", import.GetProperty("status").GetString());
        return incident;
    }

    [Fact]
    public async Task Scope_IsComputedFromTheEvents_AndMarksSeedItOverHttp()
    {
        var incident = await IncidentWithEventsAsync(ChainTrail());
        var viewer = _acme.Client(Role.Viewer);
        var responder = _acme.Client(Role.Responder);

        var empty = await (await viewer.GetAsync($"/api/v1/incidents/{incident}/scope")).JsonAsync();
        Assert.Equal(15, empty.GetProperty("events").GetInt32());
        Assert.Equal(JsonValueKind.Null, empty.GetProperty("patientZero").ValueKind);
        Assert.Equal(0, empty.GetProperty("blastRadius").GetProperty("counts").GetProperty("identities").GetInt32());

        var marked = await responder.PostAsJsonAsync($"/api/v1/incidents/{incident}/scope/marks", new { kind = "access-key", value = Stolen, reason = "Key posted on a paste site" });
        Assert.Equal(HttpStatusCode.Created, marked.StatusCode);
        var mark = await marked.JsonAsync();
        Assert.Equal(("access-key", true), (mark.GetProperty("kind").GetString(), mark.GetProperty("active").GetBoolean()));
        Assert.Contains("responder", mark.GetProperty("markedBy").GetString(), StringComparison.Ordinal);

        var scope = await (await viewer.GetAsync($"/api/v1/incidents/{incident}/scope")).JsonAsync();
        var zero = scope.GetProperty("patientZero");
        Assert.Equal((Stolen, "access-key"), (zero.GetProperty("value").GetString(), zero.GetProperty("kind").GetString()));
        Assert.Equal(("ev-first", AttackerIp), (zero.GetProperty("firstUse").GetProperty("eventId").GetString(), zero.GetProperty("firstUse").GetProperty("sourceIp").GetString()));
        var blast = scope.GetProperty("blastRadius");
        Assert.Equal(8, blast.GetProperty("counts").GetProperty("identities").GetInt32());
        Assert.Contains(blast.GetProperty("containment").EnumerateArray(), c => c.GetProperty("actionId").GetString() == "aws-revoke-role-sessions" && c.GetProperty("resource").GetString() == "AdminRole");
        var admin = scope.GetProperty("identities").EnumerateArray().Single(i => i.GetProperty("value").GetString() == AdminSession);
        Assert.Equal(("session", true, "derived"), (admin.GetProperty("type").GetString(), admin.GetProperty("controlled").GetBoolean(), admin.GetProperty("control").GetString()));

        // The pivot: an entity's events through the event search, with the query the scope gives.
        var role = scope.GetProperty("identities").EnumerateArray().Single(i => i.GetProperty("value").GetString() == AdminRole);
        var pivot = await (await viewer.GetAsync($"/api/v1/incidents/{incident}/events?{role.GetProperty("pivot").GetString()}")).JsonAsync();
        Assert.Equal(8, pivot.GetProperty("items").GetArrayLength());
        var agent = await (await viewer.GetAsync($"/api/v1/incidents/{incident}/events?userAgent={Uri.EscapeDataString("aws-sdk-go/1.50")}")).JsonAsync();
        Assert.Equal("ev-bob", agent.GetProperty("items")[0].GetProperty("eventId").GetString());

        // Withdrawn, with a reason; the second time is a conflict.
        var id = mark.GetProperty("id").GetString();
        var unmarked = await responder.PostAsJsonAsync($"/api/v1/incidents/{incident}/scope/marks/{id}/unmark", new { reason = "Rotated and confirmed" });
        Assert.Equal(HttpStatusCode.OK, unmarked.StatusCode);
        Assert.False((await unmarked.JsonAsync()).GetProperty("active").GetBoolean());
        await ProblemDetailsTests.AssertProblemAsync(await responder.PostAsJsonAsync($"/api/v1/incidents/{incident}/scope/marks/{id}/unmark", new { reason = "again" }), HttpStatusCode.Conflict);
        var after = await (await viewer.GetAsync($"/api/v1/incidents/{incident}/scope")).JsonAsync();
        Assert.Equal(0, after.GetProperty("blastRadius").GetProperty("counts").GetProperty("identities").GetInt32());
        Assert.Equal("Rotated and confirmed", after.GetProperty("marks")[0].GetProperty("unmarkReason").GetString());
    }

    [Fact]
    public async Task Marks_RefuseBadInput_WrongRoleAndWrongTenant_WithProblemDetails()
    {
        var incident = await IncidentWithEventsAsync(ChainTrail());
        var responder = _acme.Client(Role.Responder);
        var url = $"/api/v1/incidents/{incident}/scope/marks";

        var missing = await ProblemDetailsTests.AssertProblemAsync(await responder.PostAsJsonAsync(url, new { kind = "principal", value = "", reason = "" }), HttpStatusCode.BadRequest);
        Assert.True(missing.GetProperty("errors").TryGetProperty("value", out _));
        Assert.True(missing.GetProperty("errors").TryGetProperty("reason", out _));
        var unknown = await ProblemDetailsTests.AssertProblemAsync(await responder.PostAsJsonAsync(url, new { kind = "principal", value = "arn:aws:iam::111122223333:user/nobody", reason = "guess" }), HttpStatusCode.BadRequest);
        Assert.True(unknown.GetProperty("errors").TryGetProperty("value", out _));
        await ProblemDetailsTests.AssertProblemAsync(await responder.PostAsync(url, JsonBody("""{"kind":"banana","value":"x","reason":"y"}""")), HttpStatusCode.BadRequest);
        await ProblemDetailsTests.AssertProblemAsync(await responder.PostAsync(url, JsonBody("""{"kind":1,"value":"x","reason":"y"}""")), HttpStatusCode.BadRequest);
        await ProblemDetailsTests.AssertProblemAsync(await responder.PostAsync(url, JsonBody("""{"kind":"principal","valu":"x","reason":"y"}""")), HttpStatusCode.BadRequest);
        await ProblemDetailsTests.AssertProblemAsync(await responder.PostAsync(url, JsonBody("{\"kind\":\"principal\",")), HttpStatusCode.BadRequest);
        var tooLong = await ProblemDetailsTests.AssertProblemAsync(await responder.PostAsJsonAsync(url, new { kind = "principal", value = new string('x', 5000), reason = "y" }), HttpStatusCode.BadRequest);
        Assert.True(tooLong.GetProperty("errors").TryGetProperty("value", out _));
        var huge = new HttpRequestMessage(HttpMethod.Post, url) { Content = JsonBody("{\"kind\":\"principal\",\"value\":\"" + new string('x', 2_000_000) + "\",\"reason\":\"y\"}") };
        huge.Headers.ExpectContinue = true;
        await ProblemDetailsTests.AssertProblemAsync(await responder.SendAsync(huge), HttpStatusCode.RequestEntityTooLarge);
        await ProblemDetailsTests.AssertProblemAsync(await responder.PostAsJsonAsync($"/api/v1/incidents/{incident}/scope/marks/not-a-guid/unmark", new { reason = "x" }), HttpStatusCode.NotFound);
        await ProblemDetailsTests.AssertProblemAsync(await responder.PostAsJsonAsync($"/api/v1/incidents/{incident}/scope/marks/{Guid.NewGuid()}/unmark", new { reason = "x" }), HttpStatusCode.NotFound);

        await ProblemDetailsTests.AssertProblemAsync(await _acme.Client(Role.Viewer).PostAsJsonAsync(url, new { kind = "access-key", value = Stolen, reason = "x" }), HttpStatusCode.Forbidden);
        await ProblemDetailsTests.AssertProblemAsync(await _globex.Client(Role.Admin).PostAsJsonAsync(url, new { kind = "access-key", value = Stolen, reason = "x" }), HttpStatusCode.NotFound);
        await ProblemDetailsTests.AssertProblemAsync(await _globex.Client(Role.Admin).GetAsync($"/api/v1/incidents/{incident}/scope"), HttpStatusCode.NotFound);
        await ProblemDetailsTests.AssertProblemAsync(await _acme.Client(Role.Viewer).GetAsync("/api/v1/incidents/INC-1999-9999/scope"), HttpStatusCode.NotFound);
        Assert.Equal(HttpStatusCode.Unauthorized, (await _server.Client().GetAsync($"/api/v1/incidents/{incident}/scope")).StatusCode);
        var scope = await (await _acme.Client(Role.Viewer).GetAsync($"/api/v1/incidents/{incident}/scope")).JsonAsync();
        Assert.Equal(0, scope.GetProperty("marks").GetArrayLength());
    }

    private static StringContent JsonBody(string json) => new(json, Encoding.UTF8, "application/json");
}
