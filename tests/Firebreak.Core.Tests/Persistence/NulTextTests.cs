using Firebreak.Core.Auditing;
using Firebreak.Core.Common;
using Firebreak.Core.Incidents;
using Firebreak.Testing;

namespace Firebreak.Core.Tests.Persistence;

/// <summary>
/// Text holding the NUL character reaches the use cases from forms and the CLI, not only the API (which refuses
/// it at the door). PostgreSQL cannot store it; SQLite can. Every save refuses it the same way on both.
/// </summary>
public class NulTextTests
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
}
