using System.Globalization;
using System.Net;
using System.Text;

namespace Firebreak.Core.PostMortem.Reports;

/// <summary>
/// One self-contained HTML file: inline CSS, charts as inline SVG, no scripts, no external requests. Every
/// piece of document text goes through <see cref="WebUtility.HtmlEncode"/>.
/// </summary>
public static class HtmlReportRenderer
{
    private const string Css = """
        :root { color-scheme: light; }
        body { font: 14px/1.5 -apple-system, "Segoe UI", Helvetica, Arial, sans-serif; color: #1f2933; margin: 0; background: #fff; }
        main { max-width: 960px; margin: 0 auto; padding: 24px 32px 48px; }
        header.report { border-bottom: 3px solid #1f2933; padding-bottom: 12px; margin-bottom: 16px; }
        header.report h1 { font-size: 24px; margin: 0 0 4px; overflow-wrap: anywhere; }
        .subtitle { color: #616e7c; margin: 0; }
        .marking { background: #1f2933; color: #f0b429; font-weight: 700; padding: 6px 10px; margin: 12px 0 0; }
        h2 { font-size: 18px; border-bottom: 1px solid #d9e2ec; padding-bottom: 4px; margin-top: 28px; }
        h3 { font-size: 15px; margin-top: 18px; }
        p { margin: 8px 0; overflow-wrap: anywhere; }
        .muted { color: #616e7c; font-style: italic; }
        table { border-collapse: collapse; width: 100%; margin: 8px 0 12px; font-size: 13px; }
        th, td { border: 1px solid #d9e2ec; padding: 4px 6px; text-align: left; vertical-align: top; overflow-wrap: anywhere; }
        th { background: #f0f4f8; }
        table.fields th { width: 28%; }
        td.mono { font-family: ui-monospace, Menlo, Consolas, monospace; font-size: 12px; word-break: break-all; }
        figure { margin: 8px 0 16px; }
        figure svg { width: 100%; max-width: 760px; height: auto; display: block; }
        figcaption { color: #616e7c; font-size: 12px; }
        @media print { main { padding: 0; } h2 { break-after: avoid; } tr { break-inside: avoid; } }
        """;

    public static string Render(ReportDocument document)
    {
        var html = new StringBuilder();
        html.Append("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n");
        // No scripts, styles only inline, images only as data: the file must never call out when opened.
        html.Append("<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'; img-src data:\">\n");
        html.Append("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n");
        html.Append("<title>").Append(E(document.Title)).Append("</title>\n<style>\n").Append(Css).Append("\n</style>\n</head>\n<body>\n<main>\n");
        html.Append(Body(document));
        html.Append("</main>\n</body>\n</html>\n");
        return html.ToString();
    }

    /// <summary>The document without the page around it, for embedding.</summary>
    public static string Body(ReportDocument document)
    {
        var html = new StringBuilder();
        html.Append("<header class=\"report\">\n<h1>").Append(E(document.Title)).Append("</h1>\n");
        html.Append("<p class=\"subtitle\">").Append(E(document.Subtitle)).Append("</p>\n");
        html.Append("<p class=\"marking\">").Append(E(document.Marking)).Append("</p>\n</header>\n");
        foreach (var block in document.Blocks)
        {
            switch (block)
            {
                case HeadingBlock h:
                    var level = Math.Clamp(h.Level, 2, 6);
                    html.Append($"<h{level}>").Append(E(h.Text)).Append($"</h{level}>\n");
                    break;
                case ParagraphBlock p:
                    foreach (var paragraph in MarkdownReportRenderer.Paragraphs(p.Text))
                    {
                        html.Append(p.Muted ? "<p class=\"muted\">" : "<p>").Append(string.Join("<br>", paragraph.Select(E))).Append("</p>\n");
                    }
                    break;
                case ListBlock l:
                    html.Append("<ul>\n");
                    foreach (var item in l.Items) html.Append("<li>").Append(E(item)).Append("</li>\n");
                    html.Append("</ul>\n");
                    break;
                case FieldsBlock f:
                    html.Append("<table class=\"fields\">\n");
                    foreach (var (label, value) in f.Fields) html.Append("<tr><th scope=\"row\">").Append(E(label)).Append("</th><td>").Append(E(value)).Append("</td></tr>\n");
                    html.Append("</table>\n");
                    break;
                case TableBlock t when t.Rows.Count == 0:
                    html.Append("<p class=\"muted\">").Append(E(t.Empty)).Append("</p>\n");
                    break;
                case TableBlock t:
                    html.Append("<table>\n<thead><tr>");
                    foreach (var c in t.Columns) html.Append("<th scope=\"col\">").Append(E(c.Header)).Append("</th>");
                    html.Append("</tr></thead>\n<tbody>\n");
                    foreach (var row in t.Rows)
                    {
                        html.Append("<tr>");
                        for (var i = 0; i < row.Count; i++)
                        {
                            html.Append(i < t.Columns.Count && t.Columns[i].Monospace ? "<td class=\"mono\">" : "<td>").Append(E(row[i])).Append("</td>");
                        }
                        html.Append("</tr>\n");
                    }
                    html.Append("</tbody>\n</table>\n");
                    break;
                case FigureBlock fig:
                    html.Append("<figure>\n").Append(Svg(fig.Figure)).Append("<figcaption>").Append(E(fig.Figure.Title)).Append("</figcaption>\n</figure>\n");
                    break;
            }
        }
        return html.ToString();
    }

    /// <summary>The figure as an inline SVG element, drawn on the server.</summary>
    public static string Svg(Figure figure)
    {
        var svg = new StringBuilder();
        svg.Append(CultureInfo.InvariantCulture, $"<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {N(figure.Width)} {N(figure.Height)}\" role=\"img\" aria-label=\"{E(figure.Title)}\" font-family=\"Helvetica, Arial, sans-serif\">\n");
        foreach (var shape in figure.Shapes)
        {
            switch (shape)
            {
                case RectShape r:
                    svg.Append($"<rect x=\"{N(r.X)}\" y=\"{N(r.Y)}\" width=\"{N(r.Width)}\" height=\"{N(r.Height)}\" fill=\"{Color(r.Fill)}\"/>\n");
                    break;
                case LineShape l:
                    svg.Append($"<line x1=\"{N(l.X1)}\" y1=\"{N(l.Y1)}\" x2=\"{N(l.X2)}\" y2=\"{N(l.Y2)}\" stroke=\"{Color(l.Stroke)}\" stroke-width=\"{N(l.StrokeWidth)}\"")
                        .Append(l.Dashed ? " stroke-dasharray=\"3 2\"/>\n" : "/>\n");
                    break;
                case CircleShape c:
                    svg.Append($"<circle cx=\"{N(c.Cx)}\" cy=\"{N(c.Cy)}\" r=\"{N(c.R)}\" fill=\"{Color(c.Fill)}\" fill-opacity=\"0.85\"/>\n");
                    break;
                case TextShape t:
                    var anchor = t.Anchor switch { TextAnchor.Middle => "middle", TextAnchor.End => "end", _ => "start" };
                    svg.Append($"<text x=\"{N(t.X)}\" y=\"{N(t.Y)}\" font-size=\"{N(t.Size)}\" fill=\"{Color(t.Fill)}\" text-anchor=\"{anchor}\"")
                        .Append(t.Bold ? " font-weight=\"bold\">" : ">").Append(E(t.Text)).Append("</text>\n");
                    break;
            }
        }
        svg.Append("</svg>\n");
        return svg.ToString();
    }

    private static string E(string text) => WebUtility.HtmlEncode(text);

    private static string N(double value) => Math.Round(value, 2).ToString(CultureInfo.InvariantCulture);

    /// <summary>Colours come from the chart code, but only #rrggbb ever reaches an attribute.</summary>
    private static string Color(string color) =>
        color.Length == 7 && color[0] == '#' && color.Skip(1).All(char.IsAsciiHexDigit) ? color : "#000000";
}
