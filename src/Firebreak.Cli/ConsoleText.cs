using Spectre.Console;

namespace Firebreak.Cli;

/// <summary>
/// Lines whose text comes from outside (a log, a rule file, a server's answer) drawn as written. Spectre's markup
/// escapes brackets but still turns <c>:name:</c> into an emoji, so a user agent or a rule title holding
/// <c>:fire:</c> would show a value the log does not hold: such text goes out as <see cref="Text"/>, never as markup.
/// </summary>
internal static class ConsoleText
{
    /// <summary>One line of parts, each drawn as written in its style (plain when none).</summary>
    public static void Line(this IAnsiConsole console, params ReadOnlySpan<(string Text, Style? Style)> parts)
    {
        var line = new Paragraph();
        foreach (var (text, style) in parts)
        {
            line.Append(text, style ?? Style.Plain);
        }

        console.Write(line);
        console.WriteLine();
    }

    /// <summary>A table cell drawn as written.</summary>
    public static Text Cell(string text, Style? style = null) => new(text, style ?? Style.Plain);

    public static readonly Style Warning = new(Color.Yellow);

    public static readonly Style Error = new(Color.Red);
}
