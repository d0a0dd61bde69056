using System.Net;
using System.Net.Http.Json;
using System.Text;
using Firebreak.Core.Identity;
using Firebreak.Server.Tests.Api;

namespace Firebreak.Server.Tests.Assets;

public class AssetEndpointTests(ServerFixture fixture) : IClassFixture<ServerFixture>
{
    private static StringContent Json(string json) => new(json, Encoding.UTF8, "application/json");

    [Fact]
    public async Task Register_CrudWithETags()
    {
        var manager = fixture.Acme.Client(Role.IncidentManager);
        var pattern = $"arn:aws:s3:::crud-{Guid.NewGuid():n}";
        var created = await manager.PostAsJsonAsync("/api/v1/assets", new { pattern, name = "Crud", classification = "confidential", personalData = true, regulations = new[] { "GDPR" }, owner = "dpo" });
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var asset = await created.JsonAsync();
        var id = asset.GetProperty("id").GetString();
        Assert.Equal(("\"0\"", "gdpr"), (created.Headers.ETag!.Tag, asset.GetProperty("regulations")[0].GetString()));
        await ProblemDetailsTests.AssertProblemAsync(await manager.PostAsJsonAsync("/api/v1/assets", new { pattern, name = "Again", classification = "internal" }), HttpStatusCode.Conflict);

        var list = await (await fixture.Acme.Client(Role.Viewer).GetAsync("/api/v1/assets")).JsonAsync();
        Assert.Contains(list.EnumerateArray(), a => a.GetProperty("pattern").GetString() == pattern);
        Assert.DoesNotContain((await (await fixture.Globex.Client(Role.Admin).GetAsync("/api/v1/assets")).JsonAsync()).EnumerateArray(),
            a => a.GetProperty("pattern").GetString() == pattern);

        var stale = new HttpRequestMessage(HttpMethod.Put, $"/api/v1/assets/{id}") { Content = Json($$"""{"pattern":"{{pattern}}","name":"Renamed","classification":"restricted"}""") };
        stale.Headers.IfMatch.Add(new System.Net.Http.Headers.EntityTagHeaderValue("\"7\""));
        await ProblemDetailsTests.AssertProblemAsync(await manager.SendAsync(stale), HttpStatusCode.Conflict);
        var update = new HttpRequestMessage(HttpMethod.Put, $"/api/v1/assets/{id}") { Content = Json($$"""{"pattern":"{{pattern}}","name":"Renamed","classification":"restricted"}""") };
        update.Headers.IfMatch.Add(new System.Net.Http.Headers.EntityTagHeaderValue("\"0\""));
        var updated = await manager.SendAsync(update);
        Assert.Equal(HttpStatusCode.OK, updated.StatusCode);
        Assert.Equal(("Renamed", "restricted", false), ((await updated.JsonAsync()).GetProperty("name").GetString(), (await updated.JsonAsync()).GetProperty("classification").GetString(),
            (await updated.JsonAsync()).GetProperty("personalData").GetBoolean()));

        await ProblemDetailsTests.AssertProblemAsync(await fixture.Acme.Client(Role.Responder).DeleteAsync($"/api/v1/assets/{id}"), HttpStatusCode.Forbidden);
        await ProblemDetailsTests.AssertProblemAsync(await fixture.Globex.Client(Role.Admin).DeleteAsync($"/api/v1/assets/{id}"), HttpStatusCode.NotFound);
        Assert.Equal(HttpStatusCode.NoContent, (await manager.DeleteAsync($"/api/v1/assets/{id}")).StatusCode);
        await ProblemDetailsTests.AssertProblemAsync(await manager.GetAsync($"/api/v1/assets/{id}"), HttpStatusCode.NotFound);
    }

    [Theory]
    [InlineData("""{"pattern":"arn:aws:s3:::x","name":"x","classification":"secret"}""", "$.classification")]
    [InlineData("""{"pattern":"arn:aws:s3:::x","name":"x","classification":2}""", "$.classification")]
    [InlineData("""{"pattern":"arn:aws:s3:::x","name":"x","classification":"internal","personalData":"yes"}""", "$.personalData")]
    [InlineData("""{"pattern":"arn:aws:s3:::x","name":"x","classification":"internal","regulations":"gdpr"}""", "$.regulations")]
    [InlineData("""{"pattern":"arn:aws:s3:::x","name":"x",""", "$")]
    [InlineData("""{"name":"x","classification":"internal"}""", "pattern")]
    [InlineData("""{"pattern":"arn:aws:s3:::x","classification":"internal"}""", "name")]
    [InlineData("""{"pattern":"arn:aws:s3:::x","name":"x"}""", "classification")]
    [InlineData("""{"pattern":"has space","name":"x","classification":"internal"}""", "pattern")]
    [InlineData("""{"pattern":"*","name":"x","classification":"internal"}""", "pattern")]
    [InlineData("""{"pattern":"arn:aws:s3:::x","name":"x","classification":"internal","regulations":["gdpr","no spaces"]}""", "regulations")]
    public async Task BadInput_Answers400_NamingTheField(string body, string field)
    {
        var response = await fixture.Acme.Client(Role.Admin).PostAsync("/api/v1/assets", Json(body));
        var problem = await ProblemDetailsTests.AssertProblemAsync(response, HttpStatusCode.BadRequest);
        Assert.Contains(problem.GetProperty("errors").EnumerateObject(), e => e.Name.StartsWith(field, StringComparison.Ordinal));
    }

    [Fact]
    public async Task OversizedOrWrongMediaType_IsRefused()
    {
        var admin = fixture.Acme.Client(Role.Admin);
        var huge = $$"""{"pattern":"arn:aws:s3:::x","name":"{{new string('n', 1_100_000)}}","classification":"internal"}""";
        var big = new HttpRequestMessage(HttpMethod.Post, "/api/v1/assets") { Content = Json(huge) };
        big.Headers.ExpectContinue = true;
        await ProblemDetailsTests.AssertProblemAsync(await admin.SendAsync(big), HttpStatusCode.RequestEntityTooLarge);
        await ProblemDetailsTests.AssertProblemAsync(await admin.PostAsync("/api/v1/assets", new StringContent("pattern=x", Encoding.UTF8, "text/plain")), HttpStatusCode.UnsupportedMediaType);
        await ProblemDetailsTests.AssertProblemAsync(await admin.PostAsJsonAsync("/api/v1/assets", new { pattern = "arn:aws:s3:::x", name = new string('n', 201), classification = "internal" }), HttpStatusCode.BadRequest);
    }
}
