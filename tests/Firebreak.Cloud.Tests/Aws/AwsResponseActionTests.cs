using Firebreak.Cloud.Aws;
using Firebreak.Core.Common;
using Microsoft.AspNetCore.DataProtection;
using Firebreak.Core.Incidents;
using Firebreak.Core.Investigation;
using Firebreak.Core.Persistence;
using Firebreak.Core.Response;
using Firebreak.Testing;
using Firebreak.Testing.Aws;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace Firebreak.Cloud.Tests.Aws;

/// <summary>
/// The AWS actions end to end: Core's response use cases over a real database, the real AWS SDK clients and the
/// signed Query client, against a local endpoint answering with AWS's documented response shapes.
/// </summary>
public sealed class AwsResponseActionTests : IAsyncLifetime
{
    private const string Account = "123456789012";
    private const string BaseSecret = "je7MtGbClwBF/2Zp9Utk/h3yCo8nvbEXAMPLEKEY";
    private FakeAws _aws = null!;
    private CoreHarness _harness = null!;
    private HarnessTenant _acme = null!;

    public async ValueTask InitializeAsync()
    {
        _aws = await FakeAws.StartAsync();
        _aws.On("AssumeRole", Xml.AssumeRole());
        var protection = new EphemeralDataProtectionProvider();
        var protectedSecret = protection.CreateProtector(AwsSessions.ProtectionPurpose).Protect(BaseSecret);
        _harness = await CoreHarness.CreateAsync(DatabaseKind.Sqlite, new Dictionary<string, string?>
        {
            ["Firebreak:Aws:ServiceUrl"] = _aws.Url,
            ["Firebreak:Aws:RetryBaseDelayMilliseconds"] = "5",
            ["Firebreak:Aws:Accounts:123456789012:RoleArn"] = "arn:aws:iam::123456789012:role/FirebreakResponder",
            ["Firebreak:Aws:Accounts:123456789012:ExternalId"] = "acme-7f3c",
            // A stored base key: only its Data Protection form is in configuration.
            ["Firebreak:Aws:Accounts:123456789012:AccessKeyId"] = "AKIAIOSFODNN7EXAMPLE",
            ["Firebreak:Aws:Accounts:123456789012:ProtectedSecretAccessKey"] = protectedSecret,
        }, (services, configuration) => services.AddFirebreakCloud(configuration).AddSingleton<IDataProtectionProvider>(protection));
        _acme = await _harness.CreateTenantAsync("Acme");
    }

    public async ValueTask DisposeAsync()
    {
        await _harness.DisposeAsync();
        await _aws.DisposeAsync();
    }

    private void InstanceReads(string? group = "web-asg", bool protectedFromTermination = false)
    {
        _aws.On("DescribeInstances", Xml.DescribeInstances())
            .On("DescribeInstanceTypes", Xml.DescribeInstanceTypes())
            .On("DescribeInstanceAttribute", Xml.DisableApiTermination(protectedFromTermination))
            .On("DescribeAutoScalingInstances", Xml.AutoScalingInstances(group))
            .On("DescribeLifecycleHooks", Xml.LifecycleHooks);
    }

    private async Task<string> IncidentAsync()
    {
        await using var scope = _harness.As(_acme.Responder);
        return (await scope.Get<IncidentService>().CreateAsync(new CreateIncident("Crypto-miner on web-1"))).Reference;
    }

    private static PlanAction Plan(string action, string resource, ContainmentChoice choice = ContainmentChoice.ContainAcceptDowntime, Dictionary<string, string>? inputs = null) =>
        new(action, Account, "eu-west-1", resource, AssetCriticality.High, choice, "Mining traffic to a known pool; the site can run on the other nodes.", "Contain web-1", inputs);

    [Fact]
    public async Task SnapshotVolumes_OneFails_IsPartiallyFailed_KeepsTheUndoData_AndShowsSelfDestructRisks()
    {
        var incident = await IncidentAsync();
        InstanceReads();
        _aws.On("CreateSnapshot", (200, Xml.CreateSnapshot("snap-0root", "vol-0root")), (400, Xml.Error("IncorrectState", "The volume 'vol-0data' is not in a valid state.")))
            .On("DescribeSnapshots", Xml.DescribeSnapshots(incident, ("snap-0root", "vol-0root")));
        await using var scope = _harness.As(_acme.Responder);
        var response = scope.Get<ResponseService>();

        var planned = await response.PlanAsync(incident, Plan("aws-snapshot-volumes", Xml.Instance));

        Assert.Equal(ActionStatus.Planned, planned.Status);
        Assert.Equal(["vol-0root", "vol-0data"], planned.Plan.Calls.Select(c => c.Parameters["VolumeId"]));
        Assert.All(planned.Plan.Calls, c => Assert.Equal("CreateSnapshot", c.Operation));
        var risks = planned.Plan.Risks.Select(r => r.Code).ToList();
        Assert.Equal(["auto-scaling-group", "lifecycle-hooks", "instance-store", "termination-protection-off", "delete-on-termination"], risks);
        Assert.Contains("vol-0root", planned.Plan.Risks.Single(r => r.Code == "delete-on-termination").Description);
        Assert.Contains("ShouldDecrementDesiredCapacity", planned.Plan.Risks.Single(r => r.Code == "auto-scaling-group").Avoid);
        Assert.StartsWith("1. collect", planned.Plan.SafeOrder[0]);
        Assert.StartsWith("5. stop", planned.Plan.SafeOrder[^1]);
        Assert.Contains("high-criticality", planned.BusinessImpact);
        Assert.Empty(_aws.Calls("CreateSnapshot"));

        var ran = await response.RunAsync(planned.Id);

        Assert.Equal(ActionStatus.PartiallyFailed, ran.Status);
        Assert.True(ran.Results[0].Succeeded);
        Assert.False(ran.Results[1].Succeeded);
        Assert.Equal("IncorrectState", ran.Results[1].ErrorCode);
        Assert.Equal("vol-0data", ran.Results[1].Resource);
        Assert.Equal(new Dictionary<string, string> { ["vol-0root"] = "snap-0root" }, ran.UndoData);
        Assert.True(ran.Verified);
        var creates = _aws.Calls("CreateSnapshot").ToList();
        Assert.Equal(["vol-0root", "vol-0data"], creates.Select(c => c["VolumeId"]));
        Assert.Equal("snapshot", creates[0]["TagSpecification.1.ResourceType"]);
        Assert.Equal("firebreak:incident", creates[0]["TagSpecification.1.Tag.1.Key"]);
        Assert.Equal(incident, creates[0]["TagSpecification.1.Tag.1.Value"]);
        // Signed with the assumed role's temporary credentials, not the stored base key.
        Assert.Contains("Credential=ASIAIOSFODNN7EXAMPLE/", creates[0].Headers["Authorization"]);
        Assert.Equal("IQoJb3JpZ2luX2VjEXAMPLETOKEN", creates[0].Headers["X-Amz-Security-Token"]);
        var assume = _aws.Calls("AssumeRole").First();
        Assert.Equal("acme-7f3c", assume["ExternalId"]);
        Assert.Equal("arn:aws:iam::123456789012:role/FirebreakResponder", assume["RoleArn"]);
        Assert.Contains("Credential=AKIAIOSFODNN7EXAMPLE/", assume.Headers["Authorization"]);
        Assert.DoesNotContain(_aws.Requests, r => r.Form.Values.Concat(r.Headers.Values).Any(v => v.Contains(BaseSecret, StringComparison.Ordinal)));

        await using var db = await scope.Get<IDbContextFactory<FirebreakDbContext>>().CreateDbContextAsync();
        var timeline = await db.TimelineEntries.Where(t => t.Kind == TimelineKind.Action).ToListAsync();
        Assert.Equal($"Snapshot all EBS volumes on {Xml.Instance}: partially-failed", Assert.Single(timeline).Title);
        Assert.Equal(planned.Id.ToString(), timeline[0].SourceId);
        Assert.Contains(await db.AuditEntries.Where(a => a.EntityType == nameof(ResponseAction)).Select(a => a.ActorName).ToListAsync(), n => n == "responder@acme.example");
    }

    [Fact]
    public async Task Isolate_NeedsASecondPerson_ReplacesEveryGroup_Verifies_AndUndoPutsThePreviousGroupsBack()
    {
        var incident = await IncidentAsync();
        InstanceReads();
        ResponseActionView planned;
        await using (var scope = _harness.As(_acme.Responder))
        {
            planned = await scope.Get<ResponseService>().PlanAsync(incident, Plan("aws-isolate-instance", Xml.Instance, inputs: new() { ["examinerCidr"] = "203.0.113.7/32" }));
            Assert.Equal(ActionStatus.AwaitingApproval, planned.Status);
            Assert.Contains(planned.Warnings, w => w.Contains("Detach from its Auto Scaling group", StringComparison.Ordinal));
            Assert.Equal("sg-0web,sg-0ssh", planned.Plan.State["eni-0a1b2c3d4e"]);
            await Assert.ThrowsAsync<ConflictException>(() => scope.Get<ResponseService>().RunAsync(planned.Id));
            await Assert.ThrowsAsync<ForbiddenException>(() => scope.Get<ResponseService>().ApproveAsync(planned.Id, new ApproveAction()));
        }
        await using (var viewer = _harness.As(_acme.Viewer))
        {
            await Assert.ThrowsAsync<ForbiddenException>(() => viewer.Get<ResponseService>().ApproveAsync(planned.Id, new ApproveAction()));
        }
        await using (var manager = _harness.As(_acme.Manager))
        {
            var approved = await manager.Get<ResponseService>().ApproveAsync(planned.Id, new ApproveAction("Agreed on the bridge call"));
            Assert.Equal(ActionStatus.Approved, approved.Status);
            Assert.Equal("incident-manager@acme.example", approved.ApprovedBy);
        }
        _aws.On("CreateSecurityGroup", Xml.CreateSecurityGroup("sg-0isolate"))
            .On("RevokeSecurityGroupEgress", Xml.Return("RevokeSecurityGroupEgress"))
            .On("AuthorizeSecurityGroupIngress", Xml.Return("AuthorizeSecurityGroupIngress"))
            .On("ModifyNetworkInterfaceAttribute", Xml.Return("ModifyNetworkInterfaceAttribute"));
        // The re-read after the change sees the isolation group alone.
        _aws.From("DescribeInstances", Xml.DescribeInstances(groups: "sg-0isolate"));

        await using var responder = _harness.As(_acme.Responder);
        var ran = await responder.Get<ResponseService>().RunAsync(planned.Id);

        Assert.Equal(ActionStatus.Succeeded, ran.Status);
        Assert.True(ran.Verified);
        var create = Assert.Single(_aws.Calls("CreateSecurityGroup"));
        Assert.Equal("vpc-0a1b2c3d", create["VpcId"]);
        Assert.Equal($"firebreak-isolation-{incident.ToLowerInvariant()}-{Xml.Instance}", create["GroupName"]);
        var revoke = Assert.Single(_aws.Calls("RevokeSecurityGroupEgress"));
        Assert.Equal(("sg-0isolate", "-1", "0.0.0.0/0"), (revoke["GroupId"], revoke["IpPermissions.1.IpProtocol"], revoke["IpPermissions.1.IpRanges.1.CidrIp"]));
        var ingress = Assert.Single(_aws.Calls("AuthorizeSecurityGroupIngress"));
        Assert.Equal(("tcp", "22", "203.0.113.7/32"), (ingress["IpPermissions.1.IpProtocol"], ingress["IpPermissions.1.FromPort"], ingress["IpPermissions.1.IpRanges.1.CidrIp"]));
        var modify = Assert.Single(_aws.Calls("ModifyNetworkInterfaceAttribute"));
        Assert.Equal(("eni-0a1b2c3d4e", "sg-0isolate"), (modify["NetworkInterfaceId"], modify["SecurityGroupId.1"]));
        Assert.False(modify.Form.ContainsKey("SecurityGroupId.2"));
        Assert.Equal("sg-0web,sg-0ssh", ran.UndoData["eni-0a1b2c3d4e"]);

        var undone = await responder.Get<ResponseService>().UndoAsync(planned.Id, new UndoAction("False positive: the pool was our own benchmark"));

        Assert.Equal(ActionStatus.Undone, undone.Status);
        var restore = _aws.Calls("ModifyNetworkInterfaceAttribute").Last();
        Assert.Equal(("sg-0web", "sg-0ssh"), (restore["SecurityGroupId.1"], restore["SecurityGroupId.2"]));
        await Assert.ThrowsAsync<ConflictException>(() => responder.Get<ResponseService>().UndoAsync(planned.Id, new UndoAction("again")));
    }

    [Fact]
    public async Task RevokeRoleSessions_ThrottledTwice_RetriesThenSucceeds_WithATokenIssueTimeDeny()
    {
        var incident = await IncidentAsync();
        var throttled = (400, Xml.QueryError(Xml.IamNs, "Throttling", "Rate exceeded"));
        _aws.On("PutRolePolicy", throttled, throttled, (200, Xml.Iam("PutRolePolicy")));
        await using var scope = _harness.As(_acme.Manager);
        var response = scope.Get<ResponseService>();
        var planned = await response.PlanAsync(incident, Plan("aws-revoke-role-sessions", "web-instance-role", ContainmentChoice.StayAvailableAcceptDataRisk));
        _aws.On("GetRolePolicy", Xml.GetRolePolicy("web-instance-role", RevokeRoleSessionsAction.PolicyName, planned.Plan.Calls[0].Parameters["PolicyDocument"]));
        await using (var responder = _harness.As(_acme.Responder))
            await responder.Get<ResponseService>().ApproveAsync(planned.Id, new ApproveAction());

        var ran = await response.RunAsync(planned.Id);

        Assert.Equal(ActionStatus.Succeeded, ran.Status);
        Assert.True(ran.Verified);
        var puts = _aws.Calls("PutRolePolicy").ToList();
        Assert.Equal(3, puts.Count);
        var put = puts[^1];
        Assert.Equal("2010-05-08", put["Version"]);
        Assert.Equal("web-instance-role", put["RoleName"]);
        Assert.Equal("FirebreakRevokeOlderSessions", put["PolicyName"]);
        Assert.Contains("\"aws:TokenIssueTime\":\"2026-03-14T09:00:00Z\"", put["PolicyDocument"]);
        Assert.Contains("\"DateLessThan\"", put["PolicyDocument"]);
        var authorization = put.Headers["Authorization"];
        Assert.StartsWith("AWS4-HMAC-SHA256 Credential=ASIAIOSFODNN7EXAMPLE/20260314/us-east-1/iam/aws4_request", authorization);
        Assert.Contains("SignedHeaders=content-type;host;x-amz-content-sha256;x-amz-date;x-amz-security-token", authorization);
        Assert.Matches("Signature=[0-9a-f]{64}$", authorization);
    }

    [Fact]
    public async Task DeactivateAccessKey_AccessDenied_IsFailed_ClaimsNothing_AndCannotBeUndone()
    {
        var incident = await IncidentAsync();
        _aws.On("UpdateAccessKey", (403, Xml.QueryError(Xml.IamNs, "AccessDenied", "User: arn:aws:sts::123456789012:assumed-role/FirebreakResponder/x is not authorized to perform: iam:UpdateAccessKey")));
        await using var scope = _harness.As(_acme.Responder);
        var response = scope.Get<ResponseService>();
        var planned = await response.PlanAsync(incident, Plan("aws-deactivate-access-key", "AKIAI44QH8DHBEXAMPLE", inputs: new() { ["userName"] = "ci-deploy" }));
        await using (var manager = _harness.As(_acme.Manager))
            await manager.Get<ResponseService>().ApproveAsync(planned.Id, new ApproveAction());

        var ran = await response.RunAsync(planned.Id);

        Assert.Equal(ActionStatus.Failed, ran.Status);
        var result = Assert.Single(ran.Results);
        Assert.Equal("AccessDenied", result.ErrorCode);
        Assert.Contains("Access denied", result.Detail);
        Assert.Empty(ran.UndoData);
        Assert.Null(ran.Verified);
        Assert.Single(_aws.Calls("UpdateAccessKey"));
        Assert.Empty(_aws.Calls("ListAccessKeys"));
        await Assert.ThrowsAsync<ConflictException>(() => response.UndoAsync(planned.Id, new UndoAction("no")));
    }

    [Fact]
    public async Task DeactivateAccessKey_LeftRunningByAStoppedServer_IsInterruptedAtStart_VerifiedAgainstIam_AndCanBeUndone()
    {
        var incident = await IncidentAsync();
        await using var scope = _harness.As(_acme.Responder);
        var response = scope.Get<ResponseService>();
        var planned = await response.PlanAsync(incident, Plan("aws-deactivate-access-key", "AKIAI44QH8DHBEXAMPLE", inputs: new() { ["userName"] = "ci-deploy" }));
        // The run saved running and the process died: the key did get deactivated, the result was never stored.
        await using (var db = await scope.Get<IDbContextFactory<FirebreakDbContext>>().CreateDbContextAsync())
        {
            var row = await db.ResponseActions.SingleAsync(a => a.Id == planned.Id);
            row.Status = ActionStatus.Running;
            row.StartedAt = _harness.Time.GetUtcNow();
            row.RanBy = "responder@acme.example";
            await db.SaveChangesAsync();
        }
        _aws.On("ListAccessKeys", Xml.ListAccessKeys("ci-deploy", "AKIAI44QH8DHBEXAMPLE", "Inactive"));

        await _harness.StartInterruptedActionRecoveryAsync();

        var recovered = await response.GetAsync(incident, planned.Id);
        Assert.Equal(ActionStatus.Interrupted, recovered.Status);
        var check = Assert.Single(recovered.Verification);
        Assert.Equal(("AKIAI44QH8DHBEXAMPLE status", "Inactive", "Inactive", true), (check.What, check.Expected, check.Actual, check.Ok));
        Assert.Equal("ci-deploy", Assert.Single(_aws.Calls("ListAccessKeys"))["UserName"]);
        Assert.Empty(_aws.Calls("UpdateAccessKey"));
        await using (var db = await scope.Get<IDbContextFactory<FirebreakDbContext>>().CreateDbContextAsync())
        {
            var titles = await db.TimelineEntries.Where(t => t.Kind == TimelineKind.Action).OrderBy(t => t.Id).Select(t => t.Title).ToListAsync();
            Assert.Equal(2, titles.Count);
            Assert.EndsWith("interrupted (the server stopped during the run)", titles[0]);
            Assert.EndsWith("1 of 1 checks hold", titles[1]);
            Assert.Equal(2, await db.AuditEntries.CountAsync(a => a.EntityId == planned.Id.ToString() && a.ActorName == "response-recovery"));
        }

        // The key's undo needs nothing from the lost run: it sets the key back to Active.
        _aws.On("UpdateAccessKey", Xml.Iam("UpdateAccessKey"));
        var undone = await response.UndoAsync(planned.Id, new UndoAction("Deploys broke; the key was rotated separately"));
        Assert.Equal(ActionStatus.Undone, undone.Status);
        var undo = Assert.Single(_aws.Calls("UpdateAccessKey"));
        Assert.Equal(("AKIAI44QH8DHBEXAMPLE", "Active", "ci-deploy"), (undo["AccessKeyId"], undo["Status"], undo["UserName"]));
    }

    [Fact]
    public async Task Plan_WhenReadsAreDenied_IsAConflict_AndRecordsNothing()
    {
        var incident = await IncidentAsync();
        _aws.On("DescribeInstances", (403, Xml.Error("UnauthorizedOperation", "You are not authorized to perform this operation.")));
        await using var scope = _harness.As(_acme.Responder);
        var response = scope.Get<ResponseService>();

        var error = await Assert.ThrowsAsync<ConflictException>(() => response.PlanAsync(incident, Plan("aws-stop-instance", Xml.Instance)));

        Assert.Contains("UnauthorizedOperation", error.Message);
        Assert.Empty(await response.ListAsync(incident));
    }

    [Fact]
    public async Task Plan_Ec2Throttled_TheSdkRetries_AndDetachExplainsNoReplacement()
    {
        var incident = await IncidentAsync();
        _aws.On("DescribeInstances", (503, Xml.Error("RequestLimitExceeded", "Request limit exceeded.")), (200, Xml.DescribeInstances()));
        InstanceReads();
        _aws.On("DetachInstances", """<DetachInstancesResponse xmlns="http://autoscaling.amazonaws.com/doc/2011-01-01/"><DetachInstancesResult><Activities><member><ActivityId>a1</ActivityId><Description>Detaching EC2 instance: i-0abc1234def567890</Description><StatusCode>InProgress</StatusCode></member></Activities></DetachInstancesResult><ResponseMetadata><RequestId>r</RequestId></ResponseMetadata></DetachInstancesResponse>""");
        await using var scope = _harness.As(_acme.Responder);

        var planned = await scope.Get<ResponseService>().PlanAsync(incident, Plan("aws-detach-from-asg", Xml.Instance, inputs: new() { ["replace"] = "false" }));

        Assert.Equal(2, _aws.Calls("DescribeInstances").Count());
        var call = Assert.Single(planned.Plan.Calls);
        Assert.Equal(("web-asg", "true"), (call.Parameters["AutoScalingGroupName"], call.Parameters["ShouldDecrementDesiredCapacity"]));
        Assert.Contains("no replacement is launched", call.Change);
        await using var manager = _harness.As(_acme.Manager);
        await manager.Get<ResponseService>().ApproveAsync(planned.Id, new ApproveAction());
        _aws.From("DescribeAutoScalingInstances", Xml.AutoScalingInstances(null));
        var ran = await scope.Get<ResponseService>().RunAsync(planned.Id);
        Assert.Equal(ActionStatus.Succeeded, ran.Status);
        var detach = Assert.Single(_aws.Calls("DetachInstances"));
        Assert.Equal(("web-asg", Xml.Instance, "true"), (detach["AutoScalingGroupName"], detach["InstanceIds.member.1"], detach["ShouldDecrementDesiredCapacity"]));
        Assert.Contains("/eu-west-1/autoscaling/aws4_request", detach.Headers["Authorization"]);
    }

    [Fact]
    public async Task Plan_RejectsBadInput_BeforeAnyCloudCall()
    {
        var incident = await IncidentAsync();
        await using var scope = _harness.As(_acme.Responder);
        var response = scope.Get<ResponseService>();

        var stop = await Assert.ThrowsAsync<ValidationFailedException>(() => response.PlanAsync(incident, Plan("aws-stop-instance", Xml.Instance, ContainmentChoice.StayAvailableAcceptDataRisk)));
        var bad = await Assert.ThrowsAsync<ValidationFailedException>(() => response.PlanAsync(incident,
            new PlanAction("aws-isolate-instance", "12345", "Mars-1", "vol-123", null, null, "", "", new() { ["examinerCidr"] = "not-a-cidr", ["colour"] = "red" })));
        var unknown = await Assert.ThrowsAsync<ValidationFailedException>(() => response.PlanAsync(incident, Plan("aws-format-disk", Xml.Instance)));
        await using var viewer = _harness.As(_acme.Viewer);
        await Assert.ThrowsAsync<ForbiddenException>(() => viewer.Get<ResponseService>().PlanAsync(incident, Plan("aws-capture-instance", Xml.Instance)));
        var other = await _harness.CreateTenantAsync("Other");
        await using var stranger = _harness.As(other.Responder);
        await Assert.ThrowsAsync<NotFoundException>(() => stranger.Get<ResponseService>().PlanAsync(incident, Plan("aws-capture-instance", Xml.Instance)));

        Assert.Contains("choice", stop.Errors.Keys);
        Assert.Equal(["account", "choice", "choiceReason", "criticality", "inputs.colour", "inputs.examinerCidr", "reason", "region", "resource"], bad.Errors.Keys.Order());
        Assert.Contains("action", unknown.Errors.Keys);
        Assert.Empty(_aws.Requests);
    }

    [Fact]
    public async Task BlockS3PublicAccess_TurnsOnAllFour_DeletesThePublicPolicy_AndUndoRestoresBoth()
    {
        var incident = await IncidentAsync();
        _aws.On("GET /acme-exports?publicAccessBlock", (404, S3Xml.Error("NoSuchPublicAccessBlockConfiguration", "The public access block configuration was not found")))
            .On("GET /acme-exports?policyStatus", S3Xml.PolicyStatus(true))
            .On("GET /acme-exports?policy", S3Xml.PublicPolicy)
            .On("PUT /acme-exports?publicAccessBlock", (200, ""))
            .On("DELETE /acme-exports?policy", (204, ""));
        await using var scope = _harness.As(_acme.Responder);
        var response = scope.Get<ResponseService>();
        var planned = await response.PlanAsync(incident, Plan("aws-block-s3-public-access", "acme-exports"));
        Assert.Equal(["PutPublicAccessBlock", "DeleteBucketPolicy"], planned.Plan.Calls.Select(c => c.Operation));
        Assert.Equal("none", planned.Plan.State["publicAccessBlock"]);
        await using (var manager = _harness.As(_acme.Manager))
            await manager.Get<ResponseService>().ApproveAsync(planned.Id, new ApproveAction());
        _aws.From("GET /acme-exports?publicAccessBlock", S3Xml.PublicAccessBlock(true))
            .From("GET /acme-exports?policyStatus", S3Xml.Error("NoSuchBucketPolicy", "The bucket policy does not exist"));

        var ran = await response.RunAsync(planned.Id);

        Assert.Equal(ActionStatus.Succeeded, ran.Status);
        Assert.True(ran.Verified, string.Join("; ", ran.Verification.Select(v => $"{v.What}={v.Actual}")));
        var put = Assert.Single(_aws.Calls("PUT /acme-exports?publicAccessBlock"));
        foreach (var setting in new[] { "BlockPublicAcls", "IgnorePublicAcls", "BlockPublicPolicy", "RestrictPublicBuckets" })
            Assert.Contains($"<{setting}>true</{setting}>", put.Body);
        Assert.Contains("/eu-west-1/s3/aws4_request", put.Headers["Authorization"]);
        Assert.Single(_aws.Calls("DELETE /acme-exports?policy"));
        Assert.Equal(S3Xml.PublicPolicy, ran.UndoData["policy"]);

        _aws.On("DELETE /acme-exports?publicAccessBlock", (204, "")).On("PUT /acme-exports?policy", (204, ""));
        var undone = await response.UndoAsync(planned.Id, new UndoAction("The bucket hosts the public download page"));

        Assert.Equal(ActionStatus.Undone, undone.Status);
        var order = _aws.Requests.Select(r => r.Action).Where(a => a is "DELETE /acme-exports?publicAccessBlock" or "PUT /acme-exports?policy").ToList();
        Assert.Equal(["DELETE /acme-exports?publicAccessBlock", "PUT /acme-exports?policy"], order);
        Assert.Equal(S3Xml.PublicPolicy, _aws.Calls("PUT /acme-exports?policy").Single().Body);
    }

    [Fact]
    public async Task DeregisterTargets_FindsTheInstanceAcrossPages_DeregistersItsPort_AndVerifiesDraining()
    {
        var incident = await IncidentAsync();
        InstanceReads(group: null);
        _aws.On("DescribeTargetGroups", (200, ElbXml.TargetGroups("page-2", ElbXml.Web)), (200, ElbXml.TargetGroups(null, ElbXml.Admin)))
            .On("DescribeTargetHealth",
                (200, ElbXml.TargetHealth((Xml.Instance, 8080, "healthy"), ("i-0ffff0000eeee1111", 8080, "healthy"))),
                (200, ElbXml.TargetHealth(("i-0ffff0000eeee1111", 443, "healthy"))),
                (200, ElbXml.TargetHealth((Xml.Instance, 8080, "draining"))))
            .On("DeregisterTargets", ElbXml.Empty("DeregisterTargets"));
        await using var scope = _harness.As(_acme.Responder);
        var planned = await scope.Get<ResponseService>().PlanAsync(incident, Plan("aws-deregister-targets", Xml.Instance));
        var call = Assert.Single(planned.Plan.Calls);
        Assert.Equal((ElbXml.Web, "8080"), (call.Parameters["TargetGroupArn"], call.Parameters["Targets.member.1.Port"]));
        Assert.Equal("page-2", _aws.Calls("DescribeTargetGroups").Last()["Marker"]);
        await using (var manager = _harness.As(_acme.Manager))
            await manager.Get<ResponseService>().ApproveAsync(planned.Id, new ApproveAction());

        var ran = await scope.Get<ResponseService>().RunAsync(planned.Id);

        Assert.Equal(ActionStatus.Succeeded, ran.Status);
        Assert.True(ran.Verified);
        var deregister = Assert.Single(_aws.Calls("DeregisterTargets"));
        Assert.Equal(("2015-12-01", ElbXml.Web, Xml.Instance, "8080"),
            (deregister["Version"], deregister["TargetGroupArn"], deregister["Targets.member.1.Id"], deregister["Targets.member.1.Port"]));
        Assert.Contains("/eu-west-1/elasticloadbalancing/aws4_request", deregister.Headers["Authorization"]);
        Assert.Equal("8080", ran.UndoData[ElbXml.Web]);
    }

    [Fact]
    public async Task DisassociateInstanceProfile_WarnsAboutIssuedCredentials_AndUndoAssociatesItAgain()
    {
        var incident = await IncidentAsync();
        InstanceReads(group: null);
        const string profile = "arn:aws:iam::123456789012:instance-profile/web";
        _aws.On("DescribeIamInstanceProfileAssociations",
            $"""<DescribeIamInstanceProfileAssociationsResponse xmlns="{Xml.Ec2Ns}"><requestId>r1</requestId><iamInstanceProfileAssociationSet><item><associationId>iip-assoc-0e7736511a163c209</associationId><instanceId>{Xml.Instance}</instanceId><iamInstanceProfile><arn>{profile}</arn><id>AIPAJEXAMPLE</id></iamInstanceProfile><state>associated</state></item></iamInstanceProfileAssociationSet></DescribeIamInstanceProfileAssociationsResponse>""")
            .On("DisassociateIamInstanceProfile", $"""<DisassociateIamInstanceProfileResponse xmlns="{Xml.Ec2Ns}"><requestId>r2</requestId><iamInstanceProfileAssociation><associationId>iip-assoc-0e7736511a163c209</associationId><instanceId>{Xml.Instance}</instanceId><iamInstanceProfile><arn>{profile}</arn><id>AIPAJEXAMPLE</id></iamInstanceProfile><state>disassociating</state></iamInstanceProfileAssociation></DisassociateIamInstanceProfileResponse>""");
        await using var scope = _harness.As(_acme.Responder);
        var response = scope.Get<ResponseService>();
        var planned = await response.PlanAsync(incident, Plan("aws-disassociate-instance-profile", Xml.Instance));
        Assert.Contains(planned.Plan.Risks, r => r.Code == "issued-credentials" && r.Avoid.Contains("aws-revoke-role-sessions", StringComparison.Ordinal));
        await using (var manager = _harness.As(_acme.Manager))
            await manager.Get<ResponseService>().ApproveAsync(planned.Id, new ApproveAction());
        _aws.From("DescribeIamInstanceProfileAssociations", $"""<DescribeIamInstanceProfileAssociationsResponse xmlns="{Xml.Ec2Ns}"><requestId>r3</requestId><iamInstanceProfileAssociationSet/></DescribeIamInstanceProfileAssociationsResponse>""")
            .On("AssociateIamInstanceProfile", $"""<AssociateIamInstanceProfileResponse xmlns="{Xml.Ec2Ns}"><requestId>r4</requestId><iamInstanceProfileAssociation><associationId>iip-assoc-1</associationId><instanceId>{Xml.Instance}</instanceId><iamInstanceProfile><arn>{profile}</arn><id>AIPAJEXAMPLE</id></iamInstanceProfile><state>associating</state></iamInstanceProfileAssociation></AssociateIamInstanceProfileResponse>""");

        var ran = await response.RunAsync(planned.Id);
        var undone = await response.UndoAsync(planned.Id, new UndoAction("Rebuilt; the workload needs its role"));

        Assert.Equal(ActionStatus.Succeeded, ran.Status);
        Assert.True(ran.Verified);
        Assert.Equal("iip-assoc-0e7736511a163c209", Assert.Single(_aws.Calls("DisassociateIamInstanceProfile"))["AssociationId"]);
        Assert.Equal(ActionStatus.Undone, undone.Status);
        var associate = Assert.Single(_aws.Calls("AssociateIamInstanceProfile"));
        Assert.Equal((Xml.Instance, profile), (associate["InstanceId"], associate["IamInstanceProfile.Arn"]));
    }

    private static string NetworkAcls(string acl, string association) =>
        $"""<DescribeNetworkAclsResponse xmlns="{Xml.Ec2Ns}"><requestId>r1</requestId><networkAclSet><item><networkAclId>{acl}</networkAclId><vpcId>vpc-0a1b2c3d</vpcId><default>false</default><entrySet/><associationSet><item><networkAclAssociationId>{association}</networkAclAssociationId><networkAclId>{acl}</networkAclId><subnetId>subnet-0a1b2c3d</subnetId></item></associationSet><tagSet/></item></networkAclSet></DescribeNetworkAclsResponse>""";

    [Fact]
    public async Task DenyAllNetworkAcl_WarnsItCoversTheSubnet_AllowsOnlyTheExaminer_AndUndoRestoresTheOldAcl()
    {
        var incident = await IncidentAsync();
        InstanceReads(group: null);
        _aws.On("DescribeNetworkAcls", NetworkAcls("acl-0default", "aclassoc-0old"))
            .On("CreateNetworkAcl", $"""<CreateNetworkAclResponse xmlns="{Xml.Ec2Ns}"><requestId>r2</requestId><networkAcl><networkAclId>acl-0deny</networkAclId><vpcId>vpc-0a1b2c3d</vpcId><default>false</default><entrySet/><associationSet/><tagSet/></networkAcl></CreateNetworkAclResponse>""")
            .On("CreateNetworkAclEntry", Xml.Return("CreateNetworkAclEntry"))
            .On("ReplaceNetworkAclAssociation", $"""<ReplaceNetworkAclAssociationResponse xmlns="{Xml.Ec2Ns}"><requestId>r3</requestId><newAssociationId>aclassoc-0new</newAssociationId></ReplaceNetworkAclAssociationResponse>""");
        await using var scope = _harness.As(_acme.Responder);
        var response = scope.Get<ResponseService>();
        var planned = await response.PlanAsync(incident, Plan("aws-deny-all-network-acl", Xml.Instance, inputs: new() { ["examinerCidr"] = "203.0.113.7/32" }));
        Assert.Contains(planned.Plan.Risks, r => r.Code == "whole-subnet" && r.Description.Contains("subnet-0a1b2c3d", StringComparison.Ordinal));
        Assert.Equal(["CreateNetworkAcl", "CreateNetworkAclEntry", "CreateNetworkAclEntry", "ReplaceNetworkAclAssociation"], planned.Plan.Calls.Select(c => c.Operation));
        await using (var manager = _harness.As(_acme.Manager))
            await manager.Get<ResponseService>().ApproveAsync(planned.Id, new ApproveAction());
        _aws.From("DescribeNetworkAcls", NetworkAcls("acl-0deny", "aclassoc-0new"));

        var ran = await response.RunAsync(planned.Id);

        Assert.Equal(ActionStatus.Succeeded, ran.Status);
        Assert.True(ran.Verified);
        var entries = _aws.Calls("CreateNetworkAclEntry").ToList();
        Assert.Equal(("acl-0deny", "100", "6", "allow", "false", "203.0.113.7/32", "22", "22"),
            (entries[0]["NetworkAclId"], entries[0]["RuleNumber"], entries[0]["Protocol"], entries[0]["RuleAction"], entries[0]["Egress"], entries[0]["CidrBlock"], entries[0]["PortRange.From"], entries[0]["PortRange.To"]));
        Assert.Equal(("true", "1024", "65535"), (entries[1]["Egress"], entries[1]["PortRange.From"], entries[1]["PortRange.To"]));
        var replace = Assert.Single(_aws.Calls("ReplaceNetworkAclAssociation"));
        Assert.Equal(("aclassoc-0old", "acl-0deny"), (replace["AssociationId"], replace["NetworkAclId"]));

        var undone = await response.UndoAsync(planned.Id, new UndoAction("Moved the instance to a quarantine subnet instead"));

        Assert.Equal(ActionStatus.Undone, undone.Status);
        var back = _aws.Calls("ReplaceNetworkAclAssociation").Last();
        Assert.Equal(("aclassoc-0new", "acl-0default"), (back["AssociationId"], back["NetworkAclId"]));
    }

    [Fact]
    public async Task BlockS3PublicAccess_RemovePublicAcls_RewritesTheAclWithoutThePublicGrants_VerifiesByReReading_AndUndoPutsItBack()
    {
        var incident = await IncidentAsync();
        _aws.On("GET /acme-exports?publicAccessBlock", (404, S3Xml.Error("NoSuchPublicAccessBlockConfiguration", "The public access block configuration was not found")))
            .On("GET /acme-exports?policyStatus", (404, S3Xml.Error("NoSuchBucketPolicy", "The bucket policy does not exist")))
            .On("GET /acme-exports?ownershipControls", (404, S3Xml.Error("OwnershipControlsNotFoundError", "The bucket ownership controls were not found")))
            .On("GET /acme-exports?acl", S3Xml.Acl((S3Xml.AllUsers, "READ"), (S3Xml.AuthenticatedUsers, "READ_ACP"), (S3Xml.LogDelivery, "WRITE")))
            .On("PUT /acme-exports?publicAccessBlock", (200, ""))
            .On("PUT /acme-exports?acl", (200, ""));
        await using var scope = _harness.As(_acme.Responder);
        var response = scope.Get<ResponseService>();

        var planned = await response.PlanAsync(incident, Plan("aws-block-s3-public-access", "acme-exports", inputs: new() { ["removePublicAcls"] = "true" }));

        Assert.Equal(["PutPublicAccessBlock", "PutBucketAcl"], planned.Plan.Calls.Select(c => c.Operation));
        var rewrite = planned.Plan.Calls[1];
        Assert.Equal($"FULL_CONTROL to acme-security ({S3Xml.OwnerId}); WRITE to LogDelivery", rewrite.Parameters["Grants"]);
        Assert.Contains("READ to AllUsers, READ_ACP to AuthenticatedUsers removed", rewrite.Change);
        Assert.Contains("rewrite its ACL", planned.Plan.Summary);
        Assert.Empty(_aws.Calls("PUT /acme-exports?acl"));
        await using (var manager = _harness.As(_acme.Manager))
            await manager.Get<ResponseService>().ApproveAsync(planned.Id, new ApproveAction());
        _aws.From("GET /acme-exports?publicAccessBlock", S3Xml.PublicAccessBlock(true))
            .From("GET /acme-exports?acl", S3Xml.Acl((S3Xml.LogDelivery, "WRITE")));

        var ran = await response.RunAsync(planned.Id);

        Assert.Equal(ActionStatus.Succeeded, ran.Status);
        Assert.True(ran.Verified, string.Join("; ", ran.Verification.Select(v => $"{v.What}={v.Actual}")));
        Assert.Contains(ran.Verification, v => v is { What: "public ACL grants", Actual: "none", Ok: true });
        var put = Assert.Single(_aws.Calls("PUT /acme-exports?acl")).Body;
        Assert.Contains($"<ID>{S3Xml.OwnerId}</ID>", put);
        Assert.Contains("FULL_CONTROL", put);
        Assert.Contains(S3Xml.LogDelivery, put);
        Assert.DoesNotContain(S3Xml.AllUsers, put);
        Assert.DoesNotContain(S3Xml.AuthenticatedUsers, put);
        Assert.Contains(S3Xml.AllUsers, ran.UndoData["acl"]);

        _aws.On("DELETE /acme-exports?publicAccessBlock", (204, ""));
        var undone = await response.UndoAsync(planned.Id, new UndoAction("The bucket serves the public download page"));

        Assert.Equal(ActionStatus.Undone, undone.Status);
        Assert.All(undone.UndoResults, r => Assert.True(r.Succeeded, r.Detail));
        var order = _aws.Requests.Select(r => r.Action).Where(a => a is "DELETE /acme-exports?publicAccessBlock" or "PUT /acme-exports?acl").ToList();
        Assert.Equal(["PUT /acme-exports?acl", "DELETE /acme-exports?publicAccessBlock", "PUT /acme-exports?acl"], order);
        var restored = _aws.Calls("PUT /acme-exports?acl").Last().Body;
        Assert.Contains(S3Xml.AllUsers, restored);
        Assert.Contains(S3Xml.AuthenticatedUsers, restored);
    }

    [Fact]
    public async Task BlockS3PublicAccess_RemovePublicAcls_OnABucketWithAclsDisabled_SaysThereIsNothingToRewrite()
    {
        var incident = await IncidentAsync();
        _aws.On("GET /acme-exports?publicAccessBlock", S3Xml.PublicAccessBlock(false))
            .On("GET /acme-exports?policyStatus", S3Xml.PolicyStatus(false))
            .On("GET /acme-exports?ownershipControls", S3Xml.OwnershipControls("BucketOwnerEnforced"));
        await using var scope = _harness.As(_acme.Responder);

        var planned = await scope.Get<ResponseService>().PlanAsync(incident, Plan("aws-block-s3-public-access", "acme-exports", inputs: new() { ["removePublicAcls"] = "true" }));

        Assert.Equal(["PutPublicAccessBlock"], planned.Plan.Calls.Select(c => c.Operation));
        Assert.Contains(planned.Plan.Changes, c => c.Contains("ACLs are disabled on acme-exports (Object Ownership BucketOwnerEnforced)", StringComparison.Ordinal));
        Assert.Equal(("BucketOwnerEnforced", "disabled"), (planned.Plan.State["objectOwnership"], planned.Plan.State["acl"]));
        Assert.Empty(_aws.Calls("GET /acme-exports?acl"));
    }

    [Fact]
    public async Task BlockS3PublicAccess_RemovePublicAcls_AReadRefusedMakesNoPlan_AndARefusedRewriteIsAPartialFailure()
    {
        var incident = await IncidentAsync();
        _aws.On("GET /acme-exports?publicAccessBlock", (404, S3Xml.Error("NoSuchPublicAccessBlockConfiguration", "The public access block configuration was not found")))
            .On("GET /acme-exports?policyStatus", S3Xml.PolicyStatus(true))
            .On("GET /acme-exports?policy", S3Xml.PublicPolicy)
            .On("GET /acme-exports?ownershipControls", S3Xml.OwnershipControls("ObjectWriter"))
            .On("GET /acme-exports?acl", (403, S3Xml.Error("AccessDenied", "Access Denied")), (200, S3Xml.Acl((S3Xml.AllUsers, "READ"))))
            .On("PUT /acme-exports?publicAccessBlock", (200, ""))
            .On("DELETE /acme-exports?policy", (204, ""))
            .On("PUT /acme-exports?acl", (403, S3Xml.Error("AccessDenied", "Access Denied")));
        await using var scope = _harness.As(_acme.Responder);
        var response = scope.Get<ResponseService>();
        var request = Plan("aws-block-s3-public-access", "acme-exports", inputs: new() { ["removePublicAcls"] = "true" });

        var refused = await Assert.ThrowsAsync<ConflictException>(() => response.PlanAsync(incident, request));
        Assert.Contains("s3:GetBucketAcl failed: AccessDenied", refused.Message);
        Assert.Empty(await response.ListAsync(incident));

        var planned = await response.PlanAsync(incident, request);
        Assert.Equal(["PutPublicAccessBlock", "DeleteBucketPolicy", "PutBucketAcl"], planned.Plan.Calls.Select(c => c.Operation));
        await using (var manager = _harness.As(_acme.Manager))
            await manager.Get<ResponseService>().ApproveAsync(planned.Id, new ApproveAction());
        _aws.From("GET /acme-exports?publicAccessBlock", S3Xml.PublicAccessBlock(true))
            .From("GET /acme-exports?policyStatus", S3Xml.Error("NoSuchBucketPolicy", "The bucket policy does not exist"));

        var ran = await response.RunAsync(planned.Id);

        Assert.Equal(ActionStatus.PartiallyFailed, ran.Status);
        Assert.Equal([true, true, false], ran.Results.Select(r => r.Succeeded));
        Assert.Equal("AccessDenied", ran.Results[2].ErrorCode);
        Assert.StartsWith("Access denied", ran.Results[2].Detail);
        Assert.Equal(["policy", "publicAccessBlock"], ran.UndoData.Keys.Order());
        Assert.False(ran.Verified);
        Assert.Contains(ran.Verification, v => v is { What: "public ACL grants", Actual: "READ to AllUsers", Ok: false });
    }

    [Fact]
    public async Task DetachWithReplacement_ThePlanNamesTheTemplateVersionAndAmi_TheReplacementComesFrom()
    {
        var incident = await IncidentAsync();
        InstanceReads();
        _aws.On("DescribeAutoScalingGroups", Xml.AutoScalingGroup("web-asg", "$Default"))
            .On("DescribeLaunchTemplateVersions", Xml.LaunchTemplateVersion(7, "ami-0c0ffee1234567890"));
        await using var scope = _harness.As(_acme.Responder);
        var response = scope.Get<ResponseService>();

        var planned = await response.PlanAsync(incident, Plan("aws-detach-from-asg", Xml.Instance, inputs: new() { ["replace"] = "true" }));

        var call = Assert.Single(planned.Plan.Calls);
        Assert.Equal("false", call.Parameters["ShouldDecrementDesiredCapacity"]);
        Assert.Contains($"launches a replacement instance from launch template web ({Xml.LaunchTemplateId}) version 7 ($Default) (AMI ami-0c0ffee1234567890, m5d.large, created 2026-02-20 14:05 UTC by arn:aws:iam::123456789012:user/deploy-bot)", call.Change);
        var risk = Assert.Single(planned.Plan.Risks, r => r.Code == "replacement-source");
        Assert.Contains("asks for $Default", risk.Description);
        Assert.Contains("known-good", risk.Avoid);
        Assert.Equal(("launch-template", "7", "ami-0c0ffee1234567890"), (planned.Plan.State["replacementSource"], planned.Plan.State["replacementVersion"], planned.Plan.State["replacementImage"]));
        Assert.Equal("web-asg", Assert.Single(_aws.Calls("DescribeAutoScalingGroups"))["AutoScalingGroupNames.member.1"]);
        var versions = Assert.Single(_aws.Calls("DescribeLaunchTemplateVersions"));
        Assert.Equal((Xml.LaunchTemplateId, "$Default"), (versions["LaunchTemplateId"], versions["LaunchTemplateVersion.1"]));

        // A group on a launch configuration: its AMI is read from the configuration.
        _aws.From("DescribeAutoScalingGroups", Xml.AutoScalingGroup("web-asg", templateVersion: null, launchConfiguration: "web-lc-2025-11"))
            .On("DescribeLaunchConfigurations", Xml.LaunchConfiguration("web-lc-2025-11", "ami-0old000000000000a"));
        var legacy = await response.PlanAsync(incident, Plan("aws-detach-from-asg", Xml.Instance, inputs: new() { ["replace"] = "true" }));
        Assert.Contains("from launch configuration web-lc-2025-11 (AMI ami-0old000000000000a, m5d.large, created 2025-11-02 09:30 UTC)", legacy.Plan.Calls[0].Change);
        Assert.Equal("web-lc-2025-11", Assert.Single(_aws.Calls("DescribeLaunchConfigurations"))["LaunchConfigurationNames.member.1"]);

        // Refused: no plan, and the reason names the read.
        _aws.From("DescribeLaunchTemplateVersions", 403, Xml.Error("UnauthorizedOperation", "You are not authorized to perform this operation."))
            .From("DescribeAutoScalingGroups", Xml.AutoScalingGroup("web-asg", "7"));
        var refused = await Assert.ThrowsAsync<ConflictException>(() => response.PlanAsync(incident, Plan("aws-detach-from-asg", Xml.Instance, inputs: new() { ["replace"] = "true" })));
        Assert.Contains("ec2:DescribeLaunchTemplateVersions", refused.Message);
        Assert.Equal(2, (await response.ListAsync(incident)).Count);
    }
}
