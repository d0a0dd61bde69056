using System.IO.Compression;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Firebreak.Cli.Tests.Commands;

public sealed class EvidenceCommandTests(ServerFixture server) : IClassFixture<ServerFixture>, IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("firebreak-evidence-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    [Fact]
    public async Task Add_UploadsTheFile_PrintsTheServersHashes_AndListShowsIt()
    {
        var incident = await server.CreateIncidentAsync("Exfiltration from bucket");
        var content = Encoding.UTF8.GetBytes("{\"eventName\":\"GetObject\"}\n");
        var path = WriteFile("cloudtrail.json", content);

        var added = await server.RunAsync("evidence", "add", incident, path, "--source", "CloudTrail, prod", "--kind", "log-set");

        Assert.True(added.ExitCode == 0, added.ToString());
        Assert.Contains("the SHA-256 matches", added.Out);
        Assert.Matches($@"(?m)^SHA-256\s+{Convert.ToHexStringLower(SHA256.HashData(content))}\s*$", added.Out);
        Assert.Matches($@"(?m)^SHA-1\s+{Convert.ToHexStringLower(SHA1.HashData(content))}\s*$", added.Out);
        Assert.Matches($@"(?m)^MD5\s+{Convert.ToHexStringLower(MD5.HashData(content))}\s*$", added.Out);

        var list = await server.RunAsync("evidence", "list", incident, "--json");
        Assert.True(list.ExitCode == 0, list.ToString());
        using var json = JsonDocument.Parse(list.Out);
        var item = Assert.Single(json.RootElement.EnumerateArray());
        Assert.Equal("cloudtrail.json", item.GetProperty("name").GetString());
        Assert.Equal("log-set", item.GetProperty("kind").GetString());
        Assert.Equal(content.Length, item.GetProperty("size").GetInt64());

        var table = await server.RunAsync("evidence", "list", incident);
        Assert.Contains("cloudtrail.json", table.Out);
        Assert.Contains("1 item(s).", table.Out);
    }

    [Fact]
    public async Task AddSnapshot_RegistersTheReference()
    {
        var incident = await server.CreateIncidentAsync("Compromised instance");

        var result = await server.RunAsync("evidence", "add-snapshot", incident, "--snapshot-id", "snap-0123456789abcdef0",
            "--region", "eu-west-1", "--account", "111122223333", "--source-volume", "vol-0abc", "--json");

        Assert.True(result.ExitCode == 0, result.ToString());
        using var json = JsonDocument.Parse(result.Out);
        Assert.Equal("snapshot", json.RootElement.GetProperty("kind").GetString());
        Assert.Equal("snap-0123456789abcdef0", json.RootElement.GetProperty("snapshotId").GetString());
        Assert.Equal("vol-0abc", json.RootElement.GetProperty("sourceVolume").GetString());
        var list = await server.RunAsync("evidence", "list", incident);
        Assert.Contains("snap-0123456789abcdef0", list.Out);
    }

    [Fact]
    public async Task Record_ATransfer_AppendsToTheChain_AndNeedsARecipient()
    {
        var incident = await server.CreateIncidentAsync("Stolen laptop image");
        var id = await AddAsync(incident, "disk.img", [1, 2, 3, 4]);

        var missing = await server.RunAsync("evidence", "record", id, "--event", "transferred", "--location", "Safe B", "--reason", "Legal hold");
        Assert.Equal(ExitCodes.Usage, missing.ExitCode);
        Assert.Contains("recipient: A transfer names the person receiving the item.", missing.Err);

        var recorded = await server.RunAsync("evidence", "record", id, "--event", "transferred", "--location", "Safe B",
            "--reason", "Legal hold", "--recipient", "Dana Legal");
        Assert.True(recorded.ExitCode == 0, recorded.ToString());
        Assert.Contains("Recorded entry #2: transferred at Safe B.", recorded.Out);

        var custody = await server.RunAsync("evidence", "custody", incident, "--json");
        using var json = JsonDocument.Parse(custody.Out);
        var entries = json.RootElement.EnumerateArray().ToList();
        Assert.Equal(["collected", "transferred"], entries.Select(e => e.GetProperty("event").GetString()));
        Assert.Equal("Dana Legal", entries[1].GetProperty("recipient").GetString());
        var list = await server.RunAsync("evidence", "list", incident, "--json");
        using var items = JsonDocument.Parse(list.Out);
        Assert.Equal("Dana Legal", items.RootElement[0].GetProperty("holder").GetString());
    }

    [Fact]
    public async Task Verify_OnTheServer_IsOk()
    {
        var incident = await server.CreateIncidentAsync("Verify on server");
        await AddAsync(incident, "a.log", Encoding.UTF8.GetBytes("line one\n"));

        var result = await server.RunAsync("evidence", "verify", incident);

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Contains("a.log", result.Out);
        Assert.Contains("Verified: 1 item(s)", result.Out);
    }

    [Fact]
    public async Task Export_WritesABundle_ThatVerifiesOffline_AndDownloadReturnsTheBytes()
    {
        var incident = await server.CreateIncidentAsync("Export bundle");
        var content = Encoding.UTF8.GetBytes("memory image bytes");
        var id = await AddAsync(incident, "mem.lime", content);
        var zip = Path.Combine(_folder, "bundle.zip");

        var export = await server.RunAsync("evidence", "export", incident, "--reason", "Outside counsel", "--out", zip);
        Assert.True(export.ExitCode == 0, export.ToString());
        Assert.Empty(Directory.GetFiles(_folder, "*.part"));

        // No server options or key: the check needs nothing but the zip.
        var verify = await Cli.RunAsync("evidence", "verify", "--bundle", zip, "--json");
        Assert.True(verify.ExitCode == 0, verify.ToString());
        using var json = JsonDocument.Parse(verify.Out);
        Assert.True(json.RootElement.GetProperty("ok").GetBoolean());

        var again = await server.RunAsync("evidence", "export", incident, "--reason", "Again", "--out", zip);
        Assert.Equal(ExitCodes.Usage, again.ExitCode);
        Assert.Contains("--force", again.Err);
        var forced = await server.RunAsync("evidence", "export", incident, "--reason", "Again", "--out", zip, "--force");
        Assert.True(forced.ExitCode == 0, forced.ToString());

        var file = Path.Combine(_folder, "copy.lime");
        var download = await server.RunAsync("evidence", "download", id, "--reason", "Timeline", "--out", file);
        Assert.True(download.ExitCode == 0, download.ToString());
        Assert.Equal(content, await File.ReadAllBytesAsync(file, TestContext.Current.CancellationToken));
        var custody = await server.RunAsync("evidence", "custody", incident, "--json");
        using var chain = JsonDocument.Parse(custody.Out);
        Assert.Contains(chain.RootElement.EnumerateArray(), e => e.GetProperty("reason").GetString() == "Timeline");
    }

    [Fact]
    public async Task VerifyBundle_NamesTheItem_WhenAFileInsideWasAltered()
    {
        var zip = await ExportAsync("Tampered file", "evil.bin");
        using (var archive = ZipFile.Open(zip, ZipArchiveMode.Update))
        {
            var entry = archive.Entries.Single(e => e.FullName.StartsWith("files/", StringComparison.Ordinal));
            var name = entry.FullName;
            byte[] bytes;
            using (var reader = new MemoryStream())
            {
                using (var stream = entry.Open()) stream.CopyTo(reader);
                bytes = reader.ToArray();
            }
            bytes[0] ^= 0x01;
            entry.Delete();
            using var writer = archive.CreateEntry(name).Open();
            writer.Write(bytes);
        }

        var result = await Cli.RunAsync("evidence", "verify", "--bundle", zip);

        Assert.Equal(ExitCodes.Refused, result.ExitCode);
        Assert.Contains("item 'evil.bin'", result.Err);
        Assert.Contains("SHA-256 does not match", result.Err);
    }

    [Fact]
    public async Task VerifyBundle_NamesTheEntry_WhenCustodyWasAltered()
    {
        var zip = await ExportAsync("Tampered custody", "notes.txt");
        using (var archive = ZipFile.Open(zip, ZipArchiveMode.Update))
        {
            var entry = archive.GetEntry("custody.json")!;
            JsonArray custody;
            using (var stream = entry.Open()) custody = JsonNode.Parse(stream)!.AsArray();
            custody[0]!["location"] = "Somewhere else";
            entry.Delete();
            using var writer = archive.CreateEntry("custody.json").Open();
            writer.Write(Encoding.UTF8.GetBytes(custody.ToJsonString()));
        }

        var result = await Cli.RunAsync("evidence", "verify", "--bundle", zip);

        Assert.Equal(ExitCodes.Refused, result.ExitCode);
        Assert.Contains("custody entry #1: its fields were altered after it was written", result.Err);
    }

    [Fact]
    public async Task VerifyBundle_IsAnInputError_ForAFileThatIsNotABundle()
    {
        var path = WriteFile("not-a-zip.zip", Encoding.UTF8.GetBytes("hello"));

        var result = await Cli.RunAsync("evidence", "verify", "--bundle", path);

        Assert.Equal(ExitCodes.Usage, result.ExitCode);
        Assert.Contains("is not a readable evidence bundle", result.Err);
    }

    [Fact]
    public async Task Add_WithAViewerKey_IsRefused()
    {
        var incident = await server.CreateIncidentAsync("Viewer cannot add");
        var viewer = await server.CreateApiKeyAsync("viewer");
        var path = WriteFile("x.txt", [42]);

        var result = await server.RunWithKeyAsync(viewer, "evidence", "add", incident, path, "--source", "laptop");

        Assert.Equal(ExitCodes.Refused, result.ExitCode);
        Assert.Contains("Forbidden", result.Err);
        var list = await server.RunAsync("evidence", "list", incident, "--json");
        Assert.Equal("[]", list.Out.Trim());
    }

    [Fact]
    public async Task Add_ToAnUnknownIncident_IsRefused()
    {
        var path = WriteFile("x.txt", [42]);

        var result = await server.RunAsync("evidence", "add", "INC-99999", path, "--source", "laptop");

        Assert.Equal(ExitCodes.Refused, result.ExitCode);
        Assert.Contains("INC-99999", result.Err);
    }

    [Fact]
    public async Task Add_AMissingFile_IsAnInputError()
    {
        var result = await server.RunAsync("evidence", "add", "INC-0001", Path.Combine(_folder, "nope.bin"), "--source", "laptop");

        Assert.Equal(ExitCodes.Usage, result.ExitCode);
        Assert.Contains("No such file", result.Err);
    }

    private string WriteFile(string name, byte[] content)
    {
        var path = Path.Combine(_folder, name);
        File.WriteAllBytes(path, content);
        return path;
    }

    private async Task<string> AddAsync(string incident, string name, byte[] content)
    {
        var result = await server.RunAsync("evidence", "add", incident, WriteFile(name, content), "--source", "test host", "--json");
        Assert.True(result.ExitCode == 0, result.ToString());
        using var json = JsonDocument.Parse(result.Out);
        return json.RootElement.GetProperty("id").GetString()!;
    }

    private async Task<string> ExportAsync(string title, string fileName)
    {
        var incident = await server.CreateIncidentAsync(title);
        await AddAsync(incident, fileName, Encoding.UTF8.GetBytes("original content of " + fileName));
        var zip = Path.Combine(_folder, fileName + ".zip");
        var export = await server.RunAsync("evidence", "export", incident, "--reason", "Check", "--out", zip);
        Assert.True(export.ExitCode == 0, export.ToString());
        return zip;
    }
}
