using System.Buffers;
using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json;
using Firebreak.Detection.Events;
using Firebreak.Detection.Hunting;
using Firebreak.Detection.Readers;
using Firebreak.Detection.Readers.Sources;
using Firebreak.Detection.Sigma;
using Spectre.Console;

namespace Firebreak.Cli.Commands;

/// <summary>
/// <c>firebreak hunt</c>: Sigma rules over cloud audit logs on disk or in S3, offline. Hits are shown,
/// written as data, or sent to a server as alerts.
/// </summary>
internal static partial class HuntCommand
{
    internal static readonly string[] Levels = ["informational", "low", "medium", "high", "critical"];

    private static readonly Dictionary<string, LogFormat> Formats = new(StringComparer.OrdinalIgnoreCase)
    {
        ["auto"] = LogFormat.Auto,
        ["cloudtrail"] = LogFormat.CloudTrail,
        ["cloudtrail-lake"] = LogFormat.CloudTrailLake,
        ["security-lake"] = LogFormat.SecurityLakeOcsf,
        ["azure-activity"] = LogFormat.AzureActivity,
        ["entra-signin"] = LogFormat.EntraSignIn,
        ["entra-audit"] = LogFormat.EntraAudit,
        ["gcp-audit"] = LogFormat.GcpAudit,
    };

    public static Command Create(CliContext context, CommandCatalog catalog)
    {
        var command = catalog.Create("hunt",
            "Run Sigma rules (the built-in pack plus --rules folders) over cloud audit logs: CloudTrail, CloudTrail Lake, Security Lake OCSF, Azure Activity, Entra sign-in and audit, GCP audit. Files, folders, globs, .gz, or s3://bucket/prefix. Exit 0 no hits, 1 hits, 2 error.",
            "firebreak hunt ./AWSLogs --since 2026-01-15T00:00:00Z",
            "firebreak hunt s3://trail-bucket/AWSLogs/123456789012/ --min-level high",
            "firebreak hunt ./logs --rules ./sigma/rules/cloud --output jsonl > hits.jsonl",
            "aws s3 cp s3://trail-bucket/AWSLogs/123456789012/CloudTrail/us-east-1/2026/01/15/file.json.gz - | firebreak hunt -",
            "firebreak hunt ./logs --send-to https://firebreak.example.com",
            "firebreak hunt ./logs --send-to https://firebreak.example.com --incident INC-2026-0042");
        var paths = new Argument<string[]>("paths") { Description = "Files, folders, glob patterns, s3://bucket/prefix URLs, or - for standard input.", Arity = ArgumentArity.OneOrMore };
        var sources = new RuleSources();
        var since = new Option<string?>("--since") { Description = "Only events at or after this time: an ISO 8601 date or time (2026-01-15, 2026-01-15T08:00:00Z, 2026-01-15T10:00:00+02:00; UTC without an offset) or an age such as 24h, 7d, 30m.", HelpName = "T" };
        var until = new Option<string?>("--until") { Description = "Only events before this time; same forms as --since.", HelpName = "T" };
        var minLevel = new Option<string>("--min-level") { Description = "Only report hits of rules at this level or above.", DefaultValueFactory = _ => "informational" };
        minLevel.OneOf(Levels);
        var format = new Option<string>("--format") { Description = "Log format of every input; auto detects it per file.", DefaultValueFactory = _ => "auto" };
        format.OneOf([.. Formats.Keys]);
        var output = new Option<string>("--output") { Description = "table (for people), or json, jsonl, csv (for tools).", DefaultValueFactory = _ => "table" };
        output.OneOf("table", "json", "jsonl", "csv");
        var sendTo = new Option<string?>("--send-to") { Description = "Also send the hits as alerts to this Firebreak server (POST /api/v1/alerts/batch).", HelpName = "URL" };
        var apiKey = new Option<string?>("--api-key") { Description = $"API key for --send-to; {IncidentCommands.KeyVariable} is preferred (keys on the command line end up in shell history).", HelpName = "KEY" };
        var incident = new Option<string?>("--incident") { Description = "With --send-to: attach the events behind the hits to this incident (its event store and search) instead of raising alerts.", HelpName = "REF" };
        var sendTimeout = new Option<int>("--send-timeout")
        {
            Description = "With --send-to: seconds the server may stay silent (connecting, taking the request, answering) before the request is tried again (4 tries in all).",
            HelpName = "SECONDS",
            DefaultValueFactory = _ => 60,
        };
        sendTimeout.Validators.Add(result =>
        {
            // A value that is no number is the parser's to report; reading it here would throw.
            if (result.Tokens is [var token] && int.TryParse(token.Value, System.Globalization.CultureInfo.InvariantCulture, out var seconds) && seconds is < 1 or > 3600)
            {
                result.AddError("--send-timeout must be between 1 and 3600 seconds.");
            }
        });
        var includeDeprecated = new Option<bool>("--include-deprecated")
        {
            Description = "Also run rules whose status is deprecated or unsupported (replaced by other rules, or not usable as written), which a hunt leaves out.",
        };
        var s3Endpoint = new Option<string?>("--s3-endpoint") { Description = "S3-compatible endpoint for s3:// inputs (MinIO, LocalStack); credentials come from the usual AWS environment variables.", HelpName = "URL" };

        // The paths take any number of words, so a mistyped option (--min-levle high) would be read as two paths and
        // the hunt run without it. A path that looks like an option and names nothing is an error instead.
        paths.Validators.Add(result =>
        {
            foreach (var token in result.Tokens)
            {
                var text = token.Value;
                if (text.Length > 1 && text[0] == '-' && !File.Exists(text) && !Directory.Exists(text))
                {
                    result.AddError($"unknown option '{text}' (a file whose name starts with '-' can be given as ./{text}).");
                }
            }
        });
        command.Add(paths);
        sources.AddTo(command);
        foreach (var option in new Option[] { since, until, minLevel, includeDeprecated, format, output, sendTo, apiKey, incident, sendTimeout, s3Endpoint }) command.Add(option);

        command.SetAction(async (parseResult, cancellationToken) =>
        {
            // Ctrl+C is handled from here on, before the rules load: a large rule folder takes a while.
            using var interruption = new HuntInterruption(cancellationToken);
            // Everything, the options' values and the rules' loading included, fails with exit 2, never the 1 of hits.
            return await WithErrorExitCode(StartAsync());

            // Async, so that what the options' values or the loading throw reaches the guard as a failed task.
            async Task<int> StartAsync()
            {
                RefuseFlagValue(parseResult, includeDeprecated);
                RefuseFlagValue(parseResult, sources.NoBuiltIn);
                var now = TimeProvider.System.GetUtcNow();
                var request = new HuntRequest(
                    parseResult.GetValue(paths) ?? [],
                    ParseTime(parseResult.GetValue(since), "--since", now),
                    ParseTime(parseResult.GetValue(until), "--until", now),
                    Array.IndexOf(Levels, parseResult.GetValue(minLevel)),
                    Formats[parseResult.GetValue(format)!],
                    parseResult.GetValue(output)!,
                    parseResult.GetValue(sendTo),
                    parseResult.GetValue(apiKey) ?? context.GetEnvironmentVariable(IncidentCommands.KeyVariable),
                    parseResult.GetValue(s3Endpoint),
                    parseResult.GetValue(incident),
                    TimeSpan.FromSeconds(parseResult.GetValue(sendTimeout)),
                    parseResult.GetValue(includeDeprecated));
                // The rules are read apart, so that a signal while a rule file is a pipe with nothing written to it yet
                // (--rules <(curl ...)) stops the hunt at once: such a read cannot be cancelled, and is left behind.
                var loading = Task.Run(() => sources.Load(parseResult), CancellationToken.None);
                if (await Task.WhenAny(loading, interruption.Signalled) != loading && !cancellationToken.IsCancellationRequested)
                {
                    _ = loading.ContinueWith(static t => _ = t.Exception, CancellationToken.None, TaskContinuationOptions.OnlyOnFaulted | TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
                    return InterruptedWhileLoading(context, interruption);
                }

                return await RunAsync(context, await loading, request, interruption, cancellationToken);
            }
        });
        return command;
    }

    /// <summary>
    /// A flag given a value it cannot take (<c>--include-deprecated=maybe</c>) leaves the value to the paths, where it named
    /// a file that does not exist and the hunt ran without the flag. A word right after the flag that is neither true nor
    /// false, nor a file, folder, glob, s3:// URL or '-' to hunt, is a usage error instead.
    /// </summary>
    private static void RefuseFlagValue(ParseResult parseResult, Option<bool> flag)
    {
        var tokens = parseResult.Tokens;
        for (var i = 0; i + 1 < tokens.Count; i++)
        {
            if (tokens[i].Type != System.CommandLine.Parsing.TokenType.Option || (tokens[i].Value != flag.Name && !flag.Aliases.Contains(tokens[i].Value))) continue;
            var next = tokens[i + 1];
            if (next.Type != System.CommandLine.Parsing.TokenType.Argument || bool.TryParse(next.Value, out _) || next.Value == StandardInput
                || next.Value.StartsWith("s3://", StringComparison.OrdinalIgnoreCase) || next.Value.AsSpan().IndexOfAny("*?[") >= 0
                || File.Exists(next.Value) || Directory.Exists(next.Value)) continue;
            throw new CliException(ExitCodes.Usage, $"{flag.Name} takes no value (or true or false): '{next.Value}' is neither, nor a file or folder to hunt.");
        }
    }

    private sealed record HuntRequest(string[] Paths, DateTimeOffset? Since, DateTimeOffset? Until, int MinLevel, LogFormat Format, string Output,
        string? SendTo, string? ApiKey, string? S3Endpoint, string? Incident, TimeSpan SendTimeout, bool IncludeDeprecated);

    /// <summary>What --since and --until take, for the messages that refuse a value.</summary>
    private const string TimeForms = "give an ISO 8601 date or time (2026-01-15, 2026-01-15T08:00:00Z, 2026-01-15T10:00:00+02:00; without Z or an offset it is UTC) or an age such as 24h, 7d or 30m";

    /// <summary>
    /// ISO 8601's extended form: a date, or a date and a time of day (the T may be a space) with seconds and their
    /// fraction optional, and Z, an offset or nothing (UTC). Other forms (01/02/2026, 15 Jan 2026) are not read: a
    /// day and a month written in the order of one country are read as the other's.
    /// </summary>
    [System.Text.RegularExpressions.GeneratedRegex(
        @"^(?<year>[0-9]{4})-(?<month>[0-9]{2})-(?<day>[0-9]{2})(?:[Tt ](?<hour>[0-9]{2}):(?<minute>[0-9]{2})(?::(?<second>[0-9]{2})(?:\.(?<fraction>[0-9]{1,9}))?)?(?<zone>[Zz]|(?<sign>[+-])(?<offsetHours>[0-9]{2})(?::?(?<offsetMinutes>[0-9]{2}))?)?)?\z",
        System.Text.RegularExpressions.RegexOptions.CultureInvariant)]
    private static partial System.Text.RegularExpressions.Regex IsoTime();

    internal static DateTimeOffset? ParseTime(string? text, string option, DateTimeOffset now)
    {
        if (text is null) return null;
        // Given without a time (`--since "$UNSET"`): a hunt of everything would look like the bounded one asked for.
        if (string.IsNullOrWhiteSpace(text)) throw new CliException(ExitCodes.Usage, $"{option} was given no time; give an ISO 8601 time or an age such as 24h or 7d, or leave the option out.");
        text = text.Trim();
        var unit = text[^1];
        if (unit is 'm' or 'h' or 'd' or 'w' && double.TryParse(text[..^1], NumberStyles.Float, CultureInfo.InvariantCulture, out var amount) && amount >= 0)
        {
            try
            {
                return now - unit switch { 'm' => TimeSpan.FromMinutes(amount), 'h' => TimeSpan.FromHours(amount), 'd' => TimeSpan.FromDays(amount), _ => TimeSpan.FromDays(7 * amount) };
            }
            catch (Exception e) when (e is ArgumentOutOfRangeException or OverflowException)
            {
                throw new CliException(ExitCodes.Usage, $"{option} '{text}' reaches back before the first year of the calendar; give a time or a shorter age.");
            }
        }

        if (IsoTime().Match(text) is not { Success: true } match)
            throw new CliException(ExitCodes.Usage, $"{option} '{text}' is not a time it takes: {TimeForms}.");

        int Number(string group) => match.Groups[group].Success ? int.Parse(match.Groups[group].ValueSpan, NumberStyles.None, CultureInfo.InvariantCulture) : 0;
        try
        {
            if (Number("offsetMinutes") > 59) throw new ArgumentOutOfRangeException(nameof(text));
            var offset = new TimeSpan(Number("offsetHours"), Number("offsetMinutes"), 0);
            if (match.Groups["sign"].ValueSpan is "-") offset = -offset;
            // A fraction past the 100 ns a tick holds is cut, not rounded (it cannot move the time into the next second).
            var fraction = match.Groups["fraction"].Value;
            var ticks = fraction.Length == 0 ? 0 : int.Parse(fraction.PadRight(7, '0')[..7], NumberStyles.None, CultureInfo.InvariantCulture);
            var local = new DateTime(Number("year"), Number("month"), Number("day"), Number("hour"), Number("minute"), Number("second"), DateTimeKind.Unspecified).AddTicks(ticks);
            return new DateTimeOffset(local, offset).ToUniversalTime();
        }
        catch (ArgumentException)
        {
            // 2026-02-30, 25:00, an offset past 14 hours, a time that an offset moves out of the calendar.
            throw new CliException(ExitCodes.Usage, $"{option} '{text}' is no date or time of the calendar: {TimeForms}.");
        }
    }

    /// <summary>
    /// How many rules the hunt left out for their status, and how many it matched only for the correlations that refer to
    /// them (their own hits not shown): "12 deprecated rule(s) not run (--include-deprecated to run them)."; null for none.
    /// </summary>
    internal static string? RetiredNote(RuleSelection? selection)
    {
        if (selection is null || (selection.LeftOut.Count == 0 && selection.Unreported.Count == 0)) return null;
        static string Counts(IEnumerable<SigmaDocument> documents)
        {
            var list = documents.ToList();
            return string.Join(" and ", RetiredRules.Statuses.Select(s => (Status: s, Count: list.Count(d => RetiredRules.StatusOf(d) == s))).Where(c => c.Count > 0)
                .Select(c => string.Create(CultureInfo.InvariantCulture, $"{c.Count} {c.Status}"))) + " rule(s)";
        }

        var parts = new List<string>();
        if (selection.LeftOut.Count > 0) parts.Add(Counts(selection.LeftOut) + " not run");
        if (selection.Unreported.Count > 0) parts.Add(Counts(selection.Unreported) + " matched only for the correlations that refer to them, their own hits not shown");
        return string.Join("; ", parts) + " (--include-deprecated to run them).";
    }

    /// <summary>Names the rules that make the pre-filter parse whole logs, so a slow hunt can be explained.</summary>
    internal static string? PreFilterNote(RawFilterPlan plan)
    {
        static string Names(IReadOnlyList<string> rules) =>
            string.Join(", ", rules.Take(3).Select(r => $"'{Visible(r)}'")) + (rules.Count > 3 ? $" and {rules.Count - 3} more" : "");
        var parts = new List<string>();
        if (plan.UnfilteredCloudTrailRules.Count > 0) parts.Add($"every CloudTrail record is parsed because of {Names(plan.UnfilteredCloudTrailRules)}");
        if (plan.UnfilteredGcpRules.Count > 0) parts.Add($"every GCP record is parsed because of {Names(plan.UnfilteredGcpRules)}");
        if (plan.UnfilteredRules.Count > 0) parts.Add($"other records are parsed because of {Names(plan.UnfilteredRules)}");
        return parts.Count == 0 ? null : "Pre-filter: " + string.Join("; ", parts) + " (no text every match must contain).";
    }

    /// <summary>
    /// For hunt, exit code 1 means hits, so a failure nobody foresaw must not end with the 1 other commands use
    /// for it: it is an error (2), with its cause.
    /// </summary>
    private static async Task<int> WithErrorExitCode(Task<int> hunt)
    {
        try
        {
            return await hunt;
        }
        catch (Exception e) when (e is not CliException and not OperationCanceledException)
        {
            throw new CliException(ExitCodes.Usage, CliApp.Describe(e));
        }
    }

    private static int InterruptedWhileLoading(CliContext context, HuntInterruption interruption)
    {
        context.ErrorConsole.WriteLine($"Interrupted ({interruption.Name}) while the rules loaded: no log was read.");
        return interruption.ExitCode;
    }

    private static async Task<int> RunAsync(CliContext context, SigmaParseResult parsed, HuntRequest request, HuntInterruption interruption, CancellationToken cancellationToken)
    {
        if (request.Since is { } from && request.Until is { } to && from >= to) throw new CliException(ExitCodes.Usage, "--since must be before --until.");
        if (request.Paths.Count(p => p == StandardInput) > 1) throw new CliException(ExitCodes.Usage, "'-' (standard input) can be named once: it can be read only once.");
        if (request.Incident is not null && request.SendTo is null) throw new CliException(ExitCodes.Usage, "--incident needs --send-to: the server that holds the incident.");
        // An empty key (--api-key "", a variable set to nothing) is no key: said now, not after a hunt, by the server.
        if (request.SendTo is not null && string.IsNullOrWhiteSpace(request.ApiKey))
            throw new CliException(ExitCodes.Usage, $"--send-to needs an API key: set {IncidentCommands.KeyVariable} or pass --api-key.");
        await using var sender = request.SendTo is null ? null : AlertSender.Create(request.SendTo, request.ApiKey!, request.SendTimeout);

        // Deprecated and unsupported rules are left out unless asked for; those a correlation that runs refers to are
        // matched for it, without hits of their own.
        var selection = request.IncludeDeprecated ? null : RetiredRules.LeaveOut(parsed.Documents);
        var rules = selection is null
            ? CompiledRuleSet.Compile(parsed.Documents)
            : CompiledRuleSet.Compile(selection.Documents, new SigmaCompileOptions { Unreported = selection.Unreported });
        RulesCommands.ReportDiagnostics(context, parsed.Diagnostics.Concat(rules.Diagnostics));
        if (interruption.Requested && !cancellationToken.IsCancellationRequested)
        {
            return InterruptedWhileLoading(context, interruption);
        }

        if (rules.Rules.Count == 0)
        {
            var unusable = parsed.Diagnostics.Concat(rules.Diagnostics).Any(d => d.Severity == DiagnosticSeverity.Error);
            throw new CliException(ExitCodes.Usage, selection switch
            {
                { LeftOut.Count: > 0 } when unusable => $"No rule to run: the other rules could not be compiled, and {RetiredNote(selection)}",
                { LeftOut.Count: > 0 } => $"No rule to run: {RetiredNote(selection)}",
                _ => "None of the rules could be compiled.",
            });
        }

        var reader = new CloudLogReader(new ReaderOptions
        {
            Format = request.Format,
            // Matching runs on the other cores; parsing is the larger share of the work, so it gets them all too.
            MaxDegreeOfParallelism = Environment.ProcessorCount,
            RawFilter = RuleRawFilter.Create(rules, request.Format),
            RawFilterForUnknownShape = RuleRawFilter.CreateForUnknownShape(rules, request.Format),
        });
        // With --since/--until, files whose names say they hold no event of the window are not opened (nor downloaded).
        var window = new DeliveryWindow(request.Since, request.Until);
        var outsideWindow = 0L;
        // Every path is read as one source, so events reach the hunt in one fixed order (paths as named, then
        // files as listed) and its correlation hits are the same every run.
        var sources = request.Paths.Select(p => Open(p, request, window, _ => Interlocked.Increment(ref outsideWindow), context)).ToList();
        // Ctrl+C or SIGTERM stops reading; what was read is still matched, and the hunt reports every hit of it and what
        // it read, says it was interrupted and exits 130 (143). Killed outright, it left no summary and, on a terminal,
        // a hidden cursor; cancelling the matching too dropped the hits on their way back from the workers.
        var events = reader.ReadAsync(new LogInputSources(sources), interruption.Token);
        IReadOnlyList<IAsyncEnumerable<CloudEvent>> inputs = [interruption.UntilStopped(window.IsBounded ? InWindow(events, window, interruption.Token) : events, cancellationToken)];
        var hunt = new Hunt(rules);
        var clock = Stopwatch.StartNew();
        // Line formats are written as hits arrive (in arrival order) unless they are needed again for
        // sending. The others keep their hits on disk in time order (a hit held in memory would hold its
        // whole parsed record, and noisy rules over a big log find hundreds of thousands).
        var streaming = request.SendTo is null && request.Output is "jsonl" or "csv";
        using var hits = new HuntHitSpool(keepRecords: request.Incident is not null);
        if (streaming && request.Output == "csv") context.Output.WriteLine(CsvHeader);
        // The hits written, counted as they are; the progress bar reads it from another thread.
        var reported = 0L;

        async Task Collect()
        {
            // Streamed lines are formatted on the matching workers, in parallel, as UTF-8 (the bytes that
            // are written, with no trip through UTF-16), and go out here in chunks: a write per hit costs a
            // system call, which on a noisy rule set was as much time as parsing. They are written every
            // 64 KB, every half second while hits keep coming, and at the end.
            var pending = new ArrayBufferWriter<byte>(128 * 1024);
            var lastWrite = Stopwatch.StartNew();

            void Write(bool force)
            {
                if (pending.WrittenCount == 0 || (!force && pending.WrittenCount < 64 * 1024 && lastWrite.ElapsedMilliseconds < 500)) return;
                context.WriteOutputUtf8(pending.WrittenSpan);
                pending.ResetWrittenCount();
                lastWrite.Restart();
            }

            bool Reported(HuntHit hit) => LevelRank(hit.Level) >= request.MinLevel;
            try
            {
                if (streaming)
                {
                    var csv = request.Output == "csv";
                    await foreach (var line in hunt.RunAsync(inputs, hit => !Reported(hit) ? null : csv ? Encoding.UTF8.GetBytes(CsvRow(hit) + Environment.NewLine) : HitJsonWriter.ToLine(hit), cancellationToken))
                    {
                        Interlocked.Increment(ref reported);
                        pending.Write(line);
                        Write(force: false);
                    }
                }
                else
                {
                    await foreach (var kept in hunt.RunAsync(inputs, hit => Reported(hit) ? hits.Prepare(hit) : null, cancellationToken))
                    {
                        Interlocked.Increment(ref reported);
                        hits.Add(kept);
                    }
                }
            }
            finally
            {
                Write(force: true);
            }
        }

        if (context.ErrorConsole.Profile.Capabilities.Interactive)
        {
            using var sizing = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            var shown = new HuntProgress(reader.Summary, hunt.Statistics, () => Interlocked.Read(ref reported), HuntProgress.TotalBytesAsync(request.Paths, window, sizing.Token));
            await context.ErrorConsole.Progress().AutoClear(true)
                .Columns(HuntProgress.Columns())
                .StartAsync(async progress =>
                {
                    var task = progress.AddTask("starting").IsIndeterminate();
                    var work = Collect();
                    while (await Task.WhenAny(work, Task.Delay(250, cancellationToken)) != work)
                    {
                        shown.Update(task, clock.Elapsed);
                    }

                    await work;
                    shown.Update(task, clock.Elapsed);
                    task.StopTask();
                });
            await sizing.CancelAsync();
        }
        else
        {
            await Collect();
        }

        // Reading is over: a signal now ends the process at once, as it does for any command.
        interruption.StopListening();
        var interrupted = interruption.Requested && !cancellationToken.IsCancellationRequested;
        var summary = reader.Summary;
        var problems = summary.Problems;
        var stats = Describe(summary, hunt.Statistics, clock.Elapsed, reported, request.MinLevel);
        switch (request.Output)
        {
            case "json":
                WriteJson(context, hits, summary, Interlocked.Read(ref outsideWindow), problems, rules, selection?.LeftOut.Count ?? 0,
                    [.. parsed.Diagnostics.Concat(rules.Diagnostics).Where(d => d.Severity == DiagnosticSeverity.Error)], hunt.Statistics.Hits - hits.Count);
                break;
            case "jsonl":
                if (!streaming) foreach (var hit in hits.Read()) context.WriteOutputUtf8(HitJsonWriter.ToLine(hit));
                break;
            case "csv":
                if (!streaming) WriteCsv(context, hits);
                break;
            default:
                WriteTable(context, hits, rules, request.MinLevel, hunt.Statistics.Hits);
                break;
        }

        // The first problems, then those that stopped reading an input (a damaged file can report many
        // malformed lines before the error that explains them).
        var listed = problems.Take(50).Concat(problems.Skip(50).Where(p => p.EndsInput).Take(50)).ToList();
        foreach (var problem in listed)
        {
            // One line each (an SDK's message can run over several), and what a reason quotes from the log is shown, not sent to the terminal.
            context.ErrorConsole.Line(($"{problem.Severity.ToString().ToLowerInvariant()}:", ConsoleText.Warning),
                (" " + Visible($"{problem.Source}:{problem.Line?.ToString(CultureInfo.InvariantCulture) ?? "?"}: {problem.Reason.ReplaceLineEndings(" ")}"), null));
        }

        var allProblems = summary.Errors + summary.Warnings;
        if (allProblems > listed.Count) context.ErrorConsole.WriteLine($"... and {allProblems - listed.Count} more problem(s).");
        if (RetiredNote(selection) is { } retired) context.ErrorConsole.WriteLine(retired);
        if (PreFilterNote(RuleRawFilter.Describe(rules)) is { } note) context.ErrorConsole.WriteLine(note);
        foreach (var (document, values) in rules.Undecided())
        {
            context.ErrorConsole.Line(("warning:", ConsoleText.Warning),
                (" " + Visible($"{document.Source.File}:{document.Source.Line}: '{document.Title}': {values} value(s) took its regular expression longer than {CompiledRuleSet.RegexTimeLimit.TotalSeconds:0.#} s to match and were taken as no match; a hit may be missing."), null));
        }

        // Not one record read, and errors: the inputs were missing, or none held a log it could read (a text file, standard
        // input that was not JSON). Or inputs were opened and held no record at all (an empty file, empty standard input).
        // Files left unopened because their names lie outside --since/--until are not a reason: that hunt is clean.
        // A folder with no file in it, or only empty ones, is no clean hunt either.
        var nothingRead = !interrupted && summary.Events + summary.Filtered == 0 && (summary.Errors > 0 || summary.Files > 0 || Interlocked.Read(ref outsideWindow) == 0);
        if (nothingRead)
        {
            context.ErrorConsole.MarkupLine(summary.Errors > 0
                ? "[red]error:[/] none of the inputs could be read; nothing was hunted."
                : summary.DigestFiles > 0 && summary.Files == 0
                    ? "[red]error:[/] the inputs held only CloudTrail digest files, which list log files and their hashes but hold no event; nothing was hunted. Hunt the trail's CloudTrail folder (beside CloudTrail-Digest)."
                    : summary.Files > 0 || summary.Warnings > 0
                        ? "[red]error:[/] the inputs held no log records; nothing was hunted."
                        : "[red]error:[/] no log file was found in the inputs; nothing was hunted.");
        }

        var unopened = !window.IsBounded ? "" : $", {Interlocked.Read(ref outsideWindow)} file(s) named for times outside --since/--until left unread";
        if (interrupted)
        {
            context.ErrorConsole.WriteLine(
                $"Interrupted ({interruption.Name}): the hits are those found in what was read before it{(sender is null ? "" : $"; nothing was sent to {request.SendTo}")}.");
            if (interruption.ReaderLeftBehind)
            {
                context.ErrorConsole.WriteLine(
                    $"Reading had not stopped {interruption.GraceSeconds} s after the signal (waiting on an idle pipe, or listing a large archive?): records it had read but not yet handed on were not matched.");
            }
        }

        context.ErrorConsole.WriteLine($"{stats}; {summary.Files} file(s), {summary.Errors} read error(s), {summary.Warnings} warning(s), {summary.Filtered} record(s) skipped by the pre-filter{unopened}{(summary.DigestFiles > 0 ? $", {summary.DigestFiles} CloudTrail digest file(s) passed by (no events in them)" : "")}{(interrupted ? "; interrupted" : "")}.");
        if (interrupted) return interruption.ExitCode;

        try
        {
            if (sender is not null && request.Incident is not null && hits.Count > 0 && !hits.Read().Any(h => h.Event is not null))
            {
                // Correlation hits are not sent as events, and an upload of nothing is refused: nothing to send is no failure.
                context.ErrorConsole.WriteLine($"No events to attach to {request.Incident}: the {hits.Count} hit(s) are correlations, whose events are not sent.");
            }
            else if (sender is not null && request.Incident is not null && hits.Count > 0)
            {
                var attached = await sender.AttachEventsAsync(request.Incident, hits.Read(), cancellationToken);
                context.ErrorConsole.WriteLine($"Attached {attached.Events} event(s) to {request.Incident} on {request.SendTo}: import {attached.ImportId} ({attached.Status}).");
            }
            else if (sender is not null && hits.Count > 0)
            {
                var sent = await sender.SendAsync(hits.Read(), cancellationToken);
                context.ErrorConsole.WriteLine($"Sent {sent.Alerts} alert(s) to {request.SendTo} in {sent.Requests} request(s); {sent.Replayed} request(s) had been sent before and stored nothing new.");
            }
        }
        catch (CliException e)
        {
            // Exit 1 means "hits" here: a refused key or an unreachable server must not read as a finished
            // hunt whose hits reached the server. The hits are already on standard output.
            throw new CliException(ExitCodes.Usage, $"{e.Message} The {hits.Count} hit(s) above were found but not all reached the server; running the hunt again stores nothing twice.", e.FieldErrors);
        }

        // "No hits" would read as "clean": a mistyped path must not look like a hunt that found nothing.
        if (nothingRead) return ExitCodes.Usage;
        return reported > 0 ? ExitCodes.Refused : ExitCodes.Ok;
    }

    /// <summary>The path that names standard input, as other commands take it.</summary>
    internal const string StandardInput = "-";

    private static ILogInputSource Open(string path, HuntRequest request, DeliveryWindow window, Action<LogInput> outsideWindow, CliContext context)
    {
        if (path == StandardInput)
        {
            // Plain or gzip, as a file is: the format is found from the content.
            return new LogInputList([new LogInput(StandardInput, _ => Task.FromResult(context.OpenInput()))]);
        }

        if (path.StartsWith("s3://", StringComparison.OrdinalIgnoreCase))
        {
            var rest = path["s3://".Length..];
            var slash = rest.IndexOf('/');
            var bucket = slash < 0 ? rest : rest[..slash];
            if (bucket.Length == 0) throw new CliException(ExitCodes.Usage, $"'{path}' names no bucket; write s3://bucket/prefix.");
            var client = S3LogInputSource.CreateClient(new S3SourceOptions
            {
                ServiceUrl = request.S3Endpoint,
                Region = context.GetEnvironmentVariable("AWS_REGION") ?? context.GetEnvironmentVariable("AWS_DEFAULT_REGION") ?? ProfileRegion(context) ?? "us-east-1",
                AccessKeyId = context.GetEnvironmentVariable("AWS_ACCESS_KEY_ID"),
                SecretAccessKey = context.GetEnvironmentVariable("AWS_SECRET_ACCESS_KEY"),
                SessionToken = context.GetEnvironmentVariable("AWS_SESSION_TOKEN"),
            });
            // A zip or tar archive in the bucket is downloaded and read entry by entry, its entries windowed by their names.
            return window.Apply(new ArchiveDownloads(new S3LogInputSource(client, bucket, slash < 0 ? null : rest[(slash + 1)..], window), remote: true), outsideWindow);
        }

        // An archive inside an archive (a zip of one tarball per account) is unpacked to a temporary file and read entry by entry.
        return window.Apply(new ArchiveDownloads(new FileLogInputSource(path)), outsideWindow);
    }

    /// <summary>
    /// The region of the AWS profile in use (<c>AWS_PROFILE</c>, else <c>default</c>) in the shared config and credentials
    /// files (<c>AWS_SHARED_CREDENTIALS_FILE</c>, else <c>~/.aws/credentials</c>, and the config file beside it or
    /// <c>AWS_CONFIG_FILE</c>), as the AWS CLI takes it; null when there is none or the files cannot be read.
    /// </summary>
    internal static string? ProfileRegion(CliContext context)
    {
        try
        {
            var file = context.GetEnvironmentVariable("AWS_SHARED_CREDENTIALS_FILE") is { Length: > 0 } path
                ? new Amazon.Runtime.CredentialManagement.SharedCredentialsFile(path)
                : new Amazon.Runtime.CredentialManagement.SharedCredentialsFile();
            return file.TryGetProfile(context.GetEnvironmentVariable("AWS_PROFILE") is { Length: > 0 } name ? name : "default", out var profile)
                ? profile.Region?.SystemName
                : null;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException or InvalidOperationException or Amazon.Runtime.AmazonClientException)
        {
            return null;
        }
    }

    private static async IAsyncEnumerable<CloudEvent> InWindow(IAsyncEnumerable<CloudEvent> events, DeliveryWindow window, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        await foreach (var e in events.WithCancellation(cancellationToken))
        {
            // A record kept with an unknown time (the reader warns of it) cannot be shown to lie outside the window: it is hunted.
            if (e.Time == default || window.Contains(e.Time)) yield return e;
        }
    }

    /// <summary>A rule without a level ranks lowest, so --min-level above informational leaves it out.</summary>
    internal static int LevelRank(string? level) => level is null ? 0 : Math.Max(0, Array.IndexOf(Levels, level.ToLowerInvariant()));

    /// <summary>What an aggregating correlation measured, named (<c>sum 1500000000</c>, <c>p95 3.5</c> for the 95th percentile); null for a count.</summary>
    internal static string? AggregateText(CorrelationHit hit)
    {
        if (hit.Value is not { } value)
        {
            return null;
        }

        var number = value.ToString("R", CultureInfo.InvariantCulture);
        return hit.Correlation.Type switch
        {
            CorrelationType.ValueSum => $"sum {number}",
            CorrelationType.ValueAvg => $"mean {number}",
            CorrelationType.ValueMedian => $"median {number}",
            _ => $"p{hit.Correlation.Condition.Percentile?.ToString("R", CultureInfo.InvariantCulture)} {number}",
        };
    }

    /// <summary>When a hit happened: its event's time, or a correlation's last event. A record kept with an unknown time has none (not year one).</summary>
    internal static DateTimeOffset? HitTime(HuntHit hit) => hit.Event is { } e ? (e.Time == default ? null : e.Time) : hit.Correlation?.LastSeen;

    private static string Describe(ReadSummary summary, HuntStatistics stats, TimeSpan elapsed, long reported, int minLevel)
    {
        // Events read: those matched plus those the pre-filter showed no rule could match. Hits: those written; the ones
        // --min-level dropped are counted apart, so that neither reads as a hit lost on its way to the output.
        var seconds = Math.Max(elapsed.TotalSeconds, 0.001);
        var events = stats.Events + summary.Filtered;
        var below = stats.Hits - reported;
        return string.Create(CultureInfo.InvariantCulture,
            $"{summary.Bytes / 1048576.0:0.0} MB read, {events:N0} events in {seconds:0.0}s ({events / seconds:N0} events/s, {summary.Bytes / 1048576.0 / seconds:0.0} MB/s), {reported:N0} hit(s)")
            + (below > 0 ? string.Create(CultureInfo.InvariantCulture, $" and {below:N0} below --min-level {Levels[minLevel]} (not shown)") : "");
    }

    private static void WriteTable(CliContext context, HuntHitSpool hits, CompiledRuleSet rules, int minLevel, long allHits)
    {
        var console = context.Console;
        if (hits.Count == 0)
        {
            // Hits below --min-level must not read as a clean log.
            // The correlations are counted too: `rules list` counts them among its rules.
            var ran = rules.Correlations.Count == 0 ? $"{rules.Rules.Count} rule(s)" : $"{rules.Rules.Count} rule(s) and {rules.Correlations.Count} correlation(s)";
            console.MarkupLine(allHits > 0
                ? $"No hits at level {Levels[minLevel]} or above from {ran}; {allHits:N0} below it (lower --min-level to see them)."
                : $"No hits from {ran}.");
            return;
        }

        // A row per rule, as the json summary counts them: two rules may share a title (a house rule and a community one),
        // and their id tells them apart. Every text here comes from rule files: drawn as written, never as markup.
        var byRule = new Table().Title("Hits by rule").AddColumns("Rule", "Id", "Level", "Hits");
        var counts = hits.ByRule;
        foreach (var group in counts.GroupBy(r => r.RuleKey).Select(g => (Key: g.Key, g.First().Title, g.First().Level, Hits: g.Sum(r => r.Hits)))
                     .OrderByDescending(g => LevelRank(g.Level)).ThenByDescending(g => g.Hits).ThenBy(g => g.Title, StringComparer.Ordinal).ThenBy(g => g.Key, StringComparer.Ordinal))
        {
            var (level, style) = LevelText(group.Level);
            byRule.AddRow(ConsoleText.Cell(Visible(group.Title)), ConsoleText.Cell(Visible(group.Key)), ConsoleText.Cell(level, style), ConsoleText.Cell(group.Hits.ToString(CultureInfo.InvariantCulture)));
        }

        console.Write(byRule);
        var byLevel = counts.GroupBy(r => Visible(r.Level?.ToLowerInvariant() ?? "none")).OrderByDescending(g => LevelRank(g.Key)).Select(g => $"{g.Key} {g.Sum(r => r.Hits)}");
        console.WriteLine($"{hits.Count} hit(s): {string.Join(", ", byLevel)}");
        console.WriteLine();

        if (!console.Profile.Capabilities.Ansi)
        {
            WritePlainHits(context, hits);
            return;
        }

        // On a terminal too, log fields are the attacker's text: escape sequences in them must not drive it.
        // Drawn as written too (not as markup, which would turn ":name:" in a field into an emoji).
        var highlighted = new Style(Color.Yellow, decoration: Decoration.Bold);
        foreach (var hit in hits.Read())
        {
            var (level, style) = LevelText(hit.Level);
            console.Line((TableTime(hit) + "  ", null), (level, style), ("  ", null), (Visible(hit.Title), new Style(decoration: Decoration.Bold)));
            if (TableDetail(hit) is { } detail)
            {
                console.WriteLine("    " + Visible(detail));
            }

            if (hit.Fields.Count > 0)
            {
                var line = new Paragraph("  ");
                foreach (var field in hit.Fields)
                {
                    line.Append("  " + Visible(field.Name) + "=").Append(Visible(field.Value ?? ""), highlighted);
                }

                console.Write(line);
                console.WriteLine();
            }
        }
    }

    /// <summary>
    /// The hits of the table output when it is not drawn on a terminal (a file, a pipe): the same lines
    /// without colour, one line each whatever its length (so grep finds a whole hit's line), written in
    /// blocks rather than drawn line by line, which for hundreds of thousands of hits took a minute.
    /// Control characters from the log are shown escaped, so a file viewed later cannot drive the terminal.
    /// </summary>
    private static void WritePlainHits(CliContext context, HuntHitSpool hits)
    {
        var text = new StringBuilder(128 * 1024);
        var bytes = new ArrayBufferWriter<byte>(256 * 1024);

        void Flush(bool force)
        {
            if (!force && text.Length < 64 * 1024) return;
            foreach (var chunk in text.GetChunks())
            {
                Encoding.UTF8.GetBytes(chunk.Span, bytes);
            }

            context.WriteOutputUtf8(bytes.WrittenSpan);
            bytes.ResetWrittenCount();
            text.Clear();
        }

        foreach (var hit in hits.Read())
        {
            text.Append(TableTime(hit)).Append("  ").Append(PlainLevel(hit.Level)).Append("  ").AppendVisible(hit.Title).AppendLine();
            if (TableDetail(hit) is { } detail)
            {
                text.Append("    ").AppendVisible(detail).AppendLine();
            }

            if (hit.Fields.Count > 0)
            {
                text.Append("  ");
                foreach (var field in hit.Fields)
                {
                    text.Append("  ").AppendVisible(field.Name).Append('=').AppendVisible(field.Value ?? "");
                }

                text.AppendLine();
            }

            Flush(force: false);
        }

        Flush(force: true);
    }

    private static string TableTime(HuntHit hit) => HitTime(hit)?.ToString("yyyy-MM-dd HH:mm:ss'Z'", CultureInfo.InvariantCulture) ?? "";

    /// <summary>
    /// The table's second line of a hit: what was done, to what (the first resource, by its name or id, and how many more),
    /// by whom, from where and where it was read; or a correlation's span.
    /// </summary>
    private static string? TableDetail(HuntHit hit) => hit switch
    {
        { Event: { } e } => e.Operation
            + (Failure(e) is { } failure ? $" [{failure}]" : "")
            + (e.Resources.Count == 0 ? "" : $" on {e.Resources[0].Name ?? e.Resources[0].Uid}")
            + (e.Resources.Count < 2 ? "" : string.Create(CultureInfo.InvariantCulture, $" (+{e.Resources.Count - 1} more)"))
            + $" by {Who(e)}"
            + (e.SourceIp is null ? "" : $" from {e.SourceIp}")
            + (e.Origin is null ? "" : string.Create(CultureInfo.InvariantCulture, $"  ({e.Origin.Source}:{e.Origin.Line})")),
        { Correlation: { } c } => string.Create(CultureInfo.InvariantCulture, $"{c.Count} event(s) from {c.FirstSeen:u} to {c.LastSeen:u}")
            + (AggregateText(c) is { } aggregate ? $", {aggregate}" : ""),
        _ => null,
    };

    /// <summary>
    /// Who acted, as a hit names them: by the identity the provider keys them by (an ARN, a UPN, a service principal's
    /// object id, a service account's e-mail), with their display name after it when that adds something (an Entra user's
    /// "Admin", a service principal's app name); for a GCP call made through impersonation, the original caller as well,
    /// since the account used is rarely who to look for.
    /// </summary>
    internal static string Who(CloudEvent e)
    {
        var actor = e.Actor;
        var id = ActorId(actor) ?? "?";
        // An ARN ends with the name it gives (user/ops, assumed-role/role/session, :root): that name adds nothing.
        var who = actor.Name is { Length: > 0 } name && !string.Equals(id, name, StringComparison.OrdinalIgnoreCase)
            && !id.EndsWith("/" + name, StringComparison.Ordinal) && !id.EndsWith(":" + name, StringComparison.Ordinal)
            ? $"{id} ({name})"
            : id;
        // A service principal is keyed by its object id; the app id is what its app registration is found by.
        if (actor.Type is "ServicePrincipal" && actor.AppUid is { Length: > 0 } app && !string.Equals(app, id, StringComparison.OrdinalIgnoreCase))
        {
            who += $" app {app}";
        }

        return e.Provider == "gcp" && actor.SessionIssuer is { } first && !string.Equals(first, id, StringComparison.OrdinalIgnoreCase)
            ? $"{who} impersonated by {first}"
            : who;
    }

    /// <summary>The identity an actor is keyed by: the ARN, else the provider's id for them, else their name.</summary>
    internal static string? ActorId(EventActor actor) => actor.Arn ?? actor.Uid ?? actor.Name;

    /// <summary>
    /// "failed" with the error code for a call that failed (a GCP status code with its name: <c>7 PERMISSION_DENIED</c>),
    /// null otherwise: a rule titled "Key Created" also reports the attempt that was refused, and the line must say so.
    /// </summary>
    internal static string? Failure(CloudEvent e) => e.Outcome != EventOutcome.Failure ? null
        : e.ErrorCode is not { } code ? "failed"
        : e.Provider == "gcp" && int.TryParse(code, NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n < RpcCodes.Length ? $"failed: {n} {RpcCodes[n]}"
        : $"failed: {code}";

    /// <summary>google.rpc.Code's names, by number: the status codes of GCP audit entries.</summary>
    private static readonly string[] RpcCodes =
    [
        "OK", "CANCELLED", "UNKNOWN", "INVALID_ARGUMENT", "DEADLINE_EXCEEDED", "NOT_FOUND", "ALREADY_EXISTS", "PERMISSION_DENIED",
        "RESOURCE_EXHAUSTED", "FAILED_PRECONDITION", "ABORTED", "OUT_OF_RANGE", "UNIMPLEMENTED", "INTERNAL", "UNAVAILABLE", "DATA_LOSS",
        "UNAUTHENTICATED",
    ];

    /// <summary>An outcome as the json, jsonl and csv outputs write it: success, failure, or null when the record does not say.</summary>
    internal static string? OutcomeText(EventOutcome outcome) => outcome switch
    {
        EventOutcome.Success => "success",
        EventOutcome.Failure => "failure",
        _ => null,
    };

    /// <summary>
    /// A rule's level as the json, jsonl and csv outputs write it: a known level in lower case whatever case the rule
    /// wrote (<c>High</c>, <c>CRITICAL</c>), as the table shows it, so a consumer filtering on "critical" misses none;
    /// another word as written, none as null.
    /// </summary>
    internal static string? LevelName(string? level) => level?.ToLowerInvariant() switch
    {
        "critical" or "high" or "medium" or "low" or "informational" => level.ToLowerInvariant(),
        _ => level,
    };

    private static string PlainLevel(string? level) => LevelName(level) is { } name ? Visible(name) : "none";

    /// <summary>
    /// Characters shown as \u escapes: control characters (and so terminal escape sequences), and the format characters
    /// that reorder or break what is drawn after them (bidirectional marks, embeddings, overrides and isolates; line and
    /// paragraph separators): "user/ops\u202Egnp.exe" would otherwise read "user/opsexe.png".
    /// </summary>
    private static readonly System.Buffers.SearchValues<char> Hidden = System.Buffers.SearchValues.Create(
        string.Concat(Enumerable.Range(0, 0x20).Select(c => (char)c)) + "\u007F" + string.Concat(Enumerable.Range(0x80, 0x20).Select(c => (char)c))
        + "\u061C\u200E\u200F\u2028\u2029\u202A\u202B\u202C\u202D\u202E\u2066\u2067\u2068\u2069");

    /// <summary>Text with control characters and the format characters that reorder a line written as \u escapes (see <see cref="Hidden"/>).</summary>
    internal static string Visible(string value) =>
        value.AsSpan().IndexOfAny(Hidden) < 0 ? value : new StringBuilder(value.Length + 16).AppendVisible(value).ToString();

    /// <summary>Appends text with control characters and the format characters that reorder a line written as \u escapes.</summary>
    private static StringBuilder AppendVisible(this StringBuilder builder, string value)
    {
        var from = 0;
        for (int i; (i = value.AsSpan(from).IndexOfAny(Hidden)) >= 0;)
        {
            i += from;
            builder.Append(value, from, i - from).Append(CultureInfo.InvariantCulture, $"\\u{(int)value[i]:X4}");
            from = i + 1;
        }

        return builder.Append(value, from, value.Length - from);
    }

    private static (string Text, Style? Style) LevelText(string? level) => level?.ToLowerInvariant() switch
    {
        "critical" => ("critical", new Style(Color.White, Color.Red)),
        "high" => ("high", new Style(Color.Red)),
        "medium" => ("medium", new Style(Color.Yellow)),
        "low" => ("low", new Style(Color.Blue)),
        null => ("none", new Style(Color.Grey)),
        var other => (Visible(other), (Style?)null),
    };

    /// <summary>
    /// A hit as the JSON object the json and jsonl outputs show, spelled out as a dictionary: the shape
    /// <see cref="HitJsonWriter"/>, which writes both outputs without a dictionary per hit, is checked against.
    /// </summary>
    internal static Dictionary<string, object?> HitJson(HuntHit hit)
    {
        var e = hit.Event;
        return new Dictionary<string, object?>
        {
            ["kind"] = hit.Kind == HuntHitKind.Rule ? "rule" : "correlation",
            ["ruleId"] = hit.RuleKey,
            ["title"] = hit.Title,
            ["level"] = LevelName(hit.Level),
            ["tags"] = hit.Tags,
            ["time"] = HitTime(hit),
            ["eventId"] = e?.EventId,
            ["provider"] = e?.Provider,
            ["account"] = e?.Account,
            ["region"] = e?.Region,
            ["operation"] = e?.Operation,
            ["outcome"] = e is null ? null : OutcomeText(e.Outcome),
            ["errorCode"] = e?.ErrorCode,
            ["actor"] = e is null ? null : new Dictionary<string, string?>
            {
                ["type"] = e.Actor.Type, ["uid"] = e.Actor.Uid, ["arn"] = e.Actor.Arn, ["name"] = e.Actor.Name, ["accessKeyId"] = e.Actor.AccessKeyId,
                ["sessionIssuer"] = e.Actor.SessionIssuer, ["appUid"] = e.Actor.AppUid,
            },
            ["sourceIp"] = e?.SourceIp,
            ["userAgent"] = e?.UserAgent,
            ["resources"] = e?.Resources.Select(r => r.Uid).ToList(),
            ["fields"] = hit.Fields.ToDictionary(f => f.Name, f => f.Value),
            ["origin"] = e?.Origin is { } o ? new Dictionary<string, object> { ["source"] = o.Source, ["line"] = o.Line, ["record"] = o.RecordIndex } : null,
            ["count"] = hit.Correlation?.Count,
            ["value"] = hit.Correlation?.Value,
        };
    }

    /// <summary>
    /// The json output, written as it goes (the hits are read back from disk one at a time): the summary,
    /// the hits in time order, and the problems kept (the first thousand, and every one that stopped an input).
    /// </summary>
    /// <param name="skipped">The rules that could not be parsed or compiled: the document says so, as standard error does,
    /// so a script does not take a hunt that ran three of thirteen rules for a clean one.</param>
    /// <param name="belowMinLevel">Hits of rules under --min-level, found and not written.</param>
    private static void WriteJson(CliContext context, HuntHitSpool hits, ReadSummary summary, long outsideWindow, IReadOnlyList<ReadProblem> problems,
        CompiledRuleSet rules, int rulesNotRun, IReadOnlyList<SigmaDiagnostic> skipped, long belowMinLevel)
    {
        var buffer = new ArrayBufferWriter<byte>(128 * 1024);
        using var w = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = true });

        void Flush(bool force)
        {
            w.Flush();
            if (!force && buffer.WrittenCount < 64 * 1024) return;
            context.WriteOutputUtf8(buffer.WrittenSpan);
            buffer.ResetWrittenCount();
        }

        w.WriteStartObject();
        w.WriteStartObject("summary");
        w.WriteNumber("rules", rules.Rules.Count);
        w.WriteNumber("rulesNotRun", rulesNotRun);
        w.WriteNumber("rulesSkipped", skipped.Count);
        w.WriteNumber("undecidedValues", rules.Undecided().Sum(u => u.Values));
        w.WriteNumber("files", summary.Files);
        w.WriteNumber("filesOutsideWindow", outsideWindow);
        w.WriteNumber("bytes", summary.Bytes);
        w.WriteNumber("events", summary.Events + summary.Filtered);
        w.WriteNumber("parsed", summary.Events);
        w.WriteNumber("filtered", summary.Filtered);
        w.WriteNumber("errors", summary.Errors);
        w.WriteNumber("warnings", summary.Warnings);
        w.WriteNumber("digestFiles", summary.DigestFiles);
        w.WriteNumber("hits", hits.Count);
        w.WriteNumber("hitsBelowMinLevel", Math.Max(belowMinLevel, 0));
        w.WriteStartArray("byRule");
        // The most severe and the noisiest first, as the table shows them.
        foreach (var rule in hits.ByRule.GroupBy(r => r.RuleKey).Select(g => (Key: g.Key, g.First().Title, g.First().Level, Hits: g.Sum(r => r.Hits)))
                     .OrderByDescending(r => LevelRank(r.Level)).ThenByDescending(r => r.Hits).ThenBy(r => r.Key, StringComparer.Ordinal))
        {
            w.WriteStartObject();
            w.WriteString("ruleId", rule.Key);
            w.WriteString("title", rule.Title);
            if (LevelName(rule.Level) is not { } level) w.WriteNull("level");
            else w.WriteString("level", level);
            w.WriteNumber("hits", rule.Hits);
            w.WriteEndObject();
        }

        w.WriteEndArray();
        w.WriteEndObject();
        w.WriteStartArray("hits");
        foreach (var hit in hits.Read())
        {
            HitJsonWriter.Write(w, hit);
            Flush(force: false);
        }

        w.WriteEndArray();
        w.WriteStartArray("skippedRules");
        foreach (var d in skipped)
        {
            w.WriteStartObject();
            w.WriteString("file", d.File);
            w.WriteNumber("line", d.Line);
            w.WriteString("reason", d.Message);
            w.WriteEndObject();
        }

        w.WriteEndArray();
        w.WriteStartArray("problems");
        foreach (var p in problems)
        {
            w.WriteStartObject();
            w.WriteString("source", p.Source);
            if (p.Line is { } line) w.WriteNumber("line", line);
            else w.WriteNull("line");
            if (p.RecordIndex is { } record) w.WriteNumber("record", record);
            else w.WriteNull("record");
            w.WriteString("reason", p.Reason);
            w.WriteString("severity", p.Severity.ToString().ToLowerInvariant());
            w.WriteEndObject();
        }

        w.WriteEndArray();
        w.WriteEndObject();
        Flush(force: true);
        context.Output.WriteLine();
    }

    private const string CsvHeader = "kind,time,rule_id,title,level,operation,outcome,error_code,actor,actor_name,source_ip,user_agent,account,region,event_id,source,line,count,value,fields";

    private static void WriteCsv(CliContext context, HuntHitSpool hits)
    {
        context.Output.WriteLine(CsvHeader);
        foreach (var hit in hits.Read()) context.Output.WriteLine(CsvRow(hit));
    }

    private static string CsvRow(HuntHit hit)
    {
        var e = hit.Event;
        string?[] cells =
        [
            hit.Kind == HuntHitKind.Rule ? "rule" : "correlation",
            HitTime(hit)?.ToString("O", CultureInfo.InvariantCulture), hit.RuleKey, hit.Title, LevelName(hit.Level), e?.Operation,
            e is null ? null : OutcomeText(e.Outcome), e?.ErrorCode, e is null ? null : ActorId(e.Actor), e?.Actor.Name, e?.SourceIp, e?.UserAgent, e?.Account, e?.Region, e?.EventId, e?.Origin?.Source,
            e?.Origin?.Line.ToString(CultureInfo.InvariantCulture), hit.Correlation?.Count.ToString(CultureInfo.InvariantCulture),
            hit.Correlation?.Value?.ToString("R", CultureInfo.InvariantCulture),
            string.Join("; ", hit.Fields.Select(f => $"{f.Name}={f.Value}")),
        ];
        return string.Join(',', cells.Select(Csv));
    }

    private static string Csv(string? value)
    {
        if (string.IsNullOrEmpty(value)) return "";
        // A leading =, +, -, @, tab or carriage return makes spreadsheets evaluate the cell (or hides a leading one); log fields are attacker-controlled.
        if (value[0] is '=' or '+' or '-' or '@' or '\t' or '\r') value = "'" + value;
        return value.IndexOfAny([',', '"', '\n', '\r']) >= 0 ? "\"" + value.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"" : value;
    }
}
