using System.Net;
using System.Net.Sockets;
using System.Text.Json;

namespace Firebreak.Cli.Tests.Commands;

public sealed class IncidentCommandTests(ServerFixture server) : IClassFixture<ServerFixture>
{
    [Fact]
    public async Task Create_PrintsSummary_AndTheIncidentExistsOnTheServer()
    {
        var result = await server.RunAsync("incident", "create", "--title", "Access keys used from unknown ASN",
            "--summary", "GuardDuty finding on prod", "--severity", "sev2", "--category", "compromised-credentials", "--tag", "aws", "--tag", "iam");

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Matches(@"Created INC-\S+\.", result.Out);
        Assert.Contains("SEV2", result.Out);
        Assert.Contains("Detection & Analysis", result.Out);
        Assert.Contains("aws, iam", result.Out);
        Assert.Contains("GuardDuty finding on prod", result.Out);
        var reference = result.Out.Split("Created ")[1].Split('.')[0];

        var shown = await server.RunAsync("incident", "show", reference, "--json");
        using var json = JsonDocument.Parse(shown.Out);
        Assert.Equal("SEV2", json.RootElement.GetProperty("severity").GetString());
        Assert.Equal("compromised-credentials", json.RootElement.GetProperty("category").GetString());
    }

    [Fact]
    public async Task CreateJson_PrintsTheApiResponse_WithServerDefaults()
    {
        var result = await server.RunAsync("incident", "create", "--title", "Public bucket", "--tlp", "red", "--json");

        Assert.True(result.ExitCode == 0, result.ToString());
        using var json = JsonDocument.Parse(result.Out);
        Assert.Equal("Public bucket", json.RootElement.GetProperty("title").GetString());
        Assert.Equal("red", json.RootElement.GetProperty("tlp").GetString());
        Assert.Equal("SEV3", json.RootElement.GetProperty("severity").GetString());
        Assert.Equal("detection-and-analysis", json.RootElement.GetProperty("phase").GetString());
    }

    [Fact]
    public async Task List_ShowsMatchingIncidentsInATable_FilteredByTagAndSeverity()
    {
        var tag = "list-" + Guid.NewGuid().ToString("N")[..8];
        var sev1 = await server.CreateIncidentAsync("Crypto miner on build host", "--severity", "SEV1", "--tag", tag);
        var sev4 = await server.CreateIncidentAsync("Policy violation", "--severity", "SEV4", "--tag", tag);

        var all = await server.RunAsync("incident", "list", "--tag", tag);
        Assert.True(all.ExitCode == 0, all.ToString());
        Assert.Contains("Reference", all.Out);
        Assert.Contains(sev1, all.Out);
        Assert.Contains(sev4, all.Out);
        Assert.Contains("2 incident(s) match", all.Out);

        var filtered = await server.RunAsync("incident", "list", "--tag", tag, "--severity", "SEV1");
        Assert.Contains(sev1, filtered.Out);
        Assert.DoesNotContain(sev4, filtered.Out);
    }

    [Fact]
    public async Task ListJson_PrintsThePage_WithPagingApplied()
    {
        var tag = "page-" + Guid.NewGuid().ToString("N")[..8];
        for (var i = 0; i < 3; i++) await server.CreateIncidentAsync($"Paged {i}", "--tag", tag);

        var result = await server.RunAsync("incident", "list", "--tag", tag, "--page-size", "2", "--page", "2", "--sort", "createdAt", "--json");

        Assert.True(result.ExitCode == 0, result.ToString());
        using var json = JsonDocument.Parse(result.Out);
        Assert.Equal(3, json.RootElement.GetProperty("total").GetInt32());
        Assert.Equal(2, json.RootElement.GetProperty("page").GetInt32());
        var items = json.RootElement.GetProperty("items").EnumerateArray().ToList();
        Assert.Equal("Paged 2", Assert.Single(items).GetProperty("title").GetString());
    }

    [Fact]
    public async Task List_SaysSo_WhenNothingMatches()
    {
        var result = await server.RunAsync("incident", "list", "--tag", "nothing-" + Guid.NewGuid().ToString("N"));

        Assert.Equal(0, result.ExitCode);
        Assert.Contains("No incidents match.", result.Out);
    }

    [Fact]
    public async Task Show_PrintsTheIncident()
    {
        var reference = await server.CreateIncidentAsync("Suspicious console login", "--tag", "okta");

        var result = await server.RunAsync("incident", "show", reference);

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Contains(reference, result.Out);
        Assert.Contains("Suspicious console login", result.Out);
        Assert.Contains("(none assigned)", result.Out);
    }

    [Fact]
    public async Task Transition_MovesThePhase_WhenAManagerIsAssigned()
    {
        var reference = await server.CreateIncidentAsync("Exfiltration via presigned URLs");
        await server.AssignIncidentManagerAsync(reference);

        var result = await server.RunAsync("incident", "transition", reference, "--to", "containment", "--reason", "Confirmed; revoking sessions");

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Contains($"{reference} is now in Containment.", result.Out);
        var json = await server.RunAsync("incident", "transition", reference, "--to", "eradication", "--reason", "Contained", "--json");
        Assert.True(json.ExitCode == 0, json.ToString());
        using var body = JsonDocument.Parse(json.Out);
        Assert.Equal("eradication", body.RootElement.GetProperty("phase").GetString());
    }

    [Fact]
    public async Task Transition_FailsWithTheServersMessage_WhenTheGuardRefuses()
    {
        var reference = await server.CreateIncidentAsync("No manager yet");

        var result = await server.RunAsync("incident", "transition", reference, "--to", "containment", "--reason", "Trying");

        Assert.Equal(ExitCodes.Refused, result.ExitCode);
        Assert.Contains("Assign an incident manager before moving to Containment or later.", result.Err);
        var shown = await server.RunAsync("incident", "show", reference, "--json");
        Assert.Contains("\"phase\":\"detection-and-analysis\"", shown.Out);
    }

    [Fact]
    public async Task Show_ExitsOne_ForAnUnknownIncident()
    {
        var result = await server.RunAsync("incident", "show", "INC-1999-9999");

        Assert.Equal(ExitCodes.Refused, result.ExitCode);
        Assert.Contains("INC-1999-9999' was not found", result.Err);
        Assert.Equal("", result.Out);
    }

    [Fact]
    public async Task UnknownOption_IsAUsageError()
    {
        var result = await server.RunAsync("incident", "list", "--colour", "red");

        Assert.Equal(ExitCodes.Usage, result.ExitCode);
        Assert.Contains("'--colour'", result.Err);
        Assert.Contains("firebreak incident list --help", result.Err);
    }

    [Fact]
    public async Task BadSeverity_IsAUsageError_ListingTheValidValues()
    {
        var result = await server.RunAsync("incident", "create", "--title", "x", "--severity", "critical");

        Assert.Equal(ExitCodes.Usage, result.ExitCode);
        Assert.Contains("--severity: 'critical' is not valid. Use one of: SEV1, SEV2, SEV3, SEV4.", result.Err);
    }

    [Fact]
    public async Task MissingTitle_IsAUsageError()
    {
        var result = await server.RunAsync("incident", "create", "--severity", "SEV1");

        Assert.Equal(ExitCodes.Usage, result.ExitCode);
        Assert.Contains("'--title' is required", result.Err);
    }

    [Fact]
    public async Task FieldErrorsFromTheServer_AreShownPerField()
    {
        var result = await server.RunAsync("incident", "create", "--title", "   ");

        Assert.Equal(ExitCodes.Usage, result.ExitCode);
        Assert.Contains("One or more fields are invalid.", result.Err);
        Assert.Contains("  title: title is required.", result.Err);
    }

    [Fact]
    public async Task BadSort_ShowsTheServersFieldError()
    {
        var result = await server.RunAsync("incident", "list", "--sort", "colour");

        Assert.Equal(ExitCodes.Usage, result.ExitCode);
        Assert.Contains("  sort: sort must be one of", result.Err);
    }

    [Fact]
    public async Task MissingApiKey_IsAUsageError_ThatSaysWhereToPutOne()
    {
        var result = await server.RunWithKeyAsync(null, "incident", "list");

        Assert.Equal(ExitCodes.Usage, result.ExitCode);
        Assert.Contains("No API key. Set FIREBREAK_API_KEY", result.Err);
    }

    [Fact]
    public async Task RevokedKey_GetsAClearAuthenticationError_AndIsNeverPrinted()
    {
        var created = await server.AdminAsync("admin", "create-api-key", "--name", "soon-revoked", "--role", "viewer");
        var key = created.Printed("Key");
        var prefix = created.Out.Split("prefix ")[1].Split(',')[0];
        Assert.Equal(0, (await server.RunWithKeyAsync(key, "incident", "list")).ExitCode);

        var revoked = await server.AdminAsync("admin", "revoke-api-key", prefix);
        Assert.True(revoked.ExitCode == 0, revoked.ToString());
        var result = await server.RunWithKeyAsync(key, "incident", "list");

        Assert.Equal(ExitCodes.Refused, result.ExitCode);
        Assert.Contains("refused the API key: it is invalid, expired or revoked", result.Err);
        Assert.DoesNotContain(key, result.Err + result.Out);
    }

    [Fact]
    public async Task ViewerKey_IsForbiddenToCreate()
    {
        var viewer = await server.CreateApiKeyAsync("viewer");

        var result = await server.RunWithKeyAsync(viewer, "incident", "create", "--title", "Not allowed");

        Assert.Equal(ExitCodes.Refused, result.ExitCode);
        Assert.Contains("Forbidden", result.Err);
    }

    [Fact]
    public async Task UnreachableServer_IsExplained_WithExitTwo()
    {
        var url = $"http://127.0.0.1:{UnusedPort()}";

        var result = await server.RunAsync("incident", "list", "--server", url);

        Assert.Equal(ExitCodes.Usage, result.ExitCode);
        Assert.Contains($"Cannot reach the Firebreak server at {url}/", result.Err);
        Assert.Contains("connection refused", result.Err);
    }

    [Fact]
    public async Task MalformedServerUrl_IsAUsageError()
    {
        var result = await server.RunAsync("incident", "list", "--server", "localhost:5080");

        Assert.Equal(ExitCodes.Usage, result.ExitCode);
        Assert.Contains("--server must be an http:// or https:// URL", result.Err);
    }

    [Fact]
    public async Task ServerUrlThatIsNotTheApiBase_IsAUsageError_NotACrash()
    {
        var result = await server.RunAsync("incident", "list", "--server", server.Url + "/ui");

        Assert.Equal(ExitCodes.Usage, result.ExitCode);
        Assert.Contains("point --server or FIREBREAK_URL at the Firebreak server's base URL", result.Err);
        Assert.Equal("", result.Out);
    }

    private static int UnusedPort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
