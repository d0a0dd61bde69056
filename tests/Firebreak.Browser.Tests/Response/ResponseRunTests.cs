using Firebreak.Core.Identity;
using Firebreak.Core.Incidents;
using Firebreak.Testing.Aws;
using Microsoft.Playwright;

namespace Firebreak.Browser.Tests.Response;

/// <summary>A whole containment run from the incident page, against the site's recorded AWS endpoint.</summary>
public sealed class ResponseRunTests(FirebreakSite site) : BrowserTest(site)
{
    [Fact]
    public async Task PlanApproveRunUndo_IsolateAnInstance_ShowsTheCallsTheVerificationAndTheUndo()
    {
        var responder = await Site.CreateUserAsync(Role.Responder);
        var manager = await Site.CreateUserAsync(Role.IncidentManager);
        var incident = await Site.CreateIncidentAsync(responder, new CreateIncident("Miner on web-1"));
        Site.Aws.From("DescribeInstances", Xml.DescribeInstances())
            .From("DescribeInstanceTypes", Xml.DescribeInstanceTypes())
            .From("DescribeInstanceAttribute", Xml.DisableApiTermination(false))
            .From("DescribeAutoScalingInstances", Xml.AutoScalingInstances(null));
        var page = await NewPageAsync();
        await page.LoginAsync(responder);
        await page.GotoInteractiveAsync($"/incidents/{incident.Reference}");

        await page.TestId("response-action-select").SelectOptionAsync("aws-isolate-instance");
        await page.TestId("response-account").FillAsync(FirebreakSite.AwsAccount);
        await page.TestId("response-region").FillAsync("eu-west-1");
        await page.TestId("response-resource").FillAsync(Xml.Instance);
        await page.TestId("response-criticality").SelectOptionAsync(new SelectOptionValue { Label = "high" });
        await page.TestId("response-choice").SelectOptionAsync(new SelectOptionValue { Label = "contain-accept-downtime" });
        await page.TestId("response-choice-reason").FillAsync("The web tier has two other nodes");
        await page.TestId("response-reason").FillAsync("Mining traffic from web-1");
        await page.TestId("response-inputs").FillAsync("examinerCidr=203.0.113.7/32");
        await page.TestId("response-plan").ClickAsync();

        var action = page.TestId("response-action");
        await Assertions.Expect(action).ToHaveAttributeAsync("data-status", "awaiting-approval");
        await Assertions.Expect(action.TestId("response-planned-call").First).ToContainTextAsync("ec2:CreateSecurityGroup");
        await FirebreakSite.ScreenshotAsync(page.TestId("response"), "response-planned-panel");
        await Assertions.Expect(action.TestId("response-risk").Filter(new() { HasText = "tracked-connections" })).ToHaveCountAsync(1);
        Assert.Empty(Site.Aws.Calls("CreateSecurityGroup"));

        // The requester cannot approve their own high-impact action.
        await action.TestId("response-approve").ClickAsync();
        await Assertions.Expect(page.TestId("response-action-error")).ToContainTextAsync("the requester cannot approve their own request");
        await Assertions.Expect(action).ToHaveAttributeAsync("data-status", "awaiting-approval");

        var second = await NewPageAsync();
        await second.LoginAsync(manager);
        await second.GotoInteractiveAsync($"/incidents/{incident.Reference}");
        var seen = second.TestId("response-action");
        await seen.TestId("response-approve").ClickAsync();
        await Assertions.Expect(seen).ToHaveAttributeAsync("data-status", "approved");
        await Assertions.Expect(seen).ToContainTextAsync($"approved by {manager.Email}");

        Site.Aws.From("CreateSecurityGroup", Xml.CreateSecurityGroup("sg-0isolate"))
            .From("RevokeSecurityGroupEgress", Xml.Return("RevokeSecurityGroupEgress"))
            .From("AuthorizeSecurityGroupIngress", Xml.Return("AuthorizeSecurityGroupIngress"))
            .From("ModifyNetworkInterfaceAttribute", Xml.Return("ModifyNetworkInterfaceAttribute"))
            .From("DescribeInstances", Xml.DescribeInstances(groups: "sg-0isolate"));
        await seen.TestId("response-run").ClickAsync();

        await Assertions.Expect(seen).ToHaveAttributeAsync("data-status", "succeeded");
        await Assertions.Expect(seen.TestId("response-verified")).ToHaveTextAsync("verified");
        await Assertions.Expect(seen.TestId("response-result")).ToHaveCountAsync(4);
        await Assertions.Expect(seen.Locator("[data-testid=response-result][data-ok=no]")).ToHaveCountAsync(0);
        await Assertions.Expect(seen.TestId("response-result").Last).ToContainTextAsync("ec2:ModifyNetworkInterfaceAttribute");
        await Assertions.Expect(seen.TestId("response-check").First).ToContainTextAsync("sg-0isolate");
        await Assertions.Expect(seen.Locator("[data-testid=response-check][data-ok=no]")).ToHaveCountAsync(0);
        await Assertions.Expect(seen.TestId("response-undo-data")).ToContainTextAsync("eni-0a1b2c3d4e = sg-0web,sg-0ssh");
        await FirebreakSite.ScreenshotAsync(second, "response-run");
        await FirebreakSite.ScreenshotAsync(second.TestId("response"), "response-run-panel");
        var modify = Assert.Single(Site.Aws.Calls("ModifyNetworkInterfaceAttribute"));
        Assert.Equal("sg-0isolate", modify["SecurityGroupId.1"]);

        // The requester sees the result and undoes it with a reason.
        await page.GotoInteractiveAsync($"/incidents/{incident.Reference}");
        await Assertions.Expect(action).ToHaveAttributeAsync("data-status", "succeeded");
        await action.TestId("response-undo-reason").FillAsync("False positive: our own benchmark");
        await action.TestId("response-undo").ClickAsync();

        await Assertions.Expect(action).ToHaveAttributeAsync("data-status", "undone");
        await Assertions.Expect(action.TestId("response-undo-result")).ToContainTextAsync("ec2:ModifyNetworkInterfaceAttribute");
        await Assertions.Expect(action.Locator("[data-testid=response-undo-result][data-ok=yes]")).ToHaveCountAsync(1);
        await Assertions.Expect(action).ToContainTextAsync("False positive: our own benchmark");
        await Assertions.Expect(action.TestId("response-verified")).ToHaveCountAsync(0);
        await FirebreakSite.ScreenshotAsync(page.TestId("response"), "response-undone-panel");
        var restore = Site.Aws.Calls("ModifyNetworkInterfaceAttribute").Last();
        Assert.Equal(("sg-0web", "sg-0ssh"), (restore["SecurityGroupId.1"], restore["SecurityGroupId.2"]));
    }
}
