using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using Firebreak.Core.Evidence;
using Firebreak.Core.Identity;
using Firebreak.Testing;

namespace Firebreak.Server.Tests.Api;

public sealed class EvidenceServerFixture : IAsyncLifetime
{
    public TestServer Server { get; private set; } = null!;
    public TestTenant Acme { get; private set; } = null!;

    public async ValueTask InitializeAsync()
    {
        Server = await TestServer.StartAsync(DatabaseKind.Sqlite, new Dictionary<string, string?> { ["Firebreak:Evidence:MaxUploadBytes"] = "65536" });
        Acme = await Server.CreateTenantAsync("Acme");
    }

    public async ValueTask DisposeAsync() => await Server.DisposeAsync();
}

public class EvidenceEndpointTests(EvidenceServerFixture fixture) : IClassFixture<EvidenceServerFixture>
{
    private HttpClient Responder => fixture.Acme.Client(Role.Responder);

    private async Task<string> NewIncidentAsync() =>
        (await Responder.CreateIncidentAsync(new { title = "evidence" })).GetProperty("reference").GetString()!;

    private static ByteArrayContent Octets(byte[] bytes)
    {
        var content = new ByteArrayContent(bytes);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
        return content;
    }

    [Fact]
    public async Task Upload_ThenDownload_RecordsCustody_AndReturnsTheSameBytes()
    {
        var reference = await NewIncidentAsync();
        var bytes = Encoding.UTF8.GetBytes("memory strings: AKIAIOSFODNN7EXAMPLE");
        var created = await Responder.PostAsync($"/api/v1/incidents/{reference}/evidence?name=strings.txt&kind=memory-image&source=i-0abc", Octets(bytes));
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var item = await created.JsonAsync();
        var id = item.GetProperty("id").GetGuid();
        Assert.Equal(Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(bytes)), item.GetProperty("sha256").GetString());

        await ProblemDetailsTests.AssertProblemAsync(await Responder.GetAsync($"/api/v1/evidence/{id}/content"), HttpStatusCode.BadRequest);
        var download = await fixture.Acme.Client(Role.Viewer).GetAsync($"/api/v1/evidence/{id}/content?reason=triage+review");
        Assert.Equal(bytes, await download.Content.ReadAsByteArrayAsync());
        var custody = await (await Responder.GetAsync($"/api/v1/incidents/{reference}/custody")).JsonAsync();
        Assert.Equal(["collected", "accessed"], custody.EnumerateArray().Select(c => c.GetProperty("event").GetString()));
        Assert.Equal("api-key:viewer key", custody[1].GetProperty("actor").GetString());
    }

    [Fact]
    public async Task Upload_RefusesWrongTypeOversizeAndMissingFields_StoringNothing()
    {
        var reference = await NewIncidentAsync();
        var json = new StringContent("{}", Encoding.UTF8, "application/json");
        var wrongType = await ProblemDetailsTests.AssertProblemAsync(await Responder.PostAsync($"/api/v1/incidents/{reference}/evidence?name=a&source=b", json), HttpStatusCode.UnsupportedMediaType);
        // The answer names what file uploads take, not only JSON.
        Assert.Contains("application/octet-stream", wrongType.GetProperty("detail").GetString());
        var big = new HttpRequestMessage(HttpMethod.Post, $"/api/v1/incidents/{reference}/evidence?name=big&source=b") { Content = Octets(new byte[70_000]) };
        big.Headers.ExpectContinue = true;
        await ProblemDetailsTests.AssertProblemAsync(await Responder.SendAsync(big), HttpStatusCode.RequestEntityTooLarge);
        var missing = await ProblemDetailsTests.AssertProblemAsync(await Responder.PostAsync($"/api/v1/incidents/{reference}/evidence", Octets([1, 2, 3])), HttpStatusCode.BadRequest);
        Assert.True(missing.GetProperty("errors").TryGetProperty("name", out _));
        await ProblemDetailsTests.AssertProblemAsync(await Responder.PostAsync($"/api/v1/incidents/{reference}/evidence?name=a&source=b&kind=floppy", Octets([1])), HttpStatusCode.BadRequest);
        Assert.Equal(0, (await (await Responder.GetAsync($"/api/v1/incidents/{reference}/evidence")).JsonAsync()).GetArrayLength());
    }

    [Fact]
    public async Task Export_ReturnsABundleThatVerifiesOffline()
    {
        var reference = await NewIncidentAsync();
        await Responder.PostAsync($"/api/v1/incidents/{reference}/evidence?name=a.log&source=host", Octets(Encoding.UTF8.GetBytes("log line")));
        await Responder.PostAsJsonAsync($"/api/v1/incidents/{reference}/evidence/snapshots", new { name = "root", snapshotId = "snap-1", region = "eu-west-1", account = "123456789012" });

        var export = await Responder.PostAsJsonAsync($"/api/v1/incidents/{reference}/evidence/export", new { reason = "court" });
        Assert.Equal("application/zip", export.Content.Headers.ContentType?.MediaType);
        var report = await EvidenceBundle.VerifyAsync(new MemoryStream(await export.Content.ReadAsByteArrayAsync()));
        Assert.True(report.Ok);
        Assert.Equal(2, report.Items.Count);
        var verify = await (await Responder.PostAsync($"/api/v1/incidents/{reference}/evidence/verify", null)).JsonAsync();
        Assert.True(verify.GetProperty("ok").GetBoolean());
    }
}
