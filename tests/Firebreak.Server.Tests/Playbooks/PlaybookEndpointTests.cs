using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Firebreak.Core.Identity;

namespace Firebreak.Server.Tests.Playbooks;

public class PlaybookEndpointTests(ServerFixture fixture) : IClassFixture<ServerFixture>
{
    private const string Yaml = """
        id: api-sample
        name: API sample
        inputs:
          - name: instance
            type: instance
        steps:
          - id: capture
            kind: action
            name: Capture the instance
            action: aws-capture-instance
            account: "123456789012"
            region: eu-west-1
            resource: "{{ inputs.instance }}"
          - id: notes
            kind: manual
            name: Notes
            checklist: [Write it down]
        """;

    private static StringContent YamlBody(string text, string type = "application/yaml") => new(text, Encoding.UTF8, type);

    private async Task<string> NewIncidentAsync() =>
        (await fixture.Acme.Client(Role.Responder).CreateIncidentAsync(new { title = "playbooks" })).GetProperty("reference").GetString()!;

    private static async Task<JsonElement> WaitForRunAsync(HttpClient client, string incident, string run, Func<JsonElement, bool> done)
    {
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (true)
        {
            var view = await (await client.GetAsync($"/api/v1/incidents/{incident}/playbook-runs/{run}")).JsonAsync();
            if (done(view)) return view;
            Assert.True(DateTime.UtcNow < deadline, "the run did not get there: " + view);
            await Task.Delay(100);
        }
    }

    private static string StepState(JsonElement run, string step) =>
        run.GetProperty("steps").EnumerateArray().Single(s => s.GetProperty("id").GetString() == step).GetProperty("state").GetString()!;

    [Fact]
    public async Task ImportGetExportDelete_ATenantPlaybook_ByRoleAndTenant()
    {
        var manager = fixture.Acme.Client(Role.IncidentManager);
        var created = await manager.PostAsync("/api/v1/playbooks", YamlBody(Yaml.Replace("api-sample", "lifecycle", StringComparison.Ordinal)));
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        Assert.Equal("/api/v1/playbooks/lifecycle", created.Headers.Location?.OriginalString);

        var list = await (await fixture.Acme.Client(Role.Viewer).GetAsync("/api/v1/playbooks")).JsonAsync();
        var ids = list.EnumerateArray().Select(p => (p.GetProperty("id").GetString(), p.GetProperty("builtIn").GetBoolean())).ToList();
        Assert.Contains(("lifecycle", false), ids);
        Assert.Contains(("compromised-access-key", true), ids);
        var otherList = await (await fixture.Globex.Client(Role.Viewer).GetAsync("/api/v1/playbooks")).JsonAsync();
        Assert.DoesNotContain(otherList.EnumerateArray(), p => p.GetProperty("id").GetString() == "lifecycle");

        var got = await fixture.Acme.Client(Role.Viewer).GetAsync("/api/v1/playbooks/lifecycle");
        Assert.Equal("manual", (await got.JsonAsync()).GetProperty("definition").GetProperty("steps")[1].GetProperty("kind").GetString());
        var exported = await fixture.Acme.Client(Role.Viewer).GetAsync("/api/v1/playbooks/lifecycle/export?format=yaml");
        Assert.Equal("application/yaml", exported.Content.Headers.ContentType?.MediaType);
        Assert.Contains("id: lifecycle", await exported.Content.ReadAsStringAsync());
        Assert.Equal(HttpStatusCode.NotFound, (await fixture.Globex.Client(Role.Viewer).GetAsync("/api/v1/playbooks/lifecycle")).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await fixture.Acme.Client(Role.Responder).PostAsync("/api/v1/playbooks", YamlBody(Yaml))).StatusCode);
        Assert.Equal(HttpStatusCode.Conflict, (await manager.PostAsync("/api/v1/playbooks", YamlBody(Yaml.Replace("api-sample", "lifecycle", StringComparison.Ordinal)))).StatusCode);
        Assert.Equal(HttpStatusCode.Conflict, (await manager.DeleteAsync("/api/v1/playbooks/compromised-access-key")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await fixture.Globex.Client(Role.IncidentManager).DeleteAsync("/api/v1/playbooks/lifecycle")).StatusCode);

        var stale = new HttpRequestMessage(HttpMethod.Delete, "/api/v1/playbooks/lifecycle");
        stale.Headers.IfMatch.Add(new EntityTagHeaderValue("\"99\""));
        Assert.Equal(HttpStatusCode.Conflict, (await manager.SendAsync(stale)).StatusCode);
        Assert.Equal(HttpStatusCode.NoContent, (await manager.DeleteAsync("/api/v1/playbooks/lifecycle")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await manager.GetAsync("/api/v1/playbooks/lifecycle")).StatusCode);
    }

    [Fact]
    public async Task ExportCacao_ThenImportIt_UnderAnotherId_GivesTheSameSteps()
    {
        var viewer = fixture.Acme.Client(Role.Viewer);
        var cacao = await viewer.GetAsync("/api/v1/playbooks/compromised-ec2-instance/export?format=cacao");
        Assert.Equal("application/json", cacao.Content.Headers.ContentType?.MediaType);
        var json = System.Text.Json.Nodes.JsonNode.Parse(await cacao.Content.ReadAsStringAsync())!;
        Assert.Equal("cacao-2.0", json["spec_version"]!.GetValue<string>());
        json["playbook_extensions"]![Core.Playbooks.PlaybookCacao.Extension]!["id"] = "ec2-copy";

        var imported = await fixture.Acme.Client(Role.IncidentManager).PostAsync("/api/v1/playbooks", YamlBody(json.ToJsonString(), "application/json"));
        Assert.Equal(HttpStatusCode.Created, imported.StatusCode);
        var copy = await (await viewer.GetAsync("/api/v1/playbooks/ec2-copy")).JsonAsync();
        var original = await (await viewer.GetAsync("/api/v1/playbooks/compromised-ec2-instance")).JsonAsync();
        Assert.Equal(original.GetProperty("playbook").GetProperty("steps").GetInt32(), copy.GetProperty("playbook").GetProperty("steps").GetInt32());
        Assert.Equal(original.GetProperty("playbook").GetProperty("actions").ToString(), copy.GetProperty("playbook").GetProperty("actions").ToString());
        var wrongFormat = await viewer.GetAsync("/api/v1/playbooks/ec2-copy/export?format=pdf");
        Assert.Equal(HttpStatusCode.BadRequest, wrongFormat.StatusCode);
        var unsupported = await fixture.Acme.Client(Role.IncidentManager).PostAsync("/api/v1/playbooks",
            YamlBody("{\"type\":\"playbook\",\"spec_version\":\"cacao-2.0\",\"name\":\"x\",\"workflow_start\":\"start--1\",\"workflow\":{\"start--1\":{\"type\":\"start\",\"on_completion\":\"w--2\"},\"w--2\":{\"type\":\"while-condition\"}}}", "application/json"));
        Assert.Equal(HttpStatusCode.BadRequest, unsupported.StatusCode);
        Assert.Contains("unsupported CACAO feature: step type 'while-condition'", (await unsupported.Content.ReadAsStringAsync()));
    }

    [Fact]
    public async Task Import_BadInput_IsAProblem_AndNothingIsStored()
    {
        var manager = fixture.Acme.Client(Role.IncidentManager);

        var malformed = await manager.PostAsync("/api/v1/playbooks", YamlBody("id: bad\nname: Bad\nsteps:\n  - id: a\n    kind: manual\n    name: A\n    checklist: [one\n"));
        var unknownAction = await manager.PostAsync("/api/v1/playbooks", YamlBody(Yaml.Replace("aws-capture-instance", "aws-teleport-instance", StringComparison.Ordinal)));
        var wrongType = await manager.PostAsync("/api/v1/playbooks", YamlBody(Yaml.Replace("checklist: [Write it down]", "checklist: {a: b}", StringComparison.Ordinal)));
        // Expect: 100-continue, so the 413 cannot race the upload.
        var big = new HttpRequestMessage(HttpMethod.Post, "/api/v1/playbooks") { Content = YamlBody("id: big\nname: Big\ndescription: " + new string('x', 300_000) + "\nsteps: []\n") };
        big.Headers.ExpectContinue = true;
        var oversized = await manager.SendAsync(big);
        var plainText = await manager.PostAsync("/api/v1/playbooks", YamlBody(Yaml, "text/plain"));
        var notUtf8 = new ByteArrayContent([0x69, 0x64, 0x3a, 0x20, 0xff, 0xfe]);
        notUtf8.Headers.ContentType = new MediaTypeHeaderValue("application/yaml");
        var binary = await manager.PostAsync("/api/v1/playbooks", notUtf8);
        var badJson = await manager.PostAsync("/api/v1/playbooks", YamlBody("{ not json", "application/json"));

        Assert.Equal(HttpStatusCode.BadRequest, malformed.StatusCode);
        Assert.Equal("application/problem+json", malformed.Content.Headers.ContentType?.MediaType);
        Assert.StartsWith("line 8: not valid YAML", (await malformed.JsonAsync()).GetProperty("errors").GetProperty("$")[0].GetString());
        Assert.Equal(HttpStatusCode.BadRequest, unknownAction.StatusCode);
        Assert.Contains("aws-teleport-instance", (await unknownAction.JsonAsync()).GetProperty("errors").GetProperty("steps.capture.action")[0].GetString());
        Assert.Equal(HttpStatusCode.BadRequest, wrongType.StatusCode);
        Assert.Contains("checklist must be a list", (await wrongType.JsonAsync()).GetProperty("errors").GetProperty("steps[1].checklist")[0].GetString());
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, oversized.StatusCode);
        Assert.Equal(HttpStatusCode.UnsupportedMediaType, plainText.StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, binary.StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, badJson.StatusCode);
        var list = await (await manager.GetAsync("/api/v1/playbooks")).JsonAsync();
        Assert.DoesNotContain(list.EnumerateArray(), p => p.GetProperty("builtIn").GetBoolean() == false && p.GetProperty("id").GetString() is "api-sample" or "bad" or "big");
    }

    [Fact]
    public async Task Run_BreakGlassPlaybook_ApprovedByASecondPerson_ChecklistsTicked_ToTheEnd()
    {
        var incident = await NewIncidentAsync();
        var responder = fixture.Acme.Client(Role.Responder);
        var manager = fixture.Acme.Client(Role.IncidentManager);
        var body = new { playbook = "management-plane-compromise", inputs = new Dictionary<string, string> { ["provider"] = "aws" }, criticality = "critical", choice = "contain-accept-downtime", choiceReason = "take control back" };

        Assert.Equal(HttpStatusCode.Forbidden, (await fixture.Acme.Client(Role.Viewer).PostAsJsonAsync($"/api/v1/incidents/{incident}/playbook-runs", body)).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await fixture.Globex.Client(Role.Responder).PostAsJsonAsync($"/api/v1/incidents/{incident}/playbook-runs", body)).StatusCode);
        var badEnum = await responder.PostAsJsonAsync($"/api/v1/incidents/{incident}/playbook-runs", new { playbook = "management-plane-compromise", criticality = "enormous", choice = "contain-accept-downtime", choiceReason = "r" });
        Assert.Equal(HttpStatusCode.BadRequest, badEnum.StatusCode);
        var extraField = await responder.PostAsJsonAsync($"/api/v1/incidents/{incident}/playbook-runs", new { playbook = "management-plane-compromise", force = true });
        Assert.Equal(HttpStatusCode.BadRequest, extraField.StatusCode);
        // An input the incident's scope cannot bind and the request does not give.
        var missingInput = await responder.PostAsJsonAsync($"/api/v1/incidents/{incident}/playbook-runs", new { playbook = "compromised-gcp-service-account", criticality = "high", choice = "contain-accept-downtime", choiceReason = "r" });
        Assert.Equal(HttpStatusCode.BadRequest, missingInput.StatusCode);
        Assert.Contains("inputs.serviceAccount is required", (await missingInput.JsonAsync()).GetProperty("errors").EnumerateObject().First().Value[0].GetString());

        var started = await responder.PostAsJsonAsync($"/api/v1/incidents/{incident}/playbook-runs", body);
        Assert.Equal(HttpStatusCode.Created, started.StatusCode);
        var run = (await started.JsonAsync()).GetProperty("id").GetString()!;
        await WaitForRunAsync(responder, incident, run, r => StepState(r, "authorise") == "waiting-approval");

        var self = await responder.PostAsJsonAsync($"/api/v1/incidents/{incident}/playbook-runs/{run}/steps/authorise/approve", new { comment = "me" });
        Assert.Equal(HttpStatusCode.Forbidden, self.StatusCode);
        Assert.Contains("second person", (await self.JsonAsync()).GetProperty("detail").GetString());
        Assert.Equal(HttpStatusCode.OK, (await manager.PostAsJsonAsync($"/api/v1/incidents/{incident}/playbook-runs/{run}/steps/authorise/approve", new { comment = "go" })).StatusCode);
        await WaitForRunAsync(responder, incident, run, r => StepState(r, "retrieve") == "running");

        var badIndex = await responder.PostAsJsonAsync($"/api/v1/incidents/{incident}/playbook-runs/{run}/steps/retrieve/complete", new { items = new[] { 9 } });
        Assert.Equal(HttpStatusCode.BadRequest, badIndex.StatusCode);
        var wrongType = await responder.PostAsJsonAsync($"/api/v1/incidents/{incident}/playbook-runs/{run}/steps/retrieve/complete", new { items = "all" });
        Assert.Equal(HttpStatusCode.BadRequest, wrongType.StatusCode);
        var notReached = await responder.PostAsJsonAsync($"/api/v1/incidents/{incident}/playbook-runs/{run}/steps/seal/complete", new { items = new[] { 0 } });
        Assert.Equal(HttpStatusCode.Conflict, notReached.StatusCode);
        var noStep = await responder.PostAsJsonAsync($"/api/v1/incidents/{incident}/playbook-runs/{run}/steps/nothing/complete", new { items = new[] { 0 } });
        Assert.Equal(HttpStatusCode.NotFound, noStep.StatusCode);

        foreach (var (step, count) in new[] { ("retrieve", 4), ("take-control", 6), ("verify", 2), ("seal", 3) })
        {
            await WaitForRunAsync(responder, incident, run, r => StepState(r, step) == "running");
            var done = await responder.PostAsJsonAsync($"/api/v1/incidents/{incident}/playbook-runs/{run}/steps/{step}/complete", new { items = Enumerable.Range(0, count) });
            Assert.Equal(HttpStatusCode.OK, done.StatusCode);
        }
        await WaitForRunAsync(responder, incident, run, r => StepState(r, "confirm") == "waiting-approval");
        Assert.Equal(HttpStatusCode.OK, (await fixture.Acme.Client(Role.Admin).PostAsJsonAsync($"/api/v1/incidents/{incident}/playbook-runs/{run}/steps/confirm/approve", new { })).StatusCode);
        var finished = await WaitForRunAsync(responder, incident, run, r => r.GetProperty("status").GetString() != "running");

        Assert.Equal("succeeded", finished.GetProperty("status").GetString());
        Assert.Equal(["succeeded", "done", "done", "done", "done", "succeeded"], finished.GetProperty("steps").EnumerateArray().Select(s => s.GetProperty("state").GetString()));
        var timeline = await (await responder.GetAsync($"/api/v1/incidents/{incident}/timeline?pageSize=100")).JsonAsync();
        var titles = timeline.GetProperty("items").EnumerateArray().Select(t => t.GetProperty("title").GetString()).ToList();
        Assert.Contains("Playbook 'Management-plane compromise (break-glass)' succeeded", titles);
        Assert.Equal(HttpStatusCode.NotFound, (await fixture.Globex.Client(Role.Viewer).GetAsync($"/api/v1/incidents/{incident}/playbook-runs/{run}")).StatusCode);
        Assert.Equal(HttpStatusCode.Conflict, (await responder.PostAsJsonAsync($"/api/v1/incidents/{incident}/playbook-runs/{run}/cancel", new { reason = "late" })).StatusCode);
    }
}
