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

    [Fact]
    public async Task Add_PastTheServersFileSizeLimit_SaysSo_ExitsNonZero_AndLeavesNothingBehind()
    {
        var data = Cli.NewDataDirectory();
        var workingDirectory = Directory.CreateTempSubdirectory("firebreak-cwd-").FullName;
        try
        {
            string[] database = ["--data-dir", data];
            Assert.Equal(0, (await Cli.RunAsync(["admin", "bootstrap", "--tenant", "Acme", "--email", "admin@acme.example", .. database])).ExitCode);
            var key = (await Cli.RunAsync(["admin", "create-api-key", "--name", "uploader", "--role", "responder", .. database])).Printed("Key");
            // No privileges needed: every file the server writes (database included) is capped at 16 MiB.
            await using var serve = await ServeProcess.StartWithFileSizeLimitAsync(workingDirectory, 16L * 1024 * 1024, database);
            var client = new Dictionary<string, string?> { ["FIREBREAK_URL"] = serve.Url, ["FIREBREAK_API_KEY"] = key };
            var created = await Cli.RunAsync(client, "incident", "create", "--title", "Quota", "--json");
            Assert.True(created.ExitCode == 0, created + serve.Output);
            using var incidentJson = JsonDocument.Parse(created.Out);
            var incident = incidentJson.RootElement.GetProperty("reference").GetString()!;
            var fits = Path.Combine(_folder, "fits.txt");
            await File.WriteAllTextAsync(fits, "first item fits\n");
            Assert.Equal(0, (await Cli.RunAsync(client, "evidence", "add", incident, fits, "--source", "host")).ExitCode);
            var store = Path.Combine(data, "evidence");
            var before = Directory.GetFiles(store, "*", SearchOption.AllDirectories).Order().ToList();
            var big = Path.Combine(_folder, "disk.img");
            await using (var file = File.Create(big))
            {
                file.SetLength(20L * 1024 * 1024);
            }

            var result = await Cli.RunAsync(client, "evidence", "add", incident, big, "--source", "laptop");

            Assert.True(result.ExitCode == ExitCodes.Refused, result + serve.Output);
            Assert.True(result.Err.Contains("cannot hold a file this large (the server's file-size limit); nothing was stored", StringComparison.Ordinal), result + serve.Output);
            Assert.Equal(before, Directory.GetFiles(store, "*", SearchOption.AllDirectories).Order().ToList());
            var list = await Cli.RunAsync(client, "evidence", "list", incident, "--json");
            using var json = JsonDocument.Parse(list.Out);
            Assert.Equal(["fits.txt"], json.RootElement.EnumerateArray().Select(i => i.GetProperty("name").GetString()));
            var verify = await Cli.RunAsync(client, "evidence", "verify", incident);
            Assert.True(verify.ExitCode == 0, verify.ToString());
        }
        finally
        {
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            Cli.DeleteDataDirectory(data);
            Cli.DeleteDataDirectory(workingDirectory);
        }
    }
}
