namespace Firebreak.Core.PostMortem.Reports.Pdf;

/// <summary>
/// The standard Type 1 fonts every PDF reader carries (nothing embedded), with their Adobe font metrics
/// for the printable ASCII range so text can be measured and wrapped. Text is WinAnsi-encoded: characters
/// outside that code page print as "?".
/// </summary>
public sealed class PdfFont
{
    private static readonly short[] HelveticaWidths =
    [
        278, 278, 355, 556, 556, 889, 667, 191, 333, 333, 389, 584, 278, 333, 278, 278, // space to /
        556, 556, 556, 556, 556, 556, 556, 556, 556, 556, 278, 278, 584, 584, 584, 556, // 0 to ?
        1015, 667, 667, 722, 722, 667, 611, 778, 722, 278, 500, 667, 556, 833, 722, 778, // @ to O
        667, 778, 722, 667, 611, 722, 667, 944, 667, 667, 611, 278, 278, 278, 469, 556, // P to _
        333, 556, 556, 500, 556, 556, 278, 556, 556, 222, 222, 500, 222, 833, 556, 556, // ` to o
        556, 556, 333, 500, 278, 556, 500, 722, 500, 500, 500, 334, 260, 334, 584, // p to ~
    ];

    private static readonly short[] HelveticaBoldWidths =
    [
        278, 333, 474, 556, 556, 889, 722, 238, 333, 333, 389, 584, 278, 333, 278, 278,
        556, 556, 556, 556, 556, 556, 556, 556, 556, 556, 333, 333, 584, 584, 584, 611,
        975, 722, 722, 722, 722, 667, 611, 778, 722, 278, 556, 722, 611, 833, 722, 778,
        667, 778, 722, 667, 611, 722, 667, 944, 667, 667, 611, 333, 278, 333, 584, 556,
        333, 556, 611, 556, 611, 556, 333, 611, 611, 278, 278, 556, 278, 889, 611, 611,
        611, 611, 389, 556, 333, 611, 556, 778, 556, 556, 500, 389, 280, 389, 584,
    ];

    public static readonly PdfFont Helvetica = new("F1", "Helvetica", HelveticaWidths);
    public static readonly PdfFont HelveticaBold = new("F2", "Helvetica-Bold", HelveticaBoldWidths);
    public static readonly PdfFont HelveticaOblique = new("F3", "Helvetica-Oblique", HelveticaWidths);
    public static readonly PdfFont Courier = new("F4", "Courier", null);

    public static readonly IReadOnlyList<PdfFont> All = [Helvetica, HelveticaBold, HelveticaOblique, Courier];

    private readonly short[]? _widths;

    private PdfFont(string resourceName, string baseFont, short[]? widths)
    {
        ResourceName = resourceName;
        BaseFont = baseFont;
        _widths = widths;
    }

    /// <summary>The name in the page resources, /F1.</summary>
    public string ResourceName { get; }
    public string BaseFont { get; }

    /// <summary>Width of the text in points at the given size.</summary>
    public double Measure(string text, double size)
    {
        var units = 0;
        foreach (var c in text) units += Width(WinAnsi.Encode(c));
        return units * size / 1000.0;
    }

    private int Width(byte code)
    {
        if (_widths is null) return 600;
        if (code is >= 32 and <= 126) return _widths[code - 32];
        return code switch
        {
            0x95 => 350,
            0x97 or 0x85 or 0x89 => 1000,
            0xB7 => 278,
            0x91 or 0x92 or 0x82 => 222,
            0x93 or 0x94 or 0x84 => 333,
            0xA0 => 278,
            _ => 611,
        };
    }
}

/// <summary>Windows-1252 as the PDF WinAnsiEncoding: Latin-1 plus the typographic characters at 0x80–0x9F.</summary>
public static class WinAnsi
{
    private static readonly Dictionary<char, byte> High = new()
    {
        ['€'] = 0x80, ['‚'] = 0x82, ['ƒ'] = 0x83, ['„'] = 0x84, ['…'] = 0x85, ['†'] = 0x86, ['‡'] = 0x87, ['ˆ'] = 0x88,
        ['‰'] = 0x89, ['Š'] = 0x8A, ['‹'] = 0x8B, ['Œ'] = 0x8C, ['Ž'] = 0x8E, ['‘'] = 0x91, ['’'] = 0x92, ['“'] = 0x93,
        ['”'] = 0x94, ['•'] = 0x95, ['–'] = 0x96, ['—'] = 0x97, ['˜'] = 0x98, ['™'] = 0x99, ['š'] = 0x9A, ['›'] = 0x9B,
        ['œ'] = 0x9C, ['ž'] = 0x9E, ['Ÿ'] = 0x9F,
    };

    /// <summary>The byte for a character; "?" when the code page has none, a space for control characters.</summary>
    public static byte Encode(char c)
    {
        if (c is >= ' ' and <= '~') return (byte)c;
        if (c is >= '\u00A0' and <= '\u00FF') return (byte)c;
        if (High.TryGetValue(c, out var b)) return b;
        return char.IsControl(c) || char.IsWhiteSpace(c) ? (byte)' ' : (byte)'?';
    }
}
