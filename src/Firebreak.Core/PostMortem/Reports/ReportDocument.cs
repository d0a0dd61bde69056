namespace Firebreak.Core.PostMortem.Reports;

/// <summary>
/// A report as a sequence of blocks, independent of the output format. The incident report and the status
/// update are each built once into a document; the Markdown, HTML, PDF and text renderers only lay blocks
/// out. All text in a document is plain text: each renderer escapes it for its own format.
/// </summary>
public sealed record ReportDocument(string Title, string Subtitle, string Marking, IReadOnlyList<Block> Blocks);

public abstract record Block;

public sealed record HeadingBlock(int Level, string Text) : Block;

/// <summary>Text that may span several lines; a blank line separates paragraphs.</summary>
public sealed record ParagraphBlock(string Text, bool Muted = false) : Block;

public sealed record ListBlock(IReadOnlyList<string> Items) : Block;

/// <summary>Label and value pairs, laid out as a two-column table.</summary>
public sealed record FieldsBlock(IReadOnlyList<(string Label, string Value)> Fields) : Block;

/// <summary>A column's relative width; monospace for hashes and identifiers.</summary>
public sealed record Column(string Header, double Weight, bool Monospace = false);

public sealed record TableBlock(IReadOnlyList<Column> Columns, IReadOnlyList<IReadOnlyList<string>> Rows, string Empty) : Block;

public sealed record FigureBlock(Figure Figure) : Block;
