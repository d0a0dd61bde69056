using System.Text.Json;
using Firebreak.Testing;

namespace Firebreak.Cli.Tests.Commands;

/// <summary>`firebreak evidence add` against a server whose evidence store is a real, tiny file system.</summary>
public sealed class EvidenceFullDiskTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("firebreak-evidence-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    [Fact]
    public async Task Add_ToAFullDisk_SaysSo_ExitsNonZero_AndLeavesTheRegisterAndChainIntact()
    {
        using var disk = SmallDisk.Mount(512);
        await using var server = await ServerFixture.StartAsync("--Firebreak:Evidence:Directory=" + disk.Path);
        var incident = await server.CreateIncidentAsync("Disk full");
        var fits = Path.Combine(_folder, "fits.txt");
        await File.WriteAllTextAsync(fits, "first item fits\n");
        Assert.Equal(0, (await server.RunAsync("evidence", "add", incident, fits, "--source", "host")).ExitCode);
        var before = disk.Files();
        var big = Path.Combine(_folder, "memory.raw");
        var bytes = new byte[1024 * 1024];
        new Random(5).NextBytes(bytes);
        await File.WriteAllBytesAsync(big, bytes);

        var result = await server.RunAsync("evidence", "add", incident, big, "--source", "i-0abc", "--kind", "memory-image");

        Assert.Equal(ExitCodes.Refused, result.ExitCode);
        Assert.Contains("out of disk space; nothing was stored", result.Err);
        Assert.Equal(before, disk.Files());
        var list = await server.RunAsync("evidence", "list", incident, "--json");
        using var json = JsonDocument.Parse(list.Out);
        Assert.Equal(["fits.txt"], json.RootElement.EnumerateArray().Select(i => i.GetProperty("name").GetString()));
        var verify = await server.RunAsync("evidence", "verify", incident);
        Assert.True(verify.ExitCode == 0, verify.ToString());
    }
}
