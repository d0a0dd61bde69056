using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Firebreak.Core.Identity;
using Firebreak.Testing;

namespace Firebreak.Server.Tests.ThreatIntel;

public sealed class ThreatIntelEndpointTests : IAsyncLifetime
{
    private const string Password = "taxii-pass-Secret-9731";
    private TestServer _server = null!;
    private TaxiiTestServer _taxii = null!;
    private TestTenant _acme = null!;
    private TestTenant _globex = null!;

    public async ValueTask InitializeAsync()
    {
        _server = await TestServer.StartAsync(DatabaseKind.Sqlite, new Dictionary<string, string?> { ["Firebreak:ThreatIntel:Poll"] = "false", ["Firebreak:ThreatIntel:MaxUploadBytes"] = "100000" });
        _taxii = await TaxiiTestServer.StartAsync();
        _acme = await _server.CreateTenantAsync("Acme");
        _globex = await _server.CreateTenantAsync("Globex");
    }

    public async ValueTask DisposeAsync()
    {
        await _taxii.DisposeAsync();
        await _server.DisposeAsync();
    }

    private static string Bundle(params (string Id, string Pattern, int Confidence)[] indicators) => new JsonObject
    {
        ["type"] = "bundle",
        ["id"] = "bundle--3a5c0f5e-0c1b-4a2e-9f4d-7b6a5c4d3e2f",
        ["objects"] = new JsonArray(indicators.Select(i => (JsonNode)new JsonObject
        {
            ["type"] = "indicator", ["spec_version"] = "2.1", ["id"] = i.Id, ["created"] = "2026-01-01T00:00:00Z", ["modified"] = "2026-01-01T00:00:00Z",
            ["pattern"] = i.Pattern, ["pattern_type"] = "stix", ["valid_from"] = "2026-01-01T00:00:00Z", ["confidence"] = i.Confidence,
        }).ToArray()),
    }.ToJsonString();

    private static HttpContent Json(string text, string mediaType = "application/json") =>
        new StringContent(text, Encoding.UTF8, new MediaTypeHeaderValue(mediaType));

    private static async Task<JsonElement> OkJsonAsync(HttpResponseMessage response)
    {
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, $"{(int)response.StatusCode}: {text}");
        return JsonDocument.Parse(text).RootElement.Clone();
    }

    private static async Task<JsonElement> ProblemAsync(HttpResponseMessage response, HttpStatusCode status)
    {
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == status, $"expected {(int)status}, got {(int)response.StatusCode}: {text}");
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        return JsonDocument.Parse(text).RootElement.Clone();
    }

    [Fact]
    public async Task TaxiiFeed_CreatedPolledAndSearched_NeverShowsItsSecret()
    {
        _taxii.Basic = ("firebreak", Password);
        _taxii.Add("c2", DateTimeOffset.Parse("2026-03-01T00:00:00Z", System.Globalization.CultureInfo.InvariantCulture),
            JsonNode.Parse(Bundle(("indicator--00000001-0000-4000-8000-000000000000", "[domain-name:value = 'c2.example.org']", 70)))!["objects"]![0]!.AsObject().DeepClone().AsObject());
        var admin = _acme.Client(Role.Admin);

        var created = await admin.PostAsJsonAsync("/api/v1/intel/feeds", new
        {
            name = "Partner", kind = "taxii", url = _taxii.Discovery.AbsoluteUri, collectionId = "c2", auth = "basic", username = "firebreak", secret = Password, pollMinutes = 30,
        });
        var createdText = await created.Content.ReadAsStringAsync();
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        Assert.DoesNotContain(Password, createdText, StringComparison.Ordinal);
        var feed = JsonDocument.Parse(createdText).RootElement;
        Assert.True(feed.GetProperty("hasSecret").GetBoolean());
        var id = feed.GetProperty("id").GetGuid();

        var poll = await OkJsonAsync(await _acme.Client(Role.Responder).PostAsync($"/api/v1/intel/feeds/{id}/poll", null));
        Assert.Equal(JsonValueKind.Null, poll.GetProperty("error").ValueKind);
        Assert.Equal(1, poll.GetProperty("feed").GetProperty("indicatorCount").GetInt32());

        var search = await OkJsonAsync(await _acme.Client(Role.Viewer).GetAsync("/api/v1/intel/indicators?value=C2.Example.org&type=domain"));
        Assert.Equal(1, search.GetProperty("total").GetInt32());
        Assert.Equal("c2.example.org", search.GetProperty("items")[0].GetProperty("value").GetString());
        Assert.Equal("Partner", search.GetProperty("items")[0].GetProperty("feed").GetString());

        var get = await _acme.Client(Role.Viewer).GetAsync($"/api/v1/intel/feeds/{id}");
        var getText = await get.Content.ReadAsStringAsync();
        Assert.DoesNotContain(Password, getText, StringComparison.Ordinal);
        Assert.Equal("ok", JsonDocument.Parse(getText).RootElement.GetProperty("lastStatus").GetString());
        var etag = get.Headers.ETag!.Tag;

        var stale = new HttpRequestMessage(HttpMethod.Patch, $"/api/v1/intel/feeds/{id}") { Content = JsonContent.Create(new { pollMinutes = 10 }) };
        stale.Headers.IfMatch.Add(new EntityTagHeaderValue("\"999\""));
        await ProblemAsync(await admin.SendAsync(stale), HttpStatusCode.Conflict);
        var update = new HttpRequestMessage(HttpMethod.Patch, $"/api/v1/intel/feeds/{id}") { Content = JsonContent.Create(new { secret = "wrong" }) };
        update.Headers.IfMatch.Add(new EntityTagHeaderValue(etag));
        await OkJsonAsync(await admin.SendAsync(update));
        _taxii.Add("c2", DateTimeOffset.Parse("2026-03-02T00:00:00Z", System.Globalization.CultureInfo.InvariantCulture),
            JsonNode.Parse(Bundle(("indicator--00000002-0000-4000-8000-000000000000", "[domain-name:value = 'c3.example.org']", 70)))!["objects"]![0]!.AsObject().DeepClone().AsObject());
        var refused = await OkJsonAsync(await admin.PostAsync($"/api/v1/intel/feeds/Partner/poll", null));
        Assert.Contains("401", refused.GetProperty("error").GetString(), StringComparison.Ordinal);
        Assert.Equal("failed", refused.GetProperty("feed").GetProperty("lastStatus").GetString());

        var feeds = await admin.GetStringAsync("/api/v1/intel/feeds");
        var audit = await admin.GetStringAsync("/api/v1/audit?pageSize=200");
        Assert.DoesNotContain(Password, feeds, StringComparison.Ordinal);
        Assert.DoesNotContain(Password, audit, StringComparison.Ordinal);
        Assert.Contains("ThreatFeed", audit, StringComparison.Ordinal);

        // Another tenant sees none of it.
        await ProblemAsync(await _globex.Client(Role.Admin).GetAsync($"/api/v1/intel/feeds/{id}"), HttpStatusCode.NotFound);
        await ProblemAsync(await _globex.Client(Role.Admin).PostAsync($"/api/v1/intel/feeds/{id}/poll", null), HttpStatusCode.NotFound);
        Assert.Equal(0, (await OkJsonAsync(await _globex.Client(Role.Viewer).GetAsync("/api/v1/intel/indicators?value=c2.example.org"))).GetProperty("total").GetInt32());

        Assert.Equal(HttpStatusCode.NoContent, (await admin.DeleteAsync($"/api/v1/intel/feeds/{id}")).StatusCode);
        await ProblemAsync(await admin.GetAsync($"/api/v1/intel/feeds/{id}"), HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task Upload_ThenAnAlertCarryingTheIndicator_IsListedAsAMatch()
    {
        var responder = _acme.Client(Role.Responder);
        var summary = await OkJsonAsync(await responder.PostAsync("/api/v1/intel/feeds/Uploads/import?format=stix",
            Json(Bundle(("indicator--00000003-0000-4000-8000-000000000000", "[ipv4-addr:value = '203.0.113.66'] OR [process:name = 'x']", 95),
                ("indicator--00000004-0000-4000-8000-000000000000", "[ipv4-addr:value = '203.0.113.67']", 95)), "application/stix+json")));
        Assert.Equal((2, 1), (summary.GetProperty("added").GetInt32(), summary.GetProperty("skipped").GetInt32()));
        Assert.Contains("process:name", summary.GetProperty("skippedSamples")[0].GetProperty("reason").GetString(), StringComparison.Ordinal);

        var misp = await OkJsonAsync(await responder.PostAsync("/api/v1/intel/feeds/Uploads/import?format=misp", Json("""
            { "Event": { "uuid": "e1", "info": "x", "Attribute": [ { "uuid": "a1", "type": "ip-dst", "value": "203.0.113.68", "to_ids": true } ] } }
            """)));
        Assert.Equal(1, misp.GetProperty("added").GetInt32());

        var alert = await OkJsonAsync(await responder.PostAsJsonAsync("/api/v1/alerts", new
        {
            source = "guardduty", sourceReference = "gd-1", title = "Recon from a known host", observables = new[] { new { type = "ip", value = "203.0.113.66" } },
        }));
        JsonElement matches;
        var deadline = DateTime.UtcNow.AddSeconds(30);
        do
        {
            await Task.Delay(100);
            matches = await OkJsonAsync(await _acme.Client(Role.Viewer).GetAsync("/api/v1/intel/matches"));
        }
        while ((matches.GetProperty("total").GetInt32() == 0 || matches.GetProperty("items")[0].GetProperty("raisedAlertId").ValueKind == JsonValueKind.Null)
            && DateTime.UtcNow < deadline);
        var match = matches.GetProperty("items")[0];
        Assert.Equal(("203.0.113.66", "alert", "Uploads"), (match.GetProperty("matchedValue").GetString(), match.GetProperty("subject").GetString(), match.GetProperty("feed").GetString()));
        Assert.Equal(alert.GetProperty("alerts")[0].GetProperty("id").GetGuid(), match.GetProperty("alertId").GetGuid());
        var raised = await OkJsonAsync(await _acme.Client(Role.Viewer).GetAsync($"/api/v1/alerts/{match.GetProperty("raisedAlertId").GetGuid()}"));
        Assert.Equal(("threat-intel", "high"), (raised.GetProperty("source").GetString(), raised.GetProperty("severity").GetString()));
        Assert.Equal(0, (await OkJsonAsync(await _globex.Client(Role.Viewer).GetAsync("/api/v1/intel/matches"))).GetProperty("total").GetInt32());
    }

    [Fact]
    public async Task BadInput_IsProblemDetails()
    {
        var admin = _acme.Client(Role.Admin);
        var invalid = await ProblemAsync(await admin.PostAsJsonAsync("/api/v1/intel/feeds", new { name = "X", kind = "taxii", url = "file:///etc/passwd" }), HttpStatusCode.BadRequest);
        Assert.True(invalid.GetProperty("errors").TryGetProperty("url", out _));
        Assert.True(invalid.GetProperty("errors").TryGetProperty("collectionId", out _));
        await ProblemAsync(await admin.PostAsJsonAsync("/api/v1/intel/feeds", new { name = "X", kind = "carrier-pigeon" }), HttpStatusCode.BadRequest);
        await ProblemAsync(await admin.PostAsync("/api/v1/intel/feeds", Json("{ \"name\": ")), HttpStatusCode.BadRequest);
        await ProblemAsync(await admin.PostAsJsonAsync("/api/v1/intel/feeds", new { name = "X", secretKey = "typo" }), HttpStatusCode.BadRequest);

        var malformed = await ProblemAsync(await admin.PostAsync("/api/v1/intel/feeds/Uploads/import?format=stix", Json("{ \"type\": \"bundle\", ")), HttpStatusCode.BadRequest);
        Assert.Contains("not valid JSON", malformed.GetProperty("detail").GetString(), StringComparison.Ordinal);
        await ProblemAsync(await admin.PostAsync("/api/v1/intel/feeds/Uploads/import?format=misp", Json("{ \"nothing\": 1 }")), HttpStatusCode.BadRequest);
        await ProblemAsync(await admin.PostAsync("/api/v1/intel/feeds/Uploads/import", Json("{}")), HttpStatusCode.BadRequest);
        await ProblemAsync(await admin.PostAsync("/api/v1/intel/feeds/Uploads/import?format=yara", Json("{}")), HttpStatusCode.BadRequest);
        await ProblemAsync(await admin.PostAsync("/api/v1/intel/feeds/Uploads/import?format=stix", new StringContent("1.2.3.4", Encoding.UTF8, "text/plain")), HttpStatusCode.UnsupportedMediaType);
        var huge = new HttpRequestMessage(HttpMethod.Post, "/api/v1/intel/feeds/Uploads/import?format=stix") { Content = new ByteArrayContent(new byte[200_000]) };
        huge.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        huge.Headers.ExpectContinue = true;
        await ProblemAsync(await admin.SendAsync(huge), HttpStatusCode.RequestEntityTooLarge);
        await ProblemAsync(await admin.GetAsync("/api/v1/intel/indicators?type=ipv5"), HttpStatusCode.BadRequest);
        await ProblemAsync(await admin.GetAsync("/api/v1/intel/matches?pageSize=100000"), HttpStatusCode.BadRequest);
        await ProblemAsync(await admin.PostAsync($"/api/v1/intel/feeds/{Guid.NewGuid()}/import?format=stix", Json(Bundle())), HttpStatusCode.NotFound);

        // Roles: only an administrator manages subscriptions; a viewer cannot upload.
        await ProblemAsync(await _acme.Client(Role.IncidentManager).PostAsJsonAsync("/api/v1/intel/feeds", new { name = "Y" }), HttpStatusCode.Forbidden);
        await ProblemAsync(await _acme.Client(Role.Viewer).PostAsync("/api/v1/intel/feeds/Uploads/import?format=stix", Json(Bundle())), HttpStatusCode.Forbidden);
        await ProblemAsync(await _server.Client().GetAsync("/api/v1/intel/feeds"), HttpStatusCode.Unauthorized);
    }
}
