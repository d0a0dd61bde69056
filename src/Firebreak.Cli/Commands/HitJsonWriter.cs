using System.Buffers;
using System.Text;
using System.Text.Json;
using Firebreak.Detection.Events;
using Firebreak.Detection.Hunting;

namespace Firebreak.Cli.Commands;

/// <summary>
/// Writes a hunt hit as one JSON object, exactly as the serializer writes <see cref="HuntCommand.HitJson"/>
/// (a test compares them), without a dictionary per hit. A hunt writes hundreds of thousands of these, so
/// property names are encoded once, a rule's own texts once per rule and thread, and a file's path once
/// per run of hits from that file.
/// </summary>
internal static class HitJsonWriter
{
    private static readonly JsonEncodedText Kind = JsonEncodedText.Encode("kind"), RuleId = JsonEncodedText.Encode("ruleId"),
        Title = JsonEncodedText.Encode("title"), Level = JsonEncodedText.Encode("level"), Tags = JsonEncodedText.Encode("tags"),
        Time = JsonEncodedText.Encode("time"), EventId = JsonEncodedText.Encode("eventId"), Provider = JsonEncodedText.Encode("provider"),
        Account = JsonEncodedText.Encode("account"), Region = JsonEncodedText.Encode("region"), Operation = JsonEncodedText.Encode("operation"),
        Actor = JsonEncodedText.Encode("actor"), Type = JsonEncodedText.Encode("type"), Arn = JsonEncodedText.Encode("arn"),
        Name = JsonEncodedText.Encode("name"), AccessKeyId = JsonEncodedText.Encode("accessKeyId"), SourceIp = JsonEncodedText.Encode("sourceIp"),
        UserAgent = JsonEncodedText.Encode("userAgent"), Resources = JsonEncodedText.Encode("resources"), Fields = JsonEncodedText.Encode("fields"),
        Origin = JsonEncodedText.Encode("origin"), Source = JsonEncodedText.Encode("source"), Line = JsonEncodedText.Encode("line"),
        Record = JsonEncodedText.Encode("record"), Count = JsonEncodedText.Encode("count"), Value = JsonEncodedText.Encode("value"), Outcome = JsonEncodedText.Encode("outcome"),
        ErrorCode = JsonEncodedText.Encode("errorCode"), Uid = JsonEncodedText.Encode("uid"), SessionIssuer = JsonEncodedText.Encode("sessionIssuer"), AppUid = JsonEncodedText.Encode("appUid"),
        Success = JsonEncodedText.Encode("success"), Failure = JsonEncodedText.Encode("failure"),
        RuleKind = JsonEncodedText.Encode("rule"), CorrelationKind = JsonEncodedText.Encode("correlation");

    /// <summary>Rules seen by this thread, by key; far more than any rule set holds, so the limit only guards against misuse.</summary>
    private const int MaxRules = 10_000;

    [ThreadStatic]
    private static Dictionary<string, EncodedRule>? rules;

    [ThreadStatic]
    private static (string Text, JsonEncodedText Encoded)? lastSource;

    [ThreadStatic]
    private static (ArrayBufferWriter<byte> Buffer, Utf8JsonWriter Json)? lineWriter;

    private static readonly byte[] NewLine = Encoding.UTF8.GetBytes(Environment.NewLine);

    /// <summary>The hit as one JSON line, ending as <see cref="TextWriter.WriteLine()"/> ends lines, in a new array; safe on any thread.</summary>
    public static byte[] ToLine(HuntHit hit)
    {
        var (buffer, json) = lineWriter ??= NewLineWriter();
        buffer.ResetWrittenCount();
        json.Reset(buffer);
        Write(json, hit);
        json.Flush();
        var line = new byte[buffer.WrittenCount + NewLine.Length];
        buffer.WrittenSpan.CopyTo(line);
        NewLine.CopyTo(line, buffer.WrittenCount);
        return line;

        static (ArrayBufferWriter<byte>, Utf8JsonWriter) NewLineWriter()
        {
            var buffer = new ArrayBufferWriter<byte>(4096);
            return (buffer, new Utf8JsonWriter(buffer));
        }
    }

    public static void Write(Utf8JsonWriter w, HuntHit hit)
    {
        var rule = RuleOf(hit);
        var e = hit.Event;
        w.WriteStartObject();
        w.WriteString(Kind, hit.Kind == HuntHitKind.Rule ? RuleKind : CorrelationKind);
        w.WriteString(RuleId, rule.Key);
        Str(w, Title, rule.Title);
        Str(w, Level, rule.Level);
        w.WriteStartArray(Tags);
        foreach (var tag in rule.Tags) w.WriteStringValue(tag);
        w.WriteEndArray();
        if (HuntCommand.HitTime(hit) is { } time) w.WriteString(Time, time);
        else w.WriteNull(Time);
        Str(w, EventId, e?.EventId);
        Str(w, Provider, e?.Provider);
        Str(w, Account, e?.Account);
        Str(w, Region, e?.Region);
        Str(w, Operation, e?.Operation);
        Str(w, Outcome, e?.Outcome switch { EventOutcome.Success => Success, EventOutcome.Failure => Failure, _ => (JsonEncodedText?)null });
        Str(w, ErrorCode, e?.ErrorCode);
        if (e is null) w.WriteNull(Actor);
        else
        {
            w.WriteStartObject(Actor);
            Str(w, Type, e.Actor.Type);
            Str(w, Uid, e.Actor.Uid);
            Str(w, Arn, e.Actor.Arn);
            Str(w, Name, e.Actor.Name);
            Str(w, AccessKeyId, e.Actor.AccessKeyId);
            Str(w, SessionIssuer, e.Actor.SessionIssuer);
            Str(w, AppUid, e.Actor.AppUid);
            w.WriteEndObject();
        }

        Str(w, SourceIp, e?.SourceIp);
        Str(w, UserAgent, e?.UserAgent);
        if (e is null) w.WriteNull(Resources);
        else
        {
            w.WriteStartArray(Resources);
            foreach (var resource in e.Resources) w.WriteStringValue(resource.Uid);
            w.WriteEndArray();
        }

        w.WriteStartObject(Fields);
        foreach (var field in hit.Fields) Str(w, field.Name, field.Value); // names are unique: a rule's fields are a dictionary
        w.WriteEndObject();
        if (e?.Origin is { } o)
        {
            w.WriteStartObject(Origin);
            w.WriteString(Source, SourceText(o.Source));
            w.WriteNumber(Line, o.Line);
            w.WriteNumber(Record, o.RecordIndex);
            w.WriteEndObject();
        }
        else w.WriteNull(Origin);

        if (hit.Correlation?.Count is { } count) w.WriteNumber(Count, count);
        else w.WriteNull(Count);
        if (hit.Correlation?.Value is { } value) w.WriteNumber(Value, value);
        else w.WriteNull(Value);
        w.WriteEndObject();
    }

    private static void Str(Utf8JsonWriter w, JsonEncodedText name, string? value)
    {
        if (value is null) w.WriteNull(name);
        else w.WriteString(name, value);
    }

    private static void Str(Utf8JsonWriter w, JsonEncodedText name, JsonEncodedText? value)
    {
        if (value is { } text) w.WriteString(name, text);
        else w.WriteNull(name);
    }

    private static void Str(Utf8JsonWriter w, string name, string? value)
    {
        if (value is null) w.WriteNull(name);
        else w.WriteString(name, value);
    }

    private static JsonEncodedText SourceText(string source)
    {
        if (lastSource is { } last && ReferenceEquals(last.Text, source)) return last.Encoded;
        var encoded = JsonEncodedText.Encode(source);
        lastSource = (source, encoded);
        return encoded;
    }

    private static EncodedRule RuleOf(HuntHit hit)
    {
        rules ??= new Dictionary<string, EncodedRule>(StringComparer.Ordinal);
        if (rules.TryGetValue(hit.RuleKey, out var rule) && rule.Describes(hit)) return rule;
        if (rules.Count >= MaxRules) rules.Clear();
        return rules[hit.RuleKey] = new EncodedRule(hit);
    }

    /// <summary>A rule's texts, encoded; a hit of another rule set with the same key (compared by reference) is encoded afresh.</summary>
    private sealed class EncodedRule(HuntHit hit)
    {
        private readonly string? title = hit.Title;
        private readonly string? level = hit.Level;
        private readonly IReadOnlyList<string> tags = hit.Tags;

        public JsonEncodedText Key { get; } = JsonEncodedText.Encode(hit.RuleKey);

        public JsonEncodedText? Title { get; } = hit.Title is null ? null : JsonEncodedText.Encode(hit.Title);

        public JsonEncodedText? Level { get; } = HuntCommand.LevelName(hit.Level) is { } level ? JsonEncodedText.Encode(level) : null;

        public JsonEncodedText[] Tags { get; } = [.. hit.Tags.Select(t => JsonEncodedText.Encode(t))];

        public bool Describes(HuntHit hit) => ReferenceEquals(hit.Title, title) && ReferenceEquals(hit.Level, level) && ReferenceEquals(hit.Tags, tags);
    }
}
