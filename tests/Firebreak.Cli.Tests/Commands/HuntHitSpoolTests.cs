using System.Text;
using System.Text.Json;
using Firebreak.Cli.Commands;
using Firebreak.Detection.Events;
using Firebreak.Detection.Hunting;
using Firebreak.Detection.Readers;
using Firebreak.Detection.Rules;
using Firebreak.Detection.Sigma;

namespace Firebreak.Cli.Tests.Commands;

/// <summary>
/// The store behind the table and json outputs and sending: real hits of the built-in pack over the
/// simulated attack, kept with runs small enough that nearly every few hits go to a file of their own.
/// </summary>
public sealed class HuntHitSpoolTests(SimulatedLogs sim) : IClassFixture<SimulatedLogs>, IDisposable
{
    private readonly string folder = Directory.CreateTempSubdirectory("spool-").FullName;

    public void Dispose() => Directory.Delete(folder, recursive: true);

    private async Task<List<HuntHit>> HuntAsync()
    {
        var reader = new CloudLogReader();
        // The built-in pack, and a correlation that the simulated background is sure to meet.
        var busy = SigmaParser.Parse("""
            title: any call
            name: any_call
            logsource: {product: aws, service: cloudtrail}
            detection:
              sel: {eventVersion|exists: true}
              condition: sel
            ---
            title: Busy principal
            id: 5d1f0c2a-7b3e-4c59-9a8d-2e6f4b1c3a70
            level: low
            correlation:
              type: event_count
              rules: [any_call]
              group-by: [userIdentity.arn]
              timespan: 1h
              condition: {gte: 20}
            """, "busy.yml");
        Assert.Empty(busy.Diagnostics);
        var hunt = new Hunt(CompiledRuleSet.Compile(BuiltInRules.Load().Documents.Concat(busy.Documents)), new HuntOptions { Workers = 2, BatchSize = 32 });
        var hits = new List<HuntHit>();
        await foreach (var hit in hunt.RunAsync(reader.ReadAsync(new Firebreak.Detection.Readers.Sources.FileLogInputSource(sim.Logs), TestContext.Current.CancellationToken), TestContext.Current.CancellationToken))
        {
            hits.Add(hit);
        }

        Assert.Contains(hits, h => h.Kind == HuntHitKind.Correlation);
        Assert.True(hits.Count > 50, $"{hits.Count} hits");
        return hits;
    }

    /// <summary>Everything the outputs show of a hit, and what sending uses.</summary>
    private static string Shown(HuntHit hit, bool withRecord) =>
        Encoding.UTF8.GetString(HitJsonWriter.ToLine(hit)) + "|" + AlertSender.Reference(hit) + "|" + JsonSerializer.Serialize(AlertSender.ToAlert(hit))
        + "|" + hit.Correlation?.FirstSeen.ToString("O") + "|" + string.Join(",", hit.Fields.Select(f => $"{f.Name}={f.Value}"))
        + "|" + (withRecord ? hit.Event?.Raw.GetRawText() : null) + "|" + hit.Event?.Actor.Uid + "|" + hit.Event?.LogSource;

    private static IEnumerable<HuntHit> InTimeOrder(IEnumerable<HuntHit> hits) =>
        hits.OrderBy(HuntCommand.HitTime).ThenBy(h => h.RuleKey, StringComparer.Ordinal).ThenBy(AlertSender.Reference, StringComparer.Ordinal);

    [Theory]
    [InlineData(HuntHitSpool.DefaultRunBytes, 0)]
    [InlineData(2048, 10)]
    public async Task KeptHits_ComeBackInTimeOrder_WithEverythingTheOutputsShow(int runBytes, int minimumRuns)
    {
        var hits = await HuntAsync();
        using var spool = new HuntHitSpool(keepRecords: true, runBytes, folder);
        foreach (var hit in hits)
        {
            spool.Add(spool.Prepare(hit));
        }

        Assert.Equal(hits.Count, spool.Count);
        Assert.InRange(spool.RunsOnDisk, minimumRuns, minimumRuns == 0 ? 0 : int.MaxValue);
        var expected = InTimeOrder(hits).Select(h => Shown(h, withRecord: true)).ToList();
        Assert.Equal(expected, spool.Read().Select(h => Shown(h, withRecord: true)).ToList());

        // Read again (the table reads once, sending once more): the same, from the start.
        Assert.Equal(expected, spool.Read().Select(h => Shown(h, withRecord: true)).ToList());

        var byRule = hits.GroupBy(h => h.RuleKey).ToDictionary(g => g.Key, g => (long)g.Count());
        Assert.Equal(byRule, spool.ByRule.ToDictionary(r => r.RuleKey, r => r.Hits));
        var correlation = Assert.IsType<HuntHit>(spool.Read().First(h => h.Kind == HuntHitKind.Correlation));
        Assert.NotNull(correlation.Correlation!.Correlation);
    }

    [Fact]
    public async Task Records_AreKeptOnlyWhenAsked_AndTheOrderIsTheSameWhateverTheArrivalOrder()
    {
        var hits = await HuntAsync();
        using var shuffled = new HuntHitSpool(keepRecords: false, runBytes: 4096, folder);
        foreach (var hit in hits.AsEnumerable().Reverse())
        {
            shuffled.Add(shuffled.Prepare(hit));
        }

        using var inOrder = new HuntHitSpool(keepRecords: false, runBytes: 1 << 20, folder);
        foreach (var hit in hits)
        {
            inOrder.Add(inOrder.Prepare(hit));
        }

        Assert.All(shuffled.Read(), h => Assert.True(h.Event is null || h.Event.Raw.ValueKind == JsonValueKind.Undefined));
        Assert.Equal(inOrder.Read().Select(h => Shown(h, withRecord: false)), shuffled.Read().Select(h => Shown(h, withRecord: false)));
    }

    [Fact]
    public async Task RunFiles_AreTheOwnersOnly_AndLeaveNothingBehind()
    {
        var hits = await HuntAsync();
        var spool = new HuntHitSpool(keepRecords: true, runBytes: 2048, folder);
        foreach (var hit in hits)
        {
            spool.Add(spool.Prepare(hit));
        }

        Assert.True(spool.RunsOnDisk > 10, $"{spool.RunsOnDisk} runs");
        if (OperatingSystem.IsWindows())
        {
            Assert.Equal(spool.RunsOnDisk, Directory.GetFiles(folder).Length);
        }
        else
        {
            // Unlinked as soon as they are open: nothing by name, even while they are read, so a hunt killed
            // before it cleans up leaves none of its hits in the temporary folder.
            Assert.Empty(Directory.GetFiles(folder));
            Assert.All(spool.RunFileModes(), mode => Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, mode));
            Assert.Equal(hits.Count, spool.Read().Count());
        }

        spool.Dispose();
        Assert.Empty(Directory.GetFiles(folder));
        Assert.Throws<ObjectDisposedException>(() => spool.Read().ToList());
    }

    [Fact]
    public async Task AFolderThatCannotTakeTheRuns_IsAClearError()
    {
        var hits = await HuntAsync();
        using var spool = new HuntHitSpool(keepRecords: false, runBytes: 512, Path.Combine(folder, "missing"));
        var error = Assert.Throws<CliException>(() =>
        {
            foreach (var hit in hits)
            {
                spool.Add(spool.Prepare(hit));
            }
        });
        Assert.Equal(ExitCodes.Usage, error.ExitCode);
        Assert.Contains("--output jsonl", error.Message);
        Assert.Contains("TMPDIR", error.Message);
    }

    [Fact]
    public void TimesKeepTheirOffset_AndHitsWithoutEventsOrTimesSortFirst()
    {
        var raw = JsonElement.Parse("""{"eventName":"StopLogging"}""");
        CloudEvent Event(DateTimeOffset time, string id) => new()
        {
            Time = time,
            EventId = id,
            LogSource = new LogSource("aws", "cloudtrail"),
            Provider = "aws",
            Actor = new EventActor { Type = "IAMUser", MfaUsed = false, SessionIssuer = "issuer" },
            Operation = "StopLogging",
            Resources = [new EventResource("AWS::CloudTrail::Trail", "arn:aws:cloudtrail:us-east-1:111122223333:trail/t", "t")],
            Outcome = EventOutcome.Failure,
            ErrorCode = "AccessDenied",
            Raw = raw,
            Origin = new EventOrigin("s3://bucket/key.json.gz", 3, 7),
        };
        var later = new DateTimeOffset(2026, 1, 15, 10, 0, 0, TimeSpan.FromHours(5.5));
        var earlier = new DateTimeOffset(2026, 1, 15, 9, 0, 0, TimeSpan.Zero); // 14:30 in the later one's offset, yet earlier
        HuntHit Hit(CloudEvent? e) => new(HuntHitKind.Rule, "rule-1", "Trail stopped", null, [], e, [new MatchedField("eventName", null)], null);
        using var spool = new HuntHitSpool(keepRecords: true, runBytes: 1, folder);
        foreach (var hit in new[] { Hit(Event(earlier, "b")), Hit(null), Hit(Event(later, "a")) })
        {
            spool.Add(spool.Prepare(hit));
        }

        var read = spool.Read().ToList();
        Assert.Null(read[0].Event);
        Assert.Equal([later, earlier], read.Skip(1).Select(h => h.Event!.Time));
        Assert.Equal(TimeSpan.FromHours(5.5), read[1].Event!.Time.Offset);
        var e = read[1].Event!;
        Assert.Equal((false, "issuer", EventOutcome.Failure, "AccessDenied"), (e.Actor.MfaUsed, e.Actor.SessionIssuer, e.Outcome, e.ErrorCode));
        Assert.Equal(new EventOrigin("s3://bucket/key.json.gz", 3, 7), e.Origin);
        Assert.Equal(Event(later, "a").Resources, e.Resources);
        Assert.Equal(raw.GetRawText(), e.Raw.GetRawText());
        Assert.Null(Assert.Single(read[1].Fields).Value);
        Assert.Null(read[1].Level);
    }
}
