using System.Data.Common;
using Firebreak.Core.Persistence;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Storage.ValueConversion;

namespace Firebreak.Core.DataLoss;

internal sealed record ObjectAggregate(string? Key, string Provider, long Events, long Reads, long Objects, long? Bytes, long ReadsWithoutBytes,
    DateTimeOffset First, DateTimeOffset Last);

internal sealed record AccessorRow(string? Key, string? Principal, string? AccessKeyId, string? SourceIp, long Events);

internal sealed record SecretRow(string Operation, string Provider, string? Region, string? Account, string? Resource, string? SecretId, string? Name,
    string? Path, string? Names, string? SecretIdList, string? Principal, string? AccessKeyId, string? SourceIp, long Events,
    DateTimeOffset First, DateTimeOffset Last);

/// <summary>
/// The aggregate queries behind the extent, in each provider's SQL. Each filters the incident's events by
/// a constant list of operations (the (incident, operation, time) index) and groups in the database, so
/// the application receives one row per resource or per accessor, never the events. Only successful
/// calls count: a refused read moved no data.
/// </summary>
internal sealed class DataLossQueries(FirebreakDbContext db, Guid incidentId)
{
    private const string Table = "\"IncidentEvents\"";
    private static readonly DateTimeOffsetToBinaryConverter SqliteTime = new();
    private readonly bool _postgres = db.Database.IsNpgsql();

    /// <summary>The bucket (or container) an object belongs to: S3 object ARNs and GCS object names are cut at the object part.</summary>
    private string StorageKey => _postgres
        ? """
          CASE WHEN "Resource" LIKE 'arn:aws:s3:::%/%' THEN 'arn:aws:s3:::' || split_part(substr("Resource", 14), '/', 1)
               WHEN strpos("Resource", '/objects/') > 0 THEN substr("Resource", 1, strpos("Resource", '/objects/') - 1)
               WHEN strpos(lower("Resource"), '/blobs/') > 0 THEN substr("Resource", 1, strpos(lower("Resource"), '/blobs/') - 1)
               ELSE "Resource" END
          """
        : """
          CASE WHEN "Resource" LIKE 'arn:aws:s3:::%/%' THEN substr("Resource", 1, 12 + instr(substr("Resource", 14), '/'))
               WHEN instr("Resource", '/objects/') > 0 THEN substr("Resource", 1, instr("Resource", '/objects/') - 1)
               WHEN instr(lower("Resource"), '/blobs/') > 0 THEN substr("Resource", 1, instr(lower("Resource"), '/blobs/') - 1)
               ELSE "Resource" END
          """;

    /// <summary>S3's additionalEventData.bytesTransferredOut, read only from records that carry it.</summary>
    private string BytesText => _postgres
        ? """CASE WHEN strpos("Raw", 'bytesTransferredOut') > 0 THEN "Raw"::json #>> '{additionalEventData,bytesTransferredOut}' END"""
        : """CASE WHEN instr("Raw", 'bytesTransferredOut') > 0 THEN json_extract("Raw", '$.additionalEventData.bytesTransferredOut') END""";

    // The raw value is attacker-controlled text: only a plain non-negative number counts.
    private string BytesNumber => _postgres
        ? """CASE WHEN bv ~ '^[0-9]{1,15}(\.[0-9]+)?$' THEN CAST(bv AS numeric) END"""
        : """CASE WHEN typeof(bv) IN ('integer', 'real') AND bv >= 0 AND bv < 1e15 THEN bv END""";

    private string Where(IEnumerable<string> operations) =>
        $"\"IncidentId\" = @incident AND \"Operation\" IN ({DataLossCatalogue.SqlList(operations)}) AND \"ErrorCode\" IS NULL AND \"Result\" <> 2";

    public async Task<List<ObjectAggregate>> ObjectsAsync(CancellationToken cancellationToken)
    {
        var reads = DataLossCatalogue.SqlList(DataLossCatalogue.ObjectReads);
        var sql = $"""
            SELECT k, MIN(p), COUNT(*), SUM(r), COUNT(DISTINCT o),
                   CAST(SUM(CASE WHEN r = 1 THEN {BytesNumber} END) AS bigint),
                   SUM(CASE WHEN r = 1 AND ({BytesNumber}) IS NULL THEN 1 ELSE 0 END),
                   MIN(t), MAX(t)
            FROM (SELECT {StorageKey} AS k, "Provider" AS p,
                         CASE WHEN "Operation" IN ({reads}) THEN 1 ELSE 0 END AS r,
                         CASE WHEN "Operation" IN ({reads}) THEN "Resource" END AS o,
                         CASE WHEN "Operation" IN ({reads}) THEN {BytesText} END AS bv,
                         "Time" AS t
                  FROM {Table} WHERE {Where(DataLossCatalogue.ObjectOperations)}) x
            GROUP BY k
            """;
        return await ReadAsync(sql, r => new ObjectAggregate(Text(r, 0), r.GetString(1), r.GetInt64(2), r.GetInt64(3), r.GetInt64(4),
            r.IsDBNull(5) ? null : r.GetInt64(5), r.GetInt64(6), Time(r, 7), Time(r, 8)), int.MaxValue, cancellationToken);
    }

    public async Task<List<AccessorRow>> ObjectAccessorsAsync(int limit, CancellationToken cancellationToken)
    {
        var sql = $"""
            SELECT k, pr, ak, ip, COUNT(*) AS n
            FROM (SELECT {StorageKey} AS k, "Principal" AS pr, "AccessKeyId" AS ak, "SourceIp" AS ip
                  FROM {Table} WHERE {Where(DataLossCatalogue.ObjectOperations)}) x
            GROUP BY k, pr, ak, ip
            ORDER BY n DESC
            LIMIT {limit}
            """;
        return await ReadAsync(sql, r => new AccessorRow(Text(r, 0), Text(r, 1), Text(r, 2), Text(r, 3), r.GetInt64(4)), limit, cancellationToken);
    }

    public async Task<List<SecretRow>> SecretsAsync(int limit, CancellationToken cancellationToken)
    {
        string Json(string path) => _postgres
            ? $"j #>> '{{requestParameters,{path}}}'"
            : $"json_extract(\"Raw\", '$.requestParameters.{path}')";
        string JsonList(string path) => _postgres
            ? $"CAST(j #> '{{requestParameters,{path}}}' AS text)"
            : $"CASE WHEN json_type(\"Raw\", '$.requestParameters.{path}') = 'array' THEN json_extract(\"Raw\", '$.requestParameters.{path}') END";
        var source = _postgres
            ? $"(SELECT *, CASE WHEN \"Provider\" = 'aws' THEN CAST(\"Raw\" AS json) END AS j FROM {Table} WHERE {Where(DataLossCatalogue.SecretReads)}) e"
            : $"(SELECT * FROM {Table} WHERE {Where(DataLossCatalogue.SecretReads)}) e";
        var sql = $"""
            SELECT op, p, rg, ac, rs, sid, nm, pa, nms, sids, pr, ak, ip, COUNT(*), MIN(t), MAX(t)
            FROM (SELECT "Operation" AS op, "Provider" AS p, "Region" AS rg, "Account" AS ac, "Resource" AS rs,
                         {Json("secretId")} AS sid, {Json("name")} AS nm, {Json("path")} AS pa, {JsonList("names")} AS nms, {JsonList("secretIdList")} AS sids,
                         "Principal" AS pr, "AccessKeyId" AS ak, "SourceIp" AS ip, "Time" AS t
                  FROM {source}) x
            GROUP BY op, p, rg, ac, rs, sid, nm, pa, nms, sids, pr, ak, ip
            LIMIT {limit}
            """;
        return await ReadAsync(sql, r => new SecretRow(r.GetString(0), r.GetString(1), Text(r, 2), Text(r, 3), Text(r, 4), Text(r, 5), Text(r, 6),
            Text(r, 7), Text(r, 8), Text(r, 9), Text(r, 10), Text(r, 11), Text(r, 12), r.GetInt64(13), Time(r, 14), Time(r, 15)), limit, cancellationToken);
    }

    private static string? Text(DbDataReader reader, int i) => reader.IsDBNull(i) ? null : Convert.ToString(reader.GetValue(i), System.Globalization.CultureInfo.InvariantCulture);

    private DateTimeOffset Time(DbDataReader reader, int i) => _postgres
        ? reader.GetFieldValue<DateTimeOffset>(i)
        : (DateTimeOffset)SqliteTime.ConvertFromProvider(reader.GetInt64(i))!;

    private async Task<List<T>> ReadAsync<T>(string sql, Func<DbDataReader, T> map, int limit, CancellationToken cancellationToken)
    {
        var connection = db.Database.GetDbConnection();
        var opened = connection.State != System.Data.ConnectionState.Open;
        if (opened) await db.Database.OpenConnectionAsync(cancellationToken);
        try
        {
            await using var command = connection.CreateCommand();
            command.CommandText = sql;
            var parameter = command.CreateParameter();
            parameter.ParameterName = "@incident";
            parameter.Value = _postgres ? incidentId : incidentId.ToString().ToUpperInvariant();
            command.Parameters.Add(parameter);
            await using var reader = await command.ExecuteReaderAsync(cancellationToken);
            var rows = new List<T>();
            while (rows.Count < limit && await reader.ReadAsync(cancellationToken)) rows.Add(map(reader));
            return rows;
        }
        finally
        {
            if (opened) await db.Database.CloseConnectionAsync();
        }
    }
}
