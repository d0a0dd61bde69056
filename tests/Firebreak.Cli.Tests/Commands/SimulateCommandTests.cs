using System.IO.Compression;
using System.Text.Json;
using Firebreak.Detection.Simulation;

namespace Firebreak.Cli.Tests.Commands;

public sealed class SimulateCommandTests : IDisposable
{
    private readonly List<string> _directories = [];

    public void Dispose()
    {
        foreach (var directory in _directories) Cli.DeleteDataDirectory(directory);
    }

    private string NewDirectory()
    {
        var directory = Cli.NewDataDirectory();
        _directories.Add(directory);
        return directory;
    }

    [Fact]
    public async Task SameSeed_WritesByteIdenticalFiles_AndPrintsTheSummary()
    {
        var first = NewDirectory();
        var second = NewDirectory();

        var a = await Cli.RunAsync("simulate", "leaked-access-key", "--out", first, "--events", "3000", "--seed", "42");
        var b = await Cli.RunAsync("simulate", "leaked-access-key", "--out", second, "--events", "3000", "--seed", "42");

        Assert.True(a.ExitCode == 0, a.ToString());
        Assert.True(b.ExitCode == 0, b.ToString());
        var files = Files(first);
        Assert.NotEmpty(files);
        Assert.Equal(files, Files(second));
        foreach (var file in files)
            Assert.Equal(File.ReadAllBytes(Path.Combine(first, file)), File.ReadAllBytes(Path.Combine(second, file)));
        Assert.All(files, f => Assert.EndsWith(".json", f));

        Assert.Contains("Wrote 3,000 events of 'leaked-access-key'", a.Out);
        Assert.Contains("Attack in CloudTrail, AWS account ", a.Out);
        Assert.Contains($"to {files.Count} file(s) in {first}", a.Out);
        Assert.Contains("cloudtrail", a.Out);
        Assert.Contains("Attack steps (", a.Out);
        Assert.Contains("DeleteTrail", a.Out);
        Assert.Equal("", a.Err);
    }

    [Fact]
    public async Task OtherSeed_WritesDifferentLogs()
    {
        var first = NewDirectory();
        var second = NewDirectory();

        await Cli.RunAsync("simulate", "public-bucket-exposure", "--out", first, "--events", "500", "--seed", "1");
        await Cli.RunAsync("simulate", "public-bucket-exposure", "--out", second, "--events", "500", "--seed", "2");

        var firstBytes = Files(first).SelectMany(f => File.ReadAllBytes(Path.Combine(first, f))).ToArray();
        var secondBytes = Files(second).SelectMany(f => File.ReadAllBytes(Path.Combine(second, f))).ToArray();
        Assert.NotEqual(firstBytes, secondBytes);
    }

    [Fact]
    public async Task Json_DescribesTheRun_AndGzipWritesCompressedFiles()
    {
        var directory = NewDirectory();

        var result = await Cli.RunAsync("simulate", "compromised-instance-role", "--out", directory, "--events", "800", "--noise", "0.9", "--gzip", "--json");

        Assert.True(result.ExitCode == 0, result.ToString());
        using var json = JsonDocument.Parse(result.Out);
        var root = json.RootElement;
        Assert.Equal("compromised-instance-role", root.GetProperty("scenario").GetString());
        Assert.Equal(800, root.GetProperty("totalEvents").GetInt32());
        Assert.Equal(800, root.GetProperty("eventsBySource").EnumerateObject().Sum(p => p.Value.GetInt32()));
        Assert.NotEmpty(root.GetProperty("attackSteps").EnumerateArray());
        Assert.All(root.GetProperty("attackSteps").EnumerateArray(), s => Assert.False(string.IsNullOrEmpty(s.GetProperty("tactic").GetString())));
        var files = Files(directory);
        Assert.Equal(root.GetProperty("files").GetArrayLength(), files.Count);
        // CloudTrail delivers gzip; the Azure and GCP exports the simulator imitates are plain JSON.
        var trails = files.Where(f => f.StartsWith("AWSLogs", StringComparison.Ordinal)).ToList();
        Assert.NotEmpty(trails);
        Assert.All(trails, f => Assert.EndsWith(".json.gz", f));
        using var gzip = new GZipStream(File.OpenRead(Path.Combine(directory, trails[0])), CompressionMode.Decompress);
        using var reader = new StreamReader(gzip);
        Assert.StartsWith("{", reader.ReadToEnd().TrimStart());
    }

    [Fact]
    public async Task List_ShowsEveryScenarioWithItsDescription()
    {
        var result = await Cli.RunAsync("simulate", "--list");

        Assert.True(result.ExitCode == 0, result.ToString());
        foreach (var scenario in AttackSimulator.Scenarios)
        {
            Assert.Contains(scenario, result.Out);
            Assert.Contains(AttackSimulator.Describe(scenario)[..40], result.Out);
        }

        var json = await Cli.RunAsync("simulate", "--list", "--json");
        using var document = JsonDocument.Parse(json.Out);
        Assert.Equal(AttackSimulator.Scenarios, document.RootElement.EnumerateArray().Select(s => s.GetProperty("name").GetString()!));
    }

    [Fact]
    public async Task UnknownScenario_IsAUsageError_ListingTheValidNames()
    {
        var directory = NewDirectory();

        var result = await Cli.RunAsync("simulate", "ransomware", "--out", directory);

        Assert.Equal(ExitCodes.Usage, result.ExitCode);
        Assert.Contains("'ransomware'", result.Err);
        foreach (var scenario in AttackSimulator.Scenarios) Assert.Contains(scenario, result.Err);
        Assert.Empty(Directory.EnumerateFileSystemEntries(directory));
    }

    [Theory]
    [InlineData("--events", "0")]
    [InlineData("--events", "-5")]
    [InlineData("--events", "many")]
    [InlineData("--noise", "1.5")]
    [InlineData("--noise", "-0.1")]
    [InlineData("--noise", "NaN")]
    // A decimal comma was read as a thousands separator: 0,1 became 1, the opposite of what was asked.
    [InlineData("--noise", "0,1")]
    [InlineData("--noise", "0,5")]
    // Past the caps the simulator planned everything in memory before writing (2,147,483,647 events grew past 4 GB).
    [InlineData("--events", "2147483647")]
    [InlineData("--events", "10000001")]
    [InlineData("--seed", "x")]
    public async Task BadNumbers_AreUsageErrors(string option, string value)
    {
        var directory = NewDirectory();

        var result = await Cli.RunAsync("simulate", "leaked-access-key", "--out", directory, option, value);

        Assert.Equal(ExitCodes.Usage, result.ExitCode);
        Assert.Contains(option, result.Err);
        Assert.Empty(Directory.EnumerateFileSystemEntries(directory));
    }

    [Fact]
    public async Task TooManyAttackerEvents_AreAUsageError_SayingWhatToChange()
    {
        var directory = NewDirectory();

        var result = await Cli.RunAsync("simulate", "leaked-access-key", "--out", directory, "--events", "1000000", "--noise", "0");

        Assert.Equal(ExitCodes.Usage, result.ExitCode);
        Assert.Contains("asks for 1,000,000 attacker events; at most 100,000 are simulated", result.Err);
        Assert.Empty(Directory.EnumerateFileSystemEntries(directory));
    }

    [Fact]
    public async Task AFolderAlreadyHoldingFiles_IsSaidToBe_AndStepTimesAreThoseInTheLogs()
    {
        var directory = NewDirectory();
        File.WriteAllText(Path.Combine(directory, "old.json"), "{}");

        var result = await Cli.RunAsync("simulate", "leaked-access-key", "--out", directory, "--events", "300", "--json");

        Assert.Equal(ExitCodes.Ok, result.ExitCode);
        Assert.Contains("already holds files; the new logs are written beside them", result.Err);
        var steps = System.Text.Json.JsonDocument.Parse(result.Out).RootElement.GetProperty("attackSteps").EnumerateArray().ToList();
        Assert.NotEmpty(steps);
        // The logs write times to the second; the steps carried milliseconds the logs lack.
        Assert.All(steps, step => Assert.Equal(0, step.GetProperty("time").GetDateTimeOffset().Millisecond));
    }

    [Fact]
    public async Task MissingOutOrScenario_AreUsageErrors()
    {
        var emptyOut = await Cli.RunAsync("simulate", "leaked-access-key", "--out", "");
        Assert.Equal(ExitCodes.Usage, emptyOut.ExitCode);
        Assert.Contains("--out is required", emptyOut.Err);
        var noOut = await Cli.RunAsync("simulate", "leaked-access-key");
        var noScenario = await Cli.RunAsync("simulate", "--out", NewDirectory());

        Assert.Equal(ExitCodes.Usage, noOut.ExitCode);
        Assert.Contains("--out", noOut.Err);
        Assert.Equal(ExitCodes.Usage, noScenario.ExitCode);
        Assert.Contains("--list", noScenario.Err);
    }

    /// <summary>The CLI as its own process in the time zone given (TZ), which an in-process run cannot change.</summary>
    private static Task<(int ExitCode, byte[] Out, string Err)> Simulate(string zone, params string[] args) =>
        HuntProcessTests.RunAsync([], AppContext.BaseDirectory, new Dictionary<string, string> { ["TZ"] = zone }, args);

    // Sessions' creation times were built from DateTimeOffset.Date (a DateTime of no zone), which turned back into a
    // DateTimeOffset took the machine's zone: the logs changed with it.
    [Fact]
    public async Task SameSeed_IsByteIdentical_InAnotherTimeZone()
    {
        var utc = NewDirectory();
        var newYork = NewDirectory();

        var a = await Simulate("UTC", "simulate", "compromised-instance-role", "--out", utc, "--events", "1000", "--seed", "7");
        var b = await Simulate("America/New_York", "simulate", "compromised-instance-role", "--out", newYork, "--events", "1000", "--seed", "7");

        Assert.Equal(0, a.ExitCode);
        Assert.Equal(0, b.ExitCode);
        Assert.Equal(Files(utc), Files(newYork));
        foreach (var file in Files(utc))
        {
            Assert.True(File.ReadAllBytes(Path.Combine(utc, file)).AsSpan().SequenceEqual(File.ReadAllBytes(Path.Combine(newYork, file))),
                $"{file} differs between TZ=UTC and TZ=America/New_York");
        }
    }

    // A session may not be used before it was made, whatever the machine's zone.
    [Fact]
    public async Task NoSession_IsUsedBeforeItsCreationDate_InAnyTimeZone()
    {
        var directory = NewDirectory();
        var run = await Simulate("America/New_York", "simulate", "compromised-instance-role", "--out", directory, "--events", "1000", "--seed", "7");
        Assert.Equal(0, run.ExitCode);

        var early = new List<string>();
        foreach (var file in Files(directory).Where(f => f.StartsWith("AWSLogs", StringComparison.Ordinal)))
        {
            using var document = JsonDocument.Parse(File.ReadAllBytes(Path.Combine(directory, file)));
            foreach (var record in document.RootElement.GetProperty("Records").EnumerateArray())
            {
                if (record.GetProperty("userIdentity").TryGetProperty("sessionContext", out var context)
                    && context.GetProperty("attributes").GetProperty("creationDate").GetDateTimeOffset() > record.GetProperty("eventTime").GetDateTimeOffset())
                {
                    early.Add($"{record.GetProperty("eventTime")} < {context.GetProperty("attributes").GetProperty("creationDate")}");
                }
            }
        }

        Assert.Empty(early);
    }

    // The scenarios' bulk S3 downloads run at a script's pace, so the built-in "Mass Download From S3" correlation (500
    // reads of one bucket by one principal in ten minutes) finds them, as it would a real one.
    [Theory]
    [InlineData("leaked-access-key")]
    [InlineData("compromised-instance-role")]
    public async Task BulkExfiltration_IsDetected_ByTheBuiltInMassDownloadRule(string scenario)
    {
        var directory = NewDirectory();
        var simulate = await Cli.RunAsync("simulate", scenario, "--out", directory, "--events", "4000", "--noise", "0", "--seed", "3");
        Assert.Equal(ExitCodes.Ok, simulate.ExitCode);

        var hunt = await Cli.RunAsync("hunt", directory, "--output", "jsonl");

        var titles = hunt.Out.Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(line => JsonDocument.Parse(line).RootElement)
            .Where(hit => hit.TryGetProperty("title", out _))
            .Select(hit => hit.GetProperty("title").GetString())
            .ToHashSet();
        Assert.Contains("Mass Download From S3", titles);
    }

    [Fact]
    public async Task TheAzureScenario_IsFoundByTheBuiltInAzureRules_FromTheAttackersAddress()
    {
        var directory = NewDirectory();
        var simulate = await Cli.RunAsync("simulate", "stolen-azure-session", "--out", directory, "--events", "3000", "--seed", "3", "--json");
        Assert.Equal(ExitCodes.Ok, simulate.ExitCode);
        var text = await Cli.RunAsync("simulate", "stolen-azure-session", "--out", NewDirectory(), "--events", "300", "--seed", "3");
        Assert.Contains("Attack in the Azure Activity Log; initial access carol@acme.example; attacker IPs ", text.Out);
        var result = JsonDocument.Parse(simulate.Out).RootElement;
        var attacker = result.GetProperty("attackerIps")[0].GetString();

        var hunt = await Cli.RunAsync("hunt", directory, "--output", "jsonl");

        var azure = hunt.Out.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(line => JsonDocument.Parse(line).RootElement)
            .Where(hit => hit.GetProperty("provider").GetString() == "azure").ToList();
        Assert.All(azure, hit => Assert.Equal((attacker, "carol@acme.example"), (hit.GetProperty("sourceIp").GetString(), hit.GetProperty("actor").GetProperty("uid").GetString())));
        var titles = azure.Select(hit => hit.GetProperty("title").GetString()).ToHashSet();
        Assert.Equal(["Azure Role Assignment Created or Changed", "Azure VM Run Command Used", "Global Administrator Elevated to User Access Administrator", "Managed Disk or Snapshot Export URL Requested"],
            titles.Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task TheGcpScenario_IsFoundByTheBuiltInGcpRules_FromTheAttackersAddress()
    {
        var directory = NewDirectory();
        var simulate = await Cli.RunAsync("simulate", "leaked-gcp-service-account-key", "--out", directory, "--events", "3000", "--seed", "3", "--json");
        Assert.Equal(ExitCodes.Ok, simulate.ExitCode);
        var result = JsonDocument.Parse(simulate.Out).RootElement;
        Assert.Equal("gcp", result.GetProperty("attackedCloud").GetString());
        var attacker = result.GetProperty("attackerIps")[2].GetString();
        var account = result.GetProperty("initialAccess").GetString();

        var hunt = await Cli.RunAsync("hunt", directory, "--output", "jsonl");

        var gcp = hunt.Out.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(line => JsonDocument.Parse(line).RootElement)
            .Where(hit => hit.GetProperty("provider").GetString() == "gcp").ToList();
        Assert.All(gcp, hit => Assert.Equal((attacker, account), (hit.GetProperty("sourceIp").GetString(), hit.GetProperty("actor").GetProperty("uid").GetString())));
        Assert.Equal(["GCP IAM Policy Replaced", "GCP Log Sink Deleted or Changed", "GCP Service Account Key Created or Uploaded"],
            gcp.Select(hit => hit.GetProperty("title").GetString()).ToHashSet().Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task ANegativeSeed_IsAUsageError_ItWouldRepeatItsPositive()
    {
        var directory = NewDirectory();

        var result = await Cli.RunAsync("simulate", "leaked-access-key", "--out", directory, "--events", "300", "--seed", "-7");

        Assert.Equal(ExitCodes.Usage, result.ExitCode);
        Assert.Contains("--seed is from 0 to 2,147,483,647, not -7", result.Err, StringComparison.Ordinal);
        Assert.Empty(Files(directory));
    }

    private static List<string> Files(string directory) =>
        [.. Directory.EnumerateFiles(directory, "*", SearchOption.AllDirectories).Select(f => Path.GetRelativePath(directory, f)).Order(StringComparer.Ordinal)];
}
