using System.CommandLine;
using Firebreak.Cli.Client;
using Firebreak.Server.Hosting;

namespace Firebreak.Cli.Commands;

/// <summary>The --server and --api-key options every client command shares, and how they become a client.</summary>
internal sealed class Connection(CliContext context)
{
    public CliContext Context { get; } = context;

    public Option<string?> Server { get; } = new("--server")
    {
        Description = $"Server URL (default: {IncidentCommands.UrlVariable}, else {FirebreakApp.DefaultUrl}).",
        HelpName = "URL",
        Recursive = true,
    };

    public Option<string?> ApiKey { get; } = new("--api-key")
    {
        Description = $"API key. Prefer {IncidentCommands.KeyVariable}: a key on the command line lands in shell history and process lists.",
        HelpName = "KEY",
        Recursive = true,
    };

    public FirebreakClient Open(ParseResult parseResult, TimeSpan? timeout = null)
    {
        var server = parseResult.GetValue(Server) ?? Context.GetEnvironmentVariable(IncidentCommands.UrlVariable) ?? FirebreakApp.DefaultUrl;
        var key = parseResult.GetValue(ApiKey) ?? Context.GetEnvironmentVariable(IncidentCommands.KeyVariable)
            ?? throw new CliException(ExitCodes.Usage,
                $"No API key. Set {IncidentCommands.KeyVariable} (or pass --api-key). An operator creates one with 'firebreak admin create-api-key --name NAME --role responder'.");
        return FirebreakClient.Create(server, key, timeout);
    }

    public int PrintJson(ApiResponse response)
    {
        Context.Output.WriteLine(response.Json);
        return ExitCodes.Ok;
    }
}
