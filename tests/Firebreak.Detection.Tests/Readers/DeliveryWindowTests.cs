using Firebreak.Detection.Readers;
using Firebreak.Detection.Readers.Sources;

namespace Firebreak.Detection.Tests.Readers;

public class DeliveryWindowTests
{
    private const string Trail = "AWSLogs/111122223333/CloudTrail/us-east-1/2026/01/15/111122223333_CloudTrail_us-east-1_20260115T0805Z_Mu0KsOhtH1ar15ZZ.json.gz";
    private const string AzureHour = "insights-activity-logs/resourceId=/SUBSCRIPTIONS/0000/y=2026/m=01/d=15/h=08/m=00/PT1H.json";

    private static DateTimeOffset At(string time) => DateTimeOffset.Parse(time, System.Globalization.CultureInfo.InvariantCulture);

    [Fact]
    public void SpanOf_ReadsCloudTrailsDeliveryMinute_AndAzuresHour()
    {
        // Delivered at 08:05: every event is from before 08:06, and a late one may be up to a day older.
        Assert.Equal((At("2026-01-14T08:05:00Z"), At("2026-01-15T08:06:00Z")), DeliveryWindow.SpanOf(Trail));
        Assert.Equal((At("2026-01-14T08:05:00Z"), At("2026-01-15T08:06:00Z")), DeliveryWindow.SpanOf("/logs/" + Trail.Replace(".gz", "", StringComparison.Ordinal)));
        // Azure's hour is when its records were processed: an Entra sign-in in it may have happened up to a day before.
        Assert.Equal((At("2026-01-14T08:00:00Z"), At("2026-01-15T09:00:00Z")), DeliveryWindow.SpanOf(AzureHour));
        Assert.Equal((At("2026-01-14T08:00:00Z"), At("2026-01-15T09:00:00Z")), DeliveryWindow.SpanOf("s3://bucket/" + AzureHour));
        Assert.Equal((At("2026-01-14T08:05:00Z"), At("2026-01-15T08:06:00Z")), DeliveryWindow.SpanOf("111122223333_CloudTrail-Insight_us-east-1_20260115T0805Z_Mu0KsOhtH1ar15ZZ.json.gz"));
        Assert.Equal((At("2026-01-14T08:05:21Z"), At("2026-01-15T08:06:21Z")), DeliveryWindow.SpanOf("111122223333_CloudTrail-Digest_us-east-1_org-trail_us-east-1_20260115T080521Z.json.gz"));
        // An entry at the top of a zip archive, named after its archive's path and a '!'.
        Assert.Equal((At("2026-01-14T08:05:00Z"), At("2026-01-15T08:06:00Z")), DeliveryWindow.SpanOf("logs/handover.zip!111122223333_CloudTrail_us-east-1_20260115T0805Z_x.json"));
        Assert.Equal((At("2026-01-14T08:00:00Z"), At("2026-01-15T09:00:00Z")), DeliveryWindow.SpanOf("export.zip!y=2026/m=01/d=15/h=08/m=00/PT1H.json"));
    }

    [Theory]
    [InlineData("111122223333_CloudTrail_us-east-1_99991231T2359Z_x.json", "2026-01-15T00:00:00Z", null)]
    [InlineData("111122223333_CloudTrail_us-east-1_00010101T0000Z_x.json", null, "2026-01-15T00:00:00Z")]
    [InlineData("/y=9999/m=12/d=31/h=23/m=00/PT1H.json", "9999-12-31T23:59:59Z", null)]
    [InlineData("/y=0001/m=01/d=01/h=00/m=00/PT1H.json", "0001-01-01T00:00:00Z", "0001-01-01T00:00:01Z")]
    public void TimesAtTheEndsOfTheCalendar_AreHeldThere_NotAFailure(string name, string? since, string? until)
    {
        var window = new DeliveryWindow(since is null ? null : At(since), until is null ? null : At(until));

        Assert.True(window.MayHold(name));
        Assert.NotNull(DeliveryWindow.SpanOf(name));
    }

    [Fact]
    public void Shift_StopsAtTheFirstAndLastTimes()
    {
        Assert.Equal(DateTimeOffset.MaxValue.UtcTicks, DeliveryWindow.Shift(DateTimeOffset.MaxValue.AddMinutes(-1), TimeSpan.FromHours(1)).UtcTicks);
        Assert.Equal(DateTimeOffset.MinValue.UtcTicks, DeliveryWindow.Shift(DateTimeOffset.MinValue.AddMinutes(1), -TimeSpan.FromHours(1)).UtcTicks);
        Assert.Equal(At("2026-01-15T09:00:00Z"), DeliveryWindow.Shift(At("2026-01-15T08:00:00Z"), TimeSpan.FromHours(1)));
    }

    [Theory]
    [InlineData("trail.json")]
    [InlineData("111122223333_CloudTrail_us-east-1_20261315T0805Z_x.json")]          // no 13th month
    [InlineData("111122223333_CloudTrail-Digest_us-east-1_20260115T0805Z_x.json.gz")] // a digest's time has seconds
    [InlineData("111122223333_CloudTrail_us-east-1_٢٠٢٦٠١١٥T0805Z_x.json")]            // digits, but not ASCII ones
    [InlineData("111122223333_CloudTrail_us-east-1_20260115T0805Z_x.json.gz.part")]
    [InlineData("1111_CloudTrail_us-east-1_20260115T0805Z_x.json")]                    // not an account id
    [InlineData("cloudaudit.googleapis.com/activity/2026/01/15/08_00_00_08_59_59_S0.json")]
    [InlineData("/y=2026/m=01/d=15/h=25/m=00/PT1H.json")]
    public void NamesThatSayNothing_AreAlwaysRead(string name)
    {
        Assert.Null(DeliveryWindow.SpanOf(name));
        Assert.True(new DeliveryWindow(At("2030-01-01T00:00:00Z"), At("2030-01-02T00:00:00Z")).MayHold(name));
    }

    [Theory]
    // --since: a file delivered well before it cannot hold one of its events; one delivered just before may (slack).
    [InlineData("2026-01-15T09:00:00Z", null, false)]
    [InlineData("2026-01-15T08:20:59Z", null, true)]
    [InlineData("2026-01-15T08:21:00Z", null, false)]
    [InlineData("2026-01-15T07:00:00Z", null, true)]
    // --until: a file delivered after it may still hold earlier events, delivered late; only a day and more after is left.
    [InlineData(null, "2026-01-15T08:00:00Z", true)]
    [InlineData(null, "2026-01-14T07:50:01Z", true)]
    [InlineData(null, "2026-01-14T07:50:00Z", false)]
    [InlineData("2026-01-15T08:00:00Z", "2026-01-15T08:10:00Z", true)]
    [InlineData(null, null, true)]
    public void MayHold_CloudTrail(string? since, string? until, bool expected) =>
        Assert.Equal(expected, new DeliveryWindow(since is null ? null : At(since), until is null ? null : At(until)).MayHold(Trail));

    [Theory]
    [InlineData("2026-01-15T09:14:59Z", null, true)]
    [InlineData("2026-01-15T09:15:00Z", null, false)]
    // --until: an hour's blob may hold events of up to a day before (an Entra sign-in processed late), and is read for them.
    [InlineData(null, "2026-01-15T07:45:00Z", true)]
    [InlineData(null, "2026-01-14T07:45:01Z", true)]
    [InlineData(null, "2026-01-14T07:45:00Z", false)]
    public void MayHold_AzureHour(string? since, string? until, bool expected) =>
        Assert.Equal(expected, new DeliveryWindow(since is null ? null : At(since), until is null ? null : At(until)).MayHold(AzureHour));

    [Fact]
    public async Task Apply_LeavesOutOnlyTheFilesThatCannotHoldTheWindowsEvents_AndLosesNoneOfThem()
    {
        var dir = Directory.CreateTempSubdirectory("window-").FullName;
        try
        {
            var simulated = await Firebreak.Detection.Simulation.AttackSimulator.RunAsync(
                new() { Scenario = "leaked-access-key", OutputDirectory = dir, Events = 1500, Seed = 9 }, TestContext.Current.CancellationToken);
            var all = await new CloudLogReader().ReadAllAsync(dir);
            var times = all.Select(e => e.Time).Order().ToList();
            var since = times[times.Count / 2];
            var until = since.AddHours(2);
            var window = new DeliveryWindow(since, until);
            var skipped = new List<string>();
            var reader = new CloudLogReader();

            var read = new List<Firebreak.Detection.Events.CloudEvent>();
            await foreach (var e in reader.ReadAsync(window.Apply(new FileLogInputSource(dir), input => skipped.Add(input.Name)), TestContext.Current.CancellationToken))
            {
                read.Add(e);
            }

            Assert.NotEmpty(skipped);
            Assert.Equal(simulated.Files.Count, reader.Summary.Files + skipped.Count);
            Assert.Equal(
                all.Where(e => e.Time >= since && e.Time < until).Select(e => e.EventId).Order(StringComparer.Ordinal),
                read.Where(e => e.Time >= since && e.Time < until).Select(e => e.EventId).Order(StringComparer.Ordinal));
            // Read on their own, the files left unread hold no event of the window.
            foreach (var name in skipped)
            {
                Assert.DoesNotContain(await new CloudLogReader().ReadAllAsync(name), e => e.Time >= since && e.Time < until);
            }
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }
}
