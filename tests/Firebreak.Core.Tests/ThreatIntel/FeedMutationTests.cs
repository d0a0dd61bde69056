using System.Diagnostics;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Firebreak.Core.ThreatIntel;
using Firebreak.Testing;

namespace Firebreak.Core.Tests.ThreatIntel;

/// <summary>
/// Seeded mutations of STIX bundles, TAXII envelopes and MISP event files. For every mutant the reader gives a
/// document or a <see cref="FeedFormatException"/>, never another exception, without hanging and with bounded allocation;
/// every skipped entry says where and why; and a mutation inside one object never loses another object's indicators.
/// A failure names the class, seed and mutant number, and shows the start of the mutant.
/// </summary>
public sealed class FeedMutationTests
{
    private const int MutantsPerClass = 40;
    private const long MutantAllocationLimit = 256L << 20;
    private const int MaxReasonLength = 1_000;

    private enum Format { Stix, Misp }

    private sealed record Seed(string Name, Format Format, string Json);

    /// <summary>A mutant; <paramref name="Inside"/> names the one object (STIX objects[i], MISP attribute uuid) it changed, if only one.</summary>
    private sealed record Mutant(string Description, byte[] Bytes, string? Inside = null);

    private static readonly Seed[] Seeds =
    [
        new("bundle", Format.Stix, FeedFixtures.Bundle),
        new("taxii-envelope", Format.Stix, "{ \"more\": false, \"objects\": " + JsonNode.Parse(FeedFixtures.Bundle)!["objects"]!.ToJsonString() + " }"),
        new("misp-event", Format.Misp, FeedFixtures.MispEvent),
        new("misp-array", Format.Misp, "[" + FeedFixtures.MispEvent + "]"),
        new("misp-response", Format.Misp, "{ \"response\": [" + FeedFixtures.MispEvent + "] }"),
    ];

    private static readonly Dictionary<string, Func<Random, Seed, Mutant>> Mutations = new(StringComparer.Ordinal)
    {
        ["truncate"] = (random, seed) =>
        {
            var bytes = Encoding.UTF8.GetBytes(seed.Json);
            var length = random.Next(bytes.Length);
            return new($"cut at byte {length}", bytes[..length]);
        },
        ["byte-flip"] = (random, seed) =>
        {
            var bytes = Encoding.UTF8.GetBytes(seed.Json);
            var flips = random.Next(1, 6);
            for (var i = 0; i < flips; i++) bytes[random.Next(bytes.Length)] = (byte)random.Next(256);
            return new($"{flips} bytes changed", bytes);
        },
        ["invalid-utf8"] = (random, seed) =>
        {
            byte[][] sequences = [[0xFF], [0xC3, 0x28], [0xED, 0xA0, 0x80], [0x80], [0xF4, 0x90, 0x80, 0x80], [0xE2, 0x82]];
            var sequence = sequences[random.Next(sequences.Length)];
            return InString(random, seed, value => value[..(value.Length / 2)] + "\u00A7" + value[(value.Length / 2)..], sequence, $"bytes {Convert.ToHexString(sequence)} in a string");
        },
        ["escaped-surrogate"] = (random, seed) =>
        {
            string[] escapes = [@"\ud800", @"\udc00", @"\ud83d\u0041", @"\ud83d\ud83d"];
            var escape = escapes[random.Next(escapes.Length)];
            return InString(random, seed, value => value + "\u00A7", Encoding.UTF8.GetBytes(escape), $"{escape} in a string");
        },
        ["wrong-type"] = (random, seed) => Structural(random, seed, (node, r) =>
        {
            JsonNode?[] values = [null, JsonValue.Create(42), JsonValue.Create(-1.5e300), JsonValue.Create(true), JsonValue.Create("text"), new JsonArray(1, "x"), new JsonObject { ["k"] = "v" }];
            return (values[r.Next(values.Length)], "replaced by another type");
        }),
        ["missing-field"] = (random, seed) => Structural(random, seed, (_, _) => (Remove, "removed")),
        ["huge-string"] = (random, seed) => Structural(random, seed, (_, r) => (JsonValue.Create(new string("a'[]\\x"[r.Next(6)], 2_000_000)), "replaced by a 2 MB string")),
        ["huge-array"] = (random, seed) => Structural(random, seed, (node, r) =>
        {
            var item = r.Next(2) == 0 ? node?.DeepClone() : JsonValue.Create("203.0.113." + r.Next(256));
            return (new JsonArray(Enumerable.Range(0, 20_000).Select(_ => item?.DeepClone()).ToArray()), "replaced by 20,000 copies");
        }),
        ["deep-nesting"] = (random, seed) => Structural(random, seed, (_, r) =>
        {
            var depth = r.Next(2) == 0 ? r.Next(2, 60) : r.Next(60, 3_000);
            JsonNode nested = JsonValue.Create("x");
            for (var i = 0; i < depth; i++) nested = i % 2 == 0 ? new JsonArray(nested) : new JsonObject { ["a"] = nested };
            return (nested, $"replaced by {depth} nested levels");
        }),
        ["stix-pattern"] = StixPatternMutant,
        ["misp-attribute"] = MispAttributeMutant,
    };

    public static TheoryData<string> MutationClasses() => new(Mutations.Keys.Order(StringComparer.Ordinal));

    [Theory]
    [MemberData(nameof(MutationClasses))]
    public void Mutants_AreReadOrRefusedClearly_AndNeverLoseAnotherObjectsIndicators(string mutationClass)
    {
        var baselines = Seeds.ToDictionary(s => s.Name, s => Read(s.Format, Encoding.UTF8.GetBytes(s.Json)));
        var random = new Random(StableSeed(mutationClass));
        var failures = new List<string>();
        int refused = 0, read = 0;
        for (var n = 0; n < MutantsPerClass; n++)
        {
            var seeds = mutationClass switch { "stix-pattern" => Seeds.Where(s => s.Format == Format.Stix).ToArray(), "misp-attribute" => Seeds.Where(s => s.Format == Format.Misp).ToArray(), _ => Seeds };
            var seed = seeds[random.Next(seeds.Length)];
            var mutant = Mutations[mutationClass](random, seed);
            var problems = Check(seed, mutant, baselines[seed.Name], out var document);
            if (document is null) refused++;
            else read++;
            if (problems.Count > 0)
            {
                var text = Encoding.UTF8.GetString(mutant.Bytes);
                failures.Add($"#{n} {mutationClass} of {seed.Name} ({mutant.Description}): {string.Join("; ", problems)}\n--- mutant ---\n{(text.Length > 1200 ? text[..1200] + "..." : text)}");
            }
        }
        Assert.True(failures.Count == 0, $"{failures.Count} of {MutantsPerClass} '{mutationClass}' mutants failed:\n\n" + string.Join("\n\n", failures.Take(3)));
        TestContext.Current.SendDiagnosticMessage($"{mutationClass}: {read} read, {refused} refused");
    }

    private static List<string> Check(Seed seed, Mutant mutant, FeedDocument baseline, out FeedDocument? document)
    {
        var problems = new List<string>();
        document = null;
        var clock = Stopwatch.StartNew();
        var allocated = GC.GetAllocatedBytesForCurrentThread();
        try
        {
            document = Read(seed.Format, mutant.Bytes);
        }
        catch (FeedFormatException ex)
        {
            if (string.IsNullOrWhiteSpace(ex.Message) || ex.Message.Length > MaxReasonLength) problems.Add($"refused without a short reason: {ex.Message.Length} characters");
            // Only the document itself may be refused: a mutation inside one object is that object's problem.
            if (mutant.Inside is not null && !ex.Message.Contains("not valid JSON", StringComparison.Ordinal))
                problems.Add($"whole document refused for a change inside {mutant.Inside}: {ex.Message}");
        }
        catch (Exception ex)
        {
            problems.Add($"threw {ex.GetType().Name}: {ex.Message}");
        }
        if (HangGuard.IsPast(clock.Elapsed)) problems.Add($"took {clock.Elapsed.TotalSeconds:F1} s");
        if (GC.GetAllocatedBytesForCurrentThread() - allocated is var used && used > MutantAllocationLimit) problems.Add($"allocated {used >> 20} MB");
        if (document is null) return problems;

        problems.AddRange(document.Skipped.Where(s => string.IsNullOrWhiteSpace(s.SourceId) || string.IsNullOrWhiteSpace(s.Reason) || s.Reason.Length > MaxReasonLength)
            .Take(3).Select(s => $"skipped without a place or a short reason: '{Cut(s.SourceId)}' '{Cut(s.Reason)}'"));
        if (mutant.Inside is not null)
        {
            // Whatever the other objects gave before, they still give (a changed marking may change a TLP, not a value).
            var kept = document.Indicators.Select(i => (i.SourceId, Value: i.Indicator.ToString())).ToHashSet();
            var lost = baseline.Indicators.Where(i => !Origin(seed, i.SourceId).Equals(mutant.Inside, StringComparison.Ordinal))
                .Select(i => (i.SourceId, Value: i.Indicator.ToString())).Where(i => !kept.Contains(i)).ToList();
            if (lost.Count > 0) problems.Add($"lost {lost.Count} indicator(s) of other objects, first {lost[0]}");
        }
        return problems;
    }

    private static FeedDocument Read(Format format, byte[] bytes) =>
        format == Format.Stix ? StixReader.ReadDocument(bytes) : MispReader.ReadDocument(bytes);

    /// <summary>The object an indicator came from, named as <see cref="Mutant.Inside"/> names them.</summary>
    private static string Origin(Seed seed, string sourceId)
    {
        if (seed.Format == Format.Misp) return sourceId;
        var objects = JsonNode.Parse(seed.Json)!["objects"]!.AsArray();
        var index = objects.Select((o, i) => (o, i)).First(p => p.o!["id"]!.GetValue<string>() == sourceId).i;
        return $"objects[{index}]";
    }

    private static readonly JsonNode Remove = JsonValue.Create("remove-this-node")!;

    /// <summary>
    /// Changes one node inside one object (a STIX object or a MISP attribute), so the change is that object's alone.
    /// The mutated node is any descendant of the object, the object itself included.
    /// </summary>
    private static Mutant Structural(Random random, Seed seed, Func<JsonNode?, Random, (JsonNode? Value, string What)> change)
    {
        var root = JsonNode.Parse(seed.Json)!;
        var (owner, inside) = seed.Format == Format.Stix ? StixObject(random, root) : MispAttribute(random, root);
        var nodes = Descendants(owner).ToList();
        var (parent, key, node) = nodes[random.Next(nodes.Count)];
        var (value, what) = change(node, random);
        if (parent is null)
        {
            // The object itself: replaced in its array (removed means an empty object in its place).
            var array = owner.Parent!.AsArray();
            var index = array.IndexOf(owner);
            array[index] = ReferenceEquals(value, Remove) ? new JsonObject() : value;
            return new($"objects[{index}] {what}", Encoding.UTF8.GetBytes(root.ToJsonString(Deep)), inside);
        }
        if (parent is JsonObject o)
        {
            if (ReferenceEquals(value, Remove)) o.Remove((string)key);
            else o[(string)key] = value;
        }
        else if (ReferenceEquals(value, Remove)) parent.AsArray().RemoveAt((int)key);
        else parent.AsArray()[(int)key] = value;
        return new($"{node?.GetPath()} in {inside} {what}", Encoding.UTF8.GetBytes(root.ToJsonString(Deep)), inside);
    }

    private static (JsonNode Owner, string Inside) StixObject(Random random, JsonNode root)
    {
        var objects = root["objects"]!.AsArray();
        // Marking definitions change other objects' TLP by design; indicators and observables are what must stay apart.
        var candidates = objects.Select((o, i) => (o!, i)).Where(p => p.Item1["type"]!.GetValue<string>() != "marking-definition").ToList();
        var (owner, index) = candidates[random.Next(candidates.Count)];
        return (owner, $"objects[{index}]");
    }

    private static (JsonNode Owner, string Inside) MispAttribute(Random random, JsonNode root)
    {
        var events = root is JsonArray a ? a : root["response"] as JsonArray ?? new JsonArray();
        var item = (events.Count > 0 ? events[0]! : root)["Event"]!;
        var attributes = item["Attribute"]!.AsArray().Concat(item["Object"]!.AsArray().SelectMany(o => o!["Attribute"]!.AsArray())).ToList();
        var owner = attributes[random.Next(attributes.Count)]!;
        return (owner, owner["uuid"]!.GetValue<string>());
    }

    private static IEnumerable<(JsonNode? Parent, object Key, JsonNode? Node)> Descendants(JsonNode node)
    {
        yield return (null, "", node);
        foreach (var child in Children(node)) yield return child;
    }

    private static IEnumerable<(JsonNode? Parent, object Key, JsonNode? Node)> Children(JsonNode? node)
    {
        if (node is JsonObject o)
        {
            foreach (var (key, value) in o.ToList())
            {
                yield return (o, key, value);
                foreach (var inner in Children(value)) yield return inner;
            }
        }
        else if (node is JsonArray a)
        {
            for (var i = 0; i < a.Count; i++)
            {
                yield return (a, i, a[i]);
                foreach (var inner in Children(a[i])) yield return inner;
            }
        }
    }

    /// <summary>
    /// Writes raw bytes into one string of one object (JsonNode cannot hold invalid text): the string is first
    /// marked with a private-use character, then the marker's UTF-8 is swapped for the raw bytes.
    /// </summary>
    private static Mutant InString(Random random, Seed seed, Func<string, string> mark, byte[] raw, string what)
    {
        var root = JsonNode.Parse(seed.Json)!;
        var (owner, inside) = seed.Format == Format.Stix ? StixObject(random, root) : MispAttribute(random, root);
        var strings = Children(owner).Where(c => c.Node is JsonValue v && v.GetValueKind() == JsonValueKind.String).ToList();
        var (parent, key, node) = strings[random.Next(strings.Count)];
        var marked = JsonValue.Create(mark(node!.GetValue<string>()));
        if (parent is JsonObject o) o[(string)key] = marked;
        else parent!.AsArray()[(int)key] = marked;
        var bytes = Encoding.UTF8.GetBytes(root.ToJsonString(new JsonSerializerOptions { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping }));
        var marker = Encoding.UTF8.GetBytes("\u00A7");
        var at = bytes.AsSpan().IndexOf(marker);
        Assert.True(at >= 0, "the marker should be written as UTF-8");
        return new($"{what} ({node.GetPath()} in {inside})", [.. bytes[..at], .. raw, .. bytes[(at + marker.Length)..]], inside);
    }

    private static readonly string[] HostilePatterns =
    [
        "[ipv4-addr:value = '192.0.2.1'",
        "ipv4-addr:value = '192.0.2.1']",
        "[[ipv4-addr:value = '192.0.2.1']]",
        "([ipv4-addr:value = '192.0.2.1'] OR [domain-name:value = 'a.example'])",
        "[ipv4-addr:value = '192.0.2.1')",
        "[ipv4-addr:value = '192.0.2.1] OR [domain-name:value = 'a.example']",
        "[ipv4-addr:value ~= '192.0.2.1']",
        "[ipv4-addr:value <=> '192.0.2.1']",
        "[ipv4-addr:value ISSUBSET '192.0.2.0/24']",
        "[ipv4-addr:value NOT = '192.0.2.1']",
        "[file:size = 99999999999999999999999999999999999999999999999999]",
        "[file:size > 1e999999]",
        "[ipv4-addr:value = '" + new string('9', 100_000) + "']",
        "[url:value MATCHES '^(a+)+$']",
        "[url:value MATCHES '(.*a){40}']",
        "[domain-name:value MATCHES '" + string.Concat(Enumerable.Repeat("(a|aa)+", 500)) + "']",
        "[ipv4-addr:value = '192.0.2.1'] REPEATS 99999999999999999999 TIMES",
        "[ipv4-addr:value = '192.0.2.1'] WITHIN -1 SECONDS",
        "[" + string.Join(" OR ", Enumerable.Range(0, 20_000).Select(i => $"ipv4-addr:value = '10.{i / 65536 % 256}.{i / 256 % 256}.{i % 256}'")) + "]",
        string.Join(" OR ", Enumerable.Range(0, 20_000).Select(i => $"[domain-name:value = 'h{i}.example']")),
        new string('[', 100_000),
        new string(']', 100_000),
        string.Concat(Enumerable.Repeat("[a:b = '", 20_000)),
        string.Concat(Enumerable.Repeat("'", 100_001)),
        "[file:hashes.'SHA-256 = 'abc']",
        "[file:hashes.'" + new string('x', 100_000) + "' = 'abc']",
        "[" + new string('a', 200_000) + " = 'x']",
        "[ipv4-addr:value = '192.0.2.1'] " + new string('Z', 200_000),
        "[ipv4-addr:value = '192.0.2.1' " + new string('Q', 200_000) + "]",
        "[ipv4-addr:value " + new string('=', 100_000) + " '192.0.2.1']",
        "[ipv4-addr:value = '\\",
        "[ipv4-addr:value = '\0\u0001\u200B']",
        "[ipv4-addr:value = '192.0.2.1'] OR OR [ipv4-addr:value = '192.0.2.2']",
        "",
        "   ",
        "[]",
    ];

    /// <summary>An indicator's pattern replaced by a hostile one: unbalanced, unknown operators, huge numbers, backtracking MATCHES, floods.</summary>
    private static Mutant StixPatternMutant(Random random, Seed seed)
    {
        var root = JsonNode.Parse(seed.Json)!;
        var objects = root["objects"]!.AsArray();
        var indicators = objects.Select((o, i) => (o!, i)).Where(p => p.Item1["type"]!.GetValue<string>() == "indicator").ToList();
        var (indicator, index) = indicators[random.Next(indicators.Count)];
        var pattern = HostilePatterns[random.Next(HostilePatterns.Length)];
        indicator["pattern"] = pattern;
        return new($"objects[{index}] pattern {Cut(pattern)}", Encoding.UTF8.GetBytes(root.ToJsonString(Deep)), $"objects[{index}]");
    }

    /// <summary>An attribute given hostile MISP values: types with no pipe, pipes everywhere, huge and odd flags.</summary>
    private static Mutant MispAttributeMutant(Random random, Seed seed)
    {
        var root = JsonNode.Parse(seed.Json)!;
        var (owner, inside) = MispAttribute(random, root);
        (string Field, JsonNode? Value)[] changes =
        [
            ("type", "domain|ip"), ("type", "filename|sha256"), ("type", "ip-src|port"), ("type", new string('t', 100_000)),
            ("value", "|||||"), ("value", new string('|', 100_000)), ("value", "203.0.113.1/99"), ("value", "::ffff:203.0.113.1"),
            ("to_ids", 1e300), ("to_ids", "yes"), ("to_ids", new JsonArray(true)), ("deleted", "1"),
            ("Tag", new JsonArray(Enumerable.Range(0, 5_000).Select(i => (JsonNode)new JsonObject { ["name"] = i % 2 == 0 ? "tlp:red" : $"t{i}" }).ToArray())),
            ("Tag", "tlp:red"), ("Tag", new JsonArray("tlp:red", 1, null)), ("comment", new string('c', 1_000_000)),
        ];
        var (field, value) = changes[random.Next(changes.Length)];
        owner[field] = value?.DeepClone();
        return new($"{inside}.{field} = {Cut(value?.ToJsonString() ?? "null")}", Encoding.UTF8.GetBytes(root.ToJsonString(Deep)), inside);
    }

    /// <summary>Lets the mutants nest deeper than the writer's default of 1,000 levels.</summary>
    private static readonly System.Text.Json.JsonSerializerOptions Deep = new() { MaxDepth = 10_000 };

    private static string Cut(string text) => text.Length > 100 ? text[..100] + "..." : text;

    private static int StableSeed(string text) => text.Aggregate(17, (hash, c) => unchecked(hash * 31 + c));

    [Fact]
    public void Misp_ObjectsThatAreNotObjects_AreSkipped_AndTheRestRead()
    {
        var document = MispReader.ReadDocument(FeedFixtures.Bytes("""
        { "Event": { "uuid": "e1",
          "Object": [ "a string", 7, null, { "name": "file", "Attribute": [ { "uuid": "a1", "type": "ip-dst", "value": "192.0.2.5", "to_ids": true } ] } ] } }
        """));

        Assert.Equal(["ip:192.0.2.5"], document.Indicators.Select(i => i.Indicator.ToString()));
        Assert.Equal(["e1/Object[0]", "e1/Object[1]", "e1/Object[2]"], document.Skipped.Select(s => s.SourceId));
    }

    [Theory]
    [InlineData(new byte[] { 0xFF }, "not valid UTF-8")]
    [InlineData(new byte[] { 0xED, 0xA0, 0x80 }, "not valid UTF-8")]
    [InlineData(new byte[] { (byte)'\\', (byte)'u', (byte)'d', (byte)'8', (byte)'0', (byte)'0' }, "lone surrogate")]
    public void Stix_AnObjectWithUnreadableText_IsSkippedByIndex_AndItsNeighboursRead(byte[] bad, string reason)
    {
        var json = Encoding.UTF8.GetBytes("""
            { "type": "bundle", "objects": [
              { "type": "indicator", "id": "indicator--bad", "pattern_type": "stix", "pattern": "[domain-name:value = 'BAD.example']" },
              { "type": "indicator", "id": "indicator--good", "pattern_type": "stix", "pattern": "[domain-name:value = 'good.example']" } ] }
            """);
        var at = json.AsSpan().IndexOf("BAD"u8);
        json = [.. json[..at], .. bad, .. json[(at + 3)..]];

        var document = StixReader.ReadDocument(json);

        Assert.Equal(["domain:good.example"], document.Indicators.Select(i => i.Indicator.ToString()));
        var skipped = Assert.Single(document.Skipped);
        Assert.Equal("objects[0]", skipped.SourceId);
        Assert.Contains(reason, skipped.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void Misp_AnAttributeWithUnreadableText_IsSkipped_AndAnEventWithUnreadableTagsIsSkippedWhole()
    {
        var json = Encoding.UTF8.GetBytes("""
            [ { "Event": { "uuid": "e1", "Attribute": [
                { "uuid": "a1", "type": "domain", "value": "BAD.example", "to_ids": true },
                { "uuid": "a2", "type": "domain", "value": "good.example", "to_ids": true } ] } },
              { "Event": { "uuid": "e2", "Tag": [ { "name": "tlp:\ud800" } ], "Attribute": [
                { "uuid": "a3", "type": "domain", "value": "other.example", "to_ids": true } ] } } ]
            """);
        var at = json.AsSpan().IndexOf("BAD"u8);
        json = [.. json[..at], 0xC3, 0x28, .. json[(at + 3)..]];

        var document = MispReader.ReadDocument(json);

        Assert.Equal(["domain:good.example"], document.Indicators.Select(i => i.Indicator.ToString()));
        Assert.Equal([("e1/attribute", true), ("event", true)], document.Skipped.Select(s => (s.SourceId, s.Reason.Contains("not valid UTF-8", StringComparison.Ordinal))));
        Assert.Contains("Tag", document.Skipped[1].Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void Reasons_QuoteAtMost80CharactersOfTheInput()
    {
        var huge = new string('q', 100_000);
        var bundle = new JsonObject
        {
            ["type"] = "bundle",
            ["objects"] = new JsonArray(
                FeedFixtures.Indicator("indicator--1", $"[{huge}:value = 'x']"),
                FeedFixtures.Indicator("indicator--2", $"[ipv4-addr:value = '192.0.2.1'] {huge}"),
                new JsonObject { ["type"] = huge, ["id"] = "x--3" }),
        };
        var misp = $$"""{ "Event": { "uuid": "e", "Attribute": [ { "uuid": "a", "type": "{{huge}}", "value": "v", "to_ids": true } ] } }""";

        var skipped = StixReader.ReadDocument(FeedFixtures.Bytes(bundle.ToJsonString())).Skipped.Concat(MispReader.ReadDocument(FeedFixtures.Bytes(misp)).Skipped).ToList();

        Assert.Equal(4, skipped.Count);
        Assert.All(skipped, s => Assert.InRange(s.Reason.Length, 1, 200));
    }
}
