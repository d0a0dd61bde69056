using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using Firebreak.Core.Identity;
using Firebreak.Testing;

namespace Firebreak.Cloud.Tests.Evidence;

/// <summary>The real server configured with Firebreak:Evidence:Store = s3, over real HTTP.</summary>
public class S3EvidenceServerTests(S3Fixture s3) : IClassFixture<S3Fixture>
{
    [Fact]
    public async Task Upload_ToAnUnusableBucket_Is503ProblemDetails_AndNoItemIsWritten()
    {
        // The server takes its credentials from the SDK's default chain only. Whatever that finds here (nothing,
        // or keys this s3rver does not know), the bucket does not exist, so the upload cannot succeed.
        await using var server = await TestServer.StartAsync(DatabaseKind.Sqlite, new Dictionary<string, string?>
        {
            ["Firebreak:Evidence:Store"] = "s3",
            ["Firebreak:Evidence:S3:Bucket"] = "no-such-evidence-bucket",
            ["Firebreak:Evidence:S3:Region"] = "us-east-1",
            ["Firebreak:Evidence:S3:ServiceUrl"] = s3.Server.ServiceUrl,
            ["Firebreak:Evidence:S3:ForcePathStyle"] = "true",
            ["Firebreak:Evidence:S3:RequestChecksums"] = "when-required",
        });
        var acme = await server.CreateTenantAsync("Acme");
        var responder = acme.Client(Role.Responder);
        var created = await responder.PostAsJsonAsync("/api/v1/incidents", new { title = "Bucket gone" });
        var reference = (await created.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("reference").GetString()!;
        var body = new ByteArrayContent("strings from memory\n"u8.ToArray());
        body.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");

        var response = await responder.PostAsync($"/api/v1/incidents/{reference}/evidence?name=strings.txt&source=i-0abc", body);

        Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var problem = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal("Evidence store unavailable", problem.GetProperty("title").GetString());
        var detail = problem.GetProperty("detail").GetString()!;
        Assert.StartsWith("Could not store evidence in the evidence store: ", detail);
        Assert.EndsWith("Nothing was stored.", detail);
        var items = await (await responder.GetAsync($"/api/v1/incidents/{reference}/evidence")).Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal(0, items.GetArrayLength());
        var custody = await (await responder.GetAsync($"/api/v1/incidents/{reference}/custody")).Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal(0, custody.GetArrayLength());
    }
}
