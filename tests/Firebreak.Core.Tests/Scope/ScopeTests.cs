using System.Text;
using System.Text.Json.Nodes;
using Firebreak.Core.Common;
using Firebreak.Core.Identity;
using Firebreak.Core.Incidents;
using Firebreak.Core.Investigation;
using Firebreak.Core.Persistence;
using Firebreak.Core.Scope;
using Firebreak.Testing;
using Microsoft.EntityFrameworkCore;
using static Firebreak.Testing.ScopeTrails;

namespace Firebreak.Core.Tests.Scope;

public sealed class ScopeTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("firebreak-scope-").FullName;

    public void Dispose() => Directory.Delete(_root, recursive: true);

    internal static async Task<(CoreHarness Harness, HarnessTenant Tenant, string Incident)> SeedAsync(DatabaseKind kind, string lines, string root, params (string Type, string Value)[] escalated)
    {
        var harness = await CoreHarness.CreateAsync(kind, new Dictionary<string, string?>
        {
            ["Firebreak:Investigation:RunImports"] = "false",
            ["Firebreak:Investigation:StagingDirectory"] = root,
        });
        var tenant = await harness.CreateTenantAsync("Acme");
        string incident;
        ImportView import;
        await using (var scope = harness.As(tenant.Responder))
        {
            var created = await scope.Get<IncidentService>().CreateAsync(new CreateIncident("Stolen key"));
            incident = created.Reference;
            import = await scope.Get<EventImportService>().StartUploadAsync(incident, "trail.json", new MemoryStream(Encoding.UTF8.GetBytes(lines)));
            // What escalating an alert naming these principals leaves on the incident.
            await using var db = await scope.Get<IDbContextFactory<FirebreakDbContext>>().CreateDbContextAsync();
            foreach (var (type, value) in escalated)
                db.IncidentArtifacts.Add(new IncidentArtifact { IncidentId = created.Id, Kind = ArtifactKinds.Principal, Type = type, Value = value, AddedAt = harness.Time.GetUtcNow() });
            await db.SaveChangesAsync();
        }
        await using (var scope = harness.As(Actors.System("event-import")))
            await scope.Get<EventImportRunner>().RunAsync(import.Id, CancellationToken.None);
        return (harness, tenant, incident);
    }

    [Theory, MemberData(nameof(Databases.Both), MemberType = typeof(Databases))]
    public async Task Scope_FollowsTheChainFromAStolenKey_AndSplitsWhatItTouched(DatabaseKind kind)
    {
        var (harness, tenant, incident) = await SeedAsync(kind, ChainTrail(), _root, ("access-key", Stolen));
        await using var _ = harness;
        await using var scope = harness.As(tenant.Viewer);
        var view = await scope.Get<ScopeService>().GetAsync(incident);

        Assert.Equal(15, view.Events);
        var controlled = view.Identities.Where(i => i.Controlled).ToDictionary(i => i.Value, i => i);
        Assert.Equal(new[] { Stolen, Alice, DeploySession, DeployKey, AdminSession, AdminKey, Backdoor, BackdoorKey }.Order(), controlled.Keys.Order());
        Assert.Equal(ControlReason.Escalated, controlled[Stolen].Control);
        Assert.Equal(ControlReason.SignedAs, controlled[Alice].Control);
        Assert.Equal((ControlReason.Derived, "access-key:" + Stolen), (controlled[DeploySession].Control, controlled[DeploySession].ControlledVia));
        Assert.Equal((ControlReason.Derived, "principal:" + AdminSession), (controlled[AdminKey].Control, controlled[AdminKey].ControlledVia));
        Assert.Equal((ControlReason.Derived, "access-key:" + AdminKey), (controlled[Backdoor].Control, controlled[Backdoor].ControlledVia));
        Assert.Equal("session", controlled[AdminSession].Type);
        // Alice's own key, bob and the roles themselves are in the graph but not the attacker's.
        var everyone = view.Identities.ToDictionary(i => i.Id, i => i);
        Assert.False(everyone["access-key:" + AliceLegit].Controlled);
        Assert.False(everyone["principal:arn:aws:iam::111122223333:user/bob"].Controlled);
        Assert.Equal(("role", false), (everyone["principal:" + AdminRole].Type, everyone["principal:" + AdminRole].Controlled));
        Assert.Equal((Start.AddMinutes(3), Start.AddMinutes(12), 8L), (everyone["access-key:" + AdminKey].FirstSeen, everyone["access-key:" + AdminKey].LastSeen, everyone["access-key:" + AdminKey].Events));

        Assert.Contains(view.Edges, e => e is { Relation: ScopeRelation.Assumed, EventId: "ev-assume-deploy" } && e.From == "access-key:" + Stolen && e.To == "principal:" + DeploySession);
        Assert.Contains(view.Edges, e => e.Relation == ScopeRelation.Assumed && e.From == "access-key:" + DeployKey && e.To == "principal:" + AdminSession);
        Assert.Contains(view.Edges, e => e.Relation == ScopeRelation.SessionOf && e.From == "principal:" + AdminSession && e.To == "principal:" + AdminRole);
        Assert.Contains(view.Edges, e => e.Relation == ScopeRelation.IssuedKey && e.From == "principal:" + AdminSession && e.To == "access-key:" + AdminKey);
        Assert.Contains(view.Edges, e => e.Relation == ScopeRelation.Created && e.From == "access-key:" + AdminKey && e.To == "access-key:" + BackdoorKey);

        // What the attacker touched, by access kind.
        var blast = view.BlastRadius;
        var touched = blast.Resources.ToDictionary(r => r.Value, r => r);
        Assert.Equal([AccessKind.Read], touched["arn:aws:s3:::finance-data/q3.csv"].Access);
        Assert.Equal([AccessKind.Modified], touched["arn:aws:s3:::finance-data"].Access);
        Assert.Equal([AccessKind.Modified, AccessKind.Created], touched[Instance].Access);
        Assert.Equal([AccessKind.Deleted], touched["org-trail"].Access);
        Assert.Equal([AccessKind.Created], touched["arn:aws:s3:::finance-data/ransom.txt"].Access);
        Assert.Equal((1L, 0, 0, 0, 0), (touched["arn:aws:s3:::hr-data/salaries.csv"].Failed, touched["arn:aws:s3:::hr-data/salaries.csv"].Read,
            touched["arn:aws:s3:::hr-data/salaries.csv"].Modified, touched["arn:aws:s3:::hr-data/salaries.csv"].Created, touched["arn:aws:s3:::hr-data/salaries.csv"].Deleted));
        Assert.DoesNotContain("arn:aws:s3:::public-site/index.html", touched.Keys);
        Assert.Contains(view.Resources, r => r.Value == "arn:aws:s3:::public-site/index.html" && r.Access.SequenceEqual([AccessKind.Read]));
        Assert.Equal(13, blast.Events);
        Assert.Equal([AttackerIp], blast.SourceIps.Select(i => i.Value));
        Assert.Equal([AttackerAgent], blast.UserAgents.Select(i => i.Value));
        Assert.Equal(["us-east-1", "eu-west-1"], blast.Regions.Select(r => r.Value));
        Assert.Equal((Start, Start.AddMinutes(12)), (blast.SourceIps[0].FirstSeen, blast.SourceIps[0].LastSeen));
        Assert.Equal((8, 1, 3, 2, 1), (blast.Counts.Identities, blast.Counts.Deleted, blast.Counts.Created, blast.Counts.Modified, blast.Counts.SourceIps));
        Assert.Equal(3, view.SourceIps.Count);

        var containment = blast.Containment.Select(c => (c.ActionId, c.Resource)).ToList();
        Assert.Contains(("aws-deactivate-access-key", Stolen), containment);
        Assert.Equal("alice", blast.Containment.First(c => c.Resource == Stolen).Inputs["userName"]);
        Assert.Contains(("aws-revoke-role-sessions", "DeployRole"), containment);
        Assert.Contains(("aws-revoke-role-sessions", "AdminRole"), containment);
        Assert.Contains(("aws-attach-deny-all", "backdoor"), containment);
        Assert.Contains(("aws-deactivate-access-key", BackdoorKey), containment);
        Assert.Contains(("aws-isolate-instance", "i-0abc1234def567890"), containment);
        Assert.Contains(("aws-block-s3-public-access", "finance-data"), containment);
        Assert.DoesNotContain(containment, c => c.Resource == AliceLegit || c.Resource == "alice");

        var zero = Assert.IsType<PatientZero>(view.PatientZero);
        Assert.Equal((ScopeEntityKind.AccessKey, Stolen), (zero.Kind, zero.Value));
        Assert.Equal(("ev-first", "GetCallerIdentity", AttackerIp, AttackerAgent, Start), (zero.FirstUse!.EventId, zero.FirstUse.Operation, zero.FirstUse.SourceIp, zero.FirstUse.UserAgent, zero.FirstUse.Time));
        Assert.Equal("principal:" + DeploySession, zero.Chain[0].To);
        Assert.Contains(zero.Chain, l => l.To == "principal:" + Backdoor);

        // The pivot: the scope's search for an entity returns that entity's events.
        var events = scope.Get<EventSearchService>();
        var role = everyone["principal:" + AdminRole];
        Assert.Equal("sessionIssuer=" + Uri.EscapeDataString(AdminRole), role.Pivot);
        var adminEvents = await events.SearchAsync(incident, ScopeService.Pivot(role.Kind, role.Value, role.Type));
        Assert.Equal(8, adminEvents.Items.Count);
        var agent = await events.SearchAsync(incident, ScopeService.Pivot(ScopeEntityKind.UserAgent, "aws-sdk-go/1.50"));
        Assert.Equal("ev-bob", Assert.Single(agent.Items).EventId);
    }

    [Theory, MemberData(nameof(Databases.Both), MemberType = typeof(Databases))]
    public async Task Marks_SeedFederationAndImpersonationChains_AreAuditedAndCanBeWithdrawn(DatabaseKind kind)
    {
        var (harness, tenant, incident) = await SeedAsync(kind, FederationTrail(), _root);
        await using var _ = harness;
        await using var scope = harness.As(tenant.Responder);
        var service = scope.Get<ScopeService>();
        var samlSession = $"arn:aws:sts::{Account}:assumed-role/SamlAdmin/eve@example.com";
        const string sa = "deployer@acme-prod.iam.gserviceaccount.com";

        var before = await service.GetAsync(incident);
        Assert.DoesNotContain(before.Identities, i => i.Controlled);
        Assert.Null(before.PatientZero);
        Assert.Empty(before.BlastRadius.Resources);
        Assert.Contains(before.Edges, e => e.Relation == ScopeRelation.Federated && e.From == "principal:Okta:eve@example.com" && e.To == "principal:" + samlSession);
        Assert.Contains(before.Edges, e => e.Relation == ScopeRelation.Impersonated && e.From == "principal:mallory@example.com" && e.To == "principal:" + sa);
        Assert.Equal([AccessKind.Deleted], before.Resources.Single(r => r.Value == "arn:aws:s3:::backups/db.dump").Access);

        var session = await service.MarkAsync(incident, new MarkCompromised(ScopeMarkKind.Principal, samlSession, "Eve's Okta account was phished"));
        Assert.Equal((tenant.Responder.Name, harness.Time.GetUtcNow(), true), (session.MarkedBy, session.MarkedAt, session.Active));
        await service.MarkAsync(incident, new MarkCompromised(ScopeMarkKind.AccessKey, BobKey, "Key found in a public repository"));
        await service.MarkAsync(incident, new MarkCompromised(ScopeMarkKind.Principal, "mallory@example.com", "Departed employee"));

        var view = await service.GetAsync(incident);
        var controlled = view.Identities.Where(i => i.Controlled).ToDictionary(i => i.Value, i => i);
        Assert.Equal(ControlReason.Marked, controlled[samlSession].Control);
        Assert.Equal(ControlReason.Origin, controlled["Okta:eve@example.com"].Control);
        Assert.Equal(ControlReason.Derived, controlled["ASIASAMLSESSION00001"].Control);
        Assert.Equal(ControlReason.Derived, controlled[$"arn:aws:sts::{Account}:federated-user/contractor"].Control);
        Assert.Equal(ControlReason.Derived, controlled["ASIAFEDERATED0000001"].Control);
        Assert.Equal(("service-account", ControlReason.Derived), (controlled[sa].Type, controlled[sa].Control));
        Assert.Equal(ControlReason.Derived, controlled[$"//iam.googleapis.com/projects/acme-prod/serviceAccounts/{sa}/keys/0123abcd"].Control);
        Assert.False(view.Identities.Single(i => i.Value == $"arn:aws:iam::{Account}:role/SamlAdmin").Controlled);
        var touched = view.BlastRadius.Resources.ToDictionary(r => r.Value, r => r);
        Assert.Equal([AccessKind.Read], touched["projects/_/buckets/acme-secrets/objects/keys.json"].Access);
        Assert.Equal([AccessKind.Deleted], touched["projects/_/buckets/acme-logs"].Access);
        Assert.Equal([AccessKind.Deleted], touched["arn:aws:s3:::backups/db.dump"].Access);
        Assert.Contains(view.BlastRadius.Containment, c => c.Resource == sa && c.ActionId is null);
        Assert.Contains(view.BlastRadius.Containment, c => c.ActionId == "aws-revoke-role-sessions" && c.Resource == "SamlAdmin");
        // The earliest root of a chain: eve's federated identity, first seen signing in through SAML.
        var zero = Assert.IsType<PatientZero>(view.PatientZero);
        Assert.Equal(("Okta:eve@example.com", "fed-saml", "AssumeRoleWithSAML", "192.0.2.10"), (zero.Value, zero.FirstUse!.EventId, zero.FirstUse.Operation, zero.FirstUse.SourceIp));
        Assert.Equal(3, view.Marks.Count);

        // Bad marks.
        await Assert.ThrowsAsync<ConflictException>(() => service.MarkAsync(incident, new MarkCompromised(ScopeMarkKind.AccessKey, BobKey, "again")));
        var unknown = await Assert.ThrowsAsync<ValidationFailedException>(() => service.MarkAsync(incident, new MarkCompromised(ScopeMarkKind.AccessKey, "AKIANOTINTHEEVENTS01", "guess")));
        Assert.Contains("value", unknown.Errors.Keys);
        var missing = await Assert.ThrowsAsync<ValidationFailedException>(() => service.MarkAsync(incident, new MarkCompromised(ScopeMarkKind.Principal, "", " ")));
        Assert.Equal(["reason", "value"], missing.Errors.Keys.Order());
        await Assert.ThrowsAsync<ValidationFailedException>(() => service.MarkAsync(incident, new MarkCompromised((ScopeMarkKind)7, BobKey, "x")));
        await Assert.ThrowsAsync<ValidationFailedException>(() => service.MarkAsync(incident, new MarkCompromised(ScopeMarkKind.AccessKey, new string('A', 3000), "x")));
        await using (var viewer = harness.As(tenant.Viewer))
        {
            await Assert.ThrowsAsync<ForbiddenException>(() => viewer.Get<ScopeService>().MarkAsync(incident, new MarkCompromised(ScopeMarkKind.AccessKey, "ASIAFEDERATED0000001", "x")));
            await Assert.ThrowsAsync<ForbiddenException>(() => viewer.Get<ScopeService>().UnmarkAsync(incident, session.Id, new UnmarkCompromised("x")));
            Assert.Equal(3, (await viewer.Get<ScopeService>().GetAsync(incident)).Marks.Count);
        }
        var other = await harness.CreateTenantAsync("Other");
        await using (var outsider = harness.As(other.Admin))
        {
            await Assert.ThrowsAsync<NotFoundException>(() => outsider.Get<ScopeService>().GetAsync(incident));
            await Assert.ThrowsAsync<NotFoundException>(() => outsider.Get<ScopeService>().MarkAsync(incident, new MarkCompromised(ScopeMarkKind.AccessKey, BobKey, "x")));
            await Assert.ThrowsAsync<NotFoundException>(() => outsider.Get<ScopeService>().UnmarkAsync(incident, session.Id, new UnmarkCompromised("x")));
        }

        // Withdrawing the marks takes their chains out again; the rows keep who, when and why.
        harness.Time.Advance(TimeSpan.FromMinutes(5));
        foreach (var mark in view.Marks)
            await service.UnmarkAsync(incident, mark.Id, new UnmarkCompromised("Confirmed legitimate"));
        await Assert.ThrowsAsync<ConflictException>(() => service.UnmarkAsync(incident, session.Id, new UnmarkCompromised("again")));
        await Assert.ThrowsAsync<NotFoundException>(() => service.UnmarkAsync(incident, Guid.NewGuid(), new UnmarkCompromised("x")));
        await Assert.ThrowsAsync<ValidationFailedException>(() => service.UnmarkAsync(incident, session.Id, new UnmarkCompromised("")));
        var after = await service.GetAsync(incident);
        Assert.DoesNotContain(after.Identities, i => i.Controlled);
        Assert.All(after.Marks, m => Assert.Equal((false, tenant.Responder.Name, "Confirmed legitimate", harness.Time.GetUtcNow()), (m.Active, m.UnmarkedBy, m.UnmarkReason, m.UnmarkedAt!.Value)));

        await using var system = harness.As(Actors.System("check"));
        await using var db = await system.Get<IDbContextFactory<FirebreakDbContext>>().CreateDbContextAsync();
        var audit = await db.AuditEntries.Where(a => a.EntityType == nameof(ScopeMark)).ToListAsync();
        Assert.Equal((3, 3), (audit.Count(a => a.Action == "created"), audit.Count(a => a.Action == "updated")));
        Assert.All(audit, a => Assert.Equal(tenant.Responder.Name, a.ActorName));
    }

    [Theory, MemberData(nameof(Databases.Both), MemberType = typeof(Databases))]
    public async Task Report_HasTheBlastRadiusAndPatientZero(DatabaseKind kind)
    {
        var (harness, tenant, incident) = await SeedAsync(kind, ChainTrail(), _root, ("access-key", Stolen));
        await using var _ = harness;
        await using var scope = harness.As(tenant.Viewer);
        var report = await scope.Get<Firebreak.Core.PostMortem.Reports.ReportService>().BuildAsync(incident);
        var blast = Assert.IsType<Firebreak.Core.PostMortem.Reports.ReportBlastRadius>(report.Scope.BlastRadius);
        Assert.Equal((Stolen, 8, 1, 13L), (blast.PatientZero, blast.Counts.Identities, blast.Counts.Deleted, blast.Events));
        var markdown = Firebreak.Core.PostMortem.Reports.ReportRenderer.RenderText(Firebreak.Core.PostMortem.Reports.IncidentReportDocument.Build(report), Firebreak.Core.PostMortem.Reports.ReportFormat.Markdown);
        Assert.Contains("Blast radius (from the incident's events)", markdown, StringComparison.Ordinal);
        Assert.Contains($"{Stolen} (access-key)", markdown, StringComparison.Ordinal);
        Assert.Contains("GetCallerIdentity from 198.51.100.66", markdown, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("GetObject", AccessKind.Read)]
    [InlineData("ListBuckets", AccessKind.Read)]
    [InlineData("DescribeInstances", AccessKind.Read)]
    [InlineData("HeadObject", AccessKind.Read)]
    [InlineData("AssumeRole", AccessKind.Read)]
    [InlineData("CreateUser", AccessKind.Created)]
    [InlineData("RunInstances", AccessKind.Created)]
    [InlineData("ImportKeyPair", AccessKind.Created)]
    [InlineData("DeleteTrail", AccessKind.Deleted)]
    [InlineData("TerminateInstances", AccessKind.Deleted)]
    [InlineData("RemoveUserFromGroup", AccessKind.Deleted)]
    [InlineData("PutBucketPolicy", AccessKind.Modified)]
    [InlineData("PutObject", AccessKind.Modified)]
    [InlineData("StopLogging", AccessKind.Modified)]
    [InlineData("Microsoft.Compute/virtualMachines/write", AccessKind.Modified)]
    [InlineData("Microsoft.Compute/virtualMachines/delete", AccessKind.Deleted)]
    [InlineData("Microsoft.Storage/storageAccounts/read", AccessKind.Read)]
    [InlineData("v1.compute.instances.insert", AccessKind.Created)]
    [InlineData("storage.objects.get", AccessKind.Read)]
    [InlineData("google.iam.admin.v1.CreateServiceAccountKey", AccessKind.Created)]
    [InlineData("Getaway", AccessKind.Modified)]
    public void Classify_ByVerb(string operation, AccessKind expected) => Assert.Equal(expected, OperationVerbs.Classify(operation));

    [Fact]
    public void Classify_PutOfANewObjectCreatesIt() => Assert.Equal(AccessKind.Created, OperationVerbs.Classify("PutObject", firstOnResource: true));
}
