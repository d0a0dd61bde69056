using Firebreak.Detection.Events;
using Firebreak.Detection.Rules;
using Firebreak.Detection.Sigma;

namespace Firebreak.Detection.Tests.Rules;

public class RulePackTests
{
    private static readonly Lazy<RuleTestReport> Report = new(() => RuleTester.Run(BuiltInRules.Load()));

    public static TheoryData<string> RuleKeys() => new(BuiltInRules.Load().Documents.Select(d => d.Key));

    [Fact]
    public void Pack_LoadsAndCompilesWithoutDiagnostics()
    {
        var parsed = BuiltInRules.Load();
        Assert.Empty(parsed.Diagnostics);
        var set = CompiledRuleSet.Compile(parsed.Documents);
        Assert.Empty(set.Diagnostics);
        Assert.True(set.Rules.Count >= 40, $"{set.Rules.Count} rules");
        Assert.Equal(7, set.Correlations.Count);
    }

    [Fact]
    public void Pack_HoldsNoRetiredRule_SoTheServerMatchesEveryRuleItShips()
    {
        // The server matches the built-in pack without retired rules, as a hunt does; a rule retired in the pack would
        // silently stop matching on the server, so retiring one is a decision this test makes visible.
        var parsed = BuiltInRules.Load();
        Assert.DoesNotContain(parsed.Documents, RetiredRules.IsRetired);
        Assert.Equal(parsed.Documents.OfType<SigmaRule>().Count(), BuiltInRules.Compile().Rules.Count);
    }

    [Fact]
    public void Pack_LintsClean_AtThePacksOwnBar() =>
        Assert.Empty(RuleLinter.Lint(BuiltInRules.Load(), LintOptions.BuiltInPack));

    [Theory]
    [MemberData(nameof(RuleKeys))]
    public void EveryRule_FiresOnItsPositiveEvents_AndNotOnItsNegatives(string key)
    {
        var results = Report.Value.Results.Where(r => r.RuleKey == key).ToList();
        Assert.Contains(results, r => r.Expected);
        Assert.Contains(results, r => !r.Expected);
        Assert.All(results, r => Assert.True(r.Passed, $"{r.File}({r.Line}): expected {(r.Expected ? "a match" : "no match")}"));
    }

    [Fact]
    public void Report_HasNoDiagnostics() => Assert.Empty(Report.Value.Diagnostics);

    public static TheoryData<string, string, string> RequiredDetections() => new()
    {
        { "aws/cloudtrail", "cloudtrail.amazonaws.com", "StopLogging" },
        { "aws/cloudtrail", "cloudtrail.amazonaws.com", "DeleteTrail" },
        { "aws/cloudtrail", "cloudtrail.amazonaws.com", "UpdateTrail" },
        { "aws/cloudtrail", "cloudtrail.amazonaws.com", "PutEventSelectors" },
        { "aws/cloudtrail", "guardduty.amazonaws.com", "DeleteDetector" },
        { "aws/cloudtrail", "config.amazonaws.com", "StopConfigurationRecorder" },
        { "aws/cloudtrail", "config.amazonaws.com", "DeleteConfigurationRecorder" },
        { "aws/cloudtrail", "ec2.amazonaws.com", "DeleteFlowLogs" },
        { "aws/cloudtrail", "route53resolver.amazonaws.com", "DeleteResolverQueryLogConfig" },
        { "aws/cloudtrail", "access-analyzer.amazonaws.com", "CreateArchiveRule" },
        { "aws/cloudtrail", "organizations.amazonaws.com", "LeaveOrganization" },
        { "aws/cloudtrail", "account.amazonaws.com", "EnableRegion" },
        { "aws/cloudtrail", "iam.amazonaws.com", "CreateUser" },
        { "aws/cloudtrail", "iam.amazonaws.com", "CreateAccessKey" },
        { "aws/cloudtrail", "iam.amazonaws.com", "CreateLoginProfile" },
        { "aws/cloudtrail", "sts.amazonaws.com", "GetFederationToken" },
        { "aws/cloudtrail", "iam.amazonaws.com", "UpdateAssumeRolePolicy" },
        { "aws/cloudtrail", "rolesanywhere.amazonaws.com", "CreateTrustAnchor" },
        { "aws/cloudtrail", "ssm.amazonaws.com", "SendCommand" },
        { "aws/cloudtrail", "ssm.amazonaws.com", "StartSession" },
        { "aws/cloudtrail", "ec2-instance-connect.amazonaws.com", "SendSSHPublicKey" },
        { "aws/cloudtrail", "ec2.amazonaws.com", "EnableSerialConsoleAccess" },
        { "aws/cloudtrail", "lambda.amazonaws.com", "UpdateFunctionCode20150331v2" },
        { "aws/cloudtrail", "s3.amazonaws.com", "DeleteBucketPublicAccessBlock" },
        { "azure/activitylogs", "", "Microsoft.Authorization/elevateAccess/action" },
        { "azure/activitylogs", "", "Microsoft.Authorization/roleAssignments/write" },
        { "azure/activitylogs", "", "Microsoft.Authorization/roleDefinitions/write" },
        { "azure/activitylogs", "", "Microsoft.Compute/virtualMachines/runCommand/action" },
        { "azure/activitylogs", "", "Microsoft.Compute/disks/beginGetAccess/action" },
        { "azure/activitylogs", "", "Microsoft.Compute/snapshots/beginGetAccess/action" },
        { "azure/activitylogs", "", "Microsoft.Compute/restorePointCollections/restorePoints/diskRestorePoints/beginGetAccess/action" },
        { "azure/activitylogs", "", "Microsoft.ManagedIdentity/userAssignedIdentities/federatedIdentityCredentials/write" },
        { "azure/auditlogs", "", "Add service principal credentials" },
        { "azure/auditlogs", "", "Set federation settings on domain" },
        { "gcp/gcp.audit", "iam.googleapis.com", "google.iam.admin.v1.CreateServiceAccountKey" },
        { "gcp/gcp.audit", "cloudresourcemanager.googleapis.com", "SetIamPolicy" },
        { "gcp/gcp.audit", "logging.googleapis.com", "google.logging.v2.ConfigServiceV2.DeleteSink" },
        { "gcp/gcp.audit", "logging.googleapis.com", "google.logging.v2.ConfigServiceV2.UpdateSink" },
        { "gcp/gcp.audit", "cloudresourcemanager.googleapis.com", "google.cloud.resourcemanager.v3.Projects.MoveProject" },
    };

    [Theory]
    [MemberData(nameof(RequiredDetections))]
    public void Pack_CoversTheRequiredOperations(string logSource, string service, string operation)
    {
        var set = BuiltInRules.Compile();
        var (product, logService) = (logSource.Split('/')[0], logSource.Split('/')[1]);
        var json = product switch
        {
            "aws" => System.Text.Json.JsonSerializer.Serialize(new { eventSource = service, eventName = operation }),
            "azure" when logService == "auditlogs" => System.Text.Json.JsonSerializer.Serialize(new { activityDisplayName = operation }),
            "azure" => System.Text.Json.JsonSerializer.Serialize(new { operationName = new { value = operation } }),
            _ => System.Text.Json.JsonSerializer.Serialize(new { protoPayload = new { serviceName = service, methodName = operation } }),
        };
        var matches = set.Match(TestEvents.Create(json, product, logService));
        Assert.NotEmpty(matches);
        Assert.All(matches, m => Assert.Contains(m.Rule.Tags, t => t.StartsWith("attack.t", StringComparison.Ordinal)));
    }

    [Fact]
    public void BenignActivity_TriggersNothing()
    {
        var set = BuiltInRules.Compile();
        string[] benign =
        [
            """{"eventSource":"ec2.amazonaws.com","eventName":"DescribeInstances","userIdentity":{"type":"IAMUser","arn":"arn:aws:iam::1:user/alice"}}""",
            """{"eventSource":"s3.amazonaws.com","eventName":"ListBuckets","userIdentity":{"type":"AssumedRole"}}""",
            """{"eventSource":"sts.amazonaws.com","eventName":"AssumeRole","userIdentity":{"type":"AWSService"}}""",
        ];
        Assert.All(benign, json => Assert.Empty(set.Match(TestEvents.Aws(json))));
    }

    [Fact]
    public void Catalog_ListsIdTitleLevelAndTags()
    {
        var list = RuleCatalog.List(BuiltInRules.Load().Documents);
        Assert.Equal(BuiltInRules.Load().Documents.Count, list.Count);
        Assert.All(list, s =>
        {
            Assert.True(Guid.TryParse(s.Id, out _));
            Assert.NotEmpty(s.Title);
            Assert.NotNull(s.Level);
            Assert.NotEmpty(s.Tags);
            Assert.EndsWith(".yml", s.File);
        });
        var trail = Assert.Single(list, s => s.Title == "CloudTrail Trail Stopped, Deleted or Narrowed");
        Assert.Equal(("high", RuleKind.Detection, "aws/cloudtrail", "aws/cloudtrail_logging_tampering.yml"), (trail.Level, trail.Kind, trail.LogSource, trail.File));
        Assert.Equal(7, list.Count(s => s.Kind == RuleKind.Correlation));
    }

    [Fact]
    public void Pack_NeverReferencesNormalisedFieldsThatEmbeddedTestsCannotFill()
    {
        var fields = BuiltInRules.Load().Documents.OfType<SigmaRule>()
            .SelectMany(r => r.Detection.Searches.Values.SelectMany(s => s.Alternatives.SelectMany(a => a.Select(i => i.Field))))
            .Where(f => f is not null);
        Assert.DoesNotContain(fields, f => FieldMappings.NormalisedNames.Contains(f!, StringComparer.OrdinalIgnoreCase));
    }
}
