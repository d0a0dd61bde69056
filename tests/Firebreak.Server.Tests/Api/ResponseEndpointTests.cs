using System.Net;
using System.Net.Http.Json;
using Firebreak.Core.Identity;

namespace Firebreak.Server.Tests.Api;

public class ResponseEndpointTests(ServerFixture fixture) : IClassFixture<ServerFixture>
{
    private HttpClient Responder => fixture.Acme.Client(Role.Responder);

    private async Task<string> NewIncidentAsync() =>
        (await Responder.CreateIncidentAsync(new { title = "response" })).GetProperty("reference").GetString()!;

    private static object Body(string account = "123456789012", string reason = "contain it") => new
    {
        action = "aws-stop-instance", account, region = "eu-west-1", resource = "i-0abc1234def567890",
        criticality = "high", choice = "contain-accept-downtime", choiceReason = "the other nodes carry the load", reason,
    };

    [Fact]
    public async Task Catalogue_ListsTheAwsActions_WithTheirCallsAndUndo()
    {
        var catalogue = await (await fixture.Acme.Client(Role.Viewer).GetAsync("/api/v1/response/catalogue")).JsonAsync();

        var names = catalogue.EnumerateArray().Select(a => a.GetProperty("name").GetString()).ToList();
        Assert.Contains("aws-isolate-instance", names);
        Assert.Contains("aws-revoke-role-sessions", names);
        var isolate = catalogue.EnumerateArray().Single(a => a.GetProperty("name").GetString() == "aws-isolate-instance");
        Assert.Equal("isolate-network", isolate.GetProperty("stage").GetString());
        Assert.Equal("high", isolate.GetProperty("impact").GetString());
        Assert.Contains("ec2:ModifyNetworkInterfaceAttribute", isolate.GetProperty("calls").EnumerateArray().Select(c => c.GetString()));
    }

    [Fact]
    public async Task Plan_BadInput_IsAProblemWithFieldErrors_AndNothingIsRecorded()
    {
        var incident = await NewIncidentAsync();

        var missing = await Responder.PostAsJsonAsync($"/api/v1/incidents/{incident}/actions", new { action = "aws-stop-instance" });
        var wrongEnum = await Responder.PostAsJsonAsync($"/api/v1/incidents/{incident}/actions", new { action = "aws-stop-instance", account = "123456789012", region = "eu-west-1", resource = "i-0abc1234def567890", criticality = "enormous", choice = "contain-accept-downtime", choiceReason = "r", reason = "r" });
        var unknownField = await Responder.PostAsJsonAsync($"/api/v1/incidents/{incident}/actions", new { action = "aws-stop-instance", force = true });
        var oversized = await Responder.PostAsJsonAsync($"/api/v1/incidents/{incident}/actions", Body(reason: new string('x', 2_001)));
        var unconfigured = await Responder.PostAsJsonAsync($"/api/v1/incidents/{incident}/actions", Body(account: "999999999999"));
        var nullInput = await Responder.PostAsJsonAsync($"/api/v1/incidents/{incident}/actions", new
        {
            action = "aws-isolate-instance", account = "123456789012", region = "eu-west-1", resource = "i-0abc1234def567890",
            criticality = "high", choice = "contain-accept-downtime", choiceReason = "r", reason = "r", inputs = new Dictionary<string, string?> { ["examinerCidr"] = null },
        });
        var otherTenant = await fixture.Globex.Client(Role.Responder).PostAsJsonAsync($"/api/v1/incidents/{incident}/actions", Body());

        Assert.Equal(HttpStatusCode.BadRequest, missing.StatusCode);
        var errors = (await missing.JsonAsync()).GetProperty("errors").EnumerateObject().Select(e => e.Name).ToList();
        Assert.Contains("account", errors);
        Assert.Contains("choice", errors);
        Assert.Equal(HttpStatusCode.BadRequest, wrongEnum.StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, unknownField.StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, oversized.StatusCode);
        Assert.True((await oversized.JsonAsync()).GetProperty("errors").TryGetProperty("reason", out _));
        Assert.Equal(HttpStatusCode.BadRequest, unconfigured.StatusCode);
        Assert.Contains("not configured", (await unconfigured.JsonAsync()).GetProperty("errors").GetProperty("account")[0].GetString());
        Assert.Equal("application/problem+json", unconfigured.Content.Headers.ContentType?.MediaType);
        Assert.Equal(HttpStatusCode.BadRequest, nullInput.StatusCode);
        Assert.True((await nullInput.JsonAsync()).GetProperty("errors").TryGetProperty("inputs.examinerCidr", out _));
        Assert.Equal(HttpStatusCode.NotFound, otherTenant.StatusCode);
        var list = await (await Responder.GetAsync($"/api/v1/incidents/{incident}/actions")).JsonAsync();
        Assert.Equal(0, list.GetArrayLength());
        var nothing = await Responder.PostAsync($"/api/v1/incidents/{incident}/actions/{Guid.NewGuid()}/run", null);
        Assert.Equal(HttpStatusCode.NotFound, nothing.StatusCode);
    }
}
