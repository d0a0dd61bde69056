using System.CommandLine;
using System.Text.RegularExpressions;
using Firebreak.Core.Persistence;
using Firebreak.Server.Hosting;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Firebreak.Cli.Hosting;

/// <summary>
/// The options every command that opens the database shares, turned into the configuration the server
/// reads, so serve, db and admin always agree on which database they use.
/// </summary>
internal sealed partial class HostArguments
{
    public Option<string?> DataDirectory { get; } = new("--data-dir")
    {
        Description = "Folder for the SQLite database and other state (configuration key Firebreak:DataDirectory; default ~/.local/share/firebreak).",
        HelpName = "DIR",
    };

    public Option<string?> Postgres { get; } = new("--postgres")
    {
        Description = "PostgreSQL connection string; overrides the environment variable ConnectionStrings__Postgres. Without either, SQLite is used.",
        HelpName = "CONN",
    };

    public void AddTo(Command command)
    {
        command.Add(DataDirectory);
        command.Add(Postgres);
        // Lets "--Section:Key=Value" configuration through; anything else unmatched is refused in ToArgs.
        command.TreatUnmatchedTokensAsErrors = false;
    }

    public string[] ToArgs(ParseResult parseResult, params string[] dedicated)
    {
        var overrides = new List<string>();
        foreach (var token in parseResult.UnmatchedTokens)
        {
            if (!ConfigurationOverride().IsMatch(token))
                throw new CliException(ExitCodes.Usage, $"Unrecognized argument '{token}'. Configuration overrides take the form --Section:Key=Value.");
            overrides.Add(token);
        }
        // The command line's last value wins, so the dedicated options go after the generic overrides.
        var args = new List<string>(overrides);
        if (!overrides.Any(o => o.StartsWith("--contentRoot=", StringComparison.OrdinalIgnoreCase)))
        {
            // Next to the executable, not the working directory: published static assets and appsettings live there.
            args.Add("--contentRoot=" + AppContext.BaseDirectory);
        }
        args.AddRange(dedicated);
        var dataDirectory = parseResult.GetValue(DataDirectory);
        if (!string.IsNullOrWhiteSpace(dataDirectory)) args.Add("--Firebreak:DataDirectory=" + Path.GetFullPath(dataDirectory));
        var postgres = parseResult.GetValue(Postgres);
        if (!string.IsNullOrWhiteSpace(postgres)) args.Add("--ConnectionStrings:Postgres=" + postgres);
        return [.. args];
    }

    /// <summary>
    /// The server for this executable. The static asset manifests are named after the executable that
    /// was built or published, so the application name must follow it or the server cannot find the UI's scripts.
    /// </summary>
    public static WebApplication Build(string[] args, bool quiet)
    {
        return FirebreakApp.Build(args, builder =>
        {
            var ownName = typeof(HostArguments).Assembly.GetName().Name!;
            if (File.Exists(Path.Combine(AppContext.BaseDirectory, ownName + ".staticwebassets.endpoints.json")))
            {
                builder.Environment.ApplicationName = ownName;
            }
            // Outside Development the framework only reads wwwroot; a build (not a publish) keeps its
            // assets in the source tree and package cache, described by the runtime manifest.
            builder.WebHost.UseStaticWebAssets();
            if (quiet) builder.Logging.ClearProviders();
        });
    }

    /// <summary>Applies pending migrations and names the ones it applied.</summary>
    public static async Task<IReadOnlyList<string>> MigrateAsync(WebApplication app, CancellationToken cancellationToken)
    {
        IReadOnlyList<string> pending;
        var settings = app.Services.GetRequiredService<DatabaseSettings>();
        if (settings.Provider == DatabaseProvider.Sqlite)
        {
            // Asking SQLite for pending migrations opens the file, which fails if its folder is missing.
            var file = new Microsoft.Data.Sqlite.SqliteConnectionStringBuilder(settings.ConnectionString).DataSource;
            var folder = Path.GetDirectoryName(Path.GetFullPath(file));
            if (!string.IsNullOrEmpty(folder)) Directory.CreateDirectory(folder);
        }
        await using (var scope = app.Services.CreateAsyncScope())
        {
            var factory = scope.ServiceProvider.GetRequiredService<IDbContextFactory<FirebreakDbContext>>();
            await using var db = await factory.CreateDbContextAsync(cancellationToken);
            pending = [.. await db.Database.GetPendingMigrationsAsync(cancellationToken)];
        }
        await app.MigrateDatabaseAsync(cancellationToken);
        return pending;
    }

    [GeneratedRegex(@"^--[A-Za-z][A-Za-z0-9_.:\-]*=", RegexOptions.CultureInvariant)]
    private static partial Regex ConfigurationOverride();
}
