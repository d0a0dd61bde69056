using Firebreak.Core.Common;
using Firebreak.Core.Incidents;
using Firebreak.Core.Persistence;
using Firebreak.Testing;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace Firebreak.Core.Tests.Incidents;

public class IncidentServiceTests
{
    [Theory, MemberData(nameof(Databases.Both), MemberType = typeof(Databases))]
    public async Task Create_GivesUniqueSequentialNumbers_WhenCreatedConcurrently(DatabaseKind kind)
    {
        await using var harness = await CoreHarness.CreateAsync(kind);
        var tenant = await harness.CreateTenantAsync("Acme");
        var other = await harness.CreateTenantAsync("Globex");

        var creations = Enumerable.Range(0, 24).Select(async i =>
        {
            await using var scope = harness.As(i % 3 == 0 ? other.Responder : tenant.Responder);
            return await scope.Get<IncidentService>().CreateAsync(new CreateIncident($"Incident {i}"));
        });
        var created = await Task.WhenAll(creations);

        var acme = created.Where((_, i) => i % 3 != 0).Select(c => c.Reference).Order().ToList();
        var globex = created.Where((_, i) => i % 3 == 0).Select(c => c.Reference).Order().ToList();
        Assert.Equal(Enumerable.Range(1, 16).Select(n => $"INC-2026-{n:D4}"), acme);
        Assert.Equal(Enumerable.Range(1, 8).Select(n => $"INC-2026-{n:D4}"), globex);
    }

    [Theory, MemberData(nameof(Databases.Both), MemberType = typeof(Databases))]
    public async Task Get_AnswersNotFound_ForAnotherTenantsIncident(DatabaseKind kind)
    {
        await using var harness = await CoreHarness.CreateAsync(kind);
        var acme = await harness.CreateTenantAsync("Acme");
        var globex = await harness.CreateTenantAsync("Globex");
        IncidentDetails secret;
        await using (var scope = harness.As(acme.Responder))
            secret = await scope.Get<IncidentService>().CreateAsync(new CreateIncident("Acme's secret", Tags: ["crown-jewels"]));

        await using var theirs = harness.As(globex.Admin);
        var service = theirs.Get<IncidentService>();
        await Assert.ThrowsAsync<NotFoundException>(() => service.GetAsync(secret.Id.ToString()));
        await Assert.ThrowsAsync<NotFoundException>(() => service.GetAsync(secret.Reference));
        await Assert.ThrowsAsync<NotFoundException>(() => service.UpdateAsync(secret.Reference, new UpdateIncident(Title: "pwned"), null));
        Assert.Equal(0, (await service.ListAsync(new IncidentQuery(Tag: "crown-jewels"))).Total);
        Assert.DoesNotContain((await theirs.Get<Auditing.AuditService>().ListAsync(1, 200)).Items, a => a.EntityId == secret.Id.ToString());
    }

    [Theory, MemberData(nameof(Databases.Both), MemberType = typeof(Databases))]
    public async Task Update_RecordsBeforeAndAfter_InTheAuditTrail(DatabaseKind kind)
    {
        await using var harness = await CoreHarness.CreateAsync(kind);
        var acme = await harness.CreateTenantAsync("Acme");
        await using var scope = harness.As(acme.Responder);
        var service = scope.Get<IncidentService>();
        var created = await service.CreateAsync(new CreateIncident("Leaked key", Severity: Severity.Sev3));

        await service.UpdateAsync(created.Reference, new UpdateIncident(Severity: Severity.Sev1, Title: "Leaked admin key"), created.Version);

        var audit = await scope.Get<Auditing.AuditService>().ListForIncidentAsync(created.Reference, 1, 50);
        var update = Assert.Single(audit.Items, a => a.Action == "updated" && a.EntityType == "Incident");
        Assert.Equal("responder@acme.example", update.Actor);
        Assert.Contains("\"title\":\"Leaked key\"", update.Before);
        Assert.Contains("\"title\":\"Leaked admin key\"", update.After);
        Assert.Contains("\"severity\":\"SEV3\"", update.Before);
        Assert.Contains("\"severity\":\"SEV1\"", update.After);
        Assert.Contains(audit.Items, a => a.Action == "created" && a.EntityType == "Incident");
    }

    [Theory, MemberData(nameof(Databases.Both), MemberType = typeof(Databases))]
    public async Task Update_Conflicts_WhenTheVersionIsStale(DatabaseKind kind)
    {
        await using var harness = await CoreHarness.CreateAsync(kind);
        var acme = await harness.CreateTenantAsync("Acme");
        await using var scope = harness.As(acme.Responder);
        var service = scope.Get<IncidentService>();
        var created = await service.CreateAsync(new CreateIncident("Phishing"));
        var first = await service.UpdateAsync(created.Reference, new UpdateIncident(Summary: "one"), created.Version);

        await Assert.ThrowsAsync<ConcurrencyConflictException>(() => service.UpdateAsync(created.Reference, new UpdateIncident(Summary: "two"), created.Version));
        Assert.Equal(created.Version + 1, first.Version);
        Assert.Equal("one", (await service.GetAsync(created.Reference)).Summary);
    }

    [Theory, MemberData(nameof(Databases.Both), MemberType = typeof(Databases))]
    public async Task Create_RejectsBadInput_AndWritesNothing(DatabaseKind kind)
    {
        await using var harness = await CoreHarness.CreateAsync(kind);
        var acme = await harness.CreateTenantAsync("Acme");
        var globex = await harness.CreateTenantAsync("Globex");
        await using var scope = harness.As(acme.Manager);
        var service = scope.Get<IncidentService>();

        var missing = await Assert.ThrowsAsync<ValidationFailedException>(() => service.CreateAsync(new CreateIncident("  ")));
        Assert.Contains("title", missing.Errors.Keys);
        var oversized = await Assert.ThrowsAsync<ValidationFailedException>(() => service.CreateAsync(new CreateIncident(new string('x', 201), Tags: [new string('t', 65)])));
        Assert.Contains("title", oversized.Errors.Keys);
        Assert.Contains("tags", oversized.Errors.Keys);
        var badEnum = await Assert.ThrowsAsync<ValidationFailedException>(() => service.CreateAsync(new CreateIncident("x", Severity: (Severity)9)));
        Assert.Contains("severity", badEnum.Errors.Keys);
        var foreignManager = await Assert.ThrowsAsync<ValidationFailedException>(() =>
            service.CreateAsync(new CreateIncident("x", IncidentManagerId: globex.Users[Firebreak.Core.Identity.Role.IncidentManager].Id)));
        Assert.Contains("incidentManagerId", foreignManager.Errors.Keys);
        var badScope = await Assert.ThrowsAsync<ValidationFailedException>(() =>
            service.CreateAsync(new CreateIncident("x", Scope: new CloudScope(["oracle"], [], []))));
        Assert.Contains("scope.providers", badScope.Errors.Keys);

        Assert.Equal(0, (await service.ListAsync(new IncidentQuery())).Total);
        await using var db = await scope.Get<IDbContextFactory<FirebreakDbContext>>().CreateDbContextAsync();
        Assert.False(await db.IncidentCounters.AnyAsync());
    }

    [Theory, MemberData(nameof(Databases.Both), MemberType = typeof(Databases))]
    public async Task List_FiltersPagesAndSorts(DatabaseKind kind)
    {
        await using var harness = await CoreHarness.CreateAsync(kind);
        var acme = await harness.CreateTenantAsync("Acme");
        await using var scope = harness.As(acme.Manager);
        var service = scope.Get<IncidentService>();
        var managerId = acme.Users[Firebreak.Core.Identity.Role.IncidentManager].Id;
        for (var i = 1; i <= 7; i++)
        {
            harness.Time.Advance(TimeSpan.FromMinutes(1));
            await service.CreateAsync(new CreateIncident(
                i % 2 == 0 ? $"Crypto mining {i}" : $"Console login {i}",
                Severity: i <= 2 ? Severity.Sev1 : Severity.Sev3,
                Tags: i % 2 == 0 ? ["mining", "EC2"] : ["iam"],
                IncidentManagerId: i == 7 ? managerId : null));
        }

        var page = await service.ListAsync(new IncidentQuery(PageSize: 3, Page: 2));
        Assert.Equal(7, page.Total);
        Assert.Equal(["INC-2026-0004", "INC-2026-0003", "INC-2026-0002"], page.Items.Select(i => i.Reference));
        Assert.Equal(3, (await service.ListAsync(new IncidentQuery(Tag: "ec2"))).Total);
        Assert.Equal(2, (await service.ListAsync(new IncidentQuery(Severity: Severity.Sev1))).Total);
        Assert.Equal(["Crypto mining 2", "Crypto mining 4", "Crypto mining 6"],
            (await service.ListAsync(new IncidentQuery(Text: "MINING", Sort: "title"))).Items.Select(i => i.Title));
        Assert.Equal("INC-2026-0007", Assert.Single((await service.ListAsync(new IncidentQuery(ManagerId: managerId))).Items).Reference);
        Assert.Equal(0, (await service.ListAsync(new IncidentQuery(Text: "100%_"))).Total);
        await Assert.ThrowsAsync<ValidationFailedException>(() => service.ListAsync(new IncidentQuery(Sort: "password")));
        await Assert.ThrowsAsync<ValidationFailedException>(() => service.ListAsync(new IncidentQuery(PageSize: 10_000)));
    }
}
