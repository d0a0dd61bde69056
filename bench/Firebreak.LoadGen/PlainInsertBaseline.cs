using System.Data.Common;
using System.Diagnostics;
using System.Globalization;
using Microsoft.Data.Sqlite;
using Npgsql;

namespace Firebreak.LoadGen;

/// <summary>
/// What storing alerts costs with no deduplication, no idempotency receipts, no HTTP and no ORM: parameterised
/// multi-row INSERTs into a scratch table with only a primary key, committed every --batch-size rows, into the
/// same database file or server the product uses. This is the floor the intake path is compared against.
/// </summary>
public static class PlainInsertBaseline
{
    private const string Table = "BenchPlainAlerts";
    private const int RowsPerStatement = 500;
    private static readonly string[] Columns =
        ["Id", "TenantId", "Source", "SourceReference", "Title", "Description", "Severity", "DetectedAt", "ReceivedAt", "Provider", "Account", "Region"];

    public static async Task<int> RunAsync(LoadOptions options)
    {
        await using DbConnection db = options.Postgres is { } pg ? new NpgsqlConnection(pg)
            : options.Sqlite is { } file ? new SqliteConnection($"Data Source={file}")
            : throw new ArgumentException("baseline needs --sqlite FILE or --postgres CONNECTION.");
        await db.OpenAsync();
        var postgres = db is NpgsqlConnection;
        await ExecuteAsync(db, $"DROP TABLE IF EXISTS \"{Table}\"");
        await ExecuteAsync(db, $"""
            CREATE TABLE "{Table}" ("Id" {(postgres ? "uuid" : "TEXT")} PRIMARY KEY, "TenantId" {(postgres ? "uuid" : "TEXT")} NOT NULL, "Source" TEXT NOT NULL,
              "SourceReference" TEXT, "Title" TEXT NOT NULL, "Description" TEXT, "Severity" INTEGER NOT NULL, "DetectedAt" {(postgres ? "timestamptz" : "TEXT")} NOT NULL,
              "ReceivedAt" {(postgres ? "timestamptz" : "TEXT")} NOT NULL, "Provider" TEXT, "Account" TEXT, "Region" TEXT)
            """);
        var tenant = Guid.NewGuid();
        var random = new Random(42);
        var clock = Stopwatch.StartNew();
        var latencies = new Latencies();
        long stored = 0;
        var limit = Stopwatch.StartNew();
        while (stored < options.Count && limit.Elapsed.TotalSeconds < options.Seconds * 10)
        {
            var commit = Stopwatch.GetTimestamp();
            await using var tx = await db.BeginTransactionAsync();
            var inCommit = (int)Math.Min(options.BatchSize, options.Count - stored);
            if (postgres) await InsertMultiRowAsync(db, tx, stored, inCommit, tenant, random);
            else await InsertPreparedAsync(db, tx, stored, inCommit, tenant, random);
            await tx.CommitAsync();
            stored += inCommit;
            latencies.Add(Stopwatch.GetElapsedTime(commit).TotalMilliseconds);
        }
        var seconds = clock.Elapsed.TotalSeconds;
        await ExecuteAsync(db, $"DROP TABLE \"{Table}\"");
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"[{options.Label}] {stored:N0} rows in {seconds:F1} s: {stored / seconds:N0} rows/s; {options.BatchSize} rows per commit; commit time {latencies.Describe()}"));
        return 0;
    }

    /// <summary>PostgreSQL: few round trips matter most, so many rows per statement.</summary>
    private static async Task InsertMultiRowAsync(DbConnection db, DbTransaction tx, long first, int count, Guid tenant, Random random)
    {
        for (var done = 0; done < count; done += RowsPerStatement)
        {
            var rows = Math.Min(RowsPerStatement, count - done);
            await using var command = db.CreateCommand();
            command.Transaction = tx;
            var values = new List<string>(rows);
            for (var r = 0; r < rows; r++)
            {
                var names = new string[Columns.Length];
                for (var c = 0; c < Columns.Length; c++)
                {
                    names[c] = $"@p{r}_{c}";
                    var parameter = command.CreateParameter();
                    parameter.ParameterName = names[c];
                    parameter.Value = Value(c, first + done + r, tenant, random, postgres: true);
                    command.Parameters.Add(parameter);
                }
                values.Add("(" + string.Join(',', names) + ")");
            }
            command.CommandText = $"INSERT INTO \"{Table}\" ({string.Join(',', Columns.Select(c => $"\"{c}\""))}) VALUES {string.Join(',', values)}";
            await command.ExecuteNonQueryAsync();
        }
    }

    /// <summary>SQLite is in-process with no round trips: one prepared single-row statement, rebound per row, is its fastest path.</summary>
    private static async Task InsertPreparedAsync(DbConnection db, DbTransaction tx, long first, int count, Guid tenant, Random random)
    {
        await using var command = db.CreateCommand();
        command.Transaction = tx;
        command.CommandText = $"INSERT INTO \"{Table}\" ({string.Join(',', Columns.Select(c => $"\"{c}\""))}) VALUES ({string.Join(',', Columns.Select((_, i) => $"@p{i}"))})";
        var parameters = Columns.Select((_, i) =>
        {
            var parameter = command.CreateParameter();
            parameter.ParameterName = $"@p{i}";
            command.Parameters.Add(parameter);
            return parameter;
        }).ToArray();
        await command.PrepareAsync();
        for (var r = 0; r < count; r++)
        {
            for (var c = 0; c < Columns.Length; c++) parameters[c].Value = Value(c, first + r, tenant, random, postgres: false);
            await command.ExecuteNonQueryAsync();
        }
    }

    private static object Value(int column, long n, Guid tenant, Random random, bool postgres)
    {
        var now = DateTimeOffset.UtcNow;
        return column switch
        {
            0 => postgres ? Guid.CreateVersion7() : Guid.CreateVersion7().ToString().ToUpperInvariant(),
            1 => postgres ? tenant : tenant.ToString().ToUpperInvariant(),
            2 => "guardduty",
            3 => $"baseline-{n}",
            4 => "Access key used from a Tor exit node",
            5 => "Access key used from a Tor exit node. Seen by the load generator for a benchmark run.",
            6 => random.Next(5),
            7 or 8 => postgres ? now : now.ToString("O", CultureInfo.InvariantCulture),
            9 => "aws",
            10 => "123456789012",
            _ => "eu-west-1",
        };
    }

    private static async Task ExecuteAsync(DbConnection db, string sql)
    {
        await using var command = db.CreateCommand();
        command.CommandText = sql;
        await command.ExecuteNonQueryAsync();
    }
}
