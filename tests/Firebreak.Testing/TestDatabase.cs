using Microsoft.Data.Sqlite;
using Npgsql;

namespace Firebreak.Testing;

public enum DatabaseKind
{
    Sqlite,
    Postgres,
}

/// <summary>
/// A fresh, empty database for one test class or test: a SQLite file in a temporary data directory,
/// or a new database on the PostgreSQL server named by FIREBREAK_TEST_POSTGRES (the test script
/// starts one). Without that server the PostgreSQL tests skip, except under CI=true, where they fail.
/// </summary>
public sealed class TestDatabase : IAsyncDisposable
{
    public const string PostgresVariable = "FIREBREAK_TEST_POSTGRES";

    private TestDatabase(DatabaseKind kind, string dataDirectory, string? postgresConnection, string? postgresName)
    {
        Kind = kind;
        DataDirectory = dataDirectory;
        PostgresConnection = postgresConnection;
        _postgresName = postgresName;
    }

    private readonly string? _postgresName;

    public DatabaseKind Kind { get; }
    public string DataDirectory { get; }
    public string? PostgresConnection { get; }

    /// <summary>Configuration keys that point Firebreak at this database.</summary>
    public IReadOnlyDictionary<string, string?> Settings => new Dictionary<string, string?>
    {
        ["Firebreak:DataDirectory"] = DataDirectory,
        ["ConnectionStrings:Postgres"] = PostgresConnection,
    };

    public static async Task<TestDatabase> CreateAsync(DatabaseKind kind)
    {
        var dataDirectory = Path.Combine(Path.GetTempPath(), "firebreak-tests", Guid.NewGuid().ToString("n"));
        Directory.CreateDirectory(dataDirectory);
        if (kind == DatabaseKind.Sqlite) return new TestDatabase(kind, dataDirectory, null, null);

        var server = RequirePostgres();
        var name = "fb_" + Guid.NewGuid().ToString("n");
        await using (var connection = new NpgsqlConnection(server))
        {
            await connection.OpenAsync();
            await using var command = new NpgsqlCommand($"CREATE DATABASE \"{name}\"", connection);
            await command.ExecuteNonQueryAsync();
        }
        var builder = new NpgsqlConnectionStringBuilder(server) { Database = name };
        return new TestDatabase(kind, dataDirectory, builder.ConnectionString, name);
    }

    /// <summary>The server's connection string, or a skip (a failure under CI).</summary>
    public static string RequirePostgres()
    {
        var server = Environment.GetEnvironmentVariable(PostgresVariable);
        if (!string.IsNullOrWhiteSpace(server)) return server;
        if (string.Equals(Environment.GetEnvironmentVariable("CI"), "true", StringComparison.OrdinalIgnoreCase))
            throw new InvalidOperationException($"{PostgresVariable} is not set: under CI the PostgreSQL tests must run. Use scripts/test.sh.");
        Xunit.Assert.Skip($"PostgreSQL is not available ({PostgresVariable} unset); scripts/test.sh starts one.");
        return "";
    }

    public async ValueTask DisposeAsync()
    {
        SqliteConnection.ClearAllPools();
        if (_postgresName is not null)
        {
            NpgsqlConnection.ClearAllPools();
            try
            {
                await using var connection = new NpgsqlConnection(Environment.GetEnvironmentVariable(PostgresVariable));
                await connection.OpenAsync();
                await using var command = new NpgsqlCommand($"DROP DATABASE IF EXISTS \"{_postgresName}\" WITH (FORCE)", connection);
                await command.ExecuteNonQueryAsync();
            }
            catch (NpgsqlException)
            {
                // Cleanup only; the cluster itself is thrown away after the run.
            }
        }
        try
        {
            Directory.Delete(DataDirectory, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
