using System.IO.Compression;
using System.Text;
using Firebreak.Detection.Events;
using Firebreak.Detection.Readers;

namespace Firebreak.Detection.Tests.Readers;

public class CloudTrailReaderTests
{
    [Fact]
    public async Task DeliveryFile_MapsEveryNormalisedField()
    {
        var reader = new CloudLogReader();

        var events = await reader.ReadAllAsync(TestData.Fixture("cloudtrail-delivery.json"));

        Assert.Equal(3, events.Count);
        Assert.Empty(reader.Summary.Problems);

        var login = events[0];
        Assert.Equal(new DateTimeOffset(2026, 3, 2, 8, 15, 4, TimeSpan.Zero), login.Time);
        Assert.Equal(new LogSource("aws", "cloudtrail"), login.LogSource);
        Assert.Equal("aws", login.Provider);
        Assert.Equal("111122223333", login.Account);
        Assert.Equal("us-east-1", login.Region);
        Assert.Equal("ConsoleLogin", login.Operation);
        Assert.Equal("signin.amazonaws.com", login.Service);
        Assert.Equal("IAMUser", login.Actor.Type);
        Assert.Equal("arn:aws:iam::111122223333:user/devops-alice", login.Actor.Uid);
        Assert.Equal("devops-alice", login.Actor.Name);
        Assert.True(login.Actor.MfaUsed);
        Assert.Equal("198.51.100.23", login.SourceIp);
        Assert.StartsWith("Mozilla/5.0", login.UserAgent);
        Assert.Equal(EventOutcome.Success, login.Outcome);
        Assert.Equal("3f0f5c1e-8d0b-4a53-9b57-6c1f7e0e7a01", login.EventId);
        Assert.Equal("Success", login.ResponseParameters!.Value.GetProperty("ConsoleLogin").GetString());
        Assert.Null(login.RequestParameters);

        var key = events[1];
        Assert.Equal("AssumedRole", key.Actor.Type);
        Assert.Equal("ASIA4EXAMPLESESSION1", key.Actor.AccessKeyId);
        Assert.Equal("arn:aws:iam::111122223333:role/ci-build", key.Actor.SessionIssuer);
        Assert.Equal(
            ["alice@example.com", "arn:aws:iam::111122223333:role/ci-build", "arn:aws:sts::111122223333:assumed-role/ci-build/ci-runner-42"],
            key.Actor.AssumedRoleChain);
        Assert.Equal("ci-runner-42", key.Actor.Name);
        Assert.False(key.Actor.MfaUsed);
        Assert.Equal("backup-bot", key.RequestParameters!.Value.GetProperty("userName").GetString());
        Assert.Contains(key.Resources, r => r is { Type: "AWS::IAM::User", Uid: "backup-bot" });

        var denied = events[2];
        Assert.Equal(EventOutcome.Failure, denied.Outcome);
        Assert.Equal("AccessDenied", denied.ErrorCode);
        Assert.Contains("not authorized", denied.ErrorMessage);
        Assert.Equal("eu-west-1", denied.Region);
        Assert.Equal([new EventResource("AWS::CloudTrail::Trail", "arn:aws:cloudtrail:eu-west-1:111122223333:trail/org-trail")], denied.Resources);
        Assert.Equal("StopLogging", denied.Raw.GetProperty("eventName").GetString());
        Assert.Equal(new EventOrigin(TestData.Fixture("cloudtrail-delivery.json"), 4, 2), denied.Origin);
    }

    [Fact]
    public async Task JsonLines_SkipBlankLines_AndMapServiceAndRootIdentities()
    {
        var reader = new CloudLogReader();

        var events = await reader.ReadAllAsync(TestData.Fixture("cloudtrail-lines.jsonl"));

        Assert.Equal(["ListBuckets", "AssumeRole", "GetObject"], events.Select(e => e.Operation));
        Assert.Equal("Root", events[0].Actor.Type);
        Assert.Null(events[0].Actor.AccessKeyId);
        Assert.Equal("AWSService", events[1].Actor.Type);
        Assert.Equal("ec2.amazonaws.com", events[1].Actor.Uid);
        Assert.Contains(events[2].Resources, r => r.Uid == "arn:aws:s3:::acme-payroll-exports");
        Assert.Empty(reader.Summary.Problems);
    }

    [Fact]
    public async Task CloudTrailLakeRows_AreJoinedIntoRecords()
    {
        var reader = new CloudLogReader();

        var events = await reader.ReadAllAsync(TestData.Fixture("cloudtrail-lake-rows.json"));

        Assert.Empty(reader.Summary.Problems);
        Assert.Equal(2, events.Count);
        var attach = events[0];
        Assert.Equal("AttachUserPolicy", attach.Operation);
        Assert.Equal(new DateTimeOffset(2026, 3, 4, 7, 30, 12, TimeSpan.Zero), attach.Time);
        Assert.Equal("arn:aws:iam::111122223333:user/devops-alice", attach.Actor.Arn);
        Assert.Equal("AKIA4EXAMPLEALICE001", attach.Actor.AccessKeyId);
        Assert.Equal("arn:aws:iam::aws:policy/AdministratorAccess", attach.RequestParameters!.Value.GetProperty("policyArn").GetString());
        Assert.Equal(EventOutcome.Failure, events[1].Outcome);
        Assert.Equal("TrailNotFoundException", events[1].ErrorCode);
    }

    [Fact]
    public async Task CloudTrailLakeRows_KeepTheirTextAsWritten()
    {
        // A row is joined into a record by writing it again: written with the default escaping, "josé+ops" was stored as
        // "jos\u00E9\u002Bops", and a search of the incident's events for it found nothing.
        const string row = """{"QueryResultRows":[[{"eventVersion":"1.08"},{"eventID":"lake-text"},{"eventTime":"2026-01-15 08:10:00.000"},{"eventSource":"iam.amazonaws.com"},{"eventName":"CreateUser"},{"awsRegion":"us-east-1"},{"userIdentity":"{\"type\":\"IAMUser\",\"userName\":\"josé+ops\"}"},{"requestParameters":"{\"userName\":\"o'brien<&>\"}"}]]}""";
        var reader = new CloudLogReader();

        var cloudEvent = Assert.Single(await reader.ReadAllAsync(new MemoryStream(System.Text.Encoding.UTF8.GetBytes(row)), "lake.json"));

        Assert.Contains("josé+ops", cloudEvent.Raw.GetRawText(), StringComparison.Ordinal);
        Assert.Contains("o'brien<&>", cloudEvent.Raw.GetRawText(), StringComparison.Ordinal);
    }

    // An Insights event as a trail delivers it (CloudTrail-Insight folder), with the fields AWS documents for one.
    internal const string InsightStart = """{"eventVersion":"1.07","eventTime":"2026-01-15T08:10:00Z","awsRegion":"us-east-1","eventID":"insight-start","eventType":"AwsCloudTrailInsight","recipientAccountId":"111122223333","sharedEventID":"shared-1","insightDetails":{"state":"Start","eventSource":"iam.amazonaws.com","eventName":"CreateAccessKey","insightType":"ApiCallRateInsight","insightContext":{"statistics":{"baseline":{"average":0.0},"insight":{"average":14.0},"insightDuration":1,"baselineDuration":10080},"attributions":[{"attribute":"userIdentityArn","insight":[{"value":"arn:aws:iam::111122223333:user/leaked","average":14.0}],"baseline":[]}]}},"eventCategory":"Insight"}""";

    [Fact]
    public async Task InsightsEvents_AreReadAsCloudTrail_ToldApartFromTheCallsTheyAreAbout()
    {
        // Reported as records of no known format before: a trail with Insights on had every finding CloudTrail raised left out.
        var end = InsightStart.Replace("\"Start\"", "\"End\"").Replace("insight-start", "insight-end").Replace("08:10:00", "08:25:00");
        var delivery = "{\"Records\":[" + InsightStart + "," + end + "]}";
        // CloudTrail Lake keeps insightDetails as JSON text in a result row.
        var lake = """{"QueryResultRows":[[{"eventVersion":"1.07"},{"eventType":"AwsCloudTrailInsight"},{"eventID":"lake-insight"},{"eventTime":"2026-01-15 08:10:00.000"},{"awsRegion":"eu-west-1"},{"insightDetails":"{\"state\":\"Start\",\"eventSource\":\"ec2.amazonaws.com\",\"eventName\":\"RunInstances\",\"insightType\":\"ApiErrorRateInsight\"}"}]]}""";
        var reader = new CloudLogReader();

        var events = await reader.ReadAllAsync(new MemoryStream(Encoding.UTF8.GetBytes(delivery)), "111122223333_CloudTrail-Insight_us-east-1_20260115T0815Z_x.json");
        events.AddRange(await reader.ReadAllAsync(new MemoryStream(Encoding.UTF8.GetBytes(lake)), "lake.json"));

        Assert.Empty(reader.Summary.Problems);
        Assert.Equal(["insight-start", "insight-end", "lake-insight"], events.Select(e => e.EventId));
        var start = events[0];
        Assert.Equal(new LogSource("aws", "cloudtrail"), start.LogSource);
        Assert.Equal("ApiCallRateInsight Start: CreateAccessKey", start.Operation);
        Assert.Equal("ApiCallRateInsight End: CreateAccessKey", events[1].Operation);
        Assert.Equal("iam.amazonaws.com", start.Service);
        Assert.Equal(new DateTimeOffset(2026, 1, 15, 8, 10, 0, TimeSpan.Zero), start.Time);
        Assert.Equal(("111122223333", "us-east-1"), (start.Account, start.Region));
        Assert.Equal(("AWSService", "cloudtrail.amazonaws.com"), (start.Actor.Type, start.Actor.Uid));
        Assert.Equal(EventOutcome.Unknown, start.Outcome);
        Assert.Equal(14.0, start.ResponseParameters!.Value.GetProperty("insightContext").GetProperty("statistics").GetProperty("insight").GetProperty("average").GetDouble());
        Assert.Equal("ApiErrorRateInsight Start: RunInstances", events[2].Operation);
        Assert.Equal(("ec2.amazonaws.com", "eu-west-1"), (events[2].Service, events[2].Region));
    }

    [Fact]
    public async Task InsightsEvents_FromAnEventDataStore_WithTheirFactsAtTheTopLevel_AreRead()
    {
        // The fields AWS documents for an Insights event data store's records: no insightDetails.
        const string record = """{"eventVersion":"1.08","eventCategory":"Insight","eventType":"AwsCloudTrailInsight","eventID":"eds-1","eventTime":"2026-01-15T08:10:00Z","awsRegion":"us-east-1","recipientAccountId":"111122223333","sharedEventID":"s-1","insightSource":"arn:aws:cloudtrail:us-east-1:111122223333:eventdatastore/EXAMPLE","insightState":"Start","insightEventSource":"iam.amazonaws.com","insightEventName":"CreateAccessKey","insightErrorCode":null,"insightType":"ApiCallRateInsight","insightContext":{"statistics":{"baseline":{"average":0.0},"insight":{"average":14.0}}}}""";
        // As a query returns it: one column each, insightContext as JSON text.
        const string row = """{"QueryResultRows":[[{"eventType":"AwsCloudTrailInsight"},{"eventID":"eds-2"},{"eventTime":"2026-01-15 08:25:00.000"},{"insightState":"End"},{"insightEventSource":"iam.amazonaws.com"},{"insightEventName":"CreateAccessKey"},{"insightType":"ApiCallRateInsight"},{"insightContext":"{\"statistics\":{\"insightDuration\":15}}"}]]}""";
        var reader = new CloudLogReader();

        var events = await reader.ReadAllAsync(new MemoryStream(Encoding.UTF8.GetBytes(record)), "eds.jsonl");
        events.AddRange(await reader.ReadAllAsync(new MemoryStream(Encoding.UTF8.GetBytes(row)), "eds-query.json"));

        Assert.Empty(reader.Summary.Problems);
        Assert.Equal(["ApiCallRateInsight Start: CreateAccessKey", "ApiCallRateInsight End: CreateAccessKey"], events.Select(e => e.Operation));
        Assert.All(events, e => Assert.Equal("iam.amazonaws.com", e.Service));
        Assert.Equal(14.0, events[0].ResponseParameters!.Value.GetProperty("statistics").GetProperty("insight").GetProperty("average").GetDouble());
        Assert.Equal(15, events[1].ResponseParameters!.Value.GetProperty("statistics").GetProperty("insightDuration").GetInt32());
    }

    [Theory]
    [InlineData("""{"eventVersion":"1.07","eventType":"AwsCloudTrailInsight","eventID":"a","insightDetails":{"eventName":"X"}}""", "no valid eventTime")]
    [InlineData("""{"eventVersion":"1.07","eventTime":"2026-01-15T08:10:00Z","eventType":"AwsCloudTrailInsight","eventID":"a","insightDetails":"not an object"}""", "no insightDetails object")]
    public async Task AnInsightsEventMissingWhatItNeeds_IsReported(string record, string reason)
    {
        var reader = new CloudLogReader();

        Assert.Empty(await reader.ReadAllAsync(new MemoryStream(Encoding.UTF8.GetBytes(record)), "insight.json"));

        Assert.Contains(reason, Assert.Single(reader.Summary.Problems).Reason, StringComparison.Ordinal);
    }

    [Fact]
    public async Task SignInResults_IdentityCenterUsers_AndFederatedUsers_AreMappedAsTheyAreWritten()
    {
        static string Line(string id, string name, string identity, string more = "") =>
            $$"""{"eventVersion":"1.09","eventTime":"2026-03-02T08:00:00Z","eventSource":"signin.amazonaws.com","eventName":"{{name}}","eventID":"{{id}}","userIdentity":{{identity}}{{more}}}""";
        const string Iam = """{"type":"IAMUser","arn":"arn:aws:iam::111122223333:user/dana","accountId":"111122223333","userName":"dana"}""";
        var content = string.Join("\n",
            Line("mfa-failed", "CheckMfa", Iam, ""","responseElements":{"CheckMfa":"Failure"}"""),
            Line("mfa-passed", "CheckMfa", Iam, ""","responseElements":{"CheckMfa":"Success"}"""),
            Line("credential-failed", "CredentialVerification", Iam, ""","serviceEventDetails":{"CredentialVerification":"Failure","FailureReason":"INVALID_CREDENTIAL"}"""),
            Line("console-failed", "ConsoleLogin", Iam, ""","responseElements":{"ConsoleLogin":"Failure"}"""),
            Line("identity-center", "ListBuckets", """{"type":"IdentityCenterUser","accountId":"111122223333","onBehalfOf":{"userId":"544894e8-80c1-707f-60e3-3ba6510dfac1","identityStoreArn":"arn:aws:identitystore::111122223333:identitystore/d-9067642ac7"},"credentialId":"EXAMPLEcredential"}"""),
            Line("federated", "ListBuckets", """{"type":"FederatedUser","principalId":"111122223333:Bob","arn":"arn:aws:sts::111122223333:federated-user/Bob","accountId":"111122223333","sessionContext":{"sessionIssuer":{"type":"IAMUser","principalId":"AIDAEXAMPLEALICE","arn":"arn:aws:iam::111122223333:user/Alice","accountId":"111122223333","userName":"Alice"}}}"""));
        var reader = new CloudLogReader();

        var events = (await reader.ReadAllAsync(new MemoryStream(Encoding.UTF8.GetBytes(content)), "signin.jsonl")).ToDictionary(e => e.EventId!);

        Assert.Empty(reader.Summary.Problems);
        Assert.Equal(EventOutcome.Failure, events["mfa-failed"].Outcome);
        Assert.Equal(EventOutcome.Success, events["mfa-passed"].Outcome);
        Assert.Equal((EventOutcome.Failure, "INVALID_CREDENTIAL"), (events["credential-failed"].Outcome, events["credential-failed"].ErrorMessage));
        Assert.Equal(EventOutcome.Failure, events["console-failed"].Outcome);
        var center = events["identity-center"].Actor;
        Assert.Equal(("IdentityCenterUser", "544894e8-80c1-707f-60e3-3ba6510dfac1"), (center.Type, center.Uid));
        Assert.Equal(["544894e8-80c1-707f-60e3-3ba6510dfac1"], center.AssumedRoleChain);
        var federated = events["federated"].Actor;
        Assert.Equal(("Bob", "arn:aws:iam::111122223333:user/Alice"), (federated.Name, federated.SessionIssuer));
    }

    [Fact]
    public async Task TopLevelNamesWrittenWithEscapes_MapLikeThePlainNames()
    {
        // JSON allows any name to be written with \u escapes; a record so written must not lose its normalised
        // fields (the time line, the actor, the source address) while rules, which look names up unescaped, still match.
        var plain = await File.ReadAllTextAsync(TestData.Fixture("cloudtrail-delivery.json"));
        var escaped = new StringBuilder("{\"Records\":[");
        foreach (var record in System.Text.Json.Nodes.JsonNode.Parse(plain)!["Records"]!.AsArray())
        {
            escaped.Append(escaped[^1] == '[' ? "{" : ",{");
            escaped.AppendJoin(',', record!.AsObject().Select(p => $"\"\\u{(int)p.Key[0]:x4}{p.Key[1..]}\":{p.Value?.ToJsonString() ?? "null"}"));
            escaped.Append('}');
        }
        escaped.Append("]}");
        Assert.Contains("\\u0065ventName", escaped.ToString());

        var expected = await new CloudLogReader().ReadAllAsync(TestData.Fixture("cloudtrail-delivery.json"));
        var reader = new CloudLogReader();
        var events = await reader.ReadAllAsync(new MemoryStream(Encoding.UTF8.GetBytes(escaped.ToString())), "escaped.json");

        Assert.Empty(reader.Summary.Problems);
        Assert.Equal(expected.Select(Normalised), events.Select(Normalised));
        Assert.All(events, e => Assert.NotNull(e.SourceIp));
    }

    private static string Normalised(CloudEvent e) => string.Join(" | ",
        e.Time.ToString("O"), e.EventId, e.LogSource, e.Provider, e.Account, e.Region,
        e.Actor with { AssumedRoleChain = [] }, string.Join(",", e.Actor.AssumedRoleChain), e.SourceIp, e.UserAgent, e.Service, e.Operation,
        string.Join(",", e.Resources), e.Outcome, e.ErrorCode, e.ErrorMessage, Canonical(e.RequestParameters), Canonical(e.ResponseParameters));

    private static string? Canonical(System.Text.Json.JsonElement? value) =>
        value is { } v ? System.Text.Json.Nodes.JsonNode.Parse(v.GetRawText())?.ToJsonString() : null;

    [Theory]
    [InlineData("single")]
    [InlineData("array")]
    [InlineData("concatenated-delivery-files")]
    public async Task EveryContainerShape_YieldsTheSameRecords(string shape)
    {
        var record = """{"eventVersion":"1.08","eventTime":"2026-01-01T00:00:00Z","eventSource":"iam.amazonaws.com","eventName":"ListUsers","eventID":"id-1","userIdentity":{"type":"IAMUser","arn":"arn:aws:iam::1:user/a"}}""";
        var content = shape switch
        {
            "single" => record,
            "array" => $"[{record},{record.Replace("id-1", "id-2")}]",
            _ => $"{{\"Records\":[{record}]}}\n{{\"Records\":[{record.Replace("id-1", "id-2")}]}}",
        };
        var reader = new CloudLogReader();

        var events = await reader.ReadAllAsync(new MemoryStream(Encoding.UTF8.GetBytes(content)), shape);

        Assert.Empty(reader.Summary.Problems);
        Assert.Equal(shape == "single" ? ["id-1"] : ["id-1", "id-2"], events.Select(e => e.EventId));
    }

    [Fact]
    public async Task LookupEventsOutput_IsUnwrappedToTheFullRecords()
    {
        using var delivery = System.Text.Json.JsonDocument.Parse(await File.ReadAllTextAsync(TestData.Fixture("cloudtrail-delivery.json"), TestContext.Current.CancellationToken));
        var events = delivery.RootElement.GetProperty("Records").EnumerateArray().Select(r => new System.Text.Json.Nodes.JsonObject
        {
            ["EventId"] = r.GetProperty("eventID").GetString(),
            ["EventName"] = r.GetProperty("eventName").GetString(),
            ["ReadOnly"] = "false",
            ["EventTime"] = 1772439304.0,
            ["EventSource"] = r.GetProperty("eventSource").GetString(),
            ["Resources"] = new System.Text.Json.Nodes.JsonArray(),
            ["CloudTrailEvent"] = r.GetRawText(),
        });
        var output = new System.Text.Json.Nodes.JsonObject { ["Events"] = new System.Text.Json.Nodes.JsonArray([.. events]), ["NextToken"] = "eyJ0b2tlbiI6IDF9" }.ToJsonString();
        var reader = new CloudLogReader();

        var read = await reader.ReadAllAsync(new MemoryStream(Encoding.UTF8.GetBytes(output)), "lookup-events.json");

        Assert.Empty(reader.Summary.Problems);
        Assert.Equal(["ConsoleLogin", "CreateAccessKey", "StopLogging"], read.Select(e => e.Operation));
        Assert.Equal("ASIA4EXAMPLESESSION1", read[1].Actor.AccessKeyId);
        Assert.Equal("AccessDenied", read[2].Raw.GetProperty("errorCode").GetString());
    }

    [Fact]
    public async Task Directory_IsReadRecursively_IncludingGzipDetectedByContent()
    {
        var dir = Directory.CreateTempSubdirectory("firebreak-ct-");
        try
        {
            var nested = Directory.CreateDirectory(Path.Combine(dir.FullName, "AWSLogs", "111122223333", "CloudTrail", "us-east-1"));
            File.Copy(TestData.Fixture("cloudtrail-delivery.json"), Path.Combine(nested.FullName, "a.json"));

            // A compressed file whose name does not say so: detection goes by the gzip magic bytes.
            await using (var gz = new GZipStream(File.Create(Path.Combine(nested.FullName, "b.log")), CompressionLevel.Fastest))
            {
                await gz.WriteAsync(await File.ReadAllBytesAsync(TestData.Fixture("cloudtrail-lines.jsonl"), TestContext.Current.CancellationToken), TestContext.Current.CancellationToken);
            }

            var reader = new CloudLogReader();
            var events = await reader.ReadAllAsync(dir.FullName);

            Assert.Empty(reader.Summary.Problems);
            Assert.Equal(6, events.Count);
            Assert.Equal(2, reader.Summary.Files);
            Assert.Equal(0, reader.Summary.Errors);
            Assert.True(reader.Summary.Bytes > 0);
            Assert.Equal(6, reader.Summary.Events);

            var globbed = await new CloudLogReader().ReadAllAsync(Path.Combine(dir.FullName, "**", "*.log"));
            Assert.Equal(3, globbed.Count);
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }

    [Fact]
    public async Task ExplicitFormat_OverridesDetection()
    {
        var problems = new List<ReadProblem>();
        var reader = new CloudLogReader(new ReaderOptions { Format = LogFormat.GcpAudit, OnProblem = problems.Add });

        var events = await reader.ReadAllAsync(TestData.Fixture("cloudtrail-delivery.json"));

        Assert.Empty(events);
        Assert.Equal(3, problems.Count);
        Assert.All(problems, p => Assert.Contains("methodName", p.Reason));
    }

    [Fact]
    public async Task Parallel_MappingKeepsFileOrder()
    {
        var sequential = await new CloudLogReader().ReadAllAsync(TestData.Fixture("cloudtrail-delivery.json"), TestData.Fixture("cloudtrail-lines.jsonl"));
        var parallel = await new CloudLogReader(new ReaderOptions { MaxDegreeOfParallelism = 2, BatchBytes = 1 })
            .ReadAllAsync(TestData.Fixture("cloudtrail-delivery.json"), TestData.Fixture("cloudtrail-lines.jsonl"));

        Assert.Equal(sequential.Select(e => e.EventId), parallel.Select(e => e.EventId));
    }
}

public class PublicCloudTrailDatasetTests
{
    [Fact]
    public async Task InvictusDataset_IsReadCompletely_WithoutProblems()
    {
        var dataset = TestData.SharedData("cloudtrail/invictus-aws-dataset");
        var reader = new CloudLogReader(new ReaderOptions { MaxDegreeOfParallelism = 2 });

        var events = await reader.ReadAllAsync(Path.Combine(dataset, "*.json"));

        Assert.Empty(reader.Summary.Problems);
        Assert.Equal(55, reader.Summary.Files);
        Assert.Equal(2900, events.Count);
        Assert.Equal(["cloudtrail"], events.Select(e => e.LogSource.Service).Distinct());
        Assert.Equal(["123837392027"], events.Select(e => e.Account).Distinct());
        Assert.DoesNotContain(events, e => e.EventId is null || e.Actor.Type is null || e.Actor.Uid is null);
        Assert.Equal(events.Count, events.Select(e => e.EventId).Distinct().Count());
        Assert.Contains(events, e => e.Operation == "StopLogging");
    }
}
