using System.Collections.Concurrent;
using System.Data.Common;
using System.Text;
using Firebreak.Core.Persistence;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Metadata;
using Microsoft.EntityFrameworkCore.Storage;

namespace Firebreak.Core.Alerts;

/// <summary>
/// Inserts new alerts (and intake receipts) with reused, prepared <c>INSERT</c> statements on the context's own connection and
/// transaction, without change tracking. Columns, value conversions (times, lists, JSON) and parameter
/// types come from the EF model, so a row is written exactly as <c>SaveChanges</c> would write it.
/// PostgreSQL gets 200 rows per statement (one round trip each). SQLite gets one row per statement: it is
/// in-process, so there is no round trip to save, and it looks parameters up by name with a linear search,
/// which makes binding a many-row statement quadratic in its parameters.
/// </summary>
internal static class AlertRowInserter
{

    private const int PostgresRowsPerStatement = 200;

    private static readonly ConcurrentDictionary<(IModel, Type), Shape> Shapes = new();

    /// <summary>Inserts rows of any mapped entity type (alerts, intake receipts) the same way.</summary>
    public static async Task InsertAsync<T>(FirebreakDbContext db, IReadOnlyList<T> entities, CancellationToken cancellationToken)
        where T : class
    {
        if (entities.Count == 0) return;
        var transaction = db.Database.CurrentTransaction?.GetDbTransaction()
            ?? throw new InvalidOperationException("Rows are inserted only inside the intake transaction.");
        var shape = Shapes.GetOrAdd((db.Model, typeof(T)), key => new Shape(key.Item1.FindEntityType(key.Item2)!, db.GetService<ISqlGenerationHelper>(),
            db.Database.IsNpgsql() ? PostgresRowsPerStatement : 1));
        var rowsPerStatement = shape.RowsPerStatement;
        var connection = db.Database.GetDbConnection();
        DbCommand? full = null;
        try
        {
            for (var start = 0; start < entities.Count; start += rowsPerStatement)
            {
                var rows = Math.Min(rowsPerStatement, entities.Count - start);
                var reuse = rows == rowsPerStatement;
                var command = reuse && full is not null ? full : connection.CreateCommand();
                if (!ReferenceEquals(command, full))
                {
                    command.Transaction = transaction;
                    command.CommandText = shape.Sql(rows);
                }
                // A reused (prepared) statement keeps its parameter objects and gets new values.
                var fresh = command.Parameters.Count == 0;
                var n = 0;
                for (var r = 0; r < rows; r++)
                {
                    var entity = entities[start + r];
                    foreach (var column in shape.Columns)
                    {
                        Bind(command, fresh, n, shape.ParameterNames[n], column, column.Property.GetGetter().GetClrValueUsingContainingEntity(entity));
                        n++;
                    }
                }
                if (reuse && full is null)
                {
                    full = command;
                    if (entities.Count >= 2 * rowsPerStatement) await command.PrepareAsync(cancellationToken);
                }
                try
                {
                    await command.ExecuteNonQueryAsync(cancellationToken);
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
    }

    /// <summary>
    /// The columns a repeat changes (see <see cref="AlertStore"/>); besides them the version goes up by one, as
    /// <c>SaveChanges</c> would raise it, and the row is only written if nobody else changed it since it was read.
    /// </summary>
    private static readonly string[] RepeatColumns =
    [
        nameof(Alert.OccurrenceCount), nameof(Alert.LastReceivedAt), nameof(Alert.RawPayload), nameof(Alert.LastSeenAt),
        nameof(Alert.FirstSeenAt), nameof(Alert.Severity), nameof(Alert.OriginalSeverity),
    ];

    private static readonly ConcurrentDictionary<IModel, RepeatShape> RepeatShapes = new();

    /// <summary>
    /// Writes repeated alerts, one <c>UPDATE</c> per row: on SQLite one prepared statement reused, on PostgreSQL 200 per
    /// round trip. Each alert carries its <see cref="Alert.Version"/> as it was read; a row changed since (a triage
    /// committed on another connection) fails the group with <see cref="DbUpdateConcurrencyException"/>, and the writer
    /// stores the group again from a fresh read.
    /// </summary>
    public static async Task UpdateRepeatsAsync(FirebreakDbContext db, IReadOnlyList<Alert> alerts, CancellationToken cancellationToken)
    {
        if (alerts.Count == 0) return;
        var transaction = db.Database.CurrentTransaction?.GetDbTransaction()
            ?? throw new InvalidOperationException("Rows are updated only inside the intake transaction.");
        var shape = RepeatShapes.GetOrAdd(db.Model, model => new RepeatShape(model.FindEntityType(typeof(Alert))!, db.GetService<ISqlGenerationHelper>()));
        var connection = db.Database.GetDbConnection();
        if (connection.CanCreateBatch)
        {
            // PostgreSQL: many updates per round trip, each still checked on its own.
            await using var factory = connection.CreateCommand();
            foreach (var chunk in alerts.Chunk(PostgresRowsPerStatement))
            {
                await using var batch = connection.CreateBatch();
                batch.Transaction = transaction;
                foreach (var alert in chunk)
                {
                    var update = batch.CreateBatchCommand();
                    update.CommandText = shape.Sql;
                    for (var n = 0; n < shape.Columns.Count; n++) update.Parameters.Add(NewParameter(factory, shape.ParameterNames[n], shape.Columns[n], shape.Value(n, alert)));
                    batch.BatchCommands.Add(update);
                }
                // The same statement each time: prepared once per connection, not planned again for every row.
                await batch.PrepareAsync(cancellationToken);
                await batch.ExecuteNonQueryAsync(cancellationToken);
                for (var i = 0; i < chunk.Length; i++)
                {
                    if (batch.BatchCommands[i].RecordsAffected != 1) throw Changed(chunk[i]);
                }
            }
            return;
        }

        // SQLite: one prepared statement, reused for every row (in-process, so there is no round trip to save).
        await using var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = shape.Sql;
        var first = true;
        foreach (var alert in alerts)
        {
            for (var n = 0; n < shape.Columns.Count; n++) Bind(command, first, n, shape.ParameterNames[n], shape.Columns[n], shape.Value(n, alert));
            if (first && alerts.Count > 1) await command.PrepareAsync(cancellationToken);
            first = false;
            if (await command.ExecuteNonQueryAsync(cancellationToken) != 1) throw Changed(alert);
        }
    }

    private static DbUpdateConcurrencyException Changed(Alert alert) =>
        new($"Alert {alert.Id} was changed while a repeat of it was being stored.");

    /// <summary>
    /// Parameter <paramref name="n"/> of a statement: added when the command is <paramref name="fresh"/>, otherwise the
    /// reused (prepared) one gets the new value.
    /// </summary>
    private static void Bind(DbCommand command, bool fresh, int n, string name, Column column, object? value)
    {
        if (fresh) command.Parameters.Add(NewParameter(command, name, column, value));
        else command.Parameters[n].Value = ProviderValue(column.Mapping, value);
    }

    /// <summary>A parameter typed and converted by the column's EF mapping, exactly as <c>SaveChanges</c> would bind it.</summary>
    private static DbParameter NewParameter(DbCommand factory, string name, Column column, object? value) =>
        column.Mapping.CreateParameter(factory, name, value, column.Property.IsNullable);

    /// <summary>
    /// The value <see cref="RelationalTypeMapping.CreateParameter"/> would give a new parameter, for a reused one whose
    /// type the mapping already configured: without allocating a parameter per column and row.
    /// </summary>
    private static object ProviderValue(RelationalTypeMapping mapping, object? value)
    {
        if (mapping.Converter is { } converter) value = converter.ConvertToProvider(value);
        else if (value is Enum) value = Convert.ChangeType(value, Enum.GetUnderlyingType(value.GetType()), System.Globalization.CultureInfo.InvariantCulture);
        return value ?? DBNull.Value;
    }

    private sealed record Column(IProperty Property, RelationalTypeMapping Mapping);

    private sealed class RepeatShape
    {
        public RepeatShape(IEntityType entity, ISqlGenerationHelper sql)
        {
            var table = StoreObjectIdentifier.Table(entity.GetTableName()!, entity.GetSchema());
            string Name(IProperty p) => sql.DelimitIdentifier(p.GetColumnName(table)!);
            var set = RepeatColumns.Select(n => entity.FindProperty(n)!).ToList();
            var id = entity.FindProperty(nameof(Alert.Id))!;
            var version = entity.FindProperty(nameof(Alert.Version))!;
            SetCount = set.Count;
            Columns = set.Append(id).Append(version).Select(p => new Column(p, p.GetRelationalTypeMapping())).ToList();
            ParameterNames = Columns.Select((_, i) => "@u" + i.ToString(System.Globalization.CultureInfo.InvariantCulture)).ToArray();
            Sql = $"UPDATE {sql.DelimitIdentifier(table.Name, table.Schema)} SET "
                + string.Join(", ", set.Select((p, i) => $"{Name(p)} = @u{i}"))
                + $", {Name(version)} = {Name(version)} + 1 WHERE {Name(id)} = @u{set.Count} AND {Name(version)} = @u{set.Count + 1}";
        }

        /// <summary>Parameter <paramref name="n"/>'s value for <paramref name="alert"/>: a changed column, the id, or the version read.</summary>
        public object? Value(int n, Alert alert) =>
            n < SetCount ? Columns[n].Property.GetGetter().GetClrValueUsingContainingEntity(alert) : n == SetCount ? alert.Id : alert.Version;

        /// <summary>The columns set, then the id and the version read (the <c>WHERE</c>), in parameter order.</summary>
        public IReadOnlyList<Column> Columns { get; }

        public int SetCount { get; }

        public string[] ParameterNames { get; }

        public string Sql { get; }
    }

    private sealed class Shape
    {
        private readonly string _head;
        private readonly string _fullSql;

        public Shape(IEntityType entity, ISqlGenerationHelper sql, int rowsPerStatement)
        {
            RowsPerStatement = rowsPerStatement;
            var table = StoreObjectIdentifier.Table(entity.GetTableName()!, entity.GetSchema());
            Columns = entity.GetProperties()
                .Select(p => new Column(p, p.GetRelationalTypeMapping()))
                .ToList();
            _head = $"INSERT INTO {sql.DelimitIdentifier(table.Name, table.Schema)} ("
                + string.Join(", ", Columns.Select(c => sql.DelimitIdentifier(c.Property.GetColumnName(table)!))) + ") VALUES ";
            _fullSql = Build(rowsPerStatement);
            // Prefixed names: Microsoft.Data.Sqlite looks an unprefixed name up once per possible prefix.
            ParameterNames = Enumerable.Range(0, rowsPerStatement * Columns.Count)
                .Select(n => "@p" + n.ToString(System.Globalization.CultureInfo.InvariantCulture)).ToArray();
        }

        public string[] ParameterNames { get; }

        public int RowsPerStatement { get; }

        public IReadOnlyList<Column> Columns { get; }

        public string Sql(int rows) => rows == RowsPerStatement ? _fullSql : Build(rows);

        private string Build(int rows)
        {
            var text = new StringBuilder(_head, _head.Length + rows * Columns.Count * 8);
            var n = 0;
            for (var r = 0; r < rows; r++)
            {
                text.Append(r == 0 ? "(" : ", (");
                for (var c = 0; c < Columns.Count; c++, n++) text.Append(c == 0 ? "@p" : ", @p").Append(n);
                text.Append(')');
            }
            return text.ToString();
        }
    }
}
