using System.Globalization;
using System.Text.Json;

namespace Firebreak.Cli.Tests.ManagementPlane;

public sealed class CheckCommandTests(ServerFixture server) : IClassFixture<ServerFixture>, IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("firebreak-check-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    private static string Record(int n, string name, string source) => JsonSerializer.Serialize(new Dictionary<string, object?>
    {
        ["eventVersion"] = "1.09",
        ["eventID"] = $"chk-{n:D5}",
        ["eventTime"] = new DateTimeOffset(2026, 3, 1, 8, 0, 0, TimeSpan.Zero).AddMinutes(n).ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture),
        ["eventSource"] = source,
        ["eventName"] = name,
        ["awsRegion"] = "us-east-1",
        ["recipientAccountId"] = "111122223333",
        ["userIdentity"] = new { type = "Root", arn = "arn:aws:iam::111122223333:root" },
    });

    [Fact]
    public async Task Check_RunsShowsAndReviews_TheManagementPlaneCheck()
    {
        var incident = await server.CreateIncidentAsync("Root in the night");
        var none = await server.RunAsync("incident", "check", incident);
        Assert.Equal(1, none.ExitCode);
        Assert.Contains("No management-plane check has run", none.Err);

        var file = Path.Combine(_folder, "trail.json");
        await File.WriteAllLinesAsync(file, [Record(0, "DescribeInstances", "ec2.amazonaws.com"), Record(1, "DeleteDetector", "guardduty.amazonaws.com")],
            TestContext.Current.CancellationToken);
        Assert.Equal(0, (await server.RunAsync("incident", "events", "import", incident, file)).ExitCode);
        // The import runs the check once it completes.
        CliResult automatic;
        var tries = 0;
        while ((automatic = await server.RunAsync("incident", "check", incident, "--json")).ExitCode != 0 && ++tries < 100) await Task.Delay(100, TestContext.Current.CancellationToken);
        Assert.Equal("import", JsonDocument.Parse(automatic.Out).RootElement.GetProperty("trigger").GetString());

        var run = await server.RunAsync("incident", "check", incident, "--run");
        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.Contains("manual run by", run.Out);
        Assert.Contains("aws.detection", run.Out);
        Assert.Contains("aws.privileged-use", run.Out);
        Assert.Contains("fail", run.Out);
        Assert.Contains("Not reviewed yet", run.Out);
        Assert.Contains("Management-plane check failed: Is AWS threat detection intact", run.Out);

        var json = await server.RunAsync("incident", "check", incident, "--json");
        Assert.True(json.ExitCode == 0, json.ToString());
        var items = JsonDocument.Parse(json.Out).RootElement.GetProperty("items").EnumerateArray().ToDictionary(i => i.GetProperty("id").GetString()!);
        Assert.Equal("fail", items["aws.detection"].GetProperty("status").GetString());
        // Every event of the root user is evidence of its use.
        Assert.Equal(2, items["aws.privileged-use"].GetProperty("evidenceCount").GetInt32());
        Assert.Equal("not-applicable", items["gcp.logging"].GetProperty("status").GetString());

        var review = await server.RunAsync("incident", "check", incident, "--review", "GuardDuty deleted by the attacker; re-enabled");
        Assert.True(review.ExitCode == 0, review.ToString());
        Assert.Contains("Reviewed by", review.Out);
        Assert.Contains("GuardDuty deleted by the attacker; re-enabled", review.Out);
        var again = await server.RunAsync("incident", "check", incident, "--review", "twice");
        Assert.Equal(1, again.ExitCode);
        Assert.Contains("already reviewed", again.Err);

        var window = await server.RunAsync("incident", "check", incident, "--run", "--from", "2026-03-01T08:00:00Z", "--to", "2026-03-01T08:01:00Z", "--json");
        Assert.True(window.ExitCode == 0, window.ToString());
        Assert.Equal(1, JsonDocument.Parse(window.Out).RootElement.GetProperty("eventsInWindow").GetInt32());
    }

    [Fact]
    public async Task BadInput_IsAUsageErrorOrARefusal()
    {
        var incident = await server.CreateIncidentAsync("Bad check input");
        var windowWithoutRun = await server.RunAsync("incident", "check", incident, "--from", "2026-03-01T00:00:00Z");
        Assert.Equal(2, windowWithoutRun.ExitCode);
        Assert.Contains("give --run", windowWithoutRun.Err);
        var both = await server.RunAsync("incident", "check", incident, "--run", "--review", "x");
        Assert.Equal(2, both.ExitCode);
        var badTime = await server.RunAsync("incident", "check", incident, "--run", "--from", "last tuesday");
        Assert.Equal(2, badTime.ExitCode);
        var backwards = await server.RunAsync("incident", "check", incident, "--run", "--from", "2026-03-02T00:00:00Z", "--to", "2026-03-01T00:00:00Z");
        Assert.Equal(2, backwards.ExitCode);
        Assert.Contains("from must be before to", backwards.Err);
        var missing = await server.RunAsync("incident", "check", "INC-1999-9999");
        Assert.Equal(1, missing.ExitCode);
        Assert.Contains("not found", missing.Err);
        var noRef = await server.RunAsync("incident", "check");
        Assert.Equal(2, noRef.ExitCode);
    }
}
