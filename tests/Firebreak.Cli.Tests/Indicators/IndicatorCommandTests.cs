using System.Text.Json;

namespace Firebreak.Cli.Tests.Indicators;

public sealed class IndicatorCommandTests(ServerFixture server) : IClassFixture<ServerFixture>
{
    [Fact]
    public async Task Add_NormalisesTheValue_ListShowsIt_AndSearchFindsItAcrossIncidents()
    {
        var first = await server.CreateIncidentAsync("Tor logins", "--tlp", "red");
        var second = await server.CreateIncidentAsync("Second wave");

        var added = await server.RunAsync("indicator", "add", first, "--type", "ip", "--value", " ::ffff:10.9.8.7 ", "--description", "egress", "--tag", "tor");
        Assert.True(added.ExitCode == 0, added.ToString());
        Assert.Contains("Added ip:10.9.8.7", added.Out);
        Assert.Contains("TLP:RED", added.Out);
        Assert.Contains("Private address", added.Out);
        var again = await server.RunAsync("indicator", "add", second, "--type", "IP", "--value", "10.9.8.7", "--verdict", "malicious", "--json");
        Assert.True(again.ExitCode == 0, again.ToString());
        using (var json = JsonDocument.Parse(again.Out))
        {
            Assert.Equal("malicious", json.RootElement.GetProperty("verdict").GetString());
            Assert.Equal(first, json.RootElement.GetProperty("alsoSeenIn")[0].GetProperty("incident").GetString());
        }

        var table = await server.RunAsync("indicator", "list", first);
        Assert.True(table.ExitCode == 0, table.ToString());
        Assert.Contains("10.9.8.7", table.Out);
        Assert.Contains(second, table.Out);
        Assert.Contains("1 indicator(s).", table.Out);
        var listed = await server.RunAsync("indicator", "list", first, "--json");
        using (var json = JsonDocument.Parse(listed.Out))
            Assert.Equal("egress", json.RootElement.GetProperty("items")[0].GetProperty("description").GetString());

        var search = await server.RunAsync("indicator", "search", "10.9.8.7");
        Assert.True(search.ExitCode == 0, search.ToString());
        Assert.Contains(first, search.Out);
        Assert.Contains(second, search.Out);
        Assert.Contains("2 incident(s).", search.Out);
        var nothing = await server.RunAsync("indicator", "search", "198.51.100.250", "--type", "ip");
        Assert.Equal(ExitCodes.Refused, nothing.ExitCode);
        Assert.Contains("Not seen in any incident.", nothing.Out);
    }

    [Fact]
    public async Task BadInput_FailsWithAMessage_AndNothingIsAdded()
    {
        var incident = await server.CreateIncidentAsync("Bad input");

        var malformed = await server.RunAsync("indicator", "add", incident, "--type", "ip", "--value", "10.0.0.256");
        Assert.Equal(ExitCodes.Usage, malformed.ExitCode);
        Assert.Contains("must be an IPv4 or IPv6 address", malformed.Err);
        var unknownType = await server.RunAsync("indicator", "add", incident, "--type", "ipv9", "--value", "10.0.0.1");
        Assert.Equal(ExitCodes.Usage, unknownType.ExitCode);
        Assert.Contains("Use one of", unknownType.Err);
        var missing = await server.RunAsync("indicator", "add", incident, "--type", "ip");
        Assert.Equal(ExitCodes.Usage, missing.ExitCode);
        var tooLong = await server.RunAsync("indicator", "add", incident, "--type", "ip", "--value", "10.0.0.1", "--description", new string('d', 5000));
        Assert.Equal(ExitCodes.Usage, tooLong.ExitCode);
        Assert.Contains("description", tooLong.Err);
        var noIncident = await server.RunAsync("indicator", "add", "INC-1999-9999", "--type", "ip", "--value", "10.0.0.1");
        Assert.Equal(ExitCodes.Refused, noIncident.ExitCode);
        var viewer = await server.RunWithKeyAsync(await server.CreateApiKeyAsync("viewer"), "indicator", "add", incident, "--type", "ip", "--value", "10.0.0.1");
        Assert.Equal(ExitCodes.Refused, viewer.ExitCode);
        var badSearch = await server.RunAsync("indicator", "search", "not-a-hash", "--type", "hash");
        Assert.Equal(ExitCodes.Usage, badSearch.ExitCode);

        var list = await server.RunAsync("indicator", "list", incident);
        Assert.True(list.ExitCode == 0, list.ToString());
        Assert.Contains("No indicators.", list.Out);
    }
}
