using System.Globalization;
using System.Text.Json;
using Firebreak.Core.Common;
using Firebreak.Core.Incidents;
using Firebreak.Core.Indicators;

namespace Firebreak.Core.ThreatIntel;

/// <summary>An entry of a MISP feed's manifest.json: an event and its last change.</summary>
public sealed record MispManifestEntry(string Uuid, string? Info, long Timestamp);

/// <summary>
/// Reads MISP feed JSON: the event files ({"Event": {...}}) with their attributes and the attributes
/// of their objects, and the feed's manifest.json. Only attributes flagged to_ids become indicators;
/// MISP marks the others as context, not detection material.
/// </summary>
public static class MispReader
{
    /// <summary>An event file, an array of them, or a search response ({"response": [...]}).</summary>
    public static FeedDocument ReadDocument(ReadOnlyMemory<byte> json)
    {
        using var document = Parse(json, "MISP document");
        var root = document.RootElement;
        var result = new FeedDocument();
        if (root.ValueKind == JsonValueKind.Object && root.TryGetProperty("Event", out _))
        {
            ReadEvent(root, result);
        }
        else if (Events(root) is { } events)
        {
            foreach (var item in events) ReadEvent(item, result);
        }
        else if (root.ValueKind == JsonValueKind.Object && JsonText.IsReadable(root) && LooksLikeManifest(root))
        {
            throw new FeedFormatException("This is a feed manifest, which only lists events: import the event files ({uuid}.json), or subscribe to the feed by its URL.");
        }
        else
        {
            throw new FeedFormatException("A MISP document must be an event ({\"Event\": {...}}), an array of events, or {\"response\": [...]}.");
        }
        return result;
    }

    public static IReadOnlyList<MispManifestEntry> ReadManifest(ReadOnlyMemory<byte> json)
    {
        using var document = Parse(json, "MISP manifest");
        var root = document.RootElement;
        if (root.ValueKind == JsonValueKind.Object && JsonText.FindUnreadable(System.Runtime.InteropServices.JsonMarshal.GetRawUtf8Value(root)) is >= 0 and var at)
            throw new FeedFormatException($"manifest.json holds text that is not valid UTF-8 (or an escaped lone surrogate) at byte {at}.");
        if (root.ValueKind != JsonValueKind.Object || !LooksLikeManifest(root))
            throw new FeedFormatException("manifest.json must be an object of event uuids, each with info and timestamp.");
        var entries = new List<MispManifestEntry>();
        foreach (var property in root.EnumerateObject())
        {
            if (!Guid.TryParse(property.Name, out var uuid)) continue;
            entries.Add(new MispManifestEntry(uuid.ToString("D"), Text(property.Value, "info"), Number(property.Value, "timestamp") ?? 0));
        }
        return entries;
    }

    private static JsonDocument Parse(ReadOnlyMemory<byte> json, string what)
    {
        try
        {
            return JsonDocument.Parse(JsonText.WithoutByteOrderMark(json), new JsonDocumentOptions { MaxDepth = 64 });
        }
        catch (JsonException ex)
        {
            throw new FeedFormatException($"The {what} is not valid JSON: {ex.Message.Split(" Path:", 2)[0]}");
        }
    }

    private static IEnumerable<JsonElement>? Events(JsonElement root)
    {
        if (root.ValueKind == JsonValueKind.Array) return root.EnumerateArray();
        if (root.ValueKind == JsonValueKind.Object && root.TryGetProperty("response", out var response) && response.ValueKind == JsonValueKind.Array)
            return response.EnumerateArray();
        return null;
    }

    private static bool LooksLikeManifest(JsonElement root) =>
        root.EnumerateObject().Any() && root.EnumerateObject().All(p => Guid.TryParse(p.Name, out _) && p.Value.ValueKind == JsonValueKind.Object);

    private static void ReadEvent(JsonElement wrapper, FeedDocument result)
    {
        if (wrapper.ValueKind != JsonValueKind.Object || !wrapper.TryGetProperty("Event", out var item) || item.ValueKind != JsonValueKind.Object)
        {
            result.Skip("event", "not a MISP event ({\"Event\": {...}})");
            return;
        }
        // The event's own fields apply to every attribute (TLP above all): unreadable, they would be guessed.
        foreach (var field in (string[])["uuid", "info", "threat_level_id", "Tag"])
        {
            if (item.TryGetProperty(field, out var value) && !JsonText.IsReadable(value))
            {
                result.Skip("event", $"the event's {field} holds text that is not valid UTF-8 (or an escaped lone surrogate)");
                return;
            }
        }
        var eventId = Text(item, "uuid") ?? "event";
        var eventTlp = TagTlp(item);
        var eventTags = Tags(item);
        int? confidence = (Text(item, "threat_level_id") ?? Number(item, "threat_level_id")?.ToString(CultureInfo.InvariantCulture)) switch
        {
            "1" => 90,
            "2" => 60,
            "3" => 30,
            _ => null,
        };
        var info = Text(item, "info");
        if (item.TryGetProperty("Attribute", out var attributes) && attributes.ValueKind == JsonValueKind.Array)
        {
            foreach (var attribute in attributes.EnumerateArray()) ReadAttribute(attribute, eventId, eventTlp, eventTags, confidence, info, result);
        }
        if (item.TryGetProperty("Object", out var objects) && objects.ValueKind == JsonValueKind.Array)
        {
            var index = 0;
            foreach (var obj in objects.EnumerateArray())
            {
                var position = $"{eventId}/Object[{index++}]";
                if (obj.ValueKind != JsonValueKind.Object)
                {
                    result.Skip(position, "not a MISP object (a JSON object with Attribute)");
                    continue;
                }
                if (obj.TryGetProperty("name", out var objectName) && !JsonText.IsReadable(objectName))
                {
                    result.Skip(position, "the object's name holds text that is not valid UTF-8 (or an escaped lone surrogate)");
                    continue;
                }
                if (obj.TryGetProperty("Attribute", out var inner) && inner.ValueKind == JsonValueKind.Array)
                {
                    var objectTags = eventTags.Concat(Text(obj, "name") is { } name ? [$"misp-object:{name}"] : []).ToList();
                    foreach (var attribute in inner.EnumerateArray()) ReadAttribute(attribute, eventId, eventTlp, objectTags, confidence, info, result);
                }
            }
        }
    }

    private static void ReadAttribute(JsonElement attribute, string eventId, Tlp? eventTlp, List<string> eventTags, int? confidence, string? info, FeedDocument result)
    {
        result.ObjectsRead++;
        if (!JsonText.IsReadable(attribute))
        {
            result.Skip($"{eventId}/attribute", "the attribute holds text that is not valid UTF-8 (or an escaped lone surrogate)");
            return;
        }
        var id = Text(attribute, "uuid") ?? $"{eventId}/attribute";
        if (id.Length > ThreatIntelLimits.SourceIdLength)
        {
            result.Skip(JsonText.Short(id), $"the uuid is longer than {ThreatIntelLimits.SourceIdLength} characters");
            return;
        }
        var type = Text(attribute, "type");
        var raw = Text(attribute, "value");
        if (type is null || raw is null)
        {
            result.Skip(id, "the attribute has no type or value");
            return;
        }
        if (!Flag(attribute, "to_ids"))
        {
            result.Skip(id, $"{JsonText.Short(type)}: to_ids is false (context, not for detection)");
            return;
        }
        var parts = raw.Split('|');
        IEnumerable<(IndicatorType Type, string Value)>? values = type switch
        {
            "ip-src" or "ip-dst" => [(raw.Contains('/') ? IndicatorType.Cidr : IndicatorType.Ip, raw)],
            "ip-src|port" or "ip-dst|port" => [(IndicatorType.Ip, parts[0])],
            "domain" or "hostname" => [(IndicatorType.Domain, raw)],
            "domain|ip" when parts.Length == 2 => [(IndicatorType.Domain, parts[0]), (IndicatorType.Ip, parts[1])],
            "hostname|port" => [(IndicatorType.Domain, parts[0])],
            "url" or "uri" => [(IndicatorType.Url, raw)],
            "md5" or "sha1" or "sha256" or "sha512" => [(IndicatorType.Hash, raw)],
            "filename|md5" or "filename|sha1" or "filename|sha256" or "filename|sha512" when parts.Length == 2 => [(IndicatorType.Hash, parts[1])],
            "email" or "email-src" or "email-dst" or "email-reply-to" or "whois-registrant-email" => [(IndicatorType.Email, raw)],
            "user-agent" => [(IndicatorType.UserAgent, raw)],
            _ => null,
        };
        if (values is null)
        {
            result.Skip(id, $"attribute type '{JsonText.Short(type)}' is not an indicator type Firebreak matches");
            return;
        }
        var tlp = TagTlp(attribute) ?? eventTlp;
        var labels = eventTags.Concat(Tags(attribute)).Append($"misp:{type}").Distinct().Take(ThreatIntelLimits.MaxLabels).ToList();
        var revoked = Flag(attribute, "deleted");
        var description = StixReader.Truncate(Text(attribute, "comment") is { Length: > 0 } comment ? $"{info}: {comment}" : info);
        foreach (var (indicatorType, value) in values)
        {
            if (IndicatorValue.TryParse(indicatorType, value, out var indicator, out var error))
                result.Indicators.Add(new ParsedIndicator(indicator, id, tlp, labels, confidence, null, null, revoked, description));
            else
                result.Skip(id, $"{JsonText.Short(type)} '{JsonText.Short(value)}' {error}");
        }
    }

    private static Tlp? TagTlp(JsonElement item)
    {
        Tlp? tlp = null;
        foreach (var tag in Tags(item))
        {
            if (tag.StartsWith("tlp:", StringComparison.OrdinalIgnoreCase) && StixReader.TlpFromName(tag) is { } level && (tlp is null || level > tlp)) tlp = level;
        }
        return tlp;
    }

    private static List<string> Tags(JsonElement item)
    {
        if (!item.TryGetProperty("Tag", out var tags) || tags.ValueKind != JsonValueKind.Array) return [];
        return tags.EnumerateArray().Select(t => Text(t, "name")).OfType<string>().Where(t => t.Length is > 0 and <= 200).ToList();
    }

    /// <summary>MISP writes booleans as true/false, "1"/"0" or 1/0 depending on version.</summary>
    private static bool Flag(JsonElement item, string name)
    {
        if (!item.TryGetProperty(name, out var value)) return false;
        return value.ValueKind switch
        {
            JsonValueKind.True => true,
            JsonValueKind.String => value.GetString() is "1" or "true" or "True",
            JsonValueKind.Number => value.TryGetInt32(out var n) && n != 0,
            _ => false,
        };
    }

    private static string? Text(JsonElement item, string name) =>
        item.ValueKind == JsonValueKind.Object && item.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;

    private static long? Number(JsonElement item, string name)
    {
        if (item.ValueKind != JsonValueKind.Object || !item.TryGetProperty(name, out var value)) return null;
        if (value.ValueKind == JsonValueKind.Number && value.TryGetInt64(out var n)) return n;
        if (value.ValueKind == JsonValueKind.String && long.TryParse(value.GetString(), NumberStyles.None, CultureInfo.InvariantCulture, out var s)) return s;
        return null;
    }
}
