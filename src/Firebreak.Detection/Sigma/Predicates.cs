using Firebreak.Detection.Events;

namespace Firebreak.Detection.Sigma;

/// <summary>A compiled piece of a rule's detection logic.</summary>
internal abstract class Predicate
{
    public abstract bool Evaluate(CloudEvent e);

    /// <summary>
    /// Needles (see <see cref="RawNeedles"/>) of which the raw record of every event this predicate
    /// accepts contains at least one, ignoring case; null when no such promise can be made, empty when
    /// nothing is accepted. With <paramref name="beyondOperation"/>, needles taken from the operation
    /// name are left out (the rule index has already tested that field), so what is promised says
    /// something more about the record.
    /// </summary>
    public virtual NeedleSet? RequiredNeedles(bool beyondOperation = false) => null;
}

internal sealed class ConstantPredicate(bool value) : Predicate
{
    public override bool Evaluate(CloudEvent e) => value;

    public override NeedleSet? RequiredNeedles(bool beyondOperation = false) => value ? null : NeedleSet.Nothing;
}

internal sealed class AndPredicate(Predicate[] operands) : Predicate
{
    public Predicate[] Operands => operands;

    // Every operand must hold, so any one operand's needles will do; the most selective one is kept.
    public override NeedleSet? RequiredNeedles(bool beyondOperation = false) => RawNeedles.MostSelective(operands.Select(o => o.RequiredNeedles(beyondOperation)));

    public override bool Evaluate(CloudEvent e)
    {
        foreach (var operand in operands)
        {
            if (!operand.Evaluate(e))
            {
                return false;
            }
        }

        return true;
    }
}

internal sealed class OrPredicate(Predicate[] operands) : Predicate
{
    public override NeedleSet? RequiredNeedles(bool beyondOperation = false) => RawNeedles.Union(operands.Select(o => o.RequiredNeedles(beyondOperation)));

    public override bool Evaluate(CloudEvent e)
    {
        foreach (var operand in operands)
        {
            if (operand.Evaluate(e))
            {
                return true;
            }
        }

        return false;
    }
}

internal sealed class NotPredicate(Predicate operand) : Predicate
{
    public override bool Evaluate(CloudEvent e) => !operand.Evaluate(e);
}

internal sealed class FieldAnyPredicate(FieldAccessor field, ValueMatcher matcher) : Predicate
{
    public override bool Evaluate(CloudEvent e) => field.AnyLeaf(e, matcher);

    // A normalised field's value may be derived (a provider name, say) rather than copied from the record.
    public override NeedleSet? RequiredNeedles(bool beyondOperation = false) =>
        field is RawPathAccessor raw ? RawNeedles.From(matcher.RequiredLiterals(), raw.Paths)?.Beyond(beyondOperation) : null;
}

/// <summary>The <c>all</c> modifier: every value must be found in the field.</summary>
internal sealed class FieldAllPredicate(FieldAccessor field, ValueMatcher[] matchers) : Predicate
{
    public override NeedleSet? RequiredNeedles(bool beyondOperation = false) =>
        field is RawPathAccessor raw ? RawNeedles.MostSelective(matchers.Select(m => RawNeedles.From(m.RequiredLiterals(), raw.Paths)?.Beyond(beyondOperation))) : null;

    public override bool Evaluate(CloudEvent e)
    {
        foreach (var matcher in matchers)
        {
            if (!field.AnyLeaf(e, matcher))
            {
                return false;
            }
        }

        return true;
    }
}

/// <summary>
/// <c>neq</c>: the field equals none of the values, which holds when it is missing or null too. pySigma turns the item
/// into its negation (<c>NOT field=value</c> in every query language it writes), so <c>MFAUsed|neq: 'Yes'</c> reports a
/// sign-in whose record has no MFAUsed, as <c>not</c> around the plain item does.
/// </summary>
internal sealed class FieldNoneOfPredicate(FieldAccessor field, ValueMatcher matcher) : Predicate
{
    public override bool Evaluate(CloudEvent e) => field.IsNullOrMissing(e) || !field.AnyLeaf(e, matcher);
}

internal sealed class FieldNullPredicate(FieldAccessor field) : Predicate
{
    public override bool Evaluate(CloudEvent e) => field.IsNullOrMissing(e);
}

internal sealed class FieldExistsPredicate(FieldAccessor field, bool expected) : Predicate
{
    public override bool Evaluate(CloudEvent e) => field.Exists(e) == expected;
}

internal enum FieldRefMode
{
    Equals,
    Contains,
    StartsWith,
    EndsWith,
}

/// <summary><c>fieldref</c>: compares a field with another field of the same event.</summary>
internal sealed class FieldRefPredicate(FieldAccessor field, FieldAccessor other, FieldRefMode mode, bool caseSensitive, bool negate) : Predicate
{
    public override bool Evaluate(CloudEvent e)
    {
        var reference = other.FirstValue(e);
        if (reference is null)
        {
            return false;
        }

        var comparison = caseSensitive ? StringComparison.Ordinal : StringComparison.OrdinalIgnoreCase;
        ValueMatcher matcher = mode switch
        {
            FieldRefMode.Contains => new ContainsMatcher(reference, comparison),
            FieldRefMode.StartsWith => new StartsWithMatcher(reference, comparison),
            FieldRefMode.EndsWith => new EndsWithMatcher(reference, comparison),
            _ => new EqualsMatcher(reference, comparison),
        };
        return negate ? !field.IsNullOrMissing(e) && !field.AnyLeaf(e, matcher) : field.AnyLeaf(e, matcher);
    }
}

/// <summary>Unfielded keyword search over every string in the native record.</summary>
internal sealed class KeywordPredicate(ValueMatcher matcher) : Predicate
{
    public override NeedleSet? RequiredNeedles(bool beyondOperation = false) => RawNeedles.From(matcher.RequiredLiterals(), paths: []);

    public override bool Evaluate(CloudEvent e) => JsonTraversal.AnyStringAnywhere(e.Raw, matcher);
}
