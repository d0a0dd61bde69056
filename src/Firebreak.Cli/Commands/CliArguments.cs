using System.CommandLine;

namespace Firebreak.Cli.Commands;

/// <summary>Arguments and options several commands share, so that they read the same in every command's help.</summary>
internal static class CliArguments
{
    /// <summary>An incident, by reference or id; <paramref name="name"/> is what help shows for it.</summary>
    public static Argument<string> Incident(string name = "ref") => new(name) { Description = "Incident reference (e.g. INC-2026-0042) or id." };

    /// <summary>
    /// Limits <paramref name="option"/> to <paramref name="values"/>, in any case (<c>--min-level HIGH</c>, as typed in a hurry),
    /// and gives the value as <paramref name="values"/> spell it.
    /// </summary>
    public static void OneOf<T>(this Option<T> option, params string[] values)
        where T : class?
    {
        option.AcceptOnlyFromAmong(StringComparer.OrdinalIgnoreCase, values);
        option.CustomParser = result => result.Tokens is [var token]
            ? (T)(object)(Array.Find(values, value => value.Equals(token.Value, StringComparison.OrdinalIgnoreCase)) ?? token.Value)
            : option.DefaultValueFactory is { } defaultValue ? defaultValue(result) : default!;
    }

    /// <summary><c>--input name=value</c>, repeatable; <paramref name="what"/> says whose input it is ("A playbook").</summary>
    public static Option<string[]> Inputs(string what) =>
        new("--input") { Description = $"{what} input as name=value; repeat for several.", HelpName = "NAME=VALUE", Arity = ArgumentArity.OneOrMore };

    /// <summary>The pairs given with <see cref="Inputs"/>, the last value of a name winning; a pair without a name is a usage error.</summary>
    public static Dictionary<string, string> InputValues(ParseResult parseResult, Option<string[]> inputs)
    {
        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var pair in parseResult.GetValue(inputs) ?? [])
        {
            var at = pair.IndexOf('=');
            if (at <= 0) throw new CliException(ExitCodes.Usage, $"--input '{pair}' must be name=value.");
            values[pair[..at]] = pair[(at + 1)..];
        }

        return values;
    }
}
