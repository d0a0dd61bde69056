using System.Text;
using System.Text.Json;
using Firebreak.Core.Common;
using Firebreak.Core.Identity;
using Firebreak.Core.Incidents;
using Firebreak.Core.Investigation;
using Firebreak.Testing;

namespace Firebreak.Core.Tests.Investigation;

public sealed class TimelineTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("firebreak-timeline-").FullName;

    public void Dispose() => Directory.Delete(_root, recursive: true);

    /// <summary>An incident holding 300 events: principals user0..user4, every tenth one failing as AccessDenied.</summary>
    private async Task<(CoreHarness Harness, HarnessTenant Tenant, string Incident)> SeedAsync(DatabaseKind kind)
    {
        var harness = await CoreHarness.CreateAsync(kind, new Dictionary<string, string?>
        {
            ["Firebreak:Investigation:RunImports"] = "false",
            ["Firebreak:Investigation:StagingDirectory"] = _root,
        });
        var tenant = await harness.CreateTenantAsync("Acme");
        string incident;
        ImportView import;
        await using (var scope = harness.As(tenant.Responder))
        {
            incident = (await scope.Get<IncidentService>().CreateAsync(new CreateIncident("Leaked key"))).Reference;
            var lines = Enumerable.Range(0, 300).Select(n => TrailLines.Record(n, error: n % 10 == 0 ? "AccessDenied" : null));
            import = await scope.Get<EventImportService>().StartUploadAsync(incident, "trail.json", new MemoryStream(Encoding.UTF8.GetBytes(string.Join('\n', lines))));
        }
        await using (var scope = harness.As(Actors.System("event-import")))
            await scope.Get<EventImportRunner>().RunAsync(import.Id, CancellationToken.None);
        return (harness, tenant, incident);
    }

    [Theory, MemberData(nameof(Databases.Both), MemberType = typeof(Databases))]
    public async Task Search_FiltersByField_AndPagesInTimeOrder(DatabaseKind kind)
    {
        var (harness, tenant, incident) = await SeedAsync(kind);
        await using var _ = harness;
        await using var scope = harness.As(tenant.Viewer);
        var search = scope.Get<EventSearchService>();

        var seen = new List<EventSummary>();
        string? after = null;
        do
        {
            var page = await search.SearchAsync(incident, new EventQuery { Principal = "arn:aws:iam::111122223333:user/user3", Limit = 25, After = after });
            seen.AddRange(page.Items);
            after = page.Next;
        }
        while (after is not null);
        Assert.Equal(Enumerable.Range(0, 300).Where(n => n % 5 == 3).Select(n => $"ev-{n:D8}"), seen.Select(e => e.EventId));
        Assert.Equal(seen.Select(e => e.Time).Order(), seen.Select(e => e.Time));

        var key = await search.SearchAsync(incident, new EventQuery { AccessKeyId = "AKIAEXAMPLE0001", Operation = "ListBuckets", Limit = 500 });
        Assert.Equal(Enumerable.Range(0, 300).Where(n => n % 5 == 1 && n % 2 == 1).Count(), key.Items.Count);
        var window = await search.SearchAsync(incident, new EventQuery { From = TrailLines.Start.AddSeconds(10), To = TrailLines.Start.AddSeconds(20), Region = "eu-west-1" });
        Assert.Equal(new[] { 12, 15, 18 }.Select(n => $"ev-{n:D8}"), window.Items.Select(e => e.EventId));
        var failed = await search.SearchAsync(incident, new EventQuery { ErrorCode = "AccessDenied", SourceIp = "198.51.100.0", Limit = 500 });
        Assert.Equal(Enumerable.Range(0, 300).Where(n => n % 10 == 0 && n % 7 == 0).Select(n => $"ev-{n:D8}"), failed.Items.Select(e => e.EventId));
        var resource = await search.SearchAsync(incident, new EventQuery { Resource = "arn:aws:s3:::bucket-2", Limit = 500 });
        Assert.Equal(75, resource.Items.Count);
        var text = await search.SearchAsync(incident, new EventQuery { Text = "ev-00000042" });
        Assert.Equal("ev-00000042", Assert.Single(text.Items).EventId);

        var details = await search.GetAsync(incident, text.Items[0].Id);
        Assert.Contains("\"eventID\":\"ev-00000042\"", details.Raw, StringComparison.Ordinal);
        Assert.Equal("trail.json:43", details.Origin);

        await Assert.ThrowsAsync<ValidationFailedException>(() => search.SearchAsync(incident, new EventQuery { After = "not-a-cursor" }));
        await Assert.ThrowsAsync<ValidationFailedException>(() => search.SearchAsync(incident, new EventQuery { Limit = 100_000 }));
        await Assert.ThrowsAsync<ValidationFailedException>(() => search.SearchAsync(incident, new EventQuery { From = TrailLines.Start, To = TrailLines.Start }));
        await Assert.ThrowsAsync<NotFoundException>(() => search.GetAsync(incident, long.MaxValue));
    }

    [Theory, MemberData(nameof(Databases.Both), MemberType = typeof(Databases))]
    public async Task Timeline_MergesPinnedEventsAnalystEntriesAndPhaseChanges_AndExports(DatabaseKind kind)
    {
        var (harness, tenant, incident) = await SeedAsync(kind);
        await using var _ = harness;
        await using var scope = harness.As(tenant.Responder);
        var search = scope.Get<EventSearchService>();
        var timeline = scope.Get<TimelineService>();
        var denied = await search.SearchAsync(incident, new EventQuery { ErrorCode = "AccessDenied", Limit = 3 });

        var pin = await timeline.PinAsync(incident, new PinEvents([.. denied.Items.Select(e => e.Id)], KeyEvent: true, Tactic: "discovery", Technique: "T1619"));
        Assert.Equal(3, pin.Pinned.Count);
        var again = await timeline.PinAsync(incident, new PinEvents([denied.Items[0].Id]));
        Assert.Equal((0, 1), (again.Pinned.Count, again.AlreadyPinned));
        var first = pin.Pinned[0];
        Assert.Equal((TimelineKind.CloudEvent, TrailLines.Start, "discovery", "T1619", true), (first.Kind, first.EventTime, first.Tactic, first.Technique, first.KeyEvent));
        Assert.Contains("arn:aws:iam::111122223333:user/user0", first.Principals);
        Assert.Contains("198.51.100.0", first.Indicators);
        Assert.NotEqual(first.EventTime, first.IngestedAt);
        Assert.Contains("ev-00000000", (await timeline.GetAsync(incident, first.Id)).Raw, StringComparison.Ordinal);

        var note = await timeline.AddAsync(incident, new AddTimelineEntry(TrailLines.Start.AddSeconds(15), "Attacker enumerates buckets",
            Tactic: "Discovery", Technique: "t1619", Assets: ["arn:aws:s3:::bucket-1"]));
        Assert.Equal(("discovery", "T1619", TimelineKind.Analyst), (note.Tactic, note.Technique, note.Kind));
        await using (var manager = harness.As(tenant.Manager))
        {
            var incidents = manager.Get<IncidentService>();
            await incidents.AssignRolesAsync(incident, new AssignRoles(tenant.Users[Role.IncidentManager].Id, null), null);
            await incidents.TransitionAsync(incident, Phase.Containment, "Key confirmed leaked", null);
        }

        var flagged = await timeline.UpdateAsync(incident, pin.Pinned[1].Id, new UpdateTimelineEntry(FalseLead: true, KeyEvent: false, Annotation: "Scanner, not the attacker"), pin.Pinned[1].Version);
        Assert.Equal((true, false, "Scanner, not the attacker", pin.Pinned[1].Version + 1), (flagged.FalseLead, flagged.KeyEvent, flagged.Annotation, flagged.Version));
        await Assert.ThrowsAsync<ConcurrencyConflictException>(() => timeline.UpdateAsync(incident, pin.Pinned[1].Id, new UpdateTimelineEntry(KeyEvent: true), pin.Pinned[1].Version));

        var all = await timeline.ListAsync(incident, new TimelineQuery());
        Assert.Equal([TimelineKind.CloudEvent, TimelineKind.CloudEvent, TimelineKind.Analyst, TimelineKind.CloudEvent, TimelineKind.PhaseChange], all.Items.Select(t => t.Kind));
        Assert.Equal(5, all.Total);
        Assert.Equal(2, (await timeline.ListAsync(incident, new TimelineQuery { KeyEventsOnly = true })).Total);
        Assert.Equal(4, (await timeline.ListAsync(incident, new TimelineQuery { HideFalseLeads = true })).Total);
        Assert.Equal(3, (await timeline.ListAsync(incident, new TimelineQuery { From = TrailLines.Start.AddSeconds(5), To = TrailLines.Start.AddSeconds(30) })).Total);
        Assert.Equal(1, (await timeline.ListAsync(incident, new TimelineQuery { Text = "scanner" })).Total);
        Assert.Equal(1, (await timeline.ListAsync(incident, new TimelineQuery { Kinds = [TimelineKind.PhaseChange] })).Total);

        var csv = new MemoryStream();
        await timeline.ExportAsync(incident, "csv", new TimelineQuery(), csv);
        var lines = Encoding.UTF8.GetString(csv.ToArray()).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(6, lines.Length);
        Assert.StartsWith("event_time,discovered_at,ingested_at,kind,title", lines[0], StringComparison.Ordinal);
        Assert.Contains("2026-03-01T00:00:15.000Z", lines[3], StringComparison.Ordinal);
        Assert.Contains("analyst", lines[3], StringComparison.Ordinal);
        var json = new MemoryStream();
        await timeline.ExportAsync(incident, "json", new TimelineQuery { KeyEventsOnly = true }, json);
        using var document = JsonDocument.Parse(json.ToArray());
        var entries = document.RootElement.GetProperty("entries");
        Assert.Equal(2, entries.GetArrayLength());
        Assert.Contains("AccessDenied", entries[0].GetProperty("raw").GetString(), StringComparison.Ordinal);

        await Assert.ThrowsAsync<ValidationFailedException>(() => timeline.AddAsync(incident, new AddTimelineEntry(TrailLines.Start, "x", Tactic: "teleportation")));
        await Assert.ThrowsAsync<ValidationFailedException>(() => timeline.AddAsync(incident, new AddTimelineEntry(TrailLines.Start, "x", Technique: "TA0001")));
        await Assert.ThrowsAsync<ValidationFailedException>(() => timeline.AddAsync(incident, new AddTimelineEntry(TrailLines.Start, "")));
        await Assert.ThrowsAsync<ValidationFailedException>(() => timeline.AddAsync(incident, new AddTimelineEntry(TrailLines.Start, "x", Principals: [.. Enumerable.Repeat("p", 101)])));
        await Assert.ThrowsAsync<NotFoundException>(() => timeline.PinAsync(incident, new PinEvents([long.MaxValue])));
        await Assert.ThrowsAsync<ValidationFailedException>(() => timeline.PinAsync(incident, new PinEvents([])));
        await Assert.ThrowsAsync<ValidationFailedException>(() => timeline.ExportAsync(incident, "xml", new TimelineQuery(), Stream.Null));
        await using var viewer = harness.As(tenant.Viewer);
        await Assert.ThrowsAsync<ForbiddenException>(() => viewer.Get<TimelineService>().AddAsync(incident, new AddTimelineEntry(TrailLines.Start, "x")));
        await Assert.ThrowsAsync<ForbiddenException>(() => viewer.Get<TimelineService>().UpdateAsync(incident, first.Id, new UpdateTimelineEntry(KeyEvent: false), null));
    }
}
