namespace Firebreak.Testing.Aws;

/// <summary>Response bodies in the shapes the AWS API references document for each action.</summary>
public static class Xml
{
    public const string Ec2Ns = "http://ec2.amazonaws.com/doc/2016-11-15/";
    public const string Instance = "i-0abc1234def567890";

    public static string Error(string code, string message) =>
        $"""<?xml version="1.0" encoding="UTF-8"?><Response><Errors><Error><Code>{code}</Code><Message>{message}</Message></Error></Errors><RequestID>ea966190-f9aa-478e-9ede-example</RequestID></Response>""";

    public static string QueryError(string ns, string code, string message) =>
        $"""<ErrorResponse xmlns="{ns}"><Error><Type>Sender</Type><Code>{code}</Code><Message>{message}</Message></Error><RequestId>4c2a6a2a-example</RequestId></ErrorResponse>""";

    public const string IamNs = "https://iam.amazonaws.com/doc/2010-05-08/";
    public const string AutoScalingNs = "http://autoscaling.amazonaws.com/doc/2011-01-01/";

    public static string AssumeRole() =>
        """
        <AssumeRoleResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">
          <AssumeRoleResult>
            <SourceIdentity>firebreak</SourceIdentity>
            <AssumedRoleUser>
              <Arn>arn:aws:sts::123456789012:assumed-role/FirebreakResponder/firebreak-response</Arn>
              <AssumedRoleId>ARO123EXAMPLE123:firebreak-response</AssumedRoleId>
            </AssumedRoleUser>
            <Credentials>
              <AccessKeyId>ASIAIOSFODNN7EXAMPLE</AccessKeyId>
              <SecretAccessKey>wJalrXUtnFEMI/K7MDENG/bPxRfiCYzEXAMPLEKEY</SecretAccessKey>
              <SessionToken>IQoJb3JpZ2luX2VjEXAMPLETOKEN</SessionToken>
              <Expiration>2036-03-14T10:00:00Z</Expiration>
            </Credentials>
          </AssumeRoleResult>
          <ResponseMetadata><RequestId>c6104cbe-af31-11e0-8154-cbc7ccf896c7</RequestId></ResponseMetadata>
        </AssumeRoleResponse>
        """;

    /// <summary>A running instance with two EBS volumes and one network interface in two security groups.</summary>
    public static string DescribeInstances(string state = "running", string groups = "sg-0web,sg-0ssh") =>
        $"""
        <DescribeInstancesResponse xmlns="{Ec2Ns}">
          <requestId>8f7724cf-496f-496e-8fe3-example</requestId>
          <reservationSet><item>
            <reservationId>r-1234567890abcdef0</reservationId>
            <ownerId>123456789012</ownerId>
            <instancesSet><item>
              <instanceId>{Instance}</instanceId>
              <imageId>ami-0abcdef1234567890</imageId>
              <instanceState><code>16</code><name>{state}</name></instanceState>
              <instanceType>m5d.large</instanceType>
              <launchTime>2026-03-01T08:00:00.000Z</launchTime>
              <vpcId>vpc-0a1b2c3d</vpcId>
              <subnetId>subnet-0a1b2c3d</subnetId>
              <privateIpAddress>10.0.1.12</privateIpAddress>
              <iamInstanceProfile><arn>arn:aws:iam::123456789012:instance-profile/web</arn><id>AIPAJEXAMPLE</id></iamInstanceProfile>
              <blockDeviceMapping>
                <item><deviceName>/dev/xvda</deviceName><ebs><volumeId>vol-0root</volumeId><status>attached</status><attachTime>2026-03-01T08:00:01.000Z</attachTime><deleteOnTermination>true</deleteOnTermination></ebs></item>
                <item><deviceName>/dev/sdf</deviceName><ebs><volumeId>vol-0data</volumeId><status>attached</status><attachTime>2026-03-01T08:00:01.000Z</attachTime><deleteOnTermination>false</deleteOnTermination></ebs></item>
              </blockDeviceMapping>
              <networkInterfaceSet><item>
                <networkInterfaceId>eni-0a1b2c3d4e</networkInterfaceId>
                <subnetId>subnet-0a1b2c3d</subnetId>
                <vpcId>vpc-0a1b2c3d</vpcId>
                <groupSet>{string.Concat(groups.Split(',').Select(g => $"<item><groupId>{g}</groupId><groupName>{g}</groupName></item>"))}</groupSet>
              </item></networkInterfaceSet>
              <tagSet><item><key>Name</key><value>web-1</value></item></tagSet>
            </item></instancesSet>
          </item></reservationSet>
        </DescribeInstancesResponse>
        """;

    public static string DescribeInstanceTypes(bool instanceStore = true) =>
        $"""<DescribeInstanceTypesResponse xmlns="{Ec2Ns}"><requestId>r1</requestId><instanceTypeSet><item><instanceType>m5d.large</instanceType><instanceStorageSupported>{(instanceStore ? "true" : "false")}</instanceStorageSupported></item></instanceTypeSet></DescribeInstanceTypesResponse>""";

    public static string DisableApiTermination(bool on) =>
        $"""<DescribeInstanceAttributeResponse xmlns="{Ec2Ns}"><requestId>r1</requestId><instanceId>{Instance}</instanceId><disableApiTermination><value>{(on ? "true" : "false")}</value></disableApiTermination></DescribeInstanceAttributeResponse>""";

    public static string AutoScalingInstances(string? group) =>
        $"""
        <DescribeAutoScalingInstancesResponse xmlns="{AutoScalingNs}">
          <DescribeAutoScalingInstancesResult><AutoScalingInstances>{(group is null ? "" : $"<member><InstanceId>{Instance}</InstanceId><AutoScalingGroupName>{group}</AutoScalingGroupName><AvailabilityZone>eu-west-1a</AvailabilityZone><LifecycleState>InService</LifecycleState><HealthStatus>HEALTHY</HealthStatus><ProtectedFromScaleIn>false</ProtectedFromScaleIn></member>")}</AutoScalingInstances></DescribeAutoScalingInstancesResult>
          <ResponseMetadata><RequestId>e1b3f0a1-example</RequestId></ResponseMetadata>
        </DescribeAutoScalingInstancesResponse>
        """;

    public const string LaunchTemplateId = "lt-0a20c965061f64abc";

    /// <summary>The group and what it launches from: a launch template (id, version) or a launch configuration.</summary>
    public static string AutoScalingGroup(string group, string? templateVersion = "$Default", string? launchConfiguration = null) =>
        $"""
        <DescribeAutoScalingGroupsResponse xmlns="{AutoScalingNs}">
          <DescribeAutoScalingGroupsResult><AutoScalingGroups><member>
            <AutoScalingGroupName>{group}</AutoScalingGroupName>
            <AutoScalingGroupARN>arn:aws:autoscaling:eu-west-1:123456789012:autoScalingGroup:66be2dec-example:autoScalingGroupName/{group}</AutoScalingGroupARN>
            {(templateVersion is null ? "" : $"<LaunchTemplate><LaunchTemplateId>{LaunchTemplateId}</LaunchTemplateId><LaunchTemplateName>web</LaunchTemplateName><Version>{templateVersion}</Version></LaunchTemplate>")}
            {(launchConfiguration is null ? "" : $"<LaunchConfigurationName>{launchConfiguration}</LaunchConfigurationName>")}
            <MinSize>2</MinSize><MaxSize>6</MaxSize><DesiredCapacity>3</DesiredCapacity>
            <Instances><member><InstanceId>{Instance}</InstanceId><LaunchTemplate><LaunchTemplateId>{LaunchTemplateId}</LaunchTemplateId><LaunchTemplateName>web</LaunchTemplateName><Version>6</Version></LaunchTemplate><LifecycleState>InService</LifecycleState></member></Instances>
          </member></AutoScalingGroups></DescribeAutoScalingGroupsResult>
          <ResponseMetadata><RequestId>e1b3f0a3-example</RequestId></ResponseMetadata>
        </DescribeAutoScalingGroupsResponse>
        """;

    public static string LaunchTemplateVersion(int version, string imageId, bool isDefault = true) =>
        $"""
        <DescribeLaunchTemplateVersionsResponse xmlns="{Ec2Ns}">
          <requestId>65cadec1-example</requestId>
          <launchTemplateVersionSet><item>
            <createTime>2026-02-20T14:05:00.000Z</createTime>
            <createdBy>arn:aws:iam::123456789012:user/deploy-bot</createdBy>
            <defaultVersion>{(isDefault ? "true" : "false")}</defaultVersion>
            <launchTemplateData><imageId>{imageId}</imageId><instanceType>m5d.large</instanceType></launchTemplateData>
            <launchTemplateId>{LaunchTemplateId}</launchTemplateId>
            <launchTemplateName>web</launchTemplateName>
            <versionDescription>hardened base image</versionDescription>
            <versionNumber>{version}</versionNumber>
          </item></launchTemplateVersionSet>
        </DescribeLaunchTemplateVersionsResponse>
        """;

    public static string LaunchConfiguration(string name, string imageId) =>
        $"""<DescribeLaunchConfigurationsResponse xmlns="{AutoScalingNs}"><DescribeLaunchConfigurationsResult><LaunchConfigurations><member><LaunchConfigurationName>{name}</LaunchConfigurationName><ImageId>{imageId}</ImageId><InstanceType>m5d.large</InstanceType><CreatedTime>2025-11-02T09:30:00.000Z</CreatedTime></member></LaunchConfigurations></DescribeLaunchConfigurationsResult><ResponseMetadata><RequestId>r1</RequestId></ResponseMetadata></DescribeLaunchConfigurationsResponse>""";

    public const string LifecycleHooks =
        $"""
        <DescribeLifecycleHooksResponse xmlns="{AutoScalingNs}">
          <DescribeLifecycleHooksResult><LifecycleHooks><member><LifecycleHookName>drain-logs</LifecycleHookName><AutoScalingGroupName>web-asg</AutoScalingGroupName><LifecycleTransition>autoscaling:EC2_INSTANCE_TERMINATING</LifecycleTransition><HeartbeatTimeout>300</HeartbeatTimeout><DefaultResult>CONTINUE</DefaultResult></member></LifecycleHooks></DescribeLifecycleHooksResult>
          <ResponseMetadata><RequestId>e1b3f0a2-example</RequestId></ResponseMetadata>
        </DescribeLifecycleHooksResponse>
        """;

    public static string CreateSnapshot(string snapshot, string volume) =>
        $"""<CreateSnapshotResponse xmlns="{Ec2Ns}"><requestId>r1</requestId><snapshotId>{snapshot}</snapshotId><volumeId>{volume}</volumeId><status>pending</status><startTime>2026-03-14T09:00:00.000Z</startTime><progress></progress><ownerId>123456789012</ownerId><volumeSize>8</volumeSize><description>Firebreak</description></CreateSnapshotResponse>""";

    public static string DescribeSnapshots(string incident, params (string Snapshot, string Volume)[] snapshots) =>
        $"""<DescribeSnapshotsResponse xmlns="{Ec2Ns}"><requestId>r1</requestId><snapshotSet>{string.Concat(snapshots.Select(s => $"<item><snapshotId>{s.Snapshot}</snapshotId><volumeId>{s.Volume}</volumeId><status>pending</status><tagSet><item><key>firebreak:incident</key><value>{incident}</value></item></tagSet></item>"))}</snapshotSet></DescribeSnapshotsResponse>""";

    public static string Return(string action) => $"""<{action}Response xmlns="{Ec2Ns}"><requestId>r1</requestId><return>true</return></{action}Response>""";

    public static string CreateSecurityGroup(string id) =>
        $"""<CreateSecurityGroupResponse xmlns="{Ec2Ns}"><requestId>r1</requestId><return>true</return><groupId>{id}</groupId></CreateSecurityGroupResponse>""";

    public static string Iam(string action) =>
        $"""<{action}Response xmlns="{IamNs}"><ResponseMetadata><RequestId>7a62c49f-347e-4fc4-9331-6e8eEXAMPLE</RequestId></ResponseMetadata></{action}Response>""";

    public static string GetRolePolicy(string role, string policyName, string document) =>
        $"""<GetRolePolicyResponse xmlns="{IamNs}"><GetRolePolicyResult><PolicyName>{policyName}</PolicyName><RoleName>{role}</RoleName><PolicyDocument>{Uri.EscapeDataString(document)}</PolicyDocument></GetRolePolicyResult><ResponseMetadata><RequestId>r1</RequestId></ResponseMetadata></GetRolePolicyResponse>""";

    public static string ListAccessKeys(string user, string key, string status) =>
        $"""<ListAccessKeysResponse xmlns="{IamNs}"><ListAccessKeysResult><UserName>{user}</UserName><AccessKeyMetadata><member><UserName>{user}</UserName><AccessKeyId>{key}</AccessKeyId><Status>{status}</Status><CreateDate>2025-01-01T00:00:00Z</CreateDate></member></AccessKeyMetadata><IsTruncated>false</IsTruncated></ListAccessKeysResult><ResponseMetadata><RequestId>r1</RequestId></ResponseMetadata></ListAccessKeysResponse>""";
}

public static class S3Xml
{
    public const string Ns = "http://s3.amazonaws.com/doc/2006-03-01/";

    public static string Error(string code, string message) =>
        $"""<?xml version="1.0" encoding="UTF-8"?><Error><Code>{code}</Code><Message>{message}</Message><BucketName>acme-exports</BucketName><RequestId>4442587FB7D0A2F9</RequestId><HostId>example-host-id</HostId></Error>""";

    public static string PublicAccessBlock(bool on) =>
        $"""<?xml version="1.0" encoding="UTF-8"?><PublicAccessBlockConfiguration xmlns="{Ns}"><BlockPublicAcls>{L(on)}</BlockPublicAcls><IgnorePublicAcls>{L(on)}</IgnorePublicAcls><BlockPublicPolicy>{L(on)}</BlockPublicPolicy><RestrictPublicBuckets>{L(on)}</RestrictPublicBuckets></PublicAccessBlockConfiguration>""";

    public static string PolicyStatus(bool isPublic) =>
        $"""<?xml version="1.0" encoding="UTF-8"?><PolicyStatus xmlns="{Ns}"><IsPublic>{L(isPublic)}</IsPublic></PolicyStatus>""";

    public const string OwnerId = "79a59df900b949e55d96a1e698fbacedfd6e09d98eacf8f8d5218e7cd47ef2be";
    public const string AllUsers = "http://acs.amazonaws.com/groups/global/AllUsers";
    public const string AuthenticatedUsers = "http://acs.amazonaws.com/groups/global/AuthenticatedUsers";
    public const string LogDelivery = "http://acs.amazonaws.com/groups/s3/LogDelivery";

    public static string OwnershipControls(string objectOwnership) =>
        $"""<?xml version="1.0" encoding="UTF-8"?><OwnershipControls xmlns="{Ns}"><Rule><ObjectOwnership>{objectOwnership}</ObjectOwnership></Rule></OwnershipControls>""";

    /// <summary>A bucket ACL: the owner's full control, plus the given group grants (URI, permission).</summary>
    public static string Acl(params (string Uri, string Permission)[] groups) =>
        $"""<?xml version="1.0" encoding="UTF-8"?><AccessControlPolicy xmlns="{Ns}"><Owner><ID>{OwnerId}</ID><DisplayName>acme-security</DisplayName></Owner><AccessControlList><Grant><Grantee xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:type="CanonicalUser"><ID>{OwnerId}</ID><DisplayName>acme-security</DisplayName></Grantee><Permission>FULL_CONTROL</Permission></Grant>{string.Concat(groups.Select(g => $"""<Grant><Grantee xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:type="Group"><URI>{g.Uri}</URI></Grantee><Permission>{g.Permission}</Permission></Grant>"""))}</AccessControlList></AccessControlPolicy>""";

    public const string PublicPolicy = """{"Version":"2012-10-17","Statement":[{"Sid":"PublicRead","Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::acme-exports/*"}]}""";

    private static string L(bool value) => value ? "true" : "false";
}

public static class ElbXml
{
    public const string Ns = "http://elasticloadbalancing.amazonaws.com/doc/2015-12-01/";
    public const string Web = "arn:aws:elasticloadbalancing:eu-west-1:123456789012:targetgroup/web/73e2d6bc24d8a067";
    public const string Admin = "arn:aws:elasticloadbalancing:eu-west-1:123456789012:targetgroup/admin/1a2b3c4d5e6f7a8b";

    public static string TargetGroups(string? nextMarker, params string[] arns) =>
        $"""<DescribeTargetGroupsResponse xmlns="{Ns}"><DescribeTargetGroupsResult><TargetGroups>{string.Concat(arns.Select(a => $"<member><TargetGroupArn>{a}</TargetGroupArn><TargetGroupName>{a.Split('/')[1]}</TargetGroupName><Protocol>HTTP</Protocol><Port>80</Port><VpcId>vpc-0a1b2c3d</VpcId><TargetType>instance</TargetType></member>"))}</TargetGroups>{(nextMarker is null ? "" : $"<NextMarker>{nextMarker}</NextMarker>")}</DescribeTargetGroupsResult><ResponseMetadata><RequestId>r1</RequestId></ResponseMetadata></DescribeTargetGroupsResponse>""";

    public static string TargetHealth(params (string Id, int Port, string State)[] targets) =>
        $"""<DescribeTargetHealthResponse xmlns="{Ns}"><DescribeTargetHealthResult><TargetHealthDescriptions>{string.Concat(targets.Select(t => $"<member><HealthCheckPort>{t.Port}</HealthCheckPort><Target><Id>{t.Id}</Id><Port>{t.Port}</Port></Target><TargetHealth><State>{t.State}</State></TargetHealth></member>"))}</TargetHealthDescriptions></DescribeTargetHealthResult><ResponseMetadata><RequestId>r2</RequestId></ResponseMetadata></DescribeTargetHealthResponse>""";

    public static string Empty(string action) => $"""<{action}Response xmlns="{Ns}"><{action}Result/><ResponseMetadata><RequestId>r3</RequestId></ResponseMetadata></{action}Response>""";
}
