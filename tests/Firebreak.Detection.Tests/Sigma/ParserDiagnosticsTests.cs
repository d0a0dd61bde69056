using Firebreak.Detection.Sigma;
using Firebreak.Testing;

namespace Firebreak.Detection.Tests.Sigma;

public class ParserDiagnosticsTests
{
    [Fact]
    public void BrokenYaml_IsReportedWithFileAndLine()
    {
        var result = SigmaParser.Parse("title: x\nlogsource:\n  product: aws\ndetection:\n  sel: [a, b\n  condition: sel\n", "broken.yml");
        var diagnostic = Assert.Single(result.Diagnostics);
        Assert.Equal("broken.yml", diagnostic.File);
        Assert.Equal(DiagnosticSeverity.Error, diagnostic.Severity);
        Assert.True(diagnostic.Line >= 5, diagnostic.ToString());
    }

    [Fact]
    public void AFlowMappingLeftOpen_IsReportedInWords_NotAsTheLibrarysInternalState()
    {
        // YamlDotNet trips on this without a YamlException; its own message was "Operation is not valid due to the
        // current state of the object."
        var result = SigmaParser.Parse("title: x\nlogsource: {product: aws}\ndetection:\n  sel: {eventName: X\n  condition: sel\n", "open.yml");

        var error = Assert.Single(result.Diagnostics);
        Assert.Equal(DiagnosticSeverity.Error, error.Severity);
        Assert.DoesNotContain("current state of the object", error.Message, StringComparison.Ordinal);
        Assert.Contains("left open", error.Message, StringComparison.Ordinal);
        Assert.Empty(result.Documents);
    }

    /// <summary>A tab used to indent (an editor's default) was reported at line 1, the start of the mapping it breaks.</summary>
    [Theory]
    [InlineData("title: x\nid: 1b7e4c1a-3a5e-4b7e-9a43-5a9e4c1b2d99\nlogsource: {product: aws}\ndetection:\n\tsel: {eventName: X}\n  condition: sel\n", 5)]
    [InlineData("title: x\nlogsource: {product: aws}\ndetection:\n  sel:\n    eventName:\n  \t- X\n  condition: sel\n", 6)]
    [InlineData("title: x\r\nlogsource: {product: aws}\r\ndetection:\r\n  sel: {eventName: \"a\tb\"}\r\n\t\r\n\t  condition: sel\r\n", 6)]
    // A tab inside a block scalar's text is text; the fault is the tab that indents a key after it.
    [InlineData("title: x\ndescription: |\n  a\n  \tb\n\n  c\nlogsource: {product: aws}\ndetection:\n\tsel: x\n  condition: sel\n", 9)]
    [InlineData("title: x\ntags:\n  - >-\n    one\n    \ttwo\nlogsource: {product: aws}\ndetection:\n  sel:\n\t  a: 1\n  condition: sel\n", 9)]
    public void ATabUsedToIndent_IsReportedAtItsLine(string yaml, int line)
    {
        var result = SigmaParser.Parse(yaml, "tabbed.yml");

        var error = Assert.Single(result.Diagnostics);
        Assert.Contains("tab", error.Message, StringComparison.Ordinal);
        Assert.Equal(line, error.Line);
    }

    [Fact]
    public void UnknownModifier_PointsAtTheKey()
    {
        var result = SigmaParser.Parse("title: x\nlogsource:\n  product: aws\ndetection:\n  sel:\n    eventName|sortof: x\n  condition: sel\n", "m.yml");
        var diagnostic = Assert.Single(result.Diagnostics);
        Assert.Equal(6, diagnostic.Line);
        Assert.Equal(5, diagnostic.Column);
        Assert.Contains("sortof", diagnostic.Message);
    }

    [Fact]
    public void MissingDetection_IsAnError()
    {
        var result = SigmaParser.Parse("title: x\nlogsource:\n  product: aws\n", "d.yml");
        Assert.Contains("detection", Assert.Single(result.Diagnostics).Message);
    }

    [Fact]
    public void OneBadDocument_DoesNotStopTheOthers()
    {
        const string yaml = """
            title: good one
            logsource: {product: aws}
            detection:
              sel: {eventName: A}
              condition: sel
            ---
            title: bad one
            logsource: {product: aws}
            detection:
              sel: {eventName|nope: A}
              condition: sel
            ---
            title: good two
            logsource: {product: aws}
            detection:
              sel: {eventName: B}
              condition: sel
            """;
        var result = SigmaParser.Parse(yaml, "multi.yml");
        Assert.Equal(["good one", "good two"], result.Documents.Select(d => d.Title));
        Assert.Equal(10, Assert.Single(result.Diagnostics).Line);
    }

    [Fact]
    public void InvalidRegexOrCidr_IsACompileErrorWithLine_OtherRulesStillCompile()
    {
        const string yaml = """
            title: bad regex
            logsource: {product: aws}
            detection:
              sel:
                eventName|re: '(unclosed'
              condition: sel
            ---
            title: bad cidr
            logsource: {product: aws}
            detection:
              sel:
                sourceIPAddress|cidr: 10.0.0.0/99
              condition: sel
            ---
            title: fine
            logsource: {product: aws}
            detection:
              sel: {eventName: B}
              condition: sel
            """;
        var result = SigmaParser.Parse(yaml, "c.yml");
        var set = CompiledRuleSet.Compile(result.Documents);
        Assert.Equal("fine", Assert.Single(set.Rules).Rule.Title);
        Assert.Equal([5, 12], set.Diagnostics.Select(d => d.Line).Order());
        Assert.All(set.Diagnostics, d => Assert.Equal("c.yml", d.File));
    }

    [Fact]
    public void Metadata_IsRead()
    {
        const string yaml = """
            title: Trail stopped
            id: 1b0f9d6e-2c61-4c8a-9d0e-0a4c9c1e7f10
            name: trail_stopped
            status: test
            level: high
            tags: [attack.defense-evasion, attack.t1562.008]
            logsource: {product: aws, service: cloudtrail}
            detection:
              sel: {eventName: StopLogging}
              condition: sel
            """;
        var rule = Assert.IsType<SigmaRule>(Assert.Single(SigmaParser.Parse(yaml, "r.yml").Documents));
        Assert.Equal("1b0f9d6e-2c61-4c8a-9d0e-0a4c9c1e7f10", rule.Id);
        Assert.Equal("trail_stopped", rule.Name);
        Assert.Equal("high", rule.Level);
        Assert.Equal(["attack.defense-evasion", "attack.t1562.008"], rule.Tags);
        Assert.Equal(new SigmaLogSource("aws", "cloudtrail", null), rule.LogSource);
        Assert.Equal(1, rule.Source.Line);
    }
}

public class ParserRobustnessTests
{
    [Theory]
    [InlineData("title: a\ntitle: b\nlogsource: {product: aws}\ndetection:\n  sel: {a: 1}\n  condition: sel\n", 2)]
    [InlineData("title: a\nlogsource: {product: aws}\ndetection:\n  sel:\n    a: 1\n    a: 2\n  condition: sel\n", 6)]
    public void DuplicateKeys_AreReportedNotThrown(string yaml, int line)
    {
        var result = SigmaParser.Parse(yaml, "dup.yml");
        var diagnostic = Assert.Single(result.Diagnostics);
        Assert.Equal(line, diagnostic.Line);
    }

    [Theory]
    [InlineData("- just\n- a list\n")]
    [InlineData("plain scalar")]
    [InlineData("title: [not, a, string]\nlogsource: {product: aws}\ndetection: {sel: {a: 1}, condition: sel}\n")]
    [InlineData("title: t\nlogsource: [aws]\ndetection: {sel: {a: 1}, condition: sel}\n")]
    [InlineData("title: t\nlogsource: {product: aws}\ndetection: {sel: {a: {nested: map}}, condition: sel}\n")]
    // An empty value list is null for a field (as pySigma reads it), but a keyword search has no field to be null.
    [InlineData("title: t\nlogsource: {product: aws}\ndetection: {sel: {'|contains': []}, condition: sel}\n")]
    [InlineData("title: t\nlogsource: {product: aws}\ndetection: {sel: {a|exists: maybe}, condition: sel}\n")]
    [InlineData("title: t\nlogsource: {product: aws}\ndetection: {sel: {a|gt: lots}, condition: sel}\n")]
    [InlineData("title: t\nlogsource: {product: aws}\ndetection: {sel: {a|base64: 'x*'}, condition: sel}\n")]
    [InlineData("title: t\nlogsource: {product: aws}\ndetection: {sel: {a: 1}, condition: [sel, '']}\n")]
    [InlineData("title: t\nlogsource: {product: aws}\ndetection: {sel: {a: 1}, condition: sel}\nfirebreak: {tests: [{match: true}]}\n")]
    [InlineData("title: t\nlogsource: {product: aws}\ndetection: {sel: {}, condition: sel}\n")]
    [InlineData("title: t\nlogsource: {product: aws}\ndetection: {sel: [], condition: sel}\n")]
    // An empty map among alternatives states no condition; it made the search match every event.
    [InlineData("title: t\nlogsource: {product: aws}\ndetection: {sel: [{a: 1}, {}], condition: sel}\n")]
    [InlineData("title: t\nlogsource: {product: aws}\ndetection:\n  sel:\n  condition: sel\n")]
    [InlineData("")]
    public void MalformedRules_BecomeDiagnostics(string yaml)
    {
        var parsed = SigmaParser.Parse(yaml, "bad.yml");
        var set = CompiledRuleSet.Compile(parsed.Documents);
        var all = parsed.Diagnostics.Concat(set.Diagnostics).ToList();
        if (yaml.Length > 0)
        {
            Assert.NotEmpty(all);
            Assert.All(all, d => Assert.Equal("bad.yml", d.File));
        }

        Assert.Empty(set.Rules);
    }
}

public sealed class LoaderTests : IDisposable
{
    private readonly DirectoryInfo root = Directory.CreateTempSubdirectory("sigma-loader-");

    public void Dispose() => root.Delete(recursive: true);

    [Fact]
    public void LoadDirectory_ReportsBrokenFilesByRelativePath_AndLoadsTheRest()
    {
        Directory.CreateDirectory(Path.Combine(root.FullName, "aws"));
        File.WriteAllText(Path.Combine(root.FullName, "aws", "good.yml"), "title: good\nlogsource: {product: aws}\ndetection: {sel: {eventName: A}, condition: sel}\n");
        File.WriteAllText(Path.Combine(root.FullName, "aws", "bad.yaml"), "title: bad\nlogsource: {product: aws}\ndetection:\n  sel: {eventName: A}\n  condition: sel and\n");
        File.WriteAllText(Path.Combine(root.FullName, "notes.txt"), "not a rule");

        var result = SigmaRuleLoader.LoadDirectory(root.FullName);

        Assert.Equal("good", Assert.Single(result.Documents).Title);
        var diagnostic = Assert.Single(result.Diagnostics);
        Assert.Equal((Path.Combine("aws", "bad.yaml"), 5), (diagnostic.File, diagnostic.Line));
    }

    [Fact]
    public void LoadDirectory_ReportsFilesThatCannotBeRead_AndLoadsTheRest()
    {
        // Before, the first of these ended the whole load: one bad file in a rules folder stopped a hunt.
        const string Rule = "title: {0}\nlogsource: {{product: aws}}\ndetection: {{sel: {{eventName: A}}, condition: sel}}\n";
        File.WriteAllText(Path.Combine(root.FullName, "a-good.yml"), string.Format(System.Globalization.CultureInfo.InvariantCulture, Rule, "first"));
        File.CreateSymbolicLink(Path.Combine(root.FullName, "b-dangling.yml"), Path.Combine(root.FullName, "gone.yml"));
        File.WriteAllBytes(Path.Combine(root.FullName, "c-latin1.yml"), System.Text.Encoding.Latin1.GetBytes(string.Format(System.Globalization.CultureInfo.InvariantCulture, Rule, "Règle")));
        using (var huge = File.Create(Path.Combine(root.FullName, "d-huge.yml")))
        {
            huge.SetLength(SigmaRuleLoader.MaxFileBytes + 1L);
        }

        File.WriteAllBytes(Path.Combine(root.FullName, "e-bom.yml"), [.. System.Text.Encoding.UTF8.Preamble, .. System.Text.Encoding.UTF8.GetBytes(string.Format(System.Globalization.CultureInfo.InvariantCulture, Rule, "Règle with a BOM"))]);

        var result = SigmaRuleLoader.LoadDirectory(root.FullName);

        Assert.Equal(["first", "Règle with a BOM"], result.Documents.Select(d => d.Title));
        Assert.Equal(["b-dangling.yml", "c-latin1.yml", "d-huge.yml"], result.Diagnostics.Select(d => d.File));
        Assert.All(result.Diagnostics, d => Assert.Equal((DiagnosticSeverity.Error, "file", 1), (d.Severity, d.Code, d.Line)));
        Assert.Contains("cannot be read", result.Diagnostics[0].Message, StringComparison.Ordinal);
        Assert.Contains("not UTF-8", result.Diagnostics[1].Message, StringComparison.Ordinal);
        Assert.Contains("more than a rule file may hold", result.Diagnostics[2].Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ARuleFileThatIsANamedPipe_IsReadWhenNamed_BoundedInSize_AndPassedOverInAFolder()
    {
        // A pipe has no length: asking for it failed the whole load with "Stream does not support seeking". Found in a
        // folder, reading it would hold the load until something wrote to it (a log folder passes pipes over too).
        Assert.SkipUnless(OperatingSystem.IsLinux(), "named pipes as on Linux");
        const string Rule = "title: piped\nlogsource: {product: aws}\ndetection: {sel: {eventName: A}, condition: sel}\n";
        var fifo = Path.Combine(root.FullName, "piped.yml");
        var bigFifo = Path.Combine(root.FullName, "piped-huge.yml");
        foreach (var path in new[] { fifo, bigFifo })
        {
            using var mkfifo = System.Diagnostics.Process.Start("mkfifo", [path]);
            await mkfifo.WaitForExitAsync(TestContext.Current.CancellationToken);
            Assert.Equal(0, mkfifo.ExitCode);
        }

        File.WriteAllText(Path.Combine(root.FullName, "plain.yml"), Rule.Replace("piped", "plain", StringComparison.Ordinal));

        var folder = await Task.Run(() => SigmaRuleLoader.LoadDirectory(root.FullName), TestContext.Current.CancellationToken).WaitAsync(HangGuard.Limit, TestContext.Current.CancellationToken);

        Assert.Equal(["plain"], folder.Documents.Select(d => d.Title));
        Assert.Equal(["piped-huge.yml", "piped.yml"], folder.Diagnostics.Select(d => d.File).Order(StringComparer.Ordinal));
        Assert.All(folder.Diagnostics, d => Assert.Equal((DiagnosticSeverity.Warning, "empty, or not a regular file (a named pipe or a device): nothing to read; skipped"), (d.Severity, d.Message)));

        // Named on its own, a pipe is read; one holding more than a rule file may is refused at the limit (the writer
        // of a pipe the loader has stopped reading gets an error, which ends its feeding).
        var feeding = Task.Run(async () =>
        {
            await using var piped = new FileStream(fifo, FileMode.Open, FileAccess.Write);
            await piped.WriteAsync(System.Text.Encoding.UTF8.GetBytes(Rule));
        }, TestContext.Current.CancellationToken);
        var named = await Task.Run(() => SigmaRuleLoader.LoadFile(fifo), TestContext.Current.CancellationToken).WaitAsync(HangGuard.Limit, TestContext.Current.CancellationToken);
        await feeding.WaitAsync(HangGuard.Limit, TestContext.Current.CancellationToken);
        Assert.Equal(["piped"], named.Documents.Select(d => d.Title));

        var feedingHuge = Task.Run(async () =>
        {
            await using var huge = new FileStream(bigFifo, FileMode.Open, FileAccess.Write);
            try
            {
                var block = new byte[64 * 1024];
                block.AsSpan().Fill((byte)'#');
                for (var written = 0L; written <= SigmaRuleLoader.MaxFileBytes + block.Length; written += block.Length) await huge.WriteAsync(block);
            }
            catch (IOException)
            {
                // The loader closed the pipe at its limit.
            }
        }, TestContext.Current.CancellationToken);
        var tooLarge = await Task.Run(() => SigmaRuleLoader.LoadFile(bigFifo), TestContext.Current.CancellationToken).WaitAsync(HangGuard.Limit, TestContext.Current.CancellationToken);
        await feedingHuge.WaitAsync(HangGuard.Limit, TestContext.Current.CancellationToken);
        Assert.Empty(tooLarge.Documents);
        Assert.Contains("more than a rule file may hold", Assert.Single(tooLarge.Diagnostics).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void LoadDirectory_ReadsAFolderReachedTwiceOnce_AndLeavesHiddenFoldersOut()
    {
        // Before, a link back up the rules folder loaded every rule again at each level, and a repository's
        // .github workflows were parsed as rules.
        const string Rule = "title: {0}\nlogsource: {{product: aws}}\ndetection: {{sel: {{eventName: A}}, condition: sel}}\n";
        var aws = Directory.CreateDirectory(Path.Combine(root.FullName, "aws"));
        File.WriteAllText(Path.Combine(aws.FullName, "one.yml"), string.Format(System.Globalization.CultureInfo.InvariantCulture, Rule, "one"));
        Directory.CreateSymbolicLink(Path.Combine(aws.FullName, "loop"), root.FullName);
        var workflows = Directory.CreateDirectory(Path.Combine(root.FullName, ".github", "workflows"));
        File.WriteAllText(Path.Combine(workflows.FullName, "ci.yml"), "on: push\njobs: {}\n");

        var result = SigmaRuleLoader.LoadDirectory(root.FullName);

        Assert.Equal(["one"], result.Documents.Select(d => d.Title));
        var loop = Assert.Single(result.Diagnostics);
        Assert.Equal(("aws/loop", DiagnosticSeverity.Warning, "file"), (loop.File, loop.Severity, loop.Code));
        Assert.Contains("(a loop): not read again", loop.Message, StringComparison.Ordinal);
    }
}
