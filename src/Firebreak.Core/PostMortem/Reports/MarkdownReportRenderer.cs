using System.Text;

namespace Firebreak.Core.PostMortem.Reports;

/// <summary>
/// CommonMark (with GitHub tables). Every piece of document text is escaped, so a title such as
/// "# [x](javascript:...) &lt;script&gt;" prints as those characters and never becomes markup. Figures are
/// not drawn in Markdown; the HTML and PDF carry them.
/// </summary>
public static class MarkdownReportRenderer
{
    public static string Render(ReportDocument document)
    {
        var md = new StringBuilder();
        md.Append("# ").Append(Inline(document.Title)).Append("\n\n");
        md.Append('*').Append(Inline(document.Subtitle)).Append("*\n\n");
        md.Append("> **").Append(Inline(document.Marking)).Append("**\n\n");
        foreach (var block in document.Blocks)
        {
            switch (block)
            {
                case HeadingBlock h:
                    md.Append('#', Math.Clamp(h.Level, 1, 6)).Append(' ').Append(Inline(h.Text)).Append("\n\n");
                    break;
                case ParagraphBlock p:
                    foreach (var paragraph in Paragraphs(p.Text))
                    {
                        var text = string.Join("  \n", paragraph.Select(Inline));
                        md.Append(p.Muted ? $"*{text}*" : text).Append("\n\n");
                    }
                    break;
                case ListBlock l:
                    foreach (var item in l.Items) md.Append("- ").Append(Inline(item)).Append('\n');
                    md.Append('\n');
                    break;
                case FieldsBlock f:
                    md.Append("| | |\n| --- | --- |\n");
                    foreach (var (label, value) in f.Fields) md.Append("| **").Append(Cell(label)).Append("** | ").Append(Cell(value)).Append(" |\n");
                    md.Append('\n');
                    break;
                case TableBlock t when t.Rows.Count == 0:
                    md.Append('*').Append(Inline(t.Empty)).Append("*\n\n");
                    break;
                case TableBlock t:
                    md.Append("| ").Append(string.Join(" | ", t.Columns.Select(c => Cell(c.Header)))).Append(" |\n");
                    md.Append('|').Append(string.Concat(t.Columns.Select(_ => " --- |"))).Append('\n');
                    foreach (var row in t.Rows)
                    {
                        md.Append("| ").Append(string.Join(" | ", row.Select((cell, i) => i < t.Columns.Count && t.Columns[i].Monospace && IsPlainCode(cell) ? $"`{cell}`" : Cell(cell)))).Append(" |\n");
                    }
                    md.Append('\n');
                    break;
                case FigureBlock:
                    break;
            }
        }
        return md.ToString();
    }

    /// <summary>
    /// Escapes what could start markup inside a line (emphasis, code, links, autolinks, raw HTML, entities,
    /// table cells), and what would start a block at the beginning of a line (a heading, list, quote or
    /// numbered item). Line breaks are folded into spaces.
    /// </summary>
    public static string Inline(string text)
    {
        var sb = new StringBuilder(text.Length + 8);
        foreach (var c in text)
        {
            if (c is '\r' or '\n' or '\t') sb.Append(' ');
            else if (char.IsControl(c)) continue;
            else if (c is '\\' or '`' or '*' or '_' or '[' or ']' or '<' or '>' or '&' or '|' or '~' or '!') sb.Append('\\').Append(c);
            else sb.Append(c);
        }
        // Leading spaces would make an indented code block; trailing ones a hard break.
        var line = sb.ToString().Trim();
        if (line.Length > 0 && line[0] is '#' or '-' or '+' or '=' or '>') return "\\" + line;
        var digits = 0;
        while (digits < line.Length && char.IsAsciiDigit(line[digits])) digits++;
        return digits > 0 && digits < line.Length && line[digits] is '.' or ')' ? line[..digits] + "\\" + line[digits..] : line;
    }

    private static string Cell(string text) => Inline(text);

    private static bool IsPlainCode(string text) => text.Length > 0 && text.All(char.IsAsciiLetterOrDigit);

    /// <summary>User text split into paragraphs (at blank lines) of lines.</summary>
    internal static IEnumerable<IReadOnlyList<string>> Paragraphs(string text)
    {
        var current = new List<string>();
        foreach (var line in text.Replace("\r\n", "\n").Split('\n'))
        {
            if (line.Trim().Length == 0)
            {
                if (current.Count > 0) yield return current;
                current = [];
            }
            else
            {
                current.Add(line.Trim());
            }
        }
        if (current.Count > 0) yield return current;
    }
}

/// <summary>Plain text, for a chat message or an email body.</summary>
public static class TextReportRenderer
{
    public static string Render(ReportDocument document)
    {
        var text = new StringBuilder();
        text.Append(Clean(document.Title).ToUpperInvariant()).Append('\n').Append(Clean(document.Subtitle)).Append('\n').Append(Clean(document.Marking)).Append("\n\n");
        foreach (var block in document.Blocks)
        {
            switch (block)
            {
                case HeadingBlock h:
                    text.Append(Clean(h.Text)).Append('\n').Append(new string(h.Level <= 2 ? '=' : '-', Clean(h.Text).Length)).Append('\n');
                    break;
                case ParagraphBlock p:
                    foreach (var paragraph in MarkdownReportRenderer.Paragraphs(p.Text)) text.Append(string.Join('\n', paragraph.Select(Clean))).Append("\n\n");
                    break;
                case ListBlock l:
                    foreach (var item in l.Items) text.Append("- ").Append(Clean(item)).Append('\n');
                    text.Append('\n');
                    break;
                case FieldsBlock f:
                    var width = f.Fields.Max(x => x.Label.Length) + 1;
                    foreach (var (label, value) in f.Fields) text.Append((Clean(label) + ":").PadRight(width + 1)).Append(Clean(value)).Append('\n');
                    text.Append('\n');
                    break;
                case TableBlock t when t.Rows.Count == 0:
                    text.Append(Clean(t.Empty)).Append("\n\n");
                    break;
                case TableBlock t:
                    foreach (var row in t.Rows) text.Append("- ").Append(string.Join(" | ", row.Select(Clean).Where(c => c.Length > 0))).Append('\n');
                    text.Append('\n');
                    break;
            }
        }
        return text.ToString();
    }

    /// <summary>No control characters (a terminal escape sequence in a title must not reach the reader's terminal).</summary>
    private static string Clean(string text) => new(text.Select(c => c is '\n' or '\r' or '\t' ? ' ' : c).Where(c => !char.IsControl(c)).ToArray());
}
