using System.Text;
using Firebreak.Core.Alerts;
using Firebreak.Core.Common;
using Firebreak.Core.Identity;
using Firebreak.Core.Incidents;
using Firebreak.Core.Indicators;
using Firebreak.Core.Indicators.Enrichment;
using Firebreak.Core.Investigation;
using Firebreak.Core.Persistence;
using Firebreak.Core.Tests.Investigation;
using Firebreak.Testing;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace Firebreak.Core.Tests.Indicators;

public sealed class IndicatorTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("firebreak-indicators-").FullName;

    public void Dispose() => Directory.Delete(_root, recursive: true);

    private Task<CoreHarness> HarnessAsync(DatabaseKind kind, Action<IServiceCollection>? services = null) =>
        CoreHarness.CreateAsync(kind, new Dictionary<string, string?>
        {
            ["Firebreak:Investigation:RunImports"] = "false",
            ["Firebreak:Investigation:StagingDirectory"] = _root,
            ["Firebreak:Alerts:EscalationPollMilliseconds"] = "600000",
        }, services is null ? null : (s, _) => services(s));

    private static IncomingAlert Alert(string reference, string ip, string key, string? account = "123456789012", DateTimeOffset? firstSeen = null) => new()
    {
        Source = "guardduty",
        SourceReference = reference,
        Title = $"Alert {reference}",
        Severity = AlertSeverity.High,
        Provider = "aws",
        Account = account,
        FirstSeenAt = firstSeen,
        LastSeenAt = firstSeen?.AddMinutes(5),
        Resources = ["arn:aws:s3:::payroll"],
        Principals = [new AlertEntity(PrincipalTypes.AccessKey, key), new AlertEntity(PrincipalTypes.User, "arn:aws:iam::123456789012:user/mallory")],
        Observables = [new AlertEntity(ObservableTypes.Ip, ip), new AlertEntity(ObservableTypes.Process, "/usr/bin/curl")],
        RawPayload = "{}",
        Format = "generic",
    };

    private static async Task<List<Guid>> SubmitAsync(ActorScope scope, HarnessTenant tenant, params IncomingAlert[] alerts) =>
        (await scope.Get<AlertIntake>().SubmitAsync(tenant.Id, "test", alerts, null)).Alerts.Select(a => a.Id).ToList();

    private static async Task<string> IncidentAsync(ActorScope scope, string title = "Leaked key", Tlp tlp = Tlp.Amber, Pap pap = Pap.Amber, params string[] accounts) =>
        (await scope.Get<IncidentService>().CreateAsync(new CreateIncident(title, Tlp: tlp, Pap: pap,
            Scope: accounts.Length == 0 ? null : new CloudScope(["aws"], accounts, [])))).Reference;

    /// <summary>TrailLines' access key ids, made the 20 characters a real one has.</summary>
    private static string Trail(int n, string? ip = null) => TrailLines.Record(n, ip: ip).Replace("AKIAEXAMPLE", "AKIAEXAMPLE00000", StringComparison.Ordinal);

    private static async Task ImportAsync(CoreHarness harness, HarnessTenant tenant, string incident, IEnumerable<string> lines)
    {
        ImportView import;
        await using (var scope = harness.As(tenant.Responder))
            import = await scope.Get<EventImportService>().StartUploadAsync(incident, "trail.json", new MemoryStream(Encoding.UTF8.GetBytes(string.Join('\n', lines))));
        await using (var scope = harness.As(Actors.System("event-import")))
            await scope.Get<EventImportRunner>().RunAsync(import.Id, CancellationToken.None);
    }

    [Theory, MemberData(nameof(Databases.Both), MemberType = typeof(Databases))]
    public async Task Add_NormalisesAndDeduplicates_DefaultsMarkingsFromTheIncident_AndRefusesBadInput(DatabaseKind kind)
    {
        await using var harness = await HarnessAsync(kind);
        var acme = await harness.CreateTenantAsync("Acme");
        await using var scope = harness.As(acme.Responder);
        var incident = await IncidentAsync(scope, tlp: Tlp.Red, pap: Pap.Green);
        var indicators = scope.Get<IndicatorService>();

        var added = await indicators.AddAsync(incident, new AddIndicator(IndicatorType.Domain, " Evil.EXAMPLE.com. ", Description: "C2", Tags: ["C2", "c2", " tor "]));
        Assert.Equal("evil.example.com", added.Value);
        Assert.Equal(Tlp.Red, added.Tlp);
        Assert.Equal(Pap.Green, added.Pap);
        Assert.Equal(["c2", "tor"], added.Tags);
        Assert.Equal(IndicatorVerdict.Unknown, added.Verdict);
        Assert.True(added.Curated);
        Assert.Equal(acme.Responder.Name, added.AddedBy);
        Assert.Equal(harness.Time.GetUtcNow(), added.AddedAt);

        // The same value written another way is the same indicator.
        await Assert.ThrowsAsync<ConflictException>(() => indicators.AddAsync(incident, new AddIndicator(IndicatorType.Domain, "evil.example.COM")));
        var ip = await indicators.AddAsync(incident, new AddIndicator(IndicatorType.Ip, "::ffff:203.0.113.9", Tlp.Clear, Pap.Red, Verdict: IndicatorVerdict.Malicious));
        Assert.Equal(("203.0.113.9", Tlp.Clear, Pap.Red, IndicatorVerdict.Malicious), (ip.Value, ip.Tlp, ip.Pap, ip.Verdict));
        Assert.Equal(2, (await indicators.ListAsync(incident, new IndicatorQuery())).Total);

        var malformed = await Assert.ThrowsAsync<ValidationFailedException>(() => indicators.AddAsync(incident, new AddIndicator(IndicatorType.Ip, "300.1.1.1")));
        Assert.Contains("value", malformed.Errors.Keys);
        var missing = await Assert.ThrowsAsync<ValidationFailedException>(() => indicators.AddAsync(incident, new AddIndicator(null, "1.2.3.4")));
        Assert.Contains("type", missing.Errors.Keys);
        await Assert.ThrowsAsync<ValidationFailedException>(() => indicators.AddAsync(incident, new AddIndicator(IndicatorType.Url, "https://" + new string('a', 3000) + ".com")));
        await Assert.ThrowsAsync<ValidationFailedException>(() => indicators.AddAsync(incident, new AddIndicator(IndicatorType.Hash, "abc")));
        await Assert.ThrowsAsync<ValidationFailedException>(() => indicators.AddAsync(incident, new AddIndicator(IndicatorType.Ip, "198.51.100.1", Description: new string('x', 5000))));
        await Assert.ThrowsAsync<ValidationFailedException>(() => indicators.AddAsync(incident, new AddIndicator((IndicatorType)99, "x")));
        await Assert.ThrowsAsync<ValidationFailedException>(() => indicators.AddAsync(incident, new AddIndicator(IndicatorType.Ip, "198.51.100.1", Tags: Enumerable.Range(0, 30).Select(n => $"t{n}").ToList())));
        await Assert.ThrowsAsync<NotFoundException>(() => indicators.AddAsync("INC-2026-9999", new AddIndicator(IndicatorType.Ip, "198.51.100.1")));
        Assert.Equal(2, (await indicators.ListAsync(incident, new IndicatorQuery())).Total);

        // Update: markings and verdict, under the version the caller read.
        var changed = await indicators.UpdateAsync(incident, added.Id, new UpdateIndicator(Verdict: IndicatorVerdict.FalsePositive, Description: "our proxy"), added.Version);
        Assert.Equal((IndicatorVerdict.FalsePositive, "our proxy", Tlp.Red), (changed.Verdict, changed.Description, changed.Tlp));
        await Assert.ThrowsAsync<ConcurrencyConflictException>(() => indicators.UpdateAsync(incident, added.Id, new UpdateIndicator(Tlp: Tlp.Green), added.Version));

        var filtered = await indicators.ListAsync(incident, new IndicatorQuery { Type = IndicatorType.Domain, Text = "EVIL" });
        Assert.Equal(added.Id, Assert.Single(filtered.Items).Id);
        Assert.Empty((await indicators.ListAsync(incident, new IndicatorQuery { Verdict = IndicatorVerdict.Suspicious })).Items);

        await using (var viewer = harness.As(acme.Viewer))
        {
            var read = viewer.Get<IndicatorService>();
            Assert.Equal(2, (await read.ListAsync(incident, new IndicatorQuery())).Total);
            await Assert.ThrowsAsync<ForbiddenException>(() => read.AddAsync(incident, new AddIndicator(IndicatorType.Ip, "198.51.100.1")));
            await Assert.ThrowsAsync<ForbiddenException>(() => read.UpdateAsync(incident, added.Id, new UpdateIndicator(Tlp: Tlp.Green), null));
            await Assert.ThrowsAsync<ForbiddenException>(() => read.DeleteAsync(incident, added.Id, null));
            await Assert.ThrowsAsync<ForbiddenException>(() => read.EnrichAsync(incident, added.Id));
        }

        await indicators.DeleteAsync(incident, ip.Id, ip.Version);
        await Assert.ThrowsAsync<NotFoundException>(() => indicators.GetAsync(incident, ip.Id));
        await using var db = await scope.Get<IDbContextFactory<FirebreakDbContext>>().CreateDbContextAsync();
        Assert.True(await db.AuditEntries.AnyAsync(a => a.EntityType == nameof(Indicator) && a.Action == "deleted" && a.EntityId == ip.Id.ToString()));
    }

    [Theory, MemberData(nameof(Databases.Both), MemberType = typeof(Databases))]
    public async Task Escalation_ExtractsIndicatorsFromAlerts_MergeCounts_AndUndoRemovesOnlyWhatTheyBrought(DatabaseKind kind)
    {
        await using var harness = await HarnessAsync(kind);
        var acme = await harness.CreateTenantAsync("Acme");
        await using var scope = harness.As(acme.Responder);
        var t0 = harness.Time.GetUtcNow().AddHours(-5);
        var first = await SubmitAsync(scope, acme, Alert("a1", "203.0.113.9", "AKIAEXAMPLE000000001", firstSeen: t0));
        var escalations = scope.Get<EscalationService>();
        var promoted = await escalations.PromoteAsync(new PromoteCommand(first));
        var incident = promoted.IncidentReference;
        var indicators = scope.Get<IndicatorService>();

        var list = (await indicators.ListAsync(incident, new IndicatorQuery())).Items;
        Assert.Equal(
            new[] { "ip:203.0.113.9", "access-key-id:AKIAEXAMPLE000000001", "resource:arn:aws:s3:::payroll", "resource:arn:aws:iam::123456789012:user/mallory", "account-id:123456789012" }.Order(),
            list.Select(i => new IndicatorValue(i.Type, i.Value).ToString()).Order());
        var ip = list.Single(i => i.Type == IndicatorType.Ip);
        Assert.Equal((1L, 1, t0, t0.AddMinutes(5), "alerts", false), (ip.Sightings, ip.AlertSightings, ip.FirstSeen!.Value, ip.LastSeen!.Value, ip.AddedBy, ip.Curated));
        Assert.Equal(Tlp.Amber, ip.Tlp);

        // A second alert with the same address (written differently) and a new key, merged in.
        var second = await SubmitAsync(scope, acme, Alert("a2", "::ffff:203.0.113.9", "AKIAEXAMPLE000000002", firstSeen: t0.AddHours(1)));
        var merged = await escalations.MergeAsync(new MergeCommand(second, incident));
        ip = await indicators.GetAsync(incident, ip.Id);
        Assert.Equal((2L, t0, t0.AddHours(1).AddMinutes(5)), (ip.Sightings, ip.FirstSeen!.Value, ip.LastSeen!.Value));
        var key2 = (await indicators.ListAsync(incident, new IndicatorQuery { Type = IndicatorType.AccessKeyId, Text = "0002" })).Items.Single();

        // A responder curates the second key; undoing the merge keeps it (at zero sightings) and drops nothing else it did not bring.
        await indicators.UpdateAsync(incident, key2.Id, new UpdateIndicator(Verdict: IndicatorVerdict.Malicious), null);
        await escalations.UndoAsync(merged.Id);
        ip = await indicators.GetAsync(incident, ip.Id);
        Assert.Equal((1L, t0.AddMinutes(5)), (ip.Sightings, ip.LastSeen!.Value));
        var kept = await indicators.GetAsync(incident, key2.Id);
        Assert.Equal((0L, IndicatorVerdict.Malicious, true), (kept.Sightings, kept.Verdict, kept.Curated));
        Assert.Equal(6, (await indicators.ListAsync(incident, new IndicatorQuery())).Total);

        // Undoing the promotion takes away every indicator only those alerts brought.
        await escalations.UndoAsync(promoted.Id);
        var left = (await indicators.ListAsync(incident, new IndicatorQuery())).Items;
        Assert.Equal(key2.Id, Assert.Single(left).Id);

        // The alert's timeline entry links its observables.
        var again = await escalations.PromoteAsync(new PromoteCommand(first));
        var entry = (await scope.Get<TimelineService>().ListAsync(again.IncidentReference, new TimelineQuery())).Items.Single(t => t.Kind == TimelineKind.Alert);
        Assert.Contains("203.0.113.9", entry.Indicators);
    }

    [Theory, MemberData(nameof(Databases.Both), MemberType = typeof(Databases))]
    public async Task Import_ExtractsIndicatorsPerDistinctValue_AndAgainChangesNothing(DatabaseKind kind)
    {
        await using var harness = await HarnessAsync(kind);
        var acme = await harness.CreateTenantAsync("Acme");
        string incident;
        await using (var scope = harness.As(acme.Responder)) incident = await IncidentAsync(scope);
        // 100 events over 7 addresses, 5 users and keys, one account; AWS service calls carry a host name, not an address.
        var lines = Enumerable.Range(0, 100).Select(n => Trail(n, ip: n % 10 == 9 ? "s3.amazonaws.com" : null)).ToList();
        await ImportAsync(harness, acme, incident, lines);

        await using var reader = harness.As(acme.Viewer);
        var indicators = reader.Get<IndicatorService>();
        var all = (await indicators.ListAsync(incident, new IndicatorQuery { PageSize = 200 })).Items;
        Assert.Equal(7, all.Count(i => i.Type == IndicatorType.Ip));
        Assert.Equal(5, all.Count(i => i.Type == IndicatorType.AccessKeyId));
        Assert.Equal(5, all.Count(i => i.Type == IndicatorType.Resource));
        Assert.Equal("aws-cli/2.15", Assert.Single(all, i => i.Type == IndicatorType.UserAgent).Value);
        Assert.Equal(100, Assert.Single(all, i => i.Type == IndicatorType.UserAgent).EventSightings);
        Assert.Equal("111122223333", Assert.Single(all, i => i.Type == IndicatorType.AccountId).Value);
        Assert.DoesNotContain(all, i => i.Value.Contains("amazonaws", StringComparison.Ordinal));

        var expected = Enumerable.Range(0, 100).Where(n => n % 10 != 9 && n % 7 == 3).ToList();
        var address = all.Single(i => i.Value == "198.51.100.3");
        Assert.Equal((expected.Count, TrailLines.Start.AddSeconds(expected.Min()), TrailLines.Start.AddSeconds(expected.Max()), "events"),
            ((int)address.EventSightings, address.FirstSeen!.Value, address.LastSeen!.Value, address.AddedBy));
        Assert.Equal(Enumerable.Range(0, 100).Count(n => n % 5 == 2), all.Single(i => i.Value == "AKIAEXAMPLE000000002").EventSightings);

        // New events for the same values update the counts; a re-import of the same file adds nothing.
        await ImportAsync(harness, acme, incident, Enumerable.Range(100, 10).Select(n => Trail(n, ip: "198.51.100.3")));
        await ImportAsync(harness, acme, incident, lines);
        var after = (await indicators.ListAsync(incident, new IndicatorQuery { PageSize = 200 })).Items;
        Assert.Equal(all.Count, after.Count);
        Assert.Equal(expected.Count + 10, after.Single(i => i.Id == address.Id).EventSightings);
        Assert.Equal(TrailLines.Start.AddSeconds(109), after.Single(i => i.Id == address.Id).LastSeen);
    }

    [Theory, MemberData(nameof(Databases.Both), MemberType = typeof(Databases))]
    public async Task Sightings_ListOtherIncidentsOfTheTenant_NeverAnotherTenants(DatabaseKind kind)
    {
        await using var harness = await HarnessAsync(kind);
        var acme = await harness.CreateTenantAsync("Acme");
        var globex = await harness.CreateTenantAsync("Globex");
        string one, two, three, theirs;
        Guid theirsId;
        IndicatorView onOne;
        await using (var scope = harness.As(acme.Responder))
        {
            one = await IncidentAsync(scope, "One");
            two = await IncidentAsync(scope, "Two");
            three = await IncidentAsync(scope, "Three");
            var indicators = scope.Get<IndicatorService>();
            onOne = await indicators.AddAsync(one, new AddIndicator(IndicatorType.Ip, "203.0.113.77"));
            await indicators.AddAsync(two, new AddIndicator(IndicatorType.Ip, "203.0.113.77", Verdict: IndicatorVerdict.Malicious));
            await indicators.AddAsync(three, new AddIndicator(IndicatorType.Ip, "203.0.113.78"));
            // The same text as another type is another indicator.
            await indicators.AddAsync(three, new AddIndicator(IndicatorType.Cidr, "203.0.113.77/32"));
        }
        await using (var scope = harness.As(globex.Responder))
        {
            var created = await scope.Get<IncidentService>().CreateAsync(new CreateIncident("Globex one"));
            (theirs, theirsId) = (created.Reference, created.Id);
            await scope.Get<IndicatorService>().AddAsync(theirs, new AddIndicator(IndicatorType.Ip, "203.0.113.77"));
        }

        await using (var scope = harness.As(acme.Viewer))
        {
            var indicators = scope.Get<IndicatorService>();
            var view = await indicators.GetAsync(one, onOne.Id);
            var sighting = Assert.Single(view.AlsoSeenIn);
            Assert.Equal((two, "Two", IndicatorVerdict.Malicious), (sighting.Incident, sighting.Title, sighting.Verdict));
            Assert.Equal(1, view.AlsoSeenInCount);
            var listed = Assert.Single((await indicators.ListAsync(one, new IndicatorQuery())).Items);
            Assert.Equal(two, Assert.Single(listed.AlsoSeenIn).Incident);

            var search = Assert.Single(await indicators.SearchAsync("203.0.113.77", IndicatorType.Ip));
            Assert.Equal(new[] { one, two }.Order(), search.Incidents.Select(i => i.Incident).Order());
            // Without a type: every reading that matches (an IP here; "203.0.113.77" is also a valid user agent and resource, found nowhere).
            var untyped = Assert.Single(await indicators.SearchAsync(" 203.0.113.77 ", null));
            Assert.Equal(IndicatorType.Ip, untyped.Type);
            Assert.Equal(2, untyped.Incidents.Count);
            await Assert.ThrowsAsync<ValidationFailedException>(() => indicators.SearchAsync("not an ip", IndicatorType.Ip));
            await Assert.ThrowsAsync<ValidationFailedException>(() => indicators.SearchAsync("", null));
        }
        await using (var scope = harness.As(globex.Viewer))
        {
            var indicators = scope.Get<IndicatorService>();
            var search = Assert.Single(await indicators.SearchAsync("203.0.113.77", IndicatorType.Ip));
            Assert.Equal(theirs, Assert.Single(search.Incidents).Incident);
            var mine = Assert.Single((await indicators.ListAsync(theirs, new IndicatorQuery())).Items);
            Assert.Empty(mine.AlsoSeenIn);
            Assert.Equal(0, mine.AlsoSeenInCount);
            await Assert.ThrowsAsync<NotFoundException>(() => indicators.GetAsync(one, onOne.Id));
        }
        // Extraction running as the system actor still keeps to the incident's tenant.
        await using (var scope = harness.As(Actors.System("check")))
        {
            var system = scope.Get<IndicatorService>();
            var view = await system.GetAsync(theirsId.ToString(), (await system.ListAsync(theirsId.ToString(), new IndicatorQuery())).Items[0].Id);
            Assert.Empty(view.AlsoSeenIn);
        }
    }

    private sealed class FailingEnricher : IIndicatorEnricher
    {
        public string Name => "always-fails";

        public bool Supports(IndicatorType type) => type == IndicatorType.Ip;

        public Task<EnrichmentOutcome> EnrichAsync(EnrichmentRequest request, CancellationToken cancellationToken) =>
            throw new HttpRequestException("reputation service unreachable");
    }

    [Theory, MemberData(nameof(Databases.Both), MemberType = typeof(Databases))]
    public async Task Enrichment_RunsOnCreate_StoresResults_AndRecordsFailuresWithoutLosingTheIndicator(DatabaseKind kind)
    {
        await using var harness = await HarnessAsync(kind, s => s.AddScoped<IIndicatorEnricher, FailingEnricher>());
        var acme = await harness.CreateTenantAsync("Acme");
        await using var scope = harness.As(acme.Responder);
        var incident = await IncidentAsync(scope, accounts: "111122223333");
        var indicators = scope.Get<IndicatorService>();

        var ip = await indicators.AddAsync(incident, new AddIndicator(IndicatorType.Ip, "10.1.2.3"));
        var classified = Assert.Single(ip.Enrichments, e => e.Enricher == IpClassificationEnricher.EnricherName);
        Assert.True(classified.Succeeded);
        Assert.Equal("private", classified.Fields["class"]);
        Assert.Contains("RFC 1918", classified.Summary, StringComparison.Ordinal);
        var failed = Assert.Single(ip.Enrichments, e => e.Enricher == "always-fails");
        Assert.False(failed.Succeeded);
        Assert.Equal("reputation service unreachable", failed.Error);
        Assert.Equal(ip.Id, (await indicators.GetAsync(incident, ip.Id)).Id);

        var cloud = await indicators.AddAsync(incident, new AddIndicator(IndicatorType.Ip, "3.5.140.2"));
        Assert.Equal(("cloud", "aws"), (cloud.Enrichments[^1].Fields["class"], cloud.Enrichments[^1].Fields["provider"]));
        var doc = await indicators.AddAsync(incident, new AddIndicator(IndicatorType.Cidr, "2001:db8::/48"));
        Assert.Equal("documentation", Assert.Single(doc.Enrichments).Fields["class"]);

        var known = await indicators.AddAsync(incident, new AddIndicator(IndicatorType.AccountId, "111122223333"));
        Assert.Equal("true", Assert.Single(known.Enrichments).Fields["known"]);
        Assert.Contains(incident, known.Enrichments[0].Summary, StringComparison.Ordinal);
        var stranger = await indicators.AddAsync(incident, new AddIndicator(IndicatorType.AccountId, "999988887777"));
        Assert.Equal("false", Assert.Single(stranger.Enrichments).Fields["known"]);

        // Types no enricher supports have none; a re-run replaces results rather than piling them up.
        Assert.Empty((await indicators.AddAsync(incident, new AddIndicator(IndicatorType.Domain, "example.org"))).Enrichments);
        harness.Time.Advance(TimeSpan.FromHours(1));
        var rerun = await indicators.EnrichAsync(incident, ip.Id);
        Assert.Equal(2, rerun.Enrichments.Count);
        Assert.All(rerun.Enrichments, e => Assert.Equal(harness.Time.GetUtcNow(), e.At));

        // Extracted indicators are enriched too.
        var alerts = await SubmitAsync(scope, acme, Alert("e1", "192.168.4.4", "AKIAEXAMPLE000000009", account: "999988887777"));
        var promoted = await scope.Get<EscalationService>().PromoteAsync(new PromoteCommand(alerts));
        var extracted = (await indicators.ListAsync(promoted.IncidentReference, new IndicatorQuery { Type = IndicatorType.Ip })).Items.Single();
        Assert.Equal("private", extracted.Enrichments.Single(e => e.Succeeded).Fields["class"]);
    }
}
