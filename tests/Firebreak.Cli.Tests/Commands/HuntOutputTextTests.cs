using System.Diagnostics;
using System.Text.Json;

namespace Firebreak.Cli.Tests.Commands;

/// <summary>
/// What `firebreak hunt` prints and writes, read as a responder reads it: text from the log and from third-party rule
/// files shown as it is (never driving the terminal nor rewritten by it), summaries that agree with the hits written.
/// </summary>
public sealed class HuntOutputTextTests : IDisposable
{
    private readonly string root = Directory.CreateTempSubdirectory("firebreak-output-text-").FullName;

    private const string StopTrail = """{"Records":[{"eventVersion":"1.08","eventTime":"2026-01-15T09:00:00Z","eventSource":"cloudtrail.amazonaws.com","eventName":"StopLogging","awsRegion":"us-east-1","sourceIPAddress":"203.0.113.9","userIdentity":{"type":"IAMUser","arn":"arn:aws:iam::111122223333:user/ops","accessKeyId":"AKIAEXAMPLE"},"eventID":"e2"}]}""";

    private const string DeleteTrail = """{"Records":[{"eventVersion":"1.08","eventTime":"2026-01-15T09:05:00Z","eventSource":"cloudtrail.amazonaws.com","eventName":"DeleteTrail","awsRegion":"us-east-1","sourceIPAddress":"203.0.113.9","userIdentity":{"type":"IAMUser","arn":"arn:aws:iam::111122223333:user/ops","accessKeyId":"AKIAEXAMPLE"},"eventID":"e3"}]}""";

    public void Dispose() => Directory.Delete(root, recursive: true);

    private string WriteFile(string name, string content)
    {
        var path = Path.Combine(root, Guid.NewGuid().ToString("N"), name);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, content);
        return path;
    }

    private static string[] Lines(string text) => text.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => l.TrimEnd('\r')).ToArray();

    [Fact]
    public async Task PreFilterNote_ShowsControlCharactersOfARuleTitleEscaped()
    {
        // A rule without a text every match must contain is named on standard error ("Pre-filter: ... because of 'title'").
        // Rule files are input like any other (--rules <(curl ...)): the table, `rules list` and "rule skipped" show their
        // control characters escaped, but this line sent the title's escape sequences (here: set the window title, clear
        // the screen) to the terminal as they are.
        var log = WriteFile("stop.json", StopTrail);
        var rule = WriteFile("evil.yml", """
            title: "Any identity \e]0;owned\a\e[2J"
            id: 5d1f0c52-9d4e-4b7a-8c61-2f5e0d9b7a01
            logsource: {product: aws, service: cloudtrail}
            level: low
            detection:
              sel: {userIdentity.type|exists: true}
              condition: sel
            """);

        var result = await Cli.RunAsync("hunt", log, "--no-builtin", "--rules", rule, "--output", "jsonl");

        Assert.True(result.ExitCode == 1, result.ToString());
        Assert.Contains("Pre-filter:", result.Err, StringComparison.Ordinal);
        Assert.DoesNotContain('\u001b', result.Err);
        Assert.DoesNotContain('\u0007', result.Err);
        Assert.Contains("Any identity \\u001B]0;owned\\u0007\\u001B[2J", result.Err, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Table_ShowsBidiControlsFromTheLogEscaped()
    {
        // A right-to-left override in a user name (IAM user names cannot hold one, but a role session name, a user agent, a
        // Entra UPN's display or any request parameter can) makes a terminal or viewer that applies bidi draw the rest of
        // the line reversed: "user/ops‮exe.gpj" reads "user/opsjpg.exe". The table shows other control characters
        // escaped so that the log cannot change what the responder sees; these are written as they are.
        var arn = "arn:aws:iam::111122223333:user/ops\u202Egnp.exe\u2066x\u2069";
        var trail = StopTrail.Replace("arn:aws:iam::111122223333:user/ops", arn, StringComparison.Ordinal);
        var log = WriteFile("bidi.json", trail);

        var result = await Cli.RunAsync("hunt", log);

        Assert.True(result.ExitCode == 1, result.ToString());
        Assert.Contains("StopLogging by", result.Out, StringComparison.Ordinal);
        Assert.DoesNotContain('\u202E', result.Out);
        Assert.DoesNotContain('\u2066', result.Out);
        Assert.DoesNotContain('\u2069', result.Out);
    }

    [Fact]
    public async Task Table_ShowsARulesTitle_AsWritten_NotWithEmojiShortcodesReplaced()
    {
        // The by-rule table and the "N hit(s)" line are drawn as Spectre markup, which escapes brackets but turns
        // ":name:" into an emoji: the same rule is "Beacon :fire: callback" on its hit line and "Beacon 🔥 callback" in the
        // table above it, so grepping the saved table for the title (or for what `rules list` prints) misses it.
        var log = WriteFile("stop.json", StopTrail);
        var rule = WriteFile("emoji.yml", """
            title: "Trail stopped :fire: by :warning: someone"
            id: 5d1f0c52-9d4e-4b7a-8c61-2f5e0d9b7a02
            logsource: {product: aws, service: cloudtrail}
            level: high
            detection:
              sel: {eventName: StopLogging}
              condition: sel
            """);

        var result = await Cli.RunAsync("hunt", log, "--no-builtin", "--rules", rule);

        Assert.True(result.ExitCode == 1, result.ToString());
        var tableRow = Assert.Single(Lines(result.Out), l => l.StartsWith('│') && l.Contains("Trail stopped", StringComparison.Ordinal));
        Assert.Contains("Trail stopped :fire: by :warning: someone", tableRow, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Problems_OnStandardError_QuoteTheLogAsWritten_NotWithEmojiShortcodesReplaced()
    {
        // A reader problem quotes the record (here the names of an unrecognised record's fields) so that it can be found
        // with grep; the line is drawn as markup, so ":name:" in the log is printed as an emoji instead.
        var log = WriteFile("mixed.jsonl", "{\"session:fire:name\":1,\"note:warning:x\":2}\n" + StopTrail + "\n");

        var result = await Cli.RunAsync("hunt", log, "--output", "jsonl");

        Assert.True(result.ExitCode == 1, result.ToString());
        var problem = Assert.Single(Lines(result.Err), l => l.Contains("unrecognised record format", StringComparison.Ordinal));
        Assert.Contains("session:fire:name", problem, StringComparison.Ordinal);
        Assert.Contains("note:warning:x", problem, StringComparison.Ordinal);
    }

    [Fact]
    public async Task TableOnATerminal_ShowsTheLogsFieldsAsWritten_NotWithEmojiShortcodesReplaced()
    {
        // On a terminal each hit's line and its highlighted fields are drawn as markup: a user agent (or any field a rule
        // shows) holding ":name:" is shown with an emoji in its place, a value the log does not hold, while the same
        // table written to a file shows it as written. Runs the CLI on a pseudo-terminal (util-linux script).
        if (!File.Exists("/usr/bin/script")) Assert.Skip("script(1) is not installed");
        var log = WriteFile("ua.json", StopTrail.Replace("\"sourceIPAddress\"", "\"userAgent\":\"curl:fire:7.88\",\"sourceIPAddress\"", StringComparison.Ordinal));
        var rule = WriteFile("ua.yml", """
            title: Trail stopped by curl
            id: 5d1f0c52-9d4e-4b7a-8c61-2f5e0d9b7a03
            logsource: {product: aws, service: cloudtrail}
            level: high
            detection:
              sel: {eventName: StopLogging, userAgent|startswith: curl}
              condition: sel
            """);
        var apphost = Path.Combine(AppContext.BaseDirectory, "firebreak");
        var cli = File.Exists(apphost) ? $"'{apphost}'" : $"dotnet '{Path.Combine(AppContext.BaseDirectory, "firebreak.dll")}'";
        var start = new ProcessStartInfo("/usr/bin/script")
        {
            ArgumentList = { "-qec", $"{cli} hunt '{log}' --no-builtin --rules '{rule}' 2>/dev/null", "/dev/null" },
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
        };
        start.Environment["COLUMNS"] = "200";
        start.Environment["TERM"] = "xterm-256color";
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync(TestContext.Current.CancellationToken);
        await process.WaitForExitAsync(TestContext.Current.CancellationToken).WaitAsync(TimeSpan.FromMinutes(2), TestContext.Current.CancellationToken);
        var drawn = await output;

        // On a terminal: colour codes around the value, so look for the value's text itself.
        Assert.Contains("\u001b[", drawn, StringComparison.Ordinal); // drawn as on a terminal
        Assert.Contains("userAgent=", drawn, StringComparison.Ordinal);
        Assert.True(drawn.Contains("curl:fire:7.88", StringComparison.Ordinal), drawn);
    }

    [Fact]
    public async Task TableByRule_KeepsTwoRulesWithTheSameTitleApart_AsTheJsonSummaryDoes()
    {
        // A house rule and a SigmaHQ rule (or two forks of one) often share a title. The json summary counts hits per rule;
        // the table's "Hits by rule" merged them into one row with the sum, so it reads as one rule that matched twice
        // while two different detections each matched once.
        var log = WriteFile("trail.jsonl", StopTrail + "\n" + DeleteTrail + "\n");
        var rules = Path.GetDirectoryName(WriteFile("house.yml", """
            title: Trail tampering
            id: 5d1f0c52-9d4e-4b7a-8c61-2f5e0d9b7a04
            logsource: {product: aws, service: cloudtrail}
            level: high
            detection:
              sel: {eventName: StopLogging}
              condition: sel
            """))!;
        File.WriteAllText(Path.Combine(rules, "vendor.yml"), """
            title: Trail tampering
            id: 5d1f0c52-9d4e-4b7a-8c61-2f5e0d9b7a05
            logsource: {product: aws, service: cloudtrail}
            level: high
            detection:
              sel: {eventName: DeleteTrail}
              condition: sel
            """);

        var table = await Cli.RunAsync("hunt", log, "--no-builtin", "--rules", rules);
        var json = await Cli.RunAsync("hunt", log, "--no-builtin", "--rules", rules, "--output", "json");

        Assert.True(table.ExitCode == 1, table.ToString());
        var byRule = JsonDocument.Parse(json.Out).RootElement.GetProperty("summary").GetProperty("byRule").EnumerateArray().ToArray();
        Assert.Equal(2, byRule.Length);
        var rows = Lines(table.Out).Where(l => l.StartsWith('│') && l.Contains("Trail tampering", StringComparison.Ordinal)).ToArray();
        Assert.True(rows.Length == 2, table.Out);
        Assert.All(rows, r => Assert.Matches(@"│\s*1\s*│", r));
    }

    [Fact]
    public async Task TableByRule_WrittenToAFile_KeepsALongTitleOnOneLine()
    {
        // "Written to a file or a pipe, each of these is one line however long" (docs/cli.md): the hit lines are, but the
        // by-rule table is drawn 200 columns wide and breaks a long title over two rows, so `grep 'title' hunt.txt` finds
        // half of it (or nothing, when the words searched for are split across the break).
        var title = string.Join(' ', Enumerable.Repeat("Trail stopped or deleted by a principal outside the break-glass group", 4));
        var log = WriteFile("stop.json", StopTrail);
        var rule = WriteFile("long.yml", $$"""
            title: "{{title}}"
            id: 5d1f0c52-9d4e-4b7a-8c61-2f5e0d9b7a06
            logsource: {product: aws, service: cloudtrail}
            level: high
            detection:
              sel: {eventName: StopLogging}
              condition: sel
            """);

        var result = await Cli.RunAsync("hunt", log, "--no-builtin", "--rules", rule);

        Assert.True(result.ExitCode == 1, result.ToString());
        var lines = Lines(result.Out);
        var hitsLine = Array.FindIndex(lines, l => l.StartsWith("1 hit(s):", StringComparison.Ordinal));
        Assert.True(hitsLine > 0, result.Out);
        // Above the "N hit(s): ..." line is the by-rule table: the title must be whole on one of its lines.
        Assert.Contains(lines[..hitsLine], l => l.Contains(title, StringComparison.Ordinal));
    }

    [Fact]
    public async Task Summary_UnderMinLevel_DoesNotCountHitsThatWereNotWritten_AsHits()
    {
        // `hunt ... --min-level critical --output jsonl > hits.jsonl`: nothing at that level, an empty file and exit 0, as
        // documented. The last line of standard error still said "1 hit(s)" with no word of the level, so the responder
        // reads that a hit was found and lost on its way to the file. The docs say the summary's hit count is the number
        // written; a summary that counts the dropped ones must at least say they were below --min-level.
        var log = WriteFile("stop.json", StopTrail);

        var result = await Cli.RunAsync("hunt", log, "--min-level", "critical", "--output", "jsonl");

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Empty(result.Out);
        var summary = Lines(result.Err)[^1];
        Assert.True(summary.Contains("0 hit(s)", StringComparison.Ordinal) || summary.Contains("min-level", StringComparison.Ordinal)
            || summary.Contains("below", StringComparison.Ordinal), summary);
    }
}
