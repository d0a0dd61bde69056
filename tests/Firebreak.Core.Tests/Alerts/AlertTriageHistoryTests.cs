using Firebreak.Core.Alerts;
using Firebreak.Core.Auditing;
using Firebreak.Testing;

namespace Firebreak.Core.Tests.Alerts;

public class AlertTriageHistoryTests
{
    private static IncomingAlert Alert(string title) => new()
    {
        Source = "guardduty",
        SourceReference = title,
        Title = title,
        RawPayload = "{}",
        Format = "generic",
    };

    [Theory, MemberData(nameof(Databases.Both), MemberType = typeof(Databases))]
    public async Task TriageHistory_IsTheAlertsAuditTrail_NewestFirst_AndNeverAnotherTenants(DatabaseKind kind)
    {
        await using var harness = await CoreHarness.CreateAsync(kind);
        var acme = await harness.CreateTenantAsync("Acme");
        var globex = await harness.CreateTenantAsync("Globex");
        await using var responder = harness.As(acme.Responder);
        var ids = (await responder.Get<AlertIntake>().SubmitAsync(acme.Id, "siem", [Alert("One"), Alert("Two")], null)).Alerts.Select(a => a.Id).ToList();
        var alerts = responder.Get<AlertService>();
        await alerts.TriageAsync(new TriageCommand([ids[0]], TriageState.Acknowledged, null));
        await alerts.TriageAsync(new TriageCommand([ids[0]], TriageState.FalsePositive, "Scanner"));
        await alerts.TriageAsync(new TriageCommand([ids[1]], TriageState.Acknowledged, null));

        var trail = await responder.Get<AuditService>().ListForEntityAsync("Alert", ids[0].ToString());

        var updates = trail.Where(a => a.Action == "updated").ToList();
        Assert.Equal(2, updates.Count);
        Assert.Contains("false-positive", updates[0].After);
        Assert.Contains("Scanner", updates[0].After);
        Assert.Contains("acknowledged", updates[1].After);
        Assert.All(trail, a => Assert.Equal(ids[0].ToString(), a.EntityId));
        await using var outsider = harness.As(globex.Responder);
        Assert.Empty(await outsider.Get<AuditService>().ListForEntityAsync("Alert", ids[0].ToString()));
    }
}
