using System.Text.Json.Serialization;
using Firebreak.Core.Common;
using Firebreak.Core.Incidents;
using Firebreak.Core.Persistence;
using Microsoft.EntityFrameworkCore;

namespace Firebreak.Core.PostMortem;

[JsonConverter(typeof(StrictEnumConverter<TrendBucket>))]
public enum TrendBucket
{
    /// <summary>Calendar months, UTC.</summary>
    [JsonStringEnumMemberName("month")] Month = 0,

    /// <summary>ISO weeks: Monday 00:00 UTC to the next Monday.</summary>
    [JsonStringEnumMemberName("week")] Week = 1,
}

[JsonConverter(typeof(StrictEnumConverter<TrendGrouping>))]
public enum TrendGrouping
{
    [JsonStringEnumMemberName("none")] None = 0,
    [JsonStringEnumMemberName("severity")] Severity = 1,
    [JsonStringEnumMemberName("category")] Category = 2,
}

/// <summary>Incidents detected in [From, To), optionally of one severity or category.</summary>
public sealed record TrendQuery(
    DateTimeOffset? From = null,
    DateTimeOffset? To = null,
    Severity? Severity = null,
    IncidentCategory? Category = null,
    TrendBucket Bucket = TrendBucket.Month,
    TrendGrouping GroupBy = TrendGrouping.None);

/// <summary>One mean over the incidents of a bucket whose interval is known; Count says how many that was.</summary>
public sealed record MeanTime(int Count, TimeSpan? Mean, TimeSpan? Median);

public sealed record TrendPoint(DateTimeOffset Start, DateTimeOffset End, int Incidents, MeanTime Mttd, MeanTime Mtte, MeanTime Mttc, MeanTime Mttr);

/// <summary>One line of the trend: every incident, or those of one severity or category.</summary>
public sealed record TrendSeries(Severity? Severity, IncidentCategory? Category, int Incidents, MeanTime Mttd, MeanTime Mtte, MeanTime Mttc, MeanTime Mttr,
    IReadOnlyList<TrendPoint> Points);

public sealed record ResponseTrends(DateTimeOffset From, DateTimeOffset To, TrendBucket Bucket, TrendGrouping GroupBy, int Incidents, IReadOnlyList<TrendSeries> Series);

/// <summary>
/// Mean times to detect, escalate, contain and recover across incidents, per time bucket. Each
/// incident's times are exactly those of <see cref="MetricsService"/>; docs/post-mortem.md defines them.
/// </summary>
public sealed class ResponseTrendService(IDbContextFactory<FirebreakDbContext> factory, TimeProvider time)
{
    public const int MaxBuckets = 260;
    public const int MaxIncidents = 20_000;

    public async Task<ResponseTrends> ComputeAsync(TrendQuery query, CancellationToken cancellationToken = default)
    {
        var now = time.GetUtcNow();
        var to = (query.To ?? now).ToUniversalTime();
        var from = (query.From ?? BucketStart(to, TrendBucket.Month).AddMonths(-11)).ToUniversalTime();
        var checks = new Checks().Defined("severity", query.Severity).Defined("category", query.Category)
            .Defined("bucket", (TrendBucket?)query.Bucket).Defined("groupBy", (TrendGrouping?)query.GroupBy)
            .That(from < to, "from", "from must be before to.");
        var buckets = from < to && Enum.IsDefined(query.Bucket) ? Buckets(from, to, query.Bucket) : [];
        checks.That(buckets.Count <= MaxBuckets, "from", $"The range holds more than {MaxBuckets} buckets; narrow it or use a larger bucket.").ThrowIfAny();

        await using var db = await factory.CreateDbContextAsync(cancellationToken);
        var incidents = db.Incidents.AsNoTracking()
            .Where(i => i.DetectedAt >= from && i.DetectedAt < to)
            // Not incidents at all: counting them would flatter every mean.
            .Where(i => i.Status != IncidentStatus.Duplicate && i.Status != IncidentStatus.FalsePositive);
        if (query.Severity is { } severity) incidents = incidents.Where(i => i.Severity == severity);
        if (query.Category is { } category) incidents = incidents.Where(i => i.Category == category);
        var rows = await incidents.OrderBy(i => i.DetectedAt).Take(MaxIncidents + 1).ToListAsync(cancellationToken);
        if (rows.Count > MaxIncidents)
            throw new ValidationFailedException("from", $"The range holds more than {MaxIncidents} incidents; narrow it.");

        var ids = rows.Select(i => i.Id).ToList();
        var timeline = (await db.TimelineEntries.AsNoTracking().Where(t => ids.Contains(t.IncidentId))
                .Select(t => new { t.IncidentId, t.Kind, t.EventTime, t.DiscoveredAt }).ToListAsync(cancellationToken))
            .ToLookup(t => t.IncidentId, t => (t.Kind, t.EventTime, t.DiscoveredAt));
        var measured = rows.Select(i =>
        {
            var m = MetricsService.Compute(i, timeline[i.Id].ToList(), [], now);
            return new Measured(i.DetectedAt, i.Severity, i.Category, m.TimeToDetect, m.TimeToEscalate, m.TimeToContain, m.TimeToRecover);
        }).ToList();

        IEnumerable<(Severity? Severity, IncidentCategory? Category, List<Measured> Items)> groups = query.GroupBy switch
        {
            TrendGrouping.Severity => measured.GroupBy(m => m.Severity).OrderBy(g => g.Key).Select(g => ((Severity?)g.Key, (IncidentCategory?)null, g.ToList())),
            TrendGrouping.Category => measured.GroupBy(m => m.Category).OrderBy(g => g.Key).Select(g => ((Severity?)null, (IncidentCategory?)g.Key, g.ToList())),
            _ => [(query.Severity, query.Category, measured)],
        };
        var series = groups.Select(g => new TrendSeries(g.Severity, g.Category, g.Items.Count,
            Mean(g.Items, m => m.Detect), Mean(g.Items, m => m.Escalate), Mean(g.Items, m => m.Contain), Mean(g.Items, m => m.Recover),
            buckets.Select(b =>
            {
                var inside = g.Items.Where(m => m.DetectedAt >= b.Start && m.DetectedAt < b.End).ToList();
                return new TrendPoint(b.Start, b.End, inside.Count, Mean(inside, m => m.Detect), Mean(inside, m => m.Escalate),
                    Mean(inside, m => m.Contain), Mean(inside, m => m.Recover));
            }).ToList())).ToList();
        return new ResponseTrends(from, to, query.Bucket, query.GroupBy, measured.Count, series);
    }

    private sealed record Measured(DateTimeOffset DetectedAt, Severity Severity, IncidentCategory Category,
        TimeSpan? Detect, TimeSpan? Escalate, TimeSpan? Contain, TimeSpan? Recover);

    private static MeanTime Mean(IReadOnlyList<Measured> items, Func<Measured, TimeSpan?> pick)
    {
        var values = items.Select(pick).OfType<TimeSpan>().OrderBy(v => v).ToList();
        if (values.Count == 0) return new MeanTime(0, null, null);
        var mean = TimeSpan.FromTicks((long)values.Average(v => (decimal)v.Ticks));
        var median = values.Count % 2 == 1 ? values[values.Count / 2] : (values[values.Count / 2 - 1] + values[values.Count / 2]) / 2;
        return new MeanTime(values.Count, Round(mean), Round(median));
    }

    private static TimeSpan Round(TimeSpan value) => TimeSpan.FromSeconds(Math.Round(value.TotalSeconds));

    /// <summary>The start of the bucket holding the instant, in UTC.</summary>
    public static DateTimeOffset BucketStart(DateTimeOffset at, TrendBucket bucket)
    {
        var utc = at.ToUniversalTime();
        var day = new DateTimeOffset(utc.Year, utc.Month, utc.Day, 0, 0, 0, TimeSpan.Zero);
        return bucket == TrendBucket.Week
            ? day.AddDays(-(((int)day.DayOfWeek + 6) % 7))
            : new DateTimeOffset(utc.Year, utc.Month, 1, 0, 0, 0, TimeSpan.Zero);
    }

    private static List<(DateTimeOffset Start, DateTimeOffset End)> Buckets(DateTimeOffset from, DateTimeOffset to, TrendBucket bucket)
    {
        var list = new List<(DateTimeOffset, DateTimeOffset)>();
        for (var start = BucketStart(from, bucket); start < to && list.Count <= MaxBuckets;)
        {
            var end = bucket == TrendBucket.Week ? start.AddDays(7) : start.AddMonths(1);
            list.Add((start, end));
            start = end;
        }
        return list;
    }
}
