using System.Diagnostics;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using Firebreak.Detection.Events;
using Firebreak.Detection.Readers;
using Firebreak.Detection.Rules;
using Firebreak.Detection.Sigma;
using Firebreak.Detection.Simulation;
using Firebreak.Testing;

namespace Firebreak.Detection.Tests.Sigma;

/// <summary>
/// What every mutant is loaded beside and matched against: a few intact rules (some built-in, some
/// SigmaHQ), the events they must keep matching (every built-in rule's embedded test events, then a
/// simulated attack), and the seeds the mutants are made from (every other built-in and SigmaHQ rule).
/// </summary>
public sealed class RuleMutationCorpus : IAsyncLifetime
{
    /// <summary>Built-in rules kept intact: plain selections, a regex, a correlation with its base rule, all three clouds.</summary>
    public static readonly string[] IntactBuiltIn =
    [
        "aws/cloudtrail_logging_tampering.yml", "aws/s3_mass_object_deletion.yml", "aws/iam_admin_policy_granted.yml",
        "azure/elevate_access.yml", "gcp/iam_policy_set.yml",
    ];

    private static readonly DateTimeOffset BaseTime = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);
    private readonly DirectoryInfo simulation = Directory.CreateTempSubdirectory("sigma-mutation-sim-");

    /// <summary>Every built-in rule file by its path under Rules/, as shipped.</summary>
    public IReadOnlyDictionary<string, string> BuiltIn { get; } = ReadBuiltIn();

    public List<CloudEvent> Events { get; } = [];

    public async ValueTask InitializeAsync()
    {
        var time = 0;
        foreach (var document in BuiltInRules.Load().Documents)
        {
            var logSource = document switch
            {
                SigmaRule r => r.LogSource,
                SigmaCorrelation => new SigmaLogSource("aws", "cloudtrail", null),
                _ => null,
            };
            foreach (var test in document.Tests)
            {
                // Correlation tests are repeated only for intact correlations: they prove those still fire.
                var repeat = document is SigmaCorrelation && !IntactBuiltIn.Contains(document.Source.File) ? 1 : test.Repeat;
                for (var i = 0; i < repeat; i++)
                {
                    Events.AddRange(test.Events.Select(raw => ReaderTestEvents.Create(new LogSource(logSource!.Product!, logSource.Service!, logSource.Category), raw, BaseTime.AddSeconds(time++))));
                }
            }
        }

        var result = await AttackSimulator.RunAsync(
            new SimulationOptions { Scenario = "leaked-access-key", OutputDirectory = simulation.FullName, Events = 600, Seed = 11, Compress = false },
            TestContext.Current.CancellationToken);
        Assert.Equal(600, result.TotalEvents);
        Events.AddRange(await new CloudLogReader().ReadAllAsync(simulation.FullName));
    }

    public ValueTask DisposeAsync()
    {
        simulation.Delete(recursive: true);
        return ValueTask.CompletedTask;
    }

    private static Dictionary<string, string> ReadBuiltIn()
    {
        var assembly = typeof(BuiltInRules).Assembly;
        var files = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var name in assembly.GetManifestResourceNames().Where(n => n.StartsWith(BuiltInRules.ResourcePrefix, StringComparison.Ordinal) && n.EndsWith(".yml", StringComparison.Ordinal)))
        {
            using var reader = new StreamReader(assembly.GetManifestResourceStream(name)!);
            files[name[BuiltInRules.ResourcePrefix.Length..].Replace('\\', '/')] = reader.ReadToEnd();
        }

        return files;
    }
}

/// <summary>
/// Seeded mutations of real rules (built-in and SigmaHQ), each loaded from a folder beside intact
/// rules. For every mutant: loading, compiling, linting, running its embedded tests and matching never
/// throw, hang or balloon; an invalid mutant is reported with its file, a line and a reason; the intact
/// rules compile and match exactly as without it; a valid mutant matches real events without throwing.
/// A failure names the class, seed file and mutant number, and shows the mutant.
/// </summary>
public sealed partial class RuleMutationTests(RuleMutationCorpus corpus) : IClassFixture<RuleMutationCorpus>, IDisposable
{
    private static readonly string MutantFile = Path.Combine("zz-mutant", "mutant.yml");
    private const int MutantsPerClass = 45;
    private const long MutantAllocationLimit = 400L << 20;

    private static readonly SigmaCompileOptions CompileOptions = new()
    {
        Placeholders = new Dictionary<string, IReadOnlyList<string>>(StringComparer.OrdinalIgnoreCase)
        {
            ["x"] = Enumerable.Range(0, 10).Select(i => $"value{i}").ToList(),
            ["self"] = ["%self%", "a%x%b"],
            ["empty"] = [],
        },
    };

    private readonly DirectoryInfo folder = Directory.CreateTempSubdirectory("sigma-mutation-");

    public void Dispose() => folder.Delete(recursive: true);

    public static TheoryData<string> MutationClasses() => new(Mutations.Keys.Order(StringComparer.Ordinal));

    [Theory(Timeout = 120_000)]
    [MemberData(nameof(MutationClasses))]
    public async Task Mutants_AreReportedOrRun_AndNeverDisturbTheIntactRules(string mutationClass)
    {
        var sigmaHq = Path.Combine(SharedData.Require("sigma-cloud"), "rules", "cloud");
        // Off the test's thread, so a hang fails the test at its timeout instead of stalling the run.
        var (failures, reported, loaded) = await Task.Run(() => RunClass(mutationClass, sigmaHq), TestContext.Current.CancellationToken);
        Assert.True(failures.Count == 0, $"{failures.Count} of {MutantsPerClass} '{mutationClass}' mutants failed:\n\n" + string.Join("\n\n", failures.Take(3)));
        TestContext.Current.SendDiagnosticMessage($"{mutationClass}: {reported} mutants reported, {loaded} loaded at least one document");

        // A class whose mutants are never reported would not be testing the error paths it is meant for.
        Assert.True(reported > 0, $"no '{mutationClass}' mutant was reported");
    }

    private (List<string> Failures, int Reported, int Loaded) RunClass(string mutationClass, string sigmaHq)
    {
        var sigmaHqFiles = Directory.GetFiles(sigmaHq, "*.yml", SearchOption.AllDirectories).Order(StringComparer.Ordinal).ToList();
        var intactSigmaHq = new[] { "aws", "azure" }.Select(cloud => sigmaHqFiles.First(f => f.Contains($"{Path.DirectorySeparatorChar}{cloud}{Path.DirectorySeparatorChar}", StringComparison.Ordinal))).ToList();
        foreach (var (name, text) in corpus.BuiltIn.Where(f => RuleMutationCorpus.IntactBuiltIn.Contains(f.Key)))
        {
            Write("builtin/" + name, Encoding.UTF8.GetBytes(text));
        }

        foreach (var file in intactSigmaHq)
        {
            File.Copy(file, Directory.CreateDirectory(Path.Combine(folder.FullName, "sigmahq")).FullName + Path.DirectorySeparatorChar + Path.GetFileName(file));
        }

        var seeds = corpus.BuiltIn.Where(f => !RuleMutationCorpus.IntactBuiltIn.Contains(f.Key)).Select(f => (Name: "builtin/" + f.Key, Text: f.Value))
            .Concat(sigmaHqFiles.Except(intactSigmaHq).Select(f => (Name: "sigmahq/" + Path.GetFileName(f), Text: File.ReadAllText(f))))
            .ToList();

        var baseline = Run(mutant: null);
        Assert.Empty(baseline.Diagnostics);
        Assert.Equal(RuleMutationCorpus.IntactBuiltIn.Length + intactSigmaHq.Count, baseline.Rules.Select(r => r.Split(':')[0]).Distinct().Count());
        Assert.True(baseline.Matches.Count(m => m.Length > 0) >= 10, "the intact rules should match some of the events");
        Assert.NotEmpty(baseline.CorrelationHits);

        var random = new Random(StableSeed(mutationClass));
        var mutate = Mutations[mutationClass];
        var failures = new List<string>();
        int reported = 0, loaded = 0;
        for (var n = 0; n < MutantsPerClass; n++)
        {
            var seed = seeds[random.Next(seeds.Count)];
            var (description, bytes) = mutate(random, seed.Text);
            var problems = CheckMutant(bytes, baseline, out var result);
            reported += result?.Diagnostics.Any(d => d.File == MutantFile) == true ? 1 : 0;
            loaded += result?.MutantLoaded > 0 ? 1 : 0;
            if (problems.Count > 0)
            {
                var text = Encoding.UTF8.GetString(bytes);
                failures.Add($"#{n} {mutationClass} of {seed.Name} ({description}): {string.Join("; ", problems)}\n--- mutant ---\n{(text.Length > 1500 ? text[..1500] + "..." : text)}");
            }
        }

        return (failures, reported, loaded);
    }

    private List<string> CheckMutant(byte[] bytes, RunResult baseline, out RunResult? result)
    {
        var problems = new List<string>();
        Write(MutantFile, bytes);
        var clock = Stopwatch.StartNew();
        var allocated = GC.GetAllocatedBytesForCurrentThread();
        result = null;
        try
        {
            result = Run(MutantFile);
        }
        catch (Exception ex)
        {
            problems.Add($"threw {ex.GetType().Name}: {ex.Message}");
            return problems;
        }
        finally
        {
            File.Delete(Path.Combine(folder.FullName, MutantFile));
        }

        if (HangGuard.IsPast(clock.Elapsed))
        {
            problems.Add($"took {clock.Elapsed.TotalSeconds:F1} s");
        }

        if (GC.GetAllocatedBytesForCurrentThread() - allocated is var used && used > MutantAllocationLimit)
        {
            problems.Add($"allocated {used >> 20} MB");
        }

        // The intact rules: same rules, no diagnostics of their own, same matches and correlation hits.
        if (!result.Rules.SequenceEqual(baseline.Rules))
        {
            problems.Add($"intact rules changed: [{string.Join(", ", baseline.Rules.Except(result.Rules))}] lost");
        }

        if (!result.Matches.Zip(baseline.Matches).All(p => p.First == p.Second))
        {
            var i = result.Matches.Zip(baseline.Matches).TakeWhile(p => p.First == p.Second).Count();
            problems.Add($"intact matches changed at event {i}: '{baseline.Matches[i]}' became '{result.Matches[i]}'");
        }

        if (!result.CorrelationHits.SequenceEqual(baseline.CorrelationHits))
        {
            problems.Add("intact correlation hits changed");
        }

        var own = result.Diagnostics.Where(d => d.File == MutantFile).ToList();
        problems.AddRange(result.Diagnostics.Except(own).Select(d => $"diagnostic outside the mutant: {d}"));
        problems.AddRange(own.Concat(result.Tooling).Where(d => d.File != MutantFile || d.Line < 1 || string.IsNullOrWhiteSpace(d.Message)).Select(d => $"diagnostic without the file, a line or a reason: {d}"));

        // Every document of the mutant either loaded whole or the mutant is reported.
        if (own.Count == 0)
        {
            if (result.MutantDocuments != result.MutantLoaded)
            {
                problems.Add($"{result.MutantDocuments - result.MutantLoaded} document(s) dropped without a diagnostic");
            }

            if (result.MutantDocuments == 0 && HasContent(bytes))
            {
                problems.Add("no document and no diagnostic");
            }
        }

        return problems;
    }

    /// <param name="Tooling">What linting and running the mutant's embedded tests reported about it.</param>
    private sealed record RunResult(List<string> Rules, List<string> Matches, List<string> CorrelationHits, List<SigmaDiagnostic> Diagnostics, List<SigmaDiagnostic> Tooling, int MutantDocuments, int MutantLoaded);

    /// <summary>Loads the folder as `firebreak rules` does, matches every event through the whole set (the mutant included) and feeds the correlations.</summary>
    private RunResult Run(string? mutant)
    {
        var parsed = SigmaRuleLoader.LoadDirectory(folder.FullName);
        var set = CompiledRuleSet.Compile(parsed.Documents, CompileOptions);
        bool Intact(SigmaDocument d) => d.Source.File != mutant;
        var engine = new CorrelationEngine(set);
        var hits = new List<CorrelationHit>();
        var matches = new List<string>(corpus.Events.Count);
        foreach (var e in corpus.Events)
        {
            var matched = set.Match(e);
            foreach (var rule in matched)
            {
                engine.Observe(e, rule, hits);
            }

            matches.Add(string.Join("|", matched.Where(r => Intact(r.Rule)).Select(r => r.Rule.Source.File + ":" + r.Rule.Title).Order(StringComparer.Ordinal)));
        }

        engine.Flush(hits);
        var diagnostics = parsed.Diagnostics.Concat(set.Diagnostics).ToList();
        var mutantDocuments = parsed.Documents.Where(d => !Intact(d)).ToList();
        var tooling = new List<SigmaDiagnostic>();
        if (mutant is not null)
        {
            // What `firebreak rules lint|test|list` do with the mutant's file.
            var own = new SigmaParseResult(mutantDocuments, parsed.Diagnostics.Where(d => d.File == mutant).ToList());
            tooling.AddRange(RuleLinter.Lint(own, LintOptions.BuiltInPack, CompileOptions));
            tooling.AddRange(RuleTester.Run(own, CompileOptions).Diagnostics);
            Assert.Equal(own.Documents.Count, RuleCatalog.List(own.Documents).Count);
        }

        // Filters are not kept as such (they are ANDed into their rules); one that fails to compile is a diagnostic.
        var loaded = set.Rules.Count(r => !Intact(r.Rule)) + set.Correlations.Count(c => !Intact(c)) + mutantDocuments.OfType<SigmaFilter>().Count();
        return new RunResult(
            set.Rules.Where(r => Intact(r.Rule)).Select(r => $"{r.Rule.Source.File}:{r.Rule.Source.Line}:{r.Rule.Title}").Order(StringComparer.Ordinal).ToList(),
            matches,
            hits.Where(h => Intact(h.Correlation)).Select(h => $"{h.Correlation.Title}:{h.Count}:{h.FirstSeen:O}").ToList(),
            diagnostics.Distinct().ToList(),
            tooling,
            mutantDocuments.Count,
            loaded);
    }

    private void Write(string relative, byte[] bytes)
    {
        var path = Path.Combine(folder.FullName, relative);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllBytes(path, bytes);
    }

    /// <summary>Whether the file holds anything but blank lines, comments and document markers, read as the loader reads it.</summary>
    private static bool HasContent(byte[] bytes)
    {
        using var reader = new StreamReader(new MemoryStream(bytes), Encoding.UTF8, detectEncodingFromByteOrderMarks: true);
        return reader.ReadToEnd().Split('\n').Select(l => l.Trim()).Any(l => l.Length > 0 && !l.StartsWith('#') && l is not "---" and not "...");
    }

    private delegate (string Description, byte[] Bytes) Mutation(Random random, string seed);

    private static readonly Dictionary<string, Mutation> Mutations = new(StringComparer.Ordinal)
    {
        ["truncate"] = (r, s) => Text($"cut at {r.Next(s.Length + 1)}", s[..r.Next(s.Length + 1)]),
        ["byte-flip"] = (r, s) =>
        {
            var bytes = Encoding.UTF8.GetBytes(s);
            var flips = Enumerable.Range(0, r.Next(1, 5)).Select(_ => (At: r.Next(bytes.Length), Bit: r.Next(8))).ToList();
            flips.ForEach(f => bytes[f.At] ^= (byte)(1 << f.Bit));
            return ($"flipped {string.Join(", ", flips)}", bytes);
        },
        ["delete-lines"] = (r, s) => EditLines(r, s, (lines, i) => lines.RemoveAt(i), r.Next(1, 4), "deleted"),
        ["duplicate-lines"] = (r, s) => EditLines(r, s, (lines, i) => lines.Insert(i, lines[i]), r.Next(1, 3), "duplicated"),
        ["indentation"] = (r, s) => EditLines(r, s, (lines, i) =>
        {
            var indent = lines[i].Length - lines[i].TrimStart(' ').Length;
            lines[i] = new string(' ', Math.Max(0, indent + r.Next(-6, 7))) + lines[i].TrimStart(' ');
        }, r.Next(1, 4), "reindented"),
        ["tabs"] = (r, s) => EditLines(r, s, (lines, i) => lines[i] = r.Next(2) == 0
            ? new string('\t', (lines[i].Length - lines[i].TrimStart(' ').Length + 3) / 4) + lines[i].TrimStart(' ')
            : lines[i].Replace(": ", ":\t", StringComparison.Ordinal), r.Next(1, 4), "tabbed"),
        ["invalid-utf8"] = (r, s) =>
        {
            byte[][] bad = [[0xFF], [0xC3, 0x28], [0xED, 0xA0, 0x80], [0x80], [0xF8, 0x88, 0x80, 0x80, 0x80], [0x00], [0xEF, 0xBB, 0xBF], [0xFE, 0xFF], [0xC0, 0xAF]];
            var bytes = Encoding.UTF8.GetBytes(s).ToList();
            var inserts = Enumerable.Range(0, r.Next(1, 4)).Select(_ => (At: r.Next(bytes.Count + 1), Bytes: bad[r.Next(bad.Length)])).ToList();
            inserts.ForEach(i => bytes.InsertRange(Math.Min(i.At, bytes.Count), i.Bytes));
            return ($"inserted {string.Join(", ", inserts.Select(i => $"{Convert.ToHexString(i.Bytes)}@{i.At}"))}", bytes.ToArray());
        },
        ["anchors"] = (r, s) => r.Next(5) switch
        {
            0 => ReplaceValue(r, s, "&self [a, *self]"),
            1 => ReplaceValue(r, s, "*undefined"),
            2 => ReplaceValue(r, s, "*bomb8", AliasBombDefinitions()),
            3 => ReplaceValue(r, Encoding.UTF8.GetString(ReplaceValue(r, s, "&shared sharedValue").Bytes), "*shared"),
            _ => ReplaceValue(r, s, "&deep " + new string('[', 40) + "x" + new string(']', 40) + "\nalias_user: [*deep, *deep]"),
        },
        ["long-scalar"] = (r, s) => ReplaceValue(r, s, LongScalar(r)),
        ["deep-nesting"] = (r, s) =>
        {
            var depth = new[] { 55, 59, 60, 61, 100, 5_000, 100_000 }[r.Next(7)];
            return r.Next(3) switch
            {
                0 => ReplaceValue(r, s, new string('[', depth) + new string(']', depth)),
                1 => ReplaceValue(r, s, string.Concat(Enumerable.Repeat("{a: ", depth)) + "1" + new string('}', depth)),
                _ => ReplaceValue(r, s, "\n" + string.Concat(Enumerable.Range(1, Math.Min(depth, 2_000)).Select(i => new string(' ', i * 2) + "- \n"))),
            };
        },
        ["wrong-types"] = (r, s) =>
        {
            string[] values = ["[a, b]", "{a: b}", "42", "-1", "3.5", "1.5e999", "true", "null", "~", "''", "[]", "{}", "[[x]]", "[{a: 1}]", "!!binary aGVsbG8=", "!custom x", "[1, true, null]", "{? [a] : b}"];
            return r.Next(2) == 0
                ? ReplaceValue(r, s, values[r.Next(values.Length)])
                : ReplaceValue(r, s, values[r.Next(values.Length)], key: new[] { "title", "logsource", "detection", "condition", "tags", "firebreak", "tests", "event", "match", "selection", "product", "service", "correlation", "rules", "timespan", "group-by" }[r.Next(16)]);
        },
        ["list-map-swap"] = (r, s) => EditLines(r, s, (lines, i) =>
        {
            var indent = lines[i].Length - lines[i].TrimStart().Length;
            var body = lines[i].TrimStart();
            lines[i] = new string(' ', indent) + (body.StartsWith("- ", StringComparison.Ordinal) ? body[2..] + (body.Contains(':', StringComparison.Ordinal) ? "" : ": x") : "- " + body);
        }, r.Next(1, 3), "swapped"),
        ["unknown-modifier"] = (r, s) =>
        {
            string[] modifiers = ["bogus", "RE", "contains|contains", "", "re|x", "cidr", "base64offset|contains", "exists", "gt", "fieldref", "windash|windash", "all", "neq", "minute", "utf16|base64", "base64|re", "expand|re", "cased|i"];
            return EditDetectionKey(r, s, key => key + "|" + modifiers[r.Next(modifiers.Length)], value: null);
        },
        ["bad-regex"] = (r, s) =>
        {
            string[] patterns =
            [
                "(unclosed", "[z-a]", "*", "a{2,1}", "(?<n>a)\\k<m>", "\\p{Nope}", "\\", "(?P<x>a)", "a{999999999}",
                "^(a+)+$", "(.*a){25}b", "^(\\w+\\s?)*$", "(?=(a+)+$)x", "^(?:a|a?)+$", "((a|b|ab)*)*c", "(?<=(a+)+)b",
                string.Join("|", Enumerable.Range(0, 5_000).Select(i => $"word{i}")), new string('a', 50_000),
            ];
            return EditDetectionKey(r, s, key => key.Split('|')[0] + "|re" + (r.Next(3) == 0 ? "|i|m|s" : ""), value: patterns[r.Next(patterns.Length)]);
        },
        ["condition"] = (r, s) =>
        {
            string[] conditions =
            [
                "(selection", "selection)", "((selection) or", "nosuch", "selection and nosuch", "1 of nomatch*", "all of", "1 of", "not", "selection and",
                "and selection", "2 of them", "selection | count() > 5", "''", "()", "selection and not (filter", "1 of *", "all of them", "them",
                "1 of them and not 1 of them", "[selection, nosuch]", "[]", "{a: b}", "[[selection]]",
                new string('(', 300) + "selection" + new string(')', 300), string.Concat(Enumerable.Repeat("not ", 300)) + "selection",
                "selection" + string.Concat(Enumerable.Repeat(" or selection", 500)), new string('(', 150) + "1 of them" + new string(')', 150),
            ];
            return ReplaceValue(r, s, conditions[r.Next(conditions.Length)], key: "condition");
        },
        ["expand"] = (r, s) =>
        {
            string[] values = ["'%x%'", "'%x%%x%%x%'", $"'{string.Concat(Enumerable.Repeat("%x%", 8))}'", $"'{string.Concat(Enumerable.Repeat("%x%", 5_000))}'", "'%nope%'", "'%self%'", "'%empty%'", "'\\%x%'", "['%x%', '%self%%x%']", "'%%'"];
            return EditDetectionKey(r, s, key => key.Split('|')[0] + "|expand" + (r.Next(3) == 0 ? "|windash|contains" : ""), value: values[r.Next(values.Length)], quoted: true);
        },
        ["correlation"] = (r, s) => Text("appended correlations", s.TrimEnd() + "\n" + Correlations(r, s)),
    };

    private static (string Description, byte[] Bytes) Text(string description, string text) => (description, Encoding.UTF8.GetBytes(text));

    private static (string Description, byte[] Bytes) EditLines(Random random, string seed, Action<List<string>, int> edit, int times, string verb)
    {
        var lines = seed.Split('\n').ToList();
        var edited = new List<int>();
        for (var i = 0; i < times && lines.Count > 0; i++)
        {
            var at = random.Next(lines.Count);
            edited.Add(at + 1);
            edit(lines, at);
        }

        return Text($"{verb} line(s) {string.Join(", ", edited)}", string.Join('\n', lines));
    }

    [GeneratedRegex(@"^(?<key>\s*(?:- )?(?<name>[A-Za-z0-9_.|-]+):)(?<value>[ \t].*)?$")]
    private static partial Regex KeyLine();

    /// <summary>Replaces the value of a random "key: value" or "key:" line (of the named key, when given) and, optionally, puts more lines at the top.</summary>
    private static (string Description, byte[] Bytes) ReplaceValue(Random random, string seed, string value, string? prelude = null, string? key = null)
    {
        var lines = seed.Split('\n').ToList();
        var candidates = Enumerable.Range(0, lines.Count).Where(i => KeyLine().Match(lines[i]) is { Success: true } m && (key is null || m.Groups["name"].Value == key)).ToList();
        if (candidates.Count == 0)
        {
            candidates = Enumerable.Range(0, lines.Count).Where(i => KeyLine().IsMatch(lines[i])).ToList();
        }

        var at = candidates.Count == 0 ? 0 : candidates[random.Next(candidates.Count)];
        var match = KeyLine().Match(lines[at]);
        lines[at] = match.Success ? match.Groups["key"].Value + " " + value : value;
        var text = string.Join('\n', lines);
        return Text($"line {at + 1} set to {(value.Length > 60 ? value[..60] + "..." : value)}", prelude is null ? text : prelude + text);
    }

    /// <summary>Rewrites the key (and optionally the value) of a random item under a detection's selection.</summary>
    private static (string Description, byte[] Bytes) EditDetectionKey(Random random, string seed, Func<string, string> newKey, string? value, bool quoted = false)
    {
        var lines = seed.Split('\n').ToList();
        var start = lines.FindIndex(l => l.StartsWith("detection:", StringComparison.Ordinal));
        var end = start < 0 ? -1 : lines.FindIndex(start + 1, l => l.Length > 0 && !char.IsWhiteSpace(l[0]));
        var items = start < 0 ? [] : Enumerable.Range(start + 1, (end < 0 ? lines.Count : end) - start - 1)
            .Where(i => KeyLine().Match(lines[i]) is { Success: true } m && m.Groups["name"].Value != "condition" && lines[i].Length - lines[i].TrimStart().Length >= 8)
            .ToList();
        if (items.Count == 0)
        {
            return ReplaceValue(random, seed, value ?? "x");
        }

        var at = items[random.Next(items.Count)];
        var match = KeyLine().Match(lines[at]);
        var key = match.Groups["key"].Value;
        var name = match.Groups["name"].Value;
        var rewritten = key[..key.LastIndexOf(name, StringComparison.Ordinal)] + newKey(name) + ":";
        lines[at] = rewritten + (value is null ? match.Groups["value"].Value : " " + (quoted || value.StartsWith('[') ? value : "'" + value.Replace("'", "''", StringComparison.Ordinal) + "'"));
        return Text($"line {at + 1} became {(lines[at].Length > 80 ? lines[at][..80] + "..." : lines[at])}", string.Join('\n', lines));
    }

    private static string AliasBombDefinitions()
    {
        var yaml = new StringBuilder("bomb0: &bomb0 [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]\n");
        for (var i = 1; i <= 8; i++)
        {
            yaml.Append($"bomb{i}: &bomb{i} [{string.Join(", ", Enumerable.Repeat($"*bomb{i - 1}", 10))}]\n");
        }

        return yaml.ToString();
    }

    private static string LongScalar(Random random)
    {
        var length = new[] { 70_000, 300_000, 1_000_000 }[random.Next(3)];
        var chars = new char[length];
        for (var i = 0; i < length; i++)
        {
            chars[i] = (char)('a' + random.Next(26));
        }

        if (random.Next(2) == 0)
        {
            chars[length / 2] = '*';
        }

        return random.Next(2) == 0 ? new string(chars) : "'" + new string(chars) + "'";
    }

    /// <summary>Correlations after the seed's documents: valid ones, ones naming missing rules, each other (a cycle) or themselves, and bad types, timespans, conditions and group-bys.</summary>
    private static string Correlations(Random random, string seed)
    {
        var ruleName = Regex.Match(seed, @"^name: (\S+)", RegexOptions.Multiline) is { Success: true } n ? n.Groups[1].Value
            : Regex.Match(seed, @"^id: (\S+)", RegexOptions.Multiline) is { Success: true } id ? id.Groups[1].Value : "no_such_rule";
        string[] types = ["event_count", "value_count", "temporal", "temporal_ordered", "bogus", "''", "[event_count]"];
        string[] rules = [$"[{ruleName}]", "[missing_rule]", "[corr_b]", "[corr_a]", "[firebreak_s3_object_deleted]", "[]", $"[{ruleName}, missing_rule]", "{a: b}", "~"];
        string[] timespans = ["5m", "0m", "-5m", "5x", "1.5h", "99999999999999999999d", "99999999999999d", "9223372036854775807w", "''", "[5m]", "{a: 1}", "1y", "m", "10"];
        string[] conditions = ["{gte: 3}", "{gte: abc}", "{}", "{bogus: 1}", "{gt: 99999999999999999999}", "gte", "{field: userIdentity.arn, gte: 2}", "{lt: 2}", "{eq: -1}", "[gte, 3]"];
        string[] groupBys = ["[userIdentity.arn]", "[]", "{a: b}", "[[x]]", "userIdentity.arn", "~"];
        string Pick(string[] options) => options[random.Next(options.Length)];
        var yaml = new StringBuilder();
        foreach (var name in new[] { "corr_a", "corr_b" }.Take(random.Next(1, 3)))
        {
            yaml.Append($"---\ntitle: Mutated correlation {name}\nname: {name}\ncorrelation:\n  type: {Pick(types)}\n  rules: {Pick(rules)}\n  group-by: {Pick(groupBys)}\n  timespan: {Pick(timespans)}\n  condition: {Pick(conditions)}\n");
        }

        return yaml.ToString();
    }

    private static int StableSeed(string text) => text.Aggregate(17, (hash, c) => unchecked((hash * 31) + c));
}

public partial class RuleMutationTests
{
    private const string Header = "title: t\nlogsource: {product: aws, service: cloudtrail}\n";
    private const string Detection = "detection: {sel: {eventName: A}, condition: sel}\n";

    /// <summary>Parses and compiles <paramref name="yaml"/> as one file; returns every diagnostic, having checked each names the file and a reason.</summary>
    private static List<SigmaDiagnostic> Load(string yaml, out CompiledRuleSet set)
    {
        var parsed = SigmaParser.Parse(yaml, "m.yml");
        set = CompiledRuleSet.Compile(parsed.Documents);
        var all = parsed.Diagnostics.Concat(set.Diagnostics).ToList();
        Assert.All(all, d => Assert.Equal("m.yml", d.File));
        Assert.All(all, d => Assert.False(string.IsNullOrWhiteSpace(d.Message), d.ToString()));
        return all;
    }

    private static SigmaDiagnostic SingleError(string yaml, string reason)
    {
        var diagnostic = Assert.Single(Load(yaml, out var set));
        Assert.Empty(set.Rules);
        Assert.Equal(DiagnosticSeverity.Error, diagnostic.Severity);
        Assert.Contains(reason, diagnostic.Message, StringComparison.Ordinal);
        Assert.True(diagnostic.Line > 0, diagnostic.ToString());
        return diagnostic;
    }

    private static string AliasBomb(string use)
    {
        var yaml = new System.Text.StringBuilder(Header + "x0: &x0 [a, a, a, a, a, a, a, a, a, a]\n");
        for (var i = 1; i < 9; i++)
        {
            yaml.Append($"x{i}: &x{i} [{string.Join(", ", Enumerable.Repeat($"*x{i - 1}", 10))}]\n");
        }

        return yaml.Append(use).ToString();
    }

    [Theory]
    [InlineData(10_000)]
    [InlineData(200_000)]
    public void DeeplyNestedYaml_IsAnErrorNotAStackOverflow(int depth) =>
        SingleError(Header + "detection:\n  sel: {eventName: " + new string('[', depth) + new string(']', depth) + "}\n  condition: sel\n", "nesting deeper");

    [Fact]
    public void DeeplyNestedTestEvent_IsAnError() =>
        SingleError(Header + Detection + "firebreak: {tests: [{match: true, event: " + string.Concat(Enumerable.Repeat("{a: ", 70)) + "1" + new string('}', 70) + "}]}\n", "nesting deeper");

    [Fact]
    public void AliasBomb_InATestEvent_IsAnErrorNotAnOutOfMemory() =>
        Assert.Equal(7, SingleError(AliasBomb(Detection + "firebreak: {tests: [{match: true, event: {b: *x8}}]}\n"), "aliases expand").Line);

    [Fact]
    public void AliasBomb_AsAKey_IsAnError() =>
        SingleError(AliasBomb("? *x8\n: 1\n" + Detection), "aliases expand");

    [Theory]
    [InlineData(Header + "detection: {sel: &s {a: *s}, condition: sel}\n")]
    [InlineData(Header + Detection + "firebreak: {tests: [{match: true, event: &e {x: [*e]}}]}\n")]
    public void AliasInsideItsOwnAnchor_IsAnError(string yaml) =>
        SingleError(yaml, "refers to a node that contains it");

    [Fact]
    public void SmallAliases_StillWork()
    {
        var diagnostics = Load(Header + "detection:\n  sel: {eventName: &n A}\n  other: {eventSource: *n}\n  condition: sel and other\n", out var set);
        Assert.Empty(diagnostics);
        Assert.True(set.MatchesJson("""{"eventName":"A","eventSource":"A"}"""));
        Assert.False(set.MatchesJson("""{"eventName":"A","eventSource":"B"}"""));
    }

    [Theory]
    [InlineData(Header + "detection: {[a]: {x: 1}, condition: sel}\n")]
    [InlineData(Header + "detection: {sel: {{a: b}: 1}, condition: sel}\n")]
    [InlineData("title: c\ncorrelation: {type: event_count, rules: [x], timespan: 1h, condition: {[gte]: 1}}\n")]
    [InlineData("title: c\ncorrelation: {type: event_count, rules: [x], timespan: 1h, condition: {gte: 1}, aliases: {[a]: {b: c}}}\n")]
    [InlineData("title: c\ncorrelation: {type: event_count, rules: [x], timespan: 1h, condition: {gte: 1}, aliases: {a: {[b]: c}}}\n")]
    [InlineData(Header + Detection + "firebreak: {tests: [{match: true, event: {[x]: 1}}]}\n")]
    [InlineData("x: &k [a]\n" + Header + Detection + "*k : 1\n")]
    public void NonScalarMappingKeys_AreAnErrorNotAnInvalidCast(string yaml) =>
        SingleError(yaml, "mapping keys must be scalars");

    public static TheoryData<string> DeepConditions() => new()
    {
        new string('(', 100_000) + "sel" + new string(')', 100_000),
        string.Concat(Enumerable.Repeat("not ", 100_000)) + "sel",
        "sel" + string.Concat(Enumerable.Repeat(" or sel", 100_000)),
        "sel" + string.Concat(Enumerable.Repeat(" and not sel", 100_000)),
    };

    [Theory]
    [MemberData(nameof(DeepConditions))]
    public void DeeplyNestedCondition_IsAnErrorNotAStackOverflow(string condition) =>
        Assert.Equal(5, SingleError(Header + "detection:\n  sel: {eventName: A}\n  condition: " + condition + "\n", "nests deeper than").Line);

    [Fact]
    public void NestedConditionWithinTheLimit_StillMatches()
    {
        var condition = new string('(', 150) + "sel" + new string(')', 150) + string.Concat(Enumerable.Repeat(" or sel", 150));
        Assert.Empty(Load(Header + "detection:\n  sel: {eventName: A}\n  condition: " + condition + "\n", out var set));
        Assert.True(set.MatchesJson("""{"eventName":"A"}"""));
        Assert.False(set.MatchesJson("""{"eventName":"B"}"""));
    }

    [Fact]
    public void LongConditionList_CompilesAndMatches()
    {
        var list = string.Concat(Enumerable.Repeat("\n    - other\n    - sel", 50_000));
        Assert.Empty(Load(Header + "detection:\n  sel: {eventName: A}\n  other: {eventName: B}\n  condition:" + list + "\n", out var set));
        Assert.True(set.MatchesJson("""{"eventName":"A"}"""));
        Assert.True(set.MatchesJson("""{"eventName":"B"}"""));
        Assert.False(set.MatchesJson("""{"eventName":"C"}"""));
    }

    /// <summary>pySigma's month (M) and year (y) were refused; 1m is still a minute.</summary>
    [Theory]
    [InlineData("90s", 90)]
    [InlineData("1m", 60)]
    [InlineData("2w", 1_209_600)]
    [InlineData("1M", 2_629_746)]
    [InlineData("3M", 7_889_238)]
    [InlineData("1y", 31_556_952)]
    public void Timespan_InEveryUnitPySigmaReads(string timespan, long seconds)
    {
        Assert.Empty(Load($"title: c\nname: c\nlogsource: {{product: aws}}\ndetection: {{sel: {{a: 1}}, condition: sel}}\n---\ntitle: d\ncorrelation: {{type: event_count, rules: [c], timespan: {timespan}, condition: {{gte: 1}}}}\n", out var set));
        Assert.Equal(TimeSpan.FromSeconds(seconds), Assert.Single(set.Correlations).Timespan);
    }

    [Theory]
    [InlineData("1Y")]
    [InlineData("1mo")]
    [InlineData("M")]
    public void Timespan_InAnUnknownUnit_IsAnError(string timespan) =>
        Assert.Equal(2, SingleError($"title: c\ncorrelation: {{type: event_count, rules: [x], timespan: {timespan}, condition: {{gte: 1}}}}\n", "is not a timespan").Line);

    [Theory]
    [InlineData("9999999999999y")]
    [InlineData("99999999999999d")]
    [InlineData("9223372036854775807s")]
    [InlineData("2000000000000000000w")]
    public void TimespanTooLong_IsAnErrorNotAnOverflow(string timespan) =>
        Assert.Equal(2, SingleError($"title: c\ncorrelation: {{type: event_count, rules: [x], timespan: {timespan}, condition: {{gte: 1}}}}\n", "longer than a timespan").Line);

    [Fact]
    public void TestEventNumberBeyondDouble_IsKeptAsText()
    {
        Assert.Empty(Load(Header + Detection + "firebreak: {tests: [{match: true, event: {x: 1.5e999, y: 2.5}}]}\n", out var set));
        var test = Assert.Single(Assert.Single(set.Rules).Rule.Tests);
        Assert.Equal("""{"x":"1.5e999","y":2.5}""", Assert.Single(test.Events).GetRawText());
    }

    [Theory]
    [InlineData("[true, false]")]
    [InlineData("[]")]
    [InlineData("[true, true]")]
    public void ExistsWithAList_IsAnErrorNotAnInvalidOperation(string values) =>
        Assert.Equal(3, SingleError(Header + $"detection: {{sel: {{a|exists: {values}}}, condition: sel}}\n", "'exists' needs one value").Line);

    [Theory]
    [InlineData("^(a+)+$")]
    [InlineData("^(a|a)*$")]
    [InlineData("^(a|aa)+$")]
    [InlineData("(.*a){20}b")]
    public void CatastrophicRegex_MatchesInLinearTime_WithoutThrowing(string pattern)
    {
        Assert.Empty(Load(Header + $"detection: {{sel: {{eventName|re: '{pattern}'}}, condition: sel}}\n", out var set));
        // A backtracking engine never finishes these; a linear one answers in milliseconds.
        var matched = HangGuard.Run(() => Enumerable.Range(0, 20).Count(_ => set.MatchesJson($$"""{"eventName":"{{new string('a', 5000)}}!"}""")), "20 matches");

        Assert.Equal(0, matched);
    }

    [Fact]
    public void RegexNeedingBacktracking_IsWarnedAbout_MatchesNormally_AndStopsAtTheLimit()
    {
        var diagnostic = Assert.Single(Load(Header + "detection: {sel: {eventName|re: '^(?=(a+)+$)a*(?<=a)$'}, condition: sel}\n", out var set));
        Assert.Equal((DiagnosticSeverity.Warning, "regex"), (diagnostic.Severity, diagnostic.Code));
        Assert.Contains("counts as no match", diagnostic.Message, StringComparison.Ordinal);
        Assert.True(set.MatchesJson("""{"eventName":"aaaa"}"""));

        // Without the limit this match backtracks for hours; with it, it gives up after a second.
        Assert.False(HangGuard.Run(() => set.MatchesJson($$"""{"eventName":"{{new string('a', 40)}}!"}"""), "one match"));
    }

    /// <summary>Compiles under the hang guard, with the bytes the compiling thread allocated.</summary>
    private static (CompiledRuleSet Set, long Allocated) CompileMeasured(Func<CompiledRuleSet> compile) => HangGuard.Run(() =>
    {
        var before = GC.GetAllocatedBytesForCurrentThread();
        var set = compile();
        return (set, GC.GetAllocatedBytesForCurrentThread() - before);
    }, "compiling");

    private static SigmaCompileOptions Placeholders(params (string Name, string[] Values)[] placeholders) => new()
    {
        Placeholders = placeholders.ToDictionary(p => p.Name, p => (IReadOnlyList<string>)p.Values, StringComparer.OrdinalIgnoreCase),
    };

    [Theory]
    [InlineData(8, 10, "")]
    [InlineData(30, 2, "")]
    [InlineData(5_000, 10, "")]
    [InlineData(3, 10, "|windash")]
    public void PlaceholdersMultiplyingPastTheCap_AreAnErrorNotAHang(int count, int values, string modifiers)
    {
        var value = modifiers.Length == 0 ? string.Concat(Enumerable.Repeat("%x%", count)) : "-a -b -c -d " + string.Concat(Enumerable.Repeat("%x%", count));
        var parsed = SigmaParser.Parse(Header + $"detection:\n  sel:\n    eventName|expand{modifiers}: '{value}'\n  condition: sel\n", "m.yml");
        var (set, allocated) = CompileMeasured(() => CompiledRuleSet.Compile(parsed.Documents, Placeholders(("x", Enumerable.Range(0, values).Select(i => $"v{i}").ToArray()))));
        Assert.True(allocated < 200 << 20, $"{allocated >> 20} MB");
        Assert.Empty(set.Rules);
        var diagnostic = Assert.Single(set.Diagnostics);
        Assert.Equal((DiagnosticSeverity.Error, 5, "m.yml"), (diagnostic.Severity, diagnostic.Line, diagnostic.File));
        Assert.Contains("more than", diagnostic.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ManySingleValuedPlaceholders_ExpandInLinearTime()
    {
        var parsed = SigmaParser.Parse(Header + $"detection:\n  sel:\n    eventName|expand: '{string.Concat(Enumerable.Repeat("%x%-", 20_000))}'\n  condition: sel\n", "m.yml");
        var (set, allocated) = CompileMeasured(() => CompiledRuleSet.Compile(parsed.Documents, Placeholders(("x", ["v"]))));
        Assert.True(allocated < 200 << 20, $"{allocated >> 20} MB");
        Assert.Empty(set.Diagnostics);
        Assert.True(set.MatchesJson($$"""{"eventName":"{{string.Concat(Enumerable.Repeat("v-", 20_000))}}"}"""));
    }

    [Fact]
    public void PlaceholderWithoutValues_AfterManyOthers_NeverMatchesWithoutBuildingTheOthers()
    {
        var parsed = SigmaParser.Parse(Header + $"detection:\n  sel:\n    eventName|expand: '{string.Concat(Enumerable.Repeat("%x%", 12))}%empty%'\n  condition: sel\n", "m.yml");
        var (set, allocated) = CompileMeasured(() => CompiledRuleSet.Compile(parsed.Documents, Placeholders(("x", Enumerable.Range(0, 10).Select(i => $"v{i}").ToArray()), ("empty", []))));
        // Building the 10^12 combinations before the empty one would allocate without end.
        Assert.True(allocated < 200 << 20, $"{allocated >> 20} MB");
        Assert.Empty(set.Diagnostics);
        Assert.False(set.MatchesJson("""{"eventName":"v0v0v0v0v0v0v0v0v0v0v0v0"}"""));
    }

    [Fact]
    public void PlaceholderValueNamingAPlaceholder_IsInsertedAsText()
    {
        var parsed = SigmaParser.Parse(Header + "detection:\n  sel:\n    eventName|expand: 'a%x%b%y%'\n  condition: sel\n", "m.yml");
        var set = CompiledRuleSet.Compile(parsed.Documents, Placeholders(("x", ["%x%", "%y%"]), ("y", ["1", "2"])));
        Assert.Empty(set.Diagnostics);
        foreach (var name in new[] { "a%x%b1", "a%x%b2", "a%y%b1", "a%y%b2" })
        {
            Assert.True(set.MatchesJson($$"""{"eventName":"{{name}}"}"""), name);
        }

        Assert.False(set.MatchesJson("""{"eventName":"a%x%b%y%"}"""));
    }
}
