using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Firebreak.Core.Identity;

namespace Firebreak.Server.Tests.Recovery;

public class RecoveryEndpointTests(ServerFixture fixture) : IClassFixture<ServerFixture>
{
    private static readonly byte[] Template = Encoding.UTF8.GetBytes("FROM alpine:3.20\nCOPY app /app\n");
    private static readonly string TemplateDigest = "sha256:" + Convert.ToHexStringLower(SHA256.HashData(Template));

    private HttpClient Responder => fixture.Acme.Client(Role.Responder);

    private static ByteArrayContent Octets(byte[] bytes, string type = "application/octet-stream")
    {
        var content = new ByteArrayContent(bytes);
        content.Headers.ContentType = new MediaTypeHeaderValue(type);
        return content;
    }

    private static async Task<JsonElement> ProblemAsync(HttpResponseMessage response, HttpStatusCode status)
    {
        Assert.Equal(status, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        return await response.JsonAsync();
    }

    [Fact]
    public async Task Rebuild_IsVerifiedByDigestOrUploadedFile_AndAMismatchCannotBeMarkedDone()
    {
        var name = $"api-image-{Guid.NewGuid():n}";
        var manager = fixture.Acme.Client(Role.IncidentManager);
        var recorded = await manager.PostAsJsonAsync("/api/v1/recovery/baselines", new { name, kind = "container-image", location = "registry.example/api:1.4", digest = TemplateDigest, reason = "Signed release 1.4" });
        Assert.Equal(HttpStatusCode.Created, recorded.StatusCode);
        await ProblemAsync(await Responder.PostAsJsonAsync("/api/v1/recovery/baselines", new { name, kind = "ami", location = "x", digest = TemplateDigest, reason = "r" }), HttpStatusCode.Forbidden);

        var incident = (await Responder.CreateIncidentAsync(new { title = "Compromised API pod" })).GetProperty("reference").GetString()!;
        var added = await Responder.PostAsJsonAsync($"/api/v1/incidents/{incident}/recovery", new { kind = "rebuild-from-template", description = "Redeploy the API from the signed image", resource = "api-7d9f", baselineName = name });
        Assert.Equal(HttpStatusCode.Created, added.StatusCode);
        var item = (await added.JsonAsync()).GetProperty("id").GetString();

        var mismatch = await (await Responder.PostAsJsonAsync($"/api/v1/incidents/{incident}/recovery/{item}/verify", new { digest = "sha256:" + new string('c', 64) })).JsonAsync();
        Assert.Equal("mismatch", mismatch.GetProperty("verification").GetProperty("result").GetString());
        var refused = await ProblemAsync(await Responder.PutAsJsonAsync($"/api/v1/incidents/{incident}/recovery/{item}/status", new { status = "done" }), HttpStatusCode.Conflict);
        Assert.Contains("does not match", refused.GetProperty("detail").GetString());

        var verified = await Responder.PostAsync($"/api/v1/incidents/{incident}/recovery/{item}/verify-file?fileName=api.tar", Octets(Template));
        Assert.Equal(HttpStatusCode.OK, verified.StatusCode);
        var etag = verified.Headers.ETag!;
        var verification = (await verified.JsonAsync()).GetProperty("verification");
        Assert.Equal(("match", TemplateDigest), (verification.GetProperty("result").GetString(), verification.GetProperty("actualDigest").GetString()));
        var request = new HttpRequestMessage(HttpMethod.Put, $"/api/v1/incidents/{incident}/recovery/{item}/status") { Content = JsonContent.Create(new { status = "done", note = "Rolled out 3/3" }) };
        request.Headers.IfMatch.Add(etag);
        var done = await Responder.SendAsync(request);
        Assert.Equal(HttpStatusCode.OK, done.StatusCode);
        var stale = new HttpRequestMessage(HttpMethod.Put, $"/api/v1/incidents/{incident}/recovery/{item}/status") { Content = JsonContent.Create(new { status = "open" }) };
        stale.Headers.IfMatch.Add(etag);
        await ProblemAsync(await Responder.SendAsync(stale), HttpStatusCode.Conflict);

        var checklist = await (await fixture.Acme.Client(Role.Viewer).GetAsync($"/api/v1/incidents/{incident}/recovery")).JsonAsync();
        Assert.Equal((1, 1), (checklist.GetProperty("total").GetInt32(), checklist.GetProperty("done").GetInt32()));
        await ProblemAsync(await fixture.Globex.Client(Role.Admin).GetAsync($"/api/v1/incidents/{incident}/recovery/{item}"), HttpStatusCode.NotFound);
        var history = await (await Responder.GetAsync($"/api/v1/recovery/baselines/{name}/history")).JsonAsync();
        Assert.Equal(1, history.GetArrayLength());
    }

    [Fact]
    public async Task BadInput_IsAnsweredWithProblemDetails_AndChangesNothing()
    {
        var incident = (await Responder.CreateIncidentAsync(new { title = "Bad input" })).GetProperty("reference").GetString()!;
        var url = $"/api/v1/incidents/{incident}/recovery";
        var missing = await ProblemAsync(await Responder.PostAsJsonAsync(url, new { description = "" }), HttpStatusCode.BadRequest);
        Assert.True(missing.GetProperty("errors").TryGetProperty("kind", out _));
        await ProblemAsync(await Responder.PostAsJsonAsync(url, new { kind = 2, description = "number for a kind" }), HttpStatusCode.BadRequest);
        await ProblemAsync(await Responder.PostAsJsonAsync(url, new { kind = "reboot", description = "unknown kind" }), HttpStatusCode.BadRequest);
        await ProblemAsync(await Responder.PostAsJsonAsync(url, new { kind = "custom", description = "x", extra = 1 }), HttpStatusCode.BadRequest);
        await ProblemAsync(await Responder.PostAsync(url, new StringContent("{\"kind\":", Encoding.UTF8, "application/json")), HttpStatusCode.BadRequest);
        await ProblemAsync(await Responder.PostAsJsonAsync(url, new { kind = "custom", description = new string('x', 5000) }), HttpStatusCode.BadRequest);
        // Expect: 100-continue, with a generous wait for the interim answer: the server refuses by Content-Length before the
        // body is sent. Sent straight away, 2 MB raced the refusal and one run in many broke the pipe before the answer.
        var oversized = new HttpRequestMessage(HttpMethod.Post, url) { Content = new StringContent(JsonSerializer.Serialize(new { kind = "custom", description = new string('x', 2 * 1024 * 1024) }), Encoding.UTF8, "application/json") };
        oversized.Headers.ExpectContinue = true;
        using (var careful = new HttpClient(new SocketsHttpHandler { Expect100ContinueTimeout = TimeSpan.FromMinutes(1) }) { BaseAddress = fixture.Server.Address })
        {
            careful.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", fixture.Acme.Keys[Role.Responder]);
            await ProblemAsync(await careful.SendAsync(oversized), HttpStatusCode.RequestEntityTooLarge);
        }
        await ProblemAsync(await fixture.Acme.Client(Role.Viewer).PostAsJsonAsync(url, new { kind = "custom", description = "viewer" }), HttpStatusCode.Forbidden);
        await ProblemAsync(await fixture.Globex.Client(Role.Admin).PostAsJsonAsync(url, new { kind = "custom", description = "stranger" }), HttpStatusCode.NotFound);

        var item = (await (await Responder.PostAsJsonAsync(url, new { kind = "rebuild-from-template", description = "rebuild" })).JsonAsync()).GetProperty("id").GetString();
        var digest = await ProblemAsync(await Responder.PostAsJsonAsync($"{url}/{item}/verify", new { digest = "md5:123", baseline = "x" }), HttpStatusCode.BadRequest);
        Assert.True(digest.GetProperty("errors").TryGetProperty("digest", out _));
        await ProblemAsync(await Responder.PostAsync($"{url}/{item}/verify-file", Octets(Template, "text/plain")), HttpStatusCode.UnsupportedMediaType);
        await ProblemAsync(await Responder.PutAsJsonAsync($"{url}/{item}/status", new { status = "not-applicable" }), HttpStatusCode.BadRequest);
        await ProblemAsync(await Responder.PutAsJsonAsync($"{url}/{item}/status", new { status = "open", evidenceIds = new[] { Guid.NewGuid() } }), HttpStatusCode.BadRequest);

        var checklist = await (await Responder.GetAsync(url)).JsonAsync();
        Assert.Equal(1, checklist.GetProperty("total").GetInt32());
        Assert.Equal("open", checklist.GetProperty("items")[0].GetProperty("status").GetString());
        Assert.Equal(JsonValueKind.Null, checklist.GetProperty("items")[0].GetProperty("verification").ValueKind);
    }

    [Fact]
    public async Task BreakGlass_ShowsOnTheTimeline_AndIsClosedOutBySomeoneElse()
    {
        var incident = (await Responder.CreateIncidentAsync(new { title = "Root login" })).GetProperty("reference").GetString()!;
        var invoked = await Responder.PostAsJsonAsync($"/api/v1/incidents/{incident}/break-glass", new
        {
            account = "arn:aws:iam::123456789012:root", credential = "root password + MFA token (safe B)", reason = "SSO admin role was hijacked",
            invokedAt = DateTimeOffset.UtcNow.AddMinutes(-30), invokedBy = "alice",
        });
        Assert.Equal(HttpStatusCode.Created, invoked.StatusCode);
        var id = (await invoked.JsonAsync()).GetProperty("id").GetString();
        var timeline = await (await Responder.GetAsync($"/api/v1/incidents/{incident}/timeline?kind=break-glass")).Content.ReadAsStringAsync();
        Assert.Contains("Break-glass invoked: arn:aws:iam::123456789012:root", timeline);

        var close = new { credentialsRotatedAt = DateTimeOffset.UtcNow.AddMinutes(-1), rotationNote = "New root password sealed in safe B", reviewNote = "Only the planned calls in CloudTrail" };
        await ProblemAsync(await Responder.PostAsJsonAsync($"/api/v1/incidents/{incident}/break-glass/{id}/close", close), HttpStatusCode.Forbidden);
        await ProblemAsync(await fixture.Acme.Client(Role.IncidentManager).PostAsJsonAsync($"/api/v1/incidents/{incident}/break-glass/{id}/close", new { rotationNote = "x", reviewNote = "y" }), HttpStatusCode.BadRequest);
        var closed = await fixture.Acme.Client(Role.IncidentManager).PostAsJsonAsync($"/api/v1/incidents/{incident}/break-glass/{id}/close", close);
        Assert.Equal(HttpStatusCode.OK, closed.StatusCode);
        Assert.Equal("closed", (await closed.JsonAsync()).GetProperty("status").GetString());
        await ProblemAsync(await fixture.Globex.Client(Role.Admin).GetAsync($"/api/v1/incidents/{incident}/break-glass/{id}"), HttpStatusCode.NotFound);
    }
}
