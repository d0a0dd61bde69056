using System.Text.Json;

namespace Firebreak.Cli.Tests.Commands;

/// <summary>`firebreak simulate`: the same logs for the same options on any machine, and attacks the built-in pack finds.</summary>
public sealed class SimulateDeterminismTests : IDisposable
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

    private static List<string> Files(string directory) =>
        [.. Directory.EnumerateFiles(directory, "*", SearchOption.AllDirectories).Select(f => Path.GetRelativePath(directory, f)).Order(StringComparer.Ordinal)];

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
    public async Task ANegativeSeed_IsAUsageError_ItWouldRepeatItsPositive()
    {
        var directory = NewDirectory();

        var result = await Cli.RunAsync("simulate", "leaked-access-key", "--out", directory, "--events", "300", "--seed", "-7");

        Assert.Equal(ExitCodes.Usage, result.ExitCode);
        Assert.Contains("--seed is from 0 to 2,147,483,647, not -7", result.Err, StringComparison.Ordinal);
        Assert.Empty(Files(directory));
    }
}
