using Firebreak.Detection.Events;
using Firebreak.Detection.Readers;
using Firebreak.Detection.Rules;
using Firebreak.Detection.Sigma;
using Firebreak.Detection.Simulation;

namespace Firebreak.Detection.Tests.Simulation;

public sealed class AttackSimulatorTests : IDisposable
{
    private readonly DirectoryInfo _root = Directory.CreateTempSubdirectory("firebreak-sim-");

    public void Dispose() => _root.Delete(recursive: true);

    private string Out(string name) => Path.Combine(_root.FullName, name);

    private static CancellationToken Token => TestContext.Current.CancellationToken;

    private static async Task<List<CloudEvent>> ReadBackAsync(string dir, CloudLogReader reader) => await reader.ReadAllAsync(dir);

    [Fact]
    public async Task SameSeed_WritesByteIdenticalFiles_AndAnotherSeedDoesNot()
    {
        var first = await AttackSimulator.RunAsync(new SimulationOptions { Scenario = "leaked-access-key", OutputDirectory = Out("a"), Events = 1500, Seed = 7 }, Token);
        var second = await AttackSimulator.RunAsync(new SimulationOptions { Scenario = "leaked-access-key", OutputDirectory = Out("b"), Events = 1500, Seed = 7 }, Token);
        var other = await AttackSimulator.RunAsync(new SimulationOptions { Scenario = "leaked-access-key", OutputDirectory = Out("c"), Events = 1500, Seed = 8 }, Token);

        Assert.Equal(first.Files, second.Files);
        Assert.True(first.Files.Count > 10);
        foreach (var file in first.Files)
        {
            Assert.Equal(await File.ReadAllBytesAsync(Path.Combine(Out("a"), file), Token), await File.ReadAllBytesAsync(Path.Combine(Out("b"), file), Token));
        }

        Assert.Equal(first.AttackSteps, second.AttackSteps);
        Assert.NotEqual(first.AwsAccountId, other.AwsAccountId);
        Assert.NotEqual(first.AttackSteps.Select(s => s.EventId), other.AttackSteps.Select(s => s.EventId));
    }

    [Theory]
    [InlineData("leaked-access-key")]
    [InlineData("compromised-instance-role")]
    [InlineData("public-bucket-exposure")]
    [InlineData("stolen-azure-session")]
    [InlineData("leaked-gcp-service-account-key")]
    public async Task Readers_ReadBackExactlyTheWrittenEvents_IncludingEveryAttackStep(string scenario)
    {
        var result = await AttackSimulator.RunAsync(new SimulationOptions { Scenario = scenario, OutputDirectory = Out(scenario), Events = 4000, Noise = 0.97, Seed = 3 }, Token);
        var reader = new CloudLogReader(new ReaderOptions { MaxDegreeOfParallelism = 2 });

        var events = await ReadBackAsync(Out(scenario), reader);

        Assert.Empty(reader.Summary.Problems);
        Assert.Equal(4000, result.TotalEvents);
        Assert.Equal(result.TotalEvents, events.Count);
        Assert.Equal(result.Files.Count, reader.Summary.Files);
        foreach (var (source, count) in result.EventsBySource)
        {
            Assert.Equal(count, events.Count(e => e.LogSource.Service == source));
        }

        Assert.Equal(["activitylogs", "cloudtrail", "gcp.audit"], result.EventsBySource.Keys.Order());
        Assert.Equal(events.Count, events.Select(e => e.EventId).Distinct().Count());

        // An independent oracle: the files parsed whole with System.Text.Json, in the reader's order.
        Assert.Equal(await NativeIdsAsync(Out(scenario)), events.Select(e => e.Provider == "azure" ? e.Raw.GetProperty("correlationId").GetString() : e.EventId));

        // A step names its record as the provider does: CloudTrail's eventID, Azure Activity's correlationId, GCP's insertId.
        var byId = events.ToDictionary(e => e.Provider == "azure" ? e.Raw.GetProperty("correlationId").GetString()! : e.EventId!);
        Assert.True(result.AttackSteps.Count >= 120, $"3% of 4000 events should be attacker activity, got {result.AttackSteps.Count}");
        foreach (var step in result.AttackSteps)
        {
            var written = byId[step.EventId];
            Assert.Equal(step.Operation, written.Operation);
            Assert.Equal(step.Service, written.Service);
            Assert.Equal(step.Time.ToUnixTimeSeconds(), written.Time.ToUnixTimeSeconds());
            if (written.Provider == "aws")
            {
                Assert.Equal(result.AwsAccountId, written.Account);
            }
            else if (written.Provider == "gcp")
            {
                // The leaked key's service account, from the attacker's address, in the account's own project.
                Assert.Equal((scenario, result.InitialAccess, result.AttackerIps[2]), ("leaked-gcp-service-account-key", written.Actor.Uid, written.SourceIp));
                Assert.Equal(result.InitialAccess.Split('@')[1].Split('.')[0], written.Account);
            }
            else
            {
                // The attacker's calls are the administrator's, from the attacker's address; elevating access is tenant-wide.
                Assert.Equal((scenario, result.InitialAccess, result.AttackerIps[0]), ("stolen-azure-session", written.Actor.Uid, written.SourceIp));
                Assert.True(written.Account is null == written.Operation.Contains("ELEVATEACCESS", StringComparison.Ordinal), written.Operation);
            }
        }
    }

    private static async Task<List<string?>> NativeIdsAsync(string dir)
    {
        var files = Directory.EnumerateFiles(dir, "*", SearchOption.AllDirectories).Order(StringComparer.Ordinal);
        List<string?> ids = [];
        foreach (var file in files)
        {
            var bytes = await File.ReadAllBytesAsync(file, Token);
            if (file.EndsWith(".gz", StringComparison.Ordinal))
            {
                using var gz = new System.IO.Compression.GZipStream(new MemoryStream(bytes), System.IO.Compression.CompressionMode.Decompress);
                using var plain = new MemoryStream();
                await gz.CopyToAsync(plain, Token);
                bytes = plain.ToArray();
            }

            if (file.Contains("AWSLogs", StringComparison.Ordinal))
            {
                using var document = System.Text.Json.JsonDocument.Parse(bytes);
                ids.AddRange(document.RootElement.GetProperty("Records").EnumerateArray().Select(r => r.GetProperty("eventID").GetString()));
                continue;
            }

            foreach (var line in System.Text.Encoding.UTF8.GetString(bytes).Split('\n', StringSplitOptions.RemoveEmptyEntries))
            {
                using var document = System.Text.Json.JsonDocument.Parse(line);
                var root = document.RootElement;
                ids.Add(root.TryGetProperty("insertId", out var insertId) ? insertId.GetString() : root.GetProperty("correlationId").GetString());
            }
        }

        return ids;
    }

    [Fact]
    public async Task LeakedAccessKey_ShowsTheWholeKillChain_FromTheAttackersAddress()
    {
        var result = await AttackSimulator.RunAsync(new SimulationOptions { Scenario = "leaked-access-key", OutputDirectory = Out("leak"), Events = 2000, Seed = 11 }, Token);

        var events = await ReadBackAsync(Out("leak"), new CloudLogReader());

        var attacker = events.Where(e => e.Actor.AccessKeyId == result.InitialAccess && result.AttackerIps.Contains(e.SourceIp)).ToList();
        Assert.Equal(result.AttackSteps.Count, attacker.Count);
        string[] chain = ["GetCallerIdentity", "ListUsers", "AttachUserPolicy", "CreateUser", "CreateAccessKey", "StopLogging", "DeleteTrail", "GetObject", "ModifySnapshotAttribute"];
        var operations = attacker.Select(e => e.Operation).ToList();
        Assert.All(chain, operation => Assert.Contains(operation, operations));
        Assert.True(operations.IndexOf("AttachUserPolicy") < operations.IndexOf("CreateUser"));
        Assert.True(operations.IndexOf("CreateAccessKey") < operations.IndexOf("StopLogging"));
        Assert.True(operations.IndexOf("StopLogging") < operations.IndexOf("DeleteTrail"));
        Assert.True(operations.IndexOf("DeleteTrail") < operations.IndexOf("GetObject"));
        Assert.Contains(attacker, e => e.Operation == "GetAccountAuthorizationDetails" && e.Outcome == EventOutcome.Failure && e.ErrorCode == "AccessDenied");
        Assert.Contains(result.AttackSteps, s => s.Tactic == "defense-evasion" && s.Operation == "StopLogging");

        // The same key is also used legitimately, from the office, which is what a hunt must tell apart.
        Assert.Contains(events, e => e.Actor.AccessKeyId == result.InitialAccess && !result.AttackerIps.Contains(e.SourceIp));
        Assert.Equal(0.05, (double)result.AttackSteps.Count / result.TotalEvents, precision: 2);
    }

    [Fact]
    public async Task StolenAzureSession_IsTheAdministratorFromOutside_AndTheBuiltInAzureRulesFindEveryStepButListingKeys()
    {
        var result = await AttackSimulator.RunAsync(new SimulationOptions { Scenario = "stolen-azure-session", OutputDirectory = Out("azure"), Events = 3000, Seed = 7 }, Token);

        var events = await ReadBackAsync(Out("azure"), new CloudLogReader());

        // The same administrator works from the office too: only the address (and what is done) tells the attacker apart.
        var admin = events.Where(e => e.Provider == "azure" && e.Actor.Uid == result.InitialAccess).ToList();
        Assert.Contains(admin, e => !result.AttackerIps.Contains(e.SourceIp));
        var outside = admin.Where(e => result.AttackerIps.Contains(e.SourceIp)).ToList();
        Assert.Equal(result.AttackSteps.Count, outside.Count);
        Assert.All(outside, e => Assert.Equal((true, "User"), (e.Actor.MfaUsed, e.Actor.Type)));

        var rules = CompiledRuleSet.Compile(BuiltInRules.Load().Documents);
        // Listing a storage account's keys has no built-in rule (an administrator does it often); every other step has one.
        Assert.All(outside.Where(e => !e.Operation.EndsWith("/LISTKEYS/ACTION", StringComparison.Ordinal)), e => Assert.NotEmpty(rules.Match(e)));
        var found = outside.SelectMany(e => rules.Match(e)).Select(r => r.Rule.Title).ToHashSet();
        Assert.Contains("Global Administrator Elevated to User Access Administrator", found);
        Assert.Contains("Azure Role Assignment Created or Changed", found);
        Assert.Contains("Azure VM Run Command Used", found);
        Assert.Contains("Managed Disk or Snapshot Export URL Requested", found);
        string[] order = ["privilege-escalation", "persistence", "credential-access", "execution", "exfiltration"];
        Assert.Equal(order, result.AttackSteps.Take(5).Select(s => s.Tactic));
    }

    [Fact]
    public async Task LeakedGcpServiceAccountKey_IsUsedFromOutside_AndTheBuiltInGcpRulesFindEveryCoreStep()
    {
        var result = await AttackSimulator.RunAsync(new SimulationOptions { Scenario = "leaked-gcp-service-account-key", OutputDirectory = Out("gcp"), Events = 3000, Seed = 7 }, Token);

        var events = await ReadBackAsync(Out("gcp"), new CloudLogReader());

        // The same service account deploys from the office (the background's terraform runs): the address tells them apart.
        var account = events.Where(e => e.Provider == "gcp" && e.Actor.Uid == result.InitialAccess).ToList();
        Assert.Contains(account, e => !result.AttackerIps.Contains(e.SourceIp));
        var outside = account.Where(e => result.AttackerIps.Contains(e.SourceIp)).ToList();
        Assert.Equal(result.AttackSteps.Count, outside.Count);

        var rules = CompiledRuleSet.Compile(BuiltInRules.Load().Documents);
        // The four core steps each have a built-in rule; the disk snapshots that follow have none (backups make them daily).
        var core = outside.Where(e => e.Operation != "v1.compute.disks.createSnapshot").ToList();
        Assert.Equal(4, core.Count);
        Assert.All(core, e => Assert.NotEmpty(rules.Match(e)));
        var found = core.SelectMany(e => rules.Match(e)).Select(r => r.Rule.Title).ToHashSet();
        Assert.Contains("GCP Service Account Key Created or Uploaded", found);
        Assert.Contains("GCP Log Sink Deleted or Changed", found);
        Assert.Contains("GCP IAM Policy Replaced", found);
        Assert.Equal(["persistence", "privilege-escalation", "defense-evasion", "exfiltration"], result.AttackSteps.Take(4).Select(s => s.Tactic));
    }

    [Fact]
    public async Task CompromisedInstanceRole_UsesTheInstanceSessionFromOutside()
    {
        var result = await AttackSimulator.RunAsync(new SimulationOptions { Scenario = "compromised-instance-role", OutputDirectory = Out("role"), Events = 2000, Seed = 5 }, Token);

        var events = await ReadBackAsync(Out("role"), new CloudLogReader());

        var session = events.Where(e => e.Actor.Arn == result.InitialAccess).ToList();
        Assert.Contains(session, e => e.SourceIp == "192.0.2.10");
        var outside = session.Where(e => result.AttackerIps.Contains(e.SourceIp)).ToList();
        Assert.Equal(result.AttackSteps.Count, outside.Count);
        Assert.All(outside, e => Assert.Equal("AssumedRole", e.Actor.Type));
        Assert.Contains(outside, e => e.Operation == "GetSecretValue");
        Assert.Contains(outside, e => e.Operation == "PutRolePolicy");
        Assert.Contains(outside, e => e.Operation == "PutEventSelectors");
        Assert.Single(outside.Select(e => e.Actor.AccessKeyId).Distinct());
    }

    [Theory]
    [InlineData("compromised-instance-role")]
    [InlineData("leaked-access-key")]
    public async Task EveryTemporaryKey_BelongsToOneSession_AndTheStolenOneIsTheInstancesOwn(string scenario)
    {
        // A temporary (ASIA) key is issued to one session: following a key must lead to that session's calls alone, not to
        // every hour's session of the instance role or every CI job.
        var result = await AttackSimulator.RunAsync(new SimulationOptions { Scenario = scenario, OutputDirectory = Out("keys"), Events = 6000, Seed = 11 }, Token);

        var events = await ReadBackAsync(Out("keys"), new CloudLogReader());

        static string Session(CloudEvent e) =>
            e.Actor.Arn + " @ " + (e.Raw.TryGetProperty("userIdentity", out var who) && who.TryGetProperty("sessionContext", out var context)
                && context.TryGetProperty("attributes", out var attributes) && attributes.TryGetProperty("creationDate", out var created) ? created.GetString() : "?");
        var temporary = events.Where(e => e.Actor.AccessKeyId?.StartsWith("ASIA", StringComparison.Ordinal) == true && e.Actor.Type == "AssumedRole").ToList();
        Assert.True(temporary.Select(Session).Distinct().Count() > 3, "the background should hold several role sessions");
        Assert.Empty(temporary.GroupBy(e => e.Actor.AccessKeyId).Where(key => key.Select(Session).Distinct().Count() > 1).Select(key => key.Key));
        Assert.Empty(temporary.GroupBy(Session).Where(session => session.Select(e => e.Actor.AccessKeyId).Distinct().Count() > 1).Select(session => session.Key));

        if (scenario == "compromised-instance-role")
        {
            var stolen = Assert.Single(events.Where(e => result.AttackerIps.Contains(e.SourceIp)).Select(e => e.Actor.AccessKeyId).Distinct());
            Assert.Contains(events, e => e.Actor.AccessKeyId == stolen && e.SourceIp == "192.0.2.10");
        }
    }

    [Fact]
    public async Task PublicBucketExposure_OpensTheBucket_ThenStrangersDownload()
    {
        var result = await AttackSimulator.RunAsync(new SimulationOptions { Scenario = "public-bucket-exposure", OutputDirectory = Out("public"), Events = 1000, Noise = 0.9, Seed = 2, Compress = false }, Token);

        Assert.All(result.Files, f => Assert.EndsWith(".json", f));
        var events = await ReadBackAsync(Out("public"), new CloudLogReader());

        Assert.Equal(100, result.AttackSteps.Count);
        var policy = Assert.Single(events, e => e.Operation == "PutBucketPolicy");
        Assert.Equal("*", policy.RequestParameters!.Value.GetProperty("bucketPolicy").GetProperty("Statement")[0].GetProperty("Principal").GetString());
        var anonymous = events.Where(e => e.Actor.Type == "AWSAccount" && e.Raw.GetProperty("userIdentity").GetProperty("accountId").GetString() == "anonymous").ToList();
        Assert.True(anonymous.Count >= 90);
        Assert.All(anonymous, e => Assert.True(e.Time > policy.Time));
    }

    [Fact]
    public async Task AzureAndGcpBackground_OneUserOneObjectId_AndUserAgentsThatNameTheCall()
    {
        // Each Azure event gave its user a new object id (50 ids for one alice), and every gcloud call said it was
        // instances.start.
        await AttackSimulator.RunAsync(new SimulationOptions { Scenario = "leaked-access-key", OutputDirectory = Out("bg"), Events = 3000, Noise = 0.99, Seed = 5 }, Token);

        var events = await ReadBackAsync(Out("bg"), new CloudLogReader());

        var azure = events.Where(e => e.Provider == "azure").ToList();
        Assert.NotEmpty(azure);
        Assert.All(azure.GroupBy(e => e.Actor.Uid), user =>
            Assert.Single(user.Select(e => e.Raw.GetProperty("identity").GetProperty("claims").GetProperty("http://schemas.microsoft.com/identity/claims/objectidentifier").GetString()).Distinct()));
        Assert.True(azure.Select(e => e.Actor.Uid).Distinct().Count() > 1);
        Assert.All(azure, e => Assert.Equal("User", e.Actor.Type));
        var gcp = events.Where(e => e.Provider == "gcp").ToList();
        Assert.Contains(gcp, e => e.Operation == "v1.compute.instances.stop");
        Assert.All(gcp, e => Assert.Contains(
            e.Operation switch
            {
                "v1.compute.instances.stop" => "command/gcloud.compute.instances.stop ",
                "v1.compute.instances.start" => "command/gcloud.compute.instances.start ",
                "storage.buckets.update" => "command/gcloud.storage.buckets.update ",
                _ => "command/gcloud.container.clusters.update ",
            }, e.UserAgent, StringComparison.Ordinal));
    }

    [Fact]
    public async Task CloudTrailFiles_AreLaidOutLikeS3Delivery()
    {
        var result = await AttackSimulator.RunAsync(new SimulationOptions { Scenario = "leaked-access-key", OutputDirectory = Out("layout"), Events = 500, Seed = 1 }, Token);

        var trailFiles = result.Files.Where(f => f.StartsWith("AWSLogs/", StringComparison.Ordinal)).ToList();
        Assert.NotEmpty(trailFiles);
        Assert.All(trailFiles, f => Assert.Matches(
            $@"^AWSLogs/o-[a-z0-9]{{10}}/{result.AwsAccountId}/CloudTrail/[a-z]+-[a-z]+-\d/\d{{4}}/\d{{2}}/\d{{2}}/{result.AwsAccountId}_CloudTrail_[a-z]+-[a-z]+-\d_\d{{8}}T\d{{4}}Z_[A-Za-z0-9]{{16}}\.json\.gz$", f));
        Assert.Contains(result.Files, f => f.EndsWith("/PT1H.json", StringComparison.Ordinal));
        Assert.Contains(result.Files, f => f.StartsWith("cloudaudit.googleapis.com/activity/", StringComparison.Ordinal));

        await using var gz = new System.IO.Compression.GZipStream(File.OpenRead(Path.Combine(Out("layout"), trailFiles[0])), System.IO.Compression.CompressionMode.Decompress);
        using var document = await System.Text.Json.JsonDocument.ParseAsync(gz, cancellationToken: Token);
        Assert.True(document.RootElement.GetProperty("Records").GetArrayLength() > 0);
    }

    [Fact]
    public void EveryScenario_HasADescription() =>
        Assert.All(AttackSimulator.Scenarios, s => Assert.False(string.IsNullOrWhiteSpace(AttackSimulator.Describe(s))));

    [Fact]
    public async Task UnknownScenario_IsRejected()
    {
        var error = await Assert.ThrowsAsync<ArgumentException>(() =>
            AttackSimulator.RunAsync(new SimulationOptions { Scenario = "crypto-mining", OutputDirectory = Out("x") }, Token));

        Assert.Contains("leaked-access-key", error.Message);
    }
}
