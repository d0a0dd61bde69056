using System.CommandLine;
using Firebreak.Cli.Hosting;
using Firebreak.Core.Identity;
using Firebreak.Core.Persistence;
using Firebreak.Server.Hosting;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Spectre.Console;

namespace Firebreak.Cli.Commands;

internal static class ServeCommand
{
    public static Command Create(CliContext context, CommandCatalog catalog)
    {
        var command = catalog.Create("serve",
            $"Host the Firebreak API and web UI. Applies pending database migrations first. Default URL {FirebreakApp.DefaultUrl}; any --Section:Key=Value sets a configuration value.",
            "firebreak serve",
            "firebreak serve --urls http://0.0.0.0:8080 --data-dir /var/lib/firebreak",
            "ConnectionStrings__Postgres='Host=db;Database=firebreak;Username=fb;Password=...' firebreak serve");
        var urls = new Option<string?>("--urls")
        {
            Description = $"Address(es) to listen on, separated by ';' (default {FirebreakApp.DefaultUrl}; port 0 picks a free port).",
            HelpName = "URL",
        };
        var host = new HostArguments();
        command.Add(urls);
        host.AddTo(command);
        command.SetAction((parseResult, cancellationToken) =>
        {
            var url = parseResult.GetValue(urls);
            var args = host.ToArgs(parseResult, string.IsNullOrWhiteSpace(url) ? [] : ["--urls=" + url]);
            return RunAsync(context, args, cancellationToken);
        });
        return command;
    }

    private static async Task<int> RunAsync(CliContext context, string[] args, CancellationToken cancellationToken)
    {
        await using var app = HostArguments.Build(args, quiet: false);
        var settings = app.Services.GetRequiredService<DatabaseSettings>();
        var applied = await HostArguments.MigrateAsync(app, cancellationToken);
        await app.StartAsync(cancellationToken);

        var console = context.Console;
        var addresses = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()?.Addresses ?? [];
        foreach (var address in addresses) console.MarkupLine($"Firebreak listening on [bold]{Markup.Escape(address)}[/]");
        console.MarkupLine($"Database: {Markup.Escape(settings.Describe())}" + (applied.Count > 0 ? $" ({applied.Count} migration(s) applied)" : ""));
        if (!await AnyUsersAsync(app, cancellationToken))
        {
            console.MarkupLine("[yellow]No users yet.[/] Create the first tenant and administrator with: [bold]firebreak admin bootstrap[/]");
        }
        console.MarkupLine("Press Ctrl+C to stop.");

        await app.WaitForShutdownAsync(cancellationToken);
        return ExitCodes.Ok;
    }

    private static async Task<bool> AnyUsersAsync(WebApplication app, CancellationToken cancellationToken)
    {
        await using var scope = app.Services.CreateAsyncScope();
        var factory = scope.ServiceProvider.GetRequiredService<IDbContextFactory<FirebreakDbContext>>();
        await using var db = await factory.CreateDbContextAsync(cancellationToken);
        db.ActAs(Actors.System("serve"));
        return await db.Users.AnyAsync(cancellationToken);
    }
}
