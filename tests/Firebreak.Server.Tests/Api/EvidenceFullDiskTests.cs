using System.Net;
using System.Net.Http.Headers;
using Firebreak.Core.Identity;
using Firebreak.Testing;

namespace Firebreak.Server.Tests.Api;

/// <summary>The evidence store on a real, tiny file system that fills up.</summary>
public class EvidenceFullDiskTests
{
    private static ByteArrayContent Octets(byte[] bytes)
    {
        var content = new ByteArrayContent(bytes);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
        return content;
    }

    [Fact]
    public async Task Upload_ToAFullDisk_Is507_AndCorruptsNothing()
    {
        using var disk = SmallDisk.Mount(512);
        await using var server = await TestServer.StartAsync(DatabaseKind.Sqlite, new Dictionary<string, string?> { ["Firebreak:Evidence:Directory"] = disk.Path });
        var acme = await server.CreateTenantAsync("Acme");
        var responder = acme.Client(Role.Responder);
        var reference = (await responder.CreateIncidentAsync(new { title = "Disk full" })).GetProperty("reference").GetString()!;
        var small = "first item fits\n"u8.ToArray();
        Assert.Equal(HttpStatusCode.Created, (await responder.PostAsync($"/api/v1/incidents/{reference}/evidence?name=fits.txt&source=host", Octets(small))).StatusCode);
        var before = disk.Files();

        var big = new byte[1024 * 1024];
        new Random(3).NextBytes(big);
        var problem = await ProblemDetailsTests.AssertProblemAsync(
            await responder.PostAsync($"/api/v1/incidents/{reference}/evidence?name=memory.raw&kind=memory-image&source=i-0abc", Octets(big)),
            HttpStatusCode.InsufficientStorage);

        Assert.Equal("The evidence store is out of disk space; nothing was stored. Free space and upload again.", problem.GetProperty("detail").GetString());
        // No partial file: the store holds exactly what it held before.
        Assert.Equal(before, disk.Files());
        var items = await (await responder.GetAsync($"/api/v1/incidents/{reference}/evidence")).JsonAsync();
        Assert.Equal(["fits.txt"], items.EnumerateArray().Select(i => i.GetProperty("name").GetString()));
        var custody = await (await responder.GetAsync($"/api/v1/incidents/{reference}/custody")).JsonAsync();
        Assert.Equal(1, custody.GetArrayLength());
        var verify = await (await responder.PostAsync($"/api/v1/incidents/{reference}/evidence/verify", null)).JsonAsync();
        Assert.True(verify.GetProperty("ok").GetBoolean(), verify.ToString());

        // The disk still works for what fits.
        Assert.Equal(HttpStatusCode.Created, (await responder.PostAsync($"/api/v1/incidents/{reference}/evidence?name=also-fits.txt&source=host", Octets("second\n"u8.ToArray()))).StatusCode);
    }
}
