namespace Firebreak.Core.PostMortem.Reports.Pdf;

/// <summary>
/// Lays a <see cref="ReportDocument"/> out on A4 pages: wrapped text, headings kept with what follows,
/// tables whose header repeats on each page, the figures drawn as vector graphics, and the TLP marking and
/// page numbers on every page.
/// </summary>
public sealed class PdfReportRenderer
{
    private const double Left = 50, Top = 64, Bottom = 60;
    private const double ContentWidth = ReportCharts.Width;
    private const string Ink = "#1f2933", Muted = "#616e7c", Rule = "#d9e2ec", HeaderFill = "#f0f4f8", MarkingFill = "#1f2933", MarkingInk = "#f0b429";

    private readonly PdfWriter _pdf = new();
    private readonly ReportDocument _document;
    private PdfPage _page = null!;
    private double _y;

    private PdfReportRenderer(ReportDocument document) => _document = document;

    private double PageBottom => _pdf.PageHeight - Bottom;

    public static byte[] Render(ReportDocument document, DateTimeOffset createdAt)
    {
        var renderer = new PdfReportRenderer(document);
        renderer.Lay();
        return renderer._pdf.Build(document.Title, "Firebreak", createdAt);
    }

    private void Lay()
    {
        NewPage();
        foreach (var line in Wrap(_document.Title, PdfFont.HelveticaBold, 18, ContentWidth)) WriteLine(line, PdfFont.HelveticaBold, 18, Ink, 22);
        foreach (var line in Wrap(_document.Subtitle, PdfFont.Helvetica, 10, ContentWidth)) WriteLine(line, PdfFont.Helvetica, 10, Muted, 14);
        _y += 6;
        var marking = Wrap(_document.Marking, PdfFont.HelveticaBold, 9.5, ContentWidth - 16);
        var boxHeight = marking.Count * 12.5 + 10;
        _page.Rect(Left, _y, ContentWidth, boxHeight, MarkingFill);
        var y = _y + 5;
        foreach (var line in marking)
        {
            y += 12.5;
            _page.Text(Left + 8, y - 3, line, PdfFont.HelveticaBold, 9.5, MarkingInk);
        }
        _y += boxHeight + 14;

        for (var i = 0; i < _document.Blocks.Count; i++)
        {
            switch (_document.Blocks[i])
            {
                case HeadingBlock h: Heading(h); break;
                case ParagraphBlock p: Paragraph(p); break;
                case ListBlock l: List(l); break;
                case FieldsBlock f: Table([new Column("", 1.2), new Column("", 3)], f.Fields.Select(x => (IReadOnlyList<string>)[x.Label, x.Value]).ToList(), header: false, boldFirst: true); break;
                case TableBlock t when t.Rows.Count == 0: Paragraph(new ParagraphBlock(t.Empty, Muted: true)); break;
                case TableBlock t: Table(t.Columns, t.Rows, header: true, boldFirst: false); break;
                case FigureBlock fig: Figure(fig.Figure); break;
            }
        }
        Decorate();
    }

    private void NewPage()
    {
        _page = _pdf.AddPage();
        _y = Top;
    }

    private void Ensure(double height)
    {
        if (_y + height > PageBottom) NewPage();
    }

    /// <summary>The running header (title and marking) and footer (page x of n), added once the page count is known.</summary>
    private void Decorate()
    {
        var pages = _pdf.Pages;
        var marking = _document.Marking.Split(' ')[0];
        for (var i = 0; i < pages.Count; i++)
        {
            var page = pages[i];
            var head = Fit(_document.Title, PdfFont.Helvetica, 8, ContentWidth - 110);
            page.Text(Left, 36, head, PdfFont.Helvetica, 8, Muted);
            page.Text(Left + ContentWidth - PdfFont.HelveticaBold.Measure(marking, 8), 36, marking, PdfFont.HelveticaBold, 8, Ink);
            page.Line(Left, 42, Left + ContentWidth, 42, Rule, 0.5);
            var footer = $"Page {i + 1} of {pages.Count}";
            page.Line(Left, _pdf.PageHeight - 44, Left + ContentWidth, _pdf.PageHeight - 44, Rule, 0.5);
            page.Text(Left, _pdf.PageHeight - 32, Fit(_document.Subtitle, PdfFont.Helvetica, 8, ContentWidth - 90), PdfFont.Helvetica, 8, Muted);
            page.Text(Left + ContentWidth - PdfFont.Helvetica.Measure(footer, 8), _pdf.PageHeight - 32, footer, PdfFont.Helvetica, 8, Muted);
        }
    }

    private void Heading(HeadingBlock h)
    {
        var size = h.Level <= 2 ? 14 : 11.5;
        var lines = Wrap(h.Text, PdfFont.HelveticaBold, size, ContentWidth);
        // Keep the heading with at least a few lines of what follows.
        _y += h.Level <= 2 ? 10 : 6;
        Ensure(lines.Count * (size + 4) + 48);
        foreach (var line in lines) WriteLine(line, PdfFont.HelveticaBold, size, Ink, size + 4);
        if (h.Level <= 2)
        {
            _page.Line(Left, _y + 1, Left + ContentWidth, _y + 1, Rule, 0.75);
            _y += 7;
        }
        else
        {
            _y += 3;
        }
    }

    private void Paragraph(ParagraphBlock p)
    {
        var font = p.Muted ? PdfFont.HelveticaOblique : PdfFont.Helvetica;
        foreach (var paragraph in MarkdownReportRenderer.Paragraphs(p.Text))
        {
            foreach (var source in paragraph)
            {
                foreach (var line in Wrap(source, font, 10, ContentWidth)) WriteLine(line, font, 10, p.Muted ? Muted : Ink, 13.5);
            }
            _y += 5;
        }
    }

    private void List(ListBlock l)
    {
        foreach (var item in l.Items)
        {
            var lines = Wrap(item, PdfFont.Helvetica, 10, ContentWidth - 14);
            for (var i = 0; i < lines.Count; i++)
            {
                Ensure(13.5);
                _y += 13.5;
                if (i == 0) _page.Text(Left + 3, _y - 3, "\u2022", PdfFont.Helvetica, 10, Ink);
                _page.Text(Left + 14, _y - 3, lines[i], PdfFont.Helvetica, 10, Ink);
            }
        }
        _y += 5;
    }

    private void WriteLine(string line, PdfFont font, double size, string color, double leading)
    {
        Ensure(leading);
        _y += leading;
        _page.Text(Left, _y - leading * 0.25, line, font, size, color);
    }

    private void Table(IReadOnlyList<Column> columns, IReadOnlyList<IReadOnlyList<string>> rows, bool header, bool boldFirst)
    {
        const double pad = 3, size = 8.5, monoSize = 7.5, leading = 10.5;
        var total = columns.Sum(c => c.Weight);
        var widths = columns.Select(c => ContentWidth * c.Weight / total).ToList();

        List<string>[] Cells(IReadOnlyList<string> row, bool bold) => columns.Select((c, i) =>
        {
            var font = FontOf(c, bold || (boldFirst && i == 0));
            return Wrap(i < row.Count ? row[i] : "", font, c.Monospace ? monoSize : size, widths[i] - 2 * pad);
        }).ToArray();

        void DrawRow(List<string>[] cells, bool isHeader, bool bold)
        {
            var height = cells.Max(c => Math.Max(c.Count, 1)) * leading + 2 * pad;
            var x = Left;
            if (isHeader) _page.Rect(Left, _y, ContentWidth, height, HeaderFill);
            for (var i = 0; i < columns.Count; i++)
            {
                _page.StrokeRect(x, _y, widths[i], height, Rule, 0.5);
                var font = FontOf(columns[i], bold || (boldFirst && i == 0));
                var fontSize = columns[i].Monospace && !isHeader ? monoSize : size;
                var lineY = _y + pad;
                foreach (var line in cells[i])
                {
                    lineY += leading;
                    _page.Text(x + pad, lineY - 2.5, line, font, fontSize, Ink);
                }
                x += widths[i];
            }
            _y += height;
        }

        var headerCells = header ? columns.Select((c, i) => Wrap(c.Header, PdfFont.HelveticaBold, size, widths[i] - 2 * pad)).ToArray() : null;
        double HeaderHeight() => headerCells is null ? 0 : headerCells.Max(c => Math.Max(c.Count, 1)) * leading + 2 * pad;
        var maxRowHeight = PageBottom - Top - HeaderHeight() - 2 * pad;
        Ensure(HeaderHeight() + leading * 2 + 2 * pad);
        if (headerCells is not null) DrawRow(headerCells, isHeader: true, bold: true);
        foreach (var row in rows)
        {
            var cells = Cells(row, bold: false);
            // A cell longer than a page is cut, with a mark, rather than running off the page.
            var maxLines = (int)(maxRowHeight / leading);
            foreach (var cell in cells.Where(c => c.Count > maxLines))
            {
                cell.RemoveRange(maxLines - 1, cell.Count - maxLines + 1);
                cell.Add("[…]");
            }
            var height = cells.Max(c => Math.Max(c.Count, 1)) * leading + 2 * pad;
            if (_y + height > PageBottom)
            {
                NewPage();
                if (headerCells is not null) DrawRow(headerCells, isHeader: true, bold: true);
            }
            DrawRow(cells, isHeader: false, bold: false);
        }
        _y += 8;
    }

    private static PdfFont FontOf(Column column, bool bold) =>
        bold ? PdfFont.HelveticaBold : column.Monospace ? PdfFont.Courier : PdfFont.Helvetica;

    private void Figure(Figure figure)
    {
        Ensure(figure.Height + 18);
        var x0 = Left;
        var y0 = _y;
        foreach (var shape in figure.Shapes)
        {
            switch (shape)
            {
                case RectShape r: _page.Rect(x0 + r.X, y0 + r.Y, r.Width, r.Height, r.Fill); break;
                case LineShape l: _page.Line(x0 + l.X1, y0 + l.Y1, x0 + l.X2, y0 + l.Y2, l.Stroke, l.StrokeWidth, l.Dashed); break;
                case CircleShape c: _page.Circle(x0 + c.Cx, y0 + c.Cy, c.R, c.Fill); break;
                case TextShape t:
                    var font = t.Bold ? PdfFont.HelveticaBold : PdfFont.Helvetica;
                    var width = font.Measure(t.Text, t.Size);
                    var x = t.Anchor switch { TextAnchor.Middle => t.X - width / 2, TextAnchor.End => t.X - width, _ => t.X };
                    _page.Text(x0 + x, y0 + t.Y, t.Text, font, t.Size, t.Fill);
                    break;
            }
        }
        _y += figure.Height + 4;
        _page.Text(Left, _y + 8, figure.Title, PdfFont.HelveticaOblique, 8, Muted);
        _y += 16;
    }

    /// <summary>Greedy word wrap; a word wider than the line (a hash, a URL) is broken between characters.</summary>
    public static List<string> Wrap(string text, PdfFont font, double size, double width)
    {
        var lines = new List<string>();
        var current = "";
        foreach (var word in text.Replace('\n', ' ').Replace('\r', ' ').Replace('\t', ' ').Split(' ', StringSplitOptions.RemoveEmptyEntries))
        {
            var candidate = current.Length == 0 ? word : current + " " + word;
            if (font.Measure(candidate, size) <= width)
            {
                current = candidate;
                continue;
            }
            if (current.Length > 0) lines.Add(current);
            current = "";
            var rest = word;
            while (font.Measure(rest, size) > width)
            {
                var take = 1;
                while (take < rest.Length && font.Measure(rest[..(take + 1)], size) <= width) take++;
                lines.Add(rest[..take]);
                rest = rest[take..];
            }
            current = rest;
        }
        if (current.Length > 0 || lines.Count == 0) lines.Add(current);
        return lines;
    }

    /// <summary>The text cut to one line, with an ellipsis when it had to be cut.</summary>
    private static string Fit(string text, PdfFont font, double size, double width)
    {
        var line = Wrap(text, font, size, width)[0];
        if (line.Length >= text.Trim().Length) return line;
        while (line.Length > 0 && font.Measure(line + "…", size) > width) line = line[..^1];
        return line + "…";
    }
}
