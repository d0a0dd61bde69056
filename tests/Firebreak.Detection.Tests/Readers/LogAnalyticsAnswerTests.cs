using System.IO.Compression;
using System.Text;
using System.Text.Json.Nodes;
using Firebreak.Detection.Events;
using Firebreak.Detection.Readers;
using Firebreak.Detection.Tests.Sigma;

namespace Firebreak.Detection.Tests.Readers;

/// <summary>
/// The Log Analytics query API's answer, <c>{"tables":[{"name":...,"columns":[...],"rows":[[...]]}]}</c>, as saved by
/// <c>az rest</c> or a script. It was one record of no known format: every row in it went unread.
/// </summary>
public class LogAnalyticsAnswerTests
{
    private const string Tenant = "5e6f7a8b-9c0d-4e1f-a2b3-c4d5e6f7a8b9";

    private static readonly string[] SignInColumns = ["TenantId", "AADTenantId", "TimeGenerated", "CreatedDateTime", "Category", "ResultType", "UserPrincipalName", "IPAddress", "Status", "LocationDetails", "Type"];

    /// <summary>A sign-in row: dynamic columns (Status, LocationDetails) as JSON text, as the API gives them.</summary>
    private static JsonArray SignIn(int n, string code = "0", string upn = "erin@contoso.example") =>
    [
        "ffffffff-0000-4000-8000-000000000001", Tenant, "2026-03-06T11:00:00Z", $"2026-03-06T10:{n % 60:D2}:00Z", "SignInLogs", code, upn,
        $"198.51.100.{n % 250}", $$"""{"errorCode":{{code}},"failureReason":"{{(code == "0" ? "Other." : "Invalid username or password.")}}"}""",
        """{"city":"Berlin","countryOrRegion":"DE"}""", "SigninLogs",
    ];

    private static JsonObject Table(string name, IEnumerable<string> columns, IEnumerable<JsonArray> rows) => new()
    {
        ["name"] = name,
        ["columns"] = new JsonArray([.. columns.Select(c => (JsonNode)new JsonObject { ["name"] = c, ["type"] = c.EndsWith("Time", StringComparison.Ordinal) || c.EndsWith("DateTime", StringComparison.Ordinal) || c == "TimeGenerated" ? "datetime" : "string" })]),
        ["rows"] = new JsonArray([.. rows]),
    };

    private static byte[] Answer(params JsonObject[] tables) => Encoding.UTF8.GetBytes(new JsonObject { ["tables"] = new JsonArray(tables) }.ToJsonString());

    [Fact]
    public async Task EveryRowOfEveryTable_IsReadAsTheLogAnalyticsRowItIs_CitedByItsNumber()
    {
        var activity = Table("PrimaryResult", ["TimeGenerated", "OperationNameValue", "Caller", "CallerIpAddress", "SubscriptionId", "ActivityStatusValue", "Properties", "Type"],
        [
            ["2026-03-06T09:00:00Z", "MICROSOFT.COMPUTE/VIRTUALMACHINES/RUNCOMMAND/ACTION", "mallory@contoso.example", "203.0.113.9", "0b1c2d3e-4f50-4617-8293-a4b5c6d7e8f9", "Success", """{"entity":"/subscriptions/x/vm1"}""", "AzureActivity"],
        ]);
        var answer = Answer(
            Table("PrimaryResult", SignInColumns, [SignIn(1), SignIn(2, "50126"), SignIn(3, upn: "jos\u00e9@contoso.example")]),
            activity);
        var reader = new CloudLogReader();

        var events = await reader.ReadAllAsync(new MemoryStream(answer), "signins-answer.json");

        Assert.Empty(reader.Summary.Problems);
        Assert.Equal(["signinlogs", "signinlogs", "signinlogs", "activitylogs"], events.Select(e => e.LogSource.Service));
        Assert.Equal([1L, 2L, 3L, 4L], events.Select(e => e.Origin!.Line));
        Assert.Equal(new DateTimeOffset(2026, 3, 6, 10, 1, 0, TimeSpan.Zero), events[0].Time);
        Assert.Equal(Tenant, events[0].Account);
        Assert.Equal((EventOutcome.Failure, "50126"), (events[1].Outcome, events[1].ErrorCode));
        Assert.Equal("jos\u00e9@contoso.example", events[2].Actor.Uid);
        Assert.Equal(("mallory@contoso.example", "203.0.113.9"), (events[3].Actor.Uid, events[3].SourceIp));
        // The record is the row named by its columns, its values as written.
        Assert.Equal("""{"city":"Berlin","countryOrRegion":"DE"}""", events[0].Raw.GetProperty("LocationDetails").GetString());

        var rules = SigmaTestRules.Detection("    sel: {ResultType: 50126}\n    condition: sel", logsource: "product: azure\n    service: signinlogs");
        Assert.Equal([false, true, false, false], events.Select(e => rules.Match(e).Any()));
    }

    [Fact]
    public async Task ALargeAnswer_GivenAFewBytesAtATime_OrGzipped_GivesEveryRow_WithOneRowLargerThanTheBuffers()
    {
        // Rows split anywhere between reads, and one row of 300 KB among 6,000, read the same as the whole answer at once.
        var rows = Enumerable.Range(0, 6000).Select(n => SignIn(n, n % 7 == 0 ? "50126" : "0")).ToList();
        rows[4321][6] = new string('a', 300_000) + "@contoso.example";
        var answer = Answer(Table("PrimaryResult", SignInColumns, rows));

        foreach (var (input, name) in new (Stream, string)[] { (new TrickleStream(answer, 7), "answer.json"), (new MemoryStream(ArchiveLogs.Gzip(answer)), "answer.json.gz") })
        {
            var reader = new CloudLogReader(new ReaderOptions { MaxRecordBytes = 1024 * 1024 });
            var events = await reader.ReadAllAsync(input, name);

            Assert.Empty(reader.Summary.Problems);
            Assert.Equal(6000, events.Count);
            Assert.Equal(Enumerable.Range(1, 6000).Select(n => (long)n), events.Select(e => e.Origin!.Line).Order());
            Assert.Equal(6000 / 7 + 1, events.Count(e => e.ErrorCode == "50126"));
            Assert.Single(events, e => e.Actor.Uid!.Length > 300_000);
        }
    }

    [Theory]
    [InlineData("rows-first", "rows come before its columns", 0)]
    [InlineData("too-many-values", "row 3 has more values than its table has columns (11)", 2)]
    [InlineData("cut", "", 2)]
    [InlineData("too-large", "a row is larger than the maximum record size of 65536 bytes", 2)]
    [InlineData("more-after", "more follows the answer's end", 3)]
    [InlineData("row-not-a-list", "a row is not a list of values", 2)]
    public async Task ABrokenAnswer_IsReported_AfterTheRowsBeforeTheBreakAreRead(string broken, string reason, int kept)
    {
        var good = Answer(Table("PrimaryResult", SignInColumns, [SignIn(1), SignIn(2), SignIn(3)]));
        var text = Encoding.UTF8.GetString(good);
        var third = text.LastIndexOf("[\"ffffffff", StringComparison.Ordinal);
        var input = broken switch
        {
            "rows-first" => text.Replace("\"columns\"", "\"later\"", StringComparison.Ordinal).Replace("]]}]}", "]],\"columns\":[]}]}", StringComparison.Ordinal),
            "too-many-values" => text[..third] + text[third..].Replace("\"SigninLogs\"]", "\"SigninLogs\",\"extra\"]", StringComparison.Ordinal),
            "cut" => text[..(third + 40)],
            "too-large" => text[..third] + text[third..].Replace("erin@", new string('b', 70_000) + "@", StringComparison.Ordinal),
            "more-after" => text + "\n{\"tables\":[]}",
            "row-not-a-list" => text[..third] + "{\"a\":1}" + text[text.IndexOf(']', third)..][1..],
            _ => throw new ArgumentOutOfRangeException(nameof(broken)),
        };
        var reader = new CloudLogReader(new ReaderOptions { MaxRecordBytes = 64 * 1024 });

        var events = await reader.ReadAllAsync(new MemoryStream(Encoding.UTF8.GetBytes(input)), "answer.json");

        Assert.Equal(kept, events.Count);
        var problem = Assert.Single(reader.Summary.Problems);
        Assert.Equal(ProblemSeverity.Error, problem.Severity);
        Assert.StartsWith($"cannot read: Log Analytics query answer, after {(broken == "rows-first" ? 0 : kept)} row(s): ", problem.Reason, StringComparison.Ordinal);
        Assert.Contains(reason, problem.Reason, StringComparison.Ordinal);
    }

    private const string ActivityAnswer = """{"tables":[{"name":"PrimaryResult","columns":[{"name":"TimeGenerated","type":"datetime"},{"name":"OperationNameValue","type":"string"},{"name":"Caller","type":"string"},{"name":"CallerIpAddress","type":"string"},{"name":"Type","type":"string"}],"rows":[["2026-03-06T09:00:00Z","MICROSOFT.COMPUTE/VIRTUALMACHINES/RUNCOMMAND/ACTION","mallory@contoso.example","203.0.113.9","AzureActivity"]]}]}""";

    [Fact]
    public async Task AnAnswerWithAPartialError_GivesItsRows_AndSaysTheyMayBeIncomplete()
    {
        // The service answers 200 with the rows it got and an error beside them when, for one, the result passed its size
        // limit: the rows were read as the whole answer, and nothing said a sign-in export was cut.
        var answer = ActivityAnswer[..^1] + ""","error":{"code":"PartialError","message":"There were some errors when processing your query.","details":[{"code":"EngineError","message":"Query result set has exceeded the internal data size limit 64000000 (E_QUERY_RESULT_SET_TOO_LARGE)."}]}}""";
        var reader = new CloudLogReader();

        var events = await reader.ReadAllAsync(new MemoryStream(Encoding.UTF8.GetBytes(answer)), "answer.json");

        Assert.Equal("mallory@contoso.example", Assert.Single(events).Actor.Uid);
        var problem = Assert.Single(reader.Summary.Problems);
        Assert.Equal(ProblemSeverity.Error, problem.Severity);
        Assert.Contains("the query service reported an error beside its rows, which may be incomplete: PartialError", problem.Reason, StringComparison.Ordinal);
        Assert.Contains("E_QUERY_RESULT_SET_TOO_LARGE", problem.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AnAnswerSavedAsUtf16_IsReadAsAnAnswer()
    {
        // Windows PowerShell's "az rest ... > answer.json" writes UTF-16: the answer was one record of no known format.
        var reader = new CloudLogReader();

        var events = await reader.ReadAllAsync(new MemoryStream([.. Encoding.Unicode.GetPreamble(), .. Encoding.Unicode.GetBytes(ActivityAnswer)]), "answer.json");

        Assert.Equal("activitylogs", Assert.Single(events).LogSource.Service);
        Assert.Equal(ProblemSeverity.Warning, Assert.Single(reader.Summary.Problems).Severity);
    }

    [Fact]
    public async Task AColumnNameThatCannotBeRead_IsReportedForItsFile_AndTheNextFileIsRead()
    {
        // A lone surrogate escape in a name threw an exception no reader took for a read problem: the whole read ended.
        const string Answer = """{"tables":[{"name":"PrimaryResult","columns":[{"name":"Bad\ud800","type":"string"}],"rows":[["x"]]}]}""";
        var reader = new CloudLogReader(new ReaderOptions { MaxDegreeOfParallelism = 1 });
        var inputs = new Firebreak.Detection.Readers.Sources.LogInputList(
        [
            new("answer.json", _ => Task.FromResult<Stream>(new MemoryStream(Encoding.UTF8.GetBytes(Answer)))),
            new("after.json", _ => Task.FromResult<Stream>(new MemoryStream(Encoding.UTF8.GetBytes(ArchiveLogs.Trail("after"))))),
        ]);

        List<string?> ids = [];
        await foreach (var cloudEvent in reader.ReadAsync(inputs, TestContext.Current.CancellationToken))
        {
            ids.Add(cloudEvent.EventId);
        }

        Assert.Equal(["after"], ids);
        var problem = Assert.Single(reader.Summary.Problems);
        Assert.Equal("answer.json", problem.Source);
        Assert.StartsWith("cannot read: Log Analytics query answer, after 0 row(s): not valid JSON", problem.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public async Task CellsWrittenOverSeveralLines_KeepEachRowOnOneLine_SoRowsAreCitedByTheirNumbers()
    {
        var rows = string.Join(",", Enumerable.Range(1, 3).Select(n => $$"""
            ["2026-03-06T09:0{{n}}:00Z","MICROSOFT.COMPUTE/VIRTUALMACHINES/RUNCOMMAND/ACTION","mallory@contoso.example","203.0.113.9",
             {
               "entity": "/subscriptions/x/vm{{n}}",
               "note": "a\nb"
             },
             "AzureActivity"]
            """));
        var answer = $$"""{"tables":[{"name":"PrimaryResult","columns":[{"name":"TimeGenerated","type":"datetime"},{"name":"OperationNameValue","type":"string"},{"name":"Caller","type":"string"},{"name":"CallerIpAddress","type":"string"},{"name":"Properties","type":"dynamic"},{"name":"Type","type":"string"}],"rows":[{{rows}}]}]}""";
        var reader = new CloudLogReader();

        var events = await reader.ReadAllAsync(new MemoryStream(Encoding.UTF8.GetBytes(answer)), "answer.json");

        Assert.Empty(reader.Summary.Problems);
        Assert.Equal([1L, 2L, 3L], events.Select(e => e.Origin!.Line));
        Assert.Equal("a\nb", events[0].Raw.GetProperty("Properties").GetProperty("note").GetString());
    }

    [Fact]
    public async Task AnObjectWhoseFirstPropertyIsNotTables_IsReadAsBefore()
    {
        // Only an answer whose first property is "tables" is taken for one: a record that has such a field elsewhere is a record.
        const string Lines = """
            {"eventVersion":"1.08","eventTime":"2026-01-15T09:00:00Z","eventSource":"glue.amazonaws.com","eventName":"GetTables","awsRegion":"us-east-1","userIdentity":{"type":"IAMUser"},"eventID":"g1","tables":[]}
            """;
        var reader = new CloudLogReader();

        var events = await reader.ReadAllAsync(new MemoryStream(Encoding.UTF8.GetBytes(Lines)), "lines.jsonl");

        Assert.Empty(reader.Summary.Problems);
        Assert.Equal("GetTables", Assert.Single(events).Operation);
    }

    [Theory]
    [InlineData("{\"tables\":[", true)]
    [InlineData("  \n{ \r\n\t\"tables\" :[", true)]
    [InlineData("{\"Records\":[{\"tables\":1}]}", false)]
    [InlineData("[{\"tables\":[]}]", false)]
    [InlineData("{\"table\":[", false)]
    public void AnAnswer_IsKnownByItsFirstProperty(string head, bool answer) =>
        Assert.Equal(answer, LogAnalyticsTablesStream.IsAnswer(Encoding.UTF8.GetBytes(head)));
}
