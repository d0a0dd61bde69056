using System.Data.Common;
using System.Security.Cryptography;
using System.Text;
using Firebreak.Core.Persistence;
using Firebreak.Detection.Events;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Storage;
using Microsoft.EntityFrameworkCore.Storage.ValueConversion;
using Npgsql;
using NpgsqlTypes;

namespace Firebreak.Core.Investigation;

/// <summary>
/// Writes incident events in bulk, bypassing the change tracker: multi-row INSERT statements on SQLite,
/// binary COPY into a staging table on PostgreSQL. Duplicates (same incident and event id) are skipped
/// by the unique index, never raised. Runs inside the caller's transaction, so a batch and the import's
/// checkpoint commit together.
/// </summary>
internal static class IncidentEventWriter
{
    private const string Table = "\"IncidentEvents\"";

    // Every column but the database-assigned Id, in one fixed order used by both providers.
    private static readonly string[] Columns =
    [
        "TenantId", "IncidentId", "EventId", "Time", "IngestedAt", "ImportId", "Provider", "LogSource", "Account", "Region",
        "EventSource", "Operation", "PrincipalType", "Principal", "AccessKeyId", "SessionIssuer", "SourceIp", "UserAgent",
        "Resource", "Resources", "Result", "ErrorCode", "Origin", "Raw",
    ];

    /// <summary>
    /// Rows per SQLite statement. Few on purpose: Microsoft.Data.Sqlite binds each parameter by name, and
    /// SQLite finds a name by a linear scan of the statement's parameters, so binding costs grow with the
    /// square of the parameter count. At 500 rows (12,000 parameters) binding took seconds per statement;
    /// at 10 rows (240) it is negligible next to the insert itself.
    /// </summary>
    private const int SqliteRowsPerStatement = 10;

    private static readonly DateTimeOffsetToBinaryConverter SqliteTime = new();

    /// <summary>The normalised event as a row; over-long values are cut to the column sizes.</summary>
    public static IncidentEvent ToRow(CloudEvent e, Guid tenantId, Guid incidentId, Guid? importId, DateTimeOffset ingestedAt)
    {
        var raw = Clean(e.Raw.GetRawText())!;
        var eventId = Clean(e.EventId);
        if (string.IsNullOrWhiteSpace(eventId) || eventId.Length > EventLimits.ShortText)
        {
            eventId = "sha256:" + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(eventId ?? raw)));
        }
        return new IncidentEvent
        {
            TenantId = tenantId,
            IncidentId = incidentId,
            EventId = eventId,
            Time = e.Time.ToUniversalTime(),
            IngestedAt = ingestedAt,
            ImportId = importId,
            Provider = Cut(e.Provider, 16)!,
            LogSource = Cut(e.LogSource.Service, 32)!,
            Account = Cut(e.Account, EventLimits.ShortText),
            Region = Cut(e.Region, EventLimits.ShortText),
            EventSource = Cut(e.Service, EventLimits.ShortText),
            Operation = Cut(e.Operation, EventLimits.ShortText)!,
            PrincipalType = Cut(e.Actor.Type, EventLimits.ShortText),
            Principal = Cut(e.Actor.Arn ?? e.Actor.Uid ?? e.Actor.Name, EventLimits.LongText),
            AccessKeyId = Cut(e.Actor.AccessKeyId, EventLimits.ShortText),
            SessionIssuer = Cut(e.Actor.SessionIssuer, EventLimits.LongText),
            SourceIp = Cut(e.SourceIp, EventLimits.ShortText),
            UserAgent = Cut(e.UserAgent, EventLimits.LongText),
            Resource = Cut(e.Resources.FirstOrDefault()?.Uid, EventLimits.LongText),
            Resources = e.Resources.Count == 0 ? null : Clean(string.Join('\n', e.Resources.Select(r => r.Uid).Distinct())),
            Result = e.Outcome switch { EventOutcome.Success => EventResult.Success, EventOutcome.Failure => EventResult.Failure, _ => EventResult.Unknown },
            ErrorCode = Cut(e.ErrorCode, EventLimits.ShortText),
            Origin = e.Origin is { } o ? Cut($"{o.Source}:{o.Line}", EventLimits.LongText) : null,
            Raw = raw,
        };
    }

    /// <summary>Inserts the rows; returns how many were new (the rest were duplicates).</summary>
    public static Task<int> InsertAsync(FirebreakDbContext db, IReadOnlyList<IncidentEvent> rows, CancellationToken cancellationToken)
    {
        if (db.Database.CurrentTransaction is null) throw new InvalidOperationException("Bulk event writes run inside a transaction.");
        if (rows.Count == 0) return Task.FromResult(0);
        return db.Database.IsNpgsql() ? CopyAsync(db, rows, cancellationToken) : InsertSqliteAsync(db, rows, cancellationToken);
    }

    private static async Task<int> InsertSqliteAsync(FirebreakDbContext db, IReadOnlyList<IncidentEvent> rows, CancellationToken cancellationToken)
    {
        var connection = db.Database.GetDbConnection();
        var transaction = db.Database.CurrentTransaction!.GetDbTransaction();
        var inserted = 0;
        DbCommand? full = null;
        try
        {
            for (var start = 0; start < rows.Count; start += SqliteRowsPerStatement)
            {
                var count = Math.Min(SqliteRowsPerStatement, rows.Count - start);
                DbCommand command;
                if (count == SqliteRowsPerStatement)
                {
                    // The full-size statement is built once and prepared; only the values change.
                    full ??= CreateSqliteCommand(connection, transaction, count);
                    command = full;
                }
                else
                {
                    command = CreateSqliteCommand(connection, transaction, count);
                }
                try
                {
                    for (var i = 0; i < count; i++) Bind(command, i * Columns.Length, rows[start + i]);
                    inserted += await command.ExecuteNonQueryAsync(cancellationToken);
                }
                finally
                {
                    if (!ReferenceEquals(command, full)) await command.DisposeAsync();
                }
            }
        }
        finally
        {
            if (full is not null) await full.DisposeAsync();
        }
        return inserted;
    }

    private static DbCommand CreateSqliteCommand(DbConnection connection, DbTransaction transaction, int rows)
    {
        var command = connection.CreateCommand();
        command.Transaction = transaction;
        var sql = new StringBuilder("INSERT INTO ").Append(Table).Append(" (")
            .AppendJoin(", ", Columns.Select(c => $"\"{c}\"")).Append(") VALUES ");
        for (var r = 0; r < rows; r++)
        {
            sql.Append(r == 0 ? "(" : ", (");
            for (var c = 0; c < Columns.Length; c++)
            {
                var name = $"@p{(r * Columns.Length) + c}";
                sql.Append(c == 0 ? name : ", " + name);
                var parameter = command.CreateParameter();
                parameter.ParameterName = name;
                command.Parameters.Add(parameter);
            }
            sql.Append(')');
        }
        sql.Append(" ON CONFLICT DO NOTHING");
        command.CommandText = sql.ToString();
        return command;
    }

    private static void Bind(DbCommand command, int offset, IncidentEvent row)
    {
        var values = command.Parameters;
        values[offset + 0].Value = row.TenantId.ToString().ToUpperInvariant();
        values[offset + 1].Value = row.IncidentId.ToString().ToUpperInvariant();
        values[offset + 2].Value = row.EventId;
        values[offset + 3].Value = SqliteTime.ConvertToProvider(row.Time);
        values[offset + 4].Value = SqliteTime.ConvertToProvider(row.IngestedAt);
        values[offset + 5].Value = row.ImportId is { } import ? import.ToString().ToUpperInvariant() : DBNull.Value;
        values[offset + 6].Value = row.Provider;
        values[offset + 7].Value = row.LogSource;
        values[offset + 8].Value = (object?)row.Account ?? DBNull.Value;
        values[offset + 9].Value = (object?)row.Region ?? DBNull.Value;
        values[offset + 10].Value = (object?)row.EventSource ?? DBNull.Value;
        values[offset + 11].Value = row.Operation;
        values[offset + 12].Value = (object?)row.PrincipalType ?? DBNull.Value;
        values[offset + 13].Value = (object?)row.Principal ?? DBNull.Value;
        values[offset + 14].Value = (object?)row.AccessKeyId ?? DBNull.Value;
        values[offset + 15].Value = (object?)row.SessionIssuer ?? DBNull.Value;
        values[offset + 16].Value = (object?)row.SourceIp ?? DBNull.Value;
        values[offset + 17].Value = (object?)row.UserAgent ?? DBNull.Value;
        values[offset + 18].Value = (object?)row.Resource ?? DBNull.Value;
        values[offset + 19].Value = (object?)row.Resources ?? DBNull.Value;
        values[offset + 20].Value = (int)row.Result;
        values[offset + 21].Value = (object?)row.ErrorCode ?? DBNull.Value;
        values[offset + 22].Value = (object?)row.Origin ?? DBNull.Value;
        values[offset + 23].Value = row.Raw;
    }

    private static async Task<int> CopyAsync(FirebreakDbContext db, IReadOnlyList<IncidentEvent> rows, CancellationToken cancellationToken)
    {
        var connection = (NpgsqlConnection)db.Database.GetDbConnection();
        var columns = string.Join(", ", Columns.Select(c => $"\"{c}\""));
        // A session-local staging table: COPY cannot skip conflicting rows, INSERT … SELECT … ON CONFLICT can.
        await using (var create = connection.CreateCommand())
        {
            create.CommandText = $"""
                CREATE TEMP TABLE IF NOT EXISTS incident_event_stage AS SELECT {columns} FROM {Table} WITH NO DATA;
                TRUNCATE incident_event_stage;
                """;
            await create.ExecuteNonQueryAsync(cancellationToken);
        }
        await using (var writer = await connection.BeginBinaryImportAsync($"COPY incident_event_stage ({columns}) FROM STDIN (FORMAT BINARY)", cancellationToken))
        {
            foreach (var row in rows)
            {
                await writer.StartRowAsync(cancellationToken);
                await writer.WriteAsync(row.TenantId, NpgsqlDbType.Uuid, cancellationToken);
                await writer.WriteAsync(row.IncidentId, NpgsqlDbType.Uuid, cancellationToken);
                await writer.WriteAsync(row.EventId, NpgsqlDbType.Text, cancellationToken);
                await writer.WriteAsync(row.Time, NpgsqlDbType.TimestampTz, cancellationToken);
                await writer.WriteAsync(row.IngestedAt.ToUniversalTime(), NpgsqlDbType.TimestampTz, cancellationToken);
                await WriteAsync(writer, row.ImportId, NpgsqlDbType.Uuid, cancellationToken);
                await writer.WriteAsync(row.Provider, NpgsqlDbType.Text, cancellationToken);
                await writer.WriteAsync(row.LogSource, NpgsqlDbType.Text, cancellationToken);
                await WriteTextAsync(writer, row.Account, cancellationToken);
                await WriteTextAsync(writer, row.Region, cancellationToken);
                await WriteTextAsync(writer, row.EventSource, cancellationToken);
                await writer.WriteAsync(row.Operation, NpgsqlDbType.Text, cancellationToken);
                await WriteTextAsync(writer, row.PrincipalType, cancellationToken);
                await WriteTextAsync(writer, row.Principal, cancellationToken);
                await WriteTextAsync(writer, row.AccessKeyId, cancellationToken);
                await WriteTextAsync(writer, row.SessionIssuer, cancellationToken);
                await WriteTextAsync(writer, row.SourceIp, cancellationToken);
                await WriteTextAsync(writer, row.UserAgent, cancellationToken);
                await WriteTextAsync(writer, row.Resource, cancellationToken);
                await WriteTextAsync(writer, row.Resources, cancellationToken);
                await writer.WriteAsync((int)row.Result, NpgsqlDbType.Integer, cancellationToken);
                await WriteTextAsync(writer, row.ErrorCode, cancellationToken);
                await WriteTextAsync(writer, row.Origin, cancellationToken);
                await writer.WriteAsync(row.Raw, NpgsqlDbType.Text, cancellationToken);
            }
            await writer.CompleteAsync(cancellationToken);
        }
        await using var insert = connection.CreateCommand();
        insert.CommandText = $"INSERT INTO {Table} ({columns}) SELECT {columns} FROM incident_event_stage ON CONFLICT (\"IncidentId\", \"EventId\") DO NOTHING";
        return await insert.ExecuteNonQueryAsync(cancellationToken);
    }

    private static Task WriteTextAsync(NpgsqlBinaryImporter writer, string? value, CancellationToken cancellationToken) =>
        value is null ? writer.WriteNullAsync(cancellationToken) : writer.WriteAsync(value, NpgsqlDbType.Text, cancellationToken);

    private static Task WriteAsync(NpgsqlBinaryImporter writer, Guid? value, NpgsqlDbType type, CancellationToken cancellationToken) =>
        value is { } v ? writer.WriteAsync(v, type, cancellationToken) : writer.WriteNullAsync(cancellationToken);

    /// <summary>PostgreSQL text cannot hold NUL; log fields are attacker-controlled and may carry one.</summary>
    private static string? Clean(string? value) => value is null || !value.Contains('\0', StringComparison.Ordinal) ? value : value.Replace("\0", "", StringComparison.Ordinal);

    private static string? Cut(string? value, int length)
    {
        value = Clean(value);
        return value is null || value.Length <= length ? value : value[..length];
    }
}
