using System.Text.Json;
using Firebreak.Cli.Commands;

namespace Firebreak.Cli.Tests.Commands;

/// <summary>hunt and rules at their edges: the same rules named twice, a record without a time, hostile levels, empty rule folders and options.</summary>
public sealed class HuntAndRulesEdgeTests : IDisposable
{
    private readonly string root = Directory.CreateTempSubdirectory("firebreak-edges-").FullName;

    private const string StopTrail = """{"Records":[{"eventVersion":"1.08","eventTime":"2026-01-15T09:00:00Z","eventSource":"cloudtrail.amazonaws.com","eventName":"StopLogging","awsRegion":"us-east-1","sourceIPAddress":"203.0.113.9","userIdentity":{"type":"IAMUser","arn":"arn:aws:iam::111122223333:user/ops","accessKeyId":"AKIAEXAMPLE"},"eventID":"e2"}]}""";

    public void Dispose() => Directory.Delete(root, recursive: true);

    private string WriteFile(string name, string content)
    {
        var path = Path.Combine(root, Guid.NewGuid().ToString("N"), name);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, content);
        return path;
    }

    private static string[] Lines(string text) => text.Split('\n', StringSplitOptions.RemoveEmptyEntries);

    [Fact]
    public async Task TheSameRulesFolderTwice_WithRulesWithoutAnId_ReportsEachHitOnce()
    {
        // Sigma ids are optional and custom rules often have none: the same folder named twice (or a folder and a file in
        // it) is still read once, and no hit is printed or counted twice.
        var log = WriteFile("stop.json", StopTrail);
        var rules = Path.GetDirectoryName(WriteFile("stop.yml", """
            title: Trail stopped (house rule)
            logsource: {product: aws, service: cloudtrail}
            level: high
            detection:
              sel: {eventName: StopLogging}
              condition: sel
            """))!;

        var once = await Cli.RunAsync("hunt", log, "--no-builtin", "--rules", rules, "--output", "jsonl");
        var twice = await Cli.RunAsync("hunt", log, "--no-builtin", "--rules", rules, "--rules", rules + Path.DirectorySeparatorChar, "--output", "jsonl");
        var folderAndFile = await Cli.RunAsync("hunt", log, "--no-builtin", "--rules", rules, "--rules", Path.Combine(rules, "stop.yml"), "--output", "jsonl");

        Assert.Single(Lines(once.Out));
        Assert.True(Lines(twice.Out).Length == 1, twice.ToString());
        Assert.True(Lines(folderAndFile.Out).Length == 1, folderAndFile.ToString());
    }

    [Fact]
    public async Task AValueARegularExpressionCannotDecideInTime_IsCounted_AndTheHuntSaysAHitMayBeMissing()
    {
        // A lookahead needs the backtracking engine, which is timed per value; (a+)+b over forty a's runs far past the limit.
        // Such a value counts as no match, and the hunt used to say nothing of it.
        var rule = WriteFile("slow.yml", """
            title: Slow Pattern
            id: 3c1d2f4e-5a6b-4c7d-8e9f-0a1b2c3d4e5f
            logsource: {product: aws, service: cloudtrail}
            level: low
            detection:
              sel:
                userAgent|re: '^(?!z)(a+)+b$'
              condition: sel
            """);
        var log = WriteFile("slow.json", StopTrail.Replace("\"eventID\"", $"\"userAgent\":\"{new string('a', 40)}\",\"eventID\"", StringComparison.Ordinal));
        var quick = WriteFile("quick.json", StopTrail);

        var table = await Cli.RunAsync("hunt", log, "--no-builtin", "--rules", rule);
        var json = await Cli.RunAsync("hunt", log, "--no-builtin", "--rules", rule, "--output", "json");
        var none = await Cli.RunAsync("hunt", quick, "--no-builtin", "--rules", rule, "--output", "json");

        Assert.True(table.ExitCode == 0, table.ToString());
        Assert.Contains($"warning: {rule}:1: 'Slow Pattern': 1 value(s) took its regular expression longer than 1 s to match and were taken as no match; a hit may be missing.", table.Err);
        using (var document = JsonDocument.Parse(json.Out))
            Assert.Equal(1, document.RootElement.GetProperty("summary").GetProperty("undecidedValues").GetInt64());
        using (var document = JsonDocument.Parse(none.Out))
            Assert.Equal(0, document.RootElement.GetProperty("summary").GetProperty("undecidedValues").GetInt64());
        Assert.DoesNotContain("regular expression", none.Err);
    }

    [Fact]
    public async Task AHitsLine_NamesWhatWasActedOn()
    {
        // SendCommand lists no resources in CloudTrail; the instances it ran on are in its request.
        var log = WriteFile("ssm.json", """{"Records":[{"eventVersion":"1.08","eventTime":"2026-01-15T09:00:00Z","eventSource":"ssm.amazonaws.com","eventName":"SendCommand","awsRegion":"us-east-1","sourceIPAddress":"203.0.113.9","userIdentity":{"type":"IAMUser","arn":"arn:aws:iam::111122223333:user/ops"},"requestParameters":{"instanceIds":["i-0123456789abcdef0","i-0fedcba9876543210"],"documentName":"AWS-RunShellScript"},"responseElements":null,"eventID":"e3","recipientAccountId":"111122223333"}]}""");

        var table = await Cli.RunAsync("hunt", log);
        var json = await Cli.RunAsync("hunt", log, "--output", "jsonl");

        Assert.True(table.ExitCode == 1, table.ToString());
        Assert.Contains($"    SendCommand on i-0123456789abcdef0 (+1 more) by arn:aws:iam::111122223333:user/ops from 203.0.113.9  ({log}:1)", Lines(table.Out).Select(l => l.TrimEnd('\r')));
        using var hit = JsonDocument.Parse(Lines(json.Out)[0]);
        Assert.Equal(
            ["arn:aws:ec2:us-east-1:111122223333:instance/i-0123456789abcdef0", "arn:aws:ec2:us-east-1:111122223333:instance/i-0fedcba9876543210"],
            hit.RootElement.GetProperty("resources").EnumerateArray().Select(r => r.GetString()));
    }

    [Fact]
    public async Task AHit_NamesTheUserByTheirId_SaysACallFailed_AndWhoImpersonatedAServiceAccount()
    {
        // An Entra user was shown by display name ("Admin": neither unique nor fixed), a refused call read as done, and a GCP
        // call made by impersonating a service account named the account only, not the person behind it.
        var azure = WriteFile("azure.json", """{"records":[{"time":"2026-03-05T09:12:44Z","resourceId":"/subscriptions/0b1c2d3e-4f50-4617-8293-a4b5c6d7e8f9/providers/Microsoft.Authorization/elevateAccess","operationName":"MICROSOFT.AUTHORIZATION/ELEVATEACCESS/ACTION","category":"Administrative","resultType":"Success","callerIpAddress":"203.0.113.77","correlationId":"c1","identity":{"claims":{"http://schemas.xmlsoap.org/ws/2005/05/identity/claims/upn":"admin@contoso.example","name":"Admin","http://schemas.microsoft.com/identity/claims/scope":"user_impersonation"}},"level":"Information"}]}""");
        var gcp = WriteFile("gcp.json", """{"logName":"projects/prod-123/logs/cloudaudit.googleapis.com%2Factivity","protoPayload":{"@type":"type.googleapis.com/google.cloud.audit.AuditLog","status":{"code":7,"message":"Permission denied"},"authenticationInfo":{"principalEmail":"deployer@prod-123.iam.gserviceaccount.com","serviceAccountDelegationInfo":[{"firstPartyPrincipal":{"principalEmail":"mallory@example.com"}}]},"requestMetadata":{"callerIp":"198.51.100.7"},"serviceName":"iam.googleapis.com","methodName":"google.iam.admin.v1.CreateServiceAccountKey","resourceName":"projects/-/serviceAccounts/1234567890"},"resource":{"type":"service_account","labels":{"project_id":"prod-123","email_id":"backup@prod-123.iam.gserviceaccount.com"}},"insertId":"k1","timestamp":"2026-03-07T11:00:00Z","severity":"ERROR"}""");

        var table = await Cli.RunAsync("hunt", azure, gcp);
        var jsonl = await Cli.RunAsync("hunt", azure, gcp, "--output", "jsonl");
        var csv = await Cli.RunAsync("hunt", gcp, "--output", "csv");

        Assert.True(table.ExitCode == 1, table.ToString());
        var lines = Lines(table.Out).Select(l => l.TrimEnd('\r')).ToList();
        Assert.Contains(lines, l => l.StartsWith("    MICROSOFT.AUTHORIZATION/ELEVATEACCESS/ACTION on ", StringComparison.Ordinal)
            && l.Contains(" by admin@contoso.example (Admin) from 203.0.113.77", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.StartsWith("    google.iam.admin.v1.CreateServiceAccountKey [failed: 7 PERMISSION_DENIED] on ", StringComparison.Ordinal)
            && l.Contains(" by deployer@prod-123.iam.gserviceaccount.com impersonated by mallory@example.com from 198.51.100.7", StringComparison.Ordinal));

        var hits = Lines(jsonl.Out).Select(l => JsonDocument.Parse(l).RootElement).ToList();
        var elevate = hits.First(h => h.GetProperty("provider").GetString() == "azure");
        Assert.Equal("admin@contoso.example", elevate.GetProperty("actor").GetProperty("uid").GetString());
        Assert.Equal("success", elevate.GetProperty("outcome").GetString());
        Assert.Equal(JsonValueKind.Null, elevate.GetProperty("errorCode").ValueKind);
        var key = hits.First(h => h.GetProperty("provider").GetString() == "gcp");
        Assert.Equal(("failure", "7"), (key.GetProperty("outcome").GetString(), key.GetProperty("errorCode").GetString()));
        Assert.Equal("mallory@example.com", key.GetProperty("actor").GetProperty("sessionIssuer").GetString());

        var rows = Lines(csv.Out);
        Assert.Equal("kind,time,rule_id,title,level,operation,outcome,error_code,actor,actor_name,source_ip,user_agent,account,region,event_id,source,line,count,value,fields", rows[0]);
        Assert.StartsWith("rule,", rows[1], StringComparison.Ordinal);
        Assert.Contains(",failure,7,deployer@prod-123.iam.gserviceaccount.com,deployer@prod-123.iam.gserviceaccount.com,198.51.100.7,,prod-123,", rows[1], StringComparison.Ordinal);
    }

    [Fact]
    public async Task AServicePrincipal_IsShownWithItsAppId_WhereItsObjectIdKeysIt()
    {
        // An app acting as itself is keyed by its service principal's object id, as every Azure log names it; the app id,
        // what a responder looks its app registration up by, was in the record but in no output.
        var log = WriteFile("sp.json", """{"records":[{"time":"2026-03-05T09:12:44Z","resourceId":"/subscriptions/0b1c2d3e-4f50-4617-8293-a4b5c6d7e8f9/providers/Microsoft.Authorization/elevateAccess","operationName":"MICROSOFT.AUTHORIZATION/ELEVATEACCESS/ACTION","category":"Administrative","resultType":"Success","callerIpAddress":"203.0.113.77","correlationId":"c2","identity":{"claims":{"appid":"a1b2c3d4-e5f6-4a7b-8c9d-0e1f2a3b4c5d","http://schemas.microsoft.com/identity/claims/objectidentifier":"99887766-5544-4332-2110-ffeeddccbbaa"}},"level":"Information"}]}""");

        var table = await Cli.RunAsync("hunt", log);
        var jsonl = await Cli.RunAsync("hunt", log, "--output", "jsonl");

        Assert.True(table.ExitCode == 1, table.ToString());
        Assert.Contains(" by 99887766-5544-4332-2110-ffeeddccbbaa app a1b2c3d4-e5f6-4a7b-8c9d-0e1f2a3b4c5d from 203.0.113.77", table.Out, StringComparison.Ordinal);
        var actor = JsonDocument.Parse(Lines(jsonl.Out)[0]).RootElement.GetProperty("actor");
        Assert.Equal(("ServicePrincipal", "99887766-5544-4332-2110-ffeeddccbbaa", "a1b2c3d4-e5f6-4a7b-8c9d-0e1f2a3b4c5d"),
            (actor.GetProperty("type").GetString(), actor.GetProperty("uid").GetString(), actor.GetProperty("appUid").GetString()));
    }

    [Fact]
    public async Task AnAggregatingCorrelation_ShowsWhatItMeasured_InEveryOutput()
    {
        // More than a gigabyte read from S3 by one principal in an hour (value_sum over bytesTransferredOut): the hit says
        // the sum that met the condition, beside the number of reads, in the table, the json, the json lines and the CSV.
        static string Read(string minute, string user, long bytes) =>
            $$"""{"eventVersion":"1.08","eventTime":"2026-01-15T09:{{minute}}:00Z","eventSource":"s3.amazonaws.com","eventName":"GetObject","awsRegion":"us-east-1","sourceIPAddress":"203.0.113.9","userIdentity":{"type":"IAMUser","arn":"arn:aws:iam::111122223333:user/{{user}}"},"requestParameters":{"bucketName":"b","key":"k"},"additionalEventData":{"bytesTransferredOut":{{bytes}}},"eventID":"{{user}}{{minute}}"}""";
        var log = WriteFile("reads.json", "{\"Records\":[" + string.Join(',', Read("00", "eve", 700_000_000), Read("10", "eve", 600_000_000), Read("20", "bob", 900_000_000)) + "]}");
        var rules = Path.GetDirectoryName(WriteFile("volume.yml", """
            title: object read
            name: object_read
            logsource: {product: aws, service: cloudtrail}
            detection: {sel: {eventName: GetObject}, condition: sel}
            ---
            title: Over a gigabyte read by one principal
            level: high
            correlation:
              type: value_sum
              rules: [object_read]
              group-by: [userIdentity.arn]
              timespan: 1h
              condition: {field: additionalEventData.bytesTransferredOut, gt: 1000000000}
            """))!;

        var table = await Cli.RunAsync("hunt", log, "--no-builtin", "--rules", rules);
        var jsonl = await Cli.RunAsync("hunt", log, "--no-builtin", "--rules", rules, "--output", "jsonl");
        var json = await Cli.RunAsync("hunt", log, "--no-builtin", "--rules", rules, "--output", "json");
        var csv = await Cli.RunAsync("hunt", log, "--no-builtin", "--rules", rules, "--output", "csv");

        Assert.True(table.ExitCode == 1, table.ToString());
        Assert.Contains("2 event(s) from 2026-01-15 09:00:00Z to 2026-01-15 09:10:00Z, sum 1300000000", table.Out, StringComparison.Ordinal);
        var line = Lines(jsonl.Out).Select(l => JsonDocument.Parse(l).RootElement).Single(h => h.GetProperty("kind").GetString() == "correlation");
        Assert.Equal((2, 1_300_000_000d), (line.GetProperty("count").GetInt64(), line.GetProperty("value").GetDouble()));
        Assert.Contains("userIdentity.arn", line.GetProperty("fields").GetRawText(), StringComparison.Ordinal);
        Assert.All(Lines(jsonl.Out).Select(l => JsonDocument.Parse(l).RootElement).Where(h => h.GetProperty("kind").GetString() == "rule"),
            h => Assert.Equal(JsonValueKind.Null, h.GetProperty("value").ValueKind));
        var document = JsonDocument.Parse(json.Out).RootElement.GetProperty("hits").EnumerateArray().Single(h => h.GetProperty("kind").GetString() == "correlation");
        Assert.Equal(1_300_000_000d, document.GetProperty("value").GetDouble());
        var row = Lines(csv.Out).Single(r => r.StartsWith("correlation,", StringComparison.Ordinal));
        Assert.Contains(",2,1300000000,userIdentity.arn=arn:aws:iam::111122223333:user/eve", row, StringComparison.Ordinal);
    }

    [Fact]
    public async Task JsonOutput_CountsTheRulesSkipped_AndTheHitsBelowMinLevel_AndEveryOutputWritesTheLevelInLowerCase()
    {
        // A script reading the json document took a hunt that ran one of two rules, with its only hit under --min-level,
        // for a clean one: standard error named the broken rule and the table the hidden hits, the document neither. And a
        // rule written `level: High` gave "High" in json, jsonl and csv, which a filter on "high" misses.
        var log = WriteFile("stop.json", StopTrail);
        var rules = Path.Combine(Path.GetDirectoryName(log)!, "rules");
        Directory.CreateDirectory(rules);
        File.WriteAllText(Path.Combine(rules, "ok.yml"), """
            title: Trail stopped
            id: 0b7c7a4e-52b4-4f0e-9d0a-5a1c9c0e7b11
            logsource: {product: aws, service: cloudtrail}
            level: High
            detection:
              sel: {eventName: StopLogging}
              condition: sel
            """);
        File.WriteAllText(Path.Combine(rules, "broken.yml"), """
            title: Broken
            id: 0b7c7a4e-52b4-4f0e-9d0a-5a1c9c0e7b12
            logsource: {product: aws, service: cloudtrail}
            detection:
              sel: {eventName|bogus: StopLogging}
              condition: sel
            """);

        var below = await Cli.RunAsync("hunt", log, "--no-builtin", "--rules", rules, "--min-level", "critical", "--output", "json");
        var json = await Cli.RunAsync("hunt", log, "--no-builtin", "--rules", rules, "--output", "json");
        var jsonl = await Cli.RunAsync("hunt", log, "--no-builtin", "--rules", rules, "--output", "jsonl");
        var csv = await Cli.RunAsync("hunt", log, "--no-builtin", "--rules", rules, "--output", "csv");

        Assert.True(below.ExitCode == 0, below.ToString());
        using var document = JsonDocument.Parse(below.Out);
        var summary = document.RootElement.GetProperty("summary");
        Assert.Equal((0, 1, 1), (summary.GetProperty("hits").GetInt32(), summary.GetProperty("hitsBelowMinLevel").GetInt32(), summary.GetProperty("rulesSkipped").GetInt32()));
        var skipped = Assert.Single(document.RootElement.GetProperty("skippedRules").EnumerateArray());
        Assert.EndsWith("broken.yml", skipped.GetProperty("file").GetString(), StringComparison.Ordinal);
        Assert.Contains("bogus", skipped.GetProperty("reason").GetString(), StringComparison.Ordinal);

        using var all = JsonDocument.Parse(json.Out);
        Assert.Equal("high", all.RootElement.GetProperty("hits")[0].GetProperty("level").GetString());
        Assert.Equal("high", all.RootElement.GetProperty("summary").GetProperty("byRule")[0].GetProperty("level").GetString());
        using var line = JsonDocument.Parse(Lines(jsonl.Out)[0]);
        Assert.Equal("high", line.RootElement.GetProperty("level").GetString());
        Assert.Contains(",Trail stopped,high,StopLogging,", Lines(csv.Out)[1], StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("--min-level", "nonsense", "Must be one of: 'informational' 'low' 'medium' 'high' 'critical'")]
    [InlineData("--output", "xml", "Must be one of: 'table' 'json' 'jsonl' 'csv'")]
    public async Task AValueNotAmongTheChoices_ListsThem_Readably(string option, string value, string expected)
    {
        // The parser separates the choices with tabs, which were shown escaped: "Must be one of: \u0009'informational' ...".
        var result = await Cli.RunAsync("hunt", WriteFile("stop.json", StopTrail), option, value);

        Assert.True(result.ExitCode == 2, result.ToString());
        Assert.Contains(expected, result.Err, StringComparison.Ordinal);
        Assert.DoesNotContain("\\u0009", result.Err, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AHitOnARecordOfUnknownTime_HasNoTime_NotTheYearOne()
    {
        // The reader keeps the record "with an unknown time" and warns; its hits say so ("time": null, an empty csv
        // cell), not year one, which a SIEM would file in year 1 and a time filter (jq 'select(.time >= ...)') would drop.
        var log = WriteFile("notime.json", """[{"caller":"admin@contoso.example","eventDataId":"e1","operationName":{"value":"Microsoft.Authorization/elevateAccess/action"},"category":{"value":"Administrative"},"status":{"value":"Succeeded"}}]""");

        var jsonl = await Cli.RunAsync("hunt", log, "--output", "jsonl");
        var csv = await Cli.RunAsync("hunt", log, "--output", "csv");

        Assert.True(jsonl.ExitCode == 1, jsonl.ToString());
        Assert.Contains("kept with an unknown time", jsonl.Err);
        using var hit = JsonDocument.Parse(Assert.Single(Lines(jsonl.Out)));
        Assert.Equal(JsonValueKind.Null, hit.RootElement.GetProperty("time").ValueKind);
        var row = Assert.Single(Lines(csv.Out).Skip(1));
        Assert.DoesNotContain("0001-01-01", row, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AHitOnACloudTrailRecordOfTheYearOne_HasNoTime_AndTheRecordIsWarnedOf()
    {
        // The time 0001-01-01T00:00:00Z is how an unknown one is kept: the hit had no time, and nothing said why.
        var log = WriteFile("zeroed.json", StopTrail.Replace("2026-01-15T09:00:00Z", "0001-01-01T00:00:00Z", StringComparison.Ordinal));

        var jsonl = await Cli.RunAsync("hunt", log, "--output", "jsonl");

        Assert.True(jsonl.ExitCode == 1, jsonl.ToString());
        Assert.Contains("zeroed.json:1: record's time is 0001-01-01T00:00:00Z, written for a time not known; kept with an unknown time", jsonl.Err);
        Assert.Contains("1 warning(s)", jsonl.Err);
        using var hit = JsonDocument.Parse(Assert.Single(Lines(jsonl.Out)));
        Assert.Equal(JsonValueKind.Null, hit.RootElement.GetProperty("time").ValueKind);
    }

    [Fact]
    public async Task Table_ShowsControlCharactersOfARulesLevelEscaped()
    {
        // Rule files are input like any other (--rules <(curl ...)): a level's control characters are shown escaped in the
        // by-rule table, the "N hit(s): ..." line and every hit's line, as a title's are, so a rule cannot drive the terminal.
        var log = WriteFile("stop.json", StopTrail);
        var rule = WriteFile("evil.yml", """
            title: Trail stopped
            id: 0b1f0c52-9d4e-4b7a-8c61-2f5e0d9b7a77
            logsource: {product: aws, service: cloudtrail}
            level: "\e[2J\e]0;owned\a"
            detection:
              sel: {eventName: StopLogging}
              condition: sel
            """);

        var list = await Cli.RunAsync("rules", "list", "--no-builtin", "--rules", rule);
        var result = await Cli.RunAsync("hunt", log, "--no-builtin", "--rules", rule);

        Assert.DoesNotContain('\u001b', list.Out);
        Assert.True(result.ExitCode == 1, result.ToString());
        Assert.DoesNotContain('\u001b', result.Out);
        Assert.DoesNotContain('\u0007', result.Out);
    }

    [Fact]
    public async Task SeveritySummary_CountsOneLevelOnce_WhateverItsCase()
    {
        // --min-level and the by-rule table read levels case-insensitively ("Critical" is critical), and so does the
        // summary line: "critical 2", not "Critical 1, critical 1".
        var log = WriteFile("stop.json", StopTrail);
        var rules = WriteFile("two.yml", """
            title: Stop A
            id: 1b1f0c52-9d4e-4b7a-8c61-2f5e0d9b7a01
            logsource: {product: aws, service: cloudtrail}
            level: Critical
            detection:
              sel: {eventName: StopLogging}
              condition: sel
            ---
            title: Stop B
            id: 1b1f0c52-9d4e-4b7a-8c61-2f5e0d9b7a02
            logsource: {product: aws, service: cloudtrail}
            level: critical
            detection:
              sel: {eventName: StopLogging}
              condition: sel
            """);

        var result = await Cli.RunAsync("hunt", log, "--no-builtin", "--rules", rules);

        Assert.True(result.ExitCode == 1, result.ToString());
        Assert.Contains("2 hit(s): critical 2", result.Out, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("test")]
    [InlineData("lint")]
    public async Task RulesTestAndLint_OfAFolderWithNoRule_AreNotAPass(string command)
    {
        // A CI gate `firebreak rules test --rules ./rules --no-builtin` pointed at the wrong folder (or one whose rules
        // were moved) must fail, not pass with "0 of 0 test(s) passed".
        var folder = Path.GetDirectoryName(WriteFile("README.md", "rules moved to ./detections\n"))!;

        var result = await Cli.RunAsync("rules", command, "--no-builtin", "--rules", folder);

        Assert.True(result.ExitCode == 2, result.ToString());
        Assert.Contains("no rule file (.yml, .yaml) in the folder", result.Err, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Hunt_WithOneOfItsRuleFoldersEmpty_IsAUsageError()
    {
        var log = WriteFile("stop.json", StopTrail);
        var empty = Path.GetDirectoryName(WriteFile("README.md", "nothing here\n"))!;

        var result = await Cli.RunAsync("hunt", log, "--rules", empty, "--output", "jsonl");

        Assert.True(result.ExitCode == 2, result.ToString());
        Assert.Empty(result.Out);
    }

    [Fact]
    public async Task RulesOptionWithoutAValue_IsAUsageError_NotAHuntWithoutTheRules()
    {
        // A folder left off the command line (a variable that expanded to nothing: --rules $RULES) is a usage error, not
        // a hunt with the built-in pack only that exits 0 or 1 as if it had run them.
        var log = WriteFile("stop.json", StopTrail);

        var result = await Cli.RunAsync("hunt", log, "--rules");

        Assert.True(result.ExitCode == 2, result.ToString());
    }

    [Theory]
    [InlineData("--since", "")]
    [InlineData("--until", " ")]
    public async Task ATimeBoundGivenNoTime_IsAUsageError_NotAHuntOfEverything(string option, string value)
    {
        // `--since "$SINCE"` with the variable unset: the hunt read every record, with nothing to say the bound was lost.
        var log = WriteFile("stop.json", StopTrail);

        var result = await Cli.RunAsync("hunt", log, option, value);

        Assert.True(result.ExitCode == 2, result.ToString());
        Assert.Contains($"{option} was given no time", result.Err);
        Assert.Empty(result.Out);
    }

    [Theory]
    [InlineData("--since", "01/02/2026")]
    [InlineData("--until", "1/2/2026 10:00")]
    [InlineData("--since", "2026/01/15")]
    [InlineData("--since", "15 Jan 2026")]
    [InlineData("--until", "Jan 15, 2026")]
    [InlineData("--since", "Thursday, 15 January 2026")]
    [InlineData("--since", "20260115")]
    [InlineData("--since", "2026-1-5")]
    [InlineData("--since", "2026-01-15T08")]
    [InlineData("--since", "2026-01-15T08:00:00 PM")]
    [InlineData("--until", "\u0662\u0660\u0662\u0666-\u0660\u0661-\u0661\u0665")]
    [InlineData("--since", "yesterday")]
    public async Task ATimeThatIsNotIso8601_IsAUsageError_NamingTheOption_TheValue_AndWhatIsTaken(string option, string value)
    {
        // 01/02/2026 was read in the invariant culture, as 2 January: a responder in Europe means 1 February, and the hunt
        // ran over the wrong month with nothing to say so.
        var log = WriteFile("stop.json", StopTrail);

        var result = await Cli.RunAsync("hunt", log, option, value);

        Assert.True(result.ExitCode == 2, result.ToString());
        Assert.Contains($"{option} '{value}' is not a time it takes", result.Err);
        Assert.Contains("2026-01-15T08:00:00Z", result.Err);
        Assert.Contains("24h", result.Err);
        Assert.Empty(result.Out);
    }

    [Theory]
    [InlineData("--since", "2026-02-30")]
    [InlineData("--since", "2026-13-01")]
    [InlineData("--until", "2026-01-15T25:00:00Z")]
    [InlineData("--until", "2026-01-15T08:60Z")]
    [InlineData("--since", "2026-01-15T08:00:00+15:00")]
    [InlineData("--since", "2026-01-15T08:00:00+01:75")]
    [InlineData("--since", "0000-01-01")]
    [InlineData("--since", "0001-01-01T00:00:00+01:00")]
    public async Task AnIsoTimeThatIsNoTimeOfTheCalendar_IsAUsageError(string option, string value)
    {
        var log = WriteFile("stop.json", StopTrail);

        var result = await Cli.RunAsync("hunt", log, option, value);

        Assert.True(result.ExitCode == 2, result.ToString());
        Assert.Contains($"{option} '{value}' is no date or time of the calendar", result.Err);
        Assert.Contains("2026-01-15T08:00:00Z", result.Err);
    }

    [Theory]
    [InlineData("2026-01-15", "2026-01-15T00:00:00Z")]
    [InlineData("2026-01-15T08:00:00Z", "2026-01-15T08:00:00Z")]
    [InlineData("2026-01-15t08:00:00z", "2026-01-15T08:00:00Z")]
    [InlineData("2026-01-15 08:00:00Z", "2026-01-15T08:00:00Z")]
    [InlineData("2026-01-15T08:00Z", "2026-01-15T08:00:00Z")]
    [InlineData("2026-01-15T10:00:00+02:00", "2026-01-15T08:00:00Z")]
    [InlineData("2026-01-15T10:00:00+0200", "2026-01-15T08:00:00Z")]
    [InlineData("2026-01-15T10:00:00+02", "2026-01-15T08:00:00Z")]
    [InlineData("2026-01-15T03:00:00-05:00", "2026-01-15T08:00:00Z")]
    [InlineData("2026-01-15T08:00:00.1234567+00:00", "2026-01-15T08:00:00.1234567Z")]
    [InlineData("2026-01-15T08:00:00.123456789Z", "2026-01-15T08:00:00.1234567Z")]
    [InlineData("  2026-01-15T08:00:00Z ", "2026-01-15T08:00:00Z")]
    // Without Z or an offset a time is UTC, as the logs' times are, whatever the machine's time zone.
    [InlineData("2026-01-15T08:00:00", "2026-01-15T08:00:00Z")]
    [InlineData("2026-01-15T08:00", "2026-01-15T08:00:00Z")]
    public void IsoDatesAndTimes_AreTaken_WithTheirOffset_AndUtcWithoutOne(string value, string expected) =>
        Assert.Equal(DateTimeOffset.Parse(expected, System.Globalization.CultureInfo.InvariantCulture), HuntCommand.ParseTime(value, "--since", DateTimeOffset.UnixEpoch));

    [Theory]
    [InlineData("30m", 0.5)]
    [InlineData("24h", 24.0)]
    [InlineData("7d", 168.0)]
    [InlineData("2w", 336.0)]
    [InlineData("1.5h", 1.5)]
    public void Ages_AreTakenBackFromNow(string value, double hours)
    {
        var now = new DateTimeOffset(2026, 1, 15, 8, 0, 0, TimeSpan.Zero);

        Assert.Equal(now - TimeSpan.FromHours(hours), HuntCommand.ParseTime(value, "--until", now));
    }

    [Fact]
    public async Task TimesWithAnOffset_BoundTheHunt_AtTheInstantTheyName()
    {
        // The record is at 09:00Z. 11:00+02:00 is that instant (--since takes events at or after it), 10:00:01+01:00 is
        // a second later, and --until takes only events before it.
        var log = WriteFile("stop.json", StopTrail);

        var from = await Cli.RunAsync("hunt", log, "--since", "2026-01-15T11:00:00+02:00", "--output", "jsonl");
        var after = await Cli.RunAsync("hunt", log, "--since", "2026-01-15T10:00:01+01:00", "--output", "jsonl");
        var before = await Cli.RunAsync("hunt", log, "--until", "2026-01-15T04:00:00-05:00", "--output", "jsonl");
        var day = await Cli.RunAsync("hunt", log, "--since", "2026-01-15", "--until", "2026-01-16", "--output", "jsonl");

        Assert.True(from.ExitCode == 1, from.ToString());
        Assert.True(after.ExitCode == 0, after.ToString());
        Assert.True(before.ExitCode == 0, before.ToString());
        Assert.True(day.ExitCode == 1, day.ToString());
    }

    [Fact]
    public async Task TheProgressBarsHitCount_IsTheHitsShown_NotThoseBelowMinLevel()
    {
        // Two rules hit the one record, one of them below --min-level: the summary says 1 hit and 1 below the level, and
        // the bar counted 2, as if a hit had been lost between the two.
        var log = WriteFile("stop.json", StopTrail);
        var rules = Path.GetDirectoryName(WriteFile("high.yml", """
            title: Trail stopped (high)
            id: 6d3c5f7e-0a51-4b8e-9a43-5a9e4c1b2d01
            logsource: {product: aws, service: cloudtrail}
            level: high
            detection:
              sel: {eventName: StopLogging}
              condition: sel
            """))!;
        File.WriteAllText(Path.Combine(rules, "low.yml"), """
            title: Trail stopped (low)
            id: 6d3c5f7e-0a51-4b8e-9a43-5a9e4c1b2d02
            logsource: {product: aws, service: cloudtrail}
            level: low
            detection:
              sel: {eventName: StopLogging}
              condition: sel
            """);
        using var output = new StringWriter();
        using var error = new StringWriter();

        var exit = await CliApp.RunAsync(["hunt", log, "--no-builtin", "--rules", rules, "--min-level", "high", "--output", "jsonl"],
            new CliContext(output, error, new Dictionary<string, string?>(), null, errorIsTerminal: true), TestContext.Current.CancellationToken);

        // Drawn 80 columns wide, as on a terminal: the summary wraps.
        var drawn = System.Text.RegularExpressions.Regex.Replace(error.ToString(), @"\s+", " ");
        Assert.True(exit == 1, drawn);
        Assert.Contains("1 hit(s) and 1 below --min-level high (not shown)", drawn);
        // The bar's counts read "..., N events/s, H hit(s)"; the summary's "events/s" is followed by its MB/s.
        var counts = System.Text.RegularExpressions.Regex.Matches(drawn, @"events/s, (\d+) hit\(s\)").Select(m => m.Groups[1].Value).ToList();
        Assert.True(counts.Count > 0, drawn);
        Assert.Equal("1", counts[^1]);
        Assert.DoesNotContain("2", counts);
    }

    [Fact]
    public async Task Choices_TypedInAnyCase_MeanWhatTheyDoInLowerCase()
    {
        // --min-level HIGH was refused ("Must be one of: ... 'high' ..."), as was --output JSONL.
        var log = WriteFile("stop.json", StopTrail);
        var rules = Path.GetDirectoryName(WriteFile("low.yml", StopRule("6d3c5f7e-0a51-4b8e-9a43-5a9e4c1b2d11", "Trail stopped (low)", null, level: "low")))!;
        File.WriteAllText(Path.Combine(rules, "high.yml"), StopRule("6d3c5f7e-0a51-4b8e-9a43-5a9e4c1b2d12", "Trail stopped (high)", null));

        var shouted = await Cli.RunAsync("hunt", log, "--no-builtin", "--rules", rules, "--min-level", "HIGH", "--output", "JSONL", "--format", "CloudTrail");
        var quiet = await Cli.RunAsync("hunt", log, "--no-builtin", "--rules", rules, "--min-level", "high", "--output", "jsonl", "--format", "cloudtrail");
        var defaults = await Cli.RunAsync("hunt", log, "--no-builtin", "--rules", rules, "--output", "jsonl");
        var wrong = await Cli.RunAsync("hunt", log, "--no-builtin", "--rules", rules, "--min-level", "HIGHEST");

        Assert.True(shouted.ExitCode == 1, shouted.ToString());
        var hit = Assert.Single(shouted.Out.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.Contains("\"title\":\"Trail stopped (high)\"", hit, StringComparison.Ordinal);
        Assert.Equal(quiet.Out, shouted.Out);
        Assert.Contains("below --min-level high", shouted.Err, StringComparison.Ordinal);
        Assert.Equal(2, defaults.Out.Split('\n', StringSplitOptions.RemoveEmptyEntries).Length);
        Assert.True(wrong.ExitCode == 2, wrong.ToString());
        Assert.Contains("'critical'", wrong.Err, StringComparison.Ordinal);
    }

    /// <summary>A rule on StopLogging with the given status; Sigma's statuses include deprecated and unsupported.</summary>
    private static string StopRule(string id, string title, string? status, string level = "high") => $$"""
        title: {{title}}
        id: {{id}}
        {{(status is null ? "" : $"status: {status}")}}
        logsource: {product: aws, service: cloudtrail}
        level: {{level}}
        detection:
          sel: {eventName: StopLogging}
          condition: sel
        """;

    private string RulesFolder(params (string Name, string Yaml)[] files)
    {
        var folder = Path.Combine(root, Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(folder);
        foreach (var (name, yaml) in files) File.WriteAllText(Path.Combine(folder, name), yaml);
        return folder;
    }

    private static string[] RuleIds(CliResult result) =>
        Lines(result.Out).Select(l => { using var hit = JsonDocument.Parse(l); return hit.RootElement.GetProperty("ruleId").GetString()!; }).Order(StringComparer.Ordinal).ToArray();

    [Fact]
    public async Task DeprecatedAndUnsupportedRules_AreNotRun_UnlessAskedFor_AndTheSummarySaysSo()
    {
        // A SigmaHQ checkout keeps rules replaced by others (status: deprecated) beside the rules that replaced them: both
        // fired, the replaced one often noisier.
        var log = WriteFile("stop.json", StopTrail);
        var rules = RulesFolder(
            ("current.yml", StopRule("00000000-0000-4000-8000-000000000001", "Trail stopped", "stable")),
            ("untested.yml", StopRule("00000000-0000-4000-8000-000000000002", "Trail stopped (no status)", null)),
            ("old.yml", StopRule("00000000-0000-4000-8000-000000000003", "Trail stopped (old)", "deprecated")),
            ("older.yml", StopRule("00000000-0000-4000-8000-000000000004", "Trail stopped (older)", "Deprecated")),
            ("unusable.yml", StopRule("00000000-0000-4000-8000-000000000005", "Trail stopped (unusable)", "unsupported")));

        var hunt = await Cli.RunAsync("hunt", log, "--no-builtin", "--rules", rules, "--output", "jsonl");
        var all = await Cli.RunAsync("hunt", log, "--no-builtin", "--rules", rules, "--include-deprecated", "--output", "jsonl");
        var json = await Cli.RunAsync("hunt", log, "--no-builtin", "--rules", rules, "--output", "json");

        Assert.True(hunt.ExitCode == 1, hunt.ToString());
        Assert.Equal(["00000000-0000-4000-8000-000000000001", "00000000-0000-4000-8000-000000000002"], RuleIds(hunt));
        Assert.Contains("2 deprecated and 1 unsupported rule(s) not run (--include-deprecated to run them).", hunt.Err);
        // The summary is still the last line of standard error.
        Assert.StartsWith("0.0 MB read", Lines(hunt.Err)[^1].TrimStart());
        Assert.True(all.ExitCode == 1, all.ToString());
        Assert.Equal(5, RuleIds(all).Length);
        Assert.DoesNotContain("not run", all.Err);
        var summary = JsonDocument.Parse(json.Out).RootElement.GetProperty("summary");
        Assert.Equal(2, summary.GetProperty("rules").GetInt32());
        Assert.Equal(3, summary.GetProperty("rulesNotRun").GetInt32());
    }

    [Fact]
    public async Task OnlyDeprecatedRules_IsAUsageError_ThatSaysWhy()
    {
        var log = WriteFile("stop.json", StopTrail);
        var rules = RulesFolder(("old.yml", StopRule("00000000-0000-4000-8000-000000000003", "Trail stopped (old)", "deprecated")));

        var result = await Cli.RunAsync("hunt", log, "--no-builtin", "--rules", rules);

        Assert.True(result.ExitCode == 2, result.ToString());
        Assert.Contains("No rule to run: 1 deprecated rule(s) not run (--include-deprecated to run them)", result.Err);
        Assert.DoesNotContain("compiled", result.Err);
        Assert.Empty(result.Out);
    }

    [Fact]
    public async Task ADeprecatedRuleBesideOnesThatDoNotCompile_IsAUsageError_ThatSaysBoth()
    {
        var log = WriteFile("stop.json", StopTrail);
        var rules = RulesFolder(
            ("old.yml", StopRule("00000000-0000-4000-8000-000000000003", "Trail stopped (old)", "deprecated")),
            ("broken.yml", "title: Broken\nlogsource: {product: aws, service: cloudtrail}\ndetection: {sel: {eventName: StopLogging}, condition: nothing}\n"));

        var result = await Cli.RunAsync("hunt", log, "--no-builtin", "--rules", rules);

        Assert.True(result.ExitCode == 2, result.ToString());
        Assert.Contains("No rule to run: the other rules could not be compiled, and 1 deprecated rule(s) not run", result.Err);
    }

    [Theory]
    [InlineData("--include-deprecated=maybe")]
    [InlineData("--include-deprecated=2")]
    [InlineData("--include-deprecated", "yes")]
    [InlineData("--include-deprecate")]
    public async Task IncludeDeprecated_GivenAValue_OrMistyped_IsAUsageError(params string[] arguments)
    {
        // A value the flag cannot take was left to the paths: "maybe: no such file", and a hunt without the flag, exit 1.
        var log = WriteFile("stop.json", StopTrail);

        var result = await Cli.RunAsync(["hunt", log, .. arguments]);

        Assert.True(result.ExitCode == 2, result.ToString());
        Assert.Empty(result.Out);
        if (arguments.Length == 2 || arguments[0].Contains('=', StringComparison.Ordinal))
            Assert.Contains($"--include-deprecated takes no value (or true or false): '{arguments[^1].Split('=')[^1]}'", result.Err);
    }

    [Theory]
    [InlineData("--no-builtin=maybe")]
    [InlineData("--no-builtin", "yes")]
    public async Task NoBuiltin_GivenAValue_IsAUsageError_NotAPathThatDoesNotExist(params string[] arguments)
    {
        // "yes" was taken for a path ("no such file") and the hunt ran with the built-in pack, exit 1.
        var log = WriteFile("stop.json", StopTrail);

        var result = await Cli.RunAsync(["hunt", log, .. arguments]);

        Assert.True(result.ExitCode == 2, result.ToString());
        Assert.Empty(result.Out);
        Assert.Contains($"--no-builtin takes no value (or true or false): '{arguments[^1].Split('=')[^1]}'", result.Err);
    }

    [Fact]
    public async Task IncludeDeprecated_BeforeAPath_TakesThePathAsAPath()
    {
        var log = WriteFile("stop.json", StopTrail);

        var result = await Cli.RunAsync("hunt", "--include-deprecated", log, "--output", "jsonl");

        Assert.True(result.ExitCode == 1, result.ToString());
        Assert.Single(Lines(result.Out));
    }

    [Fact]
    public async Task IncludeDeprecated_TakesTrueOrFalse_AsAnyFlag()
    {
        var log = WriteFile("stop.json", StopTrail);
        var rules = RulesFolder(("old.yml", StopRule("00000000-0000-4000-8000-000000000003", "Trail stopped (old)", "deprecated")));

        var on = await Cli.RunAsync("hunt", log, "--no-builtin", "--rules", rules, "--include-deprecated=true", "--output", "jsonl");
        var off = await Cli.RunAsync("hunt", log, "--no-builtin", "--rules", rules, "--include-deprecated=false", "--output", "jsonl");

        Assert.True(on.ExitCode == 1, on.ToString());
        Assert.True(off.ExitCode == 2, off.ToString());
        Assert.Contains("1 deprecated rule(s) not run", off.Err);
    }

    [Fact]
    public async Task ACorrelationThatRuns_KeepsTheDeprecatedRuleItCounts_WithoutThatRulesOwnHits()
    {
        // The correlation is current and refers to a deprecated rule: it still counts that rule's matches (leaving it out
        // would silently break it), but the deprecated rule's own hits are not reported. A deprecated correlation is left
        // out, and the current rule it counts still reports as usual.
        var log = WriteFile("stops.json", """{"Records":[""" + string.Join(",", Enumerable.Range(0, 3).Select(i =>
            $$"""{"eventVersion":"1.08","eventTime":"2026-01-15T09:0{{i}}:00Z","eventSource":"cloudtrail.amazonaws.com","eventName":"StopLogging","awsRegion":"us-east-1","sourceIPAddress":"203.0.113.9","userIdentity":{"type":"IAMUser","arn":"arn:aws:iam::111122223333:user/ops","accessKeyId":"AKIAEXAMPLE"},"eventID":"s{{i}}"}""")) + "]}");
        var rules = RulesFolder(
            ("old.yml", StopRule("00000000-0000-4000-8000-000000000003", "Trail stopped (old)", "deprecated")),
            ("current.yml", StopRule("00000000-0000-4000-8000-000000000001", "Trail stopped", "stable", level: "low")),
            ("repeated.yml", """
                title: Trail stopped again and again
                id: 00000000-0000-4000-8000-0000000000c1
                status: test
                level: high
                correlation:
                  type: event_count
                  rules: [00000000-0000-4000-8000-000000000003]
                  group-by: [userIdentity.arn]
                  timespan: 1h
                  condition: {gte: 3}
                  generate: true
                """),
            ("repeated-old.yml", """
                title: Trail stopped again (old)
                id: 00000000-0000-4000-8000-0000000000c2
                status: deprecated
                level: high
                correlation:
                  type: event_count
                  rules: [00000000-0000-4000-8000-000000000001]
                  group-by: [userIdentity.arn]
                  timespan: 1h
                  condition: {gte: 2}
                """));

        var hunt = await Cli.RunAsync("hunt", log, "--no-builtin", "--rules", rules, "--output", "jsonl");
        var all = await Cli.RunAsync("hunt", log, "--no-builtin", "--rules", rules, "--include-deprecated", "--output", "jsonl");

        Assert.True(hunt.ExitCode == 1, hunt.ToString());
        var ids = RuleIds(hunt);
        Assert.Equal(3, ids.Count(id => id == "00000000-0000-4000-8000-000000000001"));
        Assert.Equal(1, ids.Count(id => id == "00000000-0000-4000-8000-0000000000c1"));
        Assert.DoesNotContain("00000000-0000-4000-8000-000000000003", ids);
        Assert.DoesNotContain("00000000-0000-4000-8000-0000000000c2", ids);
        Assert.Contains("1 deprecated rule(s) not run; 1 deprecated rule(s) matched only for the correlations that refer to them, their own hits not shown (--include-deprecated to run them).", hunt.Err);
        // Asked for, every rule runs as written: the old rule reports its three hits, and the old correlation runs too.
        var every = RuleIds(all);
        Assert.Equal(3, every.Count(id => id == "00000000-0000-4000-8000-000000000003"));
        Assert.Contains("00000000-0000-4000-8000-0000000000c1", every);
        Assert.Contains("00000000-0000-4000-8000-0000000000c2", every);
    }

    [Fact]
    public async Task RulesList_StillListsDeprecatedRules_WithTheirStatus()
    {
        var rules = RulesFolder(
            ("current.yml", StopRule("00000000-0000-4000-8000-000000000001", "Trail stopped", "stable")),
            ("old.yml", StopRule("00000000-0000-4000-8000-000000000003", "Trail stopped (old)", "deprecated")),
            ("unusable.yml", StopRule("00000000-0000-4000-8000-000000000005", "Trail stopped (unusable)", "unsupported")));

        var table = await Cli.RunAsync("rules", "list", "--no-builtin", "--rules", rules);
        var json = await Cli.RunAsync("rules", "list", "--no-builtin", "--rules", rules, "--json");

        Assert.True(table.ExitCode == 0, table.ToString());
        Assert.Contains("3 rule(s).", table.Out);
        var row = Assert.Single(Lines(table.Out), l => l.Contains("Trail stopped (old)", StringComparison.Ordinal));
        Assert.Contains("deprecated", row);
        Assert.Contains("unsupported", Assert.Single(Lines(table.Out), l => l.Contains("Trail stopped (unusable)", StringComparison.Ordinal)));
        Assert.Contains("Status", table.Out);
        using var listed = JsonDocument.Parse(json.Out);
        Assert.Equal(["deprecated", "stable", "unsupported"], listed.RootElement.EnumerateArray().Select(r => r.GetProperty("status").GetString()).Order(StringComparer.Ordinal));
    }

    [Fact]
    public void NoRuleOfTheBuiltInPack_IsDeprecatedOrUnsupported()
    {
        // The pack is what every hunt runs: a rule of it that a hunt leaves out by default would be a rule nobody runs.
        var pack = Firebreak.Detection.Rules.BuiltInRules.Load();

        Assert.NotEmpty(pack.Documents);
        Assert.DoesNotContain(pack.Documents, d => d.Status?.Trim().ToLowerInvariant() is "deprecated" or "unsupported");
    }
}
