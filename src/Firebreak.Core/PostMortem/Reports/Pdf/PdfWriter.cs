using System.Globalization;
using System.Text;

namespace Firebreak.Core.PostMortem.Reports.Pdf;

/// <summary>
/// A minimal PDF 1.4 writer: pages of vector graphics and text in the standard fonts, uncompressed content
/// streams, a classic cross-reference table. Enough for a report, small enough to read in one sitting.
/// </summary>
public sealed class PdfWriter(double pageWidth = PdfWriter.A4Width, double pageHeight = PdfWriter.A4Height)
{
    public const double A4Width = 595.28;
    public const double A4Height = 841.89;

    private readonly List<PdfPage> _pages = [];

    public double PageWidth => pageWidth;
    public double PageHeight => pageHeight;
    public IReadOnlyList<PdfPage> Pages => _pages;

    public PdfPage AddPage()
    {
        var page = new PdfPage(pageHeight);
        _pages.Add(page);
        return page;
    }

    /// <summary>The whole file. Objects: 1 catalog, 2 page tree, 3 info, 4.. fonts, then a page and its content per page.</summary>
    public byte[] Build(string title, string producer, DateTimeOffset createdAt)
    {
        if (_pages.Count == 0) AddPage();
        var output = new MemoryStream();
        var offsets = new List<long>();
        void Write(string ascii) => output.Write(Encoding.ASCII.GetBytes(ascii));
        void Object(string body)
        {
            offsets.Add(output.Position);
            Write($"{offsets.Count} 0 obj\n{body}\nendobj\n");
        }

        Write("%PDF-1.4\n");
        // A comment of high bytes so tools treat the file as binary.
        output.Write([(byte)'%', 0xE2, 0xE3, 0xCF, 0xD3, (byte)'\n']);

        var fontFirst = 4;
        var pageFirst = fontFirst + PdfFont.All.Count;
        var kids = string.Join(' ', Enumerable.Range(0, _pages.Count).Select(i => $"{pageFirst + 2 * i} 0 R"));
        var fonts = string.Join(' ', PdfFont.All.Select((f, i) => $"/{f.ResourceName} {fontFirst + i} 0 R"));

        Object("<< /Type /Catalog /Pages 2 0 R >>");
        Object($"<< /Type /Pages /Kids [{kids}] /Count {_pages.Count} >>");
        Object($"<< /Title {PdfText.Literal(title)} /Producer {PdfText.Literal(producer)} /CreationDate {PdfText.Literal(PdfDate(createdAt))} >>");
        foreach (var font in PdfFont.All)
        {
            Object($"<< /Type /Font /Subtype /Type1 /BaseFont /{font.BaseFont} /Encoding /WinAnsiEncoding >>");
        }
        var size = $"{N(pageWidth)} {N(pageHeight)}";
        for (var i = 0; i < _pages.Count; i++)
        {
            var content = _pages[i].Content;
            Object($"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 {size}] /Resources << /Font << {fonts} >> >> /Contents {pageFirst + 2 * i + 1} 0 R >>");
            Object($"<< /Length {Encoding.ASCII.GetByteCount(content)} >>\nstream\n{content}\nendstream");
        }

        var xref = output.Position;
        var table = new StringBuilder();
        table.Append(CultureInfo.InvariantCulture, $"xref\n0 {offsets.Count + 1}\n0000000000 65535 f \n");
        foreach (var offset in offsets) table.Append(offset.ToString("D10", CultureInfo.InvariantCulture)).Append(" 00000 n \n");
        table.Append(CultureInfo.InvariantCulture, $"trailer\n<< /Size {offsets.Count + 1} /Root 1 0 R /Info 3 0 R >>\nstartxref\n{xref}\n%%EOF\n");
        Write(table.ToString());
        return output.ToArray();
    }

    private static string PdfDate(DateTimeOffset at) => "D:" + at.UtcDateTime.ToString("yyyyMMddHHmmss", CultureInfo.InvariantCulture) + "Z";

    internal static string N(double value) => Math.Round(value, 2).ToString("0.##", CultureInfo.InvariantCulture);
}

/// <summary>One page's content stream. Coordinates given to it are top-down (y from the top edge), like the layout's.</summary>
public sealed class PdfPage(double pageHeight)
{
    private readonly StringBuilder _content = new();

    public string Content => _content.ToString();

    private double Y(double top) => pageHeight - top;

    /// <summary>Text with its baseline at <paramref name="top"/>.</summary>
    public void Text(double x, double top, string text, PdfFont font, double size, string color = "#000000")
    {
        if (text.Length == 0) return;
        _content.Append("BT ").Append(Rgb(color, fill: true)).Append(' ')
            .Append('/').Append(font.ResourceName).Append(' ').Append(N(size)).Append(" Tf ")
            .Append(N(x)).Append(' ').Append(N(Y(top))).Append(" Td ")
            .Append(PdfText.Literal(text)).Append(" Tj ET\n");
    }

    public void Rect(double x, double top, double width, double height, string fill)
    {
        _content.Append(Rgb(fill, fill: true)).Append(' ')
            .Append(N(x)).Append(' ').Append(N(Y(top + height))).Append(' ').Append(N(width)).Append(' ').Append(N(height)).Append(" re f\n");
    }

    public void StrokeRect(double x, double top, double width, double height, string stroke, double lineWidth)
    {
        _content.Append(Rgb(stroke, fill: false)).Append(' ').Append(N(lineWidth)).Append(" w ")
            .Append(N(x)).Append(' ').Append(N(Y(top + height))).Append(' ').Append(N(width)).Append(' ').Append(N(height)).Append(" re S\n");
    }

    public void Line(double x1, double top1, double x2, double top2, string stroke, double lineWidth, bool dashed = false)
    {
        _content.Append(Rgb(stroke, fill: false)).Append(' ').Append(N(lineWidth)).Append(" w ")
            .Append(dashed ? "[3 2] 0 d " : "")
            .Append(N(x1)).Append(' ').Append(N(Y(top1))).Append(" m ").Append(N(x2)).Append(' ').Append(N(Y(top2))).Append(" l S")
            .Append(dashed ? " [] 0 d\n" : "\n");
    }

    /// <summary>A filled circle from four Bézier arcs.</summary>
    public void Circle(double cx, double ctop, double r, string fill)
    {
        const double k = 0.5523;
        var cy = Y(ctop);
        var c = _content.Append(Rgb(fill, fill: true)).Append(' ');
        c.Append(N(cx + r)).Append(' ').Append(N(cy)).Append(" m ");
        Curve(cx + r, cy + k * r, cx + k * r, cy + r, cx, cy + r);
        Curve(cx - k * r, cy + r, cx - r, cy + k * r, cx - r, cy);
        Curve(cx - r, cy - k * r, cx - k * r, cy - r, cx, cy - r);
        Curve(cx + k * r, cy - r, cx + r, cy - k * r, cx + r, cy);
        c.Append("f\n");
    }

    private void Curve(double x1, double y1, double x2, double y2, double x3, double y3) =>
        _content.Append(N(x1)).Append(' ').Append(N(y1)).Append(' ').Append(N(x2)).Append(' ').Append(N(y2)).Append(' ')
            .Append(N(x3)).Append(' ').Append(N(y3)).Append(" c ");

    private static string Rgb(string color, bool fill)
    {
        var ok = color.Length == 7 && color[0] == '#' && color.Skip(1).All(char.IsAsciiHexDigit);
        double Part(int i) => ok ? Convert.ToInt32(color.Substring(i, 2), 16) / 255.0 : 0;
        return $"{N(Part(1))} {N(Part(3))} {N(Part(5))} {(fill ? "rg" : "RG")}";
    }

    private static string N(double value) => PdfWriter.N(value);
}

public static class PdfText
{
    /// <summary>
    /// A PDF literal string in WinAnsi: backslash, parentheses and every byte outside printable ASCII are
    /// escaped, so no user text can close the string and inject operators, and the file stays ASCII.
    /// </summary>
    public static string Literal(string text)
    {
        var sb = new StringBuilder(text.Length + 2).Append('(');
        foreach (var c in text)
        {
            var b = WinAnsi.Encode(c);
            switch (b)
            {
                case (byte)'(' or (byte)')' or (byte)'\\':
                    sb.Append('\\').Append((char)b);
                    break;
                case >= 32 and <= 126:
                    sb.Append((char)b);
                    break;
                default:
                    sb.Append('\\').Append(Convert.ToString(b, 8).PadLeft(3, '0'));
                    break;
            }
        }
        return sb.Append(')').ToString();
    }
}
