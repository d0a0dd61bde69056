using System.Text;
using Firebreak.Core.Auditing;
using Firebreak.Core.Common;
using Firebreak.Core.Incidents;
using Firebreak.Core.Persistence;
using Firebreak.Core.ThreatIntel;
using Firebreak.Testing;
using Microsoft.EntityFrameworkCore;

namespace Firebreak.Core.Tests.Persistence;

/// <summary>
/// Text the database cannot store (the NUL character; more than its column holds) reaches the use cases from
/// forms, the CLI and imports, not only the API. PostgreSQL refuses it and SQLite keeps it; every save refuses it
/// the same way on both, naming the field.
/// </summary>
public class UnstorableTextTests
{
    [Theory, MemberData(nameof(Databases.Both), MemberType = typeof(Databases))]
    public async Task NulInText_IsAFieldError_NamingTheField_AndNothingIsWritten(DatabaseKind kind)
    {
        await using var harness = await CoreHarness.CreateAsync(kind);
        var acme = await harness.CreateTenantAsync("Acme");
        await using var scope = harness.As(acme.Responder);
        var incidents = scope.Get<IncidentService>();
        var audit = scope.Get<AuditService>();
        var auditBefore = (await audit.ListAsync(1, 100)).Total;

        var created = await Assert.ThrowsAsync<ValidationFailedException>(() => incidents.CreateAsync(new CreateIncident("Stolen\0keys")));
        var title = Assert.Single(created.Errors);
        Assert.Equal("title", title.Key);
        Assert.Contains("title: text may not contain the NUL character (U+0000)", Assert.Single(title.Value), StringComparison.Ordinal);
        Assert.Equal(0, (await incidents.ListAsync(new IncidentQuery())).Total);
        Assert.Equal(auditBefore, (await audit.ListAsync(1, 100)).Total);

        // The failed creation rolled its number back with it: the next incident is still the year's first.
        var incident = await incidents.CreateAsync(new CreateIncident("Stolen keys", Summary: "first"));
        Assert.EndsWith("-0001", incident.Reference, StringComparison.Ordinal);

        var updated = await Assert.ThrowsAsync<ValidationFailedException>(() => incidents.UpdateAsync(incident.Reference, new UpdateIncident(Summary: "a\0b"), incident.Version));
        Assert.Equal("summary", Assert.Single(updated.Errors).Key);
        var stored = await incidents.GetAsync(incident.Reference);
        Assert.Equal("first", stored.Summary);
        Assert.Equal(incident.Version, stored.Version);

        var journal = scope.Get<JournalService>();
        var note = await Assert.ThrowsAsync<ValidationFailedException>(() => journal.AddAsync(incident.Reference, "seen at 10:02\0"));
        Assert.Equal("body", Assert.Single(note.Errors).Key);
        Assert.Empty(await journal.ListAsync(incident.Reference));

        // The same texts without the character are stored as written.
        Assert.Equal("a b", (await incidents.UpdateAsync(incident.Reference, new UpdateIncident(Summary: "a b"), incident.Version)).Summary);
        Assert.Equal("seen at 10:02", (await journal.AddAsync(incident.Reference, "seen at 10:02")).Body);
    }

    [Theory, MemberData(nameof(Databases.Both), MemberType = typeof(Databases))]
    public async Task TextLongerThanItsColumn_IsAFieldError_NamingTheField_AndNothingIsWritten(DatabaseKind kind)
    {
        // The use cases check their own fields; this is the net under a path that does not.
        await using var harness = await CoreHarness.CreateAsync(kind);
        var acme = await harness.CreateTenantAsync("Acme");
        await using var scope = harness.As(acme.Responder);
        var incident = await scope.Get<IncidentService>().CreateAsync(new CreateIncident("Stolen keys"));

        await using (var db = await scope.Get<IDbContextFactory<FirebreakDbContext>>().CreateDbContextAsync())
        {
            var row = await db.Incidents.SingleAsync();
            row.Title = new string('x', IncidentLimits.TitleLength + 1);
            row.Summary = "changed";
            var error = await Assert.ThrowsAsync<ValidationFailedException>(() => db.SaveChangesAsync());
            var title = Assert.Single(error.Errors);
            Assert.Equal("title", title.Key);
            Assert.Equal($"title: at most {IncidentLimits.TitleLength} characters, not {IncidentLimits.TitleLength + 1}.", Assert.Single(title.Value));
        }

        var stored = await scope.Get<IncidentService>().GetAsync(incident.Reference);
        Assert.Equal(("Stolen keys", "", incident.Version), (stored.Title, stored.Summary, stored.Version));
    }

    [Theory, MemberData(nameof(Databases.Both), MemberType = typeof(Databases))]
    public async Task FeedObjectsWithOverlongIds_AreSkippedWithAReason_AndTheRestIsImported(DatabaseKind kind)
    {
        // A STIX id is type--UUID and a MISP uuid is a UUID; a longer one would not fit its column.
        await using var harness = await CoreHarness.CreateAsync(kind, new Dictionary<string, string?> { ["Firebreak:ThreatIntel:Poll"] = "false" });
        var acme = await harness.CreateTenantAsync("Acme");
        await using var scope = harness.As(acme.Responder);
        var intel = scope.Get<ThreatIntelService>();
        var longId = "indicator--" + new string('a', 300);
        var stix = $$"""
            {"type":"bundle","id":"bundle--1","objects":[
              {"type":"indicator","spec_version":"2.1","id":"{{longId}}","pattern_type":"stix","pattern":"[ipv4-addr:value = '192.0.2.1']","valid_from":"2026-01-01T00:00:00Z"},
              {"type":"indicator","spec_version":"2.1","id":"indicator--00000001-0000-4000-8000-000000000000","pattern_type":"stix","pattern":"[ipv4-addr:value = '192.0.2.2']","valid_from":"2026-01-01T00:00:00Z"}]}
            """;
        var summary = await intel.ImportAsync("Partner", FeedFormat.Stix, Encoding.UTF8.GetBytes(stix));
        Assert.Equal((1, 1), (summary.Added, summary.Skipped));
        var skipped = Assert.Single(summary.SkippedSamples);
        Assert.Contains("longer than 200 characters", skipped.Reason, StringComparison.Ordinal);
        Assert.True(skipped.SourceId.Length < 100, skipped.SourceId);

        var misp = $$$"""
            {"Event":{"uuid":"5f1c0000-0000-4000-8000-000000000001","info":"Phishing wave","Attribute":[
              {"uuid":"{{{new string('b', 300)}}}","type":"ip-dst","value":"198.51.100.1","to_ids":true},
              {"uuid":"5f1c0000-0000-4000-8000-000000000002","type":"ip-dst","value":"198.51.100.2","to_ids":true}]}}
            """;
        summary = await intel.ImportAsync("Partner", FeedFormat.Misp, Encoding.UTF8.GetBytes(misp));
        Assert.Equal((1, 1), (summary.Added, summary.Skipped));
        Assert.Contains("longer than 200 characters", Assert.Single(summary.SkippedSamples).Reason, StringComparison.Ordinal);
        Assert.Equal(["192.0.2.2", "198.51.100.2"], (await intel.ListIndicatorsAsync(new FeedIndicatorQuery())).Items.Select(i => i.Value).Order());
    }
}
