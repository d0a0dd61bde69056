using System.Net;
using System.Net.Http.Json;
using System.Text;
using Firebreak.Core.Identity;
using Firebreak.Server.Tests.Api;

namespace Firebreak.Server.Tests.Indicators;

public class IndicatorEndpointTests(ServerFixture fixture) : IClassFixture<ServerFixture>
{
    private HttpClient Responder => fixture.Acme.Client(Role.Responder);

    private async Task<string> IncidentAsync(string title = "Indicator target") =>
        (await Responder.CreateIncidentAsync(new { title, tlp = "red", pap = "green" })).GetProperty("reference").GetString()!;

    [Fact]
    public async Task AddGetUpdateEnrichDelete_ThroughTheApi_WithETagsAndSightings()
    {
        var one = await IncidentAsync("One");
        var two = await IncidentAsync("Two");
        var added = await Responder.PostAsJsonAsync($"/api/v1/incidents/{one}/indicators", new { type = "ip", value = " 10.20.30.40 ", description = "beacon", tags = new[] { "C2" } });
        Assert.Equal(HttpStatusCode.Created, added.StatusCode);
        var indicator = await added.JsonAsync();
        var id = indicator.GetProperty("id").GetGuid();
        Assert.Equal("10.20.30.40", indicator.GetProperty("value").GetString());
        Assert.Equal(("red", "green", "unknown"), (indicator.GetProperty("tlp").GetString(), indicator.GetProperty("pap").GetString(), indicator.GetProperty("verdict").GetString()));
        Assert.Equal("private", indicator.GetProperty("enrichments")[0].GetProperty("fields").GetProperty("class").GetString());
        Assert.Equal(new Uri($"/api/v1/incidents/{one}/indicators/{id}", UriKind.Relative), added.Headers.Location);

        await Responder.PostAsJsonAsync($"/api/v1/incidents/{two}/indicators", new { type = "ip", value = "10.20.30.40", verdict = "malicious" });
        var get = await fixture.Acme.Client(Role.Viewer).GetAsync($"/api/v1/incidents/{one}/indicators/{id}");
        var view = await get.JsonAsync();
        Assert.Equal(two, view.GetProperty("alsoSeenIn")[0].GetProperty("incident").GetString());
        Assert.Equal("malicious", view.GetProperty("alsoSeenIn")[0].GetProperty("verdict").GetString());
        var etag = get.Headers.ETag!.Tag;

        var patch = new HttpRequestMessage(HttpMethod.Patch, $"/api/v1/incidents/{one}/indicators/{id}") { Content = JsonContent.Create(new { verdict = "false-positive", tlp = "amber+strict" }) };
        patch.Headers.TryAddWithoutValidation("If-Match", etag);
        var patched = await (await Responder.SendAsync(patch)).JsonAsync();
        Assert.Equal(("false-positive", "amber+strict"), (patched.GetProperty("verdict").GetString(), patched.GetProperty("tlp").GetString()));
        var stale = new HttpRequestMessage(HttpMethod.Patch, $"/api/v1/incidents/{one}/indicators/{id}") { Content = JsonContent.Create(new { description = "late" }) };
        stale.Headers.TryAddWithoutValidation("If-Match", etag);
        await ProblemDetailsTests.AssertProblemAsync(await Responder.SendAsync(stale), HttpStatusCode.Conflict);

        var enriched = await Responder.PostAsync($"/api/v1/incidents/{one}/indicators/{id}/enrich", null);
        Assert.Equal(HttpStatusCode.OK, enriched.StatusCode);

        var list = await (await fixture.Acme.Client(Role.Viewer).GetAsync($"/api/v1/incidents/{one}/indicators?type=ip&verdict=false-positive")).JsonAsync();
        Assert.Equal(1, list.GetProperty("total").GetInt32());
        var search = await (await fixture.Acme.Client(Role.Viewer).GetAsync("/api/v1/indicators/search?value=10.20.30.40&type=ip")).JsonAsync();
        Assert.Equal(new[] { one, two }.Order(), search[0].GetProperty("incidents").EnumerateArray().Select(i => i.GetProperty("incident").GetString()).Order());
        // Another tenant's search finds nothing of this tenant's.
        var theirs = await (await fixture.Globex.Client(Role.Viewer).GetAsync("/api/v1/indicators/search?value=10.20.30.40&type=ip")).JsonAsync();
        Assert.Empty(theirs[0].GetProperty("incidents").EnumerateArray());

        Assert.Equal(HttpStatusCode.NoContent, (await Responder.DeleteAsync($"/api/v1/incidents/{one}/indicators/{id}")).StatusCode);
        await ProblemDetailsTests.AssertProblemAsync(await Responder.GetAsync($"/api/v1/incidents/{one}/indicators/{id}"), HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task PromotedAlerts_BecomeIndicators()
    {
        var alert = await (await Responder.PostAsJsonAsync("/api/v1/alerts", new
        {
            source = "siem",
            title = $"Console login {Guid.NewGuid()}",
            account = "444455556666",
            principals = new[] { new { type = "access-key", value = "AKIAIOSFODNN7EXAMPLE" } },
            observables = new[] { new { type = "ip", value = "203.0.113.200" }, new { type = "domain", value = "Bad.Example.NET" } },
        })).JsonAsync();
        var promoted = await (await Responder.PostAsJsonAsync("/api/v1/alerts/promote", new { alertIds = new[] { alert.GetProperty("alerts")[0].GetProperty("id").GetGuid() } })).JsonAsync();
        var incident = promoted.GetProperty("incidentReference").GetString();
        var list = await (await Responder.GetAsync($"/api/v1/incidents/{incident}/indicators")).JsonAsync();
        var values = list.GetProperty("items").EnumerateArray().Select(i => $"{i.GetProperty("type").GetString()}:{i.GetProperty("value").GetString()}").ToList();
        Assert.Equal(new[] { "ip:203.0.113.200", "domain:bad.example.net", "access-key-id:AKIAIOSFODNN7EXAMPLE", "account-id:444455556666" }.Order(), values.Order());
        Assert.All(list.GetProperty("items").EnumerateArray(), i => Assert.Equal("alerts", i.GetProperty("addedBy").GetString()));
    }

    [Fact]
    public async Task BadInput_WrongRole_AndWrongTenant_AreProblemDetails()
    {
        var incident = await IncidentAsync();
        var url = $"/api/v1/incidents/{incident}/indicators";

        var malformed = await ProblemDetailsTests.AssertProblemAsync(await Responder.PostAsJsonAsync(url, new { type = "ip", value = "10.0.0.300" }), HttpStatusCode.BadRequest);
        Assert.Contains("IPv4 or IPv6", malformed.GetProperty("errors").GetProperty("value")[0].GetString(), StringComparison.Ordinal);
        await ProblemDetailsTests.AssertProblemAsync(await Responder.PostAsJsonAsync(url, new { type = "ipv9", value = "10.0.0.1" }), HttpStatusCode.BadRequest);
        await ProblemDetailsTests.AssertProblemAsync(await Responder.PostAsJsonAsync(url, new { value = "10.0.0.1" }), HttpStatusCode.BadRequest);
        await ProblemDetailsTests.AssertProblemAsync(await Responder.PostAsJsonAsync(url, new { type = "ip", value = 10 }), HttpStatusCode.BadRequest);
        await ProblemDetailsTests.AssertProblemAsync(await Responder.PostAsJsonAsync(url, new { type = 1, value = "10.0.0.1" }), HttpStatusCode.BadRequest);
        await ProblemDetailsTests.AssertProblemAsync(await Responder.PostAsJsonAsync(url, new { type = "ip", value = "10.0.0.1", tags = "c2" }), HttpStatusCode.BadRequest);
        await ProblemDetailsTests.AssertProblemAsync(await Responder.PostAsJsonAsync(url, new { type = "ip", value = "10.0.0.1", colour = "red" }), HttpStatusCode.BadRequest);
        await ProblemDetailsTests.AssertProblemAsync(await Responder.PostAsJsonAsync(url, new { type = "ip", value = "10.0.0.1", tlp = "purple" }), HttpStatusCode.BadRequest);
        await ProblemDetailsTests.AssertProblemAsync(await Responder.PostAsJsonAsync(url, new { type = "url", value = "https://example.com/" + new string('a', 3000) }), HttpStatusCode.BadRequest);
        await ProblemDetailsTests.AssertProblemAsync(await Responder.PostAsJsonAsync(url, new { type = "ip", value = "10.0.0.1", description = new string('a', 5000) }), HttpStatusCode.BadRequest);
        await ProblemDetailsTests.AssertProblemAsync(await Responder.PostAsync(url, new StringContent("{\"type\":", Encoding.UTF8, "application/json")), HttpStatusCode.BadRequest);
        var huge = new StringContent($"{{\"type\":\"ip\",\"value\":\"10.0.0.1\",\"description\":\"{new string('a', 2 * 1024 * 1024)}\"}}", Encoding.UTF8, "application/json");
        var big = new HttpRequestMessage(HttpMethod.Post, url) { Content = huge };
        big.Headers.ExpectContinue = true;
        await ProblemDetailsTests.AssertProblemAsync(await Responder.SendAsync(big), HttpStatusCode.RequestEntityTooLarge);
        await ProblemDetailsTests.AssertProblemAsync(await Responder.GetAsync($"{url}?type=ipv9"), HttpStatusCode.BadRequest);
        await ProblemDetailsTests.AssertProblemAsync(await Responder.GetAsync($"{url}?pageSize=100000"), HttpStatusCode.BadRequest);
        await ProblemDetailsTests.AssertProblemAsync(await Responder.GetAsync("/api/v1/indicators/search"), HttpStatusCode.BadRequest);
        await ProblemDetailsTests.AssertProblemAsync(await Responder.GetAsync("/api/v1/indicators/search?value=nope&type=hash"), HttpStatusCode.BadRequest);
        Assert.Empty((await (await Responder.GetAsync($"{url}")).JsonAsync()).GetProperty("items").EnumerateArray());

        var created = await (await Responder.PostAsJsonAsync(url, new { type = "email", value = "Mallory@Example.COM" })).JsonAsync();
        var id = created.GetProperty("id").GetGuid();
        Assert.Equal("mallory@example.com", created.GetProperty("value").GetString());
        await ProblemDetailsTests.AssertProblemAsync(await Responder.PostAsJsonAsync(url, new { type = "email", value = "mallory@example.com" }), HttpStatusCode.Conflict);

        await ProblemDetailsTests.AssertProblemAsync(await fixture.Acme.Client(Role.Viewer).PostAsJsonAsync(url, new { type = "ip", value = "10.0.0.1" }), HttpStatusCode.Forbidden);
        await ProblemDetailsTests.AssertProblemAsync(await fixture.Acme.Client(Role.Viewer).DeleteAsync($"{url}/{id}"), HttpStatusCode.Forbidden);
        await ProblemDetailsTests.AssertProblemAsync(await fixture.Globex.Client(Role.Admin).GetAsync($"{url}/{id}"), HttpStatusCode.NotFound);
        // By id: references are per tenant, so the other tenant may have an incident of the same reference.
        var byId = $"/api/v1/incidents/{(await (await Responder.GetAsync($"/api/v1/incidents/{incident}")).JsonAsync()).GetProperty("id").GetGuid()}/indicators";
        await ProblemDetailsTests.AssertProblemAsync(await fixture.Globex.Client(Role.Admin).PostAsJsonAsync(byId, new { type = "ip", value = "10.0.0.1" }), HttpStatusCode.NotFound);
        await ProblemDetailsTests.AssertProblemAsync(await fixture.Globex.Client(Role.Admin).GetAsync(byId), HttpStatusCode.NotFound);
        await ProblemDetailsTests.AssertProblemAsync(await fixture.Server.Client().GetAsync(url), HttpStatusCode.Unauthorized);
        Assert.Equal(1, (await (await Responder.GetAsync(url)).JsonAsync()).GetProperty("total").GetInt32());
    }
}
