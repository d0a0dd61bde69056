using System.Text.Json;
using Firebreak.Testing.Aws;

namespace Firebreak.Cli.Tests.Commands;

/// <summary>
/// A whole containment run through the command line: the real server, pointed at a local endpoint answering AWS's
/// recorded responses, with an account whose base key is stored only in Data Protection's protected form.
/// </summary>
public sealed class ResponseRunCommandTests : IAsyncLifetime
{
    private const string Account = "123456789012";
    private FakeAws _aws = null!;
    private ServerFixture _server = null!;

    public async ValueTask InitializeAsync()
    {
        _aws = await FakeAws.StartAsync();
        _aws.On("AssumeRole", Xml.AssumeRole());
        _server = await ServerFixture.StartAsync(async directory =>
        {
            // The operator's way: protect the base key's secret with the server's keys, then configure the protected form.
            var protect = await Cli.RunWithInputAsync(new Dictionary<string, string?>(), FakeAwsAccount.BaseSecret + "\n", "admin", "protect-aws-secret", "--data-dir", directory);
            Assert.True(protect.ExitCode == 0, protect.ToString());
            Assert.DoesNotContain(FakeAwsAccount.BaseSecret, protect.Out, StringComparison.Ordinal);
            var settings = FakeAwsAccount.Settings(_aws, Account, protect.Out.Trim());
            // Installed like the command: the same content root, so the same Data Protection application.
            settings["contentRoot"] = AppContext.BaseDirectory;
            return settings;
        });
    }

    public async ValueTask DisposeAsync()
    {
        await _server.DisposeAsync();
        await _aws.DisposeAsync();
    }

    [Fact]
    public async Task PlanApproveRunStatusUndo_IsolateAnInstance_WithASecondPersonsKey_ShowsCallsVerificationAndUndoData()
    {
        var incident = await _server.CreateIncidentAsync("Miner on web-1");
        _aws.On("DescribeInstances", Xml.DescribeInstances())
            .On("DescribeInstanceTypes", Xml.DescribeInstanceTypes())
            .On("DescribeInstanceAttribute", Xml.DisableApiTermination(false))
            .On("DescribeAutoScalingInstances", Xml.AutoScalingInstances(null));

        var plan = await _server.RunAsync("respond", "plan", incident, "--action", "aws-isolate-instance", "--account", Account, "--region", "eu-west-1",
            "--resource", Xml.Instance, "--criticality", "high", "--choice", "contain-accept-downtime", "--choice-reason", "web tier has two other nodes",
            "--reason", "miner on web-1", "--input", "examinerCidr=203.0.113.7/32");

        Assert.True(plan.ExitCode == 0, plan.ToString());
        Assert.Contains("awaiting-approval (needs a second person's approval)", plan.Out);
        Assert.Contains("ec2:CreateSecurityGroup", plan.Out);
        Assert.Contains("ec2:ModifyNetworkInterfaceAttribute", plan.Out);
        Assert.Contains("Risk tracked-connections:", plan.Out);
        Assert.Empty(_aws.Calls("CreateSecurityGroup"));
        var id = await ActionIdAsync(incident);

        var own = await _server.RunAsync("respond", "approve", incident, id);
        var early = await _server.RunAsync("respond", "run", incident, id);

        Assert.Equal(ExitCodes.Refused, own.ExitCode);
        Assert.Contains("the requester cannot approve their own request", own.Err);
        Assert.Equal(ExitCodes.Refused, early.ExitCode);
        Assert.Contains("awaits a second person", early.Err);
        Assert.Empty(_aws.Calls("CreateSecurityGroup"));

        var approve = await _server.RunWithKeyAsync(_server.ManagerKey, "respond", "approve", incident, id, "--comment", "agreed on the bridge");

        Assert.True(approve.ExitCode == 0, approve.ToString());
        Assert.Contains("approved", approve.Out);

        _aws.On("CreateSecurityGroup", Xml.CreateSecurityGroup("sg-0isolate"))
            .On("RevokeSecurityGroupEgress", Xml.Return("RevokeSecurityGroupEgress"))
            .On("AuthorizeSecurityGroupIngress", Xml.Return("AuthorizeSecurityGroupIngress"))
            .On("ModifyNetworkInterfaceAttribute", Xml.Return("ModifyNetworkInterfaceAttribute"))
            .From("DescribeInstances", Xml.DescribeInstances(groups: "sg-0isolate"));

        var run = await _server.RunAsync("respond", "run", incident, id);

        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.Contains("ok     ec2:CreateSecurityGroup", run.Out);
        Assert.Contains("ok     ec2:ModifyNetworkInterfaceAttribute eni-0a1b2c3d4e", run.Out);
        Assert.Contains("verified", run.Out);
        Assert.DoesNotContain("NOT VERIFIED", run.Out);
        var modify = Assert.Single(_aws.Calls("ModifyNetworkInterfaceAttribute"));
        Assert.Equal(("eni-0a1b2c3d4e", "sg-0isolate"), (modify["NetworkInterfaceId"], modify["SecurityGroupId.1"]));
        Assert.Contains("Credential=ASIAIOSFODNN7EXAMPLE/", modify.Headers["Authorization"]);
        Assert.Contains($"Credential={FakeAwsAccount.AccessKeyId}/", _aws.Calls("AssumeRole").First().Headers["Authorization"]);

        var status = await _server.RunAsync("respond", "status", incident, id);
        var list = await _server.RunAsync("respond", "status", incident);

        Assert.True(status.ExitCode == 0, status.ToString());
        Assert.Contains("succeeded", status.Out);
        Assert.Contains("Approved", status.Out);
        Assert.Contains("ok     ec2:RevokeSecurityGroupEgress", status.Out);
        Assert.Contains("verified", status.Out);
        Assert.Contains("Undo data (the state before the run):", status.Out);
        Assert.Contains("eni-0a1b2c3d4e = sg-0web,sg-0ssh", status.Out);
        Assert.Contains("succeeded", list.Out);
        Assert.Contains("1 action(s).", list.Out);

        var undo = await _server.RunAsync("respond", "undo", incident, id, "--reason", "false positive: our own benchmark");

        Assert.True(undo.ExitCode == 0, undo.ToString());
        Assert.Contains("undone", undo.Out);
        Assert.Contains("undo ok     ec2:ModifyNetworkInterfaceAttribute", undo.Out);
        var restore = _aws.Calls("ModifyNetworkInterfaceAttribute").Last();
        Assert.Equal(("sg-0web", "sg-0ssh"), (restore["SecurityGroupId.1"], restore["SecurityGroupId.2"]));
        foreach (var output in new[] { plan, approve, run, status, undo })
            Assert.DoesNotContain(FakeAwsAccount.BaseSecret, output.Out + output.Err, StringComparison.Ordinal);
        Assert.DoesNotContain(_aws.Requests, r => r.Form.Values.Concat(r.Headers.Values).Append(r.Body).Any(v => v.Contains(FakeAwsAccount.BaseSecret, StringComparison.Ordinal)));
    }

    private async Task<string> ActionIdAsync(string incident)
    {
        var list = await _server.RunAsync("respond", "status", incident, "--json");
        Assert.True(list.ExitCode == 0, list.ToString());
        using var json = JsonDocument.Parse(list.Out);
        return json.RootElement.EnumerateArray().Single().GetProperty("id").GetString()!;
    }
}
