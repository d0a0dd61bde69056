using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Firebreak.Core.Identity;
using Firebreak.Core.Persistence;
using Firebreak.Core.Response;
using Firebreak.Testing;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace Firebreak.Server.Tests.Recovery;

public class InterruptedActionRestartTests
{
    /// <summary>
    /// A run that was saved as running when the process died, then a real restart of the server over the same
    /// database. No AWS account is configured, so the verification at start cannot read the key and says so.
    /// </summary>
    [Fact]
    public async Task ActionLeftRunning_IsInterruptedByTheRestartedServer_OnTheTimeline_AndItsUndoIsAProblemNotA500()
    {
        var first = await TestServer.StartAsync(DatabaseKind.Sqlite);
        var acme = await first.CreateTenantAsync("Acme");
        var incident = (await acme.Client(Role.Responder).CreateIncidentAsync(new { title = "Key used from a miner" })).GetProperty("reference").GetString()!;
        var id = await first.AsOperatorAsync(acme.Id, async services =>
        {
            await using var db = await services.GetRequiredService<IDbContextFactory<FirebreakDbContext>>().CreateDbContextAsync();
            var incidentId = await db.Incidents.Where(i => i.Reference == incident).Select(i => i.Id).SingleAsync();
            var plan = new ActionPlan("Deactivate access key AKIAI44QH8DHBEXAMPLE of ci-deploy.", [], [], true, "Undo sets the key back to Active.", [], [],
                new Dictionary<string, string> { ["userName"] = "ci-deploy" });
            var action = new ResponseAction
            {
                IncidentId = incidentId, ActionName = "aws-deactivate-access-key", Provider = "aws", Account = "123456789012", Region = "eu-west-1",
                Resource = "AKIAI44QH8DHBEXAMPLE", Inputs = new() { ["userName"] = "ci-deploy" }, ChoiceReason = "deploys can wait", BusinessImpact = "-", Reason = "contain",
                Plan = JsonSerializer.Serialize(plan, new JsonSerializerOptions(JsonSerializerDefaults.Web)), Status = ActionStatus.Running, RequestedBy = "responder@acme.example",
                RequestedByPrincipal = "user:x", RequestedAt = DateTimeOffset.UtcNow, RanBy = "responder@acme.example", StartedAt = DateTimeOffset.UtcNow,
            };
            db.ResponseActions.Add(action);
            await db.SaveChangesAsync();
            return action.Id;
        });

        await using var server = await first.RestartAsync();
        var responder = server.Client(acme.Keys[Role.Responder]);
        JsonElement action = default;
        for (var i = 0; i < 600; i++)
        {
            action = await (await responder.GetAsync($"/api/v1/incidents/{incident}/actions/{id}")).JsonAsync();
            if (action.GetProperty("verification").GetArrayLength() > 0) break;
            await Task.Delay(100, TestContext.Current.CancellationToken);
        }
        Assert.Equal("interrupted", action.GetProperty("status").GetString());
        var check = Assert.Single(action.GetProperty("verification").EnumerateArray());
        Assert.False(check.GetProperty("ok").GetBoolean());
        Assert.Contains("not configured", check.GetProperty("actual").GetString());
        Assert.Equal("Interrupted", action.GetProperty("results")[0].GetProperty("errorCode").GetString());

        var timeline = await (await responder.GetAsync($"/api/v1/incidents/{incident}/timeline?kind=action")).Content.ReadAsStringAsync(TestContext.Current.CancellationToken);
        Assert.Contains("interrupted (the server stopped during the run)", timeline);
        Assert.Contains("0 of 1 checks hold", timeline);
        var audit = await (await server.Client(acme.Keys[Role.Viewer]).GetAsync($"/api/v1/incidents/{incident}/audit")).Content.ReadAsStringAsync(TestContext.Current.CancellationToken);
        Assert.Contains("response-recovery", audit);

        var undo = await responder.PostAsJsonAsync($"/api/v1/incidents/{incident}/actions/{id}/undo", new { reason = "wrong key" }, TestContext.Current.CancellationToken);
        Assert.Equal(HttpStatusCode.BadRequest, undo.StatusCode);
        Assert.Equal("application/problem+json", undo.Content.Headers.ContentType?.MediaType);
        var replan = await responder.PostAsync($"/api/v1/incidents/{incident}/actions/{id}/replan", null, TestContext.Current.CancellationToken);
        Assert.Equal(HttpStatusCode.BadRequest, replan.StatusCode);
        var viewer = await server.Client(acme.Keys[Role.Viewer]).PostAsync($"/api/v1/incidents/{incident}/actions/{id}/replan", null, TestContext.Current.CancellationToken);
        Assert.Equal(HttpStatusCode.Forbidden, viewer.StatusCode);
        Assert.Equal("interrupted", (await (await responder.GetAsync($"/api/v1/incidents/{incident}/actions/{id}")).JsonAsync()).GetProperty("status").GetString());
    }
}
