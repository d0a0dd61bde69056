using System.Buffers;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json;
using Firebreak.Detection.Events;

namespace Firebreak.Detection.Sigma;

/// <summary>Reads one rule field from an event: a set of alternative dotted paths into the native record, or a normalised property.</summary>
internal abstract class FieldAccessor
{
    public abstract string Describe { get; }

    /// <summary>The field is present, whatever its value (Sigma <c>exists</c>).</summary>
    public abstract bool Exists(CloudEvent e);

    /// <summary>Absent or JSON null (Sigma <c>field: null</c>).</summary>
    public abstract bool IsNullOrMissing(CloudEvent e);

    /// <summary>Some scalar under the field satisfies the matcher; arrays on the path fan out.</summary>
    public abstract bool AnyLeaf(CloudEvent e, ValueMatcher matcher);

    /// <summary>The first scalar value as text; allocates, so only for reporting, grouping and field references.</summary>
    public abstract string? FirstValue(CloudEvent e);
}

internal sealed class NormalisedAccessor(string name, Func<CloudEvent, string?> getter) : FieldAccessor
{
    public override string Describe => name;

    public override bool Exists(CloudEvent e) => getter(e) is not null;

    public override bool IsNullOrMissing(CloudEvent e) => getter(e) is null;

    public override bool AnyLeaf(CloudEvent e, ValueMatcher matcher) => getter(e) is { } value && matcher.IsMatch(value);

    public override string? FirstValue(CloudEvent e) => getter(e);
}

/// <summary>
/// A field found in the record's own paths or, failing them, in a value the reader derived from the record (its
/// outcome, its service): where one shape of a log writes a word (Status "Success") that another holds only as a code
/// (status.errorCode 0). A derived value is not in the record's text, so such a field asks the pre-filter for none.
/// </summary>
internal sealed class DerivedFallbackAccessor(RawPathAccessor raw, NormalisedAccessor[] derived) : FieldAccessor
{
    public override string Describe => string.Join(" | ", [raw.Describe, .. derived.Select(d => "@" + d.Describe)]);

    public override bool Exists(CloudEvent e) => raw.Exists(e) || derived.Any(d => d.Exists(e));

    public override bool IsNullOrMissing(CloudEvent e) => raw.IsNullOrMissing(e) && derived.All(d => d.IsNullOrMissing(e));

    public override bool AnyLeaf(CloudEvent e, ValueMatcher matcher) => raw.AnyLeaf(e, matcher) || derived.Any(d => d.AnyLeaf(e, matcher));

    public override string? FirstValue(CloudEvent e) => raw.FirstValue(e) ?? derived.Select(d => d.FirstValue(e)).FirstOrDefault(v => v is not null);
}

internal sealed class RawPathAccessor : FieldAccessor
{
    private readonly JsonPath[] paths;

    public RawPathAccessor(IEnumerable<string> dottedPaths)
    {
        paths = dottedPaths.Distinct(StringComparer.Ordinal).Select(p => new JsonPath(p)).ToArray();
    }

    public override string Describe => string.Join(" | ", paths.Select(p => p.Text));

    public IEnumerable<string> Paths => paths.Select(p => p.Text);

    public override bool Exists(CloudEvent e)
    {
        foreach (var path in paths)
        {
            if (Start(e, path, out var at, out var index) && JsonTraversal.Exists(at, path.Segments, index))
            {
                return true;
            }
        }

        return false;
    }

    public override bool IsNullOrMissing(CloudEvent e)
    {
        foreach (var path in paths)
        {
            if (Start(e, path, out var at, out var index) && JsonTraversal.HasNonNull(at, path.Segments, index))
            {
                return false;
            }
        }

        return true;
    }

    public override bool AnyLeaf(CloudEvent e, ValueMatcher matcher)
    {
        foreach (var path in paths)
        {
            if (Start(e, path, out var at, out var index) && JsonTraversal.AnyLeaf(at, path.Segments, index, matcher))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>
    /// Some node at the field (each item, where the field is a list) passes <paramref name="test"/>: what a field written
    /// with <c>[]</c> is the scope of (<see cref="ElementScope"/>).
    /// </summary>
    public bool AnyNode<TState>(CloudEvent e, TState state, Func<JsonElement, TState, bool> test)
    {
        foreach (var path in paths)
        {
            if (Start(e, path, out var at, out var index) && JsonTraversal.AnyNode(at, path.Segments, index, state, test))
            {
                return true;
            }
        }

        return false;
    }

    public override string? FirstValue(CloudEvent e)
    {
        foreach (var path in paths)
        {
            if (Start(e, path, out var at, out var index) && JsonTraversal.First(at, path.Segments, index) is { } value)
            {
                return value;
            }
        }

        return null;
    }

    public string? FirstValue(JsonElement raw)
    {
        foreach (var path in paths)
        {
            if ((path.Unless is null || !JsonTraversal.Exists(raw, path.Unless.Segments, 0)) && JsonTraversal.First(raw, path.Segments, 0) is { } value)
            {
                return value;
            }
        }

        return null;
    }

    public int PathCount => paths.Length;

    /// <summary>
    /// Where a path's walk begins: in an object record, past its first step, taken from the event's cached top-level
    /// properties (false when that property is missing); in anything else, at the record itself.
    /// </summary>
    private static bool Start(CloudEvent e, JsonPath path, out JsonElement at, out int index)
    {
        if (e.Raw.ValueKind != JsonValueKind.Object)
        {
            (at, index) = (e.Raw, 0);
            return path.Unless is null || !JsonTraversal.Exists(e.Raw, path.Unless.Segments, 0);
        }

        index = 1;
        if (path.Unless is { } unless && RootProperties.TryGet(e, unless.Segments[0], out var guard) && JsonTraversal.Exists(guard, unless.Segments, 1))
        {
            at = default;
            return false;
        }

        return RootProperties.TryGet(e, path.Segments[0], out at);
    }

    /// <summary>Hands the string (or number text) at one alternative path to <paramref name="use"/> as a span, without allocating a string for it.</summary>
    public bool TryUseString<TState, TResult>(CloudEvent e, int pathIndex, TState state, Func<ReadOnlySpan<char>, TState, (bool, TResult)> use, out TResult? result)
    {
        var path = paths[pathIndex];
        if (Start(e, path, out var at, out var index)
            && JsonTraversal.Resolve(at, path.Segments, index) is { ValueKind: JsonValueKind.String or JsonValueKind.Number } element)
        {
            return JsonTraversal.WithChars(element, state, use, out result);
        }

        result = default;
        return false;
    }
}

/// <summary>
/// The top-level properties of the event a thread is matching, listed once however many rules ask for them: a
/// CloudTrail record has some twenty, and a lookup by name walks them all (twice when the name is missing, the second
/// time ignoring case), while the rules of a hunt ask for a few dozen names, most of them missing from any one record
/// (the other formats' paths). The list is made in one pass when a thread moves on to another event, and looked up by
/// length and first eight bytes before the names are compared; it holds at most one event per thread, and is emptied
/// by <see cref="Forget"/> after each batch a hunt matches. A record escaping a top-level name (<c>"\u0065ventName"</c>)
/// is looked up as before, through the document.
/// </summary>
internal static class RootProperties
{
    private const int MaxListed = 256;

    [ThreadStatic]
    private static CloudEvent? owner;

    [ThreadStatic]
    private static Listed? listed;

    public static bool TryGet(CloudEvent e, byte[] name, out JsonElement value)
    {
        var list = listed ??= new Listed();
        if (!ReferenceEquals(owner, e))
        {
            list.Load(e.Raw);
            owner = e;
        }

        return list.Direct
            ? list.TryGet(name, out value)
            : JsonTraversal.TryGetProperty(e.Raw, name, out value);
    }

    /// <summary>Lets the last event go, so that an idle thread does not keep it (and its document) alive.</summary>
    public static void Forget()
    {
        owner = null;
        listed?.Clear();
    }

    private sealed class Listed
    {
        private JsonProperty[] properties = new JsonProperty[32];
        private ulong[] keys = new ulong[32];
        private ulong[] foldedKeys = new ulong[32];
        private int[] lengths = new int[32];
        private int count;

        /// <summary>False when a name is escaped, or there are too many to list: the document is asked instead.</summary>
        public bool Direct { get; private set; }

        public void Load(JsonElement record)
        {
            Clear();
            Direct = false;
            // One search of the whole record says whether any name may be escaped; most records escape nothing.
            var escapes = JsonMarshal.GetRawUtf8Value(record).Contains((byte)'\\');
            foreach (var property in record.EnumerateObject())
            {
                var name = JsonMarshal.GetRawUtf8PropertyName(property);
                if (count == MaxListed || (escapes && name.Contains((byte)'\\')))
                {
                    Clear();
                    return;
                }

                if (count == properties.Length)
                {
                    Array.Resize(ref properties, count * 2);
                    Array.Resize(ref keys, count * 2);
                    Array.Resize(ref foldedKeys, count * 2);
                    Array.Resize(ref lengths, count * 2);
                }

                properties[count] = property;
                var key = Key(name);
                keys[count] = key;
                foldedKeys[count] = Fold(key);
                lengths[count] = name.Length;
                count++;
            }

            Direct = true;
        }

        public void Clear()
        {
            Array.Clear(properties, 0, count);
            count = 0;
        }

        /// <summary>
        /// As <see cref="JsonTraversal.TryGetProperty"/> answers: the exact name first, the last of several as the
        /// document gives it; then the first whose name equals it ignoring ASCII case.
        /// </summary>
        public bool TryGet(byte[] name, out JsonElement value)
        {
            var key = Key(name);
            for (var i = count - 1; i >= 0; i--)
            {
                if (keys[i] == key && lengths[i] == name.Length && JsonMarshal.GetRawUtf8PropertyName(properties[i]).SequenceEqual(name))
                {
                    value = properties[i].Value;
                    return true;
                }
            }

            var folded = Fold(key);
            for (var i = 0; i < count; i++)
            {
                if (foldedKeys[i] == folded && lengths[i] == name.Length && Ascii.EqualsIgnoreCase(JsonMarshal.GetRawUtf8PropertyName(properties[i]), name))
                {
                    value = properties[i].Value;
                    return true;
                }
            }

            value = default;
            return false;
        }

        private static ulong Key(ReadOnlySpan<byte> name)
        {
            if (name.Length >= 8)
            {
                return MemoryMarshal.Read<ulong>(name);
            }

            ulong key = 0;
            for (var i = 0; i < name.Length; i++)
            {
                key |= (ulong)name[i] << (8 * i);
            }

            return key;
        }

        /// <summary>The key with its ASCII capitals made small, eight bytes at once; other bytes are left as they are.</summary>
        private static ulong Fold(ulong key)
        {
            const ulong Ones = 0x0101010101010101, High = 0x8080808080808080;
            var low = key & ~High;
            var fromA = low + (Ones * (0x80 - 'A'));
            var pastZ = low + (Ones * (0x80 - 'Z' - 1));
            var capitals = fromA & ~pastZ & ~key & High;
            return key | (capitals >> 2);
        }
    }
}

internal sealed class JsonPath
{
    // One byte array per distinct segment name, so that lookups cached by name can compare references.
    private static readonly System.Collections.Concurrent.ConcurrentDictionary<string, byte[]> Interned = new(StringComparer.Ordinal);

    /// <summary>Written between a path and another, the second's presence in the record turns the first off.</summary>
    public const string UnlessMarker = " unless ";

    public JsonPath(string text)
    {
        var unless = text.IndexOf(UnlessMarker, StringComparison.Ordinal);
        Text = unless < 0 ? text : text[..unless];
        Segments = Split(Text).Select(s => Interned.GetOrAdd(s, Encoding.UTF8.GetBytes)).ToArray();
        Unless = unless < 0 ? null : new JsonPath(text[(unless + UnlessMarker.Length)..]);
    }

    public string Text { get; }

    public byte[][] Segments { get; }

    /// <summary>
    /// A path whose presence in the record means this one is not the field: OCSF's top-level <c>user</c> is the actor
    /// only in a record without <c>actor.user</c> (in an Account Change it is the user acted upon).
    /// </summary>
    public JsonPath? Unless { get; }

    /// <summary>
    /// The names of a dotted path; a name in brackets is taken whole, dots and all, for keys such as Azure's claim
    /// URIs (<c>identity.claims.[http://schemas.xmlsoap.org/ws/2005/05/identity/claims/upn]</c>).
    /// </summary>
    private static List<string> Split(string text)
    {
        var names = new List<string>();
        var start = 0;
        while (start <= text.Length)
        {
            if (start < text.Length && text[start] == '[' && text.IndexOf(']', start) is var close and > 0
                && (close == text.Length - 1 || text[close + 1] == '.'))
            {
                names.Add(text[(start + 1)..close]);
                start = close + 2;
                continue;
            }

            var dot = text.IndexOf('.', start);
            var end = dot < 0 ? text.Length : dot;
            names.Add(text[start..end]);
            start = end + 1;
        }

        return names;
    }
}

internal static class JsonTraversal
{
    private const int StackLimit = 256;

    /// <summary>Exact (ordinal) property match first; exports disagree on casing (operationName vs OperationName), so fall back to ASCII case-insensitive.</summary>
    public static bool TryGetProperty(JsonElement obj, byte[] name, out JsonElement value)
    {
        if (obj.TryGetProperty(name, out value))
        {
            return true;
        }

        foreach (var property in obj.EnumerateObject())
        {
            if (System.Text.Ascii.EqualsIgnoreCase(JsonMarshal.GetRawUtf8PropertyName(property), name))
            {
                value = property.Value;
                return true;
            }
        }

        return false;
    }

    public static JsonElement? Resolve(JsonElement current, byte[][] segments, int index)
    {
        for (var i = index; i < segments.Length; i++)
        {
            Embedded(ref current, i, segments.Length);
            if (current.ValueKind != JsonValueKind.Object || !TryGetProperty(current, segments[i], out current))
            {
                return null;
            }
        }

        return current;
    }

    /// <summary>
    /// A path that goes on past a string holding JSON text goes on into what the text holds: Log Analytics keeps its
    /// dynamic columns (InitiatedBy, TargetResources, Status) so, CloudTrail Lake rows their nested fields, CloudTrail
    /// its policy documents. Only a string starting with '{' or '[', of at most <see cref="MaxEmbeddedBytes"/>, with more
    /// of the path to walk is parsed; each thread keeps the last few it parsed, so the rules walking into one field of
    /// an event parse it once. Text that is not JSON, or escapes half a surrogate pair (which no reader can turn into
    /// text: it ended the hunt), ends the path at the string.
    /// </summary>
    private static void Embedded(ref JsonElement current, int index, int length)
    {
        if (index >= length || current.ValueKind != JsonValueKind.String)
        {
            return;
        }

        var raw = JsonMarshal.GetRawUtf8Value(current);
        if (raw.Length < 4 || raw.Length > MaxEmbeddedBytes || raw[1] is not ((byte)'{' or (byte)'['))
        {
            return;
        }

        var cache = parsedTexts ??= [];
        foreach (var (text, parsed) in cache)
        {
            if (raw.SequenceEqual(text))
            {
                if (parsed is { } known)
                {
                    current = known;
                }

                return;
            }
        }

        JsonElement? result = null;
        try
        {
            var inner = Encoding.UTF8.GetBytes(current.GetString()!);
            if (inner.AsSpan().IndexOf("\\u"u8) < 0 || !Readers.CloudLogReader.HasLoneSurrogate(inner))
            {
                // Cloned, as the reader keeps a record: the element outlives the document, whose pooled memory goes back.
                using var document = JsonDocument.Parse(inner, new JsonDocumentOptions { MaxDepth = 64 });
                result = document.RootElement.Clone();
            }
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException)
        {
            // Not JSON after all: the path ends at the string.
        }

        if (cache.Count >= EmbeddedKept)
        {
            cache.RemoveAt(0);
        }

        cache.Add((raw.ToArray(), result));
        if (result is { } found)
        {
            current = found;
        }
    }

    /// <summary>Larger JSON text (far beyond any policy document) is not walked into.</summary>
    internal const int MaxEmbeddedBytes = 64 * 1024;

    private const int EmbeddedKept = 16;

    [ThreadStatic]
    private static List<(byte[] Text, JsonElement? Parsed)>? parsedTexts;

    public static bool Exists(JsonElement current, byte[][] segments, int index)
    {
        if (index == segments.Length)
        {
            return true;
        }

        Embedded(ref current, index, segments.Length);
        if (current.ValueKind == JsonValueKind.Object)
        {
            return TryGetProperty(current, segments[index], out var next) && Exists(next, segments, index + 1);
        }

        if (current.ValueKind == JsonValueKind.Array)
        {
            foreach (var item in current.EnumerateArray())
            {
                if (Exists(item, segments, index))
                {
                    return true;
                }
            }
        }

        return false;
    }

    public static bool HasNonNull(JsonElement current, byte[][] segments, int index)
    {
        if (index == segments.Length)
        {
            return current.ValueKind != JsonValueKind.Null;
        }

        Embedded(ref current, index, segments.Length);
        if (current.ValueKind == JsonValueKind.Object)
        {
            return TryGetProperty(current, segments[index], out var next) && HasNonNull(next, segments, index + 1);
        }

        if (current.ValueKind == JsonValueKind.Array)
        {
            foreach (var item in current.EnumerateArray())
            {
                if (HasNonNull(item, segments, index))
                {
                    return true;
                }
            }
        }

        return false;
    }

    /// <summary>
    /// Follows the path through objects (and JSON text holding one) from <paramref name="index"/>, stopping at the path's end
    /// or at a node that is not an object (a list, to be fanned out by the caller); false when a name is missing.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static bool DescendObjects(ref JsonElement current, ref int index, byte[][] segments)
    {
        Embedded(ref current, index, segments.Length);
        while (index < segments.Length && current.ValueKind == JsonValueKind.Object)
        {
            if (!TryGetProperty(current, segments[index], out current))
            {
                return false;
            }

            index++;
            Embedded(ref current, index, segments.Length);
        }

        return true;
    }

    public static bool AnyLeaf(JsonElement current, byte[][] segments, int index, ValueMatcher matcher)
    {
        if (!DescendObjects(ref current, ref index, segments))
        {
            return false;
        }

        if (current.ValueKind == JsonValueKind.Array)
        {
            // An empty list is the text "[]", as Log Analytics writes it in a dynamic column (NetworkLocationDetails: '[]'),
            // where Graph and the exports keep a list with nothing in it.
            if (index == segments.Length && current.GetArrayLength() == 0)
            {
                return matcher.IsMatch("[]");
            }

            foreach (var item in current.EnumerateArray())
            {
                if (AnyLeaf(item, segments, index, matcher))
                {
                    return true;
                }
            }

            return false;
        }

        return index == segments.Length && MatchScalar(current, matcher);
    }

    /// <summary>As <see cref="AnyLeaf"/> walks, but the test is handed each node at the path's end, an object as well as a scalar.</summary>
    public static bool AnyNode<TState>(JsonElement current, byte[][] segments, int index, TState state, Func<JsonElement, TState, bool> test)
    {
        if (!DescendObjects(ref current, ref index, segments))
        {
            return false;
        }

        if (index == segments.Length)
        {
            // The test walks on into the node, so a node holding JSON text is walked into as a path going on past it is.
            Embedded(ref current, 0, 1);
        }

        if (current.ValueKind == JsonValueKind.Array)
        {
            foreach (var item in current.EnumerateArray())
            {
                if (AnyNode(item, segments, index, state, test))
                {
                    return true;
                }
            }

            return false;
        }

        return index == segments.Length && current.ValueKind is not (JsonValueKind.Null or JsonValueKind.Undefined) && test(current, state);
    }

    public static string? First(JsonElement current, byte[][] segments, int index)
    {
        if (!DescendObjects(ref current, ref index, segments))
        {
            return null;
        }

        if (current.ValueKind == JsonValueKind.Array)
        {
            foreach (var item in current.EnumerateArray())
            {
                if (First(item, segments, index) is { } found)
                {
                    return found;
                }
            }

            return null;
        }

        return index == segments.Length ? ToText(current) : null;
    }

    public static string? ToText(JsonElement element) => element.ValueKind switch
    {
        JsonValueKind.String => element.GetString(),
        JsonValueKind.Null or JsonValueKind.Undefined => null,
        _ => element.GetRawText(),
    };

    /// <summary>
    /// Objects are matched as their JSON text, so <c>contains</c> can search a nested structure
    /// (several SigmaHQ rules do this with requestParameters and targetResources).
    /// </summary>
    public static bool MatchScalar(JsonElement element, ValueMatcher matcher)
    {
        switch (element.ValueKind)
        {
            case JsonValueKind.String:
                return WithChars(element, matcher, static (chars, m) => (m.IsMatch(chars), 0), out _);
            case JsonValueKind.Number:
                return element.TryGetDouble(out var number) && double.IsFinite(number)
                    ? WithChars(element, (matcher, number), static (chars, s) => (s.matcher.IsMatchNumber(chars, s.number), 0), out _)
                    : WithChars(element, matcher, static (chars, m) => (m.IsMatch(chars), 0), out _);
            case JsonValueKind.True:
                return matcher.IsMatch("true");
            case JsonValueKind.False:
                return matcher.IsMatch("false");
            case JsonValueKind.Object:
                return matcher.IsMatch(element.GetRawText());
            default:
                return false;
        }
    }

    /// <summary>Decodes a string or number into a stack buffer (unescaped values only) so the hot path does not allocate.</summary>
    public static bool WithChars<TState, TResult>(JsonElement element, TState state, Func<ReadOnlySpan<char>, TState, (bool, TResult)> use, out TResult? result)
    {
        var raw = JsonMarshal.GetRawUtf8Value(element);
        if (element.ValueKind == JsonValueKind.String)
        {
            raw = raw[1..^1];
            if (raw.IndexOf((byte)'\\') >= 0)
            {
                (var ok, result) = use(element.GetString(), state);
                return ok;
            }
        }

        if (raw.Length <= StackLimit)
        {
            Span<char> buffer = stackalloc char[StackLimit];
            var written = Encoding.UTF8.GetChars(raw, buffer);
            (var ok, result) = use(buffer[..written], state);
            return ok;
        }

        var rented = ArrayPool<char>.Shared.Rent(raw.Length);
        try
        {
            var written = Encoding.UTF8.GetChars(raw, rented);
            (var ok, result) = use(rented.AsSpan(0, written), state);
            return ok;
        }
        finally
        {
            ArrayPool<char>.Shared.Return(rented);
        }
    }

    /// <summary>Every scalar leaf anywhere in the record (strings, numbers, flags): what an unfielded keyword search looks at.</summary>
    public static bool AnyStringAnywhere(JsonElement element, ValueMatcher matcher)
    {
        switch (element.ValueKind)
        {
            case JsonValueKind.Object:
                // The whole message, names included: a label's key (image-policy.k8s.io/break-glass) is the log's text too.
                foreach (var property in element.EnumerateObject())
                {
                    if (matcher.IsMatch(property.Name) || AnyStringAnywhere(property.Value, matcher))
                    {
                        return true;
                    }
                }

                return false;
            case JsonValueKind.Array:
                foreach (var item in element.EnumerateArray())
                {
                    if (AnyStringAnywhere(item, matcher))
                    {
                        return true;
                    }
                }

                return false;
            case JsonValueKind.String:
            case JsonValueKind.Number:
            case JsonValueKind.True:
            case JsonValueKind.False:
                // A keyword is text anywhere in the event: a port or an account number written as a JSON number is text
                // too, and so is a flag (true, false), as a search of the log's text finds it.
                return MatchScalar(element, matcher);
            default:
                return false;
        }
    }
}
