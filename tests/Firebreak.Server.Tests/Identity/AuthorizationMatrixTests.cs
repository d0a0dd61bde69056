using System.Net;
using System.Net.Http.Json;
using Firebreak.Core.Identity;
using Firebreak.Server.Identity;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace Firebreak.Server.Tests.Identity;

/// <summary>
/// Walks every API endpoint × every role × both tenants. The expected table is written out here, and
/// the first test proves it lists exactly the endpoints the server maps, so a new endpoint cannot
/// ship without a rule.
/// </summary>
public class AuthorizationMatrixTests(ServerFixture fixture) : IClassFixture<ServerFixture>
{
    private sealed record Rule(string Method, string Route, Role MinimumRole, Func<Ids, object?>? Body = null, bool BodyNamesRecords = false);

    private sealed record Ids(string Incident, Guid Task, Guid Entry, Guid Key, Guid Manager, Guid Alert, Guid Escalation, Guid SuppressionRule, Guid EscalationRule, Guid Evidence,
        Guid FollowUp, Guid DataGap, Guid ProviderEscalation, Guid Feed, Guid Asset, Guid DataLoss, Guid Indicator, Guid Run);

    private static readonly object Escalation = new { provider = "aws", caseId = "matrix", openedAt = "2026-11-01T00:00:00Z", slaResponseMinutes = 60 };

    private static readonly Rule[] Expected =
    [
        new("GET", "/api/v1/me", Role.Viewer),
        new("GET", "/api/v1/users", Role.Viewer),
        new("POST", "/api/v1/users", Role.Admin, _ => new { email = $"u{Guid.NewGuid():n}@acme.example", displayName = "New", role = "viewer", password = "a-long-enough-password" }),
        new("GET", "/api/v1/api-keys", Role.Admin),
        new("POST", "/api/v1/api-keys", Role.Admin, _ => new { name = "matrix", role = "viewer" }),
        new("DELETE", "/api/v1/api-keys/{id:guid}", Role.Admin),
        new("GET", "/api/v1/audit", Role.Admin),
        new("GET", "/api/v1/incidents", Role.Viewer),
        new("POST", "/api/v1/incidents", Role.Responder, _ => new { title = "matrix" }),
        new("GET", "/api/v1/incidents/{key}", Role.Viewer),
        new("PATCH", "/api/v1/incidents/{key}", Role.Responder, _ => new { summary = "matrix" }),
        new("PUT", "/api/v1/incidents/{key}/roles", Role.IncidentManager, ids => new { incidentManagerId = ids.Manager, communicationsLeadId = (Guid?)null }),
        new("GET", "/api/v1/incidents/{key}/transitions", Role.Viewer),
        new("POST", "/api/v1/incidents/{key}/transitions", Role.Responder, _ => new { to = "detection-and-analysis", reason = "matrix" }),
        new("POST", "/api/v1/incidents/{key}/status", Role.Responder, _ => new { status = "on-hold", reason = "matrix" }),
        new("GET", "/api/v1/incidents/{key}/tasks", Role.Viewer),
        new("POST", "/api/v1/incidents/{key}/tasks", Role.Responder, _ => new { title = "matrix" }),
        new("PATCH", "/api/v1/incidents/{key}/tasks/{taskId:guid}", Role.Responder, _ => new { status = "in-progress" }),
        new("GET", "/api/v1/incidents/{key}/journal", Role.Viewer),
        new("POST", "/api/v1/incidents/{key}/journal", Role.Responder, _ => new { body = "matrix" }),
        new("PUT", "/api/v1/incidents/{key}/journal/{entryId:guid}", Role.Responder, _ => new { body = $"matrix {Guid.NewGuid()}" }),
        new("GET", "/api/v1/incidents/{key}/journal/{entryId:guid}/revisions", Role.Viewer),
        new("GET", "/api/v1/incidents/{key}/review", Role.Viewer),
        new("PUT", "/api/v1/incidents/{key}/review", Role.Responder, _ => new { summary = "matrix" }),
        new("GET", "/api/v1/incidents/{key}/audit", Role.Viewer),
        new("GET", "/api/v1/incidents/{key}/escalations", Role.Viewer),
        new("POST", "/api/v1/alerts", Role.Responder, _ => new { source = "matrix", title = $"matrix {Guid.NewGuid()}" }),
        new("POST", "/api/v1/alerts/batch", Role.Responder, _ => new[] { new { source = "matrix", title = "batch" } }),
        new("POST", "/api/v1/alerts/intake/{format}", Role.Responder, _ => new { source = "matrix", title = "native" }),
        new("GET", "/api/v1/alerts", Role.Viewer),
        new("GET", "/api/v1/alerts/{id:guid}", Role.Viewer),
        new("POST", "/api/v1/alerts/triage", Role.Responder, ids => new { alertIds = new[] { ids.Alert }, state = "acknowledged" }, BodyNamesRecords: true),
        new("GET", "/api/v1/alerts/groups", Role.Viewer),
        new("GET", "/api/v1/alerts/{id:guid}/similar-incidents", Role.Viewer),
        new("GET", "/api/v1/alerts/false-positive-rates", Role.Viewer),
        new("POST", "/api/v1/alerts/promote", Role.Responder, ids => new { alertIds = new[] { ids.Alert } }, BodyNamesRecords: true),
        new("POST", "/api/v1/alerts/merge", Role.Responder, ids => new { alertIds = new[] { ids.Alert }, incident = ids.Incident }, BodyNamesRecords: true),
        new("POST", "/api/v1/escalations/{id:guid}/undo", Role.Responder),
        new("GET", "/api/v1/suppression-rules", Role.Viewer),
        new("POST", "/api/v1/suppression-rules", Role.IncidentManager, _ => new { name = "m", field = "title", @operator = "exact", value = "never", reason = "matrix" }),
        new("PATCH", "/api/v1/suppression-rules/{id:guid}", Role.IncidentManager, _ => new { reason = "matrix again" }),
        new("GET", "/api/v1/escalation-rules", Role.Viewer),
        new("POST", "/api/v1/escalation-rules", Role.IncidentManager, _ => new { name = "m", action = "create-incident", sources = new[] { "never" } }),
        new("PUT", "/api/v1/escalation-rules/{id:guid}/enabled", Role.IncidentManager, _ => new { enabled = false }),
        new("POST", "/api/v1/incidents/{key}/evidence", Role.Responder, _ => "matrix evidence"u8.ToArray()),
        new("POST", "/api/v1/incidents/{key}/evidence/snapshots", Role.Responder, _ => new { name = "m", snapshotId = "snap-1", region = "eu-west-1", account = "123456789012" }),
        new("GET", "/api/v1/incidents/{key}/evidence", Role.Viewer),
        new("GET", "/api/v1/incidents/{key}/custody", Role.Viewer),
        new("POST", "/api/v1/incidents/{key}/evidence/verify", Role.Viewer),
        new("POST", "/api/v1/incidents/{key}/evidence/export", Role.Responder, _ => new { reason = "matrix" }),
        new("GET", "/api/v1/evidence/{id:guid}", Role.Viewer),
        new("GET", "/api/v1/incidents/{key}/metrics", Role.Viewer),
        new("GET", "/api/v1/incidents/{key}/follow-ups", Role.Viewer),
        new("POST", "/api/v1/incidents/{key}/follow-ups", Role.Responder, _ => new { title = "matrix" }),
        new("PATCH", "/api/v1/incidents/{key}/follow-ups/{id:guid}", Role.Responder, _ => new { status = "in-progress" }),
        new("GET", "/api/v1/follow-ups", Role.Viewer),
        new("GET", "/api/v1/incidents/{key}/data-gaps", Role.Viewer),
        new("POST", "/api/v1/incidents/{key}/data-gaps", Role.Responder, _ => new { logSource = "matrix", wouldHaveShortened = "scoping" }),
        new("PUT", "/api/v1/incidents/{key}/data-gaps/{id:guid}", Role.Responder, _ => new { logSource = "matrix", wouldHaveShortened = "detection" }),
        new("DELETE", "/api/v1/incidents/{key}/data-gaps/{id:guid}", Role.Responder),
        new("GET", "/api/v1/incidents/{key}/provider-escalations", Role.Viewer),
        new("POST", "/api/v1/incidents/{key}/provider-escalations", Role.Responder, _ => Escalation),
        new("PUT", "/api/v1/incidents/{key}/provider-escalations/{id:guid}", Role.Responder, _ => Escalation),
        new("POST", "/api/v1/incidents/{key}/provider-escalations/{id:guid}/responses", Role.Responder, _ => new { receivedAt = "2026-11-01T01:00:00Z", summary = "matrix" }),
        new("DELETE", "/api/v1/incidents/{key}/provider-escalations/{id:guid}", Role.Responder),
        new("GET", "/api/v1/metrics/response-times", Role.Viewer),
        new("GET", "/api/v1/incidents/{key}/report", Role.Viewer),
        new("GET", "/api/v1/incidents/{key}/status-update", Role.Viewer),
        new("GET", "/api/v1/evidence/{id:guid}/content", Role.Viewer),
        new("POST", "/api/v1/evidence/{id:guid}/custody", Role.Responder, _ => new { @event = "accessed", location = "lab", reason = "matrix" }),
        new("GET", "/api/v1/response/catalogue", Role.Viewer),
        new("POST", "/api/v1/incidents/{key}/actions", Role.Responder, _ => new { action = "aws-capture-instance", account = "123456789012", region = "eu-west-1", resource = "i-0abc1234def567890", criticality = "low", choice = "contain-accept-downtime", choiceReason = "matrix", reason = "matrix" }),
        new("GET", "/api/v1/incidents/{key}/actions", Role.Viewer),
        new("GET", "/api/v1/incidents/{key}/actions/{id:guid}", Role.Viewer),
        new("POST", "/api/v1/incidents/{key}/actions/{id:guid}/approve", Role.Responder, _ => new { comment = "matrix" }),
        new("POST", "/api/v1/incidents/{key}/actions/{id:guid}/run", Role.Responder),
        new("POST", "/api/v1/incidents/{key}/actions/{id:guid}/undo", Role.Responder, _ => new { reason = "matrix" }),
        new("POST", "/api/v1/incidents/{key}/actions/{id:guid}/replan", Role.Responder),
        new("POST", "/api/v1/incidents/{key}/events/imports/upload", Role.Responder, _ => """{"eventVersion":"1.09","eventID":"matrix","eventTime":"2026-03-01T00:00:00Z","eventSource":"s3.amazonaws.com","eventName":"ListBuckets","awsRegion":"us-east-1","userIdentity":{"type":"IAMUser","arn":"arn:aws:iam::111122223333:user/m"}}"""u8.ToArray()),
        new("POST", "/api/v1/incidents/{key}/events/imports", Role.Responder, _ => new { kind = "path", path = "/nowhere/logs" }),
        new("GET", "/api/v1/incidents/{key}/events/imports", Role.Viewer),
        new("GET", "/api/v1/incidents/{key}/events/imports/{importId:guid}", Role.Viewer),
        new("GET", "/api/v1/incidents/{key}/events", Role.Viewer),
        new("GET", "/api/v1/incidents/{key}/events/{eventId:long}", Role.Viewer),
        new("GET", "/api/v1/incidents/{key}/timeline", Role.Viewer),
        new("POST", "/api/v1/incidents/{key}/timeline", Role.Responder, _ => new { eventTime = "2026-03-01T00:00:00Z", title = "matrix" }),
        new("POST", "/api/v1/incidents/{key}/timeline/pins", Role.Responder, _ => new { eventIds = new[] { 1L } }),
        new("GET", "/api/v1/incidents/{key}/timeline/export", Role.Viewer),
        new("GET", "/api/v1/incidents/{key}/timeline/{entryId:guid}", Role.Viewer),
        new("PATCH", "/api/v1/incidents/{key}/timeline/{entryId:guid}", Role.Responder, _ => new { keyEvent = true }),
        new("GET", "/api/v1/intel/feeds", Role.Viewer),
        new("POST", "/api/v1/intel/feeds", Role.Admin, _ => new { name = $"matrix {Guid.NewGuid():n}" }),
        new("GET", "/api/v1/intel/feeds/{feed}", Role.Viewer),
        new("PATCH", "/api/v1/intel/feeds/{feed}", Role.Admin, _ => new { pollMinutes = 30 }),
        new("POST", "/api/v1/intel/feeds/{feed}/import", Role.Responder, _ => new { type = "bundle", id = "bundle--matrix", objects = Array.Empty<object>() }),
        new("POST", "/api/v1/intel/feeds/{feed}/poll", Role.Responder),
        new("GET", "/api/v1/intel/indicators", Role.Viewer),
        new("GET", "/api/v1/intel/matches", Role.Viewer),
        // Last of the feed rules: it deletes the seeded feed.
        new("DELETE", "/api/v1/intel/feeds/{feed}", Role.Admin),
        new("POST", "/api/v1/incidents/{key}/data-loss", Role.Responder),
        new("GET", "/api/v1/incidents/{key}/data-loss", Role.Viewer),
        new("GET", "/api/v1/incidents/{key}/data-loss/history", Role.Viewer),
        new("GET", "/api/v1/incidents/{key}/data-loss/{id:guid}", Role.Viewer),
        new("GET", "/api/v1/assets", Role.Viewer),
        new("POST", "/api/v1/assets", Role.IncidentManager, _ => new { pattern = $"arn:aws:s3:::matrix-{Guid.NewGuid():n}", name = "matrix", classification = "internal" }),
        new("GET", "/api/v1/assets/{id:guid}", Role.Viewer),
        new("PUT", "/api/v1/assets/{id:guid}", Role.IncidentManager, _ => new { pattern = $"arn:aws:s3:::matrix-{Guid.NewGuid():n}", name = "matrix", classification = "confidential" }),
        new("DELETE", "/api/v1/assets/{id:guid}", Role.IncidentManager),
        new("GET", "/api/v1/incidents/{key}/indicators", Role.Viewer),
        new("POST", "/api/v1/incidents/{key}/indicators", Role.Responder, _ => new { type = "ip", value = $"198.51.100.{Random.Shared.Next(1, 255)}" }),
        new("GET", "/api/v1/incidents/{key}/indicators/{indicatorId:guid}", Role.Viewer),
        new("PATCH", "/api/v1/incidents/{key}/indicators/{indicatorId:guid}", Role.Responder, _ => new { description = "matrix" }),
        new("POST", "/api/v1/incidents/{key}/indicators/{indicatorId:guid}/enrich", Role.Responder),
        // Last: a successful delete leaves the other rules nothing to find.
        new("DELETE", "/api/v1/incidents/{key}/indicators/{indicatorId:guid}", Role.Responder),
        new("GET", "/api/v1/indicators/search", Role.Viewer),
        new("POST", "/api/v1/incidents/{key}/management-plane/checks", Role.Responder, _ => new { }),
        new("GET", "/api/v1/incidents/{key}/management-plane/checks", Role.Viewer),
        new("GET", "/api/v1/incidents/{key}/management-plane/checks/latest", Role.Viewer),
        new("GET", "/api/v1/incidents/{key}/management-plane/checks/{checkId:guid}", Role.Viewer),
        new("POST", "/api/v1/incidents/{key}/management-plane/checks/{checkId:guid}/review", Role.Responder, _ => new { note = "matrix" }),
        new("GET", "/api/v1/incidents/{key}/management-plane/readiness", Role.Viewer),
        new("GET", "/api/v1/incidents/{key}/scope", Role.Viewer),
        new("POST", "/api/v1/incidents/{key}/scope/marks", Role.Responder, _ => new { kind = "access-key", value = "AKIAMATRIX0000000001", reason = "matrix" }),
        new("POST", "/api/v1/incidents/{key}/scope/marks/{markId:guid}/unmark", Role.Responder, _ => new { reason = "matrix" }),
        new("GET", "/api/v1/incidents/{key}/recovery", Role.Viewer),
        new("POST", "/api/v1/incidents/{key}/recovery", Role.Responder, _ => new { kind = "custom", description = "matrix" }),
        new("POST", "/api/v1/incidents/{key}/recovery/defaults", Role.Responder),
        new("GET", "/api/v1/incidents/{key}/recovery/{itemId:guid}", Role.Viewer),
        new("PUT", "/api/v1/incidents/{key}/recovery/{itemId:guid}/status", Role.Responder, _ => new { status = "open" }),
        new("POST", "/api/v1/incidents/{key}/recovery/{itemId:guid}/verify", Role.Responder, _ => new { digest = "sha256:" + new string('a', 64), baseline = "matrix" }),
        new("POST", "/api/v1/incidents/{key}/recovery/{itemId:guid}/verify-file", Role.Responder, _ => "template"u8.ToArray()),
        new("GET", "/api/v1/recovery/baselines", Role.Viewer),
        new("POST", "/api/v1/recovery/baselines", Role.IncidentManager, _ => new { name = $"matrix-{Guid.NewGuid():n}", kind = "ami", location = "ami-0matrix", digest = "sha256:" + new string('b', 64), reason = "matrix" }),
        new("GET", "/api/v1/recovery/baselines/{name}/history", Role.Viewer),
        new("GET", "/api/v1/incidents/{key}/break-glass", Role.Viewer),
        new("POST", "/api/v1/incidents/{key}/break-glass", Role.Responder, _ => new { account = "root", credential = "password + MFA", reason = "matrix", invokedAt = "2026-11-01T00:00:00Z" }),
        new("GET", "/api/v1/incidents/{key}/break-glass/{breakGlassId:guid}", Role.Viewer),
        new("POST", "/api/v1/incidents/{key}/break-glass/{breakGlassId:guid}/close", Role.Responder, _ => new { credentialsRotatedAt = "2026-11-01T02:00:00Z", rotationNote = "matrix", reviewNote = "matrix" }),
        new("GET", "/api/v1/playbooks", Role.Viewer),
        new("POST", "/api/v1/playbooks", Role.IncidentManager, _ => new StringContent(MatrixPlaybook.Replace("matrix-seed", "matrix-new", StringComparison.Ordinal), System.Text.Encoding.UTF8, "application/yaml")),
        new("GET", "/api/v1/playbooks/{playbookId}", Role.Viewer),
        new("GET", "/api/v1/playbooks/{playbookId}/export", Role.Viewer),
        new("POST", "/api/v1/incidents/{key}/playbook-runs", Role.Responder, _ => new { playbook = "management-plane-compromise", inputs = new { provider = "aws" }, criticality = "low", choice = "contain-accept-downtime", choiceReason = "matrix" }),
        new("GET", "/api/v1/incidents/{key}/playbook-runs", Role.Viewer),
        new("GET", "/api/v1/incidents/{key}/playbook-runs/{runId:guid}", Role.Viewer),
        new("POST", "/api/v1/incidents/{key}/playbook-runs/{runId:guid}/steps/{stepId}/complete", Role.Responder, _ => new { items = new[] { 0 } }),
        new("POST", "/api/v1/incidents/{key}/playbook-runs/{runId:guid}/steps/{stepId}/approve", Role.Responder, _ => new { comment = "matrix" }),
        new("POST", "/api/v1/incidents/{key}/playbook-runs/{runId:guid}/cancel", Role.Responder, _ => new { reason = "matrix" }),
        new("DELETE", "/api/v1/playbooks/{playbookId}", Role.IncidentManager),
    ];

    private const string MatrixPlaybook = "id: matrix-seed\nname: Matrix\nsteps:\n  - id: retrieve\n    kind: manual\n    name: Retrieve\n    checklist: [one]\n";

    [Fact]
    public void TheTable_ListsExactlyTheMappedEndpoints_WithTheirPolicies()
    {
        var mapped = fixture.Server.Services.GetRequiredService<EndpointDataSource>().Endpoints.OfType<RouteEndpoint>()
            .Where(e => e.RoutePattern.RawText?.StartsWith("/api/", StringComparison.Ordinal) == true)
            .SelectMany(e => e.Metadata.GetMetadata<HttpMethodMetadata>()!.HttpMethods.Select(m => (Method: m, Route: e.RoutePattern.RawText!.TrimEnd('/'), Endpoint: e)))
            .ToList();

        Assert.Equal(Expected.Select(r => $"{r.Method} {r.Route}").Order(), mapped.Select(m => $"{m.Method} {m.Route}").Order());
        foreach (var (method, route, endpoint) in mapped)
        {
            var rule = Expected.Single(r => r.Method == method && r.Route == route);
            var policies = endpoint.Metadata.GetOrderedMetadata<IAuthorizeData>().Select(a => a.Policy).OfType<string>().ToList();
            Assert.Contains(Policies.For(rule.MinimumRole), policies);
        }
    }

    [Fact]
    public async Task EveryEndpoint_AnswersByRoleAndTenant()
    {
        var acme = await SeedAsync(fixture.Acme);
        var failures = new List<string>();
        foreach (var rule in Expected)
        {
            var url = Url(rule.Route, acme);
            var anonymous = await SendAsync(fixture.Server.Client(), rule, url, acme);
            Check(anonymous.StatusCode == HttpStatusCode.Unauthorized, rule, "anonymous", anonymous.StatusCode);

            foreach (var role in Enum.GetValues<Role>())
            {
                var own = await SendAsync(fixture.Acme.Client(role), rule, url, acme);
                if (role.Allows(rule.MinimumRole))
                    Check(own.StatusCode is not (HttpStatusCode.Unauthorized or HttpStatusCode.Forbidden) && (int)own.StatusCode < 500, rule, $"own {role}", own.StatusCode);
                else
                    Check(own.StatusCode == HttpStatusCode.Forbidden, rule, $"own {role}", own.StatusCode);

                var other = await SendAsync(fixture.Globex.Client(role), rule, url, acme);
                if (!role.Allows(rule.MinimumRole))
                    Check(other.StatusCode == HttpStatusCode.Forbidden, rule, $"other-tenant {role}", other.StatusCode);
                else if (rule.Route.Contains('{') && !rule.Route.EndsWith("{format}", StringComparison.Ordinal) || rule.BodyNamesRecords)
                    Check(other.StatusCode == HttpStatusCode.NotFound, rule, $"other-tenant {role}", other.StatusCode);
                else
                {
                    var text = await other.Content.ReadAsStringAsync();
                    Check(!text.Contains(acme.Incident, StringComparison.Ordinal) && !text.Contains(acme.Alert.ToString(), StringComparison.Ordinal),
                        rule, $"other-tenant {role} saw tenant data", other.StatusCode);
                }
            }
        }
        Assert.True(failures.Count == 0, string.Join("\n", failures));

        void Check(bool ok, Rule rule, string who, HttpStatusCode status)
        {
            if (!ok) failures.Add($"{rule.Method} {rule.Route} as {who}: {(int)status}");
        }
    }

    private static async Task<Ids> SeedAsync(Testing.TestTenant tenant)
    {
        var client = tenant.Client(Role.Admin);
        var incident = await client.CreateIncidentAsync(new { title = "matrix target" });
        // By id: references are per tenant, so the other tenant has an INC-2026-0001 of its own.
        var reference = incident.GetProperty("id").GetGuid().ToString();
        var task = await (await client.PostAsJsonAsync($"/api/v1/incidents/{reference}/tasks", new { title = "seed" })).JsonAsync();
        var entry = await (await client.PostAsJsonAsync($"/api/v1/incidents/{reference}/journal", new { body = "seed" })).JsonAsync();
        var key = await (await client.PostAsJsonAsync("/api/v1/api-keys", new { name = "victim", role = "viewer" })).JsonAsync();
        var alerts = await (await client.PostAsJsonAsync("/api/v1/alerts/batch", new[] { new { source = "seed", title = "one" }, new { source = "seed", title = "two" } })).JsonAsync();
        var alertIds = alerts.GetProperty("alerts").EnumerateArray().Select(a => a.GetProperty("id").GetGuid()).ToList();
        var escalation = await (await client.PostAsJsonAsync("/api/v1/alerts/promote", new { alertIds = new[] { alertIds[1] } })).JsonAsync();
        var suppression = await (await client.PostAsJsonAsync("/api/v1/suppression-rules", new { name = "seed", field = "source", @operator = "exact", value = "nothing", reason = "seed" })).JsonAsync();
        var rule = await (await client.PostAsJsonAsync("/api/v1/escalation-rules", new { name = "seed", action = "create-incident", sources = new[] { "nothing" } })).JsonAsync();
        var upload = new ByteArrayContent("seed evidence"u8.ToArray());
        upload.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/octet-stream");
        var evidence = await (await client.PostAsync($"/api/v1/incidents/{reference}/evidence?name=seed.txt&source=seed", upload)).JsonAsync();
        var followUp = await (await client.PostAsJsonAsync($"/api/v1/incidents/{reference}/follow-ups", new { title = "seed" })).JsonAsync();
        var gap = await (await client.PostAsJsonAsync($"/api/v1/incidents/{reference}/data-gaps", new { logSource = "seed", wouldHaveShortened = "detection" })).JsonAsync();
        var providerEscalation = await (await client.PostAsJsonAsync($"/api/v1/incidents/{reference}/provider-escalations", Escalation)).JsonAsync();
        var feed = await (await client.PostAsJsonAsync("/api/v1/intel/feeds", new { name = "seed" })).JsonAsync();
        var asset = await (await client.PostAsJsonAsync("/api/v1/assets", new { pattern = "arn:aws:s3:::seed-*", name = "seed", classification = "restricted", personalData = true })).JsonAsync();
        var dataLoss = await (await client.PostAsync($"/api/v1/incidents/{reference}/data-loss", null)).JsonAsync();
        var indicator = await (await client.PostAsJsonAsync($"/api/v1/incidents/{reference}/indicators", new { type = "domain", value = "matrix.example" })).JsonAsync();
        await client.PostAsync("/api/v1/playbooks", new StringContent(MatrixPlaybook, System.Text.Encoding.UTF8, "application/yaml"));
        var run = await (await client.PostAsJsonAsync($"/api/v1/incidents/{reference}/playbook-runs", new { playbook = "matrix-seed", criticality = "low", choice = "contain-accept-downtime", choiceReason = "seed" })).JsonAsync();
        return new Ids(reference, task.GetProperty("id").GetGuid(), entry.GetProperty("id").GetGuid(),
            key.GetProperty("key").GetProperty("id").GetGuid(), tenant.UserId(Role.IncidentManager),
            alertIds[0], escalation.GetProperty("id").GetGuid(), suppression.GetProperty("id").GetGuid(), rule.GetProperty("id").GetGuid(),
            evidence.GetProperty("id").GetGuid(), followUp.GetProperty("id").GetGuid(), gap.GetProperty("id").GetGuid(), providerEscalation.GetProperty("id").GetGuid(),
            feed.GetProperty("id").GetGuid(), asset.GetProperty("id").GetGuid(), dataLoss.GetProperty("id").GetGuid(),
            indicator.GetProperty("id").GetGuid(), run.GetProperty("id").GetGuid());
    }

    private static string Url(string route, Ids ids)
    {
        var id = route switch
        {
            _ when route.StartsWith("/api/v1/alerts", StringComparison.Ordinal) => ids.Alert,
            _ when route.StartsWith("/api/v1/escalations", StringComparison.Ordinal) => ids.Escalation,
            _ when route.StartsWith("/api/v1/suppression-rules", StringComparison.Ordinal) => ids.SuppressionRule,
            _ when route.StartsWith("/api/v1/escalation-rules", StringComparison.Ordinal) => ids.EscalationRule,
            _ when route.StartsWith("/api/v1/evidence", StringComparison.Ordinal) => ids.Evidence,
            _ when route.Contains("/follow-ups/", StringComparison.Ordinal) => ids.FollowUp,
            _ when route.Contains("/data-gaps/", StringComparison.Ordinal) => ids.DataGap,
            _ when route.Contains("/provider-escalations/", StringComparison.Ordinal) => ids.ProviderEscalation,
            _ when route.StartsWith("/api/v1/assets", StringComparison.Ordinal) => ids.Asset,
            _ when route.Contains("/data-loss/", StringComparison.Ordinal) => ids.DataLoss,
            _ => ids.Key,
        };
        return route.Replace("{key}", ids.Incident).Replace("{taskId:guid}", ids.Task.ToString())
            .Replace("{entryId:guid}", ids.Entry.ToString()).Replace("{indicatorId:guid}", ids.Indicator.ToString())
            .Replace("{importId:guid}", ids.Key.ToString()).Replace("{markId:guid}", ids.Key.ToString()).Replace("{eventId:long}", "1").Replace("{checkId:guid}", ids.Key.ToString()).Replace("{itemId:guid}", ids.Key.ToString()).Replace("{breakGlassId:guid}", ids.Key.ToString()).Replace("{name}", "matrix").Replace("{id:guid}", id.ToString()).Replace("{format}", "generic")
            .Replace("{feed}", ids.Feed.ToString())
            .Replace("{playbookId}", "matrix-seed").Replace("{runId:guid}", ids.Run.ToString()).Replace("{stepId}", "retrieve")
            + (route.EndsWith("/import", StringComparison.Ordinal) ? "?format=stix" : route.EndsWith("/upload", StringComparison.Ordinal) ? "?name=matrix.json"
               : route.EndsWith("/content", StringComparison.Ordinal) ? "?reason=matrix" : route.EndsWith("/evidence", StringComparison.Ordinal) ? "?name=m.txt&source=matrix"
               : route.EndsWith("/indicators/search", StringComparison.Ordinal) ? "?value=matrix.example" : "");
    }

    private static Task<HttpResponseMessage> SendAsync(HttpClient client, Rule rule, string url, Ids ids)
    {
        var request = new HttpRequestMessage(new HttpMethod(rule.Method), url);
        var body = rule.Body?.Invoke(ids);
        if (body is HttpContent content)
        {
            request.Content = content;
        }
        else if (body is byte[] bytes)
        {
            request.Content = new ByteArrayContent(bytes);
            request.Content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/octet-stream");
        }
        else if (body is not null)
        {
            request.Content = JsonContent.Create(body);
        }
        return client.SendAsync(request);
    }
}
