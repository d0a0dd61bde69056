using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Configuration;

namespace Firebreak.Core.Persistence;

public enum DatabaseProvider
{
    Sqlite,
    Postgres,
}

/// <summary>
/// Which database to use. A PostgreSQL connection string (ConnectionStrings:Postgres) selects
/// PostgreSQL; otherwise Firebreak keeps a SQLite file in its data directory.
/// </summary>
public sealed record DatabaseSettings(DatabaseProvider Provider, string ConnectionString, string DataDirectory)
{
    public const string SqliteMigrationsAssembly = "Firebreak.Migrations.Sqlite";
    public const string PostgresMigrationsAssembly = "Firebreak.Migrations.Postgres";

    public static DatabaseSettings From(IConfiguration configuration)
    {
        var dataDirectory = DataDirectoryFrom(configuration);
        var postgres = configuration.GetConnectionString("Postgres");
        if (!string.IsNullOrWhiteSpace(postgres))
        {
            return new DatabaseSettings(DatabaseProvider.Postgres, postgres, dataDirectory);
        }
        var sqlite = configuration.GetConnectionString("Sqlite");
        if (string.IsNullOrWhiteSpace(sqlite))
        {
            sqlite = new SqliteConnectionStringBuilder
            {
                DataSource = Path.Combine(dataDirectory, "firebreak.db"),
                Pooling = true,
                DefaultTimeout = 30,
            }.ToString();
        }
        return new DatabaseSettings(DatabaseProvider.Sqlite, sqlite, dataDirectory);
    }

    /// <summary>Firebreak:DataDirectory, else $XDG_DATA_HOME/firebreak, else ~/.local/share/firebreak.</summary>
    public static string DataDirectoryFrom(IConfiguration configuration)
    {
        var configured = configuration["Firebreak:DataDirectory"];
        if (!string.IsNullOrWhiteSpace(configured)) return Path.GetFullPath(configured);
        var xdg = Environment.GetEnvironmentVariable("XDG_DATA_HOME");
        var root = !string.IsNullOrWhiteSpace(xdg)
            ? xdg
            : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".local", "share");
        return Path.Combine(root, "firebreak");
    }

    public void Configure(DbContextOptionsBuilder options)
    {
        switch (Provider)
        {
            case DatabaseProvider.Postgres:
                options.UseNpgsql(ConnectionString, o => o.MigrationsAssembly(PostgresMigrationsAssembly));
                break;
            default:
                // One statement per command: SQLite is in-process, so batching saves no round trip, and Microsoft.Data.Sqlite
                // binds every parameter of a command to each of its statements by name, which makes a batch of
                // n updates cost n² name lookups (a thousand repeated alerts in one intake group took most of its time).
                options.UseSqlite(ConnectionString, o => o.MigrationsAssembly(SqliteMigrationsAssembly).MaxBatchSize(1));
                break;
        }
    }

    /// <summary>A safe description for logs and the console: never the password.</summary>
    public string Describe() => Provider switch
    {
        DatabaseProvider.Postgres => "PostgreSQL " + DescribePostgres(ConnectionString),
        _ => "SQLite " + new SqliteConnectionStringBuilder(ConnectionString).DataSource,
    };

    private static string DescribePostgres(string connectionString)
    {
        var builder = new Npgsql.NpgsqlConnectionStringBuilder(connectionString);
        return $"{builder.Host}:{builder.Port}/{builder.Database}";
    }
}

public static class DatabaseMigrator
{
    /// <summary>Creates the SQLite folder, applies pending migrations, and turns on WAL for SQLite.</summary>
    public static async Task MigrateAsync(FirebreakDbContext db, DatabaseSettings settings, CancellationToken cancellationToken = default)
    {
        if (settings.Provider == DatabaseProvider.Sqlite)
        {
            var file = new SqliteConnectionStringBuilder(settings.ConnectionString).DataSource;
            var folder = Path.GetDirectoryName(Path.GetFullPath(file));
            if (!string.IsNullOrEmpty(folder)) Directory.CreateDirectory(folder);
        }
        await db.Database.MigrateAsync(cancellationToken);
        if (settings.Provider == DatabaseProvider.Sqlite)
        {
            // WAL is a property of the file: set once, it lasts. Readers then never block the writer.
            await db.Database.ExecuteSqlRawAsync("PRAGMA journal_mode=WAL;", cancellationToken);
        }
    }
}
