using System.CommandLine;
using Firebreak.Cli.Hosting;
using Firebreak.Core.Persistence;
using Microsoft.Extensions.DependencyInjection;

namespace Firebreak.Cli.Commands;

internal static class DbCommands
{
    public static Command Create(CliContext context, CommandCatalog catalog)
    {
        var db = catalog.Create("db", "Database maintenance.", "firebreak db migrate");
        var migrate = catalog.Create("migrate",
            "Apply pending migrations to the configured database (SQLite in the data directory, or PostgreSQL when ConnectionStrings__Postgres or --postgres is set).",
            "firebreak db migrate",
            "firebreak db migrate --data-dir /var/lib/firebreak",
            "firebreak db migrate --postgres 'Host=db;Database=firebreak;Username=fb;Password=...'");
        var host = new HostArguments();
        host.AddTo(migrate);
        migrate.SetAction(async (parseResult, cancellationToken) =>
        {
            await using var app = HostArguments.Build(host.ToArgs(parseResult), quiet: true);
            var settings = app.Services.GetRequiredService<DatabaseSettings>();
            context.Output.WriteLine($"Database: {settings.Describe()}");
            var applied = await context.WithStatusAsync("Applying migrations...", () => HostArguments.MigrateAsync(app, cancellationToken));
            if (applied.Count == 0)
            {
                context.Output.WriteLine("Already up to date: no pending migrations.");
            }
            else
            {
                context.Output.WriteLine($"Applied {applied.Count} migration(s):");
                foreach (var name in applied) context.Output.WriteLine("  " + name);
            }
            return ExitCodes.Ok;
        });
        db.Add(migrate);
        return db;
    }
}
