using System.Security.Cryptography;
using System.Text.Json;

namespace Firebreak.Cli.Tests.Commands;

public sealed class RecoveryCommandTests(ServerFixture server) : IClassFixture<ServerFixture>, IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("firebreak-cli-recovery-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    [Fact]
    public async Task Recovery_RecordsABaseline_VerifiesTheRebuildFromAFile_AndRefusesAMismatch()
    {
        var template = Path.Combine(_folder, "web.yaml");
        await File.WriteAllTextAsync(template, "Resources:\n  Web:\n    Type: AWS::EC2::Instance\n", TestContext.Current.CancellationToken);
        var digest = "sha256:" + Convert.ToHexStringLower(SHA256.HashData(await File.ReadAllBytesAsync(template, TestContext.Current.CancellationToken)));
        var name = $"web-{Guid.NewGuid():n}";
        var recorded = await server.RunWithKeyAsync(server.ManagerKey, "recovery", "record-baseline", "--name", name, "--kind", "template", "--location", "s3://golden/web.yaml",
            "--file", template, "--reason", "Reviewed release 12");
        Assert.True(recorded.ExitCode == 0, recorded.ToString());
        Assert.Contains(digest, recorded.Out);
        var refused = await server.RunAsync("recovery", "record-baseline", "--name", name, "--kind", "template", "--location", "x", "--digest", digest, "--reason", "r");
        Assert.NotEqual(0, refused.ExitCode);

        var incident = await server.CreateIncidentAsync("Web tier rebuild");
        var added = await server.RunAsync("recovery", "add", incident, "--kind", "rebuild-from-template", "--description", "Rebuild web-1", "--baseline", name, "--json");
        Assert.True(added.ExitCode == 0, added.ToString());
        var id = JsonDocument.Parse(added.Out).RootElement.GetProperty("id").GetString()!;

        var mismatch = await server.RunAsync("recovery", "verify", incident, id, "--digest", "sha256:" + new string('e', 64));
        Assert.Equal(1, mismatch.ExitCode);
        Assert.Contains("mismatch", mismatch.Out);
        var notDone = await server.RunAsync("recovery", "set-status", incident, id, "--status", "done");
        Assert.NotEqual(0, notDone.ExitCode);
        Assert.Contains("does not match", notDone.Err);

        var match = await server.RunAsync("recovery", "verify", incident, id, "--file", template);
        Assert.True(match.ExitCode == 0, match.ToString());
        var done = await server.RunAsync("recovery", "set-status", incident, id, "--status", "done", "--note", "Rebuilt");
        Assert.True(done.ExitCode == 0, done.ToString());
        var list = await server.RunAsync("recovery", "list", incident);
        Assert.Contains("1 done", list.Out);

        var usage = await server.RunAsync("recovery", "verify", incident, id);
        Assert.Equal(2, usage.ExitCode);
    }

    [Theory]
    [InlineData("recovery")]
    [InlineData("escalation")]
    [InlineData("break-glass")]
    public async Task ConnectionOptions_AreHonoured_WithoutTheEnvironment(string group)
    {
        var incident = await server.CreateIncidentAsync($"Options for {group}");
        var noEnvironment = new Dictionary<string, string?> { ["FIREBREAK_URL"] = null, ["FIREBREAK_API_KEY"] = null };

        var listed = await Cli.RunAsync(noEnvironment, group, "list", incident, "--server", server.Url, "--api-key", server.ResponderKey, "--json");

        Assert.True(listed.ExitCode is 0 or 1, listed.ToString());
        Assert.DoesNotContain("No API key", listed.Err);
        var wrongKey = await Cli.RunAsync(noEnvironment, group, "list", incident, "--server", server.Url, "--api-key", "fbk_not-a-key");
        Assert.NotEqual(0, wrongKey.ExitCode);
    }

    [Fact]
    public async Task BreakGlass_StaysOpenUntilSomeoneElseClosesIt_AndEscalationsListResponses()
    {
        var incident = await server.CreateIncidentAsync("Root account used");
        var recorded = await server.RunAsync("break-glass", "record", incident, "--account", "arn:aws:iam::123456789012:root", "--credential", "root password + MFA",
            "--reason", "SSO hijacked", "--invoked-at", DateTimeOffset.UtcNow.AddMinutes(-10).ToString("O"), "--json");
        Assert.True(recorded.ExitCode == 0, recorded.ToString());
        var id = JsonDocument.Parse(recorded.Out).RootElement.GetProperty("id").GetString()!;
        Assert.Equal(1, (await server.RunAsync("break-glass", "list", incident)).ExitCode);
        var self = await server.RunAsync("break-glass", "close", incident, id, "--rotated-at", DateTimeOffset.UtcNow.ToString("O"), "--rotation-note", "n", "--review-note", "r");
        Assert.NotEqual(0, self.ExitCode);
        var closed = await server.RunWithKeyAsync(server.ManagerKey, "break-glass", "close", incident, id, "--rotated-at", DateTimeOffset.UtcNow.ToString("O"),
            "--rotation-note", "New password sealed", "--review-note", "Only planned calls");
        Assert.True(closed.ExitCode == 0, closed.ToString());
        Assert.Equal(0, (await server.RunAsync("break-glass", "list", incident)).ExitCode);

        var opened = await server.RunAsync("escalation", "open", incident, "--provider", "aws", "--case-id", "170001", "--opened-at", DateTimeOffset.UtcNow.AddHours(-2).ToString("O"),
            "--sla-minutes", "60", "--json");
        Assert.True(opened.ExitCode == 0, opened.ToString());
        var caseId = JsonDocument.Parse(opened.Out).RootElement.GetProperty("id").GetString()!;
        var overdue = await server.RunAsync("escalation", "list", incident);
        Assert.Equal(1, overdue.ExitCode);
        Assert.Contains("overdue", overdue.Out);
        var answered = await server.RunAsync("escalation", "respond", incident, caseId, "--received-at", DateTimeOffset.UtcNow.AddMinutes(-5).ToString("O"), "--summary", "Investigating");
        Assert.True(answered.ExitCode == 0, answered.ToString());
        Assert.Contains("responded with 1 response", answered.Out);
        Assert.Equal(0, (await server.RunAsync("escalation", "list", incident)).ExitCode);
        Assert.Equal(2, (await server.RunAsync("escalation", "respond", incident, caseId, "--received-at", "yesterday", "--summary", "x")).ExitCode);
    }
}
