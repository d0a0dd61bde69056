using System.Runtime.CompilerServices;
using System.Text.Json;
using Firebreak.Detection.Events;

namespace Firebreak.Detection.Sigma;

/// <summary>
/// Firebreak's one addition to Sigma's field names: <c>list[].field</c>. Items of one map (one AND of a search) that name
/// the same <c>list[]</c> must all hold in one item of that list, where a plain path lets each item of the map be found
/// in a different one. CloudTrail writes a request's permissions, statements or rules as lists of objects, and a rule
/// asking whether one permission is both open to every address and on port 22 cannot otherwise tell that permission
/// from two others, one open on 443 and one on 22 from a private range. Plain Sigma has no such name, so a rule using it
/// is not portable; no SigmaHQ rule names a field with <c>[]</c>.
/// </summary>
internal static class ElementScope
{
    public const string Marker = "[]";

    /// <summary>
    /// The list and the path inside each of its items, or null for a field without <c>[]</c>. The list is a field name as
    /// any other (mapped for the log source: CloudTrail's <c>requestParameters</c> is also Security Lake's
    /// <c>api.request.data</c>); the path inside is the item's own, as written.
    /// </summary>
    public static (string Scope, string Inner)? Split(string? field)
    {
        if (field is null)
        {
            return null;
        }

        var at = field.IndexOf(Marker, StringComparison.Ordinal);
        if (at < 0)
        {
            return null;
        }

        if (at == 0 || at + Marker.Length >= field.Length - 1 || field[at + Marker.Length] != '.'
            || field.IndexOf(Marker, at + Marker.Length, StringComparison.Ordinal) >= 0)
        {
            throw new FormatException($"'{field}': '{Marker}' goes once between a list and a field of its items (list[].field)");
        }

        return (field[..at], field[(at + Marker.Length + 1)..]);
    }
}

/// <summary>
/// Some item of a list passes every test of the items naming it with <c>[]</c>. <paramref name="fields"/> are those items'
/// fields as the rule writes them (<c>list[].field</c>) with their paths inside an item, for describing a match.
/// </summary>
internal sealed class ScopedPredicate(RawPathAccessor scope, ElementTest[] tests, (string Name, byte[][] Inner)[] fields) : Predicate
{
    public IEnumerable<string> FieldNames => fields.Select(f => f.Name);

    public override bool Evaluate(CloudEvent e) => scope.AnyNode(e, tests, static (element, all) => PassesAll(element, all));

    /// <summary>
    /// Adds the fields of the first item passing every test, with their values in that item (not the first values in the
    /// record, which may belong to another item), unless a field of that name is already in <paramref name="into"/>.
    /// Adds nothing when no item passes.
    /// </summary>
    public void Describe(CloudEvent e, List<MatchedField> into)
    {
        var found = new StrongBox<JsonElement?>();
        scope.AnyNode(e, (tests, found), static (element, state) =>
        {
            if (!PassesAll(element, state.tests))
            {
                return false;
            }

            state.found.Value = element;
            return true;
        });
        if (found.Value is not { } item)
        {
            return;
        }

        foreach (var (name, inner) in fields)
        {
            if (JsonTraversal.First(item, inner, 0) is { } value && !into.Exists(f => f.Name == name))
            {
                into.Add(new MatchedField(name, value));
            }
        }
    }

    private static bool PassesAll(JsonElement element, ElementTest[] all)
    {
        foreach (var test in all)
        {
            if (!test.Evaluate(element))
            {
                return false;
            }
        }

        return true;
    }

    // Every test holds in the record (in one item), so any one test's needles will do.
    public override NeedleSet? RequiredNeedles(bool beyondOperation = false) =>
        RawNeedles.MostSelective(tests.Select(t => t.RequiredNeedles()?.Beyond(beyondOperation)));
}

/// <summary>One item of a map, asked of one item of a list: <c>field|modifiers: values</c> with the field read inside it.</summary>
internal abstract class ElementTest
{
    public abstract bool Evaluate(JsonElement element);

    /// <summary>As <see cref="Predicate.RequiredNeedles"/>: texts of which a record passing this test holds one.</summary>
    public virtual NeedleSet? RequiredNeedles() => null;
}

/// <summary>The path inside an item, and the whole paths (through each of the list's paths) that needles are found under.</summary>
internal sealed class InnerPath(string inner, IEnumerable<string> scopePaths)
{
    public byte[][] Segments { get; } = new JsonPath(inner).Segments;

    public IReadOnlyList<string> WholePaths { get; } = scopePaths.Select(p => p + "." + inner).ToList();
}

internal sealed class ElementAnyTest(InnerPath path, ValueMatcher matcher) : ElementTest
{
    public override bool Evaluate(JsonElement element) => JsonTraversal.AnyLeaf(element, path.Segments, 0, matcher);

    public override NeedleSet? RequiredNeedles() => RawNeedles.From(matcher.RequiredLiterals(), path.WholePaths);
}

/// <summary>The <c>all</c> modifier: every value is found in the field of this one item.</summary>
internal sealed class ElementAllTest(InnerPath path, ValueMatcher[] matchers) : ElementTest
{
    public override bool Evaluate(JsonElement element)
    {
        foreach (var matcher in matchers)
        {
            if (!JsonTraversal.AnyLeaf(element, path.Segments, 0, matcher))
            {
                return false;
            }
        }

        return true;
    }

    public override NeedleSet? RequiredNeedles() => RawNeedles.MostSelective(matchers.Select(m => RawNeedles.From(m.RequiredLiterals(), path.WholePaths)));
}

/// <summary><c>neq</c>: the field equals none of the values in the item, missing or null included (as outside a list).</summary>
internal sealed class ElementNoneOfTest(InnerPath path, ValueMatcher matcher) : ElementTest
{
    public override bool Evaluate(JsonElement element) =>
        !JsonTraversal.HasNonNull(element, path.Segments, 0) || !JsonTraversal.AnyLeaf(element, path.Segments, 0, matcher);
}

/// <summary><c>field: null</c> (absent from the item, or null), or with <c>neq</c> its opposite.</summary>
internal sealed class ElementNullTest(InnerPath path, bool negate) : ElementTest
{
    public override bool Evaluate(JsonElement element) => JsonTraversal.HasNonNull(element, path.Segments, 0) == negate;
}

internal sealed class ElementExistsTest(InnerPath path, bool expected) : ElementTest
{
    public override bool Evaluate(JsonElement element) => JsonTraversal.Exists(element, path.Segments, 0) == expected;
}

internal sealed class ElementConstantTest(bool value) : ElementTest
{
    public override bool Evaluate(JsonElement element) => value;

    public override NeedleSet? RequiredNeedles() => value ? null : NeedleSet.Nothing;
}

/// <summary>The parts of one item (its null and its other values): all of them (<c>all</c>, <c>neq</c>), or any.</summary>
internal sealed class ElementCombinedTest(ElementTest[] parts, bool all) : ElementTest
{
    public override bool Evaluate(JsonElement element)
    {
        foreach (var part in parts)
        {
            if (part.Evaluate(element) != all)
            {
                return !all;
            }
        }

        return all;
    }

    public override NeedleSet? RequiredNeedles() => all
        ? RawNeedles.MostSelective(parts.Select(p => p.RequiredNeedles()))
        : RawNeedles.Union(parts.Select(p => p.RequiredNeedles()));
}
