using Firebreak.Core.Auditing;
using Firebreak.Core.Identity;
using Firebreak.Core.Persistence;
using Firebreak.Core.ThreatIntel;
using Firebreak.Testing;
using Microsoft.EntityFrameworkCore;

namespace Firebreak.Core.Tests.ThreatIntel;

public sealed class TaxiiPollTests : IAsyncLifetime
{
    private static readonly DateTimeOffset T0 = new(2026, 3, 1, 12, 0, 0, TimeSpan.Zero);
    private TaxiiTestServer _taxii = null!;

    public async ValueTask InitializeAsync() => _taxii = await TaxiiTestServer.StartAsync();

    public async ValueTask DisposeAsync() => await _taxii.DisposeAsync();

    // A loaded machine may take seconds to answer a request to the local server; only the timeout test uses a short one.
    internal static Task<CoreHarness> HarnessAsync(DatabaseKind kind, int timeoutSeconds = 60) => CoreHarness.CreateAsync(kind, new Dictionary<string, string?>
    {
        ["Firebreak:ThreatIntel:Poll"] = "false",
        ["Firebreak:ThreatIntel:TimeoutSeconds"] = timeoutSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture),
    });

    private void AddIndicators(int from, int count)
    {
        for (var n = from; n < from + count; n++)
            _taxii.Add("indicators", T0.AddMinutes(n), FeedFixtures.Indicator(FeedFixtures.IndicatorId(n), $"[ipv4-addr:value = '203.0.113.{n}']", confidence: 80));
    }

    [Theory, MemberData(nameof(Databases.Both), MemberType = typeof(Databases))]
    public async Task Poll_PagesThroughTheCollection_ThenFetchesOnlyWhatWasAddedSince(DatabaseKind kind)
    {
        await using var harness = await HarnessAsync(kind);
        var acme = await harness.CreateTenantAsync("Acme");
        AddIndicators(1, 5);
        await using var scope = harness.As(acme.Admin);
        var intel = scope.Get<ThreatIntelService>();
        await intel.CreateFeedAsync(new CreateFeed("Partner TAXII", FeedKind.Taxii, _taxii.Discovery.AbsoluteUri, "indicators"));

        var first = await intel.PollAsync("Partner TAXII");

        Assert.Null(first.Error);
        Assert.Equal((5, 5), (first.Summary!.Added, first.Feed.IndicatorCount));
        Assert.Equal(FeedStatus.Ok, first.Feed.LastStatus);
        var requests = _taxii.Requests.ToList();
        Assert.Equal(["/taxii2/", "/api1/collections/indicators/", "/api1/collections/indicators/objects/",
            "/api1/collections/indicators/objects/?next=2", "/api1/collections/indicators/objects/?next=4"], requests);

        _taxii.Requests.Clear();
        AddIndicators(6, 2);
        var second = await intel.PollAsync("Partner TAXII");

        Assert.Equal((2, 7), (second.Summary!.Added, second.Feed.IndicatorCount));
        Assert.Contains("/api1/collections/indicators/objects/?added_after=2026-03-01T12%3A05%3A00.000000Z", _taxii.Requests);

        _taxii.Requests.Clear();
        var third = await intel.PollAsync("Partner TAXII");
        Assert.Equal((0, 7), (third.Summary!.Indicators, third.Feed.IndicatorCount));
        Assert.Contains("/api1/collections/indicators/objects/?added_after=2026-03-01T12%3A07%3A00.000000Z", _taxii.Requests);
    }

    [Theory, MemberData(nameof(Databases.Both), MemberType = typeof(Databases))]
    public async Task Poll_WithWrongCredentials_RecordsTheRefusal_WithoutTheSecret(DatabaseKind kind)
    {
        await using var harness = await HarnessAsync(kind);
        var acme = await harness.CreateTenantAsync("Acme");
        AddIndicators(1, 1);
        _taxii.Basic = ("firebreak", "right-password-123");
        await using var scope = harness.As(acme.Admin);
        var intel = scope.Get<ThreatIntelService>();
        await intel.CreateFeedAsync(new CreateFeed("Partner", FeedKind.Taxii, _taxii.ApiRoot.AbsoluteUri, "indicators", FeedAuth.Basic, "firebreak", Secret: "wrong-password-456"));

        var failed = await intel.PollAsync("Partner");

        Assert.Contains("401", failed.Error, StringComparison.Ordinal);
        Assert.Equal(FeedStatus.Failed, failed.Feed.LastStatus);
        Assert.Contains("401", failed.Feed.LastError, StringComparison.Ordinal);
        Assert.DoesNotContain("wrong-password-456", failed.Feed.LastError, StringComparison.Ordinal);
        Assert.True(failed.Feed.HasSecret);

        await intel.UpdateFeedAsync("Partner", new UpdateFeed(Secret: "right-password-123"), null);
        var ok = await intel.PollAsync("Partner");
        Assert.Null(ok.Error);
        Assert.Equal((FeedStatus.Ok, 1), (ok.Feed.LastStatus, ok.Feed.IndicatorCount));
        Assert.Null(ok.Feed.LastError);

        await using var db = await scope.Get<IDbContextFactory<FirebreakDbContext>>().CreateDbContextAsync();
        var audit = await db.AuditEntries.Where(a => a.EntityType == nameof(ThreatFeed)).ToListAsync();
        Assert.NotEmpty(audit);
        Assert.All(audit, a => Assert.DoesNotContain("password-", (a.Before ?? "") + (a.After ?? ""), StringComparison.Ordinal));
        Assert.Contains(audit, a => (a.After ?? "").Contains("[secret changed]", StringComparison.Ordinal));
        var stored = await db.ThreatFeeds.SingleAsync();
        Assert.DoesNotContain("password", stored.ProtectedSecret, StringComparison.Ordinal);
    }

    [Theory, MemberData(nameof(Databases.Both), MemberType = typeof(Databases))]
    public async Task Poll_SendsTheApiKeyHeader(DatabaseKind kind)
    {
        await using var harness = await HarnessAsync(kind);
        var acme = await harness.CreateTenantAsync("Acme");
        AddIndicators(1, 3);
        _taxii.ApiKey = ("X-Api-Key", "k-123456");
        await using var scope = harness.As(acme.Admin);
        var intel = scope.Get<ThreatIntelService>();
        await intel.CreateFeedAsync(new CreateFeed("Keyed", FeedKind.Taxii, _taxii.ApiRoot.AbsoluteUri, "indicators", FeedAuth.ApiKey, ApiKeyHeader: "X-Api-Key", Secret: "k-123456"));
        var result = await intel.PollAsync("Keyed");
        Assert.Null(result.Error);
        Assert.Equal(3, result.Feed.IndicatorCount);
    }

    [Theory, MemberData(nameof(Databases.Both), MemberType = typeof(Databases))]
    public async Task Poll_Failures_AreRecordedWithAClearMessage(DatabaseKind kind)
    {
        await using var harness = await HarnessAsync(kind);
        var acme = await harness.CreateTenantAsync("Acme");
        AddIndicators(1, 1);
        await using var scope = harness.As(acme.Admin);
        var intel = scope.Get<ThreatIntelService>();
        await intel.CreateFeedAsync(new CreateFeed("Missing", FeedKind.Taxii, _taxii.ApiRoot.AbsoluteUri, "no-such-collection"));
        await intel.CreateFeedAsync(new CreateFeed("Good", FeedKind.Taxii, _taxii.ApiRoot.AbsoluteUri, "indicators"));
        await intel.CreateFeedAsync(new CreateFeed("Nothing there", FeedKind.Taxii, "http://127.0.0.1:1/taxii2/", "indicators"));

        Assert.Contains("404", (await intel.PollAsync("Missing")).Error, StringComparison.Ordinal);
        Assert.Contains("request failed", (await intel.PollAsync("Nothing there")).Error, StringComparison.Ordinal);

        _taxii.Malformed = true;
        var malformed = await intel.PollAsync("Good");
        Assert.Contains("malformed JSON", malformed.Error, StringComparison.Ordinal);
        Assert.Equal((FeedStatus.Failed, 0), (malformed.Feed.LastStatus, malformed.Feed.IndicatorCount));

        _taxii.Malformed = false;

        // A failed poll leaves the cursor alone: the next one fetches everything still unseen.
        var recovered = await intel.PollAsync("Good");
        Assert.Equal((FeedStatus.Ok, 1), (recovered.Feed.LastStatus, recovered.Feed.IndicatorCount));
    }

    [Theory, MemberData(nameof(Databases.Both), MemberType = typeof(Databases))]
    public async Task Poll_OfAServerThatNeverAnswers_TimesOut_AndIsRecordedAsFailed(DatabaseKind kind)
    {
        await using var harness = await HarnessAsync(kind, timeoutSeconds: 2);
        var acme = await harness.CreateTenantAsync("Acme");
        AddIndicators(1, 1);
        await using var scope = harness.As(acme.Admin);
        var intel = scope.Get<ThreatIntelService>();
        await intel.CreateFeedAsync(new CreateFeed("Silent", FeedKind.Taxii, _taxii.ApiRoot.AbsoluteUri, "indicators"));

        // Far longer than the timeout, so the answer cannot come in time however slow the machine is.
        _taxii.Delay = TimeSpan.FromMinutes(10);
        var slow = await intel.PollAsync("Silent");

        Assert.Contains("no answer within 2 seconds (timed out)", slow.Error, StringComparison.Ordinal);
        Assert.Equal((FeedStatus.Failed, 0), (slow.Feed.LastStatus, slow.Feed.IndicatorCount));
    }

    [Theory, MemberData(nameof(Databases.Both), MemberType = typeof(Databases))]
    public async Task MispFeed_ReadsTheManifest_ThenOnlyChangedEvents(DatabaseKind kind)
    {
        await using var harness = await HarnessAsync(kind);
        var acme = await harness.CreateTenantAsync("Acme");
        _taxii.MispEvents["5f1d2c3b-4a59-4687-9a1b-2c3d4e5f6a7b"] = (1770710400, FeedFixtures.MispEvent);
        await using var scope = harness.As(acme.Admin);
        var intel = scope.Get<ThreatIntelService>();
        await intel.CreateFeedAsync(new CreateFeed("CIRCL-like", FeedKind.Misp, _taxii.MispFeed.AbsoluteUri));

        var first = await intel.PollAsync("CIRCL-like");
        Assert.Null(first.Error);
        Assert.Equal(6, first.Feed.IndicatorCount);
        Assert.Equal(2, first.Summary!.Skipped);

        _taxii.Requests.Clear();
        _taxii.MispEvents["6a2e3d4c-5b6a-4798-8b2c-3d4e5f6a7b8c"] = (1770800000, """
            { "Event": { "uuid": "6a2e3d4c-5b6a-4798-8b2c-3d4e5f6a7b8c", "info": "Scanning", "Attribute": [
              { "uuid": "b1", "type": "ip-src", "value": "198.51.100.23", "to_ids": true } ] } }
            """);
        var second = await intel.PollAsync("CIRCL-like");
        Assert.Equal(7, second.Feed.IndicatorCount);
        Assert.Equal(["/misp/manifest.json", "/misp/6a2e3d4c-5b6a-4798-8b2c-3d4e5f6a7b8c.json"], _taxii.Requests);
    }

    [Theory, MemberData(nameof(Databases.Both), MemberType = typeof(Databases))]
    public async Task Poller_PollsDueFeeds_InTheBackground(DatabaseKind kind)
    {
        await using var harness = await CoreHarness.CreateAsync(kind, new Dictionary<string, string?> { ["Firebreak:ThreatIntel:CheckSeconds"] = "60" });
        var acme = await harness.CreateTenantAsync("Acme");
        AddIndicators(1, 2);
        await using (var scope = harness.As(acme.Admin))
        {
            await scope.Get<ThreatIntelService>().CreateFeedAsync(new CreateFeed("Auto", FeedKind.Taxii, _taxii.ApiRoot.AbsoluteUri, "indicators", PollMinutes: 5));
        }
        harness.Time.Advance(TimeSpan.FromSeconds(61));
        var deadline = DateTime.UtcNow + HangGuard.Limit;
        FeedView feed;
        do
        {
            await Task.Delay(100);
            await using var scope = harness.As(acme.Viewer);
            feed = await scope.Get<ThreatIntelService>().GetFeedAsync("Auto");
        }
        while ((feed.IndicatorCount < 2 || feed.LastStatus != FeedStatus.Ok) && DateTime.UtcNow < deadline);
        Assert.Equal((FeedStatus.Ok, 2), (feed.LastStatus, feed.IndicatorCount));
    }
}
