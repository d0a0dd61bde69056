using System.Text.Json;

namespace Firebreak.Cli.Tests.Commands;

public sealed class ResponseCommandTests(ServerFixture server) : IClassFixture<ServerFixture>
{
    [Fact]
    public async Task Status_OnAnIncidentWithoutActions_SaysSo_AndJsonIsAnEmptyList()
    {
        var incident = await server.CreateIncidentAsync("Nothing done yet");

        var table = await server.RunAsync("respond", "status", incident);
        var json = await server.RunAsync("respond", "status", incident, "--json");

        Assert.True(table.ExitCode == 0, table.ToString());
        Assert.Contains("No response actions on this incident.", table.Out);
        Assert.Equal(0, JsonDocument.Parse(json.Out).RootElement.GetArrayLength());
    }

    [Fact]
    public async Task Plan_ForAnAccountTheServerCannotActIn_IsAUsageError_WithTheServersReason()
    {
        var incident = await server.CreateIncidentAsync("Miner");

        var result = await server.RunAsync("respond", "plan", incident, "--action", "aws-capture-instance", "--account", "123456789012", "--region", "eu-west-1",
            "--resource", "i-0abc1234def567890", "--criticality", "HIGH", "--choice", "contain-accept-downtime", "--choice-reason", "evidence first", "--reason", "collect");

        Assert.Equal(ExitCodes.Usage, result.ExitCode);
        Assert.Contains("not configured for response actions", result.Err);
        Assert.Contains("No response actions", (await server.RunAsync("respond", "status", incident)).Out);
    }

    [Fact]
    public async Task BadInput_IsRefusedBeforeAnyRequest()
    {
        var badChoice = await server.RunAsync("respond", "plan", "INC-2026-0001", "--action", "aws-stop-instance", "--account", "123456789012", "--region", "eu-west-1",
            "--resource", "i-0abc1234def567890", "--criticality", "high", "--choice", "yolo", "--choice-reason", "r", "--reason", "r");
        var badInput = await server.RunAsync("respond", "plan", "INC-2026-0001", "--action", "aws-isolate-instance", "--account", "123456789012", "--region", "eu-west-1",
            "--resource", "i-0abc1234def567890", "--criticality", "high", "--choice", "contain-accept-downtime", "--choice-reason", "r", "--reason", "r", "--input", "examinerCidr");
        var badId = await server.RunAsync("respond", "run", "INC-2026-0001", "not-a-guid");
        var unknown = await server.RunAsync("respond", "run", await server.CreateIncidentAsync("x"), Guid.NewGuid().ToString());

        Assert.Equal(ExitCodes.Usage, badChoice.ExitCode);
        Assert.Contains("contain-accept-downtime", badChoice.Err);
        Assert.Equal(ExitCodes.Usage, badInput.ExitCode);
        Assert.Contains("name=value", badInput.Err);
        Assert.Equal(ExitCodes.Usage, badId.ExitCode);
        Assert.Equal(ExitCodes.Refused, unknown.ExitCode);
        Assert.Contains("was not found", unknown.Err);
    }
}
