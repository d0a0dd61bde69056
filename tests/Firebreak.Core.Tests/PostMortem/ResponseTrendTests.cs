using Firebreak.Core.Alerts;
using Firebreak.Core.Common;
using Firebreak.Core.Identity;
using Firebreak.Core.Incidents;
using Firebreak.Core.PostMortem;
using Firebreak.Testing;

namespace Firebreak.Core.Tests.PostMortem;

public class ResponseTrendTests
{
    [Theory, MemberData(nameof(Databases.Both), MemberType = typeof(Databases))]
    public async Task Trends_AverageEachIncidentsTimes_PerBucketAndSeverity_LeavingFalsePositivesOut(DatabaseKind kind)
    {
        await using var harness = await CoreHarness.CreateAsync(kind);
        var acme = await harness.CreateTenantAsync("Acme");
        var globex = await harness.CreateTenantAsync("Globex");
        await using var scope = harness.As(acme.Manager);
        var incidents = scope.Get<IncidentService>();
        var t = harness.Time.GetUtcNow();
        var alert = new IncomingAlert
        {
            Source = "guardduty", SourceReference = "gd-1", Title = "Crypto miner", Severity = AlertSeverity.High,
            FirstSeenAt = t - TimeSpan.FromHours(6), DetectedAt = t - TimeSpan.FromHours(2), RawPayload = "{}", Format = "generic",
        };
        var alertId = (await scope.Get<AlertIntake>().SubmitAsync(acme.Id, "siem", [alert], null)).Alerts[0].Id;
        // A: detected 6 h before its first alert was escalated; contained 3 h and recovered 4 h after that.
        var a = (await scope.Get<EscalationService>().PromoteAsync(new PromoteCommand([alertId]))).IncidentReference;
        await incidents.UpdateAsync(a, new UpdateIncident(Severity: Severity.Sev1, Category: IncidentCategory.Malware), null);
        // B: escalated 4 h after detection, never contained.
        await incidents.CreateAsync(new CreateIncident("Open bucket", Severity: Severity.Sev1, Category: IncidentCategory.DataExposure, DetectedAt: t - TimeSpan.FromHours(4)));
        var noise = await incidents.CreateAsync(new CreateIncident("Noise", Severity: Severity.Sev1, DetectedAt: t - TimeSpan.FromHours(50)));
        await incidents.SetStatusAsync(noise.Reference, IncidentStatus.FalsePositive, "test traffic", null, null);
        await incidents.AssignRolesAsync(a, new AssignRoles(acme.Users[Role.IncidentManager].Id, null), null);
        harness.Time.Advance(TimeSpan.FromHours(3));
        await incidents.TransitionAsync(a, Phase.Eradication, "contained", null);
        harness.Time.Advance(TimeSpan.FromHours(1));
        await incidents.TransitionAsync(a, Phase.PostIncidentReview, "recovered", null);
        harness.Time.Advance(TimeSpan.FromDays(40));
        var later = harness.Time.GetUtcNow();
        // C, a month or two on: escalated 1 h after detection.
        await incidents.CreateAsync(new CreateIncident("Phish", Severity: Severity.Sev3, DetectedAt: later - TimeSpan.FromHours(1)));
        await using (var other = harness.As(globex.Manager))
            await other.Get<IncidentService>().CreateAsync(new CreateIncident("Elsewhere", Severity: Severity.Sev1, DetectedAt: t - TimeSpan.FromHours(1)));

        var from = ResponseTrendService.BucketStart(t, TrendBucket.Month);
        var trends = await scope.Get<ResponseTrendService>().ComputeAsync(new TrendQuery(from, from.AddMonths(3), GroupBy: TrendGrouping.Severity));

        Assert.Equal(3, trends.Incidents);
        Assert.Equal([Severity.Sev1, Severity.Sev3], trends.Series.Select(s => s.Severity));
        var sev1 = trends.Series[0];
        Assert.Equal(3, sev1.Points.Count);
        var first = sev1.Points[0];
        Assert.Equal((from, from.AddMonths(1), 2), (first.Start, first.End, first.Incidents));
        Assert.Equal(new MeanTime(1, TimeSpan.FromHours(4), TimeSpan.FromHours(4)), first.Mttd);
        Assert.Equal(new MeanTime(2, TimeSpan.FromHours(5), TimeSpan.FromHours(5)), first.Mtte);
        Assert.Equal(new MeanTime(1, TimeSpan.FromHours(9), TimeSpan.FromHours(9)), first.Mttc);
        Assert.Equal(new MeanTime(1, TimeSpan.FromHours(10), TimeSpan.FromHours(10)), first.Mttr);
        Assert.All(sev1.Points.Skip(1), p => Assert.Equal((0, null), (p.Incidents, p.Mtte.Mean)));
        var sev3 = trends.Series[1];
        var bucketOfC = Assert.Single(sev3.Points, p => p.Incidents == 1);
        Assert.Equal(ResponseTrendService.BucketStart(later - TimeSpan.FromHours(1), TrendBucket.Month), bucketOfC.Start);
        Assert.Equal(TimeSpan.FromHours(1), bucketOfC.Mtte.Mean);

        var malware = await scope.Get<ResponseTrendService>().ComputeAsync(new TrendQuery(from, from.AddMonths(3), Category: IncidentCategory.Malware, Bucket: TrendBucket.Week));
        var only = Assert.Single(malware.Series);
        Assert.Equal((1, IncidentCategory.Malware), (only.Incidents, only.Category));
        Assert.All(only.Points, p => Assert.Equal(DayOfWeek.Monday, p.Start.DayOfWeek));
        Assert.Equal(TimeSpan.FromHours(10), only.Mttr.Mean);

        var backwards = await Assert.ThrowsAsync<ValidationFailedException>(() => scope.Get<ResponseTrendService>().ComputeAsync(new TrendQuery(t, t.AddDays(-1))));
        Assert.Contains("from", backwards.Errors.Keys);
        await Assert.ThrowsAsync<ValidationFailedException>(() =>
            scope.Get<ResponseTrendService>().ComputeAsync(new TrendQuery(t.AddYears(-10), t, Bucket: TrendBucket.Week)));
    }

    [Fact]
    public void Buckets_StartOnTheFirstOfTheMonth_OrOnMonday_InUtc()
    {
        var at = new DateTimeOffset(2026, 11, 29, 23, 30, 0, TimeSpan.FromHours(-5)); // Monday 30 November, 04:30 UTC
        Assert.Equal(new DateTimeOffset(2026, 11, 1, 0, 0, 0, TimeSpan.Zero), ResponseTrendService.BucketStart(at, TrendBucket.Month));
        Assert.Equal(new DateTimeOffset(2026, 11, 30, 0, 0, 0, TimeSpan.Zero), ResponseTrendService.BucketStart(at, TrendBucket.Week));
        Assert.Equal(new DateTimeOffset(2026, 11, 23, 0, 0, 0, TimeSpan.Zero),
            ResponseTrendService.BucketStart(new DateTimeOffset(2026, 11, 29, 23, 59, 0, TimeSpan.Zero), TrendBucket.Week));
    }
}
