using System.Text.Json;

namespace Firebreak.Cli.Tests.Commands;

public sealed class PostMortemCommandTests(ServerFixture server) : IClassFixture<ServerFixture>
{
    [Fact]
    public async Task ReviewSet_WritesAnswers_KeepsTheOthers_AndShowReadsThemBack()
    {
        var reference = await server.CreateIncidentAsync("Keys in a public repo");

        var first = await server.RunAsync("incident", "review", "set", reference, "--summary", "Key leaked", "--root-cause", "No secret scanning",
            "--provider-sla", "No, 3 h late");
        Assert.True(first.ExitCode == 0, first.ToString());
        Assert.Contains("Review recorded.", first.Out);
        var second = await server.RunAsync("incident", "review", "set", reference, "--detect-sooner", "Yes, from the provider's notice");
        Assert.True(second.ExitCode == 0, second.ToString());
        Assert.Contains("Review updated.", second.Out);

        var shown = await server.RunAsync("incident", "review", "show", reference);
        Assert.Contains("No secret scanning", shown.Out);
        Assert.Contains("Yes, from the provider's notice", shown.Out);
        var json = await server.RunAsync("incident", "review", "show", reference, "--json");
        using var doc = JsonDocument.Parse(json.Out);
        Assert.Equal("Key leaked", doc.RootElement.GetProperty("summary").GetString());
        Assert.Equal("No, 3 h late", doc.RootElement.GetProperty("providerSla").GetString());
        Assert.Equal(1, doc.RootElement.GetProperty("version").GetInt64());
    }

    [Fact]
    public async Task ReviewSet_RefusesBadInput_WithTheRightExitCodes()
    {
        var reference = await server.CreateIncidentAsync("No review yet");

        var noSummary = await server.RunAsync("incident", "review", "set", reference, "--root-cause", "x");
        Assert.Equal(ExitCodes.Usage, noSummary.ExitCode);
        Assert.Contains("--summary", noSummary.Err);
        var nothing = await server.RunAsync("incident", "review", "set", reference);
        Assert.Equal(ExitCodes.Usage, nothing.ExitCode);
        var tooLong = await server.RunAsync("incident", "review", "set", reference, "--summary", new string('x', 20_001));
        Assert.Equal(ExitCodes.Usage, tooLong.ExitCode);
        Assert.Contains("summary", tooLong.Err);
        var missing = await server.RunAsync("incident", "review", "show", "INC-1999-9999");
        Assert.Equal(ExitCodes.Refused, missing.ExitCode);
        var viewer = await server.CreateApiKeyAsync("viewer");
        var forbidden = await server.RunWithKeyAsync(viewer, "incident", "review", "set", reference, "--summary", "x");
        Assert.Equal(ExitCodes.Refused, forbidden.ExitCode);
        Assert.Contains("Forbidden", forbidden.Err);
    }

    [Fact]
    public async Task FollowUps_AddListAndComplete_FlaggingOverdueOnes()
    {
        var reference = await server.CreateIncidentAsync("Follow-ups");
        var added = await server.RunAsync("incident", "followups", "add", reference, "--title", "Enable secret scanning", "--due", "2020-02-01", "--json");
        Assert.True(added.ExitCode == 0, added.ToString());
        var id = JsonDocument.Parse(added.Out).RootElement.GetProperty("id").GetString()!;

        var overdue = await server.RunAsync("incident", "followups", "list", "--overdue");
        Assert.True(overdue.ExitCode == 0, overdue.ToString());
        Assert.Contains(id, overdue.Out);
        Assert.Contains("OVERDUE", overdue.Out);
        var done = await server.RunAsync("incident", "followups", "set-status", reference, id, "--status", "done");
        Assert.True(done.ExitCode == 0, done.ToString());
        Assert.Contains("Enable secret scanning: done.", done.Out);
        var open = await server.RunAsync("incident", "followups", "list", "--json");
        Assert.DoesNotContain(id, open.Out);
        var ofIncident = await server.RunAsync("incident", "followups", "list", reference, "--json");
        Assert.Contains("\"status\":\"done\"", ofIncident.Out);

        var badDate = await server.RunAsync("incident", "followups", "add", reference, "--title", "x", "--due", "next week");
        Assert.Equal(ExitCodes.Usage, badDate.ExitCode);
        var badStatus = await server.RunAsync("incident", "followups", "set-status", reference, id, "--status", "finished");
        Assert.Equal(ExitCodes.Usage, badStatus.ExitCode);
        var unknown = await server.RunAsync("incident", "followups", "set-status", reference, Guid.NewGuid().ToString(), "--status", "done");
        Assert.Equal(ExitCodes.Refused, unknown.ExitCode);
    }

    [Fact]
    public async Task Metrics_PrintsMeansPerBucket_AndRefusesABackwardsRange()
    {
        await server.CreateIncidentAsync("Trend", "--severity", "SEV2", "--category", "malware");

        var table = await server.RunAsync("metrics", "--group-by", "severity", "--bucket", "week");
        Assert.True(table.ExitCode == 0, table.ToString());
        Assert.Contains("MTTC", table.Out);
        Assert.Contains("SEV2", table.Out);
        var json = await server.RunAsync("metrics", "--category", "malware", "--json");
        using var doc = JsonDocument.Parse(json.Out);
        Assert.True(doc.RootElement.GetProperty("incidents").GetInt32() >= 1);
        Assert.Equal("month", doc.RootElement.GetProperty("bucket").GetString());

        var backwards = await server.RunAsync("metrics", "--from", "2026-06-01", "--to", "2026-01-01");
        Assert.Equal(ExitCodes.Usage, backwards.ExitCode);
        Assert.Contains("from must be before to", backwards.Err);
        var badBucket = await server.RunAsync("metrics", "--bucket", "year");
        Assert.Equal(ExitCodes.Usage, badBucket.ExitCode);
    }
}
