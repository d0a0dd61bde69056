using System.Text.Json.Nodes;
using Firebreak.Core.Alerts;
using Firebreak.Core.Identity;
using Firebreak.Core.Incidents;
using Firebreak.Core.Indicators;
using Firebreak.Core.Investigation;
using Firebreak.Core.Persistence;
using Firebreak.Core.Tests.Investigation;
using Firebreak.Core.ThreatIntel;
using Firebreak.Testing;
using Microsoft.EntityFrameworkCore;

namespace Firebreak.Core.Tests.ThreatIntel;

public sealed class ThreatIntelMatchingTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("firebreak-intel-").FullName;

    public void Dispose() => Directory.Delete(_root, recursive: true);

    private Task<CoreHarness> HarnessAsync(DatabaseKind kind) => CoreHarness.CreateAsync(kind, new Dictionary<string, string?>
    {
        ["Firebreak:ThreatIntel:Poll"] = "false",
        ["Firebreak:Investigation:RunImports"] = "false",
        ["Firebreak:Investigation:StagingDirectory"] = Path.Combine(_root, "staging"),
    });

    private static IncomingAlert Alert(string reference, params AlertEntity[] observables) => new()
    {
        Source = "guardduty",
        SourceReference = reference,
        Title = "Unusual API call " + reference,
        Principals = [new AlertEntity(PrincipalTypes.User, "arn:aws:iam::111122223333:user/alice")],
        Observables = observables,
        RawPayload = "{}",
        Format = "generic",
    };

    private static async Task ImportAsync(CoreHarness harness, HarnessTenant tenant, string feed, string json)
    {
        await using var scope = harness.As(tenant.Responder);
        await scope.Get<ThreatIntelService>().ImportAsync(feed, FeedFormat.Stix, FeedFixtures.Bytes(json));
    }

    private static string Bundle(params JsonObject[] objects) =>
        new JsonObject { ["type"] = "bundle", ["id"] = "bundle--1", ["objects"] = new JsonArray(objects.Select(o => o.DeepClone()).ToArray()) }.ToJsonString();

    private static async Task<List<Alert>> IntelAlertsAsync(CoreHarness harness, HarnessTenant tenant)
    {
        await using var scope = harness.As(tenant.Viewer);
        await using var db = await scope.Get<IDbContextFactory<FirebreakDbContext>>().CreateDbContextAsync();
        return await db.Alerts.Where(a => a.Source == ThreatIntelMatcher.AlertSource).OrderBy(a => a.ReceivedAt).ThenBy(a => a.Title).ToListAsync();
    }

    private static async Task<List<ThreatIntelMatch>> MatchesAsync(CoreHarness harness, HarnessTenant tenant)
    {
        await using var scope = harness.As(tenant.Viewer);
        await using var db = await scope.Get<IDbContextFactory<FirebreakDbContext>>().CreateDbContextAsync();
        return await db.ThreatIntelMatches.ToListAsync();
    }

    /// <summary>Matching runs in the background: wait until the condition holds (or fail after a while).</summary>
    private static async Task<T> EventuallyAsync<T>(Func<Task<T>> read, Func<T, bool> done)
    {
        var deadline = DateTime.UtcNow + HangGuard.Limit;
        while (true)
        {
            var value = await read();
            if (done(value) || DateTime.UtcNow > deadline) return value;
            await Task.Delay(50);
        }
    }

    [Theory, MemberData(nameof(Databases.Both), MemberType = typeof(Databases))]
    public async Task Alert_CarryingAFeedIndicator_RaisesOneThreatIntelAlert_AndRepeatsDeduplicate(DatabaseKind kind)
    {
        await using var harness = await HarnessAsync(kind);
        var acme = await harness.CreateTenantAsync("Acme");
        var globex = await harness.CreateTenantAsync("Globex");
        await ImportAsync(harness, acme, "Partner", FeedFixtures.Bundle);
        await ImportAsync(harness, acme, "Partner", Bundle(FeedFixtures.Indicator(FeedFixtures.IndicatorId(1), "[ipv4-addr:value = '192.0.2.50']", validUntil: "2026-03-01T00:00:00Z")));
        await using var scope = harness.As(acme.Responder);
        var intake = scope.Get<AlertIntake>();

        // Nothing to match: revoked, expired, another tenant's feed, an unrelated value.
        await intake.SubmitAsync(acme.Id, "siem", [Alert("a-revoked", new AlertEntity(ObservableTypes.Ip, "192.0.2.200"))], null);
        await intake.SubmitAsync(acme.Id, "siem", [Alert("a-expired", new AlertEntity(ObservableTypes.Ip, "192.0.2.50"))], null);
        await intake.SubmitAsync(globex.Id, "siem", [Alert("g-1", new AlertEntity(ObservableTypes.Ip, "203.0.113.10"))], null);
        // Matches: exact (written differently), by CIDR, and a principal.
        var first = await intake.SubmitAsync(acme.Id, "siem", [Alert("a-1", new AlertEntity(ObservableTypes.Ip, "203.0.113.10"), new AlertEntity(ObservableTypes.Domain, "EVIL.example.com."))], null);
        var alerts = await EventuallyAsync(() => IntelAlertsAsync(harness, acme), a => a.Count >= 2);

        Assert.Equal(2, alerts.Count);
        var ip = alerts.Single(a => a.Observables.Any(o => o.Value == "203.0.113.10"));
        Assert.Equal((AlertSeverity.High, "threat-intel-match", ThreatIntelMatcher.AlertSource), (ip.Severity, ip.Category, ip.Format));
        Assert.Contains("feed 'Partner'", ip.Description, StringComparison.Ordinal);
        Assert.Contains(first.Alerts[0].Id.ToString(), ip.Description, StringComparison.Ordinal);
        Assert.Contains(first.Alerts[0].Id.ToString(), ip.RawPayload, StringComparison.Ordinal);
        Assert.Single(alerts, a => a.Observables.Any(o => o.Value == "evil.example.com"));

        // The same IP in another alert: the raised alert repeats (same source reference), it is not a second one.
        await intake.SubmitAsync(acme.Id, "siem", [Alert("a-2", new AlertEntity(ObservableTypes.Ip, "203.0.113.10"))], null);
        alerts = await EventuallyAsync(() => IntelAlertsAsync(harness, acme), a => a.Any(x => x.OccurrenceCount == 2));
        Assert.Equal(2, alerts.Count);
        Assert.Equal(2, alerts.Single(a => a.Observables.Any(o => o.Value == "203.0.113.10")).OccurrenceCount);

        await intake.SubmitAsync(acme.Id, "siem", [Alert("a-3", new AlertEntity(ObservableTypes.Ip, "198.51.100.200"))], null);
        alerts = await EventuallyAsync(() => IntelAlertsAsync(harness, acme), a => a.Count >= 3);
        var cidr = alerts.Single(a => a.Observables.Any(o => o.Value == "198.51.100.200"));
        Assert.Contains("198.51.100.0/24", cidr.Description, StringComparison.Ordinal);

        // Each match is stored before its alert is raised and then points at it: wait for the last one.
        var matches = await EventuallyAsync(() => MatchesAsync(harness, acme), m => m.Count >= 4 && m.All(x => x.RaisedAlertId is not null));
        Assert.Equal(4, matches.Count);
        Assert.All(matches, m => Assert.Equal(MatchSubject.Alert, m.Subject));
        Assert.All(matches, m => Assert.NotNull(m.RaisedAlertId));
        Assert.DoesNotContain(matches, m => m.MatchedValue is "192.0.2.200" or "192.0.2.50");
        Assert.Empty(await IntelAlertsAsync(harness, globex));
        // The raised alerts carry the matched IP themselves, and were not matched again.
        Assert.Equal(3, (await IntelAlertsAsync(harness, acme)).Count);
    }

    [Theory, MemberData(nameof(Databases.Both), MemberType = typeof(Databases))]
    public async Task MatchStoredWithoutItsAlert_IsRaisedOnTheNextPass_NotLost(DatabaseKind kind)
    {
        await using var harness = await HarnessAsync(kind);
        var acme = await harness.CreateTenantAsync("Acme");
        await ImportAsync(harness, acme, "Partner", FeedFixtures.Bundle);
        await using var scope = harness.As(acme.Responder);
        var submitted = await scope.Get<AlertIntake>().SubmitAsync(acme.Id, "siem", [Alert("a-1", new AlertEntity(ObservableTypes.Ip, "203.0.113.10"))], null);
        await EventuallyAsync(() => MatchesAsync(harness, acme), m => m.Count == 1 && m[0].RaisedAlertId is not null);

        // A run that stopped after storing the match and before raising its alert leaves this behind.
        await using (var db = await scope.Get<IDbContextFactory<FirebreakDbContext>>().CreateDbContextAsync())
        {
            await db.ThreatIntelMatches.ExecuteUpdateAsync(m => m.SetProperty(x => x.RaisedAlertId, (Guid?)null));
            await db.Alerts.Where(a => a.Source == ThreatIntelMatcher.AlertSource).ExecuteDeleteAsync();
        }

        await using (var db = await scope.Get<IDbContextFactory<FirebreakDbContext>>().CreateDbContextAsync())
        {
            var alert = await db.Alerts.SingleAsync(a => a.Id == submitted.Alerts[0].Id);
            Assert.Equal(1, await scope.Get<ThreatIntelMatcher>().MatchAlertsAsync(acme.Id, [alert], CancellationToken.None));
        }
        var raised = Assert.Single(await IntelAlertsAsync(harness, acme));
        var match = Assert.Single(await MatchesAsync(harness, acme));
        Assert.Equal(raised.Id, match.RaisedAlertId);

        // Once raised, a further pass raises nothing.
        await using (var db = await scope.Get<IDbContextFactory<FirebreakDbContext>>().CreateDbContextAsync())
        {
            var alert = await db.Alerts.SingleAsync(a => a.Id == submitted.Alerts[0].Id);
            Assert.Equal(0, await scope.Get<ThreatIntelMatcher>().MatchAlertsAsync(acme.Id, [alert], CancellationToken.None));
        }
        Assert.Equal(1, Assert.Single(await IntelAlertsAsync(harness, acme)).OccurrenceCount);
    }

    [Theory, MemberData(nameof(Databases.Both), MemberType = typeof(Databases))]
    public async Task Reimport_UpdatesInPlace_AndRevocationStopsMatching(DatabaseKind kind)
    {
        await using var harness = await HarnessAsync(kind);
        var acme = await harness.CreateTenantAsync("Acme");
        var indicator = FeedFixtures.Indicator(FeedFixtures.IndicatorId(7), "[ipv4-addr:value = '192.0.2.7']", confidence: 30);
        await ImportAsync(harness, acme, "Partner", Bundle(indicator));
        indicator["confidence"] = 95;
        await ImportAsync(harness, acme, "Partner", Bundle(indicator));
        await using (var scope = harness.As(acme.Viewer))
        {
            var page = await scope.Get<ThreatIntelService>().ListIndicatorsAsync(new FeedIndicatorQuery("192.0.2.7"));
            Assert.Equal(1, page.Total);
            Assert.Equal((95, true), (page.Items[0].Confidence!.Value, page.Items[0].Active));
        }
        indicator["revoked"] = true;
        await ImportAsync(harness, acme, "Partner", Bundle(indicator));
        await using (var scope = harness.As(acme.Responder))
        {
            var intake = scope.Get<AlertIntake>();
            await intake.SubmitAsync(acme.Id, "siem", [Alert("r-1", new AlertEntity(ObservableTypes.Ip, "192.0.2.7"))], null);
            // A sentinel that does match, so the revoked one has surely been looked at.
            await ImportAsync(harness, acme, "Other", Bundle(FeedFixtures.Indicator(FeedFixtures.IndicatorId(8), "[ipv4-addr:value = '192.0.2.8']")));
            await intake.SubmitAsync(acme.Id, "siem", [Alert("r-2", new AlertEntity(ObservableTypes.Ip, "192.0.2.8"))], null);
            var alerts = await EventuallyAsync(() => IntelAlertsAsync(harness, acme), a => a.Count >= 1);
            Assert.Equal(["192.0.2.8"], alerts.SelectMany(a => a.Observables).Select(o => o.Value));
            var page = await scope.Get<ThreatIntelService>().ListIndicatorsAsync(new FeedIndicatorQuery("192.0.2.7"));
            Assert.False(page.Items[0].Active);
        }
    }

    [Theory, MemberData(nameof(Databases.Both), MemberType = typeof(Databases))]
    public async Task IncidentEvents_AreMatchedAfterImport_AndWhenAFeedBringsNewIndicators(DatabaseKind kind)
    {
        await using var harness = await HarnessAsync(kind);
        var acme = await harness.CreateTenantAsync("Acme");
        await ImportAsync(harness, acme, "Partner", Bundle(
            FeedFixtures.Indicator(FeedFixtures.IndicatorId(1), "[ipv4-addr:value = '198.51.100.3']", confidence: 60),
            FeedFixtures.Indicator(FeedFixtures.IndicatorId(2), "[user-account:user_id = 'arn:aws:iam::111122223333:user/user2']", confidence: 90)));
        string reference;
        Guid incidentId;
        await using (var scope = harness.As(acme.Responder))
        {
            var incident = await scope.Get<IncidentService>().CreateAsync(new CreateIncident("Leaked key"));
            (reference, incidentId) = (incident.Reference, incident.Id);
            var import = await scope.Get<EventImportService>().StartUploadAsync(reference, "trail.json", new MemoryStream(TrailLines.Lines(Enumerable.Range(0, 70))));
            await using var system = harness.As(Actors.System("event-import"));
            await system.Get<EventImportRunner>().RunAsync(import.Id, CancellationToken.None);
        }

        var matches = await EventuallyAsync(() => MatchesAsync(harness, acme), m => m.Count >= 2 && m.All(x => x.RaisedAlertId is not null));
        Assert.Equal(2, matches.Count);
        var ip = matches.Single(m => m.MatchedValue == "198.51.100.3");
        Assert.Equal((MatchSubject.Event, incidentId, 10), (ip.Subject, ip.IncidentId!.Value, ip.EventCount));
        Assert.NotNull(ip.EventId);
        Assert.Equal(14, matches.Single(m => m.MatchedValue == "arn:aws:iam::111122223333:user/user2").EventCount);
        var alerts = await IntelAlertsAsync(harness, acme);
        Assert.Equal(2, alerts.Count);
        Assert.All(alerts, a => Assert.Contains(reference, a.Description, StringComparison.Ordinal));
        Assert.Contains(alerts, a => a.Severity == AlertSeverity.High);

        // A new feed indicator (a CIDR) is matched against the events already stored.
        await ImportAsync(harness, acme, "Partner", Bundle(FeedFixtures.Indicator(FeedFixtures.IndicatorId(3), "[ipv4-addr:value = '198.51.100.4/31']")));
        matches = await EventuallyAsync(() => MatchesAsync(harness, acme), m => m.Count >= 4 && m.All(x => x.RaisedAlertId is not null));
        Assert.Equal(["198.51.100.3", "198.51.100.4", "198.51.100.5", "arn:aws:iam::111122223333:user/user2"], matches.Select(m => m.MatchedValue).Order(StringComparer.Ordinal));
        Assert.Equal(4, (await IntelAlertsAsync(harness, acme)).Count);

        // Matching the same events again raises nothing new.
        await using (var scope = harness.As(acme.Admin))
        {
            Assert.Equal(0, await scope.Get<ThreatIntelMatcher>().MatchIncidentEventsAsync(incidentId, null, CancellationToken.None));
            var listed = await scope.Get<ThreatIntelService>().ListMatchesAsync(null, null);
            Assert.Equal(4, listed.Total);
            Assert.All(listed.Items, m => Assert.Equal(reference, m.IncidentReference));
        }
    }

    [Theory, MemberData(nameof(Databases.Both), MemberType = typeof(Databases))]
    public async Task Feeds_ValidateInput_AndNamesAreUniquePerTenant(DatabaseKind kind)
    {
        await using var harness = await HarnessAsync(kind);
        var acme = await harness.CreateTenantAsync("Acme");
        await using var scope = harness.As(acme.Admin);
        var intel = scope.Get<ThreatIntelService>();
        var bad = await Assert.ThrowsAsync<Common.ValidationFailedException>(() => intel.CreateFeedAsync(new CreateFeed("", FeedKind.Taxii, "ftp://x", null, FeedAuth.Basic)));
        Assert.Equal(["collectionId", "name", "secret", "url", "username"], bad.Errors.Keys.Order(StringComparer.Ordinal));
        await Assert.ThrowsAsync<Common.ValidationFailedException>(() => intel.CreateFeedAsync(new CreateFeed("X", FeedKind.Misp, "https://user:pw@feeds.example.com/")));
        await Assert.ThrowsAsync<Common.ValidationFailedException>(() => intel.CreateFeedAsync(new CreateFeed("X", PollMinutes: 0)));
        await intel.CreateFeedAsync(new CreateFeed("Same"));
        await Assert.ThrowsAsync<Common.ConflictException>(() => intel.CreateFeedAsync(new CreateFeed("Same")));
        await Assert.ThrowsAsync<Common.ConflictException>(() => intel.PollAsync("Same"));
        await Assert.ThrowsAsync<FeedFormatException>(() => intel.ImportAsync("Same", FeedFormat.Stix, FeedFixtures.Bytes("{ nope")));
        await Assert.ThrowsAsync<Common.NotFoundException>(() => intel.GetFeedAsync("nope"));

        var other = await harness.CreateTenantAsync("Other");
        await using var otherScope = harness.As(other.Admin);
        await Assert.ThrowsAsync<Common.NotFoundException>(() => otherScope.Get<ThreatIntelService>().GetFeedAsync("Same"));
        await otherScope.Get<ThreatIntelService>().CreateFeedAsync(new CreateFeed("Same"));
    }
}
