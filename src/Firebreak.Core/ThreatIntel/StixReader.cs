using System.Globalization;
using System.Text.Json;
using Firebreak.Core.Common;
using Firebreak.Core.Incidents;
using Firebreak.Core.Indicators;

namespace Firebreak.Core.ThreatIntel;

/// <summary>
/// Reads STIX 2.1 objects (a bundle, or the objects of a TAXII envelope) into indicators: indicator
/// objects with STIX patterns, and cyber-observable objects given directly. TLP comes from
/// object_marking_refs, by the standard TLP 1.0 and TLP 2.0 marking ids or by a marking-definition in
/// the same document.
/// </summary>
public static class StixReader
{
    private static readonly Dictionary<string, Tlp> StandardMarkings = new(StringComparer.Ordinal)
    {
        // TLP 1.0, defined in STIX 2.1 itself.
        ["marking-definition--613f2e26-407d-48c7-9eca-b8e91df99dc9"] = Tlp.Clear,
        ["marking-definition--34098fce-860f-48ae-8e50-ebd3cc5e41da"] = Tlp.Green,
        ["marking-definition--f88d31f6-486f-44da-b317-01333bde0b82"] = Tlp.Amber,
        ["marking-definition--5e57c739-391a-4eb3-b6be-7d15ca92d5ed"] = Tlp.Red,
        // TLP 2.0, the extension-definition--60a3c5c5-0d10-413e-aab3-9e08dde9e88d markings.
        ["marking-definition--94868c89-83c2-464b-929b-a1a8aa3c8487"] = Tlp.Clear,
        ["marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb"] = Tlp.Green,
        ["marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421"] = Tlp.Amber,
        ["marking-definition--939a9414-2ddd-4d32-a0cd-375ea402b003"] = Tlp.AmberStrict,
        ["marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1"] = Tlp.Red,
    };

    /// <summary>Reads a whole document: a bundle, a TAXII envelope, or a bare array of objects.</summary>
    public static FeedDocument ReadDocument(ReadOnlyMemory<byte> json)
    {
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(JsonText.WithoutByteOrderMark(json), new JsonDocumentOptions { MaxDepth = 64 });
        }
        catch (JsonException ex)
        {
            throw new FeedFormatException($"The STIX document is not valid JSON: {ex.Message.Split(" Path:", 2)[0]}");
        }
        using (document)
        {
            var root = document.RootElement;
            JsonElement objects;
            if (root.ValueKind == JsonValueKind.Array) objects = root;
            else if (root.ValueKind == JsonValueKind.Object && root.TryGetProperty("objects", out var list) && list.ValueKind == JsonValueKind.Array) objects = list;
            else if (root.ValueKind == JsonValueKind.Object && root.TryGetProperty("type", out var type) && type.ValueKind == JsonValueKind.String)
                return ReadObjects([root]);
            else throw new FeedFormatException("A STIX document must be a bundle (type \"bundle\" with an \"objects\" array) or an array of STIX objects.");
            return ReadObjects([.. objects.EnumerateArray()]);
        }
    }

    public static FeedDocument ReadObjects(IReadOnlyList<JsonElement> objects)
    {
        var result = new FeedDocument();
        var markings = new Dictionary<string, Tlp>(StandardMarkings, StringComparer.Ordinal);
        foreach (var item in objects)
        {
            if (!JsonText.IsReadable(item)) continue;
            if (Text(item, "type") == "marking-definition" && Text(item, "id") is { } id && InlineTlp(item) is { } tlp) markings[id] = tlp;
        }
        var index = 0;
        foreach (var item in objects)
        {
            var position = $"objects[{index++}]";
            if (item.ValueKind != JsonValueKind.Object)
            {
                result.Skip(position, "not a JSON object");
                continue;
            }
            if (!JsonText.IsReadable(item))
            {
                result.Skip(position, "holds text that is not valid UTF-8 (or an escaped lone surrogate)");
                continue;
            }
            result.ObjectsRead++;
            var type = Text(item, "type");
            var id = Text(item, "id") ?? position;
            if (id.Length > ThreatIntelLimits.SourceIdLength)
            {
                result.Skip(JsonText.Short(id), $"the id is longer than {ThreatIntelLimits.SourceIdLength} characters (a STIX id is type--UUID)");
                continue;
            }
            switch (type)
            {
                case null:
                    result.Skip(id, "no type");
                    break;
                case "indicator":
                    ReadIndicator(item, id, markings, result);
                    break;
                case "ipv4-addr" or "ipv6-addr" or "domain-name" or "url" or "email-addr" or "file":
                    ReadObservable(item, id, type, markings, result);
                    break;
                default:
                    result.Skip(id, $"a {JsonText.Short(type)} object is not an indicator");
                    break;
            }
        }
        return result;
    }

    private static void ReadIndicator(JsonElement item, string id, Dictionary<string, Tlp> markings, FeedDocument result)
    {
        var patternType = Text(item, "pattern_type");
        if (patternType != "stix")
        {
            result.Skip(id, patternType is null ? "the indicator has no pattern_type" : $"pattern_type '{JsonText.Short(patternType)}' is not supported (only stix)");
            return;
        }
        if (Text(item, "pattern") is not { Length: > 0 } pattern)
        {
            result.Skip(id, "the indicator has no pattern");
            return;
        }
        if (!StixPattern.TryParse(pattern, out var values, out var error, out var ignored))
        {
            result.Skip(id, $"pattern not supported: {error}");
            return;
        }
        // The rest of an OR still matches on its own; say what was left out.
        foreach (var part in ignored) result.Skip(id, $"part of the pattern ignored: {part}");
        if (!TryTime(item, "valid_from", out var validFrom) || !TryTime(item, "valid_until", out var validUntil))
        {
            result.Skip(id, "valid_from or valid_until is not a STIX timestamp");
            return;
        }
        int? confidence = null;
        if (item.TryGetProperty("confidence", out var c))
        {
            if (c.ValueKind != JsonValueKind.Number || !c.TryGetInt32(out var n) || n is < 0 or > 100)
            {
                result.Skip(id, "confidence must be an integer from 0 to 100");
                return;
            }
            confidence = n;
        }
        var revoked = item.TryGetProperty("revoked", out var r) && r.ValueKind == JsonValueKind.True;
        var labels = Strings(item, "labels");
        var description = Text(item, "name") ?? Text(item, "description");
        var tlp = MarkingTlp(item, markings);
        foreach (var value in values.Distinct())
        {
            result.Indicators.Add(new ParsedIndicator(value, id, tlp, labels, confidence, validFrom, validUntil, revoked, Truncate(description)));
        }
    }

    private static void ReadObservable(JsonElement item, string id, string type, Dictionary<string, Tlp> markings, FeedDocument result)
    {
        var tlp = MarkingTlp(item, markings);
        if (type == "file")
        {
            if (!item.TryGetProperty("hashes", out var hashes) || hashes.ValueKind != JsonValueKind.Object)
            {
                result.Skip(id, "a file object without hashes");
                return;
            }
            var any = false;
            foreach (var hash in hashes.EnumerateObject())
            {
                if (hash.Value.ValueKind == JsonValueKind.String && StixPattern.TryMap($"file:hashes.'{hash.Name}'", hash.Value.GetString()!, out var value, out _))
                {
                    result.Indicators.Add(new ParsedIndicator(value, id, tlp));
                    any = true;
                }
            }
            if (!any) result.Skip(id, "the file object has no MD5, SHA-1, SHA-256 or SHA-512 hash");
            return;
        }
        if (Text(item, "value") is not { } raw)
        {
            result.Skip(id, $"the {type} object has no value");
            return;
        }
        if (!StixPattern.TryMap($"{type}:value", raw, out var observable, out var error))
        {
            result.Skip(id, error!);
            return;
        }
        result.Indicators.Add(new ParsedIndicator(observable, id, tlp));
    }

    /// <summary>The most restrictive TLP among the object's markings.</summary>
    private static Tlp? MarkingTlp(JsonElement item, Dictionary<string, Tlp> markings)
    {
        Tlp? tlp = null;
        foreach (var reference in Strings(item, "object_marking_refs") ?? [])
        {
            if (markings.TryGetValue(reference, out var level) && (tlp is null || level > tlp)) tlp = level;
        }
        return tlp;
    }

    /// <summary>A marking-definition in the document: TLP 1.0 (definition_type tlp) or TLP 2.0 (the extension, or its name).</summary>
    private static Tlp? InlineTlp(JsonElement item)
    {
        if (Text(item, "definition_type") == "tlp" && item.TryGetProperty("definition", out var definition) && Text(definition, "tlp") is { } level)
            return TlpFromName(level);
        if (item.TryGetProperty("extensions", out var extensions) && extensions.ValueKind == JsonValueKind.Object)
        {
            foreach (var extension in extensions.EnumerateObject())
            {
                if (extension.Value.ValueKind == JsonValueKind.Object && Text(extension.Value, "tlp_2_0") is { } level2) return TlpFromName(level2);
            }
        }
        return Text(item, "name") is { } name && name.StartsWith("TLP:", StringComparison.OrdinalIgnoreCase) ? TlpFromName(name) : null;
    }

    /// <summary>tlp:clear, TLP:WHITE, green, amber+strict, red...; null for anything else.</summary>
    public static Tlp? TlpFromName(string name)
    {
        var level = name.Trim().ToLowerInvariant();
        if (level.StartsWith("tlp:", StringComparison.Ordinal)) level = level[4..];
        return level switch
        {
            "clear" or "white" => Tlp.Clear,
            "green" => Tlp.Green,
            "amber" => Tlp.Amber,
            "amber+strict" => Tlp.AmberStrict,
            "red" => Tlp.Red,
            _ => null,
        };
    }

    private static string? Text(JsonElement item, string name) =>
        item.ValueKind == JsonValueKind.Object && item.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;

    private static List<string>? Strings(JsonElement item, string name)
    {
        if (!item.TryGetProperty(name, out var value) || value.ValueKind != JsonValueKind.Array) return null;
        var list = value.EnumerateArray().Where(v => v.ValueKind == JsonValueKind.String).Select(v => v.GetString()!).Where(v => v.Length is > 0 and <= 200).Take(ThreatIntelLimits.MaxLabels).ToList();
        return list.Count == 0 ? null : list;
    }

    private static bool TryTime(JsonElement item, string name, out DateTimeOffset? time)
    {
        time = null;
        if (!item.TryGetProperty(name, out var value) || value.ValueKind == JsonValueKind.Null) return true;
        if (value.ValueKind == JsonValueKind.String
            && DateTimeOffset.TryParse(value.GetString(), CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var parsed))
        {
            time = parsed;
            return true;
        }
        return false;
    }

    internal static string? Truncate(string? text) => text is { Length: > 500 } ? text[..500] : text;
}
