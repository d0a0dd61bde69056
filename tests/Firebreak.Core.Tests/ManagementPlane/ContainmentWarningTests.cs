using Firebreak.Core.Incidents;
using Firebreak.Core.ManagementPlane;
using Firebreak.Core.Response;
using Firebreak.Core.Tests.Response;
using Firebreak.Testing;
using Microsoft.Extensions.DependencyInjection;

namespace Firebreak.Core.Tests.ManagementPlane;

public class ContainmentWarningTests
{
    private static PlanAction Plan() =>
        new("test-collect", "123456789012", "eu-west-1", "i-0abc1234def567890", AssetCriticality.Low, ContainmentChoice.ContainAcceptDowntime, "Low risk", "Collect first");

    [Theory, MemberData(nameof(Databases.Both), MemberType = typeof(Databases))]
    public async Task Plan_CarriesTheCheckWarning_UntilACleanRunIsReviewed(DatabaseKind kind)
    {
        var action = new ScriptedAction("test-collect", ActionImpact.Low, ContainmentStage.Collect);
        await using var harness = await CoreHarness.CreateAsync(kind, services: (services, _) => services.AddSingleton<IResponseAction>(action));
        var acme = await harness.CreateTenantAsync("Acme");
        await using var scope = harness.As(acme.Responder);
        var incident = await scope.Get<IncidentService>().CreateAsync(new CreateIncident("Keys"));
        var response = scope.Get<ResponseService>();
        var checks = scope.Get<ManagementPlaneCheckService>();

        var notRun = await response.PlanAsync(incident.Reference, Plan());
        Assert.StartsWith("Management-plane check: not run yet.", notRun.Warnings[0], StringComparison.Ordinal);

        var ids = await new CheckEvents(acme.Id, incident.Id).Aws("DescribeInstances", "ec2.amazonaws.com")
            .Aws("CreateLoginProfile", "iam.amazonaws.com", id: "login").SaveAsync(scope);
        var failing = await checks.RunAsync(incident.Reference, new RunCheck());
        var planned = await response.PlanAsync(incident.Reference, Plan());
        Assert.Contains(planned.Warnings, w => w == "Management-plane check failed: Were AWS users, access keys, login profiles or federation tokens created? (1 event)");
        Assert.Contains(planned.Warnings, w => w.Contains("has not been reviewed", StringComparison.Ordinal));
        Assert.Equal([ids["login"]], failing.Items.Single(i => i.Id == "aws.new-credentials").Evidence);

        await checks.ReviewAsync(incident.Reference, failing.Id, new ReviewCheck("Ours"));
        Assert.Contains((await response.PlanAsync(incident.Reference, Plan())).Warnings, w => w.StartsWith("Management-plane check failed", StringComparison.Ordinal));

        var clean = await checks.RunAsync(incident.Reference, new RunCheck(CheckEvents.Start, CheckEvents.Start.AddMinutes(1)));
        await checks.ReviewAsync(incident.Reference, clean.Id, new ReviewCheck("Window before the login profile"));
        Assert.DoesNotContain((await response.PlanAsync(incident.Reference, Plan())).Warnings, w => w.StartsWith("Management-plane check", StringComparison.Ordinal));
    }
}
