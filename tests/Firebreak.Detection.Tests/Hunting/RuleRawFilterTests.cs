using Firebreak.Detection.Hunting;
using Firebreak.Detection.Readers;
using Firebreak.Detection.Rules;
using Firebreak.Detection.Sigma;
using Firebreak.Detection.Simulation;

namespace Firebreak.Detection.Tests.Hunting;

public sealed class RuleRawFilterTests : IDisposable
{
    private readonly DirectoryInfo _root = Directory.CreateTempSubdirectory("firebreak-rawfilter-");

    public void Dispose() => _root.Delete(recursive: true);

    private static CancellationToken Token => TestContext.Current.CancellationToken;

    private static CompiledRuleSet Compile(string yaml)
    {
        var parsed = SigmaParser.Parse(yaml, "filter.yml");
        Assert.Empty(parsed.Diagnostics);
        return CompiledRuleSet.Compile(parsed.Documents);
    }

    private static RawRecordFilter Filter(string yaml, LogFormat format = LogFormat.Auto)
    {
        var filter = RuleRawFilter.Create(Compile(yaml), format);
        Assert.NotNull(filter);
        return filter;
    }

    private static string CloudTrail(string name, string more = "") =>
        $$"""{"eventVersion":"1.08","userIdentity":{"type":"IAMUser"},"eventTime":"2026-01-15T08:00:00Z","eventSource":"ec2.amazonaws.com","eventName":"{{name}}"{{more}}}""";

    private const string TrailStopped = """
        title: trail stopped
        logsource: {product: aws, service: cloudtrail}
        detection:
          sel: {eventName: StopLogging}
          condition: sel
        """;

    private const string Gcp = """{"protoPayload":{"@type":"type.googleapis.com/google.cloud.audit.AuditLog","methodName":"v1.compute.instances.list"},"timestamp":"2026-01-15T08:00:00Z"}""";

    [Fact]
    public void OperationNeedles_AreLookedForInTheEventName_InAnyCase()
    {
        var filter = Filter("""
            title: trail stopped
            logsource: {product: aws, service: cloudtrail}
            detection:
              sel: {eventName: [StopLogging, DeleteTrail]}
              condition: sel
            ---
            title: azure run command
            logsource: {product: azure, service: activitylogs}
            detection:
              sel: {operationName|startswith: 'MICROSOFT.COMPUTE/VIRTUALMACHINES/RUNCOMMAND'}
              condition: sel
            """);

        Assert.True(filter(System.Text.Encoding.UTF8.GetBytes(CloudTrail("StopLogging"))));
        Assert.True(filter(System.Text.Encoding.UTF8.GetBytes(CloudTrail("stoplogging"))));
        // Spaces around the colon, as some writers put them.
        Assert.True(filter("""{"eventVersion": "1.08", "eventSource": "cloudtrail.amazonaws.com", "eventName" :  "DeleteTrail"}"""u8));
        // The name elsewhere in the record is not the operation: a CloudTrail record is judged by its eventName.
        Assert.False(filter(System.Text.Encoding.UTF8.GetBytes(CloudTrail("DescribeInstances", ""","requestParameters":{"note":"StopLogging"}"""))));
        // An escaped value cannot be read raw, so the record is kept.
        Assert.True(filter(System.Text.Encoding.UTF8.GetBytes(CloudTrail("Describe\\u0049nstances"))));
        // Nor can an escaped name: the eventName seen raw is a nested one, not the record's.
        Assert.True(filter(System.Text.Encoding.UTF8.GetBytes(CloudTrail("StopLogging", ""","requestParameters":{"filter":{"eventName":"StartLogging"}}""").Replace("\"eventName\":\"StopLogging\"", "\"event\\u004eame\":\"StopLogging\""))));
        Assert.True(filter("""{"operationName":"Microsoft.Compute\/virtualMachines\/runCommand\/action"}"""u8));
        Assert.False(filter("""{"operationName":"Microsoft.Storage/storageAccounts/read","note":"é"}"""u8));
        // Bytes of no known format are passed on, for the reader to report.
        Assert.True(filter(new byte[10_000]));
    }

    [Fact]
    public void OtherFieldNeedles_AreLookedForAnywhere_AndTheMostSelectiveIsChosen()
    {
        var rules = Compile("""
            title: root
            logsource: {product: aws, service: cloudtrail}
            detection:
              sel: {userIdentity.type: Root}
              condition: sel
            ---
            title: assumed role with an issuer
            logsource: {product: aws, service: cloudtrail}
            detection:
              sel:
                userIdentity.type: AssumedRole
                userIdentity.sessionContext.sessionIssuer.type: Role
              condition: sel
            ---
            title: imds credentials
            logsource: {product: aws, service: cloudtrail}
            detection:
              sel: {userIdentity.arn|re: '.+:assumed-role/aws:.+'}
              filter: {sourceIPAddress: 'AWS Internal'}
              condition: sel and not filter
            ---
            title: ec2 event with an operation
            logsource: {product: aws, service: cloudtrail}
            detection:
              sel: {eventSource: ec2.amazonaws.com, eventName: ModifyInstanceAttribute}
              condition: sel
            """);
        var needles = rules.Rules.ToDictionary(r => r.Rule.Title, r => r.RequiredNeedles!.Select(n => n.Text).ToList());
        Assert.Equal(["Root"], needles["root"]);
        Assert.Equal(["AssumedRole"], needles["assumed role with an issuer"]);
        // '/' is a needle character: the ARN's ":assumed-role/aws:" passes only instance credentials' records, where
        // ":assumed-role" passed every assumed role's (most of a CloudTrail log).
        Assert.Equal([":assumed-role/aws:"], needles["imds credentials"]);
        Assert.Equal(["ModifyInstanceAttribute"], needles["ec2 event with an operation"]);

        var filter = RuleRawFilter.Create(rules)!;
        Assert.True(filter(System.Text.Encoding.UTF8.GetBytes(CloudTrail("ListBuckets").Replace("IAMUser", "Root"))));
        Assert.True(filter(System.Text.Encoding.UTF8.GetBytes(CloudTrail("ListBuckets").Replace("IAMUser", "AssumedRole"))));
        Assert.False(filter(System.Text.Encoding.UTF8.GetBytes(CloudTrail("DescribeInstances"))));

        // A letter written as an escape hides the needle from the raw search: the record is kept for the rules to judge.
        Assert.True(filter(System.Text.Encoding.UTF8.GetBytes(CloudTrail("ListBuckets").Replace("IAMUser", "R\\u006Fot"))));
        Assert.True(filter(System.Text.Encoding.UTF8.GetBytes(CloudTrail("ListBuckets").Replace("IAMUser", "\\u0041ssumedRole"))));
        const string Imds = ""","userIdentity":{"type":"AssumedRole","arn":"arn:aws:sts::111122223333:assumed-role/aws:ec2-instance/i-0abc"}""";
        Assert.True(filter(System.Text.Encoding.UTF8.GetBytes(CloudTrail("DescribeInstances", Imds))));
        Assert.False(filter(System.Text.Encoding.UTF8.GetBytes(CloudTrail("DescribeInstances", Imds.Replace("AssumedRole", "IAMRole").Replace("/aws:ec2-instance", "/web-app")))));
        // JSON may write '/' as "\/": the raw search cannot see the needle through it, so the record is kept.
        Assert.True(filter(System.Text.Encoding.UTF8.GetBytes(CloudTrail("DescribeInstances", Imds.Replace("AssumedRole", "IAMRole").Replace("/", "\\/")))));
        // Where no needle holds a '/', a record writing "\/" is judged as any other.
        var noSlash = RuleRawFilter.Create(Compile(TrailStopped))!;
        Assert.False(noSlash(System.Text.Encoding.UTF8.GetBytes(CloudTrail("DescribeInstances", Imds.Replace("/", "\\/")))));
        // Escapes of other characters hide no needle.
        Assert.False(filter(System.Text.Encoding.UTF8.GetBytes(CloudTrail("DescribeInstances", ""","userAgent":"caf\\u00e9 \\u003Cx\\u003E C:\\\\u","n":"\\u00"""))));
    }

    [Fact]
    public async Task RecordsOfNoKnownFormat_AreReadPastTheFilter_AndReportedAsUnrecognised()
    {
        // Skipped unread, a file of something else entirely read as a clean log: 0 events, 0 errors.
        var rules = Compile(TrailStopped);
        var content = System.Text.Encoding.UTF8.GetBytes(string.Join("\n", """{"x":1}""", """[1,2]""", CloudTrail("ListBuckets")));
        var reader = new CloudLogReader(new ReaderOptions { RawFilter = RuleRawFilter.Create(rules) });

        var events = await reader.ReadAllAsync(new MemoryStream(content), "other.jsonl");

        Assert.Empty(events);
        // The bare array's two elements are records of their own.
        Assert.Equal([1L, 2L, 2L], reader.Summary.Problems.Select(p => p.Line));
        Assert.All(reader.Summary.Problems, p => Assert.Equal(ProblemSeverity.Error, p.Severity));
        Assert.Equal(1, reader.Summary.Filtered);
    }

    [Fact]
    public async Task RecordsWithAFormatsNamesButOfNoFormat_AreReported_NotSkipped()
    {
        // The filter judges by the texts in a record, and these hold a format's names without being of it: skipped
        // unread and counted as skipped, each would have been reported had no filter run. The records of each format
        // beside them, which no rule matches either, are still skipped.
        var rules = Compile(TrailStopped);
        string[] strays =
        [
            // An EventBridge envelope of something other than a CloudTrail event.
            """{"version":"0","id":"6a7e8fec","detail-type":"EC2 Instance State-change Notification","source":"aws.ec2","account":"111122223333","time":"2026-01-15T08:00:00Z","region":"us-east-1","detail":{"eventName":"x","instance-id":"i-1","state":"running"}}""",
            """{"operationName":"Microsoft.Storage/storageAccounts/read"}""",
            """{"protoPayload":{"serviceName":"compute.googleapis.com"},"timestamp":"2026-01-15T08:00:00Z"}""",
            """{"class_uid":"3005","time":1768464000000}""",
            """{"eventName":"DescribeInstances","eventSource":"ec2.amazonaws.com"}""",
        ];
        string[] known =
        [
            CloudTrail("DescribeInstances"),
            Gcp,
            """{"time":"2026-01-15T09:00:00Z","resourceId":"/SUBSCRIPTIONS/1","operationName":"MICROSOFT.COMPUTE/VIRTUALMACHINES/READ","category":"Administrative"}""",
            """{"class_uid":3005,"time":1768464000000,"api":{"operation":"DescribeInstances"}}""",
            // A CloudTrail event as EventBridge delivers it: the record is its detail.
            """{"version":"0","id":"6a7e8feb","detail-type":"AWS API Call via CloudTrail","source":"aws.ec2","account":"111122223333","time":"2026-01-15T08:00:00Z","region":"us-east-1","detail":""" + CloudTrail("DescribeInstances") + "}",
        ];
        var content = System.Text.Encoding.UTF8.GetBytes(string.Join("\n", known.Concat(strays)));
        var withFilter = new CloudLogReader(new ReaderOptions { RawFilter = RuleRawFilter.Create(rules) });
        var withoutFilter = new CloudLogReader();

        Assert.Empty(await withFilter.ReadAllAsync(new MemoryStream(content), "mixed.jsonl"));
        var read = await withoutFilter.ReadAllAsync(new MemoryStream(content), "mixed.jsonl");

        Assert.Equal(known.Length, withFilter.Summary.Filtered);
        Assert.Equal(Enumerable.Range(known.Length + 1, strays.Length).Select(n => (long?)n), withFilter.Summary.Problems.Select(p => p.Line));
        Assert.All(withFilter.Summary.Problems, p => Assert.StartsWith("unrecognised record format (fields: ", p.Reason, StringComparison.Ordinal));
        // Read without a filter, the same records are reported the same way, and the others read.
        Assert.Equal(withoutFilter.Summary.Problems.Select(p => (p.Line, p.Reason)), withFilter.Summary.Problems.Select(p => (p.Line, p.Reason)));
        Assert.Equal(known.Length, read.Count);
    }

    [Theory]
    // An Azure record quoting a CloudTrail event's names in its properties looked like CloudTrail to the filter, which
    // then tried only the AWS rules' texts and skipped it: the Azure rule's hit was lost, counted as a skipped record.
    [InlineData(""","properties":{"eventSource":"x","eventTime":"y","eventName":"z"}""")]
    // A nested protoPayload made it look like a GCP entry in the same way.
    [InlineData(""","properties":{"protoPayload":{"methodName":"z"}}""")]
    [InlineData("")]
    public async Task ARecordOfAnotherLog_HoldingNestedNamesOfCloudTrailOrGcp_IsStillMatchedByItsOwnRules(string nested)
    {
        var rules = Compile("""
            title: vm deleted
            logsource: {product: azure, service: activitylogs}
            detection:
              sel: {operationName: MICROSOFT.COMPUTE/VIRTUALMACHINES/DELETE}
              condition: sel
            ---
            """ + "\n" + TrailStopped);
        string Azure(string operation) =>
            $$"""{"operationName":{"value":"{{operation}}","localizedValue":"x"},"caller":"alice@example.com","eventDataId":"d1","eventTimestamp":"2026-01-15T08:00:00Z","resourceId":"/subscriptions/1/resourceGroups/g/providers/Microsoft.Compute/virtualMachines/vm1"{{nested}}}""";
        var content = System.Text.Encoding.UTF8.GetBytes(Azure("MICROSOFT.COMPUTE/VIRTUALMACHINES/DELETE") + "\n" + Azure("MICROSOFT.COMPUTE/VIRTUALMACHINES/READ"));
        var reader = new CloudLogReader(new ReaderOptions
        {
            RawFilter = RuleRawFilter.Create(rules),
            RawFilterForUnknownShape = RuleRawFilter.CreateForUnknownShape(rules),
        });

        var events = await reader.ReadAllAsync(new MemoryStream(content), "activity.jsonl");

        Assert.Empty(reader.Summary.Problems);
        Assert.Equal("vm deleted", Assert.Single(Assert.Single(events, e => rules.Match(e).Count > 0) is var hit ? rules.Match(hit) : []).Rule.Title);
        // The record no rule matches is still skipped (or read and matched by none, when the filter keeps it).
        Assert.Equal(2, events.Count + reader.Summary.Filtered);
    }

    [Fact]
    public void AForcedFormat_PassesOnRecordsWithoutThatFormatsMarks()
    {
        var filter = Filter("""
            title: gcp keys
            logsource: {product: gcp, service: gcp.audit}
            detection:
              sel: {gcp.audit.method_name: google.iam.admin.v1.CreateServiceAccountKey}
              condition: sel
            """, LogFormat.GcpAudit);

        Assert.True(filter("""{"time":"2026-01-15T09:00:00Z","resourceId":"/SUBSCRIPTIONS/1","operationName":"MICROSOFT.COMPUTE/VIRTUALMACHINES/WRITE","category":"Administrative"}"""u8));
        Assert.False(filter(System.Text.Encoding.UTF8.GetBytes(Gcp)));
    }

    [Fact]
    public async Task EveryRecordTheReadersRecognise_CarriesItsFormatsMarks()
    {
        // The pre-filter passes on records with none of the marks as of no known format; a mark a mapper does not
        // in fact require would let it skip a record of that format unread. Every fixture and public sample is checked.
        string[] inputs = [.. Directory.GetFiles(Path.GetDirectoryName(TestData.Fixture("x"))!), TestData.SharedData("cloudtrail"), TestData.SharedData("azure")];

        var marks = System.Buffers.SearchValues.Create([.. Firebreak.Detection.Readers.Mapping.RecordMappers.Markers(LogFormat.Auto)], StringComparison.OrdinalIgnoreCase);
        var checkedEvents = 0;
        foreach (var input in inputs)
        {
            foreach (var e in await new CloudLogReader().ReadAllAsync(input))
            {
                Assert.True(e.Raw.GetRawText().AsSpan().IndexOfAny(marks) >= 0, $"{input}: {e.Raw.GetRawText()[..Math.Min(300, e.Raw.GetRawText().Length)]}");
                checkedEvents++;
            }
        }

        Assert.True(checkedEvents > 20, $"{checkedEvents} events checked");
    }

    [Fact]
    public async Task ARecordWithAnEscapedLetter_IsReadPastTheFilter_AndMatched()
    {
        var rules = Compile("""
            title: root
            logsource: {product: aws, service: cloudtrail}
            detection:
              sel: {userIdentity.type: Root}
              condition: sel
            """);
        var content = System.Text.Encoding.UTF8.GetBytes(CloudTrail("ListBuckets").Replace("IAMUser", "R\\u006Fot") + "\n" + CloudTrail("ListBuckets"));
        var reader = new CloudLogReader(new ReaderOptions { RawFilter = RuleRawFilter.Create(rules) });

        var events = await reader.ReadAllAsync(new MemoryStream(content), "escaped.jsonl");

        Assert.Equal(1, reader.Summary.Filtered);
        Assert.Equal("Root", Assert.Single(events).Actor.Type);
        Assert.Equal("root", Assert.Single(rules.Match(events[0])).Rule.Title);
    }

    [Theory]
    [InlineData(".+:assumed-role/aws:.+", ":assumed-role/aws:")]
    [InlineData(@"^arn:aws:iam::\d{12}:user/admin$", "arn:aws:iam::")]
    [InlineData(@"Stop(Logging|Trail)", "Stop")]
    [InlineData(@"ab?cdef", "cdef")]
    [InlineData(@"abcd+efg", "abc")]
    [InlineData(@"[a-z]+Backdoor[0-9]", "Backdoor")]
    [InlineData(@"\x41BCDEFG", null)] // whatever follows an escape letter may belong to it
    [InlineData(@"foo|barbaz", null)]
    [InlineData(@"(?x) a b c d e f", null)]
    [InlineData(@"x{10}", null)]
    [InlineData(@"ab{1000}cd", null)]
    public void RegexLiterals_AreOnlyWhatEveryMatchContains(string pattern, string? expected)
    {
        Assert.Equal(expected, RegexLiterals.Longest(pattern) is { Length: >= 3 } literal ? literal : null);
        if (expected is not null)
        {
            var regex = new System.Text.RegularExpressions.Regex(pattern);
            Assert.Contains(expected, ExampleFor(pattern));
            Assert.Matches(regex, ExampleFor(pattern));
        }
    }

    private static string ExampleFor(string pattern) => pattern switch
    {
        ".+:assumed-role/aws:.+" => "arn:aws:sts::1:assumed-role/aws:ec2-instance/i-1",
        @"^arn:aws:iam::\d{12}:user/admin$" => "arn:aws:iam::111122223333:user/admin",
        "Stop(Logging|Trail)" => "StopTrail",
        "ab?cdef" => "acdef",
        "abcd+efg" => "abcddefg",
        "[a-z]+Backdoor[0-9]" => "xBackdoor1",
        _ => "",
    };

    private const string StopLoggingAndAnyGcpMethod = """
        title: trail stopped
        logsource: {product: aws, service: cloudtrail}
        detection:
          sel: {eventName: StopLogging}
          condition: sel
        ---
        title: any gcp method by regex
        logsource: {product: gcp, service: gcp.audit}
        detection:
          sel: {protoPayload.methodName|re: '.*'}
          condition: sel
        """;

    [Fact]
    public void ARuleWithoutNeedles_OnlyLetsItsOwnCloudsRecordsThrough()
    {
        var filter = Filter(StopLoggingAndAnyGcpMethod);

        Assert.False(filter(System.Text.Encoding.UTF8.GetBytes(CloudTrail("DescribeInstances"))));
        Assert.True(filter(System.Text.Encoding.UTF8.GetBytes(CloudTrail("StopLogging"))));
        Assert.True(filter(System.Text.Encoding.Latin1.GetBytes(Gcp)));
        // A record of no known shape could be of any log, so the GCP rule keeps it.
        Assert.True(filter("""{"something":"else"}"""u8));
        // An OCSF record can be of any cloud, even with CloudTrail-like names inside.
        Assert.True(filter("""{"class_uid":6003,"eventSource":"x","eventName":"DescribeInstances","eventTime":"t"}"""u8));

        var plan = RuleRawFilter.Describe(Compile("""
            title: any gcp method by regex
            logsource: {product: gcp, service: gcp.audit}
            detection:
              sel: {protoPayload.methodName|re: '.*'}
              condition: sel
            """));
        Assert.Empty(plan.UnfilteredCloudTrailRules);
        Assert.Equal(["any gcp method by regex"], plan.UnfilteredGcpRules);
        Assert.Equal(["any gcp method by regex"], plan.UnfilteredRules);
    }

    [Fact]
    public void AForcedFormat_DecidesWhichRulesApply_NotTheRecordsShape()
    {
        const string rules = StopLoggingAndAnyGcpMethod;
        var cloudTrail = Filter(rules, LogFormat.CloudTrail);
        // Read as CloudTrail whatever it looks like: only the AWS rule applies.
        Assert.False(cloudTrail("""{"eventName":"DescribeInstances","something":"else"}"""u8));
        Assert.True(cloudTrail("""{"eventName":"StopLogging"}"""u8));
        Assert.Null(RuleRawFilter.Create(Compile(rules), LogFormat.GcpAudit));
    }

    [Fact]
    public void AForcedFormat_PassesOnRecordsThatPlainlyHaveAnotherLogsShape_ForTheReaderToReport()
    {
        // CloudTrail hunted with --format gcp-audit: none of it holds a GCP needle, so it was all skipped
        // unparsed, and the hunt said "0 hits", exit 0, for a log it never read.
        var gcpOnly = Filter("""
            title: gcp key created
            logsource: {product: gcp, service: gcp.audit}
            detection:
              sel: {protoPayload.methodName: google.iam.admin.v1.CreateServiceAccountKey}
              condition: sel
            """, LogFormat.GcpAudit);
        Assert.True(gcpOnly(System.Text.Encoding.UTF8.GetBytes(CloudTrail("DescribeInstances"))));
        Assert.False(gcpOnly(System.Text.Encoding.Latin1.GetBytes(Gcp)));

        var awsOnly = Filter(TrailStopped, LogFormat.CloudTrail);
        Assert.True(awsOnly(System.Text.Encoding.Latin1.GetBytes(Gcp)));
        Assert.False(awsOnly(System.Text.Encoding.UTF8.GetBytes(CloudTrail("DescribeInstances"))));
        Assert.False(Filter(TrailStopped, LogFormat.AzureActivity)("""{"operationName":"Microsoft.Compute/virtualMachines/write"}"""u8));
    }

    [Theory]
    [InlineData("sel: {userIdentity.type|exists: true}")]
    [InlineData("sel: {eventName|re: 'Stop|Delete'}")]
    [InlineData("sel: {eventName: 'A?'}")]
    [InlineData("sel: {actor.type: Root}")] // a normalised field: its value may be derived, not in the record
    public void NoFilter_WhenARuleCouldMatchWithoutAKnownText(string search)
    {
        var rules = Compile($$"""
            title: indexed
            logsource: {product: aws, service: cloudtrail}
            detection:
              sel: {eventName: StopLogging}
              condition: sel
            ---
            title: unindexed
            logsource: {product: aws, service: cloudtrail}
            detection:
              {{search}}
              condition: sel
            """);

        Assert.Null(rules.Rules.Single(r => r.Rule.Title == "unindexed").RequiredNeedles);
        Assert.Equal(["unindexed"], RuleRawFilter.Describe(rules).UnfilteredCloudTrailRules);
        var filter = RuleRawFilter.Create(rules)!;
        Assert.True(filter(System.Text.Encoding.UTF8.GetBytes(CloudTrail("DescribeInstances"))));
    }

    [Fact]
    public async Task HuntWithFilter_FindsTheSameHits_OnSimulatedLogs_WithTheBuiltInPack()
    {
        var dir = Path.Combine(_root.FullName, "sim");
        await AttackSimulator.RunAsync(new SimulationOptions { Scenario = "leaked-access-key", OutputDirectory = dir, Events = 6000 }, Token);
        await AssertSameHitsAsync(CompiledRuleSet.Compile(BuiltInRules.Load().Documents), dir);
    }

    [Fact]
    public async Task HuntWithFilter_FindsTheSameHits_WithEveryRuleAsShipped_OnSimulatedAndPublicLogs()
    {
        var sigma = SigmaRuleLoader.LoadDirectory(Path.Combine(SharedData.Require("sigma-cloud"), "rules", "cloud")).Documents;
        var rules = CompiledRuleSet.Compile([.. BuiltInRules.Load().Documents, .. sigma]);
        var dir = Path.Combine(_root.FullName, "sim");
        await AttackSimulator.RunAsync(new SimulationOptions { Scenario = "compromised-instance-role", OutputDirectory = dir, Events = 6000 }, Token);
        await AssertSameHitsAsync(rules, dir, TestData.SharedData("cloudtrail"), TestData.SharedData("azure"));
    }

    private static async Task AssertSameHitsAsync(CompiledRuleSet rules, params string[] paths)
    {
        var filter = RuleRawFilter.Create(rules);
        Assert.NotNull(filter);
        var (plain, _) = await HuntAsync(rules, null, paths);
        var (filtered, summary) = await HuntAsync(rules, filter, paths);

        Assert.NotEmpty(plain);
        Assert.True(summary.Filtered > 0, "the filter skipped nothing");
        Assert.Equal(plain, filtered);
    }

    private static async Task<(List<string> Hits, ReadSummary Summary)> HuntAsync(CompiledRuleSet rules, RawRecordFilter? filter, string[] paths)
    {
        var reader = new CloudLogReader(new ReaderOptions { RawFilter = filter, MaxDegreeOfParallelism = 2 });
        // One matching worker: the reader hands events over in file order, so both hunts see the base-rule matches
        // in the same order. With two, a sustained burst's correlation hits depend on which worker gets there first
        // (documented), and the comparison of the two hunts failed now and then on a busy machine.
        var hunt = new Hunt(rules, new HuntOptions { Workers = 1 });
        var hits = new List<string>();
        await foreach (var hit in hunt.RunAsync(reader.ReadPathsAsync(paths, Token), Token))
        {
            hits.Add($"{hit.RuleKey} {hit.Event?.EventId} {hit.Event?.Origin} {hit.Correlation?.Count}");
        }

        hits.Sort(StringComparer.Ordinal);
        return (hits, reader.Summary);
    }
}
